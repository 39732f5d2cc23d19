#!/bin/bash
# SPDX-License-Identifier: MIT
# Same ABI tests as 40-abi.sh on the Debian 6.12 kernel.
exec "$(dirname "$0")/../abi/run-vm-abi.sh" 6.12
