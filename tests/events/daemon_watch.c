// SPDX-License-Identifier: MIT
/*
 * The events suite (events.h): libuscheme's daemon framework waits on
 * everything at once (us_daemon_watch).
 */
#include "events.h"

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

int t_daemon_unwatch_in_callback(void)
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

int t_daemon_watch(void)
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

