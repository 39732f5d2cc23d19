// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for vscard.ko (ABI 2).
 *
 * A separate module: on 6.1 the suites of a module run before its own
 * module_init, so the tests live here and use vscard.ko, which is loaded
 * and initialised first.  Real objects throughout: registered pools with
 * device nodes, binding files made by vscard_bfile_bind() and driven
 * through their file operations (kernel_read(), kernel_write(),
 * vfs_poll(), fput()), kthreads as the slots' device users.
 *
 * Nothing here waits for time to pass.  Threads report through
 * completions; a test that needs a state waits on the wait queue that the
 * state change wakes (the binding file's, found through its poll(), or the
 * slot's).  The timeouts below only bound waits that a bug would make
 * endless.
 */
#include <kunit/test.h>
#include <linux/completion.h>
#include <linux/cpumask.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/kthread.h>
#include <linux/module.h>
#include <linux/notifier.h>
#include <linux/poll.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uio.h>
#include <linux/wait.h>
#include <linux/workqueue.h>

#include "vscard_bfile.h"
#include "vscard_pool.h"
#include "vscard_req.h"
#include "vscard_slot.h"

/* Bound of a wait that only a bug makes endless. */
#define VT_WAIT		(10 * HZ)
/* Deadline of requests that must not time out during a test. */
#define VT_LONG_MS	60000
/* Read buffer: a header and small commands. */
#define VT_BUF		512
#define VT_HDR		((ssize_t)sizeof(struct vscard_msg))
#define VT_DONE_LEN	((ssize_t)sizeof(struct vscard_cmd_done))
#define VT_CARD_LEN	((ssize_t)sizeof(struct vscard_cmd_card))

/* __poll_t as a plain integer, for assertions. */
static u32 pm(__poll_t mask)
{
	return (__force u32)mask;
}

/* Command and response bytes of the tests. */
static u8 vt_byte(u32 i)
{
	return (u8)(i * 7 + 1);
}

/* ------------------------------------------------------------------------ */
/* Request table                                                             */
/* ------------------------------------------------------------------------ */

struct vt_tbl {
	struct vscard_reqs t;
	struct vscard_req *reqs[VSCARD_SLOT_REQS_MAX + 1];
};

static int vt_tbl_init(struct kunit *test)
{
	struct vt_tbl *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);

	if (!c)
		return -ENOMEM;
	vscard_reqs_init(&c->t);
	test->priv = c;
	return 0;
}

static void vt_tbl_exit(struct kunit *test)
{
	struct vt_tbl *c = test->priv;
	unsigned int i;

	if (!c)
		return;
	vscard_reqs_abort_all(&c->t, -ECANCELED);
	for (i = 0; i < ARRAY_SIZE(c->reqs); i++)
		if (c->reqs[i])
			vscard_req_put(c->reqs[i]);
	vscard_reqs_destroy(&c->t);
}

/* Allocate request @i (the test keeps the submitter's reference), add it. */
static struct vscard_req *vt_tbl_add(struct kunit *test, unsigned int i,
				     u64 epoch, u32 tx_len)
{
	struct vt_tbl *c = test->priv;
	struct vscard_req *req;

	req = vscard_req_alloc(VSCARD_REQ_TRANSMIT, i, tx_len, 258);
	KUNIT_ASSERT_NOT_NULL(test, req);
	c->reqs[i] = req;
	KUNIT_ASSERT_EQ(test, vscard_reqs_add(&c->t, req, epoch), 0);
	return req;
}

/* Take the oldest request as a reader would, and drop the reader's ref. */
static struct vscard_req *vt_take(struct vscard_reqs *t, size_t room)
{
	struct vscard_req *req;

	req = vscard_reqs_take(t, room, sizeof(struct vscard_msg));
	if (!IS_ERR_OR_NULL(req))
		vscard_req_put(req);
	return req;
}

static void vt_req_alloc_complete(struct kunit *test)
{
	struct vt_tbl *c = test->priv;
	struct vscard_req *req;

	KUNIT_EXPECT_NULL(test, vscard_req_alloc(VSCARD_REQ_TRANSMIT, 0,
						 VSCARD_DATA_MAX + 1, 16));
	KUNIT_EXPECT_NULL(test, vscard_req_alloc(VSCARD_REQ_TRANSMIT, 0, 4,
						 VSCARD_DATA_MAX + 1));
	req = vscard_req_alloc(VSCARD_REQ_TRANSMIT, 0, VSCARD_DATA_MAX,
			       VSCARD_DATA_MAX);
	KUNIT_EXPECT_NOT_NULL(test, req);
	if (req)
		vscard_req_put(req);

	req = vt_tbl_add(test, 0, 5, 4);
	KUNIT_EXPECT_EQ(test, vscard_req_epoch(req->id), 5U);
	KUNIT_EXPECT_GE(test, (u32)req->id, 1U);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t), 1U);
	KUNIT_EXPECT_TRUE(test, vscard_reqs_any_queued(&c->t));
	KUNIT_EXPECT_FALSE(test, completion_done(&req->done));

	KUNIT_EXPECT_PTR_EQ(test, vscard_reqs_claim(&c->t, req->id), req);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t), 0U);
	KUNIT_EXPECT_FALSE(test, vscard_reqs_any_queued(&c->t));
	vscard_req_finish(req, -EIO);
	KUNIT_EXPECT_TRUE(test, completion_done(&req->done));
	KUNIT_EXPECT_EQ(test, req->status, -EIO);
	/* A duplicate completion finds nothing. */
	KUNIT_EXPECT_NULL(test, vscard_reqs_claim(&c->t, req->id));
}

static void vt_req_limit_unique(struct kunit *test)
{
	struct vt_tbl *c = test->priv;
	struct vscard_req *extra, *done;
	unsigned int i, j;
	u32 old;

	for (i = 0; i < VSCARD_SLOT_REQS_MAX; i++)
		vt_tbl_add(test, i, 3, 4);
	for (i = 0; i < VSCARD_SLOT_REQS_MAX; i++)
		for (j = i + 1; j < VSCARD_SLOT_REQS_MAX; j++)
			KUNIT_EXPECT_NE(test, c->reqs[i]->id, c->reqs[j]->id);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t),
			(u32)VSCARD_SLOT_REQS_MAX);

	extra = vscard_req_alloc(VSCARD_REQ_CONTROL, 0, 0, 0);
	KUNIT_ASSERT_NOT_NULL(test, extra);
	c->reqs[VSCARD_SLOT_REQS_MAX] = extra;
	KUNIT_EXPECT_EQ(test, vscard_reqs_add(&c->t, extra, 3), -EBUSY);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t),
			(u32)VSCARD_SLOT_REQS_MAX);

	/* Free one: the next serial is a new one, not the one just freed. */
	done = c->reqs[0];
	old = (u32)done->id;
	KUNIT_ASSERT_PTR_EQ(test, vscard_reqs_claim(&c->t, done->id), done);
	vscard_req_finish(done, 0);
	KUNIT_ASSERT_EQ(test, vscard_reqs_add(&c->t, extra, 3), 0);
	KUNIT_EXPECT_NE(test, (u32)extra->id, old);
	for (i = 1; i < VSCARD_SLOT_REQS_MAX; i++)
		KUNIT_EXPECT_NE(test, c->reqs[i]->id, extra->id);
}

static void vt_req_take_oldest(struct kunit *test)
{
	struct vt_tbl *c = test->priv;
	struct vscard_req *r0, *r1, *r2, *p;

	KUNIT_EXPECT_NULL(test, vt_take(&c->t, VT_BUF));
	r0 = vt_tbl_add(test, 0, 1, 4);
	r1 = vt_tbl_add(test, 1, 1, 4);
	r2 = vt_tbl_add(test, 2, 1, 4);

	p = vscard_reqs_take(&c->t, VT_BUF, VT_HDR);
	KUNIT_ASSERT_PTR_EQ(test, p, r0);
	/* The reader holds a reference of its own. */
	KUNIT_EXPECT_EQ(test, refcount_read(&p->ref), 2U);
	vscard_req_put(p);
	KUNIT_EXPECT_TRUE(test, r0->fetched);
	KUNIT_EXPECT_FALSE(test, r0->queued);
	KUNIT_EXPECT_PTR_EQ(test, vt_take(&c->t, VT_BUF), r1);
	KUNIT_EXPECT_PTR_EQ(test, vt_take(&c->t, VT_BUF), r2);
	KUNIT_EXPECT_NULL(test, vt_take(&c->t, VT_BUF));
	KUNIT_EXPECT_FALSE(test, vscard_reqs_any_queued(&c->t));
	/* Fetched requests are still pending. */
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t), 3U);
}

static void vt_req_take_emsgsize(struct kunit *test)
{
	struct vt_tbl *c = test->priv;
	struct vscard_req *big, *small;

	big = vt_tbl_add(test, 0, 1, 1000);
	small = vt_tbl_add(test, 1, 1, 4);
	/* The oldest does not fit: nothing is taken, not even the next. */
	KUNIT_EXPECT_PTR_EQ(test, vt_take(&c->t, VT_HDR + 999),
			    ERR_PTR(-EMSGSIZE));
	KUNIT_EXPECT_TRUE(test, big->queued);
	KUNIT_EXPECT_FALSE(test, big->fetched);
	KUNIT_EXPECT_TRUE(test, small->queued);
	KUNIT_EXPECT_PTR_EQ(test, vt_take(&c->t, VT_HDR + 1000), big);
	KUNIT_EXPECT_PTR_EQ(test, vt_take(&c->t, VT_HDR + 4), small);
}

/*
 * Two requests taken, the earlier put back first: both must come back in
 * submission order.  ABI 1 put an unfetched request at the head of the
 * queue, so the later one overtook the earlier one here.
 */
static void vt_req_unfetch_in_order(struct kunit *test)
{
	struct vt_tbl *c = test->priv;
	struct vscard_req *r0, *r1, *r2;

	r0 = vt_tbl_add(test, 0, 1, 4);
	r1 = vt_tbl_add(test, 1, 1, 4);
	r2 = vt_tbl_add(test, 2, 1, 4);
	KUNIT_ASSERT_PTR_EQ(test, vt_take(&c->t, VT_BUF), r0);
	KUNIT_ASSERT_PTR_EQ(test, vt_take(&c->t, VT_BUF), r1);

	vscard_reqs_unfetch(&c->t, r0);
	vscard_reqs_unfetch(&c->t, r1);
	KUNIT_EXPECT_FALSE(test, r0->fetched);
	KUNIT_EXPECT_TRUE(test, r1->queued);
	KUNIT_EXPECT_EQ(test, c->t.nqueued, 3U);
	KUNIT_EXPECT_PTR_EQ(test, vt_take(&c->t, VT_BUF), r0);
	KUNIT_EXPECT_PTR_EQ(test, vt_take(&c->t, VT_BUF), r1);
	KUNIT_EXPECT_PTR_EQ(test, vt_take(&c->t, VT_BUF), r2);
	KUNIT_EXPECT_NULL(test, vt_take(&c->t, VT_BUF));
}

/* The same with the later returned first, and with three in mixed order. */
static void vt_req_unfetch_reversed(struct kunit *test)
{
	struct vt_tbl *c = test->priv;
	struct vscard_req *r0, *r1, *r2, *r3;

	r0 = vt_tbl_add(test, 0, 1, 4);
	r1 = vt_tbl_add(test, 1, 1, 4);
	r2 = vt_tbl_add(test, 2, 1, 4);
	r3 = vt_tbl_add(test, 3, 1, 4);
	KUNIT_ASSERT_PTR_EQ(test, vt_take(&c->t, VT_BUF), r0);
	KUNIT_ASSERT_PTR_EQ(test, vt_take(&c->t, VT_BUF), r1);
	vscard_reqs_unfetch(&c->t, r1);
	vscard_reqs_unfetch(&c->t, r0);
	KUNIT_EXPECT_PTR_EQ(test, vt_take(&c->t, VT_BUF), r0);
	KUNIT_EXPECT_PTR_EQ(test, vt_take(&c->t, VT_BUF), r1);
	KUNIT_EXPECT_PTR_EQ(test, vt_take(&c->t, VT_BUF), r2);

	/* r0, r1, r2 fetched, r3 queued: put back r2, then r0, then r1. */
	vscard_reqs_unfetch(&c->t, r2);
	vscard_reqs_unfetch(&c->t, r0);
	vscard_reqs_unfetch(&c->t, r1);
	KUNIT_EXPECT_PTR_EQ(test, vt_take(&c->t, VT_BUF), r0);
	KUNIT_EXPECT_PTR_EQ(test, vt_take(&c->t, VT_BUF), r1);
	KUNIT_EXPECT_PTR_EQ(test, vt_take(&c->t, VT_BUF), r2);
	KUNIT_EXPECT_PTR_EQ(test, vt_take(&c->t, VT_BUF), r3);
	KUNIT_EXPECT_NULL(test, vt_take(&c->t, VT_BUF));
}

/* Putting back a request that is queued or gone changes nothing. */
static void vt_req_unfetch_noop(struct kunit *test)
{
	struct vt_tbl *c = test->priv;
	struct vscard_req *r0, *r1;

	r0 = vt_tbl_add(test, 0, 1, 4);
	r1 = vt_tbl_add(test, 1, 1, 4);
	/* Never taken: must not be queued twice. */
	vscard_reqs_unfetch(&c->t, r0);
	KUNIT_EXPECT_EQ(test, c->t.nqueued, 2U);
	KUNIT_ASSERT_PTR_EQ(test, vt_take(&c->t, VT_BUF), r0);
	/* Completed meanwhile: not resurrected. */
	KUNIT_ASSERT_PTR_EQ(test, vscard_reqs_claim(&c->t, r0->id), r0);
	vscard_req_finish(r0, 0);
	vscard_reqs_unfetch(&c->t, r0);
	KUNIT_EXPECT_FALSE(test, r0->queued);
	KUNIT_EXPECT_EQ(test, c->t.nqueued, 1U);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t), 1U);
	KUNIT_EXPECT_PTR_EQ(test, vt_take(&c->t, VT_BUF), r1);
	KUNIT_EXPECT_NULL(test, vt_take(&c->t, VT_BUF));
}

