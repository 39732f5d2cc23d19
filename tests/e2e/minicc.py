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

serve() and run() take any card's answer function (pivcc.py uses them).
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


def serve(s, atr, respond, control=None, quickack=False):
    """One vpcd connection: respond(apdu) -> R-APDU; control(code) is told
    of power off (0), on (1) and reset (2).

    quickack: vpcd writes a message's length and its bytes in two send()s,
    so with Nagle on its side and delayed ACKs on ours every command waits
    ~40 ms for the card's ACK.  TCP_QUICKACK (re-armed before every read:
    the kernel clears it) sends the ACK at once, so the card answers in
    microseconds, as a real one does, and benchmarks measure the path."""
    while True:
        if quickack:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        (ln,) = struct.unpack(">H", recv_exact(s, 2))
        if quickack:
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        msg = recv_exact(s, ln)
        if ln == 1:
            if msg[0] == 4:
                s.sendall(struct.pack(">H", len(atr)) + atr)
            elif control:
                control(msg[0])
            continue        # power off/on/reset: no reply
        r = respond(msg)
        s.sendall(struct.pack(">H", len(r)) + r)


def run(port, atr, respond, control=None, quickack=False):
    """Connect to vpcd's slot port, serve, reconnect, until killed."""
    while True:
        try:
            s = socket.create_connection(("127.0.0.1", port))
            if quickack:
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            serve(s, atr, respond, control, quickack)
        except (OSError, ConnectionError):
            time.sleep(0.3)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--name", default="minicc")
    a = ap.parse_args()
    run(a.port, atr_for(a.name), lambda apdu: answer(apdu, a.name))


if __name__ == "__main__":
    main()
