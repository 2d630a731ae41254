// SPDX-License-Identifier: MIT
/*
 * The ABI's answers where several rules could apply (issue "The suite's own
 * checks must be able to fail; the ABI says what wins"), as uapi/uscheme.h
 * now states them: which error wins, what stats.rejected counts, a reused
 * fd number's watch, sys: handles through a ring, the hangup a handle
 * reports to every way of asking, and the enter timeout rules.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>
#ifndef __i386__
#include <liburing.h>	/* 64-bit only: there is no 32-bit liburing to link */
#endif

#include "harden.h"

static int ring_res(struct us_ring *r, const struct uscheme_sqe *sqe)
{
	int32_t res;

	if (hd_ring_op(r, sqe, &res))
		return -10000;
	return res;
}

static uint64_t rejected(struct us_ring *r)
{
	struct uscheme_stats st;

	return us_ring_stats(r, &st) ? ~0ULL : st.rejected;
}

int t_abi_error_precedence(void)
{
	struct uscheme_fu_entry fu[USCHEME_FU_MAX + 1];
	struct uscheme_stat stbuf;
	struct uscheme_sqe sqe;
	struct us_ring r;
	char in[8], out[8];
	struct hd d;
	uint64_t rej;
	int fd;

	CHECK(!hd_start(&d, "habi", hd_answer_ok));
	fd = hd_open(&d, "f", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(us_ring_init(&r, 8, 0, 0), 0);
	rej = rejected(&r);

	/* The fd wins over the arguments. */
	memset(&sqe, 0, sizeof(sqe));
	us_prep_call(&sqe, 999, in, sizeof(in), out, USCHEME_IO_MAX + 1, 0, 1);
	CHECK_EQ(ring_res(&r, &sqe), -EBADF);
	sqe.fd = -1;
	CHECK_EQ(ring_res(&r, &sqe), -EBADF);
	memset(&sqe, 0, sizeof(sqe));
	us_prep_fstat(&sqe, 999, &stbuf, 2);
	sqe.len = 8;
	CHECK_EQ(ring_res(&r, &sqe), -EBADF);
	/* On a good handle, the arguments. */
	sqe.fd = fd;
	CHECK_EQ(ring_res(&r, &sqe), -EINVAL);
	memset(&sqe, 0, sizeof(sqe));
	us_prep_call(&sqe, fd, in, sizeof(in), out, USCHEME_IO_MAX + 1, 0, 3);
	CHECK_EQ(ring_res(&r, &sqe), -E2BIG);
	memset(&sqe, 0, sizeof(sqe));
	us_prep_open(&sqe, "habi:f", O_RDONLY, 4);
	sqe.len = 0;
	CHECK_EQ(ring_res(&r, &sqe), -EINVAL);
	memset(fu, 0, sizeof(fu));
	memset(&sqe, 0, sizeof(sqe));
	us_prep_files_update(&sqe, fu, 0, 5);
	CHECK_EQ(ring_res(&r, &sqe), -EINVAL);
	us_prep_files_update(&sqe, fu, USCHEME_FU_MAX + 1, 5);
	CHECK_EQ(ring_res(&r, &sqe), -EINVAL);
	/* None of those is a malformed SQE. */
	CHECK_EQ(rejected(&r), rej);

	/* Form first: a reserved field on a CALL to a closed fd. */
	memset(&sqe, 0, sizeof(sqe));
	us_prep_call(&sqe, 999, in, sizeof(in), out, USCHEME_IO_MAX + 1, 0, 6);
	sqe.resv1 = 1;
	CHECK_EQ(ring_res(&r, &sqe), -EINVAL);
	CHECK_EQ(rejected(&r), rej + 1);
	us_ring_exit(&r);
	close(fd);
	hd_stop(&d);
	return 0;
}

/* A watched ring's fd closed while the ring lives on: its number is free. */
int t_abi_watch_fd_reuse(void)
{
	struct uscheme_fu_entry fu;
	struct uscheme_sqe sqe;
	struct uscheme_cqe *cqe;
	struct us_ring w, x;
	int keep, efd, n, got_final = 0, i;

	CHECK_EQ(us_ring_init(&w, 8, 0, 0), 0);
	CHECK_EQ(us_ring_init(&x, 8, 0, 0), 0);
	n = x.fd;
	memset(&sqe, 0, sizeof(sqe));
	us_fu_entry(&fu, n, USCHEME_EV_READ, USCHEME_FU_ADD, 11);
	us_prep_files_update(&sqe, &fu, 1, 1);
	CHECK_EQ(ring_res(&w, &sqe), 1);
	keep = dup(n);			/* the watched ring lives on */
	CHECK(keep >= 0);
	CHECK_EQ(close(n), 0);
	efd = eventfd(0, 0);		/* takes the lowest number: n */
	CHECK_EQ(efd, n);
	us_fu_entry(&fu, n, USCHEME_EV_READ, USCHEME_FU_ADD, 12);
	CHECK_EQ(ring_res(&w, &sqe), 1);
	CHECK_EQ(fu.res, 0);		/* not -EEXIST */
	/* The old registration ends with its final -EBADF. */
	for (i = 0; i < 4 && !got_final; i++) {
		if (us_wait_cqe(&w, &cqe, 500000000LL))
			break;
		if (cqe->user_data == 11 && cqe->res == -EBADF)
			got_final = 1;
		us_cqe_seen(&w);
	}
	CHECK(got_final);
	close(efd);
	close(keep);
	us_ring_exit(&w);
	return 0;
}

/* A sys: handle answers a ring FSTAT as fstat(2) does; DUP and CALL as their ioctls. */
int t_abi_sys_handle_ring_ops(void)
{
	struct uscheme_stat st;
	struct uscheme_sqe sqe;
	struct us_ring r;
	struct stat kst;
	char buf[8];
	int fd;

	fd = us_open("sys:schemes", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &kst), 0);
	CHECK_EQ(us_ring_init(&r, 8, 0, 0), 0);
	memset(&sqe, 0, sizeof(sqe));
	us_prep_fstat(&sqe, fd, &st, 1);
	CHECK_EQ(ring_res(&r, &sqe), 0);
	CHECK_EQ(st.mode, S_IFREG | 0444);
	CHECK_EQ(st.size, (uint64_t)kst.st_size);
	memset(&sqe, 0, sizeof(sqe));
	us_prep_dup(&sqe, fd, "", 0, 2);
	CHECK_EQ(ring_res(&r, &sqe), -EOPNOTSUPP);
	CHECK_EQ(us_dup(fd, "", 0), -EOPNOTSUPP);
	memset(&sqe, 0, sizeof(sqe));
	us_prep_call(&sqe, fd, buf, 1, buf, 1, 0, 3);
	CHECK_EQ(ring_res(&r, &sqe), -EOPNOTSUPP);
	CHECK_EQ(us_call(fd, buf, 1, buf, 1, 0), -EOPNOTSUPP);
	us_ring_exit(&r);
	close(fd);
	return 0;
}

