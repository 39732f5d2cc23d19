// SPDX-License-Identifier: MIT
/*
 * Channel mode's RDPDR (MS-RDPEFS) server role: the initialization
 * handshake and the device table (one smart-card device, whose I/O goes
 * through rdpdr_io.c).  PDU layouts come from librdpcodec; the sequencing
 * is here.
 *
 * The state machine parses untrusted input (every PDU comes from the
 * client through the adapter):
 *
 *   CLOSED --start--> WAIT_ANNOUNCE_REPLY (Server Announce sent)
 *   WAIT_ANNOUNCE_REPLY --Client Announce Reply--> WAIT_NAME
 *   WAIT_NAME --Client Name--> WAIT_CAPS (caps + Client ID Confirm sent;
 *                              client 1.5+), else RUNNING
 *   WAIT_CAPS --Client Capability Response--> RUNNING (+ User Logged On
 *                                             if the client asked for it)
 *   WAIT_CAPS, RUNNING: Device List Announce / Remove
 *   any state but CLOSED: I/O completions (rdpdr_io.c matches them)
 *   any --close--> CLOSED
 *
 * A PDU in the wrong state is logged and ignored; a malformed one is
 * logged, counted in frames_bad and ignored; nothing a client sends ends
 * the channel.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <rdpcodec/rdpdr.h>
#include <rdpcodec/rdpesc.h>

#include "encode.h"
#include "evloop.h"
#include "log.h"
#include "rdpdr_server.h"

const char *rdpdr_state_name(enum rdpdr_state st)
{
	switch (st) {
	case RDPDR_CLOSED: return "closed";
	case RDPDR_WAIT_ANNOUNCE_REPLY: return "wait-announce-reply";
	case RDPDR_WAIT_NAME: return "wait-client-name";
	case RDPDR_WAIT_CAPS: return "wait-client-caps";
	case RDPDR_RUNNING: return "running";
	}
	return "?";
}

/* Sends the PDU encoded in s->scratch (if encoding worked). */
static void send_scratch(struct rdpdr_server *s, int enc_ret, const char *what)
{
	if (enc_ret)
		log_err("rdpdr: cannot encode %s: %s", what, rdp_strerror(enc_ret));
	else
		s->send(s->send_ctx, &s->scratch);
	bb_reset(&s->scratch);
}

void rdpdr_server_init(struct rdpdr_server *s, struct rdpdr_io *io,
		       rdpdr_send_fn *send, void *send_ctx)
{
	memset(s, 0, sizeof(*s));
	s->io = io;
	s->send = send;
	s->send_ctx = send_ctx;
	bb_init(&s->scratch);
}

void rdpdr_server_fini(struct rdpdr_server *s)
{
	bb_free(&s->scratch);
}

static uint32_t random_client_id(void)
{
	uint32_t id = 0;

	while (id == 0 || id == 0xffffffffu) {
		if (getrandom(&id, sizeof(id), 0) != sizeof(id))
			id = (uint32_t)now_ms() ^ 0x5a5a1234u;
	}
	return id;
}

void rdpdr_server_start(struct rdpdr_server *d)
{
	struct rdpdr_announce ann = { RDPDR_VERSION_MAJOR, RDPDR_VERSION_MINOR, 0 };

	bb_reset(&d->scratch);
	memset(d->client_name, 0, sizeof(d->client_name));
	d->client_id = random_client_id();
	d->client_minor = 0;
	d->client_extended = 0;
	d->logged_on_sent = false;
	d->state = RDPDR_WAIT_ANNOUNCE_REPLY;
	ann.client_id = d->client_id;
	log_info("rdpdr: Server Announce 1.%u, ClientId 0x%08x", RDPDR_VERSION_MINOR,
		 d->client_id);
	send_scratch(d, BB_ENCODE(&d->scratch, w, rdpdr_encode_server_announce(w, &ann)),
		     "Server Announce");
}

void rdpdr_server_close(struct rdpdr_server *d)
{
	d->state = RDPDR_CLOSED;
}

