# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# QEMU 10's multifd device-state transfer (issue 20): a guest owning two
# VFs migrated with each VF's final state over the multifd channels, read
# from the source's data fds by a thread of its own per device and written
# on the destination by a load thread per device, and the same guest with
# the states on the main channel.  Sourced by tests.sh (after nic.sh and
# linux_guest.sh) and bench_nic.sh; NIC_TESTS in manifest.sh lists the test.
#
# What QEMU 10.0 needs for it (read in QEMU 10.0's source; the installed
# 10.0.2 has the same properties, trace events and messages):
# - hw/vfio/migration-multifd.c: vfio_multifd_transfer_supported() is
#   multifd_device_state_supported() && migrate_send_switchover_start();
#   migration/multifd-device-state.c: multifd_device_state_supported() is
#   the "multifd" capability on, "mapped-ram" off and multifd-compression
#   none.  send-switchover-start is a property of the migration object, on
#   from machine type 10.0 (hw_compat_9_2 turns it off for older ones): the
#   tests' "-machine q35" is 10.0's.
# - The vfio-pci property x-migration-multifd-transfer (OnOffAuto, default
#   auto): auto uses multifd when it is supported, on fails save_setup and
#   load_setup ("Multifd device transfer requested but unsupported in the
#   current config") when it is not, off keeps the state on the main
#   channel.  vfio_multifd_setup() copies it at setup.  Both sides must
#   agree: a destination doing multifd refuses a config section on the
#   main channel ("got DEV_CONFIG_STATE in main migration channel but doing
#   multifd transfer", hw/vfio/migration.c) and one not doing it refuses a
#   multifd packet ("got device state packet but not doing multifd
#   transfer").
# - The capability on both sides before the stream starts, so the
#   destination gets it on its command line (-global migration.x-multifd=on;
#   the channel count, multifd-channels, default 2, must match too).
# - Only the stop-copy part goes over multifd: pre-copy data is still read
#   by the migration thread (vfio_save_iterate) and loaded from the main
#   channel.  On the source, vfio_multifd_save_complete_precopy_thread()
#   runs for each device in a thread pool (multifd_spawn_device_state_save_
#   thread()), reads the data fd in data_buffer_size chunks (MIN(1 MiB,
#   MIG_DATA_SIZE)) into numbered packets, then the device's config space
#   as the last packet.  On the destination the multifd receive threads
#   hand packets to vfio_multifd_load_state_buffer(), which files them by
#   index; at the switchover-start marker vfio_multifd_switchover_start()
#   starts vfio_load_bufs_thread() (qemu_loadvm_start_load_thread()),
#   which writes the buffers to the data fd in index order, looping over
#   partial writes, then loads the config space under the BQL.
# - No x-migration-load-config-after-iter in 10.0 (it came in 10.1): the
#   config space always goes last, in the multifd stream.  Postcopy and
#   background snapshots are refused with any VFIO device; several VFIO
#   devices need P2P states (vfmig offers them).
#
# What the test shows: QEMU's trace (the per-device save thread on the
# source, the buffers and the load thread on the destination, for each VF;
# none of them with the transfer off), vfmig's vfmig_data tracepoint (which
# QEMU thread read and wrote each VF's data fd, and the bytes: each source
# VF's equal to its destination VF's), the program's load() on both
# destination VFs, and the payload pinging on through the first VF (the
# second stays idle, but is migrated the same way).

# multifd on both sides (two channels), QEMU's threads named (so vfmig's
# tracepoint names them), the vfio multifd trace events and the multifd
# channels' threads.
mfd_qemu_args() {	# mfd_qemu_args NAME
	MFD_QEMU_ARGS=(-name "$1,debug-threads=on" -msg timestamp=on
		       -global migration.x-multifd=on -global migration.multifd-channels=2
		       -trace vfio_save_complete_precopy_thread_start
		       -trace vfio_save_complete_precopy_thread_end -trace vfio_save_block
		       -trace vfio_load_state_device_data
		       -trace vfio_load_state_device_buffer_incoming
		       -trace vfio_load_bufs_thread_start -trace vfio_load_bufs_thread_end
		       -trace multifd_send_thread_start -trace multifd_recv_thread_start)
}

# The source's migration thread (QEMU's MIGRATION_THREAD_SRC_MAIN).
MFD_SRC_MAIN=mig/src/main

