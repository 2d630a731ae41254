// SPDX-License-Identifier: GPL-2.0
/*
 * The scheme registry: which scheme ring serves which name. Nothing else:
 * requests are request.c's, a daemon's death is uscheme_daemon_death()'s.
 *
 * A name is registered on a scheme ring and stays registered until that
 * ring is released (the daemon closed it or died); the name is then free
 * for a restarted daemon. Requests will hold references on the scheme
 * (kref), so a scheme outlives its registration while work still names it.
 */
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/pid_namespace.h>
#include <linux/sched/task.h>
#include <linux/user_namespace.h>
#include <linux/slab.h>
#include <linux/string.h>

#include "scheme.h"

static DEFINE_MUTEX(uscheme_schemes_lock);
static LIST_HEAD(uscheme_schemes);

/*
 * Length of a valid name in @name[0..size), which must hold a NUL; or
 * -EINVAL. Valid: 1 to USCHEME_NAME_MAX - 1 characters from [a-z0-9._-].
 */
int uscheme_scheme_name_check(const char *name, size_t size)
{
	size_t len = strnlen(name, min_t(size_t, size, USCHEME_NAME_MAX));
	size_t i;

	if (!len || len >= size || len >= USCHEME_NAME_MAX)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		char c = name[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-'))
			return -EINVAL;
	}
	return len;
}

static void uscheme_scheme_release(struct kref *ref)
{
	struct uscheme_scheme *s = container_of(ref, struct uscheme_scheme, ref);

	put_pid(s->pid);
	put_user_ns(s->user_ns);
	put_pid_ns(s->pid_ns);
	kvfree(s->slots);
	kvfree(s->gen);
	kvfree(s->free);
	kfree_rcu(s, rcu);
}

void uscheme_scheme_put(struct uscheme_scheme *s)
{
	kref_put(&s->ref, uscheme_scheme_release);
}

static struct uscheme_scheme *uscheme_scheme_alloc(struct uscheme_ring *ring,
						   const char *name)
{
	struct uscheme_scheme *s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	u32 i;

	if (!s)
		return NULL;
	kref_init(&s->ref);
	strscpy(s->name, name, sizeof(s->name));
	s->ring = ring;
	s->pid = get_task_pid(current, PIDTYPE_TGID);
	s->user_ns = get_user_ns(current_user_ns());
	s->pid_ns = get_pid_ns(task_active_pid_ns(current));
	spin_lock_init(&s->lock);
	INIT_LIST_HEAD(&s->queue);
	init_waitqueue_head(&s->admit_wait);
	INIT_LIST_HEAD(&s->handles);
	hash_init(s->handles_by_id);
	s->slots = kvcalloc(USCHEME_SCHEME_SLOTS, sizeof(*s->slots), GFP_KERNEL_ACCOUNT);
	s->gen = kvcalloc(USCHEME_SCHEME_SLOTS, sizeof(*s->gen), GFP_KERNEL_ACCOUNT);
	s->free = kvcalloc(USCHEME_SCHEME_SLOTS, sizeof(*s->free), GFP_KERNEL_ACCOUNT);
	if (!s->slots || !s->gen || !s->free) {
		uscheme_scheme_put(s);
		return NULL;
	}
	/* Slot 0 is handed out last; tags start at generation 1, never 0. */
	for (i = 0; i < USCHEME_SCHEME_SLOTS; i++) {
		s->gen[i] = 1;
		s->free[i] = USCHEME_SCHEME_SLOTS - 1 - i;
	}
	s->nr_free = USCHEME_SCHEME_SLOTS;
	return s;
}

/* Caller holds uscheme_schemes_lock. */
static struct uscheme_scheme *uscheme_scheme_find_locked(const char *name)
{
	struct uscheme_scheme *s;

	lockdep_assert_held(&uscheme_schemes_lock);
	list_for_each_entry(s, &uscheme_schemes, node)
		if (!strcmp(s->name, name))
			return s;
	return NULL;
}

/*
 * Serve @name (already checked with uscheme_scheme_name_check()) on @ring,
 * a set-up scheme ring. Privilege is the caller's to check.
 */
int uscheme_scheme_register(struct uscheme_ring *ring, const char *name)
{
	struct uscheme_scheme *s;
	int ret = 0;

	s = uscheme_scheme_alloc(ring, name);
	if (!s)
		return -ENOMEM;

	mutex_lock(&uscheme_schemes_lock);
	if (ring->scheme)
		ret = -EBUSY;
	else if (uscheme_scheme_find_locked(s->name))
		ret = -EEXIST;
	if (!ret) {
		list_add_tail(&s->node, &uscheme_schemes);
		/* @s whole before the pointer a lockless uscheme_ring_dispatch() reads */
		smp_store_release(&ring->scheme, s);
	}
	mutex_unlock(&uscheme_schemes_lock);
	if (ret) {
		s->ring = NULL;
		uscheme_scheme_put(s);
	}
	return ret;
}

/*
 * The ring is going away: its name leaves the registry. Returns the scheme
 * it served, with the registry's reference, for the caller to carry out the
 * daemon's death (uscheme_daemon_death()); NULL when it served none.
 */
struct uscheme_scheme *uscheme_scheme_unregister(struct uscheme_ring *ring)
{
	struct uscheme_scheme *s;

	mutex_lock(&uscheme_schemes_lock);
	s = ring->scheme;
	if (s) {
		list_del(&s->node);
		WRITE_ONCE(ring->scheme, NULL);
	}
	mutex_unlock(&uscheme_schemes_lock);
	return s;
}

/* The scheme registered as @name, with a reference; NULL if there is none. */
struct uscheme_scheme *uscheme_scheme_get(const char *name)
{
	struct uscheme_scheme *s;

	mutex_lock(&uscheme_schemes_lock);
	s = uscheme_scheme_find_locked(name);
	if (s)
		kref_get(&s->ref);
	mutex_unlock(&uscheme_schemes_lock);
	return s;
}

/*
 * The "sys:schemes" listing into @buf: one line per scheme, "name pid
 * requests answers rejected queued inflight". Returns the length (lines
 * that do not fit are left out).
 */
int uscheme_schemes_show(char *buf, size_t size)
{
	struct uscheme_scheme *s;
	u32 queued, inflight;
	size_t len = 0;
	int n;

	mutex_lock(&uscheme_schemes_lock);
	list_for_each_entry(s, &uscheme_schemes, node) {
		spin_lock(&s->lock);
		queued = s->nr_queued;
		inflight = USCHEME_SCHEME_SLOTS - s->nr_free;
		spin_unlock(&s->lock);
		n = snprintf(buf + len, size - len, "%s %d %lld %lld %lld %u %u\n",
			     s->name, pid_vnr(s->pid),
			     atomic64_read(&s->stats.requests),
			     atomic64_read(&s->stats.answers),
			     atomic64_read(&s->stats.rejected), queued, inflight);
		if (n >= size - len)
			break;
		len += n;
	}
	mutex_unlock(&uscheme_schemes_lock);
	return len;
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/scheme_kunit.c"
#endif
