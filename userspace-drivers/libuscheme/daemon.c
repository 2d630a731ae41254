// SPDX-License-Identifier: MIT
/*
 * libuscheme's daemon framework: take requests from a scheme ring, call
 * the handler of each op, answer by tag, number the handles.
 *
 * A ring pass (us_daemon_run_once):
 *   1. take the requests the kernel published (acquire sq_tail), each copied
 *      once out of the read-only request array, and dispatch them;
 *   2. publish our sq_head (release): the slots are the kernel's again;
 *   3. answers were written at our cq_tail as they came (release store of
 *      cq_tail after each entry); one enter hands them all to the kernel
 *      (to_submit) and, when nothing was waiting, waits for the next
 *      request (GETEVENTS, min_complete 1).
 *
 * With watches (us_daemon_watch) the daemon also owns a client ring on
 * which its scheme ring is registered (FILES_UPDATE, READ, multishot): a
 * pass then sends the answers with an enter that does not wait, submits
 * the client ring's SQEs, and waits on the client ring alone, whose CQ
 * receives the scheme ring's "requests waiting" events, the watched fds'
 * events and the client ops' completions, dispatched by a tag-mode reactor.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "daemon.h"
#include "reactor.h"

#define load_acquire(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define store_release(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

#define DEFAULT_SQ_ENTRIES	256
#define DEFAULT_MAX_HANDLES	(1U << 20)
#define DEFAULT_CLIENT_ENTRIES	64
#define DEFAULT_CLIENT_OPS	4096

/* ---- the handle table ---- */

int us_handle_new(struct us_daemon *d, void *state)
{
	struct us_handle_slot *s;
	uint32_t idx;

	if (!d->free_head) {
		uint64_t want = d->nhandles ? (uint64_t)d->nhandles * 2 : 16;
		struct us_handle_slot *n;
		uint32_t i;

		if (d->nhandles >= d->max_handles)
			return -ENFILE;
		if (want > d->max_handles)
			want = d->max_handles;
		n = realloc(d->handles, (size_t)want * sizeof(*n));
		if (!n)
			return -ENOMEM;
		for (i = d->nhandles; i < want; i++) {
			n[i].state = NULL;
			n[i].used = 0;
			n[i].next_free = i + 1 < want ? i + 2 : 0;
		}
		d->free_head = d->nhandles + 1;
		d->handles = n;
		d->nhandles = (uint32_t)want;
	}
	idx = d->free_head - 1;
	s = &d->handles[idx];
	d->free_head = s->next_free;
	s->next_free = 0;
	s->state = state;
	s->used = 1;
	d->handles_used++;
	return (int)idx;
}

int us_handle_get(const struct us_daemon *d, uint64_t id, void **state)
{
	if (id >= d->nhandles || !d->handles[id].used)
		return -EBADF;
	*state = d->handles[id].state;
	return 0;
}

int us_handle_free(struct us_daemon *d, uint64_t id, void **state)
{
	struct us_handle_slot *s;

	if (id >= d->nhandles || !d->handles[id].used)
		return -EBADF;
	s = &d->handles[id];
	*state = s->state;
	s->state = NULL;
	s->used = 0;
	s->next_free = d->free_head;	/* LIFO: the id just freed is reused first */
	d->free_head = (uint32_t)id + 1;
	d->handles_used--;
	return 0;
}

uint32_t us_handle_count(const struct us_daemon *d)
{
	return d->handles_used;
}

int us_handle_find(const struct us_daemon *d, const void *state)
{
	uint32_t i;

	for (i = 0; i < d->nhandles; i++)
		if (d->handles[i].used && d->handles[i].state == state)
			return (int)i;
	return -ENOENT;
}

/* A new id for state, or (after releasing state) the error. */
static int handle_for(struct us_daemon *d, void *state)
{
	int id = us_handle_new(d, state);

	if (id < 0 && d->ops->close)
		d->ops->close(d, state);
	return id;
}

/* ---- answers ---- */

static uint32_t answers_unsent(const struct us_daemon *d)
{
	return d->resp_tail - load_acquire(&d->ring.hdr->cq_head);
}

