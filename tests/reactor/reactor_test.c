// SPDX-License-Identifier: MIT
/*
 * libuscheme's completion reactor. Tests named unit_* need no kernel module
 * (they feed CQEs by hand) and also run on the build host under valgrind;
 * the others drive a real ring inside the test VM.
 *
 * Usage: reactor_test [name-substring]
 */
#include <stdint.h>

#include "../../userspace-drivers/libuscheme/reactor.h"
#include "../lib/tap.h"

struct counter {
	unsigned int calls;
	int last_res;
	uint32_t last_flags;
};

static void count_cb(struct us_reactor *rx, struct us_op *op,
		     const struct uscheme_cqe *cqe)
{
	struct counter *c = op->ctx;

	(void)rx;
	c->calls++;
	c->last_res = cqe->res;
	c->last_flags = cqe->flags;
}

static int unit_tags_basic(void)
{
	struct us_op ops[4];
	uint64_t tag[4], again;
	struct us_tags t;
	int i, j;

	CHECK_EQ(us_tags_init(&t, 4), 0);
	for (i = 0; i < 4; i++) {
		tag[i] = us_tags_get(&t, &ops[i]);
		CHECK(tag[i] != 0);
		for (j = 0; j < i; j++)
			CHECK(tag[i] != tag[j]);
	}
	CHECK_EQ(us_tags_get(&t, &ops[0]), 0);	/* full */
	CHECK_EQ(t.used, 4);
	for (i = 0; i < 4; i++)
		CHECK(us_tags_lookup(&t, tag[i], false) == &ops[i]);
	CHECK(us_tags_lookup(&t, tag[2], true) == &ops[2]);
	CHECK(us_tags_lookup(&t, tag[2], false) == NULL);	/* stale now */
	again = us_tags_get(&t, &ops[2]);
	CHECK(again != 0 && again != tag[2]);
	CHECK_EQ((uint32_t)again, (uint32_t)tag[2]);	/* same slot, new generation */
	CHECK(us_tags_lookup(&t, tag[2], true) == NULL);
	CHECK(us_tags_lookup(&t, again, true) == &ops[2]);
	us_tags_exit(&t);
	CHECK_EQ(us_tags_init(&t, 0), -EINVAL);
	return 0;
}

static int unit_tags_reject_forged(void)
{
	struct us_op op;
	struct us_tags t;
	uint64_t tag;

	CHECK_EQ(us_tags_init(&t, 8), 0);
	tag = us_tags_get(&t, &op);
	CHECK(us_tags_lookup(&t, 0, false) == NULL);
	CHECK(us_tags_lookup(&t, 9, false) == NULL);		/* beyond the table */
	CHECK(us_tags_lookup(&t, 0xffffffffULL, false) == NULL);
	CHECK(us_tags_lookup(&t, tag + (1ULL << 32), false) == NULL);	/* wrong generation */
	CHECK(us_tags_lookup(&t, (uint32_t)tag + 1, false) == NULL);	/* a free slot */
	CHECK(us_tags_lookup(&t, tag, true) == &op);
	CHECK(us_tags_lookup(&t, tag, true) == NULL);		/* second answer */
	CHECK_EQ(t.used, 0);
	us_tags_exit(&t);
	return 0;
}

/* Random get/release against a model: no tag is ever handed out twice live. */
static int unit_tags_churn(void)
{
	enum { N = 64 };
	struct us_op ops[N];
	uint64_t live[N] = { 0 };
	struct us_tags t;
	unsigned int i, used = 0;

	CHECK_EQ(us_tags_init(&t, N), 0);
	srand(7);
	for (i = 0; i < 200000; i++) {
		unsigned int k = (unsigned int)rand() % N;

		if (live[k]) {
			CHECK(us_tags_lookup(&t, live[k], true) == &ops[k]);
			CHECK(us_tags_lookup(&t, live[k], false) == NULL);
			live[k] = 0;
			used--;
		} else {
			unsigned int j;

			live[k] = us_tags_get(&t, &ops[k]);
			CHECK(live[k] != 0);
			for (j = 0; j < N; j++)
				CHECK(j == k || live[j] != live[k]);
			used++;
		}
		CHECK_EQ(t.used, used);
	}
	us_tags_exit(&t);
	return 0;
}

