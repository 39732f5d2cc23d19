// SPDX-License-Identifier: MIT
/*
 * LD_PRELOAD shim for the trinity run of suite 47.  trinity only fuzzes
 * descriptors it opened itself from its victim files (--victims DIR), and
 * a binding file cannot be opened by path (an anonymous inode: opening
 * /proc/PID/fd/N of it fails with ENXIO).  So: an open() or fopen() of a
 * victim file whose name starts with "vscard-binding" returns a dup() of
 * the binding file inherited on descriptor $VSCARD_BINDING_FD (set by
 * vscard-hold) instead; every other path goes to libc.  Each such open is
 * logged on stderr ("vscard-victim: ...") so that the suite can count them.
 */
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MARK	"vscard-binding"

int open(const char *path, int flags, ...);
int open64(const char *path, int flags, ...);
FILE *fopen(const char *path, const char *mode);
FILE *fopen64(const char *path, const char *mode);

/* -1: not ours; else a new descriptor of the binding file (or -1/errno). */
static int binding_dup(const char *path, int *ours)
{
	const char *base = strrchr(path, '/');
	const char *env = getenv("VSCARD_BINDING_FD");
	int fd;

	base = base ? base + 1 : path;
	*ours = env && *env && !strncmp(base, MARK, strlen(MARK));
	if (!*ours)
		return -1;
	fd = fcntl(atoi(env), F_DUPFD_CLOEXEC, 3);
	fprintf(stderr, "vscard-victim: %s -> binding file fd %d\n", path, fd);
	return fd;
}

static int real_open(const char *sym, const char *path, int flags, mode_t mode)
{
	int (*fn)(const char *, int, ...) =
		(int (*)(const char *, int, ...))dlsym(RTLD_NEXT, sym);

	if (!fn) {
		errno = ENOSYS;
		return -1;
	}
	return fn(path, flags, mode);
}

static int do_open(const char *sym, const char *path, int flags, va_list ap)
{
	mode_t mode = (flags & (O_CREAT | __O_TMPFILE)) ? va_arg(ap, mode_t) : 0;
	int ours, fd = binding_dup(path, &ours);

	return ours ? fd : real_open(sym, path, flags, mode);
}

int open(const char *path, int flags, ...)
{
	va_list ap;
	int fd;

	va_start(ap, flags);
	fd = do_open("open", path, flags, ap);
	va_end(ap);
	return fd;
}

int open64(const char *path, int flags, ...)
{
	va_list ap;
	int fd;

	va_start(ap, flags);
	fd = do_open("open64", path, flags, ap);
	va_end(ap);
	return fd;
}

static FILE *do_fopen(const char *sym, const char *path, const char *mode)
{
	FILE *(*fn)(const char *, const char *);
	int ours, fd = binding_dup(path, &ours);

	if (ours)
		return fd < 0 ? NULL : fdopen(fd, mode);
	fn = (FILE *(*)(const char *, const char *))dlsym(RTLD_NEXT, sym);
	if (!fn) {
		errno = ENOSYS;
		return NULL;
	}
	return fn(path, mode);
}

FILE *fopen(const char *path, const char *mode)
{
	return do_fopen("fopen", path, mode);
}

FILE *fopen64(const char *path, const char *mode)
{
	return do_fopen("fopen64", path, mode);
}
