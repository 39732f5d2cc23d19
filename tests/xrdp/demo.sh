#!/bin/bash
# SPDX-License-Identifier: MIT
#
# `make demo` and `make bench-xrdp`: the patched xrdp (scripts/build-xrdp.sh,
# cached; installed on this machine, whose root the VM runs), vscard.ko for
# the VM's kernel and the userspace build, then tests/xrdp/demo.py MODE in
# QEMU (Debian 6.1 kernel, TCG).
#   tests/xrdp/demo.sh {demo|bench}     XRDP_BENCH_N=APDUs per median (40)
mode=${1:-demo}
kernel=6.1
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. tests/vm/suite-lib.sh
O=${O:-$top/build}
tag=xrdp-$mode
fail() { echo "FAIL: $tag: $*"; exit 1; }
case $mode in demo|bench) ;; *) fail "unknown mode $mode (demo|bench)" ;; esac
mkdir -p "$O"
say() { [ "$mode" = demo ] && echo "$@"; }
say "Building vscard (module, agent, IFD handler, RDP server) and the patched xrdp..."
make -s userspace >/dev/null || fail "make userspace"
scripts/build-xrdp.sh --install >/dev/null 2>"$O/xrdp-build.err" ||
	{ cat "$O/xrdp-build.err"; fail "scripts/build-xrdp.sh --install"; }
for tool in xfreerdp Xvfb Xvnc pcscd pcsc_scan scriptor nsenter unshare setpriv /usr/bin/vicc; do
	command -v "$tool" >/dev/null || fail "$tool missing (scripts/install-deps.sh)"
done
/usr/bin/python3 -c 'import smartcard.scard' 2>/dev/null || fail "python3-pyscard missing"
# build/kmod/ is shared with other suites: a private copy.
kmod=$O/$tag/kmod-$kernel
private_module "$kernel" "$kmod" || exit 1
say "Booting a QEMU guest (TCG: slow, about three minutes)..."
tests/vm/run.sh --kernel "$kernel" --timeout 1200 --mem 2048 --name "$tag" -- \
	env TAG="$tag" O="$O" VSCARD_KO="$kmod/vscard.ko" \
	${XRDP_BENCH_N:+XRDP_BENCH_N=$XRDP_BENCH_N} \
	/usr/bin/python3 "$top/tests/xrdp/demo.py" "$mode" 2>&1 | grep -v -e '^run.sh: '
vm_verdict "${PIPESTATUS[0]}"
