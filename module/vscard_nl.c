// SPDX-License-Identifier: GPL-2.0
/*
 * vscard generic netlink family "vscard".
 *
 * Portable between 6.1 and newer: a plain array of struct genl_ops with
 * per-op policies, resv_start_op so every command gets strict validation,
 * no split ops, no pre/post doit.  Doits are serialised by genl_mutex
 * (parallel_ops is false).  Pull model: the kernel unicasts payload-free
 * REQ_NOTIFY hints to a slot's owner, which fetches request bytes with
 * REQ_GET (the reply goes to the requesting socket, pinned by its own
 * sendmsg) and answers with REQ_DONE.  Bindings made with PUSH get their
 * requests queued on the owner's held socket object instead where possible
 * (REQ_PUSH, vscard_nl_push()); request bytes never go to a portid.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/errno.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/uidgid.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <kunit/visibility.h>

#include "vscard.h"

static struct genl_family vscard_genl_family;
static bool vscard_nl_live;

static struct netlink_range_validation vscard_ms_range = {
	.min = 0,
	.max = 24 * 3600 * 1000,
};

static const struct nla_policy vscard_pool_new_policy[VSCARD_A_MAX + 1] = {
	[VSCARD_A_SLOTS] = NLA_POLICY_RANGE(NLA_U32, 1, VSCARD_POOL_SLOTS_MAX),
	[VSCARD_A_UID] = { .type = NLA_U32 },
	[VSCARD_A_GID] = { .type = NLA_U32 },
};

static const struct nla_policy vscard_pool_policy[VSCARD_A_MAX + 1] = {
	[VSCARD_A_POOL] = { .type = NLA_U32 },
};

static const struct nla_policy vscard_slot_policy[VSCARD_A_MAX + 1] = {
	[VSCARD_A_POOL] = { .type = NLA_U32 },
	[VSCARD_A_SLOT] = NLA_POLICY_MAX(NLA_U32, VSCARD_POOL_SLOTS_MAX - 1),
};

static const struct nla_policy vscard_bind_policy[VSCARD_A_MAX + 1] = {
	[VSCARD_A_POOL] = { .type = NLA_U32 },
	[VSCARD_A_SLOT] = NLA_POLICY_MAX(NLA_U32, VSCARD_POOL_SLOTS_MAX - 1),
	[VSCARD_A_SESSION_KEY] = NLA_POLICY_RANGE(NLA_BINARY, VSCARD_KEY_MIN,
						  VSCARD_KEY_MAX),
	[VSCARD_A_READER_NAME] = { .type = NLA_NUL_STRING,
				   .len = VSCARD_NAME_MAX - 1 },
	[VSCARD_A_LINGER_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &vscard_ms_range),
	[VSCARD_A_TIMEOUT_MS] = NLA_POLICY_FULL_RANGE(NLA_U32,
						      &vscard_ms_range),
	[VSCARD_A_PUSH] = { .type = NLA_FLAG },
};

static const struct nla_policy vscard_unbind_policy[VSCARD_A_MAX + 1] = {
	[VSCARD_A_POOL] = { .type = NLA_U32 },
	[VSCARD_A_SLOT] = NLA_POLICY_MAX(NLA_U32, VSCARD_POOL_SLOTS_MAX - 1),
	[VSCARD_A_LINGER_MS] = NLA_POLICY_FULL_RANGE(NLA_U32, &vscard_ms_range),
};

#define VSCARD_PROTO_ALL (VSCARD_PROTO_T0 | VSCARD_PROTO_T1 | VSCARD_PROTO_RAW)

static const struct nla_policy vscard_card_set_policy[VSCARD_A_MAX + 1] = {
	[VSCARD_A_POOL] = { .type = NLA_U32 },
	[VSCARD_A_SLOT] = NLA_POLICY_MAX(NLA_U32, VSCARD_POOL_SLOTS_MAX - 1),
	[VSCARD_A_CARD_STATE] = NLA_POLICY_MAX(NLA_U32, VSCARD_CARD_PRESENT),
	[VSCARD_A_ATR] = NLA_POLICY_RANGE(NLA_BINARY, 1, VSCARD_ATR_MAX),
	[VSCARD_A_PROTOCOLS] = NLA_POLICY_MASK(NLA_U32, VSCARD_PROTO_ALL),
};

static const struct nla_policy vscard_req_get_policy[VSCARD_A_MAX + 1] = {
};

static const struct nla_policy vscard_req_done_policy[VSCARD_A_MAX + 1] = {
	[VSCARD_A_POOL] = { .type = NLA_U32 },
	[VSCARD_A_SLOT] = NLA_POLICY_MAX(NLA_U32, VSCARD_POOL_SLOTS_MAX - 1),
	[VSCARD_A_REQ_ID] = NLA_POLICY_MIN(NLA_U64, 1),
	[VSCARD_A_STATUS] = NLA_POLICY_RANGE(NLA_S32, -4095, 0),
	[VSCARD_A_RESULT] = { .type = NLA_U32 },
	[VSCARD_A_PROTOCOLS] = NLA_POLICY_MASK(NLA_U32, VSCARD_PROTO_ALL),
	[VSCARD_A_DATA] = { .type = NLA_BINARY, .len = VSCARD_DATA_CHUNK },
	[VSCARD_A_REQ_NEXT] = { .type = NLA_FLAG },
};

static void vscard_nl_owner(struct sk_buff *skb, struct genl_info *info,
			    struct vscard_owner *owner)
{
	owner->sk = NETLINK_CB(skb).sk;
	owner->portid = info->snd_portid;
}

/* The slot named by POOL and SLOT, with a reference; NULL + extack. */
static struct vscard_slot *vscard_nl_slot(struct genl_info *info)
{
	struct vscard_slot *slot;

