# SPDX-License-Identifier: MIT
#
# vscard-rdp-server: $(O)/rdp-server/vscard-rdp-server
# A libfreerdp-server2 RDP server relaying rdpdr to vscard-agent.  Built
# only when freerdp-server2 is available (freerdp2-dev).  Links librdpcodec
# (userspace/rdp) for the svcport framing: literal archive path below.

RDPSRV_DIR := userspace/adapters/freerdp
RDPSRV_PKGS := freerdp-server2 freerdp2 winpr2
RDPSRV_PC_CFLAGS := $(shell pkg-config --cflags $(RDPSRV_PKGS) 2>/dev/null)
RDPSRV_PC_LIBS := $(shell pkg-config --libs $(RDPSRV_PKGS) 2>/dev/null)
RDPSRV_SRCS := $(sort $(wildcard $(RDPSRV_DIR)/*.c))
RDPSRV_HDRS := $(wildcard $(RDPSRV_DIR)/*.h) userspace/include/vscard/svcport.h \
	$(wildcard userspace/rdp/include/rdpcodec/*.h)
RDPSRV_OBJS := $(patsubst $(RDPSRV_DIR)/%.c,$(O)/rdp-server/obj/%.o,$(RDPSRV_SRCS))
RDPSRV_BIN := $(O)/rdp-server/vscard-rdp-server
# FreeRDP's headers trip -Wstrict-prototypes and -Wshadow.
RDPSRV_CFLAGS = $(USER_CFLAGS) $(WARN_CFLAGS) -Wno-strict-prototypes -pthread \
	$(USER_CPPFLAGS) -I$(CURDIR)/userspace/include -I$(CURDIR)/userspace/rdp/include \
	-isystem /usr/include/freerdp2 -isystem /usr/include/winpr2

ifneq ($(RDPSRV_PC_LIBS),)
USERSPACE_TARGETS += $(RDPSRV_BIN)
endif

$(O)/rdp-server/obj/%.o: $(RDPSRV_DIR)/%.c $(RDPSRV_HDRS)
	@mkdir -p $(@D)
	$(CC) $(RDPSRV_CFLAGS) -c -o $@ $<

$(RDPSRV_BIN): $(RDPSRV_OBJS) $(O)/librdpcodec.a
	$(CC) $(USER_CFLAGS) -pthread -o $@ $^ $(RDPSRV_PC_LIBS)
