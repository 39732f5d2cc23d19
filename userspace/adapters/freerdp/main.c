// SPDX-License-Identifier: MIT
/* vscard-rdp-server: command line, listener, shutdown. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <freerdp/channels/channels.h>
#include <freerdp/freerdp.h>
#include <freerdp/listener.h>
#include <winpr/ssl.h>
#include <winpr/synch.h>
#include <winpr/wtsapi.h>

#include "rdp_server.h"

#define SHUTDOWN_WAIT_MS	15000
#define DEFAULT_SLOTS		4

static int signal_pipe[2] = { -1, -1 };

static void usage(FILE *f)
{
	fprintf(f,
"Usage: vscard-rdp-server --test-mode [OPTIONS]\n"
"\n"
"A minimal RDP server (libfreerdp-server2) whose only job is smart-card\n"
"redirection: every connection's rdpdr channel goes to its own vscard-agent,\n"
"so the client's smart cards appear as local PC/SC readers (vscard slots).\n"
"The desktop is a plain picture.\n"
"\n"
"  --test-mode            accept ANY user name and password (there is no\n"
"                         authentication: required, for tests and demos)\n"
"  --bind ADDR            listen address (default 127.0.0.1)\n"
"  --port N               TCP port (default 3389)\n"
"  --cert FILE --key FILE TLS certificate and RSA key in PEM (default: a\n"
"                         self-signed pair made with openssl at startup)\n"
"  --agent PATH           vscard-agent to start per connection (default:\n"
"                         vscard-agent next to this program, else\n"
"                         /usr/sbin/vscard-agent)\n"
"  --agent-arg ARG        one more argument for the agent (repeatable)\n"
"  --pool N               vscard pool of the agents' slots (default 0)\n"
"  --linger-ms MS         the agents' --linger-ms (slot kept for a reconnect)\n"
"  --secret-file FILE     session-key secret, created if missing; keeps\n"
"                         session keys stable across server restarts\n"
"  --sessions             per-user sessions (root only): the RDP user name\n"
"                         must be a local account (uid >= 1000); its\n"
"                         connection gets vscard-session rdp-USER (a pool, a\n"
"                         pcscd and an agent running as that user)\n"
"  --slots N              --sessions: slots of a session's pool (default 4)\n"
"  --session-cmd PATH     --sessions: vscard-session to run (default: next to\n"
"                         this program, else /usr/local/sbin, /usr/sbin)\n"
"  -v, --verbose          more log lines\n"
"  -h, --help             this text\n"
"\n"
"Session key of a connection: HMAC-SHA256(secret, user, domain, client\n"
"name).  A reconnect of the same user from the same client rebinds the same\n"
"slots; another client name is another session, whatever its address.\n");
}

static void on_signal(int sig)
{
	char c = (char)sig;
	int saved = errno;

	if (write(signal_pipe[1], &c, 1) < 0) {
		/* the pipe is full: a stop is already pending */
	}
	errno = saved;
}

