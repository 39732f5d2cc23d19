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
. tests/vm/suite-lib.sh
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
private_module "$kernel" "$kmod" || exit 1
tests/vm/run.sh --kernel "$kernel" --timeout 900 --name "$tag" -- \
	env O="$O" VSCARD_KO="$kmod/vscard.ko" IFD_CYCLES="${IFD_CYCLES:-1000}" \
	tests/ifd/vm-ifd.sh "$kernel"
vm_verdict $?
