// SPDX-License-Identifier: MIT
/*
 * The events suite (events.h): every source: pipe, socketpair, timerfd,
 * regular file, handle, client ring, scheme ring.
 */
#include "events.h"

/* ------------------------------------------------------------------ */
/* Sources                                                             */
/* ------------------------------------------------------------------ */

int t_pipe(void)
{
	struct uscheme_cqe got[256];
	static char big[1 << 17];
	struct tr t;
	int p[2], n, i;
	char x = 'x';

	CHECK_EQ(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	CHECK_EQ(tr_init(&t, 8, 64), 0);
	CHECK_EQ(fu1(&t, p[0], EVR, FU_ADD, 20), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(fu1(&t, p[1], EVW, FU_ADD, 21), 0);
	CHECK_EQ(ev_expect(&t, 21, EV | MORE, EVW), 0);	/* writable at ADD */
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);

	/* One byte: the read end's one event. */
	CHECK_EQ(write(p[1], &x, 1), 1);
	n = ev_drain(&t, got, 256, QUIET_MS);
	CHECK_EQ(count_ud(got, n, 20, 0), 1);
	CHECK_EQ(count_ud(got, n, 20, EVR), 1);
	CHECK_EQ(read(p[0], &x, 1), 1);
	CHECK_EQ(ev_drain(&t, got, 256, QUIET_MS) >= 0, 1);

	/* Fill the pipe, then empty it: the write end becomes writable. */
	while (write(p[1], big, sizeof(big)) > 0)
		;
	CHECK_EQ(errno, EAGAIN);
	n = ev_drain(&t, got, 256, QUIET_MS);
	CHECK(count_ud(got, n, 20, EVR) >= 1);		/* data came */
	while (read(p[0], big, sizeof(big)) > 0)
		;
	n = ev_drain(&t, got, 256, QUIET_MS);
	CHECK(count_ud(got, n, 21, EVW) >= 1);
	for (i = 0; i < n; i++)
		CHECK(got[i].flags == (EV | MORE) && got[i].res > 0);

	/* The writer goes (its registration first: it holds the file): HUP. */
	CHECK_EQ(fu1(&t, p[1], 0, FU_DEL, 0), 0);
	CHECK_EQ(close(p[1]), 0);
	n = ev_drain(&t, got, 256, QUIET_MS * 2);
	CHECK(count_ud(got, n, 20, USCHEME_EV_HUP) >= 1);
	CHECK_EQ(count_ud(got, n, 21, 0), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	close(p[0]);
	return 0;
}

/* An epoll fd watching fd for events (EPOLLIN/EPOLLOUT, level-triggered). */
int epoll_on(int fd, uint32_t events)
{
	struct epoll_event ee = { .events = events, .data.fd = fd };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		return -errno;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ee)) {
		close(ep);
		return -errno;
	}
	return ep;
}

/* Which fd epoll ep reports ready now (-1 none), with its events. */
static int epoll_ready(int ep, uint32_t *events)
{
	struct epoll_event ee;

	if (epoll_wait(ep, &ee, 1, 0) != 1)
		return -1;
	*events = ee.events;
	return ee.data.fd;
}

/*
 * A socketpair is watched through an epoll fd (a watch on the AF_UNIX
 * socket itself is refused, see unix_io_uring_refused): epoll holds no
 * reference on the socket, and its fd is an ordinary source.
 */
int t_socketpair(void)
{
	struct uscheme_cqe got[64];
	struct tr t;
	int s[2], s2[2], ep, ep2, n;
	uint32_t evs = 0;
	char buf[16];

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, s), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, s2), 0);
	ep = epoll_on(s[0], EPOLLIN);
	CHECK(ep >= 0);
	ep2 = epoll_on(s2[0], EPOLLOUT);
	CHECK(ep2 >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, s[0], EVR, FU_ADD, 29), -EOPNOTSUPP);
	CHECK_EQ(fu1(&t, ep, EVR, FU_ADD, 30), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(send(s[1], "a", 1, 0), 1);
	CHECK_EQ(ev_expect(&t, 30, EV | MORE, EVR), 0);
	CHECK_EQ(epoll_ready(ep, &evs), s[0]);
	CHECK(evs & EPOLLIN);
	CHECK_EQ(recv(s[0], buf, sizeof(buf), 0), 1);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(send(s[1], "b", 1, 0), 1);
	CHECK_EQ(ev_expect(&t, 30, EV | MORE, EVR), 0);
	CHECK_EQ(recv(s[0], buf, sizeof(buf), 0), 1);
	CHECK_EQ(epoll_ready(ep, &evs), -1);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	/* WRITE interest: a socket with room makes its epoll fd readable at ADD. */
	CHECK_EQ(fu1(&t, ep2, EVR, FU_ADD, 31), 0);
	CHECK_EQ(ev_expect(&t, 31, EV | MORE, EVR), 0);
	CHECK_EQ(epoll_ready(ep2, &evs), s2[0]);
	CHECK(evs & EPOLLOUT);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	/* The peer closes: the epoll fd turns readable (HUP is epoll's to tell). */
	CHECK_EQ(close(s[1]), 0);
	n = ev_drain(&t, got, 64, QUIET_MS * 2);
	CHECK(count_ud(got, n, 30, USCHEME_EV_READ) >= 1);
	CHECK_EQ(epoll_ready(ep, &evs), s[0]);
	CHECK(evs & EPOLLHUP);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	close(ep);
	close(ep2);
	close(s[0]);
	close(s2[0]);
	close(s2[1]);
	return 0;
}

