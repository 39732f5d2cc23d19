#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Print the kernel build directory to build vscard.ko against: the running
# kernel's if its headers are installed, else Debian's stock 6.1 headers.
k=/lib/modules/$(uname -r)/build
if [ -d "$k" ]; then echo "$k"; exit 0; fi
v=$(cd /usr/src 2>/dev/null && ls -1d linux-headers-6.1.0-*-amd64 2>/dev/null | sort -V | tail -1)
[ -n "$v" ] && { echo "/usr/src/$v"; exit 0; }
echo "/lib/modules/$(uname -r)/build"
