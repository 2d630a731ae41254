// SPDX-License-Identifier: GPL-2.0
/*
 * FSTAT, FSYNC, FTRUNCATE: a handle's state. FSTAT's answer is a struct
 * uscheme_stat in the chunk, copied and checked once at the answer.
 */
#include <linux/lockdep.h>
#include <linux/stat.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "opdef.h"
#include "request.h"

/* A ring's FSTAT buffer must hold a struct uscheme_stat. */
int uscheme_fstat_check(const struct uscheme_op_args *a)
{
	return a->len < sizeof(struct uscheme_stat) ? -EINVAL : 0;
}

u32 uscheme_fstat_chunk(const struct uscheme_op_args *a)
{
	return sizeof(struct uscheme_stat);
}

int uscheme_fstat_prep(struct uscheme_request *r, const struct uscheme_op_args *a)
{
	r->req.len = sizeof(struct uscheme_stat);
	return 0;
}

/*
 * Copy a FSTAT answer out of @r's chunk once, and check it: -EIO for a
 * file type or mode bits the kernel does not know. Caller holds the scheme
 * lock (the chunk is the daemon's to change; only this copy counts).
 */
int uscheme_fstat_take(struct uscheme_request *r)
{
	struct uscheme_stat *st = &r->stat;
	u32 type;

	lockdep_assert_held(&r->scheme->lock);
	memcpy(st, uscheme_request_chunk(r), sizeof(*st));
	st->resv = 0;
	type = st->mode & S_IFMT;
	if (st->mode & ~(S_IFMT | 07777))
		return -EIO;
	switch (type) {
	case S_IFREG: case S_IFDIR: case S_IFCHR: case S_IFBLK:
	case S_IFIFO: case S_IFLNK: case S_IFSOCK:
		return 0;
	default:
		return -EIO;
	}
}

int uscheme_fstat_complete(struct uscheme_request *r, s32 res, const struct uscheme_op_dest *d)
{
	if (d->stat)
		*d->stat = r->stat;
	else if (d->stat_out && copy_to_user(d->stat_out, &r->stat, sizeof(r->stat)))
		return -EFAULT;
	return 0;
}

/* FSYNC, FTRUNCATE: no data, an offset (FTRUNCATE's new size; FSYNC's 0). */
u32 uscheme_no_chunk(const struct uscheme_op_args *a)
{
	return 0;
}

int uscheme_off_prep(struct uscheme_request *r, const struct uscheme_op_args *a)
{
	r->req.off = a->off;
	return 0;
}