	if (GENL_REQ_ATTR_CHECK(info, VSCARD_A_POOL) ||
	    GENL_REQ_ATTR_CHECK(info, VSCARD_A_SLOT))
		return ERR_PTR(-EINVAL);
	slot = vscard_slot_get(nla_get_u32(info->attrs[VSCARD_A_POOL]),
			       nla_get_u32(info->attrs[VSCARD_A_SLOT]));
	if (!slot) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VSCARD_A_SLOT],
				    "no such pool or slot");
		return ERR_PTR(-ENOENT);
	}
	return slot;
}

static void *vscard_nl_put_hdr(struct sk_buff *msg, u32 portid, u32 seq,
			       int flags, u8 cmd)
{
	return genlmsg_put(msg, portid, seq, &vscard_genl_family, flags, cmd);
}

/* ------------------------------------------------------------------------ */
/* Pools                                                                     */
/* ------------------------------------------------------------------------ */

static int vscard_nl_pool_new(struct sk_buff *skb, struct genl_info *info)
{
	struct user_namespace *ns = sk_user_ns(NETLINK_CB(skb).sk);
	kuid_t uid = GLOBAL_ROOT_UID;
	kgid_t gid = GLOBAL_ROOT_GID;
	struct sk_buff *msg;
	u32 id = 1;
	void *hdr;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, VSCARD_A_SLOTS))
		return -EINVAL;
	if (info->attrs[VSCARD_A_UID]) {
		uid = make_kuid(ns, nla_get_u32(info->attrs[VSCARD_A_UID]));
		if (!uid_valid(uid)) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[VSCARD_A_UID],
					    "uid not mapped");
			return -EINVAL;
		}
	}
	if (info->attrs[VSCARD_A_GID]) {
		gid = make_kgid(ns, nla_get_u32(info->attrs[VSCARD_A_GID]));
		if (!gid_valid(gid)) {
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[VSCARD_A_GID],
					    "gid not mapped");
			return -EINVAL;
		}
	}

	msg = genlmsg_new(nla_total_size(sizeof(u32)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = vscard_pool_add(nla_get_u32(info->attrs[VSCARD_A_SLOTS]), uid,
			      gid, &id);
	if (ret) {
		nlmsg_free(msg);
		if (ret == -ENOSPC)
			NL_SET_ERR_MSG(info->extack,
				       "no pool id or device minor left");
		else
			NL_SET_ERR_MSG(info->extack, "cannot create the pool");
		return ret;
	}
	hdr = vscard_nl_put_hdr(msg, info->snd_portid, info->snd_seq, 0,
				VSCARD_CMD_POOL_NEW);
	if (!hdr || nla_put_u32(msg, VSCARD_A_POOL, id)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	vscard_nl_event(VSCARD_EVENT_POOL_NEW, NULL, id, 0);
	return genlmsg_reply(msg, info);
}

static int vscard_nl_pool_del(struct sk_buff *skb, struct genl_info *info)
{
	u32 id;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, VSCARD_A_POOL))
		return -EINVAL;
	id = nla_get_u32(info->attrs[VSCARD_A_POOL]);
	if (id == 0) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VSCARD_A_POOL],
				    "pool 0 is permanent");
		return -EBUSY;
	}
	ret = vscard_pool_del(id);
	if (ret) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VSCARD_A_POOL],
				    "no such pool");
		return ret;
	}
	vscard_nl_event(VSCARD_EVENT_POOL_DEL, NULL, id, 0);
	return 0;
}

