#!/bin/bash
# SPDX-License-Identifier: MIT
#
# vscard-agent on the host, no kernel: CompletionId table unit tests, the
# RDPDR/RDPESC state-machine tests against the scripted fake RDP client and
# the fake-kernel seam, and the device-mode tests against a scripted
# device-mode adapter (ASan+UBSan build of the agent).
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
rc=0
for bin in "$O/agent/unit_completion_table" "$O/agent/vscard-agent-san"; do
	if [ ! -x "$bin" ]; then
		echo "FAIL: agent: $(basename "$bin") not built (make tests)"
		exit 1
	fi
done
"$O/agent/unit_completion_table" || rc=1
export TMPDIR=${TMPDIR:-/tmp}
logdir=$(mktemp -d "$TMPDIR/vscard-agent-tests.XXXXXX")
VSCARD_AGENT="$O/agent/vscard-agent-san" TMPDIR="$logdir" \
	/usr/bin/python3 "$top/tests/agent/test_agent.py" || rc=1
VSCARD_AGENT="$O/agent/vscard-agent-san" TMPDIR="$logdir" \
	/usr/bin/python3 "$top/tests/agent/test_device_mode.py" || rc=1
if [ $rc = 0 ]; then rm -rf "$logdir"; else echo "agent logs kept in $logdir" >&2; fi
exit $rc
