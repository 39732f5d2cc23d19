/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vscard slot: one remote reader slot, its status, its binding state
 * machine (bound, lingering, free) and the requests of its device users.
 *
 * Lock order (outer to inner; never take an outer lock while holding an
 * inner one):
 *
 *   vscard_registry_lock (mutex: the pool registry, vscard_pool.c)
 *     -> slot->lock (mutex: dead flag, binding, request submission)
 *       -> slot->reqs.xa lock (spinlock: the pending-request table)
 *       -> slot->status_lock (spinlock: seq, flags, card state, name)
 *       -> the owner's own locks, inside its vscard_owner_ops callbacks
 *
 * The two slot spinlocks are never nested.  slot->linger_work takes
 * slot->lock, so it is cancelled synchronously only with slot->lock
 * released.
 */
#ifndef _VSCARD_SLOT_H
#define _VSCARD_SLOT_H

#include <linux/atomic.h>
#include <linux/cdev.h>
#include <linux/cred.h>
#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/notifier.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/vscard.h>

#include "vscard_req.h"

/**
 * struct vscard_owner_ops - how a slot reaches the owner of its binding
 * @queued:	a request was queued for the owner to read
 * @cancelled:	request @id, read by the owner, passed its deadline
 * @ended:	the binding ended from the kernel side (unbind, pool or slot
 *		destroyed); the owner must stop using the slot
 *
 * Called with slot->lock held; they must not sleep or take slot->lock.
 * The owner object outlives the binding: the owner ends the binding
 * (vscard_slot_owner_gone()) before it frees itself.
 */
struct vscard_owner_ops {
	void (*queued)(void *owner);
	void (*cancelled)(void *owner, u64 id);
	void (*ended)(void *owner);
};

enum vscard_bind_state {
	VSCARD_UNBOUND,
	VSCARD_BOUND,
	VSCARD_LINGERING,
};

/**
 * struct vscard_binding - the remote reader bound to a slot (slot->lock)
 * @state:	unbound, bound or lingering
 * @owner:	the owner object, NULL unless @state is VSCARD_BOUND
 * @ops:	its callbacks
 * @uid:	the binder's uid; a linger is taken back by the same uid only
 * @pid:	the binder's thread-group id (dumps), NULL when unbound
 * @key:	session key; kept while lingering
 * @key_len:	its length
 * @timeout_ms:	default request deadline; 0 = module default
 * @linger_ms:	reservation time when the owner goes
 * @linger_epoch: epoch the pending linger expiry belongs to
 */
struct vscard_binding {
	enum vscard_bind_state state;
	void *owner;
	const struct vscard_owner_ops *ops;
	kuid_t uid;
	struct pid *pid;
	u8 key[VSCARD_KEY_MAX];
	u32 key_len;
	u32 timeout_ms;
	u32 linger_ms;
	u64 linger_epoch;
};

/* What a BIND asks for. */
struct vscard_bind_args {
	u32 pool;
	s32 slot;		/* -1: the kernel picks */
	const u8 *key;
	u32 key_len;
	const char *name;
	u32 linger_ms;
	u32 timeout_ms;
};

/* Counters of a slot (VSCARD_STAT_*). */
struct vscard_stats {
	atomic64_t requests;
	atomic64_t completed;
	atomic64_t timeouts;
	atomic64_t aborted;
	atomic64_t stale;
	atomic64_t binds;
};

