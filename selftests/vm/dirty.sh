# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# DMA dirty logging: edu's DMA reported as exactly the pages it wrote,
# through the uAPI and the vfmig region, edge cases, concurrent marks and
# programs gone.  Sourced by tests.sh; listed in manifest.sh (DIRTY_TESTS).

# An edu transfer to RAM is logged as exactly the pages it wrote.
t_dirty_edu_dma_reported() {
	local out via ops answers=() rep="dlreport VIA $IOVA 0x10000 4096"
	load bpf/edu.bpf.o --bdf "$A"
	for via in $(log_ways); do
		mapfile -t ops < <(printf '%s\n' "map $IOVA 0x10000" "fill 0x10f000 0x1000 0x5a" \
			"dlstart $via 4096 1 $IOVA 0x10000 0"
			edu_dma 0x10f000 "$EDU_DMA_BUF" 0x1000 1
			echo "${rep/VIA/$via}"
			# 4 KiB to 0x101800: pages 0x101000 and 0x102000.
			edu_dma "$EDU_DMA_BUF" 0x101800 0x1000 3
			printf '%s\n' "${rep/VIA/$via}" "${rep/VIA/$via}" \
				"buf 0x1017fe 4" "buf 0x1027fe 4" "dlstop $via")
		out=$($OPS "$A" "${ops[@]}" | grep -E '^(dl|buf|poll)')
		assert_eq "$via: started" "ok page 0x1000" "$(answer 1 "$out")"
		assert_eq "$via: transfer from RAM done" ok "$(answer 2 "$out")"
		assert_eq "$via: reading RAM dirties nothing" clean "$(answer 3 "$out")"
		assert_eq "$via: transfer to RAM done" ok "$(answer 4 "$out")"
		assert_eq "$via: exactly the pages written" "0x101000+0x2000" "$(answer 5 "$out")"
		assert_eq "$via: second report" clean "$(answer 6 "$out")"
		assert_eq "$via: the transfer landed" 00005a5a "$(answer 7 "$out")"
		assert_eq "$via: and ended there" 5a5a0000 "$(answer 8 "$out")"
		assert_eq "$via: stopped" ok "$(answer 9 "$out")"
		assert_eq "$via: pages marked, in sysfs" 4 "$(sysattr "$A" dirty_marked)"
		answers+=("$out")
	done
	# Where the kernel has both ways, they give the same answers.
	[ ${#answers[@]} -eq 1 ] || assert_eq "uapi vs region" "${answers[0]}" "${answers[1]}"
}

# vfmig-ctl dirty on a device another process holds open (--fd).
t_dirty_vfmig_ctl() {
	# shellcheck disable=SC2016 # expanded by the shell vfio-ops runs
	local out fd='--fd $VFIO_DEVICE_FD'
	local -A way=([uapi]='VFIO uAPI' [region]='vfmig region')
	load bpf/edu.bpf.o --bdf "$A"
	assert_has "features" "dirty tracking: dma-logging (${way[$(log_ways | cut -d' ' -f1)]}" \
		"$($CTL features --bdf "$A")"
	mapfile -t ops < <(echo "map $IOVA 0x10000"
		echo "sh $CTL dirty start $fd --range $IOVA:0x10000"
		echo "sh $CTL dirty start $fd --range $IOVA:0x10000"
		edu_dma "$EDU_DMA_BUF" 0x10a000 0x10 3
		echo "sh $CTL dirty report $fd --range $IOVA:0x10000"
		echo "sh $CTL dirty report $fd --range $IOVA:0x10000 --via region"
		echo "sh $CTL dirty status $fd --via region"
		echo "sh $CTL dirty stop $fd")
	out=$($OPS "$A" "${ops[@]}" 2>&1)
	assert_has "start" "started: 1 range, page size 4096, via $(log_ways | cut -d' ' -f1)" "$out"
	assert_has "second start refused" "DMA logging already started: stop it first" "$out"
	assert_has "the page" $'0x10a000 0x1000\ndirty: 1 page of 4096 bytes\nsh: exit 0' "$out"
	assert_has "then clean" $'dirty: 0 pages of 4096 bytes' "$out"
	assert_has "status" $'running: yes\npage size: 4096\nranges: 1' "$out"
	assert_has "stop" "stopped" "$out"
	out=$($CTL dirty status --bdf "$A" --via region)
	assert_has "closing the device stopped it" "running: no" "$out"
	load unload --bdf "$A" >/dev/null
	load selftests/progs/test_region.bpf.o --bdf "$A"
	out=$($CTL dirty status --bdf "$A" 2>&1) && fail "status without a logging program"
	assert_has "no logging without the flag" "VFMIG_F_DIRTY_LOG" "$out"
}

dirty_stats() { bpftool -j map dump pinned "$(pindir "$A")/dirty_stats"; }

# Set what selftests/progs/test_dirty.bpf.o's "hardware tracker" logged, or its failures.
dirty_hw() {	# dirty_hw IOVA LENGTH FAIL_START FAIL_REPORT
	# shellcheck disable=SC2046
	bpftool map update pinned "$(pindir "$A")/dirty_hw" key hex 00 00 00 00 \
		value hex $(le_hex 8 "$1") $(le_hex 8 "$2") $(le_hex 4 "$3") $(le_hex 4 "$4") ||
		fail "configure test_dirty"
}

# DMA logging start/stop/report rules, as the VFIO uAPI states them.
t_dirty_log_edge_cases() {
	local out via
	load selftests/progs/test_dirty.bpf.o --bdf "$A"
	for via in $(log_ways); do
		out=$($OPS "$A" "dlstop $via" "dlreport $via 0 0x10000 4096" \
			"dlstart $via 4096 0 $IOVA 0x1000 0" \
			"dlstart $via 4096 1 0x100800 0x1000 0" \
			"dlstart $via 4096 2 $IOVA 0x2000 0x1000" \
			"dlstart $via 4096 257 0 0x1000 0x2000" \
			"dlstart $via 4096 1 0 0x100000000000000 0" \
			"dlstart $via 4096 1 0 0 0" \
			"dlstart $via 512 1 $IOVA 0x10000 0" \
			"dlstart $via 4096 1 $IOVA 0x10000 0" \
			"wr 0 0x100 8 0x105000" "wr 0 0x100 8 0x90000" \
			"dlreport $via $IOVA 0x10000 4096" "dlstop $via" "dlstop $via" \
			"dlstart $via 0x200000 2 0 0x400000 0x800000" \
			"wr 0 0x100 8 0x9ff000" "dlreport $via 0 0x1000000 4096" \
			"dlreport $via 0x800000 0x400000 0x400000" "dlstop $via")
		assert_eq "$via: stop without start" ok "$(answer 1 "$out")"
		assert_has "$via: report without start" "error: " "$(answer 2 "$out")"
		assert_eq "$via: no ranges" "error: Invalid argument" "$(answer 3 "$out")"
		assert_eq "$via: unaligned" "error: Invalid argument" "$(answer 4 "$out")"
		assert_eq "$via: overlapping" "error: Invalid argument" "$(answer 5 "$out")"
		assert_eq "$via: 257 ranges" "error: Argument list too long" "$(answer 6 "$out")"
		assert_eq "$via: bitmap over max_dirty_mb" "error: File too large" \
			"$(answer 7 "$out")"
		assert_eq "$via: empty range" "error: Invalid argument" "$(answer 8 "$out")"
		assert_eq "$via: 512-byte pages are 4 KiB" "ok page 0x1000" "$(answer 9 "$out")"
		assert_eq "$via: second start" "error: Device or resource busy" \
			"$(answer 10 "$out")"
		assert_eq "$via: marked inside, outside ignored" "0x105000+0x1000" \
			"$(answer 13 "$out")"
		assert_eq "$via: stop" ok "$(answer 14 "$out")"
		assert_eq "$via: stop again" ok "$(answer 15 "$out")"
		assert_eq "$via: 2 MiB pages" "ok page 0x200000" "$(answer 16 "$out")"
		assert_eq "$via: one 2 MiB page, reported in 4 KiB bits" \
			"0x800000+0x200000" "$(answer 18 "$out")"
		assert_eq "$via: reported once" clean "$(answer 19 "$out")"
	done
	# The callbacks: one log_start per range, the hardware log reported.
	load unload --bdf "$A" >/dev/null
	load selftests/progs/test_dirty.bpf.o --bdf "$A"
	out=$($OPS "$A" "dlstart auto 4096 3 0 0x1000 0x10000" \
		"sh bpftool map update pinned $(pindir "$A")/dirty_hw key hex 00 00 00 00 value hex $(le_hex 8 0x1f000) $(le_hex 8 0x3000) 00 00 00 00 00 00 00 00" \
		"dlreport auto 0 0x40000 4096" "dlreport auto 0 0x40000 4096" "dlstop auto")
	assert_has "the hardware log, where logged" "dlreport: 0x20000+0x1000" "$out"
	assert_has "then clean" "dlreport: clean" "$out"
	out=$(dirty_stats)
	assert_has "log_start per range, page size" '"page_size":4096,"logged":12288' "$out"
	dirty_hw 0 0 1 0
	out=$($OPS "$A" "dlstart auto 4096 1 0 0x1000 0")
	assert_eq "log_start fails the start" "error: Operation not supported" \
		"$(answer 1 "$out")"
	assert_has "and says why" "log_start failed" "$(sysattr "$A" last_error)"
	dirty_hw 0 0 0 1
	out=$($OPS "$A" "dlstart auto 4096 1 0 0x1000 0" "dlreport auto 0 0x1000 4096" \
		"sh bpftool map update pinned $(pindir "$A")/dirty_hw key hex 00 00 00 00 value hex $(le_hex 24 0)" \
		"dlreport auto 0 0x1000 4096" "dlstop auto" "dlstart auto 4096 1 0 0x1000 0" \
		"dlreport auto 0 0x1000 4096")
	assert_eq "log_report fails the report" "error: Input/output error" "$(answer 2 "$out")"
	assert_has "and says why" "log_report failed: -5" "$(dmesg | tail -n 5)"
	assert_eq "the log stays lost until stopped" "error: Input/output error" \
		"$(answer 4 "$out")"
	assert_eq "a new log works" clean "$(answer 7 "$out")"
}

# Marks racing reports: every page reported exactly once.
t_dirty_concurrent_marks_lose_nothing() {
	local out via
	load selftests/progs/test_dirty.bpf.o --bdf "$A"
	for via in $(log_ways); do
		out=$($OPS "$A" "dlstart $via 4096 1 0x10000000 0x2000000 0" \
			"dlrace $via 0x10000000 8192" "dlstop $via")
		assert_eq "$via: nothing missed or doubled" \
			"pages 8192 missing 0 doubled 0" "$(answer 2 "$out" | cut -d' ' -f1-6)"
		[ "$(answer 2 "$out" | cut -d' ' -f8)" -gt 0 ] ||
			fail "$via: no report ran while marking: $(answer 2 "$out")"
	done
}

# A region read that faults part-way returns what it copied; the pages of
# the chunk that faulted and of the chunks never reached (their groups of
# 4096 pages already moved aside for the report) come in later reports,
# also when the next one starts inside such a group.
t_dirty_region_read_fault_loses_nothing() {
	local out
	load selftests/progs/test_dirty.bpf.o --bdf "$A"
	# 6 GiB at 4 KiB: a 192 KiB bitmap, three of the region's 64 KiB
	# chunks.  Pages 1196100 and 1200000 share a group; 1198080 is between.
	out=$($OPS "$A" "dlstart region 4096 1 0 0x180000000 0" \
		"wr 0 0x100 8 0x5000" "wr 0 0x100 8 0x927c0000" "wr 0 0x100 8 0x124044000" \
		"wr 0 0x100 8 0x124f80000" "dlfault 0 0x180000000" \
		"dlreport region 0x124800000 0x5b800000 4096" \
		"dlreport region 0 0x180000000 4096" \
		"dlreport region 0 0x180000000 4096" "dlstop region")
	assert_eq "the read stops at the fault, with the first chunk" \
		"read 65536: 0x5000" "$(answer 6 "$out")"
	assert_eq "a report from inside the group" "0x124f80000+0x1000" "$(answer 7 "$out")"
	assert_eq "the rest next" "0x927c0000+0x1000 0x124044000+0x1000" "$(answer 8 "$out")"
	assert_eq "and once" clean "$(answer 9 "$out")"
}

# A program that stops while logging: reports fail rather than miss pages.
t_dirty_program_gone_fails_reports() {
	local out
	load selftests/progs/test_dirty.bpf.o --bdf "$A"
	out=$($OPS "$A" "dlstart auto 4096 1 0 0x10000 0" "wr 0 0x100 8 0x3000" \
		"sh $LOAD unload --bdf $A >/dev/null" "dlreport auto 0 0x10000 4096" \
		"dlreport auto 0 0x10000 4096" "dlstop auto" "wr 0 0x100 8 0x3000" \
		"dlstart auto 4096 1 0 0x10000 0")
	assert_eq "report after detach" "error: Input/output error" "$(answer 4 "$out")"
	assert_eq "and every report until stopped" "error: Input/output error" \
		"$(answer 5 "$out")"
	assert_has "the log says why" "marks may be lost" "$(dmesg | tail -n 20)"
	assert_eq "stop still works" ok "$(answer 6 "$out")"
	assert_eq "the device is plain vfio-pci again" "wr 0 0x100 8: ok" "$(sed -n 7p <<<"$out")"
	assert_eq "no start without a logging program" "error: No such device" \
		"$(answer 8 "$out")"
	assert_has "sysfs says why" "attach one with VFMIG_F_DIRTY_LOG" "$(sysattr "$A" last_error)"
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
