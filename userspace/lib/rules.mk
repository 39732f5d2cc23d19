# SPDX-License-Identifier: MIT
#
# libvscard: static client library of the vscard ABI (netlink, binding files).
#   $(O)/lib/libvscard.a      normal build
#   $(O)/lib/libvscard-san.a  ASan+UBSan build for unit tests
# Consumers: -I$(CURDIR)/userspace/lib $(USER_CPPFLAGS) $(NL_CFLAGS), link
# the archive and $(NL_LIBS).  Use these literal paths in prerequisites:
# fragments are included in alphabetical order.

LIBVSCARD_DIR := userspace/lib
LIBVSCARD_SRCS := $(wildcard $(LIBVSCARD_DIR)/*.c)
LIBVSCARD_HDRS := $(wildcard $(LIBVSCARD_DIR)/*.h) uapi/linux/vscard.h
LIBVSCARD_OBJS := $(patsubst $(LIBVSCARD_DIR)/%.c,$(O)/lib/obj/%.o,$(LIBVSCARD_SRCS))
LIBVSCARD_SAN_OBJS := $(patsubst $(LIBVSCARD_DIR)/%.c,$(O)/lib/san/%.o,$(LIBVSCARD_SRCS))
LIBVSCARD := $(O)/lib/libvscard.a
LIBVSCARD_SAN := $(O)/lib/libvscard-san.a
LIBVSCARD_CPPFLAGS := $(USER_CPPFLAGS) -I$(CURDIR)/$(LIBVSCARD_DIR) $(NL_CFLAGS)

USERSPACE_TARGETS += $(LIBVSCARD) $(LIBVSCARD_SAN)

$(O)/lib/obj/%.o: $(LIBVSCARD_DIR)/%.c $(LIBVSCARD_HDRS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(WARN_CFLAGS) $(LIBVSCARD_CPPFLAGS) -c -o $@ $<

$(O)/lib/san/%.o: $(LIBVSCARD_DIR)/%.c $(LIBVSCARD_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(WARN_CFLAGS) $(LIBVSCARD_CPPFLAGS) -c -o $@ $<

$(LIBVSCARD): $(LIBVSCARD_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^

$(LIBVSCARD_SAN): $(LIBVSCARD_SAN_OBJS)
	@rm -f $@
	$(AR) rcs $@ $^
