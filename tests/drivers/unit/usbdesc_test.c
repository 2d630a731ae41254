// SPDX-License-Identifier: MIT
/*
 * uscheme lsusb's descriptor parser and printer (uscheme/usbdesc.c) without
 * a kernel: the descriptors of QEMU's usb-storage (SuperSpeed and high
 * speed) and usb-kbd (high and full speed) as a usb.*: port handle READs
 * them (each byte for byte what Linux's xhci_hcd put in sysfs's
 * "descriptors" for that device under QEMU 7.2, stock 6.12 kernel), a
 * synthetic composite device (two configurations, interface associations,
 * alternate settings, class-specific descriptors, an isochronous endpoint),
 * then truncated and malicious ones (bLength 0 and 1, bLength past the end,
 * wTotalLength lies both ways, descriptors where they cannot be) and random
 * mutations of them all, each parsed from a buffer of its exact size (so
 * valgrind sees any read past it) and checked for a consistent result;
 * and the parser of the scheme's listing lines.
 *
 * Usage: usbdesc_test [name-substring]
 * USBDESC_SEED=N changes the mutations' seed (the seed used is printed).
 */
#include <stdint.h>

#include "../../lib/tap.h"
#include "../../../userspace-drivers/uscheme/usbdesc.h"
#include "../../../userspace-drivers/xhcid/usbscheme.h"

/* QEMU hw/usb/dev-storage.c, desc_device_super: what a SuperSpeed port reads. */
static const uint8_t storage_super[] = {
	/* device: USB 3.00, class per interface, bMaxPacketSize0 9 (2^9),
	 * 46f4:0001, bcdDevice 0.00, strings 1 2 3, 1 configuration */
	0x12, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x09, 0xf4, 0x46, 0x01, 0x00,
	0x00, 0x00, 0x01, 0x02, 0x03, 0x01,
	/* configuration 1: wTotalLength 44, 1 interface, iConfiguration 6, self powered */
	0x09, 0x02, 0x2c, 0x00, 0x01, 0x01, 0x06, 0xc0, 0x00,
	/* interface 0: Mass Storage, SCSI, Bulk-Only, 2 endpoints */
	0x09, 0x04, 0x00, 0x00, 0x02, 0x08, 0x06, 0x50, 0x00,
	/* EP 1 IN bulk 1024, companion bMaxBurst 15 */
	0x07, 0x05, 0x81, 0x02, 0x00, 0x04, 0x00,
	0x06, 0x30, 0x0f, 0x00, 0x00, 0x00,
	/* EP 2 OUT bulk 1024, companion bMaxBurst 15 */
	0x07, 0x05, 0x02, 0x02, 0x00, 0x04, 0x00,
	0x06, 0x30, 0x0f, 0x00, 0x00, 0x00,
};

/* The same device on a USB2 port: desc_device_high. */
static const uint8_t storage_high[] = {
	0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0xf4, 0x46, 0x01, 0x00,
	0x00, 0x00, 0x01, 0x02, 0x03, 0x01,
	0x09, 0x02, 0x20, 0x00, 0x01, 0x01, 0x05, 0xc0, 0x00,
	0x09, 0x04, 0x00, 0x00, 0x02, 0x08, 0x06, 0x50, 0x00,
	0x07, 0x05, 0x81, 0x02, 0x00, 0x02, 0x00,
	0x07, 0x05, 0x02, 0x02, 0x00, 0x02, 0x00,
};

/* QEMU hw/usb/dev-hid.c usb-kbd at high speed (usb_version=2): desc_device_keyboard2. */
static const uint8_t kbd_high[] = {
	/* device: USB 2.00, bMaxPacketSize0 64, 0627:0001, strings 1 4 11 */
	0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x27, 0x06, 0x01, 0x00,
	0x00, 0x00, 0x01, 0x04, 0x0b, 0x01,
	/* configuration 1: wTotalLength 34, iConfiguration 8, remote wakeup, 100 mA */
	0x09, 0x02, 0x22, 0x00, 0x01, 0x01, 0x08, 0xa0, 0x32,
	/* interface 0: HID, boot, keyboard, 1 endpoint */
	0x09, 0x04, 0x00, 0x00, 0x01, 0x03, 0x01, 0x01, 0x00,
	/* HID 1.11, one report descriptor of 63 bytes */
	0x09, 0x21, 0x11, 0x01, 0x00, 0x01, 0x22, 0x3f, 0x00,
	/* EP 1 IN interrupt 8 bytes, bInterval 7 */
	0x07, 0x05, 0x81, 0x03, 0x08, 0x00, 0x07,
};

/* usb-kbd,usb_version=1 (the xhcid suite's): desc_device_keyboard, full speed. */
static const uint8_t kbd_full[] = {
	0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x08, 0x27, 0x06, 0x01, 0x00,
	0x00, 0x00, 0x01, 0x04, 0x0b, 0x01,
	0x09, 0x02, 0x22, 0x00, 0x01, 0x01, 0x08, 0xa0, 0x32,
	0x09, 0x04, 0x00, 0x00, 0x01, 0x03, 0x01, 0x01, 0x00,
	0x09, 0x21, 0x11, 0x01, 0x00, 0x01, 0x22, 0x3f, 0x00,
	/* EP 1 IN interrupt 8 bytes, bInterval 10 (ms, at full speed) */
	0x07, 0x05, 0x81, 0x03, 0x08, 0x00, 0x0a,
};

