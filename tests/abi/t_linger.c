// SPDX-License-Identifier: MIT
/* ABI tests: linger, rebind with the same session key, foreign keys. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "abi.h"

static uint32_t slot_flags(struct vscard_nl *nl, uint32_t slot)
{
	struct vscard_attrs a;
	uint32_t f = 0xffffffff;

	if (!abi_slot_get(nl, slot, &a))
		f = a.flags;
	vscard_attrs_release(&a);
	return f;
}

static void test_linger_rebind(void)
{
	static const uint8_t apdu[] = { 0x00, 0xA4, 0x04, 0x00 };
	struct vscard_nl *obs = abi_nl(), *a = abi_nl(), *b, *c;
	struct vscard_status st;
	uint64_t e1 = 0, e2 = 0, t0;
	uint8_t rx[8];
	size_t len = sizeof(rx);
	int s1, s2, s3, fd, r;

	s1 = abi_bind(a, -1, "linger-key", 5000, -1, &e1);
	if (s1 < 0 || abi_card(a, (uint32_t)s1, true)) {
		OK(0, "linger: setup");
		vscard_nl_close(a);
		goto out;
	}
	fd = abi_open_slot(obs, (uint32_t)s1);
	vscard_nl_close(a);	/* the agent dies */
	OK(slot_flags(obs, (uint32_t)s1) & VSCARD_STATUS_LINGERING,
	   "agent gone with linger: the slot is lingering");
	OK(abi_status(fd, &st) == 0 && (st.flags & VSCARD_STATUS_LINGERING) &&
	   !(st.flags & VSCARD_STATUS_PRESENT),
	   "a lingering slot reads 'no card' (flags %#x)", st.flags);
	t0 = abi_now_ns();
	r = abi_transmit(fd, apdu, sizeof(apdu), rx, &len, 5000);
	OK(r == -ENOMEDIUM && abi_now_ns() - t0 < 100000000ULL,
	   "requests on a lingering slot fail fast with -ENOMEDIUM (%d)", r);

	/* another key never takes it */
	c = abi_nl();
	s3 = abi_bind(c, s1, "other-key", -1, -1, NULL);
	OK(s3 == -EBUSY, "another key binding the lingering slot explicitly -> -EBUSY (%d)",
	   s3);
	s3 = abi_bind(c, -1, "other-key", -1, -1, NULL);
	OK(s3 >= 0 && s3 != s1, "another key without a slot gets a different slot (%d vs %d)",
	   s3, s1);

	/* the same key gets it back with a new epoch */
	b = abi_nl();
	s2 = abi_bind(b, -1, "linger-key", -1, -1, &e2);
	OK(s2 == s1 && e2 != e1 && e2 != 0,
	   "rebind with the same key gets the same slot %d and a new epoch (%llu -> %llu)",
	   s2, (unsigned long long)e1, (unsigned long long)e2);
	OK(abi_status(fd, &st) == 0 && (st.flags & VSCARD_STATUS_BOUND) &&
	   !(st.flags & VSCARD_STATUS_LINGERING) && st.epoch == e2,
	   "the open file sees the new binding and epoch");
	vscard_nl_close(b);
	vscard_nl_close(c);
	close(fd);
out:
	vscard_nl_close(obs);
}

/* A lingering slot for key K expires: afterwards anyone can take it. */
static void test_linger_expiry(void)
{
	struct vscard_nl *obs = abi_nl(), *a = abi_nl(), *c;
	uint64_t t0;
	int s1, s2;

	s1 = abi_bind(a, -1, "short-linger", 300, -1, NULL);
	vscard_nl_close(a);
	if (s1 < 0) {
		OK(0, "linger expiry: setup");
		goto out;
	}
	t0 = abi_now_ns();
	while ((slot_flags(obs, (uint32_t)s1) & VSCARD_STATUS_LINGERING) &&
	       abi_now_ns() - t0 < 5000000000ULL)
		abi_sleep_ms(20);
	OK(!(slot_flags(obs, (uint32_t)s1) & (VSCARD_STATUS_LINGERING |
					     VSCARD_STATUS_BOUND)),
	   "a 300 ms linger expires (after %llu ms)",
	   (unsigned long long)((abi_now_ns() - t0) / 1000000));
	c = abi_nl();
	s2 = abi_bind(c, s1, "other-key", -1, -1, NULL);
	OK(s2 == s1, "after expiry another key may bind that slot (%d)", s2);
	vscard_nl_close(c);
out:
	vscard_nl_close(obs);
}

/* Unbind + rebind: a request fetched under epoch 1 cannot be completed
 * under epoch 2. */
static void test_epoch_isolation(void)
{
	static const uint8_t apdu[] = { 0x00, 0xA4, 0x04, 0x00 };
	static const uint8_t sw[] = { 0x90, 0x00 };
	struct vscard_nl *a = abi_nl();
	struct vscard_attrs req, req2;
	struct abi_xfer x;
	int s, fd, r;

	s = abi_bind(a, -1, "epoch-key", -1, -1, NULL);
	if (s < 0 || abi_card(a, (uint32_t)s, true)) {
		OK(0, "epoch: setup");
		goto out;
	}
	fd = abi_open_slot(a, (uint32_t)s);
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu,
		       sizeof(apdu), 2, 10000);
	r = abi_fetch(a, &req, 5000);
	vscard_nl_unbind(a, ABI_POOL, (uint32_t)s, -1);
	abi_xfer_join(&x);
	OK(r == 0 && x.ret == -ENOMEDIUM,
	   "unbind fails the fetched request with -ENOMEDIUM (%d)", x.ret);
	abi_xfer_free(&x);
	abi_bind(a, s, "epoch-key", -1, -1, NULL);
	abi_card(a, (uint32_t)s, true);
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu,
		       sizeof(apdu), 2, 10000);
	abi_fetch(a, &req2, 5000);
	r = abi_done(a, &req, 0, sw, 2);
	OK(r == -ENOENT && (req.req_id >> 32) != (req2.req_id >> 32),
	   "completion of the epoch-1 id after rebind -> -ENOENT (%d; ids %#llx, %#llx)",
	   r, (unsigned long long)req.req_id, (unsigned long long)req2.req_id);
	OK(!atomic_load(&x.done), "...and does not complete the new request");
	abi_done(a, &req2, 0, sw, 2);
	abi_xfer_join(&x);
	OK(x.ret == 0, "the new request completes normally (%d)", x.ret);
	abi_xfer_free(&x);
	vscard_attrs_release(&req);
	vscard_attrs_release(&req2);
	close(fd);
out:
	vscard_nl_close(a);
}

void t_linger(void)
{
	test_linger_rebind();
	test_linger_expiry();
	test_epoch_isolation();
}
