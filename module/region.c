// SPDX-License-Identifier: GPL-2.0
/*
 * Shared-memory regions for ring headers and entry arrays.
 *
 * Pages are allocated one by one (no high-order allocation can fail on a
 * fragmented system), mapped contiguously for the kernel with vmap() and
 * inserted into user mappings with vm_insert_pages().
 */
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "region.h"

int uscheme_region_alloc(struct uscheme_region *rg, size_t size)
{
	unsigned int i, n = PAGE_ALIGN(size) >> PAGE_SHIFT;

	if (!n)
		return -EINVAL;
	rg->pages = kvcalloc(n, sizeof(*rg->pages), GFP_KERNEL_ACCOUNT);
	if (!rg->pages)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		rg->pages[i] = alloc_page(GFP_KERNEL_ACCOUNT | __GFP_ZERO);
		if (!rg->pages[i])
			goto fail;
	}
	rg->nr_pages = n;
	rg->vaddr = vmap(rg->pages, n, VM_MAP, PAGE_KERNEL);
	if (!rg->vaddr)
		goto fail;
	return 0;
fail:
	rg->nr_pages = i;
	uscheme_region_free(rg);
	return -ENOMEM;
}

void uscheme_region_free(struct uscheme_region *rg)
{
	unsigned int i;

	if (rg->vaddr)
		vunmap(rg->vaddr);
	for (i = 0; i < rg->nr_pages; i++)
		put_page(rg->pages[i]);
	kvfree(rg->pages);
	rg->pages = NULL;
	rg->vaddr = NULL;
	rg->nr_pages = 0;
}

size_t uscheme_region_size(const struct uscheme_region *rg)
{
	return (size_t)rg->nr_pages << PAGE_SHIFT;
}

/*
 * Map the region (from its start) into @vma. Called from ->mmap with the
 * mmap lock held for writing. The caller has checked the offset; this checks
 * the length, the sharing mode and the protections.
 */
int uscheme_region_mmap(struct uscheme_region *rg, struct vm_area_struct *vma,
			bool read_only)
{
	unsigned long n = vma_pages(vma);

	if (n > rg->nr_pages)
		return -EINVAL;
	/* A private mapping would copy on write: the kernel would never see it. */
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	if (vma->vm_flags & VM_EXEC)
		return -EPERM;
	if (read_only && (vma->vm_flags & VM_WRITE))
		return -EPERM;

	/* Neither mprotect() nor mremap() may widen what was granted here. */
	vm_flags_clear(vma, VM_MAYEXEC | (read_only ? VM_MAYWRITE : 0));
	vm_flags_set(vma, VM_DONTEXPAND);
	return vm_insert_pages(vma, vma->vm_start, rg->pages, &n);
}
