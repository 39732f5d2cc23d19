#!/bin/bash
# SPDX-License-Identifier: MIT
# Runs inside the VM: load vscard.ko ($1 kernel) and run abi_bench twice:
# on both vCPUs (latency), then with every process on vCPU 0 (the CPU
# time of one round trip, with no overlap between caller and agent).
kernel=${1:-6.1}
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
insmod "${VSCARD_KO:-$O/kmod/$kernel/module/vscard.ko}" slots=4 || exit 1
echo "bench-abi: == both vCPUs (latency)"
"$O/abi/abi_bench" ${BENCH_ABI_ARGS:-}
rc=$?
echo "bench-abi: == all on one vCPU (CPU time per round trip)"
taskset -c 0 "$O/abi/abi_bench" ${BENCH_ABI_ARGS:-} || rc=1
rmmod vscard || rc=1
exit $rc
