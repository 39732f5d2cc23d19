// SPDX-License-Identifier: MIT
/*
 * vscard-hold: set up and hold vscard objects for a command that knows
 * nothing about vscard (the trinity run of suite 47).
 *
 *   vscard-hold pool-new SLOTS UID GID   POOL_NEW; prints the pool id
 *   vscard-hold pool-del POOL
 *   vscard-hold minors POOL               the /dev/vscardN numbers, one a line
 *   vscard-hold wait-free POOL SLOT       wait (WAIT_STATUS) until unbound
 *   vscard-hold hold [--pool P] [--key K] [--fd N] [--nonblock]
 *               [--agent] [--submitters N] -- CMD [ARG...]
 *
 * hold binds a slot of pool P as the calling user, inserts a card, puts
 * the binding file on descriptor N (default 100, close-on-exec cleared)
 * and execs CMD with VSCARD_BINDING_FD=N, VSCARD_POOL, VSCARD_SLOT and
 * VSCARD_MINOR in its environment.  --agent leaves a process that serves
 * the same binding file (real completions racing CMD's own reads and
 * writes); --submitters N leaves N processes sending every kind of request
 * to the slot's node with short deadlines, so that requests and cancel
 * notices keep flowing.  Those helpers are not CMD's children (CMD may
 * reap whatever it forks); they end when CMD and every process it
 * started are gone (a lifeline pipe reaches end of file).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/vscard.h>
#include "vscard_nl.h"

static const uint8_t atr[] = { 0x3B, 0x8A, 0x80, 0x01, 0x76, 0x73, 0x63, 0x61,
			       0x72, 0x64, 0x74, 0x65, 0x73, 0x74, 0x5B };

static int usage(void)
{
	fprintf(stderr,
		"usage: vscard-hold pool-new SLOTS UID GID | pool-del POOL | minors POOL |\n"
		"       wait-free POOL SLOT |\n"
		"       hold [--pool P] [--key K] [--fd N] [--nonblock] [--agent]\n"
		"            [--submitters N] -- CMD [ARG...]\n");
	return 2;
}

static struct vscard_nl *nl_open(void)
{
	struct vscard_nl *nl;
	int err = vscard_nl_open(&nl, 0, 0);

	if (err) {
		fprintf(stderr, "vscard-hold: netlink: %s\n", strerror(-err));
		exit(1);
	}
	return nl;
}

static int minor_of(struct vscard_nl *nl, uint32_t pool, uint32_t slot)
{
	struct vscard_attrs a;
	int err;

	memset(&a, 0, sizeof(a));
	err = vscard_nl_slot_get(nl, pool, slot, &a);
	if (err)
		return err;
	err = (int)a.minor;
	vscard_attrs_release(&a);
	return err;
}

static int print_minor(struct vscard_attrs *a, void *arg)
{
	(void)arg;
	printf("%u\n", a->minor);
	return 0;
}

static int wait_free(uint32_t pool, uint32_t slot)
{
	struct vscard_nl *nl = nl_open();
	struct vscard_status st;
	char path[64];
	int minor = minor_of(nl, pool, slot), fd, i;

	vscard_nl_close(nl);
	if (minor < 0)
		return 1;
	snprintf(path, sizeof(path), "/dev/vscard%d", minor);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return 1;
	for (i = 0; i < 100; i++) {
		struct vscard_wait w;

		if (ioctl(fd, VSCARD_IOC_GET_STATUS, &st))
			return 1;
		if (!(st.flags & VSCARD_STATUS_BOUND))
			return 0;
		w = (struct vscard_wait){ .seq = st.seq, .timeout_ms = 1000 };
		ioctl(fd, VSCARD_IOC_WAIT_STATUS, &w);
	}
	fprintf(stderr, "vscard-hold: slot %u/%u still bound after 100 s\n",
		pool, slot);
	return 1;
}

static bool alive(int lifeline)
{
	struct pollfd p = { .fd = lifeline, .events = POLLIN };

	return poll(&p, 1, 0) == 0;
}

/* The agent: answer what comes, ignore every error but the end. */
static void agent(int bfd, int lifeline)
{
	static struct vscard_req_buf m;
	struct pollfd p[2] = { { .fd = bfd, .events = POLLIN },
			       { .fd = lifeline, .events = POLLIN } };
	uint8_t buf[260];

	for (;;) {
		struct vscard_cmd_done d = { .cmd = VSCARD_BCMD_DONE };
		ssize_t n;

		if (poll(p, 2, -1) < 0 && errno != EINTR)
			break;
		if (p[1].revents)
			break;
		n = read(bfd, &m, sizeof(m));
		if (n == 0 || (n < 0 && errno == ENODEV))
			break;
		if (n < (ssize_t)sizeof(m.msg) || m.msg.type == VSCARD_MSG_CANCEL)
			continue;
		d.id = m.msg.id;
		if (m.msg.type == VSCARD_REQ_POWER &&
		    m.msg.code != VSCARD_POWER_DOWN) {
			d.len = sizeof(atr);
			d.protocols = VSCARD_PROTO_T1;
			memcpy(buf, atr, sizeof(atr));
		} else if (m.msg.len <= sizeof(buf) - 2 &&
			   m.msg.len + 2 <= m.msg.rx_max) {
			memcpy(buf, m.data, m.msg.len);
			buf[m.msg.len] = 0x90;
			buf[m.msg.len + 1] = 0x00;
			d.len = m.msg.len + 2;
		} else {
			d.status = -ENOBUFS;
			d.len = m.msg.len + 2;
		}
		{
			uint8_t out[sizeof(d) + sizeof(buf)];
			size_t len = sizeof(d) + (d.status ? 0 : d.len);

			memcpy(out, &d, sizeof(d));
			if (!d.status)
				memcpy(out + sizeof(d), buf, d.len);
			if (write(bfd, out, len) < 0 && errno == ENODEV)
				break;
		}
	}
	_exit(0);
}

