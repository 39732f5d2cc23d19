// SPDX-License-Identifier: MIT
/*
 * ABI tests: pools and slots seen through netlink, bind/unbind, status,
 * poll and WAIT_STATUS transitions (including signals).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "abi.h"

static int poll_ready(int fd, int timeout_ms)
{
	int ev = abi_poll(fd, POLLIN | POLLPRI, timeout_ms);

	return ev > 0 && (ev & (POLLIN | POLLPRI));
}

struct waker {
	int bfd;
	unsigned int delay_ms;
};

static void *wake_later(void *arg)
{
	struct waker *w = arg;

	abi_sleep_ms(w->delay_ms);	/* lands while the poller sleeps */
	abi_card(w->bfd, true);
	return NULL;
}

struct count_ctx {
	int n;
	bool saw0;
};

static int count_pools(struct vscard_attrs *a, void *arg)
{
	struct count_ctx *c = arg;

	c->n++;
	c->saw0 |= a->pool == ABI_POOL;
	return 0;
}

static void test_dump(void)
{
	struct vscard_nl *nl = abi_nl();
	struct count_ctx c = { 0 };
	struct vscard_attrs a;
	int err;

	OK(vscard_nl_version(nl) == VSCARD_ABI_VERSION,
	   "family version is VSCARD_ABI_VERSION %#x (%#x)",
	   VSCARD_ABI_VERSION, vscard_nl_version(nl));
	memset(&a, 0, sizeof(a));
	err = vscard_nl_pool_get(nl, ABI_POOL, &a);
	OK(!err && a.pool == ABI_POOL && a.slots >= 8 &&
	   a.abi_version == VSCARD_ABI_VERSION && a.uid == 0,
	   "POOL_GET pool 0: slots %u, abi %#x, owner uid %u (err %d)",
	   a.slots, a.abi_version, a.uid, err);
	vscard_attrs_release(&a);
	err = vscard_nl_pool_dump(nl, count_pools, &c);
	OK(!err && c.saw0, "POOL_GET dump lists pool 0 (%d pools, err %d)", c.n,
	   err);
	err = abi_slot_get(nl, 99, &a);
	OK(err == -ENOENT || err == -EINVAL || err == -ERANGE,
	   "SLOT_GET of a slot that does not exist fails (%d: %s)", err,
	   vscard_nl_errmsg(nl));
	err = vscard_nl_pool_del(nl, ABI_POOL);
	OK(err == -EBUSY, "POOL_DEL of pool 0 -> -EBUSY (%d)", err);
	vscard_nl_close(nl);
}

