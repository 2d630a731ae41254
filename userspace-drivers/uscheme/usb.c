// SPDX-License-Identifier: MIT
/*
 * uscheme lsusb [-v] [SCHEME]: the USB devices on the root-hub ports of the
 * usb.*: schemes xhcid serves (../xhcid/usbscheme.h), one scheme per xHCI
 * controller: every scheme whose name starts with "usb." (from sys:schemes),
 * or the one named.
 *
 * For each scheme its directory listing ("PORT STATE SPEED VVVV:PPPP
 * CC/SS/PP" lines); for each port with an enumerated device, the port
 * opened O_RDONLY (anyone may), CALL USB_CALL_PORT_INFO, and READ of its raw
 * descriptors, parsed by usbdesc.c without trusting them. Output:
 *
 *   (default, like lsusb -t)
 *   /:  Bus usb.0000-00-04.0 (xHCI 0000:00:04.0)
 *       |__ Port 1: Dev 46f4:0001, If 0, Class=08/06/50 (Mass Storage), 5000M (super)
 *       |__ Port 5: Dev 0627:0001, If 0, Class=03/01/01 (Human Interface Device), 480M (high)
 *       |__ Port 6: attached (not enumerated yet), 12M (full)
 *   one line per interface of the configuration set (alternate setting 0);
 *   empty ports are not shown.
 *
 *   -v (like lsusb -v): per port with a device, a "Bus SCHEME Port N:"
 *   line, then its descriptors field by field. String descriptors are not
 *   in the data and a read-only handle may not make control transfers:
 *   their indices are printed, not the strings.
 *
 * Exit status: 0 all shown; 1 failed: no usb.* scheme is served (a script
 * can tell "no controller" from "no device": the latter exits 0 with only
 * the Bus line), the named scheme does not exist, or something could not be
 * read or did not parse (said on stderr; everything else is still shown);
 * 2 usage error (also a SCHEME not named usb.*).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../libpcidrv/pcisysfs.h"
#include "../libuscheme/libuscheme.h"
#include "../xhcid/usbscheme.h"
#include "usb.h"
#include "usbdesc.h"

#define LISTING_MAX	(64 * 1024)	/* 255 ports of ~40 bytes, with room */
#define DESC_MAX	USB_XFER_MAX	/* descriptors of one device */

static const char *reason(int err)
{
	static char buf[128];

	snprintf(buf, sizeof(buf), "%s", strerror(err < 0 ? -err : err));
	if (buf[0] >= 'A' && buf[0] <= 'Z' && buf[1] >= 'a' && buf[1] <= 'z')
		buf[0] = (char)(buf[0] - 'A' + 'a');
	return buf;
}

