#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Print every kernel splat line found in the given kernel logs (console log,
# dmesg); exit 0 if there is any, 1 if none.  Only kernel log lines (those
# with a printk timestamp) are considered, so a test that prints "BUG:" on
# its own output does not count.  Lines matching a regex listed in
# tests/vm/benign-splats.txt are ignored.
here=$(cd "$(dirname "$0")" && pwd)
pat='BUG:|WARNING:|Oops|KASAN:|UBSAN:|general protection fault|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|turning off the locking correctness validator|DEBUG_LOCKS_WARN_ON|INFO: task .* blocked for more than|soft lockup|hard LOCKUP|rcu: INFO: .*detected stall|Kernel panic|kernel BUG at|unreferenced object|new suspected memory leaks|list_add corruption|list_del corruption|ODEBUG:|refcount_t:|sleeping function called from invalid context|Call Trace:'
benign=$(grep -vE '^[[:space:]]*(#|$)' "$here/benign-splats.txt" 2>/dev/null | paste -sd'|')
found=1
for f in "$@"; do
	[ -s "$f" ] || continue
	hits=$(tr -d '\r' < "$f" | grep -aE '^(<[0-9]+>)?\[ *[0-9]+\.[0-9]+\]' | grep -aE "$pat" || true)
	[ -n "$benign" ] && [ -n "$hits" ] && hits=$(grep -avE "$benign" <<<"$hits" || true)
	[ -n "$hits" ] || continue
	echo "$hits"
	found=0
done
exit $found
