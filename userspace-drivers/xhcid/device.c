// SPDX-License-Identifier: MIT
/*
 * Root-hub ports and the devices on them.
 *
 * A port's life (struct usb_dev.state, enum usb_port_state):
 *   EMPTY -> ATTACHED (connect seen) -> READY (enumerated: slot, address,
 *   descriptors, first configuration set) or FAILED (logged) -> EMPTY
 *   (disconnect: slot disabled, transfers failed -ENODEV, handles -ESTALE).
 *
 * Port Status Change events only mark a port (hc->ports_pending); the work
 * is done here from the daemon loop, never inside an event pass, because
 * enumeration waits for commands and transfers (hc_wait).
 *
 * Every descriptor byte comes from the device and is checked against the
 * length that arrived before it is used.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "xhcid.h"

const char *speed_name(unsigned int speed)
{
	switch (speed) {
	case USB_SPEED_LOW: return "low";
	case USB_SPEED_FULL: return "full";
	case USB_SPEED_HIGH: return "high";
	case USB_SPEED_SUPER: return "super";
	case USB_SPEED_SUPER_PLUS: return "super+";
	default: return "-";
	}
}

static uint32_t portsc(struct hc *hc, unsigned int port)
{
	return hc_read32(hc, hc->op, XHCI_PORTSC(port));
}

/* Set bits in PORTSC without writing back PED or a change bit by accident. */
static void portsc_set(struct hc *hc, unsigned int port, uint32_t bits)
{
	uint32_t v = portsc(hc, port);

	hc_write32(hc, hc->op, XHCI_PORTSC(port), (v & PORT_RW_KEEP) | bits);
}

/* Clear the change bits that are set now (write 1 to clear). Returns them. */
static uint32_t portsc_ack(struct hc *hc, unsigned int port)
{
	uint32_t v = portsc(hc, port);

	if (v & PORT_CHANGES)
		hc_write32(hc, hc->op, XHCI_PORTSC(port), (v & PORT_RW_KEEP) | (v & PORT_CHANGES));
	return v;
}

/* Wait up to ms for (PORTSC & mask) == want, handling events meanwhile. */
static int port_wait(struct hc *hc, unsigned int port, uint32_t mask, uint32_t want, int ms)
{
	int t;

	for (t = 0; t < ms; t += 10) {
		bool never = false;

		if ((portsc(hc, port) & mask) == want)
			return 0;
		if (hc->dead)
			return -ENODEV;
		hc_wait(hc, &never, 10);
	}
	return (portsc(hc, port) & mask) == want ? 0 : -ETIMEDOUT;
}

/*
 * Bring the port to Enabled: USB2 by a port reset; USB3 trains by itself
 * (a warm reset when its link is stuck, or always when reset is asked:
 * USB_CALL_PORT_RESET).
 */
static int port_enable(struct hc *hc, unsigned int port, bool reset)
{
	uint32_t v = portsc(hc, port);
	int err;

	if (hc->usb3_port[port]) {
		unsigned int pls = PORT_PLS(v);

		if (reset || pls == PLS_COMPLIANCE || pls == PLS_INACTIVE) {
			if (reset)
				hc_log(hc, "port %u: warm reset", port);
			else
				hc_log(hc, "port %u: link in state %u: warm reset", port, pls);
			portsc_set(hc, port, PORT_WPR);
			port_wait(hc, port, PORT_WRC, PORT_WRC, 500);
			portsc_ack(hc, port);
		}
		return port_wait(hc, port, PORT_PED, PORT_PED, 1000);
	}
	portsc_set(hc, port, PORT_PR);
	err = port_wait(hc, port, PORT_PRC, PORT_PRC, 500);
	portsc_ack(hc, port);
	if (err)
		return err;
	return (portsc(hc, port) & PORT_PED) ? 0 : -EIO;
}

static void *ctx_at(struct hc *hc, struct dma_span *ctx, unsigned int index)
{
	return (uint8_t *)ctx->map + (size_t)index * hc->ctx_size;
}

/* Input context: index 0 is the Input Control Context, 1 the slot, 1 + DCI the endpoints. */
static uint32_t *in_ctl(struct usb_dev *dev)
{
	return ctx_at(dev->hc, &dev->in_ctx, 0);
}

