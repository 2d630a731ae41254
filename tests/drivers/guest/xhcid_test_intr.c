// SPDX-License-Identifier: MIT
/*
 * The keyboard's interrupt endpoint (ep81, 8-byte boot reports): many
 * READs queued at once wait (USB_CALL_EP_INFO counts them) until
 * cancelled; a READ waits until QEMU injects a key through its monitor
 * (xt_sendkey: "sendkey a"), then completes with the key's report, and
 * the next one with the release.
 */
#include <errno.h>
#include <poll.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "xhcid_test.h"

int t_intr_queue(void)
{
	enum { N = 16 };
	uint8_t rep[N][8];
	struct uscheme_cqe c;
	struct usb_ep_info ei;
	struct us_ring r;
	int port, ep, i, cancelled = 0, cancels = 0;
	long long end;

	port = xt_own(XT_CTRL0, XT_KBD_VID, XT_KBD_PID);
	CHECK(port >= 0);
	ep = us_dup(port, "ep81", 0);
	CHECK(ep >= 0);
	CHECK_EQ(xt_ep_info(ep, &ei), 0);
	CHECK_EQ(ei.address, 0x81);
	CHECK_EQ(ei.type, USB_EP_INTERRUPT);
	CHECK_EQ(ei.max_packet, 8);
	CHECK(ei.interval > 0);
	CHECK_EQ(us_ring_init(&r, 64, 0, 0), 0);
	for (i = 0; i < N; i++)
		us_prep_read(us_get_sqe(&r), ep, rep[i], 8, 0, (uint64_t)i + 1);
	CHECK_EQ(us_submit(&r), N);
	/* all of them wait, queued at xhcid */
	CHECK_EQ(xt_reap(&r, &c, 500), -ETIME);
	CHECK_EQ(xt_ep_info(ep, &ei), 0);
	CHECK_EQ(ei.inflight, N);
	for (i = 0; i < N; i++)
		us_prep_cancel(us_get_sqe(&r), (uint64_t)i + 1, 100 + (uint64_t)i);
	CHECK_EQ(us_submit(&r), N);
	for (i = 0; i < 2 * N; i++) {
		CHECK_EQ(xt_reap(&r, &c, 5000), 0);
		if (c.user_data >= 100) {
			CHECK_EQ(c.res, 0);
			cancels++;
		} else {
			CHECK_EQ(c.res, -ECANCELED);
			cancelled++;
		}
	}
	CHECK_EQ(cancelled, N);
	CHECK_EQ(cancels, N);
	end = xt_ms() + 2000;
	do {
		CHECK_EQ(xt_ep_info(ep, &ei), 0);
	} while (ei.inflight && xt_ms() < end && !usleep(20 * 1000));
	CHECK_EQ(ei.inflight, 0);
	us_ring_exit(&r);
	close(ep);
	close(port);
	return 0;
}

int t_intr_key(void)
{
	uint8_t rep[8];
	struct uscheme_cqe c;
	struct us_ring r;
	int port, ep, i, stale = 0, err;

	port = xt_own(XT_CTRL0, XT_KBD_VID, XT_KBD_PID);
	CHECK(port >= 0);
	ep = us_dup(port, "ep81", 0);
	CHECK(ep >= 0);
	/* the boot protocol's 8-byte reports; no idle repeats */
	CHECK_EQ(xt_control(port, 0x21, 0x0b, 0, 0, NULL, 0), 0);	/* SET_PROTOCOL boot */
	CHECK_EQ(xt_control(port, 0x21, 0x0a, 0, 0, NULL, 0), 0);	/* SET_IDLE 0 */
	CHECK_EQ(us_ring_init(&r, 8, 0, 0), 0);
	/* reports left from an earlier run are taken first (at most a few) */
	for (;;) {
		memset(rep, 0xee, sizeof(rep));
		us_prep_read(us_get_sqe(&r), ep, rep, sizeof(rep), 0, 1);
		CHECK_EQ(us_submit(&r), 1);
		err = xt_reap(&r, &c, 500);
		if (err == -ETIME)
			break;
		CHECK_EQ(err, 0);
		CHECK_EQ(c.res, 8);
		CHECK(++stale <= 8);
	}
	if (stale)
		fprintf(stderr, "  # %d report(s) were waiting already\n", stale);
	/* the READ waits: inject a key */
	err = xt_sendkey("a");
	if (err) {
		fprintf(stderr, "  cannot inject a key through QEMU's monitor: %s\n", strerror(-err));
		return -1;
	}
	if (xt_reap(&r, &c, 5000)) {
		fprintf(stderr, "  the READ on the keyboard's ep81 did not complete within 5 s of the key\n");
		return -1;
	}
	CHECK_EQ(c.user_data, 1);
	CHECK_EQ(c.res, 8);
	fprintf(stderr, "  # report: %02x %02x %02x %02x %02x %02x %02x %02x\n", rep[0], rep[1],
		rep[2], rep[3], rep[4], rep[5], rep[6], rep[7]);
	CHECK_EQ(rep[0], 0);	/* no modifier */
	CHECK_EQ(rep[2], 0x04);	/* usage 0x04: 'a' */
	/* the release follows */
	memset(rep, 0xee, sizeof(rep));
	us_prep_read(us_get_sqe(&r), ep, rep, sizeof(rep), 0, 2);
	CHECK_EQ(xt_ring_op(&r, 5000), 8);
	for (i = 2; i < 8; i++)
		CHECK_EQ(rep[i], 0);
	us_ring_exit(&r);
	close(ep);
	close(port);
	return 0;
}

