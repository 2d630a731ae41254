// SPDX-License-Identifier: MIT
/*
 * blkbridge's NBD frontend: /dev/nbdN over a local socket pair, set up with
 * the nbd driver's ioctls (NBD_SET_SOCK, NBD_SET_BLKSIZE,
 * NBD_SET_SIZE_BLOCKS, NBD_SET_FLAGS), no nbd-client and no network. A
 * thread sits in NBD_DO_IT for the device's lifetime; the loop reads the
 * kernel's requests from our end of the pair (edge-triggered readiness from
 * the ring), turns each into disk requests of at most USCHEME_IO_MAX bytes,
 * all in flight at once, and writes each reply when its parts are done.
 *
 * Flush -> FSYNC; a write with FUA -> the write, then FSYNC, then the reply.
 * Discard is never advertised (no NBD_FLAG_SEND_TRIM: the block layer
 * refuses it with EOPNOTSUPP); a TRIM or WRITE_ZEROES that comes anyway is
 * answered EOPNOTSUPP.
 *
 * Lifecycle: stop (SIGTERM) asks the driver to disconnect (NBD_DISCONNECT:
 * it sends NBD_CMD_DISC after what it queued); when DISC came and every
 * request has its answer, our end is shut down and NBD_DO_IT returns: the
 * device is empty again (size 0, no /sys/block/nbdN/pid). If we are killed,
 * our end closes and the driver tears the device down the same way. If the
 * disk's daemon dies, its requests fail and the kernel's get EIO.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <endian.h>
#include <linux/nbd.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "blkbridge.h"

#define NBD_HDR		28	/* struct nbd_request, packed */
#define NBD_LEN_MAX	(64U << 20)
#ifndef NBD_CMD_WRITE_ZEROES
#define NBD_CMD_WRITE_ZEROES 6
#endif

struct nreq {
	struct nbd *n;
	char handle[8];
	uint32_t cmd, flags;
	uint64_t from;
	uint32_t len;
	uint8_t *buf;
	unsigned int nparts, pending;
	int err;
	bool fua;
	struct bb_io io[];
};

struct nbd {
	int fd;			/* /dev/nbdN */
	int sock;		/* our end */
	int efd;		/* the NBD_DO_IT thread ended */
	int ep;			/* epoll of sock: the ring watches no AF_UNIX socket itself */
	pthread_t thr;
	bool thr_running;
	int doit_err;
	uint8_t hdr[NBD_HDR];
	size_t hdr_got;
	struct nreq *cur;	/* a WRITE whose payload is being read */
	size_t pay_got;
	unsigned int outstanding;
	bool disc, eof, shut, sock_dead;
};

static struct nbd *nbd_of(struct bb *b)
{
	return b->fe_priv;
}

static int nbd_probe(struct bb *b)
{
	struct stat st;

	(void)b;
	if (!stat("/dev/nbd0", &st) || !stat("/sys/module/nbd", &st))
		return 0;
	return -ENODEV;
}

static void *doit_thread(void *arg)
{
	struct nbd *n = arg;
	uint64_t one = 1;

	if (ioctl(n->fd, NBD_DO_IT) < 0)
		n->doit_err = errno;
	if (write(n->efd, &one, sizeof(one)) != sizeof(one))
		n->doit_err = n->doit_err ? n->doit_err : errno;
	return NULL;
}

static void maybe_shut(struct bb *b)
{
	struct nbd *n = nbd_of(b);

	if (n->shut || n->outstanding || !(n->disc || n->eof || n->sock_dead))
		return;
	n->shut = true;
	shutdown(n->sock, SHUT_RDWR);
}

