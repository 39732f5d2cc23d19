// SPDX-License-Identifier: MIT
/*
 * ABI tests of the binding file itself: read (one message per call,
 * -EMSGSIZE and -EFAULT keep the message first in line, blocking and
 * O_NONBLOCK), write (one command per call, every malformed command
 * refused with -EINVAL and no effect), poll (EPOLLIN only while a message
 * is queued, EPOLLOUT always, EPOLLHUP at the end, all woken), the end of
 * a binding (UNBIND, POOL_DEL, last close: end of file, -ENODEV, pending
 * callers failed before the call returns), two readers on one binding,
 * and the binding as a file: dup, fork and SCM_RIGHTS holders.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "abi.h"

static const uint8_t apdu10[] = { 0x00, 0xA4, 0x04, 0x00, 0x05,
				  0xA0, 0x00, 0x00, 0x00, 0x01 };
static const uint8_t ok_sw[] = { 0x90, 0x00 };

#define MSG_HDR	sizeof(struct vscard_msg)

static int set_nonblock(int fd, bool on)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0)
		return -errno;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	return fcntl(fd, F_SETFL, fl) < 0 ? -errno : 0;
}

struct reader {
	pthread_t th;
	int fd;
	abi_msg_t m;
	ssize_t n;
};

static void *read_thread(void *arg)
{
	struct reader *r = arg;

	r->n = read(r->fd, &r->m, sizeof(r->m));
	if (r->n < 0)
		r->n = -errno;
	return NULL;
}

/* Bind a slot of ABI_POOL with a card, and open its node. */
static int setup(struct vscard_nl *nl, const char *key, struct abi_bound *b,
		 int *fd)
{
	int slot = abi_bind(nl, -1, key, -1, -1, b);

	*fd = -1;
	if (slot < 0 || abi_card(b->fd, true))
		return -1;
	*fd = abi_open_slot(nl, (uint32_t)slot);
	return *fd < 0 ? -1 : 0;
}

