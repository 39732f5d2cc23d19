#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""
libifdvscard end to end, inside the test VM: a real pcscd (started by
vm-ifd.sh with a private config dir) loading libifdvscard.so, pyscard
clients, and tests/tools/vscard-testcard processes as the remote readers.

Prints PASS:/FAIL: lines.  Environment: TAG, VSCARD_TESTCARD, IFD_CYCLES,
IFD_PHASE (main | restart).
"""
import faulthandler
import os
import queue
import signal
import subprocess
import sys
import threading
import time

from smartcard.scard import (
    INFINITE, SCARD_ATTR_ATR_STRING, SCARD_ATTR_VENDOR_NAME,
    SCARD_ATTR_VENDOR_IFD_SERIAL_NO, SCARD_E_CANCELLED, SCARD_E_TIMEOUT,
    SCARD_LEAVE_CARD, SCARD_PCI_T0, SCARD_PCI_T1, SCARD_PROTOCOL_T0,
    SCARD_PROTOCOL_T1, SCARD_S_SUCCESS, SCARD_SCOPE_USER, SCARD_SHARE_DIRECT,
    SCARD_SHARE_SHARED,
    SCARD_STATE_CHANGED, SCARD_STATE_EMPTY, SCARD_STATE_PRESENT,
    SCARD_STATE_UNAWARE, SCARD_STATE_UNAVAILABLE, SCardCancel, SCardConnect,
    SCardControl, SCardDisconnect, SCardEstablishContext, SCardGetAttrib,
    SCardGetStatusChange, SCardListReaders, SCardReleaseContext,
    SCardStatus, SCardTransmit, SCARD_CTL_CODE)

TAG = os.environ.get("TAG", "ifd-vm")
TESTCARD = os.environ["VSCARD_TESTCARD"]
CYCLES = int(os.environ.get("IFD_CYCLES", "1000"))
READERS = ["vscard 00 %02X" % i for i in range(4)]
ATTR_FRIENDLY_NAME_A = 0x7FFF0003
ATTR_SYSTEM_NAME_A = 0x7FFF0004
ATTR_CURRENT_CLK = 0x00080202
PCSC_E_UNSUPPORTED_FEATURE = 0x8010001F
CM_IOCTL_GET_FEATURE_REQUEST = SCARD_CTL_CODE(3400)
failures = 0


def u32(hr):
    return hr & 0xFFFFFFFF


def check(name, cond, detail=""):
    global failures
    if cond:
        print("PASS: %s: %s" % (TAG, name), flush=True)
    else:
        failures += 1
        print("FAIL: %s: %s%s" % (TAG, name, " (%s)" % detail if detail else ""),
              flush=True)
    return cond


def pattern(i):
    return (i * 13 + 0x5A + (i >> 8)) & 0xFF


def atr_t1(n):
    """A valid T=1 ATR whose historical bytes encode n."""
    hist = [0x56, 0x53, (n >> 8) & 0xFF, n & 0xFF]
    atr = [0x3B, 0x80 | len(hist), 0x81, 0x01] + hist
    tck = 0
    for b in atr[1:]:
        tck ^= b
    return atr + [tck]


def hexs(b):
    return "".join("%02X" % x for x in b)


class TestCard:
    """One vscard-testcard process bound to a slot, driven over stdin."""

    def __init__(self, slot, name="Remote Reader", protocols="T1", extra=()):
        self.slot = slot
        self.p = subprocess.Popen(
            [TESTCARD, "--slot", str(slot), "--reader-name", name,
             "--protocols", protocols, "--key", "ifd-test-%d" % slot, "-v"]
            + list(extra),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)
        self.lines = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.p.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put(None)

    def cmd(self, line):
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()

    def drain(self):
        while True:
            try:
                self.lines.get_nowait()
            except queue.Empty:
                return

    def expect(self, prefix, timeout=20, contains=""):
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                return None
            if line is None:
                return None
            if line.startswith(prefix) and contains.lower() in line.lower():
                return line

    def quit(self):
        if self.p.poll() is None:
            try:
                self.cmd("quit")
                self.p.wait(timeout=10)
            except (BrokenPipeError, subprocess.TimeoutExpired):
                self.p.kill()
                self.p.wait()

    def kill9(self):
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()


class Watcher(threading.Thread):
    """A client blocked in SCardGetStatusChange(INFINITE) on one reader,
    recording every state it is told about: (flags, counter, atr)."""

    def __init__(self, reader):
        super().__init__(daemon=True)
        self.reader = reader
        hr, self.ctx = SCardEstablishContext(SCARD_SCOPE_USER)
        assert hr == SCARD_S_SUCCESS
        self.events = queue.Queue()
        self.history = []
        self.error = None
        self.stopping = False
        self.start()

    def run(self):
        cur = SCARD_STATE_UNAWARE
        while not self.stopping:
            hr, st = SCardGetStatusChange(self.ctx, INFINITE,
                                          [(self.reader, cur)])
            if hr == SCARD_E_CANCELLED or self.stopping:
                return
            if hr != SCARD_S_SUCCESS:
                self.error = hr
                self.events.put(None)
                return
            _, ev, atr = st[0]
            cur = ev & ~SCARD_STATE_CHANGED
            e = (ev & 0xFFFF, ev >> 16, list(atr))
            self.history.append(e)
            self.events.put(e)

    def wait_for(self, pred, timeout=20):
        """Next recorded state satisfying pred, skipping others."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                return None
            try:
                e = self.events.get(timeout=left)
            except queue.Empty:
                return None
            if e is None:
                return None
            if pred(e):
                return e

    def stop(self):
        # SCardCancel only ends a call in progress: a cancel sent while
        # the thread was between two calls would be lost, so repeat it.
        self.stopping = True
        for _ in range(40):
            SCardCancel(self.ctx)
            self.join(0.5)
            if not self.is_alive():
                break
        SCardReleaseContext(self.ctx)


