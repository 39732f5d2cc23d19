#!/bin/bash
# SPDX-License-Identifier: MIT
# Host side of the trinity suite: build vscard.ko for kernel $1 (default
# debug) and run tests/abi/vm-trinity.sh in a VM; a kernel splat or a VM
# failure is a FAIL.  TRINITY_CALLS (default 5000), TRINITY_CHILDREN (2),
# TRINITY_UID (1001) and TRINITY_TIMEOUT are passed on.
kernel=${1:-debug}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
tag=${TRINITY_TAG:-trinity-$kernel}
for bin in build/abi/vscard-hold build/abi/vscard-victim.so; do
	[ -e "$bin" ] || { echo "FAIL: $tag: $bin not built (make tests)"; exit 1; }
done
command -v trinity >/dev/null ||
	{ echo "FAIL: $tag: trinity not installed (scripts/install-deps.sh)"; exit 1; }
kmod=build/abi/kmod-trinity-$kernel
mkdir -p "$kmod"
rm -f "$kmod/vscard.ko.new"
for try in 1 2 3; do
	kdir=$(scripts/build-module.sh "$kernel" 2>"$kmod/build.err") &&
		cp "$kdir/module/vscard.ko" "$kmod/vscard.ko.new" 2>/dev/null && break
	sleep 5
done
if [ ! -f "$kmod/vscard.ko.new" ]; then
	echo "FAIL: $tag: vscard.ko does not build for $kernel ($kmod/build.err)"
	exit 1
fi
mv "$kmod/vscard.ko.new" "$kmod/vscard.ko"
timeout=${TRINITY_VM_TIMEOUT:-900}
tests/vm/run.sh --kernel "$kernel" --timeout "$timeout" --name "$tag" -- \
	env TRINITY_CALLS="${TRINITY_CALLS:-}" \
	TRINITY_CHILDREN="${TRINITY_CHILDREN:-}" \
	TRINITY_UID="${TRINITY_UID:-}" TRINITY_TIMEOUT="${TRINITY_TIMEOUT:-}" \
	TRINITY_TAG="$tag" VSCARD_KO="$top/$kmod/vscard.ko" \
	tests/abi/vm-trinity.sh "$kernel"
rc=$?
case $rc in
0) echo "PASS: $tag: VM run without splat" ;;
125) echo "FAIL: $tag: kernel splat (see build/vm/$tag/console.log)" ;;
124) echo "FAIL: $tag: VM timed out" ;;
*) echo "FAIL: $tag: exit status $rc" ;;
esac
exit $rc
