/* SPDX-License-Identifier: MIT */
/* Minimal epoll loop: one handler per fd. */
#ifndef AGENT_EVLOOP_H
#define AGENT_EVLOOP_H

#include <stdint.h>
#include <stdbool.h>

struct ev_handler {
	int fd;
	void (*cb)(struct ev_handler *h, uint32_t events);
};

struct evloop {
	int epfd;
};

int evloop_init(struct evloop *l);
void evloop_fini(struct evloop *l);
int evloop_add(struct evloop *l, struct ev_handler *h, uint32_t events);
int evloop_mod(struct evloop *l, struct ev_handler *h, uint32_t events);
void evloop_del(struct evloop *l, struct ev_handler *h);
/* Waits up to timeout_ms (-1: forever) and dispatches; -1 on error. */
int evloop_run_once(struct evloop *l, int timeout_ms);

/* Monotonic clock in milliseconds. */
uint64_t now_ms(void);

#endif
