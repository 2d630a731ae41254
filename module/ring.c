// SPDX-License-Identifier: GPL-2.0
/*
 * Ring instances, the ground floor: setup, the shared-memory layout, index
 * arithmetic, completion posting with CQ reservation and overflow parking,
 * and the tests a waiter makes (what is ready, what has room).
 *
 * This file calls nothing above it. Submission (reading SQEs) is submit.c;
 * the enter, wait and release paths that call up into routing, clients and
 * events are enter.c; a ring's poll is event.c's (watches poll rings too).
 */
#include <linux/bitmap.h>
#include <linux/capability.h>
#include <linux/hrtimer.h>
#include <linux/log2.h>
#include <linux/minmax.h>
#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "ring.h"

/* A completion waiting for CQ room (see the reservation invariant in ring.h). */
struct uscheme_parked_cqe {
	struct list_head node;
	u64 user_data;
	s32 res;
	u32 flags;
};

/*
 * Entries between @head and @tail, at most @entries. A larger distance
 * (a producer that wrote garbage into its index) is clamped, and reported
 * through @clamped, so no caller ever walks past the ring.
 */
u32 uscheme_ring_count(u32 head, u32 tail, u32 entries, bool *clamped)
{
	u32 n = tail - head;

	*clamped = n > entries;
	return *clamped ? entries : n;
}

/*
 * Entries userspace has published in a queue it produces: its tail, read
 * once at @tail_ptr with acquire (pairing with its release after writing the
 * entries), beyond the kernel's private @head, clamped to @entries. A clamp
 * is counted and mirrored in the header's sq_clamped. Caller holds
 * submit_lock, which owns @head.
 */
u32 uscheme_ring_user_count(struct uscheme_ring *ring, u32 head,
			    const u32 *tail_ptr, u32 entries)
{
	bool clamped;
	u32 tail, n;

	lockdep_assert_held(&ring->submit_lock);
	/* Pairs with the user's release of its tail after writing entries. */
	tail = smp_load_acquire(tail_ptr);
	n = uscheme_ring_count(head, tail, entries, &clamped);
	if (clamped)
		WRITE_ONCE(ring->hdr->sq_clamped,
			   (u32)atomic64_inc_return(&ring->stats.sq_clamped));
	return n;
}

/*
 * The kernel consumed @n entries of a queue userspace produces, up to its
 * private @head: publish that head at @head_ptr (release: our reads of the
 * entries happen before userspace reuses the slots), count them, and wake
 * pollers waiting for room. Caller holds submit_lock.
 */
void uscheme_ring_user_consumed(struct uscheme_ring *ring, u32 *head_ptr,
				u32 head, u32 n)
{
	lockdep_assert_held(&ring->submit_lock);
	if (!n)
		return;
	/* Pairs with userspace's acquire of this head before reusing slots. */
	smp_store_release(head_ptr, head);
	atomic64_add(n, &ring->stats.submitted);
	uscheme_ring_wake_producer(ring);
}

/*
 * CQEs ready between the user's @head and the kernel's @tail. A head ahead
 * of the tail counts as none ready: a lockless reader may see the user
 * consume an entry (published first) before the private tail that counts it,
 * and a corrupt head must not make waiters return early. A head too far
 * behind is clamped to the ring size.
 */
u32 uscheme_cq_pending(u32 head, u32 tail, u32 entries)
{
	s32 d = (s32)(tail - head);

	if (d <= 0)
		return 0;
	return min_t(u32, d, entries);
}

/*
 * Free CQ slots, given the kernel's @tail, the user's @head and @reserved
 * slots promised to work in flight or parked. A @head that makes the queue
 * look over-full counts as full: nothing new is accepted until userspace
 * repairs its index.
 */
u32 uscheme_cq_room(u32 tail, u32 head, u32 entries, u32 reserved)
{
	u32 pending = tail - head;

	if (pending > entries)
		pending = entries;
	if (reserved >= entries - pending)
		return 0;
	return entries - pending - reserved;
}

