// SPDX-License-Identifier: MIT
/* RDPESC bodies: card handles, status, transmit, control, attributes. */
#include <string.h>

#include "rdpesc_bodies.h"

void enc_connect_call(struct ndr_enc *e, const struct rdpesc_connect_call *c)
{
	ndr_put_ptr(e, c->reader != NULL);
	ndr_put_ctx(e, &c->ctx);
	ndr_put_u32(e, c->share_mode);
	ndr_put_u32(e, c->preferred_protocols);
	if (c->reader)
		ndr_put_string(e, c->reader);
	ndr_put_ctx_data(e, &c->ctx);
}

void dec_connect_call(struct ndr_dec *d, struct rdpesc_connect_call *c)
{
	uint32_t sref, ref;

	c->reader = NULL;
	sref = ndr_get_ptr(d);
	ndr_get_ctx(d, &c->ctx, &ref);
	c->share_mode = ndr_get_u32(d);
	c->preferred_protocols = ndr_get_u32(d);
	if (sref && !d->r.err)
		c->reader = ndr_get_string(d);
	ndr_get_ctx_data(d, &c->ctx, ref);
}

void enc_reconnect_call(struct ndr_enc *e, const struct rdpesc_reconnect_call *c)
{
	ndr_put_handle(e, &c->h);
	ndr_put_u32(e, c->share_mode);
	ndr_put_u32(e, c->preferred_protocols);
	ndr_put_u32(e, c->initialization);
	ndr_put_handle_data(e, &c->h);
}

void dec_reconnect_call(struct ndr_dec *d, struct rdpesc_reconnect_call *c)
{
	uint32_t ref[2];

	ndr_get_handle(d, &c->h, ref);
	c->share_mode = ndr_get_u32(d);
	c->preferred_protocols = ndr_get_u32(d);
	c->initialization = ndr_get_u32(d);
	ndr_get_handle_data(d, &c->h, ref);
}

void enc_hcard_call(struct ndr_enc *e, const struct rdpesc_hcard_disposition_call *c)
{
	ndr_put_handle(e, &c->h);
	ndr_put_u32(e, c->disposition);
	ndr_put_handle_data(e, &c->h);
}

void dec_hcard_call(struct ndr_dec *d, struct rdpesc_hcard_disposition_call *c)
{
	uint32_t ref[2];

	ndr_get_handle(d, &c->h, ref);
	c->disposition = ndr_get_u32(d);
	ndr_get_handle_data(d, &c->h, ref);
}

void enc_state_call(struct ndr_enc *e, const struct rdpesc_state_call *c)
{
	ndr_put_handle(e, &c->h);
	ndr_put_u32(e, (uint32_t)c->atr_is_null);
	ndr_put_u32(e, c->cb_atr_len);
	ndr_put_handle_data(e, &c->h);
}

void dec_state_call(struct ndr_dec *d, struct rdpesc_state_call *c)
{
	uint32_t ref[2];

	ndr_get_handle(d, &c->h, ref);
	c->atr_is_null = (int32_t)ndr_get_u32(d);
	c->cb_atr_len = ndr_get_u32(d);
	ndr_get_handle_data(d, &c->h, ref);
}

void enc_status_call(struct ndr_enc *e, const struct rdpesc_status_call *c)
{
	ndr_put_handle(e, &c->h);
	ndr_put_u32(e, (uint32_t)c->reader_names_is_null);
	ndr_put_u32(e, c->cch_reader_len);
	ndr_put_u32(e, c->cb_atr_len);
	ndr_put_handle_data(e, &c->h);
}

void dec_status_call(struct ndr_dec *d, struct rdpesc_status_call *c)
{
	uint32_t ref[2];

	ndr_get_handle(d, &c->h, ref);
	c->reader_names_is_null = (int32_t)ndr_get_u32(d);
	c->cch_reader_len = ndr_get_u32(d);
	c->cb_atr_len = ndr_get_u32(d);
	ndr_get_handle_data(d, &c->h, ref);
}

