// SPDX-License-Identifier: GPL-2.0
/*
 * Handles as Linux files: what an OPEN or DUP made, their file operations,
 * and what a daemon does to them (SEND_EVENT, its death). The files live on
 * uscheme's pseudo filesystem (fs.c); text handles of kernel-served schemes
 * (kscheme.c, pci.c) are made here too.
 *
 * Every syscall on a handle becomes one request to
 * the scheme's daemon, made and waited for in the caller's context: the
 * caller sleeps interruptibly, and a signal cancels the request (the daemon
 * is sent a CANCEL) and returns -EINTR. Task work alone (io_uring's, for
 * this thread) is no signal: before the request is sent the syscall
 * restarts, after that the wait goes on (uscheme_request_wait()). Data
 * moves once each way, between the caller's buffer and the request's chunk
 * of the daemon's data area.
 *
 * Each handle gets its own inode, so that fstat() (->getattr) and
 * ftruncate() (->setattr) reach the daemon too.
 */
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/minmax.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uio.h>

#include "compat.h"
#include "fs.h"
#include "handle.h"
#include "opdef.h"
#include "trace.h"

/* What a handle of a dead daemon reports: its calls fail (-EPIPE) at once. */
#define USCHEME_HANDLE_HUP_MASK	(EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM | \
				 EPOLLERR | EPOLLHUP)
static const struct file_operations uscheme_handle_fops;
static const struct inode_operations uscheme_handle_iops;

struct uscheme_handle *uscheme_handle_of(struct file *file)
{
	return file->f_op == &uscheme_handle_fops ? file->private_data : NULL;
}

/*
 * The handle of a handle file's inode, with a reference; NULL once the
 * file is released (see struct uscheme_handle).
 */
static struct uscheme_handle *uscheme_inode_handle_get(struct inode *inode)
{
	struct uscheme_handle *h;

	spin_lock(&inode->i_lock);
	h = inode->i_private;
	if (h)
		refcount_inc(&h->users);	/* the file's reference is still held */
	spin_unlock(&inode->i_lock);
	return h;
}

/* A new handle, READ|WRITE ready until its daemon says otherwise. */
static struct uscheme_handle *uscheme_handle_alloc(void)
{
	struct uscheme_handle *h = kzalloc(sizeof(*h), GFP_KERNEL_ACCOUNT);

	if (!h)
		return NULL;
	refcount_set(&h->users, 1);
	INIT_LIST_HEAD(&h->snode);
	INIT_HLIST_NODE(&h->idnode);
	init_waitqueue_head(&h->wait);
	h->mask = EPOLLIN | EPOLLRDNORM | EPOLLOUT | EPOLLWRNORM;
	return h;
}

/*
 * Drop a reference to @h; the last one frees it and tells its daemon (see
 * struct uscheme_handle for who holds references).
 */
static void uscheme_handle_put(struct uscheme_handle *h)
{
	if (!refcount_dec_and_test(&h->users))
		return;
	if (h->scheme) {
		spin_lock(&h->scheme->lock);
		list_del(&h->snode);
		hash_del(&h->idnode);
		spin_unlock(&h->scheme->lock);
	}
	if (h->close_note)
		uscheme_notify_send(h->close_note, USCHEME_OP_CLOSE, h->id);
	if (h->scheme)
		uscheme_scheme_put(h->scheme);
	kfree(h->text);
	kfree(h);
}

/* A new file for @h, which it then owns. */
static struct file *uscheme_handle_file(struct uscheme_handle *h, u32 oflags,
					const char *name)
{
	struct file *file;

	file = uscheme_pseudo_file(name, &uscheme_handle_fops, h, oflags, 0);
	if (!IS_ERR(file)) {
		file_inode(file)->i_op = &uscheme_handle_iops;
		h->writable = file->f_mode & FMODE_WRITE;
	}
	return file;
}

/* Install @h as a new fd of the current process; on failure @h is freed. */
static int uscheme_handle_fd(struct uscheme_handle *h, u32 oflags, const char *name,
			     int __user *ufd)
{
	char label[96];
	struct file *file;

	/* Only the start of a long path: this is the name lsof shows. */
	strscpy(label, name, sizeof(label));
	file = uscheme_handle_file(h, oflags, label);
	if (IS_ERR(file)) {
		uscheme_handle_put(h);
		return PTR_ERR(file);
	}
	return uscheme_fd_publish(file, oflags, ufd);
}