static void vt_req_claim_unknown(struct kunit *test)
{
	struct vt_tbl *c = test->priv;
	struct vscard_req *req = vt_tbl_add(test, 0, 1, 4);
	u64 serial = (u32)req->id;

	/* Same serial, other epochs (an earlier binding of the slot). */
	KUNIT_EXPECT_NULL(test, vscard_reqs_claim(&c->t, 2ULL << 32 | serial));
	KUNIT_EXPECT_NULL(test, vscard_reqs_claim(&c->t, serial));
	/* Unknown serials. */
	KUNIT_EXPECT_NULL(test, vscard_reqs_claim(&c->t,
						  1ULL << 32 | (serial + 1)));
	KUNIT_EXPECT_NULL(test, vscard_reqs_claim(&c->t, 0));
	KUNIT_EXPECT_NULL(test, vscard_reqs_claim(&c->t, 1ULL << 32));
	KUNIT_EXPECT_NULL(test, vscard_reqs_claim(&c->t,
						  1ULL << 32 | 0x80000000ULL));
	KUNIT_EXPECT_NULL(test, vscard_reqs_claim(&c->t, U64_MAX));
	/* None of them disturbed the pending request. */
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t), 1U);
	KUNIT_EXPECT_FALSE(test, completion_done(&req->done));
	KUNIT_EXPECT_PTR_EQ(test, vscard_reqs_claim(&c->t, req->id), req);
	vscard_req_finish(req, 0);
}

static void vt_req_cancel_vs_claim(struct kunit *test)
{
	struct vt_tbl *c = test->priv;
	struct vscard_req *a = vt_tbl_add(test, 0, 1, 4);
	struct vscard_req *b = vt_tbl_add(test, 1, 1, 4);

	/* The completer erased it first: the submitter's cancel fails. */
	KUNIT_ASSERT_PTR_EQ(test, vscard_reqs_claim(&c->t, a->id), a);
	KUNIT_EXPECT_FALSE(test, vscard_reqs_cancel(&c->t, a));
	vscard_req_finish(a, -EIO);
	KUNIT_EXPECT_EQ(test, a->status, -EIO);

	/* The submitter erased it first: the completion finds nothing. */
	KUNIT_ASSERT_PTR_EQ(test, vt_take(&c->t, VT_BUF), b);
	KUNIT_EXPECT_TRUE(test, vscard_reqs_cancel(&c->t, b));
	KUNIT_EXPECT_FALSE(test, vscard_reqs_cancel(&c->t, b));
	KUNIT_EXPECT_NULL(test, vscard_reqs_claim(&c->t, b->id));
	KUNIT_EXPECT_FALSE(test, completion_done(&b->done));
	vscard_reqs_unfetch(&c->t, b);
	KUNIT_EXPECT_FALSE(test, b->queued);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t), 0U);
}

static void vt_req_abort_all(struct kunit *test)
{
	struct vt_tbl *c = test->priv;
	unsigned int i;
	bool fetched;

	for (i = 0; i < 5; i++)
		vt_tbl_add(test, i, 7, 4);
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, vt_take(&c->t, VT_BUF));
	KUNIT_EXPECT_NOT_ERR_OR_NULL(test, vt_take(&c->t, VT_BUF));
	KUNIT_EXPECT_EQ(test, vscard_reqs_abort_all(&c->t, -ENOMEDIUM), 5U);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t), 0U);
	KUNIT_EXPECT_EQ(test, c->t.nqueued, 0U);
	KUNIT_EXPECT_NULL(test, vt_take(&c->t, VT_BUF));
	for (i = 0; i < 5; i++) {
		KUNIT_EXPECT_TRUE(test, completion_done(&c->reqs[i]->done));
		KUNIT_EXPECT_EQ(test, vscard_req_wait(&c->t, c->reqs[i], 1,
						      &fetched), -ENOMEDIUM);
	}
	KUNIT_EXPECT_EQ(test, vscard_reqs_abort_all(&c->t, -ENOMEDIUM), 0U);
}

static void vt_req_wait_timeout(struct kunit *test)
{
	struct vt_tbl *c = test->priv;
	struct vscard_req *a = vt_tbl_add(test, 0, 1, 4);
	struct vscard_req *b = vt_tbl_add(test, 1, 1, 4);
	bool fetched = true;

	/* Never read by the agent: nothing to cancel remotely. */
	KUNIT_ASSERT_PTR_EQ(test, vt_take(&c->t, VT_BUF), a);
	KUNIT_EXPECT_EQ(test, vscard_req_wait(&c->t, b, 1, &fetched),
			-ETIMEDOUT);
	KUNIT_EXPECT_FALSE(test, fetched);
	/* Read: the agent must be told. */
	KUNIT_EXPECT_EQ(test, vscard_req_wait(&c->t, a, 1, &fetched),
			-ETIMEDOUT);
	KUNIT_EXPECT_TRUE(test, fetched);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t), 0U);
	/* The late replies find nothing. */
	KUNIT_EXPECT_NULL(test, vscard_reqs_claim(&c->t, a->id));
	KUNIT_EXPECT_NULL(test, vscard_reqs_claim(&c->t, b->id));
}

struct vt_completer {
	struct vscard_reqs *t;
	u64 id;
	int status;
	bool claimed;
	struct completion exited;
};

static int vt_completer_fn(void *data)
{
	struct vt_completer *tc = data;
	struct vscard_req *req = vscard_reqs_claim(tc->t, tc->id);

	if (req) {
		tc->claimed = true;
		req->rx_len = 2;
		vscard_req_finish(req, tc->status);
	}
	kthread_complete_and_exit(&tc->exited, 0);
}

static void vt_req_wait_woken(struct kunit *test)
{
	struct vt_tbl *c = test->priv;
	struct vscard_req *req = vt_tbl_add(test, 0, 9, 4);
	struct vt_completer *tc;
	struct task_struct *task;
	bool fetched = true;

	tc = kunit_kzalloc(test, sizeof(*tc), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, tc);
	tc->t = &c->t;
	tc->id = req->id;
	tc->status = -EPROTO;
	init_completion(&tc->exited);
	task = kthread_run(vt_completer_fn, tc, "vscard-test-completer");
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	/* Only the completer ends this wait: its deadline is the bound. */
	KUNIT_EXPECT_EQ(test, vscard_req_wait(&c->t, req, VT_WAIT, &fetched),
			-EPROTO);
	KUNIT_EXPECT_FALSE(test, fetched);
	wait_for_completion(&tc->exited);
	KUNIT_EXPECT_TRUE(test, tc->claimed);
	KUNIT_EXPECT_EQ(test, req->rx_len, 2U);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->t), 0U);
}

static struct kunit_case vt_req_cases[] = {
	KUNIT_CASE(vt_req_alloc_complete),
	KUNIT_CASE(vt_req_limit_unique),
	KUNIT_CASE(vt_req_take_oldest),
	KUNIT_CASE(vt_req_take_emsgsize),
	KUNIT_CASE(vt_req_unfetch_in_order),
	KUNIT_CASE(vt_req_unfetch_reversed),
	KUNIT_CASE(vt_req_unfetch_noop),
	KUNIT_CASE(vt_req_claim_unknown),
	KUNIT_CASE(vt_req_cancel_vs_claim),
	KUNIT_CASE(vt_req_abort_all),
	KUNIT_CASE(vt_req_wait_timeout),
	KUNIT_CASE(vt_req_wait_woken),
	{}
};

static struct kunit_suite vt_req_suite = {
	.name = "vscard_req",
	.init = vt_tbl_init,
	.exit = vt_tbl_exit,
	.test_cases = vt_req_cases,
};

/* ------------------------------------------------------------------------ */
/* Fixture of the slot suites: a pool, binding files, threads, events        */
/* ------------------------------------------------------------------------ */

#define VT_SLOTS	4
#define VT_FILES	8
#define VT_THREADS	40
#define VT_EVENTS	32
#define VT_UID		4242
#define VT_OTHER_UID	4343

/* The pool's owner, another uid, an admin of another uid, a mismatch. */
static const struct vscard_caller vt_owner = { .uid = KUIDT_INIT(VT_UID) };
static const struct vscard_caller vt_nobody = { .uid = INVALID_UID };
static const struct vscard_caller vt_other = {
	.uid = KUIDT_INIT(VT_OTHER_UID),
};

static const struct vscard_caller vt_admin = {
	.uid = KUIDT_INIT(VT_OTHER_UID),
	.admin = true,
};

static const char vt_key_a[] = "session-A";
static const char vt_key_b[] = "session-B";
static const char vt_name_a[] = "Reader A";
static const char vt_name_b[] = "Reader B";
static const u8 vt_atr[] = { 0x3b, 0x8f, 0x80, 0x01, 0x80, 0x4f };
static const u8 vt_atr2[] = { 0x3b, 0x02, 0x14, 0x50 };

/* A test thread; the fixture joins every one before it cleans up. */
struct vt_thread {
	int (*fn)(struct vt_thread *th);
	struct task_struct *task;
	struct completion done;
	bool joined;
};

/* A wait queue entry on a slot's wait queue, recording EPOLLOUT wakeups. */
struct vt_watch {
	wait_queue_entry_t wait;
	wait_queue_head_t *head;
	struct completion woken;
};

struct vt_event {
	u32 event;
	u32 slot;
	u64 req_id;
};

struct vt_ctx {
	u32 pool;
	bool have_pool;
	struct vscard_slot *slots[VT_SLOTS];
	struct file *files[VT_FILES];
	struct vt_thread *threads[VT_THREADS];
	unsigned int nthreads;
	struct vt_watch watch;
	struct notifier_block nb;
	bool nb_on;
	spinlock_t ev_lock;	/* @nev, @ev */
	unsigned int nev;
	struct vt_event ev[VT_EVENTS];
};

static int vt_event_cb(struct notifier_block *nb, unsigned long event,
		       void *data)
{
	struct vt_ctx *c = container_of(nb, struct vt_ctx, nb);
	const struct vscard_event_info *info = data;

	if (!info->slot || info->pool_id != c->pool)
		return NOTIFY_DONE;
	spin_lock(&c->ev_lock);
	if (c->nev < VT_EVENTS) {
		c->ev[c->nev].event = event;
		c->ev[c->nev].slot = info->slot->index;
		c->ev[c->nev].req_id = info->req_id;
		c->nev++;
	}
	spin_unlock(&c->ev_lock);
	return NOTIFY_OK;
}

/* The events seen since the last call must be @want, in order. */
static void vt_expect_events(struct kunit *test, const struct vt_event *want,
			     unsigned int n)
{
	struct vt_ctx *c = test->priv;
	struct vt_event got[VT_EVENTS];
	unsigned int i, ngot;

	spin_lock(&c->ev_lock);
	ngot = c->nev;
	memcpy(got, c->ev, ngot * sizeof(got[0]));
	c->nev = 0;
	spin_unlock(&c->ev_lock);

	KUNIT_EXPECT_EQ(test, ngot, n);
	for (i = 0; i < min(ngot, n); i++) {
		KUNIT_EXPECT_EQ_MSG(test, got[i].event, want[i].event,
				    "event #%u", i);
		KUNIT_EXPECT_EQ_MSG(test, got[i].slot, want[i].slot,
				    "slot of event #%u", i);
		KUNIT_EXPECT_EQ_MSG(test, got[i].req_id, want[i].req_id,
				    "request id of event #%u", i);
	}
}

static void vt_events_clear(struct vt_ctx *c)
{
	spin_lock(&c->ev_lock);
	c->nev = 0;
	spin_unlock(&c->ev_lock);
}

static int vt_init(struct kunit *test)
{
	struct vt_ctx *c = kunit_kzalloc(test, sizeof(*c), GFP_KERNEL);
	struct vscard_slot *slot;
	u32 id = 1, i;
	int ret;

	if (!c)
		return -ENOMEM;
	test->priv = c;
	spin_lock_init(&c->ev_lock);
	init_completion(&c->watch.woken);

	ret = vscard_pool_add(VT_SLOTS, KUIDT_INIT(VT_UID), GLOBAL_ROOT_GID,
			      &id);
	if (ret)
		return ret;
	c->pool = id;
	c->have_pool = true;
	/* The fixture keeps a reference: slots outlive a deleted pool. */
	for (i = 0; i < VT_SLOTS; i++) {
		slot = vscard_pool_slot_get(id, i, &vt_admin);
		if (IS_ERR(slot))
			return PTR_ERR(slot);
		c->slots[i] = slot;
	}
	c->nb.notifier_call = vt_event_cb;
	ret = blocking_notifier_chain_register(&vscard_slot_events, &c->nb);
	if (ret)
		return ret;
	c->nb_on = true;
	return 0;
}

static void vt_unwatch(struct vt_ctx *c)
{
	if (c->watch.head)
		remove_wait_queue(c->watch.head, &c->watch.wait);
	c->watch.head = NULL;
}

/*
 * Teardown, in the order that lets every thread finish: deleting the pool
 * ends the bindings (blocked readers see end of file) and fails pending
 * requests and status waits; then the threads are joined, then the files
 * closed and the slots put.
 */
static void vt_exit(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	unsigned int i;

	if (!c)
		return;
	vt_unwatch(c);
	if (c->have_pool)
		vscard_pool_del(c->pool);
	c->have_pool = false;
	for (i = 0; i < c->nthreads; i++) {
		if (!c->threads[i]->joined)
			wait_for_completion(&c->threads[i]->done);
		put_task_struct(c->threads[i]->task);
	}
	for (i = 0; i < VT_FILES; i++)
		if (c->files[i])
			fput(c->files[i]);
	flush_delayed_fput();
	for (i = 0; i < VT_SLOTS; i++)
		if (c->slots[i])
			put_device(&c->slots[i]->dev);
	if (c->nb_on)
		blocking_notifier_chain_unregister(&vscard_slot_events, &c->nb);
}

