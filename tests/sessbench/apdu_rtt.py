#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""APDU round trip for make bench-sessions, run as a session's user with
its session environment: connects to the first reader with a card and
sends the testcard's ECHO APDU N times.  Prints the median and the 90th
percentile in microseconds: "rtt_us MEDIAN P90"."""
import statistics
import sys
import time

from smartcard.scard import (
    SCardEstablishContext, SCardListReaders, SCardConnect, SCardTransmit,
    SCardDisconnect, SCardReleaseContext, SCARD_SCOPE_USER,
    SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0, SCARD_PROTOCOL_T1,
    SCARD_PCI_T0, SCARD_PCI_T1, SCARD_LEAVE_CARD)

n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
ECHO = list(bytes.fromhex("80EE00000401020304"))
hr, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
if hr:
    sys.exit("SCardEstablishContext: 0x%08X" % (hr & 0xFFFFFFFF))
hr, readers = SCardListReaders(ctx, [])
if hr or not readers:
    sys.exit("SCardListReaders: 0x%08X %s" % (hr & 0xFFFFFFFF, readers))
hr, card, proto = SCardConnect(ctx, readers[0], SCARD_SHARE_SHARED,
                               SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)
if hr:
    sys.exit("SCardConnect %s: 0x%08X" % (readers[0], hr & 0xFFFFFFFF))
pci = SCARD_PCI_T1 if proto == SCARD_PROTOCOL_T1 else SCARD_PCI_T0
t = []
for i in range(n + 10):
    t0 = time.perf_counter()
    hr, resp = SCardTransmit(card, pci, ECHO)
    dt = time.perf_counter() - t0
    if hr or bytes(resp).hex() != "010203049000":
        sys.exit("ECHO: 0x%08X %s" % (hr & 0xFFFFFFFF, bytes(resp).hex()))
    if i >= 10:                 # the first ten warm up
        t.append(dt * 1e6)
t.sort()
print("rtt_us %.0f %.0f" % (statistics.median(t), t[int(len(t) * 0.9)]))
SCardDisconnect(card, SCARD_LEAVE_CARD)
SCardReleaseContext(ctx)
