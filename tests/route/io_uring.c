// SPDX-License-Identifier: MIT
/*
 * The route suite (route.h): io_uring on a handle fd, and task work that
 * must not end an op with -EINTR.
 */
#include "route.h"

/* ------------------------------------------------------------------ */
/* io_uring on a handle fd                                             */
/* ------------------------------------------------------------------ */

#ifndef __i386__
static int uring_one(struct io_uring *ring, int read_op, int fd, void *buf, unsigned int len,
		     uint64_t off, uint64_t ud)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int res;

	if (!sqe)
		return RES_HARNESS;
	if (read_op)
		io_uring_prep_read(sqe, fd, buf, len, off);
	else
		io_uring_prep_write(sqe, fd, buf, len, off);
	sqe->user_data = ud;
	if (io_uring_submit(ring) != 1 || io_uring_wait_cqe(ring, &cqe))
		return RES_HARNESS - 1;
	res = cqe->user_data == ud ? cqe->res : RES_HARNESS - 2;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

/*
 * io_uring task work (TIF_NOTIFY_SIGNAL, no signal) queued to a thread that
 * waits in USCHEME_IOC_ENTER must not fail the wait with -EINTR: an
 * io_uring READ on a pipe completes (by task work to this thread) 100 ms
 * into a wait whose answer comes at 400 ms.
 */
struct tw_arg {
	int pipe_w;
	struct us_ring *srv;
	int answered;
};

static void *tw_poke(void *p)
{
	struct tw_arg *a = p;

	usleep(100 * 1000);
	if (write(a->pipe_w, "x", 1) != 1)
		return NULL;
	return NULL;
}

static void *tw_daemon(void *p)
{
	struct tw_arg *a = p;
	struct us_ring *s = a->srv;
	struct uscheme_req q;
	struct uscheme_cqe *c;
	uint32_t head, cqt;

	usleep(400 * 1000);
	if (us_enter(s, 0, 1, USCHEME_ENTER_GETEVENTS, 0, NULL))
		return NULL;
	head = s->hdr->sq_head;
	q = ((const struct uscheme_req *)s->sqes)[head & s->hdr->sq_mask];
	cqt = s->hdr->cq_tail;
	c = (struct uscheme_cqe *)((char *)s->cqes + (size_t)(cqt & s->hdr->cq_mask) * s->cqe_size);
	c->user_data = q.tag;
	c->res = 0;
	c->flags = 0;
	__atomic_store_n(&s->hdr->sq_head, head + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&s->hdr->cq_tail, cqt + 1, __ATOMIC_RELEASE);
	if (!us_enter(s, 1, 0, 0, 0, NULL))
		a->answered = 1;
	return NULL;
}

