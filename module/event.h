/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Events (FILES_UPDATE): interest registered on a client ring in other
 * files' readiness, delivered as CQEs.
 *
 * A watch hooks the watched file's wait queue(s) through vfs_poll(), like
 * epoll. Its wake callback runs with that wait queue's lock held, in any
 * context: it only marks the watch ready (ring->ev_lock) and, on the
 * transition to ready, kicks an irq_work that wakes the ring's waiters, so
 * no two wait-queue locks are ever nested (rings may watch each other).
 * The ring's process turns ready watches into CQEs in its enter, where it
 * can poll the file for the current mask and take a CQ slot.
 *
 * Lock order: submit_lock -> a watched file's wait-queue lock -> ev_lock.
 * The watch list (ring->watches) is changed only under submit_lock.
 *
 * POLLFREE: a queue freed before its file (signalfd's) is unhooked by the
 * callback itself, whose store-release of NULL into wait->head is its last
 * touch of the watch; unhook reads head with an acquire under RCU (as epoll).
 *
 * File references (the unix-socket GC's blind spot): a ring file can travel
 * in SCM_RIGHTS, and the GC frees only cycles made of AF_UNIX sockets'
 * in-flight references. A reference a ring holds on a file that can itself
 * hold the ring's file (a socket queue holding it, an io_uring with it
 * registered) closes a cycle nothing ever breaks: every ring in it, and the
 * module, stay forever. So the file references a ring holds (watches, and
 * files a daemon passed with USCHEME_CQE_F_FD waiting on its done list)
 * must point only at files that hold no other files:
 *  - a watched ring is held by a ring reference (uscheme_ring_get()), not
 *    its file, and its file's ->release ends its own watches and done list;
 *  - a watch on an AF_UNIX socket or an io_uring instance is refused
 *    (-EOPNOTSUPP): watch such a file through an epoll fd, which holds no
 *    reference on what it watches (as the kernel's own epoll does);
 *  - a daemon may not pass a uscheme ring (its own scheme ring, or any
 *    other), an AF_UNIX socket or an io_uring instance with
 *    USCHEME_CQE_F_FD: the answer becomes -EIO, counted rejected
 *    (respond.c). So a scheme never outlives its daemon through a passed
 *    ring either.
 * Handles hold a scheme, never a file. Every other kind of file is assumed
 * to hold no file references an unprivileged user controls (true of pipes,
 * eventfd, timerfd, signalfd, pidfd, epoll, inet sockets, device files).
 */
#ifndef _USCHEME_EVENT_H
#define _USCHEME_EVENT_H

#include <linux/poll.h>
#include <linux/wait.h>

#include "ring.h"

struct uscheme_watch;

struct uscheme_watch_wait {
	wait_queue_entry_t entry;
	wait_queue_head_t *head;	/* NULL once removed (or POLLFREE) */
	struct uscheme_watch *watch;
};

struct uscheme_watch {
	struct uscheme_ring *ring;	/* the watching ring (the watch dies with it) */
	struct file *file;		/* a reference, unless @target is set */
	struct uscheme_ring *target;	/* a watched uscheme ring (a ring reference) */
	const struct file *ident;	/* the file @fd named at ADD: compared, never used */
	int fd;
	__poll_t events;		/* EPOLLIN/EPOLLOUT asked for */
	bool oneshot;
	bool armed;			/* cleared when a ONESHOT event went out */
	struct files_struct *files;	/* the registering process's fd table (not a reference) */
	u64 user_data;
	struct list_head node;		/* ring->watches, under submit_lock */
	struct list_head ready;		/* ring->ev_ready, under ev_lock */
	bool queued;			/* ev_lock: on ring->ev_ready */
	poll_table pt;
	struct uscheme_watch_wait waits[2];
	int nr_waits;
};

int uscheme_files_update(struct uscheme_ring *ring, u64 uaddr, u32 n);
void uscheme_events_run(struct uscheme_ring *ring);
bool uscheme_events_pending(struct uscheme_ring *ring);
void uscheme_events_release(struct uscheme_ring *ring);
bool uscheme_file_holds_files(struct file *file);
__poll_t uscheme_ring_poll(struct uscheme_ring *ring, struct file *file,
			   poll_table *pt);

#endif /* _USCHEME_EVENT_H */
