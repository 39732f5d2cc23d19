#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Runs inside the test VM (tests/suites/81-rdp-sessions.sh --guest): the
# installed layout, users alice (2001) and bob (2002), vscard.ko, then
# tests/sessions/rdp_sessions.py (two xfreerdp clients to
# vscard-rdp-server --sessions), then rmmod.  PASS:/FAIL: lines.
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
export O
tag=${TAG:-rdp-sessions}
export TAG=$tag
ko=${VSCARD_KO:-$O/kmod/6.1/vscard.ko}
export WORK=/tmp/s81
rc=0
pass() { echo "PASS: $tag: $*"; }
fail() { echo "FAIL: $tag: $*"; rc=1; }

# What the unprivileged users run must be readable by them: a 0755 copy.
mkdir -p $WORK && chmod 0755 $WORK
if install -m 0755 "$top/userspace/session/vscard-session" /usr/local/sbin/vscard-session &&
   install -m 0755 "$O/vscardctl/vscardctl" /usr/local/bin/vscardctl &&
   install -m 0755 "$O/tools/vscard-testcard" $WORK/vscard-testcard &&
   install -m 0644 "$top/tests/e2e/pcsc_app.py" "$top/tests/sessions/pcsc_check.py" $WORK/ &&
   "$top/userspace/ifd/install.sh" "$O/ifd/libifdvscard.so"; then
	pass "vscard-session, vscardctl and the IFD handler installed"
else
	fail "installation"
fi
# shellcheck source=tests/sessions/users.sh
. "$top/tests/sessions/users.sh"
if make_test_users; then
	pass "users alice (2001) and bob (2002) exist"
else
	fail "users alice and bob"
fi
if ! insmod "$ko" slots=2; then
	fail "insmod $ko slots=2"
	exit 1
fi
udevadm settle 2>/dev/null
/usr/bin/python3 "$top/tests/sessions/rdp_sessions.py" || rc=1
for _ in 1 2 3 4 5; do
	rmmod vscard 2>"$WORK/rmmod.err" && break
	sleep 1
done
if lsmod | grep -q '^vscard '; then
	fail "6: rmmod vscard after both sessions closed ($(cat "$WORK/rmmod.err"))"
else
	pass "6: rmmod vscard after both sessions closed"
fi
exit $rc
