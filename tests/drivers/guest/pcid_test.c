// SPDX-License-Identifier: MIT
/*
 * pci: as pcid serves it, from a client's side (guest only, root, with
 * uscheme.ko and a pcid serving "pci:" whose config binds neither function
 * named below; guest/pcid-suite.sh starts it so):
 *
 *   - the listing against sysfs, line for line; config space against sysfs
 *     byte for byte, for root and (as config-read=header says) for others;
 *   - paths and their errors; refused config writes;
 *   - the channel, on a function this test binds to uscheme itself: root
 *     only, O_RDWR only, exclusive (-EBUSY), its CALLs and DUPs (the
 *     function handle, BARs, DMA buffers, interrupts) and their errors,
 *     CHILD_START/STOP refused without a driver (libpcidrv's calls);
 *     config writes forwarded to the kernel's pcidev: handle (allowed and
 *     refused bytes), with and without an open channel.
 *
 * Usage: pcid_test [--sessionless] XHCI_ADDR OTHER_ADDR [name-substring]
 *   --sessionless: only the tests that open no device session (each costs
 *   ~20 s of ACPI work on the debug kernel under TCG)
 *   XHCI_ADDR: a qemu-xhci function (left as this test found it);
 *   OTHER_ADDR: an unrelated function (never bound, only read).
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "../../lib/tap.h"
#include "../../../userspace-drivers/libpcidrv/pcidrv.h"
#include "../../../userspace-drivers/libpcidrv/pcisysfs.h"
#include "../../../userspace-drivers/libuscheme/daemon.h"
#include "../../../userspace-drivers/libuscheme/libuscheme.h"

static const char *xhci, *other;

static int read_file(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -errno;
	while (got < len && (n = read(fd, buf + got, len - got)) > 0)
		got += (size_t)n;
	close(fd);
	return (int)got;
}

/* All of a scheme path's bytes (read loop); -errno from the open. */
static int read_scheme(const char *path, char *buf, size_t len)
{
	int fd = us_open(path, O_RDONLY | O_CLOEXEC);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return fd;
	while (got < len && (n = read(fd, buf + got, len - got)) > 0)
		got += (size_t)n;
	close(fd);
	return (int)got;
}

static int sysfs_config(const char *addr, char *buf, size_t len)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/config", addr);
	return read_file(path, buf, len);
}

/* ---- without a channel ---- */

static int t_listing(void)
{
	static char text[65536], want[65536];
	struct pci_func *v;
	unsigned int n, i;
	size_t wl = 0;
	int got;

	got = read_scheme("pci:", text, sizeof(text) - 1);
	CHECK(got > 0);
	text[got] = 0;
	CHECK_EQ(pci_enumerate("/sys", &v, &n), 0);
	CHECK(n >= 2);
	for (i = 0; i < n; i++)
		wl += (size_t)pci_func_line(&v[i], want + wl, sizeof(want) - wl);
	free(v);
	if (strcmp(text, want)) {
		fprintf(stderr, "  pci: reads\n%s  sysfs says\n%s", text, want);
		return -1;
	}
	/* The same through a directory open, and "/" */
	CHECK_EQ(read_scheme("pci:/", text, sizeof(text) - 1), (int)wl);
	CHECK(strstr(text, xhci) && strstr(text, other));
	return 0;
}

/* Every function's config space: pci: and sysfs agree byte for byte. */
static int t_config_bytes(void)
{
	static char a[4096], b[4096];
	struct pci_func *v;
	unsigned int n, i;

	CHECK_EQ(pci_enumerate("/sys", &v, &n), 0);
	for (i = 0; i < n; i++) {
		char path[64];
		int x, y;

		snprintf(path, sizeof(path), "pci:%s/config", v[i].addr);
		x = read_scheme(path, a, sizeof(a));
		y = sysfs_config(v[i].addr, b, sizeof(b));
		if (x != y || x < 64 || memcmp(a, b, (size_t)x)) {
			fprintf(stderr, "  %s: %d bytes from pci:, %d from sysfs%s\n", v[i].addr,
				x, y, x == y ? ", different" : "");
			free(v);
			return -1;
		}
	}
	free(v);
	return 0;
}

/* Random offsets and lengths, pread against sysfs. */
static int t_config_pread(void)
{
	char path[64], a[300], b[300];
	unsigned int seed = 7, i;
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "pci:%s/config", xhci);
	fd = us_open(path, O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK(S_ISREG(st.st_mode));
	CHECK(st.st_size == 256 || st.st_size == 4096);
	for (i = 0; i < 200; i++) {
		off_t off;
		size_t len;
		ssize_t x, y;
		int sfd;

		seed = seed * 1103515245 + 12345;
		off = (off_t)((seed >> 8) % (unsigned int)(st.st_size + 8));
		len = (seed >> 20) % sizeof(a);
		x = pread(fd, a, len, off);
		snprintf(b, sizeof(b), "/sys/bus/pci/devices/%s/config", xhci);
		sfd = open(b, O_RDONLY);
		CHECK(sfd >= 0);
		y = pread(sfd, b, len, off);
		close(sfd);
		if (x != y || (x > 0 && memcmp(a, b, (size_t)x))) {
			fprintf(stderr, "  off %ld len %zu: %zd vs %zd\n", (long)off, len, x, y);
			close(fd);
			return -1;
		}
	}
	close(fd);
	return 0;
}

