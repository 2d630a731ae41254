/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Responses: the daemon's CQEs on a scheme ring, consumed by the kernel.
 */
#ifndef _USCHEME_RESPOND_H
#define _USCHEME_RESPOND_H

#include "ring.h"

int uscheme_ring_consume_responses(struct uscheme_ring *ring, u32 max,
				   u32 *consumed);

#endif /* _USCHEME_RESPOND_H */
