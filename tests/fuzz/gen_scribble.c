// SPDX-License-Identifier: MIT
/*
 * Family "scribble": a second thread writes random values into the ring
 * header (sq_tail, cq_head, sq_head, cq_tail, flags, the constants) and the
 * SQE array while the first thread submits and enters. The kernel must
 * clamp, copy once and carry on: no hang, no crash, no CQE for a user_data
 * this process never wrote (the ring is checked "relaxed": a scribbled
 * cq_head may show an entry twice). Then the ring is unscribbled and must
 * still work: a NOP completes.
 */
#include <pthread.h>
#include <sys/ioctl.h>
#include <signal.h>
#include <unistd.h>

#include "fuzz.h"

struct scribbler {
	pthread_t thr;
	struct fz_ring *fr;
	uint64_t seed;
	volatile int stop;
	uint64_t writes;
};

static void *scribble_main(void *arg)
{
	struct scribbler *s = arg;
	struct fz_rng r = { s->seed };
	struct uscheme_ring_hdr *h = s->fr->hdr;
	uint32_t *words = (uint32_t *)h;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	while (!s->stop) {
		uint32_t v;

		switch (rnd_below(&r, 4)) {
		case 0:
			v = (uint32_t)rnd(&r);
			break;
		case 1:
			v = LOAD(&h->sq_head) + rnd_below(&r, 3 * s->fr->sq_entries + 2) - 1;
			break;
		case 2:
			v = LOAD(&h->cq_tail) - rnd_below(&r, 2 * s->fr->cq_entries + 2);
			break;
		default:
			v = one_in(&r, 2) ? 0 : UINT32_MAX;
		}
		switch (rnd_below(&r, 8)) {
		case 0:
		case 1:
			STORE(&h->sq_tail, v);
			break;
		case 2:
		case 3:
			STORE(&h->cq_head, v);
			break;
		case 4:	/* a kernel-written field: the kernel must not trust it */
			STORE(&words[rnd_below(&r, sizeof(*h) / 4)], v);
			break;
		case 5: {	/* an SQE's fields change under the kernel's copy */
			struct uscheme_sqe *e = &s->fr->sqes[rnd_below(&r, s->fr->sq_entries)];

			STORE(&e->opcode, (uint8_t)rnd_below(&r, USCHEME_OP_LAST + 1));
			STORE(&e->len, (uint32_t)rnd(&r));
			STORE(&e->fd, (int32_t)rnd_below(&r, 64));
			break;
		}
		default:
			STORE(&h->sq_flags, v);
			STORE(&h->cq_flags, v);
		}
		s->writes++;
		if (one_in(&r, 64))
			usleep(rnd_below(&r, 200));
	}
	return NULL;
}

void gen_scribble(struct fz_run *run)
{
	struct fz_rng *r = &run->rng;
	uint64_t start = LOAD(&fz->ops[FAM_SCRIBBLE]);
	struct scribbler s;
	struct fz_ring fr;
	struct uscheme_sqe sqe;
	unsigned int i;

	for (i = 0; i < 4; i++)
		pool_make(r, FAM_SCRIBBLE);
	if (fz_ring_setup(&fr, r, FAM_SCRIBBLE))
		return;
	fr.relaxed = 1;
	memset(&s, 0, sizeof(s));
	s.fr = &fr;
	s.seed = fz_mix(r->s, 9);
	if (pthread_create(&s.thr, NULL, scribble_main, &s))
		return;
	while (fz_run_more(run, FAM_SCRIBBLE, start)) {
		unsigned int n = 1 + rnd_below(r, 4);

		for (i = 0; i < n; i++) {
			if (one_in(r, 2)) {
				memset(&sqe, 0, sizeof(sqe));
				sqe.user_data = ud_new(USCHEME_OP_NOP, UD_INFLIGHT);
			} else {
				rnd_sqe(r, &fr, &sqe, FAM_SCRIBBLE);
			}
			fz_ring_push(&fr, &sqe);
		}
		fz_ring_enter(&fr, r, FAM_SCRIBBLE, one_in(r, 2));
		fz_ring_reap(&fr, FAM_SCRIBBLE);
	}
	s.stop = 1;
	pthread_join(s.thr, NULL);

	/*
	 * Unscribbled again: the header as the kernel's own counters say it
	 * is (sq_head = SQEs consumed, cq_tail = CQEs posted), every SQE slot a
	 * marked NOP. One enter that consumes it must make its CQE appear
	 * (posted or parked, then flushed by the next enters). An enter that
	 * consumes nothing (-EBUSY: routed ops held by the daemon reserve the
	 * CQ) proves nothing either way.
	 */
	{
		const uint64_t mark = UD_MAGIC | (UD_MAX - 1);
		long long end = fz_now_ns() + 2000000000LL;
		struct uscheme_stats st;
		struct uscheme_enter e;
		int consumed = 0, seen = 0;
		uint32_t t;

		if (ioctl(fr.fd, USCHEME_IOC_STATS, &st))
			goto out;
		STORE(&fr.hdr->sq_mask, fr.sq_entries - 1);
		STORE(&fr.hdr->sq_entries, fr.sq_entries);
		STORE(&fr.hdr->cq_mask, fr.cq_entries - 1);
		STORE(&fr.hdr->cq_entries, fr.cq_entries);
		STORE(&fr.hdr->sq_head, (uint32_t)st.submitted);
		STORE(&fr.hdr->cq_tail, (uint32_t)st.completed);
		STORE(&fr.hdr->cq_head, (uint32_t)st.completed);
		memset(&sqe, 0, sizeof(sqe));
		sqe.user_data = mark;
		for (i = 0; i < fr.sq_entries; i++)
			memcpy(&fr.sqes[i], &sqe, sizeof(sqe));
		fr.sq_tail = (uint32_t)st.submitted + 1;
		STORE(&fr.hdr->sq_tail, fr.sq_tail);
		while (!seen && fz_now_ns() < end) {
			memset(&e, 0, sizeof(e));
			e.to_submit = consumed ? 0 : 1;
			e.min_complete = 1;
			e.flags = USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT;
			e.timeout_ns = 10000000;
			ioctl(fr.fd, USCHEME_IOC_ENTER, &e);
			consumed |= e.submitted > 0;
			/* wherever the kernel put it: scan the whole CQ */
			for (t = 0; consumed && t < fr.cq_entries; t++) {
				const struct uscheme_cqe *c = (const void *)(fr.cqes +
					(size_t)t * fr.cqe_size);

				if (LOAD(&c->user_data) == mark)
					seen = 1;
			}
			STORE(&fr.hdr->cq_head, LOAD(&fr.hdr->cq_tail));
		}
		if (consumed && !seen)
			fz_violation(FAM_SCRIBBLE,
				     "a NOP consumed after the scribbling never completed");
	}
out:
	fz_ring_close(&fr);
}
