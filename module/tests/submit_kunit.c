// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: every SQE validation rule, the copy-once helper, submission
 * with CQ backpressure, and the op table's own rules. Included from
 * submit.c when CONFIG_KUNIT is set.
 */
#include <kunit/test.h>

#include "../enter.h"

static void sqe_nop_valid(struct kunit *test)
{
	struct uscheme_sqe sqe = { .opcode = USCHEME_OP_NOP, .user_data = ~0ULL };

	KUNIT_EXPECT_EQ(test, uscheme_sqe_check(&sqe), 0);
}

/* Each rule on its own: set exactly one bad field on a valid NOP. */
static void sqe_rules(struct kunit *test)
{
	static const struct {
		const char *what;
		size_t off;
		size_t size;
	} fields[] = {
		{ "flags", offsetof(struct uscheme_sqe, flags),
		  sizeof_field(struct uscheme_sqe, flags) },
		{ "ioprio", offsetof(struct uscheme_sqe, ioprio),
		  sizeof_field(struct uscheme_sqe, ioprio) },
		{ "fd", offsetof(struct uscheme_sqe, fd),
		  sizeof_field(struct uscheme_sqe, fd) },
		{ "off", offsetof(struct uscheme_sqe, off),
		  sizeof_field(struct uscheme_sqe, off) },
		{ "addr", offsetof(struct uscheme_sqe, addr),
		  sizeof_field(struct uscheme_sqe, addr) },
		{ "len", offsetof(struct uscheme_sqe, len),
		  sizeof_field(struct uscheme_sqe, len) },
		{ "op_flags", offsetof(struct uscheme_sqe, op_flags),
		  sizeof_field(struct uscheme_sqe, op_flags) },
		{ "addr2", offsetof(struct uscheme_sqe, addr2),
		  sizeof_field(struct uscheme_sqe, addr2) },
		{ "len2", offsetof(struct uscheme_sqe, len2),
		  sizeof_field(struct uscheme_sqe, len2) },
		{ "resv0", offsetof(struct uscheme_sqe, resv0),
		  sizeof_field(struct uscheme_sqe, resv0) },
		{ "resv1", offsetof(struct uscheme_sqe, resv1),
		  sizeof_field(struct uscheme_sqe, resv1) },
	};
	unsigned int i, bit;

	for (i = 0; i < ARRAY_SIZE(fields); i++) {
		for (bit = 0; bit < fields[i].size * 8; bit += 7) {
			struct uscheme_sqe sqe = { .opcode = USCHEME_OP_NOP };
			u8 *p = (u8 *)&sqe + fields[i].off;

			p[bit / 8] |= 1U << (bit % 8);
			KUNIT_EXPECT_EQ_MSG(test, uscheme_sqe_check(&sqe), -EINVAL,
					    "field %s bit %u", fields[i].what, bit);
		}
	}
}

/* Each op refuses the argument fields it does not use, and checks its own. */
static void sqe_op_fields(struct kunit *test)
{
	struct uscheme_sqe sqe = {};

	sqe.opcode = USCHEME_OP_CLOSE;
	sqe.off = 1;
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check(&sqe), -EINVAL);
	sqe.off = 0;
	sqe.fd = -1;		/* well formed: the fd is judged at issue (-EBADF) */
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check(&sqe), 0);

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = USCHEME_OP_READ;
	sqe.fd = 3;
	sqe.off = USCHEME_OFF_CURRENT;
	sqe.addr = 0x1000;
	sqe.len = 4096;
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check(&sqe), 0);
	sqe.op_flags = 1;
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check(&sqe), -EINVAL);
	sqe.op_flags = 0;
	sqe.addr2 = 1;
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check(&sqe), -EINVAL);

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = USCHEME_OP_OPEN;
	sqe.addr = 0x1000;
	sqe.len = USCHEME_PATH_MAX;
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check(&sqe), 0);
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check_args(&sqe), 0);
	sqe.len = USCHEME_PATH_MAX + 1;
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check(&sqe), 0);
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check_args(&sqe), -ENAMETOOLONG);
	sqe.len = 0;
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check_args(&sqe), -EINVAL);
	sqe.len = 8;
	sqe.fd = 3;
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check(&sqe), -EINVAL);

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = USCHEME_OP_CALL;
	sqe.len = USCHEME_IO_MAX;
	sqe.len2 = USCHEME_IO_MAX;
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check_args(&sqe), 0);
	sqe.len2 = USCHEME_IO_MAX + 1;
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check(&sqe), 0);
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check_args(&sqe), -E2BIG);

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = USCHEME_OP_DUP;
	sqe.op_flags = O_CLOEXEC;
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check_args(&sqe), 0);
	sqe.op_flags = O_APPEND;
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check_args(&sqe), -EINVAL);
	sqe.op_flags = 0;
	sqe.len = USCHEME_PATH_MAX + 1;
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check_args(&sqe), -ENAMETOOLONG);

	memset(&sqe, 0, sizeof(sqe));
	sqe.opcode = USCHEME_OP_CANCEL;
	sqe.addr = 42;		/* the user_data to cancel */
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check(&sqe), 0);
	sqe.len = 1;
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check(&sqe), -EINVAL);
}

