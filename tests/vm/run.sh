#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a command inside a QEMU (TCG) guest booted with a chosen kernel, the
# host's root shared read-only over 9p under a tmpfs overlay.
#
#   tests/vm/run.sh --kernel {debug|6.1|6.12} [--timeout SEC] [--name NAME]
#                   [--mem MB] [--no-kmemleak] [--shell] -- CMD [ARGS...]
#
# The guest runs this machine's own userspace; CMD runs as root in the
# current directory (same absolute path; writes there are discarded).
# $VM_OUT inside the guest is a writable directory shared with the host
# (build/vm/NAME/out, printed on stderr); the console log is saved as
# build/vm/NAME/console.log.  CMD's output is streamed to stdout.
#
# Exit status: CMD's status if the kernel stayed clean; 125 if the kernel
# printed a splat (BUG, WARNING, Oops, KASAN, lockdep, hung task, RCU stall,
# kmemleak report, ...) even when CMD succeeded; 124 on timeout (QEMU is
# killed); 126 for rig errors.  On the debug kernel the kmemleak procedure
# runs around CMD (clear before; two scans 6 s apart after) unless
# --no-kmemleak is given.  --shell gives an interactive shell instead.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kernel=6.1 timeout=600 name= mem= kmemleak=1 shell=0
usage() { sed -n '5,8p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 126; }
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=${2:?}; shift 2 ;;
	--timeout) timeout=${2:?}; shift 2 ;;
	--name) name=${2:?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--no-kmemleak) kmemleak=0; shift ;;
	--shell) shell=1; shift ;;
	-h|--help) usage ;;
	--) shift; break ;;
	*) echo "run.sh: unknown option $1" >&2; usage ;;
	esac
done
[ $# -gt 0 ] || [ "$shell" = 1 ] || { echo "run.sh: no command given" >&2; usage; }
case "$timeout" in ''|*[!0-9]*) echo "run.sh: bad --timeout '$timeout'" >&2; exit 126 ;; esac

die() { echo "run.sh: $*" >&2; exit 126; }
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 missing (run scripts/install-deps.sh)"

case "$kernel" in
debug)
	kdir=$("$here/build-debug-kernel.sh") || die "debug kernel build failed"
	bzimage=$kdir/arch/x86/boot/bzImage kver= ; mem=${mem:-2048} ;;
6.1|6.12)
	kver=$("$top/scripts/kernel-version.sh" "$kernel") || die "no Debian $kernel kernel installed"
	bzimage=/boot/vmlinuz-$kver; kmemleak=0; mem=${mem:-1024} ;;
*) die "unknown kernel '$kernel' (debug, 6.1, 6.12)" ;;
esac
[ -r "$bzimage" ] || die "kernel image $bzimage missing (run scripts/install-deps.sh)"

