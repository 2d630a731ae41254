/* SPDX-License-Identifier: MIT */
/*
 * xhcid_test: the usb.*: scheme as xhcid serves it (xhcid/usbscheme.h),
 * from a client's side, in the test VM that tests/run-all.sh boots: one
 * file per behaviour over the helpers of xhcid_test_util.c (scheme calls,
 * the disks' known pattern, xhcid's process) and xhcid_test_bot.c (a
 * small Bulk-Only/SCSI client).
 *
 * The VM's USB devices (tests/run-all.sh, "devices"; change both together):
 *
 *   0000:00:04.0  qemu-xhci (MSI-X), 4 USB3 ports (1-4) then 4 USB2 (5-8):
 *                 usb-storage on its first port (super speed, disk 0) and
 *                 usb-kbd,usb_version=1 on its second (a USB2 port, full
 *                 speed: an interrupt endpoint)
 *   0000:00:05.0  nec-usb-xhci, INTx only, p3=0 (4 USB2 ports): usb-storage
 *                 on its first port (high speed, disk 1)
 *   QEMU's monitor on the guest's /dev/ttyS2 (xt_monitor): keys for the
 *   keyboard, and hot-plug: the keyboard is "usbkbd"; drive "usbdisk2"
 *   (disk 2) waits, unattached, for a device_add.
 *
 * Each disk is XT_DISK_SECTORS sectors of 512 bytes, every sector stamped
 * by xt_pattern() (its disk number and LBA, then a stream derived from
 * both): "xhcid_test --make-image FILE DISK" writes one on the host, and
 * the guest checks any sector it reads without a copy of the image. The
 * last XT_SCRATCH_SECTORS sectors are the scratch region the write tests
 * use (and put back as they were).
 */
#ifndef XHCID_TEST_H
#define XHCID_TEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "../../lib/tap.h"
#include "../../../userspace-drivers/libuscheme/libuscheme.h"
#include "../../../userspace-drivers/xhcid/usbscheme.h"

/* The VM's layout (see above). */
#define XT_CTRL0		"0000:00:04.0"	/* qemu-xhci, MSI-X */
#define XT_CTRL1		"0000:00:05.0"	/* nec-usb-xhci, INTx, USB2 only */
#define XT_CTRL0_PORTS		8
#define XT_CTRL1_PORTS		4
#define XT_DISK_VID		0x46f4		/* QEMU usb-storage */
#define XT_DISK_PID		0x0001
#define XT_KBD_VID		0x0627		/* QEMU usb-kbd */
#define XT_KBD_PID		0x0001

#define XT_SECTOR		512u
#define XT_DISK_SECTORS		65536u		/* 32 MiB */
#define XT_SCRATCH_SECTORS	2048u		/* the last 1 MiB */
#define XT_SCRATCH_LBA		(XT_DISK_SECTORS - XT_SCRATCH_SECTORS)

/* Options of this run (xhcid_test.c). */
struct xt_opts {
	const char *linux_dir;	/* --linux DIR: Linux's saved descriptors */
	int quick;		/* --quick: fewer and smaller transfers (debug VM) */
	const char *monitor;	/* --monitor TTY: QEMU's monitor (default /dev/ttyS2) */
};
extern struct xt_opts xt;

/* ---- the scheme (xhcid_test_util.c) ---- */

/* "usb.0000-00-04.0" for a controller address. */
const char *xt_scheme(const char *addr);

/* One line of a controller's listing. */
struct xt_line {
	unsigned int port;
	char state[16];		/* empty attached ready failed */
	char speed[8];		/* low full high super super+ - */
	int has_dev;		/* IDs and classes are given (not "-") */
	uint16_t vid, pid;
	uint8_t cls, sub, proto;
};

/*
 * Read and parse the listing of @addr's scheme into @lines (at most
 * @max); the number of lines, or -errno (-EPROTO: a malformed line,
 * printed to stderr).
 */
