// SPDX-License-Identifier: MIT
/*
 * xhcid's SET_CONFIGURATION and SET_INTERFACE (device.c's dev_set_config,
 * dev_set_alt, configure) on the host: device.c compiled into this test
 * whole, the controller and the scheme stubbed (every command succeeds),
 * endpoints counted as they are made and destroyed. Under valgrind in
 * tests/run-all.sh.
 *
 * The cases came from an attack (a device whose descriptors give two
 * interfaces one endpoint address): SET_INTERFACE on interface 1, by its
 * owner, destroyed interface 0's endpoint and took its address (steal), or
 * overwrote it without destroying it, its ring and its waiting clients
 * lost (leak).
 */
#include <stdarg.h>
#include <stdio.h>

#include "../../../userspace-drivers/xhcid/device.c"

#include "../../lib/tap.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static int eps_made, eps_destroyed, commands;

struct ep *ep_new(struct usb_dev *dev, uint8_t dci)
{
	struct ep *ep = calloc(1, sizeof(*ep));

	if (!ep)
		return NULL;
	ep->dev = dev;
	ep->dci = dci;
	eps_made++;
	return ep;
}

void ep_destroy(struct hc *hc, struct ep *ep, int err)
{
	(void)hc;
	(void)err;
	if (!ep)
		return;
	eps_destroyed++;
	free(ep);
}

int hc_command(struct hc *hc, uint64_t param, uint32_t status, uint32_t control,
	       uint32_t *slot_out)
{
	(void)hc; (void)param; (void)status; (void)control; (void)slot_out;
	commands++;
	return CC_SUCCESS;
}

int ctrl_sync(struct usb_dev *dev, uint8_t type, uint8_t req, uint16_t value,
	      uint16_t index, void *data, uint16_t len)
{
	(void)dev; (void)type; (void)req; (void)value; (void)index; (void)data;
	return len;
}

void hc_log(struct hc *hc, const char *fmt, ...)
{
	va_list ap;

	(void)hc;
	va_start(ap, fmt);
	fprintf(stderr, "# xhcid: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
}

const char *cc_name(uint32_t cc) { (void)cc; return "?"; }
void classdrv_device_ready(struct hc *hc, struct usb_dev *dev) { (void)hc; (void)dev; }
void classdrv_device_gone(struct hc *hc, unsigned int port) { (void)hc; (void)port; }
void scheme_port_changed(struct hc *hc, unsigned int port) { (void)hc; (void)port; }
int dma_get(struct dma_pool *pool, size_t size, struct dma_span *out)
{
	(void)pool;
	out->map = calloc(1, size);
	out->size = size;
	return out->map ? 0 : -ENOMEM;
}
void dma_put(struct dma_pool *pool, struct dma_span *span) { (void)pool; free(span->map); }
uint32_t hc_read32(struct hc *hc, volatile uint8_t *base, uint32_t off)
{ (void)hc; (void)base; (void)off; return 0; }
void hc_write32(struct hc *hc, volatile uint8_t *base, uint32_t off, uint32_t v)
{ (void)hc; (void)base; (void)off; (void)v; }
int hc_wait(struct hc *hc, const bool *flag, int timeout_ms)
{ (void)hc; (void)flag; (void)timeout_ms; return 0; }

enum shape { STEAL, LEAK, HONEST };

static uint8_t desc[512], in_ctx[33 * 64], out_ctx[33 * 64];
static struct hc hc;
static struct usb_dev dev;

/* A device descriptor (18 bytes) and one configuration of the shape asked for. */
static void device(enum shape shape)
{
	static const uint8_t dev_desc[18] = { 18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x34, 0x12,
					      0x78, 0x56, 0, 1, 0, 0, 0, 1 };
	uint8_t *c = desc + 18;
	size_t n = 9;

#define IF(num, alt, neps) do { uint8_t x[9] = { 9, 4, num, alt, neps, 0xff, 0, 0, 0 }; \
		memcpy(c + n, x, 9); n += 9; } while (0)
#define EP(addr) do { uint8_t x[7] = { 7, 5, addr, 2, 0x00, 0x02, 0 }; \
		memcpy(c + n, x, 7); n += 7; } while (0)
	memset(desc, 0, sizeof(desc));
	memcpy(desc, dev_desc, 18);
	IF(0, 0, 1);
	EP(0x81);
	IF(1, 0, shape == STEAL ? 2 : 1);
	if (shape == STEAL)
		EP(0x81);		/* interface 0's address */
	EP(0x02);
	if (shape == LEAK) {
		IF(1, 1, 2);
		EP(0x81);		/* alternate 1: interface 0's address */
		EP(0x02);
	} else if (shape == HONEST) {
		IF(1, 1, 2);
		EP(0x02);
		EP(0x83);
	}
