/* SPDX-License-Identifier: MIT */
/*
 * xhcid: one xHCI controller, driven from userspace through a pcid channel.
 *
 * Where a request goes (file by file):
 *   main.c      the process: channel, controller, scheme, one wait loop
 *   scheme.c    usb.*: requests -> transfers (transfer.c) or port state
 *   transfer.c  TDs on an endpoint's transfer ring; completions by TRB
 *               address; STALL recovery; cancel
 *   device.c    ports: attach, reset, enumerate (slot, address,
 *               descriptors, configuration), detach
 *   hc.c        the controller: bring-up, the command ring, the event ring
 *               and the interrupt that says it has events
 *   trbring.c   a ring of TRBs with its Link TRB and cycle bit
 *   dma.c       DMA memory from the channel, carved into pages
 *   descparse.c the descriptor parsers, pure (tests/drivers/unit/xhcid_desc_test.c)
 *
 * Threading: one thread. Everything runs from the daemon loop (libuscheme
 * daemon.h), woken by FILES_UPDATE events: scheme requests, the interrupt
 * fd, the channel. Bring-up and enumeration wait for their commands in
 * hc_wait(): a blocking read of the interrupt fd (bounded by a timeout)
 * that processes every event meanwhile, so other devices' transfers still
 * complete; port changes seen then are kept for the loop (hc->ports_pending).
 */
#ifndef XHCID_H
#define XHCID_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../bench/disktrace.h"
#include "../libuscheme/daemon.h"
#include "../libpcidrv/pcidrv.h"
#include "descparse.h"
#include "usbscheme.h"
#include "xhci.h"

#define XHCID_MAX_PORTS		255
#define XHCID_CMD_TRBS		64	/* command ring, Link TRB included */
#define XHCID_EVENT_TRBS	256	/* one ERST segment */
#define XHCID_XFER_TRBS		256	/* each transfer ring (one page) */
#define XHCID_TRB_MAX_LEN	65536	/* one TRB's buffer: <= 64 KiB, never across 64 KiB */
#define XHCID_CMD_TIMEOUT_MS	5000
#define XHCID_DMA_CHUNK		(4u << 20)
#define XHCID_DMA_CHUNKS	12	/* 48 MiB of the session's 64 */
#define XHCID_PAGE		4096u
/*
 * What one port's owner may have in flight (each transfer holds one of the
 * kernel's 4096 request slots of the scheme, a chunk of its data area and
 * a bounce buffer from the DMA pool until answered; an interrupt endpoint's
 * never is unless a report comes): beyond either, -EAGAIN.
 */
#define XHCID_PORT_XFERS	256		/* client transfers */
#define XHCID_PORT_BYTES	(4u << 20)	/* their bounce buffers, in whole pages */
/*
 * An interface's owner (usb.X:PORT/ifN): a budget of its own, so that one
 * interface's driver cannot starve another's of the port's.
 */
#define XHCID_IF_XFERS		64
#define XHCID_IF_BYTES		(2u << 20)
#define XHCID_IFACES		32	/* interface numbers 0..31 (alt[] of struct usb_dev) */
#define XHCID_ACCTS		(1 + XHCID_IFACES)	/* budgets: the port's owner, each interface's */

/* ---- dma.c ---- */

struct dma_span {
	void *map;
	uint64_t bus;
	size_t size;		/* whole pages */
	uint16_t chunk;		/* internal */
	uint32_t first;		/* first page in the chunk */
};

struct dma_pool;
int dma_pool_init(struct dma_pool **pool, int channel, bool addr64);
void dma_pool_free(struct dma_pool *pool);
/* size bytes (rounded up to pages), zeroed, contiguous. 0 or -ENOMEM. */
int dma_get(struct dma_pool *pool, size_t size, struct dma_span *out);
void dma_put(struct dma_pool *pool, struct dma_span *span);
size_t dma_pool_bytes(const struct dma_pool *pool);

/* ---- trbring.c ---- */

struct trb_ring {
	struct dma_span mem;
	struct trb *trbs;
	uint64_t bus;
	uint32_t n;		/* TRBs, the Link TRB at n - 1 included */
	uint32_t enq;		/* next TRB we write */
	uint32_t used;		/* TRBs written and not yet given back (Link excluded) */
	uint32_t cycle;		/* producer cycle state */
};