void enc_transmit_call(struct ndr_enc *e, const struct rdpesc_transmit_call *c)
{
	ndr_check(e, c->cb_send <= RDPESC_MAX_IO && (!c->cb_send || c->send));
	ndr_check(e, c->cb_recv_length <= RDPESC_MAX_IO);
	ndr_check(e, !c->send_pci.cb_extra || c->send_pci.extra);
	ndr_check(e, !c->has_recv_pci || !c->recv_pci.cb_extra || c->recv_pci.extra);
	ndr_put_handle(e, &c->h);
	ndr_put_io(e, &c->send_pci);
	ndr_put_u32(e, c->cb_send);
	ndr_put_ptr(e, c->send != NULL);
	ndr_put_ptr(e, c->has_recv_pci);
	ndr_put_u32(e, (uint32_t)c->recv_buffer_is_null);
	ndr_put_u32(e, c->cb_recv_length);
	ndr_put_handle_data(e, &c->h);
	ndr_put_io_data(e, &c->send_pci);
	if (c->send)
		ndr_put_conf_bytes(e, c->send, c->cb_send);
	if (c->has_recv_pci) {
		ndr_put_io(e, &c->recv_pci);
		ndr_put_io_data(e, &c->recv_pci);
	}
}

void dec_transmit_call(struct ndr_dec *d, struct rdpesc_transmit_call *c)
{
	uint32_t ref[2], xref, sref, rref, rxref;

	memset(c, 0, sizeof(*c));
	ndr_get_handle(d, &c->h, ref);
	ndr_get_io(d, &c->send_pci, &xref);
	ndr_get_ptr_size(d, xref, c->send_pci.cb_extra);
	c->cb_send = ndr_get_u32(d);
	sref = ndr_get_ptr(d);
	rref = ndr_get_ptr(d);
	c->recv_buffer_is_null = (int32_t)ndr_get_u32(d);
	c->cb_recv_length = ndr_get_u32(d);
	ndr_get_check(d, c->cb_send, RDPESC_MAX_IO);
	ndr_get_check(d, c->cb_recv_length, RDPESC_MAX_IO);
	ndr_get_ptr_size(d, sref, c->cb_send);
	ndr_get_handle_data(d, &c->h, ref);
	ndr_get_io_data(d, &c->send_pci, xref);
	if (sref && !d->r.err)
		c->send = ndr_get_conf_bytes(d, c->cb_send);
	c->has_recv_pci = rref != 0;
	if (rref && !d->r.err) {
		ndr_get_io(d, &c->recv_pci, &rxref);
		ndr_get_ptr_size(d, rxref, c->recv_pci.cb_extra);
		ndr_get_io_data(d, &c->recv_pci, rxref);
	}
}

void enc_control_call(struct ndr_enc *e, const struct rdpesc_control_call *c)
{
	ndr_check(e, c->cb_in <= RDPESC_MAX_IO && (!c->cb_in || c->in));
	ndr_check(e, c->cb_out_buffer_size <= RDPESC_MAX_IO);
	ndr_put_handle(e, &c->h);
	ndr_put_u32(e, c->control_code);
	ndr_put_u32(e, c->cb_in);
	ndr_put_ptr(e, c->in != NULL);
	ndr_put_u32(e, (uint32_t)c->out_buffer_is_null);
	ndr_put_u32(e, c->cb_out_buffer_size);
	ndr_put_handle_data(e, &c->h);
	if (c->in)
		ndr_put_conf_bytes(e, c->in, c->cb_in);
}

void dec_control_call(struct ndr_dec *d, struct rdpesc_control_call *c)
{
	uint32_t ref[2], iref;

	memset(c, 0, sizeof(*c));
	ndr_get_handle(d, &c->h, ref);
	c->control_code = ndr_get_u32(d);
	c->cb_in = ndr_get_u32(d);
	iref = ndr_get_ptr(d);
	c->out_buffer_is_null = (int32_t)ndr_get_u32(d);
	c->cb_out_buffer_size = ndr_get_u32(d);
	ndr_get_check(d, c->cb_in, RDPESC_MAX_IO);
	ndr_get_check(d, c->cb_out_buffer_size, RDPESC_MAX_IO);
	ndr_get_ptr_size(d, iref, c->cb_in);
	ndr_get_handle_data(d, &c->h, ref);
	if (iref && !d->r.err)
		c->in = ndr_get_conf_bytes(d, c->cb_in);
}

void enc_get_attrib_call(struct ndr_enc *e, const struct rdpesc_get_attrib_call *c)
{
	ndr_put_handle(e, &c->h);
	ndr_put_u32(e, c->attr_id);
	ndr_put_u32(e, (uint32_t)c->attr_is_null);
	ndr_put_u32(e, c->cb_attr_len);
	ndr_put_handle_data(e, &c->h);
}

