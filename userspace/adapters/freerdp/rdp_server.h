/* SPDX-License-Identifier: MIT */
/*
 * vscard-rdp-server: a minimal libfreerdp-server2 RDP server that relays
 * the rdpdr static channel of every connection to its own vscard-agent
 * in svcport frames (userspace/include/vscard/svcport.h).
 *
 * Threads: the main thread runs the listener (and, with --sessions, closes
 * the user sessions whose linger ran out); every accepted connection gets
 * one peer thread (peer.c) that owns the RDP peer, its rdpdr channel and
 * its agent link (agent_link.c): an agent child on a socketpair, or with
 * --sessions a connection to the agent of the user's vscard session
 * (usessions.c).  Shared state is the session registry (sessions.c) and
 * the user-session table (usessions.c), each behind its own mutex.
 */
#ifndef VSCARD_RDP_SERVER_H
#define VSCARD_RDP_SERVER_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RDPSRV_SECRET_LEN	32
#define RDPSRV_KEY_LEN		32	/* HMAC-SHA256 output */
#define RDPSRV_MAX_AGENT_ARGS	16

struct server_config {
	const char *bind;		/* listen address, default 127.0.0.1 */
	uint16_t port;			/* default 3389 */
	const char *cert;		/* PEM certificate (generated if NULL) */
	const char *key;		/* PEM RSA private key */
	const char *agent;		/* vscard-agent executable */
	const char *agent_args[RDPSRV_MAX_AGENT_ARGS];
	int n_agent_args;
	uint32_t pool;
	long linger_ms;			/* < 0: agent default */
	const char *secret_file;	/* session-key secret (random if NULL) */
	bool test_mode;			/* accept any credentials */
	bool sessions;			/* --sessions: one vscard-session per local user */
	const char *session_cmd;	/* vscard-session executable (--sessions) */
	uint32_t slots;			/* --slots: a session's pool size (--sessions) */
	int verbose;
	uint8_t secret[RDPSRV_SECRET_LEN];
};

/* log.c: one line to stderr, prefixed with the program name. */
void srv_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void srv_debug(const struct server_config *cfg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* cert.c: make a self-signed certificate with the openssl CLI. */
struct generated_cert {
	char dir[64];
	char cert[96];
	char key[96];
};
int cert_generate(struct generated_cert *g);
void cert_cleanup(struct generated_cert *g);

/* session_key.c */
int secret_load_or_create(const char *path, uint8_t secret[RDPSRV_SECRET_LEN]);
int session_key_derive(const uint8_t secret[RDPSRV_SECRET_LEN], const char *user,
		       const char *domain, const char *client_name,
		       uint8_t key[RDPSRV_KEY_LEN]);
void key_hex(const uint8_t *key, size_t len, char *out, size_t outlen);

/* agent_link.c: one agent child on a socketpair, svcport frames. */
struct agent_link {
	pid_t pid;
	int fd;				/* our end of the socketpair, -1 if none */
	uint8_t *rxbuf;			/* SVCFRAME_BUF_SIZE bytes */
	void *reader;			/* struct svcframe_reader */
	bool eof;
};
int agent_link_spawn(struct agent_link *l, const struct server_config *cfg);
/*
 * --sessions: connect to the session agent's --listen socket at path and
 * wait for its HELLO (an agent still serving the previous connection
 * refuses the new one: retried until timeout_ms).  pid stays -1: the
 * agent belongs to vscard-session, closing the link leaves it running.
 */
int agent_link_connect(struct agent_link *l, const char *path, int timeout_ms);
int agent_link_send(struct agent_link *l, uint16_t type, const void *payload, size_t len);
int agent_link_send_hello(struct agent_link *l);
int agent_link_send_open(struct agent_link *l, const uint8_t *key, size_t key_len,
			 const char *client_name, const char *user);
/*
 * Read what the socket has (non-blocking) and call cb for every whole
 * frame.  Returns 0; -1 when the agent is gone or broke the framing (the
 * link is then at EOF); -2 when cb failed.
 */
typedef int (*agent_frame_cb)(void *arg, uint16_t type, const uint8_t *payload, uint32_t len);
int agent_link_pump(struct agent_link *l, agent_frame_cb cb, void *arg);
/* Close our end, wait for the child (SIGTERM, then SIGKILL, if it lingers). */
void agent_link_close(struct agent_link *l);

/* sessions.c: which session keys are live, for reconnect takeover. */
struct peer;
struct session_registry {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct peer *peers;		/* every live peer thread */
	unsigned int next_id;
	unsigned int count;
};
void sessions_init(struct session_registry *r);
void sessions_add(struct session_registry *r, struct peer *p);
void sessions_remove(struct session_registry *r, struct peer *p);
/*
 * Claim key for p.  A live peer holding the same key is told to stop (a
 * reconnect of the same session replaces the old connection, which may be
 * half dead); waits up to timeout_ms for it to release the key.
 */
int sessions_claim(struct session_registry *r, struct peer *p, const uint8_t *token);
void sessions_release(struct session_registry *r, struct peer *p);
void sessions_stop_all(struct session_registry *r);
/* Wait until every peer thread has finished, at most timeout_ms. */
bool sessions_wait_empty(struct session_registry *r, int timeout_ms);

/*
 * usessions.c (--sessions): the vscard-session of every local user with a
 * connection or a lingering session, rdp-USER.  A user's session is held
 * by at most one connection (sessions_claim with a per-user token sees to
 * that); released, it lingers for linger_ms, then is closed.
 */
enum usession_state { US_ACTIVE, US_LINGER, US_CLOSING };
struct usession {
	struct usession *next;
	char user[64];
	char id[80];			/* rdp-USER */
	enum usession_state state;
	struct timespec deadline;	/* US_LINGER: close then */
};
struct usession_table {
	pthread_mutex_t lock;
	pthread_cond_t changed;
	struct usession *list;
	void *wake;			/* winpr event: a session started lingering */
};
struct server;
/* The local account an RDP user name maps to (0), or -1 with why set. */
int usession_map_user(const char *rdp_user, uid_t *uid, const char **why);
/*
 * Hold user's session for a connection: waits for a close in progress,
 * cancels a linger, runs vscard-session open --agent.  Returns 0 and the
 * agent's socket path, or -1 (the session could not be opened).
 */
int usession_acquire(struct server *srv, const char *user, char *sock, size_t socklen);
/* The connection is gone: the session lingers for the linger time. */
void usession_release(struct server *srv, const char *user);
/* Close the sessions whose linger ran out (all of them if all). */
void usession_expire(struct server *srv, bool all);
/* How long the main loop may sleep before the next expiry, in ms. */
int usession_next_ms(struct server *srv);

/* peer.c */
struct server {
	struct server_config cfg;
	struct session_registry sessions;
	struct usession_table users;
};
/* PeerAccepted: start the peer thread for a freerdp_peer. */
int peer_start(struct server *srv, void *freerdp_peer);
void peer_request_stop(struct peer *p);

/* desktop.c: paint a trivial desktop (surface bits, no codec). */
int desktop_paint(void *freerdp_peer);

#endif /* VSCARD_RDP_SERVER_H */