int trb_ring_init(struct trb_ring *r, struct dma_pool *pool, uint32_t n);
void trb_ring_free(struct trb_ring *r, struct dma_pool *pool);
/* TRBs that can be written before the ring is full. */
uint32_t trb_ring_room(const struct trb_ring *r);
/*
 * Write one TRB at enq (the cycle bit is set last, after a release
 * barrier, unless defer_cycle: then the caller flips it with
 * trb_ring_publish, so a TD becomes visible all at once). Returns its index.
 */
uint32_t trb_ring_put(struct trb_ring *r, uint64_t param, uint32_t status,
		      uint32_t control, bool defer_cycle);
void trb_ring_publish(struct trb_ring *r, uint32_t index);
uint64_t trb_bus(const struct trb_ring *r, uint32_t index);
/* The index of bus address a in the ring, or -1. */
int trb_index(const struct trb_ring *r, uint64_t a);

/* ---- the controller, its devices and transfers ---- */

struct hc;
struct usb_dev;
struct xfer;

typedef void (*cmd_done_fn)(struct hc *hc, uint32_t cc, uint32_t slot, void *ctx);

struct ep {
	struct usb_dev *dev;
	uint8_t dci;		/* device context index: 1 EP0, 2n OUT n, 2n+1 IN n */
	uint8_t addr;		/* bEndpointAddress */
	uint8_t type;		/* enum usb_ep_type */
	uint8_t interval;
	uint16_t mps;
	uint16_t burst;
	uint8_t iface;		/* the interface (bInterfaceNumber) it belongs to */
	uint32_t gen;		/* this endpoint's life (an interface owner's handles name it) */
	struct trb_ring ring;
	struct xfer *head, *tail;	/* TDs on the ring, in ring order */
	struct xfer *wait_head, *wait_tail;	/* waiting for ring room or DMA */
	uint32_t inflight;
	uint32_t timeout_ms;	/* a client transfer's deadline, 0 none (USB_CALL_EP_TIMEOUT) */
	uint32_t ctx[5];	/* its endpoint context as configured (a reset reuses it) */
	struct ep_reports *rq;	/* interrupt IN reports fetched ahead (USB_CALL_EP_POLL), or NULL */
	bool halted;		/* recovering from a STALL */
	bool stopping;		/* a Stop Endpoint is under way (cancel) */
};

enum xfer_kind {
	XFER_CLIENT,		/* a scheme request: answered with us_reply */
	XFER_SYNC,		/* xhcid's own (enumeration): done is set, the waiter frees */
	XFER_INTERNAL,		/* xhcid's own, answered to nobody (CLEAR_FEATURE) */
	XFER_REPORT,		/* an interrupt IN report fetched ahead (reports.c) */
};

struct xfer {
	struct xfer *next;
	struct ep *ep;
	enum xfer_kind kind;
	uint8_t acct;		/* XFER_CLIENT: whose budget (0 the port's owner, 1 + N interface N's) */
	uint64_t tag;		/* XFER_CLIENT: the request's tag */
	void *data;		/* the request's buffer (IN: copied here at the end) */
	uint32_t len;		/* bytes asked for */
	bool in;
	bool ctrl;		/* a control transfer: setup in setup[] */
	uint8_t setup[8];
	struct dma_span buf;	/* bounce buffer (len > 0) */
	uint32_t first, last;	/* TRB indices on the ring */
	bool queued;		/* on the ring (else waiting) */
	bool cancelled;
	bool timed_out;		/* cancelled because its deadline passed */
	bool done;
	uint64_t deadline_ms;	/* client transfers: CLOCK_MONOTONIC ms, 0 none */
	int result;		/* bytes, or -errno */
	uint32_t copy_len;	/* IN: bytes to copy to data when answered */
	uint64_t t_in, t_db, t_ev;	/* --trace: request in, doorbell, event (ns) */
};

struct usb_dev {
	struct hc *hc;
	uint8_t port;		/* root-hub port, 1-based */
	uint8_t state;		/* enum usb_port_state */
	uint8_t speed;		/* enum usb_speed */
	uint8_t slot;
	uint32_t generation;	/* changes with each enumeration (PORT_INFO's) */
	uint32_t config_gen;	/* changes with each configuration or alternate setting */
	uint16_t mps0;
	uint8_t *desc;		/* device descriptor + configurations, raw */
	size_t desc_len;
	uint8_t config;		/* bConfigurationValue set, 0 none */
	uint8_t alt[32];	/* alternate setting per interface number */
	struct dma_span out_ctx;	/* the device context (DCBAA[slot]) */
	struct dma_span in_ctx;		/* the input context */
	struct ep *eps[32];	/* by DCI; eps[1] is EP0 */
	void *owner;		/* the O_RDWR handle holding the port, or NULL */
	uint32_t owner_id;
	void *if_owner[XHCID_IFACES];	/* the O_RDWR handle holding interface N, or NULL */
	uint32_t if_owner_id[XHCID_IFACES];
	/* by budget (struct xfer.acct): client transfers in flight and their bounce buffers' bytes */
	uint32_t client_xfers[XHCID_ACCTS];
	size_t client_bytes[XHCID_ACCTS];
};

