#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Per-session readers (issue 13): in a Debian 6.1 VM, vscard-session opens
# one session for alice (uid 2001) and one for bob (2002); each runs a
# vscard-testcard as itself, without capabilities, in its own pool; each
# user's pyscard, through its own session's pcscd, sees only its own card;
# every path from bob to alice's card fails with the expected errno / PC/SC
# code; a crashed session is reopened cleanly; both sessions close without
# leftovers; a root pcscd on pool 0 still works; rmmod works.
kernel=6.1
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. tests/vm/suite-lib.sh
O=${O:-$top/build}
tag=sessions
if [ "${1:-}" = --guest ]; then
	exec "$top/tests/sessions/vm-sessions.sh"
fi
for bin in "$O/ifd/libifdvscard.so" "$O/tools/vscard-testcard" "$O/vscardctl/vscardctl"; do
	[ -e "$bin" ] || { echo "FAIL: $tag: $bin not built (make userspace tests)"; exit 1; }
done
bash -n userspace/session/vscard-session ||
	{ echo "FAIL: $tag: vscard-session has a syntax error"; exit 1; }
if command -v shellcheck >/dev/null; then
	if shellcheck -x userspace/session/vscard-session tests/sessions/vm-sessions.sh \
	   tests/sessions/users.sh tests/suites/80-sessions.sh; then
		echo "PASS: $tag: shellcheck vscard-session and the suite"
	else
		echo "FAIL: $tag: shellcheck vscard-session and the suite"
	fi
fi
# build/kmod/ is shared with other suites: test a private copy.
kmod=$O/sessions/kmod-$kernel
private_module "$kernel" "$kmod" || exit 1
tests/vm/run.sh --kernel "$kernel" --timeout 900 --name "$tag" -- \
	env O="$O" VSCARD_KO="$kmod/vscard.ko" "$top/tests/suites/80-sessions.sh" --guest
vm_verdict $?
