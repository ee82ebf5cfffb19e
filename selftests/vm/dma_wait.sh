# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# The kfuncs a NIC program needed, tested on edu with
# selftests/progs/test_wait_dma.bpf.o: bpf_vfmig_dma_read() (memory as the device sees
# it) and bpf_vfmig_usleep() (bounded waits); with selftests/progs/test_poll.bpf.o:
# bpf_vfmig_bar_poll(), a declared wait budget and bpf_vfmig_log().
# Sourced by tests.sh; attaches with lib.sh's raw-libbpf helpers; listed
# in manifest.sh.

WD=selftests/progs/test_wait_dma.bpf.o

wdattach() {
	rm -rf "$HP"
	mkdir -p "$HP"
	$ATT -p "$HP" "$WD" "$A" || fail "attach-test $WD"
}

# From a region hook: the bytes the device sees, across a page boundary,
# and refusals for what it does not map, a wrapping range and bad sizes.
t_dma_read_sees_device_memory() {
	local out
	wdattach >/dev/null
	out=$($OPS "$A" 'map 0x100000 0x10000' 'fill 0x100000 0x1000 0x11' \
		'fill 0x101000 0x1000 0x22' \
		'wr 0 0x100 8 0x100ffc' 'rd 0 0x100 8' \
		'wr 0 0x100 8 0x100000' 'rd 0 0x100 8' \
		'wr 0 0x100 8 0x200000' 'rd 0 0x100 8' \
		'wr 0 0x100 8 0x10fffc' 'rd 0 0x100 8' \
		'wr 0 0x100 8 0xfffffffffffffffc' 'rd 0 0x100 8' \
		'wr 0 0x100 8 0x100000' \
		'wr 0 0x108 8 1' 'rd 0 0x108 8' \
		'wr 0 0x108 8 0x10008' 'rd 0 0x108 8' \
		'wr 0 0x100 8 0x101000' 'wr 0 0x108 8 1' 'rd 0 0x108 8')
	assert_eq "across a page" 0x2222222211111111 "$(answer 5 "$out")"
	assert_eq "first page" 0x1111111111111111 "$(answer 7 "$out")"
	assert_eq "unmapped" "error: EFAULT" "$(answer 9 "$out")"
	assert_eq "half mapped" "error: EFAULT" "$(answer 11 "$out")"
	assert_eq "wrapping" "error: EINVAL" "$(answer 13 "$out")"
	assert_eq "64 KiB at once" 0x0 "$(answer 16 "$out")"
	assert_eq "past VFMIG_MAX_DMA_READ" "0x$(printf '%x' $((-22 & 0xffffffffffffffff)))" \
		"$(answer 18 "$out")"
	assert_eq "64 KiB, the last page unmapped" "0x$(printf '%x' $((-14 & 0xffffffffffffffff)))" \
		"$(answer 21 "$out")"
	hdetach
}

# Guest RAM on huge pages (QEMU madvises its RAM huge; hugetlbfs backs it
# on request): every offset of a 2 MiB THP and of a hugetlb page reads
# right, within a 4 KiB page, across 4 KiB and across two huge pages.
t_dma_read_huge_pages() {
	local out kind base i
	local -a offs=(0 0x1000 0x100ffc 0x1ffff8 0x1ffffc 0x3ffff8)
	local -a want=(0x3333333333333333 0x3333333333333333 0x3333333333333333
		       0x3333333333333333 0x4444444433333333 0x4444444444444444)
	echo 8 >/proc/sys/vm/nr_hugepages
	wdattach >/dev/null
	for kind in thp hugetlb; do
		base=$([ $kind = thp ] && echo 0x200000 || echo 0x800000)
		local ops=("map $base 0x400000 $kind" "fill $base 0x200000 0x33"
			   "fill $((base + 0x200000)) 0x200000 0x44")
		for i in "${offs[@]}"; do
			ops+=("wr 0 0x100 8 $((base + i))" "rd 0 0x100 8")
		done
		out=$($OPS "$A" "${ops[@]}")
		case $kind in
		thp) assert_has "THP backs the mapping" "AnonHugePages 4096 kB" "$(answer 1 "$out")" ;;
		*) assert_eq "hugetlb mapping" ok "$(answer 1 "$out")" ;;
		esac
		for i in "${!offs[@]}"; do
			assert_eq "$kind +${offs[i]}" "${want[i]}" "$(answer $((5 + 2 * i)) "$out")"
		done
	done
	echo 0 >/proc/sys/vm/nr_hugepages
	hdetach
}

