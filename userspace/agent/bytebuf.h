/* SPDX-License-Identifier: MIT */
/* Growable output buffer and bounds-checked little-endian reader. */
#ifndef AGENT_BYTEBUF_H
#define AGENT_BYTEBUF_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct bytebuf {
	uint8_t *data;
	size_t len;
	size_t cap;
	bool oom;		/* an allocation failed; contents are truncated */
};

void bb_init(struct bytebuf *b);
void bb_free(struct bytebuf *b);
void bb_reset(struct bytebuf *b);
void bb_put(struct bytebuf *b, const void *p, size_t n);
void bb_zero(struct bytebuf *b, size_t n);
void bb_u8(struct bytebuf *b, uint8_t v);
void bb_u16(struct bytebuf *b, uint16_t v);
void bb_u32(struct bytebuf *b, uint32_t v);
/* Overwrite a u32 at an earlier offset. */
void bb_set_u32(struct bytebuf *b, size_t off, uint32_t v);
/* Drop the first n bytes. */
void bb_consume(struct bytebuf *b, size_t n);

struct byterd {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool err;		/* a read went past the end; later reads return 0 */
};

void br_init(struct byterd *r, const void *p, size_t len);
uint8_t br_u8(struct byterd *r);
uint16_t br_u16(struct byterd *r);
uint32_t br_u32(struct byterd *r);
/* Returns a pointer to n bytes in place, or NULL (and sets err). */
const uint8_t *br_bytes(struct byterd *r, size_t n);
size_t br_left(const struct byterd *r);

static inline uint32_t get_le32(const uint8_t *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint16_t get_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

#endif
