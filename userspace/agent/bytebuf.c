// SPDX-License-Identifier: MIT
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

void bb_u16(struct bytebuf *b, uint16_t v)
{
	uint8_t x[2] = { v & 0xff, v >> 8 };

	bb_put(b, x, 2);
}

void bb_u32(struct bytebuf *b, uint32_t v)
{
	uint8_t x[4] = { v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff, v >> 24 };

	bb_put(b, x, 4);
}

void bb_set_u32(struct bytebuf *b, size_t off, uint32_t v)
{
	if (off > b->len || b->len - off < 4)
		return;
	b->data[off] = v & 0xff;
	b->data[off + 1] = (v >> 8) & 0xff;
	b->data[off + 2] = (v >> 16) & 0xff;
	b->data[off + 3] = v >> 24;
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

void br_init(struct byterd *r, const void *p, size_t len)
{
	r->p = p;
	r->len = len;
	r->off = 0;
	r->err = false;
}

size_t br_left(const struct byterd *r)
{
	return r->err ? 0 : r->len - r->off;
}

const uint8_t *br_bytes(struct byterd *r, size_t n)
{
	const uint8_t *p;

	if (r->err || n > r->len - r->off) {
		r->err = true;
		return NULL;
	}
	p = r->p + r->off;
	r->off += n;
	return p;
}

uint8_t br_u8(struct byterd *r)
{
	const uint8_t *p = br_bytes(r, 1);

	return p ? p[0] : 0;
}

uint16_t br_u16(struct byterd *r)
{
	const uint8_t *p = br_bytes(r, 2);

	return p ? get_le16(p) : 0;
}

uint32_t br_u32(struct byterd *r)
{
	const uint8_t *p = br_bytes(r, 4);

	return p ? get_le32(p) : 0;
}
