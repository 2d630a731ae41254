// SPDX-License-Identifier: MIT
/*
 * Request routing, from userspace on a loaded uscheme.ko: client requests
 * (ring ops and plain syscalls on handle fds) travel to a daemon's scheme
 * ring and its answers travel back. Each test forks its own minimal daemons
 * on the raw ABI (no libuscheme daemon framework), so the suite checks the
 * kernel alone: the fields a daemon sees, the results a client sees, every
 * documented error, illegal answers, cancellation and signals, credentials,
 * lifetimes (daemon and client death), fork/exec/SCM_RIGHTS, io_uring,
 * concurrency, a daemon killed under load, and the sys:schemes listing.
 *
 * Usage: route_test [name-substring]
 *        route_test --exec-child FD CLOEXEC_FD   (used by the exec test)
 */
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#ifndef __i386__
#include <liburing.h>	/* 64-bit only: there is no 32-bit liburing to link */
#endif

#include "../../userspace-drivers/libuscheme/libuscheme.h"
#include "../lib/tap.h"

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define INC(p)		__atomic_add_fetch((p), 1, __ATOMIC_ACQ_REL)

#define MIB		(1U << 20)
#define HANG_OFF	0xdead000ULL	/* a READ at this offset is never answered */
#define HELD		INT32_MIN	/* logent.ans of a request not answered */
#define LOG_MAX		2048
#define HOLD_MAX	64
#define SLOW_MS		5000		/* the longest wait for something asynchronous */

/* ------------------------------------------------------------------ */
/* Data patterns and checksums                                         */
/* ------------------------------------------------------------------ */

/* The byte a daemon's READ places at file offset x. */
static inline uint8_t pat(uint64_t x)
{
	x = (x + 1) * 0x9E3779B97F4A7C15ULL;
	return (uint8_t)(x >> 56);
}

/* Byte i (>= 8) of a load test payload with the given seed. */
static inline uint8_t lpat(uint64_t seed, uint64_t i)
{
	return pat(seed * 0x100000001ULL + i);
}

static uint64_t fnv(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int all_zero(const unsigned char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static int check_pat(const unsigned char *b, uint64_t off, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (b[i] != pat(off + i)) {
			fprintf(stderr, "  data mismatch at offset %llu+%zu: %#x != %#x\n",
				(unsigned long long)off, i, b[i], pat(off + i));
			return -1;
		}
	}
	return 0;
}

static void fill_bytes(unsigned char *b, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = pat(seed * 7919 + i * 31);
}

/* ------------------------------------------------------------------ */
/* What a test daemon shares with its test: a log of every request it  */
/* received, counters, the requests it holds unanswered, and commands. */
/* ------------------------------------------------------------------ */

struct logent {
	struct uscheme_req rq;
	uint64_t crc;		/* OPEN/DUP path, WRITE data, CALL input */
	int32_t ans;		/* the answer's res, or HELD */
	uint8_t zero;		/* READ/FSTAT room, CALL room beyond the input: all zero */
	uint8_t nul;		/* OPEN/DUP: a NUL follows the path */
	uint8_t inside;		/* the chunk is page aligned and inside the data area */
	uint8_t pad;
	char head[128];		/* the payload's first bytes */
};

struct held {
	uint64_t tag, buf;
	uint32_t len;
	uint32_t op;
};

enum { CMD_NONE, CMD_ANSWER_HELD, CMD_CLOSE_RING, CMD_EXIT };

struct shm {
	uint32_t nlog;		/* requests logged (entries beyond LOG_MAX not stored) */
	uint32_t nolog;		/* in: log nothing (load tests) */
	uint32_t track;		/* in: keep .rejected current */
	uint32_t bad;		/* daemon-side check failures */
	uint32_t served;	/* requests received */
	uint32_t ncancel, nclose;
	uint32_t rejected;	/* the scheme ring's stats.rejected */
	int32_t derr;		/* an unexpected enter error */
	uint32_t closed;	/* CMD_CLOSE_RING done */
	uint32_t nheld, nanswered_held;
	struct held held[HOLD_MAX];
	uint32_t cmd_seq, cmd_ack, cmd_op;
	int32_t cmd_arg;
	char why[160];		/* the first daemon-side failure */
	struct logent log[LOG_MAX];
};

struct daemon {
	pid_t pid;
	struct shm *shm;
	char name[USCHEME_NAME_MAX];
};

static struct shm *shm_new(void)
{
	struct shm *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
			     MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	return s == MAP_FAILED ? NULL : s;
}

static void dname(struct daemon *dm, const char *tag)
{
	memset(dm, 0, sizeof(*dm));
	snprintf(dm->name, sizeof(dm->name), "rt-%s-%d", tag, (int)getpid());
}

/* ------------------------------------------------------------------ */
/* The daemon: a scheme ring on the raw ABI                            */
/* ------------------------------------------------------------------ */

struct dmn {
	int fd;
	struct uscheme_ring_hdr *hdr;
	const struct uscheme_req *reqs;
	struct uscheme_cqe *resp;
	unsigned char *data;
	size_t ring_size, sqes_size, cqes_size, data_size;
	uint32_t sq_mask, sq_entries, cq_entries, cq_mask;
	uint32_t sq_head, resp_tail, unsent;
	struct shm *shm;
};

/* Handle behaviours, chosen by the path opened. */
enum mode {
	M_PLAIN, M_SMALL, M_LOAD, M_ENOSPC, M_BIGID, M_E4095,
	M_READ_BIG, M_READ_NEG, M_WRITE_BIG, M_FSTAT_RES, M_FSTAT_MODE,
	M_FSYNC_RES, M_FTRUNC_RES, M_CALL_BIG, M_DUP_NEG, M_UNKNOWN_TAG,
	M_TWICE, M_PASSFD_READ, M_COUNT
};

static const char *const mode_names[M_COUNT] = {
	"plain", "small", "load", "enospc", "bigid", "e4095",
	"read-big", "read-neg", "write-big", "fstat-res", "fstat-mode",
	"fsync-res", "ftrunc-res", "call-big", "dup-neg", "unknown-tag",
	"twice", "passfd-read",
};

#define DH_MAX		1024
#define SIZE_DEFAULT	(4ULL * MIB)
#define SIZE_SMALL	1000
#define CALL_EACCES	13	/* CALL op_flags: answer -EACCES */

struct dh {
	uint64_t id;
	uint64_t size;
	int mode;
};

static struct dh dh_tab[DH_MAX];
static unsigned int dh_n;
static uint64_t dh_next;

static struct dh *dh_find(uint64_t id)
{
	unsigned int i = dh_n;

	while (i--)
		if (dh_tab[i].id == id)
			return &dh_tab[i];
	return NULL;
}

static struct dh *dh_new(uint64_t id, int mode)
{
	struct dh *h;

	if (dh_n >= DH_MAX)
		return NULL;
	h = &dh_tab[dh_n++];
	h->id = id;
	h->mode = mode;
	h->size = mode == M_SMALL ? SIZE_SMALL : SIZE_DEFAULT;
	return h;
}

static void dbad(struct dmn *d, const char *why, const struct uscheme_req *rq)
{
	if (INC(&d->shm->bad) == 1)
		snprintf(d->shm->why, sizeof(d->shm->why),
			 "%s (op %u tag %llu id %llu off %llu len %u len2 %u buf %llu)",
			 why, rq->opcode, (unsigned long long)rq->tag,
			 (unsigned long long)rq->id, (unsigned long long)rq->off,
			 rq->len, rq->len2, (unsigned long long)rq->buf);
}

static int dmn_enter(struct dmn *d, unsigned int min_complete, unsigned int flags,
		     int64_t timeout_ns)
{
	struct uscheme_enter e;
	int ret;

	memset(&e, 0, sizeof(e));
	e.to_submit = d->unsent;
	e.min_complete = min_complete;
	e.flags = flags;
	e.timeout_ns = timeout_ns;
	ret = ioctl(d->fd, USCHEME_IOC_ENTER, &e) < 0 ? -errno : 0;
	if (e.submitted > d->unsent) {
		STORE(&d->shm->derr, -10000);
		e.submitted = d->unsent;
	}
	d->unsent -= e.submitted;
	return ret;
}

static void dmn_answer_flags(struct dmn *d, uint64_t tag, int32_t res, uint32_t flags);

static void dmn_answer(struct dmn *d, uint64_t tag, int32_t res)
{
	dmn_answer_flags(d, tag, res, 0);
}

static void dmn_answer_flags(struct dmn *d, uint64_t tag, int32_t res, uint32_t flags)
{
	struct uscheme_cqe *c;
	int tries = 0;

	while (d->resp_tail - LOAD(&d->hdr->cq_head) >= d->cq_entries) {
		int ret = dmn_enter(d, 0, 0, 0);

		if ((ret && ret != -EINTR) || ++tries > 100000) {
			STORE(&d->shm->derr, ret ? ret : -10001);
			_exit(9);
		}
	}
	c = &d->resp[d->resp_tail & d->cq_mask];
	c->user_data = tag;
	c->res = res;
	c->flags = flags;
	d->resp_tail++;
	STORE(&d->hdr->cq_tail, d->resp_tail);
	d->unsent++;
}

static void dmn_hold(struct dmn *d, const struct uscheme_req *rq)
{
	struct shm *s = d->shm;
	uint32_t n = s->nheld;

	if (n >= HOLD_MAX) {
		dbad(d, "too many held requests", rq);
		return;
	}
	s->held[n].tag = rq->tag;
	s->held[n].buf = rq->buf;
	s->held[n].len = rq->len;
	s->held[n].op = rq->opcode;
	STORE(&s->nheld, n + 1);
}

/* Load payloads: 8 bytes of seed, then lpat(seed, i). */
static int load_payload_ok(const unsigned char *b, uint32_t len, uint64_t *seed)
{
	uint32_t i;

	if (len < 8)
		return 0;
	memcpy(seed, b, 8);
	for (i = 8; i < len; i++)
		if (b[i] != lpat(*seed, i))
			return 0;
	return 1;
}

static void fill_read(unsigned char *b, uint64_t off, uint32_t n)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		b[i] = pat(off + i);
}

/* Handle one request; returns the answer's res, or HELD for none. */
static int32_t dmn_op(struct dmn *d, const struct uscheme_req *rq, unsigned char *buf)
{
	struct dh *h = NULL;
	uint32_t n, i;
	uint64_t seed;

	if (rq->opcode == USCHEME_OP_OPEN) {
		char path[64];
		int mode = M_PLAIN;

		n = rq->len < sizeof(path) - 1 ? rq->len : sizeof(path) - 1;
		memcpy(path, buf, n);
		path[n] = '\0';
		if (!strcmp(path, "eacces"))
			return -EACCES;
		if (!strcmp(path, "passfd")) {
			/* USCHEME_CQE_F_FD: the client gets this pipe's read end. */
			int p[2];

			if (pipe(p) || write(p[1], "passed\n", 7) != 7)
				return -EIO;
			close(p[1]);
			/* p[0] stays open: the kernel takes it at the next enter */
			dmn_answer_flags(d, rq->tag, p[0], USCHEME_CQE_F_FD);
			return HELD;
		}
		if (!strcmp(path, "passfd-bad")) {
			dmn_answer_flags(d, rq->tag, 1000000, USCHEME_CQE_F_FD);
			return HELD;
		}
		if (!strcmp(path, "enoent"))
			return -ENOENT;
		if (!strcmp(path, "open-evil"))
			return -4096;
		if (!strcmp(path, "hang-open")) {
			dmn_hold(d, rq);
			return HELD;
		}
		for (i = 0; i < M_COUNT; i++)
			if (!strcmp(path, mode_names[i]))
				mode = (int)i;
		h = dh_new(mode == M_BIGID ? 0x7fffffff : dh_next++, mode);
		return h ? (int32_t)h->id : -EMFILE;
	}
	h = dh_find(rq->id);
	if (!h) {
		dbad(d, "request for an unknown id", rq);
		return -EBADF;
	}
	switch (rq->opcode) {
	case USCHEME_OP_READ:
		if (rq->off == HANG_OFF) {
			dmn_hold(d, rq);
			return HELD;
		}
		if (h->mode == M_LOAD) {
			if (!all_zero(buf, rq->len))
				dbad(d, "load READ buffer not zeroed", rq);
			fill_read(buf, rq->off, rq->len);
			return (int32_t)rq->len;
		}
		n = rq->off >= h->size ? 0 :
		    (h->size - rq->off < rq->len ? (uint32_t)(h->size - rq->off) : rq->len);
		fill_read(buf, rq->off, n);
		switch (h->mode) {
		case M_READ_BIG:
			return (int32_t)(rq->len + 1);
		case M_READ_NEG:
			return -5000;
		case M_E4095:
			return -4095;
		case M_UNKNOWN_TAG:
			dmn_answer(d, rq->tag + 1000003, 1);
			return (int32_t)n;
		case M_TWICE:
			dmn_answer(d, rq->tag, (int32_t)n);
			return (int32_t)n;	/* the second answer */
		case M_PASSFD_READ:
			/* a file passed where no fd can go: the client gets -EIO */
			dmn_answer_flags(d, rq->tag, 0, USCHEME_CQE_F_FD);
			return HELD;
		}
		return (int32_t)n;
	case USCHEME_OP_WRITE:
		if (h->mode == M_LOAD) {
			if (!load_payload_ok(buf, rq->len, &seed) || seed != rq->off)
				dbad(d, "load WRITE payload mismatch", rq);
			return (int32_t)rq->len;
		}
		if (h->mode == M_ENOSPC)
			return -ENOSPC;
		if (h->mode == M_WRITE_BIG)
			return (int32_t)(rq->len + 1);
		if (rq->off + rq->len > h->size)
			h->size = rq->off + rq->len;
		return (int32_t)rq->len;
	case USCHEME_OP_FSTAT: {
		struct uscheme_stat st;

		if (rq->len < sizeof(st)) {
			dbad(d, "FSTAT room smaller than struct uscheme_stat", rq);
			return -EINVAL;
		}
		memset(&st, 0, sizeof(st));
		st.size = h->size;
		st.blocks = 8;
		st.atime_ns = 1000000001ULL;
		st.mtime_ns = 2000000002ULL;
		st.ctime_ns = 3000000003ULL;
		st.mode = h->mode == M_FSTAT_MODE ? 0170644 : (S_IFREG | 0640);
		st.nlink = 2;
		st.uid = 4242;
		st.gid = 4343;
		memcpy(buf, &st, sizeof(st));
		return h->mode == M_FSTAT_RES ? 1 : 0;
	}
	case USCHEME_OP_FSYNC:
		return h->mode == M_FSYNC_RES ? 1 : 0;
	case USCHEME_OP_FTRUNCATE:
		h->size = rq->off;
		return h->mode == M_FTRUNC_RES ? 3 : 0;
	case USCHEME_OP_DUP: {
		struct dh *nh;

		if (h->mode == M_DUP_NEG)
			return -4096;
		if (rq->len == 6 && !memcmp(buf, "eacces", 6))
			return -EACCES;
		nh = dh_new(dh_next++, h->mode);
		return nh ? (int32_t)nh->id : -EMFILE;
	}
	case USCHEME_OP_CALL:
		n = rq->len < rq->len2 ? rq->len : rq->len2;
		if (h->mode == M_LOAD &&
		    (!load_payload_ok(buf, rq->len, &seed) || !all_zero(buf + rq->len,
		     rq->len2 > rq->len ? rq->len2 - rq->len : 0)))
			dbad(d, "load CALL input mismatch", rq);
		if (rq->op_flags == CALL_EACCES)
			return -EACCES;
		for (i = 0; i < n; i++)
			buf[i] ^= 0xa5;
		if (h->mode == M_CALL_BIG)
			return (int32_t)(rq->len2 + 1);
		return (int32_t)n;
	}
	dbad(d, "unexpected opcode", rq);
	return -EINVAL;
}

