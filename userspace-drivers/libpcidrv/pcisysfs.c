// SPDX-License-Identifier: MIT
/* PCI functions through sysfs: addresses, enumeration, attributes, binding (pcisysfs.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcisysfs.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* n hex digits at s: value, or -1. */
static long hexn(const char *s, unsigned int n)
{
	long v = 0;
	unsigned int i;

	for (i = 0; i < n; i++) {
		int x = hexval(s[i]);

		if (x < 0)
			return -1;
		v = v << 4 | x;
	}
	return v;
}

int pci_addr_canon(const char *in, size_t len, char out[PCID_ADDR_MAX])
{
	long dom = 0, bus, slot, fn;
	const char *s = in;

	if (len == 12) {		/* DDDD:BB:SS.F */
		dom = hexn(s, 4);
		if (dom < 0 || s[4] != ':')
			return -EINVAL;
		s += 5;
	} else if (len != 7) {		/* BB:SS.F */
		return -EINVAL;
	}
	bus = hexn(s, 2);
	slot = hexn(s + 3, 2);
	fn = hexn(s + 6, 1);
	if (bus < 0 || s[2] != ':' || slot < 0 || slot > 0x1f || s[5] != '.' ||
	    fn < 0 || fn > 7)
		return -EINVAL;
	snprintf(out, PCID_ADDR_MAX, "%04x:%02x:%02x.%x", (unsigned int)(dom & 0xffff),
		 (unsigned int)(bus & 0xff), (unsigned int)(slot & 0x1f), (unsigned int)(fn & 7));
	return 0;
}

int pci_addr_from_scheme(const char *in, size_t len, char out[PCID_ADDR_MAX])
{
	char colons[PCID_ADDR_MAX];

	if (len != 12 || in[4] != '-' || in[7] != '-')
		return -EINVAL;
	memcpy(colons, in, len);
	colons[4] = colons[7] = ':';
	/* and already canonical: lower-case hex */
	if (pci_addr_canon(colons, len, out) || memcmp(out, colons, len))
		return -EINVAL;
	return 0;
}

/* addr as sysfs names it (no other path reaches a sysfs file through it). */
static bool canonical(const char *addr)
{
	char c[PCID_ADDR_MAX];

	return !pci_addr_canon(addr, strlen(addr), c) && !strcmp(c, addr);
}

