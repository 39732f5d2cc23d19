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

.PHONY: all deps module userspace tests check bench demo fuzz clean \
	checkpatch sparse help

all: deps module userspace

help:
	@echo "make            build vscard.ko (KDIR=$(KDIR)) and userspace"
	@echo "make check      run every test suite; ends with 'N passed, N failed'"
	@echo "make demo       boot a VM and show vscard working"
	@echo "make bench      benchmarks, printed as ratios against a baseline"
	@echo "make fuzz       long fuzzing run of the agent's parsers"

deps:
	@scripts/install-deps.sh

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules

-include $(sort $(wildcard userspace/*/rules.mk userspace/adapters/*/rules.mk))
-include $(sort $(wildcard tests/*/rules.mk))

userspace: $(USERSPACE_TARGETS)
tests: $(TEST_TARGETS)

check: all tests
	@tests/run-suites.sh

clean:
	-$(MAKE) -C $(KDIR) M=$(CURDIR) clean
	rm -rf $(O)
