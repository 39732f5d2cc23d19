// SPDX-License-Identifier: MIT
/*
 * libFuzzer target: the agent's device-mode input (xrdp's chansrv as the
 * adapter): svcport framing as read from the socket, HELLO with the device
 * flag, DEVICE_ADD / DEVICE_REMOVE, whole DR_DEVICE_IOCOMPLETION PDUs in
 * IO_COMPLETION frames, resets and closes, down through the smart-card
 * client and the reader model to the fake kernel, in process.
 *
 * Each input starts from HELLO(device) + CHANNEL_OPEN + DEVICE_ADD(1),
 * then is read as records {u8 kind, u16 len, len bytes}:
 *   kind 0: raw bytes on the adapter's socket, read by the agent's own
 *           framing code (partial, oversized, several frames at once)
 *   kind 1: an IO_COMPLETION for an outstanding CompletionId (chosen by
 *           the first byte), DeviceId of the device, IoStatus 0, the rest
 *           as OutputBuffer
 *   kind 2: an IO_COMPLETION with these bytes as the whole PDU
 *   kind 3: DEVICE_ADD (first byte even) or DEVICE_REMOVE with the rest
 *   kind 4: a kernel request REQ <slot> <id> <type> <code> <rx_max> <data>
 *   kind 5: control: RESET, CHANNEL_CLOSE, CHANNEL_OPEN + DEVICE_ADD,
 *           "every deadline passed", a HELLO with these flags
 *   kind 6: a frame of any type (first byte) with the rest as payload
 */
#include "fuzz_common.h"

#define DEV_ID	1

static void device_add(struct agent *a, uint32_t id)
{
	uint8_t p[16] = { 0, 0, 0, 0, 0x20, 0, 0, 0, 'S', 'C', 'A', 'R', 'D' };

	put32(p, id);
	frame(a, SVCPORT_DEVICE_ADD, p, sizeof(p));
}

static void hello(struct agent *a, uint32_t flags)
{
	uint8_t p[8 + 4] = { 1, 0, 0, 0, 0, 0, 0, 0, 'f', 'u', 'z', 'z' };

	put32(p + 4, flags);
	frame(a, SVCPORT_HELLO, p, sizeof(p));
}

static void completion(struct agent *a, const uint8_t *p, size_t len)
{
	uint8_t buf[4 + 16 + 4096];

	if (!len || !a->io.ct.n || len - 1 > 4096)
		return;
	buf[0] = 0x72;
	buf[1] = 0x44;
	buf[2] = 0x43;		/* PAKID_CORE_DEVICE_IOCOMPLETION, 'CI' */
	buf[3] = 0x49;
	put32(buf + 4, a->io.have_device ? a->io.device_id : DEV_ID);
	put32(buf + 8, a->io.ct.v[p[0] % a->io.ct.n].cid);
	put32(buf + 12, 0);
	put32(buf + 16, (uint32_t)(len - 1));
	memcpy(buf + 20, p + 1, len - 1);
	frame(a, SVCPORT_IO_COMPLETION, buf, (uint32_t)(20 + len - 1));
}

static void raw_bytes(struct fuzz_rig *r, const uint8_t *p, size_t len)
{
	if (len && write(r->sv[1], p, len) < 0)
		return;
	agent_channel_input_for_test(r->a);
}

static void control(struct agent *a, const uint8_t *p, size_t len)
{
	switch (len ? p[0] % 5 : 0) {
	case 0:
		frame(a, SVCPORT_RESET, NULL, 0);
		device_add(a, DEV_ID);
		break;
	case 1:
		frame(a, SVCPORT_CHANNEL_CLOSE, NULL, 0);
		break;
	case 2:
		channel_open(a);
		device_add(a, DEV_ID);
		break;
	case 3:
		agent_run_timers(a, ~0ull >> 1);
		break;
	case 4:
		hello(a, len >= 5 ? (uint32_t)p[1] | (uint32_t)p[2] << 8 |
			  (uint32_t)p[3] << 16 | (uint32_t)p[4] << 24 : 0);
		break;
	}
}

static void start(struct fuzz_rig *r)
{
	hello(r->a, SVCPORT_HELLO_DEVICE);
	channel_open(r->a);
	device_add(r->a, DEV_ID);
}

static void record(struct fuzz_rig *r, uint8_t kind, const uint8_t *p, size_t len)
{
	struct agent *a = r->a;

	switch (kind % 7) {
	case 0:
		raw_bytes(r, p, len);
		break;
	case 1:
		completion(a, p, len);
		break;
	case 2:
		frame(a, SVCPORT_IO_COMPLETION, p, (uint32_t)len);
		break;
	case 3:
		frame(a, len && p[0] % 2 ? SVCPORT_DEVICE_REMOVE : SVCPORT_DEVICE_ADD,
		      len ? p + 1 : p, len ? (uint32_t)len - 1 : 0);
		break;
	case 4:
		kernel_request(r, p, len);
		break;
	case 5:
		control(a, p, len);
		break;
	case 6:
		frame(a, len ? p[0] : 0, len ? p + 1 : p, len ? (uint32_t)len - 1 : 0);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	return fuzz_run(data, size, start, record);
}