# mfd_setup: nic_setup with four VFs on vfmig-pci: VF0 and VF1 the
# source's, VF2 and VF3 the destination's.  The other NIC tests use two:
# mfd_two_vfs puts them back.
mfd_setup() {
	local drv
	PF=${VMTEST_IGB:-}
	[ -n "$PF" ] || fail "no SR-IOV NIC: boot with vmtest.sh --igb"
	modprobe igb || fail "modprobe igb"
	if [ ! -e "$SYS/$PF/virtfn3" ]; then
		lg_fresh_vfs
		drv=$(basename "$(readlink "$SYS/$PF/driver" 2>/dev/null)")
		[ "$drv" = igb ] || bind igb "$PF"
		echo 0 >"$SYS/$PF/sriov_drivers_autoprobe"
		echo 4 >"$SYS/$PF/sriov_numvfs" || fail "creating 4 VFs"
	fi
	nic_setup
	VF2=$(basename "$(readlink "$SYS/$PF/virtfn2")")
	VF3=$(basename "$(readlink "$SYS/$PF/virtfn3")")
	for drv in "$VF2" "$VF3"; do
		[ "$(basename "$(readlink "$SYS/$drv/driver" 2>/dev/null)")" = vfmig-pci ] ||
			bind vfmig-pci "$drv" >/dev/null
	done
}

# Back to the two VFs of nic_setup, once no VM holds a VF.
mfd_two_vfs() {
	lg_fresh_vfs
	nic_setup
}

# mfd_vm NAME MODE BDF BDF2|- [QEMU ARGS...]: the igbvf payload VM on BDF
# (it pings through the first VF) and BDF2, each with
# x-migration-multifd-transfer=MODE, multifd on (mfd_qemu_args).
mfd_vm() {
	local name=$1 mode=$2 bdf=$3 bdf2=$4 opts second=()
	shift 4
	opts=",x-msix-relocation=bar2,x-migration-multifd-transfer=$mode"
	if [ "$bdf2" != - ] && [ "${VM_IOMMUFD:-0}" = 1 ]; then
		second=(-device "vfio-pci,host=$bdf2,iommufd=iommufd0,enable-migration=${VM_ENABLE_MIGRATION:-on}$opts")
	elif [ "$bdf2" != - ]; then
		second=(-device "vfio-pci,host=$bdf2,enable-migration=${VM_ENABLE_MIGRATION:-on}$opts")
	fi
	mfd_qemu_args "$name"
	VM_PAYLOAD=$NIC_GUEST VM_DEV_OPTS=$opts vm_start "$name" "$bdf" \
		${second[@]+"${second[@]}"} "${MFD_QEMU_ARGS[@]}" "$@"
}

# mfd_source_ready NAME MODE BDF BDF2|-: start it, wait for 20 echoes.
mfd_source_ready() {
	local name=$1 start=$SECONDS
	mfd_vm "$@"
	vm_wait "$name" '^READY' 120 || fail "$name: the payload did not come up: $(tail -n3 "$VMDIR/$name.log") $(cat "$VMDIR/$name.err")"
	nic_wait_ok "$name" 20 60 || fail "$name: no replies: $(nic_lines "$name" | tail -n1)"
	echo "    $name pinging after $((SECONDS - start)) s"
}

# mfd_migrate SRC DST MODE BDF BDF2|-: a destination DST on BDF (and
# BDF2) listening, SRC migrated into it; prints query-migrate's answer.
mfd_migrate() {
	local start=$SECONDS rc=0 i
	rm -f "$VMDIR/mig.sock"
	mfd_vm "$2" "$3" "$4" "$5" -incoming "unix:$VMDIR/mig.sock"
	for i in $(seq 100); do
		[ -S "$VMDIR/mig.sock" ] && break
		sleep 0.1
	done
	[ -S "$VMDIR/mig.sock" ] || fail "destination QEMU does not listen: $(cat "$VMDIR/$2.err")"
	vm_migrate "$1" "unix:$VMDIR/mig.sock" \
		'{"downtime-limit": 20000, "max-bandwidth": 1000000000}'
	vm_qmp "$1" --wait-migration 180 || rc=$?
	echo "    $1 -> $2 ($3): migration ended after $((SECONDS - start)) s" >&2
	return $rc
}