static void send_reply(struct bb *b, struct nreq *r, int err)
{
	struct nbd *n = nbd_of(b);
	uint8_t hdr[16];
	uint32_t v;
	struct iovec iov[2];
	struct msghdr msg;
	size_t total, sent = 0;
	ssize_t w;

	v = htobe32(NBD_REPLY_MAGIC);
	memcpy(hdr, &v, 4);
	v = htobe32((uint32_t)err);
	memcpy(hdr + 4, &v, 4);
	memcpy(hdr + 8, r->handle, 8);
	total = sizeof(hdr) + (r->cmd == NBD_CMD_READ && !err ? r->len : 0);
	while (!n->sock_dead && sent < total) {
		memset(&msg, 0, sizeof(msg));
		if (sent < sizeof(hdr)) {
			iov[0].iov_base = hdr + sent;
			iov[0].iov_len = sizeof(hdr) - sent;
			iov[1].iov_base = r->buf;
			iov[1].iov_len = total - sizeof(hdr);
			msg.msg_iovlen = iov[1].iov_len ? 2 : 1;
		} else {
			iov[0].iov_base = r->buf + (sent - sizeof(hdr));
			iov[0].iov_len = total - sent;
			msg.msg_iovlen = 1;
		}
		msg.msg_iov = iov;
		w = sendmsg(n->sock, &msg, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			if (!n->shut)
				bb_log(b, "/dev/%s: reply: %s", b->devname,
				       w < 0 ? strerror(errno) : "closed");
			n->sock_dead = true;
			break;
		}
		sent += (size_t)w;
	}
}

static void req_free(struct nreq *r)
{
	free(r->buf);
	free(r);
}

static void req_end(struct bb *b, struct nreq *r, int err)
{
	struct nbd *n = nbd_of(b);

	send_reply(b, r, err);
	req_free(r);
	n->outstanding--;
	maybe_shut(b);
}

static void fua_done(struct bb *b, struct bb_io *io, int res)
{
	struct nreq *r = io->owner;

	req_end(b, r, res < 0 ? EIO : 0);
}

static void part_done(struct bb *b, struct bb_io *io, int res)
{
	struct nreq *r = io->owner;

	if (res < 0)
		r->err = res == -EROFS ? EROFS : res == -ENOSPC ? ENOSPC : EIO;
	else if (io->kind != BB_FSYNC && (uint32_t)res != io->len)
		r->err = EIO;	/* short: the disk is smaller than it said */
	if (--r->pending)
		return;
	if (!r->err && r->fua) {
		/* FUA: the write is done; make it durable before answering. */
		r->fua = false;
		io = &r->io[0];
		memset(io, 0, sizeof(*io));
		io->kind = BB_FSYNC;
		io->done = fua_done;
		io->owner = r;
		bb_submit(b, io);
		return;
	}
	req_end(b, r, r->err);
}

static void req_start(struct bb *b, struct nreq *r)
{
	uint32_t i, chunk;

	if (r->cmd == NBD_CMD_FLUSH) {
		r->nparts = r->pending = 1;
		r->io[0].kind = BB_FSYNC;
		r->io[0].done = part_done;
		r->io[0].owner = r;
		bb_submit(b, &r->io[0]);
		return;
	}
	for (i = 0; i < r->nparts; i++) {
		struct bb_io *io = &r->io[i];

		chunk = r->len - i * USCHEME_IO_MAX;
		if (chunk > USCHEME_IO_MAX)
			chunk = USCHEME_IO_MAX;
		io->kind = r->cmd == NBD_CMD_READ ? BB_READ : BB_WRITE;
		io->buf = r->buf + (size_t)i * USCHEME_IO_MAX;
		io->len = chunk;
		io->off = r->from + (uint64_t)i * USCHEME_IO_MAX;
		io->done = part_done;
		io->owner = r;
	}
	r->pending = r->nparts;
	for (i = 0; i < r->nparts; i++)
		bb_submit(b, &r->io[i]);
}

