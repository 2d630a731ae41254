// SPDX-License-Identifier: MIT
/*
 * xhcid's descriptor parsers (xhcid/descparse.c) without a device: what a
 * USB device that lies could make xhcid read. The descriptors of QEMU's
 * usb-storage and usb-kbd (byte for byte what a usb.*: port handle READs
 * for them; the same samples as unit/usbdesc_test.c) and a synthetic
 * composite device are parsed and their answers checked; then hand-made
 * lies (bLength 0, 1, 255, wTotalLength both ways, endpoint addresses
 * that alias, counts); then thousands of random mutations of each, every
 * one parsed from a heap buffer of its exact size (valgrind sees a read
 * one byte past it) and checked: every answer lies inside the bytes,
 * every endpoint's device context index and Interval are legal, every
 * walk ends (the TAP child's alarm).
 *
 * Usage: xhcid_desc_test [name-substring]
 * XHCID_DESC_SEED=N changes the mutations' seed (the seed used is printed).
 */
#include <stdint.h>

#include "../../lib/tap.h"
#include "../../../userspace-drivers/xhcid/descparse.h"
#include "../../../userspace-drivers/xhcid/usbscheme.h"
#include "../../../userspace-drivers/xhcid/xhci.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* QEMU hw/usb/dev-storage.c on a SuperSpeed port (unit/usbdesc_test.c's storage_super). */
static const uint8_t storage_super[] = {
	0x12, 0x01, 0x00, 0x03, 0x00, 0x00, 0x00, 0x09, 0xf4, 0x46, 0x01, 0x00,
	0x00, 0x00, 0x01, 0x02, 0x03, 0x01,
	0x09, 0x02, 0x2c, 0x00, 0x01, 0x01, 0x06, 0xc0, 0x00,
	0x09, 0x04, 0x00, 0x00, 0x02, 0x08, 0x06, 0x50, 0x00,
	0x07, 0x05, 0x81, 0x02, 0x00, 0x04, 0x00,
	0x06, 0x30, 0x0f, 0x00, 0x00, 0x00,
	0x07, 0x05, 0x02, 0x02, 0x00, 0x04, 0x00,
	0x06, 0x30, 0x0f, 0x00, 0x00, 0x00,
};

/* The same on a USB2 port (storage_high). */
static const uint8_t storage_high[] = {
	0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x40, 0xf4, 0x46, 0x01, 0x00,
	0x00, 0x00, 0x01, 0x02, 0x03, 0x01,
	0x09, 0x02, 0x20, 0x00, 0x01, 0x01, 0x05, 0xc0, 0x00,
	0x09, 0x04, 0x00, 0x00, 0x02, 0x08, 0x06, 0x50, 0x00,
	0x07, 0x05, 0x81, 0x02, 0x00, 0x02, 0x00,
	0x07, 0x05, 0x02, 0x02, 0x00, 0x02, 0x00,
};

/* usb-kbd,usb_version=1 (the xhcid suite's keyboard), full speed (kbd_full). */
static const uint8_t kbd_full[] = {
	0x12, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x08, 0x27, 0x06, 0x01, 0x00,
	0x00, 0x00, 0x01, 0x04, 0x0b, 0x01,
	0x09, 0x02, 0x22, 0x00, 0x01, 0x01, 0x08, 0xa0, 0x32,
	0x09, 0x04, 0x00, 0x00, 0x01, 0x03, 0x01, 0x01, 0x00,
	0x09, 0x21, 0x11, 0x01, 0x00, 0x01, 0x22, 0x3f, 0x00,
	0x07, 0x05, 0x81, 0x03, 0x08, 0x00, 0x0a,
};

