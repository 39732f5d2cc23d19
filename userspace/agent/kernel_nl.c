// SPDX-License-Identifier: MIT
/*
 * The real kernel side: the "vscard" generic netlink family through
 * libvscard.  Requests are pushed to us (REQ_PUSH, bindings made with
 * PUSH); one the kernel could not push is announced by a REQ_NOTIFY hint,
 * which makes us drain REQ_GET until -ENOENT.  REQ_CANCEL tells us a
 * request's deadline passed.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "log.h"
#include "vscard_nl.h"

struct nl_kernel {
	struct kernel_port kp;
	struct vscard_nl *nl;
};

static struct vscard_nl *nl_of(struct kernel_port *kp)
{
	return ((struct nl_kernel *)kp)->nl;
}

static int k_bind(struct kernel_port *kp, const uint8_t *key, size_t key_len,
		  const char *reader, uint32_t linger_ms, uint32_t timeout_ms,
		  uint32_t *slot)
{
	struct vscard_bind b = {
		.pool = kp->pool,
		.slot = -1,
		.key = key,
		.key_len = key_len,
		.reader_name = reader,
		.linger_ms = linger_ms,
		.timeout_ms = timeout_ms,
		.push = true,
	};
	int ret = vscard_nl_bind(nl_of(kp), &b, slot, NULL);

	if (ret && *vscard_nl_errmsg(nl_of(kp)))
		log_warn("kernel: BIND: %s", vscard_nl_errmsg(nl_of(kp)));
	return ret;
}

static int k_unbind(struct kernel_port *kp, uint32_t slot, uint32_t linger_ms)
{
	return vscard_nl_unbind(nl_of(kp), kp->pool, slot, linger_ms);
}

static int k_card_set(struct kernel_port *kp, uint32_t slot, bool present,
		      const uint8_t *atr, size_t atr_len, uint32_t protocols)
{
	struct vscard_card c = {
		.present = present,
		.atr = present && atr_len ? atr : NULL,
		.atr_len = present ? atr_len : 0,
		.protocols = present ? (int64_t)protocols : -1,
	};

	if (c.atr_len > VSCARD_ATR_MAX) {
		c.atr_len = 0;
		c.atr = NULL;
	}
	return vscard_nl_card_set(nl_of(kp), kp->pool, slot, &c);
}

static int k_req_done(struct kernel_port *kp, uint32_t slot, uint64_t req_id,
		      int32_t status, uint32_t result, int64_t protocols,
		      const void *data, size_t len)
{
	struct vscard_done d = {
		.pool = kp->pool,
		.slot = slot,
		.req_id = req_id,
		.status = status,
		.result = result,
		.protocols = protocols,
		.data = data,
		.len = len,
	};

	return vscard_nl_req_done(nl_of(kp), &d);
}

/* Hand a fetched or pushed request (its data taken) to the agent. */
static void submit_request(struct agent *a, struct vscard_attrs *req)
{
	struct kreq *q = calloc(1, sizeof(*q));

	if (!q) {
		vscard_attrs_release(req);
		return;
	}
	q->slot = req->slot;
	q->req_id = req->req_id;
	q->type = req->req_type;
	q->code = req->req_code;
	q->rx_max = req->req_rx_max;
	q->data = req->data;
	q->len = (uint32_t)req->data_len;
	req->data = NULL;
	vscard_attrs_release(req);
	if (q->rx_max > VSCARD_DATA_MAX)
		q->rx_max = VSCARD_DATA_MAX;
	agent_kernel_request(a, q);
}

static void drain_requests(struct kernel_port *kp, struct agent *a)
{
	struct vscard_attrs req;
	unsigned int errors = 0;
	int ret;

	/*
	 * Until -ENOENT: REQ_NOTIFY hints are edge-triggered, only a drained
	 * slot sends another.  A failed fetch leaves its request queued in
	 * the kernel: try again a few times.
	 */
	for (;;) {
		ret = vscard_nl_req_get(nl_of(kp), &req);
		if (ret == -ENOENT)
			return;
		if (ret) {
			log_warn("kernel: REQ_GET: %s", strerror(-ret));
			if (++errors == 3)
				return;
			continue;
		}
		submit_request(a, &req);
	}
}

static int k_process(struct kernel_port *kp, struct agent *a)
{
	struct vscard_attrs m;
	bool drain = false;
	int ret;

	for (;;) {
		ret = vscard_nl_next(nl_of(kp), &m);
		if (ret == -EAGAIN && drain) {
			/*
			 * Fetch now; hints that arrive meanwhile are queued
			 * in the library, not on the fd: loop for them.
			 */
			drain_requests(kp, a);
			drain = false;
			continue;
		}
		if (ret == -EAGAIN)
			break;
		if (ret == -ENOBUFS) {
			log_warn("kernel: netlink overrun; draining requests");
			drain = true;
			continue;
		}
		if (ret)
			return ret;
		if (m.cmd == VSCARD_CMD_REQ_PUSH && m.pool == kp->pool) {
			submit_request(a, &m);
			continue;
		}
		if (m.cmd == VSCARD_CMD_REQ_NOTIFY && m.pool == kp->pool)
			drain = true;
		else if (m.cmd == VSCARD_CMD_REQ_CANCEL && m.pool == kp->pool)
			agent_kernel_cancel(a, m.slot, m.req_id);
		vscard_attrs_release(&m);
	}
	return 0;
}

static int k_fd(struct kernel_port *kp)
{
	return vscard_nl_fd(nl_of(kp));
}

static void k_close(struct kernel_port *kp)
{
	vscard_nl_close(nl_of(kp));
	free(kp);
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

struct kernel_port *kernel_nl_open(uint32_t pool, int *err)
{
	struct nl_kernel *k = calloc(1, sizeof(*k));

	if (!k) {
		*err = -ENOMEM;
		return NULL;
	}
	*err = vscard_nl_open(&k->nl, VSCARD_NL_NONBLOCK, 0);
	if (*err) {
		free(k);
		return NULL;
	}
	k->kp.ops = &nl_ops;
	k->kp.pool = pool;
	log_info("kernel: vscard ABI %u.%u, pool %u",
		 vscard_nl_version(k->nl) >> 16,
		 vscard_nl_version(k->nl) & 0xffff, pool);
	return &k->kp;
}