static int vscard_nl_fill_pool(struct sk_buff *msg, struct vscard_pool *pool,
			       u32 portid, u32 seq, int flags)
{
	void *hdr;

	hdr = vscard_nl_put_hdr(msg, portid, seq, flags, VSCARD_CMD_POOL_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(msg, VSCARD_A_POOL, pool->id) ||
	    nla_put_u32(msg, VSCARD_A_SLOTS, pool->nslots) ||
	    nla_put_u32(msg, VSCARD_A_UID,
			from_kuid_munged(&init_user_ns, pool->uid)) ||
	    nla_put_u32(msg, VSCARD_A_GID,
			from_kgid_munged(&init_user_ns, pool->gid)) ||
	    nla_put_u32(msg, VSCARD_A_ABI_VERSION, VSCARD_ABI_VERSION)) {
		genlmsg_cancel(msg, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return 0;
}

static int vscard_nl_pool_get(struct sk_buff *skb, struct genl_info *info)
{
	struct vscard_pool *pool;
	struct sk_buff *msg;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, VSCARD_A_POOL))
		return -EINVAL;
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&vscard_registry_lock);
	pool = xa_load(&vscard_pools, nla_get_u32(info->attrs[VSCARD_A_POOL]));
	ret = pool ? vscard_nl_fill_pool(msg, pool, info->snd_portid,
					 info->snd_seq, 0) : -ENOENT;
	mutex_unlock(&vscard_registry_lock);
	if (ret) {
		nlmsg_free(msg);
		if (ret == -ENOENT)
			NL_SET_ERR_MSG_ATTR(info->extack,
					    info->attrs[VSCARD_A_POOL],
					    "no such pool");
		return ret;
	}
	return genlmsg_reply(msg, info);
}

static int vscard_nl_pool_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	struct vscard_pool *pool;
	unsigned long id = cb->args[0];
	int ret = 0;

	mutex_lock(&vscard_registry_lock);
	xa_for_each_start(&vscard_pools, id, pool, cb->args[0]) {
		ret = vscard_nl_fill_pool(skb, pool,
					  NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, NLM_F_MULTI);
		if (ret)
			break;
		cb->args[0] = id + 1;
	}
	mutex_unlock(&vscard_registry_lock);
	if (ret && !skb->len)
		return ret;
	return skb->len;
}

/* ------------------------------------------------------------------------ */
/* Slots                                                                     */
/* ------------------------------------------------------------------------ */

struct vscard_slot_snap {
	struct vscard_status st;
	u64 key_hash;
	u32 portid;
	u32 timeout_ms;
	u32 linger_ms;
	u32 pending;
	bool push;
};

static void vscard_slot_snapshot(struct vscard_slot *slot,
				 struct vscard_slot_snap *s)
{
	mutex_lock(&slot->lock);
	s->portid = slot->bind.state == VSCARD_BOUND ?
		    slot->bind.owner.portid : 0;
	s->timeout_ms = slot->bind.timeout_ms;
	s->linger_ms = slot->bind.linger_ms;
	s->push = slot->bind.push;
	vscard_slot_get_status(slot, &s->st);
	spin_lock(&slot->status_lock);
	s->key_hash = slot->key_hash;
	spin_unlock(&slot->status_lock);
	mutex_unlock(&slot->lock);
	s->pending = vscard_reqs_count(&slot->reqs);
}

static int vscard_nl_put_stats(struct sk_buff *msg, struct vscard_slot *slot)
{
	const struct vscard_stats *st = &slot->stats;
	struct nlattr *nest;

	nest = nla_nest_start(msg, VSCARD_A_STATS);
	if (!nest)
		return -EMSGSIZE;
	if (nla_put_u64_64bit(msg, VSCARD_STAT_REQUESTS,
			      atomic64_read(&st->requests), VSCARD_STAT_PAD) ||
	    nla_put_u64_64bit(msg, VSCARD_STAT_COMPLETED,
			      atomic64_read(&st->completed), VSCARD_STAT_PAD) ||
	    nla_put_u64_64bit(msg, VSCARD_STAT_TIMEOUTS,
			      atomic64_read(&st->timeouts), VSCARD_STAT_PAD) ||
	    nla_put_u64_64bit(msg, VSCARD_STAT_ABORTED,
			      atomic64_read(&st->aborted), VSCARD_STAT_PAD) ||
	    nla_put_u64_64bit(msg, VSCARD_STAT_STALE_COMPLETIONS,
			      atomic64_read(&st->stale), VSCARD_STAT_PAD) ||
	    nla_put_u64_64bit(msg, VSCARD_STAT_BINDS,
			      atomic64_read(&st->binds), VSCARD_STAT_PAD)) {
		nla_nest_cancel(msg, nest);
		return -EMSGSIZE;
	}
	nla_nest_end(msg, nest);
	return 0;
}

