// SPDX-License-Identifier: MIT
#include <errno.h>
#include <sys/socket.h>
#include <unistd.h>

#include <vscard/svcport.h>

#include "svcport_io.h"

void svc_io_init(struct svc_io *io, int fd)
{
	io->fd = fd;
	io->eof = false;
	bb_init(&io->in);
	bb_init(&io->out);
}

void svc_io_fini(struct svc_io *io)
{
	bb_free(&io->in);
	bb_free(&io->out);
	if (io->fd >= 0)
		close(io->fd);
	io->fd = -1;
}

int svc_io_read(struct svc_io *io)
{
	uint8_t buf[65536];
	ssize_t n;

	for (;;) {
		n = read(io->fd, buf, sizeof(buf));
		if (n > 0) {
			bb_put(&io->in, buf, (size_t)n);
			if (io->in.oom)
				return -ENOMEM;
			/* Let the caller consume before buffering more. */
			if (io->in.len > SVCPORT_HDR_SIZE + SVCPORT_PAYLOAD_MAX)
				return 0;
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
	const uint8_t *p = io->in.data;
	uint32_t len;

	if (io->in.len < SVCPORT_HDR_SIZE)
		return 0;
	len = get_le32(p);
	if (len > SVCPORT_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (io->in.len - SVCPORT_HDR_SIZE < len)
		return 0;
	f->len = len;
	f->type = get_le16(p + 4);
	f->flags = get_le16(p + 6);
	f->payload = p + SVCPORT_HDR_SIZE;
	return 1;
}

void svc_io_pop(struct svc_io *io)
{
	if (io->in.len >= SVCPORT_HDR_SIZE)
		bb_consume(&io->in, SVCPORT_HDR_SIZE + get_le32(io->in.data));
}

int svc_io_send(struct svc_io *io, uint16_t type, const void *p, uint32_t len)
{
	if (len > SVCPORT_PAYLOAD_MAX)
		return -EMSGSIZE;
	if (io->out.len + len > SVC_IO_OUT_MAX)
		return -ENOBUFS;
	bb_u32(&io->out, len);
	bb_u16(&io->out, type);
	bb_u16(&io->out, 0);
	bb_put(&io->out, p, len);
	if (io->out.oom)
		return -ENOMEM;
	return svc_io_flush(io);
}

int svc_io_flush(struct svc_io *io)
{
	ssize_t n;

	while (io->out.len) {
		n = send(io->fd, io->out.data, io->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
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
