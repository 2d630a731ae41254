// SPDX-License-Identifier: GPL-2.0
/*
 * KUnit: the config-space write policy. Included from config.c when
 * CONFIG_KUNIT is set. The policy is built by hand: MSI at 0x50 (24 bytes),
 * MSI-X at 0x70, power management at 0x40.
 */
#include <kunit/test.h>

static const struct uscheme_cfg_policy config_test_policy = {
	.size = 256,
	.guarded = { { 0x50, 0x68 }, { 0x70, 0x7c }, { 0x40, 0x48 } },
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

static struct kunit_case config_cases[] = {
	KUNIT_CASE(config_header),
	KUNIT_CASE(config_command),
	KUNIT_CASE(config_capabilities),
	{}
};

static struct kunit_suite config_suite = {
	.name = "uscheme_config",
	.test_cases = config_cases,
};

kunit_test_suite(config_suite);
