// SPDX-License-Identifier: MIT
/* The events suite (events.h): races: no crash, no hang, no lost final CQE. */
#include "events.h"

/* ------------------------------------------------------------------ */
/* Races: no crash, no hang, no lost final CQE                          */
/* ------------------------------------------------------------------ */

struct fire_arg {
	int fd;
	int stop;
	unsigned long n;
};

static void *fire_thread(void *p)
{
	struct fire_arg *f = p;

	while (!LOAD(&f->stop)) {
		efd_fire(f->fd);	/* fails with EBADF once closed: fine */
		f->n++;
	}
	return NULL;
}

#define RACE_ROUNDS	1000

/* close(fd) while another thread makes it fire. */
int t_race_close_fire(void)
{
	struct fire_arg fa;
	pthread_t th;
	struct tr t;
	int round;

	CHECK_EQ(tr_init(&t, 8, 64), 0);
	for (round = 0; round < RACE_ROUNDS; round++) {
		uint64_t ud = 10000 + (uint64_t)round;
		int a = efd_new(0), w;

		CHECK(a >= 0);
		/* Odd rounds fire through a dup: the file outlives the watched fd. */
		w = round & 1 ? dup(a) : a;
		CHECK(w >= 0);
		CHECK_EQ(fu1(&t, a, EVR, FU_ADD, ud), 0);
		memset(&fa, 0, sizeof(fa));
		fa.fd = w;
		CHECK_EQ(pthread_create(&th, NULL, fire_thread, &fa), 0);
		if (round % 3)
			usleep((unsigned int)(round % 50));
		CHECK_EQ(close(a), 0);
		if (round % 5 == 0)	/* the close seen at a wakeup rather than an enter */
			usleep(200);
		g_round = round;
		g_where = "race_close_vs_fire: waiting for the final CQE";
		if (ev_final(&t, ud, -EBADF)) {
			fprintf(stderr, "  round %d\n", round);
			STORE(&fa.stop, 1);
			pthread_join(th, NULL);
			return -1;
		}
		STORE(&fa.stop, 1);
		CHECK_EQ(pthread_join(th, NULL), 0);
		if (w != a)
			close(w);
	}
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	return 0;
}

/* DEL (and ONESHOT re-arming MOD) while another thread makes the fd fire. */
int t_race_del_fire(void)
{
	struct uscheme_cqe got[256];
	struct fire_arg fa;
	pthread_t th;
	struct tr t;
	int a = efd_new(0), round, n, i;

	CHECK(a >= 0);
	CHECK_EQ(tr_init(&t, 8, 64), 0);
	memset(&fa, 0, sizeof(fa));
	fa.fd = a;
	CHECK_EQ(pthread_create(&th, NULL, fire_thread, &fa), 0);
	for (round = 0; round < RACE_ROUNDS; round++) {
		uint64_t ud = 20000 + (uint64_t)round;

		CHECK_EQ(fu1(&t, a, EVR, FU_ADD, ud), 0);
		if (round & 1)
			usleep((unsigned int)(round % 40));
		if (round % 3 == 0)
			us_enter(&t.r, 0, 0, 0, 0, NULL);	/* post what is pending */
		CHECK_EQ(fu1(&t, a, 0, FU_DEL, 0), 0);
		n = ev_drain(&t, got, 256, 0);
		for (i = 0; i < n && i < 256; i++) {
			if (got[i].user_data < 20000 || got[i].user_data > ud ||
			    got[i].res <= 0) {
				pr_cqe("stray CQE", &got[i]);
				STORE(&fa.stop, 1);
				pthread_join(th, NULL);
				return -1;
			}
		}
	}
	/* ONESHOT re-armed with MOD, over and over, while it fires. */
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD | FU_ONESHOT, 30000), 0);
	for (round = 0; round < RACE_ROUNDS; round++) {
		CHECK_EQ(fu1(&t, a, EVR, FU_MOD | FU_ONESHOT, 30000), 0);
		if (round & 1)
			ev_drain(&t, NULL, 0, 0);
	}
	CHECK_EQ(fu1(&t, a, 0, FU_DEL, 0), 0);
	STORE(&fa.stop, 1);
	CHECK_EQ(pthread_join(th, NULL), 0);
	ev_drain(&t, NULL, 0, QUIET_MS);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* all gone */
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	close(a);
	fprintf(stderr, "  # %lu writes raced\n", fa.n);
	return 0;
}

struct poller_arg {
	int fd;
	int stop;
	unsigned long polls;
};

