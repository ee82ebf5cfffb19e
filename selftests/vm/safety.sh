# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# The safety promise, tested with hostile programs and hostile users:
# return values outside the contract, unprivileged attachers, kernel
# refusals reached with raw libbpf, kfunc bounds, data fds outliving their
# device, replacement, malformed streams, and a stress run.  Sourced by
# tests.sh, whose helpers it uses; its tests are listed in manifest.sh.

ATT=selftests/attach-test
HOSTILE=selftests/progs/test_hostile.bpf.o
HP=/sys/fs/bpf/vfmig-hostile

# Attach test_hostile to A with raw libbpf, its globals set from "$@",
# the link and its .bss pinned in $HP.  Prints attach-test's answer.
hattach() {
	rm -rf "$HP"
	mkdir -p "$HP"
	$ATT -p "$HP" "$HOSTILE" "$A" "$@" || fail "attach-test $*"
}

# Drop the pinned link and wait until the device has no program.
hdetach() {
	local i
	rm -f "$HP/link"
	for i in $(seq 50); do
		[ -z "$(sysattr "$A" program)" ] && return
		sleep 0.1
	done
	fail "test_hostile still attached after its link went"
}

# Globals of test_hostile's .bss, as the kernel holds them, space separated.
hvar() {	# hvar NAME...
	local dump n out=()
	dump=$(bpftool -j map dump pinned "$HP/bss")
	for n in "$@"; do
		out+=("$(grep -o "\"$n\":-\?[0-9]*" <<<"$dump" | cut -d: -f2)")
	done
	echo "${out[*]}"
}

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

# One kfunc probe: test_hostile calls each kfunc with BAR, OFFSET, SIZE,
# VALUE from its region hook (under RCU) and from set_state (sleepable),
# and stream_write_bar from save; prints the results of the sleepable run
# after checking both runs agree.  DEV defaults to A.
kfunc_probe() {	# kfunc_probe BAR OFFSET SIZE VALUE [DEV]
	local names="kf_result_bar_read kf_result_bar_write kf_result_config_read kf_result_config_write kf_result_trap_window"
	local dev=${5:-$A} atomic sleepable
	rm -rf "$HP"
	mkdir -p "$HP"
	$ATT -p "$HP" "$HOSTILE" "$dev" call_kfuncs=1 kf_bar="$1" kf_offset="$2" \
		kf_size="$3" kf_value="$4" >/dev/null || fail "attach-test"
	$OPS "$dev" 'rd 0 0 4' >/dev/null
	# shellcheck disable=SC2086 # one name a word
	atomic=$(hvar $names)
	$OPS "$dev" 'mig stop-copy' >/dev/null
	# shellcheck disable=SC2086
	sleepable=$(hvar $names kf_sleepable kf_read_value kf_result_stream_write_bar)
	rm -f "$HP/link"
	assert_eq "set_state ran the probe" 1 "$(cut -d' ' -f6 <<<"$sleepable")"
	assert_eq "kfuncs $*: region hook and set_state agree" "$atomic" \
		"$(cut -d' ' -f1-5 <<<"$sleepable")"
	echo "$(cut -d' ' -f1-5 <<<"$sleepable") $(cut -d' ' -f7-8 <<<"$sleepable")"
}

