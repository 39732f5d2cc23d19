#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Short libFuzzer run (fixed -runs, fixed seed) of fuzz_rdp over the svcport
# framing, RDPDR and RDPESC decoders, seeded from the byte vectors.  Fails
# on any crash, sanitizer report or decode/encode inconsistency.
# RDP_FUZZ_RUNS overrides the number of executions (default 1000000).
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
runs=${RDP_FUZZ_RUNS:-1000000}
bin=$O/tests/rdp/fuzz_rdp
work=$O/tests/rdp/fuzz-check
if [ ! -x "$bin" ]; then
	echo "FAIL: rdp-fuzz: fuzz_rdp not built (make tests)"
	exit 1
fi
if ! "$top/tests/rdp/make-corpus.sh" "$work/seeds" > "$work.log" 2>&1; then
	echo "FAIL: rdp-fuzz: seed corpus: $(tail -1 "$work.log")"
	exit 1
fi
rm -rf "$work/new" "$work/artifacts"
mkdir -p "$work/new" "$work/artifacts"
"$bin" -runs="$runs" -seed=1 -print_final_stats=1 -artifact_prefix="$work/artifacts/" \
	"$work/new" "$work/seeds" > "$work.log" 2>&1
status=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work.log")
if [ $status -eq 0 ] && [ "$execs" = "$runs" ]; then
	echo "PASS: rdp-fuzz: $execs executions without a crash ($(ls "$work/seeds" | wc -l) seeds)"
	exit 0
fi
echo "FAIL: rdp-fuzz: status $status after ${execs:-?} executions; artifacts in $work/artifacts"
grep -E 'ERROR|SUMMARY|decode_all|runtime error' "$work.log" | head -10 | sed 's/^/  /'
exit 1
