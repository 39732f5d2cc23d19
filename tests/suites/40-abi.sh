#!/bin/bash
# SPDX-License-Identifier: MIT
# ABI tests (C test agents on the binding file, libvscard for netlink,
# vscardctl, vscard-testcard)
# against vscard.ko on the Debian 6.1 kernel, in QEMU, including the
# concurrency stress at full size: 8 threads x 100k requests (about a minute
# under TCG).  The debug kernel runs a smaller stress in suite 45.
export ABI_STRESS_COUNT=${ABI_STRESS_COUNT:-100000}
exec "$(dirname "$0")/../abi/run-vm-abi.sh" 6.1 status xfer bfile linger priv death stress