static int vt_thread_main(void *data)
{
	struct vt_thread *th = data;

	th->fn(th);
	kthread_complete_and_exit(&th->done, 0);
}

/* Start @fn, on @cpu unless it is negative, real-time if @fifo. */
static void vt_spawn(struct kunit *test, struct vt_thread *th,
		     int (*fn)(struct vt_thread *th), int cpu, bool fifo)
{
	struct vt_ctx *c = test->priv;
	struct task_struct *task;

	KUNIT_ASSERT_LT(test, c->nthreads, (unsigned int)VT_THREADS);
	th->fn = fn;
	init_completion(&th->done);
	task = kthread_create(vt_thread_main, th, "vscard-test/%u",
			      c->nthreads);
	KUNIT_ASSERT_FALSE(test, IS_ERR(task));
	get_task_struct(task);
	th->task = task;
	c->threads[c->nthreads++] = th;
	if (cpu >= 0)
		kthread_bind(task, cpu);
	if (fifo)
		sched_set_fifo(task);
	wake_up_process(task);
}

static void vt_join(struct kunit *test, struct vt_thread *th)
{
	unsigned long left = wait_for_completion_timeout(&th->done, VT_WAIT);

	KUNIT_ASSERT_NE_MSG(test, left, 0UL, "test thread did not finish");
	th->joined = true;
}

static void vt_track(struct kunit *test, struct file *f)
{
	struct vt_ctx *c = test->priv;
	unsigned int i;

	for (i = 0; i < VT_FILES; i++) {
		if (!c->files[i]) {
			c->files[i] = f;
			return;
		}
	}
	fput(f);
	flush_delayed_fput();
	KUNIT_ASSERT_FAILURE(test, "too many binding files");
}

static void vt_untrack(struct kunit *test, struct file *f)
{
	struct vt_ctx *c = test->priv;
	unsigned int i;

	for (i = 0; i < VT_FILES; i++) {
		if (c->files[i] == f) {
			c->files[i] = NULL;
			return;
		}
	}
	KUNIT_ASSERT_FAILURE(test, "closing an untracked file");
}

/* close(): the last reference goes and ->release() has run on return. */
static void vt_close(struct kunit *test, struct file *f)
{
	vt_untrack(test, f);
	fput(f);
	flush_delayed_fput();
}

/* BIND as @who; the binding file is tracked for cleanup. */
static struct file *vt_bind_as(struct kunit *test,
			       const struct vscard_caller *who, s32 slot,
			       const char *key, const char *name,
			       u32 linger_ms, u32 *index, u64 *epoch)
{
	struct vt_ctx *c = test->priv;
	struct vscard_bind_args a = {
		.pool = c->pool,
		.slot = slot,
		.key = key,
		.key_len = strlen(key),
		.name = name,
		.linger_ms = linger_ms,
	};
	u32 idx = U32_MAX;
	struct file *f;
	u64 ep = 0;

	f = vscard_bfile_bind(&a, who, &idx, &ep);
	if (IS_ERR(f))
		return f;
	vt_track(test, f);
	if (index)
		*index = idx;
	if (epoch)
		*epoch = ep;
	return f;
}

static int vt_bind_ret(struct kunit *test, const struct vscard_caller *who,
		       s32 slot, const char *key, const char *name)
{
	return PTR_ERR_OR_ZERO(vt_bind_as(test, who, slot, key, name, 0, NULL,
					  NULL));
}

/* The pool's owner binds slot @slot with key A. */
static struct file *vt_bind(struct kunit *test, s32 slot, u32 linger_ms)
{
	struct file *f = vt_bind_as(test, &vt_owner, slot, vt_key_a,
				    vt_name_a, linger_ms, NULL, NULL);

	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f);
	return f;
}

/* read(), blocking or not (IOCB_NOWAIT through ->read_iter()). */
static ssize_t vt_read(struct file *f, void *buf, size_t len, bool nonblock)
{
	struct kvec kv = { .iov_base = buf, .iov_len = len };
	struct kiocb kiocb;
	struct iov_iter it;

	if (!nonblock)
		return kernel_read(f, buf, len, NULL);
	init_sync_kiocb(&kiocb, f);
	kiocb.ki_flags |= IOCB_NOWAIT;
	iov_iter_kvec(&it, ITER_DEST, &kv, 1, len);
	return f->f_op->read_iter(&kiocb, &it);
}

/*
 * Read one message without blocking: its length or an error.  The header
 * goes to @m, up to @max command bytes to @data.
 */
static ssize_t vt_recv(struct file *f, struct vscard_msg *m, u8 *data,
		       size_t max)
{
	u8 *buf = kmalloc(VT_BUF, GFP_KERNEL);
	ssize_t n;

	if (!buf)
		return -ENOMEM;
	memset(m, 0, sizeof(*m));
	n = vt_read(f, buf, VT_BUF, true);
	if (n >= VT_HDR) {
		memcpy(m, buf, sizeof(*m));
		if (data)
			memcpy(data, buf + VT_HDR, min_t(size_t, n - VT_HDR,
							 max));
	}
	kfree(buf);
	return n;
}

/* Read without blocking when no message is expected: -EAGAIN, or 0 (EOF). */
static ssize_t vt_try(struct file *f)
{
	struct vscard_msg m;

	return vt_recv(f, &m, NULL, 0);
}

/* write() a completion; @len bytes follow the header when @status is 0. */
static ssize_t vt_done_full(struct file *f, u64 id, int status, u32 result,
			    u32 protocols, const u8 *data, u32 len)
{
	size_t bytes = status ? 0 : len;
	struct vscard_cmd_done *d;
	u8 *rsp;
	ssize_t ret;
	u32 i;

	d = kzalloc(sizeof(*d) + bytes, GFP_KERNEL);
	if (!d)
		return -ENOMEM;
	d->cmd = VSCARD_BCMD_DONE;
	d->status = status;
	d->id = id;
	d->result = result;
	d->protocols = protocols;
	d->len = len;
	rsp = (u8 *)(d + 1);
	for (i = 0; i < bytes; i++)
		rsp[i] = data ? data[i] : vt_byte(i);
	ret = kernel_write(f, d, sizeof(*d) + bytes, NULL);
	kfree(d);
	return ret;
}

static ssize_t vt_done(struct file *f, u64 id)
{
	return vt_done_full(f, id, 0, 0x9000, 0, NULL, 0);
}

/* write() a card state. */
static ssize_t vt_card(struct file *f, bool present, const u8 *atr,
		       u32 atr_len, u32 protocols)
{
	struct vscard_cmd_card cc = {
		.cmd = VSCARD_BCMD_CARD,
		.state = present ? VSCARD_CARD_PRESENT : VSCARD_CARD_ABSENT,
		.protocols = protocols,
		.atr_len = atr_len,
	};

	if (atr_len)
		memcpy(cc.atr, atr, min_t(u32, atr_len, sizeof(cc.atr)));
	return kernel_write(f, &cc, sizeof(cc), NULL);
}

static void vt_card_in(struct kunit *test, struct file *f)
{
	KUNIT_ASSERT_EQ(test, vt_card(f, true, vt_atr, sizeof(vt_atr),
				      VSCARD_PROTO_T0 | VSCARD_PROTO_T1),
			VT_CARD_LEN);
}

static u32 vt_flags(struct vscard_slot *slot)
{
	struct vscard_status st;

	vscard_slot_get_status(slot, &st);
	return st.flags;
}

static u64 vt_seq(struct vscard_slot *slot)
{
	struct vscard_status st;

	vscard_slot_get_status(slot, &st);
	return st.seq;
}

/* poll_table callback: learn the wait queue a file's poll() registers. */
struct vt_pt {
	poll_table pt;
	wait_queue_head_t *head;
};

static void vt_pt_queue(struct file *f, wait_queue_head_t *head,
			poll_table *pt)
{
	container_of(pt, struct vt_pt, pt)->head = head;
}

static wait_queue_head_t *vt_file_wq(struct kunit *test, struct file *f)
{
	struct vt_pt p = { .head = NULL };

	init_poll_funcptr(&p.pt, vt_pt_queue);
	vfs_poll(f, &p.pt);
	KUNIT_ASSERT_NOT_NULL(test, p.head);
	return p.head;
}

/* Sleep on @wq until @cond holds; false if it never did. */
static bool vt_wait_cond(wait_queue_head_t *wq, bool (*cond)(void *arg),
			 void *arg)
{
	DEFINE_WAIT_FUNC(wait, woken_wake_function);
	long left = VT_WAIT;
	bool ok;

	add_wait_queue(wq, &wait);
	for (;;) {
		ok = cond(arg);
		if (ok || !left)
			break;
		/* The wakers use wake_up_interruptible*(). */
		left = wait_woken(&wait, TASK_INTERRUPTIBLE, left);
	}
	remove_wait_queue(wq, &wait);
	return ok;
}

static bool vt_readable(void *arg)
{
	return !!(vfs_poll(arg, NULL) & EPOLLIN);
}

/* Until the binding file has a message (its poll() says EPOLLIN). */
static void vt_wait_readable(struct kunit *test, struct file *f)
{
	KUNIT_ASSERT_TRUE_MSG(test, vt_wait_cond(vt_file_wq(test, f),
						 vt_readable, f),
			      "no message became readable");
}

struct vt_count {
	struct vscard_slot *slot;
	u32 n;
};

static bool vt_count_reached(void *arg)
{
	struct vt_count *p = arg;

	return vscard_reqs_count(&p->slot->reqs) == p->n;
}

/*
 * Until @n requests of @slot are outstanding.  Each submission wakes the
 * binding file @f through the owner's queued callback.
 */
static void vt_wait_count(struct kunit *test, struct file *f,
			  struct vscard_slot *slot, u32 n)
{
	struct vt_count p = { .slot = slot, .n = n };

	KUNIT_ASSERT_TRUE_MSG(test, vt_wait_cond(vt_file_wq(test, f),
						 vt_count_reached, &p),
			      "%u requests never became pending", n);
}

struct vt_msg_or_end {
	struct file *f;
	struct vt_thread *th;
};

static bool vt_msg_or_end(void *arg)
{
	struct vt_msg_or_end *p = arg;

	return vt_readable(p->f) || completion_done(&p->th->done);
}

/*
 * Until the binding file has a message, or @th finished.  (Its end does
 * not wake the file: should @th end first, this waits for VT_WAIT.)
 */
static void vt_wait_msg_or_end(struct kunit *test, struct file *f,
			       struct vt_thread *th)
{
	struct vt_msg_or_end p = { .f = f, .th = th };

	vt_wait_cond(vt_file_wq(test, f), vt_msg_or_end, &p);
}

/* Wait for a message and read it (without blocking); its id. */
static u64 vt_fetch(struct kunit *test, struct file *f, struct vscard_msg *m)
{
	struct vscard_msg tmp;

	if (!m)
		m = &tmp;
	vt_wait_readable(test, f);
	KUNIT_ASSERT_GE(test, vt_recv(f, m, NULL, 0), VT_HDR);
	return m->id;
}

static int vt_watch_wake(wait_queue_entry_t *wait, unsigned int mode,
			 int sync, void *key)
{
	struct vt_watch *w = container_of(wait, struct vt_watch, wait);

	if (key_to_poll(key) & EPOLLOUT)
		complete(&w->woken);
	return 0;
}

static void vt_watch(struct kunit *test, wait_queue_head_t *head)
{
	struct vt_ctx *c = test->priv;

	init_waitqueue_func_entry(&c->watch.wait, vt_watch_wake);
	reinit_completion(&c->watch.woken);
	c->watch.head = head;
	add_wait_queue(head, &c->watch.wait);
}

/* A device user: one vscard_slot_submit(), as the request ioctls do. */
struct vt_sub {
	struct vt_thread th;
	struct vscard_slot *slot;
	u32 type;
	u32 code;
	u32 tx_len;
	u32 rx_max;
	u32 timeout_ms;
	u64 insert_count;
	int ret;
	u64 id;
	u32 rx_len;
	u32 result;
	u8 rx[64];
};

static int vt_sub_fn(struct vt_thread *th)
{
	struct vt_sub *s = container_of(th, struct vt_sub, th);
	struct vscard_req *req;
	u32 i;

	req = vscard_req_alloc(s->type, s->code, s->tx_len, s->rx_max);
	if (!req) {
		s->ret = -ENOMEM;
		return 0;
	}
	for (i = 0; i < s->tx_len; i++)
		req->tx[i] = vt_byte(i);
	s->ret = vscard_slot_submit(s->slot, req, s->timeout_ms,
				    s->insert_count);
	s->id = req->id;
	s->rx_len = req->rx_len;
	s->result = req->result;
	if (!s->ret && req->rx)
		memcpy(s->rx, req->rx, min_t(u32, req->rx_len,
					     sizeof(s->rx)));
	vscard_req_put(req);
	return 0;
}

static struct vt_sub *vt_sub_new(struct kunit *test, unsigned int index,
				 u32 type, u32 code, u32 tx_len, u32 rx_max)
{
	struct vt_ctx *c = test->priv;
	struct vt_sub *s = kunit_kzalloc(test, sizeof(*s), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, s);
	s->slot = c->slots[index];
	s->type = type;
	s->code = code;
	s->tx_len = tx_len;
	s->rx_max = rx_max;
	s->timeout_ms = VT_LONG_MS;
	return s;
}

/* A TRANSMIT of @tx_len bytes on slot @index, in a new thread. */
static struct vt_sub *vt_submit(struct kunit *test, unsigned int index,
				u32 code, u32 tx_len, u32 rx_max)
{
	struct vt_sub *s = vt_sub_new(test, index, VSCARD_REQ_TRANSMIT, code,
				      tx_len, rx_max);

	vt_spawn(test, &s->th, vt_sub_fn, -1, false);
	return s;
}

