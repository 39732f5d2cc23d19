#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Kernel hygiene of module/ and uapi/: checkpatch --strict (from the debug
# kernel's 6.1 source tree) and sparse (C=2) against the Debian 6.1 headers
# and the debug kernel (which also checks vscard_test.c).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1

src=$(tests/vm/build-debug-kernel.sh 2>/dev/null)/source
[ -x "$src/scripts/checkpatch.pl" ] || src=$(ls -d /var/tmp/linux-source-6.1 2>/dev/null)
if [ -x "$src/scripts/checkpatch.pl" ]; then
	out=$("$src/scripts/checkpatch.pl" --strict --no-tree --terse -f \
		module/*.[ch] uapi/linux/vscard.h 2>&1 |
		grep -v 'total: 0 errors, 0 warnings, 0 checks')
	if [ -z "$out" ]; then
		echo "PASS: module: checkpatch --strict clean"
	else
		echo "$out"
		echo "FAIL: module: checkpatch --strict"
	fi
else
	echo "SKIP: module: checkpatch.pl not found"
fi

for k in 6.1 debug; do
	if ! command -v sparse >/dev/null; then
		echo "SKIP: module: sparse not installed"
		break
	fi
	if d=$(VSCARD_KBUILD_ARGS="C=2" scripts/build-module.sh $k 2>&1); then
		echo "PASS: module: sparse + W=1 clean ($k)"
	else
		echo "$d" | tail -20
		echo "FAIL: module: sparse + W=1 ($k)"
	fi
done
