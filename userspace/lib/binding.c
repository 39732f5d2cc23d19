// SPDX-License-Identifier: MIT
/*
 * The binding file, the data plane of the vscard ABI: BIND returns a slot's
 * binding as a file descriptor; these helpers read its messages (requests
 * and cancel notices) and write its two commands (a completion, a card
 * state), one message or command per system call, as the ABI requires.
 * No netlink and no context: any thread may use them on any binding file.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include "vscard_nl.h"

/* read() of sizeof(struct vscard_req_buf) must take any message whole. */
_Static_assert(offsetof(struct vscard_req_buf, data) ==
	       sizeof(struct vscard_msg), "no gap after the header");
_Static_assert(sizeof(struct vscard_req_buf) >= VSCARD_MSG_MAX,
	       "room for the largest message");

int vscard_binding_read(int fd, struct vscard_req_buf *m)
{
	ssize_t n;

	do {
		n = read(fd, m, sizeof(*m));
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EWOULDBLOCK ? -EAGAIN : -errno;
	if (n == 0)
		return -ENODEV;
	if ((size_t)n < sizeof(m->msg) || m->msg.len > VSCARD_DATA_MAX ||
	    (size_t)n != sizeof(m->msg) + m->msg.len)
		return -EPROTO;
	return 0;
}

/* One write of @cnt pieces as one command: all of it or an error. */
static int write_cmd(int fd, const struct iovec *iov, int cnt)
{
	size_t total = 0;
	ssize_t n;
	int i;

	for (i = 0; i < cnt; i++)
		total += iov[i].iov_len;
	do {
		n = writev(fd, iov, cnt);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return (size_t)n == total ? 0 : -EIO;	/* never short: one command */
}

int vscard_binding_done(int fd, const struct vscard_done *d)
{
	struct vscard_cmd_done h = {
		.cmd = VSCARD_BCMD_DONE,
		.status = d->status,
		.id = d->req_id,
		.result = d->result,
		.protocols = d->protocols,
	};
	struct iovec iov[2] = {
		{ .iov_base = &h, .iov_len = sizeof(h) },
		{ .iov_base = (void *)d->data, .iov_len = d->len },
	};

	if (d->status > 0)
		return -EINVAL;
	if (d->status == -ENOBUFS) {
		/*
		 * The length the remote side needs, no bytes follow; beyond
		 * VSCARD_DATA_MAX (which the kernel refuses) no caller could
		 * take it anyway.
		 */
		h.len = d->len > VSCARD_DATA_MAX ? VSCARD_DATA_MAX :
			(uint32_t)d->len;
		return write_cmd(fd, iov, 1);
	}
	if (d->status)
		return write_cmd(fd, iov, 1);
	if (d->len > VSCARD_DATA_MAX || (d->len && !d->data))
		return -EINVAL;
	h.len = (uint32_t)d->len;
	return write_cmd(fd, iov, d->len ? 2 : 1);
}

int vscard_binding_card(int fd, const struct vscard_card *c)
{
	struct vscard_cmd_card cmd = {
		.cmd = VSCARD_BCMD_CARD,
		.state = c->present ? VSCARD_CARD_PRESENT : VSCARD_CARD_ABSENT,
	};
	struct iovec iov = { .iov_base = &cmd, .iov_len = sizeof(cmd) };

	if (c->present) {
		if (!c->atr || !c->atr_len || c->atr_len > VSCARD_ATR_MAX)
			return -EINVAL;
		memcpy(cmd.atr, c->atr, c->atr_len);
		cmd.atr_len = (uint32_t)c->atr_len;
		cmd.protocols = c->protocols;
	}
	return write_cmd(fd, &iov, 1);
}
