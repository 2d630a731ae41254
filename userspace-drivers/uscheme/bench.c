// SPDX-License-Identifier: MIT
/*
 * uscheme bench: request/response round trips of a null service through
 * uscheme and the alternatives Linux has, all in one run (one boot):
 *
 *   uscheme ring   a client ring, depth D READs in flight, submitted and
 *                  reaped in batches of D (one enter per batch)
 *   uscheme fd     pread(2) on a handle fd, D client threads
 *   unix socket    AF_UNIX stream pairs, D client threads (one pair each)
 *   pipe           pipe pairs (request pipe, response pipe), D threads
 *   FUSE           pread(2) on a file of a libfuse3 low-level daemon
 *                  (bench-fused, direct I/O: no page cache), D threads
 *   io_uring NOP   liburing NOPs in batches of D: the floor of a ring
 *                  round trip (no server, no payload, at every size)
 *
 * A round trip of N bytes: the client asks for N bytes and a single-
 * threaded server process answers with N bytes from a ready buffer. uscheme
 * and FUSE: a READ of N bytes (the daemon answers "N bytes"; uscheme's
 * daemon leaves the kernel-zeroed chunk as it is, FUSE's replies from a
 * zero buffer). Socket and pipe: an 8-byte request (N), answered with an
 * 8-byte header and N bytes. N = 0: a request without payload: FSYNC for
 * uscheme and FUSE (a 0-byte read never reaches a daemon), the bare
 * headers for socket and pipe.
 *
 * Every cell: a warm-up, then REPS repetitions of the same op count; the
 * median rate with its spread (min..max), latency percentiles over all
 * repetitions' ops (depth 1: each op; depth D: each request from its
 * submission to its completion), and CPU time (client + server process,
 * CLOCK_PROCESS_CPUTIME_ID of both) per op. Absolute numbers under
 * emulation mean little; the ratios are the result.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../libuscheme/libuscheme.h"
#include "bench.h"

#define REPS_MAX	5
#define SCHEME		"benchnull"
#define HOLD_SCHEME	"benchhold"
#define DAEMON_SQ	1024
#define DAEMON_DATA	(64U << 20)
#define FUSE_MNT	"/tmp/uscheme-bench-fuse"
#define HOLD_N		4000	/* requests held in flight for the memory probe */
#define HOLD_LEN	4096

#define load_acquire(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

static int reps = REPS_MAX;

enum mech { M_RING, M_FD, M_UNIX, M_PIPE, M_FUSE, M_URING, M_COUNT };
static const char *const mech_name[M_COUNT] = {
	"uscheme ring", "uscheme fd", "unix socket", "pipe", "FUSE", "io_uring NOP",
};
static const unsigned int payloads[] = { 0, 64, 4096, 65536 };
static const unsigned int depths[] = { 1, 8, 32, 128 };
#define NPAY	4
#define NDEP	4

struct cell {
	bool ok;
	double rate[REPS_MAX];
	double med, lo, hi;
	double p50_us, p99_us;
	double cpu_ns;
};

static struct cell cells[NPAY][M_COUNT][NDEP];
/* The same cells with nothing pinned (2 vCPUs), at these payloads; FUSE left out. */
static const unsigned int upayloads[] = { 0, 4096 };
#define NUPAY	2
static struct cell ucells[NUPAY][M_COUNT][NDEP];
static pid_t daemon_pid = -1, hold_pid = -1, fuse_pid = -1;
static char fuse_note[128] = "";

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static double cpu_of(clockid_t c)
{
	struct timespec ts;

	if (clock_gettime(c, &ts))
		return 0;
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU seconds of this process and, if pid > 0, of that server process. */
static double cpu_now(pid_t server)
{
	double s = cpu_of(CLOCK_PROCESS_CPUTIME_ID);
	clockid_t c;

	if (server > 0 && !clock_getcpuclockid(server, &c))
		s += cpu_of(c);
	return s;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return (x > y) - (x < y);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static void summarize(double *rate, int n, double *med, double *lo, double *hi)
{
	double s[REPS_MAX];

	memcpy(s, rate, sizeof(double) * (size_t)n);
	qsort(s, (size_t)n, sizeof(s[0]), cmp_double);
	*med = s[n / 2];
	*lo = s[0];
	*hi = s[n - 1];
}

/* ---- the uscheme daemon: a raw scheme-ring loop, answers batched ---- */

static int daemon_answer(const struct uscheme_req *q, int32_t *res)
{
	switch (q->opcode) {
	case USCHEME_OP_OPEN:
	case USCHEME_OP_DUP:
		*res = 1;
		return 1;
	case USCHEME_OP_READ:
	case USCHEME_OP_WRITE:
		*res = (int32_t)q->len;	/* the chunk was zeroed by the kernel */
		return 1;
	case USCHEME_OP_FSYNC:
	case USCHEME_OP_FTRUNCATE:
		*res = 0;
		return 1;
	default:
		*res = -ENOSYS;
		return 1;
	}
}

/*
 * Serve name until killed. hold: keep READs unanswered until a FSYNC comes,
 * then answer them all (the memory probe); tell notify_fd when HOLD_N are held.
 */
static void daemon_main(const char *name, int ready_fd, bool hold, int notify_fd)
{
	struct uscheme_enter en;
	struct us_ring r;
	uint64_t *held = NULL;
	unsigned int nheld = 0;
	uint32_t head, cqt, unsent = 0;
	int err = us_scheme_init(&r, name, hold ? 4096 : DAEMON_SQ, DAEMON_DATA);

	if (!err && hold && !(held = calloc(HOLD_N + 16, sizeof(*held))))
		err = -ENOMEM;
	if (write(ready_fd, &err, sizeof(err)) != sizeof(err) || err)
		_exit(1);
	close(ready_fd);
	head = r.hdr->sq_head;
	cqt = r.hdr->cq_tail;
	for (;;) {
		uint32_t tail = load_acquire(&r.hdr->sq_tail);
		uint32_t sqmask = r.hdr->sq_mask, cqmask = r.hdr->cq_mask;
		struct uscheme_cqe *cq = r.cqes;

		while (head != tail) {
			struct uscheme_req q = ((const struct uscheme_req *)r.sqes)[head & sqmask];
			int32_t res;

			head++;
			if (q.flags & USCHEME_REQ_F_NOREPLY)
				continue;
			if (hold && q.opcode == USCHEME_OP_READ) {
				held[nheld++] = q.tag;
				if (nheld == HOLD_N && write(notify_fd, "h", 1) != 1)
					_exit(1);
				continue;
			}
			if (hold && q.opcode == USCHEME_OP_FSYNC) {
				while (nheld) {
					struct uscheme_cqe *c = &cq[cqt++ & cqmask];

					c->user_data = held[--nheld];
					c->res = HOLD_LEN;
					c->flags = 0;
					unsent++;
				}
			}
			daemon_answer(&q, &res);
			cq[cqt & cqmask].user_data = q.tag;
			cq[cqt & cqmask].res = res;
			cq[cqt & cqmask].flags = 0;
			cqt++;
			unsent++;
		}
		store_release(&r.hdr->sq_head, head);
		store_release(&r.hdr->cq_tail, cqt);
		memset(&en, 0, sizeof(en));
		en.to_submit = unsent;
		en.min_complete = 1;
		en.flags = USCHEME_ENTER_GETEVENTS;
		if (ioctl(r.fd, USCHEME_IOC_ENTER, &en) < 0 && errno != EINTR)
			_exit(1);
		unsent -= en.submitted;
	}
}

static pid_t start_daemon(const char *name, bool hold, int notify_fd)
{
	int p[2], err = -EIO;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		close(p[0]);
		daemon_main(name, p[1], hold, notify_fd);
		_exit(0);
	}
	close(p[1]);
	if (pid < 0 || read(p[0], &err, sizeof(err)) != sizeof(err) || err) {
		fprintf(stderr, "uscheme bench: cannot serve %s: %s\n", name,
			strerror(err < 0 ? -err : EIO));
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
		}
		close(p[0]);
		return -1;
	}
	close(p[0]);
	return pid;
}

