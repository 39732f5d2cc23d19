#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Runs inside the test VM (tests/vm/run.sh): load vscard.ko, run the end to
# end scene (tests/e2e/e2e.py MODE: check, bench or demo), unload.
#   tests/e2e/run.sh [MODE]      VSCARD_KO= the module to load
mode=${1:-check}
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
export O
tag=${TAG:-e2e}
export TAG=$tag
ko=${VSCARD_KO:-$O/kmod/6.1/vscard.ko}
if ! insmod "$ko" slots=4; then
	echo "FAIL: $tag: insmod $ko"
	exit 1
fi
udevadm settle 2>/dev/null
export TMPDIR=${VM_OUT:-/tmp}
/usr/bin/python3 "$top/tests/e2e/e2e.py" "$mode"
rc=$?
# Everything has stopped: the module must unload.
for try in 1 2 3 4 5; do
	rmmod vscard 2>"$TMPDIR/rmmod.err" && break
	sleep 1
done
if [ "$mode" = demo ]; then
	lsmod | grep -q '^vscard ' && echo "rmmod vscard failed" || echo "vscard.ko unloaded. Done."
elif [ "$mode" = check ]; then
	if lsmod | grep -q '^vscard '; then
		echo "FAIL: $tag: 6: rmmod vscard after everything stopped ($(cat "$TMPDIR/rmmod.err"))"
		rc=1
	else
		echo "PASS: $tag: 6: rmmod vscard after everything stopped"
	fi
fi
exit $rc
