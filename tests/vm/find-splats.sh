#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print every kernel splat line found in the given logs; exit 0 if any.
pat='BUG:|WARNING:|Oops|KASAN:|UBSAN:|general protection fault|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|INFO: task .* blocked for more than|soft lockup|hard LOCKUP|Kernel panic|kernel BUG at|unreferenced object|new suspected memory leaks|list_add corruption|list_del corruption|ODEBUG:|refcount_t:|sleeping function called from invalid context'
found=1
for f in "$@"; do
	[ -s "$f" ] || continue
	if grep -aE "$pat" "$f"; then found=0; fi
done
exit $found
