#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""`make demo` and `make bench-xrdp`: vscard behind a real xrdp, in QEMU
(runs as root in the VM that tests/xrdp/demo.sh boots).

  demo.py demo    the narrated scene: alice logs in through xrdp with her
                  password from xfreerdp /smartcard /drive; in her session
                  pcsc_scan sees the client's card, scriptor exchanges
                  APDUs with it (the same bytes as on the client side) and
                  a file on the client's drive is read
  demo.py bench   APDU round trip: alice's application in the xrdp session
                  -> the client's vicc, against the same APDU on the client
                  side and through the FreeRDP test server (bench-e2e's
                  path); median of XRDP_BENCH_N (default 40)

The server is set up as Documentation/admin-guide.rst says: xrdp-sesman's
PAM service opens the user's vscard session (pam_exec vscard-session pam
--agent) and sets PCSCLITE_CSOCK_NAME (pam_env); sesman.ini's [Chansrv]
has SmartcardExternal=true.  The pieces of suite 85 are reused from
tests/xrdp/xrdp_e2e.py (configuration, Rig, login), the client side from
tests/e2e/scene.py (pcscd + vpcd + vicc in a private mount namespace).
"""
import os
import re
import signal
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import xrdp_e2e as xe  # noqa: E402
from common import Xvfb, stop, wait_for  # noqa: E402
from scene import (READER_A, VICC_ATR, App, Scene, present_readers, timed,  # noqa: E402
                   wait_present)

USER, UID, PASSWORD = "alice", 2001, "alice-demo-pw"
CLIENT = "alice-laptop"
RUN = "/run/vscard/pam-" + USER
CSOCK = RUN + "/user/pcscd/pcscd.comm"
SHARE = xe.WORK + "/client-documents"
NOTE = "quarterly-report.txt"
DRIVE = "Docs"           # RDPDR announces 8 characters of a name at most
NOTE_TEXT = "Written on alice's laptop; read in her xrdp session.\n"
PAM_LINES = ("session optional pam_exec.so /usr/local/sbin/vscard-session pam --slots 2 --agent\n"
             "session optional pam_env.so readenv=0 user_readenv=0 "
             "conffile=/etc/security/vscard_env.conf\n")
PAM_ENV = "PCSCLITE_CSOCK_NAME DEFAULT=/run/vscard/pam-@{PAM_USER}/user/pcscd/pcscd.comm\n"
# SELECT MF, VERIFY PIN "1234", GET CHALLENGE (8 random bytes: differs).
APDUS = ["00 A4 00 0C 02 3F 00", "00 20 00 00 04 31 32 33 34"]
SELECT, GET_CHALLENGE = "00a4000c023f00", "0084000008"


def say(text=""):
    print(text, flush=True)


def clean(text):
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", text)
    lines = [ln.rstrip() for ln in text.splitlines()]
    return "\n".join(ln for ln in lines if ln.strip() and ln.strip() not in "-\\|/")


def run(argv, stdin=None, timeout=120):
    p = subprocess.run(argv, input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True, timeout=timeout)
    return clean(p.stdout)


def indent(text, pad="  "):
    return "\n".join(pad + ln for ln in text.splitlines())


class DemoRig(xe.Rig):
    """Suite 85's rig with the demo's own user, drive and PAM set-up (no
    stub agent: the real vscard-agent of the user's vscard session)."""

    def setup(self):
        for d in (xe.WORK, xe.LOGS, SHARE):
            os.makedirs(d, exist_ok=True)
        os.chmod(xe.LOGS, 0o777)
        os.chmod(xe.WORK, 0o755)
        try:
            xe.pwd.getpwnam(USER)
        except KeyError:
            xe.sh("useradd --create-home --uid %d --user-group --shell /bin/sh %s" % (UID, USER))
        xe.sh("chpasswd", input="%s:%s\n" % (USER, PASSWORD))
        xe.sh("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=vscard-demo "
              "-keyout %s/key.pem -out %s/cert.pem" % (xe.WORK, xe.WORK))
        os.chmod(xe.WORK + "/key.pem", 0o600)
        with open(xe.WORK + "/startwm.sh", "w") as f:
            f.write(xe.STARTWM)
        os.chmod(xe.WORK + "/startwm.sh", 0o755)
        with open("/etc/xrdp/xrdp.ini", "w") as f:
            f.write(xe.XRDP_INI.format(work=xe.WORK, logs=xe.LOGS))
        self.configure(True)
        os.makedirs("/run/xrdp/sockdir", exist_ok=True)
        os.chmod("/run/xrdp/sockdir", 0o3777)
        # The admin guide's PAM lines (the VM's root is a throw-away overlay).
        with open("/etc/pam.d/xrdp-sesman", "a") as f:
            f.write(PAM_LINES)
        with open("/etc/security/vscard_env.conf", "w") as f:
            f.write(PAM_ENV)
        xe.sh("modprobe fuse")
        wait_for(lambda: os.path.exists("/dev/fuse"), 10)
        os.chmod("/dev/fuse", 0o666)
        with open(os.path.join(SHARE, NOTE), "w") as f:
            f.write(NOTE_TEXT)
        # vscard: the module and the programs the PAM line runs.
        top, build = xe.TOP, xe.BUILD
        r = xe.sh("insmod %s slots=4 && "
                  "install -m 0755 %s/userspace/session/vscard-session /usr/local/sbin/ && "
                  "install -m 0755 %s/vscardctl/vscardctl /usr/local/bin/ && "
                  "install -m 0755 %s/agent/vscard-agent /usr/local/sbin/ && "
                  "%s/userspace/ifd/install.sh %s/ifd/libifdvscard.so"
                  % (os.environ["VSCARD_KO"], top, build, build, top, build))
        if r.returncode:
            raise RuntimeError("installing vscard in the VM: " + r.stdout[-400:])
        self.rmmod = True
        self.sesman = self.spawn(["xrdp-sesman", "--nodaemon"], "sesman.out")
        self.xrdp = self.spawn(["xrdp", "--nodaemon"], "xrdp.out")
        if not wait_for(lambda: xe.listening(3350) and xe.listening(3389), 60, step=0.5):
            raise RuntimeError("xrdp-sesman / xrdp do not listen")
        self.scene = Scene(xe.LOGS)
        self.scene.start_client_side()
        self.x = Xvfb(xe.LOGS)

    def password(self, user):
        return PASSWORD

    def drive(self):
        """alice's laptop's folder, as xfreerdp's /drive: NAME,PATH."""
        return "%s,%s" % (DRIVE, SHARE)

    def stop(self):
        for p in self.clients:
            stop(p, signal.SIGKILL)
        if self.scene:
            self.scene.stop()
        if os.path.exists(RUN):
            xe.sh("cp %s/agent.log %s/agent-%s.log" % (RUN, xe.LOGS, USER))
            xe.sh("PAM_TYPE=close_session PAM_USER=%s vscard-session pam --agent" % USER)
        if self.x:
            self.x.close()
        for p in reversed(self.procs):
            stop(p)
        for path in ("/home/%s/.local/share/xrdp" % USER, "/home/%s/session-env.txt" % USER):
            xe.sh("cp -r %s %s/%s-%s 2>/dev/null" % (path, xe.LOGS, USER, os.path.basename(path)))
        if self.rmmod:
            wait_for(lambda: xe.sh("rmmod vscard").returncode == 0, 20, step=1)

    def session_env(self):
        """The environment of alice's desktop (startwm.sh wrote it)."""
        text = xe.read_as(USER, "/home/%s/session-env.txt" % USER) or ""
        return dict(ln.split("=", 1) for ln in text.splitlines() if "=" in ln)

    def in_session(self, argv, env):
        """argv as alice with her session's environment."""
        keep = {k: env[k] for k in ("DISPLAY", "HOME", "USER", "PATH", "PCSCLITE_CSOCK_NAME")
                if k in env}
        return xe.as_user(USER, ["env", "-i"] + ["%s=%s" % kv for kv in keep.items()] + argv)

    def log_in(self):
        """Log alice in; return (client, her session's environment)."""
        client, ok = xe.login(self, USER, CLIENT, "xfreerdp-%s.log" % USER,
                              lambda: self.session_env().get("PCSCLITE_CSOCK_NAME") and
                              xe.procs_of(USER, "xrdp-chansrv") and os.path.exists(CSOCK))
        if not ok:
            raise RuntimeError("alice's session did not come up (logs: %s)" % xe.LOGS)
        return client, self.session_env()


def vscard_reader(rig, env):
    app = App(rig.in_session([], env), xe.LOGS, "session-probe")
    rig.scene.apps.append(app)
    return wait_present(app, VICC_ATR, timeout=300)


# ------------------------------------------------------------------ demo ---
def demo(rig):
    say("== vscard on xrdp: a smart card and a drive of an RDP client, in a Linux desktop ==")
    say()
    r = xe.sh("dpkg-query -W -f='${Package} ${Version}\\n' xrdp; Xvnc -version 2>&1 | head -1")
    say("Server: Debian's xrdp with vscard's patch series (integrations/xrdp), Xvnc sessions:")
    say(indent(clean(r.stdout)))
    say("sesman.ini hands the client's smart-card device to the session's vscard-agent:")
    say(indent(xe.sh("sed -n '/^\\[Chansrv\\]/,/^$/p' /etc/xrdp/sesman.ini").stdout.strip()))
    say("and /etc/pam.d/xrdp-sesman opens a vscard session at login (admin-guide.rst):")
    say(indent(PAM_LINES.strip()))
    say()
    say("Client side (alice's laptop: its own pcscd in a private mount namespace): a")
    say("virtual card (vsmartcard's vicc) in '%s', and a folder to share:" % READER_A)
    cl = rig.scene.client_app("demo")
    wait_present(cl, VICC_ATR, timeout=120)
    say(indent(run(rig.scene.nsenter() + ["pcsc_scan", "-r"])))
    say(indent(run(["ls", "-l", SHARE]).splitlines()[-1]))
    say()
    say("alice logs in with her password: xfreerdp /u:alice /p:... /smartcard "
        "/drive:%s,%s" % (DRIVE, SHARE))
    t0 = time.monotonic()
    client, env = rig.log_in()
    say("Her desktop is up after %.0f s.  Her session's processes:" % (time.monotonic() - t0))
    ps = run(["ps", "-o", "user:8,pid,args", "-u", USER])
    say(indent("\n".join(ln[:110] for ln in ps.splitlines()
                         if not re.search(r"\bps -o|sleep 100000|xkbcomp", ln))))
    say("In her desktop's environment (set by pam_env):")
    say("  DISPLAY=%s PCSCLITE_CSOCK_NAME=%s" % (env.get("DISPLAY"), env.get("PCSCLITE_CSOCK_NAME")))
    say()
    reader = vscard_reader(rig, env)
    if not reader:
        raise RuntimeError("the client's card did not appear in alice's session")
    say("pcsc_scan -n (no ATR analysis), run as alice in her session: the client's cards")
    say("in her vscard readers:")
    say(indent(run(rig.in_session(["pcsc_scan", "-n", "-t", "8"], env), timeout=180)))
    say()
    script = "\n".join(APDUS) + "\n"
    say("APDUs from alice's session (scriptor, pcsc-tools): SELECT MF, VERIFY PIN 1234:")
    via = run(rig.in_session(["scriptor", "-r", reader], env), script)
    say(indent(via))
    say("The same APDUs on the client side, straight to the card:")
    direct = run(rig.scene.nsenter() + ["scriptor", "-r", READER_A], script)
    say(indent(direct))

    def answers(text):
        return [ln.strip() for ln in text.splitlines() if ln.startswith("<")]
    same = answers(via) == answers(direct) and len(answers(via)) == len(APDUS)
    say("=> %s" % ("the same bytes on both sides" if same else "DIFFERENT answers"))
    say()
    path = "/home/%s/thinclient_drives/%s/%s" % (USER, DRIVE, NOTE)
    got = wait_for(lambda: xe.read_as(USER, path), 120, step=1)
    say("The client's folder in alice's session, ~/thinclient_drives/%s:" % DRIVE)
    say(indent(run(rig.in_session(["ls", "-l", os.path.dirname(path)], env))))
    say("  $ cat ~/thinclient_drives/%s/%s" % (DRIVE, NOTE))
    say(indent(got or "(not readable)", "  "))
    say()
    say("alice's laptop disconnects: the card leaves her session, the session stays.")
    stop(client, signal.SIGKILL)
    rig.clients.remove(client)
    app = rig.scene.apps[-1]
    wait_for(lambda: reader not in present_readers(app), 120, step=0.5)
    r = app.call("readers") or {}
    say("  readers: %s; cards: %s" % (", ".join(r.get("readers", [])),
                                     ", ".join(present_readers(app)) or "none"))
    say()
    say("Tearing down: the vscard session (agent, pcscd, pool), xrdp, then rmmod vscard.")
    if not same or got != NOTE_TEXT:
        raise RuntimeError("demo: APDUs or drive not as expected")


# ----------------------------------------------------------------- bench ---
def connected(app, reader):
    r = app.call("connect " + reader)
    if not r or r.get("rv"):
        raise RuntimeError("connect %s: %s" % (reader, r))
    timed(app, SELECT, 3)    # warm up
    return app


def bench(rig):
    n = int(os.environ.get("XRDP_BENCH_N", "40"))
    names = (("SELECT", SELECT), ("GET CHALLENGE", GET_CHALLENGE))
    res = {}
    # 1. xrdp: alice's application in her session.
    client, env = rig.log_in()
    reader = vscard_reader(rig, env)
    if not reader:
        raise RuntimeError("the client's card did not appear in alice's session")
    cl = connected(rig.scene.client_app("bench"), READER_A)
    app = App(rig.in_session([], env), xe.LOGS, "session-bench")
    rig.scene.apps.append(app)
    connected(app, reader)
    for name, apdu in names:
        res[name, "direct"] = statistics.median(timed(cl, apdu, n))
        res[name, "xrdp"] = statistics.median(timed(app, apdu, n))
    app.call("disconnect")
    stop(client, signal.SIGKILL)
    rig.clients.remove(client)
    # 2. The FreeRDP test server (bench-e2e's path), same client side,
    # same card, the server's own pcscd on pool 0.
    sc = rig.scene
    sc.start_server_side()
    sc.connect("bench", READER_A)
    srv = App([], xe.LOGS, "server-bench")
    sc.apps.append(srv)
    sreader = wait_present(srv, VICC_ATR, exclude=(), timeout=180)
    if not sreader:
        raise RuntimeError("the card did not appear behind the test server")
    connected(srv, sreader)
    # The xrdp agent's handle on the card was closed with a reset: the
    # client-side application connects again.
    cl.call("disconnect")
    connected(cl, READER_A)
    for name, apdu in names:
        res[name, "direct2"] = statistics.median(timed(cl, apdu, n))
        res[name, "test"] = statistics.median(timed(srv, apdu, n))
    print("bench-xrdp: APDU round trip, median of %d, QEMU TCG (no KVM), 2 vCPUs" % n)
    print("bench-xrdp: %-14s %10s %10s %10s %10s %10s %11s" %
          ("APDU", "client(ms)", "client2", "xrdp(ms)", "test(ms)", "xrdp/test",
           "xrdp/client"))
    for name, _ in names:
        base = (res[name, "direct"] + res[name, "direct2"]) / 2
        x, t = res[name, "xrdp"], res[name, "test"]
        print("bench-xrdp: %-14s %10.2f %10.2f %10.2f %10.2f %9.2fx %10.2fx" %
              (name, res[name, "direct"] * 1e3, res[name, "direct2"] * 1e3, x * 1e3,
               t * 1e3, x / t, x / base))
    print("bench-xrdp: client = client-side app -> client pcscd -> vpcd -> vicc, measured "
          "with xrdp (client) and with the test server (client2); xrdp/client: their mean")
    print("bench-xrdp: xrdp = app in alice's xrdp session -> her pcscd -> libifdvscard -> "
          "vscard.ko -> her vscard-agent -> xrdp-chansrv -> xrdp -> RDP -> xfreerdp -> "
          "client pcscd -> vicc")
    print("bench-xrdp: test = server app -> pcscd -> libifdvscard -> vscard.ko -> "
          "vscard-agent -> vscard-rdp-server -> RDP -> xfreerdp -> client pcscd -> vicc")
    goal = max(res[name, "xrdp"] / res[name, "test"] for name, _ in names)
    print("bench-xrdp: goal xrdp/test <= 1.2x: %s (worst %.2fx)" %
          ("met" if goal <= 1.2 else "NOT met", goal))


def main():
    mode = sys.argv[1] if len(sys.argv) > 1 else "demo"
    rig = DemoRig()
    rig.rmmod = False
    rc = 0
    try:
        rig.setup()
        {"demo": demo, "bench": bench}[mode](rig)
    except Exception as e:  # say what broke, then tear down
        print("%s: FAILED: %r (logs in %s)" % (mode, e, xe.LOGS), flush=True)
        rc = 1
    finally:
        rig.stop()
    if mode == "demo":
        say("vscard.ko %s.  Done." % ("still loaded!" if "vscard " in
                                     open("/proc/modules").read() else "unloaded"))
    return rc


if __name__ == "__main__":
    sys.exit(main())
