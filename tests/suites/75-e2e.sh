#!/bin/bash
# SPDX-License-Identifier: MIT
#
# The real thing in QEMU on the Debian 6.1 kernel: xfreerdp /smartcard
# (client pcscd + vpcd + vicc in a private mount namespace) -> RDP ->
# vscard-rdp-server -> vscard-agent -> vscard.ko -> libifdvscard.so ->
# pcscd -> server-side PC/SC applications.  See tests/e2e/e2e.py.
exec "$(dirname "$0")/../e2e/vm.sh" check
