#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Host test of vscard-rdp-server alone (no kernel, no agent).

The real xfreerdp (/smartcard, under Xvfb) connects to the adapter, whose
"agent" is svcpeer.py: it checks what reaches the agent side (HELLO,
CHANNEL_OPEN and its session key, the client's Client Announce Reply,
Client Name and smart-card device) and the session-key rules, takeover,
teardown and robustness against clients that vanish mid-message.
"""
import json
import os
import signal
import socket
import subprocess
import shutil
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import (BUILD, HERE, SERVER, Results, Xvfb, free_port, stop, wait_for,  # noqa: E402
                    wait_port, xfreerdp_cmd)

R = Results("adapter")


class Log:
    def __init__(self, path):
        self.path = path

    def events(self):
        try:
            with open(self.path) as f:
                return [json.loads(line) for line in f if line.strip()]
        except (OSError, ValueError):
            return []

    def find(self, kind, pid=None, after=0):
        return [e for e in self.events()[after:]
                if e["event"] == kind and (pid is None or e["pid"] == pid)]

    def wait(self, kind, pid=None, after=0, timeout=40):
        return wait_for(lambda: self.find(kind, pid, after), timeout)


def client(x, port, user, name, logdir):
    log = open(os.path.join(logdir, "xfreerdp-%s.log" % name), "a")
    return subprocess.Popen(xfreerdp_cmd(port, user, name),
                            env=dict(os.environ, DISPLAY=x.display),
                            stdout=log, stderr=log)


def alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return False


def session(log, x, port, user, name, logdir, after):
    """Connect a client and wait for its agent's CHANNEL_OPEN."""
    c = client(x, port, user, name, logdir)
    ev = log.wait("channel_open", after=after)
    ev = [e for e in (ev or []) if e["client"] == name]
    return c, (ev[0] if ev else None)


def main():
    logdir = os.path.join(BUILD, "e2e", "adapter-logs")
    shutil.rmtree(logdir, ignore_errors=True)
    os.makedirs(logdir)
    logpath = os.path.join(logdir, "svcpeer.log")
    log = Log(logpath)
    peer = os.path.join(HERE, "svcpeer.py")

    rc = subprocess.run([SERVER, "--bind", "127.0.0.1"], capture_output=True)
    R.check(rc.returncode == 2 and b"--test-mode" in rc.stderr,
            "refuses to start without --test-mode (no authentication)")
    rc = subprocess.run([SERVER, "--help"], capture_output=True)
    R.check(rc.returncode == 0 and b"--linger-ms" in rc.stdout, "--help")

    x = Xvfb(logdir)
    port = free_port()
    srvlog = open(os.path.join(logdir, "server.log"), "w")
    srv = subprocess.Popen([SERVER, "--test-mode", "--port", str(port), "--agent", peer,
                            "--pool", "3", "--linger-ms", "1234", "-v"],
                           env=dict(os.environ, SVCPEER_LOG=logpath),
                           stdout=srvlog, stderr=srvlog)
    try:
        run(log, x, port, logdir, srv)
    finally:
        status = stop(srv)
        x.close()
    R.check(status == 0, "server exits 0 on SIGTERM", "status %s" % status)
    agents = [e["pid"] for e in log.find("start")]
    R.check(agents and not any(alive(p) for p in agents),
            "every agent process was reaped (%d started)" % len(agents))
    for mode in ("die", "oversize"):
        broken_agent(mode, peer, logdir)
    print("adapter: logs in %s" % logdir)
    print("%d passed, %d failed" % (R.passed, R.failed))
    return 1 if R.failed else 0


def broken_agent(mode, peer, logdir):
    """An agent that dies mid-frame, or sends an oversized frame."""
    logpath = os.path.join(logdir, "svcpeer-%s.log" % mode)
    log = Log(logpath)
    x = Xvfb(logdir)
    port = free_port()
    srvlog = open(os.path.join(logdir, "server-%s.log" % mode), "w")
    srv = subprocess.Popen([SERVER, "--test-mode", "--port", str(port), "--agent", peer],
                           env=dict(os.environ, SVCPEER_LOG=logpath, SVCPEER_MODE=mode),
                           stdout=srvlog, stderr=srvlog)
    try:
        wait_port(port)
        c = client(x, port, "alice", "alpha", logdir)
        R.check(log.wait("died" if mode == "die" else "oversize"),
                "agent %s: the scenario ran" % mode)
        time.sleep(3)
        R.check(srv.poll() is None and c.poll() is None,
                "agent %s: server and RDP session stay up without smart cards" % mode)
        if mode == "oversize":
            R.check(log.wait("eof", timeout=20),
                    "agent oversize: the adapter drops the agent link (frame > 1 MiB)")
        stop(c)
    finally:
        status = stop(srv)
        x.close()
    R.check(status == 0, "agent %s: server still exits 0" % mode, str(status))


