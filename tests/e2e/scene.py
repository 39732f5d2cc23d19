# SPDX-License-Identifier: MIT
"""The end-to-end scene, shared by the e2e test, the demo and the bench.

Server side (this mount namespace): vscard.ko (loaded by run.sh), pcscd
with libifdvscard.so, vscard-rdp-server starting the real vscard-agent.
Client side (a private mount namespace with a tmpfs on /run/pcscd, entered
with nsenter): its own pcscd with vsmartcard's vpcd driver, a vicc
iso7816 card on vpcd slot 0 ("Virtual PCD 00 00"), minicc.py on slot 1,
and xfreerdp /smartcard under Xvfb.
"""
import json
import os
import select
import signal
import subprocess
import threading
import time

from common import (BUILD, HERE, SERVER, TOP, Xvfb, agent_priv_args, free_port, stop,
                    wait_for, wait_port, xfreerdp_cmd)

PY = "/usr/bin/python3"     # Debian's, for pyscard and virtualsmartcard
VPCD_PORT = 35990           # vpcd slot 0; slot 1 is VPCD_PORT + 1
READER_A = "Virtual PCD 00 00"
READER_B = "Virtual PCD 00 01"
VICC_ATR = "3b951381018073ff01000b"
STATE_EMPTY, STATE_PRESENT = 0x10, 0x20
# The APDUs every scene sends to vicc's card.
SELECT = "00a4000c023f00"           # P2=0C: no FCI (vicc crashes on FCI)
GET_CHALLENGE = "0084000008"
VERIFY = "002000000431323334"       # PIN 1234


class App:
    """A pcsc_app.py process: one PC/SC context, JSON lines."""

    def __init__(self, prefix, logdir, name, script=None):
        self.name = name
        self.err = open(os.path.join(logdir, "app-%s.log" % name), "w")
        script = script or os.path.join(HERE, "pcsc_app.py")
        self.p = subprocess.Popen(prefix + [PY, script],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=self.err, bufsize=0)
        self.buf = b""
        r = self.recv(30)
        if not r or not r.get("ready"):
            raise RuntimeError("%s: no PC/SC context: %s" % (name, r))

    def send(self, cmd):
        self.p.stdin.write((cmd + "\n").encode())

    def recv(self, timeout=60):
        end = time.monotonic() + timeout
        while b"\n" not in self.buf:
            left = end - time.monotonic()
            if left <= 0 or not select.select([self.p.stdout], [], [], left)[0]:
                return None
            chunk = os.read(self.p.stdout.fileno(), 65536)
            if not chunk:
                return None
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return json.loads(line)

    def call(self, cmd, timeout=60):
        self.send(cmd)
        return self.recv(timeout)

    def apdu(self, hexstr, timeout=60):
        r = self.call("transmit " + hexstr, timeout)
        return r.get("resp") if r and r.get("rv") == 0 else None

    def close(self):
        try:
            self.send("quit")
            self.p.stdin.close()
        except OSError:
            pass
        stop(self.p, timeout=10)


class Supervised:
    """A card emulator restarted whenever it exits, until stopped."""

    def __init__(self, argv, env, log):
        self.argv, self.env, self.log = argv, env, log
        self.p = None
        self.run = False
        self.lock = threading.Lock()
        self.t = None

    def start(self):
        with self.lock:
            self.run = True
            self.p = subprocess.Popen(self.argv, env=self.env, stdout=self.log,
                                      stderr=self.log)
        if not self.t:
            self.t = threading.Thread(target=self._watch, daemon=True)
            self.t.start()

    def _watch(self):
        while True:
            time.sleep(0.5)
            with self.lock:
                if self.run and self.p and self.p.poll() is not None:
                    self.log.write(b"supervisor: restarting\n")
                    self.p = subprocess.Popen(self.argv, env=self.env, stdout=self.log,
                                              stderr=self.log)

    def stop(self):
        with self.lock:
            self.run = False
            stop(self.p, signal.SIGKILL)


def client_namespace(conf, port, what):
    """A client machine's smart-card stack: the reader.conf of its vpcd
    (readers "Virtual PCD 00 00" on @port, "00 01" on @port + 1) in @conf,
    and a process holding a mount namespace with a /run/pcscd of its own
    (its pcscd and xfreerdp are started in it with nsenter)."""
    with open(os.path.join(conf, "vpcd"), "w") as f:
        f.write('FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:%d\n'
                'LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\n'
                'CHANNELID %d\n' % (port, port))
    holder = subprocess.Popen(
        ["unshare", "-m", "--propagation", "private", "--", "sh", "-c",
         "mount -t tmpfs none /run/pcscd && echo ok && exec sleep 100000"],
        stdout=subprocess.PIPE)
    if holder.stdout.readline().strip() != b"ok":
        raise RuntimeError("no private mount namespace for %s" % what)
    return holder


