// SPDX-License-Identifier: MIT
/* SVC-port framing: incremental frame reader, frame and payload encoders. */
#include <string.h>

#include <rdpcodec/svcframe.h>

void svcframe_reader_init(struct svcframe_reader *r, void *buf, size_t cap)
{
	r->buf = buf;
	r->cap = buf ? cap : 0;
	r->start = 0;
	r->end = 0;
	r->pending = 0;
	r->err = r->cap >= SVCPORT_HDR_SIZE ? RDP_OK : RDP_ERR_INVAL;
}

/* Drop the frame handed out last and move unread bytes to the front. */
static void reader_settle(struct svcframe_reader *r)
{
	r->start += r->pending;
	r->pending = 0;
	if (r->start == r->end) {
		r->start = r->end = 0;
	} else if (r->start) {
		memmove(r->buf, r->buf + r->start, r->end - r->start);
		r->end -= r->start;
		r->start = 0;
	}
}

size_t svcframe_space(struct svcframe_reader *r, uint8_t **p)
{
	reader_settle(r);
	*p = r->buf + r->end;
	return r->cap - r->end;
}

void svcframe_commit(struct svcframe_reader *r, size_t n)
{
	if (n > r->cap - r->end)
		n = r->cap - r->end;
	r->end += n;
}

size_t svcframe_feed(struct svcframe_reader *r, const void *data, size_t len)
{
	uint8_t *p;
	size_t space = svcframe_space(r, &p);

	if (len > space)
		len = space;
	if (len)
		memcpy(p, data, len);
	r->end += len;
	return len;
}

static uint32_t get_u32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int svcframe_next(struct svcframe_reader *r, struct svcframe *f)
{
	const uint8_t *h;
	size_t avail;
	uint32_t length;

	if (r->err)
		return r->err;
	r->start += r->pending;
	r->pending = 0;
	avail = r->end - r->start;
	if (avail < SVCPORT_HDR_SIZE)
		return 0;
	h = r->buf + r->start;
	length = get_u32(h);
	if (length > SVCPORT_PAYLOAD_MAX || length > r->cap - SVCPORT_HDR_SIZE) {
		r->err = RDP_ERR_TOO_BIG;
		return r->err;
	}
	if (avail - SVCPORT_HDR_SIZE < length)
		return 0;
	f->length = length;
	f->type = (uint16_t)(h[4] | h[5] << 8);
	f->flags = (uint16_t)(h[6] | h[7] << 8);
	f->payload = h + SVCPORT_HDR_SIZE;
	r->pending = SVCPORT_HDR_SIZE + length;
	return 1;
}

void svcframe_put_hdr(uint8_t out[SVCPORT_HDR_SIZE], uint16_t type, uint16_t flags,
		      uint32_t length)
{
	struct rdp_wr w;

	rdp_wr_init(&w, out, SVCPORT_HDR_SIZE);
	rdp_wr_u32(&w, length);
	rdp_wr_u16(&w, type);
	rdp_wr_u16(&w, flags);
}

int svcframe_encode(struct rdp_wr *w, uint16_t type, uint16_t flags, const void *payload,
		    size_t length)
{
	uint8_t hdr[SVCPORT_HDR_SIZE];

	if (length > SVCPORT_PAYLOAD_MAX)
		return RDP_ERR_TOO_BIG;
	if (length && !payload)
		return RDP_ERR_INVAL;
	svcframe_put_hdr(hdr, type, flags, (uint32_t)length);
	rdp_wr_bytes(w, hdr, sizeof(hdr));
	rdp_wr_bytes(w, payload, length);
	return w->err;
}