/* Synthetic: two configurations, IADs, alternates, class-specific descriptors. */
static const uint8_t composite[] = {
	/* device: USB 2.10, Miscellaneous (IAD) ef/02/01, 1234:5678 bcdDevice 1.00, 2 configs */
	0x12, 0x01, 0x10, 0x02, 0xef, 0x02, 0x01, 0x40, 0x34, 0x12, 0x78, 0x56,
	0x00, 0x01, 0x01, 0x02, 0x03, 0x02,
	/* configuration 1: wTotalLength 85, 3 interfaces, bus powered, 500 mA */
	0x09, 0x02, 0x55, 0x00, 0x03, 0x01, 0x00, 0x80, 0xfa,
	/* IAD: interfaces 0-1, Video */
	0x08, 0x0b, 0x00, 0x02, 0x0e, 0x03, 0x00, 0x05,
	/* interface 0 alt 0, 1 endpoint; a class-specific interface descriptor */
	0x09, 0x04, 0x00, 0x00, 0x01, 0x0e, 0x01, 0x00, 0x00,
	0x05, 0x24, 0x01, 0x00, 0x01,
	/* EP 3 IN interrupt 16, bInterval 8; a class-specific endpoint descriptor */
	0x07, 0x05, 0x83, 0x03, 0x10, 0x00, 0x08,
	0x05, 0x25, 0x03, 0x10, 0x00,
	/* interface 1 alt 0 (no endpoints), alt 1: EP 1 IN isochronous 3x 1024 */
	0x09, 0x04, 0x01, 0x00, 0x00, 0x0e, 0x02, 0x00, 0x00,
	0x09, 0x04, 0x01, 0x01, 0x01, 0x0e, 0x02, 0x00, 0x00,
	0x07, 0x05, 0x81, 0x05, 0x00, 0x14, 0x01,
	/* IAD for interface 2 (after an endpoint: still the configuration's) */
	0x08, 0x0b, 0x02, 0x01, 0xff, 0x00, 0x00, 0x00,
	0x09, 0x04, 0x02, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00,
	/* configuration 2: wTotalLength 18, 1 interface, self powered */
	0x09, 0x02, 0x12, 0x00, 0x01, 0x02, 0x00, 0xc0, 0x00,
	0x09, 0x04, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00,
};

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct { const char *name; const uint8_t *buf; size_t len; } blobs[] = {
	{ "storage_super", storage_super, sizeof(storage_super) },
	{ "storage_high", storage_high, sizeof(storage_high) },
	{ "kbd_high", kbd_high, sizeof(kbd_high) },
	{ "kbd_full", kbd_full, sizeof(kbd_full) },
	{ "composite", composite, sizeof(composite) },
};

/*
 * Everything usbdesc_parse recorded lies inside the buffer and its
 * indices inside their arrays, whatever it returned; r 0 accounts for
 * every byte.
 */
static int consistent(const struct usbdesc *d, int r)
{
	size_t i, sum_if = 0, sum_ep = 0, end, n_ss;

	CHECK(r == 0 || r == -1);
	CHECK(r == 0 ? d->err[0] == 0 : d->err[0] != 0);
	CHECK(strlen(d->err) < sizeof(d->err));
	if (!d->have_dev) {
		CHECK(r != 0);
		CHECK_EQ(d->ncfg + d->nif + d->nep + d->nother + d->nitems, 0);
		return 0;
	}
	CHECK(d->dev.length >= USB_DT_DEVICE_SIZE && d->dev.length <= d->len);
	CHECK(d->ncfg <= d->dev.num_configs);
	end = d->dev.length;
	for (i = 0; i < d->ncfg; i++) {
		const struct usbdesc_cfg *c = &d->cfg[i];

		CHECK_EQ(c->off, end);	/* back to back */
		CHECK(c->length >= USB_DT_CONFIG_SIZE && c->total_length >= c->length);
		CHECK(c->off + c->total_length <= d->len);
		CHECK(c->if0 + c->nif <= d->nif);
		CHECK_EQ(c->if0, sum_if);
		sum_if += c->nif;
		end = c->off + c->total_length;
	}
	CHECK_EQ(sum_if, d->nif);
	if (r == 0)
		CHECK_EQ(end, d->len);
	for (i = 0; i < d->nif; i++) {
		const struct usbdesc_if *f = &d->ifs[i];

		CHECK(f->length >= USB_DT_INTERFACE_SIZE && f->off + f->length <= d->len);
		CHECK(f->cfg < d->ncfg);
		CHECK(f->off + f->length <= d->cfg[f->cfg].off + d->cfg[f->cfg].total_length);
		CHECK_EQ(f->ep0, sum_ep);
		sum_ep += f->nep;
	}
	CHECK_EQ(sum_ep, d->nep);
	for (i = 0; i < d->nep; i++) {
		const struct usbdesc_ep *e = &d->eps[i];

		CHECK(e->length >= USB_DT_ENDPOINT_SIZE && e->off + e->length <= d->len);
		CHECK(e->iface < d->nif);
		CHECK(!e->has_ss || e->ss_length >= USB_DT_SS_EP_COMP_SIZE);
		CHECK(i >= d->ifs[e->iface].ep0 && i < d->ifs[e->iface].ep0 + d->ifs[e->iface].nep);
	}
	for (i = 0; i < d->nother; i++) {
		const struct usbdesc_other *o = &d->other[i];

		CHECK(o->len >= 2 && o->off + o->len <= d->len);
		CHECK(o->cfg < d->ncfg);
		CHECK(o->iface == USBDESC_NONE || o->iface < d->nif);
		CHECK(o->ep == USBDESC_NONE || (o->ep < d->nep && o->iface != USBDESC_NONE));
		if (o->type == USB_DT_IAD)
			CHECK(o->iface == USBDESC_NONE && o->len >= USB_DT_IAD_SIZE);
	}
	for (i = 0, n_ss = 0; i < d->nep; i++)
		n_ss += d->eps[i].has_ss;
	CHECK_EQ(d->nitems, d->ncfg + d->nif + d->nep + d->nother + n_ss);
	for (i = 0; i < d->nitems; i++) {
		const struct usbdesc_item *it = &d->items[i];
		size_t n = it->kind == USBDESC_CFG ? d->ncfg : it->kind == USBDESC_IF ? d->nif :
			   it->kind == USBDESC_EP || it->kind == USBDESC_SS ? d->nep :
			   it->kind == USBDESC_OTHER ? d->nother : 0;

		CHECK(it->index < n);
	}
	return 0;
}

