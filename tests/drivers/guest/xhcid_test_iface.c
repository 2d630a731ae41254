// SPDX-License-Identifier: MIT
/*
 * Interface handles (usb.X:PORT/ifN, usbscheme.h): what a class driver of
 * one interface holds. Paths; exclusion between the port's owner and the
 * interfaces' owners, and between two owners of one interface; a whole
 * Bulk-Only client (the calls usbscsid makes) through an interface
 * handle; and what an interface owner must not reach: the configuration,
 * SET_ADDRESS, another interface's requests and alternate settings,
 * endpoints that are not its interface's, the device beyond reading it.
 * (The VM's devices have one interface each; which endpoint belongs to
 * which interface of a composite device is checked on the host:
 * unit/xhcid_desc_test.c, desc_interfaces and the endpoints' interfaces.)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xhcid_test.h"

static int open_path(const char *addr, unsigned int port, const char *tail, int flags)
{
	char path[96];

	snprintf(path, sizeof(path), "%s:%u%s", xt_scheme(addr), port, tail);
	return us_open(path, flags);
}

/* The port of vid:pid, configured (configuration 1) and free again. */
static int configured_port(uint16_t vid, uint16_t pid)
{
	int port = xt_wait_ready(XT_CTRL0, vid, pid, 20), fd;

	if (port <= 0)
		return -1;
	fd = xt_own(XT_CTRL0, vid, pid);	/* sets configuration 1 if none */
	if (fd < 0)
		return -1;
	close(fd);
	return port;
}

static int nobody_owns_if(void *arg)
{
	int port = *(int *)arg;

	CHECK_EQ(open_path(XT_CTRL0, (unsigned int)port, "/if0", O_RDWR), -EACCES);
	return 0;
}

