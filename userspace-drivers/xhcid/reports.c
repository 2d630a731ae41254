// SPDX-License-Identifier: MIT
/*
 * Interrupt IN reports fetched ahead, so an endpoint handle has readiness:
 * USB_CALL_EP_POLL (usbscheme.h) turns it on for an interrupt IN endpoint.
 *
 * While it is on, xhcid keeps one TD of wMaxPacketSize posted (an
 * XFER_REPORT: nobody's request) and queues what arrives, up to
 * XHCID_REPORTS reports; the endpoint's handles are USCHEME_EV_READ while
 * the queue holds one, 0 when it is empty. A READ takes the oldest report
 * at once (bytes beyond len are dropped, like a datagram), or waits for
 * the next one (a reader, answered from reports_fetched; CANCEL answers it
 * -ECANCELED). A full queue stops fetching: the device keeps its reports
 * (NAKs) until a READ makes room, so nothing is dropped by xhcid.
 *
 * Off again (CALL, the port's owner closing, a new configuration, the
 * device gone): waiting readers are answered, the fetching TD cancelled.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xhcid.h"

#define XHCID_REPORTS		16
#define REPORT_ERRORS_MAX	8	/* fetch errors in a row before giving up */

struct reader {
	struct reader *next;
	uint64_t tag;
	void *buf;
	uint32_t len;
};

struct ep_reports {
	uint32_t size;			/* bytes per slot: wMaxPacketSize */
	uint32_t head, count;		/* the queue */
	uint32_t len[XHCID_REPORTS];
	uint8_t *data;			/* XHCID_REPORTS * size */
	struct xfer *fetch;		/* the TD fetching the next report, or NULL */
	struct reader *readers, *readers_tail;
	unsigned int errors;		/* fetches failed in a row */
};

static void fetch_next(struct ep *ep)
{
	struct ep_reports *rq = ep->rq;
	struct xfer *x;

	if (!rq || rq->fetch || rq->count == XHCID_REPORTS)
		return;
	x = xfer_new(ep, XFER_REPORT, 0, NULL, rq->size, true);
	if (!x)
		return;
	if (xfer_submit(x) == 0)
		rq->fetch = x;
}

static uint32_t take(struct ep_reports *rq, void *buf, uint32_t len)
{
	uint32_t n = rq->len[rq->head];

	if (n > len)
		n = len;
	memcpy(buf, rq->data + (size_t)rq->head * rq->size, n);
	rq->head = (rq->head + 1) % XHCID_REPORTS;
	rq->count--;
	return n;
}

int reports_start(struct ep *ep)
{
	struct ep_reports *rq;

	if (ep->type != USB_EP_INTERRUPT || !(ep->addr & 0x80))
		return -EINVAL;
	if (ep->rq)
		return 0;
	rq = calloc(1, sizeof(*rq));
	if (!rq)
		return -ENOMEM;
	rq->size = ep->mps ? ep->mps : 8;
	rq->data = calloc(XHCID_REPORTS, rq->size);
	if (!rq->data) {
		free(rq);
		return -ENOMEM;
	}
	ep->rq = rq;
	scheme_ep_event(ep->dev->hc, ep, 0);	/* nothing to read yet */
	fetch_next(ep);
	return 0;
}

void reports_stop(struct ep *ep, int err, bool cancel_fetch)
{
	struct ep_reports *rq = ep->rq;
	struct hc *hc = ep->dev->hc;
	struct reader *r;

	if (!rq)
		return;
	ep->rq = NULL;
	while ((r = rq->readers)) {
		rq->readers = r->next;
		us_reply(hc->d, r->tag, err);
		free(r);
	}
	/* Its completion finds ep->rq NULL (or another queue) and only frees it. */
	if (rq->fetch && cancel_fetch)
		xfer_cancel(hc, ep, rq->fetch);
	free(rq->data);
	free(rq);
}

void reports_fetched(struct hc *hc, struct xfer *x, int res)
{
	struct ep *ep = x->ep;
	struct ep_reports *rq = ep->rq;
	struct reader *r;

	if (!rq || rq->fetch != x)
		return;	/* a fetch of a queue that was stopped since */
	rq->fetch = NULL;
	if (res < 0) {
		if (res == -ECANCELED || res == -ENODEV || res == -ESTALE ||
		    ++rq->errors >= REPORT_ERRORS_MAX) {
			hc_log(hc, "port %u ep 0x%02x: report fetching stopped: %s", ep->dev->port,
			       ep->addr, strerror(-res));
			return;
		}
		fetch_next(ep);	/* after a STALL it waits for the endpoint's recovery */
		return;
	}
	rq->errors = 0;
	if ((r = rq->readers)) {
		uint32_t n = (uint32_t)res < r->len ? (uint32_t)res : r->len;

		rq->readers = r->next;
		memcpy(r->buf, x->buf.map, n);
		us_reply(hc->d, r->tag, (int32_t)n);
		free(r);
	} else {
		uint32_t slot = (rq->head + rq->count) % XHCID_REPORTS;

		memcpy(rq->data + (size_t)slot * rq->size, x->buf.map, (size_t)res);
		rq->len[slot] = (uint32_t)res;
		if (rq->count++ == 0)
			scheme_ep_event(hc, ep, USCHEME_EV_READ);
	}
	fetch_next(ep);
}

int reports_read(struct ep *ep, uint64_t tag, void *buf, uint32_t len)
{
	struct ep_reports *rq = ep->rq;
	struct reader *r;
	uint32_t n;

	if (rq->count) {
		n = take(rq, buf, len);
		if (!rq->count)
			scheme_ep_event(ep->dev->hc, ep, 0);
		fetch_next(ep);	/* the queue has room again */
		return (int)n;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->tag = tag;
	r->buf = buf;
	r->len = len;
	if (rq->readers_tail && rq->readers)
		rq->readers_tail->next = r;
	else
		rq->readers = r;
	rq->readers_tail = r;
	fetch_next(ep);
	return US_DEFER;
}

bool reports_cancel(struct hc *hc, struct ep *ep, uint64_t tag)
{
	struct ep_reports *rq = ep->rq;
	struct reader **pp, *prev = NULL;

	if (!rq)
		return false;
	for (pp = &rq->readers; *pp; prev = *pp, pp = &(*pp)->next) {
		struct reader *r = *pp;

		if (r->tag != tag)
			continue;
		*pp = r->next;
		if (rq->readers_tail == r)
			rq->readers_tail = prev;
		us_reply(hc->d, tag, -ECANCELED);
		free(r);
		return true;
	}
	return false;
}

uint32_t reports_queued(const struct ep *ep)
{
	return ep->rq ? ep->rq->count : 0;
}
