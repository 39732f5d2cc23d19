// SPDX-License-Identifier: MIT
/*
 * ABI tests: linger after the binding file's last close, rebind with the
 * same session key, foreign keys, expiry, UNBIND of a linger, epochs, and
 * a binding's default request timeout.
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "abi.h"

static const uint8_t apdu[] = { 0x00, 0xA4, 0x04, 0x00 };
static const uint8_t sw[] = { 0x90, 0x00 };

static void test_linger_rebind(void)
{
	struct vscard_nl *nl = abi_nl();
	struct vscard_status st;
	struct vscard_attrs a;
	struct abi_bound b1, b2, b3;
	uint8_t rx[8];
	size_t len = sizeof(rx);
	uint32_t fl;
	int s1, s2, s3, fd, r;

	b2.fd = b3.fd = -1;
	s1 = abi_bind(nl, -1, "linger-key", 60000, -1, &b1);
	if (s1 < 0 || abi_card(b1.fd, true)) {
		OK(0, "linger: setup");
		abi_unbound(&b1);
		goto out;
	}
	fd = abi_open_slot(nl, (uint32_t)s1);
	abi_unbound(&b1);	/* the agent goes */
	r = abi_slot_get(nl, (uint32_t)s1, &a);
	OK(r == 0 && (a.flags & VSCARD_STATUS_LINGERING) &&
	   !(a.flags & VSCARD_STATUS_BOUND) && a.linger_ms == 60000 &&
	   !strcmp(a.reader_name, ABI_READER) &&
	   vscard_attrs_has(&a, VSCARD_A_KEY_HASH) && a.key_hash,
	   "binding file closed with linger: the slot lingers, keeps its name and key hash (flags %#x)",
	   a.flags);
	vscard_attrs_release(&a);
	OK(abi_status(fd, &st) == 0 && (st.flags & VSCARD_STATUS_LINGERING) &&
	   !(st.flags & VSCARD_STATUS_PRESENT),
	   "a lingering slot reads 'no card' (flags %#x)", st.flags);
	r = abi_transmit(fd, apdu, sizeof(apdu), rx, &len, 60000);
	OK(r == -ENOMEDIUM,
	   "requests on a lingering slot fail with -ENOMEDIUM, not after their deadline (%d)",
	   r);

	/* another key never takes it */
	s3 = abi_bind(nl, s1, "other-key", -1, -1, NULL);
	OK(s3 == -EBUSY, "another key binding the lingering slot explicitly -> -EBUSY (%d)",
	   s3);
	s3 = abi_bind(nl, -1, "other-key", -1, -1, &b3);
	OK(s3 >= 0 && s3 != s1, "another key without a slot gets a different slot (%d vs %d)",
	   s3, s1);

	/* the same key gets it back with a new epoch */
	s2 = abi_bind(nl, -1, "linger-key", -1, -1, &b2);
	OK(s2 == s1 && b2.epoch != b1.epoch && b2.epoch != 0,
	   "rebind with the same key gets the same slot %d and a new epoch (%llu -> %llu)",
	   s2, (unsigned long long)b1.epoch, (unsigned long long)b2.epoch);
	OK(abi_status(fd, &st) == 0 && (st.flags & VSCARD_STATUS_BOUND) &&
	   !(st.flags & VSCARD_STATUS_LINGERING) && st.epoch == b2.epoch,
	   "the open file sees the new binding and epoch");
	fl = abi_slot_flags(nl, ABI_POOL, (uint32_t)s1);
	abi_unbound(&b2);	/* bound without linger: free at once */
	OK(!(abi_slot_flags(nl, ABI_POOL, (uint32_t)s1) &
	     (VSCARD_STATUS_BOUND | VSCARD_STATUS_LINGERING)) &&
	   (fl & VSCARD_STATUS_BOUND),
	   "the new binding's linger (none) applies at its close");
	abi_unbound(&b3);
	close(fd);
out:
	vscard_nl_close(nl);
}