int svcport_encode_hello(struct rdp_wr *w, const struct svcport_hello *h)
{
	if (h->name_len && !h->name)
		return RDP_ERR_INVAL;
	if (h->name_len > SVCPORT_PAYLOAD_MAX - 8)
		return RDP_ERR_TOO_BIG;
	rdp_wr_u32(w, 8 + h->name_len);
	rdp_wr_u16(w, SVCPORT_HELLO);
	rdp_wr_u16(w, 0);
	rdp_wr_u32(w, h->version);
	rdp_wr_u32(w, h->flags);
	rdp_wr_bytes(w, h->name, h->name_len);
	return w->err;
}

int svcport_decode_hello(const void *payload, size_t len, struct svcport_hello *h)
{
	struct rdp_rd r;

	memset(h, 0, sizeof(*h));
	rdp_rd_init(&r, payload, len);
	h->version = rdp_rd_u32(&r);
	h->flags = rdp_rd_u32(&r);
	if (r.err)
		return r.err;
	h->name_len = (uint32_t)rdp_rd_left(&r);
	h->name = h->name_len ? rdp_rd_view(&r, h->name_len) : NULL;
	return RDP_OK;
}

static void put_tlv(struct rdp_wr *w, uint16_t tag, const uint8_t *v, uint32_t len)
{
	if (!len)
		return;
	if (len > 0xFFFF || !v) {
		rdp_wr_fail(w, RDP_ERR_INVAL);
		return;
	}
	rdp_wr_u16(w, tag);
	rdp_wr_u16(w, (uint16_t)len);
	rdp_wr_bytes(w, v, len);
}

static void put_channel_open_tlvs(struct rdp_wr *w, const struct svcport_channel_open *o)
{
	put_tlv(w, SVCPORT_TAG_SESSION_KEY, o->session_key, o->session_key_len);
	put_tlv(w, SVCPORT_TAG_CLIENT_NAME, o->client_name, o->client_name_len);
	put_tlv(w, SVCPORT_TAG_USER, o->user, o->user_len);
	put_tlv(w, SVCPORT_TAG_CHANNEL, o->channel, o->channel_len);
}

int svcport_encode_channel_open(struct rdp_wr *w, const struct svcport_channel_open *o)
{
	struct rdp_wr m;

	if (!o->session_key_len || o->session_key_len > SVCPORT_SESSION_KEY_MAX)
		return RDP_ERR_INVAL;
	rdp_wr_init_measure(&m);
	put_channel_open_tlvs(&m, o);
	if (m.err)
		return m.err;
	if (m.off > SVCPORT_PAYLOAD_MAX)
		return RDP_ERR_TOO_BIG;
	rdp_wr_u32(w, (uint32_t)m.off);
	rdp_wr_u16(w, SVCPORT_CHANNEL_OPEN);
	rdp_wr_u16(w, 0);
	put_channel_open_tlvs(w, o);
	return w->err;
}

int svcport_decode_channel_open(const void *payload, size_t len, struct svcport_channel_open *o)
{
	struct rdp_rd r;

	memset(o, 0, sizeof(*o));
	rdp_rd_init(&r, payload, len);
	while (rdp_rd_left(&r) > 0) {
		uint16_t tag = rdp_rd_u16(&r);
		uint16_t tlen = rdp_rd_u16(&r);
		const uint8_t *v = rdp_rd_view(&r, tlen);

		if (r.err)
			return RDP_ERR_MALFORMED;
		switch (tag) {
		case SVCPORT_TAG_SESSION_KEY:
			o->session_key = v;
			o->session_key_len = tlen;
			break;
		case SVCPORT_TAG_CLIENT_NAME:
			o->client_name = v;
			o->client_name_len = tlen;
			break;
		case SVCPORT_TAG_USER:
			o->user = v;
			o->user_len = tlen;
			break;
		case SVCPORT_TAG_CHANNEL:
			o->channel = v;
			o->channel_len = tlen;
			break;
		default:
			break;
		}
	}
	if (!o->session_key_len || o->session_key_len > SVCPORT_SESSION_KEY_MAX)
		return RDP_ERR_MALFORMED;
	return RDP_OK;
}