int us_daemon_flush(struct us_daemon *d)
{
	struct uscheme_enter e;
	uint32_t n;

	while ((n = answers_unsent(d))) {
		memset(&e, 0, sizeof(e));
		e.to_submit = n;
		d->stats.passes++;
		if (ioctl(d->ring.fd, USCHEME_IOC_ENTER, &e) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!e.submitted)
			break;	/* the kernel took none: retry on the next pass */
	}
	return 0;
}

static int reply(struct us_daemon *d, uint64_t tag, int32_t res, uint32_t flags)
{
	struct uscheme_cqe *cqe;
	int err;

	/* The answer array is full: hand the kernel what it holds first. */
	while (answers_unsent(d) >= d->ring.cq_entries) {
		err = us_daemon_flush(d);
		if (err)
			return err;
		if (answers_unsent(d) >= d->ring.cq_entries)
			return -EBUSY;
	}
	cqe = (struct uscheme_cqe *)((char *)d->ring.cqes +
		(size_t)(d->resp_tail & (d->ring.cq_entries - 1)) * d->ring.cqe_size);
	if (d->ring.cqe_size > sizeof(*cqe))
		memset(cqe, 0, d->ring.cqe_size);
	cqe->user_data = tag;
	cqe->res = res;
	cqe->flags = flags;
	d->resp_tail++;
	store_release(&d->ring.hdr->cq_tail, d->resp_tail);
	d->stats.replies++;
	return 0;
}

int us_reply(struct us_daemon *d, uint64_t tag, int32_t res)
{
	return reply(d, tag, res, 0);
}

int us_reply_fd(struct us_daemon *d, uint64_t tag, int fd)
{
	if (fd < 0)
		return -EBADF;
	return reply(d, tag, fd, USCHEME_CQE_F_FD);
}

int us_send_event(struct us_daemon *d, uint64_t id, uint32_t mask)
{
	if (mask & ~(uint32_t)(USCHEME_EV_READ | USCHEME_EV_WRITE))
		return -EINVAL;
	return reply(d, id, (int32_t)mask, USCHEME_CQE_F_EVENT);
}

int us_daemon_answers_pending(const struct us_daemon *d)
{
	return answers_unsent(d) != 0;
}

int us_reply_handle(struct us_daemon *d, uint64_t tag, int err, void *state)
{
	return us_reply(d, tag, err < 0 ? err : handle_for(d, state));
}

/* ---- dispatch ---- */

void *us_req_buf(struct us_daemon *d, const struct uscheme_req *req)
{
	uint64_t need;

	switch (req->opcode) {
	case USCHEME_OP_OPEN:
	case USCHEME_OP_DUP:
		need = (uint64_t)req->len + 1;	/* the bytes, then a NUL */
		break;
	case USCHEME_OP_CALL:
		need = req->len > req->len2 ? req->len : req->len2;
		break;
	case USCHEME_OP_READ:
	case USCHEME_OP_WRITE:
	case USCHEME_OP_FSTAT:
		need = req->len;
		break;
	default:
		need = 0;
		break;
	}
	if (!d->ring.data || req->buf > d->ring.data_size ||
	    need > d->ring.data_size - req->buf)
		return NULL;
	return (char *)d->ring.data + req->buf;
}

/* OPEN's path or DUP's suffix: len bytes then a NUL, no NUL inside. */
static const char *req_string(struct us_daemon *d, const struct uscheme_req *req)
{
	const char *s;

	if (!req->len)
		return "";
	s = us_req_buf(d, req);
	if (!s || s[req->len] != '\0' || memchr(s, '\0', req->len))
		return NULL;
	return s;
}

static int corrupt(struct us_daemon *d)
{
	d->stats.bad++;
	return -EIO;
}

static void notification(struct us_daemon *d, const struct uscheme_req *req)
{
	void *state;

	d->stats.notifications++;
	switch (req->opcode) {
	case USCHEME_OP_CLOSE:
		if (us_handle_free(d, req->id, &state)) {
			d->stats.bad++;
			break;
		}
		if (d->ops->close)
			d->ops->close(d, state);
		break;
	case USCHEME_OP_CANCEL:
		if (d->ops->cancel)
			d->ops->cancel(d, req->off);
		break;
	default:
		d->stats.unknown++;	/* nothing to answer, nothing to do */
		break;
	}
}