def present(e):
    return bool(e[0] & SCARD_STATE_PRESENT)


def empty(e):
    return bool(e[0] & SCARD_STATE_EMPTY)


def ctx_new():
    hr, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
    assert hr == SCARD_S_SUCCESS, hr
    return ctx


def transmit(h, apdu, proto=SCARD_PCI_T1):
    hr, resp = SCardTransmit(h, proto, apdu)
    return u32(hr), resp


def wait_state(ctx, reader, pred, timeout=20):
    """Poll-free: wait in GSC until the reader's state satisfies pred."""
    cur = SCARD_STATE_UNAWARE
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ms = int(max(1, (end - time.monotonic()) * 1000))
        hr, st = SCardGetStatusChange(ctx, ms, [(reader, cur)])
        if hr == SCARD_E_TIMEOUT:
            break
        if hr != SCARD_S_SUCCESS:
            return None
        _, ev, atr = st[0]
        if pred((ev & 0xFFFF, ev >> 16, list(atr))):
            return (ev & 0xFFFF, ev >> 16, list(atr))
        cur = ev & ~SCARD_STATE_CHANGED
    return None


# --------------------------------------------------------------------------

def attr_str(h, attr):
    hr, v = SCardGetAttrib(h, attr)
    return u32(hr), (bytes(v).rstrip(b"\0").decode(errors="replace")
                     if hr == 0 else None)