static void dmn_req(struct dmn *d, const struct uscheme_req *rq)
{
	struct shm *s = d->shm;
	uint64_t room = rq->len;
	struct logent *e = NULL;
	unsigned char *buf;
	int32_t res;
	uint32_t n;

	if (rq->opcode == USCHEME_OP_CALL && rq->len2 > room)
		room = rq->len2;
	if (rq->opcode == USCHEME_OP_OPEN || rq->opcode == USCHEME_OP_DUP)
		room++;		/* the NUL */
	if (!(rq->flags & USCHEME_REQ_F_NOREPLY) &&	/* notifications carry no data */
	    (rq->buf % 4096 || rq->buf > d->data_size || room > d->data_size - rq->buf)) {
		dbad(d, "chunk outside the data area", rq);
		dmn_answer(d, rq->tag, -EFAULT);
		return;
	}
	buf = d->data + rq->buf;
	INC(&s->served);
	n = s->nlog;
	if (!s->nolog && n < LOG_MAX) {
		size_t plen = 0, zfrom = 0, zto = 0;

		e = &s->log[n];
		memset(e, 0, sizeof(*e));
		e->rq = *rq;
		e->inside = 1;
		switch (rq->flags & USCHEME_REQ_F_NOREPLY ? 0xff : rq->opcode) {
		case USCHEME_OP_OPEN:
		case USCHEME_OP_DUP:
			plen = rq->len;
			e->nul = buf[rq->len] == 0;
			break;
		case USCHEME_OP_WRITE:
			plen = rq->len;
			break;
		case USCHEME_OP_CALL:
			plen = rq->len;
			zfrom = rq->len;
			zto = room;
			break;
		case USCHEME_OP_READ:
		case USCHEME_OP_FSTAT:
			zto = rq->len;
			break;
		}
		e->crc = fnv(buf, plen);
		memcpy(e->head, buf, plen < sizeof(e->head) ? plen : sizeof(e->head));
		e->zero = all_zero(buf + zfrom, zto - zfrom);
	}
	if (rq->flags & USCHEME_REQ_F_NOREPLY) {
		if (rq->opcode == USCHEME_OP_CANCEL)
			INC(&s->ncancel);
		else if (rq->opcode == USCHEME_OP_CLOSE)
			INC(&s->nclose);
		else
			dbad(d, "a notification that is neither CLOSE nor CANCEL", rq);
		res = HELD;
	} else {
		if (rq->opcode == USCHEME_OP_CLOSE || rq->opcode == USCHEME_OP_CANCEL)
			dbad(d, "CLOSE/CANCEL without USCHEME_REQ_F_NOREPLY", rq);
		if (rq->flags & ~(uint32_t)USCHEME_REQ_F_NOREPLY)
			dbad(d, "unknown request flags", rq);
		res = dmn_op(d, rq, buf);
		if (res != HELD)
			dmn_answer(d, rq->tag, res);
	}
	if (e)
		e->ans = res;
	if (!s->nolog)
		STORE(&s->nlog, n + 1);
}

static void dmn_cmd(struct dmn *d, uint32_t op, int32_t arg)
{
	struct shm *s = d->shm;
	uint32_t i;

	switch (op) {
	case CMD_ANSWER_HELD:
		for (i = s->nanswered_held; i < s->nheld; i++) {
			struct held *h = &s->held[i];
			int32_t res = arg;

			if (h->op == USCHEME_OP_READ) {
				if ((uint32_t)res > h->len)
					res = (int32_t)h->len;
				fill_read(d->data + h->buf, HANG_OFF, (uint32_t)res);
			}
			dmn_answer(d, h->tag, res);
		}
		s->nanswered_held = i;
		dmn_enter(d, 0, 0, 0);
		break;
	case CMD_CLOSE_RING:
		munmap(d->hdr, d->ring_size);
		munmap((void *)d->reqs, d->sqes_size);
		munmap(d->resp, d->cqes_size);
		munmap(d->data, d->data_size);
		close(d->fd);
		STORE(&s->closed, 1);
		STORE(&s->cmd_ack, LOAD(&s->cmd_seq));
		for (;;)
			pause();
	case CMD_EXIT:
		STORE(&s->cmd_ack, LOAD(&s->cmd_seq));
		_exit(0);
	}
}

static void dmn_loop(struct dmn *d)
{
	struct shm *s = d->shm;
	uint32_t seen = LOAD(&s->cmd_seq);

	for (;;) {
		uint32_t seq = LOAD(&s->cmd_seq), tail;
		int ret;

		if (seq != seen) {
			seen = seq;
			dmn_cmd(d, s->cmd_op, s->cmd_arg);
			STORE(&s->cmd_ack, seq);
		}
		if (LOAD(&s->track)) {
			struct uscheme_stats st;

			dmn_enter(d, 0, 0, 0);
			if (ioctl(d->fd, USCHEME_IOC_STATS, &st) == 0)
				STORE(&s->rejected, (uint32_t)st.rejected);
		}
		ret = dmn_enter(d, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
				20 * 1000 * 1000);
		if (ret && ret != -ETIME && ret != -EINTR)
			STORE(&s->derr, ret);
		tail = LOAD(&d->hdr->sq_tail);
		if (tail - d->sq_head > d->sq_entries) {
			STORE(&s->derr, -10002);
			snprintf(s->why, sizeof(s->why), "request tail %u beyond head %u + %u",
				 tail, d->sq_head, d->sq_entries);
			INC(&s->bad);
			_exit(8);
		}
		while (d->sq_head != tail) {
			struct uscheme_req rq = d->reqs[d->sq_head & d->sq_mask];

			d->sq_head++;
			STORE(&d->hdr->sq_head, d->sq_head);
			dmn_req(d, &rq);
		}
	}
}

static int dmn_setup(struct dmn *d, const char *name, unsigned int sq, uint32_t data_size)
{
	struct uscheme_register reg;
	struct uscheme_params p;

	memset(&p, 0, sizeof(p));
	p.sq_entries = sq;
	p.flags = USCHEME_SETUP_SCHEME;
	p.data_size = data_size;
	d->fd = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	if (d->fd < 0)
		return -errno;
	if (ioctl(d->fd, USCHEME_IOC_SETUP, &p) < 0)
		return -errno;
	if (p.data_size < data_size)
		return -ENODATA;
	d->ring_size = p.ring_size;
	d->sqes_size = p.sqes_size;
	d->cqes_size = p.cqes_size;
	d->data_size = p.data_size;
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
	d->sq_entries = d->hdr->sq_entries;
	d->sq_mask = d->hdr->sq_mask;
	d->cq_entries = d->hdr->cq_entries;
	d->cq_mask = d->hdr->cq_mask;
	d->sq_head = d->hdr->sq_head;
	d->resp_tail = d->hdr->cq_tail;
	memset(&reg, 0, sizeof(reg));
	strcpy(reg.name, name);
	if (ioctl(d->fd, USCHEME_IOC_REGISTER, &reg) < 0)
		return -errno;
	return 0;
}

static pid_t fork_child(void)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* Never outlive the test (its time limit kills it). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(99);
	}
	return pid;
}

/*
 * Start a daemon serving dm->name (sq requests, a data area of data_size
 * bytes, 0 for 4 MiB). Returns 0 once it is registered, or its setup's
 * -errno. The daemon keeps no other descriptor of the test.
 */
static int dstart(struct daemon *dm, unsigned int sq, uint32_t data_size)
{
	int p[2], err = -1000;
	pid_t pid;

	if (!dm->shm) {
		dm->shm = shm_new();
		if (!dm->shm)
			return -ENOMEM;
	}
	{
		uint32_t nolog = dm->shm->nolog, track = dm->shm->track;

		memset(dm->shm, 0, offsetof(struct shm, log));
		dm->shm->nolog = nolog;
		dm->shm->track = track;
	}
	if (pipe(p))
		return -errno;
	pid = fork_child();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct dmn d;
		int fd;

		for (fd = 3; fd < 1024; fd++)
			if (fd != p[1])
				close(fd);
		memset(&d, 0, sizeof(d));
		d.shm = dm->shm;
		dh_n = 0;
		dh_next = 100;
		err = dmn_setup(&d, dm->name, sq ? sq : 64, data_size ? data_size : 4 * MIB);
		if (write(p[1], &err, sizeof(err)) != sizeof(err) || err)
			_exit(1);
		close(p[1]);
		dmn_loop(&d);
		_exit(0);
	}
	close(p[1]);
	if (read(p[0], &err, sizeof(err)) != sizeof(err))
		err = -1001;
	close(p[0]);
	if (err) {
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		fprintf(stderr, "  daemon %s: setup/register failed: %d\n", dm->name, err);
		return err;
	}
	dm->pid = pid;
	return 0;
}

/* Kill and reap a daemon; returns its bad count (0: it saw nothing wrong). */
static int dstop(struct daemon *dm)
{
	if (dm->pid > 0) {
		kill(dm->pid, SIGKILL);
		waitpid(dm->pid, NULL, 0);
		dm->pid = 0;
	}
	if (dm->shm && (dm->shm->bad || dm->shm->derr)) {
		fprintf(stderr, "  daemon %s: %u bad, enter error %d: %s\n", dm->name,
			dm->shm->bad, dm->shm->derr, dm->shm->why);
		return -1;
	}
	return 0;
}

static int dcmd(struct daemon *dm, uint32_t op, int32_t arg)
{
	struct shm *s = dm->shm;
	uint32_t seq = s->cmd_seq + 1;
	long long end = tap_now_ns() + SLOW_MS * 1000000LL;

	s->cmd_op = op;
	s->cmd_arg = arg;
	STORE(&s->cmd_seq, seq);
	while (LOAD(&s->cmd_ack) != seq) {
		if (tap_now_ns() > end)
			return -ETIME;
		usleep(1000);
	}
	return 0;
}

/* Wait until *p >= want; 0, or -1 after ms. */
static int wait_u32(const uint32_t *p, uint32_t want, int ms)
{
	long long end = tap_now_ns() + ms * 1000000LL;

	while (LOAD(p) < want) {
		if (tap_now_ns() > end) {
			fprintf(stderr, "  timed out waiting: %u < %u\n", LOAD(p), want);
			return -1;
		}
		usleep(1000);
	}
	return 0;
}

/* Copy log entry i, waiting for it. */
static int log_get(struct shm *s, uint32_t i, struct logent *e)
{
	if (i >= LOG_MAX || wait_u32(&s->nlog, i + 1, SLOW_MS))
		return -1;
	*e = s->log[i];
	return 0;
}

static int log_next(struct shm *s, uint32_t *cur, struct logent *e)
{
	if (log_get(s, *cur, e))
		return -1;
	(*cur)++;
	return 0;
}

/*
 * Find, from index from on, a request with opcode op whose key (id for
 * most ops, off for CANCEL) is key; wait up to ms for it. Returns its index
 * or -1.
 */
static int log_find(struct shm *s, uint32_t from, uint8_t op, uint64_t key,
		    struct logent *e, int ms)
{
	long long end = tap_now_ns() + ms * 1000000LL;
	uint32_t i = from;

	for (;;) {
		uint32_t n = LOAD(&s->nlog);

		for (; i < n && i < LOG_MAX; i++) {
			const struct logent *l = &s->log[i];

			if (l->rq.opcode == op &&
			    (op == USCHEME_OP_CANCEL ? l->rq.off : l->rq.id) == key) {
				*e = *l;
				return (int)i;
			}
		}
		if (tap_now_ns() > end)
			return -1;
		usleep(1000);
	}
}

static unsigned int log_count(struct shm *s, uint32_t from, int op)
{
	uint32_t n = LOAD(&s->nlog), i, c = 0;

	for (i = from; i < n && i < LOG_MAX; i++)
		if (op < 0 || s->log[i].rq.opcode == op)
			c++;
	return c;
}

/* The fields every answered request carries. */
static int req_ok(const struct logent *e, uint8_t op, uint64_t id, pid_t pid)
{
	CHECK_EQ(e->rq.opcode, op);
	CHECK_EQ(e->rq.flags, 0);
	CHECK_EQ(e->rq.resv0, 0);
	CHECK_EQ(e->rq.resv1, 0);
	CHECK(e->rq.tag != 0);
	CHECK_EQ(e->rq.id, id);
	CHECK_EQ(e->rq.pid, pid);
	CHECK_EQ(e->rq.uid, geteuid());
	CHECK_EQ(e->rq.gid, getegid());
	CHECK(e->inside);
	if (op != USCHEME_OP_CALL)
		CHECK_EQ(e->rq.len2, 0);
	return 0;
}

/* A notification: CLOSE or CANCEL, NOREPLY, tag 0. */
static int note_ok(const struct logent *e, uint8_t op)
{
	CHECK_EQ(e->rq.opcode, op);
	CHECK_EQ(e->rq.flags, USCHEME_REQ_F_NOREPLY);
	CHECK_EQ(e->rq.tag, 0);
	CHECK_EQ(e->ans, HELD);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Client helpers                                                      */
/* ------------------------------------------------------------------ */

static int g_dev = -1;

static int dev(void)
{
	if (g_dev < 0)
		g_dev = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	return g_dev;
}

static int h_open(const char *path, uint32_t flags)
{
	struct uscheme_open o;

	memset(&o, 0, sizeof(o));
	o.path = (uintptr_t)path;
	o.flags = flags;
	o.fd = -1;
	if (ioctl(dev(), USCHEME_IOC_OPEN, &o) < 0)
		return -errno;
	return o.fd;
}

static int d_open(const struct daemon *dm, const char *sub, uint32_t flags)
{
	char path[256];

	snprintf(path, sizeof(path), "%s:%s", dm->name, sub);
	return h_open(path, flags);
}

static int h_dup(int fd, const char *suffix, uint32_t len, uint32_t flags)
{
	struct uscheme_dup a;

	memset(&a, 0, sizeof(a));
	a.suffix = (uintptr_t)suffix;
	a.len = len;
	a.flags = flags;
	a.fd = -1;
	if (ioctl(fd, USCHEME_HIOC_DUP, &a) < 0)
		return -errno;
	return a.fd;
}

static int h_call(int fd, const void *in, uint32_t in_len, uint32_t op_flags,
		  void *out, uint32_t out_len)
{
	struct uscheme_call c;

	memset(&c, 0, sizeof(c));
	c.in = (uintptr_t)in;
	c.in_len = in_len;
	c.op_flags = op_flags;
	c.out = (uintptr_t)out;
	c.out_len = out_len;
	c.result = -1;
	if (ioctl(fd, USCHEME_HIOC_CALL, &c) < 0)
		return -errno;
	return c.result;
}

/* A syscall's result as res or -errno. */
static long sysres(long r)
{
	return r < 0 ? -errno : r;
}

/* A client ring whose mappings later forks (daemons) do not inherit. */
static int cring(struct us_ring *r, unsigned int sq)
{
	int err = us_ring_init(r, sq, 0, 0);

	if (err)
		return err;
	madvise(r->hdr, r->ring_size, MADV_DONTFORK);
	madvise(r->sqes, r->sqes_size, MADV_DONTFORK);
	madvise(r->cqes, r->cqes_size, MADV_DONTFORK);
	return 0;
}

static uint64_t g_ud = 0x5500;

static void sqe_fill(struct uscheme_sqe *sqe, uint8_t op, int fd, uint64_t off,
		     const void *addr, uint32_t len, uint32_t op_flags,
		     void *addr2, uint32_t len2, uint64_t ud)
{
	memset(sqe, 0, sizeof(*sqe));
	sqe->opcode = op;
	sqe->fd = fd;
	sqe->off = off;
	sqe->addr = (uintptr_t)addr;
	sqe->len = len;
	sqe->op_flags = op_flags;
	sqe->addr2 = (uintptr_t)addr2;
	sqe->len2 = len2;
	sqe->user_data = ud;
}

#define RES_HARNESS	(-100000)	/* the ring itself failed */

/* Submit one SQE built from tmpl (user_data replaced) and return its res. */
static int32_t rop_sqe(struct us_ring *r, const struct uscheme_sqe *tmpl)
{
	struct uscheme_sqe *sqe = us_get_sqe(r);
	struct uscheme_cqe *cqe;
	uint64_t ud = ++g_ud;
	int32_t res;
	int ret;

	if (!sqe)
		return RES_HARNESS;
	*sqe = *tmpl;
	sqe->user_data = ud;
	ret = us_submit_and_wait(r, 1);
	if (ret != 1) {
		fprintf(stderr, "  ring submit: %d\n", ret);
		return RES_HARNESS;
	}
	cqe = us_peek_cqe(r);
	if (!cqe || cqe->user_data != ud) {
		fprintf(stderr, "  ring: no CQE for %llu (got %llu)\n", (unsigned long long)ud,
			cqe ? (unsigned long long)cqe->user_data : 0ULL);
		return RES_HARNESS - 1;
	}
	res = cqe->res;
	if (cqe->flags)
		res = RES_HARNESS - 2;
	us_cqe_seen(r);
	return res;
}

static int32_t rop(struct us_ring *r, uint8_t op, int fd, uint64_t off, const void *addr,
		   uint32_t len, uint32_t op_flags, void *addr2, uint32_t len2)
{
	struct uscheme_sqe s;

	sqe_fill(&s, op, fd, off, addr, len, op_flags, addr2, len2, 0);
	return rop_sqe(r, &s);
}

static int32_t rop_open(struct us_ring *r, const struct daemon *dm, const char *sub,
			uint32_t flags)
{
	char path[256];

	snprintf(path, sizeof(path), "%s:%s", dm->name, sub);
	return rop(r, USCHEME_OP_OPEN, 0, 0, path, (uint32_t)strlen(path) + 1, flags, NULL, 0);
}

/* Queue one SQE without submitting. */
static int queue(struct us_ring *r, uint8_t op, int fd, uint64_t off, const void *addr,
		 uint32_t len, uint32_t op_flags, void *addr2, uint32_t len2, uint64_t ud)
{
	struct uscheme_sqe *sqe = us_get_sqe(r);

	if (!sqe)
		return -1;
	sqe_fill(sqe, op, fd, off, addr, len, op_flags, addr2, len2, ud);
	return 0;
}

/* Reap up to n CQEs within ms; returns how many. */
static int reap(struct us_ring *r, unsigned int n, uint64_t *ud, int32_t *res, int ms)
{
	long long end = tap_now_ns() + ms * 1000000LL;
	unsigned int got = 0;

	while (got < n) {
		struct uscheme_cqe *c = us_peek_cqe(r);
		long long left;
		int ret;

		if (c) {
			ud[got] = c->user_data;
			res[got] = c->res;
			got++;
			us_cqe_seen(r);
			continue;
		}
		left = end - tap_now_ns();
		if (left <= 0)
			break;
		ret = us_enter(r, 0, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT, left,
			       NULL);
		if (ret && ret != -ETIME && ret != -EINTR) {
			fprintf(stderr, "  reap: enter %d\n", ret);
			break;
		}
	}
	return (int)got;
}

static int32_t res_of(const uint64_t *ud, const int32_t *res, int n, uint64_t want)
{
	int i;

	for (i = 0; i < n; i++)
		if (ud[i] == want)
			return res[i];
	return RES_HARNESS - 3;
}

/* Wait for a child to exit within ms; its status, or -1 (then it is killed). */
static int wait_exit(pid_t pid, int ms)
{
	long long end = tap_now_ns() + ms * 1000000LL;
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		if (tap_now_ns() > end) {
			fprintf(stderr, "  child %d did not exit within %d ms\n", (int)pid, ms);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return -1;
		}
		usleep(1000);
	}
}