/*
 * The daemon of @s opened handle @id for the current process: make it an
 * fd. On failure the daemon is sent a CLOSE for @id.
 */
int uscheme_handle_install(struct uscheme_scheme *s, u64 id, u32 oflags,
			   const char *name, int __user *ufd)
{
	struct uscheme_handle *h = uscheme_handle_alloc();

	if (!h || uscheme_notify_prealloc(s, &h->close_note)) {
		kfree(h);
		uscheme_notify(s, USCHEME_OP_CLOSE, id, 0);
		return -ENOMEM;
	}
	kref_get(&s->ref);
	h->scheme = s;
	h->id = id;
	spin_lock(&s->lock);
	list_add_tail(&h->snode, &s->handles);
	hash_add(s->handles_by_id, &h->idnode, id);
	/* A daemon that died before this handle was made: hung up from birth. */
	if (!s->ring)
		h->mask = USCHEME_HANDLE_HUP_MASK;
	spin_unlock(&s->lock);
	return uscheme_handle_fd(h, oflags, name, ufd);
}

/*
 * The daemon of @s is gone: its handles read and write (-EPIPE) at once and
 * report a hangup, and whoever waits on them is woken.
 */
void uscheme_scheme_hangup_handles(struct uscheme_scheme *s)
{
	struct uscheme_handle *h;

	spin_lock(&s->lock);
	list_for_each_entry(h, &s->handles, snode) {
		WRITE_ONCE(h->mask, USCHEME_HANDLE_HUP_MASK);
		/*
		 * The whole mask as the wakeup key: io_uring's POLL_ADD takes
		 * the key as the result, and must say what poll(2) says.
		 */
		wake_up_poll(&h->wait, USCHEME_HANDLE_HUP_MASK);
	}
	spin_unlock(&s->lock);
}

/*
 * The daemon of @s set the readiness of its handle @id to @ev
 * (USCHEME_EV_READ | USCHEME_EV_WRITE): every file with that id is woken.
 * Returns 0, -EINVAL (a bad mask) or -ENOENT (no such handle open).
 */
int uscheme_scheme_send_event(struct uscheme_scheme *s, u64 id, s32 ev)
{
	struct uscheme_handle *h;
	__poll_t mask = 0;
	int ret = -ENOENT;

	if (ev & ~(USCHEME_EV_READ | USCHEME_EV_WRITE))
		return -EINVAL;
	if (ev & USCHEME_EV_READ)
		mask |= EPOLLIN | EPOLLRDNORM;
	if (ev & USCHEME_EV_WRITE)
		mask |= EPOLLOUT | EPOLLWRNORM;
	spin_lock(&s->lock);
	/* More than one when a daemon answered two opens with one id. */
	hash_for_each_possible(s->handles_by_id, h, idnode, id) {
		if (h->id != id)
			continue;
		WRITE_ONCE(h->mask, mask);
		wake_up_all(&h->wait);
		ret = 0;
	}
	spin_unlock(&s->lock);
	return ret;
}

/*
 * A read-only handle of a kernel-served scheme holding @text (a snapshot,
 * taken over; freed on failure too), a directory if @dir: an fd, whose
 * number @ufd (if not NULL) learns before it is installed.
 */
int uscheme_text_open_user(char *text, bool dir, u32 flags, const char *name,
			   int __user *ufd)
{
	struct uscheme_handle *h;

	if (!text)
		return -ENOMEM;
	if ((flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC))) {
		kfree(text);
		return -EACCES;
	}
	if ((flags & O_DIRECTORY) && !dir) {
		kfree(text);
		return -ENOTDIR;
	}
	h = uscheme_handle_alloc();
	if (!h) {
		kfree(text);
		return -ENOMEM;
	}
	h->mask = EPOLLIN | EPOLLRDNORM;
	h->dir = dir;
	h->text = text;
	h->text_len = strlen(text);
	return uscheme_handle_fd(h, flags, name, ufd);
}

/* Copy out of a sys: handle's text at @pos; bytes copied or -EFAULT. */
int uscheme_sys_read(struct uscheme_handle *h, u64 pos, void __user *buf, u32 len)
{
	if (pos >= h->text_len)
		return 0;
	len = min_t(u64, len, h->text_len - pos);
	return copy_to_user(buf, h->text + pos, len) ? -EFAULT : len;
}

