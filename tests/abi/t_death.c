// SPDX-License-Identifier: MIT
/*
 * ABI tests: kill -9 of the process holding binding files.  Its pending
 * requests (read or still queued) fail at once with -ENOMEDIUM, the
 * slots linger for the binder's uid and key, a new binding cannot
 * complete what the dead agent read, and a binding file inherited by
 * fork keeps the binding alive after the parent's death.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "abi.h"

#define DEATH_SLOTS	4	/* slots whose requests the agent read */
#define DEATH_EACH	25	/* per slot, under VSCARD_SLOT_REQS_MAX */
#define DEATH_READ	(DEATH_SLOTS * DEATH_EACH)
#define DEATH_REQS	(DEATH_READ + 1)	/* + one queued, never read */

static const uint8_t apdu[] = { 0x00, 0xA4, 0x04, 0x00 };
static const uint8_t sw[] = { 0x90, 0x00 };

/*
 * Child agent: binds DEATH_SLOTS + 1 slots with a linger, inserts cards,
 * reports the slots; reads DEATH_EACH requests on each of the first
 * DEATH_SLOTS and reports the first id; then waits until the last slot
 * has a request queued (poll, not read), reports it and sleeps until
 * killed.
 */
static void hung_agent(int sock)
{
	struct vscard_nl *nl;
	struct abi_bound b[DEATH_SLOTS + 1];
	uint32_t slots[DEATH_SLOTS + 1];
	abi_msg_t *m = malloc(sizeof(*m));
	uint64_t first = 0;
	int i, k;

	if (!m || abi_nl_try(&nl))
		_exit(1);
	for (i = 0; i <= DEATH_SLOTS; i++) {
		if (abi_bind(nl, -1, "dying-key", 60000, 60000, &b[i]) < 0 ||
		    abi_card(b[i].fd, true))
			_exit(2);
		slots[i] = b[i].slot;
	}
	vscard_nl_close(nl);
	if (abi_send(sock, slots, sizeof(slots)))
		_exit(3);
	for (i = 0; i < DEATH_SLOTS; i++)
		for (k = 0; k < DEATH_EACH; k++) {
			if (abi_read(b[i].fd, m, 60000) <= 0)
				_exit(4);
			if (!first)
				first = m->msg.id;
		}
	if (abi_send_u64(sock, first))
		_exit(5);
	if (abi_poll(b[DEATH_SLOTS].fd, POLLIN, 60000) <= 0 ||
	    abi_send_u64(sock, 1))
		_exit(6);
	for (;;)
		pause();
}

