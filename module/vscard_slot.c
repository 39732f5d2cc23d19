// SPDX-License-Identifier: GPL-2.0
/*
 * Reader slots: the /dev/vscardN character devices.
 *
 * A slot is a struct device with an embedded cdev published with
 * cdev_device_add(), so every open file pins the device (and, through
 * cdev.owner, the module) until it is closed.  Teardown marks the slot dead
 * under slot->lock; every file operation checks that flag, so files that
 * outlive the slot get -ENODEV (EPOLLHUP | EPOLLERR from poll) instead of
 * touching freed state.
 */
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include "vscard.h"

#define VSCARD_MINORS 256

static dev_t vscard_devt;
static DEFINE_IDA(vscard_minors);

/* Per-open-file state. */
struct vscard_file {
	struct vscard_slot *slot;
	u64 seen_seq;	/* the sequence this file last read with GET_STATUS */
};

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
static char *vscard_devnode(const struct device *dev, umode_t *mode)
#else
static char *vscard_devnode(struct device *dev, umode_t *mode)
#endif
{
	if (mode)
		*mode = 0600;
	return NULL;
}

static struct class vscard_class = {
	.name = "vscard",
	.devnode = vscard_devnode,
};

static struct vscard_slot *to_slot(struct device *dev)
{
	return container_of(dev, struct vscard_slot, dev);
}

static ssize_t pool_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%u\n", to_slot(dev)->status.pool);
}
static DEVICE_ATTR_RO(pool);

static ssize_t slot_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%u\n", to_slot(dev)->status.slot);
}
static DEVICE_ATTR_RO(slot);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct vscard_slot *slot = to_slot(dev);
	u32 flags;

	spin_lock(&slot->status_lock);
	flags = slot->status.flags;
	spin_unlock(&slot->status_lock);
	if (flags & VSCARD_STATUS_LINGERING)
		return sysfs_emit(buf, "lingering\n");
	if (!(flags & VSCARD_STATUS_BOUND))
		return sysfs_emit(buf, "unbound\n");
	return sysfs_emit(buf, "%s\n",
			  flags & VSCARD_STATUS_PRESENT ? "present" : "absent");
}
static DEVICE_ATTR_RO(state);

static struct attribute *vscard_slot_attrs[] = {
	&dev_attr_pool.attr,
	&dev_attr_slot.attr,
	&dev_attr_state.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vscard_slot);

static int vscard_open(struct inode *inode, struct file *file)
{
	struct vscard_slot *slot = container_of(inode->i_cdev,
						struct vscard_slot, cdev);
	struct vscard_file *vf;
	int ret = 0;

	vf = kzalloc(sizeof(*vf), GFP_KERNEL);
	if (!vf)
		return -ENOMEM;

	mutex_lock(&slot->lock);
	if (slot->dead)
		ret = -ENODEV;
	mutex_unlock(&slot->lock);
	if (ret) {
		kfree(vf);
		return ret;
	}
	vf->slot = slot;
	file->private_data = vf;
	return nonseekable_open(inode, file);
}

static int vscard_release(struct inode *inode, struct file *file)
{
	kfree(file->private_data);
	return 0;
}

static bool vscard_slot_dead(struct vscard_slot *slot)
{
	bool dead;

	mutex_lock(&slot->lock);
	dead = slot->dead;
	mutex_unlock(&slot->lock);
	return dead;
}

static long vscard_get_status(struct vscard_file *vf, void __user *arg)
{
	struct vscard_slot *slot = vf->slot;
	struct vscard_status st;

	spin_lock(&slot->status_lock);
	st = slot->status;
	vf->seen_seq = st.seq;
	spin_unlock(&slot->status_lock);
	return copy_to_user(arg, &st, sizeof(st)) ? -EFAULT : 0;
}

static u64 vscard_seq(struct vscard_slot *slot)
{
	u64 seq;

	spin_lock(&slot->status_lock);
	seq = slot->status.seq;
	spin_unlock(&slot->status_lock);
	return seq;
}

static long vscard_wait_status(struct vscard_slot *slot, void __user *arg)
{
	struct vscard_wait w;
	long left;

	if (copy_from_user(&w, arg, sizeof(w)))
		return -EFAULT;
	if (w.flags)
		return -EINVAL;

	left = wait_event_interruptible_timeout(slot->wq,
			READ_ONCE(slot->dead) || vscard_seq(slot) != w.seq,
			msecs_to_jiffies(w.timeout_ms));
	if (left < 0)
		return left;
	if (READ_ONCE(slot->dead))
		return -ENODEV;
	w.seq = vscard_seq(slot);
	if (copy_to_user(arg, &w, sizeof(w)))
		return -EFAULT;
	return left == 0 && w.timeout_ms ? -ETIMEDOUT : 0;
}