static uint32_t *in_slot(struct usb_dev *dev)
{
	return ctx_at(dev->hc, &dev->in_ctx, 1);
}

static uint32_t *in_ep(struct usb_dev *dev, unsigned int dci)
{
	return ctx_at(dev->hc, &dev->in_ctx, 1 + dci);
}

static uint32_t *out_slot(struct usb_dev *dev)
{
	return ctx_at(dev->hc, &dev->out_ctx, 0);
}

static void in_ctx_clear(struct usb_dev *dev)
{
	memset(dev->in_ctx.map, 0, (size_t)33 * dev->hc->ctx_size);
}

static void ep_ctx_fill(struct usb_dev *dev, struct ep *ep, uint32_t ctx_type,
			uint32_t interval, uint8_t burst, uint32_t esit)
{
	uint32_t *c = in_ep(dev, ep->dci);
	uint64_t deq = ep->ring.bus | CTX_EP_DCS;

	memset(c, 0, dev->hc->ctx_size);
	c[0] = CTX_EP_INTERVAL(interval);
	c[1] = CTX_EP_CERR(3) | CTX_EP_TYPE(ctx_type) | CTX_EP_BURST(burst) |
	       CTX_EP_MPS(ep->mps);
	c[2] = (uint32_t)deq;
	c[3] = (uint32_t)(deq >> 32);
	c[4] = CTX_EP_AVG_TRB(ctx_type == EPT_CONTROL ? 8 : esit ? esit : 3072) |
	       CTX_EP_MAX_ESIT_LO(esit);
	memcpy(ep->ctx, c, sizeof(ep->ctx));	/* for dev_reset_endpoint */
}

static int cmd_ok(struct hc *hc, struct usb_dev *dev, const char *what, int cc)
{
	if (cc == CC_SUCCESS)
		return 0;
	if (cc < 0) {
		hc_log(hc, "port %u: %s: %s", dev->port, what, strerror(-cc));
		return cc;
	}
	hc_log(hc, "port %u: %s: %s", dev->port, what, cc_name((uint32_t)cc));
	return -EIO;
}

/* ---- descriptors ---- */

static int get_desc(struct usb_dev *dev, uint8_t type, uint8_t index, void *buf, uint16_t len)
{
	return ctrl_sync(dev, 0x80, USB_REQ_GET_DESCRIPTOR, (uint16_t)(type << 8 | index), 0,
			 buf, len);
}

static int read_descriptors(struct usb_dev *dev)
{
	uint8_t devd[18], head[9], *all;
	size_t len = sizeof(devd);
	unsigned int i, nconf;
	int r;

	r = get_desc(dev, USB_DT_DEVICE, 0, devd, sizeof(devd));
	if (r != (int)sizeof(devd) || devd[0] != 18 || devd[1] != USB_DT_DEVICE)
		return r < 0 ? r : -EPROTO;
	nconf = devd[17];
	if (!nconf || nconf > 8)
		return -EPROTO;
	all = malloc(len);
	if (!all)
		return -ENOMEM;
	memcpy(all, devd, len);
	for (i = 0; i < nconf; i++) {
		uint16_t total;
		uint8_t *n;

		r = get_desc(dev, USB_DT_CONFIG, (uint8_t)i, head, sizeof(head));
		if (r != (int)sizeof(head) || head[0] < 9 || head[1] != USB_DT_CONFIG)
			goto bad;
		total = (uint16_t)(head[2] | head[3] << 8);
		if (total < 9)
			goto bad;
		n = realloc(all, len + total);
		if (!n) {
			r = -ENOMEM;
			goto out;
		}
		all = n;
		r = get_desc(dev, USB_DT_CONFIG, (uint8_t)i, all + len, total);
		if (r < 9)
			goto bad;
		/*
		 * What arrived is what we keep (Linux keeps a short one too), its
		 * wTotalLength saying so: else the next configuration is taken
		 * for this one's tail (and not found itself).
		 */
		desc_config_arrived(all + len, (size_t)r);
		len += (size_t)r;
	}
	free(dev->desc);
	dev->desc = all;
	dev->desc_len = len;
	return 0;
bad:
	r = r < 0 ? r : -EPROTO;
out:
	free(all);
	return r;
}

