// SPDX-License-Identifier: MIT
/*
 * Family "ns": an unprivileged user (uid 65534) makes a user and a pid
 * namespace, maps itself to 0 there and forks pid 1 of the new namespace,
 * which then opens the fuzzing daemon's "ns" path (the daemon checks it is
 * seen as uid/gid 65534 and not as pid 1: fuzz.h), tries what "root" in a
 * user namespace must not get (REGISTER a scheme, open a pcidev function),
 * and runs the handle and SQE generators from there, forking on the way.
 */
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fuzz.h"

static int write_file(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

static void ns_pid1(struct fz_run *run)
{
	struct fz_rng *r = &run->rng;
	uint64_t start = LOAD(&fz->ops[FAM_NS]);
	struct uscheme_register reg;
	struct uscheme_params p;
	struct uscheme_open o;
	char path[96];
	int dev, fd;

	/* seen by the daemon: must be uid 65534, not 0; a real pid, not 1 */
	snprintf(path, sizeof(path), "%s:ns", fz->scheme);
	dev = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		return;
	memset(&o, 0, sizeof(o));
	o.path = (uintptr_t)path;
	o.flags = O_RDWR | O_CLOEXEC;
	fz_op(FAM_NS);
	if (!fz_sys(FAM_NS, ioctl(dev, USCHEME_IOC_OPEN, &o), "OPEN from a namespace"))
		pool_add(o.fd, K_HANDLE);

	/* "root" of a user namespace registers no scheme */
	memset(&p, 0, sizeof(p));
	p.sq_entries = 4;
	p.flags = USCHEME_SETUP_SCHEME;
	p.data_size = USCHEME_DATA_MIN;
	fz_op(FAM_NS);
	if (!ioctl(dev, USCHEME_IOC_SETUP, &p)) {
		memset(&reg, 0, sizeof(reg));
		snprintf(reg.name, sizeof(reg.name), "fzns-%d", (int)getppid());
		if (!ioctl(dev, USCHEME_IOC_REGISTER, &reg))
			fz_violation(FAM_NS, "uid 0 of a user namespace registered scheme %s",
				     reg.name);
	}
	close(dev);

	/* nor opens a pcidev function */
	dev = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	if (dev >= 0) {
		memset(&o, 0, sizeof(o));
		o.path = (uintptr_t)"pcidev:0000:00:04.0";
		o.flags = O_RDWR | O_CLOEXEC;
		fz_op(FAM_NS);
		if (!ioctl(dev, USCHEME_IOC_OPEN, &o))
			fz_violation(FAM_NS, "uid 0 of a user namespace opened pcidev:0000:00:04.0");
		close(dev);
	}

	/* then anything, from inside, with children dying at random */
	while (fz_run_more(run, FAM_NS, start)) {
		pid_t kid = -1;

		if (one_in(r, 4)) {
			kid = fz_fork();
			if (kid == 0) {
				run->rng.s = fz_mix(run->rng.s, 31);
				run->deadline_ns = fz_now_ns() + 50000000LL;
			}
		}
		if (one_in(r, 2)) {
			snprintf(path, sizeof(path), "%s:ns", fz->scheme);
			dev = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
			if (dev >= 0) {
				memset(&o, 0, sizeof(o));
				o.path = (uintptr_t)path;
				o.flags = O_RDWR | O_CLOEXEC;
				fz_op(FAM_NS);
				if (!fz_sys(FAM_NS, ioctl(dev, USCHEME_IOC_OPEN, &o), "OPEN ns"))
					pool_add(o.fd, K_HANDLE);
				close(dev);
			}
		}
		{
			struct fz_run sub = *run;

			sub.deadline_ns = fz_now_ns() + 20000000LL;
			sub.max_ops = 50;
			sub.rng.s = rnd(r);
			if (one_in(r, 2))
				gen_sqe(&sub, FAM_NS);
			else
				gen_handle(&sub, FAM_NS);
			run->rng.s ^= sub.rng.s;
		}
		if (kid == 0)
			_exit(0);
		if (kid > 0) {
			if (one_in(r, 2))
				kill(kid, SIGKILL);
			waitpid(kid, NULL, 0);
		}
		fd = pool_pick_kind(r, K_HANDLE);
		if (fd >= 0 && one_in(r, 3))
			pool_close_one(r, -1);
	}
}

void gen_ns(struct fz_run *run)
{
	char map[64];
	pid_t pid;
	int status;

	/* as uid 65534 already (fuzz.c drops privileges for this family) */
	fz_op(FAM_NS);
	if (unshare(CLONE_NEWUSER | CLONE_NEWPID)) {
		/* a kernel without user namespaces (or they are off): nothing to do */
		static int said;

		if (!said++)
			fprintf(stderr, "# fuzz ns: unshare(CLONE_NEWUSER|CLONE_NEWPID): %s\n",
				strerror(errno));
		return;
	}
	snprintf(map, sizeof(map), "0 %u 1\n", 65534U);
	if (write_file("/proc/self/setgroups", "deny") ||
	    write_file("/proc/self/uid_map", map) || write_file("/proc/self/gid_map", map)) {
		fz_violation(FAM_NS, "cannot map uid 65534 to 0 in a new user namespace");
		return;
	}
	pid = fz_fork();	/* pid 1 of the new pid namespace */
	if (pid == 0) {
		if (getpid() != 1)
			fz_violation(FAM_NS, "the first child of a new pid namespace is pid %d",
				     (int)getpid());
		ns_pid1(run);
		_exit(0);
	}
	if (pid < 0)
		return;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (WIFSIGNALED(status))
		fz_violation(FAM_NS, "pid 1 of the namespace died of signal %d", WTERMSIG(status));
}