static void sqe_opcodes(struct kunit *test)
{
	struct uscheme_sqe sqe = {};
	unsigned int op;

	/* A zeroed entry of each op: its form, then its arguments. */
	static const int zeroed_args[USCHEME_OP_LAST] = {
		[USCHEME_OP_OPEN] = -EINVAL,		/* no path */
		[USCHEME_OP_FSTAT] = -EINVAL,		/* no room for a stat */
		[USCHEME_OP_FILES_UPDATE] = -EINVAL,	/* no entries */
	};

	for (op = 0; op < 256; op++) {
		sqe.opcode = op;
		if (op == USCHEME_OP_SEND_EVENT) {	/* a response flag only */
			KUNIT_EXPECT_EQ(test, uscheme_sqe_check(&sqe), -EINVAL);
		} else if (op < USCHEME_OP_LAST) {
			KUNIT_EXPECT_EQ_MSG(test, uscheme_sqe_check(&sqe), 0, "op %u", op);
			KUNIT_EXPECT_EQ_MSG(test, uscheme_sqe_check_args(&sqe), zeroed_args[op],
					    "op %u", op);
		} else {
			KUNIT_EXPECT_EQ_MSG(test, uscheme_sqe_check(&sqe), -EINVAL,
					    "op %u", op);
		}
	}
	/* Generic rules come first. */
	sqe.opcode = USCHEME_OP_READ;
	sqe.resv1 = 1;
	KUNIT_EXPECT_EQ(test, uscheme_sqe_check(&sqe), -EINVAL);
}

static void sqe_copy_all_fields(struct kunit *test)
{
	struct uscheme_sqe src, dst;

	memset(&src, 0xa5, sizeof(src));
	memset(&dst, 0, sizeof(dst));
	uscheme_sqe_copy(&dst, &src);
	KUNIT_EXPECT_EQ(test, memcmp(&src, &dst, sizeof(src)), 0);
}

static void put_nop(struct uscheme_ring *ring, u32 idx, u64 user_data)
{
	struct uscheme_sqe *s = &ring->sqes[idx & (ring->sq_entries - 1)];

	memset(s, 0, sizeof(*s));
	s->opcode = USCHEME_OP_NOP;
	s->user_data = user_data;
}

static void submit_nops_and_backpressure(struct kunit *test)
{
	struct uscheme_params p = { .sq_entries = 4, .cq_entries = 8 };
	struct uscheme_ring *ring = uscheme_ring_alloc();
	u32 i, n;

	KUNIT_ASSERT_NOT_NULL(test, ring);
	KUNIT_ASSERT_EQ(test, uscheme_ring_setup(ring, &p), 0);

	/* Nothing queued: nothing submitted, no error. */
	KUNIT_EXPECT_EQ(test, uscheme_ring_submit(ring, 4, &n, KTIME_MAX), 0);
	KUNIT_EXPECT_EQ(test, n, 0U);

	for (i = 0; i < 4; i++)
		put_nop(ring, i, i);
	ring->hdr->sq_tail = 4;
	KUNIT_EXPECT_EQ(test, uscheme_ring_submit(ring, 2, &n, KTIME_MAX), 0);
	KUNIT_EXPECT_EQ(test, n, 2U);
	KUNIT_EXPECT_EQ(test, ring->hdr->sq_head, 2U);
	KUNIT_EXPECT_EQ(test, uscheme_ring_submit(ring, 100, &n, KTIME_MAX), 0);
	KUNIT_EXPECT_EQ(test, n, 2U);

	for (i = 4; i < 8; i++)
		put_nop(ring, i, i);
	ring->hdr->sq_tail = 8;
	KUNIT_EXPECT_EQ(test, uscheme_ring_submit(ring, 4, &n, KTIME_MAX), 0);
	KUNIT_EXPECT_EQ(test, n, 4U);
	KUNIT_EXPECT_EQ(test, ring->hdr->cq_tail, 8U);

	/* The CQ is full: submission is refused, nothing is consumed. */
	for (i = 8; i < 12; i++)
		put_nop(ring, i, i);
	ring->hdr->sq_tail = 12;
	KUNIT_EXPECT_EQ(test, uscheme_ring_submit(ring, 4, &n, KTIME_MAX), -EBUSY);
	KUNIT_EXPECT_EQ(test, n, 0U);
	KUNIT_EXPECT_EQ(test, ring->hdr->sq_head, 8U);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ring->stats.busy), 1LL);

	/* Consuming 3 CQEs lets exactly 3 in. */
	ring->hdr->cq_head = 3;
	KUNIT_EXPECT_EQ(test, uscheme_ring_submit(ring, 4, &n, KTIME_MAX), 0);
	KUNIT_EXPECT_EQ(test, n, 3U);
	/* The 8-entry CQ has wrapped: it holds the last 8 completions. */
	for (i = 3; i < 11; i++)
		KUNIT_EXPECT_EQ(test,
				((struct uscheme_cqe *)ring->cqes)[i & 7].user_data,
				(u64)i);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ring->stats.submitted), 11LL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ring->stats.completed), 11LL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ring->stats.overflow), 0LL);
	uscheme_ring_release(ring);
}

