// SPDX-License-Identifier: MIT
/*
 * The device suite (device.h): hardening: decode off, dangerous
 * capabilities, nothing kept between sessions.
 */
#include "device.h"

/* ------------------------------------------------------------------ */
/* hardening: decode, dangerous capabilities, reset between sessions   */

/* Write the command register through the function handle. */
static ssize_t cfg_cmd(int fn, uint16_t cmd)
{
	uint8_t v[2] = { (uint8_t)cmd, (uint8_t)(cmd >> 8) };

	return xpwrite(fn, v, 2, CFG_COMMAND);
}

/*
 * Memory decode turned off by a config write: every BAR mapping is zapped
 * and faults (SIGBUS) until it is on again, register access is -EIO (the
 * class of CVE-2020-12888).
 */
int test_decode_off_zaps_bar(void)
{
	volatile uint8_t *p;
	uint8_t cfg[256], lo;
	uint32_t v, w = 0;
	uint16_t cmd;
	struct xhc x;
	int c;

	NEED(g_msix);
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_map(&x, -1), 0);
	v = rd32(x.mmio, CAP_CAPLENGTH);
	CHECK_EQ(touch_faults(x.mmio), 1);
	CHECK_EQ(xpread(x.fn, cfg, sizeof(cfg), 0), (ssize_t)sizeof(cfg));
	cmd = le16(cfg + CFG_COMMAND);
	CHECK(cmd & CMD_MEMORY);
	/* decode off */
	CHECK_EQ(cfg_cmd(x.fn, cmd & ~CMD_MEMORY), 2);
	c = sysfs_cfg16(g_msix, CFG_COMMAND);
	CHECK(c >= 0 && !(c & CMD_MEMORY));
	CHECK_EQ(touch_faults(x.mmio), 0);
	CHECK_EQ(touch_faults(x.mmio + 0x1000), 0);
	CHECK_EQ(xpread(x.bar, &w, 4, 0), -EIO);
	CHECK_EQ(xpread(x.bar, &w, 1, 0), -EIO);
	CHECK_EQ(xpwrite(x.bar, &w, 4, (off_t)(x.op - x.mmio) + OP_DCBAAP), -EIO);
	/* a mapping made while it is off faults too */
	p = map(x.bar, PAGE, 0, MAP_SHARED);
	CHECK(p != NULL);
	CHECK_EQ(touch_faults(p), 0);
	/* writing the command register again with decode still off changes nothing */
	CHECK_EQ(cfg_cmd(x.fn, cmd & ~CMD_MEMORY), 2);
	CHECK_EQ(touch_faults(x.mmio), 0);
	/* on again, through the low byte alone: both mappings work */
	lo = (uint8_t)cmd;
	CHECK_EQ(xpwrite(x.fn, &lo, 1, CFG_COMMAND), 1);
	c = sysfs_cfg16(g_msix, CFG_COMMAND);
	CHECK(c >= 0 && (c & CMD_MEMORY));
	CHECK_EQ(touch_faults(x.mmio), 1);
	CHECK_EQ(touch_faults(p), 1);
	CHECK_EQ(rd32(x.mmio, CAP_CAPLENGTH), v);
	CHECK_EQ(rd32(p, CAP_CAPLENGTH), v);
	CHECK_EQ(xpread(x.bar, &w, 4, 0), 4);
	CHECK_EQ(w, v);
	munmap((void *)p, PAGE);
	xhc_close(&x);
	return 0;
}

#define CAP_ID_EXP	0x10
#define CAP_ID_AF	0x13
#define EXP_DEVCTL	0x08
#define DEVCTL_FLR	0x8000
#define AF_CTRL		0x04

/* An extended capability's offset (config space of len bytes), 0 when absent. */
static unsigned int find_ext_cap(const uint8_t *cfg, size_t len, uint16_t id)
{
	unsigned int off = 0x100, n = 0;
	uint32_t h;

	while (len >= 4096 && off >= 0x100 && off + 4 <= len && n++ < 512) {
		h = le32(cfg + off);
		if (!h || h == 0xffffffffU)
			return 0;
		if ((h & 0xffff) == id)
			return off;
		off = (h >> 20) & 0xffc;
	}
	return 0;
}

/*
 * The capabilities the kernel keeps (FLR through the PCIe Device Control
 * register or Advanced Features, ACS, Resizable BAR, SR-IOV, ATS, PRI,
 * PASID): writes refused, whichever of them a function has. QEMU's xHCI
 * controllers have a PCIe capability only on a PCIe bus (q35), and none
 * of the others: those are covered by the module's KUnit suite.
 */
