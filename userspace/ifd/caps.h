/* SPDX-License-Identifier: MIT */
/*
 * IFDHGetCapabilities / IFDHSetCapabilities: driver tags answered locally,
 * SCARD_ATTR_VALUE() attributes passed to the remote reader.
 */
#ifndef IFD_VSCARD_CAPS_H
#define IFD_VSCARD_CAPS_H

#include <ifdhandler.h>

#include "driver.h"

RESPONSECODE ifd_caps_get(struct ifd_driver *d, DWORD lun, DWORD tag,
			  PDWORD len, PUCHAR val);
RESPONSECODE ifd_caps_set(struct ifd_driver *d, DWORD lun, DWORD tag,
			  DWORD len, const UCHAR *val);

#endif /* IFD_VSCARD_CAPS_H */
