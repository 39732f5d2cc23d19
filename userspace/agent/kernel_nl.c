// SPDX-License-Identifier: MIT
/*
 * The real kernel side.  The "vscard" generic netlink family (through
 * libvscard) is only the control plane: BIND, which returns each binding
 * as a file, and UNBIND.  Every bound slot is served through its binding
 * file: requests and cancel notices are read from it, completions and card
 * states written to it, and end of file means the kernel ended the
 * binding.  The binding files sit in one epoll set whose fd is the one the
 * agent's loop watches, so the loop sees a single kernel fd.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <linux/vscard.h>

#include "kernel_port.h"
#include "log.h"
#include "vscard_nl.h"

/* Messages read from one binding per process() call: fairness. */
#define BINDING_BUDGET	64

struct binding {
	int fd;			/* binding file, -1: slot not bound by us */
	uint32_t gen;		/* changes whenever fd does: stale events */
	uint32_t linger_ms;	/* as given at BIND */
};

struct nl_kernel {
	struct kernel_port kp;
	struct vscard_nl *nl;
	int epfd;		/* the binding files; the agent polls this */
	uint32_t gen;
	struct binding b[VSCARD_POOL_SLOTS_MAX];
	struct vscard_req_buf *buf;	/* one message, read then copied */
};

static struct nl_kernel *to_nl(struct kernel_port *kp)
{
	return (struct nl_kernel *)kp;
}

static struct binding *bound(struct nl_kernel *k, uint32_t slot)
{
	if (slot >= VSCARD_POOL_SLOTS_MAX || k->b[slot].fd < 0)
		return NULL;
	return &k->b[slot];
}

/* Forget a binding: closing the file ends it with its BIND linger. */
static void binding_close(struct nl_kernel *k, uint32_t slot)
{
	struct binding *b = &k->b[slot];

	epoll_ctl(k->epfd, EPOLL_CTL_DEL, b->fd, NULL);
	close(b->fd);
	b->fd = -1;
	b->gen = ++k->gen;
}

static int k_bind(struct kernel_port *kp, const uint8_t *key, size_t key_len,
		  const char *reader, uint32_t linger_ms, uint32_t timeout_ms,
		  uint32_t *slot)
{
	struct nl_kernel *k = to_nl(kp);
	struct vscard_bind req = {
		.pool = kp->pool,
		.slot = -1,
		.key = key,
		.key_len = key_len,
		.reader_name = reader,
		.linger_ms = linger_ms,
		.timeout_ms = timeout_ms,
	};
	struct epoll_event ev = { .events = EPOLLIN };
	struct vscard_bound r;
	struct binding *b;
	int ret;

	ret = vscard_nl_bind(k->nl, &req, &r);
	if (ret) {
		if (*vscard_nl_errmsg(k->nl))
			log_warn("kernel: BIND: %s", vscard_nl_errmsg(k->nl));
		return ret;
	}
	if (r.slot >= VSCARD_POOL_SLOTS_MAX) {
		log_err("kernel: BIND returned slot %u, beyond any pool", r.slot);
		close(r.fd);
		return -EPROTO;
	}
	if (k->b[r.slot].fd >= 0) {
		/*
		 * The kernel gave us a slot we still hold a file for: our
		 * binding of it ended (end of file not read yet).  Tell the
		 * agent now, while the reader being bound is not yet known
		 * by that slot number.
		 */
		log_info("kernel: slot %u: binding ended, end of file unread",
			 r.slot);
		binding_close(k, r.slot);
		kp->ev->unbound(kp->ev_ctx, r.slot);
	}
	b = &k->b[r.slot];
	ret = fcntl(r.fd, F_GETFL);
	if (ret < 0 || fcntl(r.fd, F_SETFL, ret | O_NONBLOCK) < 0) {
		ret = -errno;
		goto fail;
	}
	b->gen = ++k->gen;
	ev.data.u64 = (uint64_t)b->gen << 32 | r.slot;
	if (epoll_ctl(k->epfd, EPOLL_CTL_ADD, r.fd, &ev) < 0) {
		ret = -errno;
		goto fail;
	}
	b->fd = r.fd;
	b->linger_ms = linger_ms;
	*slot = r.slot;
	log_debug("kernel: slot %u bound, epoch %llu, binding file fd %d",
		  r.slot, (unsigned long long)r.epoch, r.fd);
	return 0;
fail:
	log_err("kernel: binding file of slot %u: %s", r.slot, strerror(-ret));
	/* end the binding at once: nobody will serve it */
	vscard_nl_unbind(k->nl, kp->pool, r.slot);
	close(r.fd);
	return ret;
}