static void test_kill9(void)
{
	struct vscard_nl *nl = abi_nl();
	struct abi_xfer *x = calloc(DEATH_REQS, sizeof(*x));
	uint32_t slots[DEATH_SLOTS + 1];
	struct abi_bound back[DEATH_SLOTS + 1];
	int fds[DEATH_SLOTS + 1], sv[2], i, failed = 0, st, got = 0, r;
	uint64_t first = 0, t0, worst = 0, k_end = 0;
	unsigned int releases = 0, pending = 0;
	unsigned long aborted = 0;
	bool traced;
	pid_t pid;

	for (i = 0; i <= DEATH_SLOTS; i++) {
		fds[i] = -1;
		back[i].fd = -1;
	}
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		OK(0, "kill -9: socketpair");
		goto out;
	}
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		close(sv[0]);
		hung_agent(sv[1]);
	}
	close(sv[1]);
	if (pid < 0 || abi_recv(sv[0], slots, sizeof(slots)) != sizeof(slots)) {
		OK(0, "kill -9: agent setup");
		goto out_sock;
	}
	for (i = 0; i <= DEATH_SLOTS; i++)
		fds[i] = abi_open_slot(nl, slots[i]);
	for (i = 0; i < DEATH_READ; i++)
		abi_xfer_start(&x[i], fds[i % DEATH_SLOTS], VSCARD_IOC_TRANSMIT,
			       VSCARD_PROTO_T1, apdu, sizeof(apdu), 2, 60000);
	first = abi_recv_u64(sv[0]);
	abi_xfer_start(&x[DEATH_READ], fds[DEATH_SLOTS], VSCARD_IOC_TRANSMIT,
		       VSCARD_PROTO_T1, apdu, sizeof(apdu), 2, 60000);
	r = (int)abi_recv_u64(sv[0]);
	for (i = 0; i <= DEATH_SLOTS; i++)
		pending += abi_slot_pending(nl, 0, slots[i]);
	OK(first != (uint64_t)-1 && r == 1 && pending == DEATH_REQS,
	   "%d requests read on %d slots of a hung agent, one more queued unread (%u pending)",
	   DEATH_READ, DEATH_SLOTS, pending);
	traced = !abi_trace_start("vscard_binding_release");
	t0 = abi_now_ns();
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	/* the files were released before the agent could be reaped */
	for (pending = 0, i = 0; i <= DEATH_SLOTS; i++)
		pending += abi_slot_pending(nl, 0, slots[i]);
	OK(pending == 0, "kill -9: nothing pending once the agent is reaped (%u)",
	   pending);
	for (i = 0; i < DEATH_REQS; i++) {
		abi_xfer_join(&x[i]);
		failed += x[i].ret == -ENOMEDIUM;
		got += x[i].ret == 0;
		if (x[i].t_end > t0 && x[i].t_end - t0 > worst)
			worst = x[i].t_end - t0;
	}
	OK(failed == DEATH_REQS,
	   "kill -9: all %d callers fail with -ENOMEDIUM, not at their 60 s deadline (%d did, %d got data, first error %d)",
	   DEATH_REQS, failed, got, x[0].ret);
	DIAG("kill -9: the last caller returned %.1f ms after the kill",
	     (double)worst / 1e6);
	if (traced &&
	    !abi_trace_stop("vscard_binding_release", &k_end, &releases,
			    &aborted, "aborted")) {
		OK(releases == DEATH_SLOTS + 1 && aborted == DEATH_REQS,
		   "kill -9: the kernel released %d bindings failing %d requests (tracepoint: %u, %lu)",
		   DEATH_SLOTS + 1, DEATH_REQS, releases, aborted);
		DIAG("kill -9: kernel released the last binding %.1f ms after the kill",
		     k_end > t0 ? (double)(k_end - t0) / 1e6 : -1.0);
	} else {
		DIAG("kill -9: no tracefs vscard events, release count not checked");
	}
	for (r = 0, i = 0; i <= DEATH_SLOTS; i++)
		r += !!(abi_slot_flags(nl, 0, slots[i]) & VSCARD_STATUS_LINGERING);
	OK(r == DEATH_SLOTS + 1, "kill -9: the %d slots linger for the dead agent's key (%d)",
	   DEATH_SLOTS + 1, r);
	/* the same uid with the same key takes them back */
	for (r = 0, i = 0; i <= DEATH_SLOTS; i++) {
		int s = abi_bind(nl, -1, "dying-key", -1, -1, &back[i]);
		int k;

		for (k = 0; k <= DEATH_SLOTS; k++)
			r += s == (int)slots[k];
	}
	OK(r == DEATH_SLOTS + 1, "rebinding with the key takes back all %d slots (%d)",
	   DEATH_SLOTS + 1, r);
	{
		int s0 = -1;

		for (i = 0; i <= DEATH_SLOTS; i++)
			if (back[i].fd >= 0 && back[i].slot == slots[0])
				s0 = i;
		r = s0 >= 0 ? abi_done(back[s0].fd, first, 0, sw, 2) : -1;
		OK(r == -ENOENT,
		   "the new binding cannot complete a request the dead agent read (%d)",
		   r);
	}
	for (i = 0; i < DEATH_REQS; i++)
		abi_xfer_free(&x[i]);
out_sock:
	close(sv[0]);
