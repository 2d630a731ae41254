/* SPDX-License-Identifier: MIT */
/*
 * pcid: the PCI daemon. It enumerates every PCI function through sysfs,
 * serves the "pci:" scheme, binds the functions its config file names to
 * uscheme's stub PCI driver and spawns their drivers, unprivileged, each
 * with one handle: its function's channel.
 *
 * The scheme (paths after "pci:"; ADDR is "0000:00:04.0", or "00:04.0"
 * for domain 0):
 *
 *   ""               a directory, one line per function, sorted:
 *                    "0000:00:04.0 1b36:000d 0c0330 uscheme\n"
 *                    (address, vendor:device, class code with subclass and
 *                    prog-if, the kernel driver bound now or "-")
 *   "ADDR"           a directory: "channel\nconfig\nstatus\n"
 *   "ADDR/config"    config space, as sysfs's config file. Reads: root
 *                    reads it all; others as the config's config-read
 *                    setting says (header: the first 64 bytes, like sysfs;
 *                    all; root: nothing, -EACCES). Writes (open O_WRONLY or
 *                    O_RDWR): root only, and only for a function bound to
 *                    uscheme, forwarded to the kernel's pcidev function
 *                    handle, which refuses what it must (-EPERM: IDs, BARs,
 *                    MSI/MSI-X/PM capabilities, ...). Else -EACCES.
 *   "ADDR/status"    text: "key value" lines about the function and the
 *                    driver pcid runs for it (state, pid, starts, last
 *                    exit, ...).
 *   "ADDR/channel"   the function's channel, below: root only (-EACCES),
 *                    O_RDWR (-EACCES), one open at a time (-EBUSY), the
 *                    function bound to uscheme (-ENODEV). pcid opens it
 *                    itself for each driver it spawns.
 *
 * The channel. Opening it opens the kernel's function handle,
 * "pcidev:ADDR" (so the device is enabled: decoding on, bus mastering
 * off); closing its last reference closes pcid's files of that session
 * (the kernel tears the device down once the driver's are gone too). On a
 * channel handle:
 *
 *   DUP suffix        the answer: one of pcid's files (USCHEME_CQE_F_FD),
 *                     so the driver gets a plain fd of the kernel's:
 *     "function"      the function handle itself (config pread/pwrite as
 *                     the kernel mediates them, USCHEME_PIOC_* ioctls)
 *     "bar0".."bar5"  a BAR fd (USCHEME_PIOC_BAR_OPEN): mmap, pread/pwrite
 *                     -ENOENT: the BAR is not implemented
 *     "irq/N"         interrupt vector N's fd (after PCID_CALL_IRQ_SETUP)
 *     "dma/SIZE"      a new DMA buffer of SIZE bytes (decimal, or 0x hex,
 *                     K/M suffixes; USCHEME_PIOC_DMA_ALLOC); its bus
 *                     address: USCHEME_PIOC_DMA_INFO on the fd
 *                     anything else: -ENOENT ("" too: a channel is not
 *                     shared); the kernel's errors unchanged
 *   CALL op_flags     (in = input, out = output buffer)
 *     PCID_CALL_INFO      out: struct uscheme_pci_info. res = its size
 *     PCID_CALL_MASTER    in: __u32 1 (bus mastering on) or 0 (off). res 0
 *     PCID_CALL_IRQ_SETUP in/out: struct uscheme_irq_setup (mode, nvec:
 *                         USCHEME_PIOC_IRQ_SETUP, once per session).
 *                         res = its size
 *     PCID_CALL_CHILD_START in: struct pcid_child_req; out (optional, up to
 *                         64 bytes): the driver's name (NUL-terminated).
 *                         Start a child driver for one object of the
 *                         driver's own scheme (below). res >= 0: started
 *                         (it runs once pcid has opened its handle), res
 *                         the bytes of the name written; -EPERM:
 *                         the rule has no child-config= (or its file did
 *                         not load), or the matching child rule runs as
 *                         the driver's own uid; -ENOENT: no child rule
 *                         matches; -ENOEXEC: the rule's program is not an
 *                         executable file; -EEXIST: one runs for that
 *                         object already; -ENOSPC: 256 children;
 *                         -ESHUTDOWN: pcid is stopping
 *     PCID_CALL_CHILD_STOP in: __u32 port (0: all). SIGTERM to the children
 *                         of that port, none restarted. res: how many
 *                     -EINVAL: an unknown op, a short input or output
 *   READ              text: the function, its BARs and interrupt modes
 *   FSTAT             a character device, size 0
 *   WRITE and the rest: -EINVAL / -ENOSYS
 *
 * When pcid is gone, the channel answers -EPIPE to everything and polls
 * READ|WRITE|ERR|HUP: a driver watches it and exits (pciprobe does). What a
 * driver took through the channel stays valid until it closes it.
 *
 * A spawned driver gets its channel as fd PCID_CHANNEL_FD_NUM (3), also
 * named by the environment: PCID_CHANNEL_FD=3, PCID_ADDRESS=ADDR; stdin on
 * /dev/null, stdout and stderr as pcid's; nothing else open. It runs with
 * the uid/gid of its config line (default 65534), no supplementary groups,
 * no capabilities, no_new_privs, default signal dispositions and mask.
 *
 * A rule with scheme=NAME ("usb.{address}": the address with ':' turned
 * into '-') also gets a scheme ring: before each start pcid sets up a
 * scheme ring (us_scheme_init, a data area of scheme-data= bytes) and
 * registers NAME on it, which needs CAP_SYS_ADMIN; the driver gets it as
 * fd PCID_SCHEME_FD_NUM (4), described by USCHEME_SCHEME=fd=4,name=NAME,...
 * in its environment (libuscheme.h), and serves it with
 * us_daemon_init_inherited (daemon.h). pcid closes its own copy once the
 * driver is forked, so the name is free again when the driver is gone, and
 * registers it anew for each restart. A name that is taken (-EEXIST) fails
 * that start (logged; the restart policy applies).
 *
 * Children (child-config=FILE with scheme=): a driver that serves a scheme
 * of objects that want drivers of their own (xhcid: USB interfaces) asks
 * pcid to start them, so that they run as a uid of their own, which the
 * unprivileged driver cannot give. FILE has this file's syntax (loaded
 * anew at each start of the driver; relative to this config's directory);
 * its rules match struct pcid_child_req's IDs and class code, its
 * user=/group= (default: its "set", else 65534) must differ from the
 * driver's. pcid, as root, opens "SCHEME:PORT" or "SCHEME:PORT/ifN" O_RDWR
 * on the driver's scheme and runs the rule's program with that handle as
 * fd 3 (USB_PORT_FD=3, USB_PORT=SCHEME:PORT, USB_INTERFACE=N for an
 * interface), {address} in its args being SCHEME:PORT; in its own session,
 * no capabilities, no_new_privs, stdin /dev/null, stdout and stderr
 * pcid's, nothing else open. Its exits are logged and restarted by its
 * rule (a handle that cannot be opened again, -ENODEV or -ENOENT: its
 * device is gone, not restarted). When the driver ends (exit, restart,
 * pcid stopping) its children get SIGTERM.
 */
