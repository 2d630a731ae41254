// SPDX-License-Identifier: GPL-2.0
/*
 * Client rings: routed ops submitted as SQEs. uscheme_client_issue() turns a
 * validated SQE into a request (or completes it at once: errors, the
 * kernel-served sys scheme, CLOSE, CANCEL); the daemon's answer puts the
 * request on the ring's done list; the submitting process finishes it in its next enter
 * (copies results out, installs fds, posts the CQE with the reservation
 * the SQE took). Closing the ring cancels what is still in flight.
 */
#include <linux/file.h>
#include <linux/fdtable.h>
#include <linux/minmax.h>
#include <linux/sched/mm.h>
#include <linux/slab.h>
#include <linux/uaccess.h>

#include "client.h"
#include "handle.h"
#include "kscheme.h"
#include "op_open.h"
#include "opdef.h"
#include "trace.h"

/* Route an admitted request for @ring's process; -EIOCBQUEUED or an error. */
static int uscheme_client_send(struct uscheme_ring *ring, struct uscheme_request *r,
			       const struct uscheme_sqe *sqe)
{
	int ret;

	r->user_data = sqe->user_data;
	uscheme_ring_get(ring);
	r->client = ring;
	mmgrab(current->mm);
	r->mm = current->mm;
	ret = uscheme_request_queue_plugged(r, ring->plug);
	if (ret) {
		uscheme_request_put(r);
		return ret;
	}
	return -EIOCBQUEUED;
}

/*
 * Admit @r with a (zeroed) chunk of @chunk bytes, without sleeping: the
 * caller holds @ring's submit_lock, which other threads of the ring need,
 * and a daemon decides when room comes. On failure @r is put; -EAGAIN (no
 * room now) leaves the scheme and size in @ring->blocked_on and
 * blocked_bytes, for the submit loop to wait on after it dropped the lock
 * (the SQE stays unconsumed).
 */
static int uscheme_client_admit(struct uscheme_ring *ring, struct uscheme_request *r,
				u32 chunk)
{
	int ret;

	lockdep_assert_held(&ring->submit_lock);
	ret = uscheme_request_try_admit(r, chunk);
	if (ret == -EAGAIN) {
		kref_get(&r->scheme->ref);
		ring->blocked_on = r->scheme;
		ring->blocked_bytes = chunk;
	}
	if (ret)
		uscheme_request_put(r);
	return ret;
}

/*
 * Build @r from @a by the op table: the pages its result lands in pinned
 * (OUT_BUF: addr's first chunk bytes, READ; OUT_BUF2: addr2, CALL), admitted
 * with its chunk, its fields and input filled in. On failure @r is put.
 */
static int uscheme_client_build(struct uscheme_ring *ring, struct uscheme_request *r,
				const struct uscheme_op_args *a)
{
	const struct uscheme_opdef *def = &uscheme_opdefs[a->opcode];
	u32 chunk = def->chunk(a);
	int ret = 0;

	if (def->flags & USCHEME_OPF_OUT_BUF)
		ret = uscheme_ubuf_pin(&r->out, a->addr, chunk);
	else if (def->flags & USCHEME_OPF_OUT_BUF2)
		ret = uscheme_ubuf_pin(&r->out, a->addr2, a->len2);
	if (ret) {
		uscheme_request_put(r);
		return ret;
	}
	ret = uscheme_client_admit(ring, r, chunk);
	if (ret)
		return ret;
	ret = def->prep(r, a);
	if (ret)
		return uscheme_request_abort(r, ret);
	return 0;
}

/* OPEN: the path copied in, a kernel-served scheme opened now, else routed. */
static int uscheme_client_open(struct uscheme_ring *ring, const struct uscheme_sqe *sqe,
			       struct uscheme_op_args *a)
{
	struct uscheme_scheme *s;
	struct uscheme_request *r;
	char *spec;
	long n;
	int ret;

