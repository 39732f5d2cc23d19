// SPDX-License-Identifier: MIT
/*
 * vscard ABI tests (ABI 2): run as root against a loaded vscard.ko (pool 0
 * with at least 8 slots, all unbound, root-owned).  Usage: abi_test
 * [--prefix P] [GROUP...]; groups are status, xfer, bfile, linger, priv,
 * death, stress (default: all but stress).  Environment: ABI_STRESS_COUNT
 * (requests per stress thread, default 2000), ABI_DEBUG=1 (print every
 * SLOT_GET reply).
 */
#include <stdio.h>
#include <string.h>
#include "abi.h"

struct tap abi_tap = { .prefix = "abi" };

static const struct {
	const char *name;
	void (*fn)(void);
	bool by_default;
} groups[] = {
	{ "status", t_status, true },
	{ "xfer", t_xfer, true },
	{ "bfile", t_bfile, true },
	{ "linger", t_linger, true },
	{ "priv", t_priv, true },
	{ "death", t_death, true },
	{ "stress", t_stress, false },
};

#define NGROUPS (sizeof(groups) / sizeof(groups[0]))

int main(int argc, char **argv)
{
	size_t i;
	int a;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "--prefix") && argc > 2) {
		abi_tap.prefix = argv[2];
		argc -= 2;
		argv += 2;
	}
	if (argc == 1) {
		for (i = 0; i < NGROUPS; i++)
			if (groups[i].by_default)
				groups[i].fn();
		return tap_done(&abi_tap);
	}
	for (a = 1; a < argc; a++) {
		for (i = 0; i < NGROUPS; i++)
			if (!strcmp(argv[a], groups[i].name))
				break;
		if (i == NGROUPS) {
			fprintf(stderr, "abi_test: unknown group %s\n", argv[a]);
			return 2;
		}
		groups[i].fn();
	}
	return tap_done(&abi_tap);
}
