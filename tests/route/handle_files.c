// SPDX-License-Identifier: MIT
/*
 * The route suite (route.h): handles as files: close once, fork,
 * SCM_RIGHTS, exec.
 */
#include "route.h"

/* ------------------------------------------------------------------ */
/* Handles as files: close once, fork, SCM_RIGHTS, exec                */
/* ------------------------------------------------------------------ */

static int hold_child(void *p)
{
	int fd = *(int *)p;
	char c;

	return read(fd, &c, 1) == 1 ? 0 : 1;	/* hold inherited fds until told */
}

int t_close_once(void)
{
	struct daemon dm;
	struct us_ring r;
	struct logent e;
	int fd, d1, d2, d3, p[2];
	int64_t id;
	uint32_t cur;
	pid_t pid;

	dname(&dm, "close1");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	CHECK_EQ(cring(&r, 4), 0);
	CHECK_EQ(pipe(p), 0);
	cur = LOAD(&dm.shm->nlog);
	fd = d_open(&dm, "plain", O_RDONLY);
	CHECK(fd >= 0);
	id = id_of_open(dm.shm, cur);
	d1 = dup(fd);
	d2 = fcntl(fd, F_DUPFD_CLOEXEC, 50);
	d3 = dup(fd);
	CHECK(d1 >= 0 && d2 >= 50 && d3 >= 0);
	pid = spawn(hold_child, &p[0]);
	CHECK(pid > 0);
	close(p[0]);
	close(fd);
	close(d1);
	CHECK_EQ(rop(&r, USCHEME_OP_CLOSE, d3, 0, NULL, 0, 0, NULL, 0), 0);
	CHECK(fcntl(d3, F_GETFD) < 0 && errno == EBADF);
	usleep(100 * 1000);
	CHECK_EQ(LOAD(&dm.shm->nclose), 0);
	close(d2);
	usleep(100 * 1000);
	CHECK_EQ(LOAD(&dm.shm->nclose), 0);	/* the child still holds it */
	CHECK_EQ(write(p[1], "x", 1), 1);
	CHECK(exited_ok(wait_exit(pid, SLOW_MS)));
	CHECK_EQ(wait_u32(&dm.shm->nclose, 1, SLOW_MS), 0);
	CHECK(log_find(dm.shm, cur, USCHEME_OP_CLOSE, (uint64_t)id, &e, SLOW_MS) >= 0);
	CHECK_EQ(note_ok(&e, USCHEME_OP_CLOSE), 0);
	usleep(200 * 1000);
	CHECK_EQ(LOAD(&dm.shm->nclose), 1);
	close(p[1]);
	us_ring_exit(&r);
	return dstop(&dm);
}

static int fork_child_reads(void *p)
{
	unsigned char b[32];
	int fd = *(int *)p;

	CHECK_EQ(pread(fd, b, sizeof(b), 40), (ssize_t)sizeof(b));
	CHECK_EQ(check_pat(b, 40, sizeof(b)), 0);
	CHECK_EQ(read(fd, b, 8), 8);		/* the shared file position */
	CHECK_EQ(check_pat(b, 100, 8), 0);
	return 0;
}

int t_fork_inherits(void)
{
	struct daemon dm;
	struct logent e;
	uint32_t cur;
	int fd;
	pid_t pid;

	dname(&dm, "fork");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	fd = d_open(&dm, "plain", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(lseek(fd, 100, SEEK_SET), 100);
	cur = LOAD(&dm.shm->nlog);
	pid = spawn(fork_child_reads, &fd);
	CHECK(pid > 0);
	CHECK(exited_ok(wait_exit(pid, 20000)));
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_READ);
	CHECK_EQ(e.rq.pid, pid);
	CHECK_EQ(lseek(fd, 0, SEEK_CUR), 108);
	usleep(50 * 1000);
	CHECK_EQ(LOAD(&dm.shm->nclose), 0);	/* the child's exit is not the last close */
	close(fd);
	CHECK_EQ(wait_u32(&dm.shm->nclose, 1, SLOW_MS), 0);
	return dstop(&dm);
}

