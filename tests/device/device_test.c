// SPDX-License-Identifier: MIT
/*
 * Device services (uapi/uscheme.h, "Device services"), from userspace on a
 * loaded uscheme.ko, against QEMU's emulated xHCI controllers:
 *
 *   - `uscheme bind` / `uscheme unbind` and the sysfs state after each, and
 *     their errors (no such device, another driver has it, bad address);
 *   - the "pcidev:" scheme: the directory, OPEN errors, one session at a time;
 *   - the function handle: INFO against sysfs, config space against sysfs
 *     byte for byte, the config-write policy (refused writes change nothing),
 *     bus mastering by ioctl and by config write;
 *   - BAR fds: mmap of the registers (CAPLENGTH, HCIVERSION), pread/pwrite,
 *     the MSI-X table and PBA out of reach, bad ranges, MAP_PRIVATE;
 *   - DMA buffer fds: alloc, mmap, limits, close and reuse, buffers kept while
 *     bus mastering is on, the bus address against /proc/self/pagemap (equal
 *     without an IOMMU, an IOVA with one);
 *   - interrupts: an xHCI No Op command completed through a real command ring
 *     and event ring, its interrupt (MSI-X; INTx, masked by the kernel until
 *     acknowledged) watched with FILES_UPDATE, read and acknowledged;
 *     bad input; a blocking read ended by a signal (EINTR, or restarted
 *     with SA_RESTART) and by SIGKILL;
 *   - lifetimes: a session owner killed with the controller running (bus
 *     mastering off afterwards, a new session works), unbinding during a
 *     session (revoked: SIGBUS, -ENODEV, EPOLLERR|EPOLLHUP);
 *   - privilege: opening needs CAP_SYS_RAWIO, an inherited handle does not;
 *   - hardening: memory decode turned off zaps the BAR mappings (SIGBUS,
 *     -EIO) until it is on again; FLR, ACS, ReBAR, SR-IOV writes refused
 *     where the functions have them; nothing of one session's config space
 *     (and, with a reset method, device state) reaches the next.
 *
 * The functions used (PCI addresses "0000:00:04.0"):
 *   --msix ADDR / USCHEME_DEV_MSIX   an xHCI with MSI-X (qemu-xhci)
 *   --intx ADDR / USCHEME_DEV_INTX   an xHCI with neither MSI nor MSI-X
 *                                    (QEMU: nec-usb-xhci,msi=off,msix=off)
 *   --other ADDR / USCHEME_DEV_OTHER a function some other driver has
 *                                    (QEMU: pci-serial, the kernel's 8250_pci)
 * Without them, /sys/bus/pci/devices is scanned: xHCI class 0x0c0330 with
 * an MSI-X capability, one with neither MSI nor MSI-X, and any function
 * bound to a driver other than uscheme. USCHEME_EXPECT_IOMMU=1 says the
 * guest was booted with an IOMMU (a missing one then fails); USCHEME_TOOL
 * names the uscheme tool (default: "uscheme" from PATH).
 *
 * These functions are bound to uscheme (driver_override) as the tests need.
 * Run it only in a VM or on functions you can afford to lose.
 *
 * Usage: device_test [--msix A] [--intx A] [--other A] [name-substring]
 */
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <poll.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/types.h>

#include "../../userspace-drivers/libuscheme/libuscheme.h"
#include "../lib/tap.h"

#define PAGE		4096UL
#define SLOW_MS		5000	/* the longest wait for something that must come */
#define QUIET_MS	300	/* how long "nothing comes" is watched */

#define SYS_PCI		"/sys/bus/pci"

/* PCI config space (linux/pci_regs.h values, spelled out for userspace). */
#define CFG_VENDOR	0x00
#define CFG_COMMAND	0x04
#define CFG_STATUS	0x06
#define CFG_CACHE_LINE	0x0c
#define CFG_LATENCY	0x0d
#define CFG_BAR0	0x10
#define CFG_CAP_PTR	0x34
#define CFG_IRQ_PIN	0x3d
#define CMD_MEMORY	0x0002
#define CMD_MASTER	0x0004
#define CMD_INTX_DISABLE 0x0400
#define STATUS_INTX	0x0008
#define STATUS_CAP_LIST	0x0010
#define CAP_ID_PM	0x01
#define CAP_ID_MSI	0x05
#define CAP_ID_MSIX	0x11
#define MSIX_ENABLE	0x8000

/* xHCI registers and TRBs (xHCI 1.2; QEMU's hw/usb/hcd-xhci.c). */
#define CAP_CAPLENGTH	0x00	/* byte; HCIVERSION is the word at 0x02 */
#define CAP_HCSPARAMS1	0x04
#define CAP_DBOFF	0x14
#define CAP_RTSOFF	0x18
#define OP_USBCMD	0x00
#define OP_USBSTS	0x04
#define OP_CRCR		0x18
#define OP_DCBAAP	0x30
#define OP_CONFIG	0x38
#define USBCMD_RS	(1U << 0)
#define USBCMD_HCRST	(1U << 1)
#define USBCMD_INTE	(1U << 2)
#define USBSTS_HCH	(1U << 0)
#define USBSTS_HSE	(1U << 2)
#define USBSTS_CNR	(1U << 11)
#define USBSTS_HCE	(1U << 12)
#define IR0		0x20	/* interrupter 0 in the runtime registers */
#define IR_IMAN		0x00
#define IR_IMOD		0x04
#define IR_ERSTSZ	0x08
#define IR_ERSTBA	0x10
#define IR_ERDP		0x18
#define IMAN_IP		(1U << 0)
#define IMAN_IE		(1U << 1)
#define ERDP_EHB	(1ULL << 3)
#define TRB_CYCLE	(1U << 0)
#define TRB_LINK_TC	(1U << 1)
#define TRB_TYPE(t)	((uint32_t)(t) << 10)
#define TRB_LINK	6
#define TRB_CMD_NOOP	23
#define TRB_EV_CMD_DONE	33
#define CC_SUCCESS	1

/* The controller's DMA memory: one 16 KiB buffer. */
#define CMD_OFF		0x0000
#define CMD_TRBS	16	/* the last is the Link TRB */
#define EV_OFF		0x1000
#define EV_TRBS		64
#define ERST_OFF	0x2000
#define DCBAA_OFF	0x3000
#define XHC_MEM		0x4000

#define UD_IRQ		0x1a1a0001ULL	/* the interrupt fd's FILES_UPDATE watch */
#define UD_FU		0x1a1a0f00ULL

static char g_msix[32], g_intx[32], g_other[32];
static const char *g_tool = "uscheme";

/* ------------------------------------------------------------------ */
/* sysfs                                                               */

static int read_text(const char *path, char *buf, size_t len)
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

static int write_text(const char *path, const char *s)
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

static void dev_path(char *out, size_t n, const char *addr, const char *attr)
{
	snprintf(out, n, SYS_PCI "/devices/%s/%s", addr, attr);
}

static int dev_attr(const char *addr, const char *attr, char *buf, size_t len)
{
	char p[256];

	dev_path(p, sizeof(p), addr, attr);
	return read_text(p, buf, len);
}

/* A hex attribute (vendor, device, class, ...): the value, or -1. */
static long long dev_num(const char *addr, const char *attr)
{
	char b[64];

	if (dev_attr(addr, attr, b, sizeof(b)) <= 0)
		return -1;
	return strtoll(b, NULL, 0);
}

/* The bound driver's name into out (empty when none); 1 bound, 0 not. */
static int driver_of(const char *addr, char *out, size_t n)
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

static int is_bound_uscheme(const char *addr)
{
	char d[64];

	return driver_of(addr, d, sizeof(d)) && !strcmp(d, "uscheme");
}

/* driver_override, "" when unset (the kernel shows "(null)"). */
static void override_of(const char *addr, char *out, size_t n)
{
	if (dev_attr(addr, "driver_override", out, n) < 0 || !strcmp(out, "(null)"))
		out[0] = 0;
}

static int dev_exists(const char *addr)
{
	char p[256];

	dev_path(p, sizeof(p), addr, "config");
	return access(p, F_OK) == 0;
}

/* Config space as sysfs shows it (root: all of it); bytes read or -errno. */
static int sysfs_config(const char *addr, uint8_t *buf, size_t len)
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

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static int sysfs_cfg16(const char *addr, unsigned int off)
{
	uint8_t c[256];

	if (sysfs_config(addr, c, sizeof(c)) < (int)(off + 2))
		return -1;
	return le16(c + off);
}

/* A capability's offset in a standard config header, 0 when absent. */
static unsigned int find_cap(const uint8_t *cfg, uint8_t id)
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

struct msix {
	unsigned int cap;	/* 0: no MSI-X */
	unsigned int nvec;
	int table_bar, pba_bar;
	uint32_t table_off, pba_off;
};

static void msix_layout(const uint8_t *cfg, struct msix *m)
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
static uint64_t mappable(const struct msix *m, int bar, uint64_t size)
{
	uint64_t lim = size;

	if (m->cap && m->table_bar == bar && (m->table_off & ~(PAGE - 1)) < lim)
		lim = m->table_off & ~(PAGE - 1);
	if (m->cap && m->pba_bar == bar && (m->pba_off & ~(PAGE - 1)) < lim)
		lim = m->pba_off & ~(PAGE - 1);
	return lim;
}

/* BAR i per /sys/.../resource: size (0 when unused) and the resource flags. */
static int sysfs_bar(const char *addr, int i, uint64_t *size, uint64_t *flags)
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
static void discover(void)
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
 * Bind addr to uscheme through sysfs (the tool is tested on its own): the
 * state most tests start from. 0, or -1 having said why.
 */
static int bind_sysfs(const char *addr)
{
	char p[256], drv[64];
	int err, i;

	if (!addr[0]) {
		fprintf(stderr, "  no such function in this machine (see the usage comment)\n");
		return -1;
	}
	if (driver_of(addr, drv, sizeof(drv))) {
		if (!strcmp(drv, "uscheme"))
			return 0;
		fprintf(stderr, "  %s is bound to %s\n", addr, drv);
		return -1;
	}
	dev_path(p, sizeof(p), addr, "driver_override");
	err = write_text(p, "uscheme");
	if (!err)
		err = write_text(SYS_PCI "/drivers_probe", addr);
	for (i = 0; i < 100 && !is_bound_uscheme(addr); i++)
		usleep(10000);
	if (err || !is_bound_uscheme(addr)) {
		fprintf(stderr, "  binding %s to uscheme: %s\n", addr,
			err ? strerror(-err) : "not bound after the probe");
		return -1;
	}
	return 0;
}

#define NEED(addr) CHECK_EQ(bind_sysfs(addr), 0)

/* ------------------------------------------------------------------ */
/* the uscheme tool                                                    */

/* Run the tool with up to two arguments; its exit status, output in out. */
static int tool(char *out, size_t len, const char *a1, const char *a2)
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
static int fn_open(const char *addr)
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

static int xioctl(int fd, unsigned long req, void *arg)
{
	return ioctl(fd, req, arg) < 0 ? -errno : 0;
}

static int fn_info(int fn, struct uscheme_pci_info *info)
{
	memset(info, 0xa5, sizeof(*info));
	return xioctl(fn, USCHEME_PIOC_INFO, info);
}

static int fn_master(int fn, unsigned long on)
{
	return ioctl(fn, USCHEME_PIOC_MASTER, on) < 0 ? -errno : 0;
}

/* BAR_OPEN / IRQ_OPEN: the new fd or -errno. */
static int fn_fd(int fn, unsigned long req, uint32_t index, uint32_t flags)
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

static int bar_open(int fn, uint32_t index)
{
	return fn_fd(fn, USCHEME_PIOC_BAR_OPEN, index, O_CLOEXEC);
}

static int irq_open(int fn, uint32_t index)
{
	return fn_fd(fn, USCHEME_PIOC_IRQ_OPEN, index, O_CLOEXEC);
}

/* DMA_ALLOC: the buffer's fd or -errno; *d filled. */
static int dma_alloc(int fn, uint64_t size, struct uscheme_dma *d)
{
	int err;

	memset(d, 0, sizeof(*d));
	d->size = size;
	d->flags = O_CLOEXEC;
	d->fd = -1;
	err = xioctl(fn, USCHEME_PIOC_DMA_ALLOC, d);
	return err ? err : d->fd;
}

static int irq_setup(int fn, uint32_t mode, uint32_t nvec, struct uscheme_irq_setup *s)
{
	memset(s, 0, sizeof(*s));
	s->mode = mode;
	s->nvec = nvec;
	return xioctl(fn, USCHEME_PIOC_IRQ_SETUP, s);
}

/* mmap that returns NULL and keeps errno. */
static void *map(int fd, size_t len, off_t off, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, fd, off);

	return p == MAP_FAILED ? NULL : p;
}

/* mmap must fail with errno want (or want2, when not 0). */
static int map_refused(int fd, size_t len, off_t off, int flags, int want, int want2)
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
static ssize_t xpread(int fd, void *b, size_t n, off_t off)
{
	ssize_t r = pread(fd, b, n, off);

	return r < 0 ? -errno : r;
}

static ssize_t xpwrite(int fd, const void *b, size_t n, off_t off)
{
	ssize_t r = pwrite(fd, b, n, off);

	return r < 0 ? -errno : r;
}

