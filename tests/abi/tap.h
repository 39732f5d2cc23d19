/* SPDX-License-Identifier: MIT */
/* Minimal PASS:/FAIL:/SKIP: reporting shared by the ABI and unit tests. */
#ifndef VSCARD_TESTS_TAP_H
#define VSCARD_TESTS_TAP_H

#include <stdarg.h>
#include <stdio.h>

struct tap {
	const char *prefix;
	int passed, failed, skipped;
};

static inline void tap_vline(struct tap *t, const char *kind, const char *fmt,
			     va_list ap)
{
	printf("%s: %s: ", kind, t->prefix);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

__attribute__((format(printf, 3, 4)))
static inline int tap_ok(struct tap *t, int ok, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(t, ok ? "PASS" : "FAIL", fmt, ap);
	va_end(ap);
	if (ok)
		t->passed++;
	else
		t->failed++;
	return ok;
}

__attribute__((format(printf, 2, 3)))
static inline void tap_skip(struct tap *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vline(t, "SKIP", fmt, ap);
	va_end(ap);
	t->skipped++;
}

__attribute__((format(printf, 2, 3)))
static inline void tap_diag(struct tap *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	printf("# %s: ", t->prefix);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
	va_end(ap);
}

static inline int tap_done(struct tap *t)
{
	printf("# %s: %d passed, %d failed, %d skipped\n", t->prefix,
	       t->passed, t->failed, t->skipped);
	return t->failed ? 1 : 0;
}

#endif /* VSCARD_TESTS_TAP_H */