/* A request submitted from the test thread; it must fail at once. */
static int vt_submit_now(struct kunit *test, struct vscard_slot *slot,
			 u64 insert_count)
{
	struct vscard_req *req;
	int ret;

	req = vscard_req_alloc(VSCARD_REQ_TRANSMIT, 0, 4, 16);
	KUNIT_ASSERT_NOT_NULL(test, req);
	/* The short deadline only bounds the test if it were queued. */
	ret = vscard_slot_submit(slot, req, 1000, insert_count);
	vscard_req_put(req);
	return ret;
}

/* A reader thread: one blocking read() of the binding file. */
struct vt_reader {
	struct vt_thread th;
	struct file *f;
	ssize_t ret;
	struct vscard_msg m;
};

static int vt_reader_fn(struct vt_thread *th)
{
	struct vt_reader *r = container_of(th, struct vt_reader, th);
	u8 *buf = kmalloc(VT_BUF, GFP_KERNEL);

	if (!buf) {
		r->ret = -ENOMEM;
		return 0;
	}
	r->ret = vt_read(r->f, buf, VT_BUF, false);
	if (r->ret >= VT_HDR)
		memcpy(&r->m, buf, sizeof(r->m));
	kfree(buf);
	return 0;
}

static struct vt_reader *vt_reader(struct kunit *test, struct file *f)
{
	struct vt_reader *r = kunit_kzalloc(test, sizeof(*r), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, r);
	r->f = f;
	vt_spawn(test, &r->th, vt_reader_fn, -1, false);
	return r;
}

/* ------------------------------------------------------------------------ */
/* The binding file                                                          */
/* ------------------------------------------------------------------------ */

static void vt_bfile_round_trip(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *slot = c->slots[0];
	static const u8 sw[] = { 0x90, 0x00 };
	struct vscard_cmd_done d = {
		.cmd = VSCARD_BCMD_DONE,
		.result = 0x9000,
		.len = 3,
	};
	struct vscard_status st;
	struct vscard_msg m;
	struct kvec kv[2];
	struct iov_iter it;
	struct vt_sub *s;
	u8 data[16];
	struct file *f;
	u64 epoch;
	u32 i;

	f = vt_bind_as(test, &vt_owner, 0, vt_key_a, vt_name_a, 0, &i, &epoch);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f);
	KUNIT_EXPECT_EQ(test, i, 0U);
	vscard_slot_get_status(slot, &st);
	KUNIT_EXPECT_EQ(test, st.flags, VSCARD_STATUS_BOUND);
	KUNIT_EXPECT_EQ(test, st.epoch, epoch);
	KUNIT_EXPECT_EQ(test, st.pool, c->pool);
	KUNIT_EXPECT_EQ(test, st.slot, 0U);
	KUNIT_EXPECT_STREQ(test, st.reader_name, vt_name_a);
	/* Nothing queued: writable only, and a read would block. */
	KUNIT_EXPECT_EQ(test, pm(vfs_poll(f, NULL)),
			pm(EPOLLOUT | EPOLLWRNORM));
	KUNIT_EXPECT_EQ(test, vt_try(f), (ssize_t)-EAGAIN);

	vt_card_in(test, f);
	vscard_slot_get_status(slot, &st);
	KUNIT_EXPECT_EQ(test, st.flags,
			VSCARD_STATUS_BOUND | VSCARD_STATUS_PRESENT);
	KUNIT_EXPECT_EQ(test, st.insert_count, 1ULL);
	KUNIT_EXPECT_EQ(test, st.atr_len, (u32)sizeof(vt_atr));
	KUNIT_EXPECT_EQ(test, memcmp(st.atr, vt_atr, sizeof(vt_atr)), 0);
	KUNIT_EXPECT_EQ(test, st.protocols, VSCARD_PROTO_T0 | VSCARD_PROTO_T1);

	/* A request wakes the poller and reads back whole. */
	s = vt_submit(test, 0, VSCARD_PROTO_T1, 5, 64);
	vt_wait_readable(test, f);
	KUNIT_EXPECT_EQ(test, pm(vfs_poll(f, NULL)),
			pm(EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM));
	KUNIT_ASSERT_EQ(test, vt_recv(f, &m, data, sizeof(data)), VT_HDR + 5);
	KUNIT_EXPECT_EQ(test, vscard_req_epoch(m.id), (u32)epoch);
	KUNIT_EXPECT_EQ(test, m.type, (u32)VSCARD_REQ_TRANSMIT);
	KUNIT_EXPECT_EQ(test, m.code, VSCARD_PROTO_T1);
	KUNIT_EXPECT_EQ(test, m.rx_max, 64U);
	KUNIT_EXPECT_EQ(test, m.len, 5U);
	for (i = 0; i < 5; i++)
		KUNIT_EXPECT_EQ(test, data[i], vt_byte(i));
	KUNIT_EXPECT_EQ(test, pm(vfs_poll(f, NULL)),
			pm(EPOLLOUT | EPOLLWRNORM));
	KUNIT_EXPECT_EQ(test, vt_try(f), (ssize_t)-EAGAIN);

	KUNIT_EXPECT_EQ(test, vt_done_full(f, m.id, 0, 0x9000, 0, sw, 2),
			VT_DONE_LEN + 2);
	vt_join(test, &s->th);
	KUNIT_EXPECT_EQ(test, s->ret, 0);
	KUNIT_EXPECT_EQ(test, s->rx_len, 2U);
	KUNIT_EXPECT_EQ(test, s->rx[0], 0x90);
	KUNIT_EXPECT_EQ(test, s->rx[1], 0x00);
	KUNIT_EXPECT_EQ(test, s->result, 0x9000U);
	/* A duplicate completion. */
	KUNIT_EXPECT_EQ(test, vt_done(f, m.id), (ssize_t)-ENOENT);

	/* writev(): header and data in two segments are one command. */
	s = vt_submit(test, 0, 0, 1, 64);
	d.id = vt_fetch(test, f, NULL);
	kv[0].iov_base = &d;
	kv[0].iov_len = sizeof(d);
	kv[1].iov_base = data;
	kv[1].iov_len = 3;
	iov_iter_kvec(&it, ITER_SOURCE, kv, 2, sizeof(d) + 3);
	KUNIT_EXPECT_EQ(test, vfs_iter_write(f, &it, NULL, 0),
			VT_DONE_LEN + 3);
	vt_join(test, &s->th);
	KUNIT_EXPECT_EQ(test, s->ret, 0);
	KUNIT_EXPECT_EQ(test, s->rx_len, 3U);
	KUNIT_EXPECT_EQ(test, memcmp(s->rx, data, 3), 0);

	KUNIT_EXPECT_EQ(test, atomic64_read(&slot->stats.requests), 2LL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&slot->stats.completed), 2LL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&slot->stats.stale), 1LL);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&slot->reqs), 0U);
}

static void vt_bfile_partial_read(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *slot = c->slots[0];
	struct vt_sub *big, *small;
	struct vscard_msg m;
	struct file *f;
	u8 *buf;

	buf = kunit_kzalloc(test, VT_BUF, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	f = vt_bind(test, 0, 0);
	vt_card_in(test, f);
	/* Too small for any header, even with nothing queued. */
	KUNIT_EXPECT_EQ(test, vt_read(f, buf, VT_HDR - 1, true),
			(ssize_t)-EMSGSIZE);

	big = vt_submit(test, 0, 1, 100, 16);
	vt_wait_count(test, f, slot, 1);
	small = vt_submit(test, 0, 2, 4, 16);
	vt_wait_count(test, f, slot, 2);

	/* The oldest does not fit: -EMSGSIZE, and it stays first in line. */
	KUNIT_EXPECT_EQ(test, vt_read(f, buf, VT_HDR - 1, true),
			(ssize_t)-EMSGSIZE);
	KUNIT_EXPECT_EQ(test, vt_read(f, buf, VT_HDR, true),
			(ssize_t)-EMSGSIZE);
	KUNIT_EXPECT_EQ(test, vt_read(f, buf, VT_HDR + 99, true),
			(ssize_t)-EMSGSIZE);
	KUNIT_EXPECT_EQ(test, vt_read(f, buf, VT_HDR + 99, false),
			(ssize_t)-EMSGSIZE);
	KUNIT_EXPECT_TRUE(test, vt_readable(f));
	KUNIT_EXPECT_EQ(test, slot->reqs.nqueued, 2U);

	KUNIT_ASSERT_EQ(test, vt_read(f, buf, VT_HDR + 100, true),
			VT_HDR + 100);
	memcpy(&m, buf, sizeof(m));
	KUNIT_EXPECT_EQ(test, m.code, 1U);
	KUNIT_EXPECT_EQ(test, m.len, 100U);
	KUNIT_EXPECT_EQ(test, buf[VT_HDR + 99], vt_byte(99));
	KUNIT_EXPECT_EQ(test, vt_done(f, m.id), VT_DONE_LEN);

	KUNIT_ASSERT_EQ(test, vt_recv(f, &m, NULL, 0), VT_HDR + 4);
	KUNIT_EXPECT_EQ(test, m.code, 2U);
	KUNIT_EXPECT_EQ(test, vt_done(f, m.id), VT_DONE_LEN);
	vt_join(test, &big->th);
	vt_join(test, &small->th);
	KUNIT_EXPECT_EQ(test, big->ret, 0);
	KUNIT_EXPECT_EQ(test, small->ret, 0);
}

static void vt_bfile_two_readers(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vt_reader *r[2];
	struct vt_sub *s[2];
	unsigned int i;
	struct file *f;

	f = vt_bind(test, 0, 0);
	vt_card_in(test, f);
	/* Two blocked readers, two requests: one each, none twice. */
	r[0] = vt_reader(test, f);
	r[1] = vt_reader(test, f);
	s[0] = vt_submit(test, 0, 1, 4, 16);
	s[1] = vt_submit(test, 0, 2, 4, 16);
	for (i = 0; i < 2; i++) {
		vt_join(test, &r[i]->th);
		KUNIT_EXPECT_EQ(test, r[i]->ret, VT_HDR + 4);
	}
	KUNIT_EXPECT_NE(test, r[0]->m.id, r[1]->m.id);
	KUNIT_EXPECT_NE(test, r[0]->m.code, r[1]->m.code);
	KUNIT_EXPECT_EQ(test, r[0]->m.code + r[1]->m.code, 3U);
	KUNIT_EXPECT_FALSE(test, vt_readable(f));

	for (i = 0; i < 2; i++)
		KUNIT_EXPECT_EQ(test, vt_done_full(f, r[i]->m.id, 0,
						   r[i]->m.code, 0, NULL, 0),
				VT_DONE_LEN);
	for (i = 0; i < 2; i++) {
		vt_join(test, &s[i]->th);
		KUNIT_EXPECT_EQ(test, s[i]->ret, 0);
		/* Each caller got the completion of its own request. */
		KUNIT_EXPECT_EQ(test, s[i]->result, s[i]->code);
	}
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&c->slots[0]->reqs), 0U);
}

static void vt_bfile_complete_errors(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *s0 = c->slots[0], *s1 = c->slots[1];
	struct file *f0, *f1;
	struct vscard_msg m;
	struct vt_sub *s;
	u64 id, epoch0;

	f0 = vt_bind_as(test, &vt_owner, 0, vt_key_a, vt_name_a, 0, NULL,
			&epoch0);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f0);
	f1 = vt_bind_as(test, &vt_owner, 1, vt_key_b, vt_name_b, 0, NULL,
			NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f1);
	vt_card_in(test, f0);
	vt_card_in(test, f1);

	s = vt_submit(test, 1, 0, 4, 16);
	id = vt_fetch(test, f1, &m);
	/* A request of another binding: not this file's to complete. */
	KUNIT_EXPECT_EQ(test, vt_done(f0, id), (ssize_t)-ENOENT);
	KUNIT_EXPECT_EQ(test, vt_done(f0, (u64)(u32)epoch0 << 32 | (u32)id),
			(ssize_t)-ENOENT);
	KUNIT_EXPECT_EQ(test, atomic64_read(&s0->stats.stale), 2LL);
	/* Unknown ids: other serial, other epoch, 0, beyond INT_MAX. */
	KUNIT_EXPECT_EQ(test, vt_done(f1, id + 1), (ssize_t)-ENOENT);
	KUNIT_EXPECT_EQ(test, vt_done(f1, id ^ (1ULL << 32)),
			(ssize_t)-ENOENT);
	KUNIT_EXPECT_EQ(test, vt_done(f1, 0), (ssize_t)-ENOENT);
	KUNIT_EXPECT_EQ(test, vt_done(f1, (id & ~0xffffffffULL) | 0x80000000),
			(ssize_t)-ENOENT);
	KUNIT_EXPECT_EQ(test, atomic64_read(&s1->stats.stale), 4LL);
	/* None of them touched the request. */
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&s1->reqs), 1U);

	KUNIT_EXPECT_EQ(test, vt_done(f1, id), VT_DONE_LEN);
	vt_join(test, &s->th);
	KUNIT_EXPECT_EQ(test, s->ret, 0);
	KUNIT_EXPECT_EQ(test, vt_done(f1, id), (ssize_t)-ENOENT);
}

/*
 * A request read by the agent times out: its caller gets -ETIMEDOUT, the
 * file queues a cancellation notice, read before any request, and the
 * late completion gets -ENOENT.  The deadline must expire after the read;
 * should the read come too late on a loaded machine, the deadline doubles.
 */
