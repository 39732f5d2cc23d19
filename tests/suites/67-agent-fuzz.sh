#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Short libFuzzer run (fixed number of executions) of the whole agent state
# machine: svcport frames, RDPDR, CompletionIds, RDPESC returns, kernel
# requests, resets and timeouts (tests/agent/fuzz_agent.c).  `make fuzz`
# runs it long.
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
bin=$O/agent/fuzz_agent
runs=${AGENT_FUZZ_RUNS:-20000}
if ! command -v clang >/dev/null; then
	echo "SKIP: agent-fuzz: clang not installed"
	exit 0
fi
[ -x "$bin" ] || { echo "FAIL: agent-fuzz: $bin not built (make tests)"; exit 1; }
corpus=$(mktemp -d)
log=$(mktemp)
/usr/bin/python3 "$top/tests/agent/make_fuzz_seeds.py" "$corpus" ||
	{ echo "FAIL: agent-fuzz: seed generation"; exit 1; }
"$bin" -runs="$runs" -seed=1 -print_final_stats=1 "$corpus" >"$log" 2>&1
rc=$?
execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
if [ $rc = 0 ] && [ "${execs:-0}" -ge "$runs" ]; then
	echo "PASS: agent-fuzz: $execs executions without a crash, leak or UB report"
else
	echo "FAIL: agent-fuzz: exit $rc after ${execs:-?} executions (log: $log)"
	tail -30 "$log" >&2
	rm -rf "$corpus"
	exit 1
fi
rm -rf "$corpus" "$log"
