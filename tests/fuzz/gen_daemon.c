// SPDX-License-Identifier: MIT
/*
 * Families "daemon" and "kerrno": the fuzzing daemon. It serves fz->scheme
 * on a raw scheme ring and answers every request at random: at once, late,
 * never, twice; with the right tag, a stale one, a random one; results in
 * range and out of it (-4096, INT32_MIN, len + 1, and with "kerrno" the
 * kernel-internal -512..-529); flags 0, random, USCHEME_CQE_F_FD with fds
 * of every kind, USCHEME_CQE_F_EVENT with random ids and masks. It checks
 * what the kernel gives it (fuzz.h) and, now and then, scribbles its own
 * ring header and then resynchronizes. fuzz.c kills and restarts it.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"

#define HELD_MAX	256

struct held {
	uint64_t tag, due_ns;
	struct uscheme_req rq;
};

struct fzd {
	int fd;
	struct uscheme_ring_hdr *hdr;
	const struct uscheme_req *reqs;
	struct uscheme_cqe *resp;
	unsigned char *data;
	size_t data_size;
	uint32_t sq_entries, cq_entries, sq_head, resp_tail, unsent;
	struct held held[HELD_MAX];
	unsigned int nheld;
	uint64_t stale[32];
	int fds[8];
	struct fz_rng r;
};

static void d_enter(struct fzd *d, uint32_t min, int64_t timeout_ns)
{
	struct uscheme_enter e;

	memset(&e, 0, sizeof(e));
	e.to_submit = d->unsent;
	e.min_complete = min;
	if (min)
		e.flags = USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT;
	e.timeout_ns = timeout_ns;
	if (ioctl(d->fd, USCHEME_IOC_ENTER, &e))
		fz_check_res(FAM_DAEMON, -errno, "daemon ENTER");
	d->unsent -= e.submitted < d->unsent ? e.submitted : d->unsent;
}

static void d_answer(struct fzd *d, uint64_t tag, int32_t res, uint32_t flags)
{
	struct uscheme_cqe *c;
	int tries = 0;

	while (d->resp_tail - LOAD(&d->hdr->cq_head) >= d->cq_entries) {
		d_enter(d, 0, 0);
		if (++tries > 1000) {
			/* the kernel consumes nothing: resynchronize (see scribble) */
			d->resp_tail = LOAD(&d->hdr->cq_head);
			d->unsent = 0;
		}
	}
	c = &d->resp[d->resp_tail & (d->cq_entries - 1)];
	c->user_data = tag;
	c->res = res;
	c->flags = flags;
	d->resp_tail++;
	STORE(&d->hdr->cq_tail, d->resp_tail);
	d->unsent++;
	fz_op(FAM_DAEMON);
	d->stale[rnd_below(&d->r, 32)] = tag;
}

static uint32_t room_of(const struct uscheme_req *rq)
{
	uint32_t room = rq->len;

	if (rq->opcode == USCHEME_OP_CALL && rq->len2 > room)
		room = rq->len2;
	if (rq->opcode == USCHEME_OP_OPEN || rq->opcode == USCHEME_OP_DUP)
		room++;
	return room;
}

static int zeroed(const unsigned char *p, uint32_t n)
{
	uint32_t i, k = n < 64 ? n : 64;

	for (i = 0; i < k; i++)
		if (p[i] || p[n - 1 - i])
			return 0;
	return 1;
}

