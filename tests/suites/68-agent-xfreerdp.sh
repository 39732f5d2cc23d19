#!/bin/bash
# SPDX-License-Identifier: MIT
#
# vscard-agent against the real FreeRDP 2 client on the host (no kernel:
# the fake-kernel seam plays vscard.ko): xfreerdp /smartcard with a vicc
# card behind vpcd -> vscard-rdp-server -> vscard-agent.  Skips when
# xfreerdp, Xvfb, vsmartcard or vscard-rdp-server are missing.
top=$(cd "$(dirname "$0")/../.." && pwd)
exec timeout 300 /usr/bin/python3 "$top/tests/agent/interop_xfreerdp.py"
