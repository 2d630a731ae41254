// SPDX-License-Identifier: GPL-2.0
/*
 * The daemon's side of a scheme ring: responses (struct uscheme_cqe that the
 * daemon produced in the CQE array) are copied out of shared memory once,
 * then matched to their request by tag.
 *
 * Each one names its request by tag; the scheme's request table decides
 * whether the answer is accepted (request.c). Anything else is dropped and
 * counted in this ring's rejected counter.
 */
#include <linux/file.h>
#include <linux/minmax.h>

#include "event.h"
#include "handle.h"
#include "request.h"
#include "respond.h"

/*
 * The file a daemon passes with USCHEME_CQE_F_FD (fd @res in its table), or
 * NULL: then the answer is refused (-EIO for the client, counted rejected).
 * A uscheme ring, an AF_UNIX socket or an io_uring instance is never taken:
 * on a client ring's done list it could hold that ring's own file (a cycle
 * no garbage collector sees, event.h), and a daemon's own scheme ring would
 * keep its scheme alive after the daemon died.
 */
static struct file *uscheme_passed_file(s32 res)
{
	struct file *file = res >= 0 ? fget(res) : NULL;

	if (file && (uscheme_file_is_ring(file) || uscheme_file_holds_files(file))) {
		fput(file);
		return NULL;
	}
	return file;
}

/*
 * Match one private copy to its request. Returns 0, -ENOENT (unknown tag:
 * dropped) or -EIO (an illegal result: the client gets -EIO).
 */
static int uscheme_response_match(struct uscheme_ring *ring,
				  const struct uscheme_cqe *resp)
{
	if (!ring->scheme)
		return -ENOENT;
	if (resp->flags == USCHEME_CQE_F_EVENT)
		return uscheme_scheme_send_event(ring->scheme, resp->user_data, resp->res);
	if (resp->flags == USCHEME_CQE_F_FD)	/* in the daemon's enter: its fds */
		return uscheme_scheme_answer(ring->scheme, resp->user_data, resp->res, true,
					     uscheme_passed_file(resp->res));
	if (resp->flags)
		return -ENOENT;
	return uscheme_scheme_answer(ring->scheme, resp->user_data, resp->res, false, NULL);
}

/*
 * Consume up to @max responses. Unlike SQEs, a response needs no CQ slot:
 * it completes a request whose client reserved one at submission.
 */
int uscheme_ring_consume_responses(struct uscheme_ring *ring, u32 max,
				   u32 *consumed)
{
	struct uscheme_ring_hdr *hdr = ring->hdr;
	const struct uscheme_cqe *slot;
	struct uscheme_cqe resp;
	u32 n, i;

	mutex_lock(&ring->submit_lock);
	n = uscheme_ring_user_count(ring, ring->resp_head, &hdr->cq_tail,
				    ring->cq_entries);
	n = min(n, max);
	for (i = 0; i < n; i++) {
		slot = ring->cqes + (size_t)(ring->resp_head & (ring->cq_entries - 1)) *
			ring->cqe_size;
		resp.user_data = READ_ONCE(slot->user_data);
		resp.res = READ_ONCE(slot->res);
		resp.flags = READ_ONCE(slot->flags);
		WRITE_ONCE(ring->resp_head, ring->resp_head + 1);
		if (uscheme_response_match(ring, &resp))
			atomic64_inc(&ring->stats.rejected);
	}
	uscheme_ring_user_consumed(ring, &hdr->cq_head, ring->resp_head, n);
	mutex_unlock(&ring->submit_lock);
	/* Answers freed slots and data: queued requests may go out now. */
	if (n && ring->scheme)
		uscheme_scheme_dispatch(ring->scheme);
	*consumed = n;
	return 0;
}
