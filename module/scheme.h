/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Schemes: the system-wide registry of scheme names, each served by one
 * daemon's scheme ring.
 *
 * Lock rules: uscheme_schemes_lock (a mutex) protects the registry list and
 * the writes of every ring's ->scheme pointer. A client ring submitting an
 * OPEN looks a name up while it holds its submit_lock, so the registry lock
 * nests inside a ring's submit_lock, never the other way round.
 */
#ifndef _USCHEME_SCHEME_H
#define _USCHEME_SCHEME_H

#include <linux/hashtable.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/pid.h>
#include <linux/spinlock.h>
#include <linux/wait.h>

#include "ring.h"

/* 512 buckets: a SEND_EVENT among 20,000 open handles looks at about 40 */
#define USCHEME_HANDLE_HASH_BITS	9

struct uscheme_request;

/* Requests a scheme holds at once (queued for its daemon or answered by it). */
#define USCHEME_SCHEME_SLOTS	4096

struct uscheme_scheme_stats {
	atomic64_t requests;	/* admitted */
	atomic64_t answers;	/* accepted from the daemon */
	atomic64_t rejected;	/* answers dropped or refused */
};

struct uscheme_scheme {
	struct kref ref;
	struct rcu_head rcu;		/* freed after a grace period (uscheme_ring_dispatch) */
	struct list_head node;		/* on the registry while registered */
	struct pid *pid;		/* the process that registered it */
	/*
	 * The namespaces the daemon registered from (references held): the
	 * caller's pid, uid and gid in every request are translated into
	 * them, as FUSE does with its connection's namespaces.
	 */
	struct user_namespace *user_ns;
	struct pid_namespace *pid_ns;
	char name[USCHEME_NAME_MAX];

	/*
	 * @lock protects everything below, the state of every request of this
	 * scheme, and the serving ring's data-area bitmap. Lock order: a
	 * ring's submit_lock (a client ring's submission, or the serving
	 * ring's consumption of answers) -> uscheme_schemes_lock -> @lock ->
	 * a client ring's req_lock -> any ring's cq_lock. Nobody sleeps for a
	 * daemon while holding a submit_lock (see uscheme_ring_submit()).
	 */
	spinlock_t lock;
	struct uscheme_ring *ring;	/* the serving ring; NULL once dead */
	struct list_head queue;		/* QUEUED requests and notifications, FIFO */
	struct uscheme_request **slots;	/* tag table: slot -> request */
	u32 *gen;			/* per-slot generation, bumped on release */
	u32 *free;			/* stack of free slots */
	u32 nr_free;
	u32 nr_queued;
	wait_queue_head_t admit_wait;	/* a slot or data chunk was freed, or death */
	struct list_head handles;	/* open handles, for the hangup at death */
	/* the same handles by the daemon's id: SEND_EVENT finds its own at once */
	DECLARE_HASHTABLE(handles_by_id, USCHEME_HANDLE_HASH_BITS);

	struct uscheme_scheme_stats stats;
};

struct uscheme_scheme *uscheme_scheme_get(const char *name);
void uscheme_scheme_put(struct uscheme_scheme *s);
int uscheme_schemes_show(char *buf, size_t size);
int uscheme_scheme_name_check(const char *name, size_t size);
int uscheme_scheme_register(struct uscheme_ring *ring, const char *name);
struct uscheme_scheme *uscheme_scheme_unregister(struct uscheme_ring *ring);

#endif /* _USCHEME_SCHEME_H */
