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
 */
#ifndef VSCARD_SVCPORT_H
#define VSCARD_SVCPORT_H

#include <stdint.h>

#define SVCPORT_VERSION		1
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
	 * (SVCPORT_VERSION), u32 flags (0), then the sender's name in UTF-8
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
	 * invalid: contexts, handles, outstanding CompletionIds.
	 */
	SVCPORT_CHANNEL_CLOSE = 4,
	/*
	 * Adapter -> agent: the channel was re-initialised without a
	 * disconnect; the agent restarts the RDPDR sequence (Server Announce)
	 * and fails everything outstanding.
	 */
	SVCPORT_RESET = 5,
};

enum svcport_tag {
	SVCPORT_TAG_SESSION_KEY = 1,	/* opaque bytes, 1..64 */
	SVCPORT_TAG_CLIENT_NAME = 2,	/* UTF-8 */
	SVCPORT_TAG_USER = 3,		/* UTF-8 */
	SVCPORT_TAG_CHANNEL = 4,	/* UTF-8, "rdpdr" */
};

#endif /* VSCARD_SVCPORT_H */
