// SPDX-License-Identifier: MIT
/*
 * Family "fu": FILES_UPDATE batches (ADD/MOD/DEL, random events and flags,
 * 0, 1, USCHEME_FU_MAX, USCHEME_FU_MAX + 1 and huge entry counts) on a
 * client ring, while a second thread makes the watched fds ready (eventfd,
 * pipe and socket writes), closes them and dup2()s others over their
 * numbers, and sometimes the ring is closed with every watch alive.
 *
 * An array at a random address (one in 20) is whatever the scratch area
 * holds there: old arrays, read at any offset, with the res the kernel wrote
 * back for earlier misaligned arrays over their other fields. Its valid ADD
 * and MOD entries register user_data the fuzzer never made: one torn across
 * two old entries, or one whose bytes an earlier res overwrote (seen as
 * 0xf20000ffffffead9: -EINVAL, ea ff ff ff, over bytes 1..4 of an old
 * 0xf2000000000xxxd9). So once the kernel has consumed a FILES_UPDATE, the
 * entries it read are read back (fu_learn()): each ADD or MOD with res 0
 * registered the user_data it holds. That is exact because one FILES_UPDATE
 * at a time is in flight (the scratch area is not written while one waits)
 * and the kernel writes nothing of an entry but its own res.
 */
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sys/statfs.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"

#define USCHEME_FS_MAGIC	0x75736368	/* module/handle.c: "usch" */

struct closer {
	pthread_t thr;
	uint64_t seed;
	volatile int stop;
	int fds[32];	/* the numbers it may close or reuse: never the ring's */
	unsigned int nfds;
};

static void *closer_main(void *arg)
{
	struct closer *c = arg;
	struct fz_rng r = { c->seed };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!c->stop && c->nfds) {
		int fd = c->fds[rnd_below(&r, c->nfds)];
		uint64_t one = 1;

		switch (rnd_below(&r, 8)) {
		case 0:
			close(fd);	/* maybe watched, maybe in an entry being read */
			break;
		case 1:	/* another file under the same number */
			dup2(c->fds[rnd_below(&r, c->nfds)], fd);
			break;
		default: {	/* readiness: eventfd counter, pipe or socket data */
			struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
			struct statfs sf;

			/*
			 * Never block here: SIGALRM is blocked in this thread.
			 * Files on uscheme's own file system (handles) may wait
			 * for a daemon that never answers, even fstat(2) does;
			 * statfs(2) does not ask it. A full pipe, an empty one
			 * or an eventfd at 0 wait for a peer: poll first.
			 */
			if (fstatfs(fd, &sf) || sf.f_type == USCHEME_FS_MAGIC ||
			    poll(&p, 1, 0) != 1)
				break;
			if ((p.revents & POLLOUT) &&
			    write(fd, &one, sizeof(one)) < 0 && errno == EBADF)
				(void)0;
			if ((p.revents & POLLIN) && one_in(&r, 2)) {
				unsigned char b[64];

				if (read(fd, b, sizeof(b)) < 0)
					(void)0;
			}
		}
		}
		usleep(rnd_below(&r, 500));
	}
	return NULL;
}

/* The FILES_UPDATE in flight: its array and how many entries. */
struct fu_pending {
	int active;
	uint32_t tail;	/* sq_tail after it was queued */
	uint64_t addr;
	uint32_t len;
	unsigned int enters;	/* enters since it was queued */
};

/*
 * Once the kernel consumed @p's SQE (it applies a FILES_UPDATE as it
 * consumes it), tell the CQE checks which user_data its entries registered.
 * Entries outside the scratch area are not: the read-only page is zeros
 * (flags 0), the rest cannot be read.
 */
static void fu_learn(struct fz_ring *fr, struct fu_pending *p)
{
	uintptr_t lo = (uintptr_t)fz_scratch, hi = lo + FZ_SCRATCH;
	struct uscheme_fu_entry e;
	uint32_t i;

	if (!p->active || (int32_t)(LOAD(&fr->hdr->sq_head) - p->tail) < 0)
		return;
	p->active = 0;
	if (!p->len || p->len > USCHEME_FU_MAX)
		return;		/* -EINVAL: nothing read */
	for (i = 0; i < p->len; i++) {
		uint64_t a = p->addr + (uint64_t)i * sizeof(e);

		if (a < lo || a > hi - sizeof(e))
			continue;
		memcpy(&e, (const void *)(uintptr_t)a, sizeof(e));
		if (!e.res && (e.flags & (USCHEME_FU_ADD | USCHEME_FU_MOD)))
			ud_watch_read(e.user_data);
	}
}

