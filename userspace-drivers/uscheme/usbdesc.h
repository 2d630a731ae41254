/* SPDX-License-Identifier: MIT */
/*
 * USB descriptors as a usb.*: port handle READs them (the device descriptor,
 * then each configuration with all it holds, wTotalLength bytes each; see
 * ../xhcid/usbscheme.h): a parser that trusts nothing it is given, an
 * lsusb -v style printer, and the parser of one line of a usb.* scheme's
 * directory listing. No I/O besides the FILE printed to, so the host unit
 * test (tests/drivers/unit/usbdesc_test.c) feeds them bytes.
 *
 * usbdesc_parse() checks every descriptor's bLength against the bytes that
 * arrived and against its configuration's wTotalLength; a bLength under 2
 * (0 would never advance), under the type's minimum, or past the end stops
 * the parse with a message and the offset. What came before stays parsed
 * and printable. The result is flat: arrays of configurations, interfaces,
 * endpoints and other descriptors; a configuration's interfaces and an
 * interface's endpoints are ranges [first, first + count) of the next array
 * (descriptors arrive in order), and items lists them all in that order.
 */
#ifndef USCHEME_USBDESC_H
#define USCHEME_USBDESC_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define USB_DT_DEVICE		0x01
#define USB_DT_CONFIG		0x02
#define USB_DT_STRING		0x03
#define USB_DT_INTERFACE	0x04
#define USB_DT_ENDPOINT		0x05
#define USB_DT_IAD		0x0b
#define USB_DT_HID		0x21
#define USB_DT_SS_EP_COMP	0x30

/* The minimum bLength of each standard descriptor. */
#define USB_DT_DEVICE_SIZE	18
#define USB_DT_CONFIG_SIZE	9
#define USB_DT_INTERFACE_SIZE	9
#define USB_DT_ENDPOINT_SIZE	7
#define USB_DT_IAD_SIZE		8
#define USB_DT_HID_SIZE		6	/* + 3 bytes per class descriptor */
#define USB_DT_SS_EP_COMP_SIZE	6

#define USBDESC_NONE		((size_t)-1)

/*
 * A descriptor the parser does not model as a node (HID, IAD,
 * class-specific, ...): where it is and what it belongs to. An Interface
 * Association belongs to its configuration wherever it stands; any other
 * to the endpoint (ep) or else the interface (iface) it follows, or else
 * to the configuration (both USBDESC_NONE).
 */
struct usbdesc_other {
	size_t off;		/* in the parsed buffer */
	uint8_t len, type;
	size_t cfg, iface, ep;
};

struct usbdesc_ep {
	size_t off;
	uint8_t length;
	uint8_t address;	/* bEndpointAddress: bit 7 IN */
	uint8_t attributes;	/* bmAttributes: bits 0-1 the transfer type */
	uint8_t interval;
	uint16_t max_packet;	/* wMaxPacketSize, raw */
	uint8_t has_ss;		/* a SuperSpeed companion followed it */
	uint8_t ss_length, ss_max_burst, ss_attributes;
	uint16_t ss_bytes_per_interval;
	size_t iface;
};

struct usbdesc_if {
	size_t off;
	uint8_t length;
	uint8_t number, alternate, num_endpoints;
	uint8_t cls, subclass, protocol, iinterface;
	size_t cfg;
	size_t ep0, nep;	/* endpoints found after it */
};

struct usbdesc_cfg {
	size_t off;
	uint8_t length;
	uint16_t total_length;
	uint8_t num_interfaces, value, iconfiguration, attributes, max_power;
	size_t if0, nif;	/* interface descriptors (alternates too) */
};

/* Every descriptor after the device's, in the order they arrived. */
enum usbdesc_kind { USBDESC_CFG, USBDESC_IF, USBDESC_EP, USBDESC_SS, USBDESC_OTHER };
struct usbdesc_item {
	uint8_t kind;		/* enum usbdesc_kind */
	size_t index;		/* into cfg, ifs, eps (USBDESC_SS: its endpoint), other */
};

struct usbdesc_dev {
	uint8_t length;
	uint16_t bcd_usb;
	uint8_t cls, subclass, protocol, max_packet0;
	uint16_t vendor, product, bcd_device;
	uint8_t imanufacturer, iproduct, iserial, num_configs;
};

struct usbdesc {
	const uint8_t *buf;	/* the caller's; must outlive this */
	size_t len;
	int have_dev;		/* dev is valid */
	struct usbdesc_dev dev;
	struct usbdesc_cfg *cfg;
	struct usbdesc_if *ifs;
	struct usbdesc_ep *eps;
	struct usbdesc_other *other;
	struct usbdesc_item *items;
	size_t ncfg, nif, nep, nother, nitems;
	size_t cap_cfg, cap_if, cap_ep, cap_other, cap_items;
	char err[192];		/* "" when everything parsed */
};

/*
 * Parse len bytes at buf into d (zeroed here first). 0: every byte was
 * accounted for. -1: d->err says what is wrong and where (what came before
 * is in d); -2: out of memory (d->err says so too). Either way the caller
 * ends with usbdesc_free(d).
 */
int usbdesc_parse(struct usbdesc *d, const uint8_t *buf, size_t len);
void usbdesc_free(struct usbdesc *d);

/* The configuration whose bConfigurationValue is value, or NULL. */
const struct usbdesc_cfg *usbdesc_config(const struct usbdesc *d, uint8_t value);

/*
 * The lsusb -v style dump of what d holds. superspeed: the device runs at
 * SuperSpeed (MaxPower is in 8 mA units then, else 2 mA). String
 * descriptors are not in the data: their indices are printed.
 * indent: spaces before every line.
 */
void usbdesc_print(FILE *f, const struct usbdesc *d, int superspeed, int indent);

/* "Mass Storage" for 0x08 ...; "unknown" for a class without a name. */
const char *usb_class_name(uint8_t cls);

/* One line of a usb.* scheme's listing: "PORT STATE SPEED VVVV:PPPP CC/SS/PP". */
struct usb_port_row {
	unsigned int port;	/* 1..255 */
	int state;		/* enum usb_port_state */
	int speed;		/* enum usb_speed */
	int has_ids;		/* vendor, product valid ("-" otherwise) */
	uint16_t vendor, product;
	int has_class;		/* cls, subclass, protocol valid */
	uint8_t cls, subclass, protocol;
};

/*
 * Parse line (len bytes, no '\n'; NUL bytes in it make it malformed).
 * 0, or -1 with a reason in err.
 */
int usb_parse_port_line(const char *line, size_t len, struct usb_port_row *r,
			char *err, size_t errlen);

/* "super", "480M" ...: enum usb_speed as words and as lsusb -t's rate. */
const char *usb_speed_word(int speed);
const char *usb_speed_rate(int speed);
/* "empty", "attached", ...: enum usb_port_state. */
const char *usb_state_word(int state);

#endif /* USCHEME_USBDESC_H */
