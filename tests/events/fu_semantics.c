// SPDX-License-Identifier: MIT
/*
 * The events suite (events.h): FILES_UPDATE semantics: ADD/MOD/DEL, per-
 * entry errors, bad ops.
 */
#include "events.h"

/* ------------------------------------------------------------------ */
/* FILES_UPDATE semantics                                              */
/* ------------------------------------------------------------------ */

int t_feature(void)
{
	uint64_t f = 0;

	CHECK_EQ(us_features(&f), 0);
	CHECK(f & USCHEME_FEAT_FILES_UPDATE);
	return 0;
}

void fe(struct uscheme_fu_entry *e, int fd, uint32_t events, uint32_t flags,
	uint64_t ud)
{
	us_fu_entry(e, fd, events, flags, ud);
	e->res = 0x5a5a;	/* must be overwritten */
}

/* Every per-entry error in one batch; the good entries are applied. */
int t_fu_batch(void)
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
int t_fu_bad_op(void)
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
int t_fu_del_strict(void)
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
int t_fu_res_over_user_data(void)
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

