// SPDX-License-Identifier: MIT
/*
 * Events (FILES_UPDATE, SEND_EVENT), from userspace on a loaded uscheme.ko:
 * a client ring registers interest in fds and gets readiness as CQEs.
 *
 *   - FILES_UPDATE semantics: ADD/MOD/DEL, ONESHOT, every per-entry error
 *     in one batch with the rest applied, bad ops;
 *   - edge-triggered delivery: one CQE per change, none while nothing
 *     changes, one at ADD/MOD when ready then;
 *   - every source: eventfd, pipe, a socketpair through an epoll fd,
 *     timerfd, a regular file, a scheme handle whose daemon sends
 *     SEND_EVENT, another client ring, a scheme ring; poll/epoll on ring
 *     and handle fds;
 *   - file references the unix-socket GC cannot see: AF_UNIX sockets and
 *     io_uring instances refused as watches (-EOPNOTSUPP), rings, AF_UNIX
 *     sockets and io_uring instances refused as USCHEME_CQE_F_FD answers
 *     (-EIO); each cycle that leaked rings before (a watched socket
 *     holding its ring's fd, an io_uring with the ring registered, a ring
 *     passed to itself or inside a socket) is built and released, and the
 *     ring count (/sys/class/misc/uscheme/rings) must come back;
 *   - POLLFREE: signalfds whose queue is freed while a DEL or a ring
 *     close races the wake callback;
 *   - robustness: an event storm coalesces (ev_merged, no CQ overflow),
 *     thousands of registrations, a CQ smaller than the ready set, closing
 *     a watched fd, and races (close vs fire, DEL vs fire, daemon death
 *     with watchers, rings closed with registrations);
 *   - one wait: a thread serving a scheme and consuming another scheme's
 *     replies through one enter loop; libuscheme's us_daemon_watch.
 *
 * Test daemons are forked on the raw ABI (as in tests/route), except where
 * libuscheme's framework is the thing tested.
 *
 * Usage: events_test [name-substring]
 */
#include <fcntl.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "../../userspace-drivers/libuscheme/libuscheme.h"
#include "../../userspace-drivers/libuscheme/daemon.h"
#include "../../userspace-drivers/libuscheme/reactor.h"
#include "../lib/tap.h"

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define INC(p)		__atomic_add_fetch((p), 1, __ATOMIC_ACQ_REL)

#define MIB		(1U << 20)
#define SLOW_MS		5000	/* the longest wait for something that must come */
#define QUIET_MS	150	/* how long "nothing more comes" is watched */

#define EV		((uint32_t)USCHEME_CQE_F_EVENT)
#define MORE		((uint32_t)USCHEME_CQE_F_MORE)
#define EVR		USCHEME_EV_READ
#define EVW		USCHEME_EV_WRITE
#define EV_ALL		(USCHEME_EV_READ | USCHEME_EV_WRITE | USCHEME_EV_ERR | USCHEME_EV_HUP)
#define FU_ADD		((uint32_t)USCHEME_FU_ADD)
#define FU_MOD		((uint32_t)USCHEME_FU_MOD)
#define FU_DEL		((uint32_t)USCHEME_FU_DEL)
#define FU_ONESHOT	((uint32_t)USCHEME_FU_ONESHOT)

#define RES_HARNESS	(-100000)	/* the harness itself failed */

/* Where a test is, for the report when its time limit kills it. */
static const char *volatile g_where = "";
static volatile int g_round = -1;
static volatile unsigned long g_seen;	/* CQEs taken by the helpers */

static void on_time_limit(int sig)
{
	char msg[256];
	int n = snprintf(msg, sizeof(msg), "  time limit: in %s, round %d, %lu CQEs seen\n",
			 g_where, g_round, g_seen);

	if (n > 0 && write(2, msg, (size_t)n) < 0)
		n = 0;
	signal(sig, SIG_DFL);
	raise(sig);
}
#define UD_FU		0x7f00000000000000ULL	/* FILES_UPDATE ops (+ a sequence) */

/* The byte a test daemon's READ places at file offset x. */
static inline uint8_t pat(uint64_t x)
{
	x = (x + 1) * 0x9E3779B97F4A7C15ULL;
	return (uint8_t)(x >> 56);
}

static int check_pat(const unsigned char *b, uint64_t off, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (b[i] != pat(off + i)) {
			fprintf(stderr, "  data mismatch at offset %llu+%zu\n",
				(unsigned long long)off, i);
			return -1;
		}
	}
	return 0;
}

static int efd_new(unsigned int initval)
{
	return eventfd(initval, EFD_NONBLOCK | EFD_CLOEXEC);
}

static int efd_fire(int fd)
{
	uint64_t one = 1;

	return write(fd, &one, sizeof(one)) == sizeof(one) ? 0 : -errno;
}

static int efd_drain(int fd)
{
	uint64_t v;

	return read(fd, &v, sizeof(v)) == sizeof(v) ? 0 : -errno;
}

/* revents of a poll(2) for POLLIN|POLLOUT with timeout ms. */
static int poll_mask(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN | POLLOUT };
	int r = poll(&p, 1, ms);

	if (r < 0)
		return -errno;
	return r ? p.revents : 0;
}

/* A syscall's result as res or -errno. */
static long sysres(long r)
{
	return r < 0 ? -errno : r;
}

static long long deadline(int ms)
{
	return tap_now_ns() + ms * 1000000LL;
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

/* Wait for a child to exit within ms; its status, or -1 (then it is killed). */
static int wait_exit(pid_t pid, int ms)
{
	long long end = deadline(ms);
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
		fprintf(stderr, "  child status %#x\n", status);
	return 0;
}

/* ------------------------------------------------------------------ */
/* A test ring: a client ring, and CQEs set aside while waiting for a   */
/* FILES_UPDATE's own completion.                                      */
/* ------------------------------------------------------------------ */

#define STASH_MAX	8192

struct tr {
	struct us_ring r;
	struct uscheme_cqe *stash;
	unsigned int nstash, hstash;
	uint64_t fu_seq;
};

static int tr_init(struct tr *t, unsigned int sq, unsigned int cq)
{
	int err;

	memset(t, 0, sizeof(*t));
	t->stash = calloc(STASH_MAX, sizeof(*t->stash));
	if (!t->stash)
		return -ENOMEM;
	err = us_ring_init(&t->r, sq, cq, 0);
	if (err) {
		fprintf(stderr, "  us_ring_init(%u, %u): %d\n", sq, cq, err);
		free(t->stash);
		return err;
	}
	/* Forked daemons must not inherit the mappings. */
	madvise(t->r.hdr, t->r.ring_size, MADV_DONTFORK);
	madvise(t->r.sqes, t->r.sqes_size, MADV_DONTFORK);
	madvise(t->r.cqes, t->r.cqes_size, MADV_DONTFORK);
	return 0;
}

static void tr_exit(struct tr *t)
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

static void pr_cqe(const char *what, const struct uscheme_cqe *c)
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

static int32_t fu_raw(struct tr *t, uint64_t addr, uint32_t len, const struct uscheme_sqe *tmpl)
{
	const char *was = g_where;
	int32_t res;

	g_where = "FILES_UPDATE";
	res = fu_raw_in(t, addr, len, tmpl);
	g_where = was;
	return res;
}

static int32_t fu_n(struct tr *t, struct uscheme_fu_entry *e, uint32_t n)
{
	return fu_raw(t, (uint64_t)(uintptr_t)e, n, NULL);
}

/* One entry; returns its res (checking the op's res agrees). */
static int32_t fu1(struct tr *t, int fd, uint32_t events, uint32_t flags, uint64_t ud)
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
static int ev_get(struct tr *t, struct uscheme_cqe *out, int ms)
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
static int ev_none(struct tr *t, int ms)
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
static int ev_expect(struct tr *t, uint64_t ud, uint32_t flags, uint32_t want)
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
static int ev_final(struct tr *t, uint64_t ud, int32_t err)
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
static int ev_drain(struct tr *t, struct uscheme_cqe *out, int max, int quiet_ms)
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

static int count_ud(const struct uscheme_cqe *c, int n, uint64_t ud, uint32_t bits)
{
	int i, k = 0;

	for (i = 0; i < n; i++)
		if (c[i].user_data == ud && (!bits || (c[i].res > 0 && ((uint32_t)c[i].res & bits))))
			k++;
	return k;
}

static int stats_ok(struct tr *t)
{
	struct uscheme_stats st;

	CHECK_EQ(us_ring_stats(&t->r, &st), 0);
	CHECK_EQ(st.overflow, 0);
	CHECK_EQ(st.lost, 0);
	return 0;
}

/* ------------------------------------------------------------------ */
/* A test daemon on the raw ABI: serves OPEN/READ/WRITE, counts         */
/* notifications, and on command sends SEND_EVENT answers.             */
/* ------------------------------------------------------------------ */

enum { C_NONE, C_EVENT, C_STATS, C_STORM, C_EXIT };

struct dshm {
	uint32_t served, opens, reads, closes, cancels, bad, events_sent;
	int32_t derr;
	uint64_t last_id;
	uint64_t rejected;		/* the scheme ring's stats.rejected (C_STATS) */
	uint32_t storm;			/* C_STORM: keep sending events */
	uint32_t cmd_seq, cmd_ack, cmd_op;
	int32_t cmd_res;
	uint64_t cmd_id;
	char why[160];
};

struct dmn {
	int fd;
	struct uscheme_ring_hdr *hdr;
	const struct uscheme_req *reqs;
	struct uscheme_cqe *resp;
	unsigned char *data;
	size_t ring_size, sqes_size, cqes_size, data_size;
	uint32_t sq_mask, sq_entries, cq_entries, cq_mask;
	uint32_t sq_head, resp_tail, unsent;
	uint64_t next_id;
	struct dshm *shm;
};

struct daemon {
	pid_t pid;
	struct dshm *shm;
	char name[USCHEME_NAME_MAX];
};

static struct dshm *dshm_new(void)
{
	struct dshm *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
			      MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (s == MAP_FAILED)
		return NULL;
	memset(s, 0, sizeof(*s));
	return s;
}

static void dname(struct daemon *dm, const char *tag)
{
	memset(dm, 0, sizeof(*dm));
	snprintf(dm->name, sizeof(dm->name), "ev-%s-%d", tag, (int)getpid());
}

static void dbad(struct dmn *d, const char *why, const struct uscheme_req *rq)
{
	if (INC(&d->shm->bad) == 1)
		snprintf(d->shm->why, sizeof(d->shm->why), "%s (op %u tag %llu id %llu)",
			 why, rq ? rq->opcode : 0, rq ? (unsigned long long)rq->tag : 0ULL,
			 rq ? (unsigned long long)rq->id : 0ULL);
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

/* Write one answer (flags 0) or event (flags USCHEME_CQE_F_EVENT). */
static void dmn_answer(struct dmn *d, uint64_t tag, int32_t res, uint32_t flags)
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

static void dmn_req(struct dmn *d, const struct uscheme_req *rq)
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
			dbad(d, "unknown notification", rq);
		return;
	}
	if (rq->opcode == USCHEME_OP_OPEN || rq->opcode == USCHEME_OP_DUP)
		room++;
	if (rq->opcode == USCHEME_OP_CALL && rq->len2 > room)
		room = rq->len2;
	if (rq->buf > d->data_size || room > d->data_size - rq->buf) {
		dbad(d, "chunk outside the data area", rq);
		dmn_answer(d, rq->tag, -EFAULT, 0);
		return;
	}
	buf = d->data + rq->buf;
	switch (rq->opcode) {
	case USCHEME_OP_OPEN:
	case USCHEME_OP_DUP:
		INC(&s->opens);
		STORE(&s->last_id, d->next_id);
		dmn_answer(d, rq->tag, (int32_t)d->next_id++, 0);
		return;
	case USCHEME_OP_READ:
		INC(&s->reads);
		for (i = 0; i < rq->len; i++)
			buf[i] = pat(rq->off + i);
		dmn_answer(d, rq->tag, (int32_t)rq->len, 0);
		return;
	case USCHEME_OP_WRITE:
		dmn_answer(d, rq->tag, (int32_t)rq->len, 0);
		return;
	case USCHEME_OP_FSYNC:
	case USCHEME_OP_FTRUNCATE:
		dmn_answer(d, rq->tag, 0, 0);
		return;
	}
	dmn_answer(d, rq->tag, -ENOSYS, 0);
}

/* Take and answer every request waiting (no enter); returns how many. */
static int dmn_take(struct dmn *d)
{
	uint32_t tail = LOAD(&d->hdr->sq_tail);
	int n = 0;

	if (tail - d->sq_head > d->sq_entries) {
		STORE(&d->shm->derr, -10002);
		return -1;
	}
	while (d->sq_head != tail) {
		struct uscheme_req rq = d->reqs[d->sq_head & d->sq_mask];

		d->sq_head++;
		STORE(&d->hdr->sq_head, d->sq_head);
		dmn_req(d, &rq);
		n++;
	}
	return n;
}

static void dmn_cmd(struct dmn *d, uint32_t op, uint64_t id, int32_t res)
{
	struct uscheme_stats st;

	switch (op) {
	case C_EVENT:
		dmn_answer(d, id, res, USCHEME_CQE_F_EVENT);
		dmn_enter(d, 0, 0, 0);
		INC(&d->shm->events_sent);
		break;
	case C_STATS:
		dmn_enter(d, 0, 0, 0);
		if (ioctl(d->fd, USCHEME_IOC_STATS, &st) == 0)
			STORE(&d->shm->rejected, st.rejected);
		break;
	case C_STORM:
		STORE(&d->shm->storm, 1);
		break;
	case C_EXIT:
		STORE(&d->shm->cmd_ack, LOAD(&d->shm->cmd_seq));
		_exit(0);
	}
}