	ret = uscheme_op_check(a);
	if (ret)
		return ret;
	spec = kmalloc(sqe->len, GFP_KERNEL);
	if (!spec)
		return -ENOMEM;
	n = strncpy_from_user(spec, u64_to_user_ptr(sqe->addr), sqe->len);
	if (n < 0 || n == sqe->len) {
		ret = n < 0 ? -EFAULT : -ENAMETOOLONG;
		goto out;
	}
	ret = uscheme_open_resolve(spec, sqe->op_flags, NULL, &s, &a->path);
	if (!s)
		goto out;
	r = uscheme_request_alloc(s, USCHEME_OP_OPEN);
	uscheme_scheme_put(s);
	ret = -ENOMEM;
	if (!r)
		goto out;
	r->open_flags = sqe->op_flags;
	ret = uscheme_client_build(ring, r, a);
	if (!ret)
		ret = uscheme_client_send(ring, r, sqe);
out:
	kfree(spec);
	return ret;
}

/*
 * An op on a handle of the kernel-served sys scheme, answered here and now
 * as the same syscall on the handle would be: READ and FSTAT work, DUP and
 * CALL are -EOPNOTSUPP (as their ioctls), FSYNC is -EINVAL (as fsync(2)).
 */
static int uscheme_client_sys_op(struct uscheme_handle *h, struct file *file,
				 const struct uscheme_sqe *sqe)
{
	struct uscheme_stat st;
	u64 off;
	int ret;

	switch (sqe->opcode) {
	case USCHEME_OP_READ:
		off = sqe->off == USCHEME_OFF_CURRENT ? file->f_pos : sqe->off;
		ret = uscheme_sys_read(h, off, u64_to_user_ptr(sqe->addr), sqe->len);
		if (ret > 0 && sqe->off == USCHEME_OFF_CURRENT)
			file->f_pos += ret;
		return ret;
	case USCHEME_OP_FSTAT:
		uscheme_sys_stat(h, &st);
		return copy_to_user(u64_to_user_ptr(sqe->addr), &st, sizeof(st)) ? -EFAULT : 0;
	case USCHEME_OP_DUP:
	case USCHEME_OP_CALL:
		return -EOPNOTSUPP;
	default:
		return -EINVAL;
	}
}

/* Ops on a handle fd: the fd judged, then the op's arguments, then routed. */
static int uscheme_client_handle_op(struct uscheme_ring *ring,
				    const struct uscheme_sqe *sqe,
				    struct uscheme_op_args *a)
{
	const struct uscheme_opdef *def = &uscheme_opdefs[sqe->opcode];
	struct uscheme_handle *h;
	struct uscheme_request *r;
	struct file *file;
	bool cur_pos;
	int ret;

	file = fget(sqe->fd);
	if (!file)
		return -EBADF;
	h = uscheme_handle_of(file);
	ret = -EBADF;
	if (!h || (file->f_mode & def->fmode) != def->fmode)
		goto out_fput;
	/* The fd first, then the arguments ("Which error wins", uapi). */
	ret = uscheme_op_check(a);
	if (ret)
		goto out_fput;
	if (!h->scheme) {
		ret = uscheme_client_sys_op(h, file, sqe);
		goto out_fput;
	}

	ret = -ENOMEM;
	r = uscheme_request_alloc(h->scheme, sqe->opcode);
	if (!r)
		goto out_fput;
	r->req.id = h->id;
	cur_pos = (def->flags & USCHEME_OPF_POS) && a->off == USCHEME_OFF_CURRENT;
	if (cur_pos)
		a->off = file->f_pos;
	ret = uscheme_client_build(ring, r, a);
	if (ret)
		goto out_fput;
	r->cur_pos = cur_pos;
	/* Read at completion by uscheme_handle_made() and FSTAT's alone. */
	if (def->flags & USCHEME_OPF_HANDLE)
		r->open_flags = (file->f_flags & O_ACCMODE) | sqe->op_flags;
	if (def->flags & USCHEME_OPF_LATE_OUT)
		r->out_addr = sqe->addr;
	r->file = file;		/* the request owns the reference now */
	return uscheme_client_send(ring, r, sqe);

out_fput:
	fput(file);
	return ret;
}