/* Parse a private copy of exactly len bytes; print it; check it. Returns r. */
static int parse_copy(const uint8_t *src, size_t len, struct usbdesc *d, uint8_t **copy, int *r)
{
	FILE *null = fopen("/dev/null", "w");

	*copy = malloc(len ? len : 1);
	CHECK(*copy && null);
	if (len)
		memcpy(*copy, src, len);
	*r = usbdesc_parse(d, *copy, len);
	usbdesc_print(null, d, 1, 0);
	usbdesc_print(null, d, 0, 4);
	fclose(null);
	return consistent(d, *r);
}

/* The lsusb -v text of a parse, in a malloc'd string. */
static char *printed(const struct usbdesc *d, int superspeed)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	usbdesc_print(f, d, superspeed, 0);
	fclose(f);
	return text;
}

/* text must hold each of the NULL-terminated lines. */
static int has_lines(const char *text, const char *const *want)
{
	for (; *want; want++) {
		if (!strstr(text, *want)) {
			fprintf(stderr, "  missing: \"%s\"\n  in:\n%s", *want, text);
			return -1;
		}
	}
	return 0;
}

static int t_storage_super(void)
{
	static const char *const want[] = {
		"Device Descriptor:\n",
		"  bcdUSB               3.00\n",
		"  bMaxPacketSize0         9\n",
		"  idVendor           0x46f4\n",
		"  idProduct          0x0001\n",
		"  iSerial                 3\n",
		"  Configuration Descriptor:\n",
		"    wTotalLength       0x002c\n",
		"      Self Powered\n",
		"    MaxPower                0mA\n",
		"      bInterfaceClass         8 Mass Storage\n",
		"      bInterfaceSubClass      6 SCSI\n",
		"      bInterfaceProtocol     80 Bulk-Only\n",
		"        bEndpointAddress     0x81  EP 1 IN\n",
		"        bEndpointAddress     0x02  EP 2 OUT\n",
		"          Transfer Type            Bulk\n",
		"        wMaxPacketSize     0x0400  1x 1024 bytes\n",
		"        SuperSpeed Endpoint Companion:\n",
		"          bMaxBurst              15\n",
		NULL
	};
	struct usbdesc d;
	uint8_t *copy;
	char *text;
	int r;

	CHECK_EQ(parse_copy(storage_super, sizeof(storage_super), &d, &copy, &r), 0);
	CHECK_EQ(r, 0);
	CHECK(d.have_dev);
	CHECK_EQ(d.dev.vendor, 0x46f4);
	CHECK_EQ(d.dev.product, 0x0001);
	CHECK_EQ(d.dev.bcd_usb, 0x0300);
	CHECK_EQ(d.dev.max_packet0, 9);
	CHECK_EQ(d.dev.num_configs, 1);
	CHECK_EQ(d.ncfg, 1);
	CHECK_EQ(d.cfg[0].value, 1);
	CHECK_EQ(d.cfg[0].total_length, 44);
	CHECK_EQ(d.cfg[0].attributes, 0xc0);
	CHECK_EQ(d.nif, 1);
	CHECK_EQ(d.ifs[0].cls, 0x08);
	CHECK_EQ(d.ifs[0].subclass, 0x06);
	CHECK_EQ(d.ifs[0].protocol, 0x50);
	CHECK_EQ(d.ifs[0].nep, 2);
	CHECK_EQ(d.nep, 2);
	CHECK_EQ(d.eps[0].address, 0x81);
	CHECK_EQ(d.eps[0].attributes, 2);
	CHECK_EQ(d.eps[0].max_packet, 1024);
	CHECK(d.eps[0].has_ss);
	CHECK_EQ(d.eps[0].ss_max_burst, 15);
	CHECK_EQ(d.eps[1].address, 0x02);
	CHECK(d.eps[1].has_ss);
	CHECK_EQ(d.nother, 0);
	CHECK_EQ(d.nitems, 6);	/* config, interface, 2 x (endpoint, companion) */
	CHECK_EQ(d.items[3].kind, USBDESC_SS);
	CHECK(usbdesc_config(&d, 1) == &d.cfg[0]);
	CHECK(usbdesc_config(&d, 2) == NULL);
	text = printed(&d, 1);
	CHECK(text);
	r = has_lines(text, want);
	CHECK(!strstr(text, "**"));	/* no notes, nothing unrecognized */
	free(text);
	usbdesc_free(&d);
	free(copy);
	return r;
}

static int t_storage_high(void)
{
	struct usbdesc d;
	uint8_t *copy;
	char *text;
	int r;

	CHECK_EQ(parse_copy(storage_high, sizeof(storage_high), &d, &copy, &r), 0);
	CHECK_EQ(r, 0);
	CHECK_EQ(d.dev.bcd_usb, 0x0200);
	CHECK_EQ(d.dev.max_packet0, 64);
	CHECK_EQ(d.ncfg, 1);
	CHECK_EQ(d.nep, 2);
	CHECK_EQ(d.eps[0].max_packet, 512);
	CHECK(!d.eps[0].has_ss && !d.eps[1].has_ss);
	CHECK_EQ(d.nitems, 4);
	text = printed(&d, 0);
	CHECK(text);
	CHECK(strstr(text, "wMaxPacketSize     0x0200  1x 512 bytes\n"));
	CHECK(!strstr(text, "Companion"));
	free(text);
	usbdesc_free(&d);
	free(copy);
	return 0;
}

