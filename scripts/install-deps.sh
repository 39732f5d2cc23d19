#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install every Debian package vscard's build, tests, demo and benchmarks
# need.  Idempotent and quiet when everything is present.  Runs apt-get only
# for what is missing (as root, or through sudo).
set -euo pipefail

pkgs=(
	# build
	build-essential pkg-config kmod xz-utils sparse clang libclang-rt-14-dev dkms
	libnl-3-dev libnl-genl-3-dev libpcsclite-dev libcmocka-dev
	# kernels: Debian stock 6.1 (meta packages) and the debug kernel source
	linux-image-amd64 linux-headers-amd64 linux-source-6.1
	bc flex bison libelf-dev libssl-dev dwarves cpio
	# QEMU rig
	qemu-system-x86 busybox-static iproute2 procps psmisc python3-yaml
	trinity	# suite 47: syscall fuzzing of the binding file (tests/abi/vm-trinity.sh)
	# PC/SC side
	pcscd python3-pyscard pcsc-tools opensc
	strace	# make bench-opensc: requests to pcscd
	# RDP end to end
	freerdp2-dev freerdp2-x11 xvfb xauth openssl
	vsmartcard-vpcd vsmartcard-vpicc python3-virtualsmartcard python3-pycryptodome
	# xrdp sessions (suite 85, tests/xrdp): the session's X server, and
	# fusermount for chansrv's drive redirection.  The patched xrdp's build
	# dependencies come below, only while its cached build is missing.
	tigervnc-standalone-server fuse3 rdesktop
)

missing() {
	local p
	for p in "$@"; do
		dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null | grep -q '^ii' || echo "$p"
	done
}

apt() {
	local sudo=
	[ "$(id -u)" = 0 ] || sudo=sudo
	$sudo env DEBIAN_FRONTEND=noninteractive apt-get "$@"
}

updated=0
aptlog=$(mktemp)
trap 'rm -f "$aptlog"' EXIT
apt_update_once() {
	[ "$updated" = 1 ] && return
	echo "install-deps: apt-get update" >&2
	apt update -qq >"$aptlog" 2>&1 || { cat "$aptlog" >&2; exit 1; }
	updated=1
}

# Debian 12's 6.12 kernel: the newest +deb12 build the archive offers (a
# pinned version would vanish with the next security update).  The archive
# is asked only when no 6.12 kernel is installed or the package lists
# changed since the installed one (a newer build may exist).
newest_612() {
	apt-cache search --names-only '^linux-image-6\.12\.[0-9]+\+deb12-amd64$' |
		awk '{print $1}' | sed 's/^linux-image-//' | sort -V | tail -1
}
k612=$(cd /boot 2>/dev/null && ls -1 vmlinuz-6.12.*+deb12-amd64 2>/dev/null |
	sed 's/^vmlinuz-//' | sort -V | tail -1 || true)
if [ -z "$k612" ]; then
	apt_update_once
	k612=$(newest_612)
	[ -n "$k612" ] || { echo "install-deps: no Debian 6.12 kernel in the archive" >&2; exit 1; }
elif [ -n "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -newer "/var/lib/dpkg/info/linux-image-$k612.list" 2>/dev/null | head -1)" ]; then
	k=$(newest_612)
	[ -z "$k" ] || k612=$(printf '%s\n' "$k612" "$k" | sort -V | tail -1)
fi
pkgs+=("linux-image-$k612" "linux-headers-$k612")

# deb-src lines (xrdp's source package): a copy of debian.sources with
# "Types: deb-src" as its own file; apt-get update once, when it appears.
srcs=/etc/apt/sources.list.d/debian.sources
srcfile=/etc/apt/sources.list.d/debian-src.sources
if [ -r "$srcs" ] && [ ! -e "$srcfile" ]; then
	echo "install-deps: adding $srcfile (deb-src)" >&2
	sudo=; [ "$(id -u)" = 0 ] || sudo=sudo
	sed 's/^Types:.*/Types: deb-src/' "$srcs" | $sudo tee "$srcfile.tmp" >/dev/null
	$sudo mv "$srcfile.tmp" "$srcfile"
	updated=0
	apt_update_once
fi

# xrdp's build dependencies, only when the patched xrdp must be built
# (scripts/build-xrdp.sh --check fails when its cache is not complete).
if ! "$(dirname "$0")/build-xrdp.sh" --check >/dev/null 2>&1; then
	mapfile -t -O "${#pkgs[@]}" pkgs < <("$(dirname "$0")/build-xrdp.sh" --build-deps)
fi

need=$(missing "${pkgs[@]}")
if [ -n "$need" ]; then
	apt_update_once
	echo "install-deps: installing" $need >&2
	# shellcheck disable=SC2086
	apt install -y -q --no-install-recommends $need >"$aptlog" 2>&1 ||
		{ cat "$aptlog" >&2; echo "install-deps: apt-get install failed" >&2; exit 1; }
	need=$(missing "${pkgs[@]}")
	[ -z "$need" ] || { echo "install-deps: still missing:" $need >&2; exit 1; }
fi