int t_timerfd(void)
{
	struct itimerspec its;
	struct uscheme_cqe c;
	struct tr t;
	long long end;
	int tfd, n = 0;
	uint64_t v;

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	CHECK(tfd >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, tfd, EVR, FU_ADD, 40), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	memset(&its, 0, sizeof(its));
	its.it_value.tv_nsec = 20 * 1000000;
	its.it_interval.tv_nsec = 20 * 1000000;
	CHECK_EQ(timerfd_settime(tfd, 0, &its, NULL), 0);
	/*
	 * Periodic: each expiry is a change, so several CQEs. (A timerfd
	 * re-arms its hrtimer when read: each event's expiry is consumed.)
	 */
	end = deadline(3000);
	while (n < 5 && tap_now_ns() < end) {
		if (ev_get(&t, &c, 500))
			continue;
		CHECK_EQ(c.user_data, 40);
		CHECK_EQ(c.flags, EV | MORE);
		CHECK(c.res > 0 && (c.res & EVR));
		CHECK_EQ(read(tfd, &v, sizeof(v)), (long)sizeof(v));
		CHECK(v >= 1);
		n++;
	}
	CHECK_EQ(n, 5);
	memset(&its, 0, sizeof(its));
	CHECK_EQ(timerfd_settime(tfd, 0, &its, NULL), 0);	/* disarmed */
	ev_drain(&t, NULL, 0, QUIET_MS);
	CHECK_EQ(ev_none(&t, QUIET_MS * 2), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	close(tfd);
	return 0;
}

/* A file without ->poll (a memfd) is always ready: one CQE at ADD. */
int t_regular_file(void)
{
	struct tr t;
	int m = memfd_create("events-test", MFD_CLOEXEC);

	CHECK(m >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, m, EVR | EVW, FU_ADD, 45), 0);
	CHECK_EQ(ev_expect(&t, 45, EV | MORE, EVR | EVW), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(write(m, "x", 1), 1);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* no wait queue: no change */
	tr_exit(&t);
	close(m);
	return 0;
}

/* A scheme handle: its daemon sets the readiness with SEND_EVENT. */
int t_handle_fd(void)
{
	struct daemon dm;
	struct tr t;
	uint64_t id;
	int h;
	char buf[8];

	dname(&dm, "hfd");
	CHECK_EQ(dstart(&dm), 0);
	h = d_open(&dm, "x", O_RDWR);
	CHECK(h >= 0);
	id = LOAD(&dm.shm->last_id);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	/* READ|WRITE ready until the daemon first says otherwise. */
	CHECK_EQ(fu1(&t, h, EVR, FU_ADD, 50), 0);
	CHECK_EQ(ev_expect(&t, 50, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(send_event(&dm, id, 0), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* nothing of interest */
	CHECK_EQ(send_event(&dm, id, EVR), 0);
	CHECK_EQ(ev_expect(&t, 50, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(send_event(&dm, id, EVW), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* WRITE: not asked for */
	CHECK_EQ(send_event(&dm, id, EVR | EVW), 0);
	CHECK_EQ(ev_expect(&t, 50, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	/* MOD to WRITE: ready now (READ|WRITE set). */
	CHECK_EQ(fu1(&t, h, EVW, FU_MOD, 51), 0);
	CHECK_EQ(ev_expect(&t, 51, EV | MORE, EVW), 0);
	/* The handle still serves I/O. */
	CHECK_EQ(pread(h, buf, sizeof(buf), 0), (long)sizeof(buf));
	CHECK_EQ(check_pat((unsigned char *)buf, 0, sizeof(buf)), 0);
	CHECK_EQ(fu1(&t, h, 0, FU_DEL, 0), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	close(h);
	CHECK_EQ(dstop(&dm), 0);
	return 0;
}

/* Another client ring: READ when its CQ is non-empty; its release ends the watch. */
int t_ring_source(void)
{
	struct uscheme_sqe *sqe;
	struct us_ring b, c;
	struct tr t;
	int bfd;

	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(us_ring_init(&b, 8, 0, 0), 0);
	CHECK_EQ(us_ring_init(&c, 8, 0, 0), 0);
	bfd = b.fd;
	CHECK_EQ(fu1(&t, b.fd, EVR, FU_ADD, 60), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* b's CQ is empty */
	sqe = us_get_sqe(&b);
	CHECK(sqe);
	us_prep_nop(sqe, 1);
	CHECK_EQ(us_submit(&b), 1);
	CHECK_EQ(ev_expect(&t, 60, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	us_cq_advance(&b, us_cq_ready(&b));		/* reaped: not ready */
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	sqe = us_get_sqe(&b);
	CHECK(sqe);
	us_prep_nop(sqe, 2);
	CHECK_EQ(us_submit(&b), 1);
	CHECK_EQ(ev_expect(&t, 60, EV | MORE, EVR), 0);
	/* WRITE on a ring: room in its SQ, ready at ADD. */
	CHECK_EQ(fu1(&t, c.fd, EVW, FU_ADD, 61), 0);
	CHECK_EQ(ev_expect(&t, 61, EV | MORE, EVW), 0);
	/* The watched ring goes away: a final -EBADF, then DEL finds nothing. */
	us_ring_exit(&b);
	CHECK_EQ(ev_final(&t, 60, -EBADF), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(fu1(&t, bfd, 0, FU_DEL, 0), -ENOENT);
	us_ring_exit(&c);
	CHECK_EQ(ev_final(&t, 61, -EBADF), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	return 0;
}

static void *close_ring_later(void *p)
{
	usleep(100 * 1000);
	us_ring_exit(p);
	return NULL;
}

/*
 * A watched ring's release is an event: a watcher asleep in one long enter
 * gets the final CQE at once, not when its wait times out.
 */
int t_ring_release_wakes(void)
{
	struct us_ring b;
	pthread_t th;
	struct tr t;
	long long t0, ms;
	int ret;

	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(us_ring_init(&b, 8, 0, 0), 0);
	CHECK_EQ(fu1(&t, b.fd, EVR, FU_ADD, 62), 0);
	CHECK_EQ(ev_none(&t, 0), 0);
	CHECK_EQ(pthread_create(&th, NULL, close_ring_later, &b), 0);
	t0 = tap_now_ns();
	ret = us_enter(&t.r, 0, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
		       3000 * 1000000LL, NULL);
	ms = (tap_now_ns() - t0) / 1000000;
	CHECK_EQ(pthread_join(th, NULL), 0);
	fprintf(stderr, "  # enter returned %d after %lld ms\n", ret, ms);
	CHECK_EQ(ret, 0);
	CHECK(ms < 1500);
	CHECK_EQ(ev_final(&t, 62, -EBADF), 0);
	tr_exit(&t);
	return 0;
}

/* Two rings watching each other: no deadlock, both told. */
int t_rings_watch_each_other(void)
{
	struct uscheme_cqe got[64];
	struct uscheme_sqe *sqe;
	struct tr a, b;
	int n, round;

	CHECK_EQ(tr_init(&a, 8, 0), 0);
	CHECK_EQ(tr_init(&b, 8, 0), 0);
	CHECK_EQ(fu1(&a, b.r.fd, EVR | EVW, FU_ADD, 1), 0);
	CHECK_EQ(fu1(&b, a.r.fd, EVR | EVW, FU_ADD, 2), 0);
	for (round = 0; round < 50; round++) {
		sqe = us_get_sqe(&a.r);
		CHECK(sqe);
		us_prep_nop(sqe, 100 + round);
		CHECK_EQ(us_submit(&a.r), 1);
		n = ev_drain(&b, got, 64, 20);
		CHECK(count_ud(got, n, 2, 0) >= (round ? 0 : 1));
		n = ev_drain(&a, got, 64, 20);
		CHECK_EQ(count_ud(got, n, 100 + round, 0), 1);
	}
	tr_exit(&b);
	CHECK_EQ(ev_final(&a, 1, -EBADF), 0);
	tr_exit(&a);
	return 0;
}

/* A scheme ring: READ when its request queue becomes non-empty. */
int t_scheme_ring_source(void)
{
	char name[USCHEME_NAME_MAX], path[96];
	struct us_daemon d;
	struct tr t;
	long long end;
	int status = -1;
	pid_t pid;

	snprintf(name, sizeof(name), "ev-sr-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s:x", name);
	CHECK_EQ(us_daemon_init(&d, name, &sr_ops, NULL, NULL), 0);
	madvise(d.ring.hdr, d.ring.ring_size, MADV_DONTFORK);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, d.ring.fd, EVR, FU_ADD, 70), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* no requests */
	pid = fork_child();
	CHECK(pid >= 0);
	if (pid == 0) {
		int h = us_open(path, O_RDONLY);

		_exit(h >= 0 ? 0 : 1);
	}
	CHECK_EQ(ev_expect(&t, 70, EV | MORE, EVR), 0);	/* the OPEN arrived */
	end = deadline(SLOW_MS);
	while (tap_now_ns() < end) {
		pid_t r;

		us_daemon_run_once(&d, 20 * 1000000LL);
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
	}
	CHECK(exited_ok(status));
	ev_drain(&t, NULL, 0, QUIET_MS);		/* the CLOSE came too */
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	us_daemon_exit(&d);
	CHECK_EQ(ev_final(&t, 70, -EBADF), 0);
	tr_exit(&t);
	return 0;
}

