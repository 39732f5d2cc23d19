# SPDX-License-Identifier: GPL-2.0
#
# vscard top-level build.  `make` builds the module and all userspace;
# `make check` runs every test suite (see Documentation/testing.rst).
#
# Userspace components and test suites plug in through fragments:
#   userspace/<component>/rules.mk, tests/<suite>/rules.mk
# Each fragment appends its outputs to USERSPACE_TARGETS or TEST_TARGETS and
# defines its own rules.  Outputs go under $(O) (default build/).

SHELL := /bin/bash
O ?= $(CURDIR)/build
export O

# Debian packages first: the pkg-config probes below need them.  Quiet when
# everything is installed; VSCARD_SKIP_DEPS=1 skips the check.
ifeq ($(filter-out clean help,$(or $(MAKECMDGOALS),all)),)
else ifeq ($(VSCARD_SKIP_DEPS)$(MAKELEVEL),0)
VSCARD_DEPS := $(shell scripts/install-deps.sh >&2 || echo failed)
ifneq ($(VSCARD_DEPS),)
$(error scripts/install-deps.sh failed)
endif
endif

KDIR ?= $(shell scripts/find-kdir.sh)

CC ?= cc
WARN_CFLAGS := -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes \
	-Wmissing-prototypes -Wformat=2 -Wno-unused-parameter
USER_CFLAGS ?= -O2 -g
USER_CPPFLAGS := -I$(CURDIR)/uapi -D_GNU_SOURCE
# Sanitizer build of the same sources, used by the unit tests.
SAN_CFLAGS := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	-fno-sanitize-recover=all

NL_CFLAGS := $(shell pkg-config --cflags libnl-genl-3.0 2>/dev/null)
NL_LIBS := $(shell pkg-config --libs libnl-genl-3.0 2>/dev/null)
PCSC_CFLAGS := $(shell pkg-config --cflags libpcsclite 2>/dev/null)

USERSPACE_TARGETS :=
TEST_TARGETS :=

.PHONY: all deps module userspace tests check bench demo demo-freerdp demo-module \
	bench-xrdp fuzz \
	clean checkpatch sparse help debug-kernel install install-userspace \
	modules_install dkms-source dkms-install

all: module userspace

help:
	@echo "make            build vscard.ko (KDIR=$(KDIR)) and userspace"
	@echo "make check      run every test suite; ends with 'N passed, N failed'"
	@echo "make demo       in a VM: xfreerdp (card, drive) -> xrdp desktop: pcsc_scan, APDUs, files"
	@echo "make demo-freerdp  the same card through vscard's FreeRDP test server"
	@echo "make demo-module  boot a VM, load vscard.ko, show sysfs and /dev"
	@echo "make install    vscard.ko (modules_install, KDIR) + userspace (PREFIX=$(PREFIX))"
	@echo "make dkms-install  module source in /usr/src, built by DKMS for every kernel"
	@echo "make bench      benchmarks, printed as ratios against a baseline"
	@echo "make bench-xrdp APDU round trip in an xrdp session vs. client side and test server"
	@echo "make fuzz       long fuzzing run of the agent's parsers"
	@echo "tests/vm/run.sh --kernel 6.1 --shell   a shell in the test VM"
	@echo "VSCARD_SUITES=<regex> make check       run only matching suites"

deps:
	@scripts/install-deps.sh

# Built out of tree in $(O)/kmod/kdir/ (see scripts/build-module.sh).
module:
	@KDIR=$(KDIR) scripts/build-module.sh kdir >/dev/null
	@echo "built $(O)/kmod/kdir/module/vscard.ko (KDIR=$(KDIR))"

debug-kernel:
	@tests/vm/build-debug-kernel.sh

