/* SPDX-License-Identifier: MIT */
/* Growable output buffer. */
#ifndef AGENT_BYTEBUF_H
#define AGENT_BYTEBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bytebuf {
	uint8_t *data;
	size_t len;
	size_t cap;
	bool oom;		/* an allocation or an encoding failed */
};

void bb_init(struct bytebuf *b);
void bb_free(struct bytebuf *b);
void bb_reset(struct bytebuf *b);
void bb_put(struct bytebuf *b, const void *p, size_t n);
void bb_zero(struct bytebuf *b, size_t n);
void bb_u8(struct bytebuf *b, uint8_t v);
/* Drop the first n bytes. */
void bb_consume(struct bytebuf *b, size_t n);

#endif