/* As another user: config-read=header gives the first 64 bytes; no channel, no writes. */
static int t_nonroot(void)
{
	pid_t pid = fork();
	int st;

	CHECK(pid >= 0);
	if (pid == 0) {
		char path[64], a[4096], b[64];
		int r = 1;

		if (setgid(65534) || setuid(65534))
			_exit(2);
		snprintf(path, sizeof(path), "pci:%s/config", xhci);
		if (read_scheme(path, a, sizeof(a)) != 64)
			_exit(3);
		if (sysfs_config(xhci, b, sizeof(b)) != 64 || memcmp(a, b, 64))
			_exit(4);
		if (us_open(path, O_WRONLY) != -EACCES || us_open(path, O_RDWR) != -EACCES)
			_exit(5);
		snprintf(path, sizeof(path), "pci:%s/channel", xhci);
		if (us_open(path, O_RDWR) != -EACCES)
			_exit(6);
		snprintf(path, sizeof(path), "pci:%s/channel", other);
		if (us_open(path, O_RDWR) != -EACCES)
			_exit(7);
		if (read_scheme("pci:", a, sizeof(a)) <= 0)
			_exit(8);
		snprintf(path, sizeof(path), "pcidev:%s", xhci);
		if (us_open(path, O_RDWR) >= 0)
			_exit(9);
		r = 0;
		_exit(r);
	}
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		fprintf(stderr, "  the unprivileged child failed at step %d\n", WEXITSTATUS(st));
		return -1;
	}
	return 0;
}