/*
 * USB_CALL_EP_POLL: the keyboard's ep81 gets readiness. No report: poll()
 * and FILES_UPDATE say nothing; a key (QEMU's monitor): an event CQE, the
 * handle readable, a READ that returns at once with the key's report; a
 * READ with nothing queued waits and is cancelled; polling off again.
 */
int t_intr_poll(void)
{
	struct uscheme_fu_entry fu;
	struct usb_ep_info ei;
	struct uscheme_cqe c;
	struct pollfd pfd;
	uint8_t rep[8];
	struct us_ring r;
	uint32_t on = 1;
	int port, ep, events = 0, err, i;
	long long t0;

	port = xt_own(XT_CTRL0, XT_KBD_VID, XT_KBD_PID);
	CHECK(port >= 0);
	ep = us_dup(port, "ep81", 0);
	CHECK(ep >= 0);
	CHECK_EQ(xt_control(port, 0x21, 0x0b, 0, 0, NULL, 0), 0);	/* SET_PROTOCOL boot */
	CHECK_EQ(xt_control(port, 0x21, 0x0a, 0, 0, NULL, 0), 0);	/* SET_IDLE 0 */
	on = 2;
	CHECK_EQ(us_call(ep, &on, sizeof(on), NULL, 0, USB_CALL_EP_POLL), -EINVAL);
	CHECK_EQ(us_call(ep, &on, 2, NULL, 0, USB_CALL_EP_POLL), -EINVAL);
	on = 1;
	CHECK_EQ(us_call(ep, &on, sizeof(on), NULL, 0, USB_CALL_EP_POLL), 0);
	CHECK_EQ(xt_ep_info(ep, &ei), 0);
	CHECK_EQ(ei.polling, 1);
	/* reports an earlier test left in the device come first: take them */
	usleep(300000);
	for (i = 0; i < 16; i++) {
		CHECK_EQ(xt_ep_info(ep, &ei), 0);
		if (!ei.reports)
			break;
		CHECK_EQ(read(ep, rep, sizeof(rep)), 8);
	}
	CHECK_EQ(ei.reports, 0);
	pfd.fd = ep;
	pfd.events = POLLIN;
	CHECK_EQ(poll(&pfd, 1, 0), 0);	/* nothing to read: not readable */

	CHECK_EQ(us_ring_init(&r, 8, 0, 0), 0);
	us_fu_entry(&fu, ep, USCHEME_EV_READ, USCHEME_FU_ADD, 7);
	us_prep_files_update(us_get_sqe(&r), &fu, 1, 70);
	CHECK_EQ(us_submit(&r), 1);
	while (xt_reap(&r, &c, 300) == 0)
		CHECK(!(c.flags & USCHEME_CQE_F_EVENT));	/* not ready: no event at ADD */
	CHECK_EQ(fu.res, 0);

	err = xt_sendkey("a");
	if (err) {
		fprintf(stderr, "  cannot inject a key through QEMU's monitor: %s\n", strerror(-err));
		return -1;
	}
	t0 = xt_ms();
	while (xt_ms() - t0 < 5000 && !events)
		if (xt_reap(&r, &c, 500) == 0 && (c.flags & USCHEME_CQE_F_EVENT) &&
		    c.user_data == 7 && (c.res & USCHEME_EV_READ))
			events++;
	CHECK_EQ(events, 1);
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK(pfd.revents & POLLIN);
	t0 = xt_ms();
	memset(rep, 0xee, sizeof(rep));
	CHECK_EQ(read(ep, rep, sizeof(rep)), 8);
	CHECK(xt_ms() - t0 < 200);	/* it was there already */
	fprintf(stderr, "  # report: %02x %02x %02x %02x %02x %02x %02x %02x\n", rep[0], rep[1],
		rep[2], rep[3], rep[4], rep[5], rep[6], rep[7]);
	CHECK_EQ(rep[0], 0);
	CHECK_EQ(rep[2], 0x04);	/* 'a' */
	/* the release: queued now, or soon */
	memset(rep, 0xee, sizeof(rep));
	CHECK_EQ(read(ep, rep, sizeof(rep)), 8);
	for (i = 2; i < 8; i++)
		CHECK_EQ(rep[i], 0);
	CHECK_EQ(xt_ep_info(ep, &ei), 0);
	CHECK_EQ(ei.reports, 0);

	/* nothing queued: a READ waits for the next report; CANCEL ends it */
	us_prep_read(us_get_sqe(&r), ep, rep, sizeof(rep), 0, 8);
	CHECK_EQ(us_submit(&r), 1);
	CHECK_EQ(xt_reap(&r, &c, 300), -ETIME);
	us_prep_cancel(us_get_sqe(&r), 8, 9);
	CHECK_EQ(us_submit(&r), 1);
	for (i = 0; i < 2; i++) {
		CHECK_EQ(xt_reap(&r, &c, 5000), 0);
		if (c.user_data == 8)
			CHECK_EQ(c.res, -ECANCELED);
		else
			CHECK_EQ(c.res, 0);
	}

	on = 0;
	CHECK_EQ(us_call(ep, &on, sizeof(on), NULL, 0, USB_CALL_EP_POLL), 0);
	CHECK_EQ(xt_ep_info(ep, &ei), 0);
	CHECK_EQ(ei.polling, 0);
	us_ring_exit(&r);
	close(ep);
	close(port);
	return 0;
}

