// SPDX-License-Identifier: GPL-2.0
/*
 * The enter path of a ring (USCHEME_IOC_ENTER), its wait, and its release.
 *
 * One enter: a client ring finishes its answered routed ops (client.c),
 * submits SQEs (submit.c), turns ready watches into event CQEs (event.c),
 * then waits if asked; a scheme ring consumes its daemon's responses
 * (respond.c) and writes queued requests into its SQ (request.c), then
 * waits. The wait repeats that reaping only after it slept: each step runs
 * once per pass.
 *
 * The release of a ring's file is the one place where a daemon's death is
 * carried out, step by step (uscheme_daemon_death()).
 */
#include <linux/hrtimer.h>
#include <linux/ktime.h>
#include <linux/sched/signal.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "client.h"
#include "enter.h"
#include "event.h"
#include "handle.h"
#include "request.h"
#include "respond.h"
#include "scheme.h"
#include "submit.h"

/*
 * Work the ring's own process does before it looks at the queues: a client
 * ring's answered ops and ready events become CQEs; a scheme ring's queued
 * requests go into the SQ room its daemon made since it last entered.
 */
static void uscheme_ring_reap(struct uscheme_ring *ring)
{
	if (uscheme_ring_is_scheme(ring)) {
		uscheme_ring_dispatch(ring);
	} else {
		uscheme_ring_finish_done(ring);
		uscheme_events_run(ring);
	}
}

/* A waiter has something to do: entries to return, or work to reap. */
static bool uscheme_wait_woken(struct uscheme_ring *ring, u32 min)
{
	return uscheme_ring_has_ready(ring, min) || uscheme_ring_has_done(ring) ||
	       uscheme_events_pending(ring);
}

/*
 * Sleep until at least @min entries are ready for userspace (CQEs, or
 * requests on a scheme ring), reaping (uscheme_ring_reap()) after every
 * wakeup, at most until @deadline (KTIME_MAX: no timeout). The caller
 * reaped just before. Returns 0, -ETIME when the timeout ran out first,
 * -EINTR when a signal arrived, or -ERESTARTSYS when the thread must go
 * back to userspace for task work without a signal.
 */
int uscheme_ring_wait(struct uscheme_ring *ring, u32 min, ktime_t deadline)
{
	bool has_timeout = deadline != KTIME_MAX;
	bool counted = false;
	s64 left;
	int ret;

	for (;;) {
		if (uscheme_ring_has_ready(ring, min))
			return 0;
		/*
		 * Before sleeping: with a signal pending, the events run
		 * skips (it takes submit_lock interruptibly), so events that
		 * stay pending would make the wait below return at once, again
		 * and again. Go and handle the signal.
		 */
		if (signal_pending(current))
			return uscheme_interrupted();
		left = ktime_to_ns(ktime_sub(deadline, ktime_get()));
		if (has_timeout && left <= 0)
			return -ETIME;
		if (!counted) {
			atomic64_inc(&ring->stats.waits);
			counted = true;
		}
		if (has_timeout)
			ret = wait_event_interruptible_hrtimeout(ring->cq_wait,
								 uscheme_wait_woken(ring, min),
								 ns_to_ktime(left));
		else
			ret = wait_event_interruptible(ring->cq_wait,
						       uscheme_wait_woken(ring, min));
		/*
		 * A signal: -EINTR. Only TIF_NOTIFY_SIGNAL (task work, e.g.
		 * io_uring's, queued to this thread): the thread must return to
		 * userspace to run it; uscheme_ring_enter() decides how.
		 */
		if (ret == -ERESTARTSYS)
			return uscheme_interrupted();
		uscheme_ring_reap(ring);
	}
}

