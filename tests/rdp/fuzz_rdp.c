// SPDX-License-Identifier: MIT
/*
 * libFuzzer target over every librdpcodec decoder.  The first byte picks
 * the surface:
 *   0      svcport framing: the rest is a byte stream fed in chunks whose
 *          sizes come from the stream; HELLO/CHANNEL_OPEN payloads decoded
 *   1      RDPDR: the rest is one PDU given to every RDPDR decoder (a
 *          DR_CONTROL_REQ's InputBuffer also goes to its IOCTL's decoders)
 *   2..255 RDPESC: the next byte picks the IOCTL, the rest is the body
 *          (call and return decoders; decode/re-encode must agree)
 * decode_all.c aborts on any inconsistency; sanitizers catch the rest.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <rdpcodec/svcframe.h>

#include "decode_all.c"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t rbuf[64 * 1024];

static void fuzz_svcport(const uint8_t *p, size_t n)
{
	struct svcframe_reader r;
	struct svcport_channel_open o;
	struct svcport_hello h;
	struct svcframe f;
	size_t i = 0;

	svcframe_reader_init(&r, rbuf, sizeof(rbuf));
	while (i < n) {
		size_t chunk = (size_t)(p[i] % 64) + 1;
		int rc;

		i++;
		if (chunk > n - i)
			chunk = n - i;
		if (svcframe_feed(&r, p + i, chunk) != chunk)
			abort();	/* frames are bounded by the buffer, so it drains */
		i += chunk;
		while ((rc = svcframe_next(&r, &f)) == 1) {
			if (f.length > sizeof(rbuf) - SVCPORT_HDR_SIZE)
				abort();
			if (f.type == SVCPORT_HELLO)
				svcport_decode_hello(f.payload, f.length, &h);
			else if (f.type == SVCPORT_CHANNEL_OPEN &&
				 !svcport_decode_channel_open(f.payload, f.length, &o) &&
				 (!o.session_key_len || o.session_key_len > SVCPORT_SESSION_KEY_MAX))
				abort();
			else if (f.type == SVCPORT_DATA)
				decode_rdpdr(f.payload, f.length);
		}
		if (rc < 0)
			return;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (size < 1)
		return 0;
	/* exact-size copy so that any overread is caught by ASan */
	copy = malloc(size);
	memcpy(copy, data, size);
	switch (copy[0]) {
	case 0:
		fuzz_svcport(copy + 1, size - 1);
		break;
	case 1:
		decode_rdpdr(copy + 1, size - 1);
		break;
	default:
		if (size >= 2)
			decode_rdpesc(copy + 2, size - 2,
				      decode_all_ioctls[copy[1] % decode_all_nioctls]);
		break;
	}
	free(copy);
	return 0;
}
