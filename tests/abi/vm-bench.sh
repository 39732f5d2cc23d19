#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs inside the VM: load vscard.ko ($1 kernel) and run abi_bench.
kernel=${1:-6.1}
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
insmod "${VSCARD_KO:-$O/kmod/$kernel/module/vscard.ko}" slots=4 || exit 1
"$O/abi/abi_bench" ${BENCH_ABI_ARGS:-}
rc=$?
rmmod vscard || rc=1
exit $rc
