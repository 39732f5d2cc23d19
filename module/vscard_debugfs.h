/* SPDX-License-Identifier: GPL-2.0 */
/* vscard debugfs: /sys/kernel/debug/vscard/vscardN (root only). */
#ifndef _VSCARD_DEBUGFS_H
#define _VSCARD_DEBUGFS_H

#include "vscard_slot.h"

void vscard_debugfs_init(void);
void vscard_debugfs_exit(void);
void vscard_debugfs_add(struct vscard_slot *slot);
void vscard_debugfs_remove(struct vscard_slot *slot);

#endif /* _VSCARD_DEBUGFS_H */
