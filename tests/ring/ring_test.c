// SPDX-License-Identifier: MIT
/*
 * Ring core, from userspace, on a loaded uscheme.ko: setup and mmap
 * validation, enter arguments, NOP round trips, SQ/CQ limits, hostile
 * shared memory, threads, fork, close and signals while waiting.
 *
 * Usage: ring_test [name-substring]
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../../userspace-drivers/libuscheme/libuscheme.h"
#include "../lib/tap.h"

static int open_dev(void)
{
	return open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
}

static int setup(int fd, struct uscheme_params *p)
{
	return ioctl(fd, USCHEME_IOC_SETUP, p) < 0 ? -errno : 0;
}

static int setup_sizes(unsigned int sq, unsigned int cq, unsigned int flags)
{
	struct uscheme_params p = { .sq_entries = sq, .cq_entries = cq, .flags = flags };
	int fd = open_dev(), ret;

	if (fd < 0)
		return -1000;
	ret = setup(fd, &p);
	close(fd);
	return ret;
}

static int enter_raw(int fd, struct uscheme_enter *e)
{
	return ioctl(fd, USCHEME_IOC_ENTER, e) < 0 ? -errno : 0;
}

static long live_rings(void)
{
	char buf[32] = "";
	int fd = open("/sys/class/misc/uscheme/rings", O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	return n > 0 ? strtol(buf, NULL, 10) : -1;
}

/* Submit n NOPs (user_data base..base+n-1) and check their n CQEs in order. */
static int nop_round(struct us_ring *r, unsigned int n, uint64_t base)
{
	unsigned int i;
	int ret;

	for (i = 0; i < n; i++) {
		struct uscheme_sqe *sqe = us_get_sqe(r);

		CHECK(sqe);
		us_prep_nop(sqe, base + i);
	}
	ret = us_submit_and_wait(r, n);
	CHECK_EQ(ret, n);
	CHECK_EQ(us_cq_ready(r), n);
	for (i = 0; i < n; i++) {
		struct uscheme_cqe *cqe = us_peek_cqe(r);

		CHECK(cqe);
		CHECK_EQ(cqe->user_data, base + i);
		CHECK_EQ(cqe->res, 0);
		CHECK_EQ(cqe->flags, 0);
		us_cqe_seen(r);
	}
	CHECK(!us_peek_cqe(r));
	return 0;
}

static int t_features(void)
{
	struct us_ring r;
	uint64_t f = 0;

	CHECK_EQ(us_features(&f), 0);
	CHECK(f & USCHEME_FEAT_NOP);
	CHECK(f & USCHEME_FEAT_CQE32);
	CHECK(f & USCHEME_FEAT_SCHEME);
	CHECK_EQ(us_ring_init(&r, 4, 0, 0), 0);
	CHECK_EQ(r.features, f);
	CHECK_EQ(r.cq_entries, 8);
	CHECK_EQ(r.cqe_size, 16);
	us_ring_exit(&r);
	return 0;
}

static int t_setup_bad_params(void)
{
	struct uscheme_params p;
	int fd;

	CHECK_EQ(setup_sizes(0, 0, 0), -EINVAL);
	CHECK_EQ(setup_sizes(3, 0, 0), -EINVAL);
	CHECK_EQ(setup_sizes(6, 0, 0), -EINVAL);
	CHECK_EQ(setup_sizes(USCHEME_MAX_SQ_ENTRIES * 2, 0, 0), -EINVAL);
	CHECK_EQ(setup_sizes(1U << 31, 0, 0), -EINVAL);
	CHECK_EQ(setup_sizes(0xffffffffU, 0, 0), -EINVAL);
	CHECK_EQ(setup_sizes(8, 4, 0), -EINVAL);	/* CQ smaller than SQ */
	CHECK_EQ(setup_sizes(8, 12, 0), -EINVAL);	/* not a power of two */
	CHECK_EQ(setup_sizes(8, USCHEME_MAX_CQ_ENTRIES * 2, 0), -EINVAL);
	CHECK_EQ(setup_sizes(8, 0, 1U << 7), -EINVAL);	/* unknown flag */
	CHECK_EQ(setup_sizes(8, 0, USCHEME_SETUP_SCHEME), 0);
	CHECK_EQ(setup_sizes(1, 1, 0), 0);
	CHECK_EQ(setup_sizes(USCHEME_MAX_SQ_ENTRIES, USCHEME_MAX_CQ_ENTRIES, 0), 0);

	fd = open_dev();
	CHECK(fd >= 0);
	memset(&p, 0, sizeof(p));
	p.sq_entries = 8;
	p.resv[1] = 1;
	CHECK_EQ(setup(fd, &p), -EINVAL);
	CHECK(ioctl(fd, USCHEME_IOC_SETUP, NULL) < 0 && errno == EFAULT);
	CHECK(ioctl(fd, USCHEME_IOC_SETUP, (void *)8) < 0 && errno == EFAULT);
	/* A failed setup leaves the open usable; a second setup is refused. */
	p.resv[1] = 0;
	p.features = ~0ULL;	/* output fields are ignored on input */
	CHECK_EQ(setup(fd, &p), 0);
	CHECK_EQ(p.cq_entries, 16);
	CHECK_EQ(setup(fd, &p), -EBUSY);
	CHECK(ioctl(fd, _IO(USCHEME_IOC_MAGIC, 0x7f)) < 0 && errno == ENOTTY);
	close(fd);
	return 0;
}

