// SPDX-License-Identifier: MIT
/*
 * Control transfers through USB_CALL_CONTROL on the port's owner handle:
 * standard requests agree with READ, string descriptors, malformed
 * requests (-EINVAL), a STALL on endpoint 0 (-EPIPE, then usable), and
 * who may do what: -EPERM for a non-owner, -EBUSY for a second owner,
 * -EACCES for an unprivileged one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "xhcid_test.h"

static int port_of(const char *addr, uint16_t vid, uint16_t pid)
{
	return xt_wait_ready(addr, vid, pid, 20);
}

int t_ctrl_descriptors(void)
{
	static uint8_t d[65536], c[65536];
	uint8_t st[2];
	int fd, ro, port, len, n;
	uint16_t total;

	port = port_of(XT_CTRL0, XT_DISK_VID, XT_DISK_PID);
	CHECK(port > 0);
	ro = xt_open_port(XT_CTRL0, (unsigned int)port, O_RDONLY);
	CHECK(ro >= 0);
	len = xt_read_desc(ro, d, sizeof(d));
	CHECK(len > 18);
	close(ro);
	fd = xt_own(XT_CTRL0, XT_DISK_VID, XT_DISK_PID);
	CHECK(fd >= 0);
	/* GET_DESCRIPTOR(DEVICE): the first 18 bytes of READ */
	memset(c, 0, sizeof(c));
	CHECK_EQ(xt_control(fd, 0x80, 6, 0x0100, 0, c, 18), 18);
	CHECK(!memcmp(c, d, 18));
	/* a shorter wLength: that many bytes */
	memset(c, 0, sizeof(c));
	CHECK_EQ(xt_control(fd, 0x80, 6, 0x0100, 0, c, 8), 8);
	CHECK(!memcmp(c, d, 8));
	/* a longer one: a short transfer, the actual length */
	CHECK_EQ(xt_control(fd, 0x80, 6, 0x0100, 0, c, 64), 18);
	/* GET_DESCRIPTOR(CONFIGURATION 0): 9 bytes, then wTotalLength, = READ's */
	CHECK_EQ(xt_control(fd, 0x80, 6, 0x0200, 0, c, 9), 9);
	total = (uint16_t)(c[2] | c[3] << 8);
	CHECK(total >= 9 && 18 + total <= len);
	memset(c, 0, sizeof(c));
	CHECK_EQ(xt_control(fd, 0x80, 6, 0x0200, 0, c, total), total);
	CHECK(!memcmp(c, d + 18, total));
	/* GET_STATUS(device), GET_CONFIGURATION = the info's config */
	CHECK_EQ(xt_control(fd, 0x80, 0, 0, 0, st, 2), 2);
	n = xt_control(fd, 0x80, 8, 0, 0, st, 1);
	CHECK_EQ(n, 1);
	CHECK_EQ(st[0], 1);
	close(fd);
	return 0;
}

int t_ctrl_string(void)
{
	uint8_t s[256], d[18];
	char ascii[128];
	int fd, n, i;

	fd = xt_own(XT_CTRL0, XT_DISK_VID, XT_DISK_PID);
	CHECK(fd >= 0);
	CHECK_EQ(xt_control(fd, 0x80, 6, 0x0100, 0, d, 18), 18);
	CHECK(d[15] != 0);	/* iProduct */
	/* string 0: the language IDs */
	n = xt_control(fd, 0x80, 6, 0x0300, 0, s, 255);
	CHECK(n >= 4);
	CHECK_EQ(s[0], n);
	CHECK_EQ(s[1], 3);
	CHECK_EQ(s[2] | s[3] << 8, 0x0409);
	/* iProduct in English: UTF-16LE "QEMU USB MSD" */
	n = xt_control(fd, 0x80, 6, (uint16_t)(0x0300 | d[15]), 0x0409, s, 255);
	CHECK(n > 2 && n % 2 == 0);
	CHECK_EQ(s[0], n);
	CHECK_EQ(s[1], 3);
	for (i = 2; i < n && i / 2 < (int)sizeof(ascii); i += 2)
		ascii[i / 2 - 1] = s[i + 1] ? '?' : (char)s[i];
	ascii[i / 2 - 1] = '\0';
	fprintf(stderr, "  # iProduct: '%s'\n", ascii);
	CHECK(strstr(ascii, "QEMU") != NULL);
	close(fd);
	return 0;
}

