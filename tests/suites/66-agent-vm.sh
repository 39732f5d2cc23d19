#!/bin/bash
# SPDX-License-Identifier: MIT
#
# vscard-agent end to end in QEMU on the Debian 6.1 kernel: real vscard.ko,
# the agent over netlink, the scripted fake RDP client as the remote side,
# raw ioctls on /dev/vscardN as the local side.
kernel=${AGENT_VM_KERNEL:-6.1}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
tag=agent-vm-$kernel
if [ ! -x tests/vm/run.sh ]; then
	echo "SKIP: $tag: tests/vm/run.sh not available"
	exit 0
fi
[ -x build/agent/vscard-agent-san ] ||
	{ echo "FAIL: $tag: build/agent/vscard-agent-san not built (make tests)"; exit 1; }
# build/kmod/ is shared with other suites: test a private copy.
kmod=build/agent/kmod-$kernel
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
tests/vm/run.sh --kernel "$kernel" --timeout 600 --name "$tag" -- \
	env VSCARD_KO="$top/$kmod/vscard.ko" tests/agent/vm-agent.sh "$kernel"
rc=$?
case $rc in
0) ;;
125) echo "FAIL: $tag: kernel splat (see build/vm/$tag/console.log)" ;;
124) echo "FAIL: $tag: VM timed out" ;;
*) echo "FAIL: $tag: exit status $rc" ;;
esac
exit $rc
