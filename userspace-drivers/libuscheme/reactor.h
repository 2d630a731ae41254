/* SPDX-License-Identifier: MIT */
/*
 * libuscheme's completion reactor: one callback per operation, found from a
 * CQE's user_data in one of the two modes of Redox's 2020 executor.
 *
 *   Pointer mode (US_REACTOR_POINTER): user_data is the address of the
 *   caller's struct us_op. Only for rings whose completions the kernel
 *   produces from the SQE's own user_data: a trusted producer.
 *
 *   Tag mode (US_REACTOR_TAG): user_data is a tag from a table owned by the
 *   reactor; a CQE whose tag is unknown, stale (already completed) or out of
 *   range is dropped and counted in rejected, never dispatched. Use it
 *   wherever a peer could forge or repeat completions.
 *
 *   struct us_reactor rx;
 *   struct us_op op = { .complete = on_done, .ctx = state };
 *   us_reactor_init(&rx, &ring, US_REACTOR_TAG, 256);
 *   struct uscheme_sqe *sqe = us_reactor_sqe(&rx, &op);	// user_data set
 *   us_prep_nop(sqe, sqe->user_data);
 *   us_reactor_run_once(&rx, -1);	// submit, wait, call on_done(&rx, &op, cqe)
 *   us_reactor_exit(&rx);
 *
 * An operation is in flight from us_reactor_sqe until its final CQE (one
 * without USCHEME_CQE_F_MORE); its struct us_op must stay valid until then.
 * Single-threaded, like the ring sides it drives.
 */
#ifndef LIBUSCHEME_REACTOR_H
#define LIBUSCHEME_REACTOR_H

#include "libuscheme.h"

struct us_reactor;
struct us_op;

typedef void (*us_complete_fn)(struct us_reactor *rx, struct us_op *op,
			       const struct uscheme_cqe *cqe);

struct us_op {
	us_complete_fn complete;
	void *ctx;
};

enum us_reactor_mode {
	US_REACTOR_POINTER,
	US_REACTOR_TAG,
};

/*
 * The tag table: slot i is named by tags (gen << 32) | (i + 1), so tag 0 is
 * never valid and a slot's generation changes each time it is freed: a
 * repeated completion finds a newer generation and is rejected.
 */
struct us_tag_slot {
	struct us_op *op;	/* NULL when free */
	uint32_t gen;
	uint32_t next_free;	/* index + 1 of the next free slot, 0 ends */
};

struct us_tags {
	struct us_tag_slot *slots;
	uint32_t nslots;
	uint32_t free_head;	/* index + 1, 0 when full */
	uint32_t used;
};

int us_tags_init(struct us_tags *t, uint32_t nslots);
void us_tags_exit(struct us_tags *t);
/* A tag naming op, or 0 when the table is full. */
uint64_t us_tags_get(struct us_tags *t, struct us_op *op);
/* The op a tag names, or NULL if unknown or stale. @release frees the tag. */
struct us_op *us_tags_lookup(struct us_tags *t, uint64_t tag, bool release);

struct us_reactor {
	struct us_ring *ring;
	enum us_reactor_mode mode;
	struct us_tags tags;	/* tag mode only */
	uint32_t inflight;
	uint64_t dispatched;	/* CQEs handed to callbacks */
	uint64_t rejected;	/* CQEs dropped: unknown or repeated tags */
};

int us_reactor_init(struct us_reactor *rx, struct us_ring *ring,
		    enum us_reactor_mode mode, uint32_t max_inflight);
void us_reactor_exit(struct us_reactor *rx);
/* An SQE whose user_data names op, or NULL (SQ full, or no free tag). */
struct uscheme_sqe *us_reactor_sqe(struct us_reactor *rx, struct us_op *op);
/* Route one CQE to its op's callback: 0, or -ENOENT when it was rejected. */
int us_reactor_dispatch(struct us_reactor *rx, const struct uscheme_cqe *cqe);
/* Dispatch every CQE ready now; returns how many were consumed. */
unsigned int us_reactor_reap(struct us_reactor *rx);
/*
 * Submit queued SQEs, wait up to timeout_ns (negative: forever) for a
 * completion if none is ready, and dispatch all that are. Returns the
 * number of CQEs consumed, or -errno (-ETIME, -EINTR, ...).
 */
int us_reactor_run_once(struct us_reactor *rx, int64_t timeout_ns);

#endif /* LIBUSCHEME_REACTOR_H */
