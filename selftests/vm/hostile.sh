# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# Hostile programs and attachers: selftests/progs/test_hostile.bpf.o,
# attached with raw libbpf (lib.sh's hattach), returning values outside
# the contract from every callback; attachers without CAP_SYS_ADMIN or
# under lockdown; the kernel's own refusals; an old program's exit()
# giving up at a replace; the open, close and reset a program hears of.
# Sourced by tests.sh; listed in manifest.sh (HOSTILE_TESTS; lockdown in
# NIC_TESTS, last).

# The device serves reads with vfio-pci's value again: the program stopped,
# and said why since dmesg line $2.
assert_stopped() {	# assert_stopped WHAT MARK
	assert_eq "$1: trapped register passed to vfio-pci" 0x10000ed \
		"$(answer 1 "$($OPS "$A" 'rd 0 0 4')")"
	assert_has "$1: reason kept" "outside its contract" "$(sysattr "$A" last_error)"
	assert_has "$1: reason logged" "outside its contract" "$(dmesg | tail -n +"$2")"
}

# What the trigger of callback CB printed for its hostile answer.
hostile_trigger() {	# hostile_trigger CB
	case $1 in
	region_read) $OPS "$A" 'rd 0 0 4' ;;
	region_write) $OPS "$A" 'wr 0 0 4 0x1' ;;
	set_state) $OPS "$A" 'mig stop' ;;
	save) $OPS "$A" 'mig stop-copy' ;;
	load) $OPS "$A" 'mig stop-copy' "dread $TMP/h.state" 'mig stop' \
		'mig resuming' "dwrite $TMP/h.state" 'mig stop' | tail -n1 ;;
	log_start) $OPS "$A" "dlstart auto 4096 1 0 0x10000 0" ;;
	log_report) $OPS "$A" "dlstart auto 4096 1 0 0x10000 0" \
		"dlreport auto 0 0x10000 4096" | tail -n1 ;;
	esac
}

# Every callback answering 1, VFMIG_PASS (= 1), 2, INT_MAX, -1, -4095,
# -4096 and INT_MIN: inside the contract the answer is honoured, outside it
# the program stops (reason in last_error), the caller gets EIO, nothing
# oopses, exit() runs once, and the next attach works.
# What t_hostile_return_values has every callback return in turn.  Each is
# an attach through the verifier, 6-10 s on the KASAN tier under TCG: there
# it keeps one value of each way the kernel takes (PASS, an errno, one
# outside the contract: positive and negative ones take the same path).
HOSTILE_VALUES="1 2 2147483647 -1 -4095 -4096 -2147483648"
grep -qw kasan_report /proc/kallsyms 2>/dev/null && HOSTILE_VALUES="1 -1 -2147483648"

t_hostile_return_values() {
	local cb v out want mark
	for cb in init region_read region_write set_state save load log_start log_report; do
		for v in $HOSTILE_VALUES; do
			rm -f "$TMP/h.state"
			mark=$(($(dmesg | wc -l) + 1))
			out=$(hattach "ret_$cb=$v")
			if [ "$cb" = init ]; then
				case $v in
				-1) want="attach: error: EPERM" ;;
				*) want="attach: error: EPROTO" ;;
				esac
				assert_eq "init returning $v" "$want" "$out"
				assert_eq "init $v: exit ran once, reason INIT_FAILED" "1 4" \
					"$(hvar ev_exit ev_exit_reason)"
				[ "$v" = -1 ] || assert_has "init $v: reason" \
					"outside its contract" "$(dmesg | tail -n +"$mark")"
				continue
			fi
			assert_eq "attach for $cb=$v" "attach: ok" "$out"
			out=$(hostile_trigger "$cb")
			if [ "$v" = 1 ] && [ "$cb" = region_read ]; then
				assert_eq "VFMIG_PASS: vfio-pci reads" 0x10000ed "$(answer 1 "$out")"
			elif [ "$v" = 1 ] && [ "$cb" = region_write ]; then
				assert_eq "VFMIG_PASS: vfio-pci writes" ok "$(answer 1 "$out")"
			elif [ "$v" = -1 ]; then
				assert_has "$cb returning -1" "EPERM" "${out//Operation not permitted/EPERM}"
				! grep -q 'outside its contract' <<<"$(dmesg | tail -n +"$mark")" ||
					fail "$cb -1 is inside the contract: $(dmesg | tail -n +"$mark")"
			else
				assert_has "$cb returning $v" EIO \
					"${out//Input\/output error/EIO}"
				assert_stopped "$cb returning $v" "$mark"
			fi
			hdetach
			# exit() count, reason and error: DETACH, or ERROR with -EPROTO
			want="1 3 -71"
			if [ "$v" = -1 ] || { [ "$v" = 1 ] && [[ $cb = region_* ]]; }; then
				want="1 0 0"
			fi
			assert_eq "$cb $v: exit ran once, reason and error" "$want" \
				"$(hvar ev_exit ev_exit_reason ev_exit_error)"
		done
	done
	# state_size is a u64 estimate: capped at max_state_mb, never trusted.
	hattach ret_state_size=-1 >/dev/null
	out=$(answer 1 "$($OPS "$A" msize)")
	{ [ "$out" -gt $((256 << 20)) ] && [ "$out" -lt $(((256 << 20) + 4096)) ]; } ||
		fail "state_size 2^64-1 not capped at max_state_mb: $out"
	hdetach
	load bpf/edu.bpf.o --bdf "$A"
	assert_eq "the next attach works" edu "$(sysattr "$A" program)"
}

