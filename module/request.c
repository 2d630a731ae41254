// SPDX-License-Identifier: GPL-2.0
/*
 * Routing: a client op becomes a request, is admitted (a tag, and a chunk of
 * the serving ring's data area), waits on the scheme's queue, is written
 * into the daemon's SQ (dispatch), and comes back as an answer that is
 * checked before its waiter sees it. Also: cancellation, notifications and
 * the death of a daemon. The state machine is in request.h.
 *
 * References on a request: one for its waiter (the syscall that made it, or
 * the client ring's lists), one for the tag table while it holds a slot.
 * Puts happen outside every spinlock: the last one may free rings.
 */
#include <linux/bitmap.h>
#include <linux/capability.h>
#include <linux/cred.h>
#include <linux/err.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/mm.h>
#include <linux/pid_namespace.h>
#include <linux/rcupdate.h>
#include <linux/sched/user.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/user_namespace.h>

#include "fs.h"
#include "opdef.h"
#include "request.h"
#include "trace.h"

/*
 * Charge @nr pinned pages to the current user's RLIMIT_MEMLOCK, as io_uring
 * does for its buffers (CAP_IPC_LOCK is exempt): -ENOMEM beyond the limit.
 */
static int uscheme_ubuf_account(struct uscheme_ubuf *ub, u32 nr)
{
	unsigned long limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;
	struct user_struct *user;

	/* noaudit: asked per READ/CALL, it must not flood an LSM's audit log */
	if (ns_capable_noaudit(&init_user_ns, CAP_IPC_LOCK))
		return 0;
	user = get_uid(current_user());
	if (atomic_long_add_return(nr, &user->locked_vm) > limit) {
		atomic_long_sub(nr, &user->locked_vm);
		free_uid(user);
		return -ENOMEM;
	}
	ub->user = user;
	return 0;
}

static void uscheme_ubuf_unaccount(struct uscheme_ubuf *ub, u32 nr)
{
	if (!ub->user)
		return;
	atomic_long_sub(nr, &ub->user->locked_vm);
	free_uid(ub->user);
	ub->user = NULL;
}

/*
 * Pin the user buffer [@addr, @addr + @len) for writing. Short-term pins,
 * like O_DIRECT's, charged to the submitter's RLIMIT_MEMLOCK: released
 * when the request is answered and finished, or at once when it is
 * cancelled or its client ring closes (uscheme_request_cancel()).
 */
int uscheme_ubuf_pin(struct uscheme_ubuf *ub, u64 addr, u32 len)
{
	u32 nr = DIV_ROUND_UP(offset_in_page(addr) + (u64)len, PAGE_SIZE);
	int got, ret;

	if (!len)
		return 0;
	ret = uscheme_ubuf_account(ub, nr);
	if (ret)
		return ret;
	ub->pages = kvmalloc_array(nr, sizeof(*ub->pages), GFP_KERNEL_ACCOUNT);
	if (!ub->pages) {
		uscheme_ubuf_unaccount(ub, nr);
		return -ENOMEM;
	}
	/*
	 * FOLL_LONGTERM: the daemon decides how long the pin lasts, so the
	 * pages must not sit in movable or CMA memory, nor be file pages
	 * under writeback (refused, as for io_uring's registered buffers).
	 */
	got = pin_user_pages_fast(addr & PAGE_MASK, nr, FOLL_WRITE | FOLL_LONGTERM,
				  ub->pages);
	if (got != nr) {
		if (got > 0)
			unpin_user_pages(ub->pages, got);
		kvfree(ub->pages);
		ub->pages = NULL;
		uscheme_ubuf_unaccount(ub, nr);
		return got < 0 ? got : -EFAULT;
	}
	ub->nr_pages = nr;
	ub->offset = offset_in_page(addr);
	return 0;
}

