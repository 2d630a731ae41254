// SPDX-License-Identifier: MIT
/*
 * Scheme rings and the name registry, from userspace on a loaded
 * uscheme.ko: setup and mapping of scheme rings, USCHEME_IOC_REGISTER's
 * rules and privilege, names freed when a daemon closes or dies, and
 * response intake (forged responses are dropped and counted).
 *
 * Usage: scheme_test [name-substring]
 */
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>

#include "../../userspace-drivers/libuscheme/libuscheme.h"
#include "../lib/tap.h"

static int scheme_ring(struct us_ring *r)
{
	return us_ring_init(r, 8, 0, USCHEME_SETUP_SCHEME);
}

static int reg_raw(int fd, const struct uscheme_register *reg)
{
	return ioctl(fd, USCHEME_IOC_REGISTER, reg) < 0 ? -errno : 0;
}

static int t_feature_and_mapping(void)
{
	struct uscheme_params p = { .sq_entries = 8, .flags = USCHEME_SETUP_SCHEME };
	uint64_t f = 0;
	void *m;
	int fd;

	CHECK_EQ(us_features(&f), 0);
	CHECK(f & USCHEME_FEAT_SCHEME_RING);
	fd = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(ioctl(fd, USCHEME_IOC_SETUP, &p), 0);
	CHECK(p.features & USCHEME_FEAT_SCHEME_RING);
	/* The kernel produces requests: read-only. The daemon writes responses. */
	m = mmap(NULL, p.sqes_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, USCHEME_OFF_SQES);
	CHECK(m == MAP_FAILED && errno == EPERM);
	m = mmap(NULL, p.sqes_size, PROT_READ, MAP_SHARED, fd, USCHEME_OFF_SQES);
	CHECK(m != MAP_FAILED);
	CHECK(mprotect(m, p.sqes_size, PROT_READ | PROT_WRITE) < 0 && errno == EACCES);
	munmap(m, p.sqes_size);
	m = mmap(NULL, p.cqes_size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, USCHEME_OFF_CQES);
	CHECK(m != MAP_FAILED);
	munmap(m, p.cqes_size);
	close(fd);
	return 0;
}

/* libuscheme hands out no SQEs on a scheme ring: writing one would fault. */
static int t_no_sqes_on_scheme_ring(void)
{
	struct us_ring s;

	CHECK_EQ(scheme_ring(&s), 0);
	CHECK(s.scheme);
	CHECK(us_get_sqe(&s) == NULL);
	us_ring_exit(&s);
	return 0;
}

