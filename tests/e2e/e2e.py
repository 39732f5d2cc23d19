#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""vscard end to end with the real xfreerdp client (runs inside the VM).

  e2e.py check   the assertions of issue 6 (PASS:/FAIL: lines)
  e2e.py bench   APDU round trip through vscard vs. straight to vicc
  e2e.py bench-opensc   pkcs11-tool -L / --list-objects through vscard vs.
                 on the client side, against the PIV card pivcc.py
  e2e.py demo    the same scene, narrated

run.sh loads vscard.ko first and unloads it afterwards.
"""
import glob
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import Results, wait_for  # noqa: E402
from scene import (GET_CHALLENGE, PY, READER_A, READER_B, SELECT, STATE_EMPTY,  # noqa: E402
                   STATE_PRESENT, VICC_ATR, VPCD_PORT, Scene, present_readers, run_apdus,
                   timed, wait_present)

TAG = os.environ.get("TAG", "e2e")
R = Results(TAG)
CARD_B_ATR = "3b056361726442"       # minicc.py --name cardB


def sw(resp):
    return resp[-4:] if resp else None


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
        {"check": check, "bench": bench, "bench-opensc": bench_opensc,
         "demo": demo}[mode](sc)
    except Exception as e:  # a broken scene is one failure, with the reason
        R.check(False, "scene", repr(e))
    finally:
        rc = sc.stop()
    if mode == "check":
        R.check(rc.get("server") == 0, "vscard-rdp-server stops cleanly (status 0)",
                str(rc.get("server")))
    print("%s: logs in %s" % (TAG, logdir), flush=True)
    return 1 if R.failed else 0


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


# ------------------------------------------------------------ bench-opensc ---
# pcsc-lite's client -> pcscd message codes (winscard_msg.h), the first
# 4-byte word after the size in each request header.
PCSC_MSG = {1: "EstablishContext", 2: "ReleaseContext", 3: "ListReaders", 4: "Connect",
            5: "Reconnect", 6: "Disconnect", 7: "BeginTransaction", 8: "EndTransaction",
            9: "Transmit", 10: "Control", 11: "Status", 12: "GetStatusChange", 13: "Cancel",
            14: "CancelTransaction", 15: "GetAttrib", 16: "SetAttrib", 17: "Version",
            18: "GetReadersState", 19: "WaitReaderStateChange",
            20: "StopWaitingReaderStateChange"}
P11_CHECKS = {"-L": ("vscard PIV test",),
              "--list-objects": ("Certificate Object", "CN=vscard PIV test",
                                 "Public Key Object")}


def pcsc_requests(path):
    """Count the requests a program sent to pcscd, from `strace -f -xx -s 16
    -e trace=sendto,close` output: {name: count}.  A request is an 8-byte
    header (body size, command) then the body, in sendto()s on one socket;
    Transmit and Control then send their buffer, whose length is in the
    body (offset 12, resp. 8)."""
    out, fds = {}, {}
    pat = re.compile(r'(sendto|close)\((\d+)(?:, "((?:\\x[0-9a-f]{2})*)"(?:\.\.\.)?, (\d+))?')
    for line in open(path):
        m = pat.search(line)
        if not m:
            continue
        call, fd = m.group(1), m.group(2)
        if call == "close":
            fds.pop(fd, None)
            continue
        if m.group(3) is None:
            continue
        raw, n = bytes.fromhex(m.group(3).replace("\\x", "")), int(m.group(4))
        st = fds.get(fd)
        if st and st["left"] > 0:
            if st["extra"] is None:
                xo = st["xoff"]
                st["extra"] = int.from_bytes(raw[xo:xo + 4], "little") \
                    if xo and len(raw) >= xo + 4 else 0
            st["left"] -= n
            if st["left"] <= 0 and st["extra"]:
                st["left"], st["extra"] = st["extra"], 0
            continue
        if n != 8 or len(raw) < 8:
            continue
        size, cmd = int.from_bytes(raw[:4], "little"), int.from_bytes(raw[4:8], "little")
        name = PCSC_MSG.get(cmd, "cmd%d" % cmd)
        out[name] = out.get(name, 0) + 1
        fds[fd] = {"left": size, "xoff": {9: 12, 10: 8}.get(cmd), "extra": None}
    return out


def descendants(pid):
    """{pid: comm} of a process's descendants (from /proc)."""
    kids = {}
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/stat" % d) as f:
                    st = f.read()
                comm = st[st.index("(") + 1:st.rindex(")")]
                ppid = int(st[st.rindex(")") + 2:].split()[1])
                kids.setdefault(ppid, []).append((int(d), comm))
            except (OSError, ValueError):
                pass
    out, todo = {}, [pid]
    while todo:
        for k, comm in kids.get(todo.pop(), []):
            out[k] = comm
            todo.append(k)
    return out


