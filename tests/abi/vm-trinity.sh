#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Runs inside the test VM (tests/abi/run-vm-trinity.sh): load vscard.ko,
# make a pool owned by $TRINITY_UID (default 1001), and run trinity as that
# user, with no capability, on the binding file of a slot it bound and on
# the pool's device nodes, while another process of the same binding
# answers requests and two more send every kind of request to the slot.
#
# trinity fuzzes only descriptors it opens from --victims files; the
# binding file has no path, so the victim files named vscard-binding-* are
# turned into dup()s of the inherited binding file by an LD_PRELOAD shim
# (tests/abi/victim_preload.c).  Afterwards: the binding ends when trinity
# is gone, the pool is deleted and the module unloads.  The VM runner fails
# the run on any kernel splat (and on kmemleak reports on the debug kernel).
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
kernel=${1:-debug}
tag=${TRINITY_TAG:-trinity-$kernel}
uid=${TRINITY_UID:-1001}
calls=${TRINITY_CALLS:-5000}
children=${TRINITY_CHILDREN:-2}
hold=$O/abi/vscard-hold
shim=$O/abi/vscard-victim.so
rc=0
pass() { echo "PASS: $tag: $*"; }
fail() { echo "FAIL: $tag: $*"; rc=1; }

ko=${VSCARD_KO:-$O/kmod/$kernel/module/vscard.ko}
if ! insmod "$ko" slots=2; then
	fail "insmod $ko"
	exit 1
fi
tr=$(command -v trinity) || { fail "trinity not installed (scripts/install-deps.sh)"; rmmod vscard; exit 1; }
pool=$("$hold" pool-new 2 "$uid" "$uid")
if [ -z "$pool" ]; then
	fail "POOL_NEW owned by uid $uid"
	rmmod vscard
	exit 1
fi
pass "pool $pool owned by uid $uid"
udevadm settle 2>/dev/null

# Victim files: copies of the pool's nodes (same device numbers, owned by
# the user, 0660) and eight binding markers (the shim's dup()s).
# On /run (tmpfs in every VM): under an overlay /tmp trinity finds only
# the directory itself.
vict=$(mktemp -d /run/trinity-victims.XXXXXX)
n=0
for m in $("$hold" minors "$pool"); do
	cp -a "/dev/vscard$m" "$vict/vscard$m" && n=$((n + 1))
done
for i in 0 1 2 3 4 5 6 7; do
	: >"$vict/vscard-binding-$i"
done
chown -R "$uid:$uid" "$vict"
chmod 600 "$vict"/vscard-binding-*
chmod 700 "$vict"
owner=$(stat -c '%a %u:%g' "$vict"/vscard[0-9]* | sort -u)
if [ "$n" = 2 ] && [ "$owner" = "660 $uid:$uid" ]; then
	pass "victims: the pool's 2 device nodes ($owner) and 8 binding markers"
else
	fail "victims: $n nodes, '$owner'"
fi

syscalls=(read readv pread64 preadv preadv2 write writev pwrite64 pwritev
	pwritev2 ioctl poll ppoll select pselect6 close dup dup2 dup3 fcntl
	mmap lseek newfstat fstatfs flock fsync fdatasync splice tee sendfile
	copy_file_range fadvise64 ftruncate fallocate)
cargs=()
for s in "${syscalls[@]}"; do cargs+=(-c "$s"); done
log=${VM_OUT:-/tmp}/trinity.log
cd /tmp || exit 1
echo "# $tag: trinity -N $calls -C $children as uid $uid on ${syscalls[*]}"
setpriv --reuid="$uid" --regid="$uid" --clear-groups --inh-caps=-all \
	--bounding-set=-all \
	"$hold" hold --pool "$pool" --key trinity --nonblock --agent \
	--submitters 2 -- \
	env LD_PRELOAD="$shim" \
	timeout -s KILL "${TRINITY_TIMEOUT:-1800}" \
	"$tr" -q -l off -a 64 -N "$calls" -C "$children" -V "$vict" \
	--enable-fds=pseudo --stats "${cargs[@]}" >"$log" 2>&1
trc=$?
grep -E '^vscard-hold:|^\[main\] (Ran|Bailing|Added|Enabled)' "$log" | sed "s/^/# $tag: /"
ran=$(sed -n 's/.*Ran \([0-9]*\) syscalls.*/\1/p' "$log" | tail -1)
dups=$(grep -c '^vscard-victim: .*-> binding file fd [0-9]' "$log")
echo "# $tag: trinity made ${ran:-0} calls (exit status $trc)"
if [ "$trc" = 0 ] && grep -q 'Bailing main loop because Completed maximum number of operations' "$log"; then
	pass "trinity ran to its limit as uid $uid: ${ran:-0} calls"
else
	fail "trinity exit status $trc (see $log)"
	tail -20 "$log" | sed "s/^/# /"
fi
if [ "${ran:-0}" -ge "$calls" ]; then
	pass "trinity made $ran calls (>= $calls)"
else
	fail "trinity made ${ran:-0} calls, fewer than $calls"
fi
if [ "$dups" -ge 1 ]; then
	pass "trinity held $dups descriptors of the binding file"
else
	fail "trinity never opened the binding file (no vscard-victim line)"
fi
grep -q 'became tainted' "$log" && fail "trinity: the kernel became tainted"

# trinity is gone: its binding ends (the helpers follow the lifeline).
slot=$(sed -n 's/^vscard-hold: .* slot \([0-9]*\) .*/\1/p' "$log" | head -1)
if [ -n "$slot" ] && "$hold" wait-free "$pool" "$slot"; then
	pass "the binding ended with trinity and its helpers (slot $slot free)"
else
	fail "slot ${slot:-?} of pool $pool still bound after trinity"
fi
if "$hold" pool-del "$pool"; then pass "POOL_DEL $pool"; else fail "POOL_DEL $pool"; fi
rm -rf "$vict"
if rmmod vscard; then pass "rmmod vscard"; else fail "rmmod vscard"; fi
exit $rc