static int vscard_nl_fill_slot(struct sk_buff *msg, struct vscard_slot *slot,
			       u32 portid, u32 seq, int flags)
{
	struct vscard_slot_snap s;
	void *hdr;

	vscard_slot_snapshot(slot, &s);
	hdr = vscard_nl_put_hdr(msg, portid, seq, flags, VSCARD_CMD_SLOT_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(msg, VSCARD_A_POOL, slot->pool_id) ||
	    nla_put_u32(msg, VSCARD_A_SLOT, slot->index) ||
	    nla_put_u32(msg, VSCARD_A_MINOR, MINOR(slot->dev.devt)) ||
	    nla_put_u32(msg, VSCARD_A_FLAGS, s.st.flags) ||
	    nla_put_u64_64bit(msg, VSCARD_A_SEQ, s.st.seq, VSCARD_A_PAD) ||
	    nla_put_u64_64bit(msg, VSCARD_A_INSERT_COUNT, s.st.insert_count,
			      VSCARD_A_PAD) ||
	    nla_put_u64_64bit(msg, VSCARD_A_EPOCH, s.st.epoch, VSCARD_A_PAD) ||
	    nla_put_u32(msg, VSCARD_A_CARD_STATE,
			s.st.flags & VSCARD_STATUS_PRESENT ?
			VSCARD_CARD_PRESENT : VSCARD_CARD_ABSENT) ||
	    nla_put_u32(msg, VSCARD_A_PROTOCOLS, s.st.protocols) ||
	    (s.st.atr_len &&
	     nla_put(msg, VSCARD_A_ATR, s.st.atr_len, s.st.atr)) ||
	    nla_put_string(msg, VSCARD_A_READER_NAME, s.st.reader_name) ||
	    (s.key_hash && nla_put_u64_64bit(msg, VSCARD_A_KEY_HASH,
					     s.key_hash, VSCARD_A_PAD)) ||
	    (s.portid && nla_put_u32(msg, VSCARD_A_OWNER_PORTID, s.portid)) ||
	    nla_put_u32(msg, VSCARD_A_TIMEOUT_MS, s.timeout_ms) ||
	    nla_put_u32(msg, VSCARD_A_LINGER_MS, s.linger_ms) ||
	    nla_put_u32(msg, VSCARD_A_PENDING, s.pending) ||
	    (s.push && nla_put_flag(msg, VSCARD_A_PUSH)) ||
	    vscard_nl_put_stats(msg, slot)) {
		genlmsg_cancel(msg, hdr);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return 0;
}

static int vscard_nl_slot_get(struct sk_buff *skb, struct genl_info *info)
{
	struct vscard_slot *slot;
	struct sk_buff *msg;
	int ret;

	slot = vscard_nl_slot(info);
	if (IS_ERR(slot))
		return PTR_ERR(slot);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		put_device(&slot->dev);
		return -ENOMEM;
	}
	ret = vscard_nl_fill_slot(msg, slot, info->snd_portid, info->snd_seq,
				  0);
	put_device(&slot->dev);
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	return genlmsg_reply(msg, info);
}

/* cb->args[0]: next pool id, cb->args[1]: next slot index. */
static int vscard_nl_slot_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct nlattr *filter;
	struct vscard_pool *pool;
	unsigned long id = cb->args[0];
	int ret = 0;
	u32 i;

	filter = nlmsg_find_attr(cb->nlh, GENL_HDRLEN, VSCARD_A_POOL);
	mutex_lock(&vscard_registry_lock);
	xa_for_each_start(&vscard_pools, id, pool, cb->args[0]) {
		if (filter && nla_get_u32(filter) != pool->id)
			continue;
		if (id != cb->args[0])
			cb->args[1] = 0;
		cb->args[0] = id;
		for (i = cb->args[1]; i < pool->nslots; i++) {
			ret = vscard_nl_fill_slot(skb, pool->slots[i],
						  NETLINK_CB(cb->skb).portid,
						  cb->nlh->nlmsg_seq,
						  NLM_F_MULTI);
			if (ret)
				goto out;
			cb->args[1] = i + 1;
		}
	}
	cb->args[0] = ULONG_MAX;
out:
	mutex_unlock(&vscard_registry_lock);
	if (ret && !skb->len)
		return ret;
	return skb->len;
}

/* ------------------------------------------------------------------------ */
/* Bindings                                                                  */
/* ------------------------------------------------------------------------ */

