# SPDX-License-Identifier: MIT
"""Scripted fake RDP client and fake kernel for vscard-agent host tests.

The agent runs with its channel on one socketpair (--fd 3) and the test
seam kernel on another (--fake-kernel-fd 4).  FakeClient plays the RDP
client: the RDPDR client role and a remote PC/SC stack (readers, cards,
contexts, handles) answering RDPESC IOCTLs, with hooks so a test can hold,
drop, duplicate or corrupt replies.  DeviceClient is the same client
behind a device-mode adapter (xrdp's chansrv): HELLO with the device flag,
DEVICE_ADD / DEVICE_REMOVE, IO_REQUEST in and IO_COMPLETION out.  Written from the protocol notes; it
shares no code with the agent, so it checks the agent's encodings
independently.
"""
import os
import select
import signal
import socket
import struct
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
AGENT = os.environ.get("VSCARD_AGENT",
                       os.path.join(TOP, "build", "agent", "vscard-agent-san"))


def privileged():
    """Root or CAP_NET_ADMIN effective: the agent then refuses to start
    unless given --allow-privileged."""
    if os.geteuid() == 0:
        return True
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapEff:"):
                    return bool(int(line.split()[1], 16) >> 12 & 1)
    except OSError:
        pass
    return False


# The tests run as root in the VM (and in CI): the agent needs the flag.
PRIV_ARGS = ["--allow-privileged"] if privileged() else []

# svcport
HELLO, CHANNEL_OPEN, DATA, CHANNEL_CLOSE, RESET = 1, 2, 3, 4, 5
DEVICE_ADD, DEVICE_REMOVE, IO_REQUEST, IO_COMPLETION = 6, 7, 8, 9
HELLO_DEVICE = 0x1
# RDPDR
CORE = 0x4472
SERVER_ANNOUNCE, CLIENTID_CONFIRM, CLIENT_NAME = 0x496E, 0x4343, 0x434E
DEVICELIST_ANNOUNCE, DEVICE_REPLY, DEVICE_IOREQUEST = 0x4441, 0x6472, 0x4952
DEVICE_IOCOMPLETION, SERVER_CAPABILITY, CLIENT_CAPABILITY = 0x4943, 0x5350, 0x4350
DEVICELIST_REMOVE, USER_LOGGEDON = 0x444D, 0x554C
# RDPESC
IOCTL = {
    0x00090014: "EstablishContext", 0x00090018: "ReleaseContext",
    0x0009001C: "IsValidContext", 0x0009002C: "ListReadersW",
    0x000900A4: "GetStatusChangeW", 0x000900A8: "Cancel",
    0x000900B0: "ConnectW", 0x000900B4: "Reconnect", 0x000900B8: "Disconnect",
    0x000900BC: "BeginTransaction", 0x000900C0: "EndTransaction",
    0x000900CC: "StatusW", 0x000900D0: "Transmit", 0x000900D4: "Control",
    0x000900D8: "GetAttrib", 0x000900DC: "SetAttrib",
    0x000900E0: "AccessStartedEvent",
}
NAME2IOCTL = {v: k for k, v in IOCTL.items()}
PNP = "\\\\?PnP?\\Notification"
E_CANCELLED, E_INVALID_HANDLE, E_TIMEOUT = 0x80100002, 0x80100003, 0x8010000A
E_NO_READERS = 0x8010002E
W_REMOVED_CARD = 0x80100069
E_NOT_TRANSACTED = 0x80100016
STATE_CHANGED, STATE_EMPTY, STATE_PRESENT = 0x2, 0x10, 0x20

ATR = bytes.fromhex("3bdb960080b1fe451f830031c064c7fc100001900074")


class Fail(Exception):
    pass


# ---------------------------------------------------------------- NDR ---

