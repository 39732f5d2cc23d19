// SPDX-License-Identifier: GPL-2.0
/*
 * vscard slots: the status of one remote reader slot, its binding state
 * machine and the request path between the slot's device users and the
 * owner of its binding.
 *
 * A binding has an owner object (the binding file, vscard_bfile.c) reached
 * only through the vscard_owner_ops it registered at bind time: the slot
 * never calls up into its owner's code.  Every owner operation names the
 * owner object and is refused (-ENODEV) unless that object still owns the
 * binding, so an owner whose binding ended can never touch a later one.
 *
 * Linger: an owner that goes away while its binding asked for a linger
 * time leaves the slot reserved for the binder's uid and session key.  The
 * slot reads "no card" with VSCARD_STATUS_LINGERING, requests fail with
 * -ENOMEDIUM, a BIND by the same uid with the same key takes it back (new
 * epoch) and slot->linger_work frees it on expiry.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/jiffies.h>
#include <linux/moduleparam.h>
#include <linux/pid.h>
#include <linux/poll.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/siphash.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "vscard_slot.h"
#include "vscard_trace.h"

static unsigned int request_timeout_ms = 30000;
module_param(request_timeout_ms, uint, 0644);
MODULE_PARM_DESC(request_timeout_ms,
		 "Default request deadline in ms (default 30000)");

static int vscard_param_set_max(const char *val, const struct kernel_param *kp)
{
	/* 0 would mean "no deadline": every request wait is bounded. */
	return param_set_uint_minmax(val, kp, 1, 24 * 3600 * 1000);
}

static const struct kernel_param_ops vscard_param_max_ops = {
	.set = vscard_param_set_max,
	.get = param_get_uint,
};

static unsigned int request_timeout_max_ms = 300000;
module_param_cb(request_timeout_max_ms, &vscard_param_max_ops,
		&request_timeout_max_ms, 0644);
MODULE_PARM_DESC(request_timeout_max_ms,
		 "Upper bound of any request deadline in ms, 1..86400000 (default 300000)");

static siphash_key_t vscard_hash_secret;

struct blocking_notifier_head vscard_slot_events =
	BLOCKING_NOTIFIER_INIT(vscard_slot_events);
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_events);

/**
 * vscard_event() - tell the event listeners about a change
 * @event:	enum vscard_event
 * @slot:	the slot concerned, or NULL for pool events
 * @pool_id:	the pool
 * @req_id:	request id (REQ_TIMEOUT), else 0
 */
void vscard_event(u32 event, struct vscard_slot *slot, u32 pool_id, u64 req_id)
{
	struct vscard_event_info info = {
		.slot = slot,
		.pool_id = pool_id,
		.req_id = req_id,
	};

	blocking_notifier_call_chain(&vscard_slot_events, event, &info);
}

/**
 * vscard_timeout_ms() - effective deadline of a request
 * @requested:	the caller's deadline, 0 = default
 * @binding_default: the binding's default, 0 = module default
 *
 * Return: the deadline in ms, at least 1, at most request_timeout_max_ms.
 */
u32 vscard_timeout_ms(u32 requested, u32 binding_default)
{
	u32 max = READ_ONCE(request_timeout_max_ms);
	u32 t = requested;

	if (!t)
		t = binding_default;
	if (!t)
		t = READ_ONCE(request_timeout_ms);
	return clamp(t, 1U, max);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_timeout_ms);

static u64 vscard_key_hash(const u8 *key, u32 len)
{
	get_random_once(&vscard_hash_secret, sizeof(vscard_hash_secret));
	return siphash(key, len, &vscard_hash_secret);
}

/*
 * Session keys are secrets: compare them in time that depends on the
 * length only (crypto_memneq() would need CONFIG_CRYPTO).
 */
static bool vscard_key_eq(const u8 *a, const u8 *b, u32 len)
{
	u8 diff = 0;
	u32 i;

	for (i = 0; i < len; i++) {
		diff |= a[i] ^ b[i];
		OPTIMIZER_HIDE_VAR(diff);
	}
	return !diff;
}