/* Synthetic: two configurations, IADs, alternates, class-specific descriptors (composite). */
static const uint8_t composite[] = {
	0x12, 0x01, 0x10, 0x02, 0xef, 0x02, 0x01, 0x40, 0x34, 0x12, 0x78, 0x56,
	0x00, 0x01, 0x01, 0x02, 0x03, 0x02,
	/* configuration 1: wTotalLength 85, 3 interfaces */
	0x09, 0x02, 0x55, 0x00, 0x03, 0x01, 0x00, 0x80, 0xfa,
	0x08, 0x0b, 0x00, 0x02, 0x0e, 0x03, 0x00, 0x05,
	/* interface 0 alt 0: EP 3 IN interrupt 16, bInterval 8 */
	0x09, 0x04, 0x00, 0x00, 0x01, 0x0e, 0x01, 0x00, 0x00,
	0x05, 0x24, 0x01, 0x00, 0x01,
	0x07, 0x05, 0x83, 0x03, 0x10, 0x00, 0x08,
	0x05, 0x25, 0x03, 0x10, 0x00,
	/* interface 1 alt 0 (none), alt 1: EP 1 IN isochronous 3x 1024 */
	0x09, 0x04, 0x01, 0x00, 0x00, 0x0e, 0x02, 0x00, 0x00,
	0x09, 0x04, 0x01, 0x01, 0x01, 0x0e, 0x02, 0x00, 0x00,
	0x07, 0x05, 0x81, 0x05, 0x00, 0x14, 0x01,
	0x08, 0x0b, 0x02, 0x01, 0xff, 0x00, 0x00, 0x00,
	0x09, 0x04, 0x02, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00,
	/* configuration 2: wTotalLength 18, 1 interface */
	0x09, 0x02, 0x12, 0x00, 0x01, 0x02, 0x00, 0xc0, 0x00,
	0x09, 0x04, 0x00, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00,
};

static const struct { const char *name; const uint8_t *buf; size_t len; } blobs[] = {
	{ "storage_super", storage_super, sizeof(storage_super) },
	{ "storage_high", storage_high, sizeof(storage_high) },
	{ "kbd_full", kbd_full, sizeof(kbd_full) },
	{ "composite", composite, sizeof(composite) },
};

static const uint8_t alt0[32];

/* A heap copy of exactly len bytes (valgrind and ASan see one byte past it). */
static uint8_t *exact(const uint8_t *src, size_t len)
{
	uint8_t *p = malloc(len ? len : 1);

	if (p && len)
		memcpy(p, src, len);
	return p;
}

/* The endpoints of configuration value (alt: alternates, only: an interface or -1). */
static int endpoints_of(const uint8_t *d, size_t len, uint8_t value, const uint8_t *alt, int only,
			struct ep_desc *eps, int max)
{
	const uint8_t *c;
	size_t clen = 0;

	c = desc_config_find(d, len, value, &clen);
	if (!c)
		return -ENOENT;
	return desc_config_endpoints(c, clen, alt, only, eps, max);
}

static int t_storage(void)
{
	struct ep_desc e[30];
	uint8_t cls[3] = { 0 };
	const uint8_t *c;
	size_t clen = 0, pos = 0;
	uint8_t *d = exact(storage_super, sizeof(storage_super));

	CHECK(d);
	c = desc_config_find(d, sizeof(storage_super), 1, &clen);
	CHECK(c == d + 18);
	CHECK_EQ(clen, 44);
	CHECK(!desc_config_find(d, sizeof(storage_super), 2, &clen));
	CHECK(!desc_config_find(d, sizeof(storage_super), 0, &clen));
	CHECK_EQ(desc_first_interface(d, sizeof(storage_super), cls), 0);
	CHECK(cls[0] == 0x08 && cls[1] == 0x06 && cls[2] == 0x50);
	CHECK_EQ(desc_next_interface(d, sizeof(storage_super), &pos, cls), 1);
	CHECK(cls[0] == 0x08 && cls[1] == 0x06 && cls[2] == 0x50);
	CHECK_EQ(desc_next_interface(d, sizeof(storage_super), &pos, cls), 0);
	CHECK_EQ(endpoints_of(d, sizeof(storage_super), 1, alt0, -1, e, 30), 2);
	CHECK_EQ(e[0].addr, 0x81);
	CHECK_EQ(e[0].attr & 3, USB_EP_BULK);
	CHECK_EQ(e[0].mps, 1024);
	CHECK_EQ(e[0].burst, 15);
	CHECK_EQ(e[1].addr, 0x02);
	CHECK_EQ(e[1].burst, 15);
	CHECK_EQ(desc_ep_dci(e[0].addr), 3);
	CHECK_EQ(desc_ep_dci(e[1].addr), 4);
	CHECK_EQ(desc_ep_interval(USB_SPEED_SUPER, &e[0]), 0);	/* bulk */
	CHECK(desc_has_alt(c, clen, 0, 0));
	CHECK(!desc_has_alt(c, clen, 0, 1));
	CHECK(!desc_has_alt(c, clen, 1, 0));
	free(d);

	d = exact(storage_high, sizeof(storage_high));
	CHECK(d);
	CHECK_EQ(endpoints_of(d, sizeof(storage_high), 1, alt0, -1, e, 30), 2);
	CHECK_EQ(e[0].mps, 512);
	CHECK_EQ(e[0].burst, 0);
	/* room for one endpoint: more is malformed, not an overflow */
	CHECK_EQ(endpoints_of(d, sizeof(storage_high), 1, alt0, -1, e, 1), -EPROTO);
	free(d);
	return 0;
}