static void dmn_loop(struct dmn *d)
{
	struct dshm *s = d->shm;
	uint32_t seen = LOAD(&s->cmd_seq), k = 0;

	for (;;) {
		uint32_t seq = LOAD(&s->cmd_seq);
		int ret, i;

		if (seq != seen) {
			seen = seq;
			dmn_cmd(d, s->cmd_op, s->cmd_id, s->cmd_res);
			STORE(&s->cmd_ack, seq);
		}
		if (LOAD(&s->storm)) {
			/* Readiness flipping as fast as it goes, until killed. */
			for (i = 0; i < 16; i++, k++)
				dmn_answer(d, LOAD(&s->last_id), k & 1 ? EVR : EVW | EVR,
					   USCHEME_CQE_F_EVENT);
			dmn_enter(d, 0, 0, 0);
		}
		ret = dmn_enter(d, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
				(LOAD(&s->storm) ? 1 : 20) * 1000 * 1000);
		if (ret && ret != -ETIME && ret != -EINTR)
			STORE(&s->derr, ret);
		if (dmn_take(d) < 0)
			_exit(8);
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
	d->next_id = 100;
	d->fd = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	if (d->fd < 0)
		return -errno;
	if (ioctl(d->fd, USCHEME_IOC_SETUP, &p) < 0)
		return -errno;
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
	madvise(d->hdr, d->ring_size, MADV_DONTFORK);
	madvise((void *)d->reqs, d->sqes_size, MADV_DONTFORK);
	madvise(d->resp, d->cqes_size, MADV_DONTFORK);
	madvise(d->data, d->data_size, MADV_DONTFORK);
	d->sq_entries = d->hdr->sq_entries;
	d->sq_mask = d->hdr->sq_mask;
	d->cq_entries = d->hdr->cq_entries;
	d->cq_mask = d->hdr->cq_mask;
	d->sq_head = d->hdr->sq_head;
	d->resp_tail = d->hdr->cq_tail;
	memset(&reg, 0, sizeof(reg));
	snprintf(reg.name, sizeof(reg.name), "%s", name);
	if (ioctl(d->fd, USCHEME_IOC_REGISTER, &reg) < 0)
		return -errno;
	return 0;
}

static void dmn_teardown(struct dmn *d)
{
	munmap(d->hdr, d->ring_size);
	munmap((void *)d->reqs, d->sqes_size);
	munmap(d->resp, d->cqes_size);
	munmap(d->data, d->data_size);
	close(d->fd);
}

/*
 * Start a daemon serving dm->name in a child; 0 once it is registered. It
 * runs @loop; with @keep_fds it keeps the fds it inherits (the ones a pass
 * daemon is to pass) and publishes its scheme ring's fd in shm->last_id.
 */
static int dstart_loop(struct daemon *dm, void (*loop)(struct dmn *), int keep_fds)
{
	int p[2], err = -1000;
	pid_t pid;

	if (!dm->shm) {
		dm->shm = dshm_new();
		if (!dm->shm)
			return -ENOMEM;
	}
	memset(dm->shm, 0, sizeof(*dm->shm));
	if (pipe(p))
		return -errno;
	pid = fork_child();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		struct dmn d;
		int fd;

		for (fd = 3; !keep_fds && fd < 8192; fd++)
			if (fd != p[1])
				close(fd);
		memset(&d, 0, sizeof(d));
		d.shm = dm->shm;
		err = dmn_setup(&d, dm->name, 64, 4 * MIB);
		if (!err && keep_fds)
			STORE(&dm->shm->last_id, (uint64_t)d.fd);
		if (write(p[1], &err, sizeof(err)) != sizeof(err) || err)
			_exit(1);
		close(p[1]);
		if (keep_fds)
			close(p[0]);
		loop(&d);
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

static int dstart(struct daemon *dm)
{
	return dstart_loop(dm, dmn_loop, 0);
}

/* Kill and reap a daemon; 0 if it saw nothing wrong. */
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

static int dcmd(struct daemon *dm, uint32_t op, uint64_t id, int32_t res)
{
	struct dshm *s = dm->shm;
	uint32_t seq = s->cmd_seq + 1;
	long long end = deadline(SLOW_MS);

	s->cmd_op = op;
	s->cmd_id = id;
	s->cmd_res = res;
	STORE(&s->cmd_seq, seq);
	while (LOAD(&s->cmd_ack) != seq) {
		if (tap_now_ns() > end) {
			fprintf(stderr, "  daemon %s: command %u not done\n", dm->name, op);
			return -ETIME;
		}
		usleep(500);
	}
	return 0;
}

/* SEND_EVENT: the daemon sets handle id's readiness to mask. */
static int send_event(struct daemon *dm, uint64_t id, int32_t mask)
{
	return dcmd(dm, C_EVENT, id, mask);
}

static int64_t drejected(struct daemon *dm)
{
	if (dcmd(dm, C_STATS, 0, 0))
		return -1;
	return (int64_t)LOAD(&dm->shm->rejected);
}

static int g_dev = -1;

static int h_open(const char *path, uint32_t flags)
{
	struct uscheme_open o;

	if (g_dev < 0)
		g_dev = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	memset(&o, 0, sizeof(o));
	o.path = (uintptr_t)path;
	o.flags = flags;
	o.fd = -1;
	if (ioctl(g_dev, USCHEME_IOC_OPEN, &o) < 0)
		return -errno;
	return o.fd;
}

static int d_open(const struct daemon *dm, const char *sub, uint32_t flags)
{
	char path[256];

	snprintf(path, sizeof(path), "%s:%s", dm->name, sub);
	return h_open(path, flags);
}

/* ------------------------------------------------------------------ */
/* FILES_UPDATE semantics                                              */
/* ------------------------------------------------------------------ */

static int t_feature(void)
{
	uint64_t f = 0;

	CHECK_EQ(us_features(&f), 0);
	CHECK(f & USCHEME_FEAT_FILES_UPDATE);
	return 0;
}

static void fe(struct uscheme_fu_entry *e, int fd, uint32_t events, uint32_t flags,
	       uint64_t ud)
{
	us_fu_entry(e, fd, events, flags, ud);
	e->res = 0x5a5a;	/* must be overwritten */
}

/* Every per-entry error in one batch; the good entries are applied. */
static int t_fu_batch(void)
{
	struct uscheme_fu_entry e[17];
	struct uscheme_cqe got[64];
	struct tr t;
	int a = efd_new(0), b = efd_new(0), c = efd_new(0), bad, n, i;

	CHECK(a >= 0 && b >= 0 && c >= 0);
	CHECK_EQ(tr_init(&t, 64, 0), 0);
	bad = dup(a);
	CHECK(bad >= 0);
	close(bad);		/* a number that is surely not open */

	fe(&e[0], a, EVR, FU_ADD, 1);				/* 0 */
	fe(&e[1], bad, EVR, FU_ADD, 101);			/* -EBADF */
	fe(&e[2], b, 0x100, FU_ADD, 102);			/* unknown event bit */
	fe(&e[3], b, EVR, FU_ADD | (1U << 7), 103);		/* unknown flag */
	fe(&e[4], b, EVR, FU_ADD, 104);
	e[4].resv = 1;						/* reserved field */
	fe(&e[5], a, EVR, FU_ADD, 105);				/* -EEXIST */
	fe(&e[6], c, EVR, FU_MOD, 106);				/* -ENOENT */
	fe(&e[7], c, 0, FU_DEL, 107);				/* -ENOENT */
	fe(&e[8], t.r.fd, EVR, FU_ADD, 108);			/* the ring itself */
	fe(&e[9], b, EVR, FU_ADD | FU_MOD, 109);		/* two at once */
	fe(&e[10], b, EVR, FU_MOD | FU_DEL, 110);
	fe(&e[11], b, EVR, FU_ADD | FU_DEL, 111);
	fe(&e[12], b, EVR, 0, 112);				/* none of them */
	fe(&e[13], a, EVR | EVW, FU_MOD, 2);			/* 0 */
	fe(&e[14], b, EVR, FU_ADD, 3);				/* 0 */
	fe(&e[15], a, 0, FU_DEL, 0);				/* 0 */
	fe(&e[16], -1, EVR, FU_ADD, 116);			/* -EBADF */

	n = fu_n(&t, e, 17);
	for (i = 0; i < 17; i++) {
		static const int32_t want[17] = {
			0, -EBADF, -EINVAL, -EINVAL, -EINVAL, -EEXIST, -ENOENT, -ENOENT,
			-EINVAL, -EINVAL, -EINVAL, -EINVAL, -EINVAL, 0, 0, 0, -EBADF,
		};

		if (e[i].res != want[i]) {
			fprintf(stderr, "  entry %d: res %d, want %d\n", i, e[i].res, want[i]);
			return -1;
		}
	}
	CHECK_EQ(n, 4);		/* entries 0, 13, 14 and 15 */
	/* The inputs are left alone. */
	CHECK_EQ(e[0].fd, a);
	CHECK_EQ(e[0].user_data, 1);
	CHECK_EQ(e[4].resv, 1);

	/* No event ever names a failed entry (a's MOD may have fired before its DEL). */
	n = ev_drain(&t, got, 64, QUIET_MS);
	for (i = 0; i < n && i < 64; i++) {
		if (got[i].user_data != 2) {
			pr_cqe("event of an entry that failed or was never ready", &got[i]);
			return -1;
		}
	}

	/* What the batch left: b registered, a not. */
	CHECK_EQ(fu1(&t, b, EVR, FU_ADD, 4), -EEXIST);
	CHECK_EQ(fu1(&t, b, EVR, FU_MOD, 5), 0);
	CHECK_EQ(fu1(&t, b, 0, FU_DEL, 0), 0);
	CHECK_EQ(fu1(&t, b, 0, FU_DEL, 0), -ENOENT);
	CHECK_EQ(fu1(&t, a, 0, FU_DEL, 0), -ENOENT);
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD, 6), 0);		/* again after DEL */
	CHECK_EQ(fu1(&t, a, EVR, FU_MOD, 7), 0);
	CHECK_EQ(fu1(&t, c, EVR, FU_MOD, 8), -ENOENT);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	close(a);
	close(b);
	close(c);
	return 0;
}

/* Bad FILES_UPDATE ops: the whole op fails. */
static int t_fu_bad_op(void)
{
	struct uscheme_fu_entry *big, one;
	struct uscheme_sqe tmpl;
	struct tr t;
	void *ro;
	int a = efd_new(0);
	uint32_t i;

	CHECK(a >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	big = calloc(USCHEME_FU_MAX + 1, sizeof(*big));
	CHECK(big);

	fe(&one, a, EVR, FU_ADD, 1);
	CHECK_EQ(fu_raw(&t, (uintptr_t)&one, 0, NULL), -EINVAL);	/* len 0 */
	CHECK_EQ(one.res, 0x5a5a);
	CHECK_EQ(fu_raw(&t, (uintptr_t)big, USCHEME_FU_MAX + 1, NULL), -EINVAL);
	CHECK_EQ(fu_raw(&t, 0, 1, NULL), -EFAULT);
	CHECK_EQ(fu_raw(&t, 4096, 1, NULL), -EFAULT);

	/* USCHEME_FU_MAX entries, each invalid (flags 0): res 0, each -EINVAL. */
	for (i = 0; i < USCHEME_FU_MAX; i++)
		fe(&big[i], a, EVR, 0, i);
	CHECK_EQ(fu_n(&t, big, USCHEME_FU_MAX), 0);
	for (i = 0; i < USCHEME_FU_MAX; i++)
		CHECK_EQ(big[i].res, -EINVAL);

	/* Readable, not writable: the res cannot be written back. */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHECK(ro != MAP_FAILED);
	fe(ro, a, 0, FU_DEL, 0);	/* would fail -ENOENT anyway: no side effect */
	CHECK_EQ(mprotect(ro, 4096, PROT_READ), 0);
	CHECK_EQ(fu_raw(&t, (uintptr_t)ro, 1, NULL), -EFAULT);
	munmap(ro, 4096);

	/* Fields FILES_UPDATE does not name must be zero. */
	fe(&one, a, EVR, FU_ADD, 1);
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.opcode = USCHEME_OP_FILES_UPDATE;
	tmpl.fd = a;
	CHECK_EQ(fu_raw(&t, (uintptr_t)&one, 1, &tmpl), -EINVAL);
	tmpl.fd = 0;
	tmpl.op_flags = 1;
	CHECK_EQ(fu_raw(&t, (uintptr_t)&one, 1, &tmpl), -EINVAL);
	tmpl.op_flags = 0;
	tmpl.off = 1;
	CHECK_EQ(fu_raw(&t, (uintptr_t)&one, 1, &tmpl), -EINVAL);
	tmpl.off = 0;
	tmpl.resv1 = 1;
	CHECK_EQ(fu_raw(&t, (uintptr_t)&one, 1, &tmpl), -EINVAL);
	CHECK_EQ(one.res, 0x5a5a);		/* none of them applied it */
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD, 1), 0);

	/* SEND_EVENT is not an SQE. */
	memset(&tmpl, 0, sizeof(tmpl));
	tmpl.opcode = USCHEME_OP_SEND_EVENT;
	CHECK_EQ(fu_raw(&t, 0, 0, &tmpl), -EINVAL);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	free(big);
	tr_exit(&t);
	close(a);
	return 0;
}

/* DEL takes no events and no ONESHOT ("0 for DEL"; "ONESHOT with ADD/MOD"). */
static int t_fu_del_strict(void)
{
	struct tr t;
	int a = efd_new(0);

	CHECK(a >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD, 1), 0);
	CHECK_EQ(fu1(&t, a, 0, FU_DEL | FU_ONESHOT, 0), -EINVAL);
	CHECK_EQ(fu1(&t, a, EVR, FU_DEL, 0), -EINVAL);
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD, 1), -EEXIST);	/* still there */
	CHECK_EQ(fu1(&t, a, 0, FU_DEL, 0), 0);
	tr_exit(&t);
	close(a);
	return 0;
}

/*
 * An entry is taken as it is in memory when its FILES_UPDATE is consumed,
 * and nothing of it but its res (4 bytes at offset 12) is written back.
 * So an array placed 5 bytes into an older one writes its entry's res
 * (-EINVAL: its flags are garbage) over bytes 1..4 of the older entry's
 * user_data, and that entry, submitted afterwards, registers those bytes:
 * its event CQE carries them, and no other byte of the older entry moved.
 * The fuzzer's model of FILES_UPDATE relies on both (tests/fuzz/gen_fu.c,
 * fu_learn()); this is how its CQE with user_data 0xf20000ffffffead9, which
 * it never made, came about.
 */