static int parse_num(const char *s, long min, long max, long *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

/*
 * The first executable of rel[] relative to this program's directory
 * (installed side by side, or the build tree layout), else fallback.
 */
static const char *next_to_self(char *buf, size_t len, const char *const *rel, size_t n,
				const char *fallback)
{
	char self[PATH_MAX - 64];
	ssize_t got = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;
	size_t i;

	if (got > 0) {
		self[got] = 0;
		slash = strrchr(self, '/');
		if (slash) {
			*slash = 0;
			for (i = 0; i < n; i++) {
				snprintf(buf, len, "%s/%s", self, rel[i]);
				if (!access(buf, X_OK))
					return buf;
			}
		}
	}
	return fallback;
}

static const char *default_agent(char *buf, size_t len)
{
	static const char *const rel[] = { "vscard-agent", "../agent/vscard-agent" };

	return next_to_self(buf, len, rel, 2, "/usr/sbin/vscard-agent");
}

static const char *default_session_cmd(char *buf, size_t len)
{
	static const char *const rel[] = {
		"vscard-session", "../../userspace/session/vscard-session",
	};

	if (next_to_self(buf, len, rel, 2, NULL))
		return buf;
	if (!access("/usr/local/sbin/vscard-session", X_OK))
		return "/usr/local/sbin/vscard-session";
	return "/usr/sbin/vscard-session";
}

enum {
	OPT_BIND = 256, OPT_PORT, OPT_CERT, OPT_KEY, OPT_AGENT, OPT_AGENT_ARG, OPT_POOL,
	OPT_LINGER, OPT_SECRET, OPT_TEST, OPT_SESSIONS, OPT_SLOTS, OPT_SESSION_CMD,
};

static const struct option options[] = {
	{ "bind", required_argument, NULL, OPT_BIND },
	{ "port", required_argument, NULL, OPT_PORT },
	{ "cert", required_argument, NULL, OPT_CERT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "agent", required_argument, NULL, OPT_AGENT },
	{ "agent-arg", required_argument, NULL, OPT_AGENT_ARG },
	{ "pool", required_argument, NULL, OPT_POOL },
	{ "linger-ms", required_argument, NULL, OPT_LINGER },
	{ "secret-file", required_argument, NULL, OPT_SECRET },
	{ "test-mode", no_argument, NULL, OPT_TEST },
	{ "sessions", no_argument, NULL, OPT_SESSIONS },
	{ "slots", required_argument, NULL, OPT_SLOTS },
	{ "session-cmd", required_argument, NULL, OPT_SESSION_CMD },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static int parse_args(int argc, char **argv, struct server_config *c)
{
	long v;
	int opt;

	c->bind = "127.0.0.1";
	c->port = 3389;
	c->linger_ms = -1;
	c->slots = DEFAULT_SLOTS;
	while ((opt = getopt_long(argc, argv, "vh", options, NULL)) != -1) {
		switch (opt) {
		case OPT_BIND:
			c->bind = optarg;
			break;
		case OPT_PORT:
			if (parse_num(optarg, 1, 65535, &v))
				return -1;
			c->port = (uint16_t)v;
			break;
		case OPT_CERT:
			c->cert = optarg;
			break;
		case OPT_KEY:
			c->key = optarg;
			break;
		case OPT_AGENT:
			c->agent = optarg;
			break;
		case OPT_AGENT_ARG:
			if (c->n_agent_args == RDPSRV_MAX_AGENT_ARGS)
				return -1;
			c->agent_args[c->n_agent_args++] = optarg;
			break;
		case OPT_POOL:
			if (parse_num(optarg, 0, 0x7fffffff, &v))
				return -1;
			c->pool = (uint32_t)v;
			break;
		case OPT_LINGER:
			if (parse_num(optarg, 0, 0x7fffffff, &v))
				return -1;
			c->linger_ms = v;
			break;
		case OPT_SECRET:
			c->secret_file = optarg;
			break;
		case OPT_TEST:
			c->test_mode = true;
			break;
		case OPT_SESSIONS:
			c->sessions = true;
			break;
		case OPT_SLOTS:
			if (parse_num(optarg, 1, 16, &v))
				return -1;
			c->slots = (uint32_t)v;
			break;
		case OPT_SESSION_CMD:
			c->session_cmd = optarg;
			break;
		case 'v':
			c->verbose++;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			return -1;
		}
	}
	if (optind != argc || !c->cert != !c->key)
		return -1;
	return 0;
}

static BOOL on_peer_accepted(freerdp_listener *l, freerdp_peer *client)
{
	struct server *srv = l->info;

	if (peer_start(srv, client)) {
		srv_log("cannot start a thread for %s", client->hostname);
		return FALSE;
	}
	return TRUE;
}

static int serve(struct server *srv)
{
	freerdp_listener *l = freerdp_listener_new();
	HANDLE handles[MAXIMUM_WAIT_OBJECTS];
	HANDLE sig_event = NULL;
	DWORD count;
	int rc = 1;

	if (!l)
		return 1;
	l->info = srv;
	l->PeerAccepted = on_peer_accepted;
	if (!l->Open(l, srv->cfg.bind, srv->cfg.port)) {
		srv_log("cannot listen on %s:%u", srv->cfg.bind, srv->cfg.port);
		goto out;
	}
	sig_event = CreateFileDescriptorEvent(NULL, FALSE, FALSE, signal_pipe[0], WINPR_FD_READ);
	if (!sig_event)
		goto out;
	if (srv->cfg.sessions)
		srv_log("listening on %s:%u, per-user sessions (%s, %u slots), agent %s%s",
			srv->cfg.bind, srv->cfg.port, srv->cfg.session_cmd, srv->cfg.slots,
			srv->cfg.agent,
			srv->cfg.test_mode ? "; TEST MODE: any credentials are accepted" : "");
	else
		srv_log("listening on %s:%u, agent %s, pool %u%s", srv->cfg.bind, srv->cfg.port,
			srv->cfg.agent, srv->cfg.pool,
			srv->cfg.test_mode ? "; TEST MODE: any credentials are accepted" : "");
	for (;;) {
		DWORD wait = INFINITE;
		int next;

		count = l->GetEventHandles(l, handles, MAXIMUM_WAIT_OBJECTS - 2);
		if (!count)
			break;
		handles[count++] = sig_event;
		if (srv->cfg.sessions) {
			handles[count++] = srv->users.wake;
			/* Close the sessions whose linger has run out. */
			usession_expire(srv, false);
			next = usession_next_ms(srv);
			if (next >= 0)
				wait = (DWORD)next + 10;
		}
		if (WaitForMultipleObjects(count, handles, FALSE, wait) == WAIT_FAILED)
			break;
		if (WaitForSingleObject(sig_event, 0) == WAIT_OBJECT_0) {
			srv_log("stopping");
			rc = 0;
			break;
		}
		if (!l->CheckFileDescriptor(l)) {
			srv_log("listener failed");
			break;
		}
	}
	l->Close(l);
	sessions_stop_all(&srv->sessions);
	if (!sessions_wait_empty(&srv->sessions, SHUTDOWN_WAIT_MS)) {
		srv_log("connections still open after %d ms", SHUTDOWN_WAIT_MS);
		rc = 1;
	}
	/* Every session this server opened, lingering or not, is closed. */
	if (srv->cfg.sessions)
		usession_expire(srv, true);
out:
	if (sig_event)
		CloseHandle(sig_event);
	freerdp_listener_free(l);
	return rc;
}

int main(int argc, char **argv)
{
	static struct server srv;
	struct server_config *c = &srv.cfg;
	struct generated_cert gen = { 0 };
	char agent[PATH_MAX + 64], session_cmd[PATH_MAX + 64];
	struct sigaction sa = { 0 };
	int rc;

	if (parse_args(argc, argv, c)) {
		usage(stderr);
		return 2;
	}
	if (!c->test_mode) {
		fprintf(stderr,
			"vscard-rdp-server: it has no authentication (any user name and password\n"
			"are accepted); run it with --test-mode to acknowledge that.\n");
		return 2;
	}
	if (!c->agent)
		c->agent = default_agent(agent, sizeof(agent));
	if (access(c->agent, X_OK))
		srv_log("warning: agent %s is not executable", c->agent);
	if (c->sessions) {
		/* vscard-session makes pools and starts processes as users. */
		if (geteuid()) {
			fprintf(stderr, "vscard-rdp-server: --sessions needs root (it runs"
				" vscard-session for every user)\n");
			return 2;
		}
		if (!c->session_cmd)
			c->session_cmd = default_session_cmd(session_cmd, sizeof(session_cmd));
		if (access(c->session_cmd, X_OK)) {
			srv_log("%s is not executable (--session-cmd)", c->session_cmd);
			return 2;
		}
	}
	if (secret_load_or_create(c->secret_file, c->secret))
		return 1;

	if (pipe2(signal_pipe, O_CLOEXEC | O_NONBLOCK))
		return 1;
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	winpr_InitializeSSL(WINPR_SSL_INIT_DEFAULT);
	WTSRegisterWtsApiFunctionTable(FreeRDP_InitWtsApi());
	if (!c->cert) {
		if (cert_generate(&gen)) {
			srv_log("cannot generate a certificate (is openssl installed?)");
			return 1;
		}
		c->cert = gen.cert;
		c->key = gen.key;
		srv_log("self-signed certificate %s", gen.cert);
	}
	sessions_init(&srv.sessions);
	pthread_mutex_init(&srv.users.lock, NULL);
	pthread_cond_init(&srv.users.changed, NULL);
	srv.users.wake = CreateEvent(NULL, FALSE, FALSE, NULL);
	if (!srv.users.wake)
		return 1;
	rc = serve(&srv);
	cert_cleanup(&gen);
	return rc;
}
