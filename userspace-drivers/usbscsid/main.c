// SPDX-License-Identifier: MIT
/*
 * usbscsid: a USB mass-storage (SCSI transparent command set, Bulk-Only
 * Transport) interface served as disk.*: (diskscheme.h). README.md.
 *
 *   usbscsid [--scheme NAME] [--inject-stall N] PORT_PATH
 *
 * The port: fd $USB_PORT_FD (xhcid hands its class drivers the owner's
 * handle), else PORT_PATH ("usb.0000-00-04.0:1") opened O_RDWR (root).
 * The interface: $USB_INTERFACE, else the first 08/06/50 interface of the
 * configuration xhcid set. The scheme: an inherited ring ($USCHEME_SCHEME,
 * set up by a privileged parent), else NAME (default: diskscheme.h's
 * spelling) registered here, which needs CAP_SYS_ADMIN.
 *
 * One thread, one wait: the scheme ring's requests and the client ring's
 * completions (xhcid's answers) come through the daemon framework's loop.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../xhcid/descparse.h"
#include "../xhcid/usbscheme.h"
#include "diskscheme.h"
#include "usbscsid.h"

const char *prog = "usbscsid";
static char scheme_name[USCHEME_NAME_MAX];

void logmsg(const char *fmt, ...)
{
	char buf[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "%s: %s: %s\n", prog, scheme_name[0] ? scheme_name : "-", buf);
}

static struct dev the_dev;

/* ---- handles and requests ---- */

enum h_kind { H_ROOT, H_LUN };

struct handle {
	enum h_kind kind;
	uint8_t lun;
	bool writable;
};

enum io_kind { IO_READ, IO_WRITE, IO_SYNC };

struct io {
	struct cmd cmd;
	struct cmd sense_cmd;
	uint8_t sense[32];
	struct io *prev, *next;		/* every io not yet answered */
	uint64_t tag;
	enum io_kind kind;
	uint8_t lun;
	uint8_t *buf;
	uint64_t off;
	uint32_t len, done, chunk;
	int retries;
	uint64_t t_in;			/* --trace: the request came (ns) */
};

static struct io *ios;			/* not yet answered */

/* Opens that came before the device was set up, answered after. */
struct pending_open {
	struct pending_open *next;
	uint64_t tag;
	uint32_t uid;
	int flags;
	char path[16];
	bool toolong;
};
static struct pending_open *popens;

static void io_unlink(struct io *io)
{
	if (io->prev)
		io->prev->next = io->next;
	else
		ios = io->next;
	if (io->next)
		io->next->prev = io->prev;
}

static void io_finish(struct io *io, int res)
{
	io_unlink(io);
	us_reply(the_dev.d, io->tag, res);
	if (the_dev.trace && io->t_in && io->kind != IO_SYNC) {
		disktrace_add(the_dev.trace, DT_S_IOS, 1);
		disktrace_add(the_dev.trace, DT_S_IO_NS, disktrace_now() - io->t_in);
	}
	free(io);
}

void dev_gone(struct dev *dev, int err)
{
	if (dev->dead)
		return;
	dev->dead = true;
	dev->dead_err = err;
	bot_fail_queued(dev, err);
	us_daemon_stop(dev->d);
}

static void io_start(struct io *io, bool front);

static void io_sense_done(struct cmd *c)
{
	struct io *io = c->ctx;
	struct lun *l = &the_dev.lun[io->lun];
	struct sense s;
	int err;
	enum sense_action a;

	if (c->err) {
		io_finish(io, c->err);
		return;
	}
	if (c->status != CSW_GOOD) {
		logmsg("LUN %u: REQUEST SENSE failed too: -EIO", io->lun);
		io_finish(io, -EIO);
		return;
	}
	scsi_sense_parse(io->sense, c->got, &s);
	a = scsi_sense_action(&s, &err);
	if (io->kind == IO_SYNC && s.valid && s.key == SENSE_ILLEGAL_REQUEST && s.asc == 0x20) {
		/* no SYNCHRONIZE CACHE: no write cache to flush */
		io_finish(io, 0);
		return;
	}
	if (a == SA_OK) {
		/* RECOVERED ERROR: good only for the bytes the command really moved */
		if (io->kind != IO_SYNC && (io->cmd.residue || io->cmd.got != io->cmd.len)) {
			logmsg("LUN %u: %s %02x/%02x, but command %02x moved %u of %u bytes: -EIO",
			       io->lun, scsi_sense_key_name(s.key), s.asc, s.ascq, io->cmd.cdb[0],
			       io->cmd.got, io->cmd.len);
			io_finish(io, -EIO);
			return;
		}
		logmsg("LUN %u: %s %02x/%02x: data good", io->lun, scsi_sense_key_name(s.key), s.asc,
		       s.ascq);
		io->done += io->chunk;
		if (io->kind == IO_SYNC || io->done >= io->len) {
			io_finish(io, io->kind == IO_SYNC ? 0 : (int)io->len);
			return;
		}
		io_start(io, false);
		return;
	}
	if (a == SA_RETRY && io->retries++ < SCSI_RETRIES) {
		if (s.key != SENSE_UNIT_ATTENTION)
			logmsg("LUN %u: %s %02x/%02x: retrying", io->lun, scsi_sense_key_name(s.key),
			       s.asc, s.ascq);
		io_start(io, true);
		return;
	}
	logmsg("LUN %u: command %02x at byte %llu: %s %02x/%02x: %s", io->lun, io->cmd.cdb[0],
	       (unsigned long long)(io->off + io->done), s.valid ? scsi_sense_key_name(s.key) :
	       "no sense data", s.asc, s.ascq, strerror(-err));
	if (err == -EROFS)
		l->ro = true;
	io_finish(io, err);
}

