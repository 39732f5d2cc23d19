#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""xrdp with SmartcardExternal=true, end to end with the real client (runs
as root inside the suite 85 VM; PASS:/FAIL: lines).

Server side: the patched xrdp and xrdp-sesman (scripts/build-xrdp.sh
installed them on the host, whose root the VM runs), an Xvnc session per
user, local users alice and bob with passwords.  In place of vscard-agent,
tests/xrdp/stub_agent.py runs as alice on the socket the SmartcardSocket
rule names, /run/vscard/pam-alice/user/agent.sock.
Client side, as in suite 75 (tests/e2e/scene.py): a private mount
namespace with its own pcscd, vpcd and a vicc card, and Debian's
`xfreerdp /smartcard /drive:share,DIR` under Xvfb.

Then the same build with the switch off: bob's session starts and xrdp's
own smart-card code runs as in stock xrdp.

Then the real vscard-agent (issue 14's tests 1 to 6): the PAM
service xrdp-sesman gets the admin guide's two lines (pam_exec
vscard-session pam --agent, pam_env for PCSCLITE_CSOCK_NAME); carol's
xfreerdp redirects only the client's vicc reader, dave's only its minicc
reader.  carol's applications (her uid, her session's environment) see
her card, exchange APDUs, see a removal and an insertion, and keep their
context across a killed client and a reconnect to the disconnected
session (same kernel slot, agent stats clean); dave sees only his card;
both log out and PAM's close_session leaves nothing, rmmod included.
"""
import hashlib
import json
import os
import pwd
import signal
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "e2e"))
from common import Results, Xvfb, read_kv, stop, wait_for  # noqa: E402
from scene import VICC_ATR, App, Scene, present_readers, wait_present  # noqa: E402

TAG = os.environ.get("TAG", "xrdp")
R = Results(TAG)
WORK = "/tmp/x85"
LOGS = os.path.join(os.environ.get("VM_OUT") or WORK, "xrdp-logs")
USERS = {"alice": (2001, "alice-85-pw"), "bob": (2002, "bob-85-pw"),
         "carol": (2003, "carol-85-pw"), "dave": (2004, "dave-85-pw")}
TOP = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("O", os.path.join(TOP, "build"))
SELECT = "00a4000c023f00"
VERIFY = "002000000431323334"
CLIENT_A = "vm-client-a"
CLIENT_LONG = "vm-client-with-a-rather-long-name-for-the-session-key-rule"
SHARE_TEXT = "vscard suite 85: a file on the client's drive\n"
EXT_SOCKET = "/run/vscard/pam-alice/user/agent.sock"
STATUS_NO_SUCH_DEVICE = 0xC000000E
STATUS_INVALID_DEVICE_REQUEST = 0xC0000010

XRDP_INI = """[Globals]
ini_version=1
fork=true
port=3389
security_layer=tls
crypt_level=high
certificate={work}/cert.pem
key_file={work}/key.pem
ssl_protocols=TLSv1.2, TLSv1.3
autorun=Xvnc
allow_channels=true
max_bpp=24
new_cursors=true
use_fastpath=both

[Logging]
LogFile={logs}/xrdp.log
LogLevel=DEBUG
EnableSyslog=false

[Channels]
rdpdr=true
rdpsnd=false
drdynvc=false
cliprdr=true
rail=false
xrdpvr=false
tcutils=false

[Xvnc]
name=Xvnc
lib=libvnc.so
username=ask
password=ask
ip=127.0.0.1
port=-1
"""

SESMAN_INI = """[Globals]
ListenAddress=127.0.0.1
ListenPort=3350
EnableUserWindowManager=false
UserWindowManager=startwm.sh
DefaultWindowManager={work}/startwm.sh
ReconnectScript=reconnectwm.sh

[Security]
AllowRootLogin=false
MaxLoginRetry=4
AlwaysGroupCheck=false

[Sessions]
X11DisplayOffset=10
MaxSessions=10
KillDisconnected=false
DisconnectedTimeLimit=0
IdleTimeLimit=0
Policy=Default

[Logging]
LogFile={logs}/sesman.log
LogLevel=DEBUG
EnableSyslog=false

[Xvnc]
param=Xvnc
param=-bs
param=-nolisten
param=tcp
param=-localhost
param=-dpi
param=96

[Chansrv]
FuseMountName=thinclient_drives
FileUmask=077
{smartcard}

