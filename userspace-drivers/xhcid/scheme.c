// SPDX-License-Identifier: MIT
/*
 * The usb.*: scheme (usbscheme.h): requests in, transfers out.
 *
 * Handles (struct handle) name a port by number and the device generation
 * they were opened on, never a usb_dev pointer: a device that goes away
 * (or is reconfigured, for endpoint handles) leaves its handles -ESTALE
 * (-ENODEV for transfers) without dangling. Transfers answer later
 * (US_DEFER): transfer.c calls us_reply when their TD completes.
 *
 * Owners: the port's ("PORT" opened O_RDWR) or an interface's ("PORT/ifN"
 * opened O_RDWR), never both kinds at once on a device. An owner's handle
 * and the endpoint handles DUPed from it carry the ownership's id
 * (owner_id): when the owner closes, the next owner's id differs, and the
 * old endpoint handles are -ESTALE. An interface owner reaches only its
 * interface: its endpoints (of the current alternate setting), requests
 * to it or to them, and the device's descriptors and status.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "xhcid.h"

enum handle_kind { H_ROOT, H_PORT, H_EP };

struct handle {
	enum handle_kind kind;
	bool owner;		/* O_RDWR port handle holding the port, or an endpoint of it */
	unsigned int port;
	uint32_t generation;	/* the device's when opened; H_EP: its config_gen when duplicated */
	uint32_t owner_id;	/* owners: the ownership they hold (usb_dev.owner_id, if_owner_id[]) */
	int iface;		/* -1: the port's; N: interface N's ("PORT/ifN"), or an endpoint of it */
	uint8_t ep_addr;
};

static struct hc *hc_of(struct us_daemon *d)
{
	return d->ctx;
}

static struct handle *handle_new(enum handle_kind kind)
{
	struct handle *h = calloc(1, sizeof(*h));

	if (h) {
		h->kind = kind;
		h->iface = -1;
	}
	return h;
}

static void handle_free(struct handle *h)
{
	free(h);
}

/* The device a handle names, if it is still the same one. */
static struct usb_dev *handle_dev(struct hc *hc, const struct handle *h, bool exact)
{
	struct usb_dev *dev = h->port <= hc->max_ports ? hc->dev[h->port] : NULL;

	if (!dev || dev->state != USB_PORT_READY)
		return NULL;
	if (exact && dev->generation != h->generation)
		return NULL;
	return dev;
}

/* Does the ownership h was made under (the port's or its interface's) still hold? */
static bool owner_current(const struct usb_dev *dev, const struct handle *h)
{
	if (h->iface < 0)
		return dev->owner && dev->owner_id == h->owner_id;
	return dev->if_owner[h->iface] && dev->if_owner_id[h->iface] == h->owner_id;
}

/* Whose budget h's transfers count against (struct xfer.acct). */
static unsigned int handle_acct(const struct handle *h)
{
	return h->iface < 0 ? 0 : 1u + (unsigned int)h->iface;
}

/* Any interface of dev owned? */
static bool any_if_owner(const struct usb_dev *dev)
{
	unsigned int i;

	for (i = 0; i < XHCID_IFACES; i++)
		if (dev->if_owner[i])
			return true;
	return false;
}

/*
 * The endpoint an endpoint handle names: only while the ownership it was
 * made under holds, and (the port owner's) the configuration is the one it
 * was made in, or (an interface owner's) the endpoint is the very one it
 * was made for (an alternate setting makes new ones).
 */
static int handle_ep(struct hc *hc, const struct handle *h, struct ep **out)
{
	struct usb_dev *dev = handle_dev(hc, h, false);

	if (!dev)
		return -ENODEV;
	if (!owner_current(dev, h))
		return -ESTALE;
	if (h->iface < 0 && dev->config_gen != h->generation)
		return -ESTALE;
	*out = dev_ep_by_addr(dev, h->ep_addr);
	if (*out && h->iface >= 0 && ((*out)->iface != h->iface || (*out)->gen != h->generation))
		*out = NULL;
	return *out ? 0 : -ESTALE;
}

/* The interface number in "ifN" (0..31, decimal, no leading zero), or -ENOENT. */
static int parse_iface(const char *s)
{
	unsigned int v = 0;

	if (strncmp(s, "if", 2))
		return -ENOENT;
	s += 2;
	if (!*s || (*s == '0' && s[1]) || strlen(s) > 2)
		return -ENOENT;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -ENOENT;
		v = v * 10 + (unsigned int)(*s - '0');
	}
	return v < XHCID_IFACES ? (int)v : -ENOENT;
}

