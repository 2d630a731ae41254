// SPDX-License-Identifier: MIT
/*
 * diskbench: one disk workload, timed the same way on every path, for make
 * bench-disk (tests/run-disk-bench.sh, guest side tests/disk-bench-guest.sh).
 * Not a test: it prints rates; it fails when a request fails or comes back
 * short.
 *
 *   diskbench blk DEV [OPTIONS]     a Linux block device, O_DIRECT, through
 *                                   an io_uring (liburing): /dev/sdX,
 *                                   /dev/ublkbN, /dev/nbdN (or a file)
 *   diskbench ring PATH [OPTIONS]   a disk scheme (disk.*:N) through a
 *                                   uscheme client ring: QD requests in
 *                                   flight, every completion's replacement
 *                                   submitted together in one enter
 *   diskbench fd PATH [OPTIONS]     a disk scheme through a handle fd
 *                                   (us_open, then pread(2)/pwrite(2)):
 *                                   queue depth 1 only
 *   OPTIONS:
 *     --rw read|write       (default read)
 *     --pattern seq|rand    seq: offsets 0, BS, 2 BS, ... wrapping at the
 *                           span's end; rand: BS-aligned, xorshift (default seq)
 *     --bs BYTES            request size, a multiple of 512 up to 1 MiB
 *                           (K and M suffixes; default 4K)
 *     --qd N                requests in flight, 1..64 (default 1)
 *     --secs S              run time in seconds (decimal; default 2): new
 *                           requests until then, and the ones in flight
 *     --ops N               stop after N requests instead (whichever first)
 *     --span BYTES          the part of the disk used, from 0 (default: all
 *                           of it)
 *     --label TEXT          printed as label= (one word; default the path)
 *     --trace FILE          (up to 4 times) a driver's counters (bench/
 *                           disktrace.h: xhcid and usbscsid --trace FILE):
 *                           their change over the timed part is printed
 *
 * Output: one line, "diskbench: result label=L io=blk|ring|fd rw=R
 * pattern=P bs=B qd=Q ops=N secs=T iops=X mibs=Y lat_us_mean=M
 * lat_us_p50=A lat_us_p99=C cpu_us_per_op=U kernel_us_per_op=K
 * self_user_us_per_op=SU self_sys_us_per_op=SS", where latency is each
 * request's issue to its completion as this process saw it, U the whole
 * machine's busy CPU time (all processes and the kernel: /proc/stat's user,
 * nice, system, irq, softirq and steal) over the timed part divided by the
 * requests, K its kernel part (system, irq, softirq), SU and SS this
 * process's own (getrusage).
 * And for each --trace, "diskbench: trace label=L
 * file=FILE v0=D0 v1=D1 ..." (the counters' deltas). Exit 0; 1 (a request failed: printed); 2 (usage); 3 (fd with --qd > 1:
 * not applicable, nothing run).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../libuscheme/libuscheme.h"
#include "disktrace.h"

#define QD_MAX		64u
#define BS_MAX		(1u << 20)

static struct {
	enum { IO_BLK, IO_RING, IO_FD } io;
	const char *path, *label;
	bool write, rand;
	unsigned int bs, qd;
	double secs;
	uint64_t max_ops, span;
	const char *trace[4];
	unsigned int ntrace;
} opt = { .bs = 4096, .qd = 1, .secs = 2.0, .max_ops = UINT64_MAX };

/* ---- what a run keeps ---- */

struct run {
	uint64_t next_seq, rng, issued, done;
	long long t0, deadline;
	long long *lat;		/* ns, one per completed request */
	size_t lat_cap;
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Busy clock ticks of the whole machine so far (/proc/stat "cpu"), or -1;
 * *sys gets the kernel's part (system, irq, softirq). */
static long long busy_ticks(long long *sys)
{
	unsigned long long v[8] = { 0 };
	FILE *f = fopen("/proc/stat", "r");
	int n;

	if (!f)
		return -1;
	n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
		   &v[3], &v[4], &v[5], &v[6], &v[7]);
	fclose(f);
	if (n < 4)
		return -1;
	/* user nice system [idle iowait] irq softirq steal */
	*sys = (long long)(v[2] + v[5] + v[6]);
	return (long long)(v[0] + v[1] + v[2] + v[5] + v[6] + v[7]);
}

static double tv_us(const struct timeval *b, const struct timeval *a)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e6 + (double)(b->tv_usec - a->tv_usec);
}

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* The next request's offset, or false when the run is over. */
static bool next_off(struct run *r, uint64_t *off)
{
	uint64_t slots = opt.span / opt.bs;

	if (r->issued >= opt.max_ops || now_ns() >= r->deadline)
		return false;
	if (opt.rand) {
		*off = xorshift(&r->rng) % slots * opt.bs;
	} else {
		*off = r->next_seq;
		r->next_seq += opt.bs;
		if (r->next_seq + opt.bs > slots * opt.bs)
			r->next_seq = 0;
	}
	r->issued++;
	return true;
}

