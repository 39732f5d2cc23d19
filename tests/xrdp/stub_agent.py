#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""A scripted device-mode svcport peer standing in for vscard-agent behind
xrdp's chansrv (SmartcardExternal=true); runs inside the suite 85 VM as
the session user.

  stub_agent.py --socket PATH --log FILE

It listens on PATH and records every frame chansrv sends as one JSON line
in FILE (the driver, xrdp_e2e.py, makes the assertions).  Once chansrv
has added a smart-card device on a connection it plays one script:

  first connection:
    1. EstablishContext (DeviceIoControl SCARD_IOCTL_ESTABLISHCONTEXT) with
       CompletionId 0x1001; waits for its IO_COMPLETION (the client's
       answer through chansrv, with 0x1001 put back);
    2. the same request for DeviceId+1 (id 0x1002): chansrv must answer at
       once with STATUS_NO_SUCH_DEVICE;
    3. IRP_MJ_CREATE on the device (id 0x1003): STATUS_INVALID_DEVICE_REQUEST;
    4. EstablishContext twice with id 0x2001: the second reuses an
       outstanding id, a protocol error: chansrv must close the link;
  second connection (chansrv reconnects on its own):
    5. EstablishContext with id 0x3001; any completion carrying 0x2001 on
       this connection would be a misattributed late completion;
    6. a frame of unknown type (ignored), then EstablishContext 0x3002;
    7. an IO_REQUEST of 10 bytes: chansrv must close the link;
  third connection:
    8. a frame header announcing 2 MiB: chansrv must close the link;
  later connections only record.