static int vscard_nl_bind(struct sk_buff *skb, struct genl_info *info)
{
	struct vscard_bind_args a = { .slot = -1 };
	struct vscard_owner owner;
	struct vscard_slot *slot;
	struct sk_buff *msg;
	u64 epoch;
	void *hdr;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, VSCARD_A_POOL) ||
	    GENL_REQ_ATTR_CHECK(info, VSCARD_A_SESSION_KEY) ||
	    GENL_REQ_ATTR_CHECK(info, VSCARD_A_READER_NAME))
		return -EINVAL;
	vscard_nl_owner(skb, info, &owner);
	a.pool = nla_get_u32(info->attrs[VSCARD_A_POOL]);
	if (info->attrs[VSCARD_A_SLOT])
		a.slot = nla_get_u32(info->attrs[VSCARD_A_SLOT]);
	a.key = nla_data(info->attrs[VSCARD_A_SESSION_KEY]);
	a.key_len = nla_len(info->attrs[VSCARD_A_SESSION_KEY]);
	a.name = nla_data(info->attrs[VSCARD_A_READER_NAME]);
	if (info->attrs[VSCARD_A_LINGER_MS])
		a.linger_ms = nla_get_u32(info->attrs[VSCARD_A_LINGER_MS]);
	if (info->attrs[VSCARD_A_TIMEOUT_MS])
		a.timeout_ms = nla_get_u32(info->attrs[VSCARD_A_TIMEOUT_MS]);
	a.push = nla_get_flag(info->attrs[VSCARD_A_PUSH]);

	msg = genlmsg_new(3 * nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = vscard_bind(&owner, &a, &slot, &epoch);
	if (ret) {
		nlmsg_free(msg);
		if (ret == -ENOENT)
			NL_SET_ERR_MSG(info->extack, "no such pool or slot");
		else if (ret == -EBUSY)
			NL_SET_ERR_MSG(info->extack,
				       "slot bound or reserved for another session");
		else
			NL_SET_ERR_MSG(info->extack, "cannot bind");
		return ret;
	}
	hdr = vscard_nl_put_hdr(msg, info->snd_portid, info->snd_seq, 0,
				VSCARD_CMD_BIND);
	if (!hdr || nla_put_u32(msg, VSCARD_A_POOL, slot->pool_id) ||
	    nla_put_u32(msg, VSCARD_A_SLOT, slot->index) ||
	    nla_put_u64_64bit(msg, VSCARD_A_EPOCH, epoch, VSCARD_A_PAD)) {
		/* Cannot happen: the message was sized for this. */
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int vscard_nl_owner_err(struct genl_info *info, int ret)
{
	if (ret == -EPERM)
		NL_SET_ERR_MSG(info->extack,
			       "the slot is not bound by this socket");
	else if (ret == -ENODEV)
		NL_SET_ERR_MSG(info->extack, "the slot is being destroyed");
	return ret;
}

static int vscard_nl_unbind(struct sk_buff *skb, struct genl_info *info)
{
	struct vscard_owner owner;
	struct vscard_slot *slot;
	u32 linger_ms = 0;
	int ret;

	slot = vscard_nl_slot(info);
	if (IS_ERR(slot))
		return PTR_ERR(slot);
	vscard_nl_owner(skb, info, &owner);
	if (info->attrs[VSCARD_A_LINGER_MS])
		linger_ms = nla_get_u32(info->attrs[VSCARD_A_LINGER_MS]);
	ret = vscard_unbind(slot, &owner, linger_ms);
	put_device(&slot->dev);
	return vscard_nl_owner_err(info, ret);
}

static int vscard_nl_card_set(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr *atr = info->attrs[VSCARD_A_ATR];
	struct vscard_owner owner;
	struct vscard_slot *slot;
	u32 protocols = 0;
	bool present;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, VSCARD_A_CARD_STATE))
		return -EINVAL;
	present = nla_get_u32(info->attrs[VSCARD_A_CARD_STATE]) ==
		  VSCARD_CARD_PRESENT;
	if (present && !atr) {
		NL_SET_ERR_MSG(info->extack, "a present card needs an ATR");
		return -EINVAL;
	}
	if (info->attrs[VSCARD_A_PROTOCOLS])
		protocols = nla_get_u32(info->attrs[VSCARD_A_PROTOCOLS]);
	slot = vscard_nl_slot(info);
	if (IS_ERR(slot))
		return PTR_ERR(slot);
	vscard_nl_owner(skb, info, &owner);
	ret = vscard_card_set(slot, &owner, present,
			      present ? nla_data(atr) : NULL,
			      present ? nla_len(atr) : 0, protocols);
	put_device(&slot->dev);
	return vscard_nl_owner_err(info, ret);
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                  */
/* ------------------------------------------------------------------------ */

static size_t vscard_nl_req_size(const struct vscard_req *req)
{
	size_t size = 6 * nla_total_size(sizeof(u32)) +
		      nla_total_size_64bit(sizeof(u64));
	u32 left = req->tx_len;

	while (left) {
		u32 n = min_t(u32, left, VSCARD_DATA_CHUNK);

		size += nla_total_size(n);
		left -= n;
	}
	return size;
}

/* A request as a REQ_GET reply (@info) or as a REQ_PUSH (@info NULL). */
static int vscard_nl_fill_req(struct sk_buff *msg, struct vscard_slot *slot,
			      struct vscard_req *req, struct genl_info *info)
{
	u32 off = 0;
	void *hdr;

	if (info)
		hdr = vscard_nl_put_hdr(msg, info->snd_portid, info->snd_seq, 0,
					VSCARD_CMD_REQ_GET);
	else
		hdr = vscard_nl_put_hdr(msg, 0, 0, 0, VSCARD_CMD_REQ_PUSH);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(msg, VSCARD_A_POOL, slot->pool_id) ||
	    nla_put_u32(msg, VSCARD_A_SLOT, slot->index) ||
	    nla_put_u64_64bit(msg, VSCARD_A_REQ_ID, req->id, VSCARD_A_PAD) ||
	    nla_put_u32(msg, VSCARD_A_REQ_TYPE, req->type) ||
	    nla_put_u32(msg, VSCARD_A_REQ_CODE, req->code) ||
	    nla_put_u32(msg, VSCARD_A_REQ_RX_MAX, req->rx_max))
		return -EMSGSIZE;
	while (off < req->tx_len) {
		u32 n = min_t(u32, req->tx_len - off, VSCARD_DATA_CHUNK);

		if (nla_put(msg, VSCARD_A_DATA, n, req->tx + off))
			return -EMSGSIZE;
		off += n;
	}
	genlmsg_end(msg, hdr);
	return 0;
}

