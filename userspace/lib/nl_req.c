// SPDX-License-Identifier: MIT
/* Agent side of a request: fetch it (REQ_GET), complete it (REQ_DONE). */
#include <errno.h>
#include <string.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include "nl_internal.h"

static int take_request(struct vscard_attrs *a, void *arg)
{
	struct vscard_attrs *req = arg;

	if (!vscard_attrs_has(a, VSCARD_A_REQ_ID) ||
	    !vscard_attrs_has(a, VSCARD_A_POOL) ||
	    !vscard_attrs_has(a, VSCARD_A_SLOT))
		return -EPROTO;
	vscard_attrs_release(req);
	*req = *a;
	a->data = NULL;
	return 0;
}

int vscard_nl_req_get(struct vscard_nl *nl, struct vscard_attrs *req)
{
	struct nl_msg *msg = vscard_nl_msg(nl, VSCARD_CMD_REQ_GET, 0, 0);
	int err;

	memset(req, 0, sizeof(*req));
	if (!msg)
		return -ENOMEM;
	err = vscard_nl_transact_noack(nl, msg, take_request, req);
	if (!err && !req->req_id)
		err = -EPROTO;	/* an ack without the reply */
	if (err)
		vscard_attrs_release(req);
	return err;
}

/* Build a REQ_DONE message: 0, -ENOMEM or -EMSGSIZE. */
static int done_msg(struct vscard_nl *nl, const struct vscard_done *d,
		    bool next, struct nl_msg **out)
{
	struct nl_msg *msg = vscard_nl_msg(nl, VSCARD_CMD_REQ_DONE, 0,
					   64 + vscard_data_room(d->len, 0));

	*out = NULL;
	if (!msg)
		return -ENOMEM;
	if (nla_put_u32(msg, VSCARD_A_POOL, d->pool) < 0 ||
	    nla_put_u32(msg, VSCARD_A_SLOT, d->slot) < 0 ||
	    nla_put_u64(msg, VSCARD_A_REQ_ID, d->req_id) < 0 ||
	    nla_put_s32(msg, VSCARD_A_STATUS, d->status) < 0 ||
	    (d->result >= 0 &&
	     nla_put_u32(msg, VSCARD_A_RESULT, (uint32_t)d->result) < 0) ||
	    (d->protocols >= 0 &&
	     nla_put_u32(msg, VSCARD_A_PROTOCOLS,
			 (uint32_t)d->protocols) < 0) ||
	    vscard_put_data(msg, d->data, d->len, 0) < 0 ||
	    (next && nla_put_flag(msg, VSCARD_A_REQ_NEXT) < 0)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	*out = msg;
	return 0;
}

int vscard_nl_req_done(struct vscard_nl *nl, const struct vscard_done *d)
{
	struct nl_msg *msg;
	int err = done_msg(nl, d, false, &msg);

	return err ? err : vscard_nl_transact(nl, msg, NULL, NULL);
}

int vscard_nl_req_done_async(struct vscard_nl *nl, const struct vscard_done *d)
{
	struct nl_msg *msg;
	int err = done_msg(nl, d, false, &msg);

	return err ? err : vscard_nl_send_noack(nl, msg);
}

/* REQ_GET, with "nothing queued" as success and next->req_id == 0. */
static int get_or_none(struct vscard_nl *nl, struct vscard_attrs *next)
{
	int err = vscard_nl_req_get(nl, next);

	return err == -ENOENT ? 0 : err;
}

/* A REQ_GET-shaped reply is the next request; an empty REQ_DONE is none. */
static int take_next(struct vscard_attrs *a, void *arg)
{
	if (a->cmd == VSCARD_CMD_REQ_DONE)
		return 0;
	if (a->cmd != VSCARD_CMD_REQ_GET)
		return -EPROTO;
	return take_request(a, arg);
}

int vscard_nl_req_done_next(struct vscard_nl *nl, const struct vscard_done *d,
			    struct vscard_attrs *next)
{
	struct nl_msg *msg;
	int err;

	memset(next, 0, sizeof(*next));
	if (nl->version < VSCARD_ABI_1_1) {
		err = vscard_nl_req_done(nl, d);
		return err ? err : get_or_none(nl, next);
	}
	err = done_msg(nl, d, true, &msg);
	if (err)
		return err;
	/* One reply message (request or empty) or the completion's error. */
	err = vscard_nl_transact_noack(nl, msg, take_next, next);
	if (err)
		vscard_attrs_release(next);
	return err;
}

int vscard_nl_req_done_fetch(struct vscard_nl *nl, const struct vscard_done *d,
			     struct vscard_attrs *next)
{
	int err = vscard_nl_req_done_next(nl, d, next);

	if (err && err != -ENOENT)
		return err;
	if (!err && next->req_id)
		return 0;
	/* Stale completion (-ENOENT), or nothing queued: one more look. */
	return get_or_none(nl, next);
}