def agent_issued(sc):
    """RDPESC calls the agents have sent so far: SIGUSR1 makes each agent log
    its stats line (to rdp-server.log); sum the last one of each."""
    log = os.path.join(sc.logdir, "rdp-server.log")
    agents = [p for p, c in descendants(sc.server.pid).items() if c == "vscard-agent"]

    def lines():
        with open(log, errors="replace") as f:
            return [ln for ln in f if "stats: issued=" in ln]
    before = len(lines())
    for p in agents:
        os.kill(p, signal.SIGUSR1)
    if not agents or not wait_for(lambda: len(lines()) >= before + len(agents), 20):
        return None
    return sum(int(re.search(r"issued=(\d+)", ln).group(1))
               for ln in lines()[-len(agents):])


def kernel_requests():
    """Requests vscard.ko has carried so far, all slots (sysfs stats)."""
    total = 0
    for p in glob.glob("/sys/class/vscard/*/stats/requests"):
        with open(p) as f:
            total += int(f.read())
    return total


def card_events(path):
    with open(path, errors="replace") as f:
        lines = f.read().splitlines()
    return (sum(1 for ln in lines if ln.startswith("apdu ")),
            sum(1 for ln in lines if ln.startswith("power ")))


def p11(prefix, arg, trace=None):
    """Run pkcs11-tool ARG (under strace into TRACE if given), check its
    output, return its wall time."""
    st = ["strace", "-f", "--seccomp-bpf", "-xx", "-s", "16", "-e", "trace=sendto,close",
          "-o", trace] if trace else []
    t0 = time.perf_counter()
    p = subprocess.run(prefix + st + ["pkcs11-tool", arg], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, timeout=300)
    dt = time.perf_counter() - t0
    missing = [w for w in P11_CHECKS[arg] if w not in p.stdout]
    if p.returncode or missing:
        raise RuntimeError("pkcs11-tool %s (%s): status %d, missing %s:\n%s" %
                           (arg, "client side" if prefix else "via vscard", p.returncode,
                            missing, p.stdout[-2000:]))
    return dt


# The agent keeps its remote transaction --txn-idle-ms (5000 by default)
# after the last local request (agent.rst, "Transaction policy"): a
# client-side run right after a run through vscard would wait for it.
TXN_IDLE = 5.0 + 1.0


def bench_opensc(sc):
    """OpenSC's pkcs11-tool (-L, --list-objects) against the PIV card
    pivcc.py on the client's vpcd slot 1: run on the client side (client
    pcscd -> vpcd -> card) versus on the server side through vscard (server
    pcscd -> libifdvscard -> vscard.ko -> agent -> RDP -> xfreerdp -> client
    pcscd -> card).  Whole commands, process start included on both sides;
    the sides take turns so host load hits both alike, a client-side run
    only once the agent has released its transaction."""
    import pivcc
    n = int(os.environ.get("OPENSC_BENCH_N", "5"))
    piv_atr = pivcc.atr().hex()
    # Only the PIV card on the client: vicc leaves slot 0 (OpenSC would
    # otherwise probe it with every driver on the direct side only).
    sc.vicc.stop()
    sc.minicc.stop()
    card_log = os.path.join(sc.logdir, "pivcc.log")
    sc.spawn([PY, os.path.join(os.path.dirname(os.path.abspath(__file__)), "pivcc.py"),
              "--port", str(VPCD_PORT + 1), "--log"], "pivcc.log", client_side=True)
    cl, srv = sc.client_app("opensc"), sc.server_app("opensc")
    if wait_present(cl, piv_atr, timeout=120) != READER_B:
        raise RuntimeError("the PIV card is not in %s: %s" % (READER_B, present_readers(cl)))
    sc.connect("alpha", READER_B)
    reader = wait_present(srv, piv_atr)
    if not reader:
        raise RuntimeError("the PIV card did not appear on the server side")
    # One APDU (GET DATA, discovery object: 20 bytes + 90 00) on both
    # paths, for the cost of one round trip.
    getdata = "00cb3fff035c017e00"
    one = {}
    for app, rd in ((cl, READER_B), (srv, reader)):
        r = app.call("connect " + rd)
        if not r or r.get("rv"):
            raise RuntimeError("connect %s: %s" % (rd, r))
        timed(app, getdata, 3)
        one[app] = statistics.median(timed(app, getdata, 20))
        app.call("disconnect")
    apdu_direct, apdu_via = one[cl], one[srv]
    time.sleep(TXN_IDLE)
    direct, via = sc.nsenter(), []
    rows = []
    for arg in ("-L", "--list-objects"):
        p11(direct, arg)                    # warm up (page cache, 9p)
        p11(via, arg)
        time.sleep(TXN_IDLE)
        times = {"direct": [], "via": []}
        for _ in range(n):
            times["direct"].append(p11(direct, arg))
            times["via"].append(p11(via, arg))
            time.sleep(TXN_IDLE)
        counts = {}
        for name, prefix in (("direct", direct), ("via", via)):   # traced runs
            trace = os.path.join(sc.logdir, "strace-%s%s.log" % (name, arg))
            a0, p0 = card_events(card_log)
            k0 = kernel_requests()
            i0 = agent_issued(sc)
            p11(prefix, arg, trace if shutil.which("strace") else None)
            a1, p1 = card_events(card_log)
            i1 = agent_issued(sc)
            counts[name] = {"apdus": a1 - a0, "power": p1 - p0,
                            "pcsc": pcsc_requests(trace) if os.path.exists(trace) else {},
                            "kernel": kernel_requests() - k0,
                            "rdpesc": None if i0 is None or i1 is None else i1 - i0}
            time.sleep(TXN_IDLE if name == "via" else 0)
        rows.append((arg, statistics.median(times["direct"]), statistics.median(times["via"]),
                     times, counts))
    report_opensc(n, rows, apdu_direct, apdu_via)


