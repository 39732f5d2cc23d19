#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Per-user sessions over real RDP (issue 13, tests 1-6): in a Debian 6.1
# VM, vscard-rdp-server --sessions with two xfreerdp clients at once, alice
# and bob (real local users), each with vicc / minicc cards behind its own
# client-side pcscd; each session's agent runs as its user without
# capabilities (started by vscard-session --agent); isolation, a reconnect
# within the linger, the slot quota, and nothing left after both close.
kernel=6.1
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. tests/vm/suite-lib.sh
O=${O:-$top/build}
tag=rdp-sessions
if [ "${1:-}" = --guest ]; then
	exec "$top/tests/sessions/vm-rdp-sessions.sh"
fi
for bin in "$O/rdp-server/vscard-rdp-server" "$O/agent/vscard-agent" \
	   "$O/ifd/libifdvscard.so" "$O/tools/vscard-testcard" "$O/vscardctl/vscardctl"; do
	[ -e "$bin" ] || { echo "FAIL: $tag: $bin not built (make userspace tests)"; exit 1; }
done
for tool in xfreerdp Xvfb pcscd nsenter unshare /usr/bin/vicc; do
	command -v "$tool" >/dev/null ||
		{ echo "FAIL: $tag: $tool missing (scripts/install-deps.sh)"; exit 1; }
done
if command -v shellcheck >/dev/null; then
	if shellcheck -x tests/sessions/vm-rdp-sessions.sh tests/sessions/users.sh \
	   tests/suites/81-rdp-sessions.sh; then
		echo "PASS: $tag: shellcheck the suite"
	else
		echo "FAIL: $tag: shellcheck the suite"
	fi
fi
# build/kmod/ is shared with other suites: test a private copy.
kmod=$O/rdp-sessions/kmod-$kernel
private_module "$kernel" "$kmod" || exit 1
# The agent too: a rebuild in the tree during the run must not change it.
cp "$O/agent/vscard-agent" "$kmod/vscard-agent" ||
	{ echo "FAIL: $tag: cannot copy the agent"; exit 1; }
tests/vm/run.sh --kernel "$kernel" --timeout 1200 --mem 2048 --name "$tag" -- \
	env O="$O" VSCARD_KO="$kmod/vscard.ko" AGENT="$kmod/vscard-agent" \
	"$top/tests/suites/81-rdp-sessions.sh" --guest
vm_verdict $?
