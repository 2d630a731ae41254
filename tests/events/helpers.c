// SPDX-License-Identifier: MIT
/*
 * The events suite's helpers: eventfds and poll, a test ring (a client
 * ring that sets aside event CQEs while it waits for a FILES_UPDATE's own
 * completion), and its test daemon (tests/lib/rawd.c serving OPEN, READ,
 * WRITE, counting notifications, sending events on command). See events.h.
 */
#include "events.h"

const char *volatile g_where = "";
volatile int g_round = -1;
volatile unsigned long g_seen;	/* CQEs taken by the helpers */
uint64_t dmn_next_id;		/* in a daemon: the next handle id it gives */
void on_time_limit(int sig)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "  time limit: in %s, round %d, %lu CQEs seen\n",
			 g_where, g_round, g_seen);

	if (n > 0 && write(2, msg, (size_t)n) < 0)
		n = 0;
	signal(sig, SIG_DFL);
	raise(sig);
}

int efd_new(unsigned int initval)
{
	return eventfd(initval, EFD_NONBLOCK | EFD_CLOEXEC);
}

int efd_fire(int fd)
{
	uint64_t one = 1;

	return write(fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

int efd_drain(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) == sizeof(v) ? 0 : -errno;
}

/* revents of a poll(2) for POLLIN|POLLOUT with timeout ms. */
int poll_mask(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	int r = poll(&p, 1, ms);

	if (r < 0)
		return -errno;
	return r ? p.revents : 0;
}

/* ------------------------------------------------------------------ */
/* A test ring: a client ring, and CQEs set aside while waiting for a   */
/* FILES_UPDATE's own completion.                                      */
/* ------------------------------------------------------------------ */

int tr_init(struct tr *t, unsigned int sq, unsigned int cq)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->stash = calloc(STASH_MAX, sizeof(*t->stash));
	if (!t->stash)
		return -ENOMEM;
	/* Forked daemons must not inherit the mappings. */
	err = rawd_client_ring(&t->r, sq, cq);
	if (err) {
		fprintf(stderr, "  us_ring_init(%u, %u): %d\n", sq, cq, err);
		free(t->stash);
		return err;
	}
	return 0;
}

void tr_exit(struct tr *t)
{
	us_ring_exit(&t->r);
	free(t->stash);
	t->stash = NULL;
}

static int stash_push(struct tr *t, const struct uscheme_cqe *c)
{
	if (t->nstash >= STASH_MAX) {
		fprintf(stderr, "  harness: stash full\n");
		return -1;
	}
	t->stash[t->nstash++] = *c;
	return 0;
}

/* Move every CQE ready in the ring to the stash. */
static void stash_all(struct tr *t)
{
	struct uscheme_cqe *c;

	while ((c = us_peek_cqe(&t->r))) {
		struct uscheme_cqe copy = *c;

		us_cqe_seen(&t->r);
		stash_push(t, &copy);
	}
}

void pr_cqe(const char *what, const struct uscheme_cqe *c)
{
	fprintf(stderr, "  %s: user_data %#llx res %d flags %#x\n", what,
		(unsigned long long)c->user_data, c->res, c->flags);
}

/*
 * Submit one FILES_UPDATE (addr/len as given) and wait for its CQE; other
 * CQEs go to the stash. Returns the op's res, or RES_HARNESS-*.
 */
