// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for vscard.ko.
 *
 * A separate module: on 6.1 the suites of a module run before its own
 * module_init, so the tests live here and use vscard.ko, which is loaded
 * and initialised first (the genetlink family, the URELEASE notifier and
 * pool 0 exist).  Real objects throughout: registered pools with device
 * nodes, real netlink sockets as owners (their release runs the real
 * URELEASE notifier), kthreads as fake agents.
 */
#include <kunit/test.h>
#include <linux/delay.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/net.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <net/genetlink.h>
#include <net/sock.h>

#include "vscard.h"

/* ------------------------------------------------------------------------ */
/* Request table                                                             */
/* ------------------------------------------------------------------------ */

struct vscard_test_tbl {
	struct vscard_reqs t;
	struct vscard_req *reqs[VSCARD_SLOT_REQS_MAX + 1];
};

static int vscard_req_test_init(struct kunit *test)
{
	struct vscard_test_tbl *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	if (!c)
		return -ENOMEM;
	vscard_reqs_init(&c->t);
	test->priv = c;
	return 0;
}

static void vscard_req_test_exit(struct kunit *test)
{
	struct vscard_test_tbl *c = test->priv;
	unsigned int i;

	vscard_reqs_abort_all(&c->t, -ECANCELED);
	for (i = 0; i < ARRAY_SIZE(c->reqs); i++)
		if (c->reqs[i])
			vscard_req_put(c->reqs[i]);
	vscard_reqs_destroy(&c->t);
}

static struct vscard_req *new_req(struct kunit *test, unsigned int i, u64 epoch)
{
	struct vscard_test_tbl *c = test->priv;
	struct vscard_req *req;

	req = vscard_req_alloc(VSCARD_REQ_TRANSMIT, VSCARD_PROTO_T1, 4, 258);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, req);
	c->reqs[i] = req;
	KUNIT_ASSERT_EQ(test, vscard_reqs_add(&c->t, req, epoch), 0);
	return req;
}

static void vscard_test_req_alloc_complete(struct kunit *test)
{
	struct vscard_test_tbl *c = test->priv;
	struct vscard_req *req = new_req(test, 0, 5);

	KUNIT_EXPECT_EQ(test, vscard_req_epoch(req->id), 5U);
	KUNIT_EXPECT_GE(test, (u32)req->id, 1U);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t), 1U);
	KUNIT_EXPECT_PTR_EQ(test, vscard_reqs_claim(&c->t, req->id), req);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t), 0U);
	vscard_req_finish(req, 0);
	KUNIT_EXPECT_TRUE(test, completion_done(&req->done));
	/* Duplicate completion. */
	KUNIT_EXPECT_NULL(test, vscard_reqs_claim(&c->t, req->id));
}

/* REQ_NOTIFY hints are edge-triggered; an undelivered fetch is undone. */
static void vscard_test_req_hint_and_unfetch(struct kunit *test)
{
	struct vscard_test_tbl *c = test->priv;
	struct vscard_req *r0 = new_req(test, 0, 1), *r1, *peek;

	KUNIT_EXPECT_TRUE(test, vscard_reqs_take_hint(&c->t));
	r1 = new_req(test, 1, 1);
	/* The owner has not drained yet: no second hint. */
	KUNIT_EXPECT_FALSE(test, vscard_reqs_take_hint(&c->t));

	peek = vscard_reqs_peek(&c->t);
	KUNIT_EXPECT_PTR_EQ(test, peek, r0);
	KUNIT_EXPECT_TRUE(test, vscard_reqs_mark_fetched(&c->t, r0));
	vscard_req_put(peek);
	/* Its reply is lost: r0 is queued again, ahead of r1. */
	vscard_reqs_unfetch(&c->t, r0);
	KUNIT_EXPECT_FALSE(test, r0->fetched);
	peek = vscard_reqs_peek(&c->t);
	KUNIT_EXPECT_PTR_EQ(test, peek, r0);
	KUNIT_EXPECT_TRUE(test, vscard_reqs_mark_fetched(&c->t, r0));
	vscard_req_put(peek);
	peek = vscard_reqs_peek(&c->t);
	KUNIT_EXPECT_PTR_EQ(test, peek, r1);
	KUNIT_EXPECT_TRUE(test, vscard_reqs_mark_fetched(&c->t, r1));
	vscard_req_put(peek);

	/* Drained: the peek that finds nothing re-arms the hint. */
	KUNIT_EXPECT_FALSE(test, vscard_reqs_take_hint(&c->t));
	KUNIT_EXPECT_NULL(test, vscard_reqs_peek(&c->t));
	KUNIT_EXPECT_FALSE(test, vscard_reqs_take_hint(&c->t)); /* queue empty */
	new_req(test, 2, 1);
	KUNIT_EXPECT_TRUE(test, vscard_reqs_take_hint(&c->t));

	/* Unfetch of a request completed meanwhile does not resurrect it. */
	KUNIT_EXPECT_PTR_EQ(test, vscard_reqs_claim(&c->t, r1->id), r1);
	vscard_req_finish(r1, 0);
	vscard_reqs_unfetch(&c->t, r1);
	KUNIT_EXPECT_FALSE(test, r1->queued);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t), 2U);
}

static void vscard_test_req_take_push(struct kunit *test)
{
	struct vscard_test_tbl *c = test->priv;
	struct vscard_req *r0 = new_req(test, 0, 1), *r1 = new_req(test, 1, 1);
	struct vscard_req *peek;

	/* Only the oldest unfetched request may be pushed. */
	KUNIT_EXPECT_FALSE(test, vscard_reqs_take_push(&c->t, r1));
	KUNIT_EXPECT_TRUE(test, vscard_reqs_take_push(&c->t, r0));
	KUNIT_EXPECT_TRUE(test, r0->fetched);
	KUNIT_EXPECT_FALSE(test, r0->queued);
	KUNIT_EXPECT_FALSE(test, vscard_reqs_take_push(&c->t, r0));
	/* The push failed: r0 is the oldest queued one again. */
	vscard_reqs_unfetch(&c->t, r0);
	peek = vscard_reqs_peek(&c->t);
	KUNIT_EXPECT_PTR_EQ(test, peek, r0);
	vscard_req_put(peek);
	KUNIT_EXPECT_TRUE(test, vscard_reqs_take_push(&c->t, r0));
	KUNIT_EXPECT_TRUE(test, vscard_reqs_take_push(&c->t, r1));
	/* A request that left the table (timeout, abort) is never pushed. */
	peek = new_req(test, 2, 1);
	KUNIT_EXPECT_TRUE(test, vscard_reqs_cancel(&c->t, peek));
	KUNIT_EXPECT_FALSE(test, vscard_reqs_take_push(&c->t, peek));
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t), 2U);
}

