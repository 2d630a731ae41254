// SPDX-License-Identifier: MIT
/*
 * The route suite's helpers: its test daemon (tests/lib/rawd.c serving the
 * handle behaviours below, logging every request into memory shared with
 * the test), the log's readers, and client helpers (handle ioctls, a
 * client ring's ops). See route.h.
 */
#include "route.h"

uint64_t fnv(const void *p, size_t n)
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

void fill_bytes(unsigned char *b, size_t n, uint64_t seed)
{
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = pat(seed * 7919 + i * 31);
}

/* ------------------------------------------------------------------ */
/* The test daemon (tests/lib/rawd.h): handle behaviours by path, a    */
/* log of every request in the memory it shares with the test.         */
/* ------------------------------------------------------------------ */

struct shm *shm_new(void)
{
	return rawd_shm(sizeof(struct shm));
}

void dname(struct daemon *dm, const char *tag)
{
	memset(dm, 0, sizeof(*dm));
	snprintf(dm->name, sizeof(dm->name), "rt-%s-%d", tag, (int)getpid());
}

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

static void dmn_answer(struct rawd *d, uint64_t tag, int32_t res)
{
	rawd_answer(d, tag, res, 0);
}

static void dmn_hold(struct rawd *d, const struct uscheme_req *rq)
{
	struct shm *s = d->shm;
	uint32_t n = s->nheld;

	if (n >= HOLD_MAX) {
		rawd_bad(d, "too many held requests", rq);
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
static int32_t dmn_op(struct rawd *d, const struct uscheme_req *rq, unsigned char *buf)
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
			rawd_answer(d, rq->tag, p[0], USCHEME_CQE_F_FD);
			return HELD;
		}
		if (!strcmp(path, "passfd-bad")) {
			rawd_answer(d, rq->tag, 1000000, USCHEME_CQE_F_FD);
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
		rawd_bad(d, "request for an unknown id", rq);
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
				rawd_bad(d, "load READ buffer not zeroed", rq);
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
			rawd_answer(d, rq->tag, 0, USCHEME_CQE_F_FD);
			return HELD;
		}
		return (int32_t)n;
	case USCHEME_OP_WRITE:
		if (h->mode == M_LOAD) {
			if (!load_payload_ok(buf, rq->len, &seed) || seed != rq->off)
				rawd_bad(d, "load WRITE payload mismatch", rq);
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
			rawd_bad(d, "FSTAT room smaller than struct uscheme_stat", rq);
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
			rawd_bad(d, "load CALL input mismatch", rq);
		if (rq->op_flags == CALL_EACCES)
			return -EACCES;
		for (i = 0; i < n; i++)
			buf[i] ^= 0xa5;
		if (h->mode == M_CALL_BIG)
			return (int32_t)(rq->len2 + 1);
		return (int32_t)n;
	}
	rawd_bad(d, "unexpected opcode", rq);
	return -EINVAL;
}

static void dmn_req(struct rawd *d, const struct uscheme_req *rq)
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
		rawd_bad(d, "chunk outside the data area", rq);
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
			rawd_bad(d, "a notification that is neither CLOSE nor CANCEL", rq);
		res = HELD;
	} else {
		if (rq->opcode == USCHEME_OP_CLOSE || rq->opcode == USCHEME_OP_CANCEL)
			rawd_bad(d, "CLOSE/CANCEL without USCHEME_REQ_F_NOREPLY", rq);
		if (rq->flags & ~(uint32_t)USCHEME_REQ_F_NOREPLY)
			rawd_bad(d, "unknown request flags", rq);
		res = dmn_op(d, rq, buf);
		if (res != HELD)
			dmn_answer(d, rq->tag, res);
	}
	if (e)
		e->ans = res;
	if (!s->nolog)
		STORE(&s->nlog, n + 1);
}

static void dmn_cmd(struct rawd *d, uint32_t op, int32_t arg)
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
		rawd_enter(d, 0, 0, 0);
		break;
	case CMD_CLOSE_RING:
		rawd_teardown(d);
		STORE(&s->closed, 1);
		STORE(&s->ctl.cmd_ack, LOAD(&s->ctl.cmd_seq));
		for (;;)
			pause();
	case CMD_EXIT:
		STORE(&s->ctl.cmd_ack, LOAD(&s->ctl.cmd_seq));
		_exit(0);
	}
}

static void dmn_loop(struct rawd *d)
{
	struct shm *s = d->shm;
	uint32_t seen = LOAD(&s->ctl.cmd_seq);

	dh_n = 0;
	dh_next = 100;
	for (;;) {
		int ret;

		if (rawd_cmd_pending(d, &seen)) {
			dmn_cmd(d, s->ctl.cmd_op, s->ctl.cmd_arg);
			rawd_cmd_done(d, seen);
		}
		if (LOAD(&s->track)) {
			struct uscheme_stats st;

			rawd_enter(d, 0, 0, 0);
			if (ioctl(d->fd, USCHEME_IOC_STATS, &st) == 0)
				STORE(&s->rejected, (uint32_t)st.rejected);
		}
		ret = rawd_enter(d, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
				 20 * 1000 * 1000);
		if (ret && ret != -ETIME && ret != -EINTR)
			STORE(&s->ctl.derr, ret);
		if (rawd_take(d, dmn_req) < 0)
			_exit(8);
	}
}