static void vt_bfile_stale_after_timeout(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *slot = c->slots[0];
	struct vt_sub *s = NULL, *next;
	struct vscard_msg m, cm;
	unsigned int attempt;
	struct file *f;
	ssize_t n = 0;

	f = vt_bind(test, 0, 0);
	vt_card_in(test, f);
	for (attempt = 0; attempt < 5; attempt++) {
		s = vt_sub_new(test, 0, VSCARD_REQ_CONTROL, 0x42000001, 2, 16);
		s->timeout_ms = 250U << attempt;
		vt_spawn(test, &s->th, vt_sub_fn, -1, false);
		vt_wait_msg_or_end(test, f, &s->th);
		n = vt_recv(f, &m, NULL, 0);
		vt_join(test, &s->th);
		KUNIT_EXPECT_EQ(test, s->ret, -ETIMEDOUT);
		if (n == VT_HDR + 2)
			break;
		/* Timed out before it was read: no notice for it. */
		KUNIT_EXPECT_EQ(test, n, (ssize_t)-EAGAIN);
		KUNIT_EXPECT_FALSE(test, vt_readable(f));
	}
	KUNIT_ASSERT_EQ_MSG(test, n, VT_HDR + 2,
			    "never read a request before its deadline");
	KUNIT_EXPECT_EQ(test, m.id, s->id);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&slot->reqs), 0U);

	/* Another request queued after it: the notice still comes first. */
	next = vt_submit(test, 0, 7, 4, 16);
	vt_wait_count(test, f, slot, 1);
	KUNIT_ASSERT_EQ(test, vt_recv(f, &cm, NULL, 0), VT_HDR);
	KUNIT_EXPECT_EQ(test, cm.type, (u32)VSCARD_MSG_CANCEL);
	KUNIT_EXPECT_EQ(test, cm.id, m.id);
	KUNIT_EXPECT_EQ(test, cm.len, 0U);
	KUNIT_EXPECT_EQ(test, vt_done(f, m.id), (ssize_t)-ENOENT);

	KUNIT_ASSERT_EQ(test, vt_recv(f, &cm, NULL, 0), VT_HDR + 4);
	KUNIT_EXPECT_EQ(test, cm.code, 7U);
	KUNIT_EXPECT_EQ(test, vt_try(f), (ssize_t)-EAGAIN);
	KUNIT_EXPECT_EQ(test, vt_done(f, cm.id), VT_DONE_LEN);
	vt_join(test, &next->th);
	KUNIT_EXPECT_EQ(test, next->ret, 0);
	KUNIT_EXPECT_EQ(test, atomic64_read(&slot->stats.timeouts),
			(s64)attempt + 1);
	KUNIT_EXPECT_EQ(test, atomic64_read(&slot->stats.stale), 1LL);
}

/* Malformed completions, each on top of a valid one for request @id. */
struct vt_bad_done {
	s32 status;
	u32 protocols;
	u32 len;
	u32 reserved;
	s32 extra;	/* bytes written beyond the header */
};

static const struct vt_bad_done vt_bad_dones[] = {
	{ .extra = -1 },			/* short header */
	{ .reserved = 1 },
	{ .status = 1 },
	{ .status = -4096 },			/* below -MAX_ERRNO */
	{ .status = -ERESTARTSYS },		/* kernel-internal */
	{ .status = -ERESTARTNOHAND },
	{ .status = -EIOCBQUEUED },
	{ .protocols = 0x8 },
	{ .len = VSCARD_DATA_MAX + 1 },
	{ .len = 4 },				/* bytes missing */
	{ .len = 4, .extra = 3 },
	{ .len = 4, .extra = 5 },		/* trailing bytes */
	{ .len = 0, .extra = 4 },
	{ .status = -EIO, .len = 4 },		/* only -ENOBUFS has a len */
	{ .status = -EIO, .extra = 4 },		/* an error has no bytes */
	{ .status = -ENOBUFS, .extra = 4 },
	{ .status = -ENOBUFS, .len = VSCARD_DATA_MAX + 1 },
};

/* Malformed card states. */
struct vt_bad_card {
	u32 state;
	u32 protocols;
	u32 atr_len;
	s32 extra;	/* bytes written beyond the struct */
};

static const struct vt_bad_card vt_bad_cards[] = {
	{ .state = VSCARD_CARD_PRESENT, .atr_len = 4, .extra = -1 },
	{ .state = VSCARD_CARD_PRESENT, .atr_len = 4, .extra = 1 },
	{ .state = 2, .atr_len = 4 },
	{ .state = VSCARD_CARD_PRESENT, .atr_len = 0 },
	{ .state = VSCARD_CARD_PRESENT, .atr_len = VSCARD_ATR_MAX + 1 },
	{ .state = VSCARD_CARD_PRESENT, .atr_len = 4, .protocols = 0x10 },
	{ .state = VSCARD_CARD_ABSENT, .atr_len = 3 },
};

/* Malformed commands: -EINVAL each, and no effect at all. */
static void vt_bfile_malformed_writes(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *slot = c->slots[0];
	struct vscard_cmd_done *d;
	struct vscard_cmd_card *cc;
	struct vscard_status st;
	struct vt_sub *s;
	struct file *f;
	unsigned int i;
	u64 id, seq;
	size_t size;
	u8 *buf;

	size = max(sizeof(*d), sizeof(*cc)) + 16;
	buf = kunit_kzalloc(test, size, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, buf);
	d = (struct vscard_cmd_done *)buf;
	cc = (struct vscard_cmd_card *)buf;
	f = vt_bind(test, 0, 0);
	vt_card_in(test, f);
	s = vt_submit(test, 0, 0, 4, 16);
	id = vt_fetch(test, f, NULL);
	seq = vt_seq(slot);

	/* No command, unknown commands. */
	d->cmd = VSCARD_BCMD_DONE;
	KUNIT_EXPECT_EQ(test, kernel_write(f, buf, 3, NULL), (ssize_t)-EINVAL);
	d->cmd = 99;
	KUNIT_EXPECT_EQ(test, kernel_write(f, buf, 4, NULL), (ssize_t)-EINVAL);
	d->cmd = 0;
	KUNIT_EXPECT_EQ(test, kernel_write(f, buf, sizeof(*d), NULL),
			(ssize_t)-EINVAL);

	for (i = 0; i < ARRAY_SIZE(vt_bad_dones); i++) {
		const struct vt_bad_done *b = &vt_bad_dones[i];

		memset(buf, 0, size);
		d->cmd = VSCARD_BCMD_DONE;
		d->id = id;
		d->status = b->status;
		d->protocols = b->protocols;
		d->len = b->len;
		d->reserved = b->reserved;
		KUNIT_EXPECT_EQ_MSG(test, kernel_write(f, buf,
						       sizeof(*d) + b->extra,
						       NULL),
				    (ssize_t)-EINVAL, "bad completion #%u", i);
	}
	for (i = 0; i < ARRAY_SIZE(vt_bad_cards); i++) {
		const struct vt_bad_card *b = &vt_bad_cards[i];

		memset(buf, 0, size);
		cc->cmd = VSCARD_BCMD_CARD;
		cc->state = b->state;
		cc->protocols = b->protocols;
		cc->atr_len = b->atr_len;
		memcpy(cc->atr, vt_atr2, sizeof(vt_atr2));
		KUNIT_EXPECT_EQ_MSG(test, kernel_write(f, buf,
						       sizeof(*cc) + b->extra,
						       NULL),
				    (ssize_t)-EINVAL, "bad card state #%u", i);
	}

	/* Nothing happened: same card, same status, the request pending. */
	vscard_slot_get_status(slot, &st);
	KUNIT_EXPECT_EQ(test, st.seq, seq);
	KUNIT_EXPECT_EQ(test, st.insert_count, 1ULL);
	KUNIT_EXPECT_EQ(test, st.flags,
			VSCARD_STATUS_BOUND | VSCARD_STATUS_PRESENT);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&slot->reqs), 1U);
	KUNIT_EXPECT_EQ(test, atomic64_read(&slot->stats.stale), 0LL);
	KUNIT_EXPECT_EQ(test, vt_done(f, id), VT_DONE_LEN);
	vt_join(test, &s->th);
	KUNIT_EXPECT_EQ(test, s->ret, 0);
}

/* Errors from the agent reach the caller, -ENOBUFS with the length. */
static void vt_bfile_enobufs(struct kunit *test)
{
	struct vt_sub *s;
	struct file *f;
	u64 id;

	f = vt_bind(test, 0, 0);
	vt_card_in(test, f);

	/* The remote side says how much it needs: the caller learns it. */
	s = vt_submit(test, 0, 0, 4, 16);
	id = vt_fetch(test, f, NULL);
	KUNIT_EXPECT_EQ(test, vt_done_full(f, id, -ENOBUFS, 0x6c00, 0, NULL,
					   300), VT_DONE_LEN);
	vt_join(test, &s->th);
	KUNIT_EXPECT_EQ(test, s->ret, -ENOBUFS);
	KUNIT_EXPECT_EQ(test, s->rx_len, 300U);
	KUNIT_EXPECT_EQ(test, s->result, 0x6c00U);

	/* A response larger than rx_max: -ENOBUFS, rx_len its length. */
	s = vt_submit(test, 0, 0, 4, 16);
	id = vt_fetch(test, f, NULL);
	KUNIT_EXPECT_EQ(test, vt_done_full(f, id, 0, 0x9000, 0, NULL, 20),
			VT_DONE_LEN + 20);
	vt_join(test, &s->th);
	KUNIT_EXPECT_EQ(test, s->ret, -ENOBUFS);
	KUNIT_EXPECT_EQ(test, s->rx_len, 20U);

	/* Exactly rx_max fits. */
	s = vt_submit(test, 0, 0, 4, 16);
	id = vt_fetch(test, f, NULL);
	KUNIT_EXPECT_EQ(test, vt_done_full(f, id, 0, 0x9000, 0, NULL, 16),
			VT_DONE_LEN + 16);
	vt_join(test, &s->th);
	KUNIT_EXPECT_EQ(test, s->ret, 0);
	KUNIT_EXPECT_EQ(test, s->rx_len, 16U);
	KUNIT_EXPECT_EQ(test, s->rx[15], vt_byte(15));

	/* Any other errno, with the remote status word. */
	s = vt_submit(test, 0, 0, 4, 16);
	id = vt_fetch(test, f, NULL);
	KUNIT_EXPECT_EQ(test, vt_done_full(f, id, -EIO, 0x6f00, 0, NULL, 0),
			VT_DONE_LEN);
	vt_join(test, &s->th);
	KUNIT_EXPECT_EQ(test, s->ret, -EIO);
	KUNIT_EXPECT_EQ(test, s->result, 0x6f00U);
	KUNIT_EXPECT_EQ(test, s->rx_len, 0U);
}

/* UNBIND: pending callers fail, the file reads EOF and hangs up. */
static void vt_bfile_unbind_eof(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *slot = c->slots[0];
	struct vt_sub *s0, *s1;
	struct vt_reader *r;
	struct file *f, *f2;
	u8 buf[VT_HDR + 8];
	u64 id, epoch, epoch2;

	f = vt_bind_as(test, &vt_owner, 0, vt_key_a, vt_name_a, VT_LONG_MS,
		       NULL, &epoch);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f);
	vt_card_in(test, f);
	s0 = vt_submit(test, 0, 0, 4, 16);
	vt_wait_count(test, f, slot, 1);
	s1 = vt_submit(test, 0, 1, 4, 16);
	vt_wait_count(test, f, slot, 2);
	id = vt_fetch(test, f, NULL);

	/* An admin UNBIND ends the binding with no linger, whatever it asked. */
	KUNIT_EXPECT_EQ(test, vscard_slot_unbind(slot), 0);
	vt_join(test, &s0->th);
	vt_join(test, &s1->th);
	KUNIT_EXPECT_EQ(test, s0->ret, -ENOMEDIUM);
	KUNIT_EXPECT_EQ(test, s1->ret, -ENOMEDIUM);
	KUNIT_EXPECT_EQ(test, atomic64_read(&slot->stats.aborted), 2LL);
	KUNIT_EXPECT_EQ(test, vt_flags(slot), 0U);
	KUNIT_EXPECT_EQ(test, vscard_slot_unbind(slot), -ENOENT);

	KUNIT_EXPECT_EQ(test, vt_try(f), 0);
	KUNIT_EXPECT_EQ(test, vt_read(f, buf, sizeof(buf), false), 0);
	r = vt_reader(test, f);
	vt_join(test, &r->th);
	KUNIT_EXPECT_EQ(test, r->ret, 0);
	KUNIT_EXPECT_EQ(test, pm(vfs_poll(f, NULL)),
			pm(EPOLLOUT | EPOLLWRNORM | EPOLLHUP | EPOLLIN |
			   EPOLLRDNORM));
	KUNIT_EXPECT_EQ(test, vt_done(f, id), (ssize_t)-ENODEV);
	KUNIT_EXPECT_EQ(test, vt_card(f, true, vt_atr, sizeof(vt_atr), 0),
			(ssize_t)-ENODEV);

	/* A new binding of the slot is out of the old file's reach. */
	f2 = vt_bind_as(test, &vt_owner, 0, vt_key_a, vt_name_a, 0, NULL,
			&epoch2);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f2);
	KUNIT_EXPECT_EQ(test, epoch2, epoch + 1);
	KUNIT_EXPECT_EQ(test, vt_card(f, true, vt_atr, sizeof(vt_atr), 0),
			(ssize_t)-ENODEV);
	KUNIT_EXPECT_EQ(test, vt_try(f), 0);
	KUNIT_EXPECT_EQ(test, vt_flags(slot), VSCARD_STATUS_BOUND);
	vt_card_in(test, f2);
	/* Closing the dead file leaves the new binding alone. */
	vt_close(test, f);
	KUNIT_EXPECT_EQ(test, vt_flags(slot),
			VSCARD_STATUS_BOUND | VSCARD_STATUS_PRESENT);
}

