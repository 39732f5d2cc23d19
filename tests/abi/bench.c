// SPDX-License-Identifier: MIT
/*
 * bench-abi.
 *
 * P1, the request round trip: a caller's VSCARD_IOC_TRANSMIT (the pcscd
 * side) -> vscard.ko -> an echo agent in another process blocked in
 * read() on its binding file, which write()s the completion -> back to the
 * caller; against a one-byte ping-pong over two pipes between two
 * processes.  The two take turns in blocks of 50 (after 200 warm-up round
 * trips each), so that whatever else the machine does hits both alike.
 *
 * P2, the status wakeup: a card-state write on the binding file in one
 * process -> poll(POLLPRI) on the slot's node returning in another;
 * against a pipe write -> poll(POLLIN) wakeup; interleaved the same way.
 * The same wakeup through WAIT_STATUS is printed for information.
 *
 * Prints p50/p99 and the lines "P1 p50 ratio: X.XX", "P1 p99 ratio:
 * X.XX", "P2 p50 ratio: X.XX" (vscard / pipe).
 * Usage: abi_bench [ROUND_TRIPS [WAKEUPS]] (root, vscard.ko loaded).
 */
#include <errno.h>
#include <fcntl.h>
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

#define BLOCK	50
#define WARMUP	200

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

/*
 * Child: the echo agent.  Binds a slot of pool 0, inserts a card, tells
 * the slot, then answers every request with 90 00 from a plain blocking
 * read() / write() loop until killed.
 */
static pid_t spawn_echo_agent(uint32_t *slot)
{
	int up[2];
	pid_t pid;

	if (pipe(up))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		static const uint8_t sw[] = { 0x90, 0x00 };
		struct vscard_nl *nl = abi_nl();
		abi_msg_t *m = malloc(sizeof(*m));
		struct abi_bound b;

		close(up[0]);
		if (!m || abi_bind(nl, -1, "bench-echo", -1, -1, &b) < 0 ||
		    abi_card(b.fd, true))
			_exit(1);
		vscard_nl_close(nl);
		if (write(up[1], &b.slot, sizeof(b.slot)) < 0)
			_exit(1);
		for (;;) {
			ssize_t n = read(b.fd, m, sizeof(*m));

			if (n <= 0)
				break;
			if (m->msg.type != VSCARD_MSG_CANCEL)
				abi_done(b.fd, m->msg.id, 0, sw, 2);
		}
		_exit(0);
	}
	close(up[1]);
	if (pid < 0 || read(up[0], slot, sizeof(*slot)) != sizeof(*slot))
		return -1;
	close(up[0]);
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

static int bench_rtt(struct rtt_peer *peers, int npeers, int n)
{
	int done = 0, i, k;
	uint64_t ns;

	for (k = 0; k < npeers; k++)
		for (i = 0; i < WARMUP; i++)
			if (rtt_once(&peers[k], &ns))
				return -EIO;
	while (done < n) {
		int block = n - done < BLOCK ? n - done : BLOCK;

		for (k = 0; k < npeers; k++)
			for (i = 0; i < block; i++)
				if (rtt_once(&peers[k], &peers[k].v[done + i]))
					return -EIO;
		done += block;
	}
	return 0;
}

/*
 * Wakeups.  A toggler child holds a binding; on each command byte from
 * the parent it stamps shm[0] and then writes a card state to its binding
 * file ('v') or a byte to a pipe ('p').  The parent sleeps in poll() on
 * the slot's node (POLLPRI), in WAIT_STATUS, or in poll() on the pipe,
 * and stamps its wakeup.
 */
enum { W_POLL, W_WAIT, W_PIPE, NW };

struct waker {
	pid_t pid;
	int go, sig, fd;
	volatile uint64_t *stamp;
};

static int spawn_toggler(struct waker *w)
{
	int go[2], up[2], sig[2];
	uint32_t slot;

	w->stamp = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (w->stamp == MAP_FAILED || pipe(go) || pipe(up) || pipe(sig))
		return -errno;
	fflush(stdout);
	w->pid = fork();
	if (w->pid == 0) {
		struct vscard_nl *nl = abi_nl();
		bool present = false;
		struct abi_bound b;
		char c;

		close(go[1]);
		close(up[0]);
		close(sig[0]);
		if (abi_bind(nl, -1, "bench-wake", -1, -1, &b) < 0 ||
		    write(up[1], &b.slot, sizeof(b.slot)) < 0)
			_exit(1);
		vscard_nl_close(nl);
		while (read(go[0], &c, 1) == 1) {
			if (c == 'v')
				present = !present;
			*w->stamp = abi_now_ns();
			if (c == 'v' ? abi_card(b.fd, present) != 0 :
				       write(sig[1], &c, 1) != 1)
				_exit(1);
		}
		_exit(0);
	}
	close(go[0]);
	close(up[1]);
	close(sig[1]);
	if (w->pid < 0 || read(up[0], &slot, sizeof(slot)) != sizeof(slot))
		return -EIO;
	close(up[0]);
	w->go = go[1];
	w->sig = sig[0];
	{
		struct vscard_nl *nl = abi_nl();

		w->fd = abi_open_slot(nl, slot);
		vscard_nl_close(nl);
	}
	return w->fd < 0 ? w->fd : 0;
}