/* True when the binding already read end of file (poll says hang-up). */
static bool binding_ended(const struct binding *b)
{
	struct pollfd p = { .fd = b->fd, .events = POLLIN };

	return poll(&p, 1, 0) == 1 && (p.revents & (POLLHUP | POLLERR));
}

static int k_unbind(struct kernel_port *kp, uint32_t slot, uint32_t linger_ms)
{
	struct nl_kernel *k = to_nl(kp);
	struct binding *b = bound(k, slot);
	int ret = 0;

	if (!b)
		return -ENOENT;
	/*
	 * Closing the file ends the binding with the linger time given at
	 * BIND.  To end it without linger, UNBIND first (unless it already
	 * ended: the slot may be someone else's by now).
	 */
	if (!linger_ms && b->linger_ms && !binding_ended(b)) {
		ret = vscard_nl_unbind(k->nl, kp->pool, slot);
		if (ret && *vscard_nl_errmsg(k->nl))
			log_warn("kernel: UNBIND slot %u: %s", slot,
				 vscard_nl_errmsg(k->nl));
	} else if (linger_ms && linger_ms != b->linger_ms) {
		log_debug("kernel: slot %u lingers %u ms (as bound), not %u",
			  slot, b->linger_ms, linger_ms);
	}
	binding_close(k, slot);
	return ret;
}

static int k_card_set(struct kernel_port *kp, uint32_t slot, bool present,
		      const uint8_t *atr, size_t atr_len, uint32_t protocols)
{
	struct binding *b = bound(to_nl(kp), slot);
	struct vscard_card c = {
		.present = present,
		.atr = atr,
		.atr_len = atr_len,
		.protocols = protocols,
	};

	if (!b)
		return -ENODEV;
	if (present && atr_len > VSCARD_ATR_MAX) {
		log_warn("kernel: slot %u: ATR of %zu bytes cut to %u", slot,
			 atr_len, VSCARD_ATR_MAX);
		c.atr_len = VSCARD_ATR_MAX;
	}
	return vscard_binding_card(b->fd, &c);
}

static int k_req_done(struct kernel_port *kp, uint32_t slot, uint64_t req_id,
		      int32_t status, uint32_t result, int64_t protocols,
		      const void *data, size_t len)
{
	struct binding *b = bound(to_nl(kp), slot);
	struct vscard_done d = {
		.req_id = req_id,
		.status = status,
		.result = result,
		.protocols = protocols > 0 ? (uint32_t)protocols : 0,
		.data = data,
		.len = len,
	};
	int ret;

	if (!b)
		return -ENODEV;
	ret = vscard_binding_done(b->fd, &d);
	if (ret == -ENOENT) {
		/* timed out or aborted meanwhile: the kernel forgot it */
		log_debug("kernel: slot %u req %llu: stale completion", slot,
			  (unsigned long long)req_id);
		return 0;
	}
	return ret;
}

/* Hand one request (the message in k->buf) upward. */
static void submit_request(struct nl_kernel *k, uint32_t slot)
{
	const struct vscard_msg *m = &k->buf->msg;
	struct kreq *q = calloc(1, sizeof(*q));

	if (q && m->len) {
		q->data = malloc(m->len);
		if (!q->data) {
			free(q);
			q = NULL;
		}
	}
	if (!q) {
		log_err("kernel: slot %u req %llu: out of memory", slot,
			(unsigned long long)m->id);
		k_req_done(&k->kp, slot, m->id, -ENOMEM, 0, -1, NULL, 0);
		return;
	}
	q->slot = slot;
	q->req_id = m->id;
	q->type = m->type;
	q->code = m->code;
	q->rx_max = m->rx_max > VSCARD_DATA_MAX ? VSCARD_DATA_MAX : m->rx_max;
	q->len = m->len;
	if (m->len)
		memcpy(q->data, k->buf->data, m->len);
	k->kp.ev->request(k->kp.ev_ctx, q);
}