#ifndef PCID_H
#define PCID_H

#include <stdint.h>

#include "../../uapi/uscheme.h"

#define PCID_SCHEME		"pci"
#define PCID_CHANNEL_FD_NUM	3
/* A rule with scheme=: the scheme ring pcid set up and registered for the driver. */
#define PCID_SCHEME_FD_NUM	4
#define PCID_ENV_CHANNEL	"PCID_CHANNEL_FD"
#define PCID_ENV_ADDRESS	"PCID_ADDRESS"
/* The name of uscheme's stub PCI driver (driver_override, sysfs). */
#define PCID_STUB_DRIVER	"uscheme"

/* CALL op_flags on a channel handle. */
enum pcid_call {
	PCID_CALL_INFO = 1,
	PCID_CALL_MASTER = 2,
	PCID_CALL_IRQ_SETUP = 3,
	PCID_CALL_CHILD_START = 4,
	PCID_CALL_CHILD_STOP = 5,
};

/**
 * struct pcid_child_req - PCID_CALL_CHILD_START's input
 * @port:	the object: SCHEME:PORT (1..255) ...
 * @iface:	... or SCHEME:PORT/ifN for N = @iface (0..31); -1: the port
 * @vendor, @device: the IDs child rules match (vendor=, device=, id=)
 * @class_code:	class << 16 | subclass << 8 | protocol (class=)
 * @resv:	zero
 */
struct pcid_child_req {
	uint32_t port;
	int32_t iface;
	uint16_t vendor, device;
	uint32_t class_code;
	uint32_t resv[2];
};

#define PCID_CHILDREN_MAX	256	/* children of one driver at once */

/* "0000:00:04.0": the longest address, with its NUL. */
#define PCID_ADDR_MAX		16

#endif /* PCID_H */
