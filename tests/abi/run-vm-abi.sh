#!/bin/bash
# SPDX-License-Identifier: MIT
# Host side of the ABI suites: build vscard.ko for kernel $1 and run
# tests/abi/vm-abi.sh in a VM; a kernel splat or VM failure is a FAIL.
kernel=${1:?usage: run-vm-abi.sh KERNEL [GROUP...]}
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
tag=${ABI_VM_TAG:-abi-$kernel}
if [ ! -x tests/vm/run.sh ]; then
	echo "SKIP: $tag: tests/vm/run.sh not available"
	exit 0
fi
for bin in build/abi/abi_test build/abi/vscard-hold build/vscardctl/vscardctl build/tools/vscard-testcard; do
	[ -x "$bin" ] || { echo "FAIL: $tag: $bin not built (make tests)"; exit 1; }
done
# build/kmod/ is shared with other suites that may rebuild it meanwhile:
# keep a private copy of the module this run tests.
kmod=build/abi/kmod-$kernel
mkdir -p "$kmod"
for try in 1 2 3; do
	kdir=$(scripts/build-module.sh "$kernel" 2>"$kmod/build.err") &&
		{ cp "$kdir/module/vscard.ko" "$kmod/vscard.ko.new" ||
		  cp "$kdir/vscard.ko" "$kmod/vscard.ko.new"; } 2>/dev/null && break
	sleep 5
done
if [ ! -f "$kmod/vscard.ko.new" ]; then
	echo "FAIL: $tag: vscard.ko does not build for $kernel ($kmod/build.err)"
	exit 1
fi
mv "$kmod/vscard.ko.new" "$kmod/vscard.ko"
timeout=900
[ "$kernel" = debug ] && timeout=2400
timeout=${ABI_VM_TIMEOUT:-$timeout}
tests/vm/run.sh --kernel "$kernel" --timeout "$timeout" --name "$tag" -- \
	env ABI_STRESS_COUNT="${ABI_STRESS_COUNT:-}" VSCARD_KO="$top/$kmod/vscard.ko" \
	tests/abi/vm-abi.sh "$kernel" "$@"
rc=$?
case $rc in
0) ;;
125) echo "FAIL: $tag: kernel splat (see build/vm/$tag/console.log)" ;;
124) echo "FAIL: $tag: VM timed out" ;;
*) echo "FAIL: $tag: exit status $rc" ;;
esac
exit $rc
