// SPDX-License-Identifier: MIT
/*
 * Families "handle" (syscalls and ioctls on handle fds with random lengths
 * and buffers), "opath" (O_PATH opens of /proc/self/fd/N, then close(N) and
 * fstat/truncate/... through the O_PATH fd or the path) and "pcidev" (opens
 * an unprivileged process must be refused).
 */
#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "fuzz.h"

static int some_handle(struct fz_rng *r, int fam)
{
	int fd = pool_pick_kind(r, K_HANDLE);

	if (fd < 0 || one_in(r, 8)) {
		fd = fz_open_handle(r, fam);
		if (fd >= 0)
			pool_add(fd, K_HANDLE);
	}
	return fd;
}

/* One random syscall on @fd (a handle mostly; sometimes any fd). */
static void handle_call(struct fz_rng *r, int fd, int fam)
{
	struct uscheme_call c;
	struct uscheme_dup d;
	struct iovec iov[4];
	struct stat st;
	struct pollfd pfd;
	uint32_t len = rnd_len(r);
	void *buf = (void *)(uintptr_t)rnd_ptr(r, len);
	const char *what = "?";
	long ret = 0;
	unsigned int i;
	void *m;

	fz_op(fam);
	switch (rnd_below(r, 16)) {
	case 0:
		what = "read";
		ret = read(fd, buf, len);
		break;
	case 1:
		if (fz->avoid_zero_len && !len)
			len = 1;
		what = "write";
		ret = write(fd, buf, len);
		break;
	case 2:
		what = "pread";
		ret = pread(fd, buf, len, (off_t)rnd_off(r));
		break;
	case 3:
		if (fz->avoid_zero_len && !len)
			len = 1;
		what = "pwrite";
		ret = pwrite(fd, buf, len, (off_t)rnd_off(r));
		break;
	case 4:
		what = "fstat";
		ret = fstat(fd, &st);
		break;
	case 5:
		what = "ftruncate";
		ret = ftruncate(fd, (off_t)rnd_off(r));
		break;
	case 6:
		what = "fsync";
		ret = one_in(r, 2) ? fsync(fd) : fdatasync(fd);
		break;
	case 7:
		what = "lseek";
		ret = lseek(fd, (off_t)rnd_off(r), (int)rnd_below(r, 5));
		break;
	case 8:
		what = "ioctl DUP";
		memset(&d, 0, sizeof(d));
		d.len = one_in(r, 2) ? rnd_below(r, 6) : rnd_len(r);
		d.suffix = rnd_ptr(r, d.len);
		d.flags = one_in(r, 5) ? (uint32_t)rnd(r) : (one_in(r, 2) ? O_CLOEXEC : 0);
		if (one_in(r, 10))
			d.resv0 = 1;
		ret = ioctl(fd, USCHEME_HIOC_DUP, one_in(r, 16) ? (void *)fz_ro : (void *)&d);
		if (!ret)
			pool_add(d.fd, K_HANDLE);
		break;
	case 9:
		what = "ioctl CALL";
		memset(&c, 0, sizeof(c));
		c.in_len = rnd_len(r);
		c.in = rnd_ptr(r, c.in_len);
		c.out_len = rnd_len(r);
		c.out = rnd_ptr(r, c.out_len);
		if (fz->avoid_zero_len && !c.in_len && !c.out_len)
			c.in_len = 1;
		c.op_flags = (uint32_t)rnd(r);
		if (one_in(r, 10))
			c.resv[0] = 1;
		ret = ioctl(fd, USCHEME_HIOC_CALL, one_in(r, 16) ? (void *)fz_guard : (void *)&c);
		break;
	case 10:
		what = "readv";
		for (i = 0; i < 4; i++) {
			iov[i].iov_len = rnd_below(r, 3) ? rnd_below(r, 8192) : rnd_len(r);
			iov[i].iov_base = (void *)(uintptr_t)rnd_ptr(r, (uint32_t)iov[i].iov_len);
		}
		ret = one_in(r, 2) ? readv(fd, iov, 1 + (int)rnd_below(r, 4)) :
				     writev(fd, iov, 1 + (int)rnd_below(r, 4));
		break;
	case 11:
		what = "poll";
		pfd.fd = fd;
		pfd.events = POLLIN | POLLOUT;
		ret = poll(&pfd, 1, (int)rnd_below(r, 3));
		break;
	case 12:
		what = "mmap";
		m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
		if (m != MAP_FAILED)
			munmap(m, 4096);
		ret = m == MAP_FAILED ? -1 : 0;
		break;
	case 13:
		what = "ioctl junk";
		ret = ioctl(fd, _IOC(rnd_below(r, 4), rnd_below(r, 2) ? USCHEME_IOC_MAGIC :
				     rnd_below(r, 256), rnd_below(r, 256), rnd_below(r, 512)),
			    scratch_at(r, 512));
		break;
	case 14:
		what = "fcntl";
		ret = fcntl(fd, F_SETFL, one_in(r, 2) ? O_NONBLOCK : O_APPEND);
		break;
	default:
		what = "dup+close";
		ret = dup(fd);
		if (ret >= 0)
			close((int)ret);
	}
	fz_sys(fam, ret, what);
}

