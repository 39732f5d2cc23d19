// SPDX-License-Identifier: MIT
/*
 * Every vector in shared/data/rdpesc-vectors: server-direction vectors are
 * reproduced byte for byte by the encoders from their logical fields;
 * client-direction vectors decode to the fields in their headers.  A
 * vector without a case here, or a case without its vector, fails.
 */
#include <stdio.h>
#include <stdlib.h>

#include "common.h"
#include "vec.h"

static uint8_t out[1 << 16];
static uint8_t arena_buf[1 << 16];

static bool starts_with(const char *s, const char *prefix)
{
	return s && !strncmp(s, prefix, strlen(prefix));
}

/* A call vector: encode from fields, compare; decode canonically. */
static void check_call(const struct vec *v, uint32_t ioctl, const union rdpesc_call *c)
{
	const char *scope = vec_get(v, "scope");
	const uint8_t *input = v->data;
	size_t input_len = v->len;
	struct rdp_arena a;
	union rdpesc_call d;
	struct rdp_wr w;

	assert_non_null(scope);
	assert_int_equal(vec_num(v, "IoControlCode"), ioctl);
	if (starts_with(scope, "DR_CONTROL_REQ:") || starts_with(scope, "DR_CONTROL_REQ from offset 24")) {
		bool frag = starts_with(scope, "DR_CONTROL_REQ from");
		struct rdpdr_ioreq io = { 0 };
		struct rdpdr_control_req q;
		size_t skip = frag ? 24 : 0;

		if (!frag) {
			io.device_id = (uint32_t)vec_num(v, "DeviceId");
			io.file_id = (uint32_t)vec_num(v, "FileId");
			io.completion_id = (uint32_t)vec_num(v, "CompletionId");
			io.minor_function = (uint32_t)vec_num(v, "MinorFunction");
			assert_int_equal(vec_num(v, "MajorFunction"), IRP_MJ_DEVICE_CONTROL);
		}
		rdp_wr_init(&w, out, sizeof(out));
		assert_int_equal(rdpesc_encode_request(&w, &io,
						       (uint32_t)vec_num(v, "OutputBufferLength"),
						       ioctl, c), 0);
		assert_true(w.off >= skip);
		assert_bytes(out + skip, w.off - skip, v->data, v->len);
		if (frag) {
			assert_int_equal(rdpdr_decode_control_req(out, w.off, &q), 0);
		} else {
			assert_int_equal(rdpdr_decode_control_req(v->data, v->len, &q), 0);
			assert_int_equal(q.io.device_id, io.device_id);
			assert_int_equal(q.io.file_id, io.file_id);
			assert_int_equal(q.io.completion_id, io.completion_id);
		}
		assert_int_equal(q.ioctl, ioctl);
		assert_int_equal(q.output_len, vec_num(v, "OutputBufferLength"));
		assert_int_equal(q.input_len, vec_num(v, "InputBufferLength"));
		input = q.input;
		input_len = q.input_len;
		if (frag) {	/* the bytes of the fragment, not our encoding */
			input = v->data + 32;
			input_len = v->len - 32;
		}
	} else {
		assert_true(starts_with(scope, "RDPESC"));
		assert_bytes(out, enc_call(ioctl, c, out, sizeof(out)), v->data, v->len);
	}
	if (vec_num(v, "ObjectBufferLength") >= 0)
		assert_int_equal(vec_num(v, "ObjectBufferLength") + 16, input_len);
	rdp_arena_init(&a, arena_buf, sizeof(arena_buf));
	assert_int_equal(rdpesc_decode_call(input, input_len, ioctl, &d, &a,
					    RDPESC_DECODE_CANONICAL), 0);
}

/* A return vector: decode, compare with expected, re-encode. */
static void check_ret(const struct vec *v, uint32_t ioctl, const union rdpesc_return *want,
		      union rdpesc_return *got)
{
	const char *scope = vec_get(v, "scope");
	const uint8_t *buf = v->data;
	size_t len = v->len;
	size_t n1, n2;
	uint8_t again[4096];
	struct rdp_arena a;

	if (starts_with(scope, "DR_CONTROL_RSP")) {
		struct rdpdr_control_rsp s;

		assert_int_equal(rdpdr_decode_control_rsp(v->data, v->len, &s), 0);
		assert_int_equal(s.c.device_id, vec_num(v, "DeviceId"));
		assert_int_equal(s.c.completion_id, vec_num(v, "CompletionId"));
		assert_int_equal(s.c.io_status, vec_num(v, "IoStatus"));
		assert_int_equal(s.output_len, vec_num(v, "OutputBufferLength"));
		buf = s.output;
		len = s.output_len;
	} else {
		assert_true(starts_with(scope, "RDPESC"));
		assert_string_equal(vec_get(v, "structure"), "return");
	}
	assert_int_equal(vec_num(v, "ObjectBufferLength") + 16, len);
	rdp_arena_init(&a, arena_buf, sizeof(arena_buf));
	assert_int_equal(rdpesc_decode_return(buf, len, ioctl, got, &a, 0), 0);
	assert_int_equal(got->rc, want->rc);
	assert_int_equal(got->rc, vec_num(v, "field.ReturnCode"));
	/* every decoded field equals the expected one: same canonical bytes */
	n1 = enc_ret(ioctl, want, out, sizeof(out));
	n2 = enc_ret(ioctl, got, again, sizeof(again));
	assert_bytes(again, n2, out, n1);
	assert_bytes(out, n1, buf, len);
	rdp_arena_init(&a, arena_buf, sizeof(arena_buf));
	assert_int_equal(rdpesc_decode_return(buf, len, ioctl, got, &a,
					      RDPESC_DECODE_CANONICAL), 0);
}

