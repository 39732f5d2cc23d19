#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Per-user sessions over real RDP (suite 81, inside the VM; issue 13's
tests 1-6): vscard-rdp-server --sessions, two xfreerdp clients at once,
alice (uid 2001) with vicc in her client's only redirected reader, bob
(2002) with two minicc cards in two readers and a pool of one slot.

Each client has its own client-side pcscd (a private mount namespace with
a tmpfs on /run/pcscd, vpcd on its own TCP ports): one shared pcscd would
do only with a reader filter per client, and bob must announce more
readers than his quota.

run by tests/sessions/vm-rdp-sessions.sh (users, installation, insmod).
PASS:/FAIL: lines; exit 1 on a failure.
"""
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))), "e2e"))
import scene  # noqa: E402
from common import (BUILD, SERVER, TOP, Results, Xvfb, free_port, read_kv, stop,  # noqa: E402
                    wait_for, wait_port, xfreerdp_cmd)

PY = "/usr/bin/python3"
TAG = os.environ.get("TAG", "rdp-sessions")
WORK = os.environ.get("WORK", "/tmp/s81")
LOGS = os.environ.get("VM_OUT") or WORK
R = Results(TAG)
RUNDIR = "/run/vscard"
SESSION_CMD = "/usr/local/sbin/vscard-session"
CTL = "/usr/local/bin/vscardctl"
LINGER_MS = 40000
AGENT = os.environ.get("AGENT") or os.path.join(BUILD, "agent", "vscard-agent")
VICC_ATR = "3b951381018073ff01000b"
ATR_B = "3b056361726442"        # minicc --name cardB
ATR_C = "3b056361726443"        # minicc --name cardC
SELECT = "00a4000c023f00"
STATE_EMPTY, STATE_PRESENT = 0x10, 0x20
SCARD_E_TIMEOUT = 0x8010000A
USERS = {"alice": 2001, "bob": 2002}


def log(name):
    return open(os.path.join(LOGS, name), "ab")


def sh(argv, user=None, env=None):
    """Run argv (as user, no capabilities): (status, stdout+stderr)."""
    if user:
        argv = ["setpriv", "--reuid=%d" % USERS[user], "--regid=%d" % USERS[user],
                "--init-groups", "--inh-caps=-all", "--"] + argv
    p = subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, env=env, timeout=120)
    return p.returncode, p.stdout.strip()


def state(sid):
    """A session's state file (root's), as a dict."""
    return read_kv(os.path.join(RUNDIR, sid, "state"))


def session_env(sid):
    try:
        with open(os.path.join(RUNDIR, sid, "env")) as f:
            return [ln.strip() for ln in f if "=" in ln]
    except OSError:
        return []


def proc_status(pid):
    try:
        with open("/proc/%s/status" % pid) as f:
            return dict(ln.rstrip("\n").split(":\t", 1) for ln in f if ":\t" in ln)
    except OSError:
        return {}


def alive(pid):
    return bool(pid) and os.path.exists("/proc/%s" % pid)


class App(scene.App):
    """pcsc_app.py (one PC/SC context for its life) as a session's user,
    with only that session's environment (a copy the users can read)."""

    def __init__(self, user, env, name):
        prefix = ["setpriv", "--reuid=%d" % USERS[user], "--regid=%d" % USERS[user],
                  "--init-groups", "--inh-caps=-all", "--", "env", "-i"] + env
        super().__init__(prefix, LOGS, name, os.path.join(WORK, "pcsc_app.py"))

    def present(self):
        r = self.call("states")
        if not r or r.get("rv"):
            return {}
        return {k: v["atr"] for k, v in r["states"].items() if v["state"] & STATE_PRESENT}


