/* SPDX-License-Identifier: MIT */
/* Helpers shared by the RDPDR core PDU files. */
#ifndef RDPCODEC_RDPDR_INTERNAL_H
#define RDPCODEC_RDPDR_INTERNAL_H

#include <rdpcodec/rdpdr.h>

static inline void rdpdr_put_hdr(struct rdp_wr *w, uint16_t packet_id)
{
	rdp_wr_u16(w, RDPDR_CTYP_CORE);
	rdp_wr_u16(w, packet_id);
}

/* Start reading a core PDU with the given PacketId (RDP_ERR_MALFORMED if not). */
static inline int rdpdr_open(struct rdp_rd *r, const void *buf, size_t len, uint16_t packet_id)
{
	uint16_t comp, pid;

	rdp_rd_init(r, buf, len);
	comp = rdp_rd_u16(r);
	pid = rdp_rd_u16(r);
	if (r->err)
		return r->err;
	if (comp != RDPDR_CTYP_CORE || pid != packet_id)
		return RDP_ERR_MALFORMED;
	return RDP_OK;
}

#endif