[ChansrvLogging]
LogLevel=DEBUG
EnableSyslog=false
EnableConsole=false
"""

STARTWM = """#!/bin/sh
# suite 85: the "desktop" of an xrdp session: record the environment, idle.
env > "$HOME/session-env.txt"
exec sleep 100000
"""


def sh(cmd, **kw):
    return subprocess.run(cmd, shell=True, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, **kw)


def as_user(user, argv):
    return ["setpriv", "--reuid=" + user, "--regid=" + user, "--init-groups",
            "--inh-caps=-all", "--"] + argv


def procs_of(user, comm):
    uid = pwd.getpwnam(user).pw_uid
    out = []
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/status" % pid) as f:
                st = f.read()
            with open("/proc/%s/comm" % pid) as f:
                c = f.read().strip()
        except OSError:
            continue
        ruid = int([ln for ln in st.splitlines() if ln.startswith("Uid:")][0].split()[1])
        if ruid == uid and c.startswith(comm):
            out.append(int(pid))
    return out


def session_key(user, client):
    """integrations/xrdp/README.md: "xrdp:" + user + "/" + client name;
    beyond 64 bytes, at most 47 bytes cut at a UTF-8 boundary, "~" and 16
    hex digits of the SHA-1 of the whole key."""
    full = ("xrdp:%s/%s" % (user, client)).encode()
    if len(full) <= 64:
        return full.decode()
    cut = 47
    while cut > 0 and full[cut] & 0xC0 == 0x80:
        cut -= 1
    return (full[:cut] + b"~" + hashlib.sha1(full).hexdigest()[:16].encode()).decode()


def listening(port):
    """A TCP socket listens on port (any address family: xrdp binds
    127.0.0.1 as ::1 when built with IPv6)."""
    for f in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            with open(f) as fh:
                for line in fh.readlines()[1:]:
                    local, state = line.split()[1], line.split()[3]
                    if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
                        return True
        except OSError:
            pass
    return False


def events(path):
    out = []
    try:
        with open(path) as f:
            for line in f:
                try:
                    out.append(json.loads(line))
                except ValueError:
                    pass
    except OSError:
        pass
    return out


def find(evs, **kw):
    for e in evs:
        if all(e.get(k) == v for k, v in kw.items()):
            return e
    return None


def read_as(user, path):
    r = subprocess.run(as_user(user, ["cat", path]), stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, timeout=30)
    return r.stdout.decode("utf-8", "replace") if r.returncode == 0 else None


def prepare(work, logs, results):
    """The scene's directories (logs writable by every session user) and
    the check that the xrdp installed is the one scripts/build-xrdp.sh
    patched."""
    os.makedirs(work, exist_ok=True)
    os.makedirs(logs, exist_ok=True)
    os.chmod(logs, 0o777)
    r = sh("dpkg-query -W -f='${Version}' xrdp")
    results.check(r.returncode == 0 and "+vscard" in r.stdout,
                  "the patched xrdp is installed (%s)" % r.stdout.strip())


class Rig:
    def __init__(self):
        self.procs = []
        self.scene = None
        self.x = None
        self.clients = []

    def spawn(self, argv, log, **kw):
        p = subprocess.Popen(argv, stdout=open(os.path.join(LOGS, log), "ab"),
                             stderr=subprocess.STDOUT, **kw)
        self.procs.append(p)
        return p

    # ------------------------------------------------------------ setup --
    def users(self):
        for name, (uid, pw) in USERS.items():
            try:
                pwd.getpwnam(name)
            except KeyError:
                sh("useradd --create-home --uid %d --user-group --shell /bin/sh %s"
                   % (uid, name))
            sh("chpasswd", input="%s:%s\n" % (name, pw))
        ok = all(pwd.getpwnam(n).pw_uid == u for n, (u, _) in USERS.items()) and \
            all(os.path.isdir("/home/" + n) for n in USERS)
        return R.check(ok, "local users alice (2001), bob (2002), carol (2003), dave (2004) with "
                       "passwords "
                       "and homes")

    def configure(self, external):
        smartcard = ("SmartcardExternal=true\n"
                     "SmartcardSocket=/run/vscard/pam-%u/user/agent.sock") \
            if external else "#SmartcardExternal=false (stock behaviour)"
        with open("/etc/xrdp/sesman.ini", "w") as f:
            f.write(SESMAN_INI.format(work=WORK, logs=LOGS, smartcard=smartcard))

    def setup(self):
        prepare(WORK, LOGS, R)
        if not self.users():
            return False
        sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=vscard-vm "
           "-keyout %s/key.pem -out %s/cert.pem" % (WORK, WORK))
        os.chmod(WORK + "/key.pem", 0o600)
        with open(WORK + "/startwm.sh", "w") as f:
            f.write(STARTWM)
        os.chmod(WORK + "/startwm.sh", 0o755)
        os.chmod(WORK, 0o755)
        with open("/etc/xrdp/xrdp.ini", "w") as f:
            f.write(XRDP_INI.format(work=WORK, logs=LOGS))
        self.configure(True)
        os.makedirs("/run/xrdp/sockdir", exist_ok=True)
        os.chmod("/run/xrdp/sockdir", 0o3777)
        # FUSE for chansrv's drive redirection: the module, a device node
        # every user may open, a setuid fusermount.
        sh("modprobe fuse")
        wait_for(lambda: os.path.exists("/dev/fuse"), 10)
        if os.path.exists("/dev/fuse"):
            os.chmod("/dev/fuse", 0o666)
        R.check(os.path.exists("/dev/fuse") and os.stat("/bin/fusermount3").st_mode & 0o4000,
                "FUSE usable: /dev/fuse and a setuid fusermount3",
                sh("ls -l /dev/fuse /bin/fusermount*").stdout)
        # The client's drive.
        share = WORK + "/share"
        os.makedirs(share, exist_ok=True)
        with open(share + "/hello.txt", "w") as f:
            f.write(SHARE_TEXT)
        # The stub agent, as alice, where the SmartcardSocket rule points.
        for d, mode in (("/run/vscard", 0o755), ("/run/vscard/pam-alice", 0o700),
                        ("/run/vscard/pam-alice/user", 0o700)):
            os.makedirs(d, exist_ok=True)
            os.chmod(d, mode)
            if d != "/run/vscard":
                os.chown(d, 2001, 2001)
        self.agent_log = os.path.join(LOGS, "stub-agent.jsonl")
        open(self.agent_log, "w").close()
        os.chmod(self.agent_log, 0o666)
        self.agent = self.spawn(as_user("alice", ["/usr/bin/python3", HERE + "/stub_agent.py",
                                                  "--socket", EXT_SOCKET,
                                                  "--log", self.agent_log]), "stub-agent.log")
        R.check(wait_for(lambda: os.path.exists(EXT_SOCKET), 30),
                "stub agent listens on %s as alice" % EXT_SOCKET)
        # xrdp itself, by hand (no systemd in the VM).
        self.sesman = self.spawn(["xrdp-sesman", "--nodaemon"], "sesman.out")
        self.xrdp = self.spawn(["xrdp", "--nodaemon"], "xrdp.out")
        ok = wait_for(lambda: listening(3350) and listening(3389), 60, step=0.5)
        if not R.check(ok, "xrdp-sesman and xrdp listen (3350, 3389)"):
            return False
        # The client side of suite 75: pcscd + vpcd + vicc in a private
        # mount namespace, Xvfb for xfreerdp.
        self.scene = Scene(LOGS)
        self.scene.start_client_side()
        self.x = Xvfb(LOGS)
        return True

    def password(self, user):
        return USERS[user][1]

    def drive(self):
        """xfreerdp's /drive: argument: NAME,PATH of the client's share."""
        return "share," + WORK + "/share"

    def connect(self, user, client_name, log, smartcard=None):
        """xfreerdp for user; smartcard: redirect only the client readers
        whose name starts with it (default: every reader)."""
        cmd = ["xfreerdp", "/v:127.0.0.1:3389", "/u:" + user, "/p:" + self.password(user),
               "/sec:tls", "/cert:ignore",
               "/smartcard" + (":" + smartcard if smartcard else ""),
               "/drive:" + self.drive(),
               "/client-hostname:" + client_name, "/size:800x600", "/log-level:WARN"]
        env = dict(os.environ, DISPLAY=self.x.display)
        p = subprocess.Popen(self.scene.nsenter() + cmd, env=env,
                             stdout=open(os.path.join(LOGS, log), "ab"),
                             stderr=subprocess.STDOUT)
        self.clients.append(p)
        return p

    def stop(self):
        for p in self.clients:
            stop(p, signal.SIGKILL)
        if self.scene:
            self.scene.stop()
        for u in getattr(self, "pam_users", ()):     # after a failure: close by hand
            if os.path.exists("/run/vscard/pam-%s" % u):
                sh("cp /run/vscard/pam-%s/agent.log %s/%s-agent.log" % (u, LOGS, u))
                sh("PAM_TYPE=close_session PAM_USER=%s vscard-session pam" % u)
        if self.x:
            self.x.close()
        for p in reversed(self.procs):
            stop(p)
        if getattr(self, "rmmod", False):
            ok = wait_for(lambda: sh("rmmod vscard").returncode == 0, 20, step=1)
            R.check(ok, "real agent: rmmod vscard after everything stopped")
        for u in USERS:
            for path in ("/home/%s/.local/share/xrdp" % u, "/home/%s/session-env.txt" % u):
                sh("cp -r %s %s/%s-%s 2>/dev/null" % (path, LOGS, u, os.path.basename(path)))


def vnc_failure_watch(logs=LOGS):
    """A test for LOGS/xrdp.log reporting, from now on, that xrdp could not
    reach a new session's X server ("Error connecting to user session")."""
    xlog = os.path.join(logs, "xrdp.log")
    mark = os.path.getsize(xlog) if os.path.exists(xlog) else 0

    def failed():
        try:
            with open(xlog, "rb") as f:
                f.seek(mark)
                return b"Error connecting to user session" in f.read()
        except OSError:
            return False
    return failed


