/* SPDX-License-Identifier: MIT */
/* Run every decoder of librdpcodec over one input (tests and fuzzer). */
#ifndef TESTS_RDP_DECODE_ALL_H
#define TESTS_RDP_DECODE_ALL_H

#include <stddef.h>
#include <stdint.h>

/* IOCTLs with a call or return kind, for dispatch by index. */
extern const uint32_t decode_all_ioctls[];
extern const size_t decode_all_nioctls;

/*
 * Decode buf as every RDPDR PDU and as the call and return of every
 * IOCTL.  Successful RDPESC decodes are re-encoded and decoded again,
 * which must succeed with identical bytes; abort() otherwise.  Returns
 * how many decoders accepted the input.
 */
int decode_all(const uint8_t *buf, size_t len);
/* Same, restricted to one IOCTL (call and return). */
int decode_rdpesc(const uint8_t *buf, size_t len, uint32_t ioctl);
int decode_rdpdr(const uint8_t *buf, size_t len);

#endif
