#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""vscard-agent against the real FreeRDP client, on the host, no kernel.

    xfreerdp /smartcard -> vscard-rdp-server -> vscard-agent --fake-kernel-fd
    (client side: private mount namespace, pcscd + vpcd + vicc card)

The agent is started by vscard-rdp-server through a small wrapper that
connects its fake-kernel seam to this script, which then plays the kernel:
it sees BIND/CARD, sends POWER UP and an APDU and checks the answers that
come back from the vicc card through FreeRDP's (strict) smart-card code.
PASS:/FAIL:/SKIP: lines.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
O = os.environ.get("O", os.path.join(TOP, "build"))
AGENT = os.environ.get("VSCARD_AGENT", os.path.join(O, "agent", "vscard-agent-san"))
SERVER = os.path.join(O, "rdp-server", "vscard-rdp-server")
VPCD_PORT = 35996
TAG = "agent-xfreerdp"
# As root (CI, the VM) the agent needs --allow-privileged (fakerdp.py).
sys.path.insert(0, HERE)
from fakerdp import privileged  # noqa: E402
PRIV_ARGS = ["--agent-arg=--allow-privileged"] if privileged() else []
failed = 0


def result(ok, what, detail=""):
    global failed
    print("%s: %s: %s%s" % ("PASS" if ok else "FAIL", TAG, what,
                            (" (%s)" % detail) if detail and not ok else ""), flush=True)
    failed += not ok


def skip(why):
    print("SKIP: %s: %s" % (TAG, why), flush=True)
    sys.exit(0)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wait_for(pred, timeout, step=0.1):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def stop(p, sig=signal.SIGTERM):
    if p and p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(5)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


WRAPPER = r'''#!/usr/bin/python3
import os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(%r)
fd = os.dup(s.fileno())
os.set_inheritable(fd, True)
os.execv(%r, [%r] + sys.argv[1:] + ["--fake-kernel-fd", str(fd), "-v"])
'''


class Kernel:
    """The fake kernel end: lines from the agent, requests to it."""

    def __init__(self, path):
        self.srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.srv.bind(path)
        self.srv.listen(4)
        self.srv.settimeout(0.1)
        self.conn = None
        self.buf = b""
        self.lines = []

    def poll(self, timeout=0.1):
        if not self.conn:
            try:
                self.conn, _ = self.srv.accept()
                self.conn.settimeout(0.1)
            except socket.timeout:
                return
        try:
            d = self.conn.recv(65536)
            self.buf += d
        except socket.timeout:
            pass
        while b"\n" in self.buf:
            line, self.buf = self.buf.split(b"\n", 1)
            self.lines.append(line.decode(errors="replace"))

    def wait(self, pred, timeout):
        end = time.time() + timeout
        while time.time() < end:
            self.poll()
            if pred():
                return True
        return pred()

    def send(self, line):
        self.conn.sendall(line.encode() + b"\n")

    def done(self, req):
        return [l.split() for l in self.lines if l.startswith("DONE ") and l.split()[2] == str(req)]


