// SPDX-License-Identifier: MIT
/*
 * usbprobe: the example class driver, as pciprobe is pcid's. pcid starts
 * it, at xhcid's request, for an interface xhcid.conf names, as that
 * rule's uid, with one handle: the interface's (fd 3, the owner's O_RDWR
 * handle of usb.X:N/ifI; USB_INTERFACE=I in its environment), or for a
 * device matched by its device class the port's (usb.X:N, no
 * USB_INTERFACE). Through that handle only it prints the port's info,
 * checks the descriptors, makes a control transfer (GET_STATUS) and opens
 * the first endpoint (of its interface); then it tries what a class driver
 * must not reach (another port, PCI channels; with an interface handle:
 * the configuration, another interface, the device beyond reading it; and
 * xhcid and pcid themselves: a signal, PTRACE_ATTACH) and reports each
 * refusal ("ALLOWED (a hole!)" would fail the tests); then it waits:
 * SIGTERM/SIGINT end it (exit 0; pcid sends it when the device goes away
 * or xhcid ends).
 *
 *   usbprobe [--once] PORT-PATH     (pcid passes usb.0000-00-04.0:1)
 *
 * Exit status: 0 stopped by a signal (or --once done), 1 failed (or a
 * refusal missing), 2 usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/ptrace.h>
#include <sys/signalfd.h>
#include <sys/types.h>
#include <unistd.h>

#include "../libuscheme/libuscheme.h"
#include "usbscheme.h"

#define PORT_FD 3

static const char *where = "?";
static unsigned int refused, allowed;
static int iface = -1;		/* USB_INTERFACE, or -1: a port handle */

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* One line, one write: drivers share xhcid's stderr. */
static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n, m;

	n = snprintf(line, sizeof(line), "usbprobe: %s: ", where);
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	n += m;
	if (n > (int)sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	if (write(STDERR_FILENO, line, (size_t)n) < 0)
		return;
}

/* res < 0: the refusal wanted; else it was allowed (an fd when is_fd). */
static void must_refuse(const char *what, int res, bool is_fd)
{
	if (res < 0) {
		refused++;
		say("refused: %s: %s", what, strerror(-res));
		return;
	}
	allowed++;
	say("ALLOWED (a hole!): %s", what);
	if (is_fd)
		close(res);
}

/*
 * xhcid and pcid must be out of reach: pcid runs class drivers as a uid of
 * their own. Every process named xhcid, xhcid-asan or pcid: a signal (0,
 * which checks permission only) and PTRACE_ATTACH must be refused. The
 * number of them found, or -1 on an error.
 */