/* Timeout without GETEVENTS, or negative: -EINVAL. */
int t_abi_enter_timeout_rules(void)
{
	struct us_ring r;

	CHECK_EQ(us_ring_init(&r, 4, 0, 0), 0);
	CHECK_EQ(us_enter(&r, 0, 0, USCHEME_ENTER_TIMEOUT, 1000, NULL), -EINVAL);
	CHECK_EQ(us_enter(&r, 0, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT, -1, NULL),
		 -EINVAL);
	CHECK_EQ(us_enter(&r, 0, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT, 0, NULL),
		 -ETIME);
	us_ring_exit(&r);
	return 0;
}

#ifndef __i386__
/* A dead daemon's handle: io_uring's POLL_ADD reports what poll(2) reports. */
int t_abi_hup_same_everywhere(void)
{
	struct io_uring_cqe *cqe;
	struct io_uring ring;
	struct pollfd pfd;
	struct hd d;
	int fd, res;

	CHECK(!hd_start(&d, "hhupio", hd_answer_ok));
	fd = hd_open(&d, "f", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(io_uring_queue_init(4, &ring, 0), 0);
	/*
	 * A live daemon's handle is readable and writable, never POLLPRI: the
	 * poll waits for the daemon's death (ERR and HUP always count).
	 */
	io_uring_prep_poll_add(io_uring_get_sqe(&ring), fd, POLLPRI);
	CHECK_EQ(io_uring_submit(&ring), 1);
	usleep(100 * 1000);
	hd_stop(&d);
	CHECK_EQ(io_uring_wait_cqe(&ring, &cqe), 0);
	res = cqe->res;
	io_uring_cqe_seen(&ring, cqe);
	pfd.fd = fd;
	pfd.events = POLLPRI;
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	if (res != pfd.revents) {
		fprintf(stderr, "  POLL_ADD says %#x, poll(2) says %#x\n", res, pfd.revents);
		return -1;
	}
	CHECK_EQ(res, POLLERR | POLLHUP);
	io_uring_queue_exit(&ring);
	close(fd);
	return 0;
}
#endif
