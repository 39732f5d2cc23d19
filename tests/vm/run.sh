#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Run a command inside a QEMU (TCG) guest booted with a chosen kernel, the
# host's root shared read-only over 9p under a tmpfs overlay.
#
#   tests/vm/run.sh --kernel {debug|6.1|6.12} [--timeout SEC] [--name NAME]
#                   [--mem MB] [--no-kmemleak] [--shell] -- CMD [ARGS...]
#
# The guest runs CMD as root in the current directory (same absolute path).
# $VM_OUT inside the guest is a writable directory shared with the host
# (build/vm/NAME/out).  Exit status: CMD's status; 124 on timeout; 125 if
# the kernel printed a splat (BUG, WARNING, KASAN, lockdep, kmemleak, hung
# task, ...) even when CMD succeeded; 126 for rig errors.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kernel=6.1 timeout=600 name= mem= kmemleak=1 shell=0
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--name) name=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--no-kmemleak) kmemleak=0; shift ;;
	--shell) shell=1; shift ;;
	--) shift; break ;;
	*) echo "run.sh: unknown option $1" >&2; exit 126 ;;
	esac
done
[ $# -gt 0 ] || [ "$shell" = 1 ] || { echo "run.sh: no command given" >&2; exit 126; }

die() { echo "run.sh: $*" >&2; exit 126; }

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
vmdir=$top/build/vm/$name
rm -rf "$vmdir"
mkdir -p "$vmdir/out"
chmod 777 "$vmdir/out"
initrd=$("$here/make-initramfs.sh" "$kernel" "$kver") || die "initramfs build failed"

{
	printf 'VM_CWD=%q\nVM_KMEMLEAK=%s\nVM_SHELL=%s\n' "$PWD" "$kmemleak" "$shell"
	printf 'export VSCARD_TOP=%q\n' "$top"
} > "$vmdir/out/env.sh"
printf '%q ' "$@" > "$vmdir/out/cmd.sh"
echo >> "$vmdir/out/cmd.sh"

console=$vmdir/console.log
append="console=ttyS0 loglevel=7 panic=-1 oops=panic rdinit=/init"
[ "$kernel" = debug ] && append="$append kmemleak=on"
append="$append softlockup_panic=0 hung_task_panic=0"
qemu=(qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m "$mem" -nographic
	-no-reboot -monitor none -nodefaults
	-kernel "$bzimage" -initrd "$initrd" -append "$append"
	-virtfs "local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap,id=hostroot"
	-virtfs "local,path=$vmdir/out,mount_tag=vmout,security_model=none,id=vmout"
	-device virtio-rng-pci)

if [ "$shell" = 1 ]; then
	exec "${qemu[@]}" -serial mon:stdio
fi

rc=0
timeout --foreground -k 5 "$timeout" "${qemu[@]}" -serial "file:$console" </dev/null >"$vmdir/qemu.log" 2>&1 || rc=$?
[ -f "$vmdir/out/output.log" ] && cat "$vmdir/out/output.log"
if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
	echo "run.sh: VM timed out after $timeout s (console: $console)" >&2
	exit 124
fi
[ -f "$vmdir/out/status" ] || { echo "run.sh: the guest did not finish (console: $console)" >&2; tail -30 "$console" >&2; exit 126; }
status=$(cat "$vmdir/out/status")

splat=$("$here/find-splats.sh" "$console" "$vmdir/out/dmesg.log" "$vmdir/out/kmemleak.log" || true)
if [ -n "$splat" ]; then
	echo "run.sh: kernel splat in $name (console: $console):" >&2
	echo "$splat" | sed 's/^/SPLAT: /' >&2
	exit 125
fi
exit "$status"
