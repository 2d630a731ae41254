// SPDX-License-Identifier: MIT
/*
 * The events suite (events.h): file references the unix-socket GC cannot
 * see: refused watches, watch cycles released.
 */
#include "events.h"

/* ------------------------------------------------------------------ */
/* File references the unix-socket garbage collector cannot see        */
/* ------------------------------------------------------------------ */

#define RINGS_PATH	"/sys/class/misc/uscheme/rings"

/* Ring files alive now (the module's own count), or -1. */
static int rings_live(void)
{
	char b[32];
	int fd = open(RINGS_PATH, O_RDONLY | O_CLOEXEC), n;

	if (fd < 0)
		return -1;
	n = (int)read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	b[n] = '\0';
	return atoi(b);
}

/*
 * The ring count comes back to base within SLOW_MS. Each poll also closes
 * a unix socket, which runs the unix GC if anything is in flight.
 */
static int rings_back_to(int base, const char *what)
{
	long long end = deadline(SLOW_MS);
	int n, sp[2];

	for (;;) {
		n = rings_live();
		if (n >= 0 && n <= base)
			return 0;
		if (tap_now_ns() > end) {
			fprintf(stderr, "  %s: %d ring(s) alive, %d before: leaked\n", what, n, base);
			return -1;
		}
		if (!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp)) {
			close(sp[0]);
			close(sp[1]);
		}
		usleep(20 * 1000);
	}
}

/* Send fd over the unix socket sock (SCM_RIGHTS) with one byte. */
int send_fd(int sock, int fd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	char c = 'f';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr m;
	struct cmsghdr *cm;

	memset(&u, 0, sizeof(u));
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.b;
	m.msg_controllen = sizeof(u.b);
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -errno;
}

/* A new io_uring instance (raw syscalls: no liburing in every build). */
int uring_new(void)
{
	struct io_uring_params p;
	long fd;

	memset(&p, 0, sizeof(p));
	fd = syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0) {
		fprintf(stderr, "  io_uring_setup: %s\n", strerror(errno));
		return -errno;
	}
	return (int)fd;
}

/* Register fd as a fixed file of io_uring ufd: the io_uring holds its file. */
static int uring_hold(int ufd, int fd)
{
	__s32 fds[1] = { fd };

	if (syscall(__NR_io_uring_register, ufd, IORING_REGISTER_FILES, fds, 1) < 0) {
		fprintf(stderr, "  io_uring_register(FILES): %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

/* Watching an AF_UNIX socket or an io_uring instance is refused; epoll is fine. */
int t_unix_io_uring_refused(void)
{
	struct tr t;
	int s[2], d[2], u, ep;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, d), 0);
	u = uring_new();
	CHECK(u >= 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, s[0], EVR, FU_ADD, 1), -EOPNOTSUPP);
	CHECK_EQ(fu1(&t, s[1], EVW, FU_ADD | FU_ONESHOT, 2), -EOPNOTSUPP);
	CHECK_EQ(fu1(&t, d[0], EVR, FU_ADD, 3), -EOPNOTSUPP);
	CHECK_EQ(fu1(&t, u, EVR, FU_ADD, 4), -EOPNOTSUPP);
	/* Nothing was registered: MOD and DEL find nothing. */
	CHECK_EQ(fu1(&t, s[0], EVR, FU_MOD, 1), -ENOENT);
	CHECK_EQ(fu1(&t, u, 0, FU_DEL, 0), -ENOENT);
	CHECK_EQ(fu1(&t, ep, EVR, FU_ADD, 5), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	close(s[0]);
	close(s[1]);
	close(d[0]);
	close(d[1]);
	close(u);
	close(ep);
	return 0;
}

/*
 * Run build() in a child that then exits (closing every fd it had), and
 * check every ring it made is released: the ring count comes back.
 */
int cycle_run(const char *what, int (*build)(void))
{
	int base = rings_live(), st;
	pid_t pid;

	CHECK(base >= 0);
	pid = fork_child();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(build() ? 1 : 0);
	st = wait_exit(pid, SLOW_MS * 2);
	if (!exited_ok(st)) {
		fprintf(stderr, "  %s: the cycle's builder failed\n", what);
		return -1;
	}
	return rings_back_to(base, what);
}

/* A ring watches a socket whose queue holds the ring's own fd. */
static int build_unix_watch(void)
{
	struct tr t;
	int s[2], r;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) || tr_init(&t, 8, 0))
		return -1;
	if (send_fd(s[1], t.r.fd))
		return -1;
	r = fu1(&t, s[0], EVR, FU_ADD, 1);
	if (r != -EOPNOTSUPP)
		fprintf(stderr, "  watch of the socket: %d (want -EOPNOTSUPP)\n", r);
	return r == 0 || r == -EOPNOTSUPP ? 0 : -1;	/* the count decides */
}

/* An io_uring has the ring as a registered file, and the ring watches it. */
static int build_uring_watch(void)
{
	struct tr t;
	int u, r;

	if (tr_init(&t, 8, 0))
		return -1;
	u = uring_new();
	if (u < 0 || uring_hold(u, t.r.fd))
		return -1;
	r = fu1(&t, u, EVR, FU_ADD, 1);
	if (r != -EOPNOTSUPP)
		fprintf(stderr, "  watch of the io_uring: %d (want -EOPNOTSUPP)\n", r);
	return r == 0 || r == -EOPNOTSUPP ? 0 : -1;
}

/*
 * The epoll way: the ring watches an epoll fd that watches the socket
 * holding the ring's fd. epoll holds no references: nothing leaks.
 */
static int build_epoll_watch(void)
{
	struct tr t;
	int s[2], ep;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) || tr_init(&t, 8, 0))
		return -1;
	ep = epoll_on(s[0], EPOLLIN);
	if (ep < 0 || send_fd(s[1], ep) || send_fd(s[1], t.r.fd))
		return -1;
	if (fu1(&t, ep, EVR, FU_ADD, 1))
		return -1;
	return ev_expect(&t, 1, EV | MORE, EVR);	/* the socket has data */
}

/* The ring watching a socket/io_uring holding it: the cycles are released. */
int t_gc_watch_cycles(void)
{
	int leaks = 0;

	/* Every cycle is tried (and reported) even when one leaks. */
	leaks += !!cycle_run("a ring watching a socket that holds it", build_unix_watch);
	leaks += !!cycle_run("a ring watching an io_uring that holds it", build_uring_watch);
	leaks += !!cycle_run("a ring watching an epoll fd on a socket that holds both",
			     build_epoll_watch);
	CHECK_EQ(leaks, 0);
	return 0;
}
