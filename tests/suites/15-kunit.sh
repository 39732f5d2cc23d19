#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# KUnit on the debug kernel (KASAN, lockdep, kmemleak): load vscard.ko and
# vscard_test.ko, copy every /sys/kernel/debug/kunit/<suite>/results and the
# kernel log of the test run out of the VM, unload both; then parse the KTAP
# here, one PASS/FAIL/SKIP line per test case (tests/vm/ktap-parse.py).  No
# parsed case is a FAIL.
#
# The kernel log's KTAP is the one parsed: on 6.1 the debugfs results keep
# only 512 bytes of each case's log, so a failing case's report is cut and
# its result line runs into the next one (the case names come out garbled).
# The debugfs files are the fallback when the kernel log has no KTAP.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)

if [ "${1:-}" = --guest ]; then
	m=$2
	mkdir -p "$VM_OUT/ktap"
	insmod "$m/vscard.ko" || { echo "FAIL: kunit: insmod vscard.ko"; exit 1; }
	before=$(dmesg | wc -l)
	insmod "$m/vscard_test.ko" || { echo "FAIL: kunit: insmod vscard_test.ko"; exit 1; }
	# The suites ran during insmod: their KTAP is in the new log lines.
	dmesg | tail -n +$((before + 1)) > "$VM_OUT/kunit-kernel.log"
	# The results files vanish with the test module: copy them first.
	for d in /sys/kernel/debug/kunit/*/; do
		[ -r "$d/results" ] && cp "$d/results" "$VM_OUT/ktap/$(basename "$d").ktap"
	done
	rmmod vscard_test || { echo "FAIL: kunit: rmmod vscard_test"; exit 1; }
	rmmod vscard || { echo "FAIL: kunit: rmmod vscard"; exit 1; }
	echo "PASS: kunit: load, run and unload vscard_test.ko and vscard.ko"
	exit 0
fi

cd "$top" || exit 1
if ! dir=$(scripts/build-module.sh debug 2>&1); then
	echo "$dir" | tail -20
	echo "FAIL: kunit: build vscard.ko and vscard_test.ko for the debug kernel"
	exit 0
fi
[ -f "$dir/module/vscard_test.ko" ] || { echo "FAIL: kunit: no vscard_test.ko"; exit 0; }
name=kunit
tests/vm/run.sh --kernel debug --timeout 1200 --name "$name" -- \
	"$top/tests/suites/15-kunit.sh" --guest "$dir/module"
rc=$?
if [ "$rc" = 0 ]; then
	echo "PASS: kunit: debug VM run clean (no splat, no leak)"
else
	echo "FAIL: kunit: debug VM run status $rc (see build/vm/$name/)"
fi
shopt -s nullglob
klog=build/vm/$name/out/kunit-kernel.log
ktap=(build/vm/$name/out/ktap/*.ktap)
if [ -f "$klog" ] && grep -q '# Subtest: ' "$klog"; then
	tests/vm/ktap-parse.py "$klog"
elif [ ${#ktap[@]} = 0 ]; then
	echo "FAIL: kunit: no KTAP results came out of the VM"
else
	echo "kunit: no KTAP in the kernel log, parsing the debugfs results"
	tests/vm/ktap-parse.py "${ktap[@]}"
fi
