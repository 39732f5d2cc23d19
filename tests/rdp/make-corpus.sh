#!/bin/bash
# SPDX-License-Identifier: MIT
# Seed corpus for fuzz_rdp from the shared byte vectors: each vector becomes
# an RDPDR input (prefix 01), each RDPESC buffer an input for its IOCTL
# (prefix 02 <index>), plus a few svcport streams (prefix 00).
set -euo pipefail
out=${1:?usage: make-corpus.sh OUTDIR}
top=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
vecdir=${RDP_VECTORS_DIR:-$top/tests/rdp/vectors}
[ -d "$vecdir" ] || { echo "make-corpus: no vectors at $vecdir" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out"
# IOCTL order must match decode_all_ioctls[] in decode_all.c
ioctls=(00090014 00090018 0009001c 00090020 00090024 00090028 0009002c 00090098
	000900a0 000900a4 000900a8 000900ac 000900b0 000900b4 000900b8 000900bc
	000900c0 000900c4 000900c8 000900cc 000900d0 000900d4 000900d8 000900dc
	000900e0 00090100 00090104 00090108)
hexbytes() { grep -v '^#' "$1" | tr -d ' \n'; }
unhex() { printf '%b' "$(sed 's/../\\x&/g' <<< "$1")"; }
n=0
for f in "$vecdir"/*.hex; do
	name=$(basename "$f" .hex)
	hex=$(hexbytes "$f")
	unhex "01$hex" > "$out/rdpdr-$name"
	code=$(sed -n 's/^# IoControlCode: 0x\([0-9A-Fa-f]\{8\}\).*/\1/p' "$f" | tr A-F a-f)
	[ -n "$code" ] || continue
	for i in "${!ioctls[@]}"; do
		[ "${ioctls[$i]}" = "$code" ] || continue
		body=$hex
		# whole DR_CONTROL_REQ: strip the 56-byte header
		case $hex in 72445249*) body=${hex:112} ;; esac
		case $hex in 72444349*) body=${hex:40} ;; esac
		unhex "$(printf '02%02x' "$i")$body" > "$out/esc-$name"
		n=$((n + 1))
	done
done
# svcport: HELLO, CHANNEL_OPEN, DATA(server announce), RESET with chunk bytes
unhex "003f0c000000010000000100000000000000746573743f0a000000020000000100030061626304000500726470647220100000000300000072446e4901000c00010000000000000005000000" > "$out/svcport-stream"
echo "make-corpus: $(ls "$out" | wc -l) files ($n RDPESC) in $out"
