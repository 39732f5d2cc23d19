// SPDX-License-Identifier: GPL-2.0
/*
 * vscard bindings: a remote reader bound to a slot by an agent socket.
 *
 * The owner of a binding is the netlink socket that sent BIND, held with
 * sock_hold() so the pointer stays unique while we keep it: every owner
 * check compares socket pointers, never bare portids, so a recycled portid
 * can never be mistaken for the owner.  The binding ends on UNBIND, when
 * the socket is released (NETLINK_URELEASE, see vscard_owner_release()),
 * when a unicast to it fails with -ECONNREFUSED, or when the slot dies.
 *
 * Linger: a binding released with a linger time keeps the slot reserved
 * for its session key.  The slot reads "no card" with
 * VSCARD_STATUS_LINGERING, requests fail with -ENOMEDIUM, a BIND with the
 * same key takes it back (new epoch) and slot->linger_work frees it on
 * expiry.
 */
#include <linux/jiffies.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "vscard.h"
#include "vscard_trace.h"

/**
 * vscard_is_owner() - does @owner own the binding of @slot?
 * @slot:	the slot, slot->lock held
 * @owner:	the sender of a command
 *
 * Return: true if @slot is bound by the very socket of @owner.
 */
bool vscard_is_owner(struct vscard_slot *slot, const struct vscard_owner *owner)
{
	lockdep_assert_held(&slot->lock);
	return slot->bind.state == VSCARD_BOUND && owner->sk &&
	       slot->bind.owner.sk == owner->sk;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_is_owner);

/**
 * vscard_release_binding_locked() - end the binding of a slot
 * @slot:	the slot, slot->lock held
 * @linger_ms:	keep the slot reserved for the session key this long (0:
 *		free it now)
 * @status:	the error pending requests fail with
 *
 * A lingering binding released again is freed.
 */
void vscard_release_binding_locked(struct vscard_slot *slot, u32 linger_ms,
				   int status)
	__must_hold(&slot->lock)
{
	struct vscard_binding *b = &slot->bind;
	struct sock *sk = b->owner.sk;
	bool linger = linger_ms && !slot->dead && b->state == VSCARD_BOUND;
	unsigned int n;

	lockdep_assert_held(&slot->lock);
	if (b->state == VSCARD_UNBOUND)
		return;

	b->owner.sk = NULL;
	b->owner.portid = 0;
	b->push = false;
	n = vscard_reqs_abort_all(&slot->reqs, status);
	atomic64_add(n, &slot->stats.aborted);
	trace_vscard_binding_release(MINOR(slot->dev.devt), slot->epoch, n,
				     status, linger);

	if (linger) {
		b->state = VSCARD_LINGERING;
		b->linger_epoch = slot->epoch;
		mod_delayed_work(system_wq, &slot->linger_work,
				 msecs_to_jiffies(linger_ms));
	} else {
		b->state = VSCARD_UNBOUND;
		memzero_explicit(b->key, sizeof(b->key));
		b->key_len = 0;
	}

	spin_lock(&slot->status_lock);
	slot->flags &= ~(VSCARD_STATUS_BOUND | VSCARD_STATUS_PRESENT |
			 VSCARD_STATUS_POWERED | VSCARD_STATUS_LINGERING);
	if (linger) {
		slot->flags |= VSCARD_STATUS_LINGERING;
	} else {
		slot->name[0] = '\0';
		slot->key_hash = 0;
	}
	slot->atr_len = 0;
	slot->protocols = 0;
	slot->active_protocol = 0;
	slot->seq++;
	spin_unlock(&slot->status_lock);
	vscard_slot_changed(slot);

	if (!slot->dead)
		vscard_nl_event(linger ? VSCARD_EVENT_LINGER :
				VSCARD_EVENT_UNBIND, slot, slot->pool_id, 0);
	if (sk)
		sock_put(sk);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_release_binding_locked);

/**
 * vscard_linger_expire() - free a slot whose reservation expired
 * @work:	slot->linger_work
 */
void vscard_linger_expire(struct work_struct *work)
{
	struct vscard_slot *slot = container_of(to_delayed_work(work),
						struct vscard_slot,
						linger_work);

	mutex_lock(&slot->lock);
	/* A rebind bumped the epoch: this expiry is stale. */
	if (!slot->dead && slot->bind.state == VSCARD_LINGERING &&
	    slot->bind.linger_epoch == slot->epoch)
		vscard_release_binding_locked(slot, 0, -ENOMEDIUM);
	mutex_unlock(&slot->lock);
}

/* Can a BIND with this key take the slot?  2: lingering for the key and
 * name, 1: lingering for the key, 0: free, -1: no.
 */
