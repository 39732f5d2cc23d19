// SPDX-License-Identifier: MIT
/*
 * Round trips for every supported IOCTL's call and return, RDPDR core PDUs,
 * the svcport framing, text helpers and the constant translations.
 */
#include <stdio.h>

#include "common.h"

static uint8_t buf[1 << 17], buf2[1 << 17], arena_buf[1 << 18];

#define CTX8	{ .cb = 8, .v = { 1, 2, 3, 4, 5, 6, 7, 8 } }
#define HANDLE8	{ .ctx = CTX8, .cb = 8, .v = { 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8 } }

static const uint8_t apdu[] = { 0x00, 0xa4, 0x04, 0x00, 0x07, 0xa0, 0, 0, 0x03, 0x08, 0, 0, 0x01, 0x00 };
static const uint8_t extra[] = { 0xde, 0xad, 0xbe };

struct call_sample {
	uint32_t ioctl;
	union rdpesc_call c;
};

static const struct call_sample calls[] = {
	{ SCARD_IOCTL_ESTABLISHCONTEXT, { .establish = { SCARD_SCOPE_SYSTEM } } },
	{ SCARD_IOCTL_RELEASECONTEXT, { .context = { CTX8 } } },
	{ SCARD_IOCTL_ISVALIDCONTEXT, { .context = { CTX8 } } },
	{ SCARD_IOCTL_CANCEL, { .context = { { .cb = 0 } } } },
	{ SCARD_IOCTL_LISTREADERGROUPSW, { .list_groups = { CTX8, 0, SCARD_AUTOALLOCATE } } },
	{ SCARD_IOCTL_LISTREADERGROUPSA, { .list_groups = { CTX8, 1, 0 } } },
	{ SCARD_IOCTL_LISTREADERSW, { .list_readers = { CTX8, { "SCard$AllReaders\0", 18 }, 0,
							SCARD_AUTOALLOCATE } } },
	{ SCARD_IOCTL_LISTREADERSA, { .list_readers = { CTX8, { "Grp\0Two\0", 9 }, 1, 0 } } },
	{ SCARD_IOCTL_GETSTATUSCHANGEW, { .gsc = { CTX8, SCARD_INFINITE, 3, {
		{ SCARD_PNP_NOTIFICATION, 0x00020000, 0, 0, { 0 } },
		{ "Lecteur \xc3\xa9\xe2\x82\xac \xf0\x9f\x92\xb3 0", 0x00050022, 0, 3, { 0x3b, 0x02, 0x14 } },
		{ NULL, SCARD_STATE_IGNORE, 0, 0, { 0 } } } } } },
	{ SCARD_IOCTL_GETSTATUSCHANGEA, { .gsc = { CTX8, 0, 1, {
		{ "Reader A", SCARD_STATE_UNAWARE, 0, 36, { [35] = 0xff } } } } } },
	{ SCARD_IOCTL_GETSTATUSCHANGEW, { .gsc = { CTX8, 5, 0, { { 0 } } } } },
	{ SCARD_IOCTL_CONNECTW, { .connect = { "Yubico YubiKey \xe2\x80\x94 CCID", CTX8,
					       SCARD_SHARE_SHARED, SCARD_PROTOCOL_Tx } } },
	{ SCARD_IOCTL_CONNECTA, { .connect = { "Reader A", CTX8, SCARD_SHARE_DIRECT, 0 } } },
	{ SCARD_IOCTL_RECONNECT, { .reconnect = { HANDLE8, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T1,
						  SCARD_RESET_CARD } } },
	{ SCARD_IOCTL_DISCONNECT, { .hcard = { HANDLE8, SCARD_UNPOWER_CARD } } },
	{ SCARD_IOCTL_BEGINTRANSACTION, { .hcard = { HANDLE8, 0 } } },
	{ SCARD_IOCTL_ENDTRANSACTION, { .hcard = { HANDLE8, SCARD_RESET_CARD } } },
	{ SCARD_IOCTL_STATE, { .state = { HANDLE8, 0, 36 } } },
	{ SCARD_IOCTL_STATUSW, { .status = { HANDLE8, 0, SCARD_AUTOALLOCATE, 32 } } },
	{ SCARD_IOCTL_STATUSA, { .status = { HANDLE8, 1, 0, 64 } } },
	{ SCARD_IOCTL_TRANSMIT, { .transmit = { HANDLE8, { SCARD_PROTOCOL_T1, 3, extra },
						sizeof(apdu), apdu, true,
						{ SCARD_PROTOCOL_T1, 3, extra }, 0, 65538 } } },
	{ SCARD_IOCTL_TRANSMIT, { .transmit = { HANDLE8, { SCARD_PROTOCOL_T0, 0, NULL },
						0, NULL, false, { 0 }, 1, 258 } } },
	{ SCARD_IOCTL_CONTROL, { .control = { HANDLE8, SCARD_CTL_CODE_WIN(3400), sizeof(apdu),
					      apdu, 0, 1024 } } },
	{ SCARD_IOCTL_CONTROL, { .control = { HANDLE8, CM_IOCTL_GET_FEATURE_REQUEST_WIN, 0, NULL,
					      0, 258 } } },
	{ SCARD_IOCTL_GETATTRIB, { .get_attrib = { HANDLE8, SCARD_ATTR_VENDOR_NAME, 0, 256 } } },
	{ SCARD_IOCTL_SETATTRIB, { .set_attrib = { HANDLE8, SCARD_ATTR_CHANNEL_ID, sizeof(extra),
						   extra } } },
	{ SCARD_IOCTL_ACCESSSTARTEDEVENT, { .access_started = { { 1, 2, 3, 4 } } } },
	{ SCARD_IOCTL_GETTRANSMITCOUNT, { .transmit_count = { HANDLE8 } } },
	{ SCARD_IOCTL_GETREADERICON, { .reader = { CTX8, "Reader \xe2\x82\xac" } } },
	{ SCARD_IOCTL_GETDEVICETYPEID, { .reader = { CTX8, "Reader 1" } } },
};

