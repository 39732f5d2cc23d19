// SPDX-License-Identifier: MIT
/* RDPESC: RPCE type headers, dispatch on IoControlCode, whole requests. */
#include <string.h>

#include "rdpesc_bodies.h"

enum rdpesc_call_kind rdpesc_call_kind(uint32_t ioctl)
{
	switch (ioctl) {
	case SCARD_IOCTL_ESTABLISHCONTEXT:	return RDPESC_CALL_ESTABLISH;
	case SCARD_IOCTL_RELEASECONTEXT:
	case SCARD_IOCTL_ISVALIDCONTEXT:
	case SCARD_IOCTL_CANCEL:		return RDPESC_CALL_CONTEXT;
	case SCARD_IOCTL_LISTREADERGROUPSA:
	case SCARD_IOCTL_LISTREADERGROUPSW:	return RDPESC_CALL_LIST_GROUPS;
	case SCARD_IOCTL_LISTREADERSA:
	case SCARD_IOCTL_LISTREADERSW:		return RDPESC_CALL_LIST_READERS;
	case SCARD_IOCTL_GETSTATUSCHANGEA:
	case SCARD_IOCTL_GETSTATUSCHANGEW:	return RDPESC_CALL_GSC;
	case SCARD_IOCTL_CONNECTA:
	case SCARD_IOCTL_CONNECTW:		return RDPESC_CALL_CONNECT;
	case SCARD_IOCTL_RECONNECT:		return RDPESC_CALL_RECONNECT;
	case SCARD_IOCTL_DISCONNECT:
	case SCARD_IOCTL_BEGINTRANSACTION:
	case SCARD_IOCTL_ENDTRANSACTION:	return RDPESC_CALL_HCARD;
	case SCARD_IOCTL_STATE:			return RDPESC_CALL_STATE;
	case SCARD_IOCTL_STATUSA:
	case SCARD_IOCTL_STATUSW:		return RDPESC_CALL_STATUS;
	case SCARD_IOCTL_TRANSMIT:		return RDPESC_CALL_TRANSMIT;
	case SCARD_IOCTL_CONTROL:		return RDPESC_CALL_CONTROL;
	case SCARD_IOCTL_GETATTRIB:		return RDPESC_CALL_GET_ATTRIB;
	case SCARD_IOCTL_SETATTRIB:		return RDPESC_CALL_SET_ATTRIB;
	case SCARD_IOCTL_ACCESSSTARTEDEVENT:	return RDPESC_CALL_ACCESS_STARTED;
	case SCARD_IOCTL_GETTRANSMITCOUNT:	return RDPESC_CALL_TRANSMIT_COUNT;
	case SCARD_IOCTL_GETREADERICON:
	case SCARD_IOCTL_GETDEVICETYPEID:	return RDPESC_CALL_READER;
	}
	return RDPESC_CALL_NONE;
}

