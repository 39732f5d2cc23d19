#!/bin/bash
# SPDX-License-Identifier: MIT
# ABI death/portid tests and the concurrency stress on the debug kernel
# (KASAN, lockdep, kmemleak): zero splats required.  ABI_STRESS_COUNT
# requests per thread (8 threads); default scaled down for TCG.
# The kill -9 latency bound is 100 ms on the stock kernels (suites 40/41);
# under KASAN+lockdep+kmemleak in TCG the process teardown alone is slower,
# so the debug run only checks that it stays under 3 s.
export ABI_STRESS_COUNT=${ABI_STRESS_COUNT:-1000}
export ABI_DEATH_BOUND_MS=${ABI_DEATH_BOUND_MS:-3000}
exec "$(dirname "$0")/../abi/run-vm-abi.sh" debug death stress
