// SPDX-License-Identifier: MIT
/* Log lines to stderr: "vscard-rdp-server: ...". */
#include <stdarg.h>
#include <stdio.h>

#include "rdp_server.h"

static void vlog(const char *fmt, va_list ap)
{
	char line[1024];

	vsnprintf(line, sizeof(line), fmt, ap);
	/* One write per line so that lines of peer threads do not mix. */
	fprintf(stderr, "vscard-rdp-server: %s\n", line);
}

void srv_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}

void srv_debug(const struct server_config *cfg, const char *fmt, ...)
{
	va_list ap;

	if (!cfg->verbose)
		return;
	va_start(ap, fmt);
	vlog(fmt, ap);
	va_end(ap);
}
