// SPDX-License-Identifier: MIT
/*
 * Malformed input: every prefix of every vector through every decoder,
 * lengths pointing past the end, huge conformant counts, referent
 * mismatches, and the client deviations the decoders must tolerate.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "decode_all.h"
#include "vec.h"

static uint8_t b[4096], arena_buf[1 << 16];
static struct rdp_arena ar;

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

static int dec_ret(const uint8_t *p, size_t n, uint32_t ioctl, union rdpesc_return *r)
{
	rdp_arena_init(&ar, arena_buf, sizeof(arena_buf));
	return rdpesc_decode_return(p, n, ioctl, r, &ar, 0);
}

static int dec_call(const uint8_t *p, size_t n, uint32_t ioctl, union rdpesc_call *c,
		    unsigned int flags)
{
	rdp_arena_init(&ar, arena_buf, sizeof(arena_buf));
	return rdpesc_decode_call(p, n, ioctl, c, &ar, flags);
}

static bool starts_with(const char *s, const char *p)
{
	return s && !strncmp(s, p, strlen(p));
}

/*
 * A success return cut to @k bytes: an error while the cut is inside what
 * ObjectBufferLength announces or what the fields need; past that (only
 * the zero bytes rdesktop appends are missing) it may decode, but then to
 * exactly the values of the whole vector.
 */
static void return_prefix(const struct vec *v, const uint8_t *copy, size_t k, uint32_t ioctl)
{
	static uint8_t whole[4096], part[4096];
	long long obl = vec_num(v, "ObjectBufferLength");
	size_t announced = obl >= 0 ? 16 + (size_t)obl : v->len;
	union rdpesc_return r;
	size_t n1, n2;

	if (k < announced || dec_ret(copy, k, ioctl, &r)) {
		assert_int_not_equal(dec_ret(copy, k, ioctl, &r), 0);
		return;
	}
	n2 = enc_ret(ioctl, &r, part, sizeof(part));
	assert_int_equal(dec_ret(v->data, v->len, ioctl, &r), 0);
	n1 = enc_ret(ioctl, &r, whole, sizeof(whole));
	assert_bytes(part, n2, whole, n1);
}

/* Every strict prefix of every vector: no UB, and the right verdicts. */
static void prefixes(void **state)
{
	char **names;
	int n = vec_list(&names);

	(void)state;
	assert_true(n > 0);
	for (int i = 0; i < n; i++) {
		struct vec *v = vec_load(names[i]);
		const char *scope, *structure;
		long long ioctl;

		assert_non_null(v);
		scope = vec_get(v, "scope");
		structure = vec_get(v, "structure");
		ioctl = vec_num(v, "IoControlCode");
		assert_true(decode_all(v->data, v->len) > 0);
		for (size_t k = 0; k < v->len; k++) {
			uint8_t *copy = malloc(k ? k : 1);	/* exact size: ASan sees overreads */

			memcpy(copy, v->data, k);
			decode_all(copy, k);
			if (starts_with(scope, "DR_CONTROL_REQ:")) {
				struct rdpdr_control_req q;

				assert_int_not_equal(rdpdr_decode_control_req(copy, k, &q), 0);
			} else if (starts_with(scope, "RDPESC") && ioctl > 0 &&
				   !starts_with(structure, "return")) {
				union rdpesc_call c;

				assert_int_not_equal(dec_call(copy, k, (uint32_t)ioctl, &c, 0), 0);
			} else if (starts_with(structure, "return") && ioctl > 0 &&
				   vec_num(v, "field.ReturnCode") == 0) {
				return_prefix(v, copy, k, (uint32_t)ioctl);
			}
			free(copy);
		}
		vec_free(v);
	}
	vec_list_free(names, n);
}

/* Transmit_Return with one u32 patched at body offset off. */
static size_t transmit_ret(uint8_t *p, size_t off, uint32_t val)
{
	static const uint8_t ok[] = {
		0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc, 0xcc, 0x18, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0, 0, 0, 0x00, 0x00, 0x02, 0x00,
		0x02, 0, 0, 0, 0x90, 0x00, 0, 0 };

	memcpy(p, ok, sizeof(ok));
	if (off != SIZE_MAX)
		put32(p + 16 + off, val);
	return sizeof(ok);
}

