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
#include <kunit/visibility.h>

#include "vscard.h"

static unsigned int slots = 4;
module_param(slots, uint, 0444);
MODULE_PARM_DESC(slots, "Number of slots in pool 0 (1..16, default 4)");

dev_t vscard_devt;
DEFINE_MUTEX(vscard_registry_lock);

static struct vscard_pool *vscard_pool0;

struct class vscard_class = {
	.name = "vscard",
};

static int __init vscard_init(void)
{
	int ret;

	if (slots < 1 || slots > VSCARD_POOL_SLOTS_MAX) {
		pr_err("slots=%u out of range 1..%u\n", slots,
		       VSCARD_POOL_SLOTS_MAX);
		return -EINVAL;
	}

	ret = alloc_chrdev_region(&vscard_devt, 0, VSCARD_MINORS, "vscard");
	if (ret)
		return ret;

	ret = class_register(&vscard_class);
	if (ret)
		goto err_region;

	vscard_pool0 = vscard_pool_create(0, slots, GLOBAL_ROOT_UID,
					  GLOBAL_ROOT_GID, 0600);
	if (IS_ERR(vscard_pool0)) {
		ret = PTR_ERR(vscard_pool0);
		goto err_class;
	}
	return 0;

err_class:
	class_unregister(&vscard_class);
err_region:
	unregister_chrdev_region(vscard_devt, VSCARD_MINORS);
	return ret;
}

static void __exit vscard_exit(void)
{
	vscard_pool_destroy(vscard_pool0);
	class_unregister(&vscard_class);
	unregister_chrdev_region(vscard_devt, VSCARD_MINORS);
}

module_init(vscard_init);
module_exit(vscard_exit);

MODULE_DESCRIPTION("Remote smart-card reader slots");
MODULE_LICENSE("GPL");
