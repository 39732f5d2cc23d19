// SPDX-License-Identifier: GPL-2.0
/*
 * vscard pending-request table.
 *
 * Each slot keeps its outstanding requests in an xarray indexed by a
 * cyclically allocated serial in [1, INT_MAX], so a serial is never reused
 * while its request is pending and is reused as late as possible after.
 * The 64-bit request id is (binding epoch << 32 | serial): a completion
 * must match the whole id, so a late reply meant for an earlier binding of
 * the slot never matches a request of the current one.
 *
 * Requests not yet read by the agent wait on a queue in submission order;
 * vscard_reqs_take() hands out the oldest, vscard_reqs_unfetch() puts one
 * whose delivery failed back into its place.
 *
 * Ownership: whoever erases a request from the xarray owns its completion
 * (the agent's reply through vscard_reqs_claim(), the submitter on timeout
 * through vscard_reqs_cancel(), teardown through vscard_reqs_abort_all()).
 */
#include <linux/atomic.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <kunit/visibility.h>

#include <linux/vscard.h>
#include "vscard_req.h"

/**
 * vscard_reqs_init() - initialise an empty table
 * @t:	the table
 */
void vscard_reqs_init(struct vscard_reqs *t)
{
	xa_init_flags(&t->xa, XA_FLAGS_ALLOC1);
	t->next = 1;
	t->order = 0;
	t->count = 0;
	t->nqueued = 0;
	INIT_LIST_HEAD(&t->queue);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_reqs_init);

/**
 * vscard_reqs_destroy() - free an empty table
 * @t:	the table; must not hold requests any more
 */
void vscard_reqs_destroy(struct vscard_reqs *t)
{
	WARN_ON(t->count);
	xa_destroy(&t->xa);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_reqs_destroy);

/**
 * vscard_req_alloc() - allocate a request and its command buffer
 * @type:	enum vscard_req_type
 * @code:	request code
 * @tx_len:	command length, at most VSCARD_DATA_MAX
 * @rx_max:	largest response accepted, at most VSCARD_DATA_MAX
 *
 * Return: the request with one reference, or NULL.
 */
struct vscard_req *vscard_req_alloc(u32 type, u32 code, u32 tx_len,
				    u32 rx_max)
{
	struct vscard_req *req;

	if (tx_len > VSCARD_DATA_MAX || rx_max > VSCARD_DATA_MAX)
		return NULL;
	req = kzalloc(sizeof(*req), GFP_KERNEL_ACCOUNT);
	if (!req)
		return NULL;
	if (tx_len) {
		req->tx = kvmalloc(tx_len, GFP_KERNEL_ACCOUNT);
		if (!req->tx) {
			kfree(req);
			return NULL;
		}
	}
	refcount_set(&req->ref, 1);
	req->type = type;
	req->code = code;
	req->tx_len = tx_len;
	req->rx_max = rx_max;
	INIT_LIST_HEAD(&req->node);
	init_completion(&req->done);
	return req;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_req_alloc);

/**
 * vscard_req_put() - drop a reference, freeing the request on the last one
 * @req:	the request
 */
void vscard_req_put(struct vscard_req *req)
{
	if (!refcount_dec_and_test(&req->ref))
		return;
	kvfree(req->tx);
	kvfree(req->rx);
	kfree(req);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_req_put);

/**
 * vscard_reqs_add() - queue a request, assigning its id
 * @t:		the table
 * @req:	a fresh request
 * @epoch:	the binding epoch that goes into the id
 *
 * The caller serialises additions (the slot lock): the count checked here
 * can only fall while the allocation below drops the table lock.
 *
 * Return: 0; -EBUSY if VSCARD_SLOT_REQS_MAX requests are outstanding;
 * -ENOMEM.
 */
int vscard_reqs_add(struct vscard_reqs *t, struct vscard_req *req, u64 epoch)
{
	u32 serial;
	int ret;

	xa_lock(&t->xa);
	if (t->count >= VSCARD_SLOT_REQS_MAX) {
		xa_unlock(&t->xa);
		return -EBUSY;
	}
	/* May drop and retake the lock to allocate a node. */
	ret = __xa_alloc_cyclic(&t->xa, &serial, req, XA_LIMIT(1, INT_MAX),
				&t->next, GFP_KERNEL_ACCOUNT);
	if (ret < 0) {
		xa_unlock(&t->xa);
		return ret;
	}
	req->id = (u64)(u32)epoch << 32 | serial;
	req->order = ++t->order;
	req->queued = true;
	list_add_tail(&req->node, &t->queue);
	WRITE_ONCE(t->nqueued, t->nqueued + 1);
	t->count++;
	xa_unlock(&t->xa);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_reqs_add);

static void vscard_reqs_dequeue_locked(struct vscard_reqs *t,
				       struct vscard_req *req)
{
	list_del_init(&req->node);
	req->queued = false;
	WRITE_ONCE(t->nqueued, t->nqueued - 1);
}

/**
 * vscard_reqs_take() - hand the oldest unread request to the agent
 * @t:		the table
 * @room:	bytes the reader can take
 * @hdr:	bytes of message header in front of the command
 *
 * Return: the request, now "fetched", with a reference the caller drops
 * with vscard_req_put(); NULL if none is queued; ERR_PTR(-EMSGSIZE) if the
 * oldest does not fit in @room (it stays first in line).
 */
