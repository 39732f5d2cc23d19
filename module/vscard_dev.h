/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vscard device nodes: the character devices /dev/vscardN of the slots,
 * their class and their minor numbers.
 */
#ifndef _VSCARD_DEV_H
#define _VSCARD_DEV_H

#include "vscard_slot.h"

/* Host-wide number of slots (device minors). */
#define VSCARD_MINORS		4096

int vscard_dev_init(void);
void vscard_dev_exit(void);
int vscard_dev_add(struct vscard_slot *slot);
void vscard_dev_del(struct vscard_slot *slot);

#endif /* _VSCARD_DEV_H */
