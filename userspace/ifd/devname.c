// SPDX-License-Identifier: MIT
/*
 * DEVICENAME parsing and slot node lookup.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ifd.h"

#define IFD_DEVNAME_PREFIX	"/dev/vscard:"

static int parse_u32(const char *s, size_t len, unsigned long max,
		     unsigned long *out)
{
	char buf[24], *end;

	if (!len || len >= sizeof(buf) || *s == '-' || *s == '+')
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	*out = strtoul(buf, &end, 0);
	if (errno || *end || *out > max)
		return -EINVAL;
	return 0;
}

int ifd_devname_parse(const char *s, struct ifd_devname *out)
{
	const char *p;

	out->pool = 0;
	out->slots = IFD_DEFAULT_SLOTS;
	if (!s || strncmp(s, IFD_DEVNAME_PREFIX, strlen(IFD_DEVNAME_PREFIX)))
		return -EINVAL;
	p = s + strlen(IFD_DEVNAME_PREFIX);
	while (*p) {
		size_t len = strcspn(p, ":"), klen;
		const char *eq = memchr(p, '=', len);
		unsigned long v;

		if (!eq)
			return -EINVAL;
		klen = (size_t)(eq - p);
		if (klen == 4 && !strncmp(p, "pool", 4)) {
			if (parse_u32(eq + 1, len - klen - 1, UINT32_MAX, &v))
				return -EINVAL;
			out->pool = (uint32_t)v;
		} else if (klen == 5 && !strncmp(p, "slots", 5)) {
			if (parse_u32(eq + 1, len - klen - 1, IFD_MAX_SLOTS, &v) ||
			    !v)
				return -EINVAL;
			out->slots = (unsigned int)v;
		} else {
			return -EINVAL;
		}
		p += len;
		if (*p == ':' && !*++p)
			return -EINVAL;	/* trailing separator */
	}
	return 0;
}

/* Read a small unsigned decimal sysfs attribute. */
static int read_u32_attr(const char *dir, const char *name, uint32_t *out)
{
	char path[512], buf[32], *end;
	unsigned long v;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "re");
	if (!f)
		return -errno;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	errno = 0;
	v = strtoul(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n') || v > UINT32_MAX)
		return -EINVAL;
	*out = (uint32_t)v;
	return 0;
}

int ifd_node_path(const char *sysfs, const char *devdir, uint32_t pool,
		  uint32_t slot, char *path, size_t size)
{
	struct dirent *de;
	DIR *d = opendir(sysfs);
	int ret = -ENOENT;

	if (!d) {
		if (pool != 0)
			return -ENOENT;
		snprintf(path, size, "%s/vscard%u", devdir, slot);
		return 0;
	}
	while ((de = readdir(d))) {
		char dir[512];
		uint32_t p, s;

		if (strncmp(de->d_name, "vscard", 6))
			continue;
		snprintf(dir, sizeof(dir), "%s/%s", sysfs, de->d_name);
		if (read_u32_attr(dir, "pool", &p) || p != pool ||
		    read_u32_attr(dir, "slot", &s) || s != slot)
			continue;
		snprintf(path, size, "%s/%s", devdir, de->d_name);
		ret = 0;
		break;
	}
	closedir(d);
	return ret;
}
