/* SPDX-License-Identifier: MIT */
/*
 * The usb.*: scheme that xhcid serves, one per xHCI controller: what class
 * drivers (usbscsid) and tools (uscheme lsusb) include. A typed binary
 * protocol: one request per transfer, no text to parse except the
 * directory listing.
 *
 * The scheme's name is "usb." and the controller's PCI address with every
 * ':' turned into '-' (scheme names are [a-z0-9._-]): the controller at
 * 0000:00:04.0 serves "usb.0000-00-04.0". usb_scheme_name() builds it.
 *
 * Paths (PORT is a root-hub port number, decimal, 1..ports):
 *
 *   ""              a directory: one line per root-hub port, in order:
 *                   "PORT STATE SPEED VVVV:PPPP CC/SS/PP\n"
 *                   STATE  empty, attached (seen, not enumerated yet),
 *                          ready (enumerated), failed (enumeration failed)
 *                   SPEED  low, full, high, super, super+, or - (empty)
 *                   the device's IDs and the class/subclass/protocol of
 *                   its first interface (device's if it has its own), or
 *                   "-" for both when there is no device. Anyone may read.
 *   "PORT"          the port. O_RDONLY: anyone; READ gives the device's
 *                   descriptors, raw, as Linux's sysfs "descriptors" file
 *                   does (the device descriptor, then every configuration
 *                   descriptor with all it holds, wTotalLength bytes each);
 *                   CALL USB_CALL_PORT_INFO. O_RDWR: root only (-EACCES),
 *                   one at a time (-EBUSY): the port's owner, which alone
 *                   may make transfers (CALL USB_CALL_CONTROL, DUP
 *                   endpoints) and change the configuration. pcid hands a
 *                   class driver it starts for xhcid such a handle (or an
 *                   interface's, below). Any other path: -ENOENT; a port without a
 *                   ready device: -ENODEV.
 *   "PORT/ifN"      interface N (decimal, 0..31, no leading zero) of the
 *                   configuration set now, in its current alternate
 *                   setting (-ENOENT: no such interface, or none set).
 *                   O_RDONLY: anyone, as the port. O_RDWR: root only
 *                   (-EACCES), one owner per interface (-EBUSY), and never
 *                   together with the port's owner: the port's O_RDWR is
 *                   -EBUSY while any interface is owned, an interface's
 *                   while the port is. What a class driver of one
 *                   interface of a composite device holds (xhcid.conf).
 *
 * On a port handle:
 *   READ            the descriptors (offset honoured; 0 at their end)
 *   FSTAT           a regular file, size = the descriptors' length
 *   CALL op_flags:
 *     USB_CALL_PORT_INFO   out: struct usb_port_info. res = its size
 *     USB_CALL_CONTROL     in: struct usb_ctrl_req, then exactly wLength
 *                          bytes of data for an OUT request (bmRequestType
 *                          bit 7 clear), and no output room; an IN request:
 *                          the struct alone, and exactly wLength bytes of
 *                          output room (-EINVAL otherwise). res = bytes
 *                          received (IN, up to wLength) or 0 (OUT, all
 *                          sent). Owner only (-EPERM). Standard
 *                          requests that change the controller's view of
 *                          the device: SET_ADDRESS -EPERM (any direction or
 *                          recipient); SET_CONFIGURATION (00/09) and
 *                          SET_INTERFACE (01/0b) act as USB_CALL_SET_CONFIG
 *                          and USB_CALL_SET_ALT, -EINVAL in any other shape
 *                          (another bmRequestType, wValue or wIndex over a
 *                          byte, wLength not 0). CLEAR_FEATURE
 *                          (ENDPOINT_HALT) of a configured endpoint (02/01,
 *                          wIndex its address) resets the controller's side
 *                          too (its data toggle); -EBUSY while transfers are
 *                          queued on that endpoint
 *     USB_CALL_SET_CONFIG  in: __u32 bConfigurationValue (0 unconfigures).
 *                          Endpoint handles of the old one fail -ESTALE.
 *                          Owner only
 *     USB_CALL_SET_ALT     in: struct usb_alt_req. Owner only
 *     USB_CALL_PORT_RESET  no input, no output (-EINVAL otherwise). Owner
 *                          only (-EPERM). The device is taken away as on
 *                          an unplug (its class drivers stopped through
 *                          pcid, its pending transfers failed -ENODEV,
 *                          every handle of it -ESTALE, its owner's too),
 *                          the port reset (USB2: a port reset, USB3: a
 *                          warm reset) and the device enumerated again from
 *                          scratch as on a replug (a new generation, its
 *                          class drivers started again: open the port
 *                          anew). res 0 once the reset is started (done
 *                          from xhcid's loop, soon after); -EBUSY while one
 *                          asked for is not started yet. What a class
 *                          driver does when the device no longer answers
 *                          even Reset Recovery (Linux's usb_reset_device)
 *   DUP "epXX"      an endpoint of the current configuration, XX its
 *                   bEndpointAddress in two hex digits ("ep81" is IN 1,
 *                   "ep02" OUT 2; no other spelling).
 *                   Owner only (-EPERM); -ENOENT: no such endpoint.
 *
 * On an interface handle ("PORT/ifN", its owner): the same calls as on a
 * port handle, each confined to interface N:
 *   READ, FSTAT     the device's descriptors, as on the port
 *   CALL USB_CALL_PORT_INFO   as on the port, but @interface is N, @alt
 *                   its alternate setting now, and @if_class, @if_subclass,
 *                   @if_protocol are that interface's
 *   CALL USB_CALL_CONTROL     only: to the device, the standard IN
 *                   GET_DESCRIPTOR and GET_STATUS (bmRequestType 0x80);
 *                   to an interface (recipient 1), wIndex's low byte N
 *                   (standard, class or vendor: SET_INTERFACE thus of N
 *                   only); to an endpoint (recipient 2), wIndex's low byte
 *                   an endpoint of N in its current alternate setting
 *                   (CLEAR_FEATURE(ENDPOINT_HALT) as on the port). Anything
 *                   else -EPERM: SET_ADDRESS, SET_CONFIGURATION, other
 *                   requests to the device (SET_FEATURE, class, vendor),
 *                   other interfaces, other endpoints, EP0, recipient 3
 *   CALL USB_CALL_SET_CONFIG  -EPERM (the device's, the port owner's)
 *   CALL USB_CALL_PORT_RESET  as on the port, but only while N is the
 *                   device's only interface with an owner (-EPERM while
 *                   another interface's driver holds its own: the reset
 *                   would take its device away too)
 *   CALL USB_CALL_SET_ALT     interface N only (-EPERM otherwise). Its
 *                   endpoints are made anew: their old handles -ESTALE;
 *                   other interfaces' are untouched
 *   DUP "epXX"      an endpoint of interface N's current alternate
 *                   setting only (-ENOENT for any other)
 *   Events          as the port's handles
 *   Endpoint handles DUPed from it stay valid while it owns the interface
 *   and the endpoint is the one it was DUPed from (-ESTALE after its
 *   SET_ALT, a reconfiguration, a replug). Its transfers count against a
 *   budget of its own: 64 transfers and 2 MiB of buffers
 *   in flight (-EAGAIN beyond), so one interface's driver cannot use up
 *   another's.
 *
 * On an endpoint handle (bulk or interrupt):
 *   READ            one IN transfer of len bytes (one TD; offsets are
 *                   ignored). res = bytes received, fewer on a short
 *                   packet. -EINVAL on an OUT endpoint.
 *   WRITE           one OUT transfer of len bytes. res = len.
 *                   -EINVAL on an IN endpoint.
 *   CALL USB_CALL_EP_INFO  out: struct usb_ep_info. res = its size
 *   CALL USB_CALL_EP_TIMEOUT  in: __u32 ms, the deadline of each transfer
 *                   queued from now on (0: none). res 0. Defaults: bulk
 *                   USB_BULK_TIMEOUT_MS, interrupt none (a report comes
 *                   when the device has one; cancel to stop waiting)
 *   CALL USB_CALL_EP_POLL  in: __u32 1 or 0 (interrupt IN endpoints only,
 *                   else -EINVAL): readiness. While on, xhcid keeps one
 *                   transfer of wMaxPacketSize posted and queues up to 16
 *                   reports; the endpoint's handles are USCHEME_EV_READ
 *                   while one is queued (FILES_UPDATE, poll), 0 when none;
 *                   a READ takes the oldest at once (bytes beyond len are
 *                   dropped), or waits for the next. A full queue stops
 *                   fetching (the device holds its reports): nothing is
 *                   lost in xhcid. Off (0, or the port's owner closing it,
 *                   a new configuration, the device gone): waiting READs
 *                   are answered -ECANCELED (-ESTALE, -ENODEV), queued
 *                   reports dropped. res 0
 *   FSTAT           a character device
 *   Many transfers may be in flight on one endpoint (through a ring, or
 *   several threads); they complete in the order they were queued. A READ
 *   or WRITE longer than USB_XFER_MAX never reaches xhcid: the kernel
 *   moves at most USCHEME_IO_MAX (= USB_XFER_MAX) bytes per call, as it
 *   does for every scheme (a short count).
 *
 * Events (FILES_UPDATE, poll): directory and port handles are always
 * readable, like files; each change of a port (its device arrived, went,
 * was reset or got another configuration or alternate setting) sends
 * USCHEME_EV_READ to the directory's handles and to that port's handles,
 * so a FILES_UPDATE watcher gets an event CQE per change (then the
 * listing, USB_CALL_PORT_INFO or -ESTALE tell what). Endpoint handles are
 * readable until their endpoint's USB_CALL_EP_POLL is on; then they are
 * USCHEME_EV_READ exactly while a report waits (bulk endpoints: a queued
 * READ completes when data comes).
 *
 * Transfer errors (READ, WRITE, USB_CALL_CONTROL):
 *   -EINVAL     length 0 or over USB_XFER_MAX, wrong direction, a setup
 *               packet whose wLength disagrees with the buffers
 *   -EPIPE      the device STALLed; the endpoint is reset and usable again
 *               (the device's side too, for bulk and interrupt endpoints)
 *   -EPROTO     a transaction error, babble or another USB error
 *   -ECANCELED  cancelled (the client gave up: signal, CANCEL)
 *   -ETIMEDOUT  past its deadline: control USB_CTRL_TIMEOUT_MS, others
 *               the endpoint's (USB_CALL_EP_TIMEOUT); the TD was stopped
 *   -ENODEV     the device was removed (pending transfers end this way)
 *   -ESTALE     the handle's configuration or device is gone (reset,
 *               SET_CONFIG, replug): open the port again
 *   -ENOMEM     no DMA memory for the transfer now
 *   -EAGAIN     the port's owner has too many transfers in flight (256,
 *               or 4 MiB of buffers, counting page-rounded lengths): wait
 *               for some to complete. Every transfer holds one of the
 *               scheme's request slots until answered, and an interrupt
 *               endpoint's may never be: the limit keeps one owner from
 *               holding them all, which would stall every client of xhcid
 */
