// SPDX-License-Identifier: GPL-2.0
/*
 * vscard generic netlink family "vscard": the control plane.  Pools,
 * BIND (which hands the caller its binding file, vscard_bfile.c, as a new
 * file descriptor, like net/handshake's ACCEPT), UNBIND, dumps, and the
 * admin-only "events" multicast group fed by the slots' event notifier.
 * No request data ever travels over netlink.
 *
 * Who may do what is decided here, per command, from the sender: admins
 * (CAP_NET_ADMIN) everything; a pool's owner binds, unbinds and sees its
 * own pools; nobody else sees them.
 *
 * Portable between 6.1 and newer: a plain array of struct genl_ops with
 * per-op policies, resv_start_op so every command gets strict validation,
 * no split ops, no pre/post doit.  Doits are serialised by genl_mutex
 * (parallel_ops is false), but nothing here relies on that.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cred.h>
#include <linux/errno.h>
#include <linux/file.h>
#include <linux/netlink.h>
#include <linux/notifier.h>
#include <linux/pid_namespace.h>
#include <linux/uidgid.h>
#include <net/genetlink.h>
#include <net/netlink.h>
#include <net/sock.h>
#include <kunit/visibility.h>

#include "vscard_bfile.h"
#include "vscard_nl.h"
#include "vscard_pool.h"

static struct genl_family vscard_genl_family;

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
};

/*
 * The sender of @skb.  Like netlink_capable(), the uid must be that of the
 * task sending and of the socket's opener, so a socket handed to another
 * user, or a setuid program writing to an inherited socket, is nobody's.
 */
static void vscard_nl_caller(const struct sk_buff *skb,
			     struct vscard_caller *c)
{
	const struct cred *opener = NETLINK_CB(skb).sk->sk_socket->file->f_cred;
	kuid_t uid = current_euid();

	c->admin = netlink_capable(skb, CAP_NET_ADMIN);
	c->uid = uid_eq(uid, opener->euid) ? uid : INVALID_UID;
}

/* The user namespace ids are reported in: the reader's socket's. */
static struct user_namespace *vscard_nl_ns(const struct sk_buff *skb)
{
	return sk_user_ns(NETLINK_CB(skb).sk);
}

/*
 * The slot named by POOL and SLOT, with a reference; ERR_PTR + extack.
 * @hide: a pool the caller may not use does not exist (-ENOENT).
 */
static struct vscard_slot *vscard_nl_slot(struct sk_buff *skb,
					  struct genl_info *info, bool hide)
{
	struct vscard_caller c;
	struct vscard_slot *slot;

	if (GENL_REQ_ATTR_CHECK(info, VSCARD_A_POOL) ||
	    GENL_REQ_ATTR_CHECK(info, VSCARD_A_SLOT))
		return ERR_PTR(-EINVAL);
	vscard_nl_caller(skb, &c);
	slot = vscard_pool_slot_get(nla_get_u32(info->attrs[VSCARD_A_POOL]),
				    nla_get_u32(info->attrs[VSCARD_A_SLOT]), &c);
	if (hide && slot == ERR_PTR(-EPERM))
		slot = ERR_PTR(-ENOENT);
	if (slot == ERR_PTR(-EPERM))
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VSCARD_A_POOL],
				    "not the pool's owner");
	else if (IS_ERR(slot))
		NL_SET_ERR_MSG_ATTR(info->extack, info->attrs[VSCARD_A_POOL],
				    "no such pool or slot");
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
	vscard_event(VSCARD_EVENT_POOL_NEW, NULL, id, 0);
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
	vscard_event(VSCARD_EVENT_POOL_DEL, NULL, id, 0);
	return 0;
}