enum rdpesc_return_kind rdpesc_return_kind(uint32_t ioctl)
{
	switch (ioctl) {
	case SCARD_IOCTL_RELEASECONTEXT:
	case SCARD_IOCTL_ISVALIDCONTEXT:
	case SCARD_IOCTL_CANCEL:
	case SCARD_IOCTL_DISCONNECT:
	case SCARD_IOCTL_BEGINTRANSACTION:
	case SCARD_IOCTL_ENDTRANSACTION:
	case SCARD_IOCTL_SETATTRIB:
	case SCARD_IOCTL_ACCESSSTARTEDEVENT:	return RDPESC_RET_LONG;
	case SCARD_IOCTL_ESTABLISHCONTEXT:	return RDPESC_RET_ESTABLISH;
	case SCARD_IOCTL_LISTREADERGROUPSA:
	case SCARD_IOCTL_LISTREADERGROUPSW:
	case SCARD_IOCTL_LISTREADERSA:
	case SCARD_IOCTL_LISTREADERSW:		return RDPESC_RET_LIST_READERS;
	case SCARD_IOCTL_GETSTATUSCHANGEA:
	case SCARD_IOCTL_GETSTATUSCHANGEW:
	case SCARD_IOCTL_LOCATECARDSA:
	case SCARD_IOCTL_LOCATECARDSW:		return RDPESC_RET_GSC;
	case SCARD_IOCTL_CONNECTA:
	case SCARD_IOCTL_CONNECTW:		return RDPESC_RET_CONNECT;
	case SCARD_IOCTL_RECONNECT:		return RDPESC_RET_RECONNECT;
	case SCARD_IOCTL_STATE:			return RDPESC_RET_STATE;
	case SCARD_IOCTL_STATUSA:
	case SCARD_IOCTL_STATUSW:		return RDPESC_RET_STATUS;
	case SCARD_IOCTL_TRANSMIT:		return RDPESC_RET_TRANSMIT;
	case SCARD_IOCTL_CONTROL:
	case SCARD_IOCTL_GETATTRIB:
	case SCARD_IOCTL_GETREADERICON:		return RDPESC_RET_BUFFER;
	case SCARD_IOCTL_GETTRANSMITCOUNT:	return RDPESC_RET_TRANSMIT_COUNT;
	case SCARD_IOCTL_GETDEVICETYPEID:	return RDPESC_RET_DEVICE_TYPE_ID;
	}
	return RDPESC_RET_NONE;
}

bool rdpesc_ioctl_is_wide(uint32_t ioctl)
{
	switch (ioctl) {
	case SCARD_IOCTL_LISTREADERGROUPSW:
	case SCARD_IOCTL_LISTREADERSW:
	case SCARD_IOCTL_LOCATECARDSW:
	case SCARD_IOCTL_GETSTATUSCHANGEW:
	case SCARD_IOCTL_CONNECTW:
	case SCARD_IOCTL_STATUSW:
	case SCARD_IOCTL_GETREADERICON:
	case SCARD_IOCTL_GETDEVICETYPEID:
		return true;
	}
	return false;
}

static uint32_t buffer_max(uint32_t ioctl)
{
	switch (ioctl) {
	case SCARD_IOCTL_CONTROL:	return RDPESC_MAX_IO;
	case SCARD_IOCTL_GETREADERICON:	return RDPESC_MAX_ICON;
	}
	return RDPESC_MAX_ATTR;
}

static void enc_call_body(struct ndr_enc *e, enum rdpesc_call_kind k, const union rdpesc_call *c)
{
	switch (k) {
	case RDPESC_CALL_ESTABLISH:	enc_establish_call(e, &c->establish); break;
	case RDPESC_CALL_CONTEXT:	enc_context_call(e, &c->context); break;
	case RDPESC_CALL_LIST_GROUPS:	enc_list_groups_call(e, &c->list_groups); break;
	case RDPESC_CALL_LIST_READERS:	enc_list_readers_call(e, &c->list_readers); break;
	case RDPESC_CALL_GSC:		enc_gsc_call(e, &c->gsc); break;
	case RDPESC_CALL_CONNECT:	enc_connect_call(e, &c->connect); break;
	case RDPESC_CALL_RECONNECT:	enc_reconnect_call(e, &c->reconnect); break;
	case RDPESC_CALL_HCARD:		enc_hcard_call(e, &c->hcard); break;
	case RDPESC_CALL_STATE:		enc_state_call(e, &c->state); break;
	case RDPESC_CALL_STATUS:	enc_status_call(e, &c->status); break;
	case RDPESC_CALL_TRANSMIT:	enc_transmit_call(e, &c->transmit); break;
	case RDPESC_CALL_CONTROL:	enc_control_call(e, &c->control); break;
	case RDPESC_CALL_GET_ATTRIB:	enc_get_attrib_call(e, &c->get_attrib); break;
	case RDPESC_CALL_SET_ATTRIB:	enc_set_attrib_call(e, &c->set_attrib); break;
	case RDPESC_CALL_TRANSMIT_COUNT: enc_transmit_count_call(e, &c->transmit_count); break;
	case RDPESC_CALL_READER:	enc_reader_call(e, &c->reader); break;
	case RDPESC_CALL_ACCESS_STARTED:
	case RDPESC_CALL_NONE:
		rdp_wr_fail(e->w, RDP_ERR_UNSUPPORTED);
		break;
	}
}