/*
 * A return as a real client sends it in a non-canonical shape (rdesktop:
 * ObjectBufferLength 8 bytes short of the body, extra zero bytes after it):
 * decodes to the fields of the canonical encoding of @want, is not that
 * encoding, and cut at ObjectBufferLength (where the decoder used to end the
 * body) no longer holds its fields, so that fails cleanly.
 */
static void check_ret_noncanonical(const struct vec *v, uint32_t ioctl,
				   const union rdpesc_return *want, union rdpesc_return *got)
{
	const char *scope = vec_get(v, "scope");
	const uint8_t *buf = v->data;
	size_t len = v->len, obl, n1, n2;
	uint8_t again[4096], *cut;
	struct rdp_arena a;

	if (starts_with(scope, "DR_CONTROL_RSP")) {
		struct rdpdr_control_rsp s;

		assert_int_equal(rdpdr_decode_control_rsp(v->data, v->len, &s), 0);
		assert_int_equal(s.c.device_id, vec_num(v, "DeviceId"));
		assert_int_equal(s.c.completion_id, vec_num(v, "CompletionId"));
		assert_int_equal(s.c.io_status, vec_num(v, "IoStatus"));
		buf = s.output;
		len = s.output_len;
	} else {
		assert_true(starts_with(scope, "RDPESC"));
		assert_string_equal(vec_get(v, "structure"), "return");
	}
	assert_int_equal(vec_num(v, "OutputBufferLength"), len);
	obl = (size_t)vec_num(v, "ObjectBufferLength");
	assert_true(16 + obl < len);
	rdp_arena_init(&a, arena_buf, sizeof(arena_buf));
	assert_int_equal(rdpesc_decode_return(buf, len, ioctl, got, &a, 0), 0);
	assert_int_equal(got->rc, want->rc);
	assert_int_equal(got->rc, vec_num(v, "field.ReturnCode"));
	n1 = enc_ret(ioctl, want, out, sizeof(out));
	n2 = enc_ret(ioctl, got, again, sizeof(again));
	assert_bytes(again, n2, out, n1);
	rdp_arena_init(&a, arena_buf, sizeof(arena_buf));
	assert_int_equal(rdpesc_decode_return(buf, len, ioctl, &(union rdpesc_return){ 0 }, &a,
					      RDPESC_DECODE_CANONICAL), RDP_ERR_MISMATCH);
	cut = malloc(16 + obl);		/* exact size: ASan sees any overread */
	assert_non_null(cut);
	memcpy(cut, buf, 16 + obl);
	rdp_arena_init(&a, arena_buf, sizeof(arena_buf));
	assert_int_equal(rdpesc_decode_return(cut, 16 + obl, ioctl, &(union rdpesc_return){ 0 },
					      &a, 0), RDP_ERR_TRUNCATED);
	free(cut);
}

/* ---- RDPESC calls ---- */

#define CALL_CASE(fn, ioctl_, ...)					\
	static void fn(const struct vec *v)				\
	{								\
		union rdpesc_call c = { __VA_ARGS__ };			\
		check_call(v, ioctl_, &c);				\
	}

CALL_CASE(v_ws_establish_1, SCARD_IOCTL_ESTABLISHCONTEXT, .establish = { .scope = SCARD_SCOPE_SYSTEM })
CALL_CASE(v_ws_establish_2, SCARD_IOCTL_ESTABLISHCONTEXT, .establish = { .scope = SCARD_SCOPE_USER })
CALL_CASE(v_der_establish, SCARD_IOCTL_ESTABLISHCONTEXT, .establish = { .scope = SCARD_SCOPE_SYSTEM })
CALL_CASE(v_der_dr_establish, SCARD_IOCTL_ESTABLISHCONTEXT, .establish = { .scope = SCARD_SCOPE_SYSTEM })
CALL_CASE(v_ws_release, SCARD_IOCTL_RELEASECONTEXT, .context = { .ctx = INT_CTX(2) })
CALL_CASE(v_der_release, SCARD_IOCTL_RELEASECONTEXT, .context = { .ctx = SPEC_CTX })
CALL_CASE(v_der_cancel, SCARD_IOCTL_CANCEL, .context = { .ctx = SPEC_CTX })
CALL_CASE(v_ws_listreadersw, SCARD_IOCTL_LISTREADERSW, .list_readers = {
	.ctx = INT_CTX(1), .groups = { "SCard$AllReaders\0", 18 },
	.readers_is_null = 0, .cch_readers = SCARD_AUTOALLOCATE })
CALL_CASE(v_ws_listreadersa, SCARD_IOCTL_LISTREADERSA, .list_readers = {
	.ctx = INT_CTX(2), .cch_readers = 0x400 })
CALL_CASE(v_der_listreadersw, SCARD_IOCTL_LISTREADERSW, .list_readers = {
	.ctx = SPEC_CTX, .groups = { "SCard$DefaultReaders\0", 22 },
	.cch_readers = SCARD_AUTOALLOCATE })
CALL_CASE(v_ws_gsc, SCARD_IOCTL_GETSTATUSCHANGEW, .gsc = {
	.ctx = INT_CTX(1), .timeout = SCARD_INFINITE, .n = 2, .states = {
		{ .reader = SCARD_PNP_NOTIFICATION, .current_state = 0x00010000 },
		{ .reader = "Gemplus GemPC Twin 00 00", .current_state = SCARD_STATE_EMPTY } } })
CALL_CASE(v_der_gsc, SCARD_IOCTL_GETSTATUSCHANGEW, .gsc = {
	.ctx = SPEC_CTX, .timeout = 0, .n = 1, .states = {
		{ .reader = "Gemplus USB Smart Card Reader 0" } } })
CALL_CASE(v_ws_connectw, SCARD_IOCTL_CONNECTW, .connect = {
	.reader = "Gemplus GemPC Twin 00 00", .ctx = INT_CTX(1),
	.share_mode = SCARD_SHARE_SHARED, .preferred_protocols = SCARD_PROTOCOL_Tx })
