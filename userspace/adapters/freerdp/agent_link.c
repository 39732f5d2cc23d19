// SPDX-License-Identifier: MIT
/*
 * One vscard-agent child per connection, on a socketpair: the child gets
 * its end as fd 3 (--fd 3).  Frames follow <vscard/svcport.h>; parsing
 * and serialisation come from librdpcodec.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <rdpcodec/svcframe.h>

#include "rdp_server.h"

#define AGENT_FD		3
#define SEND_TIMEOUT_MS		5000
#define EXIT_WAIT_MS		2000

static const char adapter_name[] = "vscard-rdp-server (libfreerdp-server2)";

static void link_free(struct agent_link *l)
{
	free(l->rxbuf);
	free(l->reader);
	l->rxbuf = NULL;
	l->reader = NULL;
}

/* Runs in the child between fork and exec: async-signal-safe calls only. */
static void exec_agent(int fd, char *const argv[])
{
	sigset_t none;

	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (fd == AGENT_FD) {
		if (fcntl(fd, F_SETFD, 0) < 0)
			_exit(127);
	} else if (dup2(fd, AGENT_FD) < 0) {
		_exit(127);
	}
	execv(argv[0], argv);
	_exit(127);
}

/* An empty link with its receive buffer; -1 without memory. */
static int link_init(struct agent_link *l)
{
	memset(l, 0, sizeof(*l));
	l->fd = -1;
	l->pid = -1;
	l->rxbuf = malloc(SVCFRAME_BUF_SIZE);
	l->reader = calloc(1, sizeof(struct svcframe_reader));
	if (!l->rxbuf || !l->reader) {
		link_free(l);
		return -1;
	}
	svcframe_reader_init(l->reader, l->rxbuf, SVCFRAME_BUF_SIZE);
	return 0;
}

int agent_link_spawn(struct agent_link *l, const struct server_config *cfg)
{
	char pool[16], linger[24];
	char *argv[8 + RDPSRV_MAX_AGENT_ARGS];
	int sv[2], n = 0, i;
	pid_t pid;

	if (link_init(l))
		return -1;
	snprintf(pool, sizeof(pool), "%u", cfg->pool);
	argv[n++] = (char *)cfg->agent;
	argv[n++] = "--fd";
	argv[n++] = "3";
	argv[n++] = "--pool";
	argv[n++] = pool;
	if (cfg->linger_ms >= 0) {
		snprintf(linger, sizeof(linger), "%ld", cfg->linger_ms);
		argv[n++] = "--linger-ms";
		argv[n++] = linger;
	}
	for (i = 0; i < cfg->n_agent_args; i++)
		argv[n++] = (char *)cfg->agent_args[i];
	argv[n] = NULL;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		goto fail;
	pid = fork();
	if (pid < 0) {
		close(sv[0]);
		close(sv[1]);
		goto fail;
	}
	if (pid == 0)
		exec_agent(sv[1], argv);
	close(sv[1]);
	l->fd = sv[0];
	l->pid = pid;
	fcntl(l->fd, F_SETFL, fcntl(l->fd, F_GETFL) | O_NONBLOCK);
	return 0;
fail:
	link_free(l);
	return -1;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One attempt: connect, then wait for the agent's HELLO; 1 on a refusal. */
static int connect_once(struct agent_link *l, const char *path, int64_t until)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct svcframe_reader *r = l->reader;
	struct pollfd pfd;
	struct svcframe f;
	uint8_t *space;
	size_t room;
	ssize_t n;
	int fd, rc;

	if (strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return 1;	/* not listening (yet or any more) */
	}
	svcframe_reader_init(r, l->rxbuf, SVCFRAME_BUF_SIZE);
	pfd.fd = fd;
	pfd.events = POLLIN;
	for (;;) {
		int left = (int)(until - now_ms());

		if (left <= 0 || poll(&pfd, 1, left) <= 0)
			break;
		room = svcframe_space(r, &space);
		if (!room)
			break;
		n = read(fd, space, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return 1;	/* refused: the agent still has an adapter */
		}
		svcframe_commit(r, (size_t)n);
		while ((rc = svcframe_next(r, &f)) == 1) {
			if (f.type == SVCPORT_HELLO) {
				l->fd = fd;
				fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
				return 0;
			}
		}
		if (rc < 0)
			break;
	}
	close(fd);
	return -1;
}

int agent_link_connect(struct agent_link *l, const char *path, int timeout_ms)
{
	struct timespec step = { 0, 100 * 1000 * 1000 };
	int64_t until = now_ms() + timeout_ms;
	int rc;

	if (link_init(l))
		return -1;
	while ((rc = connect_once(l, path, until)) == 1 && now_ms() < until)
		nanosleep(&step, NULL);
	if (!rc)
		return 0;
	link_free(l);
	return -1;
}

