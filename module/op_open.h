/* SPDX-License-Identifier: GPL-2.0 */
/* OPEN (op_open.c): the checks and the front both transports share, the blocking form. */
#ifndef _USCHEME_OP_OPEN_H
#define _USCHEME_OP_OPEN_H

#include <linux/types.h>

struct uscheme_scheme;

int uscheme_open_flags_check(u32 flags);
int uscheme_open_split(char *spec, const char **path);
int uscheme_open_resolve(char *spec, u32 flags, int __user *ufd,
			 struct uscheme_scheme **s, const char **path);
int uscheme_open_sync(char *spec, u32 flags, int __user *ufd);

#endif /* _USCHEME_OP_OPEN_H */
