/* SPDX-License-Identifier: MIT */
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
 * One file per behaviour (main.c lists them) over helpers.c and xhc.c.
 *
 * Usage: device_test [--msix A] [--intx A] [--other A] [name-substring]
 */
#ifndef USCHEME_DEVICE_TEST_H
#define USCHEME_DEVICE_TEST_H

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
#include <stdbool.h>


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
/* The functions used (main.c sets them: options, environment, discover()). */
extern char g_msix[32], g_intx[32], g_other[32];
extern const char *g_tool;

struct msix {
	unsigned int cap;	/* 0: no MSI-X */
	unsigned int nvec;
	int table_bar, pba_bar;
	uint32_t table_off, pba_off;
};

/* Bind addr to uscheme (sysfs) for a test that needs it. */
#define NEED(addr) CHECK_EQ(bind_sysfs(addr), 0)

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

/* helpers.c: sysfs, the uscheme tool, the function handle and its fds */
int read_text(const char *path, char *buf, size_t len);
int write_text(const char *path, const char *s);
void dev_path(char *out, size_t n, const char *addr, const char *attr);
int dev_attr(const char *addr, const char *attr, char *buf, size_t len);
long long dev_num(const char *addr, const char *attr);
int driver_of(const char *addr, char *out, size_t n);
int is_bound_uscheme(const char *addr);
void override_of(const char *addr, char *out, size_t n);
int dev_exists(const char *addr);
int sysfs_config(const char *addr, uint8_t *buf, size_t len);
uint16_t le16(const uint8_t *p);
uint32_t le32(const uint8_t *p);
int sysfs_cfg16(const char *addr, unsigned int off);
unsigned int find_cap(const uint8_t *cfg, uint8_t id);
void msix_layout(const uint8_t *cfg, struct msix *m);
uint64_t mappable(const struct msix *m, int bar, uint64_t size);
int sysfs_bar(const char *addr, int i, uint64_t *size, uint64_t *flags);
void discover(void);
int bind_sysfs(const char *addr);
int tool(char *out, size_t len, const char *a1, const char *a2);
int fn_open(const char *addr);
int xioctl(int fd, unsigned long req, void *arg);
int fn_info(int fn, struct uscheme_pci_info *info);
int fn_master(int fn, unsigned long on);
int fn_fd(int fn, unsigned long req, uint32_t index, uint32_t flags);
int bar_open(int fn, uint32_t index);
int irq_open(int fn, uint32_t index);
int dma_alloc(int fn, uint64_t size, struct uscheme_dma *d);
int irq_setup(int fn, uint32_t mode, uint32_t nvec, struct uscheme_irq_setup *s);
void *map(int fd, size_t len, off_t off, int flags);
int map_refused(int fd, size_t len, off_t off, int flags, int want, int want2);
ssize_t xpread(int fd, void *b, size_t n, off_t off);
ssize_t xpwrite(int fd, const void *b, size_t n, off_t off);
int drop_privileges(void);

/*
 * xhc.c: a minimal xHCI driver on the function handle (reset, a command
 * ring and an event ring in one DMA buffer, interrupter 0, No Op
 * commands), enough to make the controller raise real interrupts.
 */
uint32_t rd32(volatile uint8_t *base, unsigned int off);
void wr32(volatile uint8_t *base, unsigned int off, uint32_t v);
void wr64(volatile uint8_t *base, unsigned int off, uint64_t v);
void xhc_init(struct xhc *x, const char *addr);
void xhc_close(struct xhc *x);
int xhc_map(struct xhc *x, int fn);
int xhc_reset(struct xhc *x);
int xhc_start(struct xhc *x, int fn, uint32_t mode);
uint64_t xhc_noop(struct xhc *x);
int xhc_event(struct xhc *x, struct trb *out, int ms);
void xhc_quiet(struct xhc *x);
int check_noop_event(const struct trb *ev, uint64_t cmd);
int wait_irq_cqe(struct xhc *x, int ms);
long long irq_read(int fd);
ssize_t irq_ack(int fd, uint64_t n);
int xhc_noop_round(struct xhc *x);

/* tool_bind.c */
int test_tool_bind_unbind(void);
int test_tool_bind_errors(void);

/* pcidev.c */
int test_pcidev_open_errors(void);
int test_pcidev_directory(void);

/* config.c */
int test_info_matches_sysfs(void);
int test_config_read_matches_sysfs(void);
int refused(int fd, const char *addr, unsigned int off, const void *data, size_t len);
int test_config_write_refused(void);
int test_config_write_allowed(void);

/* bar.c */
int test_bar_mmap_registers(void);
int test_bar_refused(void);
int test_io_bar(void);

/* dma.c */
int test_dma_alloc_mmap(void);
int test_dma_limits(void);
int test_dma_kept_while_master(void);
int test_dma_double_close(void);
int test_dma_bus_address(void);

/* irq.c */
int test_irq_bad_input(void);
int test_irq_read_interrupted(void);
int test_irq_setup_auto(void);

/* xhci_noop.c */
int test_xhci_noop_msix(void);
int test_xhci_noop_intx(void);
int test_xhci_no_dma_without_master(void);

/* kill_owner.c */
int test_kill_owner_stops_master(void);

/* privilege.c */
int test_unprivileged_open_refused(void);
int test_unprivileged_inherited_handle(void);

/* unbind.c */
int touch_faults(volatile uint8_t *p);
int test_unbind_revokes_session(void);

/* hardening.c */
int test_decode_off_zaps_bar(void);
int test_dangerous_caps_refused(void);
int test_session_state_reset(void);

#endif /* USCHEME_DEVICE_TEST_H */