/* Interface iface of dev's configuration now, in its current alternate setting: 0 and *out, or -ENOENT. */
static int dev_iface(const struct usb_dev *dev, int iface, struct if_desc *out)
{
	struct if_desc ifs[XHCID_IFACES];
	const uint8_t *c;
	size_t clen;
	int n, i;

	if (!dev->config || iface < 0)
		return -ENOENT;
	c = desc_config_find(dev->desc, dev->desc_len, dev->config, &clen);
	if (!c)
		return -ENOENT;
	n = desc_interfaces(c, clen, dev->alt, ifs, XHCID_IFACES);
	for (i = 0; i < n; i++) {
		if (ifs[i].number == iface) {
			*out = ifs[i];
			return 0;
		}
	}
	return -ENOENT;
}

static int listing(struct hc *hc, char *buf, size_t cap)
{
	size_t n = 0;
	unsigned int p;

	for (p = 1; p <= hc->max_ports && n < cap; p++) {
		struct usb_dev *dev = hc->dev[p];
		static const char *states[] = { "empty", "attached", "ready", "failed" };
		int m;

		if (dev && dev->state == USB_PORT_READY && dev->desc_len >= 18) {
			uint8_t cls[3] = { dev->desc[4], dev->desc[5], dev->desc[6] };

			if (!cls[0])
				dev_first_interface(dev, cls);
			m = snprintf(buf + n, cap - n, "%u %s %s %04x:%04x %02x/%02x/%02x\n", p,
				     states[dev->state], speed_name(dev->speed),
				     dev->desc[8] | dev->desc[9] << 8,
				     dev->desc[10] | dev->desc[11] << 8, cls[0], cls[1], cls[2]);
		} else {
			m = snprintf(buf + n, cap - n, "%u %s %s - -\n", p,
				     states[dev ? dev->state & 3 : USB_PORT_EMPTY],
				     dev ? speed_name(dev->speed) : "-");
		}
		if (m < 0)
			break;
		n += (size_t)m;
	}
	return n > cap ? (int)cap : (int)n;
}

static int parse_port(const char *s, unsigned int max)
{
	unsigned int v = 0;

	if (!*s || *s == '0' || strlen(s) > 3)
		return -ENOENT;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -ENOENT;
		v = v * 10 + (unsigned int)(*s - '0');
	}
	return v >= 1 && v <= max ? (int)v : -ENOENT;
}

static int h_open(struct us_daemon *d, const struct uscheme_req *req, const char *path,
		  void **state)
{
	struct hc *hc = hc_of(d);
	int acc = req->op_flags & O_ACCMODE, port, iface = -1;
	char portpart[8];
	const char *slash;
	struct usb_dev *dev;
	struct if_desc ifd;
	struct handle *h;

	if (!*path) {
		if (acc != O_RDONLY)
			return -EISDIR;
		h = handle_new(H_ROOT);
		if (!h)
			return -ENOMEM;
		*state = h;
		return 0;
	}
	/* "PORT", or "PORT/ifN" (an interface of the configuration now set) */
	slash = strchr(path, '/');
	if (slash) {
		if ((size_t)(slash - path) >= sizeof(portpart))
			return -ENOENT;
		memcpy(portpart, path, (size_t)(slash - path));
		portpart[slash - path] = 0;
		iface = parse_iface(slash + 1);
		if (iface < 0)
			return iface;
		path = portpart;
	}
	port = parse_port(path, hc->max_ports);
	if (port < 0)
		return port;
	if (req->op_flags & O_DIRECTORY)
		return -ENOTDIR;
	dev = hc->dev[port];
	if (!dev || dev->state != USB_PORT_READY)
		return -ENODEV;
	if (iface >= 0 && dev_iface(dev, iface, &ifd))
		return -ENOENT;
	if (acc == O_WRONLY)
		return -EACCES;
	if (acc == O_RDWR) {
		/* root only (pcid opens them so for the class drivers it starts) */
		if (req->uid != 0)
			return -EACCES;
		/* the port's owner excludes interface owners, and each interface has one */
		if (dev->owner || (iface < 0 ? any_if_owner(dev) : dev->if_owner[iface] != NULL))
			return -EBUSY;
	}
	h = handle_new(H_PORT);
	if (!h)
		return -ENOMEM;
	h->port = (unsigned int)port;
	h->generation = dev->generation;
	h->iface = iface;
	if (acc == O_RDWR) {
		h->owner = true;
		h->owner_id = ++hc->generations;
		if (iface < 0) {
			dev->owner = h;
			dev->owner_id = h->owner_id;
		} else {
			dev->if_owner[iface] = h;
			dev->if_owner_id[iface] = h->owner_id;
		}
	}
	*state = h;
	return 0;
}