static int t_kbd(void)
{
	struct ep_desc e[30];
	uint8_t cls[3] = { 0 }, *d = exact(kbd_full, sizeof(kbd_full));

	CHECK(d);
	CHECK_EQ(desc_first_interface(d, sizeof(kbd_full), cls), 0);
	CHECK(cls[0] == 3 && cls[1] == 1 && cls[2] == 1);
	CHECK_EQ(endpoints_of(d, sizeof(kbd_full), 1, alt0, -1, e, 30), 1);
	CHECK_EQ(e[0].addr, 0x81);
	CHECK_EQ(e[0].attr & 3, USB_EP_INTERRUPT);
	CHECK_EQ(e[0].mps, 8);
	CHECK_EQ(e[0].interval, 10);
	/* 10 ms at full speed: 80 microframes, 2^6 = 64 the largest power under */
	CHECK_EQ(desc_ep_interval(USB_SPEED_FULL, &e[0]), 6);
	CHECK_EQ(desc_ep_interval(USB_SPEED_LOW, &e[0]), 6);
	/* the same bInterval read as a high-speed exponent: 2^(10-1) */
	CHECK_EQ(desc_ep_interval(USB_SPEED_HIGH, &e[0]), 9);
	free(d);
	return 0;
}

static int t_composite(void)
{
	uint8_t alt[32] = { 0 }, cls[3] = { 0 }, *d = exact(composite, sizeof(composite));
	struct ep_desc e[30];
	const uint8_t *c;
	size_t clen = 0, pos = 0;
	unsigned int n = 0;

	CHECK(d);
	c = desc_config_find(d, sizeof(composite), 2, &clen);
	CHECK(c == d + 18 + 85);
	CHECK_EQ(clen, 18);
	CHECK_EQ(endpoints_of(d, sizeof(composite), 1, alt, -1, e, 30), 1);
	CHECK_EQ(e[0].addr, 0x83);
	CHECK_EQ(e[0].iface, 0);
	alt[1] = 1;
	CHECK_EQ(endpoints_of(d, sizeof(composite), 1, alt, -1, e, 30), 2);
	CHECK_EQ(e[1].addr, 0x81);
	CHECK_EQ(e[1].attr & 3, USB_EP_ISOC);
	CHECK_EQ(e[1].mps, 1024);
	CHECK_EQ(e[1].mult, 2);
	CHECK_EQ(e[1].iface, 1);
	CHECK_EQ(endpoints_of(d, sizeof(composite), 1, alt, 1, e, 30), 1);
	CHECK_EQ(e[0].addr, 0x81);
	CHECK_EQ(endpoints_of(d, sizeof(composite), 2, alt, -1, e, 30), 0);
	c = desc_config_find(d, sizeof(composite), 1, &clen);
	CHECK(c);
	CHECK(desc_has_alt(c, clen, 1, 1));
	CHECK(!desc_has_alt(c, clen, 1, 2));
	CHECK(desc_has_alt(c, clen, 2, 0));
	/* the first configuration's interfaces, in order: 0e/01/00, 0e/02/00 twice, ff/00/00 */
	CHECK_EQ(desc_first_interface(d, sizeof(composite), cls), 0);
	CHECK(cls[0] == 0x0e && cls[1] == 1);
	while (desc_next_interface(d, sizeof(composite), &pos, cls))
		n++;
	CHECK_EQ(n, 4);
	CHECK_EQ(cls[0], 0xff);
	/*
	 * Per interface (what an interface handle may name, what classdrv.c
	 * starts drivers for): interfaces 0, 1, 2 in their alternates now; each
	 * endpoint carries its interface, so an interface owner reaches its own
	 * only (scheme.c compares ep->iface).
	 */
	{
		struct if_desc ifs[32];

		alt[1] = 0;
		c = desc_config_find(d, sizeof(composite), 1, &clen);
		CHECK_EQ(desc_interfaces(c, clen, alt, ifs, 32), 3);
		CHECK(ifs[0].number == 0 && ifs[0].alt == 0 && ifs[0].cls[0] == 0x0e &&
		      ifs[0].cls[1] == 1 && ifs[0].num_eps == 1);
		CHECK(ifs[1].number == 1 && ifs[1].alt == 0 && ifs[1].cls[1] == 2 &&
		      ifs[1].num_eps == 0);
		CHECK(ifs[2].number == 2 && ifs[2].cls[0] == 0xff);
		alt[1] = 1;
		CHECK_EQ(desc_interfaces(c, clen, alt, ifs, 32), 3);
		CHECK(ifs[1].number == 1 && ifs[1].alt == 1 && ifs[1].num_eps == 1);
		alt[1] = 7;	/* no such alternate: interface 1 is not there */
		CHECK_EQ(desc_interfaces(c, clen, alt, ifs, 32), 2);
		CHECK_EQ(ifs[1].number, 2);
		alt[1] = 1;
		CHECK_EQ(desc_interfaces(c, clen, alt, ifs, 1), 1);
		CHECK_EQ(endpoints_of(d, sizeof(composite), 1, alt, 0, e, 30), 1);
		CHECK(e[0].addr == 0x83 && e[0].iface == 0);
		CHECK_EQ(endpoints_of(d, sizeof(composite), 1, alt, 2, e, 30), 0);
	}
	free(d);
	return 0;
}

