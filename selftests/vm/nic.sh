# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# The NIC VF tests: QEMU's igb PF (vmtest.sh --igb) on its own driver, up
# with an address, two VFs bound to vfmig-pci, and the bare-metal igbvf
# payload (selftests/payload/igbvf_payload.c) pinging the PF through one of
# them in a nested VM.  Sourced by tests.sh; NIC_TESTS in manifest.sh names
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
	# The PF channel's provider (pf_channel.sh): igbvf compares the PF's
	# views of the VF through it.
	pf_provider_load
	VF0=$(basename "$(readlink "$SYS/$PF/virtfn0")")
	VF1=$(basename "$(readlink "$SYS/$PF/virtfn1")")
	for i in "$VF0" "$VF1"; do
		[ "$(basename "$(readlink "$SYS/$i/driver" 2>/dev/null)")" = "$drv" ] ||
			bind "$drv" "$i" >/dev/null
	done
	NIC_MARK_VF0=$(msg_mark "$VF0") NIC_MARK_VF1=$(msg_mark "$VF1")
}

# A device keeps its programs' last messages ("SEQ program: text", sysfs
# vfmig/messages) across tests and programs: a test reads those after its
# own mark, never an earlier test's line.  (Here, not in lib.sh: the
# bench sources nic.sh alone.)
msg_mark() { sysattr "$1" messages | awk '{ n = $1 + 1 } END { print n + 0 }'; }	# BDF
msgs_since() { sysattr "$1" messages | awk -v m="$2" '$1 >= m + 0'; }	# BDF MARK

# VF0's or VF1's program messages since this test's nic_setup.
nic_msgs() {	# nic_msgs BDF
	case $1 in
	"$VF0") msgs_since "$1" "$NIC_MARK_VF0" ;;
	"$VF1") msgs_since "$1" "$NIC_MARK_VF1" ;;
	*) fail "nic_msgs: $1 is neither VF" ;;
	esac
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
# NIC_QEMU_ARGS: more QEMU arguments for every payload VM of a test;
# NIC_GUEST: the kernel it boots (the Linux guest's: linux_guest.sh).
NIC_QEMU_ARGS=()
NIC_GUEST=build/igbvf_payload.elf
nic_vm() {
	VM_PAYLOAD=$NIC_GUEST VM_DEV_OPTS=,x-msix-relocation=bar2 \
		vm_start "$@" ${NIC_QEMU_ARGS[@]+"${NIC_QEMU_ARGS[@]}"}
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
	local name=$1 start=$SECONDS
	nic_vm "$@"
	vm_wait "$name" '^READY' 120 || fail "$name: the payload did not come up: $(tail -n3 "$VMDIR/$name.log") $(cat "$VMDIR/$name.err")"
	nic_wait_ok "$name" 20 60 || fail "$name: no replies: $(nic_lines "$name" | tail -n1)"
	echo "    $name pinging after $((SECONDS - start)) s"
}

# A destination payload VM NAME on BDF, listening for the migration.
nic_start_dst() {	# nic_start_dst NAME BDF
	local i
	rm -f "$VMDIR/mig.sock"
	nic_vm "$1" "$2" -incoming "unix:$VMDIR/mig.sock"
	for i in $(seq 100); do
		if [ -S "$VMDIR/mig.sock" ]; then
			[ "${NIC_VF_DECODES:-}" != 1 ] || [ "$2" = - ] || nic_vf_decodes "$2"
			return 0
		fi
		sleep 0.1
	done
	fail "destination QEMU does not listen: $(cat "$VMDIR/$1.err")"
}

# A real VF decodes its BAR whatever its command register says (its
# PCI_COMMAND_MEMORY is hard-wired to 0; the PF's VF MSE enables it).
# QEMU's emulated 82576 VF decodes only with the bit set, and a
# destination's QEMU clears it at its reset (the QEMU listens by then)
# until it loads the guest's config, after the device state: igbvf's
# prepare() then finds registers that do not answer and leaves the
# replay to load().  With NIC_VF_DECODES=1 the destination VF decodes
# as a real one does, so prepare() replays before the switchover.
nic_vf_decodes() {	# nic_vf_decodes BDF
	local cfg=/sys/bus/pci/devices/$1/config low
	low=$(od -An -tu1 -j4 -N1 "$cfg")
	# shellcheck disable=SC2059 # the format is the byte
	printf "\\x$(printf %02x $((low | 2)))" |
		dd of="$cfg" bs=1 seek=4 conv=notrunc status=none
	[ $(($(od -An -tu1 -j4 -N1 "$cfg") & 2)) = 2 ] ||
		fail "$1: PCI_COMMAND_MEMORY did not stay set"
}