/* A request's header is in: answer it, start it, or wait for its payload. 0, or -1: give up. */
static int req_header(struct bb *b)
{
	struct nbd *n = nbd_of(b);
	uint32_t magic, type, len;
	uint64_t from;
	struct nreq *r;
	unsigned int nparts = 1;
	int err = 0;

	memcpy(&magic, n->hdr, 4);
	memcpy(&type, n->hdr + 4, 4);
	memcpy(&from, n->hdr + 16, 8);
	memcpy(&len, n->hdr + 24, 4);
	magic = be32toh(magic);
	type = be32toh(type);
	from = be64toh(from);
	len = be32toh(len);
	if (magic != NBD_REQUEST_MAGIC) {
		bb_log(b, "/dev/%s: bad request magic 0x%08x: closing", b->devname, magic);
		return -1;
	}
	if ((type & 0xffff) == NBD_CMD_DISC) {
		if (b->verbose)
			bb_log(b, "/dev/%s: disconnect requested", b->devname);
		n->disc = true;
		maybe_shut(b);
		return 0;
	}
	if ((type & 0xffff) == NBD_CMD_WRITE && len > NBD_LEN_MAX) {
		bb_log(b, "/dev/%s: a %u-byte write: closing", b->devname, len);
		return -1;
	}
	if ((type & 0xffff) == NBD_CMD_READ || (type & 0xffff) == NBD_CMD_WRITE)
		nparts = len ? (len + USCHEME_IO_MAX - 1) / USCHEME_IO_MAX : 1;
	r = calloc(1, sizeof(*r) + nparts * sizeof(struct bb_io));
	if (!r) {
		bb_log(b, "out of memory: closing /dev/%s", b->devname);
		return -1;
	}
	r->n = n;
	memcpy(r->handle, n->hdr + 8, 8);
	r->cmd = type & 0xffff;
	r->flags = type >> 16;
	r->from = from;
	r->len = len;
	r->nparts = nparts;
	r->fua = (r->flags & (NBD_CMD_FLAG_FUA >> 16)) && r->cmd == NBD_CMD_WRITE;
	n->outstanding++;
	switch (r->cmd) {
	case NBD_CMD_READ:
	case NBD_CMD_WRITE:
		if (len > NBD_LEN_MAX || from % b->bs || len % b->bs || from > b->size ||
		    len > b->size - from)
			err = EINVAL;
		else if (r->cmd == NBD_CMD_WRITE && b->ro)
			err = EROFS;
		else if (!bb_disk_ok(b))
			err = EIO;
		/* A bad WRITE's payload is still read (and dropped). */
		if ((!err || r->cmd == NBD_CMD_WRITE) && len) {
			r->buf = malloc(len);
			if (!r->buf) {
				req_free(r);
				n->outstanding--;
				bb_log(b, "out of memory: closing /dev/%s", b->devname);
				return -1;
			}
		}
		r->err = err;
		if (r->cmd == NBD_CMD_WRITE && len) {
			n->cur = r;
			n->pay_got = 0;
			return 0;
		}
		break;
	case NBD_CMD_FLUSH:
		if (!bb_disk_ok(b))
			r->err = EIO;
		break;
	default:	/* TRIM, WRITE_ZEROES, and what we never advertised */
		r->err = EOPNOTSUPP;
		break;
	}
	if (r->err || !len) {
		if (r->cmd == NBD_CMD_FLUSH && !r->err) {
			req_start(b, r);
			return 0;
		}
		req_end(b, r, r->err);
		return 0;
	}
	req_start(b, r);
	return 0;
}