/* Copy @len bytes (within the pinned length) from @src into the buffer. */
void uscheme_ubuf_copy(struct uscheme_ubuf *ub, const void *src, u32 len)
{
	u32 off = ub->offset, i, n;

	for (i = 0; len && i < ub->nr_pages; i++) {
		n = min_t(u32, len, PAGE_SIZE - off);
		memcpy_to_page(ub->pages[i], off, src, n);
		src += n;
		len -= n;
		off = 0;
	}
}

void uscheme_ubuf_release(struct uscheme_ubuf *ub)
{
	if (!ub->pages)
		return;
	unpin_user_pages_dirty_lock(ub->pages, ub->nr_pages, true);
	kvfree(ub->pages);
	ub->pages = NULL;
	uscheme_ubuf_unaccount(ub, ub->nr_pages);
}

/* Give @r's data chunk back to the serving ring now (it was copied out). */
static void uscheme_request_drop_chunk(struct uscheme_request *r)
{
	struct uscheme_scheme *s = r->scheme;
	struct uscheme_ring *server;

	spin_lock(&s->lock);
	server = r->server;
	if (!server) {
		spin_unlock(&s->lock);
		return;
	}
	if (r->chunk_pages)
		bitmap_clear(server->data_map, r->req.buf >> PAGE_SHIFT, r->chunk_pages);
	r->chunk_pages = 0;
	r->server = NULL;
	spin_unlock(&s->lock);
	wake_up_all(&s->admit_wait);
	uscheme_ring_put(server);
}

static void uscheme_request_release(struct kref *ref)
{
	struct uscheme_request *r = container_of(ref, struct uscheme_request, ref);
	struct uscheme_scheme *s = r->scheme;

	uscheme_request_drop_chunk(r);
	uscheme_ubuf_release(&r->out);
	if (r->client)
		uscheme_ring_put(r->client);
	if (r->file)
		fput(r->file);
	if (r->passed)
		fput(r->passed);
	if (r->mm)
		mmdrop(r->mm);
	uscheme_scheme_put(s);
	kfree(r);
}

void uscheme_request_put(struct uscheme_request *r)
{
	kref_put(&r->ref, uscheme_request_release);
}

/* A new request of @opcode for scheme @s (a reference is taken on @s). */
struct uscheme_request *uscheme_request_alloc(struct uscheme_scheme *s, u8 opcode)
{
	struct uscheme_request *r = kzalloc(sizeof(*r), GFP_KERNEL_ACCOUNT);

	if (!r)
		return NULL;
	kref_init(&r->ref);
	INIT_LIST_HEAD(&r->qnode);
	INIT_LIST_HEAD(&r->cnode);
	init_waitqueue_head(&r->wait);
	kref_get(&s->ref);
	r->scheme = s;
	r->req.opcode = opcode;
	/*
	 * The caller as its daemon sees it: ids translated into the
	 * namespaces the daemon registered from. An id with no mapping there
	 * is the overflow id (65534), never 0; a caller outside the daemon's
	 * pid namespace is pid 0. The fs ids, as FUSE and every file system
	 * use for access checks (they equal the effective ids unless the
	 * caller called setfsuid()).
	 */
	r->req.pid = task_tgid_nr_ns(current, s->pid_ns);
	r->req.uid = from_kuid_munged(s->user_ns, current_fsuid());
	r->req.gid = from_kgid_munged(s->user_ns, current_fsgid());
	r->state = USCHEME_REQ_NEW;
	return r;
}

/*
 * Give @r's slot back. Caller holds the scheme lock and owes the table's
 * reference on @r a put once it has dropped the lock.
 */
static void uscheme_slot_release_locked(struct uscheme_scheme *s,
					struct uscheme_request *r)
{
	lockdep_assert_held(&s->lock);
	s->slots[r->slot] = NULL;
	s->gen[r->slot]++;
	if (!s->gen[r->slot])	/* generation 0 would allow tag 0 */
		s->gen[r->slot] = 1;
	s->free[s->nr_free++] = r->slot;
}