static int path_of(char *buf, size_t len, const char *root, const char *addr,
		   const char *attr)
{
	int n;

	if (addr)
		n = snprintf(buf, len, "%s/bus/pci/devices/%s/%s", root, addr, attr);
	else
		n = snprintf(buf, len, "%s/bus/pci/%s", root, attr);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* Read a small attribute file, without its trailing newline. */
static int read_attr(const char *root, const char *addr, const char *attr,
		     char *buf, size_t len)
{
	char path[PATH_MAX];
	ssize_t n;
	int fd, err;

	err = path_of(path, sizeof(path), root, addr, attr);
	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = read(fd, buf, len - 1);
	while (n < 0 && errno == EINTR);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		n--;
	buf[n] = 0;
	return 0;
}

static int read_hex_attr(const char *root, const char *addr, const char *attr,
			 unsigned long max, unsigned long *out)
{
	char buf[32], *end;
	unsigned long v;
	int err = read_attr(root, addr, attr, buf, sizeof(buf));

	if (err)
		return err;
	errno = 0;
	v = strtoul(buf, &end, 16);
	if (errno || end == buf || *end || v > max)
		return -EINVAL;
	*out = v;
	return 0;
}

static int write_attr(const char *root, const char *addr, const char *attr,
		      const char *text)
{
	char path[PATH_MAX];
	size_t len = strlen(text);
	ssize_t n;
	int fd, err;

	err = path_of(path, sizeof(path), root, addr, attr);
	if (err)
		return err;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	do
		n = write(fd, text, len);
	while (n < 0 && errno == EINTR);
	err = n < 0 ? -errno : (size_t)n != len ? -EIO : 0;
	close(fd);
	return err;
}

/* The basename of ADDR's driver link, or "-". */
static void read_driver(const char *root, const char *addr, char *buf, size_t len)
{
	char path[PATH_MAX], target[PATH_MAX];
	const char *base;
	ssize_t n;

	snprintf(buf, len, "-");
	if (path_of(path, sizeof(path), root, addr, "driver"))
		return;
	n = readlink(path, target, sizeof(target) - 1);
	if (n <= 0)
		return;
	target[n] = 0;
	base = strrchr(target, '/');
	snprintf(buf, len, "%s", base ? base + 1 : target);
}

int pci_read_func(const char *root, const char *addr, struct pci_func *f)
{
	unsigned long v;
	char path[PATH_MAX];
	int err;

	memset(f, 0, sizeof(*f));
	if (pci_addr_canon(addr, strlen(addr), f->addr))
		return -ENOENT;
	if (strcmp(f->addr, addr))
		return -ENOENT;	/* sysfs names are canonical */
	err = path_of(path, sizeof(path), root, addr, "");
	if (err)
		return err;
	if (access(path, F_OK))
		return -ENOENT;
	err = read_hex_attr(root, addr, "vendor", 0xffff, &v);
	if (err)
		return err;
	f->vendor = (uint16_t)v;
	err = read_hex_attr(root, addr, "device", 0xffff, &v);
	if (err)
		return err;
	f->device = (uint16_t)v;
	err = read_hex_attr(root, addr, "class", 0xffffff, &v);
	if (err)
		return err;
	f->class_code = (uint32_t)v;
	/* Optional ones (a fake tree may lack them). */
	if (!read_hex_attr(root, addr, "subsystem_vendor", 0xffff, &v))
		f->subvendor = (uint16_t)v;
	if (!read_hex_attr(root, addr, "subsystem_device", 0xffff, &v))
		f->subdevice = (uint16_t)v;
	if (!read_hex_attr(root, addr, "revision", 0xff, &v))
		f->revision = (uint8_t)v;
	read_driver(root, addr, f->driver, sizeof(f->driver));
	if (read_attr(root, addr, "driver_override", f->override, sizeof(f->override)) ||
	    !strcmp(f->override, "(null)"))
		f->override[0] = 0;
	return 0;
}

static int cmp_func(const void *a, const void *b)
{
	return strcmp(((const struct pci_func *)a)->addr, ((const struct pci_func *)b)->addr);
}

int pci_enumerate(const char *root, struct pci_func **out, unsigned int *n)
{
	char path[PATH_MAX];
	struct pci_func *v = NULL;
	unsigned int cnt = 0, cap = 0;
	struct dirent *de;
	DIR *dir;
	int err;

	*out = NULL;
	*n = 0;
	err = path_of(path, sizeof(path), root, NULL, "devices");
	if (err)
		return err;
	dir = opendir(path);
	if (!dir)
		return -errno;
	while ((de = readdir(dir))) {
		char canon[PCID_ADDR_MAX];

		if (de->d_name[0] == '.')
			continue;
		if (pci_addr_canon(de->d_name, strlen(de->d_name), canon) ||
		    strcmp(canon, de->d_name))
			continue;	/* not a function's name */
		if (cnt == cap) {
			struct pci_func *nv;

			cap = cap ? cap * 2 : 32;
			nv = realloc(v, cap * sizeof(*nv));
			if (!nv) {
				err = -ENOMEM;
				goto fail;
			}
			v = nv;
		}
		err = pci_read_func(root, de->d_name, &v[cnt]);
		if (err == -ENOENT)
			continue;	/* removed meanwhile */
		if (err)
			goto fail;
		cnt++;
	}
	closedir(dir);
	if (cnt)
		qsort(v, cnt, sizeof(*v), cmp_func);
	*out = v;
	*n = cnt;
	return 0;
fail:
	closedir(dir);
	free(v);
	return err;
}

int pci_func_line(const struct pci_func *f, char *buf, size_t len)
{
	return snprintf(buf, len, "%s %04x:%04x %06x %s\n", f->addr, f->vendor,
			f->device, f->class_code, f->driver);
}

int pci_config_open(const char *root, const char *addr)
{
	char path[PATH_MAX];
	int fd, err = path_of(path, sizeof(path), root, addr, "config");

	if (err)
		return err;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	return fd < 0 ? -errno : fd;
}

int pci_stub_present(const char *root)
{
	char path[PATH_MAX];

	if (path_of(path, sizeof(path), root, NULL, "drivers/" PCID_STUB_DRIVER))
		return 0;
	return access(path, F_OK) == 0;
}

int pci_bind_stub(const char *root, const char *addr, unsigned int flags, char *was,
		  size_t wlen)
{
	char drv[64], old[64], attr[128];
	bool unbound = false;
	int err, i;

	snprintf(was, wlen, "-");
	if (!canonical(addr))
		return -EINVAL;
	read_driver(root, addr, drv, sizeof(drv));
	snprintf(was, wlen, "%s", drv);
	if (!strcmp(drv, PCID_STUB_DRIVER))
		return 0;
	if (!pci_stub_present(root))
		return -ENODEV;
	if (strcmp(drv, "-") && !(flags & PCI_BIND_TAKE))
		return -EBUSY;
	if (read_attr(root, addr, "driver_override", old, sizeof(old)) || !strcmp(old, "(null)"))
		old[0] = 0;
	err = write_attr(root, addr, "driver_override", PCID_STUB_DRIVER);
	if (err)
		return err;
	if (strcmp(drv, "-")) {
		snprintf(attr, sizeof(attr), "drivers/%s/unbind", drv);
		err = write_attr(root, NULL, attr, addr);
		if (err)
			goto undo;
		unbound = true;
	}
	/*
	 * drivers_probe fails (EINVAL) when no driver took it: judged below.
	 * The probe is synchronous; the driver core gets a moment anyway.
	 */
	write_attr(root, NULL, "drivers_probe", addr);
	for (i = 0; i < 50; i++) {
		read_driver(root, addr, drv, sizeof(drv));
		if (strcmp(drv, "-"))
			break;
		usleep(10000);
	}
	if (!strcmp(drv, PCID_STUB_DRIVER))
		return 0;
	err = -EIO;
undo:
	write_attr(root, addr, "driver_override", old[0] ? old : "\n");
	if (unbound)
		write_attr(root, NULL, "drivers_probe", addr);
	return err;
}

int pci_release_stub(const char *root, const char *addr, char *now, size_t nlen)
{
	char drv[64];
	int err = 0, e;

	snprintf(now, nlen, "-");
	if (!canonical(addr))
		return -EINVAL;
	read_driver(root, addr, drv, sizeof(drv));
	if (!strcmp(drv, PCID_STUB_DRIVER))
		err = write_attr(root, NULL, "drivers/" PCID_STUB_DRIVER "/unbind", addr);
	e = write_attr(root, addr, "driver_override", "\n");
	if (!err)
		err = e;
	write_attr(root, NULL, "drivers_probe", addr);
	read_driver(root, addr, now, nlen);
	return err;
}