def check_no_card_attrs(ctx, reader, system_name, what):
    """A direct connection to a slot without a card: ATR_STRING succeeds
    with 0 bytes, as pcscd 1.9.9 with pcsc-lite's CCID driver answers;
    DEVICE_FRIENDLY_NAME is the PC/SC reader name."""
    hr, h, proto = SCardConnect(ctx, reader, SCARD_SHARE_DIRECT, 0)
    if not check("%s: SCardConnect(DIRECT) without a card" % what, hr == 0,
                 "hr=%#x" % u32(hr)):
        return
    hr, v = SCardGetAttrib(h, SCARD_ATTR_ATR_STRING)
    check("%s: ATR_STRING succeeds with 0 bytes (as CCID)" % what,
          hr == 0 and list(v) == [], "hr=%#x %s" % (u32(hr), v))
    hr, name = attr_str(h, ATTR_FRIENDLY_NAME_A)
    check("%s: DEVICE_FRIENDLY_NAME is the PC/SC reader name" % what,
          hr == 0 and name == reader, "hr=%#x %r" % (hr, name))
    hr, name = attr_str(h, ATTR_SYSTEM_NAME_A)
    check("%s: DEVICE_SYSTEM_NAME is %r" % (what, system_name),
          hr == 0 and name == system_name, "hr=%#x %r" % (hr, name))
    SCardDisconnect(h, SCARD_LEAVE_CARD)


def test_readers(ctx):
    hr, readers = SCardListReaders(ctx, [])
    check("pyscard lists the 4 stable readers", hr == 0 and readers == READERS,
          "hr=%#x %s" % (u32(hr), readers))
    hr, st = SCardGetStatusChange(ctx, 0, [(r, SCARD_STATE_UNAWARE) for r in READERS])
    check("unbound slots are EMPTY, never UNAVAILABLE",
          hr == 0 and all(s & SCARD_STATE_EMPTY and not s & SCARD_STATE_UNAVAILABLE
                          for _, s, _ in st),
          "%s" % [(n, hex(s)) for n, s, _ in st])
    # unbound: both names are pcscd's reader name
    check_no_card_attrs(ctx, READERS[3], READERS[3], "unbound slot")
    out = subprocess.run(["pcsc_scan", "-r"], capture_output=True, text=True,
                         timeout=60).stdout
    check("pcsc_scan -r lists the readers", all(r in out for r in READERS), out)


def test_insert_remove(ctx):
    w = Watcher(READERS[0])
    first = w.wait_for(lambda e: True)
    check("waiter starts with slot 0 EMPTY", first and empty(first), first)
    tc = TestCard(0, name="Alice's Remote Reader")
    bound = tc.expect("bound")
    e = w.wait_for(present)
    check("bind -> insert event seen by a waiting SCardGetStatusChange",
          bound and e is not None, "bound=%s" % bound)
    default_atr = e[2] if e else []
    # attributes through a connection
    hr, h, proto = SCardConnect(ctx, READERS[0], SCARD_SHARE_SHARED,
                                SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)
    check("connect to the bound slot (T=1)", hr == 0 and proto == SCARD_PROTOCOL_T1,
          "hr=%#x proto=%s" % (u32(hr), proto))
    if hr == 0:
        hr, name = attr_str(h, ATTR_FRIENDLY_NAME_A)
        check("DEVICE_FRIENDLY_NAME is the name SCardListReaders shows",
              hr == 0 and name == READERS[0], "hr=%#x %r" % (hr, name))
        hr, name = attr_str(h, ATTR_SYSTEM_NAME_A)
        check("DEVICE_SYSTEM_NAME is the client's reader name",
              hr == 0 and name == "Alice's Remote Reader", "hr=%#x %r" % (hr, name))
        hr, v = SCardGetAttrib(h, SCARD_ATTR_VENDOR_NAME)
        check("VENDOR_NAME", hr == 0 and bytes(v).rstrip(b"\0") == b"vscard",
              "hr=%#x %r" % (u32(hr), v))
        hr, v = SCardGetAttrib(h, SCARD_ATTR_ATR_STRING)
        check("ATR_STRING is the card's ATR", hr == 0 and list(v) == default_atr,
              "hr=%#x %s vs %s" % (u32(hr), v, default_atr))
        hr, v = SCardGetAttrib(h, SCARD_ATTR_VENDOR_IFD_SERIAL_NO)
        check("VENDOR_IFD_SERIAL_NO", hr == 0 and bytes(v).rstrip(b"\0") == b"pool0-slot0",
              "hr=%#x %r" % (u32(hr), v))
        tc.drain()
        hr, v = SCardGetAttrib(h, ATTR_CURRENT_CLK)
        req = tc.expect("req ", timeout=5, contains="attrib")
        check("other attributes go to the remote (unsupported there -> "
              "SCARD_E_UNSUPPORTED_FEATURE)",
              u32(hr) == PCSC_E_UNSUPPORTED_FEATURE and req is not None,
              "hr=%#x req=%s" % (u32(hr), req))
        tc.drain()
        hr, v = SCardControl(h, CM_IOCTL_GET_FEATURE_REQUEST, [])
        req = tc.expect("req ", timeout=5, contains="control")
        check("CM_IOCTL_GET_FEATURE_REQUEST passes through to the remote",
              hr == 0 and v == [] and req and "%#x" % CM_IOCTL_GET_FEATURE_REQUEST in req,
              "hr=%#x v=%s req=%s" % (u32(hr), v, req))
        hr, v = SCardControl(h, SCARD_CTL_CODE(1), [1, 2, 3])
        check("SCardControl data round trip", hr == 0 and v == [1, 2, 3],
              "hr=%#x %s" % (u32(hr), v))
        SCardDisconnect(h, SCARD_LEAVE_CARD)
    tc.cmd("remove")
    e = w.wait_for(empty)
    check("card removal -> remove event", e is not None)
    check_no_card_attrs(ctx, READERS[0], "Alice's Remote Reader",
                        "bound slot, card removed")
    tc.cmd("insert")
    e = w.wait_for(present)
    check("card insertion -> insert event", e is not None)
    tc.cmd("unbind")
    tc.expect("unbound")
    e = w.wait_for(empty)
    check("unbind -> remove event seen by the waiter", e is not None)
    tc.cmd("rebind")
    e = w.wait_for(present)
    check("rebind -> insert event", e is not None)
    tc.quit()
    e = w.wait_for(empty)
    check("agent exit -> remove event", e is not None)
    w.stop()
    check("waiter saw no UNAVAILABLE state",
          not any(x[0] & SCARD_STATE_UNAVAILABLE for x in w.history) and w.error is None,
          "%s err=%s" % (w.history, w.error))


