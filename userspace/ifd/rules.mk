# SPDX-License-Identifier: MIT
#
# libifdvscard.so, the pcscd IFD handler for vscard slots.
#   make install-ifd [DESTDIR=...]   library + /etc/reader.conf.d/vscard

IFD_DIR := userspace/ifd
IFD_SRCS := $(addprefix $(IFD_DIR)/,ifdhandler.c driver.c caps.c slot.c presence.c \
	errmap.c devname.c log.c)
IFD_HDRS := $(wildcard $(IFD_DIR)/*.h) uapi/linux/vscard.h
IFD_LIB := $(O)/ifd/libifdvscard.so
IFD_CPPFLAGS := $(USER_CPPFLAGS) $(PCSC_CFLAGS)

USERSPACE_TARGETS += $(IFD_LIB)

$(IFD_LIB): $(IFD_SRCS) $(IFD_HDRS) $(IFD_DIR)/exports.map $(IFD_DIR)/rules.mk
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(WARN_CFLAGS) $(IFD_CPPFLAGS) -fPIC -shared \
		-Wl,--version-script=$(IFD_DIR)/exports.map \
		-Wl,-z,relro,-z,now -o $@ $(IFD_SRCS) -pthread

.PHONY: install-ifd
install-ifd: $(IFD_LIB)
	$(IFD_DIR)/install.sh $(IFD_LIB)