class ClientSide:
    """A client machine: a mount namespace with its own pcscd and vpcd
    (readers "Virtual PCD 00 00" on port, "00 01" on port + 1)."""

    def __init__(self, name, port, procs):
        self.name, self.port, self.procs = name, port, procs
        conf = os.path.join(WORK, "client-%s.conf.d" % name)
        os.makedirs(conf, exist_ok=True)
        self.holder = scene.client_namespace(conf, port, "client " + name)
        self.spawn(["pcscd", "-f", "-c", conf], "pcscd-client-%s.log" % name)
        self.xfreerdp = None

    def nsenter(self):
        return ["nsenter", "-t", str(self.holder.pid), "-m", "--wd=" + TOP, "--"]

    def spawn(self, argv, logname, env=None):
        p = subprocess.Popen(self.nsenter() + argv, stdout=log(logname),
                             stderr=subprocess.STDOUT, env=env)
        self.procs.append(p)
        return p

    def card(self, argv, logname):
        shim = os.path.join(WORK, "shim")
        env = dict(os.environ, PYTHONPATH="/usr/lib/python3/site-packages/virtualsmartcard:"
                   + shim)
        return self.spawn(argv, logname, env)

    def connect(self, port, user, client_name, reader_filter=None, display=None):
        cmd = xfreerdp_cmd(port, user, client_name)
        if reader_filter:
            cmd = [c for c in cmd if c != "/smartcard"] + ["/smartcard:" + reader_filter]
        env = dict(os.environ, DISPLAY=display)
        self.xfreerdp = subprocess.Popen(self.nsenter() + cmd, env=env,
                                         stdout=log("xfreerdp-%s.log" % self.name),
                                         stderr=subprocess.STDOUT)
        return self.xfreerdp

    def kill_client(self):
        stop(self.xfreerdp, signal.SIGKILL)
        self.xfreerdp = None

    def close(self):
        self.kill_client()
        stop(self.holder, signal.SIGKILL)


def server_log():
    try:
        with open(os.path.join(LOGS, "rdp-server.log"), errors="replace") as f:
            return f.read()
    except OSError:
        return ""


def wait_present(app, atrs, timeout=180):
    def look():
        for reader, atr in app.present().items():
            if atr in atrs:
                return reader, atr
        return None
    return wait_for(look, timeout, step=0.5)


def refused_logons(port, display, cl):
    """--test-mode --sessions: an RDP user name that is no local account
    with uid >= 1000 is refused at logon, with a log line."""
    for user, why in (("nosuchuser", "is not a local account"),
                      ("daemon", "is a system account")):
        p = cl.connect(port, user, "refused-pc", display=display)
        try:
            p.wait(90)
        except subprocess.TimeoutExpired:
            pass
        cl.kill_client()
        line = "logon refused: RDP user '%s' %s" % (user, why)
        R.check(wait_for(lambda: line in server_log(), 10),
                "logon of RDP user '%s' refused: \"%s\"" % (user, line))
        R.check(not os.path.exists(os.path.join(RUNDIR, "rdp-" + user)),
                "no session rdp-%s was opened" % user)


def check_isolation(st):
    """Test 2: every path from bob to alice's card fails, with its code."""
    pool_a, sock_a = st["pool"], os.path.join(RUNDIR, "rdp-alice/user/pcscd/pcscd.comm")
    agent_sock = os.path.join(RUNDIR, "rdp-alice/user/agent.sock")
    chk = os.path.join(WORK, "pcsc_check.py")
    _, r = sh([PY, chk, "connect", sock_a], "bob")
    R.check(r == "EACCES", "2: bob: connect() to alice's pcscd socket -> EACCES (%s)" % r)
    _, r = sh([PY, chk, "connect", agent_sock], "bob")
    R.check(r == "EACCES", "2: bob: connect() to alice's agent socket -> EACCES (%s)" % r)
    _, r = sh(["env", "-i", "PCSCLITE_CSOCK_NAME=" + sock_a, PY, chk, "context"], "bob")
    R.check(r == "0x8010001D",
            "2: bob: SCardEstablishContext on alice's socket -> SCARD_E_NO_SERVICE (%s)" % r)
    _, js = sh([CTL, "--json", "slots", "--pool", pool_a])
    try:
        slots = json.loads(js)
    except ValueError:
        slots = []
    R.check(len(slots) == 1, "2: alice's pool %s has her one slot (%s)" % (pool_a, js))
    hashes = [s_["key_hash"] for s_ in slots if s_.get("key_hash")]
    for s in slots:
        m = s["minor"]
        _, r = sh([PY, "-c", "import sys\ntry: open(sys.argv[1], 'rb')\n"
                   "except OSError as e: print(e.errno)", "/dev/vscard%d" % m], "bob")
        R.check(r == "13", "2: bob: open(/dev/vscard%d), alice's slot -> EACCES (%s)" % (m, r))
        for a in ("reader_name", "state", "session_key_hash"):
            _, r = sh(["cat", "/sys/class/vscard/vscard%d/%s" % (m, a)], "bob")
            R.check("Permission denied" in r,
                    "2: bob: sysfs %s of alice's slot -> EACCES (%s)" % (a, r))
    s, r = sh([os.path.join(WORK, "vscard-testcard"), "--pool", pool_a, "--key", "key-bob",
               "--no-stdin"], "bob")
    R.check(s == 1 and "bind: Operation not permitted" in r,
            "2: bob: BIND into alice's pool %s -> EPERM (status %d: %s)" % (pool_a, s, r))
    s, r = sh([CTL, "show", pool_a, "0"], "bob")
    R.check(s == 1 and "No such file or directory" in r,
            "2: bob: vscardctl show of alice's slot -> ENOENT (status %d: %s)" % (s, r))
    dumps = "\n".join(sh([CTL] + a, "bob")[1] for a in
                      (["slots"], ["pools"], ["--json", "slots"], ["--json", "pools"]))
    R.check(not re.search(r"^%s |\"pool\": ?%s[,}]" % (pool_a, pool_a), dumps, re.M),
            "2: bob: vscardctl slots/pools dumps do not list alice's pool %s" % pool_a)
    # (both clients name their reader "Virtual PCD 00 00": the ATR and the
    # key hash tell alice's slot from bob's)
    R.check(hashes and VICC_ATR not in dumps.lower() and
            not any(h in dumps for h in hashes) and
            (ATR_B in dumps.lower() or ATR_C in dumps.lower()),
            "2: bob: no trace of alice's ATR or key hash %s in any dump (his own are there)"
            % hashes)
    s, r = sh(["timeout", "10", CTL, "monitor"], "bob")
    R.check(s == 1 and "CAP_NET_ADMIN" in r,
            "2: bob: vscardctl monitor (events) -> refused, status 1 (%s)" % r)
    s, r = sh(["kill", "-0", st["agent_pid"]], "bob")
    R.check(s != 0 and "not permitted" in r,
            "2: bob: signalling alice's agent -> EPERM (%s)" % r)


