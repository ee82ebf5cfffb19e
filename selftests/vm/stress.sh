# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
# shellcheck shell=bash disable=SC2034  # sourced by tests.sh: variables are shared
#
# The stress run, in a VM of its own (on the second tier with kmemleak
# on): attach, replace and detach racing register and mapping accesses
# and migrations, then rmmod/insmod cycles.  Sourced by tests.sh; listed
# in manifest.sh (STRESS_TESTS).

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