# A mapping unmapped and mapped again while a hook reads it: each read
# sees the memory or fails cleanly (KASAN's tier checks no freed page or
# page table is read).
t_dma_read_races_unmap() {
	local out
	wdattach >/dev/null
	out=$($OPS "$A" 'dmarace 0x400000 2000')
	echo "    $out"
	assert_has "the race ran" "2000 cycles" "$out"
	assert_has "no read saw other bytes" " 0 saw other bytes" "$out"
	hdetach
}

# A program that waits in a loop is stopped by the budget: about
# VFMIG_MAX_WAIT_MS of waiting, then -ETIMEDOUT, and the arc completes.
t_usleep_bounded() {
	local out start ms waits ns
	wdattach >/dev/null
	start=$(date +%s%N)
	out=$($OPS "$A" 'mig stop' mstate)
	ms=$((($(date +%s%N) - start) / 1000000))
	assert_eq "arc done" "ok stop" "$(answer 1 "$out") $(answer 2 "$out")"
	read -r waits ns <<<"$(hvar waits wait_ns)"
	assert_eq "errors: budget spent, 0 us, too long" "-110 -22 -22" \
		"$(hvar wait_err zero_err long_err)"
	{ [ "$waits" -ge 50 ] && [ "$waits" -le 100 ]; } ||
		fail "$waits waits of 10 ms in a 1 s budget"
	# The budget starts before the program's clock does: 1 s minus that.
	{ [ "$ns" -ge 990000000 ] && [ "$ns" -lt 3000000000 ]; } ||
		fail "waited $ns ns for a 1 s budget"
	[ "$ms" -lt 10000 ] || fail "the arc took $ms ms"
	echo "    $waits waits, $((ns / 1000000)) ms in set_state, $ms ms for the ioctl"
	hdetach
}

TP=selftests/progs/test_poll.bpf.o

tpattach() { pin_attach "$HP" "$TP" "$@"; }

# bpf_vfmig_bar_poll() (issue 22): hostile arguments refused at once; a
# condition that becomes true (edu runs a DMA 100 ms after it starts); a
# 50 ms timeout; a u32 timeout cut by the program's declared 400 ms budget
# (not the 1 s default).  The verifier refuses the poll in a non-sleepable
# hook; the kernel (at attach) and vfmig-load (before) refuse a budget
# above the ceiling.
t_bar_poll() {
	local out hostile started done_err done_ns last short_err short_ns \
		short_last long_err total_ns mark
	tpattach >/dev/null
	out=$($OPS "$A" 'map 0x100000 0x10000' 'mig stop' mstate)
	assert_eq "arc done" "ok stop" "$(answer 2 "$out") $(answer 3 "$out")"
	hostile=$(bpftool -j map dump pinned "$HP/bss" | grep -o '"hostile":\[[^]]*\]')
	assert_eq "hostile: past the BAR, unaligned, wrapping, BAR 6, BAR ~0, empty BAR, value > mask; then mask 0" \
		'"hostile":[-22,-22,-22,-22,-22,-22,-22,0]' "$hostile"
	read -r started done_err done_ns last <<<"$(hvar started done_err done_ns done_last)"
	assert_eq "DMA running when the poll began, then done" "1 0 0" \
		"$started $done_err $((last & 1))"
	read -r short_err short_ns short_last long_err total_ns <<<"$(hvar short_err \
		short_ns short_last long_err total_ns)"
	echo "    DMA done after $((done_ns / 1000000)) ms; 50 ms timeout in $((short_ns / 1000000)) ms; set_state $((total_ns / 1000000)) ms for a 400 ms budget"
	{ [ "$done_ns" -ge 10000000 ] && [ "$done_ns" -lt 2000000000 ]; } ||
		fail "the DMA poll took $done_ns ns"
	assert_eq "50 ms: timed out, the register's value kept" "-110 $((0x010000ed))" \
		"$short_err $short_last"
	{ [ "$short_ns" -ge 50000000 ] && [ "$short_ns" -lt 300000000 ]; } ||
		fail "a 50 ms poll took $short_ns ns"
	assert_eq "u32 timeout: cut by the budget" -110 "$long_err"
	{ [ "$total_ns" -ge 380000000 ] && [ "$total_ns" -lt 700000000 ]; } ||
		fail "set_state waited $total_ns ns with a 400 ms budget"
	hdetach

	out=$($ATT selftests/progs/test_bad_poll.bpf.o "$A")
	assert_has "poll from a non-sleepable hook refused by the verifier" "load: error:" "$out"
	mark=$(($(dmesg | wc -l) + 1))
	assert_eq "budget above the ceiling" "attach: error: EINVAL" \
		"$($ATT "$TP" "$A" ops.wait_budget_ms=10001)"
	assert_eq "budget 2^32-1" "attach: error: EINVAL" \
		"$($ATT "$TP" "$A" ops.wait_budget_ms=4294967295)"
	assert_has "the kernel says why" "wait_budget_ms 10001 is above the kernel's 10000" \
		"$(dmesg | tail -n +"$mark")"
	assert_eq "budget at the ceiling" "attach: ok" "$($ATT "$TP" "$A" ops.wait_budget_ms=10000)"
	out=$($LOAD selftests/progs/test_bad_budget.bpf.o --bdf "$A" 2>&1) && fail "vfmig-load took a 1 h budget"
	assert_has "vfmig-load names the ceiling" "allows at most 10000 ms" "$out"
}