static int t_before_setup(void)
{
	struct uscheme_enter e = { 0 };
	struct uscheme_stats st;
	int fd = open_dev();
	void *m;

	CHECK(fd >= 0);
	CHECK_EQ(enter_raw(fd, &e), -EBADFD);
	CHECK(ioctl(fd, USCHEME_IOC_STATS, &st) < 0 && errno == EBADFD);
	m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, USCHEME_OFF_RING);
	CHECK(m == MAP_FAILED && errno == EBADFD);
	close(fd);
	return 0;
}

static int t_mmap_rules(void)
{
	struct uscheme_params p = { .sq_entries = 4096 };
	int fd = open_dev();
	long pg = sysconf(_SC_PAGESIZE);
	void *m;

	CHECK(fd >= 0);
	CHECK_EQ(setup(fd, &p), 0);
	CHECK_EQ(p.sqes_size, 4096 * 64);

	/* unknown offset, offset inside a region, too long */
	m = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, 0x30000000);
	CHECK(m == MAP_FAILED && errno == EINVAL);
	m = mmap(NULL, pg, PROT_READ, MAP_SHARED, fd, USCHEME_OFF_SQES + pg);
	CHECK(m == MAP_FAILED && errno == EINVAL);
	m = mmap(NULL, p.sqes_size + pg, PROT_READ, MAP_SHARED, fd, USCHEME_OFF_SQES);
	CHECK(m == MAP_FAILED && errno == EINVAL);
	m = mmap(NULL, p.ring_size + pg, PROT_READ, MAP_SHARED, fd, USCHEME_OFF_RING);
	CHECK(m == MAP_FAILED && errno == EINVAL);
	/* private (copy-on-write) mappings would be invisible to the kernel */
	m = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, USCHEME_OFF_RING);
	CHECK(m == MAP_FAILED && errno == EINVAL);
	/* never executable */
	m = mmap(NULL, pg, PROT_READ | PROT_EXEC, MAP_SHARED, fd, USCHEME_OFF_RING);
	CHECK(m == MAP_FAILED && errno == EPERM);
	/* the CQE array is the kernel's to write */
	m = mmap(NULL, p.cqes_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, USCHEME_OFF_CQES);
	CHECK(m == MAP_FAILED && errno == EPERM);
	m = mmap(NULL, p.cqes_size, PROT_READ, MAP_SHARED, fd, USCHEME_OFF_CQES);
	CHECK(m != MAP_FAILED);
	CHECK(mprotect(m, p.cqes_size, PROT_READ | PROT_WRITE) < 0 && errno == EACCES);
	CHECK(mprotect(m, p.cqes_size, PROT_READ | PROT_EXEC) < 0 && errno == EACCES);
	munmap(m, p.cqes_size);
	/* a prefix is fine; growing it later is not */
	m = mmap(NULL, pg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, USCHEME_OFF_SQES);
	CHECK(m != MAP_FAILED);
	CHECK(mremap(m, pg, 2 * pg, MREMAP_MAYMOVE) == MAP_FAILED);
	CHECK(mprotect(m, pg, PROT_READ | PROT_WRITE | PROT_EXEC) < 0 && errno == EACCES);
	munmap(m, pg);
	close(fd);
	return 0;
}