/* The configuration descriptor with this value: its bytes and length, or NULL. */
static const uint8_t *config_find(const struct usb_dev *dev, uint8_t value, size_t *len)
{
	return desc_config_find(dev->desc, dev->desc_len, value, len);
}

int dev_first_interface(const struct usb_dev *dev, uint8_t cls[3])
{
	return desc_first_interface(dev->desc, dev->desc_len, cls);
}

/* ---- endpoints of a configuration ---- */

/* Every endpoint but EP0, as a drop mask. */
static uint32_t all_endpoints(const struct usb_dev *dev)
{
	uint32_t mask = 0;
	unsigned int i;

	for (i = 2; i < 32; i++)
		if (dev->eps[i])
			mask |= 1u << i;
	return mask;
}

static void free_endpoints(struct usb_dev *dev, uint32_t mask, int err)
{
	unsigned int i;

	for (i = 2; i < 32; i++) {
		if (!(mask & (1u << i)) || !dev->eps[i])
			continue;
		ep_destroy(dev->hc, dev->eps[i], err);
		dev->eps[i] = NULL;
	}
}

/*
 * Configure Endpoint for the endpoints of the current alternates (of one
 * interface, or all), replacing drop_mask's. New rings are made first; the
 * old ones are freed once the controller let go of them.
 */
static int configure(struct usb_dev *dev, const uint8_t *c, size_t clen, int only_iface,
		     uint32_t drop_mask)
{
	struct hc *hc = dev->hc;
	struct ep_desc eds[30];
	struct ep *neweps[32] = { 0 };
	uint32_t add = 0, *ctl;
	unsigned int i, last = 1;
	int n, cc;

	n = desc_config_endpoints(c, clen, dev->alt, only_iface, eds, 30);
	if (n < 0)
		return n;
	in_ctx_clear(dev);
	for (i = 0; i < (unsigned int)n; i++) {
		struct ep_desc *e = &eds[i];
		uint8_t dci = desc_ep_dci(e->addr), type = e->attr & 3;
		uint32_t ct, esit;
		uint8_t burst;
		struct ep *ep;

		if (dci < 2 || type == USB_EP_CONTROL || type == USB_EP_ISOC || neweps[dci])
			continue;	/* isochronous: not supported; duplicates: ignored */
		if (dev->eps[dci] && !(drop_mask & (1u << dci))) {
			/*
			 * Live and not dropped: another interface's (descriptors
			 * that lie). Never replaced (nor added twice: the
			 * controller would refuse, and its owner's ring be lost).
			 */
			hc_log(hc, "port %u: endpoint %02x is interface %u's, not %u's: refused",
			       dev->port, e->addr, dev->eps[dci]->iface, e->iface);
			for (i = 0; i < 32; i++)
				if (neweps[i])
					ep_destroy(hc, neweps[i], -EPROTO);
			return -EPROTO;
		}
		ep = ep_new(dev, dci);
		if (!ep) {
			for (i = 0; i < 32; i++)
				if (neweps[i])
					ep_destroy(hc, neweps[i], -ENOMEM);
			return -ENOMEM;
		}
		ep->addr = e->addr;
		ep->iface = e->iface;
		ep->gen = ++hc->generations;
		ep->type = type;
		ep->interval = e->interval;
		/* within what xHCI allows, whatever the descriptor says */
		desc_ep_shape(dev->speed, e, &ep->mps, &burst, &esit);
		ep->burst = dev->speed >= USB_SPEED_SUPER ? burst : 0;	/* EP_INFO: the companion's */
		ep->timeout_ms = type == USB_EP_BULK ? USB_BULK_TIMEOUT_MS : 0;
		neweps[dci] = ep;
		add |= 1u << dci;
		if (dci > last)
			last = dci;
		if (type == USB_EP_BULK)
			ct = (e->addr & 0x80) ? EPT_BULK_IN : EPT_BULK_OUT;
		else
			ct = (e->addr & 0x80) ? EPT_INT_IN : EPT_INT_OUT;
		ep_ctx_fill(dev, ep, ct, desc_ep_interval(dev->speed, e), burst, esit);
	}
	for (i = 2; i < 32; i++)
		if (dev->eps[i] && !(drop_mask & (1u << i)) && i > last)
			last = i;
	ctl = in_ctl(dev);
	ctl[0] = drop_mask;
	ctl[1] = add | 1u;	/* A0: the slot context (Context Entries) */
	memcpy(in_slot(dev), out_slot(dev), hc->ctx_size);
	in_slot(dev)[0] = (in_slot(dev)[0] & ~CTX_SLOT_ENTRIES(31)) | CTX_SLOT_ENTRIES(last);
	in_slot(dev)[3] = 0;
	cc = hc_command(hc, dev->in_ctx.bus, 0, TRB_TYPE(TRB_CONFIG_EP) | TRB_SLOT(dev->slot), NULL);
	if (cmd_ok(hc, dev, "Configure Endpoint", cc)) {
		for (i = 0; i < 32; i++)
			if (neweps[i])
				ep_destroy(hc, neweps[i], -EIO);
		return -EIO;
	}
	free_endpoints(dev, drop_mask, -ESTALE);
	for (i = 2; i < 32; i++)
		if (neweps[i])
			dev->eps[i] = neweps[i];
	return 0;
}

