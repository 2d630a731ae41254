/* SPDX-License-Identifier: MIT */
/*
 * uscheme's fuzzer: shared declarations. fuzz.c runs the show (a fuzzing
 * daemon, then one forked child per round, each running one generator
 * family with its own seed); each gen_*.c is one family. Everything a child
 * learns that the parent must report (operation counts, invariant
 * violations) lives in struct fz_shared, a MAP_SHARED page.
 *
 * The fuzzer's own invariants (a violation is a failure; everything else a
 * generator provokes is just an error result):
 *   - no result (CQE res, syscall errno, ioctl errno) is a kernel-internal
 *     errno (512..529: -ERESTARTSYS .. -EIOCBQUEUED, -ENOIOCTLCMD);
 *   - every client CQE names a user_data that was submitted (exactly once,
 *     on a ring whose header nobody scribbled), event CQEs a registration's
 *     (what a successful ADD or MOD entry held when the kernel read it);
 *     the kernel never posts more CQEs than the CQ holds;
 *   - the requests the daemon receives are well formed (known opcode and
 *     flags, zero reserved fields, a chunk inside the data area, zeroed
 *     room), and a client in its own user+pid namespace is never seen as
 *     uid 0 or pid 1;
 *   - the unprivileged never open a pcidev function nor register a scheme;
 *   - nothing hangs: every blocking call is interrupted by a periodic
 *     SIGALRM, and a child that outlives its deadline (or SIGKILL) fails;
 *   - after the run, every ring is freed and the module still serves.
 * Kernel reports (KASAN, lockdep, BUG, WARNING) are the harness's: it reads
 * the VM console (tests/run-all.sh kernel_problems).
 */
#ifndef USCHEME_FUZZ_H
#define USCHEME_FUZZ_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>

#include "../../userspace-drivers/libuscheme/libuscheme.h"

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define ADD(p, v)	__atomic_add_fetch((p), (v), __ATOMIC_RELAXED)

enum fz_family {
	FAM_SQE,	/* random SQEs on client rings */
	FAM_HANDLE,	/* syscalls and ioctls on handle fds */
	FAM_FU,		/* FILES_UPDATE batches, watched fds closed concurrently */
	FAM_DAEMON,	/* the fuzzing daemon's answers (counted by the daemon) */
	FAM_KERRNO,	/* daemon answers with kernel-internal errnos */
	FAM_SCRIBBLE,	/* ring header and SQEs scribbled by a second thread */
	FAM_NS,		/* clients in their own user and pid namespaces */
	FAM_FORK,	/* fork and exit at random moments with ops in flight */
	FAM_OPATH,	/* O_PATH opens of /proc/self/fd/N, close, fstat */
	FAM_PCIDEV,	/* pcidev opens the unprivileged must be refused */
	FAM_N
};

extern const char *const fz_family_names[FAM_N];

#define FZ_WHY		240

struct fz_shared {
	uint64_t ops[FAM_N];		/* operations tried */
	uint32_t viol[FAM_N];		/* invariant violations */
	char why[FAM_N][FZ_WHY];	/* the first of each family */
	char scheme[USCHEME_NAME_MAX];	/* the fuzzing daemon's scheme */
	uint32_t daemon_kerrno;		/* the daemon may answer 512..529 */
	uint32_t avoid_zero_len;	/* no zero-length CALL/WRITE (pre-fix module) */
	uint32_t ns_seen;		/* OPENs the daemon saw from namespaced clients */
};

extern struct fz_shared *fz;

/* ---- deterministic randomness (splitmix64) ---- */
struct fz_rng {
	uint64_t s;
};