def test_apdus(ctx):
    tc1 = TestCard(0, protocols="T1")
    tc0 = TestCard(1, protocols="T0")
    ok1 = wait_state(ctx, READERS[0], present)
    ok0 = wait_state(ctx, READERS[1], present)
    check("T=1 and T=0 cards present", ok1 and ok0)
    hr, h, proto = SCardConnect(ctx, READERS[0], SCARD_SHARE_SHARED,
                                SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)
    if not check("connect T=1 card", hr == 0 and proto == SCARD_PROTOCOL_T1,
                 "hr=%#x proto=%s" % (u32(hr), proto)):
        tc1.quit()
        tc0.quit()
        return
    hr, r = transmit(h, [0x00, 0x84, 0x00, 0x00, 0x08])
    check("short APDU round trip (GET CHALLENGE 8)",
          hr == 0 and r == [pattern(i) for i in range(8)] + [0x90, 0x00],
          "hr=%#x %s" % (hr, r))
    hr, r = transmit(h, [0x80, 0xE0, 0x6A, 0x82])
    check("status word passes through (6A82)", hr == 0 and r == [0x6A, 0x82],
          "hr=%#x %s" % (hr, r))
    for n in (4096, 65535):
        data = [(i * 7 + 3) & 0xFF for i in range(n)]
        apdu = [0x80, 0xEE, 0x00, 0x00, 0x00, n >> 8, n & 0xFF] + data + \
            [n >> 8, n & 0xFF]
        hr, r = transmit(h, apdu)
        check("extended APDU round trip, %d bytes each way" % n,
              hr == 0 and len(r) == n + 2 and r[:n] == data and r[n:] == [0x90, 0x00],
              "hr=%#x len=%d" % (hr, len(r)))
    hr, r = transmit(h, [0x00, 0x84, 0x00, 0x00, 0x08], SCARD_PCI_T0)
    check("T=0 PCI on a T=1 connection is refused by pcscd", hr != 0, "hr=%#x" % hr)
    SCardDisconnect(h, SCARD_LEAVE_CARD)
    hr, h, proto = SCardConnect(ctx, READERS[0], SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0)
    check("T=1-only card refuses a T=0-only connect", hr != 0, "hr=%#x" % u32(hr))
    if hr == 0:
        SCardDisconnect(h, SCARD_LEAVE_CARD)

    hr, h, proto = SCardConnect(ctx, READERS[1], SCARD_SHARE_SHARED,
                                SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)
    check("connect T=0 card negotiates T=0", hr == 0 and proto == SCARD_PROTOCOL_T0,
          "hr=%#x proto=%s" % (u32(hr), proto))
    if hr == 0:
        hr, r = transmit(h, [0x00, 0x84, 0x00, 0x00, 0x10], SCARD_PCI_T0)
        check("T=0 APDU round trip",
              hr == 0 and r == [pattern(i) for i in range(16)] + [0x90, 0x00],
              "hr=%#x %s" % (hr, r))
        hr, r = transmit(h, [0x80, 0xEE, 0x00, 0x00, 0x03, 1, 2, 3, 0x03], SCARD_PCI_T0)
        check("T=0 case 4 APDU", hr == 0 and r == [1, 2, 3, 0x90, 0x00],
              "hr=%#x %s" % (hr, r))
        SCardDisconnect(h, SCARD_LEAVE_CARD)
    # a card swapped under an open handle: the old handle must not reach it
    hr, h, proto = SCardConnect(ctx, READERS[0], SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1)
    tc1.cmd("remove")
    tc1.cmd("insert")
    tc1.expect("inserted")
    hr2, r = transmit(h, [0x00, 0x84, 0x00, 0x00, 0x04])
    check("handle opened on a replaced card fails (no silent swap)",
          hr == 0 and hr2 != 0, "connect=%#x transmit=%#x" % (u32(hr), hr2))
    SCardDisconnect(h, SCARD_LEAVE_CARD)
    tc1.quit()
    tc0.quit()
    wait_state(ctx, READERS[0], empty)
    wait_state(ctx, READERS[1], empty)


