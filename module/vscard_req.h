/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vscard request table: the outstanding requests of one slot, their ids,
 * their queue of requests not yet read by the agent, and their completion.
 * Knows nothing of slots, files or netlink.
 */
#ifndef _VSCARD_REQ_H
#define _VSCARD_REQ_H

#include <linux/completion.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/types.h>
#include <linux/xarray.h>

/**
 * struct vscard_req - one request from a slot's device user to the agent
 * @ref:	references: the submitter's, plus one per reader holding it
 * @id:		epoch << 32 | serial; 0 until added
 * @order:	submission order within the table (queue position)
 * @type:	enum vscard_req_type
 * @code:	struct vscard_xfer.code
 * @tx:		command bytes (@tx_len bytes)
 * @tx_len:	command length
 * @rx_max:	largest response the submitter accepts
 * @rx:		response bytes, set by the completer
 * @rx_len:	response length (or the length needed, on -ENOBUFS)
 * @status:	0 or a negative errno, valid once @done completed
 * @result:	remote status word
 * @protocols:	protocol reported by the agent (power requests)
 * @fetched:	read by the agent (table lock)
 * @queued:	on the table's queue of unread requests (table lock)
 * @node:	entry in the table's queue (table lock)
 * @done:	completed by whoever erased the request from the table
 *
 * Ownership rule: the request belongs to the table while its id is in the
 * table's xarray.  Whoever erases it (completion, timeout, abort) owns the
 * completion and is the only one to write @status, @rx, @rx_len and to
 * complete @done.
 */
struct vscard_req {
	refcount_t ref;
	u64 id;
	u64 order;
	u32 type;
	u32 code;
	u8 *tx;
	u32 tx_len;
	u32 rx_max;
	u8 *rx;
	u32 rx_len;
	int status;
	u32 result;
	u32 protocols;
	bool fetched;
	bool queued;
	struct list_head node;
	struct completion done;
};

/**
 * struct vscard_reqs - pending-request table of one slot
 * @xa:		serial -> request; its lock protects everything here
 * @next:	cursor of the cyclic serial allocator
 * @order:	last submission order handed out
 * @count:	requests in @xa
 * @nqueued:	requests on @queue (read locklessly as a hint)
 * @queue:	requests not yet read by the agent, in submission order
 */
struct vscard_reqs {
	struct xarray xa;
	u32 next;
	u64 order;
	u32 count;
	u32 nqueued;
	struct list_head queue;
};

void vscard_reqs_init(struct vscard_reqs *t);
void vscard_reqs_destroy(struct vscard_reqs *t);
struct vscard_req *vscard_req_alloc(u32 type, u32 code, u32 tx_len,
				    u32 rx_max);
void vscard_req_put(struct vscard_req *req);
int vscard_reqs_add(struct vscard_reqs *t, struct vscard_req *req, u64 epoch);
struct vscard_req *vscard_reqs_take(struct vscard_reqs *t, size_t room,
				    size_t hdr);
void vscard_reqs_unfetch(struct vscard_reqs *t, struct vscard_req *req);
struct vscard_req *vscard_reqs_claim(struct vscard_reqs *t, u64 id);
void vscard_req_finish(struct vscard_req *req, int status);
bool vscard_reqs_cancel(struct vscard_reqs *t, struct vscard_req *req);
unsigned int vscard_reqs_abort_all(struct vscard_reqs *t, int status);
u32 vscard_reqs_count(struct vscard_reqs *t);
int vscard_req_wait(struct vscard_reqs *t, struct vscard_req *req,
		    unsigned long timeout, bool *fetched);

/* Lockless hint: anything queued?  Callers re-check under the lock. */
static inline bool vscard_reqs_any_queued(const struct vscard_reqs *t)
{
	return READ_ONCE(t->nqueued) != 0;
}

static inline u32 vscard_req_epoch(u64 id)
{
	return id >> 32;
}

#endif /* _VSCARD_REQ_H */