void dec_get_attrib_call(struct ndr_dec *d, struct rdpesc_get_attrib_call *c)
{
	uint32_t ref[2];

	ndr_get_handle(d, &c->h, ref);
	c->attr_id = ndr_get_u32(d);
	c->attr_is_null = (int32_t)ndr_get_u32(d);
	c->cb_attr_len = ndr_get_u32(d);
	ndr_get_handle_data(d, &c->h, ref);
}

void enc_set_attrib_call(struct ndr_enc *e, const struct rdpesc_set_attrib_call *c)
{
	ndr_check(e, c->cb_attr <= RDPESC_MAX_ATTR && (!c->cb_attr || c->attr));
	ndr_put_handle(e, &c->h);
	ndr_put_u32(e, c->attr_id);
	ndr_put_u32(e, c->cb_attr);
	ndr_put_ptr(e, c->attr != NULL);
	ndr_put_handle_data(e, &c->h);
	if (c->attr)
		ndr_put_conf_bytes(e, c->attr, c->cb_attr);
}

void dec_set_attrib_call(struct ndr_dec *d, struct rdpesc_set_attrib_call *c)
{
	uint32_t ref[2], aref;

	memset(c, 0, sizeof(*c));
	ndr_get_handle(d, &c->h, ref);
	c->attr_id = ndr_get_u32(d);
	c->cb_attr = ndr_get_u32(d);
	aref = ndr_get_ptr(d);
	ndr_get_check(d, c->cb_attr, RDPESC_MAX_ATTR);
	ndr_get_ptr_size(d, aref, c->cb_attr);
	ndr_get_handle_data(d, &c->h, ref);
	if (aref && !d->r.err)
		c->attr = ndr_get_conf_bytes(d, c->cb_attr);
}

void enc_transmit_count_call(struct ndr_enc *e, const struct rdpesc_get_transmit_count_call *c)
{
	ndr_put_handle(e, &c->h);
	ndr_put_handle_data(e, &c->h);
}

void dec_transmit_count_call(struct ndr_dec *d, struct rdpesc_get_transmit_count_call *c)
{
	uint32_t ref[2];

	ndr_get_handle(d, &c->h, ref);
	ndr_get_handle_data(d, &c->h, ref);
}

/*
 * Returns.  The legend (what Windows, FreeRDP and xrdp do with a wrong
 * length, and the rules every return decoder here follows) is above the
 * return decoders in rdpesc_bodies.h; each decoder says where it differs.
 */

void enc_connect_ret(struct ndr_enc *e, const struct rdpesc_connect_return *r)
{
	ndr_put_u32(e, r->rc);
	ndr_put_handle(e, &r->h);
	ndr_put_u32(e, r->active_protocol);
	ndr_put_handle_data(e, &r->h);
}

/*
 * Connect_Return.  hCard's cbContext and cbHandle, IDL 0..16 each: FreeRDP
 * takes a context of 0, 4 or 8 and a handle of 0, 4 or 8 bytes; xrdp ignores
 * both and takes the first deferred array for the handle (for a reply
 * shaped like Windows', that is the context).  Ours: 0..16 as received, a
 * NULL referent with a size is an error (a handle without its bytes names
 * nothing; FreeRDP rejects it too).  rdesktop 1.9.0 sends an empty context
 * (0, NULL) and only the handle, referent 0x016cff34: accepted, and the
 * caller keeps using the context it connected with.
 */
void dec_connect_ret(struct ndr_dec *d, struct rdpesc_connect_return *r)
{
	uint32_t ref[2];

	r->rc = ndr_get_u32(d);
	ndr_get_handle(d, &r->h, ref);
	r->active_protocol = ndr_get_u32(d);
	ndr_get_handle_data(d, &r->h, ref);
}

void enc_reconnect_ret(struct ndr_enc *e, const struct rdpesc_reconnect_return *r)
{
	ndr_put_u32(e, r->rc);
	ndr_put_u32(e, r->active_protocol);
}

void dec_reconnect_ret(struct ndr_dec *d, struct rdpesc_reconnect_return *r)
{
	r->rc = ndr_get_u32(d);
	r->active_protocol = ndr_get_u32(d);
}