static void h_close(struct us_daemon *d, void *state)
{
	struct hc *hc = hc_of(d);
	struct handle *h = state;

	if (h->kind == H_PORT && h->owner && h->port <= hc->max_ports && hc->dev[h->port] &&
	    (h->iface < 0 ? hc->dev[h->port]->owner == h : hc->dev[h->port]->if_owner[h->iface] == h)) {
		struct usb_dev *dev = hc->dev[h->port];
		unsigned int i;

		if (h->iface < 0)
			dev->owner = NULL;
		else
			dev->if_owner[h->iface] = NULL;
		/* Reports fetched for this owner are not the next one's. */
		for (i = 2; i < 32; i++)
			if (dev->eps[i] && (h->iface < 0 || dev->eps[i]->iface == h->iface))
				reports_stop(dev->eps[i], -ESTALE, true);
	}
	handle_free(h);
}

static int h_read(struct us_daemon *d, const struct uscheme_req *req, void *state, void *buf,
		  size_t len, uint64_t off)
{
	struct hc *hc = hc_of(d);
	struct handle *h = state;
	struct usb_dev *dev;
	struct ep *ep;
	struct xfer *x;
	int err;

	switch (h->kind) {
	case H_ROOT: {
		char *text = malloc(64 * (hc->max_ports + 1));
		int n;

		if (!text)
			return -ENOMEM;
		n = listing(hc, text, 64 * (hc->max_ports + 1));
		if (off >= (uint64_t)n) {
			free(text);
			return 0;
		}
		if (len > (size_t)n - off)
			len = (size_t)n - off;
		memcpy(buf, text + off, len);
		free(text);
		return (int)len;
	}
	case H_PORT:
		/* the device it was opened on, not whatever was plugged in since */
		dev = handle_dev(hc, h, true);
		if (!dev || (h->owner && !owner_current(dev, h)))
			return -ESTALE;
		if (off >= dev->desc_len)
			return 0;
		if (len > dev->desc_len - off)
			len = dev->desc_len - off;
		memcpy(buf, dev->desc + off, len);
		return (int)len;
	case H_EP:
		break;
	}
	err = handle_ep(hc, h, &ep);
	if (err)
		return err;
	if (!(ep->addr & 0x80))
		return -EINVAL;
	if (!len || len > USB_XFER_MAX)
		return -EINVAL;
	if (ep->rq)	/* USB_CALL_EP_POLL: a report fetched ahead, or the next one */
		return reports_read(ep, req->tag, buf, (uint32_t)len);
	err = xfer_admit(ep->dev, handle_acct(h), (uint32_t)len);
	if (err)
		return err;
	x = xfer_new(ep, XFER_CLIENT, req->tag, buf, (uint32_t)len, true);
	if (!x)
		return -ENOMEM;
	x->acct = (uint8_t)handle_acct(h);
	err = xfer_submit(x);
	return err ? err : US_DEFER;
}

static int h_write(struct us_daemon *d, const struct uscheme_req *req, void *state,
		   const void *buf, size_t len, uint64_t off)
{
	struct hc *hc = hc_of(d);
	struct handle *h = state;
	struct ep *ep;
	struct xfer *x;
	int err;

	(void)off;
	if (h->kind != H_EP)
		return h->kind == H_ROOT ? -EISDIR : -EBADF;
	err = handle_ep(hc, h, &ep);
	if (err)
		return err;
	if (ep->addr & 0x80)
		return -EINVAL;
	if (!len || len > USB_XFER_MAX)
		return -EINVAL;
	err = xfer_admit(ep->dev, handle_acct(h), (uint32_t)len);
	if (err)
		return err;
	x = xfer_new(ep, XFER_CLIENT, req->tag, (void *)buf, (uint32_t)len, false);
	if (!x)
		return -ENOMEM;
	x->acct = (uint8_t)handle_acct(h);
	err = xfer_submit(x);
	return err ? err : US_DEFER;
}

