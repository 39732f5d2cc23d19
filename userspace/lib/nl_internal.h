/* SPDX-License-Identifier: MIT */
/* libvscard internals: the context behind struct vscard_nl. */
#ifndef VSCARD_NL_INTERNAL_H
#define VSCARD_NL_INTERNAL_H

#include "vscard_nl.h"

struct nl_sock;

/* One event kept aside while a command waited. */
struct vscard_queued {
	struct vscard_queued *next;
	size_t len;
	unsigned char msg[];
};

struct vscard_nl {
	struct nl_sock *sk;
	int family;
	int events_grp;
	uint32_t version;
	unsigned int flags;
	/* receive buffer, larger than any datagram of the family */
	unsigned char *rbuf;
	size_t rbuf_size;
	/* events received during transactions */
	struct vscard_queued *q_head, *q_tail;
	size_t q_len;
	bool overrun_pending;
	/* last extack */
	char errmsg[256];
	uint32_t err_missing;
};

/* nl_xfer.c */
int vscard_nl_recv(struct vscard_nl *nl, bool block, size_t *len);
void vscard_nl_queue_push(struct vscard_nl *nl, const void *msg, size_t len);
bool vscard_nl_is_event(const struct vscard_nl *nl, const void *nlh);

#endif /* VSCARD_NL_INTERNAL_H */