static int drop_privileges(void)
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

/* ------------------------------------------------------------------ */
/* a minimal xHCI driver: reset, command ring, event ring, No Op        */

struct trb {
	uint64_t param;
	uint32_t status;
	uint32_t control;
};

struct xhc {
	const char *addr;
	int fn, bar, dma, irq;
	struct uscheme_pci_info info;
	struct msix msix;
	volatile uint8_t *mmio;
	size_t mmio_len;
	volatile uint8_t *op, *rt, *db;
	uint8_t *mem;		/* XHC_MEM bytes of DMA memory */
	uint64_t bus;
	unsigned int cmd_idx, cmd_cycle, ev_idx, ev_cycle;
	struct us_ring ring;
	bool ring_up;
	struct uscheme_fu_entry fu;
};

static uint32_t rd32(volatile uint8_t *base, unsigned int off)
{
	return *(volatile uint32_t *)(base + off);
}

static void wr32(volatile uint8_t *base, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(base + off) = v;
}

/* 64-bit registers as two 32-bit writes, low first (QEMU acts on the high). */
static void wr64(volatile uint8_t *base, unsigned int off, uint64_t v)
{
	wr32(base, off, (uint32_t)v);
	wr32(base, off + 4, (uint32_t)(v >> 32));
}

static void xhc_init(struct xhc *x, const char *addr)
{
	memset(x, 0, sizeof(*x));
	x->addr = addr;
	x->fn = x->bar = x->dma = x->irq = -1;
}

static void xhc_close(struct xhc *x)
{
	if (x->ring_up)
		us_ring_exit(&x->ring);
	if (x->mem)
		munmap(x->mem, XHC_MEM);
	if (x->mmio)
		munmap((void *)x->mmio, x->mmio_len);
	if (x->irq >= 0)
		close(x->irq);
	if (x->dma >= 0)
		close(x->dma);
	if (x->bar >= 0)
		close(x->bar);
	if (x->fn >= 0)
		close(x->fn);
	xhc_init(x, x->addr);
}

/* Open the function (fn < 0) or use fn, and map BAR0's registers. */
static int xhc_map(struct xhc *x, int fn)
{
	uint8_t cfg[256];
	uint32_t dboff, rtsoff;

	x->fn = fn >= 0 ? fn : fn_open(x->addr);
	CHECK(x->fn >= 0);
	CHECK_EQ(fn_info(x->fn, &x->info), 0);
	CHECK_EQ(xpread(x->fn, cfg, sizeof(cfg), 0), (ssize_t)sizeof(cfg));
	msix_layout(cfg, &x->msix);
	CHECK(x->info.bars[0].flags & USCHEME_BAR_MEM);
	x->bar = bar_open(x->fn, 0);
	CHECK(x->bar >= 0);
	x->mmio_len = (size_t)mappable(&x->msix, 0, x->info.bars[0].size);
	CHECK(x->mmio_len >= 0x3000);
	x->mmio = map(x->bar, x->mmio_len, 0, MAP_SHARED);
	CHECK(x->mmio != NULL);
	dboff = rd32(x->mmio, CAP_DBOFF) & ~3U;
	rtsoff = rd32(x->mmio, CAP_RTSOFF) & ~0x1fU;
	CHECK(dboff + 4 <= x->mmio_len && rtsoff + IR0 + 0x20 <= x->mmio_len);
	x->op = x->mmio + (rd32(x->mmio, 0) & 0xff);
	x->rt = x->mmio + rtsoff;
	x->db = x->mmio + dboff;
	return 0;
}

static int wait_reg(volatile uint8_t *base, unsigned int off, uint32_t mask, uint32_t want)
{
	long long end = tap_now_ns() + 1000LL * 1000000;

	while ((rd32(base, off) & mask) != want) {
		if (tap_now_ns() > end) {
			fprintf(stderr, "  register %#x: %#x, waited for (& %#x) == %#x\n", off,
				rd32(base, off), mask, want);
			return -1;
		}
		usleep(1000);
	}
	return 0;
}

/* Halt and reset the controller. */
static int xhc_reset(struct xhc *x)
{
	wr32(x->op, OP_USBCMD, 0);
	CHECK_EQ(wait_reg(x->op, OP_USBSTS, USBSTS_HCH, USBSTS_HCH), 0);
	wr32(x->op, OP_USBCMD, USBCMD_HCRST);
	CHECK_EQ(wait_reg(x->op, OP_USBCMD, USBCMD_HCRST, 0), 0);
	CHECK_EQ(wait_reg(x->op, OP_USBSTS, USBSTS_CNR, 0), 0);
	return 0;
}

/*
 * DMA memory for the rings, bus mastering on, command ring and interrupter
 * 0 programmed (the event ring segment table is read by the controller when
 * ERSTBA's high half is written: bus mastering must be on by then).
 */
static int xhc_rings(struct xhc *x)
{
	struct uscheme_dma d;
	struct trb *link;
	uint8_t *erst;

	x->dma = dma_alloc(x->fn, XHC_MEM, &d);
	CHECK(x->dma >= 0);
	CHECK_EQ(d.size, XHC_MEM);
	CHECK(d.bus_addr && !(d.bus_addr & (PAGE - 1)));
	x->bus = d.bus_addr;
	x->mem = map(x->dma, XHC_MEM, 0, MAP_SHARED);
	CHECK(x->mem != NULL);
	CHECK_EQ(fn_master(x->fn, 1), 0);

	/* command ring: CMD_TRBS - 1 commands, then a Link back, toggle cycle */
	link = (struct trb *)(x->mem + CMD_OFF) + (CMD_TRBS - 1);
	link->param = x->bus + CMD_OFF;
	link->status = 0;
	link->control = TRB_TYPE(TRB_LINK) | TRB_LINK_TC;	/* cycle 0: not yet valid */
	x->cmd_idx = 0;
	x->cmd_cycle = 1;
	/* one event ring segment of EV_TRBS */
	erst = x->mem + ERST_OFF;
	memset(erst, 0, 16);
	*(uint64_t *)erst = x->bus + EV_OFF;
	*(uint32_t *)(erst + 8) = EV_TRBS;
	x->ev_idx = 0;
	x->ev_cycle = 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	wr32(x->op, OP_CONFIG, 1);			/* MaxSlotsEn */
	wr64(x->op, OP_DCBAAP, x->bus + DCBAA_OFF);	/* zeroed: no slots used */
	wr64(x->op, OP_CRCR, (x->bus + CMD_OFF) | 1);	/* RCS = 1 */
	wr32(x->rt, IR0 + IR_ERSTSZ, 1);
	wr32(x->rt, IR0 + IR_ERDP + 4, (uint32_t)((x->bus + EV_OFF) >> 32));
	wr32(x->rt, IR0 + IR_ERDP, (uint32_t)(x->bus + EV_OFF));
	wr64(x->rt, IR0 + IR_ERSTBA, x->bus + ERST_OFF);	/* last */
	wr32(x->rt, IR0 + IR_IMOD, 0);
	wr32(x->rt, IR0 + IR_IMAN, IMAN_IE | IMAN_IP);
	return 0;
}

/* A client ring watching the interrupt fd for USCHEME_EV_READ. */
static int xhc_watch(struct xhc *x)
{
	struct uscheme_sqe *sqe;
	struct uscheme_cqe *cqe;

	CHECK_EQ(us_ring_init(&x->ring, 8, 0, 0), 0);
	x->ring_up = true;
	sqe = us_get_sqe(&x->ring);
	CHECK(sqe != NULL);
	us_fu_entry(&x->fu, x->irq, USCHEME_EV_READ, USCHEME_FU_ADD, UD_IRQ);
	x->fu.res = 0x5a5a;
	us_prep_files_update(sqe, &x->fu, 1, UD_FU);
	CHECK_EQ(us_submit_and_wait(&x->ring, 1), 1);
	cqe = us_peek_cqe(&x->ring);
	CHECK(cqe != NULL);
	CHECK_EQ(cqe->user_data, UD_FU);
	CHECK_EQ(cqe->res, 1);
	CHECK_EQ(x->fu.res, 0);
	us_cqe_seen(&x->ring);
	return 0;
}

/* Interrupts: set up mode, open vector 0 (non-blocking), watch it. */
static int xhc_irq(struct xhc *x, uint32_t mode)
{
	struct uscheme_irq_setup s;

	CHECK_EQ(irq_setup(x->fn, mode, 1, &s), 0);
	CHECK_EQ(s.mode, mode);
	CHECK_EQ(s.nvec, 1);
	x->irq = irq_open(x->fn, 0);
	CHECK(x->irq >= 0);
	CHECK_EQ(fcntl(x->irq, F_SETFL, O_NONBLOCK), 0);
	return xhc_watch(x);
}

static int xhc_run(struct xhc *x)
{
	wr32(x->op, OP_USBCMD, USBCMD_RS | USBCMD_INTE);
	CHECK_EQ(wait_reg(x->op, OP_USBSTS, USBSTS_HCH, 0), 0);
	return 0;
}

/* Everything up to a running controller with interrupts watched. */
static int xhc_start(struct xhc *x, int fn, uint32_t mode)
{
	CHECK_EQ(xhc_map(x, fn), 0);
	CHECK_EQ(xhc_reset(x), 0);
	CHECK_EQ(xhc_rings(x), 0);
	CHECK_EQ(xhc_irq(x, mode), 0);
	CHECK_EQ(xhc_run(x), 0);
	return 0;
}

