/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Handles: what an OPEN returns. Each handle is a Linux file (its own inode
 * on uscheme's internal pseudo filesystem) whose read, write, fstat, fsync,
 * ftruncate and ioctls become requests to the scheme's daemon. Handles of
 * the kernel-served "sys" scheme hold a text snapshot instead.
 */
#ifndef _USCHEME_HANDLE_H
#define _USCHEME_HANDLE_H

#include <linux/fs.h>
#include <linux/refcount.h>

#include "opdef.h"
#include "request.h"

/*
 * A handle's lifetime: its file holds one reference (@users). The inode
 * outlives the file when an O_PATH fd of /proc/PID/fd/N holds it, and
 * fstat(2) or truncate(2) by path reach it without the file: the inode
 * points at the handle (i_private) only while the file lives, and inode
 * operations take a reference under i_lock. The last reference sends the
 * daemon its CLOSE and frees the handle, so no request for a handle ever
 * reaches its daemon after the CLOSE.
 */
struct uscheme_handle {
	refcount_t users;
	struct uscheme_scheme *scheme;	/* reference held; NULL for sys: */
	u64 id;				/* the daemon's id for it */
	struct uscheme_request *close_note; /* the CLOSE sent on release */
	struct list_head snode;		/* scheme->handles, under the scheme lock */
	struct hlist_node idnode;	/* scheme->handles_by_id, under the scheme lock */
	wait_queue_head_t wait;		/* woken when the daemon sets @mask */
	__poll_t mask;			/* readiness, as the daemon last set it */
	bool writable;			/* its file was opened for writing */
	char *text;			/* sys: the snapshot read */
	size_t text_len;
	bool dir;			/* sys: a directory */
};

struct uscheme_handle *uscheme_handle_of(struct file *file);
int uscheme_handle_install(struct uscheme_scheme *s, u64 id, u32 oflags,
			   const char *name, int __user *ufd);
int uscheme_text_open_user(char *text, bool dir, u32 flags, const char *name,
			   int __user *ufd);
int uscheme_sys_read(struct uscheme_handle *h, u64 pos, void __user *buf, u32 len);
void uscheme_sys_stat(struct uscheme_handle *h, struct uscheme_stat *st);
int uscheme_scheme_send_event(struct uscheme_scheme *s, u64 id, s32 ev);
void uscheme_scheme_hangup_handles(struct uscheme_scheme *s);
int uscheme_sync_op(struct uscheme_scheme *s, u64 id, const struct uscheme_op_args *a,
		    const struct uscheme_op_dest *d);
long uscheme_handle_ioctl(struct file *file, unsigned int cmd, unsigned long arg);

#endif /* _USCHEME_HANDLE_H */