static int unit_dispatch_tag_mode(void)
{
	struct counter c = { 0 }, c2 = { 0 };
	struct us_op op = { count_cb, &c }, op2 = { count_cb, &c2 };
	struct uscheme_cqe cqe = { 0 };
	struct us_reactor rx;

	CHECK_EQ(us_reactor_init(&rx, NULL, US_REACTOR_TAG, 4), 0);
	cqe.user_data = us_tags_get(&rx.tags, &op);
	rx.inflight = 1;
	cqe.res = -5;
	CHECK_EQ(us_reactor_dispatch(&rx, &cqe), 0);
	CHECK_EQ(c.calls, 1);
	CHECK_EQ(c.last_res, -5);
	CHECK_EQ(rx.inflight, 0);
	/* a repeated answer and a forged one: dropped and counted */
	CHECK_EQ(us_reactor_dispatch(&rx, &cqe), -ENOENT);
	cqe.user_data = 0xdeadbeefULL;
	CHECK_EQ(us_reactor_dispatch(&rx, &cqe), -ENOENT);
	CHECK_EQ(c.calls, 1);
	CHECK_EQ(rx.rejected, 2);
	/* multishot: F_MORE keeps the tag until the final CQE */
	cqe.user_data = us_tags_get(&rx.tags, &op2);
	rx.inflight = 1;
	cqe.flags = USCHEME_CQE_F_MORE;
	CHECK_EQ(us_reactor_dispatch(&rx, &cqe), 0);
	CHECK_EQ(us_reactor_dispatch(&rx, &cqe), 0);
	CHECK_EQ(rx.inflight, 1);
	cqe.flags = 0;
	CHECK_EQ(us_reactor_dispatch(&rx, &cqe), 0);
	CHECK_EQ(us_reactor_dispatch(&rx, &cqe), -ENOENT);
	CHECK_EQ(c2.calls, 3);
	CHECK_EQ(rx.inflight, 0);
	CHECK_EQ(rx.dispatched, 4);
	CHECK_EQ(rx.rejected, 3);
	us_reactor_exit(&rx);
	CHECK_EQ(us_reactor_init(&rx, NULL, (enum us_reactor_mode)9, 4), -EINVAL);
	return 0;
}

static int unit_dispatch_pointer_mode(void)
{
	struct counter c = { 0 };
	struct us_op op = { count_cb, &c };
	struct uscheme_cqe cqe = { .user_data = (uint64_t)(uintptr_t)&op, .res = 7 };
	struct us_reactor rx;

	CHECK_EQ(us_reactor_init(&rx, NULL, US_REACTOR_POINTER, 0), 0);
	rx.inflight = 1;
	CHECK_EQ(us_reactor_dispatch(&rx, &cqe), 0);
	CHECK_EQ(c.calls, 1);
	CHECK_EQ(c.last_res, 7);
	CHECK_EQ(rx.inflight, 0);
	cqe.user_data = 0;	/* a NULL op is refused even in pointer mode */
	CHECK_EQ(us_reactor_dispatch(&rx, &cqe), -ENOENT);
	us_reactor_exit(&rx);
	return 0;
}

/* N NOPs through a real ring, each with its own op; every callback once. */
static int nops_through(enum us_reactor_mode mode)
{
	enum { N = 3000 };
	static struct counter c[N];
	static struct us_op ops[N];
	struct us_reactor rx;
	struct us_ring ring;
	unsigned int next = 0, done = 0, i;

	memset(c, 0, sizeof(c));
	CHECK_EQ(us_ring_init(&ring, 8, 0, 0), 0);
	CHECK_EQ(us_reactor_init(&rx, &ring, mode, 32), 0);
	while (done < N) {
		struct uscheme_sqe *sqe;
		int ret;

		while (next < N) {
			ops[next].complete = count_cb;
			ops[next].ctx = &c[next];
			sqe = us_reactor_sqe(&rx, &ops[next]);
			if (!sqe)
				break;
			us_prep_nop(sqe, sqe->user_data);
			next++;
		}
		ret = us_reactor_run_once(&rx, 5LL * 1000 * 1000 * 1000);
		CHECK(ret > 0);
		done += (unsigned int)ret;
	}
	for (i = 0; i < N; i++) {
		CHECK_EQ(c[i].calls, 1);
		CHECK_EQ(c[i].last_res, 0);
	}
	CHECK_EQ(rx.rejected, 0);
	CHECK_EQ(rx.inflight, 0);
	CHECK_EQ(rx.dispatched, N);
	us_reactor_exit(&rx);
	us_ring_exit(&ring);
	return 0;
}

