// SPDX-License-Identifier: GPL-2.0
/*
 * The pending-request table of a slot.
 *
 * Requests are indexed by a serial allocated cyclically in [1, INT_MAX], so
 * a serial is never reused while its request is pending, and a request id
 * carries the binding epoch in its upper half: a completion meant for an
 * earlier binding (agent restart, RDP reconnect) can never match a request
 * of the current one.
 *
 * Ownership: whoever removes a request from the table owns its completion.
 * The agent's reply removes it with vscard_req_take(), a timeout with
 * vscard_req_cancel(), teardown with vscard_req_abort_all(); exactly one of
 * them wins, the others find nothing.
 */
#include <kunit/visibility.h>
#include <linux/export.h>
#include "vscard.h"

void vscard_req_table_init(struct vscard_req_table *t)
{
	xa_init_flags(&t->xa, XA_FLAGS_ALLOC1);
	t->next = 1;
	t->count = 0;
	t->stale = 0;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_req_table_init);

void vscard_req_table_destroy(struct vscard_req_table *t)
{
	WARN_ON(!xa_empty(&t->xa));
	xa_destroy(&t->xa);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_req_table_destroy);

/**
 * vscard_req_add() - enter a request into the table
 * @t:		the table
 * @req:	the request; its id is assigned here
 * @epoch:	the binding epoch the request belongs to
 *
 * Return: 0, -EBUSY if VSCARD_SLOT_REQS_MAX requests are pending, or
 * -ENOMEM.
 */
int vscard_req_add(struct vscard_req_table *t, struct vscard_req *req, u32 epoch)
{
	u32 serial;
	int ret;

	init_completion(&req->done);
	req->status = 0;

	xa_lock(&t->xa);
	if (t->count >= VSCARD_SLOT_REQS_MAX) {
		xa_unlock(&t->xa);
		return -EBUSY;
	}
	/* Reserve before allocating: the allocation may drop the lock. */
	t->count++;
	ret = __xa_alloc_cyclic(&t->xa, &serial, req, XA_LIMIT(1, INT_MAX),
				&t->next, GFP_KERNEL);
	if (ret < 0)
		t->count--;
	else
		req->id = (u64)epoch << 32 | serial;
	xa_unlock(&t->xa);
	return ret < 0 ? ret : 0;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_req_add);

/**
 * vscard_req_take() - remove the request a completion names
 * @t:	the table
 * @id:	the full request id (epoch and serial) from the completion
 *
 * Return: the request, now owned by the caller, or NULL if no pending
 * request has exactly this id (unknown, late or duplicate completion; these
 * are counted in @t->stale).
 */
struct vscard_req *vscard_req_take(struct vscard_req_table *t, u64 id)
{
	struct vscard_req *req;

	xa_lock(&t->xa);
	req = xa_load(&t->xa, lower_32_bits(id));
	if (req && req->id == id) {
		__xa_erase(&t->xa, lower_32_bits(id));
		t->count--;
	} else {
		req = NULL;
		t->stale++;
	}
	xa_unlock(&t->xa);
	return req;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_req_take);

/**
 * vscard_req_cancel() - withdraw a request its submitter gives up on
 * @t:		the table
 * @req:	the request
 *
 * Return: true if the caller removed it (and owns it), false if a
 * completion or an abort got there first; then @req->done is, or is about
 * to be, completed by that party.
 */
bool vscard_req_cancel(struct vscard_req_table *t, struct vscard_req *req)
{
	bool removed;

	xa_lock(&t->xa);
	removed = xa_load(&t->xa, lower_32_bits(req->id)) == req;
	if (removed) {
		__xa_erase(&t->xa, lower_32_bits(req->id));
		t->count--;
	}
	xa_unlock(&t->xa);
	return removed;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_req_cancel);

/**
 * vscard_req_abort_all() - fail every pending request
 * @t:		the table
 * @status:	negative errno given to each submitter
 *
 * Return: the number of requests failed.
 */
unsigned int vscard_req_abort_all(struct vscard_req_table *t, int status)
{
	struct vscard_req *req;
	unsigned long serial;
	unsigned int n = 0;

	xa_lock(&t->xa);
	xa_for_each(&t->xa, serial, req) {
		__xa_erase(&t->xa, serial);
		t->count--;
		req->status = status;
		complete(&req->done);
		n++;
	}
	xa_unlock(&t->xa);
	return n;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_req_abort_all);
