// SPDX-License-Identifier: GPL-2.0
/*
 * vscard pools: groups of slots created together, owned by one user (the
 * uid that may bind them, the owner of their device nodes), and the
 * registry of pools (vscard_registry_lock).  Pool 0 is created at module
 * load; further pools by POOL_NEW.  A pool's slot count is its owner's
 * quota of readers.
 */
#include <linux/slab.h>
#include <linux/string.h>
#include <kunit/visibility.h>

#include "vscard_dev.h"
#include "vscard_pool.h"

/* Protects vscard_pools and the pools in it. */
DEFINE_MUTEX(vscard_registry_lock);
DEFINE_XARRAY_ALLOC(vscard_pools);
/* Pool ids are allocated cyclically: a deleted pool's id is not reused soon. */
static u32 vscard_pool_next = 1;

/**
 * vscard_pool_may_use() - may @c bind and see the slots of @pool?
 * @pool:	the pool
 * @c:		the caller
 *
 * Return: true for the pool's owner and for an admin.
 */
bool vscard_pool_may_use(const struct vscard_pool *pool,
			 const struct vscard_caller *c)
{
	return c->admin || (uid_valid(c->uid) && uid_eq(c->uid, pool->uid));
}
EXPORT_SYMBOL_IF_KUNIT(vscard_pool_may_use);

/* Kill and free every slot of an unregistered pool. */
static void vscard_pool_destroy(struct vscard_pool *pool)
{
	u32 i;

	for (i = 0; i < pool->nslots; i++) {
		struct vscard_slot *slot = pool->slots[i];

		vscard_dev_del(slot);
		vscard_slot_kill(slot);
		put_device(&slot->dev);
	}
	kfree(pool);
}

static struct vscard_pool *vscard_pool_create(u32 id, u32 nslots, kuid_t uid,
					      kgid_t gid, umode_t mode)
{
	struct vscard_pool *pool;
	int ret;
	u32 i;

	pool = kzalloc(struct_size(pool, slots, nslots), GFP_KERNEL_ACCOUNT);
	if (!pool)
		return ERR_PTR(-ENOMEM);
	pool->id = id;
	pool->uid = uid;
	pool->gid = gid;

	for (i = 0; i < nslots; i++) {
		struct vscard_slot *slot;

		slot = vscard_slot_new(id, i, uid, gid, mode);
		ret = slot ? vscard_dev_add(slot) : -ENOMEM;
		if (ret) {
			vscard_pool_destroy(pool);
			return ERR_PTR(ret);
		}
		pool->slots[i] = slot;
		pool->nslots = i + 1;
	}
	return pool;
}

/**
 * vscard_pool_add() - create and register a pool
 * @nslots:	number of slots, 1..VSCARD_POOL_SLOTS_MAX
 * @uid:	owner of the pool
 * @gid:	group of the nodes
 * @id:		in: 0 for pool 0, anything else to allocate; out: the id
 *
 * Nodes are @uid:@gid, mode 0660 (pool 0: 0600 unless it has a group).
 *
 * Return: 0; -EINVAL; -EEXIST pool 0 exists; -ENOSPC no pool id or minor
 * left; -ENOMEM.
 */
int vscard_pool_add(u32 nslots, kuid_t uid, kgid_t gid, u32 *id)
{
	umode_t mode = (*id || !gid_eq(gid, GLOBAL_ROOT_GID)) ? 0660 : 0600;
	struct vscard_pool *pool;
	int ret;

	if (nslots < 1 || nslots > VSCARD_POOL_SLOTS_MAX ||
	    !uid_valid(uid) || !gid_valid(gid))
		return -EINVAL;

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
 * Bindings end (their owners read end of file, requests fail with
 * -ENODEV) and open device files see -ENODEV.
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
 * vscard_pool_slot_get() - look up a slot the caller may use
 * @pool_id:	pool id
 * @index:	slot index
 * @c:		the caller
 *
 * Return: the slot with a device reference (put_device()); ERR_PTR()
 * -ENOENT no such pool or slot; -EPERM the caller may not use the pool.
 */
struct vscard_slot *vscard_pool_slot_get(u32 pool_id, u32 index,
					 const struct vscard_caller *c)
{
	struct vscard_slot *slot = ERR_PTR(-ENOENT);
	struct vscard_pool *pool;

	mutex_lock(&vscard_registry_lock);
	pool = xa_load(&vscard_pools, pool_id);
	if (pool && !vscard_pool_may_use(pool, c)) {
		slot = ERR_PTR(-EPERM);
	} else if (pool && index < pool->nslots) {
		slot = pool->slots[index];
		get_device(&slot->dev);
	}
	mutex_unlock(&vscard_registry_lock);
	return slot;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_pool_slot_get);

/* The best slot of @pool for @a: see VSCARD_CMD_BIND. */
static struct vscard_slot *vscard_pool_pick(struct vscard_pool *pool,
					    const struct vscard_bind_args *a,
					    kuid_t uid)
{
	struct vscard_slot *best = NULL;
	int best_score = -1;
	u32 i;

	for (i = 0; i < pool->nslots; i++) {
		int score = vscard_slot_bind_score(pool->slots[i], a, uid);

		if (score > best_score) {
			best = pool->slots[i];
			best_score = score;
		}
	}
	return best;
}

/**
 * vscard_pool_bind() - bind a remote reader to a slot of a pool
 * @a:		what to bind, see VSCARD_CMD_BIND
 * @c:		the caller: the pool's owner or an admin
 * @owner:	the binding's owner object
 * @ops:	its callbacks
 * @epoch:	out: the new epoch
 *
 * The registry lock is held throughout, so the pool cannot go away
 * between the choice of the slot and the bind.
 *
 * Return: the slot with a device reference (put_device()); ERR_PTR()
 * -ENOENT no such pool or slot; -EPERM not the owner; -EBUSY the slot (or
 * every slot: the quota is used up) is bound or lingering for another
 * session; -EINVAL bad key or name; -ENODEV.
 */
struct vscard_slot *vscard_pool_bind(const struct vscard_bind_args *a,
				     const struct vscard_caller *c,
				     void *owner,
				     const struct vscard_owner_ops *ops,
				     u64 *epoch)
{
	struct vscard_slot *slot;
	struct vscard_pool *pool;
	int ret;

	if (a->key_len < VSCARD_KEY_MIN || a->key_len > VSCARD_KEY_MAX ||
	    strnlen(a->name, VSCARD_NAME_MAX) >= VSCARD_NAME_MAX)
		return ERR_PTR(-EINVAL);

	mutex_lock(&vscard_registry_lock);
	pool = xa_load(&vscard_pools, a->pool);
	if (!pool) {
		ret = -ENOENT;
		goto out;
	}
	if (!vscard_pool_may_use(pool, c)) {
		ret = -EPERM;
		goto out;
	}
	if (a->slot >= 0) {
		ret = -ENOENT;
		if (a->slot >= pool->nslots)
			goto out;
		slot = pool->slots[a->slot];
	} else {
		ret = -EBUSY;
		slot = vscard_pool_pick(pool, a, c->uid);
		if (!slot)
			goto out;
	}
	ret = vscard_slot_bind(slot, a, c->uid, owner, ops, epoch);
	if (!ret)
		get_device(&slot->dev);
out:
	mutex_unlock(&vscard_registry_lock);
	return ret ? ERR_PTR(ret) : slot;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_pool_bind);