static int wake_once(struct waker *w, int kind, uint64_t *ns)
{
	struct vscard_status st;
	struct vscard_wait wt;
	struct pollfd p;
	uint64_t t1;
	char c = kind == W_PIPE ? 'p' : 'v';

	if (kind != W_PIPE && abi_status(w->fd, &st))	/* consume */
		return -EIO;
	if (write(w->go, &c, 1) != 1)
		return -EIO;
	if (kind == W_WAIT) {
		wt = (struct vscard_wait){ .seq = st.seq, .timeout_ms = 5000 };
		if (ioctl(w->fd, VSCARD_IOC_WAIT_STATUS, &wt))
			return -errno;
	} else {
		p = (struct pollfd){ .fd = kind == W_PIPE ? w->sig : w->fd,
				     .events = kind == W_PIPE ? POLLIN : POLLPRI };
		if (poll(&p, 1, 5000) != 1)
			return -EIO;
	}
	t1 = abi_now_ns();
	if (kind == W_PIPE && read(w->sig, &c, 1) != 1)
		return -EIO;
	*ns = t1 - *w->stamp;
	return 0;
}

static int bench_wakeup(struct waker *w, uint64_t **v, int n)
{
	int done = 0, i, k;
	uint64_t ns;

	for (k = 0; k < NW; k++)
		for (i = 0; i < WARMUP / 4; i++)
			if (wake_once(w, k, &ns))
				return -EIO;
	while (done < n) {
		int block = n - done < BLOCK ? n - done : BLOCK;

		for (k = 0; k < NW; k++)
			for (i = 0; i < block; i++)
				if (wake_once(w, k, &v[k][done + i]))
					return -EIO;
		done += block;
	}
	return 0;
}

/* Unit costs in one process (no wakeup), microseconds. */
static void bench_units(int devfd, int n)
{
	struct vscard_status st;
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
		abi_status(devfd, &st);
	us[2] = (double)(abi_now_ns() - t0) / n / 1000.0;
	close(p[0]);
	close(p[1]);
	printf("bench-abi: unit costs in one process (us): system call %.2f, pipe write+read %.2f, GET_STATUS ioctl %.2f\n",
	       us[0], us[1], us[2]);
}

enum { P_PIPE, P_VSCARD, NPEERS };

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 5000;
	int nw = argc > 2 ? atoi(argv[2]) : 1000;
	double p50[NPEERS], p99[NPEERS], w50[NW], w99[NW];
	struct rtt_peer peers[NPEERS];
	uint64_t *wv[NW];
	struct waker wk = { .fd = -1 };
	struct vscard_nl *nl;
	pid_t pids[NPEERS];
	uint32_t slot = 0;
	int ok = 1, k;

	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (n < BLOCK || nw < BLOCK) {
		fprintf(stderr, "abi_bench: at least %d samples\n", BLOCK);
		return 2;
	}
	nl = abi_nl();
	pids[P_PIPE] = spawn_pipe_echo(&peers[P_PIPE]);
	pids[P_VSCARD] = spawn_echo_agent(&slot);
	peers[P_VSCARD].fd = pids[P_VSCARD] > 0 ? abi_open_slot(nl, slot) : -1;
	for (k = 0; k < NPEERS; k++)
		ok &= pids[k] > 0 && !!(peers[k].v = calloc((size_t)n, 8));
	ok &= peers[P_VSCARD].fd >= 0;
	OK(ok, "echo agent (binding file) and pipe echo started");
	ok = ok && !bench_rtt(peers, NPEERS, n);
	OK(ok, "P1 round trips measured (%d each, interleaved)", n);
	if (!ok)
		return 1;
	for (k = 0; k < NPEERS; k++)
		pct(peers[k].v, n, &p50[k], &p99[k]);
	for (k = 0; k < NW; k++)
		ok &= !!(wv[k] = calloc((size_t)nw, 8));
	ok = ok && !spawn_toggler(&wk) && !bench_wakeup(&wk, wv, nw);
	OK(ok, "wakeup latencies measured (%d each, interleaved)", nw);
	if (!ok)
		return 1;
	for (k = 0; k < NW; k++)
		pct(wv[k], nw, &w50[k], &w99[k]);
	printf("bench-abi: P1 request round trip, %d samples each (us):\n", n);
	printf("bench-abi:   pipe ping-pong (baseline)                  p50 %8.1f  p99 %8.1f\n",
	       p50[P_PIPE], p99[P_PIPE]);
	printf("bench-abi:   TRANSMIT -> binding read/write -> TRANSMIT p50 %8.1f  p99 %8.1f\n",
	       p50[P_VSCARD], p99[P_VSCARD]);
	printf("P1 p50 ratio: %.2f\n", p50[P_VSCARD] / p50[P_PIPE]);
	printf("P1 p99 ratio: %.2f\n", p99[P_VSCARD] / p99[P_PIPE]);
	printf("bench-abi: P2 status wakeup, %d samples each (us):\n", nw);
	printf("bench-abi:   pipe write -> poll wakeup (baseline)       p50 %8.1f  p99 %8.1f\n",
	       w50[W_PIPE], w99[W_PIPE]);
	printf("bench-abi:   card write -> poll(POLLPRI) wakeup         p50 %8.1f  p99 %8.1f\n",
	       w50[W_POLL], w99[W_POLL]);
	printf("bench-abi:   card write -> WAIT_STATUS return           p50 %8.1f  p99 %8.1f (ratio p50 %.2f)\n",
	       w50[W_WAIT], w99[W_WAIT], w50[W_WAIT] / w50[W_PIPE]);
	printf("P2 p50 ratio: %.2f\n", w50[W_POLL] / w50[W_PIPE]);
	bench_units(wk.fd, 2000);
	close(wk.go);
	waitpid(wk.pid, NULL, 0);
	close(peers[P_VSCARD].fd);
	kill(pids[P_VSCARD], SIGTERM);
	kill(pids[P_PIPE], SIGTERM);
	close(peers[P_PIPE].to);
	waitpid(pids[P_PIPE], NULL, 0);
	waitpid(pids[P_VSCARD], NULL, 0);
	vscard_nl_close(nl);
	return 0;
}
