// SPDX-License-Identifier: MIT
/* RDPESC NDR calls (canonical) and returns (lenient, bounds checked). */
#include <errno.h>
#include <string.h>

#include "esc_codec.h"
#include "utf16.h"

/* ---- encoder ---------------------------------------------------------- */

struct ndr_w {
	struct bytebuf *b;
	size_t body;		/* offset of the NDR body in b */
	uint32_t k;		/* referents handed out */
};

static void ndr_begin(struct ndr_w *w, struct bytebuf *b)
{
	w->b = b;
	w->k = 0;
	bb_u8(b, 0x01);			/* version */
	bb_u8(b, 0x10);			/* little endian */
	bb_u16(b, 8);			/* common header length */
	bb_u32(b, 0xcccccccc);		/* filler */
	bb_u32(b, 0);			/* ObjectBufferLength, patched */
	bb_u32(b, 0);			/* filler */
	w->body = b->len;
}

static void ndr_pad(struct ndr_w *w, size_t a)
{
	size_t n = (w->b->len - w->body) % a;

	if (n)
		bb_zero(w->b, a - n);
}

static void ndr_end(struct ndr_w *w)
{
	ndr_pad(w, 8);
	bb_set_u32(w->b, w->body - 8, (uint32_t)(w->b->len - w->body));
}

static void ndr_ref(struct ndr_w *w, int present)
{
	bb_u32(w->b, present ? 0x00020000u + 4 * w->k++ : 0);
}

static void ndr_conf_bytes(struct ndr_w *w, const uint8_t *p, uint32_t n)
{
	bb_u32(w->b, n);
	bb_put(w->b, p, n);
	ndr_pad(w, 4);
}

static void ndr_wstring(struct ndr_w *w, const char *s)
{
	struct bytebuf tmp;
	uint32_t units;

	bb_init(&tmp);
	units = (uint32_t)utf8_to_utf16le(&tmp, s) + 1;
	bb_u32(w->b, units);
	bb_u32(w->b, 0);
	bb_u32(w->b, units);
	bb_put(w->b, tmp.data, tmp.len);
	bb_u16(w->b, 0);
	ndr_pad(w, 4);
	if (tmp.oom)
		w->b->oom = true;
	bb_free(&tmp);
}

static void ctx_inline(struct ndr_w *w, const struct esc_blob *c)
{
	bb_u32(w->b, c->len);
	ndr_ref(w, c->len > 0);
}

static void ctx_deferred(struct ndr_w *w, const struct esc_blob *c)
{
	if (c->len)
		ndr_conf_bytes(w, c->b, c->len);
}

static void handle_inline(struct ndr_w *w, const struct esc_handle *h)
{
	ctx_inline(w, &h->ctx);
	ctx_inline(w, &h->card);
}

static void handle_deferred(struct ndr_w *w, const struct esc_handle *h)
{
	ctx_deferred(w, &h->ctx);
	ctx_deferred(w, &h->card);
}

void esc_enc_establish(struct bytebuf *b, uint32_t scope)
{
	struct ndr_w w;

	ndr_begin(&w, b);
	bb_u32(b, scope);
	ndr_end(&w);
}

void esc_enc_context(struct bytebuf *b, const struct esc_blob *ctx)
{
	struct ndr_w w;

	ndr_begin(&w, b);
	ctx_inline(&w, ctx);
	ctx_deferred(&w, ctx);
	ndr_end(&w);
}

void esc_enc_list_readers_w(struct bytebuf *b, const struct esc_blob *ctx)
{
	struct bytebuf groups;
	struct ndr_w w;

	bb_init(&groups);
	utf8_to_utf16le(&groups, "SCard$AllReaders");
	bb_u16(&groups, 0);
	bb_u16(&groups, 0);
	ndr_begin(&w, b);
	ctx_inline(&w, ctx);
	bb_u32(b, (uint32_t)groups.len);
	ndr_ref(&w, 1);
	bb_u32(b, 0);			/* fmszReadersIsNULL */
	bb_u32(b, SCARD_AUTOALLOCATE);	/* cchReaders */
	ctx_deferred(&w, ctx);
	ndr_conf_bytes(&w, groups.data, (uint32_t)groups.len);
	ndr_end(&w);
	bb_free(&groups);
}