int dev_set_config(struct usb_dev *dev, uint8_t value)
{
	struct hc *hc = dev->hc;
	const uint8_t *c = NULL;
	uint32_t drop = 0;
	size_t clen = 0;
	int err;

	if (value) {
		c = config_find(dev, value, &clen);
		if (!c)
			return -EINVAL;
		err = desc_config_shared_ep(c, clen);
		if (err) {
			hc_log(hc, "port %u: configuration %u lists endpoint %02x under two interfaces: refused",
			       dev->port, value, err);
			return -EPROTO;
		}
	}
	drop = all_endpoints(dev);
	memset(dev->alt, 0, sizeof(dev->alt));
	if (value) {
		err = configure(dev, c, clen, -1, drop);
	} else if (drop) {
		/* Unconfigure: drop everything (the Deconfigure flag would do too). */
		in_ctx_clear(dev);
		in_ctl(dev)[0] = drop;
		in_ctl(dev)[1] = 1;
		memcpy(in_slot(dev), out_slot(dev), hc->ctx_size);
		in_slot(dev)[0] = (in_slot(dev)[0] & ~CTX_SLOT_ENTRIES(31)) | CTX_SLOT_ENTRIES(1);
		in_slot(dev)[3] = 0;
		err = cmd_ok(hc, dev, "Configure Endpoint (drop all)",
			     hc_command(hc, dev->in_ctx.bus, 0,
					TRB_TYPE(TRB_CONFIG_EP) | TRB_SLOT(dev->slot), NULL));
		if (!err)
			free_endpoints(dev, drop, -ESTALE);
	} else {
		err = 0;
	}
	if (err)
		return err;
	err = ctrl_sync(dev, 0x00, USB_REQ_SET_CONFIGURATION, value, 0, NULL, 0);
	if (err < 0) {
		hc_log(hc, "port %u: SET_CONFIGURATION %u: %s", dev->port, value, strerror(-err));
		return err;
	}
	dev->config = value;
	dev->config_gen = ++hc->generations;	/* endpoint handles of the old one go stale */
	if (dev->state == USB_PORT_READY)
		scheme_port_changed(hc, dev->port);	/* reconfigured: the port's handles hear it */
	return 0;
}

int dev_set_alt(struct usb_dev *dev, uint8_t iface, uint8_t alt)
{
	struct hc *hc = dev->hc;
	const uint8_t *c;
	uint32_t drop = 0;
	uint8_t old;
	size_t clen;
	unsigned int i;
	int err;

	if (!dev->config || iface >= 32)
		return -EINVAL;
	c = config_find(dev, dev->config, &clen);
	if (!c)
		return -EINVAL;
	if (!desc_has_alt(c, clen, iface, alt))
		return -EINVAL;
	/* The interface's current endpoints go. */
	{
		struct ep_desc eds[30];
		int n = desc_config_endpoints(c, clen, dev->alt, iface, eds, 30);

		for (i = 0; n > 0 && i < (unsigned int)n; i++) {
			struct ep *ep = dev->eps[desc_ep_dci(eds[i].addr)];

			if (ep && ep->iface == iface)	/* its own, never another's */
				drop |= 1u << ep->dci;
		}
	}
	old = dev->alt[iface];
	dev->alt[iface] = alt;
	err = configure(dev, c, clen, iface, drop);
	if (err) {
		dev->alt[iface] = old;
		return err;
	}
	err = ctrl_sync(dev, 0x01, USB_REQ_SET_INTERFACE, alt, iface, NULL, 0);
	if (err < 0) {
		hc_log(hc, "port %u: SET_INTERFACE %u/%u: %s", dev->port, iface, alt, strerror(-err));
		return err;
	}
	dev->config_gen = ++hc->generations;
	scheme_port_changed(hc, dev->port);
	return 0;
}

