// SPDX-License-Identifier: GPL-2.0
/*
 * The op table: per opcode, the SQE fields it uses, its argument rules, its
 * request builder, its answer check and its completion (see opdef.h). The
 * table covers every opcode: its size is checked at build time, and that
 * every entry is filled at module load (uscheme_opdefs_init()).
 */
#include <linux/build_bug.h>
#include <linux/fs.h>
#include <linux/kernel.h>
#include <linux/printk.h>

#include "opdef.h"

/* NOP: completes at once, with 0. */
static int uscheme_nop_issue(struct uscheme_ring *ring, const struct uscheme_sqe *sqe)
{
	return 0;
}

const struct uscheme_opdef uscheme_opdefs[] = {
	[USCHEME_OP_NOP] = {
		.name		= "NOP",
		.issue		= uscheme_nop_issue,
	},
	[USCHEME_OP_OPEN] = {
		.name		= "OPEN",
		.fields		= USCHEME_F_BUF | USCHEME_F_FLAGS,
		.flags		= USCHEME_OPF_HANDLE,
		.check		= uscheme_open_check,
		.chunk		= uscheme_open_chunk,
		.prep		= uscheme_open_prep,
		.answer		= uscheme_id_answer,
		.complete	= uscheme_handle_made,
	},
	[USCHEME_OP_CLOSE] = {
		.name		= "CLOSE",
		.fields		= USCHEME_F_FD,
		.issue		= uscheme_client_close,
	},
	[USCHEME_OP_READ] = {
		.name		= "READ",
		.fields		= USCHEME_F_FD | USCHEME_F_OFF | USCHEME_F_BUF,
		.flags		= USCHEME_OPF_ON_HANDLE | USCHEME_OPF_POS | USCHEME_OPF_OUT_BUF,
		.fmode		= FMODE_READ,
		.chunk		= uscheme_rw_chunk,
		.prep		= uscheme_read_prep,
		.answer		= uscheme_rw_answer,
		.complete	= uscheme_read_complete,
	},
	[USCHEME_OP_WRITE] = {
		.name		= "WRITE",
		.fields		= USCHEME_F_FD | USCHEME_F_OFF | USCHEME_F_BUF,
		.flags		= USCHEME_OPF_ON_HANDLE | USCHEME_OPF_POS,
		.fmode		= FMODE_WRITE,
		.chunk		= uscheme_rw_chunk,
		.prep		= uscheme_write_prep,
		.answer		= uscheme_rw_answer,
	},
	[USCHEME_OP_FSTAT] = {
		.name		= "FSTAT",
		.fields		= USCHEME_F_FD | USCHEME_F_BUF,
		.flags		= USCHEME_OPF_ON_HANDLE | USCHEME_OPF_LATE_OUT,
		.check		= uscheme_fstat_check,
		.chunk		= uscheme_fstat_chunk,
		.prep		= uscheme_fstat_prep,
		.take		= uscheme_fstat_take,
		.complete	= uscheme_fstat_complete,
	},
	[USCHEME_OP_FSYNC] = {
		.name		= "FSYNC",
		.fields		= USCHEME_F_FD,
		.flags		= USCHEME_OPF_ON_HANDLE,
		.chunk		= uscheme_no_chunk,
		.prep		= uscheme_off_prep,
	},
	[USCHEME_OP_FTRUNCATE] = {
		.name		= "FTRUNCATE",
		.fields		= USCHEME_F_FD | USCHEME_F_OFF,
		.flags		= USCHEME_OPF_ON_HANDLE,
		.fmode		= FMODE_WRITE,
		.chunk		= uscheme_no_chunk,
		.prep		= uscheme_off_prep,
	},
	[USCHEME_OP_DUP] = {
		.name		= "DUP",
		.fields		= USCHEME_F_FD | USCHEME_F_BUF | USCHEME_F_FLAGS,
		.flags		= USCHEME_OPF_ON_HANDLE | USCHEME_OPF_HANDLE,
		.check		= uscheme_dup_check,
		.chunk		= uscheme_dup_chunk,
		.prep		= uscheme_dup_prep,
		.answer		= uscheme_id_answer,
		.complete	= uscheme_handle_made,
	},
	[USCHEME_OP_CALL] = {
		.name		= "CALL",
		.fields		= USCHEME_F_FD | USCHEME_F_BUF | USCHEME_F_FLAGS | USCHEME_F_BUF2,
		.flags		= USCHEME_OPF_ON_HANDLE | USCHEME_OPF_OUT_BUF2,
		.check		= uscheme_call_check,
		.chunk		= uscheme_call_chunk,
		.prep		= uscheme_call_prep,
		.answer		= uscheme_call_answer,
		.complete	= uscheme_call_complete,
	},
	[USCHEME_OP_FILES_UPDATE] = {
		.name		= "FILES_UPDATE",
		.fields		= USCHEME_F_BUF,
		.check		= uscheme_fu_check,
		.issue		= uscheme_fu_issue,
	},
	[USCHEME_OP_CANCEL] = {
		.name		= "CANCEL",
		.fields		= 0,	/* addr: the user_data to cancel */
		.issue		= uscheme_client_cancel,
	},
	[USCHEME_OP_SEND_EVENT] = {
		.name		= "SEND_EVENT",
		.flags		= USCHEME_OPF_NOT_SQE,	/* a response flag, not an SQE */
	},
};

static_assert(ARRAY_SIZE(uscheme_opdefs) == USCHEME_OP_LAST,
	      "uscheme_opdefs[] must cover every USCHEME_OP_*");

