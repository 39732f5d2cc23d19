#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Runs inside the test VM with vscard.ko loaded: the real vscard-agent
(netlink BIND, binding files) with the scripted fake RDP client as the remote
side; the local side uses raw ioctls on /dev/vscardN.  PASS:/FAIL: lines."""
import ctypes
import fcntl
import glob
import os
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakerdp import *  # noqa: E402,F401,F403

R = Results(os.environ.get("TAG", "agent-vm"))

IOC_GET_STATUS = (2 << 30) | (216 << 16) | (0xB8 << 8) | 0x01
IOC_POWER = (3 << 30) | (48 << 16) | (0xB8 << 8) | 0x03
IOC_TRANSMIT = (3 << 30) | (48 << 16) | (0xB8 << 8) | 0x04
F_BOUND, F_PRESENT, F_POWERED, F_LINGERING = 1, 2, 4, 8


def status(dev):
    buf = bytearray(216)
    with open(dev, "rb", buffering=0) as f:
        fcntl.ioctl(f.fileno(), IOC_GET_STATUS, buf, True)
    seq, ins, epoch, flags, pool, slot, protos, active, atr_len = \
        struct.unpack_from("=QQQIIIIII", buf)
    atr = bytes(buf[48:48 + atr_len])
    name = bytes(buf[88:216]).split(b"\0")[0].decode(errors="replace")
    return dict(epoch=epoch, flags=flags, slot=slot, protocols=protos,
                active=active, atr=atr, name=name, insert_count=ins)


def find_slot(name):
    for dev in sorted(glob.glob("/dev/vscard[0-9]*")):
        try:
            st = status(dev)
        except OSError:
            continue
        if st["name"] == name and st["flags"] & F_BOUND:
            return dev, st
    return None, None


def xfer(dev, code, ioc, apdu=b"", rx_len=258, timeout_ms=5000):
    tx = ctypes.create_string_buffer(apdu, max(len(apdu), 1))
    rx = ctypes.create_string_buffer(max(rx_len, 1))
    arg = bytearray(struct.pack("=QQIIIIQII", ctypes.addressof(tx), ctypes.addressof(rx),
                                len(apdu), rx_len, code, timeout_ms, 0, 0, 0))
    with open(dev, "rb", buffering=0) as f:
        try:
            fcntl.ioctl(f.fileno(), ioc, arg, True)
        except OSError as e:
            return ("error", e.errno, struct.unpack_from("=I", arg, 40)[0])
    n = struct.unpack_from("=I", arg, 20)[0]
    return ("ok", rx.raw[:n], struct.unpack_from("=I", arg, 40)[0])


def in_thread(c, fn, timeout=10):
    """Runs a blocking ioctl in a thread while the fake client pumps."""
    box = {}
    t = threading.Thread(target=lambda: box.setdefault("r", fn()))
    t.start()
    c.pump(lambda: "r" in box, timeout)
    t.join(1)
    return box.get("r")


def pcsc_leg(a, c, reader):
    """pcscd + the vscard IFD handler + a pyscard application locally."""
    if not os.environ.get("PCSC_IFD"):
        print("SKIP: %s: pcscd leg (IFD handler not built)" % R.suite, flush=True)
        return
    c.readers[reader].responder = lambda apdu: apdu[-2:] + b"\x90\x00"
    log = open(os.path.join(os.environ.get("TMPDIR", "/tmp"), "pcscd.log"), "w")
    pcscd = subprocess.Popen(["pcscd", "--foreground", "--info"], stdout=log,
                             stderr=subprocess.STDOUT)
    n0 = len(c.calls_named("Transmit"))
    p = subprocess.Popen(["/usr/bin/python3", os.path.join(HERE, "pcsc_apdu.py"), "20",
                          "00a40400023f00", "0084000008"],
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    c.pump(lambda: p.poll() is not None, 40)
    if p.poll() is None:
        p.kill()
    out = p.stdout.read().decode(errors="replace").split("\n")
    t = c.calls_named("Transmit")[n0:]
    R.check("pcscd: a PC/SC application's APDUs travel as RDPESC Transmits and come back",
            len(out) >= 3 and out[1] == "3f009000" and out[2] == "00089000"
            and [x["send"].hex() for x in t] == ["00a40400023f00", "0084000008"],
            " | ".join(out)[:300])
    pcscd.terminate()
    c.pump(lambda: pcscd.poll() is not None, 15)
    if pcscd.poll() is None:
        pcscd.kill()
    pcscd.wait()
    log.close()
    R.check("pcscd: stopped cleanly while the agent served its requests",
            pcscd.returncode == 0 and not a.exited(), str(pcscd.returncode))


def main():
    reader = "Remote Reader 00 00"
    a = Agent("--linger-ms", "30000", "--request-timeout-ms", "2000",
              key=b"vm-session-A", fake_kernel=False)
    c = FakeClient(a)
    c.readers[reader] = Card(responder=lambda apdu: bytes(reversed(apdu)) + b"\x90\x00")
    dev = None
    end = time.time() + 10
    while time.time() < end and not dev:
        c.pump(timeout=0.2)
        dev, st = find_slot(reader)
        if dev and not st["flags"] & F_PRESENT:
            dev = None
    R.check("agent binds the remote reader to a slot (netlink BIND)", dev is not None,
            a.log()[-2000:])
    if not dev:
        a.stop()
        return
    st = status(dev)
    R.check("slot shows the card present with the remote ATR and T=0|T=1",
            st["flags"] & F_PRESENT and st["atr"] == ATR and st["protocols"] == 3, str(st))
    r = in_thread(c, lambda: xfer(dev, 1, IOC_POWER, rx_len=64))
    R.check("POWER UP through the agent returns the remote ATR",
            r and r[0] == "ok" and r[1] == ATR, str(r))
    R.check("POWER UP became ConnectW + BeginTransaction + StatusW on the wire",
            [x["ioctl"] for x in c.calls if x["ioctl"] in
             ("ConnectW", "BeginTransaction", "StatusW")] ==
            ["ConnectW", "BeginTransaction", "StatusW"])
    apdu = bytes.fromhex("00a4040007a0000000041010")
    r = in_thread(c, lambda: xfer(dev, 2, IOC_TRANSMIT, apdu, rx_len=258))
    R.check("APDU from /dev/vscardN travels as an RDPESC Transmit and comes back",
            r and r[0] == "ok" and r[1] == bytes(reversed(apdu)) + b"\x90\x00", str(r))
    t = c.calls_named("Transmit")
    R.check("Transmit carries the APDU and cbRecvLength = the caller's buffer (258)",
            t and t[-1]["send"] == apdu and t[-1]["recv_len"] == 258, str(t[-1:]))
    big = os.urandom(65536)
    c.readers[reader].responder = lambda apdu: big + b"\x90\x00"
    cmd = bytes.fromhex("00d6000000ffff") + os.urandom(65535)   # 65542-byte command
    r = in_thread(c, lambda: xfer(dev, 2, IOC_TRANSMIT, cmd, rx_len=65538))
    R.check("extended APDU: 65538-byte response (one binding-file write)",
            r and r[0] == "ok" and r[1] == big + b"\x90\x00" and
            c.calls_named("Transmit")[-1]["recv_len"] == 65538 and
            c.calls_named("Transmit")[-1]["send"] == cmd,
            str(r)[:200])
    c.readers[reader].responder = lambda apdu: b"\x90\x00"
    # The remote side never answers: the kernel deadline fires.
    c.hook = lambda cid, call: "drop" if call["ioctl"] == "Transmit" else None
    t0 = time.time()
    r = in_thread(c, lambda: xfer(dev, 2, IOC_TRANSMIT, b"\x00\x20\x00\x01\x00",
                                  timeout_ms=1000), timeout=15)
    el = time.time() - t0
    R.check("silent remote: the local transmit fails with ETIMEDOUT within 5 s",
            r and r[0] == "error" and r[1] == 110 and el < 5, "%s %.2fs" % (r, el))
    c.pump(lambda: c.calls_named("Cancel"), 5)
    R.check("silent remote: the agent sends an RDPESC Cancel", bool(c.calls_named("Cancel")))
    c.hook = None
    r = in_thread(c, lambda: xfer(dev, 1, IOC_POWER, rx_len=64))
    r = in_thread(c, lambda: xfer(dev, 2, IOC_TRANSMIT, b"\x00\x84\x00\x00\x08"))
    R.check("after the timeout the slot works again",
            r and r[0] == "ok" and r[1] == b"\x90\x00", str(r))

    pcsc_leg(a, c, reader)

    # A second session gets its own slot; stopping it leaves A alone.
    b = Agent("--linger-ms", "0", key=b"vm-session-B", fake_kernel=False)
    cb = FakeClient(b, readers={"Other Reader": Card()})
    devb = None
    end = time.time() + 10
    while time.time() < end and not devb:
        cb.pump(timeout=0.2)
        c.pump(timeout=0.01)
        devb, _ = find_slot("Other Reader")
    R.check("a second session binds a different slot", devb is not None and devb != dev)
    rcb = b.stop()
    R.check("second agent exits 0 on SIGTERM", rcb == 0)
    st = status(dev)
    R.check("the other session's exit does not touch our slot",
            st["flags"] & F_BOUND and st["flags"] & F_PRESENT, str(st))
    epoch = st["epoch"]

    # Session A's agent exits: slot lingers; a new agent for A gets it back.
    rc = a.stop()
    R.check("agent exits 0 on SIGTERM", rc == 0)
    st = status(dev)
    R.check("after exit the slot lingers for the session, card absent",
            st["flags"] & F_LINGERING and not st["flags"] & F_PRESENT, str(st))
    a2 = Agent("--linger-ms", "0", key=b"vm-session-A", fake_kernel=False)
    c2 = FakeClient(a2)
    dev2 = None
    end = time.time() + 10
    while time.time() < end and not dev2:
        c2.pump(timeout=0.2)
        dev2, st2 = find_slot(reader)
    R.check("reconnect of the same session rebinds the same slot",
            dev2 == dev and st2["epoch"] > epoch, "%s %s" % (dev2, st2))
    a2.stop()
    R.check("no sanitizer reports from the agents",
            a.sanitizer_clean() and a2.sanitizer_clean() and b.sanitizer_clean())


if __name__ == "__main__":
    try:
        main()
    except Exception as e:
        import traceback
        traceback.print_exc()
        R.check("harness", False, repr(e))
    sys.exit(1 if R.failed else 0)
