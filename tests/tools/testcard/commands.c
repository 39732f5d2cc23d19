// SPDX-License-Identifier: MIT
/* vscard-testcard: line commands read from stdin or --commands FILE. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "apdu.h"
#include "testcard.h"

int tc_parse_hex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = 0;

	while (*s) {
		unsigned int v;

		if (isspace((unsigned char)*s) || *s == ':') {
			s++;
			continue;
		}
		if (!isxdigit((unsigned char)s[0]) ||
		    !isxdigit((unsigned char)s[1]) || n >= cap ||
		    sscanf(s, "%2x", &v) != 1)
			return -EINVAL;
		out[n++] = (uint8_t)v;
		s += 2;
	}
	*len = n;
	return 0;
}

static int cmd_insert(struct testcard *tc, const char *arg)
{
	if (arg && *arg) {
		uint8_t atr[VSCARD_ATR_MAX];
		size_t len;

		if (tc_parse_hex(arg, atr, sizeof(atr), &len) || !len)
			return -EINVAL;
		memcpy(tc->o.atr, atr, len);
		tc->o.atr_len = len;
	}
	return tc_card(tc, true);
}

/* Returns 0, or -errno of the failed action (printed, never fatal). */
int tc_command(struct testcard *tc, char *line)
{
	char *arg, *end = line + strlen(line);
	int err = 0;

	while (end > line && isspace((unsigned char)end[-1]))
		*--end = 0;
	while (isspace((unsigned char)*line))
		line++;
	if (!*line || *line == '#')
		return 0;
	arg = strchr(line, ' ');
	if (arg) {
		*arg++ = 0;
		while (isspace((unsigned char)*arg))
			arg++;
	}
	if (!strcmp(line, "insert")) {
		err = cmd_insert(tc, arg);
	} else if (!strcmp(line, "remove")) {
		err = tc_card(tc, false);
	} else if (!strcmp(line, "unbind")) {
		/* the linger time is given at bind: see "close" */
		err = arg && *arg ? -EINVAL : tc_unbind(tc);
	} else if (!strcmp(line, "close")) {
		err = tc_close(tc);
	} else if (!strcmp(line, "rebind") || !strcmp(line, "bind")) {
		err = tc_bind(tc);
	} else if (!strcmp(line, "hang")) {
		tc->hang = true;
		printf("hanging\n");
	} else if (!strcmp(line, "resume")) {
		tc->hang = false;
		printf("resumed\n");
		err = tc_drain(tc);
	} else if (!strcmp(line, "stats")) {
		printf("stats fetched=%lu completed=%lu cancels=%lu\n",
		       tc->fetched, tc->completed, tc->cancels);
	} else if (!strcmp(line, "quit")) {
		if (tc->bfd >= 0)
			tc_unbind(tc);
		tc->quit = true;
	} else {
		fprintf(stderr, "vscard-testcard: unknown command '%s'\n", line);
		return -EINVAL;
	}
	if (err)
		printf("error %s %d\n", line, err);
	return err;
}
