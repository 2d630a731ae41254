// SPDX-License-Identifier: MIT
/*
 * The events suite (events.h): SEND_EVENT, poll and epoll on ring and
 * handle fds.
 */
#include "events.h"

/* ------------------------------------------------------------------ */
/* SEND_EVENT, poll and epoll                                          */
/* ------------------------------------------------------------------ */

int t_send_event(void)
{
	struct epoll_event ee;
	struct daemon dm;
	struct tr a, b;
	uint64_t id;
	int64_t rej;
	int h, ep, status;
	pid_t pid;

	dname(&dm, "se");
	CHECK_EQ(dstart(&dm), 0);
	h = d_open(&dm, "x", O_RDWR);
	CHECK(h >= 0);
	id = LOAD(&dm.shm->last_id);
	CHECK_EQ(poll_mask(h, 0), POLLIN | POLLOUT);	/* until the daemon sets it */
	CHECK_EQ(tr_init(&a, 8, 0), 0);
	CHECK_EQ(tr_init(&b, 8, 0), 0);
	CHECK_EQ(fu1(&a, h, EVR, FU_ADD, 80), 0);
	CHECK_EQ(fu1(&b, h, EVR, FU_ADD, 81), 0);
	CHECK_EQ(ev_expect(&a, 80, EV | MORE, EVR), 0);
	CHECK_EQ(ev_expect(&b, 81, EV | MORE, EVR), 0);

	CHECK_EQ(send_event(&dm, id, 0), 0);
	CHECK_EQ(poll_mask(h, 0), 0);
	CHECK_EQ(ev_none(&a, QUIET_MS), 0);
	CHECK_EQ(ev_none(&b, QUIET_MS), 0);

	/* Both watchers told; poll says POLLIN, not POLLOUT. */
	CHECK_EQ(send_event(&dm, id, EVR), 0);
	CHECK_EQ(ev_expect(&a, 80, EV | MORE, EVR), 0);
	CHECK_EQ(ev_expect(&b, 81, EV | MORE, EVR), 0);
	CHECK_EQ(poll_mask(h, 0), POLLIN);
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN | EPOLLOUT;
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, h, &ee), 0);
	memset(&ee, 0, sizeof(ee));
	CHECK_EQ(epoll_wait(ep, &ee, 1, 0), 1);
	CHECK_EQ(ee.events, EPOLLIN);

	CHECK_EQ(send_event(&dm, id, EVW), 0);
	CHECK_EQ(poll_mask(h, 0), POLLOUT);
	memset(&ee, 0, sizeof(ee));
	CHECK_EQ(epoll_wait(ep, &ee, 1, 0), 1);
	CHECK_EQ(ee.events, EPOLLOUT);
	CHECK_EQ(ev_none(&a, QUIET_MS), 0);
	CHECK_EQ(ev_none(&b, QUIET_MS), 0);

	/* A poll(2) sleeping in another process is woken. */
	CHECK_EQ(send_event(&dm, id, 0), 0);
	pid = fork_child();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct pollfd p = { .fd = h, .events = POLLIN };

		_exit(poll(&p, 1, SLOW_MS) == 1 && p.revents == POLLIN ? 0 : 1);
	}
	usleep(100 * 1000);
	CHECK_EQ(send_event(&dm, id, EVR), 0);
	status = wait_exit(pid, SLOW_MS + 1000);
	CHECK(exited_ok(status));
	/* An edge-triggered epoll sleeping here is woken too. */
	CHECK_EQ(send_event(&dm, id, 0), 0);
	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN | EPOLLET;
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, h, &ee), 0);
	CHECK_EQ(epoll_wait(ep, &ee, 1, 0), 0);
	pid = fork_child();
	CHECK(pid >= 0);
	if (pid == 0) {
		usleep(100 * 1000);
		_exit(send_event(&dm, id, EVR) ? 1 : 0);
	}
	memset(&ee, 0, sizeof(ee));
	CHECK_EQ(epoll_wait(ep, &ee, 1, SLOW_MS), 1);
	CHECK_EQ(ee.events, EPOLLIN);
	CHECK(exited_ok(wait_exit(pid, SLOW_MS)));
	ev_drain(&a, NULL, 0, QUIET_MS);
	ev_drain(&b, NULL, 0, QUIET_MS);

	/* Unknown id, bad mask: dropped, counted; the readiness is unchanged. */
	rej = drejected(&dm);
	CHECK(rej >= 0);
	CHECK_EQ(send_event(&dm, id + 1000, EVR), 0);
	CHECK_EQ(send_event(&dm, id, 0x100), 0);
	CHECK_EQ(send_event(&dm, id, -1), 0);
	CHECK_EQ(drejected(&dm), rej + 3);
	CHECK_EQ(poll_mask(h, 0), POLLIN);
	CHECK_EQ(ev_none(&a, QUIET_MS), 0);

	close(ep);
	tr_exit(&a);
	tr_exit(&b);
	close(h);
	CHECK_EQ(dstop(&dm), 0);
	return 0;
}

/* poll/epoll on a ring fd: POLLIN while events wait to be posted. */
static int ring_poll_fire(void *p)
{
	usleep(100 * 1000);
	return efd_fire(*(int *)p);
}

static void *ring_poll_thread(void *p)
{
	return (void *)(intptr_t)ring_poll_fire(p);
}

int t_poll_ring(void)
{
	struct pollfd pfd;
	struct epoll_event ee;
	pthread_t th;
	struct tr t;
	void *ret;
	int a = efd_new(0), ep;

	CHECK(a >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD, 110), 0);
	pfd.fd = t.r.fd;
	pfd.events = POLLIN;
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(poll(&pfd, 1, SLOW_MS), 1);
	CHECK(pfd.revents & POLLIN);
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN;
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, t.r.fd, &ee), 0);
	CHECK_EQ(epoll_wait(ep, &ee, 1, SLOW_MS), 1);
	CHECK(ee.events & EPOLLIN);
	CHECK_EQ(ev_expect(&t, 110, EV | MORE, EVR), 0);
	CHECK_EQ(poll(&pfd, 1, 0), 0);			/* posted and reaped */
	/* A poll sleeping on the ring is woken by a watched fd. */
	CHECK_EQ(pthread_create(&th, NULL, ring_poll_thread, &a), 0);
	CHECK_EQ(poll(&pfd, 1, SLOW_MS), 1);
	CHECK(pfd.revents & POLLIN);
	CHECK_EQ(pthread_join(th, &ret), 0);
	CHECK(ret == NULL);
	CHECK_EQ(ev_expect(&t, 110, EV | MORE, EVR), 0);
	close(ep);
	tr_exit(&t);
	close(a);
	return 0;
}

