/* SPDX-License-Identifier: MIT */
/* libvscard internals: the context behind struct vscard_nl. */
#ifndef VSCARD_NL_INTERNAL_H
#define VSCARD_NL_INTERNAL_H

#include "vscard_nl.h"

struct nl_sock;
struct nlmsghdr;

/* Family versions (CTRL_ATTR_VERSION) that added a feature. */
#define VSCARD_ABI_1_1	(1u << 16 | 1)	/* REQ_NEXT */
#define VSCARD_ABI_1_2	(1u << 16 | 2)	/* BIND with PUSH, REQ_PUSH */

/* One unsolicited message kept aside while a command waited. */
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
	/* receive buffer, grown to the largest datagram seen */
	unsigned char *rbuf;
	size_t rbuf_size;
	/* unsolicited messages received during transactions */
	struct vscard_queued *q_head, *q_tail;
	size_t q_len;
	bool overrun_pending;
	uint64_t overruns;
	/* failures of commands sent without an ack */
	uint64_t async_errors;
	int async_last;
	/* last extack */
	char errmsg[256];
	uint32_t err_missing;
};

/* nl_xfer.c */
int vscard_nl_recv(struct vscard_nl *nl, bool block, size_t *len);
void vscard_nl_queue_push(struct vscard_nl *nl, const void *msg, size_t len);
int vscard_nl_is_async(const struct vscard_nl *nl, const void *nlh);
/* Send @msg (consumed) without asking for an ack. */
int vscard_nl_send_noack(struct vscard_nl *nl, struct nl_msg *msg);
/* Count @nlh if it is the error of a command sent without an ack. */
void vscard_nl_note_error(struct vscard_nl *nl, const struct nlmsghdr *nlh);

#endif /* VSCARD_NL_INTERNAL_H */
