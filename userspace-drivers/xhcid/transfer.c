// SPDX-License-Identifier: MIT
/*
 * Transfers: one TD per request on its endpoint's transfer ring, many in
 * flight, completed by the Transfer Event that names one of their TRBs.
 *
 * A transfer's life (struct xfer):
 *   new -> waiting (ep->wait_*: no ring room, or the endpoint is halted or
 *          being stopped) -> queued (ep->head..tail, on the ring, in ring
 *          order) -> done (answered: us_reply for a client, x->done for
 *          xhcid's own synchronous ones, which their waiter frees).
 * Invariants: a queued TD's TRBs [first, last] belong to it until it is
 * done; its bounce buffer is DMA memory the controller may write until
 * then. ep->inflight counts queued + waiting.
 *
 * Data moves through a bounce buffer (dma.c): the request's buffer is in
 * the daemon's data area, which the device cannot reach. Buffers are split
 * into TRBs of at most 64 KiB that never cross a 64 KiB boundary (6.4.1.1)
 * with TD Size set (4.11.2.4).
 *
 * Errors: a STALL or another error halts the endpoint (4.10.2.1): the TD
 * is answered (-EPIPE, -EPROTO), the endpoint is reset, its dequeue moved
 * past the failed TD, and for bulk and interrupt endpoints the device's
 * halt is cleared (CLEAR_FEATURE ENDPOINT_HALT); TDs behind it then run.
 * Cancel: Stop Endpoint, answer the cancelled TDs, move the dequeue pointer
 * to the enqueue pointer, and queue the survivors again in order.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "xhcid.h"


static struct hc *ep_hc(const struct ep *ep)
{
	return ep->dev->hc;
}

struct ep *ep_new(struct usb_dev *dev, uint8_t dci)
{
	struct ep *ep = calloc(1, sizeof(*ep));

	if (!ep)
		return NULL;
	ep->dev = dev;
	ep->dci = dci;
	if (trb_ring_init(&ep->ring, dev->hc->pool, XHCID_XFER_TRBS)) {
		free(ep);
		return NULL;
	}
	return ep;
}

struct xfer *xfer_new(struct ep *ep, enum xfer_kind kind, uint64_t tag,
		      void *data, uint32_t len, bool in)
{
	struct xfer *x = calloc(1, sizeof(*x));

	if (!x)
		return NULL;
	x->ep = ep;
	x->kind = kind;
	x->tag = tag;
	x->data = data;
	x->len = len;
	x->in = in;
	if (len && dma_get(ep_hc(ep)->pool, len, &x->buf)) {
		free(x);
		return NULL;
	}
	return x;
}

static void xfer_free(struct hc *hc, struct xfer *x)
{
	dma_put(hc->pool, &x->buf);
	free(x);
}

/* Answer x with res (bytes or -errno) and let it go (sync ones: their waiter frees). */
static void xfer_finish(struct hc *hc, struct xfer *x, int res)
{
	x->result = res;
	x->done = true;
	x->ep->inflight--;
	if (res > 0 && x->in && x->data)
		memcpy(x->data, x->buf.map, (size_t)res);
	if (x->kind == XFER_SYNC)
		return;
	if (x->kind == XFER_INTERNAL) {
		xfer_free(hc, x);
		return;
	}
	if (x->kind == XFER_REPORT) {
		reports_fetched(hc, x, res);
		xfer_free(hc, x);
		return;
	}
	x->ep->dev->client_xfers[x->acct]--;
	x->ep->dev->client_bytes[x->acct] -= x->buf.size;
	hc->transfers++;
	us_reply(hc->d, x->tag, res);
	if (hc->trace && x->t_db && x->t_ev) {
		disktrace_add(hc->trace, DT_X_XFERS, 1);
		disktrace_add(hc->trace, DT_X_IN_NS, x->t_db - x->t_in);
		disktrace_add(hc->trace, DT_X_DEV_NS, x->t_ev - x->t_db);
		disktrace_add(hc->trace, DT_X_OUT_NS, disktrace_now() - x->t_ev);
	}
	xfer_free(hc, x);
}