/*
 * The host side of CLEAR_FEATURE(ENDPOINT_HALT): the device has reset its
 * data toggle (sequence number); the controller must too, or the next
 * transfer is lost on real hardware (QEMU does not model toggles). As
 * Linux's xhci_endpoint_reset: Configure Endpoint dropping and adding the
 * endpoint with its own context, on its ring started afresh. Only with no
 * transfer queued on it (-EBUSY): they would be lost.
 */
int dev_reset_endpoint(struct usb_dev *dev, struct ep *ep)
{
	struct hc *hc = dev->hc;
	uint32_t *c, bit = 1u << ep->dci;
	uint64_t deq;
	int cc;

	if (ep->head || ep->wait_head || ep->halted || ep->stopping || ep->rq)
		return -EBUSY;
	memset(ep->ring.trbs, 0, (size_t)(ep->ring.n - 1) * sizeof(struct trb));
	ep->ring.trbs[ep->ring.n - 1].control = TRB_TYPE(TRB_LINK) | TRB_TC;
	ep->ring.enq = 0;
	ep->ring.cycle = 1;
	ep->ring.used = 0;
	in_ctx_clear(dev);
	in_ctl(dev)[0] = bit;
	in_ctl(dev)[1] = bit | 1u;
	memcpy(in_slot(dev), out_slot(dev), hc->ctx_size);
	in_slot(dev)[3] = 0;
	c = in_ep(dev, ep->dci);
	memcpy(c, ep->ctx, sizeof(ep->ctx));
	deq = ep->ring.bus | CTX_EP_DCS;
	c[2] = (uint32_t)deq;
	c[3] = (uint32_t)(deq >> 32);
	cc = hc_command(hc, dev->in_ctx.bus, 0, TRB_TYPE(TRB_CONFIG_EP) | TRB_SLOT(dev->slot), NULL);
	return cmd_ok(hc, dev, "Configure Endpoint (endpoint reset)", cc);
}

struct ep *dev_ep_by_addr(struct usb_dev *dev, uint8_t addr)
{
	uint8_t dci = desc_ep_dci(addr);
	struct ep *ep;

	if ((addr & 0x70) || dci < 2)
		return NULL;
	ep = dev->eps[dci];
	return ep && ep->addr == addr ? ep : NULL;
}

/* ---- enumeration ---- */