/* What the kernel hands a daemon must be well formed. */
static int d_check(struct fzd *d, const struct uscheme_req *rq)
{
	uint32_t room = room_of(rq), lim;
	const unsigned char *buf;

	if (rq->opcode < USCHEME_OP_OPEN || rq->opcode > USCHEME_OP_CANCEL ||
	    rq->opcode == USCHEME_OP_FILES_UPDATE) {
		fz_violation(FAM_DAEMON, "request opcode %u", rq->opcode);
		return -1;
	}
	if (rq->flags & ~(uint32_t)USCHEME_REQ_F_NOREPLY || rq->resv0 || rq->resv1)
		fz_violation(FAM_DAEMON, "request op %u flags %#x resv %#x/%#x", rq->opcode,
			     rq->flags, rq->resv0, rq->resv1);
	if ((rq->opcode == USCHEME_OP_CLOSE || rq->opcode == USCHEME_OP_CANCEL) !=
	    !!(rq->flags & USCHEME_REQ_F_NOREPLY))
		fz_violation(FAM_DAEMON, "op %u with flags %#x", rq->opcode, rq->flags);
	if (rq->flags & USCHEME_REQ_F_NOREPLY)
		return 1;
	lim = rq->opcode == USCHEME_OP_OPEN || rq->opcode == USCHEME_OP_DUP ?
	      USCHEME_PATH_MAX : USCHEME_IO_MAX;
	if (rq->len > lim || rq->len2 > USCHEME_IO_MAX ||
	    (rq->opcode == USCHEME_OP_FSTAT && rq->len < sizeof(struct uscheme_stat)))
		fz_violation(FAM_DAEMON, "op %u len %u len2 %u", rq->opcode, rq->len, rq->len2);
	if (rq->buf % 4096 || rq->buf > d->data_size || room > d->data_size - rq->buf) {
		fz_violation(FAM_DAEMON, "op %u chunk %#llx+%u outside the %zu-byte data area",
			     rq->opcode, (unsigned long long)rq->buf, room, d->data_size);
		return -1;
	}
	buf = d->data + rq->buf;
	if ((rq->opcode == USCHEME_OP_READ || rq->opcode == USCHEME_OP_FSTAT) &&
	    !zeroed(buf, rq->len))
		fz_violation(FAM_DAEMON, "op %u room of %u bytes not zeroed (stale data)",
			     rq->opcode, rq->len);
	if (rq->opcode == USCHEME_OP_CALL && rq->len2 > rq->len &&
	    !zeroed(buf + rq->len, rq->len2 - rq->len))
		fz_violation(FAM_DAEMON, "CALL output room beyond the input not zeroed");
	if ((rq->opcode == USCHEME_OP_OPEN || rq->opcode == USCHEME_OP_DUP) && buf[rq->len])
		fz_violation(FAM_DAEMON, "op %u path not NUL-terminated", rq->opcode);
	if (rq->opcode == USCHEME_OP_OPEN && rq->len == 2 && !memcmp(buf, "ns", 2)) {
		ADD(&fz->ns_seen, 1);
		if (rq->uid != 65534 || rq->gid != 65534 || rq->pid == 1)
			fz_violation(FAM_NS, "a client of uid 65534 in its own user+pid namespace "
				     "was seen as uid %u gid %u pid %u", rq->uid, rq->gid, rq->pid);
	}
	return 0;
}

