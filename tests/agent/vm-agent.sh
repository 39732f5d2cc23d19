#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Runs inside the test VM (tests/vm/run.sh): load vscard.ko, run the agent
# end-to-end test (tests/agent/vm_e2e.py), unload.  PASS:/FAIL: lines.
kernel=${1:?usage: vm-agent.sh KERNEL}
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
tag=agent-vm-$kernel
ko=${VSCARD_KO:-$O/kmod/$kernel/vscard.ko}
if ! insmod "$ko" slots=4; then
	echo "FAIL: $tag: insmod $ko"
	exit 1
fi
udevadm settle 2>/dev/null
export TMPDIR=${VM_OUT:-/tmp}
# pcscd with the vscard IFD handler, when it is built: vm_e2e.py starts it
# after the raw-ioctl checks (pcscd powers cards up on its own).
ifd=$O/ifd/libifdvscard.so
if [ -f "$ifd" ] && command -v pcscd >/dev/null; then
	mkdir -p /etc/reader.conf.d /run/pcscd
	rm -f /etc/reader.conf.d/*
	printf 'FRIENDLYNAME "vscard"\nDEVICENAME /dev/vscard:pool=0:slots=4\nLIBPATH %s\n' \
		"$ifd" > /etc/reader.conf.d/vscard
	export PCSC_IFD=$ifd
fi
TAG=$tag VSCARD_AGENT=$O/agent/vscard-agent-san \
	ASAN_OPTIONS=detect_leaks=1 /usr/bin/python3 "$top/tests/agent/vm_e2e.py"
rc=$?
if rmmod vscard; then
	echo "PASS: $tag: rmmod vscard after the agents are gone"
else
	echo "FAIL: $tag: rmmod vscard"
	rc=1
fi
exit $rc
