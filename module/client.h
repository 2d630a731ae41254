/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Client rings' routed ops: from a validated SQE to a request, and from an
 * answered request to the CQE, finished in the submitting process.
 */
#ifndef _USCHEME_CLIENT_H
#define _USCHEME_CLIENT_H

#include "request.h"

int uscheme_client_issue(struct uscheme_ring *ring, const struct uscheme_sqe *sqe);
void uscheme_client_release(struct uscheme_ring *ring);
bool uscheme_ring_has_done(struct uscheme_ring *ring);
void uscheme_ring_finish_done(struct uscheme_ring *ring);

#endif /* _USCHEME_CLIENT_H */
