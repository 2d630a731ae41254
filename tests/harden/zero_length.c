// SPDX-License-Identifier: MIT
/*
 * Zero lengths (THREAT-MODEL: lengths). A request admitted with no data
 * chunk (CALL with both lengths 0, a ring WRITE or READ of 0 bytes) is
 * routed like any other and never touches a chunk it does not have.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "harden.h"

int t_zero_len_handle_call(void)
{
	struct uscheme_call c;
	struct hd d;
	int fd;

	CHECK(!hd_start(&d, "hzcall", hd_answer_ok));
	fd = hd_open(&d, "f", O_RDWR);
	CHECK(fd >= 0);
	memset(&c, 0, sizeof(c));
	c.op_flags = 5;
	CHECK(ioctl(fd, USCHEME_HIOC_CALL, &c) == 0);
	CHECK_EQ(c.result, 0);
	CHECK_EQ(hd_count(&d, USCHEME_OP_CALL), 1);
	CHECK_EQ(hd_last(&d, USCHEME_OP_CALL)->len, 0);
	CHECK_EQ(hd_last(&d, USCHEME_OP_CALL)->len2, 0);
	/* Null buffers with zero lengths are fine too. */
	c.in = 0;
	c.out = 0;
	CHECK(ioctl(fd, USCHEME_HIOC_CALL, &c) == 0);
	close(fd);
	hd_stop(&d);
	return 0;
}

int t_zero_len_ring_ops(void)
{
	struct uscheme_sqe sqe;
	struct us_ring ring;
	char byte = 'x';
	int32_t res;
	struct hd d;
	int fd;

	CHECK(!hd_start(&d, "hzring", hd_answer_ok));
	fd = hd_open(&d, "f", O_RDWR);
	CHECK(fd >= 0);
	CHECK(!us_ring_init(&ring, 8, 0, 0));

	memset(&sqe, 0, sizeof(sqe));
	us_prep_call(&sqe, fd, NULL, 0, NULL, 0, 0, 1);
	CHECK(!hd_ring_op(&ring, &sqe, &res));
	CHECK_EQ(res, 0);

	memset(&sqe, 0, sizeof(sqe));
	us_prep_write(&sqe, fd, &byte, 0, 0, 2);
	CHECK(!hd_ring_op(&ring, &sqe, &res));
	CHECK_EQ(res, 0);

	memset(&sqe, 0, sizeof(sqe));
	us_prep_read(&sqe, fd, &byte, 0, 0, 3);
	CHECK(!hd_ring_op(&ring, &sqe, &res));
	CHECK_EQ(res, 0);
	CHECK_EQ(byte, 'x');

	CHECK_EQ(hd_count(&d, USCHEME_OP_CALL), 1);
	CHECK_EQ(hd_count(&d, USCHEME_OP_WRITE), 1);
	CHECK_EQ(hd_count(&d, USCHEME_OP_READ), 1);
	us_ring_exit(&ring);
	close(fd);
	hd_stop(&d);
	return 0;
}