name=${name:-$kernel-$$}
case "$name" in */*|.*) die "bad --name '$name'" ;; esac
vmdir=$top/build/vm/$name
# Two runs with the same name (e.g. two `make check` in one tree) take
# turns instead of wiping each other's output directory.
mkdir -p "$top/build/vm"
exec 8>"$top/build/vm/.$name.lock"
if ! flock -n 8; then
	echo "run.sh: waiting for another run named $name" >&2
	flock 8
fi
rm -rf "$vmdir"
mkdir -p "$vmdir/out"
chmod 777 "$vmdir/out"
initrd=$("$here/make-initramfs.sh" "$kernel" "$kver") || die "initramfs build failed"

{
	printf 'VM_CWD=%q\nVM_KMEMLEAK=%s\nVM_SHELL=%s\nVM_KERNEL=%q\nVM_EPOCH=%s\n' \
		"$PWD" "$kmemleak" "$shell" "$kernel" "$(date +%s)"
	[ "$shell" = 1 ] && printf 'VM_TERM=%q\n' "${TERM:-dumb}"
	printf 'export VSCARD_TOP=%q\n' "$top"
} > "$vmdir/out/env.sh"
if [ $# -gt 0 ]; then printf '%q ' "$@"; echo; fi > "$vmdir/out/cmd.sh"

console=$vmdir/console.log
# Generous stall bounds: TCG guests on a busy 2-core host run slowly.
append="console=ttyS0 loglevel=7 panic=-1 oops=panic rdinit=/init"
append="$append softlockup_panic=0 hung_task_panic=0 watchdog_thresh=30"
append="$append rcupdate.rcu_cpu_stall_timeout=60"
[ "$kernel" = debug ] && append="$append kmemleak=on"
# Extra kernel parameters (benchmarks: e.g. idle=poll).
[ -n "${VM_APPEND:-}" ] && append="$append $VM_APPEND"
# KVM is never used: it hangs on the project's build machines.
qemu=(qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m "$mem" -nographic
	-no-reboot -monitor none -nodefaults
	-kernel "$bzimage" -initrd "$initrd" -append "$append"
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap,id=hostroot"
	-virtfs "local,path=$vmdir/out,mount_tag=vmout,security_model=none,id=vmout"
	-device virtio-rng-pci)

echo "run.sh: $name: kernel $kernel, VM_OUT=$vmdir/out" >&2
if [ "$shell" = 1 ]; then
	"${qemu[@]}" -serial mon:stdio || true
	exit 0
fi

start=$SECONDS
# A guest that dies before its command starts (no output.log) is booted
# once more: QEMU 7.2's TCG sometimes runs a stale translation of kernel
# text the boot is live-patching (an "Oops: int3" in a static-key flip on
# the stock 6.12 kernel), which has nothing to do with the code under test.
for boot in 1 2; do
	timeout -k 5 "$timeout" "${qemu[@]}" -serial "file:$console" \
		</dev/null >"$vmdir/qemu.log" 2>&1 &
	qpid=$!
	trap 'kill $qpid 2>/dev/null || true' EXIT
	# Stream the command's output while the guest runs; tail exits with QEMU.
	tail -n +1 -F --pid=$qpid "$vmdir/out/output.log" 2>/dev/null || true
	rc=0
	wait $qpid || rc=$?
	trap - EXIT
	if [ "$boot" = 1 ] && [ "$rc" != 124 ] && [ "$rc" != 137 ] &&
	   [ ! -e "$vmdir/out/output.log" ] && [ ! -e "$vmdir/out/status" ]; then
		mv "$console" "$vmdir/console-boot1.log"
		echo "run.sh: $name: the guest died while booting (console-boot1.log: $(grep -m1 -E 'Oops|BUG|panic' "$vmdir/console-boot1.log" || echo '?')); booting again" >&2
		continue
	fi
	break
done
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	echo "run.sh: VM timed out after $timeout s (console: $console)" >&2
	exit 124
fi
[ -f "$vmdir/out/status" ] || {
	echo "run.sh: the guest did not finish (QEMU status $rc; console: $console)" >&2
	tail -30 "$console" >&2
	cat "$vmdir/qemu.log" >&2
	exit 126
}
status=$(cat "$vmdir/out/status")

splat=$("$here/find-splats.sh" "$console" "$vmdir/out/dmesg.log" || true)
if [ -s "$vmdir/out/kmemleak.log" ]; then
	splat+=$'\n'$(grep -E 'unreferenced object|comm "|backtrace|^ +\[' "$vmdir/out/kmemleak.log" | head -20)
fi
if [ -n "$splat" ]; then
	echo "run.sh: kernel splat in $name (console: $console):" >&2
	sed '/^$/d; s/^/SPLAT: /' <<<"$splat" | awk '!seen[$0]++' | head -60 >&2
	exit 125
fi
[ ! -e "$vmdir/out/kmemleak-unavailable" ] || die "kmemleak unavailable on the debug kernel"
echo "run.sh: $name: status $status after $((SECONDS - start)) s" >&2
exit "$status"
