// SPDX-License-Identifier: GPL-2.0
/*
 * vscard device nodes: the character devices /dev/vscardN of the slots
 * (status ioctls, request ioctls, poll), their class, chrdev region and
 * minor numbers.
 *
 * Lifetime: a slot lives as long as its struct device.  The pool registry
 * holds one reference until the slot is killed; every open file holds one
 * (our own get_device in open) and pins the module through cdev.owner.
 * Killing unpublishes the node, marks the slot dead, fails pending requests
 * and hangs up pollers; open files then see -ENODEV until they close.
 */
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>

#include "vscard_debugfs.h"
#include "vscard_dev.h"
#include "vscard_sysfs.h"

static DEFINE_IDA(vscard_minors);
static dev_t vscard_devt;

static struct class vscard_class = {
	.name = "vscard",
};

/* Per open file.  Threads sharing a file share @seen_seq. */
struct vscard_file {
	struct vscard_slot *slot;
	atomic64_t seen_seq;
};

static void vscard_dev_release(struct device *dev)
{
	struct vscard_slot *slot = container_of(dev, struct vscard_slot, dev);

	ida_free(&vscard_minors, MINOR(dev->devt));
	vscard_slot_free(slot);
}

#ifdef VSCARD_HAVE_CONST_DEVNODE
static char *vscard_devnode(const struct device *dev, umode_t *mode,
			    kuid_t *uid, kgid_t *gid)
#else
static char *vscard_devnode(struct device *dev, umode_t *mode,
			    kuid_t *uid, kgid_t *gid)
#endif
{
	const struct vscard_slot *slot =
		container_of(dev, struct vscard_slot, dev);

	if (mode)
		*mode = slot->mode;
	if (uid)
		*uid = slot->uid;
	if (gid)
		*gid = slot->gid;
	return NULL;
}

static const struct device_type vscard_slot_type = {
	.name = "vscard_slot",
	.devnode = vscard_devnode,
};

static int vscard_open(struct inode *inode, struct file *file)
{
	struct vscard_slot *slot =
		container_of(inode->i_cdev, struct vscard_slot, cdev);
	struct vscard_file *vf;

	vf = kzalloc(sizeof(*vf), GFP_KERNEL_ACCOUNT);
	if (!vf)
		return -ENOMEM;
	mutex_lock(&slot->lock);
	if (slot->dead) {
		mutex_unlock(&slot->lock);
		kfree(vf);
		return -ENODEV;
	}
	get_device(&slot->dev);
	mutex_unlock(&slot->lock);
	vf->slot = slot;
	/* Sequences start at 1: a fresh file has seen nothing yet. */
	atomic64_set(&vf->seen_seq, 0);
	file->private_data = vf;
	return nonseekable_open(inode, file);
}

static int vscard_release(struct inode *inode, struct file *file)
{
	struct vscard_file *vf = file->private_data;

	put_device(&vf->slot->dev);
	kfree(vf);
	return 0;
}

static const u32 vscard_ioc_type[] = {
	[_IOC_NR(VSCARD_IOC_POWER)] = VSCARD_REQ_POWER,
	[_IOC_NR(VSCARD_IOC_TRANSMIT)] = VSCARD_REQ_TRANSMIT,
	[_IOC_NR(VSCARD_IOC_CONTROL)] = VSCARD_REQ_CONTROL,
	[_IOC_NR(VSCARD_IOC_GET_ATTRIB)] = VSCARD_REQ_GET_ATTRIB,
	[_IOC_NR(VSCARD_IOC_SET_ATTRIB)] = VSCARD_REQ_SET_ATTRIB,
};

static int vscard_ioctl_xfer(struct vscard_slot *slot, unsigned int cmd,
			     struct vscard_xfer __user *uxfer)
{
	u32 type = vscard_ioc_type[_IOC_NR(cmd)];
	struct vscard_xfer x;
	struct vscard_req *req;
	int ret;

	if (copy_from_user(&x, uxfer, sizeof(x)))
		return -EFAULT;
	if (x.reserved || x.tx_len > VSCARD_DATA_MAX)
		return -EINVAL;
	if (x.tx_len && !x.tx_ptr)
		return -EFAULT;
	if (type == VSCARD_REQ_POWER && x.code != VSCARD_POWER_UP &&
	    x.code != VSCARD_POWER_DOWN && x.code != VSCARD_POWER_RESET)
		return -EINVAL;

	req = vscard_req_alloc(type, x.code, x.tx_len,
			       min_t(u32, x.rx_len, VSCARD_DATA_MAX));
	if (!req)
		return -ENOMEM;
	if (x.tx_len && copy_from_user(req->tx, u64_to_user_ptr(x.tx_ptr),
				       x.tx_len)) {
		ret = -EFAULT;
		goto out;
	}

	ret = vscard_slot_submit(slot, req, x.timeout_ms, x.insert_count);
	if (!ret && req->rx_len &&
	    copy_to_user(u64_to_user_ptr(x.rx_ptr), req->rx, req->rx_len)) {
		ret = -EFAULT;
		goto out;
	}
	if (ret != -EFAULT) {
		x.rx_len = req->rx_len;
		x.result = req->result;
		if (copy_to_user(uxfer, &x, sizeof(x)))
			ret = -EFAULT;
	}
out:
	vscard_req_put(req);
	return ret;
}