static int32_t fu_raw_in(struct tr *t, uint64_t addr, uint32_t len,
			 const struct uscheme_sqe *tmpl)
{
	uint64_t ud = UD_FU + ++t->fu_seq;
	long long end = deadline(SLOW_MS);
	struct uscheme_sqe *sqe;
	int ret, tries;

	sqe = us_get_sqe(&t->r);
	if (!sqe)
		return RES_HARNESS;
	if (tmpl)
		*sqe = *tmpl;
	else
		memset(sqe, 0, sizeof(*sqe));
	if (!tmpl || !tmpl->opcode)
		sqe->opcode = USCHEME_OP_FILES_UPDATE;
	sqe->addr = addr;
	sqe->len = len;
	sqe->user_data = ud;
	for (tries = 0;; tries++) {
		ret = us_submit(&t->r);
		if (ret == 1)
			break;
		if (ret == -EBUSY && tries < 1000) {
			stash_all(t);	/* the CQ is full of events: make room */
			us_enter(&t->r, 0, 0, 0, 0, NULL);
			stash_all(t);
			continue;
		}
		fprintf(stderr, "  FILES_UPDATE submit: %d\n", ret);
		return RES_HARNESS - 1;
	}
	for (;;) {
		struct uscheme_cqe *c = us_peek_cqe(&t->r);

		if (c && tap_now_ns() > end) {
			pr_cqe("FILES_UPDATE still waiting; CQEs keep coming, the latest", c);
			return RES_HARNESS - 6;
		}
		if (c) {
			struct uscheme_cqe copy = *c;

			us_cqe_seen(&t->r);
			g_seen++;
			if (copy.user_data == ud && !(copy.flags & EV)) {
				if (copy.flags) {
					pr_cqe("FILES_UPDATE CQE with flags", &copy);
					return RES_HARNESS - 2;
				}
				return copy.res;
			}
			if (stash_push(t, &copy))
				return RES_HARNESS - 3;
			continue;
		}
		if (tap_now_ns() > end) {
			fprintf(stderr, "  no CQE for FILES_UPDATE %#llx\n", (unsigned long long)ud);
			return RES_HARNESS - 4;
		}
		ret = us_enter(&t->r, 0, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
			       100 * 1000000LL, NULL);
		if (ret && ret != -ETIME && ret != -EINTR) {
			fprintf(stderr, "  enter: %d\n", ret);
			return RES_HARNESS - 5;
		}
	}
}

int32_t fu_raw(struct tr *t, uint64_t addr, uint32_t len, const struct uscheme_sqe *tmpl)
{
	const char *was = g_where;
	int32_t res;

	g_where = "FILES_UPDATE";
	res = fu_raw_in(t, addr, len, tmpl);
	g_where = was;
	return res;
}

int32_t fu_n(struct tr *t, struct uscheme_fu_entry *e, uint32_t n)
{
	return fu_raw(t, (uint64_t)(uintptr_t)e, n, NULL);
}

/* One entry; returns its res (checking the op's res agrees). */
int32_t fu1(struct tr *t, int fd, uint32_t events, uint32_t flags, uint64_t ud)
{
	struct uscheme_fu_entry e;
	int32_t r;

	us_fu_entry(&e, fd, events, flags, ud);
	e.res = 0x5a5a;
	r = fu_n(t, &e, 1);
	if (r < 0 && r > RES_HARNESS) {
		fprintf(stderr, "  FILES_UPDATE(fd %d, events %#x, flags %#x): op failed: %d\n",
			fd, events, flags, r);
		return RES_HARNESS - 10;
	}
	if (r < 0)
		return r;
	if (e.res == 0x5a5a || r != (e.res == 0)) {
		fprintf(stderr, "  FILES_UPDATE(fd %d, events %#x, flags %#x): op res %d, entry res %d\n",
			fd, events, flags, r, e.res);
		return RES_HARNESS - 11;
	}
	return e.res;
}

/* The next CQE (the stash first), waiting up to ms. 0 or -ETIME. */
int ev_get(struct tr *t, struct uscheme_cqe *out, int ms)
{
	long long end = deadline(ms);

	for (;;) {
		struct uscheme_cqe *c;
		long long left;
		int ret;

		if (t->hstash < t->nstash) {
			g_seen++;
			*out = t->stash[t->hstash++];
			if (t->hstash == t->nstash)
				t->hstash = t->nstash = 0;
			return 0;
		}
		c = us_peek_cqe(&t->r);
		if (c) {
			g_seen++;
			*out = *c;
			us_cqe_seen(&t->r);
			return 0;
		}
		left = end - tap_now_ns();
		if (left <= 0)
			return -ETIME;
		ret = us_enter(&t->r, 0, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
			       left, NULL);
		if (ret && ret != -ETIME && ret != -EINTR) {
			fprintf(stderr, "  enter: %d\n", ret);
			return ret;
		}
	}
}

