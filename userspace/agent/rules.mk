# SPDX-License-Identifier: MIT
#
# vscard-agent: $(O)/agent/vscard-agent
# Links librdpcodec (userspace/rdp) for every RDPDR/RDPESC/svcport layout
# and libvscard (userspace/lib) for the kernel side.  Fragments of other
# components are included after this one: use literal archive paths.

AGENT_DIR := userspace/agent
AGENT_SRCS := $(sort $(wildcard $(AGENT_DIR)/*.c))
AGENT_HDRS := $(wildcard $(AGENT_DIR)/*.h) uapi/linux/vscard.h \
	userspace/include/vscard/svcport.h userspace/lib/vscard_nl.h \
	$(wildcard userspace/rdp/include/rdpcodec/*.h)
AGENT_CPPFLAGS = $(USER_CPPFLAGS) -I$(CURDIR)/userspace/include \
	-I$(CURDIR)/userspace/rdp/include \
	-I$(CURDIR)/userspace/lib $(NL_CFLAGS)
AGENT_OBJS := $(patsubst $(AGENT_DIR)/%.c,$(O)/agent/obj/%.o,$(AGENT_SRCS))
AGENT_SAN_OBJS := $(patsubst $(AGENT_DIR)/%.c,$(O)/agent/san/%.o,$(AGENT_SRCS))
AGENT_BIN := $(O)/agent/vscard-agent
AGENT_SAN_BIN := $(O)/agent/vscard-agent-san

USERSPACE_TARGETS += $(AGENT_BIN)

$(O)/agent/obj/%.o: $(AGENT_DIR)/%.c $(AGENT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(WARN_CFLAGS) $(AGENT_CPPFLAGS) -c -o $@ $<

$(O)/agent/san/%.o: $(AGENT_DIR)/%.c $(AGENT_HDRS)
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(WARN_CFLAGS) $(AGENT_CPPFLAGS) -c -o $@ $<

$(AGENT_BIN): $(AGENT_OBJS) $(O)/librdpcodec.a $(O)/lib/libvscard.a
	$(CC) $(USER_CFLAGS) -o $@ $^ $(NL_LIBS)

# Sanitizer build used by the host state-machine tests.
$(AGENT_SAN_BIN): $(AGENT_SAN_OBJS) $(O)/librdpcodec-san.a $(O)/lib/libvscard-san.a
	$(CC) $(SAN_CFLAGS) -o $@ $^ $(NL_LIBS)
