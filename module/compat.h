/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernel series uscheme builds against (Debian's 6.1
 * and 6.12). Each one is probed at build time from the kernel's own headers
 * (see Kbuild), never guessed from LINUX_VERSION_CODE.
 */
#ifndef _USCHEME_COMPAT_H
#define _USCHEME_COMPAT_H

#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/pci.h>

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

/* 6.3 passes inode operations a struct mnt_idmap, 6.1 a user namespace. */
#ifdef USCHEME_HAVE_MNT_IDMAP
#define USCHEME_IDMAP_ARG	struct mnt_idmap *idmap
#else
#define USCHEME_IDMAP_ARG	struct user_namespace *userns
#endif

/* Files made by alloc_file_pseudo() are not seekable or pread-able by default. */
static inline void uscheme_file_seekable(struct file *file)
{
#ifdef FMODE_LSEEK
	file->f_mode |= FMODE_LSEEK;
#endif
	file->f_mode |= FMODE_PREAD | FMODE_PWRITE;
}

/*
 * Did the administrator name a driver for @pdev? Newer kernels (and
 * Debian's 6.12 backport) keep driver_override in struct device.
 */
static inline bool uscheme_pci_has_driver_override(struct pci_dev *pdev)
{
#ifdef USCHEME_HAVE_DEVICE_DRIVER_OVERRIDE
	/* device_has_driver_override(), spelled out: sparse cannot follow guard() */
	bool set;

	spin_lock(&pdev->dev.driver_override.lock);
	set = pdev->dev.driver_override.name;
	spin_unlock(&pdev->dev.driver_override.lock);
	return set;
#else
	return pdev->driver_override;
#endif
}

#endif /* _USCHEME_COMPAT_H */