/* CLOSE: a ring's own op; closes a handle fd of the submitter. */
int uscheme_client_close(struct uscheme_ring *ring, const struct uscheme_sqe *sqe)
{
	struct file *file = fget(sqe->fd);
	bool handle;

	if (!file)
		return -EBADF;
	handle = uscheme_handle_of(file);
	fput(file);
	return handle ? close_fd(sqe->fd) : -EBADF;
}

/*
 * @r was abandoned: it will never be finished, so its handle file need not
 * wait for the daemon's answer (the daemon's CLOSE comes when the last fd
 * goes, as for a syscall). The caller holds a reference on @r.
 */
static void uscheme_client_drop_file(struct uscheme_request *r)
{
	if (r->file) {
		fput(r->file);
		r->file = NULL;
	}
}

/* The ring-path waiter of @r is done with it: off the ring's lists. */
static void uscheme_client_unlink(struct uscheme_ring *ring, struct uscheme_request *r)
{
	spin_lock(&ring->req_lock);
	list_del_init(&r->cnode);
	spin_unlock(&ring->req_lock);
}

/* CANCEL: a ring's own op; cancels its routed op of user_data addr. */
int uscheme_client_cancel(struct uscheme_ring *ring, const struct uscheme_sqe *sqe)
{
	struct uscheme_request *r, *found = NULL;

	spin_lock(&ring->req_lock);
	list_for_each_entry(r, &ring->reqs, cnode) {
		if (r->user_data == sqe->addr) {
			kref_get(&r->ref);
			found = r;
			break;
		}
	}
	spin_unlock(&ring->req_lock);
	if (!found)
		return -ENOENT;
	if (uscheme_request_cancel(found) == -EALREADY) {
		uscheme_request_put(found);
		return -EALREADY;
	}
	/* The target completes now, with the slot its SQE reserved. */
	uscheme_client_drop_file(found);
	uscheme_client_unlink(ring, found);
	trace_uscheme_complete(ring, found->req.opcode, found->req.tag, found->user_data,
			       -ECANCELED);
	uscheme_cq_post(ring, found->user_data, -ECANCELED, 0);
	uscheme_request_put(found);	/* our lookup's */
	uscheme_request_put(found);	/* the ring's */
	return 0;
}

/*
 * Issue a validated routed op (the ring's own ops are issued from the op
 * table, submit.c): -EIOCBQUEUED when its CQE will come from
 * uscheme_ring_finish_done(), else its result now.
 */
int uscheme_client_issue(struct uscheme_ring *ring, const struct uscheme_sqe *sqe)
{
	struct uscheme_op_args a;

	uscheme_op_args_from_sqe(&a, sqe);
	if (uscheme_opdefs[sqe->opcode].flags & USCHEME_OPF_ON_HANDLE)
		return uscheme_client_handle_op(ring, sqe, &a);
	if (sqe->opcode == USCHEME_OP_OPEN)
		return uscheme_client_open(ring, sqe, &a);
	return -EOPNOTSUPP;
}

/*
 * Has @r's submitter left its address space (exec, exit)? Then no enter of
 * its will ever finish @r: any process entering the ring does, without
 * touching its own memory.
 */
static bool uscheme_client_submitter_gone(const struct uscheme_request *r)
{
	return !atomic_read(&r->mm->mm_users);
}

/*
 * Finish an answered request whose submitter is gone: what the daemon did
 * stands (READ and CALL data went to the old pages), but an FSTAT result
 * has nowhere to go, and an fd nobody can receive is not made (the
 * daemon is told to close its handle): -ECANCELED.
 */
static int uscheme_client_finish_orphan(struct uscheme_request *r)
{
	const struct uscheme_opdef *def = &uscheme_opdefs[r->req.opcode];

	if (r->res < 0)
		return r->res;
	if (def->flags & USCHEME_OPF_HANDLE) {
		if (uscheme_request_made_handle(r))
			uscheme_notify(r->scheme, USCHEME_OP_CLOSE, r->res, 0);
		return -ECANCELED;
	}
	if (def->flags & USCHEME_OPF_LATE_OUT)
		return -ECANCELED;
	return r->res;
}