# Results: bar_read bar_write config_read config_write trap_window value
# stream_write_bar.
t_kfunc_bounds() {
	local out
	out=$(kfunc_probe 6 0 4 0)
	assert_eq "BAR 6" "-22 -22 0 -1 -1" "$(cut -d' ' -f1-5 <<<"$out")"
	out=$(kfunc_probe 9 0 4 0)
	assert_eq "BAR 9" "-22 -22" "$(cut -d' ' -f1-2 <<<"$out")"
	out=$(kfunc_probe 0 0x100000 4 0)
	assert_eq "past the BAR and config space" "-22 -22 -22 -22" "$(cut -d' ' -f1-4 <<<"$out")"
	out=$(kfunc_probe 0 0xffffc 8 0)
	assert_eq "8 bytes at the BAR's last dword" "-22 -22" "$(cut -d' ' -f1-2 <<<"$out")"
	out=$(kfunc_probe 0 4 3 0)
	assert_eq "size 3" "-22 -22 -22 -22" "$(cut -d' ' -f1-4 <<<"$out")"
	out=$(kfunc_probe 0 2 4 0)
	assert_eq "misaligned" "-22 -22 -22 -22" "$(cut -d' ' -f1-4 <<<"$out")"
	out=$(kfunc_probe 0 0xfc 8 0)
	assert_eq "config: 8 bytes over its end" "-22" "$(cut -d' ' -f3 <<<"$out")"
	# The command register (decode bits), a BAR register, the MSI capability.
	out=$(kfunc_probe 0 4 2 0)
	assert_eq "command register: read, not written" "0 -1" "$(cut -d' ' -f3-4 <<<"$out")"
	out=$(kfunc_probe 0 0x10 4 0)
	assert_eq "BAR register: not written" "-1" "$(cut -d' ' -f4 <<<"$out")"
	out=$(kfunc_probe 0 0x40 4 0)
	assert_eq "MSI capability: not written" "-1" "$(cut -d' ' -f4 <<<"$out")"
	# Where they should work: an edu register, unclaimed config space.
	out=$(kfunc_probe 0 4 4 0x1234)
	assert_eq "edu liveness register" "0 0 0 -1 -1" "$(cut -d' ' -f1-5 <<<"$out")"
	assert_eq "stream_write_bar of it" 0 "$(cut -d' ' -f7 <<<"$out")"
	out=$(kfunc_probe 0 0xffffc 8 0)
	assert_eq "stream_write_bar past the BAR" -22 "$(cut -d' ' -f7 <<<"$out")"
	out=$(kfunc_probe 6 0 4 0)
	assert_eq "stream_write_bar of BAR 6" -22 "$(cut -d' ' -f7 <<<"$out")"
	out=$(kfunc_probe 0 0xc0 4 0x5a5a5a5a)
	assert_eq "unclaimed config space" "0 0" "$(cut -d' ' -f3-4 <<<"$out")"
	assert_eq "device still sane" 0x10000ed "$(answer 1 "$($OPS "$A" 'rd 0 0 4')")"
}

