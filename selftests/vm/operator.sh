# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# What an operator does to a running device: replace its program in one
# step.  Sourced by tests.sh; listed in OPERATOR_TESTS.

# While a reader hammers a trapped register, the program flips between
# test_region (which answers 0xfeedf00d there) and edu (which passes it
# to the device: 0x10000ed): every read gets one of the two.
t_replace_under_load() {
	local reads=() i out bad
	out=$($LOAD replace bpf/edu.bpf.o --bdf "$A" 2>&1) && fail "replace with nothing attached"
	assert_has "says what to do" "runs no program to replace" "$out"
	load bpf/test_region.bpf.o --bdf "$A" >/dev/null
	for i in $(seq 3000); do reads+=('rd 0 0 4'); done
	$OPS "$A" "${reads[@]}" >"$TMP/reads" &
	for i in $(seq 5); do
		$LOAD replace bpf/edu.bpf.o --bdf "$A" >/dev/null || fail "replace $i with edu"
		assert_eq "edu serves" edu "$(sysattr "$A" program)"
		$LOAD replace bpf/test_region.bpf.o --bdf "$A" >/dev/null ||
			fail "replace $i with test_region"
	done
	wait
	assert_eq "all reads done" 3000 "$(grep -c '^rd 0 0x0 4: ' "$TMP/reads")"
	bad=$(grep -v -e ': 0xfeedf00d$' -e ': 0x10000ed$' "$TMP/reads" | head -3)
	[ -z "$bad" ] || fail "reads served by neither program: $bad"
	echo "    reads: $(grep -c ': 0xfeedf00d$' "$TMP/reads") answered by test_region," \
		"$(grep -c ': 0x10000ed$' "$TMP/reads") passed by edu"
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

OPERATOR_TESTS=(t_replace_under_load)