int t_task_work_not_eintr(void)
{
	struct tw_arg a = { 0 };
	struct io_uring_sqe *usqe;
	struct io_uring_cqe *ucqe;
	struct uscheme_cqe *cqe;
	struct us_ring srv, cli;
	char name[40], path[48], byte;
	pthread_t t1, t2;
	struct io_uring ur;
	int p[2], ret;

	snprintf(name, sizeof(name), "rt-tw-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s:x", name);
	CHECK_EQ(us_scheme_init(&srv, name, 8, 0), 0);
	CHECK_EQ(us_ring_init(&cli, 8, 0, 0), 0);
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(io_uring_queue_init(4, &ur, 0), 0);
	usqe = io_uring_get_sqe(&ur);
	CHECK(usqe);
	io_uring_prep_read(usqe, p[0], &byte, 1, 0);
	CHECK_EQ(io_uring_submit(&ur), 1);	/* waits for data: poll armed */
	us_prep_open(us_get_sqe(&cli), path, O_RDONLY, 7);
	CHECK_EQ(us_submit(&cli), 1);
	a.pipe_w = p[1];
	a.srv = &srv;
	CHECK_EQ(pthread_create(&t1, NULL, tw_poke, &a), 0);
	CHECK_EQ(pthread_create(&t2, NULL, tw_daemon, &a), 0);
	/* The raw enter: no retry loop of libuscheme's around it. */
	ret = us_enter(&cli, 0, 1, USCHEME_ENTER_GETEVENTS, 0, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	CHECK_EQ(ret, 0);
	CHECK(a.answered);
	cqe = us_peek_cqe(&cli);
	CHECK(cqe);
	CHECK_EQ(cqe->user_data, 7);
	CHECK(cqe->res >= 0);
	close(cqe->res);
	us_cqe_seen(&cli);
	CHECK_EQ(io_uring_wait_cqe(&ur, &ucqe), 0);
	CHECK_EQ(ucqe->res, 1);
	io_uring_cqe_seen(&ur, ucqe);
	io_uring_queue_exit(&ur);
	close(p[0]);
	close(p[1]);
	us_ring_exit(&cli);
	us_ring_exit(&srv);
	return 0;
}

/*
 * The same task work during a blocking op on the syscall path (here the
 * ioctl open, as every handle syscall waits): the open goes on and gets
 * its fd. Then, with a daemon that never answers, task work first and a
 * signal after: the signal still ends the wait promptly, with EINTR.
 */
static void on_usr1(int sig)
{
	(void)sig;
}

struct tw_sig {
	struct tw_arg poke;
	pthread_t target;
};

static void *tw_poke_then_signal(void *p)
{
	struct tw_sig *a = p;

	tw_poke(&a->poke);
	usleep(300 * 1000);
	pthread_kill(a->target, SIGUSR1);
	return NULL;
}

int t_task_work_blocking_op(void)
{
	struct tw_arg a = { 0 };
	struct tw_sig sg = { 0 };
	struct io_uring_sqe *usqe;
	struct io_uring_cqe *ucqe;
	struct sigaction sa, old;
	struct us_ring srv;
	char name[40], path[48], byte;
	pthread_t t1, t2;
	struct io_uring ur;
	long long t0, took;
	int p[2], fd;

	snprintf(name, sizeof(name), "rt-twb-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s:x", name);
	CHECK_EQ(us_scheme_init(&srv, name, 8, 0), 0);
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(io_uring_queue_init(4, &ur, 0), 0);

	/* 1: task work at 100 ms, the answer at 400 ms: an fd, not EINTR */
	usqe = io_uring_get_sqe(&ur);
	CHECK(usqe);
	io_uring_prep_read(usqe, p[0], &byte, 1, 0);
	CHECK_EQ(io_uring_submit(&ur), 1);
	a.pipe_w = p[1];
	a.srv = &srv;
	CHECK_EQ(pthread_create(&t1, NULL, tw_poke, &a), 0);
	CHECK_EQ(pthread_create(&t2, NULL, tw_daemon, &a), 0);
	fd = us_open(path, O_RDONLY);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	CHECK(a.answered);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(io_uring_wait_cqe(&ur, &ucqe), 0);
	CHECK_EQ(ucqe->res, 1);
	io_uring_cqe_seen(&ur, ucqe);

	/* 2: no answer ever; task work at 100 ms, SIGUSR1 at 400 ms: EINTR */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;		/* no SA_RESTART */
	CHECK_EQ(sigaction(SIGUSR1, &sa, &old), 0);
	usqe = io_uring_get_sqe(&ur);
	CHECK(usqe);
	io_uring_prep_read(usqe, p[0], &byte, 1, 0);
	CHECK_EQ(io_uring_submit(&ur), 1);
	sg.target = pthread_self();
	sg.poke.pipe_w = p[1];
	CHECK_EQ(pthread_create(&t1, NULL, tw_poke_then_signal, &sg), 0);
	t0 = tap_now_ns();
	fd = us_open(path, O_RDONLY);
	took = tap_now_ns() - t0;
	pthread_join(t1, NULL);
	sigaction(SIGUSR1, &old, NULL);
	CHECK_EQ(fd, -EINTR);
	CHECK(took >= 300000000LL);		/* not ended by the task work */
	CHECK(took < 3000000000LL);		/* ended by the signal */
	CHECK_EQ(io_uring_wait_cqe(&ur, &ucqe), 0);
	CHECK_EQ(ucqe->res, 1);
	io_uring_cqe_seen(&ur, ucqe);

	io_uring_queue_exit(&ur);
	close(p[0]);
	close(p[1]);
	us_ring_exit(&srv);
	return 0;
}

int t_io_uring(void)
{
	unsigned char b[8][4096], w[3000];
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct daemon dm;
	struct logent e;
	uint32_t cur;
	int fd, i, seen = 0;

	dname(&dm, "uring");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	fd = d_open(&dm, "plain", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(io_uring_queue_init(16, &ring, 0), 0);
	cur = LOAD(&dm.shm->nlog);

	CHECK_EQ(uring_one(&ring, 1, fd, b[0], 4096, 100, 1), 4096);
	CHECK_EQ(check_pat(b[0], 100, 4096), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_READ);
	CHECK_EQ(e.rq.off, 100);
	CHECK_EQ(e.rq.len, 4096);
	CHECK_EQ(e.rq.pid, getpid());
	CHECK(e.zero);

	fill_bytes(w, sizeof(w), 9);
	CHECK_EQ(uring_one(&ring, 0, fd, w, sizeof(w), 200, 2), (int)sizeof(w));
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_WRITE);
	CHECK_EQ(e.rq.off, 200);
	CHECK_EQ(e.rq.len, sizeof(w));
	CHECK_EQ(e.crc, fnv(w, sizeof(w)));

	/* the file position (offset -1) */
	CHECK_EQ(lseek(fd, 555, SEEK_SET), 555);
	CHECK_EQ(uring_one(&ring, 1, fd, b[0], 10, (uint64_t)-1, 3), 10);
	CHECK_EQ(check_pat(b[0], 555, 10), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.off, 555);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 565);

	/* eight at once */
	for (i = 0; i < 8; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		CHECK(sqe);
		io_uring_prep_read(sqe, fd, b[i], 4096, (uint64_t)i * 1000);
		sqe->user_data = 100 + i;
	}
	CHECK_EQ(io_uring_submit(&ring), 8);
	for (i = 0; i < 8; i++) {
		int k;

		CHECK_EQ(io_uring_wait_cqe(&ring, &cqe), 0);
		k = (int)cqe->user_data - 100;
		CHECK(k >= 0 && k < 8);
		CHECK_EQ(cqe->res, 4096);
		CHECK_EQ(check_pat(b[k], (uint64_t)k * 1000, 4096), 0);
		seen |= 1 << k;
		io_uring_cqe_seen(&ring, cqe);
	}
	CHECK_EQ(seen, 0xff);
	io_uring_queue_exit(&ring);
	close(fd);
	return dstop(&dm);
}

#endif