class NdrReader:
    """Reads an RDPESC call (after the 16-byte RPCE headers)."""

    def __init__(self, buf):
        if len(buf) < 16 or buf[:8] != bytes.fromhex("01100800cccccccc"):
            raise Fail("bad RPCE common header %s" % buf[:8].hex())
        obl, filler = struct.unpack_from("<II", buf, 8)
        if filler != 0 or obl != len(buf) - 16 or obl % 8:
            raise Fail("bad private header obl=%d len=%d" % (obl, len(buf)))
        self.b = buf[16:]
        self.o = 0
        self.refs = 0

    def u32(self):
        if self.o + 4 > len(self.b):
            raise Fail("call truncated")
        v = struct.unpack_from("<I", self.b, self.o)[0]
        self.o += 4
        return v

    def ref(self):
        v = self.u32()
        if v:
            want = 0x20000 + 4 * self.refs
            if v != want:
                raise Fail("referent 0x%x, canonical 0x%x" % (v, want))
            self.refs += 1
        return v

    def align4(self):
        self.o = (self.o + 3) & ~3

    def conf(self, n):
        mc = self.u32()
        if mc != n:
            raise Fail("MaxCount %d != %d" % (mc, n))
        d = self.b[self.o:self.o + n]
        self.o += n
        self.align4()
        return bytes(d)

    def wstr(self):
        mx, off, act = self.u32(), self.u32(), self.u32()
        if off != 0 or mx != act:
            raise Fail("bad string header")
        d = self.b[self.o:self.o + 2 * act]
        self.o += 2 * act
        self.align4()
        return d.decode("utf-16-le").rstrip("\0")

    def ctx(self):
        return (self.u32(), self.ref())

    def done(self):
        rest = self.b[self.o:]
        if len(rest) >= 8 or any(rest):
            raise Fail("trailing call bytes %s" % rest.hex())


def decode_call(code, buf):
    """Returns a dict with the fields the fake client needs."""
    c = {"ioctl": IOCTL.get(code, hex(code))}
    if code == 0x000900E0:
        if len(buf) != 4:
            raise Fail("AccessStartedEvent input %d bytes" % len(buf))
        return c
    r = NdrReader(buf)

    def handle_inline():
        return (r.ctx(), r.ctx())

    def handle_deferred(h):
        (cl, cr), (hl, hr) = h
        cv = r.conf(cl) if cr else b""
        hv = r.conf(hl) if hr else b""
        return (cv, hv)

    name = c["ioctl"]
    if name == "EstablishContext":
        c["scope"] = r.u32()
    elif name in ("ReleaseContext", "IsValidContext", "Cancel"):
        cl, cr = r.ctx()
        c["ctx"] = r.conf(cl) if cr else b""
    elif name == "ListReadersW":
        cl, cr = r.ctx()
        cb = r.u32()
        gr = r.ref()
        c["readers_is_null"], c["cch"] = r.u32(), r.u32()
        c["ctx"] = r.conf(cl) if cr else b""
        c["groups"] = r.conf(cb) if gr else b""
    elif name == "GetStatusChangeW":
        cl, cr = r.ctx()
        c["timeout"], n = r.u32(), r.u32()
        sr = r.ref()
        c["ctx"] = r.conf(cl) if cr else b""
        states = []
        if sr:
            if r.u32() != n:
                raise Fail("GSC MaxCount")
            for _ in range(n):
                nr = r.ref()
                cur, ev, cba = r.u32(), r.u32(), r.u32()
                r.o += 36
                states.append([nr, cur, ev])
            for s in states:
                s[0] = r.wstr()
        c["states"] = [(s[0], s[1]) for s in states]
    elif name == "ConnectW":
        sr = r.ref()
        cl, cr = r.ctx()
        c["share"], c["protocols"] = r.u32(), r.u32()
        c["reader"] = r.wstr() if sr else None
        c["ctx"] = r.conf(cl) if cr else b""
    elif name in ("Reconnect", "Disconnect", "BeginTransaction",
                  "EndTransaction", "StatusW", "Transmit", "Control",
                  "GetAttrib", "SetAttrib"):
        h = handle_inline()
        if name == "Reconnect":
            c["share"], c["protocols"], c["init"] = r.u32(), r.u32(), r.u32()
            c["ctx"], c["card"] = handle_deferred(h)
        elif name in ("Disconnect", "BeginTransaction", "EndTransaction"):
            c["disposition"] = r.u32()
            c["ctx"], c["card"] = handle_deferred(h)
        elif name == "StatusW":
            c["names_is_null"], c["cch"], c["cb_atr"] = r.u32(), r.u32(), r.u32()
            c["ctx"], c["card"] = handle_deferred(h)
        elif name == "Transmit":
            c["protocol"], extra = r.u32(), r.u32()
            xr = r.ref()
            c["send_len"] = r.u32()
            sbr = r.ref()
            rpr = r.ref()
            c["recv_is_null"], c["recv_len"] = r.u32(), r.u32()
            c["ctx"], c["card"] = handle_deferred(h)
            if xr:
                r.conf(extra)
            c["send"] = r.conf(c["send_len"]) if sbr else b""
            if rpr:
                c["recv_pci"] = (r.u32(), r.u32(), r.ref())
        elif name == "Control":
            c["code"], c["in_len"] = r.u32(), r.u32()
            ir = r.ref()
            c["out_is_null"], c["out_size"] = r.u32(), r.u32()
            c["ctx"], c["card"] = handle_deferred(h)
            c["in"] = r.conf(c["in_len"]) if ir else b""
        elif name == "GetAttrib":
            c["attr"], c["attr_is_null"], c["attr_len"] = r.u32(), r.u32(), r.u32()
            c["ctx"], c["card"] = handle_deferred(h)
        elif name == "SetAttrib":
            c["attr"], n = r.u32(), r.u32()
            ar = r.ref()
            c["ctx"], c["card"] = handle_deferred(h)
            c["data"] = r.conf(n) if ar else b""
    else:
        raise Fail("unexpected IOCTL 0x%x" % code)
    r.done()
    return c


