#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# `make check`: host unit tests, static checks of the module source, then
# the VM suite on both kernel tiers: Debian's stock kernel, and the one
# selftests/testkernel/build.sh builds (IOMMUFD, lockdep, KASAN).  Prints
# each part's result and a final "N passed, N failed"; exits non-zero if
# anything failed or did not run.
set -uo pipefail
cd "$(dirname "$0")/.." || exit

KVER=$(cat .cache/kernel-version)
total_pass=0 total_fail=0

# Add the "N passed, N failed" line of a part's output to the totals; a part
# that printed none counts as one failure, since it did not really run.
tally() {	# tally NAME STATUS OUTPUT_FILE
	local line p f
	line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$3" | tail -n1)
	if [ -z "$line" ]; then
		echo "check: $1 did not report results (exit $2): counted as failed"
		total_fail=$((total_fail + 1))
		return
	fi
	read -r p _ f _ <<<"$line"
	[ "$2" -ne 0 ] && [ "$f" -eq 0 ] && f=1
	total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
	echo "check: $1: $line"
}

# Each part says how long it took: CI has 90 minutes for all of them.
# A VM that hung (vmtest.sh exits 75: QEMU's TCG lost a CPU's timer
# interrupt, Documentation/testing.md), or whose QEMU failed one of its own
# assertions (also 75), runs once more; a test that failed before still
# counts as failed.
run_part() {	# run_part NAME CMD...
	local name=$1 out status start=$SECONDS failed
	shift
	out=$(mktemp)
	echo "== $name"
	"$@" 2>&1 | tee "$out"
	status=${PIPESTATUS[0]}
	if [ "$status" = 75 ]; then
		failed=$(grep -c '^FAIL ' "$out")
		echo "check: $name: the VM hung or QEMU aborted (TCG), $failed failed before it; running the part again"
		total_fail=$((total_fail + failed))
		"$@" 2>&1 | tee "$out"
		status=${PIPESTATUS[0]}
	fi
	tally "$name" "$status" "$out"
	echo "check: $name took $((SECONDS - start)) s (at $SECONDS s)"
	rm -f "$out"
}

