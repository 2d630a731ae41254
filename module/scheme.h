/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Schemes: the system-wide registry of scheme names, each served by one
 * daemon's scheme ring.
 *
 * Lock rules: uscheme_schemes_lock (a mutex) protects the registry list and
 * every ring's ->scheme pointer. It is taken before a ring's submit_lock,
 * never inside it.
 */
#ifndef _USCHEME_SCHEME_H
#define _USCHEME_SCHEME_H

#include <linux/kref.h>
#include <linux/list.h>
#include <linux/pid.h>

#include "ring.h"

struct uscheme_scheme {
	struct kref ref;
	struct list_head node;		/* on the registry while registered */
	struct uscheme_ring *ring;	/* the serving ring; NULL once unregistered */
	struct pid *pid;		/* the process that registered it */
	char name[USCHEME_NAME_MAX];
};

int uscheme_scheme_name_check(const char *name, size_t size);
int uscheme_scheme_register(struct uscheme_ring *ring, const char *name);
void uscheme_scheme_unregister(struct uscheme_ring *ring);

#endif /* _USCHEME_SCHEME_H */
