#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Writes seed inputs for build/agent/fuzz_agent into DIR (or, with
--device DIR, for build/agent/fuzz_device): record streams (see
tests/agent/fuzz_agent.c and fuzz_device.c) that walk the monitor, a power
up, APDUs, control, attributes, a reset and timeouts with well-formed
returns, so the fuzzer starts deep in the state machine; the device-mode
seeds add DEVICE_ADD / DEVICE_REMOVE, raw framing and short completions."""
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fakerdp import NdrWriter, ret_long, multistring, ATR  # noqa: E402


def rec(kind, body):
    return struct.pack("<BH", kind, len(body)) + body


def comp(idx, out):
    return rec(1, bytes([idx]) + out)


def kreq(slot, rid, typ, code, rx_byte, data=b""):
    return rec(2, bytes([slot, rid, typ, code, rx_byte]) + data)


CTX = struct.pack("<Q", 0x100)
CARD = struct.pack("<Q", 0x500)
establish = NdrWriter().u32(0, 8).ref().conf(CTX).finish()
ms = multistring(["Reader A", "Reader B"])
listr = NdrWriter().u32(0, len(ms)).ref().conf(ms).finish()


def gsc(states):
    w = NdrWriter().u32(0, len(states)).ref().u32(len(states))
    for cur, ev, atr in states:
        w.u32(cur, ev, len(atr)).raw(atr.ljust(36, b"\0"))
    return w.finish()


gsc1 = gsc([(0, 2 << 16 | 2, b""), (0, 1 << 16 | 0x22, ATR), (0, 0x12, b"")])
connect = (NdrWriter().u32(0, 8).ref().u32(8).ref().u32(2)
           .conf(CTX).conf(CARD).finish())
names = multistring(["Reader A"])
status = (NdrWriter().u32(0, len(names)).ref().u32(6, 2).raw(ATR[:32].ljust(32, b"\0"))
          .u32(len(ATR)).conf(names).finish())
transmit = (NdrWriter().u32(0).ref().u32(4).ref().u32(2, 0, 0)
            .conf(b"\x01\x02\x90\x00").finish())
control = NdrWriter().u32(0, 6).ref().conf(b"\x12\x04\x00\x31\x35\x24").finish()

monitor = (comp(0, ret_long(0)) + comp(0, establish) + comp(0, listr) + comp(0, gsc1))
power = (kreq(0, 1, 1, 1, 20) + comp(1, establish) + comp(1, connect) +
         comp(1, ret_long(0)) + comp(1, status))
apdu = kreq(0, 2, 2, 2, 86, b"\x00\xa4\x04\x00") + comp(1, transmit)
ctl = kreq(0, 3, 3, 0xff, 80) + comp(1, control)
attr = kreq(0, 4, 4, 3, 12) + comp(1, NdrWriter().u32(0, 3).ref().conf(b"abc").finish())
down = kreq(0, 5, 1, 2, 0) + comp(1, ret_long(0)) + comp(1, ret_long(0))

# Device mode (fuzz_device.c): other record kinds for the same returns.
def dcomp(idx, out):
    return rec(1, bytes([idx]) + out)


def dkreq(slot, rid, typ, code, rx_byte, data=b""):
    return rec(4, bytes([slot, rid, typ, code, rx_byte]) + data)


def frame_bytes(ftype, payload):
    return struct.pack("<IHH", len(payload), ftype, 0) + payload


DEV_ADD = struct.pack("<II", 1, 0x20) + b"SCARD\0\0\0"
d_monitor = dcomp(0, ret_long(0)) + dcomp(0, establish) + dcomp(0, listr) + dcomp(0, gsc1)
d_power = (dkreq(0, 1, 1, 1, 20) + dcomp(1, establish) + dcomp(1, connect) +
           dcomp(1, ret_long(0)) + dcomp(1, status))
d_apdu = dkreq(0, 2, 2, 2, 86, b"\x00\xa4\x04\x00") + dcomp(1, transmit)
short_err = b"rDCI" + struct.pack("<III", 1, 1, 0xC000000E)
device_seeds = {
    "monitor": d_monitor,
    "apdu": d_monitor + d_power + d_apdu,
    "remove": d_monitor + d_power + dkreq(0, 2, 2, 2, 86, b"\x00\xb0")
    + rec(3, b"\x01" + struct.pack("<I", 1)) + rec(2, short_err)
    + rec(3, b"\x00" + DEV_ADD) + d_monitor,
    "readd": d_monitor + rec(3, b"\x00" + DEV_ADD)
    + rec(3, b"\x00" + struct.pack("<II", 2, 0x20) + b"SCARD\0\0\0") + d_monitor,
    "reset": d_monitor + d_power + rec(5, b"\x00") + d_monitor + rec(5, b"\x01")
    + rec(5, b"\x02") + d_monitor,
    "timeout": d_monitor + d_power + dkreq(0, 2, 2, 2, 86, b"\x00\xb0")
    + rec(5, b"\x03") + dcomp(1, transmit),
    "framing": rec(0, frame_bytes(7, struct.pack("<I", 1))
                   + frame_bytes(6, DEV_ADD)[:11])
    + rec(0, frame_bytes(6, DEV_ADD)[11:] + frame_bytes(9, short_err))
    + rec(0, struct.pack("<IHH", 0x7fffffff, 9, 0)),
    "hello": rec(5, b"\x04\x00\x00\x00\x00") + rec(6, b"\x03" + b"rDCC")
    + rec(6, b"\x08" + b"rDRI" + bytes(20)) + d_monitor,
}
seeds = {
    "monitor": monitor,
    "power": monitor + power,
    "apdu": monitor + power + apdu + ctl + attr + down,
    "reset": monitor + power + kreq(0, 2, 2, 2, 86, b"\x00\xb0") + rec(3, b"\x00") + monitor,
    "timeout": monitor + power + kreq(0, 2, 2, 2, 86, b"\x00\xb0") + rec(3, b"\x03")
    + comp(1, transmit),
    "remove": monitor + power + rec(0, b"rDMD" + struct.pack("<II", 1, 1)),
    "close": monitor + rec(3, b"\x01") + rec(3, b"\x02") + monitor,
}
if sys.argv[1] == "--device":
    out, seeds = sys.argv[2], device_seeds
else:
    out = sys.argv[1]
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, "seed-" + name), "wb") as f:
        f.write(data)
