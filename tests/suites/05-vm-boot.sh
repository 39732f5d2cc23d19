#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Self-test of the QEMU rig (tests/vm/run.sh): each kernel boots into this
# machine's userspace over 9p, shows the checkout, hands back files through
# $VM_OUT; a failing command, a hung guest and a kernel splat each make
# run.sh fail with the documented status.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
run=tests/vm/run.sh

verdict() {	# verdict NAME CONDITION...
	local name=$1; shift
	if "$@"; then echo "PASS: vm-boot: $name"; else echo "FAIL: vm-boot: $name"; fi
}

for k in 6.1 6.12 debug; do
	case $k in
	debug) want=$(cat "$(tests/vm/build-debug-kernel.sh)/include/config/kernel.release")
	       extra=--no-kmemleak ;;
	*) want=$(scripts/kernel-version.sh "$k"); extra= ;;
	esac
	name=boot-$k
	out=build/vm/$name/out
	t0=$SECONDS
	# The guest checks its own view; its exit status carries the result.
	$run --kernel "$k" --name "$name" $extra -- bash -c '
		set -e
		uname -r > "$VM_OUT/uname"
		test -f Makefile && test -d uapi      # the checkout, same path
		test -x /usr/bin/python3              # the host userspace
		touch Makefile                        # writable (tmpfs overlay)
		echo ok > "$VM_OUT/written"
		if [ "$VSCARD_VM_KERNEL" = debug ]; then
			test -d /sys/kernel/debug/kunit
			test -e /sys/kernel/debug/kmemleak
		fi'
	rc=$?
	echo "boot time of $k: $((SECONDS - t0)) s (boot, command, power off)"
	verdict "$k boots and runs a command (status $rc)" test "$rc" = 0
	verdict "$k is the expected kernel ($want)" \
		bash -c "[[ \"\$(cat $out/uname 2>/dev/null)\" == $want ]]"
	verdict "$k returns files through VM_OUT" grep -qx ok "$out/written"
done

$run --kernel 6.1 --name boot-false -- false
rc=$?
verdict "a failing command fails the run (false gave $rc)" test "$rc" = 1

$run --kernel 6.1 --name boot-timeout --timeout 20 -- sleep 300
rc=$?
verdict "a hung guest is killed at the timeout (status $rc)" test "$rc" = 124
verdict "no QEMU left behind after the timeout" \
	bash -c '! pgrep -f "path=$0/build/vm/boot-timeout/out" >/dev/null' "$top"

# sysrq-l prints a backtrace of every CPU ("Call Trace:") in the kernel log.
$run --kernel 6.1 --name boot-splat -- bash -c 'echo l > /proc/sysrq-trigger; sleep 1'
rc=$?
verdict "a kernel backtrace fails a successful command (status $rc)" test "$rc" = 125
