/* SPDX-License-Identifier: MIT */
/* Buffered, non-blocking svcport frame I/O on a stream socket. */
#ifndef AGENT_SVCPORT_IO_H
#define AGENT_SVCPORT_IO_H

#include <stdbool.h>
#include <stdint.h>

#include <rdpcodec/svcframe.h>

#include "bytebuf.h"

/* Stop reading once this much output is queued (peer not reading). */
#define SVC_IO_OUT_MAX	(16u << 20)

struct svc_frame {
	uint16_t type;
	uint16_t flags;
	uint32_t len;
	const uint8_t *payload;	/* valid until svc_io_pop() */
};

struct svc_io {
	int fd;
	struct svcframe_reader rd;	/* librdpcodec frame parser */
	uint8_t *inbuf;			/* SVCFRAME_BUF_SIZE bytes */
	struct bytebuf out;
	bool eof;
	bool blocking;			/* flush waits (SO_SNDTIMEO bounds it) */
};

/* 0 or -ENOMEM. */
int svc_io_init(struct svc_io *io, int fd);
void svc_io_fini(struct svc_io *io);
/* Reads what is available.  0 on progress or EAGAIN, -EPIPE at EOF, -errno. */
int svc_io_read(struct svc_io *io);
/*
 * Peeks at the next complete frame: 1 and *f filled, 0 if incomplete,
 * -EMSGSIZE if the header announces more than SVCPORT_PAYLOAD_MAX.
 */
int svc_io_peek(struct svc_io *io, struct svc_frame *f);
/* Done with the frame returned by the last svc_io_peek(). */
void svc_io_pop(struct svc_io *io);
/* Queues a frame and tries to write it; -ENOBUFS if the queue is full. */
int svc_io_send(struct svc_io *io, uint16_t type, const void *p, uint32_t len);
/* Writes queued output; 0 or -errno (-EPIPE when the peer is gone). */
int svc_io_flush(struct svc_io *io);
bool svc_io_pending_out(const struct svc_io *io);

#endif
