#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build (or reuse) the stage-1 initramfs for a test VM; prints its path.
#   make-initramfs.sh {debug|6.1|6.12} [KERNEL_VERSION]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
kernel=$1 kver=${2:-}
out=$top/build/vm/initramfs-$kernel.cpio.gz
busybox=$(command -v busybox || echo /bin/busybox)
[ -x "$busybox" ] || { echo "make-initramfs: busybox-static missing" >&2; exit 1; }

stamp=$( (cat "$here/initramfs-init" "$0"; echo "$kver $here") | sha256sum | cut -c1-16)
if [ -f "$out" ] && [ "$(cat "$out.stamp" 2>/dev/null)" = "$stamp" ]; then
	echo "$out"; exit 0
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,proc,sys,dev,lib/modules}
cp "$busybox" "$root/bin/busybox"
cp "$here/initramfs-init" "$root/init"
chmod +x "$root/init"
echo "$here/guest-init.sh" > "$root/guest-init-path"
: > "$root/modules.order"
if [ -n "$kver" ]; then
	# The stock kernels build virtio, 9p and overlayfs as modules.
	for m in virtio_pci 9pnet_virtio 9p overlay; do
		modprobe -S "$kver" --show-depends "$m"
	done | awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++' |
	while read -r ko; do
		base=$(basename "$ko")
		case "$base" in
		*.ko.xz) xz -dc "$ko" > "$root/lib/modules/${base%.xz}"; base=${base%.xz} ;;
		*.ko.zst) zstd -qdc "$ko" > "$root/lib/modules/${base%.zst}"; base=${base%.zst} ;;
		*) cp "$ko" "$root/lib/modules/$base" ;;
		esac
		echo "$base" >> "$root/modules.order"
	done
fi
mkdir -p "$(dirname "$out")"
# Concurrent runs may build the same image: write privately, rename.
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) > "$out.tmp.$$"
mv "$out.tmp.$$" "$out"
echo "$stamp" > "$out.stamp.$$"
mv "$out.stamp.$$" "$out.stamp"
echo "$out"