static void vscard_test_req_unknown_and_epoch(struct kunit *test)
{
	struct vscard_test_tbl *c = test->priv;
	struct vscard_req *req = new_req(test, 0, 1);
	u64 serial = (u32)req->id;

	KUNIT_EXPECT_NULL(test, vscard_reqs_claim(&c->t, 2ULL << 32 | serial));
	KUNIT_EXPECT_NULL(test, vscard_reqs_claim(&c->t, serial));
	KUNIT_EXPECT_NULL(test, vscard_reqs_claim(&c->t, 1ULL << 32 | (serial + 1)));
	KUNIT_EXPECT_NULL(test, vscard_reqs_claim(&c->t, 0));
	KUNIT_EXPECT_NULL(test, vscard_reqs_claim(&c->t, 1ULL << 32 | 0x80000000ULL));
	/* None of them disturbed the pending request. */
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t), 1U);
	KUNIT_EXPECT_FALSE(test, completion_done(&req->done));
	KUNIT_EXPECT_PTR_EQ(test, vscard_reqs_claim(&c->t, req->id), req);
	vscard_req_finish(req, 0);
}

static void vscard_test_req_limit_and_unique(struct kunit *test)
{
	struct vscard_test_tbl *c = test->priv;
	struct vscard_req *extra, *done;
	unsigned int i, j;
	u32 old;

	for (i = 0; i < VSCARD_SLOT_REQS_MAX; i++)
		new_req(test, i, 3);
	for (i = 0; i < VSCARD_SLOT_REQS_MAX; i++)
		for (j = i + 1; j < VSCARD_SLOT_REQS_MAX; j++)
			KUNIT_EXPECT_NE(test, c->reqs[i]->id, c->reqs[j]->id);

	extra = vscard_req_alloc(VSCARD_REQ_CONTROL, 0, 0, 0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, extra);
	c->reqs[VSCARD_SLOT_REQS_MAX] = extra;
	KUNIT_EXPECT_EQ(test, vscard_reqs_add(&c->t, extra, 3), -EBUSY);

	/* Free one: the next id is new, not the one just freed. */
	done = c->reqs[0];
	old = (u32)done->id;
	KUNIT_ASSERT_PTR_EQ(test, vscard_reqs_claim(&c->t, done->id), done);
	vscard_req_finish(done, 0);
	KUNIT_ASSERT_EQ(test, vscard_reqs_add(&c->t, extra, 3), 0);
	KUNIT_EXPECT_NE(test, (u32)extra->id, old);
	for (i = 1; i < VSCARD_SLOT_REQS_MAX; i++)
		KUNIT_EXPECT_NE(test, c->reqs[i]->id, extra->id);
}

static void vscard_test_req_timeout(struct kunit *test)
{
	struct vscard_test_tbl *c = test->priv;
	struct vscard_req *req = new_req(test, 0, 1);
	bool fetched = true;

	KUNIT_EXPECT_EQ(test, vscard_req_wait(&c->t, req, 2, &fetched),
			-ETIMEDOUT);
	KUNIT_EXPECT_FALSE(test, fetched);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t), 0U);
	/* The late reply finds nothing. */
	KUNIT_EXPECT_NULL(test, vscard_reqs_claim(&c->t, req->id));
}

static void vscard_test_req_cancel_fetched(struct kunit *test)
{
	struct vscard_test_tbl *c = test->priv;
	struct vscard_req *a = new_req(test, 0, 1);
	struct vscard_req *b = new_req(test, 1, 1);
	struct vscard_req *p;
	bool fetched = false;

	p = vscard_reqs_peek(&c->t);
	KUNIT_ASSERT_PTR_EQ(test, p, a);
	KUNIT_EXPECT_TRUE(test, vscard_reqs_mark_fetched(&c->t, p));
	KUNIT_EXPECT_FALSE(test, vscard_reqs_mark_fetched(&c->t, p));
	vscard_req_put(p);
	p = vscard_reqs_peek(&c->t);
	KUNIT_EXPECT_PTR_EQ(test, p, b);
	if (p)
		vscard_req_put(p);

	KUNIT_EXPECT_EQ(test, vscard_req_wait(&c->t, a, 1, &fetched),
			-ETIMEDOUT);
	KUNIT_EXPECT_TRUE(test, fetched);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t), 1U);
}

static void vscard_test_req_claim_beats_cancel(struct kunit *test)
{
	struct vscard_test_tbl *c = test->priv;
	struct vscard_req *req = new_req(test, 0, 1);

	KUNIT_ASSERT_PTR_EQ(test, vscard_reqs_claim(&c->t, req->id), req);
	/* The completer owns it: the submitter's cancel must fail. */
	KUNIT_EXPECT_FALSE(test, vscard_reqs_cancel(&c->t, req));
	vscard_req_finish(req, -EIO);
	KUNIT_EXPECT_EQ(test, req->status, -EIO);
}

static void vscard_test_req_abort_all(struct kunit *test)
{
	struct vscard_test_tbl *c = test->priv;
	unsigned int i;
	bool fetched;

	for (i = 0; i < 5; i++)
		new_req(test, i, 7);
	KUNIT_EXPECT_EQ(test, vscard_reqs_abort_all(&c->t, -ENOMEDIUM), 5U);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t), 0U);
	KUNIT_EXPECT_NULL(test, vscard_reqs_peek(&c->t));
	for (i = 0; i < 5; i++) {
		KUNIT_EXPECT_TRUE(test, completion_done(&c->reqs[i]->done));
		KUNIT_EXPECT_EQ(test, vscard_req_wait(&c->t, c->reqs[i], 1,
						      &fetched), -ENOMEDIUM);
	}
}

struct vscard_test_completer {
	struct vscard_reqs *t;
	u64 id;
	unsigned int delay_ms;
	int status;
	struct completion exited;
};

static int vscard_test_completer_fn(void *data)
{
	struct vscard_test_completer *tc = data;
	struct vscard_req *req;

	msleep(tc->delay_ms);
	req = vscard_reqs_claim(tc->t, tc->id);
	if (req)
		vscard_req_finish(req, tc->status);
	complete(&tc->exited);
	return 0;
}

