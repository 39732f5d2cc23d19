// SPDX-License-Identifier: MIT
/* Growable output buffer (bytebuf.h). */
#include <stdlib.h>
#include <string.h>

#include "bytebuf.h"

void bb_init(struct bytebuf *b)
{
	memset(b, 0, sizeof(*b));
}

void bb_free(struct bytebuf *b)
{
	free(b->data);
	bb_init(b);
}

void bb_reset(struct bytebuf *b)
{
	b->len = 0;
	b->oom = false;
}

static bool bb_reserve(struct bytebuf *b, size_t n)
{
	size_t need, cap;
	uint8_t *p;

	if (b->oom)
		return false;
	if (n > SIZE_MAX / 2 - b->len) {
		b->oom = true;
		return false;
	}
	need = b->len + n;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void bb_put(struct bytebuf *b, const void *p, size_t n)
{
	if (!n || !bb_reserve(b, n))
		return;
	memcpy(b->data + b->len, p, n);
	b->len += n;
}

void bb_zero(struct bytebuf *b, size_t n)
{
	if (!n || !bb_reserve(b, n))
		return;
	memset(b->data + b->len, 0, n);
	b->len += n;
}

void bb_u8(struct bytebuf *b, uint8_t v)
{
	bb_put(b, &v, 1);
}

void bb_consume(struct bytebuf *b, size_t n)
{
	if (n >= b->len) {
		b->len = 0;
		return;
	}
	memmove(b->data, b->data + n, b->len - n);
	b->len -= n;
}