# Migrate SRC to a new DST on DST_BDF; print QEMU's query-migrate answer.
# QEMU switches over at once (a downtime-limit of 20 s) unless
# NIC_DOWNTIME_LIMIT (ms) says otherwise.
nic_migrate() {		# nic_migrate SRC DST DST_BDF
	local start=$SECONDS rc=0
	nic_start_dst "$2" "$3"
	echo "    $2 listening after $((SECONDS - start)) s" >&2
	vm_migrate "$1" "unix:$VMDIR/mig.sock" \
		"{\"downtime-limit\": ${NIC_DOWNTIME_LIMIT:-20000}, \"max-bandwidth\": 1000000000}"
	vm_qmp "$1" --wait-migration 180 || rc=$?
	echo "    $1 -> $2: migration ended after $((SECONDS - start)) s" >&2
	return $rc
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

# The program on both VFs, the payload pinging on VF0, and a migration to
# VF1 that cannot converge (64 KiB/s, 1 ms of downtime) under way, in
# pre-copy.
nic_slow_migration() {
	local i
	nic_setup
	load "$NIC_PROGRAM" --bdf "$VF0" >/dev/null
	load "$NIC_PROGRAM" --bdf "$VF1" >/dev/null
	nic_source_ready src "$VF0"
	nic_start_dst dst "$VF1"
	vm_migrate src "unix:$VMDIR/mig.sock" '{"max-bandwidth": 65536, "downtime-limit": 1}'
	for i in $(seq 100); do
		[ "$(sysattr "$VF0" migration_state)" = pre-copy ] && return
		sleep 0.1
	done
	fail "no pre-copy: VF0 is $(sysattr "$VF0" migration_state)"
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

# Config writes reach neither the header nor any capability of the igb PF
# (PM, MSI, MSI-X, PCIe, AER, ARI, SR-IOV...) or of a VF, and do reach the
# bytes no capability claims (cfg_sweep_check, config_writes.sh).  The PF first,
# on vfmig-pci, which drops its VFs; nic_setup brings them back.
t_nic_cfg_write_sweep() {
	local pf=${VMTEST_IGB:-}
	[ -n "$pf" ] || fail "no SR-IOV NIC: boot with vmtest.sh --igb"
	bind vfmig-pci "$pf"
	cfg_sweep_check "$pf"
	nic_setup
	cfg_sweep_check "$VF0"
}

# QEMU migrates the pinging payload VM from VF0 to VF1, igbvf.bpf.o on
# both (through iommufd and the device's DMA log where the kernel has
# IOMMUFD), with the caller's NIC_QEMU_ARGS; the source's report is left
# in the caller's $info.
nic_migrate_vf0_vf1() {
	if [ -e /dev/iommu ]; then
		export VM_IOMMUFD=1 VM_ENABLE_MIGRATION=auto
	fi
	nic_setup
	load "$NIC_PROGRAM" --bdf "$VF0" >/dev/null
	load "$NIC_PROGRAM" --bdf "$VF1" >/dev/null
	nic_source_ready src "$VF0"
	info=$(nic_migrate src dst "$VF1") || nic_mig_failed "$info" src dst
	assert_has "completed" '"status": "completed"' "$info"
	nic_figures "$info"
	assert_nic_continued src dst
}

# QEMU migrates the pinging payload VM from VF0 to VF1 (pre-copy, then
# stop-copy), and back again.  Where the kernel has IOMMUFD, QEMU holds
# the VFs through iommufd and migrates only because the device logs its
# DMA (enable-migration=auto): the payload's RX buffers, which only the
# device writes, must arrive.
t_nic_qemu_migration() {
	local info
	nic_migrate_vf0_vf1
	assert_has "QEMU used pre-copy" "new state PRE_COPY" "$(cat "$VMDIR/src.trace")"
	if [ -e /dev/iommu ]; then
		assert_has "QEMU used the device's dirty tracking" \
			vfio_device_dirty_tracking_start "$(cat "$VMDIR/src.trace")"
	fi
	assert_eq "VF1's program restored it" 1 "$(nic_shadow "$VF1" restored)"
	# The PF channel's provider is loaded (nic_setup): the PF's views of
	# the VF were compared, and were the same (pf_channel.sh).
	assert_has "VF1's program compared the PF views" \
		"PF view of VF 1 matches the source's VF 0" "$(nic_msgs "$VF1")"
	vm_stop src
	# ... and back, onto VF0.
	info=$(nic_migrate dst back "$VF0") || nic_mig_failed "$info" dst back
	nic_figures "$info"
	assert_nic_continued dst back
	assert_has "VF0's program compared the PF views" \
		"PF view of VF 0 matches the source's VF 1" "$(nic_msgs "$VF0")"
	vm_stop dst
	vm_stop back
}

# A migration that cannot converge (64 KiB/s, 1 ms of downtime) is
# cancelled in pre-copy: the source VF runs on, RX enabled again.  The
# destination's emulated VF does not decode (nic_vf_decodes): igbvf's
# prepare() says so at once rather than wait for the PF's answer.
t_nic_qemu_migrate_cancel() {
	local info end VM_RETURN_PATH=false	# qemu_lib.sh: QEMU's cancel race
	nic_slow_migration
	nic_wait_ok src 5 30 || fail "no replies during pre-copy"
	end=$((SECONDS + 60))
	until [ $SECONDS -ge $end ] || grep -q "prepare:" <<<"$(nic_msgs "$VF1")"; do
		sleep 0.5
	done
	assert_has "VF1's prepare() found its registers silent" \
		"prepare: VF registers do not decode (command 0," "$(nic_msgs "$VF1")"
	vm_qmp src migrate_cancel >/dev/null
	info=$(vm_qmp src --wait-migration 60)
	case $info in
	*'"status": "cancelled"'*) ;;
	*) nic_mig_failed "$info (cancelled expected); VF1 said: $(nic_msgs "$VF1" | tail -n3)" src dst ;;
	esac
	assert_eq "device back to running" running "$(sysattr "$VF0" migration_state)"
	nic_wait_ok src 20 60 || fail "the source stopped pinging: $(nic_lines src | tail -n1)"
	assert_eq "corrupted frames" 0 "$(nic_count src bad)"
	[ "$(nic_count src lost)" -le $NIC_MAX_LOST ] || fail "$(nic_count src lost) echoes lost"
	vm_stop dst
	vm_stop src
}

