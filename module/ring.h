/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A ring instance: one open of /dev/uscheme.
 *
 * Lock order: submit_lock (mutex) -> cq_lock (spinlock) -> cq_wait's lock.
 *
 * submit_lock serializes setup, submission and anything that reads the SQ;
 * it protects sq_head. cq_lock protects cq_tail, inflight and the overflow
 * list, and is taken from any context that completes work (never sleeps
 * while held). The shared header is kernel memory that userspace may change
 * at any moment: the kernel reads the two user-written indices (sq_tail,
 * cq_head) with acquire loads, once per pass, and never reads back what it
 * writes itself.
 *
 * CQ reservation invariant (cq_lock): at submission every consumed SQE takes
 * one CQ slot, so
 *	pending CQEs + inflight + nr_overflow <= cq_entries
 * holds while userspace behaves. Completions therefore always find a slot,
 * unless userspace moved cq_head backwards; then the completion is parked on
 * the overflow list and delivered, in order, once there is room again.
 */
#ifndef _USCHEME_RING_H
#define _USCHEME_RING_H

#include <linux/atomic.h>
#include <linux/fs.h>
#include <linux/irq_work.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/poll.h>
#include <linux/sched/signal.h>
#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/wait.h>

#include "../uapi/uscheme.h"
#include "region.h"

/* What this module implements (USCHEME_FEAT_*). */
#define USCHEME_FEATURES \
	(USCHEME_FEAT_NOP | USCHEME_FEAT_CQE32 | USCHEME_FEAT_SCHEME | \
	 USCHEME_FEAT_FILES_UPDATE | USCHEME_FEAT_SCHEME_RING | USCHEME_FEAT_DEVICE | \
	 USCHEME_FEAT_PASS_FD)

struct uscheme_plug;

struct uscheme_ring_stats {
	atomic64_t submitted;
	atomic64_t completed;
	atomic64_t rejected;
	atomic64_t overflow;
	atomic64_t sq_clamped;
	atomic64_t busy;
	atomic64_t waits;
	atomic64_t lost;
	atomic64_t ev_merged;
};

struct uscheme_ring {
	struct kref ref;		/* the file, and requests that name the ring */
	bool dead;			/* the file is released (set under req_lock) */
	struct mutex submit_lock;	/* see the lock order above */
	spinlock_t cq_lock;		/* see the lock order above */
	wait_queue_head_t cq_wait;	/* woken when CQEs are posted */

	/* Set once by setup, under submit_lock; read with acquire. */
	bool ready;
	u32 setup_flags;
	u32 sq_entries;
	u32 cq_entries;
	u32 cqe_size;

	u32 sq_head;		/* submit_lock (lockless readers: poll): next SQE to consume */
	u32 cq_tail;		/* cq_lock to write (release); lockless readers acquire */
	u32 inflight;		/* cq_lock: consumed SQEs not yet completed */
	u32 nr_overflow;	/* cq_lock: entries on @overflow */
	u32 cq_flags;		/* cq_lock: what hdr->cq_flags shows (USCHEME_CQ_F_*) */
	struct list_head overflow; /* cq_lock: parked completions, oldest first */

	struct uscheme_region hdr_rg;
	struct uscheme_region sqes_rg;
	struct uscheme_region cqes_rg;
	struct uscheme_ring_hdr *hdr;
	struct uscheme_sqe *sqes;
	void *cqes;

	/*
	 * Client rings: routed ops in flight (@reqs) and answered ops waiting
	 * to be finished by the submitting process (@done). req_lock nests
	 * inside a scheme's lock.
	 */
	spinlock_t req_lock;
	struct list_head reqs;
	struct list_head done;

	/*
	 * FILES_UPDATE watches (event.c): the list and its count change under
	 * submit_lock; ev_lock (irq-safe, taken inside watched files' wait
	 * queue locks) protects the ready list; ev_kick wakes cq_wait from
	 * outside those locks.
	 */
	struct list_head watches;
	u32 nr_watches;
	spinlock_t ev_lock;		/* ev_ready and each watch's queued flag */
	struct list_head ev_ready;
	struct irq_work ev_kick;
	bool ev_stalled;		/* submit_lock: ready events wait for CQ room */

