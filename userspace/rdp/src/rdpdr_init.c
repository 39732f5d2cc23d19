// SPDX-License-Identifier: MIT
/* RDPDR initialisation PDUs: announce, client id confirm, client name,
 * user logged on, device announce response; header and packet names. */
#include <string.h>

#include <rdpcodec/text.h>
#include "rdpdr_internal.h"

int rdpdr_decode_hdr(const void *buf, size_t len, struct rdpdr_hdr *h)
{
	struct rdp_rd r;

	rdp_rd_init(&r, buf, len);
	h->component = rdp_rd_u16(&r);
	h->packet_id = rdp_rd_u16(&r);
	return r.err;
}

static int encode_announce(struct rdp_wr *w, uint16_t pid, const struct rdpdr_announce *a)
{
	rdpdr_put_hdr(w, pid);
	rdp_wr_u16(w, a->version_major);
	rdp_wr_u16(w, a->version_minor);
	rdp_wr_u32(w, a->client_id);
	return w->err;
}

static int decode_announce(const void *buf, size_t len, uint16_t pid, struct rdpdr_announce *a)
{
	struct rdp_rd r;
	int err = rdpdr_open(&r, buf, len, pid);

	if (err)
		return err;
	a->version_major = rdp_rd_u16(&r);
	a->version_minor = rdp_rd_u16(&r);
	a->client_id = rdp_rd_u32(&r);
	return r.err;
}

int rdpdr_encode_server_announce(struct rdp_wr *w, const struct rdpdr_announce *a)
{
	return encode_announce(w, PAKID_CORE_SERVER_ANNOUNCE, a);
}

int rdpdr_decode_server_announce(const void *buf, size_t len, struct rdpdr_announce *a)
{
	return decode_announce(buf, len, PAKID_CORE_SERVER_ANNOUNCE, a);
}

int rdpdr_encode_client_announce_reply(struct rdp_wr *w, const struct rdpdr_announce *a)
{
	return encode_announce(w, PAKID_CORE_CLIENTID_CONFIRM, a);
}

int rdpdr_decode_client_announce_reply(const void *buf, size_t len, struct rdpdr_announce *a)
{
	return decode_announce(buf, len, PAKID_CORE_CLIENTID_CONFIRM, a);
}

int rdpdr_encode_clientid_confirm(struct rdp_wr *w, const struct rdpdr_announce *a)
{
	return encode_announce(w, PAKID_CORE_CLIENTID_CONFIRM, a);
}

int rdpdr_decode_clientid_confirm(const void *buf, size_t len, struct rdpdr_announce *a)
{
	return decode_announce(buf, len, PAKID_CORE_CLIENTID_CONFIRM, a);
}

int rdpdr_encode_client_name(struct rdp_wr *w, const struct rdpdr_client_name *n)
{
	size_t slen = strnlen(n->name, RDPDR_NAME_MAX);
	long units;

	if (slen == RDPDR_NAME_MAX)
		return RDP_ERR_INVAL;
	rdpdr_put_hdr(w, PAKID_CORE_CLIENT_NAME);
	rdp_wr_u32(w, n->unicode_flag);
	rdp_wr_u32(w, n->code_page);
	if (n->unicode_flag & 1) {
		units = rdp_utf8_utf16_units(n->name, slen);
		if (units < 0)
			return (int)units;
		rdp_wr_u32(w, (uint32_t)(units + 1) * 2);
		rdp_utf8_to_utf16le(w, n->name, slen);
		rdp_wr_u16(w, 0);
	} else {
		rdp_wr_u32(w, (uint32_t)slen + 1);
		rdp_wr_bytes(w, n->name, slen);
		rdp_wr_u8(w, 0);
	}
	return w->err;
}

