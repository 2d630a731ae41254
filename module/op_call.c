// SPDX-License-Identifier: GPL-2.0
/*
 * CALL: a daemon-defined call on a handle, input and output through one
 * chunk. A ring's output goes to its pinned pages at the answer
 * (request.c); the ioctl's is copied out here.
 */
#include <linux/minmax.h>
#include <linux/uaccess.h>

#include "opdef.h"
#include "request.h"

int uscheme_call_check(const struct uscheme_op_args *a)
{
	return a->len > USCHEME_IO_MAX || a->len2 > USCHEME_IO_MAX ? -E2BIG : 0;
}

u32 uscheme_call_chunk(const struct uscheme_op_args *a)
{
	return max(a->len, a->len2);
}

int uscheme_call_prep(struct uscheme_request *r, const struct uscheme_op_args *a)
{
	if (a->len && copy_from_user(uscheme_request_chunk(r), u64_to_user_ptr(a->addr),
				     a->len))
		return -EFAULT;
	r->req.len = a->len;
	r->req.len2 = a->len2;
	r->req.op_flags = a->op_flags;
	return 0;
}

/* At most the room for the output. */
int uscheme_call_answer(const struct uscheme_req *req, s32 res)
{
	return (u32)res <= req->len2 ? 0 : -EIO;
}

int uscheme_call_complete(struct uscheme_request *r, s32 res, const struct uscheme_op_dest *d)
{
	if (d->call_out && res > 0 &&
	    copy_to_user(d->call_out, uscheme_request_chunk(r), res))
		return -EFAULT;
	return res;
}
