// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: FILES_UPDATE entry rules, the event mask translation, the
 * POLLFREE path of the wake callback, and which files may not be watched
 * or passed. Included from event.c when CONFIG_KUNIT is set. (Watches on
 * real fds need an fd table, which KUnit threads lack: tests/events covers
 * them.)
 */
#include <kunit/test.h>
#include <linux/anon_inodes.h>
#include <linux/netlink.h>
#include <net/net_namespace.h>

#include "../enter.h"

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
	uscheme_ring_release(ring);
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

/*
 * POLLFREE (a queue freed before its file, as signalfd's): the callback
 * queues the watch ready and unhooks it itself, head NULL last; a later
 * DEL skips the queue, which is gone by then (freed after a grace period,
 * as the kernel frees sighand). KASAN sees any touch of the freed queue.
 */
static void event_pollfree(struct kunit *test)
{
	struct uscheme_params p = { .sq_entries = 4 };
	struct uscheme_ring *ring = uscheme_ring_alloc();
	struct uscheme_ring *target = uscheme_ring_alloc();
	struct uscheme_watch *w = kzalloc(sizeof(*w), GFP_KERNEL);
	wait_queue_head_t *head = kzalloc(sizeof(*head), GFP_KERNEL);

	KUNIT_ASSERT_NOT_NULL(test, ring);
	KUNIT_ASSERT_NOT_NULL(test, target);
	KUNIT_ASSERT_NOT_NULL(test, w);
	KUNIT_ASSERT_NOT_NULL(test, head);
	KUNIT_ASSERT_EQ(test, uscheme_ring_setup(ring, &p), 0);
	KUNIT_ASSERT_EQ(test, uscheme_ring_setup(target, &p), 0);
	init_waitqueue_head(head);
	/* A watch as uscheme_watch_add() makes one, on @head. */
	w->ring = ring;
	w->target = target;
	uscheme_ring_get(target);
	w->events = EPOLLIN;
	w->armed = true;
	INIT_LIST_HEAD(&w->ready);
	init_poll_funcptr(&w->pt, uscheme_watch_queue_proc);
	mutex_lock(&ring->submit_lock);
	list_add_tail(&w->node, &ring->watches);
	ring->nr_watches++;
	mutex_unlock(&ring->submit_lock);
	uscheme_watch_queue_proc(NULL, head, &w->pt);
	KUNIT_ASSERT_EQ(test, w->nr_waits, 1);
	KUNIT_EXPECT_PTR_EQ(test, w->waits[0].head, head);

	wake_up_pollfree(head);
	/* Pairs with the callback's store-release, as uscheme_watch_unhook(). */
	KUNIT_EXPECT_NULL(test, smp_load_acquire(&w->waits[0].head));
	/* Nothing else touches @head now: no barrier needed to read it. */
	KUNIT_EXPECT_TRUE(test, list_empty(&head->head));
	KUNIT_EXPECT_TRUE(test, w->queued);	/* the event before the last store */
	synchronize_rcu();
	kfree(head);

	mutex_lock(&ring->submit_lock);
	uscheme_watch_free(w);			/* must not touch @head */
	KUNIT_EXPECT_EQ(test, ring->nr_watches, 0U);
	KUNIT_EXPECT_TRUE(test, list_empty(&ring->ev_ready));
	mutex_unlock(&ring->submit_lock);
	irq_work_sync(&ring->ev_kick);
	uscheme_ring_release(target);
	uscheme_ring_release(ring);
}

static const struct file_operations event_kunit_fops = {
	.owner = THIS_MODULE,
};

/* Which files hold other files (refused as watches and as passed fds). */
static void event_holds_files(struct kunit *test)
{
	struct socket *sock;
	struct file *file;

	/* AF_UNIX: yes; another family (netlink: in every kernel with sockets): no. */
	KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, AF_UNIX, SOCK_STREAM, 0, &sock), 0);
	file = sock_alloc_file(sock, 0, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	KUNIT_EXPECT_TRUE(test, uscheme_file_holds_files(file));
	fput(file);
	KUNIT_ASSERT_EQ(test, sock_create_kern(&init_net, AF_NETLINK, SOCK_RAW,
					       NETLINK_USERSOCK, &sock), 0);
	file = sock_alloc_file(sock, 0, NULL);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	KUNIT_EXPECT_FALSE(test, uscheme_file_holds_files(file));
	fput(file);
	/* An anonymous-inode file is an io_uring by its name only. */
	file = anon_inode_getfile("[io_uring]", &event_kunit_fops, NULL, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	KUNIT_EXPECT_TRUE(test, uscheme_file_holds_files(file));
	fput(file);
	file = anon_inode_getfile("[eventfd]", &event_kunit_fops, NULL, O_RDWR);
	KUNIT_ASSERT_FALSE(test, IS_ERR(file));
	KUNIT_EXPECT_FALSE(test, uscheme_file_holds_files(file));
	fput(file);
}

static struct kunit_case uscheme_event_cases[] = {
	KUNIT_CASE(event_entry_rules),
	KUNIT_CASE(event_masks),
	KUNIT_CASE(event_pollfree),
	KUNIT_CASE(event_holds_files),
	{}
};

static struct kunit_suite uscheme_event_suite = {
	.name = "uscheme_event",
	.test_cases = uscheme_event_cases,
};

kunit_test_suite(uscheme_event_suite);