static int scm_child(void *p)
{
	int sock = *(int *)p, fd;
	char cbuf[CMSG_SPACE(sizeof(int))], c;
	struct iovec iov = { &c, 1 };
	struct msghdr mh;
	struct cmsghdr *cm;
	unsigned char b[24];

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	CHECK_EQ(recvmsg(sock, &mh, 0), 1);
	cm = CMSG_FIRSTHDR(&mh);
	CHECK(cm && cm->cmsg_type == SCM_RIGHTS);
	memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	CHECK_EQ(pread(fd, b, sizeof(b), 321), (ssize_t)sizeof(b));
	CHECK_EQ(check_pat(b, 321, sizeof(b)), 0);
	CHECK_EQ(pwrite(fd, b, 5, 0), 5);
	close(fd);
	CHECK_EQ(write(sock, "d", 1), 1);
	return 0;
}

int t_scm_rights(void)
{
	char cbuf[CMSG_SPACE(sizeof(int))], c = 'f';
	struct iovec iov = { &c, 1 };
	struct daemon dm;
	struct msghdr mh;
	struct cmsghdr *cm;
	struct logent e;
	uint32_t cur;
	int sv[2], fd;
	pid_t pid;

	dname(&dm, "scm");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	pid = spawn(scm_child, &sv[1]);	/* forked before the handle exists */
	CHECK(pid > 0);
	fd = d_open(&dm, "plain", O_RDWR);
	CHECK(fd >= 0);
	cur = LOAD(&dm.shm->nlog);
	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &fd, sizeof(int));
	CHECK_EQ(sendmsg(sv[0], &mh, 0), 1);
	close(fd);			/* the child's copy keeps the handle */
	CHECK_EQ(read(sv[0], &c, 1), 1);
	CHECK(exited_ok(wait_exit(pid, 20000)));
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_READ);
	CHECK_EQ(e.rq.pid, pid);
	CHECK_EQ(e.rq.off, 321);
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_WRITE);
	CHECK_EQ(wait_u32(&dm.shm->nclose, 1, SLOW_MS), 0);
	usleep(100 * 1000);
	CHECK_EQ(LOAD(&dm.shm->nclose), 1);
	close(sv[0]);
	close(sv[1]);
	return dstop(&dm);
}

/* route_test --exec-child FD CLOEXEC_FD: the handle survived exec, the other did not. */
int exec_child(char **argv)
{
	int fd = atoi(argv[2]), fdc = atoi(argv[3]);
	unsigned char b[32];

	if (pread(fd, b, sizeof(b), 123) != (ssize_t)sizeof(b))
		return 2;
	if (check_pat(b, 123, sizeof(b)))
		return 3;
	if (fcntl(fdc, F_GETFD) >= 0 || errno != EBADF)
		return 4;
	return 0;
}

int t_exec_keeps(void)
{
	char a1[16], a2[16];
	struct daemon dm;
	struct logent e;
	uint32_t cur;
	int fd, fdc;
	pid_t pid;

	dname(&dm, "exec");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	fd = d_open(&dm, "plain", O_RDONLY);
	fdc = d_open(&dm, "plain", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0 && fdc >= 0);
	CHECK_EQ(fd_cloexec(fd), 0);
	snprintf(a1, sizeof(a1), "%d", fd);
	snprintf(a2, sizeof(a2), "%d", fdc);
	cur = LOAD(&dm.shm->nlog);
	pid = fork_child();
	CHECK(pid >= 0);
	if (pid == 0) {
		execl("/proc/self/exe", "route_test", "--exec-child", a1, a2, (char *)NULL);
		_exit(127);
	}
	CHECK(exited_ok(wait_exit(pid, 30000)));
	CHECK_EQ(log_next(dm.shm, &cur, &e), 0);
	CHECK_EQ(e.rq.opcode, USCHEME_OP_READ);
	CHECK_EQ(e.rq.off, 123);
	CHECK_EQ(e.rq.pid, pid);
	close(fd);
	close(fdc);
	CHECK_EQ(wait_u32(&dm.shm->nclose, 2, SLOW_MS), 0);
	return dstop(&dm);
}