static int exited_ok(int status)
{
	if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	if (status >= 0)
		fprintf(stderr, "  child status %#x (exit %d, signal %d)\n", status,
			WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return 0;
}

static pid_t spawn(int (*fn)(void *), void *arg)
{
	pid_t pid = fork_child();

	if (pid == 0)
		_exit(fn(arg) ? 1 : 0);
	return pid;
}

static int fd_cloexec(int fd)
{
	int f = fcntl(fd, F_GETFD);

	return f < 0 ? -1 : !!(f & FD_CLOEXEC);
}

/* The id the daemon gave the handle opened by the OPEN logged at index i. */
static int64_t id_of_open(struct shm *s, uint32_t i)
{
	struct logent e;

	if (log_get(s, i, &e) || e.rq.opcode != USCHEME_OP_OPEN || e.ans < 0)
		return -1;
	return e.ans;
}

/* ------------------------------------------------------------------ */
/* Every op through a client ring                                      */
/* ------------------------------------------------------------------ */

static int t_ring_ops(void)
{
	unsigned char b[512], w[300], out[32];
	struct uscheme_stat st;
	const char *in = "hello world";
	struct daemon dm;
	struct us_ring r;
	struct logent e;
	uint32_t cur;
	int64_t id, id2, id3, idb;
	int fd, fd2, fd3, fdb;
	pid_t me = getpid();
	size_t i;

	dname(&dm, "ringops");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	CHECK_EQ(cring(&r, 16), 0);
	CHECK_EQ(rop(&r, USCHEME_OP_NOP, 0, 0, NULL, 0, 0, NULL, 0), 0);

	/* OPEN: the path after "scheme:", its length, a NUL, the flags without O_CLOEXEC */
	cur = LOAD(&dm.shm->nlog);
	fd = rop_open(&r, &dm, "dir/file.txt", O_RDWR | O_CREAT | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(fd_cloexec(fd), 1);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_OPEN, 0, me), 0);
	CHECK_EQ(e.rq.len, strlen("dir/file.txt"));
	CHECK_EQ(memcmp(e.head, "dir/file.txt", 12), 0);
	CHECK(e.nul);
	CHECK_EQ(e.rq.op_flags, O_RDWR | O_CREAT);
	CHECK_EQ(e.rq.off, 0);
	id = e.ans;
	CHECK(id >= 100);

	/* READ at an offset: the daemon gets a zeroed chunk, the client its bytes */
	memset(b, 0xee, sizeof(b));
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, 5, b, 100, 0, NULL, 0), 100);
	CHECK_EQ(check_pat(b, 5, 100), 0);
	CHECK_EQ(b[100], 0xee);		/* nothing beyond res */
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_READ, id, me), 0);
	CHECK_EQ(e.rq.off, 5);
	CHECK_EQ(e.rq.len, 100);
	CHECK_EQ(e.rq.op_flags, 0);
	CHECK(e.zero);

	/* READ at the file position: the daemon sees the position, which advances */
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, USCHEME_OFF_CURRENT, b, 10, 0, NULL, 0), 10);
	CHECK_EQ(check_pat(b, 0, 10), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.off, 0);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, USCHEME_OFF_CURRENT, b, 20, 0, NULL, 0), 20);
	CHECK_EQ(check_pat(b, 10, 20), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.off, 10);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 30);	/* the same position as read(2)'s */
	CHECK_EQ(read(fd, b, 4), 4);
	CHECK_EQ(check_pat(b, 30, 4), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.off, 30);

	/* WRITE: the payload, once, in the chunk */
	fill_bytes(w, sizeof(w), 1);
	CHECK_EQ(rop(&r, USCHEME_OP_WRITE, fd, 7, w, sizeof(w), 0, NULL, 0), (int)sizeof(w));
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_WRITE, id, me), 0);
	CHECK_EQ(e.rq.off, 7);
	CHECK_EQ(e.rq.len, sizeof(w));
	CHECK_EQ(e.crc, fnv(w, sizeof(w)));
	CHECK_EQ(memcmp(e.head, w, sizeof(e.head)), 0);
	CHECK_EQ(rop(&r, USCHEME_OP_WRITE, fd, USCHEME_OFF_CURRENT, w, 5, 0, NULL, 0), 5);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.off, 34);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 39);

	/* FSTAT */
	memset(&st, 0xff, sizeof(st));
	CHECK_EQ(rop(&r, USCHEME_OP_FSTAT, fd, 0, &st, sizeof(st), 0, NULL, 0), 0);
	CHECK_EQ(st.size, SIZE_DEFAULT);
	CHECK_EQ(st.mode, S_IFREG | 0640);
	CHECK_EQ(st.nlink, 2);
	CHECK_EQ(st.uid, 4242);
	CHECK_EQ(st.gid, 4343);
	CHECK_EQ(st.blocks, 8);
	CHECK_EQ(st.mtime_ns, 2000000002ULL);
	CHECK_EQ(st.resv, 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_FSTAT, id, me), 0);
	CHECK(e.rq.len >= sizeof(st));
	CHECK(e.zero);

	/* FSYNC, FTRUNCATE */
	CHECK_EQ(rop(&r, USCHEME_OP_FSYNC, fd, 0, NULL, 0, 0, NULL, 0), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_FSYNC, id, me), 0);
	CHECK_EQ(e.rq.off, 0);
	CHECK_EQ(e.rq.len, 0);
	CHECK_EQ(rop(&r, USCHEME_OP_FTRUNCATE, fd, 12345, NULL, 0, 0, NULL, 0), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_FTRUNCATE, id, me), 0);
	CHECK_EQ(e.rq.off, 12345);
	CHECK_EQ(rop(&r, USCHEME_OP_FSTAT, fd, 0, &st, sizeof(st), 0, NULL, 0), 0);
	CHECK_EQ(st.size, 12345);
	cur++;

	/* DUP with a suffix and O_CLOEXEC; ops on the new fd carry the new id */
	fd2 = rop(&r, USCHEME_OP_DUP, fd, 0, "sub/x", 5, O_CLOEXEC, NULL, 0);
	CHECK(fd2 >= 0 && fd2 != fd);
	CHECK_EQ(fd_cloexec(fd2), 1);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_DUP, id, me), 0);
	CHECK_EQ(e.rq.len, 5);
	CHECK_EQ(memcmp(e.head, "sub/x", 5), 0);
	CHECK(e.nul);
	id2 = e.ans;
	CHECK(id2 != id);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd2, 3, b, 8, 0, NULL, 0), 8);
	CHECK_EQ(check_pat(b, 3, 8), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_READ, id2, me), 0);
	/* an empty suffix, no pointer */
	fd3 = rop(&r, USCHEME_OP_DUP, fd, 0, NULL, 0, 0, NULL, 0);
	CHECK(fd3 >= 0);
	CHECK_EQ(fd_cloexec(fd3), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_DUP, id, me), 0);
	CHECK_EQ(e.rq.len, 0);
	CHECK(e.nul);
	id3 = e.ans;

	/* CALL: input, output capacity, op_flags; output comes back */
	memset(out, 0xee, sizeof(out));
	CHECK_EQ(rop(&r, USCHEME_OP_CALL, fd, 0, in, 11, 0x1234, out, sizeof(out)), 11);
	for (i = 0; i < 11; i++)
		CHECK_EQ(out[i], (unsigned char)in[i] ^ 0xa5);
	CHECK_EQ(out[11], 0xee);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_CALL, id, me), 0);
	CHECK_EQ(e.rq.len, 11);
	CHECK_EQ(e.rq.len2, sizeof(out));
	CHECK_EQ(e.rq.op_flags, 0x1234);
	CHECK_EQ(e.crc, fnv(in, 11));
	CHECK(e.zero);		/* the output room beyond the input */
	CHECK_EQ(rop(&r, USCHEME_OP_CALL, fd, 0, in, 11, 0, out, 4), 4);
	CHECK_EQ(out[0], (unsigned char)'h' ^ 0xa5);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len2, 4);
	/* output only */
	CHECK_EQ(rop(&r, USCHEME_OP_CALL, fd, 0, NULL, 0, 0, out, 8), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, 0);
	CHECK_EQ(e.rq.len2, 8);
	CHECK(e.zero);

	/* A large id (INT32_MAX) is a legal OPEN answer and travels back */
	fdb = rop_open(&r, &dm, "bigid", O_RDONLY);
	CHECK(fdb >= 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	idb = e.ans;
	CHECK_EQ(idb, 0x7fffffff);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fdb, 0, b, 4, 0, NULL, 0), 4);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.id, 0x7fffffff);

	/* CLOSE: the fd is gone, the daemon is told (a notification) */
	CHECK_EQ(rop(&r, USCHEME_OP_CLOSE, fd3, 0, NULL, 0, 0, NULL, 0), 0);
	CHECK(fcntl(fd3, F_GETFD) < 0 && errno == EBADF);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)id3, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	CHECK_EQ(rop(&r, USCHEME_OP_CLOSE, fdb, 0, NULL, 0, 0, NULL, 0), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, 0x7fffffff, &e, SLOW_MS) >= 0);
	CHECK_EQ(close(fd2), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)id2, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	CHECK_EQ(close(fd), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)id, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	CHECK_EQ(rop(&r, USCHEME_OP_NOP, 0, 0, NULL, 0, 0, NULL, 0), 0);
	us_ring_exit(&r);
	return dstop(&dm);
}

/* ------------------------------------------------------------------ */
/* Every op through plain syscalls on a handle fd                      */
/* ------------------------------------------------------------------ */

static int t_syscall_ops(void)
{
	unsigned char b[256], w[200], out[64];
	const char *in = "call input";
	struct pollfd pfd;
	struct daemon dm;
	struct logent e;
	struct stat st;
	uint32_t cur;
	int64_t id, id2;
	int fd, fd2, fd3, fds;
	pid_t me = getpid();
	size_t i;

	dname(&dm, "sysops");
	CHECK_EQ(dstart(&dm, 0, 0), 0);

	/* flags: O_NONBLOCK lands on the fd and reaches the daemon, O_CLOEXEC does not */
	cur = LOAD(&dm.shm->nlog);
	fd = d_open(&dm, "nb", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	CHECK_EQ(fd_cloexec(fd), 1);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_OPEN, 0, me), 0);
	CHECK_EQ(e.rq.op_flags, O_RDONLY | O_NONBLOCK);
	CHECK_EQ(e.rq.len, 2);
	CHECK_EQ(memcmp(e.head, "nb", 2), 0);
	CHECK(e.nul);
	CHECK_EQ(close(fd), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)e.ans, &e, SLOW_MS) >= 0);
	cur = LOAD(&dm.shm->nlog);

	/* an empty path */
	fd = d_open(&dm, "", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, 0);
	CHECK(e.nul);
	CHECK_EQ(close(fd), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)e.ans, &e, SLOW_MS) >= 0);
	cur = LOAD(&dm.shm->nlog);

	fd = d_open(&dm, "plain", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(fd_cloexec(fd), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.op_flags, O_RDWR);
	id = e.ans;

	/* read(2) uses and advances the position */
	CHECK_EQ(read(fd, b, 100), 100);
	CHECK_EQ(check_pat(b, 0, 100), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_READ, id, me), 0);
	CHECK_EQ(e.rq.off, 0);
	CHECK_EQ(e.rq.len, 100);
	CHECK(e.zero);
	CHECK_EQ(read(fd, b, 50), 50);
	CHECK_EQ(check_pat(b, 100, 50), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.off, 100);
	/* lseek */
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 150);
	CHECK_EQ(lseek(fd, 1000, SEEK_SET), 1000);
	CHECK_EQ(read(fd, b, 10), 10);
	CHECK_EQ(check_pat(b, 1000, 10), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.off, 1000);
	CHECK_EQ(lseek(fd, 5, SEEK_CUR), 1015);
	/* pread leaves the position alone */
	CHECK_EQ(pread(fd, b, 64, 4000), 64);
	CHECK_EQ(check_pat(b, 4000, 64), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.off, 4000);
	CHECK_EQ(e.rq.len, 64);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 1015);
	/* write, pwrite */
	fill_bytes(w, sizeof(w), 2);
	CHECK_EQ(write(fd, w, sizeof(w)), (ssize_t)sizeof(w));
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_WRITE, id, me), 0);
	CHECK_EQ(e.rq.off, 1015);
	CHECK_EQ(e.rq.len, sizeof(w));
	CHECK_EQ(e.crc, fnv(w, sizeof(w)));
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 1215);
	CHECK_EQ(pwrite(fd, w + 10, 33, 9), 33);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.off, 9);
	CHECK_EQ(e.rq.len, 33);
	CHECK_EQ(e.crc, fnv(w + 10, 33));
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 1215);

	/* fstat: struct uscheme_stat as Linux's struct stat */
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, SIZE_DEFAULT);
	CHECK_EQ(st.st_mode, S_IFREG | 0640);
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(st.st_uid, 4242);
	CHECK_EQ(st.st_gid, 4343);
	CHECK_EQ(st.st_blocks, 8);
	CHECK_EQ(st.st_blksize, sysconf(_SC_PAGESIZE));
	CHECK_EQ(st.st_atim.tv_sec, 1);
	CHECK_EQ(st.st_atim.tv_nsec, 1);
	CHECK_EQ(st.st_mtim.tv_sec, 2);
	CHECK_EQ(st.st_mtim.tv_nsec, 2);
	CHECK_EQ(st.st_ctim.tv_sec, 3);
	CHECK_EQ(st.st_ctim.tv_nsec, 3);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_FSTAT, id, me), 0);
	CHECK(e.zero);

	/* fsync, ftruncate */
	CHECK_EQ(fsync(fd), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_FSYNC, id, me), 0);
	CHECK_EQ(ftruncate(fd, 777), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_FTRUNCATE, id, me), 0);
	CHECK_EQ(e.rq.off, 777);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 777);
	cur++;
	/* end of file: a short read, then 0 */
	CHECK_EQ(pread(fd, b, 100, 700), 77);
	CHECK_EQ(check_pat(b, 700, 77), 0);
	CHECK_EQ(pread(fd, b, 100, 777), 0);
	cur += 2;

	/* USCHEME_HIOC_DUP */
	fd2 = h_dup(fd, "dup-suffix", 10, 0);
	CHECK(fd2 >= 0);
	CHECK_EQ(fd_cloexec(fd2), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_DUP, id, me), 0);
	CHECK_EQ(e.rq.len, 10);
	CHECK_EQ(memcmp(e.head, "dup-suffix", 10), 0);
	CHECK(e.nul);
	id2 = e.ans;
	CHECK_EQ(pread(fd2, b, 16, 1), 16);
	CHECK_EQ(check_pat(b, 1, 16), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.id, id2);
	fd3 = h_dup(fd, NULL, 0, O_CLOEXEC);
	CHECK(fd3 >= 0);
	CHECK_EQ(fd_cloexec(fd3), 1);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, 0);
	CHECK(e.nul);
	/* a daemon's DUP error */
	CHECK_EQ(h_dup(fd, "eacces", 6, 0), -EACCES);
	cur++;

	/* USCHEME_HIOC_CALL */
	memset(out, 0xee, sizeof(out));
	CHECK_EQ(h_call(fd, in, 10, 0xabc, out, sizeof(out)), 10);
	for (i = 0; i < 10; i++)
		CHECK_EQ(out[i], (unsigned char)in[i] ^ 0xa5);
	CHECK_EQ(out[10], 0xee);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_CALL, id, me), 0);
	CHECK_EQ(e.rq.len, 10);
	CHECK_EQ(e.rq.len2, sizeof(out));
	CHECK_EQ(e.rq.op_flags, 0xabc);
	CHECK_EQ(e.crc, fnv(in, 10));
	CHECK(e.zero);

	/* poll: a handle fd is pollable (no POLLNVAL/POLLERR while the daemon lives) */
	pfd.fd = fd;
	pfd.events = POLLIN | POLLOUT;
	pfd.revents = 0;
	CHECK(poll(&pfd, 1, 0) >= 0);
	CHECK_EQ(pfd.revents & (POLLNVAL | POLLERR), 0);

	/* a "small" handle: reads stop at its size */
	fds = d_open(&dm, "small", O_RDONLY);
	CHECK(fds >= 0);
	CHECK_EQ(pread(fds, b, 100, 990), 10);
	CHECK_EQ(check_pat(b, 990, 10), 0);
	CHECK_EQ(read(fds, b, sizeof(b)), (ssize_t)sizeof(b));
	CHECK_EQ(lseek(fds, 0, SEEK_CUR), (off_t)sizeof(b));

	/* close: one CLOSE per handle, with its id */
	cur = LOAD(&dm.shm->nlog);
	CHECK_EQ(close(fd2), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)id2, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	CHECK_EQ(close(fd), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)id, &e, SLOW_MS) >= 0);
	CHECK_EQ(close(fd3), 0);
	CHECK_EQ(close(fds), 0);
	CHECK_EQ(wait_u32(&dm.shm->nclose, 6, SLOW_MS), 0);	/* nb, "", + 4 here */
	usleep(100 * 1000);
	CHECK_EQ(LOAD(&dm.shm->nclose), 6);
	return dstop(&dm);
}

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