static int keep_lat(struct run *r, long long ns)
{
	if (r->done == r->lat_cap) {
		size_t cap = r->lat_cap ? 2 * r->lat_cap : 4096;
		long long *p = realloc(r->lat, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		r->lat = p;
		r->lat_cap = cap;
	}
	r->lat[r->done++] = ns;
	return 0;
}

static int bad_result(long long res, uint64_t off)
{
	fprintf(stderr, "diskbench: %s: %s of %u at %" PRIu64 ": %s\n", opt.label,
		opt.write ? "write" : "read", opt.bs, off,
		res < 0 ? strerror((int)-res) : "short");
	return 1;
}

/* ---- the three paths; each returns 0 or 1 (a request failed) ---- */

static int run_fd(int fd, uint8_t *buf, struct run *r)
{
	uint64_t off;

	while (next_off(r, &off)) {
		long long t = now_ns();
		ssize_t n = opt.write ? pwrite(fd, buf, opt.bs, (off_t)off)
				      : pread(fd, buf, opt.bs, (off_t)off);

		if (n != (ssize_t)opt.bs)
			return bad_result(n < 0 ? -errno : n, off);
		if (keep_lat(r, now_ns() - t))
			return bad_result(-ENOMEM, off);
	}
	return 0;
}

struct slot {
	long long t;
	uint64_t off;
};

static int run_ring(int fd, uint8_t *bufs, struct run *r)
{
	struct us_ring ring;
	struct slot slot[QD_MAX];
	unsigned int inflight = 0, i;
	uint64_t off;
	int err = us_ring_init(&ring, 2 * QD_MAX, 0, 0), rc = 0;

	if (err) {
		fprintf(stderr, "diskbench: ring: %s\n", strerror(-err));
		return 1;
	}
	for (i = 0; i < opt.qd && next_off(r, &off); i++) {
		struct uscheme_sqe *sqe = us_get_sqe(&ring);

		if (opt.write)
			us_prep_write(sqe, fd, bufs + (size_t)i * opt.bs, opt.bs, off, i);
		else
			us_prep_read(sqe, fd, bufs + (size_t)i * opt.bs, opt.bs, off, i);
		slot[i] = (struct slot){ now_ns(), off };
		inflight++;
	}
	while (inflight) {
		struct uscheme_cqe *cqe;

		err = us_submit_and_wait(&ring, 1);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "diskbench: enter: %s\n", strerror(-err));
			rc = 1;
			break;
		}
		while ((cqe = us_peek_cqe(&ring))) {
			long long t = now_ns();
			uint64_t s = cqe->user_data;
			int res = cqe->res;

			us_cqe_seen(&ring);
			if (s >= opt.qd)
				continue;
			inflight--;
			if (res != (int)opt.bs) {
				rc = bad_result(res, slot[s].off);
				continue;
			}
			if (keep_lat(r, t - slot[s].t))
				rc = bad_result(-ENOMEM, slot[s].off);
			if (rc || !next_off(r, &off))
				continue;
			struct uscheme_sqe *sqe = us_get_sqe(&ring);

			if (opt.write)
				us_prep_write(sqe, fd, bufs + s * opt.bs, opt.bs, off, s);
			else
				us_prep_read(sqe, fd, bufs + s * opt.bs, opt.bs, off, s);
			slot[s] = (struct slot){ now_ns(), off };
			inflight++;
		}
	}
	us_ring_exit(&ring);
	return rc;
}

static int run_blk(int fd, uint8_t *bufs, struct run *r)
{
	struct io_uring ring;
	struct slot slot[QD_MAX];
	unsigned int inflight = 0, i;
	uint64_t off;
	int err = io_uring_queue_init(2 * QD_MAX, &ring, 0), rc = 0;

	if (err) {
		fprintf(stderr, "diskbench: io_uring: %s\n", strerror(-err));
		return 1;
	}
	for (i = 0; i < opt.qd && next_off(r, &off); i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		if (opt.write)
			io_uring_prep_write(sqe, fd, bufs + (size_t)i * opt.bs, opt.bs, off);
		else
			io_uring_prep_read(sqe, fd, bufs + (size_t)i * opt.bs, opt.bs, off);
		io_uring_sqe_set_data64(sqe, i);
		slot[i] = (struct slot){ now_ns(), off };
		inflight++;
	}
	while (inflight) {
		struct io_uring_cqe *cqe;

		err = io_uring_submit_and_wait(&ring, 1);
		if (err < 0 && err != -EINTR) {
			fprintf(stderr, "diskbench: io_uring_enter: %s\n", strerror(-err));
			rc = 1;
			break;
		}
		while (!io_uring_peek_cqe(&ring, &cqe)) {
			long long t = now_ns();
			uint64_t s = io_uring_cqe_get_data64(cqe);
			int res = cqe->res;

			io_uring_cqe_seen(&ring, cqe);
			if (s >= opt.qd)
				continue;
			inflight--;
			if (res != (int)opt.bs) {
				rc = bad_result(res, slot[s].off);
				continue;
			}
			if (keep_lat(r, t - slot[s].t))
				rc = bad_result(-ENOMEM, slot[s].off);
			if (rc || !next_off(r, &off))
				continue;
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			if (opt.write)
				io_uring_prep_write(sqe, fd, bufs + s * opt.bs, opt.bs, off);
			else
				io_uring_prep_read(sqe, fd, bufs + s * opt.bs, opt.bs, off);
			io_uring_sqe_set_data64(sqe, s);
			slot[s] = (struct slot){ now_ns(), off };
			inflight++;
		}
	}
	io_uring_queue_exit(&ring);
	return rc;
}

