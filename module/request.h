/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Requests: one client op on its way to a scheme daemon and back.
 *
 * State machine (every transition under the scheme's lock):
 *
 *   admitted --queue--> QUEUED --dispatch--> DISPATCHED --answer--> ANSWERED
 *                          |                     |   \
 *                          +--cancel/death-------+    +--cancel--> (abandoned,
 *                          v                             still DISPATCHED)
 *                       ANSWERED (-ECANCELED / -EPIPE)
 *
 * A QUEUED or DISPATCHED request holds a slot of the scheme's tag table; its
 * tag is (generation << 32 | slot), so a stale or forged tag never matches.
 * An abandoned request has no waiter any more: the daemon's answer (or its
 * death) frees it. A request in the ANSWERED state belongs to its waiter
 * alone: a syscall sleeping on @wait, or the client ring whose ->done list
 * it sits on.
 *
 * Notifications (CLOSE of a released handle, CANCEL) are requests with the
 * NOREPLY flag and no slot; they are freed once written to the daemon's SQ.
 */
#ifndef _USCHEME_REQUEST_H
#define _USCHEME_REQUEST_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm_types.h>
#include <linux/wait.h>

#include "ring.h"
#include "scheme.h"

/* A user buffer pinned at submission, so results can be copied from any process. */
struct uscheme_ubuf {
	struct page **pages;
	u32 nr_pages;
	u32 offset;		/* of the buffer in its first page */
	struct user_struct *user; /* charged nr_pages of RLIMIT_MEMLOCK, or NULL */
};

int uscheme_ubuf_pin(struct uscheme_ubuf *ub, u64 addr, u32 len);
void uscheme_ubuf_copy(struct uscheme_ubuf *ub, const void *src, u32 len);
void uscheme_ubuf_release(struct uscheme_ubuf *ub);

enum uscheme_request_state {
	USCHEME_REQ_NEW,	/* not yet admitted */
	USCHEME_REQ_QUEUED,	/* on scheme->queue, holds a slot */
	USCHEME_REQ_DISPATCHED,	/* in the daemon's SQ, or taken by it */
	USCHEME_REQ_ANSWERED,	/* @res is final; the slot is free */
};

struct uscheme_request {
	struct kref ref;
	struct list_head qnode;		/* scheme->queue while QUEUED */
	struct list_head cnode;		/* client->reqs, then client->done */
	struct uscheme_scheme *scheme;	/* reference held */
	struct uscheme_ring *server;	/* reference held while a chunk is owned */
	struct uscheme_req req;		/* what the daemon receives */
	u32 chunk_pages;		/* data chunk at req.buf, 0 = none */
	u32 slot;
	u8 state;			/* enum uscheme_request_state */
	bool abandoned;			/* the waiter is gone: drop the answer */
	bool notify;			/* NOREPLY notification */
	s32 res;			/* ANSWERED: the checked result */

	/* Ring path: the client ring (reference held) and its op. */
	struct uscheme_ring *client;
	u64 user_data;
	struct mm_struct *mm;		/* the submitter's (mmgrab'd) */
	u64 out_addr;			/* user buffer for FSTAT */
	u32 open_flags;			/* OPEN/DUP: O_* for the new file */
	struct file *file;		/* the handle file acted on (ref), or NULL */
	bool cur_pos;			/* READ/WRITE at the file position */

	struct file *passed;		/* OPEN/DUP answered with F_FD: the file (ref) */
	struct uscheme_stat stat;	/* FSTAT: the checked answer */
	struct uscheme_ubuf out;	/* ring READ/CALL: pinned output pages */

	/* Syscall path: the sleeping caller. */
	wait_queue_head_t wait;
};

struct uscheme_request *uscheme_request_alloc(struct uscheme_scheme *s, u8 opcode);
void uscheme_request_put(struct uscheme_request *r);
int uscheme_request_admit(struct uscheme_request *r, u32 chunk_bytes);
int uscheme_request_try_admit(struct uscheme_request *r, u32 chunk_bytes);
int uscheme_scheme_wait_room(struct uscheme_scheme *s, u32 chunk_bytes, ktime_t deadline);
int uscheme_request_abort(struct uscheme_request *r, int err);
void *uscheme_request_chunk(struct uscheme_request *r);
int uscheme_request_queue(struct uscheme_request *r);

/*
 * A submit pass's plug: requests routed while it is in place wait on their
 * scheme's queue, and each scheme they went to is dispatched once, when
 * the pass ends (uscheme_plug_finish()): one write of the daemon's SQ tail
 * and one wakeup per pass, not one per request. Without it, a wakeup per
 * request let the daemon preempt the submitter at its next allocation
 * whenever both share a CPU, and a batch of D requests became D round trips.
 */
#define USCHEME_PLUG_SCHEMES	4
struct uscheme_plug {
	u32 n;
	struct uscheme_scheme *s[USCHEME_PLUG_SCHEMES];	/* references held */
};

int uscheme_request_queue_plugged(struct uscheme_request *r, struct uscheme_plug *plug);
void uscheme_plug_finish(struct uscheme_plug *plug);
int uscheme_request_wait(struct uscheme_request *r);
int uscheme_request_cancel(struct uscheme_request *r);
int uscheme_notify(struct uscheme_scheme *s, u8 opcode, u64 id, u64 off);
int uscheme_notify_prealloc(struct uscheme_scheme *s, struct uscheme_request **out);
void uscheme_notify_send(struct uscheme_request *r, u8 opcode, u64 id);

int uscheme_scheme_answer(struct uscheme_scheme *s, u64 tag, s32 res,
			  bool fd, struct file *passed);
bool uscheme_request_made_handle(const struct uscheme_request *r);
int uscheme_request_install_passed(struct uscheme_request *r, u32 oflags,
				   int __user *ufd);
void uscheme_scheme_dispatch(struct uscheme_scheme *s);
void uscheme_ring_dispatch(struct uscheme_ring *ring);
void uscheme_scheme_kill(struct uscheme_scheme *s);

#endif /* _USCHEME_REQUEST_H */