def login(rig, user, name, log, ready, timeout=150, smartcard=None):
    """Connect, and wait until ready() holds.  Under a loaded TCG VM xrdp's
    VNC module sometimes reaches a new session's Xvnc before it accepts
    (xrdp.log: "VNC error 1 after security negotiation"): the client then
    never gets its channels.  Such a client is replaced once; the session
    is the same."""
    vnc_failed = vnc_failure_watch()
    client = rig.connect(user, name, log, smartcard)
    if wait_for(lambda: ready() or vnc_failed(), timeout, step=1) and ready():
        return client, True
    print("%s: %s's session not usable (%s); connecting again once" %
          (TAG, user, "xrdp: Error connecting to user session" if vnc_failed()
           else "nothing after %d s" % timeout), flush=True)
    stop(client, signal.SIGKILL)
    rig.clients.remove(client)
    # A session whose start is slow (a PAM session module: the vscard
    # session's pcscd and agent) has no channel server yet: a client
    # reconnecting before it runs gets no channels either.
    wait_for(lambda: procs_of(user, "xrdp-chansrv"), 90, step=1)
    time.sleep(2)
    client = rig.connect(user, name, log, smartcard)
    return client, bool(wait_for(ready, timeout, step=1))


def check_external(rig):
    """alice, SmartcardExternal=true: the stub agent's view and the drive."""
    log = rig.agent_log
    client, _ = login(rig, "alice", CLIENT_A, "xfreerdp-alice.log",
                      lambda: find(events(log), event="device_add"))
    R.check(procs_of("alice", "Xvnc") and procs_of("alice", "xrdp-chansrv"),
            "alice logs in with her password: Xvnc and xrdp-chansrv run as alice")
    acc = wait_for(lambda: find(events(log), event="accepted", conn=1), 180, step=1)
    R.check(acc and acc.get("peer_uid") == 2001,
            "chansrv connects to the agent socket as alice (SO_PEERCRED uid 2001)", str(acc))
    hello = wait_for(lambda: find(events(log), event="hello", conn=1), 60, step=0.5)
    R.check(hello and hello.get("version") == 1 and hello.get("flags") == 1 and
            hello.get("name") == "xrdp-chansrv",
            "HELLO: version 1, SVCPORT_HELLO_DEVICE, name xrdp-chansrv", str(hello))
    opn = wait_for(lambda: find(events(log), event="channel_open", conn=1), 60, step=0.5)
    tlv = (opn or {}).get("tlv", {})
    R.check(tlv.get("1") == "xrdp:alice/" + CLIENT_A and tlv.get("3") == "alice" and
            tlv.get("2") == CLIENT_A and tlv.get("4") == "rdpdr",
            "CHANNEL_OPEN: SESSION_KEY xrdp:alice/%s, USER, CLIENT_NAME, CHANNEL rdpdr"
            % CLIENT_A, str(tlv))
    add = wait_for(lambda: find(events(log), event="device_add", conn=1), 120, step=0.5)
    R.check(add and add.get("type") == 0x20 and add.get("dos") == "SCARD",
            "DEVICE_ADD: the client's smart-card device (type 0x20, SCARD)", str(add))
    comp = wait_for(lambda: find(events(log), event="io_completion", conn=1, cid=0x1001),
                    150, step=0.5)
    R.check(comp and comp.get("status") == 0 and comp.get("magic") == "44724943" and
            comp.get("device") == (add or {}).get("device"),
            "EstablishContext through chansrv: IO_COMPLETION with the agent's own "
            "CompletionId (0x1001), IoStatus 0", str(comp))
    R.check(comp and comp.get("rc") == 0,
            "the client's pcscd established the context (ReturnCode SCARD_S_SUCCESS)", str(comp))
    bad = wait_for(lambda: find(events(log), event="io_completion", conn=1, cid=0x1002), 60,
                   step=0.5)
    R.check(bad and bad.get("status") == STATUS_NO_SUCH_DEVICE and bad.get("len") == 16,
            "IO_REQUEST for another DeviceId: STATUS_NO_SUCH_DEVICE at once, no output",
            str(bad))
    bad = wait_for(lambda: find(events(log), event="io_completion", conn=1, cid=0x1003), 60,
                   step=0.5)
    R.check(bad and bad.get("status") == STATUS_INVALID_DEVICE_REQUEST,
            "IO_REQUEST with IRP_MJ_CREATE: STATUS_INVALID_DEVICE_REQUEST", str(bad))
    dup = wait_for(lambda: find(events(log), event="after_duplicate", conn=1), 90, step=0.5)
    R.check(dup and dup.get("result") == "eof",
            "an IO_REQUEST reusing an outstanding CompletionId closes the agent link",
            str(dup))
    add2 = wait_for(lambda: find(events(log), event="device_add", conn=2), 60, step=0.5)
    open2 = find(events(log), event="channel_open", conn=2)
    R.check(add2 and open2 and open2["tlv"].get("1") == "xrdp:alice/" + CLIENT_A and
            add2.get("device") == (add or {}).get("device"),
            "chansrv reconnects: CHANNEL_OPEN with the same key, the device added again",
            "%s %s" % (open2, add2))
    comp2 = wait_for(lambda: find(events(log), event="io_completion", conn=2, cid=0x3001), 150,
                     step=0.5)
    R.check(comp2 and comp2.get("status") == 0,
            "a request on the new link completes (CompletionId 0x3001)", str(comp2))
    c3002 = wait_for(lambda: find(events(log), event="io_completion", conn=2, cid=0x3002), 60,
                     step=0.5)
    R.check(c3002 and c3002.get("status") == 0,
            "a frame of unknown type from the agent is ignored: the link stays (0x3002)",
            str(c3002))
    short = wait_for(lambda: find(events(log), event="after_short", conn=2), 60, step=0.5)
    R.check(short and short.get("result") == "eof",
            "a truncated IO_REQUEST (10 bytes) closes the agent link", str(short))
    big = wait_for(lambda: find(events(log), event="after_oversized", conn=3), 60, step=0.5)
    R.check(big and big.get("result") == "eof",
            "a frame header announcing 2 MiB (cap 1 MiB) closes the agent link", str(big))
    add4 = wait_for(lambda: find(events(log), event="device_add", conn=4), 60, step=0.5)
    accs = [e for e in events(log) if e.get("event") == "accepted"]
    R.check(add4 and all(e.get("peer_uid") == 2001 for e in accs),
            "chansrv reconnects after each protocol error and adds the device again "
            "(%d connections, all from alice)" % len(accs), str(add4))
    time.sleep(2)
    late = [e for e in events(log) if e.get("event") == "io_completion" and
            e.get("cid") == 0x2001]
    R.check(not late, "the voided request's late completion (0x2001) is never delivered",
            str(late))
    # Drives, on the same channel, with FreeRDP 2.11.7 (which needs the
    # handshake order fix).
    path = "/home/alice/thinclient_drives/share/hello.txt"
    got = wait_for(lambda: read_as("alice", path), 120, step=1)
    R.check(got == SHARE_TEXT,
            "drive redirection: the client's share/hello.txt is readable by alice in "
            "~/thinclient_drives", repr(got)[:200])
    R.check(not [d for d in os.listdir("/home/alice") if d.startswith(".pcsc")],
            "chansrv's own smart-card socket (~/.pcscNN) is not created in external mode",
            str(os.listdir("/home/alice")))
    stop(client, signal.SIGKILL)
    rig.clients.remove(client)
    close = wait_for(lambda: find(events(log), event="channel_close"), 90, step=0.5)
    R.check(close is not None, "xfreerdp killed: chansrv sends CHANNEL_CLOSE to the agent")
    R.check(procs_of("alice", "Xvnc"), "alice's session stays, disconnected")
    # Reconnect to the disconnected session from a client whose name makes
    # the key longer than 64 bytes: the documented shortening.
    n0 = len(events(log))
    client = rig.connect("alice", CLIENT_LONG, "xfreerdp-alice-2.log")
    reopen = wait_for(lambda: find(events(log)[n0:], event="channel_open"), 180, step=0.5)
    tlv = (reopen or {}).get("tlv", {})
    want = session_key("alice", tlv.get("2", ""))
    R.check(reopen and tlv.get("2") == CLIENT_LONG and tlv.get("1") == want and
            len(want.encode()) <= 64 and "~" in want,
            "reconnect from a long client name: CHANNEL_OPEN again, key shortened by "
            "the rule (%s)" % want, str(tlv))
    add3 = wait_for(lambda: find(events(log)[n0:], event="device_add"), 120, step=0.5)
    R.check(add3 and add3.get("type") == 0x20,
            "reconnect: the smart-card device is added again", str(add3))
    n1 = len(events(log))
    stop(client, signal.SIGKILL)
    rig.clients.remove(client)
    R.check(wait_for(lambda: find(events(log)[n1:], event="channel_close"), 90, step=0.5),
            "second client killed: CHANNEL_CLOSE again")


