/* SPDX-License-Identifier: GPL-2.0 */
/* OPEN (open.c): the checks both transports make, and the syscall form. */
#ifndef _USCHEME_OPEN_H
#define _USCHEME_OPEN_H

#include <linux/types.h>

int uscheme_open_flags_check(u32 flags);
int uscheme_open_split(char *spec, const char **path);
int uscheme_open_sync(char *spec, u32 flags, int __user *ufd);

#endif /* _USCHEME_OPEN_H */
