#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""PC/SC checks for suite 80, run as a session's user with its environment.

  pcsc_check.py own ATRHEX OTHERATRHEX   readers of this pcscd: exactly one
        card, with ATRHEX; OTHERATRHEX nowhere; ECHO APDU -> 010203049000
  pcsc_check.py context                  SCardEstablishContext's result
  pcsc_check.py connect PATH             connect() to a Unix socket: errno
Prints PASS:/FAIL: lines (TAG from the environment); exit 1 on a FAIL."""
import errno
import os
import socket
import sys

TAG = os.environ.get("TAG", "sessions")
WHO = os.environ.get("WHO", "?")
rc = 0


def res(ok, what):
    global rc
    print("%s: %s: %s: %s" % ("PASS" if ok else "FAIL", TAG, WHO, what))
    if not ok:
        rc = 1


def own(atr_hex, other_hex):
    from smartcard.scard import (
        SCardEstablishContext, SCardListReaders, SCardGetStatusChange,
        SCardConnect, SCardTransmit, SCardDisconnect, SCardReleaseContext,
        SCARD_SCOPE_USER, SCARD_STATE_UNAWARE, SCARD_STATE_PRESENT,
        SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0, SCARD_PROTOCOL_T1,
        SCARD_PCI_T0, SCARD_PCI_T1, SCARD_LEAVE_CARD)
    hr, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
    res(hr == 0, "SCardEstablishContext through the session's pcscd (0x%08X)"
        % (hr & 0xFFFFFFFF))
    if hr:
        return
    hr, readers = SCardListReaders(ctx, [])
    res(hr == 0 and readers == ["vscard 00 00", "vscard 00 01"],
        "the session's pcscd lists its own pool's 2 slots only (%s)" % readers)
    hr, states = SCardGetStatusChange(
        ctx, 0, [(r, SCARD_STATE_UNAWARE) for r in readers])
    atrs = {r: bytes(a).hex() for r, s, a in states
            if s & SCARD_STATE_PRESENT}
    res(hr == 0 and list(atrs.values()) == [atr_hex],
        "exactly one card, with its own ATR %s (%s)" % (atr_hex, atrs))
    res(other_hex not in atrs.values(),
        "the other user's ATR %s is nowhere" % other_hex)
    if len(atrs) != 1:
        return
    reader = list(atrs)[0]
    hr, card, proto = SCardConnect(ctx, reader, SCARD_SHARE_SHARED,
                                   SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)
    res(hr == 0, "SCardConnect %s (0x%08X)" % (reader, hr & 0xFFFFFFFF))
    if hr:
        return
    pci = SCARD_PCI_T1 if proto == SCARD_PROTOCOL_T1 else SCARD_PCI_T0
    hr, resp = SCardTransmit(card, pci, list(bytes.fromhex("80EE00000401020304")))
    got = bytes(resp).hex() if hr == 0 else "0x%08X" % (hr & 0xFFFFFFFF)
    res(got == "010203049000", "ECHO 80EE00000401020304 -> %s" % got)
    SCardDisconnect(card, SCARD_LEAVE_CARD)
    SCardReleaseContext(ctx)


def context():
    from smartcard.scard import SCardEstablishContext, SCARD_SCOPE_USER
    hr, _ = SCardEstablishContext(SCARD_SCOPE_USER)
    print("0x%08X" % (hr & 0xFFFFFFFF))


def connect(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        s.connect(path)
        print("connected")
    except OSError as e:
        print(errno.errorcode.get(e.errno, str(e.errno)))


if sys.argv[1] == "own":
    own(sys.argv[2].lower(), sys.argv[3].lower())
elif sys.argv[1] == "context":
    context()
elif sys.argv[1] == "connect":
    connect(sys.argv[2])
sys.exit(rc)
