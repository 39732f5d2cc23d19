/* SPDX-License-Identifier: MIT */
/*
 * Device mode: the adapter (xrdp's chansrv) runs the RDPDR core and hands
 * the agent one smart-card device in svcport frames (DEVICE_ADD,
 * DEVICE_REMOVE, IO_COMPLETION; userspace/include/vscard/svcport.h).
 * This transport checks those frames and drives rdpdr_io.c, which builds
 * the IO_REQUESTs and matches the completions exactly as in channel mode.
 * The agent never sends Server Announce, capabilities or User Logged On.
 */
#ifndef AGENT_DEVICE_MODE_H
#define AGENT_DEVICE_MODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rdpdr_io.h"

struct device_mode {
	bool open;			/* CHANNEL_OPEN seen, not closed */
	uint64_t frames_bad;		/* device frames dropped as malformed */
	uint64_t adds, removes;		/* DEVICE_ADD / DEVICE_REMOVE taken */
	struct rdpdr_io *io;
};

void device_mode_init(struct device_mode *d, struct rdpdr_io *io);
/* CHANNEL_OPEN: no device until DEVICE_ADD. */
void device_mode_open(struct device_mode *d);
/* CHANNEL_CLOSE, the connection gone (after rdpdr_io_reset()). */
void device_mode_close(struct device_mode *d);
/*
 * One device-mode frame from the adapter (untrusted payload): DEVICE_ADD,
 * DEVICE_REMOVE or IO_COMPLETION.  Returns 0, or -EPROTO when @type is not
 * one of those (the caller says so).
 */
int device_mode_frame(struct device_mode *d, uint16_t type, const uint8_t *p,
		       size_t len);

#endif
