// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the config-space write policy. Included from config.c when
 * CONFIG_KUNIT is set. The policies are built by hand: MSI at 0x50 (24
 * bytes), MSI-X at 0x70, power management at 0x40; the PCIe one adds a PCIe
 * capability at 0x80 (Device Control at 0x88), Advanced Features at 0x98,
 * and in extended space ACS (with an egress vector) at 0x100, Resizable
 * BAR at 0x120, VF Resizable BAR at 0x140, SR-IOV at 0x160, ATS at 0x1a0,
 * PRI at 0x1b0, PASID at 0x1c0, a vendor capability at 0x200.
 */
#include <kunit/test.h>

static const struct uscheme_cfg_policy config_test_policy = {
	.size = 256,
	.guarded = {
		[USCHEME_CFG_MSI] = { 0x50, 0x68 },
		[USCHEME_CFG_MSIX] = { 0x70, 0x7c },
		[USCHEME_CFG_PM] = { 0x40, 0x48 },
	},
};

static const struct uscheme_cfg_policy config_test_pcie = {
	.size = 4096,
	.guarded = {
		[USCHEME_CFG_MSI] = { 0x50, 0x68 },
		[USCHEME_CFG_MSIX] = { 0x70, 0x7c },
		[USCHEME_CFG_PM] = { 0x40, 0x48 },
		[USCHEME_CFG_EXP_DEVCTL] = { 0x88, 0x8a },
		[USCHEME_CFG_AF] = { 0x98, 0x9e },
		[USCHEME_CFG_ACS] = { 0x100, 0x10c },
		[USCHEME_CFG_REBAR] = { 0x120, 0x12c },
		[USCHEME_CFG_VF_REBAR] = { 0x140, 0x14c },
		[USCHEME_CFG_SRIOV] = { 0x160, 0x1a0 },
		[USCHEME_CFG_ATS] = { 0x1a0, 0x1a8 },
		[USCHEME_CFG_PRI] = { 0x1b0, 0x1c0 },
		[USCHEME_CFG_PASID] = { 0x1c0, 0x1c8 },
	},
};

static int config_check1(u32 off, u8 v, u16 cmd)
{
	return uscheme_cfg_write_check(&config_test_policy, off, &v, 1, cmd);
}

static void config_header(struct kunit *test)
{
	const u8 bar[4] = { 0, 0, 0, 0xfe };
	u32 off;

	/* IDs, class, BARs, ROM, interrupt line and pin, BIST: refused */
	for (off = 0; off < 0x40; off++) {
		if (off == PCI_COMMAND || off == PCI_COMMAND + 1 ||
		    off == PCI_STATUS || off == PCI_STATUS + 1 ||
		    off == PCI_CACHE_LINE_SIZE || off == PCI_LATENCY_TIMER)
			continue;
		KUNIT_EXPECT_EQ_MSG(test, config_check1(off, 0, 0), -EPERM, "offset %#x", off);
	}
	KUNIT_EXPECT_EQ(test, uscheme_cfg_write_check(&config_test_policy, PCI_BASE_ADDRESS_0,
						      bar, 4, 0), -EPERM);
	/* a write straddling the status register into the class code */
	KUNIT_EXPECT_EQ(test, uscheme_cfg_write_check(&config_test_policy, PCI_STATUS,
						      bar, 4, 0), -EPERM);
	KUNIT_EXPECT_EQ(test, config_check1(PCI_STATUS + 1, 0xf9, 0), 0);
	KUNIT_EXPECT_EQ(test, config_check1(PCI_CACHE_LINE_SIZE, 0x10, 0), 0);
	KUNIT_EXPECT_EQ(test, config_check1(PCI_LATENCY_TIMER, 0x40, 0), 0);
}