static void dec_call_body(struct ndr_dec *d, enum rdpesc_call_kind k, union rdpesc_call *c)
{
	switch (k) {
	case RDPESC_CALL_ESTABLISH:	dec_establish_call(d, &c->establish); break;
	case RDPESC_CALL_CONTEXT:	dec_context_call(d, &c->context); break;
	case RDPESC_CALL_LIST_GROUPS:	dec_list_groups_call(d, &c->list_groups); break;
	case RDPESC_CALL_LIST_READERS:	dec_list_readers_call(d, &c->list_readers); break;
	case RDPESC_CALL_GSC:		dec_gsc_call(d, &c->gsc); break;
	case RDPESC_CALL_CONNECT:	dec_connect_call(d, &c->connect); break;
	case RDPESC_CALL_RECONNECT:	dec_reconnect_call(d, &c->reconnect); break;
	case RDPESC_CALL_HCARD:		dec_hcard_call(d, &c->hcard); break;
	case RDPESC_CALL_STATE:		dec_state_call(d, &c->state); break;
	case RDPESC_CALL_STATUS:	dec_status_call(d, &c->status); break;
	case RDPESC_CALL_TRANSMIT:	dec_transmit_call(d, &c->transmit); break;
	case RDPESC_CALL_CONTROL:	dec_control_call(d, &c->control); break;
	case RDPESC_CALL_GET_ATTRIB:	dec_get_attrib_call(d, &c->get_attrib); break;
	case RDPESC_CALL_SET_ATTRIB:	dec_set_attrib_call(d, &c->set_attrib); break;
	case RDPESC_CALL_TRANSMIT_COUNT: dec_transmit_count_call(d, &c->transmit_count); break;
	case RDPESC_CALL_READER:	dec_reader_call(d, &c->reader); break;
	case RDPESC_CALL_ACCESS_STARTED:
	case RDPESC_CALL_NONE:
		ndr_fail(d, RDP_ERR_UNSUPPORTED);
		break;
	}
}

static void enc_ret_body(struct ndr_enc *e, uint32_t ioctl, const union rdpesc_return *r)
{
	switch (rdpesc_return_kind(ioctl)) {
	case RDPESC_RET_LONG:		enc_long_ret(e, &r->lng); break;
	case RDPESC_RET_ESTABLISH:	enc_establish_ret(e, &r->establish); break;
	case RDPESC_RET_LIST_READERS:	enc_list_readers_ret(e, &r->list_readers); break;
	case RDPESC_RET_GSC:		enc_gsc_ret(e, &r->gsc); break;
	case RDPESC_RET_CONNECT:	enc_connect_ret(e, &r->connect); break;
	case RDPESC_RET_RECONNECT:	enc_reconnect_ret(e, &r->reconnect); break;
	case RDPESC_RET_STATE:		enc_state_ret(e, &r->state); break;
	case RDPESC_RET_STATUS:		enc_status_ret(e, &r->status); break;
	case RDPESC_RET_TRANSMIT:	enc_transmit_ret(e, &r->transmit); break;
	case RDPESC_RET_BUFFER:		enc_buffer_ret(e, &r->buffer, buffer_max(ioctl)); break;
	case RDPESC_RET_TRANSMIT_COUNT:	enc_transmit_count_ret(e, &r->transmit_count); break;
	case RDPESC_RET_DEVICE_TYPE_ID:	enc_device_type_id_ret(e, &r->device_type_id); break;
	case RDPESC_RET_NONE:
		rdp_wr_fail(e->w, RDP_ERR_UNSUPPORTED);
		break;
	}
}

