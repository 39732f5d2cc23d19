#!/bin/bash
# SPDX-License-Identifier: MIT
#
# `make demo`: the end-to-end scene narrated for a person, in QEMU: a
# virtual card on an xfreerdp client shows up in the server's pcsc_scan,
# a server-side application exchanges APDUs with it, then everything is
# torn down and vscard.ko unloaded.
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
echo "Building vscard (module, agent, IFD handler, RDP server)..."
make -s userspace >/dev/null || exit 1
echo "Booting a QEMU guest (TCG: slow, about two minutes)..."
tests/e2e/vm.sh demo 2>&1 | grep -v -e ': logs in /run/' -e '^run.sh: '
exit "${PIPESTATUS[0]}"
