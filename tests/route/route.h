/* SPDX-License-Identifier: MIT */
/*
 * Request routing, from userspace on a loaded uscheme.ko: client requests
 * (ring ops and plain syscalls on handle fds) travel to a daemon's scheme
 * ring and its answers travel back. Each test forks its own minimal daemons
 * on the raw ABI (tests/lib/rawd.h; no libuscheme daemon framework), so the
 * suite checks the kernel alone: the fields a daemon sees, the results a
 * client sees, every documented error, illegal answers, cancellation and
 * signals, credentials, lifetimes (daemon and client death),
 * fork/exec/SCM_RIGHTS, io_uring, concurrency, a daemon killed under load,
 * and the sys:schemes listing. One file per behaviour; main.c lists them.
 *
 * Usage: route_test [name-substring]
 *        route_test --exec-child FD CLOEXEC_FD   (used by the exec test)
 */
#ifndef USCHEME_ROUTE_TEST_H
#define USCHEME_ROUTE_TEST_H

#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#ifndef __i386__
#include <liburing.h>	/* 64-bit only: there is no 32-bit liburing to link */
#endif
#include <stddef.h>

#include "../../userspace-drivers/libuscheme/libuscheme.h"
#include "../lib/rawd.h"
#include "../lib/tap.h"
#include "../lib/util.h"

#define HANG_OFF	0xdead000ULL	/* a READ at this offset is never answered */
#define HELD		INT32_MIN	/* logent.ans of a request not answered */
#define LOG_MAX		2048
#define HOLD_MAX	64
#define SLOW_MS		5000		/* the longest wait for something asynchronous */
#define RES_HARNESS	(-100000)	/* the ring itself failed */

/* Byte i (>= 8) of a load test payload with the given seed. */
static inline uint8_t lpat(uint64_t seed, uint64_t i)
{
	return pat(seed * 0x100000001ULL + i);
}

#define SIZE_DEFAULT	(4ULL * MIB)	/* a handle's file size */
#define SIZE_SMALL	1000		/* the file size of a handle opened as "small" */
#define CALL_EACCES	13		/* CALL op_flags: answer -EACCES */

/* ------------------------------------------------------------------ */
/* What a test daemon shares with its test: a log of every request it  */
/* received, counters, the requests it holds unanswered, and commands. */
/* ------------------------------------------------------------------ */

struct logent {
	struct uscheme_req rq;
	uint64_t crc;		/* OPEN/DUP path, WRITE data, CALL input */
	int32_t ans;		/* the answer's res, or HELD */
	uint8_t zero;		/* READ/FSTAT room, CALL room beyond the input: all zero */
	uint8_t nul;		/* OPEN/DUP: a NUL follows the path */
	uint8_t inside;		/* the chunk is page aligned and inside the data area */
	uint8_t pad;
	char head[128];		/* the payload's first bytes */
};

struct held {
	uint64_t tag, buf;
	uint32_t len;
	uint32_t op;
};

enum { CMD_NONE, CMD_ANSWER_HELD, CMD_CLOSE_RING, CMD_EXIT };

struct shm {
	struct rawd_ctl ctl;	/* failures, commands (tests/lib/rawd.h) */
	uint32_t nlog;		/* requests logged (entries beyond LOG_MAX not stored) */
	uint32_t nolog;		/* in: log nothing (load tests) */
	uint32_t track;		/* in: keep .rejected current */
	uint32_t served;	/* requests received */
	uint32_t ncancel, nclose;
	uint32_t rejected;	/* the scheme ring's stats.rejected */
	uint32_t closed;	/* CMD_CLOSE_RING done */
	uint32_t nheld, nanswered_held;
	struct held held[HOLD_MAX];
	struct logent log[LOG_MAX];
};

struct daemon {
	pid_t pid;
	struct shm *shm;
	char name[USCHEME_NAME_MAX];
};

/* The load tests (concurrency.c, kill_under_load.c): clients' shared counters. */
#define LOAD_CLIENTS	4
#define LOAD_REQS	25000	/* per client */
#define LOAD_BATCH	16
#define LOAD_MAXLEN	512