static void test_read_poll(void)
{
	struct vscard_nl *nl = abi_nl();
	abi_msg_t *m = malloc(sizeof(*m));
	struct epoll_event ev = { .events = EPOLLIN };
	struct abi_xfer x, y;
	struct abi_bound b;
	struct reader rd;
	uint8_t small[MSG_HDR + sizeof(apdu10)];
	uint64_t id;
	ssize_t n;
	int fd, ep, ev_n, r;

	if (setup(nl, "bfile-read", &b, &fd)) {
		OK(0, "read/poll: setup");
		goto out;
	}
	r = abi_poll(b.fd, POLLIN | POLLOUT, 0);
	OK(r == (POLLOUT | POLLWRNORM) || r == POLLOUT,
	   "a fresh binding polls writable only (%#x)", r);
	set_nonblock(b.fd, true);
	n = read(b.fd, m, sizeof(*m));
	OK(n < 0 && errno == EAGAIN, "O_NONBLOCK read with nothing queued -> EAGAIN (%zd)",
	   n < 0 ? -errno : n);
	set_nonblock(b.fd, false);

	/* a blocked reader is woken by a request */
	rd.fd = b.fd;
	pthread_create(&rd.th, NULL, read_thread, &rd);
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu10,
		       sizeof(apdu10), 258, 30000);
	pthread_join(rd.th, NULL);
	OK(rd.n == (ssize_t)(MSG_HDR + sizeof(apdu10)) &&
	   rd.m.msg.type == VSCARD_REQ_TRANSMIT &&
	   !memcmp(rd.m.data, apdu10, sizeof(apdu10)),
	   "a blocking read() returns the request submitted while it slept (%zd)",
	   rd.n);
	OK(abi_poll(b.fd, POLLIN, 0) == 0,
	   "after reading the only message: not readable");
	r = abi_done(b.fd, rd.m.msg.id, 0, ok_sw, 2);
	abi_xfer_join(&x);
	OK(r == 0 && x.ret == 0, "and its completion reaches the caller (%d, %d)",
	   r, x.ret);
	abi_xfer_free(&x);

	/* epoll: EPOLLIN is a wakeup, not only a level seen on the next poll */
	ep = epoll_create1(EPOLL_CLOEXEC);
	epoll_ctl(ep, EPOLL_CTL_ADD, b.fd, &ev);
	ev_n = epoll_wait(ep, &ev, 1, 0);
	OK(ev_n == 0, "epoll: nothing while nothing is queued (%d)", ev_n);
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu10,
		       sizeof(apdu10), 258, 30000);
	ev_n = epoll_wait(ep, &ev, 1, 20000);
	OK(ev_n == 1 && (ev.events & EPOLLIN),
	   "epoll is woken with EPOLLIN by a queued request (%d, %#x)", ev_n,
	   ev.events);

	/* too small a buffer: -EMSGSIZE, the message stays first */
	n = read(b.fd, small, MSG_HDR - 1);
	OK(n < 0 && errno == EMSGSIZE, "read() smaller than the header -> EMSGSIZE (%zd)",
	   n < 0 ? -errno : n);
	n = read(b.fd, small, MSG_HDR);
	OK(n < 0 && errno == EMSGSIZE,
	   "read() with room for the header only -> EMSGSIZE (%zd)",
	   n < 0 ? -errno : n);
	n = read(b.fd, small, sizeof(small) - 1);
	OK(n < 0 && errno == EMSGSIZE, "read() one byte short -> EMSGSIZE (%zd)",
	   n < 0 ? -errno : n);
	OK(abi_poll(b.fd, POLLIN, 0) & POLLIN,
	   "the message is still queued after EMSGSIZE");
	n = read(b.fd, small, sizeof(small));
	memcpy(&m->msg, small, MSG_HDR);
	OK(n == (ssize_t)sizeof(small) && m->msg.len == sizeof(apdu10) &&
	   !memcmp(small + MSG_HDR, apdu10, sizeof(apdu10)),
	   "a read() of exactly header + len bytes gets the same message whole (%zd)",
	   n);
	id = m->msg.id;
	set_nonblock(b.fd, true);
	n = read(b.fd, m, sizeof(*m));
	OK(n < 0 && errno == EAGAIN, "and it was read once: nothing left (%zd)",
	   n < 0 ? -errno : n);
	set_nonblock(b.fd, false);
	ev_n = epoll_wait(ep, &ev, 1, 0);
	OK(ev_n == 0, "epoll: quiet again once read (%d)", ev_n);
	{
		/* write() of one contiguous buffer is one command too */
		uint8_t buf[sizeof(struct vscard_cmd_done) + 2];
		struct vscard_cmd_done d = {
			.cmd = VSCARD_BCMD_DONE, .id = id, .len = 2,
		};

		memcpy(buf, &d, sizeof(d));
		memcpy(buf + sizeof(d), ok_sw, 2);
		n = write(b.fd, buf, sizeof(buf));
		abi_xfer_join(&x);
		OK(n == (ssize_t)sizeof(buf) && x.ret == 0 && x.x.rx_len == 2,
		   "write() of header + data returns the bytes written (%zd) and completes",
		   n);
		abi_xfer_free(&x);
	}

	/* readv: header and data in separate buffers, still one message */
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu10,
		       sizeof(apdu10), 258, 30000);
	{
		struct vscard_msg h;
		uint8_t data[64];
		struct iovec iov[2] = { { &h, sizeof(h) },
					{ data, sizeof(data) } };

		if (abi_poll(b.fd, POLLIN, 20000) > 0)
			n = readv(b.fd, iov, 2);
		else
			n = -1;
		OK(n == (ssize_t)(MSG_HDR + sizeof(apdu10)) &&
		   h.len == sizeof(apdu10) &&
		   !memcmp(data, apdu10, sizeof(apdu10)),
		   "readv() into header and data buffers gets one message (%zd)", n);
		r = n > 0 ? abi_done(b.fd, h.id, 0, ok_sw, 2) : -1;
	}
	abi_xfer_join(&x);
	OK(r == 0 && x.ret == 0, "writev() of header and data completes it (%d)", r);
	abi_xfer_free(&x);

	/* a buffer that faults: -EFAULT, and the request is read again */
	{
		long pg = sysconf(_SC_PAGESIZE);
		uint8_t *map = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1,
			       apdu10, sizeof(apdu10), 258, 30000);
		abi_poll(b.fd, POLLIN, 20000);
		n = syscall(SYS_read, b.fd, (void *)16, VSCARD_MSG_MAX);
		OK(n < 0 && errno == EFAULT, "read() into an unmapped buffer -> EFAULT (%zd)",
		   n < 0 ? -errno : n);
		if (map != MAP_FAILED) {
			uint8_t *p = map + pg - MSG_HDR - 4;

			/* the header fits, the data runs into a hole */
			mprotect(map + pg, (size_t)pg, PROT_NONE);
			n = read(b.fd, p, MSG_HDR + sizeof(apdu10));
			OK(n < 0 && errno == EFAULT,
			   "read() whose data part faults -> EFAULT (%zd)",
			   n < 0 ? -errno : n);
			munmap(map, (size_t)pg * 2);
		}
		n = abi_read(b.fd, m, 1000);
		OK(n == (ssize_t)(MSG_HDR + sizeof(apdu10)) &&
		   !memcmp(m->data, apdu10, sizeof(apdu10)) && !abi_xfer_wait(&x, 0),
		   "after EFAULT the same request is read whole (%zd)", n);
		r = n > 0 ? abi_done(b.fd, m->msg.id, 0, ok_sw, 2) : -1;
		abi_xfer_join(&x);
		OK(r == 0 && x.ret == 0, "and completed (%d, %d)", r, x.ret);
		abi_xfer_free(&x);
		n = syscall(SYS_write, b.fd, (void *)16,
			    sizeof(struct vscard_cmd_done));
		OK(n < 0 && errno == EFAULT,
		   "write() from an unmapped buffer -> EFAULT (%zd)",
		   n < 0 ? -errno : n);
	}

	/* notices come before requests */
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu10,
		       sizeof(apdu10), 258, 2000);
	n = abi_read(b.fd, m, 20000);
	id = m->msg.id;
	abi_xfer_start(&y, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu10,
		       sizeof(apdu10), 258, 30000);
	r = abi_wait_pending(nl, ABI_POOL, b.slot, 2) && !abi_xfer_wait(&x, 0);
	abi_xfer_join(&x);
	OK(n > 0 && r && x.ret == -ETIMEDOUT,
	   "first request read and timed out while a second was queued (%d, %d)",
	   r, x.ret);
	n = abi_read(b.fd, m, 20000);
	OK(n == MSG_HDR && m->msg.type == VSCARD_MSG_CANCEL && m->msg.id == id,
	   "its cancel notice is read before the request queued earlier (%zd, type %#x)",
	   n, m->msg.type);
	n = abi_read(b.fd, m, 20000);
	OK(n > 0 && m->msg.type == VSCARD_REQ_TRANSMIT && m->msg.id != id,
	   "then the queued request (%zd)", n);
	r = n > 0 ? abi_done(b.fd, m->msg.id, 0, ok_sw, 2) : -1;
	abi_xfer_join(&y);
	OK(r == 0 && y.ret == 0, "which completes normally (%d)", y.ret);
	abi_xfer_free(&x);
	abi_xfer_free(&y);
	close(ep);
	close(fd);