static int vscard_bind_score(struct vscard_slot *slot,
			     const struct vscard_bind_args *a)
{
	const struct vscard_binding *b = &slot->bind;
	int score = -1;

	lockdep_assert_held(&slot->lock);
	if (slot->dead)
		return -1;
	if (b->state == VSCARD_UNBOUND)
		return 0;
	if (b->state == VSCARD_LINGERING && b->key_len == a->key_len &&
	    !memcmp(b->key, a->key, a->key_len)) {
		spin_lock(&slot->status_lock);
		score = strcmp(slot->name, a->name) ? 1 : 2;
		spin_unlock(&slot->status_lock);
	}
	return score;
}

static struct vscard_slot *vscard_bind_pick(struct vscard_pool *pool,
					    const struct vscard_bind_args *a)
{
	struct vscard_slot *best = NULL;
	int best_score = -1;
	u32 i;

	for (i = 0; i < pool->nslots; i++) {
		struct vscard_slot *slot = pool->slots[i];
		int score;

		mutex_lock(&slot->lock);
		score = vscard_bind_score(slot, a);
		mutex_unlock(&slot->lock);
		if (score > best_score) {
			best = slot;
			best_score = score;
		}
	}
	return best;
}

/**
 * vscard_bind() - bind a remote reader to a slot
 * @owner:	the agent socket; becomes the owner
 * @a:		what to bind, see VSCARD_CMD_BIND
 * @slotp:	out: the slot (no reference: valid while the registry lock
 *		would be held; use only its ids)
 * @epoch:	out: the new epoch
 *
 * Return: 0; -ENOENT no such pool or slot; -EBUSY the slot (or every
 * slot) is bound or lingering for another session; -EINVAL bad arguments.
 */
int vscard_bind(const struct vscard_owner *owner,
		const struct vscard_bind_args *a,
		struct vscard_slot **slotp, u64 *epoch)
{
	struct vscard_pool *pool;
	struct vscard_slot *slot;
	int ret = 0;

	if (!owner->sk || a->key_len < VSCARD_KEY_MIN ||
	    a->key_len > VSCARD_KEY_MAX ||
	    strnlen(a->name, VSCARD_NAME_MAX) >= VSCARD_NAME_MAX)
		return -EINVAL;

	mutex_lock(&vscard_registry_lock);
	pool = xa_load(&vscard_pools, a->pool);
	if (!pool) {
		ret = -ENOENT;
		goto out;
	}
	if (a->slot >= 0) {
		if (a->slot >= pool->nslots) {
			ret = -ENOENT;
			goto out;
		}
		slot = pool->slots[a->slot];
	} else {
		slot = vscard_bind_pick(pool, a);
		if (!slot) {
			ret = -EBUSY;
			goto out;
		}
	}

	mutex_lock(&slot->lock);
	if (vscard_bind_score(slot, a) < 0) {
		mutex_unlock(&slot->lock);
		ret = slot->dead ? -ENODEV : -EBUSY;
		goto out;
	}
	/* Take it: a stale linger expiry sees the new epoch and stops. */
	sock_hold(owner->sk);
	slot->bind.state = VSCARD_BOUND;
	slot->bind.owner = *owner;
	memcpy(slot->bind.key, a->key, a->key_len);
	slot->bind.key_len = a->key_len;
	slot->bind.timeout_ms = a->timeout_ms;
	slot->bind.linger_ms = a->linger_ms;
	slot->bind.push = a->push;
	/* A new owner has been sent no hint yet. */
	xa_lock(&slot->reqs.xa);
	slot->reqs.hint_armed = true;
	xa_unlock(&slot->reqs.xa);