/* Hand-made lies, each from an exact-size buffer. */
static int t_lies(void)
{
	uint8_t w[256], cls[3], alt[32] = { 0 };
	struct ep_desc e[30];
	size_t clen, pos;
	uint8_t *d;

	/* bLength 0 and 1 inside a configuration: malformed, no endless walk */
	memcpy(w, kbd_full, sizeof(kbd_full));
	w[27] = 0;
	d = exact(w, sizeof(kbd_full));
	CHECK_EQ(endpoints_of(d, sizeof(kbd_full), 1, alt, -1, e, 30), -EPROTO);
	CHECK_EQ(desc_first_interface(d, sizeof(kbd_full), cls), -1);
	pos = 0;
	CHECK_EQ(desc_next_interface(d, sizeof(kbd_full), &pos, cls), 0);
	free(d);
	w[27] = 1;
	d = exact(w, sizeof(kbd_full));
	CHECK_EQ(endpoints_of(d, sizeof(kbd_full), 1, alt, -1, e, 30), -EPROTO);
	free(d);
	/* the configuration descriptor's own bLength 0: nothing read from its offset 0 on */
	memcpy(w, kbd_full, sizeof(kbd_full));
	w[18] = 0;
	d = exact(w, sizeof(kbd_full));
	CHECK_EQ(endpoints_of(d, sizeof(kbd_full), 1, alt, -1, e, 30), -EPROTO);
	free(d);
	/* bLength 255 past the end */
	memcpy(w, kbd_full, sizeof(kbd_full));
	w[45] = 0xff;	/* the endpoint */
	d = exact(w, sizeof(kbd_full));
	CHECK_EQ(endpoints_of(d, sizeof(kbd_full), 1, alt, -1, e, 30), -EPROTO);
	free(d);
	/* wTotalLength larger than what arrived: clamped to it */
	memcpy(w, kbd_full, sizeof(kbd_full));
	w[20] = 0xff;
	w[21] = 0xff;
	d = exact(w, sizeof(kbd_full));
	CHECK(desc_config_find(d, sizeof(kbd_full), 1, &clen));
	CHECK_EQ(clen, sizeof(kbd_full) - 18);
	CHECK_EQ(endpoints_of(d, sizeof(kbd_full), 1, alt, -1, e, 30), 1);
	free(d);
	/* wTotalLength 0 and 8 (under the header): the rest of the bytes */
	w[20] = 0;
	w[21] = 0;
	d = exact(w, sizeof(kbd_full));
	CHECK(desc_config_find(d, sizeof(kbd_full), 1, &clen));
	CHECK_EQ(clen, sizeof(kbd_full) - 18);
	free(d);
	/* wTotalLength cut inside the endpoint: it is not taken */
	memcpy(w, kbd_full, sizeof(kbd_full));
	w[20] = 0x22 - 3;
	d = exact(w, sizeof(kbd_full));
	CHECK(desc_config_find(d, sizeof(kbd_full), 1, &clen));
	CHECK_EQ(clen, 0x22 - 3);
	CHECK_EQ(endpoints_of(d, sizeof(kbd_full), 1, alt, -1, e, 30), -EPROTO);
	free(d);
	/* only a device descriptor and a bare configuration header */
	d = exact(kbd_full, 27);
	CHECK(desc_config_find(d, 27, 1, &clen));
	CHECK_EQ(clen, 9);
	CHECK_EQ(endpoints_of(d, 27, 1, alt, -1, e, 30), 0);
	CHECK_EQ(desc_first_interface(d, 27, cls), -1);
	free(d);
	/* fewer bytes than a configuration header: nothing found, nothing read */
	for (clen = 0; clen < 27; clen++) {
		size_t l = 0;

		d = exact(kbd_full, clen);
		CHECK(!desc_config_find(d, clen, 1, &l));
		CHECK_EQ(desc_first_interface(d, clen, cls), -1);
		pos = 0;
		CHECK_EQ(desc_next_interface(d, clen, &pos, cls), 0);
		free(d);
	}
	/* an endpoint address with reserved bits, and 0x80 (EP0 IN): legal context indices */
	CHECK_EQ(desc_ep_dci(0x80), 1);
	CHECK_EQ(desc_ep_dci(0x00), 0);
	CHECK_EQ(desc_ep_dci(0xff), 31);
	CHECK_EQ(desc_ep_dci(0x7f), 30);
	/* interface numbers past 31 wrap onto alt[] (never past it) */
	memcpy(w, kbd_full, sizeof(kbd_full));
	w[29] = 200;
	alt[200 & 31] = 0;
	d = exact(w, sizeof(kbd_full));
	CHECK_EQ(endpoints_of(d, sizeof(kbd_full), 1, alt, -1, e, 30), 1);
	CHECK_EQ(e[0].iface, 200);
	free(d);
	return 0;
}