static void send_caps_and_confirm(struct rdpdr_server *d)
{
	struct rdpdr_announce conf = { RDPDR_VERSION_MAJOR, RDPDR_VERSION_MINOR,
				       d->client_id };
	struct rdpdr_caps caps;

	if (d->client_minor >= 5) {
		rdpdr_caps_server_default(&caps);
		send_scratch(d, BB_ENCODE(&d->scratch, w,
					  rdpdr_encode_server_caps(w, &caps)),
			     "Server Core Capability Request");
	}
	send_scratch(d, BB_ENCODE(&d->scratch, w, rdpdr_encode_clientid_confirm(w, &conf)),
		     "Server Client ID Confirm");
	d->state = d->client_minor >= 5 ? RDPDR_WAIT_CAPS : RDPDR_RUNNING;
	if (d->state == RDPDR_RUNNING)
		log_info("rdpdr: running (client 1.%u, no capability exchange)",
			 d->client_minor);
}

static void on_announce_reply(struct rdpdr_server *d, const uint8_t *p, size_t len)
{
	struct rdpdr_announce ann;

	if (rdpdr_decode_client_announce_reply(p, len, &ann)) {
		log_warn("rdpdr: malformed Client Announce Reply ignored");
		d->frames_bad++;
		return;
	}
	if (d->state != RDPDR_WAIT_ANNOUNCE_REPLY) {
		log_warn("rdpdr: Client Announce Reply in state %s ignored",
			 rdpdr_state_name(d->state));
		return;
	}
	/* Accept any ClientId (old rdesktop sends a constant) and keep it. */
	d->client_minor = ann.version_minor;
	d->client_id = ann.client_id;
	d->state = RDPDR_WAIT_NAME;
	log_debug("rdpdr: Client Announce Reply %u.%u ClientId 0x%08x",
		  ann.version_major, ann.version_minor, ann.client_id);
}

static void on_client_name(struct rdpdr_server *d, const uint8_t *p, size_t len)
{
	struct rdpdr_client_name n;
	size_t i;

	if (rdpdr_decode_client_name(p, len, &n)) {
		log_warn("rdpdr: malformed Client Name Request ignored");
		d->frames_bad++;
		return;
	}
	if (d->state != RDPDR_WAIT_NAME) {
		log_warn("rdpdr: Client Name in state %s ignored",
			 rdpdr_state_name(d->state));
		return;
	}
	snprintf(d->client_name, sizeof(d->client_name), "%s", n.name);
	for (i = 0; d->client_name[i]; i++)	/* it goes to logs */
		if ((unsigned char)d->client_name[i] < 0x20 || d->client_name[i] == 0x7f)
			d->client_name[i] = '?';
	log_info("rdpdr: client name \"%s\" (%s)", d->client_name,
		 n.unicode_flag & 1 ? "unicode" : "ansi");
	send_caps_and_confirm(d);
}

static void on_client_caps(struct rdpdr_server *d, const uint8_t *p, size_t len)
{
	struct rdpdr_caps caps;

	if (d->state != RDPDR_WAIT_CAPS) {
		log_warn("rdpdr: Client Capability Response in state %s ignored",
			 rdpdr_state_name(d->state));
		return;
	}
	if (rdpdr_decode_client_caps(p, len, &caps)) {
		/* Lenient: run without the optional PDUs. */
		log_warn("rdpdr: malformed Client Capability Response; assuming none");
		d->frames_bad++;
		memset(&caps, 0, sizeof(caps));
	}
	d->client_extended = RDPDR_CAPS_HAS(&caps, RDPDR_CAP_GENERAL) ?
			     caps.general.extended_pdu : 0;
	d->state = RDPDR_RUNNING;
	log_info("rdpdr: running (client 1.%u, extendedPDU 0x%x)",
		 d->client_minor, d->client_extended);
	if (d->client_extended & RDPDR_USER_LOGGEDON_PDU) {
		send_scratch(d, BB_ENCODE(&d->scratch, w, rdpdr_encode_user_loggedon(w)),
			     "User Logged On");
		d->logged_on_sent = true;
		log_debug("rdpdr: User Logged On sent");
	}
}

static void device_reply(struct rdpdr_server *d, uint32_t id, uint32_t status)
{
	struct rdpdr_device_reply r = { .device_id = id, .result_code = status };

	send_scratch(d, BB_ENCODE(&d->scratch, w, rdpdr_encode_device_reply(w, &r)),
		     "Device Announce Response");
}

