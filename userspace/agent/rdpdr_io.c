// SPDX-License-Identifier: MIT
/*
 * The smart-card device's I/O shared by both RDPDR transports: the
 * DR_CONTROL_REQ the agent sends and the DR_DEVICE_IOCOMPLETION it reads
 * back, matched through the CompletionId table (rdpdr_io.h).
 */
#include <errno.h>
#include <string.h>

#include <rdpcodec/rdpdr.h>
#include <rdpcodec/rdpesc.h>

#include "encode.h"
#include "esc_codec.h"
#include "log.h"
#include "rdpdr_io.h"

#define RDPDR_FILE_ID		1	/* like Windows; no CREATE is ever sent */

void rdpdr_io_init(struct rdpdr_io *io, rdpdr_send_fn *send, void *send_ctx,
		   const struct rdpdr_io_events *ev, void *ev_ctx)
{
	memset(io, 0, sizeof(*io));
	ct_init(&io->ct, 1);
	io->send = send;
	io->send_ctx = send_ctx;
	io->ev = ev;
	io->ev_ctx = ev_ctx;
}

void rdpdr_io_fini(struct rdpdr_io *io)
{
	ct_fini(&io->ct);
}

void rdpdr_io_device_up(struct rdpdr_io *io, uint32_t device_id)
{
	io->have_device = true;
	io->device_id = device_id;
	io->ev->device_ready(io->ev_ctx);
}

void rdpdr_io_device_again(struct rdpdr_io *io)
{
	io->ev->device_again(io->ev_ctx);
}

void rdpdr_io_device_down(struct rdpdr_io *io, const char *why)
{
	ct_reset(&io->ct);
	io->have_device = false;
	io->ev->device_gone(io->ev_ctx, why);
}

void rdpdr_io_reset(struct rdpdr_io *io, const char *why)
{
	log_info("agent: remote state reset (%s)", why);
	io->resets++;
	rdpdr_io_device_down(io, why);
}

/*
 * Untrusted input: DeviceId, CompletionId and IoStatus come from the
 * client.  A completion goes to the request it names only if that request
 * is outstanding on the same device (completion_table.c); everything else
 * is dropped and counted, never matched to another request.  An error
 * completion may be cut after IoStatus (clients send bare headers).
 */
void rdpdr_io_completion(struct rdpdr_io *io, const uint8_t *p, size_t len)
{
	struct rdpdr_control_rsp rsp;
	struct ct_entry e;
	uint32_t io_status;
	bool bad;

	memset(&rsp, 0, sizeof(rsp));
	bad = rdpdr_decode_control_rsp(p, len, &rsp) != 0;
	if (bad && rdpdr_decode_iocompletion(p, len, &rsp.c)) {
		log_warn("rdpdr: short I/O completion dropped");
		io->frames_bad++;
		return;
	}
	switch (ct_complete(&io->ct, rsp.c.device_id, rsp.c.completion_id, &e)) {
	case CT_HIT:
		break;
	case CT_LATE:
		log_info("rdpdr: late completion CompletionId %u (%s, epoch %u) dropped",
			 rsp.c.completion_id, esc_ioctl_name(e.ioctl), e.epoch);
		/*
		 * Same epoch: the client still holds what it created for it
		 * (a context); after a reset it dropped everything itself.
		 */
		if (!bad && rsp.c.io_status == 0 && e.epoch == io->ct.epoch)
			io->ev->late_completion(io->ev_ctx, &e, rsp.output,
						rsp.output_len);
		return;
	case CT_UNKNOWN:
		log_warn("rdpdr: completion for unknown CompletionId %u dropped",
			 rsp.c.completion_id);
		return;
	case CT_WRONG_DEVICE:
		log_warn("rdpdr: completion %u for device %u dropped",
			 rsp.c.completion_id, rsp.c.device_id);
		return;
	}
	io_status = rsp.c.io_status;
	if (bad) {
		/* A known request with a broken DR_CONTROL_RSP: fail it. */
		log_warn("rdpdr: completion %u (%s) has no valid OutputBuffer",
			 rsp.c.completion_id, esc_ioctl_name(e.ioctl));
		io->frames_bad++;
		if (!io_status)
			io_status = RDP_STATUS_UNSUCCESSFUL;
	}
	io->ev->completion(io->ev_ctx, &e, io_status, io_status ? NULL : rsp.output,
			   io_status ? 0 : rsp.output_len);
}

int rdpdr_io_ioctl(struct rdpdr_io *io, uint32_t ioctl, const struct bytebuf *in,
		   uint32_t out_len, uint64_t deadline_ms, uint64_t owner,
		   uint32_t *cid)
{
	struct rdpdr_control_req req;
	struct bytebuf b;
	int ret;

	if (!io->have_device)
		return -ENODEV;
	if (in->oom)
		return -ENOMEM;
	ret = ct_alloc(&io->ct, io->device_id, ioctl, deadline_ms, owner, cid);
	if (ret)
		return ret;
	memset(&req, 0, sizeof(req));
	req.io.device_id = io->device_id;
	req.io.file_id = RDPDR_FILE_ID;
	req.io.completion_id = *cid;
	req.io.major_function = IRP_MJ_DEVICE_CONTROL;
	req.output_len = out_len;
	req.input_len = (uint32_t)in->len;
	req.ioctl = ioctl;
	req.input = in->data;
	bb_init(&b);
	ret = BB_ENCODE(&b, w, rdpdr_encode_control_req(w, &req));
	if (ret) {
		log_err("rdpdr: cannot encode %s: %s", esc_ioctl_name(ioctl),
			rdp_strerror(ret));
		ct_abandon(&io->ct, *cid);
		bb_free(&b);
		return -ENOMEM;
	}
	log_debug("rdpdr: -> %s CompletionId %u (%zu bytes)",
		  esc_ioctl_name(ioctl), *cid, in->len);
	io->send(io->send_ctx, &b);
	bb_free(&b);
	return 0;
}

size_t rdpdr_io_abandon_owner(struct rdpdr_io *io, uint64_t owner)
{
	return ct_abandon_owner(&io->ct, owner);
}

int rdpdr_io_expire_one(struct rdpdr_io *io, uint64_t now, struct ct_entry *e)
{
	return ct_expire_one(&io->ct, now, e);
}

uint64_t rdpdr_io_next_deadline(const struct rdpdr_io *io)
{
	return ct_next_deadline(&io->ct);
}
