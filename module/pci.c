// SPDX-License-Identifier: GPL-2.0
/*
 * Device services, the binding and the session: uscheme's stub PCI driver
 * (no ID table; a function reaches it only through its driver_override),
 * the registry of bound functions, the kernel-served "pcidev" scheme that
 * opens them, and the function handle (config space and the ioctls that
 * derive BAR, DMA and interrupt fds). The state machine and lock rules are
 * in pci.h.
 */
#include <linux/capability.h>
#include <linux/dma-mapping.h>
#include <linux/fdtable.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "compat.h"
#include "fs.h"
#include "handle.h"
#include "pci.h"

#define USCHEME_PCIDEV_TEXT_MAX	(64 * 1024)

static LIST_HEAD(uscheme_pcifns);
static DEFINE_MUTEX(uscheme_pcifns_lock);	/* the list; taken before fn->lock */

static void uscheme_pcifn_release(struct kref *ref)
{
	struct uscheme_pcifn *fn = container_of(ref, struct uscheme_pcifn, ref);

	uscheme_irq_free_vecs(fn);
	kfree(fn->saved);	/* NULL after every teardown */
	pci_dev_put(fn->pdev);
	kfree(fn);
}

static void uscheme_pcifn_put(struct uscheme_pcifn *fn)
{
	kref_put(&fn->ref, uscheme_pcifn_release);
}

/* Is @fn's session usable? Called with fn->lock held. */
bool uscheme_session_live(struct uscheme_pcifn *fn)
{
	lockdep_assert_held(&fn->lock);
	return fn->state == USCHEME_SESSION_ACTIVE;
}

/*
 * Zap the mappings of the session's files (only its BAR files when
 * @bars_only): later accesses fault, and the fault handlers decide.
 */
void uscheme_session_unmap(struct uscheme_pcifn *fn, bool bars_only)
{
	struct uscheme_devfile *df;

	lockdep_assert_held(&fn->lock);
	list_for_each_entry(df, &fn->session_files, node)
		if (!bars_only || df->kind == USCHEME_DEVFILE_BAR)
			unmap_mapping_range(df->mapping, 0, 0, 1);
}

/*
 * The end of a session, its interrupts and DMA memory gone: reset the
 * function where it supports a reset, and put config space back as the
 * session found it (as VFIO's vfio_pci_core_disable()). Resetting takes
 * the PCI device lock: remove() holds it already (@locked), anyone else
 * only by trylock (the lock order in pci.h); a reset that cannot be done
 * now is done when the next session starts. A function without a reset
 * method (QEMU's xHCI controllers on a root bus have none) gets its config
 * space back only.
 */
static void uscheme_session_reset(struct uscheme_pcifn *fn, bool locked)
{
	struct pci_dev *pdev = fn->pdev;
	int ret = -EAGAIN;
	u16 cmd = 0;

	lockdep_assert_held(&fn->lock);
	if (fn->saved && pci_load_and_free_saved_state(pdev, &fn->saved))
		pci_save_state(pdev);
	fn->saved = NULL;
	/* no decoding, no DMA, no INTx while it resets */
	pci_write_config_word(pdev, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE);
	fn->decode = 0;
	/* -ENOTTY at once without a reset method */
	if (locked) {
		ret = __pci_reset_function_locked(pdev);
	} else if (pci_dev_trylock(pdev)) {
		ret = __pci_reset_function_locked(pdev);
		pci_dev_unlock(pdev);
	}
	/*
	 * "No reset method" is decided by the PCI core's list, not by the
	 * error: a reset that was tried and failed (a device that does not
	 * come back from FLR also gives -ENOTTY) must be tried again.
	 */
	fn->needs_reset = ret && pdev->reset_methods[0];
	pci_restore_state(pdev);
	/* no handler until the next session: INTx stays masked (irq.c) */
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	pci_write_config_word(pdev, PCI_COMMAND, cmd | PCI_COMMAND_INTX_DISABLE);
	if (fn->needs_reset)
		pci_info(pdev, "uscheme: reset at session end failed (%d), at next start\n", ret);
}

/*
 * Take the hardware back from a session, in the one safe order: the
 * device stops reaching memory before anything it could reach is freed,
 * and it is reset before the next user gets it. @locked: the PCI device
 * lock is held (remove()).
 */
