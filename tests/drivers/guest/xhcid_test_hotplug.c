// SPDX-License-Identifier: MIT
/*
 * Hot-plug through QEMU's monitor (device_del / device_add from the guest,
 * xt_monitor): the keyboard removed while a READ waits on its interrupt
 * endpoint (the READ fails -ENODEV, the port empties, its old handles
 * fail) and plugged back (enumerated again, a new generation); a third
 * disk plugged in (enumerated, its data is disk 2's) and removed while a
 * client reads it in a loop (the transfers fail cleanly, nothing hangs).
 * xhcid stays the same process throughout. Run last: the VM's devices
 * are as before afterwards, except for the third disk, which QEMU deletes
 * with its drive (once per boot).
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

#define KBD_ADD	"device_add usb-kbd,bus=xhci0.0,port=2,usb_version=1,id=usbkbd"

/* Wait up to @secs for port @port of @addr to be listed in state @state. */
static int port_state(const char *addr, unsigned int port, const char *state, int secs)
{
	long long end = xt_ms() + secs * 1000LL;
	struct xt_line l[64];
	int n;

	do {
		n = xt_listing(addr, l, 64);
		for (int i = 0; i < n; i++)
			if (l[i].port == port && !strcmp(l[i].state, state))
				return 0;
		usleep(100 * 1000);
	} while (xt_ms() < end);
	fprintf(stderr, "  %s port %u is not '%s' within %d s\n", xt_scheme(addr), port, state, secs);
	return -1;
}

