// SPDX-License-Identifier: MIT
/*
 * One thread per RDP connection.  It runs the freerdp peer, opens the
 * rdpdr static channel through the WTS API (libfreerdp-server2 reassembles
 * each channel message, so one WTSVirtualChannelRead is one rdpdr PDU),
 * starts the connection's vscard-agent and moves whole messages:
 *
 *   client -> WTSVirtualChannelRead  -> svcport DATA -> agent
 *   agent  -> svcport DATA -> WTSVirtualChannelWrite -> client
 *
 * The agent gets HELLO and CHANNEL_OPEN (with the session key) when the
 * connection is active, and CHANNEL_CLOSE before its socket is closed.
 *
 * With --sessions the agent is not started here: the RDP user name maps to
 * a local account, usessions.c opens that user's vscard session (whose
 * agent runs as the user) and the connection talks to the agent's socket.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <freerdp/channels/wtsvc.h>
#include <freerdp/settings.h>
#include <winpr/thread.h>
#include <winpr/wtsapi.h>

#include <vscard/svcport.h>

#include "peer.h"

#define MAX_HANDLES	32
#define AGENT_CONNECT_MS 10000

static BOOL peer_context_new(freerdp_peer *client, rdpContext *ctx)
{
	struct peer_context *pc = (struct peer_context *)ctx;

	pc->peer = client->ContextExtra;
	pc->peer->vcm = WTSOpenServerA((LPSTR)ctx);
	return pc->peer->vcm && pc->peer->vcm != INVALID_HANDLE_VALUE;
}

static void peer_context_free(freerdp_peer *client, rdpContext *ctx)
{
	struct peer_context *pc = (struct peer_context *)ctx;
	struct peer *p = pc->peer;

	if (!p)
		return;
	if (p->rdpdr) {
		WTSVirtualChannelClose(p->rdpdr);
		p->rdpdr = NULL;
	}
	if (p->vcm) {
		WTSCloseServer(p->vcm);
		p->vcm = NULL;
	}
}

static struct peer *peer_of(freerdp_peer *client)
{
	return ((struct peer_context *)client->context)->peer;
}

static const char *setting(rdpSettings *s, size_t id)
{
	const char *v = freerdp_settings_get_string(s, id);

	return v ? v : "";
}

/* Client -> agent: every queued rdpdr message as one DATA frame. */
static int pump_channel(struct peer *p)
{
	ULONG len, got;
	BYTE *buf;

	for (;;) {
		if (!WTSVirtualChannelRead(p->rdpdr, 0, NULL, 0, &len))
			return 0;	/* nothing queued */
		buf = malloc(len ? len : 1);
		if (!buf)
			return -1;
		if (!WTSVirtualChannelRead(p->rdpdr, 0, (PCHAR)buf, len, &got) || got != len) {
			free(buf);
			return -1;
		}
		if (p->agent.fd >= 0 && !p->agent.eof) {
			if (agent_link_send(&p->agent, SVCPORT_DATA, buf, len) < 0)
				srv_log("peer %u: agent stopped reading", p->id);
		} else if (!p->agent_warned) {
			srv_log("peer %u: no agent: dropping rdpdr traffic", p->id);
			p->agent_warned = true;
		}
		free(buf);
	}
}

/* Agent -> client. */
static int on_agent_frame(void *arg, uint16_t type, const uint8_t *payload, uint32_t len)
{
	struct peer *p = arg;
	ULONG written = 0;

	switch (type) {
	case SVCPORT_DATA:
		if (!p->rdpdr)
			return 0;
		if (!WTSVirtualChannelWrite(p->rdpdr, (PCHAR)payload, len, &written) ||
		    written != len) {
			srv_log("peer %u: rdpdr write of %u bytes failed", p->id, len);
			return -1;
		}
		return 0;
	case SVCPORT_HELLO:
		srv_debug(&p->srv->cfg, "peer %u: agent hello (%u bytes)", p->id, len);
		return 0;
	default:
		srv_debug(&p->srv->cfg, "peer %u: agent frame type %u ignored", p->id, type);
		return 0;
	}
}

