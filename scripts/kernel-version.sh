#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print the newest installed Debian kernel version of a series: 6.1 or 6.12.
set -euo pipefail
case "${1:?usage: kernel-version.sh 6.1|6.12}" in
6.1) pat='6.1.0-*-amd64' ;;
6.12) pat='6.12.*+deb12-amd64' ;;
*) echo "kernel-version: unknown series $1" >&2; exit 1 ;;
esac
v=$(cd /boot && ls -1 vmlinuz-$pat 2>/dev/null | sed 's/^vmlinuz-//' | sort -V | tail -1)
[ -n "$v" ] || { echo "kernel-version: no $1 kernel in /boot" >&2; exit 1; }
echo "$v"
