// SPDX-License-Identifier: MIT
/*
 * The route suite (route.h): the caller's credentials as the daemon sees
 * them.
 */
#include "route.h"

/* ------------------------------------------------------------------ */
/* Credentials                                                         */
/* ------------------------------------------------------------------ */

struct cred_arg {
	const struct daemon *dm;
	int inherited;
};

static int cred_child(void *p)
{
	const struct cred_arg *a = p;
	unsigned char b[16];
	struct us_ring r;
	int fd;

	CHECK(dev() >= 0);			/* /dev/uscheme opened as root */
	CHECK_EQ(cring(&r, 4), 0);
	CHECK_EQ(setgroups(0, NULL), 0);
	CHECK_EQ(setresgid(1001, 1001, 1001), 0);
	CHECK_EQ(setresuid(1000, 1000, 1000), 0);
	CHECK_EQ(geteuid(), 1000);
	fd = d_open(a->dm, "plain", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, b, sizeof(b), 11), (ssize_t)sizeof(b));
	CHECK_EQ(check_pat(b, 11, sizeof(b)), 0);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, 12, b, 8, 0, NULL, 0), 8);
	/* a handle root opened before the fork: the caller's credentials count */
	CHECK_EQ(pread(a->inherited, b, 4, 13), 4);
	close(fd);
	us_ring_exit(&r);
	return 0;
}

int t_credentials(void)
{
	struct cred_arg a;
	struct daemon dm;
	struct logent e;
	uint32_t cur, i;
	pid_t pid;

	dname(&dm, "cred");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	a.dm = &dm;
	a.inherited = d_open(&dm, "plain", O_RDONLY);
	CHECK(a.inherited >= 0);
	cur = LOAD(&dm.shm->nlog);
	pid = spawn(cred_child, &a);
	CHECK(pid > 0);
	CHECK(exited_ok(wait_exit(pid, 20000)));
	CHECK_EQ(wait_u32(&dm.shm->nclose, 1, SLOW_MS), 0);
	CHECK_EQ(log_count(dm.shm, cur, -1), 5);	/* OPEN, READ x3, CLOSE */
	for (i = cur; i < cur + 4; i++) {
		CHECK_EQ(log_get(dm.shm, i, &e), 0);
		CHECK_EQ(e.rq.pid, pid);
		CHECK_EQ(e.rq.uid, 1000);
		CHECK_EQ(e.rq.gid, 1001);
	}
	CHECK_EQ(log_get(dm.shm, cur + 3, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_READ);
	CHECK_EQ(e.rq.off, 13);
	/* and root, here */
	{
		unsigned char b[4];

		CHECK_EQ(pread(a.inherited, b, 4, 0), 4);
	}
	CHECK_EQ(log_get(dm.shm, cur + 5, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_READ);
	CHECK_EQ(e.rq.off, 0);
	CHECK_EQ(e.rq.pid, getpid());
	CHECK_EQ(e.rq.uid, 0);
	CHECK_EQ(e.rq.gid, 0);
	close(a.inherited);
	return dstop(&dm);
}