static int t_register_rules(void)
{
	static const char *const bad[] = {
		"", "Ram", "a:b", "a/b", "a b", "caf\xc3\xa9", "tab\t", "x+y",
	};
	struct uscheme_register reg;
	struct us_ring s, s2, c;
	size_t i;
	int fd;

	fd = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	memset(&reg, 0, sizeof(reg));
	strcpy(reg.name, "t-rules");
	CHECK_EQ(reg_raw(fd, &reg), -EBADFD);	/* not set up */
	close(fd);

	CHECK_EQ(us_ring_init(&c, 4, 0, 0), 0);
	CHECK_EQ(us_register(&c, "t-rules"), -EINVAL);	/* a client ring */
	us_ring_exit(&c);

	CHECK_EQ(scheme_ring(&s), 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(us_register(&s, bad[i]), -EINVAL);
	memset(&reg, 'a', sizeof(reg.name));	/* no NUL in the array */
	CHECK_EQ(reg_raw(s.fd, &reg), -EINVAL);
	memset(&reg, 0, sizeof(reg));
	strcpy(reg.name, "t-rules");
	reg.flags = 1;
	CHECK_EQ(reg_raw(s.fd, &reg), -EINVAL);
	reg.flags = 0;
	reg.resv[2] = 1;
	CHECK_EQ(reg_raw(s.fd, &reg), -EINVAL);
	CHECK(ioctl(s.fd, USCHEME_IOC_REGISTER, NULL) < 0 && errno == EFAULT);

	memset(reg.name, 'a', USCHEME_NAME_MAX - 1);	/* the longest name */
	reg.name[USCHEME_NAME_MAX - 1] = '\0';
	reg.resv[2] = 0;
	CHECK_EQ(reg_raw(s.fd, &reg), 0);
	CHECK_EQ(us_register(&s, "t-rules"), -EBUSY);	/* one name per ring */
	CHECK_EQ(scheme_ring(&s2), 0);
	CHECK_EQ(reg_raw(s2.fd, &reg), -EEXIST);
	/* the kernel serves these itself */
	CHECK_EQ(us_register(&s2, "sys"), -EEXIST);
	CHECK_EQ(us_register(&s2, "pcidev"), -EEXIST);
	CHECK_EQ(us_register(&s2, "t-rules.v2_x-y"), 0);
	us_ring_exit(&s2);
	us_ring_exit(&s);
	return 0;
}

static int t_name_freed_on_close(void)
{
	struct us_ring a, b;

	CHECK_EQ(scheme_ring(&a), 0);
	CHECK_EQ(us_register(&a, "t-close"), 0);
	CHECK_EQ(scheme_ring(&b), 0);
	CHECK_EQ(us_register(&b, "t-close"), -EEXIST);
	us_ring_exit(&a);
	CHECK_EQ(us_register(&b, "t-close"), 0);	/* a restarted daemon */
	us_ring_exit(&b);
	return 0;
}

/* A daemon killed with SIGKILL frees its name by the time it is reaped. */
static int t_name_freed_on_kill(void)
{
	struct us_ring b;
	int ready[2], status;
	char c;
	pid_t pid;

	CHECK_EQ(pipe(ready), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct us_ring a;

		if (scheme_ring(&a) || us_register(&a, "t-kill"))
			_exit(2);
		if (write(ready[1], "x", 1) != 1)
			_exit(3);
		pause();
		_exit(4);
	}
	CHECK_EQ(read(ready[0], &c, 1), 1);
	CHECK_EQ(scheme_ring(&b), 0);
	CHECK_EQ(us_register(&b, "t-kill"), -EEXIST);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(us_register(&b, "t-kill"), 0);
	us_ring_exit(&b);
	return 0;
}

/*
 * Registering needs CAP_SYS_ADMIN, and so does setting up a scheme ring
 * (its data area is kernel memory nobody else could use).
 */
static int t_unprivileged_refused(void)
{
	int status;
	pid_t pid = fork();

	CHECK(pid >= 0);
	if (pid == 0) {
		struct us_ring s;

		if (setgid(65534) || setuid(65534))
			_exit(2);
		_exit(scheme_ring(&s) == -EPERM ? 0 : 3);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	return 0;
}

/* Responses naming no request (forged, duplicate, stale) are dropped and counted. */
static int t_forged_responses_dropped(void)
{
	struct uscheme_cqe *resp;
	struct uscheme_stats st;
	struct us_ring s;
	unsigned int n, i;

	CHECK_EQ(scheme_ring(&s), 0);
	CHECK_EQ(us_register(&s, "t-forged"), 0);
	resp = s.cqes;
	for (i = 0; i < 5; i++) {
		resp[i].user_data = 0x1234 + i;
		resp[i].res = (int)i;
		resp[i].flags = 0;
	}
	__atomic_store_n(&s.hdr->cq_tail, 5, __ATOMIC_RELEASE);
	CHECK_EQ(us_enter(&s, 5, 0, 0, 0, &n), 0);
	CHECK_EQ(n, 5);
	CHECK_EQ(__atomic_load_n(&s.hdr->cq_head, __ATOMIC_ACQUIRE), 5);
	CHECK_EQ(us_ring_stats(&s, &st), 0);
	CHECK_EQ(st.submitted, 5);
	CHECK_EQ(st.rejected, 5);
	CHECK_EQ(st.completed, 0);
	/* garbage tail: clamped, never past the ring */
	__atomic_store_n(&s.hdr->cq_tail, 0x80000000U, __ATOMIC_RELEASE);
	CHECK_EQ(us_enter(&s, ~0U, 0, 0, 0, &n), 0);
	CHECK_EQ(n, s.cq_entries);
	us_ring_exit(&s);
	return 0;
}

static int t_wait_for_requests(void)
{
	struct us_ring s;
	long long t0;

	CHECK_EQ(scheme_ring(&s), 0);
	CHECK_EQ(us_register(&s, "t-wait"), 0);
	t0 = tap_now_ns();
	CHECK_EQ(us_enter(&s, 0, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
			  10 * 1000 * 1000, NULL), -ETIME);
	CHECK(tap_now_ns() - t0 >= 10 * 1000 * 1000);
	/* a scheme ring waits for requests: at most its SQ size */
	CHECK_EQ(us_enter(&s, 0, s.sq_entries + 1, USCHEME_ENTER_GETEVENTS, 0, NULL), -EINVAL);
	us_ring_exit(&s);
	return 0;
}

/* A scheme ring polls POLLOUT while responses fit, POLLIN once requests wait. */
static int t_poll_scheme_ring(void)
{
	struct pollfd pfd;
	struct us_ring s;

	CHECK_EQ(scheme_ring(&s), 0);
	CHECK_EQ(us_register(&s, "t-poll"), 0);
	pfd.fd = s.fd;
	pfd.events = POLLIN | POLLOUT;
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK_EQ(pfd.revents, POLLOUT);	/* no requests routed yet */
	/* a full response queue: no POLLOUT until the kernel consumes it */
	__atomic_store_n(&s.hdr->cq_tail, s.cq_entries, __ATOMIC_RELEASE);
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	CHECK_EQ(us_enter(&s, s.cq_entries, 0, 0, 0, NULL), 0);
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK_EQ(pfd.revents, POLLOUT);
	us_ring_exit(&s);
	return 0;
}

static const struct tap_test tests[] = {
	{ "feature_and_mapping", t_feature_and_mapping, 0 },
	{ "no_sqes_on_scheme_ring", t_no_sqes_on_scheme_ring, 0 },
	{ "register_rules", t_register_rules, 0 },
	{ "name_freed_on_close", t_name_freed_on_close, 0 },
	{ "name_freed_on_kill", t_name_freed_on_kill, 0 },
	{ "unprivileged_refused", t_unprivileged_refused, 0 },
	{ "forged_responses_dropped", t_forged_responses_dropped, 0 },
	{ "wait_for_requests", t_wait_for_requests, 0 },
	{ "poll_scheme_ring", t_poll_scheme_ring, 0 },
};

int main(int argc, char **argv)
{
	return tap_run("scheme", tests, sizeof(tests) / sizeof(tests[0]),
		       argc > 1 ? argv[1] : NULL);
}
