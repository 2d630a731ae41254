// SPDX-License-Identifier: MIT
/*
 * The route suite (route.h): lifetimes: the daemon closes its ring or is
 * killed.
 */
#include "route.h"

/* ------------------------------------------------------------------ */
/* Lifetimes: the daemon goes away                                     */
/* ------------------------------------------------------------------ */

struct gone_arg {
	const struct daemon *dm;
	int which;
};

static int gone_child(void *p)
{
	const struct gone_arg *a = p;
	unsigned char b[64];
	int fd;

	if (a->which == 0) {
		fd = d_open(a->dm, "plain", O_RDONLY);
		CHECK(fd >= 0);
		CHECK_EQ(sysres(pread(fd, b, sizeof(b), HANG_OFF)), -EPIPE);
		CHECK_EQ(sysres(read(fd, b, sizeof(b))), -EPIPE);
		return 0;
	}
	CHECK_EQ(d_open(a->dm, "hang-open", O_RDONLY), -EPIPE);
	return 0;
}

static int daemon_gone(int kill_it)
{
	unsigned char b[64];
	struct stat st;
	struct gone_arg a0, a1;
	struct daemon dm, dm2;
	struct us_ring r;
	uint64_t ud[2];
	int32_t res[2];
	long long t0;
	pid_t c0, c1;
	int h, h2, h3, n;

	dname(&dm, kill_it ? "dkill" : "dclose");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	CHECK_EQ(cring(&r, 8), 0);
	h = d_open(&dm, "plain", O_RDWR);
	h2 = d_open(&dm, "plain", O_RDWR);
	CHECK(h >= 0 && h2 >= 0);
	/* three requests the daemon holds: a ring READ, a read(2), an OPEN */
	CHECK_EQ(queue(&r, USCHEME_OP_READ, h, HANG_OFF, b, sizeof(b), 0, NULL, 0, 0x77), 0);
	CHECK_EQ(us_submit(&r), 1);
	a0.dm = a1.dm = &dm;
	a0.which = 0;
	a1.which = 1;
	c0 = spawn(gone_child, &a0);
	c1 = spawn(gone_child, &a1);
	CHECK(c0 > 0 && c1 > 0);
	CHECK_EQ(wait_u32(&dm.shm->nheld, 3, SLOW_MS), 0);

	t0 = tap_now_ns();
	if (kill_it) {
		CHECK_EQ(kill(dm.pid, SIGKILL), 0);
		CHECK_EQ(waitpid(dm.pid, NULL, 0), dm.pid);
		dm.pid = 0;
	} else {
		CHECK_EQ(dcmd(&dm, CMD_CLOSE_RING, 0), 0);
		CHECK_EQ(LOAD(&dm.shm->closed), 1);
	}
	/* every waiter: -EPIPE at once */
	n = reap(&r, 1, ud, res, SLOW_MS);
	CHECK_EQ(n, 1);
	CHECK_EQ(ud[0], 0x77);
	CHECK_EQ(res[0], -EPIPE);
	CHECK(exited_ok(wait_exit(c0, SLOW_MS)));
	CHECK(exited_ok(wait_exit(c1, SLOW_MS)));
	CHECK(tap_now_ns() - t0 < 3000 * 1000000LL);

	/* its handles answer -EPIPE from then on */
	CHECK_EQ(sysres(pread(h, b, 8, 0)), -EPIPE);
	CHECK_EQ(sysres(read(h2, b, 8)), -EPIPE);
	CHECK_EQ(sysres(write(h2, b, 8)), -EPIPE);
	CHECK_EQ(sysres(fstat(h, &st)), -EPIPE);
	CHECK_EQ(sysres(fsync(h)), -EPIPE);
	CHECK_EQ(sysres(ftruncate(h, 0)), -EPIPE);
	CHECK_EQ(h_call(h, b, 4, 0, b, 4), -EPIPE);
	CHECK_EQ(h_dup(h, "x", 1, 0), -EPIPE);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, h, 0, b, 8, 0, NULL, 0), -EPIPE);
	CHECK_EQ(rop(&r, USCHEME_OP_WRITE, h2, 0, b, 8, 0, NULL, 0), -EPIPE);
	/* the name is gone ... */
	CHECK_EQ(d_open(&dm, "plain", O_RDONLY), -ENOENT);
	CHECK_EQ(rop_open(&r, &dm, "plain", O_RDONLY), -ENOENT);
	/* ... and free for a restarted daemon */
	dm2 = dm;
	dm2.shm = NULL;
	dm2.pid = 0;
	CHECK_EQ(dstart(&dm2, 0, 0), 0);
	CHECK_EQ(sysres(pread(h, b, 8, 0)), -EPIPE);	/* old handles stay dead */
	h3 = d_open(&dm2, "plain", O_RDONLY);
	CHECK(h3 >= 0);
	CHECK_EQ(pread(h3, b, 8, 5), 8);
	CHECK_EQ(check_pat(b, 5, 8), 0);
	/* closing the old handles tells the new daemon nothing */
	close(h);
	close(h2);
	usleep(100 * 1000);
	CHECK_EQ(LOAD(&dm2.shm->nclose), 0);
	CHECK_EQ(LOAD(&dm2.shm->served), 2);
	close(h3);
	CHECK_EQ(wait_u32(&dm2.shm->nclose, 1, SLOW_MS), 0);
	us_ring_exit(&r);
	if (!kill_it)
		CHECK_EQ(dstop(&dm), 0);
	return dstop(&dm2);
}

int t_daemon_closes_ring(void)
{
	return daemon_gone(0);
}

int t_daemon_killed(void)
{
	return daemon_gone(1);
}