static void uscheme_session_teardown(struct uscheme_pcifn *fn, bool locked)
{
	lockdep_assert_held(&fn->lock);
	pci_clear_master(fn->pdev);
	uscheme_irq_teardown(fn);
	uscheme_dma_teardown(fn);
	uscheme_bar_teardown(fn);
	uscheme_session_reset(fn, locked);
	pci_release_regions(fn->pdev);
	pci_disable_device(fn->pdev);
}

/*
 * A new session: the device enabled (decoding on, bus mastering off),
 * reset first unless the last session's end did it, and its config space
 * saved for the session's end. A reset that is busy (-EAGAIN: the device
 * lock is held, it is being bound, unbound or reset through sysfs) fails
 * the open with -EBUSY rather than hand out an unreset device; a function
 * without a reset method is used as it is.
 */
static int uscheme_session_start(struct uscheme_pcifn *fn)
{
	struct pci_dev *pdev = fn->pdev;
	u16 cmd = 0;
	int ret;

	lockdep_assert_held(&fn->lock);
	ret = pci_enable_device(pdev);
	if (ret)
		return ret;
	ret = pci_request_regions(pdev, "uscheme");
	if (ret)
		goto disable;
	pci_clear_master(pdev);
	if (fn->needs_reset && pdev->reset_methods[0]) {
		ret = pci_try_reset_function(pdev);
		if (ret == -EAGAIN) {
			ret = -EBUSY;
			goto release;
		}
		if (ret) {
			/* Never hand out a device another session's state is left in. */
			pci_warn(pdev, "uscheme: reset before the session failed (%d)\n", ret);
			ret = -EIO;
			goto release;
		}
	}
	fn->needs_reset = false;
	pci_save_state(pdev);
	fn->saved = pci_store_saved_state(pdev);
	if (!fn->saved)
		pci_dbg(pdev, "uscheme: config space not saved\n");
	pci_read_config_word(pdev, PCI_COMMAND, &cmd);
	fn->decode = cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	fn->state = USCHEME_SESSION_ACTIVE;
	return 0;
release:
	pci_release_regions(pdev);
disable:
	pci_disable_device(pdev);
	return ret;
}

/* The last file of the session went: back to IDLE, for the next one. */
static void uscheme_session_end(struct uscheme_pcifn *fn)
{
	lockdep_assert_held(&fn->lock);
	if (fn->state == USCHEME_SESSION_ACTIVE)
		uscheme_session_teardown(fn, false);
	uscheme_irq_free_vecs(fn);
	fn->state = USCHEME_SESSION_IDLE;
}

/*
 * Unbound during a session: take the hardware back now, and make every
 * mapping of the session fault from here on.
 */
static void uscheme_session_revoke(struct uscheme_pcifn *fn)
{
	lockdep_assert_held(&fn->lock);
	uscheme_session_unmap(fn, false);
	uscheme_session_teardown(fn, true);
	fn->state = USCHEME_SESSION_REVOKED;
	pci_info(fn->pdev, "uscheme: session revoked by unbind\n");
}

/*
 * A new file of @fn's session (called with fn->lock held, session live):
 * @fops with a struct uscheme_devfile as private_data, named
 * "pcidev:ADDRESS@what", for BAR @bar or the DMA buffer or interrupt vector
 * @obj. Returns the installed fd.
 */
