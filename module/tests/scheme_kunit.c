// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: scheme names, the registry, and response intake on scheme rings.
 * Included from scheme.c when CONFIG_KUNIT is set.
 */
#include <kunit/test.h>

#include "../enter.h"
#include "../respond.h"

static void scheme_names(struct kunit *test)
{
	char big[USCHEME_NAME_MAX];

	KUNIT_EXPECT_EQ(test, uscheme_scheme_name_check("ram", 4), 3);
	KUNIT_EXPECT_EQ(test, uscheme_scheme_name_check("usb.0000-00-02.0_x", 19), 18);
	KUNIT_EXPECT_EQ(test, uscheme_scheme_name_check("", 1), -EINVAL);
	KUNIT_EXPECT_EQ(test, uscheme_scheme_name_check("Ram", 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, uscheme_scheme_name_check("a:b", 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, uscheme_scheme_name_check("a/b", 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, uscheme_scheme_name_check("a b", 4), -EINVAL);
	KUNIT_EXPECT_EQ(test, uscheme_scheme_name_check("d\xc3\xa9", 4), -EINVAL);
	/* no NUL inside the buffer */
	KUNIT_EXPECT_EQ(test, uscheme_scheme_name_check("abc", 3), -EINVAL);
	memset(big, 'a', sizeof(big));
	KUNIT_EXPECT_EQ(test, uscheme_scheme_name_check(big, sizeof(big)), -EINVAL);
	big[USCHEME_NAME_MAX - 1] = '\0';
	KUNIT_EXPECT_EQ(test, uscheme_scheme_name_check(big, sizeof(big)),
			USCHEME_NAME_MAX - 1);
}

static struct uscheme_ring *scheme_ring(struct kunit *test)
{
	struct uscheme_params p = { .sq_entries = 4, .flags = USCHEME_SETUP_SCHEME };
	struct uscheme_ring *ring = uscheme_ring_alloc();

	KUNIT_ASSERT_NOT_NULL(test, ring);
	KUNIT_ASSERT_EQ(test, uscheme_ring_setup(ring, &p), 0);
	KUNIT_ASSERT_TRUE(test, uscheme_ring_is_scheme(ring));
	return ring;
}

static void scheme_registry(struct kunit *test)
{
	struct uscheme_ring *a = scheme_ring(test), *b = scheme_ring(test);

	KUNIT_EXPECT_EQ(test, uscheme_scheme_register(a, "kunit-x"), 0);
	KUNIT_EXPECT_EQ(test, uscheme_scheme_register(a, "kunit-y"), -EBUSY);
	KUNIT_EXPECT_EQ(test, uscheme_scheme_register(b, "kunit-x"), -EEXIST);
	KUNIT_EXPECT_EQ(test, uscheme_scheme_register(b, "kunit-y"), 0);
	KUNIT_EXPECT_STREQ(test, a->scheme->name, "kunit-x");
	/* Freeing a ring frees its name. */
	uscheme_ring_release(a);
	a = scheme_ring(test);
	KUNIT_EXPECT_EQ(test, uscheme_scheme_register(a, "kunit-x"), 0);
	uscheme_daemon_death(a);
	uscheme_daemon_death(a);	/* twice is harmless */
	KUNIT_EXPECT_NULL(test, a->scheme);
	uscheme_ring_release(a);
	uscheme_ring_release(b);
}

/* With no scheme registered, every response is unknown: dropped and counted. */
static void scheme_responses_unknown(struct kunit *test)
{
	struct uscheme_ring *ring = scheme_ring(test);
	struct uscheme_cqe *resp = ring->cqes;
	u32 n, i;

	for (i = 0; i < 3; i++) {
		resp[i].user_data = i + 1;
		resp[i].res = 0;
	}
	ring->hdr->cq_tail = 3;
	KUNIT_EXPECT_EQ(test, uscheme_ring_consume_responses(ring, 2, &n), 0);
	KUNIT_EXPECT_EQ(test, n, 2U);
	KUNIT_EXPECT_EQ(test, ring->hdr->cq_head, 2U);
	KUNIT_EXPECT_EQ(test, uscheme_ring_consume_responses(ring, 100, &n), 0);
	KUNIT_EXPECT_EQ(test, n, 1U);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ring->stats.rejected), 3LL);
	/* A garbage tail is clamped to the ring. */
	ring->hdr->cq_tail = 0x7fffffff;
	KUNIT_EXPECT_EQ(test, uscheme_ring_consume_responses(ring, ~0U, &n), 0);
	KUNIT_EXPECT_EQ(test, n, ring->cq_entries);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ring->stats.sq_clamped), 1LL);
	/* No requests: nothing for the daemon to consume, waits time out. */
	KUNIT_EXPECT_EQ(test, uscheme_user_ready(ring), 0U);
	KUNIT_EXPECT_EQ(test, uscheme_ring_wait(ring, 1, ktime_add_ms(ktime_get(), 1)), -ETIME);
	uscheme_ring_release(ring);
}

static struct kunit_case uscheme_scheme_cases[] = {
	KUNIT_CASE(scheme_names),
	KUNIT_CASE(scheme_registry),
	KUNIT_CASE(scheme_responses_unknown),
	{}
};

static struct kunit_suite uscheme_scheme_suite = {
	.name = "uscheme_scheme",
	.test_cases = uscheme_scheme_cases,
};

kunit_test_suite(uscheme_scheme_suite);
