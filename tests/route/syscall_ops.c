// SPDX-License-Identifier: MIT
/* The route suite (route.h): every op through plain syscalls on a handle fd. */
#include "route.h"

/* ------------------------------------------------------------------ */
/* Every op through plain syscalls on a handle fd                      */
/* ------------------------------------------------------------------ */

int t_syscall_ops(void)
{
	unsigned char b[256], w[200], out[64];
	const char *in = "call input";
	struct pollfd pfd;
	struct daemon dm;
	struct logent e;
	struct stat st;
	uint32_t cur;
	int64_t id, id2;
	int fd, fd2, fd3, fds;
	pid_t me = getpid();
	size_t i;

	dname(&dm, "sysops");
	CHECK_EQ(dstart(&dm, 0, 0), 0);

	/* flags: O_NONBLOCK lands on the fd and reaches the daemon, O_CLOEXEC does not */
	cur = LOAD(&dm.shm->nlog);
	fd = d_open(&dm, "nb", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK(fcntl(fd, F_GETFL) & O_NONBLOCK);
	CHECK_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDONLY);
	CHECK_EQ(fd_cloexec(fd), 1);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_OPEN, 0, me), 0);
	CHECK_EQ(e.rq.op_flags, O_RDONLY | O_NONBLOCK);
	CHECK_EQ(e.rq.len, 2);
	CHECK_EQ(memcmp(e.head, "nb", 2), 0);
	CHECK(e.nul);
	CHECK_EQ(close(fd), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)e.ans, &e, SLOW_MS) >= 0);
	cur = LOAD(&dm.shm->nlog);

	/* an empty path */
	fd = d_open(&dm, "", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, 0);
	CHECK(e.nul);
	CHECK_EQ(close(fd), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)e.ans, &e, SLOW_MS) >= 0);
	cur = LOAD(&dm.shm->nlog);

	fd = d_open(&dm, "plain", O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(fd_cloexec(fd), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.op_flags, O_RDWR);
	id = e.ans;

	/* read(2) uses and advances the position */
	CHECK_EQ(read(fd, b, 100), 100);
	CHECK_EQ(check_pat(b, 0, 100), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_READ, id, me), 0);
	CHECK_EQ(e.rq.off, 0);
	CHECK_EQ(e.rq.len, 100);
	CHECK(e.zero);
	CHECK_EQ(read(fd, b, 50), 50);
	CHECK_EQ(check_pat(b, 100, 50), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.off, 100);
	/* lseek */
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 150);
	CHECK_EQ(lseek(fd, 1000, SEEK_SET), 1000);
	CHECK_EQ(read(fd, b, 10), 10);
	CHECK_EQ(check_pat(b, 1000, 10), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.off, 1000);
	CHECK_EQ(lseek(fd, 5, SEEK_CUR), 1015);
	/* pread leaves the position alone */
	CHECK_EQ(pread(fd, b, 64, 4000), 64);
	CHECK_EQ(check_pat(b, 4000, 64), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.off, 4000);
	CHECK_EQ(e.rq.len, 64);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 1015);
	/* write, pwrite */
	fill_bytes(w, sizeof(w), 2);
	CHECK_EQ(write(fd, w, sizeof(w)), (ssize_t)sizeof(w));
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_WRITE, id, me), 0);
	CHECK_EQ(e.rq.off, 1015);
	CHECK_EQ(e.rq.len, sizeof(w));
	CHECK_EQ(e.crc, fnv(w, sizeof(w)));
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 1215);
	CHECK_EQ(pwrite(fd, w + 10, 33, 9), 33);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.off, 9);
	CHECK_EQ(e.rq.len, 33);
	CHECK_EQ(e.crc, fnv(w + 10, 33));
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 1215);

	/* fstat: struct uscheme_stat as Linux's struct stat */
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, SIZE_DEFAULT);
	CHECK_EQ(st.st_mode, S_IFREG | 0640);
	CHECK_EQ(st.st_nlink, 2);
	CHECK_EQ(st.st_uid, 4242);
	CHECK_EQ(st.st_gid, 4343);
	CHECK_EQ(st.st_blocks, 8);
	CHECK_EQ(st.st_blksize, sysconf(_SC_PAGESIZE));
	CHECK_EQ(st.st_atim.tv_sec, 1);
	CHECK_EQ(st.st_atim.tv_nsec, 1);
	CHECK_EQ(st.st_mtim.tv_sec, 2);
	CHECK_EQ(st.st_mtim.tv_nsec, 2);
	CHECK_EQ(st.st_ctim.tv_sec, 3);
	CHECK_EQ(st.st_ctim.tv_nsec, 3);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_FSTAT, id, me), 0);
	CHECK(e.zero);

	/* fsync, ftruncate */
	CHECK_EQ(fsync(fd), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_FSYNC, id, me), 0);
	CHECK_EQ(ftruncate(fd, 777), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_FTRUNCATE, id, me), 0);
	CHECK_EQ(e.rq.off, 777);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, 777);
	cur++;
	/* end of file: a short read, then 0 */
	CHECK_EQ(pread(fd, b, 100, 700), 77);
	CHECK_EQ(check_pat(b, 700, 77), 0);
	CHECK_EQ(pread(fd, b, 100, 777), 0);
	cur += 2;

	/* USCHEME_HIOC_DUP */
	fd2 = h_dup(fd, "dup-suffix", 10, 0);
	CHECK(fd2 >= 0);
	CHECK_EQ(fd_cloexec(fd2), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_DUP, id, me), 0);
	CHECK_EQ(e.rq.len, 10);
	CHECK_EQ(memcmp(e.head, "dup-suffix", 10), 0);
	CHECK(e.nul);
	id2 = e.ans;
	CHECK_EQ(pread(fd2, b, 16, 1), 16);
	CHECK_EQ(check_pat(b, 1, 16), 0);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.id, id2);
	fd3 = h_dup(fd, NULL, 0, O_CLOEXEC);
	CHECK(fd3 >= 0);
	CHECK_EQ(fd_cloexec(fd3), 1);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.len, 0);
	CHECK(e.nul);
	/* a daemon's DUP error */
	CHECK_EQ(h_dup(fd, "eacces", 6, 0), -EACCES);
	cur++;

	/* USCHEME_HIOC_CALL */
	memset(out, 0xee, sizeof(out));
	CHECK_EQ(h_call(fd, in, 10, 0xabc, out, sizeof(out)), 10);
	for (i = 0; i < 10; i++)
		CHECK_EQ(out[i], (unsigned char)in[i] ^ 0xa5);
	CHECK_EQ(out[10], 0xee);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(req_ok(&e, USCHEME_OP_CALL, id, me), 0);
	CHECK_EQ(e.rq.len, 10);
	CHECK_EQ(e.rq.len2, sizeof(out));
	CHECK_EQ(e.rq.op_flags, 0xabc);
	CHECK_EQ(e.crc, fnv(in, 10));
	CHECK(e.zero);

	/* poll: a handle fd is pollable (no POLLNVAL/POLLERR while the daemon lives) */
	pfd.fd = fd;
	pfd.events = POLLIN | POLLOUT;
	pfd.revents = 0;
	CHECK(poll(&pfd, 1, 0) >= 0);
	CHECK_EQ(pfd.revents & (POLLNVAL | POLLERR), 0);

	/* a "small" handle: reads stop at its size */
	fds = d_open(&dm, "small", O_RDONLY);
	CHECK(fds >= 0);
	CHECK_EQ(pread(fds, b, 100, 990), 10);
	CHECK_EQ(check_pat(b, 990, 10), 0);
	CHECK_EQ(read(fds, b, sizeof(b)), (ssize_t)sizeof(b));
	CHECK_EQ(lseek(fds, 0, SEEK_CUR), (off_t)sizeof(b));

	/* close: one CLOSE per handle, with its id */
	cur = LOAD(&dm.shm->nlog);
	CHECK_EQ(close(fd2), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)id2, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	CHECK_EQ(close(fd), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)id, &e, SLOW_MS) >= 0);
	CHECK_EQ(close(fd3), 0);
	CHECK_EQ(close(fds), 0);
	CHECK_EQ(wait_u32(&dm.shm->nclose, 6, SLOW_MS), 0);	/* nb, "", + 4 here */
	usleep(100 * 1000);
	CHECK_EQ(LOAD(&dm.shm->nclose), 6);
	return dstop(&dm);
}

