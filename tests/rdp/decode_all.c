// SPDX-License-Identifier: MIT
/* Run every decoder over one input, checking decode/encode consistency. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rdpcodec/rdpdr.h>
#include <rdpcodec/rdpesc.h>

#include "decode_all.h"

const uint32_t decode_all_ioctls[] = {
	SCARD_IOCTL_ESTABLISHCONTEXT, SCARD_IOCTL_RELEASECONTEXT, SCARD_IOCTL_ISVALIDCONTEXT,
	SCARD_IOCTL_LISTREADERGROUPSA, SCARD_IOCTL_LISTREADERGROUPSW, SCARD_IOCTL_LISTREADERSA,
	SCARD_IOCTL_LISTREADERSW, SCARD_IOCTL_LOCATECARDSA, SCARD_IOCTL_GETSTATUSCHANGEA,
	SCARD_IOCTL_GETSTATUSCHANGEW, SCARD_IOCTL_CANCEL, SCARD_IOCTL_CONNECTA, SCARD_IOCTL_CONNECTW,
	SCARD_IOCTL_RECONNECT, SCARD_IOCTL_DISCONNECT, SCARD_IOCTL_BEGINTRANSACTION,
	SCARD_IOCTL_ENDTRANSACTION, SCARD_IOCTL_STATE, SCARD_IOCTL_STATUSA, SCARD_IOCTL_STATUSW,
	SCARD_IOCTL_TRANSMIT, SCARD_IOCTL_CONTROL, SCARD_IOCTL_GETATTRIB, SCARD_IOCTL_SETATTRIB,
	SCARD_IOCTL_ACCESSSTARTEDEVENT, SCARD_IOCTL_GETTRANSMITCOUNT, SCARD_IOCTL_GETREADERICON,
	SCARD_IOCTL_GETDEVICETYPEID,
};
const size_t decode_all_nioctls = sizeof(decode_all_ioctls) / sizeof(decode_all_ioctls[0]);

static void die(const char *what, uint32_t ioctl, int err)
{
	fprintf(stderr, "decode_all: %s (ioctl 0x%08x): %d\n", what, ioctl, err);
	abort();
}

static uint8_t arena1[1 << 22], arena2[1 << 22], enc1[1 << 22], enc2[1 << 22];

/* Arena of the documented size, unless that exceeds the static buffer. */
static bool arena_for(struct rdp_arena *a, uint8_t *buf, size_t cap, size_t len)
{
	size_t want = RDP_ARENA_FOR(len);

	rdp_arena_init(a, buf, want < cap ? want : cap);
	return want < cap;
}

int decode_rdpesc(const uint8_t *buf, size_t len, uint32_t ioctl)
{
	struct rdp_arena a;
	struct rdp_wr w;
	int ok = 0, err;
	bool exact;
	size_t n1;

	if (rdpesc_call_kind(ioctl) != RDPESC_CALL_NONE) {
		union rdpesc_call c, c2;

		exact = arena_for(&a, arena1, sizeof(arena1), len);
		err = rdpesc_decode_call(buf, len, ioctl, &c, &a, 0);
		if (err == RDP_ERR_NOSPACE && exact)
			die("arena sizing for call", ioctl, err);
		if (!err) {
			ok++;
			rdp_wr_init(&w, enc1, sizeof(enc1));
			err = rdpesc_encode_call(&w, ioctl, &c);
			if (err)
				die("re-encode of a decoded call", ioctl, err);
			n1 = w.off;
			arena_for(&a, arena2, sizeof(arena2), n1);
			err = rdpesc_decode_call(enc1, n1, ioctl, &c2, &a, RDPESC_DECODE_CANONICAL);
			if (err)
				die("canonical decode of a re-encoded call", ioctl, err);
			rdp_wr_init(&w, enc2, sizeof(enc2));
			if (rdpesc_encode_call(&w, ioctl, &c2) || w.off != n1 || memcmp(enc1, enc2, n1))
				die("call round trip not stable", ioctl, 0);
		}
		arena_for(&a, arena1, sizeof(arena1), len);
		if (!rdpesc_decode_call(buf, len, ioctl, &c, &a, RDPESC_DECODE_CANONICAL))
			ok++;
	}
	if (rdpesc_return_kind(ioctl) != RDPESC_RET_NONE) {
		union rdpesc_return r, r2;

		exact = arena_for(&a, arena1, sizeof(arena1), len);
		err = rdpesc_decode_return(buf, len, ioctl, &r, &a, 0);
		if (err == RDP_ERR_NOSPACE && exact)
			die("arena sizing for return", ioctl, err);
		if (!err) {
			ok++;
			rdp_wr_init(&w, enc1, sizeof(enc1));
			err = rdpesc_encode_return(&w, ioctl, &r);
			if (err)
				die("re-encode of a decoded return", ioctl, err);
			n1 = w.off;
			arena_for(&a, arena2, sizeof(arena2), n1);
			err = rdpesc_decode_return(enc1, n1, ioctl, &r2, &a, RDPESC_DECODE_CANONICAL);
			if (err)
				die("canonical decode of a re-encoded return", ioctl, err);
			if (r2.rc != r.rc)
				die("return code changed", ioctl, 0);
		}
		if (ioctl == SCARD_IOCTL_ESTABLISHCONTEXT) {
			struct rdpesc_context ctx;

			/* a context that decodes is salvaged as the same bytes */
			if (!rdpesc_salvage_context(buf, len, &ctx))
				ok++;
			else
				ctx.cb = 0;
			if (!err && r.rc == 0 && r.establish.ctx.cb &&
			    (ctx.cb != r.establish.ctx.cb ||
			     memcmp(ctx.v, r.establish.ctx.v, ctx.cb)))
				die("salvaged context differs from the decoded one", ioctl, 0);
		}
		if (ioctl == SCARD_IOCTL_CONNECTW) {
			struct rdpesc_handle h;

			/* a handle that decodes is salvaged as the same bytes */
			if (!rdpesc_salvage_handle(buf, len, &h))
				ok++;
			else
				h.cb = 0;
			if (!err && r.rc == 0 && r.connect.h.cb &&
			    (h.cb != r.connect.h.cb || memcmp(h.v, r.connect.h.v, h.cb) ||
			     h.ctx.cb != r.connect.h.ctx.cb ||
			     memcmp(h.ctx.v, r.connect.h.ctx.v, h.ctx.cb)))
				die("salvaged handle differs from the decoded one", ioctl, 0);
		}
	}
	return ok;
}

