/* SPDX-License-Identifier: MIT */
/* Shared helpers for the codec unit tests (cmocka). */
#ifndef TESTS_RDP_COMMON_H
#define TESTS_RDP_COMMON_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <rdpcodec/rdpdr.h>
#include <rdpcodec/rdpesc.h>
#include <rdpcodec/svcframe.h>

#define CTX4(a, b, c, d)	{ .cb = 4, .v = { a, b, c, d } }
#define HANDLE4(c0, c1, c2, c3, h0, h1, h2, h3) \
	{ .ctx = CTX4(c0, c1, c2, c3), .cb = 4, .v = { h0, h1, h2, h3 } }
/* MS-RDPESC section 4 example context 00 00 01 cd and handle 00 00 01 ea */
#define SPEC_CTX		CTX4(0x00, 0x00, 0x01, 0xcd)
#define SPEC_HANDLE		HANDLE4(0x00, 0x00, 0x01, 0xcd, 0x00, 0x00, 0x01, 0xea)
/* rdpesc context/handle that are small integers (rdesktop) */
#define INT_CTX(n)		CTX4(n, 0, 0, 0)
#define INT_HANDLE(c, h)	HANDLE4(c, 0, 0, 0, h, 0, 0, 0)

/* Encode into a static buffer; returns the length (asserts success). */
size_t enc_call(uint32_t ioctl, const union rdpesc_call *c, uint8_t *out, size_t cap);
size_t enc_ret(uint32_t ioctl, const union rdpesc_return *r, uint8_t *out, size_t cap);
void assert_bytes(const uint8_t *got, size_t got_len, const uint8_t *want, size_t want_len);

#endif