/* Nothing arrives within ms (and the enter times out): 0, else -1. */
int ev_none(struct tr *t, int ms)
{
	struct uscheme_cqe c;
	int ret = ev_get(t, &c, ms);

	if (ret == -ETIME)
		return 0;
	if (!ret)
		pr_cqe("unexpected CQE", &c);
	return -1;
}

/*
 * The next CQE must be an event of ud with exactly these flags whose res
 * has every bit of want and no bit beyond the USCHEME_EV_* ones.
 */
int ev_expect(struct tr *t, uint64_t ud, uint32_t flags, uint32_t want)
{
	struct uscheme_cqe c;

	if (ev_get(t, &c, SLOW_MS)) {
		fprintf(stderr, "  no event for user_data %#llx within %d ms\n",
			(unsigned long long)ud, SLOW_MS);
		return -1;
	}
	if (c.user_data != ud || c.flags != flags || c.res < 0 ||
	    ((uint32_t)c.res & want) != want || ((uint32_t)c.res & ~(uint32_t)EV_ALL)) {
		fprintf(stderr, "  want user_data %#llx flags %#x res with %#x\n",
			(unsigned long long)ud, flags, want);
		pr_cqe("got", &c);
		return -1;
	}
	return 0;
}

/*
 * The final CQE of ud (res err, F_EVENT without F_MORE), skipping its
 * earlier events. A closed fd ends its registration "at its next event or
 * the next enter": enter every 20 ms rather than sleep in one long wait.
 */
int ev_final(struct tr *t, uint64_t ud, int32_t err)
{
	long long end = deadline(SLOW_MS * 4);
	struct uscheme_cqe c;
	unsigned long skipped = 0;

	for (;;) {
		if (tap_now_ns() > end) {
			fprintf(stderr, "  no final CQE for user_data %#llx: %lu events instead\n",
				(unsigned long long)ud, skipped);
			return -1;
		}
		if (ev_get(t, &c, 20))
			continue;
		if (c.user_data == ud && c.flags == (EV | MORE) && c.res > 0) {
			skipped++;
			continue;	/* an event that came before */
		}
		if (c.user_data != ud || c.flags != EV || c.res != err) {
			fprintf(stderr, "  want final user_data %#llx res %d flags %#x\n",
				(unsigned long long)ud, err, EV);
			pr_cqe("got", &c);
			return -1;
		}
		return 0;
	}
}

/* Collect CQEs until none comes for quiet_ms; returns how many. */
int ev_drain(struct tr *t, struct uscheme_cqe *out, int max, int quiet_ms)
{
	struct uscheme_cqe c;
	int n = 0;

	while (!ev_get(t, &c, quiet_ms)) {
		if (out && n < max)
			out[n] = c;
		n++;
	}
	return n;
}

int count_ud(const struct uscheme_cqe *c, int n, uint64_t ud, uint32_t bits)
{
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (c[i].user_data == ud && (!bits || (c[i].res > 0 && ((uint32_t)c[i].res & bits))))
			k++;
	return k;
}

int stats_ok(struct tr *t)
{
	struct uscheme_stats st;

	CHECK_EQ(us_ring_stats(&t->r, &st), 0);
	CHECK_EQ(st.overflow, 0);
	CHECK_EQ(st.lost, 0);
	return 0;
}

/* ------------------------------------------------------------------ */
/* The test daemon (tests/lib/rawd.h): serves OPEN/READ/WRITE, counts  */
/* notifications, and on command sends SEND_EVENT answers.             */
/* ------------------------------------------------------------------ */

