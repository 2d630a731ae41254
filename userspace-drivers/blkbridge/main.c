// SPDX-License-Identifier: MIT
/*
 * blkbridge: serve a disk scheme (disk.*:N) as a Linux block device, through
 * ublk (/dev/ublkbN) where the kernel has it, else NBD (/dev/nbdN) over a
 * socket pair. README.md says how to use it; "uscheme blk" drives it.
 *
 *   blkbridge [--nbd|--ublk] [--device N] [--queue-depth N] [--background] [-v] disk.X:N
 *
 * This file: the disk handle, the client ring and its reactor (every disk
 * request goes through it, as many in flight as the frontend hands over),
 * the loop, signals, and the registry /run/uscheme/blk/DEV that "uscheme
 * blk list/detach" read.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "../libuscheme/libuscheme.h"
#include "blkbridge.h"

#define RING_ENTRIES	256
#define REGISTRY	"/run/uscheme/blk"

static const char *prog = "blkbridge";

void bb_log(struct bb *b, const char *fmt, ...)
{
	va_list ap;

	(void)b;
	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* ---- disk requests through the ring ---- */

static void io_complete(struct us_reactor *rx, struct us_op *op,
			const struct uscheme_cqe *cqe)
{
	struct bb_io *io = op->ctx;
	struct bb *b = io->b;
	int res = cqe->res;

	(void)rx;
	b->io_inflight--;
	if (res < 0) {
		b->n_err++;
		if (!b->disk_dead && io->gen == b->disk_gen && (res == -EPIPE || res == -ENODEV || res == -ESHUTDOWN ||
				      res == -ECONNRESET || res == -EBADF)) {
			b->disk_dead = true;
			bb_log(b, "%s: the disk's daemon is gone (%s): requests fail with EIO",
			       b->path, strerror(-res));
		}
	} else if (io->kind != BB_FSYNC && (uint32_t)res > io->len) {
		res = -EIO;	/* more than asked: a broken peer */
	}
	io->done(b, io, res);
}

static int io_start(struct bb *b, struct bb_io *io)
{
	struct uscheme_sqe *sqe;

	if (b->io_inflight >= b->max_inflight)
		return -EBUSY;
	io->op.complete = io_complete;
	io->op.ctx = io;
	io->b = b;
	sqe = us_reactor_sqe(&b->rx, &io->op);
	if (!sqe) {
		us_submit(&b->ring);
		sqe = us_reactor_sqe(&b->rx, &io->op);
		if (!sqe)
			return -EBUSY;
	}
	switch (io->kind) {
	case BB_READ:
		b->n_read++;
		us_prep_read(sqe, b->disk_fd, io->buf, io->len, io->off, sqe->user_data);
		break;
	case BB_WRITE:
		b->n_write++;
		us_prep_write(sqe, b->disk_fd, io->buf, io->len, io->off, sqe->user_data);
		break;
	case BB_FSYNC:
		b->n_fsync++;
		us_prep_fsync(sqe, b->disk_fd, sqe->user_data);
		break;
	}
	io->gen = b->disk_gen;
	b->io_inflight++;
	return 0;
}

void bb_submit(struct bb *b, struct bb_io *io)
{
	io->next = NULL;
	if (!b->wait_head && !io_start(b, io))
		return;
	if (b->wait_tail)
		b->wait_tail->next = io;
	else
		b->wait_head = io;
	b->wait_tail = io;
}

static void drain_waiting(struct bb *b)
{
	while (b->wait_head && !io_start(b, b->wait_head)) {
		b->wait_head = b->wait_head->next;
		if (!b->wait_head)
			b->wait_tail = NULL;
	}
}

/*
 * The disk's daemon went away (its handle answers -EPIPE): open the disk
 * again, at most once a second, so that a restarted daemon (pcid restarts
 * usbscsid) serves the device again. The same disk only: size, block size
 * and S_IFBLK as before. Until then requests fail with EIO at once.
 */
