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

# The ABI test binary (runs in the VM).
ABI_TEST_SRCS := $(ABI_DIR)/abi_main.c $(ABI_DIR)/abi_util.c $(ABI_DIR)/abi_trace.c \
	$(ABI_DIR)/abi_agent.c $(wildcard $(ABI_DIR)/t_*.c) \
	tests/tools/testcard/apdu.c
ABI_TEST_HDRS := $(ABI_DIR)/abi.h $(ABI_DIR)/tap.h userspace/lib/vscard_nl.h \
	tests/tools/testcard/apdu.h uapi/linux/vscard.h

TEST_TARGETS += $(O)/abi/abi_test

$(O)/abi/abi_test: $(ABI_TEST_SRCS) $(ABI_TEST_HDRS) $(O)/lib/libvscard.a
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(WARN_CFLAGS) $(ABI_CPPFLAGS) -pthread -o $@ \
		$(ABI_TEST_SRCS) $(O)/lib/libvscard.a $(NL_LIBS)

# vscard-hold (binds as the calling user and execs a command with the
# binding file) and the LD_PRELOAD shim that hands it to trinity: suite 47.
TEST_TARGETS += $(O)/abi/vscard-hold $(O)/abi/vscard-victim.so

$(O)/abi/vscard-hold: $(ABI_DIR)/vscard_hold.c $(ABI_TEST_HDRS) $(O)/lib/libvscard.a
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(WARN_CFLAGS) $(ABI_CPPFLAGS) -o $@ $< \
		$(O)/lib/libvscard.a $(NL_LIBS)

$(O)/abi/vscard-victim.so: $(ABI_DIR)/victim_preload.c
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(WARN_CFLAGS) $(USER_CPPFLAGS) -fPIC -shared \
		-o $@ $< -ldl

# bench-abi (make bench): P1 round trip and wakeup latency, in a 6.1 VM.
ABI_BENCH_SRCS := $(ABI_DIR)/bench.c $(ABI_DIR)/abi_util.c \
	$(ABI_DIR)/abi_agent.c tests/tools/testcard/apdu.c

TEST_TARGETS += $(O)/abi/abi_bench

$(O)/abi/abi_bench: $(ABI_BENCH_SRCS) $(ABI_TEST_HDRS) $(O)/lib/libvscard.a
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(WARN_CFLAGS) $(ABI_CPPFLAGS) -pthread -o $@ \
		$(ABI_BENCH_SRCS) $(O)/lib/libvscard.a $(NL_LIBS)

.PHONY: bench-abi
bench: bench-abi
bench-abi: $(O)/abi/abi_bench
	@kdir=$$(scripts/build-module.sh 6.1) && \
	mkdir -p $(O)/abi/kmod-bench && \
	cp "$$kdir/module/vscard.ko" $(O)/abi/kmod-bench/vscard.ko && \
	tests/vm/run.sh --kernel 6.1 --timeout 900 --name bench-abi -- \
		env VSCARD_KO=$(O)/abi/kmod-bench/vscard.ko \
		BENCH_ABI_ARGS="$(BENCH_ABI_ARGS)" tests/abi/vm-bench.sh 6.1

# The concurrency stress at full size (8 threads x 100k requests) on the
# debug kernel (KASAN, lockdep, kmemleak): about 45 minutes under TCG, so
# not part of make check (suite 45 runs 8 x 1000 there; suite 40 runs the
# full size on the stock 6.1 kernel).  Then a long trinity run as an
# unprivileged user on a binding file and its pool's nodes (suite 47 runs
# 5000 calls): TRINITY_LONG_CALLS (default 200000) calls, 4 children.
TRINITY_LONG_CALLS ?= 200000
.PHONY: stress-debug
stress-debug: $(O)/abi/abi_test $(O)/abi/vscard-hold $(O)/abi/vscard-victim.so
	ABI_STRESS_COUNT=100000 ABI_VM_TIMEOUT=7200 ABI_VM_TAG=abi-debug-full \
		tests/abi/run-vm-abi.sh debug stress
	TRINITY_CALLS=$(TRINITY_LONG_CALLS) TRINITY_CHILDREN=4 \
		TRINITY_TIMEOUT=10800 TRINITY_VM_TIMEOUT=11000 \
		TRINITY_TAG=trinity-debug-long tests/abi/run-vm-trinity.sh debug
