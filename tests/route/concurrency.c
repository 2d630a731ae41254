// SPDX-License-Identifier: MIT
/*
 * The route suite (route.h): concurrency: 4 clients, 2 daemons, 100,000
 * requests.
 */
#include "route.h"

/* ------------------------------------------------------------------ */
/* Concurrency: 4 clients, 2 daemons, 100,000 requests                 */
/* ------------------------------------------------------------------ */

static void load_payload(unsigned char *b, uint32_t len, uint64_t seed)
{
	uint32_t i;

	memcpy(b, &seed, 8);
	for (i = 8; i < len; i++)
		b[i] = lpat(seed, i);
}

/* Verify one load result: 0, or 1 for a mismatch. */
static int load_verify(int type, const unsigned char *in, const unsigned char *out,
		       uint32_t len, uint32_t len2, uint64_t seed, int32_t res)
{
	uint32_t i, n;

	switch (type) {
	case 0:		/* WRITE */
		return res != (int32_t)len;
	case 1:		/* READ at off = seed */
		if (res != (int32_t)len)
			return 1;
		for (i = 0; i < len; i++)
			if (out[i] != pat(seed + i))
				return 1;
		return 0;
	default:	/* CALL */
		n = len < len2 ? len : len2;
		if (res != (int32_t)n)
			return 1;
		for (i = 0; i < n; i++)
			if (out[i] != (in[i] ^ 0xa5))
				return 1;
		return 0;
	}
}

static int load_client(void *p)
{
	const struct load_arg *a = p;
	struct load_stats *st = a->st;
	static unsigned char in[LOAD_BATCH][LOAD_MAXLEN], out[LOAD_BATCH][LOAD_MAXLEN];
	uint64_t seeds[LOAD_BATCH];
	uint32_t lens[LOAD_BATCH], len2s[LOAD_BATCH];
	int types[LOAD_BATCH];
	uint64_t ud[LOAD_BATCH];
	int32_t res[LOAD_BATCH];
	struct us_ring r;
	uint32_t seq = 0, done = 0, round = 0;
	int fds[2], k, n, idx = a->idx;

	CHECK_EQ(cring(&r, 32), 0);
	fds[0] = d_open(a->dm[0], "load", O_RDWR);
	fds[1] = d_open(a->dm[1], "load", O_RDWR);
	CHECK(fds[0] >= 0 && fds[1] >= 0);
	while (done < LOAD_REQS) {
		int batch = LOAD_REQS - done < LOAD_BATCH ? (int)(LOAD_REQS - done) : LOAD_BATCH;

		round++;
		for (k = 0; k < batch; k++) {
			uint64_t seed = ((uint64_t)idx << 28) | seq++;
			uint32_t len = 8 + (uint32_t)((seed * 37) % (LOAD_MAXLEN - 8));

			seeds[k] = seed;
			lens[k] = len;
			types[k] = (int)((seed + round) % 3);
			len2s[k] = types[k] == 2 ? len - (uint32_t)(seed % 8) : 0;
			if (types[k] != 1)
				load_payload(in[k], len, seed);
		}
		if (round % 8 == 0) {
			/* plain syscalls, one at a time */
			for (k = 0; k < batch; k++) {
				int fd = fds[(k + round) & 1];
				long rr;

				switch (types[k]) {
				case 0:
					rr = sysres(pwrite(fd, in[k], lens[k], (off_t)seeds[k]));
					break;
				case 1:
					rr = sysres(pread(fd, out[k], lens[k], (off_t)seeds[k]));
					break;
				default:
					rr = h_call(fd, in[k], lens[k], 0, out[k], len2s[k]);
					break;
				}
				if (rr < 0) {
					st->errors[idx]++;
					st->last_err[idx] = (int32_t)rr;
				} else if (load_verify(types[k], in[k], out[k], lens[k], len2s[k],
						       seeds[k], (int32_t)rr)) {
					st->mismatch[idx]++;
				}
			}
		} else {
			for (k = 0; k < batch; k++) {
				int fd = fds[(k + round) & 1];

				switch (types[k]) {
				case 0:
					CHECK_EQ(queue(&r, USCHEME_OP_WRITE, fd, seeds[k], in[k],
						       lens[k], 0, NULL, 0, (uint64_t)k), 0);
					break;
				case 1:
					CHECK_EQ(queue(&r, USCHEME_OP_READ, fd, seeds[k], out[k],
						       lens[k], 0, NULL, 0, (uint64_t)k), 0);
					break;
				default:
					CHECK_EQ(queue(&r, USCHEME_OP_CALL, fd, 0, in[k], lens[k], 0,
						       out[k], len2s[k], (uint64_t)k), 0);
					break;
				}
			}
			CHECK_EQ(us_submit(&r), batch);
			n = reap(&r, (unsigned int)batch, ud, res, 60000);
			CHECK_EQ(n, batch);
			for (k = 0; k < n; k++) {
				int s = (int)ud[k];

				CHECK(s >= 0 && s < batch);
				if (res[k] < 0) {
					st->errors[idx]++;
					st->last_err[idx] = res[k];
				} else if (load_verify(types[s], in[s], out[s], lens[s], len2s[s],
						       seeds[s], res[k])) {
					st->mismatch[idx]++;
				}
			}
		}
		done += (uint32_t)batch;
		STORE(&st->done[idx], done);
	}
	close(fds[0]);
	close(fds[1]);
	us_ring_exit(&r);
	return 0;
}

