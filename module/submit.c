// SPDX-License-Identifier: GPL-2.0
/*
 * The submission path: client SQE -> private copy -> validation -> issue ->
 * CQE. Ops that complete later (routed to a scheme daemon) return
 * -EIOCBQUEUED from their issue function and keep their CQ reservation until
 * they post.
 */
#include <linux/fcntl.h>
#include <linux/minmax.h>
#include <linux/sched/signal.h>

#include "client.h"
#include "event.h"
#include "opdef.h"
#include "request.h"
#include "submit.h"
#include "trace.h"

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

/*
 * Issue a validated entry by the op table: a ring's own op (NOP, CLOSE,
 * CANCEL, FILES_UPDATE) completes here; a routed op goes to client.c. Its
 * result, or -EIOCBQUEUED if it completes later.
 */
static int uscheme_sqe_issue(struct uscheme_ring *ring, const struct uscheme_sqe *sqe)
{
	const struct uscheme_opdef *def = &uscheme_opdefs[sqe->opcode];

	if (def->issue)
		return def->issue(ring, sqe);
	return uscheme_client_issue(ring, sqe);
}

/*
 * One pass under submit_lock: consume up to @to_submit SQEs, each taking a
 * CQ slot first. Returns how many were consumed; *@want says how many were
 * waiting. A routed op whose scheme has no room now is left unconsumed and
 * ends the pass with @ring->blocked_on set (see uscheme_client_admit()).
 */
static u32 uscheme_submit_pass(struct uscheme_ring *ring, u32 to_submit, u32 *want)
{
	struct uscheme_ring_hdr *hdr = ring->hdr;
	struct uscheme_cq_batch batch;
	struct uscheme_plug plug;
	struct uscheme_sqe sqe;
	u32 avail, n, i;
	int res;

	lockdep_assert_held(&ring->submit_lock);
	avail = uscheme_ring_user_count(ring, ring->sq_head, &hdr->sq_tail,
					ring->sq_entries);
	*want = min(to_submit, avail);
	n = *want ? uscheme_cq_reserve(ring, *want) : 0;

	batch.n = 0;
	plug.n = 0;
	ring->plug = &plug;
	for (i = 0; i < n; i++) {
		uscheme_sqe_copy(&sqe, &ring->sqes[ring->sq_head & (ring->sq_entries - 1)]);
		trace_uscheme_submit(ring, sqe.opcode, sqe.fd, sqe.user_data, sqe.len);
		res = uscheme_sqe_check(&sqe);
		if (res && res != -EOPNOTSUPP)
			atomic64_inc(&ring->stats.rejected);
		else if (!res)
			res = uscheme_sqe_issue(ring, &sqe);
		if (res == -EAGAIN && ring->blocked_on)
			break;		/* not consumed: read again after the wait */
		WRITE_ONCE(ring->sq_head, ring->sq_head + 1);
		if (res == -EIOCBQUEUED)
			continue;
		/* Inline completions go out together: one lock, one wakeup. */
		batch.cqe[batch.n].user_data = sqe.user_data;
		batch.cqe[batch.n].res = res;
		batch.cqe[batch.n].flags = 0;
		if (++batch.n == USCHEME_CQ_BATCH)
			uscheme_cq_post_batch(ring, &batch);
	}
	ring->plug = NULL;
	/* What the pass routed goes to its daemons now, one wakeup each. */
	uscheme_plug_finish(&plug);
	if (i < n)
		uscheme_cq_unreserve(ring, n - i);
	uscheme_cq_post_batch(ring, &batch);
	uscheme_ring_user_consumed(ring, &hdr->sq_head, ring->sq_head, i);
	return i;
}

/*
 * Consume up to @to_submit SQEs. Each consumed SQE first takes a CQ slot, so
 * a full CQ stops submission instead of losing completions: -EBUSY when
 * entries were waiting but none could be taken.
 *
 * A routed op whose daemon has no room for it (slots or data area) waits
 * for room here, interruptibly and without submit_lock: a slow daemon
 * never holds up another thread's enter of this ring, and nothing waits
 * uninterruptibly for a daemon. A signal ends the wait with -EINTR (-ERESTARTSYS
 * for task work alone), @deadline (the enter's timeout, KTIME_MAX for none)
 * with -ETIME, the op's SQE not consumed; *@submitted counts what was.
 */
int uscheme_ring_submit(struct uscheme_ring *ring, u32 to_submit, u32 *submitted,
			ktime_t deadline)
{
	struct uscheme_scheme *blocked;
	u32 want, n, bytes;
	int ret;

	*submitted = 0;
	for (;;) {
		if (mutex_lock_interruptible(&ring->submit_lock))
			return uscheme_interrupted();
		n = uscheme_submit_pass(ring, to_submit, &want);
		blocked = ring->blocked_on;
		bytes = ring->blocked_bytes;
		ring->blocked_on = NULL;
		mutex_unlock(&ring->submit_lock);

		*submitted += n;
		to_submit -= n;
		if (!blocked)
			break;
		ret = uscheme_scheme_wait_room(blocked, bytes, deadline);
		uscheme_scheme_put(blocked);
		if (ret)
			return ret;
	}
	if (want && !n && !*submitted) {
		atomic64_inc(&ring->stats.busy);
		return -EBUSY;
	}
	return 0;
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/submit_kunit.c"
#endif