# Both QEMUs with return-path and switchover-ack (the destination must
# have it before the stream comes, hence -global), its approval traced.
NIC_SWITCHOVER_ACK=(-global migration.x-return-path=on -global migration.x-switchover-ack=on
		    -trace loadvm_approve_switchover -msg timestamp=on)

# When (s, QEMU's trace clock: the time of day) VM NAME first traced PATTERN.
nic_trace_time() {	# nic_trace_time NAME PATTERN
	grep -m1 -E "$2" "$VMDIR/$1.trace" | sed -n 's/^[0-9]*@\([0-9.]*\):.*/\1/p'
}

# A field of igbvf's shadow of BDF.
nic_shadow() {	# nic_shadow BDF FIELD
	timeout 60 bpftool map dump pinned "$(pindir "$1")/igbvf_shadow" 2>/dev/null |
		grep -o "\"$2\": -\?[0-9]*" | cut -d' ' -f2
}

# The PF's view of BDF's VF as igbvf's save() last recorded it through
# the PF channel (its MACs, VLANs, VMOLR, VMVIR, RX/TX enables).
nic_saved_pf_view() {	# nic_saved_pf_view BDF
	timeout 60 bpftool -j map dump pinned "$(pindir "$1")/igbvf_pf" | python3 -c '
import json, sys
d = json.load(sys.stdin)[0]
s = d.get("formatted", d)["value"]["src"]
print(s["present"], s["err"], json.dumps(s["view"], sort_keys=True))'
}

