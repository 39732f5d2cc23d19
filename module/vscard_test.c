// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit tests for vscard.ko.  A separate module: on 6.1 the suites of a
 * module run before its own module_init, so nothing here depends on it.
 */
#include <kunit/test.h>
#include <linux/module.h>
#include <linux/version.h>

#include "vscard.h"

static void vscard_test_pool_lifecycle(struct kunit *test)
{
	struct vscard_status st;
	struct vscard_pool *pool;

	pool = vscard_pool_create(1000, 3, GLOBAL_ROOT_UID, GLOBAL_ROOT_GID,
				  0600);
	KUNIT_ASSERT_FALSE(test, IS_ERR(pool));
	KUNIT_EXPECT_EQ(test, pool->nslots, 3U);
	vscard_slot_get_status(pool->slots[2], &st);
	KUNIT_EXPECT_EQ(test, st.pool, 1000U);
	KUNIT_EXPECT_EQ(test, st.slot, 2U);
	KUNIT_EXPECT_EQ(test, st.flags, 0U);
	KUNIT_EXPECT_NE(test, st.seq, 0ULL);
	vscard_pool_destroy(pool);

	pool = vscard_pool_create(1001, 17, GLOBAL_ROOT_UID, GLOBAL_ROOT_GID,
				  0600);
	KUNIT_EXPECT_EQ(test, PTR_ERR(pool), -EINVAL);
}

static struct kunit_case vscard_pool_cases[] = {
	KUNIT_CASE(vscard_test_pool_lifecycle),
	{}
};

static struct kunit_suite vscard_pool_suite = {
	.name = "vscard_pool",
	.test_cases = vscard_pool_cases,
};

kunit_test_suites(&vscard_pool_suite);

MODULE_DESCRIPTION("KUnit tests for vscard");
MODULE_LICENSE("GPL");
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 13, 0)
MODULE_IMPORT_NS("EXPORTED_FOR_KUNIT_TESTING");
#else
MODULE_IMPORT_NS(EXPORTED_FOR_KUNIT_TESTING);
#endif
