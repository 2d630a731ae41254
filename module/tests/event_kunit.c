// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: FILES_UPDATE entry rules and the event mask translation.
 * Included from event.c when CONFIG_KUNIT is set. (Watches on real files
 * need an fd table, which KUnit threads lack: tests/events covers them.)
 */
#include <kunit/test.h>

static void event_entry_rules(struct kunit *test)
{
	struct uscheme_params p = { .sq_entries = 4 };
	struct uscheme_ring *ring = uscheme_ring_alloc();
	struct uscheme_fu_entry e = { .fd = 3, .events = USCHEME_EV_READ };

	KUNIT_ASSERT_NOT_NULL(test, ring);
	KUNIT_ASSERT_EQ(test, uscheme_ring_setup(ring, &p), 0);
	/* exactly one of ADD, MOD, DEL */
	e.flags = 0;
	KUNIT_EXPECT_EQ(test, uscheme_fu_apply(ring, &e), -EINVAL);
	e.flags = USCHEME_FU_ADD | USCHEME_FU_DEL;
	KUNIT_EXPECT_EQ(test, uscheme_fu_apply(ring, &e), -EINVAL);
	e.flags = USCHEME_FU_ADD | BIT(7);
	KUNIT_EXPECT_EQ(test, uscheme_fu_apply(ring, &e), -EINVAL);
	e.flags = USCHEME_FU_ADD;
	e.resv = 1;
	KUNIT_EXPECT_EQ(test, uscheme_fu_apply(ring, &e), -EINVAL);
	e.resv = 0;
	/* events: READ/WRITE only, and some */
	e.events = 0;
	KUNIT_EXPECT_EQ(test, uscheme_fu_apply(ring, &e), -EINVAL);
	e.events = USCHEME_EV_HUP;
	KUNIT_EXPECT_EQ(test, uscheme_fu_apply(ring, &e), -EINVAL);
	e.events = USCHEME_EV_READ;
	e.fd = -1;
	KUNIT_EXPECT_EQ(test, uscheme_fu_apply(ring, &e), -EBADF);
	/* MOD and DEL of what is not registered */
	e.fd = 3;
	e.flags = USCHEME_FU_MOD;
	KUNIT_EXPECT_EQ(test, uscheme_fu_apply(ring, &e), -ENOENT);
	e.flags = USCHEME_FU_DEL;
	KUNIT_EXPECT_EQ(test, uscheme_fu_apply(ring, &e), -EINVAL);	/* DEL takes no events */
	e.events = 0;
	KUNIT_EXPECT_EQ(test, uscheme_fu_apply(ring, &e), -ENOENT);
	e.flags = USCHEME_FU_DEL | USCHEME_FU_ONESHOT;
	KUNIT_EXPECT_EQ(test, uscheme_fu_apply(ring, &e), -EINVAL);
	KUNIT_EXPECT_EQ(test, ring->nr_watches, 0U);
	uscheme_ring_free(ring);
}

static void event_masks(struct kunit *test)
{
	KUNIT_EXPECT_EQ(test, uscheme_ev_to_poll(USCHEME_EV_READ),
			EPOLLIN | EPOLLRDNORM);
	KUNIT_EXPECT_EQ(test, uscheme_ev_to_poll(USCHEME_EV_WRITE),
			EPOLLOUT | EPOLLWRNORM);
	KUNIT_EXPECT_EQ(test, uscheme_poll_to_ev(EPOLLRDNORM), (u32)USCHEME_EV_READ);
	KUNIT_EXPECT_EQ(test, uscheme_poll_to_ev(EPOLLOUT | EPOLLHUP | EPOLLERR | EPOLLPRI),
			(u32)(USCHEME_EV_WRITE | USCHEME_EV_HUP | USCHEME_EV_ERR));
}

static struct kunit_case uscheme_event_cases[] = {
	KUNIT_CASE(event_entry_rules),
	KUNIT_CASE(event_masks),
	{}
};

static struct kunit_suite uscheme_event_suite = {
	.name = "uscheme_event",
	.test_cases = uscheme_event_cases,
};

kunit_test_suite(uscheme_event_suite);
