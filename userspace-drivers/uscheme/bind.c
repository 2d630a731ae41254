// SPDX-License-Identifier: MIT
/*
 * uscheme bind / unbind: hand a PCI function to uscheme's stub driver and
 * give it back, through sysfs.
 *
 *   bind ADDR    write "uscheme" to /sys/bus/pci/devices/ADDR/driver_override
 *                (from then on only a driver named "uscheme" may take it),
 *                then ask the PCI core to probe it (/sys/bus/pci/drivers_probe).
 *                A function some other driver has is left alone: unbind it
 *                from that driver first. Already bound to uscheme: success.
 *   unbind ADDR  unbind it from uscheme (an open session is revoked), clear
 *                driver_override, and probe again so the kernel's own driver
 *                (xhci_hcd, say) can take it back.
 *
 * ADDR is DOMAIN:BUS:SLOT.FUNCTION ("0000:00:04.0"), or BUS:SLOT.FUNCTION
 * for domain 0. Exit status: 0 done, 1 failed (said why), 2 usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../libpcidrv/pcisysfs.h"
#include "../libuscheme/libuscheme.h"
#include "bind.h"

#define SYSFS		"/sys"
#define PCI_SYS		SYSFS "/bus/pci"
#define DRIVER		PCID_STUB_DRIVER

static int read_line(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	if (n < 0)
		n = -errno;
	close(fd);
	if (n < 0)
		return (int)n;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

static int sys_failed(const char *addr, const char *what, int err)
{
	fprintf(stderr, "uscheme: %s: %s: %s%s\n", addr, what, strerror(-err),
		err == -EACCES || err == -EPERM ? " (run as root)" : "");
	return 1;
}

/* Common checks; 0 to go on, else the exit status. */
static int prepare(const char *arg, char *addr, size_t n)
{
	char path[256];

	if (n < PCID_ADDR_MAX || pci_addr_canon(arg, strlen(arg), addr)) {
		fprintf(stderr, "uscheme: '%s' is not a PCI address (DOMAIN:BUS:SLOT.FUNCTION,"
			" e.g. 0000:00:04.0, or BUS:SLOT.FUNCTION)\n", arg);
		return 2;
	}
	snprintf(path, sizeof(path), PCI_SYS "/devices/%s", addr);
	if (access(path, F_OK)) {
		fprintf(stderr, "uscheme: %s: no such PCI device (see lspci or %s/devices)\n",
			addr, PCI_SYS);
		return 1;
	}
	return 0;
}

/* Without a leading "0x". */
static const char *hex(const char *s)
{
	return s[0] == '0' && s[1] == 'x' ? s + 2 : s;
}

/* A short description for messages: "1b36:000d class 0c0330". */
static void describe(const char *addr, char *out, size_t n)
{
	char path[256], v[16] = "", d[16] = "", c[16] = "";

	snprintf(path, sizeof(path), PCI_SYS "/devices/%s/vendor", addr);
	read_line(path, v, sizeof(v));
	snprintf(path, sizeof(path), PCI_SYS "/devices/%s/device", addr);
	read_line(path, d, sizeof(d));
	snprintf(path, sizeof(path), PCI_SYS "/devices/%s/class", addr);
	read_line(path, c, sizeof(c));
	snprintf(out, n, "%s:%s class %s", hex(v), hex(d), hex(c));
}

/* The driver bound to addr into drv ("" when none). */
static void bound_driver(const char *addr, char *drv, size_t n)
{
	struct pci_func f;

	if (pci_read_func(SYSFS, addr, &f) || !strcmp(f.driver, "-"))
		f.driver[0] = 0;
	snprintf(drv, n, "%s", f.driver);
}

int cmd_bind(const char *arg)
{
	char addr[PCID_ADDR_MAX], drv[64], what[96];
	int r = prepare(arg, addr, sizeof(addr)), err;

	if (r)
		return r;
	if (!pci_stub_present(SYSFS)) {
		fprintf(stderr, "uscheme: %s: there is no \"%s\" PCI driver (is uscheme.ko loaded?)\n",
			addr, DRIVER);
		return 1;
	}
	describe(addr, what, sizeof(what));
	/* Never PCI_BIND_TAKE: a driver the kernel has is the user's to unbind. */
	err = pci_bind_stub(SYSFS, addr, 0, drv, sizeof(drv));
	if (!err && !strcmp(drv, DRIVER)) {
		printf("%s (%s): already bound to uscheme; open pcidev:%s\n", addr, what, addr);
		return 0;
	}
	if (err == -EBUSY) {
		fprintf(stderr, "uscheme: %s (%s): in use by driver %s: unbind it first with\n"
			"  echo %s > %s/drivers/%s/unbind\n"
			"(only if nothing needs that device now: never the disk you boot from)\n",
			addr, what, drv, addr, PCI_SYS, drv);
		return 1;
	}
	if (err == -EIO) {
		bound_driver(addr, drv, sizeof(drv));
		if (drv[0])
			fprintf(stderr, "uscheme: %s: driver %s took it during the probe\n", addr, drv);
		else
			fprintf(stderr, "uscheme: %s: the uscheme driver did not bind (see dmesg)\n",
				addr);
		return 1;
	}
	if (err)
		return sys_failed(addr, "writing driver_override", err);
	printf("%s (%s): bound to uscheme; open pcidev:%s (needs CAP_SYS_RAWIO)\n", addr, what,
	       addr);
	return 0;
}

/* Is a session open on addr (per "pcidev:")? 1, 0, or 0 when unknown. */
static int session_open(const char *addr)
{
	char *list = NULL, *line;
	int fd = us_open("pcidev:", O_RDONLY | O_CLOEXEC), busy = 0;

	if (fd < 0)
		return 0;
	if (us_read_all(fd, &list, NULL)) {
		close(fd);
		return 0;
	}
	close(fd);
	for (line = list; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		size_t len = strcspn(line, "\n");

		if (!strncmp(line, addr, strlen(addr)) && len >= 5 &&
		    !strncmp(line + len - 5, " busy", 5))
			busy = 1;
	}
	free(list);
	return busy;
}

int cmd_unbind(const char *arg)
{
	char addr[PCID_ADDR_MAX], drv[64], what[96];
	struct pci_func f;
	int r = prepare(arg, addr, sizeof(addr)), err, busy;

	if (r)
		return r;
	describe(addr, what, sizeof(what));
	if (pci_read_func(SYSFS, addr, &f))
		return sys_failed(addr, "reading its sysfs attributes", -ENOENT);
	if (strcmp(f.driver, "-") && strcmp(f.driver, DRIVER)) {
		fprintf(stderr, "uscheme: %s (%s): bound to driver %s, not uscheme: left alone\n",
			addr, what, f.driver);
		return 1;
	}
	if (!strcmp(f.driver, "-") && strcmp(f.override, DRIVER)) {
		printf("%s (%s): not bound to uscheme (nothing to do)\n", addr, what);
		return 0;
	}
	busy = strcmp(f.driver, "-") ? session_open(addr) : 0;
	/* unbound from uscheme, driver_override cleared, probed again: the kernel's driver may take it */
	err = pci_release_stub(SYSFS, addr, drv, sizeof(drv));
	if (err)
		return sys_failed(addr, "giving it back (unbind, driver_override)", err);
	if (busy)
		printf("%s: its open session was revoked\n", addr);
	if (strcmp(drv, "-"))
		printf("%s (%s): unbound from uscheme; now driven by %s\n", addr, what, drv);
	else
		printf("%s (%s): unbound from uscheme; no driver has it now\n", addr, what);
	return 0;
}