struct hc {
	char addr[PCID_ADDR_MAX];
	struct disktrace *trace;	/* --trace FILE (make bench-disk), else NULL */
	int channel;
	int irq_fd;
	uint32_t irq_mode;
	volatile uint8_t *bar;	/* BAR0 mapped (pages holding MSI-X absent) */
	size_t bar_len;
	volatile uint8_t *op, *rt, *db;
	uint32_t hcs1, hcs2, hcc1;
	unsigned int max_slots, max_ports, ctx_size;
	bool addr64;
	uint8_t usb3_port[XHCID_MAX_PORTS + 1];	/* 1: a USB3 protocol port */
	uint8_t port_speed_ok[XHCID_MAX_PORTS + 1];
	struct dma_pool *pool;
	struct dma_span dcbaa, erst, spad_array;
	struct dma_span *spad;
	unsigned int nspad;
	struct trb_ring cmd, evt;
	uint32_t evt_cycle;
	struct usb_dev *dev[XHCID_MAX_PORTS + 1];	/* by port */
	struct usb_dev *slot_dev[256];
	/* the command in flight (one at a time: bring-up and enumeration are synchronous) */
	uint64_t cmd_bus;
	bool cmd_done;		/* hc_command's command completed */
	bool cmd_sync;		/* the command on the ring is hc_command's */
	uint32_t cmd_cc, cmd_slot;	/* hc_command's command's completion */
	cmd_done_fn cmd_fn;	/* an asynchronous command's completion */
	void *cmd_ctx;
	bool cmd_busy;		/* a command is on the ring */
	struct async_cmd *cmd_queue, *cmd_queue_tail;
	uint8_t ports_pending[XHCID_MAX_PORTS + 1];	/* port change seen, not handled */
	uint8_t reset_pending[XHCID_MAX_PORTS + 1];	/* USB_CALL_PORT_RESET asked, not done */
	bool any_pending;
	int wait_depth;		/* nested hc_wait() calls */
	uint32_t generations;	/* the last generation, config_gen or owner_id given */
	bool dead;		/* the controller failed (HSE, HCE, gone) */
	int timer_fd;		/* transfer deadlines (transfer.c) */
	uint64_t timer_armed_ms;	/* the deadline timer_fd is set for, 0 none */
	struct us_daemon *d;
	uint64_t events, interrupts, transfers;
};

/* hc.c */
int hc_start(struct hc *hc, int channel, const char *addr);
void hc_stop(struct hc *hc);
uint32_t hc_read32(struct hc *hc, volatile uint8_t *base, uint32_t off);
void hc_write32(struct hc *hc, volatile uint8_t *base, uint32_t off, uint32_t v);
void hc_write64(struct hc *hc, volatile uint8_t *base, uint32_t off, uint64_t v);
/* The interrupt fd said something (or a wait wants to look): handle every event; their count. */
int hc_interrupt(struct hc *hc);
/*
 * Process events until *flag is true or timeout_ms passes (flag NULL:
 * until a pass finds events). 0, -ETIMEDOUT, or -ENODEV (controller dead).
 */
int hc_wait(struct hc *hc, const bool *flag, int timeout_ms);
/* A command, waited for. Returns the completion code (>= 0) or -errno. */
int hc_command(struct hc *hc, uint64_t param, uint32_t status, uint32_t control,
	       uint32_t *slot_out);
/* A command whose completion calls fn later (queued behind the one in flight). */
int hc_command_async(struct hc *hc, uint64_t param, uint32_t control,
		     cmd_done_fn fn, void *ctx);
/*
 * ctx is going away (an endpoint freed): its queued asynchronous commands
 * are dropped, and the one on the ring, if its, completes without calling
 * back.
 */
