// SPDX-License-Identifier: MIT
/*
 * The route suite (route.h): 1 MiB in one request; more requests than the
 * daemon holds (backpressure); answers never reaped free their data.
 */
#include "route.h"

/* ------------------------------------------------------------------ */
/* 1 MiB in one request                                                */
/* ------------------------------------------------------------------ */

int t_big_io(void)
{
	unsigned char *b = malloc(USCHEME_IO_MAX + 8192), *o = malloc(USCHEME_IO_MAX);
	struct daemon dm;
	struct us_ring r;
	struct logent e;
	uint32_t cur;
	size_t i;
	int fd;

	CHECK(b && o);
	dname(&dm, "bigio");
	CHECK_EQ(dstart(&dm, 0, 4 * MIB), 0);
	CHECK_EQ(cring(&r, 8), 0);
	fd = d_open(&dm, "plain", O_RDWR);
	CHECK(fd >= 0);
	cur = LOAD(&dm.shm->nlog);

	/* READ: one request, a zeroed 1 MiB chunk, every byte back */
	memset(b, 0xee, USCHEME_IO_MAX);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, 4096, b, USCHEME_IO_MAX, 0, NULL, 0),
		 USCHEME_IO_MAX);
	CHECK_EQ(check_pat(b, 4096, USCHEME_IO_MAX), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_READ);
	CHECK_EQ(e.rq.len, USCHEME_IO_MAX);
	CHECK(e.zero);
	memset(b, 0xee, USCHEME_IO_MAX);
	CHECK_EQ(read(fd, b, USCHEME_IO_MAX), USCHEME_IO_MAX);
	CHECK_EQ(check_pat(b, 0, USCHEME_IO_MAX), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, USCHEME_IO_MAX);
	CHECK(e.zero);
	/* longer than USCHEME_IO_MAX: shortened */
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, 0, b, USCHEME_IO_MAX + 8192, 0, NULL, 0),
		 USCHEME_IO_MAX);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, USCHEME_IO_MAX);
	CHECK_EQ(pread(fd, b, USCHEME_IO_MAX + 8192, 0), USCHEME_IO_MAX);
	CHECK_EQ(check_pat(b, 0, USCHEME_IO_MAX), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, USCHEME_IO_MAX);

	/* WRITE: one request carrying the whole payload */
	fill_bytes(b, USCHEME_IO_MAX + 8192, 77);
	CHECK_EQ(rop(&r, USCHEME_OP_WRITE, fd, 0, b, USCHEME_IO_MAX, 0, NULL, 0),
		 USCHEME_IO_MAX);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_WRITE);
	CHECK_EQ(e.rq.len, USCHEME_IO_MAX);
	CHECK_EQ(e.crc, fnv(b, USCHEME_IO_MAX));
	CHECK_EQ(pwrite(fd, b + 8192, USCHEME_IO_MAX, 5), USCHEME_IO_MAX);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, USCHEME_IO_MAX);
	CHECK_EQ(e.rq.off, 5);
	CHECK_EQ(e.crc, fnv(b + 8192, USCHEME_IO_MAX));
	CHECK_EQ(write(fd, b + 1, USCHEME_IO_MAX + 4096), USCHEME_IO_MAX);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, USCHEME_IO_MAX);
	CHECK_EQ(e.crc, fnv(b + 1, USCHEME_IO_MAX));

	/* CALL: 1 MiB in, 1 MiB out */
	memset(o, 0, USCHEME_IO_MAX);
	CHECK_EQ(h_call(fd, b, USCHEME_IO_MAX, 0, o, USCHEME_IO_MAX), USCHEME_IO_MAX);
	for (i = 0; i < USCHEME_IO_MAX; i++)
		if (o[i] != (b[i] ^ 0xa5))
			break;
	CHECK_EQ(i, USCHEME_IO_MAX);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, USCHEME_IO_MAX);
	CHECK_EQ(e.crc, fnv(b, USCHEME_IO_MAX));
	memset(o, 0, USCHEME_IO_MAX);
	CHECK_EQ(rop(&r, USCHEME_OP_CALL, fd, 0, b, 100, 0, o, USCHEME_IO_MAX), 100);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK(e.zero);		/* 1 MiB of output room, zeroed beyond the input */
	free(b);
	free(o);
	close(fd);
	us_ring_exit(&r);
	return dstop(&dm);
}

/* More requests than the daemon's queue and data area hold at once: they wait. */
enum { BP_NBIG = 4, BP_NSMALL = 60 };

