// SPDX-License-Identifier: MIT
/*
 * ramd: serves "ram:", a file tree in memory (ramfs.c), with the daemon
 * framework (libuscheme/daemon.h).
 *
 *   ramd [--name NAME] [--max-bytes SIZE] [--max-files N] [--data-size SIZE]
 *        [--background] [--foreground] [--verbose]
 *
 *   uscheme write ram:/notes <file	(O_CREAT|O_TRUNC)
 *   uscheme cat ram:/notes
 *   uscheme ls ram:/
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../libuscheme/daemon.h"
#include "common.h"
#include "ramfs.h"

static const char *prog = "ramd";
static int verbose;

static struct ramfs *fs_of(struct us_daemon *d)
{
	return d->ctx;
}

static void trace(const struct uscheme_req *req, const char *what, long res)
{
	if (verbose)
		fprintf(stderr, "%s: pid %u uid %u: %s id %" PRIu64 " off %" PRIu64
			" len %u -> %ld\n", prog, req->pid, req->uid, what,
			(uint64_t)req->id, (uint64_t)req->off, req->len, res);
}

static int r_open(struct us_daemon *d, const struct uscheme_req *req,
		  const char *path, void **state)
{
	struct ramfs_handle *h = NULL;
	int err = ramfs_open(fs_of(d), path, (int)req->op_flags, req->uid,
			     req->gid, &h);

	if (verbose)
		fprintf(stderr, "%s: pid %u uid %u: open \"%s\" flags 0%o -> %d\n",
			prog, req->pid, req->uid, path, req->op_flags, err);
	*state = h;
	return err;
}

static int r_read(struct us_daemon *d, const struct uscheme_req *req,
		  void *state, void *buf, size_t len, uint64_t off)
{
	long r = ramfs_read(fs_of(d), state, buf, len, off);

	trace(req, "read", r);
	return (int)r;	/* len <= USCHEME_IO_MAX */
}

static int r_write(struct us_daemon *d, const struct uscheme_req *req,
		   void *state, const void *buf, size_t len, uint64_t off)
{
	long r = ramfs_write(fs_of(d), state, buf, len, off);

	trace(req, "write", r);
	return (int)r;
}

static int r_fstat(struct us_daemon *d, const struct uscheme_req *req,
		   void *state, struct uscheme_stat *st)
{
	int r = ramfs_stat(fs_of(d), state, st);

	trace(req, "fstat", r);
	return r;
}

static int r_fsync(struct us_daemon *d, const struct uscheme_req *req,
		   void *state)
{
	(void)d;
	(void)state;
	trace(req, "fsync", 0);
	return 0;	/* memory is as durable as it gets */
}

static int r_ftruncate(struct us_daemon *d, const struct uscheme_req *req,
		       void *state, uint64_t length)
{
	int r = ramfs_truncate(fs_of(d), state, length);

	trace(req, "ftruncate", r);
	return r;
}

static int r_dup(struct us_daemon *d, const struct uscheme_req *req,
		 void *state, const char *suffix, void **new_state)
{
	struct ramfs_handle *h = NULL;
	int err = ramfs_dup(fs_of(d), state, suffix, &h);

	if (verbose)
		fprintf(stderr, "%s: pid %u uid %u: dup id %" PRIu64 " \"%s\" -> %d\n",
			prog, req->pid, req->uid, (uint64_t)req->id, suffix, err);
	*new_state = h;
	return err;
}

static void r_close(struct us_daemon *d, void *state)
{
	ramfs_close(fs_of(d), state);
}

static const struct us_scheme_ops ram_ops = {
	.open = r_open,
	.read = r_read,
	.write = r_write,
	.fstat = r_fstat,
	.fsync = r_fsync,
	.ftruncate = r_ftruncate,
	.dup = r_dup,
	.close = r_close,
};

static int usage(FILE *f)
{
	fprintf(f,
		"usage: %s [OPTIONS]\n"
		"Serve a scheme (default \"ram\") whose paths are files and directories in\n"
		"memory: open with O_CREAT/O_EXCL/O_TRUNC/O_APPEND, O_CREAT|O_DIRECTORY makes a\n"
		"directory, a directory reads as its names one per line.\n"
		"\n"
		"  --name NAME        the scheme name (1-63 of [a-z0-9._-]; default ram)\n"
		"  --max-bytes SIZE   file data limit, then ENOSPC (default 64M; K/M/G suffixes)\n"
		"  --max-files N      files and directories limit (default 1048576)\n"
		"  --data-size SIZE   the ring's data area (default 8M; 2M..256M)\n"
		"  --background       return once serving, printing the daemon's pid\n"
		"  --foreground       stay in the foreground (the default)\n"
		"  --verbose, -v      log every request to stderr\n"
		"  --help, -h         this text\n"
		"Needs CAP_SYS_ADMIN (registering a scheme name). SIGINT or SIGTERM: exit 0.\n",
		prog);
	return f == stdout ? 0 : 2;
}