#undef IF
#undef EP
	c[0] = 9; c[1] = 2; c[2] = (uint8_t)n; c[3] = (uint8_t)(n >> 8);
	c[4] = 2; c[5] = 1; c[6] = 0; c[7] = 0x80; c[8] = 50;
	memset(&dev, 0, sizeof(dev));
	memset(&hc, 0, sizeof(hc));
	hc.ctx_size = 32;
	dev.hc = &hc;
	dev.port = 1;
	dev.slot = 1;
	dev.speed = USB_SPEED_HIGH;
	dev.in_ctx.map = in_ctx;
	dev.out_ctx.map = out_ctx;
	dev.desc = desc;
	dev.desc_len = 18 + n;
	eps_made = eps_destroyed = commands = 0;
}

static int live(void)
{
	int i, k = 0;

	for (i = 2; i < 32; i++)
		k += dev.eps[i] != NULL;
	return k;
}

/* Every endpoint made is live in dev.eps or destroyed (none lost); then all go. */
static int balanced(void)
{
	CHECK_EQ(eps_made - eps_destroyed, live());
	if (dev.config)
		CHECK_EQ(dev_set_config(&dev, 0), 0);
	CHECK_EQ(live(), 0);
	CHECK_EQ(eps_made, eps_destroyed);
	return 0;
}

/*
 * The device's configuration as configure() takes it with no check, the
 * way an xhcid before the fix did: so that configure()'s and
 * dev_set_alt()'s own guards are tested too.
 */
static int configured_unchecked(void)
{
	const uint8_t *c;
	size_t clen;

	c = desc_config_find(dev.desc, dev.desc_len, 1, &clen);
	CHECK(c);
	CHECK_EQ(configure(&dev, c, clen, -1, 0), 0);
	dev.config = 1;
	CHECK(dev.eps[3] && dev.eps[3]->iface == 0);
	CHECK(dev.eps[4] && dev.eps[4]->iface == 1);
	return 0;
}

/* SET_CONFIGURATION refuses a configuration whose interfaces share an address. */
static int t_config_refused(void)
{
	enum shape s;

	for (s = STEAL; s <= LEAK; s++) {
		device(s);
		CHECK_EQ(dev_set_config(&dev, 1), -EPROTO);
		CHECK_EQ(dev.config, 0);
		CHECK_EQ(eps_made, 0);
		CHECK_EQ(commands, 0);
	}
	return 0;
}

/* steal: SET_ALT(1, 0) by interface 1's owner leaves interface 0's 0x81 alone. */
static int t_steal(void)
{
	struct ep *was;
	int err;

	device(STEAL);
	CHECK_EQ(configured_unchecked(), 0);
	was = dev.eps[3];
	err = dev_set_alt(&dev, 1, 0);
	CHECK_EQ(err, -EPROTO);
	CHECK(dev.eps[3] == was);
	CHECK_EQ(dev.eps[3]->iface, 0);
	CHECK_EQ(dev.alt[1], 0);
	return balanced();
}

/* leak: SET_ALT(1, 1) never overwrites interface 0's 0x81 (nor adds it twice). */
static int t_leak(void)
{
	struct ep *was;

	device(LEAK);
	CHECK_EQ(configured_unchecked(), 0);
	was = dev.eps[3];
	CHECK_EQ(dev_set_alt(&dev, 1, 1), -EPROTO);
	CHECK(dev.eps[3] == was);
	CHECK_EQ(dev.eps[3]->iface, 0);
	CHECK_EQ(dev.alt[1], 0);	/* the old alternate stays */
	CHECK(dev.eps[4] && dev.eps[4]->iface == 1);
	return balanced();
}

/* An honest device: SET_ALT replaces interface 1's endpoints only, both ways. */
static int t_honest(void)
{
	struct ep *if0;

	device(HONEST);
	CHECK_EQ(dev_set_config(&dev, 1), 0);
	CHECK_EQ(dev.config, 1);
	if0 = dev.eps[3];
	CHECK(if0 && if0->iface == 0);
	CHECK(dev.eps[4] && !dev.eps[7]);
	CHECK_EQ(dev_set_alt(&dev, 1, 1), 0);
	CHECK(dev.eps[3] == if0);
	CHECK(dev.eps[4] && dev.eps[4]->iface == 1);
	CHECK(dev.eps[7] && dev.eps[7]->iface == 1);
	CHECK_EQ(dev_set_alt(&dev, 1, 0), 0);
	CHECK(dev.eps[3] == if0);
	CHECK(dev.eps[4] && !dev.eps[7]);
	CHECK_EQ(dev_set_alt(&dev, 0, 0), 0);	/* interface 0's own: replaced */
	CHECK(dev.eps[3] && dev.eps[3]->iface == 0);
	CHECK_EQ(dev_set_alt(&dev, 1, 2), -EINVAL);
	return balanced();
}

int main(int argc, char **argv)
{
	static const struct tap_test tests[] = {
		{ "config_refused", t_config_refused, 0 },
		{ "steal", t_steal, 0 },
		{ "leak", t_leak, 0 },
		{ "honest", t_honest, 0 },
	};

	return tap_run("xhcid_alt", tests, ARRAY_SIZE(tests), argc > 1 ? argv[1] : NULL);
}
