// SPDX-License-Identifier: MIT
/*
 * The route suite (route.h): every documented error of OPEN and of the
 * other ops.
 */
#include "route.h"

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

int t_open_errors(void)
{
	static char longp[5000];
	struct daemon dm;
	struct us_ring r;
	struct logent e;
	char path[128];
	uint32_t cur;
	size_t nl;
	int fd;

	dname(&dm, "openerr");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	CHECK_EQ(cring(&r, 8), 0);
	cur = LOAD(&dm.shm->nlog);

	/* no such scheme */
	snprintf(path, sizeof(path), "rt-nosuch-%d:x", (int)getpid());
	CHECK_EQ(h_open(path, O_RDONLY), -ENOENT);
	CHECK_EQ(rop(&r, USCHEME_OP_OPEN, 0, 0, path, (uint32_t)strlen(path) + 1, O_RDONLY,
		     NULL, 0), -ENOENT);
	/* no ':' */
	CHECK_EQ(h_open(dm.name, O_RDONLY), -EINVAL);
	CHECK_EQ(rop(&r, USCHEME_OP_OPEN, 0, 0, dm.name, (uint32_t)strlen(dm.name) + 1,
		     O_RDONLY, NULL, 0), -EINVAL);
	/* a bad name */
	CHECK_EQ(h_open("Bad Name:x", O_RDONLY), -EINVAL);
	CHECK_EQ(h_open(":x", O_RDONLY), -EINVAL);
	/* bad flags */
	snprintf(path, sizeof(path), "%s:x", dm.name);
	CHECK_EQ(h_open(path, O_RDONLY | O_SYNC), -EINVAL);
	CHECK_EQ(h_open(path, O_RDONLY | O_PATH), -EINVAL);
	CHECK_EQ(h_open(path, O_RDONLY | 0x80000000U), -EINVAL);
	CHECK_EQ(rop(&r, USCHEME_OP_OPEN, 0, 0, path, (uint32_t)strlen(path) + 1,
		     O_RDWR | O_NOFOLLOW, NULL, 0), -EINVAL);
	/* too long: a path of USCHEME_PATH_MAX bytes without its NUL */
	nl = strlen(dm.name);
	memset(longp, 'a', sizeof(longp));
	memcpy(longp, dm.name, nl);
	longp[nl] = ':';
	longp[USCHEME_PATH_MAX] = '\0';
	CHECK_EQ(h_open(longp, O_RDONLY), -ENAMETOOLONG);
	CHECK_EQ(rop(&r, USCHEME_OP_OPEN, 0, 0, longp, USCHEME_PATH_MAX + 1, O_RDONLY,
		     NULL, 0), -ENAMETOOLONG);
	longp[USCHEME_PATH_MAX] = 'a';
	longp[sizeof(longp) - 1] = '\0';
	CHECK_EQ(h_open(longp, O_RDONLY), -ENAMETOOLONG);
	/* no NUL within len */
	{
		int32_t res = rop(&r, USCHEME_OP_OPEN, 0, 0, path, (uint32_t)strlen(path),
				  O_RDONLY, NULL, 0);

		CHECK(res == -EINVAL || res == -ENAMETOOLONG);
	}
	/* none of these reached the daemon */
	usleep(50 * 1000);
	CHECK_EQ(LOAD(&dm.shm->nlog), cur);

	/* the longest path does: USCHEME_PATH_MAX bytes with the NUL */
	longp[USCHEME_PATH_MAX - 1] = '\0';
	fd = h_open(longp, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, USCHEME_PATH_MAX - 1 - nl - 1);
	CHECK_EQ(e.crc, fnv(longp + nl + 1, e.rq.len));
	CHECK(e.nul);
	close(fd);
	fd = rop(&r, USCHEME_OP_OPEN, 0, 0, longp, USCHEME_PATH_MAX, O_RDONLY, NULL, 0);
	CHECK(fd >= 0);
	close(fd);

	/* daemon errors pass unchanged */
	CHECK_EQ(d_open(&dm, "eacces", O_RDONLY), -EACCES);
	CHECK_EQ(rop_open(&r, &dm, "eacces", O_RDONLY), -EACCES);
	CHECK_EQ(d_open(&dm, "enoent", O_RDWR), -ENOENT);
	CHECK_EQ(rop_open(&r, &dm, "enoent", O_RDWR), -ENOENT);
	/* 2 opens that worked + 4 errors, then 2 CLOSEs */
	CHECK_EQ(wait_u32(&dm.shm->nclose, 2, SLOW_MS), 0);
	CHECK_EQ(log_count(dm.shm, cur - 1, USCHEME_OP_OPEN), 6);
	CHECK_EQ(log_count(dm.shm, cur - 1, -1), 8);
	us_ring_exit(&r);
	return dstop(&dm);
}

