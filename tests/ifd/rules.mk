# SPDX-License-Identifier: MIT
#
# libifdvscard tests: host unit tests (ASan+UBSan) and the helpers of the
# QEMU suites (tests/ifd/vm-ifd.sh); bench-ifd (P2/P3 against vpcd).

IFD_UNIT := $(O)/ifd/unit_ifd
IFD_VPCD_CARD := $(O)/ifd/vpcd-card
IFD_BENCH := $(O)/ifd/ifd-bench

TEST_TARGETS += $(IFD_UNIT)

$(IFD_UNIT): tests/ifd/unit_ifd.c $(IFD_SRCS) $(IFD_HDRS) tests/ifd/rules.mk
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(WARN_CFLAGS) $(IFD_CPPFLAGS) -I$(IFD_DIR) -o $@ \
		tests/ifd/unit_ifd.c $(IFD_SRCS) -pthread
