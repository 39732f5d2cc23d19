#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vscard.ko on the Debian stock kernels (6.1, 6.12) in QEMU: load with
# parameters, device nodes and their ownership, sysfs attributes, the
# ioctl and poll ABI of an unbound slot, the genetlink family, and unload
# rules (an open slot pins the module; closing it lets rmmod succeed).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
here=$top/tests/suites/21-module-load.sh

ok() { if "$@" >/dev/null 2>&1; then echo "PASS: $T"; else echo "FAIL: $T"; fi; }
nok() { if "$@" >/dev/null 2>&1; then echo "FAIL: $T"; else echo "PASS: $T"; fi; }

# Black-box checks of one slot through the ioctl ABI and poll(), and of the
# netlink family, with the Debian python (no vscard userspace needed).
pycheck() {
	/usr/bin/python3 - "$@" <<'PY'
import errno, fcntl, os, select, socket, struct, sys

k = sys.argv[1]
def ioc(d, nr, size):
    return (d << 30) | (size << 16) | (0xB8 << 8) | nr
STATUS = struct.Struct("=QQQIIIIII40s128s")
WAIT = struct.Struct("=QII")
XFER = struct.Struct("=QQIIIIQII")
R, W = 2, 1
IOC_VERSION = ioc(R, 0, 4)
IOC_GET_STATUS = ioc(R, 1, STATUS.size)
IOC_WAIT = ioc(R | W, 2, WAIT.size)
IOC_POWER = ioc(R | W, 3, XFER.size)
IOC_TRANSMIT = ioc(R | W, 4, XFER.size)

def res(name, cond):
    print("%s: module %s: %s" % ("PASS" if cond else "FAIL", k, name))

def err(fn):
    try:
        fn()
    except OSError as e:
        return e.errno
    return 0

fd = os.open("/dev/vscard1", os.O_RDWR)
buf = bytearray(4)
fcntl.ioctl(fd, IOC_VERSION, buf)
res("VERSION ioctl is 2.0", struct.unpack("=I", buf)[0] == 0x20000)
p = select.poll()
p.register(fd, select.POLLIN | select.POLLPRI | select.POLLOUT)
ev = p.poll(0)
res("fresh open polls readable", ev and ev[0][1] & select.POLLPRI)
st = bytearray(STATUS.size)
fcntl.ioctl(fd, IOC_GET_STATUS, st)
seq, ins, epoch, flags, pool, slot, protos, active, atr_len, atr, name = STATUS.unpack(st)
res("unbound slot status", flags == 0 and pool == 0 and slot == 1 and
    atr_len == 0 and epoch == 0 and seq != 0 and name[0] == 0)
res("status read: poll quiet, not writable while unbound", p.poll(0) == [])
w = bytearray(WAIT.pack(seq, 50, 0))
res("WAIT_STATUS times out without a change",
    err(lambda: fcntl.ioctl(fd, IOC_WAIT, w)) == errno.ETIMEDOUT)
w = bytearray(WAIT.pack(seq + 7, 60000, 0))
res("WAIT_STATUS returns at once on a stale seq",
    err(lambda: fcntl.ioctl(fd, IOC_WAIT, w)) == 0 and WAIT.unpack(w)[0] == seq)
w = bytearray(WAIT.pack(seq, 10, 1))
res("WAIT_STATUS rejects flags", err(lambda: fcntl.ioctl(fd, IOC_WAIT, w)) == errno.EINVAL)
rx = bytearray(64)
x = bytearray(XFER.pack(0, 0, 0, 64, 1, 100, 0, 0, 0))
res("POWER on an unbound slot: ENOMEDIUM",
    err(lambda: fcntl.ioctl(fd, IOC_POWER, x)) == errno.ENOMEDIUM)
x = bytearray(XFER.pack(0, 0, 0, 64, 9, 100, 0, 0, 0))
res("POWER with a bad code: EINVAL", err(lambda: fcntl.ioctl(fd, IOC_POWER, x)) == errno.EINVAL)
x = bytearray(XFER.pack(0, 0, 0, 64, 2, 100, 0, 0, 1))
res("xfer with reserved != 0: EINVAL", err(lambda: fcntl.ioctl(fd, IOC_TRANSMIT, x)) == errno.EINVAL)
x = bytearray(XFER.pack(0, 0, 65549, 64, 2, 100, 0, 0, 0))
res("xfer tx_len > VSCARD_DATA_MAX: EINVAL", err(lambda: fcntl.ioctl(fd, IOC_TRANSMIT, x)) == errno.EINVAL)
res("unknown ioctl: ENOTTY", err(lambda: fcntl.ioctl(fd, ioc(R, 0x3f, 4), bytearray(4))) == errno.ENOTTY)
os.close(fd)

# Generic netlink: resolve the family "vscard" through nlctrl.
s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 16)
name = b"vscard\0"
attr = struct.pack("=HH", 4 + len(name), 2) + name + b"\0" * ((4 - len(name) % 4) % 4)
msg = struct.pack("=BBH", 3, 1, 0) + attr
s.send(struct.pack("=IHHII", 16 + len(msg), 0x10, 1, 1, 0) + msg)
r = s.recv(65536)
mtype = struct.unpack_from("=H", r, 4)[0]
ver = None
off = 20
while off + 4 <= len(r):
    alen, atype = struct.unpack_from("=HH", r, off)
    if alen < 4:
        break
    if atype == 3:  # CTRL_ATTR_VERSION
        ver = struct.unpack_from("=I", r, off + 4)[0]
    off += (alen + 3) & ~3
