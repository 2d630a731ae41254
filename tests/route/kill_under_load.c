// SPDX-License-Identifier: MIT
/* The route suite (route.h): a daemon killed under load, 100 times. */
#include "route.h"

/* ------------------------------------------------------------------ */
/* A daemon killed under load, 100 times                               */
/* ------------------------------------------------------------------ */

#define KILL_ROUNDS	100

static int kill_client(void *p)
{
	const struct load_arg *a = p;
	struct load_stats *st = a->st;
	unsigned char b[5][256];
	uint64_t ud[4];
	int32_t res[4];
	struct us_ring r;
	uint32_t ok = 0, seq = 0;
	int fd, k, n, piped = 0;

	CHECK_EQ(cring(&r, 8), 0);
	fd = d_open(a->dm[0], "load", O_RDWR);
	CHECK(fd >= 0);
	while (!piped) {
		uint64_t base = ((uint64_t)a->idx << 24) + (uint64_t)(seq++) * 4096;
		long rr;

		for (k = 0; k < 4; k++)
			CHECK_EQ(queue(&r, USCHEME_OP_READ, fd, base + (uint64_t)k * 256, b[k],
				       64 + 32 * k, 0, NULL, 0, (uint64_t)k), 0);
		CHECK_EQ(us_submit(&r), 4);
		rr = sysres(pread(fd, b[4], 200, (off_t)(base + 1024)));
		if (rr == -EPIPE)
			piped = 1;
		else if (rr != 200 || check_pat(b[4], base + 1024, 200))
			return 2;
		else
			ok++;
		n = reap(&r, 4, ud, res, 10000);
		CHECK_EQ(n, 4);
		for (k = 0; k < 4; k++) {
			int s = (int)ud[k];

			CHECK(s >= 0 && s < 4);
			if (res[k] == -EPIPE) {
				piped = 1;
			} else if (res[k] != 64 + 32 * s ||
				   check_pat(b[s], base + (uint64_t)s * 256, (size_t)res[k])) {
				fprintf(stderr, "  kill client %d: res %d for slot %d\n", a->idx,
					res[k], s);
				return 3;
			} else {
				ok++;
			}
		}
		STORE(&st->progress[a->idx], ok);
	}
	/* once the daemon is gone, everything says so */
	CHECK_EQ(sysres(pread(fd, b[0], 16, 0)), -EPIPE);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, 0, b[0], 16, 0, NULL, 0), -EPIPE);
	close(fd);
	us_ring_exit(&r);
	return 0;
}

int t_kill_under_load(void)
{
	struct load_stats *st;
	struct load_arg la[2];
	struct daemon dm;
	long long t0 = tap_now_ns();
	int round, i;

	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(st != MAP_FAILED);
	dname(&dm, "kload");
	dm.shm = shm_new();
	CHECK(dm.shm);
	for (round = 0; round < KILL_ROUNDS; round++) {
		pid_t pid[2];

		dm.shm->nolog = 1;
		if (dstart(&dm, 16, 0)) {
			fprintf(stderr, "  round %d: the name was not free again\n", round);
			return -1;
		}
		memset(st, 0, sizeof(*st));
		for (i = 0; i < 2; i++) {
			la[i].dm[0] = &dm;
			la[i].st = st;
			la[i].idx = i;
			pid[i] = spawn(kill_client, &la[i]);
			CHECK(pid[i] > 0);
		}
		/* some traffic first, then SIGKILL */
		if (wait_u32(&st->progress[0], 3 + round % 7, 20000) ||
		    wait_u32(&st->progress[1], 3, 20000)) {
			fprintf(stderr, "  round %d: no progress\n", round);
			return -1;
		}
		CHECK_EQ(kill(dm.pid, SIGKILL), 0);
		CHECK_EQ(waitpid(dm.pid, NULL, 0), dm.pid);
		dm.pid = 0;
		for (i = 0; i < 2; i++) {
			int s = wait_exit(pid[i], 10000);

			if (!exited_ok(s)) {
				fprintf(stderr, "  round %d: client %d failed\n", round, i);
				return -1;
			}
		}
		if (dm.shm->ctl.bad) {
			fprintf(stderr, "  round %d: daemon: %s\n", round, dm.shm->ctl.why);
			return -1;
		}
	}
	fprintf(stderr, "  # %d rounds in %.1f s\n", KILL_ROUNDS, (tap_now_ns() - t0) / 1e9);
	return 0;
}

