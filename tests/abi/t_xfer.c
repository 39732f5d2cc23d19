// SPDX-License-Identifier: MIT
/*
 * ABI tests: requests round trip through the binding file, extended
 * APDUs, timeouts and cancel notices, completions (unknown, late,
 * duplicate, failed, oversize, -ENOBUFS with a length), the request
 * limit and EPOLLOUT of the device node, power state and card changes.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "abi.h"
#include "apdu.h"

static const uint8_t apdu4[] = { 0x00, 0xA4, 0x04, 0x00 };
static const uint8_t ok_sw[] = { 0x90, 0x00 };

static void test_round_trip(void)
{
	static const uint8_t select[] = { 0x00, 0xA4, 0x04, 0x00, 0x02,
					  0x3F, 0x00 };
	static const uint8_t chal[] = { 0x00, 0x84, 0x00, 0x00, 0x08 };
	static const uint8_t ctl_in[] = { 1, 2, 3 };
	struct abi_agent ag;
	struct vscard_status st;
	struct vscard_xfer x;
	uint8_t rx[300], atr[VSCARD_ATR_MAX];
	uint32_t attr = 0;
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
	OK(abi_status(fd, &st) == 0 && (st.flags & VSCARD_STATUS_POWERED) &&
	   st.active_protocol == VSCARD_PROTO_T1,
	   "after POWER_UP: POWERED, active protocol T=1 from the completion (flags %#x, proto %u)",
	   st.flags, st.active_protocol);
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
	x = (struct vscard_xfer){ .rx_ptr = (uintptr_t)&attr, .rx_len = 4,
				  .code = 0x00090303 };
	r = ioctl(fd, VSCARD_IOC_GET_ATTRIB, &x) < 0 ? -errno : 0;
	OK(r == 0 && x.rx_len == 4 && attr == 0x00090303,
	   "GET_ATTRIB carries the attribute id to the agent and the value back (r %d, %#x)",
	   r, attr);
	x = (struct vscard_xfer){ .tx_ptr = (uintptr_t)ctl_in, .tx_len = 3,
				  .rx_ptr = (uintptr_t)rx, .rx_len = 0,
				  .code = 0x00090303 };
	r = ioctl(fd, VSCARD_IOC_SET_ATTRIB, &x) < 0 ? -errno : 0;
	OK(r == 0 && x.rx_len == 0, "SET_ATTRIB round trip (r %d)", r);
	x = (struct vscard_xfer){ .tx_ptr = (uintptr_t)chal,
				  .tx_len = sizeof(chal),
				  .rx_ptr = (uintptr_t)rx, .rx_len = 1,
				  .code = VSCARD_PROTO_T1 };
	r = ioctl(fd, VSCARD_IOC_TRANSMIT, &x) < 0 ? -errno : 0;
	OK(r == -ENOBUFS && x.rx_len == 10,
	   "response larger than rx_len -> -ENOBUFS, rx_len = the 10 bytes needed (%d, %u)",
	   r, x.rx_len);
	x = (struct vscard_xfer){ .rx_ptr = (uintptr_t)rx, .rx_len = 2,
				  .code = VSCARD_PROTO_T1, .reserved = 1 };
	r = ioctl(fd, VSCARD_IOC_TRANSMIT, &x) < 0 ? -errno : 0;
	OK(r == -EINVAL, "xfer with reserved != 0 -> -EINVAL (%d)", r);
	x = (struct vscard_xfer){ .tx_ptr = (uintptr_t)select,
				  .tx_len = VSCARD_DATA_MAX + 1,
				  .rx_ptr = (uintptr_t)rx, .rx_len = 2,
				  .code = VSCARD_PROTO_T1 };
	r = ioctl(fd, VSCARD_IOC_TRANSMIT, &x) < 0 ? -errno : 0;
	OK(r == -EINVAL, "tx_len > VSCARD_DATA_MAX -> -EINVAL (%d)", r);
	x = (struct vscard_xfer){ .rx_ptr = (uintptr_t)rx, .rx_len = 2,
				  .code = VSCARD_POWER_DOWN };
	r = ioctl(fd, VSCARD_IOC_POWER, &x) < 0 ? -errno : 0;
	OK(r == 0 && abi_status(fd, &st) == 0 &&
	   !(st.flags & VSCARD_STATUS_POWERED),
	   "POWER_DOWN clears POWERED (r %d, flags %#x)", r, st.flags);

	/* Back to back, in order: each request queued as the agent finishes
	 * the previous one. */
	for (ok = 0, i = 0; i < 3000; i++) {
		uint8_t echo[] = { 0x80, 0xEE, 0x00, 0x00, 0x02,
				   (uint8_t)(i >> 8), (uint8_t)i, 0x02 };

		len = sizeof(rx);
		ok += !abi_transmit(fd, echo, sizeof(echo), rx, &len, 5000) &&
		      len == 4 && rx[0] == (uint8_t)(i >> 8) &&
		      rx[1] == (uint8_t)i;
	}
	OK(ok == 3000, "3000 back-to-back round trips, each its own answer (%d ok)",
	   ok);

	/* no binding any more */
	abi_agent_stop(&ag);
	len = sizeof(rx);
	r = abi_transmit(fd, select, sizeof(select), rx, &len, 0);
	OK(r == -ENOMEDIUM, "TRANSMIT on an unbound slot -> -ENOMEDIUM (%d)", r);
	OK(atomic_load(&ag.st.error) == 0, "the agent saw no error (%d)",
	   atomic_load(&ag.st.error));
	close(fd);
}