/*
 * A syscall's request of scheme @s for its handle @id, admitted with a chunk
 * of @chunk bytes
 * (zeroed by admission): the caller fills in the op's arguments, then calls
 * uscheme_sync_run(). ERR_PTR on failure.
 */
static struct uscheme_request *uscheme_sync_begin(struct uscheme_scheme *s,
						  u64 id, u8 opcode, u32 chunk)
{
	struct uscheme_request *r = uscheme_request_alloc(s, opcode);
	int ret;

	if (!r)
		return ERR_PTR(-ENOMEM);
	ret = uscheme_request_admit(r, chunk);
	if (ret) {
		uscheme_request_put(r);
		return ERR_PTR(ret);
	}
	r->req.id = id;
	return r;
}

/* Send an admitted request and wait for its answer: its result. */
static int uscheme_sync_run(struct uscheme_request *r)
{
	int ret = uscheme_request_queue(r);

	return ret ? ret : uscheme_request_wait(r);
}

/*
 * One routed op in the caller's context, for a handle's syscalls and the
 * blocking OPEN alike: built from @a by the op table, sent to @s's daemon
 * (for its handle @id), waited for, and completed into @d. Returns the
 * op's result.
 */
int uscheme_sync_op(struct uscheme_scheme *s, u64 id, const struct uscheme_op_args *a,
		    const struct uscheme_op_dest *d)
{
	const struct uscheme_opdef *def = &uscheme_opdefs[a->opcode];
	struct uscheme_request *r;
	int ret;

	trace_uscheme_submit(NULL, a->opcode, -1, 0, a->len);
	r = uscheme_sync_begin(s, id, a->opcode, def->chunk(a));
	if (IS_ERR(r))
		return PTR_ERR(r);
	ret = def->prep(r, a);
	if (ret)
		return uscheme_request_abort(r, ret);
	ret = uscheme_sync_run(r);
	if (ret >= 0 && def->complete)
		ret = def->complete(r, ret, d);
	trace_uscheme_complete(NULL, a->opcode, r->req.tag, 0, ret);
	uscheme_request_put(r);
	return ret;
}

static ssize_t uscheme_handle_read_iter(struct kiocb *iocb, struct iov_iter *to)
{
	struct uscheme_handle *h = iocb->ki_filp->private_data;
	size_t len = min_t(size_t, iov_iter_count(to), USCHEME_IO_MAX);
	struct uscheme_op_args a = {
		.opcode = USCHEME_OP_READ, .off = iocb->ki_pos, .len = len,
	};
	struct uscheme_op_dest d = { .iter = to };
	ssize_t ret;

	if (!h->scheme) {
		if (iocb->ki_pos < 0 || iocb->ki_pos >= h->text_len)
			return 0;
		ret = copy_to_iter(h->text + iocb->ki_pos,
				   min_t(size_t, len, h->text_len - iocb->ki_pos), to);
		iocb->ki_pos += ret;
		return ret;
	}
	if (!len)
		return 0;
	if (iocb->ki_flags & IOCB_NOWAIT)
		return -EAGAIN;
	ret = uscheme_sync_op(h->scheme, h->id, &a, &d);
	if (ret > 0)
		iocb->ki_pos += ret;
	return ret;
}

static ssize_t uscheme_handle_write_iter(struct kiocb *iocb, struct iov_iter *from)
{
	struct uscheme_handle *h = iocb->ki_filp->private_data;
	size_t len = min_t(size_t, iov_iter_count(from), USCHEME_IO_MAX);
	struct uscheme_op_args a = {
		.opcode = USCHEME_OP_WRITE, .off = iocb->ki_pos, .len = len, .iter = from,
	};
	struct uscheme_op_dest d = {};
	ssize_t ret;

	if (!h->scheme)
		return -EBADF;
	if (!len)
		return 0;
	if (iocb->ki_flags & IOCB_NOWAIT)
		return -EAGAIN;
	ret = uscheme_sync_op(h->scheme, h->id, &a, &d);
	/* With O_APPEND the daemon chose the place; the position stays. */
	if (ret > 0 && !(iocb->ki_flags & IOCB_APPEND))
		iocb->ki_pos += ret;
	return ret;
}