/* Every bInterval at every speed: a legal Interval (0..15), 3..10 for FS/LS interrupt. */
static int t_intervals(void)
{
	unsigned int speed, type, iv;

	for (speed = 0; speed < 16; speed++) {
		for (type = 0; type < 4; type++) {
			for (iv = 0; iv < 256; iv++) {
				struct ep_desc e = { .addr = 0x81, .attr = (uint8_t)type,
						     .interval = (uint8_t)iv, .mps = 8 };
				uint32_t r = desc_ep_interval(speed, &e);

				CHECK(r <= 15);
				if (type == USB_EP_BULK || type == USB_EP_CONTROL)
					CHECK_EQ(r, 0);
				if (type == USB_EP_INTERRUPT &&
				    (speed == USB_SPEED_FULL || speed == USB_SPEED_LOW))
					CHECK(r >= 3 && r <= 10);
			}
		}
	}
	return 0;
}

/*
 * A configuration that arrives short (wTotalLength says 100, 34 bytes
 * come) followed by another: as read_descriptors keeps them
 * (desc_config_arrived on the short one), each is found where it is, with
 * its own endpoints. Kept raw, the first swallowed the second: its
 * endpoint was configured as the first configuration's, and the second
 * could not be found at all.
 */
static int t_short_config(void)
{
	static const uint8_t second[] = {
		0x09, 0x02, 0x19, 0x00, 0x01, 0x02, 0x00, 0xc0, 0x00,
		0x09, 0x04, 0x00, 0x00, 0x01, 0xff, 0x00, 0x00, 0x00,
		0x07, 0x05, 0x82, 0x02, 0x40, 0x00, 0x00,
	};
	uint8_t w[256], *d, alt[32] = { 0 };
	struct ep_desc e[30];
	const uint8_t *c;
	size_t len, clen = 0;

	memcpy(w, kbd_full, sizeof(kbd_full));
	w[17] = 2;	/* bNumConfigurations */
	w[20] = 100;	/* claims 100, 34 arrive */
	desc_config_arrived(w + 18, sizeof(kbd_full) - 18);
	CHECK_EQ(w[20] | w[21] << 8, sizeof(kbd_full) - 18);
	memcpy(w + sizeof(kbd_full), second, sizeof(second));
	len = sizeof(kbd_full) + sizeof(second);
	d = exact(w, len);
	CHECK(d);
	CHECK_EQ(endpoints_of(d, len, 1, alt, -1, e, 30), 1);
	CHECK_EQ(e[0].addr, 0x81);
	c = desc_config_find(d, len, 2, &clen);
	CHECK(c == d + sizeof(kbd_full));
	CHECK_EQ(clen, sizeof(second));
	CHECK_EQ(endpoints_of(d, len, 2, alt, -1, e, 30), 1);
	CHECK_EQ(e[0].addr, 0x82);
	free(d);
	/* whole, or under a header: left as it is */
	memcpy(w, kbd_full, sizeof(kbd_full));
	desc_config_arrived(w + 18, sizeof(kbd_full) - 18);
	CHECK(!memcmp(w, kbd_full, sizeof(kbd_full)));
	w[20] = 100;
	desc_config_arrived(w + 18, 8);
	CHECK_EQ(w[20], 100);
	return 0;
}