static int h_fstat(struct us_daemon *d, const struct uscheme_req *req, void *state,
		   struct uscheme_stat *st)
{
	struct hc *hc = hc_of(d);
	struct handle *h = state;
	struct usb_dev *dev;

	(void)req;
	switch (h->kind) {
	case H_ROOT:
		st->mode = S_IFDIR | 0555;
		break;
	case H_PORT:
		dev = handle_dev(hc, h, true);
		if (!dev)
			return -ESTALE;
		st->mode = S_IFREG | (h->owner ? 0600 : 0444);
		st->size = dev->desc_len;
		break;
	case H_EP:
		st->mode = S_IFCHR | 0600;
		break;
	}
	st->nlink = 1;
	return 0;
}

static void port_info(struct usb_dev *dev, struct usb_port_info *pi, int iface)
{
	struct hc *hc = dev->hc;
	uint8_t cls[3] = { 0xff, 0xff, 0xff };
	struct if_desc ifd;

	memset(pi, 0, sizeof(*pi));
	pi->port = dev->port;
	pi->state = dev->state;
	pi->speed = dev->speed;
	pi->usb3 = hc->usb3_port[dev->port];
	pi->slot = dev->slot;
	if (dev->desc_len >= 18) {
		pi->vendor = (uint16_t)(dev->desc[8] | dev->desc[9] << 8);
		pi->product = (uint16_t)(dev->desc[10] | dev->desc[11] << 8);
		pi->bcd_device = (uint16_t)(dev->desc[12] | dev->desc[13] << 8);
		pi->dev_class = dev->desc[4];
		pi->dev_subclass = dev->desc[5];
		pi->dev_protocol = dev->desc[6];
		pi->num_configs = dev->desc[17];
	}
	pi->interface = 0xff;
	if (iface < 0) {
		dev_first_interface(dev, cls);
	} else if (!dev_iface(dev, iface, &ifd)) {
		/* an interface handle: its interface, in its alternate setting now */
		memcpy(cls, ifd.cls, 3);
		pi->interface = ifd.number;
		pi->alt = ifd.alt;
	} else {
		pi->interface = (uint8_t)iface;	/* gone with a reconfiguration (a read-only handle) */
	}
	pi->if_class = cls[0];
	pi->if_subclass = cls[1];
	pi->if_protocol = cls[2];
	pi->config = dev->config;
	pi->max_packet0 = dev->mps0;
	pi->desc_len = (uint32_t)dev->desc_len;
	pi->generation = dev->generation;
}

/*
 * CLEAR_FEATURE(ENDPOINT_HALT) of one of the configuration's endpoints:
 * the device's side, then the controller's (dev_reset_endpoint), after any
 * STALL recovery or cancel under way on it has finished (commands: quick).
 */
static int clear_halt(struct hc *hc, struct usb_dev *dev, uint8_t addr)
{
	struct ep *ep = dev_ep_by_addr(dev, addr);
	int i, r;

	for (i = 0; ep && (ep->halted || ep->stopping) && i < 20 && !hc->dead; i++)
		hc_wait(hc, NULL, 100);
	ep = dev_ep_by_addr(dev, addr);	/* still there after the wait? */
	if (!ep)
		return -ESTALE;
	if (ep->head || ep->wait_head || ep->halted || ep->stopping)
		return -EBUSY;
	r = ctrl_sync(dev, 0x02, USB_REQ_CLEAR_FEATURE, USB_FEATURE_ENDPOINT_HALT, addr, NULL, 0);
	if (r < 0)
		return r;
	return dev_reset_endpoint(dev, ep);
}

/*
 * What interface iface's owner may send on EP0: nothing that changes the
 * device as a whole (SET_ADDRESS, SET_CONFIGURATION: -EPERM), to the device
 * only the standard GET_DESCRIPTOR and GET_STATUS, requests to its own
 * interface (wIndex's low byte: standard, class or vendor; SET_INTERFACE
 * thus only its own; a standard one with 0 in the high byte), requests to
 * its own endpoints (of the alternate setting now; standard: 0 in the high
 * byte). Else -EPERM.
 */
