// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: ring index arithmetic, setup parameters, CQ reservation, posting
 * and overflow parking. Included from enter.c when CONFIG_KUNIT is set.
 */
#include <kunit/test.h>

static void ring_count_plain(struct kunit *test)
{
	bool clamped;

	KUNIT_EXPECT_EQ(test, uscheme_ring_count(0, 0, 8, &clamped), 0U);
	KUNIT_EXPECT_FALSE(test, clamped);
	KUNIT_EXPECT_EQ(test, uscheme_ring_count(3, 8, 8, &clamped), 5U);
	KUNIT_EXPECT_FALSE(test, clamped);
	KUNIT_EXPECT_EQ(test, uscheme_ring_count(0, 8, 8, &clamped), 8U);
	KUNIT_EXPECT_FALSE(test, clamped);
}

/* The free-running 32-bit counters wrap; distances must not notice. */
static void ring_count_wraps(struct kunit *test)
{
	bool clamped;

	KUNIT_EXPECT_EQ(test, uscheme_ring_count(0xfffffff0U, 0x10U, 64, &clamped), 0x20U);
	KUNIT_EXPECT_FALSE(test, clamped);
	KUNIT_EXPECT_EQ(test, uscheme_ring_count(U32_MAX, 0, 4, &clamped), 1U);
	KUNIT_EXPECT_FALSE(test, clamped);
	KUNIT_EXPECT_EQ(test, uscheme_ring_count(U32_MAX - 3, 3, 8, &clamped), 7U);
	KUNIT_EXPECT_FALSE(test, clamped);
}

/* A producer index too far ahead, or behind the consumer, is clamped. */
static void ring_count_clamps(struct kunit *test)
{
	bool clamped;

	KUNIT_EXPECT_EQ(test, uscheme_ring_count(0, 9, 8, &clamped), 8U);
	KUNIT_EXPECT_TRUE(test, clamped);
	KUNIT_EXPECT_EQ(test, uscheme_ring_count(5, 4, 8, &clamped), 8U);
	KUNIT_EXPECT_TRUE(test, clamped);
	KUNIT_EXPECT_EQ(test, uscheme_ring_count(0, U32_MAX, 4096, &clamped), 4096U);
	KUNIT_EXPECT_TRUE(test, clamped);
}

/* Readiness never counts from a head that is ahead of the tail. */
static void cq_pending_math(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, uscheme_cq_pending(0, 0, 8), 0U);
	KUNIT_EXPECT_EQ(test, uscheme_cq_pending(0, 5, 8), 5U);
	KUNIT_EXPECT_EQ(test, uscheme_cq_pending(U32_MAX - 1, 2, 8), 4U);
	/* the user consumed an entry our private tail does not count yet */
	KUNIT_EXPECT_EQ(test, uscheme_cq_pending(21567, 21566, 32), 0U);
	KUNIT_EXPECT_EQ(test, uscheme_cq_pending(0, U32_MAX, 32), 0U);
	/* a head far behind: clamped */
	KUNIT_EXPECT_EQ(test, uscheme_cq_pending(0, 100, 8), 8U);
}

static void cq_room_math(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, uscheme_cq_room(0, 0, 8, 0), 8U);
	KUNIT_EXPECT_EQ(test, uscheme_cq_room(5, 0, 8, 0), 3U);
	KUNIT_EXPECT_EQ(test, uscheme_cq_room(5, 0, 8, 3), 0U);
	KUNIT_EXPECT_EQ(test, uscheme_cq_room(5, 0, 8, 2), 1U);
	KUNIT_EXPECT_EQ(test, uscheme_cq_room(8, 0, 8, 0), 0U);
	/* wrapped counters */
	KUNIT_EXPECT_EQ(test, uscheme_cq_room(2, U32_MAX - 1, 8, 1), 3U);
	/* reservations beyond the ring (parked work) never underflow */
	KUNIT_EXPECT_EQ(test, uscheme_cq_room(0, 0, 8, 100), 0U);
	/* head past tail, or too far behind: corrupt, counts as full */
	KUNIT_EXPECT_EQ(test, uscheme_cq_room(4, 5, 8, 0), 0U);
	KUNIT_EXPECT_EQ(test, uscheme_cq_room(100, 0, 8, 0), 0U);
}

