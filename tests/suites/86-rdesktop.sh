#!/bin/bash
# SPDX-License-Identifier: MIT
#
# rdesktop as a second RDP client (issue 15): Debian 12's rdesktop 1.9.0
# (`rdesktop -u USER -p PASS -r scard` under Xvfb, in the client side's
# mount namespace with its own pcscd, vpcd and vicc) logs a local user in
# through the patched xrdp of suite 85 (SmartcardExternal=true) in QEMU on
# the Debian 6.1 kernel; the user's vscard session runs the real
# vscard-agent (vscard-session pam --agent).  The card appears in the
# session, APDUs match the client side, removal and insertion reach a
# waiting SCardGetStatusChange, a killed and restarted rdesktop gets the
# same slot back, and no context of rdesktop's is left on the client's
# pcscd.  See tests/xrdp/rdesktop_e2e.py.
kernel=6.1
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. tests/vm/suite-lib.sh
O=${O:-$top/build}
tag=rdesktop
mkdir -p "$O/rdesktop"
start=$SECONDS
if ! out=$(scripts/build-xrdp.sh --install 2>"$O/rdesktop/xrdp-build.err"); then
	cat "$O/rdesktop/xrdp-build.err"
	echo "FAIL: $tag: scripts/build-xrdp.sh --install (see above)"
	exit 1
fi
echo "PASS: $tag: patched xrdp built and installed from $out ($((SECONDS - start)) s)"
for tool in rdesktop Xvfb Xvnc pcscd ss nsenter unshare setpriv /usr/bin/vicc; do
	command -v "$tool" >/dev/null ||
		{ echo "FAIL: $tag: $tool missing (scripts/install-deps.sh)"; exit 1; }
done
if ! [ -x "$O/agent/vscard-agent" ] || ! [ -e "$O/ifd/libifdvscard.so" ] ||
   ! [ -x "$O/vscardctl/vscardctl" ]; then
	echo "FAIL: $tag: vscard-agent, libifdvscard.so or vscardctl not built (make userspace)"
	exit 1
fi
# vscard.ko for the VM kernel: a private copy (build/kmod/ is shared).
kmod=$O/rdesktop/kmod-$kernel
private_module "$kernel" "$kmod" || exit 1
tests/vm/run.sh --kernel "$kernel" --timeout 900 --mem 2048 --name "$tag" -- \
	env TAG="$tag" O="$O" VSCARD_KO="$kmod/vscard.ko" \
	/usr/bin/python3 "$top/tests/xrdp/rdesktop_e2e.py"
vm_verdict $? && echo "PASS: $tag: no kernel splat on the console"
rc=$?
echo "$tag: wall time $((SECONDS - start)) s"
exit $rc