static void stop_child(pid_t *pid, int sig)
{
	if (*pid > 0) {
		kill(*pid, sig);
		waitpid(*pid, NULL, 0);
	}
	*pid = -1;
}

/* ---- pinning and progress ---- */

/* Pin @pid's threads (all of them: /proc/PID/task) to CPU 0, or let them run anywhere. */
static void pin_pid(pid_t pid, bool pin)
{
	char path[64];
	struct dirent *de;
	cpu_set_t set;
	long i, n = sysconf(_SC_NPROCESSORS_ONLN);
	DIR *d;

	CPU_ZERO(&set);
	for (i = 0; i < (pin ? 1 : n) && i < CPU_SETSIZE; i++)
		CPU_SET(i, &set);
	if (pid <= 0) {
		sched_setaffinity(0, sizeof(set), &set);
		return;
	}
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d) {
		sched_setaffinity(pid, sizeof(set), &set);
		return;
	}
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			sched_setaffinity((pid_t)atoi(de->d_name), sizeof(set), &set);
	closedir(d);
}

/*
 * Every process of the bench on CPU 0 (@pin), or on every vCPU: this one
 * (its threads and the servers it forks inherit it) and the long-lived
 * servers (the uscheme daemon, FUSE).
 */
static void pin_all(bool pin)
{
	pin_pid(0, pin);
	pin_pid(daemon_pid, pin);
	pin_pid(fuse_pid, pin);
}

static uint64_t progress_t0;
static unsigned int progress_done, progress_total;

/*
 * Progress on stderr (make bench shows it while the VM runs; the tables go
 * to stdout): which cell, how many are left, and a rough time left.
 */
static void __attribute__((format(printf, 1, 2))) progress(const char *fmt, ...)
{
	double el = (double)(now_ns() - progress_t0) / 1e9;
	char what[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	progress_done++;
	fprintf(stderr, "bench progress: [%u/%u] %s (%.0f s so far", progress_done,
		progress_total, what, el);
	if (progress_done > 1)
		fprintf(stderr, ", about %.0f s left)\n",
			el / (progress_done - 1) * (progress_total - progress_done + 1));
	else
		fprintf(stderr, ")\n");
}

/* ---- socket and pipe servers: one process, epoll over D connections ---- */

static void pair_server(int n, const int *in, const int *out, unsigned int len)
{
	char *reply = calloc(1, 8 + (size_t)len);
	int ep = epoll_create1(0), open_fds = n, i;
	struct epoll_event ev[64];

	if (!reply || ep < 0)
		_exit(1);
	memcpy(reply, &(uint64_t){ len }, 8);
	for (i = 0; i < n; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = (uint32_t)i };

		if (epoll_ctl(ep, EPOLL_CTL_ADD, in[i], &e))
			_exit(1);
	}
	while (open_fds > 0) {
		int k = epoll_wait(ep, ev, 64, -1), j;

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			_exit(1);
		for (j = 0; j < k; j++) {
			int c = (int)ev[j].data.u32;
			uint64_t hdr;
			size_t done = 0;
			ssize_t w;

			if (read(in[c], &hdr, 8) != 8) {	/* EOF: the client is done */
				epoll_ctl(ep, EPOLL_CTL_DEL, in[c], NULL);
				open_fds--;
				continue;
			}
			while (done < 8 + (size_t)len) {
				w = write(out[c], reply + done, 8 + len - done);
				if (w <= 0)
					_exit(1);
				done += (size_t)w;
			}
		}
	}
	free(reply);
	_exit(0);
}

/* ---- one cell ---- */

struct ctx {
	enum mech m;
	unsigned int len, depth, ops;
	int fd;			/* uscheme fd, FUSE file */
	int *cfd_w, *cfd_r;	/* socket/pipe client ends per thread */
	char *bufs;		/* depth buffers of max(len,1) bytes, page aligned */
	size_t stride;
	uint64_t *lat;		/* ops latencies of the current repetition */
	struct us_ring ring;
	struct io_uring uring;
	pthread_barrier_t go;
};