/*
 * Reply with the oldest unfetched request of the sender's slots; -ENOENT
 * if there is none (peeking at an empty slot re-arms its hint).
 */
static int vscard_nl_reply_req(struct sk_buff *skb, struct genl_info *info)
{
	struct vscard_owner owner;
	struct vscard_slot *slot;
	struct vscard_req *req;
	struct sk_buff *msg;
	int ret;

	vscard_nl_owner(skb, info, &owner);
	for (;;) {
		req = vscard_req_fetch(&owner, &slot);
		if (!req)
			return -ENOENT;
		msg = genlmsg_new(vscard_nl_req_size(req), GFP_KERNEL);
		if (!msg) {
			ret = -ENOMEM;
			break;
		}
		/* Still queued?  Else it timed out or was aborted: next. */
		if (vscard_reqs_mark_fetched(&slot->reqs, req))
			break;
		nlmsg_free(msg);
		vscard_req_put(req);
		put_device(&slot->dev);
	}
	if (msg) {
		ret = vscard_nl_fill_req(msg, slot, req, info);
		if (ret)
			nlmsg_free(msg);
		else
			ret = genlmsg_reply(msg, info);
		/* Undelivered (e.g. the receive queue is full): fetch again. */
		if (ret)
			vscard_reqs_unfetch(&slot->reqs, req);
	}
	vscard_req_put(req);
	put_device(&slot->dev);
	return ret;
}

static int vscard_nl_req_get(struct sk_buff *skb, struct genl_info *info)
{
	int ret = vscard_nl_reply_req(skb, info);

	if (ret == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "no request pending");
	return ret;
}

/* REQ_DONE with REQ_NEXT: the next request, or an empty REQ_DONE reply. */
static int vscard_nl_reply_next(struct sk_buff *skb, struct genl_info *info)
{
	int ret = vscard_nl_reply_req(skb, info);
	struct sk_buff *msg;
	void *hdr;

	if (ret != -ENOENT)
		return ret;
	msg = genlmsg_new(0, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = vscard_nl_put_hdr(msg, info->snd_portid, info->snd_seq, 0,
				VSCARD_CMD_REQ_DONE);
	if (!hdr) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

static int vscard_nl_req_done(struct sk_buff *skb, struct genl_info *info)
{
	struct vscard_owner owner;
	struct vscard_slot *slot;
	u32 result = 0, protocols = 0;
	int status, ret;

	if (GENL_REQ_ATTR_CHECK(info, VSCARD_A_REQ_ID) ||
	    GENL_REQ_ATTR_CHECK(info, VSCARD_A_STATUS))
		return -EINVAL;
	status = nla_get_s32(info->attrs[VSCARD_A_STATUS]);
	/* Kernel-internal codes (ERESTARTSYS ... ) must not reach userspace. */
	if (status <= -ERESTARTSYS && status >= -EIOCBQUEUED) {
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VSCARD_A_STATUS],
				    "kernel-internal error code");
		return -EINVAL;
	}
	if (info->attrs[VSCARD_A_RESULT])
		result = nla_get_u32(info->attrs[VSCARD_A_RESULT]);
	if (info->attrs[VSCARD_A_PROTOCOLS])
		protocols = nla_get_u32(info->attrs[VSCARD_A_PROTOCOLS]);
	slot = vscard_nl_slot(info);
	if (IS_ERR(slot))
		return PTR_ERR(slot);
	vscard_nl_owner(skb, info, &owner);
	ret = vscard_req_done(slot, &owner,
			      nla_get_u64(info->attrs[VSCARD_A_REQ_ID]),
			      status, result, protocols,
			      nlmsg_attrdata(info->nlhdr, GENL_HDRLEN),
			      nlmsg_attrlen(info->nlhdr, GENL_HDRLEN));
	put_device(&slot->dev);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VSCARD_A_REQ_ID],
				    "unknown, late or duplicate request id");
	else if (ret == -EINVAL)
		NL_SET_ERR_MSG(info->extack,
			       "response longer than VSCARD_DATA_MAX");
	if (ret || !nla_get_flag(info->attrs[VSCARD_A_REQ_NEXT]))
		return vscard_nl_owner_err(info, ret);
	return vscard_nl_reply_next(skb, info);
}

/* ------------------------------------------------------------------------ */
/* Kernel -> agent messages and events                                       */
/* ------------------------------------------------------------------------ */

static void vscard_nl_unicast(struct vscard_slot *slot, struct sock *sk,
			      u32 portid, u8 cmd, u64 id)
{
	struct sk_buff *msg;
	void *hdr;
	int ret;

	if (!READ_ONCE(vscard_nl_live))
		return;
	/* The owner is closing: its URELEASE releases the binding. */
	if (sock_flag(sk, SOCK_DEAD))
		return;
	msg = genlmsg_new(2 * nla_total_size(sizeof(u32)) +
			  nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!msg)
		return;
	hdr = vscard_nl_put_hdr(msg, 0, 0, 0, cmd);
	if (!hdr || nla_put_u32(msg, VSCARD_A_POOL, slot->pool_id) ||
	    nla_put_u32(msg, VSCARD_A_SLOT, slot->index) ||
	    (id && nla_put_u64_64bit(msg, VSCARD_A_REQ_ID, id, VSCARD_A_PAD))) {
		nlmsg_free(msg);
		return;
	}
	genlmsg_end(msg, hdr);
	ret = genlmsg_unicast(sock_net(sk), msg, portid);
	/* -EAGAIN: the agent's queue is full; it drains with REQ_GET. */
	if (ret == -ECONNREFUSED)
		vscard_owner_lost(slot, sk);
}

