// SPDX-License-Identifier: MIT
/*
 * A handle made after its daemon died reports the hangup at once (a ring
 * OPEN answered, then the daemon dies before the client enters to collect
 * it): poll must not say "readable and writable" as if the daemon lived.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include "harden.h"

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)

int t_handle_hup_after_death(void)
{
	struct us_ring s, c;
	struct uscheme_sqe *sqe;
	struct uscheme_cqe *cqe, *resp;
	struct uscheme_req rq;
	struct pollfd pfd;
	char b;
	int fd;

	CHECK_EQ(us_ring_init(&s, 8, 0, USCHEME_SETUP_SCHEME), 0);
	CHECK_EQ(us_register(&s, "hhup"), 0);
	CHECK_EQ(us_ring_init(&c, 8, 0, 0), 0);
	sqe = us_get_sqe(&c);
	us_prep_open(sqe, "hhup:x", O_RDWR, 1);
	CHECK_EQ(us_submit(&c), 1);
	CHECK_EQ(LOAD(&s.hdr->sq_tail) - s.hdr->sq_head, 1);
	rq = ((struct uscheme_req *)s.sqes)[s.hdr->sq_head & 7];
	resp = (struct uscheme_cqe *)s.cqes + (s.hdr->cq_tail & (s.cq_entries - 1));
	resp->user_data = rq.tag;
	resp->res = 3;
	resp->flags = 0;
	STORE(&s.hdr->cq_tail, s.hdr->cq_tail + 1);
	STORE(&s.hdr->sq_head, s.hdr->sq_head + 1);
	CHECK_EQ(us_enter(&s, 1, 0, 0, 0, NULL), 0);
	us_ring_exit(&s);		/* the daemon dies */

	CHECK_EQ(us_wait_cqe(&c, &cqe, 5000000000LL), 0);
	fd = cqe->res;
	CHECK(fd >= 0);
	us_cqe_seen(&c);
	pfd.fd = fd;
	pfd.events = POLLIN | POLLOUT;
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK(pfd.revents & POLLHUP);
	CHECK(pfd.revents & POLLERR);
	errno = 0;
	CHECK(read(fd, &b, 1) == -1);
	CHECK_EQ(errno, EPIPE);
	close(fd);
	us_ring_exit(&c);
	return 0;
}
