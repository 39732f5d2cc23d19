#!/bin/bash
# SPDX-License-Identifier: MIT
#
# vscard-rdp-server alone, on the host: the real xfreerdp /smartcard
# (under Xvfb) against the adapter, with a scripted svcport peer
# (tests/e2e/svcpeer.py) in place of the agent.  No kernel, no VM.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
tag=adapter
bin=${O:-$top/build}/rdp-server/vscard-rdp-server
if [ ! -x "$bin" ]; then
	echo "FAIL: $tag: $bin not built (make userspace; needs freerdp2-dev)"
	exit 1
fi
for tool in xfreerdp Xvfb openssl; do
	command -v "$tool" >/dev/null ||
		{ echo "FAIL: $tag: $tool missing (scripts/install-deps.sh)"; exit 1; }
done
timeout 600 python3 tests/e2e/adapter_test.py | grep -v '^[0-9]* passed, [0-9]* failed$'
rc=${PIPESTATUS[0]}
[ "$rc" = 124 ] && echo "FAIL: $tag: timed out"
exit "$rc"