long uscheme_ring_enter(struct uscheme_ring *ring, struct uscheme_enter __user *uarg)
{
	struct uscheme_enter e;
	bool getevents, has_timeout, scheme;
	u32 submitted = 0;
	ktime_t deadline;
	long ret = 0;

	if (copy_from_user(&e, uarg, sizeof(e)))
		return -EFAULT;
	if (!uscheme_ring_is_ready(ring))
		return -EBADFD;
	if ((e.flags & ~USCHEME_ENTER_FLAGS) || e.resv0 ||
	    memchr_inv(e.resv, 0, sizeof(e.resv)))
		return -EINVAL;
	getevents = e.flags & USCHEME_ENTER_GETEVENTS;
	has_timeout = e.flags & USCHEME_ENTER_TIMEOUT;
	if (has_timeout && (!getevents || e.timeout_ns < 0))
		return -EINVAL;
	if (getevents && e.min_complete > uscheme_user_entries(ring))
		return -EINVAL;
	scheme = uscheme_ring_is_scheme(ring);

	/*
	 * One deadline for the whole call: waiting for room in a daemon's
	 * queue and waiting for completions. Clamped: a huge timeout waits
	 * (almost) forever, never wraps into the past.
	 */
	deadline = has_timeout ? ktime_add_safe(ktime_get(), ns_to_ktime(e.timeout_ns)) :
				 KTIME_MAX;
	if (scheme) {
		/* A daemon submits responses, then gets what waits for SQ room. */
		if (e.to_submit)
			ret = uscheme_ring_consume_responses(ring, e.to_submit, &submitted);
		if (!ret)
			uscheme_ring_dispatch(ring);
	} else {
		/* Routed ops of this process that were answered complete first. */
		uscheme_ring_finish_done(ring);
		if (e.to_submit)
			ret = uscheme_ring_submit(ring, e.to_submit, &submitted, deadline);
		/* Readiness that came in becomes event CQEs (FILES_UPDATE). */
		if (!ret)
			uscheme_events_run(ring);
	}
	if (!ret && getevents)
		ret = uscheme_ring_wait(ring, e.min_complete, deadline);

	if (ret == -ERESTARTSYS) {
		/*
		 * Task work (no signal) cut the wait short. With nothing
		 * consumed, restart the call transparently once it has run;
		 * otherwise return the count: ready says how many are there.
		 */
		if (!submitted)
			return -ERESTARTSYS;
		ret = 0;
	}
	e.submitted = submitted;
	e.ready = uscheme_user_ready(ring);
	if (copy_to_user(uarg, &e, sizeof(e)))
		return -EFAULT;
	return ret;
}

/*
 * A daemon's death, all of it: called when its scheme ring is released
 * (the daemon closed it, or died). In this order:
 *  1. its name leaves the registry: no new OPEN finds it (scheme.c);
 *  2. every request it held or had queued is answered -EPIPE and its
 *     waiter woken, queued notifications are dropped, and admission
 *     refuses new work (request.c);
 *  3. its open handles hang up: their calls fail -EPIPE at once and their
 *     pollers are woken (handle.c).
 * The scheme itself lives on while requests or handles hold it. Safe on a
 * ring that never registered a name.
 */
void uscheme_daemon_death(struct uscheme_ring *ring)
{
	struct uscheme_scheme *s = uscheme_scheme_unregister(ring);

	if (!s)
		return;
	uscheme_scheme_kill(s);
	uscheme_scheme_hangup_handles(s);
	uscheme_scheme_put(s);	/* the registry's */
}

/*
 * The ring's file is released (closed everywhere, or its process died): a
 * daemon's scheme dies, a client's routed ops are cancelled, its watches
 * end, and rings watching this one see EPOLLHUP. Requests may keep the
 * memory a while longer.
 */
void uscheme_ring_release(struct uscheme_ring *ring)
{
	uscheme_daemon_death(ring);
	uscheme_client_release(ring);	/* sets ->dead */
	uscheme_events_release(ring);
	/* Rings watching this one notice it is gone (event.c). */
	wake_up_poll(&ring->cq_wait, EPOLLHUP);
	uscheme_ring_put(ring);
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/ring_kunit.c"
#endif
