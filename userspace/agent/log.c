// SPDX-License-Identifier: MIT
/*
 * Leveled logging to stderr.  The level is the only process-wide setting:
 * it is chosen once from the command line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"

static enum log_level current_level = LOG_INFO;

static const char *const level_names[] = {
	[LOG_ERR] = "error", [LOG_WARN] = "warn", [LOG_INFO] = "info",
	[LOG_DEBUG] = "debug", [LOG_TRACE] = "trace",
};

void log_set_level(enum log_level level)
{
	if (level > LOG_TRACE)
		level = LOG_TRACE;
	if (level < LOG_NONE)
		level = LOG_NONE;
	current_level = level;
}

enum log_level log_get_level(void)
{
	return current_level;
}

int log_parse_level(const char *name)
{
	unsigned int i;

	if (name[0] >= '0' && name[0] <= '4' && name[1] == '\0')
		return name[0] - '0';
	for (i = 0; i <= LOG_TRACE; i++)
		if (!strcasecmp(name, level_names[i]))
			return (int)i;
	if (!strcasecmp(name, "err") || !strcasecmp(name, "warning"))
		return !strcasecmp(name, "err") ? LOG_ERR : LOG_WARN;
	return -1;
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	struct timespec ts;
	va_list ap;

	if ((int)level > (int)current_level)
		return;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	fprintf(stderr, "vscard-agent[%ld.%03ld] %s: ", (long)ts.tv_sec,
		ts.tv_nsec / 1000000, level_names[level]);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void log_hex(const char *what, const void *data, unsigned long len)
{
	const unsigned char *p = data;
	char line[64 * 3 + 1];
	unsigned long i, n = len > 64 ? 64 : len;

	if ((int)current_level < (int)LOG_TRACE)
		return;
	for (i = 0; i < n; i++)
		snprintf(line + 3 * i, 4, "%02x ", p[i]);
	line[3 * n] = '\0';
	log_trace("%s (%lu bytes): %s%s", what, len, line, len > n ? "..." : "");
}
