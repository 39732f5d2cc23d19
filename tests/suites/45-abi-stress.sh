#!/bin/bash
# SPDX-License-Identifier: MIT
# The binding-file, ownership and death tests and the concurrency stress on
# the debug kernel (KASAN, lockdep, kmemleak): zero splats required.
# ABI_STRESS_COUNT requests per thread (8 threads); default scaled down
# for TCG (suite 40 runs 8 x 100k on the stock 6.1 kernel, `make
# stress-debug` the full size here).
export ABI_STRESS_COUNT=${ABI_STRESS_COUNT:-1000}
exec "$(dirname "$0")/../abi/run-vm-abi.sh" debug bfile priv death stress