/* POOL_DEL: callers get -ENODEV, files read EOF and hang up. */
static void vt_bfile_pool_del_eof(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *slot = c->slots[0];
	struct vt_sub *s[2];
	struct vt_reader *r;
	struct file *f0, *f1;
	unsigned int i;
	u64 seq;

	f0 = vt_bind(test, 0, VT_LONG_MS);
	f1 = vt_bind_as(test, &vt_owner, 1, vt_key_b, vt_name_b, 0, NULL,
			NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f1);
	vt_card_in(test, f0);
	vt_card_in(test, f1);
	/* A reader blocked on slot 0, two callers waiting on slot 1. */
	r = vt_reader(test, f0);
	s[0] = vt_submit(test, 1, 0, 4, 16);
	s[1] = vt_submit(test, 1, 1, 4, 16);
	vt_wait_count(test, f1, c->slots[1], 2);
	vt_fetch(test, f1, NULL);

	KUNIT_ASSERT_EQ(test, vscard_pool_del(c->pool), 0);
	c->have_pool = false;
	vt_join(test, &r->th);
	KUNIT_EXPECT_EQ(test, r->ret, 0);
	for (i = 0; i < 2; i++) {
		vt_join(test, &s[i]->th);
		KUNIT_EXPECT_EQ(test, s[i]->ret, -ENODEV);
	}
	KUNIT_EXPECT_EQ(test, vt_try(f0), 0);
	KUNIT_EXPECT_EQ(test, vt_try(f1), 0);
	KUNIT_EXPECT_TRUE(test, vfs_poll(f0, NULL) & EPOLLHUP);
	KUNIT_EXPECT_TRUE(test, vfs_poll(f1, NULL) & EPOLLHUP);
	KUNIT_EXPECT_EQ(test, vt_done(f1, 1ULL << 32 | 1), (ssize_t)-ENODEV);
	KUNIT_EXPECT_EQ(test, vt_card(f0, false, NULL, 0, 0),
			(ssize_t)-ENODEV);

	/* The slot is dead: no linger, no status, no requests, no waits. */
	KUNIT_EXPECT_EQ(test, vt_flags(slot), 0U);
	KUNIT_EXPECT_EQ(test, pm(vscard_slot_poll_mask(slot, 0)),
			pm(EPOLLHUP | EPOLLERR));
	seq = vt_seq(slot);
	KUNIT_EXPECT_EQ(test, vscard_slot_wait_status(slot, &seq, 1000),
			-ENODEV);
	KUNIT_EXPECT_EQ(test, vt_submit_now(test, slot, 0), -ENODEV);
	KUNIT_EXPECT_EQ(test, vscard_slot_unbind(slot), -ENODEV);
	KUNIT_EXPECT_EQ(test, vt_bind_ret(test, &vt_owner, 0, vt_key_a,
					  vt_name_a), -ENOENT);
	vt_close(test, f0);
	vt_close(test, f1);
}

/* close() with a linger time: the slot is reserved, callers fail now. */
static void vt_bfile_close_linger(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *slot = c->slots[0];
	struct vscard_status st;
	struct vt_sub *s[2];
	unsigned int i;
	struct file *f;

	f = vt_bind(test, 0, VT_LONG_MS);
	vt_card_in(test, f);
	s[0] = vt_submit(test, 0, 0, 4, 16);
	vt_wait_count(test, f, slot, 1);
	s[1] = vt_submit(test, 0, 1, 4, 16);
	vt_wait_count(test, f, slot, 2);
	vt_fetch(test, f, NULL);

	vt_close(test, f);
	/* The callers' deadline is a minute away: they fail at once. */
	for (i = 0; i < 2; i++) {
		vt_join(test, &s[i]->th);
		KUNIT_EXPECT_EQ(test, s[i]->ret, -ENOMEDIUM);
	}
	vscard_slot_get_status(slot, &st);
	KUNIT_EXPECT_EQ(test, st.flags, VSCARD_STATUS_LINGERING);
	KUNIT_EXPECT_STREQ(test, st.reader_name, vt_name_a);
	KUNIT_EXPECT_EQ(test, st.atr_len, 0U);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&slot->reqs), 0U);
	KUNIT_EXPECT_EQ(test, atomic64_read(&slot->stats.aborted), 2LL);
	KUNIT_EXPECT_EQ(test, vt_submit_now(test, slot, 0), -ENOMEDIUM);
	KUNIT_EXPECT_EQ(test, pm(vscard_slot_poll_mask(slot, st.seq)), 0U);
}

/* A binding file abandoned by BIND never lingers. */
static void vt_bfile_abandon(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *slot = c->slots[0];
	struct vscard_status st;
	struct vt_sub *s;
	struct file *f;

	f = vt_bind(test, 0, VT_LONG_MS);
	vt_card_in(test, f);
	s = vt_submit(test, 0, 0, 4, 16);
	vt_wait_count(test, f, slot, 1);

	vt_untrack(test, f);
	vscard_bfile_abandon(f);
	flush_delayed_fput();
	vt_join(test, &s->th);
	KUNIT_EXPECT_EQ(test, s->ret, -ENOMEDIUM);
	vscard_slot_get_status(slot, &st);
	KUNIT_EXPECT_EQ(test, st.flags, 0U);
	KUNIT_EXPECT_STREQ(test, st.reader_name, "");
	/* Not reserved: another session takes it. */
	KUNIT_EXPECT_EQ(test, vt_bind_ret(test, &vt_owner, 0, vt_key_b,
					  vt_name_b), 0);
}

static struct kunit_case vt_bfile_cases[] = {
	KUNIT_CASE(vt_bfile_round_trip),
	KUNIT_CASE(vt_bfile_partial_read),
	KUNIT_CASE(vt_bfile_two_readers),
	KUNIT_CASE(vt_bfile_complete_errors),
	KUNIT_CASE(vt_bfile_stale_after_timeout),
	KUNIT_CASE(vt_bfile_malformed_writes),
	KUNIT_CASE(vt_bfile_enobufs),
	KUNIT_CASE(vt_bfile_unbind_eof),
	KUNIT_CASE(vt_bfile_pool_del_eof),
	KUNIT_CASE(vt_bfile_close_linger),
	KUNIT_CASE(vt_bfile_abandon),
	{}
};

static struct kunit_suite vt_bfile_suite = {
	.name = "vscard_bfile",
	.init = vt_init,
	.exit = vt_exit,
	.test_cases = vt_bfile_cases,
};

/* ------------------------------------------------------------------------ */
/* Pools: ownership, linger, quota                                          */
/* ------------------------------------------------------------------------ */

/* A bare owner object, for vscard_pool_bind() without a binding file. */
struct vt_owner_obj {
	unsigned int queued;
	unsigned int cancelled;
	unsigned int ended;
};

static void vt_owner_queued(void *owner)
{
	((struct vt_owner_obj *)owner)->queued++;
}

static void vt_owner_cancelled(void *owner, u64 id)
{
	((struct vt_owner_obj *)owner)->cancelled++;
}

static void vt_owner_ended(void *owner)
{
	((struct vt_owner_obj *)owner)->ended++;
}

static const struct vscard_owner_ops vt_owner_ops = {
	.queued = vt_owner_queued,
	.cancelled = vt_owner_cancelled,
	.ended = vt_owner_ended,
};

static void vt_pool_bind_perm(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_bind_args a = {
		.pool = c->pool,
		.slot = 2,
		.key = vt_key_a,
		.key_len = sizeof(vt_key_a) - 1,
		.name = vt_name_a,
	};
	struct vt_owner_obj *o;
	struct vscard_slot *slot;
	char *name;
	u64 epoch;

	/* The owner, and an admin of another uid, bind. */
	KUNIT_EXPECT_EQ(test, vt_bind_ret(test, &vt_owner, 0, vt_key_a,
					  vt_name_a), 0);
	KUNIT_EXPECT_EQ(test, vt_bind_ret(test, &vt_admin, 1, vt_key_b,
					  vt_name_b), 0);
	/* Another uid, or a mismatched one, may not use the pool. */
	KUNIT_EXPECT_EQ(test, vt_bind_ret(test, &vt_other, 2, vt_key_b,
					  vt_name_b), -EPERM);
	KUNIT_EXPECT_EQ(test, vt_bind_ret(test, &vt_other, -1, vt_key_b,
					  vt_name_b), -EPERM);
	KUNIT_EXPECT_EQ(test, vt_bind_ret(test, &vt_nobody, 2, vt_key_b,
					  vt_name_b), -EPERM);
	KUNIT_EXPECT_EQ(test, vt_flags(c->slots[2]), 0U);
	/* Bound slots are nobody else's, not even the same session's. */
	KUNIT_EXPECT_EQ(test, vt_bind_ret(test, &vt_owner, 0, vt_key_a,
					  vt_name_a), -EBUSY);
	KUNIT_EXPECT_EQ(test, vt_bind_ret(test, &vt_admin, 0, vt_key_b,
					  vt_name_b), -EBUSY);
	/* Bad arguments. */
	KUNIT_EXPECT_EQ(test, vt_bind_ret(test, &vt_owner, VT_SLOTS, vt_key_a,
					  vt_name_a), -ENOENT);
	KUNIT_EXPECT_EQ(test, vt_bind_ret(test, &vt_owner, 2, "", vt_name_a),
			-EINVAL);
	name = kunit_kzalloc(test, VSCARD_NAME_MAX + 1, GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, name);
	memset(name, 'n', VSCARD_NAME_MAX);
	KUNIT_EXPECT_EQ(test, vt_bind_ret(test, &vt_owner, 2, vt_key_a, name),
			-EINVAL);
	a.key_len = VSCARD_KEY_MAX + 1;
	KUNIT_EXPECT_PTR_EQ(test, vscard_pool_bind(&a, &vt_owner, NULL,
						   &vt_owner_ops, &epoch),
			    ERR_PTR(-EINVAL));
	a.key_len = sizeof(vt_key_a) - 1;
	a.pool = INT_MAX;
	KUNIT_EXPECT_PTR_EQ(test, vscard_pool_bind(&a, &vt_admin, NULL,
						   &vt_owner_ops, &epoch),
			    ERR_PTR(-ENOENT));
	a.pool = c->pool;

	/* The bare layer: the owner object is told the binding ended. */
	o = kunit_kzalloc(test, sizeof(*o), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, o);
	KUNIT_EXPECT_PTR_EQ(test, vscard_pool_bind(&a, &vt_other, o,
						   &vt_owner_ops, &epoch),
			    ERR_PTR(-EPERM));
	slot = vscard_pool_bind(&a, &vt_owner, o, &vt_owner_ops, &epoch);
	KUNIT_ASSERT_FALSE(test, IS_ERR_OR_NULL(slot));
	KUNIT_EXPECT_PTR_EQ(test, slot, c->slots[2]);
	KUNIT_EXPECT_EQ(test, vt_flags(slot), VSCARD_STATUS_BOUND);
	KUNIT_EXPECT_EQ(test, vscard_slot_unbind(slot), 0);
	KUNIT_EXPECT_EQ(test, o->ended, 1U);
	KUNIT_EXPECT_PTR_EQ(test, vscard_slot_take_req(slot, o, VT_BUF,
						       VT_HDR),
			    ERR_PTR(-ENODEV));
	KUNIT_EXPECT_EQ(test, vscard_slot_complete(slot, o, 1ULL << 32 | 1, 0,
						   0, 0, NULL, 0), -ENODEV);
	KUNIT_EXPECT_EQ(test, vscard_slot_card_set(slot, o, true, vt_atr,
						   sizeof(vt_atr), 0),
			-ENODEV);
	vscard_slot_owner_gone(slot, o, true);
	KUNIT_EXPECT_EQ(test, vt_flags(slot), 0U);
	KUNIT_EXPECT_EQ(test, o->ended, 1U);
	put_device(&slot->dev);
}

/* A linger is taken back by the same uid with the same key only. */
static void vt_pool_linger_reclaim(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *slot = c->slots[0];
	struct vscard_status st;
	struct file *f;
	u64 epoch, epoch2;
	u32 idx;

	f = vt_bind_as(test, &vt_owner, 0, vt_key_a, vt_name_a, VT_LONG_MS,
		       NULL, &epoch);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f);
	vt_card_in(test, f);
	vt_close(test, f);
	KUNIT_ASSERT_EQ(test, vt_flags(slot), VSCARD_STATUS_LINGERING);

	/* Same uid, another key. */
	KUNIT_EXPECT_EQ(test, vt_bind_ret(test, &vt_owner, 0, vt_key_b,
					  vt_name_a), -EBUSY);
	/* Another uid with the same key, even an admin. */
	KUNIT_EXPECT_EQ(test, vt_bind_ret(test, &vt_admin, 0, vt_key_a,
					  vt_name_a), -EBUSY);
	KUNIT_EXPECT_EQ(test, vt_flags(slot), VSCARD_STATUS_LINGERING);
	/* Letting the kernel pick, both get a free slot instead. */
	f = vt_bind_as(test, &vt_admin, -1, vt_key_a, vt_name_a, 0, &idx,
		       NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f);
	KUNIT_EXPECT_EQ(test, idx, 1U);
	f = vt_bind_as(test, &vt_owner, -1, vt_key_b, vt_name_a, 0, &idx,
		       NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f);
	KUNIT_EXPECT_EQ(test, idx, 2U);
	KUNIT_EXPECT_EQ(test, vt_flags(slot), VSCARD_STATUS_LINGERING);

	/* The session comes back: its slot, a new epoch. */
	f = vt_bind_as(test, &vt_owner, -1, vt_key_a, vt_name_a, 0, &idx,
		       &epoch2);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f);
	KUNIT_EXPECT_EQ(test, idx, 0U);
	KUNIT_EXPECT_EQ(test, epoch2, epoch + 1);
	vscard_slot_get_status(slot, &st);
	KUNIT_EXPECT_EQ(test, st.flags, VSCARD_STATUS_BOUND);
	KUNIT_EXPECT_EQ(test, st.epoch, epoch2);
	/* The expiry of the old linger, run now, leaves it alone. */
	flush_delayed_work(&slot->linger_work);
	KUNIT_EXPECT_EQ(test, vt_flags(slot), VSCARD_STATUS_BOUND);
}

