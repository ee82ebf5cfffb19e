# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# The NIC VF tests: QEMU's igb PF (vmtest.sh --igb) on its own driver, up
# with an address, two VFs bound to vfmig-pci, and the bare-metal igbvf
# payload (selftests/payload/igbvf_payload.c) pinging the PF through one of
# them in a nested VM.  Sourced by tests.sh; NIC_TESTS in safety.sh names
# the tests that need this VM.

NIC_PF_IP=10.99.0.1
NIC_PF_PREFIX=24

# nic_setup: the PF up on igb with its address and 2 VFs, bound to $1
# (vfmig-pci by default); sets PF, PFIF, VF0, VF1.
nic_setup() {
	local drv=${1:-vfmig-pci} i
	PF=${VMTEST_IGB:-}
	[ -n "$PF" ] || fail "no SR-IOV NIC: boot with vmtest.sh --igb"
	modprobe igb || fail "modprobe igb"
	if [ ! -e "$SYS/$PF/virtfn1" ]; then
		bind igb "$PF"
		# VFs come up unbound: igbvf must not take them first.
		echo 0 >"$SYS/$PF/sriov_drivers_autoprobe"
		echo 2 >"$SYS/$PF/sriov_numvfs" || fail "creating the VFs"
	fi
	for i in $(seq 50); do
		PFIF=$(ls "$SYS/$PF/net" 2>/dev/null)
		[ -n "$PFIF" ] && break
		sleep 0.1
	done
	[ -n "$PFIF" ] || fail "the igb PF has no network interface"
	if ! ip -4 addr show dev "$PFIF" | grep -q "$NIC_PF_IP/"; then
		ip addr add "$NIC_PF_IP/$NIC_PF_PREFIX" dev "$PFIF" || fail "PF address"
	fi
	ip link set "$PFIF" up || fail "PF up"
	VF0=$(basename "$(readlink "$SYS/$PF/virtfn0")")
	VF1=$(basename "$(readlink "$SYS/$PF/virtfn1")")
	for i in "$VF0" "$VF1"; do
		[ "$(basename "$(readlink "$SYS/$i/driver" 2>/dev/null)")" = "$drv" ] ||
			bind "$drv" "$i" >/dev/null
	done
}

# The payload's complete counter lines: "PING <tick> sent=N ok=N ...".
NIC_LINE='^PING [0-9]+ sent=[0-9]+ ok=[0-9]+ lost=[0-9]+ late=[0-9]+ bad=[0-9]+ seq=[0-9]+ mac=[0-9a-f:]{17}$'
nic_lines() { grep -E "$NIC_LINE" "$VMDIR/$1.log"; }
# nic_count VM FIELD: the last value of a counter
nic_count() { nic_lines "$1" | tail -n1 | tr ' ' '\n' | sed -n "s/^$2=//p"; }

# nic_vm NAME BDF [QEMU ARGS...]: the igbvf payload on BDF
nic_vm() { VM_PAYLOAD=build/igbvf_payload.elf vm_start "$@"; }

# Wait until the payload VM NAME has N more replies than it had.
nic_wait_ok() {	# nic_wait_ok NAME N SECONDS
	local start i
	start=$(nic_count "$1" ok)
	start=${start:-0}
	for ((i = 0; i < $3 * 5; i++)); do
		[ "$(nic_count "$1" ok)" -ge $((start + $2)) ] 2>/dev/null && return 0
		sleep 0.2
	done
	return 1
}
