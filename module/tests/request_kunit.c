// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the routing logic. Tags (generations, stale and repeated answers),
 * the legal-answer table, admission limits (slots, data area), dispatch
 * into a full SQ, cancellation and a daemon's death.
 * Included from request.c when CONFIG_KUNIT is set.
 */
#include <kunit/test.h>

#include "../enter.h"
#include "../handle.h"
#include "../op_open.h"

static struct uscheme_ring *route_ring(struct kunit *test, const char *name)
{
	struct uscheme_params p = { .sq_entries = 4, .flags = USCHEME_SETUP_SCHEME,
				    .data_size = USCHEME_DATA_MIN };
	struct uscheme_ring *ring = uscheme_ring_alloc();

	KUNIT_ASSERT_NOT_NULL(test, ring);
	KUNIT_ASSERT_EQ(test, uscheme_ring_setup(ring, &p), 0);
	KUNIT_ASSERT_EQ(test, p.data_size, (u64)USCHEME_DATA_MIN);
	KUNIT_ASSERT_EQ(test, uscheme_scheme_register(ring, name), 0);
	return ring;
}

/* An admitted, queued request with a chunk of @bytes; the caller puts it. */
static struct uscheme_request *route_req(struct kunit *test, struct uscheme_ring *ring,
					 u8 op, u32 len)
{
	struct uscheme_request *r = uscheme_request_alloc(ring->scheme, op);

	KUNIT_ASSERT_NOT_NULL(test, r);
	KUNIT_ASSERT_EQ(test, uscheme_request_admit(r, len), 0);
	r->req.len = len;
	KUNIT_ASSERT_EQ(test, uscheme_request_queue(r), 0);
	return r;
}

static void route_answer_table(struct kunit *test)
{
	struct uscheme_req q = { .opcode = USCHEME_OP_READ, .len = 10, .len2 = 3 };

	KUNIT_EXPECT_EQ(test, uscheme_answer_check(&q, 10), 0);
	KUNIT_EXPECT_EQ(test, uscheme_answer_check(&q, 11), -EIO);
	KUNIT_EXPECT_EQ(test, uscheme_answer_check(&q, -ENOSPC), 0);
	KUNIT_EXPECT_EQ(test, uscheme_answer_check(&q, -USCHEME_ERRNO_MAX), 0);
	KUNIT_EXPECT_EQ(test, uscheme_answer_check(&q, -EHWPOISON), 0);
	KUNIT_EXPECT_EQ(test, uscheme_answer_check(&q, -USCHEME_ERRNO_MAX - 1), -EIO);
	/* The kernel-internal codes never reach a client. */
	KUNIT_EXPECT_EQ(test, uscheme_answer_check(&q, -ERESTARTSYS), -EIO);
	KUNIT_EXPECT_EQ(test, uscheme_answer_check(&q, -ENOIOCTLCMD), -EIO);
	KUNIT_EXPECT_EQ(test, uscheme_answer_check(&q, -EIOCBQUEUED), -EIO);
	KUNIT_EXPECT_EQ(test, uscheme_answer_check(&q, -MAX_ERRNO), -EIO);
	KUNIT_EXPECT_EQ(test, uscheme_answer_check(&q, -MAX_ERRNO - 1), -EIO);
	KUNIT_EXPECT_EQ(test, uscheme_answer_check(&q, S32_MIN), -EIO);
	q.opcode = USCHEME_OP_CALL;
	KUNIT_EXPECT_EQ(test, uscheme_answer_check(&q, 3), 0);
	KUNIT_EXPECT_EQ(test, uscheme_answer_check(&q, 4), -EIO);
	q.opcode = USCHEME_OP_OPEN;
	KUNIT_EXPECT_EQ(test, uscheme_answer_check(&q, S32_MAX), 0);
	q.opcode = USCHEME_OP_FSTAT;
	KUNIT_EXPECT_EQ(test, uscheme_answer_check(&q, 0), 0);
	KUNIT_EXPECT_EQ(test, uscheme_answer_check(&q, 1), -EIO);
	q.opcode = USCHEME_OP_FTRUNCATE;
	KUNIT_EXPECT_EQ(test, uscheme_answer_check(&q, 1), -EIO);
}

