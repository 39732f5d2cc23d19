/* SPDX-License-Identifier: MIT */
/* One RDP connection: its freerdp peer, rdpdr channel and agent. */
#ifndef VSCARD_RDP_PEER_H
#define VSCARD_RDP_PEER_H

#include <freerdp/freerdp.h>
#include <freerdp/peer.h>
#include <winpr/synch.h>

#include "rdp_server.h"

struct peer {
	struct peer *next;		/* registry list, under its lock */
	unsigned int id;
	struct server *srv;
	freerdp_peer *client;
	HANDLE stop;			/* manual-reset event: leave the loop */
	bool key_claimed;		/* under the registry lock */
	uint8_t claim[RDPSRV_KEY_LEN];	/* the session key, or with --sessions a per-user token */
	bool user_session;		/* --sessions: holds its user's vscard session */
	char user[64];			/* --sessions: the local user */
	HANDLE vcm;			/* WTS virtual channel manager */
	HANDLE rdpdr;			/* the rdpdr channel, NULL if not joined */
	HANDLE rdpdr_event;
	HANDLE agent_event;
	struct agent_link agent;
	bool agent_warned;
	char addr[64];
};

/* The peer's rdpContext extension. */
struct peer_context {
	rdpContext base;
	struct peer *peer;
};

#endif /* VSCARD_RDP_PEER_H */
