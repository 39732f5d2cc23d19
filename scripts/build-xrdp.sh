#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build Debian 12's xrdp with vscard's patch series (integrations/xrdp/)
# and cache the .debs outside the work tree; optionally install them here.
#
#   scripts/build-xrdp.sh              build if needed, print the cache dir
#   scripts/build-xrdp.sh --install    the same, then install the .debs on
#                                      this machine (the test VM runs its
#                                      root file system)
#   scripts/build-xrdp.sh --check      status 0 if the cache is complete
#   scripts/build-xrdp.sh --build-deps print xrdp's build dependencies
#
# Cache: ${VSCARD_CACHE:-/var/cache/vscard}/xrdp/<key>/, where the key
# hashes the patch series (series file and patches, in order), the source
# package version apt offers and this script.  A complete build costs
# nothing: the second run prints the directory and exits.  Needs deb-src
# lines (scripts/install-deps.sh adds them).  The build runs in
# <key>.build/ next to it, with -j${VSCARD_JOBS:-2}, without xrdp's own
# unit tests (nocheck); about 4 minutes on the 2-core build machine.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
patches=$top/integrations/xrdp/patches
cache=${VSCARD_CACHE:-/var/cache/vscard}
jobs=${VSCARD_JOBS:-2}
suffix=+vscard1

log() { echo "build-xrdp: $*" >&2; }

# Build-Depends of xrdp 0.9.21.1-1+deb12u3 on amd64 (install-deps installs
# them only while the cache is incomplete; dpkg-buildpackage checks them).
build_deps=(autoconf automake check debhelper libfuse-dev libjpeg-dev
	libopus-dev libpam0g-dev libssl-dev libtool libx11-dev libxfixes-dev
	libxrandr-dev nasm openssl pkg-config systemd
	dpkg-dev fakeroot quilt)

mode=build
case "${1:-}" in
'') ;;
--install) mode=install ;;
--check) mode=check ;;
--build-deps) printf '%s\n' "${build_deps[@]}"; exit 0 ;;
-h|--help) sed -n '5,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
*) log "unknown option $1"; exit 2 ;;
esac

sudo=
[ "$(id -u)" = 0 ] || sudo=sudo
apt() {
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get "$@"
}

# The newest xrdp source package apt knows (bookworm-security's).
srcver=$(apt-cache showsrc --only-source xrdp 2>/dev/null |
	sed -n 's/^Version: //p' | sort -V | tail -1)
if [ -z "$srcver" ]; then
	log "no xrdp source package: deb-src lines missing (run scripts/install-deps.sh)"
	exit 1
fi
series=$(grep -v '^#' "$patches/series" | sed '/^[[:space:]]*$/d')
key=$( (cat "$patches/series"; for p in $series; do cat "$patches/$p"; done
	cat "$0"; echo "$srcver") | sha256sum | cut -c1-16)
out=$cache/xrdp/$key
debver=$srcver$suffix

if [ "$mode" = check ]; then
	[ -f "$out/.vscard-complete" ] && echo "$out"
	exit $?
fi

build() {
	local work=$out.build start=$SECONDS
	mkdir -p "$cache/xrdp"
	# One builder at a time per cache (make and a suite may ask together).
	exec 9>"$cache/xrdp/.lock"
	flock 9
	[ -f "$out/.vscard-complete" ] && return 0
	rm -rf "$work" "$out"
	mkdir -p "$work"
	log "building xrdp $debver in $work with -j$jobs (about 4 minutes)"
	(cd "$work" && apt-get source -qq "xrdp=$srcver") >"$work/source.log" 2>&1 ||
		{ cat "$work/source.log" >&2; log "apt-get source xrdp=$srcver failed"; exit 1; }
	local src
	src=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'xrdp-*' | head -1)
	[ -n "$src" ] || { log "no unpacked source in $work"; exit 1; }
	# The series goes after Debian's own patches.
	for p in $series; do
		cp "$patches/$p" "$src/debian/patches/vscard-$p"
		echo "vscard-$p" >>"$src/debian/patches/series"
	done
	(cd "$src" && QUILT_PATCHES=debian/patches quilt push -a -q) >"$work/quilt.log" 2>&1 ||
		{ cat "$work/quilt.log" >&2; log "the patch series does not apply to xrdp $srcver"; exit 1; }
	{
		echo "xrdp ($debver) bookworm; urgency=medium"
		echo
		echo "  * vscard: $(tr '\n' ' ' <<<"$series")"
		echo "    (integrations/xrdp in vscard, cache key $key)."
		echo
		echo " -- vscard build <root@localhost>  $(date -R)"
		echo
		cat "$src/debian/changelog"
	} >"$src/debian/changelog.new"
	mv "$src/debian/changelog.new" "$src/debian/changelog"
	if ! (cd "$src" && dpkg-checkbuilddeps) >"$work/deps.log" 2>&1; then
		log "installing xrdp's build dependencies"
		apt build-dep -y -q "xrdp=$srcver" >>"$work/deps.log" 2>&1 ||
			{ cat "$work/deps.log" >&2; log "apt-get build-dep xrdp failed"; exit 1; }
	fi
	if ! (cd "$src" && DEB_BUILD_OPTIONS="parallel=$jobs nocheck terse" \
		dpkg-buildpackage -b -us -uc) >"$work/build.log" 2>&1; then
		tail -40 "$work/build.log" >&2
		log "build failed (log: $work/build.log)"
		exit 1
	fi
	mkdir -p "$out.tmp"
	cp "$work"/*.deb "$out.tmp/"
	cp "$work/build.log" "$out.tmp/"
	ls "$out.tmp/xrdp_${debver#*:}"_*.deb >/dev/null 2>&1 ||
		{ log "no xrdp_${debver}_*.deb after the build"; exit 1; }
	touch "$out.tmp/.vscard-complete"
	rm -rf "$out"
	mv "$out.tmp" "$out"
	rm -rf "$work"
	log "done in $((SECONDS - start)) s"
}

[ -f "$out/.vscard-complete" ] || build

if [ "$mode" = install ]; then
	debs=("$out/xrdp_${debver#*:}"_*.deb)
	deb=${debs[0]}
	marker=$cache/xrdp/installed
	have=$(dpkg-query -W -f='${db:Status-Abbrev} ${Version}' xrdp 2>/dev/null || true)
	if [ "$have" != "ii  $debver" ] || [ "$(cat "$marker" 2>/dev/null)" != "$key" ]; then
		log "installing $deb"
		# No service may start on install (nor on this host at all):
		# policy-rc.d refuses every invoke-rc.d / deb-systemd-invoke.
		prc=/usr/sbin/policy-rc.d
		own_prc=0
		if [ ! -e "$prc" ]; then
			printf '#!/bin/sh\n# scripts/build-xrdp.sh: no service starts during the install\nexit 101\n' |
				$sudo tee "$prc" >/dev/null
			$sudo chmod 755 "$prc"
			own_prc=1
		fi
		rc=0
		# apt resolves the package's dependencies; dpkg -i then installs
		# these exact bits even when the same version is installed.
		{ apt install -y -q --no-install-recommends "$deb" &&
		  $sudo dpkg -i "$deb"; } >"$cache/xrdp/install.log" 2>&1 || rc=$?
		[ "$own_prc" = 0 ] || $sudo rm -f "$prc"
		if [ "$rc" != 0 ]; then
			cat "$cache/xrdp/install.log" >&2
			log "installing $deb failed"
			exit 1
		fi
		echo "$key" >"$marker"
	fi
fi
echo "$out"