int uscheme_params_check(const struct uscheme_params *p, u32 *cq_entries)
{
	u32 sq = p->sq_entries, cq = p->cq_entries;

	if (p->flags & ~USCHEME_SETUP_FLAGS)
		return -EINVAL;
	if (memchr_inv(p->resv, 0, sizeof(p->resv)))
		return -EINVAL;
	if (!sq || sq > USCHEME_MAX_SQ_ENTRIES || !is_power_of_2(sq))
		return -EINVAL;
	if (!(p->flags & USCHEME_SETUP_SCHEME) ? p->data_size :
	    p->data_size && (p->data_size < USCHEME_DATA_MIN ||
			     p->data_size > USCHEME_DATA_MAX ||
			     !IS_ALIGNED(p->data_size, 4096)))
		return -EINVAL;
	if (!cq)
		cq = min_t(u32, 2 * sq, USCHEME_MAX_CQ_ENTRIES);
	else if (cq < sq || cq > USCHEME_MAX_CQ_ENTRIES || !is_power_of_2(cq))
		return -EINVAL;
	*cq_entries = cq;
	return 0;
}

/* The ring file's operations (main.c's), named once at module init. */
static const struct file_operations *uscheme_ring_fops;

void uscheme_ring_fops_init(const struct file_operations *fops)
{
	uscheme_ring_fops = fops;
}

/* Is @file a ring (an open of /dev/uscheme)? Its private_data is the ring. */
bool uscheme_file_is_ring(const struct file *file)
{
	return file->f_op == uscheme_ring_fops;
}

/* A watch became ready: wake the ring's waiters (outside any wait-queue lock). */
static void uscheme_ring_ev_kick(struct irq_work *work)
{
	struct uscheme_ring *ring = container_of(work, struct uscheme_ring, ev_kick);

	wake_up_all(&ring->cq_wait);
}

struct uscheme_ring *uscheme_ring_alloc(void)
{
	struct uscheme_ring *ring = kzalloc(sizeof(*ring), GFP_KERNEL_ACCOUNT);

	if (!ring)
		return NULL;
	kref_init(&ring->ref);
	mutex_init(&ring->submit_lock);
	spin_lock_init(&ring->cq_lock);
	init_waitqueue_head(&ring->cq_wait);
	INIT_LIST_HEAD(&ring->overflow);
	spin_lock_init(&ring->req_lock);
	INIT_LIST_HEAD(&ring->reqs);
	INIT_LIST_HEAD(&ring->done);
	INIT_LIST_HEAD(&ring->watches);
	spin_lock_init(&ring->ev_lock);
	INIT_LIST_HEAD(&ring->ev_ready);
	init_irq_work(&ring->ev_kick, uscheme_ring_ev_kick);
	return ring;
}

static void uscheme_ring_destroy(struct kref *ref)
{
	struct uscheme_ring *ring = container_of(ref, struct uscheme_ring, ref);
	struct uscheme_parked_cqe *pc, *tmp;

	list_for_each_entry_safe(pc, tmp, &ring->overflow, node)
		kfree(pc);
	bitmap_free(ring->data_map);
	uscheme_region_free(&ring->data_rg);
	uscheme_region_free(&ring->cqes_rg);
	uscheme_region_free(&ring->sqes_rg);
	uscheme_region_free(&ring->hdr_rg);
	mutex_destroy(&ring->submit_lock);
	kfree(ring);
}

void uscheme_ring_get(struct uscheme_ring *ring)
{
	kref_get(&ring->ref);
}

/* Process context only: the last put frees the shared memory. */
void uscheme_ring_put(struct uscheme_ring *ring)
{
	kref_put(&ring->ref, uscheme_ring_destroy);
}

bool uscheme_ring_is_ready(struct uscheme_ring *ring)
{
	/* Pairs with the release in uscheme_ring_setup(). */
	return smp_load_acquire(&ring->ready);
}