static void test_bind_status(void)
{
	struct vscard_nl *nl = abi_nl();
	struct vscard_status st0, st;
	struct vscard_attrs a;
	struct vscard_wait w;
	struct abi_bound b;
	abi_msg_t *m = NULL;
	uint32_t ver = 0;
	int slot, fd, r, fl;

	fd = abi_open_slot(nl, 0);
	OK(fd >= 0, "open /dev/vscardN of pool 0 slot 0 while unbound");
	if (fd < 0)
		goto out;
	r = ioctl(fd, VSCARD_IOC_VERSION, &ver);
	OK(r == 0 && ver == VSCARD_ABI_VERSION, "VSCARD_IOC_VERSION = %#x (got %#x)",
	   VSCARD_ABI_VERSION, ver);
	r = abi_status(fd, &st0);
	OK(r == 0 && !(st0.flags & VSCARD_STATUS_BOUND) &&
	   st0.atr_len == 0 && st0.slot == 0 && st0.pool == ABI_POOL,
	   "unbound slot reads unbound, no card (flags %#x)", st0.flags);
	OK(!poll_ready(fd, 0), "poll: nothing to report right after GET_STATUS");
	OK(abi_poll(fd, POLLOUT, 0) == 0,
	   "poll: an unbound slot is not writable (no request can be submitted)");

	slot = abi_bind(nl, 0, "status-key", -1, -1, &b);
	OK(slot == 0 && b.epoch != 0 && b.fd >= 0,
	   "bind slot 0 -> slot %d epoch %llu fd %d", slot,
	   (unsigned long long)b.epoch, b.fd);
	if (slot != 0)
		goto out_fd;
	fl = fcntl(b.fd, F_GETFD);
	OK(fl >= 0 && (fl & FD_CLOEXEC), "the binding fd is installed O_CLOEXEC (%#x)",
	   fl);
	fl = fcntl(b.fd, F_GETFL);
	OK(fl >= 0 && (fl & O_ACCMODE) == O_RDWR && !(fl & O_NONBLOCK),
	   "the binding file is O_RDWR and blocking (%#x)", fl);
	r = abi_slot_get(nl, 0, &a);
	OK(r == 0 && (a.flags & VSCARD_STATUS_BOUND) && a.epoch == b.epoch &&
	   vscard_attrs_has(&a, VSCARD_A_BINDER_UID) && a.binder_uid == 0 &&
	   vscard_attrs_has(&a, VSCARD_A_BINDER_PID) &&
	   a.binder_pid == (uint32_t)getpid() &&
	   !strcmp(a.reader_name, ABI_READER),
	   "SLOT_GET: bound, epoch, reader name, binder uid 0 and our pid (%d: uid %u pid %u)",
	   r, a.binder_uid, a.binder_pid);
	vscard_attrs_release(&a);
	OK(poll_ready(fd, 1000), "poll wakes on bind");
	OK(abi_status(fd, &st) == 0 && (st.flags & VSCARD_STATUS_BOUND) &&
	   !(st.flags & VSCARD_STATUS_PRESENT) && st.seq != st0.seq &&
	   st.epoch == b.epoch && !strcmp(st.reader_name, ABI_READER),
	   "status after bind: bound, no card, epoch, reader name, new seq");
	OK(!poll_ready(fd, 0), "GET_STATUS consumed the change");
	OK(abi_poll(fd, POLLOUT, 0) == 0, "poll: bound without a card is not writable");

	st0 = st;
	OK(abi_card(b.fd, true) == 0, "card present written to the binding file");
	OK(poll_ready(fd, 1000), "poll wakes on card insertion");
	OK(abi_status(fd, &st) == 0 && (st.flags & VSCARD_STATUS_PRESENT) &&
	   st.atr_len == 15 && st.atr[0] == 0x3B &&
	   st.insert_count == st0.insert_count + 1 &&
	   (st.protocols & VSCARD_PROTO_T1),
	   "status after insert: present, ATR, protocols, insert_count+1");
	OK(abi_poll(fd, POLLOUT, 0) & POLLOUT,
	   "poll: bound with a card is writable");

	st0 = st;
	abi_card(b.fd, false);
	abi_card(b.fd, true);
	r = abi_status(fd, &st);
	OK(r == 0 && (st.flags & VSCARD_STATUS_PRESENT) &&
	   st.insert_count == st0.insert_count + 1 && st.seq != st0.seq,
	   "remove+reinsert between two reads: insert_count moves (%llu -> %llu)",
	   (unsigned long long)st0.insert_count,
	   (unsigned long long)st.insert_count);
	st0 = st;
	r = abi_card(b.fd, true);
	OK(r == 0 && abi_status(fd, &st) == 0 && st.seq == st0.seq &&
	   st.insert_count == st0.insert_count,
	   "the same card again changes nothing (seq %llu, insert_count %llu)",
	   (unsigned long long)st.seq, (unsigned long long)st.insert_count);
	{
		uint8_t atr2[sizeof(abi_atr)];

		memcpy(atr2, abi_atr, sizeof(atr2));
		atr2[sizeof(atr2) - 1] ^= 0x01;
		r = abi_card_atr(b.fd, atr2, sizeof(atr2), VSCARD_PROTO_T1);
		OK(r == 0 && abi_status(fd, &st) == 0 && st.seq != st0.seq &&
		   st.insert_count == st0.insert_count + 1 &&
		   st.atr[sizeof(atr2) - 1] == atr2[sizeof(atr2) - 1] &&
		   st.protocols == VSCARD_PROTO_T1,
		   "a new ATR while present counts as an insertion (r %d)", r);
		abi_card(b.fd, true);
		abi_status(fd, &st);
	}

	/* WAIT_STATUS */
	w = (struct vscard_wait){ .seq = st.seq, .timeout_ms = 100 };
	r = ioctl(fd, VSCARD_IOC_WAIT_STATUS, &w) < 0 ? -errno : 0;
	OK(r == -ETIMEDOUT && w.seq == st.seq,
	   "WAIT_STATUS on the current seq times out, seq unchanged (%d)", r);
	w = (struct vscard_wait){ .seq = st0.seq, .timeout_ms = 5000 };
	r = ioctl(fd, VSCARD_IOC_WAIT_STATUS, &w) < 0 ? -errno : 0;
	OK(r == 0 && w.seq == st.seq,
	   "WAIT_STATUS on an old seq returns at once with the current seq");
	w = (struct vscard_wait){ .seq = st.seq, .timeout_ms = 0, .flags = 1 };
	r = ioctl(fd, VSCARD_IOC_WAIT_STATUS, &w) < 0 ? -errno : 0;
	OK(r == -EINVAL, "WAIT_STATUS with flags != 0 -> -EINVAL (%d)", r);

	/* admin UNBIND: the slot is free, the binding file reads EOF */
	OK(vscard_nl_unbind(nl, ABI_POOL, 0) == 0, "UNBIND slot 0");
	OK(poll_ready(fd, 1000), "poll wakes on unbind");
	OK(abi_status(fd, &st) == 0 && !(st.flags & VSCARD_STATUS_BOUND) &&
	   !(st.flags & VSCARD_STATUS_PRESENT) && st.atr_len == 0 &&
	   st.reader_name[0] == 0,
	   "status after unbind: unbound, no card, no ATR, no name");
	m = malloc(sizeof(*m));
	r = m ? (int)abi_read(b.fd, m, 1000) : -ENOMEM;
	OK(r == 0, "the binding file reads end of file after UNBIND (%d)", r);
	abi_unbound(&b);

	/* close() without linger: the slot is free again */
	st0 = st;
	slot = abi_bind(nl, 0, "status-key", -1, -1, &b);
	OK(slot == 0, "bind slot 0 again (%d)", slot);
	close(b.fd);
	b.fd = -1;
	r = abi_status(fd, &st);
	OK(r == 0 && !(st.flags & (VSCARD_STATUS_BOUND | VSCARD_STATUS_LINGERING)) &&
	   st.seq != st0.seq,
	   "close() of a binding made without linger frees the slot (flags %#x)",
	   st.flags);
	free(m);
out_fd:
	abi_unbound(&b);
	close(fd);
out:
	vscard_nl_close(nl);
}

