// SPDX-License-Identifier: MIT
/*
 * libifdvscard: the one process-wide registry of readers and slots, looked
 * up by pcscd's Lun, and the polling functions pcscd calls per Lun.
 */
#include <reader.h>

#include "driver.h"

static struct ifd_driver driver = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.sysfs = "/sys/class/vscard",
	.devdir = "/dev",
};

struct ifd_reader *ifd_driver_reader(struct ifd_driver *d, DWORD lun)
{
	DWORD r = lun >> 16;

	return r < IFD_MAX_READERS ? &d->readers[r] : NULL;
}

struct ifd_slot *ifd_driver_slot(struct ifd_driver *d, DWORD lun)
{
	struct ifd_reader *r = ifd_driver_reader(d, lun);
	DWORD i = lun & 0xffff;
	struct ifd_slot *s = NULL;

	if (!r || i >= IFD_MAX_SLOTS)
		return NULL;
	pthread_mutex_lock(&d->lock);
	if (r->open[i])
		s = &r->slots[i];
	pthread_mutex_unlock(&d->lock);
	return s;
}

unsigned int ifd_driver_nslots(struct ifd_driver *d, DWORD lun)
{
	struct ifd_reader *r = ifd_driver_reader(d, lun);
	unsigned int n = 0;

	if (!r)
		return 0;
	pthread_mutex_lock(&d->lock);
	if (r->configured)
		n = r->cfg.slots;
	pthread_mutex_unlock(&d->lock);
	return n;
}

struct ifd_driver *ifd_driver_get(void)
{
	return &driver;
}

RESPONSECODE ifd_poll_event(DWORD lun, int timeout_ms)
{
	struct ifd_slot *s = ifd_driver_slot(&driver, lun);

	if (s)
		ifd_slot_wait(s, timeout_ms);
	return IFD_SUCCESS;
}

RESPONSECODE ifd_poll_stop(DWORD lun)
{
	struct ifd_slot *s = ifd_driver_slot(&driver, lun);

	if (s)
		ifd_slot_stop(s);
	return IFD_SUCCESS;
}