static int t_enter_garbage(void)
{
	struct uscheme_enter e;
	struct us_ring r;
	unsigned int i;

	CHECK_EQ(us_ring_init(&r, 8, 0, 0), 0);
	memset(&e, 0, sizeof(e));
	CHECK_EQ(enter_raw(r.fd, &e), 0);	/* nothing to do */
	e.flags = 1U << 9;
	CHECK_EQ(enter_raw(r.fd, &e), -EINVAL);
	e.flags = 0;
	e.resv0 = 1;
	CHECK_EQ(enter_raw(r.fd, &e), -EINVAL);
	e.resv0 = 0;
	e.resv[1] = 5;
	CHECK_EQ(enter_raw(r.fd, &e), -EINVAL);
	e.resv[1] = 0;
	e.flags = USCHEME_ENTER_GETEVENTS;
	e.min_complete = r.cq_entries + 1;
	CHECK_EQ(enter_raw(r.fd, &e), -EINVAL);
	e.min_complete = 0;
	e.flags = USCHEME_ENTER_TIMEOUT;	/* timeout without waiting */
	CHECK_EQ(enter_raw(r.fd, &e), -EINVAL);
	e.flags = USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT;
	e.min_complete = 1;
	e.timeout_ns = -1;
	CHECK_EQ(enter_raw(r.fd, &e), -EINVAL);
	e.timeout_ns = 0;
	CHECK_EQ(enter_raw(r.fd, &e), -ETIME);
	e.min_complete = 0;
	CHECK_EQ(enter_raw(r.fd, &e), 0);
	CHECK(ioctl(r.fd, USCHEME_IOC_ENTER, NULL) < 0 && errno == EFAULT);
	CHECK(ioctl(r.fd, USCHEME_IOC_ENTER, (void *)-4096L) < 0 && errno == EFAULT);

	/* Random argument blocks: only documented errors, never a hang. */
	srand(1);
	for (i = 0; i < 2000; i++) {
		unsigned char *b = (unsigned char *)&e;
		size_t k;
		int ret;

		for (k = 0; k < sizeof(e); k++)
			b[k] = (unsigned char)rand();
		if (rand() % 2) {
			e.resv0 = 0;
			memset(e.resv, 0, sizeof(e.resv));
		}
		if (rand() % 2)
			e.flags &= USCHEME_ENTER_FLAGS;
		if (e.flags & USCHEME_ENTER_GETEVENTS) {
			e.flags |= USCHEME_ENTER_TIMEOUT;	/* bounded waits only */
			e.timeout_ns = rand() % 100000;
		}
		ret = enter_raw(r.fd, &e);
		CHECK(ret == 0 || ret == -EINVAL || ret == -ETIME || ret == -EBUSY);
	}
	CHECK(nop_round(&r, 8, 1) == 0);
	us_ring_exit(&r);
	return 0;
}

static int t_nop_depths(void)
{
	unsigned int depth;

	for (depth = 1; depth <= USCHEME_MAX_SQ_ENTRIES; depth *= 2) {
		unsigned int rounds = depth >= 1024 ? 3 : 3 * 2048 / depth, i;
		struct uscheme_stats st;
		struct us_ring r;

		CHECK_EQ(us_ring_init(&r, depth, 0, 0), 0);
		for (i = 0; i < rounds; i++)
			if (nop_round(&r, depth, (uint64_t)i * depth + 0x1000000000ULL))
				return -1;
		CHECK_EQ(us_ring_stats(&r, &st), 0);
		CHECK_EQ(st.submitted, (uint64_t)rounds * depth);
		CHECK_EQ(st.completed, (uint64_t)rounds * depth);
		CHECK_EQ(st.rejected, 0);
		CHECK_EQ(st.overflow, 0);
		CHECK_EQ(st.lost, 0);
		us_ring_exit(&r);
	}
	return 0;
}

static int t_cqe32(void)
{
	struct uscheme_cqe32 *big;
	struct us_ring r;

	CHECK_EQ(us_ring_init(&r, 2, 0, USCHEME_SETUP_CQE32), 0);
	CHECK_EQ(r.cqe_size, 32);
	CHECK(nop_round(&r, 2, 7) == 0);
	big = (struct uscheme_cqe32 *)r.cqes;
	CHECK_EQ(big[1].cqe.user_data, 8);
	CHECK_EQ(big[1].big[0], 0);
	CHECK_EQ(big[1].big[1], 0);
	CHECK(nop_round(&r, 2, 9) == 0);
	us_ring_exit(&r);
	return 0;
}