static int t_open_errors(void)
{
	static char longp[5000];
	struct daemon dm;
	struct us_ring r;
	struct logent e;
	char path[128];
	uint32_t cur;
	size_t nl;
	int fd;

	dname(&dm, "openerr");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	CHECK_EQ(cring(&r, 8), 0);
	cur = LOAD(&dm.shm->nlog);

	/* no such scheme */
	snprintf(path, sizeof(path), "rt-nosuch-%d:x", (int)getpid());
	CHECK_EQ(h_open(path, O_RDONLY), -ENOENT);
	CHECK_EQ(rop(&r, USCHEME_OP_OPEN, 0, 0, path, (uint32_t)strlen(path) + 1, O_RDONLY,
		     NULL, 0), -ENOENT);
	/* no ':' */
	CHECK_EQ(h_open(dm.name, O_RDONLY), -EINVAL);
	CHECK_EQ(rop(&r, USCHEME_OP_OPEN, 0, 0, dm.name, (uint32_t)strlen(dm.name) + 1,
		     O_RDONLY, NULL, 0), -EINVAL);
	/* a bad name */
	CHECK_EQ(h_open("Bad Name:x", O_RDONLY), -EINVAL);
	CHECK_EQ(h_open(":x", O_RDONLY), -EINVAL);
	/* bad flags */
	snprintf(path, sizeof(path), "%s:x", dm.name);
	CHECK_EQ(h_open(path, O_RDONLY | O_SYNC), -EINVAL);
	CHECK_EQ(h_open(path, O_RDONLY | O_PATH), -EINVAL);
	CHECK_EQ(h_open(path, O_RDONLY | 0x80000000U), -EINVAL);
	CHECK_EQ(rop(&r, USCHEME_OP_OPEN, 0, 0, path, (uint32_t)strlen(path) + 1,
		     O_RDWR | O_NOFOLLOW, NULL, 0), -EINVAL);
	/* too long: a path of USCHEME_PATH_MAX bytes without its NUL */
	nl = strlen(dm.name);
	memset(longp, 'a', sizeof(longp));
	memcpy(longp, dm.name, nl);
	longp[nl] = ':';
	longp[USCHEME_PATH_MAX] = '\0';
	CHECK_EQ(h_open(longp, O_RDONLY), -ENAMETOOLONG);
	CHECK_EQ(rop(&r, USCHEME_OP_OPEN, 0, 0, longp, USCHEME_PATH_MAX + 1, O_RDONLY,
		     NULL, 0), -ENAMETOOLONG);
	longp[USCHEME_PATH_MAX] = 'a';
	longp[sizeof(longp) - 1] = '\0';
	CHECK_EQ(h_open(longp, O_RDONLY), -ENAMETOOLONG);
	/* no NUL within len */
	{
		int32_t res = rop(&r, USCHEME_OP_OPEN, 0, 0, path, (uint32_t)strlen(path),
				  O_RDONLY, NULL, 0);

		CHECK(res == -EINVAL || res == -ENAMETOOLONG);
	}
	/* none of these reached the daemon */
	usleep(50 * 1000);
	CHECK_EQ(LOAD(&dm.shm->nlog), cur);

	/* the longest path does: USCHEME_PATH_MAX bytes with the NUL */
	longp[USCHEME_PATH_MAX - 1] = '\0';
	fd = h_open(longp, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, USCHEME_PATH_MAX - 1 - nl - 1);
	CHECK_EQ(e.crc, fnv(longp + nl + 1, e.rq.len));
	CHECK(e.nul);
	close(fd);
	fd = rop(&r, USCHEME_OP_OPEN, 0, 0, longp, USCHEME_PATH_MAX, O_RDONLY, NULL, 0);
	CHECK(fd >= 0);
	close(fd);

	/* daemon errors pass unchanged */
	CHECK_EQ(d_open(&dm, "eacces", O_RDONLY), -EACCES);
	CHECK_EQ(rop_open(&r, &dm, "eacces", O_RDONLY), -EACCES);
	CHECK_EQ(d_open(&dm, "enoent", O_RDWR), -ENOENT);
	CHECK_EQ(rop_open(&r, &dm, "enoent", O_RDWR), -ENOENT);
	/* 2 opens that worked + 4 errors, then 2 CLOSEs */
	CHECK_EQ(wait_u32(&dm.shm->nclose, 2, SLOW_MS), 0);
	CHECK_EQ(log_count(dm.shm, cur - 1, USCHEME_OP_OPEN), 6);
	CHECK_EQ(log_count(dm.shm, cur - 1, -1), 8);
	us_ring_exit(&r);
	return dstop(&dm);
}

static int t_op_errors(void)
{
	unsigned char b[64], *big;
	struct uscheme_sqe s;
	struct uscheme_open o;
	struct uscheme_dup du;
	struct uscheme_call ca;
	struct daemon dm;
	struct us_ring r;
	int fro, fwo, frw, fsp, p[2], nul, i;
	uint32_t cur;

	dname(&dm, "operr");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	CHECK_EQ(cring(&r, 8), 0);
	fro = d_open(&dm, "plain", O_RDONLY);
	fwo = d_open(&dm, "plain", O_WRONLY);
	frw = d_open(&dm, "plain", O_RDWR);
	fsp = d_open(&dm, "enospc", O_RDWR);
	CHECK(fro >= 0 && fwo >= 0 && frw >= 0 && fsp >= 0);
	CHECK_EQ(pipe(p), 0);
	nul = open("/dev/null", O_RDWR | O_CLOEXEC);
	CHECK(nul >= 0);
	big = calloc(1, USCHEME_IO_MAX + 1);
	CHECK(big);
	cur = LOAD(&dm.shm->nlog);

	/* the access mode */
	CHECK_EQ(sysres(read(fwo, b, 8)), -EBADF);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fwo, 0, b, 8, 0, NULL, 0), -EBADF);
	CHECK_EQ(sysres(write(fro, b, 8)), -EBADF);
	CHECK_EQ(rop(&r, USCHEME_OP_WRITE, fro, 0, b, 8, 0, NULL, 0), -EBADF);
	/* not a handle */
	CHECK_EQ(rop(&r, USCHEME_OP_READ, p[0], 0, b, 8, 0, NULL, 0), -EBADF);
	CHECK_EQ(rop(&r, USCHEME_OP_WRITE, nul, 0, b, 8, 0, NULL, 0), -EBADF);
	CHECK_EQ(rop(&r, USCHEME_OP_FSTAT, r.fd, 0, b, 64, 0, NULL, 0), -EBADF);
	CHECK_EQ(rop(&r, USCHEME_OP_FSYNC, dev(), 0, NULL, 0, 0, NULL, 0), -EBADF);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, 999999, 0, b, 8, 0, NULL, 0), -EBADF);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, -1, 0, b, 8, 0, NULL, 0), -EBADF);
	CHECK_EQ(rop(&r, USCHEME_OP_DUP, p[1], 0, NULL, 0, 0, NULL, 0), -EBADF);
	CHECK_EQ(rop(&r, USCHEME_OP_CALL, nul, 0, b, 4, 0, b, 4), -EBADF);
	/* CALL buffers beyond USCHEME_IO_MAX */
	CHECK_EQ(h_call(frw, big, USCHEME_IO_MAX + 1, 0, b, 8), -E2BIG);
	CHECK_EQ(h_call(frw, b, 8, 0, big, USCHEME_IO_MAX + 1), -E2BIG);
	CHECK_EQ(rop(&r, USCHEME_OP_CALL, frw, 0, big, USCHEME_IO_MAX + 1, 0, b, 8), -E2BIG);
	CHECK_EQ(rop(&r, USCHEME_OP_CALL, frw, 0, b, 8, 0, big, USCHEME_IO_MAX + 1), -E2BIG);
	/* FSTAT room smaller than struct uscheme_stat */
	CHECK_EQ(rop(&r, USCHEME_OP_FSTAT, frw, 0, b, sizeof(struct uscheme_stat) - 1, 0,
		     NULL, 0), -EINVAL);

	/* reserved fields and fields an op does not name: -EINVAL */
	sqe_fill(&s, USCHEME_OP_READ, frw, 0, b, 8, 0, NULL, 0, 0);
	s.flags = 1;
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	s.flags = 0x80;
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	s.flags = 0;
	s.ioprio = 1;
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	s.ioprio = 0;
	s.resv0 = 1;
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	s.resv0 = 0;
	s.resv1 = 1ULL << 63;
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	s.resv1 = 0;
	s.addr2 = (uintptr_t)b;
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	s.addr2 = 0;
	s.len2 = 4;
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	s.len2 = 0;
	s.op_flags = 1;
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	s.op_flags = 0;
	CHECK_EQ(rop_sqe(&r, &s), 8);	/* the same SQE, clean */
	sqe_fill(&s, USCHEME_OP_FSYNC, frw, 1, NULL, 0, 0, NULL, 0, 0);
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);	/* FSYNC has no offset */
	sqe_fill(&s, USCHEME_OP_FSYNC, frw, 0, b, 0, 0, NULL, 0, 0);
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	sqe_fill(&s, USCHEME_OP_FSTAT, frw, 7, b, 64, 0, NULL, 0, 0);
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	sqe_fill(&s, USCHEME_OP_DUP, frw, 0, NULL, 0, O_NONBLOCK, NULL, 0, 0);
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);	/* DUP takes 0 or O_CLOEXEC */
	sqe_fill(&s, USCHEME_OP_LAST, frw, 0, NULL, 0, 0, NULL, 0, 0);
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	s.opcode = 0xff;
	CHECK_EQ(rop_sqe(&r, &s), -EINVAL);
	sqe_fill(&s, USCHEME_OP_CANCEL, 0, 0, (void *)(uintptr_t)0x999, 0, 0, NULL, 0, 0);
	CHECK_EQ(rop_sqe(&r, &s), -ENOENT);

	/* ... and in the ioctl arguments */
	for (i = 0; i < 2; i++) {
		char path[128];

		snprintf(path, sizeof(path), "%s:plain", dm.name);
		memset(&o, 0, sizeof(o));
		o.path = (uintptr_t)path;
		o.flags = O_RDONLY;
		o.resv[i] = 1;
		CHECK(ioctl(dev(), USCHEME_IOC_OPEN, &o) < 0 && errno == EINVAL);
	}
	memset(&du, 0, sizeof(du));
	du.resv0 = 1;
	CHECK(ioctl(frw, USCHEME_HIOC_DUP, &du) < 0 && errno == EINVAL);
	du.resv0 = 0;
	du.resv[1] = 1;
	CHECK(ioctl(frw, USCHEME_HIOC_DUP, &du) < 0 && errno == EINVAL);
	CHECK_EQ(h_dup(frw, NULL, 0, O_NONBLOCK), -EINVAL);
	CHECK_EQ(h_dup(frw, (const char *)big, USCHEME_PATH_MAX + 1, 0), -ENAMETOOLONG);
	memset(&ca, 0, sizeof(ca));
	ca.in = (uintptr_t)b;
	ca.in_len = 4;
	ca.out = (uintptr_t)b;
	ca.out_len = 4;
	ca.resv[0] = 1;
	CHECK(ioctl(frw, USCHEME_HIOC_CALL, &ca) < 0 && errno == EINVAL);
	/* handle ioctls on a ring fd, and an unknown handle ioctl */
	CHECK(ioctl(r.fd, USCHEME_HIOC_CALL, &ca) < 0);
	CHECK(ioctl(frw, _IO(USCHEME_IOC_MAGIC, 0x3f)) < 0 && errno == ENOTTY);
	/* nothing so far reached the daemon except the one clean READ */
	usleep(50 * 1000);
	CHECK_EQ(LOAD(&dm.shm->nlog), cur + 1);

	/* a daemon's errors pass unchanged */
	CHECK_EQ(sysres(write(fsp, b, 8)), -ENOSPC);
	CHECK_EQ(sysres(pwrite(fsp, b, 8, 100)), -ENOSPC);
	CHECK_EQ(rop(&r, USCHEME_OP_WRITE, fsp, 0, b, 8, 0, NULL, 0), -ENOSPC);
	CHECK_EQ(h_call(frw, b, 4, CALL_EACCES, b, 4), -EACCES);
	CHECK_EQ(rop(&r, USCHEME_OP_CALL, frw, 0, b, 4, CALL_EACCES, b, 4), -EACCES);
	CHECK_EQ(LOAD(&dm.shm->nlog), cur + 6);
	/* the handles still work */
	CHECK_EQ(pread(fro, b, 8, 8), 8);
	CHECK_EQ(check_pat(b, 8, 8), 0);
	CHECK_EQ(pwrite(fwo, b, 8, 8), 8);
	free(big);
	us_ring_exit(&r);
	return dstop(&dm);
}

/* ------------------------------------------------------------------ */
/* 1 MiB in one request                                                */
/* ------------------------------------------------------------------ */

static int t_big_io(void)
{
	unsigned char *b = malloc(USCHEME_IO_MAX + 8192), *o = malloc(USCHEME_IO_MAX);
	struct daemon dm;
	struct us_ring r;
	struct logent e;
	uint32_t cur;
	size_t i;
	int fd;

	CHECK(b && o);
	dname(&dm, "bigio");
	CHECK_EQ(dstart(&dm, 0, 4 * MIB), 0);
	CHECK_EQ(cring(&r, 8), 0);
	fd = d_open(&dm, "plain", O_RDWR);
	CHECK(fd >= 0);
	cur = LOAD(&dm.shm->nlog);

	/* READ: one request, a zeroed 1 MiB chunk, every byte back */
	memset(b, 0xee, USCHEME_IO_MAX);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, 4096, b, USCHEME_IO_MAX, 0, NULL, 0),
		 USCHEME_IO_MAX);
	CHECK_EQ(check_pat(b, 4096, USCHEME_IO_MAX), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_READ);
	CHECK_EQ(e.rq.len, USCHEME_IO_MAX);
	CHECK(e.zero);
	memset(b, 0xee, USCHEME_IO_MAX);
	CHECK_EQ(read(fd, b, USCHEME_IO_MAX), USCHEME_IO_MAX);
	CHECK_EQ(check_pat(b, 0, USCHEME_IO_MAX), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, USCHEME_IO_MAX);
	CHECK(e.zero);
	/* longer than USCHEME_IO_MAX: shortened */
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, 0, b, USCHEME_IO_MAX + 8192, 0, NULL, 0),
		 USCHEME_IO_MAX);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, USCHEME_IO_MAX);
	CHECK_EQ(pread(fd, b, USCHEME_IO_MAX + 8192, 0), USCHEME_IO_MAX);
	CHECK_EQ(check_pat(b, 0, USCHEME_IO_MAX), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, USCHEME_IO_MAX);

	/* WRITE: one request carrying the whole payload */
	fill_bytes(b, USCHEME_IO_MAX + 8192, 77);
	CHECK_EQ(rop(&r, USCHEME_OP_WRITE, fd, 0, b, USCHEME_IO_MAX, 0, NULL, 0),
		 USCHEME_IO_MAX);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_WRITE);
	CHECK_EQ(e.rq.len, USCHEME_IO_MAX);
	CHECK_EQ(e.crc, fnv(b, USCHEME_IO_MAX));
	CHECK_EQ(pwrite(fd, b + 8192, USCHEME_IO_MAX, 5), USCHEME_IO_MAX);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, USCHEME_IO_MAX);
	CHECK_EQ(e.rq.off, 5);
	CHECK_EQ(e.crc, fnv(b + 8192, USCHEME_IO_MAX));
	CHECK_EQ(write(fd, b + 1, USCHEME_IO_MAX + 4096), USCHEME_IO_MAX);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, USCHEME_IO_MAX);
	CHECK_EQ(e.crc, fnv(b + 1, USCHEME_IO_MAX));

	/* CALL: 1 MiB in, 1 MiB out */
	memset(o, 0, USCHEME_IO_MAX);
	CHECK_EQ(h_call(fd, b, USCHEME_IO_MAX, 0, o, USCHEME_IO_MAX), USCHEME_IO_MAX);
	for (i = 0; i < USCHEME_IO_MAX; i++)
		if (o[i] != (b[i] ^ 0xa5))
			break;
	CHECK_EQ(i, USCHEME_IO_MAX);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, USCHEME_IO_MAX);
	CHECK_EQ(e.crc, fnv(b, USCHEME_IO_MAX));
	memset(o, 0, USCHEME_IO_MAX);
	CHECK_EQ(rop(&r, USCHEME_OP_CALL, fd, 0, b, 100, 0, o, USCHEME_IO_MAX), 100);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK(e.zero);		/* 1 MiB of output room, zeroed beyond the input */
	free(b);
	free(o);
	close(fd);
	us_ring_exit(&r);
	return dstop(&dm);
}

