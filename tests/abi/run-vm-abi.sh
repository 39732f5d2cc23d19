#!/bin/bash
# SPDX-License-Identifier: MIT
# Host side of the ABI suites: build vscard.ko for kernel $1 and run
# tests/abi/vm-abi.sh in a VM; a kernel splat or VM failure is a FAIL.
kernel=${1:?usage: run-vm-abi.sh KERNEL [GROUP...]}
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. tests/vm/suite-lib.sh
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
private_module "$kernel" "$kmod" || exit 1
timeout=900
[ "$kernel" = debug ] && timeout=2400
timeout=${ABI_VM_TIMEOUT:-$timeout}
tests/vm/run.sh --kernel "$kernel" --timeout "$timeout" --name "$tag" -- \
	env ABI_STRESS_COUNT="${ABI_STRESS_COUNT:-}" VSCARD_KO="$top/$kmod/vscard.ko" \
	tests/abi/vm-abi.sh "$kernel" "$@"
vm_verdict $?