struct worker {
	struct ctx *c;
	unsigned int idx, first, n;
	int err;
	pthread_t t;
};

static int read_full(int fd, char *p, size_t len)
{
	while (len) {
		ssize_t r = read(fd, p, len);

		if (r <= 0)
			return -1;
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

static int one_op(struct ctx *c, unsigned int idx, char *buf)
{
	uint64_t hdr = c->len;

	switch (c->m) {
	case M_FD:
	case M_FUSE:
		if (!c->len)
			return fsync(c->fd) ? -1 : 0;
		return pread(c->fd, buf, c->len, 0) == (ssize_t)c->len ? 0 : -1;
	default:	/* M_UNIX, M_PIPE */
		if (write(c->cfd_w[idx], &hdr, 8) != 8)
			return -1;
		return read_full(c->cfd_r[idx], buf, 8 + (size_t)c->len);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct ctx *c = w->c;
	char *buf = c->bufs + (size_t)w->idx * c->stride;
	uint64_t prev;
	unsigned int i;

	pthread_barrier_wait(&c->go);
	prev = now_ns();
	for (i = 0; i < w->n; i++) {
		uint64_t t;

		if (one_op(c, w->idx, buf)) {
			w->err = -EIO;
			break;
		}
		t = now_ns();
		c->lat[w->first + i] = t - prev;
		prev = t;
	}
	return NULL;
}

static int run_threads(struct ctx *c)
{
	struct worker *w = calloc(c->depth, sizeof(*w));
	unsigned int i, first = 0, started = 0;
	int err = 0;

	if (!w)
		return -ENOMEM;
	pthread_barrier_init(&c->go, NULL, c->depth + 1);
	for (i = 0; i < c->depth; i++) {
		w[i].c = c;
		w[i].idx = i;
		w[i].first = first;
		w[i].n = c->ops / c->depth + (i < c->ops % c->depth);
		first += w[i].n;
		if (pthread_create(&w[i].t, NULL, worker_main, &w[i])) {
			err = -EAGAIN;
			break;
		}
		started++;
	}
	if (started < c->depth) {
		/* cannot meet the barrier: nothing to undo but the threads' wait */
		fprintf(stderr, "uscheme bench: pthread_create failed\n");
		_exit(1);
	}
	pthread_barrier_wait(&c->go);
	for (i = 0; i < started; i++) {
		pthread_join(w[i].t, NULL);
		if (w[i].err)
			err = w[i].err;
	}
	pthread_barrier_destroy(&c->go);
	free(w);
	return err;
}

static int run_ring(struct ctx *c)
{
	unsigned int done = 0, i;
	int ret;
	uint64_t prev = now_ns();

	while (done < c->ops) {
		unsigned int n = c->ops - done < c->depth ? c->ops - done : c->depth;
		uint64_t t;

		for (i = 0; i < n; i++) {
			struct uscheme_sqe *sqe = us_get_sqe(&c->ring);

			if (c->len)
				us_prep_read(sqe, c->fd, c->bufs + (size_t)i * c->stride,
					     c->len, 0, i);
			else
				us_prep_fsync(sqe, c->fd, i);
		}
		ret = us_submit_and_wait(&c->ring, n);
		if (ret != (int)n) {
			fprintf(stderr, "uscheme bench: ring: submit and wait for %u: %d%s%s\n",
				n, ret, ret < 0 ? " " : "", ret < 0 ? strerror(-ret) : "");
			return -EIO;
		}
		for (i = 0; i < n; i++) {
			struct uscheme_cqe *cqe = us_peek_cqe(&c->ring);

			if (!cqe || cqe->res != (int32_t)c->len) {
				fprintf(stderr, "uscheme bench: ring: CQE %u of %u: %s %d, want %u\n",
					i, n, cqe ? "res" : "missing", cqe ? cqe->res : 0,
					c->len);
				return -EIO;
			}
			us_cqe_seen(&c->ring);
		}
		t = now_ns();
		for (i = 0; i < n; i++)
			c->lat[done + i] = t - prev;
		prev = t;
		done += n;
	}
	return 0;
}

static int run_uring(struct ctx *c)
{
	unsigned int done = 0, i;
	uint64_t prev = now_ns();

	while (done < c->ops) {
		unsigned int n = c->ops - done < c->depth ? c->ops - done : c->depth;
		struct io_uring_cqe *cqe;
		uint64_t t;

		for (i = 0; i < n; i++)
			io_uring_prep_nop(io_uring_get_sqe(&c->uring));
		if (io_uring_submit_and_wait(&c->uring, n) != (int)n)
			return -EIO;
		for (i = 0; i < n; i++) {
			if (io_uring_peek_cqe(&c->uring, &cqe) || cqe->res)
				return -EIO;
			io_uring_cqe_seen(&c->uring, cqe);
		}
		t = now_ns();
		for (i = 0; i < n; i++)
			c->lat[done + i] = t - prev;
		prev = t;
		done += n;
	}
	return 0;
}

static unsigned int ops_for(unsigned int base, unsigned int len)
{
	/* 64 KiB round trips cost far more (copies): fewer of them */
	return len >= 65536 ? base / 4 : base;
}

static int measure(enum mech m, unsigned int len, unsigned int depth,
		   unsigned int ops, struct cell *out)
{
	struct ctx c;
	pid_t server = -1;
	int *fds = NULL, err = 0, rep, i;
	bool ring_up = false, uring_up = false;
	unsigned int d;
	uint64_t *all = NULL;
	double cpu = 0;

	memset(&c, 0, sizeof(c));
	memset(out, 0, sizeof(*out));
	c.m = m;
	c.len = len;
	c.depth = depth;
	c.ops = ops;
	c.fd = -1;
	c.stride = ((size_t)(len ? len : 1) + 8 + 4095) & ~(size_t)4095;
	c.bufs = aligned_alloc(4096, c.stride * depth);
	c.lat = calloc(ops, sizeof(*c.lat));
	all = calloc((size_t)ops * (size_t)reps, sizeof(*all));
	if (!c.bufs || !c.lat || !all) {
		err = -ENOMEM;
		goto out;
	}
	memset(c.bufs, 1, c.stride * depth);

	switch (m) {
	case M_RING:
		err = us_ring_init(&c.ring, depth, 0, 0);
		if (err)
			goto out;
		ring_up = true;
		/* fall through */
	case M_FD:
		c.fd = us_open(SCHEME ":bench", O_RDWR);
		server = daemon_pid;
		break;
	case M_FUSE:
		c.fd = fuse_pid > 0 ? open(FUSE_MNT "/file", O_RDONLY) : -ENOENT;
		if (c.fd < 0 && fuse_pid > 0)
			c.fd = -errno;
		server = fuse_pid;
		break;
	case M_URING:
		err = io_uring_queue_init(depth, &c.uring, 0);
		if (err)
			goto out;
		uring_up = true;
		break;
	case M_UNIX:
	case M_PIPE:
		/* fds: [client w][client r][server in][server out] x depth */
		fds = calloc((size_t)depth * 4, sizeof(int));
		if (!fds) {
			err = -ENOMEM;
			goto out;
		}
		for (d = 0; d < depth * 4; d++)
			fds[d] = -1;
		for (d = 0; d < depth; d++) {
			int a[2], b[2];

			if (m == M_UNIX) {
				if (socketpair(AF_UNIX, SOCK_STREAM, 0, a)) {
					err = -errno;
					goto out;
				}
				fds[d] = a[0];
				fds[depth + d] = dup(a[0]);
				fds[2 * depth + d] = a[1];
				fds[3 * depth + d] = dup(a[1]);
			} else {
				if (pipe(a)) {
					err = -errno;
					goto out;
				}
				if (pipe(b)) {
					close(a[0]);
					close(a[1]);
					err = -errno;
					goto out;
				}
				/* room for a whole 64 KiB answer and its header */
				fcntl(b[1], F_SETPIPE_SZ, 256 * 1024);
				fds[d] = a[1];
				fds[depth + d] = b[0];
				fds[2 * depth + d] = a[0];
				fds[3 * depth + d] = b[1];
			}
		}
		server = fork();
		if (server == 0) {
			for (d = 0; d < 2 * depth; d++)
				close(fds[d]);
			pair_server((int)depth, fds + 2 * depth, fds + 3 * depth, len);
		}
		for (d = 2 * depth; d < 4 * depth; d++) {
			close(fds[d]);
			fds[d] = -1;
		}
		if (server < 0) {
			err = -errno;
			goto out;
		}
		c.cfd_w = fds;
		c.cfd_r = fds + depth;
		break;
	default:
		break;
	}
	if ((m == M_FD || m == M_RING || m == M_FUSE) && c.fd < 0) {
		err = c.fd;
		goto out;
	}

	for (rep = -1; rep < reps && !err; rep++) {
		uint64_t t0 = now_ns();
		double c0 = cpu_now(server);

		if (m == M_RING)
			err = run_ring(&c);
		else if (m == M_URING)
			err = run_uring(&c);
		else
			err = run_threads(&c);
		if (rep >= 0 && !err) {
			out->rate[rep] = ops / ((double)(now_ns() - t0) / 1e9);
			cpu += cpu_now(server) - c0;
			memcpy(all + (size_t)rep * ops, c.lat, sizeof(*all) * ops);
		}
	}
	if (!err) {
		size_t n = (size_t)ops * (size_t)reps;

		qsort(all, n, sizeof(*all), cmp_u64);
		out->p50_us = (double)all[n / 2] / 1e3;
		out->p99_us = (double)all[(n * 99) / 100] / 1e3;
		out->cpu_ns = cpu / ((double)ops * reps) * 1e9;
		summarize(out->rate, reps, &out->med, &out->lo, &out->hi);
		out->ok = true;
	}
out:
	if (ring_up)
		us_ring_exit(&c.ring);
	if (uring_up)
		io_uring_queue_exit(&c.uring);
	if (c.fd >= 0)
		close(c.fd);
	if (fds) {
		for (i = 0; i < (int)depth * 4; i++)
			if (fds[i] >= 0)
				close(fds[i]);
		free(fds);
	}
	if ((m == M_UNIX || m == M_PIPE) && server > 0)
		waitpid(server, NULL, 0);	/* it saw EOF on every pair */
	free(c.bufs);
	free(c.lat);
	free(all);
	return err;
}

/* ---- FUSE daemon ---- */

static void start_fuse(void)
{
	char exe[PATH_MAX], path[PATH_MAX + 16], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat st;
	int i;

	if (access("/dev/fuse", R_OK | W_OK)) {
		snprintf(fuse_note, sizeof(fuse_note), "no /dev/fuse (fuse.ko not loaded)");
		return;
	}
	path[0] = 0;
	if (n > 0) {
		exe[n] = 0;
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = 0;
			snprintf(path, sizeof(path), "%s/bench-fused", exe);
		}
	}
	if (!path[0] || access(path, X_OK)) {
		snprintf(fuse_note, sizeof(fuse_note), "bench-fused not found next to uscheme");
		return;
	}
	mkdir(FUSE_MNT, 0755);
	fuse_pid = fork();
	if (fuse_pid == 0) {
		execl(path, "bench-fused", FUSE_MNT, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && fuse_pid > 0; i++) {	/* up to 10 s for the mount */
		if (!stat(FUSE_MNT "/file", &st))
			return;
		if (waitpid(fuse_pid, NULL, WNOHANG) == fuse_pid) {
			fuse_pid = -1;
			break;
		}
		usleep(20000);
	}
	snprintf(fuse_note, sizeof(fuse_note), "bench-fused did not mount %s", FUSE_MNT);
	stop_child(&fuse_pid, SIGKILL);
	umount2(FUSE_MNT, MNT_DETACH);
}

static void stop_fuse(void)
{
	if (fuse_pid <= 0)
		return;
	stop_child(&fuse_pid, SIGTERM);	/* it unmounts on the way out */
	umount2(FUSE_MNT, MNT_DETACH);
	rmdir(FUSE_MNT);
}

/* ---- scaling: P client processes against one server ---- */

enum { S_FD, S_RING, S_UNIX, S_COUNT };
static const char *const scale_name[S_COUNT] = {
	"uscheme fd (depth 1)", "uscheme ring (depth 8)", "unix socket (depth 1)",
};

static int scale_client(int kind, unsigned int ops, int sw, int sr)
{
	char buf[4096 + 64];
	struct us_ring r;
	unsigned int i, j;
	int fd = -1;
	uint64_t hdr = 64;

	if (kind == S_RING && us_ring_init(&r, 8, 0, 0))
		return 1;
	if (kind != S_UNIX && (fd = us_open(SCHEME ":scale", O_RDWR)) < 0)
		return 1;
	for (i = 0; i < ops;) {
		if (kind == S_FD) {
			if (pread(fd, buf, 64, 0) != 64)
				return 1;
			i++;
		} else if (kind == S_UNIX) {
			if (write(sw, &hdr, 8) != 8 || read_full(sr, buf, 72))
				return 1;
			i++;
		} else {
			for (j = 0; j < 8; j++)
				us_prep_read(us_get_sqe(&r), fd, buf + 512 * j, 64, 0, j);
			if (us_submit_and_wait(&r, 8) != 8)
				return 1;
			for (j = 0; j < 8; j++) {
				struct uscheme_cqe *cqe = us_peek_cqe(&r);

				if (!cqe || cqe->res != 64)
					return 1;
				us_cqe_seen(&r);
			}
			i += 8;
		}
	}
	if (kind == S_RING)
		us_ring_exit(&r);
	if (fd >= 0)
		close(fd);
	return 0;
}

/* One repetition: ops/s of procs clients doing ops/procs round trips each. */
static double scale_once(int kind, unsigned int procs, unsigned int ops)
{
	int gop[2], sv[8][2], i;
	pid_t kids[8], server = -1;
	uint64_t t0;
	bool bad = false;
	char go[8] = { 0 };

	if (pipe(gop))
		return -1;
	if (kind == S_UNIX) {
		int in[8], out[8];

		for (i = 0; i < (int)procs; i++)
			if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv[i]))
				return -1;
		server = fork();
		if (server == 0) {
			close(gop[0]);
			close(gop[1]);
			for (i = 0; i < (int)procs; i++) {
				close(sv[i][0]);
				in[i] = out[i] = sv[i][1];
			}
			pair_server((int)procs, in, out, 64);
		}
		for (i = 0; i < (int)procs; i++)
			close(sv[i][1]);
	}
	for (i = 0; i < (int)procs; i++) {
		kids[i] = fork();
		if (kids[i] == 0) {
			char g;
			int k;

			close(gop[1]);
			for (k = 0; kind == S_UNIX && k < (int)procs; k++)
				if (k != i)
					close(sv[k][0]);
			if (read(gop[0], &g, 1) != 1)
				_exit(1);
			_exit(scale_client(kind, ops / procs, kind == S_UNIX ? sv[i][0] : -1,
					   kind == S_UNIX ? sv[i][0] : -1));
		}
	}
	close(gop[0]);
	usleep(100000);	/* let every client reach its read of the go pipe */
	t0 = now_ns();
	if (write(gop[1], go, procs) != (ssize_t)procs)
		bad = true;
	close(gop[1]);
	for (i = 0; i < (int)procs; i++) {
		int st;

		if (kids[i] < 0 || waitpid(kids[i], &st, 0) != kids[i] ||
		    !WIFEXITED(st) || WEXITSTATUS(st))
			bad = true;
	}
	t0 = now_ns() - t0;
	if (getenv("USCHEME_BENCH_DEBUG"))
		fprintf(stderr, "scale kind %d procs %u: %.3f s\n", kind, procs, (double)t0 / 1e9);
	if (kind == S_UNIX) {
		for (i = 0; i < (int)procs; i++)
			close(sv[i][0]);
		if (server > 0)
			waitpid(server, NULL, 0);
	}
	return bad ? -1 : (double)(ops / procs * procs) / ((double)t0 / 1e9);
}

static int run_scaling(unsigned int ops)
{
	static const unsigned int procs[] = { 1, 2, 4, 8 };
	double r[S_COUNT][4];
	int k, p, rep;

	printf("\n== Scaling: P client processes against one server (64-byte READ; total %u round trips "
	       "per repetition,\n   split over the clients; median ops/s of %d, all clients together; "
	       "one CPU, so this is cost per round trip as clients multiply) ==\n", ops, reps);
	printf("%-24s %12s %12s %12s %12s\n", "mechanism", "P=1", "P=2", "P=4", "P=8");
	for (k = 0; k < S_COUNT; k++) {
		for (p = 0; p < 4; p++) {
			double v[REPS_MAX], lo, hi;

			progress("scaling: %s, %u clients", scale_name[k], procs[p]);
			for (rep = -1; rep < reps; rep++) {
				double x = scale_once(k, procs[p], ops);

				if (x < 0) {
					fprintf(stderr, "uscheme bench: scaling %s with %u clients failed\n",
						scale_name[k], procs[p]);
					return -1;
				}
				if (rep >= 0)
					v[rep] = x;
			}
			summarize(v, reps, &r[k][p], &lo, &hi);
		}
		printf("%-24s %12.0f %12.0f %12.0f %12.0f\n", scale_name[k],
		       r[k][0], r[k][1], r[k][2], r[k][3]);
	}
	printf("%-24s %12s %12.2fx %11.2fx %11.2fx\n", "ring / unix socket", "",
	       r[S_RING][1] / r[S_UNIX][1], r[S_RING][2] / r[S_UNIX][2], r[S_RING][3] / r[S_UNIX][3]);
	printf("%-24s %11.2fx %11.2fx %11.2fx %11.2fx\n", "fd / unix socket",
	       r[S_FD][0] / r[S_UNIX][0], r[S_FD][1] / r[S_UNIX][1], r[S_FD][2] / r[S_UNIX][2],
	       r[S_FD][3] / r[S_UNIX][3]);
	return 0;
}

/* ---- memory ---- */

static long meminfo_kb(const char *key)
{
	FILE *f = fopen("/proc/meminfo", "r");
	char line[256];
	size_t kl = strlen(key);
	long v = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = atol(line + kl + 1);
			break;
		}
	fclose(f);
	return v;
}