static BOOL open_rdpdr(struct peer *p)
{
	rdpSettings *s = p->client->settings;
	const char *user = setting(s, FreeRDP_Username);
	const char *domain = setting(s, FreeRDP_Domain);
	const char *name = setting(s, FreeRDP_ClientHostname);
	uint8_t key[RDPSRV_KEY_LEN], token[RDPSRV_KEY_LEN];
	char hex[2 * 8 + 1], sock[256];
	void *buf = NULL;
	DWORD blen = 0;

	if (!WTSVirtualChannelManagerIsChannelJoined(p->vcm, "rdpdr")) {
		srv_log("peer %u: client %s did not join rdpdr: no device redirection",
			p->id, name);
		return TRUE;
	}
	if (session_key_derive(p->srv->cfg.secret, user, domain, name, key)) {
		srv_log("peer %u: no session key for client %s", p->id, name);
		return FALSE;
	}
	/*
	 * The claim: the session key, or with --sessions the user (one agent
	 * per user serves one connection at a time; a second connection of
	 * the same user takes the session over, as Windows RDS does).
	 */
	if (!p->srv->cfg.sessions)
		memcpy(token, key, sizeof(token));
	else if (session_key_derive(p->srv->cfg.secret, p->user, "vscard-user-session", "",
				    token))
		return FALSE;
	if (sessions_claim(&p->srv->sessions, p, token)) {
		srv_log("peer %u: the previous connection of this session did not end", p->id);
		return FALSE;
	}
	key_hex(key, 8, hex, sizeof(hex));
	p->rdpdr = WTSVirtualChannelOpen(p->vcm, WTS_CURRENT_SESSION, "rdpdr");
	if (!p->rdpdr) {
		srv_log("peer %u: WTSVirtualChannelOpen(rdpdr) failed", p->id);
		return FALSE;
	}
	if (!WTSVirtualChannelQuery(p->rdpdr, WTSVirtualEventHandle, &buf, &blen) ||
	    blen < sizeof(HANDLE)) {
		srv_log("peer %u: no rdpdr event handle", p->id);
		return FALSE;
	}
	p->rdpdr_event = *(HANDLE *)buf;
	WTSFreeMemory(buf);

	if (p->srv->cfg.sessions) {
		p->user_session = true;
		if (usession_acquire(p->srv, p->user, sock, sizeof(sock))) {
			srv_log("peer %u: no vscard session for %s: no smart cards", p->id,
				p->user);
			return TRUE;	/* the desktop still works, without cards */
		}
		if (agent_link_connect(&p->agent, sock, AGENT_CONNECT_MS)) {
			srv_log("peer %u: the agent of session rdp-%s does not answer on %s",
				p->id, p->user, sock);
			return TRUE;
		}
	} else if (agent_link_spawn(&p->agent, &p->srv->cfg)) {
		srv_log("peer %u: cannot start %s", p->id, p->srv->cfg.agent);
		return TRUE;	/* the desktop still works, without cards */
	}
	p->agent_event = CreateFileDescriptorEvent(NULL, FALSE, FALSE, p->agent.fd,
						   WINPR_FD_READ);
	if (!p->agent_event || agent_link_send_hello(&p->agent) ||
	    agent_link_send_open(&p->agent, key, sizeof(key), name, user)) {
		srv_log("peer %u: agent %d did not take the channel", p->id, (int)p->agent.pid);
		return TRUE;
	}
	if (p->user_session)
		srv_log("peer %u: rdpdr open: user '%s' client '%s' session %s... agent of"
			" rdp-%s (%s)", p->id, user, name, hex, p->user, sock);
	else
		srv_log("peer %u: rdpdr open: user '%s' client '%s' session %s... agent pid %d",
			p->id, user, name, hex, (int)p->agent.pid);
	return TRUE;
}

static BOOL on_post_connect(freerdp_peer *client)
{
	struct peer *p = peer_of(client);
	rdpSettings *s = client->settings;

	srv_log("peer %u: logon from %s: user '%s' domain '%s' client '%s'%s", p->id,
		p->addr, setting(s, FreeRDP_Username), setting(s, FreeRDP_Domain),
		setting(s, FreeRDP_ClientHostname),
		p->srv->cfg.test_mode ? " (test mode: credentials not checked)" : "");
	if (p->srv->cfg.sessions) {
		const char *rdp_user = setting(s, FreeRDP_Username), *why = "";
		uid_t uid;

		/* --test-mode: the RDP user name must be a local account. */
		if (usession_map_user(rdp_user, &uid, &why)) {
			srv_log("peer %u: logon refused: RDP user '%s' %s (--sessions maps an"
				" RDP user name to the local account of that name, uid >= 1000)",
				p->id, rdp_user, why);
			return FALSE;
		}
		snprintf(p->user, sizeof(p->user), "%s", rdp_user);
		srv_log("peer %u: RDP user '%s' is local user %s (uid %u)", p->id, rdp_user,
			p->user, (unsigned int)uid);
	}
	return open_rdpdr(p);
}

static BOOL on_activate(freerdp_peer *client)
{
	if (desktop_paint(client))
		srv_debug(&peer_of(client)->srv->cfg, "peer %u: desktop not painted",
			  peer_of(client)->id);
	return TRUE;
}

/* Settings exist once the context does. */
static int configure(struct peer *p)
{
	rdpSettings *s = p->client->settings;
	const struct server_config *cfg = &p->srv->cfg;

	if (!s || !freerdp_settings_set_string(s, FreeRDP_CertificateFile, cfg->cert) ||
	    !freerdp_settings_set_string(s, FreeRDP_PrivateKeyFile, cfg->key) ||
	    !freerdp_settings_set_string(s, FreeRDP_RdpKeyFile, cfg->key))
		return -1;
	/* TLS only: no NLA (no credential store), no weak RDP security. */
	freerdp_settings_set_bool(s, FreeRDP_RdpSecurity, FALSE);
	freerdp_settings_set_bool(s, FreeRDP_TlsSecurity, TRUE);
	freerdp_settings_set_bool(s, FreeRDP_NlaSecurity, FALSE);
	freerdp_settings_set_uint32(s, FreeRDP_ColorDepth, 32);
	freerdp_settings_set_bool(s, FreeRDP_SuppressOutput, TRUE);
	freerdp_settings_set_bool(s, FreeRDP_RefreshRect, TRUE);
	return 0;
}

