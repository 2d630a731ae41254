/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernel series uscheme builds against (Debian's 6.1
 * and 6.12). Each one is probed at build time from the kernel's own headers
 * (see Kbuild), never guessed from LINUX_VERSION_CODE.
 */
#ifndef _USCHEME_COMPAT_H
#define _USCHEME_COMPAT_H

#include <linux/mm.h>

#ifndef USCHEME_HAVE_VM_FLAGS_SET
/* Before 6.3 vm_flags was a plain field, written under the mmap lock. */
static inline void vm_flags_set(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags |= flags;
}

static inline void vm_flags_clear(struct vm_area_struct *vma, vm_flags_t flags)
{
	vma->vm_flags &= ~flags;
}
#endif

#endif /* _USCHEME_COMPAT_H */