static void io_cmd_done(struct cmd *c)
{
	struct io *io = c->ctx;
	struct cmd *sc = &io->sense_cmd;

	if (c->err) {
		io_finish(io, c->err);
		return;
	}
	if (c->status == CSW_FAILED) {
		memset(sc, 0, sizeof(*sc));
		sc->lun = io->lun;
		sc->cdb_len = scsi_cdb_simple(sc->cdb, SCSI_REQUEST_SENSE, 18);
		sc->in = true;
		sc->buf = io->sense;
		sc->len = 18;
		sc->done = io_sense_done;
		sc->ctx = io;
		bot_submit(&the_dev, sc, true);
		return;
	}
	if (io->kind != IO_SYNC && (c->residue || c->got != c->len)) {
		logmsg("LUN %u: command %02x moved %u of %u bytes (residue %u): -EIO", io->lun,
		       c->cdb[0], c->got, c->len, c->residue);
		io_finish(io, -EIO);
		return;
	}
	io->done += io->chunk;
	if (io->kind == IO_SYNC || io->done >= io->len) {
		io_finish(io, io->kind == IO_SYNC ? 0 : (int)io->len);
		return;
	}
	io_start(io, false);
}

static void io_start(struct io *io, bool front)
{
	struct lun *l = &the_dev.lun[io->lun];
	struct cmd *c = &io->cmd;

	memset(c, 0, sizeof(*c));
	c->lun = io->lun;
	c->done = io_cmd_done;
	c->ctx = io;
	if (io->kind == IO_SYNC) {
		c->cdb_len = scsi_cdb_simple(c->cdb, SCSI_SYNC_CACHE_10, 0);
		io->chunk = 0;
	} else {
		uint32_t n = io->len - io->done;

		if (n > l->max_io)
			n = l->max_io;
		io->chunk = n;
		c->cdb_len = scsi_cdb_rw(c->cdb, io->kind == IO_WRITE, (io->off + io->done) / l->bs,
					 n / l->bs);
		c->in = io->kind == IO_READ;
		c->buf = io->buf + io->done;
		c->len = n;
	}
	bot_submit(&the_dev, c, front);
}

static int io_queue(const struct uscheme_req *req, enum io_kind kind, uint8_t lun, void *buf,
		    uint64_t off, uint32_t len)
{
	struct io *io = calloc(1, sizeof(*io));

	if (!io)
		return -ENOMEM;
	if (the_dev.trace)
		io->t_in = disktrace_now();
	io->tag = req->tag;
	io->kind = kind;
	io->lun = lun;
	io->buf = buf;
	io->off = off;
	io->len = len;
	io->next = ios;
	if (ios)
		ios->prev = io;
	ios = io;
	io_start(io, false);
	return US_DEFER;
}

/* ---- the scheme ---- */

static int listing(char *out, size_t room)
{
	size_t n = 0;
	unsigned int i;

	for (i = 0; i < the_dev.nluns; i++) {
		const struct lun *l = &the_dev.lun[i];
		int m;

		if (l->present)
			m = snprintf(out + n, room - n, "%u %llu %u %s\n", i,
				     (unsigned long long)l->size, l->bs, l->ro ? "ro" : "rw");
		else
			m = snprintf(out + n, room - n, "%u 0 0 absent\n", i);
		if (m < 0 || (size_t)m >= room - n)
			break;
		n += (size_t)m;
	}
	return (int)n;
}

static int parse_lun(const char *path)
{
	unsigned int v = 0;
	const char *p;

	if (!path[0] || (path[0] == '0' && path[1]) || strlen(path) > 2)
		return -ENOENT;
	for (p = path; *p; p++) {
		if (*p < '0' || *p > '9')
			return -ENOENT;
		v = v * 10 + (unsigned int)(*p - '0');
	}
	return v < the_dev.nluns ? (int)v : -ENOENT;
}

