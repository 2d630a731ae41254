/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The op table (opdef.c): one entry per opcode, read by both transports,
 * the client ring (submit.c, client.c) and the syscalls on handles
 * (handle.c, op_open.c), and by the answer path (request.c). As io_uring's
 * opdef.c: an op is its table entry plus its family file (op_open.c,
 * op_rw.c, op_call.c, op_meta.c; the ring's own ops in client.c and
 * event.c).
 *
 * A routed op's way: check its arguments (.check), admit a request with a
 * data chunk of .chunk bytes (the transport's admission: nonblocking on a
 * ring, sleeping in a syscall), build it (.prep: the daemon's fields, the
 * input into the chunk), send it, check the daemon's answer (.answer,
 * .take, under the scheme lock), and complete it into what the transport
 * has for results (.complete). Where the bytes come from and go to (user
 * memory, an iov_iter, pinned pages) and the file position are the
 * transport's.
 */
#ifndef _USCHEME_OPDEF_H
#define _USCHEME_OPDEF_H

#include <linux/bits.h>
#include <linux/types.h>

#include "../uapi/uscheme.h"

struct iov_iter;
struct uscheme_request;
struct uscheme_ring;

/* The SQE fields an op uses (uscheme_opdef.fields); every other one must be zero. */
#define USCHEME_F_FD		BIT(0)
#define USCHEME_F_OFF		BIT(1)
#define USCHEME_F_BUF		BIT(2)	/* addr, len */
#define USCHEME_F_FLAGS		BIT(3)	/* op_flags */
#define USCHEME_F_BUF2		BIT(4)	/* addr2, len2 */

/* What an op is (uscheme_opdef.flags). */
#define USCHEME_OPF_NOT_SQE	BIT(0)	/* an opcode no SQE may carry (SEND_EVENT) */
#define USCHEME_OPF_ON_HANDLE	BIT(1)	/* acts on the handle at the SQE's fd */
#define USCHEME_OPF_POS		BIT(2)	/* off may be USCHEME_OFF_CURRENT: the file position */
#define USCHEME_OPF_HANDLE	BIT(3)	/* answered with a new handle's id, or a passed file */
#define USCHEME_OPF_OUT_BUF	BIT(4)	/* a ring's result bytes go to addr (pinned) */
#define USCHEME_OPF_OUT_BUF2	BIT(5)	/* ... to addr2 */
#define USCHEME_OPF_LATE_OUT	BIT(6)	/* its result is copied out at completion (FSTAT) */

/*
 * An op's arguments, as either transport has them: a ring's SQE
 * (uscheme_op_args_from_sqe()), or a syscall's, filled in by the syscall.
 */
struct uscheme_op_args {
	u8 opcode;
	u64 off;
	u64 addr;		/* user memory: READ's, WRITE's, DUP's, CALL's input, FSTAT's */
	u32 len;
	u64 addr2;		/* CALL: user memory for its output */
	u32 len2;
	u32 op_flags;
	struct iov_iter *iter;	/* write(2): the input instead of @addr */
	const char *path;	/* OPEN: the path after "scheme:" (kernel memory) */
};

/* Where an op's results go, as the transport has it (NULL: nowhere, or done). */
struct uscheme_op_dest {
	u32 oflags;			/* OPEN, DUP: O_* of the new fd */
	const char *name;		/* OPEN, DUP: the new file's name */
	int __user *ufd;		/* OPEN, DUP: learns the fd before it is installed */
	struct iov_iter *iter;		/* READ: read(2)'s buffers */
	void __user *call_out;		/* CALL: the ioctl's output buffer */
	void __user *stat_out;		/* FSTAT: a ring's buffer */
	struct uscheme_stat *stat;	/* FSTAT: fstat(2)'s kernel copy */
};

