#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Licence hygiene: every source file starts with an SPDX line (after a
# shebang), with the licence of its area: module/ GPL-2.0, uapi/ GPL-2.0
# WITH Linux-syscall-note, userspace/ MIT.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1

if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	files=$(git ls-files)
else
	files=$(find . -path ./build -prune -o -path ./.git -prune -o -type f -print | sed 's|^\./||')
fi

spdx() { head -3 "$1" | sed -n 's/.*SPDX-License-Identifier: *\(.*[^ */>-]\).*/\1/p' | head -1; }

missing= wrong=
while IFS= read -r f; do
	[ -f "$f" ] || continue
	case "$f" in
	LICENSE|LICENSES/*|.gitignore|*/.gitignore|VERSION) continue ;;
	tests/rdp/vectors/*) continue ;;	# protocol byte vectors: data
	esac
	grep -Iq . "$f" || continue	# binary or empty: test data
	id=$(spdx "$f")
	if [ -z "$id" ]; then
		missing+=" $f"
		continue
	fi
	case "$f" in
	module/*) want="GPL-2.0" ;;
	uapi/*) want="GPL-2.0 WITH Linux-syscall-note" ;;
	userspace/*) want="MIT" ;;
	*) continue ;;
	esac
	[ "$id" = "$want" ] || wrong+=" $f($id)"
done <<<"$files"

if [ -z "$missing" ]; then
	echo "PASS: licenses: every source file has an SPDX line"
else
	echo "files without an SPDX line:$missing"
	echo "FAIL: licenses: every source file has an SPDX line ($(wc -w <<<"$missing") missing)"
fi
if [ -z "$wrong" ]; then
	echo "PASS: licenses: module/ GPL-2.0, uapi/ with Linux-syscall-note, userspace/ MIT"
else
	echo "files with the wrong licence for their area:$wrong"
	echo "FAIL: licenses: module/ GPL-2.0, uapi/ with Linux-syscall-note, userspace/ MIT"
fi
for l in LICENSES/GPL-2.0 LICENSES/MIT LICENSES/Linux-syscall-note; do
	if [ -s "$l" ]; then echo "PASS: licenses: $l present"; else echo "FAIL: licenses: $l present"; fi
done
