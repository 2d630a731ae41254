// SPDX-License-Identifier: MIT
/* The route suite (route.h): cancellation. */
#include "route.h"

/* ------------------------------------------------------------------ */
/* Cancellation                                                        */
/* ------------------------------------------------------------------ */

int t_cancel(void)
{
	unsigned char b[64];
	uint64_t ud[4];
	int32_t res[4];
	struct daemon dm;
	struct us_ring r;
	struct logent e;
	uint64_t tag;
	uint32_t cur;
	int fd, probe, n;

	dname(&dm, "cancel");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	CHECK_EQ(cring(&r, 8), 0);
	fd = d_open(&dm, "plain", O_RDONLY);
	CHECK(fd >= 0);
	cur = LOAD(&dm.shm->nlog);

	/* a READ the daemon holds */
	CHECK_EQ(queue(&r, USCHEME_OP_READ, fd, HANG_OFF, b, sizeof(b), 0, NULL, 0, 0x111), 0);
	CHECK_EQ(us_submit(&r), 1);
	CHECK_EQ(wait_u32(&dm.shm->nheld, 1, SLOW_MS), 0);
	tag = dm.shm->held[0].tag;
	/* CANCEL it: -ECANCELED for it, 0 for the CANCEL */
	CHECK_EQ(queue(&r, USCHEME_OP_CANCEL, 0, 0, (void *)(uintptr_t)0x111, 0, 0, NULL, 0,
		       0x222), 0);
	CHECK_EQ(us_submit(&r), 1);
	n = reap(&r, 2, ud, res, SLOW_MS);
	CHECK_EQ(n, 2);
	CHECK_EQ(res_of(ud, res, n, 0x111), -ECANCELED);
	CHECK_EQ(res_of(ud, res, n, 0x222), 0);
	/* the daemon is told: a CANCEL naming the tag */
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CANCEL, tag, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CANCEL), 0);
	CHECK_EQ(LOAD(&dm.shm->ncancel), 1);
	/* nothing left to cancel */
	CHECK_EQ(rop(&r, USCHEME_OP_CANCEL, 0, 0, (void *)(uintptr_t)0x111, 0, 0, NULL, 0),
		 -ENOENT);
	/* the late answer is discarded: no CQE for it */
	CHECK_EQ(dcmd(&dm, CMD_ANSWER_HELD, 64), 0);
	usleep(100 * 1000);
	CHECK_EQ(rop(&r, USCHEME_OP_NOP, 0, 0, NULL, 0, 0, NULL, 0), 0);
	CHECK_EQ(us_cq_ready(&r), 0);
	/* and the handle serves on */
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, 0, b, 16, 0, NULL, 0), 16);
	CHECK_EQ(check_pat(b, 0, 16), 0);

	/* an OPEN cancelled, then completed anyway: the kernel closes it for us */
	probe = open("/dev/null", O_RDONLY);	/* the lowest free descriptor */
	CHECK(probe >= 0);
	close(probe);
	cur = LOAD(&dm.shm->nlog);
	{
		char path[128];

		snprintf(path, sizeof(path), "%s:hang-open", dm.name);
		CHECK_EQ(queue(&r, USCHEME_OP_OPEN, 0, 0, path, (uint32_t)strlen(path) + 1,
			       O_RDONLY, NULL, 0, 0x333), 0);
		CHECK_EQ(us_submit(&r), 1);
	}
	CHECK_EQ(wait_u32(&dm.shm->nheld, 2, SLOW_MS), 0);
	tag = dm.shm->held[1].tag;
	CHECK_EQ(queue(&r, USCHEME_OP_CANCEL, 0, 0, (void *)(uintptr_t)0x333, 0, 0, NULL, 0,
		       0x444), 0);
	CHECK_EQ(us_submit(&r), 1);
	n = reap(&r, 2, ud, res, SLOW_MS);
	CHECK_EQ(n, 2);
	CHECK_EQ(res_of(ud, res, n, 0x333), -ECANCELED);
	CHECK_EQ(res_of(ud, res, n, 0x444), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CANCEL, tag, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CANCEL), 0);
	CHECK_EQ(dcmd(&dm, CMD_ANSWER_HELD, 777), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, 777, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	CHECK_EQ(rop(&r, USCHEME_OP_NOP, 0, 0, NULL, 0, 0, NULL, 0), 0);
	CHECK_EQ(us_cq_ready(&r), 0);
	{
		int again = open("/dev/null", O_RDONLY);	/* no descriptor was installed */

		CHECK_EQ(again, probe);
		close(again);
	}
	close(fd);
	us_ring_exit(&r);
	return dstop(&dm);
}

