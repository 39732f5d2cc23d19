// SPDX-License-Identifier: MIT
/* NDR primitives for the MS-RDPESC bodies. */
#include <string.h>

#include "ndr.h"

void ndr_enc_init(struct ndr_enc *e, struct rdp_wr *w, bool wide)
{
	e->w = w;
	e->base = w->off;
	e->nref = 0;
	e->wide = wide;
}

void ndr_put_u32(struct ndr_enc *e, uint32_t v)
{
	rdp_wr_u32(e->w, v);
}

void ndr_put_ptr(struct ndr_enc *e, bool present)
{
	if (!present) {
		rdp_wr_u32(e->w, 0);
		return;
	}
	rdp_wr_u32(e->w, NDR_REF_BASE + 4 * e->nref);
	e->nref++;
}

void ndr_put_align(struct ndr_enc *e, size_t a)
{
	size_t rem = (e->w->off - e->base) % a;

	if (rem)
		rdp_wr_zeros(e->w, a - rem);
}

void ndr_check(struct ndr_enc *e, bool ok)
{
	if (!ok)
		rdp_wr_fail(e->w, RDP_ERR_RANGE);
}

void ndr_put_conf_bytes(struct ndr_enc *e, const uint8_t *p, uint32_t n)
{
	rdp_wr_u32(e->w, n);
	if (n)
		rdp_wr_bytes(e->w, p, n);
	ndr_put_align(e, 4);
}

void ndr_put_string(struct ndr_enc *e, const char *s)
{
	size_t len = strlen(s);
	long units = e->wide ? rdp_utf8_utf16_units(s, len) : (long)len;

	if (units < 0 || units >= 0x7FFFFFFF) {
		rdp_wr_fail(e->w, units < 0 ? (int)units : RDP_ERR_RANGE);
		return;
	}
	rdp_wr_u32(e->w, (uint32_t)units + 1);
	rdp_wr_u32(e->w, 0);
	rdp_wr_u32(e->w, (uint32_t)units + 1);
	if (e->wide) {
		rdp_utf8_to_utf16le(e->w, s, len);
		rdp_wr_u16(e->w, 0);
	} else {
		rdp_wr_bytes(e->w, s, len);
		rdp_wr_u8(e->w, 0);
	}
	ndr_put_align(e, 4);
}

uint32_t ndr_msz_cbytes(struct ndr_enc *e, const struct rdp_msz *m)
{
	long units;

	if (!m->p)
		return 0;
	if (!e->wide)
		units = (long)m->len;
	else
		units = rdp_utf8_utf16_units(m->p, m->len);
	if (units < 0) {
		rdp_wr_fail(e->w, (int)units);
		return 0;
	}
	if ((size_t)units * (e->wide ? 2 : 1) > RDPESC_MAX_MSZ) {
		rdp_wr_fail(e->w, RDP_ERR_RANGE);
		return 0;
	}
	return (uint32_t)units * (e->wide ? 2 : 1);
}

uint32_t ndr_msz_cbytes_or(struct ndr_enc *e, const struct rdp_msz *m, uint32_t cbytes)
{
	if (m->p)
		return ndr_msz_cbytes(e, m);
	ndr_check(e, cbytes <= RDPESC_MAX_MSZ);
	return cbytes;
}

void ndr_put_msz(struct ndr_enc *e, const struct rdp_msz *m)
{
	rdp_wr_u32(e->w, ndr_msz_cbytes(e, m));
	if (e->wide)
		rdp_utf8_to_utf16le(e->w, m->p, m->len);
	else
		rdp_wr_bytes(e->w, m->p, m->len);
	ndr_put_align(e, 4);
}

void ndr_put_ctx(struct ndr_enc *e, const struct rdpesc_context *c)
{
	ndr_check(e, c->cb <= RDPESC_MAX_BLOB);
	ndr_put_u32(e, c->cb);
	ndr_put_ptr(e, c->cb > 0);
}

void ndr_put_ctx_data(struct ndr_enc *e, const struct rdpesc_context *c)
{
	if (c->cb > 0 && c->cb <= RDPESC_MAX_BLOB)
		ndr_put_conf_bytes(e, c->v, c->cb);
}

void ndr_put_handle(struct ndr_enc *e, const struct rdpesc_handle *h)
{
	ndr_put_ctx(e, &h->ctx);
	ndr_check(e, h->cb <= RDPESC_MAX_BLOB);
	ndr_put_u32(e, h->cb);
	ndr_put_ptr(e, h->cb > 0);
}

void ndr_put_handle_data(struct ndr_enc *e, const struct rdpesc_handle *h)
{
	ndr_put_ctx_data(e, &h->ctx);
	if (h->cb > 0 && h->cb <= RDPESC_MAX_BLOB)
		ndr_put_conf_bytes(e, h->v, h->cb);
}