static void *poller_thread(void *p)
{
	struct poller_arg *pa = p;

	while (!LOAD(&pa->stop)) {
		struct pollfd pfd = { .fd = pa->fd, .events = POLLIN | POLLOUT };

		poll(&pfd, 1, 5);
		pa->polls++;
	}
	return NULL;
}

#define DEATH_ROUNDS	40

/* A daemon killed while it sends events to handles that rings, poll and epoll watch. */
int t_race_daemon_death(void)
{
	struct poller_arg pa;
	struct epoll_event ee;
	struct daemon dm;
	pthread_t th;
	struct tr t, t2;
	char buf[8];
	int round;

	CHECK_EQ(tr_init(&t, 8, 64), 0);
	CHECK_EQ(tr_init(&t2, 8, 64), 0);
	for (round = 0; round < DEATH_ROUNDS; round++) {
		uint64_t ud = 40000 + (uint64_t)round;
		int h, ep;

		g_round = round;
		g_where = "race_daemon_death";

		dname(&dm, "death");
		CHECK_EQ(dstart(&dm), 0);
		h = d_open(&dm, "x", O_RDWR);
		CHECK(h >= 0);
		CHECK_EQ(fu1(&t, h, EVR | EVW, FU_ADD, ud), 0);
		CHECK_EQ(fu1(&t2, h, EVR, FU_ADD, ud), 0);
		ep = epoll_create1(EPOLL_CLOEXEC);
		CHECK(ep >= 0);
		memset(&ee, 0, sizeof(ee));
		ee.events = EPOLLIN | EPOLLET;
		CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, h, &ee), 0);
		memset(&pa, 0, sizeof(pa));
		pa.fd = h;
		CHECK_EQ(pthread_create(&th, NULL, poller_thread, &pa), 0);
		CHECK_EQ(dcmd(&dm, C_STORM, 0, 0), 0);
		usleep((unsigned int)(round % 10) * 1000);
		ev_drain(&t, NULL, 0, 0);
		kill(dm.pid, SIGKILL);
		ev_drain(&t2, NULL, 0, 0);
		waitpid(dm.pid, NULL, 0);
		dm.pid = 0;
		epoll_wait(ep, &ee, 1, 0);
		STORE(&pa.stop, 1);
		CHECK_EQ(pthread_join(th, NULL), 0);
		CHECK_EQ(read(h, buf, sizeof(buf)), -1);
		CHECK_EQ(errno, EPIPE);
		close(ep);
		/* The handle's registrations still end cleanly. */
		CHECK_EQ(close(h), 0);
		if (ev_final(&t, ud, -EBADF) || ev_final(&t2, ud, -EBADF)) {
			fprintf(stderr, "  round %d\n", round);
			return -1;
		}
		CHECK_EQ(dstop(&dm), 0);
		munmap(dm.shm, sizeof(*dm.shm));
	}
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(ev_none(&t2, 0), 0);
	tr_exit(&t);
	tr_exit(&t2);
	return 0;
}

/*
 * A daemon's death wakes what waits on its handles: a handle whose reads
 * now fail at once (-EPIPE) must not leave a poller asleep.
 */
int t_daemon_death_wakes(void)
{
	struct uscheme_cqe got[16];
	struct daemon dm;
	struct tr t;
	uint64_t id;
	int h, n, m, status;
	char buf[1];
	long r;
	pid_t pid;

	dname(&dm, "dwake");
	CHECK_EQ(dstart(&dm), 0);
	h = d_open(&dm, "x", O_RDWR);
	CHECK(h >= 0);
	id = LOAD(&dm.shm->last_id);
	CHECK_EQ(send_event(&dm, id, 0), 0);
	CHECK_EQ(poll_mask(h, 0), 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, h, EVR, FU_ADD, 130), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	pid = fork_child();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct pollfd p = { .fd = h, .events = POLLIN };

		_exit(poll(&p, 1, SLOW_MS) == 1 ? 0 : 1);
	}
	usleep(100 * 1000);
	CHECK_EQ(dstop(&dm), 0);
	status = wait_exit(pid, SLOW_MS + 1000);
	m = poll_mask(h, 0);
	n = ev_drain(&t, got, 16, QUIET_MS * 2);
	r = sysres(read(h, buf, 1));
	fprintf(stderr, "  # after the daemon died: a sleeping poll %s; poll(0) %#x; "
		"%d event CQEs (first res %d); read %ld\n",
		exited_ok(status) ? "woke" : "was NOT woken", m, n, n ? got[0].res : 0, r);
	/* READ|WRITE|ERR|HUP once the daemon is gone; ops fail with -EPIPE. */
	CHECK(exited_ok(status));
	CHECK_EQ(m, POLLIN | POLLOUT | POLLERR | POLLHUP);
	CHECK_EQ(r, -EPIPE);
	CHECK_EQ(n, 1);
	CHECK_EQ(got[0].user_data, 130);
	CHECK_EQ(got[0].flags, EV | MORE);
	CHECK_EQ(got[0].res, EVR | USCHEME_EV_ERR | USCHEME_EV_HUP);
	tr_exit(&t);
	close(h);
	return 0;
}