static int enumerate(struct hc *hc, struct usb_dev *dev)
{
	uint32_t slot = 0, *c;
	uint8_t d8[8];
	int cc, r;

	cc = hc_command(hc, 0, 0, TRB_TYPE(TRB_ENABLE_SLOT), &slot);
	if (cmd_ok(hc, dev, "Enable Slot", cc))
		return -EIO;
	if (!slot || slot > hc->max_slots) {
		hc_log(hc, "port %u: Enable Slot gave slot %u", dev->port, slot);
		return -EIO;
	}
	dev->slot = (uint8_t)slot;
	hc->slot_dev[slot] = dev;
	if (dma_get(hc->pool, (size_t)32 * hc->ctx_size, &dev->out_ctx) ||
	    dma_get(hc->pool, (size_t)33 * hc->ctx_size, &dev->in_ctx))
		return -ENOMEM;
	((uint64_t *)hc->dcbaa.map)[slot] = dev->out_ctx.bus;
	dev->eps[1] = ep_new(dev, 1);
	if (!dev->eps[1])
		return -ENOMEM;
	dev->eps[1]->addr = 0;
	dev->eps[1]->type = USB_EP_CONTROL;
	switch (dev->speed) {
	case USB_SPEED_LOW:
	case USB_SPEED_FULL:
		dev->mps0 = 8;
		break;
	case USB_SPEED_HIGH:
		dev->mps0 = 64;
		break;
	default:
		dev->mps0 = 512;
		break;
	}
	dev->eps[1]->mps = dev->mps0;

	in_ctx_clear(dev);
	in_ctl(dev)[1] = 0x3;	/* A0 slot, A1 EP0 */
	c = in_slot(dev);
	c[0] = CTX_SLOT_ENTRIES(1) | CTX_SLOT_SPEED(dev->speed);
	c[1] = CTX_SLOT_PORT(dev->port);
	ep_ctx_fill(dev, dev->eps[1], EPT_CONTROL, 0, 0, 0);
	cc = hc_command(hc, dev->in_ctx.bus, 0, TRB_TYPE(TRB_ADDRESS_DEV) | TRB_SLOT(slot), NULL);
	if (cmd_ok(hc, dev, "Address Device", cc))
		return -EIO;

	/* EP0's max packet size: the first 8 bytes say it (full speed may be 8..64). */
	r = get_desc(dev, USB_DT_DEVICE, 0, d8, sizeof(d8));
	if (r != (int)sizeof(d8) || d8[1] != USB_DT_DEVICE) {
		hc_log(hc, "port %u: first GET_DESCRIPTOR failed: %s", dev->port,
		       r < 0 ? strerror(-r) : "short");
		return r < 0 ? r : -EPROTO;
	}
	if (dev->speed < USB_SPEED_SUPER && d8[7] != dev->mps0 &&
	    (d8[7] == 8 || d8[7] == 16 || d8[7] == 32 || d8[7] == 64)) {
		dev->mps0 = d8[7];
		dev->eps[1]->mps = dev->mps0;
		in_ctx_clear(dev);
		in_ctl(dev)[1] = 0x2;	/* A1: EP0 */
		ep_ctx_fill(dev, dev->eps[1], EPT_CONTROL, 0, 0, 0);
		/* The ring's dequeue pointer is ignored by Evaluate Context. */
		cc = hc_command(hc, dev->in_ctx.bus, 0, TRB_TYPE(TRB_EVAL_CTX) | TRB_SLOT(slot),
				NULL);
		if (cmd_ok(hc, dev, "Evaluate Context", cc))
			return -EIO;
	}
	r = read_descriptors(dev);
	if (r) {
		hc_log(hc, "port %u: reading descriptors failed: %s", dev->port, strerror(-r));
		return r;
	}
	/* The first configuration, as Linux chooses by default for these devices. */
	r = dev_set_config(dev, dev->desc[18 + 5]);
	if (r)
		hc_log(hc, "port %u: setting configuration %u failed: %s", dev->port,
		       dev->desc[18 + 5], strerror(-r));
	return r;
}

static void dev_release(struct hc *hc, struct usb_dev *dev, int err)
{
	unsigned int i;

	for (i = 1; i < 32; i++) {
		ep_destroy(hc, dev->eps[i], err);
		dev->eps[i] = NULL;
	}
	if (dev->slot) {
		((uint64_t *)hc->dcbaa.map)[dev->slot] = 0;
		hc->slot_dev[dev->slot] = NULL;
		dev->slot = 0;
	}
	dma_put(hc->pool, &dev->out_ctx);
	dma_put(hc->pool, &dev->in_ctx);
	free(dev->desc);
	dev->desc = NULL;
	dev->desc_len = 0;
	dev->config = 0;
}

