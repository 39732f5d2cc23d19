// SPDX-License-Identifier: MIT
/* RDPESC bodies: contexts, reader lists and status change. */
#include <string.h>

#include "rdpesc_bodies.h"

void enc_establish_call(struct ndr_enc *e, const struct rdpesc_establish_context_call *c)
{
	ndr_put_u32(e, c->scope);
}

void dec_establish_call(struct ndr_dec *d, struct rdpesc_establish_context_call *c)
{
	c->scope = ndr_get_u32(d);
}

void enc_context_call(struct ndr_enc *e, const struct rdpesc_context_call *c)
{
	ndr_put_ctx(e, &c->ctx);
	ndr_put_ctx_data(e, &c->ctx);
}

void dec_context_call(struct ndr_dec *d, struct rdpesc_context_call *c)
{
	uint32_t ref;

	ndr_get_ctx(d, &c->ctx, &ref);
	ndr_get_ctx_data(d, &c->ctx, ref);
}

void enc_list_groups_call(struct ndr_enc *e, const struct rdpesc_list_reader_groups_call *c)
{
	ndr_put_ctx(e, &c->ctx);
	ndr_put_u32(e, (uint32_t)c->groups_is_null);
	ndr_put_u32(e, c->cch_groups);
	ndr_put_ctx_data(e, &c->ctx);
}

void dec_list_groups_call(struct ndr_dec *d, struct rdpesc_list_reader_groups_call *c)
{
	uint32_t ref;

	ndr_get_ctx(d, &c->ctx, &ref);
	c->groups_is_null = (int32_t)ndr_get_u32(d);
	c->cch_groups = ndr_get_u32(d);
	ndr_get_ctx_data(d, &c->ctx, ref);
}

void enc_list_readers_call(struct ndr_enc *e, const struct rdpesc_list_readers_call *c)
{
	ndr_put_ctx(e, &c->ctx);
	ndr_put_u32(e, ndr_msz_cbytes(e, &c->groups));
	ndr_put_ptr(e, c->groups.p != NULL);
	ndr_put_u32(e, (uint32_t)c->readers_is_null);
	ndr_put_u32(e, c->cch_readers);
	ndr_put_ctx_data(e, &c->ctx);
	if (c->groups.p)
		ndr_put_msz(e, &c->groups);
}

void dec_list_readers_call(struct ndr_dec *d, struct rdpesc_list_readers_call *c)
{
	uint32_t ref, gref, cbytes;

	ndr_get_ctx(d, &c->ctx, &ref);
	cbytes = ndr_get_u32(d);
	gref = ndr_get_ptr(d);
	c->readers_is_null = (int32_t)ndr_get_u32(d);
	c->cch_readers = ndr_get_u32(d);
	ndr_get_check(d, cbytes, RDPESC_MAX_MSZ);
	ndr_get_ptr_size(d, gref, cbytes);
	ndr_get_ctx_data(d, &c->ctx, ref);
	c->groups.p = NULL;
	c->groups.len = 0;
	if (gref)
		ndr_get_msz(d, cbytes, &c->groups);
}

void enc_gsc_call(struct ndr_enc *e, const struct rdpesc_get_status_change_call *c)
{
	uint32_t i;

	ndr_check(e, c->n <= RDPESC_MAX_CALL_STATES);
	if (e->w->err)
		return;
	ndr_put_ctx(e, &c->ctx);
	ndr_put_u32(e, c->timeout);
	ndr_put_u32(e, c->n);
	ndr_put_ptr(e, c->n > 0);
	ndr_put_ctx_data(e, &c->ctx);
	if (!c->n)
		return;
	ndr_put_u32(e, c->n);
	for (i = 0; i < c->n; i++) {
		const struct rdpesc_reader_state *s = &c->states[i];

		ndr_check(e, s->cb_atr <= RDPESC_MAX_ATR);
		ndr_put_ptr(e, s->reader != NULL);
		ndr_put_u32(e, s->current_state);
		ndr_put_u32(e, s->event_state);
		ndr_put_u32(e, s->cb_atr);
		rdp_wr_bytes(e->w, s->atr, RDPESC_MAX_ATR);
	}
	for (i = 0; i < c->n; i++)
		if (c->states[i].reader)
			ndr_put_string(e, c->states[i].reader);
}

