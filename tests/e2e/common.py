# SPDX-License-Identifier: MIT
"""Shared helpers of the e2e harnesses: results, processes, Xvfb, ports."""
import os
import signal
import socket
import subprocess
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
BUILD = os.environ.get("O", os.path.join(TOP, "build"))
SERVER = os.path.join(BUILD, "rdp-server", "vscard-rdp-server")


def agent_priv_args():
    """vscard-rdp-server arguments for its agents when this runs as root
    (the VM) or with CAP_NET_ADMIN: the agent refuses those privileges
    unless told --allow-privileged."""
    priv = os.geteuid() == 0
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("CapEff:"):
                    priv = priv or bool(int(line.split()[1], 16) >> 12 & 1)
    except OSError:
        pass
    return ["--agent-arg=--allow-privileged"] if priv else []


def read_kv(path):
    """A KEY=VALUE file (vscard-session's state) as a dict; {} if absent."""
    out = {}
    try:
        with open(path) as f:
            for line in f:
                k, _, v = line.rstrip("\n").partition("=")
                out[k] = v
    except OSError:
        pass
    return out


class Results:
    def __init__(self, tag):
        self.tag = tag
        self.failed = 0
        self.passed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print("PASS: %s: %s" % (self.tag, what), flush=True)
        else:
            self.failed += 1
            print("FAIL: %s: %s%s" % (self.tag, what, (" (%s)" % detail) if detail else ""),
                  flush=True)
        return ok

    def skip(self, what, why):
        print("SKIP: %s: %s (%s)" % (self.tag, what, why), flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection(("127.0.0.1", port), 0.5).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def wait_for(pred, timeout, step=0.1):
    end = time.monotonic() + timeout
    while True:
        v = pred()
        if v or time.monotonic() >= end:
            return v
        time.sleep(step)


def stop(proc, sig=signal.SIGTERM, timeout=10.0):
    """Signal a process we started and reap it; returns its status."""
    if proc is None or proc.poll() is not None:
        return None if proc is None else proc.returncode
    try:
        proc.send_signal(sig)
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        return proc.wait(5)


class Xvfb:
    """A private X server for xfreerdp."""

    def __init__(self, logdir):
        self.proc = None
        for num in range(90, 140):
            if os.path.exists("/tmp/.X%d-lock" % num):
                continue
            log = open(os.path.join(logdir, "xvfb.log"), "w")
            self.proc = subprocess.Popen(
                ["Xvfb", ":%d" % num, "-screen", "0", "1024x768x24", "-nolisten", "tcp"],
                stdout=log, stderr=log)
            self.display = ":%d" % num
            if wait_for(lambda: os.path.exists("/tmp/.X11-unix/X%d" % num) or
                        self.proc.poll() is not None, 10) and self.proc.poll() is None:
                return
            stop(self.proc)
        raise RuntimeError("no Xvfb display")

    def close(self):
        stop(self.proc)


def xfreerdp_cmd(port, user, client_name, extra=()):
    return ["xfreerdp", "/v:127.0.0.1:%d" % port, "/u:%s" % user, "/p:secret",
            "/sec:tls", "/cert:ignore", "/smartcard", "/client-hostname:%s" % client_name,
            "/log-level:WARN"] + list(extra)
