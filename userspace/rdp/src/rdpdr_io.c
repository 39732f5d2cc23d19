// SPDX-License-Identifier: MIT
/* Device I/O request (DR_CONTROL_REQ) and completion (DR_CONTROL_RSP). */
#include <string.h>

#include <rdpcodec/scard.h>
#include "rdpdr_internal.h"

static void read_ioreq(struct rdp_rd *r, struct rdpdr_ioreq *io)
{
	io->device_id = rdp_rd_u32(r);
	io->file_id = rdp_rd_u32(r);
	io->completion_id = rdp_rd_u32(r);
	io->major_function = rdp_rd_u32(r);
	io->minor_function = rdp_rd_u32(r);
}

int rdpdr_decode_ioreq(const void *buf, size_t len, struct rdpdr_ioreq *io)
{
	struct rdp_rd r;
	int err = rdpdr_open(&r, buf, len, PAKID_CORE_DEVICE_IOREQUEST);

	memset(io, 0, sizeof(*io));
	if (err)
		return err;
	read_ioreq(&r, io);
	return r.err;
}

int rdpdr_encode_control_req(struct rdp_wr *w, const struct rdpdr_control_req *q)
{
	if (q->input_len && !q->input)
		return RDP_ERR_INVAL;
	rdpdr_put_hdr(w, PAKID_CORE_DEVICE_IOREQUEST);
	rdp_wr_u32(w, q->io.device_id);
	rdp_wr_u32(w, q->io.file_id);
	rdp_wr_u32(w, q->io.completion_id);
	rdp_wr_u32(w, IRP_MJ_DEVICE_CONTROL);
	rdp_wr_u32(w, q->io.minor_function);
	rdp_wr_u32(w, q->output_len);
	rdp_wr_u32(w, q->input_len);
	rdp_wr_u32(w, q->ioctl);
	rdp_wr_zeros(w, 20);
	if (q->input_len)
		rdp_wr_bytes(w, q->input, q->input_len);
	return w->err;
}

int rdpdr_decode_control_req(const void *buf, size_t len, struct rdpdr_control_req *q)
{
	struct rdp_rd r;
	int err = rdpdr_open(&r, buf, len, PAKID_CORE_DEVICE_IOREQUEST);

	memset(q, 0, sizeof(*q));
	if (err)
		return err;
	read_ioreq(&r, &q->io);
	if (!r.err && q->io.major_function != IRP_MJ_DEVICE_CONTROL)
		return RDP_ERR_UNSUPPORTED;
	q->output_len = rdp_rd_u32(&r);
	q->input_len = rdp_rd_u32(&r);
	q->ioctl = rdp_rd_u32(&r);
	rdp_rd_skip(&r, 20);
	q->input = rdp_rd_view(&r, q->input_len);
	if (r.err) {
		q->input = NULL;
		return r.err;
	}
	if (!q->input_len)
		q->input = NULL;
	return RDP_OK;
}

static void read_completion(struct rdp_rd *r, struct rdpdr_iocompletion *c)
{
	c->device_id = rdp_rd_u32(r);
	c->completion_id = rdp_rd_u32(r);
	c->io_status = rdp_rd_u32(r);
}

int rdpdr_decode_iocompletion(const void *buf, size_t len, struct rdpdr_iocompletion *c)
{
	struct rdp_rd r;
	int err = rdpdr_open(&r, buf, len, PAKID_CORE_DEVICE_IOCOMPLETION);

	memset(c, 0, sizeof(*c));
	if (err)
		return err;
	read_completion(&r, c);
	return r.err;
}

int rdpdr_encode_control_rsp(struct rdp_wr *w, const struct rdpdr_control_rsp *s)
{
	if (s->output_len && !s->output)
		return RDP_ERR_INVAL;
	rdpdr_put_hdr(w, PAKID_CORE_DEVICE_IOCOMPLETION);
	rdp_wr_u32(w, s->c.device_id);
	rdp_wr_u32(w, s->c.completion_id);
	rdp_wr_u32(w, s->c.io_status);
	rdp_wr_u32(w, s->output_len);
	if (s->output_len)
		rdp_wr_bytes(w, s->output, s->output_len);
	return w->err;
}

int rdpdr_decode_control_rsp(const void *buf, size_t len, struct rdpdr_control_rsp *s)
{
	struct rdp_rd r;
	int err = rdpdr_open(&r, buf, len, PAKID_CORE_DEVICE_IOCOMPLETION);

	memset(s, 0, sizeof(*s));
	if (err)
		return err;
	read_completion(&r, &s->c);
	if (r.err)
		return r.err;
	if (s->c.io_status != RDP_STATUS_SUCCESS) {
		/* error bodies vary (bare header, or a length and junk): ignore */
		return RDP_OK;
	}
	/*
	 * OutputBufferLength (from the client, untrusted) must fit in the
	 * PDU: it bounds the RDPESC buffer the NDR decoder may read, which
	 * therefore never goes past the bytes received.  Bytes after it are
	 * ignored.
	 */
	s->output_len = rdp_rd_u32(&r);
	s->output = rdp_rd_view(&r, s->output_len);
	if (r.err) {
		s->output = NULL;
		s->output_len = 0;
		return r.err;
	}
	if (!s->output_len)
		s->output = NULL;
	return RDP_OK;
}