static void vscard_test_req_wait_woken(struct kunit *test)
{
	struct vscard_test_tbl *c = test->priv;
	struct vscard_req *req = new_req(test, 0, 9);
	struct vscard_test_completer tc = {
		.t = &c->t, .id = req->id, .delay_ms = 20, .status = -EIO,
	};
	struct task_struct *task;
	unsigned long start = jiffies;
	bool fetched;

	init_completion(&tc.exited);
	task = kthread_run(vscard_test_completer_fn, &tc, "vscard-test");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	KUNIT_EXPECT_EQ(test, vscard_req_wait(&c->t, req, 10 * HZ, &fetched),
			-EIO);
	KUNIT_EXPECT_LT(test, jiffies - start, (unsigned long)(5 * HZ));
	wait_for_completion(&tc.exited);
}

static struct kunit_case vscard_req_cases[] = {
	KUNIT_CASE(vscard_test_req_alloc_complete),
	KUNIT_CASE(vscard_test_req_hint_and_unfetch),
	KUNIT_CASE(vscard_test_req_take_push),
	KUNIT_CASE(vscard_test_req_unknown_and_epoch),
	KUNIT_CASE(vscard_test_req_limit_and_unique),
	KUNIT_CASE(vscard_test_req_timeout),
	KUNIT_CASE(vscard_test_req_cancel_fetched),
	KUNIT_CASE(vscard_test_req_claim_beats_cancel),
	KUNIT_CASE(vscard_test_req_abort_all),
	KUNIT_CASE(vscard_test_req_wait_woken),
	{}
};

static struct kunit_suite vscard_req_suite = {
	.name = "vscard_req",
	.init = vscard_req_test_init,
	.exit = vscard_req_test_exit,
	.test_cases = vscard_req_cases,
};

/* ------------------------------------------------------------------------ */
/* Slots: a registered pool, netlink sockets as owners                       */
/* ------------------------------------------------------------------------ */

#define TEST_SOCKS 3

struct vscard_test_ctx {
	u32 pool_id;
	struct socket *sock[TEST_SOCKS];
	struct vscard_owner owner[TEST_SOCKS];
};

static int vscard_test_sock(struct vscard_test_ctx *c, unsigned int i)
{
	struct sockaddr_nl addr = { .nl_family = AF_NETLINK };
	struct socket *sock;
	int ret;

	ret = sock_create_kern(&init_net, AF_NETLINK, SOCK_RAW,
			       NETLINK_GENERIC, &sock);
	if (ret)
		return ret;
	ret = kernel_bind(sock, (struct sockaddr *)&addr, sizeof(addr));
	if (ret >= 0)
		ret = kernel_getsockname(sock, (struct sockaddr *)&addr);
	if (ret < 0) {
		sock_release(sock);
		return ret;
	}
	c->sock[i] = sock;
	c->owner[i].sk = sock->sk;
	c->owner[i].portid = addr.nl_pid;
	return 0;
}

static int vscard_slot_test_init(struct kunit *test)
{
	struct vscard_test_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	unsigned int i;
	int ret;

	if (!c)
		return -ENOMEM;
	test->priv = c;
	c->pool_id = 1;
	ret = vscard_pool_add(4, GLOBAL_ROOT_UID, GLOBAL_ROOT_GID, &c->pool_id);
	if (ret) {
		c->pool_id = 0;
		return ret;
	}
	for (i = 0; i < TEST_SOCKS; i++) {
		ret = vscard_test_sock(c, i);
		if (ret)
			return ret;
	}
	return 0;
}

static void vscard_test_release_sock(struct vscard_test_ctx *c, unsigned int i)
{
	if (c->sock[i])
		sock_release(c->sock[i]);
	c->sock[i] = NULL;
}

static void vscard_slot_test_exit(struct kunit *test)
{
	struct vscard_test_ctx *c = test->priv;
	unsigned int i;

	if (c->pool_id)
		vscard_pool_del(c->pool_id);
	for (i = 0; i < TEST_SOCKS; i++)
		vscard_test_release_sock(c, i);
}

static struct vscard_slot *test_slot(struct kunit *test, u32 index)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_slot *slot = vscard_slot_get(c->pool_id, index);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, slot);
	/* The pool keeps it alive; the test drops its reference at once. */
	put_device(&slot->dev);
	return slot;
}

static const char test_key_a[] = "session-A";
static const char test_key_b[] = "session-B";
static const u8 test_atr[] = { 0x3b, 0x8f, 0x80, 0x01, 0x80, 0x4f };

static struct vscard_slot *test_bind(struct kunit *test, unsigned int who,
				     s32 index, const char *key,
				     const char *name, u32 linger_ms,
				     int expect)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_bind_args a = {
		.pool = c->pool_id, .slot = index, .key = key,
		.key_len = strlen(key), .name = name, .linger_ms = linger_ms,
	};
	struct vscard_slot *slot = NULL;
	u64 epoch = 0;

	KUNIT_EXPECT_EQ(test, vscard_bind(&c->owner[who], &a, &slot, &epoch),
			expect);
	if (expect)
		return NULL;
	KUNIT_ASSERT_NOT_NULL(test, slot);
	KUNIT_EXPECT_EQ(test, epoch, slot->epoch);
	return slot;
}

/* __poll_t as a plain integer, for assertions. */
#define PM(m) ((__force u32)(m))

static u32 test_mask(struct vscard_slot *slot, u64 seen)
{
	return PM(vscard_slot_poll_mask(slot, seen));
}

static u32 test_flags(struct vscard_slot *slot)
{
	struct vscard_status st;

	vscard_slot_get_status(slot, &st);
	return st.flags;
}