void ndr_put_io(struct ndr_enc *e, const struct rdpesc_io_request *io)
{
	ndr_check(e, io->cb_extra <= RDPESC_MAX_EXTRA);
	ndr_put_u32(e, io->protocol);
	ndr_put_u32(e, io->cb_extra);
	ndr_put_ptr(e, io->extra != NULL);
}

void ndr_put_io_data(struct ndr_enc *e, const struct rdpesc_io_request *io)
{
	if (io->extra)
		ndr_put_conf_bytes(e, io->extra, io->cb_extra);
}

/*
 * ---- decoding ----
 *
 * Everything decoded here comes from the peer.  The cursor d->r covers the
 * received body only (rdpesc.c's rpce_open()); every read goes through
 * rdp_rd_view(), which fails with RDP_ERR_TRUNCATED instead of reading past
 * it, and the first error sticks, so a later field never reads garbage.
 * Counts are compared with the bytes left before they are multiplied, and
 * each size field is held to its IDL range by the callers
 * (ndr_get_check()) before anything is allocated for it.
 */

void ndr_dec_init(struct ndr_dec *d, const uint8_t *body, size_t len, struct rdp_arena *a,
		  bool wide)
{
	rdp_rd_init(&d->r, body, len);
	d->a = a;
	d->wide = wide;
}

void ndr_fail(struct ndr_dec *d, int err)
{
	rdp_rd_fail(&d->r, err);
}

uint32_t ndr_get_u32(struct ndr_dec *d)
{
	return rdp_rd_u32(&d->r);
}

uint32_t ndr_get_ptr(struct ndr_dec *d)
{
	return rdp_rd_u32(&d->r);
}

void ndr_get_check(struct ndr_dec *d, uint32_t v, uint32_t max)
{
	if (v > max)
		ndr_fail(d, RDP_ERR_RANGE);
}

/*
 * The pad that brings a conformant array to a 4-byte boundary.  An array
 * that ends the body may come without it: FreeRDP seeks over the pad
 * without checking the length (smartcard_unpack_read_size_align()), xrdp
 * reads the fields it wants and never looks at what trails them, and
 * IronRDP and Teleport end their bodies at the last byte of data.  So the
 * pad is skipped as far as bytes are there; a field after a missing pad
 * has no bytes either and fails as truncated when it is read.
 */
static void ndr_skip_pad(struct ndr_dec *d)
{
	size_t rem = d->r.off % 4;
	size_t pad = rem ? 4 - rem : 0;
	size_t left = rdp_rd_left(&d->r);

	rdp_rd_skip(&d->r, pad < left ? pad : left);
}

void ndr_get_ptr_size(struct ndr_dec *d, uint32_t ref, uint32_t size)
{
	if (!ref && size)
		ndr_fail(d, RDP_ERR_MALFORMED);
}

/*
 * Conformant byte array.  Its MaxCount must equal the size field sent
 * inline (@n): FreeRDP rejects a mismatch when the size is not 0, Windows'
 * NDR engine does per MS-RPCE (correlation check), xrdp reads MaxCount
 * alone; with two different values we could not tell which is the truth.
 */
const uint8_t *ndr_get_conf_bytes(struct ndr_dec *d, uint32_t n)
{
	uint32_t max = rdp_rd_u32(&d->r);
	const uint8_t *v;

	if (d->r.err)
		return NULL;
	if (max != n) {
		ndr_fail(d, RDP_ERR_MALFORMED);
		return NULL;
	}
	v = rdp_rd_view(&d->r, n);
	ndr_skip_pad(d);
	return d->r.err ? NULL : v;
}

/* Copy or convert n characters (stop at the first NUL) into the arena. */
static char *to_arena(struct ndr_dec *d, const uint8_t *p, size_t n)
{
	size_t cap = d->wide ? 3 * n + 1 : n + 1;
	char *s = rdp_arena_alloc(d->a, cap);
	size_t k = 0;
	long out;

	if (!s) {
		ndr_fail(d, RDP_ERR_NOSPACE);
		return NULL;
	}
	if (d->wide) {
		while (k < n && (p[2 * k] | p[2 * k + 1]))
			k++;
		out = rdp_utf16le_to_utf8(p, k, s, cap - 1);
		if (out < 0) {
			ndr_fail(d, (int)out);
			return NULL;
		}
		s[out] = 0;
	} else {
		while (k < n && p[k])
			k++;
		memcpy(s, p, k);
		s[k] = 0;
	}
	return s;
}

