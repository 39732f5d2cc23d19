// SPDX-License-Identifier: MIT
/*
 * Device mode's transport: the adapter's DEVICE_ADD / DEVICE_REMOVE /
 * IO_COMPLETION frames, checked, turned into rdpdr_io.c calls
 * (device_mode.h).
 *
 * The frames are untrusted input (the adapter relays what the client
 * sends).  The state machine:
 *
 *   closed --open (CHANNEL_OPEN)--> open, no device
 *   open, no device --DEVICE_ADD id--> open, device id
 *   open, device id --DEVICE_ADD id--> the same (idempotent: FreeRDP
 *                                      announces twice; a monitor that gave
 *                                      up tries again)
 *   open, device id --DEVICE_ADD id2--> device id2 (as DEVICE_REMOVE id,
 *                                       then DEVICE_ADD id2)
 *   open, device id --DEVICE_REMOVE id--> open, no device (everything
 *                                          outstanding fails)
 *   any --close (CHANNEL_CLOSE, RESET, connection gone)--> the caller
 *                                        resets rdpdr_io; RESET keeps open
 *
 * A DEVICE_ADD or DEVICE_REMOVE shorter than its fields, a DEVICE_ADD of
 * another device type, device frames before CHANNEL_OPEN and an
 * IO_COMPLETION that is not a DR_DEVICE_IOCOMPLETION are dropped, logged
 * and counted (frames_bad); a DEVICE_REMOVE of another DeviceId is
 * logged and ignored.  Completions are matched by rdpdr_io.c: unknown,
 * late and wrong-device ones are dropped and counted there.  Nothing the
 * adapter sends here ends the connection.
 */
#include <errno.h>
#include <string.h>

#include <rdpcodec/rdpdr.h>
#include <vscard/svcport.h>

#include "log.h"
#include "device_mode.h"

#define DEVICE_ADD_LEN		16	/* u32 DeviceId, u32 DeviceType, u8[8] */
#define DEVICE_REMOVE_LEN	4	/* u32 DeviceId */
#define IOCOMPLETION_HDR_LEN	4	/* RDPDR_HEADER, then the completion */

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	       (uint32_t)p[3] << 24;
}

void device_mode_init(struct device_mode *d, struct rdpdr_io *io)
{
	memset(d, 0, sizeof(*d));
	d->io = io;
}

void device_mode_open(struct device_mode *d)
{
	d->open = true;
	log_info("device: channel open, waiting for the smart-card device");
}

void device_mode_close(struct device_mode *d)
{
	d->open = false;
}

static void bad(struct device_mode *d, const char *what, size_t len)
{
	log_warn("device: %s (%zu bytes) dropped", what, len);
	d->frames_bad++;
}

static void on_add(struct device_mode *d, const uint8_t *p, size_t len)
{
	char name[9];
	uint32_t id, type;
	size_t i;

	if (len < DEVICE_ADD_LEN) {
		bad(d, "short DEVICE_ADD", len);
		return;
	}
	id = get32(p);
	type = get32(p + 4);
	for (i = 0; i < 8; i++) {	/* PreferredDosName: it goes to logs */
		name[i] = (char)p[8 + i];
		if (!name[i])
			break;
		if (p[8 + i] < 0x20 || p[8 + i] >= 0x7f)
			name[i] = '?';
	}
	name[i] = '\0';
	if (type != RDPDR_DTYP_SMARTCARD) {
		log_warn("device: DEVICE_ADD of device %u type 0x%x (not a smart card) dropped",
			 id, type);
		d->frames_bad++;
		return;
	}
	d->adds++;
	if (d->io->have_device && d->io->device_id == id) {
		log_debug("device: smart card %u added again", id);
		rdpdr_io_device_again(d->io);
		return;
	}
	if (d->io->have_device) {
		log_info("device: smart-card device %u replaces %u", id,
			 d->io->device_id);
		rdpdr_io_device_down(d->io, "device replaced");
	}
	log_info("device: smart-card device %u \"%s\"", id, name);
	rdpdr_io_device_up(d->io, id);
}

static void on_remove(struct device_mode *d, const uint8_t *p, size_t len)
{
	uint32_t id;

	if (len < DEVICE_REMOVE_LEN) {
		bad(d, "short DEVICE_REMOVE", len);
		return;
	}
	id = get32(p);
	if (!d->io->have_device || id != d->io->device_id) {
		log_info("device: DEVICE_REMOVE of unknown device %u ignored", id);
		return;
	}
	d->removes++;
	log_info("device: smart-card device %u removed", id);
	rdpdr_io_device_down(d->io, "device removed");
}

static void on_completion(struct device_mode *d, const uint8_t *p, size_t len)
{
	struct rdpdr_hdr h;

	if (len < IOCOMPLETION_HDR_LEN || rdpdr_decode_hdr(p, len, &h) ||
	    h.component != RDPDR_CTYP_CORE ||
	    h.packet_id != PAKID_CORE_DEVICE_IOCOMPLETION) {
		bad(d, "IO_COMPLETION that is not a DR_DEVICE_IOCOMPLETION", len);
		return;
	}
	log_hex("device in", p, len);
	rdpdr_io_completion(d->io, p, len);
}

int device_mode_frame(struct device_mode *d, uint16_t type, const uint8_t *p,
		       size_t len)
{
	if (type != SVCPORT_DEVICE_ADD && type != SVCPORT_DEVICE_REMOVE &&
	    type != SVCPORT_IO_COMPLETION)
		return -EPROTO;
	if (!d->open) {
		bad(d, "device frame before CHANNEL_OPEN", len);
		return 0;
	}
	switch (type) {
	case SVCPORT_DEVICE_ADD:
		on_add(d, p, len);
		break;
	case SVCPORT_DEVICE_REMOVE:
		on_remove(d, p, len);
		break;
	default:
		on_completion(d, p, len);
		break;
	}
	return 0;
}
