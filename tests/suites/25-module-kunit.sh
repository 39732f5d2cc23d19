#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vscard_test.ko KUnit suites on the debug kernel (KASAN, lockdep,
# kmemleak) in QEMU: one PASS/FAIL/SKIP line per KUnit case, one for the
# clean unload and one for the whole VM run (no splat, no leak).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)

if [ "${1:-}" = --guest ]; then
	m=$2
	insmod "$m/vscard.ko" || { echo "FAIL: kunit: insmod vscard.ko"; exit 1; }
	insmod "$m/vscard_test.ko" ||
		{ echo "FAIL: kunit: insmod vscard_test.ko"; exit 1; }
	n=0
	for d in /sys/kernel/debug/kunit/vscard_*; do
		[ -r "$d/results" ] || continue
		s=${d##*/}
		cp "$d/results" "$VM_OUT/$s.ktap"
		while read -r line; do
			case "$line" in
			"ok "*"# SKIP"*) echo "SKIP: kunit: $s.$(awk '{print $3}' <<<"$line")" ;;
			"ok "*) echo "PASS: kunit: $s.$(awk '{print $3}' <<<"$line")" ;;
			"not ok "*) echo "FAIL: kunit: $s.$(awk '{print $4}' <<<"$line")" ;;
			*) continue ;;
			esac
			n=$((n + 1))
		done < <(grep -E '^[[:space:]]+(not )?ok [0-9]+ ' "$d/results")
	done
	[ "$n" -gt 0 ] || echo "FAIL: kunit: no vscard KUnit results"
	rmmod vscard_test
	if rmmod vscard; then
		echo "PASS: kunit: rmmod vscard after the tests"
	else
		echo "FAIL: kunit: rmmod vscard after the tests"
	fi
	exit 0
fi

cd "$top" || exit 1
if ! m=$(scripts/build-module.sh debug 2>&1); then
	echo "$m" | tail -20
	echo "FAIL: kunit: build vscard_test.ko for the debug kernel"
	exit 0
fi
tests/vm/run.sh --kernel debug --timeout 1200 --name kunit-vscard -- \
	"$top/tests/suites/25-module-kunit.sh" --guest "$m/module"
rc=$?
if [ $rc = 0 ]; then
	echo "PASS: kunit: debug VM run without splat or leak"
else
	echo "FAIL: kunit: debug VM run (status $rc, see build/vm/kunit-vscard)"
fi
