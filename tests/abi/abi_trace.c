// SPDX-License-Identifier: MIT
/*
 * Kernel-side timing from vscard's tracepoints: events are stamped with
 * the "mono" trace clock, the same clock as abi_now_ns(), so a test can
 * measure how long the kernel took after a userspace action without the
 * guest scheduler's wake-up latency in the figure.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "abi.h"

#define TRACEFS "/sys/kernel/tracing"

static int write_file(const char *path, const char *val, int flags)
{
	int fd = open(path, O_WRONLY | flags);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

int abi_trace_start(const char *event)
{
	char path[256];

	snprintf(path, sizeof(path), TRACEFS "/events/vscard/%s/enable", event);
	if (access(path, W_OK))
		return -1;
	if (write_file(TRACEFS "/trace_clock", "mono", 0) ||
	    write_file(TRACEFS "/trace", "", O_TRUNC) ||
	    write_file(path, "1", 0))
		return -1;
	return 0;
}

int abi_trace_stop(const char *event, uint64_t *last_ns, unsigned int *count,
		   unsigned long *sum_field, const char *field)
{
	char path[256], line[512];
	FILE *f;

	snprintf(path, sizeof(path), TRACEFS "/events/vscard/%s/enable", event);
	write_file(path, "0", 0);
	f = fopen(TRACEFS "/trace", "r");
	if (!f)
		return -1;
	*last_ns = 0;
	*count = 0;
	*sum_field = 0;
	snprintf(path, sizeof(path), " %s: ", event);
	while (fgets(line, sizeof(line), f)) {
		char *ev = strstr(line, path), *ts, *fv;
		unsigned long sec, usec;

		if (line[0] == '#' || !ev)
			continue;
		/* "... [cpu] flags  SEC.USEC: event: fields" */
		*ev = 0;
		ts = strrchr(line, ' ');
		if (!ts || sscanf(ts + 1, "%lu.%lu:", &sec, &usec) != 2)
			continue;
		if ((uint64_t)sec * 1000000000ULL + usec * 1000ULL > *last_ns)
			*last_ns = (uint64_t)sec * 1000000000ULL + usec * 1000ULL;
		(*count)++;
		fv = field ? strstr(ev + 1, field) : NULL;
		if (fv && fv[strlen(field)] == '=')
			*sum_field += strtoul(fv + strlen(field) + 1, NULL, 0);
	}
	fclose(f);
	return 0;
}