void esc_enc_gsc_w(struct bytebuf *b, const struct esc_blob *ctx,
		   uint32_t timeout, const struct esc_call_state *st, uint32_t n)
{
	struct ndr_w w;
	uint32_t i;

	ndr_begin(&w, b);
	ctx_inline(&w, ctx);
	bb_u32(b, timeout);
	bb_u32(b, n);
	ndr_ref(&w, 1);
	ctx_deferred(&w, ctx);
	bb_u32(b, n);
	for (i = 0; i < n; i++) {
		ndr_ref(&w, 1);
		bb_u32(b, st[i].cur);
		bb_u32(b, 0);		/* dwEventState */
		bb_u32(b, 0);		/* cbAtr */
		bb_zero(b, ESC_ATR_MAX);
	}
	for (i = 0; i < n; i++)
		ndr_wstring(&w, st[i].name);
	ndr_end(&w);
}

void esc_enc_connect_w(struct bytebuf *b, const struct esc_blob *ctx,
		       const char *reader, uint32_t share, uint32_t protocols)
{
	struct ndr_w w;

	ndr_begin(&w, b);
	ndr_ref(&w, 1);
	ctx_inline(&w, ctx);
	bb_u32(b, share);
	bb_u32(b, protocols);
	ndr_wstring(&w, reader);
	ctx_deferred(&w, ctx);
	ndr_end(&w);
}

void esc_enc_reconnect(struct bytebuf *b, const struct esc_handle *h,
		       uint32_t share, uint32_t protocols, uint32_t init)
{
	struct ndr_w w;

	ndr_begin(&w, b);
	handle_inline(&w, h);
	bb_u32(b, share);
	bb_u32(b, protocols);
	bb_u32(b, init);
	handle_deferred(&w, h);
	ndr_end(&w);
}

void esc_enc_hcard_disp(struct bytebuf *b, const struct esc_handle *h,
			uint32_t disposition)
{
	struct ndr_w w;

	ndr_begin(&w, b);
	handle_inline(&w, h);
	bb_u32(b, disposition);
	handle_deferred(&w, h);
	ndr_end(&w);
}

void esc_enc_status_w(struct bytebuf *b, const struct esc_handle *h)
{
	struct ndr_w w;

	ndr_begin(&w, b);
	handle_inline(&w, h);
	bb_u32(b, 0);			/* fmszReaderNamesIsNULL */
	bb_u32(b, SCARD_AUTOALLOCATE);	/* cchReaderLen */
	bb_u32(b, 32);			/* cbAtrLen: mstsc uses it */
	handle_deferred(&w, h);
	ndr_end(&w);
}

void esc_enc_transmit(struct bytebuf *b, const struct esc_handle *h,
		      uint32_t protocol, const uint8_t *send, uint32_t send_len,
		      uint32_t recv_len)
{
	struct ndr_w w;

	ndr_begin(&w, b);
	handle_inline(&w, h);
	bb_u32(b, protocol);		/* ioSendPci.dwProtocol */
	bb_u32(b, 0);			/* cbExtraBytes */
	ndr_ref(&w, 0);			/* pbExtraBytes */
	bb_u32(b, send_len);
	ndr_ref(&w, 1);			/* pbSendBuffer */
	ndr_ref(&w, 1);			/* pioRecvPci */
	bb_u32(b, 0);			/* fpbRecvBufferIsNULL */
	bb_u32(b, recv_len);
	handle_deferred(&w, h);
	ndr_conf_bytes(&w, send, send_len);
	bb_u32(b, protocol);		/* *pioRecvPci */
	bb_u32(b, 0);
	ndr_ref(&w, 0);
	ndr_end(&w);
}

void esc_enc_control(struct bytebuf *b, const struct esc_handle *h,
		     uint32_t code, const uint8_t *in, uint32_t in_len,
		     uint32_t out_len)
{
	struct ndr_w w;

	ndr_begin(&w, b);
	handle_inline(&w, h);
	bb_u32(b, code);
	bb_u32(b, in_len);
	ndr_ref(&w, in_len > 0);
	bb_u32(b, 0);			/* fpvOutBufferIsNULL */
	bb_u32(b, out_len);
	handle_deferred(&w, h);
	if (in_len)
		ndr_conf_bytes(&w, in, in_len);
	ndr_end(&w);
}

void esc_enc_get_attrib(struct bytebuf *b, const struct esc_handle *h,
			uint32_t attr, uint32_t len)
{
	struct ndr_w w;

	ndr_begin(&w, b);
	handle_inline(&w, h);
	bb_u32(b, attr);
	bb_u32(b, 0);			/* fpbAttrIsNULL */
	bb_u32(b, len);
	handle_deferred(&w, h);
	ndr_end(&w);
}