/* Queue a No Op command and ring doorbell 0; the TRB's bus address. */
static uint64_t xhc_noop(struct xhc *x)
{
	struct trb *ring = (struct trb *)(x->mem + CMD_OFF);
	struct trb *t = &ring[x->cmd_idx];
	uint64_t at = x->bus + CMD_OFF + 16ULL * x->cmd_idx;

	t->param = 0;
	t->status = 0;
	__atomic_store_n(&t->control, TRB_TYPE(TRB_CMD_NOOP) | x->cmd_cycle, __ATOMIC_RELEASE);
	if (++x->cmd_idx == CMD_TRBS - 1) {
		/* hand the Link TRB over with this lap's cycle, then toggle */
		__atomic_store_n(&ring[CMD_TRBS - 1].control,
				 TRB_TYPE(TRB_LINK) | TRB_LINK_TC | x->cmd_cycle, __ATOMIC_RELEASE);
		x->cmd_idx = 0;
		x->cmd_cycle ^= 1;
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr32(x->db, 0, 0);
	return at;
}

/* The next event TRB (its cycle bit ours), waiting up to ms; 0 or -ETIME. */
static int xhc_event(struct xhc *x, struct trb *out, int ms)
{
	struct trb *ev = (struct trb *)(x->mem + EV_OFF) + x->ev_idx;
	long long end = tap_now_ns() + ms * 1000000LL;

	while ((__atomic_load_n(&ev->control, __ATOMIC_ACQUIRE) & TRB_CYCLE) != x->ev_cycle) {
		if (tap_now_ns() > end)
			return -ETIME;
		usleep(1000);
	}
	out->param = ev->param;
	out->status = ev->status;
	out->control = ev->control;
	if (++x->ev_idx == EV_TRBS) {
		x->ev_idx = 0;
		x->ev_cycle ^= 1;
	}
	return 0;
}

/* The device side of handling an interrupt: IMAN.IP cleared, ERDP advanced, EHB cleared. */
static void xhc_quiet(struct xhc *x)
{
	uint64_t erdp = x->bus + EV_OFF + 16ULL * x->ev_idx;

	wr32(x->rt, IR0 + IR_IMAN, IMAN_IE | IMAN_IP);
	wr32(x->rt, IR0 + IR_ERDP + 4, (uint32_t)(erdp >> 32));
	wr32(x->rt, IR0 + IR_ERDP, (uint32_t)erdp | (uint32_t)ERDP_EHB);
}

/* A Command Completion Event for the command at bus address cmd, successful. */
static int check_noop_event(const struct trb *ev, uint64_t cmd)
{
	CHECK_EQ((ev->control >> 10) & 0x3f, TRB_EV_CMD_DONE);
	CHECK_EQ(ev->status >> 24, CC_SUCCESS);
	CHECK_EQ(ev->param, cmd);
	return 0;
}

/* The watch's event CQE for the interrupt fd, within ms; 0, -ETIME, -1 (wrong CQE). */
static int wait_irq_cqe(struct xhc *x, int ms)
{
	long long end = tap_now_ns() + ms * 1000000LL;

	for (;;) {
		struct uscheme_cqe *cqe = us_peek_cqe(&x->ring);
		long long left;
		int err;

		if (cqe) {
			struct uscheme_cqe c = *cqe;

			us_cqe_seen(&x->ring);
			if (c.user_data != UD_IRQ || !(c.flags & USCHEME_CQE_F_EVENT) ||
			    !(c.res & USCHEME_EV_READ) || c.res < 0) {
				fprintf(stderr, "  unexpected CQE: user_data %#" PRIx64
					" res %d flags %#x\n", (uint64_t)c.user_data, c.res, c.flags);
				return -1;
			}
			return 0;
		}
		left = end - tap_now_ns();
		if (left <= 0)
			return -ETIME;
		err = us_enter(&x->ring, 0, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
			       left, NULL);
		if (err && err != -ETIME && err != -EINTR) {
			fprintf(stderr, "  enter: %s\n", strerror(-err));
			return -1;
		}
	}
}

/* read(2) of an interrupt fd: the count, or -errno. */
static long long irq_read(int fd)
{
	uint64_t n = 0;
	ssize_t r = read(fd, &n, sizeof(n));

	if (r < 0)
		return -errno;
	if (r != sizeof(n))
		return -EIO;
	return (long long)n;
}

static ssize_t irq_ack(int fd, uint64_t n)
{
	ssize_t r = write(fd, &n, sizeof(n));

	return r < 0 ? -errno : r;
}

static void dump_state(struct xhc *x)
{
	fprintf(stderr, "  USBCMD %#x USBSTS %#x IMAN %#x ERDP %#x CRCR %#x\n",
		rd32(x->op, OP_USBCMD), rd32(x->op, OP_USBSTS), rd32(x->rt, IR0 + IR_IMAN),
		rd32(x->rt, IR0 + IR_ERDP), rd32(x->op, OP_CRCR));
}

/*
 * One No Op through the whole path: queue, doorbell, the interrupt's event
 * CQE, read() >= 1, the Command Completion Event, quiet the device,
 * acknowledge, nothing pending after.
 */
static int xhc_noop_round(struct xhc *x)
{
	struct trb ev;
	uint64_t cmd = xhc_noop(x);
	long long n;

	if (wait_irq_cqe(x, SLOW_MS)) {
		fprintf(stderr, "  no interrupt event within %d ms\n", SLOW_MS);
		dump_state(x);
		if (!xhc_event(x, &ev, 0))
			fprintf(stderr, "  (the event ring does hold an event: type %u)\n",
				(ev.control >> 10) & 0x3f);
		return -1;
	}
	n = irq_read(x->irq);
	CHECK(n >= 1);
	CHECK_EQ(xhc_event(x, &ev, 1000), 0);
	CHECK_EQ(check_noop_event(&ev, cmd), 0);
	CHECK_EQ(rd32(x->op, OP_USBSTS) & (USBSTS_HSE | USBSTS_HCE), 0);
	xhc_quiet(x);
	CHECK_EQ(irq_ack(x->irq, (uint64_t)n), 8);
	CHECK_EQ(irq_read(x->irq), -EAGAIN);
	return 0;
}

/* ------------------------------------------------------------------ */
/* bind / unbind with the tool                                         */

/* "0000:00:04.0" -> "00:04.0" (domain 0 only). */
static const char *short_addr(const char *a)
{
	return strncmp(a, "0000:", 5) ? a : a + 5;
}

static int test_tool_bind_unbind(void)
{
	char out[4096], ov[64], drv[64], *list = NULL;
	int fd;

	CHECK(g_msix[0]);
	/* from whatever state: unbind; sysfs shows no driver and no override */
	CHECK_EQ(tool(out, sizeof(out), "unbind", g_msix), 0);
	CHECK_EQ(driver_of(g_msix, drv, sizeof(drv)), 0);
	override_of(g_msix, ov, sizeof(ov));
	CHECK_EQ(strcmp(ov, ""), 0);
	/* unbinding what is not bound: nothing to do, success */
	CHECK_EQ(tool(out, sizeof(out), "unbind", g_msix), 0);
	CHECK_EQ(driver_of(g_msix, drv, sizeof(drv)), 0);

	CHECK_EQ(tool(out, sizeof(out), "bind", g_msix), 0);
	CHECK(is_bound_uscheme(g_msix));
	override_of(g_msix, ov, sizeof(ov));
	CHECK_EQ(strcmp(ov, "uscheme"), 0);
	/* pcidev: lists it */
	fd = us_open("pcidev:", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(us_read_all(fd, &list, NULL), 0);
	close(fd);
	CHECK(strstr(list, g_msix) != NULL);
	free(list);
	/* binding again: already bound is success */
	CHECK_EQ(tool(out, sizeof(out), "bind", g_msix), 0);
	CHECK(strstr(out, "already") != NULL);
	CHECK(is_bound_uscheme(g_msix));

	/* the short form, both ways */
	CHECK_EQ(tool(out, sizeof(out), "unbind", short_addr(g_msix)), 0);
	CHECK_EQ(driver_of(g_msix, drv, sizeof(drv)), 0);
	override_of(g_msix, ov, sizeof(ov));
	CHECK_EQ(strcmp(ov, ""), 0);
	fd = us_open("pcidev:", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(us_read_all(fd, &list, NULL), 0);
	close(fd);
	CHECK(strstr(list, g_msix) == NULL);
	free(list);
	CHECK_EQ(tool(out, sizeof(out), "bind", short_addr(g_msix)), 0);
	CHECK(is_bound_uscheme(g_msix));
	return 0;
}

static int test_tool_bind_errors(void)
{
	char out[4096], drv[64], drv2[64], ov[64], want[128], none[32];
	int slot;

	/* an address with no device behind it */
	none[0] = 0;
	for (slot = 0x1e; slot > 0x10 && !none[0]; slot--) {
		snprintf(none, sizeof(none), "0000:00:%02x.7", slot);
		if (dev_exists(none))
			none[0] = 0;
	}
	CHECK(none[0]);
	CHECK_EQ(tool(out, sizeof(out), "bind", none), 1);
	CHECK(strstr(out, "no such") != NULL);
	CHECK_EQ(tool(out, sizeof(out), "unbind", none), 1);
	CHECK(strstr(out, "no such") != NULL);
	/* not an address: usage errors */
	CHECK_EQ(tool(out, sizeof(out), "bind", "04.0"), 2);
	CHECK_EQ(tool(out, sizeof(out), "bind", "0000:00:04.0/../x"), 2);
	CHECK_EQ(tool(out, sizeof(out), "bind", "zz:04.0"), 2);
	CHECK_EQ(tool(out, sizeof(out), "bind", NULL), 2);
	CHECK_EQ(tool(out, sizeof(out), "unbind", NULL), 2);

	/* another driver's function is not taken */
	if (!g_other[0]) {
		fprintf(stderr, "  no function bound to another driver in this machine"
			" (QEMU: -device pci-serial)\n");
		return -1;
	}
	CHECK_EQ(driver_of(g_other, drv, sizeof(drv)), 1);
	CHECK_EQ(tool(out, sizeof(out), "bind", g_other), 1);
	snprintf(want, sizeof(want), "in use by driver %s", drv);
	CHECK(strstr(out, want) != NULL);
	CHECK(strstr(out, "unbind") != NULL);
	CHECK_EQ(driver_of(g_other, drv2, sizeof(drv2)), 1);
	CHECK_EQ(strcmp(drv, drv2), 0);
	override_of(g_other, ov, sizeof(ov));
	CHECK_EQ(strcmp(ov, ""), 0);
	/* nor released by unbind */
	CHECK_EQ(tool(out, sizeof(out), "unbind", g_other), 1);
	CHECK_EQ(driver_of(g_other, drv2, sizeof(drv2)), 1);
	CHECK_EQ(strcmp(drv, drv2), 0);
	return 0;
}

/* ------------------------------------------------------------------ */
/* the scheme and the function handle                                  */

static int test_pcidev_open_errors(void)
{
	char path[64];
	int fd, fd2;

	NEED(g_msix);
	snprintf(path, sizeof(path), "pcidev:%s", g_msix);
	CHECK_EQ(us_open(path, O_RDONLY), -EACCES);
	CHECK_EQ(us_open(path, O_WRONLY), -EACCES);
	CHECK_EQ(us_open("pcidev:0000:00:1f.6", O_RDWR), -ENOENT);
	CHECK_EQ(us_open("pcidev:nonsense", O_RDWR), -ENOENT);
	if (g_other[0]) {
		snprintf(path, sizeof(path), "pcidev:%s", g_other);
		CHECK_EQ(us_open(path, O_RDWR), -ENOENT);	/* not bound to uscheme */
		snprintf(path, sizeof(path), "pcidev:%s", g_msix);
	}
	fd = fn_open(g_msix);
	CHECK(fd >= 0);
	/* one session at a time, also for the same process */
	CHECK_EQ(us_open(path, O_RDWR), -EBUSY);
	fd2 = fcntl(fd, F_DUPFD_CLOEXEC, 0);	/* the same session: fine */
	CHECK(fd2 >= 0);
	close(fd);
	CHECK_EQ(us_open(path, O_RDWR), -EBUSY);	/* fd2 keeps it */
	close(fd2);
	fd = fn_open(g_msix);
	CHECK(fd >= 0);
	close(fd);
	return 0;
}

/* The "pcidev:" line for addr into out; 0, or -1 when none (said, if loud). */
static int pcidev_line(const char *addr, char *out, size_t n, bool loud)
{
	char *list = NULL, *line;
	int fd = us_open("pcidev:", O_RDONLY | O_CLOEXEC), ret = -1;

	if (fd < 0) {
		fprintf(stderr, "  open pcidev: %s\n", strerror(-fd));
		return -1;
	}
	if (us_read_all(fd, &list, NULL)) {
		close(fd);
		return -1;
	}
	close(fd);
	for (line = list; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		size_t len = strcspn(line, "\n");

		if (!strncmp(line, addr, strlen(addr)) && line[strlen(addr)] == ' ') {
			snprintf(out, n, "%.*s", (int)len, line);
			ret = 0;
		}
	}
	if (ret && loud)
		fprintf(stderr, "  pcidev: has no line for %s:\n%s", addr, list);
	free(list);
	return ret;
}

static int ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && !strcmp(s + a - b, tail);
}

static int test_pcidev_directory(void)
{
	char line[256], ids[32], cls[32];
	int fd;

	NEED(g_msix);
	NEED(g_intx);
	CHECK_EQ(pcidev_line(g_msix, line, sizeof(line), true), 0);
	fprintf(stderr, "  pcidev: %s\n", line);
	snprintf(ids, sizeof(ids), " %04llx:%04llx ", dev_num(g_msix, "vendor"),
		 dev_num(g_msix, "device"));
	snprintf(cls, sizeof(cls), "%06llx", dev_num(g_msix, "class"));
	CHECK(strcasestr(line, ids) != NULL);
	CHECK(strcasestr(line, cls) != NULL);
	CHECK(ends_with(line, " free"));
	CHECK_EQ(pcidev_line(g_intx, line, sizeof(line), true), 0);
	CHECK(ends_with(line, " free"));
	fd = fn_open(g_msix);
	CHECK(fd >= 0);
	CHECK_EQ(pcidev_line(g_msix, line, sizeof(line), true), 0);
	CHECK(ends_with(line, " busy"));
	CHECK_EQ(pcidev_line(g_intx, line, sizeof(line), true), 0);
	CHECK(ends_with(line, " free"));
	close(fd);
	if (g_other[0])
		CHECK(pcidev_line(g_other, line, sizeof(line), false) != 0);
	return 0;
}

static int check_info(const char *addr)
{
	struct uscheme_pci_info in;
	uint8_t cfg[4096];
	struct msix m;
	struct stat st;
	char p[256];
	int fd, i, modes = 0;

	NEED(addr);
	fd = fn_open(addr);
	CHECK(fd >= 0);
	CHECK_EQ(fn_info(fd, &in), 0);
	CHECK_EQ(in.vendor, dev_num(addr, "vendor"));
	CHECK_EQ(in.device, dev_num(addr, "device"));
	CHECK_EQ(in.subvendor, dev_num(addr, "subsystem_vendor"));
	CHECK_EQ(in.subdevice, dev_num(addr, "subsystem_device"));
	CHECK_EQ(in.class_code, dev_num(addr, "class"));
	CHECK_EQ(in.revision, dev_num(addr, "revision"));
	dev_path(p, sizeof(p), addr, "config");
	CHECK_EQ(stat(p, &st), 0);
	CHECK_EQ(in.cfg_size, st.st_size);
	CHECK_EQ(sysfs_config(addr, cfg, sizeof(cfg)), (int)in.cfg_size);
	CHECK_EQ(in.irq_pin, cfg[CFG_IRQ_PIN]);
	CHECK_EQ(in.resv0, 0);
	CHECK_EQ(in.resv[0], 0);
	CHECK_EQ(in.resv[1], 0);
	msix_layout(cfg, &m);
	CHECK_EQ(in.msix_vectors, m.nvec);
	if (m.cap)
		modes |= USCHEME_IRQ_MSIX;
	if (find_cap(cfg, CAP_ID_MSI)) {
		modes |= USCHEME_IRQ_MSI;
		CHECK(in.msi_vectors >= 1);
	} else {
		CHECK_EQ(in.msi_vectors, 0);
	}
	if (cfg[CFG_IRQ_PIN])
		modes |= USCHEME_IRQ_INTX;
	CHECK_EQ(in.irq_modes, modes);
	for (i = 0; i < USCHEME_PCI_BARS; i++) {
		uint64_t size = 0, fl = 0;
		uint32_t want = 0;

		CHECK_EQ(sysfs_bar(addr, i, &size, &fl), 0);
		if (fl & 0x200)		/* IORESOURCE_MEM */
			want |= USCHEME_BAR_MEM;
		if (fl & 0x00100000)	/* IORESOURCE_MEM_64 */
			want |= USCHEME_BAR_64;
		if (fl & 0x2000)	/* IORESOURCE_PREFETCH */
			want |= USCHEME_BAR_PREFETCH;
		if (m.cap && (m.table_bar == i || m.pba_bar == i))
			want |= USCHEME_BAR_MSIX;
		if (!size)
			want = 0;
		if (in.bars[i].size != size || in.bars[i].flags != want || in.bars[i].resv) {
			fprintf(stderr, "  BAR %d: size %#" PRIx64 " flags %#x resv %u;"
				" sysfs: size %#" PRIx64 " flags %#" PRIx64 " (want %#x)\n", i,
				(uint64_t)in.bars[i].size, in.bars[i].flags, in.bars[i].resv,
				size, fl, want);
			return -1;
		}
	}
	fprintf(stderr, "  %s: %04x:%04x class %06x, BAR0 %#" PRIx64 " flags %#x, irq modes %#x,"
		" MSI-X %u, MSI %u, pin %u, config %u\n", addr, in.vendor, in.device, in.class_code,
		(uint64_t)in.bars[0].size, in.bars[0].flags, in.irq_modes, in.msix_vectors,
		in.msi_vectors, in.irq_pin, in.cfg_size);
	/* fstat on the handle: size = config space size */
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, in.cfg_size);
	close(fd);
	return 0;
}

static int test_info_matches_sysfs(void)
{
	CHECK_EQ(check_info(g_msix), 0);
	CHECK_EQ(check_info(g_intx), 0);
	return 0;
}

static int test_config_read_matches_sysfs(void)
{
	struct uscheme_pci_info in;
	uint8_t a[4096], b[4096];
	unsigned int i, bad = 0;
	int fd;

	NEED(g_msix);
	fd = fn_open(g_msix);
	CHECK(fd >= 0);
	CHECK_EQ(fn_info(fd, &in), 0);
	CHECK_EQ(xpread(fd, a, in.cfg_size, 0), (ssize_t)in.cfg_size);
	CHECK_EQ(sysfs_config(g_msix, b, sizeof(b)), (int)in.cfg_size);
	for (i = 0; i < in.cfg_size; i++) {
		if (a[i] != b[i] && bad++ < 8)
			fprintf(stderr, "  config byte %#x: handle %#04x, sysfs %#04x\n", i,
				a[i], b[i]);
	}
	CHECK_EQ(bad, 0);
	/* odd offsets and lengths: the same bytes */
	CHECK_EQ(xpread(fd, a, 3, 0x3b), 3);
	CHECK_EQ(memcmp(a, b + 0x3b, 3), 0);
	CHECK_EQ(xpread(fd, a, 1, 0x3d), 1);
	CHECK_EQ(a[0], b[0x3d]);
	close(fd);
	return 0;
}

/* A refused write: -EPERM, and config space (per sysfs) unchanged. */
static int refused(int fd, const char *addr, unsigned int off, const void *data, size_t len)
{
	uint8_t before[256], after[256];
	ssize_t r;

	CHECK_EQ(sysfs_config(addr, before, sizeof(before)), 256);
	r = xpwrite(fd, data, len, off);
	if (r != -EPERM) {
		fprintf(stderr, "  config write of %zu bytes at %#x: %zd, want -EPERM\n", len, off, r);
		return -1;
	}
	CHECK_EQ(sysfs_config(addr, after, sizeof(after)), 256);
	/* status bits may come and go on their own; nothing else may change */
	before[CFG_STATUS] = after[CFG_STATUS];
	before[CFG_STATUS + 1] = after[CFG_STATUS + 1];
	if (memcmp(before, after, 256)) {
		unsigned int i;

		for (i = 0; i < 256; i++)
			if (before[i] != after[i])
				fprintf(stderr, "  refused write at %#x changed byte %#x: %#04x -> %#04x\n",
					off, i, before[i], after[i]);
		return -1;
	}
	return 0;
}

static int test_config_write_refused(void)
{
	uint8_t cfg[4096], v[4];
	struct uscheme_pci_info in;
	unsigned int msix, pm;
	uint16_t cmd;
	int fd;

	NEED(g_msix);
	fd = fn_open(g_msix);
	CHECK(fd >= 0);
	CHECK_EQ(fn_info(fd, &in), 0);
	CHECK_EQ(xpread(fd, cfg, 256, 0), 256);
	/* BAR0 */
	memcpy(v, cfg + CFG_BAR0, 4);
	v[1] ^= 0x10;
	CHECK_EQ(refused(fd, g_msix, CFG_BAR0, v, 4), 0);
	CHECK_EQ(refused(fd, g_msix, CFG_BAR0, cfg + CFG_BAR0, 4), 0);	/* even unchanged */
	/* IDs, interrupt line, the ROM BAR */
	CHECK_EQ(refused(fd, g_msix, CFG_VENDOR, "\x34\x12", 2), 0);
	CHECK_EQ(refused(fd, g_msix, 0x3c, "\x0b", 1), 0);
	CHECK_EQ(refused(fd, g_msix, 0x30, "\x00\x00\x00\x00", 4), 0);
	/* command: INTX_DISABLE, and other bits outside the allowed five */
	cmd = le16(cfg + CFG_COMMAND);
	v[0] = (uint8_t)cmd;
	v[1] = (uint8_t)((cmd ^ CMD_INTX_DISABLE) >> 8);	/* set or clear it */
	CHECK_EQ(refused(fd, g_msix, CFG_COMMAND, v, 2), 0);
	CHECK_EQ(refused(fd, g_msix, CFG_COMMAND + 1, v + 1, 1), 0);
	v[1] = (uint8_t)(cmd >> 8);
	v[0] = (uint8_t)(cmd ^ 0x10);	/* memory write and invalidate */
	CHECK_EQ(refused(fd, g_msix, CFG_COMMAND, v, 2), 0);
	/* a write touching allowed and refused bytes: nothing written */
	v[0] = 0x20;			/* cache line size: allowed */
	v[1] = cfg[CFG_LATENCY];
	v[2] = cfg[0x0e];		/* header type: refused */
	v[3] = cfg[0x0f];
	CHECK_EQ(refused(fd, g_msix, CFG_CACHE_LINE, v, 4), 0);
	/* MSI-X capability: the message control, the table offset */
	msix = find_cap(cfg, CAP_ID_MSIX);
	CHECK(msix != 0);
	v[0] = cfg[msix + 2];
	v[1] = (uint8_t)(cfg[msix + 3] | 0x80);	/* enable */
	CHECK_EQ(refused(fd, g_msix, msix + 2, v, 2), 0);
	CHECK_EQ(refused(fd, g_msix, msix + 3, v + 1, 1), 0);
	CHECK_EQ(refused(fd, g_msix, msix + 4, "\0\0\0\0", 4), 0);
	/* a write from allowed space running into the MSI-X capability */
	if (msix >= 0x44)
		CHECK_EQ(refused(fd, g_msix, msix - 2, "\0\0\0\0", 4), 0);
	/* power management, when the function has it */
	pm = find_cap(cfg, CAP_ID_PM);
	if (pm)
		CHECK_EQ(refused(fd, g_msix, pm + 4, "\x03\x00", 2), 0);
	/* past the end */
	CHECK_EQ(xpwrite(fd, "\0", 1, in.cfg_size), -EINVAL);
	CHECK_EQ(xpwrite(fd, "\0\0\0\0", 4, in.cfg_size - 2), -EINVAL);
	close(fd);
	return 0;
}

static int test_config_write_allowed(void)
{
	uint8_t cfg[256], v[2];
	uint16_t cmd;
	int fd, c;

	NEED(g_msix);
	fd = fn_open(g_msix);
	CHECK(fd >= 0);
	CHECK_EQ(xpread(fd, cfg, 256, 0), 256);
	cmd = le16(cfg + CFG_COMMAND);
	/* the session enabled the device: memory decoding on, mastering off */
	CHECK(cmd & CMD_MEMORY);
	CHECK_EQ(cmd & CMD_MASTER, 0);
	/* USCHEME_PIOC_MASTER */
	CHECK_EQ(fn_master(fd, 1), 0);
	c = sysfs_cfg16(g_msix, CFG_COMMAND);
	CHECK(c >= 0 && (c & CMD_MASTER));
	CHECK_EQ(fn_master(fd, 1), 0);		/* again: still on */
	CHECK_EQ(fn_master(fd, 0), 0);
	c = sysfs_cfg16(g_msix, CFG_COMMAND);
	CHECK(c >= 0 && !(c & CMD_MASTER));
	CHECK_EQ(fn_master(fd, 2), -EINVAL);
	CHECK_EQ(fn_master(fd, ~0UL), -EINVAL);
	/* MASTER by a config write of the command register */
	v[0] = (uint8_t)(cmd | CMD_MASTER);
	v[1] = (uint8_t)(cmd >> 8);
	CHECK_EQ(xpwrite(fd, v, 2, CFG_COMMAND), 2);
	c = sysfs_cfg16(g_msix, CFG_COMMAND);
	CHECK(c >= 0 && (c & CMD_MASTER));
	CHECK_EQ(xpwrite(fd, v, 1, CFG_COMMAND), 1);	/* the low byte alone */
	v[0] = (uint8_t)cmd;
	CHECK_EQ(xpwrite(fd, v, 2, CFG_COMMAND), 2);
	c = sysfs_cfg16(g_msix, CFG_COMMAND);
	CHECK(c >= 0 && !(c & CMD_MASTER));
	/* cache line size and latency timer */
	CHECK_EQ(xpwrite(fd, "\x20", 1, CFG_CACHE_LINE), 1);
	CHECK_EQ(sysfs_config(g_msix, cfg, sizeof(cfg)), 256);
	CHECK_EQ(cfg[CFG_CACHE_LINE], 0x20);
	CHECK_EQ(xpwrite(fd, "\x10", 1, CFG_CACHE_LINE), 1);
	CHECK_EQ(sysfs_config(g_msix, cfg, sizeof(cfg)), 256);
	CHECK_EQ(cfg[CFG_CACHE_LINE], 0x10);
	/* status: write 1 to clear (QEMU's status has no such bit set: no change) */
	v[0] = cfg[CFG_STATUS];
	v[1] = cfg[CFG_STATUS + 1];
	CHECK_EQ(xpwrite(fd, "\0\0", 2, CFG_STATUS), 2);
	CHECK_EQ(sysfs_config(g_msix, cfg, sizeof(cfg)), 256);
	CHECK_EQ(cfg[CFG_STATUS] & STATUS_CAP_LIST, v[0] & STATUS_CAP_LIST);
	close(fd);
	/* the session's end turned mastering off (it was off anyway) */
	c = sysfs_cfg16(g_msix, CFG_COMMAND);
	CHECK(c >= 0 && !(c & CMD_MASTER));
	return 0;
}

/* ------------------------------------------------------------------ */
/* BARs                                                                */

static int test_bar_mmap_registers(void)
{
	struct xhc x;
	uint32_t v, w;
	uint64_t q;
	struct stat st;

	NEED(g_msix);
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_map(&x, -1), 0);
	CHECK_EQ(fstat(x.bar, &st), 0);
	CHECK_EQ(st.st_size, x.info.bars[0].size);
	v = rd32(x.mmio, CAP_CAPLENGTH);
	fprintf(stderr, "  CAPLENGTH %#x HCIVERSION %#x HCSPARAMS1 %#x\n", v & 0xff, v >> 16,
		rd32(x.mmio, CAP_HCSPARAMS1));
	CHECK(v & 0xff);			/* operational registers follow */
	CHECK_EQ(v >> 16, 0x100);		/* qemu-xhci: xHCI 1.0 */
	CHECK_EQ(*(volatile uint8_t *)x.mmio, v & 0xff);
	/* pread: one register access, the same value */
	CHECK_EQ(xpread(x.bar, &w, 4, 0), 4);
	CHECK_EQ(w, v);
	CHECK_EQ(xpread(x.bar, &w, 4, CAP_HCSPARAMS1), 4);
	CHECK_EQ(w, rd32(x.mmio, CAP_HCSPARAMS1));
	CHECK_EQ(xpread(x.bar, &w, 1, 0), 1);
	CHECK_EQ(w & 0xff, v & 0xff);
	/* pwrite then mmap read, mmap write then pread: DCBAAP (controller halted) */
	CHECK_EQ(xhc_reset(&x), 0);
	w = 0x12345000;
	CHECK_EQ(xpwrite(x.bar, &w, 4, (off_t)(x.op - x.mmio) + OP_DCBAAP), 4);
	CHECK_EQ(rd32(x.op, OP_DCBAAP), 0x12345000);
	wr32(x.op, OP_DCBAAP, 0xabcd0000);
	wr32(x.op, OP_DCBAAP + 4, 0x1);
	CHECK_EQ(xpread(x.bar, &w, 4, (off_t)(x.op - x.mmio) + OP_DCBAAP), 4);
	CHECK_EQ(w, 0xabcd0000);
	CHECK_EQ(xpread(x.bar, &q, 8, (off_t)(x.op - x.mmio) + OP_DCBAAP), 8);	/* 8 bytes: memory BAR */
	CHECK_EQ(q, 0x1abcd0000ULL);
	wr64(x.op, OP_DCBAAP, 0);
	xhc_close(&x);
	return 0;
}

