// SPDX-License-Identifier: MIT
/*
 * RDPDR (MS-RDPEFS) server role: the initialization handshake, the device
 * table (one smart-card device) and the I/O request/completion framing.
 */
#include <errno.h>
#include <string.h>
#include <sys/random.h>

#include "agent.h"
#include "log.h"
#include "utf16.h"

#define RDPDR_CTYP_CORE			0x4472
#define PAKID_CORE_SERVER_ANNOUNCE	0x496E
#define PAKID_CORE_CLIENTID_CONFIRM	0x4343
#define PAKID_CORE_CLIENT_NAME		0x434E
#define PAKID_CORE_DEVICELIST_ANNOUNCE	0x4441
#define PAKID_CORE_DEVICE_REPLY		0x6472
#define PAKID_CORE_DEVICE_IOREQUEST	0x4952
#define PAKID_CORE_DEVICE_IOCOMPLETION	0x4943
#define PAKID_CORE_SERVER_CAPABILITY	0x5350
#define PAKID_CORE_CLIENT_CAPABILITY	0x4350
#define PAKID_CORE_DEVICELIST_REMOVE	0x444D
#define PAKID_CORE_USER_LOGGEDON	0x554C

#define SERVER_MINOR			0x000C
#define CAP_GENERAL_TYPE		1
#define CAP_SMARTCARD_TYPE		5
#define RDPDR_USER_LOGGEDON_PDU		0x4
#define RDPDR_DEVICE_TYPE_SMARTCARD	0x20
#define IRP_MJ_DEVICE_CONTROL		0x0E
#define RDPDR_FILE_ID			1	/* like Windows; no CREATE is sent */

#define STATUS_SUCCESS			0x00000000u
#define STATUS_NOT_SUPPORTED		0xC00000BBu

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

static void hdr(struct bytebuf *b, uint16_t pakid)
{
	bb_u16(b, RDPDR_CTYP_CORE);
	bb_u16(b, pakid);
}

static void send_pdu(struct agent *a, struct bytebuf *b)
{
	agent_send_data(a, b);
	bb_reset(b);
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
	struct bytebuf *b = &a->scratch;

	bb_reset(b);
	memset(d->client_name, 0, sizeof(d->client_name));
	d->client_id = random_client_id();
	d->client_minor = 0;
	d->client_extended = 0;
	d->logged_on_sent = false;
	d->have_scard = false;
	d->state = RDPDR_WAIT_ANNOUNCE_REPLY;
	hdr(b, PAKID_CORE_SERVER_ANNOUNCE);
	bb_u16(b, 1);
	bb_u16(b, SERVER_MINOR);
	bb_u32(b, d->client_id);
	log_info("rdpdr: Server Announce 1.%u, ClientId 0x%08x", SERVER_MINOR,
		 d->client_id);
	send_pdu(a, b);
}

void rdpdr_close(struct agent *a)
{
	a->rdpdr.state = RDPDR_CLOSED;
	a->rdpdr.have_scard = false;
}

static void send_caps_and_confirm(struct agent *a)
{
	struct rdpdr *d = &a->rdpdr;
	struct bytebuf *b = &a->scratch;

	if (d->client_minor >= 5) {
		hdr(b, PAKID_CORE_SERVER_CAPABILITY);
		bb_u16(b, 2);		/* numCapabilities */
		bb_u16(b, 0);
		bb_u16(b, CAP_GENERAL_TYPE);
		bb_u16(b, 44);
		bb_u32(b, 2);		/* GENERAL_CAPABILITY_VERSION_02 */
		bb_u32(b, 2);		/* osType: ignored */
		bb_u32(b, 0);		/* osVersion */
		bb_u16(b, 1);
		bb_u16(b, SERVER_MINOR);
		bb_u32(b, 0x0000ffff);	/* ioCode1 */
		bb_u32(b, 0);		/* ioCode2 */
		bb_u32(b, 0x7);		/* extendedPDU */
		bb_u32(b, 0);		/* extraFlags1 */
		bb_u32(b, 0);		/* extraFlags2 */
		bb_u32(b, 1);		/* SpecialTypeDeviceCap */
		bb_u16(b, CAP_SMARTCARD_TYPE);
		bb_u16(b, 8);
		bb_u32(b, 1);
		send_pdu(a, b);
	}
	hdr(b, PAKID_CORE_CLIENTID_CONFIRM);
	bb_u16(b, 1);
	bb_u16(b, SERVER_MINOR);
	bb_u32(b, d->client_id);
	send_pdu(a, b);
	d->state = d->client_minor >= 5 ? RDPDR_WAIT_CAPS : RDPDR_RUNNING;
	if (d->state == RDPDR_RUNNING)
		log_info("rdpdr: running (client 1.%u, no capability exchange)",
			 d->client_minor);
}

