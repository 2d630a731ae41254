// SPDX-License-Identifier: MIT
/*
 * uscheme bench: NOP round trips through a uscheme ring against Linux
 * io_uring NOPs (liburing: the floor a ring round trip can cost) and a
 * plain syscall (getppid, one kernel crossing per op), all in one run.
 *
 * Each cell: a warm-up, then REPS timed repetitions of OPS operations;
 * the median rate is reported with the spread (min..max) and the CPU time
 * per operation. Ratios compare medians from this same run. Absolute
 * numbers under emulation mean little; the ratios are the result.
 */
#include <errno.h>
#include <liburing.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../libuscheme/libuscheme.h"
#include "bench.h"

#define REPS 5

struct cell {
	double rate[REPS];	/* ops/s per repetition */
	double cpu_ns;		/* CPU (user + system) per op, over all reps */
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_s(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(const double *v)
{
	double s[REPS];

	memcpy(s, v, sizeof(s));
	qsort(s, REPS, sizeof(s[0]), cmp_double);
	return s[REPS / 2];
}

/* ops NOPs through a uscheme ring, depth at a time. */
static int run_uscheme(struct us_ring *r, unsigned int ops, unsigned int depth)
{
	unsigned int done = 0, i;

	while (done < ops) {
		for (i = 0; i < depth; i++)
			us_prep_nop(us_get_sqe(r), i);
		if (us_submit_and_wait(r, depth) != (int)depth)
			return -1;
		for (i = 0; i < depth; i++) {
			struct uscheme_cqe *cqe = us_peek_cqe(r);

			if (!cqe || cqe->res)
				return -1;
			us_cqe_seen(r);
		}
		done += depth;
	}
	return 0;
}

static int run_io_uring(struct io_uring *r, unsigned int ops, unsigned int depth)
{
	unsigned int done = 0, i;

	while (done < ops) {
		struct io_uring_cqe *cqe;

		for (i = 0; i < depth; i++)
			io_uring_prep_nop(io_uring_get_sqe(r));
		if (io_uring_submit_and_wait(r, depth) != (int)depth)
			return -1;
		for (i = 0; i < depth; i++) {
			if (io_uring_peek_cqe(r, &cqe) || cqe->res)
				return -1;
			io_uring_cqe_seen(r, cqe);
		}
		done += depth;
	}
	return 0;
}

static int run_syscall(unsigned int ops)
{
	unsigned int i;

	for (i = 0; i < ops; i++)
		if (syscall(SYS_getppid) < 0)
			return -1;
	return 0;
}

enum { M_USCHEME, M_IO_URING, M_SYSCALL, M_COUNT };
static const char *const mech_name[M_COUNT] = { "uscheme ring", "io_uring", "syscall" };

static int measure(int mech, unsigned int depth, unsigned int ops, struct cell *c)
{
	struct io_uring uring;
	struct us_ring us;
	double c0;
	int rep, err = 0;

	if (mech == M_USCHEME && (err = us_ring_init(&us, depth, 0, 0)))
		return err;
	if (mech == M_IO_URING && (err = io_uring_queue_init(depth, &uring, 0)))
		return err;
	c0 = 0;
	for (rep = -1; rep < REPS && !err; rep++) {
		double t0 = now_s(), u0 = cpu_s();

		/* rep -1 is the warm-up, not recorded */
		if (mech == M_USCHEME)
			err = run_uscheme(&us, ops, depth);
		else if (mech == M_IO_URING)
			err = run_io_uring(&uring, ops, depth);
		else
			err = run_syscall(ops);
		if (rep >= 0) {
			c->rate[rep] = ops / (now_s() - t0);
			c0 += cpu_s() - u0;
		}
	}
	c->cpu_ns = c0 / ((double)ops * REPS) * 1e9;
	if (mech == M_USCHEME)
		us_ring_exit(&us);
	if (mech == M_IO_URING)
		io_uring_queue_exit(&uring);
	return err ? -EIO : 0;
}

int uscheme_bench(unsigned int ops)
{
	static const unsigned int depths[] = { 1, 8, 32, 128 };
	struct cell cells[4][M_COUNT];
	unsigned int d;
	int m, err;

	printf("NOP round trips: %u ops x %d repetitions after a warm-up; median ops/s "
	       "(min..max), CPU ns/op\n\n", ops, REPS);
	printf("%-6s %-13s %12s %24s %10s %18s\n", "depth", "mechanism", "ops/s",
	       "spread", "cpu ns/op", "uscheme/this");
	for (d = 0; d < 4; d++) {
		for (m = 0; m < M_COUNT; m++) {
			/* the syscall column does not batch: measure it once */
			if (m == M_SYSCALL && d) {
				cells[d][m] = cells[0][m];
				continue;
			}
			err = measure(m, depths[d], ops, &cells[d][m]);
			if (err) {
				fprintf(stderr, "uscheme bench: %s at depth %u: %s\n",
					mech_name[m], depths[d], strerror(-err));
				return 1;
			}
		}
		for (m = 0; m < M_COUNT; m++) {
			double lo = cells[d][m].rate[0], hi = lo, med = median(cells[d][m].rate);
			int r;
			char spread[48];

			for (r = 1; r < REPS; r++) {
				lo = cells[d][m].rate[r] < lo ? cells[d][m].rate[r] : lo;
				hi = cells[d][m].rate[r] > hi ? cells[d][m].rate[r] : hi;
			}
			snprintf(spread, sizeof(spread), "%.0f..%.0f", lo, hi);
			printf("%-6u %-13s %12.0f %24s %10.0f %17.2fx\n", depths[d], mech_name[m],
			       med, spread, cells[d][m].cpu_ns,
			       median(cells[d][M_USCHEME].rate) / med);
		}
	}
	printf("\nuscheme/this > 1: uscheme completes more NOPs per second than that mechanism.\n"
	       "syscall: one getppid() per op, unbatched (the same row at every depth).\n");
	return 0;
}