def test_cycles(ctx):
    """Lock-step cycles: each removal and each insertion (with a new ATR)
    must reach a client blocked in SCardGetStatusChange, the event counter
    must advance for each, and the ATR must never be stale."""
    tc = TestCard(2, extra=["--no-card"])
    tc.expect("bound")
    w = Watcher(READERS[2])
    first = w.wait_for(lambda e: True)
    first_counter = first[1] if first else 0
    missed_rm = missed_in = stale = counter_bad = counter_jumps = 0
    last = None
    t0 = time.monotonic()
    for i in range(CYCLES):
        atr = atr_t1(i)
        if i % 10 == 9:
            # a bind cycle: the remote reader leaves and comes back
            tc.cmd("unbind")
            tc.cmd("rebind")
        tc.cmd("insert " + hexs(atr))
        e = w.wait_for(present, timeout=20)
        if e is None:
            missed_in += 1
            break
        if e[2] != atr:
            stale += 1
        if last is not None and e[1] == last:
            counter_bad += 1
        elif last is not None and e[1] != (last + 1) & 0xFFFF:
            counter_jumps += 1
        last = e[1]
        tc.cmd("remove")
        e = w.wait_for(lambda x: not present(x), timeout=20)
        if e is None or not empty(e):
            missed_rm += 1
            break
        if e[1] == last:
            counter_bad += 1
        elif e[1] != (last + 1) & 0xFFFF:
            counter_jumps += 1
        last = e[1]
    dt = time.monotonic() - t0
    check("%d bind/insert/remove cycles: every insertion seen" % CYCLES,
          missed_in == 0, "missed at cycle %d" % i)
    check("%d cycles: every removal seen by the waiting client" % CYCLES,
          missed_rm == 0, "missed at cycle %d" % i)
    # pcscd may report a state twice (flags settle after the power-up), so
    # the per-step figures are informational; what an application relies
    # on is that every insertion and removal was counted.
    counted = (last - first_counter) & 0xFFFF if last is not None else 0
    check("%d cycles: pcscd's event counter counted every transition" % CYCLES,
          counted >= 2 * CYCLES - 1, "%d counted for %d" % (counted, 2 * CYCLES - 1))
    print("info: %s: steps where the counter did not move %d, moved by more "
          "than 1 %d" % (TAG, counter_bad, counter_jumps), flush=True)
    check("%d cycles: no stale ATR" % CYCLES, stale == 0, "%d stale" % stale)
    print("info: %s: %d cycles in %.1f s" % (TAG, CYCLES, dt), flush=True)

    # Unpaced burst: removals and insertions faster than anyone polls.
    # The generation rule turns every coalesced swap into EMPTY first.
    n0 = len(w.history)
    for i in range(200):
        tc.cmd("insert " + hexs(atr_t1(5000 + i)))
        tc.cmd("remove")
    final = atr_t1(9999)
    tc.cmd("insert " + hexs(final))
    e = w.wait_for(lambda x: present(x) and x[2] == final, timeout=30)
    seq = w.history[n0:]
    # A client that looks less often than cards change sees PRESENT twice;
    # the removal in between must then show in pcscd's event counter
    # (+2 at least), so the application knows its card was swapped.
    swap_without_removal = any(
        present(a) and present(b) and a[2] != b[2] and
        (b[1] - a[1]) & 0xFFFF < 2 for a, b in zip(seq, seq[1:]))
    # pcscd also checks presence inside IFDPowerICC (power down after a
    # wait, power up after an insertion): the handler keeps answering
    # "absent" until the event loop's own check got it, so the last card
    # is seen, powered, with its ATR (Documentation/pcscd.rst).
    check("burst of 200 swaps: the final card is seen with its ATR",
          e is not None, "last states %s" % seq[-3:])
    check("burst: a PRESENT -> PRESENT swap always carries a counted removal",
          not swap_without_removal)
    w.stop()
    tc.quit()


