/* SPDX-License-Identifier: MIT */
/*
 * The disk.*: scheme: what usbscsid serves for a USB mass-storage device,
 * and what anything else serving disks (a RAM test disk, ...) follows; the
 * block-device bridge and the tests are its clients. The contract agreed
 * between usbscsid (issue 14) and the bridge (issue 15).
 *
 * Name. "disk." then a name in [a-z0-9._-]. usbscsid serves
 *
 *     disk.PORTPATH             e.g. disk.usb.0000-00-04.0-1
 *     disk.PORTPATH.iN          when its interface N is not 0
 *
 * PORTPATH is the port's path in xhcid's usb.*: scheme ("usb.0000-00-04.0:1",
 * the controller's PCI address and the root-hub port) with every ':' spelled
 * '-'; disk_scheme_name() builds it. pcid registers the same name for the
 * usbscsid it starts (xhcid.conf: scheme=disk.{address}).
 *
 * Paths:
 *   ""       a listing, one line per LUN:  "LUN SIZE_BYTES BLOCK_SIZE rw|ro\n"
 *            (a LUN whose medium is absent or unusable: "LUN 0 0 absent\n").
 *            Anyone may read it.
 *   "N"      LUN N (decimal, 0-based, no sign or leading zeros): the disk.
 *            Root's only, as /dev/sdX is: a client whose uid (as the
 *            server sees it) is not 0 gets -EACCES, whatever the mode.
 *            O_RDONLY, O_WRONLY or O_RDWR; writing on write-protected
 *            media: -EROFS at open. A LUN without a usable medium: -ENODEV
 *            (-ENOMEDIUM when the device says none is present).
 *   other    -ENOENT.
 *
 * On a disk handle (off, len in bytes):
 *   READ / WRITE
 *     - off and len multiples of the logical block size, else -EINVAL;
 *     - len 0: result 0, no I/O;
 *     - READ at off >= size: 0 (end of disk); crossing the end: short, up
 *       to the end;
 *     - WRITE with off + len > size: -ENOSPC, nothing written;
 *     - WRITE on a handle opened O_RDONLY: -EBADF; on write-protected
 *       media: -EROFS;
 *     - the result is the bytes transferred, sent only after the device
 *       confirmed them (a good CSW). Failures are a negative errno, never
 *       success for data not done: -EIO (the device or transport failed:
 *       a medium error, a CSW that does not check out, a transfer that
 *       timed out on every attempt, a reset that did not bring it back),
 *       -ENODEV (the device or xhcid went away), -EROFS, -ENOSPC,
 *       -EINVAL, -ENOMEDIUM;
 *     - requests up to USCHEME_IO_MAX (1 MiB) are taken whole and split by
 *       the server at the device's limit (usbscsid: the Block Limits VPD's
 *       MAXIMUM TRANSFER LENGTH where offered, and 1 MiB at most), never
 *       refused for their size. A READ that failed part-way answers the
 *       error (no partial success counts), so does a WRITE: whatever part
 *       of it reached the medium is undefined, as on any block device.
 *   FSTAT      mode S_IFBLK | 0600 (0400 when write-protected), size =
 *              capacity in bytes, blksize = logical block size, blocks =
 *              size / 512.
 *   FSYNC      flushes the device's write cache (SCSI SYNCHRONIZE CACHE)
 *              and answers when it is done: 0, or -EIO. A write
 *              acknowledged and then FSYNCed survives a power-off.
 *   FTRUNCATE  -EINVAL (a disk's size is fixed). There is no discard.
 *   CALL DISK_CALL_INFO  out: struct disk_info. res = its size.
 *
 * Many requests may be in flight at once on one handle and across
 * handles; the server orders nothing beyond what the device does (like a
 * block device: a client that needs ordering waits for completions, or
 * FSYNC). A request whose client gave up (CANCEL, the client died) is
 * still carried through to the device if it already started; its answer
 * is dropped by the kernel.
 *
 * Tools: `uscheme cat disk.usb.0000-00-04.0-1:` lists the LUNs; `uscheme cat
 * disk.usb.0000-00-04.0-1:0 | head -c 512` reads the first block;
 * dd-style use goes through a handle fd (us_open) with pread/pwrite of
 * whole blocks.
 */
#ifndef DISKSCHEME_H
#define DISKSCHEME_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define DISK_SCHEME_PREFIX	"disk."

enum disk_call {
	DISK_CALL_INFO = 1,
};

/**
 * struct disk_info - DISK_CALL_INFO's output
 * @size:	capacity in bytes
 * @block_size:	logical block size in bytes (512, 4096, ...)
 * @max_io:	bytes the server sends the device in one command at most
 * @lun:	the LUN this handle is
 * @readonly:	1: write-protected media
 * @resv:	zero
 * @vendor, @product, @revision: INQUIRY's, NUL-terminated, blanks trimmed
 */
struct disk_info {
	uint64_t size;
	uint32_t block_size;
	uint32_t max_io;
	uint8_t lun;
	uint8_t readonly;
	uint8_t resv[6];
	char vendor[9];
	char product[17];
	char revision[5];
	char resv2[9];
};

_Static_assert(sizeof(struct disk_info) == 64, "disk_info layout");

/*
 * "disk.usb.0000-00-04.0-1" (iface 0) or "disk.usb.0000-00-04.0-1.i2" from
 * the port's path "usb.0000-00-04.0:1". 0, or -1 (a path not of that form,
 * or len too small; 64 bytes are enough for any).
 */
static inline int disk_scheme_name(char *buf, size_t len, const char *port_path,
				   unsigned int iface)
{
	const char *colon = strrchr(port_path, ':');
	int n;

	if (strncmp(port_path, "usb.", 4) || !colon || colon == port_path + 4 || !colon[1])
		return -1;
	if (iface)
		n = snprintf(buf, len, DISK_SCHEME_PREFIX "%s.i%u", port_path, iface);
	else
		n = snprintf(buf, len, DISK_SCHEME_PREFIX "%s", port_path);
	if (n < 0 || (size_t)n >= len)
		return -1;
	for (char *p = buf; *p; p++) {
		if (*p == ':')
			*p = '-';
		else if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' ||
			   *p == '-' || *p == '_'))
			return -1;
	}
	return 0;
}

#endif /* DISKSCHEME_H */