struct uscheme_opdef {
	const char *name;
	u8 fields;		/* USCHEME_F_* */
	u8 flags;		/* USCHEME_OPF_* */
	fmode_t fmode;		/* ON_HANDLE: the open mode it needs (else -EBADF) */
	/* The argument rules (uapi/uscheme.h): 0, -EINVAL, -ENAMETOOLONG, -E2BIG. */
	int (*check)(const struct uscheme_op_args *a);
	/* A ring's own op, completed by the ring: its result, or -EIOCBQUEUED. */
	int (*issue)(struct uscheme_ring *ring, const struct uscheme_sqe *sqe);
	/* Routed ops: the data chunk's size in bytes, then the request built. */
	u32 (*chunk)(const struct uscheme_op_args *a);
	int (*prep)(struct uscheme_request *r, const struct uscheme_op_args *a);
	/* A success @res legal for @req (errnos are judged before): 0 or -EIO; NULL: 0 alone. */
	int (*answer)(const struct uscheme_req *req, s32 res);
	/* Take the answer out of the chunk, under the scheme lock: 0 or -EIO. */
	int (*take)(struct uscheme_request *r);
	/* An answered request (@res >= 0) completed into @d: the call's result. */
	int (*complete)(struct uscheme_request *r, s32 res, const struct uscheme_op_dest *d);
};

extern const struct uscheme_opdef uscheme_opdefs[USCHEME_OP_LAST];

bool uscheme_opdef_valid(const struct uscheme_opdef *def);
int uscheme_opdefs_init(void);
int uscheme_sqe_check(const struct uscheme_sqe *sqe);
void uscheme_op_args_from_sqe(struct uscheme_op_args *a, const struct uscheme_sqe *sqe);
int uscheme_op_check(const struct uscheme_op_args *a);
int uscheme_sqe_check_args(const struct uscheme_sqe *sqe);
int uscheme_answer_check(const struct uscheme_req *req, s32 res);

/* op_open.c: OPEN and DUP, the ops that make a handle. */
int uscheme_open_check(const struct uscheme_op_args *a);
u32 uscheme_open_chunk(const struct uscheme_op_args *a);
int uscheme_open_prep(struct uscheme_request *r, const struct uscheme_op_args *a);
int uscheme_dup_check(const struct uscheme_op_args *a);
u32 uscheme_dup_chunk(const struct uscheme_op_args *a);
int uscheme_dup_prep(struct uscheme_request *r, const struct uscheme_op_args *a);
int uscheme_id_answer(const struct uscheme_req *req, s32 res);
int uscheme_handle_made(struct uscheme_request *r, s32 res, const struct uscheme_op_dest *d);

/* op_rw.c: READ and WRITE. */
u32 uscheme_rw_chunk(const struct uscheme_op_args *a);
int uscheme_read_prep(struct uscheme_request *r, const struct uscheme_op_args *a);
int uscheme_write_prep(struct uscheme_request *r, const struct uscheme_op_args *a);
int uscheme_rw_answer(const struct uscheme_req *req, s32 res);
int uscheme_read_complete(struct uscheme_request *r, s32 res, const struct uscheme_op_dest *d);

/* op_call.c: CALL. */
int uscheme_call_check(const struct uscheme_op_args *a);
u32 uscheme_call_chunk(const struct uscheme_op_args *a);
int uscheme_call_prep(struct uscheme_request *r, const struct uscheme_op_args *a);
int uscheme_call_answer(const struct uscheme_req *req, s32 res);
int uscheme_call_complete(struct uscheme_request *r, s32 res, const struct uscheme_op_dest *d);

/* op_meta.c: FSTAT, FSYNC, FTRUNCATE. */
int uscheme_fstat_check(const struct uscheme_op_args *a);
u32 uscheme_fstat_chunk(const struct uscheme_op_args *a);
int uscheme_fstat_prep(struct uscheme_request *r, const struct uscheme_op_args *a);
int uscheme_fstat_take(struct uscheme_request *r);
int uscheme_fstat_complete(struct uscheme_request *r, s32 res, const struct uscheme_op_dest *d);
u32 uscheme_no_chunk(const struct uscheme_op_args *a);
int uscheme_off_prep(struct uscheme_request *r, const struct uscheme_op_args *a);

/* The ring's own ops (never routed): client.c's CLOSE and CANCEL, event.c's FILES_UPDATE. */
int uscheme_client_close(struct uscheme_ring *ring, const struct uscheme_sqe *sqe);
int uscheme_client_cancel(struct uscheme_ring *ring, const struct uscheme_sqe *sqe);
int uscheme_fu_check(const struct uscheme_op_args *a);
int uscheme_fu_issue(struct uscheme_ring *ring, const struct uscheme_sqe *sqe);

#endif /* _USCHEME_OPDEF_H */