static void vscard_test_status_poll(struct kunit *test)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_slot *slot = test_slot(test, 0);
	struct vscard_status st;
	u64 seen;

	vscard_slot_get_status(slot, &st);
	KUNIT_EXPECT_EQ(test, st.flags, 0U);
	KUNIT_EXPECT_EQ(test, st.pool, c->pool_id);
	/* A fresh file (seen 0) is told to read the status. */
	KUNIT_EXPECT_EQ(test, test_mask(slot, 0),
			PM(EPOLLIN | EPOLLPRI | EPOLLRDNORM));
	seen = st.seq;
	KUNIT_EXPECT_EQ(test, test_mask(slot, seen), 0U);

	test_bind(test, 0, 0, test_key_a, "Reader A", 0, 0);
	KUNIT_EXPECT_EQ(test, test_mask(slot, seen),
			PM(EPOLLIN | EPOLLPRI | EPOLLRDNORM));
	vscard_slot_get_status(slot, &st);
	seen = st.seq;
	KUNIT_EXPECT_EQ(test, st.flags, VSCARD_STATUS_BOUND);
	KUNIT_EXPECT_STREQ(test, st.reader_name, "Reader A");
	KUNIT_EXPECT_EQ(test, st.epoch, 1ULL);

	KUNIT_EXPECT_EQ(test, vscard_card_set(slot, &c->owner[0], true,
					      test_atr, sizeof(test_atr),
					      VSCARD_PROTO_T1), 0);
	/* Present and bound: writable too. */
	KUNIT_EXPECT_EQ(test, test_mask(slot, seen),
			PM(EPOLLIN | EPOLLPRI | EPOLLRDNORM |
			   EPOLLOUT | EPOLLWRNORM));
	vscard_slot_get_status(slot, &st);
	KUNIT_EXPECT_EQ(test, st.insert_count, 1ULL);
	KUNIT_EXPECT_EQ(test, st.atr_len, (u32)sizeof(test_atr));
	KUNIT_EXPECT_EQ(test, st.protocols, VSCARD_PROTO_T1);
	KUNIT_EXPECT_EQ(test, test_mask(slot, st.seq),
			PM(EPOLLOUT | EPOLLWRNORM));

	/* Remove + reinsert between two reads: insert_count shows it. */
	seen = st.seq;
	vscard_card_set(slot, &c->owner[0], false, NULL, 0, 0);
	vscard_card_set(slot, &c->owner[0], true, test_atr, sizeof(test_atr),
			VSCARD_PROTO_T1);
	vscard_slot_get_status(slot, &st);
	KUNIT_EXPECT_EQ(test, st.insert_count, 2ULL);
	KUNIT_EXPECT_NE(test, st.seq, seen);
	KUNIT_EXPECT_TRUE(test, st.flags & VSCARD_STATUS_PRESENT);
}

struct vscard_test_changer {
	struct vscard_slot *slot;
	const struct vscard_owner *owner;
	unsigned int delay_ms;
	struct completion exited;
};

static int vscard_test_changer_fn(void *data)
{
	struct vscard_test_changer *tc = data;

	msleep(tc->delay_ms);
	vscard_card_set(tc->slot, tc->owner, true, test_atr, sizeof(test_atr),
			VSCARD_PROTO_T0);
	complete(&tc->exited);
	return 0;
}

static void vscard_test_wait_status(struct kunit *test)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_slot *slot = test_slot(test, 1);
	struct vscard_test_changer tc = {
		.slot = slot, .owner = &c->owner[0], .delay_ms = 50,
	};
	struct task_struct *task;
	struct vscard_status st;
	unsigned long start;
	u64 seq;

	vscard_slot_get_status(slot, &st);
	seq = st.seq;
	/* No change: times out. */
	KUNIT_EXPECT_EQ(test, vscard_slot_wait_status(slot, &seq, 30),
			-ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, seq, st.seq);
	KUNIT_EXPECT_EQ(test, vscard_slot_wait_status(slot, &seq, 0),
			-ETIMEDOUT);

	/* A change before the wait: returns at once despite a long timeout. */
	test_bind(test, 0, 1, test_key_a, "Reader B", 0, 0);
	start = jiffies;
	KUNIT_EXPECT_EQ(test, vscard_slot_wait_status(slot, &seq, 60000), 0);
	KUNIT_EXPECT_LT(test, jiffies - start, (unsigned long)HZ);
	KUNIT_EXPECT_NE(test, seq, st.seq);

	/* A change during the wait wakes it. */
	init_completion(&tc.exited);
	task = kthread_run(vscard_test_changer_fn, &tc, "vscard-test");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	start = jiffies;
	KUNIT_EXPECT_EQ(test, vscard_slot_wait_status(slot, &seq, 60000), 0);
	KUNIT_EXPECT_LT(test, jiffies - start, (unsigned long)(10 * HZ));
	wait_for_completion(&tc.exited);
	KUNIT_EXPECT_TRUE(test, test_flags(slot) & VSCARD_STATUS_PRESENT);
}

static void vscard_test_ownership(struct kunit *test)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_slot *slot;
	u64 stale;

	slot = test_bind(test, 0, 2, test_key_a, "Reader", 0, 0);
	KUNIT_ASSERT_NOT_NULL(test, slot);
	/* Another session's socket can neither take nor drive the slot. */
	test_bind(test, 1, 2, test_key_b, "Other", 0, -EBUSY);
	test_bind(test, 0, 2, test_key_a, "Reader", 0, -EBUSY);
	KUNIT_EXPECT_EQ(test, vscard_card_set(slot, &c->owner[1], true,
					      test_atr, sizeof(test_atr), 0),
			-EPERM);
	KUNIT_EXPECT_EQ(test, vscard_unbind(slot, &c->owner[1], 0), -EPERM);
	stale = atomic64_read(&slot->stats.stale);
	KUNIT_EXPECT_EQ(test, vscard_req_done(slot, &c->owner[1], 1ULL << 32 | 1,
					      0, 0, 0, NULL, 0), -EPERM);
	/* The owner: unknown id. */
	KUNIT_EXPECT_EQ(test, vscard_req_done(slot, &c->owner[0], 1ULL << 32 | 1,
					      0, 0, 0, NULL, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, atomic64_read(&slot->stats.stale), stale + 1);
	KUNIT_EXPECT_EQ(test, test_flags(slot), VSCARD_STATUS_BOUND);
	KUNIT_EXPECT_EQ(test, vscard_unbind(slot, &c->owner[0], 0), 0);
	KUNIT_EXPECT_EQ(test, test_flags(slot), 0U);
	/* Unbound: nobody owns it any more. */
	KUNIT_EXPECT_EQ(test, vscard_unbind(slot, &c->owner[0], 0), -EPERM);
}

static void vscard_test_bind_pick(struct kunit *test)
{
	struct vscard_slot *s0, *s1, *s2;

	s0 = test_bind(test, 0, -1, test_key_a, "R0", 0, 0);
	s1 = test_bind(test, 0, -1, test_key_a, "R1", 0, 0);
	s2 = test_bind(test, 1, -1, test_key_b, "R2", 0, 0);
	KUNIT_ASSERT_TRUE(test, s0 && s1 && s2);
	KUNIT_EXPECT_EQ(test, s0->index, 0U);
	KUNIT_EXPECT_EQ(test, s1->index, 1U);
	KUNIT_EXPECT_EQ(test, s2->index, 2U);
	test_bind(test, 2, -1, "k", "R3", 0, 0);
	/* Pool full. */
	test_bind(test, 2, -1, "k", "R4", 0, -EBUSY);
}