static void read_requests(struct bb *b)
{
	struct nbd *n = nbd_of(b);
	ssize_t got;

	while (!n->eof && !n->shut && !n->sock_dead) {
		if (n->cur) {
			struct nreq *r = n->cur;

			got = recv(n->sock, r->buf + n->pay_got, r->len - n->pay_got, MSG_DONTWAIT);
		} else {
			got = recv(n->sock, n->hdr + n->hdr_got, NBD_HDR - n->hdr_got, MSG_DONTWAIT);
		}
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (got <= 0) {
			if (got < 0)
				bb_log(b, "/dev/%s: %s", b->devname, strerror(errno));
			n->eof = true;
			maybe_shut(b);
			return;
		}
		if (n->cur) {
			n->pay_got += (size_t)got;
			if (n->pay_got == n->cur->len) {
				struct nreq *r = n->cur;

				n->cur = NULL;
				if (r->err)
					req_end(b, r, r->err);
				else
					req_start(b, r);
			}
			continue;
		}
		n->hdr_got += (size_t)got;
		if (n->hdr_got < NBD_HDR)
			continue;
		n->hdr_got = 0;
		if (req_header(b)) {
			n->sock_dead = true;
			shutdown(n->sock, SHUT_RDWR);
			return;
		}
	}
}

static void on_sock(struct bb *b, int fd, int events, void *ctx)
{
	struct epoll_event ev[4];

	(void)ctx;
	if (events < 0)
		return;
	/* Edge-triggered: drain the epoll's readiness, then the socket. */
	while (epoll_wait(fd, ev, 4, 0) > 0)
		;
	read_requests(b);
}

static void on_doit(struct bb *b, int fd, int events, void *ctx)
{
	struct nbd *n = nbd_of(b);
	uint64_t v;

	(void)ctx;
	if (events < 0 || read(fd, &v, sizeof(v)) != sizeof(v) || !n->thr_running)
		return;
	pthread_join(n->thr, NULL);
	n->thr_running = false;
	if (n->doit_err && !b->stopping)
		bb_log(b, "/dev/%s: NBD_DO_IT: %s", b->devname, strerror(n->doit_err));
	else if (!b->stopping)
		bb_log(b, "/dev/%s: disconnected by the kernel", b->devname);
	n->sock_dead = true;	/* late answers go nowhere */
	bb_finish(b, b->stopping ? 0 : 1);
}