def test_kill9(ctx):
    tc = TestCard(3)
    ok = wait_state(ctx, READERS[3], present)
    hr, h, proto = SCardConnect(ctx, READERS[3], SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1)
    if not check("connect for the kill -9 test", ok and hr == 0, "hr=%#x" % u32(hr)):
        tc.quit()
        return
    res = {}

    def slow():
        res["hr"], res["r"] = transmit(h, [0x80, 0x5E, 0x27, 0x10])  # 10 s
        res["t"] = time.monotonic()

    tc.drain()
    th = threading.Thread(target=slow)
    th.start()
    req = tc.expect("req ", timeout=10, contains="transmit")
    time.sleep(0.2)
    t_kill = time.monotonic()
    tc.kill9()
    th.join(15)
    took = res.get("t", 1e9) - t_kill
    check("agent kill -9 during a transmit: the call fails within 1 s",
          req is not None and res.get("hr", 0) != 0 and took < 1.0,
          "req=%s hr=%#x took=%.2fs" % (req, res.get("hr", 0), took))
    e = wait_state(ctx, READERS[3], empty)
    check("killed agent -> slot EMPTY", e is not None)
    tc2 = TestCard(3)
    e = wait_state(ctx, READERS[3], present)
    check("a new agent binds the same slot -> PRESENT", e is not None)
    hr, r = transmit(h, [0x00, 0x84, 0x00, 0x00, 0x04])
    check("the old handle is invalid (card removed)", hr != 0, "hr=%#x" % hr)
    SCardDisconnect(h, SCARD_LEAVE_CARD)
    hr, h, proto = SCardConnect(ctx, READERS[3], SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1)
    hr2, r = transmit(h, [0x00, 0x84, 0x00, 0x00, 0x04]) if hr == 0 else (hr, [])
    check("same context, new card: APDU works without re-establishing the context",
          hr == 0 and hr2 == 0 and r[-2:] == [0x90, 0x00],
          "connect=%#x transmit=%#x" % (u32(hr), hr2))
    if hr == 0:
        SCardDisconnect(h, SCARD_LEAVE_CARD)
    tc2.quit()
    wait_state(ctx, READERS[3], empty)


