// SPDX-License-Identifier: GPL-2.0
/*
 * vscard slot objects: the character devices /dev/vscardN, their status,
 * poll and request ioctls.
 *
 * Lifetime: the slot's struct device refcount.  The pool registry holds one
 * reference until the slot is killed; every open file holds one (through
 * the cdev's kobject parent and our own get_device in open) and pins the
 * module through cdev.owner.  Killing unpublishes the node, marks the slot
 * dead under slot->lock, fails pending requests, hangs up pollers and drops
 * the registry reference; open files then see -ENODEV until they close.
 */
#include <linux/fs.h>
#include <linux/idr.h>
#include <linux/jiffies.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <kunit/visibility.h>

#include "vscard.h"
#include "vscard_trace.h"

static DEFINE_IDA(vscard_minors);

/* Per open file.  Threads sharing a file share @seen_seq. */
struct vscard_file {
	struct vscard_slot *slot;
	u64 seen_seq;
};

static void vscard_slot_release(struct device *dev)
{
	struct vscard_slot *slot = container_of(dev, struct vscard_slot, dev);

	vscard_reqs_destroy(&slot->reqs);
	ida_free(&vscard_minors, MINOR(dev->devt));
	kfree(slot);
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

/**
 * vscard_slot_get_status() - atomic snapshot of a slot's status
 * @slot:	the slot
 * @st:		filled in
 */
void vscard_slot_get_status(struct vscard_slot *slot, struct vscard_status *st)
{
	memset(st, 0, sizeof(*st));
	st->pool = slot->pool_id;
	st->slot = slot->index;
	spin_lock(&slot->status_lock);
	st->seq = slot->seq;
	st->insert_count = slot->insert_count;
	st->epoch = slot->epoch;
	st->flags = slot->flags;
	st->protocols = slot->protocols;
	st->active_protocol = slot->active_protocol;
	st->atr_len = slot->atr_len;
	memcpy(st->atr, slot->atr, slot->atr_len);
	strscpy(st->reader_name, slot->name, sizeof(st->reader_name));
	spin_unlock(&slot->status_lock);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_get_status);

/**
 * vscard_slot_changed() - wake status waiters after a state change
 * @slot:	the slot; the caller bumped slot->seq under status_lock
 */
void vscard_slot_changed(struct vscard_slot *slot)
{
	wake_up_interruptible_poll(&slot->wq,
				   EPOLLIN | EPOLLPRI | EPOLLRDNORM |
				   EPOLLOUT | EPOLLWRNORM);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_changed);

static bool vscard_slot_is_dead(struct vscard_slot *slot)
{
	bool dead;

	mutex_lock(&slot->lock);
	dead = slot->dead;
	mutex_unlock(&slot->lock);
	return dead;
}

/**
 * vscard_slot_poll_mask() - poll events of a slot for a reader that last
 *			     saw sequence @seen_seq
 * @slot:	the slot
 * @seen_seq:	the sequence the file last read with GET_STATUS
 *
 * The caller registered on slot->wq before calling this.
 *
 * Return: EPOLLHUP | EPOLLERR if dead; EPOLLIN | EPOLLPRI | EPOLLRDNORM if
 * the status changed; EPOLLOUT | EPOLLWRNORM if a request can be submitted.
 */
__poll_t vscard_slot_poll_mask(struct vscard_slot *slot, u64 seen_seq)
{
	__poll_t mask = 0;
	bool ready;

	if (READ_ONCE(slot->dead))
		return EPOLLHUP | EPOLLERR;
	spin_lock(&slot->status_lock);
	if (slot->seq != seen_seq)
		mask |= EPOLLIN | EPOLLPRI | EPOLLRDNORM;
	ready = (slot->flags & (VSCARD_STATUS_BOUND | VSCARD_STATUS_PRESENT)) ==
		(VSCARD_STATUS_BOUND | VSCARD_STATUS_PRESENT);
	spin_unlock(&slot->status_lock);
	if (ready && vscard_reqs_count(&slot->reqs) < VSCARD_SLOT_REQS_MAX)
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_poll_mask);

static bool vscard_slot_seq_differs(struct vscard_slot *slot, u64 seq)
{
	bool ret;

	if (READ_ONCE(slot->dead))
		return true;
	spin_lock(&slot->status_lock);
	ret = slot->seq != seq;
	spin_unlock(&slot->status_lock);
	return ret;
}

/**
 * vscard_slot_wait_status() - wait until the sequence differs from *@seq
 * @slot:	the slot
 * @seq:	in: last sequence seen; out: the current one
 * @timeout_ms:	how long to wait; 0 = do not sleep
 *
 * Return: 0 on a change, -ETIMEDOUT, -EINTR on a signal, -ENODEV if the
 * slot is destroyed.
 */
int vscard_slot_wait_status(struct vscard_slot *slot, u64 *seq, u32 timeout_ms)
{
	unsigned long t = msecs_to_jiffies(timeout_ms);
	long ret = 1;

	if (!vscard_slot_seq_differs(slot, *seq) && timeout_ms)
		ret = wait_event_interruptible_timeout(slot->wq,
						       vscard_slot_seq_differs(slot, *seq),
						       t);
	if (vscard_slot_is_dead(slot))
		return -ENODEV;
	spin_lock(&slot->status_lock);
	if (slot->seq != *seq) {
		*seq = slot->seq;
		ret = 1;
	} else if (ret > 0) {
		ret = 0;	/* the condition was true: timed out just now */
	}
	spin_unlock(&slot->status_lock);
	if (ret > 0)
		return 0;
	return ret < 0 ? -EINTR : -ETIMEDOUT;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_wait_status);

static void vscard_slot_power_done(struct vscard_slot *slot,
				   struct vscard_req *req, u64 epoch)
{
	bool changed = false;

	spin_lock(&slot->status_lock);
	if (slot->epoch == epoch && (slot->flags & VSCARD_STATUS_PRESENT)) {
		u32 old = slot->flags;

		if (req->code == VSCARD_POWER_DOWN) {
			slot->flags &= ~VSCARD_STATUS_POWERED;
		} else {
			slot->flags |= VSCARD_STATUS_POWERED;
			if (req->protocols)
				slot->active_protocol = req->protocols;
		}
		changed = old != slot->flags;
		if (changed)
			slot->seq++;
	}
	spin_unlock(&slot->status_lock);
	if (changed)
		vscard_slot_changed(slot);
}

/**
 * vscard_slot_submit() - queue a request for the agent and wait for it
 * @slot:	the slot
 * @req:	the request (type, code, command filled in)
 * @timeout_ms:	deadline; 0 = the binding's default
 * @insert_count: 0 or the card insertion the caller expects
 *
 * Return: the request's status (see struct vscard_xfer for the errors).
 */
int vscard_slot_submit(struct vscard_slot *slot, struct vscard_req *req,
		       u32 timeout_ms, u64 insert_count)
{
	struct vscard_owner owner;
	bool fetched, push;
	u64 epoch;
	int ret;

	mutex_lock(&slot->lock);
	if (slot->dead) {
		ret = -ENODEV;
		goto unlock;
	}
	if (slot->bind.state != VSCARD_BOUND) {
		ret = -ENOMEDIUM;
		goto unlock;
	}
	spin_lock(&slot->status_lock);
	epoch = slot->epoch;
	ret = 0;
	if (!(slot->flags & VSCARD_STATUS_PRESENT) ||
	    (insert_count && insert_count != slot->insert_count))
		ret = -ENOMEDIUM;
	spin_unlock(&slot->status_lock);
	if (ret)
		goto unlock;
	ret = vscard_reqs_add(&slot->reqs, req, epoch);
	if (ret)
		goto unlock;
	timeout_ms = vscard_timeout_ms(timeout_ms, slot->bind.timeout_ms);
	owner = slot->bind.owner;
	push = slot->bind.push;
	sock_hold(owner.sk);
	mutex_unlock(&slot->lock);

	atomic64_inc(&slot->stats.requests);
	trace_vscard_req_submit(MINOR(slot->dev.devt), req->id, req->type,
				req->code, req->tx_len);
	/* A request not pushed waits for the owner's REQ_GET. */
	if ((!push || vscard_nl_push(slot, owner.sk, req)) &&
	    vscard_reqs_take_hint(&slot->reqs))
		vscard_nl_notify(slot, owner.sk, owner.portid);
	sock_put(owner.sk);

	ret = vscard_req_wait(&slot->reqs, req, msecs_to_jiffies(timeout_ms),
			      &fetched);
	if (ret == -ETIMEDOUT || ret == -EINTR) {
		if (ret == -ETIMEDOUT) {
			atomic64_inc(&slot->stats.timeouts);
			trace_vscard_req_timeout(MINOR(slot->dev.devt), req->id,
						 fetched);
		}
		if (fetched) {
			/* Tell the agent, if it is still the same binding. */
			mutex_lock(&slot->lock);
			if (slot->bind.state == VSCARD_BOUND &&
			    (u32)slot->epoch == vscard_req_epoch(req->id)) {
				owner = slot->bind.owner;
				sock_hold(owner.sk);
			} else {
				owner.sk = NULL;
			}
			mutex_unlock(&slot->lock);
			if (owner.sk) {
				vscard_nl_cancel(slot, owner.sk, owner.portid,
						 req->id);
				sock_put(owner.sk);
			}
		}
		if (ret == -ETIMEDOUT)
			vscard_nl_event(VSCARD_EVENT_REQ_TIMEOUT, slot,
					slot->pool_id, req->id);
	} else if (!ret && req->type == VSCARD_REQ_POWER) {
		vscard_slot_power_done(slot, req, epoch);
	}
	return ret;

unlock:
	mutex_unlock(&slot->lock);
	return ret;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_submit);

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
	/* Sequences start at 1: a fresh file has seen nothing yet. */
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

	if (vscard_slot_is_dead(slot))
		return -ENODEV;

	switch (cmd) {
	case VSCARD_IOC_VERSION:
		return put_user((u32)VSCARD_ABI_VERSION, (u32 __user *)uarg);
	case VSCARD_IOC_GET_STATUS: {
		struct vscard_status st;

		vscard_slot_get_status(slot, &st);
		/* Racing GET_STATUS calls on one file: keep the newest. */
		vf->seen_seq = st.seq;
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
	return vscard_slot_poll_mask(slot, READ_ONCE(vf->seen_seq));
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
	vscard_reqs_init(&slot->reqs);
	INIT_DELAYED_WORK(&slot->linger_work, vscard_linger_expire);
	spin_lock_init(&slot->status_lock);
	init_waitqueue_head(&slot->wq);
	slot->seq = 1;

	device_initialize(&slot->dev);
	slot->dev.class = &vscard_class;
	slot->dev.type = &vscard_slot_type;
	slot->dev.groups = vscard_slot_groups;
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
	vscard_debugfs_add(slot);
	return slot;

err_put:
	/* The node may have been opened already: fops see a dead slot. */
	mutex_lock(&slot->lock);
	WRITE_ONCE(slot->dead, true);
	mutex_unlock(&slot->lock);
	put_device(&slot->dev);
	return ERR_PTR(ret);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_create);

/**
 * vscard_slot_kill() - destroy a slot
 * @slot:	the slot; the caller's registry reference is dropped
 *
 * Unpublish, mark dead, release the binding and fail pending requests
 * with -ENODEV, hang up pollers, drop the registry reference.
 */
void vscard_slot_kill(struct vscard_slot *slot)
{
	cdev_device_del(&slot->cdev, &slot->dev);
	vscard_debugfs_remove(slot);

	mutex_lock(&slot->lock);
	WRITE_ONCE(slot->dead, true);
	if (slot->bind.state != VSCARD_UNBOUND)
		vscard_release_binding_locked(slot, 0, -ENODEV);
	mutex_unlock(&slot->lock);
	/* Requests queued by nobody else can arrive now: dead is set. */
	vscard_reqs_abort_all(&slot->reqs, -ENODEV);
	cancel_delayed_work_sync(&slot->linger_work);

	spin_lock(&slot->status_lock);
	slot->seq++;
	spin_unlock(&slot->status_lock);
	wake_up_interruptible_poll(&slot->wq, EPOLLHUP | EPOLLERR);

	put_device(&slot->dev);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_slot_kill);

/**
 * vscard_slot_destroy_cleanup() - free the minor allocator (module exit)
 */
void vscard_slot_destroy_cleanup(void)
{
	ida_destroy(&vscard_minors);
}
