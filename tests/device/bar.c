// SPDX-License-Identifier: MIT
/*
 * The device suite (device.h): BAR fds: register mappings, refused ranges,
 * I/O BARs.
 */
#include "../../userspace-drivers/libpcidrv/pcisysfs.h"
#include "device.h"

/* ------------------------------------------------------------------ */
/* BARs                                                                */

int test_bar_mmap_registers(void)
{
	struct xhc x;
	uint32_t v, w;
	uint64_t q;
	struct stat st;

	NEED(g_msix);
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_map(&x, -1), 0);
	CHECK_EQ(fstat(x.bar, &st), 0);
	CHECK_EQ(st.st_size, x.info.bars[0].size);
	v = rd32(x.mmio, CAP_CAPLENGTH);
	fprintf(stderr, "  CAPLENGTH %#x HCIVERSION %#x HCSPARAMS1 %#x\n", v & 0xff, v >> 16,
		rd32(x.mmio, CAP_HCSPARAMS1));
	CHECK(v & 0xff);			/* operational registers follow */
	CHECK_EQ(v >> 16, 0x100);		/* qemu-xhci: xHCI 1.0 */
	CHECK_EQ(*(volatile uint8_t *)x.mmio, v & 0xff);
	/* pread: one register access, the same value */
	CHECK_EQ(xpread(x.bar, &w, 4, 0), 4);
	CHECK_EQ(w, v);
	CHECK_EQ(xpread(x.bar, &w, 4, CAP_HCSPARAMS1), 4);
	CHECK_EQ(w, rd32(x.mmio, CAP_HCSPARAMS1));
	CHECK_EQ(xpread(x.bar, &w, 1, 0), 1);
	CHECK_EQ(w & 0xff, v & 0xff);
	/* pwrite then mmap read, mmap write then pread: DCBAAP (controller halted) */
	CHECK_EQ(xhc_reset(&x), 0);
	w = 0x12345000;
	CHECK_EQ(xpwrite(x.bar, &w, 4, (off_t)(x.op - x.mmio) + OP_DCBAAP), 4);
	CHECK_EQ(rd32(x.op, OP_DCBAAP), 0x12345000);
	wr32(x.op, OP_DCBAAP, 0xabcd0000);
	wr32(x.op, OP_DCBAAP + 4, 0x1);
	CHECK_EQ(xpread(x.bar, &w, 4, (off_t)(x.op - x.mmio) + OP_DCBAAP), 4);
	CHECK_EQ(w, 0xabcd0000);
	CHECK_EQ(xpread(x.bar, &q, 8, (off_t)(x.op - x.mmio) + OP_DCBAAP), 8);	/* 8 bytes: memory BAR */
	CHECK_EQ(q, 0x1abcd0000ULL);
	wr64(x.op, OP_DCBAAP, 0);
	xhc_close(&x);
	return 0;
}

int test_bar_refused(void)
{
	struct xhc x;
	uint64_t size, lim;
	uint32_t w;
	int e;

	NEED(g_msix);
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_map(&x, -1), 0);
	size = x.info.bars[0].size;
	CHECK(x.msix.cap && x.msix.table_bar == 0);
	lim = mappable(&x.msix, 0, size);
	fprintf(stderr, "  BAR0 %#" PRIx64 ", MSI-X table at %#x, PBA at %#x (BAR %d)\n", size,
		x.msix.table_off, x.msix.pba_off, x.msix.pba_bar);
	CHECK(lim < size);
	/* the MSI-X page, alone or in a larger range */
	CHECK_EQ(map_refused(x.bar, PAGE, (off_t)(x.msix.table_off & ~(PAGE - 1)), MAP_SHARED,
			     EACCES, 0), 0);
	CHECK_EQ(map_refused(x.bar, (size_t)size, 0, MAP_SHARED, EACCES, 0), 0);
	CHECK_EQ(map_refused(x.bar, (size_t)(size - lim + PAGE), (off_t)(lim - PAGE), MAP_SHARED,
			     EACCES, 0), 0);
	/* past the BAR */
	CHECK_EQ(map_refused(x.bar, PAGE, (off_t)size, MAP_SHARED, EINVAL, 0), 0);
	CHECK_EQ(map_refused(x.bar, PAGE, (off_t)(size + 16 * PAGE), MAP_SHARED, EINVAL, 0), 0);
	/* MAP_PRIVATE */
	CHECK_EQ(map_refused(x.bar, PAGE, 0, MAP_PRIVATE, EINVAL, EACCES), 0);
	/* register access to the table and the PBA */
	CHECK_EQ(xpread(x.bar, &w, 4, (off_t)x.msix.table_off), -EACCES);
	w = 0;
	CHECK_EQ(xpwrite(x.bar, &w, 4, (off_t)x.msix.table_off), -EACCES);
	if (x.msix.pba_bar == 0)
		CHECK_EQ(xpread(x.bar, &w, 4, (off_t)x.msix.pba_off), -EACCES);
	/* sizes and alignment */
	CHECK_EQ(xpread(x.bar, &w, 3, 0), -EINVAL);
	CHECK_EQ(xpread(x.bar, &w, 4, 2), -EINVAL);
	CHECK_EQ(xpread(x.bar, &w, 4, (off_t)size), -EINVAL);
	CHECK_EQ(xpread(x.bar, &w, 4, (off_t)size - 2), -EINVAL);
	{
		uint8_t b16[16] = { 0 };

		CHECK_EQ(xpwrite(x.bar, b16, 16, 0x40), -EINVAL);
	}
	/* BAR_OPEN */
	CHECK_EQ(bar_open(x.fn, 6), -EINVAL);
	CHECK_EQ(bar_open(x.fn, ~0U), -EINVAL);
	CHECK_EQ(fn_fd(x.fn, USCHEME_PIOC_BAR_OPEN, 0, O_NONBLOCK), -EINVAL);
	CHECK_EQ(x.info.bars[1].size, 0);	/* the upper half of 64-bit BAR0 */
	CHECK_EQ(bar_open(x.fn, 1), -ENOENT);
	{
		struct uscheme_pci_fd a;

		memset(&a, 0, sizeof(a));
		a.resv = 1;
		CHECK_EQ(xioctl(x.fn, USCHEME_PIOC_BAR_OPEN, &a), -EINVAL);
	}
	/* unknown ioctls on the handle and the BAR fd */
	e = ioctl(x.fn, _IO(USCHEME_IOC_MAGIC, 0x4f));
	CHECK(e < 0);
	xhc_close(&x);

	/* a function without MSI-X: the whole BAR maps, past it does not */
	NEED(g_intx);
	xhc_init(&x, g_intx);
	CHECK_EQ(xhc_map(&x, -1), 0);
	size = x.info.bars[0].size;
	CHECK_EQ(x.mmio_len, size);
	CHECK_EQ(map_refused(x.bar, (size_t)size + PAGE, 0, MAP_SHARED, EINVAL, 0), 0);
	CHECK_EQ(map_refused(x.bar, PAGE, (off_t)size, MAP_SHARED, EINVAL, 0), 0);
	CHECK_EQ(rd32(x.mmio, 0) >> 16, 0x100);
	xhc_close(&x);
	return 0;
}

