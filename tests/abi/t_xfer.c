// SPDX-License-Identifier: MIT
/* ABI tests: requests round trip, extended APDUs, timeouts, completions. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "abi.h"
#include "apdu.h"

static void test_round_trip(void)
{
	static const uint8_t select[] = { 0x00, 0xA4, 0x04, 0x00, 0x02,
					  0x3F, 0x00 };
	static const uint8_t chal[] = { 0x00, 0x84, 0x00, 0x00, 0x08 };
	static const uint8_t ctl_in[] = { 1, 2, 3 };
	struct abi_agent ag;
	struct vscard_xfer x;
	uint8_t rx[300], atr[VSCARD_ATR_MAX];
	size_t len;
	int fd, r, i, ok;

	if (abi_agent_start(&ag, 1, "rt-key")) {
		OK(0, "round trip: agent setup");
		return;
	}
	fd = abi_agent_open_slot(&ag, 0);
	x = (struct vscard_xfer){ .rx_ptr = (uintptr_t)atr,
				  .rx_len = sizeof(atr),
				  .code = VSCARD_POWER_UP };
	r = ioctl(fd, VSCARD_IOC_POWER, &x) < 0 ? -errno : 0;
	OK(r == 0 && x.rx_len == 15 && atr[0] == 0x3B,
	   "POWER_UP returns the agent's ATR (r %d, %u bytes)", r, x.rx_len);
	len = sizeof(rx);
	r = abi_transmit(fd, select, sizeof(select), rx, &len, 0);
	OK(r == 0 && len == 2 && rx[0] == 0x90 && rx[1] == 0,
	   "TRANSMIT SELECT -> 90 00 (r %d len %zu)", r, len);
	len = sizeof(rx);
	r = abi_transmit(fd, chal, sizeof(chal), rx, &len, 0);
	for (ok = 1, i = 0; i < 8; i++)
		ok &= rx[i] == tc_pattern((size_t)i);
	OK(r == 0 && len == 10 && ok, "TRANSMIT GET CHALLENGE 8 -> pattern + 90 00");
	x = (struct vscard_xfer){ .tx_ptr = (uintptr_t)ctl_in, .tx_len = 3,
				  .rx_ptr = (uintptr_t)rx, .rx_len = 3,
				  .code = 0x42000000 + 3400 };
	r = ioctl(fd, VSCARD_IOC_CONTROL, &x) < 0 ? -errno : 0;
	OK(r == 0 && x.rx_len == 3 && !memcmp(rx, ctl_in, 3),
	   "CONTROL carries code and data both ways (r %d)", r);
	len = 1;
	r = abi_transmit(fd, chal, sizeof(chal), rx, &len, 0);
	OK(r == -ENOBUFS, "response larger than rx_len -> -ENOBUFS (%d)", r);
	x = (struct vscard_xfer){ .rx_ptr = (uintptr_t)rx, .rx_len = 2,
				  .code = VSCARD_PROTO_T1, .reserved = 1 };
	r = ioctl(fd, VSCARD_IOC_TRANSMIT, &x) < 0 ? -errno : 0;
	OK(r == -EINVAL, "xfer with reserved != 0 -> -EINVAL (%d)", r);
	x = (struct vscard_xfer){ .tx_ptr = (uintptr_t)select,
				  .tx_len = VSCARD_DATA_MAX + 1,
				  .rx_ptr = (uintptr_t)rx, .rx_len = 2,
				  .code = VSCARD_PROTO_T1 };
	r = ioctl(fd, VSCARD_IOC_TRANSMIT, &x) < 0 ? -errno : 0;
	OK(r == -EINVAL || r == -E2BIG || r == -EMSGSIZE,
	   "tx_len > VSCARD_DATA_MAX rejected (%d)", r);

	/*
	 * Back to back: each request is queued while the agent is just
	 * finishing the previous one, the window where an edge-triggered
	 * hint can land in the library's queue instead of on the fd.
	 */
	for (ok = 0, i = 0; i < 3000; i++) {
		len = sizeof(rx);
		ok += !abi_transmit(fd, select, sizeof(select), rx, &len, 5000);
	}
	OK(ok == 3000, "3000 back-to-back round trips, no hint lost (%d ok)", ok);

	/* no card */
	abi_agent_stop(&ag);
	len = sizeof(rx);
	r = abi_transmit(fd, select, sizeof(select), rx, &len, 0);
	OK(r == -ENOMEDIUM, "TRANSMIT on an unbound slot -> -ENOMEDIUM (%d)", r);
	close(fd);
}