static void attach(struct hc *hc, unsigned int port, bool reset)
{
	struct usb_dev *dev = hc->dev[port];
	uint8_t cls[3] = { 0xff, 0xff, 0xff };
	uint16_t vid, pid;
	int err;

	if (!dev) {
		dev = calloc(1, sizeof(*dev));
		if (!dev)
			return;
		dev->hc = hc;
		dev->port = (uint8_t)port;
		hc->dev[port] = dev;
	}
	dev->state = USB_PORT_ATTACHED;
	dev->generation = ++hc->generations;
	err = port_enable(hc, port, reset);
	if (err) {
		hc_log(hc, "port %u: connected, but the port did not enable: %s", port,
		       strerror(-err));
		dev->state = USB_PORT_FAILED;
		return;
	}
	dev->speed = (uint8_t)PORT_SPEED(portsc(hc, port));
	err = enumerate(hc, dev);
	if (err) {
		uint32_t slot = dev->slot;

		dev_release(hc, dev, -ENODEV);
		if (slot)
			hc_command(hc, 0, 0, TRB_TYPE(TRB_DISABLE_SLOT) | TRB_SLOT(slot), NULL);
		dev->state = USB_PORT_FAILED;
		hc_log(hc, "port %u: enumeration failed: %s", port, strerror(-err));
		return;
	}
	dev->state = USB_PORT_READY;
	vid = (uint16_t)(dev->desc[8] | dev->desc[9] << 8);
	pid = (uint16_t)(dev->desc[10] | dev->desc[11] << 8);
	dev_first_interface(dev, cls);
	classdrv_device_ready(hc, dev);
	hc_log(hc, "port %u: ready, %s speed, %04x:%04x, class %02x/%02x/%02x, slot %u, "
	       "configuration %u, %zu bytes of descriptors", port, speed_name(dev->speed), vid,
	       pid, cls[0], cls[1], cls[2], dev->slot, dev->config, dev->desc_len);
}

void dev_detach(struct hc *hc, unsigned int port)
{
	struct usb_dev *dev = hc->dev[port];
	uint32_t slot;

	if (!dev)
		return;
	slot = dev->slot;
	classdrv_device_gone(hc, port);
	/* The controller lets go of the rings first (Disable Slot), then they are freed. */
	if (slot && !hc->dead)
		hc_command(hc, 0, 0, TRB_TYPE(TRB_DISABLE_SLOT) | TRB_SLOT(slot), NULL);
	dev_release(hc, dev, -ENODEV);
	if (dev->state == USB_PORT_READY)
		hc_log(hc, "port %u: device removed", port);
	hc->dev[port] = NULL;
	free(dev);
	scheme_port_changed(hc, port);
}

void dev_port_changed(struct hc *hc, unsigned int port)
{
	uint32_t v = portsc_ack(hc, port);
	struct usb_dev *dev = hc->dev[port];
	bool present = dev && dev->state != USB_PORT_EMPTY;

	if (!(v & PORT_CCS)) {
		if (present)
			dev_detach(hc, port);
		return;
	}
	if (present && (v & PORT_CSC)) {
		dev_detach(hc, port);	/* unplugged and plugged again between two looks */
		present = false;
	}
	if (!present)
		attach(hc, port, false);
	scheme_port_changed(hc, port);
}

/*
 * USB_CALL_PORT_RESET: marked here, done from the loop (dev_port_reset), as
 * a port change is. -EBUSY while one is marked and not done yet.
 */
int dev_request_reset(struct hc *hc, unsigned int port)
{
	if (port < 1 || port > hc->max_ports)
		return -EINVAL;
	if (hc->reset_pending[port])
		return -EBUSY;
	hc->reset_pending[port] = 1;
	hc->any_pending = true;
	return 0;
}

/*
 * The hot-plug path, as if the device were unplugged and plugged again: its
 * class drivers stopped, its slot disabled, its transfers failed -ENODEV
 * and its handles -ESTALE (a new generation); then the port is reset (a
 * USB2 port reset, a USB3 warm reset) and the device enumerated from
 * scratch, its class drivers started again through pcid.
 */
static void dev_port_reset(struct hc *hc, unsigned int port)
{
	struct usb_dev *dev = hc->dev[port];

	if (!dev || dev->state == USB_PORT_EMPTY)
		return;
	hc_log(hc, "port %u: port reset asked by its owner: the device goes and is enumerated again",
	       port);
	dev_detach(hc, port);
	if (!(portsc(hc, port) & PORT_CCS)) {
		hc_log(hc, "port %u: nothing connected after all", port);
		return;
	}
	attach(hc, port, true);
	scheme_port_changed(hc, port);
}

void dev_handle_pending(struct hc *hc)
{
	unsigned int p;

	while (hc->any_pending && !hc->dead && !hc->wait_depth) {
		hc->any_pending = false;
		for (p = 1; p <= hc->max_ports; p++) {
			if (hc->reset_pending[p]) {
				hc->reset_pending[p] = 0;
				dev_port_reset(hc, p);
			}
			if (!hc->ports_pending[p])
				continue;
			hc->ports_pending[p] = 0;
			dev_port_changed(hc, p);
		}
	}
}