static void dec_ret_body(struct ndr_dec *d, uint32_t ioctl, union rdpesc_return *r)
{
	switch (rdpesc_return_kind(ioctl)) {
	case RDPESC_RET_LONG:		dec_long_ret(d, &r->lng); break;
	case RDPESC_RET_ESTABLISH:	dec_establish_ret(d, &r->establish); break;
	case RDPESC_RET_LIST_READERS:	dec_list_readers_ret(d, &r->list_readers); break;
	case RDPESC_RET_GSC:		dec_gsc_ret(d, &r->gsc); break;
	case RDPESC_RET_CONNECT:	dec_connect_ret(d, &r->connect); break;
	case RDPESC_RET_RECONNECT:	dec_reconnect_ret(d, &r->reconnect); break;
	case RDPESC_RET_STATE:		dec_state_ret(d, &r->state); break;
	case RDPESC_RET_STATUS:		dec_status_ret(d, &r->status); break;
	case RDPESC_RET_TRANSMIT:	dec_transmit_ret(d, &r->transmit); break;
	case RDPESC_RET_BUFFER:		dec_buffer_ret(d, &r->buffer, buffer_max(ioctl)); break;
	case RDPESC_RET_TRANSMIT_COUNT:	dec_transmit_count_ret(d, &r->transmit_count); break;
	case RDPESC_RET_DEVICE_TYPE_ID:	dec_device_type_id_ret(d, &r->device_type_id); break;
	case RDPESC_RET_NONE:
		ndr_fail(d, RDP_ERR_UNSUPPORTED);
		break;
	}
}

/* Headers + body + pad to 8, with ObjectBufferLength measured first. */
typedef void (*body_fn)(struct ndr_enc *e, uint32_t ioctl, const void *v);

static int encode_typed(struct rdp_wr *w, uint32_t ioctl, const void *v, body_fn fn)
{
	struct rdp_wr m;
	struct ndr_enc e;
	size_t obl;

	rdp_wr_init_measure(&m);
	ndr_enc_init(&e, &m, rdpesc_ioctl_is_wide(ioctl));
	fn(&e, ioctl, v);
	if (m.err)
		return m.err;
	obl = (m.off + 7) & ~(size_t)7;
	if (obl > UINT32_MAX - RDPESC_HDR_SIZE)
		return RDP_ERR_RANGE;
	rdp_wr_u8(w, 1);		/* Version */
	rdp_wr_u8(w, 0x10);		/* little endian */
	rdp_wr_u16(w, 8);		/* CommonHeaderLength */
	rdp_wr_u32(w, 0xCCCCCCCCu);	/* Filler */
	rdp_wr_u32(w, (uint32_t)obl);	/* ObjectBufferLength */
	rdp_wr_u32(w, 0);		/* Filler */
	ndr_enc_init(&e, w, rdpesc_ioctl_is_wide(ioctl));
	fn(&e, ioctl, v);
	ndr_put_align(&e, 8);
	return w->err;
}

static void call_fn(struct ndr_enc *e, uint32_t ioctl, const void *v)
{
	enc_call_body(e, rdpesc_call_kind(ioctl), v);
}

static void ret_fn(struct ndr_enc *e, uint32_t ioctl, const void *v)
{
	enc_ret_body(e, ioctl, v);
}

int rdpesc_encode_call(struct rdp_wr *w, uint32_t ioctl, const union rdpesc_call *c)
{
	enum rdpesc_call_kind k = rdpesc_call_kind(ioctl);

	if (k == RDPESC_CALL_NONE)
		return RDP_ERR_UNSUPPORTED;
	if (k == RDPESC_CALL_ACCESS_STARTED) {
		rdp_wr_bytes(w, c->access_started.raw, sizeof(c->access_started.raw));
		return w->err;
	}
	return encode_typed(w, ioctl, c, call_fn);
}

int rdpesc_encode_return(struct rdp_wr *w, uint32_t ioctl, const union rdpesc_return *r)
{
	if (rdpesc_return_kind(ioctl) == RDPESC_RET_NONE)
		return RDP_ERR_UNSUPPORTED;
	return encode_typed(w, ioctl, r, ret_fn);
}

