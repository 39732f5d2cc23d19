/* SPDX-License-Identifier: GPL-2.0 */
/* vscard generic netlink family "vscard": the control plane. */
#ifndef _VSCARD_NL_H
#define _VSCARD_NL_H

int vscard_nl_init(void);
void vscard_nl_exit(void);

#endif /* _VSCARD_NL_H */