static int test_bar_refused(void)
{
	struct xhc x;
	uint64_t size, lim;
	uint32_t w;
	int e;

	NEED(g_msix);
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_map(&x, -1), 0);
	size = x.info.bars[0].size;
	CHECK(x.msix.cap && x.msix.table_bar == 0);
	lim = mappable(&x.msix, 0, size);
	fprintf(stderr, "  BAR0 %#" PRIx64 ", MSI-X table at %#x, PBA at %#x (BAR %d)\n", size,
		x.msix.table_off, x.msix.pba_off, x.msix.pba_bar);
	CHECK(lim < size);
	/* the MSI-X page, alone or in a larger range */
	CHECK_EQ(map_refused(x.bar, PAGE, (off_t)(x.msix.table_off & ~(PAGE - 1)), MAP_SHARED,
			     EACCES, 0), 0);
	CHECK_EQ(map_refused(x.bar, (size_t)size, 0, MAP_SHARED, EACCES, 0), 0);
	CHECK_EQ(map_refused(x.bar, (size_t)(size - lim + PAGE), (off_t)(lim - PAGE), MAP_SHARED,
			     EACCES, 0), 0);
	/* past the BAR */
	CHECK_EQ(map_refused(x.bar, PAGE, (off_t)size, MAP_SHARED, EINVAL, 0), 0);
	CHECK_EQ(map_refused(x.bar, PAGE, (off_t)(size + 16 * PAGE), MAP_SHARED, EINVAL, 0), 0);
	/* MAP_PRIVATE */
	CHECK_EQ(map_refused(x.bar, PAGE, 0, MAP_PRIVATE, EINVAL, EACCES), 0);
	/* register access to the table and the PBA */
	CHECK_EQ(xpread(x.bar, &w, 4, (off_t)x.msix.table_off), -EACCES);
	w = 0;
	CHECK_EQ(xpwrite(x.bar, &w, 4, (off_t)x.msix.table_off), -EACCES);
	if (x.msix.pba_bar == 0)
		CHECK_EQ(xpread(x.bar, &w, 4, (off_t)x.msix.pba_off), -EACCES);
	/* sizes and alignment */
	CHECK_EQ(xpread(x.bar, &w, 3, 0), -EINVAL);
	CHECK_EQ(xpread(x.bar, &w, 4, 2), -EINVAL);
	CHECK_EQ(xpread(x.bar, &w, 4, (off_t)size), -EINVAL);
	CHECK_EQ(xpread(x.bar, &w, 4, (off_t)size - 2), -EINVAL);
	{
		uint8_t b16[16] = { 0 };

		CHECK_EQ(xpwrite(x.bar, b16, 16, 0x40), -EINVAL);
	}
	/* BAR_OPEN */
	CHECK_EQ(bar_open(x.fn, 6), -EINVAL);
	CHECK_EQ(bar_open(x.fn, ~0U), -EINVAL);
	CHECK_EQ(fn_fd(x.fn, USCHEME_PIOC_BAR_OPEN, 0, O_NONBLOCK), -EINVAL);
	CHECK_EQ(x.info.bars[1].size, 0);	/* the upper half of 64-bit BAR0 */
	CHECK_EQ(bar_open(x.fn, 1), -ENOENT);
	{
		struct uscheme_pci_fd a;

		memset(&a, 0, sizeof(a));
		a.resv = 1;
		CHECK_EQ(xioctl(x.fn, USCHEME_PIOC_BAR_OPEN, &a), -EINVAL);
	}
	/* unknown ioctls on the handle and the BAR fd */
	e = ioctl(x.fn, _IO(USCHEME_IOC_MAGIC, 0x4f));
	CHECK(e < 0);
	xhc_close(&x);

	/* a function without MSI-X: the whole BAR maps, past it does not */
	NEED(g_intx);
	xhc_init(&x, g_intx);
	CHECK_EQ(xhc_map(&x, -1), 0);
	size = x.info.bars[0].size;
	CHECK_EQ(x.mmio_len, size);
	CHECK_EQ(map_refused(x.bar, (size_t)size + PAGE, 0, MAP_SHARED, EINVAL, 0), 0);
	CHECK_EQ(map_refused(x.bar, PAGE, (off_t)size, MAP_SHARED, EINVAL, 0), 0);
	CHECK_EQ(rd32(x.mmio, 0) >> 16, 0x100);
	xhc_close(&x);
	return 0;
}