class NdrWriter:
    def __init__(self):
        self.b = bytearray()
        self.refs = 0

    def u32(self, *vs):
        for v in vs:
            self.b += struct.pack("<I", v & 0xffffffff)
        return self

    def ref(self, present=True):
        if not present:
            return self.u32(0)
        self.refs += 1
        return self.u32(0x20000 + 4 * (self.refs - 1))

    def raw(self, d):
        self.b += d
        return self

    def conf(self, d):
        self.u32(len(d))
        self.b += d
        while len(self.b) % 4:
            self.b.append(0)
        return self

    def finish(self, pad=True):
        if pad:
            while len(self.b) % 8:
                self.b.append(0)
        return (bytes.fromhex("01100800cccccccc") +
                struct.pack("<II", len(self.b), 0) + bytes(self.b))


def ret_long(rc):
    return NdrWriter().u32(rc).finish()


def multistring(names):
    return b"".join(n.encode("utf-16-le") + b"\0\0" for n in names) + b"\0\0"


# ------------------------------------------------------------- process ---

class Agent:
    seq = 0

    def __init__(self, *args, key=b"session-1", log=None, open_channel=True,
                 hello=True, fake_kernel=True, listen=None, connect=None,
                 env_extra=None, pass_fds=(), hello_flags=0):
        self.chan, chan_peer = socket.socketpair()
        if listen or connect:
            # Unix-socket channel modes instead of an inherited fd.
            self.chan.close()
            chan_peer.close()
            chan_peer = None
        self.kern, kern_peer = socket.socketpair()
        if not fake_kernel:
            # The real vscard.ko: the test-seam socket just stays silent.
            kern_peer.close()
            kern_peer = None
            self.kern.close()
            self.kern = None
        Agent.seq += 1
        self.log_path = log or os.path.join(
            os.environ.get("TMPDIR", "/tmp"),
            "vscard-agent-%d-%d.log" % (os.getpid(), Agent.seq))
        self.logf = open(self.log_path, "w")
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
        env.update(env_extra or {})
        if listen:
            cmd, fds = [AGENT, "--listen", listen, "-v"], []
        elif connect:
            srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            if os.path.exists(connect):
                os.unlink(connect)
            srv.bind(connect)
            srv.listen(1)
            cmd, fds = [AGENT, "--connect", connect, "-v"], []
        else:
            cf = chan_peer.fileno()
            cmd = [AGENT, "--fd", str(cf), "-v"]
            fds = [cf]
        if kern_peer:
            cmd += ["--fake-kernel-fd", str(kern_peer.fileno())]
            fds.append(kern_peer.fileno())
        self.proc = subprocess.Popen(cmd + PRIV_ARGS + list(args),
                                     pass_fds=fds + list(pass_fds),
                                     stderr=self.logf, env=env)
        if listen:
            self.chan = self._connect(listen)
        elif connect:
            srv.settimeout(10)
            self.chan, _ = srv.accept()
            srv.close()
        else:
            chan_peer.close()
        if kern_peer:
            kern_peer.close()
        self.listen_path = listen
        self.client = None          # the FakeClient that answers for us
        self.rx = b""
        self.krx = b""
        self.klines = []
        self.frames = []
        self.hello_flags = hello_flags
        if hello:
            self.hello()
        if open_channel:
            self.open(key)

    def _connect(self, path):
        end = time.time() + 10
        while True:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                s.connect(path)
                return s
            except OSError:
                s.close()
                if time.time() > end or self.proc.poll() is not None:
                    raise
                time.sleep(0.05)

    def reconnect(self):
        """--listen mode: drop the adapter connection and connect again."""
        self.chan.close()
        self.rx = b""
        self.chan = self._connect(self.listen_path)

    def hello(self, flags=None):
        flags = self.hello_flags if flags is None else flags
        self.send_frame(HELLO, struct.pack("<II", 1, flags) + b"fakerdp")

    def open(self, key=b"session-1"):
        tlv = b""
        if key is not None:
            tlv += struct.pack("<HH", 1, len(key)) + key
        tlv += struct.pack("<HH", 4, 5) + b"rdpdr"
        self.send_frame(CHANNEL_OPEN, tlv)

    def send_frame(self, ftype, payload, flags=0):
        self.chan.sendall(struct.pack("<IHH", len(payload), ftype, flags) + payload)

    def send_unless_exiting(self, ftype, payload):
        """send_frame, except to an agent that closed its end because it
        exits (then the frame is dropped)."""
        try:
            self.send_frame(ftype, payload)
        except (BrokenPipeError, ConnectionResetError):
            try:
                self.proc.wait(2)
            except subprocess.TimeoutExpired:
                raise

    def send_raw(self, b):
        self.chan.sendall(b)

    def ksend(self, line):
        self.kern.sendall(line.encode() + b"\n")

    def poll(self, timeout):
        """Reads whatever arrives within timeout; returns False on EOF."""
        socks = [self.chan] + ([self.kern] if self.kern else [])
        r, _, _ = select.select(socks, [], [], timeout)
        alive = True
        for s in r:
            try:
                d = s.recv(1 << 20)
            except ConnectionResetError:
                d = b""
            if not d:
                alive = False
                continue
            if s is self.chan:
                self.rx += d
            else:
                self.krx += d
        while len(self.rx) >= 8:
            ln, ft, fl = struct.unpack_from("<IHH", self.rx)
            if len(self.rx) < 8 + ln:
                break
            self.frames.append((ft, self.rx[8:8 + ln]))
            self.rx = self.rx[8 + ln:]
        while b"\n" in self.krx:
            line, self.krx = self.krx.split(b"\n", 1)
            self.klines.append(line.decode())
        return alive

    def exited(self):
        return self.proc.poll() is not None

    def stop(self, sig=signal.SIGTERM, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        # On SIGTERM the agent cancels, waits for the client's answers, then
        # releases: the client it talks to keeps answering until it exits.
        end = time.time() + timeout
        while self.client and self.proc.poll() is None and time.time() < end:
            self.client.pump(timeout=0.05)
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        # Read what the kernel side got during shutdown.
        try:
            self.kern.setblocking(False)
            while True:
                d = self.kern.recv(65536)
                if not d:
                    break
                self.krx += d
        except (AttributeError, BlockingIOError, ConnectionResetError):
            pass
        while b"\n" in self.krx:
            line, self.krx = self.krx.split(b"\n", 1)
            self.klines.append(line.decode())
        self.logf.close()
        return rc

    def log(self):
        with open(self.log_path) as f:
            return f.read()

    def stats(self):
        for line in reversed(self.log().splitlines()):
            if "stats: " in line:
                return dict(kv.split("=") for kv in line.split("stats: ")[1].split())
        return {}

    def sanitizer_clean(self):
        t = self.log()
        return "ERROR: AddressSanitizer" not in t and "runtime error:" not in t \
            and "LeakSanitizer" not in t


# -------------------------------------------------------------- client ---

class Card:
    def __init__(self, atr=ATR, responder=None):
        self.atr = atr
        self.responder = responder or (lambda apdu: b"\x90\x00")


class FakeClient:
    """RDPDR client + remote PC/SC stack, driven by Agent.poll()."""

    def __init__(self, agent, minor=13, unicode_name=True, extended=0x7,
                 name="FAKE-CLIENT", device_id=1, announce_twice=False,
                 readers=None):
        self.a = agent
        agent.client = self
        self.minor = minor
        self.unicode_name = unicode_name
        self.extended = extended
        self.name = name
        self.device_id = device_id
        self.announce_twice = announce_twice
        self.readers = readers if readers is not None else {"Remote Reader 00 00": Card()}
        self.counts = {}            # reader -> insert/remove count
        self.server_pdus = []       # (pakid, body) of every RDPDR PDU
        self.client_id = None
        self.announces = 0
        self.calls = []             # decoded calls, in order
        self.pending = {}           # cid -> (code, call, out_len) not answered
        self.gsc = {}               # cid -> call (held GetStatusChange)
        self.contexts = {}          # ctx bytes -> scope
        self.handles = {}           # card bytes -> reader
        self.txn = {}               # card bytes -> in transaction
        self.hgen = {}              # card bytes -> reader's event count at connect
        self.next_ctx = 0x100
        self.next_card = 0x500
        self.hook = None            # fn(cid, call) -> "hold" | "drop" | None
        self.completions = []       # (cid, bytes) we sent
        self.state = "init"

    # -- plumbing
    def send(self, pakid, body):
        self.a.send_unless_exiting(DATA, struct.pack("<HH", CORE, pakid) + body)

    def pump(self, until=None, timeout=5.0):
        end = time.time() + timeout
        while True:
            if until and until():
                return True
            left = end - time.time()
            if left <= 0:
                return until is None
            alive = self.a.poll(min(left, 0.05))
            while self.a.frames:
                ft, p = self.a.frames.pop(0)
                self.on_frame(ft, p)
            if not alive and not self.a.frames:
                if until and until():
                    return True
                return until is None and False

    # -- RDPDR client role
    def on_frame(self, ft, p):
        if ft == DATA:
            self.on_pdu(p)

    def on_pdu(self, p):
        comp, pakid = struct.unpack_from("<HH", p)
        body = p[4:]
        self.server_pdus.append((pakid, body))
        if pakid == SERVER_ANNOUNCE:
            self.announces += 1
            major, minor, cid = struct.unpack_from("<HHI", body)
            self.server_minor = minor
            self.client_id = cid
            self.on_server_announce()
        elif pakid == SERVER_CAPABILITY:
            self.got_caps = body
        elif pakid == CLIENTID_CONFIRM:
            self.state = "confirmed"
            self.send_client_caps()
            if not (self.extended & 0x4):
                self.announce()
        elif pakid == USER_LOGGEDON:
            self.announce()
        elif pakid == DEVICE_REPLY:
            dev, status = struct.unpack_from("<II", body)
            self.device_replies.append((dev, status))
        elif pakid == DEVICE_IOREQUEST:
            self.on_ioreq(body)

    def on_server_announce(self):
        # FreeRDP: a Server Announce drops everything pending.
        self.pending.clear()
        self.gsc.clear()
        self.contexts.clear()
        self.handles.clear()
        self.txn.clear()
        self.device_replies = []
        self.got_caps = None
        self.state = "announced"
        self.send(CLIENTID_CONFIRM, struct.pack("<HHI", 1, self.minor, self.client_id))
        if self.unicode_name:
            n = (self.name + "\0").encode("utf-16-le")
            self.send(CLIENT_NAME, struct.pack("<III", 1, 0, len(n)) + n)
        else:
            n = (self.name + "\0").encode("ascii")
            self.send(CLIENT_NAME, struct.pack("<III", 0, 0, len(n)) + n)

    def send_client_caps(self):
        general = struct.pack("<HHI", 1, 44, 2) + struct.pack(
            "<IIHHIIIIII", 2, 0, 1, self.minor, 0xffff, 0, self.extended, 0, 0, 0)
        sc = struct.pack("<HHI", 5, 8, 1)
        self.send(CLIENT_CAPABILITY, struct.pack("<HH", 2, 0) + general + sc)

    def announce(self, times=None):
        dev = struct.pack("<II", 0x20, self.device_id) + b"SCARD\0\0\0" + struct.pack("<I", 0)
        for _ in range(times or (2 if self.announce_twice else 1)):
            self.send(DEVICELIST_ANNOUNCE, struct.pack("<I", 1) + dev)

    def remove_device(self):
        self.send(DEVICELIST_REMOVE, struct.pack("<II", 1, self.device_id))

    # -- I/O
    def on_ioreq(self, body):
        dev, fid, cid, major, minor = struct.unpack_from("<IIIII", body)
        if major != 0x0E:
            raise Fail("MajorFunction 0x%x" % major)
        out_len, in_len, code = struct.unpack_from("<III", body, 20)
        inbuf = body[52:]
        if len(inbuf) != in_len:
            raise Fail("InputBufferLength %d != %d" % (in_len, len(inbuf)))
        if any(body[32:52]):
            raise Fail("non-zero DR_CONTROL_REQ padding")
        if dev != self.device_id:
            raise Fail("IOCTL to device %d" % dev)
        if cid in self.pending or cid in self.gsc:
            raise Fail("CompletionId %d reused while outstanding" % cid)
        call = decode_call(code, inbuf)
        call["cid"] = cid
        call["out_len"] = out_len
        self.calls.append(call)
        act = self.hook(cid, call) if self.hook else None
        if act == "drop":
            return
        if act == "hold":
            self.pending[cid] = call
            return
        self.answer(call)

    def complete(self, cid, out, io_status=0, raw=None):
        if raw is not None:
            body = struct.pack("<III", self.device_id, cid, io_status) + raw
        elif io_status:
            body = struct.pack("<IIII", self.device_id, cid, io_status, 0)
        else:
            body = struct.pack("<IIII", self.device_id, cid, 0, len(out)) + out
        self.completions.append((cid, out))
        self.send(DEVICE_IOCOMPLETION, body)

    def reader_state(self, name):
        cnt = self.counts.get(name, 0)
        card = self.readers.get(name)
        flags = STATE_PRESENT if card else STATE_EMPTY
        return (cnt << 16) | flags, card

    def gsc_answer(self, call, force=False):
        states, changed = [], False
        for name, cur in call["states"]:
            if name == PNP:
                n = len(self.readers)
                ev = n << 16
                if (cur >> 16) != n:
                    ev |= STATE_CHANGED
                    changed = True
                states.append((cur, ev, b""))
            elif name not in self.readers:
                states.append((cur, 0x4 | STATE_CHANGED, b""))   # UNKNOWN
                changed = True
            else:
                ev, card = self.reader_state(name)
                if (cur & 0xffff0030) != (ev & 0xffff0030):
                    ev |= STATE_CHANGED
                    changed = True
                states.append((cur, ev, card.atr if card else b""))
        if not changed and not force:
            return None
        w = NdrWriter().u32(0, len(states)).ref().u32(len(states))
        for cur, ev, atr in states:
            w.u32(cur, ev, len(atr)).raw(atr.ljust(36, b"\0"))
        return w.finish()

    def kick_gsc(self):
        """Re-evaluates held GetStatusChange calls after a change."""
        for cid, call in list(self.gsc.items()):
            out = self.gsc_answer(call)
            if out:
                del self.gsc[cid]
                self.complete(cid, out)

    def insert(self, reader, card=None):
        self.readers[reader] = card or Card()
        self.counts[reader] = self.counts.get(reader, 0) + 1
        self.kick_gsc()

    def remove(self, reader):
        self.readers[reader] = None
        self.counts[reader] = self.counts.get(reader, 0) + 1
        self.kick_gsc()

    def answer(self, call):
        out = self.reply_for(call)
        if out is not None:
            self.complete(call["cid"], out)

    def reply_for(self, c):
        name = c["ioctl"]
        if name == "AccessStartedEvent":
            return ret_long(0)
        if name == "EstablishContext":
            ctx = struct.pack("<Q", self.next_ctx)
            self.next_ctx += 1
            self.contexts[ctx] = c["scope"]
            return NdrWriter().u32(0, 8).ref().conf(ctx).finish()
        if name in ("ReleaseContext", "IsValidContext"):
            ok = c["ctx"] in self.contexts
            if name == "ReleaseContext" and ok:
                del self.contexts[c["ctx"]]
                for h in [h for h, r in self.handles.items() if r[1] == c["ctx"]]:
                    del self.handles[h]
                    self.txn.pop(h, None)
            return ret_long(0 if ok else E_INVALID_HANDLE)
        if name == "Cancel":
            for cid, g in list(self.gsc.items()):
                if g["ctx"] == c["ctx"]:
                    del self.gsc[cid]
                    self.complete(cid, NdrWriter().u32(E_CANCELLED, 0, 0).finish())
            return ret_long(0)
        if "ctx" in c and c["ctx"] not in self.contexts:
            return ret_long(E_INVALID_HANDLE)
        if name == "ListReadersW":
            names = list(self.readers)
            if not names:
                return NdrWriter().u32(E_NO_READERS, 0, 0).finish()
            ms = multistring(names)
            return NdrWriter().u32(0, len(ms)).ref().conf(ms).finish()
        if name == "GetStatusChangeW":
            out = self.gsc_answer(c)
            if out is None:
                self.gsc[c["cid"]] = c
            return out
        if name == "ConnectW":
            card = self.readers.get(c["reader"])
            if c["reader"] not in self.readers:
                return NdrWriter().u32(0x80100009, 0, 0, 0, 0, 0).finish()
            if not card:
                return NdrWriter().u32(0x8010000C, 0, 0, 0, 0, 0).finish()
            h = struct.pack("<Q", self.next_card)
            self.next_card += 1
            self.handles[h] = (c["reader"], c["ctx"])
            self.hgen[h] = self.counts.get(c["reader"], 0)
            return (NdrWriter().u32(0, 8).ref().u32(8).ref().u32(2)
                    .conf(c["ctx"]).conf(h).finish())
        # handle-based calls
        h = c.get("card")
        if h not in self.handles:
            return ret_long(E_INVALID_HANDLE)
        reader = self.handles[h][0]
        card = self.readers.get(reader)
        if name == "Disconnect":
            del self.handles[h]
            self.txn.pop(h, None)
            return ret_long(0)
        # A handle from before a removal (pcsc-lite): the removal dropped
        # its lock, so EndTransaction says NOT_TRANSACTED; every other use
        # says REMOVED_CARD, even once a card is back.
        stale = self.hgen.get(h, 0) != self.counts.get(reader, 0)
        if name == "EndTransaction":
            was = self.txn.get(h) and not stale
            self.txn[h] = False
            return ret_long(0 if was else E_NOT_TRANSACTED)
        if stale:
            self.txn[h] = False
            return ret_long(W_REMOVED_CARD)
        if name == "BeginTransaction":
            self.txn[h] = True
            return ret_long(0)
        if not card:
            return ret_long(W_REMOVED_CARD) if name in ("Reconnect",) else \
                NdrWriter().u32(W_REMOVED_CARD).finish()
        if name == "Reconnect":
            return NdrWriter().u32(0, 2).finish()
        if name == "StatusW":
            ms = multistring([reader])
            return (NdrWriter().u32(0, len(ms)).ref().u32(6, 2)
                    .raw(card.atr[:32].ljust(32, b"\0")).u32(min(len(card.atr), 32))
                    .conf(ms).finish())
        if name == "Transmit":
            resp = card.responder(c["send"])
            if len(resp) > c["recv_len"]:
                return NdrWriter().u32(0x80100008, 0, 0, 0).finish()
            return NdrWriter().u32(0).ref(False).u32(len(resp)).ref().conf(resp).finish()
        if name == "Control":
            resp = self.control_reply(c)
            return NdrWriter().u32(0, len(resp)).ref(len(resp) > 0).conf(resp).finish() \
                if resp else NdrWriter().u32(0, 0, 0).finish()
        if name == "GetAttrib":
            if c["attr"] == 0x00090303:
                v = card.atr
            else:
                v = b"fake\0"
            return NdrWriter().u32(0, len(v)).ref().conf(v).finish()
        if name == "SetAttrib":
            return ret_long(0)
        raise Fail("no reply for %s" % name)

    def control_reply(self, c):
        return bytes([0x12, 0x04]) + struct.pack(">I", 0x00313520 + 4) \
            if c["code"] == 0x00313520 else b""

    # -- helpers for tests
    def calls_named(self, name):
        return [c for c in self.calls if c["ioctl"] == name]

    def handshake_done(self):
        return any(s == 0 for _, s in getattr(self, "device_replies", []))


class DeviceClient(FakeClient):
    """The same remote PC/SC stack behind a device-mode adapter: the
    adapter owns the RDPDR core, so the agent gets DEVICE_ADD, sends whole
    DR_DEVICE_IOREQUEST PDUs in IO_REQUEST frames and gets whole
    DR_DEVICE_IOCOMPLETION PDUs back in IO_COMPLETION frames.  Every
    IO_REQUEST is checked as chansrv would (header, DeviceId, Major)."""

    def __init__(self, agent, add=True, **kw):
        super().__init__(agent, **kw)
        self.device_replies = []
        self.ioreqs = []            # whole IO_REQUEST payloads
        self.data_frames = []       # DATA frames: never in device mode
        self.other_frames = []
        if add:
            self.add_device()

    def add_device(self, device_id=None, dtype=0x20, times=1):
        if device_id is not None:
            self.device_id = device_id
        p = struct.pack("<II", self.device_id, dtype) + b"SCARD\0\0\0"
        for _ in range(times):
            self.a.send_frame(DEVICE_ADD, p)

    def announce(self, times=None):
        self.add_device(times=times or 1)

    def remove_device(self, device_id=None):
        self.a.send_frame(DEVICE_REMOVE, struct.pack(
            "<I", self.device_id if device_id is None else device_id))

    def void_all(self):
        """What the client and the adapter drop at a remove or reset."""
        self.pending.clear()
        self.gsc.clear()
        self.contexts.clear()
        self.handles.clear()
        self.txn.clear()

    def on_frame(self, ft, p):
        if ft == IO_REQUEST:
            self.ioreqs.append(p)
            comp, pakid = struct.unpack_from("<HH", p)
            if comp != CORE or pakid != DEVICE_IOREQUEST:
                raise Fail("IO_REQUEST with header %s" % p[:4].hex())
            self.on_ioreq(p[4:])
        elif ft == DATA:
            self.data_frames.append(p)
        elif ft != HELLO:
            self.other_frames.append((ft, p))

    def send(self, pakid, body):
        if pakid != DEVICE_IOCOMPLETION:
            raise Fail("device mode: the client side sends only completions")
        self.a.send_unless_exiting(IO_COMPLETION, struct.pack("<HH", CORE, pakid) + body)


def klines_of(agent, prefix):
    return [l for l in agent.klines if l.startswith(prefix)]


class Results:
    def __init__(self, suite):
        self.suite = suite
        self.failed = 0

    def check(self, name, ok, detail=""):
        if ok:
            print("PASS: %s: %s" % (self.suite, name), flush=True)
        else:
            self.failed += 1
            print("FAIL: %s: %s%s" % (self.suite, name,
                                       (" (" + detail + ")") if detail else ""),
                  flush=True)
        return ok


def run_tests(names, results, only):
    """Runs every test_* function of a test module's @names, or those whose
    name contains one of @only; a crash of the harness is a failure.
    Returns the exit status."""
    tests = [v for k, v in sorted(names.items()) if k.startswith("test_")]
    for t in tests:
        if only and not any(o in t.__name__ for o in only):
            continue
        try:
            t()
        except Exception as e:
            import traceback
            traceback.print_exc()
            results.check(t.__name__ + ": harness", False, repr(e))
    return 1 if results.failed else 0
