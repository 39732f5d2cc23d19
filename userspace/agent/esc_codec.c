// SPDX-License-Identifier: MIT
/* RDPESC calls and returns through librdpcodec. */
#include <errno.h>
#include <string.h>

#include <rdpcodec/rdpesc.h>

#include "encode.h"
#include "esc_codec.h"

static void to_ctx(struct rdpesc_context *d, const struct esc_blob *s)
{
	d->cb = s->len;
	memcpy(d->v, s->b, s->len);
}

static void to_handle(struct rdpesc_handle *d, const struct esc_handle *s)
{
	to_ctx(&d->ctx, &s->ctx);
	d->cb = s->card.len;
	memcpy(d->v, s->card.b, s->card.len);
}

static void enc(struct bytebuf *b, uint32_t ioctl, const union rdpesc_call *c)
{
	if (BB_ENCODE(b, w, rdpesc_encode_call(w, ioctl, c)))
		b->oom = true;		/* never send a half-encoded call */
}

void esc_enc_establish(struct bytebuf *b, uint32_t scope)
{
	union rdpesc_call c = { .establish = { .scope = scope } };

	enc(b, SCARD_IOCTL_ESTABLISHCONTEXT, &c);
}

void esc_enc_context(struct bytebuf *b, const struct esc_blob *ctx)
{
	union rdpesc_call c;

	memset(&c, 0, sizeof(c));
	to_ctx(&c.context.ctx, ctx);
	/* Release, IsValid and Cancel share Context_Call. */
	enc(b, SCARD_IOCTL_RELEASECONTEXT, &c);
}

void esc_enc_list_readers_w(struct bytebuf *b, const struct esc_blob *ctx)
{
	static const char groups[] = "SCard$AllReaders\0";	/* + final NUL */
	union rdpesc_call c;

	memset(&c, 0, sizeof(c));
	to_ctx(&c.list_readers.ctx, ctx);
	c.list_readers.groups.p = groups;
	c.list_readers.groups.len = sizeof(groups);
	c.list_readers.readers_is_null = 0;
	c.list_readers.cch_readers = SCARD_AUTOALLOCATE;
	enc(b, SCARD_IOCTL_LISTREADERSW, &c);
}

void esc_enc_gsc_w(struct bytebuf *b, const struct esc_blob *ctx,
		   uint32_t timeout, const struct esc_call_state *st, uint32_t n)
{
	union rdpesc_call c;
	uint32_t i;

	if (n > ESC_STATES_MAX) {
		b->oom = true;
		return;
	}
	memset(&c, 0, sizeof(c));
	to_ctx(&c.gsc.ctx, ctx);
	c.gsc.timeout = timeout;
	c.gsc.n = n;
	for (i = 0; i < n; i++) {
		c.gsc.states[i].reader = st[i].name;
		c.gsc.states[i].current_state = st[i].cur;
	}
	enc(b, SCARD_IOCTL_GETSTATUSCHANGEW, &c);
}

void esc_enc_connect_w(struct bytebuf *b, const struct esc_blob *ctx,
		       const char *reader, uint32_t share, uint32_t protocols)
{
	union rdpesc_call c;

	memset(&c, 0, sizeof(c));
	c.connect.reader = reader;
	to_ctx(&c.connect.ctx, ctx);
	c.connect.share_mode = share;
	c.connect.preferred_protocols = protocols;
	enc(b, SCARD_IOCTL_CONNECTW, &c);
}

void esc_enc_reconnect(struct bytebuf *b, const struct esc_handle *h,
		       uint32_t share, uint32_t protocols, uint32_t init)
{
	union rdpesc_call c;

	memset(&c, 0, sizeof(c));
	to_handle(&c.reconnect.h, h);
	c.reconnect.share_mode = share;
	c.reconnect.preferred_protocols = protocols;
	c.reconnect.initialization = init;
	enc(b, SCARD_IOCTL_RECONNECT, &c);
}

void esc_enc_hcard_disp(struct bytebuf *b, const struct esc_handle *h,
			uint32_t disposition)
{
	union rdpesc_call c;

	memset(&c, 0, sizeof(c));
	to_handle(&c.hcard.h, h);
	c.hcard.disposition = disposition;
	enc(b, SCARD_IOCTL_DISCONNECT, &c);
}

void esc_enc_status_w(struct bytebuf *b, const struct esc_handle *h)
{
	union rdpesc_call c;

	memset(&c, 0, sizeof(c));
	to_handle(&c.status.h, h);
	c.status.reader_names_is_null = 0;
	c.status.cch_reader_len = SCARD_AUTOALLOCATE;
	c.status.cb_atr_len = 32;	/* mstsc uses it */
	enc(b, SCARD_IOCTL_STATUSW, &c);
}

void esc_enc_transmit(struct bytebuf *b, const struct esc_handle *h,
		      uint32_t protocol, const uint8_t *send, uint32_t send_len,
		      uint32_t recv_len)
{
	union rdpesc_call c;

	memset(&c, 0, sizeof(c));
	to_handle(&c.transmit.h, h);
	c.transmit.send_pci.protocol = protocol;
	c.transmit.cb_send = send_len;
	c.transmit.send = send;
	c.transmit.has_recv_pci = true;		/* like Windows */
	c.transmit.recv_pci.protocol = protocol;
	c.transmit.recv_buffer_is_null = 0;
	c.transmit.cb_recv_length = recv_len;
	enc(b, SCARD_IOCTL_TRANSMIT, &c);
}

