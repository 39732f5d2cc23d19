#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""vscard end to end with the real xfreerdp client (runs inside the VM).

  e2e.py check   the assertions of issue 6 (PASS:/FAIL: lines)
  e2e.py bench   APDU round trip through vscard vs. straight to vicc
  e2e.py demo    the same scene, narrated

run.sh loads vscard.ko first and unloads it afterwards.
"""
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results, stop, wait_for  # noqa: E402
from scene import (READER_A, READER_B, STATE_EMPTY, STATE_PRESENT, VICC_ATR,  # noqa: E402
                   Scene, present_readers, wait_present)

TAG = os.environ.get("TAG", "e2e")
R = Results(TAG)
SELECT = "00a4000c023f00"           # P2=0C: no FCI (vicc crashes on FCI)
GET_CHALLENGE = "0084000008"
VERIFY = "002000000431323334"       # PIN 1234
CARD_B_ATR = "3b056361726442"       # minicc.py --name cardB


def sw(resp):
    return resp[-4:] if resp else None


def run_apdus(app, reader):
    """SELECT, GET CHALLENGE, VERIFY on a fresh connection."""
    r = app.call("connect " + reader)
    if not r or r.get("rv"):
        return None
    out = [app.apdu(a) for a in (SELECT, GET_CHALLENGE, VERIFY)]
    app.call("disconnect")
    return out


def check_1_2(sc, srv, cl):
    R.check(wait_present(cl, VICC_ATR, timeout=120) == READER_A,
            "client side: vicc's card is present in %s" % READER_A, str(present_readers(cl)))
    direct = run_apdus(cl, READER_A)
    R.check(direct and direct[0] == "9000" and sw(direct[1]) == "9000",
            "client side: vicc answers directly (SELECT, GET CHALLENGE, VERIFY)", str(direct))
    sc.connect("alpha", READER_A)
    reader = wait_present(srv, VICC_ATR)
    if not R.check(reader is not None,
                   "1: the client's vicc card appears in a server-side vscard reader"
                   " with vicc's ATR", str(present_readers(srv))):
        return None
    R.check(reader.startswith("vscard"), "1: the server-side reader is a vscard slot (%s)"
            % reader)
    via = run_apdus(srv, reader)
    R.check(via and direct and via[0] == direct[0], "2: SELECT: same bytes via RDP as direct",
            "%s vs %s" % (via, direct))
    R.check(via and direct and len(via[1]) == len(direct[1]) and sw(via[1]) == "9000",
            "2: GET CHALLENGE: same length and SW via RDP as direct")
    R.check(via and direct and via[2] == direct[2], "2: VERIFY 1234: same bytes via RDP",
            "%s vs %s" % (via, direct))
    return reader


def check_3(sc, reader):
    waiter = sc.server_app("waiter")
    r = waiter.call("wait %s 0 0" % reader)
    cur = (r or {}).get("state", 0) & ~0x2
    waiter.send("wait %s %d 300000" % (reader, cur))
    time.sleep(1)
    sc.vicc.stop()
    r = waiter.recv(180)
    removed = bool(r and r.get("rv") == 0 and r["state"] & STATE_EMPTY)
    R.check(removed, "3: vicc stopped: a server-side GetStatusChange waiter sees the removal",
            str(r))
    cur = (r or {}).get("state", 0) & ~0x2
    waiter.send("wait %s %d 300000" % (reader, cur))
    time.sleep(1)
    sc.vicc.start()
    r = waiter.recv(180)
    R.check(bool(removed and r and r.get("rv") == 0 and r["state"] & STATE_PRESENT and
                 r["atr"] == VICC_ATR),
            "3: vicc restarted: the same waiter sees the insertion (same reader)", str(r))


def check_4(sc, srv, reader):
    r = srv.call("connect " + reader)
    ok = r and r.get("rv") == 0 and srv.apdu(SELECT) == "9000"
    R.check(ok, "4: server app connected and working before the client dies", str(r))
    sc.kill_client("alpha")
    gone = wait_for(lambda: reader not in present_readers(srv), 120, step=0.5)
    R.check(gone, "4: RDP client killed: the card leaves the slot")
    sc.connect("alpha", READER_A)
    again = wait_present(srv, VICC_ATR)
    R.check(again == reader, "4: the client reconnects: the same slot rebinds (%s)" % again)
    stale = srv.call("transmit " + SELECT)
    R.check(stale and stale.get("rv") != 0,
            "4: the old card handle fails (no answer is misattributed to it)", str(stale))
    srv.call("disconnect")
    r = srv.call("connect " + reader)
    R.check(r and r.get("rv") == 0 and srv.apdu(SELECT) == "9000",
            "4: the application's old context works again without re-establishing it",
            str(r))
    srv.call("disconnect")


def check_5(sc, srv, reader_a):
    sc.connect("beta", READER_B)
    reader_b = wait_present(srv, CARD_B_ATR, exclude=(reader_a,))
    if not R.check(reader_b is not None and reader_b != reader_a,
                   "5: a second client (same address, other client name) gets its own slot",
                   str(present_readers(srv))):
        return
    pres = present_readers(srv)
    R.check(pres.get(reader_a) == VICC_ATR and pres.get(reader_b) == CARD_B_ATR and
            len(pres) == 2, "5: each slot shows only its own client's card", str(pres))
    r = srv.call("connect " + reader_b)
    name = srv.apdu("00ca010000") if r and r.get("rv") == 0 else None
    srv.call("disconnect")
    R.check(name == "63617264429000", "5: APDUs to the second slot reach the second client's card",
            str(name))

    other = sc.server_app("a-loop")
    r = other.call("connect " + reader_a)
    results, done = [], threading.Event()

    def loop():
        while not done.is_set():
            results.append(other.apdu(SELECT, 60))
    t = threading.Thread(target=loop)
    t.start()
    time.sleep(2)
    sc.kill_client("beta")
    gone = wait_for(lambda: reader_b not in present_readers(srv), 120, step=0.5)
    time.sleep(2)
    done.set()
    t.join(120)
    R.check(gone, "5: second client disconnected: its card leaves its slot")
    R.check(len(results) >= 3 and all(x == "9000" for x in results),
            "5: the first client's APDUs ran undisturbed meanwhile (%d APDUs)" % len(results),
            str([x for x in results if x != "9000"][:5]))
    other.call("disconnect")


def check(sc):
    srv = sc.server_app("main")
    cl = sc.client_app("direct")
    r = srv.call("readers")
    R.check(r and r.get("rv") == 0 and any(x.startswith("vscard") for x in r["readers"]),
            "server pcscd lists the vscard readers", str(r))
    reader = check_1_2(sc, srv, cl)
    if reader:
        check_3(sc, reader)
        check_4(sc, srv, reader)
        check_5(sc, srv, reader)


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "check"
    logdir = tempfile.mkdtemp(prefix="e2e-", dir=os.environ.get("VM_OUT") or None)
    sc = Scene(logdir)
    try:
        sc.start()
        {"check": check, "bench": bench, "demo": demo}[mode](sc)
    except Exception as e:  # a broken scene is one failure, with the reason
        R.check(False, "scene", repr(e))
    finally:
        rc = sc.stop()
    if mode == "check":
        R.check(rc.get("server") == 0, "vscard-rdp-server stops cleanly (status 0)",
                str(rc.get("server")))
    print("%s: logs in %s" % (TAG, logdir), flush=True)
    return 1 if R.failed else 0


def timed(app, apdu, n):
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        resp = app.apdu(apdu)
        out.append(time.perf_counter() - t0)
        if sw(resp) != "9000":
            raise RuntimeError("bench APDU failed: %s" % resp)
    return out


def bench(sc):
    """APDU round trips: server app -> vscard -> RDP -> client vicc, versus
    the same APDU from a client-side app straight to vicc.  Both paths
    include the same pcsc_app.py pipe overhead, so the difference is the
    vscard + RDP path."""
    n = int(os.environ.get("E2E_BENCH_N", "40"))
    srv, cl = sc.server_app("bench"), sc.client_app("bench")
    sc.connect("alpha", READER_A)
    reader = wait_present(srv, VICC_ATR)
    if not reader:
        raise RuntimeError("the card did not appear on the server side")
    for app, rd in ((cl, READER_A), (srv, reader)):
        r = app.call("connect " + rd)
        if not r or r.get("rv"):
            raise RuntimeError("connect %s: %s" % (rd, r))
        timed(app, SELECT, 3)       # warm up
    rows = []
    for name, apdu in (("SELECT", SELECT), ("GET CHALLENGE", GET_CHALLENGE)):
        base = statistics.median(timed(cl, apdu, n))
        via = statistics.median(timed(srv, apdu, n))
        rows.append((name, base, via))
    print("bench-e2e: APDU round trip, median of %d, QEMU TCG (no KVM), 2 vCPUs" % n)
    print("bench-e2e: %-14s %12s %14s %8s %12s" % ("APDU", "direct(ms)", "via vscard(ms)",
                                                   "ratio", "added(ms)"))
    for name, base, via in rows:
        print("bench-e2e: %-14s %12.2f %14.2f %7.1fx %12.2f" %
              (name, base * 1e3, via * 1e3, via / base, (via - base) * 1e3))
    print("bench-e2e: direct = client-side app -> client pcscd -> vpcd -> vicc;")
    print("bench-e2e: via vscard = server app -> pcscd -> libifdvscard -> vscard.ko -> "
          "vscard-agent -> vscard-rdp-server -> RDP -> xfreerdp -> client pcscd -> vicc")


def say(text=""):
    print(text, flush=True)


def shell(argv, stdin=None):
    """Run a tool, return its output without colours and spinner lines."""
    p = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=120)
    text = re.sub(r"\x1b\[[0-9;]*m", "", p.stdout)
    lines = [ln.rstrip() for ln in text.splitlines()]
    return "\n".join(ln for ln in lines if ln.strip() and ln.strip() not in "-\\|/")


def demo(sc):
    say("== vscard demo: a smart card on an RDP client, used on the server ==")
    say()
    say("Client side (its own pcscd, in a private mount namespace): a virtual card")
    say("(vsmartcard's vicc, an ISO 7816 card) sits in the reader '%s'." % READER_A)
    cl = sc.client_app("demo")
    wait_present(cl, VICC_ATR, timeout=120)
    say("  client readers: %s" % ", ".join(sorted(present_readers(cl))))
    say()
    say("Server side: pcscd with the vscard IFD handler shows empty vscard slots:")
    say(shell(["pcsc_scan", "-r"]))
    say()
    say("Connecting: xfreerdp /smartcard:'%s' -> vscard-rdp-server (127.0.0.1:%d)..."
        % (READER_A, sc.port))
    srv = sc.server_app("demo")
    t0 = time.monotonic()
    sc.connect("alpha", READER_A)
    reader = wait_present(srv, VICC_ATR)
    if not reader:
        raise RuntimeError("the remote card did not appear")
    say("The remote card is in '%s' after %.1f s.  pcsc_scan on the server:" %
        (reader, time.monotonic() - t0))
    say()
    say(shell(["pcsc_scan", "-t", "6"]))
    say()
    say("An APDU exchange from a server-side application (scriptor, pcsc-tools):")
    out = shell(["scriptor", "-r", reader], "00 A4 00 0C 02 3F 00\n00 84 00 00 08\n"
                "00 20 00 00 04 31 32 33 34\n")
    say("\n".join("  " + line for line in out.splitlines()))
    say()
    say("(SELECT MF -> 90 00; GET CHALLENGE -> 8 random bytes + 90 00;"
        " VERIFY PIN 1234 -> 90 00)")
    say()
    say("Disconnecting the RDP client: the card leaves the slot, the slot stays.")
    sc.kill_client("alpha")
    wait_for(lambda: reader not in present_readers(srv), 120, step=0.5)
    left = present_readers(srv)
    readers = srv.call("readers") or {}
    say("  readers: %s; cards: %s" % (", ".join(readers.get("readers", [])),
                                     ", ".join(left) or "none"))
    say()
    say("Tearing down: RDP server, agents, pcscd, then rmmod vscard.")


if __name__ == "__main__":
    sys.exit(main())
