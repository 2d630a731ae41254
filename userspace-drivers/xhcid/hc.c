// SPDX-License-Identifier: MIT
/*
 * The controller: BAR0 through the channel, bring-up to xHCI 1.2 section
 * 4.2, the command ring, the event ring and interrupter 0.
 *
 * Lock-free and single-threaded: only the daemon thread touches the
 * controller. The event ring is consumed in hc_interrupt(), whoever calls
 * it: the interrupt fd's watch (the steady state) or hc_wait() (bring-up,
 * enumeration and set-configuration, which wait for their commands).
 * Commands go one at a time: hc_command() waits for the ring to be idle,
 * asynchronous ones (cancel, STALL recovery) queue behind it.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "xhcid.h"

struct async_cmd {
	struct async_cmd *next;
	uint64_t param;
	uint32_t control;
	cmd_done_fn fn;
	void *ctx;
};

void hc_log(struct hc *hc, const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n, m;

	n = snprintf(line, sizeof(line), "xhcid: %s: ", hc->addr);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

const char *cc_name(uint32_t cc)
{
	switch (cc) {
	case CC_SUCCESS: return "success";
	case CC_DATA_BUFFER: return "data buffer error";
	case CC_BABBLE: return "babble";
	case CC_TRANSACTION: return "transaction error";
	case CC_TRB: return "TRB error";
	case CC_STALL: return "stall";
	case CC_RESOURCE: return "resource error";
	case CC_BANDWIDTH: return "bandwidth error";
	case CC_NO_SLOTS: return "no slots";
	case CC_SLOT_NOT_ENABLED: return "slot not enabled";
	case CC_EP_NOT_ENABLED: return "endpoint not enabled";
	case CC_SHORT_PACKET: return "short packet";
	case CC_CTX_STATE: return "context state error";
	case CC_CMD_ABORTED: return "command aborted";
	case CC_STOPPED: return "stopped";
	case CC_STOPPED_LEN_INVALID: return "stopped (length invalid)";
	default: return "error";
	}
}

/* ---- registers ---- */

uint32_t hc_read32(struct hc *hc, volatile uint8_t *base, uint32_t off)
{
	(void)hc;
	return *(volatile uint32_t *)(base + off);
}

void hc_write32(struct hc *hc, volatile uint8_t *base, uint32_t off, uint32_t v)
{
	(void)hc;
	*(volatile uint32_t *)(base + off) = v;
}

/* Low dword first, as 4.2 orders it for CRCR, DCBAAP, ERSTBA and ERDP. */
void hc_write64(struct hc *hc, volatile uint8_t *base, uint32_t off, uint64_t v)
{
	hc_write32(hc, base, off, (uint32_t)v);
	hc_write32(hc, base, off + 4, (uint32_t)(v >> 32));
}