/* The seed-003 race: an event between GET_STATUS and poll must wake. */
static void test_no_lost_wakeup(void)
{
	struct vscard_nl *nl = abi_nl();
	struct vscard_status st;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLPRI };
	struct abi_bound b;
	struct waker wk;
	pthread_t th;
	int fd, ep, slot, n, i, ok = 1;

	slot = abi_bind(nl, 1, "wakeup-key", -1, -1, &b);
	fd = slot >= 0 ? abi_open_slot(nl, (uint32_t)slot) : -1;
	if (fd < 0) {
		OK(0, "no-lost-wakeup: setup");
		abi_unbound(&b);
		vscard_nl_close(nl);
		return;
	}
	abi_status(fd, &st);
	abi_card(b.fd, true);	/* after GET, before poll */
	OK(poll_ready(fd, 0), "event after GET_STATUS and before poll() is reported at once");

	ep = epoll_create1(EPOLL_CLOEXEC);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	OK(epoll_wait(ep, &ev, 1, 0) == 1, "epoll sees the same pending change");
	OK(epoll_wait(ep, &ev, 1, 0) == 1,
	   "the change stays reported until GET_STATUS (level, not edge)");
	abi_status(fd, &st);
	OK(epoll_wait(ep, &ev, 1, 0) == 0, "no report after GET_STATUS");

	/* many rounds of a wake landing while the poller sleeps */
	for (i = 0; i < 20 && ok; i++) {
		abi_card(b.fd, false);
		abi_status(fd, &st);
		wk = (struct waker){ b.fd, (unsigned int)(i % 3) };
		pthread_create(&th, NULL, wake_later, &wk);
		n = epoll_wait(ep, &ev, 1, 30000);
		pthread_join(th, NULL);
		ok = n == 1;
	}
	OK(ok, "20 rounds: a sleeping epoll_wait is woken by a card-state write");
	close(ep);
	close(fd);
	abi_unbound(&b);
	vscard_nl_close(nl);
}

/* ---- WAIT_STATUS and signals ---- */

static atomic_int sig_seen;
static int sig_pipe[2] = { -1, -1 };

static void on_sig(int sig)
{
	char c = 's';

	(void)sig;
	atomic_fetch_add(&sig_seen, 1);
	if (write(sig_pipe[1], &c, 1) < 0)
		atomic_fetch_add(&sig_seen, 100);
}

struct waiter {
	int fd;
	struct vscard_wait w;
	int ret;
	pid_t tid;
	atomic_bool started;
};

