/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A ring's calls above the ground floor (ring.c): enter (submit, reap,
 * wait), the wait itself, and the release of its file, which is where a
 * daemon's death is carried out.
 */
#ifndef _USCHEME_ENTER_H
#define _USCHEME_ENTER_H

#include "ring.h"

long uscheme_ring_enter(struct uscheme_ring *ring, struct uscheme_enter __user *uarg);
int uscheme_ring_wait(struct uscheme_ring *ring, u32 min, ktime_t deadline);
void uscheme_daemon_death(struct uscheme_ring *ring);
void uscheme_ring_release(struct uscheme_ring *ring);

#endif /* _USCHEME_ENTER_H */
