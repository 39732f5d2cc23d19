// SPDX-License-Identifier: MIT
/* Host unit tests of the test card's APDU responder and ATRs. */
#include <stdlib.h>
#include <string.h>
#include <linux/vscard.h>
#include "apdu.h"
#include "tap.h"

static long respond(const uint8_t *cmd, size_t len, uint8_t *out, size_t cap,
		    unsigned int *delay)
{
	return tc_apdu_respond(cmd, len, out, cap, delay);
}

static int is_sw(const uint8_t *r, long n, uint8_t a, uint8_t b)
{
	return n >= 2 && r[n - 2] == a && r[n - 1] == b;
}

static void test_parse(struct tap *t)
{
	static const struct {
		const char *what;
		uint8_t b[12];
		size_t len;
		int ok;
		size_t lc, le;
		int ext;
	} c[] = {
		{ "case 1", { 0, 0xA4, 4, 0 }, 4, 0, 0, 0, 0 },
		{ "case 2S Le=00", { 0, 0x84, 0, 0, 0 }, 5, 0, 0, 256, 0 },
		{ "case 3S", { 0, 0xA4, 4, 0, 2, 1, 2 }, 7, 0, 2, 0, 0 },
		{ "case 4S", { 0, 0xA4, 4, 0, 2, 1, 2, 9 }, 8, 0, 2, 9, 0 },
		{ "case 2E Le=0000", { 0, 0x84, 0, 0, 0, 0, 0 }, 7, 0, 0,
		  65536, 1 },
		{ "case 3E", { 0x80, 0xEE, 0, 0, 0, 0, 2, 1, 2 }, 9, 0, 2, 0,
		  1 },
		{ "case 4E", { 0x80, 0xEE, 0, 0, 0, 0, 1, 7, 1, 0 }, 10, 0, 1,
		  256, 1 },
		{ "short Lc too long", { 0, 0xA4, 4, 0, 5, 1 }, 6, -1, 0, 0, 0 },
		{ "extended Lc=0", { 0, 0xA4, 4, 0, 0, 0, 0, 1 }, 8, -1, 0, 0,
		  0 },
		{ "3 bytes", { 0, 0xA4, 4 }, 3, -1, 0, 0, 0 },
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct tc_apdu a;
		int r = tc_apdu_parse(c[i].b, c[i].len, &a);

		tap_ok(t, r == c[i].ok &&
		       (r || (a.lc == c[i].lc && a.le == c[i].le &&
			      a.extended == c[i].ext)),
		       "parse %s (r %d lc %zu le %zu)", c[i].what, r,
		       r ? 0 : a.lc, r ? 0 : a.le);
	}
}

static void test_responses(struct tap *t)
{
	static const uint8_t select[] = { 0x00, 0xA4, 0x04, 0x00, 0x02,
					  0x3F, 0x00 };
	static const uint8_t chal[] = { 0x00, 0x84, 0x00, 0x00, 0x10 };
	static const uint8_t slow[] = { 0x80, 0x5E, 0x01, 0x2C };
	static const uint8_t sw[] = { 0x80, 0xE0, 0x63, 0xC2 };
	static const uint8_t unk[] = { 0x00, 0x12, 0x00, 0x00 };
	static const uint8_t badcla[] = { 0x90, 0x12, 0x00, 0x00 };
	static const uint8_t badlen[] = { 0x00, 0xA4, 0x04, 0x00, 0x09, 0x01 };
	uint8_t out[300];
	unsigned int d;
	long n;
	int ok = 1, i;

	n = respond(select, sizeof(select), out, sizeof(out), &d);
	tap_ok(t, n == 2 && is_sw(out, n, 0x90, 0) && !d, "SELECT -> 90 00");
	n = respond(chal, sizeof(chal), out, sizeof(out), &d);
	for (i = 0; i < 16; i++)
		ok &= out[i] == tc_pattern((size_t)i);
	tap_ok(t, n == 18 && ok && is_sw(out, n, 0x90, 0),
	       "GET CHALLENGE 16 -> 16 pattern bytes + 90 00");
	n = respond(slow, sizeof(slow), out, sizeof(out), &d);
	tap_ok(t, n == 2 && d == 300 && is_sw(out, n, 0x90, 0),
	       "SLOW 012C -> 90 00 after 300 ms");
	n = respond(sw, sizeof(sw), out, sizeof(out), &d);
	tap_ok(t, n == 2 && is_sw(out, n, 0x63, 0xC2), "STATUS -> 63 C2");
	n = respond(unk, sizeof(unk), out, sizeof(out), &d);
	tap_ok(t, n == 2 && is_sw(out, n, 0x6D, 0), "unknown INS -> 6D 00");
	n = respond(badcla, sizeof(badcla), out, sizeof(out), &d);
	tap_ok(t, n == 2 && is_sw(out, n, 0x6E, 0), "unknown CLA -> 6E 00");
	n = respond(badlen, sizeof(badlen), out, sizeof(out), &d);
	tap_ok(t, n == 2 && is_sw(out, n, 0x67, 0), "bad length -> 67 00");
	n = respond(chal, sizeof(chal), out, 10, &d);
	tap_ok(t, n == -1, "response larger than the buffer -> -1");
}

