// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the whole agent state machine (svcport frames ->
 * RDPDR server -> CompletionId table -> RDPESC decoders -> reader model)
 * with the fake-kernel seam, in process.
 *
 * Each input starts from a completed handshake (announce reply, name,
 * caps with User Logged On, one smart-card device), then is read as
 * records {u8 kind, u16 len, len bytes}:
 *   kind 0: a DATA frame with these bytes (any RDPDR PDU)
 *   kind 1: a DR_CONTROL_RSP for an outstanding CompletionId (chosen by
 *           the first byte) with IoStatus 0 and the rest as OutputBuffer
 *   kind 2: a kernel request REQ <slot> <id> <type> <code> <rx_max> <data>
 *   kind 3: a control frame: RESET, CHANNEL_CLOSE, CHANNEL_OPEN, or
 *           "every deadline passed" (timeouts + Cancel paths)
 *   kind 4: a raw frame of any type with these bytes
 */
#include "fuzz_common.h"

static void pdu(struct agent *a, uint16_t pakid, const void *body, size_t len)
{
	uint8_t buf[4 + 8192];

	if (len > 8192)
		return;
	buf[0] = 0x72;
	buf[1] = 0x44;
	buf[2] = pakid & 0xff;
	buf[3] = pakid >> 8;
	memcpy(buf + 4, body, len);
	frame(a, SVCPORT_DATA, buf, (uint32_t)(4 + len));
}

static void handshake(struct agent *a)
{
	static const uint8_t name[] = {
		1, 0, 0, 0, 0, 0, 0, 0, 6, 0, 0, 0, 'F', 0, 'Z', 0, 0, 0 };
	static const uint8_t caps[] = {
		2, 0, 0, 0,
		1, 0, 44, 0, 2, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 1, 0, 13, 0,
		0xff, 0xff, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
		0, 0, 0, 0,
		5, 0, 8, 0, 1, 0, 0, 0 };
	static const uint8_t dev[] = {
		1, 0, 0, 0, 0x20, 0, 0, 0, 1, 0, 0, 0,
		'S', 'C', 'A', 'R', 'D', 0, 0, 0, 0, 0, 0, 0 };
	uint8_t reply[8];

	reply[0] = 1;
	reply[1] = 0;
	reply[2] = 13;
	reply[3] = 0;
	put32(reply + 4, a->srv.client_id);
	pdu(a, 0x4343, reply, sizeof(reply));
	pdu(a, 0x434E, name, sizeof(name));
	pdu(a, 0x4350, caps, sizeof(caps));
	pdu(a, 0x4441, dev, sizeof(dev));
}

static void completion(struct agent *a, const uint8_t *p, size_t len)
{
	uint8_t buf[16 + 4 + 4096];
	uint32_t cid;

	if (!len || !a->io.ct.n || len - 1 > 4096)
		return;
	cid = a->io.ct.v[p[0] % a->io.ct.n].cid;
	put32(buf, 1);
	put32(buf + 4, cid);
	put32(buf + 8, 0);
	put32(buf + 12, (uint32_t)(len - 1));
	memcpy(buf + 16, p + 1, len - 1);
	/* pdu() adds the RDPDR header: pass the body after it. */
	pdu(a, 0x4943, buf, 16 + len - 1);
}

static void control(struct agent *a, const uint8_t *p, size_t len)
{
	switch (len ? p[0] % 4 : 0) {
	case 0:
		frame(a, SVCPORT_RESET, NULL, 0);
		handshake(a);
		break;
	case 1:
		frame(a, SVCPORT_CHANNEL_CLOSE, NULL, 0);
		break;
	case 2:
		channel_open(a);
		handshake(a);
		break;
	case 3:
		agent_run_timers(a, ~0ull >> 1);
		break;
	}
}

static void start(struct fuzz_rig *r)
{
	channel_open(r->a);
	handshake(r->a);
}

static void record(struct fuzz_rig *r, uint8_t kind, const uint8_t *p, size_t len)
{
	struct agent *a = r->a;

	switch (kind % 5) {
	case 0:
		frame(a, SVCPORT_DATA, p, (uint32_t)len);
		break;
	case 1:
		completion(a, p, len);
		break;
	case 2:
		kernel_request(r, p, len);
		break;
	case 3:
		control(a, p, len);
		break;
	case 4:
		frame(a, len ? p[0] : 0, p, (uint32_t)len);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(data, size, start, record);
}