/* Build a stream of VSCARD_A_DATA attributes carrying @len bytes of @fill. */
static struct nlattr *test_data(struct kunit *test, u32 len, u8 fill,
				int *stream_len)
{
	u32 chunks = DIV_ROUND_UP(len, VSCARD_DATA_CHUNK) ?: 1;
	u8 *buf = kunit_kzalloc(test, len + chunks * NLA_HDRLEN + 8,
				GFP_KERNEL);
	u32 off = 0;
	int pos = 0;

	KUNIT_ASSERT_NOT_NULL(test, buf);
	while (off < len) {
		u32 n = min_t(u32, len - off, VSCARD_DATA_CHUNK);
		struct nlattr *nla = (struct nlattr *)(buf + pos);

		nla->nla_type = VSCARD_A_DATA;
		nla->nla_len = nla_attr_size(n);
		memset(nla_data(nla), fill, n);
		pos += nla_total_size(n);
		off += n;
	}
	*stream_len = pos;
	return (struct nlattr *)buf;
}

/* A fake agent: fetches the oldest request and answers it. */
struct vscard_test_agent {
	const struct vscard_owner *owner;
	struct nlattr *data;
	int data_len;
	int status;
	unsigned int delay_ms;
	bool no_reply;
	u64 id;
	u32 tx_len;
	u8 tx_first;
	int done_ret;
	struct completion exited;
};

static int vscard_test_agent_fn(void *arg)
{
	struct vscard_test_agent *ag = arg;
	struct vscard_slot *slot = NULL;
	struct vscard_req *req = NULL;
	unsigned int i;

	for (i = 0; i < 2000 && !req; i++) {
		req = vscard_req_fetch(ag->owner, &slot);
		if (!req)
			usleep_range(1000, 2000);
	}
	if (!req)
		goto out;
	if (vscard_reqs_mark_fetched(&slot->reqs, req)) {
		ag->id = req->id;
		ag->tx_len = req->tx_len;
		ag->tx_first = req->tx_len ? req->tx[0] : 0;
	}
	vscard_req_put(req);
	msleep(ag->delay_ms);
	if (!ag->no_reply)
		ag->done_ret = vscard_req_done(slot, ag->owner, ag->id,
					       ag->status, 0x9000,
					       VSCARD_PROTO_T1, ag->data,
					       ag->data_len);
	put_device(&slot->dev);
out:
	complete(&ag->exited);
	return 0;
}

static void test_agent_start(struct kunit *test, struct vscard_test_agent *ag)
{
	struct task_struct *task;

	init_completion(&ag->exited);
	task = kthread_run(vscard_test_agent_fn, ag, "vscard-agent");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
}

static struct vscard_slot *test_bound_card(struct kunit *test, u32 index,
					   unsigned int who, u32 linger_ms)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_slot *slot;

	slot = test_bind(test, who, index, test_key_a, "Reader", linger_ms, 0);
	KUNIT_ASSERT_NOT_NULL(test, slot);
	KUNIT_ASSERT_EQ(test, vscard_card_set(slot, &c->owner[who], true,
					      test_atr, sizeof(test_atr),
					      VSCARD_PROTO_T1), 0);
	return slot;
}

static void vscard_test_extended_round_trip(struct kunit *test)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_slot *slot = test_bound_card(test, 0, 0, 0);
	struct vscard_test_agent ag = { .owner = &c->owner[0] };
	struct vscard_req *req;
	u32 i;
	int ret;

	ag.data = test_data(test, 65538, 0x5a, &ag.data_len);
	test_agent_start(test, &ag);
	req = vscard_req_alloc(VSCARD_REQ_TRANSMIT, VSCARD_PROTO_T1, 65544,
			       VSCARD_DATA_MAX);
	KUNIT_ASSERT_NOT_NULL(test, req);
	memset(req->tx, 0xa5, req->tx_len);
	ret = vscard_slot_submit(slot, req, 10000, 0);
	wait_for_completion(&ag.exited);
	KUNIT_EXPECT_EQ(test, ret, 0);
	KUNIT_EXPECT_EQ(test, ag.done_ret, 0);
	KUNIT_EXPECT_EQ(test, ag.tx_len, 65544U);
	KUNIT_EXPECT_EQ(test, ag.tx_first, 0xa5);
	KUNIT_EXPECT_EQ(test, req->rx_len, 65538U);
	KUNIT_EXPECT_EQ(test, req->result, 0x9000U);
	for (i = 0; req->rx && i < req->rx_len; i++)
		if (req->rx[i] != 0x5a)
			break;
	KUNIT_EXPECT_EQ(test, i, 65538U);
	vscard_req_put(req);
	KUNIT_EXPECT_EQ(test, atomic64_read(&slot->stats.completed), 1LL);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&slot->reqs), 0U);
	/* A duplicate completion of the same id. */
	KUNIT_EXPECT_EQ(test, vscard_req_done(slot, &c->owner[0], ag.id, 0, 0,
					      0, NULL, 0), -ENOENT);
}

static void vscard_test_rx_too_small(struct kunit *test)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_slot *slot = test_bound_card(test, 0, 0, 0);
	struct vscard_test_agent ag = { .owner = &c->owner[0] };
	struct vscard_req *req;

	ag.data = test_data(test, 300, 1, &ag.data_len);
	test_agent_start(test, &ag);
	req = vscard_req_alloc(VSCARD_REQ_TRANSMIT, 0, 5, 258);
	KUNIT_ASSERT_NOT_NULL(test, req);
	KUNIT_EXPECT_EQ(test, vscard_slot_submit(slot, req, 10000, 0),
			-ENOBUFS);
	KUNIT_EXPECT_EQ(test, req->rx_len, 300U);
	wait_for_completion(&ag.exited);
	vscard_req_put(req);
}

static void vscard_test_submit_checks(struct kunit *test)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_slot *slot = test_slot(test, 3);
	struct vscard_req *req;

	req = vscard_req_alloc(VSCARD_REQ_POWER, VSCARD_POWER_UP, 0, 64);
	KUNIT_ASSERT_NOT_NULL(test, req);
	/* Unbound. */
	KUNIT_EXPECT_EQ(test, vscard_slot_submit(slot, req, 1000, 0),
			-ENOMEDIUM);
	/* Bound, no card. */
	test_bind(test, 0, 3, test_key_a, "R", 0, 0);
	KUNIT_EXPECT_EQ(test, vscard_slot_submit(slot, req, 1000, 0),
			-ENOMEDIUM);
	vscard_card_set(slot, &c->owner[0], true, test_atr, sizeof(test_atr),
			VSCARD_PROTO_T1);
	/* The caller expects an earlier insertion. */
	KUNIT_EXPECT_EQ(test, vscard_slot_submit(slot, req, 1000, 99),
			-ENOMEDIUM);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&slot->reqs), 0U);
	vscard_req_put(req);
}

