// SPDX-License-Identifier: MIT
/*
 * fd_install() is the last step (THREAT-MODEL: fd install). An open whose
 * result cannot be written back (the argument is read-only memory) fails
 * with -EFAULT and leaves no fd behind; the number is written to the caller
 * before the fd exists, so another thread's fd in that slot is never closed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "harden.h"

/* The lowest free fd number. */
static int lowest_free(void)
{
	int fd = dup(0), ret = fd;

	if (fd >= 0)
		close(fd);
	return ret;
}

int t_fd_publish_efault(void)
{
	struct uscheme_open *o;
	struct uscheme_dup *dp;
	static const char spec[] = "sys:schemes";
	struct hd d;
	int dev, h, before;

	CHECK(!hd_start(&d, "hpub", hd_answer_ok));
	dev = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	CHECK(dev >= 0);
	h = hd_open(&d, "f", O_RDWR);
	CHECK(h >= 0);
	o = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(o != MAP_FAILED);
	dp = (struct uscheme_dup *)(o + 1);

	memset(o, 0, sizeof(*o));
	o->path = (uintptr_t)spec;
	memset(dp, 0, sizeof(*dp));
	CHECK_EQ(mprotect(o, 4096, PROT_READ), 0);
	before = lowest_free();
	errno = 0;
	CHECK(ioctl(dev, USCHEME_IOC_OPEN, o) == -1);	/* sys: */
	CHECK_EQ(errno, EFAULT);
	CHECK_EQ(lowest_free(), before);
	CHECK(mprotect(o, 4096, PROT_READ | PROT_WRITE) == 0);
	snprintf((char *)(dp + 1), 32, "hpub:g");
	o->path = (uintptr_t)(dp + 1);
	CHECK_EQ(mprotect(o, 4096, PROT_READ), 0);
	errno = 0;
	CHECK(ioctl(dev, USCHEME_IOC_OPEN, o) == -1);	/* a daemon's handle */
	CHECK_EQ(errno, EFAULT);
	CHECK_EQ(lowest_free(), before);
	errno = 0;
	CHECK(ioctl(h, USCHEME_HIOC_DUP, dp) == -1);	/* DUP */
	CHECK_EQ(errno, EFAULT);
	CHECK_EQ(lowest_free(), before);
	/* Each handle made and dropped was closed for the daemon. */
	CHECK(!hd_wait_count(&d, USCHEME_OP_CLOSE, 2));
	munmap(o, 4096);
	close(h);
	close(dev);
	hd_stop(&d);
	return 0;
}