static void vscard_linger_expire(struct work_struct *work);

/**
 * vscard_slot_new() - allocate a slot, not yet published
 * @pool_id:	pool id
 * @index:	index in the pool
 * @uid:	owner of its device node
 * @gid:	group of its device node
 * @mode:	mode of its device node
 *
 * Return: the slot, freed with vscard_slot_free() until its device holds
 * it; NULL on allocation failure.
 */
struct vscard_slot *vscard_slot_new(u32 pool_id, u32 index, kuid_t uid,
				    kgid_t gid, umode_t mode)
{
	struct vscard_slot *slot = kzalloc(sizeof(*slot), GFP_KERNEL_ACCOUNT);

	if (!slot)
		return NULL;
	slot->pool_id = pool_id;
	slot->index = index;
	slot->uid = uid;
	slot->gid = gid;
	slot->mode = mode;
	mutex_init(&slot->lock);
	vscard_reqs_init(&slot->reqs);
	INIT_DELAYED_WORK(&slot->linger_work, vscard_linger_expire);
	spin_lock_init(&slot->status_lock);
	init_waitqueue_head(&slot->wq);
	slot->seq = 1;
	return slot;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_new);

/**
 * vscard_slot_free() - free a slot (its device's release)
 * @slot:	the slot, unbound and without requests
 */
void vscard_slot_free(struct vscard_slot *slot)
{
	vscard_reqs_destroy(&slot->reqs);
	kfree(slot);
}

/* Wake the device node's status waiters and pollers. */
static void vscard_slot_changed(struct vscard_slot *slot)
{
	wake_up_interruptible_poll(&slot->wq,
				   EPOLLIN | EPOLLPRI | EPOLLRDNORM |
				   EPOLLOUT | EPOLLWRNORM);
}

/* Clear the card state (status_lock held); the caller bumps seq. */
static void vscard_slot_clear_card(struct vscard_slot *slot)
{
	slot->flags &= ~(VSCARD_STATUS_PRESENT | VSCARD_STATUS_POWERED);
	slot->atr_len = 0;
	slot->protocols = 0;
	slot->active_protocol = 0;
}

/*
 * End the binding of a slot (slot->lock held).  With @linger and a live
 * bound slot the reservation is kept for the binder's uid and key; a
 * lingering binding released again is freed.  @tell_owner: the owner did
 * not ask for this, tell it the binding ended.
 */
static void vscard_slot_release(struct vscard_slot *slot, bool linger,
				int status, bool tell_owner)
	__must_hold(&slot->lock)
{
	struct vscard_binding *b = &slot->bind;
	unsigned int n;

	lockdep_assert_held(&slot->lock);
	if (b->state == VSCARD_UNBOUND)
		return;
	linger = linger && b->linger_ms && !slot->dead &&
		 b->state == VSCARD_BOUND;

	if (b->state == VSCARD_BOUND && tell_owner)
		b->ops->ended(b->owner);
	b->owner = NULL;
	b->ops = NULL;
	n = vscard_reqs_abort_all(&slot->reqs, status);
	atomic64_add(n, &slot->stats.aborted);
	trace_vscard_binding_release(MINOR(slot->dev.devt), slot->epoch, n,
				     status, linger);

	if (linger) {
		b->state = VSCARD_LINGERING;
		b->linger_epoch = slot->epoch;
		mod_delayed_work(system_wq, &slot->linger_work,
				 msecs_to_jiffies(b->linger_ms));
	} else {
		b->state = VSCARD_UNBOUND;
		memzero_explicit(b->key, sizeof(b->key));
		b->key_len = 0;
		put_pid(b->pid);
		b->pid = NULL;
	}

	spin_lock(&slot->status_lock);
	slot->flags &= ~(VSCARD_STATUS_BOUND | VSCARD_STATUS_LINGERING);
	vscard_slot_clear_card(slot);
	if (linger) {
		slot->flags |= VSCARD_STATUS_LINGERING;
	} else {
		slot->name[0] = '\0';
		slot->key_hash = 0;
	}
	slot->seq++;
	spin_unlock(&slot->status_lock);
	vscard_slot_changed(slot);

	if (!slot->dead)
		vscard_event(linger ? VSCARD_EVENT_LINGER :
			     VSCARD_EVENT_UNBIND, slot, slot->pool_id, 0);
}

