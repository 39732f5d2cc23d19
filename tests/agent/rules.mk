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