/* Every validation rule, through the ring: the error lands in that entry's CQE. */
static int t_sqe_validation(void)
{
	struct uscheme_stats st;
	struct uscheme_sqe *sqe;
	struct uscheme_cqe *cqe;
	struct us_ring r;
	unsigned int i, rejected = 0;
	int op;

	CHECK_EQ(us_ring_init(&r, 16, 0, 0), 0);
	for (i = 0; i < 12; i++) {
		sqe = us_get_sqe(&r);
		CHECK(sqe);
		us_prep_nop(sqe, 100 + i);
		switch (i) {
		case 0: sqe->flags = 1; break;
		case 1: sqe->ioprio = 1; break;
		case 2: sqe->fd = 3; break;
		case 3: sqe->off = 1; break;
		case 4: sqe->addr = 0x1000; break;
		case 5: sqe->len = 1; break;
		case 6: sqe->op_flags = 1; break;
		case 7: sqe->addr2 = 1; break;
		case 8: sqe->len2 = 1; break;
		case 9: sqe->resv0 = 1; break;
		case 10: sqe->resv1 = 1ULL << 63; break;
		case 11: sqe->opcode = USCHEME_OP_LAST; break;
		}
		rejected++;
	}
	sqe = us_get_sqe(&r);
	sqe->opcode = 255;
	sqe->user_data = 200;
	rejected++;
	sqe = us_get_sqe(&r);
	us_prep_nop(sqe, 201);	/* a good one in between still works */
	CHECK_EQ(us_submit_and_wait(&r, 14), 14);
	for (i = 0; i < 14; i++) {
		cqe = us_peek_cqe(&r);
		CHECK(cqe);
		if (i < 12)
			CHECK_EQ(cqe->user_data, 100 + i);
		CHECK_EQ(cqe->res, i == 13 ? 0 : -EINVAL);
		us_cqe_seen(&r);
	}
	/*
	 * FILES_UPDATE without entries (a bad argument: -EINVAL, not counted)
	 * and SEND_EVENT (a response flag, never an SQE: malformed, counted
	 * as rejected).
	 */
	for (op = USCHEME_OP_FILES_UPDATE; op < USCHEME_OP_LAST; op++) {
		if (op == USCHEME_OP_CANCEL)
			continue;
		if (op != USCHEME_OP_FILES_UPDATE)
			rejected++;
		sqe = us_get_sqe(&r);
		CHECK(sqe);
		sqe->opcode = op;
		sqe->user_data = op;
		CHECK_EQ(us_submit_and_wait(&r, 1), 1);
		cqe = us_peek_cqe(&r);
		CHECK(cqe);
		CHECK_EQ(cqe->user_data, op);
		CHECK_EQ(cqe->res, -EINVAL);
		us_cqe_seen(&r);
	}
	CHECK_EQ(us_ring_stats(&r, &st), 0);
	CHECK_EQ(st.rejected, rejected);
	CHECK_EQ(st.submitted, 14 + 2);
	CHECK_EQ(st.completed, st.submitted);
	us_ring_exit(&r);
	return 0;
}

static int t_full_sq(void)
{
	struct uscheme_sqe *sqe;
	struct us_ring r;
	unsigned int i;

	CHECK_EQ(us_ring_init(&r, 8, 0, 0), 0);
	for (i = 0; i < 8; i++) {
		sqe = us_get_sqe(&r);
		CHECK(sqe);
		us_prep_nop(sqe, i);
	}
	CHECK(!us_get_sqe(&r));
	CHECK_EQ(us_sq_pending(&r), 8);
	/* submit part of the published entries */
	__atomic_store_n(&r.hdr->sq_tail, r.sq_tail, __ATOMIC_RELEASE);
	r.sq_flushed = r.sq_tail;
	CHECK_EQ(us_enter(&r, 3, 0, 0, 0, &i), 0);
	CHECK_EQ(i, 3);
	CHECK_EQ(us_sq_pending(&r), 5);
	sqe = us_get_sqe(&r);	/* room again */
	CHECK(sqe);
	us_prep_nop(sqe, 8);
	CHECK_EQ(us_submit_and_wait(&r, 9), 6);
	for (i = 0; i < 9; i++) {
		CHECK_EQ(us_peek_cqe(&r)->user_data, i);
		us_cqe_seen(&r);
	}
	us_ring_exit(&r);
	return 0;
}