static int t_kbd_high(void)
{
	static const char *const want[] = {
		"  bcdUSB               2.00\n",
		"  idVendor           0x0627\n",
		"  iProduct                4\n",
		"    bmAttributes         0xa0\n",
		"      (Bus Powered)\n",
		"      Remote Wakeup\n",
		"    MaxPower              100mA\n",
		"      bInterfaceClass         3 Human Interface Device\n",
		"      bInterfaceSubClass      1 Boot Interface Subclass\n",
		"      bInterfaceProtocol      1 Keyboard\n",
		"      HID Device Descriptor:\n",
		"        bcdHID               1.11\n",
		"        bNumDescriptors         1\n",
		"        bDescriptorType        34 Report\n",
		"        wDescriptorLength      63\n",
		"          Transfer Type            Interrupt\n",
		"        wMaxPacketSize     0x0008  1x 8 bytes\n",
		"        bInterval               7\n",
		NULL
	};
	struct usbdesc d;
	uint8_t *copy;
	char *text;
	int r;

	CHECK_EQ(parse_copy(kbd_high, sizeof(kbd_high), &d, &copy, &r), 0);
	CHECK_EQ(r, 0);
	CHECK_EQ(d.dev.vendor, 0x0627);
	CHECK_EQ(d.cfg[0].max_power, 50);
	CHECK_EQ(d.nif, 1);
	CHECK_EQ(d.ifs[0].cls, 3);
	CHECK_EQ(d.nother, 1);
	CHECK_EQ(d.other[0].type, USB_DT_HID);
	CHECK_EQ(d.other[0].iface, 0);
	CHECK(d.other[0].ep == USBDESC_NONE);
	CHECK_EQ(d.nep, 1);
	CHECK_EQ(d.eps[0].attributes & 3, USB_EP_INTERRUPT);
	CHECK_EQ(d.eps[0].interval, 7);
	/* the HID descriptor is printed between its interface and the endpoint */
	CHECK_EQ(d.items[2].kind, USBDESC_OTHER);
	text = printed(&d, 0);
	CHECK(text);
	r = has_lines(text, want);
	CHECK(strstr(text, "HID Device") < strstr(text, "Endpoint Descriptor"));
	free(text);
	usbdesc_free(&d);
	free(copy);
	return r;
}

static int t_kbd_full(void)
{
	struct usbdesc d;
	uint8_t *copy;
	int r;

	CHECK_EQ(parse_copy(kbd_full, sizeof(kbd_full), &d, &copy, &r), 0);
	CHECK_EQ(r, 0);
	CHECK_EQ(d.dev.max_packet0, 8);
	CHECK_EQ(d.nif, 1);
	CHECK_EQ(d.nother, 1);
	CHECK_EQ(d.nep, 1);
	CHECK_EQ(d.eps[0].interval, 10);
	/* the same device as kbd_high but for EP0 and bInterval */
	CHECK_EQ(sizeof(kbd_full), sizeof(kbd_high));
	CHECK(!memcmp(kbd_full + 8, kbd_high + 8, sizeof(kbd_full) - 9));
	usbdesc_free(&d);
	free(copy);
	return 0;
}

static int t_composite(void)
{
	static const char *const want[] = {
		"  bDeviceClass          239 Miscellaneous Device\n",
		"  bcdUSB               2.10\n",
		"  bcdDevice            1.00\n",
		"  bNumConfigurations      2\n",
		"    MaxPower              500mA\n",
		"    Interface Association:\n",
		"      bFirstInterface         0\n",
		"      bInterfaceCount         2\n",
		"      bFunctionClass         14 Video\n",
		"      ** UNRECOGNIZED:  05 24 01 00 01\n",
		"        ** UNRECOGNIZED:  05 25 03 10 00\n",
		"      bAlternateSetting       1\n",
		"          Transfer Type            Isochronous\n",
		"          Synch Type               Asynchronous\n",
		"        wMaxPacketSize     0x1400  3x 1024 bytes\n",
		"      bFirstInterface         2\n",
		"    bConfigurationValue     2\n",
		NULL
	};
	const struct usbdesc_cfg *c2;
	struct usbdesc d;
	uint8_t *copy;
	char *text;
	int r;

	CHECK_EQ(parse_copy(composite, sizeof(composite), &d, &copy, &r), 0);
	CHECK_EQ(r, 0);
	CHECK_EQ(d.ncfg, 2);
	CHECK_EQ(d.nif, 5);
	CHECK_EQ(d.cfg[0].nif, 4);
	CHECK_EQ(d.cfg[1].if0, 4);
	CHECK_EQ(d.cfg[1].nif, 1);
	CHECK_EQ(d.ifs[1].nep, 0);
	CHECK_EQ(d.ifs[2].alternate, 1);
	CHECK_EQ(d.ifs[2].nep, 1);
	CHECK_EQ(d.eps[1].address, 0x81);
	CHECK_EQ(d.eps[1].iface, 2);
	CHECK_EQ(d.nother, 4);
	CHECK_EQ(d.other[0].type, USB_DT_IAD);
	CHECK(d.other[0].iface == USBDESC_NONE);
	CHECK_EQ(d.other[1].type, 0x24);
	CHECK_EQ(d.other[1].iface, 0);
	CHECK(d.other[1].ep == USBDESC_NONE);
	CHECK_EQ(d.other[2].type, 0x25);
	CHECK_EQ(d.other[2].ep, 0);
	CHECK_EQ(d.other[3].type, USB_DT_IAD);	/* after an endpoint: the config's */
	CHECK(d.other[3].iface == USBDESC_NONE && d.other[3].ep == USBDESC_NONE);
	CHECK_EQ(d.other[3].cfg, 0);
	c2 = usbdesc_config(&d, 2);
	CHECK(c2 == &d.cfg[1]);
	CHECK_EQ(d.ifs[c2->if0].cls, 0xff);
	text = printed(&d, 0);
	CHECK(text);
	r = has_lines(text, want);
	CHECK(!strstr(text, "says"));	/* the counts agree */
	free(text);
	usbdesc_free(&d);
	free(copy);
	return r;
}