static int32_t d_result(struct fzd *d, const struct uscheme_req *rq)
{
	struct fz_rng *r = &d->r;
	unsigned char *buf = d->data + rq->buf;
	uint32_t lim = 0, i, n;

	if (fz->daemon_kerrno && one_in(r, 20)) {
		fz_op(FAM_KERRNO);
		return -(int32_t)(512 + rnd_below(r, 18));
	}
	switch (rq->opcode) {
	case USCHEME_OP_READ:
		lim = rq->len;
		break;
	case USCHEME_OP_WRITE:
		lim = rq->len;
		break;
	case USCHEME_OP_CALL:
		lim = rq->len2;
		break;
	case USCHEME_OP_OPEN:
	case USCHEME_OP_DUP:
		lim = 15;
		break;
	}
	/* the data: random bytes in the room (FSTAT: a random stat) */
	n = rq->opcode == USCHEME_OP_CALL ? rq->len2 : rq->opcode == USCHEME_OP_READ ||
	    rq->opcode == USCHEME_OP_FSTAT ? rq->len : 0;
	n = n < 256 ? n : 256;
	for (i = 0; i < n; i++)
		buf[i] = (unsigned char)rnd(r);
	if (rq->opcode == USCHEME_OP_FSTAT && rq->len >= sizeof(struct uscheme_stat) &&
	    rnd_below(r, 4)) {
		struct uscheme_stat *st = (struct uscheme_stat *)buf;

		st->mode = 0100644;
		st->resv = 0;
	}
	switch (rnd_below(r, 12)) {
	case 0:
		switch (rnd_below(r, 10)) {
		case 0:
			return -4096;
		case 1:
			return INT32_MIN;
		case 2:
			return INT32_MAX;
		case 3:
			return (int32_t)(lim + 1);
		case 4:
			return -4095;
		case 5:
			return 1;
		default:
			return (int32_t)rnd(r);
		}
	case 1:
		return -(int32_t)(1 + rnd_below(r, 4095));
	case 2:
		return one_in(r, 2) ? -EPIPE : -EINTR;
	default:
		return (int32_t)rnd_below(r, lim + 1);
	}
}

static void d_reply(struct fzd *d, const struct uscheme_req *rq)
{
	struct fz_rng *r = &d->r;
	int32_t res = d_result(d, rq);
	uint32_t flags = 0;
	uint64_t tag = rq->tag;

	if ((rq->opcode == USCHEME_OP_OPEN || rq->opcode == USCHEME_OP_DUP) && one_in(r, 8)) {
		flags = USCHEME_CQE_F_FD;
		res = one_in(r, 6) ? (int32_t)rnd_below(r, 1024) : d->fds[rnd_below(r, 8)];
	} else if (one_in(r, 40)) {
		flags = one_in(r, 2) ? (uint32_t)rnd(r) : USCHEME_CQE_F_FD;
	}
	if (one_in(r, 30))	/* the wrong tag, then (maybe) the right one */
		d_answer(d, one_in(r, 2) ? rnd(r) : d->stale[rnd_below(r, 32)], res, flags);
	d_answer(d, tag, res, flags);
	if (one_in(r, 30))	/* twice */
		d_answer(d, tag, res, flags);
}

static void d_event(struct fzd *d)
{
	struct fz_rng *r = &d->r;
	uint32_t mask = one_in(r, 4) ? (uint32_t)rnd(r) : rnd_below(r, 6);

	d_answer(d, one_in(r, 4) ? rnd(r) : rnd_below(r, 16), (int32_t)mask, USCHEME_CQE_F_EVENT);
}

static void d_scribble(struct fzd *d)
{
	struct fz_rng *r = &d->r;

	if (one_in(r, 2))
		STORE(&d->hdr->cq_tail, d->resp_tail + rnd_below(r, 2 * d->cq_entries + 1));
	else
		STORE(&d->hdr->sq_head, (uint32_t)rnd(r));
	d_enter(d, 0, 0);
	/* resynchronize: the kernel's view is the truth */
	d->resp_tail = LOAD(&d->hdr->cq_head);
	STORE(&d->hdr->cq_tail, d->resp_tail);
	d->unsent = 0;
	STORE(&d->hdr->sq_head, d->sq_head);
}

