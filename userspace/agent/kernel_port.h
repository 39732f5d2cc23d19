/* SPDX-License-Identifier: MIT */
/*
 * The agent's view of the kernel: bind/unbind remote readers to slots,
 * report card state, receive requests and complete them.
 *
 * Two implementations: kernel_nl.c (vscard.ko over libvscard) and
 * kernel_fake.c (--fake-kernel-fd: a line protocol on a socket, for host
 * tests without the module; Documentation/agent.rst describes it).
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
	/* Returns 0 and *slot, or -errno. */
	int (*bind)(struct kernel_port *kp, const uint8_t *key, size_t key_len,
		    const char *reader, uint32_t linger_ms, uint32_t timeout_ms,
		    uint32_t *slot);
	int (*unbind)(struct kernel_port *kp, uint32_t slot, uint32_t linger_ms);
	int (*card_set)(struct kernel_port *kp, uint32_t slot, bool present,
			const uint8_t *atr, size_t atr_len, uint32_t protocols);
	/* protocols < 0: not sent. */
	int (*req_done)(struct kernel_port *kp, uint32_t slot, uint64_t req_id,
			int32_t status, uint32_t result, int64_t protocols,
			const void *data, size_t len);
	/*
	 * The fd became readable (or commands were issued): deliver requests
	 * with agent_kernel_request() and cancels with agent_kernel_cancel().
	 * Returns 0, or -errno if the kernel side is unusable.
	 */
	int (*process)(struct kernel_port *kp, struct agent *a);
	int (*fd)(struct kernel_port *kp);
	void (*close)(struct kernel_port *kp);
};

struct kernel_port {
	const struct kernel_ops *ops;
	uint32_t pool;
};

/* Agent callbacks (agent.c); the agent owns and frees *r. */
void agent_kernel_request(struct agent *a, struct kreq *r);
void agent_kernel_cancel(struct agent *a, uint32_t slot, uint64_t req_id);

struct kernel_port *kernel_fake_open(int fd, uint32_t pool);
/* Returns NULL with *err = -errno (-ENOENT: module not loaded). */
struct kernel_port *kernel_nl_open(uint32_t pool, int *err);

void kreq_free(struct kreq *r);

#endif
