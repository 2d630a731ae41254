// SPDX-License-Identifier: MIT
/*
 * blkbridge's ublk frontend: /dev/ublkbN served through ublk_drv's
 * io_uring commands (URING_CMD, 128-byte SQEs; the command structures of
 * linux/ublk_cmd.h filled by hand: liburing 2.3 has no helpers for them).
 *
 *   control (/dev/ublk-control): ADD_DEV (one queue, queue depth N, 1 MiB
 *     per request), SET_PARAMS (size, block size, volatile cache + FUA,
 *     read-only; no discard parameters, so discard is refused), START_DEV,
 *     STOP_DEV, DEL_DEV (the legacy opcodes: Debian's 6.12 has them).
 *   per request (/dev/ublkcN): FETCH_REQ for every tag, then for each
 *     request the tag's descriptor (mmapped, read-only, read once) says
 *     what to do; the disk request goes through the client ring; the result
 *     goes back with COMMIT_AND_FETCH_REQ.
 *
 * START_DEV waits for every FETCH_REQ and then reads the partition table
 * through us, and STOP_DEV waits for in-flight requests: both run on a
 * control thread while the loop serves. The io_uring's completions reach
 * the loop through an eventfd (io_uring_register_eventfd) the ring watches.
 *
 * Lifecycle: SIGTERM -> STOP_DEV (in-flight requests finish, the disk is
 * deleted), the fetches are aborted, DEL_DEV. The bridge killed: its
 * io_uring goes, ublk_drv cancels the commands and removes the disk
 * (/dev/ublkbN goes; without UBLK_F_USER_RECOVERY nothing waits for a new
 * server). The disk's daemon dying: requests fail with EIO.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/ublk_cmd.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "blkbridge.h"

#define UBLK_CONTROL	"/dev/ublk-control"

struct utag {
	struct bb_io io;
	uint8_t *buf;
	uint16_t tag;
	bool active;		/* a FETCH or COMMIT_AND_FETCH is with the driver */
	bool fua;
	uint32_t len;
};

struct ublk {
	int ctrl_fd;
	struct io_uring ctrl;	/* control commands: one thread at a time */
	bool ctrl_ok;
	int cdev;
	struct io_uring ring;	/* the queue's commands: the loop's thread */
	bool ring_ok;
	int efd;		/* the ring's completions */
	int tfd;		/* the control thread finished */
	const struct ublksrv_io_desc *descs;
	size_t descs_len;
	uint32_t dev_id;
	bool added;
	unsigned int qd, active;
	struct utag *tags;
	pthread_t thr;
	bool thr_running;
	uint32_t thr_op;
	int thr_res;
	bool started, stopped;
};

static struct ublk *ublk_of(struct bb *b)
{
	return b->fe_priv;
}

static int ublk_probe(struct bb *b)
{
	struct stat st;

	(void)b;
	return stat(UBLK_CONTROL, &st) ? -ENODEV : 0;
}

/* One control command, waited for. Returns its result. */
static int ctrl_cmd(struct ublk *u, uint32_t op, void *addr, uint16_t len, uint64_t data0)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ctrl);
	struct io_uring_cqe *cqe;
	struct ublksrv_ctrl_cmd *c;
	int ret;

	if (!sqe)
		return -EBUSY;
	memset(sqe, 0, 128);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = u->ctrl_fd;
	sqe->cmd_op = op;
	c = (struct ublksrv_ctrl_cmd *)sqe->cmd;
	c->dev_id = u->dev_id;
	c->queue_id = (uint16_t)-1;
	c->addr = (uint64_t)(uintptr_t)addr;
	c->len = len;
	c->data[0] = data0;
	ret = io_uring_submit(&u->ctrl);
	if (ret < 0)
		return ret;
	do
		ret = io_uring_wait_cqe(&u->ctrl, &cqe);
	while (ret == -EINTR);
	if (ret < 0)
		return ret;
	ret = cqe->res;
	io_uring_cqe_seen(&u->ctrl, cqe);
	return ret;
}

static void *ctrl_thread(void *arg)
{
	struct bb *b = arg;
	struct ublk *u = ublk_of(b);
	uint64_t one = 1;

	u->thr_res = ctrl_cmd(u, u->thr_op, NULL, 0, u->thr_op == UBLK_CMD_START_DEV ?
			      (uint64_t)getpid() : 0);
	if (write(u->tfd, &one, sizeof(one)) != sizeof(one))
		u->thr_res = u->thr_res ? u->thr_res : -EIO;
	return NULL;
}

