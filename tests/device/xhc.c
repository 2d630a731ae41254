// SPDX-License-Identifier: MIT
/*
 * The device suite's own minimal xHCI driver (see device.h): it drives
 * the controller through uscheme's function handle only, so a failure
 * here is the module's, not a driver's (userspace-drivers/xhcid is the
 * real driver and is tested by its own suites).
 */
#include "device.h"

/* ------------------------------------------------------------------ */
/* a minimal xHCI driver: reset, command ring, event ring, No Op        */

uint32_t rd32(volatile uint8_t *base, unsigned int off)
{
	return *(volatile uint32_t *)(base + off);
}

void wr32(volatile uint8_t *base, unsigned int off, uint32_t v)
{
	*(volatile uint32_t *)(base + off) = v;
}

/* 64-bit registers as two 32-bit writes, low first (QEMU acts on the high). */
void wr64(volatile uint8_t *base, unsigned int off, uint64_t v)
{
	wr32(base, off, (uint32_t)v);
	wr32(base, off + 4, (uint32_t)(v >> 32));
}

void xhc_init(struct xhc *x, const char *addr)
{
	memset(x, 0, sizeof(*x));
	x->addr = addr;
	x->fn = x->bar = x->dma = x->irq = -1;
}

void xhc_close(struct xhc *x)
{
	if (x->ring_up)
		us_ring_exit(&x->ring);
	if (x->mem)
		munmap(x->mem, XHC_MEM);
	if (x->mmio)
		munmap((void *)x->mmio, x->mmio_len);
	if (x->irq >= 0)
		close(x->irq);
	if (x->dma >= 0)
		close(x->dma);
	if (x->bar >= 0)
		close(x->bar);
	if (x->fn >= 0)
		close(x->fn);
	xhc_init(x, x->addr);
}

/* Open the function (fn < 0) or use fn, and map BAR0's registers. */
int xhc_map(struct xhc *x, int fn)
{
	uint8_t cfg[256];
	uint32_t dboff, rtsoff;

	x->fn = fn >= 0 ? fn : fn_open(x->addr);
	CHECK(x->fn >= 0);
	CHECK_EQ(fn_info(x->fn, &x->info), 0);
	CHECK_EQ(xpread(x->fn, cfg, sizeof(cfg), 0), (ssize_t)sizeof(cfg));
	msix_layout(cfg, &x->msix);
	CHECK(x->info.bars[0].flags & USCHEME_BAR_MEM);
	x->bar = bar_open(x->fn, 0);
	CHECK(x->bar >= 0);
	x->mmio_len = (size_t)mappable(&x->msix, 0, x->info.bars[0].size);
	CHECK(x->mmio_len >= 0x3000);
	x->mmio = map(x->bar, x->mmio_len, 0, MAP_SHARED);
	CHECK(x->mmio != NULL);
	dboff = rd32(x->mmio, CAP_DBOFF) & ~3U;
	rtsoff = rd32(x->mmio, CAP_RTSOFF) & ~0x1fU;
	CHECK(dboff + 4 <= x->mmio_len && rtsoff + IR0 + 0x20 <= x->mmio_len);
	x->op = x->mmio + (rd32(x->mmio, 0) & 0xff);
	x->rt = x->mmio + rtsoff;
	x->db = x->mmio + dboff;
	return 0;
}

static int wait_reg(volatile uint8_t *base, unsigned int off, uint32_t mask, uint32_t want)
{
	long long end = tap_now_ns() + 1000LL * 1000000;

	while ((rd32(base, off) & mask) != want) {
		if (tap_now_ns() > end) {
			fprintf(stderr, "  register %#x: %#x, waited for (& %#x) == %#x\n", off,
				rd32(base, off), mask, want);
			return -1;
		}
		usleep(1000);
	}
	return 0;
}

