#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Runs inside the test VM (tests/suites/80-sessions.sh --guest): two users'
# sessions made by vscard-session, their isolation, crash recovery, close,
# a root pcscd on pool 0, rmmod.  PASS:/FAIL: lines.
# check ... eval '...' defers the expansion on purpose.
# shellcheck disable=SC2016,SC2034
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
tag=sessions
ko=${VSCARD_KO:-$O/kmod/6.1/vscard.ko}
vmout=${VM_OUT:-/tmp}
work=/tmp/s80
rc=0
pass() { echo "PASS: $tag: $*"; }
fail() { echo "FAIL: $tag: $*"; rc=1; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }
# wait_for SECONDS COMMAND...: poll COMMAND every 0.1 s until it succeeds.
wait_for() {
	local n=$(($1 * 10)) i
	shift
	for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.1; done
	return 1
}
as() {	# as USER COMMAND...: no capabilities, the user's own groups
	local u=$1
	shift
	setpriv --reuid="$u" --regid="$u" --init-groups --inh-caps=-all -- "$@"
}
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
	for id in s-alice s-bob s-crash pam-bob s-agent pam-alice; do vscard-session close --session "$id" 2>/dev/null; done
	[ -n "${ROOTPCSCD:-}" ] && kill -INT "$ROOTPCSCD" 2>/dev/null
	for d in /run/vscard/*/; do cp "$d/pcscd.log" "$vmout/pcscd-$(basename "$d").log" 2>/dev/null; done
	for p in "${pids[@]}" ${ROOTPCSCD:-}; do
		wait_for 10 eval "! kill -0 $p 2>/dev/null" || kill -KILL "$p" 2>/dev/null
	done
	rmmod vscard 2>/dev/null
}
finish() {
	cleanup
	exit $rc
}
trap finish EXIT

# ---- installed the way `make install` lays it out (the overlay root) ----
mkdir -p $work && chmod 0755 $work
install -m 0755 "$top/userspace/session/vscard-session" /usr/local/sbin/vscard-session &&
install -m 0755 "$O/vscardctl/vscardctl" /usr/local/bin/vscardctl &&
install -m 0755 "$O/agent/vscard-agent" /usr/local/sbin/vscard-agent &&
install -m 0755 "$O/tools/vscard-testcard" $work/vscard-testcard &&
install -m 0755 "$top/tests/sessions/pcsc_check.py" $work/pcsc_check.py &&
"$top/userspace/ifd/install.sh" "$O/ifd/libifdvscard.so"
check "vscard-session, vscardctl and the IFD handler installed" test $? = 0
card=$work/vscard-testcard
pcheck=$work/pcsc_check.py
ctl=/usr/local/bin/vscardctl

# ---- the users -----------------------------------------------------------
# shellcheck source=tests/sessions/users.sh
. "$top/tests/sessions/users.sh"
check "users alice (2001) and bob (2002) exist" make_test_users

if ! insmod "$ko" slots=2; then
	fail "insmod $ko slots=2"
	exit 1
fi
wait_for 10 test -c /dev/vscard1

# ---- open -----------------------------------------------------------------
vscard-session open --slots 2 --session s-alice >/dev/null 2>&1; r=$?
check "open without a user is a usage error (status $r)" test $r = 2
vscard-session open --user alice --session ../x --slots 2 >/dev/null 2>&1; r=$?
check "open refuses a session id with path characters (status $r)" test $r = 2
out=$(as alice vscard-session open --user alice --session s-alice --slots 2 2>&1); r=$?
check "open as alice (not root) fails: $out" test $r = 1

envA=$(vscard-session open --user alice --session s-alice --slots 2); r=$?
check "open --user alice --session s-alice --slots 2 (status $r)" test $r = 0
envB=$(vscard-session open --uid 2002 --gid 2002 --session s-bob --slots 2); r=$?
check "open --uid 2002 --gid 2002 --session s-bob --slots 2 (status $r)" test $r = 0
echo "alice's session environment:"; echo "$envA"
getv() { sed -n "s/^$1=//p" <<<"$2"; }
sockA=$(getv PCSCLITE_CSOCK_NAME "$envA") poolA=$(getv VSCARD_POOL "$envA")
sockB=$(getv PCSCLITE_CSOCK_NAME "$envB") poolB=$(getv VSCARD_POOL "$envB")
check "the environment names a socket and a pool ($sockA pool $poolA; pool $poolB)" \
	test -n "$sockA" -a -n "$poolA" -a -n "$poolB" -a "$poolA" != "$poolB"
check "the session dir holds the same environment (env file)" \
	test "$(cat /run/vscard/s-alice/env 2>/dev/null)" = "$envA"
check "the environment is KEY=VALUE lines a shell, environment.d and pam_env take" \
	eval '! grep -qv "^[A-Z_][A-Z0-9_]*=[A-Za-z0-9_./-]*$" <<<"$envA"'
envA2=$(vscard-session open --user alice --session s-alice --slots 2); r=$?
check "open again is idempotent: same environment, same pool (status $r)" \
	test $r = 0 -a "$envA2" = "$envA"
vscard-session open --user bob --session s-alice --slots 2 >/dev/null 2>&1; r=$?
check "open of alice's session id for bob is refused (status $r)" test $r = 1
check "the sockets exist" test -S "$sockA" -a -S "$sockB"
check "alice's socket dir is 0700 alice-owned ($(stat -c '%a %U' /run/vscard/s-alice/user))" \
	test "$(stat -c '%a %U' /run/vscard/s-alice/user)" = "700 alice"
check "/run/pcscd of the host is untouched (no socket)" test ! -e /run/pcscd/pcscd.comm
n=$("$ctl" --json pools | /usr/bin/python3 -c '
import json, sys; print(" ".join("%s:%s:%s" % (p["pool"], p["uid"], p["slots"]) for p in json.load(sys.stdin)))')
check "pools: 0, alice's and bob's, owned by them ($n)" \
	test "$n" = "0:0:2 $poolA:2001:2 $poolB:2002:2"
out=$(vscard-session show)
echo "$out"
check "show lists both sessions as open" \
	eval 'grep -Eq "^s-alice +2001 +$poolA +2 +[0-9]+ +- +open$" <<<"$out" && grep -Eq "^s-bob +2002 +$poolB +2 +[0-9]+ +- +open$" <<<"$out"'

# Each session's pcscd: the user, no capabilities, its own mount namespace.
for who in alice bob; do
	s=s-$who
	pid=$(sed -n 's/^pcscd_pid=//p' /run/vscard/$s/state)
	st=$(grep -E '^(Uid|CapEff|CapPrm):' /proc/"$pid"/status 2>/dev/null | tr -s '\t ' ' ')
	uid=$(id -u $who)
	check "$who's pcscd ($pid: $(tr '\0' ' ' </proc/"$pid"/cmdline 2>/dev/null)) runs as $who without capabilities" \
		eval 'grep -q "^Uid: $uid $uid $uid $uid" <<<"$st" && grep -q "^CapEff: 0000000000000000" <<<"$st" && grep -q "^CapPrm: 0000000000000000" <<<"$st"'
	check "$who's pcscd has its own mount namespace" \
		test "$(readlink /proc/"$pid"/ns/mnt)" != "$(readlink /proc/self/ns/mnt)"
done

# ---- the cards: each user binds into its own pool, as itself -------------
atr() {	# a valid T=1 ATR with the historical bytes of $1
	/usr/bin/python3 -c '
import sys
h = list(sys.argv[1].encode()); a = [0x3B, 0x80 | len(h), 0x81, 0x01] + h
t = 0
for b in a[1:]: t ^= b
print(bytes(a + [t]).hex())' "$1"
}
atrA=$(atr ALICE) atrB=$(atr BOB)
start_card() {	# start_card USER POOL ATR LOG
	# setpriv itself, not the as() function: $! is then the card's pid.
	setpriv --reuid="$1" --regid="$1" --init-groups --inh-caps=-all -- "$card" --pool "$2" --key "key-$1" --reader-name "$1's Reader" \
		--atr "$3" --no-stdin >"$4" 2>&1 &
	pids+=($!)
	CARDPID=$!
}
start_card alice "$poolA" "$atrA" $work/card-alice.log; cardA=$CARDPID
start_card bob "$poolB" "$atrB" $work/card-bob.log; cardB=$CARDPID
wait_for 20 grep -qs '^inserted' $work/card-alice.log
check "alice's testcard binds into her pool $poolA and inserts" grep -q "^bound pool=$poolA " $work/card-alice.log
wait_for 20 grep -qs '^inserted' $work/card-bob.log
check "bob's testcard binds into his pool $poolB and inserts" grep -q "^bound pool=$poolB " $work/card-bob.log
for who in alice bob; do
	if [ $who = alice ]; then p=$cardA; else p=$cardB; fi
	st=$(grep -E '^(Uid|CapEff):' /proc/"$p"/status | tr -s '\t ' ' ')
	check "$who's testcard runs as $who with CapEff 0" \
		eval 'grep -q "^Uid: $(id -u $who) " <<<"$st" && grep -q "^CapEff: 0000000000000000" <<<"$st"'
done
devA=$(sed -n 's/^bound .*dev=\(\S*\).*/\1/p' $work/card-alice.log | head -1)
minA=${devA#/dev/vscard}
check "alice's slot node $devA is 0660 alice:alice ($(stat -c '%a %U:%G' "$devA"))" \
	test "$(stat -c '%a %U:%G' "$devA")" = "660 alice:alice"

# ---- each user sees its own card, and only it ------------------------------
# (the envs are KEY=VALUE lines: env(1) takes them as they are)
mapfile -t eA <<<"$envA"
mapfile -t eB <<<"$envB"
as alice env -i "${eA[@]}" TAG=$tag WHO=alice /usr/bin/python3 $pcheck own "$atrA" "$atrB" || rc=1
as bob env -i "${eB[@]}" TAG=$tag WHO=bob /usr/bin/python3 $pcheck own "$atrB" "$atrA" || rc=1

# ---- every path from bob to alice's card fails --------------------------------
r=$(as bob /usr/bin/python3 $pcheck connect "$sockA")
check "bob: connect() to alice's pcscd socket -> EACCES ($r)" test "$r" = EACCES
r=$(as bob env -i PCSCLITE_CSOCK_NAME="$sockA" /usr/bin/python3 $pcheck context)
check "bob: SCardEstablishContext on alice's socket -> SCARD_E_NO_SERVICE ($r)" test "$r" = 0x8010001D
r=$(as bob ls /run/vscard/s-alice/user 2>&1 >/dev/null)
check "bob: alice's socket directory -> EACCES ($r)" eval 'grep -q "Permission denied" <<<"$r"'
r=$(as bob /usr/bin/python3 -c 'import sys
try: open(sys.argv[1], "rb")
except OSError as e: print(e.errno)' "$devA")
check "bob: open($devA), alice's slot -> EACCES ($r)" test "$r" = 13
for m in $("$ctl" --json slots --pool "$poolA" | /usr/bin/python3 -c 'import json,sys; print(" ".join(str(s["minor"]) for s in json.load(sys.stdin)))'); do
	r=$(as bob cat /dev/vscard"$m" 2>&1)
	check "bob: open(/dev/vscard$m) of alice's pool -> EACCES" eval 'grep -q "Permission denied" <<<"$r"'
done
r=$(as bob "$card" --pool "$poolA" --key key-bob --no-stdin 2>&1); s=$?
check "bob: vscard-testcard BIND into alice's pool -> EPERM (status $s: $r)" \
	eval '[ $s = 1 ] && grep -q "bind: Operation not permitted" <<<"$r"'
r=$(as bob "$ctl" unbind "$poolA" 0 2>&1); s=$?
check "bob: vscardctl unbind in alice's pool -> EPERM (status $s: $r)" \
	eval '[ $s = 1 ] && grep -q "Operation not permitted" <<<"$r"'
r=$(as bob "$ctl" show "$poolA" 0 2>&1); s=$?
check "bob: vscardctl show of alice's slot -> ENOENT (status $s: $r)" \
	eval '[ $s = 1 ] && grep -q "No such file or directory" <<<"$r"'
r=$(as bob "$ctl" pool "$poolA" 2>&1); s=$?
check "bob: vscardctl pool $poolA (alice's) -> ENOENT (status $s: $r)" \
	eval '[ $s = 1 ] && grep -q "No such file or directory" <<<"$r"'
r=$("$ctl" pool "$poolA" | awk 'NR == 2 { print $1 ":" $3 }')
check "root: vscardctl pool $poolA -> its row, owner alice ($r)" test "$r" = "$poolA:2001"
dumps=$(as bob "$ctl" slots; as bob "$ctl" pools; as bob "$ctl" --json slots; as bob "$ctl" --json pools)
check "bob: vscardctl slots/pools dumps show only his pool" \
	eval '! grep -Eq "^$poolA |\"pool\": ?$poolA[,}]" <<<"$dumps" && grep -q "bob'"'"'s Reader" <<<"$dumps"'
check "bob: no trace of alice's reader name or ATR in any dump" \
	eval '! grep -qi -e "alice" -e "$atrA" <<<"$dumps"'
r=$(as bob timeout 10 "$ctl" monitor 2>&1); s=$?
check "bob: vscardctl monitor (events) -> refused, status 1 ($r)" \
	eval '[ $s = 1 ] && grep -q "CAP_NET_ADMIN" <<<"$r"'
for a in reader_name state session_key_hash; do
	r=$(as bob cat /sys/class/vscard/vscard"$minA"/$a 2>&1)
	check "bob: sysfs $a of alice's slot -> EACCES" eval 'grep -q "Permission denied" <<<"$r"'
done
# And alice cannot reach bob's card either (one check of each kind).
r=$(as alice /usr/bin/python3 $pcheck connect "$sockB")
check "alice: connect() to bob's pcscd socket -> EACCES ($r)" test "$r" = EACCES
r=$(as alice "$card" --pool "$poolB" --key key-alice --no-stdin 2>&1); s=$?
check "alice: BIND into bob's pool -> EPERM (status $s)" \
	eval '[ $s = 1 ] && grep -q "Operation not permitted" <<<"$r"'

# ---- a crash between open and close: the next open starts clean ----------
vscard-session open --user alice --session s-crash --slots 1 >/dev/null
poolC=$(sed -n 's/^pool=//p' /run/vscard/s-crash/state)
pidC=$(sed -n 's/^pcscd_pid=//p' /run/vscard/s-crash/state)
kill -KILL "$pidC"
wait_for 10 eval "! kill -0 $pidC 2>/dev/null"
out=$(vscard-session show --session s-crash)
check "show reports a session whose pcscd died as stale" eval 'grep -q "stale$" <<<"$out"'
envC=$(vscard-session open --user alice --session s-crash --slots 1); r=$?
poolC2=$(getv VSCARD_POOL "$envC")
check "open after a crash succeeds with a new pool ($poolC -> $poolC2, status $r)" \
	test $r = 0 -a -n "$poolC2" -a "$poolC2" != "$poolC"
"$ctl" show "$poolC" 0 >/dev/null 2>&1; s=$?
check "the crashed session's stale pool $poolC was deleted" test $s = 1
check "the new session's pcscd answers" test -S "$(getv PCSCLITE_CSOCK_NAME "$envC")"
vscard-session close --session s-crash; r=$?
check "close --session s-crash (status $r)" test $r = 0

# ---- the pam_exec entry: session pam-USER, the socket pam_env.conf names ----
PAM_TYPE=open_session PAM_USER=bob vscard-session pam --slots 1; r=$?
check "pam open_session for bob (status $r) makes the socket the documented pam_env line names" \
	test $r = 0 -a -S /run/vscard/pam-bob/user/pcscd/pcscd.comm
check "env --session prints the session's environment" \
	test "$(vscard-session env --session s-alice)" = "$envA"
PAM_TYPE=close_session PAM_USER=bob vscard-session pam; r=$?
check "pam close_session for bob (status $r) removes it" test $r = 0 -a ! -e /run/vscard/pam-bob

# ---- --agent: the session's agent, as the user, on user/agent.sock --------
# (vscard-session finds the vscard-agent installed next to it)
vscard-session open --user bob --session s-agent --slots 1 --agent --linger-ms 5000 \
	--agent-arg=--log-level=debug >/dev/null; r=$?
check "open --user bob --session s-agent --slots 1 --agent (status $r)" test $r = 0
apid=$(sed -n 's/^agent_pid=//p' /run/vscard/s-agent/state)
poolG=$(sed -n 's/^pool=//p' /run/vscard/s-agent/state)
asock=/run/vscard/s-agent/user/agent.sock
st=$(grep -E '^(Uid|Gid|Groups|CapEff|CapPrm|CapBnd):' /proc/"$apid"/status 2>/dev/null | tr -s '\t ' ' ')
check "the agent ($apid) runs as bob, no groups, CapEff/CapPrm/CapBnd 0" \
	eval 'grep -q "^Uid: 2002 2002 2002 2002" <<<"$st" && grep -q "^Gid: 2002 2002 2002 2002" <<<"$st" && grep -q "^Groups: *$" <<<"$st" && grep -q "^CapEff: 0000000000000000" <<<"$st" && grep -q "^CapPrm: 0000000000000000" <<<"$st" && grep -q "^CapBnd: 0000000000000000" <<<"$st"'
args=$(tr '\0' ' ' </proc/"$apid"/cmdline 2>/dev/null)
check "the agent listens on $asock in the session's pool ($args)" \
	eval 'test -S "$asock" && grep -q -- "--listen $asock --pool $poolG --linger-ms 5000 --log-level=debug" <<<"$args"'
check "the agent's log is root's, next to pcscd's ($(stat -c '%a %U' /run/vscard/s-agent/agent.log))" \
	test "$(stat -c '%a %U' /run/vscard/s-agent/agent.log)" = "600 root"
r=$(as alice /usr/bin/python3 $pcheck connect "$asock")
check "alice: connect() to bob's agent socket -> EACCES ($r)" test "$r" = EACCES
out=$(vscard-session show --session s-agent)
check "show lists the agent ($(tail -1 <<<"$out"))" \
	eval 'grep -Eq "^s-agent +2002 +$poolG +1 +[0-9]+ +$apid +open$" <<<"$out"'
kill -KILL "$apid"
wait_for 10 eval "! kill -0 $apid 2>/dev/null"
out=$(vscard-session show --session s-agent)
check "show reports a session whose agent died as stale" eval 'grep -q "stale$" <<<"$out"'
vscard-session open --user bob --session s-agent --slots 1 --agent --quiet; r=$?
apid2=$(sed -n 's/^agent_pid=//p' /run/vscard/s-agent/state)
check "open --agent again restarts the dead agent in the same pool (status $r, $apid -> $apid2)" \
	eval '[ $r = 0 ] && [ "$apid2" != "$apid" ] && kill -0 "$apid2" && [ "$(sed -n "s/^pool=//p" /run/vscard/s-agent/state)" = "$poolG" ]'
vscard-session open --user bob --session s-agent --slots 1 --agent --quiet
check "open --agent of a running session keeps its agent" \
	test "$(sed -n 's/^agent_pid=//p' /run/vscard/s-agent/state)" = "$apid2"
vscard-session close --session s-agent; r=$?
check "close stops the agent and removes the session (status $r)" \
	eval '[ $r = 0 ] && ! kill -0 "$apid2" 2>/dev/null && [ ! -e /run/vscard/s-agent ]'
"$ctl" show "$poolG" 0 >/dev/null 2>&1; s=$?
check "the agent's session pool $poolG is deleted" test $s = 1
PAM_TYPE=open_session PAM_USER=alice vscard-session pam --slots 1 --agent; r=$?
check "pam --agent for alice (status $r): the agent listens where xrdp's chansrv looks" \
	test $r = 0 -a -S /run/vscard/pam-alice/user/agent.sock
PAM_TYPE=close_session PAM_USER=alice vscard-session pam --agent; r=$?
check "pam close_session for alice (status $r) stops it" \
	eval '[ $r = 0 ] && [ ! -e /run/vscard/pam-alice ] && ! pgrep -x vscard-agent >/dev/null'

# ---- close ------------------------------------------------------------------------
pidA=$(sed -n 's/^pcscd_pid=//p' /run/vscard/s-alice/state)
pidB=$(sed -n 's/^pcscd_pid=//p' /run/vscard/s-bob/state)
cp /run/vscard/s-alice/pcscd.log "$vmout/pcscd-alice.log" 2>/dev/null
vscard-session close --session s-alice; r1=$?
vscard-session close --session s-bob; r2=$?
check "close both sessions (status $r1 $r2)" test $r1 = 0 -a $r2 = 0
vscard-session close --session s-alice; r=$?
check "close again is idempotent (status $r)" test $r = 0
check "no session pcscd left" eval "! kill -0 $pidA 2>/dev/null && ! kill -0 $pidB 2>/dev/null && ! pgrep -x pcscd >/dev/null"
n=$("$ctl" pools | awk 'NR > 1 { print $1 }' | tr '\n' ' ')
check "only pool 0 is left ($n)" test "$n" = "0 "
nodes=(/dev/vscard*)
check "no device node beyond pool 0's (${nodes[*]})" test "${nodes[*]}" = "/dev/vscard0 /dev/vscard1"
check "no runtime file left ($(ls -A /run/vscard))" test -z "$(ls -A /run/vscard)"
wait_for 10 grep -q '^unbound.*by=kernel' $work/card-alice.log
check "alice's testcard was told its binding ended (pool deleted)" \
	grep -q '^unbound.*by=kernel' $work/card-alice.log
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
pids=()

# ---- the single-user setup: a root pcscd on pool 0 ---------------------------
mkdir -p $work/conf && sed 's/slots=4/slots=2/' /etc/reader.conf.d/vscard > $work/conf/vscard
pcscd -f -c $work/conf > $work/root-pcscd.log 2>&1 &
ROOTPCSCD=$!
wait_for 20 test -S /run/pcscd/pcscd.comm
"$card" --pool 0 --key key-root --atr "$(atr ROOT)" --no-stdin > $work/card-root.log 2>&1 &
pids+=($!)
wait_for 20 grep -qs '^inserted' $work/card-root.log
env TAG=$tag WHO=root /usr/bin/python3 $pcheck own "$(atr ROOT)" "$atrA" || rc=1
kill -INT $ROOTPCSCD
wait_for 20 eval "! kill -0 $ROOTPCSCD 2>/dev/null"
ROOTPCSCD=
for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
pids=()

if rmmod vscard; then pass "rmmod vscard after both sessions closed"; else fail "rmmod vscard"; lsmod | grep vscard; fi
