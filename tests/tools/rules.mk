# SPDX-License-Identifier: MIT
#
# Test tools: $(O)/tools/vscard-testcard (test card agent) and the host unit
# test of its APDU responder.

TESTCARD_DIR := tests/tools/testcard
TESTCARD_SRCS := $(wildcard $(TESTCARD_DIR)/*.c)
TESTCARD_HDRS := $(wildcard $(TESTCARD_DIR)/*.h) userspace/lib/vscard_nl.h
TESTCARD := $(O)/tools/vscard-testcard
TESTCARD_CPPFLAGS := $(USER_CPPFLAGS) -I$(CURDIR)/userspace/lib $(NL_CFLAGS)

TEST_TARGETS += $(TESTCARD)

$(TESTCARD): $(TESTCARD_SRCS) $(TESTCARD_HDRS) $(O)/lib/libvscard.a
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(WARN_CFLAGS) $(TESTCARD_CPPFLAGS) -o $@ \
		$(TESTCARD_SRCS) $(O)/lib/libvscard.a $(NL_LIBS)