# CAP_BPF + CAP_PERFMON (what the BPF core asks for) is not enough: the
# kernel wants CAP_SYS_ADMIN; vfmig-load says so.
t_attach_needs_admin() {
	local out
	out=$($ATT -d "$HOSTILE" "$A" 2>&1)
	assert_eq "nobody with CAP_BPF + CAP_PERFMON" "attach: error: EPERM" "$out"
	assert_eq "nothing attached" "" "$(sysattr "$A" program)"
	out=$(setpriv --inh-caps=-sys_admin --bounding-set=-sys_admin \
		"$LOAD" bpf/edu.bpf.o --bdf "$A" 2>&1) && fail "vfmig-load without CAP_SYS_ADMIN"
	assert_has "vfmig-load names the fix" "CAP_SYS_ADMIN" "$out"
	assert_eq "root" "attach: ok" "$($ATT "$HOSTILE" "$A")"
}

# The kernel's own refusals, reached without vfmig-load's checks.
t_kernel_refusals_raw() {
	assert_eq "first attach" "attach: ok" "$(hattach)"
	assert_eq "second attach" "attach: error: EBUSY" "$($ATT "$HOSTILE" "$A")"
	hdetach
	bind vfio-pci "$B"
	assert_eq "device on vfio-pci" "attach: error: ENODEV" "$($ATT "$HOSTILE" "$B")"
	bind vfmig-pci "$B"
	assert_eq "malformed bdf" "attach: error: EINVAL" "$($ATT "$HOSTILE" 0000:00:1z.0)"
	assert_eq "no such device" "attach: error: ENODEV" "$($ATT "$HOSTILE" 0000:00:1f.7)"
	assert_eq "init failing" "attach: error: EINVAL" "$(hattach ret_init=-22)"
	assert_eq "exit after a failed init" "1 4 -22" \
		"$(hvar ev_exit ev_exit_reason ev_exit_error)"
	assert_eq "16 windows" "attach: ok" "$(hattach extra_windows=15)"
	hdetach
	assert_eq "17th window" "attach: error: ENOSPC" "$(hattach extra_windows=16)"
	assert_eq "migration without set_state" "attach: error: EINVAL" \
		"$($ATT selftests/progs/test_no_set_state.bpf.o "$A")"
	assert_has "the kernel says why" "needs set_state" "$(dmesg | tail -n 5)"
	assert_eq "device still free" "" "$(sysattr "$A" program)"
}

# An old program whose exit() gives up cannot reach the new program.
t_replace_old_exit_errors() {
	local out
	rm -rf "$HP"
	mkdir -p "$HP"
	out=$($ATT -p "$HP" -r selftests/progs/test_region.bpf.o "$HOSTILE" "$A" error_in_exit=1 \
		error_value=-5)
	assert_eq "replaced" "attach: ok
replace: ok" "$out"
	assert_eq "old exit ran" "1 1" "$(hvar ev_exit ev_exit_reason)"
	assert_eq "new program" test_region "$(sysattr "$A" program)"
	assert_eq "new program keeps serving" 0xfeedf00d \
		"$(answer 1 "$($OPS "$A" 'rd 0 0 4')")"
	hdetach
}

# Programs hear of open, close and reset.
t_open_close_reset_notified() {
	local out
	hattach >/dev/null
	assert_eq "not open yet" "0 0" "$(hvar ev_open ev_close)"
	out=$($OPS "$A" reset 'rd 0 0 4')
	assert_eq "VFIO_DEVICE_RESET" ok "$(answer 1 "$out")"
	assert_eq "opened and closed once" "1 1" "$(hvar ev_open ev_close)"
	[ "$(hvar ev_reset)" -ge 1 ] || fail "reset() not called: $(hvar ev_reset)"
	hdetach
	load bpf/edu.bpf.o --bdf "$A"
	$OPS "$A" reset >/dev/null
	assert_has "edu counts resets" '"resets":1' \
		"$(bpftool -j map dump pinned "$(pindir "$A")/edu_shadow")"
}

# Under kernel lockdown nothing attaches, as user space gets no raw PCI
# access there.  Lockdown cannot be lifted: run this last in its VM.
t_lockdown_refuses_attach() {
	local lk=/sys/kernel/security/lockdown out
	[ -e $lk ] || mount -t securityfs securityfs /sys/kernel/security
	[ -e $lk ] || fail "no lockdown LSM in this kernel"
	echo integrity >$lk || fail "cannot enter lockdown"
	assert_has "locked down" "[integrity]" "$(cat $lk)"
	assert_eq "raw attach under lockdown" "attach: error: EPERM" "$($ATT "$HOSTILE" "$A")"
	out=$($LOAD bpf/edu.bpf.o --bdf "$A" 2>&1) && fail "vfmig-load attached under lockdown"
	assert_has "vfmig-load names it" "lockdown" "$out"
	assert_eq "nothing attached" "" "$(sysattr "$A" program)"
}