static void on_device_announce(struct rdpdr_server *d, const uint8_t *p, size_t len)
{
	struct rdpdr_device_iter it;
	struct rdpdr_device dev;

	if (d->state < RDPDR_WAIT_CAPS) {
		log_warn("rdpdr: Device List Announce in state %s ignored",
			 rdpdr_state_name(d->state));
		return;
	}
	if (rdpdr_device_list_begin(&it, p, len)) {
		log_warn("rdpdr: malformed Device List Announce ignored");
		d->frames_bad++;
		return;
	}
	while (rdpdr_device_list_next(&it, &dev) == 1) {
		for (size_t k = 0; dev.dos_name[k]; k++)
			if (dev.dos_name[k] < 0x20 || dev.dos_name[k] >= 0x7f)
				dev.dos_name[k] = '?';
		if (dev.device_type != RDPDR_DTYP_SMARTCARD) {
			log_info("rdpdr: device %u type 0x%x \"%s\" not supported",
				 dev.device_id, dev.device_type, dev.dos_name);
			device_reply(d, dev.device_id, RDP_STATUS_NOT_SUPPORTED);
			continue;
		}
		if (d->io->have_device && d->io->device_id == dev.device_id) {
			/* FreeRDP announces the smart card twice: idempotent. */
			log_debug("rdpdr: smart card %u announced again", dev.device_id);
			device_reply(d, dev.device_id, RDP_STATUS_SUCCESS);
			rdpdr_io_device_again(d->io);	/* retries again if given up */
			continue;
		}
		if (d->io->have_device) {
			log_info("rdpdr: second smart-card device %u refused",
				 dev.device_id);
			device_reply(d, dev.device_id, RDP_STATUS_NOT_SUPPORTED);
			continue;
		}
		log_info("rdpdr: smart-card device %u \"%s\"", dev.device_id,
			 dev.dos_name);
		device_reply(d, dev.device_id, RDP_STATUS_SUCCESS);
		rdpdr_io_device_up(d->io, dev.device_id);
	}
}

static void on_device_remove(struct rdpdr_server *d, const uint8_t *p, size_t len)
{
	struct rdpdr_device_remove rm;
	uint32_t i;

	if (rdpdr_decode_device_list_remove(p, len, &rm)) {
		log_warn("rdpdr: malformed Device List Remove ignored");
		d->frames_bad++;
		return;
	}
	for (i = 0; i < rm.count; i++) {
		uint32_t id = rdpdr_device_remove_id(&rm, i);

		if (d->io->have_device && id == d->io->device_id) {
			log_info("rdpdr: smart-card device %u removed", id);
			rdpdr_io_device_down(d->io, "device removed");
		} else {
			/* mstsc repeats removes of ids it already removed */
			log_debug("rdpdr: remove of unknown device %u ignored", id);
		}
	}
}

void rdpdr_server_receive(struct rdpdr_server *d, const uint8_t *p, size_t len)
{
	struct rdpdr_hdr h;

	log_hex("rdpdr in", p, len);
	if (rdpdr_decode_hdr(p, len, &h) || h.component != RDPDR_CTYP_CORE) {
		log_warn("rdpdr: PDU that is not RDPDR core dropped");
		d->frames_bad++;
		return;
	}
	if (d->state == RDPDR_CLOSED) {
		log_warn("rdpdr: %s before channel open dropped",
			 rdpdr_packet_name(h.packet_id));
		d->frames_bad++;
		return;
	}
	switch (h.packet_id) {
	case PAKID_CORE_CLIENTID_CONFIRM:
		on_announce_reply(d, p, len);
		break;
	case PAKID_CORE_CLIENT_NAME:
		on_client_name(d, p, len);
		break;
	case PAKID_CORE_CLIENT_CAPABILITY:
		on_client_caps(d, p, len);
		break;
	case PAKID_CORE_DEVICELIST_ANNOUNCE:
		on_device_announce(d, p, len);
		break;
	case PAKID_CORE_DEVICELIST_REMOVE:
		on_device_remove(d, p, len);
		break;
	case PAKID_CORE_DEVICE_IOCOMPLETION:
		rdpdr_io_completion(d->io, p, len);
		break;
	default:
		log_warn("rdpdr: unexpected %s (0x%04x) dropped",
			 rdpdr_packet_name(h.packet_id), h.packet_id);
		d->frames_bad++;
		break;
	}
}
