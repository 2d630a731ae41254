// SPDX-License-Identifier: MIT
/*
 * Readiness never depends on how the daemon waits (THREAT-MODEL:
 * readiness). Requests queued in the kernel behind a daemon's full SQ go
 * out once the daemon makes room, whether it then polls its ring, enters
 * it with nothing to submit and no wait, or is watched by another ring
 * (FILES_UPDATE, as libuscheme's event mode and pcid do). Before, only a
 * GETEVENTS wait or consuming a response dispatched them.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "harden.h"

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define BATCH		8	/* the daemon's SQ size */

/* Requests the kernel has published and the daemon has not consumed. */
static uint32_t visible(struct us_ring *s)
{
	return LOAD(&s->hdr->sq_tail) - s->hdr->sq_head;
}

/* The daemon takes every visible request, answering none. */
static void consume(struct us_ring *s)
{
	STORE(&s->hdr->sq_head, LOAD(&s->hdr->sq_tail));
}

int t_queued_dispatch_any_wait(void)
{
	struct uscheme_fu_entry fu;
	struct us_ring s, c, w;
	struct uscheme_sqe *sqe;
	struct uscheme_cqe *cqe, *resp;
	struct uscheme_req rq;
	struct pollfd pfd;
	char buf[4 * BATCH][16];
	int fd, i;

	CHECK_EQ(us_ring_init(&s, BATCH, 0, USCHEME_SETUP_SCHEME), 0);
	CHECK_EQ(us_register(&s, "hqueue"), 0);
	CHECK_EQ(us_ring_init(&c, 4 * BATCH, 0, 0), 0);
	CHECK_EQ(us_ring_init(&w, 8, 0, 0), 0);

	/* Open a handle, serving the OPEN by hand. */
	sqe = us_get_sqe(&c);
	us_prep_open(sqe, "hqueue:x", O_RDONLY, 1);
	CHECK_EQ(us_submit(&c), 1);
	CHECK_EQ(visible(&s), 1);
	rq = ((struct uscheme_req *)s.sqes)[s.hdr->sq_head & (BATCH - 1)];
	CHECK_EQ(rq.opcode, USCHEME_OP_OPEN);
	resp = (struct uscheme_cqe *)s.cqes + (s.hdr->cq_tail & (s.cq_entries - 1));
	resp->user_data = rq.tag;
	resp->res = 5;
	resp->flags = 0;
	STORE(&s.hdr->cq_tail, s.hdr->cq_tail + 1);
	consume(&s);
	CHECK_EQ(us_enter(&s, 1, 0, 0, 0, NULL), 0);
	CHECK_EQ(us_wait_cqe(&c, &cqe, 5000000000LL), 0);
	fd = cqe->res;
	CHECK(fd >= 0);
	us_cqe_seen(&c);

	/* Four batches of READs: one fills the daemon's SQ, three wait. */
	for (i = 0; i < 4 * BATCH; i++) {
		sqe = us_get_sqe(&c);
		CHECK(sqe);
		us_prep_read(sqe, fd, buf[i], sizeof(buf[i]), 0, 100 + i);
	}
	CHECK_EQ(us_submit(&c), 4 * BATCH);
	CHECK_EQ(visible(&s), BATCH);

	/* 1. poll(2) on the daemon's ring. */
	consume(&s);
	pfd.fd = s.fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	CHECK_EQ(poll(&pfd, 1, 2000), 1);
	CHECK(pfd.revents & POLLIN);
	CHECK_EQ(visible(&s), BATCH);

	/* 2. An empty enter: nothing to submit, no wait. */
	consume(&s);
	CHECK_EQ(us_enter(&s, 0, 0, 0, 0, NULL), 0);
	CHECK_EQ(visible(&s), BATCH);

	/* 3. Another ring watching the daemon's ring (event mode). */
	consume(&s);
	sqe = us_get_sqe(&w);
	us_fu_entry(&fu, s.fd, USCHEME_EV_READ, USCHEME_FU_ADD, 7);
	us_prep_files_update(sqe, &fu, 1, 1);
	CHECK_EQ(us_submit(&w), 1);
	for (i = 0; i < 2; i++) {
		CHECK_EQ(us_wait_cqe(&w, &cqe, 2000000000LL), 0);
		if (cqe->user_data == 7)
			break;	/* the event: the ring has requests */
		CHECK_EQ(cqe->res, 1);	/* the FILES_UPDATE itself */
		us_cqe_seen(&w);
	}
	CHECK_EQ(cqe->user_data, 7);
	CHECK_EQ(visible(&s), BATCH);

	us_ring_exit(&w);
	us_ring_exit(&s);	/* the daemon dies: the READs fail with -EPIPE */
	for (i = 0; i < 4 * BATCH; i++) {
		CHECK_EQ(us_wait_cqe(&c, &cqe, 5000000000LL), 0);
		CHECK(cqe->res == -EPIPE || cqe->res == -ECANCELED);
		us_cqe_seen(&c);
	}
	close(fd);
	us_ring_exit(&c);
	return 0;
}
