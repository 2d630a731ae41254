// SPDX-License-Identifier: GPL-2.0
/*
 * The submission path: client SQE -> private copy -> validation -> issue ->
 * CQE. Ops that complete later (routed to a scheme daemon) return
 * -EIOCBQUEUED from their issue function and keep their CQ reservation until
 * they post.
 */
#include <linux/minmax.h>

#include "submit.h"

/* One READ_ONCE per field: the entry may change under us while we copy. */
void uscheme_sqe_copy(struct uscheme_sqe *dst, const struct uscheme_sqe *src)
{
	dst->opcode = READ_ONCE(src->opcode);
	dst->flags = READ_ONCE(src->flags);
	dst->ioprio = READ_ONCE(src->ioprio);
	dst->fd = READ_ONCE(src->fd);
	dst->off = READ_ONCE(src->off);
	dst->addr = READ_ONCE(src->addr);
	dst->len = READ_ONCE(src->len);
	dst->op_flags = READ_ONCE(src->op_flags);
	dst->user_data = READ_ONCE(src->user_data);
	dst->addr2 = READ_ONCE(src->addr2);
	dst->len2 = READ_ONCE(src->len2);
	dst->resv0 = READ_ONCE(src->resv0);
	dst->resv1 = READ_ONCE(src->resv1);
}

/* True when every argument field is zero (ops that take no arguments). */
static bool uscheme_sqe_args_zero(const struct uscheme_sqe *sqe)
{
	return !(sqe->fd | sqe->off | sqe->addr | sqe->len | sqe->op_flags |
		 sqe->addr2 | sqe->len2);
}

/*
 * Validate a private copy. Returns 0 when the entry may be issued,
 * -EINVAL for a malformed entry, -EOPNOTSUPP for a well-formed op that this
 * module does not implement yet.
 */
int uscheme_sqe_check(const struct uscheme_sqe *sqe)
{
	if (sqe->opcode >= USCHEME_OP_LAST)
		return -EINVAL;
	if (sqe->flags & ~USCHEME_SQE_FLAGS)
		return -EINVAL;
	if (sqe->ioprio || sqe->resv0 || sqe->resv1)
		return -EINVAL;

	switch (sqe->opcode) {
	case USCHEME_OP_NOP:
		return uscheme_sqe_args_zero(sqe) ? 0 : -EINVAL;
	default:
		return -EOPNOTSUPP;
	}
}

/* Issue a validated entry: its result, or -EIOCBQUEUED if it completes later. */
static int uscheme_sqe_issue(struct uscheme_ring *ring, const struct uscheme_sqe *sqe)
{
	switch (sqe->opcode) {
	case USCHEME_OP_NOP:
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/*
 * Consume up to @to_submit SQEs. Each consumed SQE first takes a CQ slot, so
 * a full CQ stops submission instead of losing completions: -EBUSY when
 * entries were waiting but none could be taken.
 */
int uscheme_ring_submit(struct uscheme_ring *ring, u32 to_submit, u32 *submitted)
{
	struct uscheme_ring_hdr *hdr = ring->hdr;
	struct uscheme_cq_batch batch;
	u32 avail, want, n, i;
	struct uscheme_sqe sqe;
	int res;

	mutex_lock(&ring->submit_lock);
	avail = uscheme_ring_user_count(ring, ring->sq_head, &hdr->sq_tail,
					ring->sq_entries);
	want = min(to_submit, avail);
	n = want ? uscheme_cq_reserve(ring, want) : 0;

	batch.n = 0;
	for (i = 0; i < n; i++) {
		uscheme_sqe_copy(&sqe, &ring->sqes[ring->sq_head & (ring->sq_entries - 1)]);
		WRITE_ONCE(ring->sq_head, ring->sq_head + 1);
		res = uscheme_sqe_check(&sqe);
		if (res == -EINVAL)
			atomic64_inc(&ring->stats.rejected);
		else if (!res)
			res = uscheme_sqe_issue(ring, &sqe);
		if (res == -EIOCBQUEUED)
			continue;
		/* Inline completions go out together: one lock, one wakeup. */
		batch.cqe[batch.n].user_data = sqe.user_data;
		batch.cqe[batch.n].res = res;
		batch.cqe[batch.n].flags = 0;
		if (++batch.n == USCHEME_CQ_BATCH)
			uscheme_cq_post_batch(ring, &batch);
	}
	uscheme_cq_post_batch(ring, &batch);
	uscheme_ring_user_consumed(ring, &hdr->sq_head, ring->sq_head, n);
	mutex_unlock(&ring->submit_lock);

	*submitted = n;
	if (want && !n) {
		atomic64_inc(&ring->stats.busy);
		return -EBUSY;
	}
	return 0;
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/submit_kunit.c"
#endif