# With switchover-ack on both sides, the destination's prepare() replays
# the VF reset and the mailbox history from the pre-copy unit while the
# source runs: QEMU's destination approves the switchover (after that
# unit's write, which prepare() is part of, returned) before the source
# stops, and load() replays only what came after, in the downtime.
t_nic_qemu_switchover_ack_prepared() {
	local info approved stopped replayed NIC_VF_DECODES=1
	NIC_QEMU_ARGS=("${NIC_SWITCHOVER_ACK[@]}")
	nic_migrate_vf0_vf1
	approved=$(nic_trace_time dst loadvm_approve_switchover)
	stopped=$(nic_trace_time src 'vfio_migration_set_state.*new state STOP')
	[ -n "$approved" ] || fail "the destination approved no switchover: $(tail -n5 "$VMDIR/dst.trace")"
	[ -n "$stopped" ] || fail "the source never stopped its VF: $(tail -n5 "$VMDIR/src.trace")"
	awk -v a="$approved" -v s="$stopped" 'BEGIN { exit !(a < s) }' ||
		fail "the destination approved at $approved, after the source stopped at $stopped"
	echo "    destination approved the switchover $(awk -v a="$approved" -v s="$stopped" \
		'BEGIN { printf "%.0f", (s - a) * 1000 }') ms before the source stopped"
	assert_eq "VF1's program restored it" 1 "$(nic_shadow "$VF1" restored)"
	[ "$(nic_shadow "$VF1" prepared)" = 1 ] ||
		fail "prepare() did not replay: $(nic_msgs "$VF1" | grep -m1 'prepare:')"
	replayed=$(nic_shadow "$VF1" replayed_after_prepare)
	[ "$replayed" -ge 0 ] 2>/dev/null ||
		fail "load() did not go on from prepare()'s replay: $replayed"
	echo "    prepare() replayed before the switchover; load() replayed $replayed requests after it"
	assert_has "VF1's program compared the PF views" \
		"PF view of VF 1 matches the source's VF 0" "$(nic_msgs "$VF1")"
	vm_stop src
	vm_stop dst
}

# migrate_cancel once the destination prepared (replayed the VF reset and
# the mailbox on VF1): the destination goes, the source pings on with its
# PF state as it was (the PF's view of VF0, through the PF channel as its
# save() records it, and as ip link shows it), and the next migration to
# VF1 completes.
t_nic_qemu_cancel_after_prepare() {
	local info end before view NIC_VF_DECODES=1
	NIC_QEMU_ARGS=("${NIC_SWITCHOVER_ACK[@]}")
	nic_setup
	nic_slow_migration
	# The source's guest has set its MAC by now (it pings).
	before=$(pf_iplink_vf 0)
	# Until VF1's prepare() replayed (or said why not), for a minute at
	# most.
	end=$((SECONDS + 60))
	while [ $SECONDS -lt $end ] && [ -z "$(sysattr "$VF1" last_error)" ]; do
		[ "$(nic_shadow "$VF1" prepared)" = 1 ] && break
		grep -q "prepare:" <<<"$(nic_msgs "$VF1")" && break
		sleep 0.5
	done
	[ "$(nic_shadow "$VF1" prepared)" = 1 ] ||
		fail "VF1's prepare() did not replay: $(sysattr "$VF1" last_error) $(nic_msgs "$VF1" | grep -m1 'prepare:')"
	assert_eq "... and loaded nothing" 0 "$(nic_shadow "$VF1" restored)"
	view=$(nic_saved_pf_view "$VF0")
	vm_qmp src migrate_cancel >/dev/null
	info=$(vm_qmp src --wait-migration 60)
	case $info in
	*'"status": "cancelled"'*) ;;
	*) nic_mig_failed "$info (cancelled expected); VF1 said: $(nic_msgs "$VF1" | tail -n3)" src dst ;;
	esac
	vm_stop dst
	assert_eq "source VF back to running" running "$(sysattr "$VF0" migration_state)"
	nic_wait_ok src 20 60 || fail "the source stopped pinging: $(nic_lines src | tail -n1)"
	assert_eq "corrupted frames" 0 "$(nic_count src bad)"
	[ "$(nic_count src lost)" -le $NIC_MAX_LOST ] || fail "$(nic_count src lost) echoes lost"
	assert_eq "the PF's VF0 (ip link) as before" "$before" "$(pf_iplink_vf 0)"

	info=$(nic_migrate src dst "$VF1") || nic_mig_failed "$info" src dst
	assert_has "the next migration completed" '"status": "completed"' "$info"
	nic_figures "$info"
	assert_nic_continued src dst
	assert_eq "the PF's view of VF0 saved before the cancel and after" "$view" \
		"$(nic_saved_pf_view "$VF0")"
	assert_has "VF1's program compared the PF views" \
		"PF view of VF 1 matches the source's VF 0" "$(nic_msgs "$VF1")"
	vm_stop src
	vm_stop dst
}