static void test_extended(void)
{
	size_t lc = 65535, tx_len = 4 + 3 + lc + 2, rx_len = VSCARD_DATA_MAX;
	uint8_t *tx = malloc(tx_len), *rx = malloc(rx_len);
	struct abi_agent ag;
	struct vscard_status st;
	struct vscard_xfer x;
	size_t i;
	int fd, r, ok = 1;

	if (abi_agent_start(&ag, 1, "ext-key")) {
		OK(0, "extended: agent setup");
		return;
	}
	fd = abi_agent_open_slot(&ag, 0);
	tx[0] = 0x80; tx[1] = 0xEE; tx[2] = 0; tx[3] = 0;
	tx[4] = 0; tx[5] = 0xFF; tx[6] = 0xFF;
	for (i = 0; i < lc; i++)
		tx[7 + i] = (uint8_t)(i * 31 + (i >> 8));
	tx[tx_len - 2] = 0;
	tx[tx_len - 1] = 0;
	r = abi_transmit(fd, tx, tx_len, rx, &rx_len, 10000);
	for (i = 0; r == 0 && i < lc; i++)
		ok &= rx[i] == tx[7 + i];
	OK(r == 0 && rx_len == 65538 && ok && rx[65536] == 0x90 &&
	   rx[65537] == 0,
	   "extended APDU: 65544 bytes in, 65538 bytes out, data intact (r %d, %zu)",
	   r, rx_len);
	/* insert_count check */
	abi_status(fd, &st);
	x = (struct vscard_xfer){ .tx_ptr = (uintptr_t)tx, .tx_len = 4,
				  .rx_ptr = (uintptr_t)rx, .rx_len = 2,
				  .code = VSCARD_PROTO_T1,
				  .insert_count = st.insert_count + 5 };
	r = ioctl(fd, VSCARD_IOC_TRANSMIT, &x) < 0 ? -errno : 0;
	OK(r == -ENOMEDIUM, "TRANSMIT with a stale insert_count -> -ENOMEDIUM (%d)", r);
	x.insert_count = st.insert_count;
	x.rx_len = 2;	/* the failed call may have written it */
	r = ioctl(fd, VSCARD_IOC_TRANSMIT, &x) < 0 ? -errno : 0;
	OK(r == 0, "TRANSMIT with the current insert_count works (%d)", r);
	abi_agent_stop(&ag);
	close(fd);
	free(tx);
	free(rx);
}

static uint64_t stale_count(struct vscard_nl *nl, uint32_t slot)
{
	struct vscard_attrs a;
	uint64_t v = (uint64_t)-1;

	if (!abi_slot_get(nl, slot, &a))
		v = a.stats.stale_completions;
	vscard_attrs_release(&a);
	return v;
}

