/* SPDX-License-Identifier: MIT */
/* vscardctl: shared declarations. */
#ifndef VSCARDCTL_H
#define VSCARDCTL_H

#include <stdbool.h>
#include <stdio.h>
#include "vscard_nl.h"

/* Exit codes (documented in vscardctl.rst and --help). */
#define VSCARDCTL_OK		0
#define VSCARDCTL_ERR		1	/* the kernel refused or failed */
#define VSCARDCTL_USAGE		2	/* bad command line */
#define VSCARDCTL_NOMODULE	3	/* family "vscard" not registered */

struct ctl {
	struct vscard_nl *nl;
	bool json;
	FILE *out;
	int count;		/* objects printed (JSON array separators) */
};

/* print.c: one object (a pool, a slot, an event) */
void ctl_print_object(struct ctl *c, const struct vscard_attrs *a);
void ctl_print_slot_row(struct ctl *c, const struct vscard_attrs *a);
void ctl_print_slot_header(struct ctl *c);
void ctl_print_pool_row(struct ctl *c, const struct vscard_attrs *a);
void ctl_print_pool_header(struct ctl *c);
void ctl_print_event(struct ctl *c, const struct vscard_attrs *a);
const char *ctl_slot_state(uint32_t flags);

/* json.c */
void json_string(FILE *f, const char *s);
void json_hex(FILE *f, const uint8_t *p, size_t n);

#endif /* VSCARDCTL_H */