# The destination VF runs another program: its load refuses the stream,
# the source resumes and pings on.
t_nic_qemu_incoming_another_program_refused() {
	local info
	nic_setup
	load "$NIC_PROGRAM" --bdf "$VF0" >/dev/null
	load selftests/progs/test_mig.bpf.o --bdf "$VF1" >/dev/null
	nic_source_ready src "$VF0"
	info=$(nic_migrate src dst "$VF1") && fail "migration into another program completed"
	assert_has "source sees the failure" '"status": "failed"' "$info"
	assert_has "VF1 says why" "saved by another program" "$(sysattr "$VF1" last_error)"
	nic_wait_ok src 20 60 || fail "the source did not resume: $(nic_lines src | tail -n1)"
	assert_eq "corrupted frames" 0 "$(nic_count src bad)"
	vm_stop dst
	vm_stop src
}

# After the destination refused the device: the destination goes, and the
# source, resumed as libvirt does (QMP cont), pings on with VF0 running.
nic_source_resumes() {
	vm_stop dst
	vm_qmp src cont >/dev/null
	nic_wait_ok src 20 60 || fail "the source did not resume: $(nic_lines src | tail -n1)"
	assert_eq "corrupted frames" 0 "$(nic_count src bad)"
	assert_eq "VF0 running" running "$(sysattr "$VF0" migration_state)"
	vm_stop src
}

# A destination PF that cannot serve the guest as the source did (its
# administrator gave VF1 a MAC): load() refuses the replay and says why.
# QEMU gets there only as the destination starts, after the source
# stopped (it then resets the destination's device): the management layer
# resumes the source, which pings on with its VF as it was.
t_nic_destination_pf_differs() {
	local info
	nic_setup
	ip link set "$PFIF" vf 1 mac 02:11:22:33:44:55 || fail "admin MAC"
	load "$NIC_PROGRAM" --bdf "$VF0" >/dev/null
	load "$NIC_PROGRAM" --bdf "$VF1" >/dev/null
	nic_source_ready src "$VF0"
	info=$(nic_migrate src dst "$VF1")
	assert_has "VF1 says why" "program igbvf failed resuming -> stop: -71" \
		"$(sysattr "$VF1" last_error)"
	nic_source_resumes
	ip link set "$PFIF" vf 1 mac 00:00:00:00:00:00
}

# The counters since the payload last came up (they restart at a reset).
nic_since_ready() {	# nic_since_ready NAME FIELD
	awk '/^READY/ { buf = "" } { buf = buf $0 "\n" } END { printf "%s", buf }' \
		"$VMDIR/$1.log" | grep -E "$NIC_LINE" | tail -n1 |
		tr ' ' '\n' | sed -n "s/^$2=//p"
}

# Reset the payload VM NAME; wait until it pings again, N replies.
nic_reset_and_wait() {	# nic_reset_and_wait NAME N
	local before i
	before=$(grep -c '^READY' "$VMDIR/$1.log")
	vm_qmp "$1" system_reset >/dev/null
	for i in $(seq 900); do
		[ "$(grep -c '^READY' "$VMDIR/$1.log")" -gt "$before" ] &&
			[ "$(nic_since_ready "$1" ok)" -ge "$2" ] 2>/dev/null && return 0
		sleep 0.2
	done
	fail "$1: no replies after the reset: $(tail -n3 "$VMDIR/$1.log")"
}