void gen_handle(struct fz_run *run, int fam)
{
	struct fz_rng *r = &run->rng;
	uint64_t start = LOAD(&fz->ops[fam]);

	while (fz_run_more(run, fam, start)) {
		int fd = one_in(r, 10) ? rnd_fd(r) : some_handle(r, fam);

		if (fd >= 0 || one_in(r, 4))
			handle_call(r, fd, fam);
		if (one_in(r, 12))
			pool_close_one(r, -1);
		if (one_in(r, 20))
			pool_make(r, fam);
	}
}

void gen_opath(struct fz_run *run)
{
	struct fz_rng *r = &run->rng;
	uint64_t start = LOAD(&fz->ops[FAM_OPATH]);

	while (fz_run_more(run, FAM_OPATH, start)) {
		char path[64], proc[64];
		struct stat st;
		int fd = some_handle(r, FAM_OPATH), o, i, n;

		if (fd < 0)
			continue;
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		fz_op(FAM_OPATH);
		o = (int)fz_sys(FAM_OPATH, open(path, O_PATH | O_CLOEXEC |
					(one_in(r, 2) ? O_NOFOLLOW : 0)), "open O_PATH");
		if (one_in(r, 4)) {	/* a real reopen through /proc */
			int re = open(path, (int)rnd_below(r, 3) | O_CLOEXEC);

			fz_check_res(FAM_OPATH, re < 0 ? -errno : 0, "reopen via /proc");
			if (re >= 0)
				pool_add(re, K_HANDLE);
		}
		if (rnd_below(r, 4)) {	/* the handle's fd goes away first */
			for (i = 0; i < (int)fz_npool; i++)
				if (fz_pool[i].fd == fd)
					fz_pool[i] = fz_pool[--fz_npool];
			close(fd);
		}
		if (o < 0)
			continue;
		n = 1 + (int)rnd_below(r, 4);
		for (i = 0; i < n; i++) {
			const char *what = "?";
			long ret;

			fz_op(FAM_OPATH);
			snprintf(proc, sizeof(proc), "/proc/self/fd/%d", o);
			switch (rnd_below(r, 8)) {
			case 0:
			case 1:
				what = "fstat(O_PATH fd)";
				ret = fstat(o, &st);
				break;
			case 2:
				what = "fstatat(AT_EMPTY_PATH)";
				ret = fstatat(o, "", &st, AT_EMPTY_PATH);
				break;
			case 3:
				what = "stat(/proc/self/fd/O)";
				ret = stat(proc, &st);
				break;
			case 4:
				what = "truncate(/proc/self/fd/O)";
				ret = truncate(proc, (off_t)rnd_off(r));
				break;
			case 5:
				what = "chmod(/proc/self/fd/O)";
				ret = chmod(proc, 0600);
				break;
			case 6:
				what = "open(/proc/self/fd/O)";
				ret = open(proc, (int)rnd_below(r, 3) | O_CLOEXEC);
				if (ret >= 0)
					pool_add((int)ret, K_HANDLE);
				break;
			default:
				what = "read(O_PATH fd)";
				ret = read(o, scratch_at(r, 16), 16);
			}
			fz_sys(FAM_OPATH, ret, what);
		}
		if (one_in(r, 3))
			pool_add(o, K_OPATH);
		else
			close(o);
	}
}

