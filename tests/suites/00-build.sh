#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Everything builds warning-free: userspace and its tests (-Werror), and
# vscard.ko against Debian's 6.1 and 6.12 headers and the debug kernel
# (W=1; any compiler or modpost warning fails, see scripts/build-module.sh).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1

check() {
	local what=$1; shift
	local t0=$SECONDS out
	if out=$("$@" 2>&1); then
		echo "PASS: build: $what ($((SECONDS - t0)) s)"
	else
		echo "$out" | tail -30
		echo "FAIL: build: $what"
	fi
}

check "userspace and test programs (make userspace tests)" \
	make -s VSCARD_SKIP_DEPS=1 userspace tests
check "vscard.ko for the default KDIR (make module)" \
	make -s VSCARD_SKIP_DEPS=1 module
for k in 6.1 6.12; do
	check "vscard.ko against Debian $k headers ($(scripts/kernel-version.sh $k 2>&1))" \
		scripts/build-module.sh "$k"
done
# The first run builds the debug kernel (several minutes, then cached).
check "debug kernel (tests/vm/debug.config fully applied)" tests/vm/build-debug-kernel.sh
check "vscard.ko and vscard_test.ko against the debug kernel" scripts/build-module.sh debug
test_ko=build/kmod/debug/module/vscard_test.ko
if [ -f "$test_ko" ]; then
	echo "PASS: build: vscard_test.ko built (the debug kernel has KUnit)"
else
	echo "FAIL: build: vscard_test.ko missing for the debug kernel"
fi
