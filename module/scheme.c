// SPDX-License-Identifier: GPL-2.0
/*
 * The scheme registry: which scheme ring serves which name.
 *
 * A name is registered on a scheme ring and stays registered until that
 * ring is released (the daemon closed it or died); the name is then free
 * for a restarted daemon. Requests will hold references on the scheme
 * (kref), so a scheme outlives its registration while work still names it.
 */
#include <linux/mutex.h>
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
	kfree(s);
}

/* Caller holds uscheme_schemes_lock. */
static struct uscheme_scheme *uscheme_scheme_find_locked(const char *name)
{
	struct uscheme_scheme *s;

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

	s = kzalloc(sizeof(*s), GFP_KERNEL_ACCOUNT);
	if (!s)
		return -ENOMEM;
	kref_init(&s->ref);
	strscpy(s->name, name, sizeof(s->name));
	s->ring = ring;
	s->pid = get_task_pid(current, PIDTYPE_TGID);

	mutex_lock(&uscheme_schemes_lock);
	if (ring->scheme)
		ret = -EBUSY;
	else if (uscheme_scheme_find_locked(s->name))
		ret = -EEXIST;
	if (!ret) {
		list_add_tail(&s->node, &uscheme_schemes);
		ring->scheme = s;
	}
	mutex_unlock(&uscheme_schemes_lock);
	if (ret)
		kref_put(&s->ref, uscheme_scheme_release);
	return ret;
}

/* The ring is going away: free its name. Safe on rings that never registered. */
void uscheme_scheme_unregister(struct uscheme_ring *ring)
{
	struct uscheme_scheme *s;

	mutex_lock(&uscheme_schemes_lock);
	s = ring->scheme;
	if (s) {
		list_del(&s->node);
		s->ring = NULL;
		ring->scheme = NULL;
	}
	mutex_unlock(&uscheme_schemes_lock);
	if (s)
		kref_put(&s->ref, uscheme_scheme_release);
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/scheme_kunit.c"
#endif