out:
	abi_unbound(&b);
	free(m);
	vscard_nl_close(nl);
}

/* Write @len bytes of @buf; -errno or the count. */
static ssize_t wr(int fd, const void *buf, size_t len)
{
	return abi_write(fd, buf, len);
}

static void test_malformed(void)
{
	struct vscard_nl *nl = abi_nl();
	abi_msg_t *m = malloc(sizeof(*m));
	uint8_t *big = calloc(1, sizeof(struct vscard_cmd_done) +
			      VSCARD_DATA_MAX + 8);
	struct vscard_status st0, st;
	struct abi_bound b;
	struct abi_xfer x;
	uint64_t stale0;
	int fd, i, bad = 0, r;
	ssize_t n;

	if (setup(nl, "bfile-malformed", &b, &fd)) {
		OK(0, "malformed writes: setup");
		goto out;
	}
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu10,
		       sizeof(apdu10), 258, 60000);
	n = abi_read(b.fd, m, 20000);
	if (n <= 0) {
		OK(0, "malformed writes: request read (%zd)", n);
		abi_xfer_free(&x);
		goto out_fd;
	}
	abi_status(fd, &st0);
	stale0 = abi_slot_stale(nl, ABI_POOL, b.slot);

#define DONE(...) ((struct vscard_cmd_done){ .cmd = VSCARD_BCMD_DONE,	\
					      .id = m->msg.id, __VA_ARGS__ })
#define CARD(...) ((struct vscard_cmd_card){ .cmd = VSCARD_BCMD_CARD,	\
					      __VA_ARGS__ })
