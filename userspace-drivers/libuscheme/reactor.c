// SPDX-License-Identifier: MIT
/* libuscheme: the completion reactor (pointer and tag modes). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "reactor.h"

int us_tags_init(struct us_tags *t, uint32_t nslots)
{
	uint32_t i;

	memset(t, 0, sizeof(*t));
	if (!nslots || nslots > UINT32_MAX - 1)
		return -EINVAL;
	t->slots = calloc(nslots, sizeof(*t->slots));
	if (!t->slots)
		return -ENOMEM;
	t->nslots = nslots;
	for (i = 0; i < nslots; i++)
		t->slots[i].next_free = i + 2 <= nslots ? i + 2 : 0;
	t->free_head = 1;
	return 0;
}

void us_tags_exit(struct us_tags *t)
{
	free(t->slots);
	memset(t, 0, sizeof(*t));
}

uint64_t us_tags_get(struct us_tags *t, struct us_op *op)
{
	struct us_tag_slot *s;
	uint32_t idx;

	if (!t->free_head || !op)
		return 0;
	idx = t->free_head - 1;
	s = &t->slots[idx];
	t->free_head = s->next_free;
	s->op = op;
	s->next_free = 0;
	t->used++;
	return ((uint64_t)s->gen << 32) | (idx + 1);
}

struct us_op *us_tags_lookup(struct us_tags *t, uint64_t tag, bool release)
{
	uint32_t low = (uint32_t)tag, gen = (uint32_t)(tag >> 32);
	struct us_tag_slot *s;
	struct us_op *op;

	if (!low || low > t->nslots)
		return NULL;
	s = &t->slots[low - 1];
	if (!s->op || s->gen != gen)
		return NULL;
	op = s->op;
	if (release) {
		s->op = NULL;
		s->gen++;
		s->next_free = t->free_head;
		t->free_head = low;
		t->used--;
	}
	return op;
}

int us_reactor_init(struct us_reactor *rx, struct us_ring *ring,
		    enum us_reactor_mode mode, uint32_t max_inflight)
{
	memset(rx, 0, sizeof(*rx));
	rx->ring = ring;
	rx->mode = mode;
	if (mode == US_REACTOR_TAG)
		return us_tags_init(&rx->tags, max_inflight);
	return mode == US_REACTOR_POINTER ? 0 : -EINVAL;
}

void us_reactor_exit(struct us_reactor *rx)
{
	if (rx->mode == US_REACTOR_TAG)
		us_tags_exit(&rx->tags);
	memset(rx, 0, sizeof(*rx));
}

struct uscheme_sqe *us_reactor_sqe(struct us_reactor *rx, struct us_op *op)
{
	struct uscheme_sqe *sqe;
	uint64_t user_data;

	if (!op || !op->complete)
		return NULL;
	if (rx->mode == US_REACTOR_TAG) {
		/* Take the tag first: an SQE handed out cannot be taken back. */
		user_data = us_tags_get(&rx->tags, op);
		if (!user_data)
			return NULL;
		sqe = us_get_sqe(rx->ring);
		if (!sqe) {
			us_tags_lookup(&rx->tags, user_data, true);
			return NULL;
		}
	} else {
		sqe = us_get_sqe(rx->ring);
		if (!sqe)
			return NULL;
		user_data = (uint64_t)(uintptr_t)op;
	}
	sqe->user_data = user_data;
	rx->inflight++;
	return sqe;
}

int us_reactor_dispatch(struct us_reactor *rx, const struct uscheme_cqe *cqe)
{
	bool final = !(cqe->flags & USCHEME_CQE_F_MORE);
	struct us_op *op;

	if (rx->mode == US_REACTOR_TAG)
		op = us_tags_lookup(&rx->tags, cqe->user_data, final);
	else
		op = (struct us_op *)(uintptr_t)cqe->user_data;
	if (!op) {
		rx->rejected++;
		return -ENOENT;
	}
	if (final && rx->inflight)
		rx->inflight--;
	rx->dispatched++;
	op->complete(rx, op, cqe);
	return 0;
}

unsigned int us_reactor_reap(struct us_reactor *rx)
{
	struct uscheme_cqe *cqe;
	unsigned int n = 0;

	while ((cqe = us_peek_cqe(rx->ring))) {
		/* Copy first: the callback may submit, and the slot is reused once seen. */
		struct uscheme_cqe copy = *cqe;

		us_cqe_seen(rx->ring);
		us_reactor_dispatch(rx, &copy);
		n++;
	}
	return n;
}

int us_reactor_run_once(struct us_reactor *rx, int64_t timeout_ns)
{
	unsigned int flags = USCHEME_ENTER_GETEVENTS;
	int ret = us_submit(rx->ring);

	if (ret < 0 && ret != -EBUSY)
		return ret;
	if (!us_cq_ready(rx->ring)) {
		if (timeout_ns >= 0)
			flags |= USCHEME_ENTER_TIMEOUT;
		ret = us_enter(rx->ring, 0, 1, flags, timeout_ns >= 0 ? timeout_ns : 0, NULL);
		if (ret)
			return ret;
	}
	return (int)us_reactor_reap(rx);
}
