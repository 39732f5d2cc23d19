#!/bin/bash
# SPDX-License-Identifier: MIT
# Host side of the trinity suite: build vscard.ko for kernel $1 (default
# debug) and run tests/abi/vm-trinity.sh in a VM; a kernel splat or a VM
# failure is a FAIL.  TRINITY_CALLS (default 5000), TRINITY_CHILDREN (2),
# TRINITY_UID (1001) and TRINITY_TIMEOUT are passed on.
kernel=${1:-debug}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. tests/vm/suite-lib.sh
tag=${TRINITY_TAG:-trinity-$kernel}
for bin in build/abi/vscard-hold build/abi/vscard-victim.so; do
	[ -e "$bin" ] || { echo "FAIL: $tag: $bin not built (make tests)"; exit 1; }
done
command -v trinity >/dev/null ||
	{ echo "FAIL: $tag: trinity not installed (scripts/install-deps.sh)"; exit 1; }
kmod=build/abi/kmod-trinity-$kernel
private_module "$kernel" "$kmod" || exit 1
timeout=${TRINITY_VM_TIMEOUT:-900}
tests/vm/run.sh --kernel "$kernel" --timeout "$timeout" --name "$tag" -- \
	env TRINITY_CALLS="${TRINITY_CALLS:-}" \
	TRINITY_CHILDREN="${TRINITY_CHILDREN:-}" \
	TRINITY_UID="${TRINITY_UID:-}" TRINITY_TIMEOUT="${TRINITY_TIMEOUT:-}" \
	TRINITY_TAG="$tag" VSCARD_KO="$top/$kmod/vscard.ko" \
	tests/abi/vm-trinity.sh "$kernel"
vm_verdict $? && echo "PASS: $tag: VM run without splat"
