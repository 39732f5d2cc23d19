// SPDX-License-Identifier: MIT
/*
 * ABI tests: requests pushed to the owner socket (BIND with PUSH, REQ_PUSH,
 * ABI 1.2), the fallback to REQ_NOTIFY + REQ_GET, REQ_DONE without an ack,
 * and a recycled portid never receiving a push.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "abi.h"

static const uint8_t select_apdu[] = { 0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F,
				       0x00 };
static const uint8_t ok_sw[] = { 0x90, 0x00 };

static struct vscard_done done_ok(const struct vscard_attrs *req)
{
	return (struct vscard_done){
		.pool = req->pool, .slot = req->slot, .req_id = req->req_id,
		.result = -1, .protocols = -1, .data = ok_sw, .len = 2,
	};
}

/* Count the messages of @cmd that arrive on @nl within @ms. */
static int count_msgs(struct vscard_nl *nl, uint8_t cmd, unsigned int ms)
{
	struct vscard_attrs m;
	int n = 0;

	while (!abi_wait_msg(nl, cmd, &m, ms)) {
		vscard_attrs_release(&m);
		n++;
	}
	return n;
}

static void test_push_round_trip(void)
{
	struct vscard_nl *a = abi_nl(), *b = abi_nl();
	struct vscard_attrs m, s, req;
	struct vscard_done d;
	struct abi_xfer x;
	int slot, fd, r, last = 0;
	uint64_t n;

	slot = abi_bind_push(a, -1, "push-key", NULL);
	if (slot < 0 || abi_card(a, (uint32_t)slot, true)) {
		OK(0, "push: setup");
		goto out;
	}
	r = abi_slot_get(b, (uint32_t)slot, &s);
	OK(r == 0 && vscard_attrs_has(&s, VSCARD_A_PUSH),
	   "SLOT_GET reports a binding made with PUSH (%d)", r);
	vscard_attrs_release(&s);
	fd = abi_open_slot(a, (uint32_t)slot);

	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1,
		       select_apdu, sizeof(select_apdu), 258, 10000);
	r = abi_wait_msg(a, VSCARD_CMD_REQ_PUSH, &m, 5000);
	OK(r == 0 && m.slot == (uint32_t)slot && m.req_id &&
	   m.req_type == VSCARD_REQ_TRANSMIT && m.req_rx_max == 258 &&
	   m.data_len == sizeof(select_apdu) &&
	   !memcmp(m.data, select_apdu, sizeof(select_apdu)),
	   "the request arrives as REQ_PUSH with its bytes (%d)", r);
	if (r)
		goto out_x;
	r = vscard_nl_req_get(a, &req);
	OK(r == -ENOENT, "a pushed request counts as fetched: REQ_GET -> -ENOENT (%d)", r);
	OK(count_msgs(b, VSCARD_CMD_REQ_PUSH, 100) == 0,
	   "another socket receives nothing");
	d = done_ok(&m);
	r = vscard_nl_req_done_async(a, &d);
	abi_xfer_join(&x);
	OK(r == 0 && x.ret == 0 && x.x.rx_len == 2 && x.rx[0] == 0x90,
	   "REQ_DONE without an ack completes it (r %d ret %d)", r, x.ret);
	OK(vscard_nl_async_errors(a, NULL) == 0, "no asynchronous error so far");

	/* a duplicate completion without an ack: its error comes later */
	r = vscard_nl_req_done_async(a, &d);
	OK(r == 0, "a duplicate REQ_DONE without an ack is sent (%d)", r);
	r = abi_slot_get(a, (uint32_t)slot, &s);	/* reads the error */
	vscard_attrs_release(&s);
	n = vscard_nl_async_errors(a, &last);
	OK(n == 1 && last == -ENOENT,
	   "its -ENOENT is counted as an asynchronous error (%llu, %d)",
	   (unsigned long long)n, last);
	vscard_attrs_release(&m);
out_x:
	abi_xfer_free(&x);
	close(fd);
out:
	vscard_nl_close(b);
	vscard_nl_close(a);
}

/* Round trips through a push agent: every request pushed, none fetched. */
static void test_push_agent(void)
{
	struct abi_agent ag;
	unsigned long pushed = 0, answered;
	uint8_t rx[258];
	int fd, i, failed = 0;

	if (abi_agent_start_mode(&ag, 1, "push-agent", ABI_AGENT_PUSH)) {
		OK(0, "push agent: setup");
		return;
	}
	fd = abi_agent_open_slot(&ag, 0);
	/*
	 * A first request may meet the agent's start-up REQ_GET and be
	 * fetched instead: count from the second one.
	 */
	for (i = -1; i < 500; i++) {
		size_t len = sizeof(rx);

		if (i == 0)	/* counted before its answer is sent */
			pushed = atomic_load(&ag.pushed);
		failed += abi_transmit(fd, select_apdu, sizeof(select_apdu),
				       rx, &len, 10000) != 0 || len != 2 ||
			  rx[0] != 0x90;
	}
	close(fd);
	abi_agent_stop(&ag);
	OK(!failed && atomic_load(&ag.error) == 0,
	   "1 + 500 round trips through a push agent (%d failed)", failed);
	pushed = atomic_load(&ag.pushed) - pushed;
	answered = atomic_load(&ag.answered);
	OK(pushed == 500 && answered == 501,
	   "all 500 came as REQ_PUSH (%lu pushed, %lu answered in all)",
	   pushed, answered);
}

struct echo_caller {
	pthread_t th;
	int fd;
	int failed;
};