/* A full CQ refuses submission (-EBUSY) instead of losing completions. */
static int t_full_cq(void)
{
	struct uscheme_stats st;
	struct us_ring r;
	unsigned int i, n, next = 0, got = 0;

	CHECK_EQ(us_ring_init(&r, 8, 8, 0), 0);
	for (i = 0; i < 8; i++)
		us_prep_nop(us_get_sqe(&r), next++);
	CHECK_EQ(us_submit(&r), 8);
	CHECK_EQ(us_cq_ready(&r), 8);
	for (i = 0; i < 8; i++)
		us_prep_nop(us_get_sqe(&r), next++);
	CHECK_EQ(us_submit(&r), -EBUSY);
	CHECK_EQ(us_sq_pending(&r), 8);	/* nothing consumed */
	for (i = 0; i < 3; i++) {
		CHECK_EQ(us_peek_cqe(&r)->user_data, got++);
		us_cqe_seen(&r);
	}
	CHECK_EQ(us_enter(&r, 8, 0, 0, 0, &n), 0);
	CHECK_EQ(n, 3);			/* exactly the room there was */
	/* Reap one, then the freed slot admits exactly one more. */
	while (got < next) {
		struct uscheme_cqe *cqe = us_peek_cqe(&r);

		CHECK(cqe);
		CHECK_EQ(cqe->user_data, got++);
		CHECK_EQ(cqe->res, 0);
		us_cqe_seen(&r);
		if (us_sq_pending(&r))
			CHECK_EQ(us_submit(&r), 1);
	}
	CHECK(!us_peek_cqe(&r));
	CHECK_EQ(us_ring_stats(&r, &st), 0);
	CHECK_EQ(st.busy, 1);
	CHECK_EQ(st.submitted, 16);
	CHECK_EQ(st.completed, 16);
	CHECK_EQ(st.overflow, 0);
	us_ring_exit(&r);
	return 0;
}

static int t_timeouts(void)
{
	struct us_ring r;
	struct uscheme_cqe *cqe;
	long long t0;

	CHECK_EQ(us_ring_init(&r, 4, 0, 0), 0);
	t0 = tap_now_ns();
	CHECK_EQ(us_wait_cqe(&r, &cqe, 20 * 1000 * 1000), -ETIME);
	CHECK(tap_now_ns() - t0 >= 20 * 1000 * 1000);
	CHECK_EQ(us_wait_cqe(&r, &cqe, 0), -ETIME);
	CHECK_EQ(us_enter(&r, 0, 0, USCHEME_ENTER_GETEVENTS, 0, NULL), 0);
	us_ring_exit(&r);
	return 0;
}

/*
 * A hostile process: random values over every writable shared byte (ring
 * header, SQEs), interleaved with random enters. The kernel must answer
 * with errors and CQEs, never crash or hang; other rings keep working.
 */
static int t_scribbler(void)
{
	struct uscheme_stats st;
	struct us_ring r, good;
	unsigned int i;

	CHECK_EQ(us_ring_init(&r, 16, 32, 0), 0);
	srand(42);
	for (i = 0; i < 5000; i++) {
		uint32_t *hdr = (uint32_t *)r.hdr;
		unsigned char *sq = (unsigned char *)r.sqes;
		struct uscheme_enter e = { 0 };
		int k, ret;

		for (k = 0; k < 4; k++)
			hdr[rand() % (sizeof(*r.hdr) / 4)] = (uint32_t)rand() * 2654435761U;
		for (k = 0; k < 16; k++)
			sq[rand() % (16 * 64)] = (unsigned char)rand();
		if (rand() % 4 == 0)
			r.hdr->sq_tail = r.hdr->sq_head + rand() % 20;	/* plausible */
		if (rand() % 4 == 0)
			r.hdr->cq_head = r.hdr->cq_tail - rand() % 40;
		e.to_submit = rand() % 3 ? (uint32_t)(rand() % 40) : (uint32_t)rand();
		if (rand() % 2) {
			e.flags = USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT;
			e.min_complete = rand() % 33;
			e.timeout_ns = rand() % 200000;
		}
		ret = enter_raw(r.fd, &e);
		CHECK(ret == 0 || ret == -EBUSY || ret == -ETIME);
	}
	CHECK_EQ(us_ring_stats(&r, &st), 0);
	CHECK(st.submitted > 0);
	CHECK(st.rejected > 0);
	/* Each consumed SQE was completed or parked; none vanished. */
	CHECK(st.completed <= st.submitted);
	CHECK(st.completed + st.overflow >= st.submitted);
	us_ring_exit(&r);

	CHECK_EQ(us_ring_init(&good, 8, 0, 0), 0);
	CHECK(nop_round(&good, 8, 1) == 0);
	us_ring_exit(&good);
	return 0;
}