/* buf (len bytes) must fail to parse with a message containing want. */
static int bad(const uint8_t *buf, size_t len, const char *want)
{
	struct usbdesc d;
	uint8_t *copy;
	int r, ret = 0;

	CHECK_EQ(parse_copy(buf, len, &d, &copy, &r), 0);
	if (r != -1) {
		fprintf(stderr, "  accepted (%zu bytes), want an error with \"%s\"\n", len, want);
		ret = -1;
	} else if (!strstr(d.err, want)) {
		fprintf(stderr, "  got: %s\n  want: %s\n", d.err, want);
		ret = -1;
	}
	usbdesc_free(&d);
	free(copy);
	return ret;
}

/* A copy of one of the blobs to break, in a static buffer. */
static uint8_t work[512];

static const uint8_t *edit(const uint8_t *src, size_t len)
{
	memcpy(work, src, len);
	return work;
}

static int t_truncated(void)
{
	size_t b, n;

	for (b = 0; b < ARRAY_SIZE(blobs); b++) {
		for (n = 0; n < blobs[b].len; n++) {
			struct usbdesc d;
			uint8_t *copy;
			int r;

			CHECK_EQ(parse_copy(blobs[b].buf, n, &d, &copy, &r), 0);
			/* the device descriptor alone is whole (no configuration
			 * arrived: printed as missing); any other cut is not */
			if (n == USB_DT_DEVICE_SIZE) {
				CHECK_EQ(r, 0);
				CHECK_EQ(d.ncfg, 0);
			} else if (blobs[b].buf == composite && n == 18 + 85) {
				CHECK_EQ(r, 0);	/* the first of two configurations */
				CHECK_EQ(d.ncfg, 1);
			} else if (r != -1) {
				fprintf(stderr, "  %s cut to %zu bytes parsed\n", blobs[b].name, n);
				return -1;
			}
			usbdesc_free(&d);
			free(copy);
		}
	}
	CHECK_EQ(bad(storage_super, 0, "0 bytes: no device descriptor"), 0);
	CHECK_EQ(bad(storage_super, 1, "1 byte: no device descriptor"), 0);
	CHECK_EQ(bad(storage_super, 17, "device descriptor bLength 18 runs past the end (17 bytes)"), 0);
	CHECK_EQ(bad(storage_super, 19, "offset 18: 1 stray byte"), 0);
	CHECK_EQ(bad(storage_super, 26, "offset 18: configuration descriptor bLength 9 runs past the end (8 bytes left)"), 0);
	CHECK_EQ(bad(storage_super, 27, "offset 18: configuration wTotalLength 44 runs past the end (9 bytes left)"), 0);
	CHECK_EQ(bad(storage_super, sizeof(storage_super) - 1, "wTotalLength 44 runs past the end (43 bytes left)"), 0);
	return 0;
}

static int t_blength_zero(void)
{
	uint8_t *w;

	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[0] = 0;
	CHECK_EQ(bad(w, sizeof(storage_super), "offset 0: device descriptor bLength 0 (at least 18)"), 0);
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[18] = 0;
	CHECK_EQ(bad(w, sizeof(storage_super), "offset 18: configuration descriptor bLength 0 (at least 9)"), 0);
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[27] = 0;	/* the interface */
	CHECK_EQ(bad(w, sizeof(storage_super), "offset 27: descriptor type 0x04 has bLength 0 (at least 2)"), 0);
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[36] = 1;	/* the first endpoint: 1 would not advance either */
	CHECK_EQ(bad(w, sizeof(storage_super), "offset 36: descriptor type 0x05 has bLength 1 (at least 2)"), 0);
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[43] = 0;	/* the companion */
	CHECK_EQ(bad(w, sizeof(storage_super), "offset 43: descriptor type 0x30 has bLength 0"), 0);
	/* bLength 2 is legal for an unknown descriptor: it advances */
	w = (uint8_t *)edit(kbd_high, sizeof(kbd_high));
	w[36] = 2;	/* the HID descriptor becomes 2 bytes; then 7 stray bytes */
	w[37] = 0x42;
	CHECK_EQ(bad(w, sizeof(kbd_high), "offset 38:"), 0);
	/* under the type's minimum */
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[27] = 8;
	CHECK_EQ(bad(w, sizeof(storage_super), "interface descriptor bLength 8 (at least 9)"), 0);
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[36] = 6;
	CHECK_EQ(bad(w, sizeof(storage_super), "endpoint descriptor bLength 6 (at least 7)"), 0);
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[43] = 5;
	CHECK_EQ(bad(w, sizeof(storage_super), "companion bLength 5 (at least 6)"), 0);
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[18] = 8;
	CHECK_EQ(bad(w, sizeof(storage_super), "configuration descriptor bLength 8 (at least 9)"), 0);
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[0] = 17;
	CHECK_EQ(bad(w, sizeof(storage_super), "device descriptor bLength 17"), 0);
	return 0;
}

static int t_blength_past_end(void)
{
	struct usbdesc d;
	uint8_t *w, *copy;
	int r;

	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[56] = 7;	/* the last companion claims 7 of the 6 bytes left */
	CHECK_EQ(bad(w, sizeof(storage_super), "offset 56: SuperSpeed endpoint companion descriptor (type 0x30) bLength 7 runs past the end of configuration 1 (6 of its wTotalLength 44 bytes left)"), 0);
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[36] = 0xff;
	CHECK_EQ(bad(w, sizeof(storage_super), "offset 36: endpoint descriptor (type 0x05) bLength 255 runs past"), 0);
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[18] = 0xff;
	CHECK_EQ(bad(w, sizeof(storage_super), "configuration descriptor bLength 255 runs past the end (44 bytes left)"), 0);
	w = (uint8_t *)edit(storage_super, 18);
	w[0] = 19;
	CHECK_EQ(bad(w, 18, "device descriptor bLength 19 runs past the end (18 bytes)"), 0);
	/* what came before the error stays parsed and printable */
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[49] = 0xff;	/* the second endpoint */
	CHECK_EQ(parse_copy(w, sizeof(storage_super), &d, &copy, &r), 0);
	CHECK_EQ(r, -1);
	CHECK_EQ(d.ncfg, 1);
	CHECK_EQ(d.nif, 1);
	CHECK_EQ(d.nep, 1);
	CHECK(d.eps[0].has_ss);
	usbdesc_free(&d);
	free(copy);
	return 0;
}