static int ctrl_async(struct bb *b, uint32_t op)
{
	struct ublk *u = ublk_of(b);
	int err;

	u->thr_op = op;
	err = pthread_create(&u->thr, NULL, ctrl_thread, b);
	if (err)
		return -err;
	u->thr_running = true;
	return 0;
}

/* FETCH_REQ (result < 0 unused) or COMMIT_AND_FETCH_REQ for tag t. */
static int queue_cmd(struct bb *b, struct utag *t, uint32_t op, int32_t result)
{
	struct ublk *u = ublk_of(b);
	struct io_uring_sqe *sqe = io_uring_get_sqe(&u->ring);
	struct ublksrv_io_cmd *c;

	if (!sqe) {
		io_uring_submit(&u->ring);
		sqe = io_uring_get_sqe(&u->ring);
		if (!sqe)
			return -EBUSY;
	}
	memset(sqe, 0, 128);
	sqe->opcode = IORING_OP_URING_CMD;
	sqe->fd = u->cdev;
	sqe->cmd_op = op;
	sqe->user_data = t->tag;
	c = (struct ublksrv_io_cmd *)sqe->cmd;
	c->q_id = 0;
	c->tag = t->tag;
	c->result = result;
	c->addr = (uint64_t)(uintptr_t)t->buf;
	if (!t->active) {
		t->active = true;
		u->active++;
	}
	return 0;
}

static void commit(struct bb *b, struct utag *t, int32_t result)
{
	struct ublk *u = ublk_of(b);
	int err;

	if (u->stopped && !t->active)
		return;
	err = queue_cmd(b, t, UBLK_IO_COMMIT_AND_FETCH_REQ, result);
	if (!err)
		err = io_uring_submit(&u->ring) < 0 ? -EIO : 0;
	if (err)
		bb_log(b, "/dev/%s: tag %u: COMMIT_AND_FETCH_REQ: %s", b->devname, t->tag,
		       strerror(-err));
}

static void fua_done(struct bb *b, struct bb_io *io, int res)
{
	struct utag *t = io->owner;

	commit(b, t, res < 0 ? -EIO : (int32_t)t->len);
}

static void io_done(struct bb *b, struct bb_io *io, int res)
{
	struct utag *t = io->owner;

	if (res >= 0 && io->kind != BB_FSYNC && (uint32_t)res != io->len)
		res = -EIO;	/* short: the disk is smaller than it said */
	if (res >= 0 && t->fua) {
		t->fua = false;
		memset(io, 0, sizeof(*io));
		io->kind = BB_FSYNC;
		io->done = fua_done;
		io->owner = t;
		bb_submit(b, io);
		return;
	}
	if (res < 0)
		res = res == -EROFS || res == -ENOSPC || res == -EINVAL ? res : -EIO;
	else if (io->kind == BB_FSYNC)
		res = 0;
	commit(b, t, res);
}

/* A request came for tag t: its descriptor says which. */
static void request(struct bb *b, struct utag *t)
{
	struct ublk *u = ublk_of(b);
	struct ublksrv_io_desc d;
	uint64_t off, len;
	uint32_t op;

	memcpy(&d, (const void *)&u->descs[t->tag], sizeof(d));	/* read once */
	op = d.op_flags & 0xff;
	off = d.start_sector << 9;
	len = (uint64_t)d.nr_sectors << 9;
	memset(&t->io, 0, sizeof(t->io));
	t->io.owner = t;
	t->io.done = io_done;
	t->fua = false;
	switch (op) {
	case UBLK_IO_OP_READ:
	case UBLK_IO_OP_WRITE:
		if (len > USCHEME_IO_MAX || off % b->bs || len % b->bs || off > b->size ||
		    len > b->size - off) {
			commit(b, t, -EINVAL);
			return;
		}
		if (!bb_disk_ok(b)) {
			commit(b, t, -EIO);
			return;
		}
		if (!len) {
			commit(b, t, 0);
			return;
		}
		t->len = (uint32_t)len;
		t->io.kind = op == UBLK_IO_OP_READ ? BB_READ : BB_WRITE;
		t->io.buf = t->buf;
		t->io.len = (uint32_t)len;
		t->io.off = off;
		t->fua = op == UBLK_IO_OP_WRITE && ((d.op_flags >> 8) & (UBLK_IO_F_FUA >> 8));
		bb_submit(b, &t->io);
		return;
	case UBLK_IO_OP_FLUSH:
		if (!bb_disk_ok(b)) {
			commit(b, t, -EIO);
			return;
		}
		t->io.kind = BB_FSYNC;
		bb_submit(b, &t->io);
		return;
	default:	/* DISCARD, WRITE_ZEROES, ...: never advertised */
		commit(b, t, -EOPNOTSUPP);
		return;
	}
}