/* The result of one request that wants an answer (or US_DEFER). */
static int handle(struct us_daemon *d, const struct uscheme_req *req)
{
	const struct us_scheme_ops *ops = d->ops;
	void *state = NULL, *new_state = NULL, *buf;
	const char *str;
	int r;

	if (req->opcode == USCHEME_OP_OPEN) {
		if (!ops->open)
			return -ENOSYS;
		str = req_string(d, req);
		if (!str)
			return corrupt(d);
		r = ops->open(d, req, str, &new_state);
		return r < 0 ? r : handle_for(d, new_state);
	}
	if (req->opcode == USCHEME_OP_CLOSE) {	/* not a notification: answer it */
		notification(d, req);
		return 0;
	}
	if (req->opcode == USCHEME_OP_CANCEL) {
		notification(d, req);
		return 0;
	}
	if (req->opcode < USCHEME_OP_READ || req->opcode > USCHEME_OP_CALL) {
		d->stats.unknown++;
		return -ENOSYS;
	}

	/* The rest act on a handle. */
	if (us_handle_get(d, req->id, &state)) {
		d->stats.bad++;
		return -EBADF;
	}
	buf = us_req_buf(d, req);
	switch (req->opcode) {
	case USCHEME_OP_READ:
		if (!ops->read)
			return -ENOSYS;
		return buf ? ops->read(d, req, state, buf, req->len, req->off) : corrupt(d);
	case USCHEME_OP_WRITE:
		if (!ops->write)
			return -ENOSYS;
		return buf ? ops->write(d, req, state, buf, req->len, req->off) : corrupt(d);
	case USCHEME_OP_FSTAT:
		if (!ops->fstat)
			return -ENOSYS;
		if (!buf || req->len < sizeof(struct uscheme_stat) || req->buf % 8)
			return corrupt(d);
		return ops->fstat(d, req, state, buf);
	case USCHEME_OP_FSYNC:
		return ops->fsync ? ops->fsync(d, req, state) : -ENOSYS;
	case USCHEME_OP_FTRUNCATE:
		return ops->ftruncate ? ops->ftruncate(d, req, state, req->off) : -ENOSYS;
	case USCHEME_OP_DUP:
		if (!ops->dup)
			return -ENOSYS;
		str = req_string(d, req);
		if (!str)
			return corrupt(d);
		r = ops->dup(d, req, state, str, &new_state);
		return r < 0 ? r : handle_for(d, new_state);
	case USCHEME_OP_CALL:
		if (!ops->call)
			return -ENOSYS;
		return buf ? ops->call(d, req, state, buf, req->len, req->len2) : corrupt(d);
	}
	return -ENOSYS;
}

void us_daemon_dispatch(struct us_daemon *d, const struct uscheme_req *req)
{
	int res;

	d->stats.requests++;
	if (req->flags & USCHEME_REQ_F_NOREPLY) {
		notification(d, req);
		return;
	}
	res = handle(d, req);
	if (res == US_DEFER) {
		d->stats.deferred++;
		return;
	}
	us_reply(d, req->tag, res);
}

/* ---- the loop ---- */

/* Dispatch every request the kernel has published; returns how many. */
static int take_requests(struct us_daemon *d)
{
	const struct uscheme_req *reqs = (const struct uscheme_req *)d->ring.sqes;
	uint32_t mask = d->ring.sq_entries - 1, n, i;
	struct uscheme_req req;

	n = load_acquire(&d->ring.hdr->sq_tail) - d->req_head;
	if (n > d->ring.sq_entries)
		n = d->ring.sq_entries;	/* never beyond the ring */
	for (i = 0; i < n; i++) {
		memcpy(&req, &reqs[d->req_head & mask], sizeof(req));
		d->req_head++;
		us_daemon_dispatch(d, &req);
	}
	if (n)
		store_release(&d->ring.hdr->sq_head, d->req_head);
	return (int)n;
}