static int do_open(const char *path, int flags, uint32_t uid, void **state)
{
	struct handle *h;
	int acc = flags & O_ACCMODE, lun;

	if (the_dev.dead)
		return -ENODEV;
	if (!path[0]) {
		if (acc != O_RDONLY)
			return -EISDIR;
		h = calloc(1, sizeof(*h));
		if (!h)
			return -ENOMEM;
		h->kind = H_ROOT;
		*state = h;
		return 0;
	}
	lun = parse_lun(path);
	if (lun < 0)
		return lun;
	/* The raw disk is root's, as /dev/sdX is; the listing is anyone's. */
	if (uid != 0)
		return -EACCES;
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	if (!the_dev.lun[lun].present)
		return the_dev.lun[lun].err ? the_dev.lun[lun].err : -ENODEV;
	if (acc != O_RDONLY && the_dev.lun[lun].ro)
		return -EROFS;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	h->kind = H_LUN;
	h->lun = (uint8_t)lun;
	h->writable = acc != O_RDONLY;
	*state = h;
	return 0;
}

static int h_open(struct us_daemon *d, const struct uscheme_req *req, const char *path,
		  void **state)
{
	struct pending_open *po;

	(void)d;
	if (the_dev.ready || the_dev.dead)
		return do_open(path, (int)req->op_flags, req->uid, state);
	po = calloc(1, sizeof(*po));
	if (!po)
		return -ENOMEM;
	po->tag = req->tag;
	po->flags = (int)req->op_flags;
	po->uid = req->uid;
	if (strlen(path) >= sizeof(po->path))
		po->toolong = true;
	else
		snprintf(po->path, sizeof(po->path), "%s", path);
	po->next = popens;
	popens = po;
	return US_DEFER;
}

static void answer_pending_opens(void)
{
	while (popens) {
		struct pending_open *po = popens;
		void *state = NULL;
		int err;

		popens = po->next;
		err = po->toolong ? -ENOENT : do_open(po->path, po->flags, po->uid, &state);
		us_reply_handle(the_dev.d, po->tag, err, err ? NULL : state);
		free(po);
	}
}

static int h_read(struct us_daemon *d, const struct uscheme_req *req, void *state, void *buf,
		  size_t len, uint64_t off)
{
	struct handle *h = state;
	struct lun *l;

	(void)d;
	if (h->kind == H_ROOT) {
		char text[BOT_MAX_LUN * 48 + 64];
		int n = listing(text, sizeof(text));

		if (off >= (uint64_t)n)
			return 0;
		if (len > (size_t)n - off)
			len = (size_t)n - off;
		memcpy(buf, text + off, len);
		return (int)len;
	}
	l = &the_dev.lun[h->lun];
	if (the_dev.dead)
		return -ENODEV;
	if (off % l->bs || len % l->bs)
		return -EINVAL;
	if (len > USCHEME_IO_MAX)
		return -EINVAL;
	if (!len || off >= l->size)
		return 0;
	if (len > l->size - off)
		len = (size_t)(l->size - off);
	return io_queue(req, IO_READ, h->lun, buf, off, (uint32_t)len);
}

static int h_write(struct us_daemon *d, const struct uscheme_req *req, void *state,
		   const void *buf, size_t len, uint64_t off)
{
	struct handle *h = state;
	struct lun *l;

	(void)d;
	if (h->kind == H_ROOT)
		return -EISDIR;
	l = &the_dev.lun[h->lun];
	if (!h->writable)
		return -EBADF;
	if (the_dev.dead)
		return -ENODEV;
	if (l->ro)
		return -EROFS;
	if (off % l->bs || len % l->bs)
		return -EINVAL;
	if (len > USCHEME_IO_MAX)
		return -EINVAL;
	if (!len)
		return 0;
	if (off > l->size || len > l->size - off)
		return -ENOSPC;
	return io_queue(req, IO_WRITE, h->lun, (void *)buf, off, (uint32_t)len);
}

static int h_fstat(struct us_daemon *d, const struct uscheme_req *req, void *state,
		   struct uscheme_stat *st)
{
	struct handle *h = state;
	struct lun *l;

	(void)d;
	(void)req;
	if (h->kind == H_ROOT) {
		char text[BOT_MAX_LUN * 48 + 64];

		st->mode = S_IFDIR | 0555;
		st->size = (uint64_t)listing(text, sizeof(text));
		st->nlink = 1;
		st->blksize = 4096;
		return 0;
	}
	l = &the_dev.lun[h->lun];
	st->mode = S_IFBLK | (l->ro ? 0400 : 0600);
	st->size = l->size;
	st->blksize = l->bs;
	st->blocks = l->size / 512;
	st->nlink = 1;
	return 0;
}

