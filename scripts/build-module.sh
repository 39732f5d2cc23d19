#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build vscard.ko (and vscard_test.ko where the kernel has KUnit) for one
# kernel into build/kmod/<kernel>/.  Each kernel gets its own copy of the
# sources, because kbuild writes its objects next to them.
#   scripts/build-module.sh {debug|6.1|6.12}
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kernel=${1:?usage: build-module.sh debug|6.1|6.12}
case "$kernel" in
debug) kdir=$("$top/tests/vm/build-debug-kernel.sh") ;;
6.1|6.12) kdir=/usr/src/linux-headers-$("$top/scripts/kernel-version.sh" "$kernel") ;;
*) echo "build-module: unknown kernel $kernel" >&2; exit 1 ;;
esac
out=$top/build/kmod/$kernel
mkdir -p "$out"
# Mirror the sources; keep objects of unchanged files for a fast rebuild.
cp -u "$top/Kbuild" "$out/"
mkdir -p "$out/module" "$out/uapi"
# Sources are copied with their timestamps so make rebuilds only what changed.
find "$out/module" "$out/uapi" -type f \( -name '*.[ch]' -o -name Kbuild \) -delete
(cd "$top" && find module uapi -type f \( -name '*.[ch]' -o -name Kbuild \) -print0 |
	cpio -0 -pdm --quiet "$out")
log=$out/build.log
if ! make -C "$kdir" M="$out" W=1 modules >"$log" 2>&1; then
	cat "$log" >&2
	exit 1
fi
if grep -E 'warning:|error:' "$log" >&2; then
	echo "build-module: warnings building for $kernel (see $log)" >&2
	exit 1
fi
echo "$out"