struct two_threads {
	struct us_ring *r;
	unsigned int total;
	unsigned char *seen;
	int err;
};

static void *reaper(void *arg)
{
	struct two_threads *tt = arg;
	unsigned int got = 0;

	while (got < tt->total) {
		struct uscheme_cqe *cqe;
		int ret = us_wait_cqe(tt->r, &cqe, 30LL * 1000 * 1000 * 1000);

		if (ret) {
			fprintf(stderr, "  reaper: wait %d after %u\n", ret, got);
			__atomic_store_n(&tt->err, 1, __ATOMIC_RELEASE);
			return NULL;
		}
		if (cqe->user_data >= tt->total || cqe->res != 0 ||
		    tt->seen[cqe->user_data]++) {
			fprintf(stderr, "  reaper: bad CQE %llu res %d\n",
				(unsigned long long)cqe->user_data, cqe->res);
			tt->err = 1;
		}
		us_cqe_seen(tt->r);
		got++;
	}
	return NULL;
}

/*
 * One thread submits, another waits and reaps: both in the kernel at once.
 * Every wait that returns must show a CQE (us_wait_cqe reports -EAGAIN when
 * the kernel said "ready" but the CQ looked empty: the ordering bug this
 * test once caught took about 2M round trips to show, hence the rounds).
 */
static int two_threads_round(void)
{
	struct two_threads tt = { .total = 50000 };
	struct us_ring r;
	pthread_t th;
	unsigned int next = 0, i;

	CHECK_EQ(us_ring_init(&r, 16, 32, 0), 0);
	tt.r = &r;
	tt.seen = calloc(tt.total, 1);
	CHECK(tt.seen);
	CHECK_EQ(pthread_create(&th, NULL, reaper, &tt), 0);
	/* Stop feeding a reaper that gave up: the CQ would stay full forever. */
	while ((next < tt.total || us_sq_pending(&r)) &&
	       !__atomic_load_n(&tt.err, __ATOMIC_ACQUIRE)) {
		struct uscheme_sqe *sqe;
		int ret;

		while (next < tt.total && (sqe = us_get_sqe(&r)))
			us_prep_nop(sqe, next++);
		ret = us_submit(&r);
		if (ret == -EBUSY)
			sched_yield();
		else
			CHECK(ret >= 0);
	}
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(tt.err, 0);
	for (i = 0; i < tt.total; i++)
		CHECK_EQ(tt.seen[i], 1);
	free(tt.seen);
	us_ring_exit(&r);
	return 0;
}

static int t_two_threads(void)
{
	int round;

	for (round = 0; round < 20; round++)
		if (two_threads_round())
			return -1;
	return 0;
}

/* A forked child shares the ring; it outlives the parent's descriptor. */
static int t_fork(void)
{
	long base = live_rings();
	struct us_ring r;
	int status, go[2];
	pid_t pid;
	char c = 0;

	CHECK(base >= 0);
	CHECK_EQ(pipe(go), 0);
	CHECK_EQ(us_ring_init(&r, 8, 0, 0), 0);
	CHECK_EQ(live_rings(), base + 1);
	CHECK(nop_round(&r, 4, 1) == 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* Start only once the parent has dropped its copy. */
		if (read(go[0], &c, 1) != 1)
			_exit(2);
		_exit(nop_round(&r, 8, 100) || nop_round(&r, 8, 200) ? 1 : 0);
	}
	us_ring_exit(&r);
	CHECK_EQ(live_rings(), base + 1);	/* the child keeps it alive */
	CHECK_EQ(write(go[1], &c, 1), 1);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHECK_EQ(live_rings(), base);
	return 0;
}

/* Until the ring's waits counter reaches n: a waiter is inside enter. */
static int wait_for_waiter(struct us_ring *r, uint64_t n)
{
	struct uscheme_stats st;
	int i;

	for (i = 0; i < 5000; i++) {
		if (us_ring_stats(r, &st))
			return -1;
		if (st.waits >= n)
			return 0;
		usleep(1000);
	}
	fprintf(stderr, "  the waiter never entered the kernel\n");
	return -1;
}

struct waiter {
	struct us_ring *r;
	int64_t timeout_ns;
	int ret;
};

