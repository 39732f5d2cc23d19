#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The real thing in QEMU on the Debian 6.1 kernel: xfreerdp /smartcard
# (client pcscd + vpcd + vicc in a private mount namespace) -> RDP ->
# vscard-rdp-server -> vscard-agent -> vscard.ko -> libifdvscard.so ->
# pcscd -> server-side PC/SC applications.  See tests/e2e/e2e.py.
kernel=${E2E_KERNEL:-6.1}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
O=${O:-$top/build}
tag=e2e-$kernel
[ -x tests/vm/run.sh ] || { echo "FAIL: $tag: tests/vm/run.sh missing"; exit 1; }
for f in "$O/rdp-server/vscard-rdp-server" "$O/agent/vscard-agent" "$O/ifd/libifdvscard.so"; do
	[ -e "$f" ] || { echo "FAIL: $tag: $f not built (make userspace)"; exit 1; }
done
for tool in xfreerdp Xvfb pcscd nsenter unshare /usr/bin/vicc; do
	command -v "$tool" >/dev/null ||
		{ echo "FAIL: $tag: $tool missing (scripts/install-deps.sh; vicc: vsmartcard-vpicc)"; exit 1; }
done
# build/kmod/ is shared with other suites: test a private copy.
kmod=$O/e2e/kmod-$kernel
mkdir -p "$kmod"
rm -f "$kmod/vscard.ko"
for try in 1 2 3; do
	kdir=$(scripts/build-module.sh "$kernel" 2>"$kmod/build.err") &&
		{ cp "$kdir/module/vscard.ko" "$kmod/vscard.ko" ||
		  cp "$kdir/vscard.ko" "$kmod/vscard.ko"; } 2>/dev/null && break
	sleep 5
done
[ -f "$kmod/vscard.ko" ] ||
	{ echo "FAIL: $tag: vscard.ko does not build for $kernel ($kmod/build.err)"; exit 1; }
tests/vm/run.sh --kernel "$kernel" --timeout 1500 --mem 2048 --name "$tag" -- \
	env VSCARD_KO="$kmod/vscard.ko" TAG="$tag" O="$O" tests/e2e/run.sh check
rc=$?
case $rc in
0) ;;
125) echo "FAIL: $tag: 6: kernel splat (see build/vm/$tag/console.log)" ;;
124) echo "FAIL: $tag: VM timed out" ;;
*) echo "FAIL: $tag: exit status $rc (logs: build/vm/$tag/out)" ;;
esac
[ $rc = 0 ] && echo "PASS: $tag: 6: no kernel splat on the console"
exit $rc