static int t_total_length_lies(void)
{
	uint8_t *w;

	/* larger than what arrived */
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[20] = 45;
	CHECK_EQ(bad(w, sizeof(storage_super), "offset 18: configuration wTotalLength 45 runs past the end (44 bytes left)"), 0);
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[21] = 0xff;
	CHECK_EQ(bad(w, sizeof(storage_super), "wTotalLength 65324 runs past the end"), 0);
	/* smaller than its own bLength */
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[20] = 8;
	CHECK_EQ(bad(w, sizeof(storage_super), "configuration wTotalLength 8 is less than its bLength 9"), 0);
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[20] = 0;
	CHECK_EQ(bad(w, sizeof(storage_super), "wTotalLength 0 is less than its bLength 9"), 0);
	/* smaller, ending inside a descriptor */
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[20] = 11;
	CHECK_EQ(bad(w, sizeof(storage_super), "offset 27: interface descriptor (type 0x04) bLength 9 runs past the end of configuration 1 (2 of its wTotalLength 11 bytes left)"), 0);
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[20] = 20;
	CHECK_EQ(bad(w, sizeof(storage_super), "offset 36: endpoint descriptor (type 0x05) bLength 7 runs past the end of configuration 1 (2 of its"), 0);
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[20] = 19;
	CHECK_EQ(bad(w, sizeof(storage_super), "configuration 1's wTotalLength 19 ends 1 byte into a descriptor"), 0);
	/* smaller, ending on a boundary: the rest is not a configuration */
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[20] = 18;
	CHECK_EQ(bad(w, sizeof(storage_super), "offset 36: expected a configuration descriptor (type 0x02), got type 0x05"), 0);
	/* the first of two configurations swallowing the second */
	w = (uint8_t *)edit(composite, sizeof(composite));
	w[20] = 85 + 18;
	CHECK_EQ(bad(w, sizeof(composite), "a configuration descriptor inside configuration 1"), 0);
	return 0;
}

static int t_misplaced(void)
{
	static const uint8_t ep_first[] = {
		0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0x01, 0x00, 0x01, 0x00,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x01,
		0x09, 0x02, 0x10, 0x00, 0x01, 0x01, 0x00, 0x80, 0x00,
		0x07, 0x05, 0x81, 0x02, 0x00, 0x02, 0x00,
	};
	uint8_t *w;

	CHECK_EQ(bad(ep_first, sizeof(ep_first), "offset 27: an endpoint descriptor before any interface of configuration 1"), 0);
	/* a companion after the interface, not an endpoint */
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	memmove(w + 36, storage_super + 43, 6);	/* companion, then endpoint */
	memmove(w + 42, storage_super + 36, 7);
	CHECK_EQ(bad(w, sizeof(storage_super), "offset 36: a SuperSpeed endpoint companion not right after an endpoint descriptor"), 0);
	/* two companions for one endpoint: the second does not follow an endpoint */
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	memmove(w + 49, storage_super + 43, 6);
	memmove(w + 55, storage_super + 49, 7);
	w[20] = 44;
	CHECK_EQ(bad(w, sizeof(storage_super), "offset 49: a SuperSpeed endpoint companion not right after"), 0);
	/* a device descriptor inside a configuration */
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[28] = USB_DT_DEVICE;
	CHECK_EQ(bad(w, sizeof(storage_super), "offset 27: a device descriptor inside configuration 1"), 0);
	/* not a device descriptor first */
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[1] = USB_DT_CONFIG;
	CHECK_EQ(bad(w, sizeof(storage_super), "offset 0: expected a device descriptor (type 0x01), got type 0x02"), 0);
	/* more configurations than bNumConfigurations */
	w = (uint8_t *)edit(composite, sizeof(composite));
	w[17] = 1;
	CHECK_EQ(bad(w, sizeof(composite), "offset 103: a configuration beyond bNumConfigurations (1)"), 0);
	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[17] = 0;
	CHECK_EQ(bad(w, sizeof(storage_super), "offset 18: a configuration beyond bNumConfigurations (0)"), 0);
	/* a HID descriptor too short for its class descriptors */
	w = (uint8_t *)edit(kbd_high, sizeof(kbd_high));
	w[41] = 2;
	CHECK_EQ(bad(w, sizeof(kbd_high), "offset 36: HID descriptor bLength 9 is short for 2 class descriptors"), 0);
	w = (uint8_t *)edit(kbd_high, sizeof(kbd_high));
	w[41] = 0xff;
	CHECK_EQ(bad(w, sizeof(kbd_high), "short for 255 class descriptors"), 0);
	/* an IAD under its minimum */
	w = (uint8_t *)edit(composite, sizeof(composite));
	w[27] = 7;
	CHECK_EQ(bad(w, sizeof(composite), "offset 27: interface association bLength 7 (at least 8)"), 0);
	return 0;
}