/* An I/O BAR's registers, on the borrowed function (see test_io_bar). */
static int io_bar_checks(const char *addr, int bar)
{
	struct uscheme_pci_info in;
	uint8_t b = 0, scratch;
	uint64_t q;
	struct stat st;
	int fn, fd;

	fn = fn_open(addr);
	CHECK(fn >= 0);
	CHECK_EQ(fn_info(fn, &in), 0);
	CHECK_EQ(in.bars[bar].flags & USCHEME_BAR_MEM, 0);
	fd = bar_open(fn, (uint32_t)bar);
	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, in.bars[bar].size);
	CHECK_EQ(map_refused(fd, PAGE, 0, MAP_SHARED, ENODEV, 0), 0);
	/* a 16550's scratch register (offset 7) holds what was written */
	for (scratch = 0x5a; ; scratch = 0xa5) {
		CHECK_EQ(xpwrite(fd, &scratch, 1, 7), 1);
		CHECK_EQ(xpread(fd, &b, 1, 7), 1);
		CHECK_EQ(b, scratch);
		if (scratch == 0xa5)
			break;
	}
	CHECK_EQ(xpread(fd, &q, 8, 0), -EINVAL);	/* 8 bytes: memory BARs only */
	CHECK_EQ(xpread(fd, &q, 2, 1), -EINVAL);	/* misaligned */
	CHECK_EQ(xpread(fd, &b, 1, (off_t)in.bars[bar].size), -EINVAL);
	close(fd);
	close(fn);
	return 0;
}

/*
 * An I/O BAR: the function another driver has (QEMU's pci-serial, a 16550
 * on an 8-byte I/O BAR) is borrowed through sysfs (the tool would refuse),
 * checked, and given back to its driver.
 */
static int test_io_bar(void)
{
	char drv[64], p[256], again[64];
	int bar, ret, i;

	CHECK(g_other[0]);
	CHECK_EQ(driver_of(g_other, drv, sizeof(drv)), 1);
	for (bar = 0; bar < USCHEME_PCI_BARS; bar++) {
		uint64_t size = 0, fl = 0;

		if (!sysfs_bar(g_other, bar, &size, &fl) && size && (fl & 0x100))	/* IORESOURCE_IO */
			break;
	}
	if (bar == USCHEME_PCI_BARS) {
		fprintf(stderr, "  %s has no I/O BAR\n", g_other);
		return -1;
	}
	snprintf(p, sizeof(p), SYS_PCI "/drivers/%s/unbind", drv);
	CHECK_EQ(write_text(p, g_other), 0);
	ret = bind_sysfs(g_other) ? -1 : io_bar_checks(g_other, bar);
	/* give it back: unbind, clear the override, probe */
	if (is_bound_uscheme(g_other))
		write_text(SYS_PCI "/drivers/uscheme/unbind", g_other);
	dev_path(p, sizeof(p), g_other, "driver_override");
	write_text(p, "\n");
	write_text(SYS_PCI "/drivers_probe", g_other);
	for (i = 0; i < 100 && !driver_of(g_other, again, sizeof(again)); i++)
		usleep(10000);
	if (strcmp(again, drv)) {
		fprintf(stderr, "  %s went back to '%s', not %s\n", g_other, again, drv);
		return -1;
	}
	return ret;
}

/* ------------------------------------------------------------------ */
/* DMA                                                                 */

static int test_dma_alloc_mmap(void)
{
	struct uscheme_dma d, info;
	struct stat st;
	uint8_t *a, *b;
	size_t i;
	int fn, fd, fd2;

	NEED(g_msix);
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	fd = dma_alloc(fn, 1, &d);
	CHECK(fd >= 0);
	CHECK_EQ(d.size, PAGE);
	CHECK(d.bus_addr != 0);
	CHECK_EQ(d.bus_addr & (PAGE - 1), 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, PAGE);
	memset(&info, 0xa5, sizeof(info));
	CHECK_EQ(xioctl(fd, USCHEME_PIOC_DMA_INFO, &info), 0);
	CHECK_EQ(info.size, d.size);
	CHECK_EQ(info.bus_addr, d.bus_addr);
	a = map(fd, PAGE, 0, MAP_SHARED);
	CHECK(a != NULL);
	b = map(fd, PAGE, 0, MAP_SHARED);
	CHECK(b != NULL);
	for (i = 0; i < PAGE; i++)
		CHECK_EQ(a[i], 0);		/* zeroed */
	for (i = 0; i < PAGE; i++)
		a[i] = (uint8_t)(i * 7 + 3);
	for (i = 0; i < PAGE; i++)
		CHECK_EQ(b[i], (uint8_t)(i * 7 + 3));
	/* the mapping keeps the buffer after its fd is closed */
	close(fd);
	CHECK_EQ(a[100], (uint8_t)(100 * 7 + 3));
	a[5] = 0x55;
	CHECK_EQ(b[5], 0x55);
	munmap(a, PAGE);
	munmap(b, PAGE);

	/* bigger buffers round up to pages; offsets within them map */
	fd2 = dma_alloc(fn, 3 * PAGE + 1, &d);
	CHECK(fd2 >= 0);
	CHECK_EQ(d.size, 4 * PAGE);
	a = map(fd2, 2 * PAGE, (off_t)(2 * PAGE), MAP_SHARED);
	CHECK(a != NULL);
	b = map(fd2, 4 * PAGE, 0, MAP_SHARED);
	CHECK(b != NULL);
	a[PAGE + 9] = 0x99;
	CHECK_EQ(b[3 * PAGE + 9], 0x99);
	munmap(a, 2 * PAGE);
	munmap(b, 4 * PAGE);
	CHECK_EQ(map_refused(fd2, 5 * PAGE, 0, MAP_SHARED, EINVAL, 0), 0);
	CHECK_EQ(map_refused(fd2, PAGE, (off_t)(4 * PAGE), MAP_SHARED, EINVAL, 0), 0);
	CHECK_EQ(map_refused(fd2, 2 * PAGE, (off_t)(3 * PAGE), MAP_SHARED, EINVAL, 0), 0);
	CHECK_EQ(map_refused(fd2, PAGE, 0, MAP_PRIVATE, EINVAL, EACCES), 0);
	close(fd2);
	close(fn);
	return 0;
}

static int test_dma_limits(void)
{
	int fds[USCHEME_DMA_SESSION_MAX / USCHEME_DMA_MAX + 1];
	unsigned int n = USCHEME_DMA_SESSION_MAX / USCHEME_DMA_MAX, i;
	struct uscheme_dma d;
	int fn, fd;

	NEED(g_msix);
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	CHECK_EQ(dma_alloc(fn, 0, &d), -EINVAL);
	CHECK_EQ(dma_alloc(fn, USCHEME_DMA_MAX + 1ULL, &d), -E2BIG);
	CHECK_EQ(dma_alloc(fn, 1ULL << 40, &d), -E2BIG);
	memset(&d, 0, sizeof(d));
	d.size = PAGE;
	d.flags = O_NONBLOCK;
	CHECK_EQ(xioctl(fn, USCHEME_PIOC_DMA_ALLOC, &d), -EINVAL);
	memset(&d, 0, sizeof(d));
	d.size = PAGE;
	d.resv[1] = 1;
	CHECK_EQ(xioctl(fn, USCHEME_PIOC_DMA_ALLOC, &d), -EINVAL);
	/* the session's limit, in USCHEME_DMA_MAX buffers */
	for (i = 0; i < n; i++) {
		fds[i] = dma_alloc(fn, USCHEME_DMA_MAX, &d);
		if (fds[i] < 0) {
			fprintf(stderr, "  buffer %u of %u (%u MiB each): %s\n", i + 1, n,
				USCHEME_DMA_MAX >> 20, strerror(-fds[i]));
			return -1;
		}
		CHECK_EQ(d.size, USCHEME_DMA_MAX);
	}
	CHECK_EQ(dma_alloc(fn, 1, &d), -ENOSPC);
	/* closing one (bus mastering off) frees it at once: room again */
	close(fds[3]);
	fds[3] = dma_alloc(fn, USCHEME_DMA_MAX, &d);
	CHECK(fds[3] >= 0);
	CHECK_EQ(dma_alloc(fn, 1, &d), -ENOSPC);
	close(fds[5]);
	fd = dma_alloc(fn, 1, &d);
	CHECK(fd >= 0);
	close(fd);
	for (i = 0; i < n; i++)
		if (i != 5)
			close(fds[i]);
	close(fn);
	return 0;
}