/* The test plays the agent by hand on socket @a; @b is another root socket. */
static void test_manual(void)
{
	static const uint8_t apdu[] = { 0x00, 0xA4, 0x04, 0x00 };
	static const uint8_t ok_sw[] = { 0x90, 0x00 };
	struct vscard_nl *a = abi_nl(), *b = abi_nl();
	struct vscard_attrs req, m;
	struct abi_xfer x;
	uint64_t stale0, ms;
	int slot, fd, r;

	slot = abi_bind(a, -1, "manual-key", -1, -1, NULL);
	if (slot < 0 || abi_card(a, (uint32_t)slot, true)) {
		OK(0, "manual agent: setup");
		goto out;
	}
	fd = abi_open_slot(a, (uint32_t)slot);

	/* timeout: the caller gets -ETIMEDOUT, the agent a cancel notice */
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu,
		       sizeof(apdu), 258, 300);
	r = abi_fetch(a, &req, 5000);
	OK(r == 0 && req.req_type == VSCARD_REQ_TRANSMIT &&
	   req.data_len == sizeof(apdu) && !memcmp(req.data, apdu, 4) &&
	   req.req_rx_max == 258 && req.slot == (uint32_t)slot &&
	   req.req_code == VSCARD_PROTO_T1,
	   "REQ_NOTIFY then REQ_GET delivers type, code, rx_max and data (r %d)", r);
	abi_xfer_join(&x);
	ms = (x.t_end - x.t_start) / 1000000;
	OK(x.ret == -ETIMEDOUT && ms >= 250 && ms < 3000,
	   "request with a 300 ms deadline fails with -ETIMEDOUT after %llu ms (%d)",
	   (unsigned long long)ms, x.ret);
	r = abi_wait_msg(a, VSCARD_CMD_REQ_CANCEL, &m, 2000);
	OK(r == 0 && m.req_id == req.req_id && m.slot == (uint32_t)slot,
	   "agent receives REQ_CANCEL for that id (r %d)", r);
	vscard_attrs_release(&m);
	stale0 = stale_count(a, (uint32_t)slot);
	r = abi_done(a, &req, 0, ok_sw, 2);
	OK(r == -ENOENT, "late completion -> -ENOENT (%d)", r);
	OK(stale_count(a, (uint32_t)slot) == stale0 + 1,
	   "late completion moves the stale_completions counter");
	vscard_attrs_release(&req);

	/* second socket: EPERM; duplicate: ENOENT */
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu,
		       sizeof(apdu), 258, 10000);
	r = abi_fetch(a, &req, 5000);
	OK(r == 0, "second request fetched (%d)", r);
	r = vscard_nl_req_get(b, &m);
	OK(r == -ENOENT, "REQ_GET from another socket sees nothing (%d)", r);
	r = abi_done(b, &req, 0, ok_sw, 2);
	OK(r == -EPERM, "completion from a second socket -> -EPERM (%d: %s)", r,
	   vscard_nl_errmsg(b));
	OK(!atomic_load(&x.done), "the request is still pending after that");
	r = abi_done(a, &req, 0, ok_sw, 2);
	abi_xfer_join(&x);
	OK(r == 0 && x.ret == 0 && x.x.rx_len == 2 && x.rx[0] == 0x90,
	   "owner completes it: caller gets 90 00 (r %d ret %d)", r, x.ret);
	abi_xfer_free(&x);
	stale0 = stale_count(a, (uint32_t)slot);
	r = abi_done(a, &req, 0, ok_sw, 2);
	OK(r == -ENOENT && stale_count(a, (uint32_t)slot) == stale0 + 1,
	   "duplicate completion -> -ENOENT and the counter moves (%d)", r);
	req.req_id ^= 0x5555;
	r = abi_done(a, &req, 0, ok_sw, 2);
	OK(r == -ENOENT, "unknown id -> -ENOENT (%d)", r);
	vscard_attrs_release(&req);

	/* a remote failure: -EIO with the result word */
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu,
		       sizeof(apdu), 258, 10000);
	if (!abi_fetch(a, &req, 5000)) {
		struct vscard_done d = {
			.pool = req.pool, .slot = req.slot, .req_id = req.req_id,
			.status = -EIO, .result = 0x80100069, .protocols = -1,
		};
		r = vscard_nl_req_done(a, &d);
		abi_xfer_join(&x);
		OK(r == 0 && x.ret == -EIO && x.x.result == 0x80100069,
		   "failed completion -> caller -EIO with result %#x (ret %d)",
		   x.x.result, x.ret);
		vscard_attrs_release(&req);
	} else {
		abi_xfer_join(&x);
		OK(0, "failed completion: fetch");
	}
	abi_xfer_free(&x);

	/* a response bigger than rx_max is refused */
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu,
		       sizeof(apdu), 4, 10000);
	if (!abi_fetch(a, &req, 5000)) {
		static const uint8_t big[16];

		r = abi_done(a, &req, 0, big, sizeof(big));
		if (r) {
			/* kernel refused the oversize completion: say so */
			DIAG("oversize REQ_DONE refused: %d (%s)", r,
			     vscard_nl_errmsg(a));
			abi_done(a, &req, -ENOBUFS, NULL, 0);
		}
		abi_xfer_join(&x);
		OK((r == -EINVAL || r == -EMSGSIZE || r == 0) &&
		   x.ret == -ENOBUFS,
		   "completion larger than rx_max -> caller -ENOBUFS (done %d, ret %d)",
		   r, x.ret);
		vscard_attrs_release(&req);
	} else {
		abi_xfer_join(&x);
		OK(0, "oversize completion: fetch");
	}
	abi_xfer_free(&x);
	close(fd);
