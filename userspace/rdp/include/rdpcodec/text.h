/* SPDX-License-Identifier: MIT */
/*
 * Text at the wire edge: UTF-16LE <-> UTF-8 and multi-strings.
 *
 * Inside librdpcodec every string is UTF-8 (or raw 8-bit for the *A IOCTLs);
 * wide strings are converted when written or read.  Unpaired surrogates in
 * UTF-16 input become U+FFFD; invalid UTF-8 input to an encoder is an error.
 */
#ifndef RDPCODEC_TEXT_H
#define RDPCODEC_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include "wire.h"

/*
 * A multi-string: names, each followed by NUL, then one more NUL.
 * len counts every byte including the final NUL ("a\0b\0\0" has len 5).
 * Decoders always produce this normalised form (a missing final NUL on
 * the wire is tolerated); encoders write exactly len bytes/characters.
 * An absent list is {NULL, 0}.
 */
struct rdp_msz {
	const char *p;
	size_t len;
};

/* Next name of m starting at *pos (start with 0), or NULL at the end. */
const char *rdp_msz_next(const struct rdp_msz *m, size_t *pos);
/* Number of names in m. */
size_t rdp_msz_count(const struct rdp_msz *m);

/*
 * Append len bytes of UTF-8 to w as UTF-16LE (no terminator added; NUL
 * bytes in s become NUL units).  Returns the number of UTF-16 units
 * written or RDP_ERR_MALFORMED; w's error is set too.
 */
long rdp_utf8_to_utf16le(struct rdp_wr *w, const char *s, size_t len);
/* UTF-16 units needed for len bytes of UTF-8, or RDP_ERR_MALFORMED. */
long rdp_utf8_utf16_units(const char *s, size_t len);
/*
 * Convert n UTF-16LE units (2n bytes at src) to UTF-8 at dst (NUL units
 * are copied as NUL bytes; nothing is appended).  Returns the byte count
 * or RDP_ERR_NOSPACE.  3n bytes of dst always suffice.
 */
long rdp_utf16le_to_utf8(const uint8_t *src, size_t n, char *dst, size_t cap);

#endif /* RDPCODEC_TEXT_H */