static int t_fu_res_over_user_data(void)
{
	union {
		struct uscheme_fu_entry e[3];
		unsigned char b[3 * sizeof(struct uscheme_fu_entry)];
	} u, before;
	const uint64_t ud = 0xf2000000000aead9ULL;
	const int32_t einval = -EINVAL;
	uint64_t want;
	int32_t res;
	struct tr t;
	int a = efd_new(1);	/* readable at once: an event at ADD */
	size_t i;

	CHECK(a >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	memset(&u, 0, sizeof(u));
	us_fu_entry(&u.e[0], a, EVR, FU_ADD, ud);
	before = u;
	/* The entry at byte 5: flags are bytes 13..16, 0xd9000000 here. */
	CHECK_EQ(fu_raw(&t, (uintptr_t)(u.b + 5), 1, NULL), 0);
	for (i = 0; i < sizeof(u.b); i++) {
		if (i >= 5 + 12 && i < 5 + 16)
			continue;
		if (u.b[i] != before.b[i]) {
			fprintf(stderr, "  byte %zu of the older array changed: %#x, was %#x\n",
				i, u.b[i], before.b[i]);
			return -1;
		}
	}
	CHECK_EQ(memcmp(u.b + 5 + 12, &einval, sizeof(einval)), 0);
	memcpy(&want, &u.e[0].user_data, sizeof(want));
	CHECK(want != ud);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	CHECK_EQ(want, 0xf20000ffffffead9ULL);	/* the fuzzer's */
#endif

	/* The older array now: its ADD registers the overwritten user_data. */
	CHECK_EQ(fu_raw(&t, (uintptr_t)u.e, 1, NULL), 1);
	memcpy(&res, &u.e[0].res, sizeof(res));
	CHECK_EQ(res, 0);
	CHECK_EQ(ev_expect(&t, want, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(fu1(&t, a, 0, FU_DEL, 0), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	close(a);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Delivery: edge-triggered, ONESHOT                                   */
/* ------------------------------------------------------------------ */

static int t_edge_eventfd(void)
{
	struct tr t;
	int a = efd_new(0), b = efd_new(1);

	CHECK(a >= 0 && b >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD, 7), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* not ready: nothing */
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_expect(&t, 7, EV | MORE, EVR), 0);	/* exactly one */
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* still readable: nothing new */
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(efd_fire(a), 0);			/* a change: another */
	CHECK_EQ(ev_expect(&t, 7, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(efd_drain(a), 0);			/* not readable now */
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_expect(&t, 7, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);

	/* Ready at ADD: one CQE at once, then nothing. */
	CHECK_EQ(fu1(&t, b, EVR, FU_ADD, 8), 0);
	CHECK_EQ(ev_expect(&t, 8, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	/* Ready at MOD: one CQE with the new user_data. */
	CHECK_EQ(fu1(&t, b, EVR, FU_MOD, 9), 0);
	CHECK_EQ(ev_expect(&t, 9, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(efd_fire(b), 0);
	CHECK_EQ(ev_expect(&t, 9, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	close(a);
	close(b);
	return 0;
}

static int t_oneshot(void)
{
	struct tr t;
	int a = efd_new(0);

	CHECK(a >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD | FU_ONESHOT, 11), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_expect(&t, 11, EV, EVR), 0);	/* no F_MORE */
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* disarmed */
	/* Still registered: MOD re-arms (ready now: one CQE). */
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD, 99), -EEXIST);
	CHECK_EQ(fu1(&t, a, EVR, FU_MOD | FU_ONESHOT, 12), 0);
	CHECK_EQ(ev_expect(&t, 12, EV, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	/* Re-armed while not ready: the next change fires it once. */
	CHECK_EQ(efd_drain(a), 0);
	CHECK_EQ(fu1(&t, a, EVR, FU_MOD | FU_ONESHOT, 13), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_expect(&t, 13, EV, EVR), 0);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	/* MOD without ONESHOT: multishot again. */
	CHECK_EQ(fu1(&t, a, EVR, FU_MOD, 14), 0);
	CHECK_EQ(ev_expect(&t, 14, EV | MORE, EVR), 0);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_expect(&t, 14, EV | MORE, EVR), 0);
	CHECK_EQ(fu1(&t, a, 0, FU_DEL, 0), 0);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* DEL ended it */
	tr_exit(&t);
	close(a);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Sources                                                             */
/* ------------------------------------------------------------------ */

static int t_pipe(void)
{
	struct uscheme_cqe got[256];
	static char big[1 << 17];
	struct tr t;
	int p[2], n, i;
	char x = 'x';

	CHECK_EQ(pipe2(p, O_NONBLOCK | O_CLOEXEC), 0);
	CHECK_EQ(tr_init(&t, 8, 64), 0);
	CHECK_EQ(fu1(&t, p[0], EVR, FU_ADD, 20), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(fu1(&t, p[1], EVW, FU_ADD, 21), 0);
	CHECK_EQ(ev_expect(&t, 21, EV | MORE, EVW), 0);	/* writable at ADD */
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);

	/* One byte: the read end's one event. */
	CHECK_EQ(write(p[1], &x, 1), 1);
	n = ev_drain(&t, got, 256, QUIET_MS);
	CHECK_EQ(count_ud(got, n, 20, 0), 1);
	CHECK_EQ(count_ud(got, n, 20, EVR), 1);
	CHECK_EQ(read(p[0], &x, 1), 1);
	CHECK_EQ(ev_drain(&t, got, 256, QUIET_MS) >= 0, 1);

	/* Fill the pipe, then empty it: the write end becomes writable. */
	while (write(p[1], big, sizeof(big)) > 0)
		;
	CHECK_EQ(errno, EAGAIN);
	n = ev_drain(&t, got, 256, QUIET_MS);
	CHECK(count_ud(got, n, 20, EVR) >= 1);		/* data came */
	while (read(p[0], big, sizeof(big)) > 0)
		;
	n = ev_drain(&t, got, 256, QUIET_MS);
	CHECK(count_ud(got, n, 21, EVW) >= 1);
	for (i = 0; i < n; i++)
		CHECK(got[i].flags == (EV | MORE) && got[i].res > 0);

	/* The writer goes (its registration first: it holds the file): HUP. */
	CHECK_EQ(fu1(&t, p[1], 0, FU_DEL, 0), 0);
	CHECK_EQ(close(p[1]), 0);
	n = ev_drain(&t, got, 256, QUIET_MS * 2);
	CHECK(count_ud(got, n, 20, USCHEME_EV_HUP) >= 1);
	CHECK_EQ(count_ud(got, n, 21, 0), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	close(p[0]);
	return 0;
}

/* An epoll fd watching fd for events (EPOLLIN/EPOLLOUT, level-triggered). */
static int epoll_on(int fd, uint32_t events)
{
	struct epoll_event ee = { .events = events, .data.fd = fd };
	int ep = epoll_create1(EPOLL_CLOEXEC);

	if (ep < 0)
		return -errno;
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ee)) {
		close(ep);
		return -errno;
	}
	return ep;
}

/* Which fd epoll ep reports ready now (-1 none), with its events. */
static int epoll_ready(int ep, uint32_t *events)
{
	struct epoll_event ee;

	if (epoll_wait(ep, &ee, 1, 0) != 1)
		return -1;
	*events = ee.events;
	return ee.data.fd;
}

/*
 * A socketpair is watched through an epoll fd (a watch on the AF_UNIX
 * socket itself is refused, see unix_io_uring_refused): epoll holds no
 * reference on the socket, and its fd is an ordinary source.
 */
static int t_socketpair(void)
{
	struct uscheme_cqe got[64];
	struct tr t;
	int s[2], s2[2], ep, ep2, n;
	uint32_t evs = 0;
	char buf[16];

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, s), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, s2), 0);
	ep = epoll_on(s[0], EPOLLIN);
	CHECK(ep >= 0);
	ep2 = epoll_on(s2[0], EPOLLOUT);
	CHECK(ep2 >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, s[0], EVR, FU_ADD, 29), -EOPNOTSUPP);
	CHECK_EQ(fu1(&t, ep, EVR, FU_ADD, 30), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(send(s[1], "a", 1, 0), 1);
	CHECK_EQ(ev_expect(&t, 30, EV | MORE, EVR), 0);
	CHECK_EQ(epoll_ready(ep, &evs), s[0]);
	CHECK(evs & EPOLLIN);
	CHECK_EQ(recv(s[0], buf, sizeof(buf), 0), 1);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(send(s[1], "b", 1, 0), 1);
	CHECK_EQ(ev_expect(&t, 30, EV | MORE, EVR), 0);
	CHECK_EQ(recv(s[0], buf, sizeof(buf), 0), 1);
	CHECK_EQ(epoll_ready(ep, &evs), -1);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	/* WRITE interest: a socket with room makes its epoll fd readable at ADD. */
	CHECK_EQ(fu1(&t, ep2, EVR, FU_ADD, 31), 0);
	CHECK_EQ(ev_expect(&t, 31, EV | MORE, EVR), 0);
	CHECK_EQ(epoll_ready(ep2, &evs), s2[0]);
	CHECK(evs & EPOLLOUT);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	/* The peer closes: the epoll fd turns readable (HUP is epoll's to tell). */
	CHECK_EQ(close(s[1]), 0);
	n = ev_drain(&t, got, 64, QUIET_MS * 2);
	CHECK(count_ud(got, n, 30, USCHEME_EV_READ) >= 1);
	CHECK_EQ(epoll_ready(ep, &evs), s[0]);
	CHECK(evs & EPOLLHUP);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	close(ep);
	close(ep2);
	close(s[0]);
	close(s2[0]);
	close(s2[1]);
	return 0;
}

static int t_timerfd(void)
{
	struct itimerspec its;
	struct uscheme_cqe c;
	struct tr t;
	long long end;
	int tfd, n = 0;
	uint64_t v;

	tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	CHECK(tfd >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, tfd, EVR, FU_ADD, 40), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	memset(&its, 0, sizeof(its));
	its.it_value.tv_nsec = 20 * 1000000;
	its.it_interval.tv_nsec = 20 * 1000000;
	CHECK_EQ(timerfd_settime(tfd, 0, &its, NULL), 0);
	/*
	 * Periodic: each expiry is a change, so several CQEs. (A timerfd
	 * re-arms its hrtimer when read: each event's expiry is consumed.)
	 */
	end = deadline(3000);
	while (n < 5 && tap_now_ns() < end) {
		if (ev_get(&t, &c, 500))
			continue;
		CHECK_EQ(c.user_data, 40);
		CHECK_EQ(c.flags, EV | MORE);
		CHECK(c.res > 0 && (c.res & EVR));
		CHECK_EQ(read(tfd, &v, sizeof(v)), (long)sizeof(v));
		CHECK(v >= 1);
		n++;
	}
	CHECK_EQ(n, 5);
	memset(&its, 0, sizeof(its));
	CHECK_EQ(timerfd_settime(tfd, 0, &its, NULL), 0);	/* disarmed */
	ev_drain(&t, NULL, 0, QUIET_MS);
	CHECK_EQ(ev_none(&t, QUIET_MS * 2), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	close(tfd);
	return 0;
}

/* A file without ->poll (a memfd) is always ready: one CQE at ADD. */
static int t_regular_file(void)
{
	struct tr t;
	int m = memfd_create("events-test", MFD_CLOEXEC);

	CHECK(m >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, m, EVR | EVW, FU_ADD, 45), 0);
	CHECK_EQ(ev_expect(&t, 45, EV | MORE, EVR | EVW), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(write(m, "x", 1), 1);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* no wait queue: no change */
	tr_exit(&t);
	close(m);
	return 0;
}

/* A scheme handle: its daemon sets the readiness with SEND_EVENT. */
static int t_handle_fd(void)
{
	struct daemon dm;
	struct tr t;
	uint64_t id;
	int h;
	char buf[8];

	dname(&dm, "hfd");
	CHECK_EQ(dstart(&dm), 0);
	h = d_open(&dm, "x", O_RDWR);
	CHECK(h >= 0);
	id = LOAD(&dm.shm->last_id);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	/* READ|WRITE ready until the daemon first says otherwise. */
	CHECK_EQ(fu1(&t, h, EVR, FU_ADD, 50), 0);
	CHECK_EQ(ev_expect(&t, 50, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(send_event(&dm, id, 0), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* nothing of interest */
	CHECK_EQ(send_event(&dm, id, EVR), 0);
	CHECK_EQ(ev_expect(&t, 50, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(send_event(&dm, id, EVW), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* WRITE: not asked for */
	CHECK_EQ(send_event(&dm, id, EVR | EVW), 0);
	CHECK_EQ(ev_expect(&t, 50, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	/* MOD to WRITE: ready now (READ|WRITE set). */
	CHECK_EQ(fu1(&t, h, EVW, FU_MOD, 51), 0);
	CHECK_EQ(ev_expect(&t, 51, EV | MORE, EVW), 0);
	/* The handle still serves I/O. */
	CHECK_EQ(pread(h, buf, sizeof(buf), 0), (long)sizeof(buf));
	CHECK_EQ(check_pat((unsigned char *)buf, 0, sizeof(buf)), 0);
	CHECK_EQ(fu1(&t, h, 0, FU_DEL, 0), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	close(h);
	CHECK_EQ(dstop(&dm), 0);
	return 0;
}

/* Another client ring: READ when its CQ is non-empty; its release ends the watch. */
static int t_ring_source(void)
{
	struct uscheme_sqe *sqe;
	struct us_ring b, c;
	struct tr t;
	int bfd;

	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(us_ring_init(&b, 8, 0, 0), 0);
	CHECK_EQ(us_ring_init(&c, 8, 0, 0), 0);
	bfd = b.fd;
	CHECK_EQ(fu1(&t, b.fd, EVR, FU_ADD, 60), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* b's CQ is empty */
	sqe = us_get_sqe(&b);
	CHECK(sqe);
	us_prep_nop(sqe, 1);
	CHECK_EQ(us_submit(&b), 1);
	CHECK_EQ(ev_expect(&t, 60, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	us_cq_advance(&b, us_cq_ready(&b));		/* reaped: not ready */
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	sqe = us_get_sqe(&b);
	CHECK(sqe);
	us_prep_nop(sqe, 2);
	CHECK_EQ(us_submit(&b), 1);
	CHECK_EQ(ev_expect(&t, 60, EV | MORE, EVR), 0);
	/* WRITE on a ring: room in its SQ, ready at ADD. */
	CHECK_EQ(fu1(&t, c.fd, EVW, FU_ADD, 61), 0);
	CHECK_EQ(ev_expect(&t, 61, EV | MORE, EVW), 0);
	/* The watched ring goes away: a final -EBADF, then DEL finds nothing. */
	us_ring_exit(&b);
	CHECK_EQ(ev_final(&t, 60, -EBADF), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(fu1(&t, bfd, 0, FU_DEL, 0), -ENOENT);
	us_ring_exit(&c);
	CHECK_EQ(ev_final(&t, 61, -EBADF), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	return 0;
}

static void *close_ring_later(void *p)
{
	usleep(100 * 1000);
	us_ring_exit(p);
	return NULL;
}

/*
 * A watched ring's release is an event: a watcher asleep in one long enter
 * gets the final CQE at once, not when its wait times out.
 */
static int t_ring_release_wakes(void)
{
	struct us_ring b;
	pthread_t th;
	struct tr t;
	long long t0, ms;
	int ret;

	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(us_ring_init(&b, 8, 0, 0), 0);
	CHECK_EQ(fu1(&t, b.fd, EVR, FU_ADD, 62), 0);
	CHECK_EQ(ev_none(&t, 0), 0);
	CHECK_EQ(pthread_create(&th, NULL, close_ring_later, &b), 0);
	t0 = tap_now_ns();
	ret = us_enter(&t.r, 0, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
		       3000 * 1000000LL, NULL);
	ms = (tap_now_ns() - t0) / 1000000;
	CHECK_EQ(pthread_join(th, NULL), 0);
	fprintf(stderr, "  # enter returned %d after %lld ms\n", ret, ms);
	CHECK_EQ(ret, 0);
	CHECK(ms < 1500);
	CHECK_EQ(ev_final(&t, 62, -EBADF), 0);
	tr_exit(&t);
	return 0;
}

/* Two rings watching each other: no deadlock, both told. */
static int t_rings_watch_each_other(void)
{
	struct uscheme_cqe got[64];
	struct uscheme_sqe *sqe;
	struct tr a, b;
	int n, round;

	CHECK_EQ(tr_init(&a, 8, 0), 0);
	CHECK_EQ(tr_init(&b, 8, 0), 0);
	CHECK_EQ(fu1(&a, b.r.fd, EVR | EVW, FU_ADD, 1), 0);
	CHECK_EQ(fu1(&b, a.r.fd, EVR | EVW, FU_ADD, 2), 0);
	for (round = 0; round < 50; round++) {
		sqe = us_get_sqe(&a.r);
		CHECK(sqe);
		us_prep_nop(sqe, 100 + round);
		CHECK_EQ(us_submit(&a.r), 1);
		n = ev_drain(&b, got, 64, 20);
		CHECK(count_ud(got, n, 2, 0) >= (round ? 0 : 1));
		n = ev_drain(&a, got, 64, 20);
		CHECK_EQ(count_ud(got, n, 100 + round, 0), 1);
	}
	tr_exit(&b);
	CHECK_EQ(ev_final(&a, 1, -EBADF), 0);
	tr_exit(&a);
	return 0;
}

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

static const struct us_scheme_ops sr_ops = { .open = sr_open, .read = sr_read };

/* A scheme ring: READ when its request queue becomes non-empty. */
static int t_scheme_ring_source(void)
{
	char name[USCHEME_NAME_MAX], path[96];
	struct us_daemon d;
	struct tr t;
	long long end;
	int status = -1;
	pid_t pid;

	snprintf(name, sizeof(name), "ev-sr-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s:x", name);
	CHECK_EQ(us_daemon_init(&d, name, &sr_ops, NULL, NULL), 0);
	madvise(d.ring.hdr, d.ring.ring_size, MADV_DONTFORK);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, d.ring.fd, EVR, FU_ADD, 70), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* no requests */
	pid = fork_child();
	CHECK(pid >= 0);
	if (pid == 0) {
		int h = us_open(path, O_RDONLY);

		_exit(h >= 0 ? 0 : 1);
	}
	CHECK_EQ(ev_expect(&t, 70, EV | MORE, EVR), 0);	/* the OPEN arrived */
	end = deadline(SLOW_MS);
	while (tap_now_ns() < end) {
		pid_t r;

		us_daemon_run_once(&d, 20 * 1000000LL);
		r = waitpid(pid, &status, WNOHANG);
		if (r == pid)
			break;
	}
	CHECK(exited_ok(status));
	ev_drain(&t, NULL, 0, QUIET_MS);		/* the CLOSE came too */
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	us_daemon_exit(&d);
	CHECK_EQ(ev_final(&t, 70, -EBADF), 0);
	tr_exit(&t);
	return 0;
}

/* ------------------------------------------------------------------ */
/* SEND_EVENT, poll and epoll                                          */
/* ------------------------------------------------------------------ */

static int t_send_event(void)
{
	struct epoll_event ee;
	struct daemon dm;
	struct tr a, b;
	uint64_t id;
	int64_t rej;
	int h, ep, status;
	pid_t pid;

	dname(&dm, "se");
	CHECK_EQ(dstart(&dm), 0);
	h = d_open(&dm, "x", O_RDWR);
	CHECK(h >= 0);
	id = LOAD(&dm.shm->last_id);
	CHECK_EQ(poll_mask(h, 0), POLLIN | POLLOUT);	/* until the daemon sets it */
	CHECK_EQ(tr_init(&a, 8, 0), 0);
	CHECK_EQ(tr_init(&b, 8, 0), 0);
	CHECK_EQ(fu1(&a, h, EVR, FU_ADD, 80), 0);
	CHECK_EQ(fu1(&b, h, EVR, FU_ADD, 81), 0);
	CHECK_EQ(ev_expect(&a, 80, EV | MORE, EVR), 0);
	CHECK_EQ(ev_expect(&b, 81, EV | MORE, EVR), 0);

	CHECK_EQ(send_event(&dm, id, 0), 0);
	CHECK_EQ(poll_mask(h, 0), 0);
	CHECK_EQ(ev_none(&a, QUIET_MS), 0);
	CHECK_EQ(ev_none(&b, QUIET_MS), 0);

	/* Both watchers told; poll says POLLIN, not POLLOUT. */
	CHECK_EQ(send_event(&dm, id, EVR), 0);
	CHECK_EQ(ev_expect(&a, 80, EV | MORE, EVR), 0);
	CHECK_EQ(ev_expect(&b, 81, EV | MORE, EVR), 0);
	CHECK_EQ(poll_mask(h, 0), POLLIN);
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN | EPOLLOUT;
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, h, &ee), 0);
	memset(&ee, 0, sizeof(ee));
	CHECK_EQ(epoll_wait(ep, &ee, 1, 0), 1);
	CHECK_EQ(ee.events, EPOLLIN);

	CHECK_EQ(send_event(&dm, id, EVW), 0);
	CHECK_EQ(poll_mask(h, 0), POLLOUT);
	memset(&ee, 0, sizeof(ee));
	CHECK_EQ(epoll_wait(ep, &ee, 1, 0), 1);
	CHECK_EQ(ee.events, EPOLLOUT);
	CHECK_EQ(ev_none(&a, QUIET_MS), 0);
	CHECK_EQ(ev_none(&b, QUIET_MS), 0);

	/* A poll(2) sleeping in another process is woken. */
	CHECK_EQ(send_event(&dm, id, 0), 0);
	pid = fork_child();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct pollfd p = { .fd = h, .events = POLLIN };

		_exit(poll(&p, 1, SLOW_MS) == 1 && p.revents == POLLIN ? 0 : 1);
	}
	usleep(100 * 1000);
	CHECK_EQ(send_event(&dm, id, EVR), 0);
	status = wait_exit(pid, SLOW_MS + 1000);
	CHECK(exited_ok(status));
	/* An edge-triggered epoll sleeping here is woken too. */
	CHECK_EQ(send_event(&dm, id, 0), 0);
	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN | EPOLLET;
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_MOD, h, &ee), 0);
	CHECK_EQ(epoll_wait(ep, &ee, 1, 0), 0);
	pid = fork_child();
	CHECK(pid >= 0);
	if (pid == 0) {
		usleep(100 * 1000);
		_exit(send_event(&dm, id, EVR) ? 1 : 0);
	}
	memset(&ee, 0, sizeof(ee));
	CHECK_EQ(epoll_wait(ep, &ee, 1, SLOW_MS), 1);
	CHECK_EQ(ee.events, EPOLLIN);
	CHECK(exited_ok(wait_exit(pid, SLOW_MS)));
	ev_drain(&a, NULL, 0, QUIET_MS);
	ev_drain(&b, NULL, 0, QUIET_MS);

	/* Unknown id, bad mask: dropped, counted; the readiness is unchanged. */
	rej = drejected(&dm);
	CHECK(rej >= 0);
	CHECK_EQ(send_event(&dm, id + 1000, EVR), 0);
	CHECK_EQ(send_event(&dm, id, 0x100), 0);
	CHECK_EQ(send_event(&dm, id, -1), 0);
	CHECK_EQ(drejected(&dm), rej + 3);
	CHECK_EQ(poll_mask(h, 0), POLLIN);
	CHECK_EQ(ev_none(&a, QUIET_MS), 0);

	close(ep);
	tr_exit(&a);
	tr_exit(&b);
	close(h);
	CHECK_EQ(dstop(&dm), 0);
	return 0;
}

/* poll/epoll on a ring fd: POLLIN while events wait to be posted. */
static int ring_poll_fire(void *p)
{
	usleep(100 * 1000);
	return efd_fire(*(int *)p);
}

static void *ring_poll_thread(void *p)
{
	return (void *)(intptr_t)ring_poll_fire(p);
}

static int t_poll_ring(void)
{
	struct pollfd pfd;
	struct epoll_event ee;
	pthread_t th;
	struct tr t;
	void *ret;
	int a = efd_new(0), ep;

	CHECK(a >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD, 110), 0);
	pfd.fd = t.r.fd;
	pfd.events = POLLIN;
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(poll(&pfd, 1, SLOW_MS), 1);
	CHECK(pfd.revents & POLLIN);
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	memset(&ee, 0, sizeof(ee));
	ee.events = EPOLLIN;
	CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, t.r.fd, &ee), 0);
	CHECK_EQ(epoll_wait(ep, &ee, 1, SLOW_MS), 1);
	CHECK(ee.events & EPOLLIN);
	CHECK_EQ(ev_expect(&t, 110, EV | MORE, EVR), 0);
	CHECK_EQ(poll(&pfd, 1, 0), 0);			/* posted and reaped */
	/* A poll sleeping on the ring is woken by a watched fd. */
	CHECK_EQ(pthread_create(&th, NULL, ring_poll_thread, &a), 0);
	CHECK_EQ(poll(&pfd, 1, SLOW_MS), 1);
	CHECK(pfd.revents & POLLIN);
	CHECK_EQ(pthread_join(th, &ret), 0);
	CHECK(ret == NULL);
	CHECK_EQ(ev_expect(&t, 110, EV | MORE, EVR), 0);
	close(ep);
	tr_exit(&t);
	close(a);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Volume: storms, thousands of registrations, a full CQ               */
/* ------------------------------------------------------------------ */

#define STORM_WRITES	100000

struct storm_arg {
	int fd;
	int done;
	unsigned long writes;
};

static void *storm_thread(void *p)
{
	struct storm_arg *s = p;

	while (s->writes < STORM_WRITES) {
		if (efd_fire(s->fd))
			break;
		s->writes++;
	}
	STORE(&s->done, 1);
	return NULL;
}

static int t_storm(void)
{
	struct uscheme_stats st0, st;
	struct storm_arg sa;
	struct uscheme_cqe c;
	pthread_t th;
	struct tr t;
	int a = efd_new(0), i, n;

	CHECK(a >= 0);
	CHECK_EQ(tr_init(&t, 4, 8), 0);
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD, 90), 0);
	CHECK_EQ(us_ring_stats(&t.r, &st0), 0);
	for (i = 0; i < STORM_WRITES; i++)
		CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(us_ring_stats(&t.r, &st), 0);
	CHECK(st.ev_merged > st0.ev_merged);
	CHECK_EQ(st.overflow, 0);
	/* At most one event was pending: one CQE, then nothing. */
	CHECK_EQ(ev_expect(&t, 90, EV | MORE, EVR), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(us_ring_stats(&t.r, &st), 0);
	CHECK_EQ(st.overflow, 0);
	CHECK_EQ(st.lost, 0);
	fprintf(stderr, "  # %llu wakeups merged\n",
		(unsigned long long)(st.ev_merged - st0.ev_merged));

	/* The same from another thread while this one reaps, slowly. */
	memset(&sa, 0, sizeof(sa));
	sa.fd = a;
	CHECK_EQ(pthread_create(&th, NULL, storm_thread, &sa), 0);
	n = 0;
	for (;;) {
		int done = LOAD(&sa.done);

		if (ev_get(&t, &c, done ? QUIET_MS : 100)) {
			if (done)
				break;
			continue;
		}
		CHECK_EQ(c.user_data, 90);
		CHECK_EQ(c.flags, EV | MORE);
		n++;
		if (n % 64 == 0)
			usleep(1000);
	}
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(sa.writes, STORM_WRITES);
	CHECK(n >= 1);
	CHECK_EQ(us_ring_stats(&t.r, &st), 0);
	CHECK_EQ(st.overflow, 0);
	CHECK_EQ(st.lost, 0);
	CHECK(st.completed < st0.completed + (uint64_t)STORM_WRITES);
	fprintf(stderr, "  # threaded storm: %d CQEs for %d writes\n", n, STORM_WRITES);
	tr_exit(&t);
	close(a);
	return 0;
}

static int raise_nofile(unsigned int want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur >= want)
		return 0;
	rl.rlim_cur = want;
	if (rl.rlim_max < want)
		rl.rlim_max = want;
	return setrlimit(RLIMIT_NOFILE, &rl) ? -errno : 0;
}

#define MANY		2000
#define MANY_BATCH	1000

static int t_thousands(void)
{
	static struct uscheme_fu_entry e[MANY];
	static int fds[MANY];
	static unsigned char seen[MANY];
	struct uscheme_cqe c;
	struct tr t;
	int i, got = 0;

	CHECK_EQ(raise_nofile(MANY + 256), 0);
	CHECK_EQ(tr_init(&t, 64, 4096), 0);
	CHECK_EQ(t.r.cq_entries, 4096);
	for (i = 0; i < MANY; i++) {
		fds[i] = efd_new(0);
		CHECK(fds[i] >= 0);
		fe(&e[i], fds[i], EVR, FU_ADD, 1000 + (uint64_t)i);
	}
	for (i = 0; i < MANY; i += MANY_BATCH)
		CHECK_EQ(fu_n(&t, &e[i], MANY_BATCH), MANY_BATCH);
	for (i = 0; i < MANY; i++)
		CHECK_EQ(e[i].res, 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	for (i = 0; i < MANY; i++)
		CHECK_EQ(efd_fire(fds[i]), 0);
	while (got < MANY && !ev_get(&t, &c, SLOW_MS)) {
		uint64_t k = c.user_data - 1000;

		if (c.user_data < 1000 || k >= MANY || seen[k] || c.flags != (EV | MORE) ||
		    c.res <= 0 || !(c.res & EVR)) {
			pr_cqe("bad or repeated event", &c);
			return -1;
		}
		seen[k] = 1;
		got++;
	}
	CHECK_EQ(got, MANY);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	for (i = 0; i < MANY; i++)
		fe(&e[i], fds[i], 0, FU_DEL, 0);
	for (i = 0; i < MANY; i += MANY_BATCH)
		CHECK_EQ(fu_n(&t, &e[i], MANY_BATCH), MANY_BATCH);
	for (i = 0; i < MANY; i++)
		CHECK_EQ(efd_fire(fds[i]), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	for (i = 0; i < MANY; i++)
		close(fds[i]);
	return 0;
}

#define CQF_N		100

/* Fewer CQ slots than ready registrations: the rest come after reaping. */
/*
 * A ready event with no CQ room (every slot reserved by routed ops still in
 * flight) must let a waiter sleep, not spin: an untimed-looking wait of
 * 400 ms burns (almost) no CPU, and times out.
 */
static int t_stalled_event_sleeps(void)
{
	struct us_ring srv;
	struct timespec c0, c1;
	char name[32], path[48];
	struct tr t;
	long long cpu_ns;
	int efd, i, ret;

	snprintf(name, sizeof(name), "ev-stall-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s:x", name);
	CHECK_EQ(us_scheme_init(&srv, name, 16, 0), 0);	/* never answers */
	CHECK_EQ(tr_init(&t, 8, 8), 0);
	efd = efd_new(0);
	CHECK(efd >= 0);
	CHECK_EQ(fu1(&t, efd, EVR, FU_ADD, 77), 0);
	for (i = 0; i < 8; i++) {
		struct uscheme_sqe *sqe = us_get_sqe(&t.r);

		CHECK(sqe);
		us_prep_open(sqe, path, O_RDONLY, 1000 + (uint64_t)i);
	}
	CHECK_EQ(us_submit(&t.r), 8);		/* the whole CQ is reserved */
	CHECK_EQ(efd_fire(efd), 0);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c0);
	ret = us_enter(&t.r, 0, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
		       400 * 1000000LL, NULL);
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &c1);
	cpu_ns = (c1.tv_sec - c0.tv_sec) * 1000000000LL + (c1.tv_nsec - c0.tv_nsec);
	fprintf(stderr, "  # a 400 ms stalled wait used %lld us of CPU\n", cpu_ns / 1000);
	CHECK_EQ(ret, -ETIME);
	CHECK_EQ(us_cq_ready(&t.r), 0);
	CHECK(cpu_ns < 200 * 1000000LL);
	/* The daemon goes: the OPENs fail, and the event comes once there is room. */
	us_ring_exit(&srv);
	close(efd);
	tr_exit(&t);
	return 0;
}

static int t_cq_full(void)
{
	struct uscheme_fu_entry e[CQF_N];
	unsigned char seen[CQF_N];
	int fds[CQF_N], i, got = 0, passes = 0;
	long long end;
	struct tr t;

	memset(seen, 0, sizeof(seen));
	CHECK_EQ(tr_init(&t, 4, 8), 0);
	CHECK_EQ(t.r.cq_entries, 8);
	for (i = 0; i < CQF_N; i++) {
		fds[i] = efd_new(0);
		CHECK(fds[i] >= 0);
		fe(&e[i], fds[i], EVR, FU_ADD, 500 + (uint64_t)i);
	}
	CHECK_EQ(fu_n(&t, e, CQF_N), CQF_N);
	CHECK_EQ(t.nstash, 0);
	for (i = 0; i < CQF_N; i++)
		CHECK_EQ(efd_fire(fds[i]), 0);
	end = deadline(SLOW_MS * 2);
	while (got < CQF_N && tap_now_ns() < end) {
		struct uscheme_cqe *c;
		unsigned int ready;
		int ret;

		ret = us_enter(&t.r, 0, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
			       500 * 1000000LL, NULL);
		CHECK(ret == 0 || ret == -ETIME);
		ready = us_cq_ready(&t.r);
		CHECK(ready <= t.r.cq_entries);
		if (!passes++)
			CHECK_EQ(ready, t.r.cq_entries);	/* filled, not overrun */
		while ((c = us_peek_cqe(&t.r))) {
			uint64_t k = c->user_data - 500;

			if (c->user_data < 500 || k >= CQF_N || seen[k] || c->flags != (EV | MORE)) {
				pr_cqe("bad or repeated event", c);
				return -1;
			}
			seen[k] = 1;
			got++;
			us_cqe_seen(&t.r);
		}
	}
	CHECK_EQ(got, CQF_N);
	CHECK(passes >= CQF_N / 8);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	{
		struct uscheme_stats st;

		CHECK_EQ(us_ring_stats(&t.r, &st), 0);
		CHECK_EQ(st.lost, 0);
	}
	tr_exit(&t);
	for (i = 0; i < CQF_N; i++)
		close(fds[i]);
	return 0;
}

/* Closing a watched fd ends its registration with a final -EBADF. */
static int t_close_watched(void)
{
	struct tr t;
	int a = efd_new(0), b, c;

	CHECK(a >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD, 120), 0);
	CHECK_EQ(close(a), 0);
	CHECK_EQ(ev_final(&t, 120, -EBADF), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(fu1(&t, a, 0, FU_DEL, 0), -ENOENT);

	/* Closed with an event pending. */
	a = efd_new(0);
	CHECK(a >= 0);
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD, 121), 0);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(close(a), 0);
	CHECK_EQ(ev_final(&t, 121, -EBADF), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);

	/* Closed and the number reused for another file before the next enter. */
	b = efd_new(0);
	CHECK(b >= 0);
	CHECK_EQ(fu1(&t, b, EVR, FU_ADD, 122), 0);
	CHECK_EQ(close(b), 0);
	c = efd_new(0);
	CHECK_EQ(c, b);
	CHECK_EQ(efd_fire(c), 0);		/* not the watched file */
	CHECK_EQ(ev_final(&t, 122, -EBADF), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(fu1(&t, c, EVR, FU_ADD, 123), 0);	/* the new file: a new watch */
	CHECK_EQ(ev_expect(&t, 123, EV | MORE, EVR), 0);
	CHECK_EQ(fu1(&t, c, 0, FU_DEL, 0), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	close(c);
	return 0;
}

/* A ONESHOT registration that fired (disarmed, still registered) ends too. */
static int t_close_disarmed(void)
{
	struct tr t;
	int a = efd_new(0);

	CHECK(a >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD | FU_ONESHOT, 125), 0);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_expect(&t, 125, EV, EVR), 0);
	CHECK_EQ(close(a), 0);
	CHECK_EQ(ev_final(&t, 125, -EBADF), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(fu1(&t, a, 0, FU_DEL, 0), -ENOENT);
	tr_exit(&t);
	return 0;
}

/* ------------------------------------------------------------------ */
/* Races: no crash, no hang, no lost final CQE                          */
/* ------------------------------------------------------------------ */

struct fire_arg {
	int fd;
	int stop;
	unsigned long n;
};

static void *fire_thread(void *p)
{
	struct fire_arg *f = p;

	while (!LOAD(&f->stop)) {
		efd_fire(f->fd);	/* fails with EBADF once closed: fine */
		f->n++;
	}
	return NULL;
}

#define RACE_ROUNDS	1000

/* close(fd) while another thread makes it fire. */
static int t_race_close_fire(void)
{
	struct fire_arg fa;
	pthread_t th;
	struct tr t;
	int round;

	CHECK_EQ(tr_init(&t, 8, 64), 0);
	for (round = 0; round < RACE_ROUNDS; round++) {
		uint64_t ud = 10000 + (uint64_t)round;
		int a = efd_new(0), w;

		CHECK(a >= 0);
		/* Odd rounds fire through a dup: the file outlives the watched fd. */
		w = round & 1 ? dup(a) : a;
		CHECK(w >= 0);
		CHECK_EQ(fu1(&t, a, EVR, FU_ADD, ud), 0);
		memset(&fa, 0, sizeof(fa));
		fa.fd = w;
		CHECK_EQ(pthread_create(&th, NULL, fire_thread, &fa), 0);
		if (round % 3)
			usleep((unsigned int)(round % 50));
		CHECK_EQ(close(a), 0);
		if (round % 5 == 0)	/* the close seen at a wakeup rather than an enter */
			usleep(200);
		g_round = round;
		g_where = "race_close_vs_fire: waiting for the final CQE";
		if (ev_final(&t, ud, -EBADF)) {
			fprintf(stderr, "  round %d\n", round);
			STORE(&fa.stop, 1);
			pthread_join(th, NULL);
			return -1;
		}
		STORE(&fa.stop, 1);
		CHECK_EQ(pthread_join(th, NULL), 0);
		if (w != a)
			close(w);
	}
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	return 0;
}

/* DEL (and ONESHOT re-arming MOD) while another thread makes the fd fire. */
static int t_race_del_fire(void)
{
	struct uscheme_cqe got[256];
	struct fire_arg fa;
	pthread_t th;
	struct tr t;
	int a = efd_new(0), round, n, i;

	CHECK(a >= 0);
	CHECK_EQ(tr_init(&t, 8, 64), 0);
	memset(&fa, 0, sizeof(fa));
	fa.fd = a;
	CHECK_EQ(pthread_create(&th, NULL, fire_thread, &fa), 0);
	for (round = 0; round < RACE_ROUNDS; round++) {
		uint64_t ud = 20000 + (uint64_t)round;

		CHECK_EQ(fu1(&t, a, EVR, FU_ADD, ud), 0);
		if (round & 1)
			usleep((unsigned int)(round % 40));
		if (round % 3 == 0)
			us_enter(&t.r, 0, 0, 0, 0, NULL);	/* post what is pending */
		CHECK_EQ(fu1(&t, a, 0, FU_DEL, 0), 0);
		n = ev_drain(&t, got, 256, 0);
		for (i = 0; i < n && i < 256; i++) {
			if (got[i].user_data < 20000 || got[i].user_data > ud ||
			    got[i].res <= 0) {
				pr_cqe("stray CQE", &got[i]);
				STORE(&fa.stop, 1);
				pthread_join(th, NULL);
				return -1;
			}
		}
	}
	/* ONESHOT re-armed with MOD, over and over, while it fires. */
	CHECK_EQ(fu1(&t, a, EVR, FU_ADD | FU_ONESHOT, 30000), 0);
	for (round = 0; round < RACE_ROUNDS; round++) {
		CHECK_EQ(fu1(&t, a, EVR, FU_MOD | FU_ONESHOT, 30000), 0);
		if (round & 1)
			ev_drain(&t, NULL, 0, 0);
	}
	CHECK_EQ(fu1(&t, a, 0, FU_DEL, 0), 0);
	STORE(&fa.stop, 1);
	CHECK_EQ(pthread_join(th, NULL), 0);
	ev_drain(&t, NULL, 0, QUIET_MS);
	CHECK_EQ(efd_fire(a), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);		/* all gone */
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	close(a);
	fprintf(stderr, "  # %lu writes raced\n", fa.n);
	return 0;
}

struct poller_arg {
	int fd;
	int stop;
	unsigned long polls;
};

static void *poller_thread(void *p)
{
	struct poller_arg *pa = p;

	while (!LOAD(&pa->stop)) {
		struct pollfd pfd = { .fd = pa->fd, .events = POLLIN | POLLOUT };

		poll(&pfd, 1, 5);
		pa->polls++;
	}
	return NULL;
}

#define DEATH_ROUNDS	40

/* A daemon killed while it sends events to handles that rings, poll and epoll watch. */
static int t_race_daemon_death(void)
{
	struct poller_arg pa;
	struct epoll_event ee;
	struct daemon dm;
	pthread_t th;
	struct tr t, t2;
	char buf[8];
	int round;

	CHECK_EQ(tr_init(&t, 8, 64), 0);
	CHECK_EQ(tr_init(&t2, 8, 64), 0);
	for (round = 0; round < DEATH_ROUNDS; round++) {
		uint64_t ud = 40000 + (uint64_t)round;
		int h, ep;

		g_round = round;
		g_where = "race_daemon_death";

		dname(&dm, "death");
		CHECK_EQ(dstart(&dm), 0);
		h = d_open(&dm, "x", O_RDWR);
		CHECK(h >= 0);
		CHECK_EQ(fu1(&t, h, EVR | EVW, FU_ADD, ud), 0);
		CHECK_EQ(fu1(&t2, h, EVR, FU_ADD, ud), 0);
		ep = epoll_create1(EPOLL_CLOEXEC);
		CHECK(ep >= 0);
		memset(&ee, 0, sizeof(ee));
		ee.events = EPOLLIN | EPOLLET;
		CHECK_EQ(epoll_ctl(ep, EPOLL_CTL_ADD, h, &ee), 0);
		memset(&pa, 0, sizeof(pa));
		pa.fd = h;
		CHECK_EQ(pthread_create(&th, NULL, poller_thread, &pa), 0);
		CHECK_EQ(dcmd(&dm, C_STORM, 0, 0), 0);
		usleep((unsigned int)(round % 10) * 1000);
		ev_drain(&t, NULL, 0, 0);
		kill(dm.pid, SIGKILL);
		ev_drain(&t2, NULL, 0, 0);
		waitpid(dm.pid, NULL, 0);
		dm.pid = 0;
		epoll_wait(ep, &ee, 1, 0);
		STORE(&pa.stop, 1);
		CHECK_EQ(pthread_join(th, NULL), 0);
		CHECK_EQ(read(h, buf, sizeof(buf)), -1);
		CHECK_EQ(errno, EPIPE);
		close(ep);
		/* The handle's registrations still end cleanly. */
		CHECK_EQ(close(h), 0);
		if (ev_final(&t, ud, -EBADF) || ev_final(&t2, ud, -EBADF)) {
			fprintf(stderr, "  round %d\n", round);
			return -1;
		}
		CHECK_EQ(dstop(&dm), 0);
		munmap(dm.shm, sizeof(*dm.shm));
	}
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(ev_none(&t2, 0), 0);
	tr_exit(&t);
	tr_exit(&t2);
	return 0;
}

/*
 * A daemon's death wakes what waits on its handles: a handle whose reads
 * now fail at once (-EPIPE) must not leave a poller asleep.
 */
static int t_daemon_death_wakes(void)
{
	struct uscheme_cqe got[16];
	struct daemon dm;
	struct tr t;
	uint64_t id;
	int h, n, m, status;
	char buf[1];
	long r;
	pid_t pid;

	dname(&dm, "dwake");
	CHECK_EQ(dstart(&dm), 0);
	h = d_open(&dm, "x", O_RDWR);
	CHECK(h >= 0);
	id = LOAD(&dm.shm->last_id);
	CHECK_EQ(send_event(&dm, id, 0), 0);
	CHECK_EQ(poll_mask(h, 0), 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, h, EVR, FU_ADD, 130), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	pid = fork_child();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct pollfd p = { .fd = h, .events = POLLIN };

		_exit(poll(&p, 1, SLOW_MS) == 1 ? 0 : 1);
	}
	usleep(100 * 1000);
	CHECK_EQ(dstop(&dm), 0);
	status = wait_exit(pid, SLOW_MS + 1000);
	m = poll_mask(h, 0);
	n = ev_drain(&t, got, 16, QUIET_MS * 2);
	r = sysres(read(h, buf, 1));
	fprintf(stderr, "  # after the daemon died: a sleeping poll %s; poll(0) %#x; "
		"%d event CQEs (first res %d); read %ld\n",
		exited_ok(status) ? "woke" : "was NOT woken", m, n, n ? got[0].res : 0, r);
	/* READ|WRITE|ERR|HUP once the daemon is gone; ops fail with -EPIPE. */
	CHECK(exited_ok(status));
	CHECK_EQ(m, POLLIN | POLLOUT | POLLERR | POLLHUP);
	CHECK_EQ(r, -EPIPE);
	CHECK_EQ(n, 1);
	CHECK_EQ(got[0].user_data, 130);
	CHECK_EQ(got[0].flags, EV | MORE);
	CHECK_EQ(got[0].res, EVR | USCHEME_EV_ERR | USCHEME_EV_HUP);
	tr_exit(&t);
	close(h);
	return 0;
}

#define RCLOSE_ROUNDS	200
#define RCLOSE_FDS	20

struct multi_fire {
	int *fds;
	int n;
	int stop;
};

static void *multi_fire_thread(void *p)
{
	struct multi_fire *m = p;
	int i;

	while (!LOAD(&m->stop))
		for (i = 0; i < m->n; i++)
			efd_fire(m->fds[i]);
	return NULL;
}

/* A ring closed with registrations firing. */
static int t_race_ring_close(void)
{
	struct uscheme_fu_entry e[RCLOSE_FDS];
	int fds[RCLOSE_FDS], round, i;
	struct multi_fire mf;
	pthread_t th;

	for (i = 0; i < RCLOSE_FDS; i++) {
		fds[i] = efd_new(0);
		CHECK(fds[i] >= 0);
	}
	memset(&mf, 0, sizeof(mf));
	mf.fds = fds;
	mf.n = RCLOSE_FDS;
	CHECK_EQ(pthread_create(&th, NULL, multi_fire_thread, &mf), 0);
	for (round = 0; round < RCLOSE_ROUNDS; round++) {
		struct tr t;

		CHECK_EQ(tr_init(&t, 8, 16), 0);
		for (i = 0; i < RCLOSE_FDS; i++)
			fe(&e[i], fds[i], EVR | EVW, FU_ADD | (i & 1 ? FU_ONESHOT : 0),
			   (uint64_t)i);
		CHECK_EQ(fu_n(&t, e, RCLOSE_FDS), RCLOSE_FDS);
		if (round & 1)
			us_enter(&t.r, 0, 0, 0, 0, NULL);	/* some posted, the CQ full */
		usleep((unsigned int)(round % 30) * 10);
		tr_exit(&t);
	}
	STORE(&mf.stop, 1);
	CHECK_EQ(pthread_join(th, NULL), 0);
	for (i = 0; i < RCLOSE_FDS; i++)
		close(fds[i]);
	return 0;
}

struct ring_closer {
	struct us_ring *r;
	int nops;
	int err;
};

static void *ring_closer_thread(void *p)
{
	struct ring_closer *rc = p;
	int i;

	for (i = 0; i < rc->nops; i++) {
		struct uscheme_sqe *sqe = us_get_sqe(rc->r);

		if (!sqe || (us_prep_nop(sqe, (uint64_t)i), us_submit(rc->r) != 1)) {
			rc->err = -1;
			break;
		}
		us_cq_advance(rc->r, us_cq_ready(rc->r));
	}
	us_ring_exit(rc->r);	/* released while the watcher is woken by it */
	return NULL;
}

/* A watched ring closes (in another thread) while it keeps firing. */
static int t_race_watched_ring_close(void)
{
	struct ring_closer rc;
	struct us_ring b;
	pthread_t th;
	struct tr t;
	int round;

	CHECK_EQ(tr_init(&t, 8, 64), 0);
	for (round = 0; round < RCLOSE_ROUNDS; round++) {
		uint64_t ud = 50000 + (uint64_t)round;

		CHECK_EQ(us_ring_init(&b, 8, 0, 0), 0);
		CHECK_EQ(fu1(&t, b.fd, EVR | EVW, FU_ADD, ud), 0);
		memset(&rc, 0, sizeof(rc));
		rc.r = &b;
		rc.nops = round % 50;
		CHECK_EQ(pthread_create(&th, NULL, ring_closer_thread, &rc), 0);
		g_round = round;
		g_where = "race_watched_ring_close: waiting for the final CQE";
		if (ev_final(&t, ud, -EBADF)) {
			fprintf(stderr, "  round %d\n", round);
			pthread_join(th, NULL);
			return -1;
		}
		g_where = "race_watched_ring_close: joining the closer";
		CHECK_EQ(pthread_join(th, NULL), 0);
		CHECK_EQ(rc.err, 0);
	}
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	return 0;
}

/* ------------------------------------------------------------------ */
/* One wait: serve a scheme and consume another scheme's replies        */
/* ------------------------------------------------------------------ */

#define SW_READS	20
#define SW_LEN		64
#define UD_S		0x5c4e3e00ULL	/* the scheme ring's registration */
#define UD_OPEN		0x0be11000ULL
#define UD_READ		0x4ead0000ULL

/* A client of the scheme served by the test: open, SW_READS checked reads. */
static int sw_client(const char *path)
{
	unsigned char buf[SW_LEN];
	int h = us_open(path, O_RDONLY), k;

	if (h < 0) {
		fprintf(stderr, "  client: open %s: %d\n", path, h);
		return 1;
	}
	for (k = 0; k < SW_READS; k++) {
		if (pread(h, buf, SW_LEN, (off_t)k * SW_LEN) != SW_LEN ||
		    check_pat(buf, (uint64_t)k * SW_LEN, SW_LEN))
			return 1;
	}
	close(h);
	return 0;
}

static int t_single_wait(void)
{
	static unsigned char rbuf[SW_READS][SW_LEN];
	char name[USCHEME_NAME_MAX], path[96], opath[96];
	int ofd = -1, inflight = 0, next = 0, done = 0, s_events = 0, waits = 0;
	int status = -1, p_done = 0;
	struct uscheme_sqe *sqe;
	struct daemon other;
	long long end;
	struct dmn s;
	struct tr c;
	pid_t pid;

	dname(&other, "swo");
	CHECK_EQ(dstart(&other), 0);
	snprintf(opath, sizeof(opath), "%s:file", other.name);
	memset(&s, 0, sizeof(s));
	s.shm = dshm_new();
	CHECK(s.shm);
	snprintf(name, sizeof(name), "ev-sw-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s:x", name);
	CHECK_EQ(dmn_setup(&s, name, 64, 4 * MIB), 0);
	CHECK_EQ(tr_init(&c, 16, 64), 0);
	/* The scheme ring, watched from the client ring: the only wait. */
	CHECK_EQ(fu1(&c, s.fd, EVR, FU_ADD, UD_S), 0);
	pid = fork_child();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(sw_client(path));
	sqe = us_get_sqe(&c.r);
	CHECK(sqe);
	us_prep_open(sqe, opath, O_RDONLY, UD_OPEN);

	end = deadline(30000);
	while (!(p_done && done == SW_READS) && tap_now_ns() < end) {
		struct uscheme_cqe cq;
		int ret;

		ret = us_submit(&c.r);
		CHECK(ret >= 0 || ret == -EBUSY);
		/* The single wait: requests for our scheme and the other's replies. */
		ret = us_enter(&c.r, 0, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
			       1000 * 1000000LL, NULL);
		CHECK(ret == 0 || ret == -ETIME || ret == -EINTR);
		waits++;
		while (!ev_get(&c, &cq, 0)) {
			if (cq.user_data == UD_S) {
				CHECK_EQ(cq.flags, EV | MORE);
				CHECK(cq.res > 0 && (cq.res & EVR));
				s_events++;
			} else if (cq.user_data == UD_OPEN) {
				CHECK_EQ(cq.flags, 0);
				CHECK(cq.res >= 0);
				ofd = cq.res;
			} else if (cq.user_data >= UD_READ && cq.user_data < UD_READ + SW_READS) {
				uint64_t k = cq.user_data - UD_READ;

				CHECK_EQ(cq.flags, 0);
				CHECK_EQ(cq.res, SW_LEN);
				CHECK_EQ(check_pat(rbuf[k], k * SW_LEN, SW_LEN), 0);
				done++;
				inflight--;
			} else {
				pr_cqe("unexpected CQE", &cq);
				return -1;
			}
		}
		while (ofd >= 0 && next < SW_READS && inflight < 4) {
			sqe = us_get_sqe(&c.r);
			if (!sqe)
				break;
			us_prep_read(sqe, ofd, rbuf[next], SW_LEN, (uint64_t)next * SW_LEN,
				     UD_READ + (uint64_t)next);
			next++;
			inflight++;
		}
		/* Serve our scheme: take its requests, hand the answers over, never wait on it. */
		if (dmn_take(&s) > 0 || s.unsent)
			CHECK_EQ(dmn_enter(&s, 0, 0, 0), 0);
		if (!p_done && waitpid(pid, &status, WNOHANG) == pid)
			p_done = 1;
	}
	if (!p_done) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	fprintf(stderr, "  # %d waits, %d scheme-ring events, %d replies\n", waits, s_events,
		done);
	CHECK(exited_ok(status));
	CHECK_EQ(done, SW_READS);
	CHECK(s_events >= 1);
	CHECK_EQ(LOAD(&s.shm->reads), SW_READS);
	CHECK_EQ(LOAD(&s.shm->bad), 0);
	CHECK_EQ(s.shm->derr, 0);
	CHECK_EQ(LOAD(&other.shm->reads), SW_READS);
	CHECK_EQ(stats_ok(&c), 0);
	close(ofd);
	tr_exit(&c);
	dmn_teardown(&s);
	CHECK_EQ(dstop(&other), 0);
	return 0;
}

/* ------------------------------------------------------------------ */
/* libuscheme: the daemon framework waits on everything at once         */
/* ------------------------------------------------------------------ */

#define DW_READS	10
#define DW_KICKS	5

struct dw_ctx;

struct dw_read {
	struct us_op op;
	struct dw_ctx *ctx;
	int k;
};

struct dw_ctx {
	struct us_daemon *d;
	struct us_reactor *rx;
	struct us_op open_op;
	struct dw_read rd[DW_READS];
	unsigned char buf[DW_READS][SW_LEN];
	int ofd, reads_done, err;
	uint64_t kicks;
	int kick_calls, e2_final, stop_calls;
};

static void dw_on_kick(struct us_daemon *d, int fd, int events, void *p)
{
	struct dw_ctx *ctx = p;
	uint64_t v;

	(void)d;
	if (events < 0 || !(events & EVR)) {
		fprintf(stderr, "  kick watch: events %d\n", events);
		ctx->err++;
		return;
	}
	ctx->kick_calls++;
	if (read(fd, &v, sizeof(v)) == sizeof(v))
		ctx->kicks += v;
}

static void dw_on_e2(struct us_daemon *d, int fd, int events, void *p)
{
	struct dw_ctx *ctx = p;

	(void)d;
	(void)fd;
	if (events < 0)
		ctx->e2_final = events;
}

static void dw_on_stop(struct us_daemon *d, int fd, int events, void *p)
{
	struct dw_ctx *ctx = p;

	(void)fd;
	(void)events;
	ctx->stop_calls++;
	us_daemon_stop(d);
}

static void dw_read_done(struct us_reactor *rx, struct us_op *op, const struct uscheme_cqe *cqe)
{
	struct dw_read *r = op->ctx;

	(void)rx;
	if (cqe->res != SW_LEN ||
	    check_pat(r->ctx->buf[r->k], (uint64_t)r->k * SW_LEN, SW_LEN)) {
		fprintf(stderr, "  read %d: res %d\n", r->k, cqe->res);
		r->ctx->err++;
		return;
	}
	r->ctx->reads_done++;
}

static void dw_open_done(struct us_reactor *rx, struct us_op *op, const struct uscheme_cqe *cqe)
{
	struct dw_ctx *ctx = op->ctx;
	int k;

	if (cqe->res < 0) {
		fprintf(stderr, "  open: %d\n", cqe->res);
		ctx->err++;
		return;
	}
	ctx->ofd = cqe->res;
	for (k = 0; k < DW_READS; k++) {	/* submitted from the callback */
		struct uscheme_sqe *sqe;

		ctx->rd[k].op.complete = dw_read_done;
		ctx->rd[k].op.ctx = &ctx->rd[k];
		ctx->rd[k].ctx = ctx;
		ctx->rd[k].k = k;
		sqe = us_reactor_sqe(rx, &ctx->rd[k].op);
		if (!sqe) {
			ctx->err++;
			return;
		}
		us_prep_read(sqe, ctx->ofd, ctx->buf[k], SW_LEN, (uint64_t)k * SW_LEN,
			     sqe->user_data);
	}
}

struct kicker {
	int fd, n, delay_ms;
};

static void *kicker_thread(void *p)
{
	struct kicker *k = p;
	int i;

	for (i = 0; i < k->n; i++) {
		usleep((unsigned int)k->delay_ms * 1000);
		efd_fire(k->fd);
	}
	return NULL;
}

static int client_reads(const char *path, int n)
{
	unsigned char buf[SW_LEN];
	int h = us_open(path, O_RDONLY), k;

	if (h < 0)
		return 1;
	for (k = 0; k < n; k++)
		if (pread(h, buf, SW_LEN, (off_t)k * SW_LEN) != SW_LEN ||
		    check_pat(buf, (uint64_t)k * SW_LEN, SW_LEN))
			return 1;
	close(h);
	return 0;
}

/*
 * A callback that unwatches its own fd while a second event of the same
 * registration waits in the CQ: the DEL's wait dispatches that event, and
 * fn must not run again inside itself (pcid reaped a driver, then ran its
 * exit handler a second time, nested, on 6.12 where a pidfd wakes twice).
 */
struct uw_ctx {
	int calls, depth, nested, unwatch_ret;
};

static void uw_on_event(struct us_daemon *d, int fd, int events, void *p)
{
	struct uw_ctx *c = p;

	if (events < 0)
		return;
	c->calls++;
	if (c->depth)
		c->nested++;
	c->depth++;
	c->unwatch_ret = us_daemon_unwatch(d, fd);
	c->depth--;
}

static int t_daemon_unwatch_in_callback(void)
{
	char name[USCHEME_NAME_MAX];
	struct uw_ctx c = { 0 };
	struct us_daemon d;
	struct us_ring *ring;
	int efd, r, i;

	snprintf(name, sizeof(name), "ev-uw-%d", (int)getpid());
	CHECK_EQ(us_daemon_init(&d, name, &sr_ops, NULL, NULL), 0);
	efd = efd_new(0);
	CHECK(efd >= 0);
	CHECK_EQ(us_daemon_watch(&d, efd, EVR, uw_on_event, &c), 0);
	ring = us_daemon_client_ring(&d);
	CHECK(ring != NULL);
	/* Two edges, each posted by an enter of its own: two event CQEs. */
	for (i = 0; i < 2; i++) {
		CHECK_EQ(efd_fire(efd), 0);
		CHECK_EQ(us_enter(ring, 0, 0, 0, 0, NULL), 0);
		CHECK_EQ(efd_drain(efd), 0);
	}
	CHECK_EQ(us_cq_ready(ring), 2);
	r = us_daemon_run_once(&d, 200 * 1000000LL);
	CHECK(r >= 0 || r == -ETIME);
	CHECK_EQ(c.calls, 1);
	CHECK_EQ(c.nested, 0);
	CHECK_EQ(c.unwatch_ret, 0);
	/* and nothing later either */
	CHECK_EQ(efd_fire(efd), 0);
	r = us_daemon_run_once(&d, 100 * 1000000LL);
	CHECK(r >= 0 || r == -ETIME);
	CHECK_EQ(c.calls, 1);
	close(efd);
	us_daemon_exit(&d);
	return 0;
}

static int t_daemon_watch(void)
{
	char name[USCHEME_NAME_MAX], path[96], opath[96];
	struct dw_ctx ctx;
	struct daemon other;
	struct us_daemon d;
	struct kicker kk;
	struct uscheme_sqe *sqe;
	pthread_t th;
	long long end;
	int efd, e2, e3, status = -1, p_done = 0, r, kc;
	pid_t pid;

	memset(&ctx, 0, sizeof(ctx));
	ctx.ofd = -1;
	dname(&other, "dwo");
	CHECK_EQ(dstart(&other), 0);
	snprintf(opath, sizeof(opath), "%s:file", other.name);
	snprintf(name, sizeof(name), "ev-dw-%d", (int)getpid());
	snprintf(path, sizeof(path), "%s:x", name);
	CHECK_EQ(us_daemon_init(&d, name, &sr_ops, &ctx, NULL), 0);
	ctx.d = &d;
	efd = efd_new(0);
	CHECK(efd >= 0);
	CHECK(us_daemon_client_ring(&d) == NULL);
	CHECK_EQ(us_daemon_unwatch(&d, efd), -ENOENT);
	CHECK_EQ(us_daemon_watch(&d, efd, EVR, dw_on_kick, &ctx), 0);
	CHECK(us_daemon_client_ring(&d) != NULL);
	CHECK_EQ(us_daemon_watch(&d, efd, EVR, dw_on_kick, &ctx), -EEXIST);
	CHECK_EQ(us_daemon_watch(&d, d.ring.fd, EVR, dw_on_kick, &ctx), -EEXIST);
	CHECK_EQ(us_daemon_watch(&d, us_daemon_client_ring(&d)->fd, EVR, dw_on_kick, &ctx),
		 -EINVAL);
	CHECK_EQ(us_daemon_watch(&d, 9999, EVR, dw_on_kick, &ctx), -EBADF);
	CHECK_EQ(us_daemon_reactor(&d, &ctx.rx), 0);
	ctx.open_op.complete = dw_open_done;
	ctx.open_op.ctx = &ctx;
	sqe = us_reactor_sqe(ctx.rx, &ctx.open_op);
	CHECK(sqe);
	us_prep_open(sqe, opath, O_RDONLY, sqe->user_data);

	pid = fork_child();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(client_reads(path, DW_READS));
	kk.fd = efd;
	kk.n = DW_KICKS;
	kk.delay_ms = 20;
	CHECK_EQ(pthread_create(&th, NULL, kicker_thread, &kk), 0);
	end = deadline(30000);
	while (!(p_done && ctx.reads_done == DW_READS && ctx.kicks == DW_KICKS) &&
	       !ctx.err && tap_now_ns() < end) {
		r = us_daemon_run_once(&d, 200 * 1000000LL);
		CHECK(r >= 0 || r == -ETIME || r == -EINTR);
		if (!p_done && waitpid(pid, &status, WNOHANG) == pid)
			p_done = 1;
	}
	CHECK_EQ(pthread_join(th, NULL), 0);
	if (!p_done) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
	}
	fprintf(stderr, "  # %llu passes, %d kick calls\n",
		(unsigned long long)d.stats.passes, ctx.kick_calls);
	CHECK_EQ(ctx.err, 0);
	CHECK(exited_ok(status));
	CHECK_EQ(ctx.reads_done, DW_READS);
	CHECK_EQ(ctx.kicks, DW_KICKS);
	CHECK(ctx.kick_calls >= 1);
	CHECK(d.stats.requests >= DW_READS + 1);

	/* Unwatched: no more calls. */
	CHECK_EQ(us_daemon_unwatch(&d, efd), 0);
	CHECK_EQ(us_daemon_unwatch(&d, efd), -ENOENT);
	kc = ctx.kick_calls;
	CHECK_EQ(efd_fire(efd), 0);
	r = us_daemon_run_once(&d, 200 * 1000000LL);
	CHECK(r >= 0 || r == -ETIME);
	CHECK_EQ(ctx.kick_calls, kc);

	/* A watched fd closed without unwatch: one final call, -EBADF. */
	e2 = efd_new(0);
	CHECK(e2 >= 0);
	CHECK_EQ(us_daemon_watch(&d, e2, EVR, dw_on_e2, &ctx), 0);
	CHECK_EQ(close(e2), 0);
	end = deadline(SLOW_MS);
	while (!ctx.e2_final && tap_now_ns() < end)
		us_daemon_run_once(&d, 100 * 1000000LL);
	CHECK_EQ(ctx.e2_final, -EBADF);
	CHECK_EQ(us_daemon_unwatch(&d, e2), -ENOENT);

	/* us_daemon_run, stopped by a watch callback. */
	e3 = efd_new(0);
	CHECK(e3 >= 0);
	CHECK_EQ(us_daemon_watch(&d, e3, EVR, dw_on_stop, &ctx), 0);
	kk.fd = e3;
	kk.n = 1;
	kk.delay_ms = 100;
	CHECK_EQ(pthread_create(&th, NULL, kicker_thread, &kk), 0);
	CHECK_EQ(us_daemon_run(&d), 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(ctx.stop_calls, 1);
	CHECK(us_daemon_stopped(&d));

	us_daemon_exit(&d);
	close(efd);
	close(e3);
	if (ctx.ofd >= 0)
		close(ctx.ofd);
	CHECK_EQ(dstop(&other), 0);
	return 0;
}

/* ------------------------------------------------------------------ */
/* File references the unix-socket garbage collector cannot see        */
/* ------------------------------------------------------------------ */

#define RINGS_PATH	"/sys/class/misc/uscheme/rings"

/* Ring files alive now (the module's own count), or -1. */
static int rings_live(void)
{
	char b[32];
	int fd = open(RINGS_PATH, O_RDONLY | O_CLOEXEC), n;

	if (fd < 0)
		return -1;
	n = (int)read(fd, b, sizeof(b) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	b[n] = '\0';
	return atoi(b);
}

/*
 * The ring count comes back to base within SLOW_MS. Each poll also closes
 * a unix socket, which runs the unix GC if anything is in flight.
 */
static int rings_back_to(int base, const char *what)
{
	long long end = deadline(SLOW_MS);
	int n, sp[2];

	for (;;) {
		n = rings_live();
		if (n >= 0 && n <= base)
			return 0;
		if (tap_now_ns() > end) {
			fprintf(stderr, "  %s: %d ring(s) alive, %d before: leaked\n", what, n, base);
			return -1;
		}
		if (!socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp)) {
			close(sp[0]);
			close(sp[1]);
		}
		usleep(20 * 1000);
	}
}

/* Send fd over the unix socket sock (SCM_RIGHTS) with one byte. */
static int send_fd(int sock, int fd)
{
	union {
		struct cmsghdr h;
		char b[CMSG_SPACE(sizeof(int))];
	} u;
	char c = 'f';
	struct iovec iov = { .iov_base = &c, .iov_len = 1 };
	struct msghdr m;
	struct cmsghdr *cm;

	memset(&u, 0, sizeof(u));
	memset(&m, 0, sizeof(m));
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = u.b;
	m.msg_controllen = sizeof(u.b);
	cm = CMSG_FIRSTHDR(&m);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	return sendmsg(sock, &m, 0) == 1 ? 0 : -errno;
}

/* A new io_uring instance (raw syscalls: no liburing in every build). */
static int uring_new(void)
{
	struct io_uring_params p;
	long fd;

	memset(&p, 0, sizeof(p));
	fd = syscall(__NR_io_uring_setup, 4, &p);
	if (fd < 0) {
		fprintf(stderr, "  io_uring_setup: %s\n", strerror(errno));
		return -errno;
	}
	return (int)fd;
}

/* Register fd as a fixed file of io_uring ufd: the io_uring holds its file. */
static int uring_hold(int ufd, int fd)
{
	__s32 fds[1] = { fd };

	if (syscall(__NR_io_uring_register, ufd, IORING_REGISTER_FILES, fds, 1) < 0) {
		fprintf(stderr, "  io_uring_register(FILES): %s\n", strerror(errno));
		return -errno;
	}
	return 0;
}

/* Watching an AF_UNIX socket or an io_uring instance is refused; epoll is fine. */
static int t_unix_io_uring_refused(void)
{
	struct tr t;
	int s[2], d[2], u, ep;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, d), 0);
	u = uring_new();
	CHECK(u >= 0);
	ep = epoll_create1(EPOLL_CLOEXEC);
	CHECK(ep >= 0);
	CHECK_EQ(tr_init(&t, 8, 0), 0);
	CHECK_EQ(fu1(&t, s[0], EVR, FU_ADD, 1), -EOPNOTSUPP);
	CHECK_EQ(fu1(&t, s[1], EVW, FU_ADD | FU_ONESHOT, 2), -EOPNOTSUPP);
	CHECK_EQ(fu1(&t, d[0], EVR, FU_ADD, 3), -EOPNOTSUPP);
	CHECK_EQ(fu1(&t, u, EVR, FU_ADD, 4), -EOPNOTSUPP);
	/* Nothing was registered: MOD and DEL find nothing. */
	CHECK_EQ(fu1(&t, s[0], EVR, FU_MOD, 1), -ENOENT);
	CHECK_EQ(fu1(&t, u, 0, FU_DEL, 0), -ENOENT);
	CHECK_EQ(fu1(&t, ep, EVR, FU_ADD, 5), 0);
	CHECK_EQ(ev_none(&t, QUIET_MS), 0);
	CHECK_EQ(stats_ok(&t), 0);
	tr_exit(&t);
	close(s[0]);
	close(s[1]);
	close(d[0]);
	close(d[1]);
	close(u);
	close(ep);
	return 0;
}

/*
 * Run build() in a child that then exits (closing every fd it had), and
 * check every ring it made is released: the ring count comes back.
 */
static int cycle_run(const char *what, int (*build)(void))
{
	int base = rings_live(), st;
	pid_t pid;

	CHECK(base >= 0);
	pid = fork_child();
	CHECK(pid >= 0);
	if (pid == 0)
		_exit(build() ? 1 : 0);
	st = wait_exit(pid, SLOW_MS * 2);
	if (!exited_ok(st)) {
		fprintf(stderr, "  %s: the cycle's builder failed\n", what);
		return -1;
	}
	return rings_back_to(base, what);
}

/* A ring watches a socket whose queue holds the ring's own fd. */
static int build_unix_watch(void)
{
	struct tr t;
	int s[2], r;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) || tr_init(&t, 8, 0))
		return -1;
	if (send_fd(s[1], t.r.fd))
		return -1;
	r = fu1(&t, s[0], EVR, FU_ADD, 1);
	if (r != -EOPNOTSUPP)
		fprintf(stderr, "  watch of the socket: %d (want -EOPNOTSUPP)\n", r);
	return r == 0 || r == -EOPNOTSUPP ? 0 : -1;	/* the count decides */
}

/* An io_uring has the ring as a registered file, and the ring watches it. */
static int build_uring_watch(void)
{
	struct tr t;
	int u, r;

	if (tr_init(&t, 8, 0))
		return -1;
	u = uring_new();
	if (u < 0 || uring_hold(u, t.r.fd))
		return -1;
	r = fu1(&t, u, EVR, FU_ADD, 1);
	if (r != -EOPNOTSUPP)
		fprintf(stderr, "  watch of the io_uring: %d (want -EOPNOTSUPP)\n", r);
	return r == 0 || r == -EOPNOTSUPP ? 0 : -1;
}

/*
 * The epoll way: the ring watches an epoll fd that watches the socket
 * holding the ring's fd. epoll holds no references: nothing leaks.
 */
static int build_epoll_watch(void)
{
	struct tr t;
	int s[2], ep;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) || tr_init(&t, 8, 0))
		return -1;
	ep = epoll_on(s[0], EPOLLIN);
	if (ep < 0 || send_fd(s[1], ep) || send_fd(s[1], t.r.fd))
		return -1;
	if (fu1(&t, ep, EVR, FU_ADD, 1))
		return -1;
	return ev_expect(&t, 1, EV | MORE, EVR);	/* the socket has data */
}

/* The ring watching a socket/io_uring holding it: the cycles are released. */
static int t_gc_watch_cycles(void)
{
	int leaks = 0;

	/* Every cycle is tried (and reported) even when one leaks. */
	leaks += !!cycle_run("a ring watching a socket that holds it", build_unix_watch);
	leaks += !!cycle_run("a ring watching an io_uring that holds it", build_uring_watch);
	leaks += !!cycle_run("a ring watching an epoll fd on a socket that holds both",
			     build_epoll_watch);
	CHECK_EQ(leaks, 0);
	return 0;
}

/*
 * A daemon that answers OPEN "PASS:N" with USCHEME_CQE_F_FD res = its fd N
 * (any other OPEN with a handle), then bumps shm->served; runs until
 * killed. The caller prepares the fds the paths name.
 */
static void pass_daemon_loop(struct dmn *d)
{
	uint32_t seen = 0;

	for (;;) {
		uint32_t tail, seq = LOAD(&d->shm->cmd_seq);
		int ret;

		if (seq != seen) {
			seen = seq;
			dmn_cmd(d, d->shm->cmd_op, d->shm->cmd_id, d->shm->cmd_res);
			STORE(&d->shm->cmd_ack, seq);
		}
		ret = dmn_enter(d, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
				20 * 1000 * 1000);
		if (ret && ret != -ETIME && ret != -EINTR)
			STORE(&d->shm->derr, ret);
		tail = LOAD(&d->hdr->sq_tail);
		while (d->sq_head != tail) {
			struct uscheme_req rq = d->reqs[d->sq_head & d->sq_mask];
			char path[32];
			uint32_t n;

			d->sq_head++;
			STORE(&d->hdr->sq_head, d->sq_head);
			if (rq.flags & USCHEME_REQ_F_NOREPLY)
				continue;
			if (rq.opcode != USCHEME_OP_OPEN) {
				dmn_answer(d, rq.tag, -ENOSYS, 0);
				continue;
			}
			n = rq.len < sizeof(path) - 1 ? rq.len : (uint32_t)sizeof(path) - 1;
			memcpy(path, d->data + rq.buf, n);
			path[n] = '\0';
			if (!strncmp(path, "PASS:", 5))
				dmn_answer(d, rq.tag, atoi(path + 5), USCHEME_CQE_F_FD);
			else
				dmn_answer(d, rq.tag, (int32_t)d->next_id++, 0);
		}
		if (d->unsent) {
			dmn_enter(d, 0, 0, 0);	/* the kernel takes the answers (and fds) */
			INC(&d->shm->served);
		}
	}
}

/*
 * Fork a pass daemon serving dm->name: it keeps the fds it inherits (the
 * ones the caller wants passed). 0 once registered; *scheme_fd = the fd of
 * its scheme ring (in the daemon).
 */
static int pass_daemon_start(struct daemon *dm, int *scheme_fd)
{
	int err = dstart_loop(dm, pass_daemon_loop, 1);

	if (!err)
		*scheme_fd = (int)LOAD(&dm->shm->last_id);
	return err;
}

/*
 * USCHEME_CQE_F_FD refuses files that can hold other files (and the
 * daemon's own scheme ring): the client gets -EIO, the answer is counted
 * rejected. A pipe still passes.
 */
static int t_passfd_refused(void)
{
	int s[2], u, pp[2], cring, sfd = -1, fd, i, bad = 0;
	struct daemon dm;
	char path[32], b[8];
	int64_t rej;

	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s), 0);
	u = uring_new();
	CHECK(u >= 0);
	CHECK_EQ(pipe(pp), 0);
	CHECK_EQ(write(pp[1], "ok", 2), 2);
	cring = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	CHECK(cring >= 0);
	dname(&dm, "passfd");
	CHECK_EQ(pass_daemon_start(&dm, &sfd), 0);	/* inherits them all */
	/* a pipe passes */
	snprintf(path, sizeof(path), "PASS:%d", pp[0]);
	fd = d_open(&dm, path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(read(fd, b, sizeof(b)), 2);
	close(fd);
	/* the daemon's own scheme ring, another ring, a socket, an io_uring do not */
	for (i = 0; i < 4; i++) {
		static const char *const what[] = {
			"its own scheme ring", "a client ring", "an AF_UNIX socket", "an io_uring",
		};
		int which[] = { sfd, cring, s[0], u };

		snprintf(path, sizeof(path), "PASS:%d", which[i]);
		fd = d_open(&dm, path, O_RDWR);
		if (fd != -EIO) {
			fprintf(stderr, "  a daemon passing %s: %d, want -EIO\n", what[i], fd);
			bad++;
		}
		if (fd >= 0)
			close(fd);
	}
	CHECK_EQ(bad, 0);
	rej = drejected(&dm);
	CHECK_EQ(rej, 4);
	CHECK_EQ(dstop(&dm), 0);
	close(s[0]);
	close(s[1]);
	close(u);
	close(pp[0]);
	close(pp[1]);
	close(cring);
	return 0;
}

/*
 * A daemon answers this ring's ring OPEN with the ring itself (or with a
 * socket whose queue holds the ring's fd), and the ring is then closed
 * without being entered again: the answer waits on its done list.
 */
static int build_passfd(int via_unix)
{
	struct uscheme_sqe *sqe;
	struct daemon dm;
	char path[96];
	long long end;
	int s[2], sfd, passed, ret;
	struct tr t;

	if (tr_init(&t, 8, 0))
		return -1;
	passed = t.r.fd;
	if (via_unix) {
		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, s) || send_fd(s[1], t.r.fd))
			return -1;
		passed = s[0];
	}
	dname(&dm, via_unix ? "cyc-unix" : "cyc-ring");
	if (pass_daemon_start(&dm, &sfd))
		return -1;
	if (via_unix) {
		close(s[0]);
		close(s[1]);
	}
	snprintf(path, sizeof(path), "%s:PASS:%d", dm.name, passed);
	sqe = us_get_sqe(&t.r);
	if (!sqe)
		return -1;
	us_prep_open(sqe, path, O_RDWR, 7);
	ret = us_submit(&t.r);
	if (ret != 1) {
		fprintf(stderr, "  submit: %d\n", ret);
		return -1;
	}
	end = deadline(SLOW_MS);
	while (!LOAD(&dm.shm->served)) {
		if (tap_now_ns() > end) {
			fprintf(stderr, "  the daemon did not answer\n");
			return -1;
		}
		usleep(1000);
	}
	return dstop(&dm);	/* then exit: the ring is closed, never entered */
}

static int build_passfd_ring(void)
{
	return build_passfd(0);
}

static int build_passfd_unix(void)
{
	return build_passfd(1);
}

/* Rings passed with USCHEME_CQE_F_FD to themselves: the cycles are released. */
static int t_gc_passfd_cycles(void)
{
	int leaks = 0;

	leaks += !!cycle_run("a ring answered with itself, closed unentered",
			     build_passfd_ring);
	leaks += !!cycle_run("a ring answered with a socket holding it, closed unentered",
			     build_passfd_unix);
	CHECK_EQ(leaks, 0);
	return 0;
}

/*
 * One FILES_UPDATE entry on r through its shared memory alone (no cached
 * indices), so that any process sharing the mapping may use it, one at a
 * time. Event CQEs met on the way are dropped. The entry's res, or < -9999.
 */
static int32_t fu_shared(struct us_ring *r, int fd, uint32_t events, uint32_t flags,
			 uint64_t ud)
{
	struct uscheme_ring_hdr *h = r->hdr;
	const struct uscheme_cqe *cq = r->cqes;
	long long end = deadline(SLOW_MS);
	struct uscheme_fu_entry e;
	struct uscheme_enter en;
	uint32_t tail = LOAD(&h->sq_tail), head;

	us_fu_entry(&e, fd, events, flags, ud);
	e.res = 0x5a5a;
	us_prep_files_update(&r->sqes[tail & h->sq_mask], &e, 1, UD_FU);
	STORE(&h->sq_tail, tail + 1);
	memset(&en, 0, sizeof(en));
	en.to_submit = 1;
	for (;;) {
		en.min_complete = 1;
		en.flags = USCHEME_ENTER_GETEVENTS;
		if (ioctl(r->fd, USCHEME_IOC_ENTER, &en) && errno != EINTR)
			return -10000 - errno;
		en.to_submit = 0;
		head = LOAD(&h->cq_head);
		while (head != LOAD(&h->cq_tail)) {
			const struct uscheme_cqe *c = &cq[head & h->cq_mask];
			int found = c->user_data == UD_FU && !(c->flags & USCHEME_CQE_F_EVENT);

			STORE(&h->cq_head, ++head);
			if (found)
				return e.res;
		}
		if (tap_now_ns() > end)
			return -20000;
	}
}

/*
 * POLLFREE: a signalfd polls on the signal handlers of the process that
 * polls it; they are freed (after a POLLFREE wakeup) when that process is
 * reaped, while the file and the watch live on. Each round a child that
 * shares our ring (not its handlers) watches a signalfd of its own on it
 * and exits; our reaping of the child (the POLLFREE wake callback) races
 * a DEL of the watch or the ring's close. KASAN (debug kernel) or
 * slub_debug poisoning sees a callback touching a freed watch or ring.
 */
#define PF_ROUNDS	300

struct pf_race {
	pid_t pid;
	int go;
	int status;
};

static void *pf_reaper(void *p)
{
	struct pf_race *r = p;

	while (!LOAD(&r->go))
		;
	r->status = waitpid(r->pid, NULL, 0) == r->pid ? 0 : -errno;
	return NULL;
}

/* A child watches a signalfd of its own on r (fd number *fd) and exits. */
static int pf_child(struct us_ring *r, pid_t *pid, int *fd)
{
	int p[2], got[2] = { -1, -1 };

	if (pipe(p))
		return -errno;
	*pid = fork_child();
	if (*pid < 0)
		return -errno;
	if (*pid == 0) {
		sigset_t m;

		sigemptyset(&m);
		sigaddset(&m, SIGUSR2);
		got[0] = signalfd(-1, &m, SFD_NONBLOCK | SFD_CLOEXEC);
		got[1] = got[0] < 0 ? -1 : fu_shared(r, got[0], EVR, FU_ADD, 40000);
		if (write(p[1], got, sizeof(got)) != sizeof(got))
			_exit(1);
		_exit(0);	/* a zombie: its handlers live until we reap it */
	}
	if (read(p[0], got, sizeof(got)) != sizeof(got))
		got[0] = -1;
	close(p[0]);
	close(p[1]);
	if (got[0] < 0 || got[1]) {
		fprintf(stderr, "  child: signalfd %d, ADD %d\n", got[0], got[1]);
		waitpid(*pid, NULL, 0);
		return -1;
	}
	*fd = got[0];
	return 0;
}

static int pf_round(struct us_ring *r, int round, int close_ring)
{
	struct pf_race pr;
	pthread_t th;
	int fd;

	memset(&pr, 0, sizeof(pr));
	if (close_ring)
		CHECK_EQ(us_ring_init(r, 8, 0, 0), 0);
	CHECK_EQ(pf_child(r, &pr.pid, &fd), 0);
	usleep(1000);	/* let it become a zombie: its fds closed, handlers not freed */
	CHECK_EQ(pthread_create(&th, NULL, pf_reaper, &pr), 0);
	if (round % 3 == 1)
		usleep((unsigned int)(round % 20));
	STORE(&pr.go, 1);
	if (round & 1)
		usleep((unsigned int)(round % 7));
	if (close_ring)
		us_ring_exit(r);
	else
		CHECK_EQ(fu_shared(r, fd, 0, FU_DEL, 0), 0);
	CHECK_EQ(pthread_join(th, NULL), 0);
	CHECK_EQ(pr.status, 0);
	return 0;
}

static int t_race_pollfree(void)
{
	struct us_ring r;
	int round, fd;
	pid_t pid;

	/* Mapped without MADV_DONTFORK: the children submit on it. */
	CHECK_EQ(us_ring_init(&r, 8, 0, 0), 0);
	g_where = "race_pollfree: DEL vs reaping";
	for (round = 0; round < PF_ROUNDS; round++) {
		g_round = round;
		CHECK_EQ(pf_round(&r, round, 0), 0);
	}
	/* After a POLLFREE the watch stays (unhooked) until DEL: it still DELs. */
	CHECK_EQ(pf_child(&r, &pid, &fd), 0);
	CHECK_EQ(waitpid(pid, NULL, 0), pid);
	CHECK_EQ(fu_shared(&r, fd, 0, FU_DEL, 0), 0);
	CHECK_EQ(fu_shared(&r, fd, 0, FU_DEL, 0), -ENOENT);
	us_ring_exit(&r);
	g_where = "race_pollfree: ring close vs reaping";
	for (round = 0; round < PF_ROUNDS; round++) {
		g_round = round;
		CHECK_EQ(pf_round(&r, round, 1), 0);
	}
	return 0;
}

/* ------------------------------------------------------------------ */

static const struct tap_test tests[] = {
	{ "feature", t_feature, 0 },
	{ "fu_batch_errors", t_fu_batch, 0 },
	{ "fu_bad_op", t_fu_bad_op, 0 },
	{ "fu_del_strict", t_fu_del_strict, 0 },
	{ "fu_res_over_user_data", t_fu_res_over_user_data, 0 },
	{ "edge_eventfd", t_edge_eventfd, 0 },
	{ "oneshot", t_oneshot, 0 },
	{ "src_pipe", t_pipe, 0 },
	{ "src_socketpair", t_socketpair, 0 },
	{ "src_timerfd", t_timerfd, 0 },
	{ "src_regular_file", t_regular_file, 0 },
	{ "src_handle_fd", t_handle_fd, 0 },
	{ "src_client_ring", t_ring_source, 0 },
	{ "ring_release_wakes_watcher", t_ring_release_wakes, 0 },
	{ "rings_watch_each_other", t_rings_watch_each_other, 0 },
	{ "src_scheme_ring", t_scheme_ring_source, 0 },
	{ "send_event_poll_epoll", t_send_event, 0 },
	{ "poll_ring_fd", t_poll_ring, 0 },
	{ "storm", t_storm, 180 },
	{ "thousands", t_thousands, 180 },
	{ "cq_full", t_cq_full, 0 },
	{ "stalled_event_sleeps", t_stalled_event_sleeps, 0 },
	{ "close_watched", t_close_watched, 0 },
	{ "close_disarmed_oneshot", t_close_disarmed, 0 },
	{ "race_close_vs_fire", t_race_close_fire, 400 },
	{ "race_del_vs_fire", t_race_del_fire, 400 },
	{ "race_daemon_death", t_race_daemon_death, 400 },
	{ "daemon_death_wakes", t_daemon_death_wakes, 0 },
	{ "race_ring_close", t_race_ring_close, 300 },
	{ "race_watched_ring_close", t_race_watched_ring_close, 300 },
	{ "single_wait", t_single_wait, 120 },
	{ "daemon_watch", t_daemon_watch, 120 },
	{ "daemon_unwatch_in_callback", t_daemon_unwatch_in_callback, 0 },
	{ "unix_io_uring_refused", t_unix_io_uring_refused, 0 },
	{ "gc_watch_cycles", t_gc_watch_cycles, 60 },
	{ "passfd_refused", t_passfd_refused, 0 },
	{ "gc_passfd_cycles", t_gc_passfd_cycles, 60 },
	{ "race_pollfree", t_race_pollfree, 400 },
};

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_time_limit);
	return tap_run("events", tests, sizeof(tests) / sizeof(tests[0]),
		       argc > 1 ? argv[1] : NULL);
}