-include $(sort $(wildcard userspace/*/rules.mk userspace/adapters/*/rules.mk))
-include $(sort $(wildcard tests/*/rules.mk))

userspace: $(USERSPACE_TARGETS)
tests: $(TEST_TARGETS)

# Fragments define bench-<component> and fuzz-<component> targets.
FRAGMENTS := $(wildcard userspace/*/rules.mk userspace/adapters/*/rules.mk tests/*/rules.mk)
BENCH_TARGETS := $(shell sed -n 's/^\(bench-[A-Za-z0-9_-]*\):.*/\1/p' $(FRAGMENTS) /dev/null | sort -u)
FUZZ_TARGETS := $(shell sed -n 's/^\(fuzz-[A-Za-z0-9_-]*\):.*/\1/p' $(FRAGMENTS) /dev/null | sort -u)
bench: all tests $(BENCH_TARGETS)
fuzz: $(FUZZ_TARGETS)

# Kernel hygiene: checkpatch (from the debug kernel's source tree) and sparse.
checkpatch:
	@src=$$(tests/vm/build-debug-kernel.sh)/source && \
	$$src/scripts/checkpatch.pl --strict --no-tree --terse -f module/*.[ch] uapi/linux/*.h

sparse:
	@VSCARD_KBUILD_ARGS="C=2" scripts/build-module.sh 6.1 >/dev/null && echo "sparse: clean"

check: all tests
	@tests/run-suites.sh

# The scene on xrdp (tests/xrdp/demo.sh builds and installs the patched
# xrdp as `make xrdp` does, cached) and on the FreeRDP test server.
demo: deps
	@tests/xrdp/demo.sh demo

demo-freerdp: deps
	@tests/e2e/demo.sh

# Not a fragment's bench-* target, so not part of `make bench`: it needs
# the xrdp build (XRDP_BENCH_N: APDUs per median, default 40).
bench-xrdp: deps
	@tests/xrdp/demo.sh bench

# The short version: boot a VM, load vscard.ko, show sysfs and /dev.
demo-module: deps
	@scripts/demo.sh

# ---- installation (Documentation/admin-guide.rst) ----
VERSION := $(shell cat VERSION)
PREFIX ?= /usr/local
# The release KDIR builds for (uname -r of that kernel; Debian's headers
# have another string in include/config/kernel.release).
KVER ?= $(shell sed -n 's/.*UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
DKMS_SRC = $(DESTDIR)/usr/src/vscard-$(VERSION)

# vscard.ko into /lib/modules/$(KVER)/updates/module/ (Kbuild's own
# modules_install, unsigned: distribution signing keys are not at hand),
# then depmod; `modprobe vscard` works afterwards.  Debian's headers have
# no System.map, so Kbuild's own depmod step is skipped: ours runs instead.
modules_install: module
	$(MAKE) -s -C $(KDIR) M=$(O)/kmod/kdir INSTALL_MOD_PATH=$(DESTDIR) \
		INSTALL_MOD_DIR=updates CONFIG_MODULE_SIG_ALL= modules_install \
		2>&1 | grep -v "missing 'System.map'" || true
	ls $(DESTDIR)/lib/modules/$(KVER)/updates/module/vscard.ko* >/dev/null
	if [ -z "$(DESTDIR)" ]; then depmod -a $(KVER); fi

# System integration files go to /etc, which every systemd, udev and kmod
# version reads; packages set these to their /usr/lib/... directories.
SYSTEMDUNITDIR ?= /etc/systemd/system
UDEVRULESDIR ?= /etc/udev/rules.d
TMPFILESDIR ?= /etc/tmpfiles.d
MODULESLOADDIR ?= /etc/modules-load.d
MODPROBEDIR ?= /etc/modprobe.d
MANDIR ?= $(PREFIX)/share/man

# Userspace: the agent, the RDP server adapter, vscardctl, vscard-session,
# the IFD handler with its reader.conf.d entry (pcscd's own paths, not
# PREFIX), the uapi header, the man pages and the system integration files
# (Documentation/admin-guide.rst).  Without DESTDIR, the running systemd,
# udev and tmpfiles are told about them.
install-userspace: userspace
	install -D -m 0755 $(O)/agent/vscard-agent $(DESTDIR)$(PREFIX)/sbin/vscard-agent
	install -D -m 0755 $(O)/rdp-server/vscard-rdp-server \
		$(DESTDIR)$(PREFIX)/sbin/vscard-rdp-server
	install -D -m 0755 $(O)/vscardctl/vscardctl $(DESTDIR)$(PREFIX)/bin/vscardctl
	install -D -m 0755 userspace/session/vscard-session \
		$(DESTDIR)$(PREFIX)/sbin/vscard-session
	install -D -m 0644 userspace/agent/vscard-agent.8 \
		$(DESTDIR)$(MANDIR)/man8/vscard-agent.8
	install -D -m 0644 userspace/session/vscard-session.8 \
		$(DESTDIR)$(MANDIR)/man8/vscard-session.8
	install -D -m 0644 userspace/adapters/freerdp/vscard-rdp-server.8 \
		$(DESTDIR)$(MANDIR)/man8/vscard-rdp-server.8
	install -D -m 0644 userspace/vscardctl/vscardctl.1 \
		$(DESTDIR)$(MANDIR)/man1/vscardctl.1
	install -D -m 0644 uapi/linux/vscard.h $(DESTDIR)$(PREFIX)/include/linux/vscard.h
	DESTDIR=$(DESTDIR) userspace/ifd/install.sh $(O)/ifd/libifdvscard.so
	install -d $(DESTDIR)$(SYSTEMDUNITDIR)
	sed 's|@SBINDIR@|$(PREFIX)/sbin|g' userspace/system/vscard-pcscd@.service \
		> $(DESTDIR)$(SYSTEMDUNITDIR)/vscard-pcscd@.service
	chmod 0644 $(DESTDIR)$(SYSTEMDUNITDIR)/vscard-pcscd@.service
	install -D -m 0644 userspace/system/60-vscard.rules \
		$(DESTDIR)$(UDEVRULESDIR)/60-vscard.rules
	install -D -m 0644 userspace/system/vscard-tmpfiles.conf \
		$(DESTDIR)$(TMPFILESDIR)/vscard.conf
	install -D -m 0644 userspace/system/vscard-modules-load.conf \
		$(DESTDIR)$(MODULESLOADDIR)/vscard.conf
	install -D -m 0644 userspace/system/vscard-modprobe.conf \
		$(DESTDIR)$(MODPROBEDIR)/vscard.conf
	if [ -z "$(DESTDIR)" ]; then \
		systemd-tmpfiles --create $(TMPFILESDIR)/vscard.conf 2>/dev/null || \
			install -d -m 0711 /run/vscard; \
		udevadm control --reload 2>/dev/null || true; \
		if [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi; \
	fi

install: modules_install install-userspace

# The module source under /usr/src for DKMS, which rebuilds it for every
# kernel installed later; `make dkms-install` also registers and builds it.
dkms-source:
	rm -rf $(DKMS_SRC)
	mkdir -p $(DKMS_SRC)
	cp -p Kbuild VERSION $(DKMS_SRC)/
	sed 's/@VERSION@/$(VERSION)/' dkms.conf.in > $(DKMS_SRC)/dkms.conf
	tar -cf - $$(git ls-files module uapi 2>/dev/null || find module uapi -type f) | \
		tar -xf - -C $(DKMS_SRC)

dkms-install: dkms-source
	dkms install vscard/$(VERSION)

clean:
	rm -rf $(O)