/* The ABI test's extended APDU: 65544 bytes in, 65538 bytes out. */
static void test_extended_echo(struct tap *t)
{
	size_t lc = 65535, len = 4 + 3 + lc + 2, i;
	uint8_t *cmd = malloc(len), *out = malloc(VSCARD_DATA_MAX);
	unsigned int d;
	long n;
	int ok = 1;

	cmd[0] = 0x80; cmd[1] = 0xEE; cmd[2] = 0; cmd[3] = 0;
	cmd[4] = 0; cmd[5] = 0xFF; cmd[6] = 0xFF;
	for (i = 0; i < lc; i++)
		cmd[7 + i] = (uint8_t)(i ^ (i >> 8));
	cmd[len - 2] = 0;
	cmd[len - 1] = 0;	/* Le = 65536 */
	n = respond(cmd, len, out, VSCARD_DATA_MAX, &d);
	for (i = 0; i < lc; i++)
		ok &= out[i] == cmd[7 + i];
	ok &= out[lc] == tc_pattern(lc);
	tap_ok(t, len == 65544 && n == 65538 && ok &&
	       is_sw(out, n, 0x90, 0),
	       "extended ECHO 65544 bytes in -> 65538 out (got %ld)", n);
	free(cmd);
	free(out);
}

static void test_atr(struct tap *t)
{
	uint8_t atr[VSCARD_ATR_MAX], x = 0;
	size_t n, i;

	n = tc_atr_default(VSCARD_PROTO_T1, atr, sizeof(atr));
	for (i = 1; i < n; i++)
		x ^= atr[i];
	tap_ok(t, n == 15 && atr[0] == 0x3B && atr[1] == 0x8A &&
	       atr[2] == 0x81 && atr[3] == 0x01 && x == 0,
	       "T=1 ATR 3B 8A 81 01 ... with a valid TCK");
	n = tc_atr_default(VSCARD_PROTO_T0 | VSCARD_PROTO_T1, atr, sizeof(atr));
	for (x = 0, i = 1; i < n; i++)
		x ^= atr[i];
	tap_ok(t, n == 15 && atr[2] == 0x80 && atr[3] == 0x01 && x == 0,
	       "T=0,T=1 ATR 3B 8A 80 01 ... with a valid TCK");
	n = tc_atr_default(VSCARD_PROTO_T0, atr, sizeof(atr));
	tap_ok(t, n == 12 && atr[0] == 0x3B && atr[1] == 0x0A,
	       "T=0 ATR 3B 0A ... without TCK");
}

int main(void)
{
	struct tap t = { .prefix = "testcard" };

	test_parse(&t);
	test_responses(&t);
	test_extended_echo(&t);
	test_atr(&t);
	return tap_done(&t);
}