static void *wait_thread(void *arg)
{
	struct waiter *w = arg;
	unsigned int flags = USCHEME_ENTER_GETEVENTS;

	if (w->timeout_ns >= 0)
		flags |= USCHEME_ENTER_TIMEOUT;
	w->ret = us_enter(w->r, 0, 1, flags, w->timeout_ns < 0 ? 0 : w->timeout_ns, NULL);
	return NULL;
}

/*
 * close() while another thread waits on the ring: the waiter holds its own
 * reference, so it finishes normally (here: its timeout), and the ring is
 * freed once that reference and the mappings are gone.
 */
static int t_close_while_waiting(void)
{
	long base = live_rings();
	struct waiter w = { .timeout_ns = 300LL * 1000 * 1000 };
	struct us_ring r;
	pthread_t th;
	long long t0;

	CHECK_EQ(us_ring_init(&r, 4, 0, 0), 0);
	w.r = &r;
	t0 = tap_now_ns();
	CHECK_EQ(pthread_create(&th, NULL, wait_thread, &w), 0);
	CHECK_EQ(wait_for_waiter(&r, 1), 0);
	CHECK_EQ(close(r.fd), 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(w.ret, -ETIME);
	CHECK(tap_now_ns() - t0 >= 250LL * 1000 * 1000);
	r.fd = -1;
	us_ring_exit(&r);	/* unmaps: the last reference */
	CHECK_EQ(live_rings(), base);
	return 0;
}

static void on_usr1(int sig)
{
	(void)sig;
}

static int t_signal_while_waiting(void)
{
	struct sigaction sa;
	struct waiter w = { .timeout_ns = -1 };
	struct us_ring r;
	pthread_t th;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;	/* no SA_RESTART */
	CHECK_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	CHECK_EQ(us_ring_init(&r, 4, 0, 0), 0);
	w.r = &r;
	CHECK_EQ(pthread_create(&th, NULL, wait_thread, &w), 0);
	CHECK_EQ(wait_for_waiter(&r, 1), 0);
	CHECK_EQ(pthread_kill(th, SIGUSR1), 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(w.ret, -EINTR);
	CHECK(nop_round(&r, 4, 1) == 0);	/* the ring is fine afterwards */
	us_ring_exit(&r);
	return 0;
}

/* A fatal signal ends an infinite wait too (the process is not stuck). */
static int t_kill_while_waiting(void)
{
	int status;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		struct us_ring r;

		if (us_ring_init(&r, 4, 0, 0))
			_exit(2);
		us_enter(&r, 0, 1, USCHEME_ENTER_GETEVENTS, 0, NULL);
		_exit(3);
	}
	usleep(100 * 1000);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	return 0;
}

static short poll_now(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN | POLLOUT };

	return poll(&pfd, 1, 0) < 0 ? -1 : pfd.revents;
}

/* poll: POLLIN while CQEs wait, POLLOUT while the SQ has room, POLLERR before setup. */
static int t_poll_ring_fd(void)
{
	struct uscheme_params p = { .sq_entries = 4 };
	struct us_ring r;
	unsigned int i;
	int fd = open_dev();

	CHECK(fd >= 0);
	CHECK_EQ(poll_now(fd), POLLERR);
	CHECK_EQ(setup(fd, &p), 0);
	close(fd);

	CHECK_EQ(us_ring_init(&r, 4, 0, 0), 0);
	CHECK_EQ(poll_now(r.fd), POLLOUT);
	us_prep_nop(us_get_sqe(&r), 1);
	CHECK_EQ(us_submit(&r), 1);
	CHECK_EQ(poll_now(r.fd), POLLIN | POLLOUT);
	/* four published, unsubmitted SQEs fill the SQ */
	for (i = 0; i < 4; i++)
		us_prep_nop(us_get_sqe(&r), 2 + i);
	__atomic_store_n(&r.hdr->sq_tail, r.sq_tail, __ATOMIC_RELEASE);
	r.sq_flushed = r.sq_tail;
	CHECK_EQ(poll_now(r.fd), POLLIN);
	CHECK_EQ(us_enter(&r, 4, 0, 0, 0, &i), 0);
	CHECK_EQ(i, 4);
	CHECK_EQ(poll_now(r.fd), POLLIN | POLLOUT);
	us_cq_advance(&r, us_cq_ready(&r));
	CHECK_EQ(poll_now(r.fd), POLLOUT);
	us_ring_exit(&r);
	return 0;
}