# bpf_vfmig_log() (issue 22): 1000 messages from a non-sleepable hook put
# at most VFMIG_LOG_BURST (10) lines a device in the kernel log every 5 s,
# named by the device (20: the attach may fall in the window before); sysfs keeps the
# last 16, vfmig-load status shows the last 5; a message with no NUL and
# bytes that are not printable is cut and cleaned.
t_log_rate_limited() {
	local out mark lines
	mark=$(($(dmesg | wc -l) + 1))
	tpattach log_count=1000 >/dev/null
	out=$($OPS "$A" 'rd 0 0x100 8' 'rd 0 0x100 8' 'map 0x100000 0x10000' 'mig stop')
	assert_eq "1000 then 2000 messages" "0x3e8 0x7d0" "$(answer 1 "$out") $(answer 2 "$out")"
	lines=$(dmesg | tail -n +"$mark" | grep -c "program test_poll: ")
	echo "    2001 messages, $lines in the kernel log"
	{ [ "$lines" -ge 2 ] && [ "$lines" -le 20 ]; } || fail "$lines kernel log lines for 2001 messages"
	assert_has "named by the device" "$A: program test_poll: init on $A" \
		"$(dmesg | tail -n +"$mark")"
	out=$(sysattr "$A" messages | sed 's/^[0-9]* //')
	assert_eq "16 kept" 16 "$(wc -l <<<"$out")"
	assert_eq "the last two" "test_poll: msg 999" "$(sed -n 15p <<<"$out")"
	assert_eq "cut at 127 bytes, cleaned" "test_poll: AAA??$(printf 'A%.0s' $(seq 122))" \
		"$(sed -n 16p <<<"$out")"
	out=$($LOAD status --bdf "$A")
	assert_has "status shows the last" "test_poll: AAA??AAA" "$out"
	assert_has "and the ones before" "test_poll: msg 996" "$out"
	[[ $out == *"msg 995"* ]] && fail "status shows more than 5: $out"
	hdetach
}

TH=selftests/progs/test_hold.bpf.o
TR=/sys/kernel/tracing

thattach() {
	rm -rf "$HP"
	mkdir -p "$HP"
	$ATT -p "$HP" "$TH" "$A" "$@" >/dev/null || fail "attach-test $TH"
}

# What test_hold's hooks saw in each phase: "before held after late".
thseen() {
	bpftool -j map dump pinned "$HP/bss" | grep -o '"seen":\[[^]]*\]' |
		tr -d '"sen:[]' | awk -F, '{ print $1, $2, $3, $4 }'
}

# vfio-ops hammering BAR 0 (stress-start: 0x0, 0x4, 0x8, 0x80, all
# trapped) while test_hold's RUNNING -> STOP holds the accesses, then
# whatever else is asked ("$@").
thrun() {
	$OPS "$A" stress-start 'sleep 200' "$@" 'mig stop' stress-stop
}

