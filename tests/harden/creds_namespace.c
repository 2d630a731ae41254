// SPDX-License-Identifier: MIT
/*
 * Credentials cross into the daemon's namespaces (THREAT-MODEL: credentials).
 * A user who makes its own user and pid namespace and maps itself to 0
 * must still be its real uid, gid and pid to a daemon; a caller the daemon
 * cannot see is pid 0; the ids are the fs ids.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harden.h"

#define NS_UID	4321

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

struct ns_ctx {
	const struct hd *d;
	pid_t *inner_pid;	/* shared: the opener's pid, as its parent saw it */
};

/* As uid NS_UID: a new user+pid namespace, mapped to 0, then open from pid 1. */
static int ns_client(void *arg)
{
	struct ns_ctx *c = arg;
	char map[64];
	pid_t pid;
	int st;

	if (unshare(CLONE_NEWUSER | CLONE_NEWPID)) {
		fprintf(stderr, "  unshare(NEWUSER|NEWPID): %s\n", strerror(errno));
		return 1;
	}
	snprintf(map, sizeof(map), "0 %d 1\n", NS_UID);
	if (write_file("/proc/self/uid_map", map) ||
	    write_file("/proc/self/setgroups", "deny") ||
	    write_file("/proc/self/gid_map", map)) {
		fprintf(stderr, "  id maps: %s\n", strerror(errno));
		return 1;
	}
	pid = fork();
	if (pid == 0) {
		int fd;

		/* Root and pid 1, as this namespace sees it. */
		if (geteuid() != 0 || getpid() != 1)
			_exit(2);
		fd = hd_open(c->d, "x", O_RDONLY);
		_exit(fd >= 0 ? 0 : 3);
	}
	*c->inner_pid = pid;
	if (waitpid(pid, &st, 0) < 0 || !WIFEXITED(st))
		return 1;
	return WEXITSTATUS(st);
}

int t_creds_userns_client(void)
{
	pid_t *inner = mmap(NULL, sizeof(*inner), PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	const struct uscheme_req *rq;
	struct ns_ctx c;
	struct hd d;
	int ret;

	CHECK(inner != MAP_FAILED);
	CHECK(!hd_start(&d, "hcreds", hd_answer_ok));
	c.d = &d;
	c.inner_pid = inner;
	ret = hd_as_user(NS_UID, ns_client, &c);
	CHECK_EQ(ret, 0);
	rq = hd_last(&d, USCHEME_OP_OPEN);
	CHECK(rq);
	/* Not "uid 0, gid 0, pid 1": the caller's ids in the daemon's view. */
	CHECK_EQ(rq->uid, NS_UID);
	CHECK_EQ(rq->gid, NS_UID);
	CHECK_EQ(rq->pid, *inner);
	CHECK(rq->pid != 1);
	hd_stop(&d);
	return 0;
}

/* A daemon in a pid namespace of its own sees callers outside it as pid 0. */
int t_creds_pidns_daemon(void)
{
	const struct uscheme_req *rq;
	struct hd d;
	int fd;

	CHECK(!hd_start_pidns(&d, "hcredpid", hd_answer_ok));
	fd = hd_open(&d, "y", O_RDONLY);
	CHECK(fd >= 0);
	rq = hd_last(&d, USCHEME_OP_OPEN);
	CHECK(rq);
	CHECK_EQ(rq->pid, 0);
	CHECK_EQ(rq->uid, 0);	/* root in the same user namespace */
	close(fd);
	hd_stop(&d);
	return 0;
}

/* The fs ids count: a root process that set its fs uid is that uid. */
int t_creds_fsuid(void)
{
	const struct uscheme_req *rq;
	struct hd d;
	int fd;

	CHECK(!hd_start(&d, "hcredfs", hd_answer_ok));
	setfsgid(2345);
	setfsuid(2345);
	fd = hd_open(&d, "z", O_RDONLY);
	setfsuid(0);
	setfsgid(0);
	CHECK(fd >= 0);
	rq = hd_last(&d, USCHEME_OP_OPEN);
	CHECK(rq);
	CHECK_EQ(rq->uid, 2345);
	CHECK_EQ(rq->gid, 2345);
	close(fd);
	hd_stop(&d);
	return 0;
}
