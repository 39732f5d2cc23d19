// SPDX-License-Identifier: MIT
/*
 * Socket setup: family resolution and version check, events group,
 * buffer sizes, extended acks.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <netlink/genl/genl.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/family.h>
#include "nl_internal.h"

/*
 * Room for a burst of events (an admin's monitor: the forced size; others
 * get what net.core.rmem_max allows, plenty for dumps and replies).
 */
#define VSCARD_NL_SOCKBUF	(1 << 20)
/*
 * Larger than any datagram of the family: replies and events are small,
 * and a dump datagram is at most 32 KiB (netlink_dump()'s largest skb).
 */
#define VSCARD_NL_RBUF		(64 << 10)

#define VSCARD_STR_(x)	#x
#define VSCARD_STR(x)	VSCARD_STR_(x)
#define VSCARD_ABI_STR	VSCARD_STR(VSCARD_ABI_MAJOR) "." VSCARD_STR(VSCARD_ABI_MINOR)

static int nle_to_errno(int nle)
{
	switch (-nle) {
	case NLE_NOMEM: return -ENOMEM;
	case NLE_OBJ_NOTFOUND: return -ENOENT;
	case NLE_PERM: return -EPERM;
	case NLE_BAD_SOCK: return -EBADF;
	case NLE_EXIST: return -EEXIST;
	case NLE_AGAIN: return -EAGAIN;
	}
	return -EIO;
}

static void set_opt(int fd, int level, int name, int val)
{
	(void)setsockopt(fd, level, name, &val, sizeof(val));
}

/* Force the buffer past net.core.[rw]mem_max when privileged. */
static void set_buf(int fd, int force, int plain, int size)
{
	if (setsockopt(fd, SOL_SOCKET, force, &size, sizeof(size)) < 0)
		set_opt(fd, SOL_SOCKET, plain, size);
}

static int version_cb(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[CTRL_ATTR_MAX + 1];

	if (genlmsg_parse(nlmsg_hdr(msg), 0, tb, CTRL_ATTR_MAX, NULL) == 0 &&
	    tb[CTRL_ATTR_VERSION])
		*(uint32_t *)arg = nla_get_u32(tb[CTRL_ATTR_VERSION]);
	return NL_OK;
}

/*
 * CTRL_ATTR_VERSION, read by hand: libnl 3.7's genl_family_get_version()
 * keeps only its low bits, and ours carries the major in bits 16-31.
 */
static uint32_t family_version(struct nl_sock *sk)
{
	struct nl_cb *sk_cb = nl_socket_get_cb(sk);	/* takes a reference */
	struct nl_cb *cb = sk_cb ? nl_cb_clone(sk_cb) : NULL;
	struct nl_msg *msg = nlmsg_alloc();
	uint32_t v = 0;

	if (sk_cb)
		nl_cb_put(sk_cb);

	if (!msg || !cb ||
	    !genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, GENL_ID_CTRL, 0, 0,
			 CTRL_CMD_GETFAMILY, 1) ||
	    nla_put_string(msg, CTRL_ATTR_FAMILY_NAME, VSCARD_GENL_NAME) < 0)
		goto out;
	/* No ack: exactly one reply datagram, nothing left behind. */
	nl_complete_msg(sk, msg);
	nlmsg_hdr(msg)->nlmsg_flags &= ~NLM_F_ACK;
	if (nl_send(sk, msg) >= 0 &&
	    nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, version_cb, &v) == 0)
		nl_recvmsgs(sk, cb);
out:
	nlmsg_free(msg);
	if (cb)
		nl_cb_put(cb);
	return v;
}

int vscard_nl_open(struct vscard_nl **out, unsigned int flags,
		   uint32_t local_port)
{
	struct vscard_nl *nl;
	int err, fd;

	*out = NULL;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return -ENOMEM;
	nl->flags = flags;
	nl->rbuf_size = VSCARD_NL_RBUF;
	nl->rbuf = malloc(nl->rbuf_size);
	nl->sk = nl_socket_alloc();
	if (!nl->rbuf || !nl->sk) {
		err = -ENOMEM;
		goto fail;
	}
	if (local_port)
		nl_socket_set_local_port(nl->sk, local_port);
	nl_socket_disable_seq_check(nl->sk);
	err = genl_connect(nl->sk);
	if (err < 0) {
		err = err == -NLE_EXIST ? -EADDRINUSE : nle_to_errno(err);
		goto fail;
	}
	fd = nl_socket_get_fd(nl->sk);
	set_opt(fd, SOL_NETLINK, NETLINK_EXT_ACK, 1);
	set_opt(fd, SOL_NETLINK, NETLINK_CAP_ACK, 1);
	set_buf(fd, SO_RCVBUFFORCE, SO_RCVBUF, VSCARD_NL_SOCKBUF);
	set_buf(fd, SO_SNDBUFFORCE, SO_SNDBUF, VSCARD_NL_SOCKBUF);

	nl->family = genl_ctrl_resolve(nl->sk, VSCARD_GENL_NAME);
	if (nl->family < 0) {
		err = nle_to_errno(nl->family);
		goto fail;
	}
	nl->version = family_version(nl->sk);
	if (nl->version >> 16 != VSCARD_ABI_MAJOR) {
		err = -EPROTONOSUPPORT;
		goto fail;
	}
	if (flags & VSCARD_NL_EVENTS) {
		nl->events_grp = genl_ctrl_resolve_grp(nl->sk, VSCARD_GENL_NAME,
						       VSCARD_MCGRP_EVENTS);
		if (nl->events_grp < 0) {
			err = nle_to_errno(nl->events_grp);
			goto fail;
		}
		err = nl_socket_add_membership(nl->sk, nl->events_grp);
		if (err < 0) {
			err = nle_to_errno(err);
			goto fail;
		}
	}
	*out = nl;
	return 0;
fail:
	vscard_nl_close(nl);
	return err;
}

const char *vscard_nl_open_strerror(int err)
{
	switch (err) {
	case -ENOENT:
		return "the vscard netlink family is not registered (is vscard.ko loaded?)";
	case -EPROTONOSUPPORT:
		return "vscard.ko speaks another ABI major version than this program (built for ABI "
		       VSCARD_ABI_STR "): install matching versions";
	case -EPERM:
		return "joining the vscard events group needs CAP_NET_ADMIN";
	}
	return strerror(-err);
}

void vscard_nl_close(struct vscard_nl *nl)
{
	struct vscard_queued *q, *next;

	if (!nl)
		return;
	for (q = nl->q_head; q; q = next) {
		next = q->next;
		free(q);
	}
	if (nl->sk)
		nl_socket_free(nl->sk);
	free(nl->rbuf);
	free(nl);
}

int vscard_nl_fd(const struct vscard_nl *nl)
{
	return nl_socket_get_fd(nl->sk);
}

uint32_t vscard_nl_portid(const struct vscard_nl *nl)
{
	return nl_socket_get_local_port(nl->sk);
}

int vscard_nl_family(const struct vscard_nl *nl)
{
	return nl->family;
}

uint32_t vscard_nl_version(const struct vscard_nl *nl)
{
	return nl->version;
}

const char *vscard_nl_errmsg(const struct vscard_nl *nl)
{
	return nl->errmsg;
}

uint32_t vscard_nl_err_missing(const struct vscard_nl *nl)
{
	return nl->err_missing;
}