bool bb_disk_ok(struct bb *b)
{
	static struct timespec last;
	struct timespec now;
	struct stat st;
	int fd;

	if (!b->disk_dead)
		return true;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (last.tv_sec && (now.tv_sec - last.tv_sec) * 1000000000LL +
	    (now.tv_nsec - last.tv_nsec) < 1000000000LL)
		return false;
	last = now;
	fd = us_open(b->path, (b->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (fstat(fd, &st) || !S_ISBLK(st.st_mode) || (uint64_t)st.st_size != b->size ||
	    (uint32_t)st.st_blksize != b->bs) {
		bb_log(b, "%s is back, but not the same disk: requests keep failing", b->path);
		close(fd);
		return false;
	}
	/* Requests still in flight hold the old handle; they fail on their own. */
	close(b->disk_fd);
	b->disk_fd = fd;
	b->disk_gen++;
	b->disk_dead = false;
	bb_log(b, "%s is back: /dev/%s serves again", b->path, b->devname);
	return true;
}

/* ---- watched fds ---- */

struct bb_watch {
	struct us_op op;
	struct bb *b;
	int fd;
	bb_watch_fn fn;
	void *ctx;
	struct uscheme_fu_entry e;
	bool added;
};

static void watch_complete(struct us_reactor *rx, struct us_op *op,
			   const struct uscheme_cqe *cqe)
{
	struct bb_watch *w = op->ctx;

	(void)rx;
	if (!(cqe->flags & USCHEME_CQE_F_EVENT)) {
		/* The FILES_UPDATE's own completion: a watch that failed ends the bridge. */
		if (cqe->res != 1 || w->e.res) {
			int err = w->e.res ? w->e.res : (cqe->res < 0 ? cqe->res : -EIO);

			bb_log(w->b, "watching fd %d on the ring: %s", w->fd, strerror(-err));
			w->fn(w->b, w->fd, err, w->ctx);
			bb_finish(w->b, 1);
		}
		return;
	}
	w->fn(w->b, w->fd, cqe->res, w->ctx);
	if (!(cqe->flags & USCHEME_CQE_F_MORE))
		w->fn(w->b, w->fd, -ECANCELED, w->ctx);
}

static struct bb_watch *watches[8];
static unsigned int nwatches;

int bb_watch(struct bb *b, int fd, uint32_t events, bb_watch_fn fn, void *ctx)
{
	struct uscheme_sqe *sqe;
	struct bb_watch *w;
	uint64_t tag;

	if (nwatches == sizeof(watches) / sizeof(watches[0]))
		return -ENOSPC;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->op.complete = watch_complete;
	w->op.ctx = w;
	w->b = b;
	w->fd = fd;
	w->fn = fn;
	w->ctx = ctx;
	/*
	 * Two ops share one tag's callback: the registration (its events, with
	 * F_MORE) and the FILES_UPDATE itself. The tag lives in the table
	 * until the registration's final CQE (or the ring closes).
	 */
	tag = us_tags_get(&b->rx.tags, &w->op);
	if (!tag) {
		free(w);
		return -ENOMEM;
	}
	b->rx.inflight++;
	us_fu_entry(&w->e, fd, events, USCHEME_FU_ADD, tag);
	sqe = us_get_sqe(&b->ring);
	if (!sqe) {
		us_submit(&b->ring);
		sqe = us_get_sqe(&b->ring);
	}
	if (!sqe) {
		us_tags_lookup(&b->rx.tags, tag, true);
		b->rx.inflight--;
		free(w);
		return -EBUSY;
	}
	/* The op's completion: same tag, but without F_EVENT and F_MORE: it
	 * would free the tag. So the op's own CQE carries another tag. */
	{
		uint64_t optag = us_tags_get(&b->rx.tags, &w->op);

		if (!optag) {
			us_tags_lookup(&b->rx.tags, tag, true);
			b->rx.inflight--;
			free(w);
			return -ENOMEM;
		}
		b->rx.inflight++;
		us_prep_files_update(sqe, &w->e, 1, optag);
	}
	watches[nwatches++] = w;
	return 0;
}

static void watches_free(void)
{
	while (nwatches)
		free(watches[--nwatches]);
}

/* ---- signals ---- */

static void on_signal(struct bb *b, int fd, int events, void *ctx)
{
	struct signalfd_siginfo si;

	(void)ctx;
	if (events < 0)
		return;
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (b->stopping)
			continue;
		bb_log(b, "%s: %s: detaching /dev/%s", b->path, strsignal((int)si.ssi_signo),
		       b->devname);
		b->stopping = true;
		b->fe->stop(b);
	}
}

void bb_finish(struct bb *b, int exit_code)
{
	if (!b->done)
		b->exit_code = exit_code;
	b->done = true;
}

/* ---- the registry ---- */

static void registry_path(const struct bb *b, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s", REGISTRY, b->devname);
}

static void registry_add(struct bb *b)
{
	char path[128];
	FILE *f;

	if (mkdir("/run", 0755) && errno != EEXIST)
		return;
	if (mkdir("/run/uscheme", 0755) && errno != EEXIST)
		return;
	if (mkdir(REGISTRY, 0755) && errno != EEXIST)
		return;
	registry_path(b, path, sizeof(path));
	f = fopen(path, "we");
	if (!f) {
		bb_log(b, "%s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%d %s %s\n", (int)getpid(), b->fe->name, b->path);
	fclose(f);
}

static void registry_remove(struct bb *b)
{
	char path[128];

	registry_path(b, path, sizeof(path));
	unlink(path);
}

void bb_ready(struct bb *b)
{
	registry_add(b);
	bb_log(b, "%s (%" PRIu64 " bytes, block size %u%s) is /dev/%s (%s; pid %d)", b->path,
	       b->size, b->bs, b->ro ? ", read-only" : "", b->devname, b->fe->name, (int)getpid());
	if (b->ready_fd >= 0) {
		dprintf(b->ready_fd, "/dev/%s\n", b->devname);
		close(b->ready_fd);
		b->ready_fd = -1;
	} else {
		printf("/dev/%s\n", b->devname);
		fflush(stdout);
	}
}

/* ---- startup ---- */

static int usage(FILE *f)
{
	fprintf(f,
		"usage: %s [OPTIONS] disk.NAME:LUN\n"
		"Expose a disk scheme (READ, WRITE, FSTAT, FSYNC with disk semantics) as a Linux\n"
		"block device: ublk (/dev/ublkbN) where the kernel has it, else NBD (/dev/nbdN).\n"
		"\n"
		"  --nbd, --ublk        use that frontend only (default: ublk, else nbd)\n"
		"  --device N           /dev/nbdN or /dev/ublkbN (default: the first free one)\n"
		"  --queue-depth N      requests in flight, 1..%d (default 64; ublk)\n"
		"  --read-only          expose it read-only (also when the medium is)\n"
		"  --background         return once the device exists, printing its name\n"
		"  --verbose, -v        log more\n"
		"SIGTERM or SIGINT: in-flight requests finish, the device is removed.\n"
		"exit status: 0 detached, 1 failed, 2 usage error\n",
		prog, RING_ENTRIES);
	return f == stdout ? 0 : 2;
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*out = strtoul(s, &end, 10);
	return errno || *end || *out > max ? -1 : 0;
}

/* "disk.X:N" with a scheme name of [a-z0-9._-] and something after the colon. */
static int check_path(const char *p)
{
	const char *colon = strchr(p, ':');
	const char *c;

	if (!colon || colon == p || strncmp(p, "disk.", 5) || colon - p < 6 ||
	    colon - p >= USCHEME_NAME_MAX || !colon[1])
		return -1;
	for (c = p; c < colon; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' ||
		      *c == '_' || *c == '-'))
			return -1;
	return 0;
}

static int open_disk(struct bb *b, bool force_ro)
{
	struct stat st;
	int fd;

	fd = us_open(b->path, (force_ro ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (fd == -EROFS && !force_ro)
		fd = us_open(b->path, O_RDONLY | O_CLOEXEC), force_ro = true;
	if (fd < 0) {
		if (fd == -ENOENT) {
			char scheme[USCHEME_NAME_MAX];
			size_t n = (size_t)(strchr(b->path, ':') - b->path);

			memcpy(scheme, b->path, n);
			scheme[n] = 0;
			if (us_scheme_exists(scheme) == 0) {
				fprintf(stderr, "%s: %s: no such scheme \"%s\" (is its daemon running?)\n",
					prog, b->path, scheme);
				return -ENOENT;
			}
		}
		fprintf(stderr, "%s: cannot open %s: %s\n", prog, b->path, strerror(-fd));
		return fd;
	}
	if (fstat(fd, &st)) {
		fprintf(stderr, "%s: %s: fstat: %s\n", prog, b->path, strerror(errno));
		close(fd);
		return -EIO;
	}
	if (!S_ISBLK(st.st_mode)) {
		fprintf(stderr, "%s: %s is not a disk (fstat says mode 0%o, not S_IFBLK)\n",
			prog, b->path, (unsigned int)st.st_mode);
		close(fd);
		return -ENOTBLK;
	}
	if (st.st_blksize != 512 && st.st_blksize != 1024 && st.st_blksize != 2048 &&
	    st.st_blksize != 4096) {
		fprintf(stderr, "%s: %s: unsupported block size %ld (512..4096, a power of two)\n",
			prog, b->path, (long)st.st_blksize);
		close(fd);
		return -EINVAL;
	}
	if (st.st_size <= 0 || st.st_size % st.st_blksize) {
		fprintf(stderr, "%s: %s: bad size %lld\n", prog, b->path, (long long)st.st_size);
		close(fd);
		return -EINVAL;
	}
	b->disk_fd = fd;
	b->bs = (uint32_t)st.st_blksize;
	b->size = (uint64_t)st.st_size;
	b->ro = force_ro || !(st.st_mode & 0200);
	return 0;
}

/* --background: the parent waits for the device's name and prints it. */
static int background(int *ready_fd)
{
	int p[2], status;
	char buf[128];
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe(p))
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);

		close(p[0]);
		setsid();
		if (null >= 0) {
			dup2(null, STDIN_FILENO);
			dup2(null, STDOUT_FILENO);
			if (null > STDERR_FILENO)
				close(null);
		}
		*ready_fd = p[1];
		return 0;
	}
	close(p[1]);
	while (got < (ssize_t)sizeof(buf) - 1) {
		n = read(p[0], buf + got, sizeof(buf) - 1 - (size_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += n;
	}
	if (got <= 0) {
		waitpid(pid, &status, 0);
		exit(WIFEXITED(status) && WEXITSTATUS(status) ? WEXITSTATUS(status) : 1);
	}
	buf[got] = 0;
	fputs(buf, stdout);
	exit(0);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "nbd", no_argument, NULL, 'N' },
		{ "ublk", no_argument, NULL, 'U' },
		{ "device", required_argument, NULL, 'd' },
		{ "queue-depth", required_argument, NULL, 'q' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "background", no_argument, NULL, 'B' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct bb bb;
	struct bb *b = &bb;
	const struct bb_frontend *only = NULL;
	int bg = 0, c, err, sfd;
	bool force_ro = false;
	unsigned long v;
	sigset_t set;

	b->want_dev = -1;
	b->ready_fd = -1;
	b->queue_depth = 64;
	b->disk_fd = -1;
	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'N':
			only = &bb_nbd;
			break;
		case 'U':
			only = &bb_ublk;
			break;
		case 'd':
			if (parse_uint(optarg, 1023, &v)) {
				fprintf(stderr, "%s: bad --device '%s' (a number)\n", prog, optarg);
				return 2;
			}
			b->want_dev = (int)v;
			break;
		case 'q':
			if (parse_uint(optarg, RING_ENTRIES, &v) || !v) {
				fprintf(stderr, "%s: bad --queue-depth '%s' (1..%d)\n", prog, optarg,
					RING_ENTRIES);
				return 2;
			}
			b->queue_depth = (unsigned int)v;
			break;
		case 'r':
			force_ro = true;
			break;
		case 'B':
			bg = 1;
			break;
		case 'v':
			b->verbose = 1;
			break;
		case 'h':
			return usage(stdout);
		default:
			return usage(stderr);
		}
	}
	if (optind + 1 != argc) {
		fprintf(stderr, "%s: %s\n", prog, optind == argc ? "which disk? (disk.NAME:LUN)" :
			"one disk at a time");
		return usage(stderr);
	}
	b->path = argv[optind];
	if (check_path(b->path)) {
		fprintf(stderr, "%s: '%s' is not a disk scheme path (disk.NAME:LUN, e.g. disk.ram:0)\n",
			prog, b->path);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (bg) {
		err = background(&b->ready_fd);
		if (err) {
			fprintf(stderr, "%s: fork: %s\n", prog, strerror(-err));
			return 1;
		}
	}
	if (open_disk(b, force_ro))
		return 1;

	/* The frontend: the one asked for, or ublk where it works, else nbd. */
	if (only) {
		err = only->probe(b);
		if (err) {
			fprintf(stderr, "%s: %s is not available on this kernel: %s\n", prog,
				only->name, strerror(-err));
			close(b->disk_fd);
			return 1;
		}
		b->fe = only;
	} else if (!bb_ublk.probe(b)) {
		b->fe = &bb_ublk;
	} else if (!(err = bb_nbd.probe(b))) {
		b->fe = &bb_nbd;
	} else {
		fprintf(stderr, "%s: neither ublk nor nbd is available (load ublk_drv or nbd): %s\n",
			prog, strerror(-err));
		close(b->disk_fd);
		return 1;
	}

	/* The ring: disk requests, the frontend's fds and the signals, one wait. */
	err = us_ring_init(&b->ring, RING_ENTRIES, 0, 0);
	if (!err && !(b->ring.features & USCHEME_FEAT_FILES_UPDATE))
		err = -EOPNOTSUPP;
	if (!err)
		err = us_reactor_init(&b->rx, &b->ring, US_REACTOR_TAG, 4 * RING_ENTRIES);
	if (err) {
		fprintf(stderr, "%s: client ring: %s\n", prog, strerror(-err));
		close(b->disk_fd);
		return 1;
	}
	b->max_inflight = RING_ENTRIES;
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGHUP);
	sigprocmask(SIG_BLOCK, &set, NULL);
	sfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0 || bb_watch(b, sfd, USCHEME_EV_READ, on_signal, NULL)) {
		fprintf(stderr, "%s: signals: %s\n", prog, strerror(errno));
		return 1;
	}

	err = b->fe->start(b);
	if (err) {
		b->exit_code = 1;
		b->fe->cleanup(b);
		goto out;
	}
	if (!b->ready_later)
		bb_ready(b);

	while (!b->done || b->io_inflight || b->wait_head) {
		drain_waiting(b);
		err = us_reactor_run_once(&b->rx, -1);
		if (err < 0 && err != -EINTR && err != -ETIME && err != -EBUSY) {
			bb_log(b, "client ring failed: %s", strerror(-err));
			b->exit_code = 1;
			break;
		}
	}
	registry_remove(b);
	b->fe->cleanup(b);
	bb_log(b, "/dev/%s removed: %" PRIu64 " reads, %" PRIu64 " writes, %" PRIu64
	       " flushes, %" PRIu64 " failed", b->devname, b->n_read, b->n_write, b->n_fsync,
	       b->n_err);
out:
	us_ring_exit(&b->ring);
	us_reactor_exit(&b->rx);
	watches_free();
	close(sfd);
	close(b->disk_fd);
	return b->exit_code;
}