def check_stock(rig):
    """bob, the same build with the switch off."""
    rig.configure(False)
    n0 = len(events(rig.agent_log))
    def pcsc():
        return [d for d in os.listdir("/home/bob") if d.startswith(".pcsc") and
                os.path.exists("/home/bob/%s/pcscd.comm" % d)]
    client, ok = login(rig, "bob", "vm-client-b", "xfreerdp-bob.log", pcsc)
    R.check(procs_of("bob", "Xvnc") and procs_of("bob", "xrdp-chansrv"),
            "switch off: bob's session starts (Xvnc and xrdp-chansrv as bob)")
    R.check(ok, "switch off: xrdp's own smart-card code runs as in stock xrdp "
            "(~bob/.pcscNN/pcscd.comm)", str(os.listdir("/home/bob")))
    got = wait_for(lambda: read_as("bob", "/home/bob/thinclient_drives/share/hello.txt"),
                   120, step=1)
    R.check(got == SHARE_TEXT, "switch off: drive redirection works for bob", repr(got)[:200])
    R.check(len(events(rig.agent_log)) == n0,
            "switch off: nothing reaches the agent socket")
    stop(client, signal.SIGKILL)
    rig.clients.remove(client)


PAM_LINES = """
# suite 85: the user's vscard session (pool, pcscd, agent) with the xrdp session
session optional pam_exec.so /usr/local/sbin/vscard-session pam --slots 2 --agent
session optional pam_env.so readenv=0 user_readenv=0 conffile=/etc/security/vscard_env.conf
"""
PAM_ENV_CONF = "PCSCLITE_CSOCK_NAME DEFAULT=/run/vscard/pam-@{PAM_USER}/user/pcscd/pcscd.comm\n"
CARD_B_ATR = "3b056361726442"       # tests/e2e/minicc.py --name cardB
READER_A = "Virtual PCD 00 00"      # the client's vicc (carol's client)
READER_B = "Virtual PCD 00 01"      # the client's minicc (dave's client)
STATE_EMPTY, STATE_PRESENT = 0x10, 0x20
RUNDIR = "/run/vscard"


