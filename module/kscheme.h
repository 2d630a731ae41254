/* SPDX-License-Identifier: GPL-2.0 */
/* Kernel-served schemes (kscheme.c): sys: and the PCI device scheme. */
#ifndef _USCHEME_KSCHEME_H
#define _USCHEME_KSCHEME_H

#include <linux/types.h>

bool uscheme_kernel_scheme(const char *name);
int uscheme_kernel_open(const char *name, const char *path, u32 flags,
			int __user *ufd);

#endif /* _USCHEME_KSCHEME_H */