static int nbd_start(struct bb *b)
{
	struct nbd *n = calloc(1, sizeof(*n));
	int sv[2] = { -1, -1 }, i, first, last, err = -ENODEV;
	char path[128];
	struct stat st;

	if (!n)
		return -ENOMEM;
	n->fd = n->sock = n->efd = n->ep = -1;
	b->fe_priv = n;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv)) {
		err = -errno;
		bb_log(b, "socketpair: %s", strerror(errno));
		return err;
	}
	n->sock = sv[1];
	first = b->want_dev >= 0 ? b->want_dev : 0;
	last = b->want_dev >= 0 ? b->want_dev : 1023;
	for (i = first; i <= last; i++) {
		snprintf(path, sizeof(path), "/dev/nbd%d", i);
		if (stat(path, &st))
			break;
		snprintf(path, sizeof(path), "/sys/block/nbd%d/pid", i);
		if (!stat(path, &st)) {
			err = -EBUSY;
			continue;	/* in use */
		}
		snprintf(path, sizeof(path), "/dev/nbd%d", i);
		n->fd = open(path, O_RDWR | O_CLOEXEC);
		if (n->fd < 0) {
			err = -errno;
			continue;
		}
		/* Claims the device (the driver remembers who set it up): EBUSY if taken. */
		if (!ioctl(n->fd, NBD_SET_SOCK, (unsigned long)sv[0]))
			break;
		err = -errno;
		close(n->fd);
		n->fd = -1;
	}
	close(sv[0]);
	if (n->fd < 0) {
		if (b->want_dev >= 0)
			bb_log(b, "/dev/nbd%d: %s", b->want_dev, strerror(-err));
		else
			bb_log(b, "no free /dev/nbdN (%s)", strerror(-err));
		return err;
	}
	snprintf(b->devname, sizeof(b->devname), "nbd%d", i);
	if (ioctl(n->fd, NBD_SET_BLKSIZE, (unsigned long)b->bs) ||
	    ioctl(n->fd, NBD_SET_SIZE_BLOCKS, (unsigned long)(b->size / b->bs)) ||
	    ioctl(n->fd, NBD_SET_FLAGS, (unsigned long)(NBD_FLAG_HAS_FLAGS | NBD_FLAG_SEND_FLUSH |
							NBD_FLAG_SEND_FUA |
							(b->ro ? NBD_FLAG_READ_ONLY : 0)))) {
		err = -errno;
		bb_log(b, "/dev/%s: setting it up: %s", b->devname, strerror(errno));
		ioctl(n->fd, NBD_CLEAR_SOCK);
		return err;
	}
	n->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	n->ep = epoll_create1(EPOLL_CLOEXEC);
	if (n->ep >= 0) {
		struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLET };

		if (epoll_ctl(n->ep, EPOLL_CTL_ADD, n->sock, &ev)) {
			close(n->ep);
			n->ep = -1;
		}
	}
	if (n->efd < 0 || n->ep < 0 || bb_watch(b, n->efd, USCHEME_EV_READ, on_doit, NULL) ||
	    bb_watch(b, n->ep, USCHEME_EV_READ, on_sock, NULL)) {
		err = n->efd < 0 || n->ep < 0 ? -errno : -ENOMEM;
		bb_log(b, "/dev/%s: watching its fds: %s", b->devname, strerror(-err));
		ioctl(n->fd, NBD_CLEAR_SOCK);
		return err;
	}
	err = pthread_create(&n->thr, NULL, doit_thread, n);
	if (err) {
		bb_log(b, "pthread_create: %s", strerror(err));
		ioctl(n->fd, NBD_CLEAR_SOCK);
		return -err;
	}
	n->thr_running = true;
	/*
	 * NBD_DO_IT applies size and block size (on 6.12; 6.1 at the ioctls):
	 * the device is ready once its size shows. It issues no I/O first.
	 */
	for (i = 0; i < 1000; i++) {
		unsigned long long sectors = 0;
		FILE *f;

		snprintf(path, sizeof(path), "/sys/block/%s/size", b->devname);
		f = fopen(path, "re");
		if (f) {
			if (fscanf(f, "%llu", &sectors) != 1)
				sectors = 0;
			fclose(f);
		}
		if (sectors == b->size / 512 && !stat(path, &st)) {
			snprintf(path, sizeof(path), "/sys/block/%s/pid", b->devname);
			if (!stat(path, &st))
				return 0;
		}
		if (!n->thr_running)
			break;
		usleep(10000);
	}
	bb_log(b, "/dev/%s did not come up (NBD_DO_IT: %s)", b->devname,
	       n->doit_err ? strerror(n->doit_err) : "still waiting");
	return -EIO;
}

static void nbd_stop(struct bb *b)
{
	struct nbd *n = nbd_of(b);

	/*
	 * The driver sends NBD_CMD_DISC after the requests it queued; we shut
	 * our end once it came and everything has its answer. If the ioctl
	 * fails, shut as soon as nothing is outstanding.
	 */
	if (ioctl(n->fd, NBD_DISCONNECT)) {
		bb_log(b, "/dev/%s: NBD_DISCONNECT: %s", b->devname, strerror(errno));
		n->disc = true;
	}
	maybe_shut(b);
}

static void nbd_cleanup(struct bb *b)
{
	struct nbd *n = nbd_of(b);

	if (!n)
		return;
	if (n->thr_running) {
		shutdown(n->sock, SHUT_RDWR);
		pthread_join(n->thr, NULL);
	}
	if (n->cur)
		req_free(n->cur);
	if (n->fd >= 0)
		close(n->fd);
	if (n->sock >= 0)
		close(n->sock);
	if (n->efd >= 0)
		close(n->efd);
	if (n->ep >= 0)
		close(n->ep);
	free(n);
	b->fe_priv = NULL;
}

const struct bb_frontend bb_nbd = {
	.name = "nbd",
	.probe = nbd_probe,
	.start = nbd_start,
	.stop = nbd_stop,
	.cleanup = nbd_cleanup,
};
