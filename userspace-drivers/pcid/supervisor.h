/* SPDX-License-Identifier: MIT */
/*
 * The supervisor (supervisor.c): drivers of PCI functions and their
 * children (class drivers), each forked, set up by child_become (fds 3
 * and 4 placed, the rest closed, uid/gid of its rule, no_new_privs) and
 * exec'd; watched by pidfd, restarted by its rule's policy (timerfd
 * backoff), stopped with SIGTERM then SIGKILL after stop-timeout.
 *
 * A driver: f->drv DRV_STARTING (pcid opens the function's channel on its
 * own scheme; the OPEN completes in spawn_complete, which registers the
 * rule's scheme= and forks) -> DRV_RUNNING -> its pidfd fires -> its
 * children stopped, then DRV_BACKOFF (timer) / DRV_STOPPED / DRV_FAILED.
 *
 * A child: one object (SCHEME:PORT[/ifN]) of its driver's scheme, in
 * f->children; pcid opens its handle as root (st DRV_STARTING), forks it
 * with a uid of its own (no other child's, no driver's), restarts it by
 * its rule unless c->stop. A child_cfg is shared by reference (ccfg_put).
 * Stopped children still running get SIGKILL from P.kill_timerfd
 * (on_kill_timer) after stop-timeout.
 */
#ifndef PCID_SUPERVISOR_H
#define PCID_SUPERVISOR_H

#include <stddef.h>

#include "state.h"

/* Bind done: open f's channel and start its driver (reloads its child-config). */
void start_driver(struct fn *f);
/* rule->driver as a path: absolute; relative to the config file; next to pcid; in PATH. */
char *resolve_driver(const char *drv);

/* PCID_CALL_CHILD_START for f's driver: 0 (name: the program) or -errno (pcid.h). */
int child_start(struct fn *f, const struct pcid_child_req *req, char *name, size_t nlen);
/* SIGTERM to f's children of port (0: all), none restarted: how many. */
unsigned int children_stop(struct fn *f, unsigned int port, const char *why_text);
/* sig to a running child and its process group. */
void child_kill(struct child *c, int sig);
/* P.kill_timerfd's callback: SIGKILL to stopped children past stop-timeout. */
void on_kill_timer(struct us_daemon *d, int fd, int events, void *ctx);
void ccfg_put(struct child_cfg *c);

#endif /* PCID_SUPERVISOR_H */
