#!/bin/bash
# SPDX-License-Identifier: MIT
#
# libifdvscard with a real pcscd in QEMU on the Debian 6.1 kernel: readers,
# insert/remove events, APDUs (short, extended up to 65535 bytes, T=0/T=1),
# attributes and control passthrough, 1000 bind/insert/remove cycles, agent
# kill -9 mid-APDU, two slots concurrently, pcscd restart, rmmod.
kernel=${IFD_VM_KERNEL:-6.1}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
O=${O:-$top/build}
tag=ifd-vm-$kernel
if [ ! -x tests/vm/run.sh ]; then
	echo "SKIP: $tag: tests/vm/run.sh not available"
	exit 0
fi
for bin in "$O/ifd/libifdvscard.so" "$O/tools/vscard-testcard"; do
	[ -e "$bin" ] || { echo "FAIL: $tag: $bin not built (make tests)"; exit 1; }
done
# build/kmod/ is shared with other suites: test a private copy.
kmod=$O/ifd/kmod-$kernel
mkdir -p "$kmod"
rm -f "$kmod/vscard.ko"
for try in 1 2 3; do
	kdir=$(scripts/build-module.sh "$kernel" 2>"$kmod/build.err") &&
		{ cp "$kdir/module/vscard.ko" "$kmod/vscard.ko" ||
		  cp "$kdir/vscard.ko" "$kmod/vscard.ko"; } 2>/dev/null && break
	sleep 5
done
if [ ! -f "$kmod/vscard.ko" ]; then
	echo "FAIL: $tag: vscard.ko does not build for $kernel ($kmod/build.err)"
	exit 1
fi
tests/vm/run.sh --kernel "$kernel" --timeout 900 --name "$tag" -- \
	env O="$O" VSCARD_KO="$kmod/vscard.ko" IFD_CYCLES="${IFD_CYCLES:-1000}" \
	tests/ifd/vm-ifd.sh "$kernel"
rc=$?
case $rc in
0) ;;
125) echo "FAIL: $tag: kernel splat (see build/vm/$tag/console.log)" ;;
124) echo "FAIL: $tag: VM timed out" ;;
*) echo "FAIL: $tag: exit status $rc" ;;
esac
exit $rc