static long long read_ll(const char *path)
{
	FILE *f = fopen(path, "r");
	long long v = -1;

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY), ok;

	if (fd < 0)
		return -1;
	ok = write(fd, s, strlen(s)) == (ssize_t)strlen(s);
	close(fd);
	return ok ? 0 : -1;
}

#define CG	"/sys/fs/cgroup"
#define CGB	CG "/uscheme-bench"

/*
 * In a child in its own memory cgroup: HOLD_N READs of HOLD_LEN bytes held
 * by the hold daemon; memory.current and /proc/meminfo's Slab before and
 * while they are in flight. Writes 4 numbers to wfd.
 */
static void hold_probe(int notify_rd, int wfd)
{
	long long m[4] = { -1, -1, -1, -1 };
	char *buf = aligned_alloc(4096, (size_t)HOLD_N * HOLD_LEN), pid[32], h;
	struct us_ring r;
	unsigned int i;
	int fd;

	snprintf(pid, sizeof(pid), "%d\n", getpid());
	if (!buf || write_str(CGB "/cgroup.procs", pid) || us_ring_init(&r, 4096, 0, 0))
		_exit(1);
	memset(buf, 1, (size_t)HOLD_N * HOLD_LEN);
	fd = us_open(HOLD_SCHEME ":x", O_RDWR);
	if (fd < 0)
		_exit(1);
	usleep(200000);
	m[0] = read_ll(CGB "/memory.current");
	m[1] = meminfo_kb("Slab");
	for (i = 0; i < HOLD_N; i++)
		us_prep_read(us_get_sqe(&r), fd, buf + (size_t)i * HOLD_LEN, HOLD_LEN, 0, i);
	if (us_submit(&r) != HOLD_N || read(notify_rd, &h, 1) != 1)
		_exit(1);
	m[2] = read_ll(CGB "/memory.current");
	m[3] = meminfo_kb("Slab");
	if (fsync(fd))	/* the hold daemon answers everything */
		_exit(1);
	for (i = 0; i < HOLD_N; i++) {
		struct uscheme_cqe *cqe;

		if (us_wait_cqe(&r, &cqe, -1) || cqe->res != HOLD_LEN)
			_exit(1);
		us_cqe_seen(&r);
	}
	if (write(wfd, m, sizeof(m)) != sizeof(m))
		_exit(1);
	close(fd);
	us_ring_exit(&r);
	free(buf);
	_exit(0);
}