/* An op with no data: FSYNC, FTRUNCATE. */
static int uscheme_handle_simple(struct uscheme_handle *h, u8 opcode, u64 off)
{
	struct uscheme_op_args a = { .opcode = opcode, .off = off };
	struct uscheme_op_dest d = {};

	if (!h->scheme)
		return -EINVAL;
	return uscheme_sync_op(h->scheme, h->id, &a, &d);
}

static int uscheme_handle_fsync(struct file *file, loff_t start, loff_t end,
				int datasync)
{
	return uscheme_handle_simple(file->private_data, USCHEME_OP_FSYNC, 0);
}

/* What fstat says of a sys: handle (also its ring FSTAT). */
void uscheme_sys_stat(struct uscheme_handle *h, struct uscheme_stat *st)
{
	memset(st, 0, sizeof(*st));
	st->mode = h->dir ? S_IFDIR | 0555 : S_IFREG | 0444;
	st->size = h->text_len;
	st->nlink = 1;
}

static int uscheme_handle_fstat(struct uscheme_handle *h, struct uscheme_stat *st)
{
	struct uscheme_op_args a = { .opcode = USCHEME_OP_FSTAT, .len = sizeof(*st) };
	struct uscheme_op_dest d = { .stat = st };

	if (!h->scheme) {
		uscheme_sys_stat(h, st);
		return 0;
	}
	return uscheme_sync_op(h->scheme, h->id, &a, &d);
}

static struct timespec64 uscheme_ns_to_ts(u64 ns)
{
	return ns_to_timespec64(min_t(u64, ns, S64_MAX));
}

/* fstat(2) and stat(2) of /proc/.../fd/N: the daemon's FSTAT answer. */
static int uscheme_handle_getattr(USCHEME_IDMAP_ARG, const struct path *path,
				  struct kstat *stat, u32 mask, unsigned int flags)
{
	struct inode *inode = d_inode(path->dentry);
	struct uscheme_handle *h = uscheme_inode_handle_get(inode);
	kuid_t uid = INVALID_UID;
	kgid_t gid = INVALID_GID;
	struct uscheme_stat st;
	int ret;

	if (!h)
		return -ESTALE;	/* only an O_PATH fd is left: the handle is closed */
	ret = uscheme_handle_fstat(h, &st);
	if (!ret && h->scheme) {
		uid = make_kuid(h->scheme->user_ns, st.uid);
		gid = make_kgid(h->scheme->user_ns, st.gid);
	} else if (!ret) {
		uid = GLOBAL_ROOT_UID;	/* sys: the kernel's */
		gid = GLOBAL_ROOT_GID;
	}
	uscheme_handle_put(h);
	if (ret)
		return ret;
	stat->result_mask = STATX_BASIC_STATS;
	stat->dev = inode->i_sb->s_dev;
	stat->ino = inode->i_ino;
	stat->rdev = 0;
	stat->mode = st.mode;
	stat->nlink = st.nlink;
	stat->uid = uid;	/* unmapped: shown as the overflow id */
	stat->gid = gid;
	stat->size = st.size;
	stat->blocks = st.blocks;
	stat->blksize = st.blksize ? st.blksize : PAGE_SIZE;
	stat->atime = uscheme_ns_to_ts(st.atime_ns);
	stat->mtime = uscheme_ns_to_ts(st.mtime_ns);
	stat->ctime = uscheme_ns_to_ts(st.ctime_ns);
	return 0;
}

/* ftruncate(2): FTRUNCATE. Times follow the daemon; nothing else changes. */
static int uscheme_handle_setattr(USCHEME_IDMAP_ARG, struct dentry *dentry,
				  struct iattr *attr)
{
	unsigned int ignored = ATTR_MTIME | ATTR_CTIME | ATTR_ATIME | ATTR_FILE |
			       ATTR_OPEN | ATTR_KILL_SUID | ATTR_KILL_SGID |
			       ATTR_KILL_PRIV;
	struct uscheme_handle *h;
	int ret;

