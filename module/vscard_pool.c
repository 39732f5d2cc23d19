// SPDX-License-Identifier: GPL-2.0
/*
 * vscard pools: groups of slots created together with one node ownership.
 */
#include <linux/slab.h>
#include <kunit/visibility.h>

#include "vscard.h"

/**
 * vscard_pool_create() - create a pool and publish its slots
 * @id:		pool id
 * @nslots:	number of slots, 1..VSCARD_POOL_SLOTS_MAX
 * @uid:	owner of the device nodes
 * @gid:	group of the device nodes
 * @mode:	mode of the device nodes
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
 * vscard_pool_destroy() - kill every slot of a pool and free it
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
