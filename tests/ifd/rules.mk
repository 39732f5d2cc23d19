# SPDX-License-Identifier: MIT
#
# libifdvscard tests: host unit tests (ASan+UBSan) and the helpers of the
# QEMU suites (tests/ifd/vm-ifd.sh); bench-ifd (P2/P3 against vpcd).

IFD_UNIT := $(O)/ifd/unit_ifd
IFD_BENCH := $(O)/ifd/ifd-bench

TEST_TARGETS += $(IFD_UNIT)

$(IFD_UNIT): tests/ifd/unit_ifd.c $(IFD_SRCS) $(IFD_HDRS) tests/ifd/rules.mk
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(WARN_CFLAGS) $(IFD_CPPFLAGS) -I$(IFD_DIR) -o $@ \
		tests/ifd/unit_ifd.c $(IFD_SRCS) -pthread

# bench-ifd (make bench): P2 insert -> SCardGetStatusChange latency and P3
# SCardTransmit round trip, libifdvscard against vpcd in one pcscd, in a
# 6.1 VM.  BENCH_IFD_ARGS: ifd-bench options (--p2-vscard N ...).
IFD_BENCH_SRCS := tests/ifd/bench_ifd.c tests/ifd/bench_card.c \
	tests/ifd/bench_vscard_card.c tests/ifd/bench_vpcd_card.c \
	tests/tools/testcard/apdu.c
IFD_BENCH_CPPFLAGS := $(USER_CPPFLAGS) $(PCSC_CFLAGS) $(NL_CFLAGS) \
	-I$(CURDIR)/userspace/lib -I$(CURDIR)/tests/tools/testcard
IFD_BENCH_LIBS := $(shell pkg-config --libs libpcsclite 2>/dev/null)

TEST_TARGETS += $(IFD_BENCH)

$(IFD_BENCH): $(IFD_BENCH_SRCS) tests/ifd/bench_ifd.h \
		tests/tools/testcard/apdu.h userspace/lib/vscard_nl.h \
		uapi/linux/vscard.h $(O)/lib/libvscard.a tests/ifd/rules.mk
	@mkdir -p $(@D)
	$(CC) $(USER_CFLAGS) $(WARN_CFLAGS) $(IFD_BENCH_CPPFLAGS) -pthread -o $@ \
		$(IFD_BENCH_SRCS) $(O)/lib/libvscard.a $(NL_LIBS) $(IFD_BENCH_LIBS)

.PHONY: bench-ifd
bench-ifd: $(IFD_BENCH) $(IFD_LIB)
	@kdir=$$(scripts/build-module.sh 6.1) && \
	mkdir -p $(O)/ifd/kmod-bench && \
	cp "$$kdir/module/vscard.ko" $(O)/ifd/kmod-bench/vscard.ko && \
	tests/vm/run.sh --kernel 6.1 --timeout 900 --name bench-ifd -- \
		env O=$(O) VSCARD_KO=$(O)/ifd/kmod-bench/vscard.ko \
		BENCH_IFD_ARGS="$(BENCH_IFD_ARGS)" tests/ifd/vm-bench-ifd.sh 6.1
