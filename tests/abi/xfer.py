#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Send one APDU through /dev/vscardN (VSCARD_IOC_TRANSMIT); print the
response as hex, or 'error ERRNO'.  Usage: xfer.py DEVICE HEXAPDU"""
import ctypes
import fcntl
import struct
import sys

# _IOWR(0xB8, 0x04, struct vscard_xfer), sizeof == 48
VSCARD_IOC_TRANSMIT = (3 << 30) | (48 << 16) | (0xB8 << 8) | 0x04
VSCARD_PROTO_T1 = 2


def main():
    dev, apdu = sys.argv[1], bytes.fromhex(sys.argv[2])
    tx = ctypes.create_string_buffer(apdu, len(apdu))
    rx = ctypes.create_string_buffer(65538)
    arg = bytearray(struct.pack("=QQIIIIQII", ctypes.addressof(tx),
                                ctypes.addressof(rx), len(apdu), len(rx),
                                VSCARD_PROTO_T1, 5000, 0, 0, 0))
    with open(dev, "rb", buffering=0) as f:
        try:
            fcntl.ioctl(f.fileno(), VSCARD_IOC_TRANSMIT, arg, True)
        except OSError as e:
            print("error", e.errno)
            return 1
    rx_len = struct.unpack_from("=I", arg, 20)[0]
    print(rx.raw[:rx_len].hex())
    return 0


sys.exit(main())