static int h_fsync(struct us_daemon *d, const struct uscheme_req *req, void *state)
{
	struct handle *h = state;

	(void)d;
	if (h->kind == H_ROOT)
		return 0;
	if (the_dev.dead)
		return -ENODEV;
	if (the_dev.lun[h->lun].ro)
		return 0;
	return io_queue(req, IO_SYNC, h->lun, NULL, 0, 0);
}

static int h_ftruncate(struct us_daemon *d, const struct uscheme_req *req, void *state,
		       uint64_t length)
{
	(void)d;
	(void)req;
	(void)state;
	(void)length;
	return -EINVAL;
}

static int h_dup(struct us_daemon *d, const struct uscheme_req *req, void *state,
		 const char *suffix, void **new_state)
{
	struct handle *h = state, *n;

	(void)d;
	(void)req;
	if (suffix[0])
		return -ENOENT;
	n = malloc(sizeof(*n));
	if (!n)
		return -ENOMEM;
	*n = *h;
	*new_state = n;
	return 0;
}

static int h_call(struct us_daemon *d, const struct uscheme_req *req, void *state, void *buf,
		  size_t in_len, size_t out_len)
{
	struct handle *h = state;
	struct disk_info info = { 0 };
	const struct lun *l;

	(void)d;
	(void)in_len;
	if (req->op_flags != DISK_CALL_INFO || h->kind != H_LUN)
		return -EINVAL;
	if (out_len < sizeof(info))
		return -EINVAL;
	l = &the_dev.lun[h->lun];
	info.size = l->size;
	info.block_size = l->bs;
	info.max_io = l->max_io;
	info.lun = h->lun;
	info.readonly = l->ro;
	memcpy(info.vendor, l->vendor, sizeof(info.vendor));
	memcpy(info.product, l->product, sizeof(info.product));
	memcpy(info.revision, l->rev, sizeof(info.revision));
	memcpy(buf, &info, sizeof(info));
	return (int)sizeof(info);
}

static void h_close(struct us_daemon *d, void *state)
{
	(void)d;
	free(state);
}

static void h_cancel(struct us_daemon *d, uint64_t tag)
{
	struct io *io;

	(void)d;
	for (io = ios; io; io = io->next) {
		if (io->tag != tag)
			continue;
		/* Not on the wire yet: answer now. On the wire: it completes as it will. */
		if (bot_unqueue(&the_dev, &io->cmd))
			io_finish(io, -ECANCELED);
		return;
	}
}

static const struct us_scheme_ops ops = {
	.open = h_open,
	.read = h_read,
	.write = h_write,
	.fstat = h_fstat,
	.fsync = h_fsync,
	.ftruncate = h_ftruncate,
	.dup = h_dup,
	.call = h_call,
	.close = h_close,
	.cancel = h_cancel,
};

/*
 * The port handle's events: a change of the port (its device went, was
 * reset, replugged: EV_READ, then PORT_INFO tells) or xhcid gone (a
 * hangup): the device is gone for us, and every request fails -ENODEV.
 */
static uint32_t port_generation;

static void on_port_event(struct us_daemon *d, int fd, int events, void *ctx)
{
	struct usb_port_info info;
	int n;

	(void)d;
	(void)ctx;
	if (events < 0 || the_dev.dead)
		return;
	if (events & (USCHEME_EV_HUP | USCHEME_EV_ERR)) {
		logmsg("port handle hung up: xhcid is gone");
		dev_gone(&the_dev, -ENODEV);
		return;
	}
	n = us_call(fd, NULL, 0, &info, sizeof(info), USB_CALL_PORT_INFO);
	if (n != (int)sizeof(info) || info.state != USB_PORT_READY ||
	    info.generation != port_generation) {
		logmsg("the port changed (%s): the device is gone",
		       n < 0 ? strerror(-n) : info.state != USB_PORT_READY ? "not ready" :
		       "re-enumerated");
		dev_gone(&the_dev, -ENODEV);
	}
}

/* ---- setup: commands one at a time, the loop turning meanwhile ---- */

static void sync_done(struct cmd *c)
{
	*(bool *)c->ctx = true;
}