int uscheme_devfile_install(struct uscheme_pcifn *fn, enum uscheme_devfile_kind kind,
			    const struct file_operations *fops, const char *what,
			    loff_t size, u32 oflags, int bar, void *obj)
{
	struct uscheme_devfile *df;
	struct file *file;
	char name[64];
	int fd;

	lockdep_assert_held(&fn->lock);
	df = kzalloc(sizeof(*df), GFP_KERNEL_ACCOUNT);
	if (!df)
		return -ENOMEM;
	fd = get_unused_fd_flags(oflags & O_CLOEXEC);
	if (fd < 0) {
		kfree(df);
		return fd;
	}
	snprintf(name, sizeof(name), USCHEME_PCIDEV_SCHEME ":%s%s", fn->name, what);
	file = uscheme_pseudo_file(name, fops, df, O_RDWR | (oflags & O_NONBLOCK), size);
	if (IS_ERR(file)) {
		put_unused_fd(fd);
		kfree(df);
		return PTR_ERR(file);
	}
	kref_get(&fn->ref);
	df->fn = fn;
	df->kind = kind;
	df->mapping = file->f_mapping;
	if (kind == USCHEME_DEVFILE_BAR)
		df->bar = bar;
	else if (kind == USCHEME_DEVFILE_DMA)
		df->buf = obj;
	else if (kind == USCHEME_DEVFILE_IRQ)
		df->vec = obj;
	list_add_tail(&df->node, &fn->session_files);
	fn->files++;
	if (fn->defer) {
		/* The caller installs it (uscheme_devfile_finish()). */
		fn->deferred = file;
		fn->deferred_fd = fd;
		return fd;
	}
	fd_install(fd, file);
	return fd;
}

/* Ask the next uscheme_devfile_install() to defer its fd_install(). */
static void uscheme_devfile_defer(struct uscheme_pcifn *fn)
{
	lockdep_assert_held(&fn->lock);
	fn->defer = true;
	fn->deferred = NULL;
}

/* The deferred file (or NULL) and its reserved fd; fn->lock held. */
static struct file *uscheme_devfile_take(struct uscheme_pcifn *fn, int *fd)
{
	struct file *file = fn->deferred;

	lockdep_assert_held(&fn->lock);
	*fd = fn->deferred_fd;
	fn->deferred = NULL;
	fn->defer = false;
	return file;
}

/*
 * Without fn->lock: install a deferred @file at its reserved @fd when
 * @publish, else give both back (the file's release undoes the rest).
 */
static void uscheme_devfile_finish(struct file *file, int fd, bool publish)
{
	if (!file)
		return;
	if (publish) {
		fd_install(fd, file);
		return;
	}
	put_unused_fd(fd);
	fput(file);
}

/* The ->release of every session file. */
int uscheme_devfile_release(struct inode *inode, struct file *file)
{
	struct uscheme_devfile *df = file->private_data;
	struct uscheme_pcifn *fn = df->fn;

	mutex_lock(&fn->lock);
	list_del(&df->node);
	if (df->kind == USCHEME_DEVFILE_DMA)
		uscheme_dma_release(fn, df->buf);
	if (!--fn->files)
		uscheme_session_end(fn);
	mutex_unlock(&fn->lock);
	uscheme_pcifn_put(fn);
	kfree(df);
	return 0;
}