/* Garbage indices and entries: errors in CQEs, clamping, never a crash. */
static void submit_garbage(struct kunit *test)
{
	struct uscheme_params p = { .sq_entries = 8, .cq_entries = 8 };
	struct uscheme_ring *ring = uscheme_ring_alloc();
	struct uscheme_cqe *cqes;
	u32 i, n;

	KUNIT_ASSERT_NOT_NULL(test, ring);
	KUNIT_ASSERT_EQ(test, uscheme_ring_setup(ring, &p), 0);
	cqes = ring->cqes;
	memset(ring->sqes, 0xff, 8 * sizeof(struct uscheme_sqe));
	ring->hdr->sq_tail = 0x80000000U;	/* far beyond the ring */
	KUNIT_EXPECT_EQ(test, uscheme_ring_submit(ring, ~0U, &n, KTIME_MAX), 0);
	KUNIT_EXPECT_EQ(test, n, 8U);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ring->stats.sq_clamped), 1LL);
	KUNIT_EXPECT_EQ(test, atomic64_read(&ring->stats.rejected), 8LL);
	for (i = 0; i < 8; i++)
		KUNIT_EXPECT_EQ(test, cqes[i].res, -EINVAL);
	/* Clamped again, but the CQ is full now: refused. */
	KUNIT_EXPECT_EQ(test, uscheme_ring_submit(ring, ~0U, &n, KTIME_MAX), -EBUSY);
	uscheme_ring_release(ring);
}

/*
 * The op table passes its own rules, and each rule catches the entry that
 * breaks it (uscheme_opdefs_init() refuses to load such a table).
 */
static void opdef_table_rules(struct kunit *test)
{
	const struct uscheme_opdef *read = &uscheme_opdefs[USCHEME_OP_READ];
	const struct uscheme_opdef *nop = &uscheme_opdefs[USCHEME_OP_NOP];
	struct uscheme_opdef bad;
	int op;

	for (op = 0; op < USCHEME_OP_LAST; op++)
		KUNIT_EXPECT_TRUE_MSG(test, uscheme_opdef_valid(&uscheme_opdefs[op]), "op %d", op);
	KUNIT_EXPECT_EQ(test, uscheme_opdefs_init(), 0);

	bad = *read;
	bad.name = NULL;
	KUNIT_EXPECT_FALSE_MSG(test, uscheme_opdef_valid(&bad), "no name");
	bad = *read;
	bad.issue = nop->issue;
	KUNIT_EXPECT_FALSE_MSG(test, uscheme_opdef_valid(&bad), "routed and issued");
	bad = *read;
	bad.prep = NULL;
	KUNIT_EXPECT_FALSE_MSG(test, uscheme_opdef_valid(&bad), "chunk without prep");
	bad = *nop;
	bad.issue = NULL;
	KUNIT_EXPECT_FALSE_MSG(test, uscheme_opdef_valid(&bad), "neither routed nor issued");
	bad = *nop;
	bad.flags = USCHEME_OPF_ON_HANDLE;
	KUNIT_EXPECT_FALSE_MSG(test, uscheme_opdef_valid(&bad), "issued on a handle");
	bad = *nop;
	bad.flags = USCHEME_OPF_OUT_BUF;
	KUNIT_EXPECT_FALSE_MSG(test, uscheme_opdef_valid(&bad), "issued with a result buffer");
	bad = *nop;
	bad.answer = read->answer;
	KUNIT_EXPECT_FALSE_MSG(test, uscheme_opdef_valid(&bad), "an answer check unrouted");
	bad = *read;
	bad.flags |= USCHEME_OPF_HANDLE;
	KUNIT_EXPECT_FALSE_MSG(test, uscheme_opdef_valid(&bad), "a handle not made");
	bad = uscheme_opdefs[USCHEME_OP_OPEN];
	bad.complete = read->complete;
	KUNIT_EXPECT_FALSE_MSG(test, uscheme_opdef_valid(&bad), "OPEN not completing a handle");
	bad = uscheme_opdefs[USCHEME_OP_OPEN];
	bad.fmode = FMODE_READ;
	KUNIT_EXPECT_FALSE_MSG(test, uscheme_opdef_valid(&bad), "an open mode without a handle");
}

static struct kunit_case uscheme_submit_cases[] = {
	KUNIT_CASE(sqe_nop_valid),
	KUNIT_CASE(sqe_rules),
	KUNIT_CASE(sqe_opcodes),
	KUNIT_CASE(sqe_op_fields),
	KUNIT_CASE(sqe_copy_all_fields),
	KUNIT_CASE(submit_nops_and_backpressure),
	KUNIT_CASE(submit_garbage),
	KUNIT_CASE(opdef_table_rules),
	{}
};

static struct kunit_suite uscheme_submit_suite = {
	.name = "uscheme_submit",
	.test_cases = uscheme_submit_cases,
};

kunit_test_suite(uscheme_submit_suite);
