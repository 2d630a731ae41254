// SPDX-License-Identifier: MIT
/*
 * The device suite's helpers: sysfs, the uscheme tool, the function handle.
 * See device.h.
 */
#include "../../userspace-drivers/libpcidrv/pcisysfs.h"
#include "device.h"

char g_msix[32], g_intx[32], g_other[32];
const char *g_tool = "uscheme";

/* ------------------------------------------------------------------ */
/* sysfs                                                               */

int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = 0;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = 0;
	return (int)n;
}

int write_text(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		err = -errno;
	else if ((size_t)n != strlen(s))
		err = -EIO;
	close(fd);
	return err;
}

void dev_path(char *out, size_t n, const char *addr, const char *attr)
{
	snprintf(out, n, SYS_PCI "/devices/%s/%s", addr, attr);
}

int dev_attr(const char *addr, const char *attr, char *buf, size_t len)
{
	char p[256];

	dev_path(p, sizeof(p), addr, attr);
	return read_text(p, buf, len);
}

/* A hex attribute (vendor, device, class, ...): the value, or -1. */
long long dev_num(const char *addr, const char *attr)
{
	char b[64];

	if (dev_attr(addr, attr, b, sizeof(b)) <= 0)
		return -1;
	return strtoll(b, NULL, 0);
}

/* The bound driver's name into out (empty when none); 1 bound, 0 not. */
int driver_of(const char *addr, char *out, size_t n)
{
	char p[256], l[256];
	ssize_t k;
	const char *slash;

	out[0] = 0;
	dev_path(p, sizeof(p), addr, "driver");
	k = readlink(p, l, sizeof(l) - 1);
	if (k < 0)
		return 0;
	l[k] = 0;
	slash = strrchr(l, '/');
	slash = slash ? slash + 1 : l;
	k = (ssize_t)strlen(slash);
	if ((size_t)k >= n)
		k = (ssize_t)n - 1;
	memcpy(out, slash, (size_t)k);
	out[k] = 0;
	return 1;
}

int is_bound_uscheme(const char *addr)
{
	char d[64];

	return driver_of(addr, d, sizeof(d)) && !strcmp(d, "uscheme");
}

/* driver_override, "" when unset (the kernel shows "(null)"). */
void override_of(const char *addr, char *out, size_t n)
{
	if (dev_attr(addr, "driver_override", out, n) < 0 || !strcmp(out, "(null)"))
		out[0] = 0;
}

int dev_exists(const char *addr)
{
	char p[256];

	dev_path(p, sizeof(p), addr, "config");
	return access(p, F_OK) == 0;
}

/* Config space as sysfs shows it (root: all of it); bytes read or -errno. */
int sysfs_config(const char *addr, uint8_t *buf, size_t len)
{
	char p[256];
	ssize_t n;
	int fd;

	dev_path(p, sizeof(p), addr, "config");
	fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = pread(fd, buf, len, 0);
	if (n < 0)
		n = -errno;
	close(fd);
	return (int)n;
}

uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

int sysfs_cfg16(const char *addr, unsigned int off)
{
	uint8_t c[256];

	if (sysfs_config(addr, c, sizeof(c)) < (int)(off + 2))
		return -1;
	return le16(c + off);
}

/* A capability's offset in a standard config header, 0 when absent. */
unsigned int find_cap(const uint8_t *cfg, uint8_t id)
{
	unsigned int off, n = 0;

	if (!(le16(cfg + CFG_STATUS) & STATUS_CAP_LIST))
		return 0;
	for (off = cfg[CFG_CAP_PTR] & 0xfc; off >= 0x40 && off < 256 && n < 48;
	     off = cfg[off + 1] & 0xfc, n++)
		if (cfg[off] == id)
			return off;
	return 0;
}

void msix_layout(const uint8_t *cfg, struct msix *m)
{
	memset(m, 0, sizeof(*m));
	m->table_bar = m->pba_bar = -1;
	m->cap = find_cap(cfg, CAP_ID_MSIX);
	if (!m->cap)
		return;
	m->nvec = (le16(cfg + m->cap + 2) & 0x7ff) + 1U;
	m->table_bar = (int)(le32(cfg + m->cap + 4) & 7);
	m->table_off = le32(cfg + m->cap + 4) & ~7U;
	m->pba_bar = (int)(le32(cfg + m->cap + 8) & 7);
	m->pba_off = le32(cfg + m->cap + 8) & ~7U;
}

