#!/bin/bash
# SPDX-License-Identifier: MIT
# ABI death/portid tests and the concurrency stress on the debug kernel
# (KASAN, lockdep, kmemleak): zero splats required.  ABI_STRESS_COUNT
# requests per thread (8 threads); default scaled down for TCG.
# After an agent's kill -9 the kernel must fail all pending requests within
# 100 ms on the stock kernels (suites 40/41, measured with a tracepoint);
# under KASAN+lockdep+kmemleak in TCG the process teardown alone takes about
# that long, so the debug run checks 1 s (kernel) and 3 s (callers).
export ABI_STRESS_COUNT=${ABI_STRESS_COUNT:-1000}
export ABI_DEATH_BOUND_MS=${ABI_DEATH_BOUND_MS:-3000}
export ABI_DEATH_KERNEL_BOUND_MS=${ABI_DEATH_KERNEL_BOUND_MS:-1000}
exec "$(dirname "$0")/../abi/run-vm-abi.sh" debug push death stress
