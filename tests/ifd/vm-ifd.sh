#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Runs inside the test VM (tests/vm/run.sh): install libifdvscard.so into
# the overlay root, start a real pcscd with a private config dir BEFORE
# vscard.ko is loaded, load it, run tests/ifd/vm_ifd.py, restart pcscd
# under a bound slot, then check that rmmod works once pcscd has exited.
# PASS:/FAIL: lines.
kernel=${1:-6.1}
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
tag=ifd-vm-$kernel
ko=${VSCARD_KO:-$O/kmod/$kernel/vscard.ko}
out=${VM_OUT:-/tmp}
log=/tmp/pcscd.log
conf=/tmp/ifd-conf
rc=0
pass() { echo "PASS: $tag: $*"; }
fail() { echo "FAIL: $tag: $*"; rc=1; }
py() { TAG=$tag VSCARD_TESTCARD=$O/tools/vscard-testcard /usr/bin/python3 "$@"; }

# Installed the way an administrator would (the overlay root is writable).
if "$top/userspace/ifd/install.sh" "$O/ifd/libifdvscard.so" &&
   [ -f /usr/lib/pcsc/drivers/serial/libifdvscard.so ] &&
   [ -f /etc/reader.conf.d/vscard ]; then
	pass "install.sh puts the driver and its reader.conf.d entry in place"
else
	fail "install.sh"
	exit 1
fi
# A private config dir holding only our entry (no vpcd readers).
mkdir -p $conf && cp /etc/reader.conf.d/vscard $conf/

PCSCD=
start_pcscd() {
	rm -f /run/pcscd/pcscd.comm
	echo "=== pcscd start $(date +%T.%N)" >> $log
	pcscd -f -d -a -c $conf >> $log 2>&1 &
	PCSCD=$!
	for _ in $(seq 200); do
		[ -S /run/pcscd/pcscd.comm ] && return 0
		kill -0 $PCSCD 2>/dev/null || break
		sleep 0.1
	done
	return 1
}
stop_pcscd() {
	local i
	for i in $(seq 100); do
		kill -0 $PCSCD 2>/dev/null || break
		[ $((i % 20)) = 1 ] && kill -INT $PCSCD 2>/dev/null
		sleep 0.1
	done
	! kill -0 $PCSCD 2>/dev/null && wait $PCSCD 2>/dev/null
	! kill -0 $PCSCD 2>/dev/null
}
finish() {
	cp $log "$out/pcscd.log" 2>/dev/null
	exit $rc
}

# --- pcscd before the module: stable readers, all empty, no exit ---------
if start_pcscd; then
	pass "pcscd starts with the vscard entry while vscard.ko is not loaded"
else
	fail "pcscd did not start (see pcscd.log)"
	finish
fi
py - <<'PY'
from smartcard.scard import *
import os
tag = os.environ["TAG"]
hr, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
hr, r = SCardListReaders(ctx, [])
want = ["vscard 00 %02X" % i for i in range(4)]
print(("PASS" if r == want else "FAIL") + ": %s: no module: readers listed %s" % (tag, r))
hr, st = SCardGetStatusChange(ctx, 0, [(x, SCARD_STATE_UNAWARE) for x in want])
ok = hr == 0 and all(s & SCARD_STATE_EMPTY for _, s, _ in st)
print(("PASS" if ok else "FAIL") + ": %s: no module: every slot EMPTY" % tag)
PY
[ $? = 0 ] || rc=1

if ! insmod "$ko" slots=4; then
	fail "insmod $ko"
	stop_pcscd
	finish
fi
udevadm settle 2>/dev/null
for _ in $(seq 50); do [ -c /dev/vscard3 ] && break; sleep 0.1; done

# --- the main scenarios (the driver must pick up the nodes by itself) -----
IFD_PHASE=main IFD_CYCLES=${IFD_CYCLES:-1000} py "$top/tests/ifd/vm_ifd.py" || rc=1

# --- pcscd stop/start with a slot bound ----------------------------------
"$O/tools/vscard-testcard" --slot 0 --no-stdin --key restart > /tmp/tc-restart.log 2>&1 &
TC=$!
for _ in $(seq 100); do grep -q '^inserted' /tmp/tc-restart.log && break; sleep 0.1; done
if stop_pcscd; then
	pass "pcscd stops promptly on SIGINT with a slot bound (stop polling works)"
else
	fail "pcscd did not stop"
fi
if start_pcscd; then
	IFD_PHASE=bound py "$top/tests/ifd/vm_ifd.py" || rc=1
else
	fail "pcscd restart"
fi
stop_pcscd || fail "pcscd did not stop (2)"
kill $TC 2>/dev/null
wait $TC 2>/dev/null

# --- the kernel is left clean: rmmod works once pcscd has exited ---------
if rmmod vscard; then
	pass "rmmod vscard after pcscd exits"
else
	fail "rmmod vscard after pcscd exits"
	lsmod | grep vscard
fi

# --- pcscd's log: no error loops, no hotplug signalling ------------------
# ("Card not transacted" is pcscd logging an APDU that failed, which the
# kill -9 and swapped-card tests cause on purpose: counted, not a loop.)
n_err=$(grep -c 'Error communicating\|SendHotplugSignal' $log)
if [ "$n_err" = 0 ]; then
	pass "pcscd log: no 'Error communicating'/hotplug-signal loop"
else
	fail "pcscd log has $n_err error-loop lines"
	grep -m5 'Error communicating\|SendHotplugSignal' $log
fi
echo "info: $tag: pcscd logged $(grep -c 'Card not transacted' $log) failed APDUs (expected from the kill -9 and swap tests)"
n_unknown=$(grep -c 'unknown tag\|Open Port.*Failed' $log)
[ "$n_unknown" = 0 ] && pass "pcscd log: every slot opened" ||
	fail "pcscd log: $n_unknown open failures"
finish
