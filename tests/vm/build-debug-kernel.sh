#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build the debug test kernel (KUnit, KASAN, lockdep, kmemleak) from Debian's
# linux-source-6.1, cached outside the work tree.  Prints the build directory
# (usable as KDIR for out-of-tree modules: it has Module.symvers).
#
# Cache: ${VSCARD_CACHE:-/var/cache/vscard}/debug-kernel/<key>, where the key
# hashes the fragment, this recipe's version and the source package version.
# A complete build costs nothing; an interrupted one resumes incrementally.
# Every requested "=y" and "is not set" line of the fragment must survive
# olddefconfig, otherwise the build fails listing the dropped options.
set -euo pipefail

recipe=2	# bump when the build steps below change what ends up in the cache
here=$(cd "$(dirname "$0")" && pwd)
frag=$here/debug.config
cache=${VSCARD_CACHE:-/var/cache/vscard}
tarball=/usr/src/linux-source-6.1.tar.xz
jobs=${VSCARD_JOBS:-2}

log() { echo "build-debug-kernel: $*" >&2; }

[ -r "$tarball" ] || { log "linux-source-6.1 is not installed (run scripts/install-deps.sh)"; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$( (cat "$frag"; echo "recipe $recipe"; echo "$srcver") | sha256sum | cut -c1-16)
src=$cache/linux-source-$srcver
out=$cache/debug-kernel/$key

if [ -f "$out/.vscard-complete" ]; then
	echo "$out"
	exit 0
fi

mkdir -p "$cache/debug-kernel"
# One builder at a time per cache (two suites may ask concurrently).
exec 9>"$cache/debug-kernel/.lock"
flock 9
if [ -f "$out/.vscard-complete" ]; then
	echo "$out"
	exit 0
fi

start=$SECONDS
if [ ! -f "$src/.vscard-unpacked" ]; then
	log "unpacking $tarball"
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xJf "$tarball" -C "$src.tmp" --strip-components=1
	touch "$src.tmp/.vscard-unpacked"
	mv "$src.tmp" "$src"
fi

if [ ! -f "$out/.vscard-configured" ]; then
	log "configuring in $out"
	rm -rf "$out"
	mkdir -p "$out"
	make -s -C "$src" O="$out" ARCH=x86_64 tinyconfig >/dev/null
	"$src/scripts/kconfig/merge_config.sh" -m -O "$out" "$out/.config" "$frag" >/dev/null
	make -s -C "$src" O="$out" ARCH=x86_64 olddefconfig >/dev/null

	dropped=0
	while IFS= read -r line; do
		case "$line" in
		CONFIG_*=*)
			grep -qx "$line" "$out/.config" ||
				{ log "NOT APPLIED: $line"; dropped=1; } ;;
		"# CONFIG_"*" is not set")
			opt=${line#\# }; opt=${opt%% *}
			! grep -q "^$opt=" "$out/.config" ||
				{ log "NOT UNSET: $opt"; dropped=1; } ;;
		esac
	done < "$frag"
	[ "$dropped" = 0 ] || { log "config fragment not fully applied (see above)"; exit 1; }
	touch "$out/.vscard-configured"
fi

log "building $out with -j$jobs (about 5-10 minutes the first time)"
# "modules" also writes Module.symvers, which external modules link against.
if ! make -s -C "$src" O="$out" ARCH=x86_64 -j"$jobs" bzImage modules >"$out/build.log" 2>&1; then
	tail -40 "$out/build.log" >&2
	log "build failed (log: $out/build.log)"
	exit 1
fi
[ -f "$out/Module.symvers" ] || { log "no Module.symvers after the build"; exit 1; }
touch "$out/.vscard-complete"
log "done in $((SECONDS - start)) s"
echo "$out"