def main():
    for tool in ("xfreerdp", "Xvfb", "pcscd", "unshare", "nsenter", "/usr/bin/vicc"):
        if not shutil.which(tool):
            skip("%s not installed" % tool)
    if not os.path.exists("/usr/lib/pcsc/drivers/serial/libifdvpcd.so"):
        skip("vsmartcard-vpcd not installed")
    if not (os.access(SERVER, os.X_OK) and os.access(AGENT, os.X_OK)):
        skip("vscard-rdp-server or vscard-agent not built")
    if os.geteuid() != 0:
        skip("needs root (mount namespace for the client pcscd)")
    tmp = tempfile.mkdtemp(prefix="agent-xfreerdp.")
    procs = []

    def log(name):
        return open(os.path.join(tmp, name), "w")

    try:
        kern = Kernel(os.path.join(tmp, "kernel.sock"))
        wrap = os.path.join(tmp, "agent-wrapper")
        with open(wrap, "w") as f:
            f.write(WRAPPER % (os.path.join(tmp, "kernel.sock"), AGENT, AGENT))
        os.chmod(wrap, 0o755)
        port = free_port()
        server = subprocess.Popen([SERVER, "--test-mode", "--port", str(port), "--agent", wrap,
                                   "--linger-ms", "1000"] + PRIV_ARGS,
                                  stdout=log("rdp-server.log"), stderr=subprocess.STDOUT)
        procs.append(server)
        # client side
        conf = os.path.join(tmp, "conf")
        shim = os.path.join(tmp, "shim")
        os.makedirs(conf)
        os.makedirs(shim)
        os.symlink("/usr/lib/python3/dist-packages/Cryptodome", os.path.join(shim, "Crypto"))
        with open(os.path.join(conf, "vpcd"), "w") as f:
            f.write('FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:%d\n'
                    'LIBPATH /usr/lib/pcsc/drivers/serial/libifdvpcd.so\nCHANNELID %d\n'
                    % (VPCD_PORT, VPCD_PORT))
        # pcscd's runtime directory exists only once a pcscd (or its
        # systemd socket) ran: a fresh machine has none to mount over.
        os.makedirs("/run/pcscd", exist_ok=True)
        holder = subprocess.Popen(["unshare", "-m", "--propagation", "private", "--", "sh",
                                   "-c", "mount -t tmpfs none /run/pcscd && echo ok && "
                                   "exec sleep 100000"], stdout=subprocess.PIPE)
        procs.append(holder)
        if holder.stdout.readline().strip() != b"ok":
            skip("no private mount namespace")
        ns = ["nsenter", "-t", str(holder.pid), "-m", "--"]
        procs.append(subprocess.Popen(ns + ["pcscd", "-f", "-c", conf],
                                      stdout=log("pcscd-client.log"), stderr=subprocess.STDOUT))
        time.sleep(1)
        env = dict(os.environ, PYTHONPATH="/usr/lib/python3/site-packages/virtualsmartcard:"
                   + shim)
        procs.append(subprocess.Popen(ns + ["/usr/bin/vicc", "-t", "iso7816", "-P",
                                            str(VPCD_PORT)], env=env,
                                      stdout=log("vicc.log"), stderr=subprocess.STDOUT))
        disp = None
        for num in range(150, 190):
            if not os.path.exists("/tmp/.X%d-lock" % num):
                disp = num
                break
        x = subprocess.Popen(["Xvfb", ":%d" % disp, "-screen", "0", "800x600x24",
                              "-nolisten", "tcp"], stdout=log("xvfb.log"),
                             stderr=subprocess.STDOUT)
        procs.append(x)
        wait_for(lambda: os.path.exists("/tmp/.X11-unix/X%d" % disp), 10)
        time.sleep(2)       # vicc connects to vpcd
        client = subprocess.Popen(ns + ["xfreerdp", "/v:127.0.0.1:%d" % port, "/u:alice",
                                        "/p:secret", "/sec:tls", "/cert:ignore", "/smartcard",
                                        "/log-level:WARN"],
                                  env=dict(os.environ, DISPLAY=":%d" % disp),
                                  stdout=log("xfreerdp.log"), stderr=subprocess.STDOUT)
        procs.append(client)
        ok = kern.wait(lambda: any(l.startswith("CARD ") and l.split()[2] == "1"
                                   for l in kern.lines), 60)
        result(ok, "xfreerdp: the agent binds the remote vpcd reader and sees the vicc card",
               str(kern.lines))
        if not ok:
            return
        bind = [l for l in kern.lines if l.startswith("BIND ")][0].split(" ", 3)
        slot = [l for l in kern.lines if l.startswith("CARD ")][-1].split()
        result(bind[3] == "Virtual PCD 00 00" and slot[3] == "3b951381018073ff01000b",
               "remote reader name and ATR as the client's pcscd reports them", str(bind + slot))
        kern.send("REQ %s 1 1 1 64 -" % slot[1])
        kern.wait(lambda: kern.done(1), 20)
        d = kern.done(1)
        result(d and d[0][3] == "0" and d[0][6] == "3b951381018073ff01000b",
               "POWER UP through FreeRDP: ConnectW + BeginTransaction + StatusW accepted", str(d))
        kern.send("REQ %s 2 2 %s 258 00a4000c023f00" % (slot[1], d[0][5] if d else "1"))
        kern.wait(lambda: kern.done(2), 20)
        d = kern.done(2)
        result(d and d[0][3] == "0" and d[0][6].endswith("9000"),
               "APDU SELECT MF through FreeRDP's Transmit -> 9000", str(d))
        kern.send("REQ %s 3 2 %s 258 0084000008" % (slot[1], kern.done(1)[0][5]))
        kern.wait(lambda: kern.done(3), 20)
        d = kern.done(3)
        result(d and d[0][3] == "0" and len(d[0][6]) == 20 and d[0][6].endswith("9000"),
               "GET CHALLENGE 8 through FreeRDP -> 8 bytes + 9000", str(d))
        kern.send("REQ %s 4 1 2 0 -" % slot[1])
        kern.wait(lambda: kern.done(4), 20)
        d = kern.done(4)
        result(d and d[0][3] == "0", "POWER DOWN: EndTransaction + Disconnect accepted", str(d))
        stop(client, signal.SIGKILL)
        ok = kern.wait(lambda: any(l.startswith("UNBIND ") for l in kern.lines), 20)
        result(ok, "client killed: the slot is unbound with linger", str(kern.lines[-3:]))
        agent_log = open(os.path.join(tmp, "rdp-server.log")).read()
        result("AddressSanitizer" not in agent_log and "runtime error" not in agent_log,
               "no sanitizer report from the agent")
    finally:
        for p in reversed(procs):
            stop(p)
        if failed or os.environ.get("KEEP_LOGS"):
            print("logs kept in %s" % tmp, file=sys.stderr)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


main()
sys.exit(1 if failed else 0)