void enc_state_ret(struct ndr_enc *e, const struct rdpesc_state_return *r)
{
	ndr_check(e, r->cb_atr <= RDPESC_MAX_ATR);
	ndr_put_u32(e, r->rc);
	ndr_put_u32(e, r->state);
	ndr_put_u32(e, r->protocol);
	ndr_put_u32(e, r->cb_atr);
	ndr_put_ptr(e, r->atr != NULL);
	if (r->atr)
		ndr_put_conf_bytes(e, r->atr, r->cb_atr);
}

/*
 * State_Return.  cbAtrLen, IDL 0..36: FreeRDP's server does not decode
 * State, xrdp never sends it.  Ours: <= 36, and a NULL rgAtr with a size is
 * the length-only answer of MS-RDPESC 2.2.2.17 (fpbAtrIsNULL, or cbAtrLen
 * 0 in the call).  rdesktop: referent 1.
 */
void dec_state_ret(struct ndr_dec *d, struct rdpesc_state_return *r)
{
	uint32_t ref;

	memset(r, 0, sizeof(*r));
	r->rc = ndr_get_u32(d);
	r->state = ndr_get_u32(d);
	r->protocol = ndr_get_u32(d);
	r->cb_atr = ndr_get_u32(d);
	ref = ndr_get_ptr(d);
	ndr_get_check(d, r->cb_atr, RDPESC_MAX_ATR);
	if (ref && !d->r.err)
		r->atr = ndr_get_conf_bytes(d, r->cb_atr);
}

void enc_status_ret(struct ndr_enc *e, const struct rdpesc_status_return *r)
{
	ndr_check(e, r->cb_atr <= RDPESC_STATUS_ATR);
	ndr_put_u32(e, r->rc);
	ndr_put_u32(e, ndr_msz_cbytes_or(e, &r->reader_names, r->cbytes));
	ndr_put_ptr(e, r->reader_names.p != NULL);
	ndr_put_u32(e, r->state);
	ndr_put_u32(e, r->protocol);
	rdp_wr_bytes(e->w, r->atr, RDPESC_STATUS_ATR);
	ndr_put_u32(e, r->cb_atr);
	if (r->reader_names.p)
		ndr_put_msz(e, &r->reader_names);
}

/*
 * Status_Return.  cBytes, IDL 0..65536, as for ListReaders (FreeRDP: no
 * range, a NULL list read as cBytes 0; xrdp: tests cBytes for 0 only, then
 * reads one name, 0.9.21 sized by MaxCount and capped at 99 characters,
 * devel up to its NUL).  pbAtr[32] is fixed: FreeRDP, like us, fails a
 * reply without its 44 bytes of state, protocol, pbAtr and cbAtrLen.
 * cbAtrLen, IDL 0..32: FreeRDP keeps any value, xrdp copies that many
 * bytes out of its 32-byte copy.  Ours: <= 32, the bytes of pbAtr it
 * counts.  A NULL mszReaderNames with a size is the length-only answer
 * (fmszReaderNamesIsNULL, MS-RDPESC 2.2.2.18).  rdesktop 1.9.0 writes a
 * 33-byte ATR whole, which moves cbAtrLen and everything after it by one
 * byte: no decoder can recover that reply, and ours fails it cleanly.
 */
void dec_status_ret(struct ndr_dec *d, struct rdpesc_status_return *r)
{
	uint32_t ref;

	memset(r, 0, sizeof(*r));
	r->rc = ndr_get_u32(d);
	r->cbytes = ndr_get_u32(d);
	ref = ndr_get_ptr(d);
	r->state = ndr_get_u32(d);
	r->protocol = ndr_get_u32(d);
	rdp_rd_copy(&d->r, r->atr, RDPESC_STATUS_ATR);
	r->cb_atr = ndr_get_u32(d);
	ndr_get_check(d, r->cbytes, RDPESC_MAX_MSZ);
	ndr_get_check(d, r->cb_atr, RDPESC_STATUS_ATR);
	if (ref && !d->r.err)
		ndr_get_msz(d, r->cbytes, &r->reader_names);
}