const char *ndr_get_string(struct ndr_dec *d)
{
	uint32_t max = rdp_rd_u32(&d->r);
	uint32_t offset = rdp_rd_u32(&d->r);
	uint32_t actual = rdp_rd_u32(&d->r);
	size_t csize = d->wide ? 2 : 1;
	const uint8_t *p;

	if (d->r.err)
		return NULL;
	/* Offset + ActualCount within MaxCount, without overflowing. */
	if (actual > max || offset > max - actual) {
		ndr_fail(d, RDP_ERR_MALFORMED);
		return NULL;
	}
	/* Compared before multiplying: actual * csize cannot overflow. */
	if (actual > rdp_rd_left(&d->r) / csize) {
		ndr_fail(d, RDP_ERR_TRUNCATED);
		return NULL;
	}
	p = rdp_rd_view(&d->r, actual * csize);
	ndr_skip_pad(d);
	if (d->r.err)
		return NULL;
	return to_arena(d, p, actual);
}

void ndr_get_msz(struct ndr_dec *d, uint32_t cbytes, struct rdp_msz *m)
{
	const uint8_t *p = ndr_get_conf_bytes(d, cbytes);
	size_t n = d->wide ? cbytes / 2 : cbytes;
	size_t csize = d->wide ? 2 : 1;
	size_t i = 0, o = 0;
	char *out;

	m->p = NULL;
	m->len = 0;
	if (d->r.err)
		return;
	/* each name expands to at most 3 bytes per unit plus its NUL */
	out = rdp_arena_alloc(d->a, (d->wide ? 3 * n : n) + n + 2);
	if (!out) {
		ndr_fail(d, RDP_ERR_NOSPACE);
		return;
	}
	while (i < n) {
		size_t k = 0;
		long len;

		while (i + k < n && (p[(i + k) * csize] || (d->wide && p[(i + k) * 2 + 1])))
			k++;
		if (k == 0)
			break;	/* empty name: end of the list */
		if (d->wide)
			len = rdp_utf16le_to_utf8(p + i * 2, k, out + o, 3 * k);
		else
			len = (long)k, memcpy(out + o, p + i, k);
		if (len < 0) {
			ndr_fail(d, (int)len);
			return;
		}
		o += (size_t)len;
		out[o++] = 0;
		i += k + 1;
	}
	out[o++] = 0;
	m->p = out;
	m->len = o;
}

/*
 * REDIR_SCARDCONTEXT: cbContext in the IDL range 0..16 (FreeRDP accepts
 * only 0, 4 and 8; rdesktop and 32-bit clients send 4, FreeRDP 8; xrdp
 * ignores it and reads MaxCount), and a present pointer for a non-zero
 * size (FreeRDP also rejects a present pointer for size 0; we read its
 * MaxCount 0).  The referent value itself is not checked: rdesktop writes
 * the context value there, FreeRDP's server would reject it.
 */
void ndr_get_ctx(struct ndr_dec *d, struct rdpesc_context *c, uint32_t *ref)
{
	memset(c, 0, sizeof(*c));
	c->cb = ndr_get_u32(d);
	*ref = ndr_get_ptr(d);
	ndr_get_check(d, c->cb, RDPESC_MAX_BLOB);
	ndr_get_ptr_size(d, *ref, c->cb);
}

void ndr_get_ctx_data(struct ndr_dec *d, struct rdpesc_context *c, uint32_t ref)
{
	const uint8_t *v;

	if (!ref || d->r.err)
		return;
	v = ndr_get_conf_bytes(d, c->cb);
	if (v && c->cb)
		memcpy(c->v, v, c->cb);
}

void ndr_get_handle(struct ndr_dec *d, struct rdpesc_handle *h, uint32_t ref[2])
{
	memset(h, 0, sizeof(*h));
	ndr_get_ctx(d, &h->ctx, &ref[0]);
	h->cb = ndr_get_u32(d);
	ref[1] = ndr_get_ptr(d);
	ndr_get_check(d, h->cb, RDPESC_MAX_BLOB);
	ndr_get_ptr_size(d, ref[1], h->cb);
}

void ndr_get_handle_data(struct ndr_dec *d, struct rdpesc_handle *h, const uint32_t ref[2])
{
	const uint8_t *v;

	ndr_get_ctx_data(d, &h->ctx, ref[0]);
	if (!ref[1] || d->r.err)
		return;
	v = ndr_get_conf_bytes(d, h->cb);
	if (v && h->cb)
		memcpy(h->v, v, h->cb);
}

void ndr_get_io(struct ndr_dec *d, struct rdpesc_io_request *io, uint32_t *ref)
{
	memset(io, 0, sizeof(*io));
	io->protocol = ndr_get_u32(d);
	io->cb_extra = ndr_get_u32(d);
	*ref = ndr_get_ptr(d);
	ndr_get_check(d, io->cb_extra, RDPESC_MAX_EXTRA);
}

void ndr_get_io_data(struct ndr_dec *d, struct rdpesc_io_request *io, uint32_t ref)
{
	if (!ref || d->r.err)
		return;
	io->extra = ndr_get_conf_bytes(d, io->cb_extra);
}