int t_concurrency(void)
{
	struct daemon dm[2];
	struct load_arg la[LOAD_CLIENTS];
	struct load_stats *st;
	pid_t pid[LOAD_CLIENTS];
	uint32_t total = 0;
	long long t0 = tap_now_ns();
	int i, ok = 1;

	st = mmap(NULL, sizeof(*st), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	CHECK(st != MAP_FAILED);
	memset(st, 0, sizeof(*st));
	for (i = 0; i < 2; i++) {
		dname(&dm[i], i ? "load1" : "load0");
		dm[i].shm = shm_new();
		CHECK(dm[i].shm);
		dm[i].shm->nolog = 1;
		CHECK_EQ(dstart(&dm[i], 64, 4 * MIB), 0);
		dm[i].shm->nolog = 1;
	}
	for (i = 0; i < LOAD_CLIENTS; i++) {
		la[i].dm[0] = &dm[0];
		la[i].dm[1] = &dm[1];
		la[i].st = st;
		la[i].idx = i;
		pid[i] = spawn(load_client, &la[i]);
		CHECK(pid[i] > 0);
	}
	for (i = 0; i < LOAD_CLIENTS; i++) {
		if (!exited_ok(wait_exit(pid[i], 400000)))
			ok = 0;
		total += st->done[i];
		if (st->mismatch[i] || st->errors[i]) {
			fprintf(stderr, "  client %d: %u mismatches, %u errors (last %d)\n", i,
				st->mismatch[i], st->errors[i], st->last_err[i]);
			ok = 0;
		}
	}
	fprintf(stderr, "  # %u requests in %.1f s; daemons served %u + %u\n", total,
		(tap_now_ns() - t0) / 1e9, dm[0].shm->served, dm[1].shm->served);
	CHECK(ok);
	CHECK_EQ(total, LOAD_CLIENTS * LOAD_REQS);
	/* each request reached a daemon once (the 8 OPENs and 8 CLOSEs too) */
	CHECK_EQ(wait_u32(&dm[1].shm->nclose, LOAD_CLIENTS, SLOW_MS), 0);
	CHECK_EQ(wait_u32(&dm[0].shm->nclose, LOAD_CLIENTS, SLOW_MS), 0);
	CHECK_EQ(dm[0].shm->served + dm[1].shm->served, total + 4 * LOAD_CLIENTS);
	CHECK_EQ(dstop(&dm[0]), 0);
	CHECK_EQ(dstop(&dm[1]), 0);
	return 0;
}