static int refuse_parents(void)
{
	struct dirent *e;
	int found = 0;
	DIR *dir = opendir("/proc");

	if (!dir)
		return -1;
	while ((e = readdir(dir))) {
		char path[64], comm[32], what[96];
		ssize_t n;
		long pid;
		int fd;

		pid = strtol(e->d_name, NULL, 10);
		if (pid <= 1 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%ld/comm", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		n = read(fd, comm, sizeof(comm) - 1);
		close(fd);
		if (n <= 0)
			continue;
		comm[n] = 0;
		comm[strcspn(comm, "\n")] = 0;
		if (strcmp(comm, "xhcid") && strcmp(comm, "xhcid-asan") && strcmp(comm, "pcid"))
			continue;
		found++;
		snprintf(what, sizeof(what), "signal %s (pid %ld)", comm, pid);
		must_refuse(what, kill((pid_t)pid, 0) ? -errno : 0, false);
		snprintf(what, sizeof(what), "ptrace %s (pid %ld)", comm, pid);
		if (ptrace(PTRACE_ATTACH, (pid_t)pid, NULL, NULL) == 0) {
			must_refuse(what, 0, false);
			ptrace(PTRACE_DETACH, (pid_t)pid, NULL, NULL);
		} else {
			must_refuse(what, -errno, false);
		}
	}
	closedir(dir);
	return found;
}

/* The first endpoint descriptor's address (of interface iface's alternate 0, if >= 0), or 0. */
static uint8_t first_endpoint(const uint8_t *d, size_t len)
{
	size_t off = 18;
	bool mine = iface < 0;

	while (off + 2 <= len && d[off] >= 2 && d[off] <= len - off) {
		if (d[off + 1] == 4 && d[off] >= 9 && off + 9 <= len)
			mine = iface < 0 || (d[off + 2] == iface && d[off + 3] == 0);
		if (d[off + 1] == 5 && d[off] >= 7 && mine)
			return d[off + 2];
		off += d[off];
	}
	return 0;
}

/* One control transfer without data (OUT) or with 8 bytes of room (IN). */
static int ctrl(int fd, uint8_t type, uint8_t req, uint16_t value, uint16_t index)
{
	struct usb_ctrl_req cr = { .bm_request_type = type, .b_request = req, .w_value = value,
				   .w_index = index };
	uint8_t room[8];

	if (type & 0x80) {
		cr.w_length = sizeof(room);
		return us_call(fd, &cr, sizeof(cr), room, sizeof(room), USB_CALL_CONTROL);
	}
	return us_call(fd, &cr, sizeof(cr), NULL, 0, USB_CALL_CONTROL);
}

static int probe(int fd, const char *path)
{
	struct usb_port_info pi;
	struct usb_ctrl_req cr;
	uint8_t desc[4096], st[2];
	char other[96], scheme[80], *colon;
	uint8_t ep;
	ssize_t n;
	int r;

	r = us_call(fd, NULL, 0, &pi, sizeof(pi), USB_CALL_PORT_INFO);
	if (r != (int)sizeof(pi)) {
		say("PORT_INFO on fd %d failed: %s", fd, r < 0 ? strerror(-r) : "short");
		return -1;
	}
	say("pid %d, uid %u, port %u: %04x:%04x class %02x/%02x/%02x, speed %u, configuration %u, "
	    "%u bytes of descriptors", (int)getpid(), (unsigned int)getuid(), pi.port, pi.vendor,
	    pi.product, pi.if_class, pi.if_subclass, pi.if_protocol, pi.speed, pi.config,
	    pi.desc_len);
	if (iface >= 0) {
		if (pi.interface != iface) {
			say("PORT_INFO names interface %u, USB_INTERFACE %d", pi.interface, iface);
			return -1;
		}
		say("interface %u, alternate setting %u", pi.interface, pi.alt);
	}
	n = pread(fd, desc, sizeof(desc), 0);
	if (n < 18 || (size_t)n != pi.desc_len || desc[0] != 18 || desc[1] != 1 ||
	    (desc[8] | desc[9] << 8) != pi.vendor) {
		say("descriptors disagree with PORT_INFO (%zd bytes)", n);
		return -1;
	}
	say("descriptors: %zd bytes, device descriptor agrees", n);
	memset(&cr, 0, sizeof(cr));
	cr.bm_request_type = 0x80;	/* GET_STATUS, device */
	cr.w_length = 2;
	r = us_call(fd, &cr, sizeof(cr), st, sizeof(st), USB_CALL_CONTROL);
	if (r != 2) {
		say("GET_STATUS failed: %s", r < 0 ? strerror(-r) : "short");
		return -1;
	}
	say("GET_STATUS: 0x%04x", st[0] | st[1] << 8);
	ep = first_endpoint(desc, (size_t)n);
	if (ep) {
		char name[8];
		int efd;

		snprintf(name, sizeof(name), "ep%02x", ep);
		efd = us_dup(fd, name, O_CLOEXEC);
		if (efd < 0) {
			say("DUP %s failed: %s", name, strerror(-efd));
			return -1;
		}
		say("endpoint 0x%02x opened", ep);
		close(efd);
	}

	/* What a class driver must not reach. */
	snprintf(scheme, sizeof(scheme), "%s", path);
	colon = strchr(scheme, ':');
	if (colon)
		*colon = 0;
	must_refuse("its own port a second time, O_RDWR", us_open(path, O_RDWR), true);
	snprintf(other, sizeof(other), "%s:%u", scheme, pi.port == 1 ? 2u : 1u);
	must_refuse("another port, O_RDWR", us_open(other, O_RDWR), true);
	must_refuse("a PCI channel (pci:0000:00:04.0/channel)",
		    us_open("pci:0000:00:04.0/channel", O_RDWR), true);
	must_refuse("pcidev:0000:00:04.0", us_open("pcidev:0000:00:04.0", O_RDWR), true);
	memset(&cr, 0, sizeof(cr));
	cr.b_request = 5;	/* SET_ADDRESS: the controller's, never a driver's */
	cr.w_value = 42;
	must_refuse("SET_ADDRESS", us_call(fd, &cr, sizeof(cr), NULL, 0, USB_CALL_CONTROL), false);
	if (iface >= 0) {
		uint16_t other = (uint16_t)(iface + 1);
		struct usb_alt_req ar = { .interface = (uint8_t)other };
		uint32_t cfg = pi.config;

		must_refuse("SET_CONFIGURATION", ctrl(fd, 0x00, 9, pi.config, 0), false);
		must_refuse("USB_CALL_SET_CONFIG", us_call(fd, &cfg, sizeof(cfg), NULL, 0,
							   USB_CALL_SET_CONFIG), false);
		must_refuse("a class request to another interface", ctrl(fd, 0x21, 0x0a, 0, other),
			    false);
		must_refuse("SET_INTERFACE of another interface",
			    us_call(fd, &ar, sizeof(ar), NULL, 0, USB_CALL_SET_ALT), false);
		must_refuse("a vendor request to the device", ctrl(fd, 0xc0, 1, 0, 0), false);
		must_refuse("SET_FEATURE to the device", ctrl(fd, 0x00, 3, 1, 0), false);
	}
	r = refuse_parents();
	if (r <= 0) {
		say("no xhcid or pcid found in /proc to try to signal");
		return -1;
	}
	say("%u refused, %u allowed", refused, allowed);
	return allowed ? -1 : 0;
}

int main(int argc, char **argv)
{
	struct signalfd_siginfo si;
	bool once = false;
	sigset_t mask;
	int sfd, i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		if (!strcmp(argv[i], "--once")) {
			once = true;
		} else {
			fprintf(stderr, "usage: usbprobe [--once] PORT-PATH\n");
			return 2;
		}
	}
	if (i != argc - 1) {
		fprintf(stderr, "usage: usbprobe [--once] PORT-PATH\n");
		return 2;
	}
	where = argv[i];
	if (getenv("USB_INTERFACE")) {
		char *end;
		long v = strtol(getenv("USB_INTERFACE"), &end, 10);

		if (*end || v < 0 || v > 255) {
			say("USB_INTERFACE '%s' is not an interface number", getenv("USB_INTERFACE"));
			return 2;
		}
		iface = (int)v;
	}
	if (fcntl(PORT_FD, F_GETFD) < 0) {
		say("no port handle on fd %d", PORT_FD);
		return 2;
	}
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	sfd = signalfd(-1, &mask, SFD_CLOEXEC);
	if (probe(PORT_FD, where))
		return 1;
	if (once)
		return 0;
	/* pcid sends SIGTERM when the device goes away, or when xhcid ends. */
	say("waiting (SIGTERM ends it)");
	while (read(sfd, &si, sizeof(si)) != sizeof(si))
		if (errno != EINTR)
			return 1;
	say("stopping on %s", strsignal((int)si.ssi_signo));
	return 0;
}
