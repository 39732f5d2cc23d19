// SPDX-License-Identifier: MIT
/*
 * Logging through pcscd's log_msg() (exported by the daemon).  The symbol is
 * weak so that the library also loads outside pcscd (unit tests, dlopen
 * checks), where messages are dropped.
 */
#include <stdarg.h>
#include <stdio.h>

#include "ifd.h"

void log_msg(const int priority, const char *fmt, ...)
	__attribute__((weak, format(printf, 2, 3)));

void ifd_log(int prio, const char *fmt, ...)
{
	char buf[256];
	va_list ap;

	if (!log_msg)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	/* IFD_LOG_* have the values of pcsc-lite's PCSC_LOG_* */
	log_msg(prio, "%s", buf);
}