static void *submit_later(void *arg)
{
	struct us_ring *r = arg;

	usleep(50 * 1000);
	us_prep_nop(us_get_sqe(r), 77);
	us_submit(r);
	return NULL;
}

/* An fd watched by epoll before setup still wakes epoll afterwards. */
static int t_epoll_before_setup(void)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct us_ring r;
	pthread_t th;
	int fd = open_dev(), ep = epoll_create1(EPOLL_CLOEXEC);

	CHECK(fd >= 0 && ep >= 0);
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev), 0);
	CHECK_EQ(epoll_wait(ep, &out, 1, 0), 1);
	CHECK(out.events & EPOLLERR);
	CHECK_EQ(us_ring_init_fd(&r, fd, 4, 0, 0), 0);
	CHECK_EQ(epoll_wait(ep, &out, 1, 0), 0);	/* set up, nothing ready */
	CHECK_EQ(pthread_create(&th, NULL, submit_later, &r), 0);
	CHECK_EQ(epoll_wait(ep, &out, 1, 10 * 1000), 1);
	CHECK(out.events & EPOLLIN);
	CHECK_EQ(pthread_join(th, NULL), 0);
	close(ep);
	us_ring_exit(&r);
	return 0;
}

/* epoll wakes on a completion posted by another thread. */
static int t_epoll_wakeup(void)
{
	struct epoll_event ev = { .events = EPOLLIN }, out;
	struct us_ring r;
	pthread_t th;
	int ep;

	CHECK_EQ(us_ring_init(&r, 4, 0, 0), 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	ev.data.u64 = 5;
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, r.fd, &ev), 0);
	CHECK_EQ(epoll_wait(ep, &out, 1, 0), 0);
	CHECK_EQ(pthread_create(&th, NULL, submit_later, &r), 0);
	CHECK_EQ(epoll_wait(ep, &out, 1, 10 * 1000), 1);
	CHECK_EQ(out.data.u64, 5);
	CHECK(out.events & EPOLLIN);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(us_peek_cqe(&r)->user_data, 77);
	close(ep);
	us_ring_exit(&r);
	return 0;
}

/* The module must refuse to unload while a ring exists. */
static int t_unload_refused(void)
{
	struct us_ring r;
	int status;
	pid_t pid;

	if (access("/sbin/rmmod", X_OK)) {
		fprintf(stderr, "  no /sbin/rmmod in this environment\n");
		return -1;
	}
	CHECK_EQ(us_ring_init(&r, 4, 0, 0), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);

		dup2(devnull, 2);
		execl("/sbin/rmmod", "rmmod", "uscheme", (char *)NULL);
		_exit(127);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status) && WEXITSTATUS(status) != 0 && WEXITSTATUS(status) != 127);
	CHECK(access(USCHEME_DEVICE, F_OK) == 0);
	CHECK(nop_round(&r, 4, 1) == 0);
	us_ring_exit(&r);
	return 0;
}

static const struct tap_test tests[] = {
	{ "features", t_features, 0 },
	{ "setup_bad_params", t_setup_bad_params, 0 },
	{ "before_setup", t_before_setup, 0 },
	{ "mmap_rules", t_mmap_rules, 0 },
	{ "enter_garbage", t_enter_garbage, 0 },
	{ "nop_depths_1_to_4096", t_nop_depths, 300 },
	{ "cqe32", t_cqe32, 0 },
	{ "sqe_validation", t_sqe_validation, 0 },
	{ "full_sq", t_full_sq, 0 },
	{ "full_cq_backpressure", t_full_cq, 0 },
	{ "timeouts", t_timeouts, 0 },
	{ "scribbler", t_scribbler, 300 },
	{ "two_threads", t_two_threads, 300 },
	{ "fork", t_fork, 0 },
	{ "close_while_waiting", t_close_while_waiting, 0 },
	{ "signal_while_waiting", t_signal_while_waiting, 0 },
	{ "kill_while_waiting", t_kill_while_waiting, 0 },
	{ "poll_ring_fd", t_poll_ring_fd, 0 },
	{ "epoll_wakeup", t_epoll_wakeup, 0 },
	{ "epoll_before_setup", t_epoll_before_setup, 0 },
	{ "unload_refused_while_open", t_unload_refused, 0 },
};

int main(int argc, char **argv)
{
	return tap_run("ring", tests, sizeof(tests) / sizeof(tests[0]),
		       argc > 1 ? argv[1] : NULL);
}