/* UTF-16LE name -> UTF-8, stop at NUL, keep whole characters that fit. */
static void name_from_utf16(const uint8_t *p, size_t units, char *out, size_t cap)
{
	size_t i = 0, o = 0;

	while (i < units) {
		uint16_t u = (uint16_t)(p[2 * i] | p[2 * i + 1] << 8);
		size_t k = 1;
		char tmp[4];
		long n;

		if (u == 0)
			break;
		if (u >= 0xD800 && u <= 0xDBFF && i + 1 < units) {
			uint16_t lo = (uint16_t)(p[2 * i + 2] | p[2 * i + 3] << 8);

			if (lo >= 0xDC00 && lo <= 0xDFFF)
				k = 2;
		}
		n = rdp_utf16le_to_utf8(p + 2 * i, k, tmp, sizeof(tmp));
		if (n < 0 || (size_t)n >= cap - o)
			break;
		memcpy(out + o, tmp, (size_t)n);
		o += (size_t)n;
		i += k;
	}
	out[o] = 0;
}

int rdpdr_decode_client_name(const void *buf, size_t len, struct rdpdr_client_name *n)
{
	struct rdp_rd r;
	int err = rdpdr_open(&r, buf, len, PAKID_CORE_CLIENT_NAME);
	uint32_t nlen;
	size_t k;

	memset(n, 0, sizeof(*n));
	if (err)
		return err;
	n->unicode_flag = rdp_rd_u32(&r);
	n->code_page = rdp_rd_u32(&r);
	nlen = rdp_rd_u32(&r);
	n->raw = rdp_rd_view(&r, nlen);
	if (r.err) {
		n->raw = NULL;
		return r.err;
	}
	n->raw_len = nlen;
	if (n->unicode_flag & 1) {
		name_from_utf16(n->raw, nlen / 2, n->name, sizeof(n->name));
	} else {
		k = strnlen((const char *)n->raw, nlen);
		if (k > sizeof(n->name) - 1)
			k = sizeof(n->name) - 1;
		memcpy(n->name, n->raw, k);
		n->name[k] = 0;
	}
	return RDP_OK;
}

int rdpdr_encode_user_loggedon(struct rdp_wr *w)
{
	rdpdr_put_hdr(w, PAKID_CORE_USER_LOGGEDON);
	return w->err;
}

int rdpdr_decode_user_loggedon(const void *buf, size_t len)
{
	struct rdp_rd r;

	return rdpdr_open(&r, buf, len, PAKID_CORE_USER_LOGGEDON);
}

int rdpdr_encode_device_reply(struct rdp_wr *w, const struct rdpdr_device_reply *d)
{
	rdpdr_put_hdr(w, PAKID_CORE_DEVICE_REPLY);
	rdp_wr_u32(w, d->device_id);
	rdp_wr_u32(w, d->result_code);
	return w->err;
}

int rdpdr_decode_device_reply(const void *buf, size_t len, struct rdpdr_device_reply *d)
{
	struct rdp_rd r;
	int err = rdpdr_open(&r, buf, len, PAKID_CORE_DEVICE_REPLY);

	if (err)
		return err;
	d->device_id = rdp_rd_u32(&r);
	d->result_code = rdp_rd_u32(&r);
	return r.err;
}

const char *rdpdr_packet_name(uint16_t packet_id)
{
	switch (packet_id) {
	case PAKID_CORE_SERVER_ANNOUNCE:	return "SERVER_ANNOUNCE";
	case PAKID_CORE_CLIENTID_CONFIRM:	return "CLIENTID_CONFIRM";
	case PAKID_CORE_CLIENT_NAME:		return "CLIENT_NAME";
	case PAKID_CORE_DEVICELIST_ANNOUNCE:	return "DEVICELIST_ANNOUNCE";
	case PAKID_CORE_DEVICE_REPLY:		return "DEVICE_REPLY";
	case PAKID_CORE_DEVICE_IOREQUEST:	return "DEVICE_IOREQUEST";
	case PAKID_CORE_DEVICE_IOCOMPLETION:	return "DEVICE_IOCOMPLETION";
	case PAKID_CORE_SERVER_CAPABILITY:	return "SERVER_CAPABILITY";
	case PAKID_CORE_CLIENT_CAPABILITY:	return "CLIENT_CAPABILITY";
	case PAKID_CORE_DEVICELIST_REMOVE:	return "DEVICELIST_REMOVE";
	case PAKID_CORE_USER_LOGGEDON:		return "USER_LOGGEDON";
	}
	return "UNKNOWN";
}