/* Mark @r answered with @res. Caller holds the scheme lock. */
static void uscheme_request_answered_locked(struct uscheme_request *r, s32 res)
{
	lockdep_assert_held(&r->scheme->lock);
	r->res = res;
	/* @res before the state a lockless waiter reads. */
	smp_store_release(&r->state, USCHEME_REQ_ANSWERED);
}

/*
 * Hand an answered, not abandoned request to its waiter: the client ring's
 * done list (unless that ring is closing: its release then finds the request
 * answered), or the sleeping syscall.
 */
static void uscheme_request_deliver(struct uscheme_request *r)
{
	struct uscheme_ring *client = r->client;

	if (!client) {
		wake_up(&r->wait);
		return;
	}
	spin_lock(&client->req_lock);
	if (!client->dead)
		list_move_tail(&r->cnode, &client->done);
	spin_unlock(&client->req_lock);
	wake_up_all(&client->cq_wait);
}

/*
 * One admission attempt, under the scheme lock: a slot, and @pages pages of
 * the data area. Returns 0 (admitted), -EAGAIN (no room now), -EPIPE (the
 * daemon is gone), -E2BIG (can never fit).
 */
static int uscheme_try_admit(struct uscheme_request *r, u32 pages)
{
	struct uscheme_scheme *s = r->scheme;
	struct uscheme_ring *ring;
	unsigned long start = 0;
	int ret = 0;
	u32 slot;

	spin_lock(&s->lock);
	ring = s->ring;
	if (!ring) {
		ret = -EPIPE;
	} else if (pages > ring->data_pages) {
		ret = -E2BIG;
	} else if (!s->nr_free) {
		ret = -EAGAIN;
	} else if (pages) {
		start = bitmap_find_next_zero_area(ring->data_map, ring->data_pages,
						   0, pages, 0);
		if (start >= ring->data_pages)
			ret = -EAGAIN;
	}
	if (ret) {
		spin_unlock(&s->lock);
		trace_uscheme_admit(s->name, r->req.opcode, 0, pages, ret);
		return ret;
	}
	if (pages) {
		bitmap_set(ring->data_map, start, pages);
		r->req.buf = (u64)start << PAGE_SHIFT;
		r->chunk_pages = pages;
		uscheme_ring_get(ring);
		r->server = ring;
	}
	slot = s->free[--s->nr_free];
	s->slots[slot] = r;
	r->slot = slot;
	r->req.tag = (u64)s->gen[slot] << 32 | slot;
	kref_get(&r->ref);	/* the table's */
	spin_unlock(&s->lock);
	trace_uscheme_admit(s->name, r->req.opcode, r->req.tag, pages, 0);
	atomic64_inc(&s->stats.requests);
	return 0;
}

static bool uscheme_admit_step(struct uscheme_request *r, u32 pages, int *ret)
{
	*ret = uscheme_try_admit(r, pages);
	return *ret != -EAGAIN;
}

/* Zero the chunk of a just admitted request: no earlier data shows through. */
static void uscheme_request_zero_chunk(struct uscheme_request *r)
{
	if (r->chunk_pages)
		memset(uscheme_request_chunk(r), 0, (size_t)r->chunk_pages << PAGE_SHIFT);
}

/*
 * Admit @r with a (zeroed) chunk of @chunk_bytes now or not at all: 0,
 * -EAGAIN (no slot or data room now: see uscheme_scheme_wait_room()),
 * -EPIPE, -E2BIG. For callers that hold a lock another caller needs (a
 * client ring's submit_lock): they never sleep for a daemon.
 */
int uscheme_request_try_admit(struct uscheme_request *r, u32 chunk_bytes)
{
	int ret = uscheme_try_admit(r, DIV_ROUND_UP(chunk_bytes, PAGE_SIZE));

	if (!ret)
		uscheme_request_zero_chunk(r);
	return ret;
}