#define EXPECT(what, expr) do {						\
		n = (expr);						\
		if (!OK(n == -EINVAL, "malformed write: %s -> EINVAL (%zd)", \
			what, n))					\
			bad++;						\
	} while (0)
	{
		struct vscard_cmd_done d;
		struct vscard_cmd_card c;
		uint32_t u;
		uint8_t buf[sizeof(d) + 8];

		u = VSCARD_BCMD_DONE;
		EXPECT("3 bytes", wr(b.fd, &u, 3));
		EXPECT("a bare DONE command word", wr(b.fd, &u, sizeof(u)));
		d = DONE(.len = 0);
		EXPECT("DONE one byte short", wr(b.fd, &d, sizeof(d) - 1));
		EXPECT("command 0", wr(b.fd, &(struct vscard_cmd_done){
			.cmd = 0, .id = m->msg.id }, sizeof(d)));
		EXPECT("command 3", wr(b.fd, &(struct vscard_cmd_done){
			.cmd = 3, .id = m->msg.id }, sizeof(d)));
		EXPECT("command 0xffffffff", wr(b.fd, &(struct vscard_cmd_done){
			.cmd = 0xffffffffu, .id = m->msg.id }, sizeof(d)));
		d = DONE(.reserved = 1);
		EXPECT("DONE with reserved != 0", wr(b.fd, &d, sizeof(d)));
		d = DONE(.len = 2);
		EXPECT("DONE len 2 with no bytes", wr(b.fd, &d, sizeof(d)));
		memcpy(buf, &d, sizeof(d));
		memcpy(buf + sizeof(d), "\x90\x00\x01", 3);
		EXPECT("DONE len 2 with 3 bytes", wr(b.fd, buf, sizeof(d) + 3));
		d = DONE(.len = 3);
		memcpy(buf, &d, sizeof(d));
		EXPECT("DONE len 3 with 2 bytes", wr(b.fd, buf, sizeof(d) + 2));
		d = DONE(.len = VSCARD_DATA_MAX + 1);
		memcpy(big, &d, sizeof(d));
		EXPECT("DONE with VSCARD_DATA_MAX + 1 bytes",
		       wr(b.fd, big, sizeof(d) + VSCARD_DATA_MAX + 1));
		d = DONE(.status = -EIO, .len = 2);
		memcpy(buf, &d, sizeof(d));
		EXPECT("DONE status -EIO with len 2 and 2 bytes",
		       wr(b.fd, buf, sizeof(d) + 2));
		EXPECT("DONE status -EIO with len 2 and no bytes",
		       wr(b.fd, &d, sizeof(d)));
		d = DONE(.status = -ENOBUFS, .len = 2);
		memcpy(buf, &d, sizeof(d));
		EXPECT("DONE status -ENOBUFS with bytes following",
		       wr(b.fd, buf, sizeof(d) + 2));
		d = DONE(.status = 5);
		EXPECT("DONE status 5", wr(b.fd, &d, sizeof(d)));
		d = DONE(.status = -4096);
		EXPECT("DONE status -4096", wr(b.fd, &d, sizeof(d)));
		d = DONE(.status = -100000);
		EXPECT("DONE status -100000", wr(b.fd, &d, sizeof(d)));
		d = DONE(.status = -512);
		EXPECT("DONE status -ERESTARTSYS (-512)", wr(b.fd, &d, sizeof(d)));
		d = DONE(.status = -513);
		EXPECT("DONE status -ERESTARTNOINTR (-513)",
		       wr(b.fd, &d, sizeof(d)));
		d = DONE(.status = -514);
		EXPECT("DONE status -ERESTARTNOHAND (-514)",
		       wr(b.fd, &d, sizeof(d)));
		d = DONE(.status = -516);
		EXPECT("DONE status -ERESTART_RESTARTBLOCK (-516)",
		       wr(b.fd, &d, sizeof(d)));
		d = DONE(.protocols = 0x100);
		EXPECT("DONE with unknown protocol bits", wr(b.fd, &d, sizeof(d)));

		c = CARD(.state = VSCARD_CARD_PRESENT, .atr_len = 0);
		EXPECT("CARD present with atr_len 0", wr(b.fd, &c, sizeof(c)));
		c = CARD(.state = VSCARD_CARD_PRESENT,
			 .atr_len = VSCARD_ATR_MAX + 1, .atr = { 0x3B });
		EXPECT("CARD present with atr_len 34", wr(b.fd, &c, sizeof(c)));
		c = CARD(.state = VSCARD_CARD_PRESENT, .atr_len = 40,
			 .atr = { 0x3B });
		EXPECT("CARD present with atr_len 40", wr(b.fd, &c, sizeof(c)));
		c = CARD(.state = VSCARD_CARD_ABSENT, .atr_len = 3,
			 .atr = { 0x3B });
		EXPECT("CARD absent with an ATR", wr(b.fd, &c, sizeof(c)));
		c = CARD(.state = 7, .atr_len = 2, .atr = { 0x3B, 0 });
		EXPECT("CARD state 7", wr(b.fd, &c, sizeof(c)));
		c = CARD(.state = VSCARD_CARD_PRESENT, .atr_len = 2,
			 .atr = { 0x3B, 0 }, .protocols = 0x100);
		EXPECT("CARD with unknown protocol bits", wr(b.fd, &c, sizeof(c)));
		c = CARD(.state = VSCARD_CARD_ABSENT);
		EXPECT("CARD one byte short", wr(b.fd, &c, sizeof(c) - 1));
		{
			uint8_t cbuf[sizeof(c) + 1] = { 0 };

			memcpy(cbuf, &c, sizeof(c));
			EXPECT("CARD one byte long", wr(b.fd, cbuf, sizeof(cbuf)));
		}
	}