class Scene:
    def __init__(self, logdir, linger_ms=60000):
        self.logdir = logdir
        self.linger_ms = linger_ms
        self.procs = []
        self.apps = []
        self.clients = {}
        self.x = None
        self.holder = None

    def log(self, name):
        return open(os.path.join(self.logdir, name), "ab")

    def spawn(self, argv, logname, env=None, client_side=False):
        if client_side:
            argv = self.nsenter() + argv
        p = subprocess.Popen(argv, stdout=self.log(logname), stderr=subprocess.STDOUT,
                             env=env)
        self.procs.append(p)
        return p

    def nsenter(self):
        return ["nsenter", "-t", str(self.holder.pid), "-m", "--wd=" + TOP, "--"]

    # ---------------------------------------------------------- set up ---
    def start_server_side(self):
        conf = os.path.join(self.logdir, "server-reader.conf.d")
        os.makedirs(conf, exist_ok=True)
        with open(os.path.join(conf, "vscard"), "w") as f:
            f.write('FRIENDLYNAME "vscard"\nDEVICENAME /dev/vscard:pool=0:slots=4\n'
                    'LIBPATH %s\n' % os.path.join(BUILD, "ifd", "libifdvscard.so"))
        os.makedirs("/run/pcscd", exist_ok=True)
        self.pcscd = self.spawn(["pcscd", "-f", "-i", "-c", conf], "pcscd-server.log")
        if not wait_for(lambda: os.path.exists("/run/pcscd/pcscd.comm"), 30):
            raise RuntimeError("server pcscd did not start")
        self.x = Xvfb(self.logdir)
        self.port = free_port()
        agent = os.path.join(BUILD, "agent", "vscard-agent")
        self.server = self.spawn([SERVER, "--test-mode", "--port", str(self.port),
                                  "--agent", agent, "--pool", "0",
                                  "--linger-ms", str(self.linger_ms)] + agent_priv_args(),
                                 "rdp-server.log")
        if not wait_port(self.port, 60):
            raise RuntimeError("vscard-rdp-server does not listen")

    def start_client_side(self):
        conf = os.path.join(self.logdir, "client-reader.conf.d")
        shim = os.path.join(self.logdir, "shim")
        os.makedirs(conf, exist_ok=True)
        os.makedirs(shim, exist_ok=True)
        if not os.path.exists(os.path.join(shim, "Crypto")):
            os.symlink("/usr/lib/python3/dist-packages/Cryptodome",
                       os.path.join(shim, "Crypto"))
        self.holder = client_namespace(conf, VPCD_PORT, "the client side")
        self.spawn(["pcscd", "-f", "-c", conf], "pcscd-client.log", client_side=True)
        env = dict(os.environ, PYTHONPATH="/usr/lib/python3/site-packages/virtualsmartcard:"
                   + shim)
        self.vicc = Supervised(self.nsenter() + ["/usr/bin/vicc", "-t", "iso7816", "-P",
                                                 str(VPCD_PORT)], env, self.log("vicc.log"))
        self.minicc = Supervised(self.nsenter() + [PY, os.path.join(HERE, "minicc.py"),
                                                   "--port", str(VPCD_PORT + 1),
                                                   "--name", "cardB"],
                                 env, self.log("minicc.log"))
        time.sleep(1)
        self.vicc.start()
        self.minicc.start()

    def start(self):
        self.start_server_side()
        self.start_client_side()

    # ---------------------------------------------------------- actors ---
    def server_app(self, name):
        a = App([], self.logdir, "server-" + name)
        self.apps.append(a)
        return a

    def client_app(self, name):
        a = App(self.nsenter(), self.logdir, "client-" + name)
        self.apps.append(a)
        return a

    def connect(self, name, reader_filter, user="alice"):
        cmd = xfreerdp_cmd(self.port, user, name)
        cmd = [c for c in cmd if c != "/smartcard"] + ["/smartcard:" + reader_filter]
        env = dict(os.environ, DISPLAY=self.x.display)
        p = subprocess.Popen(self.nsenter() + cmd, env=env,
                             stdout=self.log("xfreerdp-%s.log" % name),
                             stderr=subprocess.STDOUT)
        self.clients[name] = p
        return p

    def kill_client(self, name):
        stop(self.clients.pop(name, None), signal.SIGKILL)

    # -------------------------------------------------------- tear down ---
    def stop(self):
        for a in self.apps:
            a.close()
        for name in list(self.clients):
            self.kill_client(name)
        for card in (getattr(self, "vicc", None), getattr(self, "minicc", None)):
            if card:
                card.stop()
        rc = {}
        # The server first: its agents get CHANNEL_CLOSE and exit.
        for name in ("server", "pcscd"):
            if hasattr(self, name):
                rc[name] = stop(getattr(self, name), timeout=30)
        for p in reversed(self.procs):
            stop(p)
        if self.holder:
            stop(self.holder, signal.SIGKILL)
        if self.x:
            self.x.close()
        return rc


def present_readers(app):
    """{reader: atr} of the readers with a card."""
    r = app.call("states")
    if not r or r.get("rv"):
        return {}
    return {k: v["atr"] for k, v in r["states"].items() if v["state"] & STATE_PRESENT}


def wait_present(app, want_atr=None, exclude=(), timeout=180):
    def look():
        for reader, atr in present_readers(app).items():
            if reader not in exclude and (want_atr is None or atr == want_atr):
                return reader
        return None
    return wait_for(look, timeout, step=0.5)


def run_apdus(app, reader):
    """SELECT, GET CHALLENGE, VERIFY on a fresh connection."""
    r = app.call("connect " + reader)
    if not r or r.get("rv"):
        return None
    out = [app.apdu(a) for a in (SELECT, GET_CHALLENGE, VERIFY)]
    app.call("disconnect")
    return out


def timed(app, apdu, n):
    """Seconds each of @n exchanges of @apdu took; a status word other
    than 9000 ends the bench."""
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        resp = app.apdu(apdu)
        out.append(time.perf_counter() - t0)
        if not resp or resp[-4:] != "9000":
            raise RuntimeError("bench APDU %s failed (%s): %s"
                               % (apdu, getattr(app, "name", "?"), resp))
    return out