int uscheme_ring_setup(struct uscheme_ring *ring, struct uscheme_params *p)
{
	u32 cq_entries, cqe_size;
	int ret;

	mutex_lock(&ring->submit_lock);
	ret = -EBUSY;
	if (ring->ready)
		goto out;
	ret = uscheme_params_check(p, &cq_entries);
	if (ret)
		goto out;
	/*
	 * Only a process that may register a name gets a data area (up to
	 * USCHEME_DATA_MAX of kernel memory): nobody else could use one.
	 */
	ret = -EPERM;
	if ((p->flags & USCHEME_SETUP_SCHEME) && !capable(CAP_SYS_ADMIN))
		goto out;
	cqe_size = (p->flags & USCHEME_SETUP_CQE32) ?
		sizeof(struct uscheme_cqe32) : sizeof(struct uscheme_cqe);

	ret = uscheme_region_alloc(&ring->hdr_rg, sizeof(struct uscheme_ring_hdr));
	if (ret)
		goto out;
	ret = uscheme_region_alloc(&ring->sqes_rg,
				   (size_t)p->sq_entries * sizeof(struct uscheme_sqe));
	if (ret)
		goto free_hdr;
	ret = uscheme_region_alloc(&ring->cqes_rg, (size_t)cq_entries * cqe_size);
	if (ret)
		goto free_sqes;
	if (p->flags & USCHEME_SETUP_SCHEME) {
		size_t data = p->data_size ? p->data_size : USCHEME_DATA_DEFAULT;

		ret = uscheme_region_alloc(&ring->data_rg, data);
		if (ret)
			goto free_cqes;
		ring->data_pages = ring->data_rg.nr_pages;
		ring->data_map = bitmap_zalloc(ring->data_pages, GFP_KERNEL_ACCOUNT);
		if (!ring->data_map) {
			ret = -ENOMEM;
			uscheme_region_free(&ring->data_rg);
			goto free_cqes;
		}
	}

	ring->setup_flags = p->flags;
	ring->sq_entries = p->sq_entries;
	ring->cq_entries = cq_entries;
	ring->cqe_size = cqe_size;
	ring->hdr = ring->hdr_rg.vaddr;
	ring->sqes = ring->sqes_rg.vaddr;
	ring->cqes = ring->cqes_rg.vaddr;
	ring->hdr->sq_mask = p->sq_entries - 1;
	ring->hdr->sq_entries = p->sq_entries;
	ring->hdr->cq_mask = cq_entries - 1;
	ring->hdr->cq_entries = cq_entries;

	p->cq_entries = cq_entries;
	p->cqe_size = cqe_size;
	p->features = USCHEME_FEATURES;
	p->ring_size = uscheme_region_size(&ring->hdr_rg);
	p->sqes_size = uscheme_region_size(&ring->sqes_rg);
	p->cqes_size = uscheme_region_size(&ring->cqes_rg);
	p->data_size = uscheme_region_size(&ring->data_rg);
	/* Publishes everything above to mmap and enter, which load-acquire. */
	smp_store_release(&ring->ready, true);
	mutex_unlock(&ring->submit_lock);
	uscheme_ring_wake_producer(ring);	/* pollers: EPOLLERR is now EPOLLOUT */
	return 0;

free_cqes:
	uscheme_region_free(&ring->cqes_rg);
free_sqes:
	uscheme_region_free(&ring->sqes_rg);
free_hdr:
	uscheme_region_free(&ring->hdr_rg);
out:
	mutex_unlock(&ring->submit_lock);
	return ret;
}

/*
 * The regions never change after setup and the file (so the ring) outlives
 * this call, so no lock is needed.
 */
