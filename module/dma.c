// SPDX-License-Identifier: GPL-2.0
/*
 * DMA buffer fds: DMA-coherent memory from the DMA API (an IOVA behind an
 * IOMMU), mapped into the caller, with the address the device uses.
 *
 * A buffer is on fn->dma_bufs from allocation until its memory is freed.
 * Its file going away frees it at once only if the device cannot reach it
 * (bus mastering off); otherwise it is kept, "released", until session
 * teardown, which frees every buffer after bus mastering is off. A buffer
 * whose memory teardown freed while its file lived (an unbind) is detached
 * (cpu == NULL) and only its struct waits for the file.
 */
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/vmalloc.h>

#include "compat.h"
#include "pci.h"

struct uscheme_dma_buf {
	struct list_head node;		/* fn->dma_bufs, under fn->lock */
	void *cpu;			/* NULL once freed */
	dma_addr_t bus;
	size_t size;
	bool released;			/* its file is gone */
};

static void uscheme_dma_buf_free(struct uscheme_pcifn *fn, struct uscheme_dma_buf *buf)
{
	dma_free_coherent(&fn->pdev->dev, buf->size, buf->cpu, buf->bus);
	buf->cpu = NULL;
	list_del_init(&buf->node);
	fn->dma_bytes -= buf->size;
}

/* A buffer's file went (fn->lock held). */
void uscheme_dma_release(struct uscheme_pcifn *fn, struct uscheme_dma_buf *buf)
{
	u16 cmd = 0;

	lockdep_assert_held(&fn->lock);
	if (buf->cpu && uscheme_session_live(fn)) {
		pci_read_config_word(fn->pdev, PCI_COMMAND, &cmd);
		if (cmd & PCI_COMMAND_MASTER) {
			buf->released = true;	/* the device may still write here */
			return;
		}
	}
	if (buf->cpu)
		uscheme_dma_buf_free(fn, buf);
	kfree(buf);
}

/* Session teardown, bus mastering already off: every buffer's memory goes. */
void uscheme_dma_teardown(struct uscheme_pcifn *fn)
{
	struct uscheme_dma_buf *buf, *tmp;

	lockdep_assert_held(&fn->lock);
	list_for_each_entry_safe(buf, tmp, &fn->dma_bufs, node) {
		uscheme_dma_buf_free(fn, buf);
		if (buf->released)
			kfree(buf);
	}
	WARN_ON_ONCE(fn->dma_bytes);
}

/*
 * Pages of a buffer mapping are inserted at fault time, under fn->lock, and
 * never once the buffer is freed: teardown zaps the mappings first (bar.c
 * explains why not at mmap time). The buffer may be vmapped (an IOMMU
 * allocation of scattered pages) or in the direct map.
 */
static vm_fault_t uscheme_dma_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct uscheme_devfile *df = vma->vm_file->private_data;
	struct uscheme_pcifn *fn = df->fn;
	struct uscheme_dma_buf *buf = df->buf;
	vm_fault_t ret = VM_FAULT_SIGBUS;
	struct page *page;
	void *addr;

	mutex_lock(&fn->lock);
	if (uscheme_session_live(fn) && buf->cpu && vmf->pgoff < buf->size >> PAGE_SHIFT) {
		addr = buf->cpu + (vmf->pgoff << PAGE_SHIFT);
		page = is_vmalloc_addr(addr) ? vmalloc_to_page(addr) : virt_to_page(addr);
		ret = vmf_insert_pfn(vma, vmf->address, page_to_pfn(page));
	}
	mutex_unlock(&fn->lock);
	return ret;
}

static const struct vm_operations_struct uscheme_dma_vm_ops = {
	.fault		= uscheme_dma_fault,
};

static int uscheme_dma_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct uscheme_devfile *df = file->private_data;
	struct uscheme_pcifn *fn = df->fn;
	struct uscheme_dma_buf *buf = df->buf;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	u64 len = vma->vm_end - vma->vm_start;
	int ret;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	mutex_lock(&fn->lock);
	if (!uscheme_session_live(fn) || !buf->cpu)
		ret = -ENODEV;
	else if (off >= buf->size || len > buf->size - off)
		ret = -EINVAL;
	else
		ret = 0;
	mutex_unlock(&fn->lock);
	if (!ret) {
		vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
		vm_flags_clear(vma, VM_MAYEXEC);
		vma->vm_ops = &uscheme_dma_vm_ops;
	}
	return ret;
}

static long uscheme_dma_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct uscheme_devfile *df = file->private_data;
	struct uscheme_dma d = { .fd = -1 };

	if (cmd != USCHEME_PIOC_DMA_INFO)
		return -ENOTTY;
	mutex_lock(&df->fn->lock);
	if (uscheme_session_live(df->fn) && df->buf->cpu) {
		d.size = df->buf->size;
		d.bus_addr = df->buf->bus;
	}
	mutex_unlock(&df->fn->lock);
	if (!d.size)
		return -ENODEV;
	return copy_to_user((void __user *)arg, &d, sizeof(d)) ? -EFAULT : 0;
}

static const struct file_operations uscheme_dma_fops = {
	.owner		= THIS_MODULE,
	.mmap		= uscheme_dma_mmap,
	.unlocked_ioctl	= uscheme_dma_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= uscheme_devfile_release,
};

/* USCHEME_PIOC_DMA_ALLOC, under fn->lock with the session live. */
int uscheme_dma_alloc(struct uscheme_pcifn *fn, struct uscheme_dma *arg)
{
	struct uscheme_dma_buf *buf;
	u64 size = arg->size;
	int fd;

	if ((arg->flags & ~O_CLOEXEC) || memchr_inv(arg->resv, 0, sizeof(arg->resv)) || !size)
		return -EINVAL;
	if (size > USCHEME_DMA_MAX)
		return -E2BIG;
	size = PAGE_ALIGN(size);
	if (fn->dma_bytes + size > USCHEME_DMA_SESSION_MAX)
		return -ENOSPC;
	buf = kzalloc(sizeof(*buf), GFP_KERNEL_ACCOUNT);
	if (!buf)
		return -ENOMEM;
	buf->size = size;
	/* zeroed: nothing of the kernel's earlier use reaches the user */
	buf->cpu = dma_alloc_coherent(&fn->pdev->dev, size, &buf->bus,
				      GFP_KERNEL | __GFP_ZERO | __GFP_NOWARN);
	if (!buf->cpu) {
		kfree(buf);
		return -ENOMEM;
	}
	list_add_tail(&buf->node, &fn->dma_bufs);
	fn->dma_bytes += size;
	fd = uscheme_devfile_install(fn, USCHEME_DEVFILE_DMA, &uscheme_dma_fops, "/dma",
				     size, arg->flags, 0, buf);
	if (fd < 0) {
		uscheme_dma_buf_free(fn, buf);
		kfree(buf);
		return fd;
	}
	arg->size = size;
	arg->fd = fd;
	arg->bus_addr = buf->bus;
	return 0;
}