void esc_enc_set_attrib(struct bytebuf *b, const struct esc_handle *h,
			uint32_t attr, const uint8_t *data, uint32_t len)
{
	struct ndr_w w;

	ndr_begin(&w, b);
	handle_inline(&w, h);
	bb_u32(b, attr);
	bb_u32(b, len);
	ndr_ref(&w, len > 0);
	handle_deferred(&w, h);
	if (len)
		ndr_conf_bytes(&w, data, len);
	ndr_end(&w);
}

void esc_enc_access_started(struct bytebuf *b)
{
	bb_u32(b, 0);	/* 4 bytes, no RPCE headers; the value is ignored */
}

/* ---- decoder ---------------------------------------------------------- */

struct ndr_r {
	struct byterd r;
};

static void rd_align4(struct ndr_r *d)
{
	size_t n = d->r.off % 4;

	if (n)
		br_bytes(&d->r, 4 - n);
}

/* Conformant byte array of n bytes (MaxCount must equal n). */
static const uint8_t *rd_conf_bytes(struct ndr_r *d, uint32_t n)
{
	const uint8_t *p;

	if (br_u32(&d->r) != n) {
		d->r.err = true;
		return NULL;
	}
	p = br_bytes(&d->r, n);
	rd_align4(d);
	return p;
}

static void rd_blob(struct ndr_r *d, struct esc_blob *bl, uint32_t ref)
{
	const uint8_t *p;

	if (!ref || !bl->len) {
		bl->len = ref ? bl->len : 0;
		return;
	}
	p = rd_conf_bytes(d, bl->len);
	if (p)
		memcpy(bl->b, p, bl->len);
}

static uint32_t normalise_state(uint32_t s)
{
	if (s <= 6)
		return s;
	if (s & 0x40)
		return 6;
	if (s & 0x20)
		return 5;
	if (s & 0x10)
		return 4;
	if (s & 0x08)
		return 3;
	if (s & 0x04)
		return 2;
	if (s & 0x02)
		return 1;
	return 0;
}

static int dec_body(uint32_t ioctl, struct ndr_r *d, struct esc_return *r)
{
	struct byterd *b = &d->r;
	uint32_t ref, ref2, n, i;
	const uint8_t *p;

	r->rc = br_u32(b);
	switch (ioctl) {
	case SCARD_IOCTL_ESTABLISHCONTEXT:
		r->ctx.len = br_u32(b);
		ref = br_u32(b);
		if (r->ctx.len > ESC_BLOB_MAX)
			return -EBADMSG;
		rd_blob(d, &r->ctx, ref);
		break;
	case SCARD_IOCTL_CONNECTW:
		r->ctx.len = br_u32(b);
		ref = br_u32(b);
		r->card.len = br_u32(b);
		ref2 = br_u32(b);
		r->protocol = br_u32(b);
		if (r->ctx.len > ESC_BLOB_MAX || r->card.len > ESC_BLOB_MAX)
			return -EBADMSG;
		rd_blob(d, &r->ctx, ref);
		rd_blob(d, &r->card, ref2);
		break;
	case SCARD_IOCTL_RECONNECT:
		r->protocol = br_u32(b);
		break;
	case SCARD_IOCTL_LISTREADERSW:
	case SCARD_IOCTL_CONTROL:
	case SCARD_IOCTL_GETATTRIB:
		n = br_u32(b);
		ref = br_u32(b);
		if (n > ESC_RECV_MAX)
			return -EBADMSG;
		if (ref && n) {
			r->data = rd_conf_bytes(d, n);
			r->data_len = r->data ? n : 0;
		}
		break;
	case SCARD_IOCTL_GETSTATUSCHANGEW:
		n = br_u32(b);
		ref = br_u32(b);
		if (n > ESC_STATES_MAX)
			return -EBADMSG;
		if (ref && n) {
			if (br_u32(b) != n)
				return -EBADMSG;
			for (i = 0; i < n && !b->err; i++) {
				struct esc_state *s = &r->states[i];

				s->cur = br_u32(b);
				s->ev = br_u32(b);
				s->atr_len = br_u32(b);
				p = br_bytes(b, ESC_ATR_MAX);
				if (s->atr_len > ESC_ATR_MAX)
					return -EBADMSG;
				if (p)
					memcpy(s->atr, p, ESC_ATR_MAX);
			}
			r->n_states = n;
		}
		break;
	case SCARD_IOCTL_STATUSW:
		n = br_u32(b);		/* cBytes of reader names */
		ref = br_u32(b);
		r->state = normalise_state(br_u32(b));
		r->protocol = br_u32(b);
		p = br_bytes(b, 32);
		r->atr_len = br_u32(b);
		if (r->atr_len > 32 || n > 65536)
			return -EBADMSG;
		if (p)
			memcpy(r->atr, p, 32);
		if (ref && n)
			rd_conf_bytes(d, n);
		break;
	case SCARD_IOCTL_TRANSMIT:
		ref = br_u32(b);	/* pioRecvPci */
		n = br_u32(b);
		ref2 = br_u32(b);	/* pbRecvBuffer */
		if (n > ESC_RECV_MAX)
			return -EBADMSG;
		if (ref) {
			uint32_t extra, xref;

			br_u32(b);	/* dwProtocol */
			extra = br_u32(b);
			xref = br_u32(b);
			if (extra > 1024)
				return -EBADMSG;
			if (xref && extra)
				rd_conf_bytes(d, extra);
		}
		if (ref2 && n) {
			r->data = rd_conf_bytes(d, n);
			r->data_len = r->data ? n : 0;
		}
		break;
	default:	/* Long_Return */
		break;
	}
	return 0;
}