static void run_memory(void)
{
	static const unsigned int rd[] = { 1, 8, 32, 128, 1024 };
	struct stat st;
	long long m[4];
	int np[2], rp[2], status;
	unsigned int i;
	pid_t kid;
	bool mounted = false;

	printf("\n== Memory ==\n");
	printf("per ring (mmap regions, allocated once at setup; SQ = depth, CQ = 2 x depth):\n");
	printf("%-8s %22s %22s\n", "depth", "uscheme client ring", "io_uring ring");
	for (i = 0; i < sizeof(rd) / sizeof(rd[0]); i++) {
		struct us_ring r;
		struct io_uring u;
		long us = -1, iu = -1;

		if (!us_ring_init(&r, rd[i], 0, 0)) {
			us = (long)(r.ring_size + r.sqes_size + r.cqes_size);
			us_ring_exit(&r);
		}
		if (!io_uring_queue_init(rd[i], &u, 0)) {
			size_t sq = u.sq.ring_sz, cq = u.cq.ring_sz;

			iu = (long)((sq > cq ? sq : cq) + u.sq.ring_entries * sizeof(struct io_uring_sqe));
			io_uring_queue_exit(&u);
		}
		printf("%-8u %16ld bytes %16ld bytes\n", rd[i], us, iu);
	}
	{
		struct us_ring r;

		/* an unregistered scheme ring shows the same layout */
		if (!us_ring_init_data(&r, -1, DAEMON_SQ, 0, USCHEME_SETUP_SCHEME, 0)) {
			printf("daemon scheme ring, %u requests: %zu bytes of rings + a data area "
			       "(default %zu bytes; this bench uses %u) from which each request in "
			       "flight takes ceil(len/4096) pages\n", DAEMON_SQ,
			       r.ring_size + r.sqes_size + r.cqes_size, r.data_size, DAEMON_DATA);
			us_ring_exit(&r);
		}
	}

	printf("per request in flight (uscheme ring READ of %u bytes, %u held unanswered "
	       "by a daemon):\n", HOLD_LEN, HOLD_N);
	printf("  pinned: the client's buffer pages (%u bytes = %u page per request) stay pinned "
	       "until the answer is copied into them\n", HOLD_LEN, HOLD_LEN / 4096);
	if (stat(CG "/cgroup.controllers", &st)) {
		mkdir(CG, 0755);
		if (mount("none", CG, "cgroup2", 0, NULL)) {
			printf("  allocated: n/a (cannot mount cgroup2: %s)\n", strerror(errno));
			return;
		}
		mounted = true;
	}
	write_str(CG "/cgroup.subtree_control", "+memory");
	if (mkdir(CGB, 0755) && errno != EEXIST) {
		printf("  allocated: n/a (cannot create a cgroup: %s)\n", strerror(errno));
		goto unmount;
	}
	if (pipe(np) || pipe(rp))
		goto rmcg;
	hold_pid = start_daemon(HOLD_SCHEME, true, np[1]);
	if (hold_pid < 0)
		goto rmcg;
	kid = fork();
	if (kid == 0) {
		close(rp[0]);
		hold_probe(np[0], rp[1]);
	}
	close(rp[1]);
	if (kid > 0 && read(rp[0], m, sizeof(m)) == sizeof(m) && m[0] >= 0 && m[2] >= 0) {
		printf("  allocated (memory cgroup memory.current, kernel memory charged to the "
		       "client): %lld bytes for %u = %.0f bytes per request\n",
		       m[2] - m[0], HOLD_N, (double)(m[2] - m[0]) / HOLD_N);
		printf("  allocated (/proc/meminfo Slab, whole machine): %lld KiB for %u = %.0f bytes "
		       "per request\n", m[3] - m[1], HOLD_N, (double)(m[3] - m[1]) * 1024 / HOLD_N);
	} else {
		printf("  allocated: n/a (the probe failed)\n");
	}
	if (kid > 0)
		waitpid(kid, &status, 0);
	close(rp[0]);
	stop_child(&hold_pid, SIGKILL);
rmcg:
	close(np[0]);
	close(np[1]);
	rmdir(CGB);
unmount:
	if (mounted)
		umount2(CG, MNT_DETACH);
}

