// SPDX-License-Identifier: GPL-2.0
/*
 * vscard binding files: the data plane between a slot and its agent.
 *
 * BIND (vscard_nl.c) creates the binding and returns it as an anonymous
 * file, the owner object of the slot's binding.  Whoever holds the file
 * serves the slot:
 *  - read() returns the next message: a cancellation notice or the oldest
 *    unread request, as struct vscard_msg + command bytes;
 *  - write() takes one command: a completion or a card state;
 *  - poll() is readable while a message is queued;
 *  - the last close() ends the binding, with the linger time it was made
 *    with; pending requests fail at once.
 * The slot reaches the file only through vscard_bfile_ops (wake readers,
 * queue a cancellation, end); the file reaches the slot through its owner
 * operations, which refuse a file that no longer owns the binding.
 *
 * Everything written here comes from an unprivileged agent that parses
 * untrusted RDP input: every command is checked whole before it acts.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/mm.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/uio.h>
#include <kunit/visibility.h>

#include "vscard_bfile.h"

/* Cancellation notices kept; see vscard_bfile_cancelled(). */
#define VSCARD_BFILE_CANCELS	(2 * VSCARD_SLOT_REQS_MAX)

/**
 * struct vscard_bfile - a binding file
 * @slot:	the bound slot (a device reference)
 * @wq:		readers and pollers
 * @lock:	protects the fields below
 * @ended:	the binding ended: reads return end of file
 * @abandon:	no linger on release (BIND failed after the bind)
 * @ncancel:	queued cancellation notices
 * @cancel:	their request ids, oldest first
 */
struct vscard_bfile {
	struct vscard_slot *slot;
	wait_queue_head_t wq;
	spinlock_t lock;	/* @ended, @abandon, the notices */
	bool ended;
	bool abandon;
	u32 ncancel;
	u64 cancel[VSCARD_BFILE_CANCELS];
};

static void vscard_bfile_queued(void *owner)
{
	struct vscard_bfile *bf = owner;

	wake_up_interruptible_poll(&bf->wq, EPOLLIN | EPOLLRDNORM);
}

/*
 * Notices are bounded: one is queued only for a request the agent read,
 * and a reader gets requests only once the notices are drained, so at
 * most VSCARD_SLOT_REQS_MAX are queued.  Should that ever be exceeded the
 * oldest notice goes: its completion simply gets -ENOENT.
 */
static void vscard_bfile_cancelled(void *owner, u64 id)
{
	struct vscard_bfile *bf = owner;

	spin_lock(&bf->lock);
	if (bf->ncancel == VSCARD_BFILE_CANCELS) {
		memmove(bf->cancel, bf->cancel + 1,
			(VSCARD_BFILE_CANCELS - 1) * sizeof(bf->cancel[0]));
		bf->ncancel--;
	}
	bf->cancel[bf->ncancel++] = id;
	spin_unlock(&bf->lock);
	wake_up_interruptible_poll(&bf->wq, EPOLLIN | EPOLLRDNORM);
}

static void vscard_bfile_ended(void *owner)
{
	struct vscard_bfile *bf = owner;

	spin_lock(&bf->lock);
	bf->ended = true;
	spin_unlock(&bf->lock);
	wake_up_interruptible_poll(&bf->wq, EPOLLHUP | EPOLLIN | EPOLLRDNORM);
}

static const struct vscard_owner_ops vscard_bfile_ops = {
	.queued = vscard_bfile_queued,
	.cancelled = vscard_bfile_cancelled,
	.ended = vscard_bfile_ended,
};

/* Lockless: a notice or a request is queued (read() re-checks). */
static bool vscard_bfile_has_msg(struct vscard_bfile *bf)
{
	return READ_ONCE(bf->ncancel) ||
	       vscard_reqs_any_queued(&bf->slot->reqs);
}

static bool vscard_bfile_ready(struct vscard_bfile *bf)
{
	return READ_ONCE(bf->ended) || vscard_bfile_has_msg(bf);
}

/* Pop the oldest cancellation notice into @msg; false if none. */
static bool vscard_bfile_pop_cancel(struct vscard_bfile *bf,
				    struct vscard_msg *msg)
{
	bool ok;

	spin_lock(&bf->lock);
	ok = bf->ncancel;
	if (ok) {
		memset(msg, 0, sizeof(*msg));
		msg->id = bf->cancel[0];
		msg->type = VSCARD_MSG_CANCEL;
		memmove(bf->cancel, bf->cancel + 1,
			(bf->ncancel - 1) * sizeof(bf->cancel[0]));
		bf->ncancel--;
	}
	spin_unlock(&bf->lock);
	return ok;
}

