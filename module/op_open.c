// SPDX-License-Identifier: GPL-2.0
/*
 * The ops that make a handle: OPEN, which names a scheme ("scheme:path",
 * split and checked, then served by the kernel (kscheme.c) or routed to the
 * daemon that registered the name), and DUP, which asks a handle's daemon
 * for a new handle. Their table entries' functions, the front of an OPEN
 * both transports share, and the blocking OPEN (USCHEME_IOC_OPEN); the ring
 * form is client.c's.
 */
#include <linux/fcntl.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "handle.h"
#include "kscheme.h"
#include "op_open.h"
#include "opdef.h"

#define USCHEME_OPEN_FLAGS	(O_ACCMODE | O_CREAT | O_EXCL | O_TRUNC | O_APPEND | \
				 O_DIRECTORY | O_NONBLOCK | O_CLOEXEC)

int uscheme_open_flags_check(u32 flags)
{
	if (flags & ~USCHEME_OPEN_FLAGS)
		return -EINVAL;
	if ((flags & O_ACCMODE) == O_ACCMODE)
		return -EINVAL;
	return 0;
}

/*
 * Split "scheme:path" in place: NUL-terminates the scheme name and points
 * @path after the colon. Returns 0, or -EINVAL (no colon, bad name).
 */
int uscheme_open_split(char *spec, const char **path)
{
	char *colon = strnchr(spec, USCHEME_NAME_MAX, ':');

	if (!colon)
		return -EINVAL;
	*colon = '\0';
	if (uscheme_scheme_name_check(spec, colon - spec + 1) < 0)
		return -EINVAL;
	*path = colon + 1;
	return 0;
}

/*
 * The front of an OPEN whose arguments passed uscheme_op_check(), for both
 * transports: @spec ("scheme:path") is split in place (@path points after
 * the colon). A kernel-served scheme is opened here: its fd (whose number
 * @ufd, if not NULL, learns first) or an error, *@s NULL. A registered
 * scheme is looked up: 0, *@s a reference. None: -ENOENT, *@s NULL.
 */
int uscheme_open_resolve(char *spec, u32 flags, int __user *ufd,
			 struct uscheme_scheme **s, const char **path)
{
	int ret;

	*s = NULL;
	ret = uscheme_open_split(spec, path);
	if (ret)
		return ret;
	if (uscheme_kernel_scheme(spec))
		return uscheme_kernel_open(spec, *path, flags, ufd);
	*s = uscheme_scheme_get(spec);
	return *s ? 0 : -ENOENT;
}

/*
 * Open "scheme:path" (@spec is modified) and wait for the daemon: an fd,
 * whose number @ufd (if not NULL) learns before the fd is installed.
 */
int uscheme_open_sync(char *spec, u32 flags, int __user *ufd)
{
	struct uscheme_op_args a = {
		.opcode = USCHEME_OP_OPEN, .len = strlen(spec) + 1, .op_flags = flags,
	};
	struct uscheme_op_dest d = { .oflags = flags, .name = spec, .ufd = ufd };
	struct uscheme_scheme *s;
	int ret;

	ret = uscheme_op_check(&a);
	if (ret)
		return ret;
	ret = uscheme_open_resolve(spec, flags, ufd, &s, &a.path);
	if (!s)
		return ret;
	((char *)a.path)[-1] = ':';	/* the file's name: "scheme:path" */
	ret = uscheme_sync_op(s, 0, &a, &d);
	uscheme_scheme_put(s);
	return ret;
}

/* OPEN's arguments: a path buffer of 1 to USCHEME_PATH_MAX bytes, O_* flags. */
int uscheme_open_check(const struct uscheme_op_args *a)
{
	if (!a->len)
		return -EINVAL;
	if (a->len > USCHEME_PATH_MAX)
		return -ENAMETOOLONG;
	return uscheme_open_flags_check(a->op_flags);
}

/* The daemon gets the path after "scheme:", NUL-terminated. */
u32 uscheme_open_chunk(const struct uscheme_op_args *a)
{
	return strlen(a->path) + 1;
}

int uscheme_open_prep(struct uscheme_request *r, const struct uscheme_op_args *a)
{
	size_t plen = strlen(a->path);

	memcpy(uscheme_request_chunk(r), a->path, plen);
	r->req.len = plen;
	r->req.op_flags = a->op_flags & ~O_CLOEXEC;
	return 0;
}

/* DUP's arguments: O_CLOEXEC alone, a suffix of at most USCHEME_PATH_MAX bytes. */
int uscheme_dup_check(const struct uscheme_op_args *a)
{
	if (a->op_flags & ~O_CLOEXEC)
		return -EINVAL;
	return a->len > USCHEME_PATH_MAX ? -ENAMETOOLONG : 0;
}

u32 uscheme_dup_chunk(const struct uscheme_op_args *a)
{
	return a->len + 1;
}

int uscheme_dup_prep(struct uscheme_request *r, const struct uscheme_op_args *a)
{
	if (copy_from_user(uscheme_request_chunk(r), u64_to_user_ptr(a->addr), a->len))
		return -EFAULT;
	r->req.len = a->len;
	return 0;
}

/* Any id is a legal answer: the daemon's name for the new handle. */
int uscheme_id_answer(const struct uscheme_req *req, s32 res)
{
	return 0;
}

/*
 * OPEN's and DUP's completion: the file the daemon passed, or a new handle
 * of its id @res, as a new fd (on failure the daemon is sent a CLOSE).
 */
int uscheme_handle_made(struct uscheme_request *r, s32 res, const struct uscheme_op_dest *d)
{
	if (r->passed)
		return uscheme_request_install_passed(r, d->oflags, d->ufd);
	return uscheme_handle_install(r->scheme, res, d->oflags, d->name, d->ufd);
}
