// SPDX-License-Identifier: MIT
/*
 * The events suite (events.h): one wait: serve a scheme and consume another
 * scheme's replies.
 */
#include "events.h"

/* ------------------------------------------------------------------ */
/* One wait: serve a scheme and consume another scheme's replies        */
/* ------------------------------------------------------------------ */

#define SW_READS	20
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

int t_single_wait(void)
{
	static unsigned char rbuf[SW_READS][SW_LEN];
	char name[USCHEME_NAME_MAX], path[96], opath[96];
	int ofd = -1, inflight = 0, next = 0, done = 0, s_events = 0, waits = 0;
	int status = -1, p_done = 0;
	struct uscheme_sqe *sqe;
	struct daemon other;
	long long end;
	struct dshm *ss;
	struct rawd s;
	struct tr c;
	pid_t pid;

	dname(&other, "swo");
	CHECK_EQ(dstart(&other), 0);
	snprintf(opath, sizeof(opath), "%s:file", other.name);
	memset(&s, 0, sizeof(s));
	ss = dshm_new();
	CHECK(ss);
	s.shm = ss;
	s.ctl = &ss->ctl;
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
			CHECK_EQ(rawd_enter(&s, 0, 0, 0), 0);
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
	CHECK_EQ(LOAD(&ss->reads), SW_READS);
	CHECK_EQ(LOAD(&ss->ctl.bad), 0);
	CHECK_EQ(ss->ctl.derr, 0);
	CHECK_EQ(LOAD(&other.shm->reads), SW_READS);
	CHECK_EQ(stats_ok(&c), 0);
	close(ofd);
	tr_exit(&c);
	rawd_teardown(&s);
	CHECK_EQ(dstop(&other), 0);
	return 0;
}

