/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vscard binding files: a binding, as the file its agent reads requests
 * from and writes completions to.
 */
#ifndef _VSCARD_BFILE_H
#define _VSCARD_BFILE_H

#include <linux/fs.h>

#include "vscard_pool.h"

struct file *vscard_bfile_bind(const struct vscard_bind_args *a,
			       const struct vscard_caller *c,
			       u32 *slot_index, u64 *epoch);
void vscard_bfile_abandon(struct file *file);

#endif /* _VSCARD_BFILE_H */