static void bad_lengths_and_counts(void **state)
{
	union rdpesc_return r;
	size_t n;

	(void)state;
	n = transmit_ret(b, SIZE_MAX, 0);
	assert_int_equal(dec_ret(b, n, SCARD_IOCTL_TRANSMIT, &r), 0);
	n = transmit_ret(b, 8, 0x7FFFFFFF);		/* cbRecvLength huge */
	assert_int_equal(dec_ret(b, n, SCARD_IOCTL_TRANSMIT, &r), RDP_ERR_RANGE);
	n = transmit_ret(b, 8, 66560);			/* in range, past the end */
	assert_int_equal(dec_ret(b, n, SCARD_IOCTL_TRANSMIT, &r), RDP_ERR_MALFORMED);
	n = transmit_ret(b, 16, 0xFFFFFFFF);		/* MaxCount huge */
	assert_int_equal(dec_ret(b, n, SCARD_IOCTL_TRANSMIT, &r), RDP_ERR_MALFORMED);
	n = transmit_ret(b, 16, 3);			/* MaxCount != cbRecvLength */
	assert_int_equal(dec_ret(b, n, SCARD_IOCTL_TRANSMIT, &r), RDP_ERR_MALFORMED);
	n = transmit_ret(b, 12, 0);			/* NULL buffer with a length: */
	assert_int_equal(dec_ret(b, n, SCARD_IOCTL_TRANSMIT, &r), 0);	/* a length answer */
	assert_null(r.transmit.recv);
	assert_int_equal(r.transmit.cb_recv, 2);
	n = transmit_ret(b, 4, 0x00020008);		/* pioRecvPci present but missing */
	assert_int_not_equal(dec_ret(b, n, SCARD_IOCTL_TRANSMIT, &r), 0);
	n = transmit_ret(b, SIZE_MAX, 0);
	put32(b + 8, 0x1000);				/* ObjectBufferLength past the end */
	assert_int_equal(dec_ret(b, n, SCARD_IOCTL_TRANSMIT, &r), RDP_ERR_TRUNCATED);
	n = transmit_ret(b, SIZE_MAX, 0);
	b[0] = 2;					/* RPCE version */
	assert_int_equal(dec_ret(b, n, SCARD_IOCTL_TRANSMIT, &r), RDP_ERR_MALFORMED);
	n = transmit_ret(b, SIZE_MAX, 0);
	b[1] = 0x00;					/* big endian */
	assert_int_equal(dec_ret(b, n, SCARD_IOCTL_TRANSMIT, &r), RDP_ERR_MALFORMED);
	assert_int_equal(dec_ret(b, 15, SCARD_IOCTL_TRANSMIT, &r), RDP_ERR_TRUNCATED);
	assert_int_equal(dec_ret(b, n, 0x00090000, &r), RDP_ERR_UNSUPPORTED);
}

/*
 * A Windows-shaped return (headers, body of n u32, pad to 8) from the
 * words w; returns its length.
 */
static size_t mk_ret(uint8_t *p, const uint32_t *w, size_t n)
{
	size_t body = (4 * n + 7) & ~(size_t)7;

	memcpy(p, "\x01\x10\x08\x00\xcc\xcc\xcc\xcc", 8);
	put32(p + 8, (uint32_t)body);
	put32(p + 12, 0);
	memset(p + 16, 0, body);
	for (size_t i = 0; i < n; i++)
		put32(p + 16 + 4 * i, w[i]);
	return 16 + body;
}

/* Decodes canonically, and re-encodes to the same bytes. */
static void ret_round_trip(const uint8_t *p, size_t n, uint32_t ioctl, union rdpesc_return *r)
{
	static uint8_t again[4096];
	size_t m;

	rdp_arena_init(&ar, arena_buf, sizeof(arena_buf));
	assert_int_equal(rdpesc_decode_return(p, n, ioctl, r, &ar, RDPESC_DECODE_CANONICAL), 0);
	m = enc_ret(ioctl, r, again, sizeof(again));
	assert_bytes(again, m, p, n);
}

/*
 * A NULL [unique] array with a non-zero size is a length-only answer:
 * MS-RDPESC asks for it (ListReaders, ListReaderGroups, State, GetAttrib
 * when the call's buffer length is 0; the *IsNULL flags), MS-RPCE NDR
 * accepts it, FreeRDP's server takes it as an empty array (except in
 * GetAttrib).  It decodes to the size as sent and no data.  Where the array is the answer itself
 * (reader states, a context, a handle) it is still an error.
 */
