/* SPDX-License-Identifier: MIT */
/*
 * Parser and serializer for the SVC-port framing of
 * <vscard/svcport.h> (adapter <-> agent).
 *
 * The reader is incremental and allocation-free: the caller gives it a
 * buffer (SVCFRAME_BUF_SIZE bytes accept every legal frame), appends
 * received bytes (copy with svcframe_feed, or recv() straight into
 * svcframe_space + svcframe_commit) and takes whole frames with
 * svcframe_next.  A frame longer than the buffer or than
 * SVCPORT_PAYLOAD_MAX is a sticky RDP_ERR_TOO_BIG: close the connection.
 */
#ifndef RDPCODEC_SVCFRAME_H
#define RDPCODEC_SVCFRAME_H

#include <stddef.h>
#include <stdint.h>

#include <vscard/svcport.h>

#include "wire.h"

#define SVCFRAME_BUF_SIZE	(SVCPORT_HDR_SIZE + SVCPORT_PAYLOAD_MAX)

struct svcframe {
	uint16_t type;			/* enum svcport_type (unknown types passed up) */
	uint16_t flags;
	uint32_t length;
	const uint8_t *payload;		/* valid until the next feed/commit/next */
};

struct svcframe_reader {
	uint8_t *buf;
	size_t cap;
	size_t start;			/* first unconsumed byte */
	size_t end;			/* one past the last received byte */
	size_t pending;			/* bytes of the frame returned last */
	int err;			/* sticky */
};

void svcframe_reader_init(struct svcframe_reader *r, void *buf, size_t cap);
/* Copies up to len bytes; returns how many were taken (less when full). */
size_t svcframe_feed(struct svcframe_reader *r, const void *data, size_t len);
/* Free space for a direct read; *p receives where to write. */
size_t svcframe_space(struct svcframe_reader *r, uint8_t **p);
void svcframe_commit(struct svcframe_reader *r, size_t n);
/* 1: *f holds a whole frame; 0: need more bytes; < 0: rdp_err (sticky). */
int svcframe_next(struct svcframe_reader *r, struct svcframe *f);

/* Serialise the 8-byte header (e.g. for writev) / a whole frame. */
void svcframe_put_hdr(uint8_t out[SVCPORT_HDR_SIZE], uint16_t type, uint16_t flags,
		      uint32_t length);
int svcframe_encode(struct rdp_wr *w, uint16_t type, uint16_t flags, const void *payload,
		    size_t length);

/* HELLO payload */
struct svcport_hello {
	uint32_t version;
	uint32_t flags;
	const uint8_t *name;		/* UTF-8, not NUL terminated */
	uint32_t name_len;
};

int svcport_encode_hello(struct rdp_wr *w, const struct svcport_hello *h);	/* whole frame */
int svcport_decode_hello(const void *payload, size_t len, struct svcport_hello *h);

/* CHANNEL_OPEN payload (TLVs).  Absent optional tags have len 0. */
struct svcport_channel_open {
	const uint8_t *session_key;	/* mandatory, 1..64 bytes */
	uint32_t session_key_len;
	const uint8_t *client_name;
	uint32_t client_name_len;
	const uint8_t *user;
	uint32_t user_len;
	const uint8_t *channel;
	uint32_t channel_len;
};

#define SVCPORT_SESSION_KEY_MAX	64

int svcport_encode_channel_open(struct rdp_wr *w, const struct svcport_channel_open *o); /* whole frame */
/* Unknown tags are skipped; a repeated tag: the last one wins; a missing or
 * out-of-range SESSION_KEY or a TLV past the end is RDP_ERR_MALFORMED. */
int svcport_decode_channel_open(const void *payload, size_t len, struct svcport_channel_open *o);

#endif /* RDPCODEC_SVCFRAME_H */