/**
 * vscard_nl_notify() - hint the owner that a request is queued
 * @slot:	the slot
 * @sk:		the owner socket (held by the caller)
 * @portid:	its portid
 */
void vscard_nl_notify(struct vscard_slot *slot, struct sock *sk, u32 portid)
{
	vscard_nl_unicast(slot, sk, portid, VSCARD_CMD_REQ_NOTIFY, 0);
}

/**
 * vscard_nl_push() - deliver a just-queued request to its owner
 * @slot:	the slot
 * @sk:		the owner socket (held by the caller)
 * @req:	the request, queued on @slot by the caller
 *
 * The message goes straight onto the receive queue of the socket object
 * that made the binding, not to its portid: a portid can be recycled by
 * another socket between the owner's close and its URELEASE, a struct
 * sock we hold cannot.  The socket's filter applies as for any datagram.
 * Pushed requests may fill only half of the receive buffer: netlink drops
 * what does not fit, and the other half keeps room for the replies to the
 * owner's own commands (a dropped reply would leave it waiting).
 *
 * Return: 0 if pushed (the request counts as fetched); otherwise it is
 * still queued and the caller falls back to the REQ_NOTIFY hint.
 */
int vscard_nl_push(struct vscard_slot *slot, struct sock *sk,
		   struct vscard_req *req)
{
	struct sk_buff *msg;
	int ret;

	if (!READ_ONCE(vscard_nl_live) || sock_flag(sk, SOCK_DEAD))
		return -ECONNRESET;
	msg = genlmsg_new(vscard_nl_req_size(req), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	ret = vscard_nl_fill_req(msg, slot, req, NULL);
	if (!ret && atomic_read(&sk->sk_rmem_alloc) + msg->truesize >
		    READ_ONCE(sk->sk_rcvbuf) / 2)
		ret = -ENOBUFS;
	if (ret) {
		nlmsg_free(msg);
		return ret;
	}
	if (!vscard_reqs_take_push(&slot->reqs, req)) {
		/* Not the oldest one, or gone already (timeout, abort). */
		nlmsg_free(msg);
		return -EAGAIN;
	}
	ret = sock_queue_rcv_skb(sk, msg);
	if (ret) {
		nlmsg_free(msg);
		vscard_reqs_unfetch(&slot->reqs, req);
	}
	return ret;
}

/**
 * vscard_nl_cancel() - tell the owner a fetched request timed out
 * @slot:	the slot
 * @sk:		the owner socket (held by the caller)
 * @portid:	its portid
 * @id:		the request id
 */
void vscard_nl_cancel(struct vscard_slot *slot, struct sock *sk, u32 portid,
		      u64 id)
{
	vscard_nl_unicast(slot, sk, portid, VSCARD_CMD_REQ_CANCEL, id);
}

/**
 * vscard_nl_event() - multicast an event on the "events" group
 * @event:	enum vscard_event
 * @slot:	the slot concerned, or NULL for pool events
 * @pool_id:	the pool
 * @req_id:	request id (REQ_TIMEOUT), else 0
 *
 * Carries no secret: never the session key, never request data.  Must
 * not be called with a spinlock held.
 */
void vscard_nl_event(u32 event, struct vscard_slot *slot, u32 pool_id,
		     u64 req_id)
{
	struct vscard_status *st = NULL;
	struct sk_buff *msg;
	void *hdr;

	if (!READ_ONCE(vscard_nl_live) ||
	    !genl_has_listeners(&vscard_genl_family, &init_net, 0))
		return;
	if (slot) {
		st = kmalloc(sizeof(*st), GFP_KERNEL);
		if (!st)
			return;
		vscard_slot_get_status(slot, st);
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		goto out;
	hdr = vscard_nl_put_hdr(msg, 0, 0, 0, VSCARD_CMD_EVENT);
	if (!hdr || nla_put_u32(msg, VSCARD_A_EVENT, event) ||
	    nla_put_u32(msg, VSCARD_A_POOL, pool_id))
		goto fail;
	if (st &&
	    (nla_put_u32(msg, VSCARD_A_SLOT, st->slot) ||
	     nla_put_u32(msg, VSCARD_A_MINOR, MINOR(slot->dev.devt)) ||
	     nla_put_u32(msg, VSCARD_A_FLAGS, st->flags) ||
	     nla_put_u64_64bit(msg, VSCARD_A_SEQ, st->seq, VSCARD_A_PAD) ||
	     nla_put_u64_64bit(msg, VSCARD_A_INSERT_COUNT, st->insert_count,
			       VSCARD_A_PAD) ||
	     nla_put_u64_64bit(msg, VSCARD_A_EPOCH, st->epoch, VSCARD_A_PAD) ||
	     nla_put_string(msg, VSCARD_A_READER_NAME, st->reader_name)))
		goto fail;
	if (req_id &&
	    nla_put_u64_64bit(msg, VSCARD_A_REQ_ID, req_id, VSCARD_A_PAD))
		goto fail;
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&vscard_genl_family, msg, 0, 0, GFP_KERNEL);
	goto out;
fail:
	nlmsg_free(msg);
out:
	kfree(st);
}

/* ------------------------------------------------------------------------ */
/* Family                                                                    */
/* ------------------------------------------------------------------------ */

#define VSCARD_OP(_cmd, _doit, _dumpit, _policy, _flags) {	\
	.cmd = (_cmd),						\
	.doit = (_doit),					\
	.dumpit = (_dumpit),					\
	.policy = (_policy),					\
	.maxattr = VSCARD_A_MAX,				\
	.flags = (_flags),					\
}

