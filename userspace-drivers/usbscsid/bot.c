// SPDX-License-Identifier: MIT
/*
 * Bulk-Only Transport (USB Mass Storage Class, Bulk-Only Transport 1.0)
 * over xhcid's endpoint handles, on the daemon's client ring (tag mode:
 * xhcid is a peer, its completions are looked up, never trusted as
 * pointers).
 *
 * One command on the wire at a time (BOT is serial): its CBW (one OUT
 * transfer of 31 bytes) and its data stage are submitted together; its
 * CSW (one IN transfer of 13 bytes) once both completed (QEMU's
 * usb-storage never completes a CSW READ queued behind the data READ).
 * The next command is started from the completion of the previous one,
 * before the loop waits again.
 *
 * Errors, as the spec (5.3, 6.6, 6.7) has them:
 *   - a STALL on the data stage: xhcid has cleared the halt (its -EPIPE
 *     says the endpoint is reset, both sides); read the CSW;
 *   - a STALL on the CSW: read it once more; a second failure: Reset
 *     Recovery;
 *   - a CSW that is not valid (length, signature, tag, status > 2) or not
 *     meaningful (residue > the data length), a phase error (status 2), a
 *     failed CBW, a timeout, a transaction error: Reset Recovery (Bulk-Only
 *     Mass Storage Reset, then CLEAR_FEATURE(ENDPOINT_HALT) on bulk IN and
 *     bulk OUT), and the command is tried again, BOT_ATTEMPTS times in all,
 *     then answered -EIO;
 *   - -ENODEV / -ESTALE (the device went away or was reset under us), or
 *     xhcid gone (its handles answer -EPIPE, which a STALL also is: Reset
 *     Recovery first checks the port handle with FSTAT): the device is
 *     gone, every command fails -ENODEV.
 */
#include <errno.h>
#include <string.h>

#include "../xhcid/usbscheme.h"
#include "usbscsid.h"

static void noop_complete(struct us_reactor *rx, struct us_op *op, const struct uscheme_cqe *cqe)
{
	(void)rx;
	(void)op;
	(void)cqe;
}

static struct us_op cancel_op = { .complete = noop_complete };

static void on_stage(struct us_reactor *rx, struct us_op *op, const struct uscheme_cqe *cqe);
static void recover(struct dev *dev, struct cmd *c);
static void start_attempt(struct dev *dev, struct cmd *c);

static bool gone_err(int err)
{
	return err == -ENODEV || err == -ESTALE || err == -EBADF;
}

static int submit_stage(struct dev *dev, struct cmd *c, int st)
{
	struct uscheme_sqe *sqe = us_reactor_sqe(dev->rx, &c->op[st]);

	if (!sqe)
		return -ENOMEM;
	switch (st) {
	case ST_CBW:
		us_prep_write(sqe, dev->out_fd, c->cbw, BOT_CBW_LEN, 0, sqe->user_data);
		break;
	case ST_DATA:
		if (c->in)
			us_prep_read(sqe, dev->in_fd, c->buf, c->len, 0, sqe->user_data);
		else
			us_prep_write(sqe, dev->out_fd, c->buf, c->len, 0, sqe->user_data);
		break;
	default:
		memset(c->csw, 0, sizeof(c->csw));
		us_prep_read(sqe, dev->in_fd, c->csw, BOT_CSW_LEN, 0, sqe->user_data);
		break;
	}
	c->ud[st] = sqe->user_data;
	c->pending++;
	return 0;
}

static void finish(struct dev *dev, struct cmd *c, int err)
{
	c->err = err;
	c->active = false;
	if (dev->cur == c)
		dev->cur = NULL;
	c->done(c);
	if (!dev->cur && dev->head && !dev->dead) {
		struct cmd *n = dev->head;

		dev->head = n->next;
		if (!dev->head)
			dev->tail = NULL;
		n->queued = false;
		dev->cur = n;
		n->active = true;
		start_attempt(dev, n);
	}
}