/*
 * The endpoint context's numbers for every wMaxPacketSize, bMaxBurst,
 * mult and type at every speed: within xHCI's limits (Max Burst 15, 2 for
 * high-speed periodic; Max ESIT Payload within its 16 bits, so that it
 * does not spill into Average TRB Length; packets of 1..1024 bytes).
 * The old arithmetic (mps * (burst + 1) * (mult + 1), unclamped) reached
 * 2047 * 256 * 4.
 */
static int t_shape(void)
{
	unsigned int speed, type, mps, burst, mult;

	for (speed = 0; speed < 8; speed++)
		for (type = 0; type < 4; type++)
			for (mps = 0; mps <= 0x7ff; mps += (mps < 16 || mps > 1016) ? 1 : 61)
				for (burst = 0; burst < 256; burst += burst < 20 ? 1 : 47)
					for (mult = 0; mult < 4; mult++) {
						struct ep_desc e = { .addr = 0x81, .attr = (uint8_t)type,
								     .burst = (uint8_t)burst,
								     .mps = (uint16_t)mps,
								     .mult = (uint8_t)mult };
						uint16_t m;
						uint8_t b;
						uint32_t esit;

						desc_ep_shape(speed, &e, &m, &b, &esit);
						CHECK(m >= 1 && m <= 1024);
						CHECK(b <= 15);
						if (speed < USB_SPEED_SUPER)
							CHECK(b <= 2);
						if (speed < USB_SPEED_HIGH)
							CHECK_EQ(b, 0);
						CHECK(esit <= 0xffff);
						if (type == USB_EP_INTERRUPT)
							CHECK_EQ(esit, (uint32_t)m * (b + 1u));
						else
							CHECK_EQ(esit, 0);
					}
	return 0;
}