/* TRBs a buffer of len bytes at bus address a needs (64 KiB windows). */
static uint32_t data_trbs(uint64_t a, uint32_t len)
{
	uint64_t end = a + len;

	if (!len)
		return 0;
	return (uint32_t)(((end - 1) >> 16) - (a >> 16) + 1);
}

static uint32_t xfer_trbs(const struct xfer *x)
{
	uint32_t n = data_trbs(x->buf.bus, x->len);

	return x->ctrl ? n + 2 : (n ? n : 1);
}

/* Write x's TRBs at the ring's enqueue pointer; the first one is published last. */
static void xfer_write(struct ep *ep, struct xfer *x)
{
	struct trb_ring *r = &ep->ring;
	uint64_t a = x->buf.bus;
	uint32_t left = x->len, mps = ep->mps ? ep->mps : 8;
	bool first_trb = true, data_stage = x->ctrl;
	uint32_t idx = 0;

	if (x->ctrl) {
		uint64_t setup;
		uint32_t trt = !x->len ? 0 : x->in ? TRB_TRT_IN : TRB_TRT_OUT;

		memcpy(&setup, x->setup, 8);
		x->first = trb_ring_put(r, setup, TRB_LEN(8),
					TRB_TYPE(TRB_SETUP) | TRB_IDT | trt, true);
		first_trb = false;
	}
	while (left) {
		uint32_t chunk = XHCID_TRB_MAX_LEN - (uint32_t)(a & 0xffff);
		uint32_t after, ctl;

		if (chunk > left)
			chunk = left;
		after = left - chunk;
		if (data_stage)
			ctl = TRB_TYPE(TRB_DATA) | (x->in ? TRB_DIR_IN : 0);
		else
			ctl = TRB_TYPE(TRB_NORMAL);
		data_stage = false;
		if (x->in)
			ctl |= TRB_ISP;
		ctl |= (after || x->ctrl) ? TRB_CHAIN : TRB_IOC;
		idx = trb_ring_put(r, a, TRB_LEN(chunk) | TRB_TD_SIZE((after + mps - 1) / mps),
				   ctl, first_trb);
		if (first_trb)
			x->first = idx;
		first_trb = false;
		a += chunk;
		left = after;
	}
	if (x->ctrl) {
		/* Status stage: opposite to the data stage (IN when there is none). */
		uint32_t dir = (!x->len || !x->in) ? TRB_DIR_IN : 0;

		idx = trb_ring_put(r, 0, 0, TRB_TYPE(TRB_STATUS) | TRB_IOC | dir, false);
	}
	x->last = idx;
	trb_ring_publish(r, x->first);
}

/*
 * Put waiting TDs on the ring while they fit, then ring the doorbell if
 * anything is on the ring (kick: also when nothing new was put there, to
 * restart an endpoint after a halt or a stop).
 */
static void ep_pump_kick(struct ep *ep, bool kick)
{
	struct hc *hc = ep_hc(ep);

	if (ep->halted || ep->stopping)
		return;
	while (ep->wait_head) {
		struct xfer *x = ep->wait_head;

		if (xfer_trbs(x) > trb_ring_room(&ep->ring))
			break;
		ep->wait_head = x->next;
		if (!ep->wait_head)
			ep->wait_tail = NULL;
		x->next = NULL;
		if (!x->in && x->len && x->data)
			memcpy(x->buf.map, x->data, x->len);
		xfer_write(ep, x);
		x->queued = true;
		if (hc->trace)
			x->t_db = disktrace_now();
		if (ep->tail)
			ep->tail->next = x;
		else
			ep->head = x;
		ep->tail = x;
		kick = true;
	}
	if (kick && ep->head && !hc->dead)
		hc_ring_doorbell(hc, ep->dev->slot, ep->dci);
}

static void ep_pump(struct ep *ep)
{
	ep_pump_kick(ep, false);
}


static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void timer_arm(struct hc *hc, uint64_t at)
{
	struct itimerspec its = { 0 };

	if (hc->timer_fd < 0 || (hc->timer_armed_ms && hc->timer_armed_ms <= at))
		return;
	hc->timer_armed_ms = at;
	its.it_value.tv_sec = (time_t)(at / 1000);
	its.it_value.tv_nsec = (long)(at % 1000) * 1000000L;
	timerfd_settime(hc->timer_fd, TFD_TIMER_ABSTIME, &its, NULL);
}

