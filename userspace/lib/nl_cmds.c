// SPDX-License-Identifier: MIT
/* Pool, slot, BIND and UNBIND commands. */
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>
#include <netlink/attr.h>
#include <netlink/msg.h>
#include "nl_internal.h"

#define PUT(expr) do { if ((expr) < 0) goto nospace; } while (0)

/* Copy the (single) reply into @arg. */
static int copy_reply(struct vscard_attrs *a, void *arg)
{
	struct vscard_attrs *out = arg;

	vscard_attrs_release(out);
	*out = *a;
	return 0;
}

static int simple(struct vscard_nl *nl, struct nl_msg *msg,
		  struct vscard_attrs *reply)
{
	if (reply)
		memset(reply, 0, sizeof(*reply));
	return vscard_nl_transact(nl, msg, reply ? copy_reply : NULL, reply);
}

int vscard_nl_pool_new(struct vscard_nl *nl, uint32_t slots,
		       const uint32_t *uid, const uint32_t *gid,
		       uint32_t *pool_out)
{
	struct nl_msg *msg = vscard_nl_msg(nl, VSCARD_CMD_POOL_NEW, 0, 64);
	struct vscard_attrs r;
	int err;

	if (!msg)
		return -ENOMEM;
	PUT(nla_put_u32(msg, VSCARD_A_SLOTS, slots));
	if (uid)
		PUT(nla_put_u32(msg, VSCARD_A_UID, *uid));
	if (gid)
		PUT(nla_put_u32(msg, VSCARD_A_GID, *gid));
	err = simple(nl, msg, &r);
	if (!err && !vscard_attrs_has(&r, VSCARD_A_POOL))
		err = -EPROTO;
	if (!err && pool_out)
		*pool_out = r.pool;
	vscard_attrs_release(&r);
	return err;
nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int vscard_nl_pool_del(struct vscard_nl *nl, uint32_t pool)
{
	struct nl_msg *msg = vscard_nl_msg(nl, VSCARD_CMD_POOL_DEL, 0, 16);

	if (!msg)
		return -ENOMEM;
	PUT(nla_put_u32(msg, VSCARD_A_POOL, pool));
	return simple(nl, msg, NULL);
nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int vscard_nl_pool_get(struct vscard_nl *nl, uint32_t pool,
		       struct vscard_attrs *out)
{
	struct nl_msg *msg = vscard_nl_msg(nl, VSCARD_CMD_POOL_GET, 0, 16);

	if (!msg)
		return -ENOMEM;
	PUT(nla_put_u32(msg, VSCARD_A_POOL, pool));
	return simple(nl, msg, out);
nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int vscard_nl_pool_dump(struct vscard_nl *nl, vscard_nl_reply_fn fn,
			void *arg)
{
	struct nl_msg *msg = vscard_nl_msg(nl, VSCARD_CMD_POOL_GET,
					   NLM_F_DUMP, 0);

	if (!msg)
		return -ENOMEM;
	return vscard_nl_transact(nl, msg, fn, arg);
}

int vscard_nl_slot_get(struct vscard_nl *nl, uint32_t pool, uint32_t slot,
		       struct vscard_attrs *out)
{
	struct nl_msg *msg = vscard_nl_msg(nl, VSCARD_CMD_SLOT_GET, 0, 32);

	if (!msg)
		return -ENOMEM;
	PUT(nla_put_u32(msg, VSCARD_A_POOL, pool));
	PUT(nla_put_u32(msg, VSCARD_A_SLOT, slot));
	return simple(nl, msg, out);
nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int vscard_nl_slot_dump(struct vscard_nl *nl, const uint32_t *pool,
			vscard_nl_reply_fn fn, void *arg)
{
	struct nl_msg *msg = vscard_nl_msg(nl, VSCARD_CMD_SLOT_GET,
					   NLM_F_DUMP, 16);

	if (!msg)
		return -ENOMEM;
	if (pool)
		PUT(nla_put_u32(msg, VSCARD_A_POOL, *pool));
	return vscard_nl_transact(nl, msg, fn, arg);
nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/*
 * The BIND reply names a descriptor the kernel installed in this process:
 * from here on it is ours to close, whatever else goes wrong.
 */
static int take_bind_reply(struct vscard_attrs *a, void *arg)
{
	struct vscard_attrs *out = arg;

	if (vscard_attrs_has(out, VSCARD_A_FD))
		return -EPROTO;		/* a second reply: keep the first */
	*out = *a;
	return 0;
}

int vscard_nl_bind(struct vscard_nl *nl, const struct vscard_bind *b,
		   struct vscard_bound *out)
{
	struct nl_msg *msg = vscard_nl_msg(nl, VSCARD_CMD_BIND, 0,
					   VSCARD_KEY_MAX + VSCARD_NAME_MAX +
					   64);
	struct vscard_attrs r;
	bool has_fd;
	int err;

	if (out)
		out->fd = -1;
	if (!msg)
		return -ENOMEM;
	PUT(nla_put_u32(msg, VSCARD_A_POOL, b->pool));
	if (b->slot >= 0)
		PUT(nla_put_u32(msg, VSCARD_A_SLOT, (uint32_t)b->slot));
	if (b->key)
		PUT(nla_put(msg, VSCARD_A_SESSION_KEY, (int)b->key_len,
			    b->key));
	if (b->reader_name)
		PUT(nla_put_string(msg, VSCARD_A_READER_NAME, b->reader_name));
	if (b->linger_ms >= 0)
		PUT(nla_put_u32(msg, VSCARD_A_LINGER_MS,
				(uint32_t)b->linger_ms));
	if (b->timeout_ms >= 0)
		PUT(nla_put_u32(msg, VSCARD_A_TIMEOUT_MS,
				(uint32_t)b->timeout_ms));
	memset(&r, 0, sizeof(r));
	err = vscard_nl_transact(nl, msg, take_bind_reply, &r);
	has_fd = vscard_attrs_has(&r, VSCARD_A_FD) && r.fd <= INT_MAX;
	if (!err && (!has_fd || !vscard_attrs_has(&r, VSCARD_A_SLOT) ||
		     !vscard_attrs_has(&r, VSCARD_A_EPOCH)))
		err = -EPROTO;
	if (has_fd && (err || !out))
		close((int)r.fd);
	if (!err && out) {
		out->slot = r.slot;
		out->epoch = r.epoch;
		out->fd = (int)r.fd;
	}
	vscard_attrs_release(&r);
	return err;
nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

int vscard_nl_unbind(struct vscard_nl *nl, uint32_t pool, uint32_t slot)
{
	struct nl_msg *msg = vscard_nl_msg(nl, VSCARD_CMD_UNBIND, 0, 32);

	if (!msg)
		return -ENOMEM;
	PUT(nla_put_u32(msg, VSCARD_A_POOL, pool));
	PUT(nla_put_u32(msg, VSCARD_A_SLOT, slot));
	return simple(nl, msg, NULL);
nospace:
	nlmsg_free(msg);
	return -EMSGSIZE;
}
