// SPDX-License-Identifier: MIT
/*
 * Events: a FILES_UPDATE watch on the directory ("usb.ADDR:") and on a
 * port's O_RDONLY handle gets an event CQE (USCHEME_EV_READ) when the
 * port changes: here, its owner sets a configuration (the same one: a
 * change all the same, endpoint handles go stale). Another port's change
 * is not the watched port's event, but is the directory's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "xhcid_test.h"

/* Drain event CQEs for @ms; how many came for @ud, in *n. */
static int events_for(struct us_ring *r, uint64_t ud, int ms, int *n)
{
	struct uscheme_cqe c;

	*n = 0;
	while (xt_reap(r, &c, ms) == 0) {
		if (!(c.flags & USCHEME_CQE_F_EVENT))
			continue;
		CHECK(c.res > 0);
		CHECK(c.res & USCHEME_EV_READ);
		if (c.user_data == ud)
			(*n)++;
	}
	return 0;
}

int t_events_port_and_dir(void)
{
	struct uscheme_fu_entry fu[2];
	struct usb_port_info info;
	struct us_ring r;
	uint32_t cfg;
	int dir, port, owner, kbd, ep, n, m;

	owner = xt_own(XT_CTRL0, XT_DISK_VID, XT_DISK_PID);
	CHECK(owner >= 0);
	CHECK_EQ(xt_port_info(owner, &info), 0);
	CHECK(info.config != 0);
	ep = us_dup(owner, "ep81", 0);
	CHECK(ep >= 0);
	dir = us_open("usb.0000-00-04.0:", O_RDONLY);
	CHECK(dir >= 0);
	port = xt_open_port(XT_CTRL0, info.port, O_RDONLY);
	CHECK(port >= 0);
	CHECK_EQ(us_ring_init(&r, 16, 0, 0), 0);
	us_fu_entry(&fu[0], dir, USCHEME_EV_READ, USCHEME_FU_ADD, 1);
	us_fu_entry(&fu[1], port, USCHEME_EV_READ, USCHEME_FU_ADD, 2);
	us_prep_files_update(us_get_sqe(&r), fu, 2, 99);
	CHECK_EQ(us_submit(&r), 1);
	/* the ADD's own CQE, and the readiness the handles have now */
	CHECK_EQ(events_for(&r, 2, 300, &n), 0);
	CHECK_EQ(fu[0].res, 0);
	CHECK_EQ(fu[1].res, 0);

	/* The owner sets the configuration again: the port changed. */
	cfg = info.config;
	CHECK_EQ(us_call(owner, &cfg, sizeof(cfg), NULL, 0, USB_CALL_SET_CONFIG), 0);
	CHECK_EQ(events_for(&r, 2, 500, &n), 0);
	CHECK(n >= 1);
	/* and the directory heard it too (its CQEs were drained above: ask again) */
	CHECK_EQ(us_call(owner, &cfg, sizeof(cfg), NULL, 0, USB_CALL_SET_CONFIG), 0);
	CHECK_EQ(events_for(&r, 1, 500, &m), 0);
	CHECK(m >= 1);
	/* the endpoint handle of the old configuration is stale now */
	{
		uint8_t b[13];

		CHECK_EQ(read(ep, b, sizeof(b)), -1);
		CHECK_EQ(errno, ESTALE);
	}

	/* Another port's change: the directory's event, not this port's. */
	kbd = xt_own(XT_CTRL0, XT_KBD_VID, XT_KBD_PID);
	CHECK(kbd >= 0);
	CHECK_EQ(xt_port_info(kbd, &info), 0);
	cfg = info.config;
	CHECK_EQ(us_call(kbd, &cfg, sizeof(cfg), NULL, 0, USB_CALL_SET_CONFIG), 0);
	CHECK_EQ(events_for(&r, 2, 500, &n), 0);
	CHECK_EQ(n, 0);
	CHECK_EQ(us_call(kbd, &cfg, sizeof(cfg), NULL, 0, USB_CALL_SET_CONFIG), 0);
	CHECK_EQ(events_for(&r, 1, 500, &m), 0);
	CHECK(m >= 1);

	close(kbd);
	close(ep);
	close(port);
	close(dir);
	close(owner);
	us_ring_exit(&r);
	return 0;
}
