// SPDX-License-Identifier: MIT
/*
 * The route suite (route.h): a malicious daemon: passed fds, illegal
 * answers, an unknown file type.
 */
#include "route.h"

/* ------------------------------------------------------------------ */
/* A malicious daemon                                                  */
/* ------------------------------------------------------------------ */

static int rejected_is(struct daemon *dm, uint32_t want)
{
	CHECK_EQ(wait_u32(&dm->shm->rejected, want, SLOW_MS), 0);
	CHECK_EQ(LOAD(&dm->shm->rejected), want);
	return 0;
}

/* USCHEME_CQE_F_FD: a daemon answers OPEN with one of its own open files. */
int t_passed_fd(void)
{
	char b[16];
	struct daemon dm;
	struct us_ring r;
	struct stat st;
	uint32_t rej = 0;
	int32_t fd;

	dname(&dm, "passfd");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	dm.shm->track = 1;
	CHECK_EQ(cring(&r, 8), 0);
	/* a blocking open: the pipe the daemon made, with the client's O_CLOEXEC */
	fd = d_open(&dm, "passfd", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	CHECK_EQ(read(fd, b, sizeof(b)), 7);
	CHECK(!memcmp(b, "passed\n", 7));
	close(fd);
	/* the same through a ring OPEN */
	fd = rop_open(&r, &dm, "passfd", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	CHECK_EQ(read(fd, b, sizeof(b)), 7);
	close(fd);
	CHECK_EQ(LOAD(&dm.shm->rejected), 0);
	/* not an open fd of the daemon's: -EIO, counted */
	CHECK_EQ(d_open(&dm, "passfd-bad", O_RDONLY), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	CHECK_EQ(rop_open(&r, &dm, "passfd-bad", O_RDONLY), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	/* a file passed in answer to a READ: -EIO, counted, nothing installed */
	fd = d_open(&dm, "passfd-read", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(sysres(pread(fd, b, 4, 0)), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	CHECK_EQ(fcntl(fd + 1, F_GETFD), -1);
	close(fd);
	us_ring_exit(&r);
	return dstop(&dm);
}

int t_evil_daemon(void)
{
	unsigned char b[64];
	struct daemon dm;
	struct us_ring r;
	struct stat st;
	uint32_t rej = 0;
	int fd;

	dname(&dm, "evil");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	dm.shm->track = 1;
	CHECK_EQ(cring(&r, 8), 0);
	usleep(50 * 1000);
	CHECK_EQ(LOAD(&dm.shm->rejected), 0);

	/* OPEN answered with res < -4095 */
	CHECK_EQ(d_open(&dm, "open-evil", O_RDONLY), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	CHECK_EQ(rop_open(&r, &dm, "open-evil", O_RDONLY), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);

	/* READ result > len */
	fd = d_open(&dm, "read-big", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(sysres(pread(fd, b, 16, 0)), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, 0, b, 16, 0, NULL, 0), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	/* res < -4095 */
	fd = d_open(&dm, "read-neg", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(sysres(read(fd, b, 16)), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	/*
	 * -4095 is beyond the userspace errnos (1..USCHEME_ERRNO_MAX): like the
	 * kernel-internal codes, it becomes -EIO (tests/harden/daemon_errno.c
	 * covers the whole range).
	 */
	fd = d_open(&dm, "e4095", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, 0, b, 16, 0, NULL, 0), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	/* WRITE result > len */
	fd = d_open(&dm, "write-big", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(sysres(pwrite(fd, b, 16, 0)), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	/* FSTAT with res > 0 (an unknown file type: evil_fstat_mode) */
	fd = d_open(&dm, "fstat-res", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(sysres(fstat(fd, &st)), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	/* FSYNC, FTRUNCATE answered with res > 0 */
	fd = d_open(&dm, "fsync-res", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(sysres(fsync(fd)), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	fd = d_open(&dm, "ftrunc-res", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(sysres(ftruncate(fd, 10)), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	/* CALL result > len2 */
	fd = d_open(&dm, "call-big", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(h_call(fd, b, 8, 0, b + 8, 8), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	/* DUP answered with res < -4095 */
	fd = d_open(&dm, "dup-neg", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(h_dup(fd, "x", 1, 0), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	/* an unknown tag is dropped and counted; the real answer still counts */
	fd = d_open(&dm, "unknown-tag", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, b, 16, 3), 16);
	CHECK_EQ(check_pat(b, 3, 16), 0);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	/* a duplicate answer is dropped and counted */
	fd = d_open(&dm, "twice", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, b, 16, 9), 16);
	CHECK_EQ(check_pat(b, 9, 16), 0);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	CHECK_EQ(pread(fd, b, 16, 9), 16);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);

	/* the scheme still serves */
	fd = d_open(&dm, "plain", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, b, 32, 1), 32);
	CHECK_EQ(check_pat(b, 1, 32), 0);
	close(fd);
	usleep(100 * 1000);
	CHECK_EQ(LOAD(&dm.shm->rejected), rej);
	us_ring_exit(&r);
	return dstop(&dm);
}

/* FSTAT answered with a file type the kernel does not know: -EIO, counted. */
int t_evil_fstat_mode(void)
{
	struct uscheme_stat ust;
	struct daemon dm;
	struct us_ring r;
	struct stat st;
	int fd;

	dname(&dm, "evilmode");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	dm.shm->track = 1;
	CHECK_EQ(cring(&r, 8), 0);
	fd = d_open(&dm, "fstat-mode", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(rop(&r, USCHEME_OP_FSTAT, fd, 0, &ust, sizeof(ust), 0, NULL, 0), -EIO);
	CHECK_EQ(rejected_is(&dm, 1), 0);
	CHECK_EQ(sysres(fstat(fd, &st)), -EIO);
	CHECK_EQ(rejected_is(&dm, 2), 0);
	close(fd);
	us_ring_exit(&r);
	return dstop(&dm);
}

