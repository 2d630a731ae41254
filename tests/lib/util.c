// SPDX-License-Identifier: MIT
/* Helpers the userspace suites share: see util.h. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../uapi/uscheme.h"
#include "util.h"

int check_pat(const unsigned char *b, uint64_t off, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (b[i] != pat(off + i)) {
			fprintf(stderr, "  data mismatch at offset %llu+%zu: %#x != %#x\n",
				(unsigned long long)off, i, b[i], pat(off + i));
			return -1;
		}
	}
	return 0;
}

long sysres(long r)
{
	return r < 0 ? -errno : r;
}

long long deadline(int ms)
{
	return tap_now_ns() + ms * 1000000LL;
}

pid_t fork_child(void)
{
	pid_t parent = getpid(), pid;

	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		/* Never outlive the test (its time limit kills it). */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(99);
	}
	return pid;
}

int wait_exit(pid_t pid, int ms)
{
	long long end = deadline(ms);
	int status;

	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		if (r == pid)
			return status;
		if (r < 0)
			return -1;
		if (tap_now_ns() > end) {
			fprintf(stderr, "  child %d did not exit within %d ms\n", (int)pid, ms);
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			return -1;
		}
		usleep(1000);
	}
}

int exited_ok(int status)
{
	if (status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	if (status >= 0)
		fprintf(stderr, "  child status %#x (exit %d, signal %d)\n", status,
			WIFEXITED(status) ? WEXITSTATUS(status) : -1,
			WIFSIGNALED(status) ? WTERMSIG(status) : 0);
	return 0;
}

static int g_dev = -1;

int dev(void)
{
	if (g_dev < 0)
		g_dev = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	return g_dev;
}

int h_open(const char *path, uint32_t flags)
{
	struct uscheme_open o;

	memset(&o, 0, sizeof(o));
	o.path = (uintptr_t)path;
	o.flags = flags;
	o.fd = -1;
	if (ioctl(dev(), USCHEME_IOC_OPEN, &o) < 0)
		return -errno;
	return o.fd;
}
