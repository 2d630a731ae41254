/* SPDX-License-Identifier: MIT */
/*
 * The fake daemon of the userspace suites: a scheme ring on the raw ABI
 * (no libuscheme daemon framework, so a suite checks the kernel alone),
 * forked from the test, registered before rawd_spawn() returns, and killed
 * by rawd_stop(). What it answers is the suite's: a suite gives the loop
 * its daemon runs (tests/route: a logging daemon with handle behaviours
 * chosen by path; tests/events: one that sends events on command), built
 * from the pieces here: take requests, write answers, enter.
 *
 * The daemon and its test share memory (MAP_SHARED, inherited by fork)
 * that starts with a struct rawd_ctl: the daemon's failures, and a command
 * channel the test drives with rawd_cmd().
 */
#ifndef USCHEME_TEST_RAWD_H
#define USCHEME_TEST_RAWD_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../userspace-drivers/libuscheme/libuscheme.h"
#include "util.h"

/* The first member of every test daemon's shared memory. */
struct rawd_ctl {
	uint32_t bad;		/* daemon-side check failures */
	int32_t derr;		/* an unexpected enter error */
	uint32_t cmd_seq, cmd_ack, cmd_op;
	int32_t cmd_arg;
	uint64_t cmd_id;
	char why[160];		/* the first daemon-side failure */
};

/* A daemon's view of its scheme ring (in the daemon's process). */
struct rawd {
	int fd;
	struct uscheme_ring_hdr *hdr;
	const struct uscheme_req *reqs;
	struct uscheme_cqe *resp;
	unsigned char *data;
	size_t ring_size, sqes_size, cqes_size, data_size;
	uint32_t sq_mask, sq_entries, cq_entries, cq_mask;
	uint32_t sq_head, resp_tail, unsent;
	struct rawd_ctl *ctl;
	void *shm;		/* the suite's shared memory (it starts with *ctl) */
};

/*
 * Set up a scheme ring (sq requests, at least data_size bytes of data
 * area; its mappings not inherited by forks) and register name; 0 or -errno.
 */
int rawd_setup(struct rawd *d, const char *name, unsigned int sq, uint32_t data_size);
void rawd_teardown(struct rawd *d);
/* USCHEME_IOC_ENTER submitting the answers written; 0 or -errno. */
int rawd_enter(struct rawd *d, unsigned int min_complete, unsigned int flags,
	       int64_t timeout_ns);
/* Write one answer (flags 0, USCHEME_CQE_F_FD) or event (USCHEME_CQE_F_EVENT). */
void rawd_answer(struct rawd *d, uint64_t tag, int32_t res, uint32_t flags);
/* Count a daemon-side failure; the first one's why is kept. rq may be NULL. */
void rawd_bad(struct rawd *d, const char *why, const struct uscheme_req *rq);
/*
 * Take every request waiting (no enter), calling fn on a copy of each;
 * how many, or -1 when the ring's tail is beyond what it can hold.
 */
int rawd_take(struct rawd *d, void (*fn)(struct rawd *d, const struct uscheme_req *rq));
/* A command the test sent since *seen: 1 (with *seen updated), else 0. */
int rawd_cmd_pending(struct rawd *d, uint32_t *seen);
/* The command seen is done. */
void rawd_cmd_done(struct rawd *d, uint32_t seen);

/* How a test forks its daemon. */
struct rawd_spec {
	const char *name;		/* the scheme it registers */
	unsigned int sq;		/* 0: 64 requests */
	uint32_t data_size;		/* 0: 4 MiB of data area */
	int keep_fds;			/* keep the test's fds (else closed) */
	struct rawd_ctl *ctl;		/* shared memory, set up by the test */
	void *shm;
	/* in the daemon, after its setup, before rawd_spawn() returns (may be NULL) */
	void (*ready)(struct rawd *d);
	void (*loop)(struct rawd *d);	/* in the daemon; never returns */
};

/* Fork a daemon; 0 (*pid set) once it is registered, or its setup's -errno. */
int rawd_spawn(const struct rawd_spec *s, pid_t *pid);
/* Kill and reap it (pid 0: none); 0 if it saw nothing wrong, else -1 (said). */
int rawd_stop(pid_t *pid, const char *name, const struct rawd_ctl *ctl);
/* Send a command and wait (up to 5 s) until the daemon did it; 0 or -ETIME. */
int rawd_cmd(struct rawd_ctl *ctl, const char *name, uint32_t op, int32_t arg, uint64_t id);
/*
 * A test's client ring (us_ring_init) whose mappings the daemons it forks
 * later do not inherit; 0 or -errno.
 */
int rawd_client_ring(struct us_ring *r, unsigned int sq, unsigned int cq);
/* MAP_SHARED anonymous memory of size bytes, zeroed; NULL on failure. */
void *rawd_shm(size_t size);

#endif /* USCHEME_TEST_RAWD_H */