/* Halt and reset the controller. */
int xhc_reset(struct xhc *x)
{
	wr32(x->op, OP_USBCMD, 0);
	CHECK_EQ(wait_reg(x->op, OP_USBSTS, USBSTS_HCH, USBSTS_HCH), 0);
	wr32(x->op, OP_USBCMD, USBCMD_HCRST);
	CHECK_EQ(wait_reg(x->op, OP_USBCMD, USBCMD_HCRST, 0), 0);
	CHECK_EQ(wait_reg(x->op, OP_USBSTS, USBSTS_CNR, 0), 0);
	return 0;
}

/*
 * DMA memory for the rings, bus mastering on, command ring and interrupter
 * 0 programmed (the event ring segment table is read by the controller when
 * ERSTBA's high half is written: bus mastering must be on by then).
 */
static int xhc_rings(struct xhc *x)
{
	struct uscheme_dma d;
	struct trb *link;
	uint8_t *erst;

	x->dma = dma_alloc(x->fn, XHC_MEM, &d);
	CHECK(x->dma >= 0);
	CHECK_EQ(d.size, XHC_MEM);
	CHECK(d.bus_addr && !(d.bus_addr & (PAGE - 1)));
	x->bus = d.bus_addr;
	x->mem = map(x->dma, XHC_MEM, 0, MAP_SHARED);
	CHECK(x->mem != NULL);
	CHECK_EQ(fn_master(x->fn, 1), 0);

	/* command ring: CMD_TRBS - 1 commands, then a Link back, toggle cycle */
	link = (struct trb *)(x->mem + CMD_OFF) + (CMD_TRBS - 1);
	link->param = x->bus + CMD_OFF;
	link->status = 0;
	link->control = TRB_TYPE(TRB_LINK) | TRB_LINK_TC;	/* cycle 0: not yet valid */
	x->cmd_idx = 0;
	x->cmd_cycle = 1;
	/* one event ring segment of EV_TRBS */
	erst = x->mem + ERST_OFF;
	memset(erst, 0, 16);
	*(uint64_t *)erst = x->bus + EV_OFF;
	*(uint32_t *)(erst + 8) = EV_TRBS;
	x->ev_idx = 0;
	x->ev_cycle = 1;
	__atomic_thread_fence(__ATOMIC_SEQ_CST);

	wr32(x->op, OP_CONFIG, 1);			/* MaxSlotsEn */
	wr64(x->op, OP_DCBAAP, x->bus + DCBAA_OFF);	/* zeroed: no slots used */
	wr64(x->op, OP_CRCR, (x->bus + CMD_OFF) | 1);	/* RCS = 1 */
	wr32(x->rt, IR0 + IR_ERSTSZ, 1);
	wr32(x->rt, IR0 + IR_ERDP + 4, (uint32_t)((x->bus + EV_OFF) >> 32));
	wr32(x->rt, IR0 + IR_ERDP, (uint32_t)(x->bus + EV_OFF));
	wr64(x->rt, IR0 + IR_ERSTBA, x->bus + ERST_OFF);	/* last */
	wr32(x->rt, IR0 + IR_IMOD, 0);
	wr32(x->rt, IR0 + IR_IMAN, IMAN_IE | IMAN_IP);
	return 0;
}

/* A client ring watching the interrupt fd for USCHEME_EV_READ. */
static int xhc_watch(struct xhc *x)
{
	struct uscheme_sqe *sqe;
	struct uscheme_cqe *cqe;

	CHECK_EQ(us_ring_init(&x->ring, 8, 0, 0), 0);
	x->ring_up = true;
	sqe = us_get_sqe(&x->ring);
	CHECK(sqe != NULL);
	us_fu_entry(&x->fu, x->irq, USCHEME_EV_READ, USCHEME_FU_ADD, UD_IRQ);
	x->fu.res = 0x5a5a;
	us_prep_files_update(sqe, &x->fu, 1, UD_FU);
	CHECK_EQ(us_submit_and_wait(&x->ring, 1), 1);
	cqe = us_peek_cqe(&x->ring);
	CHECK(cqe != NULL);
	CHECK_EQ(cqe->user_data, UD_FU);
	CHECK_EQ(cqe->res, 1);
	CHECK_EQ(x->fu.res, 0);
	us_cqe_seen(&x->ring);
	return 0;
}

