#!/bin/bash
# SPDX-License-Identifier: MIT
#
# Host unit tests (no kernel): libvscard chunking/attribute parsing and the
# test card's APDU responder, both built with ASan+UBSan.
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
rc=0
for t in unit_libvscard unit_testcard; do
	bin=$O/abi/$t
	if [ ! -x "$bin" ]; then
		echo "FAIL: abi-unit: $t not built (make tests)"
		rc=1
		continue
	fi
	"$bin" || rc=1
done
exit $rc
