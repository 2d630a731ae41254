/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * uscheme: Redox-style scheme IPC for Linux over submission/completion rings.
 *
 * This is the one ABI header, shared by the kernel module and all userspace.
 *
 * A ring instance
 * ---------------
 * Each open of /dev/uscheme is one ring instance. USCHEME_IOC_SETUP sizes it
 * (once per open), three mmap regions map it, and USCHEME_IOC_ENTER submits
 * entries and waits for completions:
 *
 *   region        mmap offset            producer -> consumer (client ring)
 *   ring header   USCHEME_OFF_RING       indices, both directions
 *   SQE array     USCHEME_OFF_SQES       user -> kernel, 64-byte entries
 *   CQE array     USCHEME_OFF_CQES       kernel -> user, 16 or 32 bytes each
 *   data area     USCHEME_OFF_DATA       scheme rings only: request payloads
 *
 * Indices are free-running __u32 counters; an entry lives at
 * array[index & mask]. The producer writes entries, then store-releases its
 * tail; the consumer load-acquires the tail, reads entries, then
 * store-releases its head. The kernel keeps private copies of its own
 * indices, reads the user's index once per pass, clamps (tail - head) to the
 * ring size, and copies every SQE once before it validates it. Garbage in a
 * ring is the submitter's own problem: it yields -EINVAL completions, never a
 * kernel crash, hang or a dead ring.
 *
 * A scheme ring (USCHEME_SETUP_SCHEME) flips the data direction: the kernel
 * produces struct uscheme_req entries in the SQE array (mapped read-only) and
 * the daemon produces responses (struct uscheme_cqe, user_data = the
 * request's tag) in the CQE array (mapped writable). So on a scheme ring the
 * kernel writes sq_tail and cq_head, the daemon writes sq_head and cq_tail;
 * enter's to_submit counts responses to consume, min_complete requests to
 * wait for. A daemon names its ring's scheme with USCHEME_IOC_REGISTER.
 * Setting up a scheme ring needs CAP_SYS_ADMIN, as registering does
 * (USCHEME_IOC_SETUP fails with -EPERM): its data area is up to
 * USCHEME_DATA_MAX bytes of kernel memory.
 *
 * The way a client request travels
 * ---------------------------------
 *   1. A client submits an op on its ring (struct uscheme_sqe), or makes a
 *      plain syscall on a handle fd (read, write, fstat, ...), or opens
 *      with USCHEME_IOC_OPEN.
 *   2. The kernel routes it to the scheme's daemon: it takes a tag, a chunk
 *      of the daemon's data area (write payloads and paths are copied into
 *      it once; read buffers are zeroed), and writes a struct uscheme_req
 *      into the daemon's request array. When the daemon's queue or data
 *      area is full, the request waits in the kernel (a bounded queue; the
 *      submitter sleeps, interruptibly, beyond that bound).
 *   3. The daemon answers with a struct uscheme_cqe: user_data = the tag,
 *      res = the result, flags = 0 (or USCHEME_CQE_F_FD for OPEN and DUP;
 *      other flags are dropped as unknown), data (read results, stat, CALL
 *      output) left in the
 *      request's chunk. The chunk is the daemon's until it answers.
 *   4. The kernel checks the answer (known tag, first answer, a legal result
 *      for the op), copies the result data once into the client's buffer
 *      (for a ring op: into its pages, pinned at submission, right away, so
 *      the chunk is free again at once), and completes the client's CQE or
 *      wakes its syscall. An illegal
 *      answer is counted in the scheme ring's rejected counter and the
 *      client gets -EIO; an unknown or repeated tag is dropped and counted.
 *
 * A routed op on a client ring is finished in the submitting process (like
 * io_uring's DEFER_TASKRUN): its CQE appears when that process enters the
 * ring (USCHEME_ENTER_GETEVENTS, or any enter), which is also where OPEN and
 * DUP install their new fd. poll() reports EPOLLIN while such work waits.
 *
 * Limits (backpressure, never unbounded kernel memory): a client ring has
 * at most its CQ size of ops in flight (each SQE reserves a CQE); a scheme
 * holds at most 4096 requests between admission and answer, and its data
 * area bounds the bytes in flight; beyond either, submitters sleep
 * interruptibly until the daemon answers something (a client ring's enter
 * sleeps without holding the ring: its other threads enter it meanwhile;
 * a signal ends the sleep with -EINTR and the waiting SQE not consumed).
 * The output pages of a ring READ or CALL are pinned until the answer, and
 * charged to the submitting user's RLIMIT_MEMLOCK (the op completes with
 * -ENOMEM beyond it; CAP_IPC_LOCK is exempt); a cancelled op, or one whose
 * ring was closed, gives its pages back at once. Everything is charged
 * to the allocating process's memory cgroup.
 *
 * Handles are files. An OPEN result is an fd whose read, write, pread,
 * pwrite, fstat, fsync, ftruncate and close go through the same routing,
 * blocking and interruptible (the daemon is sent a CANCEL when a signal
 * interrupts the wait; the syscall returns -EINTR). Task work queued to
 * the thread (io_uring completing its ops) is not a signal: a call that has
 * not reached the daemon yet is restarted, one that has keeps waiting for
 * the answer (and looks for a signal every 10 ms meanwhile). lseek moves
 * the file position (SEEK_SET, SEEK_CUR; SEEK_END gives -EINVAL); poll
 * reports what the daemon last set (SEND_EVENT, below; readable and
 * writable until it does). With O_APPEND the daemon decides where a write goes,
 * and the file position does not move. A read or write moves at most
 * USCHEME_IO_MAX bytes
 * (a short count, as for a pipe). Handles survive fork and exec (unless
 * O_CLOEXEC) and pass over SCM_RIGHTS; io_uring's READ and WRITE work on
 * them. The daemon is sent a CLOSE when the last reference to the handle
 * is gone. fstat's st_uid/st_gid are the daemon's values, taken as ids of
 * the user namespace the daemon registered from (and shown to the caller
 * in its own, 65534 where unmapped). The ids in every request are
 * translated the same way (struct uscheme_req): a caller that made its own
 * user namespace and mapped itself to 0 there is still its real uid to
 * the daemon.
 *
 * Lifetimes. When a daemon closes its scheme ring or dies, every request
 * waiting on it fails with -EPIPE at once, its handles answer -EPIPE from
 * then on, and the name is free for a restarted daemon. When a client ring
 * is closed (or its process dies), its requests are cancelled: the daemon
 * gets a CANCEL for each one it had already received.
 *
 * The kernel-served scheme "sys" lists the schemes: "sys:schemes" reads as
 * one line per scheme, "name pid requests responses rejected queued
 * inflight\n"; "sys:" (a directory) lists "schemes\n". Its handles are
 * read-only snapshots, the same through a ring as through syscalls: READ
 * and FSTAT work (a directory or regular file, mode 0555/0444, the
 * snapshot's size), DUP and CALL give -EOPNOTSUPP (as their ioctls), FSYNC
 * -EINVAL (as fsync(2)), WRITE and FTRUNCATE -EBADF (not open for writing).
 *
 * poll/select/epoll on a ring fd: EPOLLIN while entries wait for userspace
 * (CQEs; requests on a scheme ring), EPOLLOUT while the queue userspace
 * produces has room (SQEs; responses), EPOLLERR before USCHEME_IOC_SETUP.
 *
 * Errors are negative errno values, in CQE res fields and as ioctl/mmap
 * return values. Every reserved field must be zero (-EINVAL otherwise), and
 * every flags field rejects unknown bits with -EINVAL.
 *
 * Which error wins when several apply, for an SQE: (1) its form: an
 * unknown opcode or flag, a non-zero reserved field or a field its op does
 * not use: -EINVAL (the only kind counted in stats.rejected); (2) its fd,
 * for ops on one: -EBADF (negative, not open, not a handle, or not open
 * for the op's access); (3) its arguments: -E2BIG, -ENAMETOOLONG, -EINVAL
 * (an OPEN with len 0, an FSTAT buffer shorter than struct uscheme_stat,
 * a FILES_UPDATE of 0 or more than USCHEME_FU_MAX entries, bad op_flags);
 * (4) what the op itself finds (-ENOENT for no such scheme, the daemon's
 * answer, ...). So a CALL with len2 > USCHEME_IO_MAX on a closed fd is
 * -EBADF, and an FSTAT with a short buffer on a good handle -EINVAL.
 */
#ifndef _UAPI_USCHEME_H
#define _UAPI_USCHEME_H

#include <linux/const.h>
#include <linux/ioctl.h>
#include <linux/types.h>

#define USCHEME_DEVICE		"/dev/uscheme"

/* Ring sizes: powers of two. */
#define USCHEME_MAX_SQ_ENTRIES	4096
#define USCHEME_MAX_CQ_ENTRIES	8192

/* USCHEME_IOC_SETUP flags (struct uscheme_params.flags). */
#define USCHEME_SETUP_CQE32	_BITUL(0) /* 32-byte CQEs (struct uscheme_cqe32) */
#define USCHEME_SETUP_SCHEME	_BITUL(1) /* a scheme ring ("Schemes" issue) */
#define USCHEME_SETUP_FLAGS	(USCHEME_SETUP_CQE32 | USCHEME_SETUP_SCHEME)

/*
 * Feature bits returned by USCHEME_IOC_SETUP in struct uscheme_params.features
 * (and by USCHEME_IOC_FEATURES): what this module implements. A feature that
 * is absent means its ops complete with -EOPNOTSUPP.
 */
#define USCHEME_FEAT_NOP	_BITULL(0) /* NOP, enter with timeout, stats */
#define USCHEME_FEAT_CQE32	_BITULL(1) /* USCHEME_SETUP_CQE32 */
#define USCHEME_FEAT_SCHEME	_BITULL(2) /* scheme rings and client ops */
#define USCHEME_FEAT_FILES_UPDATE _BITULL(3) /* USCHEME_OP_FILES_UPDATE */
#define USCHEME_FEAT_DEVICE	_BITULL(4) /* kernel-served device schemes */
#define USCHEME_FEAT_SCHEME_RING _BITULL(5) /* USCHEME_SETUP_SCHEME, REGISTER */
#define USCHEME_FEAT_PASS_FD	_BITULL(6) /* USCHEME_CQE_F_FD answers */

/*
 * mmap offsets of the three regions (page aligned). Map at most the size
 * returned in struct uscheme_params, from the region's start; MAP_SHARED
 * only, never PROT_EXEC.
 */
#define USCHEME_OFF_RING	0x00000000ULL
#define USCHEME_OFF_SQES	0x10000000ULL
#define USCHEME_OFF_CQES	0x20000000ULL
#define USCHEME_OFF_DATA	0x30000000ULL

/*
 * A scheme ring's data area: each request in flight owns a page-aligned
 * chunk (struct uscheme_req.buf is its offset in the area). Sizes in bytes,
 * multiples of 4096.
 */
#define USCHEME_DATA_DEFAULT	0x800000U
#define USCHEME_DATA_MIN	0x200000U
#define USCHEME_DATA_MAX	0x10000000U
/* The largest READ or WRITE payload and CALL buffer; READ/WRITE are shortened to it. */
#define USCHEME_IO_MAX		0x100000U

/**
 * struct uscheme_params - argument of USCHEME_IOC_SETUP (in/out)
 * @sq_entries:	in: SQ entries, a power of two, 1..USCHEME_MAX_SQ_ENTRIES
 * @cq_entries:	in: CQ entries, a power of two, @sq_entries..USCHEME_MAX_CQ_ENTRIES,
 *		or 0 for 2 * @sq_entries (capped at the maximum)
 *		out: the CQ size chosen
 * @flags:	in: USCHEME_SETUP_*
 * @cqe_size:	out: bytes per CQE (16, or 32 with USCHEME_SETUP_CQE32)
 * @features:	out: USCHEME_FEAT_*
 * @ring_size:	out: length to mmap at USCHEME_OFF_RING
 * @sqes_size:	out: length to mmap at USCHEME_OFF_SQES
 * @cqes_size:	out: length to mmap at USCHEME_OFF_CQES
 * @data_size:	in: scheme rings: the data area's size, a multiple of 4096 in
 *		USCHEME_DATA_MIN..USCHEME_DATA_MAX, or 0 for
 *		USCHEME_DATA_DEFAULT; client rings: 0.
 *		out: the length to mmap at USCHEME_OFF_DATA (0: no data area)
 * @resv:	must be zero
 *
 * Errors: -EINVAL (bad sizes, unknown flags, non-zero reserved fields),
 * -EBUSY (this open is already set up), -EOPNOTSUPP (a flag this module does
 * not implement yet), -ENOMEM, -EFAULT.
 */
struct uscheme_params {
	__u32 sq_entries;
	__u32 cq_entries;
	__u32 flags;
	__u32 cqe_size;
	__u64 features;
	__u64 ring_size;
	__u64 sqes_size;
	__u64 cqes_size;
	__u64 data_size;
	__u64 resv[2];
};

/*
 * The ring header, mapped read-write at USCHEME_OFF_RING. Each field is
 * written by one side only, named in its comment (a scheme ring swaps the
 * writers of the four indices); the kernel never trusts a
 * field it writes itself (it keeps a private copy) and reads each user field
 * with READ_ONCE, once per pass.
 */
struct uscheme_ring_hdr {
	/* Submission queue: user produces, kernel consumes. */
	__u32 sq_head;		/* kernel (scheme ring: user) */
	__u32 sq_tail;		/* user (scheme ring: kernel) */
	__u32 sq_mask;		/* kernel, constant */
	__u32 sq_entries;	/* kernel, constant */
	__u32 sq_flags;		/* kernel, none defined yet */
	__u32 sq_clamped;	/* kernel: passes where a user tail was beyond the ring */
	__u32 sq_pad[10];
	/* Completion queue: kernel produces, user consumes. */
	__u32 cq_head;		/* user (scheme ring: kernel) */
	__u32 cq_tail;		/* kernel (scheme ring: user) */
	__u32 cq_mask;		/* kernel, constant */
	__u32 cq_entries;	/* kernel, constant */
	__u32 cq_flags;		/* kernel: USCHEME_CQ_F_* */
	__u32 cq_overflow;	/* kernel: completions parked because the CQ was full */
	__u32 cq_pad[10];
};

/* cq_flags: completions are parked in the kernel; consume CQEs and enter. */
#define USCHEME_CQ_F_OVERFLOW	_BITUL(0)

/*
 * Ops (struct uscheme_sqe.opcode) on a client ring. Fields an op does not
 * name must be zero (-EINVAL otherwise). An opcode >= USCHEME_OP_LAST
 * completes with -EINVAL; an op whose feature bit is clear completes with
 * -EOPNOTSUPP. "fd" is a handle fd (an OPEN result): any other fd gives
 * -EBADF. Every routed op may also fail with: -EPIPE (the daemon is gone),
 * -EIO (the daemon gave an illegal answer), -ECANCELED (cancelled), -EINTR
 * (a signal interrupted a wait for room in the daemon's queue), -EFAULT, or
 * any error the daemon answers with, unchanged (-USCHEME_ERRNO_MAX..-1).
 *
 * NOP		No arguments. res = 0.
 * OPEN		addr = "scheme:path", NUL-terminated within len bytes (len at
 *		most USCHEME_PATH_MAX); op_flags = the OPEN flags below (Linux
 *		O_* values). res = the new handle's fd, installed in the
 *		submitting process. Errors: -ENOENT (no such scheme),
 *		-EINVAL (no ':', bad name or flags), -ENAMETOOLONG, -EMFILE.
 * CLOSE	fd. Closes the fd in the submitting process (like close(2));
 *		the daemon gets CLOSE when the handle's last reference goes.
 *		res = 0, -EBADF.
 * READ		fd; addr/len = buffer; off = offset, or USCHEME_OFF_CURRENT for
 *		the file position (which then advances). len is shortened to
 *		USCHEME_IO_MAX. res = bytes read (0 at end of file).
 *		-EBADF also for a handle not opened for reading.
 * WRITE	as READ. res = bytes written. -EBADF for a handle not opened
 *		for writing.
 * FSTAT	fd; addr/len = a struct uscheme_stat (len >= its size). res = 0.
 * FSYNC	fd. res = 0.
 * FTRUNCATE	fd; off = new length. res = 0.
 * DUP		fd; addr/len = suffix (len may be 0, at most USCHEME_PATH_MAX);
 *		op_flags = 0 or O_CLOEXEC. res = the new handle's fd.
 * CALL		fd; addr/len = input; addr2/len2 = output (each at most
 *		USCHEME_IO_MAX, else -E2BIG); op_flags = scheme-defined.
 *		res = bytes of output.
 * FILES_UPDATE	addr = array of struct uscheme_fu_entry, len = entries
 *		(1..USCHEME_FU_MAX). Adds, changes or removes interest in fds;
 *		see "Events" below. Entries apply in order, each on its own:
 *		each entry's res is written back (0 or -errno). res = entries
 *		that succeeded; -EFAULT if the array cannot be read or written.
 * CANCEL	addr = user_data of an earlier routed op of this ring. It
 *		completes with -ECANCELED at once; a daemon that had received
 *		it is sent a CANCEL, and its late answer is discarded (an
 *		OPEN or DUP it completed anyway is closed for it).
 *		res = 0, -ENOENT (no such op in flight), -EALREADY (it was
 *		answered first; its own CQE comes as usual).
 * SEND_EVENT	Not an SQE: a daemon sets the readiness of one of its handles
 *		with a response whose flags are USCHEME_CQE_F_EVENT (see
 *		"Events"). As an SQE opcode: -EINVAL.
 *
 * The same ops as a daemon sees them (struct uscheme_req on a scheme ring;
 * "buf" is the request's chunk in the data area, "id" the daemon's handle
 * id, the result of its OPEN or DUP answer):
 *
 * OPEN		buf/len = the path after "scheme:" (len bytes, then a NUL);
 *		op_flags = O_* flags (without O_CLOEXEC). Answer: res = the
 *		new handle's id (0..INT32_MAX) or -errno.
 * CLOSE	id. A notification (USCHEME_REQ_F_NOREPLY): do not answer.
 * READ		id; off; buf/len = room for the data (zeroed). Answer:
 *		res = bytes placed at buf, 0..len.
 * WRITE	id; off; buf/len = the data. Answer: res = bytes taken, 0..len.
 * FSTAT	id; buf/len = a zeroed struct uscheme_stat to fill. res = 0.
 * FSYNC	id. res = 0.
 * FTRUNCATE	id; off = new length. res = 0.
 * DUP		id; buf/len = suffix (len bytes, then a NUL). res = new id.
 * CALL		id; buf/len = input; len2 = output capacity; op_flags. The
 *		chunk holds max(len, len2) bytes; write the output at buf.
 *		res = output bytes, 0..len2.
 * CANCEL	off = the tag of a request this daemon received and has not
 *		answered. A notification: do not answer it; answer the
 *		cancelled request as usual (its answer is discarded).
 * An answer with res >= 0 where the op allows only 0, res beyond the range
 * above, or res < -USCHEME_ERRNO_MAX is illegal: the client gets -EIO (and
 * the scheme's rejected counter counts it). Errors a daemon may answer with
 * are the userspace errnos, 1..USCHEME_ERRNO_MAX (EPERM .. EHWPOISON):
 * the kernel's internal codes above them (ERESTARTSYS 512 ..
 * EIOCBQUEUED 529) never reach a client.
 */
/* EHWPOISON, the highest userspace errno where errno numbers are asm-generic's (x86) */
#define USCHEME_ERRNO_MAX	133

enum uscheme_op {
	USCHEME_OP_NOP = 0,
	USCHEME_OP_OPEN,
	USCHEME_OP_CLOSE,
	USCHEME_OP_READ,
	USCHEME_OP_WRITE,
	USCHEME_OP_FSTAT,
	USCHEME_OP_FSYNC,
	USCHEME_OP_FTRUNCATE,
	USCHEME_OP_DUP,
	USCHEME_OP_CALL,
	USCHEME_OP_FILES_UPDATE,
	USCHEME_OP_CANCEL,
	USCHEME_OP_SEND_EVENT,
	USCHEME_OP_LAST,	/* first invalid opcode */
};

/* SQE flags (struct uscheme_sqe.flags): none defined yet; must be zero. */
#define USCHEME_SQE_FLAGS	0

/* off value for READ/WRITE: use and advance the file position. */
#define USCHEME_OFF_CURRENT	(~0ULL)
#define USCHEME_PATH_MAX	4096

/*
 * OPEN flags: O_ACCMODE, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY,
 * O_NONBLOCK, O_CLOEXEC, with Linux's values (those of <fcntl.h> on the
 * caller's architecture). Others give -EINVAL. Only O_ACCMODE, O_NONBLOCK
 * and O_CLOEXEC mean something to the kernel (the handle's access mode,
 * the fd's flags); the daemon interprets the rest.
 */

/**
 * struct uscheme_stat - what FSTAT returns, 64 bytes
 * @size:	bytes
 * @blocks:	512-byte blocks allocated
 * @atime_ns:	last access, ns since the epoch
 * @mtime_ns:	last modification
 * @ctime_ns:	last status change
 * @mode:	file type and permission bits (S_IF* | 07777); a type the
 *		kernel does not know makes the answer illegal
 * @nlink:	links
 * @uid:	owner, as the daemon sees it
 * @gid:	group
 * @blksize:	preferred I/O size, 0 for the page size
 * @resv:	zero
 */
struct uscheme_stat {
	__u64 size;
	__u64 blocks;
	__u64 atime_ns;
	__u64 mtime_ns;
	__u64 ctime_ns;
	__u32 mode;
	__u32 nlink;
	__u32 uid;
	__u32 gid;
	__u32 blksize;
	__u32 resv;
};

/**
 * struct uscheme_sqe - submission queue entry, 64 bytes (client ring)
 * @opcode:	USCHEME_OP_*; >= USCHEME_OP_LAST completes with -EINVAL
 * @flags:	USCHEME_SQE_*; unknown bits complete with -EINVAL
 * @ioprio:	reserved, must be zero
 * @fd:		the handle the op acts on (ops that take one), else zero
 * @off:	file offset (READ, WRITE, FTRUNCATE), else zero
 * @addr:	user pointer to the op's buffer, else zero
 * @len:	length of @addr's buffer, else zero
 * @op_flags:	per-op flags, else zero
 * @user_data:	returned unchanged in the CQE
 * @addr2:	second user buffer (CALL output), else zero
 * @len2:	length of @addr2's buffer, else zero
 * @resv0:	must be zero
 * @resv1:	must be zero
 */
struct uscheme_sqe {
	__u8  opcode;
	__u8  flags;
	__u16 ioprio;
	__s32 fd;
	__u64 off;
	__u64 addr;
	__u32 len;
	__u32 op_flags;
	__u64 user_data;
	__u64 addr2;
	__u32 len2;
	__u32 resv0;
	__u64 resv1;
};

/**
 * struct uscheme_req - a request the kernel produces on a scheme ring, 64 bytes
 * (layout of the SQE array when USCHEME_SETUP_SCHEME is set)
 * @opcode:	USCHEME_OP_* (OPEN .. CANCEL)
 * @flags:	USCHEME_REQ_F_*
 * @resv0:	zero
 * @len2:	second length (CALL output capacity)
 * @tag:	kernel-assigned; the response's user_data must echo it (0 for
 *		notifications)
 * @id:		the daemon's handle id (its OPEN result), zero for OPEN
 * @off:	offset argument
 * @buf:	offset of this request's buffer in the daemon's data area
 * @len:	length argument
 * @op_flags:	per-op flags
 * @pid:	the caller's thread group id in the pid namespace the daemon
 *		registered from; 0 when the caller is not visible there
 * @uid:	the caller's fs uid (its effective uid unless it called
 *		setfsuid()) in the user namespace the daemon registered from;
 *		65534 (the overflow uid) when it has no mapping there, never 0
 * @gid:	the caller's fs gid, likewise
 * @resv1:	zero
 */
struct uscheme_req {
	__u8  opcode;
	__u8  flags;
	__u16 resv0;
	__u32 len2;
	__u64 tag;
	__u64 id;
	__u64 off;
	__u64 buf;
	__u32 len;
	__u32 op_flags;
	__u32 pid;
	__u32 uid;
	__u32 gid;
	__u32 resv1;
};

/* A notification (CLOSE, CANCEL): the daemon must not answer it. */
#define USCHEME_REQ_F_NOREPLY	_BITUL(0)

/**
 * struct uscheme_cqe - completion queue entry, 16 bytes
 * @user_data:	the SQE's user_data (client ring); the request's tag (a
 *		daemon's response on a scheme ring)
 * @res:	result: >= 0 on success, -errno on failure
 * @flags:	USCHEME_CQE_F_*
 */
struct uscheme_cqe {
	__u64 user_data;
	__s32 res;
	__u32 flags;
};

/* A 32-byte CQE (USCHEME_SETUP_CQE32): @big carries results that need more. */
struct uscheme_cqe32 {
	struct uscheme_cqe cqe;
	__u64 big[2];
};

/* CQE flags. */
#define USCHEME_CQE_F_EVENT	_BITUL(0) /* FilesUpdate readiness, res = event mask */
#define USCHEME_CQE_F_MORE	_BITUL(1) /* a multishot registration stays armed */
/*
 * A daemon's answer to OPEN or DUP with USCHEME_CQE_F_FD passes on one of
 * its own open files instead of naming a handle of its scheme: res = that fd
 * in the daemon's fd table. The client gets a new fd for the same open file
 * (as with SCM_RIGHTS: shared position and status flags; O_CLOEXEC from the
 * client's OPEN flags); the daemon's fd stays open and its own. This is how
 * pcid hands a driver the device handles it opened. A res that is not an
 * open fd of the daemon's is rejected (counted) and the client gets -EIO.
 * So is a file that could hold other files' references where no garbage
 * collector sees them (see "Events", Lifetimes): a uscheme ring (the
 * daemon's own scheme ring too: a scheme never outlives its daemon through
 * a passed ring), an AF_UNIX socket, an io_uring instance.
 */
#define USCHEME_CQE_F_FD	_BITUL(2)

/*
 * Events (FILES_UPDATE)
 * ---------------------
 * A client ring registers interest in fds; readiness comes back as CQEs
 * { user_data = the entry's user_data, res = the ready mask (USCHEME_EV_*),
 *   flags = USCHEME_CQE_F_EVENT, | USCHEME_CQE_F_MORE while still armed }.
 *
 * Edge-triggered: a CQE is posted when the fd signals a change (its wait
 * queue is woken) and a poll then finds an event of interest ready, and once
 * at ADD or MOD if one is ready then. Nothing is posted again for a state
 * that did not change. ERR and HUP are always reported. ONESHOT disarms the
 * registration after its first CQE (no F_MORE); re-arm it with MOD.
 *
 * Coalescing: a registration has at most one event waiting to be posted.
 * Wakeups that come while it waits are merged into it (counted in
 * struct uscheme_stats.ev_merged), so a storm never floods the CQ. An event
 * CQE needs a free CQ slot (like any CQE, never dropped): while the CQ is
 * full, events wait in the kernel until the user reaps and enters. Like
 * routed ops, event CQEs are produced when the ring's process enters it
 * (poll() on the ring says EPOLLIN while some wait).
 *
 * Sources: any pollable fd (pipe, inet socket, eventfd, timerfd,
 * signalfd, pidfd, epoll; a regular file is always ready); another uscheme
 * ring (READ: CQEs or requests waiting, WRITE: room in the queue it
 * produces; a ring cannot watch itself: -EINVAL); a scheme handle, whose
 * readiness its daemon sets (below); interrupt handles (Device services:
 * each a file that polls readable when interrupts came).
 *
 * Lifetimes: a registration holds a reference on the watched file (not on
 * a watched ring, which can close at will). DEL ends it at once. A file
 * that can itself hold references to other files, an AF_UNIX socket
 * (SCM_RIGHTS in its queues) or an io_uring instance (registered files), is
 * refused with -EOPNOTSUPP: a reference on it could close a cycle (the
 * socket's queue holding this ring's fd) that the kernel's unix-socket
 * garbage collector cannot see, and every ring in it would live forever.
 * Watch such a file through an epoll fd instead (epoll holds no reference
 * on what it watches; an epoll fd is a pollable source like any other).
 * A watched fd that is closed (or now names another file, even while the
 * watched file lives on elsewhere), or a watched ring released, ends its
 * registration at its next event or the next enter, with a final CQE
 * res = -EBADF (no F_MORE); from the close on, ADD of the same fd number
 * registers the new file (no -EEXIST), and MOD or DEL of the number reach
 * the new registration first. Closing the ring ends them all.
 *
 * A daemon sets a handle's readiness with a response whose flags are
 * USCHEME_CQE_F_EVENT: user_data = the handle's id, res = its ready mask
 * from now on (USCHEME_EV_READ | USCHEME_EV_WRITE, or 0). Every client
 * watching that handle (FILES_UPDATE, poll, epoll) is woken. A handle is
 * READ|WRITE ready until its daemon first sets it, and READ|WRITE|ERR|HUP
 * once its daemon is gone (ops on it then fail with -EPIPE at once), to
 * every way of asking: poll(2), epoll, FILES_UPDATE and io_uring's
 * POLL_ADD (which reports the same bits, masked by what it asked for). An
 * unknown id or mask is dropped and counted as rejected.
 */
#define USCHEME_EV_READ		0x001	/* EPOLLIN */
#define USCHEME_EV_WRITE	0x004	/* EPOLLOUT */
#define USCHEME_EV_ERR		0x008	/* EPOLLERR, always reported */
#define USCHEME_EV_HUP		0x010	/* EPOLLHUP, always reported */

/* struct uscheme_fu_entry.flags: exactly one of ADD, MOD, DEL; ONESHOT with ADD/MOD. */
#define USCHEME_FU_ADD		_BITUL(0)	/* -EEXIST if the fd's file is registered */
#define USCHEME_FU_MOD		_BITUL(1)	/* new events/user_data/oneshot; -ENOENT */
#define USCHEME_FU_DEL		_BITUL(2)	/* -ENOENT if not registered */
#define USCHEME_FU_ONESHOT	_BITUL(3)
#define USCHEME_FU_MAX		1024		/* entries in one FILES_UPDATE */

/**
 * struct uscheme_fu_entry - one FILES_UPDATE entry, 32 bytes
 * @fd:		in: the fd to watch
 * @events:	in: USCHEME_EV_READ and/or USCHEME_EV_WRITE (ADD, MOD); 0 for DEL
 * @flags:	in: USCHEME_FU_*
 * @res:	out: 0, or -EBADF (bad fd), -EINVAL (bad flags, events,
 *		reserved field; the ring's own fd), -EEXIST, -ENOENT, -EPERM
 *		(the file polls on more than two wait queues), -EOPNOTSUPP
 *		(an AF_UNIX socket or io_uring instance: watch it through
 *		epoll, see Lifetimes), -ENOMEM
 * @user_data:	in: returned in this registration's event CQEs
 * @resv:	must be zero
 */
struct uscheme_fu_entry {
	__s32 fd;
	__u32 events;
	__u32 flags;
	__s32 res;
	__u64 user_data;
	__u64 resv;
};

/**
 * struct uscheme_enter - argument of USCHEME_IOC_ENTER (in/out)
 * @to_submit:	in: submit up to this many SQEs (fewer if the SQ holds fewer)
 * @min_complete: in: with USCHEME_ENTER_GETEVENTS, wait until at least this
 *		many CQEs are ready (at most the CQ size)
 * @flags:	in: USCHEME_ENTER_*
 * @submitted:	out: SQEs consumed by this call (also when it fails with
 *		-EINTR, -ETIME or -EBUSY after submitting some)
 * @timeout_ns:	in: with USCHEME_ENTER_TIMEOUT, the longest wait, relative (for
 *		completions, and for room in a daemon's queue: -ETIME, the
 *		SQE that waited left in the SQ)
 * @ready:	out: CQEs ready when the call returned
 * @resv0:	must be zero
 * @resv:	must be zero
 *
 * Returns 0 on success: with GETEVENTS, min_complete entries are ready,
 * except when the call consumed entries and the thread then had to return
 * to userspace without a signal (task work of io_uring, say): then ready
 * says how many there are, and the caller enters again to wait for more
 * (libuscheme does). Errors: -EINVAL (bad flags, reserved fields,
 * min_complete larger than the CQ, USCHEME_ENTER_TIMEOUT without
 * USCHEME_ENTER_GETEVENTS, a negative timeout_ns; a timeout too large to
 * represent waits as long as the kernel can), -EBADFD (no USCHEME_IOC_SETUP yet),
 * -EBUSY (nothing could be submitted because the CQ has no room for the
 * completions: reap CQEs first), -ETIME (timeout before min_complete),
 * -EINTR (a signal arrived while waiting, for completions or for room in a
 * daemon's queue: an SQE that waited for room is left in the SQ), -EFAULT.
 */
struct uscheme_enter {
	__u32 to_submit;
	__u32 min_complete;
	__u32 flags;
	__u32 submitted;
	__s64 timeout_ns;
	__u32 ready;
	__u32 resv0;
	__u64 resv[2];
};

#define USCHEME_ENTER_GETEVENTS	_BITUL(0)
#define USCHEME_ENTER_TIMEOUT	_BITUL(1)
#define USCHEME_ENTER_FLAGS	(USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT)

/**
 * struct uscheme_stats - argument of USCHEME_IOC_STATS (out): this ring's
 * counters since setup
 * @submitted:	SQEs consumed (scheme ring: responses consumed)
 * @completed:	CQEs posted
 * @rejected:	malformed SQEs (rule 1 of "Which error wins": -EINVAL
 *		completions for their form; a bad fd or argument is the op's
 *		error, not counted); on a scheme ring, responses dropped
 *		(unknown, stale or duplicate tag) or refused (an illegal result)
 * @overflow:	completions parked because the CQ was full when they came
 * @sq_clamped:	passes that found a user-written tail (SQEs, or a scheme
 *		ring's responses) beyond the ring, clamped
 * @busy:	enter calls refused with -EBUSY (CQ backpressure)
 * @waits:	enter calls that slept waiting for completions
 * @ev_merged:	FilesUpdate wakeups merged into an event already waiting
 * @lost:	parked completions dropped because the kernel had no memory
 *		to park them (only possible when userspace moved cq_head
 *		backwards or the system is out of memory)
 * @resv:	zero
 */
struct uscheme_stats {
	__u64 submitted;
	__u64 completed;
	__u64 rejected;
	__u64 overflow;
	__u64 sq_clamped;
	__u64 busy;
	__u64 waits;
	__u64 lost;
	__u64 ev_merged;
	__u64 resv[7];
};

/*
 * Scheme names: 1 to USCHEME_NAME_MAX - 1 characters from [a-z0-9._-],
 * NUL-terminated ("ram", "usb.0000-00-02.0"). ':' separates a scheme from
 * its path and is never part of a name.
 */
#define USCHEME_NAME_MAX	64

/**
 * struct uscheme_register - argument of USCHEME_IOC_REGISTER (in)
 * @name:	the scheme name, NUL-terminated within the array
 * @flags:	none defined yet; must be zero
 * @resv:	must be zero
 *
 * Names the scheme this scheme ring serves, until the ring is closed (the
 * name is then free for a restarted daemon). Needs CAP_SYS_ADMIN: a scheme
 * name is a namespace every process on the system resolves.
 * Errors: -EINVAL (bad name, flags or reserved fields; not a scheme ring),
 * -EBADFD (no USCHEME_IOC_SETUP yet), -EPERM (no CAP_SYS_ADMIN), -EBUSY
 * (this ring already serves a scheme), -EEXIST (the name is taken), -EFAULT.
 */
struct uscheme_register {
	char name[USCHEME_NAME_MAX];
	__u64 flags;
	__u64 resv[3];
};

#define USCHEME_IOC_MAGIC	0xB8 /* unassigned in ioctl-number.rst */
/* Size the ring and get the mmap layout; once per open. */
#define USCHEME_IOC_SETUP	_IOWR(USCHEME_IOC_MAGIC, 0x00, struct uscheme_params)
/* Submit and/or wait. */
#define USCHEME_IOC_ENTER	_IOWR(USCHEME_IOC_MAGIC, 0x01, struct uscheme_enter)
/* Read this ring's counters (-EBADFD before setup). */
#define USCHEME_IOC_STATS	_IOR(USCHEME_IOC_MAGIC, 0x02, struct uscheme_stats)
/* The module's feature bits (USCHEME_FEAT_*), without setting up a ring. */
#define USCHEME_IOC_FEATURES	_IOR(USCHEME_IOC_MAGIC, 0x03, __u64)
/* Serve a scheme on this scheme ring. */
#define USCHEME_IOC_REGISTER	_IOW(USCHEME_IOC_MAGIC, 0x04, struct uscheme_register)
/* Open "scheme:path" and wait for the daemon, without a ring. */
#define USCHEME_IOC_OPEN	_IOWR(USCHEME_IOC_MAGIC, 0x05, struct uscheme_open)

/**
 * struct uscheme_open - argument of USCHEME_IOC_OPEN (in/out), on any open
 * of /dev/uscheme (set up or not)
 * @path:	in: pointer to "scheme:path", NUL-terminated, at most
 *		USCHEME_PATH_MAX bytes with the NUL
 * @flags:	in: the OPEN flags (O_* values, see above)
 * @fd:		out: the new handle fd
 * @resv:	must be zero
 *
 * Returns 0. Errors: as OPEN above, plus -EINTR (a signal; the daemon is
 * sent a CANCEL).
 */
struct uscheme_open {
	__u64 path;
	__u32 flags;
	__s32 fd;
	__u64 resv[2];
};

/*
 * Ioctls on a handle fd: the ops that have no syscall of their own.
 */
/**
 * struct uscheme_dup - argument of USCHEME_HIOC_DUP (in/out)
 * @suffix:	in: pointer to the suffix bytes (may be 0 when @len is 0)
 * @len:	in: suffix length, at most USCHEME_PATH_MAX
 * @flags:	in: 0 or O_CLOEXEC
 * @fd:		out: the new handle fd
 * @resv0:	must be zero
 * @resv:	must be zero
 */
struct uscheme_dup {
	__u64 suffix;
	__u32 len;
	__u32 flags;
	__s32 fd;
	__u32 resv0;
	__u64 resv[2];
};

/**
 * struct uscheme_call - argument of USCHEME_HIOC_CALL (in/out)
 * @in:		in: pointer to the input
 * @in_len:	in: input length, at most USCHEME_IO_MAX
 * @op_flags:	in: scheme-defined
 * @out:	in: pointer to the output buffer
 * @out_len:	in: its length, at most USCHEME_IO_MAX
 * @result:	out: bytes of output written to @out
 * @resv:	must be zero
 */
struct uscheme_call {
	__u64 in;
	__u32 in_len;
	__u32 op_flags;
	__u64 out;
	__u32 out_len;
	__s32 result;
	__u64 resv[2];
};

#define USCHEME_HIOC_DUP	_IOWR(USCHEME_IOC_MAGIC, 0x20, struct uscheme_dup)
#define USCHEME_HIOC_CALL	_IOWR(USCHEME_IOC_MAGIC, 0x21, struct uscheme_call)

/*
 * Device services: the kernel-served "pcidev" scheme
 * ---------------------------------------------------
 * A PCI function handed to uscheme's stub driver (driver name "uscheme";
 * bound only through its driver_override, never by ID: see `uscheme bind`)
 * is served in the kernel, without a daemon:
 *
 *   "pcidev:"              a directory: one line per bound function,
 *                          "ADDRESS VENDOR:DEVICE CLASS free|busy"
 *   "pcidev:0000:00:04.0"  the function handle (opened O_RDWR)
 *
 * Opening needs CAP_SYS_RAWIO (-EPERM otherwise): a bus-master device can
 * write any memory the IOMMU lets it (all of it, without one). Whoever holds
 * a handle may pass it on (fork, SCM_RIGHTS, a daemon's USCHEME_CQE_F_FD
 * answer); what it derives (BAR, DMA and interrupt fds) needs no privilege.
 * OPEN errors: -ENOENT (no such function bound to uscheme), -EBUSY (a
 * session is open on it), -EACCES (not O_RDWR), -ENODEV (being unbound).
 *
 * A session is everything derived from one open of a function handle: the
 * handle, its BAR, DMA and interrupt fds, and their mmaps. The first open
 * enables the device (pci_enable_device; decoding on, bus mastering off);
 * only one session per function exists at a time. When the last file of a
 * session goes (close, exit, kill), the kernel tears it down in this order:
 *   1. bus mastering off (the device can no longer reach memory),
 *   2. interrupts freed (vectors released, INTx masked),
 *   3. DMA buffers freed (including those released early, see below),
 *   4. the function reset, where it has a reset method, and its config
 *      space put back as the session found it,
 *   5. the device disabled.
 * A session starts with a reset too when the last one could not be done;
 * if that reset is busy (the device lock is held) OPEN fails with -EBUSY.
 * Unbinding the function during a session does the same at once and
 * revokes the session: its mmaps are zapped (a later access is SIGBUS),
 * every call on its fds fails with -ENODEV, and interrupt fds poll
 * EPOLLERR | EPOLLHUP (a DMA buffer that was mapped keeps its memory until
 * its fd is closed, out of the device's reach).
 *
 * On the function handle:
 *   pread/pwrite	config space, offset 0..cfg_size (256 or 4096).
 *			Reads: any bytes. Writes are checked whole before any
 *			byte is written (-EPERM if any byte is refused):
 *			  allowed  command register (0x04): the bits IO,
 *			           MEMORY, MASTER, PARITY and SERR; a write that
 *			           would change any other command bit is refused
 *			  allowed  status (0x06, write 1 to clear), cache line
 *			           size (0x0c), latency timer (0x0d)
 *			  allowed  capabilities and extended space, except:
 *			  refused  the rest of the header (0x00-0x3f: IDs,
 *			           BARs, ROM, interrupt line, BIST, ...), the
 *			           MSI, MSI-X and power management capabilities
 *			           (the kernel owns interrupts and power state),
 *			           the PCIe Device Control register (FLR; not
 *			           virtualized), the Advanced Features, ACS,
 *			           (VF) Resizable BAR, SR-IOV, ATS, PRI and
 *			           PASID capabilities
 *			-EINVAL past cfg_size.
 *			Memory decode off (the MEMORY bit cleared) zaps the
 *			session's BAR mmaps: SIGBUS on access, and BAR
 *			pread/pwrite -EIO, until it is on again (I/O BARs:
 *			the IO bit).
 *   fstat		size = cfg_size
 *   ioctls		USCHEME_PIOC_INFO, _BAR_OPEN, _DMA_ALLOC, _IRQ_SETUP,
 *			_IRQ_OPEN, _MASTER (below)
 *
 * A BAR fd (USCHEME_PIOC_BAR_OPEN):
 *   mmap		memory BARs: MAP_SHARED only, uncached, offset and length
 *			within the BAR (-EINVAL), never a page holding the
 *			MSI-X table or PBA (-EACCES); I/O BARs and BARs smaller
 *			than a page: -ENODEV.
 *   pread/pwrite	1, 2, 4 (or, memory BARs, 8) naturally aligned bytes
 *			at an offset within the BAR: one register access
 *			(-EINVAL otherwise; -EACCES in the MSI-X table or PBA;
 *			-EIO while the BAR's decode is off)
 *   fstat		size = the BAR's size
 *
 * A DMA buffer fd (USCHEME_PIOC_DMA_ALLOC): DMA-coherent memory from the
 * DMA API (so behind an IOMMU the bus address is an IOVA, not a physical
 * address), zeroed. The function uses a 64-bit DMA mask, or 32 bits when
 * the platform refuses 64.
 *   mmap		MAP_SHARED, offset + length within the buffer (-EINVAL)
 *   fstat		size = the buffer's size
 *   ioctl		USCHEME_PIOC_DMA_INFO: the size and bus address again
 * Closing a buffer's last fd and mapping frees it at once when bus mastering
 * is off; while it is on, the device may still write there, so the buffer
 * is kept (counted against the session's limit) until the session ends.
 *
 * An interrupt fd (USCHEME_PIOC_IRQ_OPEN), one vector:
 *   read		8 bytes: a __u64, the interrupts since the last
 *			acknowledgment (blocks while 0; -EAGAIN with
 *			O_NONBLOCK; -EINTR on a signal; -EINVAL for fewer than
 *			8 bytes)
 *   write		8 bytes: a __u64 n, acknowledging n of them (-EINVAL
 *			for 0 or more than are pending). For INTx the kernel
 *			masks the line (PCI_COMMAND_INTX_DISABLE) when it fires
 *			and unmasks it when every interrupt is acknowledged: the
 *			driver quiets the device first, then acknowledges.
 *   poll		EPOLLIN | EPOLLRDNORM while interrupts are pending;
 *			a watch for USCHEME_EV_READ (FILES_UPDATE) gets an
 *			event CQE per new interrupt (edge-triggered, merged).
 */
#define USCHEME_PCI_BARS	6

/* struct uscheme_pci_bar.flags */
#define USCHEME_BAR_MEM		_BITUL(0)	/* a memory BAR (else I/O) */
#define USCHEME_BAR_64		_BITUL(1)	/* 64-bit memory BAR */
#define USCHEME_BAR_PREFETCH	_BITUL(2)	/* prefetchable */
#define USCHEME_BAR_MSIX	_BITUL(3)	/* holds the MSI-X table or PBA */

/**
 * struct uscheme_pci_bar - one BAR, in struct uscheme_pci_info
 * @size:	bytes; 0 when the BAR is not implemented
 * @flags:	USCHEME_BAR_*
 * @resv:	zero
 */
struct uscheme_pci_bar {
	__u64 size;
	__u32 flags;
	__u32 resv;
};

/* struct uscheme_pci_info.irq_modes, struct uscheme_irq_setup.mode */
#define USCHEME_IRQ_AUTO	0		/* setup: MSI-X, then MSI, then INTx */
#define USCHEME_IRQ_MSIX	_BITUL(0)
#define USCHEME_IRQ_MSI		_BITUL(1)
#define USCHEME_IRQ_INTX	_BITUL(2)

/**
 * struct uscheme_pci_info - argument of USCHEME_PIOC_INFO (out)
 * @vendor, @device, @subvendor, @subdevice: the IDs
 * @class_code: class code, subclass and prog-if (0x0c0330 for xHCI); not
 *		"class", so that the header compiles as C++
 * @revision:	revision ID
 * @irq_pin:	the INTx pin (1-4), 0 for none
 * @irq_modes:	USCHEME_IRQ_* the function can use
 * @msix_vectors: MSI-X table size (0 without MSI-X)
 * @msi_vectors: MSI vectors it can use (0 without MSI)
 * @cfg_size:	config space size, 256 or 4096
 * @resv:	zero
 * @bars:	the six BARs
 */
struct uscheme_pci_info {
	__u16 vendor;
	__u16 device;
	__u16 subvendor;
	__u16 subdevice;
	__u32 class_code;
	__u8 revision;
	__u8 irq_pin;
	__u8 irq_modes;
	__u8 resv0;
	__u16 msix_vectors;
	__u16 msi_vectors;
	__u32 cfg_size;
	__u64 resv[2];
	struct uscheme_pci_bar bars[USCHEME_PCI_BARS];
};

/**
 * struct uscheme_pci_fd - argument of USCHEME_PIOC_BAR_OPEN and
 * USCHEME_PIOC_IRQ_OPEN (in/out)
 * @index:	in: the BAR (0-5) or the vector (0 .. nvec - 1)
 * @flags:	in: 0 or O_CLOEXEC
 * @fd:		out: the new fd
 * @resv:	must be zero
 *
 * BAR_OPEN errors: -EINVAL (index, flags, reserved fields), -ENOENT (the
 * BAR is not implemented). IRQ_OPEN errors: -EINVAL, -ENOENT (no such
 * vector: USCHEME_PIOC_IRQ_SETUP first).
 */
struct uscheme_pci_fd {
	__u32 index;
	__u32 flags;
	__s32 fd;
	__u32 resv;
};

/* DMA buffer sizes: 1 byte (rounded up to a page) to USCHEME_DMA_MAX. */
#define USCHEME_DMA_MAX		(4U << 20)
/* All of a session's DMA buffers, released-but-kept ones included. */
#define USCHEME_DMA_SESSION_MAX	(64U << 20)

/**
 * struct uscheme_dma - argument of USCHEME_PIOC_DMA_ALLOC (in/out) and
 * USCHEME_PIOC_DMA_INFO (out)
 * @size:	in: bytes wanted; out: bytes allocated (whole pages)
 * @flags:	in: 0 or O_CLOEXEC
 * @fd:		out: the buffer's fd
 * @bus_addr:	out: the address the device uses for its first byte
 * @resv:	must be zero
 *
 * Errors: -EINVAL (size 0, flags, reserved fields), -E2BIG (size over
 * USCHEME_DMA_MAX), -ENOSPC (the session would hold more than
 * USCHEME_DMA_SESSION_MAX), -ENOMEM.
 */
struct uscheme_dma {
	__u64 size;
	__u32 flags;
	__s32 fd;
	__u64 bus_addr;
	__u64 resv[2];
};

/**
 * struct uscheme_irq_setup - argument of USCHEME_PIOC_IRQ_SETUP (in/out)
 * @mode:	in: USCHEME_IRQ_AUTO or one USCHEME_IRQ_* mode;
 *		out: the mode in use
 * @nvec:	in: vectors wanted (1 or more; INTx has one);
 *		out: vectors allocated (may be fewer)
 * @resv:	must be zero
 *
 * Once per session. Errors: -EINVAL (mode, nvec 0, reserved fields),
 * -EBUSY (already set up), -EOPNOTSUPP (the function lacks the
 * mode, or INTx masking), -ENOSPC (no vectors).
 */
struct uscheme_irq_setup {
	__u32 mode;
	__u32 nvec;
	__u64 resv;
};

#define USCHEME_PIOC_INFO	_IOR(USCHEME_IOC_MAGIC, 0x40, struct uscheme_pci_info)
#define USCHEME_PIOC_BAR_OPEN	_IOWR(USCHEME_IOC_MAGIC, 0x41, struct uscheme_pci_fd)
#define USCHEME_PIOC_DMA_ALLOC	_IOWR(USCHEME_IOC_MAGIC, 0x42, struct uscheme_dma)
#define USCHEME_PIOC_DMA_INFO	_IOR(USCHEME_IOC_MAGIC, 0x43, struct uscheme_dma)
#define USCHEME_PIOC_IRQ_SETUP	_IOWR(USCHEME_IOC_MAGIC, 0x44, struct uscheme_irq_setup)
#define USCHEME_PIOC_IRQ_OPEN	_IOWR(USCHEME_IOC_MAGIC, 0x45, struct uscheme_pci_fd)
/*
 * Bus mastering on (arg 1) or off (arg 0), like the command register's
 * MASTER bit. Errors: -EINVAL (another arg), -ENODEV (revoked).
 */
#define USCHEME_PIOC_MASTER	_IO(USCHEME_IOC_MAGIC, 0x46)

#endif /* _UAPI_USCHEME_H */