/*
 * The first byte of BAR bar that may not be mapped (the page holding the
 * MSI-X table or PBA), or size when nothing in it is off limits.
 */
uint64_t mappable(const struct msix *m, int bar, uint64_t size)
{
	uint64_t lim = size;

	if (m->cap && m->table_bar == bar && (m->table_off & ~(PAGE - 1)) < lim)
		lim = m->table_off & ~(PAGE - 1);
	if (m->cap && m->pba_bar == bar && (m->pba_off & ~(PAGE - 1)) < lim)
		lim = m->pba_off & ~(PAGE - 1);
	return lim;
}

/* BAR i per /sys/.../resource: size (0 when unused) and the resource flags. */
int sysfs_bar(const char *addr, int i, uint64_t *size, uint64_t *flags)
{
	char p[256], line[256];
	FILE *f;
	int n = 0, ret = -ENOENT;

	dev_path(p, sizeof(p), addr, "resource");
	f = fopen(p, "re");
	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e, fl;

		if (n++ != i)
			continue;
		if (sscanf(line, "%llx %llx %llx", &s, &e, &fl) != 3)
			break;
		*size = (s || e) ? e - s + 1 : 0;
		*flags = fl;
		ret = 0;
		break;
	}
	fclose(f);
	return ret;
}

static int is_xhci(const char *addr)
{
	return dev_num(addr, "class") == 0x0c0330;
}

