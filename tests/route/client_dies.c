// SPDX-License-Identifier: MIT
/*
 * The route suite (route.h): lifetimes: the client goes away with requests
 * in flight.
 */
#include "route.h"

/* ------------------------------------------------------------------ */
/* Lifetimes: the client goes away                                     */
/* ------------------------------------------------------------------ */

struct cd_arg {
	const struct daemon *dm;
	int close_ring;		/* close the ring (and live on) instead of dying */
	int done_fd;		/* close_ring: written when the ring is closed */
};

static int cd_child(void *p)
{
	const struct cd_arg *a = p;
	unsigned char b[2][64];
	struct us_ring r;
	int h1, h2;
	char c;

	CHECK_EQ(cring(&r, 8), 0);
	h1 = d_open(a->dm, "plain", O_RDONLY);
	h2 = d_open(a->dm, "plain", O_RDWR);
	CHECK(h1 >= 0 && h2 >= 0);
	CHECK_EQ(queue(&r, USCHEME_OP_READ, h1, HANG_OFF, b[0], 64, 0, NULL, 0, 1), 0);
	CHECK_EQ(queue(&r, USCHEME_OP_READ, h2, HANG_OFF, b[1], 64, 0, NULL, 0, 2), 0);
	CHECK_EQ(us_submit(&r), 2);
	if (a->close_ring) {
		/* wait until the daemon holds both, then close the ring */
		CHECK_EQ(wait_u32(&a->dm->shm->nheld, 2, SLOW_MS), 0);
		us_ring_exit(&r);
		CHECK_EQ(write(a->done_fd, "x", 1), 1);
		CHECK_EQ(read(a->done_fd, &c, 1), 1);	/* until told to go */
		return 0;
	}
	for (;;)
		pause();
}

int t_client_dies(void)
{
	struct cd_arg a;
	struct daemon dm;
	struct logent e;
	int64_t id1, id2;
	uint32_t cur, i;
	int sv[2], st;
	pid_t pid;
	char c;

	dname(&dm, "cdie");
	CHECK_EQ(dstart(&dm, 0, 0), 0);

	/* killed with two requests in flight: two CANCELs, two CLOSEs */
	memset(&a, 0, sizeof(a));
	a.dm = &dm;
	cur = LOAD(&dm.shm->nlog);
	pid = spawn(cd_child, &a);
	CHECK(pid > 0);
	CHECK_EQ(wait_u32(&dm.shm->nheld, 2, SLOW_MS), 0);
	id1 = id_of_open(dm.shm, cur);
	id2 = id_of_open(dm.shm, cur + 1);
	CHECK(id1 >= 0 && id2 >= 0);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	st = wait_exit(pid, SLOW_MS);
	CHECK(st >= 0 && WIFSIGNALED(st));
	for (i = 0; i < 2; i++) {
		CHECK(log_find(dm.shm, cur, USCHEME_OP_CANCEL, dm.shm->held[i].tag, &e,
			       SLOW_MS) >= 0);
		CHECK_EQ(note_ok(&e, USCHEME_OP_CANCEL), 0);
	}
	/*
	 * The daemon answers the cancelled requests, as uscheme.h asks (their
	 * answers are discarded); the handles' CLOSEs come at the latest then.
	 */
	CHECK_EQ(dcmd(&dm, CMD_ANSWER_HELD, 8), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)id1, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)id2, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	usleep(200 * 1000);
	CHECK_EQ(LOAD(&dm.shm->ncancel), 2);
	CHECK_EQ(LOAD(&dm.shm->nclose), 2);
	CHECK_EQ(dstop(&dm), 0);

	/* the ring closed, the process alive: CANCELs now, CLOSEs at exit */
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	a.close_ring = 1;
	a.done_fd = sv[1];
	cur = LOAD(&dm.shm->nlog);
	pid = spawn(cd_child, &a);
	CHECK(pid > 0);
	close(sv[1]);
	CHECK_EQ(read(sv[0], &c, 1), 1);
	CHECK_EQ(wait_u32(&dm.shm->ncancel, 2, SLOW_MS), 0);
	for (i = 0; i < 2; i++) {
		CHECK(log_find(dm.shm, cur, USCHEME_OP_CANCEL, dm.shm->held[i].tag, &e,
			       SLOW_MS) >= 0);
		CHECK_EQ(note_ok(&e, USCHEME_OP_CANCEL), 0);
	}
	CHECK_EQ(dcmd(&dm, CMD_ANSWER_HELD, 8), 0);
	usleep(100 * 1000);
	CHECK_EQ(LOAD(&dm.shm->nclose), 0);	/* the handles live on in the child */
	CHECK_EQ(write(sv[0], "x", 1), 1);
	CHECK(exited_ok(wait_exit(pid, SLOW_MS)));
	CHECK_EQ(wait_u32(&dm.shm->nclose, 2, SLOW_MS), 0);
	usleep(100 * 1000);
	CHECK_EQ(LOAD(&dm.shm->ncancel), 2);
	CHECK_EQ(LOAD(&dm.shm->nclose), 2);
	close(sv[0]);
	return dstop(&dm);
}

