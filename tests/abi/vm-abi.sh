#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Runs inside the test VM (tests/vm/run.sh): load vscard.ko for kernel $1,
# run the C ABI tests (groups $2..., default set if none), vscardctl and
# vscard-testcard checks, then rmmod.  Prints PASS:/FAIL: lines.
kernel=${1:?usage: vm-abi.sh KERNEL [GROUP...]}
shift
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
tag=abi-$kernel
ctl=$O/vscardctl/vscardctl
card=$O/tools/vscard-testcard
rc=0
pass() { echo "PASS: $tag: $*"; }
fail() { echo "FAIL: $tag: $*"; rc=1; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

ko=${VSCARD_KO:-$O/kmod/$kernel/vscard.ko}
if ! insmod "$ko" slots=8; then
	fail "insmod $ko slots=8"
	exit 1
fi
pass "insmod vscard.ko slots=8"
udevadm settle 2>/dev/null
check "8 device nodes /dev/vscard0..7" test -c /dev/vscard0 -a -c /dev/vscard7
check "sysfs pool/slot attributes of vscard3" \
	test "$(cat /sys/class/vscard/vscard3/pool 2>/dev/null)/$(cat /sys/class/vscard/vscard3/slot 2>/dev/null)" = 0/3

"$O/abi/abi_test" --prefix "$tag" "$@" || rc=1

# ---- vscardctl ----
out=$("$ctl" pools) && echo "$out" | grep -Eq '^0 +8 ' ; check "vscardctl pools lists pool 0 with 8 slots" test $? = 0
n=$("$ctl" --json slots --pool 0 | /usr/bin/python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')
check "vscardctl --json slots --pool 0 is valid JSON with 8 slots ($n)" test "$n" = 8
"$ctl" show 0 99 >/dev/null 2>&1; r=$?
check "vscardctl show of a missing slot exits 1 ($r)" test $r = 1
"$ctl" frobnicate >/dev/null 2>&1; r=$?
check "vscardctl with an unknown command exits 2 ($r)" test $r = 2
pool=$("$ctl" pool-new --slots 2 --uid 1000 --gid 1000)
check "vscardctl pool-new --slots 2 --uid 1000 --gid 1000 -> pool '$pool'" test -n "$pool"
if [ -n "$pool" ]; then
	minor=$("$ctl" --json show "$pool" 1 | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["minor"])')
	udevadm settle 2>/dev/null
	owner=$(stat -c '%a %u:%g' "/dev/vscard$minor" 2>/dev/null)
	check "pool $pool slot 1 is /dev/vscard$minor, 0660 1000:1000 ($owner)" test "$owner" = "660 1000:1000"
	out=$(setpriv --reuid=1000 --regid=1000 --clear-groups "$ctl" pools 2>&1)
	check "vscardctl pools as uid 1000 lists its pool $pool and not pool 0" \
		eval 'echo "$out" | grep -Eq "^$pool +2 " && ! echo "$out" | grep -Eq "^0 +"'
	"$ctl" pool-del "$pool"; r=$?
	check "vscardctl pool-del $pool" test $r = 0
	"$ctl" show "$pool" 0 >/dev/null 2>&1; r=$?
	check "deleted pool's slots are gone ($r)" test $r = 1
fi
setpriv --reuid=65534 --regid=65534 --clear-groups "$ctl" pool-new --slots 1 >/dev/null 2>&1; r=$?
check "vscardctl pool-new as nobody exits 1 (EPERM) ($r)" test $r = 1
setpriv --reuid=65534 --regid=65534 --clear-groups timeout 10 "$ctl" monitor >/dev/null 2>&1; r=$?
check "vscardctl monitor as nobody exits 1 (the events group is admin-only) ($r)" test $r = 1

# ---- vscard-testcard + monitor ----
mon=$(mktemp) fifo=$(mktemp -u) log=$(mktemp)
"$ctl" --json monitor >"$mon" 2>&1 &
monpid=$!
sleep 0.5
mkfifo "$fifo"
"$card" --commands "$fifo" --key tc-key --reader-name "Test Card Reader" \
	--protocols T0,T1 >"$log" 2>&1 &
cardpid=$!
exec 9>"$fifo"
for i in $(seq 50); do grep -q '^inserted' "$log" && break; sleep 0.1; done
check "vscard-testcard binds and inserts its card" grep -q '^inserted' "$log"
dev=$(sed -n 's/^bound .*dev=\(\S*\).*/\1/p' "$log" | head -1)
slot=$(sed -n 's/^bound .*slot=\([0-9]*\).*/\1/p' "$log" | head -1)
resp=$(/usr/bin/python3 "$top/tests/abi/xfer.py" "$dev" 80EE00000401020304)
check "testcard ECHO through $dev -> 010203049000 ($resp)" test "$resp" = 010203049000
resp=$(/usr/bin/python3 "$top/tests/abi/xfer.py" "$dev" 0084000004)
check "testcard GET CHALLENGE 4 -> 5a6774819000 ($resp)" test "$resp" = 5a6774819000
out=$("$ctl" show 0 "$slot")
check "vscardctl show: bound, present, reader name" \
	eval 'echo "$out" | grep -q "^state *bound" && echo "$out" | grep -q "^card *present" && echo "$out" | grep -q "Test Card Reader"'
echo remove >&9
sleep 0.5
resp=$(/usr/bin/python3 "$top/tests/abi/xfer.py" "$dev" 00A40400)
check "after 'remove' a transmit fails with ENOMEDIUM ($resp)" test "$resp" = "error 123"
echo insert >&9
echo quit >&9
wait $cardpid; r=$?
check "vscard-testcard quits with status 0 on 'quit' ($r)" test $r = 0
sleep 0.5
kill $monpid 2>/dev/null; wait $monpid 2>/dev/null
exec 9>&-
for ev in bind card-in card-out unbind; do
	check "vscardctl monitor saw a $ev event" grep -q "\"event\":\"$ev\"" "$mon"
done
rm -f "$mon" "$fifo" "$log"

# ---- unload ----
# A binding file pins the module like an open node does.
"$O/abi/vscard-hold" hold --pool 0 --key rmmod-pin -- \
	/bin/sh -c 'if rmmod vscard 2>/dev/null; then exit 1; fi; exit 0' 2>/dev/null; r=$?
check "rmmod is refused while a binding file is open ($r)" test $r = 0
if rmmod vscard; then pass "rmmod vscard after all tests"; else fail "rmmod vscard after all tests"; fi
"$ctl" pools >/dev/null 2>&1; r=$?
check "vscardctl without the module exits 3 ($r)" test $r = 3
exit $rc