/* Config space: pread. */
static ssize_t uscheme_fn_read(struct file *file, char __user *ubuf, size_t count,
			       loff_t *ppos)
{
	struct uscheme_devfile *df = file->private_data;
	struct uscheme_pcifn *fn = df->fn;
	loff_t pos = *ppos;
	ssize_t ret;
	u8 *buf;

	if (pos < 0)
		return -EINVAL;
	if (pos >= fn->policy.size || !count)
		return 0;
	count = min_t(size_t, count, fn->policy.size - pos);
	buf = kmalloc(count, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	mutex_lock(&fn->lock);
	ret = uscheme_session_live(fn) ? uscheme_cfg_read(fn->pdev, pos, buf, count) : -ENODEV;
	mutex_unlock(&fn->lock);
	if (ret > 0) {
		if (copy_to_user(ubuf, buf, ret))
			ret = -EFAULT;
		else
			*ppos = pos + ret;
	}
	kfree(buf);
	return ret;
}

/*
 * A checked config write (fn->lock held, session live; the command register
 * holds @cmd). Memory decode going off zaps the BAR mappings before the
 * write, so no access through them reaches a BAR that does not decode: the
 * fault handler, which takes fn->lock, cannot map them again before
 * fn->decode says off (as VFIO's vfio_pci_zap_and_down_write_memory_lock()).
 */
static ssize_t uscheme_fn_cfg_write(struct uscheme_pcifn *fn, u32 pos, const u8 *buf,
				    u32 count, u16 cmd)
{
	u16 new_cmd = uscheme_cfg_new_cmd(pos, buf, count, cmd);
	ssize_t ret;

	lockdep_assert_held(&fn->lock);
	if ((fn->decode & PCI_COMMAND_MEMORY) && !(new_cmd & PCI_COMMAND_MEMORY))
		uscheme_session_unmap(fn, true);
	ret = uscheme_cfg_write(fn->pdev, pos, buf, count);
	if (new_cmd != cmd) {
		/* what the device took, even from a partial write */
		pci_read_config_word(fn->pdev, PCI_COMMAND, &cmd);
		fn->decode = cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	}
	return ret;
}

/* Config space: pwrite, checked whole against the policy (config.c). */
static ssize_t uscheme_fn_write(struct file *file, const char __user *ubuf,
				size_t count, loff_t *ppos)
{
	struct uscheme_devfile *df = file->private_data;
	struct uscheme_pcifn *fn = df->fn;
	loff_t pos = *ppos;
	ssize_t ret;
	u16 cmd;
	u8 *buf;

	if (!count)
		return 0;
	if (pos < 0 || pos >= fn->policy.size || count > fn->policy.size - pos)
		return -EINVAL;
	buf = memdup_user(ubuf, count);
	if (IS_ERR(buf))
		return PTR_ERR(buf);
	mutex_lock(&fn->lock);
	if (!uscheme_session_live(fn)) {
		ret = -ENODEV;
	} else {
		pci_read_config_word(fn->pdev, PCI_COMMAND, &cmd);
		ret = uscheme_cfg_write_check(&fn->policy, pos, buf, count, cmd);
		if (!ret)
			ret = uscheme_fn_cfg_write(fn, pos, buf, count, cmd);
	}
	mutex_unlock(&fn->lock);
	if (ret > 0)
		*ppos = pos + ret;
	kfree(buf);
	return ret;
}

static loff_t uscheme_fn_llseek(struct file *file, loff_t off, int whence)
{
	struct uscheme_devfile *df = file->private_data;

	return fixed_size_llseek(file, off, whence, df->fn->policy.size);
}

static void uscheme_fn_info(struct uscheme_pcifn *fn, struct uscheme_pci_info *info)
{
	struct pci_dev *pdev = fn->pdev;
	int i, n;

	memset(info, 0, sizeof(*info));
	info->vendor = pdev->vendor;
	info->device = pdev->device;
	info->subvendor = pdev->subsystem_vendor;
	info->subdevice = pdev->subsystem_device;
	info->class_code = pdev->class;
	info->revision = pdev->revision;
	info->irq_pin = pdev->pin;
	info->cfg_size = fn->policy.size;
	n = pci_msix_vec_count(pdev);
	if (n > 0) {
		info->irq_modes |= USCHEME_IRQ_MSIX;
		info->msix_vectors = n;
	}
	n = pci_msi_vec_count(pdev);
	if (n > 0) {
		info->irq_modes |= USCHEME_IRQ_MSI;
		info->msi_vectors = n;
	}
	if (pdev->pin && pdev->irq && pci_intx_mask_supported(pdev))
		info->irq_modes |= USCHEME_IRQ_INTX;
	for (i = 0; i < USCHEME_PCI_BARS; i++) {
		unsigned long flags = pci_resource_flags(pdev, i);
		struct uscheme_pci_bar *b = &info->bars[i];

		b->size = pci_resource_len(pdev, i);
		if (!b->size)
			continue;
		if (flags & IORESOURCE_MEM)
			b->flags |= USCHEME_BAR_MEM;
		if (flags & IORESOURCE_MEM_64)
			b->flags |= USCHEME_BAR_64;
		if (flags & IORESOURCE_PREFETCH)
			b->flags |= USCHEME_BAR_PREFETCH;
		if (uscheme_bar_in_hole(fn, i, 0, b->size))
			b->flags |= USCHEME_BAR_MSIX;
	}
}

/* The ioctls deriving fds: copy in, act under fn->lock, copy out. */
static long uscheme_fn_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct uscheme_devfile *df = file->private_data;
	struct uscheme_pcifn *fn = df->fn;
	void __user *uarg = (void __user *)arg;
	union {
		struct uscheme_pci_info info;
		struct uscheme_pci_fd pfd;
		struct uscheme_dma dma;
		struct uscheme_irq_setup irq;
	} u;
	size_t size = _IOC_SIZE(cmd);
	struct file *new;
	long ret;
	int fd;

	switch (cmd) {
	case USCHEME_PIOC_INFO:
	case USCHEME_PIOC_MASTER:
		break;
	case USCHEME_PIOC_BAR_OPEN:
	case USCHEME_PIOC_DMA_ALLOC:
	case USCHEME_PIOC_IRQ_SETUP:
	case USCHEME_PIOC_IRQ_OPEN:
		if (copy_from_user(&u, uarg, size))
			return -EFAULT;
		break;
	default:
		return -ENOTTY;
	}
	if (cmd == USCHEME_PIOC_MASTER && arg > 1)
		return -EINVAL;

	mutex_lock(&fn->lock);
	uscheme_devfile_defer(fn);
	if (!uscheme_session_live(fn)) {
		ret = -ENODEV;
		goto out;
	}
	switch (cmd) {
	case USCHEME_PIOC_INFO:
		uscheme_fn_info(fn, &u.info);
		ret = 0;
		break;
	case USCHEME_PIOC_MASTER:
		if (arg)
			pci_set_master(fn->pdev);
		else
			pci_clear_master(fn->pdev);
		ret = 0;
		break;
	case USCHEME_PIOC_BAR_OPEN:
		ret = uscheme_bar_open(fn, &u.pfd);
		break;
	case USCHEME_PIOC_DMA_ALLOC:
		ret = uscheme_dma_alloc(fn, &u.dma);
		break;
	case USCHEME_PIOC_IRQ_SETUP:
		ret = uscheme_irq_setup(fn, &u.irq);
		break;
	default:
		ret = uscheme_irq_open(fn, &u.pfd);
		break;
	}
out:
	new = uscheme_devfile_take(fn, &fd);
	mutex_unlock(&fn->lock);
	if (!ret && cmd != USCHEME_PIOC_MASTER && copy_to_user(uarg, &u, size))
		ret = -EFAULT;	/* a new fd the caller cannot learn of: never installed */
	uscheme_devfile_finish(new, fd, !ret);
	return ret;
}

