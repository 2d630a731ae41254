// SPDX-License-Identifier: MIT
/*
 * The events suite (events.h): POLLFREE: a signalfd's queue freed while a
 * DEL or a ring close races the wake callback.
 */
#include "events.h"

static int32_t fu_shared(struct us_ring *r, int fd, uint32_t events, uint32_t flags,
			 uint64_t ud)
{
	struct uscheme_ring_hdr *h = r->hdr;
	const struct uscheme_cqe *cq = r->cqes;
	long long end = deadline(SLOW_MS);
	struct uscheme_fu_entry e;
	struct uscheme_enter en;
	uint32_t tail = LOAD(&h->sq_tail), head;

	us_fu_entry(&e, fd, events, flags, ud);
	e.res = 0x5a5a;
	us_prep_files_update(&r->sqes[tail & h->sq_mask], &e, 1, UD_FU);
	STORE(&h->sq_tail, tail + 1);
	memset(&en, 0, sizeof(en));
	en.to_submit = 1;
	for (;;) {
		en.min_complete = 1;
		en.flags = USCHEME_ENTER_GETEVENTS;
		if (ioctl(r->fd, USCHEME_IOC_ENTER, &en) && errno != EINTR)
			return -10000 - errno;
		en.to_submit = 0;
		head = LOAD(&h->cq_head);
		while (head != LOAD(&h->cq_tail)) {
			const struct uscheme_cqe *c = &cq[head & h->cq_mask];
			int found = c->user_data == UD_FU && !(c->flags & USCHEME_CQE_F_EVENT);

			STORE(&h->cq_head, ++head);
			if (found)
				return e.res;
		}
		if (tap_now_ns() > end)
			return -20000;
	}
}

/*
 * POLLFREE: a signalfd polls on the signal handlers of the process that
 * polls it; they are freed (after a POLLFREE wakeup) when that process is
 * reaped, while the file and the watch live on. Each round a child that
 * shares our ring (not its handlers) watches a signalfd of its own on it
 * and exits; our reaping of the child (the POLLFREE wake callback) races
 * a DEL of the watch or the ring's close. KASAN (debug kernel) or
 * slub_debug poisoning sees a callback touching a freed watch or ring.
 */
#define PF_ROUNDS	300

struct pf_race {
	pid_t pid;
	int go;
	int status;
};

static void *pf_reaper(void *p)
{
	struct pf_race *r = p;

	while (!LOAD(&r->go))
		;
	r->status = waitpid(r->pid, NULL, 0) == r->pid ? 0 : -errno;
	return NULL;
}

/* A child watches a signalfd of its own on r (fd number *fd) and exits. */
static int pf_child(struct us_ring *r, pid_t *pid, int *fd)
{
	int p[2], got[2] = { -1, -1 };

	if (pipe(p))
		return -errno;
	*pid = fork_child();
	if (*pid < 0)
		return -errno;
	if (*pid == 0) {
		sigset_t m;

		sigemptyset(&m);
		sigaddset(&m, SIGUSR2);
		got[0] = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
		got[1] = got[0] < 0 ? -1 : fu_shared(r, got[0], EVR, FU_ADD, 40000);
		if (write(p[1], got, sizeof(got)) != sizeof(got))
			_exit(1);
		_exit(0);	/* a zombie: its handlers live until we reap it */
	}
	if (read(p[0], got, sizeof(got)) != sizeof(got))
		got[0] = -1;
	close(p[0]);
	close(p[1]);
	if (got[0] < 0 || got[1]) {
		fprintf(stderr, "  child: signalfd %d, ADD %d\n", got[0], got[1]);
		waitpid(*pid, NULL, 0);
		return -1;
	}
	*fd = got[0];
	return 0;
}

static int pf_round(struct us_ring *r, int round, int close_ring)
{
	struct pf_race pr;
	pthread_t th;
	int fd;

	memset(&pr, 0, sizeof(pr));
	if (close_ring)
		CHECK_EQ(us_ring_init(r, 8, 0, 0), 0);
	CHECK_EQ(pf_child(r, &pr.pid, &fd), 0);
	usleep(1000);	/* let it become a zombie: its fds closed, handlers not freed */
	CHECK_EQ(pthread_create(&th, NULL, pf_reaper, &pr), 0);
	if (round % 3 == 1)
		usleep((unsigned int)(round % 20));
	STORE(&pr.go, 1);
	if (round & 1)
		usleep((unsigned int)(round % 7));
	if (close_ring)
		us_ring_exit(r);
	else
		CHECK_EQ(fu_shared(r, fd, 0, FU_DEL, 0), 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(pr.status, 0);
	return 0;
}

int t_race_pollfree(void)
{
	struct us_ring r;
	int round, fd;
	pid_t pid;

	/* Mapped without MADV_DONTFORK: the children submit on it. */
	CHECK_EQ(us_ring_init(&r, 8, 0, 0), 0);
	g_where = "race_pollfree: DEL vs reaping";
	for (round = 0; round < PF_ROUNDS; round++) {
		g_round = round;
		CHECK_EQ(pf_round(&r, round, 0), 0);
	}
	/* After a POLLFREE the watch stays (unhooked) until DEL: it still DELs. */
	CHECK_EQ(pf_child(&r, &pid, &fd), 0);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
	CHECK_EQ(fu_shared(&r, fd, 0, FU_DEL, 0), 0);
	CHECK_EQ(fu_shared(&r, fd, 0, FU_DEL, 0), -ENOENT);
	us_ring_exit(&r);
	g_where = "race_pollfree: ring close vs reaping";
	for (round = 0; round < PF_ROUNDS; round++) {
		g_round = round;
		CHECK_EQ(pf_round(&r, round, 1), 0);
	}
	return 0;
}

