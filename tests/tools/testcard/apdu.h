/* SPDX-License-Identifier: MIT */
/*
 * Deterministic APDU responder of the test card.  Instruction set:
 *   00 A4 .. ..          SELECT               -> 90 00
 *   00 84 00 00 Le       GET CHALLENGE        -> Le pattern bytes + 90 00
 *   80 EE .. .. [data][Le] ECHO               -> data, padded with pattern
 *                                                bytes up to Le, + 90 00
 *   80 5E MS_HI MS_LO    SLOW                 -> 90 00 after P1P2 ms
 *   80 E0 SW1 SW2        STATUS WORD          -> SW1 SW2
 *   anything else                             -> 6D 00 (6E 00 bad CLA)
 * Short and extended (ISO 7816-4 cases 1-4, S and E) encodings; a
 * malformed length gives 67 00.  Pattern byte i is tc_pattern(i).
 */
#ifndef TESTCARD_APDU_H
#define TESTCARD_APDU_H

#include <stddef.h>
#include <stdint.h>

#define TC_CLA_PROP		0x80
#define TC_INS_SELECT		0xA4
#define TC_INS_GET_CHALLENGE	0x84
#define TC_INS_ECHO		0xEE
#define TC_INS_SLOW		0x5E
#define TC_INS_STATUS		0xE0

struct tc_apdu {
	uint8_t cla, ins, p1, p2;
	const uint8_t *data;
	size_t lc;
	size_t le;		/* 0 when absent; 256 / 65536 for 00 / 0000 */
	int has_le;
	int extended;
};

/* Parse @len bytes; returns 0 or -1 for a malformed length. */
int tc_apdu_parse(const uint8_t *buf, size_t len, struct tc_apdu *a);

/* Deterministic filler byte number @i. */
static inline uint8_t tc_pattern(size_t i)
{
	return (uint8_t)(i * 13 + 0x5A + (i >> 8));
}

/*
 * Build the response to @cmd into @out (capacity @cap, at least 2).
 * Returns the response length, or -1 if @cap is too small.
 * *delay_ms gets the time to wait before answering (SLOW), else 0.
 */
long tc_apdu_respond(const uint8_t *cmd, size_t len, uint8_t *out,
		     size_t cap, unsigned int *delay_ms);

/* Build an ATR for the protocol mask (VSCARD_PROTO_*); returns length. */
size_t tc_atr_default(uint32_t protocols, uint8_t *atr, size_t cap);

#endif /* TESTCARD_APDU_H */
