// SPDX-License-Identifier: MIT
/* Bounds-checked little-endian cursors and the caller-provided arena. */
#include <string.h>

#include <rdpcodec/wire.h>

const char *rdp_strerror(int err)
{
	switch (err) {
	case RDP_OK:			return "success";
	case RDP_ERR_TRUNCATED:		return "truncated input";
	case RDP_ERR_NOSPACE:		return "output buffer too small";
	case RDP_ERR_RANGE:		return "value out of range";
	case RDP_ERR_MALFORMED:		return "malformed encoding";
	case RDP_ERR_UNSUPPORTED:	return "unsupported message";
	case RDP_ERR_TOO_BIG:		return "frame too big";
	case RDP_ERR_MISMATCH:		return "non-canonical encoding";
	case RDP_ERR_INVAL:		return "invalid argument";
	}
	return "unknown error";
}

void rdp_rd_init(struct rdp_rd *r, const void *p, size_t len)
{
	r->p = p;
	r->len = p ? len : 0;
	r->off = 0;
	r->err = RDP_OK;
}

void rdp_rd_fail(struct rdp_rd *r, int err)
{
	if (!r->err)
		r->err = err;
}

size_t rdp_rd_left(const struct rdp_rd *r)
{
	return r->err ? 0 : r->len - r->off;
}

const uint8_t *rdp_rd_view(struct rdp_rd *r, size_t n)
{
	const uint8_t *v;

	if (r->err)
		return NULL;
	if (n > r->len - r->off) {
		r->err = RDP_ERR_TRUNCATED;
		return NULL;
	}
	v = r->p + r->off;
	r->off += n;
	return v;
}

void rdp_rd_copy(struct rdp_rd *r, void *dst, size_t n)
{
	const uint8_t *v = rdp_rd_view(r, n);

	if (v && n)
		memcpy(dst, v, n);
	else if (!v && n)
		memset(dst, 0, n);
}

void rdp_rd_skip(struct rdp_rd *r, size_t n)
{
	rdp_rd_view(r, n);
}

void rdp_rd_align(struct rdp_rd *r, size_t a)
{
	size_t rem = r->off % a;

	if (rem)
		rdp_rd_skip(r, a - rem);
}

uint8_t rdp_rd_u8(struct rdp_rd *r)
{
	const uint8_t *v = rdp_rd_view(r, 1);

	return v ? v[0] : 0;
}

uint16_t rdp_rd_u16(struct rdp_rd *r)
{
	const uint8_t *v = rdp_rd_view(r, 2);

	return v ? (uint16_t)(v[0] | v[1] << 8) : 0;
}

uint32_t rdp_rd_u32(struct rdp_rd *r)
{
	const uint8_t *v = rdp_rd_view(r, 4);

	if (!v)
		return 0;
	return (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 |
	       (uint32_t)v[3] << 24;
}

uint64_t rdp_rd_u64(struct rdp_rd *r)
{
	uint64_t lo = rdp_rd_u32(r);
	uint64_t hi = rdp_rd_u32(r);

	return r->err ? 0 : lo | hi << 32;
}

void rdp_wr_init(struct rdp_wr *w, void *p, size_t cap)
{
	w->p = p;
	w->expect = NULL;
	w->cap = p ? cap : 0;
	w->off = 0;
	w->err = RDP_OK;
}

void rdp_wr_init_measure(struct rdp_wr *w)
{
	rdp_wr_init(w, NULL, 0);
	w->cap = SIZE_MAX;
}

void rdp_wr_init_compare(struct rdp_wr *w, const void *expect, size_t len)
{
	rdp_wr_init(w, NULL, 0);
	w->expect = expect;
	w->cap = len;
}

void rdp_wr_fail(struct rdp_wr *w, int err)
{
	if (!w->err)
		w->err = err;
}

/* Reserve n bytes; returns where to store them (NULL in measure/compare mode). */
static uint8_t *wr_claim(struct rdp_wr *w, const void *src, size_t n)
{
	uint8_t *dst;

	if (w->err)
		return NULL;
	if (n > w->cap - w->off) {
		w->err = w->expect ? RDP_ERR_MISMATCH : RDP_ERR_NOSPACE;
		return NULL;
	}
	if (w->expect) {
		if (src ? memcmp(w->expect + w->off, src, n) != 0 : false)
			w->err = RDP_ERR_MISMATCH;
		if (!w->err)
			w->off += n;
		return NULL;
	}
	dst = w->p ? w->p + w->off : NULL;
	w->off += n;
	return dst;
}

void rdp_wr_bytes(struct rdp_wr *w, const void *src, size_t n)
{
	uint8_t *dst = wr_claim(w, src, n);

	if (dst && n)
		memcpy(dst, src, n);
}

void rdp_wr_zeros(struct rdp_wr *w, size_t n)
{
	static const uint8_t zero[64];

	while (n && !w->err) {
		size_t k = n < sizeof(zero) ? n : sizeof(zero);

		rdp_wr_bytes(w, zero, k);
		n -= k;
	}
}

void rdp_wr_align(struct rdp_wr *w, size_t a)
{
	size_t rem = w->off % a;

	if (rem)
		rdp_wr_zeros(w, a - rem);
}

void rdp_wr_u8(struct rdp_wr *w, uint8_t v)
{
	rdp_wr_bytes(w, &v, 1);
}

void rdp_wr_u16(struct rdp_wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	rdp_wr_bytes(w, b, 2);
}

void rdp_wr_u32(struct rdp_wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	rdp_wr_bytes(w, b, 4);
}

void rdp_wr_u64(struct rdp_wr *w, uint64_t v)
{
	rdp_wr_u32(w, (uint32_t)v);
	rdp_wr_u32(w, (uint32_t)(v >> 32));
}

void rdp_wr_patch_u32(struct rdp_wr *w, size_t off, uint32_t v)
{
	if (w->err || off > w->off || w->off - off < 4)
		return;
	if (w->expect) {
		const uint8_t *e = w->expect + off;
		uint32_t have = (uint32_t)e[0] | (uint32_t)e[1] << 8 |
				(uint32_t)e[2] << 16 | (uint32_t)e[3] << 24;

		if (have != v)
			w->err = RDP_ERR_MISMATCH;
		return;
	}
	if (!w->p)
		return;
	w->p[off] = (uint8_t)v;
	w->p[off + 1] = (uint8_t)(v >> 8);
	w->p[off + 2] = (uint8_t)(v >> 16);
	w->p[off + 3] = (uint8_t)(v >> 24);
}

void rdp_arena_init(struct rdp_arena *a, void *buf, size_t cap)
{
	a->buf = buf;
	a->cap = buf ? cap : 0;
	a->used = 0;
}

void *rdp_arena_alloc(struct rdp_arena *a, size_t n)
{
	size_t start;

	if (!a || !a->buf)
		return NULL;
	start = (a->used + 7) & ~(size_t)7;
	if (start > a->cap || n > a->cap - start)
		return NULL;
	a->used = start + n;
	return a->buf + start;
}
