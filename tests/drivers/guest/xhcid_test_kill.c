// SPDX-License-Identifier: MIT
/*
 * Clients that go away: a client killed while its READ waits on the
 * keyboard's interrupt endpoint, and one killed in the middle of a 1 MiB
 * disk transfer. xhcid stays up (same pid), the port can be owned again,
 * and works (after a Bulk-Only reset for the disk). CANCEL of a waiting
 * READ through a ring: -ECANCELED, and xhcid drops the transfer.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "xhcid_test.h"

/* Wait up to @ms for a byte on @fd; 0 or -1. */
static int wait_byte(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	if (poll(&p, 1, ms) != 1 || read(fd, &c, 1) != 1)
		return -1;
	return 0;
}

/* Wait up to 2 s until the endpoint has no transfer queued. */
static int drained(int ep)
{
	struct usb_ep_info ei = { 0 };
	long long end = xt_ms() + 2000;

	do {
		if (xt_ep_info(ep, &ei))
			return -1;
		if (ei.inflight == 0)
			return 0;
		usleep(20 * 1000);
	} while (xt_ms() < end);
	fprintf(stderr, "  %u transfers still queued on ep%02x after 2 s\n", ei.inflight, ei.address);
	return -1;
}

static void kbd_waiter(int ready)
{
	uint8_t rep[8];
	int port, ep;

	port = xt_own(XT_CTRL0, XT_KBD_VID, XT_KBD_PID);
	ep = port >= 0 ? us_dup(port, "ep81", 0) : -1;
	if (ep < 0)
		_exit(2);
	if (write(ready, "r", 1) != 1)
		_exit(3);
	(void)read(ep, rep, sizeof(rep));	/* waits: no key comes */
	_exit(4);
}

int t_kill_waiting(void)
{
	pid_t x = xt_xhcid_pid(XT_CTRL0), child;
	int pfd[2], st, port, ep;

	CHECK(x > 0);
	CHECK_EQ(pipe(pfd), 0);
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		close(pfd[0]);
		kbd_waiter(pfd[1]);
	}
	close(pfd[1]);
	CHECK(!wait_byte(pfd[0], 10000));
	usleep(300 * 1000);
	/* its READ waits */
	CHECK_EQ(waitpid(child, &st, WNOHANG), 0);
	kill(child, SIGKILL);
	CHECK_EQ(waitpid(child, &st, 0), child);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	close(pfd[0]);
	/* xhcid is the same process, and the port can be owned again */
	CHECK_EQ(xt_xhcid_pid(XT_CTRL0), x);
	port = xt_own(XT_CTRL0, XT_KBD_VID, XT_KBD_PID);
	CHECK(port >= 0);
	ep = us_dup(port, "ep81", 0);
	CHECK(ep >= 0);
	CHECK(!drained(ep));
	close(ep);
	close(port);
	CHECK(xt_wait_ready(XT_CTRL0, XT_KBD_VID, XT_KBD_PID, 1) > 0);
	return 0;
}

static void disk_reader(int ready)
{
	const uint32_t lba = 2000, n = 2048;
	uint8_t cdb[10] = { 0x28, 0, 0, 0, (uint8_t)(lba >> 8), (uint8_t)lba, 0,
			    (uint8_t)(n >> 8), (uint8_t)n, 0 };
	uint8_t cbw[BOT_CBW_LEN];
	static uint8_t buf[1 << 20];
	struct us_ring r;
	struct bot b;

	if (bot_open(&b, XT_CTRL0, 0) || bot_ready(&b) || us_ring_init(&r, 8, 0, 0))
		_exit(2);
	bot_cbw(cbw, 0x666, n * XT_SECTOR, 1, cdb, 10);
	if (write(b.out, cbw, sizeof(cbw)) != BOT_CBW_LEN)
		_exit(3);
	us_prep_read(us_get_sqe(&r), b.in, buf, sizeof(buf), 0, 1);
	if (us_submit(&r) != 1)
		_exit(4);
	if (write(ready, "r", 1) != 1)
		_exit(5);
	pause();
	_exit(6);
}

int t_kill_midtransfer(void)
{
	pid_t x = xt_xhcid_pid(XT_CTRL0), child;
	int pfd[2], st;
	struct bot b;

	CHECK(x > 0);
	CHECK_EQ(pipe(pfd), 0);
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		close(pfd[0]);
		disk_reader(pfd[1]);
	}
	close(pfd[1]);
	if (wait_byte(pfd[0], 15000)) {
		waitpid(child, &st, 0);
		fprintf(stderr, "  the child could not start its transfer (exit %d)\n",
			WIFEXITED(st) ? WEXITSTATUS(st) : -1);
		return -1;
	}
	kill(child, SIGKILL);
	CHECK_EQ(waitpid(child, &st, 0), child);
	close(pfd[0]);
	CHECK_EQ(xt_xhcid_pid(XT_CTRL0), x);
	/* the next owner resets the device and reads */
	CHECK_EQ(bot_open(&b, XT_CTRL0, 0), 0);
	CHECK(!drained(b.in));
	CHECK_EQ(bot_reset(&b), 0);
	CHECK_EQ(bot_ready(&b), 0);
	CHECK(!bot_read_check(&b, 2000, 64));
	CHECK(!bot_read_check(&b, 50000, 1));
	bot_close(&b);
	CHECK_EQ(xt_xhcid_pid(XT_CTRL0), x);
	return 0;
}

int t_cancel(void)
{
	uint8_t rep[8];
	struct uscheme_cqe c[2];
	struct us_ring r;
	struct usb_ep_info ei;
	int port, ep;

	port = xt_own(XT_CTRL0, XT_KBD_VID, XT_KBD_PID);
	CHECK(port >= 0);
	ep = us_dup(port, "ep81", 0);
	CHECK(ep >= 0);
	CHECK_EQ(us_ring_init(&r, 8, 0, 0), 0);
	us_prep_read(us_get_sqe(&r), ep, rep, sizeof(rep), 0, 1);
	CHECK_EQ(us_submit(&r), 1);
	/* it waits */
	CHECK_EQ(xt_reap(&r, &c[0], 300), -ETIME);
	CHECK_EQ(xt_ep_info(ep, &ei), 0);
	CHECK_EQ(ei.inflight, 1);
	us_prep_cancel(us_get_sqe(&r), 1, 2);
	CHECK_EQ(us_submit(&r), 1);
	CHECK_EQ(xt_reap(&r, &c[0], 5000), 0);
	CHECK_EQ(xt_reap(&r, &c[1], 5000), 0);
	if (c[0].user_data == 2) {
		struct uscheme_cqe t = c[0];

		c[0] = c[1];
		c[1] = t;
	}
	CHECK_EQ(c[0].user_data, 1);
	CHECK_EQ(c[0].res, -ECANCELED);
	CHECK_EQ(c[1].user_data, 2);
	CHECK_EQ(c[1].res, 0);
	/* xhcid dropped the transfer */
	CHECK(!drained(ep));
	/* and the endpoint takes the next one, which waits again */
	us_prep_read(us_get_sqe(&r), ep, rep, sizeof(rep), 0, 3);
	CHECK_EQ(us_submit(&r), 1);
	CHECK_EQ(xt_reap(&r, &c[0], 300), -ETIME);
	CHECK_EQ(xt_ep_info(ep, &ei), 0);
	CHECK_EQ(ei.inflight, 1);
	/* closing the ring cancels it too */
	us_ring_exit(&r);
	CHECK(!drained(ep));
	close(ep);
	close(port);
	return 0;
}
