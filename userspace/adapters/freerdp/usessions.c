// SPDX-License-Identifier: MIT
/*
 * --sessions: one vscard session per local user (vscard-session(8)), named
 * rdp-USER: the user's pool, pcscd and agent, all running as the user.  A
 * connection of the user holds the session; when it ends the session
 * lingers (--linger-ms) so that a reconnect finds the same agent and slots,
 * then it is closed.  The server runs as root only to call vscard-session
 * and to reach the agent's socket in /run/vscard/rdp-USER/user/ (0700, the
 * user's); no RDP input reaches a root process other than this one.
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <winpr/synch.h>

#include "rdp_server.h"

#define MIN_UID		1000
#define NOBODY_UID	65534
#define DEFAULT_LINGER_MS 60000

extern char **environ;

int usession_map_user(const char *rdp_user, uid_t *uid, const char **why)
{
	struct passwd pw, *res = NULL;
	char buf[4096];
	const char *c;

	/* The session id is rdp-USER: [A-Za-z0-9_.-], as vscard-session wants. */
	if (!*rdp_user || strlen(rdp_user) > 32) {
		*why = "empty or longer than 32 characters";
		return -1;
	}
	for (c = rdp_user; *c; c++) {
		if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
		      (*c >= '0' && *c <= '9') || *c == '_' || *c == '.' || *c == '-')) {
			*why = "has characters other than A-Z a-z 0-9 _ . -";
			return -1;
		}
	}
	if (getpwnam_r(rdp_user, &pw, buf, sizeof(buf), &res) || !res) {
		*why = "is not a local account";
		return -1;
	}
	if (pw.pw_uid < MIN_UID || pw.pw_uid == NOBODY_UID) {
		*why = "is a system account (uid below 1000, or nobody)";
		return -1;
	}
	*uid = pw.pw_uid;
	return 0;
}

static int64_t mono_ms(const struct timespec *ts)
{
	return (int64_t)ts->tv_sec * 1000 + ts->tv_nsec / 1000000;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return mono_ms(&ts);
}

static long linger_of(const struct server *srv)
{
	return srv->cfg.linger_ms >= 0 ? srv->cfg.linger_ms : DEFAULT_LINGER_MS;
}