/*
 * One entry's rules, which the transports rely on: a name; an SQE op is
 * either a ring's own issue or routed (chunk and prep), never both; the
 * answer, take and completion steps and the flags that shape a request
 * (a handle, a position, result buffers) belong to routed ops only; an op
 * that makes a handle completes through uscheme_handle_made() (it alone
 * installs the handle and closes the daemon's on failure); an open mode is
 * checked only for an op on a handle.
 */
bool uscheme_opdef_valid(const struct uscheme_opdef *def)
{
	const u8 routed_only = USCHEME_OPF_ON_HANDLE | USCHEME_OPF_POS | USCHEME_OPF_HANDLE |
			       USCHEME_OPF_OUT_BUF | USCHEME_OPF_OUT_BUF2 | USCHEME_OPF_LATE_OUT;
	bool routed = def->chunk && def->prep;
	bool makes_handle;

	if (!def->name)
		return false;
	if (!(def->flags & USCHEME_OPF_NOT_SQE) && routed == !!def->issue)
		return false;
	if (!routed && (def->chunk || def->prep || def->answer || def->take || def->complete ||
			(def->flags & routed_only)))
		return false;
	makes_handle = def->complete == uscheme_handle_made;
	if (!!(def->flags & USCHEME_OPF_HANDLE) != makes_handle)
		return false;
	return !def->fmode || (def->flags & USCHEME_OPF_ON_HANDLE);
}

/* Every entry filled and consistent, at module load (as io_uring_optable_init()). */
int uscheme_opdefs_init(void)
{
	int op;

	BUILD_BUG_ON(ARRAY_SIZE(uscheme_opdefs) != USCHEME_OP_LAST);
	BUILD_BUG_ON(USCHEME_OP_LAST > 255);
	for (op = 0; op < USCHEME_OP_LAST; op++) {
		if (!uscheme_opdef_valid(&uscheme_opdefs[op])) {
			pr_err("uscheme: op table entry %d is incomplete\n", op);
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Validate the form of a private copy: 0 when the entry may be issued,
 * -EINVAL for a malformed entry (an unknown opcode or flag, a non-zero
 * reserved field or a field its op does not use; counted as rejected).
 * The fd and the op's arguments are judged at issue, in that order (see
 * "Which error wins" in uapi/uscheme.h): uscheme_op_check().
 */
int uscheme_sqe_check(const struct uscheme_sqe *sqe)
{
	const struct uscheme_opdef *def;
	u8 f;

	if (sqe->opcode >= USCHEME_OP_LAST)
		return -EINVAL;
	if (sqe->flags & ~USCHEME_SQE_FLAGS)
		return -EINVAL;
	if (sqe->ioprio || sqe->resv0 || sqe->resv1)
		return -EINVAL;
	def = &uscheme_opdefs[sqe->opcode];
	if (def->flags & USCHEME_OPF_NOT_SQE)
		return -EINVAL;

	f = def->fields;
	if ((!(f & USCHEME_F_FD) && sqe->fd) || (!(f & USCHEME_F_OFF) && sqe->off) ||
	    (!(f & USCHEME_F_BUF) && sqe->len) ||
	    (!(f & USCHEME_F_BUF) && sqe->opcode != USCHEME_OP_CANCEL && sqe->addr) ||
	    (!(f & USCHEME_F_FLAGS) && sqe->op_flags) ||
	    (!(f & USCHEME_F_BUF2) && (sqe->addr2 || sqe->len2)))
		return -EINVAL;
	return 0;
}

/* A ring op's arguments, from its (private, validated) SQE. */
void uscheme_op_args_from_sqe(struct uscheme_op_args *a, const struct uscheme_sqe *sqe)
{
	*a = (struct uscheme_op_args) {
		.opcode		= sqe->opcode,
		.off		= sqe->off,
		.addr		= sqe->addr,
		.len		= sqe->len,
		.addr2		= sqe->addr2,
		.len2		= sqe->len2,
		.op_flags	= sqe->op_flags,
	};
}

/*
 * The arguments of an op: 0, or -EINVAL, -ENAMETOOLONG, -E2BIG as
 * uapi/uscheme.h gives them per op. Ops on an fd call this once the fd is
 * known to be a handle open for the op (-EBADF comes first).
 */
int uscheme_op_check(const struct uscheme_op_args *a)
{
	const struct uscheme_opdef *def = &uscheme_opdefs[a->opcode];

	return def->check ? def->check(a) : 0;
}

/* uscheme_op_check() of a well-formed SQE's arguments. */
int uscheme_sqe_check_args(const struct uscheme_sqe *sqe)
{
	struct uscheme_op_args a;

	uscheme_op_args_from_sqe(&a, sqe);
	return uscheme_op_check(&a);
}

/*
 * Is @res an answer the daemon may give to @req? Errors pass unchanged if
 * they are userspace errnos (1 .. USCHEME_ERRNO_MAX): the kernel-internal
 * codes above (-ERESTARTSYS .. -ERESTART_RESTARTBLOCK, -ENOIOCTLCMD,
 * -EIOCBQUEUED, ...) would reach the VFS or io_uring, where -EIOCBQUEUED
 * means "completes later" and hits BUG_ON() in new_sync_read(). Successes
 * must fit the op (its .answer; 0 alone, without one).
 */
int uscheme_answer_check(const struct uscheme_req *req, s32 res)
{
	const struct uscheme_opdef *def;

	if (res < 0)
		return res >= -USCHEME_ERRNO_MAX ? 0 : -EIO;
	if (req->opcode >= USCHEME_OP_LAST)
		return -EIO;
	def = &uscheme_opdefs[req->opcode];
	if (def->answer)
		return def->answer(req, res);
	return res == 0 ? 0 : -EIO;
}
