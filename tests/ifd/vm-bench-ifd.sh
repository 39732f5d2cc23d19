#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Runs inside the VM (make bench-ifd): install libifdvscard.so, start one
# pcscd on a private config dir holding the vscard entry and a vpcd entry
# on a private port, load vscard.ko, run ifd-bench, stop pcscd, rmmod.
# pcscd runs without -d/-a: logging every APDU would be part of P3.
kernel=${1:-6.1}
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
ko=${VSCARD_KO:-$O/kmod/$kernel/module/vscard.ko}
conf=/tmp/bench-ifd-conf
log=/tmp/bench-ifd-pcscd.log
vpcd_lib=/usr/lib/pcsc/drivers/serial/libifdvpcd.so
vpcd_port=35984			# 0x8C90: slot 0; slot 1 is 35985

[ -f $vpcd_lib ] || { echo "FAIL: bench-ifd: $vpcd_lib missing (vsmartcard-vpcd)"; exit 1; }
"$top/userspace/ifd/install.sh" "$O/ifd/libifdvscard.so" || exit 1
mkdir -p $conf
cp /etc/reader.conf.d/vscard $conf/
printf 'FRIENDLYNAME "Virtual PCD"\nDEVICENAME /dev/null:%d\nLIBPATH %s\nCHANNELID %d\n' \
	$vpcd_port $vpcd_lib $vpcd_port > $conf/vpcd

insmod "$ko" slots=4 || exit 1
udevadm settle 2>/dev/null
for _ in $(seq 50); do [ -c /dev/vscard0 ] && break; sleep 0.1; done

rm -f /run/pcscd/pcscd.comm
pcscd -f -c $conf > $log 2>&1 &
pcscd=$!
for _ in $(seq 200); do
	[ -S /run/pcscd/pcscd.comm ] && break
	sleep 0.1
done
echo "bench-ifd: $(uname -r), $(nproc) CPU(s), $(pcscd --version | head -1)"
# shellcheck disable=SC2086 # word splitting of the options is intended
"$O/ifd/ifd-bench" ${BENCH_IFD_ARGS:-}
rc=$?

for i in $(seq 100); do
	kill -0 $pcscd 2>/dev/null || break
	[ $((i % 20)) = 1 ] && kill -INT $pcscd
	sleep 0.1
done
if kill -0 $pcscd 2>/dev/null; then
	echo "FAIL: bench-ifd: pcscd does not stop"
	kill -KILL $pcscd
	rc=1
fi
wait $pcscd 2>/dev/null
[ $rc = 0 ] || { echo "bench-ifd: pcscd log tail:"; tail -20 $log; }
cp $log "${VM_OUT:-/tmp}/pcscd.log" 2>/dev/null
rmmod vscard || rc=1
exit $rc