/* Write all of iov, waiting (bounded) when the agent is slow to read. */
static int send_all(int fd, struct iovec *iov, int cnt)
{
	struct pollfd pfd = { .fd = fd, .events = POLLOUT };
	ssize_t n;

	while (cnt > 0) {
		n = writev(fd, iov, cnt);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -1;
			if (poll(&pfd, 1, SEND_TIMEOUT_MS) <= 0)
				return -1;
			continue;
		}
		while (cnt > 0 && (size_t)n >= iov->iov_len) {
			n -= (ssize_t)iov->iov_len;
			iov++;
			cnt--;
		}
		if (cnt > 0) {
			iov->iov_base = (uint8_t *)iov->iov_base + n;
			iov->iov_len -= (size_t)n;
		}
	}
	return 0;
}

int agent_link_send(struct agent_link *l, uint16_t type, const void *payload, size_t len)
{
	uint8_t hdr[SVCPORT_HDR_SIZE];
	struct iovec iov[2];

	if (l->fd < 0 || l->eof || len > SVCPORT_PAYLOAD_MAX)
		return -1;
	svcframe_put_hdr(hdr, type, 0, (uint32_t)len);
	iov[0].iov_base = hdr;
	iov[0].iov_len = sizeof(hdr);
	iov[1].iov_base = (void *)payload;
	iov[1].iov_len = len;
	if (send_all(l->fd, iov, len ? 2 : 1)) {
		l->eof = true;
		return -1;
	}
	return 0;
}

/* Encode a whole frame with enc into a heap buffer and send it. */
static int send_encoded(struct agent_link *l, uint8_t *buf, size_t cap, const struct rdp_wr *w)
{
	struct iovec iov = { .iov_base = buf, .iov_len = w->off };

	if (w->err || w->off > cap)
		return -1;
	if (send_all(l->fd, &iov, 1)) {
		l->eof = true;
		return -1;
	}
	return 0;
}

int agent_link_send_hello(struct agent_link *l)
{
	struct svcport_hello h = {
		.version = SVCPORT_VERSION,
		.name = (const uint8_t *)adapter_name,
		.name_len = sizeof(adapter_name) - 1,
	};
	uint8_t buf[128];
	struct rdp_wr w;

	if (l->fd < 0)
		return -1;
	rdp_wr_init(&w, buf, sizeof(buf));
	if (svcport_encode_hello(&w, &h) < 0)
		return -1;
	return send_encoded(l, buf, sizeof(buf), &w);
}

int agent_link_send_open(struct agent_link *l, const uint8_t *key, size_t key_len,
			 const char *client_name, const char *user)
{
	static const char channel[] = "rdpdr";
	struct svcport_channel_open o = {
		.session_key = key,
		.session_key_len = (uint32_t)key_len,
		.client_name = (const uint8_t *)(client_name ? client_name : ""),
		.client_name_len = client_name ? (uint32_t)strnlen(client_name, 256) : 0,
		.user = (const uint8_t *)(user ? user : ""),
		.user_len = user ? (uint32_t)strnlen(user, 256) : 0,
		.channel = (const uint8_t *)channel,
		.channel_len = sizeof(channel) - 1,
	};
	uint8_t buf[1024];
	struct rdp_wr w;

	if (l->fd < 0)
		return -1;
	rdp_wr_init(&w, buf, sizeof(buf));
	if (svcport_encode_channel_open(&w, &o) < 0)
		return -1;
	return send_encoded(l, buf, sizeof(buf), &w);
}

int agent_link_pump(struct agent_link *l, agent_frame_cb cb, void *arg)
{
	struct svcframe_reader *r = l->reader;
	struct svcframe f;
	uint8_t *space;
	size_t room;
	ssize_t n;
	int rc;

	if (l->fd < 0 || l->eof)
		return -1;
	for (;;) {
		room = svcframe_space(r, &space);
		if (!room)
			return -1;	/* cannot happen with a full-size buffer */
		n = read(l->fd, space, room);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return 0;
		if (n <= 0) {
			l->eof = true;
			return -1;
		}
		svcframe_commit(r, (size_t)n);
		while ((rc = svcframe_next(r, &f)) == 1) {
			if (cb(arg, f.type, f.payload, f.length))
				return -2;
		}
		if (rc < 0) {
			/* A protocol error: close the link, the agent sees EOF. */
			shutdown(l->fd, SHUT_RDWR);
			l->eof = true;
			return -1;
		}
	}
}

static bool wait_child(pid_t pid, int ms)
{
	struct timespec step = { 0, 20 * 1000 * 1000 };
	int i, status;

	for (i = 0; i <= ms / 20; i++) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid || (r < 0 && errno == ECHILD))
			return true;
		nanosleep(&step, NULL);
	}
	return false;
}

void agent_link_close(struct agent_link *l)
{
	if (l->fd >= 0) {
		shutdown(l->fd, SHUT_RDWR);
		close(l->fd);
		l->fd = -1;
	}
	if (l->pid > 0) {
		if (!wait_child(l->pid, EXIT_WAIT_MS)) {
			srv_log("agent %d did not exit; SIGTERM", (int)l->pid);
			kill(l->pid, SIGTERM);
			if (!wait_child(l->pid, EXIT_WAIT_MS)) {
				kill(l->pid, SIGKILL);
				wait_child(l->pid, EXIT_WAIT_MS);
			}
		}
		l->pid = -1;
	}
	link_free(l);
}
