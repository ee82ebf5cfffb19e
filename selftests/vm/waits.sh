# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# Waits that end: an open waiting for a program (vfmig.wait_for_program_ms)
# ends at an unbind and leaves other devices alone, and each callback
# invocation has its own sleep budget.  Sourced by tests.sh; listed in
# manifest.sh (WAIT_TESTS).

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