struct vscard_req *vscard_reqs_take(struct vscard_reqs *t, size_t room,
				    size_t hdr)
{
	struct vscard_req *req;

	xa_lock(&t->xa);
	req = list_first_entry_or_null(&t->queue, struct vscard_req, node);
	if (req && hdr + req->tx_len > room) {
		req = ERR_PTR(-EMSGSIZE);
	} else if (req) {
		vscard_reqs_dequeue_locked(t, req);
		req->fetched = true;
		refcount_inc(&req->ref);
	}
	xa_unlock(&t->xa);
	return req;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_reqs_take);

/**
 * vscard_reqs_unfetch() - undo vscard_reqs_take()
 * @t:		the table
 * @req:	the request that could not be delivered
 *
 * If still pending, the request goes back to the queue in its submission
 * order, ahead of anything submitted after it, so it is the next one read
 * and per-slot order holds even when several readers failed at once.
 */
void vscard_reqs_unfetch(struct vscard_reqs *t, struct vscard_req *req)
{
	struct vscard_req *pos;

	xa_lock(&t->xa);
	if (req->fetched && xa_load(&t->xa, (u32)req->id) == req) {
		req->fetched = false;
		req->queued = true;
		list_for_each_entry(pos, &t->queue, node)
			if (pos->order > req->order)
				break;
		list_add_tail(&req->node, &pos->node);
		WRITE_ONCE(t->nqueued, t->nqueued + 1);
	}
	xa_unlock(&t->xa);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_reqs_unfetch);

static void vscard_reqs_erase_locked(struct vscard_reqs *t,
				     struct vscard_req *req)
{
	lockdep_assert_held(&t->xa.xa_lock);
	__xa_erase(&t->xa, (u32)req->id);
	if (req->queued)
		vscard_reqs_dequeue_locked(t, req);
	t->count--;
}

/**
 * vscard_reqs_claim() - take the request a completion is for
 * @t:	the table
 * @id:	the full request id
 *
 * Return: the request, now owned by the caller who must finish it with
 * vscard_req_finish(); NULL if no pending request has this id (unknown,
 * late, duplicate, or from an earlier epoch).
 */
struct vscard_req *vscard_reqs_claim(struct vscard_reqs *t, u64 id)
{
	struct vscard_req *req;
	u32 serial = (u32)id;

	if (!serial || serial > INT_MAX)
		return NULL;
	xa_lock(&t->xa);
	req = xa_load(&t->xa, serial);
	if (req && req->id == id)
		vscard_reqs_erase_locked(t, req);
	else
		req = NULL;
	xa_unlock(&t->xa);
	return req;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_reqs_claim);

/**
 * vscard_req_finish() - complete a request the caller erased
 * @req:	the request
 * @status:	0 or a negative errno
 */
void vscard_req_finish(struct vscard_req *req, int status)
{
	req->status = status;
	complete(&req->done);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_req_finish);

/**
 * vscard_reqs_cancel() - withdraw a request (timeout, fatal signal)
 * @t:		the table
 * @req:	the request
 *
 * Return: true if the caller erased it (nobody else will complete it),
 * false if a completer owns it already and is about to complete it.
 */
bool vscard_reqs_cancel(struct vscard_reqs *t, struct vscard_req *req)
{
	bool ok;

	xa_lock(&t->xa);
	ok = xa_load(&t->xa, (u32)req->id) == req;
	if (ok)
		vscard_reqs_erase_locked(t, req);
	xa_unlock(&t->xa);
	return ok;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_reqs_cancel);

/**
 * vscard_reqs_abort_all() - fail every pending request
 * @t:		the table
 * @status:	the error they complete with
 *
 * Return: the number of requests failed.
 */
unsigned int vscard_reqs_abort_all(struct vscard_reqs *t, int status)
{
	struct vscard_req *req;
	unsigned long serial;
	unsigned int n = 0;
	LIST_HEAD(list);

	xa_lock(&t->xa);
	xa_for_each(&t->xa, serial, req) {
		vscard_reqs_erase_locked(t, req);
		list_add_tail(&req->node, &list);
		n++;
	}
	xa_unlock(&t->xa);

	/* Complete outside the lock; the submitters free the requests. */
	while (!list_empty(&list)) {
		req = list_first_entry(&list, struct vscard_req, node);
		list_del_init(&req->node);
		vscard_req_finish(req, status);
	}
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_reqs_abort_all);

/**
 * vscard_reqs_count() - number of outstanding requests
 * @t:	the table
 *
 * Return: the count.
 */
u32 vscard_reqs_count(struct vscard_reqs *t)
{
	u32 n;

	xa_lock(&t->xa);
	n = t->count;
	xa_unlock(&t->xa);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_reqs_count);

/**
 * vscard_req_wait() - wait for a queued request to complete
 * @t:		the table it was added to
 * @req:	the request
 * @timeout:	deadline in jiffies
 * @fetched:	out: whether the agent had fetched it (meaningful for
 *		-ETIMEDOUT / -EINTR: the agent must be told to cancel)
 *
 * Only a fatal signal interrupts the wait.
 *
 * Return: the request's status; -ETIMEDOUT if the deadline passed; -EINTR
 * on a fatal signal.
 */
int vscard_req_wait(struct vscard_reqs *t, struct vscard_req *req,
		    unsigned long timeout, bool *fetched)
{
	long left;

	*fetched = false;
	left = wait_for_completion_killable_timeout(&req->done, timeout);
	if (left > 0)
		return req->status;
	if (vscard_reqs_cancel(t, req)) {
		/* Erased by us: nobody else touches it any more. */
		*fetched = req->fetched;
		return left == 0 ? -ETIMEDOUT : -EINTR;
	}
	/* A completer erased it first and completes it shortly. */
	wait_for_completion(&req->done);
	return req->status;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_req_wait);
