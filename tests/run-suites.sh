#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run every executable tests/suites/NN-*.sh in order and total their results.
#
#   VSCARD_SUITES=<regex>  run only the suites whose file name matches
#   VSCARD_SUITE_TIMEOUT   seconds one suite may take (default 3600)
#
# A suite reports on stdout with lines starting "PASS: ", "FAIL: " or
# "SKIP: "; those are echoed as they come, everything else goes to
# build/suites/<suite>.log.  A suite that exits non-zero without any FAIL
# line counts as one failure.  The last line is "N passed, N failed"; the
# exit status is non-zero if anything failed.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
logdir=${O:-$top/build}/suites
filter=${VSCARD_SUITES:-}
limit=${VSCARD_SUITE_TIMEOUT:-3600}
mkdir -p "$logdir"
cd "$top" || exit 1

passed=0 failed=0 skipped=0 ran=0
failures=()
start_all=$SECONDS
for suite in tests/suites/[0-9][0-9]-*.sh; do
	[ -f "$suite" ] && [ -x "$suite" ] || continue
	name=$(basename "$suite" .sh)
	if [ -n "$filter" ] && ! [[ $name =~ $filter ]]; then
		continue
	fi
	ran=$((ran + 1))
	log=$logdir/$name.log
	echo "== $name"
	start=$SECONDS
	# The suite's stdout and stderr both go to its log; result lines are
	# also echoed here, as soon as they are printed.
	timeout -k 10 "$limit" "$suite" 2>&1 </dev/null | tee "$log" |
		grep --line-buffered -E '^(PASS|FAIL|SKIP): '
	rc=${PIPESTATUS[0]}
	p=$(grep -c '^PASS: ' "$log")
	f=$(grep -c '^FAIL: ' "$log")
	s=$(grep -c '^SKIP: ' "$log")
	if [ "$rc" = 124 ]; then
		echo "FAIL: $name: suite timed out after $limit s" | tee -a "$log"
		f=$((f + 1))
	elif [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "FAIL: $name: suite exited with status $rc without a FAIL line" | tee -a "$log"
		f=$((f + 1))
	fi
	if [ "$f" != 0 ]; then
		failures+=("$name")
		echo "-- $name: last lines of $log:"
		grep -vE '^(PASS|SKIP): ' "$log" | tail -15 | sed 's/^/   | /'
	elif [ "$p" = 0 ] && [ "$s" = 0 ]; then
		echo "-- $name: reported no result"
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
	echo "-- $name: $p passed, $f failed, $s skipped in $((SECONDS - start)) s"
done

[ "$ran" -gt 0 ] || echo "run-suites: no suite matches '${filter}'"
echo "== $ran suites in $((SECONDS - start_all)) s; $skipped skipped;" \
	"failing suites: ${failures[*]:-none}; logs in $logdir"
echo "$passed passed, $failed failed"
[ "$failed" = 0 ] && [ "$ran" -gt 0 ]
