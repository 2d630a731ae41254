// SPDX-License-Identifier: MIT
/*
 * A ring of TRBs in one DMA run: n - 1 TRBs, then a Link TRB back to the
 * start with Toggle Cycle. The producer writes at enq with its cycle state;
 * passing the Link flips the state (4.9.2). Used for the command ring and
 * the transfer rings (the event ring is the controller's to produce: hc.c).
 *
 * Invariant: used counts the TRBs handed to the controller and not yet
 * given back by their TD's completion; room keeps one TRB spare so enq
 * never laps the controller's dequeue.
 */
#include <errno.h>
#include <string.h>

#include "xhcid.h"

int trb_ring_init(struct trb_ring *r, struct dma_pool *pool, uint32_t n)
{
	int err;

	memset(r, 0, sizeof(*r));
	err = dma_get(pool, (size_t)n * sizeof(struct trb), &r->mem);
	if (err)
		return err;
	r->trbs = r->mem.map;
	r->bus = r->mem.bus;
	r->n = n;
	r->cycle = 1;
	r->trbs[n - 1].param = r->bus;
	r->trbs[n - 1].status = 0;
	r->trbs[n - 1].control = TRB_TYPE(TRB_LINK) | TRB_TC;	/* cycle 0: not yet ours to follow */
	return 0;
}

void trb_ring_free(struct trb_ring *r, struct dma_pool *pool)
{
	dma_put(pool, &r->mem);
	memset(r, 0, sizeof(*r));
}

uint32_t trb_ring_room(const struct trb_ring *r)
{
	uint32_t usable = r->n - 2;

	return r->used >= usable ? 0 : usable - r->used;
}

uint32_t trb_ring_put(struct trb_ring *r, uint64_t param, uint32_t status,
		      uint32_t control, bool defer_cycle)
{
	volatile struct trb *t = &r->trbs[r->enq];
	uint32_t idx = r->enq;
	uint32_t cyc = defer_cycle ? !r->cycle : r->cycle;

	t->param = param;
	t->status = status;
	__atomic_thread_fence(__ATOMIC_RELEASE);
	t->control = (control & ~TRB_CYCLE) | cyc;
	r->used++;
	if (++r->enq == r->n - 1) {
		volatile struct trb *link = &r->trbs[r->n - 1];
		uint32_t c = TRB_TYPE(TRB_LINK) | TRB_TC | (control & TRB_CHAIN);

		__atomic_thread_fence(__ATOMIC_RELEASE);
		link->control = c | r->cycle;
		r->cycle ^= 1;
		r->enq = 0;
	}
	return idx;
}

void trb_ring_publish(struct trb_ring *r, uint32_t index)
{
	volatile struct trb *t = &r->trbs[index];

	__atomic_thread_fence(__ATOMIC_RELEASE);
	t->control ^= TRB_CYCLE;
}

uint64_t trb_bus(const struct trb_ring *r, uint32_t index)
{
	return r->bus + (uint64_t)index * sizeof(struct trb);
}

int trb_index(const struct trb_ring *r, uint64_t a)
{
	if (a < r->bus || a >= r->bus + (uint64_t)r->n * sizeof(struct trb) ||
	    (a - r->bus) % sizeof(struct trb))
		return -1;
	return (int)((a - r->bus) / sizeof(struct trb));
}
