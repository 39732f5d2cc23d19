// SPDX-License-Identifier: MIT
/* The test card's deterministic APDU responder and default ATRs. */
#include <string.h>
#include <linux/vscard.h>
#include "apdu.h"

int tc_apdu_parse(const uint8_t *b, size_t len, struct tc_apdu *a)
{
	memset(a, 0, sizeof(*a));
	if (len < 4)
		return -1;
	a->cla = b[0];
	a->ins = b[1];
	a->p1 = b[2];
	a->p2 = b[3];
	if (len == 4)
		return 0;				/* case 1 */
	if (len == 5) {					/* case 2S */
		a->has_le = 1;
		a->le = b[4] ? b[4] : 256;
		return 0;
	}
	if (b[4]) {					/* case 3S / 4S */
		a->lc = b[4];
		a->data = b + 5;
		if (len == 5 + a->lc)
			return 0;
		if (len != 6 + a->lc)
			return -1;
		a->has_le = 1;
		a->le = b[len - 1] ? b[len - 1] : 256;
		return 0;
	}
	a->extended = 1;
	if (len < 7)
		return -1;
	if (len == 7) {					/* case 2E */
		a->has_le = 1;
		a->le = (size_t)(b[5] << 8 | b[6]);
		if (!a->le)
			a->le = 65536;
		return 0;
	}
	a->lc = (size_t)(b[5] << 8 | b[6]);
	if (!a->lc)
		return -1;
	a->data = b + 7;
	if (len == 7 + a->lc)
		return 0;				/* case 3E */
	if (len != 9 + a->lc)
		return -1;
	a->has_le = 1;					/* case 4E */
	a->le = (size_t)(b[len - 2] << 8 | b[len - 1]);
	if (!a->le)
		a->le = 65536;
	return 0;
}

static long sw(uint8_t *out, size_t off, uint8_t sw1, uint8_t sw2)
{
	out[off] = sw1;
	out[off + 1] = sw2;
	return (long)off + 2;
}

static long fill(uint8_t *out, size_t cap, const uint8_t *data, size_t n,
		 size_t total)
{
	size_t i;

	if (total + 2 > cap)
		return -1;
	if (n)
		memcpy(out, data, n);
	for (i = n; i < total; i++)
		out[i] = tc_pattern(i);
	return sw(out, total, 0x90, 0x00);
}

long tc_apdu_respond(const uint8_t *cmd, size_t len, uint8_t *out,
		     size_t cap, unsigned int *delay_ms)
{
	struct tc_apdu a;

	*delay_ms = 0;
	if (cap < 2)
		return -1;
	if (tc_apdu_parse(cmd, len, &a))
		return sw(out, 0, 0x67, 0x00);
	if (a.cla == 0x00) {
		switch (a.ins) {
		case TC_INS_SELECT:
			return sw(out, 0, 0x90, 0x00);
		case TC_INS_GET_CHALLENGE:
			return fill(out, cap, NULL, 0, a.has_le ? a.le : 8);
		}
		return sw(out, 0, 0x6D, 0x00);
	}
	if (a.cla != TC_CLA_PROP)
		return sw(out, 0, 0x6E, 0x00);
	switch (a.ins) {
	case TC_INS_ECHO:
		return fill(out, cap, a.data, a.lc,
			    a.has_le && a.le > a.lc ? a.le : a.lc);
	case TC_INS_SLOW:
		*delay_ms = (unsigned int)(a.p1 << 8 | a.p2);
		return sw(out, 0, 0x90, 0x00);
	case TC_INS_STATUS:
		return sw(out, 0, a.p1, a.p2);
	case TC_INS_SELECT:
		return sw(out, 0, 0x90, 0x00);
	}
	return sw(out, 0, 0x6D, 0x00);
}

/* Historical bytes "vscardtest". */
static const uint8_t tc_hist[] = "vscardtest";

size_t tc_atr_default(uint32_t protocols, uint8_t *atr, size_t cap)
{
	size_t n = 0, hist = sizeof(tc_hist) - 1, i;
	uint8_t tck = 0;

	if (cap < 4 + hist + 1)
		return 0;
	atr[n++] = 0x3B;
	if (!(protocols & VSCARD_PROTO_T1)) {
		/* T=0 only: no TDi, implicit T=0, no TCK */
		atr[n++] = (uint8_t)hist;
		memcpy(atr + n, tc_hist, hist);
		return n + hist;
	}
	atr[n++] = 0x80 | (uint8_t)hist;	/* TD1 follows */
	/* TD1: T=0 offered if asked for, TD2 follows; TD2: T=1 */
	atr[n++] = protocols & VSCARD_PROTO_T0 ? 0x80 : 0x81;
	atr[n++] = 0x01;
	memcpy(atr + n, tc_hist, hist);
	n += hist;
	for (i = 1; i < n; i++)
		tck ^= atr[i];
	atr[n++] = tck;
	return n;
}
