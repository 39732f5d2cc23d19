/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vscard internal declarations.
 *
 * Lock order (outer to inner; never take an outer lock while holding an
 * inner one):
 *
 *   genl_mutex (generic netlink core; our doits run under it)
 *     -> vscard_registry_lock (mutex: the pool registry)
 *       -> slot->lock (mutex: dead flag, binding, request submission)
 *         -> slot->reqs.xa lock (spinlock: the pending-request table)
 *         -> slot->status_lock (spinlock: seq, flags, card state, name)
 *
 * The two spinlocks are never nested.  Netlink messages are built before
 * any spinlock is taken and are sent with at most the mutexes held.
 * slot->linger_work takes slot->lock, so it is cancelled synchronously
 * only with slot->lock released.
 */
#ifndef _VSCARD_H
#define _VSCARD_H

#include <linux/atomic.h>
#include <linux/cdev.h>
#include <linux/completion.h>
#include <linux/device.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/netlink.h>
#include <linux/refcount.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/workqueue.h>
#include <linux/xarray.h>
#include <net/sock.h>
#include <linux/vscard.h>

#define VSCARD_MINORS		256
#define VSCARD_POOLS_MAX	(VSCARD_MINORS / VSCARD_POOL_SLOTS_MAX)

/* ------------------------------------------------------------------------ */
/* Requests (vscard_req.c)                                                   */
/* ------------------------------------------------------------------------ */

/**
 * struct vscard_req - one request from a slot's device user to the agent
 * @ref:	references: the submitter's, plus one per REQ_GET reading it
 * @id:		epoch << 32 | serial; 0 until queued
 * @order:	global submission order (REQ_GET hands out the oldest)
 * @type:	enum vscard_req_type
 * @code:	struct vscard_xfer.code
 * @tx:		command bytes (@tx_len bytes)
 * @tx_len:	command length
 * @rx_max:	largest response the submitter accepts
 * @rx:		response bytes, allocated by the completer
 * @rx_len:	response length (or the length needed, on -ENOBUFS)
 * @status:	0 or a negative errno, valid once @done completed
 * @result:	remote status word
 * @protocols:	protocol reported by the agent (power requests)
 * @fetched:	handed to the agent by REQ_GET (table lock)
 * @queued:	on the table's queue of unfetched requests (table lock)
 * @node:	entry in the table's queue (table lock)
 * @done:	completed by whoever erased the request from the table
 *
 * Ownership rule: the request belongs to the table while its id is in
 * the table's xarray.  Whoever erases it (completion, timeout, abort)
 * owns the completion and is the only one to write @status, @rx and to
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
 * @count:	requests in @xa
 * @queue:	requests not yet fetched, oldest first
 * @hint_armed:	the owner saw @queue empty since the last REQ_NOTIFY: the
 *		next queued request sends one (see vscard_reqs_take_hint())
 */
struct vscard_reqs {
	struct xarray xa;
	u32 next;
	u32 count;
	struct list_head queue;
	bool hint_armed;
};

void vscard_reqs_init(struct vscard_reqs *t);
void vscard_reqs_destroy(struct vscard_reqs *t);
struct vscard_req *vscard_req_alloc(u32 type, u32 code, u32 tx_len,
				    u32 rx_max);
void vscard_req_put(struct vscard_req *req);
int vscard_reqs_add(struct vscard_reqs *t, struct vscard_req *req, u64 epoch);
struct vscard_req *vscard_reqs_peek(struct vscard_reqs *t);
bool vscard_reqs_mark_fetched(struct vscard_reqs *t, struct vscard_req *req);
void vscard_reqs_unfetch(struct vscard_reqs *t, struct vscard_req *req);
bool vscard_reqs_take_hint(struct vscard_reqs *t);
bool vscard_reqs_take_push(struct vscard_reqs *t, struct vscard_req *req);
struct vscard_req *vscard_reqs_claim(struct vscard_reqs *t, u64 id);
void vscard_req_finish(struct vscard_req *req, int status);
bool vscard_reqs_cancel(struct vscard_reqs *t, struct vscard_req *req);
unsigned int vscard_reqs_abort_all(struct vscard_reqs *t, int status);
u32 vscard_reqs_count(struct vscard_reqs *t);
int vscard_req_wait(struct vscard_reqs *t, struct vscard_req *req,
		    unsigned long timeout, bool *fetched);

static inline u32 vscard_req_epoch(u64 id)
{
	return id >> 32;
}

/* ------------------------------------------------------------------------ */
/* Slots, bindings, pools                                                    */
/* ------------------------------------------------------------------------ */

/* The agent socket a command came from, or that owns a binding. */
struct vscard_owner {
	struct sock *sk;
	u32 portid;
};

enum vscard_bind_state {
	VSCARD_UNBOUND,
	VSCARD_BOUND,
	VSCARD_LINGERING,
};

/**
 * struct vscard_binding - the remote reader bound to a slot (slot->lock)
 * @state:	unbound, bound or lingering
 * @owner:	owning socket (held with sock_hold) and its portid; NULL
 *		unless @state is VSCARD_BOUND
 * @key:	session key; kept while lingering
 * @key_len:	its length
 * @timeout_ms:	default request deadline; 0 = module default
 * @linger_ms:	reservation time when the owner dies
 * @linger_epoch: epoch the pending linger expiry belongs to
 * @push:	push requests to @owner (VSCARD_CMD_REQ_PUSH)
 */