/* 4000-byte echo APDUs: too big for more than one in a tiny rcvbuf. */
static void *echo_caller_fn(void *arg)
{
	struct echo_caller *c = arg;
	size_t lc = 4000, tx_len = 7 + lc + 2, i;
	uint8_t *tx = malloc(tx_len), *rx = malloc(lc + 2);
	int k;

	tx[0] = 0x80; tx[1] = 0xEE; tx[2] = 0; tx[3] = 0;
	tx[4] = 0; tx[5] = (uint8_t)(lc >> 8); tx[6] = (uint8_t)lc;
	tx[tx_len - 2] = (uint8_t)(lc >> 8);	/* Le = Lc: the data + SW */
	tx[tx_len - 1] = (uint8_t)lc;
	for (k = 0; k < 50; k++) {
		size_t len = lc + 2;
		int bad;

		for (i = 0; i < lc; i++)
			tx[7 + i] = (uint8_t)(i + (size_t)k * 7);
		bad = abi_transmit(c->fd, tx, tx_len, rx, &len, 20000) ||
		      len != lc + 2 || memcmp(rx, tx + 7, lc);
		c->failed += bad;
	}
	free(tx);
	free(rx);
	return NULL;
}

/*
 * Pushes may fill half of the agent's receive buffer: with 24000 bytes
 * one 4000-byte request (about 8.7 KiB of skb) fits, a second does not
 * and falls back to REQ_NOTIFY + REQ_GET; every caller still gets its own
 * answer, and no reply to the agent's commands is lost.
 */
static void test_push_fallback(void)
{
	struct echo_caller c[8];
	struct abi_agent ag;
	int i, rcvbuf = 12000, failed = 0, fd[2];
	unsigned long pushed, answered;

	if (abi_agent_start_mode(&ag, 2, "push-small-rcvbuf", ABI_AGENT_PUSH)) {
		OK(0, "push fallback: setup");
		return;
	}
	setsockopt(vscard_nl_fd(ag.nl), SOL_SOCKET, SO_RCVBUF, &rcvbuf,
		   sizeof(rcvbuf));	/* the kernel doubles it */
	for (i = 0; i < 2; i++)
		fd[i] = abi_agent_open_slot(&ag, i);
	for (i = 0; i < 8; i++) {
		c[i].fd = fd[i % 2];
		c[i].failed = 0;
		pthread_create(&c[i].th, NULL, echo_caller_fn, &c[i]);
	}
	for (i = 0; i < 8; i++) {
		pthread_join(c[i].th, NULL);
		failed += c[i].failed;
	}
	close(fd[0]);
	close(fd[1]);
	abi_agent_stop(&ag);
	pushed = atomic_load(&ag.pushed);
	answered = atomic_load(&ag.answered);
	OK(!failed && atomic_load(&ag.error) == 0 && answered == 400,
	   "400 echoes of 4000 bytes through a small receive buffer, all intact (%d failed, %lu answered)",
	   failed, answered);
	OK(pushed > 0 && pushed < answered,
	   "some were pushed, the rest fetched with REQ_GET (%lu of %lu pushed)",
	   pushed, answered);
}

struct submitter {
	pthread_t th;
	int fd;
	atomic_bool stop;
	unsigned long calls;
};

static void *submit_loop(void *arg)
{
	struct submitter *s = arg;
	uint8_t rx[8];

	while (!atomic_load(&s->stop)) {
		size_t len = sizeof(rx);

		if (abi_transmit(s->fd, select_apdu, sizeof(select_apdu), rx,
				 &len, 50))
			abi_sleep_ms(1);
		s->calls++;
	}
	return NULL;
}

/*
 * A push agent (portid P) that never reads dies while requests keep coming;
 * socket B takes P as soon as it is free: B must never get a REQ_PUSH
 * (pushes go to the socket object, not to the portid).
 */
static void test_push_recycling(void)
{
	uint32_t port = 0x7eae0000u | ((uint32_t)getpid() & 0xffff);
	struct vscard_nl *nl = abi_nl(), *b = NULL;
	struct submitter sub = { .fd = -1 };
	int p[2], st, tries = 0, pushes;
	int32_t slot = -1;
	pid_t pid;

	if (pipe(p))
		goto out;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		struct vscard_nl *a;

		close(p[0]);
		if (vscard_nl_open(&a, VSCARD_NL_NONBLOCK, port))
			_exit(1);
		slot = abi_bind_push(a, -1, "push-dying", NULL);
		if (slot < 0 || abi_card(a, (uint32_t)slot, true) ||
		    write(p[1], &slot, sizeof(slot)) < 0)
			_exit(2);
		for (;;)
			pause();
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &slot, sizeof(slot)) != sizeof(slot)) {
		OK(0, "push recycling: agent setup");
		goto out_p;
	}
	sub.fd = abi_open_slot(nl, (uint32_t)slot);
	pthread_create(&sub.th, NULL, submit_loop, &sub);
	abi_sleep_ms(200);
	kill(pid, SIGKILL);
	b = abi_take_portid(port, &tries);
	OK(b && vscard_nl_portid(b) == port,
	   "push recycling: a new socket got the dead agent's portid after %d tries",
	   tries);
	pushes = b ? count_msgs(b, VSCARD_CMD_REQ_PUSH, 500) : -1;
	atomic_store(&sub.stop, true);
	pthread_join(sub.th, NULL);
	waitpid(pid, &st, 0);
	OK(pushes == 0 && sub.calls > 0,
	   "the new socket never receives a pushed request (%d, %lu calls made)",
	   pushes, sub.calls);
	close(sub.fd);
out_p:
	close(p[0]);
out:
	vscard_nl_close(b);
	vscard_nl_close(nl);
}

void t_push(void)
{
	test_push_round_trip();
	test_push_agent();
	test_push_fallback();
	test_push_recycling();
}