static uint32_t requests_ready(const struct us_daemon *d)
{
	return load_acquire(&d->ring.hdr->sq_tail) - d->req_head;
}

/*
 * One pass. us_daemon_run keeps serving after work (keep_on): when the
 * queue is empty after dispatching, the answers go out with the enter that
 * waits for the next request, one syscall per request at queue depth 1.
 */
static int ev_pass(struct us_daemon *d, int64_t timeout_ns);

/*
 * Fill d->enter for a waiting enter that sends to_submit answers.
 * us_daemon_stop clears enter.flags: whether it runs before the check below
 * or between the check and the ioctl, that enter does not wait (and a stop
 * that comes later interrupts the wait with its signal).
 */
static void arm_enter(struct us_daemon *d, uint32_t to_submit, int64_t timeout_ns)
{
	uint32_t flags = USCHEME_ENTER_GETEVENTS;

	if (timeout_ns >= 0)
		flags |= USCHEME_ENTER_TIMEOUT;
	d->enter.to_submit = to_submit;
	d->enter.min_complete = 1;
	d->enter.timeout_ns = timeout_ns >= 0 ? timeout_ns : 0;
	d->enter.submitted = 0;
	__atomic_store_n(&d->enter.flags, flags, __ATOMIC_SEQ_CST);
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	if (us_daemon_stopped(d))
		__atomic_store_n(&d->enter.flags, 0, __ATOMIC_SEQ_CST);
	d->stats.passes++;
}

static int pass(struct us_daemon *d, int64_t timeout_ns, bool keep_on)
{
	int n, m, err;

	if (d->ev)
		return ev_pass(d, timeout_ns);
	n = take_requests(d);

	if (us_daemon_stopped(d) || (n && (!keep_on || requests_ready(d)))) {
		err = us_daemon_flush(d);
		return err ? err : n;
	}
	/* Send the answers and wait, in one enter. */
	arm_enter(d, answers_unsent(d), timeout_ns);
	if (ioctl(d->ring.fd, USCHEME_IOC_ENTER, &d->enter) < 0)
		return n ? n : -errno;	/* -EINTR, -ETIME; the answers went out */
	m = take_requests(d);
	if (m && !keep_on) {
		err = us_daemon_flush(d);
		if (err)
			return err;
	}
	return n + m;
}

int us_daemon_run_once(struct us_daemon *d, int64_t timeout_ns)
{
	return pass(d, timeout_ns, false);
}

int us_daemon_run(struct us_daemon *d)
{
	int r, err = 0;

	while (!us_daemon_stopped(d)) {
		r = pass(d, -1, true);
		if (r < 0 && r != -EINTR && r != -ETIME) {
			err = r;
			break;
		}
	}
	r = us_daemon_flush(d);
	return err ? err : r;
}

void us_daemon_stop(struct us_daemon *d)
{
	__atomic_store_n(&d->stop, 1, __ATOMIC_SEQ_CST);
	__atomic_store_n(&d->enter.flags, 0, __ATOMIC_SEQ_CST);
}

int us_daemon_stopped(const struct us_daemon *d)
{
	return __atomic_load_n(&d->stop, __ATOMIC_SEQ_CST);
}

static struct us_daemon *signal_daemon;
static volatile sig_atomic_t signal_got;

static void on_signal(int sig)
{
	signal_got = sig;
	if (signal_daemon)
		us_daemon_stop(signal_daemon);
}

int us_daemon_handle_signals(struct us_daemon *d)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0;	/* no SA_RESTART: a wait returns -EINTR */
	signal_daemon = d;
	if (sigaction(SIGINT, &sa, NULL) || sigaction(SIGTERM, &sa, NULL))
		return -errno;
	return 0;
}

int us_daemon_signal(void)
{
	return signal_got;
}

/* ---- one wait for everything: the client ring and its watches ---- */

struct us_watch {
	struct us_op op;		/* op.ctx: this watch */
	struct us_daemon *d;
	struct us_watch *next;
	us_watch_fn fn;
	void *ctx;
	uint64_t tag;			/* the registration's user_data */
	int fd;
	bool ended;			/* its final CQE came (the tag is free) */
	bool busy;			/* us_daemon_unwatch frees it, not the final CQE */
	bool removing;			/* in us_daemon_unwatch: no more calls of fn */
};

