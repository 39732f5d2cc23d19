#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""A scripted svcport peer standing in for vscard-agent (host test).

vscard-rdp-server starts it as its agent (--agent svcpeer.py): the
channel is fd 3.  It records every event as one JSON line in $SVCPEER_LOG
and plays the RDPDR server role far enough to see the client's smart-card
device: Server Announce -> (Client Announce Reply, Client Name) -> Server
Core Capability Request + Client ID Confirm -> (Client Core Capability
Response, Client Device List Announce).  Written from MS-RDPEFS; it shares
no code with the agent.
"""
import json
import os
import socket
import struct
import sys

HELLO, CHANNEL_OPEN, DATA, CHANNEL_CLOSE, RESET = 1, 2, 3, 4, 5
CORE = 0x4472
SERVER_ANNOUNCE, CLIENTID_CONFIRM, CLIENT_NAME = 0x496E, 0x4343, 0x434E
DEVICELIST_ANNOUNCE, SERVER_CAPABILITY, CLIENT_CAPABILITY = 0x4441, 0x5350, 0x4350
CLIENT_ID = 0x1234
# General (v2, extendedPDU 7) + smart card (v1) capabilities.
SERVER_CAPS = bytes.fromhex(
    "7244505302000000" "01002c0002000000" "0200000000000000" "01000c00ffff0000"
    "0000000007000000" "0000000000000000" "01000000" "0500080001000000")

log = open(os.environ.get("SVCPEER_LOG", "/dev/stderr"), "a", buffering=1)


def event(kind, **kw):
    kw["event"] = kind
    kw["pid"] = os.getpid()
    log.write(json.dumps(kw) + "\n")


def send(sock, ftype, payload=b""):
    sock.sendall(struct.pack("<IHH", len(payload), ftype, 0) + payload)


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def tlvs(payload):
    out, off = {}, 0
    while off + 4 <= len(payload):
        tag, ln = struct.unpack_from("<HH", payload, off)
        out[tag] = payload[off + 4:off + 4 + ln]
        off += 4 + ln
    return out


def on_rdpdr(sock, pdu):
    comp, pid = struct.unpack_from("<HH", pdu, 0)
    if comp != CORE:
        event("rdpdr", component=comp, packet=pid, length=len(pdu))
        return
    if pid == CLIENTID_CONFIRM:     # Client Announce Reply
        major, minor, cid = struct.unpack_from("<HHI", pdu, 4)
        event("announce_reply", major=major, minor=minor, client_id=cid)
    elif pid == CLIENT_NAME:
        uni, _cp, ln = struct.unpack_from("<III", pdu, 4)
        raw = pdu[16:16 + ln]
        name = raw.decode("utf-16-le" if uni else "latin-1").rstrip("\0")
        event("client_name", name=name, unicode=uni)
        send(sock, DATA, SERVER_CAPS)
        send(sock, DATA, struct.pack("<HHHHI", CORE, CLIENTID_CONFIRM, 1, 12, CLIENT_ID))
    elif pid == CLIENT_CAPABILITY:
        n = struct.unpack_from("<H", pdu, 4)[0]
        event("client_caps", count=n)
    elif pid == DEVICELIST_ANNOUNCE:
        count = struct.unpack_from("<I", pdu, 4)[0]
        off, devs = 8, []
        for _ in range(count):
            dtype, did = struct.unpack_from("<II", pdu, off)
            dname = pdu[off + 8:off + 16].rstrip(b"\0").decode("latin-1")
            dlen = struct.unpack_from("<I", pdu, off + 16)[0]
            devs.append({"type": dtype, "id": did, "name": dname})
            off += 20 + dlen
        event("device_announce", devices=devs)
    else:
        event("rdpdr", component=comp, packet=pid, length=len(pdu))


def main():
    if "--fd" not in sys.argv:
        print("svcpeer: --fd 3 expected", file=sys.stderr)
        return 2
    event("start", argv=sys.argv[1:])
    sock = socket.socket(fileno=3)
    send(sock, HELLO, struct.pack("<II", 1, 0) + b"svcpeer")
    while True:
        hdr = recv_exact(sock, 8)
        if hdr is None:
            event("eof")
            return 0
        ln, ftype, flags = struct.unpack("<IHH", hdr)
        payload = recv_exact(sock, ln) if ln else b""
        if payload is None:
            event("eof", partial=True)
            return 1
        if ftype == HELLO:
            ver, fl = struct.unpack_from("<II", payload)
            event("hello", version=ver, flags=fl,
                  name=payload[8:].decode("utf-8", "replace"))
        elif ftype == CHANNEL_OPEN:
            t = tlvs(payload)
            event("channel_open", key=t.get(1, b"").hex(),
                  client=t.get(2, b"").decode("utf-8", "replace"),
                  user=t.get(3, b"").decode("utf-8", "replace"),
                  channel=t.get(4, b"").decode("utf-8", "replace"))
            mode = os.environ.get("SVCPEER_MODE", "")
            if mode == "die":       # half a frame, then gone
                sock.sendall(struct.pack("<IHH", 100, DATA, 0) + b"\x72\x44" * 5)
                event("died")
                return 1
            if mode == "oversize":  # a frame over the 1 MiB limit
                sock.sendall(struct.pack("<IHH", 2 << 20, DATA, 0) + b"\0" * 64)
                event("oversize")
            try:
                send(sock, DATA, struct.pack("<HHHHI", CORE, SERVER_ANNOUNCE, 1, 12, CLIENT_ID))
            except (BrokenPipeError, ConnectionResetError):
                event("eof", on="send")  # the adapter already dropped the link
                return 0
        elif ftype == DATA:
            on_rdpdr(sock, payload)
        elif ftype == CHANNEL_CLOSE:
            event("channel_close")
        else:
            event("frame", type=ftype, length=ln)


if __name__ == "__main__":
    sys.exit(main())