static void vscard_test_timeout_and_late_reply(struct kunit *test)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_slot *slot = test_bound_card(test, 0, 0, 0);
	struct vscard_test_agent ag = { .owner = &c->owner[0],
					.delay_ms = 300 };
	struct vscard_req *req;

	test_agent_start(test, &ag);
	req = vscard_req_alloc(VSCARD_REQ_CONTROL, 0x42000001, 0, 16);
	KUNIT_ASSERT_NOT_NULL(test, req);
	KUNIT_EXPECT_EQ(test, vscard_slot_submit(slot, req, 50, 0),
			-ETIMEDOUT);
	wait_for_completion(&ag.exited);
	/* The agent's answer came after the deadline. */
	KUNIT_EXPECT_EQ(test, ag.done_ret, -ENOENT);
	KUNIT_EXPECT_EQ(test, atomic64_read(&slot->stats.timeouts), 1LL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&slot->stats.stale), 1LL);
	vscard_req_put(req);
}

static void vscard_test_epoch_mismatch(struct kunit *test)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_slot *slot = test_bound_card(test, 0, 0, 0);
	struct vscard_test_agent ag = { .owner = &c->owner[0],
					.no_reply = true };
	struct vscard_req *req;
	u64 old_id;

	/* A request of epoch 1 is fetched, then the agent rebinds. */
	test_agent_start(test, &ag);
	req = vscard_req_alloc(VSCARD_REQ_TRANSMIT, 0, 4, 16);
	KUNIT_ASSERT_NOT_NULL(test, req);
	KUNIT_EXPECT_EQ(test, vscard_slot_submit(slot, req, 200, 0),
			-ETIMEDOUT);
	wait_for_completion(&ag.exited);
	old_id = ag.id;
	vscard_req_put(req);
	KUNIT_EXPECT_EQ(test, vscard_req_epoch(old_id), 1U);

	KUNIT_ASSERT_EQ(test, vscard_unbind(slot, &c->owner[0], 0), 0);
	slot = test_bound_card(test, 0, 0, 0);
	KUNIT_EXPECT_EQ(test, slot->epoch, 2ULL);
	/* Same serial, new epoch: the old id never matches. */
	req = vscard_req_alloc(VSCARD_REQ_TRANSMIT, 0, 4, 16);
	KUNIT_ASSERT_NOT_NULL(test, req);
	KUNIT_ASSERT_EQ(test, vscard_reqs_add(&slot->reqs, req, slot->epoch), 0);
	KUNIT_EXPECT_EQ(test, vscard_req_done(slot, &c->owner[0], old_id, 0, 0,
					      0, NULL, 0), -ENOENT);
	KUNIT_EXPECT_EQ(test, vscard_req_done(slot, &c->owner[0],
					      2ULL << 32 | (u32)old_id, 0, 0,
					      0, NULL, 0),
			(u32)req->id == (u32)old_id ? 0 : -ENOENT);
	vscard_reqs_abort_all(&slot->reqs, -ECANCELED);
	vscard_req_put(req);
}

struct vscard_test_submitter {
	struct vscard_slot *slot;
	int ret;
	unsigned long took;
	struct completion exited;
};

static int vscard_test_submitter_fn(void *arg)
{
	struct vscard_test_submitter *ts = arg;
	struct vscard_req *req;
	unsigned long start = jiffies;

	req = vscard_req_alloc(VSCARD_REQ_TRANSMIT, 0, 4, 16);
	ts->ret = req ? vscard_slot_submit(ts->slot, req, 60000, 0) : -ENOMEM;
	ts->took = jiffies - start;
	if (req)
		vscard_req_put(req);
	complete(&ts->exited);
	return 0;
}

static void test_submitters_start(struct kunit *test,
				  struct vscard_test_submitter *ts,
				  unsigned int n, struct vscard_slot *slot)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		struct task_struct *task;

		ts[i].slot = slot;
		init_completion(&ts[i].exited);
		task = kthread_run(vscard_test_submitter_fn, &ts[i],
				   "vscard-sub");
		KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	}
	/* Wait until all are queued. */
	for (i = 0; i < 2000 && vscard_reqs_count(&slot->reqs) < n; i++)
		usleep_range(1000, 2000);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&slot->reqs), n);
}

static void vscard_test_owner_death(struct kunit *test)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_slot *slot = test_bound_card(test, 1, 2, 0);
	struct vscard_test_submitter ts[8] = {};
	unsigned long start;
	unsigned int i;

	test_submitters_start(test, ts, ARRAY_SIZE(ts), slot);
	/* The agent socket closes: the real URELEASE notifier fires. */
	start = jiffies;
	vscard_test_release_sock(c, 2);
	for (i = 0; i < ARRAY_SIZE(ts); i++) {
		wait_for_completion(&ts[i].exited);
		KUNIT_EXPECT_EQ(test, ts[i].ret, -ENOMEDIUM);
	}
	KUNIT_EXPECT_LT(test, jiffies - start, (unsigned long)HZ);
	KUNIT_EXPECT_EQ(test, test_flags(slot), 0U);
	KUNIT_EXPECT_EQ(test, atomic64_read(&slot->stats.aborted), 8LL);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&slot->reqs), 0U);
}

