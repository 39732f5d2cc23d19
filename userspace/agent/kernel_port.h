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

struct agent;

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

struct kernel_port;

struct kernel_ops {
	/*
	 * Returns 0 and *slot, or -errno.  The binding keeps the slot
	 * reserved for @linger_ms after it ends without an unbind of
	 * linger 0 (agent exit or crash).  May call agent_kernel_unbound()
	 * first for another slot whose end it has just learnt about.
	 */
	int (*bind)(struct kernel_port *kp, const uint8_t *key, size_t key_len,
		    const char *reader, uint32_t linger_ms, uint32_t timeout_ms,
		    uint32_t *slot);
	/*
	 * End our binding of @slot: linger 0 frees the slot at once, else it
	 * lingers for the linger time given at bind (the two the agent
	 * uses).  Calls no agent callback.
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
	 * The fd became readable (and after every loop iteration): deliver
	 * requests with agent_kernel_request(), cancels with
	 * agent_kernel_cancel() and bindings the kernel ended with
	 * agent_kernel_unbound().  Returns 0, or -errno if the kernel side
	 * is unusable.
	 */
	int (*process)(struct kernel_port *kp, struct agent *a);
	/* One fd for the agent's epoll: readable when process() has work. */
	int (*fd)(struct kernel_port *kp);
	/* Bindings still open end with their linger time. */
	void (*close)(struct kernel_port *kp);
};

struct kernel_port {
	const struct kernel_ops *ops;
	uint32_t pool;
	struct agent *agent;	/* whose callbacks bind() may call */
};

/* Agent callbacks (agent.c); the agent owns and frees *r. */
void agent_kernel_request(struct agent *a, struct kreq *r);
void agent_kernel_cancel(struct agent *a, uint32_t slot, uint64_t req_id);
/*
 * The kernel ended our binding of @slot (administrative UNBIND, pool
 * deleted, slot destroyed): nothing more arrives from it and completions
 * to it fail.  Not called for our own unbind().
 */
void agent_kernel_unbound(struct agent *a, uint32_t slot);

struct kernel_port *kernel_fake_open(int fd, uint32_t pool);
/* Returns NULL with *err = -errno (-ENOENT: module not loaded). */
struct kernel_port *kernel_nl_open(uint32_t pool, int *err);

void kreq_free(struct kreq *r);

#endif