/*
 * The RPCE type-serialisation headers (MS-RPCE 2.2.6.1 common, 2.2.6.2
 * private) in front of every RDPESC call and return, and the NDR body after
 * them.  Everything here comes from the peer and is untrusted.
 *
 * @buf/@len is the whole InputBuffer of a call or OutputBuffer of a return:
 * for a return, rdpdr_decode_control_rsp() already bounded it by the
 * OutputBufferLength and the bytes of the PDU, so nothing below reads
 * outside what was received.  What the peers do with each header field, and
 * what we do (the most tolerant behaviour that stays safe):
 *
 *  Version 1, Endianness 0x10, CommonHeaderLength 8: FreeRDP
 *    (libfreerdp/utils/smartcard_pack.c) rejects any other value; xrdp's
 *    server (sesman/chansrv/smartcard_pcsc.c) skips the 16 header bytes
 *    unread.  We reject: another version or byte order would make us
 *    decode the body wrongly, and no client sends one.
 *  The two Fillers (0xCCCCCCCC, 0): FreeRDP rejects other values, xrdp
 *    ignores them.  We ignore them: nothing depends on them.
 *  ObjectBufferLength: Windows servers and xrdp do not bound the body by it
 *    (rdesktop's short value has worked against Windows since 2006; xrdp
 *    never reads it); current FreeRDP treats it as a lower bound (an error
 *    only when it claims more bytes than follow the headers; its older
 *    channels/smartcard/client code required equality).  rdesktop up to
 *    1.9.0 writes it 8 bytes short of the body it sends (pend - psize -
 *    16), IronRDP and Teleport leave the final pad out.  So the body is
 *    every received byte after the headers, never cut at
 *    ObjectBufferLength; *overrun tells the caller that the header claims
 *    more than that (a reply cut short somewhere): the caller treats it as
 *    an error (see rdpesc_decode_return()).
 */
static int rpce_open(const void *buf, size_t len, const uint8_t **body, size_t *blen,
		     bool *overrun)
{
	struct rdp_rd r;
	uint8_t version, endian;
	uint16_t hlen;
	uint32_t obl;

	rdp_rd_init(&r, buf, len);
	version = rdp_rd_u8(&r);
	endian = rdp_rd_u8(&r);
	hlen = rdp_rd_u16(&r);
	rdp_rd_u32(&r);			/* Filler, 0xCCCCCCCC: ignored */
	obl = rdp_rd_u32(&r);
	rdp_rd_u32(&r);			/* Filler, 0: ignored */
	if (r.err)
		return r.err;		/* shorter than the 16 header bytes */
	if (version != 1 || endian != 0x10 || hlen != 8)
		return RDP_ERR_MALFORMED;
	*body = (const uint8_t *)buf + RDPESC_HDR_SIZE;
	*blen = rdp_rd_left(&r);	/* == len - 16: what was received */
	*overrun = obl > *blen;
	return RDP_OK;
}

int rdpesc_decode_call(const void *buf, size_t len, uint32_t ioctl, union rdpesc_call *c,
		       struct rdp_arena *a, unsigned int flags)
{
	enum rdpesc_call_kind k = rdpesc_call_kind(ioctl);
	const uint8_t *body;
	struct ndr_dec d;
	size_t blen;
	bool overrun;
	int err;

