// SPDX-License-Identifier: MIT
/*
 * The listing ("usb.ADDR:"): one line per root-hub port, in order, with
 * the VM's devices where run-all.sh put them; and the paths that are not
 * ports.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "xhcid_test.h"

/* Every port 1..@nports once, in order; empty ports say "empty - - -". */
static int check_lines(const char *addr, struct xt_line *l, int n, int nports)
{
	for (int i = 0; i < n; i++) {
		fprintf(stderr, "  # %s: %u %s %s %04x:%04x %02x/%02x/%02x\n", xt_scheme(addr),
			l[i].port, l[i].state, l[i].speed, l[i].vid, l[i].pid, l[i].cls, l[i].sub,
			l[i].proto);
		CHECK_EQ(l[i].port, i + 1);
		if (!strcmp(l[i].state, "empty")) {
			CHECK(!l[i].has_dev);
			CHECK(!strcmp(l[i].speed, "-"));
		} else {
			CHECK(!strcmp(l[i].state, "attached") || !strcmp(l[i].state, "ready") ||
			      !strcmp(l[i].state, "failed"));
		}
	}
	CHECK_EQ(n, nports);
	return 0;
}

/* The line of @vid:@pid: ready, @speed, class @cls/@sub/@proto; and its port's USB3 flag. */
static int check_dev(const char *addr, const struct xt_line *l, int n, uint16_t vid, uint16_t pid,
		     const char *speed, uint8_t cls, uint8_t sub, uint8_t proto, int usb3)
{
	struct usb_port_info info;
	int i, found = -1, fd;

	for (i = 0; i < n; i++)
		if (l[i].has_dev && l[i].vid == vid && l[i].pid == pid) {
			CHECK(found < 0);	/* one such device on this controller */
			found = i;
		}
	if (found < 0) {
		fprintf(stderr, "  %s lists no %04x:%04x\n", xt_scheme(addr), vid, pid);
		return -1;
	}
	l += found;
	CHECK(!strcmp(l->state, "ready"));
	CHECK(!strcmp(l->speed, speed));
	CHECK_EQ(l->cls, cls);
	CHECK_EQ(l->sub, sub);
	CHECK_EQ(l->proto, proto);
	fd = xt_open_port(addr, l->port, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(xt_port_info(fd, &info), 0);
	close(fd);
	CHECK_EQ(info.port, l->port);
	CHECK_EQ(info.state, USB_PORT_READY);
	CHECK_EQ(info.usb3, usb3);
	CHECK_EQ(info.vendor, vid);
	CHECK_EQ(info.product, pid);
	CHECK(info.slot != 0);
	CHECK_EQ(info.if_class, cls);
	CHECK_EQ(info.if_subclass, sub);
	CHECK_EQ(info.if_protocol, proto);
	return 0;
}

int t_listing_ctrl0(void)
{
	struct xt_line l[64];
	int n;

	CHECK(xt_wait_ready(XT_CTRL0, XT_DISK_VID, XT_DISK_PID, 20) > 0);
	CHECK(xt_wait_ready(XT_CTRL0, XT_KBD_VID, XT_KBD_PID, 10) > 0);
	n = xt_listing(XT_CTRL0, l, 64);
	CHECK(n > 0);
	CHECK(!check_lines(XT_CTRL0, l, n, XT_CTRL0_PORTS));
	/* the disk on a USB3 port at super speed, the keyboard on a USB2 port */
	CHECK(!check_dev(XT_CTRL0, l, n, XT_DISK_VID, XT_DISK_PID, "super", 0x08, 0x06, 0x50, 1));
	CHECK(!check_dev(XT_CTRL0, l, n, XT_KBD_VID, XT_KBD_PID, "full", 0x03, 0x01, 0x01, 0));
	/* nothing else is attached */
	for (int i = 0; i < n; i++)
		CHECK(!strcmp(l[i].state, "empty") || l[i].vid == XT_DISK_VID || l[i].vid == XT_KBD_VID);
	return 0;
}

int t_listing_ctrl1(void)
{
	struct xt_line l[64];
	int n;

	CHECK(xt_wait_ready(XT_CTRL1, XT_DISK_VID, XT_DISK_PID, 20) > 0);
	n = xt_listing(XT_CTRL1, l, 64);
	CHECK(n > 0);
	CHECK(!check_lines(XT_CTRL1, l, n, XT_CTRL1_PORTS));
	/* p3=0: no USB3 port, so the disk runs at high speed */
	CHECK(!check_dev(XT_CTRL1, l, n, XT_DISK_VID, XT_DISK_PID, "high", 0x08, 0x06, 0x50, 0));
	return 0;
}

static int nobody_reads(void *arg)
{
	struct xt_line l[64];
	struct usb_port_info info;
	int port = *(int *)arg, fd;

	CHECK(xt_listing(XT_CTRL0, l, 64) == XT_CTRL0_PORTS);
	fd = xt_open_port(XT_CTRL0, (unsigned int)port, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(xt_port_info(fd, &info), 0);
	CHECK_EQ(info.vendor, XT_DISK_VID);
	close(fd);
	/* owning a port is root's */
	CHECK_EQ(xt_open_port(XT_CTRL0, (unsigned int)port, O_RDWR), -EACCES);
	return 0;
}

int t_paths(void)
{
	char path[96];
	struct xt_line l[64];
	int n, empty = 0, port;
	static const char *const bad[] = { "0", "9", "99", "4294967297", "abc", "1x", "-1",
					   " 1", "1/ep81", "01a", "port1" };

	port = xt_wait_ready(XT_CTRL0, XT_DISK_VID, XT_DISK_PID, 20);
	CHECK(port > 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int fd;

		snprintf(path, sizeof(path), "%s:%s", xt_scheme(XT_CTRL0), bad[i]);
		fd = us_open(path, O_RDONLY);
		if (fd != -ENOENT) {
			fprintf(stderr, "  open %s: %d, want -ENOENT\n", path, fd);
			if (fd >= 0)
				close(fd);
			return -1;
		}
	}
	/* a port without a device: -ENODEV */
	n = xt_listing(XT_CTRL0, l, 64);
	CHECK(n == XT_CTRL0_PORTS);
	for (int i = 0; i < n; i++)
		if (!strcmp(l[i].state, "empty")) {
			CHECK_EQ(xt_open_port(XT_CTRL0, l[i].port, O_RDONLY), -ENODEV);
			empty++;
		}
	CHECK(empty > 0);
	/* anyone may read the listing and a port; only root owns one */
	CHECK_EQ(xt_as_nobody(nobody_reads, &port), 0);
	return 0;
}
