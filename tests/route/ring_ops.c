// SPDX-License-Identifier: MIT
/*
 * The route suite (route.h): every op through a client ring: the fields the
 * daemon sees, the results the client sees.
 */
#include "route.h"

/* ------------------------------------------------------------------ */
/* Every op through a client ring                                      */
/* ------------------------------------------------------------------ */

int t_ring_ops(void)
{
	unsigned char b[512], w[300], out[32];
	struct uscheme_stat st;
	const char *in = "hello world";
	struct daemon dm;
	struct us_ring r;
	struct logent e;
	uint32_t cur;
	int64_t id, id2, id3, idb;
	int fd, fd2, fd3, fdb;
	pid_t me = getpid();
	size_t i;

	dname(&dm, "ringops");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	CHECK_EQ(cring(&r, 16), 0);
	CHECK_EQ(rop(&r, USCHEME_OP_NOP, 0, 0, NULL, 0, 0, NULL, 0), 0);

	/* OPEN: the path after "scheme:", its length, a NUL, the flags without O_CLOEXEC */
	cur = LOAD(&dm.shm->nlog);
	fd = rop_open(&r, &dm, "dir/file.txt", O_RDWR | O_CREAT | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(fd_cloexec(fd), 1);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_OPEN, 0, me), 0);
	CHECK_EQ(e.rq.len, strlen("dir/file.txt"));
	CHECK_EQ(memcmp(e.head, "dir/file.txt", 12), 0);
	CHECK(e.nul);
	CHECK_EQ(e.rq.op_flags, O_RDWR | O_CREAT);
	CHECK_EQ(e.rq.off, 0);
	id = e.ans;
	CHECK(id >= 100);

	/* READ at an offset: the daemon gets a zeroed chunk, the client its bytes */
	memset(b, 0xee, sizeof(b));
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, 5, b, 100, 0, NULL, 0), 100);
	CHECK_EQ(check_pat(b, 5, 100), 0);
	CHECK_EQ(b[100], 0xee);		/* nothing beyond res */
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_READ, id, me), 0);
	CHECK_EQ(e.rq.off, 5);
	CHECK_EQ(e.rq.len, 100);
	CHECK_EQ(e.rq.op_flags, 0);
	CHECK(e.zero);

	/* READ at the file position: the daemon sees the position, which advances */
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, USCHEME_OFF_CURRENT, b, 10, 0, NULL, 0), 10);
	CHECK_EQ(check_pat(b, 0, 10), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.off, 0);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd, USCHEME_OFF_CURRENT, b, 20, 0, NULL, 0), 20);
	CHECK_EQ(check_pat(b, 10, 20), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.off, 10);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 30);	/* the same position as read(2)'s */
	CHECK_EQ(read(fd, b, 4), 4);
	CHECK_EQ(check_pat(b, 30, 4), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.off, 30);

	/* WRITE: the payload, once, in the chunk */
	fill_bytes(w, sizeof(w), 1);
	CHECK_EQ(rop(&r, USCHEME_OP_WRITE, fd, 7, w, sizeof(w), 0, NULL, 0), (int)sizeof(w));
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_WRITE, id, me), 0);
	CHECK_EQ(e.rq.off, 7);
	CHECK_EQ(e.rq.len, sizeof(w));
	CHECK_EQ(e.crc, fnv(w, sizeof(w)));
	CHECK_EQ(memcmp(e.head, w, sizeof(e.head)), 0);
	CHECK_EQ(rop(&r, USCHEME_OP_WRITE, fd, USCHEME_OFF_CURRENT, w, 5, 0, NULL, 0), 5);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.off, 34);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 39);

	/* FSTAT */
	memset(&st, 0xff, sizeof(st));
	CHECK_EQ(rop(&r, USCHEME_OP_FSTAT, fd, 0, &st, sizeof(st), 0, NULL, 0), 0);
	CHECK_EQ(st.size, SIZE_DEFAULT);
	CHECK_EQ(st.mode, S_IFREG | 0640);
	CHECK_EQ(st.nlink, 2);
	CHECK_EQ(st.uid, 4242);
	CHECK_EQ(st.gid, 4343);
	CHECK_EQ(st.blocks, 8);
	CHECK_EQ(st.mtime_ns, 2000000002ULL);
	CHECK_EQ(st.resv, 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_FSTAT, id, me), 0);
	CHECK(e.rq.len >= sizeof(st));
	CHECK(e.zero);

	/* FSYNC, FTRUNCATE */
	CHECK_EQ(rop(&r, USCHEME_OP_FSYNC, fd, 0, NULL, 0, 0, NULL, 0), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_FSYNC, id, me), 0);
	CHECK_EQ(e.rq.off, 0);
	CHECK_EQ(e.rq.len, 0);
	CHECK_EQ(rop(&r, USCHEME_OP_FTRUNCATE, fd, 12345, NULL, 0, 0, NULL, 0), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_FTRUNCATE, id, me), 0);
	CHECK_EQ(e.rq.off, 12345);
	CHECK_EQ(rop(&r, USCHEME_OP_FSTAT, fd, 0, &st, sizeof(st), 0, NULL, 0), 0);
	CHECK_EQ(st.size, 12345);
	cur++;

	/* DUP with a suffix and O_CLOEXEC; ops on the new fd carry the new id */
	fd2 = rop(&r, USCHEME_OP_DUP, fd, 0, "sub/x", 5, O_CLOEXEC, NULL, 0);
	CHECK(fd2 >= 0 && fd2 != fd);
	CHECK_EQ(fd_cloexec(fd2), 1);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_DUP, id, me), 0);
	CHECK_EQ(e.rq.len, 5);
	CHECK_EQ(memcmp(e.head, "sub/x", 5), 0);
	CHECK(e.nul);
	id2 = e.ans;
	CHECK(id2 != id);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fd2, 3, b, 8, 0, NULL, 0), 8);
	CHECK_EQ(check_pat(b, 3, 8), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_READ, id2, me), 0);
	/* an empty suffix, no pointer */
	fd3 = rop(&r, USCHEME_OP_DUP, fd, 0, NULL, 0, 0, NULL, 0);
	CHECK(fd3 >= 0);
	CHECK_EQ(fd_cloexec(fd3), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_DUP, id, me), 0);
	CHECK_EQ(e.rq.len, 0);
	CHECK(e.nul);
	id3 = e.ans;

	/* CALL: input, output capacity, op_flags; output comes back */
	memset(out, 0xee, sizeof(out));
	CHECK_EQ(rop(&r, USCHEME_OP_CALL, fd, 0, in, 11, 0x1234, out, sizeof(out)), 11);
	for (i = 0; i < 11; i++)
		CHECK_EQ(out[i], (unsigned char)in[i] ^ 0xa5);
	CHECK_EQ(out[11], 0xee);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_CALL, id, me), 0);
	CHECK_EQ(e.rq.len, 11);
	CHECK_EQ(e.rq.len2, sizeof(out));
	CHECK_EQ(e.rq.op_flags, 0x1234);
	CHECK_EQ(e.crc, fnv(in, 11));
	CHECK(e.zero);		/* the output room beyond the input */
	CHECK_EQ(rop(&r, USCHEME_OP_CALL, fd, 0, in, 11, 0, out, 4), 4);
	CHECK_EQ(out[0], (unsigned char)'h' ^ 0xa5);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len2, 4);
	/* output only */
	CHECK_EQ(rop(&r, USCHEME_OP_CALL, fd, 0, NULL, 0, 0, out, 8), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, 0);
	CHECK_EQ(e.rq.len2, 8);
	CHECK(e.zero);

	/* A large id (INT32_MAX) is a legal OPEN answer and travels back */
	fdb = rop_open(&r, &dm, "bigid", O_RDONLY);
	CHECK(fdb >= 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	idb = e.ans;
	CHECK_EQ(idb, 0x7fffffff);
	CHECK_EQ(rop(&r, USCHEME_OP_READ, fdb, 0, b, 4, 0, NULL, 0), 4);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.id, 0x7fffffff);

	/* CLOSE: the fd is gone, the daemon is told (a notification) */
	CHECK_EQ(rop(&r, USCHEME_OP_CLOSE, fd3, 0, NULL, 0, 0, NULL, 0), 0);
	CHECK(fcntl(fd3, F_GETFD) < 0 && errno == EBADF);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)id3, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	CHECK_EQ(rop(&r, USCHEME_OP_CLOSE, fdb, 0, NULL, 0, 0, NULL, 0), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, 0x7fffffff, &e, SLOW_MS) >= 0);
	CHECK_EQ(close(fd2), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)id2, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	CHECK_EQ(close(fd), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)id, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	CHECK_EQ(rop(&r, USCHEME_OP_NOP, 0, 0, NULL, 0, 0, NULL, 0), 0);
	us_ring_exit(&r);
	return dstop(&dm);
}