/* A raw USB_CALL_CONTROL with the buffers given; the result. */
static int raw_call(int fd, const void *in, size_t in_len, void *out, size_t out_len)
{
	return us_call(fd, in, in_len, out, out_len, USB_CALL_CONTROL);
}

int t_ctrl_malformed(void)
{
	struct usb_ctrl_req r = { .bm_request_type = 0x80, .b_request = 6, .w_value = 0x0100,
				  .w_length = 18 };
	uint8_t in[sizeof(r) + 16], out[64];
	struct usb_ctrl_req bad;
	int fd;

	fd = xt_own(XT_CTRL0, XT_DISK_VID, XT_DISK_PID);
	CHECK(fd >= 0);
	/* the well-formed one works */
	CHECK_EQ(raw_call(fd, &r, sizeof(r), out, 18), 18);
	/* a reserved field not zero */
	bad = r;
	bad.resv[0] = 1;
	CHECK_EQ(raw_call(fd, &bad, sizeof(bad), out, 18), -EINVAL);
	bad = r;
	bad.resv[1] = 0x80000000u;
	CHECK_EQ(raw_call(fd, &bad, sizeof(bad), out, 18), -EINVAL);
	/* IN: less room than wLength */
	CHECK_EQ(raw_call(fd, &r, sizeof(r), out, 8), -EINVAL);
	CHECK_EQ(raw_call(fd, &r, sizeof(r), out, 17), -EINVAL);
	/* IN with an OUT data stage appended */
	memcpy(in, &r, sizeof(r));
	memset(in + sizeof(r), 0, 16);
	CHECK_EQ(raw_call(fd, in, sizeof(r) + 16, out, 18), -EINVAL);
	/* the setup packet cut short */
	CHECK_EQ(raw_call(fd, &r, 8, out, 18), -EINVAL);
	CHECK_EQ(raw_call(fd, &r, sizeof(r) - 1, out, 18), -EINVAL);
	CHECK_EQ(raw_call(fd, NULL, 0, out, 18), -EINVAL);
	/* OUT (SET_FEATURE-like, wLength 4) without its 4 data bytes, or with 3 */
	bad = (struct usb_ctrl_req){ .bm_request_type = 0x00, .b_request = 0x31, .w_length = 4 };
	memcpy(in, &bad, sizeof(bad));
	CHECK_EQ(raw_call(fd, in, sizeof(bad), NULL, 0), -EINVAL);
	CHECK_EQ(raw_call(fd, in, sizeof(bad) + 3, NULL, 0), -EINVAL);
	/* an unknown CALL */
	CHECK(us_call(fd, &r, sizeof(r), out, 18, 99) < 0);
	/* USB_CALL_PORT_INFO with a short output buffer */
	CHECK(us_call(fd, NULL, 0, out, 8, USB_CALL_PORT_INFO) < 0);
	/* SET_CONFIG with a short input */
	CHECK_EQ(us_call(fd, in, 2, NULL, 0, USB_CALL_SET_CONFIG), -EINVAL);
	/* and after all that, the port still answers */
	CHECK_EQ(raw_call(fd, &r, sizeof(r), out, 18), 18);
	CHECK_EQ(out[1], 1);
	close(fd);
	return 0;
}

/*
 * More output room than wLength (IN), or any for an OUT request:
 * usbscheme.h says "room for wLength bytes" and "-EINVAL ... a setup
 * packet whose wLength disagrees with the buffers"; the output's size is
 * taken to be exactly wLength (0 for OUT).
 */