/* A message on stderr, after what stdout holds so far. Returns 1. */
__attribute__((format(printf, 1, 2)))
static int complain(const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fputs("uscheme: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

/* us_read_all_max, into bytes. */
static int read_bounded(int fd, size_t max, uint8_t **out, size_t *out_len)
{
	char *buf;
	int err = us_read_all_max(fd, max, &buf, out_len);

	if (!err)
		*out = (uint8_t *)buf;
	return err;
}

/* A scheme name ([a-z0-9._-], 1..USCHEME_NAME_MAX - 1) starting with "usb."? */
static int usb_name_ok(const char *s, size_t n)
{
	size_t i;

	if (n <= strlen(USB_SCHEME_PREFIX) || n >= USCHEME_NAME_MAX ||
	    strncmp(s, USB_SCHEME_PREFIX, strlen(USB_SCHEME_PREFIX)))
		return 0;
	for (i = 0; i < n; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-'))
			return 0;
	}
	return 1;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
	while (n)
		free(names[--n]);
	free(names);
}

/*
 * The usb.* schemes sys:schemes lists ("name pid requests ..." per line),
 * sorted. 0, or 1 after saying why it could not be read.
 */
static int usb_schemes(char ***out, size_t *nout)
{
	char **names = NULL, *text, *line, *next;
	size_t n = 0, cap = 0, len;
	uint8_t *raw;
	int fd, err;

	fd = us_open("sys:schemes", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (fd == -ENOENT && access(USCHEME_DEVICE, F_OK))
			return complain("sys:schemes: no %s (is uscheme.ko loaded?)", USCHEME_DEVICE);
		return complain("sys:schemes: %s", reason(fd));
	}
	err = read_bounded(fd, 1 << 20, &raw, &len);
	close(fd);
	if (err)
		return complain("sys:schemes: read: %s", reason(err));
	text = (char *)raw;
	for (line = text; line < text + len; line = next) {
		size_t w = strcspn(line, " \n");
		char *name;

		next = strchr(line, '\n');
		next = next ? next + 1 : text + len;
		if (!usb_name_ok(line, w))
			continue;
		if (n == cap) {
			char **nn = realloc(names, (cap ? cap * 2 : 8) * sizeof(*names));

			if (!nn)
				goto nomem;
			names = nn;
			cap = cap ? cap * 2 : 8;
		}
		name = strndup(line, w);
		if (!name)
			goto nomem;
		names[n++] = name;
	}
	free(text);
	if (n)
		qsort(names, n, sizeof(*names), by_name);
	*out = names;
	*nout = n;
	return 0;
nomem:
	free(text);
	free_names(names, n);
	return complain("out of memory");
}

/* "usb.0000-00-04.0" -> "0000:00:04.0" in buf, or "" if not that shape. */
static void pci_address(const char *name, char *buf, size_t len)
{
	const char *a = name + strlen(USB_SCHEME_PREFIX);
	char out[PCID_ADDR_MAX];

	buf[0] = 0;
	if (!pci_addr_from_scheme(a, strlen(a), out))
		snprintf(buf, len, "%s", out);
}

/* "attached (not enumerated yet)", for a port without a ready device. */
static const char *unready(int state)
{
	switch (state) {
	case USB_PORT_ATTACHED: return "attached (not enumerated yet)";
	case USB_PORT_FAILED: return "failed (enumeration failed)";
	case USB_PORT_EMPTY: return "empty (unplugged while listed)";
	}
	return "in an unknown state";
}

static void tree_dev(unsigned int port, uint16_t vendor, uint16_t product, const char *what,
		     int speed)
{
	printf("    |__ Port %u: Dev %04x:%04x, %s, %s (%s)\n", port, vendor, product, what,
	       usb_speed_rate(speed), usb_speed_word(speed));
}

static void tree_class(unsigned int port, uint16_t vendor, uint16_t product, const char *pre,
		       uint8_t cls, uint8_t sub, uint8_t proto, int speed)
{
	char what[160];

	snprintf(what, sizeof(what), "%sClass=%02x/%02x/%02x (%s)", pre, cls, sub, proto,
		 usb_class_name(cls));
	tree_dev(port, vendor, product, what, speed);
}

/* The -t lines of a parsed device: one per interface (alternate 0) of config. */
static int tree_interfaces(const struct usbdesc *d, const struct usb_port_info *info)
{
	const struct usbdesc_cfg *c;
	uint8_t seen[32] = { 0 };
	size_t i, shown = 0;
	int pass;

	if (!info->config) {
		tree_class(info->port, info->vendor, info->product, "unconfigured, ",
			   d->dev.cls, d->dev.subclass, d->dev.protocol, info->speed);
		return 0;
	}
	c = usbdesc_config(d, info->config);
	if (!c)
		return -1;
	/* alternate 0 of each interface; then any interface that has none */
	for (pass = 0; pass < 2; pass++) {
		for (i = c->if0; i < c->if0 + c->nif && i < d->nif; i++) {
			const struct usbdesc_if *f = &d->ifs[i];
			char pre[32];

			if (seen[f->number / 8] & (1U << (f->number % 8)) ||
			    (pass == 0 && f->alternate))
				continue;
			seen[f->number / 8] |= (uint8_t)(1U << (f->number % 8));
			snprintf(pre, sizeof(pre), "If %u, ", f->number);
			tree_class(info->port, info->vendor, info->product, pre, f->cls,
				   f->subclass, f->protocol, info->speed);
			shown++;
		}
	}
	if (!shown)
		tree_dev(info->port, info->vendor, info->product, "no interfaces", info->speed);
	return 0;
}

/* A port the listing calls ready: open it, PORT_INFO, READ, parse, print. */
static int show_port(const char *scheme, const struct usb_port_row *row, int verbose)
{
	char path[USCHEME_NAME_MAX + 8];
	struct usb_port_info info;
	struct usbdesc d;
	uint8_t *buf;
	size_t len;
	int fd, n, err, ret = 0, parsed;

	snprintf(path, sizeof(path), "%s:%u", scheme, row->port);
	fd = us_open(path, O_RDONLY | O_CLOEXEC);
	if (fd == -ENODEV) {	/* unplugged or reset since the listing */
		if (verbose)
			printf("Bus %s Port %u: gone (no ready device now)\n\n", scheme, row->port);
		else
			printf("    |__ Port %u: gone (no ready device now)\n", row->port);
		return 0;
	}
	if (fd < 0)
		return complain("%s: %s", path, reason(fd));
	memset(&info, 0, sizeof(info));
	n = us_call(fd, NULL, 0, &info, sizeof(info), USB_CALL_PORT_INFO);
	if (n < 0 || (size_t)n != sizeof(info)) {
		close(fd);
		if (n < 0)
			return complain("%s: USB_CALL_PORT_INFO: %s", path, reason(n));
		return complain("%s: USB_CALL_PORT_INFO gave %d bytes, not %zu", path, n,
				sizeof(info));
	}
	if (info.port != row->port)
		ret = complain("%s: USB_CALL_PORT_INFO says port %u", path, info.port);
	if (info.state != USB_PORT_READY) {
		close(fd);
		if (verbose)
			printf("Bus %s Port %u: %s, %s (%s)\n\n", scheme, row->port,
			       unready(info.state), usb_speed_rate(info.speed),
			       usb_speed_word(info.speed));
		else
			printf("    |__ Port %u: %s, %s (%s)\n", row->port, unready(info.state),
			       usb_speed_rate(info.speed), usb_speed_word(info.speed));
		return ret;
	}
	err = read_bounded(fd, DESC_MAX, &buf, &len);
	close(fd);
	if (err) {
		ret = complain("%s: reading the descriptors: %s", path, reason(err));
		if (!verbose)
			tree_class(row->port, info.vendor, info.product, "", info.if_class,
				   info.if_subclass, info.if_protocol, info.speed);
		return ret;
	}
	if (len != info.desc_len)
		ret = complain("%s: READ gave %zu bytes of descriptors, USB_CALL_PORT_INFO's desc_len says %u",
			       path, len, info.desc_len);
	parsed = usbdesc_parse(&d, buf, len) == 0;
	if (!parsed)
		ret = complain("%s: descriptors: %s", path, d.err);
	if (d.have_dev && (d.dev.vendor != info.vendor || d.dev.product != info.product ||
			   d.dev.bcd_device != info.bcd_device ||
			   d.dev.num_configs != info.num_configs))
		ret = complain("%s: the device descriptor (%04x:%04x bcdDevice %04x, %u configurations) disagrees with USB_CALL_PORT_INFO (%04x:%04x bcdDevice %04x, %u)",
			       path, d.dev.vendor, d.dev.product, d.dev.bcd_device,
			       d.dev.num_configs, info.vendor, info.product, info.bcd_device,
			       info.num_configs);
	if (verbose) {
		printf("Bus %s Port %u: Dev %04x:%04x, %s (%s), %s port, slot %u, configuration %u, generation %u\n",
		       scheme, row->port, info.vendor, info.product, usb_speed_rate(info.speed),
		       usb_speed_word(info.speed), info.usb3 ? "USB3" : "USB2", info.slot,
		       info.config, info.generation);
		usbdesc_print(stdout, &d, info.speed >= USB_SPEED_SUPER, 0);
		if (!parsed)
			printf("  ** the descriptors end here: %s\n", d.err);
		printf("\n");
	} else if (!parsed || tree_interfaces(&d, &info)) {
		/* what PORT_INFO says, when the descriptors cannot */
		if (parsed)
			ret = complain("%s: configuration %u is not in the descriptors", path,
				       info.config);
		tree_class(row->port, info.vendor, info.product, "", info.if_class,
			   info.if_subclass, info.if_protocol, info.speed);
	}
	usbdesc_free(&d);
	free(buf);
	return ret;
}

static int lsusb_scheme(const char *scheme, int verbose)
{
	char path[USCHEME_NAME_MAX + 2], pci[16];
	char *text, *line, *next;
	unsigned int lineno = 0;
	uint8_t *raw;
	size_t len;
	int fd, err, ret = 0;

	snprintf(path, sizeof(path), "%s:", scheme);
	fd = us_open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd == -ENOENT && us_scheme_exists(scheme) != 1)
		return complain("%s: no such scheme", scheme);
	if (fd < 0)
		return complain("%s: the port list: %s", scheme, reason(fd));
	err = read_bounded(fd, LISTING_MAX, &raw, &len);
	close(fd);
	if (err)
		return complain("%s: reading the port list: %s", scheme, reason(err));
	pci_address(scheme, pci, sizeof(pci));
	if (!verbose)
		printf("/:  Bus %s (xHCI%s%s)\n", scheme, pci[0] ? " " : "", pci);
	text = (char *)raw;
	for (line = text; line < text + len; line = next) {
		struct usb_port_row row;
		char why[128];
		size_t l;

		next = memchr(line, '\n', (size_t)(text + len - line));
		l = next ? (size_t)(next - line) : (size_t)(text + len - line);
		next = next ? next + 1 : text + len;
		lineno++;
		if (usb_parse_port_line(line, l, &row, why, sizeof(why))) {
			ret = complain("%s: port list line %u: %s", scheme, lineno, why);
			continue;
		}
		if (row.state == USB_PORT_EMPTY)
			continue;
		if (row.state != USB_PORT_READY) {
			if (verbose)
				printf("Bus %s Port %u: %s, %s (%s)\n\n", scheme, row.port,
				       unready(row.state), usb_speed_rate(row.speed),
				       usb_speed_word(row.speed));
			else
				printf("    |__ Port %u: %s, %s (%s)\n", row.port,
				       unready(row.state), usb_speed_rate(row.speed),
				       usb_speed_word(row.speed));
			continue;
		}
		ret |= show_port(scheme, &row, verbose);
	}
	free(text);
	return ret;
}

static int lsusb_usage(void)
{
	fprintf(stderr, "usage: uscheme lsusb [-v] [SCHEME]   (SCHEME: usb.*, e.g. usb.0000-00-04.0)\n");
	return 2;
}

int cmd_lsusb(int argc, char **argv)
{
	char only[USCHEME_NAME_MAX + 1] = "";
	char **names = NULL;
	size_t n = 0, i;
	int verbose = 0, ret = 0, listed;

	for (i = 0; i < (size_t)argc; i++) {
		const char *a = argv[i];
		size_t l = strlen(a);

		if (!strcmp(a, "-v")) {
			verbose = 1;
			continue;
		}
		if (a[0] == '-' || only[0])
			return lsusb_usage();
		if (l && a[l - 1] == ':')	/* "usb.0000-00-04.0:" too */
			l--;
		if (!usb_name_ok(a, l)) {
			fprintf(stderr, "uscheme: %s: not a usb.* scheme name\n", a);
			return 2;
		}
		memcpy(only, a, l);
		only[l] = 0;
	}
	listed = usb_schemes(&names, &n) == 0;
	if (!listed && access(USCHEME_DEVICE, F_OK))
		return 1;	/* said so: no uscheme.ko */
	if (only[0]) {
		int found = !listed;	/* sys:schemes unreadable: try it */

		for (i = 0; listed && i < n; i++)
			found |= !strcmp(names[i], only);
		if (listed)
			free_names(names, n);
		if (!found)
			return complain("%s: no such scheme", only);
		ret = lsusb_scheme(only, verbose);
	} else {
		if (!listed)
			return 1;
		if (!n) {
			free_names(names, n);
			return complain("no usb.* schemes are served (is xhcid running?)");
		}
		for (i = 0; i < n; i++)
			ret |= lsusb_scheme(names[i], verbose);
		free_names(names, n);
	}
	if (fflush(stdout) || ferror(stdout))
		return complain("stdout: %s", reason(errno));
	return ret;
}