/* Could a request with a chunk of @pages pages be admitted to @s now? */
static bool uscheme_admit_possible(struct uscheme_scheme *s, u32 pages)
{
	struct uscheme_ring *ring;
	bool ok;

	spin_lock(&s->lock);
	ring = s->ring;
	ok = !ring || pages > ring->data_pages ||
	     (s->nr_free && (!pages ||
			     bitmap_find_next_zero_area(ring->data_map, ring->data_pages,
							0, pages, 0) < ring->data_pages));
	spin_unlock(&s->lock);
	return ok;
}

/*
 * Sleep (interruptibly, holding nothing) until a request with a chunk of
 * @chunk_bytes might be admitted to @s, or its daemon is gone, at most
 * until @deadline (KTIME_MAX: none). Returns 0 (try again: someone else
 * may have taken the room), -ETIME, -EINTR (a signal) or -ERESTARTSYS
 * (task work only).
 */
int uscheme_scheme_wait_room(struct uscheme_scheme *s, u32 chunk_bytes, ktime_t deadline)
{
	u32 pages = DIV_ROUND_UP(chunk_bytes, PAGE_SIZE);
	ktime_t left;
	int ret;

	if (deadline == KTIME_MAX) {
		ret = wait_event_interruptible(s->admit_wait, uscheme_admit_possible(s, pages));
	} else {
		left = ktime_sub(deadline, ktime_get());
		if (left <= 0)
			return uscheme_admit_possible(s, pages) ? 0 : -ETIME;
		ret = wait_event_interruptible_hrtimeout(s->admit_wait,
							 uscheme_admit_possible(s, pages), left);
	}
	if (ret == -ERESTARTSYS)
		return uscheme_interrupted();
	return ret;
}

/*
 * Admit @r with a data chunk of @chunk_bytes, sleeping (interruptibly) while
 * the scheme has no slot or data room. The chunk is handed out zeroed: no
 * earlier request's data is ever visible past what the op fills in.
 * Returns 0, -EPIPE, -E2BIG, -EINTR (a signal) or -ERESTARTSYS (task work
 * only, e.g. io_uring's for this thread: the caller restarts or says -EINTR).
 */
int uscheme_request_admit(struct uscheme_request *r, u32 chunk_bytes)
{
	u32 pages = DIV_ROUND_UP(chunk_bytes, PAGE_SIZE);
	int ret;

	/* Nothing is sent yet: task work alone restarts the syscall. */
	if (wait_event_interruptible(r->scheme->admit_wait,
				     uscheme_admit_step(r, pages, &ret)))
		return uscheme_interrupted();
	if (!ret)
		uscheme_request_zero_chunk(r);
	return ret;
}

/* Give up an admitted request before it was queued, and drop it; returns @err. */
int uscheme_request_abort(struct uscheme_request *r, int err)
{
	uscheme_request_cancel(r);
	uscheme_request_put(r);
	return err;
}

/*
 * The kernel's view of @r's data chunk, once admitted; NULL for a request
 * admitted without one (zero bytes): callers copy nothing then.
 */
void *uscheme_request_chunk(struct uscheme_request *r)
{
	if (!r->chunk_pages)
		return NULL;
	return r->server->data_rg.vaddr + r->req.buf;
}

/*
 * Write queued requests into the daemon's SQ while it has room. The daemon
 * owns sq_head: a value that makes the SQ look over-full counts as full.
 * Caller holds the scheme lock.
 */