/*
 * An unprivileged process (this family runs as uid 65534) may list pcidev:
 * but never open a function: CAP_SYS_RAWIO only.
 */
void gen_pcidev(struct fz_run *run)
{
	static const char *const names[] = {
		"0000:00:04.0", "0000:00:05.0", "0000:00:06.0", "0000:00:00.0", "/0000:00:04.0",
		"0000:00:04.0/", "0000:00:04", "x", "../0000:00:04.0",
	};
	static const int flags[] = {
		O_RDWR, O_RDONLY, O_WRONLY, O_RDWR | O_CREAT, O_RDWR | O_DIRECTORY, O_RDWR | O_TRUNC,
	};
	struct fz_rng *r = &run->rng;
	uint64_t start = LOAD(&fz->ops[FAM_PCIDEV]);
	struct fz_ring fr;
	char listing[4096];
	int have_ring = !fz_ring_setup(&fr, r, FAM_PCIDEV);

	/* the functions bound now, from the listing (the addresses to try first) */
	{
		int fd = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
		struct uscheme_open o;
		ssize_t n = 0;

		memset(&o, 0, sizeof(o));
		o.path = (uintptr_t)"pcidev:";
		o.flags = O_RDONLY | O_CLOEXEC;
		if (fd >= 0 && !ioctl(fd, USCHEME_IOC_OPEN, &o)) {
			n = read(o.fd, listing, sizeof(listing) - 1);
			close(o.fd);
		}
		listing[n > 0 ? n : 0] = '\0';
		if (fd >= 0)
			close(fd);
	}
	while (fz_run_more(run, FAM_PCIDEV, start)) {
		char path[96];
		int fl = flags[rnd_below(r, sizeof(flags) / sizeof(flags[0]))] | O_CLOEXEC;
		int dev, ok = 0;

		if (listing[0] && one_in(r, 2)) {
			char addr[32] = "";

			sscanf(listing, "%31s", addr);
			snprintf(path, sizeof(path), "pcidev:%s", addr);
		} else {
			snprintf(path, sizeof(path), "pcidev:%s",
				 names[rnd_below(r, sizeof(names) / sizeof(names[0]))]);
		}
		fz_op(FAM_PCIDEV);
		if (have_ring && one_in(r, 2)) {
			struct uscheme_sqe sqe;
			char *p = scratch_at(r, sizeof(path));

			memcpy(p, path, sizeof(path));
			memset(&sqe, 0, sizeof(sqe));
			sqe.opcode = USCHEME_OP_OPEN;
			sqe.addr = (uintptr_t)p;
			sqe.len = (uint32_t)strlen(p) + 1;
			sqe.op_flags = (uint32_t)fl;
			sqe.user_data = ud_new(USCHEME_OP_OPEN, UD_INFLIGHT);
			if (!fz_ring_push(&fr, &sqe)) {
				unsigned int before = fz_npool;

				fz_ring_enter(&fr, r, FAM_PCIDEV, 1);
				fz_ring_reap(&fr, FAM_PCIDEV);
				ok = fz_npool > before;
			}
		} else {
			struct uscheme_open o;

			dev = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
			if (dev < 0)
				continue;
			memset(&o, 0, sizeof(o));
			o.path = (uintptr_t)path;
			o.flags = (uint32_t)fl;
			ok = !fz_sys(FAM_PCIDEV, ioctl(dev, USCHEME_IOC_OPEN, &o), "OPEN pcidev");
			if (ok)
				pool_add(o.fd, K_HANDLE);
			close(dev);
		}
		if (ok)
			fz_violation(FAM_PCIDEV, "uid %u opened %s (flags %#x) without CAP_SYS_RAWIO",
				     (unsigned int)geteuid(), path, (unsigned int)fl);
		/* and every handle call on whatever handles it holds (none, we hope) */
		if (one_in(r, 4))
			pool_close_one(r, have_ring ? fr.fd : -1);
	}
}