/* Counts that disagree parse (lsusb shows such devices too) and are noted. */
static int t_count_notes(void)
{
	struct usbdesc d;
	uint8_t *w, *copy;
	char *text;
	int r;

	w = (uint8_t *)edit(storage_super, sizeof(storage_super));
	w[31] = 3;	/* bNumEndpoints */
	w[22] = 2;	/* bNumInterfaces */
	CHECK_EQ(parse_copy(w, sizeof(storage_super), &d, &copy, &r), 0);
	CHECK_EQ(r, 0);
	text = printed(&d, 1);
	CHECK(text);
	CHECK(strstr(text, "** bNumEndpoints says 3, 2 endpoints found\n"));
	CHECK(strstr(text, "** bNumInterfaces says 2, 1 interface found\n"));
	free(text);
	usbdesc_free(&d);
	free(copy);
	/* the device descriptor alone: no configuration arrived */
	CHECK_EQ(parse_copy(kbd_high, USB_DT_DEVICE_SIZE, &d, &copy, &r), 0);
	CHECK_EQ(r, 0);
	text = printed(&d, 0);
	CHECK(text);
	CHECK(strstr(text, "** 0 of 1 configurations present\n"));
	free(text);
	usbdesc_free(&d);
	free(copy);
	return 0;
}

static uint64_t rng;

static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

/*
 * 1000 random mutations of each valid blob: bytes changed (at random or
 * to lengths that matter), cut, grown, a stretch duplicated, a
 * wTotalLength rewritten. Each parse must end (the TAP child's alarm),
 * stay inside its buffer (valgrind) and be consistent; both outcomes must
 * occur, or the mutations test nothing.
 */
static int t_mutations(void)
{
	static const uint8_t interesting[] = { 0, 1, 2, 5, 6, 7, 8, 9, 17, 18, 0x30, 0x7f,
					       0x80, 0xfe, 0xff };
	const char *seed_env = getenv("USBDESC_SEED");
	unsigned int accepted = 0, rejected = 0, i;
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : 0x5eed0fb5b0d1e5ULL;
	size_t b;

	fprintf(stderr, "  seed %#llx (USBDESC_SEED)\n", (unsigned long long)seed);
	rng = seed ? seed : 1;
	for (b = 0; b < ARRAY_SIZE(blobs); b++) {
		for (i = 0; i < 1000; i++) {
			uint8_t buf[sizeof(work)];
			size_t len = blobs[b].len, k, n;
			struct usbdesc d;
			uint8_t *copy;
			int r;

			memcpy(buf, blobs[b].buf, len);
			for (n = 1 + next() % 3; n; n--) {
				switch (next() % 6) {
				case 0:
					if (len)
						buf[next() % len] = (uint8_t)next();
					break;
				case 1:
					if (len)
						buf[next() % len] =
							interesting[next() % sizeof(interesting)];
					break;
				case 2:
					len = next() % (len + 1);
					break;
				case 3:
					for (k = next() % 32; k && len < sizeof(buf); k--)
						buf[len++] = (uint8_t)next();
					break;
				case 4: {	/* a copy of [s, s + m) inserted at t */
					size_t s = len ? next() % len : 0, m = len - s, t;
					uint8_t slice[sizeof(buf)];

					m = m ? 1 + next() % m : 0;
					if (len + m > sizeof(buf))
						break;
					t = next() % (len + 1);
					memcpy(slice, buf + s, m);
					memmove(buf + t + m, buf + t, len - t);
					memcpy(buf + t, slice, m);
					len += m;
					break;
				}
				case 5:
					if (len > 21) {
						buf[20] = (uint8_t)next();
						buf[21] = next() % 4 ? 0 : (uint8_t)next();
					}
					break;
				}
			}
			if (parse_copy(buf, len, &d, &copy, &r)) {
				fprintf(stderr, "  %s mutation %u (%zu bytes) inconsistent: %s\n",
					blobs[b].name, i, len, d.err);
				return -1;
			}
			if (r == 0)
				accepted++;
			else
				rejected++;
			usbdesc_free(&d);
			free(copy);
		}
	}
	fprintf(stderr, "  %u accepted, %u rejected\n", accepted, rejected);
	CHECK(accepted >= 20);
	CHECK(rejected >= 2000);
	return 0;
}

/* Every byte value at every offset of the keyboard's descriptors. */
static int t_every_byte(void)
{
	unsigned int v, accepted = 0;
	size_t off;

	for (off = 0; off < sizeof(kbd_high); off++) {
		for (v = 0; v < 256; v++) {
			uint8_t buf[sizeof(kbd_high)], *copy;
			struct usbdesc d;
			int r;

			memcpy(buf, kbd_high, sizeof(buf));
			buf[off] = (uint8_t)v;
			CHECK_EQ(parse_copy(buf, sizeof(buf), &d, &copy, &r), 0);
			accepted += r == 0;
			usbdesc_free(&d);
			free(copy);
		}
	}
	/* the ID, class and string bytes take any value */
	CHECK(accepted > 256 * 20);
	CHECK(accepted < 256 * sizeof(kbd_high));
	return 0;
}

static int line(const char *s, struct usb_port_row *r)
{
	char err[128];

	return usb_parse_port_line(s, strlen(s), r, err, sizeof(err));
}

static int line_bad(const char *s, size_t len, const char *want)
{
	struct usb_port_row r;
	char err[128] = "";

	if (!usb_parse_port_line(s, len, &r, err, sizeof(err))) {
		fprintf(stderr, "  accepted: '%.*s'\n", (int)len, s);
		return -1;
	}
	if (!strstr(err, want)) {
		fprintf(stderr, "  for '%.*s'\n  got: %s\n  want: %s\n", (int)len, s, err, want);
		return -1;
	}
	return 0;
}

#define LINE_BAD(s, want) line_bad(s, strlen(s), want)