/* Scan sysfs for the functions not named on the command line or in env. */
void discover(void)
{
	struct dirent **ents;
	int n, i;

	n = scandir(SYS_PCI "/devices", &ents, NULL, alphasort);
	for (i = 0; i < n; i++) {
		const char *a = ents[i]->d_name;
		uint8_t cfg[256];
		char drv[64];
		int bound;

		if (a[0] == '.' || strlen(a) >= sizeof(g_msix) ||
		    sysfs_config(a, cfg, sizeof(cfg)) < 256)
			goto next;
		bound = driver_of(a, drv, sizeof(drv));
		if (is_xhci(a) && (!bound || !strcmp(drv, "uscheme"))) {
			if (find_cap(cfg, CAP_ID_MSIX)) {
				if (!g_msix[0])
					snprintf(g_msix, sizeof(g_msix), "%s", a);
			} else if (!find_cap(cfg, CAP_ID_MSI)) {
				if (!g_intx[0])
					snprintf(g_intx, sizeof(g_intx), "%s", a);
			}
		} else if (bound && strcmp(drv, "uscheme") && !g_other[0]) {
			snprintf(g_other, sizeof(g_other), "%s", a);
		}
next:
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

/*
 * Bind addr to uscheme through sysfs (the tool is tested on its own), with
 * the tree's one driver_override binder (libpcidrv's pci_bind_stub, which
 * takes no function another driver has): the state most tests start from.
 * 0, or -1 having said why.
 */
int bind_sysfs(const char *addr)
{
	char drv[64];
	int err;

	if (!addr[0]) {
		fprintf(stderr, "  no such function in this machine (see the usage comment)\n");
		return -1;
	}
	err = pci_bind_stub("/sys", addr, 0, drv, sizeof(drv));
	if (err == -EBUSY) {
		fprintf(stderr, "  %s is bound to %s\n", addr, drv);
		return -1;
	}
	if (err || !is_bound_uscheme(addr)) {
		fprintf(stderr, "  binding %s to uscheme: %s\n", addr,
			err ? strerror(-err) : "not bound after the probe");
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* the uscheme tool                                                    */

/* Run the tool with up to two arguments; its exit status, output in out. */
int tool(char *out, size_t len, const char *a1, const char *a2)
{
	int p[2], status = 0;
	size_t got = 0;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		dup2(p[1], 2);
		close(p[0]);
		close(p[1]);
		execlp(g_tool, g_tool, a1, a2, (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	for (;;) {
		ssize_t n = read(p[0], out + got, len - 1 - got);

		if (n <= 0)
			break;
		got += (size_t)n;
		if (got == len - 1)
			break;
	}
	out[got] = 0;
	close(p[0]);
	if (pid < 0 || waitpid(pid, &status, 0) < 0)
		return -1;
	fprintf(stderr, "  $ %s %s%s%s -> %d: %s", g_tool, a1, a2 ? " " : "", a2 ? a2 : "",
		WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), out);
	if (got && out[got - 1] != '\n')
		fprintf(stderr, "\n");
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

/* ------------------------------------------------------------------ */
/* the pcidev scheme                                                   */

/* Open the function handle; a session just ended may take a moment. */
int fn_open(const char *addr)
{
	char path[64];
	int fd, i;

	snprintf(path, sizeof(path), "pcidev:%s", addr);
	for (i = 0; i < 300; i++) {
		fd = us_open(path, O_RDWR | O_CLOEXEC);
		if (fd != -EBUSY)
			break;
		usleep(10000);
	}
	if (fd < 0)
		fprintf(stderr, "  open %s: %s\n", path, strerror(-fd));
	else if (i)
		fprintf(stderr, "  note: open %s was -EBUSY for %d ms after the last session\n",
			path, i * 10);
	return fd;
}

int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

int fn_info(int fn, struct uscheme_pci_info *info)
{
	memset(info, 0xa5, sizeof(*info));
	return xioctl(fn, USCHEME_PIOC_INFO, info);
}

int fn_master(int fn, unsigned long on)
{
	return ioctl(fn, USCHEME_PIOC_MASTER, on) < 0 ? -errno : 0;
}

/* BAR_OPEN / IRQ_OPEN: the new fd or -errno. */
int fn_fd(int fn, unsigned long req, uint32_t index, uint32_t flags)
{
	struct uscheme_pci_fd a;
	int err;

	memset(&a, 0, sizeof(a));
	a.index = index;
	a.flags = flags;
	a.fd = -1;
	err = xioctl(fn, req, &a);
	return err ? err : a.fd;
}

int bar_open(int fn, uint32_t index)
{
	return fn_fd(fn, USCHEME_PIOC_BAR_OPEN, index, O_CLOEXEC);
}

int irq_open(int fn, uint32_t index)
{
	return fn_fd(fn, USCHEME_PIOC_IRQ_OPEN, index, O_CLOEXEC);
}

/* DMA_ALLOC: the buffer's fd or -errno; *d filled. */
int dma_alloc(int fn, uint64_t size, struct uscheme_dma *d)
{
	int err;

	memset(d, 0, sizeof(*d));
	d->size = size;
	d->flags = O_CLOEXEC;
	d->fd = -1;
	err = xioctl(fn, USCHEME_PIOC_DMA_ALLOC, d);
	return err ? err : d->fd;
}

int irq_setup(int fn, uint32_t mode, uint32_t nvec, struct uscheme_irq_setup *s)
{
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->nvec = nvec;
	return xioctl(fn, USCHEME_PIOC_IRQ_SETUP, s);
}

/* mmap that returns NULL and keeps errno. */
void *map(int fd, size_t len, off_t off, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

/* mmap must fail with errno want (or want2, when not 0). */
int map_refused(int fd, size_t len, off_t off, int flags, int want, int want2)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);
	int e = errno;

	if (p != MAP_FAILED) {
		munmap(p, len);
		fprintf(stderr, "  mmap(len %#zx, off %#llx, flags %#x) succeeded\n", len,
			(unsigned long long)off, flags);
		return -1;
	}
	if (e != want && (!want2 || e != want2)) {
		fprintf(stderr, "  mmap(len %#zx, off %#llx, flags %#x): %s, want %s\n", len,
			(unsigned long long)off, flags, strerror(e), strerror(want));
		return -1;
	}
	return 0;
}

/* pread/pwrite results as -errno. */
ssize_t xpread(int fd, void *b, size_t n, off_t off)
{
	ssize_t r = pread(fd, b, n, off);

	return r < 0 ? -errno : r;
}

ssize_t xpwrite(int fd, const void *b, size_t n, off_t off)
{
	ssize_t r = pwrite(fd, b, n, off);

	return r < 0 ? -errno : r;
}

int drop_privileges(void)
{
	char st[4096], *cap;

	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		return -1;
	/* setuid away from 0 clears the permitted and effective sets */
	if (read_text("/proc/self/status", st, sizeof(st)) < 0)
		return -1;
	cap = strstr(st, "CapEff:");
	if (!cap || strtoull(cap + 7, NULL, 16) != 0)
		return -1;
	cap = strstr(st, "CapPrm:");
	if (!cap || strtoull(cap + 7, NULL, 16) != 0)
		return -1;
	return 0;
}

