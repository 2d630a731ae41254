/* SPDX-License-Identifier: MIT */
/*
 * Events (FILES_UPDATE, SEND_EVENT), from userspace on a loaded uscheme.ko:
 * a client ring registers interest in fds and gets readiness as CQEs.
 *
 *   - FILES_UPDATE semantics: ADD/MOD/DEL, ONESHOT, every per-entry error
 *     in one batch with the rest applied, bad ops;
 *   - edge-triggered delivery: one CQE per change, none while nothing
 *     changes, one at ADD/MOD when ready then;
 *   - every source: eventfd, pipe, a socketpair through an epoll fd,
 *     timerfd, a regular file, a scheme handle whose daemon sends
 *     SEND_EVENT, another client ring, a scheme ring; poll/epoll on ring
 *     and handle fds;
 *   - file references the unix-socket GC cannot see: AF_UNIX sockets and
 *     io_uring instances refused as watches (-EOPNOTSUPP), rings, AF_UNIX
 *     sockets and io_uring instances refused as USCHEME_CQE_F_FD answers
 *     (-EIO); each cycle that leaked rings before (a watched socket
 *     holding its ring's fd, an io_uring with the ring registered, a ring
 *     passed to itself or inside a socket) is built and released, and the
 *     ring count (/sys/class/misc/uscheme/rings) must come back;
 *   - POLLFREE: signalfds whose queue is freed while a DEL or a ring
 *     close races the wake callback;
 *   - robustness: an event storm coalesces (ev_merged, no CQ overflow),
 *     thousands of registrations, a CQ smaller than the ready set, closing
 *     a watched fd, and races (close vs fire, DEL vs fire, daemon death
 *     with watchers, rings closed with registrations);
 *   - one wait: a thread serving a scheme and consuming another scheme's
 *     replies through one enter loop; libuscheme's us_daemon_watch.
 *
 * Test daemons are forked on the raw ABI (tests/lib/rawd.h, as in
 * tests/route), except where libuscheme's framework is the thing tested.
 * One file per behaviour; main.c lists them.
 *
 * Usage: events_test [name-substring]
 */
#ifndef USCHEME_EVENTS_TEST_H
#define USCHEME_EVENTS_TEST_H

#include <fcntl.h>
#include <linux/io_uring.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>

#include "../../userspace-drivers/libuscheme/libuscheme.h"
#include "../../userspace-drivers/libuscheme/daemon.h"
#include "../../userspace-drivers/libuscheme/reactor.h"
#include "../lib/rawd.h"
#include "../lib/tap.h"
#include "../lib/util.h"

#define SLOW_MS		5000	/* the longest wait for something that must come */
#define QUIET_MS	150	/* how long "nothing more comes" is watched */

#define EV		((uint32_t)USCHEME_CQE_F_EVENT)
#define MORE		((uint32_t)USCHEME_CQE_F_MORE)
#define EVR		USCHEME_EV_READ
#define EVW		USCHEME_EV_WRITE
#define EV_ALL		(USCHEME_EV_READ | USCHEME_EV_WRITE | USCHEME_EV_ERR | USCHEME_EV_HUP)
#define FU_ADD		((uint32_t)USCHEME_FU_ADD)
#define FU_MOD		((uint32_t)USCHEME_FU_MOD)
#define FU_DEL		((uint32_t)USCHEME_FU_DEL)
#define FU_ONESHOT	((uint32_t)USCHEME_FU_ONESHOT)

#define RES_HARNESS	(-100000)	/* the harness itself failed */

/* Where a test is, for the report when its time limit kills it. */
extern const char *volatile g_where;
extern volatile int g_round;
extern volatile unsigned long g_seen;	/* CQEs taken by the helpers */

#define UD_FU		0x7f00000000000000ULL	/* FILES_UPDATE ops (+ a sequence) */

/* A test ring: a client ring, and CQEs set aside while waiting for a
 * FILES_UPDATE's own completion. */
#define STASH_MAX	8192

struct tr {
	struct us_ring r;
	struct uscheme_cqe *stash;
	unsigned int nstash, hstash;
	uint64_t fu_seq;
};

/* The test daemon's commands and what it shares with its test. */
enum { C_NONE, C_EVENT, C_STATS, C_STORM, C_EXIT };

struct dshm {
	struct rawd_ctl ctl;		/* failures, commands (tests/lib/rawd.h) */
	uint32_t served, opens, reads, closes, cancels, events_sent;
	uint64_t last_id;
	uint64_t rejected;		/* the scheme ring's stats.rejected (C_STATS) */
	uint32_t storm;			/* C_STORM: keep sending events */
};

