#!/bin/bash
# SPDX-License-Identifier: MIT
# ABI death/portid tests and the concurrency stress on the debug kernel
# (KASAN, lockdep, kmemleak): zero splats required.  ABI_STRESS_COUNT
# requests per thread (8 threads); default scaled down for TCG.
export ABI_STRESS_COUNT=${ABI_STRESS_COUNT:-3000}
exec "$(dirname "$0")/../abi/run-vm-abi.sh" debug death stress
