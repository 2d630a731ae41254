// SPDX-License-Identifier: MIT
/*
 * Descriptors: READ on a port handle gives the device descriptor, then
 * every configuration descriptor with all it holds (wTotalLength bytes
 * each), as Linux's sysfs "descriptors" file does; USB_CALL_PORT_INFO and
 * FSTAT agree with them; and (--linux DIR) they are byte for byte what
 * Linux's own xhci_hcd read from the same devices in the same boot.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xhcid_test.h"

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

/*
 * Check the descriptors of @addr's @vid:@pid; @eps lists the endpoint
 * addresses its first interface must have, with their transfer types.
 */
static int check_desc(const char *addr, uint16_t vid, uint16_t pid, uint8_t speed,
		      const uint8_t *eps, const uint8_t *types, int neps)
{
	static uint8_t d[65536], part[64];
	struct usb_port_info info;
	struct stat st;
	int port, fd, len, found = 0;
	size_t off;

	port = xt_wait_ready(addr, vid, pid, 20);
	CHECK(port > 0);
	fd = xt_open_port(addr, (unsigned int)port, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(xt_port_info(fd, &info), 0);
	len = xt_read_desc(fd, d, sizeof(d));
	CHECK(len >= 18 + 9);
	CHECK(len < (int)sizeof(d));
	/* offsets are honoured; FSTAT's size is the descriptors' length */
	CHECK_EQ(pread(fd, part, 10, 5), 10);
	CHECK(!memcmp(part, d + 5, 10));
	CHECK_EQ(pread(fd, part, sizeof(part), len), 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK_EQ(st.st_size, len);
	close(fd);

	/* the device descriptor */
	CHECK_EQ(d[0], 18);
	CHECK_EQ(d[1], 1);
	CHECK_EQ(le16(d + 8), vid);
	CHECK_EQ(le16(d + 10), pid);
	CHECK(d[17] >= 1);
	/* USB_CALL_PORT_INFO agrees */
	CHECK_EQ(info.port, port);
	CHECK_EQ(info.state, USB_PORT_READY);
	CHECK_EQ(info.speed, speed);
	CHECK_EQ(info.vendor, vid);
	CHECK_EQ(info.product, pid);
	CHECK_EQ(info.bcd_device, le16(d + 12));
	CHECK_EQ(info.dev_class, d[4]);
	CHECK_EQ(info.dev_subclass, d[5]);
	CHECK_EQ(info.dev_protocol, d[6]);
	CHECK_EQ(info.num_configs, d[17]);
	CHECK_EQ(info.max_packet0, speed >= USB_SPEED_SUPER ? 1u << d[7] : d[7]);
	CHECK_EQ(info.desc_len, len);
	CHECK(info.generation >= 1);
	CHECK(info.interface == 0xff && !info.alt && !info.resv0 && !info.resv[0] && !info.resv[1]);

	/* bNumConfigurations configuration descriptors, wTotalLength each, nothing else */
	off = 18;
	for (int c = 0; c < d[17]; c++) {
		size_t total, o;

		CHECK(off + 9 <= (size_t)len);
		CHECK_EQ(d[off], 9);
		CHECK_EQ(d[off + 1], 2);
		total = le16(d + off + 2);
		CHECK(total >= 9 && off + total <= (size_t)len);
		/* every descriptor inside fits; the interface and endpoints are there */
		for (o = off; o < off + total; o += d[o]) {
			CHECK(d[o] >= 2 && o + d[o] <= off + total);
			if (c == 0 && d[o + 1] == 4 && d[o] >= 9 && d[o + 3] == 0) {
				CHECK_EQ(info.if_class, d[o + 5]);
				CHECK_EQ(info.if_subclass, d[o + 6]);
				CHECK_EQ(info.if_protocol, d[o + 7]);
			}
			if (c == 0 && d[o + 1] == 5 && d[o] >= 7)
				for (int e = 0; e < neps; e++)
					if (d[o + 2] == eps[e] && (d[o + 3] & 3) == types[e])
						found |= 1 << e;
		}
		off += total;
	}
	CHECK_EQ(off, len);
	CHECK_EQ(found, (1 << neps) - 1);
	return 0;
}

int t_desc_disk(void)
{
	static const uint8_t eps[] = { 0x81, 0x02 }, types[] = { USB_EP_BULK, USB_EP_BULK };

	return check_desc(XT_CTRL0, XT_DISK_VID, XT_DISK_PID, USB_SPEED_SUPER, eps, types, 2);
}

int t_desc_kbd(void)
{
	static const uint8_t eps[] = { 0x81 }, types[] = { USB_EP_INTERRUPT };

	return check_desc(XT_CTRL0, XT_KBD_VID, XT_KBD_PID, USB_SPEED_FULL, eps, types, 1);
}

int t_desc_disk2(void)
{
	static const uint8_t eps[] = { 0x81, 0x02 }, types[] = { USB_EP_BULK, USB_EP_BULK };

	return check_desc(XT_CTRL1, XT_DISK_VID, XT_DISK_PID, USB_SPEED_HIGH, eps, types, 2);
}

/*
 * xhcid-suite.sh saved what Linux read before it handed the controllers
 * over: DIR/ADDR/VVVV:PPPP, each a copy of sysfs's "descriptors".
 */
static int same_as_linux(const char *addr, uint16_t vid, uint16_t pid)
{
	static uint8_t ours[65536], theirs[65536];
	char path[512];
	int port, fd, n, m;

	snprintf(path, sizeof(path), "%s/%s/%04x:%04x", xt.linux_dir, addr, vid, pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "  %s: %s (Linux did not enumerate it?)\n", path, strerror(errno));
		return -1;
	}
	m = (int)read(fd, theirs, sizeof(theirs));
	close(fd);
	CHECK(m >= 18);
	port = xt_wait_ready(addr, vid, pid, 20);
	CHECK(port > 0);
	fd = xt_open_port(addr, (unsigned int)port, O_RDONLY);
	CHECK(fd >= 0);
	n = xt_read_desc(fd, ours, sizeof(ours));
	close(fd);
	if (n != m || memcmp(ours, theirs, (size_t)m)) {
		int i = 0;

		while (i < n && i < m && ours[i] == theirs[i])
			i++;
		fprintf(stderr, "  %s %04x:%04x: xhcid gives %d bytes, Linux %d; first difference at "
			"byte %d\n", addr, vid, pid, n, m, i);
		return -1;
	}
	fprintf(stderr, "  # %s %04x:%04x: %d bytes, identical to Linux's\n", addr, vid, pid, n);
	return 0;
}

int t_desc_linux(void)
{
	CHECK(!same_as_linux(XT_CTRL0, XT_DISK_VID, XT_DISK_PID));
	CHECK(!same_as_linux(XT_CTRL0, XT_KBD_VID, XT_KBD_PID));
	CHECK(!same_as_linux(XT_CTRL1, XT_DISK_VID, XT_DISK_PID));
	return 0;
}