static void null_referent_with_length(void **state)
{
	union rdpesc_return r;
	size_t n;

	(void)state;
	n = mk_ret(b, (const uint32_t[]){ 0, 38, 0 }, 3);	/* ListReaders: cBytes 38, NULL */
	ret_round_trip(b, n, SCARD_IOCTL_LISTREADERSW, &r);
	assert_int_equal(r.list_readers.cbytes, 38);
	assert_null(r.list_readers.readers.p);
	assert_int_equal(r.list_readers.readers.len, 0);
	ret_round_trip(b, n, SCARD_IOCTL_LISTREADERGROUPSA, &r);
	assert_int_equal(r.list_readers.cbytes, 38);
	put32(b + 20, RDPESC_MAX_MSZ + 1);		/* the IDL range still holds */
	assert_int_equal(dec_ret(b, n, SCARD_IOCTL_LISTREADERSW, &r), RDP_ERR_RANGE);

	n = mk_ret(b, (const uint32_t[]){ 0, 6, 2, 9, 0 }, 5);	/* State: cbAtrLen 9, NULL */
	ret_round_trip(b, n, SCARD_IOCTL_STATE, &r);
	assert_int_equal(r.state.cb_atr, 9);
	assert_null(r.state.atr);
	put32(b + 28, 37);
	assert_int_equal(dec_ret(b, n, SCARD_IOCTL_STATE, &r), RDP_ERR_RANGE);

	/* StatusW: cBytes 38, NULL names; state, protocol, pbAtr[32], cbAtrLen 2 */
	n = mk_ret(b, (const uint32_t[]){ 0, 38, 0, 6, 2, 0x163b, 0, 0, 0, 0, 0, 0, 0, 2 }, 14);
	ret_round_trip(b, n, SCARD_IOCTL_STATUSW, &r);
	assert_int_equal(r.status.cbytes, 38);
	assert_null(r.status.reader_names.p);
	assert_int_equal(r.status.cb_atr, 2);
	assert_memory_equal(r.status.atr, "\x3b\x16", 2);

	n = mk_ret(b, (const uint32_t[]){ 0, 0, 258, 0 }, 4);	/* Transmit: 258, NULL */
	ret_round_trip(b, n, SCARD_IOCTL_TRANSMIT, &r);
	assert_int_equal(r.transmit.cb_recv, 258);
	assert_null(r.transmit.recv);
	/* pioRecvPci {T1, cbExtraBytes 4, NULL}, then a 2-byte response */
	n = mk_ret(b, (const uint32_t[]){ 0, 0x00020000, 2, 0x00020004, 2, 4, 0, 2, 0x0090 }, 9);
	ret_round_trip(b, n, SCARD_IOCTL_TRANSMIT, &r);
	assert_true(r.transmit.has_recv_pci);
	assert_int_equal(r.transmit.recv_pci.cb_extra, 4);
	assert_null(r.transmit.recv_pci.extra);
	assert_int_equal(r.transmit.cb_recv, 2);
	assert_memory_equal(r.transmit.recv, "\x90\x00", 2);
	put32(b + 36, RDPESC_MAX_EXTRA + 1);
	assert_int_equal(dec_ret(b, n, SCARD_IOCTL_TRANSMIT, &r), RDP_ERR_RANGE);

	n = mk_ret(b, (const uint32_t[]){ 0, 33, 0 }, 3);	/* GetAttrib, Control, icon */
	ret_round_trip(b, n, SCARD_IOCTL_GETATTRIB, &r);
	assert_int_equal(r.buffer.cb, 33);
	assert_null(r.buffer.data);
	ret_round_trip(b, n, SCARD_IOCTL_CONTROL, &r);
	ret_round_trip(b, n, SCARD_IOCTL_GETREADERICON, &r);
	put32(b + 20, RDPESC_MAX_ATTR + 1);
	assert_int_equal(dec_ret(b, n, SCARD_IOCTL_GETATTRIB, &r), RDP_ERR_RANGE);
	assert_int_equal(dec_ret(b, n, SCARD_IOCTL_CONTROL, &r), 0);

	/* still errors: states, a context, a handle named by size alone */
	n = mk_ret(b, (const uint32_t[]){ 0, 1, 0 }, 3);
	assert_int_equal(dec_ret(b, n, SCARD_IOCTL_GETSTATUSCHANGEW, &r), RDP_ERR_MALFORMED);
	n = mk_ret(b, (const uint32_t[]){ 0, 4, 0 }, 3);
	assert_int_equal(dec_ret(b, n, SCARD_IOCTL_ESTABLISHCONTEXT, &r), RDP_ERR_MALFORMED);
	n = mk_ret(b, (const uint32_t[]){ 0, 4, 0x00020000, 4, 0, 2, 4, 0x04030201 }, 8);
	assert_int_equal(dec_ret(b, n, SCARD_IOCTL_CONNECTW, &r), RDP_ERR_MALFORMED);
	/* ... and a present array still needs its bytes */
	n = mk_ret(b, (const uint32_t[]){ 0, 0, 258, 0x00020000, 258 }, 5);
	assert_int_equal(dec_ret(b, n, SCARD_IOCTL_TRANSMIT, &r), RDP_ERR_TRUNCATED);
}