static int bp_client(void *p)
{
	const struct daemon *dm = p;
	unsigned char *big[BP_NBIG], (*small)[1000] = calloc(BP_NSMALL, 1000);
	uint64_t ud[BP_NBIG + BP_NSMALL];
	int32_t res[BP_NBIG + BP_NSMALL];
	struct us_ring r;
	int fd, i, n;

	CHECK(small);
	CHECK_EQ(cring(&r, 128), 0);
	fd = d_open(dm, "plain", O_RDONLY);
	CHECK(fd >= 0);
	for (i = 0; i < BP_NBIG; i++) {
		big[i] = malloc(MIB);
		CHECK(big[i]);
		CHECK_EQ(queue(&r, USCHEME_OP_READ, fd, (uint64_t)i * 4096, big[i], MIB, 0,
			       NULL, 0, 1000 + i), 0);
	}
	for (i = 0; i < BP_NSMALL; i++)
		CHECK_EQ(queue(&r, USCHEME_OP_READ, fd, (uint64_t)i * 77, small[i], 1000, 0,
			       NULL, 0, 2000 + i), 0);
	CHECK_EQ(us_submit(&r), BP_NBIG + BP_NSMALL);
	n = reap(&r, BP_NBIG + BP_NSMALL, ud, res, 60000);
	CHECK_EQ(n, BP_NBIG + BP_NSMALL);
	for (i = 0; i < BP_NBIG; i++) {
		CHECK_EQ(res_of(ud, res, n, 1000 + i), MIB);
		CHECK_EQ(check_pat(big[i], (uint64_t)i * 4096, MIB), 0);
		free(big[i]);
	}
	for (i = 0; i < BP_NSMALL; i++) {
		CHECK_EQ(res_of(ud, res, n, 2000 + i), 1000);
		CHECK_EQ(check_pat(small[i], (uint64_t)i * 77, 1000), 0);
	}
	free(small);
	close(fd);
	us_ring_exit(&r);
	return 0;
}

int t_backpressure(void)
{
	struct daemon dm;
	pid_t pid;
	int st;

	/* a 2 MiB data area: at most two 1 MiB READs fit at once */
	dname(&dm, "bp");
	CHECK_EQ(dstart(&dm, 4, USCHEME_DATA_MIN), 0);
	pid = spawn(bp_client, &dm);
	CHECK(pid > 0);
	st = wait_exit(pid, 30000);
	if (st < 0)
		fprintf(stderr, "  the client stalled: the daemon received %u requests "
			"(1 OPEN + %d READs submitted in one enter) and answered all of them\n",
			LOAD(&dm.shm->served), BP_NBIG + BP_NSMALL);
	CHECK(exited_ok(st));
	/* OPEN, the READs, and the CLOSE sent when the client exited */
	CHECK_EQ(wait_u32(&dm.shm->served, 2 + BP_NBIG + BP_NSMALL, SLOW_MS), 0);
	CHECK_EQ(LOAD(&dm.shm->served), 2 + BP_NBIG + BP_NSMALL);
	return dstop(&dm);
}

/*
 * Answers a client has not reaped yet must not keep the daemon's data area:
 * one client submits two 1 MiB READs and does not enter its ring for a
 * while; another client's 1 MiB read must still go through.
 */
struct unreaped_arg {
	const struct daemon *dm;
	int sock;
};

static int unreaped_client(void *p)
{
	const struct unreaped_arg *a = p;
	unsigned char *b0 = malloc(MIB), *b1 = malloc(MIB);
	uint64_t ud[2];
	int32_t res[2];
	struct us_ring r;
	int fd, n;
	char c;

	CHECK(b0 && b1);
	CHECK_EQ(cring(&r, 4), 0);
	fd = d_open(a->dm, "plain", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(queue(&r, USCHEME_OP_READ, fd, 0, b0, MIB, 0, NULL, 0, 1), 0);
	CHECK_EQ(queue(&r, USCHEME_OP_READ, fd, 8192, b1, MIB, 0, NULL, 0, 2), 0);
	CHECK_EQ(us_submit(&r), 2);
	CHECK_EQ(write(a->sock, "s", 1), 1);
	CHECK_EQ(read(a->sock, &c, 1), 1);	/* reap only when told */
	n = reap(&r, 2, ud, res, SLOW_MS);
	CHECK_EQ(n, 2);
	CHECK_EQ(res_of(ud, res, n, 1), MIB);
	CHECK_EQ(res_of(ud, res, n, 2), MIB);
	CHECK_EQ(check_pat(b0, 0, MIB), 0);
	CHECK_EQ(check_pat(b1, 8192, MIB), 0);
	free(b0);
	free(b1);
	close(fd);
	us_ring_exit(&r);
	return 0;
}

static int pread_1mib(void *p)
{
	const struct daemon *dm = p;
	unsigned char *b = malloc(MIB);
	int fd;

	CHECK(b);
	fd = d_open(dm, "plain", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, b, MIB, 4096), MIB);
	CHECK_EQ(check_pat(b, 4096, MIB), 0);
	free(b);
	close(fd);
	return 0;
}

int t_unreaped_answers_free_data(void)
{
	struct unreaped_arg a;
	struct daemon dm;
	pid_t pa, pb;
	int sv[2], st;
	char c;

	dname(&dm, "unreaped");
	CHECK_EQ(dstart(&dm, 0, USCHEME_DATA_MIN), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	a.dm = &dm;
	a.sock = sv[1];
	pa = spawn(unreaped_client, &a);
	CHECK(pa > 0);
	CHECK_EQ(read(sv[0], &c, 1), 1);
	/* the daemon answered both (OPEN + 2 READs) */
	CHECK_EQ(wait_u32(&dm.shm->served, 3, SLOW_MS), 0);
	usleep(100 * 1000);
	pb = spawn(pread_1mib, &dm);
	CHECK(pb > 0);
	st = wait_exit(pb, 10000);
	if (st < 0)
		fprintf(stderr, "  a 1 MiB pread stayed blocked while another client's two "
			"answered, unreaped 1 MiB READs held the 2 MiB data area\n");
	CHECK_EQ(write(sv[0], "r", 1), 1);
	CHECK(exited_ok(wait_exit(pa, SLOW_MS)));
	CHECK(exited_ok(st));
	close(sv[0]);
	close(sv[1]);
	return dstop(&dm);
}