CALL_CASE(v_der_connectw, SCARD_IOCTL_CONNECTW, .connect = {
	.reader = "Gemplus USB Smart Card Reader 0", .ctx = SPEC_CTX,
	.share_mode = SCARD_SHARE_SHARED, .preferred_protocols = SCARD_PROTOCOL_Tx })
CALL_CASE(v_ws_begin, SCARD_IOCTL_BEGINTRANSACTION, .hcard = { .h = INT_HANDLE(2, 10) })
CALL_CASE(v_der_begin, SCARD_IOCTL_BEGINTRANSACTION, .hcard = { .h = SPEC_HANDLE })
CALL_CASE(v_ws_end, SCARD_IOCTL_ENDTRANSACTION, .hcard = { .h = INT_HANDLE(9, 10) })
CALL_CASE(v_der_end, SCARD_IOCTL_ENDTRANSACTION, .hcard = { .h = SPEC_HANDLE, .disposition = SCARD_LEAVE_CARD })
CALL_CASE(v_ws_disconnect_1, SCARD_IOCTL_DISCONNECT, .hcard = { .h = INT_HANDLE(3, 4) })
CALL_CASE(v_ws_disconnect_2, SCARD_IOCTL_DISCONNECT, .hcard = { .h = INT_HANDLE(4, 5) })
CALL_CASE(v_der_disconnect, SCARD_IOCTL_DISCONNECT, .hcard = { .h = SPEC_HANDLE, .disposition = SCARD_RESET_CARD })
CALL_CASE(v_ws_statusw, SCARD_IOCTL_STATUSW, .status = {
	.h = INT_HANDLE(5, 6), .cch_reader_len = SCARD_AUTOALLOCATE, .cb_atr_len = 0x20 })
CALL_CASE(v_ws_statusa, SCARD_IOCTL_STATUSA, .status = {
	.h = INT_HANDLE(7, 9), .reader_names_is_null = 1, .cb_atr_len = 0x40 })
CALL_CASE(v_der_statusw, SCARD_IOCTL_STATUSW, .status = {
	.h = SPEC_HANDLE, .cch_reader_len = SCARD_AUTOALLOCATE, .cb_atr_len = 36 })
CALL_CASE(v_ws_control_12, SCARD_IOCTL_CONTROL, .control = {
	.h = INT_HANDLE(5, 6), .control_code = CM_IOCTL_GET_FEATURE_REQUEST_WIN,
	.cb_out_buffer_size = 200 })
CALL_CASE(v_ws_control_3, SCARD_IOCTL_CONTROL, .control = {
	.h = INT_HANDLE(7, 11), .control_code = CM_IOCTL_GET_FEATURE_REQUEST_WIN,
	.cb_out_buffer_size = 0x102 })
CALL_CASE(v_der_getattrib, SCARD_IOCTL_GETATTRIB, .get_attrib = {
	.h = SPEC_HANDLE, .attr_id = SCARD_ATTR_ATR_STRING, .cb_attr_len = 36 })
CALL_CASE(v_access_started, SCARD_IOCTL_ACCESSSTARTEDEVENT, .access_started = {
	.raw = { 0x28, 0xb7, 0x9d, 0x02 } })

#define TRANSMIT_T0(fn, ...)						\
	static void fn(const struct vec *v)				\
	{								\
		static const uint8_t apdu[] = { __VA_ARGS__ };		\
		union rdpesc_call c = { .transmit = {			\
			.h = INT_HANDLE(5, 11),				\
			.send_pci = { .protocol = SCARD_PROTOCOL_T0 },	\
			.cb_send = sizeof(apdu), .send = apdu,		\
			.has_recv_pci = true,				\
			.recv_pci = { .protocol = SCARD_PROTOCOL_T0 },	\
			.cb_recv_length = 0x102 } };			\
		check_call(v, SCARD_IOCTL_TRANSMIT, &c);		\
	}

TRANSMIT_T0(v_ws_transmit_1, 0x00, 0xa4, 0x02, 0x0c, 0x02, 0xef, 0x0f)
TRANSMIT_T0(v_ws_transmit_2, 0x00, 0xb0, 0x07, 0x5b, 0x10)
TRANSMIT_T0(v_ws_transmit_3, 0x00, 0xa4, 0x02, 0x0c, 0x02, 0xef, 0x10)
TRANSMIT_T0(v_ws_transmit_4, 0x00, 0xb0, 0x07, 0x04, 0x10)

static void v_der_transmit(const struct vec *v)
{
	static const uint8_t apdu[] = { 0x00, 0xa4, 0x04, 0x00, 0x00 };
	union rdpesc_call c = { .transmit = {
		.h = SPEC_HANDLE, .send_pci = { .protocol = SCARD_PROTOCOL_T1 },
		.cb_send = sizeof(apdu), .send = apdu, .cb_recv_length = 0x102 } };

	check_call(v, SCARD_IOCTL_TRANSMIT, &c);
}

/* ---- RDPESC returns ---- */

static const uint8_t spec_atr[] = { 0x3b, 0x16, 0x94, 0x41, 0x73, 0x74, 0x72, 0x69, 0x64 };

static void v_der_long_return(const struct vec *v)
{
	static const uint32_t ioctls[] = { SCARD_IOCTL_BEGINTRANSACTION, SCARD_IOCTL_ENDTRANSACTION,
		SCARD_IOCTL_DISCONNECT, SCARD_IOCTL_RELEASECONTEXT };
	union rdpesc_return want = { .lng = { .rc = 0 } }, got;

	for (size_t i = 0; i < sizeof(ioctls) / sizeof(ioctls[0]); i++)
		check_ret(v, ioctls[i], &want, &got);
}