static int test_dma_kept_while_master(void)
{
	int fds[USCHEME_DMA_SESSION_MAX / USCHEME_DMA_MAX];
	unsigned int n = USCHEME_DMA_SESSION_MAX / USCHEME_DMA_MAX, i;
	struct uscheme_dma d;
	int fn, fd;

	NEED(g_msix);
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	CHECK_EQ(fn_master(fn, 1), 0);
	for (i = 0; i < n; i++) {
		fds[i] = dma_alloc(fn, USCHEME_DMA_MAX, &d);
		CHECK(fds[i] >= 0);
	}
	/* released while the device may still write there: kept and counted */
	close(fds[0]);
	CHECK_EQ(dma_alloc(fn, 1, &d), -ENOSPC);
	for (i = 1; i < n; i++)
		close(fds[i]);
	CHECK_EQ(dma_alloc(fn, 1, &d), -ENOSPC);
	CHECK_EQ(fn_master(fn, 0), 0);
	close(fn);
	/* a new session starts from nothing */
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	fd = dma_alloc(fn, USCHEME_DMA_MAX, &d);
	CHECK(fd >= 0);
	close(fd);
	close(fn);
	return 0;
}

static int test_dma_double_close(void)
{
	struct uscheme_pci_info in;
	struct uscheme_dma d;
	uint8_t *p;
	int fn, fd, fd2;

	NEED(g_msix);
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	fd = dma_alloc(fn, PAGE, &d);
	CHECK(fd >= 0);
	CHECK_EQ(close(fd), 0);
	errno = 0;
	CHECK_EQ(close(fd), -1);
	CHECK_EQ(errno, EBADF);
	CHECK_EQ(xioctl(fd, USCHEME_PIOC_DMA_INFO, &d), -EBADF);
	/* nothing else broke: the session, a new buffer */
	CHECK_EQ(fn_info(fn, &in), 0);
	fd2 = dma_alloc(fn, 2 * PAGE, &d);
	CHECK(fd2 >= 0);
	p = map(fd2, 2 * PAGE, 0, MAP_SHARED);
	CHECK(p != NULL);
	p[PAGE] = 1;
	CHECK_EQ(p[PAGE], 1);
	munmap(p, 2 * PAGE);
	close(fd2);
	close(fn);
	return 0;
}

/*
 * The physical address behind a mapped, touched page, from
 * /proc/self/pagemap (needs CAP_SYS_ADMIN). -ENOENT when pagemap does not
 * say: it skips VM_PFNMAP mappings (dma_mmap_coherent's remap_pfn_range).
 */
static int phys_of(const void *va, uint64_t *pa)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	off_t off = (off_t)((uintptr_t)va / PAGE * 8);

	if (fd < 0)
		return -errno;
	if (pread(fd, &e, 8, off) != 8) {
		close(fd);
		return -EIO;
	}
	close(fd);
	if (!(e & (1ULL << 63)) || !(e & ((1ULL << 55) - 1)))
		return -ENOENT;		/* not present, or the PFN hidden */
	*pa = (e & ((1ULL << 55) - 1)) * PAGE;
	return 0;
}

/* Is [a, a + len) inside a "System RAM" range of /proc/iomem? 1, 0, -errno. */
static int in_system_ram(uint64_t a, uint64_t len)
{
	char line[256];
	FILE *f = fopen("/proc/iomem", "re");
	int found = 0, ranges = 0;

	if (!f)
		return -errno;
	while (fgets(line, sizeof(line), f)) {
		unsigned long long s, e;

		if (line[0] == ' ' || !strstr(line, ": System RAM"))
			continue;
		if (sscanf(line, "%llx-%llx", &s, &e) != 2)
			continue;
		ranges++;
		if (e && a >= s && a + len - 1 <= e)
			found = 1;
	}
	fclose(f);
	return ranges ? found : -ENOENT;	/* all zero: addresses hidden */
}

static int iommu_present(const char *addr)
{
	char p[256];

	dev_path(p, sizeof(p), addr, "iommu_group");
	return access(p, F_OK) == 0;
}

/*
 * Without an IOMMU the bus address is the physical address (dma-direct);
 * behind one it is an IOVA. The physical address comes from pagemap when
 * that shows it; else the bus address is checked against System RAM in
 * /proc/iomem: inside it without an IOMMU, outside with one (Linux hands
 * out IOVAs from the top of the 32-bit space down, above a small guest's RAM).
 */
static int test_dma_bus_address(void)
{
	const char *want = getenv("USCHEME_EXPECT_IOMMU");
	struct uscheme_dma d;
	uint64_t pa0 = 0, pa1 = 0;
	volatile uint8_t *p;
	int fn, fd, iommu, err, ram;

	NEED(g_msix);
	iommu = iommu_present(g_msix);
	if (want && !strcmp(want, "1") && !iommu) {
		fprintf(stderr, "  USCHEME_EXPECT_IOMMU=1 but %s has no iommu_group\n", g_msix);
		return -1;
	}
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	fd = dma_alloc(fn, 2 * PAGE, &d);
	CHECK(fd >= 0);
	p = map(fd, 2 * PAGE, 0, MAP_SHARED);
	CHECK(p != NULL);
	p[0] = 1;
	p[PAGE] = 1;
	err = phys_of((const void *)p, &pa0);
	if (!err)
		err = phys_of((const void *)(p + PAGE), &pa1);
	if (err && err != -ENOENT) {
		fprintf(stderr, "  /proc/self/pagemap: %s\n", strerror(-err));
		return -1;
	}
	ram = in_system_ram(d.bus_addr, d.size);
	CHECK(ram >= 0);
	fprintf(stderr, "  %s: bus address %#" PRIx64 ", %s System RAM; physical %s%#" PRIx64 "\n",
		iommu ? "IOMMU" : "no IOMMU", (uint64_t)d.bus_addr, ram ? "in" : "outside",
		err ? "(pagemap shows none) " : "", pa0);
	if (iommu) {
		char grp[256], type[64];

		dev_path(grp, sizeof(grp), g_msix, "iommu_group/type");
		if (read_text(grp, type, sizeof(type)) > 0)
			fprintf(stderr, "  iommu_group type: %s\n", type);
		if (!err)
			CHECK(d.bus_addr != pa0);	/* an IOVA */
		else
			CHECK_EQ(ram, 0);		/* not a RAM address at all */
	} else {
		CHECK_EQ(ram, 1);
		if (!err) {
			CHECK_EQ(d.bus_addr, pa0);	/* dma-direct: bus = physical */
			CHECK_EQ(pa1, pa0 + PAGE);	/* coherent memory is contiguous */
		}
	}
	munmap((void *)p, 2 * PAGE);
	close(fd);
	close(fn);
	return 0;
}

/* ------------------------------------------------------------------ */
/* interrupts                                                          */

static int test_irq_bad_input(void)
{
	struct uscheme_irq_setup s;
	struct pollfd pfd;
	uint32_t small;
	int fn, fd;

	NEED(g_msix);
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	CHECK_EQ(irq_open(fn, 0), -ENOENT);		/* before SETUP */
	CHECK_EQ(irq_setup(fn, 0x80, 1, &s), -EINVAL);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_MSIX | USCHEME_IRQ_INTX, 1, &s), -EINVAL);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_MSIX, 0, &s), -EINVAL);
	memset(&s, 0, sizeof(s));
	s.mode = USCHEME_IRQ_MSIX;
	s.nvec = 1;
	s.resv = 1;
	CHECK_EQ(xioctl(fn, USCHEME_PIOC_IRQ_SETUP, &s), -EINVAL);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_MSI, 1, &s), -EOPNOTSUPP);	/* qemu-xhci: no MSI */
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_MSIX, 1, &s), 0);
	CHECK_EQ(s.mode, USCHEME_IRQ_MSIX);
	CHECK_EQ(s.nvec, 1);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_MSIX, 1, &s), -EBUSY);	/* twice */
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_INTX, 1, &s), -EBUSY);
	CHECK_EQ(irq_open(fn, 1), -ENOENT);		/* no such vector */
	CHECK_EQ(fn_fd(fn, USCHEME_PIOC_IRQ_OPEN, 0, O_NONBLOCK), -EINVAL);
	fd = irq_open(fn, 0);
	CHECK(fd >= 0);
	CHECK_EQ(fcntl(fd, F_SETFL, O_NONBLOCK), 0);
	CHECK_EQ(irq_read(fd), -EAGAIN);		/* nothing pending */
	CHECK_EQ(irq_ack(fd, 1), -EINVAL);		/* nothing to acknowledge */
	CHECK_EQ(irq_ack(fd, 0), -EINVAL);
	errno = 0;
	CHECK(read(fd, &small, sizeof(small)) < 0);
	CHECK_EQ(errno, EINVAL);			/* fewer than 8 bytes */
	pfd.fd = fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	CHECK_EQ(poll(&pfd, 1, 0), 0);
	close(fd);
	close(fn);

	/* the INTx-only function has no MSI-X */
	NEED(g_intx);
	fn = fn_open(g_intx);
	CHECK(fn >= 0);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_MSIX, 1, &s), -EOPNOTSUPP);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_MSI, 1, &s), -EOPNOTSUPP);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_INTX, 1, &s), 0);
	CHECK_EQ(s.nvec, 1);
	CHECK_EQ(irq_open(fn, 1), -ENOENT);
	close(fn);
	return 0;
}

static int g_alarm_pipe = -1;

static void on_alarm(int sig)
{
	(void)sig;
	if (g_alarm_pipe >= 0 && write(g_alarm_pipe, "a", 1) != 1)
		g_alarm_pipe = -1;
}

/*
 * A blocking interrupt read with nothing pending: a signal whose handler
 * has no SA_RESTART ends it with EINTR; with SA_RESTART it keeps waiting
 * (the kernel restarts it); SIGKILL always ends the reader.
 */
static int test_irq_read_interrupted(void)
{
	struct uscheme_irq_setup s;
	struct sigaction sa;
	struct itimerval it;
	uint64_t count;
	int fn, fd, status, p[2];
	long long t0;
	ssize_t n;
	pid_t pid;
	char c;

	NEED(g_msix);
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_MSIX, 1, &s), 0);
	fd = irq_open(fn, 0);
	CHECK(fd >= 0);

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;		/* no SA_RESTART */
	CHECK_EQ(sigaction(SIGALRM, &sa, NULL), 0);
	memset(&it, 0, sizeof(it));
	it.it_value.tv_usec = 200000;
	t0 = tap_now_ns();
	CHECK_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
	errno = 0;
	n = read(fd, &count, sizeof(count));
	CHECK_EQ(n, -1);
	CHECK_EQ(errno, EINTR);
	CHECK(tap_now_ns() - t0 >= 150000000LL);	/* it did block */

	/*
	 * SA_RESTART: the read goes on waiting after the handler ran (the
	 * handler tells the parent through a pipe that it did).
	 */
	CHECK_EQ(pipe(p), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		g_alarm_pipe = p[1];
		sa.sa_flags = SA_RESTART;
		sigaction(SIGALRM, &sa, NULL);
		setitimer(ITIMER_REAL, &it, NULL);
		n = read(fd, &count, sizeof(count));
		_exit(n < 0 ? 10 + (errno == EINTR) : 0);
	}
	close(p[1]);
	CHECK_EQ(read(p[0], &c, 1), 1);		/* the handler ran */
	close(p[0]);
	usleep(300000);
	CHECK_EQ(waitpid(pid, &status, WNOHANG), 0);	/* still reading */
	CHECK_EQ(kill(pid, SIGKILL), 0);
	t0 = tap_now_ns();
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	CHECK(tap_now_ns() - t0 < 5000000000LL);

	sa.sa_handler = SIG_DFL;
	sa.sa_flags = 0;
	sigaction(SIGALRM, &sa, NULL);
	close(fd);
	close(fn);
	return 0;
}

static int test_irq_setup_auto(void)
{
	struct uscheme_irq_setup s;
	int fn;

	NEED(g_msix);
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_AUTO, 4, &s), 0);
	CHECK_EQ(s.mode, USCHEME_IRQ_MSIX);
	CHECK(s.nvec >= 1 && s.nvec <= 4);
	close(fn);
	NEED(g_intx);
	fn = fn_open(g_intx);
	CHECK(fn >= 0);
	CHECK_EQ(irq_setup(fn, USCHEME_IRQ_AUTO, 4, &s), 0);
	CHECK_EQ(s.mode, USCHEME_IRQ_INTX);
	CHECK_EQ(s.nvec, 1);
	close(fn);
	return 0;
}

static int test_xhci_noop_msix(void)
{
	uint8_t cfg[256];
	unsigned int msix;
	struct xhc x;
	int i;

	NEED(g_msix);
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_start(&x, -1, USCHEME_IRQ_MSIX), 0);
	/* the kernel enabled MSI-X */
	CHECK_EQ(sysfs_config(g_msix, cfg, sizeof(cfg)), 256);
	msix = find_cap(cfg, CAP_ID_MSIX);
	CHECK(msix && (le16(cfg + msix + 2) & MSIX_ENABLE));
	/* a few rounds: the acknowledgement and EHB let the next one through */
	for (i = 0; i < 3; i++) {
		if (xhc_noop_round(&x)) {
			fprintf(stderr, "  round %d failed\n", i);
			return -1;
		}
	}
	/* two commands at once: one interrupt or two, both events there */
	{
		uint64_t c1 = xhc_noop(&x), c2 = xhc_noop(&x);
		struct trb ev;
		long long n;

		CHECK_EQ(wait_irq_cqe(&x, SLOW_MS), 0);
		CHECK_EQ(xhc_event(&x, &ev, 1000), 0);
		CHECK_EQ(check_noop_event(&ev, c1), 0);
		CHECK_EQ(xhc_event(&x, &ev, 1000), 0);
		CHECK_EQ(check_noop_event(&ev, c2), 0);
		n = irq_read(x.irq);
		CHECK(n >= 1 && n <= 2);
		xhc_quiet(&x);
		CHECK_EQ(irq_ack(x.irq, (uint64_t)n + 1), -EINVAL);	/* more than pending */
		CHECK_EQ(irq_ack(x.irq, (uint64_t)n), 8);
	}
	CHECK_EQ(fn_master(x.fn, 0), 0);
	xhc_close(&x);
	/* the session's end freed the vectors: MSI-X off again */
	CHECK_EQ(sysfs_config(g_msix, cfg, sizeof(cfg)), 256);
	CHECK_EQ(le16(cfg + msix + 2) & MSIX_ENABLE, 0);
	return 0;
}

