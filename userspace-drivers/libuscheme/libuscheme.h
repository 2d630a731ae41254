/* SPDX-License-Identifier: MIT */
/*
 * libuscheme: the userspace side of uscheme rings.
 *
 * Read top to bottom:
 *
 *   struct us_ring ring;
 *   int err = us_ring_init(&ring, 64, 0, 0);	// open /dev/uscheme, set up, mmap
 *   struct uscheme_sqe *sqe = us_get_sqe(&ring);	// NULL when the SQ is full
 *   us_prep_nop(sqe, 42);				// fill it (user_data 42)
 *   err = us_submit_and_wait(&ring, 1);		// submit, wait for one CQE
 *   struct uscheme_cqe *cqe = us_peek_cqe(&ring);	// NULL when the CQ is empty
 *   ... cqe->user_data, cqe->res ...
 *   us_cqe_seen(&ring);				// give the slot back
 *   us_ring_exit(&ring);
 *
 * Every function returns 0 or a negative errno; none sets errno for you to
 * read. The SQ side (us_get_sqe .. us_submit) and the CQ side (us_peek_cqe,
 * us_cqe_seen) are each single-threaded: two threads may share a ring if
 * each side is used by one thread at a time (or under the caller's lock).
 *
 * Ordering: entries are written before the tail that publishes them
 * (release store); the other side's tail is read with an acquire load before
 * the entries it covers.
 */
#ifndef LIBUSCHEME_H
#define LIBUSCHEME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../../uapi/uscheme.h"

struct us_ring {
	int fd;
	struct uscheme_ring_hdr *hdr;
	struct uscheme_sqe *sqes;
	void *cqes;
	uint32_t sq_entries, cq_entries, cqe_size;
	uint32_t sq_tail;	/* local: SQEs handed out by us_get_sqe */
	uint32_t sq_flushed;	/* local: SQEs published to the kernel */
	size_t ring_size, sqes_size, cqes_size;
	uint64_t features;
	bool scheme;		/* USCHEME_SETUP_SCHEME: the kernel produces the SQ */
};

/* Open /dev/uscheme and set up a ring. cq_entries 0 means 2 * sq_entries. */
int us_ring_init(struct us_ring *ring, unsigned int sq_entries,
		 unsigned int cq_entries, unsigned int flags);
/* Set up and map a ring on an already open /dev/uscheme descriptor. */
int us_ring_init_fd(struct us_ring *ring, int fd, unsigned int sq_entries,
		    unsigned int cq_entries, unsigned int flags);
/* Unmap and close. */
void us_ring_exit(struct us_ring *ring);

/*
 * A free SQE, zeroed, or NULL when the SQ is full (submit, then retry), or
 * always on a scheme ring, whose SQ the kernel writes.
 */
struct uscheme_sqe *us_get_sqe(struct us_ring *ring);
/* SQEs obtained but not yet consumed by the kernel. */
unsigned int us_sq_pending(const struct us_ring *ring);
void us_prep_nop(struct uscheme_sqe *sqe, uint64_t user_data);

/*
 * The enter call, as the kernel sees it: submit up to to_submit published
 * SQEs; with USCHEME_ENTER_GETEVENTS, wait for min_complete CQEs (with
 * USCHEME_ENTER_TIMEOUT, at most timeout_ns). *submitted (may be NULL)
 * receives the count also when the call fails.
 */
int us_enter(struct us_ring *ring, unsigned int to_submit,
	     unsigned int min_complete, unsigned int flags, int64_t timeout_ns,
	     unsigned int *submitted);
/* Publish every SQE obtained so far and submit them; returns the count or -errno. */
int us_submit(struct us_ring *ring);
/* us_submit, then wait for at least wait_nr CQEs. Returns submitted or -errno. */
int us_submit_and_wait(struct us_ring *ring, unsigned int wait_nr);
/* Wait up to timeout_ns (negative: forever) for one CQE; 0, -ETIME, -EINTR. */
int us_wait_cqe(struct us_ring *ring, struct uscheme_cqe **cqe, int64_t timeout_ns);

/* The oldest unconsumed CQE, or NULL. */
struct uscheme_cqe *us_peek_cqe(struct us_ring *ring);
/* CQEs ready to consume. */
unsigned int us_cq_ready(const struct us_ring *ring);
/* Consume n CQEs (release: the slots may be reused by the kernel). */
void us_cq_advance(struct us_ring *ring, unsigned int n);
static inline void us_cqe_seen(struct us_ring *ring)
{
	us_cq_advance(ring, 1);
}

int us_ring_stats(struct us_ring *ring, struct uscheme_stats *st);
/*
 * Scheme rings (us_ring_init with USCHEME_SETUP_SCHEME): the kernel produces
 * requests (struct uscheme_req) in ring->sqes, the daemon answers in
 * ring->cqes. Name the scheme served (needs CAP_SYS_ADMIN):
 */
int us_register(struct us_ring *ring, const char *name);
/* Module features without a ring (opens and closes /dev/uscheme). */
int us_features(uint64_t *features);

#endif /* LIBUSCHEME_H */
