# SPDX-License-Identifier: MIT
#
# librdpcodec tests: cmocka unit tests (ASan/UBSan) and the libFuzzer target.
# Run by tests/suites/60-rdp-codec.sh and 61-rdp-fuzz.sh; `make fuzz` runs
# the fuzzer long (RDPT_FUZZ_TIME seconds, default 600).

RDPT_DIR := tests/rdp
RDPT_COMMON := $(RDPT_DIR)/common.c $(RDPT_DIR)/vec.c $(RDPT_DIR)/decode_all.c
RDPT_TESTS := test_vectors test_codec test_robust
RDPT_BINS := $(addprefix $(O)/tests/rdp/,$(RDPT_TESTS))
RDPT_FUZZ := $(O)/tests/rdp/fuzz_rdp
RDPT_CORPUS := $(O)/tests/rdp/corpus
RDPT_CC_FUZZ ?= clang
RDPT_FUZZ_TIME ?= 600

TEST_TARGETS += $(RDPT_BINS) $(RDPT_FUZZ)

$(O)/tests/rdp/%: $(RDPT_DIR)/%.c $(RDPT_COMMON) $(RDPT_DIR)/common.h $(RDPT_DIR)/vec.h $(RDPT_DIR)/decode_all.h \
		$(O)/librdpcodec-san.a
	@mkdir -p $(@D)
	$(CC) $(USER_CPPFLAGS) $(RDPCODEC_CPPFLAGS) $(SAN_CFLAGS) $(WARN_CFLAGS) \
		-o $@ $< $(RDPT_COMMON) $(O)/librdpcodec-san.a -lcmocka

# The fuzzer links the library sources directly, instrumented by clang.
$(RDPT_FUZZ): $(RDPT_DIR)/fuzz_rdp.c $(RDPCODEC_SRCS) $(RDPCODEC_HDRS)
	@mkdir -p $(@D)
	$(RDPT_CC_FUZZ) $(USER_CPPFLAGS) $(RDPCODEC_CPPFLAGS) -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(filter-out -Wformat=2,$(WARN_CFLAGS)) -o $@ $< $(RDPCODEC_SRCS)

# `make fuzz` (collected by the top Makefile): long run.  The seed corpus is
# generated from the byte vectors at run time (nothing binary is committed);
# new inputs accumulate in fuzz-work/ across runs.
.PHONY: fuzz-rdp
fuzz-rdp: $(RDPT_FUZZ)
	$(RDPT_DIR)/make-corpus.sh $(RDPT_CORPUS)
	@mkdir -p $(O)/tests/rdp/fuzz-work
	$(RDPT_FUZZ) -max_total_time=$(RDPT_FUZZ_TIME) -print_final_stats=1 \
		-artifact_prefix=$(O)/tests/rdp/fuzz-work/ $(O)/tests/rdp/fuzz-work $(RDPT_CORPUS)
