// SPDX-License-Identifier: GPL-2.0
/*
 * Config space of a session's function: reads of any byte, and writes
 * judged whole against one policy before any byte reaches the device.
 *
 * The policy (uapi/uscheme.h, "Device services"): in the type 0 header only
 * the command register (bits IO, MEMORY, MASTER, PARITY, SERR; a write that
 * would change any other bit is refused), the status register, the cache
 * line size and the latency timer are writable. Past the header everything
 * is writable except what the kernel owns (enum uscheme_cfg_guard):
 *
 *   - the MSI, MSI-X and power management capabilities (interrupt routing,
 *     power state; a D3hot->D0 transition is also a reset);
 *   - the PCIe capability's Device Control register, whole: Initiate FLR
 *     (bit 15) resets the function behind the kernel's back (BARs, MSI-X
 *     state), Max Payload Size must match the link partner's, the error
 *     reporting enables belong to AER, extended tags, phantom functions,
 *     aux power and no-snoop change what the device puts on the link. None
 *     of it is virtualized: a driver reads the register, a write is
 *     refused (the kernel resets the function between sessions itself);
 *   - the Advanced Features capability (its control register is FLR);
 *   - the ACS (isolation between functions, what IOMMU groups rest on),
 *     Resizable BAR and VF Resizable BAR (BAR sizes behind the kernel's
 *     resource allocation), SR-IOV (creating functions, their BARs) and
 *     ATS, PRI and PASID (the IOMMU's: a wrong invalidation queue depth or
 *     page size leaves stale translations in the device) extended
 *     capabilities, whole.
 *
 * Device-specific registers outside any capability stay writable: drivers
 * need them (some xHCI controllers route ports through config space).
 */
#include <linux/pci.h>

#include "pci.h"

#define USCHEME_CMD_ALLOWED	(PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
				 PCI_COMMAND_PARITY | PCI_COMMAND_SERR)
#define USCHEME_HEADER_END	0x40

/* The bytes of MSI capability @pos: 10 to 24, by its message control. */
static u16 uscheme_msi_cap_len(struct pci_dev *pdev, u16 pos)
{
	u16 ctl = 0;
	u16 len = 10;

	pci_read_config_word(pdev, pos + PCI_MSI_FLAGS, &ctl);
	if (ctl & PCI_MSI_FLAGS_64BIT)
		len += 4;
	if (ctl & PCI_MSI_FLAGS_MASKBIT)
		len += 10;
	return len;
}

#ifndef PCI_EXT_CAP_ID_VF_REBAR
#define PCI_EXT_CAP_ID_VF_REBAR	0x24	/* pci_regs.h has it from 6.7 */
#endif

/* The bytes of ACS capability @pos: 8, and its egress control vector. */
static u16 uscheme_acs_cap_len(struct pci_dev *pdev, u16 pos)
{
	u16 cap = 0, bits;

	pci_read_config_word(pdev, pos + PCI_ACS_CAP, &cap);
	if (!(cap & PCI_ACS_EC))
		return PCI_ACS_EGRESS_CTL_V;
	bits = cap >> 8 ? cap >> 8 : 256;
	return PCI_ACS_EGRESS_CTL_V + DIV_ROUND_UP(bits, 32) * 4;
}

/* The bytes of (VF) Resizable BAR capability @pos: 4 and 8 per BAR. */
static u16 uscheme_rebar_cap_len(struct pci_dev *pdev, u16 pos)
{
	u32 ctrl = 0, n;

	pci_read_config_dword(pdev, pos + PCI_REBAR_CTRL, &ctrl);
	n = (ctrl & PCI_REBAR_CTRL_NBAR_MASK) >> PCI_REBAR_CTRL_NBAR_SHIFT;
	return 4 + 8 * clamp_t(u32, n, 1, USCHEME_PCI_BARS);
}