static const struct genl_ops vscard_genl_ops[] = {
	VSCARD_OP(VSCARD_CMD_POOL_NEW, vscard_nl_pool_new, NULL,
		  vscard_pool_new_policy, GENL_ADMIN_PERM),
	VSCARD_OP(VSCARD_CMD_POOL_DEL, vscard_nl_pool_del, NULL,
		  vscard_pool_policy, GENL_ADMIN_PERM),
	VSCARD_OP(VSCARD_CMD_POOL_GET, vscard_nl_pool_get, vscard_nl_pool_dump,
		  vscard_pool_policy, 0),
	VSCARD_OP(VSCARD_CMD_SLOT_GET, vscard_nl_slot_get, vscard_nl_slot_dump,
		  vscard_slot_policy, 0),
	VSCARD_OP(VSCARD_CMD_BIND, vscard_nl_bind, NULL,
		  vscard_bind_policy, GENL_ADMIN_PERM),
	VSCARD_OP(VSCARD_CMD_UNBIND, vscard_nl_unbind, NULL,
		  vscard_unbind_policy, GENL_ADMIN_PERM),
	VSCARD_OP(VSCARD_CMD_CARD_SET, vscard_nl_card_set, NULL,
		  vscard_card_set_policy, GENL_ADMIN_PERM),
	VSCARD_OP(VSCARD_CMD_REQ_GET, vscard_nl_req_get, NULL,
		  vscard_req_get_policy, GENL_ADMIN_PERM),
	VSCARD_OP(VSCARD_CMD_REQ_DONE, vscard_nl_req_done, NULL,
		  vscard_req_done_policy, GENL_ADMIN_PERM),
};

static const struct genl_multicast_group vscard_genl_mcgrps[] = {
	{ .name = VSCARD_MCGRP_EVENTS },
};

static struct genl_family vscard_genl_family __ro_after_init = {
	.name = VSCARD_GENL_NAME,
	.version = VSCARD_ABI_VERSION,	/* CTRL_ATTR_VERSION: major and minor */
	.maxattr = VSCARD_A_MAX,
	.netnsok = false,
	.parallel_ops = false,
	.module = THIS_MODULE,
	.ops = vscard_genl_ops,
	.n_ops = ARRAY_SIZE(vscard_genl_ops),
	.resv_start_op = VSCARD_CMD_POOL_NEW,
	.mcgrps = vscard_genl_mcgrps,
	.n_mcgrps = ARRAY_SIZE(vscard_genl_mcgrps),
};

static int vscard_nl_urelease(struct notifier_block *nb, unsigned long event,
			      void *ptr)
{
	struct netlink_notify *n = ptr;

	if (event != NETLINK_URELEASE || n->protocol != NETLINK_GENERIC)
		return NOTIFY_DONE;
	vscard_owner_release(n->net, n->portid);
	return NOTIFY_DONE;
}

static struct notifier_block vscard_nl_notifier = {
	.notifier_call = vscard_nl_urelease,
};

/**
 * vscard_nl_init() - register the family and the URELEASE notifier
 *
 * Return: 0 or a negative errno.
 */
int vscard_nl_init(void)
{
	int ret;

	ret = netlink_register_notifier(&vscard_nl_notifier);
	if (ret)
		return ret;
	ret = genl_register_family(&vscard_genl_family);
	if (ret) {
		netlink_unregister_notifier(&vscard_nl_notifier);
		return ret;
	}
	WRITE_ONCE(vscard_nl_live, true);
	return 0;
}

/**
 * vscard_nl_exit() - unregister the family (waiting for running doits),
 *		      then the notifier (waiting for running callbacks)
 */
void vscard_nl_exit(void)
{
	WRITE_ONCE(vscard_nl_live, false);
	genl_unregister_family(&vscard_genl_family);
	netlink_unregister_notifier(&vscard_nl_notifier);
}
