// SPDX-License-Identifier: MIT
/*
 * The example daemons and libuscheme's client calls on a loaded uscheme.ko
 * (guest only): ram: files and directories, the ring prep helpers, null:,
 * zero:, echo:, ENOSPC, an unprivileged daemon refused, many handles, a
 * daemon of its own that defers answers and hears CANCEL, 1 MiB requests.
 * schemes-suite.sh starts the daemons this expects.
 *
 * It expects ramd serving ram: and small: (--max-bytes 64K), and nulld.
 *
 * Usage: schemes_test [name-substring]
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "../../lib/tap.h"
#include "../../../userspace-drivers/libuscheme/daemon.h"

static int t_ram_files(void)
{
	char buf[256];
	struct stat st;
	int fd, fd2;

	fd = us_open("ram:/smoke-f", O_RDWR | O_CREAT | O_EXCL);
	CHECK(fd >= 0);
	CHECK_EQ(us_open("ram:/smoke-f", O_RDWR | O_CREAT | O_EXCL), -EEXIST);
	CHECK_EQ(write(fd, "hello world", 11), 11);
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 11);
	CHECK(!memcmp(buf, "hello world", 11));
	CHECK_EQ(lseek(fd, 6, SEEK_SET), 6);
	CHECK_EQ(read(fd, buf, 5), 5);
	CHECK(!memcmp(buf, "world", 5));
	CHECK_EQ(read(fd, buf, 5), 0);
	CHECK_EQ(pwrite(fd, "Z", 1, 20), 1);	/* sparse */
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 21);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0644);
	CHECK_EQ(st.st_nlink, 1);
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 21);
	CHECK(!memcmp(buf, "hello world\0\0\0\0\0\0\0\0\0Z", 21));
	CHECK_EQ(ftruncate(fd, 5), 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 5);
	CHECK_EQ(fsync(fd), 0);
	fd2 = us_dup(fd, "", 0);
	CHECK(fd2 >= 0);
	CHECK_EQ(pread(fd2, buf, sizeof(buf), 0), 5);
	close(fd2);
	close(fd);

	/* Errors as POSIX users expect. */
	CHECK_EQ(us_open("ram:/nope", O_RDONLY), -ENOENT);
	CHECK_EQ(us_open("ram:/smoke-f/x", O_RDONLY), -ENOTDIR);
	CHECK_EQ(us_open("ram:/smoke-f", O_RDONLY | O_DIRECTORY), -ENOTDIR);
	CHECK_EQ(us_open("noscheme:/x", O_RDONLY), -ENOENT);
	CHECK_EQ(us_scheme_exists("ram"), 1);
	CHECK_EQ(us_scheme_exists("noscheme"), 0);
	CHECK_EQ(us_scheme_exists("sys:x"), 1);

	/* O_APPEND, O_TRUNC. */
	fd = us_open("ram:/smoke-f", O_WRONLY | O_APPEND);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "++", 2), 2);
	close(fd);
	fd = us_open("ram:/smoke-f", O_RDONLY);
	CHECK_EQ(read(fd, buf, sizeof(buf)), 7);
	CHECK(!memcmp(buf, "hello++", 7));
	close(fd);
	fd = us_open("ram:/smoke-f", O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 0);
	CHECK_EQ(read(fd, buf, 1), -1);	/* not opened for reading */
	CHECK_EQ(errno, EBADF);
	close(fd);
	return 0;
}

