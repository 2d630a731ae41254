// SPDX-License-Identifier: GPL-2.0
/*
 * Config space of a session's function: reads of any byte, and writes
 * judged whole against one policy before any byte reaches the device.
 *
 * The policy (uapi/uscheme.h, "Device services"): in the type 0 header only
 * the command register (bits IO, MEMORY, MASTER, PARITY, SERR; a write that
 * would change any other bit is refused), the status register, the cache
 * line size and the latency timer are writable. Past the header everything
 * is writable except the MSI, MSI-X and power management capabilities,
 * which the kernel owns (interrupt routing, power state).
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

void uscheme_cfg_policy_init(struct uscheme_cfg_policy *p, struct pci_dev *pdev)
{
	memset(p, 0, sizeof(*p));
	p->size = pdev->cfg_size;
	if (pdev->msi_cap) {
		p->guarded[0].start = pdev->msi_cap;
		p->guarded[0].end = pdev->msi_cap + uscheme_msi_cap_len(pdev, pdev->msi_cap);
	}
	if (pdev->msix_cap) {
		p->guarded[1].start = pdev->msix_cap;
		p->guarded[1].end = pdev->msix_cap + PCI_CAP_MSIX_SIZEOF;
	}
	if (pdev->pm_cap) {
		p->guarded[2].start = pdev->pm_cap;
		p->guarded[2].end = pdev->pm_cap + PCI_PM_SIZEOF;
	}
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
 * May @data[0..len) be written at @off, the command register now holding
 * @cmd? 0 or -EPERM (-EINVAL past the end).
 */
int uscheme_cfg_write_check(const struct uscheme_cfg_policy *p, u32 off,
			    const u8 *data, u32 len, u16 cmd)
{
	u16 new_cmd = cmd;
	u32 i;

	if (off >= p->size || len > p->size - off)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		u32 at = off + i;

		if (!uscheme_cfg_byte_writable(p, at))
			return -EPERM;
		if (at == PCI_COMMAND)
			new_cmd = (new_cmd & 0xff00) | data[i];
		else if (at == PCI_COMMAND + 1)
			new_cmd = (new_cmd & 0x00ff) | (data[i] << 8);
	}
	if ((new_cmd ^ cmd) & ~USCHEME_CMD_ALLOWED)
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
