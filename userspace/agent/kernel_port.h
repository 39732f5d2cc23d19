/* SPDX-License-Identifier: MIT */
/*
 * The agent's view of the kernel: bind/unbind remote readers to slots,
 * report card state, receive requests and complete them, learn that the
 * kernel ended a binding.
 *
 * Two implementations: kernel_nl.c (vscard.ko: netlink BIND/UNBIND through
 * libvscard, one binding file per bound slot) and kernel_fake.c
 * (--fake-kernel-fd: a line protocol on a socket, for host tests without
 * the module; Documentation/agent.rst describes it).
 */
#ifndef AGENT_KERNEL_PORT_H
#define AGENT_KERNEL_PORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* One request from a slot, copied out of the kernel message. */
struct kreq {
	struct kreq *next;
	uint32_t slot;
	uint64_t req_id;
	uint32_t type;		/* enum vscard_req_type */
	uint32_t code;
	uint32_t rx_max;
	uint32_t len;
	uint8_t *data;
};

static inline void kreq_free(struct kreq *q)
{
	if (q) {
		free(q->data);
		free(q);
	}
}

struct kernel_port;

/*
 * What the kernel side reports upward (the reader model), given at open.
 * @ctx is the pointer given with them.
 */
struct kernel_events {
	/* A request from a slot; the receiver owns and frees @q (kreq_free). */
	void (*request)(void *ctx, struct kreq *q);
	/* The kernel cancelled a request it sent earlier. */
	void (*cancel)(void *ctx, uint32_t slot, uint64_t req_id);
	/*
	 * The kernel ended our binding of @slot (administrative UNBIND, pool
	 * deleted, slot destroyed): nothing more arrives from it and
	 * completions to it fail.  Not called for our own unbind().
	 */
	void (*unbound)(void *ctx, uint32_t slot);
};

struct kernel_ops {
	/*
	 * Returns 0 and *slot, or -errno.  The binding keeps the slot
	 * reserved for @linger_ms after it ends without an unbind of
	 * linger 0 (agent exit or crash).  May report events->unbound()
	 * first for another slot whose end it has just learnt about.
	 */
	int (*bind)(struct kernel_port *kp, const uint8_t *key, size_t key_len,
		    const char *reader, uint32_t linger_ms, uint32_t timeout_ms,
		    uint32_t *slot);
	/*
	 * End our binding of @slot: linger 0 frees the slot at once, else it
	 * lingers for the linger time given at bind (the two the agent
	 * uses).  Reports no event.
	 */
	int (*unbind)(struct kernel_port *kp, uint32_t slot, uint32_t linger_ms);
	/* atr_len: 1..VSCARD_ATR_MAX when present (longer is cut). */
	int (*card_set)(struct kernel_port *kp, uint32_t slot, bool present,
			const uint8_t *atr, size_t atr_len, uint32_t protocols);
	/*
	 * protocols < 0: none negotiated.  -ENOENT (the request timed out
	 * or was aborted) and -ENODEV (the binding ended) are normal.
	 */
	int (*req_done)(struct kernel_port *kp, uint32_t slot, uint64_t req_id,
			int32_t status, uint32_t result, int64_t protocols,
			const void *data, size_t len);
	/*
	 * The fd became readable (and after every loop iteration): report
	 * requests, cancels and bindings the kernel ended through the
	 * events.  Returns 0, or -errno if the kernel side is unusable.
	 */
	int (*process)(struct kernel_port *kp);
	/* One fd for the agent's epoll: readable when process() has work. */
	int (*fd)(struct kernel_port *kp);
	/* Bindings still open end with their linger time. */
	void (*close)(struct kernel_port *kp);
};

struct kernel_port {
	const struct kernel_ops *ops;
	uint32_t pool;
	const struct kernel_events *ev;
	void *ev_ctx;
};

struct kernel_port *kernel_fake_open(int fd, uint32_t pool,
				     const struct kernel_events *ev, void *ctx);
/* Returns NULL with *err = -errno (-ENOENT: module not loaded). */
struct kernel_port *kernel_nl_open(uint32_t pool, const struct kernel_events *ev,
				   void *ctx, int *err);

#endif
