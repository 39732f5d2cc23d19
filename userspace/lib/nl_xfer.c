// SPDX-License-Identifier: MIT
/* Sending requests, receiving replies and acks, extended-ack messages. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/msg.h>
#include <netlink/genl/genl.h>
#include "nl_internal.h"

int vscard_nl_recv(struct vscard_nl *nl, bool block, size_t *len)
{
	struct sockaddr_nl sa;
	struct iovec iov = { nl->rbuf, nl->rbuf_size };
	struct msghdr mh = {
		.msg_name = &sa, .msg_namelen = sizeof(sa),
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	ssize_t n;

	do {
		n = recvmsg(vscard_nl_fd(nl), &mh,
			    MSG_TRUNC | (block ? 0 : MSG_DONTWAIT));
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		if (errno == ENOBUFS)
			nl->overrun_pending = true;
		return -errno;
	}
	if ((size_t)n > nl->rbuf_size)
		return -EMSGSIZE;	/* cannot happen: rbuf > any message */
	*len = sa.nl_pid == 0 ? (size_t)n : 0;	/* only trust the kernel */
	return 0;
}

void vscard_nl_queue_push(struct vscard_nl *nl, const void *msg, size_t len)
{
	struct vscard_queued *q = malloc(sizeof(*q) + len);

	if (!q) {
		nl->overrun_pending = true;	/* lost, like an overrun */
		return;
	}
	q->next = NULL;
	q->len = len;
	memcpy(q->msg, msg, len);
	if (nl->q_tail)
		nl->q_tail->next = q;
	else
		nl->q_head = q;
	nl->q_tail = q;
	nl->q_len++;
}

bool vscard_nl_is_event(const struct vscard_nl *nl, const void *msg)
{
	const struct nlmsghdr *nlh = msg;
	const struct genlmsghdr *gh = nlmsg_data(nlh);

	if (nlh->nlmsg_type != nl->family ||
	    nlh->nlmsg_len < NLMSG_HDRLEN + GENL_HDRLEN)
		return false;
	return gh->cmd == VSCARD_CMD_EVENT;
}

/* Extended ack TLVs starting at @off inside the error/done message. */
static void parse_extack(struct vscard_nl *nl, const struct nlmsghdr *nlh,
			 size_t off)
{
	const struct nlattr *nla;
	int rem;

	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS) || off >= nlh->nlmsg_len)
		return;
	nla_for_each_attr(nla, (const struct nlattr *)((const char *)nlh + off),
			  (int)(nlh->nlmsg_len - off), rem) {
		if (nla_type(nla) == NLMSGERR_ATTR_MSG && nla_len(nla) > 0) {
			size_t n = strnlen(nla_data(nla), nla_len(nla));

			if (n >= sizeof(nl->errmsg))
				n = sizeof(nl->errmsg) - 1;
			memcpy(nl->errmsg, nla_data(nla), n);
			nl->errmsg[n] = 0;
		} else if (nla_type(nla) == NLMSGERR_ATTR_MISS_TYPE &&
			   nla_len(nla) == 4) {
			memcpy(&nl->err_missing, nla_data(nla), 4);
		}
	}
}

/* NLMSG_ERROR: 0 for an ack, else the kernel's -errno. */
static int handle_error(struct vscard_nl *nl, const struct nlmsghdr *nlh)
{
	const struct nlmsgerr *e = nlmsg_data(nlh);
	size_t off = NLMSG_HDRLEN + sizeof(*e);

	if (nlh->nlmsg_len < off)
		return -EPROTO;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	parse_extack(nl, nlh, off);
	return e->error;
}

/* NLMSG_DONE of a dump: carries an int status, then maybe TLVs. */
static int handle_done(struct vscard_nl *nl, const struct nlmsghdr *nlh)
{
	int err = 0;

	if (nlh->nlmsg_len >= NLMSG_HDRLEN + sizeof(int))
		memcpy(&err, nlmsg_data(nlh), sizeof(int));
	parse_extack(nl, nlh, NLMSG_HDRLEN + NLMSG_ALIGN(sizeof(int)));
	return err;
}

struct nl_msg *vscard_nl_msg(struct vscard_nl *nl, uint8_t cmd, int nlm_flags,
			     size_t room)
{
	struct nl_msg *msg = nlmsg_alloc_size(NLMSG_HDRLEN + GENL_HDRLEN +
					      room + 512);

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, nl->family, 0,
			 nlm_flags, cmd, VSCARD_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

static int send_msg(struct vscard_nl *nl, struct nl_msg *msg, uint32_t *seq)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	struct nlmsghdr *nlh;
	ssize_t n;

	nl_complete_msg(nl->sk, msg);
	nlh = nlmsg_hdr(msg);
	nlh->nlmsg_flags |= NLM_F_ACK;
	*seq = nlh->nlmsg_seq;
	do {
		n = sendto(vscard_nl_fd(nl), nlh, nlh->nlmsg_len, 0,
			   (struct sockaddr *)&sa, sizeof(sa));
	} while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

/* Deliver one reply message to @fn; returns @fn's result. */
static int deliver(const struct nlmsghdr *nlh, vscard_nl_reply_fn fn,
		   void *arg)
{
	struct vscard_attrs a;
	int err;

	a.cmd = 0;
	err = vscard_attrs_parse_msg(nlh, nlh->nlmsg_len, &a);
	if (err)
		return err;
	err = fn ? fn(&a, arg) : 0;
	vscard_attrs_release(&a);
	return err;
}

/*
 * The kernel answers a command (not a dump) while sending it, so once
 * the socket reported an overrun, the answer is either queued already or
 * was the message lost: draining the queue without finding it means lost,
 * -ENOBUFS, instead of waiting forever.
 */
int vscard_nl_transact(struct vscard_nl *nl, struct nl_msg *msg,
		       vscard_nl_reply_fn fn, void *arg)
{
	bool dump = nlmsg_hdr(msg)->nlmsg_flags & NLM_F_DUMP;
	bool overrun = false;
	uint32_t seq;
	int err, cb_err = 0;

	nl->errmsg[0] = 0;
	nl->err_missing = 0;
	err = send_msg(nl, msg, &seq);
	nlmsg_free(msg);
	if (err)
		return err;
	for (;;) {
		struct nlmsghdr *nlh;
		size_t len;
		int rem;

		err = vscard_nl_recv(nl, !overrun || dump, &len);
		if (err == -ENOBUFS) {
			overrun = true;	/* lost: maybe an event */
			continue;
		}
		if (err == -EAGAIN && overrun && !dump)
			return -ENOBUFS;	/* lost: our answer */
		if (err)
			return err;
		nlh = (struct nlmsghdr *)nl->rbuf;
		rem = (int)len;
		for (; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem)) {
			if (vscard_nl_is_event(nl, nlh)) {
				vscard_nl_queue_push(nl, nlh, nlh->nlmsg_len);
				continue;
			}
			if (nlh->nlmsg_seq != seq)
				continue;	/* stale */
			if (nlh->nlmsg_type == NLMSG_ERROR) {
				err = handle_error(nl, nlh);
				return err ? err : cb_err;
			}
			if (nlh->nlmsg_type == NLMSG_DONE) {
				err = handle_done(nl, nlh);
				return err ? err : cb_err;
			}
			if (nlh->nlmsg_type == nl->family && !cb_err)
				cb_err = deliver(nlh, fn, arg);
		}
	}
}