int xt_listing(const char *addr, struct xt_line *lines, int max);
/*
 * Wait up to @secs seconds until @addr's listing shows a ready device
 * @vid:@pid; its port number, or -errno (the last error seen).
 */
int xt_wait_ready(const char *addr, uint16_t vid, uint16_t pid, int secs);
/* Open "usb.ADDR:PORT" with @flags (O_RDONLY, O_RDWR); fd or -errno. */
int xt_open_port(const char *addr, unsigned int port, int flags);
/*
 * Open @addr's port of @vid:@pid O_RDWR (waiting up to 5 s for a ready
 * device and for an earlier owner to let go: -EBUSY), and set
 * configuration 1 if none is set. The fd, or -errno.
 */
int xt_own(const char *addr, uint16_t vid, uint16_t pid);
/* The same for port @port. */
int xt_own_port(const char *addr, unsigned int port);
int xt_port_info(int fd, struct usb_port_info *info);
int xt_ep_info(int fd, struct usb_ep_info *info);
/*
 * One control transfer through USB_CALL_CONTROL: an IN request (bit 7 of
 * @type) fills @data with up to @wlength bytes, an OUT request sends
 * @wlength bytes from @data. Bytes received (IN), 0 (OUT), or -errno.
 */
int xt_control(int fd, uint8_t type, uint8_t req, uint16_t value,
	       uint16_t index, void *data, uint16_t wlength);
/* All of a port's descriptors (READ to the end) into @buf; bytes or -errno. */
int xt_read_desc(int fd, uint8_t *buf, size_t len);
/* The first descriptor of @type in @desc (after the device descriptor). */
const uint8_t *xt_find_desc(const uint8_t *desc, size_t len, uint8_t type);

/* ---- a client ring ---- */

/* Wait up to @ms for one CQE; copy it out and consume it. 0, -ETIME. */
int xt_reap(struct us_ring *r, struct uscheme_cqe *out, int ms);
/* Submit one op (already prepared on @r) and reap its CQE; res, or -ETIME. */
int xt_ring_op(struct us_ring *r, int ms);

/* ---- the disks' pattern ---- */

/* Fill @buf with sectors @lba .. @lba + @n - 1 of disk @disk. */
void xt_pattern(void *buf, unsigned int disk, uint64_t lba, uint32_t n);
/*
 * Compare @buf with those sectors; 0, or -1 with the first difference
 * (and the LBA and disk its stamp names) on stderr.
 */
int xt_check(const void *buf, unsigned int disk, uint64_t lba, uint32_t n);
/* Write a whole disk image (host side); 0 or -errno. */
int xt_make_image(const char *path, unsigned int disk);

/* ---- xhcid's process ---- */

/* The pid of the xhcid that drives @addr (PCID_ADDRESS in its environment), or 0. */
pid_t xt_xhcid_pid(const char *addr);
/* Its CPU time (utime + stime, clock ticks) and context switches, summed over threads. */
int xt_proc_usage(pid_t pid, unsigned long long *ticks, unsigned long long *switches);
/* A command to QEMU's human monitor (xt.monitor), its prompt awaited. 0 or -errno. */
int xt_monitor(const char *command);
/* Inject a key press and release through the monitor ("sendkey KEY"). */
int xt_sendkey(const char *key);
/* Run @fn(@arg) in a child as uid/gid 65534; its exit status (0 = passed). */
int xt_as_nobody(int (*fn)(void *), void *arg);
/* Milliseconds, monotonic. */
long long xt_ms(void);

/* ---- Bulk-Only Transport and SCSI (xhcid_test_bot.c) ---- */

struct bot {
	int port;		/* the port handle, O_RDWR */
	int in, out;		/* ep81 and ep02 */
	uint32_t tag;
	unsigned int disk;	/* the image's disk number */
	uint32_t last_data;	/* bytes moved in the last data stage */
};