/* Bind with an explicit reader name. */
static int bind_named(struct vscard_nl *nl, const char *key, const char *name,
		      int64_t linger_ms, struct abi_bound *out)
{
	struct vscard_bind b = {
		.pool = ABI_POOL, .slot = -1, .key = key,
		.key_len = strlen(key), .reader_name = name,
		.linger_ms = linger_ms, .timeout_ms = -1,
	};
	struct vscard_bound r = { .fd = -1 };
	int err = vscard_nl_bind(nl, &b, &r);

	out->fd = err ? -1 : r.fd;
	out->slot = r.slot;
	out->epoch = r.epoch;
	out->pool = ABI_POOL;
	return err ? err : (int)r.slot;
}

/* Two readers of one session linger; each comes back to its own slot. */
static void test_linger_names(void)
{
	struct vscard_nl *nl = abi_nl();
	struct abi_bound a1, a2, r1, r2;
	int s1, s2, t1, t2;

	s1 = bind_named(nl, "two-readers", "Reader A", 60000, &a1);
	s2 = bind_named(nl, "two-readers", "Reader B", 60000, &a2);
	abi_unbound(&a1);
	abi_unbound(&a2);
	/* B first: it must not take A's slot */
	t2 = bind_named(nl, "two-readers", "Reader B", -1, &r2);
	t1 = bind_named(nl, "two-readers", "Reader A", -1, &r1);
	OK(s1 >= 0 && s2 >= 0 && s1 != s2 && t1 == s1 && t2 == s2,
	   "same key, two lingering readers: each name gets its own slot back (%d %d -> %d %d)",
	   s1, s2, t1, t2);
	abi_unbound(&r1);
	abi_unbound(&r2);
	vscard_nl_close(nl);
}

/* A short linger expires: waited for with WAIT_STATUS, no polling. */
static void test_linger_expiry(void)
{
	struct vscard_nl *nl = abi_nl();
	struct vscard_status st;
	struct vscard_wait w;
	struct abi_bound b;
	int s1, s2, fd, r;

	s1 = abi_bind(nl, -1, "short-linger", 1000, -1, &b);
	fd = s1 >= 0 ? abi_open_slot(nl, (uint32_t)s1) : -1;
	if (fd < 0) {
		OK(0, "linger expiry: setup");
		abi_unbound(&b);
		goto out;
	}
	abi_unbound(&b);
	abi_status(fd, &st);
	OK(st.flags & VSCARD_STATUS_LINGERING, "a 1 s linger starts (%#x)",
	   st.flags);
	w = (struct vscard_wait){ .seq = st.seq, .timeout_ms = 20000 };
	r = ioctl(fd, VSCARD_IOC_WAIT_STATUS, &w) < 0 ? -errno : 0;
	abi_status(fd, &st);
	OK(r == 0 && !(st.flags & (VSCARD_STATUS_LINGERING | VSCARD_STATUS_BOUND)),
	   "it expires: WAIT_STATUS returns and the slot is free (%d, %#x)", r,
	   st.flags);
	s2 = abi_bind(nl, s1, "other-key", -1, -1, NULL);
	OK(s2 == s1, "after expiry another key may bind that slot (%d)", s2);

	/* UNBIND ends a linger at once */
	s1 = abi_bind(nl, s1, "long-linger", 600000, -1, &b);
	abi_unbound(&b);
	OK(s1 >= 0 && (abi_slot_flags(nl, ABI_POOL, (uint32_t)s1) &
		       VSCARD_STATUS_LINGERING),
	   "a 10-minute linger starts");
	r = vscard_nl_unbind(nl, ABI_POOL, (uint32_t)s1);
	OK(r == 0 && !(abi_slot_flags(nl, ABI_POOL, (uint32_t)s1) &
		       (VSCARD_STATUS_LINGERING | VSCARD_STATUS_BOUND)),
	   "UNBIND ends it now (%d)", r);
	s2 = abi_bind(nl, s1, "other-key", -1, -1, NULL);
	OK(s2 == s1, "and another key may bind the slot (%d)", s2);
	close(fd);
out:
	vscard_nl_close(nl);
}

/*
 * UNBIND + rebind: a request read under epoch 1 cannot be completed under
 * epoch 2, and the old file can complete nothing.
 */