/* More requests than the daemon's queue and data area hold at once: they wait. */
enum { BP_NBIG = 4, BP_NSMALL = 60 };

static int bp_client(void *p)
{
	const struct daemon *dm = p;
	unsigned char *big[BP_NBIG], (*small)[1000] = calloc(BP_NSMALL, 1000);
	uint64_t ud[BP_NBIG + BP_NSMALL];
	int32_t res[BP_NBIG + BP_NSMALL];
	struct us_ring r;
	int fd, i, n;

	CHECK(small);
	CHECK_EQ(cring(&r, 128), 0);
	fd = d_open(dm, "plain", O_RDONLY);
	CHECK(fd >= 0);
	for (i = 0; i < BP_NBIG; i++) {
		big[i] = malloc(MIB);
		CHECK(big[i]);
		CHECK_EQ(queue(&r, USCHEME_OP_READ, fd, (uint64_t)i * 4096, big[i], MIB, 0,
			       NULL, 0, 1000 + i), 0);
	}
	for (i = 0; i < BP_NSMALL; i++)
		CHECK_EQ(queue(&r, USCHEME_OP_READ, fd, (uint64_t)i * 77, small[i], 1000, 0,
			       NULL, 0, 2000 + i), 0);
	CHECK_EQ(us_submit(&r), BP_NBIG + BP_NSMALL);
	n = reap(&r, BP_NBIG + BP_NSMALL, ud, res, 60000);
	CHECK_EQ(n, BP_NBIG + BP_NSMALL);
	for (i = 0; i < BP_NBIG; i++) {
		CHECK_EQ(res_of(ud, res, n, 1000 + i), MIB);
		CHECK_EQ(check_pat(big[i], (uint64_t)i * 4096, MIB), 0);
		free(big[i]);
	}
	for (i = 0; i < BP_NSMALL; i++) {
		CHECK_EQ(res_of(ud, res, n, 2000 + i), 1000);
		CHECK_EQ(check_pat(small[i], (uint64_t)i * 77, 1000), 0);
	}
	free(small);
	close(fd);
	us_ring_exit(&r);
	return 0;
}

static int t_backpressure(void)
{
	struct daemon dm;
	pid_t pid;
	int st;

	/* a 2 MiB data area: at most two 1 MiB READs fit at once */
	dname(&dm, "bp");
	CHECK_EQ(dstart(&dm, 4, USCHEME_DATA_MIN), 0);
	pid = spawn(bp_client, &dm);
	CHECK(pid > 0);
	st = wait_exit(pid, 30000);
	if (st < 0)
		fprintf(stderr, "  the client stalled: the daemon received %u requests "
			"(1 OPEN + %d READs submitted in one enter) and answered all of them\n",
			LOAD(&dm.shm->served), BP_NBIG + BP_NSMALL);
	CHECK(exited_ok(st));
	/* OPEN, the READs, and the CLOSE sent when the client exited */
	CHECK_EQ(wait_u32(&dm.shm->served, 2 + BP_NBIG + BP_NSMALL, SLOW_MS), 0);
	CHECK_EQ(LOAD(&dm.shm->served), 2 + BP_NBIG + BP_NSMALL);
	return dstop(&dm);
}

/*
 * Answers a client has not reaped yet must not keep the daemon's data area:
 * one client submits two 1 MiB READs and does not enter its ring for a
 * while; another client's 1 MiB read must still go through.
 */
struct unreaped_arg {
	const struct daemon *dm;
	int sock;
};

static int unreaped_client(void *p)
{
	const struct unreaped_arg *a = p;
	unsigned char *b0 = malloc(MIB), *b1 = malloc(MIB);
	uint64_t ud[2];
	int32_t res[2];
	struct us_ring r;
	int fd, n;
	char c;

	CHECK(b0 && b1);
	CHECK_EQ(cring(&r, 4), 0);
	fd = d_open(a->dm, "plain", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(queue(&r, USCHEME_OP_READ, fd, 0, b0, MIB, 0, NULL, 0, 1), 0);
	CHECK_EQ(queue(&r, USCHEME_OP_READ, fd, 8192, b1, MIB, 0, NULL, 0, 2), 0);
	CHECK_EQ(us_submit(&r), 2);
	CHECK_EQ(write(a->sock, "s", 1), 1);
	CHECK_EQ(read(a->sock, &c, 1), 1);	/* reap only when told */
	n = reap(&r, 2, ud, res, SLOW_MS);
	CHECK_EQ(n, 2);
	CHECK_EQ(res_of(ud, res, n, 1), MIB);
	CHECK_EQ(res_of(ud, res, n, 2), MIB);
	CHECK_EQ(check_pat(b0, 0, MIB), 0);
	CHECK_EQ(check_pat(b1, 8192, MIB), 0);
	free(b0);
	free(b1);
	close(fd);
	us_ring_exit(&r);
	return 0;
}

static int pread_1mib(void *p)
{
	const struct daemon *dm = p;
	unsigned char *b = malloc(MIB);
	int fd;

	CHECK(b);
	fd = d_open(dm, "plain", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, b, MIB, 4096), MIB);
	CHECK_EQ(check_pat(b, 4096, MIB), 0);
	free(b);
	close(fd);
	return 0;
}