struct ret_sample {
	uint32_t ioctl;
	union rdpesc_return r;
};

static const struct ret_sample rets[] = {
	{ SCARD_IOCTL_RELEASECONTEXT, { .lng = { SCARD_E_INVALID_HANDLE } } },
	{ SCARD_IOCTL_CANCEL, { .lng = { 0 } } },
	{ SCARD_IOCTL_ACCESSSTARTEDEVENT, { .lng = { 0 } } },
	{ SCARD_IOCTL_ESTABLISHCONTEXT, { .establish = { 0, CTX8 } } },
	{ SCARD_IOCTL_LISTREADERSW, { .list_readers = { 0, 0,
		{ "Reader \xc3\xa9 0\0Reader 1\0", 22 } } } },
	{ SCARD_IOCTL_LISTREADERSA, { .list_readers = { 0, 0, { "A\0B\0", 5 } } } },
	{ SCARD_IOCTL_LISTREADERGROUPSA, { .list_readers = { 0, 0, { "SCard$DefaultReaders\0", 22 } } } },
	{ SCARD_IOCTL_LISTREADERGROUPSW, { .list_readers = { 0, 0, { "SCard$DefaultReaders\0", 22 } } } },
	{ SCARD_IOCTL_LISTREADERSW, { .list_readers = { SCARD_E_NO_READERS_AVAILABLE, 0, { NULL, 0 } } } },
	{ SCARD_IOCTL_GETSTATUSCHANGEW, { .gsc = { 0, 2, {
		{ 0x00010000, 0x00020002, 0, { 0 } },
		{ 0x00000010, 0x00010122, 36, { 0x3b, [35] = 0x99 } } } } } },
	{ SCARD_IOCTL_GETSTATUSCHANGEA, { .gsc = { SCARD_E_TIMEOUT, 1, { { 0x10, 0x10, 0, { 0 } } } } } },
	{ SCARD_IOCTL_CONNECTW, { .connect = { 0, HANDLE8, SCARD_PROTOCOL_T1 } } },
	{ SCARD_IOCTL_CONNECTA, { .connect = { SCARD_E_SHARING_VIOLATION, { .cb = 0 }, 0 } } },
	{ SCARD_IOCTL_RECONNECT, { .reconnect = { 0, SCARD_PROTOCOL_T0 } } },
	{ SCARD_IOCTL_STATE, { .state = { 0, SCARD_SPECIFICMODE, SCARD_PROTOCOL_T1, 3, extra } } },
	{ SCARD_IOCTL_STATUSW, { .status = { 0, 0, { "Reader \xe2\x82\xac\0", 12 }, 6, 2,
					     { 0x3b, 0x02, 0x14 }, 3 } } },
	{ SCARD_IOCTL_STATUSA, { .status = { 0, 0, { "R\0", 3 }, 0x34, 1, { 0 }, 0 } } },
	{ SCARD_IOCTL_TRANSMIT, { .transmit = { 0, true, { 2, 3, extra }, sizeof(apdu), apdu } } },
	{ SCARD_IOCTL_TRANSMIT, { .transmit = { 0, false, { 0 }, 0, NULL } } },
	{ SCARD_IOCTL_CONTROL, { .buffer = { 0, sizeof(apdu), apdu } } },
	{ SCARD_IOCTL_GETATTRIB, { .buffer = { 0, sizeof(extra), extra } } },
	{ SCARD_IOCTL_GETREADERICON, { .buffer = { 0, sizeof(apdu), apdu } } },
	{ SCARD_IOCTL_GETTRANSMITCOUNT, { .transmit_count = { 0, 42 } } },
	{ SCARD_IOCTL_GETDEVICETYPEID, { .device_type_id = { 0, 0x20 } } },
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static void call_roundtrip(void **state)
{
	const struct call_sample *s = *state;
	struct rdp_arena a;
	union rdpesc_call d;
	size_t n1, n2;
	struct rdp_wr w;

	n1 = enc_call(s->ioctl, &s->c, buf, sizeof(buf));
	if (s->ioctl != SCARD_IOCTL_ACCESSSTARTEDEVENT) {
		assert_int_equal(n1 % 8, 0);
		assert_memory_equal(buf, "\x01\x10\x08\x00\xcc\xcc\xcc\xcc", 8);
	}
	/* measure mode agrees with store mode */
	rdp_wr_init_measure(&w);
	assert_int_equal(rdpesc_encode_call(&w, s->ioctl, &s->c), 0);
	assert_int_equal(w.off, n1);
	/* too small buffers fail cleanly */
	rdp_wr_init(&w, buf2, n1 - 1);
	assert_int_equal(rdpesc_encode_call(&w, s->ioctl, &s->c), RDP_ERR_NOSPACE);
	rdp_arena_init(&a, arena_buf, RDP_ARENA_FOR(n1));
	assert_int_equal(rdpesc_decode_call(buf, n1, s->ioctl, &d, &a, RDPESC_DECODE_CANONICAL), 0);
	n2 = enc_call(s->ioctl, &d, buf2, sizeof(buf2));
	assert_bytes(buf2, n2, buf, n1);
	/* a few fields explicitly */
	switch (rdpesc_call_kind(s->ioctl)) {
	case RDPESC_CALL_GSC:
		assert_int_equal(d.gsc.n, s->c.gsc.n);
		for (uint32_t i = 0; i < d.gsc.n; i++) {
			if (s->c.gsc.states[i].reader)
				assert_string_equal(d.gsc.states[i].reader, s->c.gsc.states[i].reader);
			else
				assert_null(d.gsc.states[i].reader);
			assert_int_equal(d.gsc.states[i].current_state, s->c.gsc.states[i].current_state);
		}
		break;
	case RDPESC_CALL_CONNECT:
		assert_string_equal(d.connect.reader, s->c.connect.reader);
		assert_memory_equal(&d.connect.ctx, &s->c.connect.ctx, sizeof(d.connect.ctx));
		break;
	case RDPESC_CALL_TRANSMIT:
		assert_int_equal(d.transmit.cb_send, s->c.transmit.cb_send);
		if (d.transmit.cb_send)
			assert_memory_equal(d.transmit.send, s->c.transmit.send, d.transmit.cb_send);
		assert_int_equal(d.transmit.has_recv_pci, s->c.transmit.has_recv_pci);
		assert_int_equal(d.transmit.cb_recv_length, s->c.transmit.cb_recv_length);
		assert_memory_equal(&d.transmit.h, &s->c.transmit.h, sizeof(d.transmit.h));
		break;
	case RDPESC_CALL_READER:
		assert_string_equal(d.reader.reader, s->c.reader.reader);
		break;
	default:
		break;
	}
}

static void ret_roundtrip(void **state)
{
	const struct ret_sample *s = *state;
	union rdpesc_return d;
	struct rdp_arena a;
	size_t n1, n2;

	n1 = enc_ret(s->ioctl, &s->r, buf, sizeof(buf));
	assert_int_equal(n1 % 8, 0);
	rdp_arena_init(&a, arena_buf, RDP_ARENA_FOR(n1));
	assert_int_equal(rdpesc_decode_return(buf, n1, s->ioctl, &d, &a, RDPESC_DECODE_CANONICAL), 0);
	assert_int_equal(d.rc, s->r.rc);
	n2 = enc_ret(s->ioctl, &d, buf2, sizeof(buf2));
	assert_bytes(buf2, n2, buf, n1);
	if (rdpesc_return_kind(s->ioctl) == RDPESC_RET_LIST_READERS && s->r.list_readers.readers.p) {
		assert_int_equal(d.list_readers.readers.len, s->r.list_readers.readers.len);
		assert_memory_equal(d.list_readers.readers.p, s->r.list_readers.readers.p,
				    d.list_readers.readers.len);
	}
	if (rdpesc_return_kind(s->ioctl) == RDPESC_RET_TRANSMIT && s->r.transmit.cb_recv)
		assert_memory_equal(d.transmit.recv, s->r.transmit.recv, s->r.transmit.cb_recv);
}

/* Every IOCTL with a call kind has a call sample and a return sample. */
static void every_ioctl_covered(void **state)
{
	(void)state;
	for (uint32_t fn = 0; fn < 80; fn++) {
		uint32_t ioctl = SCARD_IOCTL(fn);
		bool c = false, r = false;

		if (rdpesc_call_kind(ioctl) == RDPESC_CALL_NONE)
			continue;
		for (size_t i = 0; i < N(calls); i++)
			c |= calls[i].ioctl == ioctl;
		for (size_t i = 0; i < N(rets); i++)
			r |= rets[i].ioctl == ioctl;
		if (!c || (!r && rdpesc_return_kind(ioctl) != RDPESC_RET_LONG))
			fprintf(stderr, "%s: call %d return %d\n", scard_ioctl_name(ioctl), c, r);
		assert_true(c);
		assert_true(r || rdpesc_return_kind(ioctl) == RDPESC_RET_LONG);
	}
}

static void encoder_ranges(void **state)
{
	union rdpesc_call c = { .gsc = { .n = 12 } };
	union rdpesc_return r = { .gsc = { .n = 11 } };
	struct rdp_wr w;

	(void)state;
	rdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(rdpesc_encode_call(&w, SCARD_IOCTL_GETSTATUSCHANGEW, &c), RDP_ERR_RANGE);
	rdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(rdpesc_encode_return(&w, SCARD_IOCTL_GETSTATUSCHANGEW, &r), RDP_ERR_RANGE);
	memset(&c, 0, sizeof(c));
	c.context.ctx.cb = 17;
	rdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(rdpesc_encode_call(&w, SCARD_IOCTL_CANCEL, &c), RDP_ERR_RANGE);
	memset(&c, 0, sizeof(c));
	c.transmit.cb_send = 5;	/* no buffer */
	rdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(rdpesc_encode_call(&w, SCARD_IOCTL_TRANSMIT, &c), RDP_ERR_RANGE);
	memset(&c, 0, sizeof(c));
	c.connect.reader = "\xff\xfe bad utf8";
	rdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(rdpesc_encode_call(&w, SCARD_IOCTL_CONNECTW, &c), RDP_ERR_MALFORMED);
	rdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(rdpesc_encode_call(&w, SCARD_IOCTL(70), &c), RDP_ERR_UNSUPPORTED);
	assert_int_equal(rdpesc_encode_call(&w, SCARD_IOCTL_RELEASESTARTEDEVENT, &c),
			 RDP_ERR_UNSUPPORTED);
}

static void request_and_output_len(void **state)
{
	union rdpesc_call c = { .transmit = { .h = HANDLE8, .cb_send = sizeof(apdu), .send = apdu,
					      .cb_recv_length = 65538 } };
	struct rdpdr_ioreq io = { .device_id = 7, .file_id = 1, .completion_id = 99 };
	struct rdpdr_control_req q;
	struct rdp_wr w;
	uint32_t out_len;

	(void)state;
	out_len = rdpesc_output_len_for(SCARD_IOCTL_TRANSMIT, &c);
	assert_true(out_len >= 65538 + 128);
	rdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(rdpesc_encode_request(&w, &io, out_len, SCARD_IOCTL_TRANSMIT, &c), 0);
	assert_int_equal(rdpdr_decode_control_req(buf, w.off, &q), 0);
	assert_int_equal(q.io.device_id, 7);
	assert_int_equal(q.io.completion_id, 99);
	assert_int_equal(q.io.major_function, IRP_MJ_DEVICE_CONTROL);
	assert_int_equal(q.output_len, out_len);
	assert_int_equal(q.input_len, w.off - RDPDR_CONTROL_REQ_HDR_SIZE);
	c.establish.scope = 0;
	assert_int_equal(rdpesc_output_len_for(SCARD_IOCTL_ESTABLISHCONTEXT, &c), 2048);
}

static void rdpdr_roundtrips(void **state)
{
	struct rdpdr_client_name n = { .unicode_flag = 1 }, dn;
	struct rdpdr_device devs[2] = {
		{ RDPDR_DTYP_SMARTCARD, 1, "SCARD", 0, NULL },
		{ RDPDR_DTYP_SERIAL, 2, "COM1", 3, extra },
	};
	struct rdpdr_device_iter it;
	struct rdpdr_device d;
	struct rdpdr_control_rsp s = { { 1, 5, 0 }, sizeof(apdu), apdu }, ds;
	struct rdp_wr w;

	(void)state;
	snprintf(n.name, sizeof(n.name), "PC-\xc3\xa9t\xc3\xa9");
	rdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(rdpdr_encode_client_name(&w, &n), 0);
	assert_int_equal(rdpdr_decode_client_name(buf, w.off, &dn), 0);
	assert_string_equal(dn.name, n.name);
	n.unicode_flag = 0;
	snprintf(n.name, sizeof(n.name), "ANSI-PC");
	rdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(rdpdr_encode_client_name(&w, &n), 0);
	assert_int_equal(rdpdr_decode_client_name(buf, w.off, &dn), 0);
	assert_string_equal(dn.name, "ANSI-PC");

	rdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(rdpdr_encode_device_list_announce(&w, devs, 2), 0);
	assert_int_equal(rdpdr_device_list_begin(&it, buf, w.off), 0);
	assert_int_equal(rdpdr_device_list_next(&it, &d), 1);
	assert_int_equal(d.device_type, RDPDR_DTYP_SMARTCARD);
	assert_string_equal(d.dos_name, "SCARD");
	assert_int_equal(rdpdr_device_list_next(&it, &d), 1);
	assert_int_equal(d.data_len, 3);
	assert_memory_equal(d.data, extra, 3);
	assert_int_equal(rdpdr_device_list_next(&it, &d), 0);

	rdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(rdpdr_encode_control_rsp(&w, &s), 0);
	assert_int_equal(rdpdr_decode_control_rsp(buf, w.off, &ds), 0);
	assert_int_equal(ds.output_len, sizeof(apdu));
	assert_memory_equal(ds.output, apdu, sizeof(apdu));
	assert_string_equal(rdpdr_packet_name(PAKID_CORE_DEVICE_IOCOMPLETION), "DEVICE_IOCOMPLETION");
}

static void svcframe_incremental(void **state)
{
	static uint8_t rbuf[SVCFRAME_BUF_SIZE];
	struct svcport_channel_open o = { .session_key = (const uint8_t *)"sess-1", .session_key_len = 6,
		.client_name = (const uint8_t *)"laptop", .client_name_len = 6,
		.channel = (const uint8_t *)"rdpdr", .channel_len = 5 }, od;
	struct svcport_hello h = { SVCPORT_VERSION, 0, (const uint8_t *)"test", 4 }, hd;
	struct svcframe_reader r;
	struct svcframe f;
	struct rdp_wr w;
	size_t total, i;
	int frames = 0;

	(void)state;
	rdp_wr_init(&w, buf, sizeof(buf));
	assert_int_equal(svcport_encode_hello(&w, &h), 0);
	assert_int_equal(svcport_encode_channel_open(&w, &o), 0);
	assert_int_equal(svcframe_encode(&w, SVCPORT_DATA, 0, apdu, sizeof(apdu)), 0);
	assert_int_equal(svcframe_encode(&w, SVCPORT_RESET, 0, NULL, 0), 0);
	total = w.off;
	/* byte by byte */
	svcframe_reader_init(&r, rbuf, sizeof(rbuf));
	for (i = 0; i < total; i++) {
		assert_int_equal(svcframe_feed(&r, buf + i, 1), 1);
		while (svcframe_next(&r, &f) == 1) {
			switch (frames++) {
			case 0:
				assert_int_equal(f.type, SVCPORT_HELLO);
				assert_int_equal(svcport_decode_hello(f.payload, f.length, &hd), 0);
				assert_int_equal(hd.version, SVCPORT_VERSION);
				assert_int_equal(hd.name_len, 4);
				break;
			case 1:
				assert_int_equal(f.type, SVCPORT_CHANNEL_OPEN);
				assert_int_equal(svcport_decode_channel_open(f.payload, f.length, &od), 0);
				assert_int_equal(od.session_key_len, 6);
				assert_memory_equal(od.session_key, "sess-1", 6);
				assert_int_equal(od.channel_len, 5);
				assert_int_equal(od.user_len, 0);
				break;
			case 2:
				assert_int_equal(f.type, SVCPORT_DATA);
				assert_int_equal(f.length, sizeof(apdu));
				assert_memory_equal(f.payload, apdu, sizeof(apdu));
				break;
			case 3:
				assert_int_equal(f.type, SVCPORT_RESET);
				assert_int_equal(f.length, 0);
				break;
			}
		}
	}
	assert_int_equal(frames, 4);
	/* all at once, through space/commit */
	svcframe_reader_init(&r, rbuf, sizeof(rbuf));
	{
		uint8_t *p;

		assert_true(svcframe_space(&r, &p) >= total);
		memcpy(p, buf, total);
		svcframe_commit(&r, total);
	}
	for (frames = 0; svcframe_next(&r, &f) == 1; frames++)
		;
	assert_int_equal(frames, 4);
	assert_int_equal(svcframe_next(&r, &f), 0);
}

static void svcframe_errors(void **state)
{
	uint8_t small[64], hdr[SVCPORT_HDR_SIZE];
	struct svcport_channel_open od;
	struct svcframe_reader r;
	struct svcframe f;

	(void)state;
	/* longer than SVCPORT_PAYLOAD_MAX */
	svcframe_reader_init(&r, small, sizeof(small));
	svcframe_put_hdr(hdr, SVCPORT_DATA, 0, SVCPORT_PAYLOAD_MAX + 1);
	svcframe_feed(&r, hdr, sizeof(hdr));
	assert_int_equal(svcframe_next(&r, &f), RDP_ERR_TOO_BIG);
	assert_int_equal(svcframe_next(&r, &f), RDP_ERR_TOO_BIG);	/* sticky */
	/* longer than the caller's buffer */
	svcframe_reader_init(&r, small, sizeof(small));
	svcframe_put_hdr(hdr, SVCPORT_DATA, 0, sizeof(small));
	svcframe_feed(&r, hdr, sizeof(hdr));
	assert_int_equal(svcframe_next(&r, &f), RDP_ERR_TOO_BIG);
	/* exactly fitting */
	svcframe_reader_init(&r, small, sizeof(small));
	svcframe_put_hdr(hdr, 77, 0xFFFF, sizeof(small) - SVCPORT_HDR_SIZE);
	svcframe_feed(&r, hdr, sizeof(hdr));
	assert_int_equal(svcframe_next(&r, &f), 0);
	memset(buf, 0x5a, sizeof(small));
	assert_int_equal(svcframe_feed(&r, buf, sizeof(small)), sizeof(small) - SVCPORT_HDR_SIZE);
	assert_int_equal(svcframe_next(&r, &f), 1);
	assert_int_equal(f.type, 77);	/* unknown types are passed up */
	assert_int_equal(f.flags, 0xFFFF);
	/* CHANNEL_OPEN without a key, key too long, TLV past the end */
	assert_int_equal(svcport_decode_channel_open("\x02\x00\x01\x00x", 5, &od), RDP_ERR_MALFORMED);
	memset(buf, 'k', 80);
	buf[0] = 1; buf[1] = 0; buf[2] = 65; buf[3] = 0;
	assert_int_equal(svcport_decode_channel_open(buf, 69, &od), RDP_ERR_MALFORMED);
	assert_int_equal(svcport_decode_channel_open("\x01\x00\x05\x00ab", 6, &od), RDP_ERR_MALFORMED);
	assert_int_equal(svcport_decode_channel_open("\x09\x00\x00\x00\x01\x00\x01\x00k", 9, &od), 0);
	assert_int_equal(od.session_key_len, 1);
}

static void text_helpers(void **state)
{
	struct rdp_msz m = { "a\0bc\0\0", 6 };
	size_t pos = 0;
	uint8_t u16[] = { 0x3d, 0xd8, 0x4b, 0xdc, 0x00, 0xd8, 0x41, 0x00 }; /* U+1F44B, lone high, 'A' */
	char out[32];
	long n;

	(void)state;
	assert_string_equal(rdp_msz_next(&m, &pos), "a");
	assert_string_equal(rdp_msz_next(&m, &pos), "bc");
	assert_null(rdp_msz_next(&m, &pos));
	assert_int_equal(rdp_msz_count(&m), 2);
	n = rdp_utf16le_to_utf8(u16, 4, out, sizeof(out));
	assert_int_equal(n, 4 + 3 + 1);
	assert_memory_equal(out, "\xf0\x9f\x91\x8b\xef\xbf\xbd" "A", 8);
	assert_int_equal(rdp_utf16le_to_utf8(u16, 4, out, 5), RDP_ERR_NOSPACE);
	assert_int_equal(rdp_utf8_utf16_units("\xf0\x9f\x91\x8b", 4), 2);
	assert_int_equal(rdp_utf8_utf16_units("\xc0\x80", 2), RDP_ERR_MALFORMED);	/* overlong */
	assert_int_equal(rdp_utf8_utf16_units("\xed\xa0\x80", 3), RDP_ERR_MALFORMED);	/* surrogate */
	assert_int_equal(rdp_utf8_utf16_units("\xe2\x82", 2), RDP_ERR_MALFORMED);	/* short */
	assert_string_equal(rdp_strerror(RDP_ERR_TRUNCATED), "truncated input");
}

static void constants(void **state)
{
	(void)state;
	assert_int_equal(SCARD_IOCTL(5), SCARD_IOCTL_ESTABLISHCONTEXT);
	assert_int_equal(SCARD_IOCTL(66), SCARD_IOCTL_GETDEVICETYPEID);
	assert_int_equal(scard_ioctl_fn(SCARD_IOCTL_TRANSMIT), 52);
	assert_int_equal(scard_ioctl_fn(0x00313520), -1);
	assert_int_equal(CM_IOCTL_GET_FEATURE_REQUEST_WIN, 0x00313520);
	assert_int_equal(scard_ctl_pcsc_to_win(0x42000000 + 3400), 0x00313520);
	assert_int_equal(scard_ctl_win_to_pcsc(0x00313520), 0x42000000 + 3400);
	assert_int_equal(scard_ctl_win_to_pcsc(0x00310000 | 1 << 2), 0x42000001);
	assert_int_equal(scard_ctl_pcsc_to_win(0x12345678), 0x12345678);
	assert_int_equal(scard_ctl_win_to_pcsc(0x00090014), 0x00090014);
	assert_int_equal(scard_ctl_win_to_pcsc(0x00313521), 0x00313521);	/* method != buffered */
	for (uint32_t n = 0; n < 4096; n++)
		assert_int_equal(scard_ctl_win_to_pcsc(scard_ctl_pcsc_to_win(SCARD_CTL_CODE_PCSC(n))),
				 SCARD_CTL_CODE_PCSC(n));
	/* enum form passes through, pcsc-lite bit flags are mapped */
	for (uint32_t s = 0; s <= 6; s++)
		assert_int_equal(scard_state_normalize(s), s);
	assert_int_equal(scard_state_normalize(0x0034), SCARD_NEGOTIABLE);	/* PRESENT|POWERED|NEGOTIABLE */
	assert_int_equal(scard_state_normalize(0x0054), SCARD_SPECIFICMODE);
	assert_int_equal(scard_state_normalize(0x0014), SCARD_POWERED);
	assert_int_equal(scard_state_normalize(0x000C), SCARD_SWALLOWED);
	assert_int_equal(scard_state_normalize(0x0100), SCARD_UNKNOWN);
	assert_int_equal(scard_rc_win_to_pcsc(SCARD_E_UNSUPPORTED_FEATURE), PCSCLITE_E_UNSUPPORTED_FEATURE);
	assert_int_equal(scard_rc_win_to_pcsc(SCARD_E_TIMEOUT), SCARD_E_TIMEOUT);
	assert_string_equal(scard_rc_name(SCARD_E_NO_READERS_AVAILABLE), "SCARD_E_NO_READERS_AVAILABLE");
	assert_string_equal(scard_rc_name(0x1234), "UNKNOWN_RC");
	assert_string_equal(scard_ioctl_name(SCARD_IOCTL_GETSTATUSCHANGEW), "GETSTATUSCHANGEW");
	assert_true(rdpesc_ioctl_is_wide(SCARD_IOCTL_CONNECTW));
	assert_false(rdpesc_ioctl_is_wide(SCARD_IOCTL_CONNECTA));
}

static void wire_cursors(void **state)
{
	uint8_t b[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	struct rdp_rd r;
	struct rdp_wr w;

	(void)state;
	rdp_rd_init(&r, b, sizeof(b));
	assert_int_equal(rdp_rd_u16(&r), 0x0201);
	assert_int_equal(rdp_rd_u32(&r), 0x06050403);
	assert_int_equal(rdp_rd_u32(&r), 0);	/* only 2 left */
	assert_int_equal(r.err, RDP_ERR_TRUNCATED);
	assert_int_equal(rdp_rd_u8(&r), 0);	/* sticky */
	assert_null(rdp_rd_view(&r, 0));
	rdp_rd_init(&r, b, sizeof(b));
	assert_null(rdp_rd_view(&r, SIZE_MAX));
	assert_int_equal(r.err, RDP_ERR_TRUNCATED);
	rdp_rd_init(&r, b, sizeof(b));
	assert_int_equal(rdp_rd_u64(&r), 0x0807060504030201ull);
	rdp_wr_init(&w, buf, 6);
	rdp_wr_u32(&w, 0xdeadbeef);
	rdp_wr_u32(&w, 1);
	assert_int_equal(w.err, RDP_ERR_NOSPACE);
	assert_int_equal(w.off, 4);
	rdp_wr_init_compare(&w, b, sizeof(b));
	rdp_wr_u32(&w, 0x04030201);
	assert_int_equal(w.err, 0);
	rdp_wr_u32(&w, 0x08070605 ^ 1);
	assert_int_equal(w.err, RDP_ERR_MISMATCH);
}

int main(void)
{
	struct CMUnitTest t[N(calls) + N(rets) + 16];
	char names[N(calls) + N(rets)][64];
	size_t n = 0, i;

	for (i = 0; i < N(calls); i++) {
		snprintf(names[n], sizeof(names[n]), "call_roundtrip_%02zu_%s", i,
			 scard_ioctl_name(calls[i].ioctl));
		t[n] = (struct CMUnitTest){ .name = names[n], .test_func = call_roundtrip,
					    .initial_state = (void *)&calls[i] };
		n++;
	}
	for (i = 0; i < N(rets); i++) {
		snprintf(names[n], sizeof(names[n]), "return_roundtrip_%02zu_%s", i,
			 scard_ioctl_name(rets[i].ioctl));
		t[n] = (struct CMUnitTest){ .name = names[n], .test_func = ret_roundtrip,
					    .initial_state = (void *)&rets[i] };
		n++;
	}
	t[n++] = (struct CMUnitTest)cmocka_unit_test(every_ioctl_covered);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(encoder_ranges);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(request_and_output_len);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(rdpdr_roundtrips);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(svcframe_incremental);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(svcframe_errors);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(text_helpers);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(constants);
	t[n++] = (struct CMUnitTest)cmocka_unit_test(wire_cursors);
	return _cmocka_run_group_tests("codec", t, n, NULL, NULL);
}
