/* SPDX-License-Identifier: GPL-2.0 */
/* vscard sysfs: the attributes of /sys/class/vscard/vscardN. */
#ifndef _VSCARD_SYSFS_H
#define _VSCARD_SYSFS_H

#include <linux/sysfs.h>

extern const struct attribute_group *vscard_slot_groups[];

#endif /* _VSCARD_SYSFS_H */