int uscheme_ring_mmap(struct uscheme_ring *ring, struct vm_area_struct *vma)
{
	if (!uscheme_ring_is_ready(ring))
		return -EBADFD;

	/* Each entry array is writable only by its producer. */
	switch (vma->vm_pgoff) {
	case USCHEME_OFF_RING >> PAGE_SHIFT:
		return uscheme_region_mmap(&ring->hdr_rg, vma, false);
	case USCHEME_OFF_SQES >> PAGE_SHIFT:
		return uscheme_region_mmap(&ring->sqes_rg, vma,
					   uscheme_ring_is_scheme(ring));
	case USCHEME_OFF_CQES >> PAGE_SHIFT:
		return uscheme_region_mmap(&ring->cqes_rg, vma,
					   !uscheme_ring_is_scheme(ring));
	case USCHEME_OFF_DATA >> PAGE_SHIFT:
		if (!uscheme_ring_is_scheme(ring))
			return -EINVAL;
		return uscheme_region_mmap(&ring->data_rg, vma, false);
	default:
		return -EINVAL;
	}
}

/* Give back @n reserved CQ slots that no SQE was consumed for. */
void uscheme_cq_unreserve(struct uscheme_ring *ring, u32 n)
{
	unsigned long flags;

	spin_lock_irqsave(&ring->cq_lock, flags);
	if (!WARN_ON_ONCE(ring->inflight < n))
		ring->inflight -= n;
	spin_unlock_irqrestore(&ring->cq_lock, flags);
}

/* Reserve up to @want CQ slots for work about to be consumed; returns how many. */
u32 uscheme_cq_reserve(struct uscheme_ring *ring, u32 want)
{
	unsigned long flags;
	u32 head, room;

	spin_lock_irqsave(&ring->cq_lock, flags);
	/* Pairs with the user's release of cq_head after reading its CQEs. */
	head = smp_load_acquire(&ring->hdr->cq_head);
	room = uscheme_cq_room(ring->cq_tail, head, ring->cq_entries,
			       ring->inflight + ring->nr_overflow);
	want = min(want, room);
	ring->inflight += want;
	spin_unlock_irqrestore(&ring->cq_lock, flags);
	return want;
}

/* Fill the CQE slot at @tail if the user's @head leaves it free. Caller holds cq_lock. */
static bool uscheme_cq_fill(struct uscheme_ring *ring, u32 tail, u32 head,
			    u64 user_data, s32 res, u32 flags)
{
	struct uscheme_cqe *cqe;

	lockdep_assert_held(&ring->cq_lock);
	if (tail - head >= ring->cq_entries)
		return false;
	cqe = ring->cqes + (size_t)(tail & (ring->cq_entries - 1)) * ring->cqe_size;
	WRITE_ONCE(cqe->user_data, user_data);
	WRITE_ONCE(cqe->res, res);
	WRITE_ONCE(cqe->flags, flags);
	if (ring->cqe_size == sizeof(struct uscheme_cqe32)) {
		struct uscheme_cqe32 *big = (struct uscheme_cqe32 *)cqe;

		WRITE_ONCE(big->big[0], 0);
		WRITE_ONCE(big->big[1], 0);
	}
	return true;
}

/* Publish every CQE filled before @tail. Caller holds cq_lock. */
static void uscheme_cq_publish_locked(struct uscheme_ring *ring, u32 tail)
{
	u32 n = tail - ring->cq_tail;

	lockdep_assert_held(&ring->cq_lock);
	if (!n)
		return;
	/* Entry contents before the tail that publishes them to userspace. */
	smp_store_release(&ring->hdr->cq_tail, tail);
	/*
	 * The published tail before the private copy lockless waiters read
	 * (uscheme_cq_ready()): a waiter that counts an entry returns to a CQ
	 * that shows it.
	 */
	smp_store_release(&ring->cq_tail, tail);
	atomic64_add(n, &ring->stats.completed);
}

/* Park one completion behind the CQ. Caller holds cq_lock. */
static void uscheme_cq_park_locked(struct uscheme_ring *ring, u64 user_data,
				   s32 res, u32 flags)
{
	struct uscheme_parked_cqe *pc;

	lockdep_assert_held(&ring->cq_lock);
	WRITE_ONCE(ring->hdr->cq_overflow,
		   (u32)atomic64_inc_return(&ring->stats.overflow));
	pc = kmalloc(sizeof(*pc), GFP_ATOMIC | __GFP_ACCOUNT);
	if (!pc) {
		atomic64_inc(&ring->stats.lost);
		return;
	}
	pc->user_data = user_data;
	pc->res = res;
	pc->flags = flags;
	list_add_tail(&pc->node, &ring->overflow);
	ring->nr_overflow++;
	ring->cq_flags |= USCHEME_CQ_F_OVERFLOW;
	WRITE_ONCE(ring->hdr->cq_flags, ring->cq_flags);
}