def report_opensc(n, rows, apdu_direct, apdu_via):
    pr("pkcs11-tool (OpenSC %s) against a PIV card (tests/e2e/pivcc.py), median of %d "
       "runs, QEMU TCG (no KVM), 2 vCPUs", opensc_version(), n)
    pr("%-15s %11s %15s %7s %10s   %s", "command", "direct(ms)", "via vscard(ms)", "ratio",
       "added(ms)", "fastest runs: direct, via, ratio")
    for arg, base, via, t, _c in rows:
        lo, hi = min(t["direct"]), min(t["via"])
        pr("%-15s %11.0f %15.0f %6.2fx %10.0f   %.0f, %.0f, %.2fx", arg, base * 1e3,
           via * 1e3, via / base, (via - base) * 1e3, lo * 1e3, hi * 1e3, hi / lo)
    pr("goal: ratio <= 1.2x")
    one = apdu_via - apdu_direct
    pr("one APDU round trip (GET DATA, 20 bytes back), median of 20: direct %.1f ms, "
       "via vscard %.1f ms, added %.1f ms", apdu_direct * 1e3, apdu_via * 1e3, one * 1e3)
    pr("round trips per command (one more run of each, pkcs11-tool under strace;"
       " without strace no pcscd request counts):")
    for arg, base, via, _t, c in rows:
        d, v = c["direct"], c["via"]
        pr("%s: APDUs at the card: %d direct, %d via vscard (power events %d, %d)",
           arg, d["apdus"], v["apdus"], d["power"], v["power"])
        for name, x in (("direct", d), ("via vscard", v)):
            pr("%s: PC/SC requests to pcscd (%s): %d = %s", arg, name, sum(x["pcsc"].values()),
               ", ".join("%s %d" % kv for kv in sorted(x["pcsc"].items(),
                                                      key=lambda kv: (-kv[1], kv[0]))))
        pr("%s: via vscard: %d vscard.ko requests, %s RDPESC calls to the client "
           "(RDP round trips)", arg, v["kernel"], v["rdpesc"])
        rt = v["rdpesc"] or v["apdus"]
        pr("%s: added %.0f ms; %d RDP round trips x %.1f ms (one APDU's added cost) = %.0f ms",
           arg, (via - base) * 1e3, rt, one * 1e3, rt * one * 1e3)
    for arg, _b, _v, t, _c in rows:
        pr("%s: all runs (ms): direct %s; via %s", arg,
           " ".join("%.0f" % (x * 1e3) for x in t["direct"]),
           " ".join("%.0f" % (x * 1e3) for x in t["via"]))


def pr(fmt, *args):
    print("bench-opensc: " + (fmt % args if args else fmt), flush=True)


def opensc_version():
    p = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "opensc"],
                       stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return p.stdout.strip() or "?"


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
