// SPDX-License-Identifier: MIT
/* Server Core Capability Request / Client Core Capability Response. */
#include <string.h>

#include "rdpdr_internal.h"

#define CAP_HDR_SIZE		8
#define GENERAL_V1_SIZE		40
#define GENERAL_V2_SIZE		44

void rdpdr_caps_server_default(struct rdpdr_caps *c)
{
	memset(c, 0, sizeof(*c));
	c->present = 1u << RDPDR_CAP_GENERAL | 1u << RDPDR_CAP_SMARTCARD;
	c->version[RDPDR_CAP_GENERAL] = RDPDR_GENERAL_CAPS_V2;
	c->version[RDPDR_CAP_SMARTCARD] = 1;
	c->general.version = RDPDR_GENERAL_CAPS_V2;
	c->general.os_type = 0;
	c->general.os_version = 0;
	c->general.protocol_major = RDPDR_VERSION_MAJOR;
	c->general.protocol_minor = RDPDR_VERSION_MINOR;
	c->general.io_code1 = 0x0000FFFF;
	c->general.extended_pdu = RDPDR_DEVICE_REMOVE_PDUS | RDPDR_CLIENT_DISPLAY_NAME_PDU |
				  RDPDR_USER_LOGGEDON_PDU;
	c->general.special_type_device_cap = 1;
}

static int encode_caps(struct rdp_wr *w, uint16_t pid, const struct rdpdr_caps *c)
{
	const struct rdpdr_general_caps *g = &c->general;
	uint16_t n = 0;
	unsigned int t;

	for (t = RDPDR_CAP_GENERAL; t <= RDPDR_CAP_MAX_TYPE; t++)
		n += RDPDR_CAPS_HAS(c, t);
	rdpdr_put_hdr(w, pid);
	rdp_wr_u16(w, n);
	rdp_wr_u16(w, 0);
	if (RDPDR_CAPS_HAS(c, RDPDR_CAP_GENERAL)) {
		bool v2 = g->version >= RDPDR_GENERAL_CAPS_V2;

		rdp_wr_u16(w, RDPDR_CAP_GENERAL);
		rdp_wr_u16(w, v2 ? GENERAL_V2_SIZE : GENERAL_V1_SIZE);
		rdp_wr_u32(w, g->version);
		rdp_wr_u32(w, g->os_type);
		rdp_wr_u32(w, g->os_version);
		rdp_wr_u16(w, g->protocol_major);
		rdp_wr_u16(w, g->protocol_minor);
		rdp_wr_u32(w, g->io_code1);
		rdp_wr_u32(w, g->io_code2);
		rdp_wr_u32(w, g->extended_pdu);
		rdp_wr_u32(w, g->extra_flags1);
		rdp_wr_u32(w, g->extra_flags2);
		if (v2)
			rdp_wr_u32(w, g->special_type_device_cap);
	}
	for (t = RDPDR_CAP_PRINTER; t <= RDPDR_CAP_MAX_TYPE; t++) {
		if (!RDPDR_CAPS_HAS(c, t))
			continue;
		rdp_wr_u16(w, (uint16_t)t);
		rdp_wr_u16(w, CAP_HDR_SIZE);
		rdp_wr_u32(w, c->version[t]);
	}
	return w->err;
}

static int decode_general(struct rdp_rd *set, uint32_t version, struct rdpdr_general_caps *g)
{
	memset(g, 0, sizeof(*g));
	g->version = version;
	g->os_type = rdp_rd_u32(set);
	g->os_version = rdp_rd_u32(set);
	g->protocol_major = rdp_rd_u16(set);
	g->protocol_minor = rdp_rd_u16(set);
	g->io_code1 = rdp_rd_u32(set);
	g->io_code2 = rdp_rd_u32(set);
	g->extended_pdu = rdp_rd_u32(set);
	g->extra_flags1 = rdp_rd_u32(set);
	g->extra_flags2 = rdp_rd_u32(set);
	if (version >= RDPDR_GENERAL_CAPS_V2 && rdp_rd_left(set) >= 4)
		g->special_type_device_cap = rdp_rd_u32(set);
	return set->err ? RDP_ERR_MALFORMED : RDP_OK;
}

static int decode_caps(const void *buf, size_t len, uint16_t pid, struct rdpdr_caps *c)
{
	struct rdp_rd r;
	int err = rdpdr_open(&r, buf, len, pid);
	uint16_t i;

	memset(c, 0, sizeof(*c));
	if (err)
		return err;
	c->num_capabilities = rdp_rd_u16(&r);
	rdp_rd_u16(&r);
	for (i = 0; i < c->num_capabilities && !r.err; i++) {
		uint16_t type = rdp_rd_u16(&r);
		uint16_t clen = rdp_rd_u16(&r);
		uint32_t version = rdp_rd_u32(&r);
		const uint8_t *body;
		struct rdp_rd set;

		if (r.err)
			break;
		if (clen < CAP_HDR_SIZE)
			return RDP_ERR_MALFORMED;
		body = rdp_rd_view(&r, clen - CAP_HDR_SIZE);
		if (!body)
			break;
		if (type < RDPDR_CAP_GENERAL || type > RDPDR_CAP_MAX_TYPE)
			continue;	/* unknown: skip leniently */
		c->present |= 1u << type;
		c->version[type] = version;
		if (type == RDPDR_CAP_GENERAL) {
			rdp_rd_init(&set, body, clen - CAP_HDR_SIZE);
			err = decode_general(&set, version, &c->general);
			if (err)
				return err;
		}
	}
	return r.err;
}

int rdpdr_encode_server_caps(struct rdp_wr *w, const struct rdpdr_caps *c)
{
	return encode_caps(w, PAKID_CORE_SERVER_CAPABILITY, c);
}

int rdpdr_decode_server_caps(const void *buf, size_t len, struct rdpdr_caps *c)
{
	return decode_caps(buf, len, PAKID_CORE_SERVER_CAPABILITY, c);
}

int rdpdr_encode_client_caps(struct rdp_wr *w, const struct rdpdr_caps *c)
{
	return encode_caps(w, PAKID_CORE_CLIENT_CAPABILITY, c);
}

int rdpdr_decode_client_caps(const void *buf, size_t len, struct rdpdr_caps *c)
{
	return decode_caps(buf, len, PAKID_CORE_CLIENT_CAPABILITY, c);
}