void dec_gsc_call(struct ndr_dec *d, struct rdpesc_get_status_change_call *c)
{
	uint32_t ref, sref, i, sref_reader[RDPESC_MAX_CALL_STATES];

	memset(c, 0, sizeof(*c));
	ndr_get_ctx(d, &c->ctx, &ref);
	c->timeout = ndr_get_u32(d);
	c->n = ndr_get_u32(d);
	sref = ndr_get_ptr(d);
	ndr_get_check(d, c->n, RDPESC_MAX_CALL_STATES);
	ndr_get_ptr_size(d, sref, c->n);
	ndr_get_ctx_data(d, &c->ctx, ref);
	if (!sref || d->r.err) {
		if (d->r.err)
			c->n = 0;
		return;
	}
	if (ndr_get_u32(d) != c->n)
		ndr_fail(d, RDP_ERR_MALFORMED);
	for (i = 0; i < c->n && !d->r.err; i++) {
		struct rdpesc_reader_state *s = &c->states[i];

		sref_reader[i] = ndr_get_ptr(d);
		s->current_state = ndr_get_u32(d);
		s->event_state = ndr_get_u32(d);
		s->cb_atr = ndr_get_u32(d);
		rdp_rd_copy(&d->r, s->atr, RDPESC_MAX_ATR);
		ndr_get_check(d, s->cb_atr, RDPESC_MAX_ATR);
	}
	for (i = 0; i < c->n && !d->r.err; i++)
		if (sref_reader[i])
			c->states[i].reader = ndr_get_string(d);
	if (d->r.err)
		c->n = 0;
}

void enc_reader_call(struct ndr_enc *e, const struct rdpesc_context_and_reader_call *c)
{
	ndr_put_ctx(e, &c->ctx);
	ndr_put_ptr(e, c->reader != NULL);
	ndr_put_ctx_data(e, &c->ctx);
	if (c->reader)
		ndr_put_string(e, c->reader);
}

void dec_reader_call(struct ndr_dec *d, struct rdpesc_context_and_reader_call *c)
{
	uint32_t ref, sref;

	c->reader = NULL;
	ndr_get_ctx(d, &c->ctx, &ref);
	sref = ndr_get_ptr(d);
	ndr_get_ctx_data(d, &c->ctx, ref);
	if (sref && !d->r.err)
		c->reader = ndr_get_string(d);
}

/*
 * Returns.  The legend (what Windows, FreeRDP and xrdp do with a wrong
 * length, and the rules every return decoder here follows) is above the
 * return decoders in rdpesc_bodies.h; each decoder says where it differs.
 */

void enc_long_ret(struct ndr_enc *e, const struct rdpesc_long_return *r)
{
	ndr_put_u32(e, r->rc);
}

void dec_long_ret(struct ndr_dec *d, struct rdpesc_long_return *r)
{
	r->rc = ndr_get_u32(d);
}

void enc_establish_ret(struct ndr_enc *e, const struct rdpesc_establish_context_return *r)
{
	ndr_put_u32(e, r->rc);
	ndr_put_ctx(e, &r->ctx);
	ndr_put_ctx_data(e, &r->ctx);
}

/*
 * EstablishContext_Return.  cbContext, IDL 0..16: FreeRDP takes 0, 4 or 8
 * and rejects a referent that disagrees with the size either way; xrdp
 * takes MaxCount for the size and drops a reply above 16.  Ours: 0..16 as
 * received (ndr_get_ctx()); size 0 with a referent still needs its
 * MaxCount 0; a NULL referent with a size is an error, since there are no
 * bytes to echo (rdesktop 1.9.0 sends exactly that, its context value 0 as
 * the referent, but only after a failure, where the ReturnCode alone is
 * kept).  A rejected reply can still be salvaged for its context
 * (rdpesc_salvage_context()).
 */
void dec_establish_ret(struct ndr_dec *d, struct rdpesc_establish_context_return *r)
{
	uint32_t ref;

	r->rc = ndr_get_u32(d);
	ndr_get_ctx(d, &r->ctx, &ref);
	ndr_get_ctx_data(d, &r->ctx, ref);
}

void enc_list_readers_ret(struct ndr_enc *e, const struct rdpesc_list_readers_return *r)
{
	ndr_put_u32(e, r->rc);
	ndr_put_u32(e, ndr_msz_cbytes_or(e, &r->readers, r->cbytes));
	ndr_put_ptr(e, r->readers.p != NULL);
	if (r->readers.p)
		ndr_put_msz(e, &r->readers);
}

