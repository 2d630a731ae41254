/* SPDX-License-Identifier: MIT */
/*
 * A function's channel session (channel.c; the protocol: pcid.h).
 *
 * States (f->ch): CH_FREE -> CH_OPENING (the OPEN of "ADDR/channel" waits
 * for pcid's OPEN of pcidev:ADDR on the client ring, a struct pending in
 * P.pendings) -> CH_OPEN (f->chan the handle, f->fn_fd the kernel's
 * function handle) -> CH_FREE again when the handle's last reference
 * goes (channel_release). One session per function at a time.
 *
 * Ownership: the session's fds (fn_fd, bar_fd[], irq_fd[]) are pcid's,
 * cached for the session and closed by channel_release; a DUP answers a
 * copy (USCHEME_CQE_F_FD). DMA buffers and uncached IRQ fds are the
 * driver's once sent: close_later() closes pcid's copy.
 *
 * PCID_CALL_CHILD_START/STOP are answered here from supervisor.c's
 * child_start/children_stop.
 */
#ifndef PCID_CHANNEL_H
#define PCID_CHANNEL_H

#include <stddef.h>

#include "state.h"

/*
 * The channel's last reference is gone: pcid's files of the session
 * closed (answers in flight flushed first, unless P.exiting).
 */
void channel_release(struct fn *f);
/* Open pcidev:ADDR for channel handle h; the request tag is answered later: US_DEFER. */
int defer_pcidev_open(struct fn *f, const struct uscheme_req *req, struct handle *h);
/* DUP suffix on the channel: one of the session's fds, passed on (US_DEFER) or -errno. */
int channel_dup(struct fn *f, const struct uscheme_req *req, const char *suffix);
/* CALL on the channel (req->op_flags: enum pcid_call); buf holds in_len in, out_len room. */
int channel_call(struct fn *f, const struct uscheme_req *req, void *buf, size_t in_len,
		 size_t out_len);

#endif /* PCID_CHANNEL_H */
