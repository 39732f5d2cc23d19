// SPDX-License-Identifier: MIT
/* UTF-16LE <-> UTF-8 conversion and multi-string helpers. */
#include <string.h>

#include <rdpcodec/text.h>

const char *rdp_msz_next(const struct rdp_msz *m, size_t *pos)
{
	const char *s;
	size_t n;

	if (!m->p || *pos >= m->len)
		return NULL;
	s = m->p + *pos;
	n = strnlen(s, m->len - *pos);
	if (n == 0)
		return NULL;	/* the terminating empty name */
	*pos += n + 1;
	return s;
}

size_t rdp_msz_count(const struct rdp_msz *m)
{
	size_t pos = 0, n = 0;

	while (rdp_msz_next(m, &pos))
		n++;
	return n;
}

/* Decode one code point from UTF-8; returns its length or 0 if invalid. */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	uint32_t c = s[0], min;
	size_t n, i;

	if (c < 0x80) {
		*cp = c;
		return 1;
	} else if ((c & 0xE0) == 0xC0) {
		n = 2; c &= 0x1F; min = 0x80;
	} else if ((c & 0xF0) == 0xE0) {
		n = 3; c &= 0x0F; min = 0x800;
	} else if ((c & 0xF8) == 0xF0) {
		n = 4; c &= 0x07; min = 0x10000;
	} else {
		return 0;
	}
	if (n > len)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		c = c << 6 | (s[i] & 0x3F);
	}
	if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
		return 0;
	*cp = c;
	return n;
}

long rdp_utf8_to_utf16le(struct rdp_wr *w, const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	long units = 0;

	while (i < len) {
		uint32_t cp;
		size_t n = utf8_decode(u + i, len - i, &cp);

		if (!n) {
			rdp_wr_fail(w, RDP_ERR_MALFORMED);
			return RDP_ERR_MALFORMED;
		}
		i += n;
		if (cp >= 0x10000) {
			cp -= 0x10000;
			rdp_wr_u16(w, (uint16_t)(0xD800 | cp >> 10));
			rdp_wr_u16(w, (uint16_t)(0xDC00 | (cp & 0x3FF)));
			units += 2;
		} else {
			rdp_wr_u16(w, (uint16_t)cp);
			units++;
		}
	}
	return units;
}

long rdp_utf8_utf16_units(const char *s, size_t len)
{
	struct rdp_wr w;

	rdp_wr_init_measure(&w);
	return rdp_utf8_to_utf16le(&w, s, len);
}

static size_t utf8_encode(uint32_t cp, char *o)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	} else if (cp < 0x800) {
		o[0] = (char)(0xC0 | cp >> 6);
		o[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	} else if (cp < 0x10000) {
		o[0] = (char)(0xE0 | cp >> 12);
		o[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		o[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (char)(0xF0 | cp >> 18);
	o[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	o[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	o[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

long rdp_utf16le_to_utf8(const uint8_t *src, size_t n, char *dst, size_t cap)
{
	size_t i = 0, o = 0;

	while (i < n) {
		uint32_t cp = (uint32_t)src[2 * i] | (uint32_t)src[2 * i + 1] << 8;
		char tmp[4];
		size_t k;

		i++;
		if (cp >= 0xD800 && cp <= 0xDBFF && i < n) {
			uint32_t lo = (uint32_t)src[2 * i] | (uint32_t)src[2 * i + 1] << 8;

			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
				i++;
			}
		}
		if (cp >= 0xD800 && cp <= 0xDFFF)
			cp = 0xFFFD;	/* unpaired surrogate */
		k = utf8_encode(cp, tmp);
		if (k > cap - o)
			return RDP_ERR_NOSPACE;
		memcpy(dst + o, tmp, k);
		o += k;
	}
	return (long)o;
}