struct echo_caller {
	pthread_t th;
	int fd;
	int k0;
	int failed;
};

/* 64 KiB echoes with data that differs per call. */
static void *big_echo_fn(void *arg)
{
	struct echo_caller *c = arg;
	size_t lc = 65535, tx_len = 4 + 3 + lc + 2, i;
	uint8_t *tx = malloc(tx_len), *rx = malloc(VSCARD_DATA_MAX);
	int k;

	tx[0] = 0x80; tx[1] = 0xEE; tx[2] = 0; tx[3] = 0;
	tx[4] = 0; tx[5] = 0xFF; tx[6] = 0xFF;
	tx[tx_len - 2] = 0;	/* Le 0000: 65536, the data + pattern */
	tx[tx_len - 1] = 0;
	for (k = c->k0; k < c->k0 + 5; k++) {
		size_t len = VSCARD_DATA_MAX;

		for (i = 0; i < lc; i++)
			tx[7 + i] = (uint8_t)(i * 31 + (i >> 8) + (size_t)k);
		c->failed += abi_transmit(c->fd, tx, tx_len, rx, &len, 20000) ||
			     len != 65538 || memcmp(rx, tx + 7, lc) ||
			     rx[65536] != 0x90 || rx[65537] != 0;
	}
	free(tx);
	free(rx);
	return NULL;
}

static void test_extended(void)
{
	struct echo_caller c[4];
	struct abi_agent ag;
	struct vscard_status st;
	struct vscard_xfer x;
	uint8_t tx[8], rx[8];
	int fd, r, i, failed = 0;

	if (abi_agent_start(&ag, 1, "ext-key")) {
		OK(0, "extended: agent setup");
		return;
	}
	fd = abi_agent_open_slot(&ag, 0);
	for (i = 0; i < 4; i++) {
		c[i] = (struct echo_caller){ .fd = fd, .k0 = i * 5 };
		pthread_create(&c[i].th, NULL, big_echo_fn, &c[i]);
	}
	for (i = 0; i < 4; i++) {
		pthread_join(c[i].th, NULL);
		failed += c[i].failed;
	}
	OK(failed == 0,
	   "20 extended APDUs from 4 threads: 65544 bytes in, 65538 out, each its own data (%d bad)",
	   failed);
	/* insert_count check */
	abi_status(fd, &st);
	memcpy(tx, apdu4, 4);
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
}