/* ---- output ---- */

/*
 * One row of a table: cell @c of mechanism @m at @depth, and the ring's rate
 * over its own. No CPU time for unpinned cells (@pinned false): the guest's
 * TSCs are unsynchronized across vCPUs, so a process's CPU clock reads
 * garbage once its threads migrate.
 */
static void print_row(int m, unsigned int depth, const struct cell *c, const struct cell *ring,
		      bool pinned)
{
	char cpu[24];
	char spread[48];

	if (!c->ok) {
		printf("%-13s %5u %11s   %s\n", mech_name[m], depth, "n/a",
		       m == M_FUSE && fuse_note[0] ? fuse_note : "failed");
		return;
	}
	snprintf(spread, sizeof(spread), "%.0f..%.0f", c->lo, c->hi);
	if (pinned)
		snprintf(cpu, sizeof(cpu), "%.0f", c->cpu_ns);
	else
		snprintf(cpu, sizeof(cpu), "-");
	printf("%-13s %5u %11.0f %23s %9.1f %9.1f %10s", mech_name[m], depth,
	       c->med, spread, c->p50_us, c->p99_us, cpu);
	if (ring && ring->ok)
		printf(" %9.2fx\n", ring->med / c->med);
	else
		printf(" %10s\n", "-");
}

static void print_header(void)
{
	printf("%-13s %5s %11s %23s %9s %9s %10s %10s\n", "mechanism", "depth", "ops/s",
	       "spread (min..max)", "p50 us", "p99 us", "cpu ns/op", "ring/this");
}

