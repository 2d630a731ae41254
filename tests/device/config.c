// SPDX-License-Identifier: MIT
/*
 * The device suite (device.h): the function handle: INFO and config space
 * against sysfs, the config-write policy.
 */
#include "device.h"

static int check_info(const char *addr)
{
	struct uscheme_pci_info in;
	uint8_t cfg[4096];
	struct msix m;
	struct stat st;
	char p[256];
	int fd, i, modes = 0;

	NEED(addr);
	fd = fn_open(addr);
	CHECK(fd >= 0);
	CHECK_EQ(fn_info(fd, &in), 0);
	CHECK_EQ(in.vendor, dev_num(addr, "vendor"));
	CHECK_EQ(in.device, dev_num(addr, "device"));
	CHECK_EQ(in.subvendor, dev_num(addr, "subsystem_vendor"));
	CHECK_EQ(in.subdevice, dev_num(addr, "subsystem_device"));
	CHECK_EQ(in.class_code, dev_num(addr, "class"));
	CHECK_EQ(in.revision, dev_num(addr, "revision"));
	dev_path(p, sizeof(p), addr, "config");
	CHECK_EQ(stat(p, &st), 0);
	CHECK_EQ(in.cfg_size, st.st_size);
	CHECK_EQ(sysfs_config(addr, cfg, sizeof(cfg)), (int)in.cfg_size);
	CHECK_EQ(in.irq_pin, cfg[CFG_IRQ_PIN]);
	CHECK_EQ(in.resv0, 0);
	CHECK_EQ(in.resv[0], 0);
	CHECK_EQ(in.resv[1], 0);
	msix_layout(cfg, &m);
	CHECK_EQ(in.msix_vectors, m.nvec);
	if (m.cap)
		modes |= USCHEME_IRQ_MSIX;
	if (find_cap(cfg, CAP_ID_MSI)) {
		modes |= USCHEME_IRQ_MSI;
		CHECK(in.msi_vectors >= 1);
	} else {
		CHECK_EQ(in.msi_vectors, 0);
	}
	if (cfg[CFG_IRQ_PIN])
		modes |= USCHEME_IRQ_INTX;
	CHECK_EQ(in.irq_modes, modes);
	for (i = 0; i < USCHEME_PCI_BARS; i++) {
		uint64_t size = 0, fl = 0;
		uint32_t want = 0;

		CHECK_EQ(sysfs_bar(addr, i, &size, &fl), 0);
		if (fl & 0x200)		/* IORESOURCE_MEM */
			want |= USCHEME_BAR_MEM;
		if (fl & 0x00100000)	/* IORESOURCE_MEM_64 */
			want |= USCHEME_BAR_64;
		if (fl & 0x2000)	/* IORESOURCE_PREFETCH */
			want |= USCHEME_BAR_PREFETCH;
		if (m.cap && (m.table_bar == i || m.pba_bar == i))
			want |= USCHEME_BAR_MSIX;
		if (!size)
			want = 0;
		if (in.bars[i].size != size || in.bars[i].flags != want || in.bars[i].resv) {
			fprintf(stderr, "  BAR %d: size %#" PRIx64 " flags %#x resv %u;"
				" sysfs: size %#" PRIx64 " flags %#" PRIx64 " (want %#x)\n", i,
				(uint64_t)in.bars[i].size, in.bars[i].flags, in.bars[i].resv,
				size, fl, want);
			return -1;
		}
	}
	fprintf(stderr, "  %s: %04x:%04x class %06x, BAR0 %#" PRIx64 " flags %#x, irq modes %#x,"
		" MSI-X %u, MSI %u, pin %u, config %u\n", addr, in.vendor, in.device, in.class_code,
		(uint64_t)in.bars[0].size, in.bars[0].flags, in.irq_modes, in.msix_vectors,
		in.msi_vectors, in.irq_pin, in.cfg_size);
	/* fstat on the handle: size = config space size */
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_size, in.cfg_size);
	close(fd);
	return 0;
}

int test_info_matches_sysfs(void)
{
	CHECK_EQ(check_info(g_msix), 0);
	CHECK_EQ(check_info(g_intx), 0);
	return 0;
}