struct dshm *dshm_new(void)
{
	return rawd_shm(sizeof(struct dshm));
}

void dname(struct daemon *dm, const char *tag)
{
	memset(dm, 0, sizeof(*dm));
	snprintf(dm->name, sizeof(dm->name), "ev-%s-%d", tag, (int)getpid());
}

static void dmn_req(struct rawd *d, const struct uscheme_req *rq)
{
	struct dshm *s = d->shm;
	uint64_t room = rq->len;
	unsigned char *buf;
	uint32_t i;

	INC(&s->served);
	if (rq->flags & USCHEME_REQ_F_NOREPLY) {
		if (rq->opcode == USCHEME_OP_CLOSE)
			INC(&s->closes);
		else if (rq->opcode == USCHEME_OP_CANCEL)
			INC(&s->cancels);
		else
			rawd_bad(d, "unknown notification", rq);
		return;
	}
	if (rq->opcode == USCHEME_OP_OPEN || rq->opcode == USCHEME_OP_DUP)
		room++;
	if (rq->opcode == USCHEME_OP_CALL && rq->len2 > room)
		room = rq->len2;
	if (rq->buf > d->data_size || room > d->data_size - rq->buf) {
		rawd_bad(d, "chunk outside the data area", rq);
		rawd_answer(d, rq->tag, -EFAULT, 0);
		return;
	}
	buf = d->data + rq->buf;
	switch (rq->opcode) {
	case USCHEME_OP_OPEN:
	case USCHEME_OP_DUP:
		INC(&s->opens);
		STORE(&s->last_id, dmn_next_id);
		rawd_answer(d, rq->tag, (int32_t)dmn_next_id++, 0);
		return;
	case USCHEME_OP_READ:
		INC(&s->reads);
		for (i = 0; i < rq->len; i++)
			buf[i] = pat(rq->off + i);
		rawd_answer(d, rq->tag, (int32_t)rq->len, 0);
		return;
	case USCHEME_OP_WRITE:
		rawd_answer(d, rq->tag, (int32_t)rq->len, 0);
		return;
	case USCHEME_OP_FSYNC:
	case USCHEME_OP_FTRUNCATE:
		rawd_answer(d, rq->tag, 0, 0);
		return;
	}
	rawd_answer(d, rq->tag, -ENOSYS, 0);
}

/* Take and answer every request waiting (no enter); returns how many. */
int dmn_take(struct rawd *d)
{
	return rawd_take(d, dmn_req);
}

void dmn_cmd(struct rawd *d, uint32_t op, uint64_t id, int32_t res)
{
	struct dshm *s = d->shm;
	struct uscheme_stats st;

	switch (op) {
	case C_EVENT:
		rawd_answer(d, id, res, USCHEME_CQE_F_EVENT);
		rawd_enter(d, 0, 0, 0);
		INC(&s->events_sent);
		break;
	case C_STATS:
		rawd_enter(d, 0, 0, 0);
		if (ioctl(d->fd, USCHEME_IOC_STATS, &st) == 0)
			STORE(&s->rejected, st.rejected);
		break;
	case C_STORM:
		STORE(&s->storm, 1);
		break;
	case C_EXIT:
		STORE(&s->ctl.cmd_ack, LOAD(&s->ctl.cmd_seq));
		_exit(0);
	}
}