struct daemon {
	pid_t pid;
	struct dshm *shm;
	char name[USCHEME_NAME_MAX];
};

/* A libuscheme scheme whose files read as pat() (us_daemon_init's ops). */
extern const struct us_scheme_ops sr_ops;
/* single_wait.c's and daemon_watch.c's reads are this long. */
#define SW_LEN		64

extern uint64_t dmn_next_id;		/* in a daemon: the next handle id it gives */

/* helpers.c: the time limit's report, eventfds, poll, the test ring, the test daemon */
void on_time_limit(int sig);
int efd_new(unsigned int initval);
int efd_fire(int fd);
int efd_drain(int fd);
int poll_mask(int fd, int ms);
int tr_init(struct tr *t, unsigned int sq, unsigned int cq);
void tr_exit(struct tr *t);
void pr_cqe(const char *what, const struct uscheme_cqe *c);
int32_t fu_raw(struct tr *t, uint64_t addr, uint32_t len, const struct uscheme_sqe *tmpl);
int32_t fu_n(struct tr *t, struct uscheme_fu_entry *e, uint32_t n);
int32_t fu1(struct tr *t, int fd, uint32_t events, uint32_t flags, uint64_t ud);
int ev_get(struct tr *t, struct uscheme_cqe *out, int ms);
int ev_none(struct tr *t, int ms);
int ev_expect(struct tr *t, uint64_t ud, uint32_t flags, uint32_t want);
int ev_final(struct tr *t, uint64_t ud, int32_t err);
int ev_drain(struct tr *t, struct uscheme_cqe *out, int max, int quiet_ms);
int count_ud(const struct uscheme_cqe *c, int n, uint64_t ud, uint32_t bits);
int stats_ok(struct tr *t);
struct dshm *dshm_new(void);
void dname(struct daemon *dm, const char *tag);
int dmn_take(struct rawd *d);
void dmn_cmd(struct rawd *d, uint32_t op, uint64_t id, int32_t res);
int dmn_setup(struct rawd *d, const char *name, unsigned int sq, uint32_t data_size);
int dstart_loop(struct daemon *dm, void (*loop)(struct rawd *), int keep_fds);
int dstart(struct daemon *dm);
int dstop(struct daemon *dm);
int dcmd(struct daemon *dm, uint32_t op, uint64_t id, int32_t res);
int send_event(struct daemon *dm, uint64_t id, int32_t mask);
int64_t drejected(struct daemon *dm);
int d_open(const struct daemon *dm, const char *sub, uint32_t flags);

/* fu_semantics.c */
int t_feature(void);
void fe(struct uscheme_fu_entry *e, int fd, uint32_t events, uint32_t flags,
	uint64_t ud);
int t_fu_batch(void);
int t_fu_bad_op(void);
int t_fu_del_strict(void);
int t_fu_res_over_user_data(void);

/* delivery.c */
int t_edge_eventfd(void);
int t_oneshot(void);

/* sources.c */
int t_pipe(void);
int epoll_on(int fd, uint32_t events);
int t_socketpair(void);
int t_timerfd(void);
int t_regular_file(void);
int t_handle_fd(void);
int t_ring_source(void);
int t_ring_release_wakes(void);
int t_rings_watch_each_other(void);
int t_scheme_ring_source(void);

/* send_event.c */
int t_send_event(void);
int t_poll_ring(void);

/* volume.c */
int t_storm(void);
int t_thousands(void);
int t_stalled_event_sleeps(void);
int t_cq_full(void);
int t_close_watched(void);
int t_close_disarmed(void);

/* races.c */
int t_race_close_fire(void);
int t_race_del_fire(void);
int t_race_daemon_death(void);
int t_daemon_death_wakes(void);
int t_race_ring_close(void);
int t_race_watched_ring_close(void);

/* single_wait.c */
int t_single_wait(void);

/* daemon_watch.c */
int t_daemon_unwatch_in_callback(void);
int t_daemon_watch(void);

/* gc_watch.c */
int send_fd(int sock, int fd);
int uring_new(void);
int t_unix_io_uring_refused(void);
int cycle_run(const char *what, int (*build)(void));
int t_gc_watch_cycles(void);

/* gc_passfd.c */
int t_passfd_refused(void);
int t_gc_passfd_cycles(void);

/* pollfree.c */
int t_race_pollfree(void);

#endif /* USCHEME_EVENTS_TEST_H */
