// SPDX-License-Identifier: MIT
/*
 * USB descriptors: the parser, the lsusb -v style printer, and a usb.*
 * listing line's parser (usbdesc.h). Nothing here trusts its input: every
 * length is checked against what is left before a byte is read.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../xhcid/usbscheme.h"
#include "usbdesc.h"

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

__attribute__((format(printf, 2, 3)))
static int fail(struct usbdesc *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d->err, sizeof(d->err), fmt, ap);
	va_end(ap);
	return -1;
}

/* Room for one more element in *arr (n used of *cap). 0 or -1. */
static int grow(void **arr, size_t *cap, size_t n, size_t size)
{
	size_t ncap;
	void *p;

	if (n < *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	if (ncap > SIZE_MAX / size)
		return -1;
	p = realloc(*arr, ncap * size);
	if (!p)
		return -1;
	*arr = p;
	*cap = ncap;
	return 0;
}

#define GROW(d, arr, n, cap) grow((void **)&(d)->arr, &(d)->cap, (d)->n, sizeof(*(d)->arr))

static int oom(struct usbdesc *d)
{
	fail(d, "out of memory");
	return -2;
}

static int add_item(struct usbdesc *d, uint8_t kind, size_t index)
{
	if (GROW(d, items, nitems, cap_items))
		return oom(d);
	d->items[d->nitems].kind = kind;
	d->items[d->nitems].index = index;
	d->nitems++;
	return 0;
}

static const char *type_name(uint8_t type)
{
	switch (type) {
	case USB_DT_DEVICE: return "device";
	case USB_DT_CONFIG: return "configuration";
	case USB_DT_INTERFACE: return "interface";
	case USB_DT_ENDPOINT: return "endpoint";
	case USB_DT_IAD: return "interface association";
	case USB_DT_HID: return "HID";
	case USB_DT_SS_EP_COMP: return "SuperSpeed endpoint companion";
	}
	return "class-specific or unknown";
}

/*
 * The descriptors of configuration d->ncfg - 1, at [pos, end) (end: its
 * wTotalLength, already checked to lie within the buffer).
 */
static int parse_config(struct usbdesc *d, size_t pos, size_t end)
{
	const uint8_t *b = d->buf;
	size_t ci = d->ncfg - 1, cur_if = USBDESC_NONE, cur_ep = USBDESC_NONE;
	unsigned int value = d->cfg[ci].value, total = d->cfg[ci].total_length;
	int r;

	while (pos < end) {
		size_t left = end - pos;
		uint8_t bl, type;

		if (left < 2)
			return fail(d, "offset %zu: configuration %u's wTotalLength %u ends 1 byte into a descriptor",
				    pos, value, total);
		bl = b[pos];
		type = b[pos + 1];
		if (bl < 2)
			return fail(d, "offset %zu: descriptor type 0x%02x has bLength %u (at least 2)",
				    pos, type, bl);
		if (bl > left)
			return fail(d, "offset %zu: %s descriptor (type 0x%02x) bLength %u runs past the end of configuration %u (%zu of its wTotalLength %u bytes left)",
				    pos, type_name(type), type, bl, value, left, total);
		switch (type) {
		case USB_DT_DEVICE:
		case USB_DT_CONFIG:
			return fail(d, "offset %zu: a %s descriptor inside configuration %u",
				    pos, type_name(type), value);
		case USB_DT_INTERFACE: {
			struct usbdesc_if *i;

			if (bl < USB_DT_INTERFACE_SIZE)
				return fail(d, "offset %zu: interface descriptor bLength %u (at least %u)",
					    pos, bl, USB_DT_INTERFACE_SIZE);
			if (GROW(d, ifs, nif, cap_if))
				return oom(d);
			i = &d->ifs[d->nif];
			memset(i, 0, sizeof(*i));
			i->off = pos;
			i->length = bl;
			i->number = b[pos + 2];
			i->alternate = b[pos + 3];
			i->num_endpoints = b[pos + 4];
			i->cls = b[pos + 5];
			i->subclass = b[pos + 6];
			i->protocol = b[pos + 7];
			i->iinterface = b[pos + 8];
			i->cfg = ci;
			i->ep0 = d->nep;
			cur_if = d->nif++;
			cur_ep = USBDESC_NONE;
			d->cfg[ci].nif++;
			r = add_item(d, USBDESC_IF, cur_if);
			if (r)
				return r;
			break;
		}
		case USB_DT_ENDPOINT: {
			struct usbdesc_ep *e;

			if (bl < USB_DT_ENDPOINT_SIZE)
				return fail(d, "offset %zu: endpoint descriptor bLength %u (at least %u)",
					    pos, bl, USB_DT_ENDPOINT_SIZE);
			if (cur_if == USBDESC_NONE)
				return fail(d, "offset %zu: an endpoint descriptor before any interface of configuration %u",
					    pos, value);
			if (GROW(d, eps, nep, cap_ep))
				return oom(d);
			e = &d->eps[d->nep];
			memset(e, 0, sizeof(*e));
			e->off = pos;
			e->length = bl;
			e->address = b[pos + 2];
			e->attributes = b[pos + 3];
			e->max_packet = le16(b + pos + 4);
			e->interval = b[pos + 6];
			e->iface = cur_if;
			cur_ep = d->nep++;
			d->ifs[cur_if].nep++;
			r = add_item(d, USBDESC_EP, cur_ep);
			if (r)
				return r;
			break;
		}
		case USB_DT_SS_EP_COMP: {
			struct usbdesc_ep *e;

			if (bl < USB_DT_SS_EP_COMP_SIZE)
				return fail(d, "offset %zu: SuperSpeed endpoint companion bLength %u (at least %u)",
					    pos, bl, USB_DT_SS_EP_COMP_SIZE);
			/* Right after its endpoint, once (USB 3.2, 9.6.7). */
			if (cur_ep == USBDESC_NONE || d->items[d->nitems - 1].kind != USBDESC_EP)
				return fail(d, "offset %zu: a SuperSpeed endpoint companion not right after an endpoint descriptor",
					    pos);
			e = &d->eps[cur_ep];
			e->has_ss = 1;
			e->ss_length = bl;
			e->ss_max_burst = b[pos + 2];
			e->ss_attributes = b[pos + 3];
			e->ss_bytes_per_interval = le16(b + pos + 4);
			r = add_item(d, USBDESC_SS, cur_ep);
			if (r)
				return r;
			break;
		}
		default: {
			struct usbdesc_other *o;

			if (type == USB_DT_IAD && bl < USB_DT_IAD_SIZE)
				return fail(d, "offset %zu: interface association bLength %u (at least %u)",
					    pos, bl, USB_DT_IAD_SIZE);
			if (type == USB_DT_HID && cur_if != USBDESC_NONE && cur_ep == USBDESC_NONE &&
			    (bl < USB_DT_HID_SIZE || bl < USB_DT_HID_SIZE + 3 * b[pos + 5]))
				return fail(d, "offset %zu: HID descriptor bLength %u is short for %u class descriptors",
					    pos, bl, bl < USB_DT_HID_SIZE ? 0 : b[pos + 5]);
			if (GROW(d, other, nother, cap_other))
				return oom(d);
			o = &d->other[d->nother];
			o->off = pos;
			o->len = bl;
			o->type = type;
			o->cfg = ci;
			o->iface = type == USB_DT_IAD ? USBDESC_NONE : cur_if;
			o->ep = type == USB_DT_IAD ? USBDESC_NONE : cur_ep;
			r = add_item(d, USBDESC_OTHER, d->nother++);
			if (r)
				return r;
			break;
		}
		}
		pos += bl;
	}
	return 0;
}

int usbdesc_parse(struct usbdesc *d, const uint8_t *buf, size_t len)
{
	struct usbdesc_dev *dev = &d->dev;
	size_t off;
	int r;

	memset(d, 0, sizeof(*d));
	d->buf = buf;
	d->len = len;
	if (len < 2)
		return fail(d, "%zu byte%s: no device descriptor", len, len == 1 ? "" : "s");
	if (buf[1] != USB_DT_DEVICE)
		return fail(d, "offset 0: expected a device descriptor (type 0x01), got type 0x%02x",
			    buf[1]);
	if (buf[0] < USB_DT_DEVICE_SIZE)
		return fail(d, "offset 0: device descriptor bLength %u (at least %u)", buf[0],
			    USB_DT_DEVICE_SIZE);
	if (buf[0] > len)
		return fail(d, "offset 0: device descriptor bLength %u runs past the end (%zu bytes)",
			    buf[0], len);
	dev->length = buf[0];
	dev->bcd_usb = le16(buf + 2);
	dev->cls = buf[4];
	dev->subclass = buf[5];
	dev->protocol = buf[6];
	dev->max_packet0 = buf[7];
	dev->vendor = le16(buf + 8);
	dev->product = le16(buf + 10);
	dev->bcd_device = le16(buf + 12);
	dev->imanufacturer = buf[14];
	dev->iproduct = buf[15];
	dev->iserial = buf[16];
	dev->num_configs = buf[17];
	d->have_dev = 1;

	for (off = dev->length; off < len;) {
		size_t left = len - off;
		struct usbdesc_cfg *c;
		uint8_t bl, type;
		uint16_t total;

		if (left < 2)
			return fail(d, "offset %zu: 1 stray byte after the last configuration", off);
		bl = buf[off];
		type = buf[off + 1];
		if (type != USB_DT_CONFIG)
			return fail(d, "offset %zu: expected a configuration descriptor (type 0x02), got type 0x%02x (a wTotalLength before it lies?)",
				    off, type);
		if (bl < USB_DT_CONFIG_SIZE)
			return fail(d, "offset %zu: configuration descriptor bLength %u (at least %u)",
				    off, bl, USB_DT_CONFIG_SIZE);
		if (bl > left)
			return fail(d, "offset %zu: configuration descriptor bLength %u runs past the end (%zu bytes left)",
				    off, bl, left);
		total = le16(buf + off + 2);
		if (total < bl)
			return fail(d, "offset %zu: configuration wTotalLength %u is less than its bLength %u",
				    off, total, bl);
		if (total > left)
			return fail(d, "offset %zu: configuration wTotalLength %u runs past the end (%zu bytes left)",
				    off, total, left);
		if (d->ncfg >= dev->num_configs)
			return fail(d, "offset %zu: a configuration beyond bNumConfigurations (%u)",
				    off, dev->num_configs);
		if (GROW(d, cfg, ncfg, cap_cfg))
			return oom(d);
		c = &d->cfg[d->ncfg];
		memset(c, 0, sizeof(*c));
		c->off = off;
		c->length = bl;
		c->total_length = total;
		c->num_interfaces = buf[off + 4];
		c->value = buf[off + 5];
		c->iconfiguration = buf[off + 6];
		c->attributes = buf[off + 7];
		c->max_power = buf[off + 8];
		c->if0 = d->nif;
		r = add_item(d, USBDESC_CFG, d->ncfg++);
		if (r)
			return r;
		r = parse_config(d, off + bl, off + total);
		if (r)
			return r;
		off += total;
	}
	return 0;
}

void usbdesc_free(struct usbdesc *d)
{
	free(d->cfg);
	free(d->ifs);
	free(d->eps);
	free(d->other);
	free(d->items);
	d->cfg = NULL;
	d->ifs = NULL;
	d->eps = NULL;
	d->other = NULL;
	d->items = NULL;
	d->ncfg = d->nif = d->nep = d->nother = d->nitems = 0;
	d->cap_cfg = d->cap_if = d->cap_ep = d->cap_other = d->cap_items = 0;
}

const struct usbdesc_cfg *usbdesc_config(const struct usbdesc *d, uint8_t value)
{
	size_t i;

	for (i = 0; i < d->ncfg; i++)
		if (d->cfg[i].value == value)
			return &d->cfg[i];
	return NULL;
}

/* The names usb.ids gives the base classes. */
const char *usb_class_name(uint8_t cls)
{
	switch (cls) {
	case 0x00: return "Defined at Interface level";
	case 0x01: return "Audio";
	case 0x02: return "Communications";
	case 0x03: return "Human Interface Device";
	case 0x05: return "Physical Interface Device";
	case 0x06: return "Imaging";
	case 0x07: return "Printer";
	case 0x08: return "Mass Storage";
	case 0x09: return "Hub";
	case 0x0a: return "CDC Data";
	case 0x0b: return "Chip/SmartCard";
	case 0x0d: return "Content Security";
	case 0x0e: return "Video";
	case 0x0f: return "Personal Healthcare";
	case 0x10: return "Audio/Video";
	case 0x11: return "Billboard";
	case 0x12: return "Type-C Bridge";
	case 0xdc: return "Diagnostic";
	case 0xe0: return "Wireless";
	case 0xef: return "Miscellaneous Device";
	case 0xfe: return "Application Specific Interface";
	case 0xff: return "Vendor Specific Class";
	}
	return "unknown";
}

static const char *subclass_name(uint8_t cls, uint8_t sub)
{
	if (cls == 0x08) {
		switch (sub) {
		case 0x01: return "RBC (typically Flash)";
		case 0x02: return "SFF-8020i, MMC-2 (ATAPI)";
		case 0x04: return "Floppy (UFI)";
		case 0x05: return "SFF-8070i";
		case 0x06: return "SCSI";
		}
	}
	if (cls == 0x03 && sub == 0x01)
		return "Boot Interface Subclass";
	return "";
}

static const char *protocol_name(uint8_t cls, uint8_t sub, uint8_t proto)
{
	if (cls == 0x08) {
		switch (proto) {
		case 0x00: return "Control/Bulk/Interrupt";
		case 0x01: return "Control/Bulk";
		case 0x50: return "Bulk-Only";
		case 0x62: return "UAS";
		}
	}
	if (cls == 0x03 && sub == 0x01) {
		switch (proto) {
		case 0x01: return "Keyboard";
		case 0x02: return "Mouse";
		}
	}
	if (cls == 0x09) {
		switch (proto) {
		case 0x00: return "Full speed (or root) hub";
		case 0x01: return "Single TT";
		case 0x02: return "TT per port";
		case 0x03: return "SuperSpeed hub";
		}
	}
	return "";
}

/*
 * lsusb's columns: name, then the value (printf) right-aligned to column
 * ind + 25, then tail verbatim.
 */
__attribute__((format(printf, 5, 6)))
static void field(FILE *f, int ind, const char *name, const char *tail, const char *fmt, ...)
{
	char value[32];
	va_list ap;
	int pad;

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	pad = 25 - (int)strlen(name) - (int)strlen(value);
	fprintf(f, "%*s%s%*s%s%s\n", ind, "", name, pad < 1 ? 1 : pad, "", value, tail);
}

/* A number and its meaning ("8 Mass Storage"; no name: the number alone). */
static void fieldn(FILE *f, int ind, const char *name, unsigned int v, const char *meaning)
{
	char tail[64];

	snprintf(tail, sizeof(tail), "%s%s", meaning[0] ? " " : "", meaning);
	field(f, ind, name, tail, "%u", v);
}

static void print_bcd(FILE *f, int ind, const char *name, uint16_t v)
{
	field(f, ind, name, "", "%x.%02x", v >> 8, v & 0xff);
}

static void print_hex(FILE *f, int ind, const uint8_t *p, size_t n)
{
	size_t i;

	fprintf(f, "%*s** UNRECOGNIZED: ", ind, "");
	for (i = 0; i < n; i++)
		fprintf(f, " %02x", p[i]);
	fprintf(f, "\n");
}

static void print_config(FILE *f, const struct usbdesc *d, const struct usbdesc_cfg *c,
			 int superspeed, int ind)
{
	uint8_t seen[32] = { 0 };
	unsigned int distinct = 0;
	size_t i;

	fprintf(f, "%*sConfiguration Descriptor:\n", ind, "");
	ind += 2;
	field(f, ind, "bLength", "", "%u", c->length);
	field(f, ind, "bDescriptorType", "", "%u", USB_DT_CONFIG);
	field(f, ind, "wTotalLength", "", "0x%04x", c->total_length);
	field(f, ind, "bNumInterfaces", "", "%u", c->num_interfaces);
	field(f, ind, "bConfigurationValue", "", "%u", c->value);
	field(f, ind, "iConfiguration", "", "%u", c->iconfiguration);
	field(f, ind, "bmAttributes", "", "0x%02x", c->attributes);
	if (!(c->attributes & 0x40))
		fprintf(f, "%*s(Bus Powered)\n", ind + 2, "");
	else
		fprintf(f, "%*sSelf Powered\n", ind + 2, "");
	if (c->attributes & 0x20)
		fprintf(f, "%*sRemote Wakeup\n", ind + 2, "");
	field(f, ind, "MaxPower", "mA", "%u", c->max_power * (superspeed ? 8U : 2U));
	for (i = c->if0; i < c->if0 + c->nif && i < d->nif; i++) {
		uint8_t n = d->ifs[i].number;

		if (!(seen[n / 8] & (1U << (n % 8)))) {
			seen[n / 8] |= (uint8_t)(1U << (n % 8));
			distinct++;
		}
	}
	if (!d->err[0] && distinct != c->num_interfaces)
		fprintf(f, "%*s** bNumInterfaces says %u, %u interface%s found\n", ind, "",
			c->num_interfaces, distinct, distinct == 1 ? "" : "s");
}

static void print_interface(FILE *f, const struct usbdesc *d, const struct usbdesc_if *i, int ind)
{
	fprintf(f, "%*sInterface Descriptor:\n", ind, "");
	ind += 2;
	field(f, ind, "bLength", "", "%u", i->length);
	field(f, ind, "bDescriptorType", "", "%u", USB_DT_INTERFACE);
	field(f, ind, "bInterfaceNumber", "", "%u", i->number);
	field(f, ind, "bAlternateSetting", "", "%u", i->alternate);
	field(f, ind, "bNumEndpoints", "", "%u", i->num_endpoints);
	fieldn(f, ind, "bInterfaceClass", i->cls, usb_class_name(i->cls));
	fieldn(f, ind, "bInterfaceSubClass", i->subclass, subclass_name(i->cls, i->subclass));
	fieldn(f, ind, "bInterfaceProtocol", i->protocol,
	       protocol_name(i->cls, i->subclass, i->protocol));
	field(f, ind, "iInterface", "", "%u", i->iinterface);
	if (!d->err[0] && i->nep != i->num_endpoints)
		fprintf(f, "%*s** bNumEndpoints says %u, %zu endpoint%s found\n", ind, "",
			i->num_endpoints, i->nep, i->nep == 1 ? "" : "s");
}

static void print_endpoint(FILE *f, const struct usbdesc_ep *e, int ind)
{
	static const char *const types[] = { "Control", "Isochronous", "Bulk", "Interrupt" };
	static const char *const syncs[] = { "None", "Asynchronous", "Adaptive", "Synchronous" };
	static const char *const usages[] = { "Data", "Feedback", "Implicit feedback Data",
					      "(reserved)" };
	unsigned int mult = ((e->max_packet >> 11) & 3) + 1;
	char tail[32];

	fprintf(f, "%*sEndpoint Descriptor:\n", ind, "");
	ind += 2;
	field(f, ind, "bLength", "", "%u", e->length);
	field(f, ind, "bDescriptorType", "", "%u", USB_DT_ENDPOINT);
	snprintf(tail, sizeof(tail), "  EP %u %s", e->address & 0x0f,
		 e->address & 0x80 ? "IN" : "OUT");
	field(f, ind, "bEndpointAddress", tail, "0x%02x", e->address);
	field(f, ind, "bmAttributes", "", "%u", e->attributes);
	fprintf(f, "%*s%-25s%s\n", ind + 2, "", "Transfer Type", types[e->attributes & 3]);
	fprintf(f, "%*s%-25s%s\n", ind + 2, "", "Synch Type", syncs[(e->attributes >> 2) & 3]);
	fprintf(f, "%*s%-25s%s\n", ind + 2, "", "Usage Type", usages[(e->attributes >> 4) & 3]);
	snprintf(tail, sizeof(tail), "  %ux %u bytes", mult, e->max_packet & 0x7ffU);
	field(f, ind, "wMaxPacketSize", tail, "0x%04x", e->max_packet);
	field(f, ind, "bInterval", "", "%u", e->interval);
}

static void print_companion(FILE *f, const struct usbdesc_ep *e, int ind)
{
	fprintf(f, "%*sSuperSpeed Endpoint Companion:\n", ind, "");
	ind += 2;
	field(f, ind, "bLength", "", "%u", e->ss_length);
	field(f, ind, "bDescriptorType", "", "%u", USB_DT_SS_EP_COMP);
	field(f, ind, "bMaxBurst", "", "%u", e->ss_max_burst);
	field(f, ind, "bmAttributes", "", "0x%02x", e->ss_attributes);
	if ((e->attributes & 3) == 2 && (e->ss_attributes & 0x1f))
		fprintf(f, "%*s%-25s%u\n", ind + 2, "", "MaxStreams", 1U << (e->ss_attributes & 0x1f));
	if ((e->attributes & 3) == 1)
		fprintf(f, "%*s%-25s%u\n", ind + 2, "", "Mult", (e->ss_attributes & 3) + 1U);
	field(f, ind, "wBytesPerInterval", "", "%u", e->ss_bytes_per_interval);
}

static void print_other(FILE *f, const struct usbdesc *d, const struct usbdesc_other *o, int ind)
{
	const uint8_t *p = d->buf + o->off;
	unsigned int i, n;

	if (o->type == USB_DT_IAD && o->len >= USB_DT_IAD_SIZE) {
		fprintf(f, "%*sInterface Association:\n", ind, "");
		ind += 2;
		field(f, ind, "bLength", "", "%u", o->len);
		field(f, ind, "bDescriptorType", "", "%u", o->type);
		field(f, ind, "bFirstInterface", "", "%u", p[2]);
		field(f, ind, "bInterfaceCount", "", "%u", p[3]);
		fieldn(f, ind, "bFunctionClass", p[4], usb_class_name(p[4]));
		fieldn(f, ind, "bFunctionSubClass", p[5], subclass_name(p[4], p[5]));
		fieldn(f, ind, "bFunctionProtocol", p[6], protocol_name(p[4], p[5], p[6]));
		field(f, ind, "iFunction", "", "%u", p[7]);
		return;
	}
	/* The parser checked a HID descriptor's length only where it belongs. */
	if (o->type == USB_DT_HID && o->ep == USBDESC_NONE && o->iface != USBDESC_NONE &&
	    o->len >= USB_DT_HID_SIZE && o->len >= USB_DT_HID_SIZE + 3 * p[5]) {
		fprintf(f, "%*sHID Device Descriptor:\n", ind, "");
		ind += 2;
		field(f, ind, "bLength", "", "%u", o->len);
		field(f, ind, "bDescriptorType", "", "%u", o->type);
		print_bcd(f, ind, "bcdHID", le16(p + 2));
		field(f, ind, "bCountryCode", "", "%u", p[4]);
		field(f, ind, "bNumDescriptors", "", "%u", p[5]);
		for (i = 0, n = p[5]; i < n; i++) {
			const uint8_t *c = p + USB_DT_HID_SIZE + 3 * i;

			fieldn(f, ind, "bDescriptorType", c[0],
			       c[0] == 0x22 ? "Report" : c[0] == 0x23 ? "Physical" : "");
			field(f, ind, "wDescriptorLength", "", "%u", le16(c + 1));
		}
		return;
	}
	print_hex(f, ind, p, o->len);
}

void usbdesc_print(FILE *f, const struct usbdesc *d, int superspeed, int indent)
{
	const struct usbdesc_dev *v = &d->dev;
	size_t k;
	int ind = indent;

	if (!d->have_dev)
		return;
	fprintf(f, "%*sDevice Descriptor:\n", ind, "");
	ind += 2;
	field(f, ind, "bLength", "", "%u", v->length);
	field(f, ind, "bDescriptorType", "", "%u", USB_DT_DEVICE);
	print_bcd(f, ind, "bcdUSB", v->bcd_usb);
	fieldn(f, ind, "bDeviceClass", v->cls, usb_class_name(v->cls));
	fieldn(f, ind, "bDeviceSubClass", v->subclass, subclass_name(v->cls, v->subclass));
	fieldn(f, ind, "bDeviceProtocol", v->protocol,
	       protocol_name(v->cls, v->subclass, v->protocol));
	field(f, ind, "bMaxPacketSize0", "", "%u", v->max_packet0);
	field(f, ind, "idVendor", "", "0x%04x", v->vendor);
	field(f, ind, "idProduct", "", "0x%04x", v->product);
	print_bcd(f, ind, "bcdDevice", v->bcd_device);
	field(f, ind, "iManufacturer", "", "%u", v->imanufacturer);
	field(f, ind, "iProduct", "", "%u", v->iproduct);
	field(f, ind, "iSerial", "", "%u", v->iserial);
	field(f, ind, "bNumConfigurations", "", "%u", v->num_configs);
	if (!d->err[0] && d->ncfg != v->num_configs)
		fprintf(f, "%*s** %zu of %u configurations present\n", ind, "", d->ncfg,
			v->num_configs);
	for (k = 0; k < d->nitems; k++) {
		const struct usbdesc_item *it = &d->items[k];
		const struct usbdesc_other *o;

		switch (it->kind) {
		case USBDESC_CFG:
			print_config(f, d, &d->cfg[it->index], superspeed, indent + 2);
			break;
		case USBDESC_IF:
			print_interface(f, d, &d->ifs[it->index], indent + 4);
			break;
		case USBDESC_EP:
			print_endpoint(f, &d->eps[it->index], indent + 6);
			break;
		case USBDESC_SS:
			print_companion(f, &d->eps[it->index], indent + 8);
			break;
		case USBDESC_OTHER:
			o = &d->other[it->index];
			print_other(f, d, o, indent + (o->ep != USBDESC_NONE ? 8 :
						       o->iface != USBDESC_NONE ? 6 : 4));
			break;
		}
	}
}

const char *usb_speed_word(int speed)
{
	switch (speed) {
	case USB_SPEED_LOW: return "low";
	case USB_SPEED_FULL: return "full";
	case USB_SPEED_HIGH: return "high";
	case USB_SPEED_SUPER: return "super";
	case USB_SPEED_SUPER_PLUS: return "super+";
	}
	return "-";
}

const char *usb_speed_rate(int speed)
{
	switch (speed) {
	case USB_SPEED_LOW: return "1.5M";
	case USB_SPEED_FULL: return "12M";
	case USB_SPEED_HIGH: return "480M";
	case USB_SPEED_SUPER: return "5000M";
	case USB_SPEED_SUPER_PLUS: return "10000M";
	}
	return "-";
}

const char *usb_state_word(int state)
{
	switch (state) {
	case USB_PORT_EMPTY: return "empty";
	case USB_PORT_ATTACHED: return "attached";
	case USB_PORT_READY: return "ready";
	case USB_PORT_FAILED: return "failed";
	}
	return "?";
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* n hex digits at s into *v; 0 or -1. */
static int hexn(const char *s, size_t n, unsigned int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		int h = hexval(s[i]);

		if (h < 0)
			return -1;
		*v = *v << 4 | (unsigned int)h;
	}
	return 0;
}

static int tok_is(const char *t, size_t n, const char *word)
{
	return strlen(word) == n && !memcmp(t, word, n);
}

int usb_parse_port_line(const char *line, size_t len, struct usb_port_row *r,
			char *err, size_t errlen)
{
	const char *tok[5];
	size_t tlen[5], pos = 0, n = 0, i;
	unsigned int a, b, c;

	memset(r, 0, sizeof(*r));
	if (memchr(line, 0, len)) {
		snprintf(err, errlen, "a NUL byte in the line");
		return -1;
	}
	while (pos < len) {
		size_t start;

		while (pos < len && (line[pos] == ' ' || line[pos] == '\t'))
			pos++;
		if (pos == len)
			break;
		if (n == 5) {
			snprintf(err, errlen, "more than 5 fields");
			return -1;
		}
		start = pos;
		while (pos < len && line[pos] != ' ' && line[pos] != '\t')
			pos++;
		tok[n] = line + start;
		tlen[n++] = pos - start;
	}
	if (n != 5) {
		snprintf(err, errlen, "%zu field%s, not 5 (PORT STATE SPEED VVVV:PPPP CC/SS/PP)",
			 n, n == 1 ? "" : "s");
		return -1;
	}
	/* PORT: 1..255, decimal, no sign or leading zero */
	if (tlen[0] > 3 || tok[0][0] == '0') {
		snprintf(err, errlen, "bad port number '%.*s'", (int)tlen[0], tok[0]);
		return -1;
	}
	for (i = 0; i < tlen[0]; i++) {
		if (tok[0][i] < '0' || tok[0][i] > '9') {
			snprintf(err, errlen, "bad port number '%.*s'", (int)tlen[0], tok[0]);
			return -1;
		}
		r->port = r->port * 10 + (unsigned int)(tok[0][i] - '0');
	}
	if (r->port > 255) {
		snprintf(err, errlen, "port number %u over 255", r->port);
		return -1;
	}
	for (i = USB_PORT_EMPTY; i <= USB_PORT_FAILED; i++)
		if (tok_is(tok[1], tlen[1], usb_state_word((int)i)))
			break;
	if (i > USB_PORT_FAILED) {
		snprintf(err, errlen, "unknown state '%.*s'", (int)tlen[1], tok[1]);
		return -1;
	}
	r->state = (int)i;
	for (i = USB_SPEED_NONE; i <= USB_SPEED_SUPER_PLUS; i++)
		if (tok_is(tok[2], tlen[2], usb_speed_word((int)i)))
			break;
	if (i > USB_SPEED_SUPER_PLUS) {
		snprintf(err, errlen, "unknown speed '%.*s'", (int)tlen[2], tok[2]);
		return -1;
	}
	r->speed = (int)i;
	if (!tok_is(tok[3], tlen[3], "-")) {
		if (tlen[3] != 9 || tok[3][4] != ':' || hexn(tok[3], 4, &a) ||
		    hexn(tok[3] + 5, 4, &b)) {
			snprintf(err, errlen, "bad IDs '%.*s' (VVVV:PPPP)", (int)tlen[3], tok[3]);
			return -1;
		}
		r->has_ids = 1;
		r->vendor = (uint16_t)a;
		r->product = (uint16_t)b;
	}
	if (!tok_is(tok[4], tlen[4], "-")) {
		if (tlen[4] != 8 || tok[4][2] != '/' || tok[4][5] != '/' || hexn(tok[4], 2, &a) ||
		    hexn(tok[4] + 3, 2, &b) || hexn(tok[4] + 6, 2, &c)) {
			snprintf(err, errlen, "bad class '%.*s' (CC/SS/PP)", (int)tlen[4], tok[4]);
			return -1;
		}
		r->has_class = 1;
		r->cls = (uint8_t)a;
		r->subclass = (uint8_t)b;
		r->protocol = (uint8_t)c;
	}
	if (r->state == USB_PORT_EMPTY && (r->has_ids || r->has_class || r->speed != USB_SPEED_NONE)) {
		snprintf(err, errlen, "an empty port with a speed, IDs or a class");
		return -1;
	}
	return 0;
}
