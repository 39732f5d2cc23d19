/* SPDX-License-Identifier: MIT */
/* UTF-8 <-> UTF-16LE conversion at the RDP edge. */
#ifndef AGENT_UTF16_H
#define AGENT_UTF16_H

#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"

/* Appends s as UTF-16LE code units (no terminator); returns units written. */
size_t utf8_to_utf16le(struct bytebuf *out, const char *s);
/*
 * Converts n UTF-16LE units at p to NUL-terminated UTF-8 in dst (cap bytes,
 * truncated on a character boundary).  Stops at the first NUL unit.
 * Invalid surrogates become U+FFFD.  Returns the units consumed, including
 * the NUL if one was found.
 */
size_t utf16le_to_utf8(const uint8_t *p, size_t n, char *dst, size_t cap);

#endif
