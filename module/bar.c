// SPDX-License-Identifier: GPL-2.0
/*
 * BAR fds: mmap of memory BARs (uncached, bounds-checked) and single
 * register accesses through pread/pwrite. The MSI-X table and PBA belong to
 * the kernel's interrupt code: no mapping or access reaches them.
 */
#include <linux/fs.h>
#include <linux/io.h>
#include <linux/mm.h>
#include <linux/pci.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "pci.h"

/* Where the MSI-X table and PBA live (read once, at probe). */
void uscheme_bar_holes_init(struct uscheme_pcifn *fn)
{
	struct pci_dev *pdev = fn->pdev;
	u32 table = 0, pba = 0, n;
	u16 ctl = 0;

	fn->holes[0].bar = -1;
	fn->holes[1].bar = -1;
	if (!pdev->msix_cap)
		return;
	pci_read_config_word(pdev, pdev->msix_cap + PCI_MSIX_FLAGS, &ctl);
	pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_TABLE, &table);
	pci_read_config_dword(pdev, pdev->msix_cap + PCI_MSIX_PBA, &pba);
	n = (ctl & PCI_MSIX_FLAGS_QSIZE) + 1;
	fn->holes[0].bar = table & PCI_MSIX_TABLE_BIR;
	fn->holes[0].start = table & PCI_MSIX_TABLE_OFFSET;
	fn->holes[0].end = fn->holes[0].start + n * PCI_MSIX_ENTRY_SIZE;
	fn->holes[1].bar = pba & PCI_MSIX_PBA_BIR;
	fn->holes[1].start = pba & PCI_MSIX_PBA_OFFSET;
	fn->holes[1].end = fn->holes[1].start + DIV_ROUND_UP(n, 64) * 8;
}

/*
 * Does [@start, @end) of BAR @bar touch the MSI-X table or PBA? For a
 * page-aligned range this is the same as touching their pages.
 */
bool uscheme_bar_in_hole(const struct uscheme_pcifn *fn, int bar, u64 start, u64 end)
{
	int i;

	for (i = 0; i < ARRAY_SIZE(fn->holes); i++)
		if (fn->holes[i].bar == bar && start < fn->holes[i].end &&
		    end > fn->holes[i].start)
			return true;
	return false;
}

/*
 * Pages of a BAR mapping are inserted at fault time, under fn->lock, never
 * after a revoke and never while memory decode is off: a revoke, and the
 * config write that turns decode off, zap what was inserted, and a mapping
 * whose mmap() raced with them has nothing in it yet (VFIO does the same).
 */
static vm_fault_t uscheme_bar_fault(struct vm_fault *vmf)
{
	struct vm_area_struct *vma = vmf->vma;
	struct uscheme_devfile *df = vma->vm_file->private_data;
	struct uscheme_pcifn *fn = df->fn;
	vm_fault_t ret = VM_FAULT_SIGBUS;

	mutex_lock(&fn->lock);
	if (uscheme_session_live(fn) && (fn->decode & PCI_COMMAND_MEMORY))
		ret = vmf_insert_pfn(vma, vmf->address,
				     (pci_resource_start(fn->pdev, df->bar) >> PAGE_SHIFT) +
				     vmf->pgoff);
	mutex_unlock(&fn->lock);
	return ret;
}

static const struct vm_operations_struct uscheme_bar_vm_ops = {
	.fault		= uscheme_bar_fault,
};

static int uscheme_bar_mmap(struct file *file, struct vm_area_struct *vma)
{
	struct uscheme_devfile *df = file->private_data;
	struct uscheme_pcifn *fn = df->fn;
	struct pci_dev *pdev = fn->pdev;
	u64 off = (u64)vma->vm_pgoff << PAGE_SHIFT;
	u64 len = vma->vm_end - vma->vm_start;
	u64 size = pci_resource_len(pdev, df->bar);
	resource_size_t start = pci_resource_start(pdev, df->bar);
	int ret;

	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	mutex_lock(&fn->lock);
	if (!uscheme_session_live(fn))
		ret = -ENODEV;
	else if (!(pci_resource_flags(pdev, df->bar) & IORESOURCE_MEM) ||
		 size < PAGE_SIZE || (start & ~PAGE_MASK))
		ret = -ENODEV;
	else if (off >= size || len > size - off)
		ret = -EINVAL;
	else if (uscheme_bar_in_hole(fn, df->bar, off, off + len))
		ret = -EACCES;
	else
		ret = 0;
	mutex_unlock(&fn->lock);
	if (!ret) {
		vma->vm_page_prot = pgprot_noncached(vma->vm_page_prot);
		vm_flags_set(vma, VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP);
		vm_flags_clear(vma, VM_MAYEXEC);
		vma->vm_ops = &uscheme_bar_vm_ops;
	}
	return ret;
}

