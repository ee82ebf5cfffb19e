# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# A device's user makes a copy to or from its memory fault for as long as
# it likes (FUSE, userfaultfd): a detach of the device's program, and the
# BPF core's struct_ops mutex it runs under, must not wait for that copy.
# The slow memory here is a private mapping of a device-mapper volume that
# is suspended: its page faults wait for I/O until it is resumed.  (The
# second tier's kernel has neither FUSE nor userfaultfd.)  While vfio-ops
# waits in such a copy, the program is replaced (link update, under the
# struct_ops mutex) or unloaded, and a program is attached to the other
# device (which takes that mutex): each must finish in time.  Sourced by
# tests.sh; listed in manifest.sh.

STALL=vfmig-stall
# Long enough for an attach on the KASAN tier; the stall lasts until the
# volume is resumed, which comes after.
STALL_WITHIN=20

stall_begin() {	# a suspended volume of 1 GiB that reads as zeroes
	modprobe dm-zero 2>/dev/null
	dmsetup remove --noudevsync "$STALL" 2>/dev/null
	if ! dmsetup create --noudevsync "$STALL" --table "0 2097152 zero" ||
	   ! dmsetup mknodes "$STALL" || ! dmsetup suspend --noudevsync "$STALL"; then
		fail "cannot set up $STALL"
	fi
}

stall_end() {
	dmsetup resume --noudevsync "$STALL"
	wait
	dmsetup remove --noudevsync "$STALL"
}

# Wait until process PID is blocked in system call NR (0 read, 1 write,
# 17 pread64), at most 30 s.
blocked_in() {	# blocked_in PID NR
	local i
	for ((i = 0; i < 300; i++)); do
		[ "$(cut -d' ' -f1 "/proc/$1/syscall" 2>/dev/null)" = "$2" ] &&
			[ "$(awk '{ print $3 }' "/proc/$1/stat")" = D ] && return 0
		sleep 0.1
	done
	return 1
}

# Run CMD; fail unless it ends, successfully, within STALL_WITHIN seconds.
# One that does not is left to end once the volume is resumed.
in_time() {	# in_time WHAT CMD...
	local what=$1 pid i start=$SECONDS
	shift
	"$@" >/dev/null &
	pid=$!
	for ((i = 0; i < STALL_WITHIN * 10; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" || { stall_end; fail "$what failed"; }
			echo "    $what: $((SECONDS - start)) s" >&2
			return 0
		fi
		sleep 0.1
	done
	stall_end
	fail "$what waited for the user's page fault (> $STALL_WITHIN s)"
}

# Attach PROG to A and run vfio-ops on A with OPS, one of which blocks
# (system call NR) on the suspended volume; meanwhile "replace" A's
# program by PROG again or "unload" it, and attach edu to B, each in
# time.  The output goes to $TMP/stall.
stall_detach() {	# stall_detach PROG NR replace|unload -- OPS...
	local prog=$1 nr=$2 how=$3 ops
	shift 4
	load "$prog" --bdf "$A" >/dev/null
	stall_begin
	$OPS "$A" "$@" >"$TMP/stall" &
	ops=$!
	blocked_in "$ops" "$nr" || { stall_end; fail "vfio-ops never blocked: $(cat "$TMP/stall")"; }
	if [ "$how" = replace ]; then
		in_time "replace" "$LOAD" replace "$prog" --bdf "$A"
	else
		in_time "unload" "$LOAD" unload --bdf "$A"
		[ -z "$(sysattr "$A" program)" ] || { stall_end; fail "A still runs a program"; }
	fi
	in_time "attach to B" "$LOAD" load bpf/edu.bpf.o --bdf "$B"
	kill -0 "$ops" 2>/dev/null || { stall_end; fail "vfio-ops did not wait for the volume"; }
	stall_end
	$LOAD unload --bdf "$B" >/dev/null
}

# The save data fd: read into slow memory, STOP_COPY's data; the program
# is replaced meanwhile (the struct_ops mutex held).  The read then fails
# as the fd was closed under it, and the device works after a reset.
t_save_read_fault_holds_no_lock() {
	local out
	stall_detach bpf/edu.bpf.o 0 replace -- \
		'mig stop-copy' "smap /dev/mapper/$STALL $((64 << 20)) 65536" \
		'sread 4096' mstate reset mstate 'rd 0 0 4'
	out=$(cat "$TMP/stall")
	assert_eq "STOP_COPY" "ok, data_fd" "$(answer 1 "$out")"
	assert_eq "the read fails cleanly" "error: ENODEV" "$(answer 3 "$out")"
	assert_eq "ERROR" error "$(answer 4 "$out")"
	assert_eq "reset" running "$(answer 6 "$out")"
	assert_eq "device works" 0x10000ed "$(answer 7 "$out")"
	assert_has "sysfs says why" "detached during stop-copy" "$(sysattr "$A" last_error)"
	# Nothing is lost or read twice: a whole stream through page-sized copies.
	out=$($OPS "$A" 'mig stop-copy' "dread $TMP/whole" 'mig stop' 'mig resuming' \
		"dwrite $TMP/whole" 'mig stop' 'mig running' 'rd 0 0 4')
	assert_eq "stream restored" ok "$(answer 6 "$out")"
	assert_eq "device works after" 0x10000ed "$(answer 8 "$out")"
}

# The resume data fd: written from slow memory while the program is
# unloaded.  The write then fails as the fd was closed under it.
t_resume_write_fault_holds_no_lock() {
	local out
	stall_detach bpf/edu.bpf.o 1 unload -- \
		'mig stop' 'mig resuming' "smap /dev/mapper/$STALL $((128 << 20)) 65536" \
		'swrite 4096' mstate reset mstate
	out=$(cat "$TMP/stall")
	assert_eq "RESUMING" "ok, data_fd" "$(answer 2 "$out")"
	assert_eq "the write fails cleanly" "error: ENODEV" "$(answer 4 "$out")"
	assert_eq "ERROR" error "$(answer 5 "$out")"
	assert_eq "reset" running "$(answer 7 "$out")"
}

# Region reads into slow memory while the program is replaced: one its
# hook answers (test_region: 0xfeedf00d), one vfio-pci does (edu's ID
# register, not trapped) and one of edu's vendor region.  Each gives what
# it read, and reads the same after.
t_region_read_fault_holds_no_lock() {
	local c idx out prog rd want
	load bpf/edu.bpf.o --bdf "$A" >/dev/null
	idx=$(answer 1 "$($OPS "$A" "find $EDU_SCRATCH_TYPE $EDU_SCRATCH_SUBTYPE")")
	$LOAD unload --bdf "$A" >/dev/null
	for c in "selftests/progs/test_region.bpf.o:0 0 4:0xfeedf00d" "bpf/edu.bpf.o:0 0 4:0x10000ed" \
		 "bpf/edu.bpf.o:$idx 0 8:0x0"; do
		IFS=: read -r prog rd want <<<"$c"
		stall_detach "$prog" 17 replace -- \
			"smap /dev/mapper/$STALL $((192 << 20)) 65536" "srd $rd" "rd $rd"
		out=$(cat "$TMP/stall")
		assert_eq "$prog: srd $rd" "$want" "$(answer 2 "$out")"
		assert_eq "$prog: and after" "$want" "$(answer 3 "$out")"
		$LOAD unload --bdf "$A" >/dev/null
	done
}