/*
 * Read what binding @slot has queued, up to a budget.  The events'
 * receiver may unbind the slot, or even bind it again: @gen tells.
 */
static void drain_binding(struct nl_kernel *k, uint32_t slot, uint32_t gen)
{
	unsigned int n;

	for (n = 0; n < BINDING_BUDGET; n++) {
		struct binding *b = &k->b[slot];
		int ret;

		if (b->fd < 0 || b->gen != gen)
			return;
		ret = vscard_binding_read(b->fd, k->buf);
		if (ret == -EAGAIN)
			return;
		if (ret == -EPROTO) {
			log_warn("kernel: slot %u: malformed message skipped",
				 slot);
			continue;
		}
		if (ret) {
			if (ret == -ENODEV)
				log_info("kernel: slot %u: binding file at end of file",
					 slot);
			else
				log_err("kernel: slot %u: binding file: %s; dropping it",
					slot, strerror(-ret));
			binding_close(k, slot);
			k->kp.ev->unbound(k->kp.ev_ctx, slot);
			return;
		}
		if (k->buf->msg.type == VSCARD_MSG_CANCEL)
			k->kp.ev->cancel(k->kp.ev_ctx, slot, k->buf->msg.id);
		else
			submit_request(k, slot);
	}
}

static int k_process(struct kernel_port *kp)
{
	struct nl_kernel *k = to_nl(kp);
	struct epoll_event ev[VSCARD_POOL_SLOTS_MAX];
	int n, i;

	n = epoll_wait(k->epfd, ev, VSCARD_POOL_SLOTS_MAX, 0);
	if (n < 0)
		return errno == EINTR ? 0 : -errno;
	for (i = 0; i < n; i++) {
		uint32_t slot = (uint32_t)ev[i].data.u64;
		uint32_t gen = (uint32_t)(ev[i].data.u64 >> 32);

		if (slot < VSCARD_POOL_SLOTS_MAX)
			drain_binding(k, slot, gen);
	}
	return 0;
}

static int k_fd(struct kernel_port *kp)
{
	return to_nl(kp)->epfd;
}

static void k_close(struct kernel_port *kp)
{
	struct nl_kernel *k = to_nl(kp);
	uint32_t i;

	for (i = 0; i < VSCARD_POOL_SLOTS_MAX; i++)
		if (k->b[i].fd >= 0)
			binding_close(k, i);
	if (k->epfd >= 0)
		close(k->epfd);
	vscard_nl_close(k->nl);
	free(k->buf);
	free(k);
}

static const struct kernel_ops nl_ops = {
	.bind = k_bind,
	.unbind = k_unbind,
	.card_set = k_card_set,
	.req_done = k_req_done,
	.process = k_process,
	.fd = k_fd,
	.close = k_close,
};

struct kernel_port *kernel_nl_open(uint32_t pool, const struct kernel_events *ev,
				   void *ctx, int *err)
{
	struct nl_kernel *k = calloc(1, sizeof(*k));
	uint32_t i;

	if (!k) {
		*err = -ENOMEM;
		return NULL;
	}
	k->kp.ops = &nl_ops;
	k->kp.pool = pool;
	k->kp.ev = ev;
	k->kp.ev_ctx = ctx;
	for (i = 0; i < VSCARD_POOL_SLOTS_MAX; i++)
		k->b[i].fd = -1;
	k->epfd = epoll_create1(EPOLL_CLOEXEC);
	k->buf = malloc(sizeof(*k->buf));
	if (k->epfd < 0 || !k->buf) {
		*err = k->epfd < 0 ? -errno : -ENOMEM;
		log_err("kernel: %s", strerror(-*err));
		goto fail;
	}
	*err = vscard_nl_open(&k->nl, VSCARD_NL_NONBLOCK, 0);
	if (*err) {
		log_err("kernel: %s", vscard_nl_open_strerror(*err));
		goto fail;
	}
	log_info("kernel: vscard ABI %u.%u, pool %u",
		 vscard_nl_version(k->nl) >> 16,
		 vscard_nl_version(k->nl) & 0xffff, pool);
	return &k->kp;
fail:
	if (k->epfd >= 0)
		close(k->epfd);
	free(k->buf);
	free(k);
	return NULL;
}
