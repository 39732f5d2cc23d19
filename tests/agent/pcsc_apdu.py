#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A local PC/SC application: wait for a reader with a card, connect,
send APDUs, print each response as hex (one line each), or 'error ...'.
Usage: pcsc_apdu.py TIMEOUT_S HEXAPDU..."""
import sys
import time

from smartcard.scard import (SCARD_E_NO_READERS_AVAILABLE, SCARD_LEAVE_CARD,
                             SCARD_PCI_T0, SCARD_PCI_T1, SCARD_PROTOCOL_T0,
                             SCARD_PROTOCOL_T1, SCARD_SCOPE_USER, SCARD_SHARE_SHARED,
                             SCARD_STATE_PRESENT, SCARD_STATE_UNAWARE, SCardConnect,
                             SCardDisconnect, SCardEstablishContext,
                             SCardGetErrorMessage, SCardGetStatusChange,
                             SCardListReaders, SCardReleaseContext, SCardTransmit)


def main():
    timeout = float(sys.argv[1])
    apdus = [list(bytes.fromhex(h)) for h in sys.argv[2:]]
    rc, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
    if rc:
        print("error establish", SCardGetErrorMessage(rc))
        return 1
    end = time.time() + timeout
    reader = None
    while time.time() < end and not reader:
        rc, readers = SCardListReaders(ctx, [])
        if rc == 0:
            rc, states = SCardGetStatusChange(ctx, 0, [(r, SCARD_STATE_UNAWARE) for r in readers])
            for name, ev, atr in (states if rc == 0 else []):
                if ev & SCARD_STATE_PRESENT:
                    reader = name
        elif rc != SCARD_E_NO_READERS_AVAILABLE:
            print("error list", SCardGetErrorMessage(rc))
        if not reader:
            time.sleep(0.2)
    if not reader:
        print("error no reader with a card")
        return 1
    print("reader", reader)
    rc, card, proto = SCardConnect(ctx, reader, SCARD_SHARE_SHARED,
                                   SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)
    if rc:
        print("error connect", SCardGetErrorMessage(rc))
        return 1
    pci = SCARD_PCI_T1 if proto == SCARD_PROTOCOL_T1 else SCARD_PCI_T0
    for apdu in apdus:
        rc, resp = SCardTransmit(card, pci, apdu)
        print(bytes(resp).hex() if rc == 0 else "error transmit " + SCardGetErrorMessage(rc),
              flush=True)
    SCardDisconnect(card, SCARD_LEAVE_CARD)
    SCardReleaseContext(ctx)
    return 0


sys.exit(main())
