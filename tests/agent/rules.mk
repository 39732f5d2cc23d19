# SPDX-License-Identifier: MIT
#
# Agent tests: host unit tests and the sanitizer build of vscard-agent that
# the scripted fake RDP client drives (tests/agent/test_agent.py, suite 65).

AGENT_UNIT_CPPFLAGS = $(AGENT_CPPFLAGS) -I$(CURDIR)/userspace/agent
AGENT_UNITS := $(O)/agent/unit_completion_table

TEST_TARGETS += $(AGENT_SAN_BIN) $(AGENT_UNITS)

$(O)/agent/unit_completion_table: tests/agent/unit_completion_table.c \
		userspace/agent/completion_table.c userspace/agent/completion_table.h
	@mkdir -p $(@D)
	$(CC) $(SAN_CFLAGS) $(WARN_CFLAGS) $(AGENT_UNIT_CPPFLAGS) -o $@ \
		tests/agent/unit_completion_table.c userspace/agent/completion_table.c

# libFuzzer targets over the whole agent state machine, channel mode and
# device mode (clang; the codec is compiled in from source so that one
# sanitizer runtime is used).
AGENT_FUZZ := $(O)/agent/fuzz_agent
AGENT_FUZZ_DEVICE := $(O)/agent/fuzz_device
AGENT_FUZZ_LIB_SRCS = \
	$(filter-out $(AGENT_DIR)/main.c $(AGENT_DIR)/kernel_nl.c,$(AGENT_SRCS)) \
	$(sort $(wildcard userspace/rdp/src/*.c))
AGENT_FUZZ_SRCS = tests/agent/fuzz_agent.c $(AGENT_FUZZ_LIB_SRCS)
AGENT_FUZZ_RUNS ?= 20000
AGENT_FUZZ_SECONDS ?= 600

ifneq ($(shell command -v clang 2>/dev/null),)
TEST_TARGETS += $(AGENT_FUZZ) $(AGENT_FUZZ_DEVICE)
endif

$(O)/agent/fuzz_%: tests/agent/fuzz_%.c tests/agent/fuzz_common.h $(AGENT_FUZZ_LIB_SRCS) \
		$(AGENT_HDRS) $(wildcard userspace/rdp/src/*.h)
	@mkdir -p $(@D)
	clang -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
		$(WARN_CFLAGS) $(AGENT_UNIT_CPPFLAGS) -I$(CURDIR)/userspace/rdp/src \
		-o $@ $< $(AGENT_FUZZ_LIB_SRCS)

# `make fuzz`: a long run with a kept corpus.
.PHONY: fuzz-agent
fuzz-agent: $(AGENT_FUZZ)
	@mkdir -p $(O)/agent/fuzz-corpus
	/usr/bin/python3 tests/agent/make_fuzz_seeds.py $(O)/agent/fuzz-corpus
	$(AGENT_FUZZ) -max_total_time=$(AGENT_FUZZ_SECONDS) -print_final_stats=1 \
		$(O)/agent/fuzz-corpus
	@mkdir -p $(O)/agent/fuzz-corpus-device
	/usr/bin/python3 tests/agent/make_fuzz_seeds.py --device $(O)/agent/fuzz-corpus-device
	$(AGENT_FUZZ_DEVICE) -max_total_time=$(AGENT_FUZZ_SECONDS) -print_final_stats=1 \
		$(O)/agent/fuzz-corpus-device