static void v_der_establish_ret(const struct vec *v)
{
	union rdpesc_return want = { .establish = { .ctx = SPEC_CTX } }, got;

	check_ret(v, SCARD_IOCTL_ESTABLISHCONTEXT, &want, &got);
	assert_int_equal(got.establish.ctx.cb, 4);
	assert_memory_equal(got.establish.ctx.v, "\x00\x00\x01\xcd", 4);
}

static void v_der_listreaders_ret(const struct vec *v)
{
	union rdpesc_return want = { .list_readers = {
		.readers = { "Gemplus USB Smart Card Reader 0\0", 33 } } }, got;
	size_t pos = 0;

	check_ret(v, SCARD_IOCTL_LISTREADERSW, &want, &got);
	assert_int_equal(got.list_readers.cbytes, 0x42);
	assert_string_equal(rdp_msz_next(&got.list_readers.readers, &pos),
			    "Gemplus USB Smart Card Reader 0");
	assert_null(rdp_msz_next(&got.list_readers.readers, &pos));
}

static void v_der_gsc_ret(const struct vec *v)
{
	union rdpesc_return want = { .gsc = { .n = 1, .states = { {
		.event_state = 0x122, .cb_atr = 9,
		.atr = { 0x3b, 0x16, 0x94, 0x41, 0x73, 0x74, 0x72, 0x69, 0x64 } } } } }, got;

	check_ret(v, SCARD_IOCTL_GETSTATUSCHANGEW, &want, &got);
	assert_int_equal(got.gsc.n, 1);
	assert_int_equal(got.gsc.states[0].event_state,
			 SCARD_STATE_CHANGED | SCARD_STATE_PRESENT | SCARD_STATE_INUSE);
	assert_memory_equal(got.gsc.states[0].atr, spec_atr, sizeof(spec_atr));
}

static void v_der_gsc_cancelled(const struct vec *v)
{
	union rdpesc_return want = { .gsc = { .rc = SCARD_E_CANCELLED } }, got;

	check_ret(v, SCARD_IOCTL_GETSTATUSCHANGEW, &want, &got);
	assert_int_equal(got.gsc.n, 0);
}

static void v_der_connect_ret(const struct vec *v)
{
	union rdpesc_return want = { .connect = { .h = SPEC_HANDLE,
		.active_protocol = SCARD_PROTOCOL_T0 } }, got;

	check_ret(v, SCARD_IOCTL_CONNECTW, &want, &got);
	assert_memory_equal(got.connect.h.v, "\x00\x00\x01\xea", 4);
	assert_int_equal(got.connect.active_protocol, 1);
}

static void v_der_status_ret(const struct vec *v)
{
	union rdpesc_return want = { .status = {
		.reader_names = { "Gemplus USB Smart Card Reader 0\0", 33 },
		.state = SCARD_SPECIFICMODE, .protocol = SCARD_PROTOCOL_T0,
		.atr = { 0x3b, 0x16, 0x94, 0x41, 0x73, 0x74, 0x72, 0x69, 0x64 },
		.cb_atr = 9 } }, got;

	check_ret(v, SCARD_IOCTL_STATUSW, &want, &got);
	assert_int_equal(got.status.cbytes, 0x42);
	assert_string_equal(got.status.reader_names.p, "Gemplus USB Smart Card Reader 0");
	assert_int_equal(scard_state_normalize(got.status.state), SCARD_SPECIFICMODE);
}

static void v_der_transmit_ret(const struct vec *v)
{
	static const uint8_t sw[] = { 0x90, 0x00 };
	union rdpesc_return want = { .transmit = { .cb_recv = 2, .recv = sw } }, got;

	check_ret(v, SCARD_IOCTL_TRANSMIT, &want, &got);
	assert_false(got.transmit.has_recv_pci);
	assert_int_equal(got.transmit.cb_recv, 2);
	assert_memory_equal(got.transmit.recv, sw, 2);
}

static void v_der_dr_establish_rsp(const struct vec *v)
{
	union rdpesc_return want = { .establish = { .ctx = SPEC_CTX } }, got;

	check_ret(v, SCARD_IOCTL_ESTABLISHCONTEXT, &want, &got);
}

/* rdesktop 1.9.0's replies: context 1, written as its own referent too */
static void v_rd_establish_rsp(const struct vec *v)
{
	union rdpesc_return want = { .establish = { .ctx = INT_CTX(1) } }, got;
	struct rdpesc_context ctx;

	check_ret_noncanonical(v, SCARD_IOCTL_ESTABLISHCONTEXT, &want, &got);
	assert_int_equal(got.establish.ctx.cb, 4);
	assert_memory_equal(got.establish.ctx.v, "\x01\x00\x00\x00", 4);
	/* the salvage path finds the same context (OutputBuffer after 20 bytes) */
	assert_int_equal(rdpesc_salvage_context(v->data + 20, v->len - 20, &ctx), 0);
	assert_int_equal(ctx.cb, 4);
	assert_memory_equal(ctx.v, "\x01\x00\x00\x00", 4);
}

static void v_rd_listreaders_ret(const struct vec *v)
{
	union rdpesc_return want = { .list_readers = {
		.readers = { "Virtual PCD 00 00\0", 19 } } }, got;
	size_t pos = 0;

	check_ret_noncanonical(v, SCARD_IOCTL_LISTREADERSW, &want, &got);
	assert_int_equal(got.list_readers.cbytes, 38);
	assert_string_equal(rdp_msz_next(&got.list_readers.readers, &pos), "Virtual PCD 00 00");
	assert_null(rdp_msz_next(&got.list_readers.readers, &pos));
}