static int t_port_lines(void)
{
	struct usb_port_row r;

	CHECK_EQ(line("1 ready super 46f4:0001 08/06/50", &r), 0);
	CHECK_EQ(r.port, 1);
	CHECK_EQ(r.state, USB_PORT_READY);
	CHECK_EQ(r.speed, USB_SPEED_SUPER);
	CHECK(r.has_ids && r.has_class);
	CHECK_EQ(r.vendor, 0x46f4);
	CHECK_EQ(r.product, 0x0001);
	CHECK_EQ(r.cls, 0x08);
	CHECK_EQ(r.subclass, 0x06);
	CHECK_EQ(r.protocol, 0x50);
	CHECK_EQ(line("255 empty - - -", &r), 0);
	CHECK_EQ(r.port, 255);
	CHECK_EQ(r.state, USB_PORT_EMPTY);
	CHECK_EQ(r.speed, USB_SPEED_NONE);
	CHECK(!r.has_ids && !r.has_class);
	CHECK_EQ(line("5 attached high - -", &r), 0);
	CHECK_EQ(r.state, USB_PORT_ATTACHED);
	CHECK_EQ(r.speed, USB_SPEED_HIGH);
	CHECK_EQ(line("6 failed full 0627:0001 -", &r), 0);
	CHECK_EQ(r.state, USB_PORT_FAILED);
	CHECK(r.has_ids && !r.has_class);
	CHECK_EQ(line("7 ready super+ ABCD:ef01 FF/00/ff", &r), 0);
	CHECK_EQ(r.speed, USB_SPEED_SUPER_PLUS);
	CHECK_EQ(r.vendor, 0xabcd);
	CHECK_EQ(r.cls, 0xff);
	CHECK_EQ(line("8 ready low 0001:0002 03/01/02", &r), 0);
	CHECK_EQ(r.speed, USB_SPEED_LOW);
	CHECK_EQ(line("  9\tready   full 0001:0002 03/01/02  ", &r), 0);
	CHECK_EQ(r.port, 9);

	CHECK_EQ(LINE_BAD("", "0 fields"), 0);
	CHECK_EQ(LINE_BAD("1 ready super 46f4:0001", "4 fields"), 0);
	CHECK_EQ(LINE_BAD("1 ready super 46f4:0001 08/06/50 x", "more than 5"), 0);
	CHECK_EQ(LINE_BAD("0 empty - - -", "bad port number '0'"), 0);
	CHECK_EQ(LINE_BAD("01 empty - - -", "bad port number"), 0);
	CHECK_EQ(LINE_BAD("256 empty - - -", "over 255"), 0);
	CHECK_EQ(LINE_BAD("1000 empty - - -", "bad port number"), 0);
	CHECK_EQ(LINE_BAD("-1 empty - - -", "bad port number"), 0);
	CHECK_EQ(LINE_BAD("1x empty - - -", "bad port number"), 0);
	CHECK_EQ(LINE_BAD("1 busy - - -", "unknown state 'busy'"), 0);
	CHECK_EQ(LINE_BAD("1 ready fast 46f4:0001 08/06/50", "unknown speed 'fast'"), 0);
	CHECK_EQ(LINE_BAD("1 ready high 46f4-0001 08/06/50", "bad IDs"), 0);
	CHECK_EQ(LINE_BAD("1 ready high 46f4:001 08/06/50", "bad IDs"), 0);
	CHECK_EQ(LINE_BAD("1 ready high 46g4:0001 08/06/50", "bad IDs"), 0);
	CHECK_EQ(LINE_BAD("1 ready high 46f4:0001 08/06/5", "bad class"), 0);
	CHECK_EQ(LINE_BAD("1 ready high 46f4:0001 08-06-50", "bad class"), 0);
	CHECK_EQ(LINE_BAD("1 ready high 46f4:0001 08/0x/50", "bad class"), 0);
	CHECK_EQ(LINE_BAD("1 empty super - -", "an empty port with"), 0);
	CHECK_EQ(LINE_BAD("1 empty - 46f4:0001 -", "an empty port with"), 0);
	CHECK_EQ(line_bad("1 empty - -\0-", 13, "NUL"), 0);
	return 0;
}

static int t_names(void)
{
	CHECK(!strcmp(usb_class_name(0x08), "Mass Storage"));
	CHECK(!strcmp(usb_class_name(0x03), "Human Interface Device"));
	CHECK(!strcmp(usb_class_name(0x04), "unknown"));
	CHECK(!strcmp(usb_speed_rate(USB_SPEED_SUPER), "5000M"));
	CHECK(!strcmp(usb_speed_rate(USB_SPEED_HIGH), "480M"));
	CHECK(!strcmp(usb_speed_rate(USB_SPEED_FULL), "12M"));
	CHECK(!strcmp(usb_speed_rate(USB_SPEED_LOW), "1.5M"));
	CHECK(!strcmp(usb_speed_rate(99), "-"));
	CHECK(!strcmp(usb_speed_word(USB_SPEED_SUPER_PLUS), "super+"));
	CHECK(!strcmp(usb_state_word(USB_PORT_FAILED), "failed"));
	CHECK(!strcmp(usb_state_word(-1), "?"));
	return 0;
}

int main(int argc, char **argv)
{
	static const struct tap_test tests[] = {
		{ "storage_super", t_storage_super, 0 },
		{ "storage_high", t_storage_high, 0 },
		{ "kbd_high", t_kbd_high, 0 },
		{ "kbd_full", t_kbd_full, 0 },
		{ "composite", t_composite, 0 },
		{ "truncated", t_truncated, 0 },
		{ "blength_zero", t_blength_zero, 0 },
		{ "blength_past_end", t_blength_past_end, 0 },
		{ "total_length_lies", t_total_length_lies, 0 },
		{ "misplaced", t_misplaced, 0 },
		{ "count_notes", t_count_notes, 0 },
		{ "mutations", t_mutations, 300 },
		{ "every_byte", t_every_byte, 300 },
		{ "port_lines", t_port_lines, 0 },
		{ "names", t_names, 0 },
	};

	return tap_run("usbdesc", tests, ARRAY_SIZE(tests), argc > 1 ? argv[1] : NULL);
}