#undef EXPECT
	r = abi_status(fd, &st);
	OK(!bad && r == 0 && !abi_xfer_wait(&x, 0) && st.seq == st0.seq &&
	   st.insert_count == st0.insert_count &&
	   (st.flags & VSCARD_STATUS_PRESENT) &&
	   abi_slot_stale(nl, ABI_POOL, b.slot) == stale0,
	   "the refused commands had no effect: request pending, card and seq unchanged, no stale count");
	r = abi_done_ex(b.fd, m->msg.id, -4095, 0, 0, NULL, 0);
	abi_xfer_join(&x);
	OK(r == 0 && x.ret == -4095,
	   "status -4095 is accepted and reaches the caller (%d, %d)", r, x.ret);
	abi_xfer_free(&x);
	for (i = 0; i < 2; i++) {
		uint32_t len = i ? 0 : 2;

		abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1,
			       apdu10, sizeof(apdu10), 258, 60000);
		n = abi_read(b.fd, m, 20000);
		r = n > 0 ? abi_done(b.fd, m->msg.id, 0, ok_sw, len) : -1;
		abi_xfer_join(&x);
		OK(r == 0 && x.ret == 0 && x.x.rx_len == len,
		   "a well-formed completion with %u bytes still works (%d, %d)",
		   len, r, x.ret);
		abi_xfer_free(&x);
	}
out_fd:
	close(fd);
out:
	abi_unbound(&b);
	free(big);
	free(m);
	vscard_nl_close(nl);
}

/* ---- two readers on one binding ---- */

#define TR_CALLERS	6
#define TR_EACH		150

struct tr_reader {
	pthread_t th;
	int fd, stop;
	unsigned int seen[TR_CALLERS][TR_EACH];
	unsigned long reads;
	int err;
};

static void *tr_reader_fn(void *arg)
{
	struct tr_reader *r = arg;
	abi_msg_t *m = malloc(sizeof(*m));
	struct pollfd p[2] = { { .fd = r->fd, .events = POLLIN },
			       { .fd = r->stop, .events = POLLIN } };

	while (m && !r->err) {
		ssize_t n;

		if (poll(p, 2, -1) < 0 || p[1].revents)
			break;
		n = read(r->fd, m, sizeof(*m));
		if (n < 0 && errno == EAGAIN)
			continue;	/* the other reader took it */
		if (n <= 0) {
			r->err = n ? -errno : -ENODEV;
			break;
		}
		r->reads++;
		if (m->msg.len == 8 && m->data[5] < TR_CALLERS &&
		    (m->data[6] << 8 | m->data[7]) < TR_EACH)
			r->seen[m->data[5]][m->data[6] << 8 | m->data[7]]++;
		/* echo back the tag */
		if (abi_done(r->fd, m->msg.id, 0, m->data + 5, 3))
			r->err = -EIO;
	}
	free(m);
	return NULL;
}

struct tr_caller {
	pthread_t th;
	int fd, idx, bad;
};

static void *tr_caller_fn(void *arg)
{
	struct tr_caller *c = arg;
	int k;

	for (k = 0; k < TR_EACH; k++) {
		uint8_t tx[8] = { 0x80, 0xEE, 0, 0, 3, (uint8_t)c->idx,
				  (uint8_t)(k >> 8), (uint8_t)k };
		uint8_t rx[8];
		size_t len = sizeof(rx);

		c->bad += abi_transmit(c->fd, tx, sizeof(tx), rx, &len, 30000) ||
			  len != 3 || memcmp(rx, tx + 5, 3);
	}
	return NULL;
}

