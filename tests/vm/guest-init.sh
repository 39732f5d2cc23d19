#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# vscard test VM, stage 2 (PID 1 inside the overlay root): mount the usual
# filesystems, run the requested command, record its exit status, power off.
out=/run/vscard-vm
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /run -o mode=755
mkdir -p $out
mount --move /.vm-out $out
mount -t tmpfs tmpfs /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mkdir -p /dev/pts /dev/shm /run/pcscd /run/lock
mount -t devpts devpts /dev/pts 2>/dev/null
mount -t tmpfs tmpfs /dev/shm 2>/dev/null
hostname vscard-vm
ip link set lo up 2>/dev/null
echo 30 > /proc/sys/kernel/hung_task_timeout_secs 2>/dev/null

. $out/env.sh
export HOME=/root VM_OUT=$out VSCARD_VM=1 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
kmemleak=/sys/kernel/debug/kmemleak
[ "$VM_KMEMLEAK" = 1 ] && [ -w $kmemleak ] && echo clear > $kmemleak

cd "$VM_CWD"
if [ "$VM_SHELL" = 1 ]; then
	setsid bash -c 'exec bash -i </dev/ttyS0 >/dev/ttyS0 2>&1'
	rc=$?
else
	set -o pipefail
	bash $out/cmd.sh 2>&1 | tee $out/output.log >/dev/ttyS0
	rc=${PIPESTATUS[0]}
fi
echo "$rc" > $out/status

if [ "$VM_KMEMLEAK" = 1 ] && [ -w $kmemleak ]; then
	echo scan > $kmemleak; sleep 6; echo scan > $kmemleak
	cat $kmemleak > $out/kmemleak.log
fi
dmesg > $out/dmesg.log
sync
echo "vscard-vm: command exited with status $rc"
/bin/busybox reboot -f