/* One message, or NULL/ERR_PTR; a cancellation is returned in @msg. */
static struct vscard_req *vscard_bfile_next(struct vscard_bfile *bf,
					    struct vscard_msg *msg,
					    size_t room, bool *cancel)
{
	*cancel = vscard_bfile_pop_cancel(bf, msg);
	if (*cancel)
		return NULL;
	return vscard_slot_take_req(bf->slot, bf, room, sizeof(*msg));
}

static ssize_t vscard_bfile_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct vscard_bfile *bf = iocb->ki_filp->private_data;
	bool nonblock = (iocb->ki_filp->f_flags & O_NONBLOCK) ||
			(iocb->ki_flags & IOCB_NOWAIT);
	size_t room = iov_iter_count(to);
	struct vscard_msg msg;
	struct vscard_req *req;
	bool cancel;
	int ret;

	for (;;) {
		/* Once the binding ended only end of file is left. */
		if (READ_ONCE(bf->ended))
			return 0;
		if (room < sizeof(msg))
			return -EMSGSIZE;
		req = vscard_bfile_next(bf, &msg, room, &cancel);
		if (cancel)
			break;
		if (IS_ERR(req)) {
			/* -ENODEV: the binding ended: end of file. */
			return PTR_ERR(req) == -ENODEV ? 0 : PTR_ERR(req);
		}
		if (req)
			break;
		if (nonblock)
			return -EAGAIN;
		ret = wait_event_interruptible(bf->wq, vscard_bfile_ready(bf));
		if (ret)
			return ret;
	}

	if (cancel)
		return copy_to_iter(&msg, sizeof(msg), to) == sizeof(msg) ?
		       sizeof(msg) : -EFAULT;

	msg.id = req->id;
	msg.type = req->type;
	msg.code = req->code;
	msg.rx_max = req->rx_max;
	msg.len = req->tx_len;
	if (copy_to_iter(&msg, sizeof(msg), to) != sizeof(msg) ||
	    copy_to_iter(req->tx, req->tx_len, to) != req->tx_len) {
		/* Undelivered: the next read gets it, in its place. */
		vscard_slot_untake_req(bf->slot, req);
		vscard_req_put(req);
		return -EFAULT;
	}
	ret = sizeof(msg) + req->tx_len;
	vscard_req_put(req);
	return ret;
}

#define VSCARD_PROTO_ALL (VSCARD_PROTO_T0 | VSCARD_PROTO_T1 | VSCARD_PROTO_RAW)

/* A completion: the header is checked whole, then the data copied. */
static ssize_t vscard_bfile_done(struct vscard_bfile *bf, struct iov_iter *from,
				 size_t count)
{
	struct vscard_cmd_done d;
	u8 *rx = NULL;
	size_t data;
	int ret;

	if (count < sizeof(d) || !copy_from_iter_full(&d, sizeof(d), from))
		return count < sizeof(d) ? -EINVAL : -EFAULT;
	if (d.reserved || d.status > 0 || d.status < -MAX_ERRNO ||
	    (d.protocols & ~VSCARD_PROTO_ALL))
		return -EINVAL;
	/* Kernel-internal codes (-ERESTARTSYS ...) must not reach callers. */
	if (d.status <= -ERESTARTSYS && d.status >= -EIOCBQUEUED)
		return -EINVAL;
	/* Only a successful completion carries bytes. */
	data = d.status ? 0 : d.len;
	if ((d.status && d.status != -ENOBUFS && d.len) ||
	    d.len > VSCARD_DATA_MAX || count != sizeof(d) + data)
		return -EINVAL;
	if (data) {
		rx = kvmalloc(data, GFP_KERNEL_ACCOUNT);
		if (!rx)
			return -ENOMEM;
		if (!copy_from_iter_full(rx, data, from)) {
			kvfree(rx);
			return -EFAULT;
		}
	}
	ret = vscard_slot_complete(bf->slot, bf, d.id, d.status, d.result,
				   d.protocols, rx, d.len);
	return ret ? ret : count;
}

