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
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../libuscheme/libuscheme.h"
#include "bind.h"

#define PCI_SYS		"/sys/bus/pci"
#define DRIVER		"uscheme"

/* "0000:00:04.0" or "00:04.0" (hex digits, lower or upper case) into out. */
static int parse_addr(const char *s, char *out, size_t n)
{
	static const char shape[] = "hhhh:hh:hh.h";
	const char *full = s;
	char buf[16];
	size_t i;

	if (strlen(s) == sizeof(shape) - 1 - 5) {
		snprintf(buf, sizeof(buf), "0000:%s", s);
		full = buf;
	}
	if (strlen(full) != sizeof(shape) - 1)
		return -1;
	for (i = 0; shape[i]; i++) {
		if (shape[i] == 'h' ? !isxdigit((unsigned char)full[i]) : full[i] != shape[i])
			return -1;
	}
	/* slot 0-1f, function 0-7 */
	if (strtoul(full + 8, NULL, 16) > 0x1f || full[11] > '7')
		return -1;
	for (i = 0; full[i] && i + 1 < n; i++)
		out[i] = (char)tolower((unsigned char)full[i]);
	out[i] = 0;
	return 0;
}

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

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int err = 0;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	if (n < 0)
		err = -errno;
	close(fd);
	return err;
}

/* Copy src into dst (n bytes with the NUL), cut if too long. */
static void copy_str(char *dst, size_t n, const char *src)
{
	size_t len = strlen(src);

	if (len >= n)
		len = n - 1;
	memcpy(dst, src, len);
	dst[len] = 0;
}

/* The driver bound to addr into drv ("" when none). */
static void bound_driver(const char *addr, char *drv, size_t n)
{
	char path[256], link[256];
	const char *slash;
	ssize_t k;

	drv[0] = 0;
	snprintf(path, sizeof(path), PCI_SYS "/devices/%s/driver", addr);
	k = readlink(path, link, sizeof(link) - 1);
	if (k < 0)
		return;
	link[k] = 0;
	slash = strrchr(link, '/');
	copy_str(drv, n, slash ? slash + 1 : link);
}

/* driver_override into out ("" when unset: the kernel shows "(null)"). */
static void override_of(const char *addr, char *out, size_t n)
{
	char path[256];

	snprintf(path, sizeof(path), PCI_SYS "/devices/%s/driver_override", addr);
	if (read_line(path, out, n) || !strcmp(out, "(null)"))
		out[0] = 0;
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

	if (parse_addr(arg, addr, n)) {
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

int cmd_bind(const char *arg)
{
	char addr[16], drv[64], path[256], ov[64], what[96];
	int r = prepare(arg, addr, sizeof(addr)), err, i;

	if (r)
		return r;
	if (access(PCI_SYS "/drivers/" DRIVER, F_OK)) {
		fprintf(stderr, "uscheme: %s: there is no \"%s\" PCI driver (is uscheme.ko loaded?)\n",
			addr, DRIVER);
		return 1;
	}
	describe(addr, what, sizeof(what));
	bound_driver(addr, drv, sizeof(drv));
	if (!strcmp(drv, DRIVER)) {
		printf("%s (%s): already bound to uscheme; open pcidev:%s\n", addr, what, addr);
		return 0;
	}
	if (drv[0]) {
		fprintf(stderr, "uscheme: %s (%s): in use by driver %s: unbind it first with\n"
			"  echo %s > %s/drivers/%s/unbind\n"
			"(only if nothing needs that device now: never the disk you boot from)\n",
			addr, what, drv, addr, PCI_SYS, drv);
		return 1;
	}
	override_of(addr, ov, sizeof(ov));
	snprintf(path, sizeof(path), PCI_SYS "/devices/%s/driver_override", addr);
	err = write_str(path, DRIVER);
	if (err)
		return sys_failed(addr, "writing driver_override", err);
	err = write_str(PCI_SYS "/drivers_probe", addr);
	/* the probe is synchronous; allow the driver core a moment anyway */
	for (i = 0; i < 50; i++) {
		bound_driver(addr, drv, sizeof(drv));
		if (drv[0])
			break;
		usleep(10000);
	}
	if (strcmp(drv, DRIVER)) {
		/* leave things as they were */
		if (!drv[0])
			write_str(path, ov[0] ? ov : "\n");
		if (drv[0])
			fprintf(stderr, "uscheme: %s: driver %s took it during the probe\n", addr, drv);
		else
			fprintf(stderr, "uscheme: %s: the uscheme driver did not bind%s%s"
				" (see dmesg)\n", addr, err ? ": " : "", err ? strerror(-err) : "");
		return 1;
	}
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
	char addr[16], drv[64], path[256], ov[64], what[96];
	int r = prepare(arg, addr, sizeof(addr)), err, busy;

	if (r)
		return r;
	describe(addr, what, sizeof(what));
	bound_driver(addr, drv, sizeof(drv));
	override_of(addr, ov, sizeof(ov));
	if (drv[0] && strcmp(drv, DRIVER)) {
		fprintf(stderr, "uscheme: %s (%s): bound to driver %s, not uscheme: left alone\n",
			addr, what, drv);
		return 1;
	}
	if (!drv[0] && strcmp(ov, DRIVER)) {
		printf("%s (%s): not bound to uscheme (nothing to do)\n", addr, what);
		return 0;
	}
	if (drv[0]) {
		busy = session_open(addr);
		snprintf(path, sizeof(path), PCI_SYS "/drivers/" DRIVER "/unbind");
		err = write_str(path, addr);
		if (err)
			return sys_failed(addr, "unbinding from uscheme", err);
		if (busy)
			printf("%s: its open session was revoked\n", addr);
	}
	snprintf(path, sizeof(path), PCI_SYS "/devices/%s/driver_override", addr);
	err = write_str(path, "\n");
	if (err)
		return sys_failed(addr, "clearing driver_override", err);
	/* let the kernel's own driver (if one is loaded) take it back */
	err = write_str(PCI_SYS "/drivers_probe", addr);
	bound_driver(addr, drv, sizeof(drv));
	if (drv[0])
		printf("%s (%s): unbound from uscheme; now driven by %s\n", addr, what, drv);
	else
		printf("%s (%s): unbound from uscheme; no driver has it now%s\n", addr, what,
		       err ? " (reprobe failed)" : "");
	return 0;
}
