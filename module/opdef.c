// SPDX-License-Identifier: GPL-2.0
/*
 * The op table: what each opcode's SQE may carry, and the argument rules
 * uapi/uscheme.h gives per op. Both the form check (at submission) and the
 * argument check (at issue, once the fd is judged) read it.
 */
#include <linux/bits.h>
#include <linux/fcntl.h>

#include "opdef.h"

/* Argument fields an op uses; every other one must be zero. */
#define F_FD		BIT(0)
#define F_OFF		BIT(1)
#define F_BUF		BIT(2)	/* addr, len */
#define F_FLAGS		BIT(3)	/* op_flags */
#define F_BUF2		BIT(4)	/* addr2, len2 */

static const u8 uscheme_op_fields[USCHEME_OP_LAST] = {
	[USCHEME_OP_NOP]	= 0,
	[USCHEME_OP_OPEN]	= F_BUF | F_FLAGS,
	[USCHEME_OP_CLOSE]	= F_FD,
	[USCHEME_OP_READ]	= F_FD | F_OFF | F_BUF,
	[USCHEME_OP_WRITE]	= F_FD | F_OFF | F_BUF,
	[USCHEME_OP_FSTAT]	= F_FD | F_BUF,
	[USCHEME_OP_FSYNC]	= F_FD,
	[USCHEME_OP_FTRUNCATE]	= F_FD | F_OFF,
	[USCHEME_OP_DUP]	= F_FD | F_BUF | F_FLAGS,
	[USCHEME_OP_CALL]	= F_FD | F_BUF | F_FLAGS | F_BUF2,
	[USCHEME_OP_CANCEL]	= 0,	/* addr: the user_data to cancel */
	[USCHEME_OP_FILES_UPDATE] = F_BUF,
};

/*
 * Validate the form of a private copy: 0 when the entry may be issued,
 * -EINVAL for a malformed entry (an unknown opcode or flag, a non-zero
 * reserved field or a field its op does not use; counted as rejected).
 * The fd and the op's arguments are judged at issue, in that order (see
 * "Which error wins" in uapi/uscheme.h): uscheme_sqe_check_args().
 */
int uscheme_sqe_check(const struct uscheme_sqe *sqe)
{
	u8 f;

	if (sqe->opcode >= USCHEME_OP_LAST)
		return -EINVAL;
	if (sqe->flags & ~USCHEME_SQE_FLAGS)
		return -EINVAL;
	if (sqe->ioprio || sqe->resv0 || sqe->resv1)
		return -EINVAL;
	if (sqe->opcode == USCHEME_OP_SEND_EVENT)
		return -EINVAL;		/* a response flag, not an SQE */

	f = uscheme_op_fields[sqe->opcode];
	if ((!(f & F_FD) && sqe->fd) || (!(f & F_OFF) && sqe->off) ||
	    (!(f & F_BUF) && sqe->len) ||
	    (!(f & F_BUF) && sqe->opcode != USCHEME_OP_CANCEL && sqe->addr) ||
	    (!(f & F_FLAGS) && sqe->op_flags) ||
	    (!(f & F_BUF2) && (sqe->addr2 || sqe->len2)))
		return -EINVAL;
	return 0;
}

/*
 * The arguments of a well-formed entry: 0, or -EINVAL, -ENAMETOOLONG,
 * -E2BIG as uapi/uscheme.h gives them per op. Ops on an fd call this once
 * the fd is known to be a handle open for the op (-EBADF comes first).
 */
int uscheme_sqe_check_args(const struct uscheme_sqe *sqe)
{
	switch (sqe->opcode) {
	case USCHEME_OP_OPEN:
		if (!sqe->len)
			return -EINVAL;
		if (sqe->len > USCHEME_PATH_MAX)
			return -ENAMETOOLONG;
		return 0;
	case USCHEME_OP_FSTAT:
		return sqe->len < sizeof(struct uscheme_stat) ? -EINVAL : 0;
	case USCHEME_OP_DUP:
		if (sqe->op_flags & ~O_CLOEXEC)
			return -EINVAL;
		return sqe->len > USCHEME_PATH_MAX ? -ENAMETOOLONG : 0;
	case USCHEME_OP_CALL:
		return sqe->len > USCHEME_IO_MAX || sqe->len2 > USCHEME_IO_MAX ?
			-E2BIG : 0;
	case USCHEME_OP_FILES_UPDATE:
		return !sqe->len || sqe->len > USCHEME_FU_MAX ? -EINVAL : 0;
	default:
		return 0;
	}
}