static void msleep(unsigned int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * Wait for (reg & mask) == want, up to timeout_ms. Bring-up only: these
 * bits (HCH, CNR, HCRST, the BIOS semaphore) raise no interrupt.
 */
static int wait_bits(struct hc *hc, volatile uint8_t *base, uint32_t off,
		     uint32_t mask, uint32_t want, unsigned int timeout_ms)
{
	unsigned int t;

	for (t = 0; t <= timeout_ms; t++) {
		uint32_t v = hc_read32(hc, base, off);

		if (v == 0xffffffffu)
			return -ENODEV;	/* the device is gone */
		if ((v & mask) == want)
			return 0;
		msleep(1);
	}
	return -ETIMEDOUT;
}

/*
 * Map BAR0 page by page into one reserved range: the kernel refuses the
 * pages holding the MSI-X table and PBA, which stay PROT_NONE; no register
 * xhcid uses lives there on any controller we know of, and an access to
 * one would be caught by bar_ok().
 */
static uint8_t *bar_pages_ok;

static int bar_map(struct hc *hc, const struct uscheme_pci_info *info)
{
	size_t size = (size_t)info->bars[0].size, off, pages;
	uint8_t *base;
	int fd;

	if (!(info->bars[0].flags & USCHEME_BAR_MEM) || size < 0x1000 || size > (64u << 20))
		return -ENODEV;
	fd = pcidrv_bar(hc->channel, 0);
	if (fd < 0)
		return fd;
	base = mmap(NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED) {
		close(fd);
		return -ENOMEM;
	}
	pages = size / XHCID_PAGE;
	bar_pages_ok = calloc(pages, 1);
	if (!bar_pages_ok) {
		munmap(base, size);
		close(fd);
		return -ENOMEM;
	}
	for (off = 0; off < size; off += XHCID_PAGE) {
		void *p = mmap(base + off, XHCID_PAGE, PROT_READ | PROT_WRITE,
			       MAP_SHARED | MAP_FIXED, fd, (off_t)off);

		if (p != MAP_FAILED) {
			bar_pages_ok[off / XHCID_PAGE] = 1;
			continue;
		}
		/* Refused (the MSI-X pages): keep the hole reserved. */
		mmap(base + off, XHCID_PAGE, PROT_NONE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
	}
	close(fd);
	hc->bar = base;
	hc->bar_len = size;
	return 0;
}

/* Is [off, off + len) of BAR0 mapped? */
static bool bar_ok(struct hc *hc, size_t off, size_t len)
{
	size_t p;

	if (off > hc->bar_len || len > hc->bar_len - off)
		return false;
	for (p = off / XHCID_PAGE; p * XHCID_PAGE < off + len; p++)
		if (!bar_pages_ok[p])
			return false;
	return true;
}

/* ---- extended capabilities: BIOS handoff, port protocols ---- */

static void xecp_legacy(struct hc *hc, uint32_t off)
{
	uint32_t v = hc_read32(hc, hc->bar, off);

	if (!(v & LEGSUP_BIOS_OWNED)) {
		hc_write32(hc, hc->bar, off, v | LEGSUP_OS_OWNED);
		goto smi;
	}
	hc_write32(hc, hc->bar, off, v | LEGSUP_OS_OWNED);
	if (wait_bits(hc, hc->bar, off, LEGSUP_BIOS_OWNED, 0, 1000)) {
		hc_log(hc, "BIOS did not release the controller in 1 s; taking it");
		hc_write32(hc, hc->bar, off, (hc_read32(hc, hc->bar, off) & ~LEGSUP_BIOS_OWNED) |
			   LEGSUP_OS_OWNED);
	} else {
		hc_log(hc, "BIOS handed the controller over");
	}
smi:
	/* SMIs off, their status bits (RW1C, 31:29) cleared. */
	v = hc_read32(hc, hc->bar, off + 4);
	hc_write32(hc, hc->bar, off + 4, (v & ~LEGCTLSTS_SMI_MASK) | 0xe0000000u);
}

static void xecp_protocol(struct hc *hc, uint32_t off)
{
	uint32_t v = hc_read32(hc, hc->bar, off);
	uint32_t ports = hc_read32(hc, hc->bar, off + 8);
	unsigned int major = v >> 24, first = ports & 0xff, count = (ports >> 8) & 0xff, p;

	for (p = first; count && p < first + count && p <= hc->max_ports; p++)
		hc->usb3_port[p] = major >= 3;
}

static void xecp_walk(struct hc *hc)
{
	uint32_t off = HCC1_XECP(hc->hcc1), n;

	for (n = 0; off && n < 256; n++) {
		uint32_t v, next;

		if (!bar_ok(hc, off, 16))
			break;
		v = hc_read32(hc, hc->bar, off);
		if (XECP_ID(v) == XECP_LEGACY)
			xecp_legacy(hc, off);
		else if (XECP_ID(v) == XECP_PROTOCOL)
			xecp_protocol(hc, off);
		next = XECP_NEXT(v);
		if (!next)
			break;
		off += next;
	}
}

/* ---- commands ---- */

void hc_ring_doorbell(struct hc *hc, unsigned int slot, unsigned int target)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	hc_write32(hc, hc->db, 4 * slot, target);
}

/* sync: hc_command's, whose result goes to cmd_cc/cmd_slot/cmd_done; else fn's. */
static void cmd_issue(struct hc *hc, uint64_t param, uint32_t status, uint32_t control,
		      cmd_done_fn fn, void *ctx, bool sync)
{
	uint32_t idx = trb_ring_put(&hc->cmd, param, status, control, false);

	hc->cmd_bus = trb_bus(&hc->cmd, idx);
	hc->cmd_busy = true;
	hc->cmd_sync = sync;
	if (sync)
		hc->cmd_done = false;
	hc->cmd_fn = fn;
	hc->cmd_ctx = ctx;
	hc_ring_doorbell(hc, 0, 0);
}

static void cmd_complete(struct hc *hc, const struct trb *ev)
{
	cmd_done_fn fn = hc->cmd_fn;
	void *ctx = hc->cmd_ctx;
	bool sync = hc->cmd_sync;
	struct async_cmd *next;
	uint32_t cc = EVT_CC(ev->status), slot = TRB_GET_SLOT(ev->control);

	if (!hc->cmd_busy || ev->param != hc->cmd_bus) {
		hc_log(hc, "a command completion for no command (0x%llx): ignored",
		       (unsigned long long)ev->param);
		return;
	}
	hc->cmd.used--;
	hc->cmd_busy = false;
	/*
	 * Only hc_command's own command sets its result: the queued command
	 * issued next may complete in this same event pass (QEMU completes
	 * commands at the doorbell), before hc_command reads cmd_cc, and its
	 * code must not pass for hc_command's.
	 */
	if (sync) {
		hc->cmd_cc = cc;
		hc->cmd_slot = slot;
		hc->cmd_done = true;
	}
	hc->cmd_fn = NULL;
	next = hc->cmd_queue;
	if (next) {
		hc->cmd_queue = next->next;
		if (!hc->cmd_queue)
			hc->cmd_queue_tail = NULL;
		cmd_issue(hc, next->param, 0, next->control, next->fn, next->ctx, false);
		free(next);
	}
	if (fn)
		fn(hc, cc, slot, ctx);
}

int hc_command_async(struct hc *hc, uint64_t param, uint32_t control,
		     cmd_done_fn fn, void *ctx)
{
	struct async_cmd *c;

	if (hc->dead)
		return -ENODEV;
	if (!hc->cmd_busy) {
		cmd_issue(hc, param, 0, control, fn, ctx, false);
		return 0;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->param = param;
	c->control = control;
	c->fn = fn;
	c->ctx = ctx;
	if (hc->cmd_queue_tail)
		hc->cmd_queue_tail->next = c;
	else
		hc->cmd_queue = c;
	hc->cmd_queue_tail = c;
	return 0;
}

void hc_command_forget(struct hc *hc, const void *ctx)
{
	struct async_cmd **pp = &hc->cmd_queue, *c;

	hc->cmd_queue_tail = NULL;
	while ((c = *pp)) {
		if (c->ctx == ctx) {
			*pp = c->next;
			free(c);
			continue;
		}
		hc->cmd_queue_tail = c;
		pp = &c->next;
	}
	/* The one on the ring completes with nobody to tell. */
	if (hc->cmd_busy && hc->cmd_fn && hc->cmd_ctx == ctx) {
		hc->cmd_fn = NULL;
		hc->cmd_ctx = NULL;
	}
}

int hc_command(struct hc *hc, uint64_t param, uint32_t status, uint32_t control,
	       uint32_t *slot_out)
{
	struct timespec since, now;
	uint64_t waiting_for = 0;
	int err;

	/*
	 * Wait for the ring to be idle: the asynchronous commands ahead must
	 * complete, each within XHCID_CMD_TIMEOUT_MS as a synchronous one
	 * must (a controller that never completes one would otherwise keep
	 * xhcid here for ever, serving nobody).
	 */
	while (hc->cmd_busy || hc->cmd_queue) {
		if (hc->dead)
			return -ENODEV;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (!waiting_for || waiting_for != hc->cmd_bus) {
			waiting_for = hc->cmd_bus;	/* progress: a new command on the ring */
			since = now;
		} else if ((now.tv_sec - since.tv_sec) * 1000 +
			   (now.tv_nsec - since.tv_nsec) / 1000000 >= XHCID_CMD_TIMEOUT_MS) {
			hc_log(hc, "a queued command did not complete in %d ms: the controller is "
			       "not answering", XHCID_CMD_TIMEOUT_MS);
			hc->dead = true;
			return -ETIMEDOUT;
		}
		/* With no flag, hc_wait returns after a pass that found events. */
		err = hc_wait(hc, NULL, XHCID_CMD_TIMEOUT_MS);
		if (err && err != -ETIMEDOUT)
			return err;
	}
	if (hc->dead)
		return -ENODEV;
	cmd_issue(hc, param, status, control, NULL, NULL, true);
	err = hc_wait(hc, &hc->cmd_done, XHCID_CMD_TIMEOUT_MS);
	if (err) {
		hc_log(hc, "command %u timed out: the controller is not answering",
		       TRB_GET_TYPE(control));
		hc->dead = true;
		return err;
	}
	if (slot_out)
		*slot_out = hc->cmd_slot;
	return (int)hc->cmd_cc;
}

/* ---- events ---- */

static void event_dispatch(struct hc *hc, const struct trb *ev)
{
	unsigned int port;

	hc->events++;
	switch (TRB_GET_TYPE(ev->control)) {
	case TRB_EV_CMD:
		cmd_complete(hc, ev);
		break;
	case TRB_EV_TRANSFER:
		xfer_event(hc, ev);
		break;
	case TRB_EV_PORT:
		port = (unsigned int)((ev->param >> 24) & 0xff);
		if (port >= 1 && port <= hc->max_ports) {
			hc->ports_pending[port] = 1;
			hc->any_pending = true;
		}
		break;
	case TRB_EV_HC:
		hc_log(hc, "host controller event: %s", cc_name(EVT_CC(ev->status)));
		break;
	default:
		break;
	}
}

int hc_interrupt(struct hc *hc)
{
	volatile uint8_t *ir = hc->rt + XHCI_IR0;
	uint32_t sts = hc_read32(hc, hc->op, XHCI_USBSTS);
	int any = 0;

	if (sts == 0xffffffffu || (sts & (STS_HSE | STS_HCE))) {
		if (!hc->dead)
			hc_log(hc, "controller failed (USBSTS 0x%08x): giving up on it", sts);
		hc->dead = true;
		return 0;
	}
	/* Quiet the interrupt first (INTx stays masked until we acknowledge). */
	if (sts & STS_EINT)
		hc_write32(hc, hc->op, XHCI_USBSTS, STS_EINT);
	hc_write32(hc, ir, IR_IMAN, IMAN_IE | IMAN_IP);
	for (;;) {
		volatile struct trb *t = &hc->evt.trbs[hc->evt.enq];
		struct trb ev;

		if ((t->control & TRB_CYCLE) != hc->evt_cycle)
			break;
		__atomic_thread_fence(__ATOMIC_ACQUIRE);
		ev.param = t->param;
		ev.status = t->status;
		ev.control = t->control;
		if (++hc->evt.enq == hc->evt.n) {
			hc->evt.enq = 0;
			hc->evt_cycle ^= 1;
		}
		any++;
		event_dispatch(hc, &ev);
		if (hc->dead)
			return any;
	}
	/* ERDP with EHB cleared (write 1): the handler is done, interrupts may come again. */
	hc_write64(hc, ir, IR_ERDP, trb_bus(&hc->evt, hc->evt.enq) | ERDP_EHB);
	return any;
}

/*
 * Block on the interrupt fd until *flag, processing every event; at most
 * timeout_ms. flag NULL: return after the first pass that found events.
 */
int hc_wait(struct hc *hc, const bool *flag, int timeout_ms)
{
	struct timespec start, now;
	int ret = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	hc->wait_depth++;
	if (hc_interrupt(hc) && !flag) {
		hc->wait_depth--;
		return 0;
	}
	while (!flag || !*flag) {
		struct pollfd pfd = { .fd = hc->irq_fd, .events = POLLIN };
		long elapsed;
		uint64_t n;
		int r;

		if (hc->dead) {
			ret = -ENODEV;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		elapsed = (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
		if (elapsed >= timeout_ms) {
			ret = -ETIMEDOUT;
			break;
		}
		r = poll(&pfd, 1, (int)(timeout_ms - elapsed));
		if (r < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		if (r <= 0)
			continue;
		if (read(hc->irq_fd, &n, sizeof(n)) != sizeof(n))
			n = 0;
		hc->interrupts += n;
		hc_interrupt(hc);
		if (n && write(hc->irq_fd, &n, sizeof(n)) != sizeof(n))
			hc_log(hc, "cannot acknowledge the interrupt: %s", strerror(errno));
		if (flag == NULL)
			break;
	}
	hc->wait_depth--;
	return ret;
}

/* ---- bring-up ---- */

static int hc_reset(struct hc *hc)
{
	int err;

	hc_write32(hc, hc->op, XHCI_USBCMD, hc_read32(hc, hc->op, XHCI_USBCMD) & ~CMD_RUN);
	err = wait_bits(hc, hc->op, XHCI_USBSTS, STS_HCH, STS_HCH, 100);
	if (err)
		return err;
	hc_write32(hc, hc->op, XHCI_USBCMD, CMD_HCRST);
	err = wait_bits(hc, hc->op, XHCI_USBCMD, CMD_HCRST, 0, 1000);
	if (!err)
		err = wait_bits(hc, hc->op, XHCI_USBSTS, STS_CNR, 0, 1000);
	return err;
}

static int scratchpads(struct hc *hc)
{
	unsigned int n = HCS2_SPB_MAX(hc->hcs2), i;
	uint64_t *arr;
	int err;

	if (!n)
		return 0;
	if (!(hc_read32(hc, hc->op, XHCI_PAGESIZE) & 1))
		return -EOPNOTSUPP;	/* 4 KiB pages are all we carve */
	err = dma_get(hc->pool, (size_t)n * 8, &hc->spad_array);
	if (err)
		return err;
	hc->spad = calloc(n, sizeof(*hc->spad));
	if (!hc->spad)
		return -ENOMEM;
	arr = hc->spad_array.map;
	for (i = 0; i < n; i++) {
		err = dma_get(hc->pool, XHCID_PAGE, &hc->spad[i]);
		if (err)
			return err;
		arr[i] = hc->spad[i].bus;
		hc->nspad++;
	}
	((uint64_t *)hc->dcbaa.map)[0] = hc->spad_array.bus;
	return 0;
}

static int irq_start(struct hc *hc)
{
	struct uscheme_irq_setup irq;
	int err, fl;

	err = pcidrv_irq_setup(hc->channel, USCHEME_IRQ_AUTO, 1, &irq);
	if (err)
		return err;
	hc->irq_mode = irq.mode;
	hc->irq_fd = pcidrv_irq(hc->channel, 0);
	if (hc->irq_fd < 0)
		return hc->irq_fd;
	fl = fcntl(hc->irq_fd, F_GETFL);
	if (fl < 0 || fcntl(hc->irq_fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -errno;
	return 0;
}

static const char *irq_mode_name(uint32_t m)
{
	return m == USCHEME_IRQ_MSIX ? "MSI-X" : m == USCHEME_IRQ_MSI ? "MSI" : "INTx";
}

int hc_start(struct hc *hc, int channel, const char *addr)
{
	struct uscheme_pci_info info;
	volatile uint8_t *ir;
	uint64_t *erst;
	uint32_t caplen, dboff, rtsoff, hciver, p;
	int err;

	hc->channel = channel;
	hc->irq_fd = -1;
	if (addr != hc->addr)
		snprintf(hc->addr, sizeof(hc->addr), "%s", addr);
	err = pcidrv_info(channel, &info);
	if (err) {
		hc_log(hc, "cannot read the function's info: %s", strerror(-err));
		return err;
	}
	if (info.class_code != 0x0c0330)
		hc_log(hc, "class %06x is not xHCI (0c0330); trying anyway", info.class_code);
	err = bar_map(hc, &info);
	if (err) {
		hc_log(hc, "cannot map BAR0: %s", strerror(-err));
		return err;
	}
	if (!bar_ok(hc, 0, 0x20)) {
		hc_log(hc, "BAR0's capability registers are not mappable");
		return -ENODEV;
	}
	caplen = hc->bar[XHCI_CAPLENGTH];
	hciver = hc_read32(hc, hc->bar, 0) >> 16;
	hc->hcs1 = hc_read32(hc, hc->bar, XHCI_HCSPARAMS1);
	hc->hcs2 = hc_read32(hc, hc->bar, XHCI_HCSPARAMS2);
	hc->hcc1 = hc_read32(hc, hc->bar, XHCI_HCCPARAMS1);
	dboff = hc_read32(hc, hc->bar, XHCI_DBOFF) & ~3u;
	rtsoff = hc_read32(hc, hc->bar, XHCI_RTSOFF) & ~0x1fu;
	hc->max_slots = HCS1_MAX_SLOTS(hc->hcs1);
	hc->max_ports = HCS1_MAX_PORTS(hc->hcs1);
	hc->ctx_size = hc->hcc1 & HCC1_CSZ ? 64 : 32;
	hc->addr64 = hc->hcc1 & HCC1_AC64;
	/* Everything the device says is checked against BAR0 before use. */
	if (caplen < 0x20 || !hc->max_slots || !hc->max_ports ||
	    !bar_ok(hc, caplen, XHCI_PORTSC(hc->max_ports) + 16) ||
	    !bar_ok(hc, rtsoff, XHCI_IR0 + 0x20) ||
	    !bar_ok(hc, dboff, 4 * (hc->max_slots + 1))) {
		hc_log(hc, "implausible capability registers (CAPLENGTH 0x%x, %u slots, %u ports, "
		       "RTSOFF 0x%x, DBOFF 0x%x, BAR0 %zu bytes)", caplen, hc->max_slots,
		       hc->max_ports, rtsoff, dboff, hc->bar_len);
		return -ENODEV;
	}
	hc->op = hc->bar + caplen;
	hc->rt = hc->bar + rtsoff;
	hc->db = hc->bar + dboff;
	xecp_walk(hc);

	err = wait_bits(hc, hc->op, XHCI_USBSTS, STS_CNR, 0, 1000);
	if (!err)
		err = hc_reset(hc);
	if (err) {
		hc_log(hc, "controller reset failed: %s", strerror(-err));
		return err;
	}
	err = pcidrv_master(channel, 1);
	if (!err)
		err = dma_pool_init(&hc->pool, channel, hc->addr64);
	if (err)
		return err;
	hc_write32(hc, hc->op, XHCI_CONFIG, hc->max_slots);

	err = dma_get(hc->pool, (size_t)(hc->max_slots + 1) * 8, &hc->dcbaa);
	if (!err)
		err = scratchpads(hc);
	if (!err)
		err = trb_ring_init(&hc->cmd, hc->pool, XHCID_CMD_TRBS);
	if (!err)
		err = dma_get(hc->pool, XHCID_EVENT_TRBS * sizeof(struct trb), &hc->evt.mem);
	if (!err)
		err = dma_get(hc->pool, 64, &hc->erst);
	if (err) {
		hc_log(hc, "cannot set up DMA structures: %s", strerror(-err));
		return err;
	}
	hc_write64(hc, hc->op, XHCI_DCBAAP, hc->dcbaa.bus);
	hc_write64(hc, hc->op, XHCI_CRCR, hc->cmd.bus | CRCR_RCS);

	hc->evt.trbs = hc->evt.mem.map;
	hc->evt.bus = hc->evt.mem.bus;
	hc->evt.n = XHCID_EVENT_TRBS;
	hc->evt_cycle = 1;
	erst = hc->erst.map;
	erst[0] = hc->evt.bus;
	erst[1] = XHCID_EVENT_TRBS;
	ir = hc->rt + XHCI_IR0;
	hc_write32(hc, ir, IR_ERSTSZ, 1);
	hc_write64(hc, ir, IR_ERDP, hc->evt.bus);
	hc_write64(hc, ir, IR_ERSTBA, hc->erst.bus);
	hc_write32(hc, ir, IR_IMOD, 160);	/* 40 us between interrupts at most */

	err = irq_start(hc);
	if (err) {
		hc_log(hc, "cannot set up interrupts: %s", strerror(-err));
		return err;
	}
	hc_write32(hc, ir, IR_IMAN, IMAN_IE | IMAN_IP);
	hc_write32(hc, hc->op, XHCI_USBCMD, CMD_RUN | CMD_INTE | CMD_HSEE);
	err = wait_bits(hc, hc->op, XHCI_USBSTS, STS_HCH, 0, 100);
	if (err) {
		hc_log(hc, "controller did not start");
		return err;
	}
	/* Ports: power on where software controls it (HCCPARAMS1.PPC). */
	for (p = 1; p <= hc->max_ports; p++) {
		uint32_t sc = hc_read32(hc, hc->op, XHCI_PORTSC(p));

		if (!(sc & PORT_PP))
			hc_write32(hc, hc->op, XHCI_PORTSC(p), (sc & PORT_RW_KEEP) | PORT_PP);
		hc->ports_pending[p] = 1;
	}
	hc->any_pending = true;
	hc_log(hc, "xHCI %x.%02x running: %u ports, %u slots, %u-byte contexts, %s addressing, "
	       "%u scratchpads, %s", hciver >> 8, hciver & 0xff, hc->max_ports, hc->max_slots,
	       hc->ctx_size, hc->addr64 ? "64-bit" : "32-bit", hc->nspad,
	       irq_mode_name(hc->irq_mode));
	return 0;
}

void hc_stop(struct hc *hc)
{
	struct async_cmd *c;
	unsigned int p;

	/* Devices first, while the controller runs (Disable Slot), then halt it. */
	for (p = 1; p <= hc->max_ports; p++)
		if (hc->dev[p])
			dev_detach(hc, p);
	if (hc->op && !hc->dead) {
		hc_write32(hc, hc->op, XHCI_USBCMD, 0);
		wait_bits(hc, hc->op, XHCI_USBSTS, STS_HCH, STS_HCH, 100);
	}
	while ((c = hc->cmd_queue)) {
		hc->cmd_queue = c->next;
		free(c);
	}
	if (hc->channel >= 0)
		pcidrv_master(hc->channel, 0);
	if (hc->irq_fd >= 0)
		close(hc->irq_fd);
	if (hc->timer_fd >= 0)
		close(hc->timer_fd);
	free(hc->spad);
	dma_pool_free(hc->pool);	/* every span with it */
	if (hc->bar)
		munmap((void *)hc->bar, hc->bar_len);
	free(bar_pages_ok);
	bar_pages_ok = NULL;
}