	spin_lock(&slot->status_lock);
	slot->epoch++;
	*epoch = slot->epoch;
	slot->flags = VSCARD_STATUS_BOUND;
	slot->atr_len = 0;
	slot->protocols = 0;
	slot->active_protocol = 0;
	strscpy(slot->name, a->name, sizeof(slot->name));
	slot->key_hash = vscard_key_hash(a->key, a->key_len);
	slot->seq++;
	spin_unlock(&slot->status_lock);
	atomic64_inc(&slot->stats.binds);
	vscard_slot_changed(slot);
	vscard_nl_event(VSCARD_EVENT_BIND, slot, slot->pool_id, 0);
	mutex_unlock(&slot->lock);
	*slotp = slot;
out:
	mutex_unlock(&vscard_registry_lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_bind);

/**
 * vscard_unbind() - the owner ends its binding
 * @slot:	the slot
 * @owner:	the sender
 * @linger_ms:	reserve the slot for the session key this long
 *
 * Return: 0; -EPERM if @owner does not own the slot; -ENODEV.
 */
int vscard_unbind(struct vscard_slot *slot, const struct vscard_owner *owner,
		  u32 linger_ms)
{
	int ret = 0;

	mutex_lock(&slot->lock);
	if (slot->dead)
		ret = -ENODEV;
	else if (!vscard_is_owner(slot, owner))
		ret = -EPERM;
	else
		vscard_release_binding_locked(slot, linger_ms, -ENOMEDIUM);
	mutex_unlock(&slot->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_unbind);

/**
 * vscard_card_set() - the owner reports the remote card state
 * @slot:	the slot
 * @owner:	the sender
 * @present:	card present
 * @atr:	its ATR (required if present)
 * @atr_len:	ATR length, 1..VSCARD_ATR_MAX
 * @protocols:	VSCARD_PROTO_* the card supports
 *
 * An insertion, or a new ATR while present, counts as an insertion; a
 * removal or a replacement fails the pending requests with -ENOMEDIUM.
 *
 * Return: 0; -EPERM; -EINVAL; -ENODEV.
 */
int vscard_card_set(struct vscard_slot *slot, const struct vscard_owner *owner,
		    bool present, const u8 *atr, u32 atr_len, u32 protocols)
{
	bool was, replaced = false, changed = false;
	unsigned int n;
	int ret = 0;

	if (present && (!atr || !atr_len || atr_len > VSCARD_ATR_MAX))
		return -EINVAL;

	mutex_lock(&slot->lock);
	if (slot->dead) {
		ret = -ENODEV;
		goto out;
	}
	if (!vscard_is_owner(slot, owner)) {
		ret = -EPERM;
		goto out;
	}

	spin_lock(&slot->status_lock);
	was = slot->flags & VSCARD_STATUS_PRESENT;
	if (present) {
		replaced = was && (slot->atr_len != atr_len ||
				   memcmp(slot->atr, atr, atr_len));
		changed = !was || replaced || slot->protocols != protocols;
		if (!was || replaced) {
			slot->insert_count++;
			slot->flags &= ~VSCARD_STATUS_POWERED;
			slot->active_protocol = 0;
		}
		slot->flags |= VSCARD_STATUS_PRESENT;
		memcpy(slot->atr, atr, atr_len);
		slot->atr_len = atr_len;
		slot->protocols = protocols;
	} else if (was) {
		changed = true;
		slot->flags &= ~(VSCARD_STATUS_PRESENT | VSCARD_STATUS_POWERED);
		slot->atr_len = 0;
		slot->protocols = 0;
		slot->active_protocol = 0;
	}
	if (changed)
		slot->seq++;
	spin_unlock(&slot->status_lock);

	if ((was && !present) || replaced) {
		n = vscard_reqs_abort_all(&slot->reqs, -ENOMEDIUM);
		atomic64_add(n, &slot->stats.aborted);
	}
	if (changed) {
		vscard_slot_changed(slot);
		if (was && (!present || replaced))
			vscard_nl_event(VSCARD_EVENT_CARD_OUT, slot,
					slot->pool_id, 0);
		if (present && (!was || replaced))
			vscard_nl_event(VSCARD_EVENT_CARD_IN, slot,
					slot->pool_id, 0);
	}
out:
	mutex_unlock(&slot->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_card_set);

/**
 * vscard_owner_lost() - a unicast to the owner found no socket
 * @slot:	the slot
 * @sk:		the socket we sent to
 *
 * Same as the owner's release, if @sk still owns the slot.
 */
void vscard_owner_lost(struct vscard_slot *slot, struct sock *sk)
{
	mutex_lock(&slot->lock);
	if (slot->bind.state == VSCARD_BOUND && slot->bind.owner.sk == sk)
		vscard_release_binding_locked(slot, slot->bind.linger_ms,
					      -ENOMEDIUM);
	mutex_unlock(&slot->lock);
}

/**
 * vscard_owner_release() - release every binding of a closed socket
 * @net:	netns of the released socket
 * @portid:	its portid
 *
 * Called from the NETLINK_URELEASE notifier.  netlink_release() orphans
 * the socket (SOCK_DEAD) before it runs the notifier chain, and a socket
 * we hold cannot be freed, so "same netns, same portid and SOCK_DEAD"
 * identifies the released socket: a live socket that recycled the portid
 * is not dead.
 *
 * Return: the number of bindings released.
 */
unsigned int vscard_owner_release(struct net *net, u32 portid)
{
	struct vscard_pool *pool;
	unsigned long id;
	unsigned int n = 0;
	u32 i;

	mutex_lock(&vscard_registry_lock);
	xa_for_each(&vscard_pools, id, pool) {
		for (i = 0; i < pool->nslots; i++) {
			struct vscard_slot *slot = pool->slots[i];
			struct sock *sk;

			mutex_lock(&slot->lock);
			sk = slot->bind.owner.sk;
			if (slot->bind.state == VSCARD_BOUND &&
			    slot->bind.owner.portid == portid &&
			    net_eq(sock_net(sk), net) &&
			    sock_flag(sk, SOCK_DEAD)) {
				vscard_release_binding_locked
					(slot, slot->bind.linger_ms, -ENOMEDIUM);
				n++;
			}
			mutex_unlock(&slot->lock);
		}
	}
	mutex_unlock(&vscard_registry_lock);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_owner_release);

/**
 * vscard_req_fetch() - the oldest unfetched request of any slot owned by
 *			@owner
 * @owner:	the agent socket
 * @slotp:	out: its slot, with a device reference the caller drops
 *
 * The request is returned with a reference but not yet marked fetched:
 * the caller sizes its reply, then calls vscard_reqs_mark_fetched().
 *
 * Return: the request, or NULL if there is none.
 */
struct vscard_req *vscard_req_fetch(const struct vscard_owner *owner,
				    struct vscard_slot **slotp)
{
	struct vscard_slot *best_slot = NULL;
	struct vscard_req *best = NULL;
	struct vscard_pool *pool;
	unsigned long id;
	u32 i;

	mutex_lock(&vscard_registry_lock);
	xa_for_each(&vscard_pools, id, pool) {
		for (i = 0; i < pool->nslots; i++) {
			struct vscard_slot *slot = pool->slots[i];
			struct vscard_req *req = NULL;

			mutex_lock(&slot->lock);
			if (!slot->dead && vscard_is_owner(slot, owner))
				req = vscard_reqs_peek(&slot->reqs);
			mutex_unlock(&slot->lock);
			if (!req)
				continue;
			if (best && best->order < req->order) {
				vscard_req_put(req);
				continue;
			}
			if (best) {
				vscard_req_put(best);
				put_device(&best_slot->dev);
			}
			best = req;
			best_slot = slot;
			get_device(&slot->dev);
		}
	}
	mutex_unlock(&vscard_registry_lock);
	*slotp = best_slot;
	return best;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_req_fetch);

/**
 * vscard_req_done() - the owner completes a request
 * @slot:	the slot
 * @owner:	the sender
 * @id:		request id
 * @status:	0 or a negative errno for the caller
 * @result:	remote status word
 * @protocols:	negotiated protocol (power requests), 0 if none
 * @data:	first attribute of the message (VSCARD_A_DATA are used)
 * @data_len:	length of the attribute stream
 *
 * Return: 0 (the caller was woken; a response larger than it accepts
 * fails it with -ENOBUFS); -ENOENT unknown, late or duplicate id; -EPERM
 * not the owner; -EINVAL response too large; -ENODEV.
 */
int vscard_req_done(struct vscard_slot *slot, const struct vscard_owner *owner,
		    u64 id, int status, u32 result, u32 protocols,
		    const struct nlattr *data, int data_len)
{
	const struct nlattr *nla;
	struct vscard_req *req;
	size_t total = 0;
	int rem;

	nla_for_each_attr(nla, data, data_len, rem)
		if (nla_type(nla) == VSCARD_A_DATA)
			total += nla_len(nla);
	if (total > VSCARD_DATA_MAX)
		return -EINVAL;

	mutex_lock(&slot->lock);
	if (slot->dead) {
		mutex_unlock(&slot->lock);
		return -ENODEV;
	}
	if (!vscard_is_owner(slot, owner)) {
		mutex_unlock(&slot->lock);
		return -EPERM;
	}
	req = vscard_reqs_claim(&slot->reqs, id);
	mutex_unlock(&slot->lock);
	if (!req) {
		atomic64_inc(&slot->stats.stale);
		return -ENOENT;
	}

	/* We erased it: we own the completion. */
	req->result = result;
	req->protocols = protocols;
	if (!status && total > req->rx_max) {
		req->rx_len = total;
		status = -ENOBUFS;
	} else if (!status && total) {
		req->rx = kvmalloc(total, GFP_KERNEL);
		if (req->rx) {
			u8 *p = req->rx;

			nla_for_each_attr(nla, data, data_len, rem) {
				if (nla_type(nla) != VSCARD_A_DATA)
					continue;
				memcpy(p, nla_data(nla), nla_len(nla));
				p += nla_len(nla);
			}
			req->rx_len = total;
		} else {
			status = -ENOMEM;
		}
	}
	atomic64_inc(&slot->stats.completed);
	trace_vscard_req_complete(MINOR(slot->dev.devt), id, status,
				  req->rx_len);
	vscard_req_finish(req, status);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_req_done);
