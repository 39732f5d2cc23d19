#!/bin/bash
# SPDX-License-Identifier: MIT
# ABI tests (C, libvscard + raw ioctls), vscardctl and vscard-testcard
# checks against vscard.ko on the Debian 6.1 kernel, in QEMU.
exec "$(dirname "$0")/../abi/run-vm-abi.sh" 6.1 status xfer linger priv death stress
