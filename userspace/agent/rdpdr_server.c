// SPDX-License-Identifier: MIT
/*
 * RDPDR (MS-RDPEFS) server role: the initialization handshake, the device
 * table (one smart-card device) and the I/O request/completion framing.
 * PDU layouts come from librdpcodec; the sequencing is here.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include <rdpcodec/rdpdr.h>
#include <rdpcodec/rdpesc.h>

#include "agent.h"
#include "encode.h"
#include "log.h"

#define RDPDR_FILE_ID		1	/* like Windows; no CREATE is ever sent */

const char *rdpdr_state_name(enum rdpdr_state s)
{
	switch (s) {
	case RDPDR_CLOSED: return "closed";
	case RDPDR_WAIT_ANNOUNCE_REPLY: return "wait-announce-reply";
	case RDPDR_WAIT_NAME: return "wait-client-name";
	case RDPDR_WAIT_CAPS: return "wait-client-caps";
	case RDPDR_RUNNING: return "running";
	}
	return "?";
}

/* Sends the PDU encoded in a->scratch (if encoding worked). */
static void send_scratch(struct agent *a, int enc_ret, const char *what)
{
	if (enc_ret)
		log_err("rdpdr: cannot encode %s: %s", what, rdp_strerror(enc_ret));
	else
		agent_send_data(a, &a->scratch);
	bb_reset(&a->scratch);
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

void rdpdr_start(struct agent *a)
{
	struct rdpdr *d = &a->rdpdr;
	struct rdpdr_announce ann = { RDPDR_VERSION_MAJOR, RDPDR_VERSION_MINOR, 0 };

	bb_reset(&a->scratch);
	memset(d->client_name, 0, sizeof(d->client_name));
	d->client_id = random_client_id();
	d->client_minor = 0;
	d->client_extended = 0;
	d->logged_on_sent = false;
	d->have_scard = false;
	d->state = RDPDR_WAIT_ANNOUNCE_REPLY;
	ann.client_id = d->client_id;
	log_info("rdpdr: Server Announce 1.%u, ClientId 0x%08x", RDPDR_VERSION_MINOR,
		 d->client_id);
	send_scratch(a, BB_ENCODE(&a->scratch, w, rdpdr_encode_server_announce(w, &ann)),
		     "Server Announce");
}

void rdpdr_close(struct agent *a)
{
	a->rdpdr.state = RDPDR_CLOSED;
	a->rdpdr.have_scard = false;
}

static void send_caps_and_confirm(struct agent *a)
{
	struct rdpdr *d = &a->rdpdr;
	struct rdpdr_announce conf = { RDPDR_VERSION_MAJOR, RDPDR_VERSION_MINOR,
				       d->client_id };
	struct rdpdr_caps caps;

	if (d->client_minor >= 5) {
		rdpdr_caps_server_default(&caps);
		send_scratch(a, BB_ENCODE(&a->scratch, w,
					  rdpdr_encode_server_caps(w, &caps)),
			     "Server Core Capability Request");
	}
	send_scratch(a, BB_ENCODE(&a->scratch, w, rdpdr_encode_clientid_confirm(w, &conf)),
		     "Server Client ID Confirm");
	d->state = d->client_minor >= 5 ? RDPDR_WAIT_CAPS : RDPDR_RUNNING;
	if (d->state == RDPDR_RUNNING)
		log_info("rdpdr: running (client 1.%u, no capability exchange)",
			 d->client_minor);
}

static void on_announce_reply(struct agent *a, const uint8_t *p, size_t len)
{
	struct rdpdr *d = &a->rdpdr;
	struct rdpdr_announce ann;

	if (rdpdr_decode_client_announce_reply(p, len, &ann)) {
		log_warn("rdpdr: malformed Client Announce Reply ignored");
		a->stats.frames_bad++;
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

static void on_client_name(struct agent *a, const uint8_t *p, size_t len)
{
	struct rdpdr *d = &a->rdpdr;
	struct rdpdr_client_name n;
	size_t i;

	if (rdpdr_decode_client_name(p, len, &n)) {
		log_warn("rdpdr: malformed Client Name Request ignored");
		a->stats.frames_bad++;
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
	send_caps_and_confirm(a);
}

static void on_client_caps(struct agent *a, const uint8_t *p, size_t len)
{
	struct rdpdr *d = &a->rdpdr;
	struct rdpdr_caps caps;

	if (d->state != RDPDR_WAIT_CAPS) {
		log_warn("rdpdr: Client Capability Response in state %s ignored",
			 rdpdr_state_name(d->state));
		return;
	}
	if (rdpdr_decode_client_caps(p, len, &caps)) {
		/* Lenient: run without the optional PDUs. */
		log_warn("rdpdr: malformed Client Capability Response; assuming none");
		a->stats.frames_bad++;
		memset(&caps, 0, sizeof(caps));
	}
	d->client_extended = RDPDR_CAPS_HAS(&caps, RDPDR_CAP_GENERAL) ?
			     caps.general.extended_pdu : 0;
	d->state = RDPDR_RUNNING;
	log_info("rdpdr: running (client 1.%u, extendedPDU 0x%x)",
		 d->client_minor, d->client_extended);
	if (d->client_extended & RDPDR_USER_LOGGEDON_PDU) {
		send_scratch(a, BB_ENCODE(&a->scratch, w, rdpdr_encode_user_loggedon(w)),
			     "User Logged On");
		d->logged_on_sent = true;
		log_debug("rdpdr: User Logged On sent");
	}
}

static void device_reply(struct agent *a, uint32_t id, uint32_t status)
{
	struct rdpdr_device_reply r = { .device_id = id, .result_code = status };

	send_scratch(a, BB_ENCODE(&a->scratch, w, rdpdr_encode_device_reply(w, &r)),
		     "Device Announce Response");
}

static void on_device_announce(struct agent *a, const uint8_t *p, size_t len)
{
	struct rdpdr *d = &a->rdpdr;
	struct rdpdr_device_iter it;
	struct rdpdr_device dev;

	if (d->state < RDPDR_WAIT_CAPS) {
		log_warn("rdpdr: Device List Announce in state %s ignored",
			 rdpdr_state_name(d->state));
		return;
	}
	if (rdpdr_device_list_begin(&it, p, len)) {
		log_warn("rdpdr: malformed Device List Announce ignored");
		a->stats.frames_bad++;
		return;
	}
	while (rdpdr_device_list_next(&it, &dev) == 1) {
		for (size_t k = 0; dev.dos_name[k]; k++)
			if (dev.dos_name[k] < 0x20 || dev.dos_name[k] >= 0x7f)
				dev.dos_name[k] = '?';
		if (dev.device_type != RDPDR_DTYP_SMARTCARD) {
			log_info("rdpdr: device %u type 0x%x \"%s\" not supported",
				 dev.device_id, dev.device_type, dev.dos_name);
			device_reply(a, dev.device_id, RDP_STATUS_NOT_SUPPORTED);
			continue;
		}
		if (d->have_scard && d->scard_device == dev.device_id) {
			/* FreeRDP announces the smart card twice: idempotent. */
			log_debug("rdpdr: smart card %u announced again", dev.device_id);
			device_reply(a, dev.device_id, RDP_STATUS_SUCCESS);
			scard_device_reannounced(a);	/* retries again if given up */
			continue;
		}
		if (d->have_scard) {
			log_info("rdpdr: second smart-card device %u refused",
				 dev.device_id);
			device_reply(a, dev.device_id, RDP_STATUS_NOT_SUPPORTED);
			continue;
		}
		log_info("rdpdr: smart-card device %u \"%s\"", dev.device_id,
			 dev.dos_name);
		d->have_scard = true;
		d->scard_device = dev.device_id;
		device_reply(a, dev.device_id, RDP_STATUS_SUCCESS);
		scard_device_ready(a);
	}
}

static void on_device_remove(struct agent *a, const uint8_t *p, size_t len)
{
	struct rdpdr *d = &a->rdpdr;
	struct rdpdr_device_remove rm;
	uint32_t i;

	if (rdpdr_decode_device_list_remove(p, len, &rm)) {
		log_warn("rdpdr: malformed Device List Remove ignored");
		a->stats.frames_bad++;
		return;
	}
	for (i = 0; i < rm.count; i++) {
		uint32_t id = rdpdr_device_remove_id(&rm, i);

		if (d->have_scard && id == d->scard_device) {
			log_info("rdpdr: smart-card device %u removed", id);
			scard_device_gone(a, "device removed");
			d->have_scard = false;
		} else {
			/* mstsc repeats removes of ids it already removed */
			log_debug("rdpdr: remove of unknown device %u ignored", id);
		}
	}
}

static void on_completion(struct agent *a, const uint8_t *p, size_t len)
{
	struct rdpdr_control_rsp rsp;
	struct ct_entry e;
	uint32_t io_status;
	bool bad;

	memset(&rsp, 0, sizeof(rsp));
	bad = rdpdr_decode_control_rsp(p, len, &rsp) != 0;
	if (bad && rdpdr_decode_iocompletion(p, len, &rsp.c)) {
		log_warn("rdpdr: short I/O completion dropped");
		a->stats.frames_bad++;
		return;
	}
	switch (ct_complete(&a->ct, rsp.c.device_id, rsp.c.completion_id, &e)) {
	case CT_HIT:
		break;
	case CT_LATE:
		log_info("rdpdr: late completion CompletionId %u (%s, epoch %u) dropped",
			 rsp.c.completion_id, esc_ioctl_name(e.ioctl), e.epoch);
		/*
		 * Same epoch: the client still holds what it created for it
		 * (a context); after a reset it dropped everything itself.
		 */
		if (!bad && rsp.c.io_status == 0 && e.epoch == a->ct.epoch)
			scard_late_completion(a, &e, rsp.output, rsp.output_len);
		return;
	case CT_UNKNOWN:
		log_warn("rdpdr: completion for unknown CompletionId %u dropped",
			 rsp.c.completion_id);
		return;
	case CT_WRONG_DEVICE:
		log_warn("rdpdr: completion %u for device %u dropped",
			 rsp.c.completion_id, rsp.c.device_id);
		return;
	}
	io_status = rsp.c.io_status;
	if (bad) {
		/* A known request with a broken DR_CONTROL_RSP: fail it. */
		log_warn("rdpdr: completion %u (%s) has no valid OutputBuffer",
			 rsp.c.completion_id, esc_ioctl_name(e.ioctl));
		a->stats.frames_bad++;
		if (!io_status)
			io_status = RDP_STATUS_UNSUCCESSFUL;
	}
	scard_completion(a, &e, io_status, io_status ? NULL : rsp.output,
			 io_status ? 0 : rsp.output_len);
}

void rdpdr_receive(struct agent *a, const uint8_t *p, size_t len)
{
	struct rdpdr_hdr h;

	log_hex("rdpdr in", p, len);
	if (rdpdr_decode_hdr(p, len, &h) || h.component != RDPDR_CTYP_CORE) {
		log_warn("rdpdr: PDU that is not RDPDR core dropped");
		a->stats.frames_bad++;
		return;
	}
	if (a->rdpdr.state == RDPDR_CLOSED) {
		log_warn("rdpdr: %s before channel open dropped",
			 rdpdr_packet_name(h.packet_id));
		a->stats.frames_bad++;
		return;
	}
	switch (h.packet_id) {
	case PAKID_CORE_CLIENTID_CONFIRM:
		on_announce_reply(a, p, len);
		break;
	case PAKID_CORE_CLIENT_NAME:
		on_client_name(a, p, len);
		break;
	case PAKID_CORE_CLIENT_CAPABILITY:
		on_client_caps(a, p, len);
		break;
	case PAKID_CORE_DEVICELIST_ANNOUNCE:
		on_device_announce(a, p, len);
		break;
	case PAKID_CORE_DEVICELIST_REMOVE:
		on_device_remove(a, p, len);
		break;
	case PAKID_CORE_DEVICE_IOCOMPLETION:
		on_completion(a, p, len);
		break;
	default:
		log_warn("rdpdr: unexpected %s (0x%04x) dropped",
			 rdpdr_packet_name(h.packet_id), h.packet_id);
		a->stats.frames_bad++;
		break;
	}
}

int rdpdr_ioctl(struct agent *a, uint32_t ioctl, const struct bytebuf *in,
		uint32_t out_len, uint64_t deadline_ms, uint64_t owner,
		uint32_t *cid)
{
	struct rdpdr *d = &a->rdpdr;
	struct rdpdr_control_req req;
	struct bytebuf b;
	int ret;

	if (d->state < RDPDR_WAIT_CAPS || !d->have_scard)
		return -ENODEV;
	if (in->oom)
		return -ENOMEM;
	ret = ct_alloc(&a->ct, d->scard_device, ioctl, deadline_ms, owner, cid);
	if (ret)
		return ret;
	memset(&req, 0, sizeof(req));
	req.io.device_id = d->scard_device;
	req.io.file_id = RDPDR_FILE_ID;
	req.io.completion_id = *cid;
	req.io.major_function = IRP_MJ_DEVICE_CONTROL;
	req.output_len = out_len;
	req.input_len = (uint32_t)in->len;
	req.ioctl = ioctl;
	req.input = in->data;
	bb_init(&b);
	ret = BB_ENCODE(&b, w, rdpdr_encode_control_req(w, &req));
	if (ret) {
		log_err("rdpdr: cannot encode %s: %s", esc_ioctl_name(ioctl),
			rdp_strerror(ret));
		ct_abandon(&a->ct, *cid);
		bb_free(&b);
		return -ENOMEM;
	}
	log_debug("rdpdr: -> %s CompletionId %u (%zu bytes)",
		  esc_ioctl_name(ioctl), *cid, in->len);
	agent_send_data(a, &b);
	bb_free(&b);
	return 0;
}