static void uscheme_cfg_guard(struct uscheme_cfg_policy *p, enum uscheme_cfg_guard g,
			      u16 start, u16 len)
{
	if (!start)
		return;
	p->guarded[g].start = start;
	p->guarded[g].end = min_t(u32, start + len, p->size);
}

/* An extended capability @id, the whole of it guarded as @g. */
static void uscheme_cfg_guard_ext(struct uscheme_cfg_policy *p, struct pci_dev *pdev,
				  enum uscheme_cfg_guard g, int id)
{
	u16 pos = pci_find_ext_capability(pdev, id);
	u16 len;

	if (!pos)
		return;
	switch (id) {
	case PCI_EXT_CAP_ID_ACS:
		len = uscheme_acs_cap_len(pdev, pos);
		break;
	case PCI_EXT_CAP_ID_REBAR:
	case PCI_EXT_CAP_ID_VF_REBAR:
		len = uscheme_rebar_cap_len(pdev, pos);
		break;
	case PCI_EXT_CAP_ID_SRIOV:
		len = PCI_EXT_CAP_SRIOV_SIZEOF;
		break;
	case PCI_EXT_CAP_ID_PRI:
		len = PCI_EXT_CAP_PRI_SIZEOF;
		break;
	case PCI_EXT_CAP_ID_ATS:
		len = PCI_EXT_CAP_ATS_SIZEOF;
		break;
	default:
		len = PCI_EXT_CAP_PASID_SIZEOF;
		break;
	}
	uscheme_cfg_guard(p, g, pos, len);
}

void uscheme_cfg_policy_init(struct uscheme_cfg_policy *p, struct pci_dev *pdev)
{
	u16 pos;

	memset(p, 0, sizeof(*p));
	p->size = pdev->cfg_size;
	if (pdev->msi_cap)
		uscheme_cfg_guard(p, USCHEME_CFG_MSI, pdev->msi_cap,
				  uscheme_msi_cap_len(pdev, pdev->msi_cap));
	uscheme_cfg_guard(p, USCHEME_CFG_MSIX, pdev->msix_cap, PCI_CAP_MSIX_SIZEOF);
	uscheme_cfg_guard(p, USCHEME_CFG_PM, pdev->pm_cap, PCI_PM_SIZEOF);
	if (pci_is_pcie(pdev))
		uscheme_cfg_guard(p, USCHEME_CFG_EXP_DEVCTL,
				  pci_pcie_cap(pdev) + PCI_EXP_DEVCTL, 2);
	pos = pci_find_capability(pdev, PCI_CAP_ID_AF);
	uscheme_cfg_guard(p, USCHEME_CFG_AF, pos, PCI_CAP_AF_SIZEOF);
	uscheme_cfg_guard_ext(p, pdev, USCHEME_CFG_ACS, PCI_EXT_CAP_ID_ACS);
	uscheme_cfg_guard_ext(p, pdev, USCHEME_CFG_REBAR, PCI_EXT_CAP_ID_REBAR);
	uscheme_cfg_guard_ext(p, pdev, USCHEME_CFG_VF_REBAR, PCI_EXT_CAP_ID_VF_REBAR);
	uscheme_cfg_guard_ext(p, pdev, USCHEME_CFG_SRIOV, PCI_EXT_CAP_ID_SRIOV);
	uscheme_cfg_guard_ext(p, pdev, USCHEME_CFG_ATS, PCI_EXT_CAP_ID_ATS);
	uscheme_cfg_guard_ext(p, pdev, USCHEME_CFG_PRI, PCI_EXT_CAP_ID_PRI);
	uscheme_cfg_guard_ext(p, pdev, USCHEME_CFG_PASID, PCI_EXT_CAP_ID_PASID);
}

static bool uscheme_cfg_byte_writable(const struct uscheme_cfg_policy *p, u32 off)
{
	int i;

	if (off < USCHEME_HEADER_END)
		return (off >= PCI_COMMAND && off < PCI_STATUS + 2) ||
		       off == PCI_CACHE_LINE_SIZE || off == PCI_LATENCY_TIMER;
	for (i = 0; i < USCHEME_CFG_GUARDED; i++)
		if (off >= p->guarded[i].start && off < p->guarded[i].end)
			return false;
	return off < p->size;
}