void enc_transmit_ret(struct ndr_enc *e, const struct rdpesc_transmit_return *r)
{
	ndr_check(e, r->cb_recv <= RDPESC_MAX_IO);
	ndr_put_u32(e, r->rc);
	ndr_put_ptr(e, r->has_recv_pci);
	ndr_put_u32(e, r->cb_recv);
	ndr_put_ptr(e, r->recv != NULL);
	if (r->has_recv_pci) {
		ndr_put_io(e, &r->recv_pci);
		ndr_put_io_data(e, &r->recv_pci);
	}
	if (r->recv)
		ndr_put_conf_bytes(e, r->recv, r->cb_recv);
}

/*
 * Transmit_Return.  pioRecvPci.cbExtraBytes, IDL 0..1024: FreeRDP checks
 * MaxCount == cbExtraBytes and the bytes left, with no range, and takes a
 * NULL pbExtraBytes as none; xrdp reads the pbExtraBytes referent as the
 * count.  cbRecvLength, IDL 0..66560: FreeRDP checks MaxCount and the
 * bytes left, no range, and takes a NULL buffer as empty; xrdp uses
 * MaxCount and skips cbRecvLength.  Ours: both ranges; a NULL
 * pbExtraBytes or pbRecvBuffer with a size is no data plus the size as
 * sent (fpbRecvBufferIsNULL asks for exactly that, MS-RDPESC 2.2.2.19).
 * rdesktop 1.9.0: pioRecvPci always NULL, buffer referent 1, and for an
 * empty response a present array of MaxCount 0 followed by 4 zero bytes.
 */
void dec_transmit_ret(struct ndr_dec *d, struct rdpesc_transmit_return *r)
{
	uint32_t pref, bref, xref;

	memset(r, 0, sizeof(*r));
	r->rc = ndr_get_u32(d);
	pref = ndr_get_ptr(d);
	r->cb_recv = ndr_get_u32(d);
	bref = ndr_get_ptr(d);
	ndr_get_check(d, r->cb_recv, RDPESC_MAX_IO);
	r->has_recv_pci = pref != 0;
	if (pref && !d->r.err) {
		ndr_get_io(d, &r->recv_pci, &xref);
		ndr_get_io_data(d, &r->recv_pci, xref);
	}
	if (bref && !d->r.err)
		r->recv = ndr_get_conf_bytes(d, r->cb_recv);
}

void enc_buffer_ret(struct ndr_enc *e, const struct rdpesc_buffer_return *r, uint32_t max)
{
	ndr_check(e, r->cb <= max);
	ndr_put_u32(e, r->rc);
	ndr_put_u32(e, r->cb);
	ndr_put_ptr(e, r->data != NULL);
	if (r->data)
		ndr_put_conf_bytes(e, r->data, r->cb);
}

/*
 * Control_Return (cbOutBufferSize, IDL 0..66560), GetAttrib_Return
 * (cbAttrLen, 0..65536), GetReaderIcon_Return (cbDataLen, 0..4194304).
 * FreeRDP: Control takes a NULL buffer as empty; GetAttrib reads a MaxCount
 * whatever the referent, so it fails the NULL-with-length reply MS-RDPESC
 * 2.2.2.21 prescribes for a call with cbAttrLen 0; no ranges; GetReaderIcon
 * is not decoded.  xrdp: Control uses MaxCount whatever the referent and
 * the size field; GetAttrib is not decoded.  Ours: the range of @max, and a
 * NULL array with a size is the size alone (fpvOutBufferIsNULL,
 * fpbAttrIsNULL, cbAttrLen 0).  rdesktop 1.9.0: Control referent 4;
 * GetAttrib referent 0x200 and 4 zero bytes after the array, ignored.
 */
void dec_buffer_ret(struct ndr_dec *d, struct rdpesc_buffer_return *r, uint32_t max)
{
	uint32_t ref;

	memset(r, 0, sizeof(*r));
	r->rc = ndr_get_u32(d);
	r->cb = ndr_get_u32(d);
	ref = ndr_get_ptr(d);
	ndr_get_check(d, r->cb, max);
	if (ref && !d->r.err)
		r->data = ndr_get_conf_bytes(d, r->cb);
}

void enc_transmit_count_ret(struct ndr_enc *e, const struct rdpesc_get_transmit_count_return *r)
{
	ndr_put_u32(e, r->rc);
	ndr_put_u32(e, r->count);
}

void dec_transmit_count_ret(struct ndr_dec *d, struct rdpesc_get_transmit_count_return *r)
{
	r->rc = ndr_get_u32(d);
	r->count = ndr_get_u32(d);
}