struct vscard_binding {
	enum vscard_bind_state state;
	struct vscard_owner owner;
	bool push;
	u8 key[VSCARD_KEY_MAX];
	u32 key_len;
	u32 timeout_ms;
	u32 linger_ms;
	u64 linger_epoch;
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
 * struct vscard_slot - one reader slot, the character device /dev/vscardN
 * @dev:	the device; its refcount is the slot's lifetime
 * @cdev:	character device; open files pin @dev and the module
 * @pool_id:	id of the pool the slot belongs to
 * @index:	index of the slot in its pool
 * @uid:	owner of the device node
 * @gid:	group of the device node
 * @mode:	mode of the device node
 * @lock:	protects @dead and @bind, serialises submission with unbind
 * @dead:	set once when the slot is destroyed; every fop checks it
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
 * @wq:		status waiters and pollers
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

	/* dead flag, binding, submission vs unbind */
	struct mutex lock;
	bool dead;
	struct vscard_binding bind;
	struct vscard_reqs reqs;
	struct delayed_work linger_work;

	/* the status snapshot below */
	spinlock_t status_lock;
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

/**
 * struct vscard_pool - a group of slots
 * @id:		pool id (0 is created at module load)
 * @nslots:	number of slots
 * @uid:	owner of the device nodes
 * @gid:	group of the device nodes
 * @slots:	the slots
 */
struct vscard_pool {
	u32 id;
	u32 nslots;
	kuid_t uid;
	kgid_t gid;
	struct vscard_slot *slots[];
};

/* vscard_main.c */
extern dev_t vscard_devt;
extern struct class vscard_class;
u32 vscard_timeout_ms(u32 requested, u32 binding_default);
u64 vscard_key_hash(const u8 *key, u32 len);

/* vscard_pool.c */
extern struct mutex vscard_registry_lock;
extern struct xarray vscard_pools;
struct vscard_pool *vscard_pool_create(u32 id, u32 nslots, kuid_t uid,
				       kgid_t gid, umode_t mode);
void vscard_pool_destroy(struct vscard_pool *pool);
int vscard_pool_add(u32 nslots, kuid_t uid, kgid_t gid, u32 *id);
int vscard_pool_del(u32 id);
void vscard_pools_destroy_all(void);
struct vscard_slot *vscard_slot_get(u32 pool_id, u32 index);

/* vscard_dev.c */
struct vscard_slot *vscard_slot_create(u32 pool_id, u32 index, kuid_t uid,
				       kgid_t gid, umode_t mode);
void vscard_slot_kill(struct vscard_slot *slot);
void vscard_slot_get_status(struct vscard_slot *slot,
			    struct vscard_status *st);
void vscard_slot_changed(struct vscard_slot *slot);
__poll_t vscard_slot_poll_mask(struct vscard_slot *slot, u64 seen_seq);
int vscard_slot_wait_status(struct vscard_slot *slot, u64 *seq,
			    u32 timeout_ms);
int vscard_slot_submit(struct vscard_slot *slot, struct vscard_req *req,
		       u32 timeout_ms, u64 insert_count);
void vscard_slot_destroy_cleanup(void);

/* vscard_bind.c */
struct vscard_bind_args {
	u32 pool;
	s32 slot;		/* -1: the kernel picks */
	const u8 *key;
	u32 key_len;
	const char *name;
	u32 linger_ms;
	u32 timeout_ms;
	bool push;
};

int vscard_bind(const struct vscard_owner *owner,
		const struct vscard_bind_args *args,
		struct vscard_slot **slotp, u64 *epoch);
int vscard_unbind(struct vscard_slot *slot, const struct vscard_owner *owner,
		  u32 linger_ms);
int vscard_card_set(struct vscard_slot *slot, const struct vscard_owner *owner,
		    bool present, const u8 *atr, u32 atr_len, u32 protocols);
void vscard_release_binding_locked(struct vscard_slot *slot, u32 linger_ms,
				   int status);
void vscard_owner_lost(struct vscard_slot *slot, struct sock *sk);
unsigned int vscard_owner_release(struct net *net, u32 portid);
bool vscard_is_owner(struct vscard_slot *slot,
		     const struct vscard_owner *owner);
void vscard_linger_expire(struct work_struct *work);
struct vscard_req *vscard_req_fetch(const struct vscard_owner *owner,
				    struct vscard_slot **slotp);
int vscard_req_done(struct vscard_slot *slot, const struct vscard_owner *owner,
		    u64 id, int status, u32 result, u32 protocols,
		    const struct nlattr *data, int data_len);

/* vscard_nl.c */
int vscard_nl_init(void);
void vscard_nl_exit(void);
void vscard_nl_notify(struct vscard_slot *slot, struct sock *sk, u32 portid);
int vscard_nl_push(struct vscard_slot *slot, struct sock *sk,
		   struct vscard_req *req);
void vscard_nl_cancel(struct vscard_slot *slot, struct sock *sk, u32 portid,
		      u64 id);
void vscard_nl_event(u32 event, struct vscard_slot *slot, u32 pool_id,
		     u64 req_id);

/* vscard_sysfs.c */
extern const struct attribute_group *vscard_slot_groups[];

/* vscard_debugfs.c */
void vscard_debugfs_init(void);
void vscard_debugfs_exit(void);
void vscard_debugfs_add(struct vscard_slot *slot);
void vscard_debugfs_remove(struct vscard_slot *slot);

#endif /* _VSCARD_H */