# vfmig's vfmig_data events (every data fd read and write, and the QEMU
# thread that made it) while a migration runs.
MFD_TR=/sys/kernel/tracing
mfd_ktrace_start() {
	mountpoint -q "$MFD_TR" || mount -t tracefs nodev "$MFD_TR"
	echo 0 >"$MFD_TR/tracing_on"
	echo >"$MFD_TR/trace"
	echo 1 >"$MFD_TR/events/vfmig/vfmig_data/enable"
	echo 1 >"$MFD_TR/tracing_on"
}

# mfd_ktrace_stop FILE: the events as "COMM|BDF|read or write|RET" lines.
mfd_ktrace_stop() {
	echo 0 >"$MFD_TR/events/vfmig/vfmig_data/enable"
	sed -nE 's/^ *(.*)-[0-9]+ +\[[0-9]+\].* vfmig_data: ([^ ]+) (read|write) len=[0-9]+ ret=(-?[0-9]+)$/\1|\2|\3|\4/p' \
		"$MFD_TR/trace" >"$1"
	echo >"$MFD_TR/trace"
}

# mfd_bytes FILE BDF read|write: the bytes that went through the VF's data fd.
mfd_bytes() {
	awk -F'|' -v b="$2" -v d="$3" '$2 == b && $3 == d && $4 > 0 { s += $4 } END { print s + 0 }' "$1"
}

# mfd_threads FILE BDF read|write: "COMM:BYTES" for each thread that moved bytes.
mfd_threads() {
	awk -F'|' -v b="$2" -v d="$3" '$2 == b && $3 == d && $4 > 0 { s[$1] += $4 }
		END { for (c in s) printf "%s:%d ", c, s[c] }' "$1"
}

# igbvf's load() calls that succeeded on a VF.
mfd_restored() {
	timeout 60 bpftool map dump pinned "$(pindir "$1")/igbvf_shadow" 2>/dev/null |
		grep -o '"restored": [0-9]*' | cut -d' ' -f2
}

# mfd_check_migration SRC DST MODE S0 S1 D0 D1: the payload VM SRC on S0
# and S1 migrated to DST on D0 and D1 with x-migration-multifd-transfer
# MODE (on or off): it completed; the guest pings on through D0; QEMU's
# trace shows each state over multifd (on) or on the main channel (off);
# vfmig's shows which threads read and wrote each data fd, and every byte
# read on a source VF written to its destination VF; the program loaded
# both states.
mfd_check_migration() {
	local src=$1 dst=$2 mode=$3 s d i info ktr=$VMDIR/kernel-$3.trace main rd wr
	local -a from=("$4" "$5") to=("$6" "$7")
	mfd_ktrace_start
	info=$(mfd_migrate "$src" "$dst" "$mode" "${to[0]}" "${to[1]}") ||
		{ mfd_ktrace_stop "$ktr"; nic_mig_failed "$info" "$src" "$dst"; }
	# The destination's main thread, which loads the main channel.
	main=$(cat "/proc/$(cat "$VMDIR/$dst.pid")/comm")
	mfd_ktrace_stop "$ktr"
	assert_has "completed" '"status": "completed"' "$info"
	nic_figures "$info"
	vm_wait "$dst" '^PING' 60 || fail "$dst prints nothing: $(cat "$VMDIR/$dst.err")"
	nic_wait_ok "$dst" 20 60 || fail "$dst: the ping stopped: $(nic_lines "$dst" | tail -n1)"
	echo "    $src last: $(nic_lines "$src" | tail -n1)"
	echo "    $dst first: $(nic_lines "$dst" | head -n1)"
	assert_has "multifd channels on the source" multifd_send_thread_start "$(cat "$VMDIR/$src.trace")"
	assert_has "multifd channels on the destination" multifd_recv_thread_start "$(cat "$VMDIR/$dst.trace")"
	for i in 0 1; do
		s=${from[i]} d=${to[i]}
		rd=$(mfd_bytes "$ktr" "$s" read) wr=$(mfd_bytes "$ktr" "$d" write)
		echo "    $s -> $d: $rd bytes read on the source ($(mfd_threads "$ktr" "$s" read)), $wr written on the destination ($(mfd_threads "$ktr" "$d" write))"
		[ "$rd" -gt 0 ] || fail "$s: no state read"
		assert_eq "$s -> $d: bytes written are the bytes read" "$rd" "$wr"
		if [ "$mode" = on ]; then
			assert_has "$s: QEMU's save thread for it" "vfio_save_complete_precopy_thread_start  ($s)" \
				"$(cat "$VMDIR/$src.trace")"
			assert_has "$d: its buffers came over multifd" "vfio_load_state_device_buffer_incoming  ($d)" \
				"$(cat "$VMDIR/$dst.trace")"
			assert_has "$d: QEMU's load thread for it" "vfio_load_bufs_thread_end  ($d)" \
				"$(cat "$VMDIR/$dst.trace")"
			# Pre-copy data is the migration thread's; the final
			# unit is read by the device's own thread.
			mfd_threads "$ktr" "$s" read | tr ' ' '\n' | grep -v "^$MFD_SRC_MAIN:" | grep -q . ||
				fail "$s: every read by $MFD_SRC_MAIN, none by a device thread"
			mfd_threads "$ktr" "$d" write | tr ' ' '\n' | grep -v "^$main:" | grep -q . ||
				fail "$d: every write by the main thread ($main), none by a load thread"
		else
			! grep -qF "vfio_save_complete_precopy_thread_start  ($s)" "$VMDIR/$src.trace" ||
				fail "$s: a multifd save thread with the transfer off"
			! grep -qF "vfio_load_state_device_buffer_incoming  ($d)" "$VMDIR/$dst.trace" ||
				fail "$d: a multifd buffer with the transfer off"
			assert_has "$d: its state on the main channel" "vfio_load_state_device_data  ($d)" \
				"$(cat "$VMDIR/$dst.trace")"
			assert_eq "$s: read by the migration thread only" "$MFD_SRC_MAIN:$rd " \
				"$(mfd_threads "$ktr" "$s" read)"
			assert_eq "$d: written by the main thread only" "$main:$wr " \
				"$(mfd_threads "$ktr" "$d" write)"
		fi
		# The program's counters start again at each open of the VF.
		assert_eq "$d: the program loaded it" 1 "$(mfd_restored "$d")"
		assert_eq "$s: no error" "" "$(sysattr "$s" last_error)"
		assert_eq "$d: no error" "" "$(sysattr "$d" last_error)"
	done
	echo "    $(sysattr "${to[0]}" messages | tail -n1)"
	echo "    $(sysattr "${to[1]}" messages | tail -n1)"
	mfd_continued "$src" "$dst"
}