int t_iface_paths_exclusion(void)
{
	static const char *bad[] = { "/if1", "/if00", "/if", "/if32", "/if-1", "/ifx", "/ep81",
				     "/if 0", "/IF0", "/if0x", "/if123" };
	uint8_t pd[4096], id[4096];
	struct usb_port_info info;
	int port, fd, fd2, ro, rw, n, m;
	size_t i;

	port = configured_port(XT_DISK_VID, XT_DISK_PID);
	CHECK(port > 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = open_path(XT_CTRL0, (unsigned int)port, bad[i], O_RDONLY);
		if (fd != -ENOENT)
			fprintf(stderr, "  %s: %d\n", bad[i], fd);
		CHECK_EQ(fd, -ENOENT);
	}
	/* read-only, by anyone: the descriptors, PORT_INFO with its interface */
	ro = open_path(XT_CTRL0, (unsigned int)port, "/if0", O_RDONLY);
	CHECK(ro >= 0);
	CHECK_EQ(xt_port_info(ro, &info), 0);
	CHECK_EQ(info.interface, 0);
	CHECK_EQ(info.alt, 0);
	CHECK(info.if_class == 0x08 && info.if_subclass == 0x06 && info.if_protocol == 0x50);
	fd = xt_open_port(XT_CTRL0, (unsigned int)port, O_RDONLY);
	CHECK(fd >= 0);
	n = xt_read_desc(fd, pd, sizeof(pd));
	m = xt_read_desc(ro, id, sizeof(id));
	CHECK(n > 18 && n == m && !memcmp(pd, id, (size_t)n));
	close(fd);
	CHECK_EQ(us_dup(ro, "ep81", 0), -EPERM);
	/* an interface's owner: one at a time, and never with the port's */
	rw = open_path(XT_CTRL0, (unsigned int)port, "/if0", O_RDWR);
	CHECK(rw >= 0);
	CHECK_EQ(open_path(XT_CTRL0, (unsigned int)port, "/if0", O_RDWR), -EBUSY);
	CHECK_EQ(xt_open_port(XT_CTRL0, (unsigned int)port, O_RDWR), -EBUSY);
	CHECK_EQ(xt_as_nobody(nobody_owns_if, &port), 0);
	close(rw);
	fd = xt_open_port(XT_CTRL0, (unsigned int)port, O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(open_path(XT_CTRL0, (unsigned int)port, "/if0", O_RDWR), -EBUSY);
	/* the port's endpoint handles end with their owner, not with a later one's */
	fd2 = us_dup(fd, "ep81", 0);
	CHECK(fd2 >= 0);
	close(fd);
	rw = open_path(XT_CTRL0, (unsigned int)port, "/if0", O_RDWR);
	CHECK(rw >= 0);
	{
		uint8_t b[13];

		CHECK_EQ(read(fd2, b, sizeof(b)), -1);
		CHECK_EQ(errno, ESTALE);
	}
	close(fd2);
	close(rw);
	close(ro);
	return 0;
}

/* What usbscsid does, on an interface handle: a Bulk-Only client works the same. */
int t_iface_bot(void)
{
	uint32_t last = 0, bsize = 0;
	struct bot b;
	int port, fd;

	port = configured_port(XT_DISK_VID, XT_DISK_PID);
	CHECK(port > 0);
	fd = open_path(XT_CTRL0, (unsigned int)port, "/if0", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(bot_attach(&b, fd, 0), 0);
	/* GET_MAX_LUN (class, to interface 0) and the Bulk-Only reset with CLEAR_FEATUREs */
	{
		uint8_t lun = 0xff;
		int r = xt_control(b.port, 0xa1, 0xfe, 0, 0, &lun, 1);

		CHECK(r == 1 || r == -EPIPE);
	}
	CHECK_EQ(bot_reset(&b), 0);
	CHECK_EQ(bot_ready(&b), 0);
	CHECK_EQ(bot_capacity(&b, &last, &bsize), 0);
	CHECK_EQ(last, XT_DISK_SECTORS - 1);
	CHECK_EQ(bsize, XT_SECTOR);
	CHECK_EQ(bot_read_check(&b, 0, 8), 0);
	CHECK_EQ(bot_read_check(&b, 1000, 128), 0);
	/* SET_INTERFACE of its own interface: allowed; the endpoints are new ones */
	{
		struct usb_alt_req ar = { .interface = 0, .alternate = 0 };
		uint8_t csw[13];
		int in;

		CHECK_EQ(us_call(b.port, &ar, sizeof(ar), NULL, 0, USB_CALL_SET_ALT), 0);
		CHECK_EQ(read(b.in, csw, sizeof(csw)), -1);
		CHECK_EQ(errno, ESTALE);
		in = us_dup(b.port, "ep81", 0);
		CHECK(in >= 0);
		close(b.in);
		b.in = in;
		close(b.out);
		b.out = us_dup(b.port, "ep02", 0);
		CHECK(b.out >= 0);
		CHECK_EQ(bot_ready(&b), 0);
		CHECK_EQ(bot_read_check(&b, 4242, 1), 0);
	}
	bot_close(&b);
	return 0;
}

/* What an interface owner must not reach (the keyboard, interface 0: ep81). */
int t_iface_limits(void)
{
	struct usb_alt_req ar = { .interface = 1, .alternate = 0 };
	uint8_t d[64], st[2];
	uint32_t cfg = 1;
	int port, fd, ep;

	port = configured_port(XT_KBD_VID, XT_KBD_PID);
	CHECK(port > 0);
	fd = open_path(XT_CTRL0, (unsigned int)port, "/if0", O_RDWR);
	CHECK(fd >= 0);
	/* the device, read: descriptors and status */
	CHECK_EQ(xt_control(fd, 0x80, 6, 0x0100, 0, d, 18), 18);
	CHECK_EQ(xt_control(fd, 0x80, 0, 0, 0, st, 2), 2);
	/* its interface: standard and class requests (HID GET_DESCRIPTOR(REPORT), SET_IDLE) */
	CHECK(xt_control(fd, 0x81, 6, 0x2200, 0, d, 63) > 0);
	CHECK_EQ(xt_control(fd, 0x21, 0x0a, 0, 0, NULL, 0), 0);
	/* its endpoint: the request reaches the device (QEMU's keyboard STALLs it) */
	{
		int r = xt_control(fd, 0x82, 0, 0, 0x81, st, 2);

		CHECK(r == 2 || r == -EPIPE);
	}
	/* the configuration and the address: the device as a whole */
	CHECK_EQ(xt_control(fd, 0x00, 9, 1, 0, NULL, 0), -EPERM);
	CHECK_EQ(xt_control(fd, 0x00, 9, 0, 0, NULL, 0), -EPERM);
	CHECK_EQ(xt_control(fd, 0x00, 5, 42, 0, NULL, 0), -EPERM);
	CHECK_EQ(us_call(fd, &cfg, sizeof(cfg), NULL, 0, USB_CALL_SET_CONFIG), -EPERM);
	/* the device beyond reading it: SET_FEATURE, vendor and class requests */
	CHECK_EQ(xt_control(fd, 0x00, 3, 1, 0, NULL, 0), -EPERM);
	CHECK_EQ(xt_control(fd, 0x40, 1, 0, 0, NULL, 0), -EPERM);
	CHECK_EQ(xt_control(fd, 0xc0, 1, 0, 0, d, 8), -EPERM);
	CHECK_EQ(xt_control(fd, 0x20, 1, 0, 0, NULL, 0), -EPERM);
	/* another interface: its requests, its alternate setting */
	CHECK_EQ(xt_control(fd, 0x21, 0x0a, 0, 1, NULL, 0), -EPERM);
	CHECK_EQ(xt_control(fd, 0xa1, 0x01, 0x0100, 1, d, 8), -EPERM);
	CHECK_EQ(xt_control(fd, 0x01, 11, 0, 1, NULL, 0), -EPERM);
	CHECK_EQ(us_call(fd, &ar, sizeof(ar), NULL, 0, USB_CALL_SET_ALT), -EPERM);
	/* endpoints that are not its interface's (EP0, absent ones), by request or by DUP */
	CHECK_EQ(xt_control(fd, 0x82, 0, 0, 0x00, st, 2), -EPERM);
	CHECK_EQ(xt_control(fd, 0x82, 0, 0, 0x80, st, 2), -EPERM);
	CHECK_EQ(xt_control(fd, 0x82, 0, 0, 0x02, st, 2), -EPERM);
	CHECK_EQ(xt_control(fd, 0x02, 1, 0, 0x82, NULL, 0), -EPERM);
	CHECK_EQ(us_dup(fd, "ep02", 0), -ENOENT);
	CHECK_EQ(us_dup(fd, "ep82", 0), -ENOENT);
	CHECK_EQ(us_dup(fd, "ep00", 0), -ENOENT);
	/* other recipients */
	CHECK_EQ(xt_control(fd, 0x83, 0, 0, 0, st, 2), -EPERM);
	/*
	 * a standard request's wIndex high byte is 0 (an attack: it went to
	 * the device unchecked); a class request's is the class's (entities)
	 */
	CHECK_EQ(xt_control(fd, 0x81, 0, 0, 0x0100, st, 2), -EPERM);
	CHECK_EQ(xt_control(fd, 0x81, 0, 0, 0xff00, st, 2), -EPERM);
	CHECK_EQ(xt_control(fd, 0x82, 0, 0, 0x0181, st, 2), -EPERM);
	CHECK_EQ(xt_control(fd, 0x02, 1, 0, 0x0181, NULL, 0), -EPERM);
	CHECK_EQ(xt_control(fd, 0x01, 11, 0, 0x0100, NULL, 0), -EPERM);
	/* high byte 0, or a class request: they reach the device (which may STALL them) */
	{
		int r = xt_control(fd, 0x81, 0, 0, 0, st, 2);

		CHECK(r == 2 || r == -EPIPE);
		r = xt_control(fd, 0x21, 0x0a, 0, 0x0100, NULL, 0);
		CHECK(r == 0 || r == -EPIPE);
	}
	/*
	 * its own endpoint works, CLEAR_FEATURE(HALT) on it too (it reaches the
	 * device, which STALLs it: QEMU's keyboard has no endpoint requests,
	 * intr_clear_halt_resets_host_side_ebusy_while_queued says the same)
	 */
	ep = us_dup(fd, "ep81", 0);
	CHECK(ep >= 0);
	CHECK_EQ(xt_control(fd, 0x02, 1, 0, 0x81, NULL, 0), -EPIPE);
	{
		struct usb_ep_info ei;

		CHECK_EQ(xt_ep_info(ep, &ei), 0);
		CHECK_EQ(ei.address, 0x81);
	}
	close(ep);
	close(fd);
	return 0;
}