static void vscard_linger_expire(struct work_struct *work)
{
	struct vscard_slot *slot = container_of(to_delayed_work(work),
						struct vscard_slot,
						linger_work);

	mutex_lock(&slot->lock);
	/* A rebind bumped the epoch: this expiry is stale. */
	if (!slot->dead && slot->bind.state == VSCARD_LINGERING &&
	    slot->bind.linger_epoch == slot->epoch)
		vscard_slot_release(slot, false, -ENOMEDIUM, false);
	mutex_unlock(&slot->lock);
}

/**
 * vscard_slot_kill() - destroy a slot
 * @slot:	the slot, unpublished by the caller
 *
 * Mark dead, end the binding (its owner is told), fail pending requests
 * with -ENODEV, hang up pollers.  The caller drops its reference after.
 */
void vscard_slot_kill(struct vscard_slot *slot)
{
	mutex_lock(&slot->lock);
	WRITE_ONCE(slot->dead, true);
	vscard_slot_release(slot, false, -ENODEV, true);
	mutex_unlock(&slot->lock);
	/* Nobody can queue any more: dead is set. */
	vscard_reqs_abort_all(&slot->reqs, -ENODEV);
	cancel_delayed_work_sync(&slot->linger_work);

	spin_lock(&slot->status_lock);
	slot->seq++;
	spin_unlock(&slot->status_lock);
	wake_up_interruptible_poll(&slot->wq, EPOLLHUP | EPOLLERR);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_kill);

static int vscard_slot_score_locked(struct vscard_slot *slot,
				    const struct vscard_bind_args *a,
				    kuid_t uid)
{
	const struct vscard_binding *b = &slot->bind;
	int score = -1;

	lockdep_assert_held(&slot->lock);
	if (slot->dead)
		return -1;
	if (b->state == VSCARD_UNBOUND)
		return 0;
	if (b->state == VSCARD_LINGERING && uid_eq(b->uid, uid) &&
	    b->key_len == a->key_len &&
	    vscard_key_eq(b->key, a->key, a->key_len)) {
		spin_lock(&slot->status_lock);
		score = strcmp(slot->name, a->name) ? 1 : 2;
		spin_unlock(&slot->status_lock);
	}
	return score;
}

/**
 * vscard_slot_bind_score() - can a BIND take this slot?
 * @slot:	the slot
 * @a:		the BIND
 * @uid:	the binder
 *
 * Return: 2 lingering for @uid, the key and the name; 1 lingering for @uid
 * and the key; 0 free; -1 no.  Keys are compared in constant time.
 */
int vscard_slot_bind_score(struct vscard_slot *slot,
			   const struct vscard_bind_args *a, kuid_t uid)
{
	int score;

	mutex_lock(&slot->lock);
	score = vscard_slot_score_locked(slot, a, uid);
	mutex_unlock(&slot->lock);
	return score;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_bind_score);

/**
 * vscard_slot_bind() - bind a remote reader to a slot
 * @slot:	the slot
 * @a:		what to bind (key and name validated by the caller)
 * @uid:	the binder
 * @owner:	the owner object
 * @ops:	its callbacks
 * @epoch:	out: the new epoch
 *
 * Return: 0; -EBUSY bound, or lingering for another uid or key; -ENODEV.
 */
