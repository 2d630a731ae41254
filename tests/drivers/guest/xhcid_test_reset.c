// SPDX-License-Identifier: MIT
/*
 * USB_CALL_PORT_RESET: the port's owner (or the owner of the device's only
 * owned interface) asks, xhcid answers 0 at once, then takes the device
 * away as on an unplug (its transfers fail -ENODEV, its handles -ESTALE),
 * resets the port and enumerates the device again (a new generation),
 * where transfers work. Anyone else: -EPERM; input or output: -EINVAL.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "xhcid_test.h"

static int port_reset(int fd)
{
	return us_call(fd, NULL, 0, NULL, 0, USB_CALL_PORT_RESET);
}

/* Wait up to @secs until @port is ready again with a generation after @gen. */
static int new_generation(const char *addr, unsigned int port, uint32_t gen, int secs,
			  struct usb_port_info *out)
{
	long long end = xt_ms() + secs * 1000LL;

	do {
		int fd = xt_open_port(addr, port, O_RDONLY);

		if (fd >= 0) {
			int r = xt_port_info(fd, out);

			close(fd);
			if (!r && out->state == USB_PORT_READY && out->generation > gen)
				return 0;
		}
		usleep(50 * 1000);
	} while (xt_ms() < end);
	fprintf(stderr, "  %s:%u: not enumerated again (generation > %u) within %d s\n",
		xt_scheme(addr), port, gen, secs);
	return -1;
}

int t_reset_disk_owner(void)
{
	struct usb_port_info before, after;
	pid_t x = xt_xhcid_pid(XT_CTRL0);
	uint8_t buf[512];
	struct bot b, nb;
	int ro, r, port;

	CHECK(x > 0);
	CHECK_EQ(bot_open(&b, XT_CTRL0, 0), 0);
	CHECK_EQ(bot_ready(&b), 0);
	CHECK(!bot_read_check(&b, 100, 16));
	CHECK_EQ(xt_port_info(b.port, &before), 0);
	port = (int)before.port;
	/* not the owner: a read-only handle, and with input or output: refused */
	ro = xt_open_port(XT_CTRL0, (unsigned int)port, O_RDONLY);
	CHECK(ro >= 0);
	CHECK_EQ(port_reset(ro), -EPERM);
	close(ro);
	CHECK_EQ(us_call(b.port, buf, 4, NULL, 0, USB_CALL_PORT_RESET), -EINVAL);
	CHECK_EQ(us_call(b.port, NULL, 0, buf, 4, USB_CALL_PORT_RESET), -EINVAL);
	/* refused calls changed nothing */
	CHECK(!bot_read_check(&b, 200, 8));
	/* the owner: 0 at once, then the device goes and comes back */
	CHECK_EQ(port_reset(b.port), 0);
	r = port_reset(b.port);	/* one already asked for (-EBUSY), or already done (-ESTALE) */
	if (r != -EBUSY && r != -ESTALE && r != -ENODEV) {
		fprintf(stderr, "  a second PORT_RESET: %d, want -EBUSY (or -ESTALE)\n", r);
		return -1;
	}
	CHECK(!new_generation(XT_CTRL0, (unsigned int)port, before.generation, 10, &after));
	CHECK_EQ(after.vendor, XT_DISK_VID);
	CHECK_EQ(after.speed, before.speed);
	/* every handle of the old device: stale */
	r = xt_port_info(b.port, &before);
	CHECK(r == -ESTALE);
	CHECK_EQ(read(b.in, buf, sizeof(buf)), -1);
	CHECK(errno == ESTALE || errno == ENODEV);
	CHECK_EQ(port_reset(b.port), -ESTALE);
	bot_close(&b);
	/* the device enumerated anew: owned again, transfers work, the data is there */
	CHECK_EQ(bot_open_port(&nb, XT_CTRL0, (unsigned int)port, 0), 0);
	CHECK_EQ(bot_ready(&nb), 0);
	CHECK(!bot_read_check(&nb, 100, 16));
	CHECK(!bot_read_check(&nb, 30000, 256));
	bot_close(&nb);
	CHECK_EQ(xt_xhcid_pid(XT_CTRL0), x);
	return 0;
}

int t_reset_kbd_iface_owner(void)
{
	struct usb_port_info before, after;
	struct uscheme_cqe c;
	struct us_ring r;
	char path[64];
	uint8_t rep[8];
	int port, fd, ep;

	port = xt_wait_ready(XT_CTRL0, XT_KBD_VID, XT_KBD_PID, 10);
	CHECK(port > 0);
	/* the keyboard's only interface, owned: its owner may reset the port */
	snprintf(path, sizeof(path), "%s:%d/if0", xt_scheme(XT_CTRL0), port);
	fd = us_open(path, O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(xt_port_info(fd, &before), 0);
	ep = us_dup(fd, "ep81", 0);
	CHECK(ep >= 0);
	/* a READ waiting on the interrupt endpoint ends -ENODEV */
	CHECK_EQ(us_ring_init(&r, 8, 0, 0), 0);
	us_prep_read(us_get_sqe(&r), ep, rep, sizeof(rep), 0, 1);
	CHECK_EQ(us_submit(&r), 1);
	CHECK_EQ(xt_reap(&r, &c, 300), -ETIME);
	CHECK_EQ(port_reset(fd), 0);
	if (xt_reap(&r, &c, 5000)) {
		fprintf(stderr, "  the READ waiting on the keyboard did not end within 5 s\n");
		return -1;
	}
	CHECK_EQ(c.res, -ENODEV);
	us_ring_exit(&r);
	CHECK(!new_generation(XT_CTRL0, (unsigned int)port, before.generation, 10, &after));
	CHECK_EQ(after.vendor, XT_KBD_VID);
	CHECK_EQ(xt_port_info(fd, &before), -ESTALE);
	close(ep);
	close(fd);
	/* owned again, and it answers on EP0 */
	fd = xt_own_port(XT_CTRL0, (unsigned int)port);
	CHECK(fd >= 0);
	CHECK_EQ(xt_control(fd, 0x80, 6, 0x0100, 0, rep, 8), 8);
	CHECK_EQ(rep[1], 1);
	close(fd);
	return 0;
}