static void run(struct peer *p)
{
	freerdp_peer *client = p->client;
	HANDLE handles[MAX_HANDLES];
	DWORD count, status;

	for (;;) {
		count = client->GetEventHandles(client, handles, MAX_HANDLES - 4);
		if (!count) {
			srv_log("peer %u: no event handles", p->id);
			break;
		}
		handles[count++] = p->stop;
		handles[count++] = WTSVirtualChannelManagerGetEventHandle(p->vcm);
		if (p->rdpdr_event)
			handles[count++] = p->rdpdr_event;
		if (p->agent_event && !p->agent.eof)
			handles[count++] = p->agent_event;
		status = WaitForMultipleObjects(count, handles, FALSE, INFINITE);
		if (status == WAIT_FAILED)
			break;
		if (WaitForSingleObject(p->stop, 0) == WAIT_OBJECT_0)
			break;
		if (!client->CheckFileDescriptor(client))
			break;
		if (!WTSVirtualChannelManagerCheckFileDescriptor(p->vcm))
			break;
		if (p->rdpdr && pump_channel(p) < 0)
			break;
		if (p->agent_event && !p->agent.eof &&
		    WaitForSingleObject(p->agent_event, 0) == WAIT_OBJECT_0) {
			int rc = agent_link_pump(&p->agent, on_agent_frame, p);

			if (rc == -2)
				break;	/* the client side failed */
			if (rc < 0 && p->user_session)
				srv_log("peer %u: the agent of rdp-%s closed its channel; the"
					" session goes on without smart cards", p->id, p->user);
			else if (rc < 0)
				srv_log("peer %u: agent %d closed its channel; the session"
					" goes on without smart cards", p->id, (int)p->agent.pid);
			/* Send what the writes queued. */
			if (!WTSVirtualChannelManagerCheckFileDescriptor(p->vcm))
				break;
		}
	}
}

static DWORD WINAPI peer_thread(LPVOID arg)
{
	struct peer *p = arg;
	freerdp_peer *client = p->client;

	client->ContextSize = sizeof(struct peer_context);
	client->ContextNew = peer_context_new;
	client->ContextFree = peer_context_free;
	if (!freerdp_peer_context_new(client)) {
		srv_log("peer %u: no context", p->id);
		close(client->sockfd);	/* nothing else owns it yet */
		goto out;
	}
	if (configure(p)) {
		srv_log("peer %u: setup failed", p->id);
		goto out_ctx;
	}
	client->PostConnect = on_post_connect;
	client->Activate = on_activate;
	if (!client->Initialize(client)) {
		srv_log("peer %u: initialisation failed", p->id);
		goto out_ctx;
	}
	run(p);
	srv_log("peer %u: disconnected", p->id);
	if (p->agent.fd >= 0) {
		agent_link_send(&p->agent, SVCPORT_CHANNEL_CLOSE, NULL, 0);
		agent_link_close(&p->agent);
	}
	client->Disconnect(client);
out_ctx:
	freerdp_peer_context_free(client);
out:
	if (p->agent.fd >= 0)
		agent_link_close(&p->agent);
	if (p->agent_event)
		CloseHandle(p->agent_event);
	/*
	 * The agent is gone (or, with --sessions, has no adapter: its slots
	 * linger in the kernel and so does the user's session), then the
	 * claim is free for a reconnect.
	 */
	if (p->user_session)
		usession_release(p->srv, p->user);
	sessions_release(&p->srv->sessions, p);
	freerdp_peer_free(client);
	sessions_remove(&p->srv->sessions, p);	/* nobody signals p->stop now */
	CloseHandle(p->stop);
	free(p);
	return 0;
}

int peer_start(struct server *srv, void *freerdp_client)
{
	freerdp_peer *client = freerdp_client;
	struct peer *p = calloc(1, sizeof(*p));
	HANDLE t;

	if (!p)
		return -1;
	p->srv = srv;
	p->client = client;
	p->agent.fd = -1;
	p->agent.pid = -1;
	snprintf(p->addr, sizeof(p->addr), "%s", client->hostname);
	p->stop = CreateEvent(NULL, TRUE, FALSE, NULL);
	if (!p->stop) {
		free(p);
		return -1;
	}
	client->ContextExtra = p;
	sessions_add(&srv->sessions, p);
	srv_log("peer %u: connection from %s", p->id, p->addr);
	t = CreateThread(NULL, 0, peer_thread, p, 0, NULL);
	if (!t) {
		sessions_remove(&srv->sessions, p);
		CloseHandle(p->stop);
		free(p);
		return -1;
	}
	CloseHandle(t);
	return 0;
}

void peer_request_stop(struct peer *p)
{
	SetEvent(p->stop);
}
