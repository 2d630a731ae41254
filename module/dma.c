// SPDX-License-Identifier: GPL-2.0
/*
 * DMA buffer fds: DMA-coherent memory from the DMA API (an IOVA behind an
 * IOMMU), mapped into the caller, with the address the device uses.
 *
 * A buffer is on fn->dma_bufs from allocation until its memory is freed.
 * Its file going away frees it at once only if the device cannot reach it
 * (bus mastering off); otherwise it is kept, "released", until session
 * teardown, which frees every buffer after bus mastering is off.
 *
 * Mappings are made by dma_mmap_coherent() in ->mmap, so the DMA API picks
 * the pages and their protection (vmapped IOMMU allocations, decrypted
 * memory). A revoke (unbind) zaps them, but a mapping whose mmap() was
 * between ->mmap and being linked into the file's mapping is not seen by
 * the zap; so teardown frees the memory of a buffer that was ever mapped
 * only once its file is gone (every mapping holds the file): until then
 * it is detached, on no list, unreachable to the device (bus mastering is
 * off) and to new calls (-ENODEV). A buffer never mapped is freed at once
 * and only its struct waits for the file (cpu == NULL).
 */
#include <linux/dma-mapping.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "pci.h"

struct uscheme_dma_buf {
	struct list_head node;		/* fn->dma_bufs, under fn->lock */
	void *cpu;			/* NULL once freed */
	dma_addr_t bus;
	size_t size;
	bool released;			/* its file is gone */
	bool mapped;			/* ever mmapped (under fn->lock) */
	bool detached;			/* off fn->dma_bufs, memory kept */
};

static void uscheme_dma_buf_free(struct uscheme_pcifn *fn, struct uscheme_dma_buf *buf)
{
	dma_free_coherent(&fn->pdev->dev, buf->size, buf->cpu, buf->bus);
	buf->cpu = NULL;
	if (!buf->detached) {
		list_del_init(&buf->node);
		fn->dma_bytes -= buf->size;
	}
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

/*
 * Session teardown, bus mastering already off: every buffer's memory goes,
 * but that of a buffer ever mapped whose file is still open (a revoke)
 * waits for the file, detached (see the top of this file).
 */
void uscheme_dma_teardown(struct uscheme_pcifn *fn)
{
	struct uscheme_dma_buf *buf, *tmp;

	lockdep_assert_held(&fn->lock);
	list_for_each_entry_safe(buf, tmp, &fn->dma_bufs, node) {
		if (buf->mapped && !buf->released) {
			list_del_init(&buf->node);
			fn->dma_bytes -= buf->size;
			buf->detached = true;
			continue;
		}
		uscheme_dma_buf_free(fn, buf);
		if (buf->released)
			kfree(buf);
	}
	WARN_ON_ONCE(fn->dma_bytes);
}

/*
 * dma_mmap_coherent() filled the whole mapping at mmap time: a fault means
 * teardown zapped it. (Without a fault handler the mapping would count as
 * anonymous memory and a fault would hand out a fresh page.)
 */
static vm_fault_t uscheme_dma_fault(struct vm_fault *vmf)
{
	return VM_FAULT_SIGBUS;
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
	vm_flags_set(vma, VM_DONTEXPAND | VM_DONTDUMP);
	vm_flags_clear(vma, VM_MAYEXEC);
	vma->vm_ops = &uscheme_dma_vm_ops;
	/* under fn->lock: teardown cannot free the memory while it is mapped */
	mutex_lock(&fn->lock);
	if (!uscheme_session_live(fn) || !buf->cpu || buf->detached) {
		ret = -ENODEV;
	} else if (off >= buf->size || len > buf->size - off) {
		ret = -EINVAL;
	} else {
		buf->mapped = true;
		ret = dma_mmap_coherent(&fn->pdev->dev, vma, buf->cpu, buf->bus, buf->size);
	}
	mutex_unlock(&fn->lock);
	return ret;
}

static long uscheme_dma_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct uscheme_devfile *df = file->private_data;
	struct uscheme_dma d = { .fd = -1 };

	if (cmd != USCHEME_PIOC_DMA_INFO)
		return -ENOTTY;
	mutex_lock(&df->fn->lock);
	if (uscheme_session_live(df->fn) && df->buf->cpu && !df->buf->detached) {
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

	lockdep_assert_held(&fn->lock);
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
