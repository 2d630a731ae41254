/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Submission: SQEs are copied out of shared memory once, validated on the
 * private copy, then issued. An entry that fails validation completes with
 * its error in its own CQE; it never fails the enter call or the ring.
 */
#ifndef _USCHEME_SUBMIT_H
#define _USCHEME_SUBMIT_H

#include "ring.h"

void uscheme_sqe_copy(struct uscheme_sqe *dst, const struct uscheme_sqe *src);
int uscheme_ring_submit(struct uscheme_ring *ring, u32 to_submit, u32 *submitted,
			ktime_t deadline);

#endif /* _USCHEME_SUBMIT_H */
