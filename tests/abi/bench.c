// SPDX-License-Identifier: MIT
/*
 * bench-abi (P1): request round trip ioctl -> vscard.ko -> netlink -> echo
 * agent (another process) -> ioctl, against a pipe ping-pong between two
 * processes, taking turns; three echo agents: one completing with REQ_DONE
 * then fetching with REQ_GET (ABI 1.0), one with REQ_DONE + REQ_NEXT
 * (1.1), one bound with PUSH answering REQ_PUSH messages with REQ_DONE
 * without an ack (1.2).  Then the unit costs that explain the ratios.
 * Also status-change wakeup latency (CARD_SET -> poll wakeup)
 * against a pipe write -> poll wakeup.  Prints p50/p99 and ratios.
 * Usage: abi_bench [ROUND_TRIPS [WAKEUPS]] (root, vscard.ko loaded).
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>
#include "abi.h"

struct tap abi_tap = { .prefix = "bench-abi" };

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void pct(uint64_t *v, int n, double *p50, double *p99)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_u64);
	*p50 = (double)v[n / 2] / 1000.0;
	*p99 = (double)v[(n * 99) / 100] / 1000.0;
}

/* Child: an echo agent on one slot until its stdin pipe closes. */
static pid_t spawn_echo_agent(uint32_t *slot, enum abi_agent_mode mode)
{
	static const char *const key[] = {
		[ABI_AGENT_FETCH] = "bench-echo-next",
		[ABI_AGENT_SEPARATE] = "bench-echo-1.0",
		[ABI_AGENT_PUSH] = "bench-echo-push",
	};
	int up[2], down[2];
	pid_t pid;

	if (pipe(up) || pipe(down))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct abi_agent ag;
		char c;

		close(up[0]);
		close(down[1]);
		if (abi_agent_start_mode(&ag, 1, key[mode], mode))
			_exit(1);
		if (write(up[1], &ag.slot[0], sizeof(ag.slot[0])) < 0)
			_exit(1);
		while (read(down[0], &c, 1) > 0)
			;
		abi_agent_stop(&ag);
		_exit(0);
	}
	close(up[1]);
	close(down[0]);
	if (read(up[0], slot, sizeof(*slot)) != sizeof(*slot))
		return -1;
	close(up[0]);
	/* down[1] stays open in the parent until exit */
	return pid;
}

/* One P1 contender: a slot device or a pipe pair to an echo child. */
struct rtt_peer {
	int fd;			/* slot device, or -1 for the pipe */
	int to, from;		/* pipe ends */
	uint64_t *v;		/* samples */
};

static int rtt_once(struct rtt_peer *p, uint64_t *ns)
{
	static const uint8_t apdu[] = { 0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F,
					0x00 };
	uint8_t rx[16];
	size_t len = sizeof(rx);
	uint64_t t0 = abi_now_ns();
	char c = 'x';
	int r = 0;

	if (p->fd >= 0)
		r = abi_transmit(p->fd, apdu, sizeof(apdu), rx, &len, 5000);
	else if (write(p->to, &c, 1) != 1 || read(p->from, &c, 1) != 1)
		r = -EIO;
	*ns = abi_now_ns() - t0;
	if (r)
		DIAG("round trip: %s", strerror(-r));
	return r;
}

static pid_t spawn_pipe_echo(struct rtt_peer *p)
{
	int a[2], b[2];
	pid_t pid;
	char c;

	if (pipe(a) || pipe(b))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(a[1]);
		close(b[0]);
		while (read(a[0], &c, 1) == 1 && write(b[1], &c, 1) == 1)
			;
		_exit(0);
	}
	close(a[0]);
	close(b[1]);
	p->fd = -1;
	p->to = a[1];
	p->from = b[0];
	return pid;
}

/*
 * Interleave the contenders in blocks of 50 round trips (after 200 warm-up
 * ones each), so that whatever else the machine does hits them alike.
 */
