/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A region: zeroed pages shared between the kernel (through a vmap) and one
 * or more user mappings. Pages are charged to the allocating task's memory
 * cgroup. A user mapping holds its own page references, so a region may be
 * freed while still mapped; the pages go when the last mapping does.
 */
#ifndef _USCHEME_REGION_H
#define _USCHEME_REGION_H

#include <linux/mm_types.h>
#include <linux/types.h>

struct uscheme_region {
	struct page **pages;
	unsigned int nr_pages;
	void *vaddr;		/* kernel view, NULL when not allocated */
};

int uscheme_region_alloc(struct uscheme_region *rg, size_t size);
void uscheme_region_free(struct uscheme_region *rg);
size_t uscheme_region_size(const struct uscheme_region *rg);
int uscheme_region_mmap(struct uscheme_region *rg, struct vm_area_struct *vma,
			bool read_only);

#endif /* _USCHEME_REGION_H */