int test_config_read_matches_sysfs(void)
{
	struct uscheme_pci_info in;
	uint8_t a[4096], b[4096];
	unsigned int i, bad = 0;
	int fd;

	NEED(g_msix);
	fd = fn_open(g_msix);
	CHECK(fd >= 0);
	CHECK_EQ(fn_info(fd, &in), 0);
	CHECK_EQ(xpread(fd, a, in.cfg_size, 0), (ssize_t)in.cfg_size);
	CHECK_EQ(sysfs_config(g_msix, b, sizeof(b)), (int)in.cfg_size);
	for (i = 0; i < in.cfg_size; i++) {
		if (a[i] != b[i] && bad++ < 8)
			fprintf(stderr, "  config byte %#x: handle %#04x, sysfs %#04x\n", i,
				a[i], b[i]);
	}
	CHECK_EQ(bad, 0);
	/* odd offsets and lengths: the same bytes */
	CHECK_EQ(xpread(fd, a, 3, 0x3b), 3);
	CHECK_EQ(memcmp(a, b + 0x3b, 3), 0);
	CHECK_EQ(xpread(fd, a, 1, 0x3d), 1);
	CHECK_EQ(a[0], b[0x3d]);
	close(fd);
	return 0;
}

/* A refused write: -EPERM, and config space (per sysfs) unchanged. */
int refused(int fd, const char *addr, unsigned int off, const void *data, size_t len)
{
	uint8_t before[256], after[256];
	ssize_t r;

	CHECK_EQ(sysfs_config(addr, before, sizeof(before)), 256);
	r = xpwrite(fd, data, len, off);
	if (r != -EPERM) {
		fprintf(stderr, "  config write of %zu bytes at %#x: %zd, want -EPERM\n", len, off, r);
		return -1;
	}
	CHECK_EQ(sysfs_config(addr, after, sizeof(after)), 256);
	/* status bits may come and go on their own; nothing else may change */
	before[CFG_STATUS] = after[CFG_STATUS];
	before[CFG_STATUS + 1] = after[CFG_STATUS + 1];
	if (memcmp(before, after, 256)) {
		unsigned int i;

		for (i = 0; i < 256; i++)
			if (before[i] != after[i])
				fprintf(stderr, "  refused write at %#x changed byte %#x: %#04x -> %#04x\n",
					off, i, before[i], after[i]);
		return -1;
	}
	return 0;
}

int test_config_write_refused(void)
{
	uint8_t cfg[4096], v[4];
	struct uscheme_pci_info in;
	unsigned int msix, pm;
	uint16_t cmd;
	int fd;

	NEED(g_msix);
	fd = fn_open(g_msix);
	CHECK(fd >= 0);
	CHECK_EQ(fn_info(fd, &in), 0);
	CHECK_EQ(xpread(fd, cfg, 256, 0), 256);
	/* BAR0 */
	memcpy(v, cfg + CFG_BAR0, 4);
	v[1] ^= 0x10;
	CHECK_EQ(refused(fd, g_msix, CFG_BAR0, v, 4), 0);
	CHECK_EQ(refused(fd, g_msix, CFG_BAR0, cfg + CFG_BAR0, 4), 0);	/* even unchanged */
	/* IDs, interrupt line, the ROM BAR */
	CHECK_EQ(refused(fd, g_msix, CFG_VENDOR, "\x34\x12", 2), 0);
	CHECK_EQ(refused(fd, g_msix, 0x3c, "\x0b", 1), 0);
	CHECK_EQ(refused(fd, g_msix, 0x30, "\x00\x00\x00\x00", 4), 0);
	/* command: INTX_DISABLE, and other bits outside the allowed five */
	cmd = le16(cfg + CFG_COMMAND);
	v[0] = (uint8_t)cmd;
	v[1] = (uint8_t)((cmd ^ CMD_INTX_DISABLE) >> 8);	/* set or clear it */
	CHECK_EQ(refused(fd, g_msix, CFG_COMMAND, v, 2), 0);
	CHECK_EQ(refused(fd, g_msix, CFG_COMMAND + 1, v + 1, 1), 0);
	v[1] = (uint8_t)(cmd >> 8);
	v[0] = (uint8_t)(cmd ^ 0x10);	/* memory write and invalidate */
	CHECK_EQ(refused(fd, g_msix, CFG_COMMAND, v, 2), 0);
	/* a write touching allowed and refused bytes: nothing written */
	v[0] = 0x20;			/* cache line size: allowed */
	v[1] = cfg[CFG_LATENCY];
	v[2] = cfg[0x0e];		/* header type: refused */
	v[3] = cfg[0x0f];
	CHECK_EQ(refused(fd, g_msix, CFG_CACHE_LINE, v, 4), 0);
	/* MSI-X capability: the message control, the table offset */
	msix = find_cap(cfg, CAP_ID_MSIX);
	CHECK(msix != 0);
	v[0] = cfg[msix + 2];
	v[1] = (uint8_t)(cfg[msix + 3] | 0x80);	/* enable */
	CHECK_EQ(refused(fd, g_msix, msix + 2, v, 2), 0);
	CHECK_EQ(refused(fd, g_msix, msix + 3, v + 1, 1), 0);
	CHECK_EQ(refused(fd, g_msix, msix + 4, "\0\0\0\0", 4), 0);
	/* a write from allowed space running into the MSI-X capability */
	if (msix >= 0x44)
		CHECK_EQ(refused(fd, g_msix, msix - 2, "\0\0\0\0", 4), 0);
	/* power management, when the function has it */
	pm = find_cap(cfg, CAP_ID_PM);
	if (pm)
		CHECK_EQ(refused(fd, g_msix, pm + 4, "\x03\x00", 2), 0);
	/* past the end */
	CHECK_EQ(xpwrite(fd, "\0", 1, in.cfg_size), -EINVAL);
	CHECK_EQ(xpwrite(fd, "\0\0\0\0", 4, in.cfg_size - 2), -EINVAL);
	close(fd);
	return 0;
}