static int bench_rtt(struct rtt_peer *peers, int npeers, int n)
{
	int done = 0, i, k;
	uint64_t ns;

	for (k = 0; k < npeers; k++)
		for (i = 0; i < 200; i++)
			if (rtt_once(&peers[k], &ns))
				return -EIO;
	while (done < n) {
		int block = n - done < 50 ? n - done : 50;

		for (k = 0; k < npeers; k++)
			for (i = 0; i < block; i++)
				if (rtt_once(&peers[k], &peers[k].v[done + i]))
					return -EIO;
		done += block;
	}
	return 0;
}

/*
 * Wakeup latency.  A toggler child owns a slot; on each 'g' it stamps
 * shm[0] and then either flips the card (vscard) or writes a byte to a
 * pipe (baseline).  The parent sleeps in poll() and stamps its wakeup.
 */
static int bench_wakeup(uint64_t *v, int n, bool vscard)
{
	volatile uint64_t *stamp = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
					MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int go[2], up[2], sig[2], i, fd = -1;
	uint32_t slot;
	pid_t pid;

	if (stamp == MAP_FAILED || pipe(go) || pipe(up) || pipe(sig))
		return -errno;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct vscard_nl *nl = vscard ? abi_nl() : NULL;
		bool present = false;
		int s = vscard ? abi_bind(nl, -1, "bench-wake", -1, -1, NULL) : 0;
		char c;

		close(go[1]);
		if (s < 0 || write(up[1], &s, sizeof(s)) < 0)
			_exit(1);
		while (read(go[0], &c, 1) == 1) {
			present = !present;
			*stamp = abi_now_ns();
			if (vscard)
				abi_card(nl, (uint32_t)s, present);
			else if (write(sig[1], &c, 1) != 1)
				_exit(1);
		}
		vscard_nl_close(nl);
		_exit(0);
	}
	if (read(up[0], &slot, sizeof(slot)) != sizeof(slot))
		return -EIO;
	if (vscard) {
		struct vscard_nl *nl = abi_nl();

		fd = abi_open_slot(nl, slot);
		vscard_nl_close(nl);
	}
	for (i = -50; i < n; i++) {
		struct pollfd p = { .fd = vscard ? fd : sig[0],
				    .events = vscard ? POLLPRI : POLLIN };
		struct vscard_status st;
		uint64_t t1;
		char c = 'g';

		if (vscard)
			abi_status(fd, &st);	/* consume */
		if (write(go[1], &c, 1) != 1 || poll(&p, 1, 5000) != 1)
			return -EIO;
		t1 = abi_now_ns();
		if (!vscard && read(sig[0], &c, 1) != 1)
			return -EIO;
		if (i >= 0)
			v[i] = t1 - *stamp;
	}
	close(go[1]);
	waitpid(pid, NULL, 0);
	close(go[0]);
	close(up[0]);
	close(up[1]);
	close(sig[0]);
	close(sig[1]);
	munmap((void *)stamp, 4096);
	if (fd >= 0)
		close(fd);
	return 0;
}

/*
 * Unit costs inside one process (no wakeup): a system call, a one-byte
 * pipe write + read, and a netlink command round trip (REQ_GET answered
 * -ENOENT by the kernel), in microseconds.
 */
static void bench_units(struct vscard_nl *nl, int n)
{
	struct vscard_attrs a;
	double us[3];
	uint64_t t0;
	int p[2], i;
	char c = 'x';

	if (pipe(p))
		return;
	t0 = abi_now_ns();
	for (i = 0; i < n; i++)
		getppid();
	us[0] = (double)(abi_now_ns() - t0) / n / 1000.0;
	t0 = abi_now_ns();
	for (i = 0; i < n; i++)
		if (write(p[1], &c, 1) != 1 || read(p[0], &c, 1) != 1)
			break;
	us[1] = (double)(abi_now_ns() - t0) / n / 1000.0;
	t0 = abi_now_ns();
	for (i = 0; i < n; i++)
		vscard_nl_req_get(nl, &a);
	us[2] = (double)(abi_now_ns() - t0) / n / 1000.0;
	close(p[0]);
	close(p[1]);
	printf("bench-abi: unit costs in one process (us): system call %.2f, pipe write+read %.2f, netlink command round trip %.2f\n",
	       us[0], us[1], us[2]);
}