static int dangerous_caps(const char *addr, unsigned int *found)
{
	static const struct { uint16_t id, ctrl; const char *name; } ext[] = {
		{ 0x0d, 6, "ACS" }, { 0x15, 8, "Resizable BAR" }, { 0x24, 8, "VF Resizable BAR" },
		{ 0x10, 8, "SR-IOV" }, { 0x0f, 6, "ATS" }, { 0x13, 4, "PRI" }, { 0x1b, 6, "PASID" },
	};
	struct uscheme_pci_info in;
	uint8_t cfg[4096], v[2];
	unsigned int pos, i;
	int fd;

	fd = fn_open(addr);
	CHECK(fd >= 0);
	CHECK_EQ(fn_info(fd, &in), 0);
	CHECK(in.cfg_size == 256 || in.cfg_size == 4096);
	CHECK_EQ(xpread(fd, cfg, in.cfg_size, 0), (ssize_t)in.cfg_size);
	pos = find_cap(cfg, CAP_ID_EXP);
	if (pos) {
		uint16_t ctl = le16(cfg + pos + EXP_DEVCTL);

		fprintf(stderr, "  %s: PCIe capability at %#x, Device Control %#06x\n", addr, pos,
			ctl);
		v[0] = (uint8_t)ctl;
		v[1] = (uint8_t)((ctl | DEVCTL_FLR) >> 8);
		CHECK_EQ(refused(fd, addr, pos + EXP_DEVCTL, v, 2), 0);	/* Initiate FLR */
		CHECK_EQ(refused(fd, addr, pos + EXP_DEVCTL + 1, v + 1, 1), 0);
		v[1] = (uint8_t)(ctl >> 8);
		CHECK_EQ(refused(fd, addr, pos + EXP_DEVCTL, v, 2), 0);	/* even unchanged */
		(*found)++;
	}
	pos = find_cap(cfg, CAP_ID_AF);
	if (pos) {
		fprintf(stderr, "  %s: Advanced Features capability at %#x\n", addr, pos);
		CHECK_EQ(refused(fd, addr, pos + AF_CTRL, "\x01", 1), 0);
		(*found)++;
	}
	for (i = 0; i < sizeof(ext) / sizeof(ext[0]); i++) {
		pos = find_ext_cap(cfg, in.cfg_size, ext[i].id);
		if (!pos)
			continue;
		fprintf(stderr, "  %s: %s capability at %#x\n", addr, ext[i].name, pos);
		CHECK_EQ(refused(fd, addr, pos + ext[i].ctrl, cfg + pos + ext[i].ctrl, 2), 0);
		(*found)++;
	}
	close(fd);
	return 0;
}

int test_dangerous_caps_refused(void)
{
	unsigned int found = 0;

	NEED(g_msix);
	CHECK_EQ(dangerous_caps(g_msix, &found), 0);
	if (g_intx[0]) {
		NEED(g_intx);
		CHECK_EQ(dangerous_caps(g_intx, &found), 0);
	}
	if (!found)
		fprintf(stderr, "  note: no PCIe, AF, ACS, ReBAR, SR-IOV, ATS, PRI or PASID "
			"capability on these functions (a PCIe capability needs a q35 machine)\n");
	return 0;
}

/*
 * What one session leaves in the function does not reach the next: config
 * space is put back as the session found it (always), and the function is
 * reset where it has a reset method (sysfs reset_method): then the xHCI
 * registers a session wrote are back at their reset values.
 */
int test_session_state_reset(void)
{
	uint8_t cfg[256], cls, lat;
	char methods[128];
	uint32_t w = 0x12345000;
	off_t dcbaap;
	struct xhc x;
	int fd, n;

	NEED(g_msix);
	n = dev_attr(g_msix, "reset_method", methods, sizeof(methods));
	if (n < 0)
		methods[0] = 0;
	fprintf(stderr, "  %s reset_method: %s\n", g_msix, methods[0] ? methods : "(none)");
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_map(&x, -1), 0);
	CHECK_EQ(xpread(x.fn, cfg, sizeof(cfg), 0), (ssize_t)sizeof(cfg));
	cls = cfg[CFG_CACHE_LINE];
	lat = cfg[CFG_LATENCY];
	CHECK_EQ(xpwrite(x.fn, (uint8_t[]){ (uint8_t)(cls ^ 0x10), (uint8_t)(lat ^ 0x20) }, 2,
			 CFG_CACHE_LINE), 2);
	CHECK_EQ(xhc_reset(&x), 0);
	dcbaap = (off_t)(x.op - x.mmio) + OP_DCBAAP;
	CHECK_EQ(xpwrite(x.bar, &w, 4, dcbaap), 4);
	CHECK_EQ(rd32(x.op, OP_DCBAAP), 0x12345000);
	xhc_close(&x);

	/* the next session */
	fd = fn_open(g_msix);
	CHECK(fd >= 0);
	CHECK_EQ(xpread(fd, cfg, sizeof(cfg), 0), (ssize_t)sizeof(cfg));
	CHECK_EQ(cfg[CFG_CACHE_LINE], cls);
	CHECK_EQ(cfg[CFG_LATENCY], lat);
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_map(&x, fd), 0);
	w = rd32(x.op, OP_DCBAAP);
	if (methods[0]) {
		CHECK_EQ(w, 0);
	} else {
		fprintf(stderr, "  note: no reset method: DCBAAP %#x survived the session\n", w);
		wr32(x.op, OP_DCBAAP, 0);
	}
	xhc_close(&x);
	return 0;
}