int t_hotplug_kbd(void)
{
	struct usb_port_info before, after;
	struct uscheme_cqe c;
	struct us_ring r;
	pid_t x = xt_xhcid_pid(XT_CTRL0);
	uint8_t rep[8];
	int port, fd, ep, res;

	CHECK(x > 0);
	port = xt_wait_ready(XT_CTRL0, XT_KBD_VID, XT_KBD_PID, 10);
	CHECK(port > 0);
	fd = xt_own_port(XT_CTRL0, (unsigned int)port);
	CHECK(fd >= 0);
	CHECK_EQ(xt_port_info(fd, &before), 0);
	ep = us_dup(fd, "ep81", 0);
	CHECK(ep >= 0);
	CHECK_EQ(us_ring_init(&r, 8, 0, 0), 0);
	us_prep_read(us_get_sqe(&r), ep, rep, sizeof(rep), 0, 1);
	CHECK_EQ(us_submit(&r), 1);
	CHECK_EQ(xt_reap(&r, &c, 300), -ETIME);
	/* unplugged: the waiting READ ends with -ENODEV */
	CHECK_EQ(xt_monitor("device_del usbkbd"), 0);
	if (xt_reap(&r, &c, 5000)) {
		fprintf(stderr, "  the READ waiting on the removed keyboard did not end within 5 s\n");
		xt_monitor(KBD_ADD);
		return -1;
	}
	CHECK_EQ(c.res, -ENODEV);
	CHECK(!port_state(XT_CTRL0, (unsigned int)port, "empty", 5));
	CHECK_EQ(xt_open_port(XT_CTRL0, (unsigned int)port, O_RDONLY), -ENODEV);
	/* the old handles fail */
	res = (int)read(ep, rep, sizeof(rep));
	CHECK(res < 0 && (errno == ENODEV || errno == ESTALE));
	res = xt_control(fd, 0x80, 6, 0x0100, 0, rep, 8);
	CHECK(res == -ENODEV || res == -ESTALE);
	us_ring_exit(&r);
	close(ep);
	close(fd);
	/* plugged back: enumerated again, a new generation */
	CHECK_EQ(xt_monitor(KBD_ADD), 0);
	CHECK_EQ(xt_wait_ready(XT_CTRL0, XT_KBD_VID, XT_KBD_PID, 10), port);
	fd = xt_open_port(XT_CTRL0, (unsigned int)port, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(xt_port_info(fd, &after), 0);
	close(fd);
	CHECK(after.generation > before.generation);
	CHECK_EQ(after.vendor, XT_KBD_VID);
	CHECK_EQ(xt_xhcid_pid(XT_CTRL0), x);
	return 0;
}

/* Read disk 2 on @port in a loop until an error; write that errno to @out. */
static void reader(unsigned int port, int out)
{
	struct bot b;
	int err = 0, rounds = 0;

	if (bot_open_port(&b, XT_CTRL0, port, 2) || bot_ready(&b))
		_exit(2);
	if (write(out, &err, sizeof(err)) != sizeof(err))	/* started */
		_exit(3);
	while (!err && rounds++ < 100000) {
		static uint8_t buf[256 * XT_SECTOR];

		err = bot_read10(&b, (uint32_t)(rounds * 256) % (XT_DISK_SECTORS - 256), 256, buf);
	}
	if (write(out, &err, sizeof(err)) != sizeof(err))
		_exit(4);
	_exit(0);
}

int t_hotplug_disk(void)
{
	pid_t x = xt_xhcid_pid(XT_CTRL0), child;
	struct xt_line l[64];
	struct pollfd p;
	unsigned int port = 0;
	int n, pfd[2], err = 0, st;
	long long end;
	struct bot b;

	CHECK(x > 0);
	CHECK_EQ(xt_monitor("device_add usb-storage,bus=xhci0.0,port=3,drive=usbdisk2,id=usbhot"), 0);
	/* a second 46f4:0001 on this controller, ready at super speed */
	end = xt_ms() + 10000;
	do {
		n = xt_listing(XT_CTRL0, l, 64);
		for (int i = 0; i < n; i++)
			if (l[i].has_dev && l[i].vid == XT_DISK_VID && !strcmp(l[i].state, "ready") &&
			    l[i].port != 1)
				port = l[i].port;
		if (!port)
			usleep(100 * 1000);
	} while (!port && xt_ms() < end);
	if (!port) {
		fprintf(stderr, "  the plugged disk was not enumerated within 10 s\n");
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (l[i].port == port)
			CHECK(!strcmp(l[i].speed, "super"));
	/* its data is disk 2's */
	CHECK_EQ(bot_open_port(&b, XT_CTRL0, port, 2), 0);
	CHECK_EQ(bot_ready(&b), 0);
	CHECK(!bot_read_check(&b, 0, 1));
	CHECK(!bot_read_check(&b, 31000, 2048));
	bot_close(&b);
	/* removed while a client reads it */
	CHECK_EQ(pipe(pfd), 0);
	child = fork();
	CHECK(child >= 0);
	if (child == 0) {
		close(pfd[0]);
		reader(port, pfd[1]);
	}
	close(pfd[1]);
	p.fd = pfd[0];
	p.events = POLLIN;
	CHECK(poll(&p, 1, 15000) == 1 && read(pfd[0], &err, sizeof(err)) == sizeof(err));
	usleep(300 * 1000);
	CHECK_EQ(xt_monitor("device_del usbhot"), 0);
	if (poll(&p, 1, 10000) != 1 || read(pfd[0], &err, sizeof(err)) != sizeof(err)) {
		fprintf(stderr, "  the reader did not see the disk go within 10 s\n");
		kill(child, SIGKILL);
		waitpid(child, &st, 0);
		return -1;
	}
	CHECK_EQ(waitpid(child, &st, 0), child);
	close(pfd[0]);
	fprintf(stderr, "  # the reader's transfer failed with %s\n", strerror(-err));
	CHECK(err == -ENODEV || err == -ESTALE);
	CHECK(!port_state(XT_CTRL0, port, "empty", 5));
	/* xhcid is the same, and the first disk still works */
	CHECK_EQ(xt_xhcid_pid(XT_CTRL0), x);
	CHECK_EQ(bot_open(&b, XT_CTRL0, 0), 0);
	CHECK_EQ(bot_ready(&b), 0);
	CHECK(!bot_read_check(&b, 600, 100));
	bot_close(&b);
	return 0;
}