static void v_rd_gsc_ret(const struct vec *v)
{
	union rdpesc_return want = { .gsc = { .n = 2, .states = {
		{ .current_state = 0x00010001, .event_state = SCARD_STATE_IGNORE },
		{ .event_state = 0x00010022, .cb_atr = 9,
		  .atr = { 0x3b, 0x16, 0x94, 0x41, 0x73, 0x74, 0x72, 0x69, 0x64 } } } } }, got;

	check_ret_noncanonical(v, SCARD_IOCTL_GETSTATUSCHANGEW, &want, &got);
	assert_int_equal(got.gsc.n, 2);
	assert_int_equal(got.gsc.states[1].event_state,
			 0x00010000 | SCARD_STATE_PRESENT | SCARD_STATE_CHANGED);
	assert_memory_equal(got.gsc.states[1].atr, spec_atr, sizeof(spec_atr));
}

/* rdesktop 1.9.0: the handle alone, its context left empty (0, NULL) */
static void v_rd_connect_ret(const struct vec *v)
{
	union rdpesc_return want = { .connect = {
		.h = { .cb = 4, .v = { 3 } }, .active_protocol = SCARD_PROTOCOL_T1 } }, got;
	struct rdpesc_handle h;

	check_ret_noncanonical(v, SCARD_IOCTL_CONNECTW, &want, &got);
	assert_int_equal(got.connect.h.ctx.cb, 0);
	assert_int_equal(got.connect.h.cb, 4);
	assert_memory_equal(got.connect.h.v, "\x03\0\0\0", 4);
	/* salvaged with the same handle and no context */
	assert_int_equal(rdpesc_salvage_handle(v->data, v->len, &h), 0);
	assert_int_equal(h.cb, 4);
	assert_memory_equal(h.v, "\x03\0\0\0", 4);
	assert_int_equal(h.ctx.cb, 0);
}

static void v_rd_transmit_ret(const struct vec *v)
{
	union rdpesc_return want = { .transmit = {
		.cb_recv = 2, .recv = (const uint8_t *)"\x90\x00" } }, got;

	check_ret_noncanonical(v, SCARD_IOCTL_TRANSMIT, &want, &got);
	assert_false(got.transmit.has_recv_pci);
	assert_int_equal(got.transmit.cb_recv, 2);
	assert_memory_equal(got.transmit.recv, "\x90\x00", 2);
}

static void v_rd_statusw_ret(const struct vec *v)
{
	union rdpesc_return want = { .status = {
		.reader_names = { "Virtual PCD 00 00\0", 19 }, .state = 6,
		.protocol = SCARD_PROTOCOL_T1, .cb_atr = sizeof(spec_atr) } }, got;
	size_t pos = 0;

	memcpy(want.status.atr, spec_atr, sizeof(spec_atr));
	check_ret_noncanonical(v, SCARD_IOCTL_STATUSW, &want, &got);
	assert_int_equal(got.status.cbytes, 38);
	assert_string_equal(rdp_msz_next(&got.status.reader_names, &pos), "Virtual PCD 00 00");
	assert_null(rdp_msz_next(&got.status.reader_names, &pos));
	assert_int_equal(got.status.cb_atr, sizeof(spec_atr));
	assert_memory_equal(got.status.atr, spec_atr, sizeof(spec_atr));
}

static const uint8_t rd_features[] = {
	0x06, 0x04, 0x42, 0x33, 0x00, 0x06, 0x12, 0x04, 0x42, 0x33, 0x00, 0x12 };

static void v_rd_control_ret(const struct vec *v)
{
	union rdpesc_return want = { .buffer = {
		.cb = sizeof(rd_features), .data = rd_features } }, got;

	check_ret_noncanonical(v, SCARD_IOCTL_CONTROL, &want, &got);
	assert_int_equal(got.buffer.cb, sizeof(rd_features));
	assert_memory_equal(got.buffer.data, rd_features, sizeof(rd_features));
}

/* the 4 zero bytes rdesktop writes after the array are ignored */
static void v_rd_getattrib_ret(const struct vec *v)
{
	union rdpesc_return want = { .buffer = {
		.cb = sizeof(spec_atr), .data = spec_atr } }, got;

	check_ret_noncanonical(v, SCARD_IOCTL_GETATTRIB, &want, &got);
	assert_int_equal(got.buffer.cb, sizeof(spec_atr));
	assert_memory_equal(got.buffer.data, spec_atr, sizeof(spec_atr));
}

static void v_rd_state_ret(const struct vec *v)
{
	union rdpesc_return want = { .state = {
		.state = 6, .protocol = SCARD_PROTOCOL_T1, .cb_atr = sizeof(spec_atr),
		.atr = spec_atr } }, got;

	check_ret_noncanonical(v, SCARD_IOCTL_STATE, &want, &got);
	assert_int_equal(got.state.cb_atr, sizeof(spec_atr));
	assert_memory_equal(got.state.atr, spec_atr, sizeof(spec_atr));
}

/* ---- RDPDR core ---- */

static void check_encoded(const struct vec *v, struct rdp_wr *w, int rc)
{
	assert_int_equal(rc, 0);
	assert_bytes(out, w->off, v->data, v->len);
}

static void v_efs_announce(const struct vec *v)
{
	struct rdpdr_announce a = { 1, 0x000C, 1 }, d;
	struct rdp_wr w;

	rdp_wr_init(&w, out, sizeof(out));
	check_encoded(v, &w, rdpdr_encode_server_announce(&w, &a));
	assert_int_equal(rdpdr_decode_server_announce(v->data, v->len, &d), 0);
	assert_int_equal(d.client_id, 1);
	assert_int_equal(rdpdr_decode_client_announce_reply(v->data, v->len, &d), RDP_ERR_MALFORMED);
}