static const struct file_operations uscheme_fn_fops = {
	.owner		= THIS_MODULE,
	.read		= uscheme_fn_read,
	.write		= uscheme_fn_write,
	.llseek		= uscheme_fn_llseek,
	.unlocked_ioctl	= uscheme_fn_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= uscheme_devfile_release,
};

/* "pcidev:": one line per bound function. */
static int uscheme_pcidev_list(u32 flags, int __user *ufd)
{
	char *text = kmalloc(USCHEME_PCIDEV_TEXT_MAX, GFP_KERNEL_ACCOUNT);
	struct uscheme_pcifn *fn;
	size_t len = 0;
	int n;

	if (!text)
		return -ENOMEM;
	text[0] = '\0';
	mutex_lock(&uscheme_pcifns_lock);
	list_for_each_entry(fn, &uscheme_pcifns, node) {
		n = snprintf(text + len, USCHEME_PCIDEV_TEXT_MAX - len,
			     "%s %04x:%04x %06x %s\n", fn->name, fn->pdev->vendor,
			     fn->pdev->device, fn->pdev->class,
			     READ_ONCE(fn->state) == USCHEME_SESSION_IDLE ? "free" : "busy");
		if (n >= USCHEME_PCIDEV_TEXT_MAX - len) {
			text[len] = '\0';
			break;
		}
		len += n;
	}
	mutex_unlock(&uscheme_pcifns_lock);
	return uscheme_text_open_user(text, true, flags, USCHEME_PCIDEV_SCHEME ":", ufd);
}

/*
 * Open "pcidev:PATH": the listing, or a function handle (a new session).
 * See uapi/uscheme.h for the errors.
 */
