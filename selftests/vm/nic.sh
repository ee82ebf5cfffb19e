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

# nic_vm NAME BDF [QEMU ARGS...]: the igbvf payload on BDF.  QEMU moves
# the VF's MSI-X table to a BAR of its own: the part of BAR3 left beside
# it is not page-sized, and the legacy container's dirty bitmap, which
# QEMU also asks for the BARs it maps for peer-to-peer, fails on it.
nic_vm() {
	VM_PAYLOAD=build/igbvf_payload.elf VM_DEV_OPTS=,x-msix-relocation=bar2 \
		vm_start "$@"
}

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

# Bounds the migration tests hold the payload to.  An echo in flight when
# the source stops is answered on the source or lost: a handful at most.
NIC_MAX_LOST=3
NIC_PROGRAM=bpf/igbvf.bpf.o

# Start the payload VM NAME on BDF and wait for 20 answered echoes.
nic_source_ready() {	# nic_source_ready NAME BDF [QEMU ARGS...]
	local name=$1
	nic_vm "$@"
	vm_wait "$name" '^READY' 120 || fail "$name: the payload did not come up: $(tail -n3 "$VMDIR/$name.log") $(cat "$VMDIR/$name.err")"
	nic_wait_ok "$name" 20 60 || fail "$name: no replies: $(nic_lines "$name" | tail -n1)"
}

# A destination payload VM NAME on BDF, listening for the migration.
nic_start_dst() {	# nic_start_dst NAME BDF
	local i
	rm -f "$VMDIR/mig.sock"
	nic_vm "$1" "$2" -incoming "unix:$VMDIR/mig.sock"
	for i in $(seq 100); do
		[ -S "$VMDIR/mig.sock" ] && return
		sleep 0.1
	done
	fail "destination QEMU does not listen: $(cat "$VMDIR/$1.err")"
}

# Migrate SRC to a new DST on DST_BDF; print QEMU's query-migrate answer.
nic_migrate() {		# nic_migrate SRC DST DST_BDF
	nic_start_dst "$2" "$3"
	vm_migrate "$1" "unix:$VMDIR/mig.sock" \
		'{"downtime-limit": 20000, "max-bandwidth": 1000000000}'
	vm_qmp "$1" --wait-migration 180
}

# DST continues SRC's ping: no new boot, the same MAC answered by the PF,
# more replies, no bad frame, at most NIC_MAX_LOST echoes lost.
assert_nic_continued() {	# assert_nic_continued SRC DST
	local mac lost
	mac=$(nic_lines "$1" | tail -n1 | sed 's/.* mac=//')
	vm_wait "$2" '^PING' 60 || fail "$2 prints nothing: $(cat "$VMDIR/$2.err")"
	nic_wait_ok "$2" 20 60 || fail "$2: the ping stopped: $(nic_lines "$2" | tail -n1)"
	assert_eq "$2 did not boot again" 0 "$(grep -c BOOT "$VMDIR/$2.log")"
	assert_eq "$2 keeps the MAC" "$mac" "$(nic_lines "$2" | tail -n1 | sed 's/.* mac=//')"
	assert_eq "$2: corrupted frames" 0 "$(nic_count "$2" bad)"
	lost=$(nic_count "$2" lost)
	[ "$lost" -le $NIC_MAX_LOST ] || fail "$2: $lost echoes lost"
	[ "$(nic_count "$2" seq)" -gt "$(nic_count "$1" seq)" ] ||
		fail "$2: the sequence did not go on from $(nic_count "$1" seq)"
	echo "    $1 -> $2: $(nic_lines "$2" | tail -n1)"
}

# Fail with what each side has to say.
nic_mig_failed() {	# nic_mig_failed QUERY_MIGRATE SRC DST
	fail "migration: $1; VF0: $(sysattr "$VF0" last_error); VF1: $(sysattr "$VF1" last_error); $2: $(tail -n3 "$VMDIR/$2.err"); $3: $(tail -n3 "$VMDIR/$3.err")"
}

# The figures of a finished migration, for the log.
nic_figures() {	# nic_figures QUERY_MIGRATE_JSON
	python3 -c 'import json,sys
r = json.loads(sys.argv[1])
print("    downtime %s ms, total %s ms, device state %s bytes" %
      (r.get("downtime"), r.get("total-time"), r.get("vfio", {}).get("transferred")))' "$1"
}

# ---- tests -----------------------------------------------------------------

# The baseline: the payload drives a VF under stock vfio-pci.
t_nic_payload_on_vfio_pci() {
	nic_setup vfio-pci
	nic_source_ready plain - -device "vfio-pci,host=$VF0"
	assert_eq "corrupted frames" 0 "$(nic_count plain bad)"
	assert_eq "lost echoes" 0 "$(nic_count plain lost)"
	vm_stop plain
}

# QEMU migrates the pinging payload VM from VF0 to VF1 (pre-copy, then
# stop-copy), and back again.
t_nic_qemu_migration() {
	local info
	nic_setup
	load "$NIC_PROGRAM" --bdf "$VF0" >/dev/null
	load "$NIC_PROGRAM" --bdf "$VF1" >/dev/null
	nic_source_ready src "$VF0"
	info=$(nic_migrate src dst "$VF1") || nic_mig_failed "$info" src dst
	assert_has "completed" '"status": "completed"' "$info"
	nic_figures "$info"
	assert_nic_continued src dst
	assert_has "QEMU used pre-copy" "new state PRE_COPY" "$(cat "$VMDIR/src.trace")"
	assert_eq "VF1's program restored it" 1 \
		"$(bpftool map dump pinned "$(pindir "$VF1")/igbvf_shadow" 2>/dev/null |
		   grep -o '"restored": [0-9]*' | cut -d' ' -f2)"
	vm_stop src
	# ... and back, onto VF0.
	info=$(nic_migrate dst back "$VF0") || nic_mig_failed "$info" dst back
	nic_figures "$info"
	assert_nic_continued dst back
	vm_stop dst
	vm_stop back
}