static void maybe_finish(struct bb *b)
{
	struct ublk *u = ublk_of(b);

	if (u->stopped && !u->thr_running && !u->active)
		bb_finish(b, b->stopping ? 0 : 1);
}

static void on_ring(struct bb *b, int fd, int events, void *ctx)
{
	struct ublk *u = ublk_of(b);
	struct io_uring_cqe *cqe;
	uint64_t v;

	(void)ctx;
	if (events < 0)
		return;
	if (read(fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	while (!io_uring_peek_cqe(&u->ring, &cqe)) {
		uint64_t tag = cqe->user_data;
		int res = cqe->res;

		io_uring_cqe_seen(&u->ring, cqe);
		if (tag >= u->qd) {
			bb_log(b, "/dev/%s: a completion for tag %llu (queue depth %u)",
			       b->devname, (unsigned long long)tag, u->qd);
			continue;
		}
		struct utag *t = &u->tags[tag];

		if (res == UBLK_IO_RES_OK && !u->stopped) {
			request(b, t);
			continue;
		}
		/* Aborted (the device is stopping or gone), or refused. */
		if (t->active) {
			t->active = false;
			u->active--;
		}
		if (res != UBLK_IO_RES_ABORT && res != UBLK_IO_RES_OK && !b->stopping)
			bb_log(b, "/dev/%s: tag %u: %s", b->devname, t->tag, strerror(-res));
		if (!b->stopping && !u->stopped) {
			/* The driver gave up on us (a queue abort): the device goes. */
			u->stopped = true;
		}
	}
	maybe_finish(b);
}

static void on_ctrl(struct bb *b, int fd, int events, void *ctx)
{
	struct ublk *u = ublk_of(b);
	uint64_t v;

	(void)ctx;
	if (events < 0 || read(fd, &v, sizeof(v)) != sizeof(v) || !u->thr_running)
		return;
	pthread_join(u->thr, NULL);
	u->thr_running = false;
	if (u->thr_op == UBLK_CMD_START_DEV) {
		if (u->thr_res < 0) {
			bb_log(b, "/dev/ublkc%u: START_DEV: %s", u->dev_id, strerror(-u->thr_res));
			u->stopped = true;
			bb_finish(b, 1);
			return;
		}
		u->started = true;
		bb_ready(b);
		if (b->stopping)	/* SIGTERM while starting */
			b->fe->stop(b);
		return;
	}
	/* STOP_DEV done: the disk is gone; the fetches were aborted. */
	if (u->thr_res < 0)
		bb_log(b, "/dev/%s: STOP_DEV: %s", b->devname, strerror(-u->thr_res));
	u->stopped = true;
	maybe_finish(b);
	if (!b->done && u->active) {
		/* Fetches still out: cleanup closes the ring, which cancels them. */
		bb_finish(b, 0);
	}
}

/*
 * Devices left by a bridge that died (its disk is gone, the control side
 * stays until a DEL_DEV): delete them, so that device numbers are reused.
 * Such a device is DEAD with no server (pid -1) and its char device is
 * not open; a bridge setting one up holds /dev/ublkcN open from just after
 * its ADD_DEV (ublk_drv lets one opener in: EBUSY for the others).
 */
static void reap_dead(struct bb *b, struct ublk *u)
{
	struct ublksrv_ctrl_dev_info info;
	char path[64];
	struct stat st;
	uint32_t id;
	int err, fd;

	for (id = 0; id < 64; id++) {
		snprintf(path, sizeof(path), "/dev/ublkc%u", id);
		if (stat(path, &st))
			continue;
		memset(&info, 0, sizeof(info));
		u->dev_id = id;
		err = ctrl_cmd(u, UBLK_CMD_GET_DEV_INFO, &info, sizeof(info), 0);
		if (err < 0 || info.state != UBLK_S_DEV_DEAD || info.ublksrv_pid > 0)
			continue;
		fd = open(path, O_RDWR | O_CLOEXEC);
		if (fd < 0)
			continue;	/* EBUSY: someone is setting it up */
		close(fd);
		err = ctrl_cmd(u, UBLK_CMD_DEL_DEV, NULL, 0, 0);
		if (b->verbose || err < 0)
			bb_log(b, "%s: no disk and no server: deleted%s%s", path,
			       err < 0 ? ": " : "", err < 0 ? strerror(-err) : "");
	}
}

static int ublk_start(struct bb *b)
{
	struct ublk *u = calloc(1, sizeof(*u));
	struct ublksrv_ctrl_dev_info info;
	struct ublk_params p;
	char path[64];
	unsigned int i, shift;
	int err;

	if (!u)
		return -ENOMEM;
	b->fe_priv = u;
	u->ctrl_fd = u->cdev = u->efd = u->tfd = -1;
	u->qd = b->queue_depth;
	u->ctrl_fd = open(UBLK_CONTROL, O_RDWR | O_CLOEXEC);
	if (u->ctrl_fd < 0) {
		err = -errno;
		bb_log(b, UBLK_CONTROL ": %s", strerror(errno));
		return err;
	}
	err = io_uring_queue_init(4, &u->ctrl, IORING_SETUP_SQE128);
	if (err) {
		bb_log(b, "io_uring (128-byte SQEs): %s", strerror(-err));
		return err;
	}
	u->ctrl_ok = true;
	reap_dead(b, u);

	memset(&info, 0, sizeof(info));
	info.nr_hw_queues = 1;
	info.queue_depth = (uint16_t)u->qd;
	info.max_io_buf_bytes = USCHEME_IO_MAX;
	info.dev_id = b->want_dev >= 0 ? (uint32_t)b->want_dev : (uint32_t)-1;
	u->dev_id = info.dev_id;
	err = ctrl_cmd(u, UBLK_CMD_ADD_DEV, &info, sizeof(info), 0);
	if (err < 0) {
		bb_log(b, "ublk ADD_DEV: %s", strerror(-err));
		return err;
	}
	u->added = true;
	u->dev_id = info.dev_id;
	if (info.queue_depth < u->qd)
		u->qd = info.queue_depth;
	snprintf(b->devname, sizeof(b->devname), "ublkb%u", u->dev_id);

	for (shift = 9; (1U << shift) < b->bs; shift++)
		;
	memset(&p, 0, sizeof(p));
	p.len = sizeof(p);
	p.types = UBLK_PARAM_TYPE_BASIC;
	p.basic.attrs = UBLK_ATTR_VOLATILE_CACHE | UBLK_ATTR_FUA | (b->ro ? UBLK_ATTR_READ_ONLY : 0);
	p.basic.logical_bs_shift = (uint8_t)shift;
	p.basic.physical_bs_shift = (uint8_t)shift;
	p.basic.io_min_shift = (uint8_t)shift;
	p.basic.io_opt_shift = (uint8_t)shift;
	p.basic.max_sectors = USCHEME_IO_MAX >> 9;
	p.basic.dev_sectors = b->size >> 9;
	err = ctrl_cmd(u, UBLK_CMD_SET_PARAMS, &p, sizeof(p), 0);
	if (err < 0) {
		bb_log(b, "/dev/ublkc%u: SET_PARAMS: %s", u->dev_id, strerror(-err));
		return err;
	}

	snprintf(path, sizeof(path), "/dev/ublkc%u", u->dev_id);
	for (i = 0; i < 200 && u->cdev < 0; i++) {
		u->cdev = open(path, O_RDWR | O_CLOEXEC);
		if (u->cdev < 0 && errno == ENOENT)
			usleep(10000);
		else
			break;
	}
	if (u->cdev < 0) {
		err = -errno;
		bb_log(b, "%s: %s", path, strerror(errno));
		return err;
	}
	u->descs_len = ((size_t)u->qd * sizeof(struct ublksrv_io_desc) + 4095) & ~(size_t)4095;
	u->descs = mmap(NULL, u->descs_len, PROT_READ, MAP_SHARED | MAP_POPULATE, u->cdev,
			UBLKSRV_CMD_BUF_OFFSET);
	if (u->descs == MAP_FAILED) {
		u->descs = NULL;
		err = -errno;
		bb_log(b, "%s: mmap: %s", path, strerror(errno));
		return err;
	}
	err = io_uring_queue_init(u->qd * 2, &u->ring, IORING_SETUP_SQE128);
	if (err) {
		bb_log(b, "io_uring: %s", strerror(-err));
		return err;
	}
	u->ring_ok = true;
	u->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	u->tfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (u->efd < 0 || u->tfd < 0) {
		err = -errno;
		bb_log(b, "eventfd: %s", strerror(errno));
		return err;
	}
	err = io_uring_register_eventfd(&u->ring, u->efd);
	if (!err)
		err = bb_watch(b, u->efd, USCHEME_EV_READ, on_ring, NULL);
	if (!err)
		err = bb_watch(b, u->tfd, USCHEME_EV_READ, on_ctrl, NULL);
	if (err) {
		bb_log(b, "watching the io_uring: %s", strerror(-err));
		return err;
	}
	u->tags = calloc(u->qd, sizeof(*u->tags));
	if (!u->tags)
		return -ENOMEM;
	for (i = 0; i < u->qd; i++) {
		u->tags[i].tag = (uint16_t)i;
		u->tags[i].buf = aligned_alloc(4096, USCHEME_IO_MAX);
		if (!u->tags[i].buf)
			return -ENOMEM;
		err = queue_cmd(b, &u->tags[i], UBLK_IO_FETCH_REQ, -1);
		if (err)
			return err;
	}
	err = io_uring_submit(&u->ring);
	if (err < 0) {
		bb_log(b, "/dev/ublkc%u: FETCH_REQ: %s", u->dev_id, strerror(-err));
		return err;
	}
	/* START_DEV returns once the disk is added, which reads through us. */
	err = ctrl_async(b, UBLK_CMD_START_DEV);
	if (err) {
		bb_log(b, "pthread_create: %s", strerror(-err));
		return err;
	}
	b->ready_later = true;
	return 0;
}

static void ublk_stop(struct bb *b)
{
	struct ublk *u = ublk_of(b);

	if (!u->started || u->thr_running || u->stopped)
		return;	/* starting: on_ctrl stops it once started */
	if (ctrl_async(b, UBLK_CMD_STOP_DEV)) {
		bb_log(b, "/dev/%s: cannot start STOP_DEV", b->devname);
		u->stopped = true;
		bb_finish(b, 1);
	}
}

static void ublk_cleanup(struct bb *b)
{
	struct ublk *u = ublk_of(b);
	unsigned int i;
	int err;

	if (!u)
		return;
	if (u->ring_ok)
		io_uring_queue_exit(&u->ring);	/* cancels the commands still out */
	if (u->thr_running)
		pthread_join(u->thr, NULL);
	if (u->descs)
		munmap((void *)u->descs, u->descs_len);
	if (u->cdev >= 0)
		close(u->cdev);
	if (u->added && u->ctrl_ok) {
		/* Stops the disk if it still runs; returns once the device is freed. */
		err = ctrl_cmd(u, UBLK_CMD_DEL_DEV, NULL, 0, 0);
		if (err < 0)
			bb_log(b, "/dev/ublkc%u: DEL_DEV: %s", u->dev_id, strerror(-err));
	}
	if (u->ctrl_ok)
		io_uring_queue_exit(&u->ctrl);
	if (u->ctrl_fd >= 0)
		close(u->ctrl_fd);
	if (u->efd >= 0)
		close(u->efd);
	if (u->tfd >= 0)
		close(u->tfd);
	if (u->tags)
		for (i = 0; i < u->qd; i++)
			free(u->tags[i].buf);
	free(u->tags);
	free(u);
	b->fe_priv = NULL;
}

const struct bb_frontend bb_ublk = {
	.name = "ublk",
	.probe = ublk_probe,
	.start = ublk_start,
	.stop = ublk_stop,
	.cleanup = ublk_cleanup,
};