static int t_ram_dirs(void)
{
	char buf[256];
	struct stat st;
	int d, f, g;
	ssize_t n;

	d = us_open("ram:/smoke-d", O_RDONLY | O_CREAT | O_DIRECTORY);
	CHECK(d >= 0);
	CHECK_EQ(fstat(d, &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	CHECK_EQ(st.st_mode & 07777, 0755);
	f = us_open("ram:/smoke-d/b", O_WRONLY | O_CREAT);
	CHECK(f >= 0);
	close(f);
	f = us_open("ram:/smoke-d/a", O_WRONLY | O_CREAT);
	CHECK(f >= 0);
	close(f);
	CHECK_EQ(us_open("ram:/smoke-d", O_WRONLY), -EISDIR);
	n = pread(d, buf, sizeof(buf) - 1, 0);
	CHECK_EQ(n, 4);
	buf[n] = 0;
	CHECK(!strcmp(buf, "a\nb\n"));
	g = us_dup(d, "b", 0);
	CHECK(g >= 0);
	CHECK_EQ(fstat(g, &st), 0);
	CHECK(S_ISREG(st.st_mode));
	close(g);
	CHECK_EQ(us_dup(d, "zz", 0), -ENOENT);
	close(d);
	return 0;
}

/* The ring path: every prep helper through a client ring. */
static int t_ring_ops(void)
{
	struct uscheme_stat st;
	struct uscheme_cqe *cqe;
	struct uscheme_sqe *sqe;
	struct us_ring r;
	char buf[64], out[64];
	int fd, fd2;

	CHECK_EQ(us_ring_init(&r, 8, 0, 0), 0);
	CHECK(r.features & USCHEME_FEAT_SCHEME);
#define RUN(prep, want) do {						\
	sqe = us_get_sqe(&r);						\
	CHECK(sqe);							\
	prep;								\
	CHECK_EQ(us_submit_and_wait(&r, 1), 1);				\
	cqe = us_peek_cqe(&r);						\
	CHECK(cqe);							\
	CHECK_EQ(cqe->user_data, 7);					\
	if ((want) != -9999) CHECK_EQ(cqe->res, (want));		\
} while (0)
	RUN(us_prep_open(sqe, "ram:/smoke-r", O_RDWR | O_CREAT, 7), -9999);
	fd = cqe->res;
	CHECK(fd >= 0);
	us_cqe_seen(&r);
	RUN(us_prep_write(sqe, fd, "ringdata", 8, 0, 7), 8);
	us_cqe_seen(&r);
	memset(buf, 0, sizeof(buf));
	RUN(us_prep_read(sqe, fd, buf, sizeof(buf), 4, 7), 4);
	CHECK(!memcmp(buf, "data", 4));
	us_cqe_seen(&r);
	RUN(us_prep_read(sqe, fd, buf, 4, USCHEME_OFF_CURRENT, 7), 4);
	CHECK(!memcmp(buf, "ring", 4));
	us_cqe_seen(&r);
	RUN(us_prep_fstat(sqe, fd, &st, 7), 0);
	CHECK_EQ(st.size, 8);
	CHECK_EQ(st.mode, S_IFREG | 0644);
	us_cqe_seen(&r);
	RUN(us_prep_fsync(sqe, fd, 7), 0);
	us_cqe_seen(&r);
	RUN(us_prep_ftruncate(sqe, fd, 2, 7), 0);
	us_cqe_seen(&r);
	RUN(us_prep_dup(sqe, fd, "", O_CLOEXEC, 7), -9999);
	fd2 = cqe->res;
	CHECK(fd2 >= 0);
	CHECK(fcntl(fd2, F_GETFD) & FD_CLOEXEC);
	us_cqe_seen(&r);
	RUN(us_prep_read(sqe, fd2, buf, sizeof(buf), 0, 7), 2);
	us_cqe_seen(&r);
	RUN(us_prep_call(sqe, fd2, "x", 1, out, sizeof(out), 0, 7), -ENOSYS);
	us_cqe_seen(&r);
	RUN(us_prep_close(sqe, fd2, 7), 0);
	us_cqe_seen(&r);
	CHECK(fcntl(fd2, F_GETFD) < 0);
	RUN(us_prep_cancel(sqe, 12345, 7), -ENOENT);
	us_cqe_seen(&r);
	close(fd);

	/* echo: through CALL. */
	RUN(us_prep_open(sqe, "echo:x", O_RDWR, 7), -9999);
	fd = cqe->res;
	CHECK(fd >= 0);
	us_cqe_seen(&r);
	RUN(us_prep_call(sqe, fd, "ping", 4, out, sizeof(out), 0, 7), 4);
	CHECK(!memcmp(out, "ping", 4));
	us_cqe_seen(&r);
	close(fd);
	us_ring_exit(&r);
	return 0;
}

static int t_null_zero_echo(void)
{
	char buf[8192], out[16];
	int fd;
	size_t i;

	fd = us_open("null:anything", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	CHECK_EQ(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	fd = us_open("zero:", O_RDONLY);
	CHECK(fd >= 0);
	memset(buf, 0x55, sizeof(buf));
	CHECK_EQ(read(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	for (i = 0; i < sizeof(buf); i++)
		CHECK_EQ(buf[i], 0);
	close(fd);
	fd = us_open("echo:", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "abc", 3), 3);
	CHECK_EQ(write(fd, "def", 3), 3);
	CHECK_EQ(read(fd, buf, 4), 4);
	CHECK(!memcmp(buf, "abcd", 4));
	CHECK_EQ(read(fd, buf, 100), 2);
	CHECK_EQ(read(fd, buf, 100), 0);
	CHECK_EQ(us_call(fd, "hello", 5, out, 3, 0), 3);
	CHECK(!memcmp(out, "hel", 3));
	close(fd);
	CHECK_EQ(us_open("echo:", O_RDONLY | O_DIRECTORY), -ENOTDIR);
	return 0;
}

/* --max-bytes: ENOSPC (ramd --name small --max-bytes 64K is running). */
static int t_enospc(void)
{
	static char big[48 << 10];
	int fd = us_open("small:/f", O_RDWR | O_CREAT);
	ssize_t n;

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, big, sizeof(big)), (ssize_t)sizeof(big));
	n = write(fd, big, sizeof(big));
	CHECK_EQ(n, 16 << 10);	/* shortened to what fits */
	CHECK_EQ(write(fd, big, 1), -1);
	CHECK_EQ(errno, ENOSPC);
	CHECK_EQ(ftruncate(fd, 1 << 20), -1);
	CHECK_EQ(errno, ENOSPC);
	close(fd);
	return 0;
}

/* Registering without CAP_SYS_ADMIN: ramd says so and exits 1. */
static int t_unprivileged_daemon(void)
{
	int p[2], status;
	char msg[512] = "";
	ssize_t n;
	pid_t pid;

	CHECK_EQ(pipe(p), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(p[1], 2);
		if (setgid(65534) || setuid(65534))
			_exit(9);
		execlp("ramd", "ramd", "--name", "unpriv", (char *)NULL);
		_exit(8);
	}
	close(p[1]);
	n = read(p[0], msg, sizeof(msg) - 1);
	CHECK(n > 0);
	msg[n] = 0;
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 1);
	msg[strcspn(msg, "\n")] = 0;	/* one diagnostic line, never glued to "ok" */
	fprintf(stderr, "  (message: %s)\n", msg);
	CHECK(strstr(msg, "ramd: cannot register scheme unpriv: needs CAP_SYS_ADMIN (EPERM)"));
	return 0;
}

/* Many handles: ids reused, and a daemon holding many open at once. */
static int t_many_handles(void)
{
	int fds[300], i;

	for (i = 0; i < 300; i++) {
		fds[i] = us_open("null:x", O_RDONLY);
		CHECK(fds[i] >= 0);
	}
	for (i = 0; i < 300; i++)
		close(fds[i]);
	for (i = 0; i < 2000; i++) {
		int fd = us_open("ram:/smoke-many", O_RDWR | O_CREAT);

		CHECK(fd >= 0);
		CHECK_EQ(write(fd, "x", 1), 1);
		close(fd);
	}
	return 0;
}

/* Not a check: round trips per second through a daemon, syscall path. */
/* Many small reads on one handle: each is its own round trip, all zeros. */
static int t_many_small_reads(void)
{
	static char buf[64];
	int fd = us_open("zero:", O_RDONLY), i, j;

	CHECK(fd >= 0);
	for (i = 0; i < 5000; i++) {
		memset(buf, 0xa5, sizeof(buf));
		CHECK_EQ(pread(fd, buf, sizeof(buf), i), (long)sizeof(buf));
		for (j = 0; j < (int)sizeof(buf); j++)
			CHECK_EQ(buf[j], 0);
	}
	close(fd);
	return 0;
}

/*
 * A daemon of our own, with the framework: READ at offset 0 is deferred
 * and answered ~100 ms later from the daemon's loop (us_daemon_run_once
 * with a timeout); READ at offset 1 is never answered until the client
 * gives up (CANCEL), which the daemon reports on a pipe.
 */
struct deferd {
	uint64_t tag;
	void *buf;
	long long due;		/* 0: nothing deferred */
	uint64_t cancel_tag;
	int report;		/* pipe to the test */
};

static int dd_open(struct us_daemon *d, const struct uscheme_req *req,
		   const char *path, void **state)
{
	(void)d;
	(void)req;
	(void)path;
	*state = NULL;
	return 0;
}

static int dd_read(struct us_daemon *d, const struct uscheme_req *req,
		   void *state, void *buf, size_t len, uint64_t off)
{
	struct deferd *x = d->ctx;

	(void)state;
	if (len < 4)
		return -EINVAL;
	x->tag = req->tag;
	x->buf = buf;
	x->due = off == 0 ? tap_now_ns() + 100000000LL : -1;
	return US_DEFER;
}

static void dd_cancel(struct us_daemon *d, uint64_t tag)
{
	struct deferd *x = d->ctx;

	if (x->due && tag == x->tag) {
		us_reply(d, tag, -ECANCELED);	/* answered anyway; discarded */
		x->due = 0;
		if (write(x->report, "c", 1) != 1)
			_exit(3);
	}
}

static const struct us_scheme_ops deferd_ops = {
	.open = dd_open, .read = dd_read, .cancel = dd_cancel,
};

static void on_alarm(int sig)
{
	(void)sig;
}

static int t_defer_cancel_live(void)
{
	int ready[2], report[2], fd, status;
	struct sigaction sa;
	char c, buf[16];
	pid_t pid;

	CHECK_EQ(pipe(ready), 0);
	CHECK_EQ(pipe(report), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct deferd x = { .report = report[1] };
		struct us_daemon d;

		if (us_daemon_init(&d, "deferd", &deferd_ops, &x, NULL) ||
		    us_daemon_handle_signals(&d) || write(ready[1], "r", 1) != 1)
			_exit(2);
		while (!us_daemon_stopped(&d)) {
			int r = us_daemon_run_once(&d, 20000000);

			if (r < 0 && r != -ETIME && r != -EINTR)
				_exit(4);
			if (x.due > 0 && tap_now_ns() >= x.due) {
				memcpy(x.buf, "late", 4);
				us_reply(&d, x.tag, 4);
				x.due = 0;
				us_daemon_flush(&d);
			}
		}
		us_daemon_exit(&d);
		_exit(d.stats.deferred == 2 ? 0 : 5);
	}
	CHECK_EQ(read(ready[0], &c, 1), 1);
	fd = us_open("deferd:x", O_RDONLY);
	CHECK(fd >= 0);
	/* Deferred, answered later. */
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 4);
	CHECK(!memcmp(buf, "late", 4));
	/* Never answered: a signal interrupts the client, the daemon hears CANCEL. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
	alarm(1);
	CHECK_EQ(pread(fd, buf, sizeof(buf), 1), -1);
	CHECK_EQ(errno, EINTR);
	CHECK_EQ(read(report[0], &c, 1), 1);
	CHECK_EQ(c, 'c');
	close(fd);
	CHECK_EQ(kill(pid, SIGTERM), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	CHECK_EQ(us_scheme_exists("deferd"), 0);
	return 0;
}

/* The largest requests: 1 MiB each way (longer ones are shortened). */
static int t_big_io(void)
{
	size_t len = USCHEME_IO_MAX + 4096, i;
	char *a = malloc(len), *b = malloc(len + 4096);
	int fd = us_open("ram:/smoke-big", O_RDWR | O_CREAT | O_TRUNC);

	CHECK(a && b && fd >= 0);
	for (i = 0; i < len; i++)
		a[i] = (char)(i * 7 + i / 4096);
	CHECK_EQ(pwrite(fd, a, len, 0), USCHEME_IO_MAX);
	CHECK_EQ(pwrite(fd, a + USCHEME_IO_MAX, 4096, USCHEME_IO_MAX), 4096);
	memset(b, 0, len);
	CHECK_EQ(pread(fd, b, len, 0), USCHEME_IO_MAX);
	CHECK_EQ(pread(fd, b + USCHEME_IO_MAX, 8192, USCHEME_IO_MAX), 4096);	/* then end of file */
	CHECK(!memcmp(a, b, len));
	close(fd);
	free(a);
	free(b);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct tap_test tests[] = {
		{ "ram_files", t_ram_files, 0 },
		{ "ram_dirs", t_ram_dirs, 0 },
		{ "ring_ops", t_ring_ops, 0 },
		{ "null_zero_echo", t_null_zero_echo, 0 },
		{ "enospc", t_enospc, 0 },
		{ "unprivileged_daemon", t_unprivileged_daemon, 0 },
		{ "many_handles", t_many_handles, 0 },
		{ "defer_cancel_live", t_defer_cancel_live, 0 },
		{ "big_io", t_big_io, 0 },
		{ "many_small_reads", t_many_small_reads, 0 },
	};

	return tap_run("schemes", tests, sizeof(tests) / sizeof(tests[0]),
		       argc > 1 ? argv[1] : NULL);
}
