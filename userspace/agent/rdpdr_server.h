/* SPDX-License-Identifier: MIT */
/*
 * Channel mode: the RDPDR (MS-RDPEFS) core in the server role, for an
 * adapter that relays the whole rdpdr static channel in DATA frames.  It
 * runs the initialization handshake and the device list, keeps the one
 * smart-card device, and hands that device's I/O to rdpdr_io.c.
 */
#ifndef AGENT_RDPDR_SERVER_H
#define AGENT_RDPDR_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "bytebuf.h"
#include "rdpdr_io.h"

enum rdpdr_state {
	RDPDR_CLOSED = 0,		/* no channel */
	RDPDR_WAIT_ANNOUNCE_REPLY,
	RDPDR_WAIT_NAME,
	RDPDR_WAIT_CAPS,
	RDPDR_RUNNING,
};

struct rdpdr_server {
	enum rdpdr_state state;
	uint32_t client_id;
	uint16_t client_minor;
	uint32_t client_extended;	/* extendedPDU from the client caps */
	bool logged_on_sent;
	char client_name[256];		/* = librdpcodec RDPDR_NAME_MAX */
	uint64_t frames_bad;		/* PDUs dropped as malformed or unexpected */
	struct rdpdr_io *io;		/* the smart-card device's I/O */
	rdpdr_send_fn *send;		/* one PDU toward the client (DATA) */
	void *send_ctx;
	struct bytebuf scratch;
};

void rdpdr_server_init(struct rdpdr_server *s, struct rdpdr_io *io,
		       rdpdr_send_fn *send, void *send_ctx);
void rdpdr_server_fini(struct rdpdr_server *s);
/* The channel opened or was reset: Server Announce, a new ClientId. */
void rdpdr_server_start(struct rdpdr_server *s);
/* The channel went (after rdpdr_io_reset()). */
void rdpdr_server_close(struct rdpdr_server *s);
/* One whole rdpdr message from the client (untrusted). */
void rdpdr_server_receive(struct rdpdr_server *s, const uint8_t *p, size_t len);
const char *rdpdr_state_name(enum rdpdr_state st);

#endif