# Resets: the source is reset in pre-copy, which resets the VF and its
# migration state; QEMU's migration ends (failed, as the device left
# pre-copy) and the guest, set up again, pings on the same VF.  Then a
# migrated guest is reset on the destination VF and pings again.
t_nic_reset_during_and_after_migration() {
	local info
	# A reset resets the machine (the payload VMs otherwise exit on one).
	NIC_QEMU_ARGS=(-action reboot=reset)
	nic_slow_migration
	nic_reset_and_wait src 10
	# QEMU fails the migration, or goes on with it: end it either way.
	info=$(vm_qmp src --wait-migration 10)
	echo "    migration after the reset: $(grep -o '"status": "[a-z-]*"' <<<"$info")"
	vm_qmp src migrate_cancel >/dev/null
	vm_qmp src --wait-migration 30 >/dev/null
	vm_stop dst
	assert_eq "source VF running" running "$(sysattr "$VF0" migration_state)"
	nic_wait_ok src 10 60 || fail "source: no replies: $(nic_lines src | tail -n1)"
	assert_eq "source: corrupted frames" 0 "$(nic_since_ready src bad)"

	info=$(nic_migrate src dst "$VF1") || nic_mig_failed "$info" src dst
	assert_nic_continued src dst
	vm_stop src
	nic_reset_and_wait dst 20
	assert_eq "after the reset: corrupted frames" 0 "$(nic_since_ready dst bad)"
	vm_stop dst
}

# A mailbox request as a driver makes it, through vfio-ops: take the
# buffer, write the words, ring, let the PF's driver answer, read its
# status (which clears PFACK and PFSTS, as igbvf's poll does), read the
# answer's first word, acknowledge.
nic_mbx_ops() {	# nic_mbx_ops WORD...
	local i=0 w
	echo 'wr 0 0xc40 4 0x4'
	for w in "$@"; do
		echo "wr 0 $((0x800 + 4 * i)) 4 $w"
		i=$((i + 1))
	done
	printf '%s\n' 'wr 0 0xc40 4 0x1' 'sleep 300' 'rd 0 0xc40 4' 'wr 0 0xc40 4 0x4' \
		'rd 0 0x800 4' 'wr 0 0xc40 4 0x2'
}

# Every register of VF queue 0, interrupt and mailbox memory word that
# reads back what it holds (RX/TX queue 1 alike), as vfio-ops reads.
NIC_REGS=(0x2800 0x2804 0x2808 0x280c 0x2810 0x2818 0x2828
	  0x3800 0x3804 0x3808 0x3810 0x3818 0x3828 0x3838 0x383c
	  0x152c 0x1530 0x1524 0x1680 0x1684 0x1688 0x1700 0x1740
	  0x800 0x804 0x808 0x80c)
nic_reg_ops() { local r; for r in "${NIC_REGS[@]}"; do echo "rd 0 $r 4"; done; }

# vfmig-ctl saves VF0 as a driver left it (mailbox handshake done, its
# own MAC set, rings and interrupts programmed, queues off: no memory is
# mapped) on a device vfio-ops holds open, and restores it into VF1: VF1
# reads back the same, and the PF's driver now gives VF1 that MAC.
t_nic_vfmig_ctl_save_restore() {
	local ops regs src dst state=$TMP/vf.state
	nic_setup
	load "$NIC_PROGRAM" --bdf "$VF0" >/dev/null
	load "$NIC_PROGRAM" --bdf "$VF1" >/dev/null
	mapfile -t regs < <(nic_reg_ops)
	mapfile -t ops < <(printf '%s\n' 'wr 7 4 2 0x6' 'wr 0 0 4 0x04000000' 'sleep 50'
		nic_mbx_ops 0x1
		nic_mbx_ops 0x2 0x00465602 0x0201
		printf '%s\n' 'wr 0 0x2800 4 0x100000' 'wr 0 0x2808 4 0x200' \
			'wr 0 0x280c 4 0x02000002' 'wr 0 0x2810 4 5' 'wr 0 0x2818 4 9' \
			'wr 0 0x3800 4 0x200000' 'wr 0 0x3808 4 0x100' 'wr 0 0x3810 4 3' \
			'wr 0 0x3818 4 3' 'wr 0 0x3838 4 0x300000' 'wr 0 0x1700 4 0x8180' \
			'wr 0 0x1740 4 0x82' 'wr 0 0x1680 4 0x200' 'wr 0 0x1684 4 0x400' \
			'wr 0 0x152c 4 5' 'wr 0 0x1530 4 3' 'wr 0 0x1524 4 6' 'wr 0 0x1528 4 2')
	src=$($OPS "$VF0" "${ops[@]}" "${regs[@]}" \
		"sh $CTL save --fd \$VFIO_DEVICE_FD -o $state" 2>&1) || fail "VF0: $src"
	assert_has "VF_RESET answered (no MAC yet: NACK)" "rd 0 0x800 4: 0x40000001" "$src"
	assert_has "SET_MAC_ADDR answered ACK|CTS" "rd 0 0x800 4: 0xa0000002" "$src"
	assert_has "saved" "sh: exit 0" "$src"
	dst=$($OPS "$VF1" 'wr 7 4 2 0x6' "sh $CTL restore --fd \$VFIO_DEVICE_FD -i $state" \
		"${regs[@]}" "sh ip link show $PFIF" 2>&1) || fail "VF1: $dst"
	assert_has "restored" "restored $(stat -c %s "$state") bytes" "$dst"
	assert_eq "VF1 reads back VF0's registers" \
		"$(grep '^rd ' <<<"$src" | tail -n ${#regs[@]})" \
		"$(grep '^rd ' <<<"$dst")"
	assert_has "the PF gives VF1 the MAC" "vf 1     link/ether 02:56:46:00:01:02" "$dst"
}