static void *wait_thread(void *arg)
{
	struct waiter *wt = arg;

	wt->tid = (pid_t)syscall(SYS_gettid);
	atomic_store(&wt->started, true);
	wt->ret = ioctl(wt->fd, VSCARD_IOC_WAIT_STATUS, &wt->w) < 0 ? -errno : 0;
	return NULL;
}

/*
 * Whether thread @tid sleeps in the ioctl (x86-64 syscall 16) right now:
 * /proc/self/task/TID/syscall.  Nothing else can tell that a thread has
 * entered its wait, so this is polled (bounded).
 */
static bool in_ioctl(pid_t tid)
{
	char path[64], buf[128], st[512];
	int i;

	snprintf(path, sizeof(path), "/proc/self/task/%d/syscall", tid);
	for (i = 0; i < 2000; i++) {
		if (abi_read_file(path, buf, sizeof(buf)) > 0 &&
		    !strncmp(buf, "16 ", 3)) {
			char spath[64], *p;

			snprintf(spath, sizeof(spath), "/proc/self/task/%d/stat",
				 tid);
			/* sleeping, not just entering */
			if (abi_read_file(spath, st, sizeof(st)) > 0 &&
			    (p = strrchr(st, ')')) && p[1] == ' ' && p[2] == 'S')
				return true;
		}
		abi_sleep_ms(5);
	}
	return false;
}

/*
 * A thread sleeps in WAIT_STATUS; a signal with a handler arrives; then
 * the status changes.  With SA_RESTART the wait is restarted and returns
 * 0 with the new sequence; without it the ioctl fails with EINTR at once.
 */
static void test_wait_signal(void)
{
	struct vscard_nl *nl = abi_nl();
	struct vscard_status st;
	struct sigaction sa, old;
	struct abi_bound b;
	struct waiter wt;
	pthread_t th;
	int slot, fd, pass;

	slot = abi_bind(nl, 2, "signal-key", -1, -1, &b);
	fd = slot >= 0 ? abi_open_slot(nl, (uint32_t)slot) : -1;
	if (fd < 0) {
		OK(0, "wait-signal: setup");
		goto out;
	}
	if (pipe2(sig_pipe, O_CLOEXEC)) {
		OK(0, "wait-signal: pipe");
		close(fd);
		goto out;
	}
	for (pass = 0; pass < 2; pass++) {
		bool restart = pass == 0, slept;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sig;
		sa.sa_flags = restart ? SA_RESTART : 0;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGUSR1, &sa, &old);
		atomic_store(&sig_seen, 0);
		abi_status(fd, &st);
		memset(&wt, 0, sizeof(wt));
		wt.fd = fd;
		wt.w = (struct vscard_wait){ .seq = st.seq, .timeout_ms = 60000 };
		pthread_create(&th, NULL, wait_thread, &wt);
		while (!atomic_load(&wt.started))
			sched_yield();
		slept = in_ioctl(wt.tid);
		pthread_kill(th, SIGUSR1);
		if (restart) {
			char c;

			/* the handler ran, the thread is back in the wait */
			slept &= abi_poll(sig_pipe[0], POLLIN, 30000) > 0 &&
				 read(sig_pipe[0], &c, 1) == 1 &&
				 in_ioctl(wt.tid);
			abi_card(b.fd, true);
		}
		pthread_join(th, NULL);
		sigaction(SIGUSR1, &old, NULL);
		if (restart) {
			struct vscard_status now;

			abi_status(fd, &now);
			OK(slept && wt.ret == 0 && wt.w.seq == now.seq &&
			   now.seq != st.seq && atomic_load(&sig_seen) == 1,
			   "WAIT_STATUS hit by a signal with SA_RESTART is restarted and returns 0 on the change (ret %d, slept %d, handler %d)",
			   wt.ret, slept, atomic_load(&sig_seen));
		} else {
			char c;

			while (abi_poll(sig_pipe[0], POLLIN, 0) > 0 &&
			       read(sig_pipe[0], &c, 1) == 1)
				;
			OK(slept && wt.ret == -EINTR &&
			   atomic_load(&sig_seen) == 1,
			   "WAIT_STATUS hit by a signal without SA_RESTART fails with EINTR (ret %d, slept %d)",
			   wt.ret, slept);
		}
	}
	close(sig_pipe[0]);
	close(sig_pipe[1]);
	close(fd);
out:
	abi_unbound(&b);
	vscard_nl_close(nl);
}

void t_status(void)
{
	test_dump();
	test_bind_status();
	test_no_lost_wakeup();
	test_wait_signal();
}
