// SPDX-License-Identifier: GPL-2.0
/*
 * vscard sysfs attributes of a slot (/sys/class/vscard/vscardN/), all
 * read-only.  Only "pool" and "slot" are world-readable: everything that
 * tells about a session (reader name, key hash, card activity, counters)
 * is root's, as the owner sees its own slots through netlink dumps and
 * the device node.  The session key itself is never shown.
 */
#include <linux/device.h>
#include <linux/sysfs.h>

#include "vscard_slot.h"
#include "vscard_sysfs.h"

static struct vscard_slot *to_slot(struct device *dev)
{
	return container_of(dev, struct vscard_slot, dev);
}

static ssize_t pool_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%u\n", to_slot(dev)->pool_id);
}
static DEVICE_ATTR_RO(pool);

static ssize_t slot_show(struct device *dev, struct device_attribute *attr,
			 char *buf)
{
	return sysfs_emit(buf, "%u\n", to_slot(dev)->index);
}
static DEVICE_ATTR_RO(slot);

static ssize_t state_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	struct vscard_slot *slot = to_slot(dev);
	const char *state;
	u32 flags;

	spin_lock(&slot->status_lock);
	flags = slot->flags;
	spin_unlock(&slot->status_lock);
	if (READ_ONCE(slot->dead))
		state = "dead";
	else if (flags & VSCARD_STATUS_LINGERING)
		state = "lingering";
	else if (!(flags & VSCARD_STATUS_BOUND))
		state = "unbound";
	else if (flags & VSCARD_STATUS_POWERED)
		state = "powered";
	else if (flags & VSCARD_STATUS_PRESENT)
		state = "present";
	else
		state = "absent";
	return sysfs_emit(buf, "%s\n", state);
}
static DEVICE_ATTR_ADMIN_RO(state);

static ssize_t reader_name_show(struct device *dev,
				struct device_attribute *attr, char *buf)
{
	struct vscard_slot *slot = to_slot(dev);
	char name[VSCARD_NAME_MAX];

	spin_lock(&slot->status_lock);
	strscpy(name, slot->name, sizeof(name));
	spin_unlock(&slot->status_lock);
	return sysfs_emit(buf, "%s\n", name);
}
static DEVICE_ATTR_ADMIN_RO(reader_name);

/* A u64 of the status, read under the status lock. */
static ssize_t vscard_status_u64_show(struct device *dev, char *buf,
				      size_t offset)
{
	struct vscard_slot *slot = to_slot(dev);
	u64 v;

	spin_lock(&slot->status_lock);
	v = *(u64 *)((char *)slot + offset);
	spin_unlock(&slot->status_lock);
	return sysfs_emit(buf, "%llu\n", v);
}

static ssize_t epoch_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return vscard_status_u64_show(dev, buf,
				      offsetof(struct vscard_slot, epoch));
}
static DEVICE_ATTR_ADMIN_RO(epoch);

static ssize_t seq_show(struct device *dev, struct device_attribute *attr,
			char *buf)
{
	return vscard_status_u64_show(dev, buf,
				      offsetof(struct vscard_slot, seq));
}
static DEVICE_ATTR_ADMIN_RO(seq);

static ssize_t insert_count_show(struct device *dev,
				 struct device_attribute *attr, char *buf)
{
	return vscard_status_u64_show(dev, buf,
				      offsetof(struct vscard_slot,
					       insert_count));
}
static DEVICE_ATTR_ADMIN_RO(insert_count);

static ssize_t session_key_hash_show(struct device *dev,
				     struct device_attribute *attr, char *buf)
{
	struct vscard_slot *slot = to_slot(dev);
	u64 v;

	spin_lock(&slot->status_lock);
	v = slot->key_hash;
	spin_unlock(&slot->status_lock);
	if (!v)
		return sysfs_emit(buf, "\n");
	return sysfs_emit(buf, "%016llx\n", v);
}
static DEVICE_ATTR_ADMIN_RO(session_key_hash);

static ssize_t pending_show(struct device *dev, struct device_attribute *attr,
			    char *buf)
{
	return sysfs_emit(buf, "%u\n", vscard_reqs_count(&to_slot(dev)->reqs));
}
static DEVICE_ATTR_ADMIN_RO(pending);

static struct attribute *vscard_slot_attrs[] = {
	&dev_attr_pool.attr,
	&dev_attr_slot.attr,
	&dev_attr_state.attr,
	&dev_attr_reader_name.attr,
	&dev_attr_epoch.attr,
	&dev_attr_seq.attr,
	&dev_attr_insert_count.attr,
	&dev_attr_session_key_hash.attr,
	&dev_attr_pending.attr,
	NULL
};

static const struct attribute_group vscard_slot_group = {
	.attrs = vscard_slot_attrs,
};

#define VSCARD_STAT_ATTR(name, field)					\
static ssize_t name##_show(struct device *dev,				\
			   struct device_attribute *attr, char *buf)	\
{									\
	return sysfs_emit(buf, "%lld\n",				\
		(long long)atomic64_read(&to_slot(dev)->stats.field));	\
}									\
static DEVICE_ATTR_ADMIN_RO(name)

VSCARD_STAT_ATTR(requests, requests);
VSCARD_STAT_ATTR(completed, completed);
VSCARD_STAT_ATTR(timeouts, timeouts);
VSCARD_STAT_ATTR(aborted, aborted);
VSCARD_STAT_ATTR(stale_completions, stale);
VSCARD_STAT_ATTR(binds, binds);

static struct attribute *vscard_stats_attrs[] = {
	&dev_attr_requests.attr,
	&dev_attr_completed.attr,
	&dev_attr_timeouts.attr,
	&dev_attr_aborted.attr,
	&dev_attr_stale_completions.attr,
	&dev_attr_binds.attr,
	NULL
};

static const struct attribute_group vscard_stats_group = {
	.name = "stats",
	.attrs = vscard_stats_attrs,
};

const struct attribute_group *vscard_slot_groups[] = {
	&vscard_slot_group,
	&vscard_stats_group,
	NULL
};
