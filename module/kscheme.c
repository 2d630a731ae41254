// SPDX-License-Identifier: GPL-2.0
/*
 * Kernel-served schemes: names no daemon may register, answered by the
 * kernel at OPEN. "sys" (the registry as text, handle.c's text handles) and
 * the PCI device scheme (pci.c).
 */
#include <linux/slab.h>
#include <linux/string.h>

#include "handle.h"
#include "kscheme.h"
#include "pci.h"
#include "scheme.h"

#define USCHEME_SYS_TEXT_MAX	(64 * 1024)

/*
 * The kernel-served "sys" scheme: "sys:schemes" (the registry, a snapshot
 * taken at open) and "sys:" (a directory listing that one entry).
 */
static int uscheme_sys_open(const char *path, u32 flags, int __user *ufd)
{
	char *text;

	if (!strcmp(path, "") || !strcmp(path, "/"))
		return uscheme_text_open_user(kstrdup("schemes\n", GFP_KERNEL_ACCOUNT),
					      true, flags, "sys:", ufd);
	if (strcmp(path, "schemes") && strcmp(path, "/schemes"))
		return -ENOENT;
	text = kmalloc(USCHEME_SYS_TEXT_MAX, GFP_KERNEL_ACCOUNT);
	if (text)
		text[uscheme_schemes_show(text, USCHEME_SYS_TEXT_MAX - 1)] = '\0';
	return uscheme_text_open_user(text, false, flags, "sys:schemes", ufd);
}

/* Is @name a kernel-served scheme (no daemon may register it)? */
bool uscheme_kernel_scheme(const char *name)
{
	return !strcmp(name, "sys") || !strcmp(name, USCHEME_PCIDEV_SCHEME);
}

/*
 * Open @path of kernel-served scheme @name: an fd, whose number @ufd (if
 * not NULL) learns before the fd is installed.
 */
int uscheme_kernel_open(const char *name, const char *path, u32 flags,
			int __user *ufd)
{
	if (!strcmp(name, "sys"))
		return uscheme_sys_open(path, flags, ufd);
	return uscheme_pcidev_open(path, flags, ufd);
}