/* A submitter: every kind of request, short deadlines, errors ignored. */
static void submitter(int minor, int lifeline, unsigned int seed)
{
	static const uint8_t echo[] = { 0x80, 0xEE, 0x00, 0x00, 0x04,
					1, 2, 3, 4, 0x00 };
	struct vscard_status st;
	char path[64];
	uint8_t rx[300];
	int fd;

	snprintf(path, sizeof(path), "/dev/vscard%d", minor);
	fd = open(path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		_exit(1);
	while (alive(lifeline)) {
		struct vscard_xfer x = {
			.tx_ptr = (uintptr_t)echo, .tx_len = sizeof(echo),
			.rx_ptr = (uintptr_t)rx, .rx_len = sizeof(rx),
			.code = VSCARD_PROTO_T1,
			.timeout_ms = 5 + rand_r(&seed) % 40,
		};
		struct vscard_wait w = { .timeout_ms = 5 };
		unsigned long ioc = VSCARD_IOC_TRANSMIT;

		switch (rand_r(&seed) % 8) {
		case 0:
			ioc = VSCARD_IOC_POWER;
			x.code = 1 + rand_r(&seed) % 3;
			x.tx_len = 0;
			break;
		case 1:
			ioc = VSCARD_IOC_CONTROL;
			x.code = 0x42000000 + 3400;
			break;
		case 2:
			ioc = VSCARD_IOC_GET_ATTRIB;
			x.code = 0x00090303;
			x.tx_len = 0;
			break;
		case 3:
			ioc = VSCARD_IOC_SET_ATTRIB;
			x.code = 0x00090303;
			break;
		case 4:
			x.rx_len = 2;	/* too small: -ENOBUFS */
			break;
		case 5:
			if (!ioctl(fd, VSCARD_IOC_GET_STATUS, &st)) {
				w.seq = st.seq;
				ioctl(fd, VSCARD_IOC_WAIT_STATUS, &w);
			}
			continue;
		default:
			break;
		}
		ioctl(fd, ioc, &x);
	}
	_exit(0);
}

/*
 * Fork a helper that is not our child (it belongs to init afterwards),
 * holding the read end of the lifeline and, with @keep_bfd, the binding
 * file @bfd.
 */
static void detach(void (*fn)(int, int, unsigned int), int a, const int *life,
		   int bfd, bool keep_bfd, unsigned int seed)
{
	pid_t pid = fork();

	if (pid == 0) {
		close(life[1]);
		if (!keep_bfd)
			close(bfd);
		if (fork() == 0)
			fn(a, life[0], seed);
		_exit(0);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
}

static void agent_fn(int bfd, int lifeline, unsigned int seed)
{
	(void)seed;
	agent(bfd, lifeline);
}

static int hold(int argc, char **argv)
{
	struct vscard_bind b = { .slot = -1, .reader_name = "vscard-hold",
				 .linger_ms = -1, .timeout_ms = -1 };
	struct vscard_card c = { .present = true, .atr = atr,
				 .atr_len = sizeof(atr),
				 .protocols = VSCARD_PROTO_T0 | VSCARD_PROTO_T1 };
	struct vscard_bound r;
	struct vscard_nl *nl;
	const char *key = "vscard-hold";
	int target = 100, agents = 0, subs = 0, nonblock = 0, i, j, err, minor;
	int life[2];
	char v[32];

	for (i = 0; i < argc && strcmp(argv[i], "--"); i++) {
		if (!strcmp(argv[i], "--pool") && i + 1 < argc)
			b.pool = (uint32_t)strtoul(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--key") && i + 1 < argc)
			key = argv[++i];
		else if (!strcmp(argv[i], "--fd") && i + 1 < argc)
			target = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--submitters") && i + 1 < argc)
			subs = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--agent"))
			agents = 1;
		else if (!strcmp(argv[i], "--nonblock"))
			nonblock = 1;
		else
			return usage();
	}
	if (i + 1 >= argc)
		return usage();
	b.key = key;
	b.key_len = strlen(key);
	nl = nl_open();
	err = vscard_nl_bind(nl, &b, &r);
	if (err) {
		fprintf(stderr, "vscard-hold: bind pool %u: %s (%s)\n", b.pool,
			strerror(-err), vscard_nl_errmsg(nl));
		return 1;
	}
	minor = minor_of(nl, b.pool, r.slot);
	vscard_nl_close(nl);
	err = vscard_binding_card(r.fd, &c);
	if (err || minor < 0) {
		fprintf(stderr, "vscard-hold: card / slot: %s\n",
			strerror(err ? -err : -minor));
		return 1;
	}
	if (r.fd != target) {
		if (dup2(r.fd, target) < 0)
			return 1;
		close(r.fd);
	}
	/* dup2 clears close-on-exec on the copy; make sure of it */
	fcntl(target, F_SETFD, 0);
	if (nonblock)
		fcntl(target, F_SETFL, fcntl(target, F_GETFL) | O_NONBLOCK);
	if (pipe(life))
		return 1;
	fcntl(life[0], F_SETFD, FD_CLOEXEC);
	fflush(stdout);
	if (agents)
		detach(agent_fn, target, life, target, true, 0);
	for (j = 0; j < subs; j++)
		detach(submitter, minor, life, target, false,
		       (unsigned int)j * 7919u + 1);
	close(life[0]);
	/* life[1] stays open (inherited across exec) as CMD's lifeline */
	fprintf(stderr,
		"vscard-hold: uid %u pool %u slot %u minor %d epoch %llu: binding file on fd %d, %d agent, %d submitters\n",
		getuid(), b.pool, r.slot, minor, (unsigned long long)r.epoch,
		target, agents, subs);
	snprintf(v, sizeof(v), "%d", target);
	setenv("VSCARD_BINDING_FD", v, 1);
	snprintf(v, sizeof(v), "%u", b.pool);
	setenv("VSCARD_POOL", v, 1);
	snprintf(v, sizeof(v), "%u", r.slot);
	setenv("VSCARD_SLOT", v, 1);
	snprintf(v, sizeof(v), "%d", minor);
	setenv("VSCARD_MINOR", v, 1);
	execvp(argv[i + 1], argv + i + 1);
	fprintf(stderr, "vscard-hold: exec %s: %s\n", argv[i + 1],
		strerror(errno));
	return 127;
}

int main(int argc, char **argv)
{
	struct vscard_nl *nl;
	uint32_t pool;
	int err;

	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "hold"))
		return hold(argc - 2, argv + 2);
	if (!strcmp(argv[1], "pool-new") && argc == 5) {
		uint32_t uid = (uint32_t)strtoul(argv[3], NULL, 0);
		uint32_t gid = (uint32_t)strtoul(argv[4], NULL, 0);

		nl = nl_open();
		err = vscard_nl_pool_new(nl, (uint32_t)strtoul(argv[2], NULL, 0),
					 &uid, &gid, &pool);
		vscard_nl_close(nl);
		if (err) {
			fprintf(stderr, "vscard-hold: pool-new: %s\n",
				strerror(-err));
			return 1;
		}
		printf("%u\n", pool);
		return 0;
	}
	if (!strcmp(argv[1], "pool-del") && argc == 3) {
		nl = nl_open();
		err = vscard_nl_pool_del(nl, (uint32_t)strtoul(argv[2], NULL, 0));
		vscard_nl_close(nl);
		if (err)
			fprintf(stderr, "vscard-hold: pool-del: %s\n",
				strerror(-err));
		return !!err;
	}
	if (!strcmp(argv[1], "minors") && argc == 3) {
		pool = (uint32_t)strtoul(argv[2], NULL, 0);
		nl = nl_open();
		err = vscard_nl_slot_dump(nl, &pool, print_minor, NULL);
		vscard_nl_close(nl);
		return !!err;
	}
	if (!strcmp(argv[1], "wait-free") && argc == 4)
		return wait_free((uint32_t)strtoul(argv[2], NULL, 0),
				 (uint32_t)strtoul(argv[3], NULL, 0));
	return usage();
}