/* The kernel's pick: same key and name, then same key, then free. */
static void vt_pool_linger_pick(struct kunit *test)
{
	struct file *f;
	u32 idx;

	f = vt_bind_as(test, &vt_owner, 0, vt_key_a, vt_name_a, VT_LONG_MS,
		       NULL, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f);
	vt_close(test, f);
	f = vt_bind_as(test, &vt_owner, 1, vt_key_a, vt_name_b, VT_LONG_MS,
		       NULL, NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f);
	vt_close(test, f);

	f = vt_bind_as(test, &vt_owner, -1, vt_key_a, vt_name_b, 0, &idx,
		       NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f);
	KUNIT_EXPECT_EQ(test, idx, 1U);
	f = vt_bind_as(test, &vt_owner, -1, vt_key_a, "Reader C", 0, &idx,
		       NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f);
	KUNIT_EXPECT_EQ(test, idx, 0U);
	f = vt_bind_as(test, &vt_owner, -1, vt_key_a, vt_name_a, 0, &idx,
		       NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f);
	KUNIT_EXPECT_EQ(test, idx, 2U);
}

static void vt_pool_linger_expiry(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *slot = c->slots[0];
	static const struct vt_event want[] = {
		{ VSCARD_EVENT_BIND, 0 },
		{ VSCARD_EVENT_LINGER, 0 },
		{ VSCARD_EVENT_UNBIND, 0 },
		{ VSCARD_EVENT_BIND, 0 },
	};
	struct vscard_status st;
	struct file *f;

	f = vt_bind(test, 0, VT_LONG_MS);
	vt_close(test, f);
	KUNIT_ASSERT_EQ(test, vt_flags(slot), VSCARD_STATUS_LINGERING);
	/* Expire it now rather than in a minute. */
	flush_delayed_work(&slot->linger_work);
	vscard_slot_get_status(slot, &st);
	KUNIT_EXPECT_EQ(test, st.flags, 0U);
	KUNIT_EXPECT_STREQ(test, st.reader_name, "");
	/* Free again: another session takes it. */
	KUNIT_EXPECT_EQ(test, vt_bind_ret(test, &vt_owner, 0, vt_key_b,
					  vt_name_b), 0);
	vt_expect_events(test, want, ARRAY_SIZE(want));
}

/* A pool of N slots is a quota of N bindings. */
static void vt_pool_quota(struct kunit *test)
{
	struct file *f[VT_SLOTS];
	unsigned long seen = 0;
	unsigned int i;
	u32 idx;

	for (i = 0; i < VT_SLOTS; i++) {
		f[i] = vt_bind_as(test, &vt_owner, -1, vt_key_a, vt_name_a, 0,
				  &idx, NULL);
		KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f[i]);
		KUNIT_ASSERT_LT(test, idx, (u32)VT_SLOTS);
		seen |= BIT(idx);
	}
	KUNIT_EXPECT_EQ(test, seen, BIT(VT_SLOTS) - 1);
	KUNIT_EXPECT_EQ(test, vt_bind_ret(test, &vt_owner, -1, vt_key_b,
					  vt_name_b), -EBUSY);
	KUNIT_EXPECT_EQ(test, vt_bind_ret(test, &vt_admin, -1, vt_key_b,
					  vt_name_b), -EBUSY);
	/* One binding ends: one more may be made, in its slot. */
	vt_close(test, f[1]);
	f[1] = vt_bind_as(test, &vt_owner, -1, vt_key_b, vt_name_b, 0, &idx,
			  NULL);
	KUNIT_ASSERT_NOT_ERR_OR_NULL(test, f[1]);
	KUNIT_EXPECT_EQ(test, BIT(idx) & seen, BIT(idx));
	KUNIT_EXPECT_EQ(test, vt_bind_ret(test, &vt_owner, -1, vt_key_b,
					  vt_name_b), -EBUSY);
}

static struct kunit_case vt_pool_cases[] = {
	KUNIT_CASE(vt_pool_bind_perm),
	KUNIT_CASE(vt_pool_linger_reclaim),
	KUNIT_CASE(vt_pool_linger_pick),
	KUNIT_CASE(vt_pool_linger_expiry),
	KUNIT_CASE(vt_pool_quota),
	{}
};

static struct kunit_suite vt_pool_suite = {
	.name = "vscard_pool",
	.init = vt_init,
	.exit = vt_exit,
	.test_cases = vt_pool_cases,
};

/* ------------------------------------------------------------------------ */
/* Slots: status, requests, and the fixes of ABI 2                          */
/* ------------------------------------------------------------------------ */

static void vt_slot_submit_checks(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *slot = c->slots[0];
	struct file *f;

	KUNIT_EXPECT_EQ(test, vt_submit_now(test, slot, 0), -ENOMEDIUM);
	f = vt_bind(test, 0, VT_LONG_MS);
	/* Bound, no card. */
	KUNIT_EXPECT_EQ(test, vt_submit_now(test, slot, 0), -ENOMEDIUM);
	vt_card_in(test, f);
	/* The caller expects another insertion. */
	KUNIT_EXPECT_EQ(test, vt_submit_now(test, slot, 2), -ENOMEDIUM);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&slot->reqs), 0U);
	/* Lingering. */
	vt_close(test, f);
	KUNIT_EXPECT_EQ(test, vt_submit_now(test, slot, 0), -ENOMEDIUM);
	KUNIT_EXPECT_EQ(test, atomic64_read(&slot->stats.requests), 0LL);
}

/* Card removal or replacement fails pending requests; insert_count. */
static void vt_slot_card_change(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *slot = c->slots[0];
	struct vscard_status st;
	struct vt_sub *s[3];
	struct file *f;
	u64 seq;

	f = vt_bind(test, 0, 0);
	vt_card_in(test, f);
	s[0] = vt_submit(test, 0, 0, 4, 16);
	s[1] = vt_submit(test, 0, 1, 4, 16);
	vt_wait_count(test, f, slot, 2);
	vt_fetch(test, f, NULL);

	/* Replaced. */
	KUNIT_EXPECT_EQ(test, vt_card(f, true, vt_atr2, sizeof(vt_atr2),
				      VSCARD_PROTO_T1), VT_CARD_LEN);
	vt_join(test, &s[0]->th);
	vt_join(test, &s[1]->th);
	KUNIT_EXPECT_EQ(test, s[0]->ret, -ENOMEDIUM);
	KUNIT_EXPECT_EQ(test, s[1]->ret, -ENOMEDIUM);
	vscard_slot_get_status(slot, &st);
	KUNIT_EXPECT_EQ(test, st.insert_count, 2ULL);
	KUNIT_EXPECT_EQ(test, st.atr_len, (u32)sizeof(vt_atr2));

	/* The same card, other protocols: a change, not an insertion. */
	s[2] = vt_submit(test, 0, 2, 4, 16);
	vt_wait_count(test, f, slot, 1);
	seq = st.seq;
	KUNIT_EXPECT_EQ(test, vt_card(f, true, vt_atr2, sizeof(vt_atr2),
				      VSCARD_PROTO_T0), VT_CARD_LEN);
	vscard_slot_get_status(slot, &st);
	KUNIT_EXPECT_NE(test, st.seq, seq);
	KUNIT_EXPECT_EQ(test, st.insert_count, 2ULL);
	KUNIT_EXPECT_EQ(test, vscard_reqs_count(&slot->reqs), 1U);
	/* Nothing changes at all: same seq. */
	seq = st.seq;
	KUNIT_EXPECT_EQ(test, vt_card(f, true, vt_atr2, sizeof(vt_atr2),
				      VSCARD_PROTO_T0), VT_CARD_LEN);
	KUNIT_EXPECT_EQ(test, vt_seq(slot), seq);

	/* Removed. */
	KUNIT_EXPECT_EQ(test, vt_card(f, false, NULL, 0, 0), VT_CARD_LEN);
	vt_join(test, &s[2]->th);
	KUNIT_EXPECT_EQ(test, s[2]->ret, -ENOMEDIUM);
	vscard_slot_get_status(slot, &st);
	KUNIT_EXPECT_EQ(test, st.flags, VSCARD_STATUS_BOUND);
	KUNIT_EXPECT_EQ(test, st.atr_len, 0U);
	KUNIT_EXPECT_EQ(test, st.insert_count, 2ULL);
	/* Back in: an insertion, even with the same ATR. */
	KUNIT_EXPECT_EQ(test, vt_card(f, true, vt_atr2, sizeof(vt_atr2),
				      VSCARD_PROTO_T0), VT_CARD_LEN);
	vscard_slot_get_status(slot, &st);
	KUNIT_EXPECT_EQ(test, st.insert_count, 3ULL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&slot->stats.aborted), 3LL);
}

/* Power up and down through the agent. */
static void vt_slot_power(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *slot = c->slots[0];
	struct vscard_status st;
	struct vscard_msg m;
	struct vt_sub *s;
	struct file *f;
	u64 seq;

	f = vt_bind(test, 0, 0);
	vt_card_in(test, f);
	seq = vt_seq(slot);
	s = vt_sub_new(test, 0, VSCARD_REQ_POWER, VSCARD_POWER_UP, 0,
		       VSCARD_ATR_MAX);
	vt_spawn(test, &s->th, vt_sub_fn, -1, false);
	vt_fetch(test, f, &m);
	KUNIT_EXPECT_EQ(test, m.type, (u32)VSCARD_REQ_POWER);
	KUNIT_EXPECT_EQ(test, m.code, (u32)VSCARD_POWER_UP);
	KUNIT_EXPECT_EQ(test, m.rx_max, (u32)VSCARD_ATR_MAX);
	KUNIT_EXPECT_EQ(test, vt_done_full(f, m.id, 0, 0, VSCARD_PROTO_T1,
					   vt_atr, sizeof(vt_atr)),
			VT_DONE_LEN + (ssize_t)sizeof(vt_atr));
	vt_join(test, &s->th);
	KUNIT_EXPECT_EQ(test, s->ret, 0);
	KUNIT_EXPECT_EQ(test, s->rx_len, (u32)sizeof(vt_atr));
	vscard_slot_get_status(slot, &st);
	KUNIT_EXPECT_EQ(test, st.flags, VSCARD_STATUS_BOUND |
			VSCARD_STATUS_PRESENT | VSCARD_STATUS_POWERED);
	KUNIT_EXPECT_EQ(test, st.active_protocol, VSCARD_PROTO_T1);
	KUNIT_EXPECT_NE(test, st.seq, seq);

	s = vt_sub_new(test, 0, VSCARD_REQ_POWER, VSCARD_POWER_DOWN, 0, 0);
	vt_spawn(test, &s->th, vt_sub_fn, -1, false);
	KUNIT_EXPECT_EQ(test, vt_done(f, vt_fetch(test, f, NULL)),
			VT_DONE_LEN);
	vt_join(test, &s->th);
	KUNIT_EXPECT_EQ(test, s->ret, 0);
	KUNIT_EXPECT_EQ(test, vt_flags(slot),
			VSCARD_STATUS_BOUND | VSCARD_STATUS_PRESENT);
}

/*
 * The agent of vt_slot_power_vs_replace(): it completes the power-up and
 * replaces the card without sleeping in between.  It is real-time and on
 * the submitter's CPU, so the submitter, woken by the completion, cannot
 * run before the replacement is done.  The status sequence shows whether
 * that held: only the replacement may have changed it.
 */
struct vt_pwr_agent {
	struct vt_thread th;
	struct file *f;
	struct vscard_slot *slot;
	ssize_t rd;
	ssize_t done;
	ssize_t card;
	u64 seq_before;
	u64 seq_after;
	struct vscard_msg m;
};

static int vt_pwr_agent_fn(struct vt_thread *th)
{
	struct vt_pwr_agent *a = container_of(th, struct vt_pwr_agent, th);
	struct vscard_cmd_card cc = {
		.cmd = VSCARD_BCMD_CARD,
		.state = VSCARD_CARD_PRESENT,
		.protocols = VSCARD_PROTO_T1,
		.atr_len = sizeof(vt_atr2),
	};
	struct vscard_cmd_done d = {
		.cmd = VSCARD_BCMD_DONE,
		.protocols = VSCARD_PROTO_T1,
	};
	struct vscard_status *st;

	st = kmalloc(sizeof(*st), GFP_KERNEL);
	if (!st)
		return 0;
	memcpy(cc.atr, vt_atr2, sizeof(vt_atr2));
	a->rd = kernel_read(a->f, &a->m, sizeof(a->m), NULL);
	if (a->rd == VT_HDR) {
		d.id = a->m.id;
		vscard_slot_get_status(a->slot, st);
		a->seq_before = st->seq;
		a->done = kernel_write(a->f, &d, sizeof(d), NULL);
		a->card = kernel_write(a->f, &cc, sizeof(cc), NULL);
		vscard_slot_get_status(a->slot, st);
		a->seq_after = st->seq;
	}
	kfree(st);
	return 0;
}

/*
 * A card replaced between a power-up's completion and the return of its
 * vscard_slot_submit() must not leave the new card POWERED.  ABI 1
 * compared only the epoch and the PRESENT flag.
 */
static void vt_slot_power_vs_replace(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *slot = c->slots[0];
	int cpu = cpumask_first(cpu_online_mask);
	struct vt_pwr_agent *a;
	struct vscard_status st;
	struct vt_sub *s;
	struct file *f;

	f = vt_bind(test, 0, 0);
	vt_card_in(test, f);
	a = kunit_kzalloc(test, sizeof(*a), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, a);
	a->f = f;
	a->slot = slot;
	vt_spawn(test, &a->th, vt_pwr_agent_fn, cpu, true);
	s = vt_sub_new(test, 0, VSCARD_REQ_POWER, VSCARD_POWER_UP, 0,
		       VSCARD_ATR_MAX);
	vt_spawn(test, &s->th, vt_sub_fn, cpu, false);
	vt_join(test, &a->th);
	vt_join(test, &s->th);

	KUNIT_ASSERT_EQ(test, a->rd, VT_HDR);
	KUNIT_EXPECT_EQ(test, a->m.type, (u32)VSCARD_REQ_POWER);
	KUNIT_EXPECT_EQ(test, a->done, VT_DONE_LEN);
	KUNIT_EXPECT_EQ(test, a->card, VT_CARD_LEN);
	KUNIT_EXPECT_EQ(test, s->ret, 0);
	if (a->seq_after != a->seq_before + 1)
		kunit_skip(test, "submitter ran first (seq %llu -> %llu)",
			   a->seq_before, a->seq_after);

	vscard_slot_get_status(slot, &st);
	KUNIT_EXPECT_EQ_MSG(test, st.flags,
			    VSCARD_STATUS_BOUND | VSCARD_STATUS_PRESENT,
			    "the replacement card is marked powered");
	KUNIT_EXPECT_EQ(test, st.active_protocol, 0U);
	KUNIT_EXPECT_EQ(test, st.insert_count, 2ULL);
	KUNIT_EXPECT_EQ(test, st.seq, a->seq_after);
	KUNIT_EXPECT_EQ(test, st.atr_len, (u32)sizeof(vt_atr2));
}