	/* Scheme rings (USCHEME_SETUP_SCHEME) only: */
	/*
	 * The name served: written under uscheme_schemes_lock (WRITE_ONCE),
	 * read by the ring's own ioctls and under RCU (uscheme_ring_dispatch).
	 */
	struct uscheme_scheme *scheme;
	u32 resp_head;		/* submit_lock (lockless readers: poll): next response */
	u32 req_tail;		/* scheme lock to write (release); readers acquire */
	struct uscheme_region data_rg;	/* the data area */
	unsigned long *data_map;	/* scheme lock: pages of the data area in use */
	u32 data_pages;

	/*
	 * Client rings: the scheme (a reference) whose admission the submit
	 * loop must wait for, and the chunk size; set by an issue that found no
	 * room, taken by the loop, both under submit_lock.
	 */
	struct uscheme_scheme *blocked_on;
	u32 blocked_bytes;
	/* Client rings: the submit pass's plug while it runs (submit_lock). */
	struct uscheme_plug *plug;

	struct uscheme_ring_stats stats;
};

/*
 * Why an interruptible wait ended early: -EINTR for a signal, -ERESTARTSYS
 * for task work alone (TIF_NOTIFY_SIGNAL, e.g. io_uring's), which is no
 * reason to fail a call: the caller restarts it or goes on waiting.
 */
static inline int uscheme_interrupted(void)
{
	return task_sigpending(current) ? -EINTR : -ERESTARTSYS;
}

/* Ring index arithmetic (pure; exercised by KUnit). */
u32 uscheme_ring_count(u32 head, u32 tail, u32 entries, bool *clamped);
u32 uscheme_cq_pending(u32 head, u32 tail, u32 entries);
u32 uscheme_ring_user_count(struct uscheme_ring *ring, u32 head,
			    const u32 *tail_ptr, u32 entries);
void uscheme_ring_user_consumed(struct uscheme_ring *ring, u32 *head_ptr,
				u32 head, u32 n);
u32 uscheme_cq_room(u32 tail, u32 head, u32 entries, u32 reserved);
int uscheme_params_check(const struct uscheme_params *p, u32 *cq_entries);

void uscheme_ring_fops_init(const struct file_operations *fops);
bool uscheme_file_is_ring(const struct file *file);
struct uscheme_ring *uscheme_ring_alloc(void);
void uscheme_ring_get(struct uscheme_ring *ring);
void uscheme_ring_put(struct uscheme_ring *ring);
int uscheme_ring_setup(struct uscheme_ring *ring, struct uscheme_params *p);
bool uscheme_ring_is_ready(struct uscheme_ring *ring);
int uscheme_ring_mmap(struct uscheme_ring *ring, struct vm_area_struct *vma);

/* Completions collected by a submitter, posted together. */
#define USCHEME_CQ_BATCH 16
struct uscheme_cq_batch {
	u32 n;
	struct {
		u64 user_data;
		s32 res;
		u32 flags;
	} cqe[USCHEME_CQ_BATCH];
};

u32 uscheme_cq_reserve(struct uscheme_ring *ring, u32 want);
void uscheme_cq_unreserve(struct uscheme_ring *ring, u32 n);
void uscheme_cq_post_batch(struct uscheme_ring *ring, struct uscheme_cq_batch *b);
void uscheme_cq_post(struct uscheme_ring *ring, u64 user_data, s32 res,
		     u32 flags);
u32 uscheme_cq_ready(struct uscheme_ring *ring);
bool uscheme_ring_is_scheme(const struct uscheme_ring *ring);
u32 uscheme_user_ready(struct uscheme_ring *ring);
u32 uscheme_user_entries(const struct uscheme_ring *ring);
u32 uscheme_user_room(struct uscheme_ring *ring);
bool uscheme_ring_has_ready(struct uscheme_ring *ring, u32 min);
__poll_t uscheme_ring_poll_mask(struct uscheme_ring *ring, bool work);
void uscheme_ring_get_stats(struct uscheme_ring *ring, struct uscheme_stats *st);
void uscheme_ring_wake_producer(struct uscheme_ring *ring);

#endif /* _USCHEME_RING_H */