struct us_daemon_events {
	struct us_ring ring;		/* the daemon's client ring */
	struct us_reactor rx;		/* tag mode: every CQE names a live op */
	struct us_watch *watches;
	struct us_op self;		/* the scheme ring's registration */
	uint64_t self_tag;		/* 0 once it ended */
	int self_err;			/* why it ended */
};

struct fu_wait {
	struct us_op op;
	int done;
	int32_t res;
};

static void fu_complete(struct us_reactor *rx, struct us_op *op,
			const struct uscheme_cqe *cqe)
{
	struct fu_wait *w = op->ctx;

	(void)rx;
	w->res = cqe->res;
	w->done = 1;
}

/*
 * One FILES_UPDATE of one entry, waited for (dispatching whatever else
 * completes meanwhile). Returns the entry's res, or the op's error.
 */
static int fu_sync(struct us_daemon *d, struct uscheme_fu_entry *e)
{
	struct us_reactor *rx = &d->ev->rx;
	struct fu_wait w;
	struct uscheme_sqe *sqe;
	uint64_t ud;
	int ret;

	memset(&w, 0, sizeof(w));
	w.op.complete = fu_complete;
	w.op.ctx = &w;
	sqe = us_reactor_sqe(rx, &w.op);
	if (!sqe) {
		ret = us_submit(rx->ring);	/* the SQ was full */
		if (ret < 0 && ret != -EBUSY)
			return ret;
		sqe = us_reactor_sqe(rx, &w.op);
		if (!sqe)
			return -EBUSY;		/* no free tag: too many ops in flight */
	}
	ud = sqe->user_data;
	e->res = 0;
	us_prep_files_update(sqe, e, 1, ud);
	while (!w.done) {
		ret = us_reactor_run_once(rx, -1);
		if (ret < 0 && ret != -EINTR && ret != -ETIME && ret != -EBUSY) {
			/* The ring failed: forget the op (w is on this stack). */
			if (us_tags_lookup(&rx->tags, ud, true) && rx->inflight)
				rx->inflight--;
			return ret;
		}
	}
	return w.res < 0 ? w.res : e->res;
}

static void self_complete(struct us_reactor *rx, struct us_op *op,
			  const struct uscheme_cqe *cqe)
{
	struct us_daemon *d = op->ctx;

	(void)rx;
	/* Requests waiting: the loop takes them after every reap. */
	if (!(cqe->flags & USCHEME_CQE_F_MORE)) {
		d->ev->self_tag = 0;
		d->ev->self_err = cqe->res < 0 ? cqe->res : -EPIPE;
	}
}

static void watch_unlink(struct us_daemon *d, struct us_watch *w)
{
	struct us_watch **p;

	for (p = &d->ev->watches; *p; p = &(*p)->next) {
		if (*p == w) {
			*p = w->next;
			return;
		}
	}
}

static void watch_complete(struct us_reactor *rx, struct us_op *op,
			   const struct uscheme_cqe *cqe)
{
	struct us_watch *w = op->ctx;
	struct us_daemon *d = w->d;

	(void)rx;
	if (cqe->flags & USCHEME_CQE_F_MORE) {
		/*
		 * An event that came while fn's own unwatch waits for its DEL
		 * (a second event of the same registration, say): dropped, or
		 * fn would run again inside itself.
		 */
		if (!w->removing)
			w->fn(d, w->fd, cqe->res, w->ctx);	/* may unwatch (free) w */
		return;
	}
	/* The final CQE: the reactor has freed the tag. */
	w->ended = true;
	if (w->busy)
		return;		/* us_daemon_unwatch is waiting: it frees w */
	watch_unlink(d, w);
	if (cqe->res >= 0)	/* an event, then the end (a disarmed registration) */
		w->fn(d, w->fd, cqe->res, w->ctx);
	w->fn(d, w->fd, cqe->res < 0 ? cqe->res : -ECANCELED, w->ctx);
	free(w);
}