/*
 * CLEAR_FEATURE(ENDPOINT_HALT) through USB_CALL_CONTROL resets the
 * controller's side of the endpoint too: refused (-EBUSY) while a READ is
 * queued on it (it would be lost); without one it goes to the device
 * (QEMU's keyboard has no endpoint features: it STALLs the request, and
 * the endpoint still works); the disk takes it and its next command works.
 */
int t_intr_clear_halt(void)
{
	struct uscheme_cqe c;
	struct us_ring r;
	struct bot b;
	uint8_t rep[8];
	int port, ep, i;

	port = xt_own(XT_CTRL0, XT_KBD_VID, XT_KBD_PID);
	CHECK(port >= 0);
	ep = us_dup(port, "ep81", 0);
	CHECK(ep >= 0);
	CHECK_EQ(us_ring_init(&r, 8, 0, 0), 0);
	us_prep_read(us_get_sqe(&r), ep, rep, sizeof(rep), 0, 1);
	CHECK_EQ(us_submit(&r), 1);
	CHECK_EQ(xt_reap(&r, &c, 300), -ETIME);
	CHECK_EQ(xt_control(port, 0x02, 1, 0, 0x81, NULL, 0), -EBUSY);
	us_prep_cancel(us_get_sqe(&r), 1, 2);
	CHECK_EQ(us_submit(&r), 1);
	for (i = 0; i < 2; i++)
		CHECK_EQ(xt_reap(&r, &c, 5000), 0);
	CHECK_EQ(xt_control(port, 0x02, 1, 0, 0x81, NULL, 0), -EPIPE);
	/* the endpoint works: a READ is queued and waits again */
	us_prep_read(us_get_sqe(&r), ep, rep, sizeof(rep), 0, 3);
	CHECK_EQ(us_submit(&r), 1);
	CHECK_EQ(xt_reap(&r, &c, 300), -ETIME);
	us_prep_cancel(us_get_sqe(&r), 3, 4);
	CHECK_EQ(us_submit(&r), 1);
	for (i = 0; i < 2; i++) {
		CHECK_EQ(xt_reap(&r, &c, 5000), 0);
		if (c.user_data == 3)
			CHECK_EQ(c.res, -ECANCELED);
	}
	us_ring_exit(&r);
	close(ep);
	close(port);

	/* the disk: both bulk endpoints cleared (device and controller), then a command */
	CHECK_EQ(bot_open(&b, XT_CTRL0, 0), 0);
	CHECK_EQ(bot_ready(&b), 0);
	CHECK_EQ(xt_control(b.port, 0x02, 1, 0, 0x81, NULL, 0), 0);
	CHECK_EQ(xt_control(b.port, 0x02, 1, 0, 0x02, NULL, 0), 0);
	CHECK(!bot_read_check(&b, 77, 8));
	bot_close(&b);
	return 0;
}