# DST continues SRC's ping (assert_nic_continued's checks), and at most
# NIC_MAX_LOST echoes are lost from the source's last report on: an echo
# the payload gave up on before (0.5 s of its clock) went while the source
# ran its pre-copy beside QEMU's migration threads on this shared TCG
# host, and is reported, not held against the transfer.
mfd_continued() {	# mfd_continued SRC DST
	local before after
	before=$(nic_count "$1" lost)
	NIC_MAX_LOST=$((NIC_MAX_LOST + before)) assert_nic_continued "$1" "$2"
	after=$(nic_count "$2" lost)
	echo "    echoes lost: $((after - before)) from the source's last report on, $before before it"
}

# ---- tests -----------------------------------------------------------------

# A guest owning two VFs (igbvf.bpf.o on each) migrated from VF0+VF1 to
# VF2+VF3 with x-migration-multifd-transfer=on, then a new one with it off
# (multifd on for RAM both times): each VF's state arrives whole, the
# first time read and written by QEMU's per-device threads, and the guest
# pings on with no echo lost but the switchover's.  Where the kernel has
# IOMMUFD, QEMU holds the VFs through iommufd and logs their DMA.
t_nic_multifd_two_vfs() {
	local mode vf
	if [ -e /dev/iommu ]; then
		export VM_IOMMUFD=1 VM_ENABLE_MIGRATION=auto
	fi
	mfd_setup
	for vf in "$VF0" "$VF1" "$VF2" "$VF3"; do
		load "$NIC_PROGRAM" --bdf "$vf" >/dev/null
	done
	for mode in on off; do
		echo "    x-migration-multifd-transfer=$mode:"
		mfd_source_ready "src-$mode" "$mode" "$VF0" "$VF1"
		mfd_check_migration "src-$mode" "dst-$mode" "$mode" "$VF0" "$VF1" "$VF2" "$VF3"
		vm_stop "src-$mode"
		vm_stop "dst-$mode"
	done
	for vf in "$VF0" "$VF1" "$VF2" "$VF3"; do
		$LOAD unload --bdf "$vf" >/dev/null || fail "unload $vf"
	done
	mfd_two_vfs
}
