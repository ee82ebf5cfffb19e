# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# What an operator does to a running device: replace its program in one
# step.  Sourced by tests.sh; listed in OPERATOR_TESTS.

# While a reader hammers a trapped register, the program flips between
# test_region (which answers 0xfeedf00d there) and edu (which passes it
# to the device: 0x10000ed): every read gets one of the two, never an
# error.
t_replace_under_load() {
	local reads=() i out bad n_region n_edu
	out=$($LOAD replace bpf/edu.bpf.o --bdf "$A" 2>&1) && fail "replace with nothing attached"
	assert_has "says what to do" "runs no program to replace" "$out"
	load bpf/test_region.bpf.o --bdf "$A" >/dev/null
	for i in $(seq 200); do reads+=('rd 0 0 4'); done
	rm -f "$TMP/stop"
	(while [ ! -e "$TMP/stop" ]; do $OPS "$A" "${reads[@]}"; done) >"$TMP/reads" &
	for i in $(seq 5); do
		$LOAD replace bpf/edu.bpf.o --bdf "$A" >/dev/null || fail "replace $i with edu"
		assert_eq "edu serves" edu "$(sysattr "$A" program)"
		$LOAD replace bpf/test_region.bpf.o --bdf "$A" >/dev/null ||
			fail "replace $i with test_region"
	done
	touch "$TMP/stop"
	wait
	bad=$(grep -v -e ': 0xfeedf00d$' -e ': 0x10000ed$' "$TMP/reads" | head -3)
	[ -z "$bad" ] || fail "reads served by neither program: $bad"
	n_region=$(grep -c ': 0xfeedf00d$' "$TMP/reads")
	n_edu=$(grep -c ': 0x10000ed$' "$TMP/reads")
	echo "    reads: $n_region answered by test_region, $n_edu passed by edu"
	[ "$n_region" -gt 0 ] && [ "$n_edu" -gt 0 ] || fail "the reads did not overlap both programs"
	assert_eq "test_region serves" test_region "$(sysattr "$A" program)"
	assert_eq "its answer" 0xfeedf00d "$(answer 1 "$($OPS "$A" 'rd 0 0 4')")"

	out=$($LOAD replace bpf/edu.bpf.o --bdf "$A") || fail "replace with edu"
	assert_eq "says so" "replaced test_region with edu on $A" "$out"
	[ -e "$(pindir "$A")/edu_shadow" ] || fail "edu's maps not pinned"
	out=$($LOAD replace bpf/igbvf.bpf.o --bdf "$A" 2>&1) && fail "replaced with igbvf"
	assert_has "ids checked" "serves 8086:10ca only" "$out"
	assert_eq "edu still serves" edu "$(sysattr "$A" program)"
	load unload --bdf "$A" >/dev/null
	[ ! -e "$(pindir "$A")" ] || fail "pins left: $(ls "$(pindir "$A")")"
	load bpf/edu.bpf.o --bdf "$A" >/dev/null
}

# A stream straight from one device to another, as over ssh: save to
# stdout, restore from stdin; a cut stream is refused and loses nothing.
t_ctl_stream_through_a_pipe() {
	local a before out
	load bpf/edu.bpf.o --bdf "$A" >/dev/null
	load bpf/edu.bpf.o --bdf "$B" >/dev/null
	$OPS "$A" 'wr 0 4 4 0x3c3c' 'wr 0 0x80 8 0x50000' >/dev/null
	$OPS "$B" 'wr 0 4 4 0x1111' >/dev/null
	a=$(edu_regs "$A")
	before=$(edu_regs "$B")
	out=$($CTL save --bdf "$A" -o - | head -c 60 | $CTL restore --bdf "$B" -i - 2>&1) &&
		fail "a cut stream was taken"
	assert_has "why" "refused the stream" "$out"
	assert_eq "B unchanged" "$before" "$(edu_regs "$B")"
	$CTL save --bdf "$A" -o - | $CTL restore --bdf "$B" -i - >/dev/null ||
		fail "save | restore"
	assert_eq "B has A's state" "$a" "$(edu_regs "$B")"
}

OPERATOR_TESTS=(t_replace_under_load t_ctl_stream_through_a_pipe)