static void on_announce_reply(struct agent *a, struct byterd *r)
{
	struct rdpdr *d = &a->rdpdr;
	uint16_t major = br_u16(r), minor = br_u16(r);
	uint32_t id = br_u32(r);

	if (r->err) {
		log_warn("rdpdr: short Client Announce Reply ignored");
		return;
	}
	if (d->state != RDPDR_WAIT_ANNOUNCE_REPLY) {
		log_warn("rdpdr: Client Announce Reply in state %s ignored",
			 rdpdr_state_name(d->state));
		return;
	}
	/* Accept any ClientId (old rdesktop sends a constant) and keep it. */
	d->client_minor = minor;
	d->client_id = id;
	d->state = RDPDR_WAIT_NAME;
	log_debug("rdpdr: Client Announce Reply %u.%u ClientId 0x%08x",
		  major, minor, id);
}

static void on_client_name(struct agent *a, struct byterd *r)
{
	struct rdpdr *d = &a->rdpdr;
	uint32_t unicode = br_u32(r);
	uint32_t len;
	const uint8_t *p;

	br_u32(r);			/* CodePage */
	len = br_u32(r);
	if (r->err) {
		log_warn("rdpdr: short Client Name Request ignored");
		return;
	}
	if (len > br_left(r))
		len = (uint32_t)br_left(r);
	p = br_bytes(r, len);
	if (unicode & 1) {
		utf16le_to_utf8(p, len / 2, d->client_name, sizeof(d->client_name));
	} else {
		size_t i, n = len < sizeof(d->client_name) ? len : sizeof(d->client_name) - 1;

		for (i = 0; i < n && p[i]; i++)
			d->client_name[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
		d->client_name[i] = '\0';
	}
	if (d->state != RDPDR_WAIT_NAME) {
		log_warn("rdpdr: Client Name in state %s ignored",
			 rdpdr_state_name(d->state));
		return;
	}
	log_info("rdpdr: client name \"%s\" (%s)", d->client_name,
		 unicode & 1 ? "unicode" : "ansi");
	send_caps_and_confirm(a);
}

static void on_client_caps(struct agent *a, struct byterd *r)
{
	struct rdpdr *d = &a->rdpdr;
	uint16_t n = br_u16(r), i;
	struct bytebuf *b = &a->scratch;

	br_u16(r);
	if (d->state != RDPDR_WAIT_CAPS) {
		log_warn("rdpdr: Client Capability Response in state %s ignored",
			 rdpdr_state_name(d->state));
		return;
	}
	for (i = 0; i < n && !r->err; i++) {
		size_t start = r->off;
		uint16_t type = br_u16(r), len = br_u16(r);

		br_u32(r);		/* version */
		if (r->err || len < 8 || len > r->len - start) {
			log_warn("rdpdr: bad capability set %u ignored", i);
			break;
		}
		if (type == CAP_GENERAL_TYPE && len >= 32) {
			struct byterd g;

			br_init(&g, r->p + start + 8, len - 8);
			br_bytes(&g, 20);	/* os type/version, protocol, ioCode1/2 */
			d->client_extended = br_u32(&g);
		}
		r->off = start + len;
	}
	d->state = RDPDR_RUNNING;
	log_info("rdpdr: running (client 1.%u, extendedPDU 0x%x)",
		 d->client_minor, d->client_extended);
	if (d->client_extended & RDPDR_USER_LOGGEDON_PDU) {
		hdr(b, PAKID_CORE_USER_LOGGEDON);
		send_pdu(a, b);
		d->logged_on_sent = true;
		log_debug("rdpdr: User Logged On sent");
	}
}

static void device_reply(struct agent *a, uint32_t id, uint32_t status)
{
	struct bytebuf *b = &a->scratch;

	hdr(b, PAKID_CORE_DEVICE_REPLY);
	bb_u32(b, id);
	bb_u32(b, status);
	send_pdu(a, b);
}

static void on_device_announce(struct agent *a, struct byterd *r)
{
	struct rdpdr *d = &a->rdpdr;
	uint32_t count = br_u32(r), i;

	if (d->state == RDPDR_CLOSED || d->state == RDPDR_WAIT_ANNOUNCE_REPLY ||
	    d->state == RDPDR_WAIT_NAME) {
		log_warn("rdpdr: Device List Announce in state %s ignored",
			 rdpdr_state_name(d->state));
		return;
	}
	for (i = 0; i < count; i++) {
		uint32_t type = br_u32(r), id = br_u32(r);
		const uint8_t *dos = br_bytes(r, 8);
		uint32_t dlen = br_u32(r);
		char name[9] = "";

		if (r->err || dlen > br_left(r)) {
			log_warn("rdpdr: truncated Device List Announce (%u of %u)",
				 i, count);
			return;
		}
		br_bytes(r, dlen);
		memcpy(name, dos, 8);
		for (int k = 0; k < 8; k++)
			if (name[k] && (name[k] < 0x20 || name[k] >= 0x7f))
				name[k] = '?';
		if (type != RDPDR_DEVICE_TYPE_SMARTCARD) {
			log_info("rdpdr: device %u type 0x%x \"%s\" not supported",
				 id, type, name);
			device_reply(a, id, STATUS_NOT_SUPPORTED);
			continue;
		}
		if (d->have_scard && d->scard_device == id) {
			/* FreeRDP announces the smart card twice: idempotent. */
			log_debug("rdpdr: smart card %u announced again", id);
			device_reply(a, id, STATUS_SUCCESS);
			continue;
		}
		if (d->have_scard) {
			log_info("rdpdr: second smart-card device %u refused", id);
			device_reply(a, id, STATUS_NOT_SUPPORTED);
			continue;
		}
		log_info("rdpdr: smart-card device %u \"%s\"", id, name);
		d->have_scard = true;
		d->scard_device = id;
		device_reply(a, id, STATUS_SUCCESS);
		scard_device_ready(a);
	}
}

static void on_device_remove(struct agent *a, struct byterd *r)
{
	struct rdpdr *d = &a->rdpdr;
	uint32_t count = br_u32(r), i;

	for (i = 0; i < count; i++) {
		uint32_t id = br_u32(r);

		if (r->err)
			break;
		if (d->have_scard && id == d->scard_device) {
			log_info("rdpdr: smart-card device %u removed", id);
			scard_device_gone(a, "device removed");
			d->have_scard = false;
		} else {
			log_debug("rdpdr: remove of unknown device %u ignored", id);
		}
	}
}

static void on_completion(struct agent *a, struct byterd *r)
{
	uint32_t dev = br_u32(r), cid = br_u32(r), io_status = br_u32(r);
	const uint8_t *out = NULL;
	uint32_t out_len = 0;
	struct ct_entry e;
	enum ct_result res;

	if (r->err) {
		log_warn("rdpdr: short I/O completion dropped");
		a->stats.frames_bad++;
		return;
	}
	/* DR_CONTROL_RSP: OutputBufferLength + OutputBuffer; junk may follow. */
	if (br_left(r) >= 4) {
		out_len = br_u32(r);
		if (out_len <= br_left(r))
			out = br_bytes(r, out_len);
	}
	if (!out)
		out_len = 0;
	res = ct_complete(&a->ct, dev, cid, &e);
	switch (res) {
	case CT_HIT:
		break;
	case CT_LATE:
		log_info("rdpdr: late completion CompletionId %u (%s, epoch %u) dropped",
			 cid, esc_ioctl_name(e.ioctl), e.epoch);
		return;
	case CT_UNKNOWN:
		log_warn("rdpdr: completion for unknown CompletionId %u dropped", cid);
		return;
	case CT_WRONG_DEVICE:
		log_warn("rdpdr: completion %u for device %u dropped", cid, dev);
		return;
	}
	if (!out && io_status == 0) {
		log_warn("rdpdr: completion %u (%s) has no valid OutputBuffer",
			 cid, esc_ioctl_name(e.ioctl));
		a->stats.frames_bad++;
		io_status = 0xC0000001u;	/* handled like STATUS_UNSUCCESSFUL */
	}
	scard_completion(a, &e, io_status, out, out ? out_len : 0);
}

void rdpdr_receive(struct agent *a, const uint8_t *p, size_t len)
{
	struct byterd r;
	uint16_t comp, pakid;

	br_init(&r, p, len);
	comp = br_u16(&r);
	pakid = br_u16(&r);
	log_hex("rdpdr in", p, len);
	if (r.err || comp != RDPDR_CTYP_CORE) {
		log_warn("rdpdr: PDU with component 0x%04x dropped", comp);
		a->stats.frames_bad++;
		return;
	}
	if (a->rdpdr.state == RDPDR_CLOSED) {
		log_warn("rdpdr: PDU 0x%04x before channel open dropped", pakid);
		a->stats.frames_bad++;
		return;
	}
	switch (pakid) {
	case PAKID_CORE_CLIENTID_CONFIRM:
		on_announce_reply(a, &r);
		break;
	case PAKID_CORE_CLIENT_NAME:
		on_client_name(a, &r);
		break;
	case PAKID_CORE_CLIENT_CAPABILITY:
		on_client_caps(a, &r);
		break;
	case PAKID_CORE_DEVICELIST_ANNOUNCE:
		on_device_announce(a, &r);
		break;
	case PAKID_CORE_DEVICELIST_REMOVE:
		on_device_remove(a, &r);
		break;
	case PAKID_CORE_DEVICE_IOCOMPLETION:
		on_completion(a, &r);
		break;
	default:
		log_warn("rdpdr: unexpected PacketId 0x%04x dropped", pakid);
		a->stats.frames_bad++;
		break;
	}
}

int rdpdr_ioctl(struct agent *a, uint32_t ioctl, const struct bytebuf *in,
		uint32_t out_len, uint64_t deadline_ms, uint64_t owner,
		uint32_t *cid)
{
	struct rdpdr *d = &a->rdpdr;
	struct bytebuf b;
	int ret;

	if (d->state < RDPDR_WAIT_CAPS || !d->have_scard)
		return -ENODEV;
	if (in->oom)
		return -ENOMEM;
	ret = ct_alloc(&a->ct, d->scard_device, ioctl, deadline_ms, owner, cid);
	if (ret)
		return ret;
	bb_init(&b);
	hdr(&b, PAKID_CORE_DEVICE_IOREQUEST);
	bb_u32(&b, d->scard_device);
	bb_u32(&b, RDPDR_FILE_ID);
	bb_u32(&b, *cid);
	bb_u32(&b, IRP_MJ_DEVICE_CONTROL);
	bb_u32(&b, 0);				/* MinorFunction */
	bb_u32(&b, out_len);
	bb_u32(&b, (uint32_t)in->len);
	bb_u32(&b, ioctl);
	bb_zero(&b, 20);
	bb_put(&b, in->data, in->len);
	if (b.oom) {
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
