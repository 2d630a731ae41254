// SPDX-License-Identifier: MIT
/*
 * Descriptor parsers (descparse.h): what device.c, classdrv.c and scheme.c
 * read from a device's descriptors, as pure functions of the bytes.
 */
#include <errno.h>
#include <string.h>

#include "descparse.h"
#include "usbscheme.h"
#include "xhci.h"

const uint8_t *desc_config_find(const uint8_t *desc, size_t len, uint8_t value, size_t *clen)
{
	size_t off = 18;

	while (off + 9 <= len) {
		const uint8_t *c = desc + off;
		size_t total = (size_t)(c[2] | c[3] << 8);

		if (total < 9 || total > len - off)
			total = len - off;
		if (c[5] == value) {
			*clen = total;
			return c;
		}
		off += total;
	}
	return NULL;
}

int desc_first_interface(const uint8_t *desc, size_t len, uint8_t cls[3])
{
	size_t total, off;
	const uint8_t *c;

	if (len < 18 + 9)
		return -1;
	c = desc + 18;
	total = (size_t)(c[2] | c[3] << 8);
	if (total > len - 18)
		total = len - 18;
	for (off = c[0]; off + 2 <= total; off += c[off]) {
		if (c[off] < 2)
			return -1;
		if (c[off + 1] == USB_DT_INTERFACE && c[off] >= 9 && off + 9 <= total) {
			cls[0] = c[off + 5];
			cls[1] = c[off + 6];
			cls[2] = c[off + 7];
			return 0;
		}
	}
	return -1;
}

int desc_next_interface(const uint8_t *desc, size_t len, size_t *pos, uint8_t cls[3])
{
	size_t off, total;
	const uint8_t *c;

	if (len < 18 + 9)
		return 0;
	c = desc + 18;
	total = (size_t)(c[2] | c[3] << 8);
	if (total > len - 18)
		total = len - 18;
	for (off = *pos ? *pos : c[0]; off + 9 <= total && c[off] >= 2; off += c[off]) {
		if (c[off + 1] != USB_DT_INTERFACE || c[off] < 9)
			continue;
		cls[0] = c[off + 5];
		cls[1] = c[off + 6];
		cls[2] = c[off + 7];
		*pos = off + c[off];
		return 1;
	}
	return 0;
}

int desc_config_endpoints(const uint8_t *c, size_t len, const uint8_t alt[32], int only_iface,
			  struct ep_desc *eps, int max)
{
	size_t off = c[0];
	int n = 0, cur_if = -1;
	bool taking = false;

	while (off + 2 <= len) {
		uint8_t bl = c[off], type = c[off + 1];

		if (bl < 2 || bl > len - off)
			return -EPROTO;
		if (type == USB_DT_INTERFACE && bl >= 9) {
			cur_if = c[off + 2];
			taking = c[off + 3] == alt[cur_if & 31] &&
				 (only_iface < 0 || cur_if == only_iface);
		} else if (type == USB_DT_ENDPOINT && bl >= 7 && taking) {
			struct ep_desc *e;

			if (n == max)
				return -EPROTO;
			e = &eps[n++];
			memset(e, 0, sizeof(*e));
			e->addr = c[off + 2];
			e->attr = c[off + 3];
			e->mps = (uint16_t)((c[off + 4] | c[off + 5] << 8) & 0x7ff);
			e->mult = (uint8_t)(((c[off + 4] | c[off + 5] << 8) >> 11) & 3);
			e->interval = c[off + 6];
			e->iface = (uint8_t)cur_if;
		} else if (type == USB_DT_SS_EP_COMP && bl >= 6 && taking && n) {
			eps[n - 1].burst = c[off + 2];
		}
		off += bl;
	}
	return n;
}

