# SPDX-License-Identifier: MIT
#
# make bench-sessions: P4 of the per-session readers (64 sessions x 4
# readers in one 6.1 VM; tests/sessbench/vm-bench.sh prints the figures).

.PHONY: bench-sessions
bench: bench-sessions
bench-sessions: $(O)/tools/vscard-testcard $(O)/vscardctl/vscardctl $(O)/ifd/libifdvscard.so \
		$(O)/agent/vscard-agent
	@kdir=$$(scripts/build-module.sh 6.1) && \
	mkdir -p $(O)/sessbench && \
	cp "$$kdir/module/vscard.ko" $(O)/sessbench/vscard.ko && \
	tests/vm/run.sh --kernel 6.1 --mem 4096 --timeout 1200 --name bench-sessions -- \
		env O=$(O) VSCARD_KO=$(O)/sessbench/vscard.ko \
		BENCH_SESSIONS_N=$(BENCH_SESSIONS_N) tests/sessbench/vm-bench.sh
