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

int vscard_nl_req_done(struct vscard_nl *nl, const struct vscard_done *d)
{
	struct nl_msg *msg = vscard_nl_msg(nl, VSCARD_CMD_REQ_DONE, 0,
					   64 + vscard_data_room(d->len, 0));

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
	    vscard_put_data(msg, d->data, d->len, 0) < 0) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	return vscard_nl_transact(nl, msg, NULL, NULL);
}
