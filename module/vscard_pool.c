// SPDX-License-Identifier: GPL-2.0
/*
 * vscard pools: groups of slots created together, with one ownership for
 * their device nodes, and the registry of pools (vscard_registry_lock).
 * Pool 0 is created at module load; further pools by POOL_NEW.
 */
#include <linux/slab.h>
#include <kunit/visibility.h>

#include "vscard.h"

/* Protects vscard_pools and the pools in it. */
DEFINE_MUTEX(vscard_registry_lock);
DEFINE_XARRAY_ALLOC(vscard_pools);
/* Pool ids are allocated cyclically: a deleted pool's id is not reused soon. */
static u32 vscard_pool_next = 1;

/**
 * vscard_pool_create() - create a pool and publish its slots
 * @id:		pool id
 * @nslots:	number of slots, 1..VSCARD_POOL_SLOTS_MAX
 * @uid:	owner of the device nodes
 * @gid:	group of the device nodes
 * @mode:	mode of the device nodes
 *
 * The pool is not registered: see vscard_pool_add().
 *
 * Return: the pool or an ERR_PTR().
 */
struct vscard_pool *vscard_pool_create(u32 id, u32 nslots, kuid_t uid,
				       kgid_t gid, umode_t mode)
{
	struct vscard_pool *pool;
	u32 i;

	if (nslots < 1 || nslots > VSCARD_POOL_SLOTS_MAX)
		return ERR_PTR(-EINVAL);

	pool = kzalloc(struct_size(pool, slots, nslots), GFP_KERNEL);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	pool->id = id;
	pool->uid = uid;
	pool->gid = gid;

	for (i = 0; i < nslots; i++) {
		struct vscard_slot *slot;

		slot = vscard_slot_create(id, i, uid, gid, mode);
		if (IS_ERR(slot)) {
			vscard_pool_destroy(pool);
			return ERR_CAST(slot);
		}
		pool->slots[i] = slot;
		pool->nslots = i + 1;
	}
	return pool;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_pool_create);

/**
 * vscard_pool_destroy() - kill every slot of an unregistered pool, free it
 * @pool:	the pool
 *
 * Open files of the slots stay valid and see -ENODEV.
 */
void vscard_pool_destroy(struct vscard_pool *pool)
{
	u32 i;

	for (i = 0; i < pool->nslots; i++)
		vscard_slot_kill(pool->slots[i]);
	kfree(pool);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_pool_destroy);

/**
 * vscard_pool_add() - create and register a pool
 * @nslots:	number of slots
 * @uid:	owner of the nodes (mode 0660)
 * @gid:	group of the nodes
 * @id:		in: 0 for pool 0, anything else to allocate; out: the id
 *
 * Return: 0; -EINVAL; -ENOSPC no pool id or minor left; -ENOMEM.
 */
int vscard_pool_add(u32 nslots, kuid_t uid, kgid_t gid, u32 *id)
{
	struct vscard_pool *pool;
	umode_t mode = *id ? 0660 : 0600;
	int ret;

	mutex_lock(&vscard_registry_lock);
	if (*id == 0)
		ret = xa_insert(&vscard_pools, 0, XA_ZERO_ENTRY, GFP_KERNEL);
	else
		ret = xa_alloc_cyclic(&vscard_pools, id, XA_ZERO_ENTRY,
				      XA_LIMIT(1, INT_MAX), &vscard_pool_next,
				      GFP_KERNEL);
	if (ret < 0) {
		mutex_unlock(&vscard_registry_lock);
		return ret == -EBUSY ? -EEXIST : ret;
	}
	pool = vscard_pool_create(*id, nslots, uid, gid, mode);
	if (IS_ERR(pool)) {
		xa_erase(&vscard_pools, *id);
		mutex_unlock(&vscard_registry_lock);
		return PTR_ERR(pool);
	}
	xa_store(&vscard_pools, *id, pool, GFP_KERNEL);
	mutex_unlock(&vscard_registry_lock);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_pool_add);

/**
 * vscard_pool_del() - unregister and destroy a pool
 * @id:	pool id
 *
 * Bound slots are released (their requests fail with -ENODEV) and open
 * files see -ENODEV.
 *
 * Return: 0; -ENOENT no such pool.
 */
int vscard_pool_del(u32 id)
{
	struct vscard_pool *pool;

	mutex_lock(&vscard_registry_lock);
	pool = xa_load(&vscard_pools, id);
	if (!pool) {
		mutex_unlock(&vscard_registry_lock);
		return -ENOENT;
	}
	xa_erase(&vscard_pools, id);
	vscard_pool_destroy(pool);
	mutex_unlock(&vscard_registry_lock);
	return 0;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_pool_del);

/**
 * vscard_pools_destroy_all() - destroy every pool (module exit)
 */
void vscard_pools_destroy_all(void)
{
	struct vscard_pool *pool;
	unsigned long id;

	mutex_lock(&vscard_registry_lock);
	xa_for_each(&vscard_pools, id, pool) {
		xa_erase(&vscard_pools, id);
		vscard_pool_destroy(pool);
	}
	mutex_unlock(&vscard_registry_lock);
	xa_destroy(&vscard_pools);
}

/**
 * vscard_slot_get() - look up a slot
 * @pool_id:	pool id
 * @index:	slot index
 *
 * Return: the slot with a device reference (put_device()), or NULL.
 */
struct vscard_slot *vscard_slot_get(u32 pool_id, u32 index)
{
	struct vscard_slot *slot = NULL;
	struct vscard_pool *pool;

	mutex_lock(&vscard_registry_lock);
	pool = xa_load(&vscard_pools, pool_id);
	if (pool && index < pool->nslots) {
		slot = pool->slots[index];
		get_device(&slot->dev);
	}
	mutex_unlock(&vscard_registry_lock);
	return slot;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_get);
