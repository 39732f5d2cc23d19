/* SPDX-License-Identifier: MIT */
/*
 * The driver's registry of readers and slots, indexed by pcscd's Lun
 * (reader << 16 | slot).  pcscd addresses the driver only by Lun, so this
 * is the one process-wide object; everything else hangs off it.
 */
#ifndef IFD_VSCARD_DRIVER_H
#define IFD_VSCARD_DRIVER_H

#include <ifdhandler.h>

#include "ifd.h"

struct ifd_reader {
	bool configured;		/* slot 0's channel was created */
	struct ifd_devname cfg;
	bool inited[IFD_MAX_SLOTS];	/* slots[i] initialised once */
	bool open[IFD_MAX_SLOTS];	/* channel created and not closed */
	struct ifd_slot slots[IFD_MAX_SLOTS];
};

struct ifd_driver {
	pthread_mutex_t lock;		/* readers[*] configuration */
	const char *sysfs;
	const char *devdir;
	struct ifd_reader readers[IFD_MAX_READERS];
};

/* The process's registry (pcscd loads the driver once). */
struct ifd_driver *ifd_driver_get(void);
/* @lun's reader, or NULL if out of range. */
struct ifd_reader *ifd_driver_reader(struct ifd_driver *d, DWORD lun);
/* The open slot of @lun, or NULL. */
struct ifd_slot *ifd_driver_slot(struct ifd_driver *d, DWORD lun);
/* Number of slots configured for @lun's reader (0 if none). */
unsigned int ifd_driver_nslots(struct ifd_driver *d, DWORD lun);

/* The functions handed to pcscd by TAG_IFD_POLLING_THREAD_WITH_TIMEOUT
 * and TAG_IFD_STOP_POLLING_THREAD. */
RESPONSECODE ifd_poll_event(DWORD lun, int timeout_ms);
RESPONSECODE ifd_poll_stop(DWORD lun);

#endif /* IFD_VSCARD_DRIVER_H */