/**
 * struct vscard_slot - one reader slot
 * @dev:	its device (vscard_dev.c); the device refcount is the slot's
 *		lifetime
 * @cdev:	character device /dev/vscardN (vscard_dev.c)
 * @pool_id:	id of the pool the slot belongs to
 * @index:	index of the slot in its pool
 * @uid:	owner of the device node
 * @gid:	group of the device node
 * @mode:	mode of the device node
 * @lock:	protects @dead and @bind, serialises submission with unbind
 * @dead:	set once when the slot is destroyed
 * @bind:	the binding
 * @reqs:	pending requests
 * @linger_work: expiry of a lingering reservation
 * @status_lock: protects the status fields below
 * @seq:	event sequence, bumped on every state change
 * @insert_count: card insertions seen
 * @epoch:	binding epoch, bumped on every bind
 * @flags:	VSCARD_STATUS_*
 * @protocols:	protocols of the card
 * @active_protocol: protocol negotiated by the last power request
 * @atr_len:	ATR length
 * @atr:	ATR
 * @key_hash:	keyed hash of the session key (0 if none)
 * @name:	remote reader name
 * @wq:		status waiters and pollers of the device node
 * @stats:	counters
 * @debugfs:	debugfs file
 */
struct vscard_slot {
	struct device dev;
	struct cdev cdev;
	u32 pool_id;
	u32 index;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;

	struct mutex lock;	/* @dead, @bind, submission vs unbind */
	bool dead;
	struct vscard_binding bind;
	struct vscard_reqs reqs;
	struct delayed_work linger_work;

	spinlock_t status_lock;	/* the status snapshot below */
	u64 seq;
	u64 insert_count;
	u64 epoch;
	u32 flags;
	u32 protocols;
	u32 active_protocol;
	u32 atr_len;
	u8 atr[VSCARD_ATR_MAX];
	u64 key_hash;
	char name[VSCARD_NAME_MAX];

	wait_queue_head_t wq;
	struct vscard_stats stats;
	struct dentry *debugfs;
};

/* Slot events: the notifier data of vscard_slot_events. */
struct vscard_event_info {
	struct vscard_slot *slot;	/* NULL for pool events */
	u32 pool_id;
	u64 req_id;			/* VSCARD_EVENT_REQ_TIMEOUT */
};

/*
 * Blocking notifier chain: event (enum vscard_event), struct
 * vscard_event_info.  Called with at most mutexes held.
 */
extern struct blocking_notifier_head vscard_slot_events;
void vscard_event(u32 event, struct vscard_slot *slot, u32 pool_id,
		  u64 req_id);

struct vscard_slot *vscard_slot_new(u32 pool_id, u32 index, kuid_t uid,
				    kgid_t gid, umode_t mode);
void vscard_slot_free(struct vscard_slot *slot);
void vscard_slot_kill(struct vscard_slot *slot);

/* Binding (callers: the pool's BIND, the binding file, admin UNBIND). */
int vscard_slot_bind_score(struct vscard_slot *slot,
			   const struct vscard_bind_args *a, kuid_t uid);
int vscard_slot_bind(struct vscard_slot *slot, const struct vscard_bind_args *a,
		     kuid_t uid, void *owner,
		     const struct vscard_owner_ops *ops, u64 *epoch);
int vscard_slot_unbind(struct vscard_slot *slot);
void vscard_slot_owner_gone(struct vscard_slot *slot, void *owner,
			    bool linger);

/* The owner's data path. */
struct vscard_req *vscard_slot_take_req(struct vscard_slot *slot, void *owner,
					size_t room, size_t hdr);
void vscard_slot_untake_req(struct vscard_slot *slot, struct vscard_req *req);
int vscard_slot_complete(struct vscard_slot *slot, void *owner, u64 id,
			 int status, u32 result, u32 protocols, u8 *rx,
			 u32 rx_len);
int vscard_slot_card_set(struct vscard_slot *slot, void *owner, bool present,
			 const u8 *atr, u32 atr_len, u32 protocols);

/* The device users' side. */
void vscard_slot_get_status(struct vscard_slot *slot,
			    struct vscard_status *st);
__poll_t vscard_slot_poll_mask(struct vscard_slot *slot, u64 seen_seq);
int vscard_slot_wait_status(struct vscard_slot *slot, u64 *seq,
			    u32 timeout_ms);
int vscard_slot_submit(struct vscard_slot *slot, struct vscard_req *req,
		       u32 timeout_ms, u64 insert_count);
u32 vscard_timeout_ms(u32 requested, u32 binding_default);

#endif /* _VSCARD_SLOT_H */