/* The attempt failed with err: stop what is still in flight; recover once it is all back. */
static void fail(struct dev *dev, struct cmd *c, int err)
{
	int st;

	if (c->fail)
		return;
	c->fail = err;
	for (st = 0; st < ST_N; st++) {
		struct uscheme_sqe *sqe;

		if (!c->ud[st])
			continue;
		sqe = us_reactor_sqe(dev->rx, &cancel_op);
		if (sqe)
			us_prep_cancel(sqe, c->ud[st], sqe->user_data);
	}
}

static void attempt_over(struct dev *dev, struct cmd *c)
{
	int err = c->fail;

	if (dev->dead) {
		finish(dev, c, dev->dead_err);
		return;
	}
	if (gone_err(err)) {
		logmsg("device gone (%s): failing every request", strerror(-err));
		dev_gone(dev, -ENODEV);
		finish(dev, c, -ENODEV);
		return;
	}
	logmsg("command %02x (LUN %u, %u bytes %s) attempt %d failed: %s: Reset Recovery",
	       c->cdb[0], c->lun, c->len, c->in ? "in" : "out", c->attempts + 1, strerror(-err));
	recover(dev, c);
}

static void start_attempt(struct dev *dev, struct cmd *c)
{
	bool in = c->in, cbw_in = c->in;
	uint32_t cbw_len = c->len;
	int err;

	c->pending = 0;
	c->fail = 0;
	c->csw_tries = 0;
	c->got = 0;
	c->status = 0;
	c->residue = 0;
	c->cbw_sent = false;
	c->data_over = false;
	memset(c->ud, 0, sizeof(c->ud));
	c->tag = ++dev->next_tag;
	if (!c->tag)
		c->tag = ++dev->next_tag;
	dev->commands++;
	if (dev->trace)
		c->t_start = disktrace_now();
	/*
	 * Tests (--inject-stall N): every Nth data-out command's CBW claims a
	 * block less than its data stage sends (Hi < Do, case 13): the device
	 * stalls the data stage, then the CSW; Reset Recovery follows. (A CBW
	 * whose direction disagrees with the data is a fatal error to QEMU
	 * 7.2's usb-storage until a USB port reset: --inject-dir N.)
	 */
	if (dev->inject_stall_every && c->len && !in && c->attempts == 0 &&
	    ++dev->injected % dev->inject_stall_every == 0) {
		logmsg("injecting a data stage longer than the CBW says into command %02x (tag %u)",
		       c->cdb[0], c->tag);
		cbw_len = c->len > 512 ? c->len - 512 : 0;
	}
	/*
	 * Tests (--inject-dir N): every Nth data-out command's CBW says data-in
	 * (issue 14's fault). QEMU stalls the data stage and then answers
	 * nothing but STALLs until a port reset: Reset Recovery fails every
	 * attempt, and port_reset() follows.
	 */
	if (dev->inject_dir_every && c->len && !in && c->attempts == 0 &&
	    ++dev->injected_dir % dev->inject_dir_every == 0) {
		logmsg("injecting a CBW saying data-in into data-out command %02x (tag %u)",
		       c->cdb[0], c->tag);
		cbw_in = true;
	}
	bot_cbw(c->cbw, c->tag, cbw_len, cbw_in, c->lun, c->cdb, c->cdb_len);
	err = submit_stage(dev, c, ST_CBW);
	if (!err && c->len)
		err = submit_stage(dev, c, ST_DATA);
	if (err) {
		fail(dev, c, err);
		if (!c->pending)
			attempt_over(dev, c);
	}
}