/*
 * The command register after writing @data[0..len) at @off, when it holds
 * @cmd now (@cmd itself when the write does not reach it).
 */
u16 uscheme_cfg_new_cmd(u32 off, const u8 *data, u32 len, u16 cmd)
{
	if (off <= PCI_COMMAND && PCI_COMMAND - off < len)
		cmd = (cmd & 0xff00) | data[PCI_COMMAND - off];
	if (off <= PCI_COMMAND + 1 && PCI_COMMAND + 1 - off < len)
		cmd = (cmd & 0x00ff) | (data[PCI_COMMAND + 1 - off] << 8);
	return cmd;
}

/*
 * May @data[0..len) be written at @off, the command register now holding
 * @cmd? 0 or -EPERM (-EINVAL past the end).
 */
int uscheme_cfg_write_check(const struct uscheme_cfg_policy *p, u32 off,
			    const u8 *data, u32 len, u16 cmd)
{
	u32 i;

	if (off >= p->size || len > p->size - off)
		return -EINVAL;
	for (i = 0; i < len; i++)
		if (!uscheme_cfg_byte_writable(p, off + i))
			return -EPERM;
	if ((uscheme_cfg_new_cmd(off, data, len, cmd) ^ cmd) & ~USCHEME_CMD_ALLOWED)
		return -EPERM;
	return 0;
}

/* Naturally aligned accesses of up to 4 bytes, as the sysfs config file. */
static u32 uscheme_cfg_step(u32 off, u32 left)
{
	if (!(off & 3) && left >= 4)
		return 4;
	if (!(off & 1) && left >= 2)
		return 2;
	return 1;
}

/* Read @len bytes at @off (within the config space): @len or -errno. */
ssize_t uscheme_cfg_read(struct pci_dev *pdev, u32 off, u8 *buf, u32 len)
{
	u32 done = 0, step, v32;
	__le32 le32;
	__le16 le16;
	u16 v16;
	u8 v8;
	int err;

	for (; done < len; done += step) {
		step = uscheme_cfg_step(off + done, len - done);
		if (step == 4) {
			err = pci_user_read_config_dword(pdev, off + done, &v32);
			le32 = cpu_to_le32(v32);
			memcpy(buf + done, &le32, 4);
		} else if (step == 2) {
			err = pci_user_read_config_word(pdev, off + done, &v16);
			le16 = cpu_to_le16(v16);
			memcpy(buf + done, &le16, 2);
		} else {
			err = pci_user_read_config_byte(pdev, off + done, &v8);
			buf[done] = v8;
		}
		if (err)
			return done ? done : pcibios_err_to_errno(err);
	}
	return len;
}

/* Write @len checked bytes at @off: @len or -errno. */
ssize_t uscheme_cfg_write(struct pci_dev *pdev, u32 off, const u8 *buf, u32 len)
{
	u32 done = 0, step;
	__le32 le32;
	__le16 le16;
	int err;

	for (; done < len; done += step) {
		step = uscheme_cfg_step(off + done, len - done);
		if (step == 4) {
			memcpy(&le32, buf + done, 4);
			err = pci_user_write_config_dword(pdev, off + done, le32_to_cpu(le32));
		} else if (step == 2) {
			memcpy(&le16, buf + done, 2);
			err = pci_user_write_config_word(pdev, off + done, le16_to_cpu(le16));
		} else {
			err = pci_user_write_config_byte(pdev, off + done, buf[done]);
		}
		if (err)
			return done ? done : pcibios_err_to_errno(err);
	}
	return len;
}

#if IS_ENABLED(CONFIG_KUNIT)
#include "tests/config_kunit.c"
#endif