static void v_efs_announce_reply(const struct vec *v)
{
	struct rdpdr_announce a = { 1, 0x000C, 1 }, d;
	struct rdp_wr w;

	assert_int_equal(rdpdr_decode_client_announce_reply(v->data, v->len, &d), 0);
	assert_int_equal(d.version_major, vec_num(v, "field.VersionMajor"));
	assert_int_equal(d.version_minor, vec_num(v, "field.VersionMinor"));
	assert_int_equal(d.client_id, vec_num(v, "field.ClientId"));
	rdp_wr_init(&w, out, sizeof(out));
	check_encoded(v, &w, rdpdr_encode_client_announce_reply(&w, &a));
}

static void v_efs_clientid_confirm(const struct vec *v)
{
	struct rdpdr_announce a = { 1, 0x000C, 1 };
	struct rdp_wr w;

	rdp_wr_init(&w, out, sizeof(out));
	check_encoded(v, &w, rdpdr_encode_clientid_confirm(&w, &a));
}

static void v_efs_client_name(const struct vec *v)
{
	struct rdpdr_client_name n;
	struct rdp_wr w;

	assert_int_equal(rdpdr_decode_client_name(v->data, v->len, &n), 0);
	assert_int_equal(n.unicode_flag, 1);
	assert_int_equal(n.code_page, 0);
	assert_int_equal(n.raw_len, vec_num(v, "field.ComputerNameLen"));
	assert_string_equal(n.name, "TSDEV-SELFHOST");
	rdp_wr_init(&w, out, sizeof(out));
	check_encoded(v, &w, rdpdr_encode_client_name(&w, &n));
}

static void v_efs_user_loggedon(const struct vec *v)
{
	struct rdp_wr w;

	rdp_wr_init(&w, out, sizeof(out));
	check_encoded(v, &w, rdpdr_encode_user_loggedon(&w));
	assert_int_equal(rdpdr_decode_user_loggedon(v->data, v->len), 0);
}

static void v_efs_device_reply(const struct vec *v)
{
	struct rdpdr_device_reply r = { .device_id = 1, .result_code = 0 }, d;
	struct rdp_wr w;

	rdp_wr_init(&w, out, sizeof(out));
	check_encoded(v, &w, rdpdr_encode_device_reply(&w, &r));
	assert_int_equal(rdpdr_decode_device_reply(v->data, v->len, &d), 0);
	assert_int_equal(d.device_id, 1);
}

static void caps_full(struct rdpdr_caps *c, uint32_t os_version, uint32_t drive_version)
{
	rdpdr_caps_server_default(c);
	c->present = 0x3E;	/* types 1..5 */
	c->general.os_type = 2;
	c->general.os_version = os_version;
	c->general.special_type_device_cap = 2;
	c->version[RDPDR_CAP_PRINTER] = 1;
	c->version[RDPDR_CAP_PORT] = 1;
	c->version[RDPDR_CAP_DRIVE] = drive_version;
}

static void v_efs_server_caps(const struct vec *v)
{
	struct rdpdr_caps c, d;
	struct rdp_wr w;

	caps_full(&c, 0, 2);
	rdp_wr_init(&w, out, sizeof(out));
	check_encoded(v, &w, rdpdr_encode_server_caps(&w, &c));
	assert_int_equal(rdpdr_decode_server_caps(v->data, v->len, &d), 0);
	assert_int_equal(d.num_capabilities, 5);
	assert_int_equal(d.present, 0x3E);
	assert_int_equal(d.version[RDPDR_CAP_DRIVE], 2);
	assert_int_equal(d.general.extended_pdu, 7);
}

static void v_efs_client_caps(const struct vec *v)
{
	struct rdpdr_caps c, d;
	struct rdp_wr w;

	assert_int_equal(rdpdr_decode_client_caps(v->data, v->len, &d), 0);
	assert_int_equal(d.num_capabilities, 5);
	assert_int_equal(d.present, 0x3E);
	assert_int_equal(d.general.version, 2);
	assert_int_equal(d.general.os_type, 2);
	assert_int_equal(d.general.os_version, 0x00060000);
	assert_int_equal(d.general.protocol_minor, 0x000C);
	assert_int_equal(d.general.io_code1, 0xFFFF);
	assert_int_equal(d.general.extended_pdu, 7);
	assert_int_equal(d.general.special_type_device_cap, 0);
	assert_int_equal(d.version[RDPDR_CAP_DRIVE], 1);
	assert_int_equal(d.version[RDPDR_CAP_SMARTCARD], 1);
	caps_full(&c, 0x00060000, 1);
	c.general.special_type_device_cap = 0;
	rdp_wr_init(&w, out, sizeof(out));
	check_encoded(v, &w, rdpdr_encode_client_caps(&w, &c));
}

static void v_der_min_caps(const struct vec *v)
{
	struct rdpdr_caps c, d;
	struct rdp_wr w;

	rdpdr_caps_server_default(&c);
	c.general.os_type = 2;	/* the vector mirrors Windows' osType */
	rdp_wr_init(&w, out, sizeof(out));
	check_encoded(v, &w, rdpdr_encode_server_caps(&w, &c));
	assert_int_equal(rdpdr_decode_server_caps(v->data, v->len, &d), 0);
	assert_int_equal(d.num_capabilities, vec_num(v, "field.numCapabilities"));
	assert_true(RDPDR_CAPS_HAS(&d, RDPDR_CAP_SMARTCARD));
	assert_int_equal(d.general.special_type_device_cap, 1);
}

