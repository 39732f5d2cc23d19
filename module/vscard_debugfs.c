// SPDX-License-Identifier: GPL-2.0
/*
 * vscard debugfs: /sys/kernel/debug/vscard/vscardN lists the slot's
 * binding and its pending-request table.
 */
#include <linux/debugfs.h>
#include <linux/seq_file.h>

#include "vscard_debugfs.h"

static struct dentry *vscard_debugfs_root;

static int vscard_debugfs_show(struct seq_file *m, void *unused)
{
	struct vscard_slot *slot = m->private;
	struct vscard_req *req;
	unsigned long serial;

	/*
	 * The slot outlives this file: vscard_slot_kill() removes the file
	 * (waiting for readers) before it drops the registry reference.
	 */
	mutex_lock(&slot->lock);
	seq_printf(m, "pool %u slot %u state %d epoch %llu binder_pid %d\n",
		   slot->pool_id, slot->index, slot->bind.state, slot->epoch,
		   pid_nr(slot->bind.pid));
	mutex_unlock(&slot->lock);

	xa_lock(&slot->reqs.xa);
	seq_printf(m, "pending %u\n", slot->reqs.count);
	xa_for_each(&slot->reqs.xa, serial, req)
		seq_printf(m, "id %#llx type %u code %#x tx %u rx_max %u %s\n",
			   req->id, req->type, req->code, req->tx_len,
			   req->rx_max, req->fetched ? "fetched" : "queued");
	xa_unlock(&slot->reqs.xa);
	return 0;
}
DEFINE_SHOW_ATTRIBUTE(vscard_debugfs);

/**
 * vscard_debugfs_init() - create the vscard debugfs directory
 */
void vscard_debugfs_init(void)
{
	vscard_debugfs_root = debugfs_create_dir("vscard", NULL);
}

/**
 * vscard_debugfs_exit() - remove it
 */
void vscard_debugfs_exit(void)
{
	debugfs_remove_recursive(vscard_debugfs_root);
	vscard_debugfs_root = NULL;
}

/**
 * vscard_debugfs_add() - add a slot's file
 * @slot:	the slot
 */
void vscard_debugfs_add(struct vscard_slot *slot)
{
	slot->debugfs = debugfs_create_file(dev_name(&slot->dev), 0400,
					    vscard_debugfs_root, slot,
					    &vscard_debugfs_fops);
}

/**
 * vscard_debugfs_remove() - remove a slot's file, waiting for readers
 * @slot:	the slot
 */
void vscard_debugfs_remove(struct vscard_slot *slot)
{
	debugfs_remove(slot->debugfs);
	slot->debugfs = NULL;
}
