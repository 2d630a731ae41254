// SPDX-License-Identifier: MIT
/* The route suite (route.h): signals and killed clients. */
#include "route.h"

/* ------------------------------------------------------------------ */
/* Signals and killed clients                                          */
/* ------------------------------------------------------------------ */

static void on_alarm(int sig)
{
	(void)sig;
}

struct sig_arg {
	const struct daemon *dm;
};

static int sig_child(void *p)
{
	const struct sig_arg *a = p;
	struct sigaction sa;
	unsigned char b[64];
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART */
	CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
	fd = d_open(a->dm, "plain", O_RDONLY);
	CHECK(fd >= 0);
	alarm(1);
	CHECK_EQ(sysres(pread(fd, b, sizeof(b), HANG_OFF)), -EINTR);
	alarm(1);
	CHECK_EQ(d_open(a->dm, "hang-open", O_RDONLY), -EINTR);
	alarm(0);
	/* the handle still works after the interrupted request */
	CHECK_EQ(pread(fd, b, 8, 0), 8);
	CHECK_EQ(check_pat(b, 0, 8), 0);
	return 0;
}

static int blocked_child(void *p)
{
	const struct sig_arg *a = p;
	unsigned char b[64];
	int fd = d_open(a->dm, "plain", O_RDONLY);

	CHECK(fd >= 0);
	(void)!pread(fd, b, sizeof(b), HANG_OFF);
	return 1;	/* never gets here */
}

int t_signal(void)
{
	struct sig_arg a;
	struct daemon dm;
	struct logent e;
	int64_t id;
	pid_t pid;
	uint32_t cur;

	dname(&dm, "signal");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	a.dm = &dm;
	cur = LOAD(&dm.shm->nlog);
	pid = spawn(sig_child, &a);
	CHECK(pid > 0);
	CHECK(exited_ok(wait_exit(pid, 20000)));
	/* both interrupted requests were cancelled towards the daemon */
	CHECK_EQ(LOAD(&dm.shm->nheld), 2);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CANCEL, dm.shm->held[0].tag, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CANCEL), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CANCEL, dm.shm->held[1].tag, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CANCEL), 0);
	/* late answers: discarded; the OPEN's handle is closed for the daemon */
	CHECK_EQ(dcmd(&dm, CMD_ANSWER_HELD, 4000), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, 4000, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	CHECK_EQ(wait_u32(&dm.shm->nclose, 2, SLOW_MS), 0);	/* and the child's handle */

	/* a client blocked in read(2) dies by SIGKILL promptly */
	cur = LOAD(&dm.shm->nlog);
	pid = spawn(blocked_child, &a);
	CHECK(pid > 0);
	CHECK_EQ(wait_u32(&dm.shm->nheld, 3, SLOW_MS), 0);
	id = id_of_open(dm.shm, cur);
	CHECK(id >= 0);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	{
		int st = wait_exit(pid, SLOW_MS);

		CHECK(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	}
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CANCEL, dm.shm->held[2].tag, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CANCEL), 0);
	CHECK_EQ(dcmd(&dm, CMD_ANSWER_HELD, 4000), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)id, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	usleep(100 * 1000);
	CHECK_EQ(LOAD(&dm.shm->ncancel), 3);
	CHECK_EQ(LOAD(&dm.shm->nclose), 3);
	return dstop(&dm);
}