static int t_unreaped_answers_free_data(void)
{
	struct unreaped_arg a;
	struct daemon dm;
	pid_t pa, pb;
	int sv[2], st;
	char c;

	dname(&dm, "unreaped");
	CHECK_EQ(dstart(&dm, 0, USCHEME_DATA_MIN), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	a.dm = &dm;
	a.sock = sv[1];
	pa = spawn(unreaped_client, &a);
	CHECK(pa > 0);
	CHECK_EQ(read(sv[0], &c, 1), 1);
	/* the daemon answered both (OPEN + 2 READs) */
	CHECK_EQ(wait_u32(&dm.shm->served, 3, SLOW_MS), 0);
	usleep(100 * 1000);
	pb = spawn(pread_1mib, &dm);
	CHECK(pb > 0);
	st = wait_exit(pb, 10000);
	if (st < 0)
		fprintf(stderr, "  a 1 MiB pread stayed blocked while another client's two "
			"answered, unreaped 1 MiB READs held the 2 MiB data area\n");
	CHECK_EQ(write(sv[0], "r", 1), 1);
	CHECK(exited_ok(wait_exit(pa, SLOW_MS)));
	CHECK(exited_ok(st));
	close(sv[0]);
	close(sv[1]);
	return dstop(&dm);
}

/* ------------------------------------------------------------------ */
/* A malicious daemon                                                  */
/* ------------------------------------------------------------------ */

static int rejected_is(struct daemon *dm, uint32_t want)
{
	CHECK_EQ(wait_u32(&dm->shm->rejected, want, SLOW_MS), 0);
	CHECK_EQ(LOAD(&dm->shm->rejected), want);
	return 0;
}

/* USCHEME_CQE_F_FD: a daemon answers OPEN with one of its own open files. */
static int t_passed_fd(void)
{
	char b[16];
	struct daemon dm;
	struct us_ring r;
	struct stat st;
	uint32_t rej = 0;
	int32_t fd;

	dname(&dm, "passfd");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	dm.shm->track = 1;
	CHECK_EQ(cring(&r, 8), 0);
	/* a blocking open: the pipe the daemon made, with the client's O_CLOEXEC */
	fd = d_open(&dm, "passfd", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK(S_ISFIFO(st.st_mode));
	CHECK_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
	CHECK_EQ(read(fd, b, sizeof(b)), 7);
	CHECK(!memcmp(b, "passed\n", 7));
	close(fd);
	/* the same through a ring OPEN */
	fd = rop_open(&r, &dm, "passfd", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_GETFD) & FD_CLOEXEC, 0);
	CHECK_EQ(read(fd, b, sizeof(b)), 7);
	close(fd);
	CHECK_EQ(LOAD(&dm.shm->rejected), 0);
	/* not an open fd of the daemon's: -EIO, counted */
	CHECK_EQ(d_open(&dm, "passfd-bad", O_RDONLY), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	CHECK_EQ(rop_open(&r, &dm, "passfd-bad", O_RDONLY), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	/* a file passed in answer to a READ: -EIO, counted, nothing installed */
	fd = d_open(&dm, "passfd-read", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(sysres(pread(fd, b, 4, 0)), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	CHECK_EQ(fcntl(fd + 1, F_GETFD), -1);
	close(fd);
	us_ring_exit(&r);
	return dstop(&dm);
}

static int t_evil_daemon(void)
{
	unsigned char b[64];
	struct daemon dm;
	struct us_ring r;
	struct stat st;
	uint32_t rej = 0;
	int fd;

	dname(&dm, "evil");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	dm.shm->track = 1;
	CHECK_EQ(cring(&r, 8), 0);
	usleep(50 * 1000);
	CHECK_EQ(LOAD(&dm.shm->rejected), 0);

	/* OPEN answered with res < -4095 */
	CHECK_EQ(d_open(&dm, "open-evil", O_RDONLY), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	CHECK_EQ(rop_open(&r, &dm, "open-evil", O_RDONLY), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);

	/* READ result > len */
	fd = d_open(&dm, "read-big", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(sysres(pread(fd, b, 16, 0)), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, 0, b, 16, 0, NULL, 0), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	/* res < -4095 */
	fd = d_open(&dm, "read-neg", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(sysres(read(fd, b, 16)), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	/*
	 * -4095 is beyond the userspace errnos (1..USCHEME_ERRNO_MAX): like the
	 * kernel-internal codes, it becomes -EIO (tests/harden/daemon_errno.c
	 * covers the whole range).
	 */
	fd = d_open(&dm, "e4095", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, 0, b, 16, 0, NULL, 0), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	/* WRITE result > len */
	fd = d_open(&dm, "write-big", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(sysres(pwrite(fd, b, 16, 0)), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	/* FSTAT with res > 0 (an unknown file type: evil_fstat_mode) */
	fd = d_open(&dm, "fstat-res", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(sysres(fstat(fd, &st)), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	/* FSYNC, FTRUNCATE answered with res > 0 */
	fd = d_open(&dm, "fsync-res", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(sysres(fsync(fd)), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	fd = d_open(&dm, "ftrunc-res", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(sysres(ftruncate(fd, 10)), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	/* CALL result > len2 */
	fd = d_open(&dm, "call-big", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(h_call(fd, b, 8, 0, b + 8, 8), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	/* DUP answered with res < -4095 */
	fd = d_open(&dm, "dup-neg", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(h_dup(fd, "x", 1, 0), -EIO);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	/* an unknown tag is dropped and counted; the real answer still counts */
	fd = d_open(&dm, "unknown-tag", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, b, 16, 3), 16);
	CHECK_EQ(check_pat(b, 3, 16), 0);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);
	/* a duplicate answer is dropped and counted */
	fd = d_open(&dm, "twice", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, b, 16, 9), 16);
	CHECK_EQ(check_pat(b, 9, 16), 0);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	CHECK_EQ(pread(fd, b, 16, 9), 16);
	CHECK_EQ(rejected_is(&dm, ++rej), 0);
	close(fd);

	/* the scheme still serves */
	fd = d_open(&dm, "plain", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, b, 32, 1), 32);
	CHECK_EQ(check_pat(b, 1, 32), 0);
	close(fd);
	usleep(100 * 1000);
	CHECK_EQ(LOAD(&dm.shm->rejected), rej);
	us_ring_exit(&r);
	return dstop(&dm);
}

/* FSTAT answered with a file type the kernel does not know: -EIO, counted. */
static int t_evil_fstat_mode(void)
{
	struct uscheme_stat ust;
	struct daemon dm;
	struct us_ring r;
	struct stat st;
	int fd;

	dname(&dm, "evilmode");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	dm.shm->track = 1;
	CHECK_EQ(cring(&r, 8), 0);
	fd = d_open(&dm, "fstat-mode", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(rop(&r, USCHEME_OP_FSTAT, fd, 0, &ust, sizeof(ust), 0, NULL, 0), -EIO);
	CHECK_EQ(rejected_is(&dm, 1), 0);
	CHECK_EQ(sysres(fstat(fd, &st)), -EIO);
	CHECK_EQ(rejected_is(&dm, 2), 0);
	close(fd);
	us_ring_exit(&r);
	return dstop(&dm);
}

/* ------------------------------------------------------------------ */
/* Cancellation                                                        */
/* ------------------------------------------------------------------ */

static int t_cancel(void)
{
	unsigned char b[64];
	uint64_t ud[4];
	int32_t res[4];
	struct daemon dm;
	struct us_ring r;
	struct logent e;
	uint64_t tag;
	uint32_t cur;
	int fd, probe, n;

	dname(&dm, "cancel");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	CHECK_EQ(cring(&r, 8), 0);
	fd = d_open(&dm, "plain", O_RDONLY);
	CHECK(fd >= 0);
	cur = LOAD(&dm.shm->nlog);

	/* a READ the daemon holds */
	CHECK_EQ(queue(&r, USCHEME_OP_READ, fd, HANG_OFF, b, sizeof(b), 0, NULL, 0, 0x111), 0);
	CHECK_EQ(us_submit(&r), 1);
	CHECK_EQ(wait_u32(&dm.shm->nheld, 1, SLOW_MS), 0);
	tag = dm.shm->held[0].tag;
	/* CANCEL it: -ECANCELED for it, 0 for the CANCEL */
	CHECK_EQ(queue(&r, USCHEME_OP_CANCEL, 0, 0, (void *)(uintptr_t)0x111, 0, 0, NULL, 0,
		       0x222), 0);
	CHECK_EQ(us_submit(&r), 1);
	n = reap(&r, 2, ud, res, SLOW_MS);
	CHECK_EQ(n, 2);
	CHECK_EQ(res_of(ud, res, n, 0x111), -ECANCELED);
	CHECK_EQ(res_of(ud, res, n, 0x222), 0);
	/* the daemon is told: a CANCEL naming the tag */
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CANCEL, tag, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CANCEL), 0);
	CHECK_EQ(LOAD(&dm.shm->ncancel), 1);
	/* nothing left to cancel */
	CHECK_EQ(rop(&r, USCHEME_OP_CANCEL, 0, 0, (void *)(uintptr_t)0x111, 0, 0, NULL, 0),
		 -ENOENT);
	/* the late answer is discarded: no CQE for it */
	CHECK_EQ(dcmd(&dm, CMD_ANSWER_HELD, 64), 0);
	usleep(100 * 1000);
	CHECK_EQ(rop(&r, USCHEME_OP_NOP, 0, 0, NULL, 0, 0, NULL, 0), 0);
	CHECK_EQ(us_cq_ready(&r), 0);
	/* and the handle serves on */
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, 0, b, 16, 0, NULL, 0), 16);
	CHECK_EQ(check_pat(b, 0, 16), 0);

	/* an OPEN cancelled, then completed anyway: the kernel closes it for us */
	probe = open("/dev/null", O_RDONLY);	/* the lowest free descriptor */
	CHECK(probe >= 0);
	close(probe);
	cur = LOAD(&dm.shm->nlog);
	{
		char path[128];

		snprintf(path, sizeof(path), "%s:hang-open", dm.name);
		CHECK_EQ(queue(&r, USCHEME_OP_OPEN, 0, 0, path, (uint32_t)strlen(path) + 1,
			       O_RDONLY, NULL, 0, 0x333), 0);
		CHECK_EQ(us_submit(&r), 1);
	}
	CHECK_EQ(wait_u32(&dm.shm->nheld, 2, SLOW_MS), 0);
	tag = dm.shm->held[1].tag;
	CHECK_EQ(queue(&r, USCHEME_OP_CANCEL, 0, 0, (void *)(uintptr_t)0x333, 0, 0, NULL, 0,
		       0x444), 0);
	CHECK_EQ(us_submit(&r), 1);
	n = reap(&r, 2, ud, res, SLOW_MS);
	CHECK_EQ(n, 2);
	CHECK_EQ(res_of(ud, res, n, 0x333), -ECANCELED);
	CHECK_EQ(res_of(ud, res, n, 0x444), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CANCEL, tag, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CANCEL), 0);
	CHECK_EQ(dcmd(&dm, CMD_ANSWER_HELD, 777), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, 777, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	CHECK_EQ(rop(&r, USCHEME_OP_NOP, 0, 0, NULL, 0, 0, NULL, 0), 0);
	CHECK_EQ(us_cq_ready(&r), 0);
	{
		int again = open("/dev/null", O_RDONLY);	/* no descriptor was installed */

		CHECK_EQ(again, probe);
		close(again);
	}
	close(fd);
	us_ring_exit(&r);
	return dstop(&dm);
}

/* ------------------------------------------------------------------ */
/* Signals and killed clients                                          */
/* ------------------------------------------------------------------ */

static void on_alarm(int sig)
{
	(void)sig;
}

struct sig_arg {
	const struct daemon *dm;
};

static int sig_child(void *p)
{
	const struct sig_arg *a = p;
	struct sigaction sa;
	unsigned char b[64];
	int fd;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;	/* no SA_RESTART */
	CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
	fd = d_open(a->dm, "plain", O_RDONLY);
	CHECK(fd >= 0);
	alarm(1);
	CHECK_EQ(sysres(pread(fd, b, sizeof(b), HANG_OFF)), -EINTR);
	alarm(1);
	CHECK_EQ(d_open(a->dm, "hang-open", O_RDONLY), -EINTR);
	alarm(0);
	/* the handle still works after the interrupted request */
	CHECK_EQ(pread(fd, b, 8, 0), 8);
	CHECK_EQ(check_pat(b, 0, 8), 0);
	return 0;
}

static int blocked_child(void *p)
{
	const struct sig_arg *a = p;
	unsigned char b[64];
	int fd = d_open(a->dm, "plain", O_RDONLY);

	CHECK(fd >= 0);
	(void)!pread(fd, b, sizeof(b), HANG_OFF);
	return 1;	/* never gets here */
}

static int t_signal(void)
{
	struct sig_arg a;
	struct daemon dm;
	struct logent e;
	int64_t id;
	pid_t pid;
	uint32_t cur;

	dname(&dm, "signal");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	a.dm = &dm;
	cur = LOAD(&dm.shm->nlog);
	pid = spawn(sig_child, &a);
	CHECK(pid > 0);
	CHECK(exited_ok(wait_exit(pid, 20000)));
	/* both interrupted requests were cancelled towards the daemon */
	CHECK_EQ(LOAD(&dm.shm->nheld), 2);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CANCEL, dm.shm->held[0].tag, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CANCEL), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CANCEL, dm.shm->held[1].tag, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CANCEL), 0);
	/* late answers: discarded; the OPEN's handle is closed for the daemon */
	CHECK_EQ(dcmd(&dm, CMD_ANSWER_HELD, 4000), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, 4000, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	CHECK_EQ(wait_u32(&dm.shm->nclose, 2, SLOW_MS), 0);	/* and the child's handle */

	/* a client blocked in read(2) dies by SIGKILL promptly */
	cur = LOAD(&dm.shm->nlog);
	pid = spawn(blocked_child, &a);
	CHECK(pid > 0);
	CHECK_EQ(wait_u32(&dm.shm->nheld, 3, SLOW_MS), 0);
	id = id_of_open(dm.shm, cur);
	CHECK(id >= 0);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	{
		int st = wait_exit(pid, SLOW_MS);

		CHECK(st >= 0 && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	}
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CANCEL, dm.shm->held[2].tag, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CANCEL), 0);
	CHECK_EQ(dcmd(&dm, CMD_ANSWER_HELD, 4000), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)id, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	usleep(100 * 1000);
	CHECK_EQ(LOAD(&dm.shm->ncancel), 3);
	CHECK_EQ(LOAD(&dm.shm->nclose), 3);
	return dstop(&dm);
}

/* ------------------------------------------------------------------ */
/* Credentials                                                         */
/* ------------------------------------------------------------------ */

struct cred_arg {
	const struct daemon *dm;
	int inherited;
};

static int cred_child(void *p)
{
	const struct cred_arg *a = p;
	unsigned char b[16];
	struct us_ring r;
	int fd;

	CHECK(dev() >= 0);			/* /dev/uscheme opened as root */
	CHECK_EQ(cring(&r, 4), 0);
	CHECK_EQ(setgroups(0, NULL), 0);
	CHECK_EQ(setresgid(1001, 1001, 1001), 0);
	CHECK_EQ(setresuid(1000, 1000, 1000), 0);
	CHECK_EQ(geteuid(), 1000);
	fd = d_open(a->dm, "plain", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, b, sizeof(b), 11), (ssize_t)sizeof(b));
	CHECK_EQ(check_pat(b, 11, sizeof(b)), 0);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, 12, b, 8, 0, NULL, 0), 8);
	/* a handle root opened before the fork: the caller's credentials count */
	CHECK_EQ(pread(a->inherited, b, 4, 13), 4);
	close(fd);
	us_ring_exit(&r);
	return 0;
}

static int t_credentials(void)
{
	struct cred_arg a;
	struct daemon dm;
	struct logent e;
	uint32_t cur, i;
	pid_t pid;

	dname(&dm, "cred");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	a.dm = &dm;
	a.inherited = d_open(&dm, "plain", O_RDONLY);
	CHECK(a.inherited >= 0);
	cur = LOAD(&dm.shm->nlog);
	pid = spawn(cred_child, &a);
	CHECK(pid > 0);
	CHECK(exited_ok(wait_exit(pid, 20000)));
	CHECK_EQ(wait_u32(&dm.shm->nclose, 1, SLOW_MS), 0);
	CHECK_EQ(log_count(dm.shm, cur, -1), 5);	/* OPEN, READ x3, CLOSE */
	for (i = cur; i < cur + 4; i++) {
		CHECK_EQ(log_get(dm.shm, i, &e), 0);
		CHECK_EQ(e.rq.pid, pid);
		CHECK_EQ(e.rq.uid, 1000);
		CHECK_EQ(e.rq.gid, 1001);
	}
	CHECK_EQ(log_get(dm.shm, cur + 3, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_READ);
	CHECK_EQ(e.rq.off, 13);
	/* and root, here */
	{
		unsigned char b[4];

		CHECK_EQ(pread(a.inherited, b, 4, 0), 4);
	}
	CHECK_EQ(log_get(dm.shm, cur + 5, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_READ);
	CHECK_EQ(e.rq.off, 0);
	CHECK_EQ(e.rq.pid, getpid());
	CHECK_EQ(e.rq.uid, 0);
	CHECK_EQ(e.rq.gid, 0);
	close(a.inherited);
	return dstop(&dm);
}

/* ------------------------------------------------------------------ */
/* Lifetimes: the daemon goes away                                     */
/* ------------------------------------------------------------------ */

struct gone_arg {
	const struct daemon *dm;
	int which;
};

static int gone_child(void *p)
{
	const struct gone_arg *a = p;
	unsigned char b[64];
	int fd;

	if (a->which == 0) {
		fd = d_open(a->dm, "plain", O_RDONLY);
		CHECK(fd >= 0);
		CHECK_EQ(sysres(pread(fd, b, sizeof(b), HANG_OFF)), -EPIPE);
		CHECK_EQ(sysres(read(fd, b, sizeof(b))), -EPIPE);
		return 0;
	}
	CHECK_EQ(d_open(a->dm, "hang-open", O_RDONLY), -EPIPE);
	return 0;
}

static int daemon_gone(int kill_it)
{
	unsigned char b[64];
	struct stat st;
	struct gone_arg a0, a1;
	struct daemon dm, dm2;
	struct us_ring r;
	uint64_t ud[2];
	int32_t res[2];
	long long t0;
	pid_t c0, c1;
	int h, h2, h3, n;

	dname(&dm, kill_it ? "dkill" : "dclose");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	CHECK_EQ(cring(&r, 8), 0);
	h = d_open(&dm, "plain", O_RDWR);
	h2 = d_open(&dm, "plain", O_RDWR);
	CHECK(h >= 0 && h2 >= 0);
	/* three requests the daemon holds: a ring READ, a read(2), an OPEN */
	CHECK_EQ(queue(&r, USCHEME_OP_READ, h, HANG_OFF, b, sizeof(b), 0, NULL, 0, 0x77), 0);
	CHECK_EQ(us_submit(&r), 1);
	a0.dm = a1.dm = &dm;
	a0.which = 0;
	a1.which = 1;
	c0 = spawn(gone_child, &a0);
	c1 = spawn(gone_child, &a1);
	CHECK(c0 > 0 && c1 > 0);
	CHECK_EQ(wait_u32(&dm.shm->nheld, 3, SLOW_MS), 0);

	t0 = tap_now_ns();
	if (kill_it) {
		CHECK_EQ(kill(dm.pid, SIGKILL), 0);
		CHECK_EQ(waitpid(dm.pid, NULL, 0), dm.pid);
		dm.pid = 0;
	} else {
		CHECK_EQ(dcmd(&dm, CMD_CLOSE_RING, 0), 0);
		CHECK_EQ(LOAD(&dm.shm->closed), 1);
	}
	/* every waiter: -EPIPE at once */
	n = reap(&r, 1, ud, res, SLOW_MS);
	CHECK_EQ(n, 1);
	CHECK_EQ(ud[0], 0x77);
	CHECK_EQ(res[0], -EPIPE);
	CHECK(exited_ok(wait_exit(c0, SLOW_MS)));
	CHECK(exited_ok(wait_exit(c1, SLOW_MS)));
	CHECK(tap_now_ns() - t0 < 3000 * 1000000LL);

	/* its handles answer -EPIPE from then on */
	CHECK_EQ(sysres(pread(h, b, 8, 0)), -EPIPE);
	CHECK_EQ(sysres(read(h2, b, 8)), -EPIPE);
	CHECK_EQ(sysres(write(h2, b, 8)), -EPIPE);
	CHECK_EQ(sysres(fstat(h, &st)), -EPIPE);
	CHECK_EQ(sysres(fsync(h)), -EPIPE);
	CHECK_EQ(sysres(ftruncate(h, 0)), -EPIPE);
	CHECK_EQ(h_call(h, b, 4, 0, b, 4), -EPIPE);
	CHECK_EQ(h_dup(h, "x", 1, 0), -EPIPE);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, h, 0, b, 8, 0, NULL, 0), -EPIPE);
	CHECK_EQ(rop(&r, USCHEME_OP_WRITE, h2, 0, b, 8, 0, NULL, 0), -EPIPE);
	/* the name is gone ... */
	CHECK_EQ(d_open(&dm, "plain", O_RDONLY), -ENOENT);
	CHECK_EQ(rop_open(&r, &dm, "plain", O_RDONLY), -ENOENT);
	/* ... and free for a restarted daemon */
	dm2 = dm;
	dm2.shm = NULL;
	dm2.pid = 0;
	CHECK_EQ(dstart(&dm2, 0, 0), 0);
	CHECK_EQ(sysres(pread(h, b, 8, 0)), -EPIPE);	/* old handles stay dead */
	h3 = d_open(&dm2, "plain", O_RDONLY);
	CHECK(h3 >= 0);
	CHECK_EQ(pread(h3, b, 8, 5), 8);
	CHECK_EQ(check_pat(b, 5, 8), 0);
	/* closing the old handles tells the new daemon nothing */
	close(h);
	close(h2);
	usleep(100 * 1000);
	CHECK_EQ(LOAD(&dm2.shm->nclose), 0);
	CHECK_EQ(LOAD(&dm2.shm->served), 2);
	close(h3);
	CHECK_EQ(wait_u32(&dm2.shm->nclose, 1, SLOW_MS), 0);
	us_ring_exit(&r);
	if (!kill_it)
		CHECK_EQ(dstop(&dm), 0);
	return dstop(&dm2);
}

static int t_daemon_closes_ring(void)
{
	return daemon_gone(0);
}

static int t_daemon_killed(void)
{
	return daemon_gone(1);
}

/* ------------------------------------------------------------------ */
/* Lifetimes: the client goes away                                     */
/* ------------------------------------------------------------------ */

struct cd_arg {
	const struct daemon *dm;
	int close_ring;		/* close the ring (and live on) instead of dying */
	int done_fd;		/* close_ring: written when the ring is closed */
};

static int cd_child(void *p)
{
	const struct cd_arg *a = p;
	unsigned char b[2][64];
	struct us_ring r;
	int h1, h2;
	char c;

	CHECK_EQ(cring(&r, 8), 0);
	h1 = d_open(a->dm, "plain", O_RDONLY);
	h2 = d_open(a->dm, "plain", O_RDWR);
	CHECK(h1 >= 0 && h2 >= 0);
	CHECK_EQ(queue(&r, USCHEME_OP_READ, h1, HANG_OFF, b[0], 64, 0, NULL, 0, 1), 0);
	CHECK_EQ(queue(&r, USCHEME_OP_READ, h2, HANG_OFF, b[1], 64, 0, NULL, 0, 2), 0);
	CHECK_EQ(us_submit(&r), 2);
	if (a->close_ring) {
		/* wait until the daemon holds both, then close the ring */
		CHECK_EQ(wait_u32(&a->dm->shm->nheld, 2, SLOW_MS), 0);
		us_ring_exit(&r);
		CHECK_EQ(write(a->done_fd, "x", 1), 1);
		CHECK_EQ(read(a->done_fd, &c, 1), 1);	/* until told to go */
		return 0;
	}
	for (;;)
		pause();
}

static int t_client_dies(void)
{
	struct cd_arg a;
	struct daemon dm;
	struct logent e;
	int64_t id1, id2;
	uint32_t cur, i;
	int sv[2], st;
	pid_t pid;
	char c;

	dname(&dm, "cdie");
	CHECK_EQ(dstart(&dm, 0, 0), 0);

	/* killed with two requests in flight: two CANCELs, two CLOSEs */
	memset(&a, 0, sizeof(a));
	a.dm = &dm;
	cur = LOAD(&dm.shm->nlog);
	pid = spawn(cd_child, &a);
	CHECK(pid > 0);
	CHECK_EQ(wait_u32(&dm.shm->nheld, 2, SLOW_MS), 0);
	id1 = id_of_open(dm.shm, cur);
	id2 = id_of_open(dm.shm, cur + 1);
	CHECK(id1 >= 0 && id2 >= 0);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	st = wait_exit(pid, SLOW_MS);
	CHECK(st >= 0 && WIFSIGNALED(st));
	for (i = 0; i < 2; i++) {
		CHECK(log_find(dm.shm, cur, USCHEME_OP_CANCEL, dm.shm->held[i].tag, &e,
			       SLOW_MS) >= 0);
		CHECK_EQ(note_ok(&e, USCHEME_OP_CANCEL), 0);
	}
	/*
	 * The daemon answers the cancelled requests, as uscheme.h asks (their
	 * answers are discarded); the handles' CLOSEs come at the latest then.
	 */
	CHECK_EQ(dcmd(&dm, CMD_ANSWER_HELD, 8), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)id1, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)id2, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	usleep(200 * 1000);
	CHECK_EQ(LOAD(&dm.shm->ncancel), 2);
	CHECK_EQ(LOAD(&dm.shm->nclose), 2);
	CHECK_EQ(dstop(&dm), 0);

	/* the ring closed, the process alive: CANCELs now, CLOSEs at exit */
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	a.close_ring = 1;
	a.done_fd = sv[1];
	cur = LOAD(&dm.shm->nlog);
	pid = spawn(cd_child, &a);
	CHECK(pid > 0);
	close(sv[1]);
	CHECK_EQ(read(sv[0], &c, 1), 1);
	CHECK_EQ(wait_u32(&dm.shm->ncancel, 2, SLOW_MS), 0);
	for (i = 0; i < 2; i++) {
		CHECK(log_find(dm.shm, cur, USCHEME_OP_CANCEL, dm.shm->held[i].tag, &e,
			       SLOW_MS) >= 0);
		CHECK_EQ(note_ok(&e, USCHEME_OP_CANCEL), 0);
	}
	CHECK_EQ(dcmd(&dm, CMD_ANSWER_HELD, 8), 0);
	usleep(100 * 1000);
	CHECK_EQ(LOAD(&dm.shm->nclose), 0);	/* the handles live on in the child */
	CHECK_EQ(write(sv[0], "x", 1), 1);
	CHECK(exited_ok(wait_exit(pid, SLOW_MS)));
	CHECK_EQ(wait_u32(&dm.shm->nclose, 2, SLOW_MS), 0);
	usleep(100 * 1000);
	CHECK_EQ(LOAD(&dm.shm->ncancel), 2);
	CHECK_EQ(LOAD(&dm.shm->nclose), 2);
	close(sv[0]);
	return dstop(&dm);
}

/* ------------------------------------------------------------------ */
/* Handles as files: close once, fork, SCM_RIGHTS, exec                */
/* ------------------------------------------------------------------ */

static int hold_child(void *p)
{
	int fd = *(int *)p;
	char c;

	return read(fd, &c, 1) == 1 ? 0 : 1;	/* hold inherited fds until told */
}

static int t_close_once(void)
{
	struct daemon dm;
	struct us_ring r;
	struct logent e;
	int fd, d1, d2, d3, p[2];
	int64_t id;
	uint32_t cur;
	pid_t pid;

	dname(&dm, "close1");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	CHECK_EQ(cring(&r, 4), 0);
	CHECK_EQ(pipe(p), 0);
	cur = LOAD(&dm.shm->nlog);
	fd = d_open(&dm, "plain", O_RDONLY);
	CHECK(fd >= 0);
	id = id_of_open(dm.shm, cur);
	d1 = dup(fd);
	d2 = fcntl(fd, F_DUPFD_CLOEXEC, 50);
	d3 = dup(fd);
	CHECK(d1 >= 0 && d2 >= 50 && d3 >= 0);
	pid = spawn(hold_child, &p[0]);
	CHECK(pid > 0);
	close(p[0]);
	close(fd);
	close(d1);
	CHECK_EQ(rop(&r, USCHEME_OP_CLOSE, d3, 0, NULL, 0, 0, NULL, 0), 0);
	CHECK(fcntl(d3, F_GETFD) < 0 && errno == EBADF);
	usleep(100 * 1000);
	CHECK_EQ(LOAD(&dm.shm->nclose), 0);
	close(d2);
	usleep(100 * 1000);
	CHECK_EQ(LOAD(&dm.shm->nclose), 0);	/* the child still holds it */
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK(exited_ok(wait_exit(pid, SLOW_MS)));
	CHECK_EQ(wait_u32(&dm.shm->nclose, 1, SLOW_MS), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)id, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	usleep(200 * 1000);
	CHECK_EQ(LOAD(&dm.shm->nclose), 1);
	close(p[1]);
	us_ring_exit(&r);
	return dstop(&dm);
}

static int fork_child_reads(void *p)
{
	unsigned char b[32];
	int fd = *(int *)p;

	CHECK_EQ(pread(fd, b, sizeof(b), 40), (ssize_t)sizeof(b));
	CHECK_EQ(check_pat(b, 40, sizeof(b)), 0);
	CHECK_EQ(read(fd, b, 8), 8);		/* the shared file position */
	CHECK_EQ(check_pat(b, 100, 8), 0);
	return 0;
}

static int t_fork_inherits(void)
{
	struct daemon dm;
	struct logent e;
	uint32_t cur;
	int fd;
	pid_t pid;

	dname(&dm, "fork");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	fd = d_open(&dm, "plain", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(lseek(fd, 100, SEEK_SET), 100);
	cur = LOAD(&dm.shm->nlog);
	pid = spawn(fork_child_reads, &fd);
	CHECK(pid > 0);
	CHECK(exited_ok(wait_exit(pid, 20000)));
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_READ);
	CHECK_EQ(e.rq.pid, pid);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 108);
	usleep(50 * 1000);
	CHECK_EQ(LOAD(&dm.shm->nclose), 0);	/* the child's exit is not the last close */
	close(fd);
	CHECK_EQ(wait_u32(&dm.shm->nclose, 1, SLOW_MS), 0);
	return dstop(&dm);
}

static int scm_child(void *p)
{
	int sock = *(int *)p, fd;
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { &c, 1 };
	struct msghdr mh;
	struct cmsghdr *cm;
	unsigned char b[24];

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	CHECK_EQ(recvmsg(sock, &mh, 0), 1);
	cm = CMSG_FIRSTHDR(&mh);
	CHECK(cm && cm->cmsg_type == SCM_RIGHTS);
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	CHECK_EQ(pread(fd, b, sizeof(b), 321), (ssize_t)sizeof(b));
	CHECK_EQ(check_pat(b, 321, sizeof(b)), 0);
	CHECK_EQ(pwrite(fd, b, 5, 0), 5);
	close(fd);
	CHECK_EQ(write(sock, "d", 1), 1);
	return 0;
}

static int t_scm_rights(void)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c = 'f';
	struct iovec iov = { &c, 1 };
	struct daemon dm;
	struct msghdr mh;
	struct cmsghdr *cm;
	struct logent e;
	uint32_t cur;
	int sv[2], fd;
	pid_t pid;

	dname(&dm, "scm");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = spawn(scm_child, &sv[1]);	/* forked before the handle exists */
	CHECK(pid > 0);
	fd = d_open(&dm, "plain", O_RDWR);
	CHECK(fd >= 0);
	cur = LOAD(&dm.shm->nlog);
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	CHECK_EQ(sendmsg(sv[0], &mh, 0), 1);
	close(fd);			/* the child's copy keeps the handle */
	CHECK_EQ(read(sv[0], &c, 1), 1);
	CHECK(exited_ok(wait_exit(pid, 20000)));
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_READ);
	CHECK_EQ(e.rq.pid, pid);
	CHECK_EQ(e.rq.off, 321);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_WRITE);
	CHECK_EQ(wait_u32(&dm.shm->nclose, 1, SLOW_MS), 0);
	usleep(100 * 1000);
	CHECK_EQ(LOAD(&dm.shm->nclose), 1);
	close(sv[0]);
	close(sv[1]);
	return dstop(&dm);
}

/* route_test --exec-child FD CLOEXEC_FD: the handle survived exec, the other did not. */
static int exec_child(char **argv)
{
	int fd = atoi(argv[2]), fdc = atoi(argv[3]);
	unsigned char b[32];

	if (pread(fd, b, sizeof(b), 123) != (ssize_t)sizeof(b))
		return 2;
	if (check_pat(b, 123, sizeof(b)))
		return 3;
	if (fcntl(fdc, F_GETFD) >= 0 || errno != EBADF)
		return 4;
	return 0;
}

static int t_exec_keeps(void)
{
	char a1[16], a2[16];
	struct daemon dm;
	struct logent e;
	uint32_t cur;
	int fd, fdc;
	pid_t pid;

	dname(&dm, "exec");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	fd = d_open(&dm, "plain", O_RDONLY);
	fdc = d_open(&dm, "plain", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && fdc >= 0);
	CHECK_EQ(fd_cloexec(fd), 0);
	snprintf(a1, sizeof(a1), "%d", fd);
	snprintf(a2, sizeof(a2), "%d", fdc);
	cur = LOAD(&dm.shm->nlog);
	pid = fork_child();
	CHECK(pid >= 0);
	if (pid == 0) {
		execl("/proc/self/exe", "route_test", "--exec-child", a1, a2, (char *)NULL);
		_exit(127);
	}
	CHECK(exited_ok(wait_exit(pid, 30000)));
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_READ);
	CHECK_EQ(e.rq.off, 123);
	CHECK_EQ(e.rq.pid, pid);
	close(fd);
	close(fdc);
	CHECK_EQ(wait_u32(&dm.shm->nclose, 2, SLOW_MS), 0);
	return dstop(&dm);
}

/* ------------------------------------------------------------------ */
/* io_uring on a handle fd                                             */
/* ------------------------------------------------------------------ */

#ifndef __i386__
static int uring_one(struct io_uring *ring, int read_op, int fd, void *buf, unsigned int len,
		     uint64_t off, uint64_t ud)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	struct io_uring_cqe *cqe;
	int res;

	if (!sqe)
		return RES_HARNESS;
	if (read_op)
		io_uring_prep_read(sqe, fd, buf, len, off);
	else
		io_uring_prep_write(sqe, fd, buf, len, off);
	sqe->user_data = ud;
	if (io_uring_submit(ring) != 1 || io_uring_wait_cqe(ring, &cqe))
		return RES_HARNESS - 1;
	res = cqe->user_data == ud ? cqe->res : RES_HARNESS - 2;
	io_uring_cqe_seen(ring, cqe);
	return res;
}

