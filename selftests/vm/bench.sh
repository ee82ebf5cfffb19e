#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# `make bench`, inside the VM: migration data_fd throughput for a synthetic
# program with 64 MiB of state (bpf/test_mig.bpf.o), beside the guest's own
# memcpy bandwidth measured in the same process, as ratios.  Figures under
# TCG are only comparable with each other, which is why they are ratios.
set -euo pipefail

read -r A _ <<<"${VMTEST_EDU:?run me through selftests/vmtest.sh}"
MIB=64
modprobe vfio-pci
modprobe vfio_iommu_type1
insmod kernel/vfmig.ko
user/vfmig-load bpf/test_mig.bpf.o --bdf "$A" --bind >/dev/null
le_hex() { local i v=$2; for ((i = 0; i < $1; i++)); do printf '%02x ' $((v & 0xff)); v=$((v >> 8)); done; }
bpftool map update pinned "/sys/fs/bpf/vfmig/${A//./_}/mig_config" key hex 00 00 00 00 \
	value hex $(le_hex 8 $((MIB << 20))) 00 00 00 00 00 00 00 00

out=$(selftests/vfio-ops "$A" "memcpy $MIB" tsave 'mig stop' trestore 'mig running' "memcpy $MIB")
echo "$out"
rate() { grep "^$1:" <<<"$out" | sed -n 's/.* \([0-9.]*\) MiB\/s$/\1/p' | sort -n | tail -n1; }
memcpy=$(rate memcpy) save=$(rate tsave) restore=$(rate trestore)
[ -n "$save" ] && [ -n "$restore" ] || { echo "bench: migration failed"; exit 1; }
awk -v m="$memcpy" -v s="$save" -v r="$restore" -v mib="$MIB" 'BEGIN {
	printf "bench: %d MiB state: save %.1f MiB/s, restore %.1f MiB/s, guest memcpy %.1f MiB/s\n", mib, s, r, m
	printf "bench: save/memcpy = %.3f, restore/memcpy = %.3f\n", s / m, r / m
}'