/*
 * A full slot becomes writable when a request completes: its pollers must
 * be woken with EPOLLOUT.  ABI 1 woke nobody then (the slot's status did
 * not change), so a poller waited for an unrelated event.
 */
static void vt_slot_epollout_woken(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *slot = c->slots[0];
	struct vt_sub *s[VSCARD_SLOT_REQS_MAX];
	unsigned int i, ok = 0, aborted = 0;
	unsigned long left;
	struct file *f;
	u64 seq, id;

	f = vt_bind(test, 0, 0);
	vt_card_in(test, f);
	seq = vt_seq(slot);
	KUNIT_EXPECT_EQ(test, pm(vscard_slot_poll_mask(slot, seq)),
			pm(EPOLLOUT | EPOLLWRNORM));
	for (i = 0; i < VSCARD_SLOT_REQS_MAX; i++)
		s[i] = vt_submit(test, 0, i, 4, 16);
	vt_wait_count(test, f, slot, VSCARD_SLOT_REQS_MAX);

	/* Full: not writable, and one more is refused at once. */
	KUNIT_EXPECT_EQ(test, pm(vscard_slot_poll_mask(slot, seq)), 0U);
	KUNIT_EXPECT_EQ(test, vt_submit_now(test, slot, 0), -EBUSY);
	KUNIT_EXPECT_EQ(test, vt_seq(slot), seq);

	vt_watch(test, &slot->wq);
	id = vt_fetch(test, f, NULL);
	KUNIT_EXPECT_EQ(test, vt_done(f, id), VT_DONE_LEN);
	left = wait_for_completion_timeout(&c->watch.woken, VT_WAIT);
	vt_unwatch(c);
	KUNIT_EXPECT_NE_MSG(test, left, 0UL,
			    "no EPOLLOUT wakeup on the slot after a completion freed a full slot");
	KUNIT_EXPECT_EQ(test, pm(vscard_slot_poll_mask(slot, seq)),
			pm(EPOLLOUT | EPOLLWRNORM));

	KUNIT_EXPECT_EQ(test, vscard_slot_unbind(slot), 0);
	for (i = 0; i < VSCARD_SLOT_REQS_MAX; i++) {
		vt_join(test, &s[i]->th);
		if (s[i]->ret == 0)
			ok++;
		else if (s[i]->ret == -ENOMEDIUM)
			aborted++;
	}
	KUNIT_EXPECT_EQ(test, ok, 1U);
	KUNIT_EXPECT_EQ(test, aborted, VSCARD_SLOT_REQS_MAX - 1U);
}

/* A device user in VSCARD_IOC_WAIT_STATUS. */
struct vt_waiter {
	struct vt_thread th;
	struct vscard_slot *slot;
	u64 seq;
	u32 timeout_ms;
	bool self_signal;
	struct completion ready;
	int ret;
};

static int vt_waiter_fn(struct vt_thread *th)
{
	struct vt_waiter *w = container_of(th, struct vt_waiter, th);

	allow_signal(SIGUSR1);
	if (w->self_signal)
		send_sig(SIGUSR1, current, 0);
	complete(&w->ready);
	w->ret = vscard_slot_wait_status(w->slot, &w->seq, w->timeout_ms);
	flush_signals(current);
	return 0;
}

static struct vt_waiter *vt_waiter(struct kunit *test,
				   struct vscard_slot *slot, u64 seq,
				   bool self_signal)
{
	struct vt_waiter *w = kunit_kzalloc(test, sizeof(*w), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, w);
	w->slot = slot;
	w->seq = seq;
	w->timeout_ms = VT_LONG_MS;
	w->self_signal = self_signal;
	init_completion(&w->ready);
	vt_spawn(test, &w->th, vt_waiter_fn, -1, false);
	return w;
}

static void vt_slot_wait_status(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *slot = c->slots[0];
	struct vt_waiter *w;
	struct file *f;
	u64 seq, now;

	seq = vt_seq(slot);
	now = seq;
	KUNIT_EXPECT_EQ(test, vscard_slot_wait_status(slot, &seq, 0),
			-ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, vscard_slot_wait_status(slot, &seq, 1),
			-ETIMEDOUT);
	KUNIT_EXPECT_EQ(test, seq, now);

	/* Changed before the wait: returns at once with the new sequence. */
	f = vt_bind(test, 0, 0);
	KUNIT_EXPECT_EQ(test, vscard_slot_wait_status(slot, &seq, 0), 0);
	KUNIT_EXPECT_EQ(test, seq, vt_seq(slot));
	KUNIT_EXPECT_NE(test, seq, now);

	/* Changed during the wait: woken. */
	w = vt_waiter(test, slot, seq, false);
	KUNIT_ASSERT_NE(test, wait_for_completion_timeout(&w->ready, VT_WAIT),
			0UL);
	vt_card_in(test, f);
	vt_join(test, &w->th);
	KUNIT_EXPECT_EQ(test, w->ret, 0);
	KUNIT_EXPECT_EQ(test, w->seq, vt_seq(slot));
}

/*
 * A signal ends WAIT_STATUS with -ERESTARTSYS: the ioctl changed nothing
 * and may be restarted (SA_RESTART).  ABI 1 returned -EINTR.
 */
static void vt_slot_wait_status_signal(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *slot = c->slots[0];
	struct vt_waiter *w;
	u64 seq = vt_seq(slot);

	/* Pending before the call. */
	w = vt_waiter(test, slot, seq, true);
	vt_join(test, &w->th);
	KUNIT_EXPECT_EQ(test, w->ret, -ERESTARTSYS);
	KUNIT_EXPECT_EQ(test, w->seq, seq);

	/* Sent to the waiting thread. */
	w = vt_waiter(test, slot, seq, false);
	KUNIT_ASSERT_NE(test, wait_for_completion_timeout(&w->ready, VT_WAIT),
			0UL);
	send_sig(SIGUSR1, w->th.task, 0);
	vt_join(test, &w->th);
	KUNIT_EXPECT_EQ(test, w->ret, -ERESTARTSYS);
	KUNIT_EXPECT_EQ(test, w->seq, seq);
	KUNIT_EXPECT_EQ(test, vt_seq(slot), seq);
}

/* Module parameters of vscard.ko, through sysfs as an admin sets them. */
static struct file *vt_param_open(const char *name, int flags)
{
	char path[80];

	snprintf(path, sizeof(path), "/sys/module/vscard/parameters/%s",
		 name);
	return filp_open(path, flags, 0);
}

static int vt_param_get(const char *name, u32 *val)
{
	struct file *f = vt_param_open(name, O_RDONLY);
	char buf[24];
	loff_t pos = 0;
	ssize_t n;

	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_read(f, buf, sizeof(buf) - 1, &pos);
	filp_close(f, NULL);
	if (n < 0)
		return n;
	buf[n] = '\0';
	return kstrtou32(buf, 10, val);
}

static int vt_param_set(const char *name, const char *val)
{
	struct file *f = vt_param_open(name, O_WRONLY);
	loff_t pos = 0;
	ssize_t n;

	if (IS_ERR(f))
		return PTR_ERR(f);
	n = kernel_write(f, val, strlen(val), &pos);
	filp_close(f, NULL);
	return n < 0 ? n : 0;
}

/*
 * Every request wait is bounded: the deadline is never 0 and never above
 * request_timeout_max_ms, which cannot be set to 0.  ABI 1 took a cap of
 * 0 as "no cap".
 */
static void vt_slot_timeout_ms(struct kunit *test)
{
	char def_s[16], max_s[16];
	u32 def, max;

	if (vt_param_get("request_timeout_max_ms", &max) ||
	    vt_param_get("request_timeout_ms", &def))
		kunit_skip(test, "no /sys/module/vscard/parameters");
	KUNIT_ASSERT_GE(test, max, 1U);
	KUNIT_EXPECT_EQ(test, vscard_timeout_ms(0, 0), clamp(def, 1U, max));
	KUNIT_EXPECT_EQ(test, vscard_timeout_ms(7, 9), min(7U, max));
	KUNIT_EXPECT_EQ(test, vscard_timeout_ms(0, 9), min(9U, max));
	KUNIT_EXPECT_EQ(test, vscard_timeout_ms(U32_MAX, 0), max);
	KUNIT_EXPECT_EQ(test, vscard_timeout_ms(0, U32_MAX), max);

	/* No assertion may abort the test until both are restored. */
	snprintf(def_s, sizeof(def_s), "%u", def);
	snprintf(max_s, sizeof(max_s), "%u", max);
	KUNIT_EXPECT_EQ(test, vt_param_set("request_timeout_max_ms", "0"),
			-EINVAL);
	KUNIT_EXPECT_EQ(test, vt_param_set("request_timeout_max_ms",
					   "86400001"), -EINVAL);
	KUNIT_EXPECT_EQ(test, vscard_timeout_ms(U32_MAX, 0), max);
	KUNIT_EXPECT_GT(test, vscard_timeout_ms(0, 0), 0U);

	KUNIT_EXPECT_EQ(test, vt_param_set("request_timeout_max_ms", "5"), 0);
	KUNIT_EXPECT_EQ(test, vscard_timeout_ms(U32_MAX, 0), 5U);
	KUNIT_EXPECT_EQ(test, vscard_timeout_ms(0, 0), clamp(def, 1U, 5U));
	KUNIT_EXPECT_EQ(test, vscard_timeout_ms(3, 0), 3U);
	KUNIT_EXPECT_EQ(test, vt_param_set("request_timeout_ms", "0"), 0);
	KUNIT_EXPECT_EQ(test, vscard_timeout_ms(0, 0), 1U);
	KUNIT_EXPECT_EQ(test, vscard_timeout_ms(0, 2), 2U);

	KUNIT_EXPECT_EQ(test, vt_param_set("request_timeout_ms", def_s), 0);
	KUNIT_EXPECT_EQ(test, vt_param_set("request_timeout_max_ms", max_s),
			0);
	KUNIT_EXPECT_EQ(test, vscard_timeout_ms(U32_MAX, 0), max);
}

/* Listeners of vscard_slot_events hear every change of binding or card. */
static void vt_slot_events(struct kunit *test)
{
	struct vt_ctx *c = test->priv;
	struct vscard_slot *slot = c->slots[0];
	struct vt_event want[] = {
		{ VSCARD_EVENT_BIND, 0 },
		{ VSCARD_EVENT_CARD_IN, 0 },
		{ VSCARD_EVENT_CARD_OUT, 0 },	/* replaced */
		{ VSCARD_EVENT_CARD_IN, 0 },
		{ VSCARD_EVENT_CARD_OUT, 0 },	/* removed */
		{ VSCARD_EVENT_CARD_IN, 0 },
		{ VSCARD_EVENT_REQ_TIMEOUT, 0 },
		{ VSCARD_EVENT_LINGER, 0 },
		{ VSCARD_EVENT_BIND, 0 },	/* taken back */
		{ VSCARD_EVENT_UNBIND, 0 },
		{ VSCARD_EVENT_BIND, 3 },
		{ VSCARD_EVENT_UNBIND, 3 },	/* abandoned */
	};
	struct vscard_req *req;
	struct file *f;

	vt_events_clear(c);
	f = vt_bind(test, 0, VT_LONG_MS);
	vt_card_in(test, f);
	KUNIT_EXPECT_EQ(test, vt_card(f, true, vt_atr2, sizeof(vt_atr2), 0),
			VT_CARD_LEN);
	KUNIT_EXPECT_EQ(test, vt_card(f, false, NULL, 0, 0), VT_CARD_LEN);
	vt_card_in(test, f);
	/* Nobody reads: the request times out. */
	req = vscard_req_alloc(VSCARD_REQ_TRANSMIT, 0, 4, 16);
	KUNIT_ASSERT_NOT_NULL(test, req);
	KUNIT_EXPECT_EQ(test, vscard_slot_submit(slot, req, 1, 0), -ETIMEDOUT);
	want[6].req_id = req->id;
	vscard_req_put(req);
	vt_close(test, f);
	vt_bind(test, 0, 0);
	KUNIT_EXPECT_EQ(test, vscard_slot_unbind(slot), 0);
	f = vt_bind(test, 3, VT_LONG_MS);
	vt_untrack(test, f);
	vscard_bfile_abandon(f);
	flush_delayed_fput();
	vt_expect_events(test, want, ARRAY_SIZE(want));
}

static struct kunit_case vt_slot_cases[] = {
	KUNIT_CASE(vt_slot_submit_checks),
	KUNIT_CASE(vt_slot_card_change),
	KUNIT_CASE(vt_slot_power),
	KUNIT_CASE(vt_slot_power_vs_replace),
	KUNIT_CASE(vt_slot_epollout_woken),
	KUNIT_CASE(vt_slot_wait_status),
	KUNIT_CASE(vt_slot_wait_status_signal),
	KUNIT_CASE(vt_slot_timeout_ms),
	KUNIT_CASE(vt_slot_events),
	{}
};

static struct kunit_suite vt_slot_suite = {
	.name = "vscard_slot",
	.init = vt_init,
	.exit = vt_exit,
	.test_cases = vt_slot_cases,
};

kunit_test_suites(&vt_req_suite, &vt_bfile_suite, &vt_pool_suite,
		  &vt_slot_suite);

MODULE_DESCRIPTION("KUnit tests for vscard");
MODULE_LICENSE("GPL");
#ifdef VSCARD_HAVE_STRING_IMPORT_NS
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
#else
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
#endif