/*
 * Start a daemon serving dm->name (sq requests, a data area of data_size
 * bytes, 0 for 4 MiB). Returns 0 once it is registered, or its setup's
 * -errno. The daemon keeps no other descriptor of the test.
 */
int dstart(struct daemon *dm, unsigned int sq, uint32_t data_size)
{
	struct rawd_spec spec = { .name = dm->name, .sq = sq, .data_size = data_size,
				  .loop = dmn_loop };

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
	spec.ctl = &dm->shm->ctl;
	spec.shm = dm->shm;
	return rawd_spawn(&spec, &dm->pid);
}

/* Kill and reap a daemon; 0 if it saw nothing wrong (else -1, said). */
int dstop(struct daemon *dm)
{
	return rawd_stop(&dm->pid, dm->name, dm->shm ? &dm->shm->ctl : NULL);
}

int dcmd(struct daemon *dm, uint32_t op, int32_t arg)
{
	return rawd_cmd(&dm->shm->ctl, dm->name, op, arg, 0);
}

/* ------------------------------------------------------------------ */
/* The daemon's log, read by the tests                                  */
/* ------------------------------------------------------------------ */

/* Wait until *p >= want; 0, or -1 after ms. */
int wait_u32(const uint32_t *p, uint32_t want, int ms)
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
int log_get(struct shm *s, uint32_t i, struct logent *e)
{
	if (i >= LOG_MAX || wait_u32(&s->nlog, i + 1, SLOW_MS))
		return -1;
	*e = s->log[i];
	return 0;
}

int log_next(struct shm *s, uint32_t *cur, struct logent *e)
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
int log_find(struct shm *s, uint32_t from, uint8_t op, uint64_t key,
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

unsigned int log_count(struct shm *s, uint32_t from, int op)
{
	uint32_t n = LOAD(&s->nlog), i, c = 0;

	for (i = from; i < n && i < LOG_MAX; i++)
		if (op < 0 || s->log[i].rq.opcode == op)
			c++;
	return c;
}

/* The fields every answered request carries. */
int req_ok(const struct logent *e, uint8_t op, uint64_t id, pid_t pid)
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
int note_ok(const struct logent *e, uint8_t op)
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

int d_open(const struct daemon *dm, const char *sub, uint32_t flags)
{
	char path[256];

	snprintf(path, sizeof(path), "%s:%s", dm->name, sub);
	return h_open(path, flags);
}

int h_dup(int fd, const char *suffix, uint32_t len, uint32_t flags)
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

int h_call(int fd, const void *in, uint32_t in_len, uint32_t op_flags,
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

/* A client ring whose mappings later forks (daemons) do not inherit. */
int cring(struct us_ring *r, unsigned int sq)
{
	return rawd_client_ring(r, sq, 0);
}

static uint64_t g_ud = 0x5500;

void sqe_fill(struct uscheme_sqe *sqe, uint8_t op, int fd, uint64_t off,
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

/* Submit one SQE built from tmpl (user_data replaced) and return its res. */
int32_t rop_sqe(struct us_ring *r, const struct uscheme_sqe *tmpl)
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

int32_t rop(struct us_ring *r, uint8_t op, int fd, uint64_t off, const void *addr,
	    uint32_t len, uint32_t op_flags, void *addr2, uint32_t len2)
{
	struct uscheme_sqe s;

	sqe_fill(&s, op, fd, off, addr, len, op_flags, addr2, len2, 0);
	return rop_sqe(r, &s);
}

int32_t rop_open(struct us_ring *r, const struct daemon *dm, const char *sub,
		 uint32_t flags)
{
	char path[256];

	snprintf(path, sizeof(path), "%s:%s", dm->name, sub);
	return rop(r, USCHEME_OP_OPEN, 0, 0, path, (uint32_t)strlen(path) + 1, flags, NULL, 0);
}

/* Queue one SQE without submitting. */
int queue(struct us_ring *r, uint8_t op, int fd, uint64_t off, const void *addr,
	  uint32_t len, uint32_t op_flags, void *addr2, uint32_t len2, uint64_t ud)
{
	struct uscheme_sqe *sqe = us_get_sqe(r);

	if (!sqe)
		return -1;
	sqe_fill(sqe, op, fd, off, addr, len, op_flags, addr2, len2, ud);
	return 0;
}

/* Reap up to n CQEs within ms; returns how many. */
int reap(struct us_ring *r, unsigned int n, uint64_t *ud, int32_t *res, int ms)
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

int32_t res_of(const uint64_t *ud, const int32_t *res, int n, uint64_t want)
{
	int i;

	for (i = 0; i < n; i++)
		if (ud[i] == want)
			return res[i];
	return RES_HARNESS - 3;
}

pid_t spawn(int (*fn)(void *), void *arg)
{
	pid_t pid = fork_child();

	if (pid == 0)
		_exit(fn(arg) ? 1 : 0);
	return pid;
}

int fd_cloexec(int fd)
{
	int f = fcntl(fd, F_GETFD);

	return f < 0 ? -1 : !!(f & FD_CLOEXEC);
}

/* The id the daemon gave the handle opened by the OPEN logged at index i. */
int64_t id_of_open(struct shm *s, uint32_t i)
{
	struct logent e;

	if (log_get(s, i, &e) || e.rq.opcode != USCHEME_OP_OPEN || e.ans < 0)
		return -1;
	return e.ans;
}

