// SPDX-License-Identifier: MIT
/*
 * Never sleep for a daemon while holding a lock another caller needs
 * (THREAT-MODEL: locks and waits). A thread whose ring submission waits
 * for room in a slow daemon's data area must not hold the ring's
 * submit_lock meanwhile: another thread's enter of the same ring went into
 * D state (signals ignored) for as long as the daemon wanted. The waiting
 * submitter itself sleeps interruptibly, and a signal ends its wait.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "harden.h"

#define NREADS	9	/* 1 MiB each: one more than the daemon's 8 MiB data area holds */

/* The daemon takes READs and never answers them. */
static int32_t hold_reads(struct hd_shared *sh, const struct uscheme_req *rq, void *chunk)
{
	return rq->opcode == USCHEME_OP_READ ? HD_NOANSWER : hd_answer_ok(sh, rq, chunk);
}

struct sub {
	struct us_ring *ring;
	int fd;
	char *buf;
	pid_t tid;
	int ret;
	int done;
};

static void on_usr1(int sig)
{
	(void)sig;
}

static void *submitter(void *arg)
{
	struct sub *s = arg;
	int i;

	__atomic_store_n(&s->tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	for (i = 0; i < NREADS; i++)
		us_prep_read(us_get_sqe(s->ring), s->fd, s->buf + (size_t)i * USCHEME_IO_MAX,
			     USCHEME_IO_MAX, 0, 1000 + i);
	s->ret = us_submit(s->ring);
	__atomic_store_n(&s->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

struct waiter {
	struct us_ring *ring;
	int ret;
	int done;
};

static void *waiter(void *arg)
{
	struct waiter *w = arg;

	w->ret = us_enter(w->ring, 0, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
			  200 * 1000000LL, NULL);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

/* The scheduler state of thread @tid ('R', 'S', 'D', ...), or '?'. */
static char task_state(pid_t tid)
{
	char path[64], buf[512], *p;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "r");
	if (!f)
		return '?';
	p = fgets(buf, sizeof(buf), f) ? strrchr(buf, ')') : NULL;
	fclose(f);
	return p && p[1] == ' ' ? p[2] : '?';
}

static int wait_flag(int *flag, int ms)
{
	while (ms-- > 0) {
		if (__atomic_load_n(flag, __ATOMIC_ACQUIRE))
			return 0;
		usleep(1000);
	}
	return -1;
}

int t_submit_lock_not_held_for_daemon(void)
{
	struct uscheme_fu_entry fu;
	struct sigaction sa;
	struct us_ring ring;
	struct uscheme_cqe *cqe;
	pthread_t ta, tb;
	struct sub s;
	struct waiter w;
	struct hd d;
	char st;
	int efd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;	/* no SA_RESTART: the wait ends with EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	CHECK(!hd_start(&d, "hslowlock", hold_reads));
	memset(&s, 0, sizeof(s));
	s.fd = hd_open(&d, "f", O_RDONLY);
	CHECK(s.fd >= 0);
	s.buf = malloc((size_t)NREADS * USCHEME_IO_MAX);
	CHECK(s.buf);
	CHECK_EQ(us_ring_init(&ring, 16, 0, 0), 0);
	s.ring = &ring;

	/* A watch, so that every wait of this ring runs its events (submit_lock). */
	efd = eventfd(0, EFD_CLOEXEC);
	CHECK(efd >= 0);
	us_fu_entry(&fu, efd, USCHEME_EV_READ, USCHEME_FU_ADD, 5);
	us_prep_files_update(us_get_sqe(&ring), &fu, 1, 6);
	CHECK_EQ(us_submit(&ring), 1);
	CHECK_EQ(us_wait_cqe(&ring, &cqe, 2000000000LL), 0);
	CHECK_EQ(cqe->res, 1);
	us_cqe_seen(&ring);

	/* Thread A: eight READs fill the data area, the ninth waits for room. */
	CHECK_EQ(pthread_create(&ta, NULL, submitter, &s), 0);
	CHECK(!hd_wait_count(&d, USCHEME_OP_READ, NREADS - 1));
	usleep(200 * 1000);
	CHECK(!__atomic_load_n(&s.done, __ATOMIC_ACQUIRE));
	st = task_state(__atomic_load_n(&s.tid, __ATOMIC_ACQUIRE));
	if (st != 'S') {
		fprintf(stderr, "  the waiting submitter is in state %c, not S\n", st);
		return -1;
	}

	/* Thread B: its enter of the same ring is not held up. */
	memset(&w, 0, sizeof(w));
	w.ring = &ring;
	CHECK_EQ(pthread_create(&tb, NULL, waiter, &w), 0);
	if (wait_flag(&w.done, 3000)) {
		fprintf(stderr, "  another thread's enter is stuck behind the wait\n");
		return -1;
	}
	pthread_join(tb, NULL);
	CHECK_EQ(w.ret, -ETIME);

	/* A signal ends A's wait; the ninth READ was not consumed. */
	pthread_kill(ta, SIGUSR1);
	CHECK(!wait_flag(&s.done, 3000));
	pthread_join(ta, NULL);
	CHECK(s.ret == -EINTR || s.ret == NREADS - 1);
	CHECK_EQ(hd_count(&d, USCHEME_OP_READ), NREADS - 1);

	hd_stop(&d);
	close(efd);
	close(s.fd);
	us_ring_exit(&ring);
	free(s.buf);
	return 0;
}

/* The enter's timeout bounds a wait for room in a daemon's queue too. */
int t_room_wait_bounded_by_timeout(void)
{
	struct us_ring ring;
	long long t0, ms;
	struct hd d;
	char *buf;
	int fd, i, ret;

	CHECK(!hd_start(&d, "hroomto", hold_reads));
	fd = hd_open(&d, "f", O_RDONLY);
	CHECK(fd >= 0);
	buf = malloc((size_t)NREADS * USCHEME_IO_MAX);
	CHECK(buf);
	CHECK_EQ(us_ring_init(&ring, 16, 0, 0), 0);
	for (i = 0; i < NREADS; i++)
		us_prep_read(us_get_sqe(&ring), fd, buf + (size_t)i * USCHEME_IO_MAX,
			     USCHEME_IO_MAX, 0, 2000 + i);
	t0 = tap_now_ns();
	ring.sq_flushed = ring.sq_tail;
	__atomic_store_n(&ring.hdr->sq_tail, ring.sq_tail, __ATOMIC_RELEASE);
	ret = us_enter(&ring, NREADS, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
		       300 * 1000000LL, NULL);
	ms = (tap_now_ns() - t0) / 1000000;
	CHECK_EQ(ret, -ETIME);
	if (ms > 3000) {
		fprintf(stderr, "  the enter took %lld ms with a 300 ms timeout\n", ms);
		return -1;
	}
	CHECK_EQ(hd_count(&d, USCHEME_OP_READ), NREADS - 1);
	hd_stop(&d);
	close(fd);
	us_ring_exit(&ring);
	free(buf);
	return 0;
}
