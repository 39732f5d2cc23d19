#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug test kernel (KUnit, KASAN, lockdep, kmemleak) from Debian's
# linux-source-6.1, cached outside the work tree.  Prints the build directory.
# The cache key is the fragment's hash plus the source tarball's version, so
# an unchanged fragment costs a few seconds.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
frag=$here/debug.config
cache=${VSCARD_CACHE:-/var/cache/vscard}
tarball=$(ls /usr/src/linux-source-6.1.tar.xz 2>/dev/null || true)
[ -n "$tarball" ] || { echo "build-debug-kernel: linux-source-6.1 is not installed" >&2; exit 1; }

srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$( (cat "$frag"; echo "$srcver") | sha256sum | cut -c1-16)
src=$cache/linux-source-$srcver
out=$cache/debug-kernel/$key
jobs=${VSCARD_JOBS:-$(nproc)}

log() { echo "build-debug-kernel: $*" >&2; }

if [ -f "$out/.vscard-complete" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$cache"
if [ ! -f "$src/.vscard-unpacked" ]; then
	log "unpacking $tarball"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.vscard-unpacked"
	mv "$src.tmp" "$src"
fi

log "configuring in $out"
rm -rf "$out"
mkdir -p "$out"
make -s -C "$src" O="$out" ARCH=x86_64 tinyconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$frag" >/dev/null
make -s -C "$src" O="$out" ARCH=x86_64 olddefconfig >/dev/null

# Every requested option must have survived dependency resolution.
missing=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qx "$line" "$out/.config" || { log "NOT APPLIED: $line"; missing=1; } ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		if grep -q "^$opt=" "$out/.config"; then log "NOT UNSET: $opt"; missing=1; fi ;;
	esac
done < "$frag"
[ "$missing" = 0 ] || { log "config fragment not fully applied"; exit 1; }

log "building with -j$jobs (several minutes the first time)"
make -s -C "$src" O="$out" ARCH=x86_64 -j"$jobs" bzImage modules_prepare >"$out/build.log" 2>&1 ||
	{ tail -40 "$out/build.log" >&2; exit 1; }
touch "$out/.vscard-complete"
echo "$out"