static void params_rules(struct kunit *test)
{
	struct uscheme_params p = { .sq_entries = 8 };
	u32 cq = 0;

	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), 0);
	KUNIT_EXPECT_EQ(test, cq, 16U);
	p.sq_entries = USCHEME_MAX_SQ_ENTRIES;
	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), 0);
	KUNIT_EXPECT_EQ(test, cq, (u32)USCHEME_MAX_CQ_ENTRIES);
	p.cq_entries = USCHEME_MAX_SQ_ENTRIES;
	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), 0);
	KUNIT_EXPECT_EQ(test, cq, (u32)USCHEME_MAX_SQ_ENTRIES);

	p = (struct uscheme_params){ .sq_entries = 0 };
	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), -EINVAL);
	p.sq_entries = 3;
	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), -EINVAL);
	p.sq_entries = USCHEME_MAX_SQ_ENTRIES * 2;
	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), -EINVAL);
	p.sq_entries = 1U << 31;
	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), -EINVAL);
	p.sq_entries = 8;
	p.cq_entries = 4;	/* smaller than the SQ */
	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), -EINVAL);
	p.cq_entries = 24;	/* not a power of two */
	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), -EINVAL);
	p.cq_entries = USCHEME_MAX_CQ_ENTRIES * 2;
	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), -EINVAL);
	p.cq_entries = 0;
	p.flags = 1U << 31;
	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), -EINVAL);
	p.flags = 0;
	p.resv[1] = 1;
	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), -EINVAL);
	p.resv[1] = 0;
	/* A data area only for scheme rings, within limits, 4 KiB aligned. */
	p.data_size = USCHEME_DATA_MIN;
	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), -EINVAL);
	p.flags = USCHEME_SETUP_SCHEME;
	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), 0);
	p.data_size = USCHEME_DATA_MIN - 4096;
	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), -EINVAL);
	p.data_size = USCHEME_DATA_MAX + 4096;
	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), -EINVAL);
	p.data_size = USCHEME_DATA_MIN + 100;
	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), -EINVAL);
	p.data_size = 0;
	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), 0);
	p.flags = USCHEME_SETUP_CQE32;
	KUNIT_EXPECT_EQ(test, uscheme_params_check(&p, &cq), 0);
}

/* A set-up ring for tests that drive it as a user would, via ring->hdr. */
static struct uscheme_ring *test_ring(struct kunit *test, u32 sq, u32 cq)
{
	struct uscheme_params p = { .sq_entries = sq, .cq_entries = cq };
	struct uscheme_ring *ring = uscheme_ring_alloc();

	KUNIT_ASSERT_NOT_NULL(test, ring);
	KUNIT_ASSERT_EQ(test, uscheme_ring_setup(ring, &p), 0);
	KUNIT_ASSERT_EQ(test, uscheme_ring_setup(ring, &p), -EBUSY);
	return ring;
}

static struct uscheme_cqe *test_cqe(struct uscheme_ring *ring, u32 idx)
{
	return ring->cqes + (size_t)(idx & (ring->cq_entries - 1)) * ring->cqe_size;
}

static void cq_reserve_and_post(struct kunit *test)
{
	struct uscheme_ring *ring = test_ring(test, 4, 4);
	u32 i;

	KUNIT_EXPECT_EQ(test, uscheme_cq_reserve(ring, 3), 3U);
	KUNIT_EXPECT_EQ(test, uscheme_cq_reserve(ring, 3), 1U);
	KUNIT_EXPECT_EQ(test, uscheme_cq_reserve(ring, 1), 0U);
	for (i = 0; i < 4; i++)
		uscheme_cq_post(ring, 100 + i, -(s32)i, 0);
	KUNIT_EXPECT_EQ(test, ring->hdr->cq_tail, 4U);
	KUNIT_EXPECT_EQ(test, uscheme_cq_ready(ring), 4U);
	for (i = 0; i < 4; i++) {
		KUNIT_EXPECT_EQ(test, test_cqe(ring, i)->user_data, 100ULL + i);
		KUNIT_EXPECT_EQ(test, test_cqe(ring, i)->res, -(s32)i);
	}
	/* Full CQ: no reservation until the user consumes. */
	KUNIT_EXPECT_EQ(test, uscheme_cq_reserve(ring, 1), 0U);
	WRITE_ONCE(ring->hdr->cq_head, 2);
	KUNIT_EXPECT_EQ(test, uscheme_cq_reserve(ring, 4), 2U);
	uscheme_cq_post(ring, 7, 0, 0);
	uscheme_cq_post(ring, 8, 0, 0);
	KUNIT_EXPECT_EQ(test, test_cqe(ring, 4)->user_data, 7ULL);
	KUNIT_EXPECT_EQ(test, test_cqe(ring, 5)->user_data, 8ULL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ring->stats.overflow), 0LL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ring->stats.completed), 6LL);
	uscheme_ring_release(ring);
}

/*
 * A user that moves cq_head backwards after reserving: the completion is
 * parked, counted, flagged, and delivered in order once room returns.
 */
