/* SPDX-License-Identifier: MIT */
/*
 * The kernel's view of PCI, through sysfs (ROOT is "/sys", or a fake tree
 * for tests): ROOT/bus/pci/devices/ADDR/{vendor,device,class,...,config,
 * driver,driver_override}, ROOT/bus/pci/drivers_probe, and the stub
 * driver's ROOT/bus/pci/drivers/uscheme/.
 */
#ifndef PCID_SYSFS_H
#define PCID_SYSFS_H

#include <stddef.h>
#include <stdint.h>

#include "pcid.h"

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

/*
 * Hand ADDR to the stub driver: driver_override = "uscheme", unbind its
 * driver if it has one, drivers_probe; then check it is bound. was (wlen
 * bytes) gets the driver it had ("-" for none). 0, or -errno (-ENODEV: no
 * stub driver; -EIO: it did not bind), with what was undone on failure.
 */
int pci_bind_stub(const char *root, const char *addr, char *was, size_t wlen);
/*
 * Give ADDR back: unbind it from the stub, clear driver_override,
 * drivers_probe (the kernel's own driver may take it). now (nlen bytes)
 * gets the driver bound afterwards ("-" for none). 0 or -errno.
 */
int pci_release_stub(const char *root, const char *addr, char *now, size_t nlen);

#endif /* PCID_SYSFS_H */