static int test_xhci_noop_intx(void)
{
	struct pollfd pfd;
	struct trb ev;
	struct xhc x;
	uint64_t c0, c1;
	int cmd, st;

	NEED(g_intx);
	xhc_init(&x, g_intx);
	CHECK_EQ(xhc_start(&x, -1, USCHEME_IRQ_INTX), 0);
	CHECK_EQ(xhc_noop_round(&x), 0);	/* the plain path first */

	/* an interrupt: the kernel masks the line until it is acknowledged */
	c0 = xhc_noop(&x);
	CHECK_EQ(wait_irq_cqe(&x, SLOW_MS), 0);
	CHECK_EQ(irq_read(x.irq), 1);
	cmd = sysfs_cfg16(g_intx, CFG_COMMAND);
	CHECK(cmd >= 0 && (cmd & CMD_INTX_DISABLE));
	CHECK_EQ(xhc_event(&x, &ev, 1000), 0);
	CHECK_EQ(check_noop_event(&ev, c0), 0);
	xhc_quiet(&x);
	/* a second command completes and the device asserts INTx, masked */
	c1 = xhc_noop(&x);
	CHECK_EQ(xhc_event(&x, &ev, SLOW_MS), 0);
	CHECK_EQ(check_noop_event(&ev, c1), 0);
	st = sysfs_cfg16(g_intx, CFG_STATUS);
	CHECK(st >= 0 && (st & STATUS_INTX));	/* the device asserts its line */
	CHECK_EQ(wait_irq_cqe(&x, QUIET_MS), -ETIME);
	CHECK_EQ(irq_read(x.irq), 1);		/* still only the first */
	pfd.fd = x.irq;
	pfd.events = POLLIN;
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK(pfd.revents & POLLIN);
	/* acknowledging unmasks: the pending assertion comes through */
	CHECK_EQ(irq_ack(x.irq, 1), 8);
	CHECK_EQ(wait_irq_cqe(&x, SLOW_MS), 0);
	CHECK_EQ(irq_read(x.irq), 1);
	cmd = sysfs_cfg16(g_intx, CFG_COMMAND);
	CHECK(cmd >= 0 && (cmd & CMD_INTX_DISABLE));
	xhc_quiet(&x);
	CHECK_EQ(irq_ack(x.irq, 1), 8);
	cmd = sysfs_cfg16(g_intx, CFG_COMMAND);
	CHECK(cmd >= 0 && !(cmd & CMD_INTX_DISABLE));
	CHECK_EQ(irq_read(x.irq), -EAGAIN);
	CHECK_EQ(wait_irq_cqe(&x, QUIET_MS), -ETIME);
	/* and the normal path still works */
	CHECK_EQ(xhc_noop_round(&x), 0);
	CHECK_EQ(fn_master(x.fn, 0), 0);
	xhc_close(&x);
	/* the session's end left INTx masked (interrupts freed) */
	cmd = sysfs_cfg16(g_intx, CFG_COMMAND);
	CHECK(cmd >= 0 && (cmd & CMD_INTX_DISABLE) && !(cmd & CMD_MASTER));
	return 0;
}

/*
 * The other side of bus mastering: with it off the controller reaches no
 * memory (QEMU drops its DMA and its MSI-X writes, which are DMA too), so a
 * command neither completes nor interrupts. Shows the tests above see the
 * device's own work, not something the kernel or the test made up.
 */
static int test_xhci_no_dma_without_master(void)
{
	struct trb ev;
	struct xhc x;
	int c;

	NEED(g_msix);
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_start(&x, -1, USCHEME_IRQ_MSIX), 0);
	CHECK_EQ(xhc_noop_round(&x), 0);
	CHECK_EQ(fn_master(x.fn, 0), 0);
	c = sysfs_cfg16(g_msix, CFG_COMMAND);
	CHECK(c >= 0 && !(c & CMD_MASTER));
	xhc_noop(&x);
	CHECK_EQ(wait_irq_cqe(&x, QUIET_MS), -ETIME);
	CHECK_EQ(xhc_event(&x, &ev, 0), -ETIME);	/* nothing written */
	CHECK_EQ(irq_read(x.irq), -EAGAIN);
	xhc_close(&x);
	return 0;
}

/* ------------------------------------------------------------------ */
/* lifetimes                                                           */

/* A child that runs the controller, says 'R' and waits to be killed. */
static void running_owner(const char *addr, int wfd)
{
	struct xhc x;
	char c = 'F';

	xhc_init(&x, addr);
	if (!xhc_start(&x, -1, USCHEME_IRQ_MSIX) && !xhc_noop_round(&x)) {
		/* one more command queued: the controller has work in flight */
		xhc_noop(&x);
		c = 'R';
	}
	if (write(wfd, &c, 1) != 1)
		_exit(2);
	for (;;)
		pause();
}

static int test_kill_owner_stops_master(void)
{
	uint8_t cfg[256];
	struct pollfd pfd;
	unsigned int msix;
	int p[2], status, i;
	struct xhc x;
	pid_t pid;
	char c = 0;

	NEED(g_msix);
	CHECK_EQ(pipe(p), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		running_owner(g_msix, p[1]);
		_exit(3);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	CHECK_EQ(poll(&pfd, 1, 20000), 1);
	CHECK_EQ(read(p[0], &c, 1), 1);
	close(p[0]);
	if (c != 'R') {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fprintf(stderr, "  the owner could not run the controller\n");
		return -1;
	}
	CHECK_EQ(sysfs_config(g_msix, cfg, sizeof(cfg)), 256);
	CHECK(le16(cfg + CFG_COMMAND) & CMD_MASTER);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* the session ended: mastering off, MSI-X off (teardown may lag exit a moment) */
	for (i = 0; i < 200; i++) {
		CHECK_EQ(sysfs_config(g_msix, cfg, sizeof(cfg)), 256);
		if (!(le16(cfg + CFG_COMMAND) & CMD_MASTER))
			break;
		usleep(10000);
	}
	if (i)
		fprintf(stderr, "  note: MASTER cleared %d ms after the owner was reaped\n", i * 10);
	CHECK_EQ(le16(cfg + CFG_COMMAND) & CMD_MASTER, 0);
	msix = find_cap(cfg, CAP_ID_MSIX);
	CHECK(msix != 0);
	CHECK_EQ(le16(cfg + msix + 2) & MSIX_ENABLE, 0);
	/* a new session works: reset, rings, No Op */
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_start(&x, -1, USCHEME_IRQ_MSIX), 0);
	CHECK_EQ(xhc_noop_round(&x), 0);
	CHECK_EQ(fn_master(x.fn, 0), 0);
	xhc_close(&x);
	return 0;
}

static int child_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status)) {
		fprintf(stderr, "  child killed by signal %d\n", WTERMSIG(status));
		return -1;
	}
	return WEXITSTATUS(status);
}

static int test_unprivileged_open_refused(void)
{
	char path[64];
	pid_t pid;
	int fd;

	NEED(g_msix);
	snprintf(path, sizeof(path), "pcidev:%s", g_msix);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int r;

		if (drop_privileges())
			_exit(10);
		r = us_open(path, O_RDWR);
		if (r != -EPERM) {
			fprintf(stderr, "  uid 65534 without capabilities: open %s: %s\n", path,
				r >= 0 ? "succeeded" : strerror(-r));
			_exit(11);
		}
		_exit(0);
	}
	CHECK_EQ(child_status(pid), 0);
	/* the refusal left no session behind */
	fd = fn_open(g_msix);
	CHECK(fd >= 0);
	close(fd);
	return 0;
}

static int unpriv_user(int fn)
{
	struct uscheme_pci_info in;
	struct uscheme_dma d;
	volatile uint8_t *m;
	uint8_t b[4];
	int bar, dma;

	CHECK_EQ(fn_info(fn, &in), 0);
	CHECK_EQ(in.class_code, 0x0c0330);
	CHECK_EQ(xpread(fn, b, 4, 0), 4);
	CHECK_EQ(b[0] | b[1] << 8, in.vendor);
	bar = bar_open(fn, 0);
	CHECK(bar >= 0);
	m = map(bar, PAGE, 0, MAP_SHARED);
	CHECK(m != NULL);
	CHECK_EQ(rd32(m, 0) >> 16, 0x100);
	munmap((void *)m, PAGE);
	dma = dma_alloc(fn, PAGE, &d);
	CHECK(dma >= 0);
	close(dma);
	close(bar);
	return 0;
}

static int test_unprivileged_inherited_handle(void)
{
	pid_t pid;
	int fn;

	NEED(g_msix);
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (drop_privileges())
			_exit(10);
		_exit(unpriv_user(fn) ? 11 : 0);
	}
	CHECK_EQ(child_status(pid), 0);
	close(fn);
	return 0;
}

/* A child reads *p: 0 when that faulted (SIGBUS), 1 when it read fine, -1 else. */
static void on_sigbus(int sig)
{
	(void)sig;
	_exit(77);
}

static int touch_faults(volatile uint8_t *p)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigbus;
		sigaction(SIGBUS, &sa, NULL);
		sigaction(SIGSEGV, &sa, NULL);
		(void)*p;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if ((WIFEXITED(status) && WEXITSTATUS(status) == 77) ||
	    (WIFSIGNALED(status) && (WTERMSIG(status) == SIGBUS || WTERMSIG(status) == SIGSEGV)))
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	fprintf(stderr, "  reading a mapping: %s %d\n", WIFEXITED(status) ? "exit" : "signal",
		WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return -1;
}

static int test_unbind_revokes_session(void)
{
	struct uscheme_pci_info in;
	struct uscheme_dma d;
	struct pollfd pfd;
	struct xhc x;
	uint8_t b[4];
	char p[256], drv[64];
	int dma, cmd;
	uint8_t *dm;

	NEED(g_msix);
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_start(&x, -1, USCHEME_IRQ_MSIX), 0);
	CHECK_EQ(xhc_noop_round(&x), 0);
	dma = dma_alloc(x.fn, PAGE, &d);
	CHECK(dma >= 0);
	dm = map(dma, PAGE, 0, MAP_SHARED);
	CHECK(dm != NULL);
	dm[0] = 1;
	CHECK_EQ(touch_faults(x.mmio), 1);	/* live: the child reads fine */
	CHECK_EQ(touch_faults(dm), 1);

	/* unbind while the session runs */
	snprintf(p, sizeof(p), SYS_PCI "/drivers/uscheme/unbind");
	CHECK_EQ(write_text(p, g_msix), 0);
	CHECK_EQ(driver_of(g_msix, drv, sizeof(drv)), 0);
	cmd = sysfs_cfg16(g_msix, CFG_COMMAND);
	CHECK(cmd >= 0 && !(cmd & CMD_MASTER));
	/* every call fails with -ENODEV */
	CHECK_EQ(fn_info(x.fn, &in), -ENODEV);
	CHECK_EQ(xpread(x.fn, b, 4, 0), -ENODEV);
	CHECK_EQ(xpread(x.bar, b, 4, 0), -ENODEV);
	CHECK_EQ(fn_master(x.fn, 1), -ENODEV);
	CHECK_EQ(dma_alloc(x.fn, PAGE, &d), -ENODEV);
	CHECK_EQ(bar_open(x.fn, 0), -ENODEV);
	CHECK_EQ(irq_read(x.irq), -ENODEV);
	/* the interrupt fd hangs up */
	pfd.fd = x.irq;
	pfd.events = POLLIN;
	pfd.revents = 0;
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK_EQ(pfd.revents & (POLLERR | POLLHUP), POLLERR | POLLHUP);
	/* the mappings are gone: SIGBUS */
	CHECK_EQ(touch_faults(x.mmio), 0);
	CHECK_EQ(touch_faults(dm), 0);
	/* and the function cannot be opened */
	snprintf(p, sizeof(p), "pcidev:%s", g_msix);
	CHECK_EQ(us_open(p, O_RDWR), -ENOENT);
	munmap(dm, PAGE);
	close(dma);
	xhc_close(&x);

	/* bound again, a new session works */
	NEED(g_msix);
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_start(&x, -1, USCHEME_IRQ_MSIX), 0);
	CHECK_EQ(xhc_noop_round(&x), 0);
	CHECK_EQ(fn_master(x.fn, 0), 0);
	xhc_close(&x);
	return 0;
}