/*
 * Move parked completions into the CQ while it has room, from @tail; returns
 * the new tail (unpublished). Caller holds cq_lock.
 */
static u32 uscheme_cq_flush_locked(struct uscheme_ring *ring, u32 tail, u32 head)
{
	struct uscheme_parked_cqe *pc;

	lockdep_assert_held(&ring->cq_lock);
	while ((pc = list_first_entry_or_null(&ring->overflow,
					      struct uscheme_parked_cqe, node))) {
		if (!uscheme_cq_fill(ring, tail, head, pc->user_data, pc->res, pc->flags))
			return tail;
		tail++;
		list_del(&pc->node);
		kfree(pc);
		ring->nr_overflow--;
	}
	if (ring->cq_flags & USCHEME_CQ_F_OVERFLOW) {
		ring->cq_flags &= ~USCHEME_CQ_F_OVERFLOW;
		WRITE_ONCE(ring->hdr->cq_flags, ring->cq_flags);
	}
	return tail;
}

/*
 * Complete a batch of work that holds CQ reservations: one lock, one
 * publication, one wakeup. Safe from any context. Order is kept: nothing
 * overtakes a parked completion. Empties @b.
 */
void uscheme_cq_post_batch(struct uscheme_ring *ring, struct uscheme_cq_batch *b)
{
	unsigned long irqflags;
	u32 head, tail, i;

	if (!b->n)
		return;
	spin_lock_irqsave(&ring->cq_lock, irqflags);
	if (!WARN_ON_ONCE(ring->inflight < b->n))
		ring->inflight -= b->n;
	/* The user has finished reading every slot before its head (release). */
	head = smp_load_acquire(&ring->hdr->cq_head);
	tail = uscheme_cq_flush_locked(ring, ring->cq_tail, head);
	for (i = 0; i < b->n; i++) {
		/* Parking is only reachable when userspace moved cq_head backwards. */
		if (list_empty(&ring->overflow) &&
		    uscheme_cq_fill(ring, tail, head, b->cqe[i].user_data,
				    b->cqe[i].res, b->cqe[i].flags))
			tail++;
		else
			uscheme_cq_park_locked(ring, b->cqe[i].user_data,
					       b->cqe[i].res, b->cqe[i].flags);
	}
	uscheme_cq_publish_locked(ring, tail);
	spin_unlock_irqrestore(&ring->cq_lock, irqflags);
	b->n = 0;
	if (wq_has_sleeper(&ring->cq_wait))
		wake_up_all(&ring->cq_wait);
}

/* Complete one unit of work that holds a CQ reservation. */
void uscheme_cq_post(struct uscheme_ring *ring, u64 user_data, s32 res,
		     u32 flags)
{
	struct uscheme_cq_batch b = { .n = 1 };

	b.cqe[0].user_data = user_data;
	b.cqe[0].res = res;
	b.cqe[0].flags = flags;
	uscheme_cq_post_batch(ring, &b);
}

/* CQEs ready for userspace, as its own head says, clamped to the CQ size. */
u32 uscheme_cq_ready(struct uscheme_ring *ring)
{
	u32 head;

	/* Pairs with the user's release of cq_head. */
	head = smp_load_acquire(&ring->hdr->cq_head);
	/* Pairs with the second release in uscheme_cq_publish_locked(). */
	return uscheme_cq_pending(head, smp_load_acquire(&ring->cq_tail),
				  ring->cq_entries);
}

bool uscheme_ring_is_scheme(const struct uscheme_ring *ring)
{
	return ring->setup_flags & USCHEME_SETUP_SCHEME;
}