static void cq_overflow_parks_in_order(struct kunit *test)
{
	struct uscheme_ring *ring = test_ring(test, 2, 2);

	KUNIT_ASSERT_EQ(test, uscheme_cq_reserve(ring, 2), 2U);
	uscheme_cq_post(ring, 1, 0, 0);
	WRITE_ONCE(ring->hdr->cq_head, 1);
	KUNIT_ASSERT_EQ(test, uscheme_cq_reserve(ring, 2), 1U);
	uscheme_cq_post(ring, 2, 0, 0);
	/* The CQ holds 1 (consumed) and 2; the user rewinds its head to 0. */
	WRITE_ONCE(ring->hdr->cq_head, 0);
	uscheme_cq_post(ring, 3, 0, 0);	/* the reservation made earlier */
	KUNIT_EXPECT_EQ(test, atomic64_read(&ring->stats.overflow), 1LL);
	KUNIT_EXPECT_EQ(test, ring->nr_overflow, 1U);
	KUNIT_EXPECT_TRUE(test, ring->hdr->cq_flags & USCHEME_CQ_F_OVERFLOW);
	KUNIT_EXPECT_EQ(test, ring->hdr->cq_overflow, 1U);
	/* Parked work keeps its reservation. */
	WRITE_ONCE(ring->hdr->cq_head, 2);
	KUNIT_EXPECT_EQ(test, uscheme_cq_reserve(ring, 2), 1U);
	/* The next post flushes the parked one first: order is kept. */
	uscheme_cq_post(ring, 4, 0, 0);
	KUNIT_EXPECT_EQ(test, test_cqe(ring, 2)->user_data, 3ULL);
	KUNIT_EXPECT_EQ(test, test_cqe(ring, 3)->user_data, 4ULL);
	KUNIT_EXPECT_EQ(test, ring->nr_overflow, 0U);
	KUNIT_EXPECT_FALSE(test, ring->hdr->cq_flags & USCHEME_CQ_F_OVERFLOW);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ring->stats.lost), 0LL);
	uscheme_ring_release(ring);
}

/* Freeing a ring with parked completions frees them (kmemleak checks). */
static void cq_free_with_parked(struct kunit *test)
{
	struct uscheme_ring *ring = test_ring(test, 1, 1);

	KUNIT_ASSERT_EQ(test, uscheme_cq_reserve(ring, 1), 1U);
	WRITE_ONCE(ring->hdr->cq_head, 5);	/* garbage: ahead of the tail */
	uscheme_cq_post(ring, 1, 0, 0);
	KUNIT_EXPECT_EQ(test, ring->nr_overflow, 1U);
	KUNIT_EXPECT_EQ(test, uscheme_cq_reserve(ring, 1), 0U);
	uscheme_ring_release(ring);
}

static void cq_wait_times_out(struct kunit *test)
{
	struct uscheme_ring *ring = test_ring(test, 1, 1);

	KUNIT_EXPECT_EQ(test, uscheme_ring_wait(ring, 0, ktime_get()), 0);
	KUNIT_EXPECT_EQ(test, uscheme_ring_wait(ring, 1, ktime_get()), -ETIME);
	KUNIT_EXPECT_EQ(test, uscheme_ring_wait(ring, 1, ktime_add_ms(ktime_get(), 1)), -ETIME);
	KUNIT_ASSERT_EQ(test, uscheme_cq_reserve(ring, 1), 1U);
	uscheme_cq_post(ring, 1, 0, 0);
	KUNIT_EXPECT_EQ(test, uscheme_ring_wait(ring, 1, KTIME_MAX), 0);
	uscheme_ring_release(ring);
}

static void cqe32_zeroes_big(struct kunit *test)
{
	struct uscheme_params p = { .sq_entries = 1, .flags = USCHEME_SETUP_CQE32 };
	struct uscheme_ring *ring = uscheme_ring_alloc();
	struct uscheme_cqe32 *c;

	KUNIT_ASSERT_NOT_NULL(test, ring);
	KUNIT_ASSERT_EQ(test, uscheme_ring_setup(ring, &p), 0);
	KUNIT_EXPECT_EQ(test, p.cqe_size, 32U);
	c = ring->cqes;
	c->big[0] = ~0ULL;	/* a user scribbling in its (read-only) view */
	c->big[1] = ~0ULL;
	KUNIT_ASSERT_EQ(test, uscheme_cq_reserve(ring, 1), 1U);
	uscheme_cq_post(ring, 9, 0, 0);
	KUNIT_EXPECT_EQ(test, c->cqe.user_data, 9ULL);
	KUNIT_EXPECT_EQ(test, c->big[0], 0ULL);
	KUNIT_EXPECT_EQ(test, c->big[1], 0ULL);
	uscheme_ring_release(ring);
}

static struct kunit_case uscheme_ring_cases[] = {
	KUNIT_CASE(ring_count_plain),
	KUNIT_CASE(ring_count_wraps),
	KUNIT_CASE(ring_count_clamps),
	KUNIT_CASE(cq_pending_math),
	KUNIT_CASE(cq_room_math),
	KUNIT_CASE(params_rules),
	KUNIT_CASE(cq_reserve_and_post),
	KUNIT_CASE(cq_overflow_parks_in_order),
	KUNIT_CASE(cq_free_with_parked),
	KUNIT_CASE(cq_wait_times_out),
	KUNIT_CASE(cqe32_zeroes_big),
	{}
};

static struct kunit_suite uscheme_ring_suite = {
	.name = "uscheme_ring",
	.test_cases = uscheme_ring_cases,
};

kunit_test_suite(uscheme_ring_suite);
