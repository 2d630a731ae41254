// SPDX-License-Identifier: MIT
/* The events suite (events.h): delivery: edge-triggered, ONESHOT. */
#include "events.h"

/* ------------------------------------------------------------------ */
/* Delivery: edge-triggered, ONESHOT                                   */
/* ------------------------------------------------------------------ */

int t_edge_eventfd(void)
{
	struct tr t;
	int a = efd_new(0), b = efd_new(1);

	CHECK(a >= 0 && b >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD, 7), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* not ready: nothing */
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_expect(&t, 7, EV | MORE, EVR), 0);	/* exactly one */
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* still readable: nothing new */
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(efd_fire(a), 0);			/* a change: another */
	CHECK_EQ(ev_expect(&t, 7, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(efd_drain(a), 0);			/* not readable now */
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_expect(&t, 7, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);

	/* Ready at ADD: one CQE at once, then nothing. */
	CHECK_EQ(fu1(&t, b, EVR, FU_ADD, 8), 0);
	CHECK_EQ(ev_expect(&t, 8, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	/* Ready at MOD: one CQE with the new user_data. */
	CHECK_EQ(fu1(&t, b, EVR, FU_MOD, 9), 0);
	CHECK_EQ(ev_expect(&t, 9, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(efd_fire(b), 0);
	CHECK_EQ(ev_expect(&t, 9, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	close(a);
	close(b);
	return 0;
}

int t_oneshot(void)
{
	struct tr t;
	int a = efd_new(0);

	CHECK(a >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD | FU_ONESHOT, 11), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_expect(&t, 11, EV, EVR), 0);	/* no F_MORE */
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* disarmed */
	/* Still registered: MOD re-arms (ready now: one CQE). */
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD, 99), -EEXIST);
	CHECK_EQ(fu1(&t, a, EVR, FU_MOD | FU_ONESHOT, 12), 0);
	CHECK_EQ(ev_expect(&t, 12, EV, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	/* Re-armed while not ready: the next change fires it once. */
	CHECK_EQ(efd_drain(a), 0);
	CHECK_EQ(fu1(&t, a, EVR, FU_MOD | FU_ONESHOT, 13), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_expect(&t, 13, EV, EVR), 0);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	/* MOD without ONESHOT: multishot again. */
	CHECK_EQ(fu1(&t, a, EVR, FU_MOD, 14), 0);
	CHECK_EQ(ev_expect(&t, 14, EV | MORE, EVR), 0);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_expect(&t, 14, EV | MORE, EVR), 0);
	CHECK_EQ(fu1(&t, a, 0, FU_DEL, 0), 0);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* DEL ended it */
	tr_exit(&t);
	close(a);
	return 0;
}