static long vscard_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct vscard_file *vf = file->private_data;
	struct vscard_slot *slot = vf->slot;
	void __user *uarg = (void __user *)arg;

	if (READ_ONCE(slot->dead))
		return -ENODEV;

	switch (cmd) {
	case VSCARD_IOC_VERSION:
		return put_user((u32)VSCARD_ABI_VERSION, (u32 __user *)uarg);
	case VSCARD_IOC_GET_STATUS: {
		struct vscard_status st;

		vscard_slot_get_status(slot, &st);
		/* Racing GET_STATUS calls on one file: either is recent. */
		atomic64_set(&vf->seen_seq, st.seq);
		if (copy_to_user(uarg, &st, sizeof(st)))
			return -EFAULT;
		return 0;
	}
	case VSCARD_IOC_WAIT_STATUS: {
		struct vscard_wait w;
		int ret;

		if (copy_from_user(&w, uarg, sizeof(w)))
			return -EFAULT;
		if (w.flags)
			return -EINVAL;
		ret = vscard_slot_wait_status(slot, &w.seq, w.timeout_ms);
		if (ret && ret != -ETIMEDOUT)
			return ret;
		if (copy_to_user(uarg, &w, sizeof(w)))
			return -EFAULT;
		return ret;
	}
	case VSCARD_IOC_POWER:
	case VSCARD_IOC_TRANSMIT:
	case VSCARD_IOC_CONTROL:
	case VSCARD_IOC_GET_ATTRIB:
	case VSCARD_IOC_SET_ATTRIB:
		return vscard_ioctl_xfer(slot, cmd, uarg);
	default:
		return -ENOTTY;
	}
}

static __poll_t vscard_poll(struct file *file, poll_table *wait)
{
	struct vscard_file *vf = file->private_data;
	struct vscard_slot *slot = vf->slot;

	/* Register first: a change after this point wakes us. */
	poll_wait(file, &slot->wq, wait);
	return vscard_slot_poll_mask(slot, atomic64_read(&vf->seen_seq));
}

static const struct file_operations vscard_fops = {
	.owner = THIS_MODULE,
	.open = vscard_open,
	.release = vscard_release,
	.unlocked_ioctl = vscard_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.poll = vscard_poll,
	.llseek = noop_llseek,
};

/**
 * vscard_dev_add() - give a new slot its device and publish its node
 * @slot:	a slot from vscard_slot_new()
 *
 * On success the slot lives as long as its device, and the caller holds
 * the device reference (dropped with put_device() after
 * vscard_dev_del()).  On failure the slot is freed.
 *
 * Return: 0; -ENOSPC no minor left; -ENOMEM.
 */
int vscard_dev_add(struct vscard_slot *slot)
{
	int minor, ret;

	minor = ida_alloc_max(&vscard_minors, VSCARD_MINORS - 1, GFP_KERNEL);
	if (minor < 0) {
		vscard_slot_free(slot);
		return minor;
	}
	device_initialize(&slot->dev);
	slot->dev.class = &vscard_class;
	slot->dev.type = &vscard_slot_type;
	slot->dev.groups = vscard_slot_groups;
	slot->dev.devt = MKDEV(MAJOR(vscard_devt), minor);
	slot->dev.release = vscard_dev_release;
	dev_set_drvdata(&slot->dev, slot);
	/* A slot has no power state: no power/ directory, no PM lists. */
	device_set_pm_not_required(&slot->dev);
	ret = dev_set_name(&slot->dev, "vscard%d", minor);
	if (ret)
		goto err_put;

	cdev_init(&slot->cdev, &vscard_fops);
	slot->cdev.owner = THIS_MODULE;
	ret = cdev_device_add(&slot->cdev, &slot->dev);
	if (ret)
		goto err_put;
	vscard_debugfs_add(slot);
	return 0;

err_put:
	/* The node may have been opened already: fops see a dead slot. */
	mutex_lock(&slot->lock);
	WRITE_ONCE(slot->dead, true);
	mutex_unlock(&slot->lock);
	put_device(&slot->dev);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_dev_add);

/**
 * vscard_dev_del() - unpublish a slot's node (before vscard_slot_kill())
 * @slot:	the slot
 */
void vscard_dev_del(struct vscard_slot *slot)
{
	cdev_device_del(&slot->cdev, &slot->dev);
	vscard_debugfs_remove(slot);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_dev_del);

/**
 * vscard_dev_init() - register the chrdev region and the class
 *
 * Return: 0 or a negative errno.
 */
int vscard_dev_init(void)
{
	int ret;

	ret = alloc_chrdev_region(&vscard_devt, 0, VSCARD_MINORS, "vscard");
	if (ret)
		return ret;
	ret = class_register(&vscard_class);
	if (ret)
		unregister_chrdev_region(vscard_devt, VSCARD_MINORS);
	return ret;
}

/**
 * vscard_dev_exit() - unregister them; every slot is gone
 */
void vscard_dev_exit(void)
{
	class_unregister(&vscard_class);
	unregister_chrdev_region(vscard_devt, VSCARD_MINORS);
	ida_destroy(&vscard_minors);
}