static void events_free(struct us_daemon *d)
{
	struct us_daemon_events *ev = d->ev;
	struct us_watch *w;

	if (!ev)
		return;
	us_ring_exit(&ev->ring);	/* ends every registration */
	while ((w = ev->watches)) {
		ev->watches = w->next;
		free(w);
	}
	us_reactor_exit(&ev->rx);
	free(ev);
	d->ev = NULL;
}

static int events_init(struct us_daemon *d)
{
	struct us_daemon_events *ev;
	struct uscheme_fu_entry e;
	int err;

	if (d->ev)
		return 0;
	if (!(d->ring.features & USCHEME_FEAT_FILES_UPDATE))
		return -EOPNOTSUPP;
	ev = calloc(1, sizeof(*ev));
	if (!ev)
		return -ENOMEM;
	err = us_ring_init(&ev->ring, d->client_entries, 0, 0);
	if (err) {
		free(ev);
		return err;
	}
	err = us_reactor_init(&ev->rx, &ev->ring, US_REACTOR_TAG, d->max_client_ops);
	if (err) {
		us_ring_exit(&ev->ring);
		free(ev);
		return err;
	}
	d->ev = ev;
	ev->self.complete = self_complete;
	ev->self.ctx = d;
	ev->self_tag = us_tags_get(&ev->rx.tags, &ev->self);
	us_fu_entry(&e, d->ring.fd, USCHEME_EV_READ, USCHEME_FU_ADD, ev->self_tag);
	err = fu_sync(d, &e);
	if (err) {
		events_free(d);
		return err;
	}
	ev->rx.inflight++;
	return 0;
}

int us_daemon_reactor(struct us_daemon *d, struct us_reactor **rx)
{
	int err = events_init(d);

	if (err)
		return err;
	*rx = &d->ev->rx;
	return 0;
}

struct us_ring *us_daemon_client_ring(struct us_daemon *d)
{
	return d->ev ? &d->ev->ring : NULL;
}

static struct us_watch *watch_find(struct us_daemon *d, int fd)
{
	struct us_watch *w;

	for (w = d->ev ? d->ev->watches : NULL; w; w = w->next)
		if (w->fd == fd)
			return w;
	return NULL;
}

int us_daemon_watch(struct us_daemon *d, int fd, uint32_t events,
		    us_watch_fn fn, void *ctx)
{
	struct uscheme_fu_entry e;
	struct us_watch *w;
	int err;

	if (!fn)
		return -EINVAL;
	err = events_init(d);
	if (err)
		return err;
	if (watch_find(d, fd))
		return -EEXIST;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->op.complete = watch_complete;
	w->op.ctx = w;
	w->d = d;
	w->fn = fn;
	w->ctx = ctx;
	w->fd = fd;
	w->tag = us_tags_get(&d->ev->rx.tags, &w->op);
	if (!w->tag) {
		free(w);
		return -ENOMEM;
	}
	d->ev->rx.inflight++;	/* until its final CQE, or us_daemon_unwatch */
	/* Linked first: an event may be dispatched before the ADD's CQE. */
	w->next = d->ev->watches;
	d->ev->watches = w;
	w->busy = true;
	us_fu_entry(&e, fd, events, USCHEME_FU_ADD, w->tag);
	err = fu_sync(d, &e);
	w->busy = false;
	if (err || w->ended) {
		if (!w->ended) {
			us_tags_lookup(&d->ev->rx.tags, w->tag, true);
			if (d->ev->rx.inflight)
				d->ev->rx.inflight--;
		}
		watch_unlink(d, w);
		free(w);
		if (!err)	/* it ended while the ADD was in flight */
			fn(d, fd, -EBADF, ctx);
	}
	return err;
}

