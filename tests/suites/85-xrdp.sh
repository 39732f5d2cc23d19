#!/bin/bash
# SPDX-License-Identifier: MIT
#
# xrdp (issue 14): Debian 12's xrdp with integrations/xrdp/ applied (built
# and cached by scripts/build-xrdp.sh, installed on the host, whose root
# the VM runs), in QEMU on the Debian 6.1 kernel: local users log in with
# passwords through xfreerdp /smartcard /drive into Xvnc sessions.  With
# SmartcardExternal=true chansrv hands the client's smart-card device to
# the agent socket (a scripted stub agent, tests/xrdp/stub_agent.py) while
# drives keep working; with the switch off the same build behaves as stock
# xrdp; then with the real vscard-agent, opened by xrdp-sesman's PAM
# session stack (pam_exec vscard-session pam --agent), carol's and dave's
# PC/SC applications use their own client's card (APDUs, removal and
# insertion, a reconnect keeping the context, two users at once) and their
# logout leaves nothing.  See tests/xrdp/xrdp_e2e.py.
kernel=6.1
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. tests/vm/suite-lib.sh
O=${O:-$top/build}
tag=xrdp
mkdir -p "$O"
start=$SECONDS
if ! out=$(scripts/build-xrdp.sh --install 2>"$O/xrdp-build.err"); then
	cat "$O/xrdp-build.err"
	echo "FAIL: $tag: scripts/build-xrdp.sh --install (see above)"
	exit 1
fi
echo "PASS: $tag: patched xrdp built and installed from $out ($((SECONDS - start)) s)"
for tool in xfreerdp Xvfb Xvnc pcscd nsenter unshare setpriv /usr/bin/vicc; do
	command -v "$tool" >/dev/null ||
		{ echo "FAIL: $tag: $tool missing (scripts/install-deps.sh)"; exit 1; }
done
# The real agent's phase (carol): vscard.ko for the VM kernel, a private
# copy (build/kmod/ is shared with other suites), and the userspace build.
ko=
kmod=$O/xrdp/kmod-$kernel
if [ -x "$O/agent/vscard-agent" ] && [ -e "$O/ifd/libifdvscard.so" ] &&
   [ -x "$O/vscardctl/vscardctl" ]; then
	private_module "$kernel" "$kmod" && ko=$kmod/vscard.ko
else
	echo "FAIL: $tag: vscard-agent, libifdvscard.so or vscardctl not built (make userspace)"
fi
tests/vm/run.sh --kernel "$kernel" --timeout 1500 --mem 2048 --name "$tag" -- \
	env TAG="$tag" O="$O" VSCARD_KO="$ko" /usr/bin/python3 "$top/tests/xrdp/xrdp_e2e.py"
vm_verdict $? && echo "PASS: $tag: no kernel splat on the console"
