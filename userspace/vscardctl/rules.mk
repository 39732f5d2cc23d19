# SPDX-License-Identifier: MIT
# vscardctl: $(O)/vscardctl/vscardctl

VSCARDCTL_DIR := userspace/vscardctl
VSCARDCTL_SRCS := $(wildcard $(VSCARDCTL_DIR)/*.c)
VSCARDCTL := $(O)/vscardctl/vscardctl

USERSPACE_TARGETS += $(VSCARDCTL)

$(VSCARDCTL): $(VSCARDCTL_SRCS) $(VSCARDCTL_DIR)/vscardctl.h \
		userspace/lib/vscard_nl.h $(O)/lib/libvscard.a
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(WARN_CFLAGS) $(USER_CPPFLAGS) \
		-I$(CURDIR)/userspace/lib $(NL_CFLAGS) -o $@ \
		$(VSCARDCTL_SRCS) $(O)/lib/libvscard.a $(NL_LIBS)
