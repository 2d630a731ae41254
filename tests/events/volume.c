// SPDX-License-Identifier: MIT
/*
 * The events suite (events.h): volume: storms, thousands of registrations,
 * a full CQ, closing a watched fd.
 */
#include "events.h"

/* ------------------------------------------------------------------ */
/* Volume: storms, thousands of registrations, a full CQ               */
/* ------------------------------------------------------------------ */

#define STORM_WRITES	100000

struct storm_arg {
	int fd;
	int done;
	unsigned long writes;
};

static void *storm_thread(void *p)
{
	struct storm_arg *s = p;

	while (s->writes < STORM_WRITES) {
		if (efd_fire(s->fd))
			break;
		s->writes++;
	}
	STORE(&s->done, 1);
	return NULL;
}

int t_storm(void)
{
	struct uscheme_stats st0, st;
	struct storm_arg sa;
	struct uscheme_cqe c;
	pthread_t th;
	struct tr t;
	int a = efd_new(0), i, n;

	CHECK(a >= 0);
	CHECK_EQ(tr_init(&t, 4, 8), 0);
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD, 90), 0);
	CHECK_EQ(us_ring_stats(&t.r, &st0), 0);
	for (i = 0; i < STORM_WRITES; i++)
		CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(us_ring_stats(&t.r, &st), 0);
	CHECK(st.ev_merged > st0.ev_merged);
	CHECK_EQ(st.overflow, 0);
	/* At most one event was pending: one CQE, then nothing. */
	CHECK_EQ(ev_expect(&t, 90, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(us_ring_stats(&t.r, &st), 0);
	CHECK_EQ(st.overflow, 0);
	CHECK_EQ(st.lost, 0);
	fprintf(stderr, "  # %llu wakeups merged\n",
		(unsigned long long)(st.ev_merged - st0.ev_merged));

	/* The same from another thread while this one reaps, slowly. */
	memset(&sa, 0, sizeof(sa));
	sa.fd = a;
	CHECK_EQ(pthread_create(&th, NULL, storm_thread, &sa), 0);
	n = 0;
	for (;;) {
		int done = LOAD(&sa.done);

		if (ev_get(&t, &c, done ? QUIET_MS : 100)) {
			if (done)
				break;
			continue;
		}
		CHECK_EQ(c.user_data, 90);
		CHECK_EQ(c.flags, EV | MORE);
		n++;
		if (n % 64 == 0)
			usleep(1000);
	}
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(sa.writes, STORM_WRITES);
	CHECK(n >= 1);
	CHECK_EQ(us_ring_stats(&t.r, &st), 0);
	CHECK_EQ(st.overflow, 0);
	CHECK_EQ(st.lost, 0);
	CHECK(st.completed < st0.completed + (uint64_t)STORM_WRITES);
	fprintf(stderr, "  # threaded storm: %d CQEs for %d writes\n", n, STORM_WRITES);
	tr_exit(&t);
	close(a);
	return 0;
}

static int raise_nofile(unsigned int want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur >= want)
		return 0;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;
	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

#define MANY		2000
#define MANY_BATCH	1000

int t_thousands(void)
{
	static struct uscheme_fu_entry e[MANY];
	static int fds[MANY];
	static unsigned char seen[MANY];
	struct uscheme_cqe c;
	struct tr t;
	int i, got = 0;

	CHECK_EQ(raise_nofile(MANY + 256), 0);
	CHECK_EQ(tr_init(&t, 64, 4096), 0);
	CHECK_EQ(t.r.cq_entries, 4096);
	for (i = 0; i < MANY; i++) {
		fds[i] = efd_new(0);
		CHECK(fds[i] >= 0);
		fe(&e[i], fds[i], EVR, FU_ADD, 1000 + (uint64_t)i);
	}
	for (i = 0; i < MANY; i += MANY_BATCH)
		CHECK_EQ(fu_n(&t, &e[i], MANY_BATCH), MANY_BATCH);
	for (i = 0; i < MANY; i++)
		CHECK_EQ(e[i].res, 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	for (i = 0; i < MANY; i++)
		CHECK_EQ(efd_fire(fds[i]), 0);
	while (got < MANY && !ev_get(&t, &c, SLOW_MS)) {
		uint64_t k = c.user_data - 1000;

		if (c.user_data < 1000 || k >= MANY || seen[k] || c.flags != (EV | MORE) ||
		    c.res <= 0 || !(c.res & EVR)) {
			pr_cqe("bad or repeated event", &c);
			return -1;
		}
		seen[k] = 1;
		got++;
	}
	CHECK_EQ(got, MANY);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	for (i = 0; i < MANY; i++)
		fe(&e[i], fds[i], 0, FU_DEL, 0);
	for (i = 0; i < MANY; i += MANY_BATCH)
		CHECK_EQ(fu_n(&t, &e[i], MANY_BATCH), MANY_BATCH);
	for (i = 0; i < MANY; i++)
		CHECK_EQ(efd_fire(fds[i]), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	for (i = 0; i < MANY; i++)
		close(fds[i]);
	return 0;
}

#define CQF_N		100

/* Fewer CQ slots than ready registrations: the rest come after reaping. */
/*
 * A ready event with no CQ room (every slot reserved by routed ops still in
 * flight) must let a waiter sleep, not spin: an untimed-looking wait of
 * 400 ms burns (almost) no CPU, and times out.
 */
int t_stalled_event_sleeps(void)
{
	struct us_ring srv;
	struct timespec c0, c1;
	char name[32], path[48];
	struct tr t;
	long long cpu_ns;
	int efd, i, ret;

	snprintf(name, sizeof(name), "ev-stall-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s:x", name);
	CHECK_EQ(us_scheme_init(&srv, name, 16, 0), 0);	/* never answers */
	CHECK_EQ(tr_init(&t, 8, 8), 0);
	efd = efd_new(0);
	CHECK(efd >= 0);
	CHECK_EQ(fu1(&t, efd, EVR, FU_ADD, 77), 0);
	for (i = 0; i < 8; i++) {
		struct uscheme_sqe *sqe = us_get_sqe(&t.r);

		CHECK(sqe);
		us_prep_open(sqe, path, O_RDONLY, 1000 + (uint64_t)i);
	}
	CHECK_EQ(us_submit(&t.r), 8);		/* the whole CQ is reserved */
	CHECK_EQ(efd_fire(efd), 0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	ret = us_enter(&t.r, 0, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
		       400 * 1000000LL, NULL);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	cpu_ns = (c1.tv_sec - c0.tv_sec) * 1000000000LL + (c1.tv_nsec - c0.tv_nsec);
	fprintf(stderr, "  # a 400 ms stalled wait used %lld us of CPU\n", cpu_ns / 1000);
	CHECK_EQ(ret, -ETIME);
	CHECK_EQ(us_cq_ready(&t.r), 0);
	CHECK(cpu_ns < 200 * 1000000LL);
	/* The daemon goes: the OPENs fail, and the event comes once there is room. */
	us_ring_exit(&srv);
	close(efd);
	tr_exit(&t);
	return 0;
}

int t_cq_full(void)
{
	struct uscheme_fu_entry e[CQF_N];
	unsigned char seen[CQF_N];
	int fds[CQF_N], i, got = 0, passes = 0;
	long long end;
	struct tr t;

	memset(seen, 0, sizeof(seen));
	CHECK_EQ(tr_init(&t, 4, 8), 0);
	CHECK_EQ(t.r.cq_entries, 8);
	for (i = 0; i < CQF_N; i++) {
		fds[i] = efd_new(0);
		CHECK(fds[i] >= 0);
		fe(&e[i], fds[i], EVR, FU_ADD, 500 + (uint64_t)i);
	}
	CHECK_EQ(fu_n(&t, e, CQF_N), CQF_N);
	CHECK_EQ(t.nstash, 0);
	for (i = 0; i < CQF_N; i++)
		CHECK_EQ(efd_fire(fds[i]), 0);
	end = deadline(SLOW_MS * 2);
	while (got < CQF_N && tap_now_ns() < end) {
		struct uscheme_cqe *c;
		unsigned int ready;
		int ret;

		ret = us_enter(&t.r, 0, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
			       500 * 1000000LL, NULL);
		CHECK(ret == 0 || ret == -ETIME);
		ready = us_cq_ready(&t.r);
		CHECK(ready <= t.r.cq_entries);
		if (!passes++)
			CHECK_EQ(ready, t.r.cq_entries);	/* filled, not overrun */
		while ((c = us_peek_cqe(&t.r))) {
			uint64_t k = c->user_data - 500;

			if (c->user_data < 500 || k >= CQF_N || seen[k] || c->flags != (EV | MORE)) {
				pr_cqe("bad or repeated event", c);
				return -1;
			}
			seen[k] = 1;
			got++;
			us_cqe_seen(&t.r);
		}
	}
	CHECK_EQ(got, CQF_N);
	CHECK(passes >= CQF_N / 8);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	{
		struct uscheme_stats st;

		CHECK_EQ(us_ring_stats(&t.r, &st), 0);
		CHECK_EQ(st.lost, 0);
	}
	tr_exit(&t);
	for (i = 0; i < CQF_N; i++)
		close(fds[i]);
	return 0;
}

/* Closing a watched fd ends its registration with a final -EBADF. */
int t_close_watched(void)
{
	struct tr t;
	int a = efd_new(0), b, c;

	CHECK(a >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD, 120), 0);
	CHECK_EQ(close(a), 0);
	CHECK_EQ(ev_final(&t, 120, -EBADF), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(fu1(&t, a, 0, FU_DEL, 0), -ENOENT);

	/* Closed with an event pending. */
	a = efd_new(0);
	CHECK(a >= 0);
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD, 121), 0);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(close(a), 0);
	CHECK_EQ(ev_final(&t, 121, -EBADF), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);

	/* Closed and the number reused for another file before the next enter. */
	b = efd_new(0);
	CHECK(b >= 0);
	CHECK_EQ(fu1(&t, b, EVR, FU_ADD, 122), 0);
	CHECK_EQ(close(b), 0);
	c = efd_new(0);
	CHECK_EQ(c, b);
	CHECK_EQ(efd_fire(c), 0);		/* not the watched file */
	CHECK_EQ(ev_final(&t, 122, -EBADF), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(fu1(&t, c, EVR, FU_ADD, 123), 0);	/* the new file: a new watch */
	CHECK_EQ(ev_expect(&t, 123, EV | MORE, EVR), 0);
	CHECK_EQ(fu1(&t, c, 0, FU_DEL, 0), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	close(c);
	return 0;
}

/* A ONESHOT registration that fired (disarmed, still registered) ends too. */
int t_close_disarmed(void)
{
	struct tr t;
	int a = efd_new(0);

	CHECK(a >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD | FU_ONESHOT, 125), 0);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_expect(&t, 125, EV, EVR), 0);
	CHECK_EQ(close(a), 0);
	CHECK_EQ(ev_final(&t, 125, -EBADF), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(fu1(&t, a, 0, FU_DEL, 0), -ENOENT);
	tr_exit(&t);
	return 0;
}

