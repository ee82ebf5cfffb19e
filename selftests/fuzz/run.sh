#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1 OR BSD-2-Clause
#
# A bounded run of the stream parser's fuzz target (selftests/Makefile, target
# fuzz): seed corpus from make-seeds, then libFuzzer until RUNS inputs or
# SECONDS, whichever comes first.  Ends with "1 passed, 0 failed", or
# "0 passed, 1 failed" and the crashing input kept in OUT_DIR.
#
# Usage: run.sh OUT_DIR RUNS SECONDS
set -uo pipefail

out=${1:?usage: run.sh OUT_DIR RUNS SECONDS} runs=${2:?} seconds=${3:?}
corpus=$out/corpus log=$out/fuzz.log

rm -rf "$corpus" "$out"/crash-* "$out"/leak-* "$out"/timeout-* "$out"/oom-*
mkdir -p "$corpus"
if ! "$out/make-seeds" "$corpus"; then
	echo "fuzz: could not write the seed corpus"
	echo "0 passed, 1 failed"
	exit 1
fi

start=$(date +%s%N)
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
"$out/stream_fuzz" -runs="$runs" -max_total_time="$seconds" -max_len=4096 \
	-artifact_prefix="$out/" -print_final_stats=1 "$corpus" >"$log" 2>&1
status=$?
elapsed=$((($(date +%s%N) - start) / 1000000))

done_line=$(grep -E '^Done [0-9]+ runs' "$log" | tail -n1)
echo "fuzz: ${done_line:-no summary} (wall ${elapsed} ms; log $log)"
if [ "$status" -ne 0 ]; then
	grep -E 'ERROR|SUMMARY|stream_fuzz.c:|Test unit written' "$log" | head -n 20
	echo "fuzz: reproduce with $out/stream_fuzz FILE (the input is parsed as it is, then resealed)"
	echo "0 passed, 1 failed"
	exit 1
fi
echo "1 passed, 0 failed"
