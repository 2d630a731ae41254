// SPDX-License-Identifier: MIT
/*
 * Families "sqe" and "fork": random SQEs on client rings (every opcode and
 * some beyond, random flags and reserved fields, edge lengths and offsets,
 * fds of every kind), random enter arguments; "fork" also forks with ops in
 * flight, and the child or the parent dies at a random moment.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

static uint64_t recent_ud[16];

static uint32_t fu_entries(struct fz_rng *r, uint32_t n)
{
	struct uscheme_fu_entry *e;
	uint32_t i;

	if (n > FZ_SCRATCH / sizeof(*e))
		n = FZ_SCRATCH / sizeof(*e);
	e = scratch_at(r, n * sizeof(*e));
	for (i = 0; i < n; i++) {
		memset(&e[i], 0, sizeof(e[i]));
		e[i].fd = rnd_fd(r);
		e[i].events = one_in(r, 8) ? (uint32_t)rnd(r) : rnd_below(r, 6);
		e[i].flags = one_in(r, 8) ? (uint32_t)rnd(r) : 1U << rnd_below(r, 3);
		if (one_in(r, 4))
			e[i].flags |= USCHEME_FU_ONESHOT;
		if (one_in(r, 16))
			e[i].resv = rnd(r);
		e[i].user_data = ud_new(0, UD_WATCH);
	}
	return (uint32_t)((unsigned char *)e - fz_scratch);
}

void rnd_sqe(struct fz_rng *r, struct fz_ring *fr, struct uscheme_sqe *sqe, int fam)
{
	uint32_t op = rnd_below(r, USCHEME_OP_LAST + 2);
	char *path;

	(void)fam;
	memset(sqe, 0, sizeof(*sqe));
	if (one_in(r, 32))
		op = (uint32_t)rnd_below(r, 256);
	sqe->opcode = (uint8_t)op;
	switch (op) {
	case USCHEME_OP_OPEN:
		path = scratch_at(r, USCHEME_PATH_MAX + 8);
		rnd_path(r, path, USCHEME_PATH_MAX + 8);
		sqe->addr = one_in(r, 8) ? rnd_ptr(r, 64) : (uintptr_t)path;
		sqe->len = one_in(r, 4) ? rnd_len(r) : (uint32_t)strlen(path) + 1;
		sqe->op_flags = one_in(r, 6) ? (uint32_t)rnd(r) :
				(uint32_t)(rnd_below(r, 3) | (one_in(r, 3) ? O_CLOEXEC : 0) |
					   (one_in(r, 5) ? O_CREAT | O_TRUNC : 0) |
					   (one_in(r, 8) ? O_DIRECTORY : 0));
		break;
	case USCHEME_OP_READ:
	case USCHEME_OP_WRITE:
		sqe->fd = rnd_fd(r);
		sqe->len = rnd_len(r);
		sqe->addr = rnd_ptr(r, sqe->len);
		sqe->off = rnd_off(r);
		break;
	case USCHEME_OP_FSTAT:
		sqe->fd = rnd_fd(r);
		sqe->len = one_in(r, 2) ? sizeof(struct uscheme_stat) : rnd_len(r);
		sqe->addr = rnd_ptr(r, sqe->len);
		break;
	case USCHEME_OP_FTRUNCATE:
		sqe->off = rnd_off(r);
		/* fall through */
	case USCHEME_OP_FSYNC:
	case USCHEME_OP_CLOSE:
		sqe->fd = rnd_fd(r);
		break;
	case USCHEME_OP_DUP:
		sqe->fd = rnd_fd(r);
		sqe->len = one_in(r, 2) ? rnd_below(r, 8) : rnd_len(r);
		sqe->addr = rnd_ptr(r, sqe->len);
		sqe->op_flags = one_in(r, 4) ? (uint32_t)rnd(r) : (one_in(r, 2) ? O_CLOEXEC : 0);
		break;
	case USCHEME_OP_CALL:
		sqe->fd = rnd_fd(r);
		sqe->len = rnd_len(r);
		sqe->addr = rnd_ptr(r, sqe->len);
		sqe->len2 = rnd_len(r);
		sqe->addr2 = rnd_ptr(r, sqe->len2);
		sqe->op_flags = (uint32_t)rnd(r);
		break;
	case USCHEME_OP_FILES_UPDATE:
		sqe->len = one_in(r, 3) ? rnd_len(r) : 1 + rnd_below(r, 8);
		sqe->addr = one_in(r, 6) ? rnd_ptr(r, 32) :
			    (uintptr_t)(fz_scratch + fu_entries(r, sqe->len < 64 ? sqe->len : 64));
		break;
	case USCHEME_OP_CANCEL:
		sqe->addr = one_in(r, 4) ? rnd(r) : recent_ud[rnd_below(r, 16)];
		break;
	default:	/* NOP, SEND_EVENT, beyond the last */
		if (one_in(r, 2))
			sqe->fd = rnd_fd(r);
	}
	if (fz->avoid_zero_len) {
		if (op == USCHEME_OP_WRITE && !sqe->len)
			sqe->len = 1;
		if (op == USCHEME_OP_CALL && !sqe->len && !sqe->len2)
			sqe->len = 1;
	}
	if (one_in(r, 12)) {	/* a field the op must not have, or a reserved one */
		switch (rnd_below(r, 6)) {
		case 0:
			sqe->flags = (uint8_t)(1 + rnd_below(r, 255));
			break;
		case 1:
			sqe->ioprio = (uint16_t)(1 + rnd_below(r, 65535));
			break;
		case 2:
			sqe->resv0 = (uint32_t)rnd(r) | 1;
			break;
		case 3:
			sqe->resv1 = rnd(r) | 1;
			break;
		case 4:
			sqe->addr2 = rnd(r);
			sqe->len2 = (uint32_t)rnd(r);
			break;
		default:
			sqe->off = rnd(r);
			sqe->op_flags = (uint32_t)rnd(r);
		}
	}
	sqe->user_data = ud_new(sqe->opcode, UD_INFLIGHT);
	recent_ud[rnd_below(r, 16)] = sqe->user_data;
	(void)fr;
}