int us_daemon_unwatch(struct us_daemon *d, int fd)
{
	struct us_watch *w = watch_find(d, fd);
	struct uscheme_fu_entry e;
	int err;

	if (!w || w->busy)
		return -ENOENT;
	w->busy = true;
	w->removing = true;
	us_fu_entry(&e, fd, 0, USCHEME_FU_DEL, 0);
	err = fu_sync(d, &e);
	if (!w->ended) {
		/* Late events of this registration now find a stale tag. */
		us_tags_lookup(&d->ev->rx.tags, w->tag, true);
		if (d->ev->rx.inflight)
			d->ev->rx.inflight--;
	}
	watch_unlink(d, w);
	free(w);
	/* -ENOENT: the registration had ended already (its fd was closed). */
	return err == -ENOENT ? 0 : err;
}

/* Answers out; the kernel told when requests were taken (room to refill). */
static int ev_send(struct us_daemon *d, int took)
{
	struct uscheme_enter e;
	int err;

	if (answers_unsent(d))
		err = us_daemon_flush(d);
	else if (took) {
		memset(&e, 0, sizeof(e));
		d->stats.passes++;
		err = ioctl(d->ring.fd, USCHEME_IOC_ENTER, &e) < 0 && errno != EINTR ? -errno : 0;
	} else {
		err = 0;
	}
	if (err)
		return err;
	err = us_submit(&d->ev->ring);
	return err < 0 && err != -EBUSY ? err : 0;
}

static int ev_pass(struct us_daemon *d, int64_t timeout_ns)
{
	struct us_daemon_events *ev = d->ev;
	int n, took, r, err;

	took = take_requests(d);
	n = (int)us_reactor_reap(&ev->rx);
	took += take_requests(d);	/* requests that came while callbacks ran */
	n += took;
	err = ev_send(d, took);
	if (err)
		return err;
	if (!ev->self_tag)
		return ev->self_err;	/* the scheme ring is no longer watched */
	if (n || us_daemon_stopped(d) || requests_ready(d) || us_cq_ready(&ev->ring))
		return n;
	arm_enter(d, 0, timeout_ns);
	r = ioctl(ev->ring.fd, USCHEME_IOC_ENTER, &d->enter) < 0 ? -errno : 0;
	took = take_requests(d);
	n = (int)us_reactor_reap(&ev->rx);
	took += take_requests(d);
	n += took;
	err = ev_send(d, took);
	if (err)
		return err;
	return n ? n : r;
}

/* ---- setup ---- */

/* The fields both ways of starting set: everything but the ring. */
static void daemon_defaults(struct us_daemon *d, const struct us_scheme_ops *ops,
			    void *ctx, const struct us_daemon_config *config)
{
	memset(d, 0, sizeof(*d));
	d->ring.fd = -1;
	d->ops = ops;
	d->ctx = ctx;
	d->max_handles = DEFAULT_MAX_HANDLES;
	d->client_entries = DEFAULT_CLIENT_ENTRIES;
	d->max_client_ops = DEFAULT_CLIENT_OPS;
	if (config) {
		if (config->max_handles)
			d->max_handles = config->max_handles;
		if (config->client_entries)
			d->client_entries = config->client_entries;
		if (config->max_client_ops)
			d->max_client_ops = config->max_client_ops;
	}
	if (d->max_handles > INT32_MAX)
		d->max_handles = INT32_MAX;	/* ids are answers: non-negative s32 */
}

int us_daemon_init(struct us_daemon *d, const char *name,
		   const struct us_scheme_ops *ops, void *ctx,
		   const struct us_daemon_config *config)
{
	unsigned int sq = DEFAULT_SQ_ENTRIES;
	size_t data_size = 0;
	int fd, err;

	daemon_defaults(d, ops, ctx, config);
	snprintf(d->name, sizeof(d->name), "%s", name);
	if (config) {
		if (config->sq_entries)
			sq = config->sq_entries;
		data_size = config->data_size;
	}
	d->failed = "register scheme";
	if (strlen(name) >= USCHEME_NAME_MAX)
		return -EINVAL;

	d->failed = "open " USCHEME_DEVICE " for scheme";
	fd = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	d->failed = "set up a scheme ring for";
	err = us_ring_init_data(&d->ring, fd, sq, 0, USCHEME_SETUP_SCHEME, data_size);
	if (err) {
		close(fd);
		/* A scheme ring needs the privilege registering needs (EPERM). */
		if (err == -EPERM)
			d->failed = "register scheme";
		return err;
	}
	if (!d->ring.data) {
		d->failed = "map a data area for scheme";
		us_ring_exit(&d->ring);
		return -EOPNOTSUPP;
	}
	d->failed = "register scheme";
	err = us_register(&d->ring, d->name);
	if (err) {
		us_ring_exit(&d->ring);
		return err;
	}
	d->req_head = d->ring.hdr->sq_head;
	d->resp_tail = d->ring.hdr->cq_tail;
	d->failed = NULL;
	return 0;
}

