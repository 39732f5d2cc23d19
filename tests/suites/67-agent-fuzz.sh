#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Short libFuzzer runs (fixed numbers of executions) of the whole agent
# state machine: channel mode (tests/agent/fuzz_agent.c: svcport frames,
# RDPDR, CompletionIds, RDPESC returns, kernel requests, resets and
# timeouts) and device mode (tests/agent/fuzz_device.c: svcport framing
# from the socket, DEVICE_ADD / DEVICE_REMOVE, IO_COMPLETION PDUs).
# `make fuzz` runs them long.
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
if ! command -v clang >/dev/null; then
	echo "SKIP: agent-fuzz: clang not installed"
	exit 0
fi
rc=0
# fuzz <name> <binary> <runs> [seed-generator option]
fuzz() {
	local name=$1 bin=$2 runs=$3 corpus log execs frc
	[ -x "$bin" ] || { echo "FAIL: $name: $bin not built (make tests)"; rc=1; return; }
	corpus=$(mktemp -d)
	log=$(mktemp)
	/usr/bin/python3 "$top/tests/agent/make_fuzz_seeds.py" $4 "$corpus" ||
		{ echo "FAIL: $name: seed generation"; rc=1; return; }
	"$bin" -runs="$runs" -seed=1 -print_final_stats=1 "$corpus" >"$log" 2>&1
	frc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	if [ $frc = 0 ] && [ "${execs:-0}" -ge "$runs" ]; then
		echo "PASS: $name: $execs executions without a crash, leak or UB report"
		rm -f "$log"
	else
		echo "FAIL: $name: exit $frc after ${execs:-?} executions (log: $log)"
		tail -30 "$log" >&2
		rc=1
	fi
	rm -rf "$corpus"
}
fuzz agent-fuzz "$O/agent/fuzz_agent" "${AGENT_FUZZ_RUNS:-20000}"
fuzz agent-fuzz-device "$O/agent/fuzz_device" "${AGENT_FUZZ_DEVICE_RUNS:-10000}" --device
exit $rc