/* The test plays the agent by hand on the binding file. */
static void test_manual(void)
{
	struct vscard_nl *a = abi_nl();
	abi_msg_t *m = malloc(sizeof(*m)), *m2 = malloc(sizeof(*m2));
	struct abi_bound b, o;
	struct vscard_status st;
	struct abi_xfer x;
	uint64_t stale0, id;
	int slot, fd, r;
	ssize_t n;

	o.fd = -1;
	slot = abi_bind(a, -1, "manual-key", -1, -1, &b);
	if (slot < 0 || abi_card(b.fd, true)) {
		OK(0, "manual agent: setup");
		goto out;
	}
	fd = abi_open_slot(a, (uint32_t)slot);

	/* timeout: the caller gets -ETIMEDOUT, the agent a cancel notice */
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu4,
		       sizeof(apdu4), 258, 1000);
	n = abi_read(b.fd, m, 10000);
	OK(n == (ssize_t)(sizeof(m->msg) + sizeof(apdu4)) && m->msg.id &&
	   m->msg.type == VSCARD_REQ_TRANSMIT && m->msg.len == sizeof(apdu4) &&
	   !memcmp(m->data, apdu4, 4) && m->msg.rx_max == 258 &&
	   m->msg.code == VSCARD_PROTO_T1,
	   "read() delivers id, type, code, rx_max, len and the bytes (%zd)", n);
	id = m->msg.id;
	abi_xfer_join(&x);
	OK(x.ret == -ETIMEDOUT,
	   "request with a 1 s deadline fails with -ETIMEDOUT (%d)", x.ret);
	DIAG("the 1 s request returned after %.0f ms",
	     (double)(x.t_end - x.t_start) / 1e6);
	abi_xfer_free(&x);
	n = abi_read(b.fd, m, 10000);
	OK(n == sizeof(m->msg) && m->msg.type == VSCARD_MSG_CANCEL &&
	   m->msg.id == id && m->msg.len == 0,
	   "the agent reads VSCARD_MSG_CANCEL for that id (%zd, type %#x)", n,
	   m->msg.type);
	stale0 = abi_slot_stale(a, ABI_POOL, (uint32_t)slot);
	r = abi_done(b.fd, id, 0, ok_sw, 2);
	OK(r == -ENOENT, "completion after the cancel -> -ENOENT (%d)", r);
	OK(abi_slot_stale(a, ABI_POOL, (uint32_t)slot) == stale0 + 1,
	   "the late completion moves the stale_completions counter");
	OK(abi_poll(b.fd, POLLIN, 0) == 0, "nothing else queued");

	/* another binding cannot complete this slot's request */
	r = abi_bind(a, -1, "manual-other", -1, -1, &o);
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu4,
		       sizeof(apdu4), 258, 10000);
	n = abi_read(b.fd, m, 10000);
	OK(r >= 0 && n > 0 && m->msg.type == VSCARD_REQ_TRANSMIT,
	   "second request read (%zd)", n);
	r = abi_done(o.fd, m->msg.id, 0, ok_sw, 2);
	OK(r == -ENOENT, "its completion written to another slot's binding -> -ENOENT (%d)",
	   r);
	OK(!abi_xfer_wait(&x, 0), "the request is still pending after that");
	OK(abi_poll(o.fd, POLLIN, 0) == 0,
	   "the other binding never sees this slot's request");
	r = abi_done(b.fd, m->msg.id, 0, ok_sw, 2);
	abi_xfer_join(&x);
	OK(r == 0 && x.ret == 0 && x.x.rx_len == 2 && x.rx[0] == 0x90,
	   "the slot's binding completes it: caller gets 90 00 (r %d ret %d)", r,
	   x.ret);
	abi_xfer_free(&x);
	stale0 = abi_slot_stale(a, ABI_POOL, (uint32_t)slot);
	r = abi_done(b.fd, m->msg.id, 0, ok_sw, 2);
	OK(r == -ENOENT &&
	   abi_slot_stale(a, ABI_POOL, (uint32_t)slot) == stale0 + 1,
	   "duplicate completion -> -ENOENT and the counter moves (%d)", r);
	r = abi_done(b.fd, m->msg.id ^ 0x5555, 0, ok_sw, 2);
	OK(r == -ENOENT, "unknown id -> -ENOENT (%d)", r);
	r = abi_done(b.fd, 0, 0, ok_sw, 2);
	OK(r == -ENOENT, "id 0 -> -ENOENT (%d)", r);

	/* a remote failure: -EIO with the result word */
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu4,
		       sizeof(apdu4), 258, 10000);
	n = abi_read(b.fd, m, 10000);
	r = n > 0 ? abi_done_ex(b.fd, m->msg.id, -EIO, 0x80100069, 0, NULL, 0) :
		    (int)n;
	abi_xfer_join(&x);
	OK(r == 0 && x.ret == -EIO && x.x.result == 0x80100069,
	   "failed completion -> caller -EIO with result %#x (ret %d)",
	   x.x.result, x.ret);
	abi_xfer_free(&x);

	/* result passed with success too */
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu4,
		       sizeof(apdu4), 258, 10000);
	n = abi_read(b.fd, m, 10000);
	r = n > 0 ? abi_done_ex(b.fd, m->msg.id, 0, 7, 0, ok_sw, 2) : (int)n;
	abi_xfer_join(&x);
	OK(r == 0 && x.ret == 0 && x.x.result == 7,
	   "the result word of a successful completion reaches the caller (%u)",
	   x.x.result);
	abi_xfer_free(&x);

	/* a response bigger than rx_max fails the caller with -ENOBUFS */
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu4,
		       sizeof(apdu4), 4, 10000);
	n = abi_read(b.fd, m, 10000);
	if (n > 0) {
		static const uint8_t big[16];

		OK(m->msg.rx_max == 4, "rx_max is the caller's rx_len (%u)",
		   m->msg.rx_max);
		r = abi_done(b.fd, m->msg.id, 0, big, sizeof(big));
		abi_xfer_join(&x);
		OK(r == 0 && x.ret == -ENOBUFS && x.x.rx_len == sizeof(big),
		   "16-byte completion for rx_max 4 -> caller -ENOBUFS, rx_len 16 (done %d, ret %d, rx_len %u)",
		   r, x.ret, x.x.rx_len);
	} else {
		abi_xfer_join(&x);
		OK(0, "oversize completion: read (%zd)", n);
	}
	abi_xfer_free(&x);

	/* -ENOBUFS with the length the remote side needs */
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu4,
		       sizeof(apdu4), 4, 10000);
	n = abi_read(b.fd, m, 10000);
	r = n > 0 ? abi_done(b.fd, m->msg.id, -ENOBUFS, NULL, 4242) : (int)n;
	abi_xfer_join(&x);
	OK(r == 0 && x.ret == -ENOBUFS && x.x.rx_len == 4242,
	   "agent's -ENOBUFS with len 4242 -> caller -ENOBUFS with rx_len 4242 (done %d, ret %d, rx_len %u)",
	   r, x.ret, x.x.rx_len);
	abi_xfer_free(&x);

	/* the order of queued requests is the order of submission */
	{
		struct abi_xfer q[3];
		uint8_t tag[3][5];
		int i, in_order = 1;

		for (i = 0; i < 3; i++) {
			memcpy(tag[i], apdu4, 4);
			tag[i][4] = (uint8_t)(0xA0 + i);
			abi_xfer_start(&q[i], fd, VSCARD_IOC_TRANSMIT,
				       VSCARD_PROTO_T1, tag[i], 5, 258, 10000);
			if (!abi_wait_pending(a, ABI_POOL, (uint32_t)slot,
					      (uint32_t)i + 1))
				in_order = 0;
		}
		for (i = 0; i < 3; i++) {
			n = abi_read(b.fd, &m2[0], 10000);
			in_order &= n == (ssize_t)sizeof(m2->msg) + 5 &&
				    m2->data[4] == 0xA0 + i;
			if (n > 0)
				abi_done(b.fd, m2->msg.id, 0, ok_sw, 2);
		}
		for (i = 0; i < 3; i++) {
			abi_xfer_join(&q[i]);
			in_order &= q[i].ret == 0;
			abi_xfer_free(&q[i]);
		}
		OK(in_order, "three queued requests are read in submission order");
	}

	/* power: the protocol of the completion becomes the active one */
	abi_xfer_start(&x, fd, VSCARD_IOC_POWER, VSCARD_POWER_UP, NULL, 0,
		       VSCARD_ATR_MAX, 10000);
	n = abi_read(b.fd, m, 10000);
	OK(n == sizeof(m->msg) && m->msg.type == VSCARD_REQ_POWER &&
	   m->msg.code == VSCARD_POWER_UP && m->msg.len == 0,
	   "POWER_UP reaches the agent as type POWER, code UP, no bytes (%zd)", n);
	r = n > 0 ? abi_done_ex(b.fd, m->msg.id, 0, 0, VSCARD_PROTO_T0,
				abi_atr, sizeof(abi_atr)) : (int)n;
	abi_xfer_join(&x);
	OK(r == 0 && x.ret == 0 && abi_status(fd, &st) == 0 &&
	   (st.flags & VSCARD_STATUS_POWERED) &&
	   st.active_protocol == VSCARD_PROTO_T0,
	   "POWER_UP completed with protocols T=0 -> POWERED, active T=0 (%#x, %u)",
	   st.flags, st.active_protocol);
	abi_xfer_free(&x);
	abi_xfer_start(&x, fd, VSCARD_IOC_POWER, VSCARD_POWER_UP, NULL, 0,
		       VSCARD_ATR_MAX, 10000);
	n = abi_read(b.fd, m, 10000);
	r = n > 0 ? abi_done_ex(b.fd, m->msg.id, -EIO, 0x80100066, 0, NULL, 0) :
		    (int)n;
	abi_xfer_join(&x);
	OK(r == 0 && x.ret == -EIO && abi_status(fd, &st) == 0 &&
	   !(st.flags & VSCARD_STATUS_POWERED),
	   "a failed POWER_UP clears POWERED (ret %d, flags %#x)", x.ret,
	   st.flags);
	abi_xfer_free(&x);

	/* card removal fails the read-but-pending request */
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu4,
		       sizeof(apdu4), 258, 60000);
	n = abi_read(b.fd, m, 10000);
	r = abi_card(b.fd, false);
	abi_xfer_join(&x);
	OK(n > 0 && r == 0 && x.ret == -ENOMEDIUM,
	   "card removal fails the pending request with -ENOMEDIUM (%d)", x.ret);
	r = abi_done(b.fd, m->msg.id, 0, ok_sw, 2);
	OK(r == -ENOENT, "its completion afterwards -> -ENOENT (%d)", r);
	abi_xfer_free(&x);
	abi_card(b.fd, true);
	/* and so does a replacement (another ATR while present) */
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu4,
		       sizeof(apdu4), 258, 60000);
	n = abi_read(b.fd, m, 10000);
	{
		uint8_t atr2[sizeof(abi_atr)];

		memcpy(atr2, abi_atr, sizeof(atr2));
		atr2[1] ^= 0x10;
		r = abi_card_atr(b.fd, atr2, sizeof(atr2), VSCARD_PROTO_T1);
	}
	abi_xfer_join(&x);
	OK(n > 0 && r == 0 && x.ret == -ENOMEDIUM,
	   "card replacement fails the pending request with -ENOMEDIUM (%d)",
	   x.ret);
	abi_xfer_free(&x);
	close(fd);
