# SPDX-License-Identifier: MIT
#
# librdpcodec: pure RDPDR / RDPESC / SVC-port codec (no I/O, no globals).
#
# For users (e.g. the agent):
#   CPPFLAGS: $(RDPCODEC_CPPFLAGS)  (= -Iuserspace/rdp/include -Iuserspace/include)
#   normal build:    $(O)/librdpcodec.a
#   sanitizer build: $(O)/librdpcodec-san.a   (same sources with SAN_CFLAGS)
# userspace/agent/rules.mk is read before this file, so in *prerequisite*
# lists use the literal paths above, not these variables.

RDPCODEC_DIR := userspace/rdp
RDPCODEC_SRCS := $(sort $(wildcard $(RDPCODEC_DIR)/src/*.c))
RDPCODEC_HDRS := $(wildcard $(RDPCODEC_DIR)/include/rdpcodec/*.h $(RDPCODEC_DIR)/src/*.h) \
	userspace/include/vscard/svcport.h
RDPCODEC_CPPFLAGS := -I$(CURDIR)/$(RDPCODEC_DIR)/include -I$(CURDIR)/userspace/include
RDPCODEC_LIB := $(O)/librdpcodec.a
RDPCODEC_SAN_LIB := $(O)/librdpcodec-san.a
RDPCODEC_OBJS := $(patsubst $(RDPCODEC_DIR)/src/%.c,$(O)/rdpcodec/%.o,$(RDPCODEC_SRCS))
RDPCODEC_SAN_OBJS := $(patsubst $(RDPCODEC_DIR)/src/%.c,$(O)/rdpcodec-san/%.o,$(RDPCODEC_SRCS))

USERSPACE_TARGETS += $(RDPCODEC_LIB)

$(O)/rdpcodec/%.o: $(RDPCODEC_DIR)/src/%.c $(RDPCODEC_HDRS)
	@mkdir -p $(@D)
	$(CC) $(USER_CPPFLAGS) $(RDPCODEC_CPPFLAGS) $(USER_CFLAGS) $(WARN_CFLAGS) -c -o $@ $<

$(O)/rdpcodec-san/%.o: $(RDPCODEC_DIR)/src/%.c $(RDPCODEC_HDRS)
	@mkdir -p $(@D)
	$(CC) $(USER_CPPFLAGS) $(RDPCODEC_CPPFLAGS) $(SAN_CFLAGS) $(WARN_CFLAGS) -c -o $@ $<

$(RDPCODEC_LIB): $(RDPCODEC_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(RDPCODEC_SAN_LIB): $(RDPCODEC_SAN_OBJS)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^