static void vscard_test_notify_delivered(struct kunit *test)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_slot *slot = test_bound_card(test, 2, 1, 0);
	struct vscard_test_submitter ts[1] = {};
	struct genlmsghdr *gh;
	struct nlmsghdr *nlh;
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec iov;
	unsigned int i;
	u8 *buf;
	int n;

	test_submitters_start(test, ts, 1, slot);
	buf = kunit_kzalloc(test, 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	iov.iov_base = buf;
	iov.iov_len = 4096;
	/* The hint is sent just after the request is queued: allow for it. */
	for (i = 0; i < 2000; i++) {
		n = kernel_recvmsg(c->sock[1], &msg, &iov, 1, 4096,
				   MSG_DONTWAIT);
		if (n != -EAGAIN)
			break;
		usleep_range(1000, 2000);
	}
	KUNIT_EXPECT_GT(test, n, (int)(NLMSG_HDRLEN + GENL_HDRLEN));
	if (n > (int)(NLMSG_HDRLEN + GENL_HDRLEN)) {
		nlh = (struct nlmsghdr *)buf;
		gh = nlmsg_data(nlh);
		KUNIT_EXPECT_EQ(test, gh->cmd, VSCARD_CMD_REQ_NOTIFY);
		/* A hint only: no request data in it. */
		KUNIT_EXPECT_NULL(test, nlmsg_find_attr(nlh, GENL_HDRLEN,
							VSCARD_A_DATA));
		KUNIT_EXPECT_NOT_NULL(test, nlmsg_find_attr(nlh, GENL_HDRLEN,
							    VSCARD_A_SLOT));
	}
	KUNIT_EXPECT_EQ(test, vscard_unbind(slot, &c->owner[1], 0), 0);
	wait_for_completion(&ts[0].exited);
	KUNIT_EXPECT_EQ(test, ts[0].ret, -ENOMEDIUM);
}

/* Wait for one message on test socket @i; its length or -EAGAIN. */
static int test_recv(struct vscard_test_ctx *c, unsigned int i, u8 *buf,
		     size_t size)
{
	struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
	struct kvec iov = { .iov_base = buf, .iov_len = size };
	unsigned int n;
	int ret = -EAGAIN;

	for (n = 0; n < 2000 && ret == -EAGAIN; n++) {
		ret = kernel_recvmsg(c->sock[i], &msg, &iov, 1, size,
				     MSG_DONTWAIT);
		if (ret == -EAGAIN)
			usleep_range(1000, 2000);
	}
	return ret;
}

static u8 test_msg_cmd(const u8 *buf, int len)
{
	const struct nlmsghdr *nlh = (const struct nlmsghdr *)buf;

	if (len < (int)(NLMSG_HDRLEN + GENL_HDRLEN))
		return 0;
	return ((struct genlmsghdr *)nlmsg_data(nlh))->cmd;
}

static struct vscard_slot *test_bound_push(struct kunit *test, u32 index,
					   unsigned int who)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_bind_args a = {
		.pool = c->pool_id, .slot = index, .key = test_key_a,
		.key_len = strlen(test_key_a), .name = "Reader", .push = true,
	};
	struct vscard_slot *slot = NULL;
	u64 epoch;

	KUNIT_ASSERT_EQ(test, vscard_bind(&c->owner[who], &a, &slot, &epoch),
			0);
	KUNIT_ASSERT_EQ(test, vscard_card_set(slot, &c->owner[who], true,
					      test_atr, sizeof(test_atr),
					      VSCARD_PROTO_T1), 0);
	return slot;
}

static void vscard_test_push_delivered(struct kunit *test)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_slot *slot = test_bound_push(test, 0, 1);
	struct vscard_test_submitter ts[1] = {};
	struct nlattr *id, *data;
	struct nlmsghdr *nlh;
	u8 *buf;
	int n;

	buf = kunit_kzalloc(test, 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	test_submitters_start(test, ts, 1, slot);
	n = test_recv(c, 1, buf, 4096);
	KUNIT_ASSERT_EQ(test, test_msg_cmd(buf, n), VSCARD_CMD_REQ_PUSH);
	nlh = (struct nlmsghdr *)buf;
	/* From the kernel, to the owner socket, carrying the request. */
	KUNIT_EXPECT_EQ(test, nlh->nlmsg_pid, 0U);
	id = nlmsg_find_attr(nlh, GENL_HDRLEN, VSCARD_A_REQ_ID);
	data = nlmsg_find_attr(nlh, GENL_HDRLEN, VSCARD_A_DATA);
	KUNIT_ASSERT_NOT_NULL(test, id);
	KUNIT_EXPECT_NOT_NULL(test, data);
	/* It counts as fetched: REQ_GET finds nothing, no hint was sent. */
	KUNIT_EXPECT_NULL(test, vscard_reqs_peek(&slot->reqs));
	KUNIT_EXPECT_EQ(test, test_recv(c, 1, buf, 4096), -EAGAIN);
	KUNIT_EXPECT_EQ(test, vscard_req_done(slot, &c->owner[1],
					      nla_get_u64(id), 0, 0x9000, 0,
					      NULL, 0), 0);
	wait_for_completion(&ts[0].exited);
	KUNIT_EXPECT_EQ(test, ts[0].ret, 0);
	/* Nothing reached the other sockets. */
	KUNIT_EXPECT_EQ(test, test_recv(c, 0, buf, 4096), -EAGAIN);
}

static void vscard_test_push_fallback(struct kunit *test)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_slot *slot = test_bound_push(test, 1, 2);
	struct vscard_test_submitter ts[1] = {};
	struct vscard_req *req;
	u8 *buf;
	int n;

	buf = kunit_kzalloc(test, 4096, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	/* A full receive queue: the push fails, the request stays queued. */
	WRITE_ONCE(c->sock[2]->sk->sk_rcvbuf, 0);
	test_submitters_start(test, ts, 1, slot);
	n = test_recv(c, 2, buf, 4096);
	/* The payload-free hint still fits (netlink's own limit is ">"). */
	KUNIT_EXPECT_EQ(test, test_msg_cmd(buf, n), VSCARD_CMD_REQ_NOTIFY);
	req = vscard_reqs_peek(&slot->reqs);
	KUNIT_ASSERT_NOT_NULL(test, req);
	KUNIT_EXPECT_FALSE(test, req->fetched);
	vscard_req_put(req);
	KUNIT_EXPECT_EQ(test, vscard_unbind(slot, &c->owner[2], 0), 0);
	wait_for_completion(&ts[0].exited);
	KUNIT_EXPECT_EQ(test, ts[0].ret, -ENOMEDIUM);
}