#ifndef USBSCHEME_H
#define USBSCHEME_H

#include <stdint.h>
#include <stdio.h>

#define USB_SCHEME_PREFIX	"usb."
/* Bytes of one transfer at most (the data of a READ, WRITE or CONTROL). */
#define USB_XFER_MAX		(1U << 20)
#define USB_CTRL_TIMEOUT_MS	5000
#define USB_BULK_TIMEOUT_MS	30000	/* as Linux's SCSI disks' default command timeout */

enum usb_call {
	USB_CALL_PORT_INFO = 1,
	USB_CALL_CONTROL = 2,
	USB_CALL_SET_CONFIG = 3,
	USB_CALL_SET_ALT = 4,
	USB_CALL_EP_INFO = 5,
	USB_CALL_EP_TIMEOUT = 6,
	USB_CALL_EP_POLL = 7,
	USB_CALL_PORT_RESET = 8,
};

/* struct usb_port_info.state */
enum usb_port_state {
	USB_PORT_EMPTY = 0,
	USB_PORT_ATTACHED = 1,
	USB_PORT_READY = 2,
	USB_PORT_FAILED = 3,
};

/* struct usb_port_info.speed: the xHCI PORTSC speed IDs of the default map */
enum usb_speed {
	USB_SPEED_NONE = 0,
	USB_SPEED_FULL = 1,
	USB_SPEED_LOW = 2,
	USB_SPEED_HIGH = 3,
	USB_SPEED_SUPER = 4,
	USB_SPEED_SUPER_PLUS = 5,
};