def check_agents():
    """Test 3: each agent runs as its user with CapEff 0."""
    for user, uid in USERS.items():
        sid = "rdp-" + user
        pid = state(sid).get("agent_pid")
        st = proc_status(pid) if pid else {}
        ids = st.get("Uid", "").split()
        R.check(ids == [str(uid)] * 4 and st.get("CapEff") == "0" * 16 and
                st.get("CapPrm") == "0" * 16 and st.get("CapBnd") == "0" * 16,
                "3: %s's agent (pid %s) runs as %s, CapEff/CapPrm/CapBnd 0 (%s)"
                % (user, pid, uid, {k: st.get(k) for k in ("Uid", "CapEff", "CapBnd")}))
        try:
            with open("/proc/%s/cmdline" % pid) as f:
                argv = f.read().split("\0")
        except (OSError, TypeError):
            argv = []
        R.check(os.path.basename(argv[0] if argv else "") == "vscard-agent" and
                "--listen" in argv and
                argv[argv.index("--listen") + 1] == os.path.join(RUNDIR, sid,
                                                                 "user/agent.sock"),
                "3: %s's agent listens on %s/%s/user/agent.sock" % (user, RUNDIR, sid),
                " ".join(argv))


def check_quota(app_b, app_a, st_b, st_a):
    """Test 5: bob announces 2 readers to a pool of 1 slot."""
    _, js = sh([CTL, "--json", "slots", "--pool", st_b["pool"]])
    try:
        slots = json.loads(js)
    except ValueError:
        slots = []
    R.check(len(slots) == 1, "5: bob's pool has 1 slot (%s)" % js)
    pres = app_b.present()
    R.check(len(pres) == 1 and list(pres.values())[0] in (ATR_B, ATR_C),
            "5: bob gets his quota: one of his two cards, in his one reader (%s)" % pres)
    try:
        with open(os.path.join(RUNDIR, "rdp-bob/agent.log"), errors="replace") as f:
            alog = f.read()
    except OSError:
        alog = ""
    R.check(re.search(r'BIND "[^"]*" failed: Device or resource busy', alog) is not None,
            "5: bob's agent: the second BIND fails with EBUSY (quota used up)")
    pres_a = app_a.present()
    R.check(list(pres_a.values()) == [VICC_ATR] and len(app_a.call("readers")["readers"]) == 1,
            "5: alice is untouched: her one reader, her card (%s)" % pres_a)
    r = app_a.call("connect vscard 00 00")
    ok = r and r.get("rv") == 0 and app_a.apdu(SELECT) == "9000"
    app_a.call("disconnect")
    R.check(ok, "5: alice's APDUs still work")
    R.check(st_a.get("slots") == "1" and st_b.get("slots") == "1",
            "5: both sessions have the server's --slots 1")