out:
	abi_unbound(&o);
	abi_unbound(&b);
	free(m);
	free(m2);
	vscard_nl_close(a);
}

/*
 * A card replaced between a POWER_UP's completion and the caller's return
 * must not leave the slot POWERED: the agent completes the power-up and at
 * once writes another ATR, many times, so that the replacement lands both
 * before and after the caller wakes.
 */
static void test_power_race(void)
{
	struct vscard_nl *a = abi_nl();
	abi_msg_t *m = malloc(sizeof(*m));
	uint8_t atr2[sizeof(abi_atr)];
	struct vscard_status st;
	struct abi_bound b;
	struct abi_xfer x;
	int slot, fd, i, powered = 0, ok0 = 0, nomedium = 0, other = 0;

	slot = abi_bind(a, -1, "power-race", -1, -1, &b);
	fd = slot >= 0 ? abi_open_slot(a, (uint32_t)slot) : -1;
	if (fd < 0 || abi_card(b.fd, true)) {
		OK(0, "power race: setup");
		goto out;
	}
	memcpy(atr2, abi_atr, sizeof(atr2));
	for (i = 0; i < 200; i++) {
		ssize_t n;

		abi_xfer_start(&x, fd, VSCARD_IOC_POWER, VSCARD_POWER_UP, NULL,
			       0, VSCARD_ATR_MAX, 10000);
		n = abi_read(b.fd, m, 10000);
		if (n > 0) {
			abi_done_ex(b.fd, m->msg.id, 0, 0, VSCARD_PROTO_T1,
				    abi_atr, sizeof(abi_atr));
			atr2[2] = (uint8_t)i;	/* always a new card */
			abi_card_atr(b.fd, atr2, sizeof(atr2), VSCARD_PROTO_T1);
		}
		abi_xfer_join(&x);
		ok0 += x.ret == 0;
		nomedium += x.ret == -ENOMEDIUM;
		other += x.ret && x.ret != -ENOMEDIUM;
		abi_status(fd, &st);
		powered += !!(st.flags & VSCARD_STATUS_POWERED);
		abi_xfer_free(&x);
	}
	OK(powered == 0 && other == 0,
	   "200 power-ups with the card replaced right after the completion: never left POWERED (%d powered; callers: %d ok, %d -ENOMEDIUM, %d other)",
	   powered, ok0, nomedium, other);
	close(fd);
out:
	abi_unbound(&b);
	free(m);
	vscard_nl_close(a);
}