/* The CSW's completion: true when the command finished (c may be freed by then). */
static bool csw_done(struct dev *dev, struct cmd *c, int res)
{
	uint8_t status;
	uint32_t residue;
	int err;

	if (res == -EPIPE && c->csw_tries++ < 1) {
		/* STALL on the CSW: xhcid cleared the halt; read it once more (6.7.2). */
		dev->stalls++;
		err = submit_stage(dev, c, ST_CSW);
		if (err)
			fail(dev, c, err);
		return false;
	}
	if (res < 0) {
		fail(dev, c, res);
		return false;
	}
	err = bot_csw_check(c->csw, (size_t)res, c->tag, c->len, &status, &residue);
	if (err) {
		logmsg("command %02x: CSW not valid (%d bytes, tag %u expected)", c->cdb[0], res,
		       c->tag);
		fail(dev, c, -EPROTO);
		return false;
	}
	if (status == CSW_PHASE) {
		logmsg("command %02x: phase error", c->cdb[0]);
		fail(dev, c, -EPROTO);
		return false;
	}
	c->status = status;
	c->residue = residue;
	if (dev->trace && c->t_csw) {
		disktrace_add(dev->trace, DT_S_CMDS, 1);
		disktrace_add(dev->trace, DT_S_STAGE1_NS, c->t_csw - c->t_start);
		disktrace_add(dev->trace, DT_S_CSW_NS, disktrace_now() - c->t_csw);
	}
	finish(dev, c, 0);
	return true;
}

static void on_stage(struct us_reactor *rx, struct us_op *op, const struct uscheme_cqe *cqe)
{
	struct cmd *c = op->ctx;
	struct dev *dev = c->dev;
	int st = (int)(op - c->op);
	int res = cqe->res;

	(void)rx;
	if (st < 0 || st >= ST_N || !c->ud[st])
		return;		/* cannot happen: the reactor checked the tag */
	c->ud[st] = 0;
	c->pending--;
	if (c->fail) {
		/* stopping: wait for the rest */
	} else if (st == ST_CBW) {
		if (res != BOT_CBW_LEN)
			fail(dev, c, res < 0 ? res : -EPROTO);
		else
			c->cbw_sent = true;
	} else if (st == ST_DATA) {
		if (res >= 0) {
			c->got = (uint32_t)res > c->len ? c->len : (uint32_t)res;
		} else if (res == -EPIPE) {
			/* STALL on the data stage (6.7.2, 6.7.3): the halt is cleared; read the CSW */
			dev->stalls++;
			c->got = 0;
		} else {
			fail(dev, c, res);
		}
		if (!c->fail)
			c->data_over = true;
	} else if (csw_done(dev, c, res)) {
		return;		/* finished: its owner may have freed c */
	}
	if (!c->fail && st != ST_CSW && c->cbw_sent &&
	    (!c->len || c->data_over) && !c->ud[ST_CSW]) {
		int err;

		if (dev->trace)
			c->t_csw = disktrace_now();
		err = submit_stage(dev, c, ST_CSW);

		if (err)
			fail(dev, c, err);
	}
	if (c->fail && !c->pending)
		attempt_over(dev, c);
}

/* Reset Recovery (5.3.4), one control request per step, then the command again. */
static void rec_next(struct dev *dev);

static void on_rec(struct us_reactor *rx, struct us_op *op, const struct uscheme_cqe *cqe)
{
	struct dev *dev = op->ctx;
	struct cmd *c = dev->cur;
	int res = cqe->res;

	(void)rx;
	if (!c)
		return;
	if (dev->rec_step == 0 && res < 0) {
		/* FSTAT on the port failed: xhcid or the device is gone */
		logmsg("port handle: %s: the device or xhcid is gone", strerror(-res));
		dev_gone(dev, -ENODEV);
		finish(dev, c, -ENODEV);
		return;
	}
	if (res < 0 && gone_err(res)) {
		dev_gone(dev, -ENODEV);
		finish(dev, c, -ENODEV);
		return;
	}
	if (res < 0) {
		logmsg("Reset Recovery step %d: %s", dev->rec_step, strerror(-res));
		dev->resets_failed++;
	}
	dev->rec_step++;
	rec_next(dev);
}

/*
 * Reset Recovery did not bring the device back (a command failed every
 * attempt): as Linux's usb-storage (usb_reset_device), ask xhcid for a port
 * reset, once. xhcid answers at once and does it from its loop: our
 * handles go stale, and pcid starts a new usbscsid for the device
 * enumerated again. So every request we hold fails -EIO (never success)
 * and we stop. If xhcid refuses (an older one, or another interface's
 * driver holds the device), we serve on as before.
 */
