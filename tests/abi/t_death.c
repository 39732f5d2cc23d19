// SPDX-License-Identifier: MIT
/* ABI tests: agent death with requests pending, portid recycling. */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "abi.h"

#define DEATH_REQS	100
#define DEATH_SLOTS	4	/* 25 per slot, under VSCARD_SLOT_REQS_MAX */

/*
 * Child agent: bind @n slots, insert cards, report the slots (and, with
 * @fetch, the id of the first request it fetched) on @wfd, then sleep
 * without answering until killed.
 */
static void hung_agent(int wfd, int n, uint32_t port, bool fetch)
{
	struct vscard_nl *nl;
	struct vscard_attrs req;
	uint32_t slots[VSCARD_POOL_SLOTS_MAX];
	uint64_t id = 0;
	int i, s;

	if (vscard_nl_open(&nl, VSCARD_NL_NONBLOCK, port))
		_exit(1);
	for (i = 0; i < n; i++) {
		s = abi_bind(nl, -1, "dying-key", -1, 60000, NULL);
		if (s < 0 || abi_card(nl, (uint32_t)s, true))
			_exit(2);
		slots[i] = (uint32_t)s;
	}
	if (write(wfd, slots, sizeof(slots[0]) * (size_t)n) < 0)
		_exit(3);
	if (fetch) {
		if (abi_fetch(nl, &req, 20000))
			_exit(4);
		id = req.req_id;
		if (write(wfd, &id, sizeof(id)) < 0)
			_exit(5);
	}
	for (;;)
		pause();
}

static pid_t spawn_agent(int n, uint32_t port, bool fetch, int *rfd)
{
	int p[2];
	pid_t pid;

	if (pipe(p))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		hung_agent(p[1], n, port, fetch);
	}
	close(p[1]);
	*rfd = p[0];
	return pid;
}

static int total_pending(struct vscard_nl *nl, const uint32_t *slots, int n)
{
	struct vscard_attrs a;
	int i, sum = 0;

	for (i = 0; i < n; i++) {
		if (abi_slot_get(nl, slots[i], &a))
			return -1;
		sum += (int)a.pending;
		vscard_attrs_release(&a);
	}
	return sum;
}

static void test_kill9(void)
{
	static const uint8_t apdu[] = { 0x00, 0xA4, 0x04, 0x00 };
	struct vscard_nl *nl = abi_nl();
	struct abi_xfer *x = calloc(DEATH_REQS, sizeof(*x));
	uint32_t slots[DEATH_SLOTS];
	int fds[DEATH_SLOTS], rfd, i, pending = 0, failed = 0, fast = 0, st;
	uint64_t t0, worst = 0, bound, k_end = 0, k_bound;
	const char *env = getenv("ABI_DEATH_BOUND_MS");
	const char *k_env = getenv("ABI_DEATH_KERNEL_BOUND_MS");
	unsigned int releases = 0;
	unsigned long aborted = 0;
	bool traced;
	pid_t pid;

	/*
	 * The spec's 100 ms is checked on the kernel side: from the kill to
	 * the last binding release (tracepoint) that failed the requests.
	 * Callers then wait for the guest scheduler (100 threads on two TCG
	 * vCPUs, other guests on the host): 1 s for them, more on the debug
	 * kernel (KASAN, lockdep) through ABI_DEATH_BOUND_MS.
	 */
	bound = (env && *env ? strtoull(env, NULL, 0) : 1000) * 1000000ULL;
	k_bound = (k_env && *k_env ? strtoull(k_env, NULL, 0) : 100) * 1000000ULL;
	pid = spawn_agent(DEATH_SLOTS, 0, false, &rfd);
	if (pid < 0 || read(rfd, slots, sizeof(slots)) != sizeof(slots)) {
		OK(0, "kill -9: agent setup");
		goto out;
	}
	for (i = 0; i < DEATH_SLOTS; i++)
		fds[i] = abi_open_slot(nl, slots[i]);
	for (i = 0; i < DEATH_REQS; i++)
		abi_xfer_start(&x[i], fds[i % DEATH_SLOTS], VSCARD_IOC_TRANSMIT,
			       VSCARD_PROTO_T1, apdu, sizeof(apdu), 2, 60000);
	t0 = abi_now_ns();
	while (abi_now_ns() - t0 < 20000000000ULL &&
	       (pending = total_pending(nl, slots, DEATH_SLOTS)) < DEATH_REQS)
		abi_sleep_ms(20);
	OK(pending == DEATH_REQS, "%d requests pending on %d slots of a hung agent (%d)",
	   DEATH_REQS, DEATH_SLOTS, pending);
	traced = !abi_trace_start("vscard_binding_release");
	t0 = abi_now_ns();
	kill(pid, SIGKILL);
	for (i = 0; i < DEATH_REQS; i++) {
		abi_xfer_join(&x[i]);
		failed += x[i].ret != 0;
		if (x[i].t_end > t0 && x[i].t_end - t0 > worst)
			worst = x[i].t_end - t0;
		fast += x[i].t_end - t0 < bound;
	}
	waitpid(pid, &st, 0);
	if (traced &&
	    !abi_trace_stop("vscard_binding_release", &k_end, &releases,
			    &aborted, "aborted")) {
		OK(releases == DEATH_SLOTS && aborted == DEATH_REQS,
		   "agent kill -9: the kernel released %d bindings failing %d requests (%u, %lu)",
		   DEATH_SLOTS, DEATH_REQS, releases, aborted);
		OK(k_end > t0 && k_end - t0 < k_bound,
		   "agent kill -9: kernel failed all requests < %llu ms after the kill (%.1f ms)",
		   (unsigned long long)(k_bound / 1000000),
		   k_end > t0 ? (double)(k_end - t0) / 1e6 : -1.0);
	} else {
		SKIP("agent kill -9: kernel-side latency (no tracefs vscard events)");
	}
	OK(failed == DEATH_REQS, "agent kill -9: all %d callers fail (%d did, first error %d)",
	   DEATH_REQS, failed, x[0].ret);
	OK(fast == DEATH_REQS, "agent kill -9: all callers return < %llu ms after the kill (worst %.1f ms)",
	   (unsigned long long)(bound / 1000000), (double)worst / 1e6);
	OK(total_pending(nl, slots, DEATH_SLOTS) == 0,
	   "nothing stays pending after the agent's death");
	for (i = 0; i < DEATH_REQS; i++)
		abi_xfer_free(&x[i]);
	for (i = 0; i < DEATH_SLOTS; i++)
		close(fds[i]);
	close(rfd);
out:
	free(x);
	vscard_nl_close(nl);
}