/*
 * io_uring task work (TIF_NOTIFY_SIGNAL, no signal) queued to a thread that
 * waits in USCHEME_IOC_ENTER must not fail the wait with -EINTR: an
 * io_uring READ on a pipe completes (by task work to this thread) 100 ms
 * into a wait whose answer comes at 400 ms.
 */
struct tw_arg {
	int pipe_w;
	struct us_ring *srv;
	int answered;
};

static void *tw_poke(void *p)
{
	struct tw_arg *a = p;

	usleep(100 * 1000);
	if (write(a->pipe_w, "x", 1) != 1)
		return NULL;
	return NULL;
}

static void *tw_daemon(void *p)
{
	struct tw_arg *a = p;
	struct us_ring *s = a->srv;
	struct uscheme_req q;
	struct uscheme_cqe *c;
	uint32_t head, cqt;

	usleep(400 * 1000);
	if (us_enter(s, 0, 1, USCHEME_ENTER_GETEVENTS, 0, NULL))
		return NULL;
	head = s->hdr->sq_head;
	q = ((const struct uscheme_req *)s->sqes)[head & s->hdr->sq_mask];
	cqt = s->hdr->cq_tail;
	c = (struct uscheme_cqe *)((char *)s->cqes + (size_t)(cqt & s->hdr->cq_mask) * s->cqe_size);
	c->user_data = q.tag;
	c->res = 0;
	c->flags = 0;
	__atomic_store_n(&s->hdr->sq_head, head + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&s->hdr->cq_tail, cqt + 1, __ATOMIC_RELEASE);
	if (!us_enter(s, 1, 0, 0, 0, NULL))
		a->answered = 1;
	return NULL;
}

static int t_task_work_not_eintr(void)
{
	struct tw_arg a = { 0 };
	struct io_uring_sqe *usqe;
	struct io_uring_cqe *ucqe;
	struct uscheme_cqe *cqe;
	struct us_ring srv, cli;
	char name[40], path[48], byte;
	pthread_t t1, t2;
	struct io_uring ur;
	int p[2], ret;

	snprintf(name, sizeof(name), "rt-tw-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s:x", name);
	CHECK_EQ(us_scheme_init(&srv, name, 8, 0), 0);
	CHECK_EQ(us_ring_init(&cli, 8, 0, 0), 0);
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(io_uring_queue_init(4, &ur, 0), 0);
	usqe = io_uring_get_sqe(&ur);
	CHECK(usqe);
	io_uring_prep_read(usqe, p[0], &byte, 1, 0);
	CHECK_EQ(io_uring_submit(&ur), 1);	/* waits for data: poll armed */
	us_prep_open(us_get_sqe(&cli), path, O_RDONLY, 7);
	CHECK_EQ(us_submit(&cli), 1);
	a.pipe_w = p[1];
	a.srv = &srv;
	CHECK_EQ(pthread_create(&t1, NULL, tw_poke, &a), 0);
	CHECK_EQ(pthread_create(&t2, NULL, tw_daemon, &a), 0);
	/* The raw enter: no retry loop of libuscheme's around it. */
	ret = us_enter(&cli, 0, 1, USCHEME_ENTER_GETEVENTS, 0, NULL);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	CHECK_EQ(ret, 0);
	CHECK(a.answered);
	cqe = us_peek_cqe(&cli);
	CHECK(cqe);
	CHECK_EQ(cqe->user_data, 7);
	CHECK(cqe->res >= 0);
	close(cqe->res);
	us_cqe_seen(&cli);
	CHECK_EQ(io_uring_wait_cqe(&ur, &ucqe), 0);
	CHECK_EQ(ucqe->res, 1);
	io_uring_cqe_seen(&ur, ucqe);
	io_uring_queue_exit(&ur);
	close(p[0]);
	close(p[1]);
	us_ring_exit(&cli);
	us_ring_exit(&srv);
	return 0;
}

/*
 * The same task work during a blocking op on the syscall path (here the
 * ioctl open, as every handle syscall waits): the open goes on and gets
 * its fd. Then, with a daemon that never answers, task work first and a
 * signal after: the signal still ends the wait promptly, with EINTR.
 */
static void on_usr1(int sig)
{
	(void)sig;
}

struct tw_sig {
	struct tw_arg poke;
	pthread_t target;
};

static void *tw_poke_then_signal(void *p)
{
	struct tw_sig *a = p;

	tw_poke(&a->poke);
	usleep(300 * 1000);
	pthread_kill(a->target, SIGUSR1);
	return NULL;
}

static int t_task_work_blocking_op(void)
{
	struct tw_arg a = { 0 };
	struct tw_sig sg = { 0 };
	struct io_uring_sqe *usqe;
	struct io_uring_cqe *ucqe;
	struct sigaction sa, old;
	struct us_ring srv;
	char name[40], path[48], byte;
	pthread_t t1, t2;
	struct io_uring ur;
	long long t0, took;
	int p[2], fd;

	snprintf(name, sizeof(name), "rt-twb-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s:x", name);
	CHECK_EQ(us_scheme_init(&srv, name, 8, 0), 0);
	CHECK_EQ(pipe(p), 0);
	CHECK_EQ(io_uring_queue_init(4, &ur, 0), 0);

	/* 1: task work at 100 ms, the answer at 400 ms: an fd, not EINTR */
	usqe = io_uring_get_sqe(&ur);
	CHECK(usqe);
	io_uring_prep_read(usqe, p[0], &byte, 1, 0);
	CHECK_EQ(io_uring_submit(&ur), 1);
	a.pipe_w = p[1];
	a.srv = &srv;
	CHECK_EQ(pthread_create(&t1, NULL, tw_poke, &a), 0);
	CHECK_EQ(pthread_create(&t2, NULL, tw_daemon, &a), 0);
	fd = us_open(path, O_RDONLY);
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	CHECK(a.answered);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(io_uring_wait_cqe(&ur, &ucqe), 0);
	CHECK_EQ(ucqe->res, 1);
	io_uring_cqe_seen(&ur, ucqe);

	/* 2: no answer ever; task work at 100 ms, SIGUSR1 at 400 ms: EINTR */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;		/* no SA_RESTART */
	CHECK_EQ(sigaction(SIGUSR1, &sa, &old), 0);
	usqe = io_uring_get_sqe(&ur);
	CHECK(usqe);
	io_uring_prep_read(usqe, p[0], &byte, 1, 0);
	CHECK_EQ(io_uring_submit(&ur), 1);
	sg.target = pthread_self();
	sg.poke.pipe_w = p[1];
	CHECK_EQ(pthread_create(&t1, NULL, tw_poke_then_signal, &sg), 0);
	t0 = tap_now_ns();
	fd = us_open(path, O_RDONLY);
	took = tap_now_ns() - t0;
	pthread_join(t1, NULL);
	sigaction(SIGUSR1, &old, NULL);
	CHECK_EQ(fd, -EINTR);
	CHECK(took >= 300000000LL);		/* not ended by the task work */
	CHECK(took < 3000000000LL);		/* ended by the signal */
	CHECK_EQ(io_uring_wait_cqe(&ur, &ucqe), 0);
	CHECK_EQ(ucqe->res, 1);
	io_uring_cqe_seen(&ur, ucqe);

	io_uring_queue_exit(&ur);
	close(p[0]);
	close(p[1]);
	us_ring_exit(&srv);
	return 0;
}

static int t_io_uring(void)
{
	unsigned char b[8][4096], w[3000];
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	struct daemon dm;
	struct logent e;
	uint32_t cur;
	int fd, i, seen = 0;

	dname(&dm, "uring");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	fd = d_open(&dm, "plain", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(io_uring_queue_init(16, &ring, 0), 0);
	cur = LOAD(&dm.shm->nlog);

	CHECK_EQ(uring_one(&ring, 1, fd, b[0], 4096, 100, 1), 4096);
	CHECK_EQ(check_pat(b[0], 100, 4096), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_READ);
	CHECK_EQ(e.rq.off, 100);
	CHECK_EQ(e.rq.len, 4096);
	CHECK_EQ(e.rq.pid, getpid());
	CHECK(e.zero);

	fill_bytes(w, sizeof(w), 9);
	CHECK_EQ(uring_one(&ring, 0, fd, w, sizeof(w), 200, 2), (int)sizeof(w));
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_WRITE);
	CHECK_EQ(e.rq.off, 200);
	CHECK_EQ(e.rq.len, sizeof(w));
	CHECK_EQ(e.crc, fnv(w, sizeof(w)));

	/* the file position (offset -1) */
	CHECK_EQ(lseek(fd, 555, SEEK_SET), 555);
	CHECK_EQ(uring_one(&ring, 1, fd, b[0], 10, (uint64_t)-1, 3), 10);
	CHECK_EQ(check_pat(b[0], 555, 10), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.off, 555);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 565);

	/* eight at once */
	for (i = 0; i < 8; i++) {
		struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

		CHECK(sqe);
		io_uring_prep_read(sqe, fd, b[i], 4096, (uint64_t)i * 1000);
		sqe->user_data = 100 + i;
	}
	CHECK_EQ(io_uring_submit(&ring), 8);
	for (i = 0; i < 8; i++) {
		int k;

		CHECK_EQ(io_uring_wait_cqe(&ring, &cqe), 0);
		k = (int)cqe->user_data - 100;
		CHECK(k >= 0 && k < 8);
		CHECK_EQ(cqe->res, 4096);
		CHECK_EQ(check_pat(b[k], (uint64_t)k * 1000, 4096), 0);
		seen |= 1 << k;
		io_uring_cqe_seen(&ring, cqe);
	}
	CHECK_EQ(seen, 0xff);
	io_uring_queue_exit(&ring);
	close(fd);
	return dstop(&dm);
}
#endif

/* ------------------------------------------------------------------ */
/* Concurrency: 4 clients, 2 daemons, 100,000 requests                 */
/* ------------------------------------------------------------------ */

