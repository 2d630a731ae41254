// SPDX-License-Identifier: MIT
/*
 * Class drivers: pcid starts them, at xhcid's request, so that they run as
 * a uid of their own (xhcid, unprivileged, cannot give one; a class driver
 * running as xhcid's uid could signal it).
 *
 * For each device it enumerated xhcid asks pcid, over its channel
 * (PCID_CALL_CHILD_START, pcid.h), for a driver per interface of the
 * configuration it set (alternate setting 0): struct pcid_child_req names
 * the port, the interface, the device's IDs and the interface's class
 * triple; a device whose device descriptor has a class of its own (not
 * 00) is asked for once, for the port, with that class. pcid matches the
 * rules of its child-config= file (xhcid.conf by default), opens
 * usb.X:PORT/ifN (or usb.X:PORT) itself as root (xhcid lets uid 0 own
 * ports and interfaces), and runs the rule's program as the rule's
 * user/group with that handle as fd 3; it logs its exits and restarts it
 * by the rule. When the device goes away xhcid asks pcid to stop the
 * port's drivers (PCID_CALL_CHILD_STOP); when xhcid ends, pcid stops them
 * all.
 *
 * Both calls go through xhcid's client ring (the reactor; the SQEs are
 * libpcidrv's, pcidrv.h): xhcid never
 * waits for pcid, and pcid answers at once (it opens the handle on
 * xhcid's scheme afterwards, which xhcid serves from its loop).
 *
 * xhcid --config FILE (pcid.conf's syntax) narrows what xhcid asks for:
 * only what a rule of FILE matches (an empty FILE: nothing). pcid's rules
 * still decide what runs and as whom; FILE's drivers and users are unused.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../libuscheme/reactor.h"
#include "../pcid/config.h"
#include "../pcid/pcid.h"
#include "xhcid.h"

struct cd_call {
	struct us_op op;
	struct cd_call *next, **pprev;	/* pending: answered ones are freed */
	struct hc *hc;
	struct pcid_child_req req;	/* CHILD_START's input */
	uint32_t port;			/* CHILD_STOP's input */
	bool stop;
	char driver[64];		/* CHILD_START's output: the driver's name */
	char label[40];
};

static bool unsupported;	/* pcid answered -EINVAL: it starts no children */
static bool stopping;		/* xhcid is ending: pcid stops the drivers itself */
/*
 * Calls not answered yet. One still pending at exit stays allocated (and
 * reachable from here): the kernel writes its answer into it.
 */
static struct cd_call *pending;
static struct pcid_config filter;	/* --config FILE */
static bool filtering;

int classdrv_load(struct hc *hc, const char *path)
{
	char err[512];

	if (!path)
		return 0;
	if (pcid_config_load(path, &filter, err, sizeof(err))) {
		hc_log(hc, "bad config: %s", err);
		return -EINVAL;
	}
	filtering = true;
	hc_log(hc, "asking pcid only for class drivers %s matches: %u rule%s", path, filter.nrules,
	       filter.nrules == 1 ? "" : "s");
	return 0;
}

static void call_done(struct us_reactor *rx, struct us_op *op, const struct uscheme_cqe *cqe)
{
	struct cd_call *c = (struct cd_call *)op;
	struct hc *hc = c->hc;

	(void)rx;
	*c->pprev = c->next;
	if (c->next)
		c->next->pprev = c->pprev;
	if (c->stop) {
		if (cqe->res > 0)
			hc_log(hc, "%s: pcid stops its class driver%s (%d)", c->label,
			       cqe->res == 1 ? "" : "s", cqe->res);
	} else if (cqe->res >= 0) {
		if (!cqe->res)
			snprintf(c->driver, sizeof(c->driver), "?");
		c->driver[sizeof(c->driver) - 1] = 0;
		hc_log(hc, "%s: class driver %s: pcid starts it", c->label, c->driver);
	} else if (cqe->res == -EINVAL && !unsupported) {
		unsupported = true;
		hc_log(hc, "%s: pcid starts no class drivers for us (-EINVAL: an older pcid)",
		       c->label);
	} else if (cqe->res == -EPERM) {
		/* no child-config= in pcid's rule for us: no class drivers, nothing to say */
	} else if (cqe->res != -ENOENT) {	/* -ENOENT: no rule for it */
		hc_log(hc, "%s: pcid did not start a class driver: %s", c->label,
		       strerror(-cqe->res));
	}
	free(c);
}