static void route_tags(struct kunit *test)
{
	struct uscheme_ring *ring = route_ring(test, "kunit-tags");
	struct uscheme_scheme *s = ring->scheme;
	struct uscheme_req *sq = (struct uscheme_req *)ring->sqes;
	struct uscheme_request *r = route_req(test, ring, USCHEME_OP_READ, 5000);
	u64 tag = r->req.tag;

	KUNIT_EXPECT_NE(test, tag, 0ULL);
	KUNIT_EXPECT_EQ(test, r->chunk_pages, 2U);
	/* Dispatched: the daemon sees it, with its tag and chunk. */
	KUNIT_EXPECT_EQ(test, r->state, (u8)USCHEME_REQ_DISPATCHED);
	KUNIT_EXPECT_EQ(test, ring->hdr->sq_tail, 1U);
	KUNIT_EXPECT_EQ(test, sq[0].tag, tag);
	KUNIT_EXPECT_EQ(test, sq[0].len, 5000U);
	KUNIT_EXPECT_EQ(test, uscheme_user_ready(ring), 1U);
	/* Wrong generation, wrong slot: unknown. */
	KUNIT_EXPECT_EQ(test, uscheme_scheme_answer(s, tag + (1ULL << 32), 1, false, NULL),
			-ENOENT);
	KUNIT_EXPECT_EQ(test, uscheme_scheme_answer(s, tag ^ 1, 1, false, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, uscheme_scheme_answer(s, U64_MAX, 1, false, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, uscheme_scheme_answer(s, tag, 42, false, NULL), 0);
	KUNIT_EXPECT_EQ(test, r->state, (u8)USCHEME_REQ_ANSWERED);
	KUNIT_EXPECT_EQ(test, r->res, 42);
	/* A second answer to the same request is unknown too. */
	KUNIT_EXPECT_EQ(test, uscheme_scheme_answer(s, tag, 42, false, NULL), -ENOENT);
	KUNIT_EXPECT_EQ(test, atomic64_read(&s->stats.rejected), 4LL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&s->stats.answers), 1LL);
	uscheme_request_put(r);
	/* The slot comes back with a new generation: the old tag stays dead. */
	r = route_req(test, ring, USCHEME_OP_FSYNC, 0);
	KUNIT_EXPECT_EQ(test, lower_32_bits(r->req.tag), lower_32_bits(tag));
	KUNIT_EXPECT_NE(test, r->req.tag, tag);
	KUNIT_EXPECT_EQ(test, uscheme_scheme_answer(s, tag, 0, false, NULL), -ENOENT);
	/* An illegal result is accepted as -EIO, and counted. */
	KUNIT_EXPECT_EQ(test, uscheme_scheme_answer(s, r->req.tag, 1, false, NULL), -EIO);
	KUNIT_EXPECT_EQ(test, r->res, -EIO);
	uscheme_request_put(r);
	uscheme_ring_release(ring);
}

static void route_sq_full_and_cancel(struct kunit *test)
{
	struct uscheme_ring *ring = route_ring(test, "kunit-full");
	struct uscheme_req *sq = (struct uscheme_req *)ring->sqes;
	struct uscheme_request *r[6];
	int i;

	for (i = 0; i < 6; i++)
		r[i] = route_req(test, ring, USCHEME_OP_FSYNC, 0);
	/* Four fit the SQ; two wait in the scheme's queue. */
	KUNIT_EXPECT_EQ(test, ring->hdr->sq_tail, 4U);
	KUNIT_EXPECT_EQ(test, r[4]->state, (u8)USCHEME_REQ_QUEUED);
	KUNIT_EXPECT_EQ(test, ring->scheme->nr_queued, 2U);
	/* A queued request cancels at once. */
	KUNIT_EXPECT_EQ(test, uscheme_request_cancel(r[5]), 0);
	KUNIT_EXPECT_EQ(test, r[5]->res, -ECANCELED);
	KUNIT_EXPECT_EQ(test, uscheme_request_cancel(r[5]), -EALREADY);
	/* A dispatched one is abandoned; the daemon gets a CANCEL naming it. */
	KUNIT_EXPECT_EQ(test, uscheme_request_cancel(r[0]), 0);
	KUNIT_EXPECT_TRUE(test, r[0]->abandoned);
	/* The daemon reads two entries: r[4] and the CANCEL go out. */
	ring->hdr->sq_head = 2;
	uscheme_scheme_dispatch(ring->scheme);
	KUNIT_EXPECT_EQ(test, ring->hdr->sq_tail, 6U);
	KUNIT_EXPECT_EQ(test, sq[4 & 3].tag, r[4]->req.tag);
	KUNIT_EXPECT_EQ(test, sq[5 & 3].opcode, (u8)USCHEME_OP_CANCEL);
	KUNIT_EXPECT_EQ(test, sq[5 & 3].flags, (u8)USCHEME_REQ_F_NOREPLY);
	KUNIT_EXPECT_EQ(test, sq[5 & 3].off, r[0]->req.tag);
	/* The abandoned request's late answer is taken and dropped. */
	KUNIT_EXPECT_EQ(test,
			uscheme_scheme_answer(ring->scheme, r[0]->req.tag, 0, false, NULL), 0);
	/* A garbage sq_head makes the SQ look full: nothing is written. */
	ring->hdr->sq_head = 100;
	KUNIT_EXPECT_EQ(test, uscheme_request_cancel(r[1]), 0);
	KUNIT_EXPECT_EQ(test, ring->hdr->sq_tail, 6U);
	for (i = 0; i < 6; i++)
		uscheme_request_put(r[i]);
	uscheme_ring_release(ring);
}

static void route_admission_limits(struct kunit *test)
{
	struct uscheme_ring *ring = route_ring(test, "kunit-adm");
	u32 pages = USCHEME_DATA_MIN / PAGE_SIZE;
	struct uscheme_request *a, *b;

	a = uscheme_request_alloc(ring->scheme, USCHEME_OP_WRITE);
	b = uscheme_request_alloc(ring->scheme, USCHEME_OP_WRITE);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_ASSERT_NOT_NULL(test, b);
	KUNIT_EXPECT_EQ(test, uscheme_try_admit(a, pages + 1), -E2BIG);
	KUNIT_EXPECT_EQ(test, uscheme_try_admit(a, pages - 1), 0);
	KUNIT_EXPECT_EQ(test, uscheme_try_admit(b, 2), -EAGAIN);
	KUNIT_EXPECT_EQ(test, uscheme_request_cancel(a), 0);	/* never queued */
	uscheme_request_put(a);	/* frees the chunk */
	KUNIT_EXPECT_EQ(test, uscheme_try_admit(b, 2), 0);
	/* The daemon dies: admitted work fails with -EPIPE, new work too. */
	uscheme_daemon_death(ring);
	KUNIT_EXPECT_EQ(test, b->res, -EPIPE);
	KUNIT_EXPECT_EQ(test, uscheme_request_queue(b), -EPIPE);
	a = uscheme_request_alloc(b->scheme, USCHEME_OP_WRITE);
	KUNIT_ASSERT_NOT_NULL(test, a);
	KUNIT_EXPECT_EQ(test, uscheme_request_admit(a, 0), -EPIPE);
	uscheme_request_put(a);
	uscheme_request_put(b);
	uscheme_ring_release(ring);
}

static void route_open_parsing(struct kunit *test)
{
	char spec[32];
	const char *path;

	strscpy(spec, "ram:/a/b:c", sizeof(spec));
	KUNIT_EXPECT_EQ(test, uscheme_open_split(spec, &path), 0);
	KUNIT_EXPECT_STREQ(test, spec, "ram");
	KUNIT_EXPECT_STREQ(test, path, "/a/b:c");
	strscpy(spec, "ram", sizeof(spec));
	KUNIT_EXPECT_EQ(test, uscheme_open_split(spec, &path), -EINVAL);
	strscpy(spec, ":x", sizeof(spec));
	KUNIT_EXPECT_EQ(test, uscheme_open_split(spec, &path), -EINVAL);
	strscpy(spec, "Ram:x", sizeof(spec));
	KUNIT_EXPECT_EQ(test, uscheme_open_split(spec, &path), -EINVAL);
	KUNIT_EXPECT_EQ(test, uscheme_open_flags_check(O_RDWR | O_CREAT | O_CLOEXEC), 0);
	KUNIT_EXPECT_EQ(test, uscheme_open_flags_check(O_ACCMODE), -EINVAL);
	KUNIT_EXPECT_EQ(test, uscheme_open_flags_check(O_SYNC), -EINVAL);
}

static struct kunit_case uscheme_route_cases[] = {
	KUNIT_CASE(route_answer_table),
	KUNIT_CASE(route_tags),
	KUNIT_CASE(route_sq_full_and_cancel),
	KUNIT_CASE(route_admission_limits),
	KUNIT_CASE(route_open_parsing),
	{}
};

static struct kunit_suite uscheme_route_suite = {
	.name = "uscheme_route",
	.test_cases = uscheme_route_cases,
};

kunit_test_suite(uscheme_route_suite);