static int iface_may(struct usb_dev *dev, int iface, const struct usb_ctrl_req *cr)
{
	uint8_t idx = (uint8_t)cr->w_index;
	struct ep *ep;

	if (!(cr->bm_request_type & 0x60) &&
	    (cr->b_request == USB_REQ_SET_ADDRESS || cr->b_request == USB_REQ_SET_CONFIGURATION))
		return -EPERM;
	/*
	 * A standard request to an interface or an endpoint has 0 in wIndex's
	 * high byte (USB 2.0 9.3.4): a device decoding 16 bits must not be
	 * addressed past the check of the low byte. The one exception:
	 * SET_FEATURE(FUNCTION_SUSPEND), its options there (USB 3.2 9.4.9).
	 */
	if (!(cr->bm_request_type & 0x60) && (cr->w_index >> 8) &&
	    ((cr->bm_request_type & 0x1f) == 2 ||
	     ((cr->bm_request_type & 0x1f) == 1 &&
	      !(cr->b_request == USB_REQ_SET_FEATURE && cr->w_value == 0))))
		return -EPERM;
	switch (cr->bm_request_type & 0x1f) {
	case 0:		/* the device */
		return cr->bm_request_type == 0x80 && (cr->b_request == USB_REQ_GET_DESCRIPTOR ||
						      cr->b_request == USB_REQ_GET_STATUS) ? 0 : -EPERM;
	case 1:		/* an interface */
		return idx == iface ? 0 : -EPERM;
	case 2:		/* an endpoint */
		ep = dev_ep_by_addr(dev, idx);
		return ep && ep->iface == iface ? 0 : -EPERM;
	default:
		return -EPERM;
	}
}

/* USB_CALL_CONTROL: checked, then one TD on EP0 (answered by transfer.c). */
static int call_control(struct hc *hc, struct usb_dev *dev, const struct handle *h,
			const struct uscheme_req *req, void *buf, size_t in_len, size_t out_len)
{
	struct usb_ctrl_req cr;
	struct xfer *x;
	bool in;
	int err;

	if (in_len < sizeof(cr))
		return -EINVAL;
	memcpy(&cr, buf, sizeof(cr));
	if (cr.resv[0] || cr.resv[1])
		return -EINVAL;
	in = cr.bm_request_type & 0x80;
	/* The buffers are the data stage, exactly: wLength bytes of output or of input. */
	if (in ? (in_len != sizeof(cr) || cr.w_length != out_len) :
		 (in_len != sizeof(cr) + cr.w_length || out_len))
		return -EINVAL;
	if (h->iface >= 0) {
		err = iface_may(dev, h->iface, &cr);
		if (err)
			return err;
	}
	/*
	 * What would desynchronise the controller's idea of the device goes
	 * through xhcid: the standard requests (type bits 00) SET_ADDRESS,
	 * SET_CONFIGURATION and SET_INTERFACE, whatever their direction and
	 * recipient bits say (a device may look at bRequest alone), and only
	 * in their one well-formed shape (no value truncated to a byte).
	 */
	if (!(cr.bm_request_type & 0x60)) {
		switch (cr.b_request) {
		case USB_REQ_SET_ADDRESS:
			return -EPERM;
		case USB_REQ_SET_CONFIGURATION:
			if (cr.bm_request_type != 0x00 || cr.w_value > 255 || cr.w_index ||
			    cr.w_length)
				return -EINVAL;
			return dev_set_config(dev, (uint8_t)cr.w_value);
		case USB_REQ_SET_INTERFACE:
			if (cr.bm_request_type != 0x01 || cr.w_value > 255 || cr.w_index > 255 ||
			    cr.w_length)
				return -EINVAL;
			return dev_set_alt(dev, (uint8_t)cr.w_index, (uint8_t)cr.w_value);
		case USB_REQ_CLEAR_FEATURE:
			if (cr.bm_request_type == 0x02 && cr.w_value == USB_FEATURE_ENDPOINT_HALT &&
			    !cr.w_length && cr.w_index <= 255 &&
			    dev_ep_by_addr(dev, (uint8_t)cr.w_index))
				return clear_halt(hc, dev, (uint8_t)cr.w_index);
			break;
		}
	}
	err = xfer_admit(dev, handle_acct(h), cr.w_length);
	if (err)
		return err;
	/* OUT data follows the header in buf; move it to the front for the copy. */
	if (!in && cr.w_length)
		memmove(buf, (uint8_t *)buf + sizeof(cr), cr.w_length);
	x = xfer_new(dev->eps[1], XFER_CLIENT, req->tag, buf, cr.w_length, in);
	if (!x)
		return -ENOMEM;
	x->ctrl = true;
	x->acct = (uint8_t)handle_acct(h);
	x->setup[0] = cr.bm_request_type;
	x->setup[1] = cr.b_request;
	x->setup[2] = (uint8_t)cr.w_value;
	x->setup[3] = (uint8_t)(cr.w_value >> 8);
	x->setup[4] = (uint8_t)cr.w_index;
	x->setup[5] = (uint8_t)(cr.w_index >> 8);
	x->setup[6] = (uint8_t)cr.w_length;
	x->setup[7] = (uint8_t)(cr.w_length >> 8);
	err = xfer_submit(x);
	(void)hc;
	return err ? err : US_DEFER;
}

