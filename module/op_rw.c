// SPDX-License-Identifier: GPL-2.0
/*
 * READ and WRITE: at most USCHEME_IO_MAX bytes at an offset, through the
 * request's chunk of the daemon's data area. A ring's READ result goes to
 * its pinned pages at the answer (request.c); read(2)'s is copied out here.
 */
#include <linux/minmax.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "opdef.h"
#include "request.h"

u32 uscheme_rw_chunk(const struct uscheme_op_args *a)
{
	return min_t(u32, a->len, USCHEME_IO_MAX);
}

int uscheme_read_prep(struct uscheme_request *r, const struct uscheme_op_args *a)
{
	r->req.len = uscheme_rw_chunk(a);
	r->req.off = a->off;
	return 0;
}

/* The bytes to write, from write(2)'s iov_iter or a ring's user memory. */
int uscheme_write_prep(struct uscheme_request *r, const struct uscheme_op_args *a)
{
	void *chunk = uscheme_request_chunk(r);
	u32 len = uscheme_rw_chunk(a);

	if (a->iter) {
		len = copy_from_iter(chunk, len, a->iter);
		if (!len)
			return -EFAULT;
	} else if (len && copy_from_user(chunk, u64_to_user_ptr(a->addr), len)) {
		return -EFAULT;
	}
	r->req.len = len;
	r->req.off = a->off;
	return 0;
}

/* At most the bytes asked for (READ) or given (WRITE). */
int uscheme_rw_answer(const struct uscheme_req *req, s32 res)
{
	return (u32)res <= req->len ? 0 : -EIO;
}

int uscheme_read_complete(struct uscheme_request *r, s32 res, const struct uscheme_op_dest *d)
{
	size_t n;

	if (!d->iter || res <= 0)
		return res;
	n = copy_to_iter(uscheme_request_chunk(r), res, d->iter);
	return n ? n : -EFAULT;
}