# The MACs of BDF's PF view as igbvf's save() last recorded it.
nic_saved_macs() {	# nic_saved_macs BDF
	nic_saved_pf_view "$1" | cut -d' ' -f3- | python3 -c '
import json, sys
for m in json.load(sys.stdin)["macs"]:
    v = m["ral"] | (m["rah"] & 0xffff) << 32
    print(":".join("%02x" % (v >> 8 * i & 0xff) for i in range(6)))'
}

# A source that runs again after its final save (the destination failed
# after load()) gets back the extra unicast MAC that a destination VF on
# the same PF took: igb gives the entry to the pool that asks last.  VF0,
# held by vfio-ops, asks for its MAC and the filter 02:00:00:00:05:01, is
# saved; VF1 restores it (load() asks for the filter again and compares
# the PF's view: VF1 holds it now); VF0 runs again, then is saved once
# more, which records the PF's view: the filter is VF0's.
t_nic_source_resumed_takes_filters_back() {
	local ops out state=$TMP/vf.state filter=02:00:00:00:05:01
	nic_setup
	load "$NIC_PROGRAM" --bdf "$VF0" >/dev/null
	load "$NIC_PROGRAM" --bdf "$VF1" >/dev/null
	mapfile -t ops < <(printf '%s\n' 'wr 7 4 2 0x6' 'wr 0 0 4 0x04000000' 'sleep 50'
		nic_mbx_ops 0x1
		nic_mbx_ops 0x2 0x00465602 0x0301
		nic_mbx_ops 0x10002
		nic_mbx_ops 0x20002 0x00000002 0x0105
		echo "sh $CTL save --fd \$VFIO_DEVICE_FD -o $state"
		echo "sh $OPS $VF1 'wr 7 4 2 0x6' 'sh $CTL restore --fd \$VFIO_DEVICE_FD -i $state'"
		printf '%s\n' 'mig running' 'mstate' "sh $CTL save --fd \$VFIO_DEVICE_FD -o $state")
	out=$($OPS "$VF0" "${ops[@]}" 2>&1) || fail "VF0: $out"
	assert_has "the PF took the filter (ACK|CTS)" "rd 0 0x800 4: 0xa0020002" "$out"
	assert_has "VF1 restored" "restored $(stat -c %s "$state") bytes" "$out"
	assert_has "VF1 holds the filter: its view is the source's" \
		"PF view of VF 1 matches the source's VF 0" "$(nic_msgs "$VF1")"
	assert_has "VF0 runs again" "mstate: running" "$out"
	assert_has "VF0 took the filter back" \
		"resume: MAC filter $filter was not the VF's any more: 2 filter requests sent again" \
		"$(nic_msgs "$VF0")"
	assert_eq "taken back once" 1 "$(nic_shadow "$VF0" retaken)"
	assert_has "VF0's PF view has the filter" "$filter" "$(nic_saved_macs "$VF0")"
}

