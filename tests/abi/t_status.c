// SPDX-License-Identifier: MIT
/* ABI tests: bind/unbind, status, poll and WAIT_STATUS transitions. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "abi.h"

static int poll_ready(int fd, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLPRI };

	return poll(&p, 1, timeout_ms) > 0 && (p.revents & (POLLIN | POLLPRI));
}

struct waker {
	struct vscard_nl *nl;
	uint32_t slot;
	unsigned int delay_ms;
};

static void *wake_later(void *arg)
{
	struct waker *w = arg;

	abi_sleep_ms(w->delay_ms);
	abi_card(w->nl, w->slot, true);
	return NULL;
}

static void test_bind_status(void)
{
	struct vscard_nl *nl = abi_nl();
	struct vscard_status st0, st;
	struct vscard_wait w;
	uint64_t epoch;
	uint32_t ver = 0;
	int slot, fd, r;

	fd = abi_open_slot(nl, 0);
	OK(fd >= 0, "open /dev/vscardN of pool 0 slot 0 while unbound");
	if (fd < 0)
		goto out;
	r = ioctl(fd, VSCARD_IOC_VERSION, &ver);
	OK(r == 0 && ver == VSCARD_ABI_VERSION, "VSCARD_IOC_VERSION = %#x (got %#x)",
	   VSCARD_ABI_VERSION, ver);
	OK(abi_status(fd, &st0) == 0 && !(st0.flags & VSCARD_STATUS_BOUND) &&
	   st0.atr_len == 0 && st0.slot == 0 && st0.pool == ABI_POOL,
	   "unbound slot reads unbound, no card (flags %#x)", st0.flags);
	OK(!poll_ready(fd, 0), "poll: nothing to report right after GET_STATUS");

	slot = abi_bind(nl, 0, "status-key", -1, -1, &epoch);
	OK(slot == 0 && epoch != 0, "bind slot 0 -> slot %d epoch %llu", slot,
	   (unsigned long long)epoch);
	if (slot != 0)
		goto out_fd;
	OK(poll_ready(fd, 1000), "poll wakes on bind");
	OK(abi_status(fd, &st) == 0 && (st.flags & VSCARD_STATUS_BOUND) &&
	   !(st.flags & VSCARD_STATUS_PRESENT) && st.seq != st0.seq &&
	   st.epoch == epoch && !strcmp(st.reader_name, "ABI Test Reader"),
	   "status after bind: bound, no card, epoch, reader name, new seq");
	OK(!poll_ready(fd, 0), "GET_STATUS consumed the change");

	st0 = st;
	OK(abi_card(nl, 0, true) == 0, "card-set present");
	OK(poll_ready(fd, 1000), "poll wakes on card insertion");
	OK(abi_status(fd, &st) == 0 && (st.flags & VSCARD_STATUS_PRESENT) &&
	   st.atr_len == 15 && st.atr[0] == 0x3B &&
	   st.insert_count == st0.insert_count + 1 &&
	   (st.protocols & VSCARD_PROTO_T1),
	   "status after insert: present, ATR, protocols, insert_count+1");

	st0 = st;
	abi_card(nl, 0, false);
	abi_card(nl, 0, true);
	r = abi_status(fd, &st);
	OK(r == 0 && (st.flags & VSCARD_STATUS_PRESENT) &&
	   st.insert_count == st0.insert_count + 1 && st.seq != st0.seq,
	   "remove+reinsert between two reads: insert_count moves (%llu -> %llu)",
	   (unsigned long long)st0.insert_count,
	   (unsigned long long)st.insert_count);

	/* WAIT_STATUS */
	w = (struct vscard_wait){ .seq = st.seq, .timeout_ms = 100 };
	r = ioctl(fd, VSCARD_IOC_WAIT_STATUS, &w) < 0 ? -errno : 0;
	OK(r == -ETIMEDOUT, "WAIT_STATUS on the current seq times out (%d)", r);
	w = (struct vscard_wait){ .seq = st0.seq, .timeout_ms = 5000 };
	r = ioctl(fd, VSCARD_IOC_WAIT_STATUS, &w) < 0 ? -errno : 0;
	OK(r == 0 && w.seq == st.seq,
	   "WAIT_STATUS on an old seq returns at once with the current seq");
	w = (struct vscard_wait){ .seq = st.seq, .timeout_ms = 0, .flags = 1 };
	r = ioctl(fd, VSCARD_IOC_WAIT_STATUS, &w) < 0 ? -errno : 0;
	OK(r == -EINVAL, "WAIT_STATUS with flags != 0 -> -EINVAL (%d)", r);

	st0 = st;
	OK(vscard_nl_unbind(nl, ABI_POOL, 0, -1) == 0, "unbind slot 0");
	OK(poll_ready(fd, 1000), "poll wakes on unbind");
	OK(abi_status(fd, &st) == 0 && !(st.flags & VSCARD_STATUS_BOUND) &&
	   !(st.flags & VSCARD_STATUS_PRESENT) && st.atr_len == 0 &&
	   st.reader_name[0] == 0,
	   "status after unbind: unbound, no card, no ATR, no name");