void gen_fu(struct fz_run *run)
{
	struct fz_rng *r = &run->rng;
	uint64_t start = LOAD(&fz->ops[FAM_FU]);
	struct fu_pending pend = { 0 };
	struct closer c;
	struct fz_ring fr;
	unsigned int i;
	int threaded;

	for (i = 0; i < 12; i++)
		pool_make(r, FAM_FU);
	if (fz_ring_setup(&fr, r, FAM_FU))
		return;
	memset(&c, 0, sizeof(c));
	c.seed = fz_mix(r->s, 5);
	for (i = 0; i < fz_npool && c.nfds < 32; i++)
		if (fz_pool[i].fd != fr.fd)
			c.fds[c.nfds++] = fz_pool[i].fd;
	threaded = one_in(r, 3) ? 0 : !pthread_create(&c.thr, NULL, closer_main, &c);
	while (fz_run_more(run, FAM_FU, start)) {
		struct uscheme_fu_entry *e;
		struct uscheme_sqe sqe;
		uint32_t n, k;

		if (pend.active) {
			/*
			 * Not consumed yet (an odd enter): its array stays as
			 * it is. An enter after a reap consumes it, unless the
			 * ring's fd is gone (pool_add() closes a pool fd, the
			 * ring's too, when the pool is full): then this ring is
			 * done.
			 */
			if (++pend.enters > 64)
				break;
			fz_ring_enter(&fr, r, FAM_FU, one_in(r, 2));
			fu_learn(&fr, &pend);
			fz_ring_reap(&fr, FAM_FU);
			continue;
		}
		switch (rnd_below(r, 10)) {
		case 0:
			n = 0;
			break;
		case 1:
			n = USCHEME_FU_MAX + rnd_below(r, 2);
			break;
		case 2:
			n = rnd_len(r);
			break;
		default:
			n = 1 + rnd_below(r, 16);
		}
		k = n < USCHEME_FU_MAX + 1 ? n : USCHEME_FU_MAX + 1;
		e = scratch_at(r, (size_t)k * sizeof(*e));
		for (i = 0; i < k; i++) {
			memset(&e[i], 0, sizeof(e[i]));
			e[i].fd = one_in(r, 10) ? rnd_fd(r) :
				  (fz_npool ? fz_pool[rnd_below(r, fz_npool)].fd : -1);
			if (one_in(r, 30))
				e[i].fd = fr.fd;	/* the ring itself: -EINVAL */
			e[i].flags = 1U << rnd_below(r, 3);
			if (one_in(r, 3))
				e[i].flags |= USCHEME_FU_ONESHOT;
			if (one_in(r, 20))
				e[i].flags = (uint32_t)rnd(r);
			e[i].events = e[i].flags & USCHEME_FU_DEL ? 0 : 1 + rnd_below(r, 5);
			if (one_in(r, 20))
				e[i].events = (uint32_t)rnd(r);
			if (one_in(r, 40))
				e[i].resv = rnd(r);
			e[i].user_data = ud_new(0, UD_WATCH);
		}
		memset(&sqe, 0, sizeof(sqe));
		sqe.opcode = USCHEME_OP_FILES_UPDATE;
		sqe.addr = one_in(r, 20) ? rnd_ptr(r, 32) : (uintptr_t)e;
		sqe.len = n;
		sqe.user_data = ud_new(USCHEME_OP_FILES_UPDATE, UD_INFLIGHT);
		if (!fz_ring_push(&fr, &sqe)) {
			fz_op(FAM_FU);
			pend.active = 1;
			pend.tail = fr.sq_tail;
			pend.addr = sqe.addr;
			pend.len = n;
			pend.enters = 0;
		}
		fz_ring_enter(&fr, r, FAM_FU, one_in(r, 2));
		fu_learn(&fr, &pend);	/* before the reap checks its events */
		fz_ring_reap(&fr, FAM_FU);
		for (i = 0; i < k && i < 64; i++)	/* the kernel wrote res back */
			fz_check_res(FAM_FU, e[i].res, "FILES_UPDATE entry res");
		if (one_in(r, 8))
			pool_make(r, FAM_FU);
		if (!threaded && one_in(r, 6))
			pool_close_one(r, fr.fd);
		if (one_in(r, 200))
			break;	/* close the ring with its watches */
	}
	c.stop = 1;
	if (threaded)
		pthread_join(c.thr, NULL);
	fz_ring_close(&fr);
}