static void test_two_readers(void)
{
	struct vscard_nl *nl = abi_nl();
	struct tr_reader *rd = calloc(2, sizeof(*rd));
	struct tr_caller c[TR_CALLERS];
	struct abi_bound b;
	int fd, i, k, stop[2], once = 0, twice = 0, bad = 0;
	uint64_t one = 1;

	if (setup(nl, "bfile-two", &b, &fd) || pipe2(stop, O_CLOEXEC)) {
		OK(0, "two readers: setup");
		goto out;
	}
	set_nonblock(b.fd, true);
	for (i = 0; i < 2; i++) {
		rd[i].fd = b.fd;
		rd[i].stop = stop[0];
		pthread_create(&rd[i].th, NULL, tr_reader_fn, &rd[i]);
	}
	for (i = 0; i < TR_CALLERS; i++) {
		c[i] = (struct tr_caller){ .fd = fd, .idx = i };
		pthread_create(&c[i].th, NULL, tr_caller_fn, &c[i]);
	}
	for (i = 0; i < TR_CALLERS; i++) {
		pthread_join(c[i].th, NULL);
		bad += c[i].bad;
	}
	if (write(stop[1], &one, 1) < 0)
		bad++;
	for (i = 0; i < 2; i++)
		pthread_join(rd[i].th, NULL);
	for (i = 0; i < TR_CALLERS; i++)
		for (k = 0; k < TR_EACH; k++) {
			unsigned int n = rd[0].seen[i][k] + rd[1].seen[i][k];

			once += n == 1;
			twice += n > 1;
		}
	OK(!bad && !rd[0].err && !rd[1].err,
	   "two reader threads on one binding serve %d callers x %d requests, each its own answer (%d bad, errors %d %d)",
	   TR_CALLERS, TR_EACH, bad, rd[0].err, rd[1].err);
	OK(once == TR_CALLERS * TR_EACH && twice == 0 &&
	   rd[0].reads + rd[1].reads == TR_CALLERS * TR_EACH,
	   "each request was read exactly once (%d once, %d more, reads %lu + %lu)",
	   once, twice, rd[0].reads, rd[1].reads);
	DIAG("two readers: %lu and %lu requests", rd[0].reads, rd[1].reads);
	close(stop[0]);
	close(stop[1]);
	close(fd);
out:
	abi_unbound(&b);
	free(rd);
	vscard_nl_close(nl);
}

/* ---- the end of a binding ---- */