static void test_epoch_isolation(void)
{
	struct vscard_nl *nl = abi_nl();
	abi_msg_t *m1 = malloc(sizeof(*m1)), *m2 = malloc(sizeof(*m2));
	struct abi_bound b1, b2;
	struct abi_xfer x;
	int s, fd, r;
	ssize_t n;

	b2.fd = -1;
	s = abi_bind(nl, -1, "epoch-key", -1, -1, &b1);
	if (s < 0 || abi_card(b1.fd, true)) {
		OK(0, "epoch: setup");
		goto out;
	}
	fd = abi_open_slot(nl, (uint32_t)s);
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu,
		       sizeof(apdu), 2, 60000);
	n = abi_read(b1.fd, m1, 20000);
	vscard_nl_unbind(nl, ABI_POOL, (uint32_t)s);
	abi_xfer_join(&x);
	OK(n > 0 && x.ret == -ENOMEDIUM,
	   "UNBIND fails the read request with -ENOMEDIUM (%d)", x.ret);
	abi_xfer_free(&x);
	r = abi_bind(nl, s, "epoch-key", -1, -1, &b2);
	if (r >= 0)
		abi_card(b2.fd, true);
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu,
		       sizeof(apdu), 2, 60000);
	n = abi_read(b2.fd, m2, 20000);
	r = abi_done(b2.fd, m1->msg.id, 0, sw, 2);
	OK(n > 0 && r == -ENOENT && m1->msg.id != m2->msg.id &&
	   b2.epoch != b1.epoch,
	   "completion of the epoch-%llu id on the epoch-%llu binding -> -ENOENT (%d; ids %#llx, %#llx)",
	   (unsigned long long)b1.epoch, (unsigned long long)b2.epoch, r,
	   (unsigned long long)m1->msg.id, (unsigned long long)m2->msg.id);
	r = abi_done(b1.fd, m2->msg.id, 0, sw, 2);
	OK(r == -ENODEV, "the old binding file cannot complete the new request (%d)",
	   r);
	OK(!abi_xfer_wait(&x, 0), "...which is still pending");
	r = abi_done(b2.fd, m2->msg.id, 0, sw, 2);
	abi_xfer_join(&x);
	OK(r == 0 && x.ret == 0, "the new request completes normally (%d)", x.ret);
	abi_xfer_free(&x);
	close(fd);
out:
	abi_unbound(&b1);
	abi_unbound(&b2);
	free(m1);
	free(m2);
	vscard_nl_close(nl);
}

/* TIMEOUT_MS at BIND is the deadline of requests that give none. */
static void test_binding_timeout(void)
{
	struct vscard_nl *nl = abi_nl();
	abi_msg_t *m = malloc(sizeof(*m));
	struct vscard_attrs a;
	struct abi_bound b;
	struct abi_xfer x;
	int s, fd, r;
	ssize_t n;

	s = abi_bind(nl, -1, "timeout-key", -1, 1000, &b);
	if (s < 0 || abi_card(b.fd, true)) {
		OK(0, "binding timeout: setup");
		goto out;
	}
	r = abi_slot_get(nl, (uint32_t)s, &a);
	OK(r == 0 && a.timeout_ms == 1000, "SLOT_GET shows the binding's timeout (%u)",
	   a.timeout_ms);
	vscard_attrs_release(&a);
	fd = abi_open_slot(nl, (uint32_t)s);
	abi_xfer_start(&x, fd, VSCARD_IOC_TRANSMIT, VSCARD_PROTO_T1, apdu,
		       sizeof(apdu), 2, 0);
	n = abi_read(b.fd, m, 20000);
	abi_xfer_join(&x);
	OK(n > 0 && x.ret == -ETIMEDOUT,
	   "a request with timeout_ms 0 gets the binding's 1 s deadline: -ETIMEDOUT (%d)",
	   x.ret);
	DIAG("it returned after %.0f ms", (double)(x.t_end - x.t_start) / 1e6);
	abi_xfer_free(&x);
	n = abi_read(b.fd, m, 20000);
	OK(n > 0 && m->msg.type == VSCARD_MSG_CANCEL, "and its cancel notice is read (%#x)",
	   m->msg.type);
	close(fd);
out:
	abi_unbound(&b);
	free(m);
	vscard_nl_close(nl);
}

void t_linger(void)
{
	test_linger_rebind();
	test_linger_names();
	test_linger_expiry();
	test_epoch_isolation();
	test_binding_timeout();
}
