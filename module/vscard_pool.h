/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vscard pools: groups of slots created together, owned by one user, and
 * the registry of pools.
 */
#ifndef _VSCARD_POOL_H
#define _VSCARD_POOL_H

#include <linux/mutex.h>
#include <linux/uidgid.h>
#include <linux/xarray.h>

#include "vscard_slot.h"

/**
 * struct vscard_pool - a group of slots
 * @id:		pool id (0 is created at module load)
 * @nslots:	number of slots: the owner's quota of readers
 * @uid:	owner: may bind its slots; owns the device nodes
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

/**
 * struct vscard_caller - who asks, as far as pools are concerned
 * @uid:	effective uid (of the task and of the socket's opener; a
 *		mismatch is recorded as INVALID_UID, which owns nothing)
 * @admin:	CAP_NET_ADMIN
 */
struct vscard_caller {
	kuid_t uid;
	bool admin;
};

extern struct mutex vscard_registry_lock;
extern struct xarray vscard_pools;

bool vscard_pool_may_use(const struct vscard_pool *pool,
			 const struct vscard_caller *c);
int vscard_pool_add(u32 nslots, kuid_t uid, kgid_t gid, u32 *id);
int vscard_pool_del(u32 id);
void vscard_pools_destroy_all(void);
struct vscard_slot *vscard_pool_slot_get(u32 pool_id, u32 index,
					 const struct vscard_caller *c);
struct vscard_slot *vscard_pool_bind(const struct vscard_bind_args *a,
				     const struct vscard_caller *c,
				     void *owner,
				     const struct vscard_owner_ops *ops,
				     u64 *epoch);

#endif /* _VSCARD_POOL_H */
