/* SPDX-License-Identifier: MIT */
/*
 * The hardening suite (issue "Hardening"): one file per attack, each a
 * regression test for a hole a hostile local user or daemon found, over
 * the helpers here: a minimal daemon on the raw scheme-ring ABI (forked,
 * logging every request it receives into memory shared with the test, and
 * answering through a policy function the test chooses), and small client
 * helpers. See ../../../shared/THREAT-MODEL.md for the rows they guard.
 */
#ifndef USCHEME_HARDEN_H
#define USCHEME_HARDEN_H

#include <stdint.h>
#include <sys/types.h>

#include "../../userspace-drivers/libuscheme/libuscheme.h"
#include "../lib/tap.h"

#define HD_LOG_MAX	512
#define HD_NOANSWER	INT32_MIN	/* the policy's "hold this request" */

/* What a test daemon shares with its test (MAP_SHARED, inherited by fork). */
struct hd_shared {
	uint32_t ready;			/* the name is registered */
	uint32_t nreq;			/* requests and notifications logged */
	struct uscheme_req rq[HD_LOG_MAX];
	int32_t arg;			/* a value for the test's policy */
	uint32_t stop;			/* the daemon leaves its loop */
};

/*
 * The daemon's answer to @rq (not called for notifications): a result, or
 * HD_NOANSWER. @chunk is the request's buffer in the data area.
 */
typedef int32_t (*hd_policy)(struct hd_shared *sh, const struct uscheme_req *rq,
			     void *chunk);

struct hd {
	char name[32];
	pid_t pid;			/* the forked process (see hd_start_ns) */
	struct hd_shared *sh;
};

/* Start a daemon serving @name with @policy; 0 or -1. */
int hd_start(struct hd *d, const char *name, hd_policy policy);
/* The same, the daemon running in a new pid namespace of its own. */
int hd_start_pidns(struct hd *d, const char *name, hd_policy policy);
/* Kill the daemon and reap it. */
void hd_stop(struct hd *d);
/* The number of logged requests of @opcode. */
unsigned int hd_count(const struct hd *d, uint8_t opcode);
/* Wait (up to 5 s) until the daemon logged @n requests of @opcode; 0 or -1. */
int hd_wait_count(const struct hd *d, uint8_t opcode, unsigned int n);
/* The last logged request of @opcode, or NULL. */
const struct uscheme_req *hd_last(const struct hd *d, uint8_t opcode);

/* Policies */
int32_t hd_answer_ok(struct hd_shared *sh, const struct uscheme_req *rq, void *chunk);

/* Open "@d->name:@path" with USCHEME_IOC_OPEN; the fd or -errno. */
int hd_open(const struct hd *d, const char *path, int flags);
/* A client ring op: submit @sqe (already filled) and wait for its CQE's res. */
int hd_ring_op(struct us_ring *ring, const struct uscheme_sqe *sqe, int32_t *res);
/* Run @fn in a child as uid/gid @id (no groups); its exit status or -1. */
int hd_as_user(uid_t id, int (*fn)(void *), void *arg);

/* The tests, one file each. */
int t_creds_userns_client(void);
int t_creds_pidns_daemon(void);
int t_creds_fsuid(void);
int t_opath_fstat_after_close(void);
int t_opath_truncate_after_close(void);
int t_opath_live_handle(void);
int t_opath_truncate_readonly(void);
int t_room_wait_bounded_by_timeout(void);
int t_signal_with_event_no_spin(void);
int t_zero_len_handle_call(void);
int t_zero_len_ring_ops(void);
int t_daemon_internal_errno_read(void);
int t_daemon_internal_errno_ring(void);
int t_daemon_errno_range(void);
int t_queued_dispatch_any_wait(void);
int t_enter_huge_timeout(void);
int t_handle_hup_after_death(void);
int t_submit_lock_not_held_for_daemon(void);
int t_pins_charged_to_memlock(void);
int t_exec_submitter_not_stranded(void);
int t_fd_publish_efault(void);
int t_abi_error_precedence(void);
int t_abi_watch_fd_reuse(void);
int t_abi_sys_handle_ring_ops(void);
int t_abi_enter_timeout_rules(void);
int t_abi_hup_same_everywhere(void);

#endif /* USCHEME_HARDEN_H */