int desc_interfaces(const uint8_t *c, size_t len, const uint8_t alt[32], struct if_desc *out,
		    int max)
{
	uint32_t seen = 0;
	size_t off;
	int n = 0;

	if (len < 9)
		return 0;
	for (off = c[0]; off + 2 <= len && c[off] >= 2 && c[off] <= len - off; off += c[off]) {
		const uint8_t *d = c + off;

		if (d[1] != USB_DT_INTERFACE || d[0] < 9 || d[2] >= 32 || d[3] != alt[d[2]] ||
		    (seen & (1u << d[2])))
			continue;
		seen |= 1u << d[2];
		if (n == max)
			break;
		out[n].number = d[2];
		out[n].alt = d[3];
		out[n].num_eps = d[4];
		out[n].cls[0] = d[5];
		out[n].cls[1] = d[6];
		out[n].cls[2] = d[7];
		n++;
	}
	return n;
}

int desc_config_shared_ep(const uint8_t *c, size_t len)
{
	int owner[32];
	int cur_if = -1;
	size_t off;

	for (off = 0; off < 32; off++)
		owner[off] = -1;
	if (len < 9)
		return 0;
	for (off = c[0]; off + 2 <= len && c[off] >= 2 && c[off] <= len - off; off += c[off]) {
		const uint8_t *d = c + off;
		uint8_t dci;

		if (d[1] == USB_DT_INTERFACE && d[0] >= 9) {
			cur_if = d[2];
		} else if (d[1] == USB_DT_ENDPOINT && d[0] >= 7 && cur_if >= 0) {
			dci = desc_ep_dci(d[2]);
			if (dci < 2)
				continue;
			if (owner[dci] >= 0 && owner[dci] != cur_if)
				return d[2];
			owner[dci] = cur_if;
		}
	}
	return 0;
}

bool desc_has_alt(const uint8_t *c, size_t len, uint8_t iface, uint8_t alt)
{
	bool found = false;
	size_t off;

	for (off = c[0]; off + 9 <= len && c[off] >= 2; off += c[off])
		if (c[off + 1] == USB_DT_INTERFACE && c[off + 2] == iface && c[off + 3] == alt)
			found = true;
	return found;
}

uint8_t desc_ep_dci(uint8_t addr)
{
	return (uint8_t)((addr & 0xf) * 2 + ((addr & 0x80) ? 1 : 0));
}

uint32_t desc_ep_interval(unsigned int speed, const struct ep_desc *e)
{
	uint8_t type = e->attr & 3;
	uint32_t iv = e->interval, n = 0;

	if (type == USB_EP_BULK || type == USB_EP_CONTROL)
		return 0;
	if (speed == USB_SPEED_HIGH || speed >= USB_SPEED_SUPER || type == USB_EP_ISOC) {
		if (iv < 1)
			iv = 1;
		if (iv > 16)
			iv = 16;
		return iv - 1;
	}
	/* Full and low speed interrupt: bInterval in ms, as frames of 8 microframes. */
	if (!iv)
		iv = 1;
	iv *= 8;
	while ((1u << (n + 1)) <= iv)
		n++;
	return n < 3 ? 3 : n > 10 ? 10 : n;
}

void desc_ep_shape(unsigned int speed, const struct ep_desc *e, uint16_t *mps, uint8_t *burst,
		   uint32_t *esit)
{
	uint8_t type = e->attr & 3;

	*mps = e->mps ? e->mps : 8;
	if (*mps > 1024)
		*mps = 1024;
	if (speed >= USB_SPEED_SUPER)
		*burst = e->burst > 15 ? 15 : e->burst;
	else if (speed == USB_SPEED_HIGH && (type == USB_EP_INTERRUPT || type == USB_EP_ISOC))
		*burst = e->mult > 2 ? 2 : e->mult;
	else
		*burst = 0;
	*esit = type == USB_EP_INTERRUPT ? (uint32_t)*mps * (*burst + 1u) : 0;
}

void desc_config_arrived(uint8_t *c, size_t got)
{
	size_t claimed = (size_t)(c[2] | c[3] << 8);

	if (got >= 9 && got < claimed) {
		c[2] = (uint8_t)got;
		c[3] = (uint8_t)(got >> 8);
	}
}
