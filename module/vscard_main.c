// SPDX-License-Identifier: GPL-2.0
/*
 * vscard: remote smart-card readers as local reader slots.
 *
 * Module init/exit, parameters, the device class and the chrdev region.
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/fs.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/random.h>
#include <linux/siphash.h>
#include <linux/uidgid.h>
#include <kunit/visibility.h>

#include "vscard.h"

static unsigned int slots = 4;
module_param(slots, uint, 0444);
MODULE_PARM_DESC(slots, "Number of slots in pool 0 (1..16, default 4)");

static unsigned int pool0_uid;
module_param(pool0_uid, uint, 0444);
MODULE_PARM_DESC(pool0_uid, "Owner uid of pool 0's device nodes (default 0)");

static unsigned int pool0_gid;
module_param(pool0_gid, uint, 0444);
MODULE_PARM_DESC(pool0_gid, "Group of pool 0's device nodes (default 0)");

static unsigned int request_timeout_ms = 30000;
module_param(request_timeout_ms, uint, 0644);
MODULE_PARM_DESC(request_timeout_ms,
		 "Default request deadline in ms (default 30000)");

static unsigned int request_timeout_max_ms = 300000;
module_param(request_timeout_max_ms, uint, 0644);
MODULE_PARM_DESC(request_timeout_max_ms,
		 "Upper bound of any request deadline in ms (default 300000)");

dev_t vscard_devt;
static siphash_key_t vscard_hash_secret;

struct class vscard_class = {
	.name = "vscard",
};

/**
 * vscard_timeout_ms() - effective deadline of a request
 * @requested:	the caller's deadline, 0 = default
 * @binding_default: the binding's default, 0 = module default
 *
 * Return: the deadline in ms, at least 1, at most request_timeout_max_ms.
 */
u32 vscard_timeout_ms(u32 requested, u32 binding_default)
{
	u32 max = READ_ONCE(request_timeout_max_ms);
	u32 t = requested;

	if (!t)
		t = binding_default;
	if (!t)
		t = READ_ONCE(request_timeout_ms);
	if (max && t > max)
		t = max;
	return t ?: 1;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_timeout_ms);

/**
 * vscard_key_hash() - keyed hash of a session key, safe to show
 * @key:	session key
 * @len:	its length
 *
 * Return: siphash of @key with a secret chosen at module load.
 */
u64 vscard_key_hash(const u8 *key, u32 len)
{
	return siphash(key, len, &vscard_hash_secret);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_key_hash);

static int __init vscard_init(void)
{
	kuid_t uid = make_kuid(&init_user_ns, pool0_uid);
	kgid_t gid = make_kgid(&init_user_ns, pool0_gid);
	u32 pool0 = 0;
	int ret;

	if (slots < 1 || slots > VSCARD_POOL_SLOTS_MAX) {
		pr_err("slots=%u out of range 1..%u\n", slots,
		       VSCARD_POOL_SLOTS_MAX);
		return -EINVAL;
	}
	if (!uid_valid(uid) || !gid_valid(gid))
		return -EINVAL;
	get_random_bytes(&vscard_hash_secret, sizeof(vscard_hash_secret));

	ret = alloc_chrdev_region(&vscard_devt, 0, VSCARD_MINORS, "vscard");
	if (ret)
		return ret;

	ret = class_register(&vscard_class);
	if (ret)
		goto err_region;

	vscard_debugfs_init();

	ret = vscard_pool_add(slots, uid, gid, &pool0);
	if (ret)
		goto err_debugfs;

	ret = vscard_nl_init();
	if (ret)
		goto err_pools;
	return 0;

err_pools:
	vscard_pools_destroy_all();
err_debugfs:
	vscard_debugfs_exit();
	class_unregister(&vscard_class);
err_region:
	unregister_chrdev_region(vscard_devt, VSCARD_MINORS);
	return ret;
}

static void __exit vscard_exit(void)
{
	/* No more doits, no more URELEASE callbacks ... */
	vscard_nl_exit();
	/* ... then kill every slot; no file is open (they pin the module). */
	vscard_pools_destroy_all();
	vscard_debugfs_exit();
	class_unregister(&vscard_class);
	unregister_chrdev_region(vscard_devt, VSCARD_MINORS);
	vscard_slot_destroy_cleanup();
}

module_init(vscard_init);
module_exit(vscard_exit);

MODULE_DESCRIPTION("Remote (RDP-redirected) smart-card reader slots");
MODULE_LICENSE("GPL");