Written from MS-RDPEFS / MS-RDPESC and svcport.h; it shares no code with
the agent or with xrdp.
"""
import argparse
import json
import os
import select
import socket
import struct
import time

HELLO, CHANNEL_OPEN, DATA, CHANNEL_CLOSE, RESET = 1, 2, 3, 4, 5
DEVICE_ADD, DEVICE_REMOVE, IO_REQUEST, IO_COMPLETION = 6, 7, 8, 9
NAMES = {1: "hello", 2: "channel_open", 3: "data", 4: "channel_close", 5: "reset",
         6: "device_add", 7: "device_remove", 8: "io_request", 9: "io_completion"}
CORE, IOREQUEST, IOCOMPLETION = 0x4472, 0x4952, 0x4943
IRP_MJ_CREATE, IRP_MJ_DEVICE_CONTROL = 0x00, 0x0E
SCARD_IOCTL_ESTABLISHCONTEXT = 0x00090014
SCARD_SCOPE_SYSTEM = 2

LOG = None


def event(kind, **kw):
    kw["event"] = kind
    kw["t"] = round(time.monotonic(), 3)
    LOG.write(json.dumps(kw) + "\n")
    LOG.flush()


def frame(ftype, payload=b""):
    return struct.pack("<IHH", len(payload), ftype, 0) + payload


def establish_context(device_id, cid, major=IRP_MJ_DEVICE_CONTROL):
    """DR_CONTROL_REQ carrying EstablishContext_Call (MS-RDPESC 2.2.2.1)
    in NDR type serialization version 1: the common and private type
    headers, then dwScope, padded to 8 bytes."""
    body = struct.pack("<BBHI", 1, 0x10, 8, 0xCCCCCCCC)   # common type header
    body += struct.pack("<II", 8, 0)                       # private header
    body += struct.pack("<II", SCARD_SCOPE_SYSTEM, 0)      # dwScope + pad
    hdr = struct.pack("<HHIIIII", CORE, IOREQUEST, device_id, 0, cid, major, 0)
    ctl = struct.pack("<III", 2048, len(body), SCARD_IOCTL_ESTABLISHCONTEXT) + bytes(20)
    return hdr + ctl + body


def tlvs(payload):
    out, off = {}, 0
    while off + 4 <= len(payload):
        tag, ln = struct.unpack_from("<HH", payload, off)
        out[str(tag)] = payload[off + 4:off + 4 + ln].decode("utf-8", "replace")
        off += 4 + ln
    return out


class Conn:
    def __init__(self, sock, number):
        self.s = sock
        self.n = number
        self.buf = b""
        self.device = None

    def send(self, ftype, payload=b""):
        self.s.sendall(frame(ftype, payload))

    def read_frame(self, timeout):
        """One frame, or None on timeout, or "eof"."""
        end = time.monotonic() + timeout
        while True:
            if len(self.buf) >= 8:
                ln, ftype, _ = struct.unpack_from("<IHH", self.buf)
                if len(self.buf) >= 8 + ln:
                    payload = self.buf[8:8 + ln]
                    self.buf = self.buf[8 + ln:]
                    self.record(ftype, payload)
                    return ftype, payload
            left = end - time.monotonic()
            if left <= 0:
                return None
            if not select.select([self.s], [], [], left)[0]:
                return None
            try:
                chunk = self.s.recv(65536)
            except ConnectionResetError:
                # closed with our unread bytes in its buffer: an RST
                chunk = b""
            if not chunk:
                event("eof", conn=self.n)
                return "eof"
            self.buf += chunk

    def record(self, ftype, p):
        kw = {"conn": self.n, "len": len(p)}
        if ftype == HELLO and len(p) >= 8:
            kw["version"], kw["flags"] = struct.unpack_from("<II", p)
            kw["name"] = p[8:].decode("utf-8", "replace")
        elif ftype == CHANNEL_OPEN:
            kw["tlv"] = tlvs(p)
        elif ftype in (DEVICE_ADD, DEVICE_REMOVE) and len(p) >= 4:
            kw["device"] = struct.unpack_from("<I", p)[0]
            if ftype == DEVICE_ADD and len(p) >= 16:
                kw["type"] = struct.unpack_from("<I", p, 4)[0]
                kw["dos"] = p[8:16].rstrip(b"\0").decode("ascii", "replace")
        elif ftype == IO_COMPLETION and len(p) >= 16:
            comp, pak, dev, cid, st = struct.unpack_from("<HHIII", p)
            kw.update(magic="%04x%04x" % (comp, pak), device=dev, cid=cid, status=st)
            # DR_CONTROL_RSP: OutputBufferLength, then the RPCE-encoded
            # return whose first field is the SCard ReturnCode.
            if len(p) >= 16 + 4 + 16 + 4:
                kw["rc"] = struct.unpack_from("<I", p, 36)[0]
        event(NAMES.get(ftype, "type%d" % ftype), **kw)

    def wait_for(self, pred, timeout):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            f = self.read_frame(end - time.monotonic())
            if f is None or f == "eof":
                return f
            if pred(*f):
                return f
        return None


def completion_for(cid):
    return lambda t, p: t == IO_COMPLETION and len(p) >= 16 and \
        struct.unpack_from("<I", p, 8)[0] == cid


def device_added(conn):
    def pred(t, p):
        if t == DEVICE_ADD and len(p) >= 8:
            conn.device = struct.unpack_from("<I", p)[0]
            return True
        return False
    return pred


def script(conn):
    if conn.wait_for(device_added(conn), 300) in (None, "eof") or conn.device is None:
        event("script_aborted", conn=conn.n, why="no DEVICE_ADD")
        return
    dev = conn.device
    if conn.n == 1:
        conn.send(IO_REQUEST, establish_context(dev, 0x1001))
        event("sent", conn=1, cid=0x1001)
        conn.wait_for(completion_for(0x1001), 120)
        conn.send(IO_REQUEST, establish_context(dev + 1, 0x1002))
        conn.wait_for(completion_for(0x1002), 30)
        conn.send(IO_REQUEST, establish_context(dev, 0x1003, major=IRP_MJ_CREATE))
        conn.wait_for(completion_for(0x1003), 30)
        conn.s.sendall(frame(IO_REQUEST, establish_context(dev, 0x2001)) * 2)
        event("sent_duplicate", conn=1, cid=0x2001)
        r = conn.wait_for(lambda t, p: False, 30)
        event("after_duplicate", conn=1, result="eof" if r == "eof" else "open")
    elif conn.n == 2:
        conn.send(IO_REQUEST, establish_context(dev, 0x3001))
        event("sent", conn=conn.n, cid=0x3001)
        conn.wait_for(completion_for(0x3001), 120)
        conn.send(99, b"unknown")
        conn.send(IO_REQUEST, establish_context(dev, 0x3002))
        conn.wait_for(completion_for(0x3002), 120)
        conn.send(IO_REQUEST, establish_context(dev, 0x3003)[:10])
        r = conn.wait_for(lambda t, p: False, 30)
        event("after_short", conn=2, result="eof" if r == "eof" else "open")
    elif conn.n == 3:
        conn.s.sendall(struct.pack("<IHH", 2 * 1024 * 1024, IO_REQUEST, 0) + bytes(64))
        r = conn.wait_for(lambda t, p: False, 30)
        event("after_oversized", conn=3, result="eof" if r == "eof" else "open")
    else:
        event("script_done", conn=conn.n)
    # Keep recording until chansrv goes.
    while conn.read_frame(3600) not in ("eof",):
        pass


def main():
    global LOG
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--log", required=True)
    a = ap.parse_args()
    LOG = open(a.log, "a")
    try:
        os.unlink(a.socket)
    except FileNotFoundError:
        pass
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(a.socket)
    srv.listen(4)
    event("listening", path=a.socket, uid=os.getuid())
    n = 0
    while True:
        c, _ = srv.accept()
        n += 1
        cred = c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        pid, uid, gid = struct.unpack("3i", cred)
        event("accepted", conn=n, peer_uid=uid, peer_pid=pid)
        c.sendall(frame(HELLO, struct.pack("<II", 1, 0) + b"stub-agent"))
        try:
            script(Conn(c, n))
        except OSError as e:
            event("error", conn=n, what=repr(e))
        c.close()


if __name__ == "__main__":
    main()