static int t_nops_tag_mode(void)
{
	return nops_through(US_REACTOR_TAG);
}

static int t_nops_pointer_mode(void)
{
	return nops_through(US_REACTOR_POINTER);
}

struct chain {
	struct us_op op;
	unsigned int left;
	int err;
};

/* A callback that submits the next operation: the reactor's main pattern. */
static void chain_cb(struct us_reactor *rx, struct us_op *op,
		     const struct uscheme_cqe *cqe)
{
	struct chain *ch = (struct chain *)op;
	struct uscheme_sqe *sqe;

	if (cqe->res)
		ch->err = 1;
	if (!--ch->left)
		return;
	sqe = us_reactor_sqe(rx, op);
	if (!sqe) {
		ch->err = 1;
		return;
	}
	us_prep_nop(sqe, sqe->user_data);
}

static int t_callback_resubmits(void)
{
	struct chain ch = { .op = { chain_cb, NULL }, .left = 500 };
	struct us_reactor rx;
	struct us_ring ring;
	struct uscheme_sqe *sqe;
	int guard = 0;

	CHECK_EQ(us_ring_init(&ring, 4, 0, 0), 0);
	CHECK_EQ(us_reactor_init(&rx, &ring, US_REACTOR_TAG, 4), 0);
	sqe = us_reactor_sqe(&rx, &ch.op);
	CHECK(sqe);
	us_prep_nop(sqe, sqe->user_data);
	while (ch.left && guard++ < 10000)
		CHECK(us_reactor_run_once(&rx, 5LL * 1000 * 1000 * 1000) > 0);
	CHECK_EQ(ch.left, 0);
	CHECK_EQ(ch.err, 0);
	CHECK_EQ(rx.dispatched, 500);
	CHECK_EQ(rx.tags.used, 0);
	us_reactor_exit(&rx);
	us_ring_exit(&ring);
	return 0;
}

static int t_run_once_times_out(void)
{
	struct us_reactor rx;
	struct us_ring ring;

	CHECK_EQ(us_ring_init(&ring, 4, 0, 0), 0);
	CHECK_EQ(us_reactor_init(&rx, &ring, US_REACTOR_POINTER, 0), 0);
	CHECK_EQ(us_reactor_run_once(&rx, 1000 * 1000), -ETIME);
	us_reactor_exit(&rx);
	us_ring_exit(&ring);
	return 0;
}

/* The tag table, not the SQ, limits what is in flight. */
static int t_tag_table_full(void)
{
	struct counter c = { 0 };
	struct us_op op = { count_cb, &c };
	struct us_reactor rx;
	struct us_ring ring;
	int i;

	CHECK_EQ(us_ring_init(&ring, 16, 0, 0), 0);
	CHECK_EQ(us_reactor_init(&rx, &ring, US_REACTOR_TAG, 3), 0);
	for (i = 0; i < 3; i++) {
		struct uscheme_sqe *sqe = us_reactor_sqe(&rx, &op);

		CHECK(sqe);
		us_prep_nop(sqe, sqe->user_data);
	}
	CHECK(us_reactor_sqe(&rx, &op) == NULL);
	CHECK_EQ(us_sq_pending(&ring), 3);	/* no SQE was wasted */
	while (c.calls < 3)
		CHECK(us_reactor_run_once(&rx, 5LL * 1000 * 1000 * 1000) > 0);
	CHECK(us_reactor_sqe(&rx, &op) != NULL);
	us_reactor_exit(&rx);
	us_ring_exit(&ring);
	return 0;
}

static const struct tap_test tests[] = {
	{ "unit_tags_basic", unit_tags_basic, 0 },
	{ "unit_tags_reject_forged", unit_tags_reject_forged, 0 },
	{ "unit_tags_churn", unit_tags_churn, 120 },
	{ "unit_dispatch_tag_mode", unit_dispatch_tag_mode, 0 },
	{ "unit_dispatch_pointer_mode", unit_dispatch_pointer_mode, 0 },
	{ "nops_tag_mode", t_nops_tag_mode, 0 },
	{ "nops_pointer_mode", t_nops_pointer_mode, 0 },
	{ "callback_resubmits", t_callback_resubmits, 0 },
	{ "run_once_times_out", t_run_once_times_out, 0 },
	{ "tag_table_full", t_tag_table_full, 0 },
};

int main(int argc, char **argv)
{
	return tap_run("reactor", tests, sizeof(tests) / sizeof(tests[0]),
		       argc > 1 ? argv[1] : NULL);
}