/*
 * VSCARD_SLOT_REQS_MAX outstanding (all read by the agent), one more ->
 * -EBUSY; the node is not writable then, a completion makes it writable
 * (a wakeup: epoll reports it only if the kernel woke the queue); UNBIND
 * fails the rest with -ENOMEDIUM before it returns.
 */
static void test_busy(void)
{
	struct vscard_nl *a = abi_nl();
	struct abi_xfer *x = calloc(VSCARD_SLOT_REQS_MAX + 1, sizeof(*x));
	abi_msg_t *m = malloc(sizeof(*m));
	uint64_t ids[VSCARD_SLOT_REQS_MAX];
	struct epoll_event ev = { .events = EPOLLOUT };
	struct abi_bound b;
	int slot, fd, ep, i, r, nread = 0, failed, n;
	uint32_t pending;

	slot = abi_bind(a, -1, "busy-key", -1, -1, &b);
	if (slot < 0 || abi_card(b.fd, true)) {
		OK(0, "busy: setup");
		goto out;
	}
	fd = abi_open_slot(a, (uint32_t)slot);
	for (i = 0; i < VSCARD_SLOT_REQS_MAX; i++)
		abi_xfer_start(&x[i], fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1,
			       apdu4, sizeof(apdu4), 2, 60000);
	for (i = 0; i < VSCARD_SLOT_REQS_MAX; i++) {
		if (abi_read(b.fd, m, 20000) <= 0)
			break;
		ids[nread++] = m->msg.id;
	}
	pending = abi_slot_pending(a, ABI_POOL, (uint32_t)slot);
	OK(nread == VSCARD_SLOT_REQS_MAX && pending == VSCARD_SLOT_REQS_MAX,
	   "%d requests read by the agent, SLOT_GET reports %u pending",
	   nread, pending);
	abi_xfer_start(&x[i], fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu4,
		       sizeof(apdu4), 2, 20000);
	abi_xfer_join(&x[i]);
	OK(x[i].ret == -EBUSY, "request %d on one slot -> -EBUSY (%d)",
	   VSCARD_SLOT_REQS_MAX + 1, x[i].ret);
	OK(!(abi_poll(fd, POLLOUT, 0) & POLLOUT),
	   "the device node of a full slot is not writable");
	ep = epoll_create1(EPOLL_CLOEXEC);
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	n = epoll_wait(ep, &ev, 1, 0);
	OK(n == 0, "epoll: not writable while full (%d)", n);
	r = nread ? abi_done(b.fd, ids[0], 0, ok_sw, 2) : -1;
	/* the caller's thread wakes the pollers as its request leaves */
	n = epoll_wait(ep, &ev, 1, 20000);
	OK(r == 0 && n == 1 && (ev.events & EPOLLOUT),
	   "a completion wakes EPOLLOUT pollers of the node (done %d, epoll %d, events %#x)",
	   r, n, ev.events);
	close(ep);
	r = vscard_nl_unbind(a, ABI_POOL, (uint32_t)slot);
	pending = abi_slot_pending(a, ABI_POOL, (uint32_t)slot);
	for (i = 0; i < VSCARD_SLOT_REQS_MAX; i++)
		abi_xfer_join(&x[i]);
	for (failed = 0, n = 0, i = 0; i < VSCARD_SLOT_REQS_MAX; i++) {
		failed += x[i].ret == -ENOMEDIUM;
		n += x[i].ret == 0;
	}
	OK(r == 0 && pending == 0 && failed == VSCARD_SLOT_REQS_MAX - 1 &&
	   n == 1,
	   "UNBIND fails the %d others with -ENOMEDIUM, nothing pending when it returns (%d did, %d completed, %u pending)",
	   VSCARD_SLOT_REQS_MAX - 1, failed, n, pending);
	for (i = 0; i <= VSCARD_SLOT_REQS_MAX; i++)
		abi_xfer_free(&x[i]);
	close(fd);
out:
	abi_unbound(&b);
	free(m);
	free(x);
	vscard_nl_close(a);
}

void t_xfer(void)
{
	test_round_trip();
	test_extended();
	test_manual();
	test_power_race();
	test_busy();
}