static void uscheme_dispatch_locked(struct uscheme_scheme *s)
{
	struct uscheme_ring *ring = s->ring;
	struct uscheme_request *r;
	struct uscheme_req *reqs;
	u32 head, tail, used, room;

	lockdep_assert_held(&s->lock);
	if (!ring || list_empty(&s->queue))
		return;
	reqs = (struct uscheme_req *)ring->sqes;
	/* Pairs with the daemon's release of sq_head after reading requests. */
	head = smp_load_acquire(&ring->hdr->sq_head);
	tail = ring->req_tail;
	used = tail - head;
	if (used >= ring->sq_entries)
		return;
	room = ring->sq_entries - used;
	while (room && (r = list_first_entry_or_null(&s->queue,
						     struct uscheme_request, qnode))) {
		list_del_init(&r->qnode);
		s->nr_queued--;
		memcpy(&reqs[tail & (ring->sq_entries - 1)], &r->req, sizeof(r->req));
		trace_uscheme_dispatch(s->name, r->req.opcode, r->req.tag, r->req.id, tail);
		tail++;
		room--;
		if (r->notify)
			kfree(r);	/* notifications hold no references */
		else
			r->state = USCHEME_REQ_DISPATCHED;
	}
	/* Entries before the tail that publishes them to the daemon. */
	smp_store_release(&ring->hdr->sq_tail, tail);
	/* The shared tail before the private one that waiters count with. */
	smp_store_release(&ring->req_tail, tail);
	wake_up_all(&ring->cq_wait);
}

void uscheme_scheme_dispatch(struct uscheme_scheme *s)
{
	spin_lock(&s->lock);
	uscheme_dispatch_locked(s);
	spin_unlock(&s->lock);
}

/*
 * Write what @ring's scheme has queued into its daemon's SQ, if @ring
 * serves a scheme. Every path that may see room the daemon made in its SQ
 * (by moving sq_head, which the kernel learns of only by looking) calls
 * this: any enter of the scheme ring, a poll of it, and a FILES_UPDATE
 * watch's poll of it. So queued requests never wait for one particular
 * way of waiting. No reference on @ring's file is needed (a watch holds
 * only the ring): the scheme is found under RCU, as unregistering clears
 * ->scheme before it drops its reference and schemes are freed after a
 * grace period. Process context (the last put may free the scheme).
 */
void uscheme_ring_dispatch(struct uscheme_ring *ring)
{
	struct uscheme_scheme *s;

	rcu_read_lock();
	s = READ_ONCE(ring->scheme);
	if (s && !kref_get_unless_zero(&s->ref))
		s = NULL;
	rcu_read_unlock();
	if (!s)
		return;
	uscheme_scheme_dispatch(s);
	uscheme_scheme_put(s);
}

/* Queue an admitted request on its scheme; dispatch the queue if @dispatch. */
static int uscheme_request_queue_one(struct uscheme_request *r, bool dispatch)
{
	struct uscheme_scheme *s = r->scheme;
	int ret = 0;

	spin_lock(&s->lock);
	if (r->state != USCHEME_REQ_NEW) {
		ret = r->res;
	} else {
		r->state = USCHEME_REQ_QUEUED;
		list_add_tail(&r->qnode, &s->queue);
		s->nr_queued++;
		if (r->client) {
			spin_lock(&r->client->req_lock);
			list_add_tail(&r->cnode, &r->client->reqs);
			spin_unlock(&r->client->req_lock);
		}
		if (dispatch)
			uscheme_dispatch_locked(s);
	}
	spin_unlock(&s->lock);
	return ret;
}

/*
 * Queue an admitted request for its daemon; a ring-path request also goes
 * on its client's list. Returns 0, or the error the request was already
 * answered with (its daemon died after admission).
 */
int uscheme_request_queue(struct uscheme_request *r)
{
	return uscheme_request_queue_one(r, true);
}

/*
 * uscheme_request_queue() under @plug (NULL: none): the dispatch waits for
 * uscheme_plug_finish(), unless the plug holds as many schemes as it can.
 */
int uscheme_request_queue_plugged(struct uscheme_request *r, struct uscheme_plug *plug)
{
	struct uscheme_scheme *s = r->scheme;
	u32 i;

	if (!plug)
		return uscheme_request_queue_one(r, true);
	for (i = 0; i < plug->n && plug->s[i] != s; i++)
		;
	if (i == plug->n) {
		if (plug->n == USCHEME_PLUG_SCHEMES)
			return uscheme_request_queue_one(r, true);
		kref_get(&s->ref);
		plug->s[plug->n++] = s;
	}
	return uscheme_request_queue_one(r, false);
}