/* An I/O BAR's registers, on the borrowed function (see test_io_bar). */
static int io_bar_checks(const char *addr, int bar)
{
	struct uscheme_pci_info in;
	uint8_t b = 0, scratch;
	uint64_t q;
	struct stat st;
	int fn, fd;

	fn = fn_open(addr);
	CHECK(fn >= 0);
	CHECK_EQ(fn_info(fn, &in), 0);
	CHECK_EQ(in.bars[bar].flags & USCHEME_BAR_MEM, 0);
	fd = bar_open(fn, (uint32_t)bar);
	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, in.bars[bar].size);
	CHECK_EQ(map_refused(fd, PAGE, 0, MAP_SHARED, ENODEV, 0), 0);
	/* a 16550's scratch register (offset 7) holds what was written */
	for (scratch = 0x5a; ; scratch = 0xa5) {
		CHECK_EQ(xpwrite(fd, &scratch, 1, 7), 1);
		CHECK_EQ(xpread(fd, &b, 1, 7), 1);
		CHECK_EQ(b, scratch);
		if (scratch == 0xa5)
			break;
	}
	CHECK_EQ(xpread(fd, &q, 8, 0), -EINVAL);	/* 8 bytes: memory BARs only */
	CHECK_EQ(xpread(fd, &q, 2, 1), -EINVAL);	/* misaligned */
	CHECK_EQ(xpread(fd, &b, 1, (off_t)in.bars[bar].size), -EINVAL);
	close(fd);
	close(fn);
	return 0;
}

/*
 * An I/O BAR: the function another driver has (QEMU's pci-serial, a 16550
 * on an 8-byte I/O BAR) is borrowed through sysfs (the tool would refuse),
 * checked, and given back to its driver.
 */
int test_io_bar(void)
{
	char drv[64], p[256], again[64];
	int bar, ret, i;

	CHECK(g_other[0]);
	CHECK_EQ(driver_of(g_other, drv, sizeof(drv)), 1);
	for (bar = 0; bar < USCHEME_PCI_BARS; bar++) {
		uint64_t size = 0, fl = 0;

		if (!sysfs_bar(g_other, bar, &size, &fl) && size && (fl & 0x100))	/* IORESOURCE_IO */
			break;
	}
	if (bar == USCHEME_PCI_BARS) {
		fprintf(stderr, "  %s has no I/O BAR\n", g_other);
		return -1;
	}
	snprintf(p, sizeof(p), SYS_PCI "/drivers/%s/unbind", drv);
	CHECK_EQ(write_text(p, g_other), 0);
	ret = bind_sysfs(g_other) ? -1 : io_bar_checks(g_other, bar);
	/* give it back: unbind, clear the override, probe (libpcidrv's binder) */
	pci_release_stub("/sys", g_other, again, sizeof(again));
	for (i = 0; i < 100 && !driver_of(g_other, again, sizeof(again)); i++)
		usleep(10000);
	if (strcmp(again, drv)) {
		fprintf(stderr, "  %s went back to '%s', not %s\n", g_other, again, drv);
		return -1;
	}
	return ret;
}

