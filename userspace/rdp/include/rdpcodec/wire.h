/* SPDX-License-Identifier: MIT */
/*
 * Bounds-checked little-endian cursors, the caller-provided arena and the
 * error codes shared by every part of librdpcodec.
 *
 * librdpcodec is pure: no I/O, no globals, no heap allocation.  Decoded
 * structures point into the input buffer (byte arrays) or into a
 * caller-provided arena (strings converted to UTF-8), so there is nothing
 * to free; both must outlive the decoded structure.
 *
 * Errors are sticky: after the first failure every further read returns 0
 * and every further write is dropped; check rdp_rd.err / rdp_wr.err once.
 */
#ifndef RDPCODEC_WIRE_H
#define RDPCODEC_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Return values: 0 is success, errors are negative. */
enum rdp_err {
	RDP_OK = 0,
	RDP_ERR_TRUNCATED = -1,	/* input ends before the structure does */
	RDP_ERR_NOSPACE = -2,	/* output buffer or arena too small */
	RDP_ERR_RANGE = -3,	/* a count/length outside its IDL range */
	RDP_ERR_MALFORMED = -4,	/* inconsistent or invalid encoding */
	RDP_ERR_UNSUPPORTED = -5, /* unknown IOCTL / packet / structure */
	RDP_ERR_TOO_BIG = -6,	/* frame larger than allowed */
	RDP_ERR_MISMATCH = -7,	/* not the canonical (Windows) encoding */
	RDP_ERR_INVAL = -8,	/* invalid argument from the caller */
};

/* Short English text for an rdp_err value (never NULL). */
const char *rdp_strerror(int err);

/* Read cursor over [p, p + len). */
struct rdp_rd {
	const uint8_t *p;
	size_t len;
	size_t off;
	int err;		/* first error, sticky; RDP_OK if none */
};

void rdp_rd_init(struct rdp_rd *r, const void *p, size_t len);
uint8_t rdp_rd_u8(struct rdp_rd *r);
uint16_t rdp_rd_u16(struct rdp_rd *r);
uint32_t rdp_rd_u32(struct rdp_rd *r);
uint64_t rdp_rd_u64(struct rdp_rd *r);
/* Returns a pointer to the next n bytes and skips them, or NULL (+error). */
const uint8_t *rdp_rd_view(struct rdp_rd *r, size_t n);
void rdp_rd_copy(struct rdp_rd *r, void *dst, size_t n);
void rdp_rd_skip(struct rdp_rd *r, size_t n);
/* Skip to the next multiple of a (relative to the cursor start). */
void rdp_rd_align(struct rdp_rd *r, size_t a);
size_t rdp_rd_left(const struct rdp_rd *r);
void rdp_rd_fail(struct rdp_rd *r, int err);

/*
 * Write cursor.  Three modes:
 *  - store:   p != NULL, writes into p[0..cap);
 *  - measure: p == NULL and expect == NULL, only counts (never fails
 *             for lack of space), to size a buffer beforehand;
 *  - compare: expect != NULL, compares every byte against expect[0..cap)
 *             and fails with RDP_ERR_MISMATCH on the first difference
 *             (used to check that an input is in canonical form).
 */
struct rdp_wr {
	uint8_t *p;
	const uint8_t *expect;
	size_t cap;
	size_t off;
	int err;
};

void rdp_wr_init(struct rdp_wr *w, void *p, size_t cap);
void rdp_wr_init_measure(struct rdp_wr *w);
void rdp_wr_init_compare(struct rdp_wr *w, const void *expect, size_t len);
void rdp_wr_u8(struct rdp_wr *w, uint8_t v);
void rdp_wr_u16(struct rdp_wr *w, uint16_t v);
void rdp_wr_u32(struct rdp_wr *w, uint32_t v);
void rdp_wr_u64(struct rdp_wr *w, uint64_t v);
void rdp_wr_bytes(struct rdp_wr *w, const void *src, size_t n);
void rdp_wr_zeros(struct rdp_wr *w, size_t n);
/* Zero-pad to the next multiple of a (relative to the cursor start). */
void rdp_wr_align(struct rdp_wr *w, size_t a);
/* Overwrite a u32 already written at offset off (store/measure modes). */
void rdp_wr_patch_u32(struct rdp_wr *w, size_t off, uint32_t v);
void rdp_wr_fail(struct rdp_wr *w, int err);

/*
 * Caller-provided storage for decoded strings.  Reset it (used = 0) to
 * reuse it for the next message.  RDP_ARENA_FOR(n) bytes always suffice
 * for decoding an input of n bytes (UTF-16 -> UTF-8 grows at most 3/2).
 */
struct rdp_arena {
	uint8_t *buf;
	size_t cap;
	size_t used;
};

#define RDP_ARENA_FOR(inlen)	((size_t)(inlen) * 2 + 64)

void rdp_arena_init(struct rdp_arena *a, void *buf, size_t cap);
/* n bytes aligned to 8, or NULL when full. */
void *rdp_arena_alloc(struct rdp_arena *a, size_t n);

#endif /* RDPCODEC_WIRE_H */
