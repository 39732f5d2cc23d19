#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vscard.ko loads into Debian's 6.1 and 6.12 kernels and the debug kernel:
# the class and pool 0's slot devices appear, and rmmod is clean (no splat,
# and on the debug kernel no kmemleak report).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)

if [ "${1:-}" = --guest ]; then
	ko=$2 k=$VSCARD_VM_KERNEL
	res() {	# res NAME COMMAND...
		local name=$1; shift
		if "$@" >/dev/null 2>&1; then r=PASS; else r=FAIL; fi
		echo "$r: module-load: $k: $name"
	}
	res "insmod vscard.ko" insmod "$ko"
	res "lsmod lists vscard" grep -q '^vscard ' /proc/modules
	res "class /sys/class/vscard exists" test -d /sys/class/vscard
	res "/dev/vscard0 is a character device" test -c /dev/vscard0
	res "vscard0 has pool and slot attributes (pool 0, slot 0)" \
		bash -c '[ "$(cat /sys/class/vscard/vscard0/pool)" = 0 ] &&
			 [ "$(cat /sys/class/vscard/vscard0/slot)" = 0 ]'
	res "rmmod vscard" rmmod vscard
	res "module, class and device gone after rmmod" \
		bash -c '! grep -q "^vscard " /proc/modules && [ ! -e /sys/class/vscard ] &&
			 [ ! -e /dev/vscard0 ]'
	exit 0
fi

cd "$top" || exit 1
for k in 6.1 6.12 debug; do
	if ! dir=$(scripts/build-module.sh "$k" 2>&1); then
		echo "$dir" | tail -20
		echo "FAIL: module-load: $k: build vscard.ko"
		continue
	fi
	tests/vm/run.sh --kernel "$k" --name "module-load-$k" -- \
		"$top/tests/suites/10-module-load.sh" --guest "$dir/module/vscard.ko"
	rc=$?
	if [ "$rc" = 0 ]; then
		echo "PASS: module-load: $k: VM run clean (no splat$([ "$k" = debug ] && echo ", no leak"))"
	else
		echo "FAIL: module-load: $k: VM run status $rc (see build/vm/module-load-$k/)"
	fi
done