/**
 * struct usb_port_info - USB_CALL_PORT_INFO's output
 * @port:	the root-hub port number (1-based)
 * @state:	enum usb_port_state
 * @speed:	enum usb_speed
 * @usb3:	1 for a USB3 port (a SuperSpeed protocol port), else 0
 * @slot:	the xHCI slot (0 when not enumerated)
 * @vendor, @product, @bcd_device: from the device descriptor
 * @dev_class, @dev_subclass, @dev_protocol: the device descriptor's
 * @if_class, @if_subclass, @if_protocol: the first interface's (0xff.. if none)
 * @config:	the bConfigurationValue now set (0: unconfigured)
 * @num_configs: bNumConfigurations
 * @max_packet0: endpoint 0's max packet size
 * @desc_len:	the descriptors' length (READ on the port gives them)
 * @generation:	counts enumerations of this port (a replug or reset)
 * @interface:	on an interface handle ("PORT/ifN"): N, and @if_class,
 *		@if_subclass, @if_protocol are that interface's, in its
 *		alternate setting @alt now; 0xff on a port handle
 * @alt:	see @interface (0 on a port handle)
 * @resv0, @resv: zero
 */
struct usb_port_info {
	uint32_t port;
	uint8_t state;
	uint8_t speed;
	uint8_t usb3;
	uint8_t slot;
	uint16_t vendor;
	uint16_t product;
	uint16_t bcd_device;
	uint8_t dev_class, dev_subclass, dev_protocol;
	uint8_t if_class, if_subclass, if_protocol;
	uint8_t config;
	uint8_t num_configs;
	uint16_t max_packet0;
	uint32_t desc_len;
	uint32_t generation;
	uint8_t interface;
	uint8_t alt;
	uint16_t resv0;
	uint32_t resv[2];
};

