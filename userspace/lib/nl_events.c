// SPDX-License-Identifier: MIT
/* Events (the admin-only "events" group), and names for printing. */
#include <errno.h>
#include <stdlib.h>
#include <netlink/msg.h>
#include "nl_internal.h"

static int pop(struct vscard_nl *nl, struct vscard_attrs *out)
{
	struct vscard_queued *q = nl->q_head;
	int err;

	nl->q_head = q->next;
	if (!nl->q_head)
		nl->q_tail = NULL;
	nl->q_len--;
	out->cmd = 0;
	err = vscard_attrs_parse_msg(q->msg, q->len, out);
	free(q);
	return err;
}

int vscard_nl_next(struct vscard_nl *nl, struct vscard_attrs *out)
{
	bool block = !(nl->flags & VSCARD_NL_NONBLOCK);

	for (;;) {
		struct nlmsghdr *nlh;
		size_t len;
		int err, rem;

		if (nl->overrun_pending) {
			nl->overrun_pending = false;
			return -ENOBUFS;
		}
		if (nl->q_head)
			return pop(nl, out);
		err = vscard_nl_recv(nl, block, &len);
		if (err == -EWOULDBLOCK)
			return -EAGAIN;
		if (err == -ENOBUFS)
			nl->overrun_pending = false;	/* reported now */
		if (err)
			return err;
		nlh = (struct nlmsghdr *)nl->rbuf;
		rem = (int)len;
		for (; nlmsg_ok(nlh, rem); nlh = nlmsg_next(nlh, &rem))
			if (vscard_nl_is_event(nl, nlh))
				vscard_nl_queue_push(nl, nlh, nlh->nlmsg_len);
	}
}

size_t vscard_nl_queued(const struct vscard_nl *nl)
{
	return nl->q_len + nl->overrun_pending;	/* an overrun is news too */
}

const char *vscard_cmd_name(unsigned int cmd)
{
	static const char *const names[] = {
		[VSCARD_CMD_POOL_NEW] = "pool-new",
		[VSCARD_CMD_POOL_DEL] = "pool-del",
		[VSCARD_CMD_POOL_GET] = "pool-get",
		[VSCARD_CMD_SLOT_GET] = "slot-get",
		[VSCARD_CMD_BIND] = "bind",
		[VSCARD_CMD_UNBIND] = "unbind",
		[VSCARD_CMD_EVENT] = "event",
	};

	return cmd < sizeof(names) / sizeof(names[0]) && names[cmd] ?
	       names[cmd] : "unknown";
}

const char *vscard_event_name(unsigned int event)
{
	static const char *const names[] = {
		[VSCARD_EVENT_POOL_NEW] = "pool-new",
		[VSCARD_EVENT_POOL_DEL] = "pool-del",
		[VSCARD_EVENT_BIND] = "bind",
		[VSCARD_EVENT_UNBIND] = "unbind",
		[VSCARD_EVENT_LINGER] = "linger",
		[VSCARD_EVENT_CARD_IN] = "card-in",
		[VSCARD_EVENT_CARD_OUT] = "card-out",
		[VSCARD_EVENT_REQ_TIMEOUT] = "req-timeout",
	};

	return event < sizeof(names) / sizeof(names[0]) && names[event] ?
	       names[event] : "unknown";
}

const char *vscard_req_type_name(unsigned int type)
{
	static const char *const names[] = {
		[VSCARD_REQ_POWER] = "power",
		[VSCARD_REQ_TRANSMIT] = "transmit",
		[VSCARD_REQ_CONTROL] = "control",
		[VSCARD_REQ_GET_ATTRIB] = "get-attrib",
		[VSCARD_REQ_SET_ATTRIB] = "set-attrib",
	};

	if (type == VSCARD_MSG_CANCEL)
		return "cancel";
	return type < sizeof(names) / sizeof(names[0]) && names[type] ?
	       names[type] : "unknown";
}
