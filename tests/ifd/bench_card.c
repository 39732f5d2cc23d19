// SPDX-License-Identifier: MIT
/*
 * bench-ifd: the card thread.  It serves its back-end's fd and executes
 * the main thread's commands (insert after a delay, remove, quit) sent
 * over a pipe; every command is acknowledged over a second pipe.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "bench_ifd.h"

struct bench_cmd {
	char op;		/* 'i' insert, 'r' remove, 'q' quit */
	unsigned int delay_ms;
};

struct bench_ack {
	int err;
	uint64_t t0;
};

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int send_ack(struct bench_card *c, int err, uint64_t t0)
{
	struct bench_ack a = { .err = err, .t0 = t0 };

	return write(c->ack[1], &a, sizeof(a)) == sizeof(a) ? 0 : -EIO;
}

/* Poll timeout in ms until @deadline (0: none pending -> -1). */
static int timeout_ms(uint64_t deadline)
{
	uint64_t now = bench_now_ns();

	if (!deadline)
		return -1;
	return deadline <= now ? 0 : (int)((deadline - now + 999999) / 1000000);
}

static void *card_thread(void *arg)
{
	struct bench_card *c = arg;
	uint64_t deadline = 0;
	int err = 0;

	while (!err) {
		struct pollfd p[2] = {
			{ .fd = c->cmd[0], .events = POLLIN },
			{ .fd = c->ops->fd(c->priv), .events = POLLIN },
		};
		struct bench_cmd cmd;

		if (poll(p, 2, timeout_ms(deadline)) < 0) {
			err = errno == EINTR ? 0 : -errno;
			continue;
		}
		if (deadline && bench_now_ns() >= deadline) {
			uint64_t t0 = bench_now_ns();

			deadline = 0;
			err = send_ack(c, c->ops->insert(c->priv), t0);
			continue;	/* the fd may have changed */
		}
		if (p[1].fd >= 0 && p[1].revents) {
			err = c->ops->serve(c->priv);
			if (err)
				break;
		}
		if (!p[0].revents)
			continue;
		if (read(c->cmd[0], &cmd, sizeof(cmd)) != sizeof(cmd) ||
		    cmd.op == 'q')
			break;
		if (cmd.op == 'i')
			deadline = bench_now_ns() +
				   (uint64_t)cmd.delay_ms * 1000000ULL;
		else
			err = send_ack(c, c->ops->remove(c->priv), 0);
	}
	if (err) {
		/* The main thread may sit in SCardGetStatusChange(INFINITE). */
		fprintf(stderr, "FAIL: bench-ifd: %s card: %s\n", c->name,
			strerror(-err));
		exit(1);
	}
	return NULL;
}

int bench_card_start(struct bench_card *c, const char *name,
		     const struct bench_backend_ops *ops, void *priv)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->ops = ops;
	c->priv = priv;
	if (pipe2(c->cmd, O_CLOEXEC) || pipe2(c->ack, O_CLOEXEC))
		return -errno;
	return -pthread_create(&c->th, NULL, card_thread, c);
}

static int send_cmd(struct bench_card *c, char op, unsigned int delay_ms)
{
	struct bench_cmd cmd = { .op = op, .delay_ms = delay_ms };

	return write(c->cmd[1], &cmd, sizeof(cmd)) == sizeof(cmd) ? 0 : -EIO;
}

int bench_card_insert_after(struct bench_card *c, unsigned int delay_ms)
{
	return send_cmd(c, 'i', delay_ms);
}

static int wait_ack(struct bench_card *c, uint64_t *t0)
{
	struct bench_ack a;

	if (read(c->ack[0], &a, sizeof(a)) != sizeof(a))
		return -EIO;
	*t0 = a.t0;
	return a.err;
}

int bench_card_insert_wait(struct bench_card *c, uint64_t *t0)
{
	return wait_ack(c, t0);
}

int bench_card_remove(struct bench_card *c)
{
	uint64_t t0;
	int err = send_cmd(c, 'r', 0);

	return err ? err : wait_ack(c, &t0);
}

void bench_card_stop(struct bench_card *c)
{
	if (send_cmd(c, 'q', 0) == 0)
		pthread_join(c->th, NULL);
	c->ops->destroy(c->priv);
	close(c->cmd[0]);
	close(c->cmd[1]);
	close(c->ack[0]);
	close(c->ack[1]);
}
