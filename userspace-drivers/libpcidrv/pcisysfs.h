/* SPDX-License-Identifier: MIT */
/*
 * The kernel's view of PCI, through sysfs (ROOT is "/sys", or a fake tree
 * for tests): ROOT/bus/pci/devices/ADDR/{vendor,device,class,...,config,
 * driver,driver_override}, ROOT/bus/pci/drivers_probe, and the stub
 * driver's ROOT/bus/pci/drivers/uscheme/.
 *
 * The tree's one PCI-address parser (pci_addr_canon, pci_addr_from_scheme)
 * and its one driver_override binder (pci_bind_stub, pci_release_stub):
 * pcid, `uscheme bind`/`unbind`, `uscheme lsusb` and pcid_test use these.
 */
#ifndef PCISYSFS_H
#define PCISYSFS_H

#include <stddef.h>
#include <stdint.h>

#include "../pcid/pcid.h"

struct pci_func {
	char addr[PCID_ADDR_MAX];	/* "0000:00:04.0" */
	uint16_t vendor, device, subvendor, subdevice;
	uint32_t class_code;		/* 0x0c0330 */
	uint8_t revision;
	char driver[64];		/* the kernel driver bound, "-" for none */
	char override[64];		/* driver_override, "" for none */
};

/*
 * A canonical address from "0000:00:04.0" or "00:04.0" (domain 0), len
 * bytes of in (no NUL needed): 4 hex digits of domain, 2 of bus, 2 of slot
 * (at most 1f), 1 of function (0-7), lower-case. 0 or -EINVAL.
 */
int pci_addr_canon(const char *in, size_t len, char out[PCID_ADDR_MAX]);
/*
 * The same from an address as scheme names spell it ("0000-00-04.0": the
 * full form, ':' as '-', lower-case, as pcid's {address} expands it in
 * scheme=), len bytes of in. 0 or -EINVAL.
 */
int pci_addr_from_scheme(const char *in, size_t len, char out[PCID_ADDR_MAX]);

/* Every function ROOT shows, sorted by address (malloc'd array). 0 or -errno. */
int pci_enumerate(const char *root, struct pci_func **out, unsigned int *n);
/* One function's attributes now. 0, -ENOENT (no such function), -errno. */
int pci_read_func(const char *root, const char *addr, struct pci_func *f);
/* The listing line of f: "ADDR VVVV:DDDD CCCCCC DRIVER\n". Returns its length. */
int pci_func_line(const struct pci_func *f, char *buf, size_t len);

/* Open ADDR's config file (O_RDONLY, O_CLOEXEC): fd, or -errno. */
int pci_config_open(const char *root, const char *addr);
/* Does ROOT have uscheme's stub PCI driver (is uscheme.ko loaded)? */
int pci_stub_present(const char *root);

/* pci_bind_stub's flags */
#define PCI_BIND_TAKE	1	/* unbind the driver it has (else -EBUSY) */

/*
 * Hand ADDR to the stub driver: driver_override = "uscheme", unbind its
 * driver if it has one (PCI_BIND_TAKE; else -EBUSY), drivers_probe; then
 * check it is bound (waiting up to 0.5 s). was (wlen bytes) gets the
 * driver it had ("-" for none); already the stub's: 0 at once. 0, or
 * -errno (-ENODEV: no stub driver; -EBUSY: another driver has it; -EIO:
 * the stub did not take it; -EINVAL: addr not canonical), with what was
 * done undone on failure: the
 * previous driver_override written back, and a driver that was unbound
 * probed again.
 */
int pci_bind_stub(const char *root, const char *addr, unsigned int flags, char *was,
		  size_t wlen);
/*
 * Give ADDR back: unbind it from the stub, clear driver_override,
 * drivers_probe (the kernel's own driver may take it). now (nlen bytes)
 * gets the driver bound afterwards ("-" for none). 0 or -errno (-EINVAL:
 * addr not canonical).
 */
int pci_release_stub(const char *root, const char *addr, char *now, size_t nlen);

#endif /* PCISYSFS_H */