def test_two_slots():
    ctx_a, ctx_b = ctx_new(), ctx_new()
    ta, tb = TestCard(0), TestCard(1)
    ok = wait_state(ctx_a, READERS[0], present) and wait_state(ctx_b, READERS[1], present)
    hra, ha, _ = SCardConnect(ctx_a, READERS[0], SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1)
    hrb, hb, _ = SCardConnect(ctx_b, READERS[1], SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1)
    if not check("two clients connected to two slots", ok and hra == 0 and hrb == 0):
        ta.quit()
        tb.quit()
        return
    res = {}

    def slow():
        res["hr"], res["r"] = transmit(ha, [0x80, 0x5E, 0x17, 0x70])  # 6 s
        res["t"] = time.monotonic()

    ta.drain()
    th = threading.Thread(target=slow)
    th.start()
    req = ta.expect("req ", timeout=10, contains="transmit")
    bad = 0
    for i in range(20):
        hr, r = transmit(hb, [0x00, 0x84, 0x00, 0x00, 0x08])
        bad += hr != 0 or r[-2:] != [0x90, 0x00]
    # status of the busy slot itself must not block either
    hr, st = SCardGetStatusChange(ctx_b, 0, [(READERS[0], SCARD_STATE_UNAWARE)])
    t_b = time.monotonic()
    a_busy = "t" not in res
    th.join(20)
    check("slow APDU on slot 0 does not delay slot 1 (20 APDUs + status done "
          "while slot 0 is busy)",
          req is not None and bad == 0 and hr == 0 and a_busy and res.get("hr") == 0,
          "req=%s bad=%d gsc=%#x a_busy=%s a_hr=%s" % (req, bad, u32(hr), a_busy,
                                                       res.get("hr")))
    print("info: %s: slot 1 finished %.2f s before the slow slot 0 APDU" %
          (TAG, res.get("t", t_b) - t_b), flush=True)
    SCardDisconnect(ha, SCARD_LEAVE_CARD)
    SCardDisconnect(hb, SCARD_LEAVE_CARD)
    ta.quit()
    tb.quit()
    SCardReleaseContext(ctx_a)
    SCardReleaseContext(ctx_b)


def main():
    phase = os.environ.get("IFD_PHASE", "main")
    # A hang prints every thread's stack and fails instead of waiting
    # for the VM's timeout.
    faulthandler.dump_traceback_later(int(os.environ.get("IFD_WATCHDOG", "420")),
                                      exit=True)
    ctx = ctx_new()
    if phase == "main":
        test_readers(ctx)
        test_insert_remove(ctx)
        test_apdus(ctx)
        test_two_slots()
        test_kill9(ctx)
        test_cycles(ctx)
    elif phase == "bound":
        # started with slots already bound (pcscd restarted under them)
        hr, readers = SCardListReaders(ctx, [])
        check("restarted pcscd lists the same readers", hr == 0 and readers == READERS,
              "%s" % readers)
        e = wait_state(ctx, READERS[0], present)
        check("restarted pcscd sees the bound slot's card", e is not None)
        hr, h, proto = SCardConnect(ctx, READERS[0], SCARD_SHARE_SHARED,
                                    SCARD_PROTOCOL_T1)
        hr2, r = transmit(h, [0x00, 0x84, 0x00, 0x00, 0x02]) if hr == 0 else (hr, [])
        check("APDU after the pcscd restart", hr == 0 and hr2 == 0 and
              r == [pattern(0), pattern(1), 0x90, 0x00],
              "connect=%#x transmit=%#x %s" % (u32(hr), hr2, r))
        if hr == 0:
            SCardDisconnect(h, SCARD_LEAVE_CARD)
    SCardReleaseContext(ctx)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