static int h_call(struct us_daemon *d, const struct uscheme_req *req, void *state, void *buf,
		  size_t in_len, size_t out_len)
{
	struct hc *hc = hc_of(d);
	struct handle *h = state;
	struct usb_dev *dev;
	uint32_t v;

	if (h->kind == H_ROOT)
		return -EINVAL;
	dev = handle_dev(hc, h, false);
	if (!dev)
		return -ENODEV;
	if (h->kind == H_EP) {
		struct usb_ep_info ei;
	struct ep *ep;
		int err = handle_ep(hc, h, &ep);

		if (err)
			return err;
		if (req->op_flags == USB_CALL_EP_POLL) {
			uint32_t on;

			if (in_len != sizeof(on))
				return -EINVAL;
			memcpy(&on, buf, sizeof(on));
			if (on > 1)
				return -EINVAL;
			if (!on) {
				reports_stop(ep, -ECANCELED, true);
				return 0;
			}
			return reports_start(ep);
		}
		if (req->op_flags == USB_CALL_EP_TIMEOUT) {
			uint32_t ms;

			if (in_len != sizeof(ms))
				return -EINVAL;
			memcpy(&ms, buf, sizeof(ms));
			ep->timeout_ms = ms;
			return 0;
		}
		if (req->op_flags != USB_CALL_EP_INFO || out_len < sizeof(ei))
			return -EINVAL;
		memset(&ei, 0, sizeof(ei));
		ei.address = ep->addr;
		ei.type = ep->type;
		ei.interval = ep->interval;
		ei.max_packet = ep->mps;
		ei.max_burst = ep->burst;
		ei.inflight = ep->inflight;
		ei.timeout_ms = ep->timeout_ms;
		ei.polling = ep->rq != NULL;
		ei.reports = reports_queued(ep);
		memcpy(buf, &ei, sizeof(ei));
		return sizeof(ei);
	}
	if (h->owner ? !owner_current(dev, h) : dev->generation != h->generation)
		return -ESTALE;
	switch (req->op_flags) {
	case USB_CALL_PORT_INFO: {
		struct usb_port_info pi;

		if (out_len < sizeof(pi))
			return -EINVAL;
		port_info(dev, &pi, h->iface);
		memcpy(buf, &pi, sizeof(pi));
		return sizeof(pi);
	}
	case USB_CALL_CONTROL:
		if (!h->owner)
			return -EPERM;
		return call_control(hc, dev, h, req, buf, in_len, out_len);
	case USB_CALL_SET_CONFIG:
		if (!h->owner || h->iface >= 0)	/* the device as a whole: the port's owner's */
			return -EPERM;
		if (in_len != sizeof(v))
			return -EINVAL;
		memcpy(&v, buf, sizeof(v));
		if (v > 255)
			return -EINVAL;
		return dev_set_config(dev, (uint8_t)v);
	case USB_CALL_SET_ALT: {
		struct usb_alt_req ar;

		if (!h->owner)
			return -EPERM;
		if (in_len != sizeof(ar))
			return -EINVAL;
		memcpy(&ar, buf, sizeof(ar));
		if (ar.resv0 || ar.resv)
			return -EINVAL;
		if (h->iface >= 0 && ar.interface != h->iface)
			return -EPERM;
		return dev_set_alt(dev, ar.interface, ar.alternate);
	}
	case USB_CALL_PORT_RESET: {
		unsigned int i;

		if (!h->owner)
			return -EPERM;
		if (in_len || out_len)
			return -EINVAL;
		/* an interface's owner: only when no other interface has one */
		for (i = 0; h->iface >= 0 && i < XHCID_IFACES; i++)
			if ((int)i != h->iface && dev->if_owner[i])
				return -EPERM;
		hc_log(hc, "port %u: %s asks for a port reset", h->port,
		       h->iface < 0 ? "the port's owner" : "an interface's owner");
		return dev_request_reset(hc, h->port);
	}
	default:
		return -EINVAL;
	}
}

