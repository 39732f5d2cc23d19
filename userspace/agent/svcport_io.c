// SPDX-License-Identifier: MIT
/* svcport frames on a non-blocking stream: librdpcodec parses, we do I/O. */
#include <errno.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include "svcport_io.h"

int svc_io_init(struct svc_io *io, int fd)
{
	io->fd = fd;
	io->eof = false;
	io->blocking = false;
	bb_init(&io->out);
	io->inbuf = malloc(SVCFRAME_BUF_SIZE);
	if (!io->inbuf)
		return -ENOMEM;
	svcframe_reader_init(&io->rd, io->inbuf, SVCFRAME_BUF_SIZE);
	return 0;
}

void svc_io_fini(struct svc_io *io)
{
	free(io->inbuf);
	io->inbuf = NULL;
	bb_free(&io->out);
	if (io->fd >= 0)
		close(io->fd);
	io->fd = -1;
}

int svc_io_read(struct svc_io *io)
{
	uint8_t *p;
	size_t room;
	ssize_t n;

	for (;;) {
		room = svcframe_space(&io->rd, &p);
		if (!room)
			return 0;	/* let the caller take frames first */
		n = read(io->fd, p, room);
		if (n > 0) {
			svcframe_commit(&io->rd, (size_t)n);
			continue;
		}
		if (n == 0 || (n < 0 && errno == ECONNRESET)) {
			/* A reset is the peer going away with data unread. */
			io->eof = true;
			return -EPIPE;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		return -errno;
	}
}

int svc_io_peek(struct svc_io *io, struct svc_frame *f)
{
	struct svcframe fr;
	int ret = svcframe_next(&io->rd, &fr);

	if (ret < 0)
		return -EMSGSIZE;
	if (ret == 0)
		return 0;
	f->type = fr.type;
	f->flags = fr.flags;
	f->len = fr.length;
	f->payload = fr.payload;
	return 1;
}

void svc_io_pop(struct svc_io *io)
{
	/* svcframe_next() releases the previous frame itself. */
	(void)io;
}

int svc_io_send(struct svc_io *io, uint16_t type, const void *p, uint32_t len)
{
	uint8_t hdr[SVCPORT_HDR_SIZE];

	if (len > SVCPORT_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (io->out.len + len > SVC_IO_OUT_MAX)
		return -ENOBUFS;
	svcframe_put_hdr(hdr, type, 0, len);
	bb_put(&io->out, hdr, sizeof(hdr));
	bb_put(&io->out, p, len);
	if (io->out.oom)
		return -ENOMEM;
	return svc_io_flush(io);
}

int svc_io_flush(struct svc_io *io)
{
	ssize_t n;

	while (io->out.len) {
		n = send(io->fd, io->out.data, io->out.len,
			 MSG_NOSIGNAL | (io->blocking ? 0 : MSG_DONTWAIT));
		if (n < 0 && errno == ENOTSOCK)
			n = write(io->fd, io->out.data, io->out.len);
		if (n > 0) {
			bb_consume(&io->out, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return 0;
		return n < 0 ? -errno : -EPIPE;
	}
	return 0;
}

bool svc_io_pending_out(const struct svc_io *io)
{
	return io->out.len > 0;
}
