// SPDX-License-Identifier: GPL-2.0
/*
 * uscheme's internal pseudo filesystem: every handle and every device file
 * of a PCI session is a file with an inode of its own here, so that fstat()
 * (->getattr) and ftruncate() (->setattr) reach a handle's daemon, and
 * unmap_mapping_range() on a device file reaches exactly its own mappings.
 * Also: making a file a new fd of the caller.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/module.h>
#include <linux/mount.h>
#include <linux/pseudo_fs.h>

#include "compat.h"
#include "fs.h"

#define USCHEME_FS_MAGIC	0x75736368	/* "usch" */

static struct vfsmount *uscheme_mnt;

static int uscheme_fs_init_fs_context(struct fs_context *fc)
{
	return init_pseudo(fc, USCHEME_FS_MAGIC) ? 0 : -ENOMEM;
}

static struct file_system_type uscheme_fs_type = {
	.name			= "uscheme",
	.init_fs_context	= uscheme_fs_init_fs_context,
	.kill_sb		= kill_anon_super,
};

int uscheme_fs_init(void)
{
	uscheme_mnt = kern_mount(&uscheme_fs_type);
	return PTR_ERR_OR_ZERO(uscheme_mnt);
}

void uscheme_fs_exit(void)
{
	kern_unmount(uscheme_mnt);
}

/*
 * A new file with its own inode on uscheme's pseudo filesystem (so that
 * unmap_mapping_range() on it reaches exactly its own mappings): @fops,
 * @priv as private_data, i_size @size. Holds a module reference, dropped by
 * fput() through fops_put(), since alloc_file_pseudo() takes none.
 */
struct file *uscheme_pseudo_file(const char *name, const struct file_operations *fops,
				 void *priv, u32 oflags, loff_t size)
{
	struct inode *inode;
	struct file *file;

	if (!try_module_get(THIS_MODULE))
		return ERR_PTR(-ENOENT);
	inode = alloc_anon_inode(uscheme_mnt->mnt_sb);
	if (IS_ERR(inode)) {
		module_put(THIS_MODULE);
		return ERR_CAST(inode);
	}
	inode->i_mode = S_IFREG | 0600;
	inode->i_size = size;
	inode->i_private = priv;
	file = alloc_file_pseudo(inode, uscheme_mnt, name,
				 oflags & (O_ACCMODE | O_NONBLOCK), fops);
	if (IS_ERR(file)) {
		iput(inode);
		module_put(THIS_MODULE);
		return file;
	}
	file->private_data = priv;
	uscheme_file_seekable(file);
	return file;
}

/*
 * Make @file a new fd of the current process (O_CLOEXEC from @oflags) and,
 * with @ufd, tell the caller its number there first: fd_install() is the
 * last step, since nothing may fail once another thread can see the fd.
 * The reference on @file is taken over (dropped on failure). Returns the fd.
 */
int uscheme_fd_publish(struct file *file, u32 oflags, int __user *ufd)
{
	int fd = get_unused_fd_flags(oflags & O_CLOEXEC);

	if (fd >= 0 && ufd && put_user(fd, ufd)) {
		put_unused_fd(fd);
		fd = -EFAULT;
	}
	if (fd < 0) {
		fput(file);
		return fd;
	}
	fd_install(fd, file);
	return fd;
}
