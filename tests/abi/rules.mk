# SPDX-License-Identifier: MIT
#
# ABI tests (run in QEMU against vscard.ko) and host unit tests of
# libvscard and the test card (sanitizer builds).

ABI_DIR := tests/abi
ABI_CPPFLAGS := $(USER_CPPFLAGS) -I$(CURDIR)/userspace/lib \
	-I$(CURDIR)/tests/tools/testcard $(NL_CFLAGS)
ABI_UNITS := $(O)/abi/unit_libvscard $(O)/abi/unit_testcard

TEST_TARGETS += $(ABI_UNITS)

$(O)/abi/unit_libvscard: $(ABI_DIR)/unit_libvscard.c $(ABI_DIR)/tap.h \
		$(O)/lib/libvscard-san.a
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(WARN_CFLAGS) $(ABI_CPPFLAGS) -o $@ $< \
		$(O)/lib/libvscard-san.a $(NL_LIBS)

$(O)/abi/unit_testcard: $(ABI_DIR)/unit_testcard.c $(ABI_DIR)/tap.h \
		tests/tools/testcard/apdu.c tests/tools/testcard/apdu.h
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(WARN_CFLAGS) $(ABI_CPPFLAGS) -o $@ $< \
		tests/tools/testcard/apdu.c