void esc_enc_control(struct bytebuf *b, const struct esc_handle *h,
		     uint32_t code, const uint8_t *in, uint32_t in_len,
		     uint32_t out_len)
{
	union rdpesc_call c;

	memset(&c, 0, sizeof(c));
	to_handle(&c.control.h, h);
	c.control.control_code = code;
	c.control.cb_in = in_len;
	c.control.in = in_len ? in : NULL;
	c.control.cb_out_buffer_size = out_len;
	enc(b, SCARD_IOCTL_CONTROL, &c);
}

void esc_enc_get_attrib(struct bytebuf *b, const struct esc_handle *h,
			uint32_t attr, uint32_t len)
{
	union rdpesc_call c;

	memset(&c, 0, sizeof(c));
	to_handle(&c.get_attrib.h, h);
	c.get_attrib.attr_id = attr;
	c.get_attrib.cb_attr_len = len;
	enc(b, SCARD_IOCTL_GETATTRIB, &c);
}

void esc_enc_set_attrib(struct bytebuf *b, const struct esc_handle *h,
			uint32_t attr, const uint8_t *data, uint32_t len)
{
	union rdpesc_call c;

	memset(&c, 0, sizeof(c));
	to_handle(&c.set_attrib.h, h);
	c.set_attrib.attr_id = attr;
	c.set_attrib.cb_attr = len;
	c.set_attrib.attr = len ? data : NULL;
	enc(b, SCARD_IOCTL_SETATTRIB, &c);
}

void esc_enc_access_started(struct bytebuf *b)
{
	union rdpesc_call c;

	memset(&c, 0, sizeof(c));	/* 4 raw bytes; the value is ignored */
	enc(b, SCARD_IOCTL_ACCESSSTARTEDEVENT, &c);
}

static void from_ctx(struct esc_blob *d, const struct rdpesc_context *s)
{
	d->len = s->cb <= ESC_BLOB_MAX ? s->cb : 0;
	memcpy(d->b, s->v, d->len);
}

int esc_dec_return(uint32_t ioctl, const uint8_t *p, size_t len,
		   struct esc_return *r, void *arena_buf, size_t arena_len)
{
	union rdpesc_return u;
	struct rdp_arena arena;
	uint32_t i;

	memset(r, 0, sizeof(*r));
	memset(&u, 0, sizeof(u));
	rdp_arena_init(&arena, arena_buf, arena_len);
	if (rdpesc_decode_return(p, len, ioctl, &u, &arena, 0) < 0)
		return -EBADMSG;
	r->rc = u.rc;
	switch (rdpesc_return_kind(ioctl)) {
	case RDPESC_RET_ESTABLISH:
		from_ctx(&r->ctx, &u.establish.ctx);
		break;
	case RDPESC_RET_CONNECT:
		from_ctx(&r->ctx, &u.connect.h.ctx);
		r->card.len = u.connect.h.cb <= ESC_BLOB_MAX ? u.connect.h.cb : 0;
		memcpy(r->card.b, u.connect.h.v, r->card.len);
		r->protocol = u.connect.active_protocol;
		break;
	case RDPESC_RET_RECONNECT:
		r->protocol = u.reconnect.active_protocol;
		break;
	case RDPESC_RET_LIST_READERS:
		r->names = u.list_readers.readers.p;
		r->names_len = u.list_readers.readers.len;
		break;
	case RDPESC_RET_GSC:
		r->n_states = u.gsc.n <= ESC_STATES_MAX ? u.gsc.n : ESC_STATES_MAX;
		for (i = 0; i < r->n_states; i++) {
			r->states[i].cur = u.gsc.states[i].current_state;
			r->states[i].ev = u.gsc.states[i].event_state;
			r->states[i].atr_len = u.gsc.states[i].cb_atr <= ESC_ATR_MAX ?
					       u.gsc.states[i].cb_atr : 0;
			memcpy(r->states[i].atr, u.gsc.states[i].atr, r->states[i].atr_len);
		}
		break;
	case RDPESC_RET_STATUS:
		r->state = scard_state_normalize(u.status.state);
		r->protocol = u.status.protocol;
		r->atr_len = u.status.cb_atr <= RDPESC_STATUS_ATR ? u.status.cb_atr : 0;
		memcpy(r->atr, u.status.atr, r->atr_len);
		break;
	case RDPESC_RET_TRANSMIT:
		r->data = u.transmit.recv;
		r->data_len = u.transmit.recv ? u.transmit.cb_recv : 0;
		break;
	case RDPESC_RET_BUFFER:
		r->data = u.buffer.data;
		r->data_len = u.buffer.data ? u.buffer.cb : 0;
		break;
	default:
		break;
	}
	return 0;
}

int esc_salvage_context(const uint8_t *p, size_t len, struct esc_blob *ctx)
{
	struct rdpesc_context c;

	memset(ctx, 0, sizeof(*ctx));
	if (rdpesc_salvage_context(p, len, &c) < 0)
		return -EBADMSG;
	from_ctx(ctx, &c);
	return ctx->len ? 0 : -EBADMSG;
}

int esc_salvage_handle(const uint8_t *p, size_t len, struct esc_handle *h)
{
	struct rdpesc_handle c;

	memset(h, 0, sizeof(*h));
	if (rdpesc_salvage_handle(p, len, &c) < 0)
		return -EBADMSG;
	from_ctx(&h->ctx, &c.ctx);
	h->card.len = c.cb <= ESC_BLOB_MAX ? c.cb : 0;
	memcpy(h->card.b, c.v, h->card.len);
	/* rdesktop leaves the handle's context empty: the caller then uses
	 * the context its ConnectW was sent on. */
	return h->card.len ? 0 : -EBADMSG;
}

const char *esc_ioctl_name(uint32_t ioctl)
{
	return scard_ioctl_name(ioctl);
}