int esc_dec_return(uint32_t ioctl, const uint8_t *p, size_t len,
		   struct esc_return *r)
{
	struct ndr_r d;
	int ret;

	memset(r, 0, sizeof(*r));
	if (len < 16 || p[0] != 0x01 || p[1] != 0x10)
		return -EBADMSG;
	/*
	 * Lenient: ObjectBufferLength may or may not include the final pad,
	 * trailing bytes are ignored, so parse what is there.
	 */
	br_init(&d.r, p + 16, len - 16);
	ret = dec_body(ioctl, &d, r);
	if (ret == 0 && d.r.err)
		ret = -EBADMSG;
	if (ret && r->rc != 0 && br_left(&d.r) == 0 && len >= 20) {
		/* Error returns may be truncated after ReturnCode. */
		uint32_t rc = r->rc;

		memset(r, 0, sizeof(*r));
		r->rc = rc;
		return 0;
	}
	if (ret)
		return ret;
	if (r->rc != 0) {
		uint32_t rc = r->rc;
		/* Keep GetStatusChange states (FreeRDP keeps them on timeout). */
		uint32_t ns = r->n_states;
		struct esc_state st[ESC_STATES_MAX];

		memcpy(st, r->states, sizeof(st));
		memset(r, 0, sizeof(*r));
		r->rc = rc;
		if (ioctl == SCARD_IOCTL_GETSTATUSCHANGEW) {
			r->n_states = ns;
			memcpy(r->states, st, sizeof(st));
		}
	}
	return 0;
}

const char *esc_ioctl_name(uint32_t ioctl)
{
	switch (ioctl) {
	case SCARD_IOCTL_ESTABLISHCONTEXT: return "EstablishContext";
	case SCARD_IOCTL_RELEASECONTEXT: return "ReleaseContext";
	case SCARD_IOCTL_ISVALIDCONTEXT: return "IsValidContext";
	case SCARD_IOCTL_LISTREADERSW: return "ListReadersW";
	case SCARD_IOCTL_GETSTATUSCHANGEW: return "GetStatusChangeW";
	case SCARD_IOCTL_CANCEL: return "Cancel";
	case SCARD_IOCTL_CONNECTW: return "ConnectW";
	case SCARD_IOCTL_RECONNECT: return "Reconnect";
	case SCARD_IOCTL_DISCONNECT: return "Disconnect";
	case SCARD_IOCTL_BEGINTRANSACTION: return "BeginTransaction";
	case SCARD_IOCTL_ENDTRANSACTION: return "EndTransaction";
	case SCARD_IOCTL_STATUSW: return "StatusW";
	case SCARD_IOCTL_TRANSMIT: return "Transmit";
	case SCARD_IOCTL_CONTROL: return "Control";
	case SCARD_IOCTL_GETATTRIB: return "GetAttrib";
	case SCARD_IOCTL_SETATTRIB: return "SetAttrib";
	case SCARD_IOCTL_ACCESSSTARTEDEVENT: return "AccessStartedEvent";
	default: return "?";
	}
}