/*
 * Finish one answered request in its submitter: its CQE's result. READ and
 * CALL results are in the pinned buffer already (copied at the answer).
 */
static int uscheme_client_finish_one(struct uscheme_request *r)
{
	const struct uscheme_opdef *def = &uscheme_opdefs[r->req.opcode];
	struct uscheme_op_dest d = {
		.oflags = r->open_flags,
		.name = r->scheme->name,
		.stat_out = u64_to_user_ptr(r->out_addr),
	};
	int res = r->res;

	if (r->mm != current->mm)
		return uscheme_client_finish_orphan(r);
	if (res < 0)
		return res;
	/* READ, WRITE at the file position: it moves (WRITE: unless O_APPEND). */
	if (r->cur_pos && !(r->req.opcode == USCHEME_OP_WRITE &&
			    (r->file->f_flags & O_APPEND)))
		r->file->f_pos = r->req.off + res;
	return def->complete ? def->complete(r, res, &d) : res;
}

/*
 * The first answered request of @ring that the current process submitted,
 * or whose submitter is gone (see uscheme_client_submitter_gone()).
 */
static struct uscheme_request *uscheme_client_next_done(struct uscheme_ring *ring,
							bool take)
{
	struct uscheme_request *r, *found = NULL;

	spin_lock(&ring->req_lock);
	list_for_each_entry(r, &ring->done, cnode) {
		if (r->mm == current->mm || uscheme_client_submitter_gone(r)) {
			found = r;
			if (take)
				list_del_init(&r->cnode);
			break;
		}
	}
	spin_unlock(&ring->req_lock);
	return found;
}

bool uscheme_ring_has_done(struct uscheme_ring *ring)
{
	return !list_empty_careful(&ring->done) &&
	       uscheme_client_next_done(ring, false);
}

/*
 * Finish every answered request of @ring that the current process submitted;
 * their CQEs go out in batches (one lock, one wakeup each).
 */
void uscheme_ring_finish_done(struct uscheme_ring *ring)
{
	struct uscheme_cq_batch b;
	struct uscheme_request *r;
	int res;

	if (list_empty_careful(&ring->done))
		return;
	b.n = 0;
	while ((r = uscheme_client_next_done(ring, true))) {
		res = uscheme_client_finish_one(r);
		trace_uscheme_complete(ring, r->req.opcode, r->req.tag, r->user_data, res);
		b.cqe[b.n].user_data = r->user_data;
		b.cqe[b.n].res = res;
		b.cqe[b.n].flags = 0;
		uscheme_request_put(r);
		if (++b.n == USCHEME_CQ_BATCH)
			uscheme_cq_post_batch(ring, &b);
	}
	uscheme_cq_post_batch(ring, &b);
}

/*
 * The ring's file is released: cancel every routed op still in flight
 * (daemons that had them are sent a CANCEL), and close, for their daemons,
 * handles that were opened but never installed.
 */
void uscheme_client_release(struct uscheme_ring *ring)
{
	struct uscheme_request *r, *tmp;
	LIST_HEAD(left);

	spin_lock(&ring->req_lock);
	ring->dead = true;
	list_splice_init(&ring->reqs, &left);
	list_splice_init(&ring->done, &left);
	spin_unlock(&ring->req_lock);

	/* Answers racing with us see ring->dead and leave cnode alone. */
	list_for_each_entry_safe(r, tmp, &left, cnode) {
		list_del_init(&r->cnode);
		if (uscheme_request_cancel(r) != -EALREADY)
			uscheme_client_drop_file(r);
		else if (uscheme_request_made_handle(r))
			uscheme_notify(r->scheme, USCHEME_OP_CLOSE, r->res, 0);
		uscheme_request_put(r);
	}
}