/* Dispatch what the pass queued under @plug, and drop its references. */
void uscheme_plug_finish(struct uscheme_plug *plug)
{
	u32 i;

	for (i = 0; i < plug->n; i++) {
		uscheme_scheme_dispatch(plug->s[i]);
		uscheme_scheme_put(plug->s[i]);
	}
	plug->n = 0;
}

/*
 * Cancel @r for its waiter, who keeps its reference. A QUEUED request is
 * answered -ECANCELED; a DISPATCHED one is abandoned and its daemon sent a
 * CANCEL (its answer, when it comes, is dropped). Returns 0, or -EALREADY
 * when @r was answered first (its result stands).
 */
int uscheme_request_cancel(struct uscheme_request *r)
{
	struct uscheme_scheme *s = r->scheme;
	struct uscheme_request *note;
	bool put_table = false, unpin = false;
	int ret = 0;

	note = kzalloc(sizeof(*note), GFP_KERNEL_ACCOUNT);
	spin_lock(&s->lock);
	switch (r->state) {
	case USCHEME_REQ_NEW:		/* admitted, never queued */
		if (s->slots[r->slot] != r)
			break;
		uscheme_slot_release_locked(s, r);
		uscheme_request_answered_locked(r, -ECANCELED);
		put_table = true;
		break;
	case USCHEME_REQ_QUEUED:
		list_del_init(&r->qnode);
		s->nr_queued--;
		uscheme_slot_release_locked(s, r);
		uscheme_request_answered_locked(r, -ECANCELED);
		put_table = true;
		break;
	case USCHEME_REQ_DISPATCHED:
		/* Nobody copies into @r's pages once it is abandoned: unpin now. */
		unpin = !r->abandoned;
		r->abandoned = true;
		if (note && s->ring) {
			INIT_LIST_HEAD(&note->qnode);
			note->notify = true;
			note->req.opcode = USCHEME_OP_CANCEL;
			note->req.flags = USCHEME_REQ_F_NOREPLY;
			note->req.off = r->req.tag;
			list_add_tail(&note->qnode, &s->queue);
			s->nr_queued++;
			note = NULL;
			uscheme_dispatch_locked(s);
		}
		break;
	default:
		ret = -EALREADY;
		break;
	}
	spin_unlock(&s->lock);
	kfree(note);
	if (unpin)
		uscheme_ubuf_release(&r->out);
	if (put_table) {
		wake_up_all(&s->admit_wait);
		uscheme_request_put(r);
	}
	return ret;
}

static bool uscheme_request_answered(struct uscheme_request *r)
{
	/* Pairs with the release in uscheme_request_answered_locked(). */
	return smp_load_acquire(&r->state) == USCHEME_REQ_ANSWERED;
}

/* How often a wait that task work cut short looks for a signal. */
#define USCHEME_TASK_WORK_STEP	max_t(unsigned long, 1, msecs_to_jiffies(10))

/*
 * Sleep until @r is answered. Returns its result, or -EINTR when a signal
 * came first (the request is then cancelled; see uscheme_request_cancel()).
 *
 * Task work queued to this thread (TIF_NOTIFY_SIGNAL: io_uring completing
 * the thread's own ops, say) also ends an interruptible sleep, and stays
 * pending until the thread returns to userspace. It is not a reason to
 * give up a request the daemon may be carrying out: the wait goes on,
 * killable, in steps of USCHEME_TASK_WORK_STEP, looking for a real signal
 * between steps; the task work runs when the call returns.
 */