static void vscard_test_linger_rebind(struct kunit *test)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_slot *slot = test_bound_card(test, 1, 2, 60000);
	struct vscard_slot *other;
	struct vscard_req *req;
	unsigned long start;

	/* Owner death with linger: reserved for session A. */
	vscard_test_release_sock(c, 2);
	KUNIT_EXPECT_EQ(test, test_flags(slot), VSCARD_STATUS_LINGERING);
	req = vscard_req_alloc(VSCARD_REQ_TRANSMIT, 0, 4, 16);
	KUNIT_ASSERT_NOT_NULL(test, req);
	start = jiffies;
	KUNIT_EXPECT_EQ(test, vscard_slot_submit(slot, req, 60000, 0),
			-ENOMEDIUM);
	KUNIT_EXPECT_LT(test, jiffies - start, (unsigned long)HZ);
	vscard_req_put(req);

	/* Another session never gets it, explicitly or not. */
	test_bind(test, 1, 1, test_key_b, "Reader", 0, -EBUSY);
	other = test_bind(test, 1, -1, test_key_b, "Reader", 0, 0);
	KUNIT_EXPECT_TRUE(test, other && other != slot);
	/* Session A reconnects (new socket) and gets its slot back. */
	other = test_bind(test, 0, -1, test_key_a, "Reader", 0, 0);
	KUNIT_EXPECT_PTR_EQ(test, other, slot);
	KUNIT_EXPECT_EQ(test, slot->epoch, 2ULL);
	KUNIT_EXPECT_EQ(test, test_flags(slot), VSCARD_STATUS_BOUND);
	/* The stale expiry does nothing. */
	flush_delayed_work(&slot->linger_work);
	KUNIT_EXPECT_EQ(test, test_flags(slot), VSCARD_STATUS_BOUND);
}

static void vscard_test_linger_expiry(struct kunit *test)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_slot *slot = test_bound_card(test, 0, 0, 0);
	struct vscard_status st;

	KUNIT_ASSERT_EQ(test, vscard_unbind(slot, &c->owner[0], 20), 0);
	KUNIT_EXPECT_EQ(test, test_flags(slot), VSCARD_STATUS_LINGERING);
	vscard_slot_get_status(slot, &st);
	KUNIT_EXPECT_STREQ(test, st.reader_name, "Reader");
	flush_delayed_work(&slot->linger_work);
	vscard_slot_get_status(slot, &st);
	KUNIT_EXPECT_EQ(test, st.flags, 0U);
	KUNIT_EXPECT_STREQ(test, st.reader_name, "");
	/* Free again: any session may take it. */
	test_bind(test, 1, 0, test_key_b, "B", 0, 0);
}

static void vscard_test_pool_del_with_open(struct kunit *test)
{
	struct vscard_test_ctx *c = test->priv;
	struct vscard_slot *slot = test_bound_card(test, 0, 0, 0);
	struct vscard_test_submitter ts[2] = {};
	char path[32];
	struct file *f;
	u64 seq = 0;

	snprintf(path, sizeof(path), "/dev/%s", dev_name(&slot->dev));
	f = filp_open(path, O_RDWR, 0);
	if (IS_ERR(f))
		kunit_skip(test, "cannot open %s (%ld)", path, PTR_ERR(f));
	test_submitters_start(test, ts, ARRAY_SIZE(ts), slot);
	KUNIT_EXPECT_EQ(test, PM(vfs_poll(f, NULL) & (EPOLLHUP | EPOLLERR)),
			0U);

	KUNIT_EXPECT_EQ(test, vscard_pool_del(c->pool_id), 0);
	c->pool_id = 0;
	/* The file keeps the slot alive; it is dead and hung up. */
	wait_for_completion(&ts[0].exited);
	wait_for_completion(&ts[1].exited);
	KUNIT_EXPECT_EQ(test, ts[0].ret, -ENODEV);
	KUNIT_EXPECT_EQ(test, ts[1].ret, -ENODEV);
	KUNIT_EXPECT_EQ(test, PM(vfs_poll(f, NULL)), PM(EPOLLHUP | EPOLLERR));
	KUNIT_EXPECT_EQ(test, vscard_slot_wait_status(slot, &seq, 1000),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, test_flags(slot), 0U);
	filp_close(f, NULL);
	/* Reopening the node is impossible: it is gone. */
	f = filp_open(path, O_RDWR, 0);
	KUNIT_EXPECT_TRUE(test, IS_ERR(f));
	if (!IS_ERR(f))
		filp_close(f, NULL);
}

static void vscard_test_pool_registry(struct kunit *test)
{
	struct vscard_test_ctx *c = test->priv;
	u32 id = 1;

	KUNIT_EXPECT_EQ(test, vscard_pool_add(17, GLOBAL_ROOT_UID,
					      GLOBAL_ROOT_GID, &id), -EINVAL);
	KUNIT_EXPECT_NULL(test, vscard_slot_get(c->pool_id, 4));
	id = 0;
	/* Pool 0 exists (module load). */
	KUNIT_EXPECT_EQ(test, vscard_pool_add(1, GLOBAL_ROOT_UID,
					      GLOBAL_ROOT_GID, &id), -EEXIST);
	id = 1;
	KUNIT_ASSERT_EQ(test, vscard_pool_add(2, GLOBAL_ROOT_UID,
					      GLOBAL_ROOT_GID, &id), 0);
	KUNIT_EXPECT_NE(test, id, c->pool_id);
	KUNIT_EXPECT_EQ(test, vscard_pool_del(id), 0);
	KUNIT_EXPECT_EQ(test, vscard_pool_del(id), -ENOENT);
}

static struct kunit_case vscard_slot_cases[] = {
	KUNIT_CASE(vscard_test_status_poll),
	KUNIT_CASE(vscard_test_wait_status),
	KUNIT_CASE(vscard_test_ownership),
	KUNIT_CASE(vscard_test_bind_pick),
	KUNIT_CASE(vscard_test_extended_round_trip),
	KUNIT_CASE(vscard_test_rx_too_small),
	KUNIT_CASE(vscard_test_submit_checks),
	KUNIT_CASE(vscard_test_timeout_and_late_reply),
	KUNIT_CASE(vscard_test_epoch_mismatch),
	KUNIT_CASE(vscard_test_owner_death),
	KUNIT_CASE(vscard_test_notify_delivered),
	KUNIT_CASE(vscard_test_push_delivered),
	KUNIT_CASE(vscard_test_push_fallback),
	KUNIT_CASE(vscard_test_linger_rebind),
	KUNIT_CASE(vscard_test_linger_expiry),
	KUNIT_CASE(vscard_test_pool_del_with_open),
	KUNIT_CASE(vscard_test_pool_registry),
	{}
};

static struct kunit_suite vscard_slot_suite = {
	.name = "vscard_slot",
	.init = vscard_slot_test_init,
	.exit = vscard_slot_test_exit,
	.test_cases = vscard_slot_cases,
};

kunit_test_suites(&vscard_req_suite, &vscard_slot_suite);

MODULE_DESCRIPTION("KUnit tests for vscard");
MODULE_LICENSE("GPL");
#ifdef VSCARD_HAVE_STRING_IMPORT_NS
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
#else
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
#endif
