#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Host side of the end-to-end scene: check the prerequisites, build a
# private copy of vscard.ko for the kernel, boot QEMU and run
# tests/e2e/run.sh MODE in it.
#   tests/e2e/vm.sh {check|bench|bench-opensc|demo}   E2E_KERNEL=6.1 (default)
#   bench-opensc: OPENSC_BENCH_N=runs per command and side (default 5)
mode=${1:-check}
kernel=${E2E_KERNEL:-6.1}
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
. tests/vm/suite-lib.sh
O=${O:-$top/build}
tag=${TAG:-e2e-$kernel}
[ "$mode" = check ] || tag=$mode-$kernel
fail() { echo "FAIL: $tag: $*"; exit 1; }
[ -x tests/vm/run.sh ] || fail "tests/vm/run.sh missing"
for f in "$O/rdp-server/vscard-rdp-server" "$O/agent/vscard-agent" "$O/ifd/libifdvscard.so"; do
	[ -e "$f" ] || fail "$f not built (make userspace)"
done
for tool in xfreerdp Xvfb pcscd pcsc_scan scriptor nsenter unshare /usr/bin/vicc; do
	command -v "$tool" >/dev/null ||
		fail "$tool missing (scripts/install-deps.sh; /usr/bin/vicc: vsmartcard-vpicc)"
done
/usr/bin/python3 -c 'import smartcard.scard' 2>/dev/null || fail "python3-pyscard missing"
if [ "$mode" = bench-opensc ]; then
	command -v pkcs11-tool >/dev/null || fail "pkcs11-tool missing (Debian package opensc)"
	command -v openssl >/dev/null || fail "openssl missing"
	command -v strace >/dev/null || echo "bench-opensc: no strace: no pcscd request counts"
fi
# build/kmod/ is shared with other suites: use a private copy.
kmod=$O/e2e/kmod-$kernel
private_module "$kernel" "$kmod" || exit 1
tests/vm/run.sh --kernel "$kernel" --timeout 1500 --mem 2048 --name "$tag" -- \
	env VSCARD_KO="$kmod/vscard.ko" TAG="$tag" O="$O" ${OPENSC_BENCH_N:+OPENSC_BENCH_N=$OPENSC_BENCH_N} \
	tests/e2e/run.sh "$mode"
vm_verdict $?
rc=$?
if [ "$mode" = check ] && [ $rc = 0 ]; then
	echo "PASS: $tag: 6: no kernel splat on the console"
fi
exit $rc