int xfer_timer_init(struct hc *hc)
{
	hc->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	return hc->timer_fd < 0 ? -errno : 0;
}

/* Cancel (-ETIMEDOUT) every client transfer past its deadline; re-arm for the next. */
void xfer_timer_fired(struct hc *hc)
{
	uint64_t now = now_ms(), next = 0, n;
	unsigned int p, i;

	if (read(hc->timer_fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	hc->timer_armed_ms = 0;
	for (p = 1; p <= hc->max_ports; p++) {
		for (i = 1; hc->dev[p] && i < 32; i++) {
			struct ep *ep = hc->dev[p]->eps[i];
			struct xfer *x, *lists[2];
			int l;

			if (!ep)
				continue;
			lists[0] = ep->head;
			lists[1] = ep->wait_head;
			for (l = 0; l < 2; l++) {
				for (x = lists[l]; x; ) {
					struct xfer *nx = x->next;

					if (!x->deadline_ms || x->cancelled) {
						x = nx;
						continue;
					}
					if (x->deadline_ms <= now) {
						hc_log(hc, "port %u ep 0x%02x: transfer of %u bytes "
						       "timed out", p, ep->addr, x->len);
						x->timed_out = true;
						xfer_cancel(hc, ep, x);
					} else if (!next || x->deadline_ms < next) {
						next = x->deadline_ms;
					}
					x = nx;
				}
			}
		}
	}
	if (next)
		timer_arm(hc, next);
}

int xfer_admit(const struct usb_dev *dev, unsigned int acct, uint32_t len)
{
	size_t bytes = ((size_t)len + XHCID_PAGE - 1) / XHCID_PAGE * XHCID_PAGE;
	uint32_t max_xfers = acct ? XHCID_IF_XFERS : XHCID_PORT_XFERS;
	size_t max_bytes = acct ? XHCID_IF_BYTES : XHCID_PORT_BYTES;

	if (acct >= XHCID_ACCTS || dev->client_xfers[acct] >= max_xfers ||
	    bytes > max_bytes - dev->client_bytes[acct])
		return -EAGAIN;
	return 0;
}

int xfer_submit(struct xfer *x)
{
	struct ep *ep = x->ep;

	if (ep_hc(ep)->dead) {
		xfer_free(ep_hc(ep), x);
		return -ENODEV;
	}
	if ((!x->ctrl && !x->len) || xfer_trbs(x) > ep->ring.n - 2) {
		xfer_free(ep_hc(ep), x);
		return -EINVAL;
	}
	if (ep_hc(ep)->trace)
		x->t_in = disktrace_now();
	x->next = NULL;
	if (ep->wait_tail)
		ep->wait_tail->next = x;
	else
		ep->wait_head = x;
	ep->wait_tail = x;
	ep->inflight++;
	if (x->kind == XFER_CLIENT) {
		uint32_t t = x->ctrl ? USB_CTRL_TIMEOUT_MS : ep->timeout_ms;

		ep->dev->client_xfers[x->acct]++;
		ep->dev->client_bytes[x->acct] += x->buf.size;
		if (t) {
			x->deadline_ms = now_ms() + t;
			timer_arm(ep_hc(ep), x->deadline_ms);
		}
	}
	ep_pump(ep);
	return 0;
}

/* ---- completions ---- */

static bool td_holds(const struct ep *ep, const struct xfer *x, uint32_t idx)
{
	if (x->first <= x->last)
		return idx >= x->first && idx <= x->last;
	(void)ep;
	return idx >= x->first || idx <= x->last;	/* wrapped past the Link */
}

static uint32_t td_len_trbs(const struct ep *ep, const struct xfer *x)
{
	uint32_t span = x->last >= x->first ? x->last - x->first :
		x->last + (ep->ring.n - 1) - x->first;

	return span + 1;
}

/* Take x off the ring's list (it is done or about to be requeued). */
static void td_unlink(struct ep *ep, struct xfer *x)
{
	struct xfer **pp = &ep->head, *prev = NULL;

	while (*pp && *pp != x) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = x->next;
	if (ep->tail == x)
		ep->tail = prev;
	x->next = NULL;
	x->queued = false;
	ep->ring.used -= td_len_trbs(ep, x);
}

static int cc_errno(uint32_t cc)
{
	switch (cc) {
	case CC_STALL:
		return -EPIPE;
	case CC_STOPPED:
	case CC_STOPPED_LEN_INVALID:
	case CC_STOPPED_SHORT:
		return -ECANCELED;
	default:
		return -EPROTO;
	}
}

static void halt_recover(struct ep *ep);

void xfer_event(struct hc *hc, const struct trb *ev)
{
	uint32_t slot = TRB_GET_SLOT(ev->control), dci = TRB_GET_EP(ev->control);
	uint32_t cc = EVT_CC(ev->status), residual = EVT_LEN(ev->status);
	struct usb_dev *dev = slot < 256 ? hc->slot_dev[slot] : NULL;
	struct ep *ep = dev && dci < 32 ? dev->eps[dci] : NULL;
	struct xfer *x;
	int idx, res;

	if (!ep)
		return;	/* a slot or endpoint already gone */
	if (ev->control & EVT_ED)
		return;	/* Event Data TRBs: not used */
	idx = trb_index(&ep->ring, ev->param);
	if (idx < 0) {
		if (ev->param)
			hc_log(hc, "slot %u ep %u: event for a TRB not on its ring: ignored", slot, dci);
		return;
	}
	for (x = ep->head; x; x = x->next)
		if (td_holds(ep, x, (uint32_t)idx))
			break;
	if (!x)
		return;	/* a late event of a TD already answered (short, then IOC) */

	if (cc == CC_STOPPED || cc == CC_STOPPED_LEN_INVALID || cc == CC_STOPPED_SHORT)
		return;	/* the cancel path (ep_stopped) decides */
	if (cc == CC_SUCCESS || cc == CC_SHORT_PACKET) {
		const struct trb *t = &ep->ring.trbs[idx];
		uint32_t type = TRB_GET_TYPE(t->control);

		if (cc == CC_SUCCESS && (uint32_t)idx != x->last)
			return;	/* an intermediate event: wait for the TD's last */
		if (type == TRB_NORMAL || type == TRB_DATA) {
			uint32_t tlen = t->status & 0x1ffff, done = tlen > residual ? tlen - residual : 0;
			uint64_t got = t->param - x->buf.bus + done;

			/* the ring is DMA memory too: a TRB that no longer says what we wrote fails */
			res = t->param >= x->buf.bus && got <= x->len ? (int)got : -EPROTO;
		} else if (type == TRB_STATUS && cc == CC_SUCCESS) {
			res = (int)x->len;	/* the status stage: all of the data stage */
		} else {
			/*
			 * A completion naming the Setup or Link TRB, or a short
			 * Status stage: the controller is confused, and no length
			 * it reports can be believed (never "all of it").
			 */
			hc_log(hc, "slot %u ep 0x%02x: %s on a TRB of type %u: the transfer failed",
			       slot, ep->addr, cc_name(cc), type);
			res = -EPROTO;
		}
		if (x->ctrl && !x->in && res >= 0)
			res = 0;	/* OUT control: 0 = all sent */
		if (hc->trace)
			x->t_ev = disktrace_now();
		td_unlink(ep, x);
		xfer_finish(hc, x, res);
		ep_pump(ep);
		return;
	}
	/* An error: the endpoint is halted now (or the slot is in trouble). */
	hc_log(hc, "slot %u ep 0x%02x: %s", slot, ep->addr, cc_name(cc));
	td_unlink(ep, x);
	xfer_finish(hc, x, cc_errno(cc));
	halt_recover(ep);
}

/* ---- STALL and error recovery ---- */

static void clear_halt_done(struct ep *ep)
{
	ep->halted = false;
	ep_pump_kick(ep, true);
}

static void recover_dequeue_done(struct hc *hc, uint32_t cc, uint32_t slot, void *ctx)
{
	struct ep *ep = ctx;
	struct usb_dev *dev = ep->dev;
	struct ep *ep0 = dev->eps[1];
	struct xfer *x;

	(void)slot;
	if (cc != CC_SUCCESS)
		hc_log(hc, "slot %u ep 0x%02x: Set TR Dequeue Pointer: %s", dev->slot, ep->addr,
		       cc_name(cc));
	/*
	 * The device's side of a bulk or interrupt endpoint: CLEAR_FEATURE
	 * (ENDPOINT_HALT) on EP0, answered to nobody. EP0 itself clears at
	 * the next SETUP.
	 */
	if (ep->dci != 1 && ep0) {
		x = xfer_new(ep0, XFER_INTERNAL, 0, NULL, 0, false);
		if (x) {
			x->ctrl = true;
			x->setup[0] = 0x02;
			x->setup[1] = USB_REQ_CLEAR_FEATURE;
			x->setup[2] = USB_FEATURE_ENDPOINT_HALT;
			x->setup[4] = ep->addr;
			xfer_submit(x);
		}
	}
	clear_halt_done(ep);
}

/* The TRB a ring's controller should resume at: the next TD's first, else enq. */
static uint64_t resume_point(struct ep *ep)
{
	struct trb_ring *r = &ep->ring;

	if (ep->head) {
		uint32_t c = r->trbs[ep->head->first].control & TRB_CYCLE;

		/* A TD not yet published has its first TRB's cycle flipped: not the case here. */
		return trb_bus(r, ep->head->first) | c;
	}
	return trb_bus(r, r->enq) | r->cycle;
}

static void recover_reset_done(struct hc *hc, uint32_t cc, uint32_t slot, void *ctx)
{
	struct ep *ep = ctx;

	(void)slot;
	if (cc != CC_SUCCESS && cc != CC_CTX_STATE)
		hc_log(hc, "slot %u ep 0x%02x: Reset Endpoint: %s", ep->dev->slot, ep->addr,
		       cc_name(cc));
	if (hc_command_async(hc, resume_point(ep), TRB_TYPE(TRB_SET_TR_DEQ) |
			     TRB_SLOT(ep->dev->slot) | TRB_EP(ep->dci), recover_dequeue_done, ep))
		clear_halt_done(ep);
}

static void halt_recover(struct ep *ep)
{
	struct hc *hc = ep_hc(ep);

	if (ep->halted)
		return;
	ep->halted = true;
	/* TDs behind the failed one wait on the ring for the new dequeue pointer. */
	if (hc_command_async(hc, 0, TRB_TYPE(TRB_RESET_EP) | TRB_SLOT(ep->dev->slot) |
			     TRB_EP(ep->dci), recover_reset_done, ep))
		ep->halted = false;
}

/* ---- cancel ---- */

static void requeue_done(struct hc *hc, uint32_t cc, uint32_t slot, void *ctx)
{
	struct ep *ep = ctx;

	(void)slot;
	if (cc != CC_SUCCESS)
		hc_log(hc, "slot %u ep 0x%02x: Set TR Dequeue Pointer after a cancel: %s",
		       ep->dev->slot, ep->addr, cc_name(cc));
	ep->stopping = false;
	ep_pump_kick(ep, true);
}

static void ep_stopped(struct hc *hc, uint32_t cc, uint32_t slot, void *ctx)
{
	struct ep *ep = ctx;
	struct xfer *x, *keep = NULL, *ktail = NULL;

	(void)slot;
	(void)cc;	/* stopped, or already stopped/halted (context state): the same to us */
	/* Every TD leaves the ring: the cancelled ones are answered, the rest wait again. */
	while ((x = ep->head)) {
		td_unlink(ep, x);
		if (x->cancelled) {
			xfer_finish(hc, x, x->timed_out ? -ETIMEDOUT : -ECANCELED);
			continue;
		}
		if (ktail)
			ktail->next = x;
		else
			keep = x;
		ktail = x;
	}
	ep->ring.used = 0;
	if (keep) {
		ktail->next = ep->wait_head;
		if (!ep->wait_head)
			ep->wait_tail = ktail;
		ep->wait_head = keep;
	}
	/* Resume where we write next: the abandoned TRBs are never executed. */
	if (hc_command_async(hc, trb_bus(&ep->ring, ep->ring.enq) | ep->ring.cycle,
			     TRB_TYPE(TRB_SET_TR_DEQ) | TRB_SLOT(ep->dev->slot) | TRB_EP(ep->dci),
			     requeue_done, ep)) {
		ep->stopping = false;
		ep_pump(ep);
	}
}

bool xfer_cancel(struct hc *hc, struct ep *ep, struct xfer *x)
{
	struct xfer *prev = NULL, *w;

	/* Still waiting: take it out, answer it. */
	for (w = ep->wait_head; w; prev = w, w = w->next) {
		if (w != x)
			continue;
		if (prev)
			prev->next = x->next;
		else
			ep->wait_head = x->next;
		if (ep->wait_tail == x)
			ep->wait_tail = prev;
		x->next = NULL;
		xfer_finish(hc, x, x->timed_out ? -ETIMEDOUT : -ECANCELED);
		return true;
	}
	x->cancelled = true;
	if (ep->stopping)
		return true;	/* the stop under way will see the flag */
	ep->stopping = true;
	if (hc_command_async(hc, 0, TRB_TYPE(TRB_STOP_EP) | TRB_SLOT(ep->dev->slot) |
			     TRB_EP(ep->dci), ep_stopped, ep)) {
		ep->stopping = false;
		return false;
	}
	return true;
}

void xfer_cancel_tag(struct hc *hc, uint64_t tag)
{
	unsigned int p, i;

	for (p = 1; p <= hc->max_ports; p++) {
		struct usb_dev *dev = hc->dev[p];

		for (i = 1; dev && i < 32; i++) {
			struct ep *ep = dev->eps[i];
			struct xfer *x;

			if (!ep)
				continue;
			if (reports_cancel(hc, ep, tag))
				return;	/* a READ waiting for a report */
			for (x = ep->head; x; x = x->next)
				if (x->kind == XFER_CLIENT && x->tag == tag)
					goto found;
			for (x = ep->wait_head; x; x = x->next)
				if (x->kind == XFER_CLIENT && x->tag == tag)
					goto found;
			continue;
found:
			xfer_cancel(hc, ep, x);
			return;
		}
	}
}

void ep_destroy(struct hc *hc, struct ep *ep, int err)
{
	struct xfer *x;

	if (!ep)
		return;
	reports_stop(ep, err, false);	/* its fetching TD is failed below */
	while ((x = ep->head)) {
		td_unlink(ep, x);
		xfer_finish(hc, x, err);
	}
	while ((x = ep->wait_head)) {
		ep->wait_head = x->next;
		xfer_finish(hc, x, err);
	}
	/*
	 * A Reset Endpoint, Stop Endpoint or Set TR Dequeue Pointer for it may
	 * still be queued or on the command ring (a STALL seen while a
	 * configuration change or Disable Slot waited for its command): its
	 * completion must not call back into freed memory, and a queued Set
	 * TR Dequeue Pointer must not hand the controller a freed ring.
	 */
	hc_command_forget(hc, ep);
	trb_ring_free(&ep->ring, hc->pool);
	free(ep);
}

/* ---- synchronous control transfers (enumeration) ---- */

int ctrl_sync(struct usb_dev *dev, uint8_t type, uint8_t req, uint16_t value,
	      uint16_t index, void *data, uint16_t len)
{
	struct hc *hc = dev->hc;
	struct ep *ep0 = dev->eps[1];
	struct xfer *x;
	int err, res;

	if (!ep0)
		return -ENODEV;
	x = xfer_new(ep0, XFER_SYNC, 0, data, len, type & 0x80);
	if (!x)
		return -ENOMEM;
	x->ctrl = true;
	x->setup[0] = type;
	x->setup[1] = req;
	x->setup[2] = (uint8_t)value;
	x->setup[3] = (uint8_t)(value >> 8);
	x->setup[4] = (uint8_t)index;
	x->setup[5] = (uint8_t)(index >> 8);
	x->setup[6] = (uint8_t)len;
	x->setup[7] = (uint8_t)(len >> 8);
	err = xfer_submit(x);
	if (err)
		return err;
	err = hc_wait(hc, &x->done, USB_CTRL_TIMEOUT_MS);
	if (err && !x->done) {
		xfer_cancel(hc, ep0, x);
		hc_wait(hc, &x->done, XHCID_CMD_TIMEOUT_MS);
		if (!x->done)
			return -ETIMEDOUT;	/* leaked on purpose: the ring may still own it */
	}
	res = x->result;
	if (err == -ETIMEDOUT && res == -ECANCELED)
		res = -ETIMEDOUT;
	xfer_free(hc, x);
	return res;
}
