#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""rdesktop 1.9.0 as a second RDP client, through the patched xrdp, into
the real vscard-agent (suite 86; runs as root inside its VM; PASS:/FAIL:
lines).

The server side is suite 85's (tests/xrdp/xrdp_e2e.py, used by import and
not changed here): xrdp and xrdp-sesman by hand, Xvnc sessions,
SmartcardExternal=true with the default socket rule.  One local user,
dave, whose vscard session is opened as PAM would (`vscard-session pam
--agent`): chansrv hands the client's SCARD device to dave's vscard-agent.
The client side is suite 75's scene (tests/e2e/scene.py): a private mount
namespace with its own pcscd, vpcd and vicc; there `rdesktop -r scard`
runs under Xvfb, so rdesktop's libpcsclite reaches the client pcscd.

Checked: the card appears in dave's session, APDUs give the bytes the
card gives on the client side, removal and insertion reach a waiting
SCardGetStatusChange, a killed and restarted rdesktop gets the same slot
back, and the client's pcscd holds no context of rdesktop's that the
agent does not account for, and none once the agent is gone.

How contexts are counted: pcsc-lite's client library opens one UNIX
stream connection to pcscd.comm per SCardEstablishContext
(ClientSetupSession) and closes it at SCardReleaseContext; pcscd's
context list is its set of such connections (the "Too many context
running" limit counts them).  rdesktop's scard.c maps each RDPESC
EstablishContext 1:1 onto SCardEstablishContext and holds no context of
its own after start-up.  So the contexts the server made rdesktop open
are exactly rdesktop's sockets whose peer (sock_diag, `ss -x`) is a
socket of the client pcscd: exact, per process, no debug log to parse,
and independent of the agent's own bookkeeping, which it is compared
with (the agent's stats line, client_contexts=N/16).
"""
import os
import pwd
import re
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
sys.path.insert(0, HERE)
from common import Results, Xvfb, stop, wait_for  # noqa: E402
from scene import (READER_A, STATE_EMPTY, STATE_PRESENT, VICC_ATR, App, Scene,  # noqa: E402
                   present_readers, run_apdus, wait_present)
import xrdp_e2e as X  # noqa: E402  suite 85's helpers and templates

TAG = os.environ.get("TAG", "rdesktop")
R = Results(TAG)
WORK = "/tmp/x86"
LOGS = os.path.join(os.environ.get("VM_OUT") or WORK, "rdesktop-logs")
TOP = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("O", os.path.join(TOP, "build"))
USER, UID, PASSWORD = "dave", 2004, "dave-86-pw"
CLIENT = "vm-rdesktop"          # rdesktop -n: also its RDPDR client name
SID = "pam-" + USER
RUNDIR = "/run/vscard/" + SID
CSOCK = RUNDIR + "/user/pcscd/pcscd.comm"


def sh(cmd, **kw):
    return X.sh(cmd, **kw)


def comm(pid):
    try:
        with open("/proc/%d/comm" % pid) as f:
            return f.read().strip()
    except OSError:
        return None


def socket_inodes(pid):
    out = set()
    try:
        fds = os.listdir("/proc/%d/fd" % pid)
    except OSError:
        return out
    for fd in fds:
        try:
            t = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        m = re.match(r"socket:\[(\d+)\]$", t)
        if m:
            out.add(int(m.group(1)))
    return out


def unix_peers():
    """{inode: peer inode} of every connected UNIX socket (ss -x)."""
    r = sh("ss -x -a -n -H")
    peers = {}
    for line in r.stdout.splitlines():
        w = line.split()
        # Netid State Recv-Q Send-Q LocalAddr LocalPort PeerAddr PeerPort
        if len(w) >= 8 and w[5].isdigit() and w[7].isdigit():
            peers[int(w[5])] = int(w[7])
    return peers


def client_pcscd(scene):
    """The pid of the pcscd in the client side's mount namespace."""
    try:
        ns = os.readlink("/proc/%d/ns/mnt" % scene.holder.pid)
    except OSError:
        return None
    for pid in os.listdir("/proc"):
        if pid.isdigit() and comm(int(pid)) == "pcscd":
            try:
                if os.readlink("/proc/%s/ns/mnt" % pid) == ns:
                    return int(pid)
            except OSError:
                pass
    return None


def contexts_of(pid, pcscd):
    """Contexts process pid holds on the client pcscd: its sockets
    connected to one of pcscd's (one per SCardEstablishContext)."""
    if pid is None or pcscd is None:
        return None
    mine, theirs = socket_inodes(pid), socket_inodes(pcscd)
    peers = unix_peers()
    return sum(1 for i in mine if peers.get(i) in theirs)


def pcscd_clients(pcscd):
    """Every client connection of the client pcscd (all programs)."""
    theirs = socket_inodes(pcscd)
    peers = unix_peers()
    return sum(1 for i in theirs if i in peers and peers[i] != 0 and peers[i] not in theirs)


def agent_pid():
    pids = X.procs_of(USER, "vscard-agent")
    return pids[0] if pids else None


def agent_stats():
    """SIGUSR1: the agent logs its stats line; {key: value} of the new one."""
    pid = agent_pid()
    log = RUNDIR + "/agent.log"

    def lines():
        try:
            with open(log, errors="replace") as f:
                return [ln for ln in f if "stats: issued=" in ln]
        except OSError:
            return []
    n = len(lines())
    if pid is None:
        return None
    os.kill(pid, signal.SIGUSR1)
    if not wait_for(lambda: len(lines()) > n, 20, step=0.2):
        return None
    return dict(re.findall(r"(\w+)=(\S+)", lines()[-1].split("stats:", 1)[1]))


def ledger_contexts(st):
    try:
        return int(st["client_contexts"].split("/")[0])
    except (TypeError, KeyError, ValueError):
        return None


def establish_replies(path):
    """rdesktop's EstablishContext completions as the agent received them
    (its trace log: "device in (N bytes): HEX", at most the first 64
    bytes): [(CompletionId, OutputBufferLength, ObjectBufferLength,
    accepted, hex from the RPCE header on)].  Layout: DR_DEVICE_IOCOMPLETION
    header (CompletionId at 8), OutputBufferLength at 16, the RPCE type
    header at 20, the private header's ObjectBufferLength at 28."""
    try:
        with open(path, errors="replace") as f:
            lines = f.read().splitlines()
    except OSError:
        return []
    sent, accepted, frames = set(), set(), {}
    for ln in lines:
        m = re.search(r"-> ESTABLISHCONTEXT CompletionId (\d+)", ln)
        if m:
            sent.add(int(m.group(1)))
        m = re.search(r"<- ESTABLISHCONTEXT CompletionId (\d+) rc 0x00000000", ln)
        if m:
            accepted.add(int(m.group(1)))
        m = re.search(r"device in \((\d+) bytes\): ([0-9a-f ]+)", ln)
        if m:
            b = bytes.fromhex(m.group(2))
            if len(b) >= 32:
                frames[int.from_bytes(b[8:12], "little")] = b
    out = []
    for cid in sorted(sent):
        b = frames.get(cid)
        if b:
            out.append((cid, int.from_bytes(b[16:20], "little"),
                        int.from_bytes(b[28:32], "little"), cid in accepted, b[20:].hex()))
    return out


def tail(path, n=1200):
    try:
        with open(path, "rb") as f:
            f.seek(max(0, os.path.getsize(path) - n))
            return f.read().decode("utf-8", "replace")
    except OSError:
        return "(no %s)" % path


class Rig:
    def __init__(self):
        self.procs = []
        self.scene = None
        self.x = None
        self.client = None
        self.session = False
        self.rmmod = False
        self.runs = 0

    def spawn(self, argv, log):
        p = subprocess.Popen(argv, stdout=open(os.path.join(LOGS, log), "ab"),
                             stderr=subprocess.STDOUT)
        self.procs.append(p)
        return p

    def setup(self):
        X.prepare(WORK, LOGS, R)
        r = sh("rdesktop 2>&1 | head -2")
        R.check("Version 1.9.0" in r.stdout, "the client is Debian's rdesktop 1.9.0",
                r.stdout.strip())
        try:
            pwd.getpwnam(USER)
        except KeyError:
            sh("useradd --create-home --uid %d --user-group --shell /bin/sh %s" % (UID, USER))
        sh("chpasswd", input="%s:%s\n" % (USER, PASSWORD))
        if not R.check(pwd.getpwnam(USER).pw_uid == UID and os.path.isdir("/home/" + USER),
                       "local user %s (%d) with a password and a home" % (USER, UID)):
            return False
        sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=vscard-vm "
           "-keyout %s/key.pem -out %s/cert.pem" % (WORK, WORK))
        os.chmod(WORK + "/key.pem", 0o600)
        with open(WORK + "/startwm.sh", "w") as f:
            f.write(X.STARTWM)
        os.chmod(WORK + "/startwm.sh", 0o755)
        os.chmod(WORK, 0o755)
        with open("/etc/xrdp/xrdp.ini", "w") as f:
            f.write(X.XRDP_INI.format(work=WORK, logs=LOGS))
        with open("/etc/xrdp/sesman.ini", "w") as f:
            f.write(X.SESMAN_INI.format(
                work=WORK, logs=LOGS, smartcard="SmartcardExternal=true\n"
                "SmartcardSocket=/run/vscard/pam-%u/user/agent.sock"))
        os.makedirs("/run/xrdp/sockdir", exist_ok=True)
        os.chmod("/run/xrdp/sockdir", 0o3777)
        sh("modprobe fuse; chmod 0666 /dev/fuse")
        # rdesktop asks on stdin whether to trust an unknown certificate
        # and stores the answer under $HOME: a private home, "yes".
        self.home = WORK + "/rdhome"
        os.makedirs(self.home, exist_ok=True)
        with open(WORK + "/yes", "w") as f:
            f.write("yes\n" * 4)
        # dave's vscard session with its real agent, as PAM opens it.
        ko = os.environ.get("VSCARD_KO")
        if not R.check(bool(ko), "vscard.ko built for the VM kernel (VSCARD_KO)"):
            return False
        r = sh("insmod %s slots=4 && "
               "install -m 0755 %s/userspace/session/vscard-session "
               "/usr/local/sbin/vscard-session && "
               "install -m 0755 %s/vscardctl/vscardctl /usr/local/bin/vscardctl && "
               "install -m 0755 %s/agent/vscard-agent /usr/local/sbin/vscard-agent && "
               "%s/userspace/ifd/install.sh %s/ifd/libifdvscard.so"
               % (ko, TOP, BUILD, BUILD, TOP, BUILD))
        if not R.check(r.returncode == 0, "vscard.ko loaded, vscard-session, the agent and "
                       "the IFD handler installed", r.stdout[-300:]):
            return False
        self.rmmod = True
        r = sh("PAM_TYPE=open_session PAM_USER=%s vscard-session pam --slots 2 --agent "
               "--agent-arg=--log-level --agent-arg=trace" % USER)
        sock = RUNDIR + "/user/agent.sock"
        if not R.check(r.returncode == 0 and os.path.exists(sock) and os.path.exists(CSOCK),
                       "%s's vscard session (pam --agent) listens on %s" % (USER, sock),
                       r.stdout[-300:]):
            return False
        self.session = True
        # The agent's log (root 0600, gone with the session): followed
        # into LOGS so that its shutdown stays readable.
        self.spawn(["tail", "-n", "+1", "-F", RUNDIR + "/agent.log"], "agent.log")
        self.sesman = self.spawn(["xrdp-sesman", "--nodaemon"], "sesman.out")
        self.xrdp = self.spawn(["xrdp", "--nodaemon"], "xrdp.out")
        ok = wait_for(lambda: X.listening(3350) and X.listening(3389), 60, step=0.5)
        if not R.check(ok, "xrdp-sesman and xrdp listen (3350, 3389)"):
            return False
        self.scene = Scene(LOGS)
        self.scene.start_client_side()
        self.x = Xvfb(LOGS)
        return True

    def connect(self):
        """rdesktop in the client side's mount namespace (its libpcsclite
        finds the client pcscd at /run/pcscd/pcscd.comm there)."""
        self.runs += 1
        cmd = ["rdesktop", "-u", USER, "-p", PASSWORD, "-n", CLIENT, "-r", "scard",
               "-g", "800x600", "-a", "24", "-z", "127.0.0.1:3389"]
        env = dict(os.environ, DISPLAY=self.x.display, HOME=self.home)
        self.client = subprocess.Popen(
            self.scene.nsenter() + cmd, env=env, stdin=open(WORK + "/yes"),
            stdout=open(os.path.join(LOGS, "rdesktop-%d.log" % self.runs), "ab"),
            stderr=subprocess.STDOUT)
        return self.client

    def kill_client(self):
        stop(self.client, signal.SIGKILL)
        self.client = None

    def close_session(self):
        if not self.session:
            return None
        self.session = False
        return sh("PAM_TYPE=close_session PAM_USER=%s vscard-session pam --agent" % USER)

    def stop(self):
        if self.client:
            self.kill_client()
        if self.session:
            self.close_session()
        if self.scene:
            self.scene.stop()
        if self.x:
            self.x.close()
        for p in reversed(self.procs):
            stop(p)
        if self.rmmod:
            ok = wait_for(lambda: sh("rmmod vscard").returncode == 0, 20, step=1)
            R.check(ok, "rmmod vscard after everything stopped")
        sh("cp -r /home/%s/.local/share/xrdp %s/chansrv-logs 2>/dev/null" % (USER, LOGS))


def login(rig, ready, timeout=120):
    """Start rdesktop and wait until ready() holds.  Under a loaded TCG VM
    xrdp's VNC module sometimes reaches a new session's Xvnc before it
    accepts (xrdp.log: "Error connecting to user session"; suite 85 sees
    it with xfreerdp too): that client never gets its channels and is
    replaced once, as suite 85 does.  Returns ready()'s value."""
    vnc_failed = X.vnc_failure_watch(LOGS)
    rig.connect()
    got = wait_for(lambda: ready() or vnc_failed(), timeout, step=1)
    if got and not vnc_failed():
        return got
    got = ready()
    if got:
        return got
    print("%s: rdesktop run %d not usable (%s); starting it again once" %
          (TAG, rig.runs, "xrdp: Error connecting to user session" if vnc_failed()
           else "nothing after %d s" % timeout), flush=True)
    rig.kill_client()
    rig.connect()
    return wait_for(ready, timeout, step=1)


def diagnose(rig):
    """Why the card did not appear: the evidence, on stdout."""
    print("--- %s: diagnosis" % TAG, flush=True)
    print("rdesktop alive: %s" % (rig.client and rig.client.poll() is None), flush=True)
    print("rdesktop output:\n" + tail(os.path.join(LOGS, "rdesktop-%d.log" % rig.runs)))
    print("xrdp.log:\n" + tail(os.path.join(LOGS, "xrdp.log")))
    for f in sorted(os.listdir("/home/%s/.local/share/xrdp" % USER)
                    if os.path.isdir("/home/%s/.local/share/xrdp" % USER) else []):
        print("chansrv %s:\n" % f + tail("/home/%s/.local/share/xrdp/%s" % (USER, f), 2500))
    print("agent.log:\n" + tail(RUNDIR + "/agent.log", 3000), flush=True)


def wait_reader_gone(app, reader, timeout):
    return wait_for(lambda: reader not in present_readers(app), timeout, step=0.5)


def check(rig):
    sc = rig.scene
    pcscd = client_pcscd(sc)
    R.check(pcscd is not None, "the client side's own pcscd runs (pid %s)" % pcscd)
    direct = sc.client_app("direct")
    R.check(wait_present(direct, VICC_ATR, timeout=60) == READER_A,
            "client side: vicc's card is present in %s" % READER_A,
            str(present_readers(direct)))
    d = run_apdus(direct, READER_A)
    R.check(d is not None and d[0] == "9000" and d[1] and d[1].endswith("9000"),
            "client side: vicc answers SELECT, GET CHALLENGE, VERIFY directly", str(d))
    base = pcscd_clients(pcscd)

    # --- login, the card in the session ---------------------------------
    t0 = time.monotonic()
    app = App(X.as_user(USER, ["env", "PCSCLITE_CSOCK_NAME=" + CSOCK]), LOGS, "dave")
    sc.apps.append(app)

    def vicc_reader():
        for r, atr in present_readers(app).items():
            if atr == VICC_ATR:
                return r
        return None
    reader = login(rig, vicc_reader)
    R.check(bool(X.procs_of(USER, "Xvnc") and X.procs_of(USER, "xrdp-chansrv")),
            "rdesktop -u %s -p ... logs in through xrdp: Xvnc and xrdp-chansrv "
            "run as %s" % (USER, USER),
            "rdesktop alive=%s" % (rig.client.poll() is None))
    if not R.check(reader is not None and reader.startswith("vscard"),
                   "rdesktop -r scard: the client's vicc card appears in a vscard reader of "
                   "%s's session (%s, %.0f s after start)" % (USER, reader,
                                                            time.monotonic() - t0),
                   str(present_readers(app))):
        diagnose(rig)
        return
    via = run_apdus(app, reader)
    R.check(via is not None and d is not None and via[0] == d[0] == "9000",
            "SELECT 3F00 through rdesktop: the same bytes as on the client side",
            "%s vs %s" % (via, d))
    R.check(via is not None and d is not None and len(via[1]) == len(d[1]) and
            via[1].endswith("9000"),
            "GET CHALLENGE through rdesktop: same length and status word as on the "
            "client side", "%s vs %s" % (via, d))
    R.check(via is not None and d is not None and via[2] == d[2],
            "VERIFY through rdesktop: the same bytes as on the client side",
            "%s vs %s" % (via, d))

    # rdesktop's quirk the agent must accept (issue 15): scard.c writes the
    # RPCE private header's ObjectBufferLength as pend - psize - 16, 8
    # bytes short of the NDR body, then pads: at least 8 bytes follow the
    # headers beyond what ObjectBufferLength claims.
    est = establish_replies(os.path.join(LOGS, "agent.log"))
    R.check(est and all(olen - 16 - obl >= 8 and ok for _c, olen, obl, ok, _h in est),
            "rdesktop's EstablishContext replies (%d; OutputBufferLength/ObjectBufferLength "
            "%s) claim fewer bytes than they carry, and the agent accepts each (e.g. %s)"
            % (len(est), ", ".join("%d/%d" % (e[1], e[2]) for e in est),
               est[0][4] if est else None), str(est)[:600])

    # --- removal and insertion on the client ----------------------------
    waiter = App(X.as_user(USER, ["env", "PCSCLITE_CSOCK_NAME=" + CSOCK]), LOGS,
                 "dave-waiter")
    sc.apps.append(waiter)
    r = waiter.call("wait %s 0 0" % reader)
    cur = (r or {}).get("state", 0) & ~0x2
    waiter.send("wait %s %d 300000" % (reader, cur))
    time.sleep(1)
    sc.vicc.stop()
    r = waiter.recv(90)
    removed = bool(r and r.get("rv") == 0 and r["state"] & STATE_EMPTY and
                   not r["state"] & STATE_PRESENT)
    R.check(removed, "vicc stopped on the client: a GetStatusChange waiting in the session "
            "sees the removal", str(r))
    cur = (r or {}).get("state", 0) & ~0x2
    waiter.send("wait %s %d 300000" % (reader, cur))
    time.sleep(1)
    sc.vicc.start()
    r = waiter.recv(90)
    R.check(bool(removed and r and r.get("rv") == 0 and r["state"] & STATE_PRESENT and
                 r.get("atr") == VICC_ATR),
            "vicc restarted: the same waiter sees the insertion with vicc's ATR", str(r))
    via = run_apdus(app, reader)
    R.check(via is not None and d is not None and via[0] == d[0] and via[2] == d[2],
            "after the card change: APDUs give the client side's bytes again", str(via))

    # --- contexts while rdesktop runs -----------------------------------
    time.sleep(2)
    st = agent_stats()
    n = contexts_of(rig.client.pid, pcscd)
    led = ledger_contexts(st)
    R.check(n is not None and led is not None and n >= 1 and n == led and led <= 16,
            "while in use: rdesktop holds %s contexts on the client pcscd, as many as the "
            "agent's ledger (client_contexts=%s)" % (n, (st or {}).get("client_contexts")),
            str(st))

    # --- rdesktop killed and restarted ----------------------------------
    rig.kill_client()
    gone = wait_reader_gone(app, reader, 90)
    R.check(gone, "rdesktop killed: the card leaves %s" % reader, str(present_readers(app)))
    R.check(X.procs_of(USER, "Xvnc"), "%s's xrdp session stays, disconnected" % USER)
    sessions_before = len(X.procs_of(USER, "Xvnc"))
    again = login(rig, vicc_reader)
    R.check(again == reader, "rdesktop restarted: the card is back in the same slot (%s)"
            % again, str(present_readers(app)))
    R.check(len(X.procs_of(USER, "Xvnc")) == sessions_before == 1,
            "the restarted rdesktop reconnects to the disconnected xrdp session (one Xvnc)",
            str(X.procs_of(USER, "Xvnc")))
    via = run_apdus(app, reader) if again else None
    R.check(via is not None and d is not None and via[0] == d[0] and via[2] == d[2],
            "after the reconnect: APDUs give the client side's bytes", str(via))

    # --- no leaked context ----------------------------------------------
    for a in (waiter, app):
        a.close()
        sc.apps.remove(a)
    time.sleep(3)
    st = agent_stats()
    n = contexts_of(rig.client.pid, pcscd)
    led = ledger_contexts(st)
    R.check(n is not None and led is not None and n == led and 1 <= n <= 10,
            "idle after the reconnect: rdesktop holds %s contexts on the client pcscd, the "
            "agent's ledger says %s (in use: at most 10)" % (n, (st or {}).get("client_contexts")),
            str(st))
    R.check(st is not None and st.get("monitor") == "watching" and st.get("gave_up") == "0",
            "the agent's monitor is watching and never gave up (monitor=%s gave_up=%s)"
            % ((st or {}).get("monitor"), (st or {}).get("gave_up")), str(st))
    r = rig.close_session()
    R.check(r is not None and r.returncode == 0 and not os.path.exists(RUNDIR),
            "%s's vscard session closes (the agent exits)" % USER,
            (r.stdout[-300:] if r else ""))
    left = wait_for(lambda: contexts_of(rig.client.pid, pcscd) == 0, 20, step=0.5)
    R.check(left and rig.client.poll() is None,
            "the agent gone, rdesktop still connected: rdesktop holds no context on the "
            "client pcscd (%s)" % contexts_of(rig.client.pid, pcscd))

    def leave_lines():
        try:
            with open(os.path.join(LOGS, "agent.log"), errors="replace") as f:
                return [ln.strip() for ln in f
                        if "leaving: waiting" in ln or "contexts released" in ln
                        or "all the same" in ln]
        except OSError:
            return []
    wait_for(lambda: any("contexts released" in ln for ln in leave_lines()), 5, step=0.2)
    ll = leave_lines()
    # rdesktop serves ReleaseContext on one queue thread: one that overtakes
    # the Cancel of the monitor's GetStatusChange hangs it for good.
    R.check(len(ll) >= 2 and "leaving: waiting" in ll[-2] and "contexts released" in ll[-1],
            "the agent left in order: Cancel, rdesktop answered the GetStatusChange, "
            "then the releases", " | ".join(ll[-3:]))
    rig.kill_client()
    now = wait_for(lambda: pcscd_clients(pcscd) == base, 20, step=0.5)
    R.check(now, "rdesktop gone: the client pcscd has exactly the connections it had "
            "before rdesktop started (%d)" % base, str(pcscd_clients(pcscd)))


def main():
    rig = Rig()
    try:
        if rig.setup():
            check(rig)
    except Exception as e:  # a broken scene is one failure, with the reason
        R.check(False, "scene", repr(e))
        diagnose(rig)
    finally:
        rig.stop()
    print("%s: %d passed, %d failed; logs in %s" % (TAG, R.passed, R.failed, LOGS), flush=True)
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
