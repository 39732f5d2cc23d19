// SPDX-License-Identifier: MIT
#include "utf16.h"

static uint32_t next_utf8(const unsigned char **sp)
{
	const unsigned char *s = *sp;
	uint32_t c = s[0];
	int extra, i;

	if (c < 0x80) {
		*sp = s + 1;
		return c;
	}
	if ((c & 0xe0) == 0xc0) {
		extra = 1;
		c &= 0x1f;
	} else if ((c & 0xf0) == 0xe0) {
		extra = 2;
		c &= 0x0f;
	} else if ((c & 0xf8) == 0xf0) {
		extra = 3;
		c &= 0x07;
	} else {
		*sp = s + 1;
		return 0xfffd;
	}
	for (i = 1; i <= extra; i++) {
		if ((s[i] & 0xc0) != 0x80) {
			*sp = s + i;
			return 0xfffd;
		}
		c = c << 6 | (s[i] & 0x3f);
	}
	*sp = s + extra + 1;
	if (c > 0x10ffff || (c >= 0xd800 && c < 0xe000))
		return 0xfffd;
	return c;
}

size_t utf8_to_utf16le(struct bytebuf *out, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t units = 0;

	while (*s) {
		uint32_t c = next_utf8(&s);

		if (c >= 0x10000) {
			c -= 0x10000;
			bb_u16(out, (uint16_t)(0xd800 | (c >> 10)));
			bb_u16(out, (uint16_t)(0xdc00 | (c & 0x3ff)));
			units += 2;
		} else {
			bb_u16(out, (uint16_t)c);
			units++;
		}
	}
	return units;
}

static size_t put_utf8(char *d, uint32_t c)
{
	if (c < 0x80) {
		d[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		d[0] = (char)(0xc0 | c >> 6);
		d[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		d[0] = (char)(0xe0 | c >> 12);
		d[1] = (char)(0x80 | ((c >> 6) & 0x3f));
		d[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | c >> 18);
	d[1] = (char)(0x80 | ((c >> 12) & 0x3f));
	d[2] = (char)(0x80 | ((c >> 6) & 0x3f));
	d[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

size_t utf16le_to_utf8(const uint8_t *p, size_t n, char *dst, size_t cap)
{
	size_t i = 0, o = 0;
	char tmp[4];

	if (!cap)
		return 0;
	while (i < n) {
		uint32_t c = get_le16(p + 2 * i);
		size_t k;

		i++;
		if (c == 0)
			break;
		if (c >= 0xd800 && c < 0xdc00 && i < n) {
			uint32_t lo = get_le16(p + 2 * i);

			if (lo >= 0xdc00 && lo < 0xe000) {
				c = 0x10000 + ((c - 0xd800) << 10) + (lo - 0xdc00);
				i++;
			} else {
				c = 0xfffd;
			}
		} else if (c >= 0xd800 && c < 0xe000) {
			c = 0xfffd;
		}
		k = put_utf8(tmp, c);
		if (o + k >= cap)
			break;
		for (size_t j = 0; j < k; j++)
			dst[o++] = tmp[j];
	}
	dst[o] = '\0';
	return i;
}