# A data fd used after its device fd closed and the device was unbound:
# clean errors, nothing touched after it is gone (KASAN on the second tier).
t_data_fd_outlives_device() {
	local out
	load bpf/edu.bpf.o --bdf "$A"
	$CTL save --bdf "$A" -o "$TMP/o.state" >/dev/null || fail save
	out=$($OPS "$A" 'mig pre-copy' devclose "sh echo $A >$SYS/$A/driver/unbind" \
		pinfo "dread $TMP/o2" dclose)
	assert_eq "pre-copy" "ok, data_fd" "$(answer 1 "$out")"
	assert_eq "device closed" ok "$(answer 2 "$out")"
	assert_eq "unbound" "exit 0" "$(answer 3 "$out")"
	assert_eq "precopy info on a gone device" "error: ENODEV" "$(answer 4 "$out")"
	assert_eq "read on a gone device" "0 bytes, ENODEV" "$(answer 5 "$out")"
	bind vfmig-pci "$A"
	load unload --bdf "$A" >/dev/null
	load bpf/edu.bpf.o --bdf "$A"
	out=$($OPS "$A" 'mig resuming' devclose "sh echo $A >$SYS/$A/driver/unbind" \
		"dwrite $TMP/o.state" dclose)
	assert_eq "resuming" "ok, data_fd" "$(answer 1 "$out")"
	assert_eq "write on a gone device" "error after 0 bytes: ENODEV" "$(answer 4 "$out")"
	bind vfmig-pci "$A"
	assert_eq "device works" 0x10000ed "$(answer 1 "$($OPS "$A" 'rd 0 0 4')")"
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

# Every byte of a stream flipped, one at a time, in 1-byte and 7-byte
# writes: each stream refused, the device still RESUMING, nothing loaded.
t_every_stream_byte_flipped() {
	local before after out f
	load selftests/progs/edu_stop_copy.bpf.o --bdf "$A"
	$OPS "$A" 'wr 0 4 4 0x1234' 'wr 0 8 4 5' 'poll 0 0x20 1 0' >/dev/null
	$OPS "$A" 'mig stop-copy' "dread $TMP/single.state" >/dev/null
	load unload --bdf "$A" >/dev/null
	load bpf/edu.bpf.o --bdf "$A"
	$OPS "$A" 'mig pre-copy' "dread $TMP/pre.state" 'mig stop-copy' \
		"dread $TMP/pre.state" >/dev/null
	for f in single pre; do
		$LOAD unload --bdf "$B" >/dev/null 2>&1
		load "$([ $f = single ] && echo selftests/progs/edu_stop_copy || echo bpf/edu).bpf.o" --bdf "$B" >/dev/null
		before=$(edu_regs "$B")
		out=$($OPS "$B" "flipall $TMP/$f.state 1" "flipall $TMP/$f.state 7")
		after=$(edu_regs "$B")
		assert_eq "$f: all refused, 1-byte writes" \
			"$(stat -c %s "$TMP/$f.state") bytes, $(stat -c %s "$TMP/$f.state") refused, 0 accepted, 0 not resuming, 0 not reset" \
			"$(answer 1 "$out")"
		assert_eq "$f: all refused, 7-byte writes" \
			"$(stat -c %s "$TMP/$f.state") bytes, $(stat -c %s "$TMP/$f.state") refused, 0 accepted, 0 not resuming, 0 not reset" \
			"$(answer 2 "$out")"
		assert_eq "$f: registers unchanged" "$before" "$after"
		assert_has "$f: nothing loaded" '"restored":0' \
			"$(bpftool -j map dump pinned "$(pindir "$B")/edu_shadow")"
		out=$($OPS "$B" 'mig resuming' "dwrite $TMP/$f.state" 'mig stop')
		assert_eq "$f: the unflipped stream loads" ok "$(answer 3 "$out")"
	done
}

# Races: two threads hammer A's registers and a whole-BAR mapping while
# programs are attached, replaced and detached 200 times, and B migrates
# in a loop; then 20 rmmod/insmod cycles, a kmemleak scan where the kernel
# has one, and the per-test dmesg check of tests.sh.
t_stress_attach_access_migrate() {
	local out mig=0 i leaks
	load bpf/edu.bpf.o --bdf "$B"
	(
		while [ ! -e "$TMP/stop" ]; do
			{ $CTL save --bdf "$B" -o "$TMP/s.state" >/dev/null &&
				$CTL restore --bdf "$B" -i "$TMP/s.state" >/dev/null; } ||
				{ echo failed >"$TMP/mig.failed"; break; }
			rm -f "$TMP/s.state"
			echo >>"$TMP/mig.count"
		done
	) &
	out=$($OPS "$A" stress-start \
		"sh $ATT -n 200 -r selftests/progs/test_region.bpf.o bpf/edu.bpf.o $A" stress-stop)
	touch "$TMP/stop"
	wait
	assert_eq "threads started" ok "$(answer 1 "$out")"
	assert_has "200 attach, replace, detach cycles" "cycles: 200 ok, 0 failed" "$out"
	assert_has "accesses all right" "bad 0 errors 0 (-)" "$(answer 4 "$out")"
	assert_has "untrapped page never faulted" "untrapped-sigbus 0" "$(answer 4 "$out")"
	[ ! -e "$TMP/mig.failed" ] || fail "a migration of B failed: $(sysattr "$B" last_error)"
	mig=$(wc -l <"$TMP/mig.count" 2>/dev/null || echo 0)
	[ "$mig" -gt 0 ] || fail "no migration of B ran"
	echo "    stress: $(answer 4 "$out"), $mig migrations of B"

	load unload --bdf "$B" >/dev/null
	for i in $(seq 20); do
		rmmod_vfmig || fail "rmmod $i: $(cat /sys/module/vfmig/refcnt)"
		insmod "$KO" || fail "insmod $i"
	done
	assert_eq "rebound after the cycles" 0x10000ed "$(answer 1 "$($OPS "$A" 'rd 0 0 4')")"

	[ -e /sys/kernel/debug/kmemleak ] ||
		mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
	if [ -e /sys/kernel/debug/kmemleak ]; then
		echo scan >/sys/kernel/debug/kmemleak
		echo scan >/sys/kernel/debug/kmemleak
		leaks=$(grep -B2 -A20 'unreferenced object' /sys/kernel/debug/kmemleak |
			grep -c 'vfmig' || true)
		[ "$leaks" -eq 0 ] || fail "kmemleak: $(cat /sys/kernel/debug/kmemleak)"
		echo "    kmemleak: nothing of vfmig's unreferenced"
	fi
}

# The MSI-X table and PBA are out of any program's reach, as vfio-pci keeps
# them from its user: the igb PF has both in BAR3 (vmtest.sh --igb).
t_kfunc_msix_out_of_reach() {
	local pf=${VMTEST_IGB:-} table pba bir out
	[ -n "$pf" ] || fail "no MSI-X device: boot with vmtest.sh --igb"
	bind vfmig-pci "$pf"
	table=$(($(od -An -tu4 -j$(( $(msix_cap "$pf") + 4 )) -N4 "$SYS/$pf/config")))
	pba=$(($(od -An -tu4 -j$(( $(msix_cap "$pf") + 8 )) -N4 "$SYS/$pf/config")))
	bir=$((table & 7))
	out=$(kfunc_probe "$bir" $((table & ~7)) 4 0 "$pf")
	assert_eq "MSI-X table entry 0" "-1 -1" "$(cut -d' ' -f1-2 <<<"$out")"
	out=$(kfunc_probe "$bir" $(((table & ~7) + 16 * 2 + 12)) 4 0 "$pf")
	assert_eq "MSI-X table entry 2's control" "-1 -1" "$(cut -d' ' -f1-2 <<<"$out")"
	out=$(kfunc_probe $((pba & 7)) $((pba & ~7)) 8 0 "$pf")
	assert_eq "MSI-X PBA" "-1 -1" "$(cut -d' ' -f1-2 <<<"$out")"
	assert_eq "stream_write_bar over the PBA" -1 "$(cut -d' ' -f7 <<<"$out")"
	out=$(kfunc_probe 0 8 4 0 "$pf")
	assert_eq "an igb register" "0 0" "$(cut -d' ' -f1-2 <<<"$out")"
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

# Config offset of a device's MSI-X capability (id 0x11), walking the list.
msix_cap() {
	local pos id
	pos=$(($(od -An -tu1 -j52 -N1 "$SYS/$1/config")))
	while [ "$pos" -ne 0 ]; do
		id=$(($(od -An -tu1 -j"$pos" -N1 "$SYS/$1/config")))
		[ "$id" -eq 17 ] && { echo "$pos"; return; }
		pos=$(($(od -An -tu1 -j$((pos + 1)) -N1 "$SYS/$1/config")))
	done
	fail "$1 has no MSI-X capability"
}

# Config space of $1 as the device holds it (root reads all of it), one
# byte per offset in CFG[].
cfg_load() {
	mapfile -t CFG < <(od -An -v -tu1 "$SYS/$1/config" | tr -s ' ' '\n' | sed '/^$/d')
	[ "${#CFG[@]}" -ge 256 ] || fail "$1: config space of ${#CFG[@]} bytes"
}
cfg_dword() { echo $((CFG[$1] | CFG[$1 + 1] << 8 | CFG[$1 + 2] << 16 | CFG[$1 + 3] << 24)); }

# Bytes of the non-vendor capability ID at POS (EXT 1: extended) by its
# specification, never by the device's lengths; unknown sizes run to NEXT.
cfg_span() {	# cfg_span POS EXT ID NEXT
	local p=$1 w=$((CFG[$1 + 2] | CFG[$1 + 3] << 8))
	case $2:$3 in
	0:1) echo 8 ;;					# PM
	0:2) echo 12 ;;					# AGP
	0:3) echo 8 ;;					# VPD
	0:5) echo $((10 + (w & 0x80 ? 4 : 0) + (w & 0x100 ? 10 : 0))) ;; # MSI
	0:7) echo $(((w >> 12) & 3 ? 24 : 8)) ;;	# PCI-X
	0:8) echo 28 ;;					# HT
	0:13) echo 8 ;;					# SSVID
	0:16) echo $(((w & 0xf) == 1 ? 20 : 60)) ;;	# PCIe
	0:17) echo 12 ;;				# MSI-X
	0:18) echo 16 ;;				# SATA
	0:19) echo 6 ;;					# AF
	1:1) echo 72 ;;					# AER
	1:3) echo 12 ;;					# DSN
	1:4) echo 16 ;;					# power budgeting
	1:14|1:15|1:24|1:27) echo 8 ;;			# ARI, ATS, LTR, PASID
	1:16) echo 64 ;;				# SR-IOV
	1:18) echo 40 ;;				# multicast
	1:19) echo 16 ;;				# PRI
	1:46) echo 24 ;;				# DOE
	*) echo $(($4 - p)) ;;
	esac
}

