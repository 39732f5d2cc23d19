/* SPDX-License-Identifier: MIT */
/*
 * The smart-card device's I/O, as both RDPDR transports carry it: whether
 * a device is there, CompletionIds (completion_table.h), DR_CONTROL_REQ
 * out and DR_DEVICE_IOCOMPLETION in.  The channel-mode RDPDR server
 * (rdpdr_server.c) and the device-mode transport (device_mode.c) feed it;
 * the layer above (the smart-card client) is told what happened through
 * the struct rdpdr_io_events it gives at init, and sends through
 * rdpdr_io_ioctl().  Both modes therefore build and match requests with
 * the same code.
 */
#ifndef AGENT_RDPDR_IO_H
#define AGENT_RDPDR_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"
#include "completion_table.h"

/* Upward: the smart-card client.  @ctx is the pointer given with them. */
struct rdpdr_io_events {
	/* The smart-card device appeared: start using it. */
	void (*device_ready)(void *ctx);
	/* The same device was announced again (FreeRDP does it twice). */
	void (*device_again)(void *ctx);
	/*
	 * The device or the whole remote side is gone: every outstanding
	 * request already failed locally (its id is kept reserved); the
	 * client dropped everything it held for us.
	 */
	void (*device_gone)(void *ctx, const char *why);
	/* A completion of an outstanding request (io_status 0: @out valid). */
	void (*completion)(void *ctx, const struct ct_entry *e, uint32_t io_status,
			   const uint8_t *out, size_t out_len);
	/*
	 * A successful completion of a request given up on earlier (timed
	 * out, cancelled) in the current epoch: what it created on the
	 * client is still there.
	 */
	void (*late_completion)(void *ctx, const struct ct_entry *e,
				const uint8_t *out, size_t out_len);
};

/*
 * Downward: sends one whole RDPDR PDU toward the client (a DATA frame in
 * channel mode, an IO_REQUEST frame in device mode).
 */
typedef void rdpdr_send_fn(void *ctx, const struct bytebuf *pdu);

struct rdpdr_io {
	struct completion_table ct;
	bool have_device;
	uint32_t device_id;
	uint64_t resets;		/* remote resets (channel or device) */
	uint64_t frames_bad;		/* completions that could not be read */
	rdpdr_send_fn *send;
	void *send_ctx;
	const struct rdpdr_io_events *ev;
	void *ev_ctx;
};

void rdpdr_io_init(struct rdpdr_io *io, rdpdr_send_fn *send, void *send_ctx,
		   const struct rdpdr_io_events *ev, void *ev_ctx);
void rdpdr_io_fini(struct rdpdr_io *io);

/* The transports' side. */
void rdpdr_io_device_up(struct rdpdr_io *io, uint32_t device_id);
void rdpdr_io_device_again(struct rdpdr_io *io);
/* The device went: outstanding requests fail, device_gone is reported. */
void rdpdr_io_device_down(struct rdpdr_io *io, const char *why);
/* The whole remote side was reset (counted): as device_down, device or not. */
void rdpdr_io_reset(struct rdpdr_io *io, const char *why);
/*
 * One DR_DEVICE_IOCOMPLETION PDU, RDPDR header included (untrusted):
 * matched by CompletionId and DeviceId to an outstanding request, or
 * dropped and counted (late, unknown, wrong device, unreadable).
 */
void rdpdr_io_completion(struct rdpdr_io *io, const uint8_t *p, size_t len);

/* The smart-card client's side. */
/*
 * Sends one DR_CONTROL_REQ on the smart-card device.  @deadline_ms 0: none.
 * Returns 0 and *cid, or -errno (-ENODEV: no device; -ENOMEM).
 */
int rdpdr_io_ioctl(struct rdpdr_io *io, uint32_t ioctl, const struct bytebuf *in,
		   uint32_t out_len, uint64_t deadline_ms, uint64_t owner,
		   uint32_t *cid);
/* Abandons every outstanding request of @owner (see completion_table.h). */
size_t rdpdr_io_abandon_owner(struct rdpdr_io *io, uint64_t owner);
/* Abandons and copies out one request whose deadline passed: 1, else 0. */
int rdpdr_io_expire_one(struct rdpdr_io *io, uint64_t now, struct ct_entry *e);
uint64_t rdpdr_io_next_deadline(const struct rdpdr_io *io);

#endif