static void port_reset(struct dev *dev)
{
	int r;

	if (dev->reset_asked || dev->dead)
		return;
	dev->reset_asked = true;
	r = us_call(dev->port_fd, NULL, 0, NULL, 0, USB_CALL_PORT_RESET);
	if (r < 0) {
		logmsg("Reset Recovery failed; port reset refused (%s): serving on", strerror(-r));
		return;
	}
	logmsg("Reset Recovery failed: port reset asked; failing every request -EIO and stopping "
	       "(the device is enumerated again, and served by a new usbscsid)");
	dev->port_reset = true;
	dev_gone(dev, -EIO);
}

static void rec_next(struct dev *dev)
{
	struct cmd *c = dev->cur;
	struct usb_ctrl_req req = { 0 };
	struct uscheme_sqe *sqe;

	if (dev->rec_step > 3) {
		c->attempts++;
		if (c->attempts >= BOT_ATTEMPTS) {
			logmsg("command %02x (LUN %u): failed %d times: -EIO", c->cdb[0], c->lun,
			       c->attempts);
			port_reset(dev);
			finish(dev, c, -EIO);
			return;
		}
		start_attempt(dev, c);
		return;
	}
	sqe = us_reactor_sqe(dev->rx, &dev->rec_op);
	if (!sqe) {
		finish(dev, c, -EIO);
		return;
	}
	if (dev->rec_step == 0) {
		us_prep_fstat(sqe, dev->port_fd, (struct uscheme_stat *)dev->rec_stat,
			      sqe->user_data);
		return;
	}
	if (dev->rec_step == 1) {
		req.bm_request_type = 0x21;	/* class, interface, OUT */
		req.b_request = 0xff;		/* Bulk-Only Mass Storage Reset */
		req.w_index = dev->iface;
	} else {
		req.bm_request_type = 0x02;	/* standard, endpoint, OUT */
		req.b_request = 0x01;		/* CLEAR_FEATURE */
		req.w_value = 0;		/* ENDPOINT_HALT */
		req.w_index = dev->rec_step == 2 ? dev->in_addr : dev->out_addr;
	}
	memcpy(dev->rec_req.b, &req, sizeof(req));
	us_prep_call(sqe, dev->port_fd, dev->rec_req.b, sizeof(req), NULL, 0, USB_CALL_CONTROL,
		     sqe->user_data);
}

static void recover(struct dev *dev, struct cmd *c)
{
	(void)c;
	dev->recoveries++;
	dev->rec_step = 0;
	rec_next(dev);
}

int bot_init(struct dev *dev)
{
	dev->rec_op.complete = on_rec;
	dev->rec_op.ctx = dev;
	return 0;
}

void bot_submit(struct dev *dev, struct cmd *c, bool front)
{
	int st;

	c->dev = dev;
	for (st = 0; st < ST_N; st++) {
		c->op[st].complete = on_stage;
		c->op[st].ctx = c;
	}
	c->attempts = 0;
	c->err = 0;
	c->next = NULL;
	if (dev->dead) {
		c->err = dev->dead_err;
		c->done(c);
		return;
	}
	if (!dev->cur) {
		dev->cur = c;
		c->active = true;
		start_attempt(dev, c);
		return;
	}
	c->queued = true;
	if (front) {
		c->next = dev->head;
		dev->head = c;
		if (!dev->tail)
			dev->tail = c;
	} else {
		if (dev->tail)
			dev->tail->next = c;
		else
			dev->head = c;
		dev->tail = c;
	}
}

bool bot_unqueue(struct dev *dev, struct cmd *c)
{
	struct cmd **pp, *prev = NULL;

	if (!c->queued)
		return false;
	for (pp = &dev->head; *pp; prev = *pp, pp = &(*pp)->next) {
		if (*pp != c)
			continue;
		*pp = c->next;
		if (dev->tail == c)
			dev->tail = prev;
		c->queued = false;
		c->next = NULL;
		return true;
	}
	return false;
}

void bot_fail_queued(struct dev *dev, int err)
{
	while (dev->head) {
		struct cmd *c = dev->head;

		dev->head = c->next;
		if (!dev->head)
			dev->tail = NULL;
		c->queued = false;
		c->next = NULL;
		c->err = err;
		c->done(c);
	}
}