static void print_payload(unsigned int pi)
{
	unsigned int len = payloads[pi], d;
	int m;

	if (len)
		printf("\n== %u B: the client asks for %u bytes, the server answers with %u bytes ==\n",
		       len, len, len);
	else
		printf("\n== 0 B: a request without payload (uscheme/FUSE: FSYNC; socket/pipe: "
		       "8-byte header each way; io_uring: NOP) ==\n");
	print_header();
	for (m = 0; m < M_COUNT; m++)
		for (d = 0; d < NDEP; d++)
			print_row(m, depths[d], &cells[pi][m][d], &cells[pi][M_RING][d], true);
}

static void print_unpinned(unsigned int pi)
{
	unsigned int d;
	int m;

	printf("\n== Unpinned, %u B: the same round trips with no process pinned (2 vCPUs; "
	       "no CPU column: TSCs differ across vCPUs); pinned: the %u B table above ==\n",
	       upayloads[pi], upayloads[pi]);
	print_header();
	for (m = 0; m < M_COUNT; m++) {
		if (m == M_FUSE)
			continue;
		for (d = 0; d < NDEP; d++)
			print_row(m, depths[d], &ucells[pi][m][d], &ucells[pi][M_RING][d], false);
	}
}

static void print_ratios(void)
{
	unsigned int p, d;
	int m;

	printf("\n== Ratios (ops/s of uscheme over ops/s of the alternative, same payload and "
	       "depth; > 1: uscheme is faster) ==\n");
	printf("%-8s %5s |%8s %8s %8s %8s %8s |%8s %8s %8s\n", "payload", "depth", "ring/fd",
	       "r/unix", "r/pipe", "r/FUSE", "r/iour", "fd/unix", "fd/pipe", "fd/FUSE");
	for (p = 0; p < NPAY; p++) {
		for (d = 0; d < NDEP; d++) {
			printf("%-8u %5u |", payloads[p], depths[d]);
			for (m = M_FD; m < M_COUNT; m++) {
				struct cell *a = &cells[p][M_RING][d], *b = &cells[p][m][d];

				if (a->ok && b->ok)
					printf("%8.2f ", a->med / b->med);
				else
					printf("%8s ", "n/a");
			}
			printf("|");
			for (m = M_UNIX; m <= M_FUSE; m++) {
				struct cell *a = &cells[p][M_FD][d], *b = &cells[p][m][d];

				if (a->ok && b->ok)
					printf("%8.2f ", a->med / b->med);
				else
					printf("%8s ", "n/a");
			}
			printf("\n");
		}
	}
}

static int mech_parse(const char *s)
{
	static const char *const short_name[M_COUNT] = {
		"ring", "fd", "unix", "pipe", "fuse", "uring",
	};
	int m;

	for (m = 0; m < M_COUNT; m++)
		if (!strcmp(s, short_name[m]))
			return m;
	return -1;
}

/*
 * One cell alone (for profiling): MECH BYTES DEPTH with OPS per repetition,
 * every process pinned to CPU 0 as in the tables, or not (@pin false).
 */