/* Entries userspace can consume: CQEs, or requests on a scheme ring. */
u32 uscheme_user_ready(struct uscheme_ring *ring)
{
	u32 head;

	if (!uscheme_ring_is_scheme(ring))
		return uscheme_cq_ready(ring);
	/* Pairs with the daemon's release of sq_head. */
	head = smp_load_acquire(&ring->hdr->sq_head);
	/* Pairs with the release that will publish each routed request. */
	return uscheme_cq_pending(head, smp_load_acquire(&ring->req_tail),
				  ring->sq_entries);
}

/* The size of the queue userspace consumes: the most an enter may wait for. */
u32 uscheme_user_entries(const struct uscheme_ring *ring)
{
	return uscheme_ring_is_scheme(ring) ? ring->sq_entries : ring->cq_entries;
}

/* Free slots in the queue userspace produces: SQEs, or a scheme ring's responses. */
u32 uscheme_user_room(struct uscheme_ring *ring)
{
	bool scheme = uscheme_ring_is_scheme(ring), clamped;
	u32 entries = scheme ? ring->cq_entries : ring->sq_entries;
	u32 head = scheme ? READ_ONCE(ring->resp_head) : READ_ONCE(ring->sq_head);
	u32 tail = scheme ? READ_ONCE(ring->hdr->cq_tail) : READ_ONCE(ring->hdr->sq_tail);

	return entries - uscheme_ring_count(head, tail, entries, &clamped);
}

/* Userspace's queue gained room: tell pollers waiting for EPOLLOUT. */
void uscheme_ring_wake_producer(struct uscheme_ring *ring)
{
	if (wq_has_sleeper(&ring->cq_wait))
		wake_up_all(&ring->cq_wait);
}

/*
 * A waiter's test: at least @min entries ready for userspace (CQEs, or
 * requests on a scheme ring)? Parked completions move into the CQ first,
 * as far as the user's reaping made room.
 */
bool uscheme_ring_has_ready(struct uscheme_ring *ring, u32 min)
{
	unsigned long flags;
	u32 head;

	if (!list_empty_careful(&ring->overflow)) {
		spin_lock_irqsave(&ring->cq_lock, flags);
		/* Pairs with the user's release of cq_head. */
		head = smp_load_acquire(&ring->hdr->cq_head);
		uscheme_cq_publish_locked(ring,
					  uscheme_cq_flush_locked(ring, ring->cq_tail, head));
		spin_unlock_irqrestore(&ring->cq_lock, flags);
	}
	return uscheme_user_ready(ring) >= min;
}

/*
 * A ring's own poll bits, from its queues alone: EPOLLIN while entries wait
 * for userspace (or @work: answered ops or events its process turns into
 * CQEs), EPOLLOUT while the queue userspace produces has room; EPOLLERR
 * before setup.
 */
__poll_t uscheme_ring_poll_mask(struct uscheme_ring *ring, bool work)
{
	__poll_t mask = 0;

	if (!uscheme_ring_is_ready(ring))
		return EPOLLERR;
	if (work || uscheme_user_ready(ring))
		mask |= EPOLLIN | EPOLLRDNORM;
	if (uscheme_user_room(ring))
		mask |= EPOLLOUT | EPOLLWRNORM;
	return mask;
}

void uscheme_ring_get_stats(struct uscheme_ring *ring, struct uscheme_stats *st)
{
	memset(st, 0, sizeof(*st));
	st->submitted = atomic64_read(&ring->stats.submitted);
	st->completed = atomic64_read(&ring->stats.completed);
	st->rejected = atomic64_read(&ring->stats.rejected);
	st->overflow = atomic64_read(&ring->stats.overflow);
	st->sq_clamped = atomic64_read(&ring->stats.sq_clamped);
	st->busy = atomic64_read(&ring->stats.busy);
	st->waits = atomic64_read(&ring->stats.waits);
	st->lost = atomic64_read(&ring->stats.lost);
	st->ev_merged = atomic64_read(&ring->stats.ev_merged);
}
