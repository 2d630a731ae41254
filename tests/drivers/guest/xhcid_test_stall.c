// SPDX-License-Identifier: MIT
/*
 * A STALL on a bulk endpoint: QEMU's usb-storage stalls an IN transfer
 * when no command is pending, and a CBW that is not 31 bytes. xhcid
 * answers -EPIPE and resets the endpoint; after the Bulk-Only reset
 * sequence (class request 0x21/0xFF, CLEAR_FEATURE(ENDPOINT_HALT) on both
 * bulk endpoints) the next command works.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "xhcid_test.h"

int t_stall_in(void)
{
	uint8_t buf[512];
	struct usb_ep_info ei;
	struct bot b;
	ssize_t n;

	CHECK_EQ(bot_open(&b, XT_CTRL0, 0), 0);
	CHECK_EQ(bot_ready(&b), 0);
	/* data IN with no command: the device stalls ep81 */
	n = read(b.in, buf, sizeof(buf));
	if (n != -1 || errno != EPIPE) {
		fprintf(stderr, "  READ ep81 without a command: %zd (%s), want -EPIPE\n", n,
			n < 0 ? strerror(errno) : "data");
		return -1;
	}
	CHECK_EQ(xt_ep_info(b.in, &ei), 0);
	CHECK_EQ(ei.inflight, 0);
	CHECK_EQ(bot_reset(&b), 0);
	CHECK_EQ(bot_ready(&b), 0);
	CHECK(!bot_read_check(&b, 4242, 8));
	/* and once more: a second STALL is recovered from the same way */
	n = read(b.in, buf, sizeof(buf));
	CHECK_EQ(n, -1);
	CHECK_EQ(errno, EPIPE);
	CHECK_EQ(bot_reset(&b), 0);
	CHECK_EQ(bot_ready(&b), 0);
	CHECK(!bot_read_check(&b, 1, 64));
	bot_close(&b);
	return 0;
}

int t_stall_out(void)
{
	static const uint8_t tur[6] = { 0 };
	uint8_t cbw[BOT_CBW_LEN + 1];
	struct bot b;
	ssize_t n;

	CHECK_EQ(bot_open(&b, XT_CTRL0, 0), 0);
	CHECK_EQ(bot_ready(&b), 0);
	/* a CBW of 30 bytes: "Bad CBW size", the device stalls ep02 */
	bot_cbw(cbw, 77, 0, 0, tur, 6);
	n = write(b.out, cbw, BOT_CBW_LEN - 1);
	if (n != -1 || errno != EPIPE) {
		fprintf(stderr, "  WRITE ep02 of a 30-byte CBW: %zd (%s), want -EPIPE\n", n,
			n < 0 ? strerror(errno) : "accepted");
		return -1;
	}
	CHECK_EQ(bot_reset(&b), 0);
	CHECK_EQ(bot_ready(&b), 0);
	CHECK(!bot_read_check(&b, 999, 33));
	bot_close(&b);
	return 0;
}
