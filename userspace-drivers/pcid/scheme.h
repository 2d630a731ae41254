/* SPDX-License-Identifier: MIT */
/*
 * The "pci:" scheme (scheme.c; its paths and ops: pcid.h). The daemon loop
 * calls pci_ops; each open handle is a struct handle (state.h) that the
 * kernel numbers and hands back to every op on it, freed by .close (or by
 * the daemon when it cannot be numbered).
 *
 * Ownership: a handle owns its text and its config fd. A channel handle
 * (H_CHANNEL) is f->chan while its session is open: freeing it releases
 * the session (channel_release). An OPEN of "ADDR/channel" is answered
 * later (US_DEFER), once channel.c has opened pcidev:ADDR.
 */
#ifndef PCID_SCHEME_H
#define PCID_SCHEME_H

#include "state.h"

extern const struct us_scheme_ops pci_ops;

/* Free a handle (NULL: nothing); a channel's releases its session. */
void handle_free(struct handle *h);

#endif /* PCID_SCHEME_H */
