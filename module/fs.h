/* SPDX-License-Identifier: GPL-2.0 */
/* uscheme's internal pseudo filesystem (fs.c), and new fds. */
#ifndef _USCHEME_FS_H
#define _USCHEME_FS_H

#include <linux/fs.h>
#include <linux/types.h>

int uscheme_fs_init(void);
void uscheme_fs_exit(void);
struct file *uscheme_pseudo_file(const char *name, const struct file_operations *fops,
				 void *priv, u32 oflags, loff_t size);
int uscheme_fd_publish(struct file *file, u32 oflags, int __user *ufd);

#endif /* _USCHEME_FS_H */
