#!/bin/bash
# SPDX-License-Identifier: MIT
#
# make bench-sessions, inside the test VM (6.1): P4 of issue 13.  64 users,
# each with a session of 4 readers opened by vscard-session (pool, pcscd),
# every slot bound by a vscard-testcard with a card present.  Prints:
#   - kernel memory per idle slot (Slab + VmallocUsed delta of 64 x 4-slot
#     pools, divided by the slots), and per slot of a whole session;
#   - RSS of one idle vscard-agent and of one session's pcscd;
#   - time to open and to close one session, with the ratio to starting a
#     bare pcscd the same way (private mount namespace, until its socket
#     accepts);
#   - the APDU round trip in session 1 while 63 others are open, against
#     session 1 alone.
# Lines start with "bench-sessions:".  Exit status 0 unless the scene broke.
# A && B || die: meant as written.
# shellcheck disable=SC2015
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
ko=${VSCARD_KO:?}
N=${BENCH_SESSIONS_N:-64}
SLOTS=${BENCH_SESSIONS_SLOTS:-4}
work=/run/sessbench
say() { echo "bench-sessions: $*"; }
die() { say "ERROR: $*"; exit 1; }
now_ns() { date +%s%N; }
kmem_kb() {	# Slab + VmallocUsed, after reclaiming what can be
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 1
	awk '/^Slab:|^VmallocUsed:/ { s += $2 } END { print s }' /proc/meminfo
}
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : int((a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
maxof() { sort -n | tail -1; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }
cards=()
cleanup() {
	local i
	for p in "${cards[@]}"; do kill "$p" 2>/dev/null; done
	for ((i = 1; i <= N; i++)); do vscard-session close --session "b$i" >/dev/null 2>&1; done
	rmmod vscard 2>/dev/null
}
trap cleanup EXIT

mkdir -p $work && chmod 0755 $work
install -m 0755 "$top/userspace/session/vscard-session" /usr/local/sbin/vscard-session &&
	install -m 0755 "$O/vscardctl/vscardctl" /usr/local/bin/vscardctl &&
	install -m 0755 "$O/tools/vscard-testcard" $work/vscard-testcard &&
	install -m 0755 "$O/agent/vscard-agent" $work/vscard-agent &&
	install -m 0755 "$top/tests/sessbench/apdu_rtt.py" $work/apdu_rtt.py &&
	"$top/userspace/ifd/install.sh" "$O/ifd/libifdvscard.so" >/dev/null ||
	die "install"
for ((i = 1; i <= N; i++)); do
	printf 'b%03d:x:%d:%d::/nonexistent:/bin/sh\n' "$i" $((3000 + i)) $((3000 + i)) >>/etc/passwd
	printf 'b%03d:x:%d:\n' "$i" $((3000 + i)) >>/etc/group
done
insmod "$ko" slots=1 || die "insmod $ko"
for ((i = 0; i < 50; i++)); do [ -c /dev/vscard0 ] && break; sleep 0.1; done

# ---- a bare pcscd, started the way a session's is --------------------------
mkdir -p $work/empty.d
bare=()
for ((k = 0; k < 5; k++)); do
	t0=$(now_ns)
	unshare -m --propagation private -- sh -c \
		"mount -t tmpfs none /run/pcscd && exec /usr/sbin/pcscd -f -c $work/empty.d" \
		>/dev/null 2>&1 &
	p=$!
	# the socket in its namespace, as /proc/PID/root shows it
	for ((i = 0; i < 2000; i++)); do
		[ -S /proc/$p/root/run/pcscd/pcscd.comm ] && break
		sleep 0.005
	done
	t1=$(now_ns)
	sleep 0.5	# a signal during pcscd's start-up can be lost
	kill -TERM $p
	for ((i = 0; i < 50; i++)); do kill -0 $p 2>/dev/null || break; sleep 0.1; done
	kill -KILL $p 2>/dev/null
	wait $p 2>/dev/null
	bare+=($(((t1 - t0) / 1000000)))
done
bare_ms=$(printf '%s\n' "${bare[@]}" | median)

# ---- kernel memory of idle slots: N pools x SLOTS, nothing else ------------
m0=$(kmem_kb)
pools=()
for ((i = 1; i <= N; i++)); do
	p=$(vscardctl pool-new --slots "$SLOTS" --uid $((3000 + i)) 2>/dev/null)
	[ -n "$p" ] || die "vscardctl pool new ($i)"
	pools+=("$p")
done
m1=$(kmem_kb)
for p in "${pools[@]}"; do vscardctl pool-del "$p" >/dev/null || die "pool del $p"; done
idle_b=$(((m1 - m0) * 1024 / (N * SLOTS)))

# ---- N sessions, every slot bound with a card -------------------------------
m2=$(kmem_kb)
opens=()
for ((i = 1; i <= N; i++)); do
	u=$(printf 'b%03d' "$i")
	t0=$(now_ns)
	vscard-session open --user "$u" --session "b$i" --slots "$SLOTS" --quiet >/dev/null 2>&1 ||
		die "open b$i"
	t1=$(now_ns)
	opens+=($(((t1 - t0) / 1000000)))
done
for ((i = 1; i <= N; i++)); do
	u=$(printf 'b%03d' "$i")
	pool=$(sed -n 's/^pool=//p' /run/vscard/b$i/state)
	for ((s = 0; s < SLOTS; s++)); do
		setpriv --reuid="$u" --regid="$u" --init-groups --inh-caps=-all -- \
			$work/vscard-testcard --pool "$pool" --key "k$i-$s" --no-stdin \
			>$work/card-$i-$s.log 2>&1 &
		cards+=($!)
	done
done
for ((i = 0; i < 600; i++)); do
	n=$(grep -ls '^inserted' $work/card-*.log | wc -l)
	[ "$n" -ge $((N * SLOTS)) ] && break
	sleep 0.1
done
[ "$n" -ge $((N * SLOTS)) ] || die "only $n of $((N * SLOTS)) cards inserted"
m3=$(kmem_kb)
sess_b=$(((m3 - m2) * 1024 / (N * SLOTS)))

pcscd1=$(sed -n 's/^pcscd_pid=//p' /run/vscard/b1/state)
pcscd_rss=$(rss_kb "$pcscd1")
install -d -o b001 -g b001 -m 0700 $work/agent-b001
setpriv --reuid=b001 --regid=b001 --init-groups --inh-caps=-all -- \
	$work/vscard-agent --listen $work/agent-b001/agent.sock \
	--pool "$(sed -n 's/^pool=//p' /run/vscard/b1/state)" >$work/agent.log 2>&1 &
agent=$!
sleep 2
agent_rss=$(rss_kb $agent) || die "the agent did not start: $(cat $work/agent.log)"
kill $agent

mapfile -t env1 </run/vscard/b1/env
rtt_busy=$(setpriv --reuid=b001 --regid=b001 --init-groups --inh-caps=-all -- \
	env -i "${env1[@]}" /usr/bin/python3 $work/apdu_rtt.py 300) || die "APDUs in session 1: $rtt_busy"

closes=()
for ((i = N; i >= 2; i--)); do
	t0=$(now_ns)
	vscard-session close --session "b$i" >/dev/null 2>&1 || die "close b$i"
	t1=$(now_ns)
	closes+=($(((t1 - t0) / 1000000)))
done
rtt_alone=$(setpriv --reuid=b001 --regid=b001 --init-groups --inh-caps=-all -- \
	env -i "${env1[@]}" /usr/bin/python3 $work/apdu_rtt.py 300) || die "APDUs alone: $rtt_alone"
t0=$(now_ns)
vscard-session close --session b1 >/dev/null 2>&1 || die "close b1"
t1=$(now_ns)
closes+=($(((t1 - t0) / 1000000)))
left=$(vscardctl --json pools | /usr/bin/python3 -c 'import json, sys; print(len([p for p in json.load(sys.stdin) if p["pool"]]))')
[ -z "$(ls /run/vscard 2>/dev/null)" ] || left="$left, /run/vscard: $(ls /run/vscard)"

open_med=$(printf '%s\n' "${opens[@]}" | median) open_max=$(printf '%s\n' "${opens[@]}" | maxof)
close_med=$(printf '%s\n' "${closes[@]}" | median) close_max=$(printf '%s\n' "${closes[@]}" | maxof)
busy=${rtt_busy#rtt_us } alone=${rtt_alone#rtt_us }
say "P4: $N sessions x $SLOTS readers, all bound with a card present, QEMU TCG, 2 vCPUs, Debian 6.1"
say "kernel memory per idle slot: $idle_b bytes (Slab+VmallocUsed delta of $N pools / $((N * SLOTS)) slots; goal <= 4096)"
say "kernel memory per slot of a whole session: $sess_b bytes (pools, pcscd, bound testcards: processes included)"
say "RSS: one idle vscard-agent $agent_rss KiB (goal <= 2048), one session's pcscd $pcscd_rss KiB"
say "open one session: median $open_med ms, max $open_max ms; bare pcscd start $bare_ms ms; ratio $(awk -v a="$open_med" -v b="$bare_ms" 'BEGIN { printf "%.2f", b ? a / b : 0 }')x (goal <= 100 ms)"
say "close one session: median $close_med ms, max $close_max ms (goal <= 100 ms)"
say "APDU round trip, session 1: ${busy% *} us median (p90 ${busy#* }) with $((N - 1)) others open; ${alone% *} us (p90 ${alone#* }) alone; ratio $(awk -v a="${busy% *}" -v b="${alone% *}" 'BEGIN { printf "%.2f", a / b }')x (goal <= 1.1)"
say "left after closing all: $left pools besides pool 0"
trap - EXIT
for p in "${cards[@]}"; do kill "$p" 2>/dev/null; done
rmmod vscard && say "rmmod: ok"
