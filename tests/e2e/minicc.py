#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A tiny deterministic virtual card for vsmartcard's vpcd reader driver.

vpcd (listen mode) accepts the card's TCP connection on its slot's port;
every message is a 2-byte big-endian length + payload.  One-byte payloads
are control: 0 power off, 1 power on, 2 reset, 4 get ATR (reply: the ATR).
Longer payloads are C-APDUs; the reply is the R-APDU.  Written from the
protocol description in shared/notes/pcsc-lite.md.

APDUs: SELECT (00 A4 ..) -> 90 00; GET DATA 00 CA 01 00 -> the card's name
+ 90 00; ECHO 80 EE 00 00 Lc data -> data + 90 00; anything else -> 6D 00.
The card's name is in its ATR's historical bytes, so two cards differ.

  minicc.py --port PORT --name NAME   (reconnects until killed)
"""
import argparse
import socket
import struct
import time


def atr_for(name):
    hist = name.encode()[:15]
    # TS=3B, T0 = number of historical bytes, no interface bytes (T=0).
    return bytes([0x3B, len(hist)]) + hist


def answer(apdu, name):
    if len(apdu) < 4:
        return b"\x67\x00"
    cla, ins, p1, _p2 = apdu[:4]
    if ins == 0xA4:
        return b"\x90\x00"
    if cla == 0x00 and ins == 0xCA and p1 == 0x01:
        return name.encode() + b"\x90\x00"
    if cla == 0x80 and ins == 0xEE:
        lc = apdu[4] if len(apdu) > 4 else 0
        return apdu[5:5 + lc] + b"\x90\x00"
    return b"\x6d\x00"


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("vpcd closed")
        buf += chunk
    return buf


def serve(s, name):
    atr = atr_for(name)
    while True:
        (ln,) = struct.unpack(">H", recv_exact(s, 2))
        msg = recv_exact(s, ln)
        if ln == 1:
            if msg[0] == 4:
                s.sendall(struct.pack(">H", len(atr)) + atr)
            continue        # power off/on/reset: no reply
        r = answer(msg, name)
        s.sendall(struct.pack(">H", len(r)) + r)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--name", default="minicc")
    a = ap.parse_args()
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", a.port))
            serve(s, a.name)
        except (OSError, ConnectionError):
            time.sleep(0.3)


if __name__ == "__main__":
    main()