# Kernel-doc on every kfunc and callback: the module's own header tool.
# The program contract is rendered from it (Documentation/contract.md and
# vfmig-programs(7)): a rendering that differs from the comments fails.
kernel_doc() {
	local p=0 f=0 file warn
	for file in kernel/*.c kernel/*.h; do
		warn=$(/usr/src/linux-headers-"$KVER"/scripts/kernel-doc -none -Wall "$file" 2>&1)
		if [ -z "$warn" ]; then p=$((p + 1)); else echo "$warn"; f=$((f + 1)); fi
	done
	if Documentation/gen_contract.pl --check; then p=$((p + 1)); else f=$((f + 1)); fi
	echo "$p passed, $f failed"
}

# The Linux guest the NIC VMs migrate: a small kernel from linux-source
# with igbvf built in (about 5 min the first time, then cached) and its
# initramfs.  It builds beside the parts that run on the host alone; the
# first tier's VMs wait for it.  A failed build fails its tests, loudly.
LG_LOG=.cache/guestkernel-build.log
mkdir -p .cache
echo "== Linux guest, built in the background (log: $LG_LOG)"
: >"$LG_LOG"
make -s linux-guest >>"$LG_LOG" 2>&1 &
LG_PID=$!

# The second tier's kernel (about 25 min on 2 cores the first time) builds
# from the start, as SCHED_IDLE: it gets only the CPU time the host parts
# and the first tier's VMs leave.  Niced instead, twice in three runs a TCG
# guest beside it stopped taking timer interrupts on one CPU for good (RCU
# stall, the VM hung); as SCHED_IDLE, which yields to a vCPU thread at
# once, none in five runs (the first tier's suite, NIC and Linux guest VMs,
# 2026-12-05).
# It waits for the Linux guest's build to unpack the kernel source they
# share, so that they do not both fetch it.
TK_LOG=.cache/testkernel-build.log
LANES=$(mktemp -d)
trap 'rm -rf "$LANES"' EXIT
(
	# build.sh says "configuring" (or "ready") once the source is there.
	while ! grep -qE 'configuring|ready' "$LG_LOG" && kill -0 "$LG_PID" 2>/dev/null; do
		sleep 2
	done
	chrt --idle 0 make -s testkernel
	echo $? >"$LANES/testkernel.rc"
) >"$TK_LOG" 2>&1 &
TK_PID=$!

run_part "host unit tests" make -s -C user test
run_part "stream parser fuzzing" make -s -C user fuzz
run_part "kernel-doc" kernel_doc
run_part "kernel layering" selftests/kernel_layers.py
run_part "test manifest" selftests/run --check
# make install/install-dkms staged, and a DKMS build for the Debian tier,
# whose module the stress VM then loads.
run_part "install" selftests/install_test.sh
# Each tier boots three VMs: the suite; the SR-IOV NIC's tests, in a VM
# with QEMU's igb; the stress run, alone (on the second tier with kmemleak,
# which the suite's VM boots without: it slows every allocation).
# Which test runs in which VM and on which tier: selftests/vm/manifest.sh.
# shellcheck source=selftests/vm/manifest.sh
. selftests/vm/manifest.sh
vm_part() {	# vm_part suite|nic|stress TIER TESTS VMTEST_ARGS...
	local kind=$1 tier=$2 tests=$3
	shift 3
	# shellcheck disable=SC2086
	case $kind in
	suite) VMTEST_APPEND=kmemleak=off run_part "VM tests, $tier" \
		selftests/vmtest.sh "$@" -- selftests/vm/tests.sh $tests ;;
	nic) VMTEST_APPEND=kmemleak=off run_part "NIC VM tests, $tier" \
		selftests/vmtest.sh "$@" --igb -- selftests/vm/tests.sh $tests ;;
	stress) run_part "stress, $tier" \
		selftests/vmtest.sh "$@" -- selftests/vm/tests.sh $tests ;;
	esac
}

if ! wait "$LG_PID"; then
	tail -n 30 "$LG_LOG"
	echo "check: the Linux guest did not build (counted as failed)"
	total_fail=$((total_fail + 1))
fi
echo "check: Linux guest built at $SECONDS s"

# One run a tier, each several conditions at once: on Debian's kernel THP
# and igbvf's defaults; on the second, where QEMU uses the device's DMA
# log, hugetlbfs with 4096-descriptor rings and MTU 9000.  First in their
# VM: the NIC lists end with the lockdown test, after which nothing attaches.
T1="Debian kernel $KVER"
T1_NIC="${LINUX_GUEST_TIER1[*]} ${NIC_TESTS[*]}"
T1_STRESS="${STRESS_TESTS[*]} ${INSTALL_TESTS[*]}"
# On the second tier, KASAN, lockdep and kmemleak under TCG: what only
# this tier can tell (safety, IOMMUFD, DMA logging in the core), not what
# QEMU does the same on both (TIER2_SKIP and NIC_TIER2_TESTS in
# manifest.sh).
T2_SUITE="${TIER2_SKIP[*]/#/-}"
T2_NIC="${LINUX_GUEST_TIER2[*]} ${NIC_TIER2_TESTS[*]}"
T2_STRESS="${STRESS_TESTS[*]}"

# Wait for the second tier's kernel and build its modules, once for both
# lanes (the first to ask does it, under a lock); false if it failed.
tier2_ready() {
	(
		flock 9
		[ -e "$LANES/tier2.rc" ] && exit
		echo "== second kernel tier (log: $TK_LOG)"
		while kill -0 "$TK_PID" 2>/dev/null; do sleep 5; done
		if [ "$(cat "$LANES/testkernel.rc" 2>/dev/null)" = 0 ] && make -s all; then
			echo "check: second kernel tier built at $SECONDS s"
			echo 0 >"$LANES/tier2.rc"
		else
			tail -n 30 "$TK_LOG"
			echo 1 >"$LANES/tier2.rc"
		fi
	) 9>"$LANES/tier2.lock"
	[ "$(cat "$LANES/tier2.rc")" = 0 ]
}

tier2_part() {	# tier2_part suite|nic|stress TESTS
	local tk
	if ! tier2_ready; then
		echo "check: the second tier's $1 part did not run, its kernel did not build (counted as failed)"
		total_fail=$((total_fail + 1))
		return
	fi
	tk=$(cat .cache/testkernel-dir)
	vm_part "$1" "$(cat "$tk/.done")" "$2" --kernel-dir "$tk" --timeout 3000
}

# Two lanes run side by side, each its VMs one after another, its lines
# prefixed "A| " or "B| ".  A VM runs its vCPUs in one host thread but for
# the igb VM's two (vmtest.sh), so two lanes keep the 2 cores busy and
# overcommit them by one thread at most.  The second tier's parts start
# once its kernel is built: at once on a machine that built it before,
# about 20 minutes in on a fresh one.  Its suite, the longest part (24 min
# beside another VM), has lane B to itself but for the stress run; lane A
# takes the first tier and then the second tier's NIC part.
lane_a() {
	vm_part suite "$T1" ""
	vm_part nic "$T1" "$T1_NIC"
	vm_part stress "$T1" "$T1_STRESS"
	# libvirt's part is user space on either tier: the Debian one, with a
	# device no program is configured for.
	VMTEST_APPEND=kmemleak=off run_part "libvirt VM tests, $T1" \
		selftests/vmtest.sh --edu 3 -- selftests/vm/tests.sh "${LIBVIRT_TESTS[@]}"
	tier2_part nic "$T2_NIC"
}

lane_b() {
	tier2_part suite "$T2_SUITE"
	tier2_part stress "$T2_STRESS"
}

# shellcheck disable=SC2030,SC2031 # a lane's totals go back through a file
lane() {	# lane NAME FUNCTION
	{
		total_pass=0 total_fail=0
		"$2"
		echo "$total_pass $total_fail" >"$LANES/$1.tally"
	} 2>&1 | sed -u "s/^/$1| /"
}
lane A lane_a &
A_PID=$!
lane B lane_b &
B_PID=$!
wait "$A_PID" "$B_PID"
# shellcheck disable=SC2031
for name in A B; do
	if read -r p f <"$LANES/$name.tally"; then
		total_pass=$((total_pass + p)) total_fail=$((total_fail + f))
	else
		echo "check: lane $name ended without its totals (counted as failed)"
		total_fail=$((total_fail + 1))
	fi
done

echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