	memset(c, 0, sizeof(*c));
	if (k == RDPESC_CALL_NONE)
		return RDP_ERR_UNSUPPORTED;
	if (k == RDPESC_CALL_ACCESS_STARTED) {
		if (len < sizeof(c->access_started.raw))
			return RDP_ERR_TRUNCATED;
		memcpy(c->access_started.raw, buf, sizeof(c->access_started.raw));
		if ((flags & RDPESC_DECODE_CANONICAL) && len != sizeof(c->access_started.raw))
			return RDP_ERR_MISMATCH;
		return RDP_OK;
	}
	err = rpce_open(buf, len, &body, &blen, &overrun);
	if (err)
		return err;
	if (overrun)			/* the call was cut short */
		return RDP_ERR_TRUNCATED;
	/* Every length inside the body is checked against blen by ndr.c. */
	ndr_dec_init(&d, body, blen, a, rdpesc_ioctl_is_wide(ioctl));
	dec_call_body(&d, k, c);
	if (d.r.err) {
		memset(c, 0, sizeof(*c));
		return d.r.err;
	}
	if (flags & RDPESC_DECODE_CANONICAL) {
		struct rdp_wr w;

		rdp_wr_init_compare(&w, buf, len);
		err = rdpesc_encode_call(&w, ioctl, c);
		if (err || w.off != len)
			return RDP_ERR_MISMATCH;
	}
	return RDP_OK;
}

int rdpesc_decode_return(const void *buf, size_t len, uint32_t ioctl, union rdpesc_return *r,
			 struct rdp_arena *a, unsigned int flags)
{
	const uint8_t *body;
	struct ndr_dec d;
	size_t blen;
	bool overrun;
	uint32_t rc = 0;
	int err;

	memset(r, 0, sizeof(*r));
	if (rdpesc_return_kind(ioctl) == RDPESC_RET_NONE)
		return RDP_ERR_UNSUPPORTED;
	err = rpce_open(buf, len, &body, &blen, &overrun);
	if (err)
		return err;
	/* ReturnCode, the first u32 of every return body, on its own. */
	if (blen >= 4)
		rc = (uint32_t)body[0] | (uint32_t)body[1] << 8 | (uint32_t)body[2] << 16 |
		     (uint32_t)body[3] << 24;
	if (overrun) {
		/*
		 * ObjectBufferLength claims more bytes than arrived: the
		 * reply was cut short.  A success is then rejected whatever
		 * the rest looks like (FreeRDP rejects every such buffer);
		 * an error code is kept, alone (MS-RDPESC 2.2.3: after one
		 * the rest is ignored), since all it tells is that the call
		 * failed.
		 */
		if (blen < 4 || rc == 0)
			return RDP_ERR_TRUNCATED;
		r->rc = rc;
		return RDP_OK;
	}
	/*
	 * The body is every received byte (see rpce_open()); ndr.c checks
	 * each count, size and pointer of it against blen, so a length field
	 * never makes the decoder read past the received buffer, and bytes
	 * left over after the last field (rdesktop's extra pad) are ignored.
	 */
	ndr_dec_init(&d, body, blen, a, rdpesc_ioctl_is_wide(ioctl));
	dec_ret_body(&d, ioctl, r);
	err = d.r.err;
	if (err) {
		/*
		 * MS-RDPESC 2.2.3: after an error code the rest is ignored
		 * (FreeRDP truncates its error bodies after ReturnCode).  A
		 * success whose fields do not decode is an error.
		 */
		memset(r, 0, sizeof(*r));
		if (blen < 4 || rc == 0 || err == RDP_ERR_NOSPACE)
			return err;
		r->rc = rc;
		return RDP_OK;
	}
	if (flags & RDPESC_DECODE_CANONICAL) {
		struct rdp_wr w;

		rdp_wr_init_compare(&w, buf, len);
		err = rdpesc_encode_return(&w, ioctl, r);
		if (err || w.off != len)
			return RDP_ERR_MISMATCH;
	}
	return RDP_OK;
}

/*
 * A context the client may have created although its EstablishContext_Return
 * was rejected.  Only for releasing it: the RPCE header is skipped unread
 * (as xrdp does) and ObjectBufferLength ignored; the body is still bounded
 * by the received bytes and decoded with the ordinary checks.
 */