static int t_paths(void)
{
	char buf[256], path[96], shortaddr[16];
	struct stat st;
	int fd;

	snprintf(path, sizeof(path), "pci:%s", xhci);
	CHECK_EQ(read_scheme(path, buf, sizeof(buf)), 22);
	CHECK(!memcmp(buf, "channel\nconfig\nstatus\n", 22));
	fd = us_open(path, O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK(S_ISDIR(st.st_mode));
	close(fd);
	CHECK_EQ(us_open(path, O_WRONLY), -EISDIR);
	CHECK_EQ(us_open("pci:", O_RDWR), -EISDIR);
	/* "00:04.0" for domain 0 */
	if (!strncmp(xhci, "0000:", 5)) {
		snprintf(shortaddr, sizeof(shortaddr), "%s", xhci + 5);
		snprintf(path, sizeof(path), "pci:%s/config", shortaddr);
		CHECK(read_scheme(path, buf, sizeof(buf)) > 0);
	}
	snprintf(path, sizeof(path), "pci:%s/status", xhci);
	CHECK(read_scheme(path, buf, sizeof(buf) - 1) > 0);
	CHECK(strstr(buf, "address ") && strstr(buf, "state "));
	CHECK_EQ(us_open(path, O_WRONLY), -EACCES);
	snprintf(path, sizeof(path), "pci:%s/config", xhci);
	CHECK_EQ(us_open(path, O_RDONLY | O_DIRECTORY), -ENOTDIR);
	/* Malformed and unknown paths. */
	CHECK_EQ(us_open("pci:nonsense", O_RDONLY), -ENOENT);
	CHECK_EQ(us_open("pci:0000:00:04", O_RDONLY), -ENOENT);
	CHECK_EQ(us_open("pci:0000:00:20.0", O_RDONLY), -ENOENT);
	CHECK_EQ(us_open("pci:0000:00:1f.8", O_RDONLY), -ENOENT);
	CHECK_EQ(us_open("pci:ffff:ff:1f.7", O_RDONLY), -ENOENT);
	CHECK_EQ(us_open("pci:../../etc/passwd", O_RDONLY), -ENOENT);
	snprintf(path, sizeof(path), "pci:%s/nosuch", xhci);
	CHECK_EQ(us_open(path, O_RDONLY), -ENOENT);
	snprintf(path, sizeof(path), "pci:%s/config/x", xhci);
	CHECK_EQ(us_open(path, O_RDONLY), -ENOENT);
	snprintf(path, sizeof(path), "pci:%s/../%s/config", xhci, other);
	CHECK_EQ(us_open(path, O_RDONLY), -ENOENT);
	/* DUP on directories works like openat; on files it does not. */
	fd = us_open("pci:", O_RDONLY);
	CHECK(fd >= 0);
	snprintf(path, sizeof(path), "%s/config", other);
	{
		int c = us_dup(fd, path, 0);

		CHECK(c >= 0);
		CHECK_EQ(read(c, buf, 4), 4);
		close(c);
		CHECK_EQ(us_dup(fd, "nonsense", 0), -ENOENT);
		snprintf(path, sizeof(path), "%s/channel", other);
		CHECK_EQ(us_dup(fd, path, 0), -EACCES);	/* read-only: no channel */
		c = us_dup(fd, "", 0);
		CHECK(c >= 0);
		CHECK(read(c, buf, sizeof(buf)) > 0);
		close(c);
	}
	close(fd);
	snprintf(path, sizeof(path), "pci:%s/config", xhci);
	fd = us_open(path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(us_dup(fd, "x", 0), -ENOTDIR);
	CHECK_EQ(us_call(fd, NULL, 0, buf, sizeof(buf), PCID_CALL_INFO), -EINVAL);
	close(fd);
	return 0;
}

/* Neither function is bound to uscheme: no channel, no config writes. */
static int t_unbound_refusals(void)
{
	char path[96];

	snprintf(path, sizeof(path), "pci:%s/channel", other);
	CHECK_EQ(us_open(path, O_RDWR), -ENODEV);
	CHECK_EQ(us_open(path, O_RDONLY), -EACCES);
	snprintf(path, sizeof(path), "pci:%s/config", other);
	CHECK_EQ(us_open(path, O_WRONLY), -EACCES);
	CHECK_EQ(us_open(path, O_RDWR), -EACCES);
	return 0;
}

/* ---- inherited scheme rings (libuscheme.h), as pcid passes them ---- */

#define INH_NAME	"pcidtest.inherit"
#define INH_FD		10

static int inh_open(struct us_daemon *d, const struct uscheme_req *req, const char *path,
		    void **state)
{
	(void)d;
	(void)req;
	*state = NULL;
	return strcmp(path, "who") ? -ENOENT : 0;
}

static unsigned long long cap_eff(void);

static int inh_read(struct us_daemon *d, const struct uscheme_req *req, void *state,
		    void *buf, size_t len, uint64_t off)
{
	char text[64];
	int n = snprintf(text, sizeof(text), "uid %u capeff %llx\n", (unsigned int)getuid(),
			 cap_eff());

	(void)d;
	(void)req;
	(void)state;
	if (off >= (uint64_t)n)
		return 0;
	if (len > (size_t)n - off)
		len = (size_t)n - off;
	memcpy(buf, text + off, len);
	return (int)len;
}

static const struct us_scheme_ops inh_ops = { .open = inh_open, .read = inh_read };

/* The effective capabilities of this process, from /proc (0 when none). */
static unsigned long long cap_eff(void)
{
	char buf[2048], *p;
	int n = read_file("/proc/self/status", buf, sizeof(buf) - 1);

	if (n <= 0)
		return ~0ULL;
	buf[n] = 0;
	p = strstr(buf, "CapEff:");
	return p ? strtoull(p + 7, NULL, 16) : ~0ULL;
}

/*
 * Root sets up and registers a scheme ring, a child that drops to uid
 * 65534 (no capabilities) serves it from the description alone; the name
 * goes with the child. Then what us_ring_attach refuses, on real fds.
 */
static int t_inherited_ring(void)
{
	char desc[US_RING_DESC_MAX], bad[US_RING_DESC_MAX], buf[64], name[64];
	struct us_ring r, c, a;
	int n, st, fd, fl;
	pid_t pid;

	CHECK_EQ(us_scheme_init(&r, INH_NAME, 16, 0), 0);
	n = us_ring_describe(&r, INH_FD, INH_NAME, desc, sizeof(desc));
	CHECK(n > 0);
	CHECK(strstr(desc, "fd=10,name=" INH_NAME ",sq=16,cq=32,cqe=16,ring=4096,sqes=4096,"
		      "cqes=4096,data=8388608") == desc);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		struct us_daemon d;
		int err;

		alarm(60);
		/* As across exec: the ring at INH_FD, our copy and its mappings gone. */
		if (dup2(r.fd, INH_FD) != INH_FD)
			_exit(2);
		us_ring_exit(&r);
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534) || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
			_exit(3);
		if (cap_eff() != 0)
			_exit(4);
		/* What needs the privilege it no longer has, refused. */
		if (us_scheme_init(&c, "pcidtest.own", 16, 0) != -EPERM)
			_exit(5);
		err = us_daemon_init_inherited(&d, desc, &inh_ops, NULL, NULL);
		if (err) {
			us_daemon_perror("pcid_test child", &d, err);
			_exit(6);
		}
		if (strcmp(d.name, INH_NAME) || d.ring.fd != INH_FD ||
		    !(fcntl(INH_FD, F_GETFD) & FD_CLOEXEC))
			_exit(7);
		err = us_daemon_run(&d);
		_exit(err ? 8 : 0);
	}
	us_ring_exit(&r);	/* as pcid does: the child's alone now */
	n = read_scheme(INH_NAME ":who", buf, sizeof(buf) - 1);
	if (n < 0) {
		waitpid(pid, &st, WNOHANG);
		fprintf(stderr, "  reading " INH_NAME ":who: %s (child status %#x)\n",
			strerror(-n), st);
	}
	CHECK(n > 0);
	buf[n] = 0;
	if (strcmp(buf, "uid 65534 capeff 0\n")) {
		fprintf(stderr, "  the server says: %s", buf);
		return -1;
	}
	CHECK_EQ(read_scheme(INH_NAME ":nope", buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(us_scheme_exists(INH_NAME), 1);
	CHECK_EQ(waitpid(pid, &st, WNOHANG), 0);	/* still serving */
	kill(pid, SIGKILL);
	CHECK_EQ(waitpid(pid, &st, 0), pid);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	/* Nobody holds the ring now: the name is free at once. */
	CHECK_EQ(us_scheme_exists(INH_NAME), 0);
	CHECK_EQ(read_scheme(INH_NAME ":who", buf, sizeof(buf)), -ENOENT);

	/* Refusals on real fds, each leaving the fd as it was. */
	CHECK_EQ(us_ring_init_data(&r, -1, 16, 0, USCHEME_SETUP_SCHEME, 0), 0);
	fl = fcntl(r.fd, F_GETFD);
#define ATTACH_BAD(want, fmt, ...) do {							\
		snprintf(bad, sizeof(bad), fmt, __VA_ARGS__);				\
		CHECK_EQ(us_ring_attach(&a, bad, name, sizeof(name)), want);		\
		CHECK_EQ(a.fd, -1);							\
		CHECK_EQ(fcntl(r.fd, F_GETFD), fl);					\
	} while (0)
	/* Another layout than the ring's: entries, the CQE size, the data area. */
	ATTACH_BAD(-EINVAL, "fd=%d,name=x,sq=32,cq=64,cqe=16,ring=4096,sqes=4096,cqes=4096,"
		   "data=8388608", r.fd);
	ATTACH_BAD(-EINVAL, "fd=%d,name=x,sq=16,cq=16,cqe=16,ring=4096,sqes=4096,cqes=4096,"
		   "data=8388608", r.fd);
	ATTACH_BAD(-EINVAL, "fd=%d,name=x,sq=16,cq=256,cqe=32,ring=4096,sqes=4096,cqes=8192,"
		   "data=8388608", r.fd);
	ATTACH_BAD(-EINVAL, "fd=%d,name=x,sq=16,cq=32,cqe=16,ring=4096,sqes=4096,cqes=4096,"
		   "data=4194304", r.fd);
	ATTACH_BAD(-EINVAL, "fd=%d,name=x,sq=16,cq=32,cqe=16,ring=4096,sqes=4096,cqes=4096,"
		   "data=16777216", r.fd);
	/* A client ring of that layout: no scheme ring. */
	CHECK_EQ(us_ring_init(&c, 16, 0, 0), 0);
	ATTACH_BAD(-EINVAL, "fd=%d,name=x,sq=16,cq=32,cqe=16,ring=4096,sqes=4096,cqes=4096,"
		   "data=8388608", c.fd);
	us_ring_exit(&c);
	/* /dev/uscheme never set up; a file that is no ring. */
	fd = open(USCHEME_DEVICE, O_RDWR | O_CLOEXEC);
	CHECK(fd >= 0);
	ATTACH_BAD(-EBADFD, "fd=%d,name=x,sq=16,cq=32,cqe=16,ring=4096,sqes=4096,cqes=4096,"
		   "data=8388608", fd);
	close(fd);
	fd = open("/proc/self/status", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	ATTACH_BAD(-ENOTTY, "fd=%d,name=x,sq=16,cq=32,cqe=16,ring=4096,sqes=4096,cqes=4096,"
		   "data=8388608", fd);
	close(fd);
#undef ATTACH_BAD
	/* The right description attaches (also unregistered: a name is the parent's job). */
	snprintf(bad, sizeof(bad), "fd=%d,name=x,sq=16,cq=32,cqe=16,ring=4096,sqes=4096,"
		 "cqes=4096,data=8388608", r.fd);
	fcntl(r.fd, F_SETFD, 0);
	CHECK_EQ(us_ring_attach(&a, bad, name, sizeof(name)), 0);
	CHECK(!strcmp(name, "x"));
	CHECK_EQ(a.fd, r.fd);
	CHECK(a.scheme && a.data && a.data_size == USCHEME_DATA_DEFAULT);
	CHECK(fcntl(r.fd, F_GETFD) & FD_CLOEXEC);
	/* Both views are the same memory. */
	((char *)r.data)[4096] = 'z';
	CHECK_EQ(((char *)a.data)[4096], 'z');
	a.fd = -1;	/* r owns the fd */
	us_ring_exit(&a);
	us_ring_exit(&r);
	return 0;
}

/* ---- with a channel: the test binds xhci to uscheme for these ---- */

/* Each test is a child of its own: binding is idempotent, undone by t_unbind. */
static int bind_xhci(void)
{
	char was[64];

	CHECK_EQ(pci_bind_stub("/sys", xhci, PCI_BIND_TAKE, was, sizeof(was)), 0);
	return 0;
}

static int open_channel(void)
{
	char path[96];

	snprintf(path, sizeof(path), "pci:%s/channel", xhci);
	return us_open(path, O_RDWR | O_CLOEXEC);
}

static int t_channel_exclusive(void)
{
	char path[96], buf[512];
	int ch, ch2;

	CHECK_EQ(bind_xhci(), 0);
	snprintf(path, sizeof(path), "pci:%s/channel", xhci);
	CHECK_EQ(us_open(path, O_RDONLY), -EACCES);
	CHECK_EQ(us_open(path, O_WRONLY), -EACCES);
	ch = us_open(path, O_RDWR);
	CHECK(ch >= 0);
	CHECK_EQ(us_open(path, O_RDWR), -EBUSY);
	CHECK_EQ(us_open(path, O_RDWR), -EBUSY);
	snprintf(buf, sizeof(buf), "pci:%s/status", xhci);
	CHECK(read_scheme(buf, buf, sizeof(buf) - 1) > 0);
	CHECK(strstr(buf, "channel open"));
	/* The kernel's session is pcid's: pcidev: says busy. */
	CHECK(read_scheme("pcidev:", buf, sizeof(buf) - 1) > 0);
	CHECK(strstr(buf, xhci) && strstr(buf, "busy"));
	/* A forked child shares the same channel (same handle), no new open. */
	close(ch);
	ch2 = us_open(path, O_RDWR);
	CHECK(ch2 >= 0);
	close(ch2);
	/* The session ends with the channel (pcid hears CLOSE): pcidev: free again. */
	{
		char line[64];
		int i;

		snprintf(line, sizeof(line), "%s ", xhci);
		for (i = 0; i < 100; i++) {
			int got = read_scheme("pcidev:", buf, sizeof(buf) - 1);
			char *l;

			CHECK(got > 0);
			buf[got] = 0;
			l = strstr(buf, line);
			CHECK(l);
			if (!strncmp(strchr(l, '\n') - 4, "free", 4))
				break;
			usleep(50000);
		}
		CHECK(i < 100);
	}
	return 0;
}

static int t_channel_calls(void)
{
	struct uscheme_pci_info info;
	struct uscheme_irq_setup irq;
	struct pci_func f;
	char buf[2048];
	uint32_t v;
	int ch, n;

	CHECK_EQ(bind_xhci(), 0);
	CHECK_EQ(pci_read_func("/sys", xhci, &f), 0);
	ch = open_channel();
	CHECK(ch >= 0);
	CHECK_EQ(pcidrv_info(ch, &info), 0);
	CHECK_EQ(info.vendor, f.vendor);
	CHECK_EQ(info.device, f.device);
	CHECK_EQ(info.class_code, f.class_code);
	CHECK_EQ(info.subvendor, f.subvendor);
	CHECK_EQ(info.revision, f.revision);
	CHECK(info.bars[0].size >= 4096);
	/* Errors: unknown op, short buffers, bad values. */
	CHECK_EQ(us_call(ch, NULL, 0, buf, sizeof(buf), 0), -EINVAL);
	CHECK_EQ(us_call(ch, NULL, 0, buf, sizeof(buf), 99), -EINVAL);
	CHECK_EQ(us_call(ch, NULL, 0, buf, sizeof(info) - 1, PCID_CALL_INFO), -EINVAL);
	v = 2;
	CHECK_EQ(us_call(ch, &v, sizeof(v), NULL, 0, PCID_CALL_MASTER), -EINVAL);
	CHECK_EQ(us_call(ch, &v, 2, NULL, 0, PCID_CALL_MASTER), -EINVAL);
	CHECK_EQ(us_call(ch, &irq, sizeof(irq) - 1, &irq, sizeof(irq), PCID_CALL_IRQ_SETUP), -EINVAL);
	CHECK_EQ(pcidrv_master(ch, 1), 0);
	CHECK_EQ(pcidrv_master(ch, 0), 0);
	/* The channel reads as text; it takes no writes. */
	n = (int)pread(ch, buf, sizeof(buf) - 1, 0);
	CHECK(n > 0);
	buf[n] = 0;
	{
		char id[32];

		snprintf(id, sizeof(id), "id %04x:%04x\n", f.vendor, f.device);
		CHECK(strstr(buf, id));
		CHECK(strstr(buf, "bar0 mem"));
	}
	CHECK_EQ(pwrite(ch, "x", 1, 0), -1);
	CHECK_EQ(errno, EINVAL);
	/* Interrupts: once per session; vectors exist only after. */
	CHECK_EQ(pcidrv_irq(ch, 0), -ENOENT);
	CHECK_EQ(pcidrv_irq_setup(ch, 77, 1, &irq), -EINVAL);
	CHECK_EQ(pcidrv_irq_setup(ch, USCHEME_IRQ_AUTO, 1, &irq), 0);
	CHECK(irq.nvec >= 1);
	CHECK(irq.mode == USCHEME_IRQ_MSIX || irq.mode == USCHEME_IRQ_MSI ||
	      irq.mode == USCHEME_IRQ_INTX);
	CHECK_EQ(pcidrv_irq_setup(ch, USCHEME_IRQ_AUTO, 1, &irq), -EBUSY);
	n = pcidrv_irq(ch, 0);
	CHECK(n >= 0);
	{
		int n2 = pcidrv_irq(ch, 0);	/* the same vector again: fine */

		CHECK(n2 >= 0);
		close(n2);
	}
	close(n);
	CHECK_EQ(pcidrv_irq(ch, irq.nvec), -ENOENT);
	CHECK_EQ(us_dup(ch, "irq/x", 0), -ENOENT);
	CHECK_EQ(us_dup(ch, "irq/", 0), -ENOENT);
	close(ch);
	/* A new session: interrupts can be set up again. */
	ch = open_channel();
	CHECK(ch >= 0);
	CHECK_EQ(pcidrv_irq_setup(ch, USCHEME_IRQ_AUTO, 1, &irq), 0);
	close(ch);
	return 0;
}

/*
 * CHILD_START/STOP through libpcidrv's calls (xhcid's are their SQE forms):
 * a channel whose function has no running driver with child-config= gets
 * -EPERM, malformed requests -EINVAL, a stop stops nothing.
 */
static int t_channel_children(void)
{
	struct pcid_child_req req;
	char name[64];
	int ch;

	CHECK_EQ(bind_xhci(), 0);
	ch = open_channel();
	CHECK(ch >= 0);
	memset(&req, 0, sizeof(req));
	req.port = 1;
	req.iface = 0;
	req.vendor = 0x46f4;
	req.device = 0x0001;
	req.class_code = 0x080650;
	memset(name, 'x', sizeof(name));
	CHECK_EQ(pcidrv_child_start(ch, &req, name, sizeof(name)), -EPERM);
	CHECK_EQ(name[0], 0);
	CHECK_EQ(pcidrv_child_start(ch, &req, NULL, 0), -EPERM);
	req.port = 0;
	CHECK_EQ(pcidrv_child_start(ch, &req, name, sizeof(name)), -EINVAL);
	req.port = 256;
	CHECK_EQ(pcidrv_child_start(ch, &req, name, sizeof(name)), -EINVAL);
	req.port = 1;
	req.iface = 32;
	CHECK_EQ(pcidrv_child_start(ch, &req, name, sizeof(name)), -EINVAL);
	req.iface = -2;
	CHECK_EQ(pcidrv_child_start(ch, &req, name, sizeof(name)), -EINVAL);
	req.iface = -1;
	req.resv[1] = 1;
	CHECK_EQ(pcidrv_child_start(ch, &req, name, sizeof(name)), -EINVAL);
	req.resv[1] = 0;
	req.class_code = 0x1000000;
	CHECK_EQ(pcidrv_child_start(ch, &req, name, sizeof(name)), -EINVAL);
	CHECK_EQ(us_call(ch, &req, sizeof(req) - 1, NULL, 0, PCID_CALL_CHILD_START), -EINVAL);
	CHECK_EQ(pcidrv_child_stop(ch, 0), 0);
	CHECK_EQ(pcidrv_child_stop(ch, 255), 0);
	CHECK_EQ(pcidrv_child_stop(ch, 256), -EINVAL);
	CHECK_EQ(us_call(ch, &req, 2, NULL, 0, PCID_CALL_CHILD_STOP), -EINVAL);
	close(ch);
	return 0;
}

static int t_channel_dups(void)
{
	struct uscheme_pci_info info;
	struct pcidrv_dma dma;
	char cfg[64], sys[64];
	size_t len = 4096;
	volatile uint32_t *regs;
	struct stat st;
	int ch, fd, i;

	CHECK_EQ(bind_xhci(), 0);
	ch = open_channel();
	CHECK(ch >= 0);
	CHECK_EQ(pcidrv_info(ch, &info), 0);
	/* The function handle: the kernel's, config as sysfs shows it. */
	fd = pcidrv_function(ch);
	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, info.cfg_size);
	CHECK_EQ(pread(fd, cfg, sizeof(cfg), 0), (ssize_t)sizeof(cfg));
	CHECK_EQ(sysfs_config(xhci, sys, sizeof(sys)), (int)sizeof(sys));
	CHECK(!memcmp(cfg, sys, 8));	/* IDs, command/status may move */
	{
		struct uscheme_pci_info i2;

		CHECK_EQ(ioctl(fd, USCHEME_PIOC_INFO, &i2), 0);
		CHECK(!memcmp(&i2, &info, sizeof(info)));
	}
	CHECK_EQ(pwrite(fd, cfg, 2, 0), -1);	/* IDs: refused by the kernel */
	CHECK_EQ(errno, EPERM);
	close(fd);
	/* BAR0: mapped through the channel. */
	regs = pcidrv_map_bar(ch, 0, 0, &len, &fd);
	CHECK(regs != NULL);
	CHECK_EQ(len, 4096);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ((uint64_t)st.st_size, info.bars[0].size);
	if (info.class_code == 0x0c0330) {
		CHECK((regs[0] & 0xff) >= 0x20);	/* CAPLENGTH */
		CHECK((regs[0] >> 16) >= 0x0096);	/* HCIVERSION */
	}
	munmap((void *)regs, len);
	close(fd);
	for (i = 0; i < USCHEME_PCI_BARS; i++) {
		if (info.bars[i].size)
			continue;
		CHECK_EQ(pcidrv_bar(ch, (unsigned int)i), -ENOENT);	/* not implemented */
		break;
	}
	CHECK_EQ(us_dup(ch, "bar6", 0), -ENOENT);
	CHECK_EQ(us_dup(ch, "bar00", 0), -ENOENT);
	CHECK_EQ(us_dup(ch, "bar", 0), -ENOENT);
	CHECK_EQ(us_dup(ch, "", 0), -ENOENT);
	CHECK_EQ(us_dup(ch, "functionx", 0), -ENOENT);
	CHECK_EQ(us_dup(ch, "../channel", 0), -ENOENT);
	/* DMA buffers. */
	CHECK_EQ(pcidrv_dma_alloc(ch, 5000, &dma), 0);
	CHECK_EQ(dma.size, 8192);
	CHECK(dma.bus != 0);
	CHECK(((unsigned char *)dma.map)[100] == 0);	/* zeroed */
	memset(dma.map, 0xa5, dma.size);
	pcidrv_dma_free(&dma);
	CHECK_EQ(us_dup(ch, "dma/0", 0), -EINVAL);
	CHECK_EQ(us_dup(ch, "dma/-1", 0), -EINVAL);
	fd = us_dup(ch, "dma/4k", 0);
	CHECK(fd >= 0);
	close(fd);
	CHECK_EQ(us_dup(ch, "dma/lots", 0), -EINVAL);
	CHECK_EQ(us_dup(ch, "dma/64M", 0), -E2BIG);
	CHECK_EQ(us_dup(ch, "dma/", 0), -EINVAL);
	close(ch);
	return 0;
}

/* Config writes by root: forwarded to the kernel's handle, which judges. */
static int t_config_write(void)
{
	char path[96];
	uint8_t old, v = 0x10, back;
	uint16_t id = 0xffff;
	int fd, ch;

	CHECK_EQ(bind_xhci(), 0);
	snprintf(path, sizeof(path), "pci:%s/config", xhci);
	{
		char c[16];

		CHECK_EQ(sysfs_config(xhci, c, sizeof(c)), 16);
		old = (uint8_t)c[0x0c];
	}
	/*
	 * Without a channel: refused, since the kernel restores config space
	 * when a session ends (a session of pcid's own would undo the write).
	 */
	fd = us_open(path, O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(pwrite(fd, &v, 1, 0x0c), -1);	/* cache line size */
	CHECK_EQ(errno, ENOTCONN);
	CHECK_EQ(pread(fd, &back, 1, 0x0c), 1);
	CHECK_EQ(back, old);
	/* With a channel open: through pcid's session. */
	ch = open_channel();
	CHECK(ch >= 0);
	v = 0x20;
	CHECK_EQ(pwrite(fd, &v, 1, 0x0c), 1);
	CHECK_EQ(pread(fd, &back, 1, 0x0c), 1);
	CHECK_EQ(back, v);
	CHECK_EQ(pwrite(fd, &id, 2, 0), -1);
	CHECK_EQ(errno, EPERM);
	CHECK_EQ(pwrite(fd, &v, 1, 0x10), -1);	/* BAR0 */
	CHECK_EQ(errno, EPERM);
	CHECK_EQ(pwrite(fd, &old, 1, 0x0c), 1);
	close(ch);
	close(fd);
	/* Another user never writes, even with a root-opened handle passed on. */
	fd = us_open(path, O_RDWR);
	CHECK(fd >= 0);
	{
		pid_t pid = fork();
		int st;

		CHECK(pid >= 0);
		if (pid == 0) {
			if (setgid(65534) || setuid(65534))
				_exit(2);
			_exit(pwrite(fd, &v, 1, 0x0c) == -1 && errno == EACCES ? 0 : 3);
		}
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	close(fd);
	return 0;
}

/* Garbage paths, suffixes and calls: errors, never a dead pcid. */
static int t_fuzz(void)
{
	static const char alphabet[] = "0123456789abcdef:./-_ configchannelstatusbarirqdma%";
	unsigned int seed = 99, i, j;
	char path[96], s[64], buf[512];
	int ch, fd;

	CHECK_EQ(bind_xhci(), 0);
	ch = open_channel();
	CHECK(ch >= 0);
	for (i = 0; i < 3000; i++) {
		size_t len;

		seed = seed * 1103515245 + 12345;
		len = (seed >> 16) % 40;
		for (j = 0; j < len; j++) {
			seed = seed * 1103515245 + 12345;
			s[j] = (i & 1) ? (char)(1 + (seed >> 16) % 255) :
				alphabet[(seed >> 16) % (sizeof(alphabet) - 1)];
		}
		s[len] = 0;
		/* Half of them near real names. */
		if (i % 4 == 1)
			snprintf(path, sizeof(path), "pci:%s/%s", xhci, s);
		else if (i % 4 == 2)
			snprintf(path, sizeof(path), "pci:%.12s%s", xhci, s);
		else
			snprintf(path, sizeof(path), "pci:%s", s);
		fd = us_open(path, (int)((seed >> 8) % 3) | ((seed & 0x100) ? O_DIRECTORY : 0));
		if (fd >= 0)
			close(fd);
		fd = us_dup(ch, s, 0);
		if (fd >= 0)
			close(fd);
		seed = seed * 1103515245 + 12345;
		us_call(ch, s, len, buf, (seed >> 16) % sizeof(buf), (seed >> 8) % 8);
	}
	close(ch);
	/* Still serving, and the channel is free again. */
	CHECK(read_scheme("pci:", buf, sizeof(buf)) > 0);
	ch = open_channel();
	CHECK(ch >= 0);
	close(ch);
	return 0;
}

static int t_unbind(void)
{
	struct pci_func f;
	char now[64];

	CHECK_EQ(pci_release_stub("/sys", xhci, now, sizeof(now)), 0);
	CHECK_EQ(pci_read_func("/sys", xhci, &f), 0);
	CHECK(strcmp(f.driver, PCID_STUB_DRIVER));
	CHECK(!f.override[0]);
	return 0;
}

int main(int argc, char **argv)
{
	/* The first SESSIONLESS need no device session (no pci_enable_device). */
	static const struct tap_test tests[] = {
		{ "listing", t_listing, 0 },
		{ "config_bytes", t_config_bytes, 0 },
		{ "config_pread", t_config_pread, 0 },
		{ "nonroot", t_nonroot, 0 },
		{ "paths", t_paths, 0 },
		{ "unbound_refusals", t_unbound_refusals, 0 },
		{ "inherited_ring", t_inherited_ring, 0 },
#define SESSIONLESS 7
		{ "channel_exclusive", t_channel_exclusive, 0 },
		{ "channel_calls", t_channel_calls, 0 },
		{ "channel_children", t_channel_children, 0 },
		{ "channel_dups", t_channel_dups, 0 },
		{ "config_write", t_config_write, 0 },
		{ "fuzz", t_fuzz, 300 },
		{ "unbind", t_unbind, 0 },
	};
	size_t n = sizeof(tests) / sizeof(tests[0]);
	int r;

	if (argc > 1 && !strcmp(argv[1], "--sessionless")) {
		n = SESSIONLESS;
		argc--;
		argv++;
	}
	if (argc < 3) {
		fprintf(stderr, "usage: pcid_test [--sessionless] XHCI_ADDR OTHER_ADDR "
			"[name-substring]\n");
		return 2;
	}
	xhci = argv[1];
	other = argv[2];
	r = tap_run("pcid-scheme", tests, n, argc > 3 ? argv[3] : NULL);
	{
		struct pci_func f;

		if (!pci_read_func("/sys", xhci, &f) && !strcmp(f.driver, PCID_STUB_DRIVER)) {
			char now[64];

			pci_release_stub("/sys", xhci, now, sizeof(now));
		}
	}
	return r;
}