/* ------------------------------------------------------------------ */
/* hardening: decode, dangerous capabilities, reset between sessions   */

/* Write the command register through the function handle. */
static ssize_t cfg_cmd(int fn, uint16_t cmd)
{
	uint8_t v[2] = { (uint8_t)cmd, (uint8_t)(cmd >> 8) };

	return xpwrite(fn, v, 2, CFG_COMMAND);
}

/*
 * Memory decode turned off by a config write: every BAR mapping is zapped
 * and faults (SIGBUS) until it is on again, register access is -EIO (the
 * class of CVE-2020-12888).
 */
static int test_decode_off_zaps_bar(void)
{
	volatile uint8_t *p;
	uint8_t cfg[256], lo;
	uint32_t v, w = 0;
	uint16_t cmd;
	struct xhc x;
	int c;

	NEED(g_msix);
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_map(&x, -1), 0);
	v = rd32(x.mmio, CAP_CAPLENGTH);
	CHECK_EQ(touch_faults(x.mmio), 1);
	CHECK_EQ(xpread(x.fn, cfg, sizeof(cfg), 0), (ssize_t)sizeof(cfg));
	cmd = le16(cfg + CFG_COMMAND);
	CHECK(cmd & CMD_MEMORY);
	/* decode off */
	CHECK_EQ(cfg_cmd(x.fn, cmd & ~CMD_MEMORY), 2);
	c = sysfs_cfg16(g_msix, CFG_COMMAND);
	CHECK(c >= 0 && !(c & CMD_MEMORY));
	CHECK_EQ(touch_faults(x.mmio), 0);
	CHECK_EQ(touch_faults(x.mmio + 0x1000), 0);
	CHECK_EQ(xpread(x.bar, &w, 4, 0), -EIO);
	CHECK_EQ(xpread(x.bar, &w, 1, 0), -EIO);
	CHECK_EQ(xpwrite(x.bar, &w, 4, (off_t)(x.op - x.mmio) + OP_DCBAAP), -EIO);
	/* a mapping made while it is off faults too */
	p = map(x.bar, PAGE, 0, MAP_SHARED);
	CHECK(p != NULL);
	CHECK_EQ(touch_faults(p), 0);
	/* writing the command register again with decode still off changes nothing */
	CHECK_EQ(cfg_cmd(x.fn, cmd & ~CMD_MEMORY), 2);
	CHECK_EQ(touch_faults(x.mmio), 0);
	/* on again, through the low byte alone: both mappings work */
	lo = (uint8_t)cmd;
	CHECK_EQ(xpwrite(x.fn, &lo, 1, CFG_COMMAND), 1);
	c = sysfs_cfg16(g_msix, CFG_COMMAND);
	CHECK(c >= 0 && (c & CMD_MEMORY));
	CHECK_EQ(touch_faults(x.mmio), 1);
	CHECK_EQ(touch_faults(p), 1);
	CHECK_EQ(rd32(x.mmio, CAP_CAPLENGTH), v);
	CHECK_EQ(rd32(p, CAP_CAPLENGTH), v);
	CHECK_EQ(xpread(x.bar, &w, 4, 0), 4);
	CHECK_EQ(w, v);
	munmap((void *)p, PAGE);
	xhc_close(&x);
	return 0;
}

#define CAP_ID_EXP	0x10
#define CAP_ID_AF	0x13
#define EXP_DEVCTL	0x08
#define DEVCTL_FLR	0x8000
#define AF_CTRL		0x04

/* An extended capability's offset (config space of len bytes), 0 when absent. */
static unsigned int find_ext_cap(const uint8_t *cfg, size_t len, uint16_t id)
{
	unsigned int off = 0x100, n = 0;
	uint32_t h;

	while (len >= 4096 && off >= 0x100 && off + 4 <= len && n++ < 512) {
		h = le32(cfg + off);
		if (!h || h == 0xffffffffU)
			return 0;
		if ((h & 0xffff) == id)
			return off;
		off = (h >> 20) & 0xffc;
	}
	return 0;
}

/*
 * The capabilities the kernel keeps (FLR through the PCIe Device Control
 * register or Advanced Features, ACS, Resizable BAR, SR-IOV, ATS, PRI,
 * PASID): writes refused, whichever of them a function has. QEMU's xHCI
 * controllers have a PCIe capability only on a PCIe bus (q35), and none
 * of the others: those are covered by the module's KUnit suite.
 */
static int dangerous_caps(const char *addr, unsigned int *found)
{
	static const struct { uint16_t id, ctrl; const char *name; } ext[] = {
		{ 0x0d, 6, "ACS" }, { 0x15, 8, "Resizable BAR" }, { 0x24, 8, "VF Resizable BAR" },
		{ 0x10, 8, "SR-IOV" }, { 0x0f, 6, "ATS" }, { 0x13, 4, "PRI" }, { 0x1b, 6, "PASID" },
	};
	struct uscheme_pci_info in;
	uint8_t cfg[4096], v[2];
	unsigned int pos, i;
	int fd;

	fd = fn_open(addr);
	CHECK(fd >= 0);
	CHECK_EQ(fn_info(fd, &in), 0);
	CHECK(in.cfg_size == 256 || in.cfg_size == 4096);
	CHECK_EQ(xpread(fd, cfg, in.cfg_size, 0), (ssize_t)in.cfg_size);
	pos = find_cap(cfg, CAP_ID_EXP);
	if (pos) {
		uint16_t ctl = le16(cfg + pos + EXP_DEVCTL);

		fprintf(stderr, "  %s: PCIe capability at %#x, Device Control %#06x\n", addr, pos,
			ctl);
		v[0] = (uint8_t)ctl;
		v[1] = (uint8_t)((ctl | DEVCTL_FLR) >> 8);
		CHECK_EQ(refused(fd, addr, pos + EXP_DEVCTL, v, 2), 0);	/* Initiate FLR */
		CHECK_EQ(refused(fd, addr, pos + EXP_DEVCTL + 1, v + 1, 1), 0);
		v[1] = (uint8_t)(ctl >> 8);
		CHECK_EQ(refused(fd, addr, pos + EXP_DEVCTL, v, 2), 0);	/* even unchanged */
		(*found)++;
	}
	pos = find_cap(cfg, CAP_ID_AF);
	if (pos) {
		fprintf(stderr, "  %s: Advanced Features capability at %#x\n", addr, pos);
		CHECK_EQ(refused(fd, addr, pos + AF_CTRL, "\x01", 1), 0);
		(*found)++;
	}
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		pos = find_ext_cap(cfg, in.cfg_size, ext[i].id);
		if (!pos)
			continue;
		fprintf(stderr, "  %s: %s capability at %#x\n", addr, ext[i].name, pos);
		CHECK_EQ(refused(fd, addr, pos + ext[i].ctrl, cfg + pos + ext[i].ctrl, 2), 0);
		(*found)++;
	}
	close(fd);
	return 0;
}

static int test_dangerous_caps_refused(void)
{
	unsigned int found = 0;

	NEED(g_msix);
	CHECK_EQ(dangerous_caps(g_msix, &found), 0);
	if (g_intx[0]) {
		NEED(g_intx);
		CHECK_EQ(dangerous_caps(g_intx, &found), 0);
	}
	if (!found)
		fprintf(stderr, "  note: no PCIe, AF, ACS, ReBAR, SR-IOV, ATS, PRI or PASID "
			"capability on these functions (a PCIe capability needs a q35 machine)\n");
	return 0;
}

/*
 * What one session leaves in the function does not reach the next: config
 * space is put back as the session found it (always), and the function is
 * reset where it has a reset method (sysfs reset_method): then the xHCI
 * registers a session wrote are back at their reset values.
 */
static int test_session_state_reset(void)
{
	uint8_t cfg[256], cls, lat;
	char methods[128];
	uint32_t w = 0x12345000;
	off_t dcbaap;
	struct xhc x;
	int fd, n;

	NEED(g_msix);
	n = dev_attr(g_msix, "reset_method", methods, sizeof(methods));
	if (n < 0)
		methods[0] = 0;
	fprintf(stderr, "  %s reset_method: %s\n", g_msix, methods[0] ? methods : "(none)");
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_map(&x, -1), 0);
	CHECK_EQ(xpread(x.fn, cfg, sizeof(cfg), 0), (ssize_t)sizeof(cfg));
	cls = cfg[CFG_CACHE_LINE];
	lat = cfg[CFG_LATENCY];
	CHECK_EQ(xpwrite(x.fn, (uint8_t[]){ (uint8_t)(cls ^ 0x10), (uint8_t)(lat ^ 0x20) }, 2,
			 CFG_CACHE_LINE), 2);
	CHECK_EQ(xhc_reset(&x), 0);
	dcbaap = (off_t)(x.op - x.mmio) + OP_DCBAAP;
	CHECK_EQ(xpwrite(x.bar, &w, 4, dcbaap), 4);
	CHECK_EQ(rd32(x.op, OP_DCBAAP), 0x12345000);
	xhc_close(&x);

	/* the next session */
	fd = fn_open(g_msix);
	CHECK(fd >= 0);
	CHECK_EQ(xpread(fd, cfg, sizeof(cfg), 0), (ssize_t)sizeof(cfg));
	CHECK_EQ(cfg[CFG_CACHE_LINE], cls);
	CHECK_EQ(cfg[CFG_LATENCY], lat);
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_map(&x, fd), 0);
	w = rd32(x.op, OP_DCBAAP);
	if (methods[0]) {
		CHECK_EQ(w, 0);
	} else {
		fprintf(stderr, "  note: no reset method: DCBAAP %#x survived the session\n", w);
		wr32(x.op, OP_DCBAAP, 0);
	}
	xhc_close(&x);
	return 0;
}

static const struct tap_test tests[] = {
	{ "tool_bind_unbind", test_tool_bind_unbind, 0 },
	{ "tool_bind_errors", test_tool_bind_errors, 0 },
	{ "pcidev_open_errors", test_pcidev_open_errors, 0 },
	{ "pcidev_directory", test_pcidev_directory, 0 },
	{ "info_matches_sysfs", test_info_matches_sysfs, 0 },
	{ "config_read_matches_sysfs", test_config_read_matches_sysfs, 0 },
	{ "config_write_refused", test_config_write_refused, 0 },
	{ "config_write_allowed_master", test_config_write_allowed, 0 },
	{ "bar_mmap_registers", test_bar_mmap_registers, 0 },
	{ "bar_refused", test_bar_refused, 0 },
	{ "io_bar_registers", test_io_bar, 0 },
	{ "dma_alloc_mmap", test_dma_alloc_mmap, 0 },
	{ "dma_limits", test_dma_limits, 120 },
	{ "dma_kept_while_master", test_dma_kept_while_master, 120 },
	{ "dma_double_close", test_dma_double_close, 0 },
	{ "dma_bus_address", test_dma_bus_address, 0 },
	{ "irq_bad_input", test_irq_bad_input, 0 },
	{ "irq_read_interrupted", test_irq_read_interrupted, 0 },
	{ "irq_setup_auto", test_irq_setup_auto, 0 },
	{ "xhci_noop_msix", test_xhci_noop_msix, 0 },
	{ "xhci_noop_intx_masked_until_ack", test_xhci_noop_intx, 0 },
	{ "xhci_no_dma_without_master", test_xhci_no_dma_without_master, 0 },
	{ "kill_owner_stops_master", test_kill_owner_stops_master, 0 },
	{ "unprivileged_open_refused", test_unprivileged_open_refused, 0 },
	{ "unprivileged_inherited_handle", test_unprivileged_inherited_handle, 0 },
	{ "unbind_revokes_session", test_unbind_revokes_session, 0 },
	{ "decode_off_zaps_bar_mappings", test_decode_off_zaps_bar, 0 },
	{ "dangerous_caps_refused", test_dangerous_caps_refused, 0 },
	{ "session_state_reset", test_session_state_reset, 0 },
};

static void set_addr(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s%s", strchr(src, ':') == strrchr(src, ':') ? "0000:" : "", src);
}

int main(int argc, char **argv)
{
	const char *only = NULL, *e;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((e = getenv("USCHEME_DEV_MSIX")))
		set_addr(g_msix, sizeof(g_msix), e);
	if ((e = getenv("USCHEME_DEV_INTX")))
		set_addr(g_intx, sizeof(g_intx), e);
	if ((e = getenv("USCHEME_DEV_OTHER")))
		set_addr(g_other, sizeof(g_other), e);
	if ((e = getenv("USCHEME_TOOL")))
		g_tool = e;
	for (i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--msix"))
			set_addr(g_msix, sizeof(g_msix), argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--intx"))
			set_addr(g_intx, sizeof(g_intx), argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--other"))
			set_addr(g_other, sizeof(g_other), argv[++i]);
		else
			only = argv[i];
	}
	discover();
	fprintf(stderr, "# device: MSI-X xHCI %s, INTx xHCI %s, other driver's %s\n",
	       g_msix[0] ? g_msix : "(none)", g_intx[0] ? g_intx : "(none)",
	       g_other[0] ? g_other : "(none)");
	return tap_run("device", tests, sizeof(tests) / sizeof(tests[0]), only);
}
