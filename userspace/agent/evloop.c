// SPDX-License-Identifier: MIT
/* The epoll loop and the monotonic clock (evloop.h). */
#include <errno.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "evloop.h"

int evloop_init(struct evloop *l)
{
	l->epfd = epoll_create1(EPOLL_CLOEXEC);
	return l->epfd < 0 ? -errno : 0;
}

void evloop_fini(struct evloop *l)
{
	if (l->epfd >= 0)
		close(l->epfd);
	l->epfd = -1;
}

static int ctl(struct evloop *l, int op, struct ev_handler *h, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	return epoll_ctl(l->epfd, op, h->fd, &ev) < 0 ? -errno : 0;
}

int evloop_add(struct evloop *l, struct ev_handler *h, uint32_t events)
{
	return ctl(l, EPOLL_CTL_ADD, h, events);
}

int evloop_mod(struct evloop *l, struct ev_handler *h, uint32_t events)
{
	return ctl(l, EPOLL_CTL_MOD, h, events);
}

void evloop_del(struct evloop *l, struct ev_handler *h)
{
	if (h->fd >= 0)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, h->fd, NULL);
}

int evloop_run_once(struct evloop *l, int timeout_ms)
{
	struct epoll_event evs[8];
	int i, n;

	n = epoll_wait(l->epfd, evs, 8, timeout_ms);
	if (n < 0)
		return errno == EINTR ? 0 : -1;
	/*
	 * A handler may remove another one; handlers of removed fds are
	 * only freed after the loop iteration by their owners, so the
	 * pointers stay valid for this batch.
	 */
	for (i = 0; i < n; i++) {
		struct ev_handler *h = evs[i].data.ptr;

		if (h->fd >= 0)
			h->cb(h, evs[i].events);
	}
	return n;
}

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}
