#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Installation paths of Documentation/admin-guide.rst: `make install` into a
# staging directory, DKMS builds for Debian 6.1 and 6.12 (private DKMS
# trees: the host's /var/lib/dkms is left alone), and in a 6.1 VM, whose
# root is a writable overlay, the installed module loaded with modprobe.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
O=${O:-$top/build}
work=$O/install-test
pass() { echo "PASS: install: $*"; }
fail() { echo "FAIL: install: $*"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
k61=$(scripts/kernel-version.sh 6.1)
k612=$(scripts/kernel-version.sh 6.12)
version=$(cat VERSION)

if [ "${1:-}" = --guest ]; then
	# What `make install` staged on the host, with the module index the
	# host's depmod computed for it, copied into the guest's writable
	# overlay root where `make install` would have put it.  (depmod -a in
	# the guest reads every module over 9p: minutes of TCG.)
	cp -a "$work/depmod/lib/modules/$k61/updates" \
		"$work/depmod/lib/modules/$k61"/modules.* "/lib/modules/$k61/"
	check "make install's module tree and index in /lib/modules/$k61" test $? = 0
	if modprobe vscard slots=3; then
		path=$(modinfo -n vscard)
		udevadm settle 2>/dev/null
		check "modprobe vscard slots=3 loads $path (/dev/vscard0..2)" \
			test -c /dev/vscard2 -a ! -e /dev/vscard3
		check "modprobe -r vscard" modprobe -r vscard
		check "vscard is unloaded" test ! -e /sys/module/vscard
	else
		fail "modprobe vscard slots=3"
	fi
	exit 0
fi

rm -rf "$work"
mkdir -p "$work"

# make install into a staging root.
make -s install DESTDIR="$work/root" KDIR="/usr/src/linux-headers-$k61" \
	VSCARD_SKIP_DEPS=1 >"$work/install.log" 2>&1
check "make install DESTDIR=... (log: $work/install.log)" test $? = 0
for f in usr/local/sbin/vscard-agent usr/local/sbin/vscard-rdp-server \
	usr/local/bin/vscardctl usr/local/share/man/man8/vscard-agent.8 \
	usr/local/include/linux/vscard.h usr/lib/pcsc/drivers/serial/libifdvscard.so \
	etc/reader.conf.d/vscard "lib/modules/$k61/updates/module/vscard.ko"; do
	check "make install put /$f" test -s "$work/root/$f"
done

# DKMS: the module source tree builds for both Debian kernels.
make -s dkms-source DESTDIR="$work/dkms-src" >/dev/null 2>&1
check "make dkms-source: /usr/src/vscard-$version with dkms.conf" \
	test -f "$work/dkms-src/usr/src/vscard-$version/dkms.conf"
mkdir -p "$work/dkms"
for k in "$k61" "$k612"; do
	dkms build "vscard/$version" -k "$k" --sourcetree "$work/dkms-src/usr/src" \
		--dkmstree "$work/dkms" >"$work/dkms-$k.log" 2>&1
	ls "$work/dkms/vscard/$version/$k/x86_64/module/vscard.ko"* >/dev/null 2>&1
	check "dkms build for $k (log: $work/dkms-$k.log)" test $? = 0
done

# depmod for the guest: the stock 6.1 tree plus what make install staged.
d=$work/depmod/lib/modules/$k61
mkdir -p "$d"
ln -s "/lib/modules/$k61/kernel" "$d/kernel"
cp /lib/modules/"$k61"/modules.{order,builtin,builtin.modinfo} "$d/"
cp -a "$work/root/lib/modules/$k61/updates" "$d/"
depmod -b "$work/depmod" "$k61"
check "depmod of the stock 6.1 tree with vscard in updates/" \
	grep -q '^updates/module/vscard.ko:' "$d/modules.dep"
tests/vm/run.sh --kernel 6.1 --timeout 600 --name install -- \
	"$top/tests/suites/12-install.sh" --guest
rc=$?
check "6.1 VM run without splat (status $rc)" test "$rc" = 0