void hc_command_forget(struct hc *hc, const void *ctx);
void hc_ring_doorbell(struct hc *hc, unsigned int slot, unsigned int target);
void hc_log(struct hc *hc, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *cc_name(uint32_t cc);

/* device.c */
void dev_port_changed(struct hc *hc, unsigned int port);
void dev_handle_pending(struct hc *hc);
void dev_detach(struct hc *hc, unsigned int port);
/* USB_CALL_PORT_RESET: 0 once marked (done from the loop), -EBUSY if one is. */
int dev_request_reset(struct hc *hc, unsigned int port);
int dev_set_config(struct usb_dev *dev, uint8_t value);
int dev_set_alt(struct usb_dev *dev, uint8_t iface, uint8_t alt);
struct ep *dev_ep_by_addr(struct usb_dev *dev, uint8_t addr);
/* The controller's side of CLEAR_FEATURE(ENDPOINT_HALT). 0, -EBUSY (transfers queued), -EIO. */
int dev_reset_endpoint(struct usb_dev *dev, struct ep *ep);
const char *speed_name(unsigned int speed);
/* The first interface descriptor's class triple, or -1 without one. */
int dev_first_interface(const struct usb_dev *dev, uint8_t cls[3]);

/* transfer.c */
struct xfer *xfer_new(struct ep *ep, enum xfer_kind kind, uint64_t tag,
		      void *data, uint32_t len, bool in);
/*
 * May the owner whose budget is acct (0 the port's, 1 + N interface N's)
 * queue a client transfer of len bytes now? 0 or -EAGAIN.
 */
int xfer_admit(const struct usb_dev *dev, unsigned int acct, uint32_t len);
/* Queue it (on the ring if it fits, else waiting). 0 or -errno (x freed then). */
int xfer_submit(struct xfer *x);
void xfer_event(struct hc *hc, const struct trb *ev);
/* Cancel the client transfer with this tag, if any. */
void xfer_cancel_tag(struct hc *hc, uint64_t tag);
/* Cancel x (answered -ECANCELED, or -ETIMEDOUT when x->timed_out). false: could not. */
bool xfer_cancel(struct hc *hc, struct ep *ep, struct xfer *x);
/* Fail every transfer of ep with err and free the endpoint's ring. */
void ep_destroy(struct hc *hc, struct ep *ep, int err);
struct ep *ep_new(struct usb_dev *dev, uint8_t dci);
/* The deadline timer: a timerfd (watched by main.c), and what to do when it fires. */
int xfer_timer_init(struct hc *hc);
void xfer_timer_fired(struct hc *hc);
/* A synchronous control transfer (enumeration). Bytes or -errno. */
int ctrl_sync(struct usb_dev *dev, uint8_t type, uint8_t req, uint16_t value,
	      uint16_t index, void *data, uint16_t len);

/* classdrv.c: class drivers, which pcid starts at our request */
/* --config FILE: ask pcid only for what its rules match (NULL: for everything). 0 or -EINVAL. */
int classdrv_load(struct hc *hc, const char *path);
/* dev is enumerated: ask pcid for a driver per interface (or for the port). */
void classdrv_device_ready(struct hc *hc, struct usb_dev *dev);
/* port's device is gone: pcid stops its drivers. */
void classdrv_device_gone(struct hc *hc, unsigned int port);
/* At exit: ask nothing more (pcid stops the drivers when xhcid ends). */
void classdrv_stop_all(struct hc *hc);

/* reports.c: interrupt IN readiness (USB_CALL_EP_POLL) */
int reports_start(struct ep *ep);
/* Off: waiting READs answered err; the fetching TD cancelled (cancel_fetch) or left to its fate. */
void reports_stop(struct ep *ep, int err, bool cancel_fetch);
void reports_fetched(struct hc *hc, struct xfer *x, int res);
/* A READ while on: a queued report at once (bytes), or US_DEFER until the next. */
int reports_read(struct ep *ep, uint64_t tag, void *buf, uint32_t len);
bool reports_cancel(struct hc *hc, struct ep *ep, uint64_t tag);
uint32_t reports_queued(const struct ep *ep);

/* scheme.c */
extern const struct us_scheme_ops xhcid_scheme_ops;
/* Set the readiness of ep's endpoint handles (those of its port's current owner). */
void scheme_ep_event(struct hc *hc, struct ep *ep, uint32_t mask);
/* A port's device came or went: owners' handles see -ESTALE from now on. */
void scheme_port_changed(struct hc *hc, unsigned int port);

#endif /* XHCID_H */