int uscheme_request_wait(struct uscheme_request *r)
{
	long left;

	for (;;) {
		if (!wait_event_interruptible(r->wait, uscheme_request_answered(r)))
			return r->res;
		if (task_sigpending(current))
			break;
		left = wait_event_killable_timeout(r->wait, uscheme_request_answered(r),
						   USCHEME_TASK_WORK_STEP);
		if (left > 0)
			return r->res;
		if (left < 0)
			break;		/* a fatal signal */
	}
	if (uscheme_request_cancel(r) == -EALREADY)
		return r->res;
	return -EINTR;
}

/* A notification for @s's daemon, allocated now so that sending cannot fail. */
int uscheme_notify_prealloc(struct uscheme_scheme *s, struct uscheme_request **out)
{
	struct uscheme_request *n = kzalloc(sizeof(*n), GFP_KERNEL_ACCOUNT);

	if (!n)
		return -ENOMEM;
	INIT_LIST_HEAD(&n->qnode);
	n->notify = true;
	n->scheme = s;		/* no reference: see uscheme_notify_send() */
	*out = n;
	return 0;
}

/*
 * Send a preallocated notification (consumed): queued for the daemon if it
 * lives, else freed. The caller holds a reference on the scheme.
 */
void uscheme_notify_send(struct uscheme_request *n, u8 opcode, u64 id)
{
	struct uscheme_scheme *s = n->scheme;

	n->req.opcode = opcode;
	n->req.flags = USCHEME_REQ_F_NOREPLY;
	n->req.id = id;
	spin_lock(&s->lock);
	if (s->ring) {
		list_add_tail(&n->qnode, &s->queue);
		s->nr_queued++;
		uscheme_dispatch_locked(s);
		n = NULL;
	}
	spin_unlock(&s->lock);
	kfree(n);
}

/* Allocate and send a notification; lost (counted as rejected) without memory. */
int uscheme_notify(struct uscheme_scheme *s, u8 opcode, u64 id, u64 off)
{
	struct uscheme_request *n;

	if (uscheme_notify_prealloc(s, &n)) {
		atomic64_inc(&s->stats.rejected);
		return -ENOMEM;
	}
	n->req.off = off;
	uscheme_notify_send(n, opcode, id);
	return 0;
}

/*
 * Did answered request @r make a handle of its daemon's (an OPEN or DUP
 * answered with an id, not with a passed file)? Whoever drops it unused
 * sends the daemon a CLOSE.
 */
bool uscheme_request_made_handle(const struct uscheme_request *r)
{
	return r->res >= 0 && !r->passed &&
	       (uscheme_opdefs[r->req.opcode].flags & USCHEME_OPF_HANDLE);
}

/*
 * The file a daemon passed in answer to @r, as a new fd of the caller
 * (whose number @ufd, if not NULL, learns before it is installed).
 */
int uscheme_request_install_passed(struct uscheme_request *r, u32 oflags,
				   int __user *ufd)
{
	struct file *file = r->passed;

	r->passed = NULL;
	return uscheme_fd_publish(file, oflags, ufd);
}

/*
 * The daemon of @s answered @tag with @res; with @fd (USCHEME_CQE_F_FD) it
 * passed @passed (a reference the request takes over, NULL when @res named
 * no open file of the daemon's). Returns 0 when accepted (an illegal result
 * is accepted as -EIO for the client, and -EIO returned so the caller counts
 * it), -ENOENT for an unknown, stale or repeated tag.
 */