out_fd:
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
	struct waker wk;
	pthread_t th;
	uint64_t t0;
	int fd, ep, slot, n, i, ok = 1;

	slot = abi_bind(nl, 1, "wakeup-key", -1, -1, NULL);
	fd = slot >= 0 ? abi_open_slot(nl, (uint32_t)slot) : -1;
	if (fd < 0) {
		OK(0, "no-lost-wakeup: setup");
		vscard_nl_close(nl);
		return;
	}
	abi_status(fd, &st);
	abi_card(nl, (uint32_t)slot, true);	/* after GET, before poll */
	OK(poll_ready(fd, 0), "event after GET_STATUS and before poll() is reported at once");

	ep = epoll_create1(0);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	OK(epoll_wait(ep, &ev, 1, 0) == 1, "epoll sees the same pending change");
	OK(epoll_wait(ep, &ev, 1, 0) == 1,
	   "the change stays reported until GET_STATUS (level, not edge)");
	abi_status(fd, &st);
	OK(epoll_wait(ep, &ev, 1, 0) == 0, "no report after GET_STATUS");

	/* many rounds of a wake landing while the poller sleeps */
	for (i = 0; i < 20 && ok; i++) {
		abi_card(nl, (uint32_t)slot, false);
		abi_status(fd, &st);
		wk = (struct waker){ nl, (uint32_t)slot, (unsigned int)(i % 3) };
		pthread_create(&th, NULL, wake_later, &wk);
		t0 = abi_now_ns();
		n = epoll_wait(ep, &ev, 1, 2000);
		pthread_join(th, NULL);
		ok = n == 1 && abi_now_ns() - t0 < 1000000000ULL;
	}
	OK(ok, "20 rounds: a sleeping epoll_wait is woken by CARD_SET (< 1 s)");
	close(ep);
	close(fd);
	vscard_nl_unbind(nl, ABI_POOL, (uint32_t)slot, -1);
	vscard_nl_close(nl);
}

static void test_dump(void)
{
	struct vscard_nl *nl = abi_nl();
	struct vscard_attrs a;
	int err;

	err = vscard_nl_pool_get(nl, ABI_POOL, &a);
	OK(!err && a.pool == ABI_POOL && a.slots >= 8 &&
	   a.abi_version == VSCARD_ABI_VERSION,
	   "POOL_GET pool 0: slots %u, abi %#x (err %d)", a.slots,
	   a.abi_version, err);
	vscard_attrs_release(&a);
	err = abi_slot_get(nl, 99, &a);
	OK(err == -ENOENT || err == -EINVAL || err == -ERANGE,
	   "SLOT_GET of a slot that does not exist fails (%d: %s)", err,
	   vscard_nl_errmsg(nl));
	vscard_nl_close(nl);
}

void t_status(void)
{
	test_dump();
	test_bind_status();
	test_no_lost_wakeup();
}
