// SPDX-License-Identifier: MIT
/*
 * What an unprivileged user can make the kernel hold is bounded and
 * accounted (THREAT-MODEL: resources). A ring READ or CALL pins the
 * caller's output pages until the answer: the pins are charged to the
 * user's RLIMIT_MEMLOCK (-ENOMEM beyond it), and a request whose client
 * ring closed gives its pins back at once, though its daemon never answers.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "harden.h"

#define PIN_UID	4322
#define MIB	(1U << 20)

static int32_t hold_reads(struct hd_shared *sh, const struct uscheme_req *rq, void *chunk)
{
	return rq->opcode == USCHEME_OP_READ ? HD_NOANSWER : hd_answer_ok(sh, rq, chunk);
}

/* Submit one READ of @len into @buf; its inline result, or 1 if it is in flight. */
static int read_op(struct us_ring *r, int fd, void *buf, uint32_t len, uint64_t ud)
{
	struct uscheme_cqe *cqe;
	int res;

	us_prep_read(us_get_sqe(r), fd, buf, len, 0, ud);
	if (us_submit(r) != 1)
		return -1000;
	if (us_wait_cqe(r, &cqe, 300 * 1000000LL))
		return 1;		/* no CQE: routed, held by the daemon */
	res = cqe->res;
	us_cqe_seen(r);
	return res;
}

static int pinner(void *arg)
{
	const struct hd *d = arg;
	struct us_ring r, r2;
	char *buf = malloc(4 * MIB);
	int fd, res;

	if (!buf)
		return 1;
	memset(buf, 1, 4 * MIB);	/* fault it in: pins need the pages */
	fd = hd_open(d, "f", O_RDONLY);
	if (fd < 0 || us_ring_init(&r, 8, 0, 0))
		return 2;
	/* 2 MiB of RLIMIT_MEMLOCK (set by the parent): two 1 MiB READs fit. */
	if (read_op(&r, fd, buf, MIB, 1) != 1 || read_op(&r, fd, buf + MIB, MIB, 2) != 1) {
		fprintf(stderr, "  the first two 1 MiB READs did not go to the daemon\n");
		return 3;
	}
	res = read_op(&r, fd, buf + 2 * MIB, MIB, 3);
	if (res != -ENOMEM) {
		fprintf(stderr, "  a READ beyond RLIMIT_MEMLOCK gave %d, not -ENOMEM\n", res);
		return 4;
	}
	/* The client ring goes; its held READs give their pins back. */
	us_ring_exit(&r);
	if (us_ring_init(&r2, 8, 0, 0))
		return 5;
	res = read_op(&r2, fd, buf + 2 * MIB, MIB, 4);
	if (res != 1) {
		fprintf(stderr, "  after the ring closed, a 1 MiB READ gave %d\n", res);
		return 6;
	}
	us_ring_exit(&r2);
	close(fd);
	free(buf);
	return 0;
}

int t_pins_charged_to_memlock(void)
{
	struct rlimit rl = { 2 * MIB + 8192, 2 * MIB + 8192 };
	struct rlimit old;
	struct hd d;
	int ret;

	CHECK(!hd_start(&d, "hpins", hold_reads));
	CHECK_EQ(getrlimit(RLIMIT_MEMLOCK, &old), 0);
	CHECK_EQ(setrlimit(RLIMIT_MEMLOCK, &rl), 0);	/* inherited by the child */
	ret = hd_as_user(PIN_UID, pinner, &d);
	setrlimit(RLIMIT_MEMLOCK, &old);
	CHECK_EQ(ret, 0);
	CHECK(!hd_wait_count(&d, USCHEME_OP_CANCEL, 2));	/* the closed ring's two */
	hd_stop(&d);
	return 0;
}
