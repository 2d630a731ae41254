// SPDX-License-Identifier: GPL-2.0
/*
 * OPEN, the one op that names a scheme: "scheme:path" split and checked,
 * then served by the kernel (kscheme.c) or routed to the daemon that
 * registered the name. The syscall form (USCHEME_IOC_OPEN) is here; the
 * ring form is client.c's, with the same checks.
 */
#include <linux/fcntl.h>
#include <linux/string.h>

#include "handle.h"
#include "kscheme.h"
#include "open.h"

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
 * Open "scheme:path" (@spec is modified) and wait for the daemon: an fd,
 * whose number @ufd (if not NULL) learns before the fd is installed.
 */
int uscheme_open_sync(char *spec, u32 flags, int __user *ufd)
{
	struct uscheme_scheme *s;
	struct uscheme_request *r;
	const char *path;
	size_t plen;
	int ret;

	ret = uscheme_open_flags_check(flags);
	if (!ret)
		ret = uscheme_open_split(spec, &path);
	if (ret)
		return ret;
	if (uscheme_kernel_scheme(spec))
		return uscheme_kernel_open(spec, path, flags, ufd);
	s = uscheme_scheme_get(spec);
	if (!s)
		return -ENOENT;
	plen = strlen(path);
	r = uscheme_sync_begin(s, 0, USCHEME_OP_OPEN, plen + 1);
	if (IS_ERR(r)) {
		uscheme_scheme_put(s);
		return PTR_ERR(r);
	}
	memcpy(uscheme_request_chunk(r), path, plen);
	r->req.len = plen;
	r->req.op_flags = flags & ~O_CLOEXEC;
	ret = uscheme_sync_run(r);
	if (ret >= 0 && r->passed) {
		ret = uscheme_request_install_passed(r, flags, ufd);
	} else if (ret >= 0) {
		path--;
		*(char *)path = ':';	/* the file's name: "scheme:path" */
		ret = uscheme_handle_install(s, ret, flags, spec, ufd);
	}
	uscheme_request_put(r);
	uscheme_scheme_put(s);
	return ret;
}