/* QEMU's devices get what they got before the limits: they are within them. */
static int t_shape_qemu(void)
{
	struct ep_desc e[30];
	uint16_t m;
	uint8_t b;
	uint32_t esit;

	CHECK_EQ(endpoints_of(storage_super, sizeof(storage_super), 1, alt0, -1, e, 30), 2);
	desc_ep_shape(USB_SPEED_SUPER, &e[0], &m, &b, &esit);
	CHECK(m == 1024 && b == 15 && esit == 0);
	CHECK_EQ(endpoints_of(storage_high, sizeof(storage_high), 1, alt0, -1, e, 30), 2);
	desc_ep_shape(USB_SPEED_HIGH, &e[1], &m, &b, &esit);
	CHECK(m == 512 && b == 0 && esit == 0);
	CHECK_EQ(endpoints_of(kbd_full, sizeof(kbd_full), 1, alt0, -1, e, 30), 1);
	desc_ep_shape(USB_SPEED_FULL, &e[0], &m, &b, &esit);
	CHECK(m == 8 && b == 0 && esit == 8);
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

/* Everything the parsers answer for d (len bytes, an exact heap buffer) is consistent. */
static int check_all(const uint8_t *d, size_t len)
{
	uint8_t cls[3], alt[32];
	struct ep_desc e[30];
	size_t pos = 0, last = 0;
	unsigned int v, i, steps = 0;

	for (i = 0; i < 32; i++)
		alt[i] = (uint8_t)(next() % 3);
	if (desc_first_interface(d, len, cls) == 0)
		CHECK(len >= 27);
	while (desc_next_interface(d, len, &pos, cls)) {
		CHECK(pos > last);	/* it advances (past the end, at most a bLength) */
		CHECK(pos <= len - 18 + 255);
		last = pos;
		CHECK(++steps <= len);
	}
	for (v = 0; v < 256; v++) {
		const uint8_t *c;
		size_t clen = 0;
		int n, only;

		c = desc_config_find(d, len, (uint8_t)v, &clen);
		if (!c)
			continue;
		CHECK(c >= d + 18);
		CHECK(clen >= 9);
		CHECK(c + clen <= d + len);
		CHECK_EQ(c[5], v);
		{
			struct if_desc ifs[32];
			uint32_t seen = 0;
			int k, m = desc_interfaces(c, clen, alt, ifs, 32);

			/* each number once, below 32, in its asked-for alternate setting */
			CHECK(m >= 0 && m <= 32);
			for (k = 0; k < m; k++) {
				CHECK(ifs[k].number < 32);
				CHECK(!(seen & (1u << ifs[k].number)));
				seen |= 1u << ifs[k].number;
				CHECK_EQ(ifs[k].alt, alt[ifs[k].number]);
			}
		}
		for (only = -1; only < 3; only++) {
			n = desc_config_endpoints(c, clen, alt, only, e, 30);
			CHECK(n == -EPROTO || (n >= 0 && n <= 30));
			for (i = 0; n > 0 && i < (unsigned int)n; i++) {
				unsigned int speed;

				CHECK(desc_ep_dci(e[i].addr) < 32);
				CHECK(e[i].mps <= 0x7ff);
				CHECK(e[i].mult <= 3);
				if (only >= 0)
					CHECK_EQ(e[i].iface, only);
				for (speed = 0; speed < 8; speed++) {
					uint16_t m;
					uint8_t b;
					uint32_t esit;

					CHECK(desc_ep_interval(speed, &e[i]) <= 15);
					desc_ep_shape(speed, &e[i], &m, &b, &esit);
					CHECK(m >= 1 && m <= 1024 && b <= 15 && esit <= 0xffff);
				}
			}
			desc_has_alt(c, clen, (uint8_t)(next() % 4), (uint8_t)(next() % 3));
		}
	}
	return 0;
}

/*
 * Random mutations of every sample: bytes changed (at random or to values
 * that matter: 0, 1, 2, 9, 255, the descriptor types), the buffer cut or
 * grown, a stretch duplicated, a wTotalLength rewritten. Each checked by
 * check_all from an exact-size buffer.
 */
static int t_mutations(void)
{
	static const uint8_t interesting[] = { 0, 1, 2, 4, 5, 6, 7, 8, 9, 17, 18, 0x30, 0x7f,
					       0x80, 0x81, 0xfe, 0xff };
	const char *seed_env = getenv("XHCID_DESC_SEED");
	uint64_t seed = seed_env ? strtoull(seed_env, NULL, 0) : 0xdecafbadf00dULL;
	unsigned int i, rounds = 5000;
	size_t b;

	fprintf(stderr, "  seed %#llx (XHCID_DESC_SEED), %u mutations of each of %zu samples\n",
		(unsigned long long)seed, rounds, ARRAY_SIZE(blobs));
	rng = seed ? seed : 1;
	for (b = 0; b < ARRAY_SIZE(blobs); b++) {
		for (i = 0; i < rounds; i++) {
			uint8_t buf[512], *d;
			size_t len = blobs[b].len, k, nmut = 1 + next() % 4;

			memcpy(buf, blobs[b].buf, len);
			for (k = 0; k < nmut; k++) {
				size_t at = len ? next() % len : 0;

				switch (next() % 6) {
				case 0:
					buf[at] = (uint8_t)next();
					break;
				case 1:
					buf[at] = interesting[next() % sizeof(interesting)];
					break;
				case 2:	/* cut */
					len = next() % (len + 1);
					break;
				case 3:	/* grow with garbage */
					while (len < sizeof(buf) && next() % 8)
						buf[len++] = (uint8_t)next();
					break;
				case 4: {	/* duplicate a stretch */
					size_t n = next() % 32;

					if (at + n <= len && len + n <= sizeof(buf)) {
						memmove(buf + at + n, buf + at, len - at);
						len += n;
					}
					break;
				}
				default:	/* a configuration's wTotalLength */
					if (len >= 22) {
						buf[20] = (uint8_t)next();
						buf[21] = (uint8_t)(next() % 3 ? 0 : next());
					}
					break;
				}
			}
			d = exact(buf, len);
			CHECK(d);
			if (check_all(d, len)) {
				fprintf(stderr, "  %s, mutation %u (%zu bytes)\n", blobs[b].name, i, len);
				free(d);
				return -1;
			}
			free(d);
		}
	}
	return 0;
}

/* Every byte of every sample set to every value, one at a time. */
static int t_every_byte(void)
{
	size_t b, at;
	unsigned int v;

	rng = 0x1234567;
	for (b = 0; b < ARRAY_SIZE(blobs); b++) {
		for (at = 0; at < blobs[b].len; at++) {
			for (v = 0; v < 256; v += 1 + (at >= 18 ? 0 : 16)) {
				uint8_t *d = exact(blobs[b].buf, blobs[b].len);

				CHECK(d);
				d[at] = (uint8_t)v;
				if (check_all(d, blobs[b].len)) {
					fprintf(stderr, "  %s, byte %zu = %u\n", blobs[b].name, at, v);
					free(d);
					return -1;
				}
				free(d);
			}
		}
	}
	return 0;
}

/*
 * An endpoint address under two interface numbers (an attack: SET_INTERFACE
 * on one took or orphaned the other's endpoint) is found, in any alternate;
 * the same address in two alternates of one interface is no conflict.
 */
static int t_shared_ep(void)
{
	static const uint8_t same_alt0[] = {
		0x09, 0x02, 41, 0x00, 0x02, 0x01, 0x00, 0x80, 0x32,
		0x09, 0x04, 0x00, 0x00, 0x01, 0xff, 0x00, 0x00, 0x00,
		0x07, 0x05, 0x81, 0x02, 0x00, 0x02, 0x00,
		0x09, 0x04, 0x01, 0x00, 0x01, 0xff, 0x00, 0x00, 0x00,
		0x07, 0x05, 0x81, 0x02, 0x00, 0x02, 0x00,
	};
	static const uint8_t in_alt1[] = {
		0x09, 0x02, 57, 0x00, 0x02, 0x01, 0x00, 0x80, 0x32,
		0x09, 0x04, 0x00, 0x00, 0x01, 0xff, 0x00, 0x00, 0x00,
		0x07, 0x05, 0x81, 0x02, 0x00, 0x02, 0x00,
		0x09, 0x04, 0x01, 0x00, 0x01, 0xff, 0x00, 0x00, 0x00,
		0x07, 0x05, 0x02, 0x02, 0x00, 0x02, 0x00,
		0x09, 0x04, 0x01, 0x01, 0x01, 0xff, 0x00, 0x00, 0x00,
		0x07, 0x05, 0x91, 0x02, 0x00, 0x02, 0x00,	/* reserved bit 4: DCI 3 still */
	};
	static const uint8_t own_alts[] = {
		0x09, 0x02, 64, 0x00, 0x02, 0x01, 0x00, 0x80, 0x32,
		0x09, 0x04, 0x00, 0x00, 0x01, 0xff, 0x00, 0x00, 0x00,
		0x07, 0x05, 0x81, 0x02, 0x00, 0x02, 0x00,
		0x09, 0x04, 0x01, 0x00, 0x01, 0xff, 0x00, 0x00, 0x00,
		0x07, 0x05, 0x02, 0x02, 0x00, 0x02, 0x00,
		0x09, 0x04, 0x01, 0x01, 0x02, 0xff, 0x00, 0x00, 0x00,
		0x07, 0x05, 0x02, 0x02, 0x00, 0x02, 0x00,
		0x07, 0x05, 0x01, 0x02, 0x00, 0x02, 0x00,	/* OUT 1: not IN 1 */
	};
	uint8_t *p;
	size_t i, clen;
	const uint8_t *c;

	CHECK_EQ(sizeof(same_alt0), 41);
	CHECK_EQ(sizeof(in_alt1), 57);
	CHECK_EQ(sizeof(own_alts), 64);
	p = exact(same_alt0, sizeof(same_alt0));
	CHECK(p);
	i = (size_t)desc_config_shared_ep(p, sizeof(same_alt0));
	free(p);
	CHECK_EQ(i, 0x81);
	p = exact(in_alt1, sizeof(in_alt1));
	CHECK(p);
	i = (size_t)desc_config_shared_ep(p, sizeof(in_alt1));
	free(p);
	CHECK_EQ(i, 0x91);
	p = exact(own_alts, sizeof(own_alts));
	CHECK(p);
	i = (size_t)desc_config_shared_ep(p, sizeof(own_alts));
	free(p);
	CHECK_EQ(i, 0);
	/* The real devices' configurations share nothing; cut ones are read within. */
	for (i = 0; i < ARRAY_SIZE(blobs); i++) {
		c = desc_config_find(blobs[i].buf, blobs[i].len, blobs[i].buf[18 + 5], &clen);
		CHECK(c);
		CHECK_EQ(desc_config_shared_ep(c, clen), 0);
	}
	for (clen = 0; clen <= sizeof(in_alt1); clen++) {
		p = exact(in_alt1, clen);
		CHECK(p);
		i = (size_t)desc_config_shared_ep(p, clen);
		free(p);
		CHECK(i == 0 || (clen == sizeof(in_alt1) && i == 0x91));
	}
	return 0;
}

int main(int argc, char **argv)
{
	static const struct tap_test tests[] = {
		{ "storage", t_storage, 0 },
		{ "kbd", t_kbd, 0 },
		{ "composite", t_composite, 0 },
		{ "lies", t_lies, 0 },
		{ "intervals", t_intervals, 0 },
		{ "short_config", t_short_config, 0 },
		{ "shape", t_shape, 0 },
		{ "shape_qemu", t_shape_qemu, 0 },
		{ "shared_ep", t_shared_ep, 0 },
		{ "mutations", t_mutations, 600 },
		{ "every_byte", t_every_byte, 600 },
	};

	return tap_run("xhcid_desc", tests, ARRAY_SIZE(tests), argc > 1 ? argv[1] : NULL);
}
