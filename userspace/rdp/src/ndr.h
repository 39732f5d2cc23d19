/* SPDX-License-Identifier: MIT */
/*
 * NDR primitives for the MS-RDPESC bodies (internal).
 *
 * Encoding: every embedded pointer gets the next Windows referent id
 * (0x00020000 + 4k) in the order pointers are written; pointees are
 * written by the caller in the same order afterwards.  Decoding: a
 * referent is only "zero or not".  Alignment is relative to the body.
 */
#ifndef RDPCODEC_NDR_H
#define RDPCODEC_NDR_H

#include <rdpcodec/rdpesc.h>

#define NDR_REF_BASE	0x00020000u

struct ndr_enc {
	struct rdp_wr *w;
	size_t base;		/* w->off at the start of the body */
	uint32_t nref;		/* non-NULL pointers written so far */
	bool wide;		/* strings are UTF-16LE */
};

void ndr_enc_init(struct ndr_enc *e, struct rdp_wr *w, bool wide);
void ndr_put_u32(struct ndr_enc *e, uint32_t v);
void ndr_put_ptr(struct ndr_enc *e, bool present);
void ndr_put_align(struct ndr_enc *e, size_t a);
/* Fail with RDP_ERR_RANGE unless ok. */
void ndr_check(struct ndr_enc *e, bool ok);
/* Conformant byte array: MaxCount, bytes, pad to 4. */
void ndr_put_conf_bytes(struct ndr_enc *e, const uint8_t *p, uint32_t n);
/* [string] pointee: MaxCount, Offset 0, ActualCount (incl. NUL), chars, pad. */
void ndr_put_string(struct ndr_enc *e, const char *s);
/* Multi-string: its cBytes on the wire, and the conformant byte array. */
uint32_t ndr_msz_cbytes(struct ndr_enc *e, const struct rdp_msz *m);
void ndr_put_msz(struct ndr_enc *e, const struct rdp_msz *m);
/* A return's cBytes: that of the list, or @cbytes alone when there is none. */
uint32_t ndr_msz_cbytes_or(struct ndr_enc *e, const struct rdp_msz *m, uint32_t cbytes);
void ndr_put_ctx(struct ndr_enc *e, const struct rdpesc_context *c);
void ndr_put_ctx_data(struct ndr_enc *e, const struct rdpesc_context *c);
void ndr_put_handle(struct ndr_enc *e, const struct rdpesc_handle *h);
void ndr_put_handle_data(struct ndr_enc *e, const struct rdpesc_handle *h);
/*
 * SCardIO_Request inline part (cbExtraBytes held to 0..1024; a NULL
 * pbExtraBytes with a size is left to the caller to allow) / its extra
 * bytes.
 */
void ndr_put_io(struct ndr_enc *e, const struct rdpesc_io_request *io);
void ndr_put_io_data(struct ndr_enc *e, const struct rdpesc_io_request *io);

struct ndr_dec {
	struct rdp_rd r;	/* over the body only */
	struct rdp_arena *a;
	bool wide;
};

void ndr_dec_init(struct ndr_dec *d, const uint8_t *body, size_t len, struct rdp_arena *a,
		  bool wide);
void ndr_fail(struct ndr_dec *d, int err);
uint32_t ndr_get_u32(struct ndr_dec *d);
/* Referent: 0 = NULL, anything else = present. */
uint32_t ndr_get_ptr(struct ndr_dec *d);
/* Fail with RDP_ERR_RANGE if v > max. */
void ndr_get_check(struct ndr_dec *d, uint32_t v, uint32_t max);
/*
 * Fail with RDP_ERR_MALFORMED if a NULL pointer comes with a non-zero size:
 * for contexts, handles, reader states and call inputs only (a return's
 * NULL byte array with a size is a length; see rdpesc_bodies.h).
 */
void ndr_get_ptr_size(struct ndr_dec *d, uint32_t ref, uint32_t size);
/* Conformant byte array whose MaxCount must equal n; view or NULL. */
const uint8_t *ndr_get_conf_bytes(struct ndr_dec *d, uint32_t n);
/* [string] pointee -> NUL-terminated UTF-8 in the arena, or NULL on error. */
const char *ndr_get_string(struct ndr_dec *d);
/* Multi-string array of cbytes bytes -> normalised UTF-8 in the arena. */
void ndr_get_msz(struct ndr_dec *d, uint32_t cbytes, struct rdp_msz *m);
void ndr_get_ctx(struct ndr_dec *d, struct rdpesc_context *c, uint32_t *ref);
void ndr_get_ctx_data(struct ndr_dec *d, struct rdpesc_context *c, uint32_t ref);
void ndr_get_handle(struct ndr_dec *d, struct rdpesc_handle *h, uint32_t ref[2]);
void ndr_get_handle_data(struct ndr_dec *d, struct rdpesc_handle *h, const uint32_t ref[2]);
/* The same checks as ndr_put_io(); *ref 0 means no extra bytes follow. */
void ndr_get_io(struct ndr_dec *d, struct rdpesc_io_request *io, uint32_t *ref);
void ndr_get_io_data(struct ndr_dec *d, struct rdpesc_io_request *io, uint32_t ref);

#endif