/* Interrupts: set up mode, open vector 0 (non-blocking), watch it. */
static int xhc_irq(struct xhc *x, uint32_t mode)
{
	struct uscheme_irq_setup s;

	CHECK_EQ(irq_setup(x->fn, mode, 1, &s), 0);
	CHECK_EQ(s.mode, mode);
	CHECK_EQ(s.nvec, 1);
	x->irq = irq_open(x->fn, 0);
	CHECK(x->irq >= 0);
	CHECK_EQ(fcntl(x->irq, F_SETFL, O_NONBLOCK), 0);
	return xhc_watch(x);
}

static int xhc_run(struct xhc *x)
{
	wr32(x->op, OP_USBCMD, USBCMD_RS | USBCMD_INTE);
	CHECK_EQ(wait_reg(x->op, OP_USBSTS, USBSTS_HCH, 0), 0);
	return 0;
}

/* Everything up to a running controller with interrupts watched. */
int xhc_start(struct xhc *x, int fn, uint32_t mode)
{
	CHECK_EQ(xhc_map(x, fn), 0);
	CHECK_EQ(xhc_reset(x), 0);
	CHECK_EQ(xhc_rings(x), 0);
	CHECK_EQ(xhc_irq(x, mode), 0);
	CHECK_EQ(xhc_run(x), 0);
	return 0;
}

/* Queue a No Op command and ring doorbell 0; the TRB's bus address. */
uint64_t xhc_noop(struct xhc *x)
{
	struct trb *ring = (struct trb *)(x->mem + CMD_OFF);
	struct trb *t = &ring[x->cmd_idx];
	uint64_t at = x->bus + CMD_OFF + 16ULL * x->cmd_idx;

	t->param = 0;
	t->status = 0;
	__atomic_store_n(&t->control, TRB_TYPE(TRB_CMD_NOOP) | x->cmd_cycle, __ATOMIC_RELEASE);
	if (++x->cmd_idx == CMD_TRBS - 1) {
		/* hand the Link TRB over with this lap's cycle, then toggle */
		__atomic_store_n(&ring[CMD_TRBS - 1].control,
				 TRB_TYPE(TRB_LINK) | TRB_LINK_TC | x->cmd_cycle, __ATOMIC_RELEASE);
		x->cmd_idx = 0;
		x->cmd_cycle ^= 1;
	}
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	wr32(x->db, 0, 0);
	return at;
}

/* The next event TRB (its cycle bit ours), waiting up to ms; 0 or -ETIME. */
int xhc_event(struct xhc *x, struct trb *out, int ms)
{
	struct trb *ev = (struct trb *)(x->mem + EV_OFF) + x->ev_idx;
	long long end = tap_now_ns() + ms * 1000000LL;

	while ((__atomic_load_n(&ev->control, __ATOMIC_ACQUIRE) & TRB_CYCLE) != x->ev_cycle) {
		if (tap_now_ns() > end)
			return -ETIME;
		usleep(1000);
	}
	out->param = ev->param;
	out->status = ev->status;
	out->control = ev->control;
	if (++x->ev_idx == EV_TRBS) {
		x->ev_idx = 0;
		x->ev_cycle ^= 1;
	}
	return 0;
}

/* The device side of handling an interrupt: IMAN.IP cleared, ERDP advanced, EHB cleared. */
void xhc_quiet(struct xhc *x)
{
	uint64_t erdp = x->bus + EV_OFF + 16ULL * x->ev_idx;

	wr32(x->rt, IR0 + IR_IMAN, IMAN_IE | IMAN_IP);
	wr32(x->rt, IR0 + IR_ERDP + 4, (uint32_t)(erdp >> 32));
	wr32(x->rt, IR0 + IR_ERDP, (uint32_t)erdp | (uint32_t)ERDP_EHB);
}