#define RCLOSE_ROUNDS	200
#define RCLOSE_FDS	20

struct multi_fire {
	int *fds;
	int n;
	int stop;
};

static void *multi_fire_thread(void *p)
{
	struct multi_fire *m = p;
	int i;

	while (!LOAD(&m->stop))
		for (i = 0; i < m->n; i++)
			efd_fire(m->fds[i]);
	return NULL;
}

/* A ring closed with registrations firing. */
int t_race_ring_close(void)
{
	struct uscheme_fu_entry e[RCLOSE_FDS];
	int fds[RCLOSE_FDS], round, i;
	struct multi_fire mf;
	pthread_t th;

	for (i = 0; i < RCLOSE_FDS; i++) {
		fds[i] = efd_new(0);
		CHECK(fds[i] >= 0);
	}
	memset(&mf, 0, sizeof(mf));
	mf.fds = fds;
	mf.n = RCLOSE_FDS;
	CHECK_EQ(pthread_create(&th, NULL, multi_fire_thread, &mf), 0);
	for (round = 0; round < RCLOSE_ROUNDS; round++) {
		struct tr t;

		CHECK_EQ(tr_init(&t, 8, 16), 0);
		for (i = 0; i < RCLOSE_FDS; i++)
			fe(&e[i], fds[i], EVR | EVW, FU_ADD | (i & 1 ? FU_ONESHOT : 0),
			   (uint64_t)i);
		CHECK_EQ(fu_n(&t, e, RCLOSE_FDS), RCLOSE_FDS);
		if (round & 1)
			us_enter(&t.r, 0, 0, 0, 0, NULL);	/* some posted, the CQ full */
		usleep((unsigned int)(round % 30) * 10);
		tr_exit(&t);
	}
	STORE(&mf.stop, 1);
	CHECK_EQ(pthread_join(th, NULL), 0);
	for (i = 0; i < RCLOSE_FDS; i++)
		close(fds[i]);
	return 0;
}

struct ring_closer {
	struct us_ring *r;
	int nops;
	int err;
};

static void *ring_closer_thread(void *p)
{
	struct ring_closer *rc = p;
	int i;

	for (i = 0; i < rc->nops; i++) {
		struct uscheme_sqe *sqe = us_get_sqe(rc->r);

		if (!sqe || (us_prep_nop(sqe, (uint64_t)i), us_submit(rc->r) != 1)) {
			rc->err = -1;
			break;
		}
		us_cq_advance(rc->r, us_cq_ready(rc->r));
	}
	us_ring_exit(rc->r);	/* released while the watcher is woken by it */
	return NULL;
}

/* A watched ring closes (in another thread) while it keeps firing. */
int t_race_watched_ring_close(void)
{
	struct ring_closer rc;
	struct us_ring b;
	pthread_t th;
	struct tr t;
	int round;

	CHECK_EQ(tr_init(&t, 8, 64), 0);
	for (round = 0; round < RCLOSE_ROUNDS; round++) {
		uint64_t ud = 50000 + (uint64_t)round;

		CHECK_EQ(us_ring_init(&b, 8, 0, 0), 0);
		CHECK_EQ(fu1(&t, b.fd, EVR | EVW, FU_ADD, ud), 0);
		memset(&rc, 0, sizeof(rc));
		rc.r = &b;
		rc.nops = round % 50;
		CHECK_EQ(pthread_create(&th, NULL, ring_closer_thread, &rc), 0);
		g_round = round;
		g_where = "race_watched_ring_close: waiting for the final CQE";
		if (ev_final(&t, ud, -EBADF)) {
			fprintf(stderr, "  round %d\n", round);
			pthread_join(th, NULL);
			return -1;
		}
		g_where = "race_watched_ring_close: joining the closer";
		CHECK_EQ(pthread_join(th, NULL), 0);
		CHECK_EQ(rc.err, 0);
	}
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	return 0;
}

