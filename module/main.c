// SPDX-License-Identifier: GPL-2.0
/*
 * uscheme: Redox-style scheme IPC over submission/completion rings.
 *
 * This file is the front door: the /dev/uscheme misc device, its file
 * operations and ioctl decoding. One open is one ring instance (ring.c);
 * its enter, wait and release are enter.c's, its poll event.c's.
 *
 * The module cannot be unloaded while any ring exists: every open file
 * holds a reference on the module through the misc device's fops owner.
 */
#include <linux/atomic.h>
#include <linux/capability.h>
#include <linux/compat.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/fdtable.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/string.h>
#include <linux/uaccess.h>

#include "enter.h"
#include "event.h"
#include "fs.h"
#include "kscheme.h"
#include "op_open.h"
#include "opdef.h"
#include "pci.h"
#include "ring.h"
#include "scheme.h"

/* Ring instances alive now (readable as /sys/class/misc/uscheme/rings). */
static atomic_t uscheme_live_rings = ATOMIC_INIT(0);

static int uscheme_open(struct inode *inode, struct file *file)
{
	struct uscheme_ring *ring = uscheme_ring_alloc();

	if (!ring)
		return -ENOMEM;
	file->private_data = ring;
	atomic_inc(&uscheme_live_rings);
	return stream_open(inode, file);
}

static int uscheme_release(struct inode *inode, struct file *file)
{
	uscheme_ring_release(file->private_data);
	atomic_dec(&uscheme_live_rings);
	return 0;
}

static long uscheme_ioctl_setup(struct uscheme_ring *ring,
				struct uscheme_params __user *uarg)
{
	struct uscheme_params p;
	int ret;

	if (copy_from_user(&p, uarg, sizeof(p)))
		return -EFAULT;
	/* Output fields are ignored on input. */
	p.cqe_size = 0;
	p.features = 0;
	p.ring_size = 0;
	p.sqes_size = 0;
	p.cqes_size = 0;
	ret = uscheme_ring_setup(ring, &p);
	if (ret)
		return ret;
	/*
	 * The ring stays set up if this copy fails; the caller can still
	 * learn the layout from the ring header.
	 */
	return copy_to_user(uarg, &p, sizeof(p)) ? -EFAULT : 0;
}

static long uscheme_ioctl_stats(struct uscheme_ring *ring,
				struct uscheme_stats __user *uarg)
{
	struct uscheme_stats st;

	if (!uscheme_ring_is_ready(ring))
		return -EBADFD;
	uscheme_ring_get_stats(ring, &st);
	return copy_to_user(uarg, &st, sizeof(st)) ? -EFAULT : 0;
}

static long uscheme_ioctl_register(struct uscheme_ring *ring,
				   struct uscheme_register __user *uarg)
{
	struct uscheme_register reg;

	if (copy_from_user(&reg, uarg, sizeof(reg)))
		return -EFAULT;
	if (!uscheme_ring_is_ready(ring))
		return -EBADFD;
	if (!uscheme_ring_is_scheme(ring) || reg.flags ||
	    memchr_inv(reg.resv, 0, sizeof(reg.resv)) ||
	    uscheme_scheme_name_check(reg.name, sizeof(reg.name)) < 0)
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (uscheme_kernel_scheme(reg.name))
		return -EEXIST;	/* served by the kernel itself */
	return uscheme_scheme_register(ring, reg.name);
}

static long uscheme_ioctl_open(struct uscheme_open __user *uarg)
{
	struct uscheme_open o;
	char *spec;
	int fd;

	if (copy_from_user(&o, uarg, sizeof(o)))
		return -EFAULT;
	if (memchr_inv(o.resv, 0, sizeof(o.resv)))
		return -EINVAL;
	spec = strndup_user(u64_to_user_ptr(o.path), USCHEME_PATH_MAX);
	if (IS_ERR(spec))
		return PTR_ERR(spec) == -EINVAL ? -ENAMETOOLONG : PTR_ERR(spec);
	fd = uscheme_open_sync(spec, o.flags, &uarg->fd);
	kfree(spec);
	return fd < 0 ? fd : 0;
}

static long uscheme_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct uscheme_ring *ring = file->private_data;
	void __user *uarg = (void __user *)arg;
	u64 features;

	switch (cmd) {
	case USCHEME_IOC_SETUP:
		return uscheme_ioctl_setup(ring, uarg);
	case USCHEME_IOC_ENTER:
		return uscheme_ring_enter(ring, uarg);
	case USCHEME_IOC_STATS:
		return uscheme_ioctl_stats(ring, uarg);
	case USCHEME_IOC_REGISTER:
		return uscheme_ioctl_register(ring, uarg);
	case USCHEME_IOC_OPEN:
		return uscheme_ioctl_open(uarg);
	case USCHEME_IOC_FEATURES:
		features = USCHEME_FEATURES;
		return copy_to_user(uarg, &features, sizeof(features)) ? -EFAULT : 0;
	default:
		return -ENOTTY;
	}
}