int uscheme_bench_cell(const char *mech, unsigned int len, unsigned int depth,
		       unsigned int ops, bool pin)
{
	int m = mech_parse(mech), err;
	struct cell c;

	if (m < 0) {
		fprintf(stderr, "uscheme bench-cell: unknown mechanism '%s' "
			"(ring, fd, unix, pipe, fuse, uring)\n", mech);
		return 2;
	}
	if (ops < 2048)
		reps = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	if (m == M_RING || m == M_FD) {
		daemon_pid = start_daemon(SCHEME, false, -1);
		if (daemon_pid < 0)
			return 1;
	}
	if (m == M_FUSE)
		start_fuse();
	pin_all(pin);
	err = measure((enum mech)m, m == M_URING ? 0 : len, depth, ops, &c);
	stop_fuse();
	stop_child(&daemon_pid, SIGKILL);
	if (err)
		fprintf(stderr, "uscheme bench-cell: %s, %u B, depth %u: %s\n", mech_name[m],
			len, depth, strerror(-err));
	printf("%s, %d repetition%s of %u ops after a warm-up\n",
	       pin ? "every process pinned to CPU 0" : "unpinned", reps, reps == 1 ? "" : "s", ops);
	print_header();
	print_row(m, depth, &c, NULL, pin);
	return err ? 1 : 0;
}

int uscheme_bench(unsigned int ops)
{
	unsigned int p, d;
	uint64_t t_start = now_ns();
	int m, err, rc = 0;
	/* debugging aid: USCHEME_BENCH_ONLY=scaling skips the round-trip tables */
	const char *only = getenv("USCHEME_BENCH_ONLY");
	bool only_scaling = only && !strcmp(only, "scaling");

	if (ops < 2048)
		reps = 1;	/* a smoke run (the test suite's): one repetition */
	/*
	 * The tables: client and servers on CPU 0 (the servers inherit it).
	 * Under TCG a wakeup across vCPUs costs milliseconds at random, which
	 * would drown every mechanism's own cost. Scaling too: it shows what
	 * more clients cost per round trip, not a parallel speedup.
	 */
	pin_all(true);
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	printf("command: uscheme bench %u\n", ops);
	printf("every process (clients, servers) pinned to CPU 0, but in the Unpinned tables: under TCG "
	       "a wakeup across vCPUs costs milliseconds at random and would drown the mechanisms' "
	       "own costs\n");
	printf("round trips of a null service: a warm-up, then %d repetition%s of %u ops "
	       "(%u for 64 KiB) per cell; median ops/s with the spread (min..max),\n"
	       "latency p50/p99 over every op of all repetitions (depth D: from a request's "
	       "submission to its completion), CPU (client + server process) per op.\n"
	       "depth D: uscheme ring and io_uring keep D requests in flight from one thread "
	       "(submit D, reap D, one enter per batch);\nuscheme fd, unix socket, pipe, FUSE use D "
	       "client threads, each with one request in flight (socket/pipe: a pair per thread).\n"
	       "Servers: one single-threaded process each (uscheme: a raw scheme-ring loop that "
	       "answers in batches; socket/pipe: epoll; FUSE: libfuse3 low-level session loop).\n",
	       reps, reps == 1 ? "" : "s", ops, ops_for(ops, 65536));

	progress_t0 = t_start;
	progress_total = (only_scaling ? 0 : NPAY * (M_COUNT - 1) * NDEP + NDEP +
			  NUPAY * (M_COUNT - 2) * NDEP + NDEP) + S_COUNT * 4 + 1;
	daemon_pid = start_daemon(SCHEME, false, -1);
	if (daemon_pid < 0)
		return 1;
	start_fuse();
	for (p = 0; p < NPAY && !only_scaling; p++) {
		for (m = 0; m < M_COUNT; m++) {
			for (d = 0; d < NDEP; d++) {
				if (m == M_URING && p) {	/* the same NOP at every size */
					cells[p][m][d] = cells[0][m][d];
					continue;
				}
				progress("%s, %u B, depth %u", mech_name[m], payloads[p], depths[d]);
				err = measure((enum mech)m, m == M_URING ? 0 : payloads[p], depths[d],
					      ops_for(ops, payloads[p]), &cells[p][m][d]);
				if (err && !(m == M_FUSE && fuse_pid <= 0)) {
					fprintf(stderr, "uscheme bench: %s, %u B, depth %u: %s\n",
						mech_name[m], payloads[p], depths[d], strerror(-err));
					if (m != M_FUSE)
						rc = 1;
				}
			}
		}
		print_payload(p);
	}
	if (!only_scaling)
		print_ratios();

	/*
	 * The same round trips with nothing pinned: client, its threads and
	 * the servers wherever the scheduler puts them on the 2 vCPUs. Under
	 * TCG a wakeup across vCPUs is slow at random (the spread shows it),
	 * but a process that keeps a vCPU to itself never pays the address
	 * space switch of sharing one, so batching mechanisms gain.
	 */
	pin_all(false);
	for (p = 0; p < NUPAY && !only_scaling; p++) {
		for (m = 0; m < M_COUNT; m++) {
			if (m == M_FUSE)
				continue;
			for (d = 0; d < NDEP; d++) {
				if (m == M_URING && p) {
					ucells[p][m][d] = ucells[0][m][d];
					continue;
				}
				progress("unpinned: %s, %u B, depth %u", mech_name[m], upayloads[p],
					 depths[d]);
				err = measure((enum mech)m, m == M_URING ? 0 : upayloads[p], depths[d],
					      ops, &ucells[p][m][d]);
				if (err) {
					fprintf(stderr, "uscheme bench: unpinned %s, %u B, depth %u: %s\n",
						mech_name[m], upayloads[p], depths[d], strerror(-err));
					rc = 1;
				}
			}
		}
		print_unpinned(p);
	}
	pin_all(true);
	stop_fuse();

	if (run_scaling(ops))
		rc = 1;
	stop_child(&daemon_pid, SIGKILL);
	progress("memory");
	run_memory();
	printf("\ntotal bench time %.0f s\n", (double)(now_ns() - t_start) / 1e9);
	return rc;
}