/* One random ioctl on a ring fd (setup twice, stats, register, open, junk). */
static void ring_ioctl(struct fz_rng *r, struct fz_ring *fr, int fam)
{
	union {
		struct uscheme_params p;
		struct uscheme_stats s;
		struct uscheme_register g;
		struct uscheme_open o;
		uint64_t feat;
		unsigned char raw[256];
	} u;
	char path[64];
	long ret;

	memset(&u, 0, sizeof(u));
	fz_op(fam);
	switch (rnd_below(r, 6)) {
	case 0:
		u.p.sq_entries = (uint32_t)rnd(r) & 0xffff;
		/* no violation check: fr->fd may be another ring's number by now */
		ret = ioctl(fr->fd, USCHEME_IOC_SETUP, &u.p);
		break;
	case 1:
		ret = ioctl(fr->fd, USCHEME_IOC_STATS, one_in(r, 8) ? (void *)fz_ro : &u.s);
		break;
	case 2:
		snprintf(u.g.name, sizeof(u.g.name), "fzr-%u", rnd_below(r, 4));
		ret = ioctl(fr->fd, USCHEME_IOC_REGISTER, &u.g);
		break;
	case 3:
		rnd_path(r, path, sizeof(path));
		u.o.path = one_in(r, 6) ? rnd_ptr(r, 8) : (uintptr_t)path;
		u.o.flags = one_in(r, 4) ? (uint32_t)rnd(r) : O_RDONLY | O_CLOEXEC;
		ret = ioctl(fr->fd, USCHEME_IOC_OPEN, &u.o);
		if (!ret)
			pool_add(u.o.fd, K_HANDLE);
		break;
	case 4:
		ret = ioctl(fr->fd, USCHEME_IOC_FEATURES, &u.feat);
		break;
	default:	/* an ioctl number of the family that does not exist, junk */
		memset(u.raw, (int)rnd_below(r, 256), sizeof(u.raw));
		ret = ioctl(fr->fd, _IOC(rnd_below(r, 4), USCHEME_IOC_MAGIC, rnd_below(r, 0x50),
					 rnd_below(r, 256)), u.raw);
	}
	fz_sys(fam, ret, "ring ioctl");
}

void gen_sqe(struct fz_run *run, int fam)
{
	struct fz_rng *r = &run->rng;
	uint64_t start = LOAD(&fz->ops[fam]);
	struct fz_ring rings[2];
	unsigned int nrings = 1 + rnd_below(r, 2), i;
	pid_t kids[8];
	unsigned int nkids = 0;

	for (i = 0; i < 6; i++)
		pool_make(r, fam);
	for (i = 0; i < nrings; i++)
		if (fz_ring_setup(&rings[i], r, fam))
			return;
	while (fz_run_more(run, fam, start)) {
		struct fz_ring *fr = &rings[rnd_below(r, nrings)];
		unsigned int n = 1 + rnd_below(r, 8);
		struct uscheme_sqe sqe;

		if (fr->fd < 0)
			break;
		for (i = 0; i < n; i++) {
			rnd_sqe(r, fr, &sqe, fam);
			if (fz_ring_push(fr, &sqe))
				break;
		}
		fz_ring_enter(fr, r, fam, one_in(r, 3));
		fz_ring_reap(fr, fam);
		if (one_in(r, 10))
			pool_make(r, fam);
		if (one_in(r, 30))
			pool_close_one(r, rings[0].fd);
		if (one_in(r, 25))
			ring_ioctl(r, fr, fam);
		if (fam == FAM_FORK && one_in(r, 20) && nkids < 8) {
			pid_t pid;

			pid = fz_fork();
			if (pid == 0) {
				/* both share the rings now: weaker CQE checks */
				for (i = 0; i < nrings; i++)
					rings[i].relaxed = 1;
				run->rng.s = fz_mix(run->rng.s, 77);
				run->deadline_ns = fz_now_ns() + rnd_below(r, 100) * 1000000LL;
				nkids = 0;
				continue;
			}
			for (i = 0; i < nrings; i++)
				rings[i].relaxed = 1;
			if (pid > 0) {
				kids[nkids++] = pid;
				if (one_in(r, 2)) {
					usleep(rnd_below(r, 3000));
					kill(pid, SIGKILL);
				}
			}
		}
		if (fam == FAM_FORK && one_in(r, 400))
			_exit(0);	/* with whatever is in flight */
	}
	for (i = 0; i < nkids; i++) {
		kill(kids[i], SIGKILL);
		waitpid(kids[i], NULL, 0);
	}
	/* with ops in flight, half the time: the ring's release cancels them */
	for (i = 0; i < nrings; i++)
		if (one_in(r, 2))
			fz_ring_close(&rings[i]);
}
