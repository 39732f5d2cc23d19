#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build vscard.ko (and vscard_test.ko where the kernel has KUnit) for one
# kernel into build/kmod/<kernel>/, and print that directory.
#   scripts/build-module.sh {debug|6.1|6.12|kdir}
# debug: the QEMU debug kernel (tests/vm/build-debug-kernel.sh)
# 6.1, 6.12: Debian's stock kernel headers of that series
# kdir: $KDIR, default scripts/find-kdir.sh (what plain `make` uses)
# Each kernel gets its own copy of the sources, because kbuild writes its
# objects next to them.  Any compiler or modpost warning fails the build.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kernel=${1:?usage: build-module.sh debug|6.1|6.12|kdir}
case "$kernel" in
debug) kdir=$("$top/tests/vm/build-debug-kernel.sh") ;;
6.1|6.12) kdir=/usr/src/linux-headers-$("$top/scripts/kernel-version.sh" "$kernel") ;;
kdir) kdir=${KDIR:-$("$top/scripts/find-kdir.sh")} ;;
*) echo "build-module: unknown kernel $kernel" >&2; exit 1 ;;
esac
[ -d "$kdir" ] || { echo "build-module: no kernel build dir $kdir (run scripts/install-deps.sh)" >&2; exit 1; }
out=${O:-$top/build}/kmod/$kernel
mkdir -p "$out/module" "$out/uapi"
# Mirror the sources with their timestamps so make rebuilds only what
# changed; files deleted from the tree disappear from the copy too.
cp -p "$top/Kbuild" "$out/"
find "$out/module" "$out/uapi" -type f \( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) -delete
(cd "$top" && find module uapi -type f \( -name '*.[ch]' -o -name Kbuild -o -name Makefile \) -print0 |
	cpio -0 -pdm --quiet "$out")
log=$out/build.log
# shellcheck disable=SC2086
if ! make -C "$kdir" M="$out" W=1 ${VSCARD_KBUILD_ARGS:-} -j"${VSCARD_JOBS:-2}" modules >"$log" 2>&1; then
	cat "$log" >&2
	echo "build-module: build for $kernel failed (KDIR=$kdir)" >&2
	exit 1
fi
# make's own jobserver notice (a parallel top-level make) is not a build warning.
if grep -iE '(warning|error):' "$log" | grep -vE '^make(\[[0-9]+\])?: warning: -j[0-9]* forced in submake' >&2; then
	echo "build-module: warnings building for $kernel (see $log)" >&2
	# Drop the objects: a second try must compile (and warn) again, not
	# find everything up to date and pass.
	find "$out/module" -name '*.o' -delete
	exit 1
fi
echo "$out"
