#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Device-mode tests of vscard-agent: a scripted adapter peer in device
mode (HELLO with SVCPORT_HELLO_DEVICE, CHANNEL_OPEN, DEVICE_ADD, then
IO_REQUEST / IO_COMPLETION; fakerdp.DeviceClient) and the fake kernel, and
the --listen peer check.  Prints PASS:/FAIL: lines."""
import os
import socket
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakerdp import *  # noqa: E402,F401,F403

R = Results("agent-device")
ONLY = sys.argv[1:]
RD = "Remote Reader 00 00"
STATUS_NO_SUCH_DEVICE = 0xC000000E


def done_lines(a):
    return [l.split() for l in a.klines if l.startswith("DONE ")]


def done_of(a, req):
    return [d for d in done_lines(a) if d[2] == str(req)]


def wait_done(a, c, req, timeout=5):
    c.pump(lambda: done_of(a, req), timeout)
    return done_of(a, req)


def finish(a, name, expect_rc=0):
    rc = a.stop()
    R.check(name + ": exit status %d" % expect_rc, rc == expect_rc, "rc=%s" % rc)
    R.check(name + ": no sanitizer report (ASan, UBSan, leaks)", a.sanitizer_clean(),
            a.log_path)
    return rc


def device_agent(*args, **kw):
    return Agent(*args, hello_flags=HELLO_DEVICE, **kw)


def bound(a, c, n=1, timeout=5):
    return c.pump(lambda: len(klines_of(a, "CARD")) >= n, timeout)


def card_back(a, c, timeout=5):
    """Waits until the last card state the kernel got is 'present'."""
    return c.pump(lambda: klines_of(a, "CARD")[-1:]
                  and klines_of(a, "CARD")[-1].split()[2] == "1", timeout)


def power_up(a, c, req=1):
    a.ksend("REQ 0 %d 1 1 64 -" % req)
    return wait_done(a, c, req)


def transmit(a, c, apdu, req, rx=258):
    a.ksend("REQ 0 %d 2 2 %d %s" % (req, rx, apdu))
    return wait_done(a, c, req)


def hold(names):
    def hook(cid, call):
        return "hold" if call["ioctl"] in names else None
    return hook


def powered_with_held_transmit(a, c, req=5):
    """A bound reader, powered up, with Transmit @req held by the client:
    returns the CompletionIds the client holds."""
    bound(a, c)
    power_up(a, c)
    c.hook = hold(("Transmit",))
    a.ksend("REQ 0 %d 2 2 258 00b0000000" % req)
    c.pump(lambda: c.pending, 5)
    return list(c.pending)


# ----------------------------------------------------------------------

def test_device_basic():
    a = device_agent()
    c = DeviceClient(a)
    c.readers[RD].responder = lambda apdu: bytes(reversed(apdu)) + b"\x90\x00"
    ok = bound(a, c)
    R.check("device mode: DEVICE_ADD starts the smart-card client; the reader is "
            "bound with the CHANNEL_OPEN key and its card reported",
            ok and klines_of(a, "BIND") == ["BIND 0 %s %s" % (b"session-1".hex(), RD)],
            str(a.klines))
    R.check("device mode: no Server Announce, capabilities or User Logged On "
            "(no DATA frame at all)", not c.data_frames and not c.other_frames,
            "%d DATA, others %s" % (len(c.data_frames), c.other_frames[:3]))
    reqs = [struct.unpack_from("<HHIIIII", p) for p in c.ioreqs]
    R.check("device mode: every IO_REQUEST is a whole DR_DEVICE_IOREQUEST "
            "('rD' 'IR', DeviceId 1, FileId 1, Major DEVICE_CONTROL)",
            reqs and all(r[0] == CORE and r[1] == DEVICE_IOREQUEST and r[2] == 1
                         and r[3] == 1 and r[5] == 0x0E and r[6] == 0 for r in reqs),
            str(reqs[:3]))
    R.check("device mode: the monitor runs as in channel mode "
            "(AccessStartedEvent, EstablishContext, ListReadersW, GetStatusChangeW)",
            [x["ioctl"] for x in c.calls[:4]] ==
            ["AccessStartedEvent", "EstablishContext", "ListReadersW", "GetStatusChangeW"],
            str([x["ioctl"] for x in c.calls[:5]]))
    d = power_up(a, c)
    R.check("device mode: POWER UP returns the ATR",
            d and d[0][3] == "0" and d[0][6] == ATR.hex(), str(d))
    d = transmit(a, c, "00a4040003a0000001", 2)
    R.check("device mode: APDU round trip through IO_REQUEST / IO_COMPLETION",
            d and d[0][3] == "0" and d[0][6] == "010000a0030004a4009000", str(d))
    cids = [struct.unpack_from("<I", p, 12)[0] for p in c.ioreqs]
    R.check("device mode: CompletionIds unique among outstanding requests",
            len(cids) == len(set(cids)), str(cids))
    c.pump(timeout=0.2)
    finish(a, "device-basic")
    c.pump(timeout=0.5)                # what the agent sent while leaving
    s = a.stats()
    R.check("device mode: stats say mode=device, one device added",
            s.get("mode") == "device" and s.get("devices_added") == "1", str(s))
    R.check("device mode: leaving releases what the client holds (contexts, handles)",
            not c.contexts and not c.handles,
            "%d contexts %d handles" % (len(c.contexts), len(c.handles)))


def test_device_duplicate_add():
    a = device_agent()
    c = DeviceClient(a, add=False)
    c.add_device(times=2)
    ok = bound(a, c)
    c.pump(timeout=0.4)
    R.check("duplicate DEVICE_ADD: bound once, monitor started once",
            ok and len(klines_of(a, "BIND")) == 1
            and len(c.calls_named("EstablishContext")) == 1
            and len(c.calls_named("ListReadersW")) == 1,
            "%s %s" % (a.klines, [x["ioctl"] for x in c.calls]))
    d = power_up(a, c)
    R.check("duplicate DEVICE_ADD: requests still work", d and d[0][3] == "0", str(d))
    finish(a, "device-duplicate-add")
    R.check("duplicate DEVICE_ADD: counted", a.stats().get("devices_added") == "2",
            str(a.stats()))


def test_device_new_id():
    a = device_agent()
    c = DeviceClient(a)
    bound(a, c)
    c.pump(timeout=0.3)                # the old device's requests, all read
    n0 = len(c.ioreqs)
    c.void_all()                       # the client's old device is gone
    c.add_device(device_id=7)
    ok = c.pump(lambda: any(struct.unpack_from("<I", p, 4)[0] == 7
                            for p in c.ioreqs[n0:]), 3)
    c.pump(lambda: len(klines_of(a, "CARD")) >= 3, 3)
    R.check("a new DeviceId replaces the device: the old one's readers go (linger), "
            "requests go to the new DeviceId",
            ok and any(l.startswith("UNBIND 0 ") for l in a.klines)
            and all(struct.unpack_from("<I", p, 4)[0] == 7 for p in c.ioreqs[n0:]),
            str(a.klines))
    R.check("a new DeviceId: the monitor starts again on it",
            len(c.calls_named("EstablishContext")) == 2)
    card_back(a, c)
    d = power_up(a, c)
    R.check("a new DeviceId: the reader is back and works", d and d[0][3] == "0", str(d))
    finish(a, "device-new-id")


def test_device_remove_mid_request():
    a = device_agent("--linger-ms", "60000")
    c = DeviceClient(a)
    held = powered_with_held_transmit(a, c)
    R.check("remove mid-request: the Transmit is outstanding", len(held) == 1, str(held))
    c.remove_device()
    ok = c.pump(lambda: done_of(a, 5) and "UNBIND 0 60000" in a.klines, 3)
    d = done_of(a, 5)
    R.check("DEVICE_REMOVE mid-request: the kernel request fails at once "
            "(no reader any more)", ok and d and d[0][3] != "0", str(d))
    R.check("DEVICE_REMOVE: the card goes and the slot is unbound with its linger",
            "CARD 0 0 - 0" in a.klines and "UNBIND 0 60000" in a.klines, str(a.klines))
    # The client still answers the request it had (a late completion): the
    # adapter should drop it, the agent must too, never matching it.
    cid = held[0]
    call = c.pending.pop(cid)
    c.hook = None
    c.answer(call)
    c.pump(timeout=0.3)
    c.void_all()
    c.add_device()
    ok = c.pump(lambda: len([l for l in a.klines if l.startswith("BIND ")]) >= 2, 5)
    R.check("DEVICE_ADD after the remove: the same slot is bound again (linger)",
            ok and [l for l in a.klines if l.startswith("BIND ")][-1].startswith("BIND 0 "),
            str(a.klines))
    card_back(a, c)
    d = power_up(a, c, req=6)
    R.check("after the remove: requests work again", d and d[0][3] == "0", str(d))
    finish(a, "device-remove")
    s = a.stats()
    R.check("the late completion was dropped and counted (late=1), no other "
            "request was matched to it",
            s.get("late") == "1" and s.get("devices_removed") == "1", str(s))


def test_device_reset_and_close():
    a = device_agent()
    c = DeviceClient(a)
    powered_with_held_transmit(a, c)
    a.send_frame(RESET, b"")
    ok = c.pump(lambda: done_of(a, 5), 3)
    R.check("RESET: the outstanding request fails, the readers lose their cards",
            ok and done_of(a, 5)[0][3] != "0" and "CARD 0 0 - 0" in a.klines,
            str(a.klines))
    R.check("RESET in device mode: no Server Announce (no DATA frame)",
            not c.data_frames)
    c.hook = None
    c.void_all()
    n_req = len(c.ioreqs)
    c.pump(timeout=0.3)
    R.check("RESET: the device is gone until the next DEVICE_ADD (no request sent)",
            len(c.ioreqs) == n_req, "%d more" % (len(c.ioreqs) - n_req))
    c.add_device()
    ok = c.pump(lambda: len(klines_of(a, "BIND")) >= 2, 5)
    R.check("DEVICE_ADD after RESET: bound again to slot 0",
            ok and klines_of(a, "BIND")[-1].startswith("BIND 0 "), str(a.klines))
    # CHANNEL_CLOSE, then the same session opens again on this connection.
    a.send_frame(CHANNEL_CLOSE, b"")
    c.pump(lambda: a.klines[-1:] and a.klines[-1].startswith("UNBIND 0 "), 3)
    c.void_all()
    a.open()
    c.add_device()
    ok = c.pump(lambda: len(klines_of(a, "BIND")) >= 3, 5)
    card_back(a, c)
    d = power_up(a, c, req=7)
    R.check("CHANNEL_CLOSE then CHANNEL_OPEN + DEVICE_ADD: same slot, requests work",
            ok and klines_of(a, "BIND")[-1].startswith("BIND 0 ") and d
            and d[0][3] == "0", str(a.klines[-4:]))
    finish(a, "device-reset")
    s = a.stats()
    R.check("RESET and CHANNEL_CLOSE counted as resets", int(s.get("resets", 0)) >= 2,
            str(s))


def test_device_reconnect_listen():
    d = tempfile.mkdtemp(prefix="vscard-dev-")
    path = os.path.join(d, "agent.sock")
    a = device_agent("--linger-ms", "60000", listen=path)
    c = DeviceClient(a)
    ok = bound(a, c)
    R.check("--listen, device mode: bound", ok, str(a.klines))
    a.reconnect()                      # the adapter went: socket closed
    c.void_all()
    c.pump(lambda: any(l.startswith("UNBIND 0 60000") for l in a.klines), 3)
    R.check("adapter connection closed: slot unbound with linger, agent still up",
            "UNBIND 0 60000" in a.klines and not a.exited(), str(a.klines))
    a.hello()
    a.open()                           # the same session key
    c.add_device()
    ok = c.pump(lambda: len(klines_of(a, "BIND")) >= 2, 5)
    R.check("reconnect with the same key rebinds the same slot",
            ok and klines_of(a, "BIND")[-1] == "BIND 0 %s %s" % (b"session-1".hex(), RD),
            str(a.klines))
    card_back(a, c)
    dn = power_up(a, c, req=3)
    R.check("after the reconnect: requests work", dn and dn[0][3] == "0", str(dn))
    finish(a, "device-reconnect")
    try:
        os.rmdir(d)
    except OSError:
        pass


def test_device_malformed():
    a = device_agent()
    c = DeviceClient(a, add=False)
    a.send_frame(DEVICE_ADD, b"\x01\x00\x00")                     # short
    a.send_frame(DEVICE_ADD, struct.pack("<II", 3, 0x08) + b"C:\0\0\0\0\0\0")
    a.send_frame(DEVICE_REMOVE, b"\x01")                          # short
    a.send_frame(DATA, struct.pack("<HH", CORE, CLIENTID_CONFIRM) + bytes(8))
    c.pump(timeout=0.3)
    R.check("short DEVICE_ADD, DEVICE_ADD of a drive, short DEVICE_REMOVE, DATA: "
            "no device, nothing sent", not c.ioreqs and not a.exited())
    c.add_device()
    bound(a, c)
    c.hook = hold(("GetStatusChangeW",))
    # The monitor's GetStatusChange: held by the hook, or, when it came
    # before the hook, held by the client until a reader changes.
    c.pump(lambda: c.pending or c.gsc, 3)
    gsc = list(c.pending) or list(c.gsc)
    bad = [
        b"",                                                      # empty
        b"rD",                                                    # short header
        struct.pack("<HH", 0x1234, DEVICE_IOCOMPLETION) + bytes(12),  # component
        struct.pack("<HH", CORE, DEVICE_IOREQUEST) + bytes(12),  # packet id
        struct.pack("<HH", CORE, DEVICE_IOCOMPLETION) + b"\x01\x00",  # short body
    ]
    for p in bad:
        a.send_frame(IO_COMPLETION, p)
    # A completion of the outstanding GetStatusChange but with another DeviceId.
    body = struct.pack("<IIII", 99, gsc[0], 0, 0)
    a.send_frame(IO_COMPLETION, struct.pack("<HH", CORE, DEVICE_IOCOMPLETION) + body)
    # An id never issued.
    body = struct.pack("<IIII", 1, 0x7fff0000, 0, 0)
    a.send_frame(IO_COMPLETION, struct.pack("<HH", CORE, DEVICE_IOCOMPLETION) + body)
    # A frame the agent never accepts.
    a.send_frame(IO_REQUEST, struct.pack("<HH", CORE, DEVICE_IOREQUEST) + bytes(20))
    c.pump(timeout=0.3)
    n_gsc = len(c.calls_named("GetStatusChangeW"))
    d = power_up(a, c)
    c.pump(timeout=0.2)
    R.check("malformed completions, another DeviceId, an unknown id: dropped; the "
            "held GetStatusChange stays outstanding and the agent keeps working",
            not a.exited() and d and d[0][3] == "0"
            and (gsc[0] in c.pending or gsc[0] in c.gsc)
            and len(c.calls_named("GetStatusChangeW")) == n_gsc, str(d))
    log = a.log()
    R.check("each malformed frame is said clearly in the log",
            "short DEVICE_ADD (3 bytes) dropped" in log
            and "(not a smart card) dropped" in log
            and "short DEVICE_REMOVE (1 bytes) dropped" in log
            and "DATA in device mode dropped" in log
            and "IO_COMPLETION that is not a DR_DEVICE_IOCOMPLETION" in log
            and "short I/O completion dropped" in log
            and "completion %d for device 99 dropped" % gsc[0] in log
            and "unknown CompletionId" in log
            and "unknown frame type 8" in log, a.log_path)
    c.hook = None
    finish(a, "device-malformed")
    s = a.stats()
    R.check("malformed frames counted (bad_frames, wrong_device, unknown)",
            int(s.get("bad_frames", 0)) >= 9 and s.get("wrong_device") == "1"
            and s.get("unknown") == "1", str(s))


def test_device_short_error_completion():
    a = device_agent()
    c = DeviceClient(a)
    bound(a, c)
    power_up(a, c)
    sent = []

    def hook(cid, call):
        if call["ioctl"] == "Transmit":
            sent.append(cid)
            # chansrv's answer to a request it refused: IoStatus only.
            c.complete(cid, None, io_status=STATUS_NO_SUCH_DEVICE, raw=b"")
            return "drop"
        return None
    c.hook = hook
    d = transmit(a, c, "00b0000000", 5)
    R.check("a short error completion (header + IoStatus only) fails the request",
            sent and d and d[0][3] != "0", str(d))
    c.hook = None
    d = transmit(a, c, "00b0000000", 6)
    R.check("after it, the next request works", d and d[0][3] == "0", str(d))
    finish(a, "device-short-error")


def test_device_frames_in_channel_mode():
    a = Agent()
    c = FakeClient(a)
    c.pump(lambda: c.handshake_done(), 5)
    a.send_frame(DEVICE_ADD, struct.pack("<II", 5, 0x20) + b"SCARD\0\0\0")
    a.send_frame(IO_COMPLETION, struct.pack("<HH", CORE, DEVICE_IOCOMPLETION) + bytes(12))
    c.pump(timeout=0.3)
    R.check("device-mode frames in channel mode are dropped and said",
            "device-mode frame type 6 in channel mode dropped" in a.log()
            and not a.exited())
    # A HELLO asking for device mode once the channel is open changes nothing.
    a.hello(HELLO_DEVICE)
    c.pump(timeout=0.2)
    R.check("a late HELLO cannot switch an open channel to device mode",
            "after CHANNEL_OPEN ignored" in a.log())
    finish(a, "device-frames-channel-mode")


def test_listen_peer_uid():
    if os.geteuid() != 0:
        # A peer of another uid needs root to make (setuid in the child).
        print("SKIP: agent-device: --listen peer of another uid: not root")
        return
    d = tempfile.mkdtemp(prefix="vscard-peer-", dir="/tmp")  # not $TMPDIR: 0700
    os.chmod(d, 0o755)
    path = os.path.join(d, "agent.sock")
    a = device_agent(listen=path, hello=False, open_channel=False)
    end = time.time() + 5
    while not os.path.exists(path) and time.time() < end:
        time.sleep(0.05)
    os.chmod(path, 0o666)
    pid = os.fork()
    if pid == 0:                       # a peer of another uid
        rc = 1
        try:
            os.setgid(65534)
            os.setuid(65534)
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            s.settimeout(5)
            try:
                s.sendall(struct.pack("<IHH", 8, HELLO, 0) + struct.pack("<II", 1, 1))
            except (BrokenPipeError, ConnectionResetError):
                pass                                # closed before we spoke
            try:
                rc = 0 if s.recv(64) == b"" else 2  # closed without a HELLO
            except ConnectionResetError:
                rc = 0
        except Exception:
            rc = 3
        os._exit(rc)
    _, st = os.waitpid(pid, 0)
    R.check("--listen: a connection of another uid (65534) is closed at once",
            os.WIFEXITED(st) and os.WEXITSTATUS(st) == 0, "status %d" % st)
    R.check("--listen: the refusal is logged with the uid",
            "connection from uid 65534" in a.log(), a.log_path)
    # Our own uid (root here, connected first by Agent()) is the adapter.
    a.hello()
    a.open()
    c = DeviceClient(a)
    ok = bound(a, c)
    R.check("--listen: a connection of the agent's own uid is served", ok, str(a.klines))
    finish(a, "listen-peer")
    R.check("--listen: refused peers counted", a.stats().get("peers_refused") == "1",
            str(a.stats()))
    try:
        os.rmdir(d)
    except OSError:
        pass


if __name__ == "__main__":
    sys.exit(run_tests(globals(), R, ONLY))