struct load_stats {
	uint32_t done[LOAD_CLIENTS];
	uint32_t mismatch[LOAD_CLIENTS];
	uint32_t errors[LOAD_CLIENTS];
	int32_t last_err[LOAD_CLIENTS];
	uint32_t progress[LOAD_CLIENTS];
};

struct load_arg {
	const struct daemon *dm[2];
	struct load_stats *st;
	int idx;
};

/* helpers.c: data, the test daemon and its log, clients */
uint64_t fnv(const void *p, size_t n);
void fill_bytes(unsigned char *b, size_t n, uint64_t seed);
struct shm *shm_new(void);
void dname(struct daemon *dm, const char *tag);
int dstart(struct daemon *dm, unsigned int sq, uint32_t data_size);
int dstop(struct daemon *dm);
int dcmd(struct daemon *dm, uint32_t op, int32_t arg);
int wait_u32(const uint32_t *p, uint32_t want, int ms);
int log_get(struct shm *s, uint32_t i, struct logent *e);
int log_next(struct shm *s, uint32_t *cur, struct logent *e);
int log_find(struct shm *s, uint32_t from, uint8_t op, uint64_t key,
	     struct logent *e, int ms);
unsigned int log_count(struct shm *s, uint32_t from, int op);
int req_ok(const struct logent *e, uint8_t op, uint64_t id, pid_t pid);
int note_ok(const struct logent *e, uint8_t op);
int d_open(const struct daemon *dm, const char *sub, uint32_t flags);
int h_dup(int fd, const char *suffix, uint32_t len, uint32_t flags);
int h_call(int fd, const void *in, uint32_t in_len, uint32_t op_flags,
	   void *out, uint32_t out_len);
int cring(struct us_ring *r, unsigned int sq);
void sqe_fill(struct uscheme_sqe *sqe, uint8_t op, int fd, uint64_t off,
	      const void *addr, uint32_t len, uint32_t op_flags,
	      void *addr2, uint32_t len2, uint64_t ud);
int32_t rop_sqe(struct us_ring *r, const struct uscheme_sqe *tmpl);
int32_t rop(struct us_ring *r, uint8_t op, int fd, uint64_t off, const void *addr,
	    uint32_t len, uint32_t op_flags, void *addr2, uint32_t len2);
int32_t rop_open(struct us_ring *r, const struct daemon *dm, const char *sub,
		 uint32_t flags);
int queue(struct us_ring *r, uint8_t op, int fd, uint64_t off, const void *addr,
	  uint32_t len, uint32_t op_flags, void *addr2, uint32_t len2, uint64_t ud);
int reap(struct us_ring *r, unsigned int n, uint64_t *ud, int32_t *res, int ms);
int32_t res_of(const uint64_t *ud, const int32_t *res, int n, uint64_t want);
pid_t spawn(int (*fn)(void *), void *arg);
int fd_cloexec(int fd);
int64_t id_of_open(struct shm *s, uint32_t i);

/* ring_ops.c */
int t_ring_ops(void);

/* syscall_ops.c */
int t_syscall_ops(void);

/* errors.c */
int t_open_errors(void);
int t_op_errors(void);

/* big_io.c */
int t_big_io(void);
int t_backpressure(void);
int t_unreaped_answers_free_data(void);

/* evil_daemon.c */
int t_passed_fd(void);
int t_evil_daemon(void);
int t_evil_fstat_mode(void);

/* cancel.c */
int t_cancel(void);

/* signal.c */
int t_signal(void);

/* credentials.c */
int t_credentials(void);

/* daemon_gone.c */
int t_daemon_closes_ring(void);
int t_daemon_killed(void);

/* client_dies.c */
int t_client_dies(void);

/* handle_files.c */
int t_close_once(void);
int t_fork_inherits(void);
int t_scm_rights(void);
int exec_child(char **argv);
int t_exec_keeps(void);

/* io_uring.c */
int t_task_work_not_eintr(void);
int t_task_work_blocking_op(void);
int t_io_uring(void);

/* concurrency.c */
int t_concurrency(void);

/* kill_under_load.c */
int t_kill_under_load(void);

/* sys_schemes.c */
int t_sys_schemes(void);

#endif /* USCHEME_ROUTE_TEST_H */