/* The signal that stopped us, when it came through the signalfd. */
static int stop_signal;

static void on_signalfd(struct us_daemon *d, int fd, int events, void *ctx)
{
	struct signalfd_siginfo si;

	(void)ctx;
	if (events < 0)
		return;
	/* Edge-triggered: drain it all. */
	while (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		stop_signal = (int)si.ssi_signo;
		us_daemon_stop(d);
	}
}

static int ramd_watch_signals(struct us_daemon *d)
{
	sigset_t set;
	int fd, err;

	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (sigprocmask(SIG_BLOCK, &set, NULL)) {
		err = -errno;
		close(fd);
		return err;
	}
	err = us_daemon_watch(d, fd, USCHEME_EV_READ, on_signalfd, NULL);
	if (err) {
		sigprocmask(SIG_UNBLOCK, &set, NULL);
		close(fd);
	}
	return err;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "max-bytes", required_argument, NULL, 'b' },
		{ "max-files", required_argument, NULL, 'f' },
		{ "data-size", required_argument, NULL, 'D' },
		{ "background", no_argument, NULL, 'B' },
		{ "foreground", no_argument, NULL, 'F' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t max_bytes = 64ULL << 20, max_files = 1 << 20, data_size = 0;
	struct us_daemon_config cfg = { 0 };
	const char *name = "ram";
	int background = 0, ready = -1, c, err;
	struct us_daemon d;
	struct ramfs *fs;

	while ((c = getopt_long(argc, argv, "n:vh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 'b':
			if (parse_size(optarg, &max_bytes)) {
				fprintf(stderr, "%s: bad --max-bytes '%s'\n", prog, optarg);
				return 2;
			}
			break;
		case 'f':
			if (parse_size(optarg, &max_files) || !max_files) {
				fprintf(stderr, "%s: bad --max-files '%s'\n", prog, optarg);
				return 2;
			}
			break;
		case 'D':
			if (parse_size(optarg, &data_size) || data_size > USCHEME_DATA_MAX) {
				fprintf(stderr, "%s: bad --data-size '%s'\n", prog, optarg);
				return 2;
			}
			break;
		case 'B':
			background = 1;
			break;
		case 'F':
			background = 0;
			break;
		case 'v':
			verbose = 1;
			break;
		case 'h':
			return usage(stdout);
		default:
			return usage(stderr);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		return usage(stderr);
	}

	if (background)
		ready = daemon_background(prog);
	fs = ramfs_new(max_bytes, max_files + 1, (uint32_t)geteuid(), (uint32_t)getegid());
	if (!fs) {
		fprintf(stderr, "%s: out of memory\n", prog);
		return 1;
	}
	cfg.data_size = (size_t)data_size;
	err = us_daemon_init(&d, name, &ram_ops, fs, &cfg);
	if (err) {
		us_daemon_perror(prog, &d, err);
		ramfs_free(fs);
		return 1;
	}
	/*
	 * SIGINT/SIGTERM arrive through a signalfd watched by the daemon's
	 * own loop (FilesUpdate): one wait for requests and signals. Without
	 * FilesUpdate, fall back to a signal handler.
	 */
	err = ramd_watch_signals(&d);
	if (err == -EOPNOTSUPP)
		err = us_daemon_handle_signals(&d);
	if (err) {
		fprintf(stderr, "%s: signals: %s\n", prog, strerror(-err));
		us_daemon_exit(&d);
		ramfs_free(fs);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "%s: serving %s: (pid %d, max %" PRIu64 " bytes of file data, "
		"data area %zu bytes)\n", prog, d.name, (int)getpid(), max_bytes,
		d.ring.data_size);
	daemon_ready(ready);

	err = us_daemon_run(&d);
	if (err)
		fprintf(stderr, "%s: scheme ring failed: %s\n", prog, strerror(-err));
	else
		fprintf(stderr, "%s: stopping on %s: %" PRIu64 " requests, %u handles open, "
			"%" PRIu64 " bytes in %" PRIu64 " files and directories\n", prog,
			strsignal(stop_signal ? stop_signal : us_daemon_signal()), d.stats.requests,
			us_handle_count(&d), ramfs_bytes(fs), ramfs_nodes(fs));
	us_daemon_exit(&d);
	ramfs_free(fs);
	return err ? 1 : 0;
}
