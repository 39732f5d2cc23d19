// SPDX-License-Identifier: GPL-2.0
/*
 * vscard: remote smart-card readers as local reader slots.
 *
 * Module init/exit and pool 0's parameters: wires the layers together
 * (device nodes, debugfs, pool 0, then the netlink control plane).
 */
#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/uidgid.h>

#include "vscard_debugfs.h"
#include "vscard_dev.h"
#include "vscard_nl.h"
#include "vscard_pool.h"

static unsigned int slots = 4;
module_param(slots, uint, 0444);
MODULE_PARM_DESC(slots, "Number of slots in pool 0 (1..16, default 4)");

static unsigned int pool0_uid;
module_param(pool0_uid, uint, 0444);
MODULE_PARM_DESC(pool0_uid,
		 "Owner of pool 0: may bind it, owns its nodes (default 0)");

static unsigned int pool0_gid;
module_param(pool0_gid, uint, 0444);
MODULE_PARM_DESC(pool0_gid,
		 "Group of pool 0's device nodes (default 0: mode 0600)");

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

	ret = vscard_dev_init();
	if (ret)
		return ret;
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
	vscard_dev_exit();
	return ret;
}

static void __exit vscard_exit(void)
{
	/* No more doits, no more events ... */
	vscard_nl_exit();
	/* ... then kill every slot; no file is open (they pin the module). */
	vscard_pools_destroy_all();
	vscard_debugfs_exit();
	vscard_dev_exit();
}

module_init(vscard_init);
module_exit(vscard_exit);

MODULE_DESCRIPTION("Remote (RDP-redirected) smart-card reader slots");
MODULE_LICENSE("GPL");