out:
	for (i = 0; i <= DEATH_SLOTS; i++) {
		abi_unbound(&back[i]);
		if (fds[i] >= 0)
			close(fds[i]);
	}
	free(x);
	vscard_nl_close(nl);
}

/*
 * Agent A binds and forks G (G inherits the binding file); A reads a
 * request and is killed.  G still holds the file: the binding goes on,
 * the request stays pending, and G completes it by its id.  G's exit then
 * ends the binding.
 */
static void test_fork_holder(void)
{
	struct vscard_nl *nl = abi_nl();
	struct abi_xfer x;
	struct vscard_status st;
	int sv[2], fd = -1, r, wst;
	uint64_t slot = (uint64_t)-1, id = 0, gres = (uint64_t)-1;
	uint32_t fl;
	pid_t a, g = -1;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv)) {
		OK(0, "fork holder: socketpair");
		goto out;
	}
	/* G, orphaned by A's death, becomes our child: we can reap it */
	prctl(PR_SET_CHILD_SUBREAPER, 1);
	fflush(stdout);
	a = fork();
	if (a == 0) {
		struct vscard_nl *anl;
		struct abi_bound b;
		abi_msg_t *m = malloc(sizeof(*m));
		pid_t gg;

		close(sv[0]);
		if (!m || abi_nl_try(&anl) ||
		    abi_bind(anl, -1, "fork-key", -1, 60000, &b) < 0 ||
		    abi_card(b.fd, true))
			_exit(1);
		gg = fork();
		if (gg == 0) {
			/* G: wait for the id the parent forwards, complete it */
			uint64_t gid = abi_recv_u64(sv[1]);
			int gr = abi_done(b.fd, gid, 0, sw, 2);

			abi_send_u64(sv[1], (uint64_t)(int64_t)gr);
			abi_recv_u64(sv[1]);	/* exit */
			_exit(0);
		}
		if (gg < 0 || abi_send_u64(sv[1], b.slot) ||
		    abi_send_u64(sv[1], (uint64_t)gg) ||
		    abi_read(b.fd, m, 60000) <= 0 ||
		    abi_send_u64(sv[1], m->msg.id))
			_exit(2);
		for (;;)
			pause();
	}
	close(sv[1]);
	slot = abi_recv_u64(sv[0]);
	g = (pid_t)abi_recv_u64(sv[0]);
	if (a < 0 || slot == (uint64_t)-1 || g <= 0) {
		OK(0, "fork holder: agent setup");
		goto out_sock;
	}
	memset(&st, 0, sizeof(st));
	fd = abi_open_slot(nl, (uint32_t)slot);
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu,
		       sizeof(apdu), 2, 60000);
	id = abi_recv_u64(sv[0]);
	kill(a, SIGKILL);
	waitpid(a, &wst, 0);
	fl = abi_slot_flags(nl, 0, (uint32_t)slot);
	OK(id && id != (uint64_t)-1 && (fl & VSCARD_STATUS_BOUND) &&
	   !abi_xfer_wait(&x, 0),
	   "kill -9 of an agent whose forked child holds the file: still bound, request pending (%#x)",
	   fl);
	abi_send_u64(sv[0], id);
	gres = abi_recv_u64(sv[0]);
	abi_xfer_join(&x);
	OK(gres == 0 && x.ret == 0 && x.x.rx_len == 2 && x.rx[0] == 0x90,
	   "the child completes the request its dead parent read (%d, %d)",
	   (int)gres, x.ret);
	abi_xfer_free(&x);
	abi_send_u64(sv[0], 0);
	r = waitpid(g, &wst, 0) == g ? abi_status(fd, &st) : -errno;
	OK(r == 0 && !(st.flags & VSCARD_STATUS_BOUND),
	   "the last holder's exit ends the binding (%d, flags %#x)", r,
	   st.flags);
	close(fd);
out_sock:
	close(sv[0]);
	prctl(PR_SET_CHILD_SUBREAPER, 0);
out:
	vscard_nl_close(nl);
}

void t_death(void)
{
	test_kill9();
	test_fork_holder();
}