int uscheme_pcidev_open(const char *path, u32 flags, int __user *ufd)
{
	struct uscheme_pcifn *fn, *it;
	struct file *new;
	int ret, fd;

	if (*path == '/')
		path++;
	if (!*path)
		return uscheme_pcidev_list(flags, ufd);
	if (!capable(CAP_SYS_RAWIO))
		return -EPERM;
	if (flags & O_DIRECTORY)
		return -ENOTDIR;
	if ((flags & O_ACCMODE) != O_RDWR || (flags & (O_CREAT | O_TRUNC | O_APPEND)))
		return -EACCES;

	fn = NULL;
	mutex_lock(&uscheme_pcifns_lock);
	list_for_each_entry(it, &uscheme_pcifns, node) {
		if (!strcmp(it->name, path)) {
			fn = it;
			kref_get(&fn->ref);
			break;
		}
	}
	mutex_unlock(&uscheme_pcifns_lock);
	if (!fn)
		return -ENOENT;

	mutex_lock(&fn->lock);
	uscheme_devfile_defer(fn);
	if (!fn->bound)
		ret = -ENODEV;
	else if (fn->state != USCHEME_SESSION_IDLE)
		ret = -EBUSY;
	else
		ret = uscheme_session_start(fn);
	if (!ret) {
		ret = uscheme_devfile_install(fn, USCHEME_DEVFILE_FN, &uscheme_fn_fops, "",
					      fn->policy.size, flags, 0, NULL);
		if (ret < 0 && !fn->files)
			uscheme_session_end(fn);
	}
	new = uscheme_devfile_take(fn, &fd);
	mutex_unlock(&fn->lock);
	/* The caller learns the number first; a failure ends the session again. */
	if (new && ufd && put_user(fd, ufd))
		ret = -EFAULT;
	uscheme_devfile_finish(new, fd, ret >= 0);
	uscheme_pcifn_put(fn);
	return ret;
}

static int uscheme_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct uscheme_pcifn *fn;
	int ret;

	/* Only ever a function the administrator handed over by name. */
	if (!uscheme_pci_has_driver_override(pdev))
		return -ENODEV;
	fn = kzalloc(sizeof(*fn), GFP_KERNEL);
	if (!fn)
		return -ENOMEM;
	kref_init(&fn->ref);
	fn->pdev = pci_dev_get(pdev);
	strscpy(fn->name, pci_name(pdev), sizeof(fn->name));
	mutex_init(&fn->lock);
	INIT_LIST_HEAD(&fn->session_files);
	INIT_LIST_HEAD(&fn->dma_bufs);
	fn->bound = true;
	fn->needs_reset = true;		/* whatever ran before us left its state */
	uscheme_cfg_policy_init(&fn->policy, pdev);
	uscheme_bar_holes_init(fn);

	ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(64));
	if (ret)
		ret = dma_set_mask_and_coherent(&pdev->dev, DMA_BIT_MASK(32));
	if (ret) {
		pci_err(pdev, "uscheme: no usable DMA mask\n");
		uscheme_pcifn_put(fn);
		return ret;
	}
	pci_set_drvdata(pdev, fn);
	mutex_lock(&uscheme_pcifns_lock);
	list_add_tail(&fn->node, &uscheme_pcifns);
	mutex_unlock(&uscheme_pcifns_lock);
	pci_info(pdev, "uscheme: served as " USCHEME_PCIDEV_SCHEME ":%s\n", fn->name);
	return 0;
}

static void uscheme_pci_remove(struct pci_dev *pdev)
{
	struct uscheme_pcifn *fn = pci_get_drvdata(pdev);

	mutex_lock(&uscheme_pcifns_lock);
	list_del(&fn->node);
	mutex_unlock(&uscheme_pcifns_lock);

	mutex_lock(&fn->lock);
	fn->bound = false;
	if (fn->state == USCHEME_SESSION_ACTIVE)
		uscheme_session_revoke(fn);
	mutex_unlock(&fn->lock);
	pci_set_drvdata(pdev, NULL);
	uscheme_pcifn_put(fn);
}

/* No ID table: driver_override is the only way in (pci_match_device()). */
static struct pci_driver uscheme_pci_driver = {
	.name		= "uscheme",
	.probe		= uscheme_pci_probe,
	.remove		= uscheme_pci_remove,
};

int uscheme_pci_init(void)
{
	return pci_register_driver(&uscheme_pci_driver);
}

void uscheme_pci_exit(void)
{
	pci_unregister_driver(&uscheme_pci_driver);
}