static void test_end(void)
{
	struct vscard_nl *nl = abi_nl();
	abi_msg_t *m = malloc(sizeof(*m));
	struct epoll_event ev = { .events = EPOLLIN };
	struct vscard_status st;
	struct abi_bound b, b2;
	struct abi_xfer x;
	struct reader rd;
	int fd, ep, r, n, slot;
	uint32_t pool = 0, pending;
	ssize_t rn;

	b2.fd = -1;
	/* admin UNBIND with a reader asleep and a request read */
	if (setup(nl, "bfile-end", &b, &fd)) {
		OK(0, "end: setup");
		goto out;
	}
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu10,
		       sizeof(apdu10), 258, 60000);
	rn = abi_read(b.fd, m, 20000);
	ep = epoll_create1(EPOLL_CLOEXEC);
	epoll_ctl(ep, EPOLL_CTL_ADD, b.fd, &ev);
	n = epoll_wait(ep, &ev, 1, 0);
	rd.fd = b.fd;
	pthread_create(&rd.th, NULL, read_thread, &rd);
	r = vscard_nl_unbind(nl, ABI_POOL, b.slot);
	pending = abi_slot_pending(nl, ABI_POOL, b.slot);
	OK(rn > 0 && n == 0 && r == 0 && pending == 0,
	   "UNBIND with a request read: nothing pending when it returns (%d, %u)",
	   r, pending);
	abi_xfer_join(&x);
	OK(x.ret == -ENOMEDIUM, "the caller fails with -ENOMEDIUM (%d)", x.ret);
	abi_xfer_free(&x);
	pthread_join(rd.th, NULL);
	OK(rd.n == 0, "a reader blocked in read() gets end of file (%zd)", rd.n);
	n = epoll_wait(ep, &ev, 1, 0);
	OK(n == 1 && (ev.events & EPOLLHUP),
	   "epoll is woken with EPOLLHUP (%d, %#x)", n, ev.events);
	close(ep);
	r = abi_poll(b.fd, POLLIN | POLLOUT, 0);
	OK(r > 0 && (r & POLLHUP), "poll() reports POLLHUP after the end (%#x)", r);
	rn = read(b.fd, m, sizeof(*m));
	OK(rn == 0, "read() keeps returning end of file (%zd)", rn);
	r = abi_done(b.fd, m->msg.id, 0, ok_sw, 2);
	OK(r == -ENODEV, "a completion after the end -> ENODEV (%d)", r);
	r = abi_card(b.fd, false);
	OK(r == -ENODEV, "a card state after the end -> ENODEV (%d)", r);
	r = abi_write(b.fd, "xx", 2) == -EINVAL || abi_write(b.fd, "xx", 2) == -ENODEV;
	OK(r, "a malformed write after the end -> EINVAL or ENODEV");
	slot = abi_bind(nl, (int)b.slot, "bfile-end-2", -1, -1, &b2);
	OK(slot == (int)b.slot, "the slot can be bound again (%d)", slot);
	r = abi_card(b.fd, true);
	OK(r == -ENODEV && abi_status(fd, &st) == 0 &&
	   !(st.flags & VSCARD_STATUS_PRESENT),
	   "the ended binding's file cannot touch the new binding (%d)", r);
	OK(abi_poll(b2.fd, POLLIN, 0) == 0 && abi_poll(b.fd, POLLHUP, 0) & POLLHUP,
	   "the new binding file is live, the old one hung up");
	abi_unbound(&b);
	abi_unbound(&b2);
	close(fd);

	/* last close with a request queued and never read */
	if (setup(nl, "bfile-close", &b, &fd)) {
		OK(0, "close: setup");
		goto out;
	}
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu10,
		       sizeof(apdu10), 258, 60000);
	r = abi_poll(b.fd, POLLIN, 20000);
	slot = (int)b.slot;
	abi_unbound(&b);
	pending = abi_slot_pending(nl, ABI_POOL, (uint32_t)slot);
	abi_xfer_join(&x);
	OK(r > 0 && pending == 0 && x.ret == -ENOMEDIUM,
	   "close() with a request queued unread: failed with -ENOMEDIUM before close returned (%u pending, %d)",
	   pending, x.ret);
	abi_xfer_free(&x);
	close(fd);

	/* the netlink socket that made a binding is not the binding */
	{
		struct vscard_nl *tmp = abi_nl();
		uint8_t rx[4];
		size_t len = sizeof(rx);

		slot = abi_bind(tmp, -1, "bfile-sock", -1, -1, &b);
		vscard_nl_close(tmp);
		fd = slot >= 0 ? abi_open_slot(nl, (uint32_t)slot) : -1;
		if (slot >= 0)
			abi_card(b.fd, true);
		abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1,
			       apdu10, sizeof(apdu10), 258, 60000);
		rn = abi_read(b.fd, m, 20000);
		r = rn > 0 ? abi_done(b.fd, m->msg.id, 0, ok_sw, 2) : -1;
		abi_xfer_join(&x);
		OK(slot >= 0 && r == 0 && x.ret == 0 &&
		   (abi_slot_flags(nl, ABI_POOL, (uint32_t)slot) &
		    VSCARD_STATUS_BOUND),
		   "closing the netlink socket that made a binding does not end it (%d, %d)",
		   r, x.ret);
		abi_xfer_free(&x);
		(void)len;
		(void)rx;
		abi_unbound(&b);
		if (fd >= 0)
			close(fd);
	}

	/* POOL_DEL: the binding ends, callers get -ENODEV, nodes hang up */
	r = vscard_nl_pool_new(nl, 2, NULL, NULL, &pool);
	OK(r == 0, "POOL_NEW of 2 slots (pool %u, %d)", pool, r);
	if (r)
		goto out;
	slot = abi_bind_pool(nl, pool, -1, "bfile-pooldel", 60000, -1, &b);
	fd = slot >= 0 ? abi_open_slot_pool(nl, pool, (uint32_t)slot) : -1;
	if (fd < 0 || abi_card(b.fd, true)) {
		OK(0, "pool-del: setup");
		abi_unbound(&b);
		vscard_nl_pool_del(nl, pool);
		goto out;
	}
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu10,
		       sizeof(apdu10), 258, 60000);
	rn = abi_read(b.fd, m, 20000);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ev.events = EPOLLIN;
	epoll_ctl(ep, EPOLL_CTL_ADD, b.fd, &ev);
	n = epoll_wait(ep, &ev, 1, 0);
	r = vscard_nl_pool_del(nl, pool);
	OK(rn > 0 && n == 0 && r == 0, "POOL_DEL of a pool with a bound slot (%d)", r);
	abi_xfer_join(&x);
	OK(x.ret == -ENODEV, "a pending caller fails with -ENODEV (%d)", x.ret);
	abi_xfer_free(&x);
	n = epoll_wait(ep, &ev, 1, 0);
	OK(n == 1 && (ev.events & EPOLLHUP),
	   "the binding file's epoll is woken with EPOLLHUP (%d, %#x)", n,
	   ev.events);
	close(ep);
	rn = read(b.fd, m, sizeof(*m));
	OK(rn == 0, "its read() returns end of file (%zd)", rn);
	r = abi_done(b.fd, m->msg.id, 0, ok_sw, 2);
	OK(r == -ENODEV, "its write() -> ENODEV (%d)", r);
	r = abi_status(fd, &st);
	OK(r == -ENODEV, "GET_STATUS on the deleted slot's open node -> ENODEV (%d)",
	   r);
	r = abi_poll(fd, POLLIN | POLLOUT, 0);
	OK(r > 0 && (r & POLLHUP) && (r & POLLERR) && !(r & POLLOUT),
	   "its poll() -> POLLHUP | POLLERR (%#x)", r);
	{
		struct vscard_attrs a;

		r = abi_slot_get_pool(nl, pool, (uint32_t)slot, &a);
		vscard_attrs_release(&a);
		OK(r == -ENOENT, "SLOT_GET of the deleted pool -> ENOENT (%d)", r);
	}
	abi_unbound(&b);
	close(fd);