out:
	vscard_nl_close(b);
	vscard_nl_close(a);
}

/* VSCARD_SLOT_REQS_MAX outstanding, one more -> -EBUSY. */
static void test_busy(void)
{
	static const uint8_t apdu[] = { 0x00, 0xA4, 0x04, 0x00 };
	struct vscard_nl *a = abi_nl();
	struct abi_xfer *x = calloc(VSCARD_SLOT_REQS_MAX + 1, sizeof(*x));
	struct vscard_attrs s;
	uint64_t t0;
	int slot, fd, i, r, pending = 0, busy;

	slot = abi_bind(a, -1, "busy-key", -1, -1, NULL);
	if (slot < 0 || abi_card(a, (uint32_t)slot, true)) {
		OK(0, "busy: setup");
		goto out;
	}
	fd = abi_open_slot(a, (uint32_t)slot);
	for (i = 0; i < VSCARD_SLOT_REQS_MAX; i++)
		abi_xfer_start(&x[i], fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1,
			       apdu, sizeof(apdu), 2, 20000);
	t0 = abi_now_ns();
	while (abi_now_ns() - t0 < 10000000000ULL) {
		if (!abi_slot_get(a, (uint32_t)slot, &s)) {
			pending = (int)s.pending;
			vscard_attrs_release(&s);
		}
		if (pending >= VSCARD_SLOT_REQS_MAX)
			break;
		abi_sleep_ms(10);
	}
	OK(pending == VSCARD_SLOT_REQS_MAX, "SLOT_GET reports %d pending (got %d)",
	   VSCARD_SLOT_REQS_MAX, pending);
	abi_xfer_start(&x[i], fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu,
		       sizeof(apdu), 2, 20000);
	abi_xfer_join(&x[i]);
	busy = x[i].ret;
	OK(busy == -EBUSY, "request %d on one slot -> -EBUSY (%d)",
	   VSCARD_SLOT_REQS_MAX + 1, busy);
	t0 = abi_now_ns();
	r = vscard_nl_unbind(a, ABI_POOL, (uint32_t)slot, -1);
	for (i = 0; i < VSCARD_SLOT_REQS_MAX; i++)
		abi_xfer_join(&x[i]);
	for (busy = 0, i = 0; i < VSCARD_SLOT_REQS_MAX; i++)
		busy += x[i].ret != 0 && x[i].t_end - t0 < 100000000ULL;
	OK(r == 0 && busy == VSCARD_SLOT_REQS_MAX,
	   "unbind fails all %d pending requests within 100 ms (%d did)",
	   VSCARD_SLOT_REQS_MAX, busy);
	for (i = 0; i <= VSCARD_SLOT_REQS_MAX; i++)
		abi_xfer_free(&x[i]);
	close(fd);
out:
	free(x);
	vscard_nl_close(a);
}

/* Wait until @slot has @n requests outstanding. */
static bool wait_pending(struct vscard_nl *nl, uint32_t slot, uint32_t n)
{
	int i;

	for (i = 0; i < 500; i++) {
		struct vscard_attrs a;
		bool ok = !abi_slot_get(nl, slot, &a) && a.pending == n;

		vscard_attrs_release(&a);
		if (ok)
			return true;
		abi_sleep_ms(10);
	}
	return false;
}

static struct vscard_done done_of(const struct vscard_attrs *req)
{
	static const uint8_t ok_sw[] = { 0x90, 0x00 };

	return (struct vscard_done){
		.pool = req->pool, .slot = req->slot, .req_id = req->req_id,
		.result = -1, .protocols = -1, .data = ok_sw, .len = 2,
	};
}