#define BOT_CBW_LEN	31
#define BOT_CSW_LEN	13

/* Own @addr's disk, set configuration 1, DUP ep81 and ep02. 0 or -errno. */
int bot_open(struct bot *b, const char *addr, unsigned int disk);
/* The same for the disk on port @port. */
int bot_open_port(struct bot *b, const char *addr, unsigned int port, unsigned int disk);
/* The same on an owner's handle @fd (of a port or an interface), which it takes. */
int bot_attach(struct bot *b, int fd, unsigned int disk);
void bot_close(struct bot *b);
/* Build a CBW (31 bytes) into @cbw. */
void bot_cbw(uint8_t *cbw, uint32_t tag, uint32_t len, int in,
	     const uint8_t *cdb, uint8_t cdb_len);
/*
 * One command: CBW on ep02, the data stage (one READ on ep81 or WRITE on
 * ep02 of @len bytes, none if @len is 0), the CSW on ep81, checked
 * (signature, tag). *status gets the CSW's status, *residue its residue
 * (either may be NULL). 0, or -errno of the transfer that failed
 * (-EPROTO: a bad CSW).
 */
int bot_cmd(struct bot *b, const uint8_t *cdb, uint8_t cdb_len, int in,
	    void *data, uint32_t len, uint8_t *status, uint32_t *residue);
/* Bulk-Only reset: class request 0x21/0xFF, CLEAR_FEATURE(HALT) on both. */
int bot_reset(struct bot *b);
/* TEST UNIT READY (+ REQUEST SENSE) until the unit is ready, at most 10 times. */
int bot_ready(struct bot *b);
int bot_read10(struct bot *b, uint32_t lba, uint16_t n, void *buf);
int bot_write10(struct bot *b, uint32_t lba, uint16_t n, const void *buf);
/* READ CAPACITY(10): the last LBA and the block size. */
int bot_capacity(struct bot *b, uint32_t *last, uint32_t *bsize);
/* READ(10) of @n sectors at @lba, checked against the pattern. 0 or -1. */
int bot_read_check(struct bot *b, uint32_t lba, uint16_t n);

/* ---- the tests, one file per behaviour ---- */

/* xhcid_test_listing.c */
int t_listing_ctrl0(void);
int t_listing_ctrl1(void);
int t_paths(void);
/* xhcid_test_desc.c */
int t_desc_disk(void);
int t_desc_kbd(void);
int t_desc_disk2(void);
int t_desc_linux(void);
/* xhcid_test_control.c */
int t_ctrl_descriptors(void);
int t_ctrl_string(void);
int t_ctrl_malformed(void);
int t_ctrl_room(void);
int t_ctrl_stall(void);
int t_ctrl_access(void);
/* xhcid_test_bulk.c */
int t_bulk_scsi(void);
int t_bulk_read_sizes(void);
int t_bulk_write(void);
int t_bulk_inflight(void);
int t_bulk_errors(void);
int t_bulk_usb2(void);
/* xhcid_test_stall.c */
int t_stall_in(void);
int t_stall_out(void);
/* xhcid_test_kill.c */
int t_kill_waiting(void);
int t_kill_midtransfer(void);
int t_cancel(void);
/* xhcid_test_intr.c */
int t_intr_queue(void);
int t_intr_key(void);
int t_intr_poll(void);
int t_intr_clear_halt(void);
/* xhcid_test_idle.c */
int t_idle_cpu(void);
/* xhcid_test_events.c */
int t_events_port_and_dir(void);
/* xhcid_test_iface.c */
int t_iface_paths_exclusion(void);
int t_iface_bot(void);
int t_iface_limits(void);
/* xhcid_test_reset.c */
int t_reset_disk_owner(void);
int t_reset_kbd_iface_owner(void);
/* xhcid_test_hotplug.c */
int t_hotplug_kbd(void);
int t_hotplug_disk(void);

#endif /* XHCID_TEST_H */
