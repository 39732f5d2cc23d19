/* SPDX-License-Identifier: MIT */
/*
 * The "SVC port": framing between an RDP-server adapter and vscard-agent.
 *
 * One agent serves one RDP session.  The adapter owns the RDP connection;
 * the agent owns every RDPDR/RDPESC semantic.  They talk over a Unix
 * SOCK_STREAM (an inherited fd, usually a socketpair) in frames:
 *
 *   struct svcport_hdr (8 bytes, little endian) + payload[length]
 *
 * Payloads are at most SVCPORT_PAYLOAD_MAX bytes; a larger length is a
 * protocol error and the receiver closes the connection.
 * Documentation/agent.rst is the prose description.
 *
 * Two modes, chosen by the adapter's HELLO flags:
 *
 *  - channel mode (flags 0): the adapter relays the whole rdpdr static
 *    channel in DATA frames; the agent runs the RDPDR core (Server
 *    Announce, capabilities, device list) and the smart-card device.
 *  - device mode (SVCPORT_HELLO_DEVICE): the adapter runs the RDPDR core
 *    and every other device (drives, printers; xrdp's chansrv), and hands
 *    the agent one smart-card device: DEVICE_ADD / DEVICE_REMOVE, the
 *    device's I/O requests and their completions.  DATA is not used.
 *
 * CompletionIds in device mode: the agent numbers its IO_REQUESTs; an id
 * is unique among the agent's outstanding requests.  The adapter owns the
 * channel's CompletionId space: it gives every IO_REQUEST a fresh channel
 * id, remembers the agent's, and puts the agent's id back into the
 * IO_COMPLETION.  An IO_REQUEST whose agent id is still outstanding is a
 * protocol error (the adapter closes the connection).  The adapter answers
 * every IO_REQUEST with exactly one IO_COMPLETION, or voids it with a
 * later RESET, CHANNEL_CLOSE or DEVICE_REMOVE of the device: those end
 * every outstanding request on both sides, and a completion the client
 * sends afterwards for a voided request is dropped by the adapter, never
 * delivered (an id is only ever matched to the request it was issued for).
 */
#ifndef VSCARD_SVCPORT_H
#define VSCARD_SVCPORT_H

#include <stdint.h>

#define SVCPORT_VERSION		1
/* HELLO flags (adapter -> agent) */
#define SVCPORT_HELLO_DEVICE	0x1u	/* device mode (above) */
#define SVCPORT_HDR_SIZE	8
#define SVCPORT_PAYLOAD_MAX	(1024 * 1024)

struct svcport_hdr {
	uint32_t length;	/* payload bytes that follow */
	uint16_t type;		/* enum svcport_type */
	uint16_t flags;		/* 0; receivers ignore unknown flags */
};

enum svcport_type {
	/*
	 * Both directions, first frame each side sends.  Payload: u32 version
	 * (SVCPORT_VERSION), u32 flags (the agent: 0; the adapter: 0 or
	 * SVCPORT_HELLO_DEVICE), then the sender's name in UTF-8
	 * (rest of the payload, no NUL).
	 */
	SVCPORT_HELLO = 1,
	/*
	 * Adapter -> agent: the rdpdr static channel is usable.  Payload: TLVs
	 * {u16 tag, u16 len, bytes[len]} with enum svcport_tag.  SESSION_KEY
	 * is mandatory; it is the explicit identity of the RDP session (never
	 * an address) and stays the same when the same session reconnects.
	 */
	SVCPORT_CHANNEL_OPEN = 2,
	/* Both directions: exactly one complete, reassembled rdpdr message. */
	SVCPORT_DATA = 3,
	/*
	 * Adapter -> agent: the client disconnected; the session may come
	 * back (a new CHANNEL_OPEN with the same key).  Everything remote is
	 * invalid: contexts, handles, outstanding CompletionIds, the device.
	 * The adapter closing the socket means the same.
	 */
	SVCPORT_CHANNEL_CLOSE = 4,
	/*
	 * Adapter -> agent: the channel was re-initialised without a
	 * disconnect; the agent restarts the RDPDR sequence (Server Announce)
	 * and fails everything outstanding.  Device mode: everything
	 * outstanding fails and the device is gone until the next DEVICE_ADD.
	 */
	SVCPORT_RESET = 5,
	/*
	 * Device mode, adapter -> agent: the client announced a smart-card
	 * device.  Payload: u32 DeviceId, u32 DeviceType (0x20, RDPDR_DTYP_
	 * SMARTCARD), u8 PreferredDosName[8] (as announced, e.g. "SCARD").
	 * The same DeviceId again is idempotent (FreeRDP announces twice); a
	 * new DeviceId replaces the old device (as DEVICE_REMOVE, then ADD).
	 */
	SVCPORT_DEVICE_ADD = 6,
	/*
	 * Device mode, adapter -> agent: the client removed the device.
	 * Payload: u32 DeviceId.  Outstanding requests are void.
	 */
	SVCPORT_DEVICE_REMOVE = 7,
	/*
	 * Device mode, agent -> adapter: one whole DR_DEVICE_IOREQUEST PDU as
	 * it goes on the channel, RDPDR_HEADER included (24-byte header:
	 * 'rD' 'IR', DeviceId, FileId, CompletionId at offset 12, Major,
	 * Minor; then the function's fields).  Only IRP_MJ_DEVICE_CONTROL on
	 * the added DeviceId is accepted; the adapter answers anything else,
	 * or a request while no device is added, at once with an
	 * IO_COMPLETION whose IoStatus is STATUS_INVALID_DEVICE_REQUEST
	 * (0xC0000010) or STATUS_NO_SUCH_DEVICE (0xC000000E) and no output.
	 */
	SVCPORT_IO_REQUEST = 8,
	/*
	 * Device mode, adapter -> agent: one whole DR_DEVICE_IOCOMPLETION PDU
	 * as the client sent it ('rD' 'CI', DeviceId, CompletionId at offset
	 * 8, IoStatus, then the function's fields), with the agent's
	 * CompletionId put back.
	 */
	SVCPORT_IO_COMPLETION = 9,
};

enum svcport_tag {
	SVCPORT_TAG_SESSION_KEY = 1,	/* opaque bytes, 1..64 */
	SVCPORT_TAG_CLIENT_NAME = 2,	/* UTF-8 */
	SVCPORT_TAG_USER = 3,		/* UTF-8 */
	SVCPORT_TAG_CHANNEL = 4,	/* UTF-8, "rdpdr" */
};

#endif /* VSCARD_SVCPORT_H */