static inline uint64_t rnd(struct fz_rng *r)
{
	uint64_t z = (r->s += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

/* 0 .. n-1 (n > 0) */
static inline uint32_t rnd_below(struct fz_rng *r, uint32_t n)
{
	return (uint32_t)(rnd(r) % n);
}

static inline int one_in(struct fz_rng *r, uint32_t n)
{
	return rnd_below(r, n) == 0;
}

static inline uint64_t fz_mix(uint64_t a, uint64_t b)
{
	struct fz_rng r = { a ^ (b * 0xD6E8FEB86659FD93ULL) };

	return rnd(&r);
}

/* Lengths and counts: 0, 1, the limits and one beyond, UINT32_MAX, ... */
uint32_t rnd_len(struct fz_rng *r);
/* Offsets: 0, 1, USCHEME_OFF_CURRENT, INT64_MAX, UINT64_MAX - 1, ... */
uint64_t rnd_off(struct fz_rng *r);

/* ---- memory the kernel may write into ---- */
/*
 * The scratch area: USCHEME_IO_MAX + 64 KiB the kernel may fill, followed by
 * a PROT_NONE guard page and a read-only page. Every buffer a generator
 * passes is in it (or deliberately bad), so no length, however wrong, makes
 * the kernel write over the fuzzer's own memory.
 */
#define FZ_SCRATCH	(USCHEME_IO_MAX + 65536U)
extern unsigned char *fz_scratch, *fz_guard, *fz_ro;
int fz_scratch_init(void);
/* A buffer pointer for @len bytes: mostly inside scratch, sometimes bad. */
uint64_t rnd_ptr(struct fz_rng *r, uint32_t len);
/* A valid pointer into scratch with room for @len (len <= FZ_SCRATCH). */
void *scratch_at(struct fz_rng *r, size_t len);

/* ---- violations, results ---- */
void fz_violation(int fam, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* res < 0 as -errno, from a CQE or a syscall: fail on 512..529. */
void fz_check_res(int fam, long long res, const char *what);
/* A syscall's return: -1 with errno, checked as above. Returns ret. */
long fz_sys(int fam, long ret, const char *what);
static inline void fz_op(int fam)
{
	ADD(&fz->ops[fam], 1);
}

/* ---- fds of every kind ---- */
enum fz_kind {
	K_HANDLE, K_RING, K_RAWRING, K_SCHEMERING, K_EVENTFD, K_PIPE_R, K_PIPE_W,
	K_SOCK, K_DEVNULL, K_OPATH, K_TIMERFD, K_DIR, K_NKINDS
};

#define FZ_POOL		48
struct fz_fd {
	int fd;
	int kind;
};

extern struct fz_fd fz_pool[FZ_POOL];
extern unsigned int fz_npool;
void pool_add(int fd, int kind);
/* Make one more fd of a random kind (handles from the fuzzing daemon). */
void pool_make(struct fz_rng *r, int fam);
/* A pool fd of @kind, or -1. */
int pool_pick_kind(struct fz_rng *r, int kind);
/* Any fd number: pool fds, closed numbers, -1, INT32_MIN, INT32_MAX, ... */
int rnd_fd(struct fz_rng *r);
/* Close a random pool fd (never one in @keep). */
void pool_close_one(struct fz_rng *r, int keep);
/* Open a handle to the fuzzing daemon's scheme (or sys:), blocking. */
int fz_open_handle(struct fz_rng *r, int fam);
/* "scheme:path" strings, valid and not, NUL-terminated, into @buf. */
void rnd_path(struct fz_rng *r, char *buf, size_t size);

/* ---- client rings and CQE bookkeeping ---- */
#define UD_MAGIC	(0xf2ULL << 56)
#define UD_MAX		(1U << 20)
enum { UD_NONE, UD_INFLIGHT, UD_DONE, UD_WATCH };

struct fz_ring {
	int fd;
	struct uscheme_ring_hdr *hdr;
	struct uscheme_sqe *sqes;
	unsigned char *cqes;
	size_t ring_size, sqes_size, cqes_size;
	uint32_t sq_entries, cq_entries, cqe_size;
	uint32_t sq_tail, cq_head;
	int relaxed;	/* header scribbled or ring shared by fork: weaker checks */
};

/* A new user_data (marked in flight with @op), 0 when the table is full. */
uint64_t ud_new(int op, int state);
/*
 * The kernel registered a watch (a FILES_UPDATE entry's res 0) with @ud read
 * from memory that was not an array of ud_new() values: its event CQEs are
 * a registration's too.
 */
void ud_watch_read(uint64_t ud);
int fz_ring_setup(struct fz_ring *fr, struct fz_rng *r, int fam);
void fz_ring_close(struct fz_ring *fr);
/* Queue one SQE (its user_data already set); -1 when the SQ is full. */
int fz_ring_push(struct fz_ring *fr, const struct uscheme_sqe *sqe);
/* Enter: submit what was queued, maybe wait a little; returns -errno or 0. */
int fz_ring_enter(struct fz_ring *fr, struct fz_rng *r, int fam, int wait);
/* Consume every CQE, checking each; fds that OPEN/DUP gave go to the pool. */
void fz_ring_reap(struct fz_ring *fr, int fam);
/* Fill @sqe with a random op (valid-looking mostly) for @fr. */
void rnd_sqe(struct fz_rng *r, struct fz_ring *fr, struct uscheme_sqe *sqe, int fam);

/* ---- per-process setup of a child ---- */
void fz_drop_privileges(void);	/* to uid/gid 65534, no capabilities */
void fz_alarm_start(unsigned int usec);	/* periodic SIGALRM, no SA_RESTART */
void fz_alarm_stop(void);
/* fork; the child dies with its parent and gets the periodic SIGALRM too */
pid_t fz_fork(void);
long long fz_now_ns(void);

/* ---- the families: each runs until @deadline_ns or @max_ops ---- */
struct fz_run {
	struct fz_rng rng;
	long long deadline_ns;
	uint64_t max_ops;
};

static inline int fz_run_more(struct fz_run *run, int fam, uint64_t start_ops)
{
	return fz_now_ns() < run->deadline_ns && LOAD(&fz->ops[fam]) - start_ops < run->max_ops;
}

void gen_sqe(struct fz_run *run, int fam);	/* FAM_SQE and FAM_FORK */
void gen_handle(struct fz_run *run, int fam);	/* FAM_HANDLE, FAM_NS */
void gen_opath(struct fz_run *run);
void gen_pcidev(struct fz_run *run);
void gen_fu(struct fz_run *run);
void gen_scribble(struct fz_run *run);
void gen_ns(struct fz_run *run);
/* The fuzzing daemon (never returns). */
void fz_daemon_main(uint64_t seed);

#endif /* USCHEME_FUZZ_H */