/* ---- statistics ---- */

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return (x > y) - (x < y);
}

/* The p-th percentile (0..100) of n sorted values: nearest rank. */
static long long percentile(const long long *v, size_t n, double p)
{
	size_t k;

	if (!n)
		return 0;
	k = (size_t)(p / 100.0 * (double)n + 0.999999);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return v[k - 1];
}

/* ---- options ---- */

/* A size: decimal with an optional K or M suffix; 0 or -1. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || end == s || *s == '-')
		return -1;
	if (*end == 'K' || *end == 'k')
		v <<= 10, end++;
	else if (*end == 'M' || *end == 'm')
		v <<= 20, end++;
	else if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	if (*end)
		return -1;
	*out = v;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: diskbench blk DEV | ring PATH | fd PATH [--rw read|write] "
		"[--pattern seq|rand] [--bs BYTES] [--qd N] [--secs S] [--ops N] [--span BYTES] "
		"[--label TEXT] [--trace FILE]...\n");
	return 2;
}

int main(int argc, char **argv)
{
	uint64_t v, size = 0;
	struct run r = { .rng = 0x9E3779B97F4A7C15ULL };
	uint8_t *bufs = NULL;
	long long c0, c1, t1, k0 = 0, k1 = 0;
	struct rusage ru0, ru1;
	struct disktrace *tr[4];
	uint64_t tv[4][DISKTRACE_SLOTS];
	int fd, rc;

	if (argc < 3)
		return usage();
	if (!strcmp(argv[1], "blk"))
		opt.io = IO_BLK;
	else if (!strcmp(argv[1], "ring"))
		opt.io = IO_RING;
	else if (!strcmp(argv[1], "fd"))
		opt.io = IO_FD;
	else
		return usage();
	opt.path = opt.label = argv[2];
	for (int i = 3; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;

		if (!val)
			return usage();
		i++;
		if (!strcmp(a, "--rw") && (!strcmp(val, "read") || !strcmp(val, "write")))
			opt.write = !strcmp(val, "write");
		else if (!strcmp(a, "--pattern") && (!strcmp(val, "seq") || !strcmp(val, "rand")))
			opt.rand = !strcmp(val, "rand");
		else if (!strcmp(a, "--bs") && !parse_size(val, &v) && v && v % 512 == 0 && v <= BS_MAX)
			opt.bs = (unsigned int)v;
		else if (!strcmp(a, "--qd") && !parse_size(val, &v) && v >= 1 && v <= QD_MAX)
			opt.qd = (unsigned int)v;
		else if (!strcmp(a, "--secs") && (opt.secs = strtod(val, NULL)) > 0 && opt.secs < 3600)
			;
		else if (!strcmp(a, "--ops") && !parse_size(val, &v) && v)
			opt.max_ops = v;
		else if (!strcmp(a, "--span") && !parse_size(val, &v) && v)
			opt.span = v;
		else if (!strcmp(a, "--label") && *val && !strpbrk(val, " \t\n"))
			opt.label = val;
		else if (!strcmp(a, "--trace") && opt.ntrace < 4)
			opt.trace[opt.ntrace++] = val;
		else
			return usage();
	}
	if (opt.io == IO_FD && opt.qd > 1) {
		fprintf(stderr, "diskbench: fd: a handle fd is synchronous: queue depth 1 only\n");
		return 3;
	}

	if (opt.io == IO_BLK)
		fd = open(opt.path, (opt.write ? O_RDWR : O_RDONLY) | O_DIRECT | O_CLOEXEC);
	else
		fd = us_open(opt.path, (opt.write ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (opt.io == IO_BLK && fd < 0)
		fd = -errno;
	if (fd < 0) {
		fprintf(stderr, "diskbench: open %s: %s\n", opt.path, strerror(-fd));
		return 1;
	}
	if (opt.io == IO_BLK) {
		struct stat st;

		if (!fstat(fd, &st) && S_ISREG(st.st_mode))	/* a file: for trying it out */
			size = (uint64_t)st.st_size;
		else if (ioctl(fd, BLKGETSIZE64, &size)) {
			fprintf(stderr, "diskbench: %s: BLKGETSIZE64: %s\n", opt.path, strerror(errno));
			return 1;
		}
	} else {
		struct stat st;

		if (fstat(fd, &st)) {
			fprintf(stderr, "diskbench: %s: fstat: %s\n", opt.path, strerror(errno));
			return 1;
		}
		size = (uint64_t)st.st_size;
	}
	if (!opt.span || opt.span > size)
		opt.span = size;
	if (opt.span < opt.bs) {
		fprintf(stderr, "diskbench: %s: %" PRIu64 " bytes, less than one request\n",
			opt.path, opt.span);
		return 1;
	}
	if (posix_memalign((void **)&bufs, 4096, (size_t)opt.qd * opt.bs)) {
		fprintf(stderr, "diskbench: out of memory\n");
		return 1;
	}
	for (size_t i = 0; i < (size_t)opt.qd * opt.bs; i++)
		bufs[i] = (uint8_t)(i * 131 + 7);

	for (unsigned int i = 0; i < opt.ntrace; i++) {
		if (!(tr[i] = disktrace_open(opt.trace[i]))) {
			fprintf(stderr, "diskbench: --trace %s: cannot map it\n", opt.trace[i]);
			return 1;
		}
		for (unsigned int k = 0; k < DISKTRACE_SLOTS; k++)
			tv[i][k] = tr[i]->v[k];
	}
	getrusage(RUSAGE_SELF, &ru0);
	c0 = busy_ticks(&k0);
	r.t0 = now_ns();
	r.deadline = r.t0 + (long long)(opt.secs * 1e9);
	rc = opt.io == IO_BLK ? run_blk(fd, bufs, &r) : opt.io == IO_RING ? run_ring(fd, bufs, &r)
		: run_fd(fd, bufs, &r);
	t1 = now_ns();
	c1 = busy_ticks(&k1);
	getrusage(RUSAGE_SELF, &ru1);
	for (unsigned int i = 0; i < opt.ntrace; i++) {
		printf("diskbench: trace label=%s file=%s", opt.label, opt.trace[i]);
		for (unsigned int k = 0; k < DISKTRACE_SLOTS; k++)
			printf(" v%u=%" PRIu64, k, tr[i]->v[k] - tv[i][k]);
		printf("\n");
		munmap((void *)tr[i], DISKTRACE_SIZE);
	}
	close(fd);
	if (!rc && r.done) {
		double secs = (double)(t1 - r.t0) / 1e9;
		double tick_us = 1e6 / (double)sysconf(_SC_CLK_TCK), sum = 0;

		for (uint64_t i = 0; i < r.done; i++)
			sum += (double)r.lat[i];

		qsort(r.lat, r.done, sizeof(*r.lat), cmp_ll);
		printf("diskbench: result label=%s io=%s rw=%s pattern=%s bs=%u qd=%u ops=%" PRIu64
		       " secs=%.3f iops=%.0f mibs=%.1f lat_us_mean=%.0f lat_us_p50=%.0f lat_us_p99=%.0f"
		       " cpu_us_per_op=%.0f kernel_us_per_op=%.0f self_user_us_per_op=%.0f"
		       " self_sys_us_per_op=%.0f\n", opt.label,
		       opt.io == IO_BLK ? "blk" : opt.io == IO_RING ? "ring" : "fd",
		       opt.write ? "write" : "read", opt.rand ? "rand" : "seq", opt.bs, opt.qd,
		       r.done, secs, (double)r.done / secs,
		       (double)r.done * opt.bs / secs / (1 << 20), sum / (double)r.done / 1e3,
		       percentile(r.lat, r.done, 50) / 1e3, percentile(r.lat, r.done, 99) / 1e3,
		       c0 < 0 || c1 < 0 ? -1.0 : (double)(c1 - c0) * tick_us / (double)r.done,
		       c0 < 0 || c1 < 0 ? -1.0 : (double)(k1 - k0) * tick_us / (double)r.done,
		       tv_us(&ru1.ru_utime, &ru0.ru_utime) / (double)r.done,
		       tv_us(&ru1.ru_stime, &ru0.ru_stime) / (double)r.done);
	} else if (!rc) {
		fprintf(stderr, "diskbench: %s: no request completed\n", opt.label);
		rc = 1;
	}
	free(r.lat);
	free(bufs);
	return rc;
}