int uscheme_scheme_answer(struct uscheme_scheme *s, u64 tag, s32 res,
			  bool fd, struct file *passed)
{
	u32 slot = lower_32_bits(tag), gen = upper_32_bits(tag);
	const struct uscheme_opdef *def;
	struct uscheme_request *r;
	s32 raw = res;
	bool orphan;
	int ret;

	spin_lock(&s->lock);
	r = slot < USCHEME_SCHEME_SLOTS && s->gen[slot] == gen ? s->slots[slot] : NULL;
	if (!r || r->state != USCHEME_REQ_DISPATCHED) {
		spin_unlock(&s->lock);
		trace_uscheme_answer(s->name, 255, tag, raw, -ENOENT);
		atomic64_inc(&s->stats.rejected);
		if (passed)
			fput(passed);
		return -ENOENT;
	}
	def = &uscheme_opdefs[r->req.opcode];
	if (fd) {
		ret = passed && (def->flags & USCHEME_OPF_HANDLE) ? 0 : -EIO;
		if (!ret) {
			r->passed = passed;	/* freed with @r if unused */
			passed = NULL;
			res = 0;
		}
	} else {
		ret = uscheme_answer_check(&r->req, res);
	}
	if (!ret && res == 0 && def->take)
		ret = def->take(r);
	if (ret) {
		res = ret;
		atomic64_inc(&s->stats.rejected);
	} else {
		atomic64_inc(&s->stats.answers);
	}
	trace_uscheme_answer(s->name, r->req.opcode, tag, raw, res);
	uscheme_slot_release_locked(s, r);
	uscheme_request_answered_locked(r, res);
	orphan = r->abandoned;
	spin_unlock(&s->lock);
	wake_up_all(&s->admit_wait);

	if (!orphan && r->client) {
		/*
		 * Ring path: results go straight to the pinned buffer, and the
		 * chunk goes back to the daemon now, not when the submitter
		 * gets round to its CQE. Nobody else touches @r's output
		 * until it is on the client's done list.
		 */
		if (res > 0 && r->out.pages)
			uscheme_ubuf_copy(&r->out, uscheme_request_chunk(r), res);
		uscheme_request_drop_chunk(r);
	}
	if (!orphan)
		uscheme_request_deliver(r);

	/* A handle opened for a waiter that left: close it for the daemon. */
	if (orphan && uscheme_request_made_handle(r))
		uscheme_notify(s, USCHEME_OP_CLOSE, res, 0);
	uscheme_request_put(r);	/* the table's */
	if (passed)
		fput(passed);	/* a file passed where none may be: rejected */
	return ret;
}

/*
 * The daemon of @s is gone (its ring is being released): refuse new work,
 * answer every request it holds with -EPIPE, drop queued notifications.
 */
void uscheme_scheme_kill(struct uscheme_scheme *s)
{
	struct uscheme_request *r, *tmp;
	LIST_HEAD(drops);
	LIST_HEAD(puts);
	bool queued;
	u32 slot;

	spin_lock(&s->lock);
	s->ring = NULL;
	list_for_each_entry_safe(r, tmp, &s->queue, qnode) {
		list_del_init(&r->qnode);
		if (r->notify)
			kfree(r);
	}
	s->nr_queued = 0;
	for (slot = 0; slot < USCHEME_SCHEME_SLOTS; slot++) {
		r = s->slots[slot];
		if (!r)
			continue;
		/*
		 * An admitted request not yet queued has no waiter list to go
		 * on: uscheme_request_queue() returns the error to its maker.
		 */
		queued = r->state != USCHEME_REQ_NEW;
		uscheme_slot_release_locked(s, r);
		uscheme_request_answered_locked(r, -EPIPE);
		if (queued && !r->abandoned)
			uscheme_request_deliver(r);
		/* Its maker may still be filling the chunk of one never queued. */
		list_add_tail(&r->qnode, queued ? &drops : &puts);
	}
	spin_unlock(&s->lock);
	wake_up_all(&s->admit_wait);
	list_for_each_entry_safe(r, tmp, &drops, qnode) {
		list_del_init(&r->qnode);
		/*
		 * The answer is -EPIPE: nobody reads the chunk again. Its
		 * reference on the dying ring goes now, not when the client
		 * gets round to the CQE (the data area would outlive its
		 * daemon meanwhile).
		 */
		uscheme_request_drop_chunk(r);
		uscheme_request_put(r);
	}
	list_for_each_entry_safe(r, tmp, &puts, qnode) {
		list_del_init(&r->qnode);
		uscheme_request_put(r);
	}
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/request_kunit.c"
#endif