int t_ctrl_room(void)
{
	struct usb_ctrl_req r = { .bm_request_type = 0x80, .b_request = 6, .w_value = 0x0100,
				  .w_length = 18 };
	struct usb_ctrl_req o = { .bm_request_type = 0x00, .b_request = 0x31 };
	uint8_t out[64];
	int fd;

	fd = xt_own(XT_CTRL0, XT_DISK_VID, XT_DISK_PID);
	CHECK(fd >= 0);
	CHECK_EQ(raw_call(fd, &r, sizeof(r), out, 19), -EINVAL);
	CHECK_EQ(raw_call(fd, &r, sizeof(r), out, 64), -EINVAL);
	CHECK_EQ(raw_call(fd, &r, sizeof(r), out, 18), 18);
	/* an OUT request (no data stage) with room for IN data */
	CHECK_EQ(raw_call(fd, &o, sizeof(o), out, 8), -EINVAL);
	close(fd);
	return 0;
}

int t_ctrl_stall(void)
{
	uint8_t d[64];
	int fd;

	fd = xt_own(XT_CTRL0, XT_DISK_VID, XT_DISK_PID);
	CHECK(fd >= 0);
	/* a descriptor type QEMU's device does not have: it STALLs endpoint 0 */
	CHECK_EQ(xt_control(fd, 0x80, 6, 0x4200, 0, d, 64), -EPIPE);
	/* an unknown class request: STALL too */
	CHECK_EQ(xt_control(fd, 0xa1, 0x77, 0, 0, d, 4), -EPIPE);
	/* endpoint 0 works again at once */
	CHECK_EQ(xt_control(fd, 0x80, 6, 0x0100, 0, d, 18), 18);
	CHECK_EQ(d[1], 1);
	/* Get Max LUN (class, IN, 1 byte): LUN 0 only */
	CHECK_EQ(xt_control(fd, 0xa1, 0xfe, 0, 0, d, 1), 1);
	CHECK_EQ(d[0], 0);
	close(fd);
	return 0;
}

static int nobody_owns(void *arg)
{
	int port = *(int *)arg;

	CHECK_EQ(xt_open_port(XT_CTRL0, (unsigned int)port, O_RDWR), -EACCES);
	return 0;
}

int t_ctrl_access(void)
{
	struct usb_port_info info;
	uint8_t d[18];
	uint32_t cfg = 1;
	struct usb_alt_req alt = { 0 };
	int port, ro, rw, rw2;

	port = port_of(XT_CTRL0, XT_DISK_VID, XT_DISK_PID);
	CHECK(port > 0);
	/* a read-only handle: info and descriptors, no transfers */
	ro = xt_open_port(XT_CTRL0, (unsigned int)port, O_RDONLY);
	CHECK(ro >= 0);
	CHECK_EQ(xt_port_info(ro, &info), 0);
	CHECK_EQ(xt_control(ro, 0x80, 6, 0x0100, 0, d, 18), -EPERM);
	CHECK_EQ(us_dup(ro, "ep81", 0), -EPERM);
	CHECK_EQ(us_call(ro, &cfg, sizeof(cfg), NULL, 0, USB_CALL_SET_CONFIG), -EPERM);
	CHECK_EQ(us_call(ro, &alt, sizeof(alt), NULL, 0, USB_CALL_SET_ALT), -EPERM);
	/* one owner at a time */
	rw = xt_own(XT_CTRL0, XT_DISK_VID, XT_DISK_PID);
	CHECK(rw >= 0);
	rw2 = xt_open_port(XT_CTRL0, (unsigned int)port, O_RDWR);
	CHECK_EQ(rw2, -EBUSY);
	/* the read-only handle still reads while someone owns the port */
	CHECK_EQ(xt_port_info(ro, &info), 0);
	CHECK_EQ(xt_control(ro, 0x80, 6, 0x0100, 0, d, 18), -EPERM);
	/* not root: -EACCES, owned or not */
	CHECK_EQ(xt_as_nobody(nobody_owns, &port), 0);
	close(rw);
	CHECK_EQ(xt_as_nobody(nobody_owns, &port), 0);
	/* the port is free again once its owner closed it */
	rw2 = xt_own(XT_CTRL0, XT_DISK_VID, XT_DISK_PID);
	CHECK(rw2 >= 0);
	CHECK_EQ(xt_control(rw2, 0x80, 6, 0x0100, 0, d, 18), 18);
	close(rw2);
	close(ro);
	return 0;
}