/* Run vscard-session with argv[1..] and wait for it: its exit status. */
static int run_session_cmd(struct server *srv, char **argv)
{
	const struct server_config *cfg = &srv->cfg;
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t sigs;
	char agent_env[4200];
	char **envp;
	size_t n = 0, i;
	pid_t pid;
	int status, rc;

	argv[0] = (char *)cfg->session_cmd;
	while (environ[n])
		n++;
	envp = calloc(n + 2, sizeof(*envp));
	if (!envp)
		return -1;
	/* The agent the server was told about (--agent) is the sessions' agent. */
	snprintf(agent_env, sizeof(agent_env), "VSCARD_AGENT=%s", cfg->agent);
	for (i = 0; i < n; i++)
		envp[i] = environ[i];
	envp[n] = agent_env;
	posix_spawn_file_actions_init(&fa);
	/* Its standard output is the environment lines: not wanted here. */
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	/*
	 * The server ignores SIGPIPE; the session's pcscd and agent, which
	 * inherit from vscard-session, get the default disposition and an
	 * empty signal mask.
	 */
	posix_spawnattr_init(&attr);
	sigemptyset(&sigs);
	posix_spawnattr_setsigmask(&attr, &sigs);
	sigaddset(&sigs, SIGPIPE);
	posix_spawnattr_setsigdefault(&attr, &sigs);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&pid, argv[0], &fa, &attr, argv, envp);
	posix_spawnattr_destroy(&attr);
	posix_spawn_file_actions_destroy(&fa);
	free(envp);
	if (rc) {
		srv_log("cannot run %s: %s", argv[0], strerror(rc));
		return -1;
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int session_open(struct server *srv, const struct usession *u)
{
	const struct server_config *cfg = &srv->cfg;
	char slots[16], linger[24];
	char *argv[16 + 2 * RDPSRV_MAX_AGENT_ARGS];
	int n = 1, i, rc;

	snprintf(slots, sizeof(slots), "%u", cfg->slots);
	snprintf(linger, sizeof(linger), "%ld", linger_of(srv));
	argv[n++] = "open";
	argv[n++] = "--user";
	argv[n++] = (char *)u->user;
	argv[n++] = "--session";
	argv[n++] = (char *)u->id;
	argv[n++] = "--slots";
	argv[n++] = slots;
	argv[n++] = "--agent";
	argv[n++] = "--linger-ms";
	argv[n++] = linger;
	for (i = 0; i < cfg->n_agent_args; i++) {
		argv[n++] = "--agent-arg";
		argv[n++] = (char *)cfg->agent_args[i];
	}
	argv[n++] = "--quiet";
	argv[n] = NULL;
	rc = run_session_cmd(srv, argv);
	if (rc)
		srv_log("session %s: vscard-session open failed (status %d)", u->id, rc);
	return rc ? -1 : 0;
}

static int session_close(struct server *srv, const char *id)
{
	char *argv[] = { NULL, "close", "--session", (char *)id, NULL };
	int64_t t0 = now_ms();
	int rc = run_session_cmd(srv, argv);

	if (rc)
		srv_log("session %s: vscard-session close failed (status %d)", id, rc);
	else
		srv_log("session %s: closed (%lld ms)", id, (long long)(now_ms() - t0));
	return rc ? -1 : 0;
}

static struct usession *find(struct usession_table *t, const char *user)
{
	struct usession *u;

	for (u = t->list; u; u = u->next)
		if (!strcmp(u->user, user))
			return u;
	return NULL;
}

static void unlink_entry(struct usession_table *t, struct usession *u)
{
	struct usession **pp;

	for (pp = &t->list; *pp; pp = &(*pp)->next) {
		if (*pp == u) {
			*pp = u->next;
			return;
		}
	}
}

int usession_acquire(struct server *srv, const char *user, char *sock, size_t socklen)
{
	struct usession_table *t = &srv->users;
	struct usession *u;
	bool reused;
	int rc;

	pthread_mutex_lock(&t->lock);
	while ((u = find(t, user)) && u->state == US_CLOSING)
		pthread_cond_wait(&t->changed, &t->lock);
	if (!u) {
		u = calloc(1, sizeof(*u));
		if (!u) {
			pthread_mutex_unlock(&t->lock);
			return -1;
		}
		snprintf(u->user, sizeof(u->user), "%s", user);
		snprintf(u->id, sizeof(u->id), "rdp-%s", user);
		u->next = t->list;
		t->list = u;
		reused = false;
	} else {
		/* The caller holds the user's claim: no other connection has it. */
		reused = u->state == US_LINGER;
	}
	u->state = US_ACTIVE;
	pthread_mutex_unlock(&t->lock);

	if (reused)
		srv_log("session %s: reconnect within the linger time: same session", u->id);
	/* Idempotent: an open session is kept (its agent restarted if it died). */
	rc = session_open(srv, u);
	snprintf(sock, socklen, "/run/vscard/%s/user/agent.sock", u->id);
	if (getenv("VSCARD_RUNDIR"))
		snprintf(sock, socklen, "%s/%s/user/agent.sock", getenv("VSCARD_RUNDIR"), u->id);
	return rc;
}

void usession_release(struct server *srv, const char *user)
{
	struct usession_table *t = &srv->users;
	struct usession *u;

	pthread_mutex_lock(&t->lock);
	u = find(t, user);
	if (u && u->state == US_ACTIVE) {
		long ms = linger_of(srv);

		clock_gettime(CLOCK_MONOTONIC, &u->deadline);
		u->deadline.tv_sec += ms / 1000;
		u->deadline.tv_nsec += (ms % 1000) * 1000000L;
		if (u->deadline.tv_nsec >= 1000000000L) {
			u->deadline.tv_sec++;
			u->deadline.tv_nsec -= 1000000000L;
		}
		u->state = US_LINGER;
		/* The main loop computes its next wake-up again. */
		SetEvent(t->wake);
		srv_log("session %s: no connection; closed in %ld ms unless %s reconnects",
			u->id, ms, user);
	}
	pthread_cond_broadcast(&t->changed);
	pthread_mutex_unlock(&t->lock);
}

void usession_expire(struct server *srv, bool all)
{
	struct usession_table *t = &srv->users;
	struct usession *u;
	char id[sizeof(u->id)];

	for (;;) {
		int64_t now = now_ms();

		pthread_mutex_lock(&t->lock);
		for (u = t->list; u; u = u->next)
			if (u->state == US_LINGER && (all || mono_ms(&u->deadline) <= now))
				break;
		if (!u && all) {
			/* At exit every connection is gone: close what is left. */
			for (u = t->list; u; u = u->next)
				if (u->state != US_CLOSING)
					break;
		}
		if (!u) {
			pthread_mutex_unlock(&t->lock);
			return;
		}
		u->state = US_CLOSING;
		snprintf(id, sizeof(id), "%s", u->id);
		pthread_mutex_unlock(&t->lock);

		session_close(srv, id);

		pthread_mutex_lock(&t->lock);
		unlink_entry(t, u);
		free(u);
		pthread_cond_broadcast(&t->changed);
		pthread_mutex_unlock(&t->lock);
	}
}

int usession_next_ms(struct server *srv)
{
	struct usession_table *t = &srv->users;
	struct usession *u;
	int64_t now = now_ms(), best = -1, d;

	pthread_mutex_lock(&t->lock);
	for (u = t->list; u; u = u->next) {
		if (u->state != US_LINGER)
			continue;
		d = mono_ms(&u->deadline) - now;
		if (d < 0)
			d = 0;
		if (best < 0 || d < best)
			best = d;
	}
	pthread_mutex_unlock(&t->lock);
	return best < 0 ? -1 : (int)(best > 0x7fffffff ? 0x7fffffff : best);
}