static void v_efs_device_list(const struct vec *v)
{
	static const struct rdpdr_device want[3] = {
		{ RDPDR_DTYP_FILESYSTEM, 3, "E:", 0, NULL },
		{ RDPDR_DTYP_FILESYSTEM, 2, "D:", 0, NULL },
		{ RDPDR_DTYP_FILESYSTEM, 1, "C:", 0, NULL },
	};
	struct rdpdr_device_iter it;
	struct rdpdr_device d;
	struct rdp_wr w;
	uint32_t i = 0;

	assert_int_equal(rdpdr_device_list_begin(&it, v->data, v->len), 0);
	assert_int_equal(it.count, vec_num(v, "field.DeviceCount"));
	while (rdpdr_device_list_next(&it, &d) == 1) {
		assert_true(i < 3);
		assert_int_equal(d.device_type, want[i].device_type);
		assert_int_equal(d.device_id, want[i].device_id);
		assert_string_equal(d.dos_name, want[i].dos_name);
		assert_int_equal(d.data_len, 0);
		i++;
	}
	assert_int_equal(i, 3);
	rdp_wr_init(&w, out, sizeof(out));
	check_encoded(v, &w, rdpdr_encode_device_list_announce(&w, want, 3));
}

static void v_efs_device_remove(const struct vec *v)
{
	struct rdpdr_device_remove r;
	uint32_t id = 1;
	struct rdp_wr w;

	assert_int_equal(rdpdr_decode_device_list_remove(v->data, v->len, &r), 0);
	assert_int_equal(r.count, 1);
	assert_int_equal(rdpdr_device_remove_id(&r, 0), 1);
	rdp_wr_init(&w, out, sizeof(out));
	check_encoded(v, &w, rdpdr_encode_device_list_remove(&w, &id, 1));
}

static void v_efs_ioreq(const struct vec *v)
{
	struct rdpdr_ioreq io;
	struct rdpdr_control_req q;

	assert_int_equal(rdpdr_decode_ioreq(v->data, v->len, &io), 0);
	assert_int_equal(io.device_id, vec_num(v, "field.DeviceId"));
	assert_int_equal(io.file_id, vec_num(v, "field.FileId"));
	assert_int_equal(io.completion_id, vec_num(v, "field.CompletionId"));
	assert_int_equal(io.major_function, vec_num(v, "field.MajorFunction"));
	assert_int_equal(io.minor_function, vec_num(v, "field.MinorFunction"));
	/* CREATE/CLOSE are not device control requests */
	assert_int_equal(rdpdr_decode_control_req(v->data, v->len, &q), RDP_ERR_UNSUPPORTED);
}

static void v_efs_completion(const struct vec *v)
{
	struct rdpdr_iocompletion c;
	struct rdpdr_control_rsp s;

	assert_int_equal(rdpdr_decode_iocompletion(v->data, v->len, &c), 0);
	assert_int_equal(c.device_id, vec_num(v, "field.DeviceId"));
	assert_int_equal(c.completion_id, vec_num(v, "field.CompletionId"));
	assert_int_equal(c.io_status, vec_num(v, "field.IoStatus"));
	/* read as a control response: lenient on both error and success bodies */
	assert_int_equal(rdpdr_decode_control_rsp(v->data, v->len, &s), 0);
	assert_int_equal(s.c.io_status, c.io_status);
}

static void v_efs_control_req(const struct vec *v)
{
	struct rdpdr_control_req q;
	struct rdp_wr w;

	assert_int_equal(rdpdr_decode_control_req(v->data, v->len, &q), 0);
	assert_int_equal(q.io.device_id, 1);
	assert_int_equal(q.io.file_id, 0x1F8);
	assert_int_equal(q.io.completion_id, 8);
	assert_int_equal(q.output_len, 0x4000);
	assert_int_equal(q.input_len, 0);
	assert_int_equal(q.ioctl, 0x000900A8);
	assert_null(q.input);
	rdp_wr_init(&w, out, sizeof(out));
	check_encoded(v, &w, rdpdr_encode_control_req(&w, &q));
}

static void v_efs_control_rsp(const struct vec *v)
{
	struct rdpdr_control_rsp s;
	struct rdp_wr w;

	assert_int_equal(rdpdr_decode_control_rsp(v->data, v->len, &s), 0);
	assert_int_equal(s.c.device_id, 1);
	assert_int_equal(s.c.completion_id, 8);
	assert_int_equal(s.c.io_status, RDP_STATUS_UNSUCCESSFUL);
	assert_int_equal(s.output_len, 0);
	rdp_wr_init(&w, out, sizeof(out));
	check_encoded(v, &w, rdpdr_encode_control_rsp(&w, &s));
}

/* ---- table ---- */

struct vcase {
	const char *name;
	void (*fn)(const struct vec *v);
};