def vstate(user):
    """/run/vscard/pam-USER/state (root's) as a dict."""
    return read_kv("%s/pam-%s/state" % (RUNDIR, user))


def chansrv_says(user, text):
    """text is in one of the user's chansrv logs (~/.local/share/xrdp)."""
    d = "/home/%s/.local/share/xrdp" % user
    try:
        for f in os.listdir(d):
            if f.startswith("xrdp-chansrv") and text in open(os.path.join(d, f)).read():
                return True
    except OSError:
        pass
    return False


def session_env(user):
    """The environment vscard-session wrote for the user's session."""
    env = {}
    try:
        with open("%s/pam-%s/env" % (RUNDIR, user)) as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                if k:
                    env[k] = v
    except OSError:
        pass
    return env


def user_app(user, name):
    """A pcsc_app.py as the user with the session's environment."""
    env = ["%s=%s" % kv for kv in sorted(session_env(user).items())]
    return App(as_user(user, ["env"] + env), LOGS, name)


def slots_of(pool):
    """(minor, key_hash) of a pool's bound or lingering slots (vscardctl)."""
    r = sh("vscardctl --json slots --pool %s 2>/dev/null" % pool)
    try:
        return sorted((s["minor"], s.get("key_hash")) for s in json.loads(r.stdout)
                      if s.get("key_hash"))
    except (ValueError, KeyError, TypeError):
        return None