def slot_id(pool):
    """(minor, key_hash, binder_pid) of the pool's bound slots."""
    try:
        slots = json.loads(sh([CTL, "--json", "slots", "--pool", pool])[1])
        return [(s["minor"], s.get("key_hash"), s.get("binder_pid")) for s in slots
                if s.get("key_hash")]
    except (ValueError, KeyError, TypeError):
        return None


def check_reconnect(port, x, cl_a, app_b, st_a):
    """Test 4: alice drops and reconnects within the linger."""
    reader = "vscard 00 00"
    minor_before = slot_id(st_a["pool"])
    waiter = App("alice", session_env("rdp-alice"), "alice-waiter")
    r = waiter.call("wait %s 0 0" % reader)
    cur = (r or {}).get("state", 0) & ~0x2
    R.check(bool(cur & STATE_PRESENT), "4: alice's waiting app sees her card (%s)" % r)
    waiter.send("wait %s %d 300000" % (reader, cur))
    # bob: one app blocked on his reader, one sending APDUs meanwhile.
    watch = App("bob", session_env("rdp-bob"), "bob-watch")
    rb = watch.call("wait %s 0 0" % reader)
    bcur = (rb or {}).get("state", 0) & ~0x2
    watch.send("wait %s %d 120000" % (reader, bcur))
    results, done = [], threading.Event()
    rc = app_b.call("connect " + reader)

    def loop():
        while not done.is_set():
            results.append(app_b.apdu(SELECT, 60))
            time.sleep(0.2)
    t = threading.Thread(target=loop)
    t.start()
    time.sleep(1)
    agent_before = state("rdp-alice").get("agent_pid")
    t0 = time.monotonic()
    cl_a.kill_client()
    r = waiter.recv(120)
    removed = bool(r and r.get("rv") == 0 and r["state"] & STATE_EMPTY)
    R.check(removed, "4: alice's client killed: her waiting app sees the card leave", str(r))
    cur = (r or {}).get("state", 0) & ~0x2
    waiter.send("wait %s %d 300000" % (reader, cur))
    cl_a.connect(port, "alice", "alice-pc", "Virtual PCD 00 00", x.display)
    r = waiter.recv(180)
    took = time.monotonic() - t0
    R.check(bool(r and r.get("rv") == 0 and r["state"] & STATE_PRESENT and
                 r.get("atr") == VICC_ATR),
            "4: alice reconnects (%.0f s < linger %d s): the same waiting app sees her card"
            " again in the same reader" % (took, LINGER_MS // 1000), str(r))
    R.check("session rdp-alice: reconnect within the linger time" in server_log(),
            "4: the server reused alice's session (log line)")
    R.check(state("rdp-alice").get("agent_pid") == agent_before and alive(agent_before),
            "4: the same agent (pid %s) serves the reconnect" % agent_before)
    minor_after = slot_id(st_a["pool"])
    R.check(minor_before is not None and minor_after == minor_before,
            "4: the same kernel slot (minor, key hash, binder) before and after: %s -> %s"
            % (minor_before, minor_after))
    r = waiter.call("connect " + reader)
    ok = r and r.get("rv") == 0 and waiter.apdu(SELECT) == "9000"
    waiter.call("disconnect")
    R.check(ok, "4: alice's waiting app uses her card with the context it kept", str(r))
    # A second connection of alice while the first is up (same client, as
    # after a client crash the server has not noticed): it takes over.
    old = cl_a.xfreerdp
    waiter.send("wait %s 0 0" % reader)
    cur = (waiter.recv(30) or {}).get("state", 0) & ~0x2
    waiter.send("wait %s %d 300000" % (reader, cur))
    cl_a.connect(port, "alice", "alice-pc", "Virtual PCD 00 00", x.display)
    took_over = wait_for(lambda: re.search(r"peer \d+: same session as peer \d+: taking it"
                                           r" over", server_log()), 120, step=0.5)
    R.check(took_over is not None,
            "4: a second connection of alice takes her session over (log line)")
    try:
        old.wait(60)
    except subprocess.TimeoutExpired:
        pass
    R.check(old.poll() is not None,
            "4: the first connection was dropped (its xfreerdp exited: %s)" % old.poll())
    stop(old, signal.SIGKILL)
    r = waiter.recv(120)
    if r and r.get("rv") == 0 and not r["state"] & STATE_PRESENT:
        waiter.send("wait %s %d 300000" % (reader, r["state"] & ~0x2))
        r = waiter.recv(120)
    R.check(bool(r and r.get("rv") == 0 and r["state"] & STATE_PRESENT and
                 r.get("atr") == VICC_ATR),
            "4: after the takeover her card is back in the same reader", str(r))
    R.check(slot_id(st_a["pool"]) == minor_before and
            state("rdp-alice").get("agent_pid") == agent_before,
            "4: same slot, same agent after the takeover (%s)" % slot_id(st_a["pool"]))
    r = waiter.call("connect " + reader)
    ok = r and r.get("rv") == 0 and waiter.apdu(SELECT) == "9000"
    waiter.call("disconnect")
    R.check(ok, "4: the waiting app's context still works after the takeover", str(r))
    waiter.close()
    rb = watch.recv(150)
    R.check(rb is not None and (rb.get("rv") & 0xFFFFFFFF) == SCARD_E_TIMEOUT,
            "4: bob's waiting app saw no event meanwhile (SCARD_E_TIMEOUT after 120 s)",
            str(rb))
    watch.close()
    done.set()
    t.join(120)
    R.check(rc and rc.get("rv") == 0 and len(results) >= 3 and
            all(x_ == "9000" for x_ in results),
            "4: bob's APDUs ran undisturbed meanwhile (%d APDUs)" % len(results),
            str([x_ for x_ in results if x_ != "9000"][:5]))
    app_b.call("disconnect")


def leftovers(user, st):
    """What is left of a user's session: a list of descriptions."""
    left = []
    sid = "rdp-" + user
    if os.path.exists(os.path.join(RUNDIR, sid)):
        left.append("%s/%s" % (RUNDIR, sid))
    for k in ("agent_pid", "pcscd_pid"):
        if alive(st.get(k)):
            left.append("%s %s" % (k, st.get(k)))
    _, pools = sh([CTL, "pools"])
    if re.search(r"^%s " % st.get("pool", "x"), pools, re.M):
        left.append("pool %s" % st.get("pool"))
    s, out = sh(["pgrep", "-u", str(USERS[user])])
    if s == 0:
        left.append("processes of %s: %s" % (user, out.replace("\n", " ")))
    return left


def main():
    os.makedirs(WORK, exist_ok=True)
    shim = os.path.join(WORK, "shim")
    os.makedirs(shim, exist_ok=True)
    if not os.path.exists(os.path.join(shim, "Crypto")):
        os.symlink("/usr/lib/python3/dist-packages/Cryptodome", os.path.join(shim, "Crypto"))
    procs, clients, apps = [], [], []
    x = server = None
    server_rc = None
    try:
        x = Xvfb(LOGS)
        port = free_port()
        server = subprocess.Popen(
            [SERVER, "--test-mode", "--sessions", "--slots", "1", "--port", str(port),
             "--linger-ms", str(LINGER_MS), "--session-cmd", SESSION_CMD,
             "--agent", AGENT, "-v"],
            stdout=log("rdp-server.log"), stderr=subprocess.STDOUT)
        if not R.check(wait_port(port, 60), "vscard-rdp-server --sessions listens"):
            return
        cl_a = ClientSide("alice", 35990, procs)
        cl_b = ClientSide("bob", 36010, procs)
        clients += [cl_a, cl_b]
        time.sleep(1)
        cl_a.card(["/usr/bin/vicc", "-t", "iso7816", "-P", "35990"], "vicc-alice.log")
        for n, p in (("cardB", 36010), ("cardC", 36011)):
            cl_b.card([PY, os.path.join(TOP, "tests/e2e/minicc.py"), "--port", str(p),
                       "--name", n], "minicc-%s.log" % n)

        refused_logons(port, x.display, cl_a)

        # Two connections at the same time.
        cl_a.connect(port, "alice", "alice-pc", "Virtual PCD 00 00", x.display)
        cl_b.connect(port, "bob", "bob-pc", None, x.display)
        ok = wait_for(lambda: all(state("rdp-" + u).get("agent_sock") for u in USERS), 120)
        R.check(bool(ok), "both users' sessions rdp-alice and rdp-bob are open with agents")
        if not ok:
            return
        st_a, st_b = state("rdp-alice"), state("rdp-bob")
        _, show = sh([SESSION_CMD, "show"])
        print(show, flush=True)
        R.check(all(re.search(r"^rdp-%s +%d +%s +1 +\d+ +%s +open$" %
                              (u, uid, state("rdp-" + u)["pool"],
                               state("rdp-" + u)["agent_pid"]), show, re.M)
                    for u, uid in USERS.items()),
                "vscard-session show lists both sessions with their agents")

        # Test 1: each sees its own card only, and uses it.
        app_a = App("alice", session_env("rdp-alice"), "alice")
        app_b = App("bob", session_env("rdp-bob"), "bob")
        apps += [app_a, app_b]
        got_a = wait_present(app_a, (VICC_ATR,))
        got_b = wait_present(app_b, (ATR_B, ATR_C))
        ra, rb = app_a.call("readers"), app_b.call("readers")
        R.check(got_a is not None and ra.get("readers") == ["vscard 00 00"] and
                list(app_a.present().values()) == [VICC_ATR],
                "1: alice's app lists only her reader, with her card (%s)" % ra)
        R.check(got_b is not None and rb.get("readers") == ["vscard 00 00"] and
                not set(app_b.present().values()) & {VICC_ATR},
                "1: bob's app lists only his reader, with his card (%s)" % rb)
        r = app_a.call("connect vscard 00 00")
        R.check(r and r.get("rv") == 0 and app_a.apdu(SELECT) == "9000",
                "1: alice exchanges APDUs with her card (SELECT -> 9000)")
        app_a.call("disconnect")
        r = app_b.call("connect vscard 00 00")
        name = app_b.apdu("00ca010000") if r and r.get("rv") == 0 else None
        app_b.call("disconnect")
        R.check(name in ("63617264429000", "63617264439000"),
                "1: bob exchanges APDUs with his card (GET DATA -> %s)" % name)

        check_agents()
        check_isolation(st_a)
        check_quota(app_b, app_a, st_b, st_a)
        check_reconnect(port, x, cl_a, app_b, st_a)

        # Test 6, first half: bob leaves; his session closes at linger expiry.
        st_b = state("rdp-bob")
        app_b.close()
        apps.remove(app_b)
        cl_b.kill_client()
        t0 = time.monotonic()
        closed = wait_for(lambda: "session rdp-bob: closed" in server_log(),
                          LINGER_MS / 1000 + 60, step=0.5)
        took = time.monotonic() - t0
        R.check(bool(closed) and took >= LINGER_MS / 1000 - 2,
                "6: bob's session is closed when the linger runs out (%.0f s)" % took)
        left = leftovers("bob", st_b)
        R.check(not left, "6: nothing of bob's session is left", str(left))
        R.check(list(app_a.present().values()) == [VICC_ATR],
                "6: alice's session goes on meanwhile")
        # Second half: the server stops with alice still connected.
        st_a = state("rdp-alice")
        for a in apps:
            a.close()
        apps = []
        server_rc = stop(server, timeout=120)
        R.check(server_rc == 0, "6: vscard-rdp-server stops cleanly (status %s)" % server_rc)
        R.check("session rdp-alice: closed" in server_log(),
                "6: the server closed alice's session at exit")
        left = leftovers("alice", st_a)
        R.check(not left, "6: nothing of alice's session is left", str(left))
    except Exception as e:  # a broken scene is one failure, with the reason
        R.check(False, "scene", repr(e))
    finally:
        for a in apps:
            a.close()
        for c in clients:
            c.close()
        if server and server.poll() is None:
            stop(server, timeout=60)
        for p in reversed(procs):
            stop(p)
        if x:
            x.close()
        subprocess.run(["sh", "-c", "cp /run/vscard/*/agent.log /run/vscard/*/pcscd.log %s"
                        " 2>/dev/null" % LOGS])
    # The whole host: no session pcscd, agent, pool, node, runtime file.
    s, out = sh(["pgrep", "-a", "-x", "pcscd|vscard-agent"])
    R.check(s == 1, "6: no pcscd or vscard-agent process is left", out)
    _, pools = sh([CTL, "pools"])
    ids = [ln.split()[0] for ln in pools.splitlines()[1:] if ln.strip()]
    R.check(ids == ["0"], "6: only pool 0 is left (%s)" % ids)
    nodes = sorted(n for n in os.listdir("/dev") if n.startswith("vscard"))
    R.check(nodes == ["vscard0", "vscard1"], "6: no device node beyond pool 0's (%s)" % nodes)
    left = os.listdir(RUNDIR) if os.path.isdir(RUNDIR) else []
    R.check(not left, "6: no runtime file left in %s (%s)" % (RUNDIR, left))
    print("%s: logs in %s" % (TAG, LOGS), flush=True)
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
