// SPDX-License-Identifier: MIT
/*
 * A daemon's result is a value or an errno from the documented set
 * (THREAT-MODEL: results from a peer). The kernel-internal codes
 * (-ERESTARTSYS 512 .. -EIOCBQUEUED 529) never pass into the VFS or a CQE:
 * they become -EIO, and the answer is counted as rejected. -EIOCBQUEUED
 * answered to read(2) hit BUG_ON() in new_sync_read().
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "harden.h"

/* Every READ is answered with sh->arg (an error). */
static int32_t answer_arg(struct hd_shared *sh, const struct uscheme_req *rq, void *chunk)
{
	if (rq->opcode == USCHEME_OP_READ || rq->opcode == USCHEME_OP_WRITE)
		return __atomic_load_n(&sh->arg, __ATOMIC_ACQUIRE);
	return hd_answer_ok(sh, rq, chunk);
}

/* The kernel's internal codes, and the first value past userspace's errnos. */
static const int32_t internal[] = {
	-512, -513, -514, -515, -516, -517, -518, -519, -520, -521, -522, -523,
	-524, -525, -526, -527, -528, -529, -134, -4095,
};

int t_daemon_internal_errno_read(void)
{
	struct iovec iov[2];
	char buf[64];
	struct hd d;
	unsigned int i;
	int fd;

	CHECK(!hd_start(&d, "herrno", answer_arg));
	fd = hd_open(&d, "f", O_RDWR);
	CHECK(fd >= 0);
	for (i = 0; i < sizeof(internal) / sizeof(internal[0]); i++) {
		__atomic_store_n(&d.sh->arg, internal[i], __ATOMIC_RELEASE);
		errno = 0;
		if (read(fd, buf, sizeof(buf)) != -1 || errno != EIO) {
			fprintf(stderr, "  answer %d: read gave errno %d, not EIO\n",
				internal[i], errno);
			return -1;
		}
		iov[0].iov_base = buf;
		iov[0].iov_len = 10;
		iov[1].iov_base = buf + 10;
		iov[1].iov_len = 10;
		errno = 0;
		CHECK(readv(fd, iov, 2) == -1);
		CHECK_EQ(errno, EIO);
		errno = 0;
		CHECK(pwrite(fd, buf, 8, 0) == -1);
		CHECK_EQ(errno, EIO);
	}
	close(fd);
	hd_stop(&d);
	return 0;
}

int t_daemon_internal_errno_ring(void)
{
	struct uscheme_sqe sqe;
	struct us_ring ring;
	char buf[64];
	struct hd d;
	unsigned int i;
	int32_t res;
	int fd;

	CHECK(!hd_start(&d, "herrring", answer_arg));
	fd = hd_open(&d, "f", O_RDWR);
	CHECK(fd >= 0);
	CHECK(!us_ring_init(&ring, 8, 0, 0));
	for (i = 0; i < sizeof(internal) / sizeof(internal[0]); i++) {
		__atomic_store_n(&d.sh->arg, internal[i], __ATOMIC_RELEASE);
		memset(&sqe, 0, sizeof(sqe));
		us_prep_read(&sqe, fd, buf, sizeof(buf), 0, i + 1);
		CHECK(!hd_ring_op(&ring, &sqe, &res));
		if (res != -EIO) {
			fprintf(stderr, "  answer %d: CQE res %d, not -EIO\n", internal[i], res);
			return -1;
		}
	}
	us_ring_exit(&ring);
	close(fd);
	hd_stop(&d);
	return 0;
}

/* Userspace errnos pass unchanged, up to EHWPOISON (USCHEME_ERRNO_MAX). */
int t_daemon_errno_range(void)
{
	static const int32_t pass[] = { -1, -EAGAIN, -EINTR, -ENOSPC, -ENOTCONN, -133 };
	char buf[16];
	struct hd d;
	unsigned int i;
	int fd;

	CHECK_EQ(USCHEME_ERRNO_MAX, EHWPOISON);
	CHECK(!hd_start(&d, "herrpass", answer_arg));
	fd = hd_open(&d, "f", O_RDWR);
	CHECK(fd >= 0);
	for (i = 0; i < sizeof(pass) / sizeof(pass[0]); i++) {
		__atomic_store_n(&d.sh->arg, pass[i], __ATOMIC_RELEASE);
		errno = 0;
		CHECK(read(fd, buf, sizeof(buf)) == -1);
		CHECK_EQ(errno, -pass[i]);
	}
	close(fd);
	hd_stop(&d);
	return 0;
}
