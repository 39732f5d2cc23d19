#!/bin/bash
# SPDX-License-Identifier: MIT
# trinity (the Linux system call fuzzer) as an unprivileged user (uid 1001,
# no capability) against the binding file of a slot that user bound and
# the device nodes of the pool it owns, on the debug kernel (KASAN,
# lockdep, kmemleak): about a minute of fuzzing (TRINITY_CALLS, default
# 5000 calls), and any kernel splat fails.  `make stress-debug` runs a long
# one.  See tests/abi/vm-trinity.sh.
export TRINITY_CALLS=${TRINITY_CALLS:-5000}
exec "$(dirname "$0")/../abi/run-vm-trinity.sh" debug