static void config_command(struct kunit *test)
{
	u16 cur = PCI_COMMAND_MEMORY;
	__le16 v;

	v = cpu_to_le16(cur | PCI_COMMAND_MASTER);
	KUNIT_EXPECT_EQ(test, uscheme_cfg_write_check(&config_test_policy, PCI_COMMAND,
						      (u8 *)&v, 2, cur), 0);
	v = cpu_to_le16(0);
	KUNIT_EXPECT_EQ(test, uscheme_cfg_write_check(&config_test_policy, PCI_COMMAND,
						      (u8 *)&v, 2, cur), 0);
	/* INTx masking belongs to the kernel */
	v = cpu_to_le16(cur | PCI_COMMAND_INTX_DISABLE);
	KUNIT_EXPECT_EQ(test, uscheme_cfg_write_check(&config_test_policy, PCI_COMMAND,
						      (u8 *)&v, 2, cur), -EPERM);
	/* ... in either direction, also through the high byte alone */
	KUNIT_EXPECT_EQ(test, config_check1(PCI_COMMAND + 1, 0, PCI_COMMAND_INTX_DISABLE), -EPERM);
	KUNIT_EXPECT_EQ(test, config_check1(PCI_COMMAND + 1, PCI_COMMAND_SERR >> 8, 0), 0);
	/* an unchanged forbidden bit is fine: the user writes back what it read */
	cur |= PCI_COMMAND_INTX_DISABLE;
	v = cpu_to_le16(cur | PCI_COMMAND_MASTER);
	KUNIT_EXPECT_EQ(test, uscheme_cfg_write_check(&config_test_policy, PCI_COMMAND,
						      (u8 *)&v, 2, cur), 0);
	KUNIT_EXPECT_EQ(test, config_check1(PCI_COMMAND, PCI_COMMAND_SPECIAL, 0), -EPERM);
}