int test_config_write_allowed(void)
{
	uint8_t cfg[256], v[2];
	uint16_t cmd;
	int fd, c;

	NEED(g_msix);
	fd = fn_open(g_msix);
	CHECK(fd >= 0);
	CHECK_EQ(xpread(fd, cfg, 256, 0), 256);
	cmd = le16(cfg + CFG_COMMAND);
	/* the session enabled the device: memory decoding on, mastering off */
	CHECK(cmd & CMD_MEMORY);
	CHECK_EQ(cmd & CMD_MASTER, 0);
	/* USCHEME_PIOC_MASTER */
	CHECK_EQ(fn_master(fd, 1), 0);
	c = sysfs_cfg16(g_msix, CFG_COMMAND);
	CHECK(c >= 0 && (c & CMD_MASTER));
	CHECK_EQ(fn_master(fd, 1), 0);		/* again: still on */
	CHECK_EQ(fn_master(fd, 0), 0);
	c = sysfs_cfg16(g_msix, CFG_COMMAND);
	CHECK(c >= 0 && !(c & CMD_MASTER));
	CHECK_EQ(fn_master(fd, 2), -EINVAL);
	CHECK_EQ(fn_master(fd, ~0UL), -EINVAL);
	/* MASTER by a config write of the command register */
	v[0] = (uint8_t)(cmd | CMD_MASTER);
	v[1] = (uint8_t)(cmd >> 8);
	CHECK_EQ(xpwrite(fd, v, 2, CFG_COMMAND), 2);
	c = sysfs_cfg16(g_msix, CFG_COMMAND);
	CHECK(c >= 0 && (c & CMD_MASTER));
	CHECK_EQ(xpwrite(fd, v, 1, CFG_COMMAND), 1);	/* the low byte alone */
	v[0] = (uint8_t)cmd;
	CHECK_EQ(xpwrite(fd, v, 2, CFG_COMMAND), 2);
	c = sysfs_cfg16(g_msix, CFG_COMMAND);
	CHECK(c >= 0 && !(c & CMD_MASTER));
	/* cache line size and latency timer */
	CHECK_EQ(xpwrite(fd, "\x20", 1, CFG_CACHE_LINE), 1);
	CHECK_EQ(sysfs_config(g_msix, cfg, sizeof(cfg)), 256);
	CHECK_EQ(cfg[CFG_CACHE_LINE], 0x20);
	CHECK_EQ(xpwrite(fd, "\x10", 1, CFG_CACHE_LINE), 1);
	CHECK_EQ(sysfs_config(g_msix, cfg, sizeof(cfg)), 256);
	CHECK_EQ(cfg[CFG_CACHE_LINE], 0x10);
	/* status: write 1 to clear (QEMU's status has no such bit set: no change) */
	v[0] = cfg[CFG_STATUS];
	v[1] = cfg[CFG_STATUS + 1];
	CHECK_EQ(xpwrite(fd, "\0\0", 2, CFG_STATUS), 2);
	CHECK_EQ(sysfs_config(g_msix, cfg, sizeof(cfg)), 256);
	CHECK_EQ(cfg[CFG_STATUS] & STATUS_CAP_LIST, v[0] & STATUS_CAP_LIST);
	close(fd);
	/* the session's end turned mastering off (it was off anyway) */
	c = sysfs_cfg16(g_msix, CFG_COMMAND);
	CHECK(c >= 0 && !(c & CMD_MASTER));
	return 0;
}

