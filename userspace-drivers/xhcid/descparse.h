/* SPDX-License-Identifier: MIT */
/*
 * xhcid's descriptor parsers, pure (bytes in, answers out; no device, no
 * controller), so that a host unit test (tests/drivers/unit/xhcid_desc_test.c) can feed
 * them whatever a lying device could send, under valgrind.
 *
 * The bytes are what a port handle READs: the device descriptor (18 bytes),
 * then each configuration as it arrived. Every function reads only within
 * [desc, desc + len) (or [c, c + len) for one configuration), whatever
 * the bytes say, and every loop advances by at least one byte.
 */
#ifndef XHCID_DESCPARSE_H
#define XHCID_DESCPARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One endpoint descriptor (and its SuperSpeed companion) of a configuration. */
struct ep_desc {
	uint8_t addr, attr, interval, iface, burst;
	uint16_t mps;		/* wMaxPacketSize bits 10:0 */
	uint8_t mult;		/* wMaxPacketSize bits 12:11 */
};

/*
 * The configuration descriptor whose bConfigurationValue is value, with
 * what follows it: its first byte (*clen bytes, at least 9, all inside
 * desc), or NULL.
 */
const uint8_t *desc_config_find(const uint8_t *desc, size_t len, uint8_t value, size_t *clen);

/*
 * The class triple of the first interface descriptor of the first
 * configuration: 0, or -1 without one (cls untouched).
 */
int desc_first_interface(const uint8_t *desc, size_t len, uint8_t cls[3]);

/*
 * The interface descriptors of the first configuration, one per call, in
 * order (what classdrv.c matches rules against): *pos 0 to start; 1 and
 * the interface's class triple in cls, or 0 at the end.
 */
int desc_next_interface(const uint8_t *desc, size_t len, size_t *pos, uint8_t cls[3]);

/*
 * The endpoints of every interface of configuration c (len bytes) in the
 * alternate setting alt[] names (interface numbers taken modulo 32;
 * only_iface >= 0: that interface only), at most max of them into eps.
 * Returns the count, or -EPROTO for a malformed descriptor (or more than
 * max endpoints).
 */
int desc_config_endpoints(const uint8_t *c, size_t len, const uint8_t alt[32], int only_iface,
			  struct ep_desc *eps, int max);

/* One interface of a configuration, in the alternate setting asked for. */
struct if_desc {
	uint8_t number, alt, cls[3], num_eps;
};

/*
 * The interfaces of configuration c (len bytes) in the alternate settings
 * alt[] names, in descriptor order, each number once (the first
 * descriptor of a number and alternate counts), numbers below 32 only (the
 * ones xhcid can address: alt[] has 32): at most max into out. Returns the
 * count (what classdrv.c starts drivers for, what an interface handle may
 * name).
 */
int desc_interfaces(const uint8_t *c, size_t len, const uint8_t alt[32], struct if_desc *out,
		    int max);

/*
 * An endpoint address that configuration c (len bytes) lists under two
 * interface numbers (in any alternates): that address (never 0: EP0 is
 * not listed), or 0 if every address belongs to one interface. xhcid
 * refuses such a configuration: an endpoint is its interface's owner's,
 * and SET_INTERFACE on one interface must never replace another's.
 */
int desc_config_shared_ep(const uint8_t *c, size_t len);

/* Does configuration c (len bytes) have interface iface's alternate setting alt? */
bool desc_has_alt(const uint8_t *c, size_t len, uint8_t iface, uint8_t alt);

/* The device context index of endpoint address addr: 1 EP0, 2n OUT n, 2n + 1 IN n. */
uint8_t desc_ep_dci(uint8_t addr);

/*
 * The endpoint context's Interval for e on a device of speed (enum
 * usb_speed): 2^Interval * 125 us (xHCI 6.2.3.6). 0 for bulk and control.
 */
uint32_t desc_ep_interval(unsigned int speed, const struct ep_desc *e);

/*
 * The endpoint context's numbers for e, within what xHCI allows whatever
 * the descriptors say: *mps (wMaxPacketSize's size, 8 for 0, at most
 * 1024), *burst (Max Burst Size: a SuperSpeed companion's bMaxBurst, at
 * most 15; a high-speed periodic endpoint's extra transactions per
 * microframe, at most 2; else 0) and, for interrupt endpoints, *esit
 * (Max ESIT Payload: bytes per service interval, *mps * (*burst + 1),
 * never over 16 bits), else 0.
 */
void desc_ep_shape(unsigned int speed, const struct ep_desc *e, uint16_t *mps, uint8_t *burst,
		   uint32_t *esit);

/*
 * A configuration read whole is kept as it arrived; one that arrived
 * short (got bytes of the wTotalLength it claims at c) gets got as its
 * wTotalLength, so that a walk over the kept bytes finds the next
 * configuration where it is, not inside this one.
 */
void desc_config_arrived(uint8_t *c, size_t got);

#endif /* XHCID_DESCPARSE_H */