/* The checks of one register access; the mapping of its BAR, or ERR_PTR. */
static void __iomem *uscheme_bar_access(struct uscheme_devfile *df, loff_t pos, size_t len)
{
	struct uscheme_pcifn *fn = df->fn;
	struct pci_dev *pdev = fn->pdev;
	u64 size = pci_resource_len(pdev, df->bar);
	bool mem = pci_resource_flags(pdev, df->bar) & IORESOURCE_MEM;

	lockdep_assert_held(&fn->lock);
	if (!uscheme_session_live(fn))
		return IOMEM_ERR_PTR(-ENODEV);
	if (len != 1 && len != 2 && len != 4 && !(len == 8 && mem && IS_ENABLED(CONFIG_64BIT)))
		return IOMEM_ERR_PTR(-EINVAL);
	if (pos < 0 || (pos & (len - 1)) || pos >= size || len > size - pos)
		return IOMEM_ERR_PTR(-EINVAL);
	if (uscheme_bar_in_hole(fn, df->bar, pos, pos + len))
		return IOMEM_ERR_PTR(-EACCES);
	/* the BAR does not decode: the access would be an Unsupported Request */
	if (!(fn->decode & (mem ? PCI_COMMAND_MEMORY : PCI_COMMAND_IO)))
		return IOMEM_ERR_PTR(-EIO);
	if (!fn->iomap[df->bar])
		fn->iomap[df->bar] = pci_iomap(pdev, df->bar, 0);
	return fn->iomap[df->bar] ? fn->iomap[df->bar] : IOMEM_ERR_PTR(-ENOMEM);
}

static ssize_t uscheme_bar_read(struct file *file, char __user *ubuf, size_t len,
				loff_t *ppos)
{
	struct uscheme_devfile *df = file->private_data;
	void __iomem *base;
	u64 v = 0;

	mutex_lock(&df->fn->lock);
	base = uscheme_bar_access(df, *ppos, len);
	if (!IS_ERR(base)) {
		base += *ppos;
		if (len == 1)
			v = ioread8(base);
		else if (len == 2)
			v = ioread16(base);
		else if (len == 4)
			v = ioread32(base);
#ifdef CONFIG_64BIT
		else
			v = readq(base);
#endif
	}
	mutex_unlock(&df->fn->lock);
	if (IS_ERR(base))
		return PTR_ERR(base);
	/* little-endian x86: the low @len bytes of @v are the register */
	if (copy_to_user(ubuf, &v, len))
		return -EFAULT;
	*ppos += len;
	return len;
}

static ssize_t uscheme_bar_write(struct file *file, const char __user *ubuf,
				 size_t len, loff_t *ppos)
{
	struct uscheme_devfile *df = file->private_data;
	void __iomem *base;
	u64 v = 0;

	if (len > sizeof(v))
		return -EINVAL;
	if (copy_from_user(&v, ubuf, len))
		return -EFAULT;
	mutex_lock(&df->fn->lock);
	base = uscheme_bar_access(df, *ppos, len);
	if (!IS_ERR(base)) {
		base += *ppos;
		if (len == 1)
			iowrite8(v, base);
		else if (len == 2)
			iowrite16(v, base);
		else if (len == 4)
			iowrite32(v, base);
#ifdef CONFIG_64BIT
		else
			writeq(v, base);
#endif
	}
	mutex_unlock(&df->fn->lock);
	if (IS_ERR(base))
		return PTR_ERR(base);
	*ppos += len;
	return len;
}

static loff_t uscheme_bar_llseek(struct file *file, loff_t off, int whence)
{
	return fixed_size_llseek(file, off, whence, i_size_read(file_inode(file)));
}

static const struct file_operations uscheme_bar_fops = {
	.owner		= THIS_MODULE,
	.read		= uscheme_bar_read,
	.write		= uscheme_bar_write,
	.llseek		= uscheme_bar_llseek,
	.mmap		= uscheme_bar_mmap,
	.release	= uscheme_devfile_release,
};

/* USCHEME_PIOC_BAR_OPEN, under fn->lock with the session live. */
int uscheme_bar_open(struct uscheme_pcifn *fn, struct uscheme_pci_fd *arg)
{
	char what[8];
	int fd;

	lockdep_assert_held(&fn->lock);
	if (arg->index >= USCHEME_PCI_BARS || (arg->flags & ~O_CLOEXEC) || arg->resv)
		return -EINVAL;
	if (!pci_resource_len(fn->pdev, arg->index))
		return -ENOENT;
	snprintf(what, sizeof(what), "/bar%u", arg->index);
	fd = uscheme_devfile_install(fn, USCHEME_DEVFILE_BAR, &uscheme_bar_fops, what,
				     pci_resource_len(fn->pdev, arg->index), arg->flags,
				     arg->index, NULL);
	if (fd < 0)
		return fd;
	arg->fd = fd;
	return 0;
}

/* Session teardown: the kernel's own mappings of the BARs go. */
void uscheme_bar_teardown(struct uscheme_pcifn *fn)
{
	int i;

	for (i = 0; i < USCHEME_PCI_BARS; i++) {
		if (fn->iomap[i])
			pci_iounmap(fn->pdev, fn->iomap[i]);
		fn->iomap[i] = NULL;
	}
}