static void dmn_loop(struct rawd *d)
{
	struct dshm *s = d->shm;
	uint32_t seen = LOAD(&s->ctl.cmd_seq), k = 0;

	for (;;) {
		int ret, i;

		if (rawd_cmd_pending(d, &seen)) {
			dmn_cmd(d, s->ctl.cmd_op, s->ctl.cmd_id, s->ctl.cmd_arg);
			rawd_cmd_done(d, seen);
		}
		if (LOAD(&s->storm)) {
			/* Readiness flipping as fast as it goes, until killed. */
			for (i = 0; i < 16; i++, k++)
				rawd_answer(d, LOAD(&s->last_id), k & 1 ? EVR : EVW | EVR,
					   USCHEME_CQE_F_EVENT);
			rawd_enter(d, 0, 0, 0);
		}
		ret = rawd_enter(d, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
				(LOAD(&s->storm) ? 1 : 20) * 1000 * 1000);
		if (ret && ret != -ETIME && ret != -EINTR)
			STORE(&s->ctl.derr, ret);
		if (dmn_take(d) < 0)
			_exit(8);
	}
}

int dmn_setup(struct rawd *d, const char *name, unsigned int sq, uint32_t data_size)
{
	dmn_next_id = 100;
	return rawd_setup(d, name, sq, data_size);
}

static void dmn_ready(struct rawd *d)
{
	(void)d;
	dmn_next_id = 100;
}

/* A daemon that keeps the test's fds publishes its scheme ring's fd. */
static void dmn_ready_publish(struct rawd *d)
{
	struct dshm *s = d->shm;

	dmn_next_id = 100;
	STORE(&s->last_id, (uint64_t)d->fd);
}

/*
 * Start a daemon serving dm->name in a child; 0 once it is registered. It
 * runs @loop; with @keep_fds it keeps the fds it inherits (the ones a pass
 * daemon is to pass) and publishes its scheme ring's fd in shm->last_id.
 */
int dstart_loop(struct daemon *dm, void (*loop)(struct rawd *), int keep_fds)
{
	struct rawd_spec spec = { .name = dm->name, .keep_fds = keep_fds, .loop = loop,
				  .ready = keep_fds ? dmn_ready_publish : dmn_ready };

	if (!dm->shm) {
		dm->shm = dshm_new();
		if (!dm->shm)
			return -ENOMEM;
	}
	memset(dm->shm, 0, sizeof(*dm->shm));
	spec.ctl = &dm->shm->ctl;
	spec.shm = dm->shm;
	return rawd_spawn(&spec, &dm->pid);
}

int dstart(struct daemon *dm)
{
	return dstart_loop(dm, dmn_loop, 0);
}

/* Kill and reap a daemon; 0 if it saw nothing wrong. */
int dstop(struct daemon *dm)
{
	return rawd_stop(&dm->pid, dm->name, dm->shm ? &dm->shm->ctl : NULL);
}

int dcmd(struct daemon *dm, uint32_t op, uint64_t id, int32_t res)
{
	return rawd_cmd(&dm->shm->ctl, dm->name, op, res, id);
}

/* SEND_EVENT: the daemon sets handle id's readiness to mask. */
int send_event(struct daemon *dm, uint64_t id, int32_t mask)
{
	return dcmd(dm, C_EVENT, id, mask);
}

int64_t drejected(struct daemon *dm)
{
	if (dcmd(dm, C_STATS, 0, 0))
		return -1;
	return (int64_t)LOAD(&dm->shm->rejected);
}

int d_open(const struct daemon *dm, const char *sub, uint32_t flags)
{
	char path[256];

	snprintf(path, sizeof(path), "%s:%s", dm->name, sub);
	return h_open(path, flags);
}

/* A libuscheme scheme (us_daemon) whose files read as pat(): sources.c, daemon_watch.c. */
static int sr_open(struct us_daemon *d, const struct uscheme_req *req, const char *path,
		   void **state)
{
	(void)d;
	(void)req;
	(void)path;
	*state = NULL;
	return 0;
}

static int sr_read(struct us_daemon *d, const struct uscheme_req *req, void *state,
		   void *buf, size_t len, uint64_t off)
{
	size_t i;

	(void)d;
	(void)req;
	(void)state;
	for (i = 0; i < len; i++)
		((unsigned char *)buf)[i] = pat(off + i);
	return (int)len;
}

const struct us_scheme_ops sr_ops = { .open = sr_open, .read = sr_read };