static const struct vcase cases[] = {
	{ "derived-cancel-call", v_der_cancel },
	{ "derived-dr-control-req-establishcontext", v_der_dr_establish },
	{ "derived-dr-control-rsp-establishcontext", v_der_dr_establish_rsp },
	{ "derived-getattrib-call-atr-string", v_der_getattrib },
	{ "derived-getstatuschange-return-cancelled", v_der_gsc_cancelled },
	{ "derived-msrdpesc-4.1-establishcontext-call", v_der_establish },
	{ "derived-msrdpesc-4.10-long-return-success", v_der_long_return },
	{ "derived-msrdpesc-4.11-statusw-call", v_der_statusw },
	{ "derived-msrdpesc-4.12-status-return", v_der_status_ret },
	{ "derived-msrdpesc-4.13-endtransaction-call", v_der_end },
	{ "derived-msrdpesc-4.15-disconnect-call", v_der_disconnect },
	{ "derived-msrdpesc-4.17-releasecontext-call", v_der_release },
	{ "derived-msrdpesc-4.2-establishcontext-return", v_der_establish_ret },
	{ "derived-msrdpesc-4.3-listreadersw-call", v_der_listreadersw },
	{ "derived-msrdpesc-4.4-listreaders-return", v_der_listreaders_ret },
	{ "derived-msrdpesc-4.5-getstatuschangew-call", v_der_gsc },
	{ "derived-msrdpesc-4.6-getstatuschange-return", v_der_gsc_ret },
	{ "derived-msrdpesc-4.7-connectw-call", v_der_connectw },
	{ "derived-msrdpesc-4.8-connect-return", v_der_connect_ret },
	{ "derived-msrdpesc-4.9-begintransaction-call", v_der_begin },
	{ "derived-rdesktop-connectw-return", v_rd_connect_ret },
	{ "derived-rdesktop-control-return", v_rd_control_ret },
	{ "derived-rdesktop-dr-control-rsp-establishcontext", v_rd_establish_rsp },
	{ "derived-rdesktop-getattrib-return", v_rd_getattrib_ret },
	{ "derived-rdesktop-getstatuschangew-return", v_rd_gsc_ret },
	{ "derived-rdesktop-listreadersw-return", v_rd_listreaders_ret },
	{ "derived-rdesktop-state-return", v_rd_state_ret },
	{ "derived-rdesktop-statusw-return", v_rd_statusw_ret },
	{ "derived-rdesktop-transmit-return", v_rd_transmit_ret },
	{ "derived-server-core-capability-request-minimal", v_der_min_caps },
	{ "derived-transmit-call-t1-select", v_der_transmit },
	{ "derived-transmit-return-9000", v_der_transmit_ret },
	{ "msrdpefs-4.10-client-device-list-announce", v_efs_device_list },
	{ "msrdpefs-4.11-client-drive-device-list-remove", v_efs_device_remove },
	{ "msrdpefs-4.12-server-create-drive-request", v_efs_ioreq },
	{ "msrdpefs-4.13-client-drive-create-response", v_efs_completion },
	{ "msrdpefs-4.14-server-close-drive-request", v_efs_ioreq },
	{ "msrdpefs-4.15-client-drive-close-response", v_efs_completion },
	{ "msrdpefs-4.2-server-device-announce-response", v_efs_device_reply },
	{ "msrdpefs-4.20-server-drive-control-request", v_efs_control_req },
	{ "msrdpefs-4.21-client-drive-control-response", v_efs_control_rsp },
	{ "msrdpefs-4.3-server-announce-request", v_efs_announce },
	{ "msrdpefs-4.4-client-announce-reply", v_efs_announce_reply },
	{ "msrdpefs-4.5-client-name-request", v_efs_client_name },
	{ "msrdpefs-4.6-server-user-logged-on", v_efs_user_loggedon },
	{ "msrdpefs-4.7-server-client-id-confirm", v_efs_clientid_confirm },
	{ "msrdpefs-4.8-server-core-capability-request", v_efs_server_caps },
	{ "msrdpefs-4.9-client-core-capability-response", v_efs_client_caps },
	{ "windows-server-begintransaction-1", v_ws_begin },
	{ "windows-server-connectw-1", v_ws_connectw },
	{ "windows-server-control-1", v_ws_control_12 },
	{ "windows-server-control-2", v_ws_control_12 },
	{ "windows-server-control-3", v_ws_control_3 },
	{ "windows-server-disconnect-1", v_ws_disconnect_1 },
	{ "windows-server-disconnect-2", v_ws_disconnect_2 },
	{ "windows-server-endtransaction-1", v_ws_end },
	{ "windows-server-endtransaction-2", v_ws_end },
	{ "windows-server-establishcontext-1", v_ws_establish_1 },
	{ "windows-server-establishcontext-2", v_ws_establish_2 },
	{ "windows-server-getstatuschangew-1", v_ws_gsc },
	{ "windows-server-listreadersa-1", v_ws_listreadersa },
	{ "windows-server-listreadersa-2", v_ws_listreadersa },
	{ "windows-server-listreadersa-3", v_ws_listreadersa },
	{ "windows-server-listreadersw-1", v_ws_listreadersw },
	{ "windows-server-releasecontext-1", v_ws_release },
	{ "windows-server-statusa-1", v_ws_statusa },
	{ "windows-server-statusa-2", v_ws_statusa },
	{ "windows-server-statusa-3", v_ws_statusa },
	{ "windows-server-statusw-1", v_ws_statusw },
	{ "windows-server-statusw-2", v_ws_statusw },
	{ "windows-server-transmit-ndr-1", v_ws_transmit_1 },
	{ "windows-server-transmit-ndr-2", v_ws_transmit_2 },
	{ "windows-server-transmit-ndr-3", v_ws_transmit_3 },
	{ "windows-server-transmit-ndr-4", v_ws_transmit_4 },
	{ "windows7-server-accessstartedevent-tail", v_access_started },
};

#define NCASES (sizeof(cases) / sizeof(cases[0]))

static void run_case(void **state)
{
	const struct vcase *c = *state;
	struct vec *v = vec_load(c->name);

	assert_non_null(v);
	c->fn(v);
	vec_free(v);
}

/* Every vector file has a case (a new vector must get one). */
static void every_vector_has_a_case(void **state)
{
	char **names;
	int n = vec_list(&names), missing = 0;

	(void)state;
	assert_true(n >= (int)NCASES);
	for (int i = 0; i < n; i++) {
		size_t k;

		for (k = 0; k < NCASES; k++)
			if (!strcmp(cases[k].name, names[i]))
				break;
		if (k == NCASES) {
			fprintf(stderr, "vector without a test case: %s\n", names[i]);
			missing++;
		}
	}
	vec_list_free(names, n);
	assert_int_equal(missing, 0);
}

int main(void)
{
	struct CMUnitTest tests[NCASES + 1];
	size_t i;

	for (i = 0; i < NCASES; i++) {
		tests[i] = (struct CMUnitTest){ .name = cases[i].name, .test_func = run_case,
						.initial_state = (void *)&cases[i] };
	}
	tests[i] = (struct CMUnitTest)cmocka_unit_test(every_vector_has_a_case);
	return _cmocka_run_group_tests("vectors", tests, NCASES + 1, NULL, NULL);
}