int us_daemon_init_inherited(struct us_daemon *d, const char *desc,
			     const struct us_scheme_ops *ops, void *ctx,
			     const struct us_daemon_config *config)
{
	int err;

	daemon_defaults(d, ops, ctx, config);
	if (!desc)
		desc = getenv(USCHEME_SCHEME);
	d->failed = "find $" USCHEME_SCHEME " to serve a scheme";
	if (!desc)
		return -ENOENT;
	d->failed = "attach the inherited scheme ring";
	err = us_ring_attach(&d->ring, desc, d->name, sizeof(d->name));
	if (err)
		return err;
	d->req_head = d->ring.hdr->sq_head;
	d->resp_tail = d->ring.hdr->cq_tail;
	d->failed = NULL;
	return 0;
}

static void events_free(struct us_daemon *d);

void us_daemon_exit(struct us_daemon *d)
{
	void *state;
	uint32_t i;

	events_free(d);
	us_ring_exit(&d->ring);
	for (i = 0; i < d->nhandles; i++)
		if (!us_handle_free(d, i, &state) && d->ops && d->ops->close)
			d->ops->close(d, state);
	free(d->handles);
	d->handles = NULL;
	d->nhandles = d->handles_used = d->free_head = 0;
}

static const char *why(const struct us_daemon *d, int err)
{
	int reg = d->failed && !strncmp(d->failed, "register", 8);
	int att = d->failed && !strncmp(d->failed, "attach", 6);

	if (d->failed && !strncmp(d->failed, "find", 4) && err == -ENOENT)
		return "it is not set (ENOENT)";
	if (att) {
		switch (err) {
		case -EINVAL:
			return "malformed $" USCHEME_SCHEME ", or its fd is not the scheme "
			       "ring it describes (EINVAL)";
		case -EBADF:
			return "the fd $" USCHEME_SCHEME " names is not open (EBADF)";
		case -ENOTTY:
			return "the fd $" USCHEME_SCHEME " names is not a uscheme ring (ENOTTY)";
		case -EBADFD:
			return "the fd $" USCHEME_SCHEME " names is a ring never set up (EBADFD)";
		}
		return NULL;
	}
	switch (err) {
	case -EEXIST:
		return reg ? "name taken (EEXIST)" : NULL;
	case -EPERM:
		return reg ? "needs CAP_SYS_ADMIN (EPERM)" : NULL;
	case -EINVAL:
		return reg ? "invalid name: 1 to 63 characters from [a-z0-9._-] (EINVAL)" : NULL;
	case -ENOENT:
		return reg ? NULL : "no " USCHEME_DEVICE ": is uscheme.ko loaded? (ENOENT)";
	case -EACCES:
		return reg ? NULL : "permission denied on " USCHEME_DEVICE " (EACCES)";
	case -EOPNOTSUPP:
		return "this uscheme.ko serves no schemes: an older module? (EOPNOTSUPP)";
	}
	return NULL;
}

void us_daemon_perror(const char *prog, const struct us_daemon *d, int err)
{
	const char *w = why(d, err);
	const char *ename = strerrorname_np(-err);

	const char *sp = d->name[0] ? " " : "";	/* no name yet: inherited */

	if (w)
		fprintf(stderr, "%s: cannot %s%s%s: %s\n", prog,
			d->failed ? d->failed : "serve scheme", sp, d->name, w);
	else
		fprintf(stderr, "%s: cannot %s%s%s: %s (%s)\n", prog,
			d->failed ? d->failed : "serve scheme", sp, d->name,
			strerror(-err), ename ? ename : "?");
}