static void config_capabilities(struct kunit *test)
{
	u8 zeros[16] = {};
	u32 off;

	for (off = 0x40; off < 0x48; off++)
		KUNIT_EXPECT_EQ_MSG(test, config_check1(off, 0, 0), -EPERM, "pm %#x", off);
	for (off = 0x50; off < 0x68; off++)
		KUNIT_EXPECT_EQ_MSG(test, config_check1(off, 0, 0), -EPERM, "msi %#x", off);
	for (off = 0x70; off < 0x7c; off++)
		KUNIT_EXPECT_EQ_MSG(test, config_check1(off, 0, 0), -EPERM, "msix %#x", off);
	KUNIT_EXPECT_EQ(test, config_check1(0x48, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, config_check1(0x68, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, config_check1(0x7c, 0, 0), 0);
	KUNIT_EXPECT_EQ(test, config_check1(0xff, 0, 0), 0);
	/* a range that only ends inside a guarded capability */
	KUNIT_EXPECT_EQ(test, uscheme_cfg_write_check(&config_test_policy, 0x6c,
						      zeros, 8, 0), -EPERM);
	/* past the end */
	KUNIT_EXPECT_EQ(test, config_check1(0x100, 0, 0), -EINVAL);
	KUNIT_EXPECT_EQ(test, uscheme_cfg_write_check(&config_test_policy, 0xf8,
						      zeros, 16, 0), -EINVAL);
}

static int config_pcie1(u32 off, u8 v)
{
	return uscheme_cfg_write_check(&config_test_pcie, off, &v, 1, 0);
}

/* FLR (Device Control, AF), ACS, ReBAR, SR-IOV, ATS/PRI/PASID: refused. */
static void config_dangerous_capabilities(struct kunit *test)
{
	static const struct { u16 start, end; const char *what; } refused[] = {
		{ 0x88, 0x8a, "devctl" }, { 0x98, 0x9e, "af" }, { 0x100, 0x10c, "acs" },
		{ 0x120, 0x12c, "rebar" }, { 0x140, 0x14c, "vf rebar" },
		{ 0x160, 0x1a0, "sriov" }, { 0x1a0, 0x1a8, "ats" }, { 0x1b0, 0x1c0, "pri" },
		{ 0x1c0, 0x1c8, "pasid" },
	};
	const __le16 flr = cpu_to_le16(PCI_EXP_DEVCTL_BCR_FLR);
	u8 zeros[8] = {};
	u32 i, off;

	for (i = 0; i < ARRAY_SIZE(refused); i++)
		for (off = refused[i].start; off < refused[i].end; off++)
			KUNIT_EXPECT_EQ_MSG(test, config_pcie1(off, 0), -EPERM, "%s %#x",
					    refused[i].what, off);
	/* Initiate FLR, as a word and as its high byte alone */
	KUNIT_EXPECT_EQ(test, uscheme_cfg_write_check(&config_test_pcie, 0x88, (const u8 *)&flr,
						      2, 0), -EPERM);
	KUNIT_EXPECT_EQ(test, config_pcie1(0x89, PCI_EXP_DEVCTL_BCR_FLR >> 8), -EPERM);
	KUNIT_EXPECT_EQ(test, config_pcie1(0x98 + PCI_AF_CTRL, PCI_AF_CTRL_FLR), -EPERM);
	/* the rest of the PCIe capability (Device Status, Link Control) stays writable */
	KUNIT_EXPECT_EQ(test, config_pcie1(0x87, 0), 0);
	KUNIT_EXPECT_EQ(test, config_pcie1(0x8a, 0), 0);
	KUNIT_EXPECT_EQ(test, config_pcie1(0x90, 0), 0);
	/* between guarded capabilities, and a vendor capability */
	KUNIT_EXPECT_EQ(test, config_pcie1(0x10c, 0), 0);
	KUNIT_EXPECT_EQ(test, config_pcie1(0x1a8, 0), 0);
	KUNIT_EXPECT_EQ(test, config_pcie1(0x200, 0), 0);
	KUNIT_EXPECT_EQ(test, config_pcie1(0xfff, 0), 0);
	/* writes that only start or end inside one */
	KUNIT_EXPECT_EQ(test, uscheme_cfg_write_check(&config_test_pcie, 0x84, zeros, 8, 0),
			-EPERM);
	KUNIT_EXPECT_EQ(test, uscheme_cfg_write_check(&config_test_pcie, 0x15c, zeros, 8, 0),
			-EPERM);
	KUNIT_EXPECT_EQ(test, uscheme_cfg_write_check(&config_test_pcie, 0x1c4, zeros, 8, 0),
			-EPERM);
}

/* The command register a write leaves: what decode tracking relies on. */
static void config_new_cmd(struct kunit *test)
{
	const u8 data[8] = { 0x06, 0x01, 0xff, 0xff, 0x34, 0x12, 0, 0 };

	KUNIT_EXPECT_EQ(test, uscheme_cfg_new_cmd(PCI_COMMAND, data, 2, 0x0407), 0x0106);
	KUNIT_EXPECT_EQ(test, uscheme_cfg_new_cmd(PCI_COMMAND, data, 1, 0x0407), 0x0406);
	KUNIT_EXPECT_EQ(test, uscheme_cfg_new_cmd(PCI_COMMAND + 1, data + 1, 1, 0x0407),
			0x0107);
	KUNIT_EXPECT_EQ(test, uscheme_cfg_new_cmd(0, data, 4, 0x0407), 0x0407);
	KUNIT_EXPECT_EQ(test, uscheme_cfg_new_cmd(0, data, 6, 0x0407), 0x1234);
	KUNIT_EXPECT_EQ(test, uscheme_cfg_new_cmd(2, data, 3, 0x0407), 0x04ff);
	KUNIT_EXPECT_EQ(test, uscheme_cfg_new_cmd(PCI_STATUS, data, 2, 0x0407), 0x0407);
	KUNIT_EXPECT_EQ(test, uscheme_cfg_new_cmd(PCI_COMMAND, data, 0, 0x0407), 0x0407);
}

static struct kunit_case config_cases[] = {
	KUNIT_CASE(config_header),
	KUNIT_CASE(config_command),
	KUNIT_CASE(config_capabilities),
	KUNIT_CASE(config_dangerous_capabilities),
	KUNIT_CASE(config_new_cmd),
	{}
};

static struct kunit_suite config_suite = {
	.name = "uscheme_config",
	.test_cases = config_cases,
};

kunit_test_suite(config_suite);