int t_op_errors(void)
{
	unsigned char b[64], *big;
	struct uscheme_sqe s;
	struct uscheme_open o;
	struct uscheme_dup du;
	struct uscheme_call ca;
	struct daemon dm;
	struct us_ring r;
	int fro, fwo, frw, fsp, p[2], nul, i;
	uint32_t cur;

	dname(&dm, "operr");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	CHECK_EQ(cring(&r, 8), 0);
	fro = d_open(&dm, "plain", O_RDONLY);
	fwo = d_open(&dm, "plain", O_WRONLY);
	frw = d_open(&dm, "plain", O_RDWR);
	fsp = d_open(&dm, "enospc", O_RDWR);
	CHECK(fro >= 0 && fwo >= 0 && frw >= 0 && fsp >= 0);
	CHECK_EQ(pipe(p), 0);
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	CHECK(nul >= 0);
	big = calloc(1, USCHEME_IO_MAX + 1);
	CHECK(big);
	cur = LOAD(&dm.shm->nlog);

	/* the access mode */
	CHECK_EQ(sysres(read(fwo, b, 8)), -EBADF);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fwo, 0, b, 8, 0, NULL, 0), -EBADF);
	CHECK_EQ(sysres(write(fro, b, 8)), -EBADF);
	CHECK_EQ(rop(&r, USCHEME_OP_WRITE, fro, 0, b, 8, 0, NULL, 0), -EBADF);
	/* not a handle */
	CHECK_EQ(rop(&r, USCHEME_OP_READ, p[0], 0, b, 8, 0, NULL, 0), -EBADF);
	CHECK_EQ(rop(&r, USCHEME_OP_WRITE, nul, 0, b, 8, 0, NULL, 0), -EBADF);
	CHECK_EQ(rop(&r, USCHEME_OP_FSTAT, r.fd, 0, b, 64, 0, NULL, 0), -EBADF);
	CHECK_EQ(rop(&r, USCHEME_OP_FSYNC, dev(), 0, NULL, 0, 0, NULL, 0), -EBADF);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, 999999, 0, b, 8, 0, NULL, 0), -EBADF);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, -1, 0, b, 8, 0, NULL, 0), -EBADF);
	CHECK_EQ(rop(&r, USCHEME_OP_DUP, p[1], 0, NULL, 0, 0, NULL, 0), -EBADF);
	CHECK_EQ(rop(&r, USCHEME_OP_CALL, nul, 0, b, 4, 0, b, 4), -EBADF);
	/* CALL buffers beyond USCHEME_IO_MAX */
	CHECK_EQ(h_call(frw, big, USCHEME_IO_MAX + 1, 0, b, 8), -E2BIG);
	CHECK_EQ(h_call(frw, b, 8, 0, big, USCHEME_IO_MAX + 1), -E2BIG);
	CHECK_EQ(rop(&r, USCHEME_OP_CALL, frw, 0, big, USCHEME_IO_MAX + 1, 0, b, 8), -E2BIG);
	CHECK_EQ(rop(&r, USCHEME_OP_CALL, frw, 0, b, 8, 0, big, USCHEME_IO_MAX + 1), -E2BIG);
	/* FSTAT room smaller than struct uscheme_stat */
	CHECK_EQ(rop(&r, USCHEME_OP_FSTAT, frw, 0, b, sizeof(struct uscheme_stat) - 1, 0,
		     NULL, 0), -EINVAL);

	/* reserved fields and fields an op does not name: -EINVAL */
	sqe_fill(&s, USCHEME_OP_READ, frw, 0, b, 8, 0, NULL, 0, 0);
	s.flags = 1;
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	s.flags = 0x80;
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	s.flags = 0;
	s.ioprio = 1;
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	s.ioprio = 0;
	s.resv0 = 1;
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	s.resv0 = 0;
	s.resv1 = 1ULL << 63;
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	s.resv1 = 0;
	s.addr2 = (uintptr_t)b;
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	s.addr2 = 0;
	s.len2 = 4;
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	s.len2 = 0;
	s.op_flags = 1;
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	s.op_flags = 0;
	CHECK_EQ(rop_sqe(&r, &s), 8);	/* the same SQE, clean */
	sqe_fill(&s, USCHEME_OP_FSYNC, frw, 1, NULL, 0, 0, NULL, 0, 0);
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);	/* FSYNC has no offset */
	sqe_fill(&s, USCHEME_OP_FSYNC, frw, 0, b, 0, 0, NULL, 0, 0);
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	sqe_fill(&s, USCHEME_OP_FSTAT, frw, 7, b, 64, 0, NULL, 0, 0);
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	sqe_fill(&s, USCHEME_OP_DUP, frw, 0, NULL, 0, O_NONBLOCK, NULL, 0, 0);
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);	/* DUP takes 0 or O_CLOEXEC */
	sqe_fill(&s, USCHEME_OP_LAST, frw, 0, NULL, 0, 0, NULL, 0, 0);
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	s.opcode = 0xff;
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	sqe_fill(&s, USCHEME_OP_CANCEL, 0, 0, (void *)(uintptr_t)0x999, 0, 0, NULL, 0, 0);
	CHECK_EQ(rop_sqe(&r, &s), -ENOENT);

	/* ... and in the ioctl arguments */
	for (i = 0; i < 2; i++) {
		char path[128];

		snprintf(path, sizeof(path), "%s:plain", dm.name);
		memset(&o, 0, sizeof(o));
		o.path = (uintptr_t)path;
		o.flags = O_RDONLY;
		o.resv[i] = 1;
		CHECK(ioctl(dev(), USCHEME_IOC_OPEN, &o) < 0 && errno == EINVAL);
	}
	memset(&du, 0, sizeof(du));
	du.resv0 = 1;
	CHECK(ioctl(frw, USCHEME_HIOC_DUP, &du) < 0 && errno == EINVAL);
	du.resv0 = 0;
	du.resv[1] = 1;
	CHECK(ioctl(frw, USCHEME_HIOC_DUP, &du) < 0 && errno == EINVAL);
	CHECK_EQ(h_dup(frw, NULL, 0, O_NONBLOCK), -EINVAL);
	CHECK_EQ(h_dup(frw, (const char *)big, USCHEME_PATH_MAX + 1, 0), -ENAMETOOLONG);
	memset(&ca, 0, sizeof(ca));
	ca.in = (uintptr_t)b;
	ca.in_len = 4;
	ca.out = (uintptr_t)b;
	ca.out_len = 4;
	ca.resv[0] = 1;
	CHECK(ioctl(frw, USCHEME_HIOC_CALL, &ca) < 0 && errno == EINVAL);
	/* handle ioctls on a ring fd, and an unknown handle ioctl */
	CHECK(ioctl(r.fd, USCHEME_HIOC_CALL, &ca) < 0);
	CHECK(ioctl(frw, _IO(USCHEME_IOC_MAGIC, 0x3f)) < 0 && errno == ENOTTY);
	/* nothing so far reached the daemon except the one clean READ */
	usleep(50 * 1000);
	CHECK_EQ(LOAD(&dm.shm->nlog), cur + 1);

	/* a daemon's errors pass unchanged */
	CHECK_EQ(sysres(write(fsp, b, 8)), -ENOSPC);
	CHECK_EQ(sysres(pwrite(fsp, b, 8, 100)), -ENOSPC);
	CHECK_EQ(rop(&r, USCHEME_OP_WRITE, fsp, 0, b, 8, 0, NULL, 0), -ENOSPC);
	CHECK_EQ(h_call(frw, b, 4, CALL_EACCES, b, 4), -EACCES);
	CHECK_EQ(rop(&r, USCHEME_OP_CALL, frw, 0, b, 4, CALL_EACCES, b, 4), -EACCES);
	CHECK_EQ(LOAD(&dm.shm->nlog), cur + 6);
	/* the handles still work */
	CHECK_EQ(pread(fro, b, 8, 8), 8);
	CHECK_EQ(check_pat(b, 8, 8), 0);
	CHECK_EQ(pwrite(fwo, b, 8, 8), 8);
	free(big);
	us_ring_exit(&r);
	return dstop(&dm);
}

