// SPDX-License-Identifier: MIT
/*
 * A handle's state lives as long as anything can reach it (THREAT-MODEL:
 * VFS lifetimes). An O_PATH open of /proc/self/fd/N keeps the handle's
 * inode after the last close of the handle: fstat(2) and truncate(2)
 * through it must fail cleanly (-ESTALE), never reach freed memory, and
 * the daemon must never see a request for a handle after its CLOSE.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "harden.h"

/* No request but a new OPEN logged after the first CLOSE. */
static int nothing_after_close(const struct hd *d)
{
	uint32_t i, n = d->sh->nreq;
	int closed = 0;

	for (i = 0; i < n; i++) {
		if (d->sh->rq[i].opcode == USCHEME_OP_CLOSE)
			closed = 1;
		else if (closed && d->sh->rq[i].opcode != USCHEME_OP_OPEN) {
			fprintf(stderr, "  the daemon got op %u after the handle's CLOSE\n",
				d->sh->rq[i].opcode);
			return -1;
		}
	}
	return 0;
}

int t_opath_fstat_after_close(void)
{
	char path[64];
	struct stat st;
	struct hd d;
	int fd, op, i;

	CHECK(!hd_start(&d, "hopath", hd_answer_ok));
	for (i = 0; i < 20; i++) {
		fd = hd_open(&d, "f", O_RDWR);
		CHECK(fd >= 0);
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		op = open(path, O_PATH);
		CHECK(op >= 0);
		CHECK(close(fd) == 0);
		CHECK(!hd_wait_count(&d, USCHEME_OP_CLOSE, i + 1));
		errno = 0;
		CHECK(fstat(op, &st) == -1);
		CHECK_EQ(errno, ESTALE);
		close(op);
	}
	CHECK_EQ(hd_count(&d, USCHEME_OP_FSTAT), 0);
	CHECK(!nothing_after_close(&d));
	hd_stop(&d);
	return 0;
}

int t_opath_truncate_after_close(void)
{
	char path[64];
	struct hd d;
	int fd, op;

	CHECK(!hd_start(&d, "hotrunc", hd_answer_ok));
	fd = hd_open(&d, "f", O_RDWR);
	CHECK(fd >= 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	op = open(path, O_PATH);
	CHECK(op >= 0);
	CHECK(close(fd) == 0);
	CHECK(!hd_wait_count(&d, USCHEME_OP_CLOSE, 1));
	snprintf(path, sizeof(path), "/proc/self/fd/%d", op);
	errno = 0;
	CHECK(truncate(path, 100) == -1);
	CHECK_EQ(errno, ESTALE);
	CHECK_EQ(hd_count(&d, USCHEME_OP_FTRUNCATE), 0);
	CHECK(!nothing_after_close(&d));
	close(op);
	hd_stop(&d);
	return 0;
}

/* While the handle lives, the same paths reach the daemon as before. */
int t_opath_live_handle(void)
{
	char path[64];
	struct stat st;
	struct hd d;
	int fd, op;

	CHECK(!hd_start(&d, "holive", hd_answer_ok));
	fd = hd_open(&d, "f", O_RDWR);
	CHECK(fd >= 0);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	op = open(path, O_PATH);
	CHECK(op >= 0);
	/* The daemon answers FSTAT with a zeroed stat: type 0 is illegal (-EIO). */
	errno = 0;
	CHECK(fstat(op, &st) == -1);
	CHECK_EQ(errno, EIO);
	CHECK_EQ(hd_count(&d, USCHEME_OP_FSTAT), 1);
	CHECK(truncate(path, 100) == 0);
	CHECK_EQ(hd_count(&d, USCHEME_OP_FTRUNCATE), 1);
	CHECK_EQ(hd_last(&d, USCHEME_OP_FTRUNCATE)->off, 100);
	close(fd);
	CHECK(!hd_wait_count(&d, USCHEME_OP_CLOSE, 1));
	close(op);
	hd_stop(&d);
	return 0;
}

/*
 * truncate(2) by path checks only the inode's permission bits: a handle
 * its daemon opened read-only must not be truncated that way either (as
 * ftruncate(2) on it is refused).
 */
int t_opath_truncate_readonly(void)
{
	char path[64];
	struct hd d;
	int fd;

	CHECK(!hd_start(&d, "hotro", hd_answer_ok));
	fd = hd_open(&d, "f", O_RDONLY);
	CHECK(fd >= 0);
	errno = 0;
	CHECK(ftruncate(fd, 0) == -1);
	CHECK(errno == EINVAL || errno == EBADF);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	errno = 0;
	CHECK(truncate(path, 0) == -1);
	CHECK_EQ(errno, EACCES);
	CHECK_EQ(hd_count(&d, USCHEME_OP_FTRUNCATE), 0);
	close(fd);
	hd_stop(&d);
	return 0;
}