/* A Command Completion Event for the command at bus address cmd, successful. */
int check_noop_event(const struct trb *ev, uint64_t cmd)
{
	CHECK_EQ((ev->control >> 10) & 0x3f, TRB_EV_CMD_DONE);
	CHECK_EQ(ev->status >> 24, CC_SUCCESS);
	CHECK_EQ(ev->param, cmd);
	return 0;
}

/* The watch's event CQE for the interrupt fd, within ms; 0, -ETIME, -1 (wrong CQE). */
int wait_irq_cqe(struct xhc *x, int ms)
{
	long long end = tap_now_ns() + ms * 1000000LL;

	for (;;) {
		struct uscheme_cqe *cqe = us_peek_cqe(&x->ring);
		long long left;
		int err;

		if (cqe) {
			struct uscheme_cqe c = *cqe;

			us_cqe_seen(&x->ring);
			if (c.user_data != UD_IRQ || !(c.flags & USCHEME_CQE_F_EVENT) ||
			    !(c.res & USCHEME_EV_READ) || c.res < 0) {
				fprintf(stderr, "  unexpected CQE: user_data %#" PRIx64
					" res %d flags %#x\n", (uint64_t)c.user_data, c.res, c.flags);
				return -1;
			}
			return 0;
		}
		left = end - tap_now_ns();
		if (left <= 0)
			return -ETIME;
		err = us_enter(&x->ring, 0, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
			       left, NULL);
		if (err && err != -ETIME && err != -EINTR) {
			fprintf(stderr, "  enter: %s\n", strerror(-err));
			return -1;
		}
	}
}

/* read(2) of an interrupt fd: the count, or -errno. */
long long irq_read(int fd)
{
	uint64_t n = 0;
	ssize_t r = read(fd, &n, sizeof(n));

	if (r < 0)
		return -errno;
	if (r != sizeof(n))
		return -EIO;
	return (long long)n;
}

ssize_t irq_ack(int fd, uint64_t n)
{
	ssize_t r = write(fd, &n, sizeof(n));

	return r < 0 ? -errno : r;
}

static void dump_state(struct xhc *x)
{
	fprintf(stderr, "  USBCMD %#x USBSTS %#x IMAN %#x ERDP %#x CRCR %#x\n",
		rd32(x->op, OP_USBCMD), rd32(x->op, OP_USBSTS), rd32(x->rt, IR0 + IR_IMAN),
		rd32(x->rt, IR0 + IR_ERDP), rd32(x->op, OP_CRCR));
}

/*
 * One No Op through the whole path: queue, doorbell, the interrupt's event
 * CQE, read() >= 1, the Command Completion Event, quiet the device,
 * acknowledge, nothing pending after.
 */
int xhc_noop_round(struct xhc *x)
{
	struct trb ev;
	uint64_t cmd = xhc_noop(x);
	long long n;

	if (wait_irq_cqe(x, SLOW_MS)) {
		fprintf(stderr, "  no interrupt event within %d ms\n", SLOW_MS);
		dump_state(x);
		if (!xhc_event(x, &ev, 0))
			fprintf(stderr, "  (the event ring does hold an event: type %u)\n",
				(ev.control >> 10) & 0x3f);
		return -1;
	}
	n = irq_read(x->irq);
	CHECK(n >= 1);
	CHECK_EQ(xhc_event(x, &ev, 1000), 0);
	CHECK_EQ(check_noop_event(&ev, cmd), 0);
	CHECK_EQ(rd32(x->op, OP_USBSTS) & (USBSTS_HSE | USBSTS_HCE), 0);
	xhc_quiet(x);
	CHECK_EQ(irq_ack(x->irq, (uint64_t)n), 8);
	CHECK_EQ(irq_read(x->irq), -EAGAIN);
	return 0;
}