/* REQ_DONE + REQ_NEXT (ABI 1.1): complete and fetch in one round trip. */
static void test_req_next(void)
{
	static const uint8_t apdu[] = { 0x00, 0xA4, 0x04, 0x00 };
	struct vscard_nl *a = abi_nl(), *b = abi_nl();
	struct vscard_attrs req, next, m;
	struct abi_xfer x1, x2;
	struct vscard_done d;
	int slot, fd, r;

	OK(vscard_nl_version(a) == VSCARD_ABI_VERSION,
	   "family version is VSCARD_ABI_VERSION %#x (%#x)",
	   VSCARD_ABI_VERSION, vscard_nl_version(a));
	slot = abi_bind(a, -1, "next-key", -1, -1, NULL);
	if (slot < 0 || abi_card(a, (uint32_t)slot, true)) {
		OK(0, "req-next: setup");
		goto out;
	}
	fd = abi_open_slot(a, (uint32_t)slot);

	/* two queued: completing the first fetches the second */
	abi_xfer_start(&x1, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu,
		       sizeof(apdu), 258, 10000);
	r = abi_fetch(a, &req, 5000);
	abi_xfer_start(&x2, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu,
		       sizeof(apdu), 258, 10000);
	OK(r == 0 && wait_pending(a, (uint32_t)slot, 2),
	   "req-next: first fetched, second queued (%d)", r);
	d = done_of(&req);
	r = vscard_nl_req_done_next(a, &d, &next);
	abi_xfer_join(&x1);
	OK(r == 0 && x1.ret == 0 && x1.x.rx_len == 2 && next.req_id &&
	   next.req_id != req.req_id && next.req_type == VSCARD_REQ_TRANSMIT &&
	   next.data_len == sizeof(apdu),
	   "REQ_DONE+REQ_NEXT completes the first and returns the second (r %d ret %d)",
	   r, x1.ret);
	vscard_attrs_release(&req);

	/* none left: an empty reply, and the hint is armed again */
	d = done_of(&next);
	r = vscard_nl_req_done_next(a, &d, &req);
	abi_xfer_join(&x2);
	OK(r == 0 && !req.req_id && x2.ret == 0,
	   "REQ_NEXT with nothing queued: empty reply, second completed (r %d ret %d)",
	   r, x2.ret);
	vscard_attrs_release(&next);
	abi_xfer_free(&x1);
	abi_xfer_free(&x2);
	/* hints of the requests above may still be queued: a fresh one only */
	while (!vscard_nl_next(a, &m))
		vscard_attrs_release(&m);
	abi_xfer_start(&x1, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu,
		       sizeof(apdu), 258, 10000);
	r = abi_wait_msg(a, VSCARD_CMD_REQ_NOTIFY, &m, 5000);
	OK(r == 0 && m.slot == (uint32_t)slot,
	   "after the empty reply a new request sends REQ_NOTIFY (%d)", r);
	vscard_attrs_release(&m);
	r = vscard_nl_req_get(a, &req);
	OK(r == 0, "and REQ_GET fetches it (%d)", r);

	/* a failed completion fetches nothing */
	abi_xfer_start(&x2, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu,
		       sizeof(apdu), 258, 10000);
	wait_pending(a, (uint32_t)slot, 2);
	d = done_of(&req);
	d.req_id ^= 0x5555;
	r = vscard_nl_req_done_next(a, &d, &next);
	OK(r == -ENOENT && !next.req_id,
	   "REQ_NEXT with an unknown id -> -ENOENT, nothing fetched (%d)", r);
	d = done_of(&req);
	r = vscard_nl_req_done_next(b, &d, &next);
	OK(r == -EPERM && !next.req_id,
	   "REQ_NEXT from a non-owner -> -EPERM, nothing fetched (%d)", r);
	OK(!atomic_load(&x1.done) && !atomic_load(&x2.done),
	   "both requests still pending after that");
	r = vscard_nl_req_done_next(a, &d, &next);
	abi_xfer_join(&x1);
	OK(r == 0 && x1.ret == 0 && next.req_id,
	   "the owner's REQ_NEXT then returns the queued request (r %d)", r);
	vscard_attrs_release(&req);
	d = done_of(&next);
	r = vscard_nl_req_done_next(a, &d, &req);
	abi_xfer_join(&x2);
	OK(r == 0 && !req.req_id && x2.ret == 0,
	   "and completes it with an empty reply (r %d ret %d)", r, x2.ret);
	vscard_attrs_release(&next);
	abi_xfer_free(&x1);
	abi_xfer_free(&x2);
	close(fd);
out:
	vscard_nl_close(b);
	vscard_nl_close(a);
}

void t_xfer(void)
{
	test_round_trip();
	test_extended();
	test_manual();
	test_req_next();
	test_busy();
}