int vscard_slot_bind(struct vscard_slot *slot, const struct vscard_bind_args *a,
		     kuid_t uid, void *owner,
		     const struct vscard_owner_ops *ops, u64 *epoch)
{
	struct vscard_binding *b = &slot->bind;

	mutex_lock(&slot->lock);
	if (vscard_slot_score_locked(slot, a, uid) < 0) {
		mutex_unlock(&slot->lock);
		return slot->dead ? -ENODEV : -EBUSY;
	}
	/* A stale linger expiry sees the new epoch and stops. */
	put_pid(b->pid);
	b->pid = get_pid(task_tgid(current));
	b->state = VSCARD_BOUND;
	b->owner = owner;
	b->ops = ops;
	b->uid = uid;
	memcpy(b->key, a->key, a->key_len);
	b->key_len = a->key_len;
	b->timeout_ms = a->timeout_ms;
	b->linger_ms = a->linger_ms;

	spin_lock(&slot->status_lock);
	slot->epoch++;
	*epoch = slot->epoch;
	slot->flags = VSCARD_STATUS_BOUND;
	vscard_slot_clear_card(slot);
	strscpy(slot->name, a->name, sizeof(slot->name));
	slot->key_hash = vscard_key_hash(a->key, a->key_len);
	slot->seq++;
	spin_unlock(&slot->status_lock);
	atomic64_inc(&slot->stats.binds);
	vscard_slot_changed(slot);
	vscard_event(VSCARD_EVENT_BIND, slot, slot->pool_id, 0);
	mutex_unlock(&slot->lock);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_bind);

/**
 * vscard_slot_unbind() - end a slot's binding or linger now (UNBIND)
 * @slot:	the slot
 *
 * The owner, if any, is told (its file reads end of file).
 *
 * Return: 0; -ENOENT nothing bound or lingering; -ENODEV.
 */