int rdpesc_salvage_context(const void *buf, size_t len, struct rdpesc_context *ctx)
{
	struct rdpesc_establish_context_return er;
	struct ndr_dec d;

	memset(ctx, 0, sizeof(*ctx));
	if (len < RDPESC_HDR_SIZE)
		return RDP_ERR_TRUNCATED;
	memset(&er, 0, sizeof(er));
	ndr_dec_init(&d, (const uint8_t *)buf + RDPESC_HDR_SIZE, len - RDPESC_HDR_SIZE, NULL,
		     false);
	dec_establish_ret(&d, &er);
	if (d.r.err)
		return d.r.err;		/* the context bytes themselves are not there */
	if (er.rc != 0 || er.ctx.cb == 0)
		return RDP_ERR_MALFORMED;	/* the client says it created none */
	*ctx = er.ctx;
	return RDP_OK;
}

int rdpesc_salvage_handle(const void *buf, size_t len, struct rdpesc_handle *h)
{
	struct rdpesc_connect_return cr;
	struct ndr_dec d;

	memset(h, 0, sizeof(*h));
	if (len < RDPESC_HDR_SIZE)
		return RDP_ERR_TRUNCATED;
	memset(&cr, 0, sizeof(cr));
	ndr_dec_init(&d, (const uint8_t *)buf + RDPESC_HDR_SIZE, len - RDPESC_HDR_SIZE, NULL,
		     false);
	dec_connect_ret(&d, &cr);
	if (d.r.err)
		return d.r.err;		/* the handle bytes themselves are not there */
	if (cr.rc != 0 || cr.h.cb == 0)
		return RDP_ERR_MALFORMED;	/* the client says it connected none */
	*h = cr.h;
	return RDP_OK;
}

int rdpesc_encode_request(struct rdp_wr *w, const struct rdpdr_ioreq *io, uint32_t output_len,
			  uint32_t ioctl, const union rdpesc_call *c)
{
	struct rdp_wr m;
	int err;

	rdp_wr_init_measure(&m);
	err = rdpesc_encode_call(&m, ioctl, c);
	if (err)
		return err;
	if (m.off > UINT32_MAX)
		return RDP_ERR_RANGE;
	rdp_wr_u16(w, RDPDR_CTYP_CORE);
	rdp_wr_u16(w, PAKID_CORE_DEVICE_IOREQUEST);
	rdp_wr_u32(w, io->device_id);
	rdp_wr_u32(w, io->file_id);
	rdp_wr_u32(w, io->completion_id);
	rdp_wr_u32(w, IRP_MJ_DEVICE_CONTROL);
	rdp_wr_u32(w, io->minor_function);
	rdp_wr_u32(w, output_len);
	rdp_wr_u32(w, (uint32_t)m.off);
	rdp_wr_u32(w, ioctl);
	rdp_wr_zeros(w, 20);
	if (w->err)
		return w->err;
	return rdpesc_encode_call(w, ioctl, c);
}

static uint32_t with_slack(uint32_t expected)
{
	uint64_t n = (uint64_t)expected + 128;

	if (n < RDPDR_DEFAULT_OUTPUT_LEN)
		return RDPDR_DEFAULT_OUTPUT_LEN;
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

uint32_t rdpesc_output_len_for(uint32_t ioctl, const union rdpesc_call *c)
{
	switch (rdpesc_call_kind(ioctl)) {
	case RDPESC_CALL_TRANSMIT:
		return with_slack(c->transmit.cb_recv_length + 16 + 12 + RDPESC_MAX_EXTRA);
	case RDPESC_CALL_CONTROL:
		return with_slack(c->control.cb_out_buffer_size + 16);
	case RDPESC_CALL_GET_ATTRIB:
		if (c->get_attrib.cb_attr_len == SCARD_AUTOALLOCATE)
			return with_slack(RDPESC_MAX_ATTR);
		return with_slack(c->get_attrib.cb_attr_len + 16);
	case RDPESC_CALL_READER:
		if (ioctl == SCARD_IOCTL_GETREADERICON)
			return with_slack(RDPESC_MAX_ICON + 16);
		break;
	default:
		break;
	}
	return RDPDR_DEFAULT_OUTPUT_LEN;
}
