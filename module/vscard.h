/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vscard internal declarations.
 *
 * Lock order (outer to inner):
 *
 *   vscard_registry_lock (mutex, pools registry)
 *     -> slot->lock (mutex: dead flag, binding)
 *       -> slot->status_lock (spinlock: seq, flags, card state)
 */
#ifndef _VSCARD_H
#define _VSCARD_H

#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/wait.h>
#include <linux/vscard.h>

#define VSCARD_MINORS		256

struct vscard_pool;

/**
 * struct vscard_slot - one reader slot, the character device /dev/vscardN
 * @dev:	the device; its refcount is the slot's lifetime
 * @cdev:	character device; open files pin @dev and the module
 * @pool_id:	id of the pool the slot belongs to
 * @index:	index of the slot in its pool
 * @uid:	owner of the device node
 * @gid:	group of the device node
 * @mode:	mode of the device node
 * @lock:	protects @dead
 * @dead:	set once when the slot is destroyed; every fop checks it
 * @status_lock: protects the status fields below
 * @seq:	event sequence, bumped on every state change
 * @insert_count: card insertions seen
 * @epoch:	binding epoch
 * @flags:	VSCARD_STATUS_*
 * @wq:		status waiters and pollers
 */
struct vscard_slot {
	struct device dev;
	struct cdev cdev;
	u32 pool_id;
	u32 index;
	kuid_t uid;
	kgid_t gid;
	umode_t mode;

	struct mutex lock;
	bool dead;

	spinlock_t status_lock;
	u64 seq;
	u64 insert_count;
	u64 epoch;
	u32 flags;

	wait_queue_head_t wq;
};

/**
 * struct vscard_pool - a group of slots
 * @id:		pool id (0 is created at module load)
 * @nslots:	number of slots
 * @slots:	the slots
 */
struct vscard_pool {
	u32 id;
	u32 nslots;
	struct vscard_slot *slots[];
};

/* vscard_main.c */
extern dev_t vscard_devt;
extern struct class vscard_class;
extern struct mutex vscard_registry_lock;

/* vscard_pool.c */
struct vscard_pool *vscard_pool_create(u32 id, u32 nslots, kuid_t uid,
				       kgid_t gid, umode_t mode);
void vscard_pool_destroy(struct vscard_pool *pool);

/* vscard_dev.c */
struct vscard_slot *vscard_slot_create(u32 pool_id, u32 index, kuid_t uid,
				       kgid_t gid, umode_t mode);
void vscard_slot_kill(struct vscard_slot *slot);
void vscard_slot_get_status(struct vscard_slot *slot,
			    struct vscard_status *st);

#endif /* _VSCARD_H */
