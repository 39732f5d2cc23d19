#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vscard test VM, stage 2 (PID 1 inside the overlay root): mount the usual
# filesystems, run the requested command, record its exit status, power off.
# Everything left in $out is visible on the host (tests/vm/run.sh).
out=/run/vscard-vm
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /run -o mode=755
mkdir -p $out
mount --move /.vm-out $out
. $out/env.sh
# A fresh /tmp, unless the checkout or the working directory lives under
# /tmp (a CI clone may): then keep the overlay's /tmp, which is writable and
# shows the host's files.
case "$VSCARD_TOP:$VM_CWD" in
/tmp/*|*:/tmp/*) ;;
*) mount -t tmpfs tmpfs /tmp -o mode=1777 ;;
esac
# Suites run build outputs as unprivileged users (ABI, trinity, sessions):
# make the checkout and its ancestors searchable by others, in the overlay
# only (a clone may live in a 0700 directory, as mktemp -d makes them).
d=$VSCARD_TOP
while [ -n "$d" ] && [ "$d" != / ]; do
	[ -d "$d" ] && chmod o+x "$d" 2>/dev/null
	d=${d%/*}
done
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
mkdir -p /dev/pts /dev/shm /run/pcscd /run/lock
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /dev/shm -o mode=1777 2>/dev/null
[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd
hostname vscard-vm
ip link set lo up 2>/dev/null

# The debug kernel has no RTC driver: take the host's clock.
date -s "@$VM_EPOCH" >/dev/null 2>&1
# Generous hung-task bound: requests may legitimately wait up to their
# timeout, but nothing may sit in D state for a minute.
echo 60 > /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null
export HOME=/root VM_OUT=$out VSCARD_VM=1 VSCARD_VM_KERNEL=$VM_KERNEL
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export LANG=C.UTF-8 TERM=${VM_TERM:-dumb}

kmemleak=/sys/kernel/debug/kmemleak
if [ "$VM_KMEMLEAK" = 1 ]; then
	if [ -w $kmemleak ] && echo clear > $kmemleak; then
		:
	else
		echo "vscard-vm: kmemleak requested but unavailable" > $out/kmemleak-unavailable
	fi
fi

cd "$VM_CWD" || cd /
if [ "$VM_SHELL" = 1 ]; then
	echo "vscard-vm: shell on $(uname -r); VM_OUT=$out; exit to power off"
	setsid bash -c 'exec bash -i </dev/ttyS0 >/dev/ttyS0 2>&1'
	rc=$?
else
	# The command's output goes to the shared directory (streamed by
	# run.sh) and to the console log, interleaved with kernel messages.
	set -o pipefail
	bash $out/cmd.sh </dev/null 2>&1 | tee $out/output.log >/dev/ttyS0
	rc=${PIPESTATUS[0]}
fi
echo "$rc" > $out/status

if [ "$VM_KMEMLEAK" = 1 ] && [ ! -e $out/kmemleak-unavailable ]; then
	# Objects younger than 5 s are never reported: scan twice, the
	# second starting at least 6 s after the first (a scan itself takes
	# 10-20 s under TCG, so there is rarely anything left to sleep).
	t0=$(date +%s)
	echo scan > $kmemleak
	left=$((t0 + 6 - $(date +%s)))
	[ "$left" -le 0 ] || sleep "$left"
	echo scan > $kmemleak
	cat $kmemleak > $out/kmemleak.log
fi
dmesg > $out/dmesg.log
sync
echo "vscard-vm: command exited with status $rc"
/bin/busybox reboot -f