int decode_rdpdr(const uint8_t *buf, size_t len)
{
	struct rdpdr_hdr h;
	struct rdpdr_announce an;
	struct rdpdr_client_name cn;
	struct rdpdr_caps caps;
	struct rdpdr_device_iter it;
	struct rdpdr_device dev;
	struct rdpdr_device_remove rm;
	struct rdpdr_device_reply rep;
	struct rdpdr_ioreq io;
	struct rdpdr_control_req q;
	struct rdpdr_iocompletion c;
	struct rdpdr_control_rsp s;
	int ok = 0;

	ok += !rdpdr_decode_hdr(buf, len, &h);
	ok += !rdpdr_decode_server_announce(buf, len, &an);
	ok += !rdpdr_decode_client_announce_reply(buf, len, &an);
	ok += !rdpdr_decode_clientid_confirm(buf, len, &an);
	if (!rdpdr_decode_client_name(buf, len, &cn)) {
		ok++;
		if (strlen(cn.name) >= sizeof(cn.name))
			abort();
	}
	ok += !rdpdr_decode_server_caps(buf, len, &caps);
	ok += !rdpdr_decode_client_caps(buf, len, &caps);
	ok += !rdpdr_decode_user_loggedon(buf, len);
	if (!rdpdr_device_list_begin(&it, buf, len)) {
		uint32_t n = 0;

		ok++;
		while (rdpdr_device_list_next(&it, &dev) == 1) {
			if (dev.data_len && !dev.data)
				abort();
			n++;
		}
		if (n != it.count)
			abort();
	}
	if (!rdpdr_decode_device_list_remove(buf, len, &rm)) {
		ok++;
		for (uint32_t i = 0; i < rm.count; i++)
			(void)rdpdr_device_remove_id(&rm, i);
	}
	ok += !rdpdr_decode_device_reply(buf, len, &rep);
	ok += !rdpdr_decode_ioreq(buf, len, &io);
	if (!rdpdr_decode_control_req(buf, len, &q)) {
		ok++;
		if (q.input_len > len)
			abort();
		ok += decode_rdpesc(q.input, q.input_len, q.ioctl) > 0;
	}
	ok += !rdpdr_decode_iocompletion(buf, len, &c);
	if (!rdpdr_decode_control_rsp(buf, len, &s)) {
		ok++;
		if (s.output_len > len)
			abort();
	}
	return ok;
}

int decode_all(const uint8_t *buf, size_t len)
{
	int ok = decode_rdpdr(buf, len);

	for (size_t i = 0; i < decode_all_nioctls; i++)
		ok += decode_rdpesc(buf, len, decode_all_ioctls[i]);
	return ok;
}