static int h_dup(struct us_daemon *d, const struct uscheme_req *req, void *state,
		 const char *suffix, void **new_state)
{
	struct hc *hc = hc_of(d);
	struct handle *h = state, *n;
	struct usb_dev *dev;
	unsigned int addr;
	struct ep *ep;
	char *end;

	(void)req;
	if (h->kind != H_PORT)
		return -EINVAL;
	dev = handle_dev(hc, h, false);
	if (!dev)
		return -ENODEV;
	if (!h->owner)
		return -EPERM;
	if (!owner_current(dev, h))
		return -ESTALE;
	/* Exactly "ep" and two hex digits (strtoul alone takes " 2", "+2", "-0"). */
	if (strncmp(suffix, "ep", 2) || strlen(suffix) != 4 || !isxdigit((unsigned char)suffix[2]) ||
	    !isxdigit((unsigned char)suffix[3]))
		return -ENOENT;
	addr = (unsigned int)strtoul(suffix + 2, &end, 16);
	ep = *end ? NULL : dev_ep_by_addr(dev, (uint8_t)addr);
	/* an interface owner: its own endpoints only */
	if (!ep || (h->iface >= 0 && ep->iface != h->iface))
		return -ENOENT;
	n = handle_new(H_EP);
	if (!n)
		return -ENOMEM;
	n->owner = true;
	n->port = h->port;
	n->generation = h->iface < 0 ? dev->config_gen : ep->gen;
	n->owner_id = h->owner_id;
	n->iface = h->iface;
	n->ep_addr = (uint8_t)addr;
	*new_state = n;
	return 0;
}

static void h_cancel(struct us_daemon *d, uint64_t tag)
{
	xfer_cancel_tag(hc_of(d), tag);
}

/* The endpoint handles of ep (its port's current owner's) get readiness mask. */
void scheme_ep_event(struct hc *hc, struct ep *ep, uint32_t mask)
{
	struct us_daemon *d = hc->d;
	struct usb_dev *dev = ep->dev;
	uint32_t id;

	for (id = 0; id < d->nhandles; id++) {
		struct handle *h;
		void *state;

		if (us_handle_get(d, id, &state) || !state)
			continue;
		h = state;
		if (h->kind != H_EP || h->port != dev->port || h->ep_addr != ep->addr ||
		    !owner_current(dev, h) || (h->iface >= 0 && h->iface != ep->iface))
			continue;
		us_send_event(d, id, mask);
	}
}

/*
 * Events: the directory's handles and the port's own get USCHEME_EV_READ
 * (always readable, like a file: each change wakes FILES_UPDATE watchers
 * with an event CQE). Then the listing, PORT_INFO or -ESTALE tell what.
 */
void scheme_port_changed(struct hc *hc, unsigned int port)
{
	struct us_daemon *d = hc->d;
	uint32_t id;

	/*
	 * By id, over the handle table (us_handle_find per handle would make
	 * each change cost the square of the handles open: any user can open
	 * the directory tens of thousands of times).
	 */
	for (id = 0; id < d->nhandles; id++) {
		struct handle *h;
		void *state;

		if (us_handle_get(d, id, &state) || !state)
			continue;
		h = state;
		if (h->kind != H_ROOT && h->port != port)
			continue;
		us_send_event(d, id, USCHEME_EV_READ);
	}
}

const struct us_scheme_ops xhcid_scheme_ops = {
	.open = h_open,
	.read = h_read,
	.write = h_write,
	.fstat = h_fstat,
	.call = h_call,
	.dup = h_dup,
	.close = h_close,
	.cancel = h_cancel,
};