static void gsc_and_strings(void **state)
{
	/* GetStatusChange_Return with cReaders patched */
	static const uint8_t gsc[] = {
		0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc, 0xcc, 0x40, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 2, 0, 1, 0, 0, 0,
		0, 0, 0, 0, 0x22, 0x01, 0, 0, 9, 0, 0, 0, 0x3b, 0x16, 0x94, 0x41,
		0x73, 0x74, 0x72, 0x69, 0x64, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	/* ConnectW_Call "ab" */
	static const uint8_t conn[] = {
		0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc, 0xcc, 0x30, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 2, 0, 4, 0, 0, 0, 4, 0, 2, 0, 2, 0, 0, 0,
		3, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0,
		'a', 0, 'b', 0, 0, 0, 0, 0, 4, 0, 0, 0, 1, 2, 3, 4 };
	union rdpesc_return r;
	union rdpesc_call c;

	(void)state;
	memcpy(b, gsc, sizeof(gsc));
	assert_int_equal(dec_ret(b, sizeof(gsc), SCARD_IOCTL_GETSTATUSCHANGEW, &r), 0);
	put32(b + 20, 11);				/* > 10 states */
	assert_int_equal(dec_ret(b, sizeof(gsc), SCARD_IOCTL_GETSTATUSCHANGEW, &r), RDP_ERR_RANGE);
	put32(b + 20, 2);				/* count != MaxCount */
	assert_int_equal(dec_ret(b, sizeof(gsc), SCARD_IOCTL_GETSTATUSCHANGEW, &r), RDP_ERR_MALFORMED);
	memcpy(b, gsc, sizeof(gsc));
	put32(b + 40, 37);				/* cbAtr > 36 */
	assert_int_equal(dec_ret(b, sizeof(gsc), SCARD_IOCTL_GETSTATUSCHANGEW, &r), RDP_ERR_RANGE);
	memcpy(b, gsc, sizeof(gsc));
	put32(b + 24, 0);				/* NULL array, cReaders 1 */
	assert_int_equal(dec_ret(b, sizeof(gsc), SCARD_IOCTL_GETSTATUSCHANGEW, &r), RDP_ERR_MALFORMED);
	memcpy(b, gsc, sizeof(gsc));
	put32(b + 16, SCARD_E_TIMEOUT);			/* FreeRDP keeps states on timeout */
	assert_int_equal(dec_ret(b, sizeof(gsc), SCARD_IOCTL_GETSTATUSCHANGEW, &r), 0);
	assert_int_equal(r.gsc.n, 1);
	assert_int_equal(r.gsc.states[0].event_state, 0x122);

	memcpy(b, conn, sizeof(conn));
	assert_int_equal(dec_call(b, sizeof(conn), SCARD_IOCTL_CONNECTW, &c, RDPESC_DECODE_CANONICAL), 0);
	assert_string_equal(c.connect.reader, "ab");
	put32(b + 16 + 28, 4);				/* ActualCount > MaxCount */
	assert_int_equal(dec_call(b, sizeof(conn), SCARD_IOCTL_CONNECTW, &c, 0), RDP_ERR_MALFORMED);
	memcpy(b, conn, sizeof(conn));
	put32(b + 16 + 20, 0x40000000);			/* huge MaxCount and ActualCount */
	put32(b + 16 + 28, 0x40000000);
	assert_int_equal(dec_call(b, sizeof(conn), SCARD_IOCTL_CONNECTW, &c, 0), RDP_ERR_TRUNCATED);
	memcpy(b, conn, sizeof(conn));
	put32(b + 16 + 4, 17);				/* cbContext > 16 */
	assert_int_equal(dec_call(b, sizeof(conn), SCARD_IOCTL_CONNECTW, &c, 0), RDP_ERR_RANGE);
	memcpy(b, conn, sizeof(conn));
	put32(b + 16 + 8, 0);				/* context pointer NULL, cb 4 */
	assert_int_equal(dec_call(b, sizeof(conn), SCARD_IOCTL_CONNECTW, &c, 0), RDP_ERR_MALFORMED);
	memcpy(b, conn, sizeof(conn));
	put32(b + 16 + 0, 0);				/* no reader string: the context moves up */
	assert_int_not_equal(dec_call(b, sizeof(conn), SCARD_IOCTL_CONNECTW, &c, 0), 0);
	memcpy(b, conn, sizeof(conn));
	put32(b + 16 + 36, 0xc0ffee);			/* string not terminated: tolerated */
	b[16 + 36] = 'c'; b[16 + 37] = 0;
	assert_int_equal(dec_call(b, sizeof(conn), SCARD_IOCTL_CONNECTW, &c, 0), 0);
	assert_string_equal(c.connect.reader, "abc");
	assert_int_equal(dec_call(b, sizeof(conn), SCARD_IOCTL_CONNECTW, &c, RDPESC_DECODE_CANONICAL),
			 RDP_ERR_MISMATCH);
}

/* Deviations seen in real clients are accepted. */
static void client_deviations(void **state)
{
	/* FreeRDP: EstablishContext error body truncated after ReturnCode */
	static const uint8_t est_err[] = {
		0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc, 0xcc, 0x08, 0, 0, 0, 0, 0, 0, 0,
		0x1d, 0x00, 0x10, 0x80, 0, 0, 0, 0 };
	/* FreeRDP AccessStartedEvent reply: ObjectBufferLength 4, no pad */
	static const uint8_t ase[] = {
		0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc, 0xcc, 0x04, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
	/* Teleport/IronRDP: ObjectBufferLength without the pad, odd referents */
	static const uint8_t ctx_ret[] = {
		0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc, 0xcc, 0x14, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 4, 0, 0, 0, 0x01, 0, 0x02, 0, 4, 0, 0, 0,
		1, 2, 3, 4 };
	union rdpesc_return r;

	(void)state;
	assert_int_equal(dec_ret(est_err, sizeof(est_err), SCARD_IOCTL_ESTABLISHCONTEXT, &r), 0);
	assert_int_equal(r.rc, SCARD_E_NO_SERVICE);
	assert_int_equal(r.establish.ctx.cb, 0);
	/* even the pad missing: rc only */
	assert_int_equal(dec_ret(est_err, 20, SCARD_IOCTL_ESTABLISHCONTEXT, &r), 0);
	assert_int_equal(r.rc, SCARD_E_NO_SERVICE);
	assert_int_equal(dec_ret(ase, sizeof(ase), SCARD_IOCTL_ACCESSSTARTEDEVENT, &r), 0);
	assert_int_equal(dec_ret(ctx_ret, sizeof(ctx_ret), SCARD_IOCTL_ESTABLISHCONTEXT, &r), 0);
	assert_int_equal(r.establish.ctx.cb, 4);
	assert_memory_equal(r.establish.ctx.v, "\x01\x02\x03\x04", 4);
	rdp_arena_init(&ar, arena_buf, sizeof(arena_buf));
	assert_int_equal(rdpesc_decode_return(ctx_ret, sizeof(ctx_ret), SCARD_IOCTL_ESTABLISHCONTEXT,
					      &r, &ar, RDPESC_DECODE_CANONICAL), RDP_ERR_MISMATCH);
}

/* rdesktop 1.9.0's EstablishContext_Return, OutputBufferLength 48 */
static const uint8_t rd_est[48] = {
	0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc, 0xcc, 0x10, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 4, 0, 0, 0, 1, 0, 0, 0, 4, 0, 0, 0,
	1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };

/* A private copy of exactly n bytes of p: ASan sees any read past them. */
static uint8_t *exact(const uint8_t *p, size_t n)
{
	uint8_t *c = malloc(n ? n : 1);

	assert_non_null(c);
	memcpy(c, p, n);
	return c;
}

/*
 * ObjectBufferLength is not an upper bound of the body (rdesktop), but the
 * received bytes are, and a header that claims more than them is an error.
 */
static void rdesktop_object_buffer_length(void **state)
{
	union rdpesc_return r;
	union rdpesc_call c;
	uint8_t *p;

	(void)state;
	memcpy(b, rd_est, sizeof(rd_est));
	assert_int_equal(dec_ret(b, sizeof(rd_est), SCARD_IOCTL_ESTABLISHCONTEXT, &r), 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(r.establish.ctx.cb, 4);
	assert_memory_equal(r.establish.ctx.v, "\x01\0\0\0", 4);
	/* without rdesktop's 8 trailing zero bytes, and without the pad too */
	assert_int_equal(dec_ret(b, 40, SCARD_IOCTL_ESTABLISHCONTEXT, &r), 0);
	assert_int_equal(dec_ret(b, 36, SCARD_IOCTL_ESTABLISHCONTEXT, &r), 0);
	assert_int_equal(r.establish.ctx.cb, 4);
	/* body cut below what the fields need: a clean error, never a context */
	for (size_t k = 0; k < 36; k++) {
		p = exact(rd_est, k);
		assert_int_not_equal(dec_ret(p, k, SCARD_IOCTL_ESTABLISHCONTEXT, &r), 0);
		assert_int_equal(r.establish.ctx.cb, 0);
		free(p);
	}
	/* ObjectBufferLength = the 32 bytes received: fine; one more: truncated */
	put32(b + 8, 32);
	assert_int_equal(dec_ret(b, sizeof(rd_est), SCARD_IOCTL_ESTABLISHCONTEXT, &r), 0);
	put32(b + 8, 33);
	assert_int_equal(dec_ret(b, sizeof(rd_est), SCARD_IOCTL_ESTABLISHCONTEXT, &r),
			 RDP_ERR_TRUNCATED);
	assert_int_equal(r.establish.ctx.cb, 0);
	put32(b + 8, 0xFFFFFFFF);
	assert_int_equal(dec_ret(b, sizeof(rd_est), SCARD_IOCTL_ESTABLISHCONTEXT, &r),
			 RDP_ERR_TRUNCATED);
	/* ... unless it reports an error: then that code alone, nothing else */
	put32(b + 16, SCARD_E_NO_SERVICE);
	assert_int_equal(dec_ret(b, sizeof(rd_est), SCARD_IOCTL_ESTABLISHCONTEXT, &r), 0);
	assert_int_equal(r.rc, SCARD_E_NO_SERVICE);
	assert_int_equal(r.establish.ctx.cb, 0);
	/* a length field inside the body still cannot reach past the buffer */
	memcpy(b, rd_est, sizeof(rd_est));
	put32(b + 20, 16);				/* cbContext 16, MaxCount 4 */
	assert_int_equal(dec_ret(b, sizeof(rd_est), SCARD_IOCTL_ESTABLISHCONTEXT, &r),
			 RDP_ERR_MALFORMED);
	put32(b + 28, 16);				/* and MaxCount 16: 16 bytes are there */
	assert_int_equal(dec_ret(b, sizeof(rd_est), SCARD_IOCTL_ESTABLISHCONTEXT, &r), 0);
	p = exact(b, 40);				/* ... but not in these 40 */
	assert_int_equal(dec_ret(p, 40, SCARD_IOCTL_ESTABLISHCONTEXT, &r), RDP_ERR_TRUNCATED);
	free(p);
	/* calls: the body is not cut at ObjectBufferLength either */
	memcpy(b, "\x01\x10\x08\x00\xcc\xcc\xcc\xcc\x00\0\0\0\0\0\0\0\x02\0\0\0\0\0\0\0", 24);
	assert_int_equal(dec_call(b, 24, SCARD_IOCTL_ESTABLISHCONTEXT, &c, 0), 0);
	assert_int_equal(c.establish.scope, SCARD_SCOPE_SYSTEM);
	assert_int_equal(dec_call(b, 24, SCARD_IOCTL_ESTABLISHCONTEXT, &c, RDPESC_DECODE_CANONICAL),
			 RDP_ERR_MISMATCH);
	put32(b + 8, 9);
	assert_int_equal(dec_call(b, 24, SCARD_IOCTL_ESTABLISHCONTEXT, &c, 0), RDP_ERR_TRUNCATED);
}

/* The context of a rejected EstablishContext reply, for releasing it. */
static void salvage_context(void **state)
{
	struct rdpesc_context ctx;
	union rdpesc_return r;
	uint8_t *p;

	(void)state;
	memcpy(b, rd_est, sizeof(rd_est));
	b[0] = 2;					/* RPCE version: rejected ... */
	assert_int_equal(dec_ret(b, sizeof(rd_est), SCARD_IOCTL_ESTABLISHCONTEXT, &r),
			 RDP_ERR_MALFORMED);
	assert_int_equal(rdpesc_salvage_context(b, sizeof(rd_est), &ctx), 0);	/* ... salvaged */
	assert_int_equal(ctx.cb, 4);
	assert_memory_equal(ctx.v, "\x01\0\0\0", 4);
	memcpy(b, rd_est, sizeof(rd_est));
	put32(b + 8, 0x100);				/* header claims too much */
	assert_int_equal(rdpesc_salvage_context(b, sizeof(rd_est), &ctx), 0);
	assert_int_equal(ctx.cb, 4);
	for (size_t k = 0; k < 36; k++) {		/* the context bytes not all there */
		p = exact(b, k);
		assert_int_not_equal(rdpesc_salvage_context(p, k, &ctx), 0);
		assert_int_equal(ctx.cb, 0);
		free(p);
	}
	put32(b + 16, SCARD_E_NO_SERVICE);		/* an error: the client made none */
	assert_int_equal(rdpesc_salvage_context(b, sizeof(rd_est), &ctx), RDP_ERR_MALFORMED);
	memcpy(b, rd_est, sizeof(rd_est));
	put32(b + 20, 17);				/* cbContext out of range */
	assert_int_equal(rdpesc_salvage_context(b, sizeof(rd_est), &ctx), RDP_ERR_RANGE);
	memcpy(b, rd_est, sizeof(rd_est));
	put32(b + 28, 8);				/* MaxCount != cbContext */
	assert_int_equal(rdpesc_salvage_context(b, sizeof(rd_est), &ctx), RDP_ERR_MALFORMED);
	memcpy(b, rd_est, sizeof(rd_est));
	put32(b + 20, 0);				/* no context at all */
	put32(b + 24, 0);
	assert_int_not_equal(rdpesc_salvage_context(b, sizeof(rd_est), &ctx), 0);
	assert_int_equal(ctx.cb, 0);
}

/* The handle of a rejected ConnectW reply, for disconnecting it. */
static void salvage_handle(void **state)
{
	static const uint8_t conn[56] = {
		0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc, 0xcc,	/* RPCE headers */
		40, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0,					/* ReturnCode */
		4, 0, 0, 0, 0x00, 0x00, 0x02, 0x00,		/* cbContext, referent */
		4, 0, 0, 0, 0x04, 0x00, 0x02, 0x00,		/* cbHandle, referent */
		2, 0, 0, 0,					/* dwActiveProtocol */
		4, 0, 0, 0, 0x11, 0x22, 0x33, 0x44,		/* context */
		4, 0, 0, 0, 0x55, 0x66, 0x77, 0x88,		/* handle */
	};
	struct rdpesc_handle h;
	union rdpesc_return r;
	uint8_t *p;

	(void)state;
	memcpy(b, conn, sizeof(conn));
	assert_int_equal(dec_ret(b, sizeof(conn), SCARD_IOCTL_CONNECTW, &r), 0);
	assert_int_equal(rdpesc_salvage_handle(b, sizeof(conn), &h), 0);
	assert_int_equal(h.cb, r.connect.h.cb);
	assert_memory_equal(h.v, r.connect.h.v, 4);
	b[0] = 2;					/* RPCE version: rejected ... */
	assert_int_equal(dec_ret(b, sizeof(conn), SCARD_IOCTL_CONNECTW, &r),
			 RDP_ERR_MALFORMED);
	assert_int_equal(rdpesc_salvage_handle(b, sizeof(conn), &h), 0);	/* ... salvaged */
	assert_int_equal(h.cb, 4);
	assert_memory_equal(h.v, "\x55\x66\x77\x88", 4);
	assert_int_equal(h.ctx.cb, 4);
	assert_memory_equal(h.ctx.v, "\x11\x22\x33\x44", 4);
	for (size_t k = 0; k < sizeof(conn); k++) {	/* the handle bytes not all there */
		p = exact(b, k);
		assert_int_not_equal(rdpesc_salvage_handle(p, k, &h), 0);
		assert_int_equal(h.cb, 0);
		free(p);
	}
	put32(b + 16, SCARD_E_NO_SMARTCARD);		/* an error: the client made none */
	assert_int_equal(rdpesc_salvage_handle(b, sizeof(conn), &h), RDP_ERR_MALFORMED);
	memcpy(b, conn, sizeof(conn));
	put32(b + 28, 17);				/* cbHandle out of range */
	assert_int_not_equal(rdpesc_salvage_handle(b, sizeof(conn), &h), 0);
	/*
	 * rdesktop leaves the handle's context empty (cbContext 0, NULL): the
	 * handle is still real, salvaged with an empty context for the caller
	 * to fill in with the context of its call.
	 */
	mk_ret(b, (const uint32_t[]){ 0, 0, 0, 4, 0x016cff34, 2, 4, 3 }, 8);
	b[0] = 2;
	assert_int_equal(rdpesc_salvage_handle(b, 48, &h), 0);
	assert_int_equal(h.cb, 4);
	assert_memory_equal(h.v, "\x03\0\0\0", 4);
	assert_int_equal(h.ctx.cb, 0);
	put32(b + 28, 0);				/* and no handle either: none */
	put32(b + 32, 0);
	assert_int_equal(rdpesc_salvage_handle(b, 48, &h), RDP_ERR_MALFORMED);
}

static void call_without_final_pad(void **state)
{
	/* xrdp style: EstablishContext_Call body of 4 bytes, no pad to 8 */
	static const uint8_t xrdp[] = {
		0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc, 0xcc, 0x04, 0, 0, 0, 0, 0, 0, 0,
		2, 0, 0, 0 };
	union rdpesc_call c;

	(void)state;
	assert_int_equal(dec_call(xrdp, sizeof(xrdp), SCARD_IOCTL_ESTABLISHCONTEXT, &c, 0), 0);
	assert_int_equal(c.establish.scope, SCARD_SCOPE_SYSTEM);
	assert_int_equal(dec_call(xrdp, sizeof(xrdp), SCARD_IOCTL_ESTABLISHCONTEXT, &c,
				  RDPESC_DECODE_CANONICAL), RDP_ERR_MISMATCH);
}

static void return_without_final_pad(void **state)
{
	/* Transmit_Return, 3 response bytes ending the body, no pad to 4 */
	static const uint8_t nopad[] = {
		0x01, 0x10, 0x08, 0x00, 0xcc, 0xcc, 0xcc, 0xcc, 0x17, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0, 0, 0, 0, 0, 0x03, 0, 0, 0, 0x00, 0x00, 0x02, 0x00,
		0x03, 0, 0, 0, 0x01, 0x90, 0x00 };
	union rdpesc_return r;
	uint8_t *p;

	(void)state;
	p = exact(nopad, sizeof(nopad));	/* exact size: ASan sees overreads */
	assert_int_equal(dec_ret(p, sizeof(nopad), SCARD_IOCTL_TRANSMIT, &r), 0);
	assert_int_equal(r.transmit.cb_recv, 3);
	assert_memory_equal(r.transmit.recv, "\x01\x90\x00", 3);
	free(p);
	/* one data byte short is still truncated, never a shorter answer */
	p = exact(nopad, sizeof(nopad) - 1);
	put32(p + 8, 0x16);
	assert_int_equal(dec_ret(p, sizeof(nopad) - 1, SCARD_IOCTL_TRANSMIT, &r),
			 RDP_ERR_TRUNCATED);
	free(p);
}

static void rdpdr_malformed(void **state)
{
	static const uint8_t dl[] = { 0x72, 0x44, 0x41, 0x44, 1, 0, 0, 0,
		0x20, 0, 0, 0, 1, 0, 0, 0, 'S', 'C', 'A', 'R', 'D', 0, 0, 0, 0, 0, 0, 0 };
	static const uint8_t caps[] = { 0x72, 0x44, 0x50, 0x43, 2, 0, 0, 0,
		9, 0, 8, 0, 1, 0, 0, 0, 5, 0, 8, 0, 1, 0, 0, 0 };
	struct rdpdr_device_iter it;
	struct rdpdr_device d;
	struct rdpdr_device_remove rm;
	struct rdpdr_caps c;
	struct rdpdr_control_rsp s;
	struct rdpdr_client_name n;

	(void)state;
	memcpy(b, dl, sizeof(dl));
	assert_int_equal(rdpdr_device_list_begin(&it, b, sizeof(dl)), 0);
	assert_int_equal(rdpdr_device_list_next(&it, &d), 1);
	assert_int_equal(d.device_type, RDPDR_DTYP_SMARTCARD);
	put32(b + 4, 0xFFFFFFFF);			/* DeviceCount huge */
	assert_int_equal(rdpdr_device_list_begin(&it, b, sizeof(dl)), RDP_ERR_TRUNCATED);
	assert_int_equal(rdpdr_device_list_next(&it, &d), 0);
	memcpy(b, dl, sizeof(dl));
	put32(b + 24, 1);				/* DeviceDataLength past the end */
	assert_int_equal(rdpdr_device_list_begin(&it, b, sizeof(dl)), RDP_ERR_TRUNCATED);
	memcpy(b, dl, sizeof(dl));
	b[2] = 0x4d;					/* wrong PacketId */
	assert_int_equal(rdpdr_device_list_begin(&it, b, sizeof(dl)), RDP_ERR_MALFORMED);

	memcpy(b, "\x72\x44\x4d\x44\xff\xff\xff\x3f\x01\x00\x00\x00", 12);
	assert_int_equal(rdpdr_decode_device_list_remove(b, 12, &rm), RDP_ERR_TRUNCATED);

	assert_int_equal(rdpdr_decode_client_caps(caps, sizeof(caps), &c), 0);	/* unknown type 9 skipped */
	assert_int_equal(c.present, 1u << RDPDR_CAP_SMARTCARD);
	memcpy(b, caps, sizeof(caps));
	b[10] = 7;					/* CapabilityLength < 8 */
	assert_int_equal(rdpdr_decode_client_caps(b, sizeof(caps), &c), RDP_ERR_MALFORMED);
	b[10] = 200;					/* past the end */
	assert_int_equal(rdpdr_decode_client_caps(b, sizeof(caps), &c), RDP_ERR_TRUNCATED);
	memcpy(b, caps, sizeof(caps));
	b[8] = 1;					/* general set too short */
	assert_int_equal(rdpdr_decode_client_caps(b, sizeof(caps), &c), RDP_ERR_MALFORMED);

	/* completion: error with junk accepted; success with a length past the end rejected */
	memcpy(b, "\x72\x44\x43\x49\x01\0\0\0\x05\0\0\0\x23\0\0\xc0\0\0\0\0", 20);
	memset(b + 20, 0xee, 20);
	assert_int_equal(rdpdr_decode_control_rsp(b, 40, &s), 0);
	assert_int_equal(s.c.io_status, RDP_STATUS_BUFFER_TOO_SMALL);
	assert_null(s.output);
	assert_int_equal(rdpdr_decode_control_rsp(b, 16, &s), 0);	/* bare header */
	put32(b + 12, 0);
	put32(b + 16, 100);
	assert_int_equal(rdpdr_decode_control_rsp(b, 40, &s), RDP_ERR_TRUNCATED);
	assert_int_equal(rdpdr_decode_control_rsp(b, 16, &s), RDP_ERR_TRUNCATED);

	memcpy(b, "\x72\x44\x4e\x43\x01\0\0\0\0\0\0\0\xff\0\0\0a\0", 18);
	assert_int_equal(rdpdr_decode_client_name(b, 18, &n), RDP_ERR_TRUNCATED);
	/* a very long name is truncated on a character boundary */
	memcpy(b, "\x72\x44\x4e\x43\x01\0\0\0\0\0\0\0\x00\x04\0\0", 16);
	for (int i = 0; i < 512; i++) {
		b[16 + 2 * i] = 0xac;
		b[17 + 2 * i] = 0x20;	/* U+20AC, 3 bytes in UTF-8 */
	}
	assert_int_equal(rdpdr_decode_client_name(b, 16 + 1024, &n), 0);
	assert_int_equal(strlen(n.name), 255);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(prefixes),
		cmocka_unit_test(bad_lengths_and_counts),
		cmocka_unit_test(null_referent_with_length),
		cmocka_unit_test(gsc_and_strings),
		cmocka_unit_test(client_deviations),
		cmocka_unit_test(rdesktop_object_buffer_length),
		cmocka_unit_test(salvage_context),
		cmocka_unit_test(salvage_handle),
		cmocka_unit_test(call_without_final_pad),
		cmocka_unit_test(return_without_final_pad),
		cmocka_unit_test(rdpdr_malformed),
	};

	return cmocka_run_group_tests_name("robust", tests, NULL, NULL);
}
