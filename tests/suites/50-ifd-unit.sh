#!/bin/bash
# SPDX-License-Identifier: MIT
# libifdvscard host unit tests (ASan+UBSan): DEVICENAME parsing, node
# lookup, generation rule, error mapping, stop semantics, absent-slot
# behaviour of every entry point, attributes of a bound slot (a fake node:
# ATR_STRING as CCID, reader names as pcscd shows them); plus the exported
# v3 symbol set.
top=$(cd "$(dirname "$0")/../.." && pwd)
O=${O:-$top/build}
bin=$O/ifd/unit_ifd lib=$O/ifd/libifdvscard.so
for f in "$bin" "$lib"; do
	[ -e "$f" ] || { echo "FAIL: ifd-unit: $f not built (make tests)"; exit 1; }
done
want="IFDHCloseChannel IFDHControl IFDHCreateChannel IFDHCreateChannelByName
IFDHGetCapabilities IFDHICCPresence IFDHPowerICC IFDHSetCapabilities
IFDHSetProtocolParameters IFDHTransmitToICC"
have=$(nm -D --defined-only "$lib" | awk '$2 == "T" { print $3 }' | sort | tr '\n' ' ')
if [ "$have" = "$(echo $want | tr ' ' '\n' | sort | tr '\n' ' ')" ]; then
	echo "PASS: ifd-unit: libifdvscard.so exports exactly the 10 IFD v3 entry points"
else
	echo "FAIL: ifd-unit: exported symbols: $have"
fi
ASAN_OPTIONS=detect_leaks=1 "$bin"