/*
 * ListReaders_Return, ListReaderGroups_Return.  cBytes, IDL 0..65536, in
 * bytes for the W calls too: FreeRDP has no range, wants MaxCount ==
 * cBytes when cBytes > 0 and reports a NULL msz as cBytes 0; xrdp takes
 * MaxCount whatever the pointer.  Ours: the range, MaxCount == cBytes, and
 * a NULL msz with a size is the length-only answer MS-RDPESC 2.2.2.3 and
 * 2.2.2.4 prescribe (fmsz*IsNULL, or cch 0): cbytes as sent, no list.  An
 * odd cBytes in a W list drops the last byte, a list without its final
 * NULs is accepted (ndr_get_msz()).  rdesktop 1.9.0: referent 0x01760650,
 * an empty list as NULs, never a NULL msz.
 */
void dec_list_readers_ret(struct ndr_dec *d, struct rdpesc_list_readers_return *r)
{
	uint32_t ref;

	r->rc = ndr_get_u32(d);
	r->cbytes = ndr_get_u32(d);
	ref = ndr_get_ptr(d);
	r->readers.p = NULL;
	r->readers.len = 0;
	ndr_get_check(d, r->cbytes, RDPESC_MAX_MSZ);
	if (ref && !d->r.err)
		ndr_get_msz(d, r->cbytes, &r->readers);
}

void enc_gsc_ret(struct ndr_enc *e, const struct rdpesc_get_status_change_return *r)
{
	uint32_t i;

	ndr_check(e, r->n <= RDPESC_MAX_RET_STATES);
	if (e->w->err)
		return;
	ndr_put_u32(e, r->rc);
	ndr_put_u32(e, r->n);
	ndr_put_ptr(e, r->n > 0);
	if (!r->n)
		return;
	ndr_put_u32(e, r->n);
	for (i = 0; i < r->n; i++) {
		const struct rdpesc_reader_state_ret *s = &r->states[i];

		ndr_check(e, s->cb_atr <= RDPESC_MAX_ATR);
		ndr_put_u32(e, s->current_state);
		ndr_put_u32(e, s->event_state);
		ndr_put_u32(e, s->cb_atr);
		rdp_wr_bytes(e->w, s->atr, RDPESC_MAX_ATR);
	}
}

/*
 * GetStatusChange_Return, LocateCards_Return.  cReaders, IDL 0..10 (the
 * call allows 11): FreeRDP has no range, wants MaxCount == cReaders, and
 * reads a NULL array as no states while keeping cReaders; xrdp takes
 * MaxCount for the count, unbounded.  Each state's cbAtr, IDL 0..36:
 * neither checks it in a return.  Ours: cReaders <= 10 (states[] holds
 * 10), MaxCount == cReaders, every cbAtr <= 36 (it counts bytes of the
 * 36-byte rgbAtr).  A NULL array with cReaders > 0 is an error, not a
 * length-only answer: the states are the answer, and this call has no
 * such form.  A present array with cReaders 0 still carries its MaxCount 0
 * (rdesktop 1.9.0: referent 0x00084dd8 whatever the count).  States after
 * a non-zero ReturnCode (SCARD_E_TIMEOUT) are kept when they decode.
 */
void dec_gsc_ret(struct ndr_dec *d, struct rdpesc_get_status_change_return *r)
{
	uint32_t ref, i;

	memset(r, 0, sizeof(*r));
	r->rc = ndr_get_u32(d);
	r->n = ndr_get_u32(d);
	ref = ndr_get_ptr(d);
	ndr_get_check(d, r->n, RDPESC_MAX_RET_STATES);
	ndr_get_ptr_size(d, ref, r->n);
	if (!ref || d->r.err) {
		if (d->r.err)
			r->n = 0;
		return;
	}
	if (ndr_get_u32(d) != r->n)
		ndr_fail(d, RDP_ERR_MALFORMED);
	for (i = 0; i < r->n && !d->r.err; i++) {
		struct rdpesc_reader_state_ret *s = &r->states[i];

		s->current_state = ndr_get_u32(d);
		s->event_state = ndr_get_u32(d);
		s->cb_atr = ndr_get_u32(d);
		rdp_rd_copy(&d->r, s->atr, RDPESC_MAX_ATR);
		ndr_get_check(d, s->cb_atr, RDPESC_MAX_ATR);
	}
	if (d->r.err)
		r->n = 0;
}

void enc_device_type_id_ret(struct ndr_enc *e, const struct rdpesc_get_device_type_id_return *r)
{
	ndr_put_u32(e, r->rc);
	ndr_put_u32(e, r->device_id);
}

void dec_device_type_id_ret(struct ndr_dec *d, struct rdpesc_get_device_type_id_return *r)
{
	r->rc = ndr_get_u32(d);
	r->device_id = ndr_get_u32(d);
}