/* Run c to its end; 0 and its results in c, or -errno (the loop failed, a signal). */
static int run_sync(struct cmd *c)
{
	bool done = false;

	c->done = sync_done;
	c->ctx = &done;
	bot_submit(&the_dev, c, false);
	while (!done) {
		int r = us_daemon_run_once(the_dev.d, -1);

		if (us_daemon_stopped(the_dev.d) && !done)
			return -EINTR;
		if (r < 0 && r != -EINTR && r != -ETIME)
			return r;
	}
	return 0;
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

/*
 * One SCSI command at setup, with REQUEST SENSE after CHECK CONDITION and
 * retries where the sense says so. 0 (and *got), or -errno; *sense the
 * last sense seen (may be NULL).
 */
static int scsi_sync(uint8_t lun, const uint8_t *cdb, uint8_t cdb_len, bool in, void *buf,
		     uint32_t len, uint32_t *got, struct sense *sense)
{
	int tries, err = -EIO;

	for (tries = 0; tries <= SCSI_RETRIES; tries++) {
		struct cmd c = { 0 }, sc = { 0 };
		uint8_t sb[32];
		struct sense s;
		enum sense_action a;

		c.lun = lun;
		memcpy(c.cdb, cdb, cdb_len);
		c.cdb_len = cdb_len;
		c.in = in;
		c.buf = buf;
		c.len = len;
		err = run_sync(&c);
		if (err)
			return err;
		if (c.err)
			return c.err;
		if (c.status == CSW_GOOD) {
			/* bytes of data: what arrived, and no more than the CSW says */
			if (got)
				*got = c.got < len - c.residue ? c.got : len - c.residue;
			return 0;
		}
		sc.lun = lun;
		sc.cdb_len = scsi_cdb_simple(sc.cdb, SCSI_REQUEST_SENSE, 18);
		sc.in = true;
		sc.buf = sb;
		sc.len = 18;
		memset(sb, 0, sizeof(sb));
		err = run_sync(&sc);
		if (err)
			return err;
		if (sc.err)
			return sc.err;
		if (sc.status != CSW_GOOD)
			return -EIO;
		scsi_sense_parse(sb, sc.got, &s);
		if (sense)
			*sense = s;
		a = scsi_sense_action(&s, &err);
		if (a == SA_OK)
			return 0;
		if (a == SA_FAIL)
			return err;
		if (s.key == SENSE_NOT_READY)
			msleep(200);
		err = -EIO;
	}
	return err;
}

static void setup_lun(uint8_t n)
{
	struct lun *l = &the_dev.lun[n];
	uint8_t cdb[16], b[256];
	uint32_t got = 0, mtl;
	struct sense s = { 0 };
	bool need16;
	int err, i;

	l->present = false;
	l->err = -ENODEV;
	memset(b, 0, sizeof(b));
	err = scsi_sync(n, cdb, scsi_cdb_inquiry(cdb, false, 0, 36), true, b, 36, &got, NULL);
	if (err || scsi_inquiry_disk(b, got)) {
		logmsg("LUN %u: INQUIRY: %s", n, err ? strerror(-err) : "not a direct-access disk");
		return;
	}
	scsi_inquiry_strings(b, got, l->vendor, l->product, l->rev);
	/* TEST UNIT READY until ready: 50 tries, 200 ms apart while NOT READY */
	for (i = 0; i < 50; i++) {
		memset(&s, 0, sizeof(s));
		err = scsi_sync(n, cdb, scsi_cdb_simple(cdb, SCSI_TEST_UNIT_READY, 0), false, NULL, 0,
				NULL, &s);
		if (!err || err == -ENOMEDIUM || err == -ENODEV || err == -EINTR)
			break;
		msleep(200);
	}
	if (err) {
		logmsg("LUN %u: TEST UNIT READY: %s", n, strerror(-err));
		l->err = err == -ENOMEDIUM ? -ENOMEDIUM : -EIO;
		return;
	}
	memset(b, 0, sizeof(b));
	err = scsi_sync(n, cdb, scsi_cdb_simple(cdb, SCSI_READ_CAPACITY_10, 0), true, b, 8, &got,
			NULL);
	if (!err)
		err = scsi_parse_cap10(b, got, &l->blocks, &l->bs, &need16);
	if (!err && need16) {
		memset(b, 0, sizeof(b));
		err = scsi_sync(n, cdb, scsi_cdb_read_cap16(cdb, 32), true, b, 32, &got, NULL);
		if (!err)
			err = scsi_parse_cap16(b, got, &l->blocks, &l->bs);
	}
	if (err || !l->blocks) {
		logmsg("LUN %u: READ CAPACITY: %s", n, err ? strerror(-err) : "no blocks");
		l->err = -EIO;
		return;
	}
	l->size = l->blocks * l->bs;
	/* MODE SENSE(6), all pages: the header's WP bit. Failing: writable, as Linux assumes. */
	memset(b, 0, sizeof(b));
	err = scsi_sync(n, cdb, scsi_cdb_mode_sense6(cdb, 0x3f, 192), true, b, 192, &got, NULL);
	if (!err && scsi_mode6_wp(b, got) == 1)
		l->ro = true;
	else if (err)
		logmsg("LUN %u: MODE SENSE: %s: taken as writable", n, strerror(-err));
	/* Block Limits VPD, where the device lists it */
	l->max_io = USBSCSID_MAX_IO;
	memset(b, 0, sizeof(b));
	err = scsi_sync(n, cdb, scsi_cdb_inquiry(cdb, true, 0x00, 255), true, b, 255, &got, NULL);
	if (!err && scsi_vpd_has(b, got, 0xb0)) {
		memset(b, 0, sizeof(b));
		err = scsi_sync(n, cdb, scsi_cdb_inquiry(cdb, true, 0xb0, 64), true, b, 64, &got,
				NULL);
		mtl = err ? 0 : scsi_vpd_max_xfer(b, got);
		if (mtl && (uint64_t)mtl * l->bs < l->max_io)
			l->max_io = mtl * l->bs;
	}
	if (l->max_io < l->bs)
		l->max_io = l->bs;
	l->max_io -= l->max_io % l->bs;
	l->present = true;
	l->err = 0;
	logmsg("LUN %u: %s %s %s: %llu blocks of %u bytes (%llu MiB), %s, %u KiB per command", n,
	       l->vendor, l->product, l->rev, (unsigned long long)l->blocks, l->bs,
	       (unsigned long long)(l->size >> 20), l->ro ? "read-only" : "writable",
	       l->max_io >> 10);
}

/* ---- descriptors ---- */

/*
 * The interface (want >= 0: that one; else the first 08/06/50) of
 * configuration c, alternate setting 0: its number in *iface. 0 or -ENOENT.
 */
static int find_iface(const uint8_t *c, size_t len, int want, uint8_t *iface)
{
	size_t pos = c[0];

	while (pos + 2 <= len) {
		const uint8_t *p = c + pos;

		if (p[0] < 2 || p[0] > len - pos)
			return -ENOENT;
		if (p[1] == 4 && p[0] >= 9 && p[3] == 0) {
			bool bot = p[5] == 0x08 && p[6] == 0x06 && p[7] == 0x50;

			if ((want >= 0 && p[2] == want) || (want < 0 && bot)) {
				if (!bot)
					return -ENOENT;
				*iface = p[2];
				return 0;
			}
		}
		pos += p[0];
	}
	return -ENOENT;
}

static int setup_port(const char *port_path, int want_iface)
{
	struct usb_port_info info;
	struct ep_desc eps[32];
	uint8_t alt[32] = { 0 };
	const uint8_t *c;
	char *desc = NULL, epname[8];
	size_t dlen = 0, clen = 0;
	int n, i, err;

	n = us_call(the_dev.port_fd, NULL, 0, &info, sizeof(info), USB_CALL_PORT_INFO);
	if (n != (int)sizeof(info)) {
		logmsg("%s: PORT_INFO: %s", port_path, n < 0 ? strerror(-n) : "short");
		return n < 0 ? n : -EIO;
	}
	the_dev.usb3 = info.usb3;
	port_generation = info.generation;
	err = us_read_all_max(the_dev.port_fd, 1 << 20, &desc, &dlen);
	if (err) {
		logmsg("%s: descriptors: %s", port_path, strerror(-err));
		return err;
	}
	c = desc_config_find((const uint8_t *)desc, dlen, info.config, &clen);
	if (!info.config || !c) {
		logmsg("%s: no configuration set (%u)", port_path, info.config);
		free(desc);
		return -ENODEV;
	}
	if (find_iface(c, clen, want_iface, &the_dev.iface)) {
		if (want_iface >= 0)
			logmsg("%s: interface %d is no 08/06/50 (Bulk-Only mass storage) interface",
			       port_path, want_iface);
		else
			logmsg("%s: no 08/06/50 (Bulk-Only mass storage) interface", port_path);
		free(desc);
		return -ENODEV;
	}
	n = desc_config_endpoints(c, clen, alt, the_dev.iface, eps, 32);
	free(desc);
	if (n < 0) {
		logmsg("%s: malformed descriptors", port_path);
		return -EPROTO;
	}
	for (i = 0; i < n; i++) {
		if ((eps[i].attr & 3) != USB_EP_BULK || eps[i].iface != the_dev.iface)
			continue;
		if ((eps[i].addr & 0x80) && !the_dev.in_addr)
			the_dev.in_addr = eps[i].addr;
		else if (!(eps[i].addr & 0x80) && !the_dev.out_addr)
			the_dev.out_addr = eps[i].addr;
	}
	if (!the_dev.in_addr || !the_dev.out_addr) {
		logmsg("%s: interface %u lacks a bulk IN or a bulk OUT endpoint", port_path,
		       the_dev.iface);
		return -ENODEV;
	}
	snprintf(epname, sizeof(epname), "ep%02x", the_dev.in_addr);
	the_dev.in_fd = us_dup(the_dev.port_fd, epname, O_CLOEXEC);
	snprintf(epname, sizeof(epname), "ep%02x", the_dev.out_addr);
	the_dev.out_fd = us_dup(the_dev.port_fd, epname, O_CLOEXEC);
	if (the_dev.in_fd < 0 || the_dev.out_fd < 0) {
		err = the_dev.in_fd < 0 ? the_dev.in_fd : the_dev.out_fd;
		logmsg("%s: endpoints %02x/%02x: %s", port_path, the_dev.in_addr, the_dev.out_addr,
		       strerror(-err));
		return err;
	}
	return 0;
}

static unsigned int get_max_lun(void)
{
	struct usb_ctrl_req req = { .bm_request_type = 0xa1, .b_request = 0xfe,
				    .w_index = the_dev.iface, .w_length = 1 };
	uint8_t v = 0;
	int n = us_call(the_dev.port_fd, &req, sizeof(req), &v, 1, USB_CALL_CONTROL);

	if (n == -EPIPE)
		return 0;	/* a STALL: one LUN (3.2) */
	if (n != 1) {
		logmsg("Get Max LUN: %s: taking one LUN", n < 0 ? strerror(-n) : "no byte");
		return 0;
	}
	if (v > BOT_MAX_LUN) {
		logmsg("Get Max LUN says %u (at most 15): taking one LUN", v);
		return 0;
	}
	return v;
}

/* --user UID[:GID]: after the privileged steps, become UID (no capabilities, no_new_privs). */
static int drop_to(const char *spec)
{
	char *end;
	unsigned long uid = strtoul(spec, &end, 10), gid = uid;

	if (end == spec || (*end && *end != ':'))
		return -EINVAL;
	if (*end == ':') {
		char *e2;

		gid = strtoul(end + 1, &e2, 10);
		if (e2 == end + 1 || *e2)
			return -EINVAL;
	}
	if (!uid)
		return -EINVAL;
	if (setgroups(0, NULL) || setgid((gid_t)gid) || setuid((uid_t)uid))
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return -errno;
	if (setuid(0) == 0)
		return -EPERM;	/* still root: refuse to go on */
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: usbscsid [--scheme NAME] [--user UID[:GID]] [--inject-stall N] [--inject-dir N]\n"
		"       [--trace FILE] PORT_PATH\n"
		"  serves a USB mass-storage (Bulk-Only, SCSI) interface as disk.*:\n"
		"  PORT_PATH     the port, e.g. usb.0000-00-04.0:1 (its handle: fd $USB_PORT_FD\n"
		"                when xhcid started us, else opened here O_RDWR: root)\n"
		"  --scheme NAME the scheme to register (default disk.usb.CONTROLLER-PORT);\n"
		"                with $USCHEME_SCHEME the inherited ring is served instead\n"
		"  --user UID[:GID]  once the port is open and the scheme registered (both\n"
		"                need root), serve as UID (no capabilities, no_new_privs)\n"
		"  --inject-stall N  tests: every Nth data-out command's CBW claims a block\n"
		"                less than it sends (the device stalls it; Reset Recovery)\n"
		"  --inject-dir N  tests: every Nth data-out command's CBW says data-in (QEMU's\n"
		"                usb-storage then stalls everything until a port reset: the\n"
		"                command fails -EIO, usbscsid asks for a port reset and stops)\n"
		"  --trace FILE  make bench-disk: add each request's times to FILE's counters\n"
		"                (bench/disktrace.h; FILE made beforehand)\n");
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "scheme", required_argument, NULL, 's' },
		{ "inject-stall", required_argument, NULL, 'j' },
		{ "inject-dir", required_argument, NULL, 'J' },
		{ "user", required_argument, NULL, 'u' },
		{ "trace", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	struct us_daemon_config cfg = { .max_handles = 4096 };
	struct us_daemon d;
	const char *port_path, *name_arg = NULL, *env, *user = NULL, *trace = NULL;
	int opt, err, want_iface = -1;
	unsigned int i, iface_for_name;
	struct io *io;

	the_dev.port_fd = the_dev.in_fd = the_dev.out_fd = -1;
	while ((opt = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (opt) {
		case 's':
			name_arg = optarg;
			break;
		case 'u':
			user = optarg;
			break;
		case 't':
			trace = optarg;
			break;
		case 'j':
			the_dev.inject_stall_every = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'J':
			the_dev.inject_dir_every = (unsigned int)strtoul(optarg, NULL, 10);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		usage(stderr);
		return 2;
	}
	port_path = argv[optind];
	if (trace && !(the_dev.trace = disktrace_open(trace)))
		logmsg("--trace %s: cannot map it (a regular file of at least %d bytes, writable): "
		       "not tracing", trace, DISKTRACE_SIZE);
	env = getenv("USB_INTERFACE");
	if (env && *env) {
		char *end;
		unsigned long v = strtoul(env, &end, 10);

		if (*end || v > 255) {
			fprintf(stderr, "%s: USB_INTERFACE=%s: not an interface number\n", prog, env);
			return 2;
		}
		want_iface = (int)v;
	}
	iface_for_name = want_iface > 0 ? (unsigned int)want_iface : 0;
	if (name_arg)
		snprintf(scheme_name, sizeof(scheme_name), "%s", name_arg);
	else if (disk_scheme_name(scheme_name, sizeof(scheme_name), port_path, iface_for_name)) {
		fprintf(stderr, "%s: %s: not a port path (usb.CONTROLLER:PORT)\n", prog, port_path);
		return 2;
	}
	env = getenv("USB_PORT_FD");
	if (env && *env) {
		char *end;
		long v = strtol(env, &end, 10);

		if (*end || v < 0 || v > 1 << 20 || fcntl((int)v, F_GETFD) < 0) {
			logmsg("USB_PORT_FD=%s: not an open fd", env);
			return 1;
		}
		the_dev.port_fd = (int)v;
		fcntl(the_dev.port_fd, F_SETFD, FD_CLOEXEC);
	} else {
		the_dev.port_fd = us_open(port_path, O_RDWR | O_CLOEXEC);
		if (the_dev.port_fd < 0) {
			logmsg("open %s: %s", port_path, strerror(-the_dev.port_fd));
			return 1;
		}
	}
	err = setup_port(port_path, want_iface);
	if (err)
		return 1;
	the_dev.nluns = get_max_lun() + 1;

	if (getenv(USCHEME_SCHEME))
		err = us_daemon_init_inherited(&d, NULL, &ops, NULL, &cfg);
	else
		err = us_daemon_init(&d, scheme_name, &ops, NULL, &cfg);
	if (err) {
		us_daemon_perror(prog, &d, err);
		if (err == -EPERM)
			logmsg("registering %s needs CAP_SYS_ADMIN, or a scheme ring set up for "
			       "us ($USCHEME_SCHEME): run usbscsid as root (--user UID drops to UID "
			       "once registered)", scheme_name);
		return 1;
	}
	snprintf(scheme_name, sizeof(scheme_name), "%s", d.name);
	if (user) {
		err = drop_to(user);
		if (err) {
			logmsg("--user %s: %s", user, strerror(-err));
			us_daemon_exit(&d);
			return 1;
		}
	}
	the_dev.d = &d;
	us_daemon_handle_signals(&d);
	err = us_daemon_reactor(&d, &the_dev.rx);
	if (err) {
		logmsg("client ring: %s", strerror(-err));
		us_daemon_exit(&d);
		return 1;
	}
	bot_init(&the_dev);
	err = us_daemon_watch(&d, the_dev.port_fd, USCHEME_EV_READ, on_port_event, NULL);
	if (err)
		logmsg("cannot watch the port handle (%s): a lost device is noticed at its next request",
		       strerror(-err));
	logmsg("serving %s interface %u (bulk %02x in, %02x out), %u LUN%s", port_path,
	       the_dev.iface, the_dev.in_addr, the_dev.out_addr, the_dev.nluns,
	       the_dev.nluns == 1 ? "" : "s");
	for (i = 0; i < the_dev.nluns && !the_dev.dead && !us_daemon_stopped(&d); i++)
		setup_lun((uint8_t)i);
	the_dev.ready = true;
	answer_pending_opens();
	if (!us_daemon_stopped(&d))
		err = us_daemon_run(&d);
	/* Stopped (SIGTERM, the device or xhcid gone): whatever is unanswered fails. */
	if (!the_dev.dead)
		dev_gone(&the_dev, -ENODEV);
	while ((io = ios))
		io_finish(io, the_dev.dead_err);	/* -ENODEV, or -EIO after a port reset */
	answer_pending_opens();
	us_daemon_flush(&d);
	logmsg("stopping: %llu Reset Recoveries, %llu STALLs%s", (unsigned long long)the_dev.recoveries,
	       (unsigned long long)the_dev.stalls,
	       us_daemon_signal() ? " (signal)" : the_dev.port_reset ? " (port reset)" :
	       the_dev.dead ? " (device gone)" : "");
	us_daemon_exit(&d);
	close(the_dev.in_fd);
	close(the_dev.out_fd);
	close(the_dev.port_fd);
	/* a port reset is planned: pcid need not restart us (it starts a new usbscsid) */
	return us_daemon_signal() || the_dev.port_reset ? 0 : 1;
}