#define LOAD_CLIENTS	4
#define LOAD_REQS	25000	/* per client */
#define LOAD_BATCH	16
#define LOAD_MAXLEN	512

struct load_stats {
	uint32_t done[LOAD_CLIENTS];
	uint32_t mismatch[LOAD_CLIENTS];
	uint32_t errors[LOAD_CLIENTS];
	int32_t last_err[LOAD_CLIENTS];
	uint32_t progress[LOAD_CLIENTS];
};

struct load_arg {
	const struct daemon *dm[2];
	struct load_stats *st;
	int idx;
};

static void load_payload(unsigned char *b, uint32_t len, uint64_t seed)
{
	uint32_t i;

	memcpy(b, &seed, 8);
	for (i = 8; i < len; i++)
		b[i] = lpat(seed, i);
}

/* Verify one load result: 0, or 1 for a mismatch. */
static int load_verify(int type, const unsigned char *in, const unsigned char *out,
		       uint32_t len, uint32_t len2, uint64_t seed, int32_t res)
{
	uint32_t i, n;

	switch (type) {
	case 0:		/* WRITE */
		return res != (int32_t)len;
	case 1:		/* READ at off = seed */
		if (res != (int32_t)len)
			return 1;
		for (i = 0; i < len; i++)
			if (out[i] != pat(seed + i))
				return 1;
		return 0;
	default:	/* CALL */
		n = len < len2 ? len : len2;
		if (res != (int32_t)n)
			return 1;
		for (i = 0; i < n; i++)
			if (out[i] != (in[i] ^ 0xa5))
				return 1;
		return 0;
	}
}

static int load_client(void *p)
{
	const struct load_arg *a = p;
	struct load_stats *st = a->st;
	static unsigned char in[LOAD_BATCH][LOAD_MAXLEN], out[LOAD_BATCH][LOAD_MAXLEN];
	uint64_t seeds[LOAD_BATCH];
	uint32_t lens[LOAD_BATCH], len2s[LOAD_BATCH];
	int types[LOAD_BATCH];
	uint64_t ud[LOAD_BATCH];
	int32_t res[LOAD_BATCH];
	struct us_ring r;
	uint32_t seq = 0, done = 0, round = 0;
	int fds[2], k, n, idx = a->idx;

	CHECK_EQ(cring(&r, 32), 0);
	fds[0] = d_open(a->dm[0], "load", O_RDWR);
	fds[1] = d_open(a->dm[1], "load", O_RDWR);
	CHECK(fds[0] >= 0 && fds[1] >= 0);
	while (done < LOAD_REQS) {
		int batch = LOAD_REQS - done < LOAD_BATCH ? (int)(LOAD_REQS - done) : LOAD_BATCH;

		round++;
		for (k = 0; k < batch; k++) {
			uint64_t seed = ((uint64_t)idx << 28) | seq++;
			uint32_t len = 8 + (uint32_t)((seed * 37) % (LOAD_MAXLEN - 8));

			seeds[k] = seed;
			lens[k] = len;
			types[k] = (int)((seed + round) % 3);
			len2s[k] = types[k] == 2 ? len - (uint32_t)(seed % 8) : 0;
			if (types[k] != 1)
				load_payload(in[k], len, seed);
		}
		if (round % 8 == 0) {
			/* plain syscalls, one at a time */
			for (k = 0; k < batch; k++) {
				int fd = fds[(k + round) & 1];
				long rr;

				switch (types[k]) {
				case 0:
					rr = sysres(pwrite(fd, in[k], lens[k], (off_t)seeds[k]));
					break;
				case 1:
					rr = sysres(pread(fd, out[k], lens[k], (off_t)seeds[k]));
					break;
				default:
					rr = h_call(fd, in[k], lens[k], 0, out[k], len2s[k]);
					break;
				}
				if (rr < 0) {
					st->errors[idx]++;
					st->last_err[idx] = (int32_t)rr;
				} else if (load_verify(types[k], in[k], out[k], lens[k], len2s[k],
						       seeds[k], (int32_t)rr)) {
					st->mismatch[idx]++;
				}
			}
		} else {
			for (k = 0; k < batch; k++) {
				int fd = fds[(k + round) & 1];

				switch (types[k]) {
				case 0:
					CHECK_EQ(queue(&r, USCHEME_OP_WRITE, fd, seeds[k], in[k],
						       lens[k], 0, NULL, 0, (uint64_t)k), 0);
					break;
				case 1:
					CHECK_EQ(queue(&r, USCHEME_OP_READ, fd, seeds[k], out[k],
						       lens[k], 0, NULL, 0, (uint64_t)k), 0);
					break;
				default:
					CHECK_EQ(queue(&r, USCHEME_OP_CALL, fd, 0, in[k], lens[k], 0,
						       out[k], len2s[k], (uint64_t)k), 0);
					break;
				}
			}
			CHECK_EQ(us_submit(&r), batch);
			n = reap(&r, (unsigned int)batch, ud, res, 60000);
			CHECK_EQ(n, batch);
			for (k = 0; k < n; k++) {
				int s = (int)ud[k];

				CHECK(s >= 0 && s < batch);
				if (res[k] < 0) {
					st->errors[idx]++;
					st->last_err[idx] = res[k];
				} else if (load_verify(types[s], in[s], out[s], lens[s], len2s[s],
						       seeds[s], res[k])) {
					st->mismatch[idx]++;
				}
			}
		}
		done += (uint32_t)batch;
		STORE(&st->done[idx], done);
	}
	close(fds[0]);
	close(fds[1]);
	us_ring_exit(&r);
	return 0;
}

static int t_concurrency(void)
{
	struct daemon dm[2];
	struct load_arg la[LOAD_CLIENTS];
	struct load_stats *st;
	pid_t pid[LOAD_CLIENTS];
	uint32_t total = 0;
	long long t0 = tap_now_ns();
	int i, ok = 1;

	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(st != MAP_FAILED);
	memset(st, 0, sizeof(*st));
	for (i = 0; i < 2; i++) {
		dname(&dm[i], i ? "load1" : "load0");
		dm[i].shm = shm_new();
		CHECK(dm[i].shm);
		dm[i].shm->nolog = 1;
		CHECK_EQ(dstart(&dm[i], 64, 4 * MIB), 0);
		dm[i].shm->nolog = 1;
	}
	for (i = 0; i < LOAD_CLIENTS; i++) {
		la[i].dm[0] = &dm[0];
		la[i].dm[1] = &dm[1];
		la[i].st = st;
		la[i].idx = i;
		pid[i] = spawn(load_client, &la[i]);
		CHECK(pid[i] > 0);
	}
	for (i = 0; i < LOAD_CLIENTS; i++) {
		if (!exited_ok(wait_exit(pid[i], 400000)))
			ok = 0;
		total += st->done[i];
		if (st->mismatch[i] || st->errors[i]) {
			fprintf(stderr, "  client %d: %u mismatches, %u errors (last %d)\n", i,
				st->mismatch[i], st->errors[i], st->last_err[i]);
			ok = 0;
		}
	}
	fprintf(stderr, "  # %u requests in %.1f s; daemons served %u + %u\n", total,
		(tap_now_ns() - t0) / 1e9, dm[0].shm->served, dm[1].shm->served);
	CHECK(ok);
	CHECK_EQ(total, LOAD_CLIENTS * LOAD_REQS);
	/* each request reached a daemon once (the 8 OPENs and 8 CLOSEs too) */
	CHECK_EQ(wait_u32(&dm[1].shm->nclose, LOAD_CLIENTS, SLOW_MS), 0);
	CHECK_EQ(wait_u32(&dm[0].shm->nclose, LOAD_CLIENTS, SLOW_MS), 0);
	CHECK_EQ(dm[0].shm->served + dm[1].shm->served, total + 4 * LOAD_CLIENTS);
	CHECK_EQ(dstop(&dm[0]), 0);
	CHECK_EQ(dstop(&dm[1]), 0);
	return 0;
}

/* ------------------------------------------------------------------ */
/* A daemon killed under load, 100 times                               */
/* ------------------------------------------------------------------ */

#define KILL_ROUNDS	100

static int kill_client(void *p)
{
	const struct load_arg *a = p;
	struct load_stats *st = a->st;
	unsigned char b[5][256];
	uint64_t ud[4];
	int32_t res[4];
	struct us_ring r;
	uint32_t ok = 0, seq = 0;
	int fd, k, n, piped = 0;

	CHECK_EQ(cring(&r, 8), 0);
	fd = d_open(a->dm[0], "load", O_RDWR);
	CHECK(fd >= 0);
	while (!piped) {
		uint64_t base = ((uint64_t)a->idx << 24) + (uint64_t)(seq++) * 4096;
		long rr;

		for (k = 0; k < 4; k++)
			CHECK_EQ(queue(&r, USCHEME_OP_READ, fd, base + (uint64_t)k * 256, b[k],
				       64 + 32 * k, 0, NULL, 0, (uint64_t)k), 0);
		CHECK_EQ(us_submit(&r), 4);
		rr = sysres(pread(fd, b[4], 200, (off_t)(base + 1024)));
		if (rr == -EPIPE)
			piped = 1;
		else if (rr != 200 || check_pat(b[4], base + 1024, 200))
			return 2;
		else
			ok++;
		n = reap(&r, 4, ud, res, 10000);
		CHECK_EQ(n, 4);
		for (k = 0; k < 4; k++) {
			int s = (int)ud[k];

			CHECK(s >= 0 && s < 4);
			if (res[k] == -EPIPE) {
				piped = 1;
			} else if (res[k] != 64 + 32 * s ||
				   check_pat(b[s], base + (uint64_t)s * 256, (size_t)res[k])) {
				fprintf(stderr, "  kill client %d: res %d for slot %d\n", a->idx,
					res[k], s);
				return 3;
			} else {
				ok++;
			}
		}
		STORE(&st->progress[a->idx], ok);
	}
	/* once the daemon is gone, everything says so */
	CHECK_EQ(sysres(pread(fd, b[0], 16, 0)), -EPIPE);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, 0, b[0], 16, 0, NULL, 0), -EPIPE);
	close(fd);
	us_ring_exit(&r);
	return 0;
}

static int t_kill_under_load(void)
{
	struct load_stats *st;
	struct load_arg la[2];
	struct daemon dm;
	long long t0 = tap_now_ns();
	int round, i;

	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(st != MAP_FAILED);
	dname(&dm, "kload");
	dm.shm = shm_new();
	CHECK(dm.shm);
	for (round = 0; round < KILL_ROUNDS; round++) {
		pid_t pid[2];

		dm.shm->nolog = 1;
		if (dstart(&dm, 16, 0)) {
			fprintf(stderr, "  round %d: the name was not free again\n", round);
			return -1;
		}
		memset(st, 0, sizeof(*st));
		for (i = 0; i < 2; i++) {
			la[i].dm[0] = &dm;
			la[i].st = st;
			la[i].idx = i;
			pid[i] = spawn(kill_client, &la[i]);
			CHECK(pid[i] > 0);
		}
		/* some traffic first, then SIGKILL */
		if (wait_u32(&st->progress[0], 3 + round % 7, 20000) ||
		    wait_u32(&st->progress[1], 3, 20000)) {
			fprintf(stderr, "  round %d: no progress\n", round);
			return -1;
		}
		CHECK_EQ(kill(dm.pid, SIGKILL), 0);
		CHECK_EQ(waitpid(dm.pid, NULL, 0), dm.pid);
		dm.pid = 0;
		for (i = 0; i < 2; i++) {
			int s = wait_exit(pid[i], 10000);

			if (!exited_ok(s)) {
				fprintf(stderr, "  round %d: client %d failed\n", round, i);
				return -1;
			}
		}
		if (dm.shm->bad) {
			fprintf(stderr, "  round %d: daemon: %s\n", round, dm.shm->why);
			return -1;
		}
	}
	fprintf(stderr, "  # %d rounds in %.1f s\n", KILL_ROUNDS, (tap_now_ns() - t0) / 1e9);
	return 0;
}

/* ------------------------------------------------------------------ */
/* sys:schemes                                                         */
/* ------------------------------------------------------------------ */

/* Read a whole kernel-served file; its length or -errno. */
static long read_all(int fd, char *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		ssize_t r = read(fd, buf + n, size - 1 - n);

		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
		if (n >= size - 1)
			break;
	}
	buf[n] = '\0';
	return (long)n;
}

/* Find name's line; 0 with its fields, -1 if absent. */
static int schemes_line(const char *list, const char *name, unsigned long long v[6])
{
	const char *line = list;

	while (*line) {
		char got[USCHEME_NAME_MAX + 1];
		unsigned long long pid;
		const char *nl = strchr(line, '\n');

		if (sscanf(line, "%64s %llu %llu %llu %llu %llu %llu", got, &pid, &v[1], &v[2],
			   &v[3], &v[4], &v[5]) == 7 && !strcmp(got, name)) {
			v[0] = pid;
			return 0;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return -1;
}

static int t_sys_schemes(void)
{
	static char list[65536];
	unsigned long long v[6];
	unsigned char b[16];
	struct daemon dm;
	struct us_ring r;
	int fd, h;
	long n;

	dname(&dm, "sys");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	h = d_open(&dm, "plain", O_RDONLY);
	CHECK(h >= 0);
	CHECK_EQ(pread(h, b, sizeof(b), 0), (ssize_t)sizeof(b));
	fd = h_open("sys:schemes", O_RDONLY);
	CHECK(fd >= 0);
	n = read_all(fd, list, sizeof(list));
	CHECK(n > 0);
	CHECK_EQ(list[n - 1], '\n');
	close(fd);
	if (schemes_line(list, dm.name, v)) {
		fprintf(stderr, "  %s not in sys:schemes:\n%s", dm.name, list);
		return -1;
	}
	CHECK_EQ(v[0], dm.pid);
	CHECK(v[1] >= 2);	/* requests: OPEN, READ */
	CHECK(v[2] >= 2);	/* responses */
	CHECK_EQ(v[3], 0);	/* rejected */
	CHECK_EQ(v[4], 0);	/* queued */
	CHECK_EQ(v[5], 0);	/* in flight */
	/* through a ring too */
	CHECK_EQ(cring(&r, 4), 0);
	fd = rop(&r, USCHEME_OP_OPEN, 0, 0, "sys:schemes", 12, O_RDONLY, NULL, 0);
	CHECK(fd >= 0);
	CHECK(read_all(fd, list, sizeof(list)) > 0);
	CHECK_EQ(schemes_line(list, dm.name, v), 0);
	close(fd);
	us_ring_exit(&r);
	/* "sys:" lists "schemes" */
	fd = h_open("sys:", O_RDONLY);
	CHECK(fd >= 0);
	n = read_all(fd, list, sizeof(list));
	CHECK_EQ(n, 8);
	CHECK_EQ(strcmp(list, "schemes\n"), 0);
	close(fd);
	close(h);
	CHECK_EQ(dstop(&dm), 0);
	/* the scheme leaves the list with its daemon */
	fd = h_open("sys:schemes", O_RDONLY);
	CHECK(fd >= 0);
	CHECK(read_all(fd, list, sizeof(list)) >= 0);
	CHECK(schemes_line(list, dm.name, v) < 0);
	close(fd);
	return 0;
}

static const struct tap_test tests[] = {
	{ "ring_ops", t_ring_ops, 0 },
	{ "syscall_ops", t_syscall_ops, 0 },
	{ "open_errors", t_open_errors, 0 },
	{ "passed_fd", t_passed_fd, 0 },
	{ "op_errors", t_op_errors, 0 },
	{ "big_io_1mib", t_big_io, 120 },
	{ "backpressure", t_backpressure, 120 },
	{ "unreaped_answers_free_data", t_unreaped_answers_free_data, 0 },
	{ "evil_daemon", t_evil_daemon, 0 },
	{ "evil_fstat_mode", t_evil_fstat_mode, 0 },
	{ "cancel", t_cancel, 0 },
	{ "signal_and_kill_client", t_signal, 0 },
	{ "credentials", t_credentials, 0 },
	{ "daemon_closes_ring", t_daemon_closes_ring, 0 },
	{ "daemon_killed", t_daemon_killed, 0 },
	{ "client_dies", t_client_dies, 0 },
	{ "close_once", t_close_once, 0 },
	{ "fork_inherits", t_fork_inherits, 0 },
	{ "scm_rights", t_scm_rights, 0 },
	{ "exec_keeps", t_exec_keeps, 0 },
#ifndef __i386__
	/* no 32-bit liburing to link: the -m32 build leaves this one out */
	{ "io_uring", t_io_uring, 0 },
	{ "task_work_not_eintr", t_task_work_not_eintr, 0 },
	{ "task_work_blocking_op", t_task_work_blocking_op, 0 },
#endif
	{ "concurrency_100k", t_concurrency, 420 },
	{ "kill_under_load_x100", t_kill_under_load, 600 },
	{ "sys_schemes", t_sys_schemes, 0 },
};

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "--exec-child"))
		return exec_child(argv);
	signal(SIGPIPE, SIG_IGN);
	return tap_run("route", tests, sizeof(tests) / sizeof(tests[0]),
		       argc > 1 ? argv[1] : NULL);
}
