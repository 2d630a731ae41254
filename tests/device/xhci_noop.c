// SPDX-License-Identifier: MIT
/*
 * The device suite (device.h): a real interrupt: an xHCI No Op through
 * xhc.c (MSI-X; INTx masked until acknowledged), no DMA without bus
 * mastering.
 */
#include "device.h"

int test_xhci_noop_msix(void)
{
	uint8_t cfg[256];
	unsigned int msix;
	struct xhc x;
	int i;

	NEED(g_msix);
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_start(&x, -1, USCHEME_IRQ_MSIX), 0);
	/* the kernel enabled MSI-X */
	CHECK_EQ(sysfs_config(g_msix, cfg, sizeof(cfg)), 256);
	msix = find_cap(cfg, CAP_ID_MSIX);
	CHECK(msix && (le16(cfg + msix + 2) & MSIX_ENABLE));
	/* a few rounds: the acknowledgement and EHB let the next one through */
	for (i = 0; i < 3; i++) {
		if (xhc_noop_round(&x)) {
			fprintf(stderr, "  round %d failed\n", i);
			return -1;
		}
	}
	/* two commands at once: one interrupt or two, both events there */
	{
		uint64_t c1 = xhc_noop(&x), c2 = xhc_noop(&x);
		struct trb ev;
		long long n;

		CHECK_EQ(wait_irq_cqe(&x, SLOW_MS), 0);
		CHECK_EQ(xhc_event(&x, &ev, 1000), 0);
		CHECK_EQ(check_noop_event(&ev, c1), 0);
		CHECK_EQ(xhc_event(&x, &ev, 1000), 0);
		CHECK_EQ(check_noop_event(&ev, c2), 0);
		n = irq_read(x.irq);
		CHECK(n >= 1 && n <= 2);
		xhc_quiet(&x);
		CHECK_EQ(irq_ack(x.irq, (uint64_t)n + 1), -EINVAL);	/* more than pending */
		CHECK_EQ(irq_ack(x.irq, (uint64_t)n), 8);
	}
	CHECK_EQ(fn_master(x.fn, 0), 0);
	xhc_close(&x);
	/* the session's end freed the vectors: MSI-X off again */
	CHECK_EQ(sysfs_config(g_msix, cfg, sizeof(cfg)), 256);
	CHECK_EQ(le16(cfg + msix + 2) & MSIX_ENABLE, 0);
	return 0;
}

int test_xhci_noop_intx(void)
{
	struct pollfd pfd;
	struct trb ev;
	struct xhc x;
	uint64_t c0, c1;
	int cmd, st;

	NEED(g_intx);
	xhc_init(&x, g_intx);
	CHECK_EQ(xhc_start(&x, -1, USCHEME_IRQ_INTX), 0);
	CHECK_EQ(xhc_noop_round(&x), 0);	/* the plain path first */

	/* an interrupt: the kernel masks the line until it is acknowledged */
	c0 = xhc_noop(&x);
	CHECK_EQ(wait_irq_cqe(&x, SLOW_MS), 0);
	CHECK_EQ(irq_read(x.irq), 1);
	cmd = sysfs_cfg16(g_intx, CFG_COMMAND);
	CHECK(cmd >= 0 && (cmd & CMD_INTX_DISABLE));
	CHECK_EQ(xhc_event(&x, &ev, 1000), 0);
	CHECK_EQ(check_noop_event(&ev, c0), 0);
	xhc_quiet(&x);
	/* a second command completes and the device asserts INTx, masked */
	c1 = xhc_noop(&x);
	CHECK_EQ(xhc_event(&x, &ev, SLOW_MS), 0);
	CHECK_EQ(check_noop_event(&ev, c1), 0);
	st = sysfs_cfg16(g_intx, CFG_STATUS);
	CHECK(st >= 0 && (st & STATUS_INTX));	/* the device asserts its line */
	CHECK_EQ(wait_irq_cqe(&x, QUIET_MS), -ETIME);
	CHECK_EQ(irq_read(x.irq), 1);		/* still only the first */
	pfd.fd = x.irq;
	pfd.events = POLLIN;
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK(pfd.revents & POLLIN);
	/* acknowledging unmasks: the pending assertion comes through */
	CHECK_EQ(irq_ack(x.irq, 1), 8);
	CHECK_EQ(wait_irq_cqe(&x, SLOW_MS), 0);
	CHECK_EQ(irq_read(x.irq), 1);
	cmd = sysfs_cfg16(g_intx, CFG_COMMAND);
	CHECK(cmd >= 0 && (cmd & CMD_INTX_DISABLE));
	xhc_quiet(&x);
	CHECK_EQ(irq_ack(x.irq, 1), 8);
	cmd = sysfs_cfg16(g_intx, CFG_COMMAND);
	CHECK(cmd >= 0 && !(cmd & CMD_INTX_DISABLE));
	CHECK_EQ(irq_read(x.irq), -EAGAIN);
	CHECK_EQ(wait_irq_cqe(&x, QUIET_MS), -ETIME);
	/* and the normal path still works */
	CHECK_EQ(xhc_noop_round(&x), 0);
	CHECK_EQ(fn_master(x.fn, 0), 0);
	xhc_close(&x);
	/* the session's end left INTx masked (interrupts freed) */
	cmd = sysfs_cfg16(g_intx, CFG_COMMAND);
	CHECK(cmd >= 0 && (cmd & CMD_INTX_DISABLE) && !(cmd & CMD_MASTER));
	return 0;
}

/*
 * The other side of bus mastering: with it off the controller reaches no
 * memory (QEMU drops its DMA and its MSI-X writes, which are DMA too), so a
 * command neither completes nor interrupts. Shows the tests above see the
 * device's own work, not something the kernel or the test made up.
 */
int test_xhci_no_dma_without_master(void)
{
	struct trb ev;
	struct xhc x;
	int c;

	NEED(g_msix);
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_start(&x, -1, USCHEME_IRQ_MSIX), 0);
	CHECK_EQ(xhc_noop_round(&x), 0);
	CHECK_EQ(fn_master(x.fn, 0), 0);
	c = sysfs_cfg16(g_msix, CFG_COMMAND);
	CHECK(c >= 0 && !(c & CMD_MASTER));
	xhc_noop(&x);
	CHECK_EQ(wait_irq_cqe(&x, QUIET_MS), -ETIME);
	CHECK_EQ(xhc_event(&x, &ev, 0), -ETIME);	/* nothing written */
	CHECK_EQ(irq_read(x.irq), -EAGAIN);
	xhc_close(&x);
	return 0;
}

