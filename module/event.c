// SPDX-License-Identifier: GPL-2.0
/*
 * Readiness. FILES_UPDATE: watches on other files' readiness, delivered as
 * event CQEs (edge-triggered, coalesced per watch); the rules are in event.h
 * and in uapi/uscheme.h ("Events"). And a ring's own readiness: its poll,
 * which a watch of a ring asks too.
 */
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/irq_work.h>
#include <linux/magic.h>
#include <linux/net.h>
#include <linux/rcupdate.h>
#include <linux/sched.h>
#include <linux/slab.h>
#include <linux/socket.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "client.h"
#include "event.h"
#include "opdef.h"
#include "request.h"

#define USCHEME_FU_FLAGS (USCHEME_FU_ADD | USCHEME_FU_MOD | USCHEME_FU_DEL | \
			  USCHEME_FU_ONESHOT)

/* USCHEME_EV_* asked for, as poll bits. */
static __poll_t uscheme_ev_to_poll(u32 ev)
{
	__poll_t mask = 0;

	if (ev & USCHEME_EV_READ)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (ev & USCHEME_EV_WRITE)
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

/* A poll mask as the USCHEME_EV_* bits of an event CQE. */
static u32 uscheme_poll_to_ev(__poll_t mask)
{
	u32 ev = 0;

	if (mask & (EPOLLIN | EPOLLRDNORM))
		ev |= USCHEME_EV_READ;
	if (mask & (EPOLLOUT | EPOLLWRNORM))
		ev |= USCHEME_EV_WRITE;
	if (mask & EPOLLERR)
		ev |= USCHEME_EV_ERR;
	if (mask & EPOLLHUP)
		ev |= USCHEME_EV_HUP;
	return ev;
}

/* Put @w on its ring's ready list; true if it was not there yet. */
static bool uscheme_watch_queue_ready(struct uscheme_watch *w)
{
	struct uscheme_ring *ring = w->ring;
	unsigned long flags;
	bool first = false;

	spin_lock_irqsave(&ring->ev_lock, flags);
	if (w->queued) {
		atomic64_inc(&ring->stats.ev_merged);
	} else {
		w->queued = true;
		list_add_tail(&w->ready, &ring->ev_ready);
		first = true;
	}
	spin_unlock_irqrestore(&ring->ev_lock, flags);
	return first;
}

/*
 * The watched file's wait queue was woken (its lock is held). Only a
 * transition to "ready" kicks the ring: a storm costs one wakeup.
 *
 * POLLFREE (signalfd, ...: the queue is freed before the file, after an RCU
 * grace period): everything the watch needs is done first, and the
 * store-release of NULL into wait->head is the callback's last touch of the
 * watch, its ring and the queue entry. The unhook side (DEL, a ring's
 * release) reads head with an acquire under rcu_read_lock(): NULL means the
 * entry is off the queue and this callback has stopped touching @w, so @w
 * may be freed at once; non-NULL means the queue still exists (RCU) and
 * remove_wait_queue() takes its lock, so it waits for a callback in
 * progress. As epoll's ep_poll_callback() and ep_remove_wait_queue().
 */
static int uscheme_watch_wake(wait_queue_entry_t *entry, unsigned int mode,
			      int sync, void *key)
{
	struct uscheme_watch_wait *wait =
		container_of(entry, struct uscheme_watch_wait, entry);
	struct uscheme_watch *w = wait->watch;
	__poll_t mask = key_to_poll(key);

	if (!(mask & POLLFREE) && mask &&
	    !(mask & (READ_ONCE(w->events) | EPOLLERR | EPOLLHUP)))
		return 0;
	if (READ_ONCE(w->armed) && uscheme_watch_queue_ready(w))
		irq_work_queue(&w->ring->ev_kick);
	if (mask & POLLFREE) {
		list_del_init(&entry->entry);
		/* The last touch: @w may be freed as soon as this is seen. */
		smp_store_release(&wait->head, NULL);
	}
	return 0;
}

static void uscheme_watch_queue_proc(struct file *file, wait_queue_head_t *head,
				     poll_table *pt)
{
	struct uscheme_watch *w = container_of(pt, struct uscheme_watch, pt);
	struct uscheme_watch_wait *wait;

	if (w->nr_waits >= ARRAY_SIZE(w->waits)) {
		w->nr_waits = -1;	/* more queues than we can follow */
		return;
	}
	if (w->nr_waits < 0)
		return;
	wait = &w->waits[w->nr_waits++];
	wait->watch = w;
	init_waitqueue_func_entry(&wait->entry, uscheme_watch_wake);
	wait->head = head;
	add_wait_queue(head, &wait->entry);
}

/*
 * poll/epoll on a ring fd, and a watch's look at a watched ring (@file
 * NULL): EPOLLIN while entries wait for userspace (CQEs; requests on a
 * scheme ring) or work its process turns into CQEs (answered routed ops,
 * ready events), EPOLLOUT while the queue userspace produces has room (SQEs;
 * responses on a scheme ring); EPOLLERR before setup. Both only change with
 * a wakeup of cq_wait: posting wakes it, and so does consuming what
 * userspace produced.
 */
__poll_t uscheme_ring_poll(struct uscheme_ring *ring, struct file *file,
			   poll_table *pt)
{
	/*
	 * Hook the wait queue (it exists from open) even before setup, so an
	 * epoll that watched this fd early is still woken once it is set up.
	 */
	poll_wait(file, &ring->cq_wait, pt);
	if (!uscheme_ring_is_ready(ring))
		return EPOLLERR;
	/* Queued requests go out to a daemon that made room, however it waits. */
	if (uscheme_ring_is_scheme(ring))
		uscheme_ring_dispatch(ring);
	return uscheme_ring_poll_mask(ring, uscheme_ring_has_done(ring) ||
					    uscheme_events_pending(ring));
}

/* The current readiness of @w's file, hooking its queues when @pt is given. */
static __poll_t uscheme_watch_poll(struct uscheme_watch *w, poll_table *pt)
{
	if (w->target)
		return uscheme_ring_poll(w->target, NULL, pt);
	return vfs_poll(w->file, pt);
}

/*
 * Unhook @w from every queue; no wake callback runs for it, or still
 * touches it, afterwards (see uscheme_watch_wake()).
 */
static void uscheme_watch_unhook(struct uscheme_watch *w)
{
	wait_queue_head_t *head;
	int i;

	for (i = 0; i < w->nr_waits; i++) {
		/* A POLLFREE'd queue is freed only after an RCU grace period. */
		rcu_read_lock();
		/*
		 * Pairs with the callback's last store: NULL means it is done
		 * with @w; otherwise the queue lock serializes with it.
		 */
		head = smp_load_acquire(&w->waits[i].head);
		if (head)
			remove_wait_queue(head, &w->waits[i].entry);
		rcu_read_unlock();
	}
}

/* End @w. Caller holds submit_lock. */
static void uscheme_watch_free(struct uscheme_watch *w)
{
	struct uscheme_ring *ring = w->ring;
	unsigned long flags;

	lockdep_assert_held(&ring->submit_lock);
	uscheme_watch_unhook(w);
	spin_lock_irqsave(&ring->ev_lock, flags);
	if (w->queued)
		list_del(&w->ready);
	spin_unlock_irqrestore(&ring->ev_lock, flags);
	list_del(&w->node);
	ring->nr_watches--;
	if (w->target)
		uscheme_ring_put(w->target);
	else
		fput(w->file);
	kfree(w);
}

/*
 * An io_uring instance: io_is_uring_fops() is not exported, so it is told by
 * what io_uring_get_file() makes on every supported kernel: a file on the
 * anonymous-inode filesystem whose dentry is named "[io_uring]". Only kernel
 * code names files there, so no user can forge the pair (a regular file
 * called "[io_uring]" lives on another filesystem).
 */
static bool uscheme_file_is_io_uring(struct file *file)
{
	return file_inode(file)->i_sb->s_magic == ANON_INODE_FS_MAGIC &&
	       !strcmp(file_dentry(file)->d_name.name, "[io_uring]");
}

/*
 * Can @file hold references to other open files that the unix-socket
 * garbage collector cannot see through a uscheme reference? An AF_UNIX
 * socket (SCM_RIGHTS in its queues) or an io_uring instance (registered
 * files, requests in flight). See event.h.
 */
bool uscheme_file_holds_files(struct file *file)
{
	struct socket *sock = sock_from_file(file);
	const struct proto_ops *ops;

	if (sock) {
		ops = READ_ONCE(sock->ops);
		return ops && ops->family == PF_UNIX;
	}
	return uscheme_file_is_io_uring(file);
}

static bool uscheme_watch_gone(struct uscheme_watch *w);

/*
 * The watch of @fd: the live one, else (unless @live) one whose fd was
 * closed or now names another file. Such a watch ends with its final
 * -EBADF at the next events run; an ADD of the number (@live) does not
 * see it, so a reused fd number can be watched again at once.
 */
static struct uscheme_watch *uscheme_watch_find(struct uscheme_ring *ring, int fd,
						bool live)
{
	struct uscheme_watch *w, *gone = NULL;

	list_for_each_entry(w, &ring->watches, node) {
		if (w->fd != fd)
			continue;
		if (!uscheme_watch_gone(w))
			return w;
		gone = gone ?: w;
	}
	return live ? NULL : gone;
}

static int uscheme_watch_add(struct uscheme_ring *ring,
			     const struct uscheme_fu_entry *e)
{
	struct uscheme_watch *w;
	struct file *file;
	__poll_t mask;

	if (uscheme_watch_find(ring, e->fd, true))
		return -EEXIST;
	file = fget(e->fd);
	if (!file)
		return -EBADF;
	if (file->private_data == ring && uscheme_file_is_ring(file)) {
		fput(file);
		return -EINVAL;
	}
	if (uscheme_file_holds_files(file)) {
		/* A reference on it could close a cycle: watch it through epoll. */
		fput(file);
		return -EOPNOTSUPP;
	}
	/* A file without ->poll (a regular file) is always ready: one event. */
	w = kzalloc(sizeof(*w), GFP_KERNEL_ACCOUNT);
	if (!w) {
		fput(file);
		return -ENOMEM;
	}
	w->ring = ring;
	w->fd = e->fd;
	w->ident = file;
	w->files = current->files;
	w->events = uscheme_ev_to_poll(e->events);
	w->oneshot = e->flags & USCHEME_FU_ONESHOT;
	w->armed = true;
	w->user_data = e->user_data;
	INIT_LIST_HEAD(&w->ready);
	if (uscheme_file_is_ring(file)) {
		/* A ring reference, not a file one: rings may watch each other. */
		w->target = file->private_data;
		uscheme_ring_get(w->target);
		fput(file);
	} else {
		w->file = file;
	}
	init_poll_funcptr(&w->pt, uscheme_watch_queue_proc);
	w->pt._key = w->events | EPOLLERR | EPOLLHUP;
	list_add_tail(&w->node, &ring->watches);
	ring->nr_watches++;
	mask = uscheme_watch_poll(w, &w->pt);
	if (w->nr_waits < 0) {
		w->nr_waits = ARRAY_SIZE(w->waits);
		uscheme_watch_free(w);
		return -EPERM;
	}
	if (mask & (w->events | EPOLLERR | EPOLLHUP))
		uscheme_watch_queue_ready(w);
	return 0;
}

static int uscheme_watch_mod(struct uscheme_ring *ring,
			     const struct uscheme_fu_entry *e)
{
	struct uscheme_watch *w = uscheme_watch_find(ring, e->fd, false);

	if (!w)
		return -ENOENT;
	WRITE_ONCE(w->events, uscheme_ev_to_poll(e->events));
	w->oneshot = e->flags & USCHEME_FU_ONESHOT;
	w->user_data = e->user_data;
	WRITE_ONCE(w->armed, true);
	if (uscheme_watch_poll(w, NULL) & (w->events | EPOLLERR | EPOLLHUP))
		uscheme_watch_queue_ready(w);
	return 0;
}

static int uscheme_fu_apply(struct uscheme_ring *ring, const struct uscheme_fu_entry *e)
{
	u32 op = e->flags & (USCHEME_FU_ADD | USCHEME_FU_MOD | USCHEME_FU_DEL);
	struct uscheme_watch *w;

	if ((e->flags & ~USCHEME_FU_FLAGS) || e->resv || hweight32(op) != 1)
		return -EINVAL;
	if (e->fd < 0)
		return -EBADF;
	if (op == USCHEME_FU_DEL) {
		if (e->events || (e->flags & USCHEME_FU_ONESHOT))
			return -EINVAL;
		w = uscheme_watch_find(ring, e->fd, false);
		if (!w)
			return -ENOENT;
		uscheme_watch_free(w);
		return 0;
	}
	if (!e->events || (e->events & ~(USCHEME_EV_READ | USCHEME_EV_WRITE)))
		return -EINVAL;
	if (op == USCHEME_FU_ADD)
		return uscheme_watch_add(ring, e);
	return uscheme_watch_mod(ring, e);
}

/* FILES_UPDATE's arguments: 1 to USCHEME_FU_MAX entries. */
int uscheme_fu_check(const struct uscheme_op_args *a)
{
	return !a->len || a->len > USCHEME_FU_MAX ? -EINVAL : 0;
}

/* FILES_UPDATE, a ring's own op (the op table's issue). */
int uscheme_fu_issue(struct uscheme_ring *ring, const struct uscheme_sqe *sqe)
{
	int ret = uscheme_sqe_check_args(sqe);

	return ret ? ret : uscheme_files_update(ring, sqe->addr, sqe->len);
}

/*
 * The FILES_UPDATE op: apply @n entries at @uaddr in order, writing each
 * one's result back. Returns how many succeeded, or -EFAULT. Caller holds
 * submit_lock.
 */
int uscheme_files_update(struct uscheme_ring *ring, u64 uaddr, u32 n)
{
	struct uscheme_fu_entry __user *ue = u64_to_user_ptr(uaddr);
	struct uscheme_fu_entry e;
	u32 i, ok = 0;

	lockdep_assert_held(&ring->submit_lock);
	for (i = 0; i < n; i++) {
		if (copy_from_user(&e, &ue[i], sizeof(e)))
			return -EFAULT;
		e.res = uscheme_fu_apply(ring, &e);
		if (put_user(e.res, &ue[i].res))
			return -EFAULT;
		if (!e.res)
			ok++;
	}
	if (!list_empty_careful(&ring->ev_ready))
		irq_work_queue(&ring->ev_kick);
	return ok;
}

/* Is @w's fd closed (or its ring released)? Only the registering process can tell. */
static bool uscheme_watch_gone(struct uscheme_watch *w)
{
	struct file *f;

	if (w->target && READ_ONCE(w->target->dead))
		return true;
	if (current->files != w->files)
		return false;
	/*
	 * The fd was closed, or now names another file (a watched ring's
	 * file may live on elsewhere): the watch is over either way.
	 */
	f = fget(w->fd);
	if (f)
		fput(f);
	return f != w->ident;
}

/*
 * Something for uscheme_events_run() to do? Not while ready events wait for
 * CQ room: only the user reaping makes room, and a waiter must sleep.
 */
bool uscheme_events_pending(struct uscheme_ring *ring)
{
	return !list_empty_careful(&ring->ev_ready) && !READ_ONCE(ring->ev_stalled);
}

/*
 * Turn ready watches into event CQEs, each taking a CQ slot; stop when the
 * CQ is full (the rest stay ready). End watches whose fd was closed. Runs in
 * the ring's process (enter, wait).
 */
void uscheme_events_run(struct uscheme_ring *ring)
{
	struct uscheme_watch *w, *tmp;
	__poll_t mask;
	bool more;

	if (!READ_ONCE(ring->nr_watches))
		return;
	/*
	 * Interruptibly: the submit_lock holder may be faulting on user memory
	 * a user controls. A signal skips this run; the caller's wait sees it.
	 */
	if (mutex_lock_interruptible(&ring->submit_lock))
		return;
	WRITE_ONCE(ring->ev_stalled, false);
	list_for_each_entry_safe(w, tmp, &ring->watches, node) {
		if (!uscheme_watch_gone(w))
			continue;
		if (!uscheme_cq_reserve(ring, 1)) {
			WRITE_ONCE(ring->ev_stalled, true);
			break;
		}
		uscheme_cq_post(ring, w->user_data, -EBADF, USCHEME_CQE_F_EVENT);
		uscheme_watch_free(w);
	}
	for (;;) {
		spin_lock_irq(&ring->ev_lock);
		w = list_first_entry_or_null(&ring->ev_ready, struct uscheme_watch, ready);
		if (w) {
			list_del(&w->ready);
			w->queued = false;
		}
		spin_unlock_irq(&ring->ev_lock);
		if (!w)
			break;
		if (!READ_ONCE(w->armed))
			continue;
		mask = uscheme_watch_poll(w, NULL) & (w->events | EPOLLERR | EPOLLHUP);
		if (!mask)
			continue;
		if (!uscheme_cq_reserve(ring, 1)) {
			/* No CQ room: it stays ready until the user reaps. */
			uscheme_watch_queue_ready(w);
			WRITE_ONCE(ring->ev_stalled, true);
			break;
		}
		more = !w->oneshot;
		if (!more)
			WRITE_ONCE(w->armed, false);
		uscheme_cq_post(ring, w->user_data, uscheme_poll_to_ev(mask),
				USCHEME_CQE_F_EVENT | (more ? USCHEME_CQE_F_MORE : 0));
	}
	mutex_unlock(&ring->submit_lock);
}

/* The ring's file is released: end every watch. */
void uscheme_events_release(struct uscheme_ring *ring)
{
	struct uscheme_watch *w, *tmp;

	mutex_lock(&ring->submit_lock);
	list_for_each_entry_safe(w, tmp, &ring->watches, node)
		uscheme_watch_free(w);
	mutex_unlock(&ring->submit_lock);
	irq_work_sync(&ring->ev_kick);
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/event_kunit.c"
#endif