static long vscard_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct vscard_file *vf = file->private_data;
	void __user *uarg = (void __user *)arg;
	u32 version = VSCARD_ABI_VERSION;

	if (vscard_slot_dead(vf->slot))
		return -ENODEV;

	switch (cmd) {
	case VSCARD_IOC_VERSION:
		return put_user(version, (u32 __user *)uarg);
	case VSCARD_IOC_GET_STATUS:
		return vscard_get_status(vf, uarg);
	case VSCARD_IOC_WAIT_STATUS:
		return vscard_wait_status(vf->slot, uarg);
	case VSCARD_IOC_POWER:
	case VSCARD_IOC_TRANSMIT:
	case VSCARD_IOC_CONTROL:
	case VSCARD_IOC_GET_ATTRIB:
	case VSCARD_IOC_SET_ATTRIB:
		/* Nothing can be bound yet: no card behind the slot. */
		return -ENOMEDIUM;
	default:
		return -ENOTTY;
	}
}

static __poll_t vscard_poll(struct file *file, poll_table *wait)
{
	struct vscard_file *vf = file->private_data;
	struct vscard_slot *slot = vf->slot;
	__poll_t mask = 0;

	/* Register first, then sample: no lost wake-up. */
	poll_wait(file, &slot->wq, wait);
	if (READ_ONCE(slot->dead))
		return EPOLLHUP | EPOLLERR;
	spin_lock(&slot->status_lock);
	if (slot->status.seq != vf->seen_seq)
		mask |= EPOLLPRI | EPOLLIN | EPOLLRDNORM;
	spin_unlock(&slot->status_lock);
	return mask;
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

static void vscard_slot_release(struct device *dev)
{
	struct vscard_slot *slot = to_slot(dev);

	vscard_req_table_destroy(&slot->reqs);
	ida_free(&vscard_minors, MINOR(dev->devt));
	kfree(slot);
}

/**
 * vscard_slot_create() - create and publish one slot device
 * @pool:	pool id
 * @index:	slot index within the pool
 * @uid:	owner of the device node
 * @gid:	group of the device node
 *
 * Return: the slot, or an ERR_PTR().
 */
struct vscard_slot *vscard_slot_create(u32 pool, u32 index, kuid_t uid, kgid_t gid)
{
	struct vscard_slot *slot;
	int minor, ret;

	minor = ida_alloc_max(&vscard_minors, VSCARD_MINORS - 1, GFP_KERNEL);
	if (minor < 0)
		return ERR_PTR(minor);

	slot = kzalloc(sizeof(*slot), GFP_KERNEL);
	if (!slot) {
		ida_free(&vscard_minors, minor);
		return ERR_PTR(-ENOMEM);
	}
	mutex_init(&slot->lock);
	spin_lock_init(&slot->status_lock);
	init_waitqueue_head(&slot->wq);
	vscard_req_table_init(&slot->reqs);
	slot->status.pool = pool;
	slot->status.slot = index;

	device_initialize(&slot->dev);
	slot->dev.class = &vscard_class;
	slot->dev.devt = MKDEV(MAJOR(vscard_devt), minor);
	slot->dev.groups = vscard_slot_groups;
	slot->dev.release = vscard_slot_release;
	ret = dev_set_name(&slot->dev, "vscard%d", minor);
	if (ret)
		goto err_put;

	cdev_init(&slot->cdev, &vscard_fops);
	slot->cdev.owner = THIS_MODULE;
	ret = cdev_device_add(&slot->cdev, &slot->dev);
	if (ret)
		goto err_put;
	return slot;

err_put:
	put_device(&slot->dev);	/* frees the minor and the slot */
	return ERR_PTR(ret);
}

/**
 * vscard_slot_destroy() - unpublish a slot and drop the creator's reference
 * @slot:	the slot
 *
 * Unpublish, mark dead, fail pending requests, hang up pollers, put.  Open
 * files keep the memory alive until they are closed.
 */
void vscard_slot_destroy(struct vscard_slot *slot)
{
	cdev_device_del(&slot->cdev, &slot->dev);

	mutex_lock(&slot->lock);
	WRITE_ONCE(slot->dead, true);
	mutex_unlock(&slot->lock);

	vscard_req_abort_all(&slot->reqs, -ENODEV);
	wake_up_interruptible_poll(&slot->wq, EPOLLHUP | EPOLLERR);
	put_device(&slot->dev);
}

int vscard_chrdev_init(void)
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

void vscard_chrdev_exit(void)
{
	class_unregister(&vscard_class);
	unregister_chrdev_region(vscard_devt, VSCARD_MINORS);
	ida_destroy(&vscard_minors);
}