static void call_pcid(struct hc *hc, struct cd_call *c)
{
	struct uscheme_sqe *sqe;
	struct us_reactor *rx;

	c->op.complete = call_done;
	c->hc = hc;
	if (hc->channel < 0 || us_daemon_reactor(hc->d, &rx) || !(sqe = us_reactor_sqe(rx, &c->op))) {
		hc_log(hc, "%s: no room to ask pcid for its class driver", c->label);
		free(c);
		return;
	}
	/* c stays until the CQE: the kernel reads the input and writes the output meanwhile. */
	c->next = pending;
	if (pending)
		pending->pprev = &c->next;
	c->pprev = &pending;
	pending = c;
	if (c->stop)
		pcidrv_prep_child_stop(sqe, hc->channel, &c->port, sqe->user_data);
	else
		pcidrv_prep_child_start(sqe, hc->channel, &c->req, c->driver, sizeof(c->driver),
					sqe->user_data);
}

static void ask(struct hc *hc, const struct usb_dev *dev, int iface, const uint8_t cls[3])
{
	uint16_t vid = (uint16_t)(dev->desc[8] | dev->desc[9] << 8);
	uint16_t pid = (uint16_t)(dev->desc[10] | dev->desc[11] << 8);
	uint32_t cc = (uint32_t)cls[0] << 16 | (uint32_t)cls[1] << 8 | cls[2];
	struct cd_call *c;

	if (filtering && !pcid_config_match(&filter, vid, pid, cc))
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->req.port = dev->port;
	c->req.iface = iface;
	c->req.vendor = (uint16_t)(dev->desc[8] | dev->desc[9] << 8);
	c->req.device = (uint16_t)(dev->desc[10] | dev->desc[11] << 8);
	c->req.class_code = (uint32_t)cls[0] << 16 | (uint32_t)cls[1] << 8 | cls[2];
	if (iface < 0)
		snprintf(c->label, sizeof(c->label), "port %u", dev->port);
	else
		snprintf(c->label, sizeof(c->label), "port %u interface %d", dev->port, iface);
	call_pcid(hc, c);
}

void classdrv_device_ready(struct hc *hc, struct usb_dev *dev)
{
	struct if_desc ifs[XHCID_IFACES];
	const uint8_t *c;
	size_t clen;
	int n, i;

	if (unsupported || stopping || dev->desc_len < 18)
		return;
	/* A device with a class of its own: one driver, the port's. */
	if (dev->desc[4]) {
		ask(hc, dev, -1, &dev->desc[4]);
		return;
	}
	/* Else one per interface, each with its interface's handle. */
	c = dev->config ? desc_config_find(dev->desc, dev->desc_len, dev->config, &clen) : NULL;
	n = c ? desc_interfaces(c, clen, dev->alt, ifs, XHCID_IFACES) : 0;
	for (i = 0; i < n; i++)
		ask(hc, dev, ifs[i].number, ifs[i].cls);
}

void classdrv_device_gone(struct hc *hc, unsigned int port)
{
	struct cd_call *c;

	if (unsupported || stopping)
		return;
	c = calloc(1, sizeof(*c));
	if (!c)
		return;
	c->stop = true;
	c->port = port;
	snprintf(c->label, sizeof(c->label), "port %u", port);
	call_pcid(hc, c);
}

void classdrv_stop_all(struct hc *hc)
{
	(void)hc;
	stopping = true;	/* pcid stops our drivers when we are gone */
	if (filtering)
		pcid_config_free(&filter);
	filtering = false;
}