def agent_stats(user):
    """SIGUSR1 to the user's agent; its newest stats: line as a dict."""
    pid = vstate(user).get("agent_pid")
    log = "%s/pam-%s/agent.log" % (RUNDIR, user)
    try:
        n = sum(1 for ln in open(log) if "stats:" in ln)
        os.kill(int(pid), signal.SIGUSR1)
    except (OSError, ValueError, TypeError):
        return None

    def newest():
        lines = [ln for ln in open(log) if "stats:" in ln]
        if len(lines) <= n:
            return None
        return dict(w.split("=", 1) for w in lines[-1].split("stats:", 1)[1].split()
                    if "=" in w)
    return wait_for(newest, 10, step=0.2)


def waiter_next(app, reader, cur, timeout):
    """Send a blocking GetStatusChange on reader from state cur."""
    app.send("wait %s %d %d" % (reader, cur & ~0x2, timeout))


def check_real_agent(rig):
    """SmartcardExternal=true with the real vscard-agent: sesman's PAM
    session stack opens the user's vscard session (pam_exec vscard-session
    pam --agent) and sets PCSCLITE_CSOCK_NAME (pam_env).  carol's client
    redirects the vicc card, dave's the minicc card; issue 14's tests 1,
    2, 3, 4, 5 and 6 with each user's PC/SC applications."""
    ko = os.environ.get("VSCARD_KO")
    if not ko:
        R.skip("real agent", "VSCARD_KO not given")
        return
    r = sh("insmod %s slots=8 && "
           "install -m 0755 %s/userspace/session/vscard-session /usr/local/sbin/vscard-session && "
           "install -m 0755 %s/vscardctl/vscardctl /usr/local/bin/vscardctl && "
           "install -m 0755 %s/agent/vscard-agent /usr/local/sbin/vscard-agent && "
           "%s/userspace/ifd/install.sh %s/ifd/libifdvscard.so"
           % (ko, TOP, BUILD, BUILD, TOP, BUILD))
    if not R.check(r.returncode == 0, "real agent: vscard.ko loaded, vscard-session, agent "
                   "and IFD handler installed", r.stdout[-300:]):
        return
    rig.rmmod = True
    with open("/etc/pam.d/xrdp-sesman", "a") as f:
        f.write(PAM_LINES)
    with open("/etc/security/vscard_env.conf", "w") as f:
        f.write(PAM_ENV_CONF)
    rig.configure(True)
    rig.pam_users = ["carol", "dave"]
    sock = "/run/vscard/pam-carol/user/agent.sock"
    client, ok = login(rig, "carol", "vm-client-c", "xfreerdp-carol.log",
                       lambda: chansrv_says("carol", "smartcard external: channel open"),
                       smartcard=READER_A)
    st = vstate("carol")
    if not R.check(ok and st.get("agent_pid") and os.path.exists(sock),
                   "real agent: carol's xrdp login opens her vscard session through PAM "
                   "(pam_exec vscard-session pam --agent): pool %s, agent on %s"
                   % (st.get("pool"), sock), str(st)):
        return
    R.check(procs_of("carol", "vscard-agent") == [int(st["agent_pid"])],
            "real agent: carol's agent runs as carol (pid %s)" % st["agent_pid"])
    env = session_env("carol")
    csock = env.get("PCSCLITE_CSOCK_NAME", "")
    senv = wait_for(lambda: read_as("carol", "/home/carol/session-env.txt"), 30, step=1) or ""
    R.check(csock and "PCSCLITE_CSOCK_NAME=%s\n" % csock in senv,
            "real agent: carol's xrdp desktop has PCSCLITE_CSOCK_NAME=%s (pam_env)" % csock,
            [ln for ln in senv.splitlines() if "PCSC" in ln])
    # 1: APDUs through the session equal the same APDUs on the client side.
    direct = rig.scene.client_app("direct")
    d = [direct.apdu(a) for a in (SELECT, VERIFY)] if direct.call("connect " + READER_A) \
        else None
    direct.call("disconnect")
    app = user_app("carol", "carol")
    rig.scene.apps.append(app)
    reader = wait_present(app, VICC_ATR, timeout=180)
    R.check(reader is not None and reader.startswith("vscard"),
            "1: carol's PC/SC application sees the client's vicc card in a vscard "
            "reader (%s)" % reader, str(present_readers(app)))
    if not reader:
        return
    r = app.call("connect " + reader)
    via = [app.apdu(a) for a in (SELECT, VERIFY)] if r and r.get("rv") == 0 else None
    app.call("disconnect")
    R.check(via is not None and d is not None and via == d and via[0] == "9000",
            "1: APDUs from carol's session return the same bytes as sent to vicc on the "
            "client side", "%s vs %s" % (via, d))
    got = wait_for(lambda: read_as("carol", "/home/carol/thinclient_drives/share/hello.txt"),
                   60, step=1)
    R.check(got == SHARE_TEXT, "2: beside the real agent, the client's drive is readable "
            "by carol in ~/thinclient_drives", repr(got)[:200])
    # 3: removal and insertion on the client reach a waiting app.
    waiter = user_app("carol", "carol-waiter")
    rig.scene.apps.append(waiter)
    r = waiter.call("wait %s 0 0" % reader)
    cur = (r or {}).get("state", 0)
    R.check(r and r.get("rv") == 0 and cur & STATE_PRESENT,
            "3: carol's waiting application (its own context) sees her card", str(r))
    waiter_next(waiter, reader, cur, 300000)
    time.sleep(1)
    rig.scene.vicc.stop()
    r = waiter.recv(180)
    removed = bool(r and r.get("rv") == 0 and r["state"] & STATE_EMPTY)
    R.check(removed, "3: vicc stopped on the client: carol's blocked SCardGetStatusChange "
            "sees the removal", str(r))
    waiter_next(waiter, reader, (r or {}).get("state", 0), 300000)
    time.sleep(1)
    rig.scene.vicc.start()
    r = waiter.recv(180)
    R.check(bool(removed and r and r.get("rv") == 0 and r["state"] & STATE_PRESENT and
                 r.get("atr") == VICC_ATR),
            "3: vicc started again: the same waiter sees the insertion (vicc's ATR)", str(r))
    # 4: xfreerdp killed, a new one reconnects to the disconnected session.
    pool = st.get("pool")
    before = slots_of(pool)
    s0 = agent_stats("carol")
    waiter_next(waiter, reader, (r or {}).get("state", 0), 300000)
    time.sleep(1)
    stop(client, signal.SIGKILL)
    rig.clients.remove(client)
    r = waiter.recv(120)
    gone = bool(r and r.get("rv") == 0 and r["state"] & STATE_EMPTY)
    R.check(gone, "4: carol's xfreerdp killed: her blocked waiter sees the card leave "
            "(no SCARD_E_* error)", str(r))
    R.check(procs_of("carol", "Xvnc") and vstate("carol").get("agent_pid") == st["agent_pid"],
            "4: carol's xrdp session and her agent stay while she is disconnected")
    waiter_next(waiter, reader, (r or {}).get("state", 0), 300000)
    t0 = time.monotonic()
    client = rig.connect("carol", "vm-client-c", "xfreerdp-carol-2.log", READER_A)
    r = waiter.recv(240)
    R.check(bool(gone and r and r.get("rv") == 0 and r["state"] & STATE_PRESENT and
                 r.get("atr") == VICC_ATR),
            "4: a new xfreerdp reconnects to carol's disconnected session (%.0f s): the "
            "same waiter, same context, sees her card again in %s"
            % (time.monotonic() - t0, reader), str(r))
    after = slots_of(pool)
    R.check(before and after == before,
            "4: the same kernel slot after the reconnect (vscardctl: minor, key hash) "
            "%s -> %s" % (before, after))
    r = waiter.call("connect " + reader)
    ok = r and r.get("rv") == 0 and waiter.apdu(SELECT) == "9000"
    waiter.call("disconnect")
    R.check(ok, "4: the waiter exchanges APDUs with the context it kept", str(r))
    s1 = agent_stats("carol")
    keys = ("unknown", "wrong_device", "bad_frames")
    R.check(s0 and s1 and all(s1.get(k) == "0" for k in keys) and
            int(s1.get("devices_added", 0)) > int(s0.get("devices_added", 0)),
            "4: the agent's stats: no completion misattributed (late %s, unknown %s, "
            "wrong_device %s, bad_frames %s; devices_added %s -> %s)"
            % tuple([(s1 or {}).get(k) for k in ("late",) + keys] +
                    [(s0 or {}).get("devices_added"), (s1 or {}).get("devices_added")]),
            "%s / %s" % (s0, s1))
    # 5: dave logs in at the same time, his client redirecting the other card.
    dsock = "/run/vscard/pam-dave/user/agent.sock"
    dclient, ok = login(rig, "dave", "vm-client-d", "xfreerdp-dave.log",
                        lambda: chansrv_says("dave", "smartcard external: channel open"),
                        smartcard=READER_B)
    dst = vstate("dave")
    R.check(ok and dst.get("pool") and dst.get("pool") != pool and os.path.exists(dsock),
            "5: dave's xrdp login opens his own vscard session (pool %s, carol's %s)"
            % (dst.get("pool"), pool), str(dst))
    dapp = user_app("dave", "dave")
    rig.scene.apps.append(dapp)
    dreader = wait_present(dapp, CARD_B_ATR, timeout=180)
    R.check(dreader is not None, "5: dave's application sees his client's card (minicc, "
            "ATR %s) in %s" % (CARD_B_ATR, dreader), str(present_readers(dapp)))
    pc, pd = present_readers(app), present_readers(dapp)
    R.check(list(pc.values()) == [VICC_ATR] and list(pd.values()) == [CARD_B_ATR],
            "5: each session sees only its own card (carol %s, dave %s)" % (pc, pd))
    if dreader:
        r = dapp.call("connect " + dreader)
        name = dapp.apdu("00ca010000") if r and r.get("rv") == 0 else None
        dapp.call("disconnect")
        R.check(name and name.endswith("9000") and bytes.fromhex(name[:-4]) == b"cardB",
                "5: dave's APDU reaches his card (GET DATA: cardB)", str(name))
    r = app.call("connect " + reader)
    ok = r and r.get("rv") == 0 and app.apdu(SELECT) == "9000"
    app.call("disconnect")
    R.check(ok, "5: carol's APDUs still work beside dave's session")
    # 6: both log out: the xrdp session ends, PAM closes the vscard session.
    pids = [int(p) for u in ("carol", "dave") for k in ("agent_pid", "pcscd_pid")
            for p in [vstate(u).get(k)] if p]
    for u in ("carol", "dave"):
        sh("cp /run/vscard/pam-%s/agent.log %s/%s-agent.log" % (u, LOGS, u))
    for a in (app, waiter, dapp):
        rig.scene.apps.remove(a)
        a.close()
    for u in ("carol", "dave"):
        for pid in procs_of(u, "sleep"):        # the session's window manager
            os.kill(pid, signal.SIGTERM)
    gone = wait_for(lambda: not os.path.exists("/run/vscard/pam-carol") and
                    not os.path.exists("/run/vscard/pam-dave"), 90, step=0.5)
    R.check(gone, "6: carol and dave log out: xrdp-sesman's PAM close_session removes "
            "/run/vscard/pam-carol and pam-dave (sockets included)",
            sh("ls -lR /run/vscard; vscard-session show").stdout[-600:])
    left = [p for p in pids if os.path.exists("/proc/%d" % p)]
    left += [p for u in ("carol", "dave") for c in ("vscard-agent", "pcscd", "xrdp-chansrv", "Xvnc")
             for p in procs_of(u, c)]
    R.check(len(pids) == 4 and not left,
            "6: their agents and pcscd instances (%s) and session processes are gone" % pids,
            str(left))
    r = sh("vscardctl --json pools")
    try:
        pools = json.loads(r.stdout)
    except ValueError:
        pools = None
    left = None if pools is None else [p for p in pools if p.get("pool") != 0]
    R.check(left == [], "6: no session pool left, only the module's pool 0 (vscardctl pools)",
            r.stdout[-300:])
    stop(client, signal.SIGKILL)
    rig.clients.remove(client)
    stop(dclient, signal.SIGKILL)
    rig.clients.remove(dclient)
    ok = wait_for(lambda: sh("rmmod vscard").returncode == 0, 20, step=1)
    R.check(ok, "6: rmmod vscard", sh("lsmod | grep vscard").stdout)
    rig.rmmod = not ok


def main():
    rig = Rig()
    try:
        if rig.setup():
            check_external(rig)
            check_stock(rig)
            check_real_agent(rig)
    except Exception as e:  # a broken scene is one failure, with the reason
        R.check(False, "scene", repr(e))
    finally:
        rig.stop()
    print("%s: logs in %s" % (TAG, LOGS), flush=True)
    return 1 if R.failed else 0


if __name__ == "__main__":
    sys.exit(main())