def run(log, x, port, logdir, srv):
    if not R.check(wait_port(port), "server listens on 127.0.0.1:%d" % port):
        return
    n = len(log.events())
    a, op = session(log, x, port, "alice", "alpha", logdir, n)
    if not R.check(op is not None, "xfreerdp connects; the agent gets CHANNEL_OPEN"):
        stop(a)
        return
    pid = op["pid"]
    st = log.find("start", pid)
    R.check(st and st[0]["argv"][:4] == ["--fd", "3", "--pool", "3"] and
            "--linger-ms" in st[0]["argv"] and "1234" in st[0]["argv"],
            "agent started with --fd 3 --pool 3 --linger-ms 1234",
            str(st and st[0]["argv"]))
    h = log.find("hello", pid)
    R.check(h and h[0]["version"] == 1, "adapter HELLO, svcport version 1")
    R.check(len(op["key"]) == 64 and op["client"] == "alpha" and op["user"] == "alice" and
            op["channel"] == "rdpdr",
            "CHANNEL_OPEN: 32-byte session key, client name, user, channel rdpdr", str(op))
    ar = log.wait("announce_reply", pid)
    R.check(ar and ar[0]["client_id"] == 0x1234 and ar[0]["major"] == 1,
            "Server Announce reached the client; its Client Announce Reply came back",
            str(ar))
    cn = log.wait("client_name", pid)
    R.check(cn and cn[0]["name"] == "alpha", "Client Name PDU carries 'alpha'", str(cn))
    dev = log.wait("device_announce", pid)
    R.check(dev and any(d["type"] == 0x20 for d in dev[0]["devices"]),
            "client announces its smart-card device (type 0x20)", str(dev))

    # Killed client: the agent sees CHANNEL_CLOSE, then EOF, and is reaped.
    stop(a, signal.SIGKILL)
    R.check(log.wait("channel_close", pid, timeout=20), "client killed: CHANNEL_CLOSE")
    R.check(log.wait("eof", pid, timeout=20), "client killed: agent socket closed")
    R.check(wait_for(lambda: not alive(pid), 10), "client killed: agent reaped")

    # Reconnect of the same session: same key.  Another client name: new key.
    n = len(log.events())
    a, op2 = session(log, x, port, "alice", "alpha", logdir, n)
    R.check(op2 and op2["key"] == op["key"] and op2["pid"] != pid,
            "reconnect (same user + client name): same session key, new agent")
    n = len(log.events())
    b, opb = session(log, x, port, "alice", "beta", logdir, n)
    R.check(opb and opb["key"] != op["key"],
            "same address, same user, other client name: another session key")
    R.check(op2 and alive(op2["pid"]) and not log.find("channel_close", op2["pid"]),
            "two sessions at once: the first one is undisturbed by the second")
    n = len(log.events())
    c, opc = session(log, x, port, "bob", "alpha", logdir, n)
    R.check(opc and opc["key"] not in (op["key"], opb and opb["key"]),
            "other user, same client name: another session key")
    stop(c)

    # Takeover: the same session connects again while the old one is up.
    n = len(log.events())
    a2, op3 = session(log, x, port, "alice", "alpha", logdir, n)
    R.check(op2 and log.find("channel_close", op2["pid"]),
            "same session connects again: the old connection is closed first")
    R.check(op3 and op3["key"] == op["key"], "takeover keeps the session key")
    stop(a)

    # Clients that vanish mid-message: a truncated TPKT, then garbage.
    for junk in (bytes.fromhex("0300002c27e00000"), os.urandom(3000)):
        s = socket.create_connection(("127.0.0.1", port))
        s.sendall(junk)
        s.close()
    time.sleep(1)
    R.check(srv.poll() is None, "server survives clients that close mid-message")
    n = len(log.events())
    d, opd = session(log, x, port, "dave", "delta", logdir, n)
    R.check(opd is not None, "and still accepts a new client afterwards")
    # Stop the server with clients connected: agents get CHANNEL_CLOSE.
    live = [o["pid"] for o in (op3, opb, opd) if o]
    stop(srv)
    # The peers log what they got a moment after the server is gone.
    R.check(wait_for(lambda: all(log.find("channel_close", p) for p in live), 10),
            "server stop: every live agent gets CHANNEL_CLOSE (%d)" % len(live))
    for p in (a2, b, d):
        stop(p)


if __name__ == "__main__":
    sys.exit(main())
