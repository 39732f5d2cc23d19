// SPDX-License-Identifier: MIT
/* Unit tests of the CompletionId table (ASan+UBSan build). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "completion_table.h"

static int failed;

static void check(const char *name, int ok)
{
	printf("%s: agent-unit: %s\n", ok ? "PASS" : "FAIL", name);
	failed += !ok;
}

static void test_unique_and_monotonic(void)
{
	struct completion_table t;
	uint32_t a, b, c;
	struct ct_entry e;

	ct_init(&t, 1);
	ct_alloc(&t, 1, 0x90014, 0, 10, &a);
	ct_alloc(&t, 1, 0x90014, 0, 10, &b);
	check("ids are distinct and increasing", a == 1 && b == 2);
	check("completion of an outstanding id is a hit",
	      ct_complete(&t, 1, a, &e) == CT_HIT && e.owner == 10 && e.ioctl == 0x90014);
	ct_alloc(&t, 1, 0, 0, 0, &c);
	check("a completed id is not handed out again at once", c == 3);
	check("a second completion of the same id is unknown",
	      ct_complete(&t, 1, a, &e) == CT_UNKNOWN && t.stats.unknown == 1);
	check("completion from another device is dropped",
	      ct_complete(&t, 2, b, &e) == CT_WRONG_DEVICE && ct_find(&t, b));
	ct_fini(&t);
}

static void test_wrap_skips_outstanding(void)
{
	struct completion_table t;
	uint32_t a, b, c, d;

	ct_init(&t, 0xfffffffe);
	ct_alloc(&t, 1, 0, 0, 1, &a);		/* 0xfffffffe */
	ct_alloc(&t, 1, 0, 0, 1, &b);		/* 0xffffffff */
	ct_alloc(&t, 1, 0, 0, 1, &c);		/* wraps to 0 */
	t.next_cid = 0xfffffffe;		/* force a collision */
	ct_alloc(&t, 1, 0, 0, 1, &d);
	check("counter wraps", a == 0xfffffffe && b == 0xffffffff && c == 0);
	check("wrap skips every id still in the table", d == 1);
	ct_fini(&t);
}

static void test_reset_never_reuses(void)
{
	struct completion_table t;
	uint32_t a, b, n;
	struct ct_entry e;
	int clash = 0;

	ct_init(&t, 5);
	ct_alloc(&t, 1, 0, 0, 7, &a);
	ct_alloc(&t, 1, 0, 0, 7, &b);
	ct_reset(&t);
	check("reset bumps the epoch and abandons everything",
	      t.epoch == 2 && ct_count(&t, CT_OUTSTANDING) == 0 &&
	      ct_count(&t, CT_ABANDONED) == 2);
	t.next_cid = 5;		/* even if the counter came back ... */
	for (int i = 0; i < 10; i++) {
		ct_alloc(&t, 1, 0, 0, 8, &n);
		clash += n == a || n == b;
	}
	check("... ids outstanding at the reset are not reused", !clash);
	check("late completion after reset is LATE, not a hit",
	      ct_complete(&t, 1, a, &e) == CT_LATE && e.epoch == 1 &&
	      t.stats.late == 1);
	check("a late completion frees its id", !ct_find(&t, a));
	ct_fini(&t);
}

static void test_deadlines(void)
{
	struct completion_table t;
	uint32_t a, b, c;
	struct ct_entry e;

	ct_init(&t, 1);
	ct_alloc(&t, 1, 0x900d0, 1000, 3, &a);
	ct_alloc(&t, 1, 0x900a4, 0, 4, &b);	/* no deadline */
	ct_alloc(&t, 1, 0x900d4, 500, 5, &c);
	check("next deadline is the earliest", ct_next_deadline(&t) == 500);
	check("nothing expires before its deadline", !ct_expire_one(&t, 499, &e));
	check("expiry returns the request",
	      ct_expire_one(&t, 500, &e) == 1 && e.cid == c && e.owner == 5);
	check("an expired id stays reserved (abandoned)",
	      ct_find(&t, c) && ct_find(&t, c)->state == CT_ABANDONED);
	check("abandoned ids have no deadline", ct_next_deadline(&t) == 1000);
	ct_expire_one(&t, 5000, &e);
	check("requests without a deadline never expire",
	      !ct_expire_one(&t, ~0ull, &e) && ct_find(&t, b)->state == CT_OUTSTANDING);
	check("timeouts counted", t.stats.timeouts == 2);
	check("abandon by owner", ct_abandon_owner(&t, 4) == 1 &&
	      ct_find(&t, b)->state == CT_ABANDONED);
	check("abandon of an unknown id fails", ct_abandon(&t, 999) == -ENOENT);
	ct_fini(&t);
}

static void test_abandoned_bounded(void)
{
	struct completion_table t;
	uint32_t id;
	int i;

	ct_init(&t, 1);
	t.max_abandoned = 8;
	for (i = 0; i < 100; i++) {
		ct_alloc(&t, 1, 0, 0, 1, &id);
		ct_abandon(&t, id);
	}
	check("abandoned ids are bounded (oldest evicted)",
	      ct_count(&t, CT_ABANDONED) == 8 && t.stats.evicted == 92 &&
	      ct_find(&t, 100) && !ct_find(&t, 1));
	ct_fini(&t);
}

int main(void)
{
	test_unique_and_monotonic();
	test_wrap_skips_outstanding();
	test_reset_never_reuses();
	test_deadlines();
	test_abandoned_bounded();
	return failed ? 1 : 0;
}