	if (attr->ia_valid & ~(ATTR_SIZE | ignored))
		return -EPERM;
	if (!(attr->ia_valid & ATTR_SIZE))
		return 0;
	/*
	 * ftruncate(2) checked its file's mode. truncate(2) by path (through
	 * /proc/PID/fd/N) checks only the inode's permission bits: the
	 * handle's own open mode decides, as the daemon granted it.
	 */
	if ((attr->ia_valid & ATTR_FILE) && !(attr->ia_file->f_mode & FMODE_WRITE))
		return -EBADF;
	h = uscheme_inode_handle_get(d_inode(dentry));
	if (!h)
		return -ESTALE;	/* truncate(2) by path after the last close */
	ret = h->writable ? uscheme_handle_simple(h, USCHEME_OP_FTRUNCATE, attr->ia_size) :
			    -EACCES;
	uscheme_handle_put(h);
	return ret;
}

static long uscheme_handle_dup(struct file *file, struct uscheme_dup __user *uarg)
{
	struct uscheme_handle *h = file->private_data;
	struct uscheme_op_args a = { .opcode = USCHEME_OP_DUP };
	struct uscheme_op_dest d = { .ufd = &uarg->fd };
	struct uscheme_dup dup;
	int ret;

	if (copy_from_user(&dup, uarg, sizeof(dup)))
		return -EFAULT;
	if (dup.resv0 || memchr_inv(dup.resv, 0, sizeof(dup.resv)))
		return -EINVAL;
	a.addr = dup.suffix;
	a.len = dup.len;
	a.op_flags = dup.flags;
	ret = uscheme_op_check(&a);
	if (ret)
		return ret;
	if (!h->scheme)
		return -EOPNOTSUPP;
	d.oflags = (file->f_flags & O_ACCMODE) | dup.flags;
	d.name = h->scheme->name;
	ret = uscheme_sync_op(h->scheme, h->id, &a, &d);
	return ret < 0 ? ret : 0;
}

static long uscheme_handle_call(struct file *file, struct uscheme_call __user *uarg)
{
	struct uscheme_handle *h = file->private_data;
	struct uscheme_op_args a = { .opcode = USCHEME_OP_CALL };
	struct uscheme_op_dest d = {};
	struct uscheme_call c;
	int ret;

	if (copy_from_user(&c, uarg, sizeof(c)))
		return -EFAULT;
	if (memchr_inv(c.resv, 0, sizeof(c.resv)))
		return -EINVAL;
	a.addr = c.in;
	a.len = c.in_len;
	a.addr2 = c.out;
	a.len2 = c.out_len;
	a.op_flags = c.op_flags;
	ret = uscheme_op_check(&a);
	if (ret)
		return ret;
	if (!h->scheme)
		return -EOPNOTSUPP;
	d.call_out = u64_to_user_ptr(c.out);
	ret = uscheme_sync_op(h->scheme, h->id, &a, &d);
	if (ret < 0)
		return ret;
	return put_user(ret, &uarg->result) ? -EFAULT : 0;
}

long uscheme_handle_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	switch (cmd) {
	case USCHEME_HIOC_DUP:
		return uscheme_handle_dup(file, (void __user *)arg);
	case USCHEME_HIOC_CALL:
		return uscheme_handle_call(file, (void __user *)arg);
	default:
		return -ENOTTY;
	}
}

/* The readiness the daemon last set (SEND_EVENT), READ|WRITE until then. */
static __poll_t uscheme_handle_poll(struct file *file, poll_table *pt)
{
	struct uscheme_handle *h = file->private_data;

	poll_wait(file, &h->wait, pt);
	return READ_ONCE(h->mask);
}

static int uscheme_handle_release(struct inode *inode, struct file *file)
{
	/* Inode operations find no handle from now on (they may hold one). */
	spin_lock(&inode->i_lock);
	inode->i_private = NULL;
	spin_unlock(&inode->i_lock);
	uscheme_handle_put(file->private_data);
	return 0;
}

static const struct file_operations uscheme_handle_fops = {
	.owner		= THIS_MODULE,
	.read_iter	= uscheme_handle_read_iter,
	.write_iter	= uscheme_handle_write_iter,
	.llseek		= no_seek_end_llseek,
	.fsync		= uscheme_handle_fsync,
	.poll		= uscheme_handle_poll,
	.unlocked_ioctl	= uscheme_handle_ioctl,
	.compat_ioctl	= compat_ptr_ioctl,
	.release	= uscheme_handle_release,
};

static const struct inode_operations uscheme_handle_iops = {
	.getattr	= uscheme_handle_getattr,
	.setattr	= uscheme_handle_setattr,
};
