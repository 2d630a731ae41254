// SPDX-License-Identifier: MIT
/*
 * The events suite (events.h): USCHEME_CQE_F_FD refuses files that can hold
 * files; pass cycles released.
 */
#include "events.h"

/*
 * A daemon that answers OPEN "PASS:N" with USCHEME_CQE_F_FD res = its fd N
 * (any other OPEN with a handle), then bumps shm->served; runs until
 * killed. The caller prepares the fds the paths name.
 */
static void pass_daemon_loop(struct rawd *d)
{
	struct dshm *s = d->shm;
	uint32_t seen = 0;

	for (;;) {
		uint32_t tail;
		int ret;

		if (rawd_cmd_pending(d, &seen)) {
			dmn_cmd(d, s->ctl.cmd_op, s->ctl.cmd_id, s->ctl.cmd_arg);
			rawd_cmd_done(d, seen);
		}
		ret = rawd_enter(d, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
				20 * 1000 * 1000);
		if (ret && ret != -ETIME && ret != -EINTR)
			STORE(&s->ctl.derr, ret);
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
				rawd_answer(d, rq.tag, -ENOSYS, 0);
				continue;
			}
			n = rq.len < sizeof(path) - 1 ? rq.len : (uint32_t)sizeof(path) - 1;
			memcpy(path, d->data + rq.buf, n);
			path[n] = '\0';
			if (!strncmp(path, "PASS:", 5))
				rawd_answer(d, rq.tag, atoi(path + 5), USCHEME_CQE_F_FD);
			else
				rawd_answer(d, rq.tag, (int32_t)dmn_next_id++, 0);
		}
		if (d->unsent) {
			rawd_enter(d, 0, 0, 0);	/* the kernel takes the answers (and fds) */
			INC(&s->served);
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
int t_passfd_refused(void)
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
int t_gc_passfd_cycles(void)
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
