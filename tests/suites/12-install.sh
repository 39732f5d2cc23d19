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
		if command -v udevadm >/dev/null; then
			# The installed rule, evaluated by udev's rule engine (no udevd
			# in the VM): a by-slot link, and no owner/mode of its own.
			mkdir -p /etc/udev/rules.d
			cp "$work/root/etc/udev/rules.d/60-vscard.rules" /etc/udev/rules.d/
			out=$(udevadm test --action=add /sys/class/vscard/vscard1 2>&1)
			check "udev rule: /dev/vscard1 gets the link vscard-by-slot/0-1" \
				grep -q 'DEVLINKS=.*/dev/vscard-by-slot/0-1' <<<"$out"
			check "udev rule: sets no OWNER/GROUP/MODE of its own" \
				eval '! grep -Eq "^(OWNER|GROUP|MODE) |60-vscard.rules.*(OWNER|GROUP|MODE)" <<<"$out"'
		fi
		check "modprobe -r vscard" modprobe -r vscard
		check "vscard is unloaded" test ! -e /sys/module/vscard
	else
		fail "modprobe vscard slots=3"
	fi
	# The installed modprobe.d options: slots=4 without arguments.
	cp "$work/root/etc/modprobe.d/vscard.conf" /etc/modprobe.d/vscard.conf
	if modprobe vscard; then
		check "modprobe vscard with the installed modprobe.d: 4 slots" \
			test -c /dev/vscard3 -a ! -e /dev/vscard4
		modprobe -r vscard
	else
		fail "modprobe vscard with the installed modprobe.d"
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
	etc/reader.conf.d/vscard "lib/modules/$k61/updates/module/vscard.ko" \
	usr/local/sbin/vscard-session usr/local/share/man/man8/vscard-session.8 \
	usr/local/share/man/man8/vscard-rdp-server.8 usr/local/share/man/man1/vscardctl.1 \
	etc/systemd/system/vscard-pcscd@.service etc/udev/rules.d/60-vscard.rules \
	etc/tmpfiles.d/vscard.conf etc/modules-load.d/vscard.conf etc/modprobe.d/vscard.conf; do
	check "make install put /$f" test -s "$work/root/$f"
done
check "vscard-session is executable" test -x "$work/root/usr/local/sbin/vscard-session"
for m in "$work"/root/usr/local/share/man/man*/*; do
	out=$(groff -man -ww -z "$m" 2>&1)
	check "man page $(basename "$m") formats without warnings${out:+: $out}" test -z "$out"
done
unit=$work/root/etc/systemd/system/vscard-pcscd@.service
check "vscard-pcscd@.service runs the installed vscard-session" \
	grep -qx 'ExecStart=/usr/local/sbin/vscard-session run-pcscd --session %i' "$unit"
if command -v systemd-analyze >/dev/null; then
	# Verified as installed, with ExecStart pointing at the staged binary.
	mkdir -p "$work/unit"
	sed "s|=/usr/local/sbin/|=$work/root/usr/local/sbin/|" "$unit" > "$work/unit/vscard-pcscd@.service"
	out=$(systemd-analyze verify --man=no "$work/unit/vscard-pcscd@s1.service" 2>&1)
	check "systemd-analyze verify vscard-pcscd@s1.service${out:+: $out}" test -z "$out"
fi
if command -v systemd-tmpfiles >/dev/null; then
	mkdir -p "$work/tmpfiles/etc/tmpfiles.d"
	cp "$work/root/etc/tmpfiles.d/vscard.conf" "$work/tmpfiles/etc/tmpfiles.d/"
	systemd-tmpfiles --root="$work/tmpfiles" --create vscard.conf >/dev/null 2>&1
	check "tmpfiles.d/vscard.conf creates /run/vscard 0711 root" \
		test "$(stat -c '%a %U' "$work/tmpfiles/run/vscard" 2>/dev/null)" = "711 root"
fi
check "modules-load.d/vscard.conf loads vscard" \
	grep -qx vscard "$work/root/etc/modules-load.d/vscard.conf"
check "modprobe.d/vscard.conf and reader.conf.d/vscard agree on pool 0's slots" \
	test "$(sed -n 's/^options vscard .*slots=\([0-9]*\).*/\1/p' "$work/root/etc/modprobe.d/vscard.conf")" = \
	     "$(sed -n 's/^DEVICENAME .*slots=\([0-9]*\).*/\1/p' "$work/root/etc/reader.conf.d/vscard")"

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