# bpf_vfmig_hold_accesses() (issue 22): while set_state holds trapped
# accesses for 200 ms, the hooks see none of the hammer's, which goes on
# after the release, without an error; a second hold is a no-op, a second
# release finds nothing.  The tracepoints show the arc, the callback with
# its return and duration, the hold, the release and a refusal, and a
# region hook once its events are let through.
t_hold_accesses() {
	local out trace before held after ns
	thattach
	echo >"$TR/trace"
	echo 'cb != "region_read" && cb != "region_write"' \
		>"$TR/events/vfmig/vfmig_callback/filter"
	echo 1 >"$TR/events/vfmig/enable"
	out=$(thrun)
	out+=$'\n'$($OPS "$A" mstate 'mig resuming' mstate \
		"sh echo 0 >$TR/events/vfmig/vfmig_callback/filter" 'rd 0 0x80 4' \
		'mig running')
	echo 0 >"$TR/events/vfmig/enable"
	trace=$(grep -o 'vfmig_[a-z]*: .*' "$TR/trace")
	read -r before held after _ <<<"$(thseen)"
	echo "    hooks saw $before before, $held held, $after after the release"
	assert_has "the arc" "mig stop: ok" "$out"
	assert_has "no access failed" " errors 0 " "$out"
	assert_eq "hold, again, release, again" "0 0 0 -2" \
		"$(hvar hold_err again_err release_err release_again_err)"
	{ [ "$before" -gt 0 ] && [ "$after" -gt 0 ]; } ||
		fail "the hammer did not run: $before before, $after after"
	assert_eq "no access while held" 0 "$held"
	assert_has "refused" "mig resuming: error: ENOSPC" "$out"
	assert_eq "kept in stop" "mstate: stop" "$(grep -A1 'mig resuming' <<<"$out" | tail -1)"
	assert_has "trace: the arc" "vfmig_state: $A running -> stop" "$trace"
	assert_has "trace: held" "vfmig_hold: $A hold ret=0 " "$trace"
	assert_has "trace: released" "vfmig_hold: $A release ret=0 " "$trace"
	assert_has "trace: the refusal" \
		"vfmig_refuse: $A test_hold refused stop -> resuming err=-28" "$trace"
	assert_has "trace: a region hook" "vfmig_callback: $A test_hold region_read ret=1 ns=" \
		"$trace"
	assert_has "trace: back" "vfmig_state: $A stop -> running" "$trace"
	ns=$(grep -o "vfmig_callback: $A test_hold set_state ret=0 ns=[0-9]*" <<<"$trace" |
		head -1 | sed 's/.*ns=//')
	{ [ "${ns:-0}" -ge 300000000 ] && [ "$ns" -lt 5000000000 ]; } ||
		fail "trace: set_state took ${ns:-no} ns, held 300 ms: $trace"
	hdetach
}

# A program that never releases: the hold ends by itself when its 500 ms
# budget is spent, while the callback still runs (it spins until a hook
# sees an access, which it would never do if the hold lasted until the
# callback's end).
t_hold_ends_at_budget() {
	local out held late hold_ns
	thattach mode=1 ops.wait_budget_ms=500
	out=$(thrun)
	read -r _ held _ late <<<"$(thseen)"
	read -r hold_ns <<<"$(hvar hold_ns)"
	echo "    held for $((hold_ns / 1000000)) ms; $late accesses after the budget"
	assert_has "the arc" "mig stop: ok" "$out"
	assert_has "no access failed" " errors 0 " "$out"
	assert_eq "no access while held" 0 "$held"
	assert_eq "budget spent" -110 "$(hvar sleep_err)"
	[ "$late" -gt 0 ] || fail "no access went on after the budget: $out"
	{ [ "$hold_ns" -ge 450000000 ] && [ "$hold_ns" -lt 3000000000 ]; } ||
		fail "held $hold_ns ns with a 500 ms budget"
	hdetach
}

# A detach during a hold lets the waiting accesses go on, though the
# callback still runs (5 s budget; the detach comes after about 0.6 s).
t_hold_detach_releases() {
	local out held late hold_ns
	thattach mode=2 ops.wait_budget_ms=5000
	out=$(thrun "sh (sleep 0.6; rm -f $HP/link) &")
	read -r _ held _ late <<<"$(thseen)"
	read -r hold_ns <<<"$(hvar hold_ns)"
	echo "    held for $((hold_ns / 1000000)) ms; $late accesses after the detach"
	assert_has "the arc" "mig stop: ok" "$out"
	assert_has "no access failed" " errors 0 " "$out"
	assert_eq "no access while held" 0 "$held"
	assert_eq "detached" -19 "$(hvar sleep_err)"
	[ "$late" -gt 0 ] || fail "no access went on after the detach: $out"
	[ "$hold_ns" -lt 4500000000 ] || fail "held $hold_ns ns: the detach did not end it"
	hdetach
}
