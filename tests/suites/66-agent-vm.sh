#!/bin/bash
# SPDX-License-Identifier: MIT
#
# vscard-agent end to end in QEMU on the Debian 6.1 kernel: real vscard.ko,
# the agent over netlink, the scripted fake RDP client as the remote side,
# raw ioctls on /dev/vscardN as the local side.
kernel=${AGENT_VM_KERNEL:-6.1}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. tests/vm/suite-lib.sh
tag=agent-vm-$kernel
if [ ! -x tests/vm/run.sh ]; then
	echo "SKIP: $tag: tests/vm/run.sh not available"
	exit 0
fi
[ -x build/agent/vscard-agent-san ] ||
	{ echo "FAIL: $tag: build/agent/vscard-agent-san not built (make tests)"; exit 1; }
# build/kmod/ is shared with other suites: test a private copy.
kmod=build/agent/kmod-$kernel
private_module "$kernel" "$kmod" || exit 1
tests/vm/run.sh --kernel "$kernel" --timeout 600 --name "$tag" -- \
	env VSCARD_KO="$top/$kmod/vscard.ko" tests/agent/vm-agent.sh "$kernel"
vm_verdict $?