static int vscard_nl_fill_pool(struct sk_buff *msg, struct vscard_pool *pool,
			       struct user_namespace *ns, u32 portid, u32 seq,
			       int flags)
{
	void *hdr;

	hdr = vscard_nl_put_hdr(msg, portid, seq, flags, VSCARD_CMD_POOL_GET);
	if (!hdr)
		return -EMSGSIZE;
	if (nla_put_u32(msg, VSCARD_A_POOL, pool->id) ||
	    nla_put_u32(msg, VSCARD_A_SLOTS, pool->nslots) ||
	    nla_put_u32(msg, VSCARD_A_UID, from_kuid_munged(ns, pool->uid)) ||
	    nla_put_u32(msg, VSCARD_A_GID, from_kgid_munged(ns, pool->gid)) ||
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
	struct vscard_caller c;
	struct sk_buff *msg;
	int ret;

	if (GENL_REQ_ATTR_CHECK(info, VSCARD_A_POOL))
		return -EINVAL;
	vscard_nl_caller(skb, &c);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	mutex_lock(&vscard_registry_lock);
	pool = xa_load(&vscard_pools, nla_get_u32(info->attrs[VSCARD_A_POOL]));
	if (pool && !vscard_pool_may_use(pool, &c))
		pool = NULL;
	ret = pool ? vscard_nl_fill_pool(msg, pool, vscard_nl_ns(skb),
					 info->snd_portid, info->snd_seq, 0) :
		     -ENOENT;
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
	struct vscard_caller c;
	int ret = 0;

	vscard_nl_caller(cb->skb, &c);
	mutex_lock(&vscard_registry_lock);
	xa_for_each_start(&vscard_pools, id, pool, cb->args[0]) {
		cb->args[0] = id + 1;
		if (!vscard_pool_may_use(pool, &c))
			continue;
		ret = vscard_nl_fill_pool(skb, pool, vscard_nl_ns(cb->skb),
					  NETLINK_CB(cb->skb).portid,
					  cb->nlh->nlmsg_seq, NLM_F_MULTI);
		if (ret) {
			cb->args[0] = id;
			break;
		}
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
	kuid_t binder_uid;
	pid_t binder_pid;
	bool bound;
	u32 timeout_ms;
	u32 linger_ms;
	u32 pending;
};

static void vscard_slot_snapshot(struct vscard_slot *slot,
				 struct vscard_slot_snap *s)
{
	mutex_lock(&slot->lock);
	s->bound = slot->bind.state != VSCARD_UNBOUND;
	s->binder_uid = slot->bind.uid;
	/* In the reader's pid namespace; 0 if the binder is not in it. */
	s->binder_pid = s->bound ? pid_vnr(slot->bind.pid) : 0;
	s->timeout_ms = slot->bind.timeout_ms;
	s->linger_ms = slot->bind.linger_ms;
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
			       struct user_namespace *ns, u32 portid, u32 seq,
			       int flags)
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
	    (s.bound &&
	     nla_put_u32(msg, VSCARD_A_BINDER_UID,
			 from_kuid_munged(ns, s.binder_uid))) ||
	    (s.binder_pid &&
	     nla_put_u32(msg, VSCARD_A_BINDER_PID, s.binder_pid)) ||
	    nla_put_u32(msg, VSCARD_A_TIMEOUT_MS, s.timeout_ms) ||
	    nla_put_u32(msg, VSCARD_A_LINGER_MS, s.linger_ms) ||
	    nla_put_u32(msg, VSCARD_A_PENDING, s.pending) ||
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

	slot = vscard_nl_slot(skb, info, true);
	if (IS_ERR(slot))
		return PTR_ERR(slot);
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		put_device(&slot->dev);
		return -ENOMEM;
	}
	ret = vscard_nl_fill_slot(msg, slot, vscard_nl_ns(skb),
				  info->snd_portid, info->snd_seq, 0);
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
	struct vscard_caller c;
	int ret = 0;
	u32 i;

	/* Untrusted: the attribute is used only if it is a whole u32. */
	filter = nlmsg_find_attr(cb->nlh, GENL_HDRLEN, VSCARD_A_POOL);
	if (filter && nla_len(filter) != sizeof(u32))
		return -EINVAL;
	vscard_nl_caller(cb->skb, &c);
	mutex_lock(&vscard_registry_lock);
	xa_for_each_start(&vscard_pools, id, pool, cb->args[0]) {
		if ((filter && nla_get_u32(filter) != pool->id) ||
		    !vscard_pool_may_use(pool, &c))
			continue;
		if (id != cb->args[0])
			cb->args[1] = 0;
		cb->args[0] = id;
		for (i = cb->args[1]; i < pool->nslots; i++) {
			ret = vscard_nl_fill_slot(skb, pool->slots[i],
						  vscard_nl_ns(cb->skb),
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

static void vscard_nl_bind_err(struct genl_info *info, int ret)
{
	if (ret == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "no such pool or slot");
	else if (ret == -EPERM)
		NL_SET_ERR_MSG(info->extack, "not the pool's owner");
	else if (ret == -EBUSY)
		NL_SET_ERR_MSG(info->extack,
			       "slot bound or reserved for another session");
	else
		NL_SET_ERR_MSG(info->extack, "cannot bind");
}

/*
 * BIND: the binding is made, its file gets a descriptor, the reply names
 * it, and only once the reply is queued is the file installed (as
 * net/handshake's ACCEPT does): a failed reply leaves no descriptor and
 * no binding behind.
 */
static int vscard_nl_bind(struct sk_buff *skb, struct genl_info *info)
{
	struct vscard_bind_args a = { .slot = -1 };
	struct vscard_caller c;
	struct sk_buff *msg;
	struct file *file;
	u32 slot;
	u64 epoch;
	void *hdr;
	int fd, ret;

	if (GENL_REQ_ATTR_CHECK(info, VSCARD_A_POOL) ||
	    GENL_REQ_ATTR_CHECK(info, VSCARD_A_SESSION_KEY) ||
	    GENL_REQ_ATTR_CHECK(info, VSCARD_A_READER_NAME))
		return -EINVAL;
	vscard_nl_caller(skb, &c);
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

	msg = genlmsg_new(3 * nla_total_size(sizeof(u32)) +
			  nla_total_size_64bit(sizeof(u64)), GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		nlmsg_free(msg);
		return fd;
	}
	file = vscard_bfile_bind(&a, &c, &slot, &epoch);
	if (IS_ERR(file)) {
		ret = PTR_ERR(file);
		vscard_nl_bind_err(info, ret);
		goto err_fd;
	}
	hdr = vscard_nl_put_hdr(msg, info->snd_portid, info->snd_seq, 0,
				VSCARD_CMD_BIND);
	if (!hdr || nla_put_u32(msg, VSCARD_A_POOL, a.pool) ||
	    nla_put_u32(msg, VSCARD_A_SLOT, slot) ||
	    nla_put_u64_64bit(msg, VSCARD_A_EPOCH, epoch, VSCARD_A_PAD) ||
	    nla_put_u32(msg, VSCARD_A_FD, fd)) {
		/* Cannot happen: the message was sized for this. */
		ret = -EMSGSIZE;
		goto err_file;
	}
	genlmsg_end(msg, hdr);
	ret = genlmsg_reply(msg, info);
	msg = NULL;	/* consumed */
	if (ret)
		goto err_file;
	fd_install(fd, file);
	return 0;

err_file:
	vscard_bfile_abandon(file);
err_fd:
	put_unused_fd(fd);
	nlmsg_free(msg);
	return ret;
}

static int vscard_nl_unbind(struct sk_buff *skb, struct genl_info *info)
{
	struct vscard_slot *slot;
	int ret;

	slot = vscard_nl_slot(skb, info, false);
	if (IS_ERR(slot))
		return PTR_ERR(slot);
	ret = vscard_slot_unbind(slot);
	put_device(&slot->dev);
	if (ret == -ENOENT)
		NL_SET_ERR_MSG(info->extack, "the slot is not bound");
	else if (ret == -ENODEV)
		NL_SET_ERR_MSG(info->extack, "the slot is being destroyed");
	return ret;
}

/* ------------------------------------------------------------------------ */
/* Events                                                                    */
/* ------------------------------------------------------------------------ */

/*
 * Multicast one event on the "events" group.  Carries no secret: never
 * the session key, never request data; the group is for admins only.
 */
static void vscard_nl_event(u32 event, const struct vscard_event_info *info)
{
	struct vscard_slot *slot = info->slot;
	struct vscard_status *st = NULL;
	struct sk_buff *msg;
	void *hdr;

	if (!genl_has_listeners(&vscard_genl_family, &init_net, 0))
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
	    nla_put_u32(msg, VSCARD_A_POOL, info->pool_id))
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
	if (info->req_id &&
	    nla_put_u64_64bit(msg, VSCARD_A_REQ_ID, info->req_id,
			      VSCARD_A_PAD))
		goto fail;
	genlmsg_end(msg, hdr);
	genlmsg_multicast(&vscard_genl_family, msg, 0, 0, GFP_KERNEL);
	goto out;
fail:
	nlmsg_free(msg);
out:
	kfree(st);
}

static int vscard_nl_slot_event(struct notifier_block *nb, unsigned long event,
				void *data)
{
	vscard_nl_event(event, data);
	return NOTIFY_DONE;
}

static struct notifier_block vscard_nl_events_nb = {
	.notifier_call = vscard_nl_slot_event,
};

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

/*
 * BIND and UNBIND need no capability: their doits check pool ownership.
 * Dumps and GETs are filtered by it.
 */
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
		  vscard_bind_policy, 0),
	VSCARD_OP(VSCARD_CMD_UNBIND, vscard_nl_unbind, NULL,
		  vscard_slot_policy, 0),
};

static const struct genl_multicast_group vscard_genl_mcgrps[] = {
	{ .name = VSCARD_MCGRP_EVENTS, .flags = GENL_MCAST_CAP_NET_ADMIN },
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

/**
 * vscard_nl_init() - register the family, then listen to slot events
 *
 * Return: 0 or a negative errno.
 */
int vscard_nl_init(void)
{
	int ret;

	ret = genl_register_family(&vscard_genl_family);
	if (ret)
		return ret;
	blocking_notifier_chain_register(&vscard_slot_events,
					 &vscard_nl_events_nb);
	return 0;
}

/**
 * vscard_nl_exit() - stop listening, then unregister the family (waiting
 *		      for running doits)
 */
void vscard_nl_exit(void)
{
	blocking_notifier_chain_unregister(&vscard_slot_events,
					   &vscard_nl_events_nb);
	genl_unregister_family(&vscard_genl_family);
}
