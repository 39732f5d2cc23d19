// SPDX-License-Identifier: MIT
/* Shared helpers for the codec unit tests. */
#include <stdio.h>

#include "common.h"

size_t enc_call(uint32_t ioctl, const union rdpesc_call *c, uint8_t *out, size_t cap)
{
	struct rdp_wr w;

	rdp_wr_init(&w, out, cap);
	assert_int_equal(rdpesc_encode_call(&w, ioctl, c), 0);
	return w.off;
}

size_t enc_ret(uint32_t ioctl, const union rdpesc_return *r, uint8_t *out, size_t cap)
{
	struct rdp_wr w;

	rdp_wr_init(&w, out, cap);
	assert_int_equal(rdpesc_encode_return(&w, ioctl, r), 0);
	return w.off;
}

void assert_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len)
{
	size_t i;

	for (i = 0; i < got_len && i < want_len; i++) {
		if (got[i] != want[i]) {
			fprintf(stderr, "first difference at byte %zu: got %02x want %02x\n", i,
				got[i], want[i]);
			break;
		}
	}
	assert_int_equal(got_len, want_len);
	assert_memory_equal(got, want, want_len);
}