/**
 * struct usb_ctrl_req - USB_CALL_CONTROL's input, before an OUT data stage
 * @bm_request_type, @b_request, @w_value, @w_index, @w_length: the setup
 *		packet's fields (host byte order; the wire is little-endian)
 * @resv:	zero
 */
struct usb_ctrl_req {
	uint8_t bm_request_type;
	uint8_t b_request;
	uint16_t w_value;
	uint16_t w_index;
	uint16_t w_length;
	uint32_t resv[2];
};

/** struct usb_alt_req - USB_CALL_SET_ALT's input */
struct usb_alt_req {
	uint8_t interface;
	uint8_t alternate;
	uint16_t resv0;
	uint32_t resv;
};

/* struct usb_ep_info.type: bmAttributes' transfer type */
enum usb_ep_type {
	USB_EP_CONTROL = 0,
	USB_EP_ISOC = 1,
	USB_EP_BULK = 2,
	USB_EP_INTERRUPT = 3,
};

/**
 * struct usb_ep_info - USB_CALL_EP_INFO's output
 * @address:	bEndpointAddress (bit 7: IN)
 * @type:	enum usb_ep_type
 * @interval:	bInterval
 * @resv0:	zero
 * @max_packet:	wMaxPacketSize's size bits
 * @max_burst:	from the SuperSpeed companion (0 otherwise)
 * @inflight:	transfers queued now
 * @timeout_ms:	each transfer's deadline (0: none)
 * @polling:	1 while USB_CALL_EP_POLL is on
 * @resv0b:	zero
 * @reports:	reports fetched ahead and not yet read (USB_CALL_EP_POLL)
 */
struct usb_ep_info {
	uint8_t address;
	uint8_t type;
	uint8_t interval;
	uint8_t resv0;
	uint16_t max_packet;
	uint16_t max_burst;
	uint32_t inflight;
	uint32_t timeout_ms;
	uint8_t polling;
	uint8_t resv0b[3];
	uint32_t reports;
};

_Static_assert(sizeof(struct usb_port_info) == 44, "usb_port_info layout");
_Static_assert(sizeof(struct usb_ctrl_req) == 16, "usb_ctrl_req layout");
_Static_assert(sizeof(struct usb_alt_req) == 8, "usb_alt_req layout");
_Static_assert(sizeof(struct usb_ep_info) == 24, "usb_ep_info layout");

/* "usb.0000-00-04.0" from "0000:00:04.0" into buf (at least 64 bytes). */
static inline int usb_scheme_name(char *buf, size_t len, const char *pci_addr)
{
	int n = snprintf(buf, len, USB_SCHEME_PREFIX "%s", pci_addr);
	char *p;

	if (n < 0 || (size_t)n >= len)
		return -1;
	for (p = buf; *p; p++)
		if (*p == ':')
			*p = '-';
	return 0;
}

#endif /* USBSCHEME_H */
