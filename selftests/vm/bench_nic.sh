#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# `make bench`, NIC part, in the VM with QEMU's igb (vmtest.sh --igb): the
# igbvf payload VM migrated from VF0 to VF1 by QEMU 10 while it pings the
# PF (bpf/igbvf.bpf.o on both VFs), beside the same VM with no device:
# total time and downtime as ratios, echoes lost, device state bytes.
set -euo pipefail

SYS=/sys/bus/pci/devices
fail() { echo "bench: $*" >&2; exit 1; }
assert_eq() { [ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"; }
bind() {	# bind DRIVER BDF
	echo "$1" >"$SYS/$2/driver_override"
	[ -e "$SYS/$2/driver" ] && echo "$2" >"$SYS/$2/driver/unbind"
	echo "$2" >/sys/bus/pci/drivers_probe
}
modprobe vfio-pci
modprobe vfio_iommu_type1
KO=kernel/vfmig.ko
[ -e "build/kmod/$(uname -r)/kernel/vfmig.ko" ] && KO=build/kmod/$(uname -r)/kernel/vfmig.ko
insmod "$KO"
VMDIR=$(mktemp -d)
# shellcheck source=selftests/vm/qemu_lib.sh
. selftests/vm/qemu_lib.sh
# shellcheck source=selftests/vm/nic.sh
. selftests/vm/nic.sh
nic_setup
user/vfmig-load bpf/igbvf.bpf.o --bdf "$VF0" >/dev/null
user/vfmig-load bpf/igbvf.bpf.o --bdf "$VF1" >/dev/null

migrate_once() {	# migrate_once SRC_BDF|- DST_BDF|-: print query-migrate
	nic_vm src "$1"
	vm_wait src '^READY\|NO-VF' 120 || fail "source VM did not start"
	[ "$1" = - ] || nic_wait_ok src 20 60 || fail "source: no replies"
	nic_start_dst dst "$2"
	vm_migrate src "unix:$VMDIR/mig.sock" '{"downtime-limit": 20000, "max-bandwidth": 1000000000}'
	vm_qmp src --wait-migration 180
	[ "$2" = - ] || nic_wait_ok dst 20 60 || fail "destination: no replies"
	[ "$2" = - ] || echo "bench: after migration: $(nic_lines dst | tail -n1)" >&2
	vm_stop src
	vm_stop dst
}

field() { python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
with=$(migrate_once "$VF0" "$VF1")
lost=$(nic_count dst lost) bad=$(nic_count dst bad)
without=$(migrate_once - -)
for run in with without; do
	info=${!run}
	printf 'qemu %-7s the VF: total %s ms, downtime %s ms, device state %s bytes, RAM %s bytes\n' \
		"$run" "$(field "$info" 'd["total-time"]')" "$(field "$info" 'd["downtime"]')" \
		"$(field "$info" 'd.get("vfio", {}).get("transferred", 0)')" \
		"$(field "$info" 'd["ram"]["transferred"]')"
done
awk -v tw="$(field "$with" 'd["total-time"]')" -v to="$(field "$without" 'd["total-time"]')" \
    -v dw="$(field "$with" 'd["downtime"]')" -v dn="$(field "$without" 'd["downtime"]')" \
    -v lost="$lost" -v bad="$bad" -v st="$(field "$with" 'd["vfio"]["transferred"]')" 'BEGIN {
	printf "bench: NIC VF migration with/without the VF: total time %.2f, downtime %.2f; echoes lost %d, corrupted %d; device state %d bytes\n", tw / to, dw / dn, lost, bad, st
}'
rm -rf "$VMDIR"