static int uscheme_mmap(struct file *file, struct vm_area_struct *vma)
{
	return uscheme_ring_mmap(file->private_data, vma);
}

static __poll_t uscheme_poll(struct file *file, poll_table *pt)
{
	return uscheme_ring_poll(file->private_data, file, pt);
}

static const struct file_operations uscheme_fops = {
	.owner		= THIS_MODULE,
	.open		= uscheme_open,
	.release	= uscheme_release,
	.unlocked_ioctl	= uscheme_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.mmap		= uscheme_mmap,
	.poll		= uscheme_poll,
};

static ssize_t rings_show(struct device *dev, struct device_attribute *attr,
			  char *buf)
{
	return sysfs_emit(buf, "%d\n", atomic_read(&uscheme_live_rings));
}
static DEVICE_ATTR_RO(rings);

static struct attribute *uscheme_attrs[] = {
	&dev_attr_rings.attr,
	NULL,
};
ATTRIBUTE_GROUPS(uscheme);

static struct miscdevice uscheme_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "uscheme",
	.fops	= &uscheme_fops,
	.groups	= uscheme_groups,
	/* Rings are unprivileged, like io_uring; privileged ops check per op. */
	.mode	= 0666,
};

static int __init uscheme_init(void)
{
	int ret;

	/* The ABI's sizes and layout, as documented in uapi/uscheme.h. */
	BUILD_BUG_ON(sizeof(struct uscheme_sqe) != 64);
	BUILD_BUG_ON(sizeof(struct uscheme_req) != 64);
	BUILD_BUG_ON(sizeof(struct uscheme_cqe) != 16);
	BUILD_BUG_ON(sizeof(struct uscheme_cqe32) != 32);
	BUILD_BUG_ON(sizeof(struct uscheme_params) != 72);
	BUILD_BUG_ON(sizeof(struct uscheme_enter) != 48);
	BUILD_BUG_ON(sizeof(struct uscheme_stats) != 128);
	BUILD_BUG_ON(sizeof(struct uscheme_ring_hdr) != 128);
	BUILD_BUG_ON(offsetof(struct uscheme_ring_hdr, cq_head) != 64);
	BUILD_BUG_ON(offsetof(struct uscheme_sqe, user_data) != 32);
	BUILD_BUG_ON(offsetof(struct uscheme_req, tag) != 8);
	BUILD_BUG_ON(sizeof(struct uscheme_register) != USCHEME_NAME_MAX + 32);
	BUILD_BUG_ON(sizeof(struct uscheme_stat) != 64);
	BUILD_BUG_ON(sizeof(struct uscheme_open) != 32);
	BUILD_BUG_ON(sizeof(struct uscheme_dup) != 40);
	BUILD_BUG_ON(sizeof(struct uscheme_call) != 48);
	BUILD_BUG_ON(sizeof(struct uscheme_fu_entry) != 32);
	BUILD_BUG_ON(sizeof(struct uscheme_pci_bar) != 16);
	BUILD_BUG_ON(sizeof(struct uscheme_pci_info) != 40 + 6 * 16);
	BUILD_BUG_ON(sizeof(struct uscheme_pci_fd) != 16);
	BUILD_BUG_ON(sizeof(struct uscheme_dma) != 40);
	BUILD_BUG_ON(sizeof(struct uscheme_irq_setup) != 16);
	BUILD_BUG_ON(USCHEME_EV_READ != (__force u32)EPOLLIN ||
		     USCHEME_EV_WRITE != (__force u32)EPOLLOUT ||
		     USCHEME_EV_ERR != (__force u32)EPOLLERR ||
		     USCHEME_EV_HUP != (__force u32)EPOLLHUP);
	BUILD_BUG_ON(USCHEME_IO_MAX > USCHEME_DATA_MIN);

	ret = uscheme_opdefs_init();
	if (ret)
		return ret;
	uscheme_ring_fops_init(&uscheme_fops);
	ret = uscheme_fs_init();
	if (ret)
		return ret;
	ret = misc_register(&uscheme_misc);
	if (ret)
		goto fs_exit;
	ret = uscheme_pci_init();
	if (ret)
		goto misc_exit;
	return 0;

misc_exit:
	misc_deregister(&uscheme_misc);
fs_exit:
	uscheme_fs_exit();
	return ret;
}

static void __exit uscheme_exit(void)
{
	uscheme_pci_exit();
	misc_deregister(&uscheme_misc);
	uscheme_fs_exit();
}

module_init(uscheme_init);
module_exit(uscheme_exit);

MODULE_DESCRIPTION("uscheme: Redox-style scheme IPC over submission/completion rings");
MODULE_AUTHOR("The uscheme developers");
MODULE_LICENSE("GPL");
MODULE_VERSION("0.1.0");