# Which RX buffers igbvf's reports mark, with a ring laid out by hand
# (vfio-ops writes the descriptors and plays the device's write-back): at
# 0x100000 a ring of 8, slot i's buffer on page 0x101000 + i * 0x1000, 7
# posted.  The ring's page is marked at each report.  A buffer whose
# descriptor still reads as posted is not; one written back (DD) or
# rewritten for the next post is.  With WTHRESH above 1 (write-backs may
# be held) every posted buffer is, and still after WTHRESH is lowered,
# until the ring is set up again.
t_nic_rx_reports_follow_write_backs() {
	local out via ops i rep
	nic_setup
	load "$NIC_PROGRAM" --bdf "$VF0" >/dev/null
	for via in $(log_ways); do
		rep="dlreport $via $IOVA 0x10000 4096"
		mapfile -t ops < <(printf '%s\n' 'wr 7 4 2 0x6' "map $IOVA 0x10000"
			for i in $(seq 0 7); do
				printf 'put %#x %#x\nput %#x 0\n' $((IOVA + 16 * i)) \
					$((IOVA + 0x1000 * (i + 1))) $((IOVA + 16 * i + 8))
			done
			printf '%s\n' 'wr 0 0x2828 4 0' 'wr 0 0x2800 4 0x100000' \
				'wr 0 0x2804 4 0' 'wr 0 0x2808 4 0x80' 'wr 0 0x280c 4 0x02000002' \
				'wr 0 0x2810 4 0' 'wr 0 0x2818 4 7' \
				"dlstart $via 4096 1 $IOVA 0x10000 0" "$rep" \
				'put 0x100028 1' 'put 0x100040 0x10f000' "$rep" "$rep" \
				'wr 0 0x2828 4 0x80000' "$rep" 'wr 0 0x2828 4 0x10000' "$rep" \
				'put 0x100028 0' 'put 0x100040 0x105000' \
				'wr 0 0x2800 4 0x100000' 'wr 0 0x2818 4 7' "$rep" "dlstop $via")
		out=$($OPS "$VF0" "${ops[@]}" 2>&1) || fail "$via: $out"
		out=$(grep '^dl' <<<"$out")
		assert_eq "$via: started" "ok page 0x1000" "$(answer 1 "$out")"
		assert_eq "$via: posted, not written: the ring alone" \
			"0x100000+0x1000" "$(answer 2 "$out")"
		assert_eq "$via: slot 2 written back, slot 4 rewritten" \
			"0x100000+0x1000 0x103000+0x1000 0x105000+0x1000" "$(answer 3 "$out")"
		assert_eq "$via: the same again: neither was reposted" \
			"0x100000+0x1000 0x103000+0x1000 0x105000+0x1000" "$(answer 4 "$out")"
		assert_eq "$via: WTHRESH 8: every posted buffer" \
			"0x100000+0x8000" "$(answer 5 "$out")"
		assert_eq "$via: WTHRESH 1 again: still every one" \
			"0x100000+0x8000" "$(answer 6 "$out")"
		assert_eq "$via: the ring set up again: the ring alone" \
			"0x100000+0x1000" "$(answer 7 "$out")"
		assert_eq "$via: stopped" ok "$(answer 8 "$out")"
	done
}

# A PF bound to vfmig-pci creates VFs exactly as under vfio-pci: refused
# unless the module's enable_sriov is set, then VFs come and go.  Needs the
# VM with an SR-IOV NIC (vmtest.sh --igb); check.sh runs it that way.
t_sriov_pf_like_vfio_pci() {
	local pf=${VMTEST_IGB:-} drv mod off on vfs results=()
	[ -n "$pf" ] || fail "no SR-IOV PF: boot with vmtest.sh --igb"
	for drv in vfio-pci vfmig-pci; do
		mod=/sys/module/$([ $drv = vfio-pci ] && echo vfio_pci || echo vfmig)/parameters/enable_sriov
		bind "$drv" "$pf"
		echo N >"$mod"
		off=$( (echo 2 >"$SYS/$pf/sriov_numvfs") 2>&1 | sed 's/.*: //')
		echo Y >"$mod"
		on=$( (echo 2 >"$SYS/$pf/sriov_numvfs") 2>&1 | sed 's/.*: //')
		vfs=$(find "$SYS/$pf/" -maxdepth 1 -name 'virtfn*' 2>/dev/null | wc -l)
		echo 0 >"$SYS/$pf/sriov_numvfs" || fail "$drv: removing the VFs"
		echo N >"$mod"
		results+=("off='$off' on='$on' vfs=$vfs left=$(find "$SYS/$pf/" -maxdepth 1 -name 'virtfn*' 2>/dev/null | wc -l)")
	done
	assert_eq "vfio-pci creates VFs" "off='No such file or directory' on='' vfs=2 left=0" \
		"${results[0]}"
	assert_eq "vfmig-pci as vfio-pci" "${results[0]}" "${results[1]}"
}