int vscard_slot_unbind(struct vscard_slot *slot)
{
	int ret = 0;

	mutex_lock(&slot->lock);
	if (slot->dead)
		ret = -ENODEV;
	else if (slot->bind.state == VSCARD_UNBOUND)
		ret = -ENOENT;
	else
		vscard_slot_release(slot, false, -ENOMEDIUM, true);
	mutex_unlock(&slot->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_unbind);

/**
 * vscard_slot_owner_gone() - the owner goes away
 * @slot:	the slot
 * @owner:	the owner object
 * @linger:	keep the reservation the binding asked for
 *
 * Nothing happens if @owner no longer owns the binding.  Pending requests
 * fail with -ENOMEDIUM at once.
 */
void vscard_slot_owner_gone(struct vscard_slot *slot, void *owner, bool linger)
{
	mutex_lock(&slot->lock);
	if (slot->bind.state == VSCARD_BOUND && slot->bind.owner == owner)
		vscard_slot_release(slot, linger, -ENOMEDIUM, false);
	mutex_unlock(&slot->lock);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_owner_gone);

static bool vscard_slot_owned_by(struct vscard_slot *slot, void *owner)
{
	lockdep_assert_held(&slot->lock);
	return !slot->dead && slot->bind.state == VSCARD_BOUND &&
	       slot->bind.owner == owner;
}

/**
 * vscard_slot_take_req() - the owner reads the oldest unread request
 * @slot:	the slot
 * @owner:	the owner object
 * @room:	bytes the reader can take
 * @hdr:	message header bytes in front of the command
 *
 * Return: the request with a reference (vscard_req_put()); NULL if none is
 * queued; ERR_PTR(-EMSGSIZE) if it does not fit; ERR_PTR(-ENODEV) if
 * @owner no longer owns the binding.
 */
struct vscard_req *vscard_slot_take_req(struct vscard_slot *slot, void *owner,
					size_t room, size_t hdr)
{
	struct vscard_req *req;

	mutex_lock(&slot->lock);
	if (vscard_slot_owned_by(slot, owner))
		req = vscard_reqs_take(&slot->reqs, room, hdr);
	else
		req = ERR_PTR(-ENODEV);
	mutex_unlock(&slot->lock);
	return req;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_take_req);

/**
 * vscard_slot_untake_req() - a taken request could not be delivered
 * @slot:	the slot
 * @req:	the request; it goes back in its place if still pending
 */
void vscard_slot_untake_req(struct vscard_slot *slot, struct vscard_req *req)
{
	mutex_lock(&slot->lock);
	vscard_reqs_unfetch(&slot->reqs, req);
	if (vscard_reqs_any_queued(&slot->reqs) &&
	    slot->bind.state == VSCARD_BOUND)
		slot->bind.ops->queued(slot->bind.owner);
	mutex_unlock(&slot->lock);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_untake_req);

/**
 * vscard_slot_complete() - the owner completes a request
 * @slot:	the slot
 * @owner:	the owner object
 * @id:		request id
 * @status:	0 or a negative errno for the caller
 * @result:	remote status word
 * @protocols:	negotiated protocol (power requests), 0 if none
 * @rx:		response bytes (kvmalloc()ed; consumed), NULL if none
 * @rx_len:	status 0: length of @rx; -ENOBUFS: the length needed
 *
 * Return: 0 (the caller was woken; a response larger than it accepts
 * fails it with -ENOBUFS); -ENOENT unknown, late or duplicate id; -ENODEV
 * @owner no longer owns the binding.
 */
int vscard_slot_complete(struct vscard_slot *slot, void *owner, u64 id,
			 int status, u32 result, u32 protocols, u8 *rx,
			 u32 rx_len)
{
	struct vscard_req *req = NULL;
	int ret = 0;

	mutex_lock(&slot->lock);
	if (!vscard_slot_owned_by(slot, owner))
		ret = -ENODEV;
	else
		req = vscard_reqs_claim(&slot->reqs, id);
	mutex_unlock(&slot->lock);
	if (ret)
		goto out;
	if (!req) {
		atomic64_inc(&slot->stats.stale);
		ret = -ENOENT;
		goto out;
	}

	/* We erased it: we own the completion. */
	req->result = result;
	req->protocols = protocols;
	if (status == -ENOBUFS || (!status && rx_len > req->rx_max)) {
		req->rx_len = rx_len;
		status = -ENOBUFS;
	} else if (!status) {
		req->rx = rx;
		req->rx_len = rx_len;
		rx = NULL;
	}
	atomic64_inc(&slot->stats.completed);
	trace_vscard_req_complete(MINOR(slot->dev.devt), id, status,
				  req->rx_len);
	vscard_req_finish(req, status);
out:
	kvfree(rx);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_complete);

/**
 * vscard_slot_card_set() - the owner reports the remote card state
 * @slot:	the slot
 * @owner:	the owner object
 * @present:	card present
 * @atr:	its ATR (present only)
 * @atr_len:	ATR length, 1..VSCARD_ATR_MAX (present only)
 * @protocols:	VSCARD_PROTO_* the card supports
 *
 * An insertion, or a new ATR while present, counts as an insertion; a
 * removal or a replacement fails the pending requests with -ENOMEDIUM.
 *
 * Return: 0; -EINVAL; -ENODEV @owner no longer owns the binding.
 */
int vscard_slot_card_set(struct vscard_slot *slot, void *owner, bool present,
			 const u8 *atr, u32 atr_len, u32 protocols)
{
	bool was, replaced = false, changed = false;
	unsigned int n;

	if (present && (!atr_len || atr_len > VSCARD_ATR_MAX))
		return -EINVAL;

	mutex_lock(&slot->lock);
	if (!vscard_slot_owned_by(slot, owner)) {
		mutex_unlock(&slot->lock);
		return -ENODEV;
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
		vscard_slot_clear_card(slot);
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
			vscard_event(VSCARD_EVENT_CARD_OUT, slot,
				     slot->pool_id, 0);
		if (present && (!was || replaced))
			vscard_event(VSCARD_EVENT_CARD_IN, slot,
				     slot->pool_id, 0);
	}
	mutex_unlock(&slot->lock);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_card_set);

/**
 * vscard_slot_get_status() - atomic snapshot of a slot's status
 * @slot:	the slot
 * @st:		filled in
 */
void vscard_slot_get_status(struct vscard_slot *slot, struct vscard_status *st)
{
	memset(st, 0, sizeof(*st));
	st->pool = slot->pool_id;
	st->slot = slot->index;
	spin_lock(&slot->status_lock);
	st->seq = slot->seq;
	st->insert_count = slot->insert_count;
	st->epoch = slot->epoch;
	st->flags = slot->flags;
	st->protocols = slot->protocols;
	st->active_protocol = slot->active_protocol;
	st->atr_len = slot->atr_len;
	memcpy(st->atr, slot->atr, slot->atr_len);
	strscpy(st->reader_name, slot->name, sizeof(st->reader_name));
	spin_unlock(&slot->status_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_get_status);

/**
 * vscard_slot_poll_mask() - poll events of the device node for a reader
 *			     that last saw sequence @seen_seq
 * @slot:	the slot
 * @seen_seq:	the sequence the file last read with GET_STATUS
 *
 * The caller registered on slot->wq before calling this.
 *
 * Return: EPOLLHUP | EPOLLERR if dead; EPOLLIN | EPOLLPRI | EPOLLRDNORM if
 * the status changed; EPOLLOUT | EPOLLWRNORM if a request can be submitted.
 */
__poll_t vscard_slot_poll_mask(struct vscard_slot *slot, u64 seen_seq)
{
	__poll_t mask = 0;
	bool ready;

	if (READ_ONCE(slot->dead))
		return EPOLLHUP | EPOLLERR;
	spin_lock(&slot->status_lock);
	if (slot->seq != seen_seq)
		mask |= EPOLLIN | EPOLLPRI | EPOLLRDNORM;
	ready = (slot->flags & (VSCARD_STATUS_BOUND | VSCARD_STATUS_PRESENT)) ==
		(VSCARD_STATUS_BOUND | VSCARD_STATUS_PRESENT);
	spin_unlock(&slot->status_lock);
	if (ready && vscard_reqs_count(&slot->reqs) < VSCARD_SLOT_REQS_MAX)
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_poll_mask);

static bool vscard_slot_seq_differs(struct vscard_slot *slot, u64 seq)
{
	bool ret;

	if (READ_ONCE(slot->dead))
		return true;
	spin_lock(&slot->status_lock);
	ret = slot->seq != seq;
	spin_unlock(&slot->status_lock);
	return ret;
}

/**
 * vscard_slot_wait_status() - wait until the sequence differs from *@seq
 * @slot:	the slot
 * @seq:	in: last sequence seen; out: the current one
 * @timeout_ms:	how long to wait; 0 = do not sleep
 *
 * Return: 0 on a change, -ETIMEDOUT, -ERESTARTSYS on a signal (the ioctl
 * is restartable: it has changed nothing), -ENODEV if the slot is
 * destroyed.
 */
int vscard_slot_wait_status(struct vscard_slot *slot, u64 *seq, u32 timeout_ms)
{
	long ret = 1;

	if (!vscard_slot_seq_differs(slot, *seq) && timeout_ms)
		ret = wait_event_interruptible_timeout
			(slot->wq, vscard_slot_seq_differs(slot, *seq),
			 msecs_to_jiffies(timeout_ms));
	if (READ_ONCE(slot->dead))
		return -ENODEV;
	spin_lock(&slot->status_lock);
	if (slot->seq != *seq) {
		*seq = slot->seq;
		ret = 1;
	} else if (ret > 0) {
		ret = 0;	/* the condition was true: timed out just now */
	}
	spin_unlock(&slot->status_lock);
	if (ret > 0)
		return 0;
	return ret < 0 ? ret : -ETIMEDOUT;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_wait_status);

/*
 * A power request ended: POWERED says whether the last one succeeded, so
 * a successful power up or reset sets it and anything else clears it,
 * unless the binding or the card changed since it was submitted.
 */
static void vscard_slot_power_done(struct vscard_slot *slot,
				   struct vscard_req *req, int ret, u64 epoch,
				   u64 insert_count)
{
	bool changed = false;

	spin_lock(&slot->status_lock);
	if (slot->epoch == epoch && slot->insert_count == insert_count &&
	    (slot->flags & VSCARD_STATUS_PRESENT)) {
		u32 old = slot->flags;

		if (ret || req->code == VSCARD_POWER_DOWN) {
			slot->flags &= ~VSCARD_STATUS_POWERED;
		} else {
			slot->flags |= VSCARD_STATUS_POWERED;
			if (req->protocols)
				slot->active_protocol = req->protocols;
		}
		changed = old != slot->flags;
		if (changed)
			slot->seq++;
	}
	spin_unlock(&slot->status_lock);
	if (changed)
		vscard_slot_changed(slot);
}

/* A fetched request timed out or its caller was killed: tell the owner. */
static void vscard_slot_cancel_fetched(struct vscard_slot *slot,
				       struct vscard_req *req)
{
	mutex_lock(&slot->lock);
	if (slot->bind.state == VSCARD_BOUND &&
	    (u32)slot->epoch == vscard_req_epoch(req->id))
		slot->bind.ops->cancelled(slot->bind.owner, req->id);
	mutex_unlock(&slot->lock);
}

/**
 * vscard_slot_submit() - queue a request for the owner and wait for it
 * @slot:	the slot
 * @req:	the request (type, code, command filled in)
 * @timeout_ms:	deadline; 0 = the binding's default
 * @insert_count: 0 or the card insertion the caller expects
 *
 * Return: the request's status (see struct vscard_xfer for the errors).
 */
int vscard_slot_submit(struct vscard_slot *slot, struct vscard_req *req,
		       u32 timeout_ms, u64 insert_count)
{
	u64 epoch, inserted;
	bool fetched;
	int ret;

	mutex_lock(&slot->lock);
	if (slot->dead) {
		ret = -ENODEV;
		goto unlock;
	}
	if (slot->bind.state != VSCARD_BOUND) {
		ret = -ENOMEDIUM;
		goto unlock;
	}
	spin_lock(&slot->status_lock);
	epoch = slot->epoch;
	inserted = slot->insert_count;
	ret = 0;
	if (!(slot->flags & VSCARD_STATUS_PRESENT) ||
	    (insert_count && insert_count != inserted))
		ret = -ENOMEDIUM;
	spin_unlock(&slot->status_lock);
	if (ret)
		goto unlock;
	ret = vscard_reqs_add(&slot->reqs, req, epoch);
	if (ret)
		goto unlock;
	timeout_ms = vscard_timeout_ms(timeout_ms, slot->bind.timeout_ms);
	slot->bind.ops->queued(slot->bind.owner);
	mutex_unlock(&slot->lock);

	atomic64_inc(&slot->stats.requests);
	trace_vscard_req_submit(MINOR(slot->dev.devt), req->id, req->type,
				req->code, req->tx_len);
	ret = vscard_req_wait(&slot->reqs, req, msecs_to_jiffies(timeout_ms),
			      &fetched);
	/* The request left the table: a full slot is writable again. */
	wake_up_interruptible_poll(&slot->wq, EPOLLOUT | EPOLLWRNORM);
	if (ret == -ETIMEDOUT || ret == -EINTR) {
		if (ret == -ETIMEDOUT) {
			atomic64_inc(&slot->stats.timeouts);
			trace_vscard_req_timeout(MINOR(slot->dev.devt), req->id,
						 fetched);
		}
		if (fetched)
			vscard_slot_cancel_fetched(slot, req);
		if (ret == -ETIMEDOUT)
			vscard_event(VSCARD_EVENT_REQ_TIMEOUT, slot,
				     slot->pool_id, req->id);
	}
	if (req->type == VSCARD_REQ_POWER)
		vscard_slot_power_done(slot, req, ret, epoch, inserted);
	return ret;

unlock:
	mutex_unlock(&slot->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_submit);