static ssize_t vscard_bfile_card(struct vscard_bfile *bf, struct iov_iter *from,
				 size_t count)
{
	struct vscard_cmd_card c;
	bool present;
	int ret;

	if (count != sizeof(c))
		return -EINVAL;
	if (!copy_from_iter_full(&c, sizeof(c), from))
		return -EFAULT;
	if (c.state > VSCARD_CARD_PRESENT || (c.protocols & ~VSCARD_PROTO_ALL))
		return -EINVAL;
	present = c.state == VSCARD_CARD_PRESENT;
	if (present ? !c.atr_len || c.atr_len > VSCARD_ATR_MAX : c.atr_len)
		return -EINVAL;
	ret = vscard_slot_card_set(bf->slot, bf, present, c.atr, c.atr_len,
				   present ? c.protocols : 0);
	return ret ? ret : count;
}

static ssize_t vscard_bfile_write_iter(struct kiocb *iocb,
				       struct iov_iter *from)
{
	struct vscard_bfile *bf = iocb->ki_filp->private_data;
	size_t count = iov_iter_count(from);
	struct iov_iter peek = *from;
	u32 cmd;

	if (count < sizeof(cmd))
		return -EINVAL;
	if (!copy_from_iter_full(&cmd, sizeof(cmd), &peek))
		return -EFAULT;
	switch (cmd) {
	case VSCARD_BCMD_DONE:
		return vscard_bfile_done(bf, from, count);
	case VSCARD_BCMD_CARD:
		return vscard_bfile_card(bf, from, count);
	default:
		return -EINVAL;
	}
}

static __poll_t vscard_bfile_poll(struct file *file, poll_table *wait)
{
	struct vscard_bfile *bf = file->private_data;
	__poll_t mask = EPOLLOUT | EPOLLWRNORM;

	poll_wait(file, &bf->wq, wait);
	/* Ended: read() returns end of file at once. */
	if (READ_ONCE(bf->ended))
		return mask | EPOLLHUP | EPOLLIN | EPOLLRDNORM;
	if (vscard_bfile_has_msg(bf))
		mask |= EPOLLIN | EPOLLRDNORM;
	return mask;
}

static int vscard_bfile_release(struct inode *inode, struct file *file)
{
	struct vscard_bfile *bf = file->private_data;

	vscard_slot_owner_gone(bf->slot, bf, !bf->abandon);
	put_device(&bf->slot->dev);
	kfree(bf);
	return 0;
}

static const struct file_operations vscard_bfile_fops = {
	.owner = THIS_MODULE,
	.read_iter = vscard_bfile_read_iter,
	.write_iter = vscard_bfile_write_iter,
	.poll = vscard_bfile_poll,
	.release = vscard_bfile_release,
	.llseek = noop_llseek,
};

/**
 * vscard_bfile_bind() - bind a slot and make its binding file
 * @a:		the BIND
 * @c:		the caller
 * @slot_index:	out: the slot's index in its pool
 * @epoch:	out: the new epoch
 *
 * The file is not installed in any descriptor table: the caller does that
 * once its reply is on its way, or drops it with vscard_bfile_abandon().
 *
 * Return: the file, or an ERR_PTR() of vscard_pool_bind() or -ENOMEM.
 */
struct file *vscard_bfile_bind(const struct vscard_bind_args *a,
			       const struct vscard_caller *c,
			       u32 *slot_index, u64 *epoch)
{
	struct vscard_bfile *bf;
	struct vscard_slot *slot;
	struct file *file;

	bf = kzalloc(sizeof(*bf), GFP_KERNEL_ACCOUNT);
	if (!bf)
		return ERR_PTR(-ENOMEM);
	init_waitqueue_head(&bf->wq);
	spin_lock_init(&bf->lock);

	slot = vscard_pool_bind(a, c, bf, &vscard_bfile_ops, epoch);
	if (IS_ERR(slot)) {
		kfree(bf);
		return ERR_CAST(slot);
	}
	bf->slot = slot;
	file = anon_inode_getfile("[vscard-binding]", &vscard_bfile_fops, bf,
				  O_RDWR | O_CLOEXEC);
	if (IS_ERR(file)) {
		vscard_slot_owner_gone(slot, bf, false);
		put_device(&slot->dev);
		kfree(bf);
		return file;
	}
	*slot_index = slot->index;
	return file;
}
EXPORT_SYMBOL_IF_KUNIT(vscard_bfile_bind);

/**
 * vscard_bfile_abandon() - drop a binding file never handed out
 * @file:	from vscard_bfile_bind(); the binding ends without linger
 */
void vscard_bfile_abandon(struct file *file)
{
	struct vscard_bfile *bf = file->private_data;

	bf->abandon = true;
	fput(file);
}
EXPORT_SYMBOL_IF_KUNIT(vscard_bfile_abandon);
