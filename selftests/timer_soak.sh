#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# Run the named VM tests N times under whatever load the host has, and
# count the runs whose guest lost a CPU's timer: vmtest.sh stops such a
# guest within about a minute and prints QEMU's view of each vCPU (run state,
# local APIC) before it does.  For chasing that TCG hang, not a test:
# load the host first (e.g. `chrt --idle 0 make benchkernel`).
#
# Usage: selftests/timer_soak.sh [-n N] [--tier2] [--lock FILE] TEST...
#   -n N         runs (default 10)
#   --tier2      on the second kernel tier (KASAN, where it was seen most)
#   --lock FILE  take turns on FILE instead of the shared VM lock, so that
#                the runs overlap other VM runs and load the host further
# Logs: build/timer_soak/run-K.log; exit status 1 if any run hung.
set -euo pipefail
cd "$(dirname "$0")/.."

n=10 runargs=() lock=
while [ $# -gt 0 ]; do
	case $1 in
	-n) n=$2; shift ;;
	--tier2) runargs+=(--tier2) ;;
	--lock) lock=$2; shift ;;
	-*) echo "timer_soak: unknown option $1" >&2; exit 2 ;;
	*) break ;;
	esac
	shift
done
[ $# -gt 0 ] || { echo "timer_soak: name the tests to run" >&2; exit 2; }
[ -z "$lock" ] || export VFMIG_VM_LOCK=$lock

mkdir -p build/timer_soak
hung=0 failed=0
for ((k = 1; k <= n; k++)); do
	log=build/timer_soak/run-$k.log
	start=$SECONDS
	rc=0
	selftests/run "${runargs[@]}" "$@" >"$log" 2>&1 || rc=$?
	verdict=passed
	if grep -q "stopped taking timer interrupts" "$log"; then
		verdict=HUNG hung=$((hung + 1))
		grep '^vmtest:' "$log" | sed "s/^/  run $k: /"
	elif [ "$rc" != 0 ]; then
		verdict="failed ($rc)" failed=$((failed + 1))
	fi
	echo "run $k: $verdict in $((SECONDS - start)) s, load $(cut -d' ' -f1-3 /proc/loadavg)"
done
echo "timer_soak: $n runs, $hung hung, $failed failed otherwise"
[ "$hung" = 0 ]