out:
	free(m);
	vscard_nl_close(nl);
}

/* ---- the binding as a file: dup, fork, SCM_RIGHTS ---- */

/* Child: receive a binding file and serve it until told to stop. */
static int holder_child(int sock, void *arg)
{
	struct abi_agent_stats st;
	uint64_t tag = 0;
	int fd = abi_recv_fd(sock, &tag);

	(void)arg;
	memset(&st, 0, sizeof(st));
	if (fd < 0)
		return 1;
	abi_send_u64(sock, 1);		/* received */
	abi_serve(fd, sock, 0, 0, &st);
	abi_recv_u64(sock);		/* the "stop" that ended abi_serve() */
	abi_send_u64(sock, atomic_load(&st.answered));
	abi_recv_u64(sock);		/* "close it now" */
	close(fd);
	abi_send_u64(sock, 2);		/* closed */
	abi_recv_u64(sock);		/* exit */
	return atomic_load(&st.error) ? 2 : 0;
}

static void test_holders(void)
{
	static const uint8_t sel[] = { 0x00, 0xA4, 0x04, 0x00, 0x02, 0x3F, 0x00 };
	struct vscard_nl *nl = abi_nl();
	struct abi_child ch;
	struct abi_bound b;
	uint8_t rx[16];
	uint64_t answered = 0, v;
	uint32_t fl;
	int fd, dupfd, r, i, ok = 0, st;

	/* the receiver is forked first: it never had the file before */
	if (abi_child_start(&ch, 0, 0, holder_child, NULL)) {
		OK(0, "holders: child");
		goto out;
	}
	/* dup: the binding lives while any descriptor of the file is open */
	if (setup(nl, "bfile-dup", &b, &fd)) {
		OK(0, "holders: setup");
		abi_child_wait(&ch);
		goto out;
	}
	dupfd = dup(b.fd);
	close(b.fd);
	b.fd = dupfd;
	fl = abi_slot_flags(nl, ABI_POOL, b.slot);
	OK(fl != (uint32_t)-1 && (fl & VSCARD_STATUS_BOUND) &&
	   !(fl & VSCARD_STATUS_LINGERING),
	   "closing the original fd of a dup'ed binding file does not end it (%#x)",
	   fl);
	close(fd);

	/* SCM_RIGHTS to a process that never had it, then the sender closes */
	fd = abi_open_slot(nl, b.slot);
	r = abi_send_fd(ch.sock, b.fd, 0);
	v = abi_recv_u64(ch.sock);
	abi_unbound(&b);
	fl = abi_slot_flags(nl, ABI_POOL, b.slot);
	OK(r == 0 && v == 1 && (fl & VSCARD_STATUS_BOUND) &&
	   !(fl & VSCARD_STATUS_LINGERING),
	   "a binding file passed by SCM_RIGHTS: the sender's close leaves it bound (%#x)",
	   fl);
	for (i = 0; i < 200; i++) {
		size_t len = sizeof(rx);

		ok += !abi_transmit(fd, sel, sizeof(sel), rx, &len, 20000) &&
		      len == 2 && rx[0] == 0x90;
	}
	OK(ok == 200, "the receiving process serves 200 requests (%d ok)", ok);
	abi_send_u64(ch.sock, 0);	/* stop serving */
	answered = abi_recv_u64(ch.sock);
	OK(answered == 200, "all of them answered by the receiver (%llu)",
	   (unsigned long long)answered);
	abi_send_u64(ch.sock, 0);	/* close it */
	v = abi_recv_u64(ch.sock);
	fl = abi_slot_flags(nl, ABI_POOL, b.slot);
	{
		size_t len = sizeof(rx);

		r = abi_transmit(fd, sel, sizeof(sel), rx, &len, 20000);
	}
	OK(v == 2 && fl != (uint32_t)-1 && !(fl & VSCARD_STATUS_BOUND) &&
	   r == -ENOMEDIUM,
	   "the receiver's close (the last one) ends the binding (%#x, %d)", fl, r);
	abi_send_u64(ch.sock, 0);
	st = abi_child_wait(&ch);
	OK(WIFEXITED(st) && WEXITSTATUS(st) == 0, "the receiver exits cleanly (%#x)",
	   st);
	close(fd);
	abi_unbound(&b);
out:
	vscard_nl_close(nl);
}

void t_bfile(void)
{
	test_read_poll();
	test_malformed();
	test_two_readers();
	test_end();
	test_holders();
}