# What programs may write in config space of $1, from its own capability
# lists: PROT[off] names the header or capability holding a byte they may
# not write; VBODY counts vendor-specific body bytes (writable); CAPS lists
# the capabilities found.
cfg_layout() {	# cfg_layout BDF
	local size pos ext id n i np next limit span hdr len end prot_end=0 caps=()
	cfg_load "$1"
	size=${#CFG[@]}
	PROT=()
	VBODY=0
	CAPS=''
	for ((i = 0; i < 64; i++)); do PROT[i]=header; done
	if ((CFG[6] & 0x10)); then
		pos=${CFG[0x34]} n=48
		while ((pos && n--)); do
			((pos >= 64 && !(pos & 3))) || fail "$1: capability pointer $pos"
			caps+=("$pos 0 ${CFG[pos]}")
			pos=${CFG[pos + 1]}
		done
	fi
	pos=256 n=$(((size - 256) / 4))
	while ((size > 256 && n-- && pos >= 256)); do
		hdr=$(cfg_dword $pos)
		((hdr && hdr != 0xffffffff)) || break
		caps+=("$pos 1 $((hdr & 0xffff))")
		pos=$(((hdr >> 20) & 0xffc))
	done
	mapfile -t caps < <(printf '%s\n' "${caps[@]}" | sort -n -u)
	for ((i = 0; i < ${#caps[@]}; i++)); do
		read -r pos ext id <<<"${caps[i]}"
		limit=$((ext ? size : 256)) next=$limit
		if ((i + 1 < ${#caps[@]})); then
			read -r np _ <<<"${caps[i + 1]}"
			((np < next)) && next=$np
		fi
		CAPS+=" $(printf '%s%#x@%#x' "$( ((ext)) && echo e)" "$id" "$pos")"
		hdr=0
		case $ext:$id in
		0:9) hdr=3 len=${CFG[pos + 2]} ;;
		1:11|1:35) hdr=$((id == 11 ? 8 : 10)) len=$(($(cfg_dword $((pos + 4))) >> 20)) ;;
		esac
		if ((!hdr)); then
			span=$(cfg_span "$pos" "$ext" "$id" "$next")
			end=$((pos + span < limit ? pos + span : limit))
			((end > prot_end)) && prot_end=$end
		elif ((pos < prot_end)); then
			end=$next	# a vendor capability inside another: refused
		else
			end=$((pos + hdr < next ? pos + hdr : next))
			len=$((pos + len < next ? pos + len : next))
			((len > end)) && VBODY=$((VBODY + len - end))
		fi
		for ((n = pos; n < end; n++)); do
			PROT[n]="cap $(printf '%#x@%#x' "$id" "$pos")"
		done
	done
}

# A program writing every byte of config space of $1 back, one at a time,
# from set_state: refused on the header and every capability (vendor
# bodies aside), done everywhere else, as vfio-pci writes raw for its user.
cfg_sweep_check() {	# cfg_sweep_check BDF
	local dev=$1 out dump bits=() i bad='' missing='' nprot=0 nw=0
	cfg_layout "$dev"
	rm -rf "$HP"
	mkdir -p "$HP"
	out=$($ATT -p "$HP" "$HOSTILE" "$dev" cfg_sweep=1 no_window=1)
	assert_eq "$dev: attach" "attach: ok" "$out"
	out=$($OPS "$dev" 'mig stop' 2>&1)
	dump=$(bpftool -j map dump pinned "$HP/bss")
	rm -f "$HP/link"
	assert_eq "$dev: RUNNING to STOP, the sweep's trigger ($(sysattr "$dev" last_error))" \
		ok "$(answer 1 "$out")"
	assert_eq "$dev: the sweep read all of config space" "${#CFG[@]}" \
		"$(grep -o '"cfg_read_ok":[0-9]*' <<<"$dump" | cut -d: -f2)"
	mapfile -t bits < <(grep -o '"cfg_written":\[[0-9,]*\]' <<<"$dump" | grep -o '[0-9][0-9]*')
	assert_eq "$dev: cfg_written dumped" 128 "${#bits[@]}"
	for ((i = 0; i < ${#CFG[@]}; i++)); do
		if ((bits[i / 32] >> (i % 32) & 1)); then
			nw=$((nw + 1))
			[ -z "${PROT[i]:-}" ] || bad+=" $(printf '%#x' "$i")(${PROT[i]})"
		else
			[ -n "${PROT[i]:-}" ] || missing+=" $(printf '%#x' "$i")"
		fi
		[ -z "${PROT[i]:-}" ] || nprot=$((nprot + 1))
	done
	[ -z "$bad" ] || fail "$dev: program wrote protected config bytes:$bad"
	[ -z "$missing" ] || fail "$dev: program could not write unclaimed bytes:$missing"
	echo "    $dev, capabilities${CAPS:- none}: $nprot bytes refused, $nw written ($VBODY in vendor bodies)"
}

# Config writes never reach the header or a capability of edu (MSI), and
# do reach unclaimed space; on virtio-rng (MSI-X and five vendor-specific
# capabilities) they reach the vendor bodies too.
t_cfg_write_sweep() {
	local v=${VMTEST_VIRTIO:-}
	cfg_sweep_check "$A"
	assert_eq "device still sane" 0x10000ed "$(answer 1 "$($OPS "$A" 'rd 0 0 4')")"
	[ -n "$v" ] || fail "no virtio-rng device: VMTEST_VIRTIO unset"
	bind vfmig-pci "$v"
	cfg_sweep_check "$v"
	[ "$VBODY" -gt 0 ] || fail "$v: no vendor-specific capability body"
	bind virtio-pci "$v"
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

# Milliseconds since the epoch.
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# vfmig.wait_for_program_ms (issue 19, item 5).  Set back to 0 after a
# bind, it means no wait: the first open succeeds at once.  While an open
# waits, another device opens.  An unbind ends a waiting open at once
# (within 5 s, not the whole wait of 60 s), with ENODEV.
t_wait_for_program_zero_and_unbind() {
	local out start took pid
	trap 'echo 0 >"$WAIT_PARAM"' EXIT
	echo 10000 >"$WAIT_PARAM"
	rebind_now "$A"
	assert_eq "awaiting after bind" 1 "$(sysattr "$A" awaiting_program)"
	echo 0 >"$WAIT_PARAM"
	start=$(now_ms)
	out=$($OPS "$A" 'rd 0 0 4' 2>&1) || fail "parameter back to 0: open failed: $out"
	took=$(($(now_ms) - start))
	assert_eq "parameter back to 0: opens" 0x10000ed "$(answer 1 "$out")"
	echo "    parameter back to 0: opened in $took ms"

	# Long enough for B's open on the KASAN tier (6 s there).
	echo 60000 >"$WAIT_PARAM"
	rebind_now "$A"
	$OPS "$A" 'rd 0 0 4' >"$TMP/wait.out" 2>&1 &
	pid=$!
	sleep 1
	kill -0 "$pid" 2>/dev/null || fail "the open did not wait: $(cat "$TMP/wait.out")"
	# Another device opens meanwhile (here its own dev_set and group; the
	# wait leaves the dev_set lock to siblings that share one).
	start=$(now_ms)
	out=$($OPS "$B" 'rd 0 0 4' 2>&1) || fail "B's open failed while A waited: $out"
	took=$(($(now_ms) - start))
	echo "    B opened in $took ms while A waited"
	kill -0 "$pid" 2>/dev/null || fail "B's open waited for A's: $took ms"
	start=$(now_ms)
	echo "$A" >"$SYS/$A/driver/unbind"
	wait "$pid" && fail "the open of an unbound device succeeded: $(cat "$TMP/wait.out")"
	took=$(($(now_ms) - start))
	echo "    unbind during a waiting open: open ended and unbind returned in $took ms"
	[ "$took" -lt 5000 ] || fail "unbind and the waiting open took $took ms"
	assert_has "the open fails with ENODEV" "No such device" "$(cat "$TMP/wait.out")"
	echo 0 >"$WAIT_PARAM"
}

# Each callback invocation has its own bpf_vfmig_usleep() budget (issue 19,
# item 6): a save() that waits in a loop ends by its 1 s budget, however
# many dirty reports (each a log_report() call) run meanwhile for 4 s:
# reads of the vfmig region's bitmap in a loop, by another process.
t_budget_per_invocation() {
	local out waits ns err reports idx
	rm -rf "$HP"
	mkdir -p "$HP"
	$ATT -p "$HP" selftests/progs/test_budget.bpf.o "$A" >/dev/null || fail "attach-test test_budget"
	idx=$(answer 1 "$($OPS "$A" 'find 0x8000ffff 1')")
	[[ $idx =~ ^[0-9]+$ ]] || fail "no dirty region: $idx"
	cat >"$TMP/reporter.py" <<-EOF
	import os, time
	fd, end = int(os.environ["VFIO_DEVICE_FD"]), time.monotonic() + 4
	os.pread(fd, 8, ($idx << 40) + 4096)
	open("$TMP/reporting", "w").close()
	while time.monotonic() < end:
	    os.pread(fd, 8, ($idx << 40) + 4096)
	EOF
	out=$($OPS "$A" "dlstart region 4096 1 0 0x10000 0" \
		"sh python3 $TMP/reporter.py 2>$TMP/reporter.err & echo \$! >$TMP/reporter.pid" \
		"sh while [ ! -e $TMP/reporting ]; do sleep 0.05; done" 'mig stop' 'mig stop-copy' "sh kill \$(cat $TMP/reporter.pid)" \
		'mig stop' 'dlstop region' 2>&1)
	assert_eq "log started" "ok page 0x1000" "$(answer 1 "$out")"
	assert_has "save succeeded" "mig stop-copy: " "$out"
	read -r waits ns err reports <<<"$(hvar save_waits save_ns save_err reports)"
	echo "    save waited $waits times, $((ns / 1000000)) ms; $reports reports meanwhile"
	[ -s "$TMP/reporter.err" ] && fail "reporter: $(cat "$TMP/reporter.err")"
	[ "$reports" -gt 1 ] || fail "no dirty reports ran during the save ($reports): $out"
	assert_eq "the save's wait ends with ETIMEDOUT" -110 "$err"
	[ "$ns" -lt 1500000000 ] || fail "save waited $((ns / 1000000)) ms: over its 1 s budget"
	hdetach
}

# The vfmig region's dirty report (issue 19, item 8): the last page below
# 2^64 is reported, and the largest report one read asks for (64 TiB of
# IOVA at 4 KiB) ends at once when its reader is killed; the log then says
# marks may be lost.
t_dirty_region_top_and_kill() {
	local out top=0xffffffffc0000000 idx killed took
	load selftests/progs/test_dirty.bpf.o --bdf "$A"
	out=$($OPS "$A" "dlstart region 0x40000000 1 $top 0x40000000 0" \
		"wr 0 0x100 8 0xfffffffffffff000" \
		"dlreport region $top 0x40000000 0x40000000" \
		"dlreport region $top 0x40000000 0x40000000" 'dlstop region')
	assert_eq "the top GiB logged" "ok page 0x40000000" "$(answer 1 "$out")"
	assert_eq "the last page below 2^64 reported" "$top+0x40000000" "$(answer 3 "$out")"
	assert_eq "then clean" clean "$(answer 4 "$out")"

	idx=$(answer 1 "$($OPS "$A" 'find 0x8000ffff 1')")
	[[ $idx =~ ^[0-9]+$ ]] || fail "no dirty region: $idx"
	# Uninterrupted, the read takes 15.7 s under TCG (one run).
	# The time until the read's loop ended (it then says so in last_error),
	# not until the process is reaped (tearing its mappings down is slow
	# on the KASAN tier).
	cat >"$TMP/kill.sh" <<-EOF
	python3 selftests/vm/dirty_bigread.py $idx $TMP/started >/dev/null &
	pid=\$!
	while [ ! -e $TMP/started ]; do sleep 0.05; done
	sleep 0.2
	start=\$(date +%s%N)
	kill -9 \$pid
	for i in \$(seq 3000); do
		grep -q 'a report was killed' $SYS/$A/vfmig/last_error && break
		sleep 0.01
	done
	echo "killed after \$(((\$(date +%s%N) - start) / 1000000)) ms"
	wait \$pid
	EOF
	killed=$($OPS "$A" "dlstart region 4096 1 0 0x10000 0" "sh sh $TMP/kill.sh" \
		'dlreport region 0 0x10000 4096' 'dlstop region')
	took=$(sed -n 's/^killed after \([0-9]*\) ms$/\1/p' <<<"$killed")
	echo "    killed during the read: gone after $took ms"
	[ -n "$took" ] || fail "no kill: $killed"
	[ "$took" -lt 5000 ] || fail "the killed report ran on for $took ms"
	assert_has "then reports fail" "dlreport: error: Input/output error" "$killed"
	assert_has "saying why" "a report was killed" "$(sysattr "$A" last_error)"
}

# A dirty log started while the program is replaced (issue 19, item 4):
# the log records the generation of the program it started with, read
# with the binding as one, so every report after a replace is either an
# error (marks may be lost) or holds the marks, never a silent miss.
t_dirty_start_racing_replace() {
	local i out start report held=0 refused=0 pid
	load selftests/progs/test_dirty.bpf.o --bdf "$A"
	(for i in $(seq 15); do
		$LOAD replace selftests/progs/test_dirty.bpf.o --bdf "$A" >/dev/null 2>&1 || exit 1
	done) &
	pid=$!
	for i in $(seq 15); do
		out=$($OPS "$A" "dlstart region 4096 1 0x100000 0x10000 0" \
			"wr 0 0x100 8 0x105000" "dlreport region 0x100000 0x10000 4096" \
			'dlstop region')
		start=$(answer 1 "$out") report=$(answer 3 "$out")
		[ "$start" = "ok page 0x1000" ] || fail "start $i: $start"
		case $report in
		0x105000+0x1000) held=$((held + 1)) ;;
		"error: Input/output error") refused=$((refused + 1)) ;;
		*) fail "report $i after a start racing a replace: $report" ;;
		esac
	done
	wait "$pid" || fail "replacing test_dirty failed"
	echo "    15 reports: $held held the mark, $refused said marks may be lost"
	assert_has "replaced" "replaced test_dirty" "$(dmesg | tail -n 40)"
}

# rmmod, giving the BPF core the RCU grace periods after which it frees
# the last struct_ops maps and drops their module references.
rmmod_vfmig() {
	local i
	# The PF channel's provider uses vfmig's symbols.
	[ -d /sys/module/vfmig_igb_pf ] && rmmod vfmig_igb_pf
	for i in $(seq 100); do
		rmmod vfmig 2>/dev/null && return
		sleep 0.1
	done
	return 1
}

# Nothing in the kernel log since boot: the suite ends with it.
t_dmesg_clean() {
	local bad
	bad=$(dmesg | grep -E 'WARNING:|BUG:|Oops|Call Trace|UBSAN|KASAN|refcount_t|general protection' || true)
	[ -z "$bad" ] || fail "kernel complained: $bad"
}