/*
 * Agent A (portid P) fetched a request and dies; socket B is bound to the
 * same portid as soon as possible: B must neither see A's request nor be
 * able to complete it, and the caller must fail.
 */
static void test_portid_recycling(void)
{
	static const uint8_t apdu[] = { 0x00, 0xA4, 0x04, 0x00 };
	static const uint8_t sw[] = { 0x90, 0x00 };
	uint32_t port = 0x7ead0000u | ((uint32_t)getpid() & 0xffff);
	struct vscard_nl *nl = abi_nl(), *b = NULL;
	struct vscard_done d;
	struct vscard_attrs m;
	struct abi_xfer x;
	uint32_t slot;
	uint64_t id;
	int rfd, fd, r, st, tries = 0;
	pid_t pid;

	pid = spawn_agent(1, port, true, &rfd);
	if (pid < 0 || read(rfd, &slot, sizeof(slot)) != sizeof(slot)) {
		OK(0, "portid recycling: agent setup");
		goto out;
	}
	fd = abi_open_slot(nl, slot);
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu,
		       sizeof(apdu), 2, 20000);
	if (read(rfd, &id, sizeof(id)) != sizeof(id)) {
		OK(0, "portid recycling: agent fetched the request");
		goto out_x;
	}
	kill(pid, SIGKILL);
	b = abi_take_portid(port, &tries);
	OK(b && vscard_nl_portid(b) == port,
	   "a new socket got the dead agent's portid %#x after %d tries", port,
	   tries);
	if (!b)
		goto out_x;
	d = (struct vscard_done){ .pool = ABI_POOL, .slot = slot, .req_id = id,
				  .status = 0, .result = -1, .protocols = -1,
				  .data = sw, .len = 2 };
	r = vscard_nl_req_done(b, &d);
	OK(r == -EPERM || r == -ENOENT,
	   "the new socket cannot complete the dead agent's request (%d)", r);
	r = vscard_nl_req_get(b, &m);
	OK(r == -ENOENT, "the new socket fetches nothing (%d)", r);
	abi_xfer_join(&x);
	OK(x.ret != 0 && x.ret != -ETIMEDOUT,
	   "the caller failed promptly instead of getting data (%d)", x.ret);
	r = abi_wait_msg(b, VSCARD_CMD_REQ_NOTIFY, &m, 300);
	OK(r == -ETIMEDOUT, "the new socket receives no notification for it (%d)", r);
	if (!r)
		vscard_attrs_release(&m);
	waitpid(pid, &st, 0);
out_x:
	if (!atomic_load(&x.done))
		kill(pid, SIGKILL);
	abi_xfer_join(&x);
	abi_xfer_free(&x);
	close(fd);
	close(rfd);
out:
	vscard_nl_close(b);
	vscard_nl_close(nl);
}

void t_death(void)
{
	test_kill9();
	test_portid_recycling();
}
