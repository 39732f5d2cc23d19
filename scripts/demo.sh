#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# `make demo`: boot Debian's stock 6.1 kernel in QEMU, load vscard.ko and
# show what a user would look at, then unload it.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

if [ "${1:-}" = --guest ]; then
	ko=$2
	step() { printf '\n$ %s\n' "$*"; "$@"; }
	step insmod "$ko"
	printf '\n$ lsmod | grep vscard\n'; lsmod | grep '^vscard'
	step ls /sys/class/vscard
	for d in /sys/class/vscard/vscard*; do
		printf '%s: pool=%s slot=%s\n' "${d##*/}" "$(cat "$d/pool")" "$(cat "$d/slot")"
	done
	printf '\n$ grep . /sys/class/vscard/vscard0/*\n'
	grep -s . /sys/class/vscard/vscard0/* || true
	printf '\n$ grep . /sys/module/vscard/parameters/*\n'
	grep -s . /sys/module/vscard/parameters/* || true
	printf '\n$ ls -l /dev/vscard*\n'; ls -l /dev/vscard*
	printf '\n$ dmesg | grep vscard\n'; dmesg | grep -i vscard || true
	step rmmod vscard
	printf '\n$ ls /sys/class/vscard\n'; ls /sys/class/vscard 2>&1 || true
	exit 0
fi

echo "demo: building vscard.ko for Debian's 6.1 kernel"
dir=$(scripts/build-module.sh 6.1)
echo "demo: booting $(scripts/kernel-version.sh 6.1) in QEMU (TCG, about 15 s)"
tests/vm/run.sh --kernel 6.1 --name demo -- "$top/scripts/demo.sh" --guest "$dir/module/vscard.ko"