res("genetlink family vscard registered, version 0x20000 (ABI 2.0)", mtype == 0x10 and ver == 0x20000)
PY
}

guest() {
	k=$1
	T="module $k: insmod slots=17 is refused"
	nok insmod build/kmod/$k/module/vscard.ko slots=17
	T="module $k: insmod slots=3 pool0_uid=12 pool0_gid=34"
	ok insmod build/kmod/$k/module/vscard.ko slots=3 pool0_uid=12 pool0_gid=34
	T="module $k: nodes vscard0..2 are char devices, 0660 12:34 (a group was given)"
	ok test "$(stat -c '%F %a %u:%g' /dev/vscard0 /dev/vscard1 /dev/vscard2 | sort -u)" = \
		"character special file 660 12:34"
	T="module $k: no vscard3"
	ok test ! -e /dev/vscard3 -a ! -e /sys/class/vscard/vscard3
	T="module $k: sysfs pool/slot/state/epoch/reader_name"
	ok test "$(cd /sys/class/vscard/vscard2 && cat pool slot state epoch insert_count pending | tr '\n' ' ')" = \
		"0 2 unbound 0 0 0 " -a -z "$(cat /sys/class/vscard/vscard2/reader_name)"
	T="module $k: sysfs stats"
	ok test "$(cat /sys/class/vscard/vscard0/stats/* | sort -u)" = 0
	pycheck "$k"
	exec 3<>/dev/vscard0
	T="module $k: rmmod refused while a slot is open"
	nok rmmod vscard
	exec 3>&-
	T="module $k: rmmod after the last close"
	ok rmmod vscard
	T="module $k: nodes gone after rmmod"
	ok test ! -e /dev/vscard0 -a ! -e /sys/class/vscard
	T="module $k: reload after unload"
	ok insmod build/kmod/$k/module/vscard.ko
	T="module $k: default pool 0 has 4 slots, root 0600"
	ok test "$(stat -c '%a %u:%g' /dev/vscard[0-3] | sort -u)" = "600 0:0" -a ! -e /dev/vscard4
	rmmod vscard
}

if [ "${1:-}" = --guest ]; then
	guest "$2"
	exit 0
fi

cd "$top" || exit 1
for k in 6.1 6.12; do
	if ! out=$(scripts/build-module.sh $k 2>&1); then
		echo "$out" | tail -20
		echo "FAIL: module $k: build"
		continue
	fi
	tests/vm/run.sh --kernel $k --timeout 600 --name module-load-$k -- "$here" --guest $k
	rc=$?
	if [ $rc = 0 ]; then
		echo "PASS: module $k: VM run without splat"
	else
		echo "FAIL: module $k: VM run (status $rc, see build/vm/module-load-$k)"
	fi
done
