#!/bin/bash
# SPDX-License-Identifier: MIT
#
# librdpcodec unit tests (cmocka, ASan+UBSan): every shared byte vector,
# round trips of every IOCTL, malformed input.  Each cmocka test is one
# PASS:/FAIL: line.  The vectors live in ../shared beside the repository;
# their absence is a failure, not a skip.
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
vecdir=${RDP_VECTORS_DIR:-$top/tests/rdp/vectors}
if [ ! -f "$vecdir/README.md" ] || ! ls "$vecdir"/*.hex >/dev/null 2>&1; then
	echo "FAIL: rdp-codec: byte vectors not found at $vecdir"
	exit 1
fi
export RDP_VECTORS_DIR=$vecdir
rc=0
for t in test_vectors test_codec test_robust; do
	bin=$O/tests/rdp/$t
	if [ ! -x "$bin" ]; then
		echo "FAIL: rdp-codec: $t not built (make tests)"
		rc=1
		continue
	fi
	out=$(CMOCKA_MESSAGE_OUTPUT=TAP "$bin" 2>&1)
	status=$?
	n=0
	while IFS= read -r line; do
		case $line in
		"ok "*)
			echo "PASS: rdp-codec: $t: ${line#ok * - }"; n=$((n + 1)) ;;
		"not ok "*)
			echo "FAIL: rdp-codec: $t: ${line#not ok * - }"; n=$((n + 1)); rc=1 ;;
		"#"*)
			echo "  $line" ;;
		esac
	done <<< "$out"
	if [ $status -ne 0 ] && [ $rc -eq 0 ]; then
		echo "FAIL: rdp-codec: $t exited with status $status"
		echo "$out" | tail -20 | sed 's/^/  /'
		rc=1
	fi
	[ $n -gt 0 ] || { echo "FAIL: rdp-codec: $t reported no tests"; rc=1; }
done
exit $rc