static int d_setup(struct fzd *d)
{
	struct uscheme_register reg;
	struct uscheme_params p;
	int sv[2], pp[2];

	memset(&p, 0, sizeof(p));
	p.sq_entries = 1U << (2 + rnd_below(&d->r, 5));
	p.flags = USCHEME_SETUP_SCHEME;
	p.data_size = one_in(&d->r, 2) ? USCHEME_DATA_MIN : 0;
	d->fd = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	if (d->fd < 0 || ioctl(d->fd, USCHEME_IOC_SETUP, &p))
		return -errno;
	d->hdr = mmap(NULL, p.ring_size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd,
		      USCHEME_OFF_RING);
	d->reqs = mmap(NULL, p.sqes_size, PROT_READ, MAP_SHARED, d->fd, USCHEME_OFF_SQES);
	d->resp = mmap(NULL, p.cqes_size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd,
		       USCHEME_OFF_CQES);
	d->data = mmap(NULL, p.data_size, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd,
		       (off_t)USCHEME_OFF_DATA);
	if (d->hdr == MAP_FAILED || d->reqs == MAP_FAILED || d->resp == MAP_FAILED ||
	    d->data == MAP_FAILED)
		return -errno;
	d->data_size = p.data_size;
	d->sq_entries = d->hdr->sq_entries;
	d->cq_entries = d->hdr->cq_entries;
	memset(&reg, 0, sizeof(reg));
	snprintf(reg.name, sizeof(reg.name), "%s", fz->scheme);
	if (ioctl(d->fd, USCHEME_IOC_REGISTER, &reg))
		return -errno;
	/* fds to pass with USCHEME_CQE_F_FD: every kind, the scheme ring too */
	if (pipe2(pp, O_CLOEXEC) || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	d->fds[0] = pp[0];
	d->fds[1] = pp[1];
	d->fds[2] = sv[0];
	d->fds[3] = open("/dev/null", O_RDWR | O_CLOEXEC);
	d->fds[4] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	d->fds[5] = d->fd;
	d->fds[6] = 999;	/* closed */
	d->fds[7] = -1;
	return 0;
}

void fz_daemon_main(uint64_t seed)
{
	struct fzd *d = calloc(1, sizeof(*d));
	int err;

	if (!d)
		_exit(1);
	d->r.s = seed;
	err = d_setup(d);
	if (err) {
		fprintf(stderr, "# fuzz daemon: setup/register %s: %s\n", fz->scheme, strerror(-err));
		_exit(2);
	}
	/* tell fuzz.c we are registered: it waits for this line on our stdout pipe */
	if (write(1, "R", 1) != 1)
		_exit(3);
	for (;;) {
		struct fz_rng *r = &d->r;
		long long now;
		uint32_t tail, avail, i;

		d_enter(d, 1, 2000000 + rnd_below(r, 5000000));
		tail = LOAD(&d->hdr->sq_tail);
		avail = tail - d->sq_head;
		if (avail > d->sq_entries) {
			fz_violation(FAM_DAEMON, "request tail %u beyond head %u + %u", tail,
				     d->sq_head, d->sq_entries);
			avail = d->sq_entries;
			d->sq_head = tail - avail;
		}
		for (i = 0; i < avail; i++) {
			struct uscheme_req rq = d->reqs[d->sq_head & (d->sq_entries - 1)];
			uint32_t how = rnd_below(r, 100);

			d->sq_head++;
			STORE(&d->hdr->sq_head, d->sq_head);
			if (d_check(d, &rq)) {
				if (one_in(r, 50))	/* answer a notification anyway */
					d_answer(d, rq.tag, 0, 0);
				continue;
			}
			if (how < 70 || d->nheld >= HELD_MAX) {
				d_reply(d, &rq);
			} else if (how < 97) {	/* late (up to 30 ms), or never */
				struct held *h = &d->held[d->nheld++];

				h->rq = rq;
				h->due_ns = how < 94 ? (uint64_t)(fz_now_ns() + rnd_below(r, 30000000)) :
					    UINT64_MAX;
			}	/* else: dropped, never answered */
		}
		now = fz_now_ns();
		for (i = 0; i < d->nheld; i++) {
			if (d->held[i].due_ns > (uint64_t)now)
				continue;
			d_reply(d, &d->held[i].rq);
			d->held[i--] = d->held[--d->nheld];
		}
		if (one_in(r, 20))
			d_event(d);
		if (one_in(r, 3000))
			d_scribble(d);
		if (d->unsent)
			d_enter(d, 0, 0);
	}
}