enum { P_PIPE, P_V10, P_NEXT, P_PUSH, NPEERS };

static const char *const peer_name[NPEERS] = {
	[P_PIPE] = "pipe ping-pong (baseline)          ",
	[P_V10] = "vscard, agent REQ_DONE + REQ_GET   ",
	[P_NEXT] = "vscard, agent REQ_DONE+REQ_NEXT    ",
	[P_PUSH] = "vscard, agent REQ_PUSH + REQ_DONE  ",
};

static const enum abi_agent_mode peer_mode[NPEERS] = {
	[P_V10] = ABI_AGENT_SEPARATE,
	[P_NEXT] = ABI_AGENT_FETCH,
	[P_PUSH] = ABI_AGENT_PUSH,
};

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 5000;
	int w = argc > 2 ? atoi(argv[2]) : 1000;
	uint64_t *c = calloc((size_t)w, 8), *d = calloc((size_t)w, 8);
	double p50[NPEERS], p99[NPEERS], c50, c99, d50, d99;
	struct rtt_peer peers[NPEERS];
	pid_t pids[NPEERS];
	struct vscard_nl *nl;
	uint32_t slot;
	int ok = 1, k, best;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	nl = abi_nl();
	pids[P_PIPE] = spawn_pipe_echo(&peers[P_PIPE]);
	for (k = P_V10; k < NPEERS; k++) {
		pids[k] = spawn_echo_agent(&slot, peer_mode[k]);
		peers[k].fd = pids[k] > 0 ? abi_open_slot(nl, slot) : -1;
		ok &= pids[k] > 0 && peers[k].fd >= 0;
	}
	for (k = 0; k < NPEERS; k++)
		ok &= !!(peers[k].v = calloc((size_t)n, 8));
	OK(ok && pids[P_PIPE] > 0, "echo agents and pipe echo started");
	ok = ok && pids[P_PIPE] > 0 && !bench_rtt(peers, NPEERS, n);
	OK(ok, "P1 round trips measured (%d each, interleaved)", n);
	if (!ok)
		return 1;
	for (k = 0; k < NPEERS; k++)
		pct(peers[k].v, n, &p50[k], &p99[k]);
	ok = !bench_wakeup(c, w, true) && !bench_wakeup(d, w, false);
	OK(ok, "wakeup latencies measured (%d each)", w);
	if (!ok)
		return 1;
	pct(c, w, &c50, &c99);
	pct(d, w, &d50, &d99);
	for (k = 0; k < NPEERS; k++)
		kill(pids[k], SIGTERM);
	printf("bench-abi: P1 request round trip ioctl->netlink->agent->ioctl, %d samples (us):\n",
	       n);
	for (k = 0; k < NPEERS; k++)
		printf("bench-abi:   %s p50 %8.1f  p99 %8.1f  ratio p50 %5.2fx p99 %5.2fx\n",
		       peer_name[k], p50[k], p99[k], p50[k] / p50[P_PIPE],
		       p99[k] / p99[P_PIPE]);
	best = P_V10;
	for (k = P_V10; k < NPEERS; k++)
		if (p50[k] < p50[best])
			best = k;
	printf("bench-abi:   P1 ratio vscard/pipe p50 %.2fx, best of the agents: %s(goal <= 1.5x)\n",
	       p50[best] / p50[P_PIPE], peer_name[best]);
	printf("bench-abi: status-change wakeup, %d samples (us):\n", w);
	printf("bench-abi:   CARD_SET -> poll(POLLPRI) wakeup     p50 %8.1f  p99 %8.1f\n",
	       c50, c99);
	printf("bench-abi:   pipe write -> poll wakeup (baseline) p50 %8.1f  p99 %8.1f\n",
	       d50, d99);
	printf("bench-abi:   ratio vscard/pipe                   p50 %8.2fx p99 %8.2fx\n",
	       c50 / d50, c99 / d99);
	bench_units(nl, 2000);
	return 0;
}
