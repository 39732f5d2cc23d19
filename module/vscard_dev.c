// SPDX-License-Identifier: GPL-2.0
/*
 * vscard slot objects: the character devices /dev/vscardN.
 */
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <kunit/visibility.h>

#include "vscard.h"

static DEFINE_IDA(vscard_minors);

/* Per open file. */
struct vscard_file {
	struct vscard_slot *slot;
	u64 seen_seq;
};

static void vscard_slot_release(struct device *dev)
{
	struct vscard_slot *slot = container_of(dev, struct vscard_slot, dev);

	ida_free(&vscard_minors, MINOR(dev->devt));
	kfree(slot);
}

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
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

/**
 * vscard_slot_get_status() - snapshot of a slot's status
 * @slot:	the slot
 * @st:		filled in
 */
void vscard_slot_get_status(struct vscard_slot *slot, struct vscard_status *st)
{
	memset(st, 0, sizeof(*st));
	spin_lock(&slot->status_lock);
	st->seq = slot->seq;
	st->insert_count = slot->insert_count;
	st->epoch = slot->epoch;
	st->flags = slot->flags;
	spin_unlock(&slot->status_lock);
	st->pool = slot->pool_id;
	st->slot = slot->index;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_get_status);

static bool vscard_slot_dead(struct vscard_slot *slot)
{
	bool dead;

	mutex_lock(&slot->lock);
	dead = slot->dead;
	mutex_unlock(&slot->lock);
	return dead;
}

static int vscard_open(struct inode *inode, struct file *file)
{
	struct vscard_slot *slot =
		container_of(inode->i_cdev, struct vscard_slot, cdev);
	struct vscard_file *vf;

	vf = kzalloc(sizeof(*vf), GFP_KERNEL);
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
	/* A fresh open has seen nothing: the first poll reports the state. */
	vf->seen_seq = 0;
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

static long vscard_ioctl(struct file *file, unsigned int cmd,
			 unsigned long arg)
{
	struct vscard_file *vf = file->private_data;
	struct vscard_slot *slot = vf->slot;
	void __user *uarg = (void __user *)arg;

	if (vscard_slot_dead(slot))
		return -ENODEV;

	switch (cmd) {
	case VSCARD_IOC_VERSION:
		return put_user((u32)VSCARD_ABI_VERSION, (u32 __user *)uarg);
	case VSCARD_IOC_GET_STATUS: {
		struct vscard_status st;

		vscard_slot_get_status(slot, &st);
		vf->seen_seq = st.seq;
		if (copy_to_user(uarg, &st, sizeof(st)))
			return -EFAULT;
		return 0;
	}
	default:
		return -ENOTTY;
	}
}

static __poll_t vscard_poll(struct file *file, poll_table *wait)
{
	struct vscard_file *vf = file->private_data;
	struct vscard_slot *slot = vf->slot;
	__poll_t mask = 0;

	poll_wait(file, &slot->wq, wait);
	if (vscard_slot_dead(slot))
		return EPOLLHUP | EPOLLERR;
	spin_lock(&slot->status_lock);
	if (slot->seq != vf->seen_seq)
		mask |= EPOLLIN | EPOLLPRI | EPOLLRDNORM;
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

/**
 * vscard_slot_create() - create and publish one slot
 * @pool_id:	pool id
 * @index:	index in the pool
 * @uid:	node owner
 * @gid:	node group
 * @mode:	node mode
 *
 * Return: the slot (holding the registry reference) or an ERR_PTR().
 */
struct vscard_slot *vscard_slot_create(u32 pool_id, u32 index, kuid_t uid,
				       kgid_t gid, umode_t mode)
{
	struct vscard_slot *slot;
	int minor, ret;

	slot = kzalloc(sizeof(*slot), GFP_KERNEL);
	if (!slot)
		return ERR_PTR(-ENOMEM);

	minor = ida_alloc_max(&vscard_minors, VSCARD_MINORS - 1, GFP_KERNEL);
	if (minor < 0) {
		kfree(slot);
		return ERR_PTR(minor);
	}

	slot->pool_id = pool_id;
	slot->index = index;
	slot->uid = uid;
	slot->gid = gid;
	slot->mode = mode;
	mutex_init(&slot->lock);
	spin_lock_init(&slot->status_lock);
	init_waitqueue_head(&slot->wq);
	slot->seq = 1;

	device_initialize(&slot->dev);
	slot->dev.class = &vscard_class;
	slot->dev.type = &vscard_slot_type;
	slot->dev.devt = MKDEV(MAJOR(vscard_devt), minor);
	slot->dev.release = vscard_slot_release;
	dev_set_drvdata(&slot->dev, slot);
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
	/* Files may have been opened: kill like a published slot. */
	mutex_lock(&slot->lock);
	slot->dead = true;
	mutex_unlock(&slot->lock);
	put_device(&slot->dev);
	return ERR_PTR(ret);
}

/**
 * vscard_slot_kill() - unpublish a slot, hang up its files, drop the
 *			registry reference
 * @slot:	the slot
 */
void vscard_slot_kill(struct vscard_slot *slot)
{
	cdev_device_del(&slot->cdev, &slot->dev);

	mutex_lock(&slot->lock);
	slot->dead = true;
	mutex_unlock(&slot->lock);

	spin_lock(&slot->status_lock);
	slot->seq++;
	spin_unlock(&slot->status_lock);
	wake_up_interruptible_poll(&slot->wq, EPOLLHUP | EPOLLERR);

	put_device(&slot->dev);
}
