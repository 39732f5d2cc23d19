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
from common import Results, Xvfb, stop, wait_for  # noqa: E402
from scene import VICC_ATR, App, Scene, present_readers, wait_present  # noqa: E402

TAG = os.environ.get("TAG", "xrdp")
R = Results(TAG)
WORK = "/tmp/x85"
LOGS = os.path.join(os.environ.get("VM_OUT") or WORK, "xrdp-logs")
USERS = {"alice": (2001, "alice-85-pw"), "bob": (2002, "bob-85-pw"),
         "carol": (2003, "carol-85-pw")}
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
        return R.check(ok, "local users alice (2001), bob (2002), carol (2003) with passwords "
                       "and homes")

    def configure(self, external):
        smartcard = ("SmartcardExternal=true\n"
                     "SmartcardSocket=/run/vscard/pam-%u/user/agent.sock") \
            if external else "#SmartcardExternal=false (stock behaviour)"
        with open("/etc/xrdp/sesman.ini", "w") as f:
            f.write(SESMAN_INI.format(work=WORK, logs=LOGS, smartcard=smartcard))

    def setup(self):
        os.makedirs(WORK, exist_ok=True)
        os.makedirs(LOGS, exist_ok=True)
        os.chmod(LOGS, 0o777)
        r = sh("dpkg-query -W -f='${Version}' xrdp")
        R.check(r.returncode == 0 and "+vscard" in r.stdout,
                "the patched xrdp is installed (%s)" % r.stdout.strip())
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

    def connect(self, user, client_name, log):
        cmd = ["xfreerdp", "/v:127.0.0.1:3389", "/u:" + user, "/p:" + USERS[user][1],
               "/sec:tls", "/cert:ignore", "/smartcard", "/drive:share," + WORK + "/share",
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
        if getattr(self, "carol_session", False):
            sh("cp /run/vscard/pam-carol/agent.log %s/carol-agent.log" % LOGS)
            r = sh("PAM_TYPE=close_session PAM_USER=carol vscard-session pam --agent")
            R.check(r.returncode == 0 and not os.path.exists("/run/vscard/pam-carol"),
                    "real agent: carol's vscard session closes", r.stdout[-300:])
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


def login(rig, user, name, log, ready, timeout=150):
    """Connect, and wait until ready() holds.  Under a loaded TCG VM xrdp's
    VNC module sometimes reaches a new session's Xvnc before it accepts
    (xrdp.log: "VNC error 1 after security negotiation"): the client then
    never gets its channels.  Such a client is replaced once; the session
    is the same."""
    xlog = os.path.join(LOGS, "xrdp.log")
    mark = os.path.getsize(xlog) if os.path.exists(xlog) else 0

    def vnc_failed():
        try:
            with open(xlog, "rb") as f:
                f.seek(mark)
                return b"Error connecting to user session" in f.read()
        except OSError:
            return False
    client = rig.connect(user, name, log)
    if wait_for(lambda: ready() or vnc_failed(), timeout, step=1) and ready():
        return client, True
    print("%s: %s's session not usable (%s); connecting again once" %
          (TAG, user, "xrdp: Error connecting to user session" if vnc_failed()
           else "nothing after %d s" % timeout), flush=True)
    stop(client, signal.SIGKILL)
    rig.clients.remove(client)
    client = rig.connect(user, name, log)
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


def check_real_agent(rig):
    """carol, SmartcardExternal=true, with the real vscard-agent of her
    vscard session (vscard-session pam --agent): a PC/SC application of
    hers sees the client's vicc card and exchanges APDUs with it."""
    ko = os.environ.get("VSCARD_KO")
    if not ko:
        R.skip("real agent", "VSCARD_KO not given")
        return
    r = sh("insmod %s slots=4 && "
           "install -m 0755 %s/userspace/session/vscard-session /usr/local/sbin/vscard-session && "
           "install -m 0755 %s/vscardctl/vscardctl /usr/local/bin/vscardctl && "
           "install -m 0755 %s/agent/vscard-agent /usr/local/sbin/vscard-agent && "
           "%s/userspace/ifd/install.sh %s/ifd/libifdvscard.so"
           % (ko, TOP, BUILD, BUILD, TOP, BUILD))
    if not R.check(r.returncode == 0, "real agent: vscard.ko loaded, vscard-session, agent "
                   "and IFD handler installed", r.stdout[-300:]):
        return
    rig.rmmod = True
    r = sh("PAM_TYPE=open_session PAM_USER=carol vscard-session pam --slots 2 --agent")
    sock = "/run/vscard/pam-carol/user/agent.sock"
    csock = "/run/vscard/pam-carol/user/pcscd/pcscd.comm"
    if not R.check(r.returncode == 0 and os.path.exists(sock) and os.path.exists(csock),
                   "real agent: carol's vscard session (pam --agent) listens on %s" % sock,
                   r.stdout[-300:]):
        return
    rig.carol_session = True
    rig.configure(True)
    client, ok = login(rig, "carol", "vm-client-c", "xfreerdp-carol.log",
                       lambda: procs_of("carol", "xrdp-chansrv"))
    direct = rig.scene.client_app("direct")
    d = [direct.apdu(a) for a in (SELECT, VERIFY)] if direct.call("connect Virtual PCD 00 00") \
        else None
    direct.call("disconnect")
    app = App(as_user("carol", ["env", "PCSCLITE_CSOCK_NAME=" + csock]), LOGS, "carol")
    rig.scene.apps.append(app)
    reader = wait_present(app, VICC_ATR, timeout=180)
    R.check(reader is not None and reader.startswith("vscard"),
            "real agent: carol's PC/SC application sees the client's vicc card in a vscard "
            "reader (%s)" % reader, str(present_readers(app)))
    if reader:
        r = app.call("connect " + reader)
        via = [app.apdu(a) for a in (SELECT, VERIFY)] if r and r.get("rv") == 0 else None
        app.call("disconnect")
        R.check(via is not None and d is not None and via == d and via[0] == "9000",
                "real agent: APDUs from carol's session return the same bytes as sent to "
                "vicc on the client side", "%s vs %s" % (via, d))
    stop(client, signal.SIGKILL)
    rig.clients.remove(client)


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
