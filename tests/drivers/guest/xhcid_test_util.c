// SPDX-License-Identifier: MIT
/* xhcid_test's shared helpers: scheme calls, rings, the disks' pattern, xhcid's process. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "xhcid_test.h"

long long xt_ms(void)
{
	return tap_now_ns() / 1000000;
}

const char *xt_scheme(const char *addr)
{
	static char name[2][64];
	static int which;
	char *n = name[which++ & 1];

	if (usb_scheme_name(n, sizeof(name[0]), addr))
		return "usb.?";
	return n;
}

static int parse_line(char *s, struct xt_line *l)
{
	char ids[32], cls[32];
	unsigned int v, p, c, sc, pr;
	int n = 0;

	memset(l, 0, sizeof(*l));
	if (sscanf(s, "%u %15s %7s %31s %31s%n", &l->port, l->state, l->speed, ids, cls, &n) != 5 ||
	    s[n] != '\0')
		return -1;
	if (!strcmp(ids, "-") && !strcmp(cls, "-"))
		return 0;
	if (sscanf(ids, "%4x:%4x%n", &v, &p, &n) != 2 || ids[n] || n != 9)
		return -1;
	if (sscanf(cls, "%2x/%2x/%2x%n", &c, &sc, &pr, &n) != 3 || cls[n] || n != 8)
		return -1;
	l->has_dev = 1;
	l->vid = (uint16_t)v;
	l->pid = (uint16_t)p;
	l->cls = (uint8_t)c;
	l->sub = (uint8_t)sc;
	l->proto = (uint8_t)pr;
	return 0;
}

int xt_listing(const char *addr, struct xt_line *lines, int max)
{
	char path[80], *text = NULL, *line, *save = NULL;
	size_t len = 0;
	int fd, err, n = 0;

	snprintf(path, sizeof(path), "%s:", xt_scheme(addr));
	fd = us_open(path, O_RDONLY);
	if (fd < 0)
		return fd;
	err = us_read_all(fd, &text, &len);
	close(fd);
	if (err)
		return err;
	if (len && text[len - 1] != '\n') {
		fprintf(stderr, "  %s listing does not end with a newline\n", path);
		free(text);
		return -EPROTO;
	}
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (n >= max || parse_line(line, &lines[n])) {
			fprintf(stderr, "  %s listing: %s line '%s'\n", path,
				n >= max ? "too many lines at" : "malformed", line);
			free(text);
			return -EPROTO;
		}
		n++;
	}
	free(text);
	return n;
}

int xt_wait_ready(const char *addr, uint16_t vid, uint16_t pid, int secs)
{
	long long end = xt_ms() + secs * 1000LL;
	struct xt_line l[64];
	int n, i, err = -ENOENT;

	for (;;) {
		n = xt_listing(addr, l, 64);
		if (n < 0)
			err = n;
		for (i = 0; i < n; i++)
			if (l[i].has_dev && l[i].vid == vid && l[i].pid == pid) {
				if (!strcmp(l[i].state, "ready"))
					return (int)l[i].port;
				err = -EAGAIN;
			}
		if (xt_ms() >= end)
			break;
		usleep(100 * 1000);
	}
	fprintf(stderr, "  %s: no ready %04x:%04x within %d s: %s\n", xt_scheme(addr), vid, pid,
		secs, strerror(-err));
	return err;
}

int xt_open_port(const char *addr, unsigned int port, int flags)
{
	char path[80];

	snprintf(path, sizeof(path), "%s:%u", xt_scheme(addr), port);
	return us_open(path, flags);
}

int xt_port_info(int fd, struct usb_port_info *info)
{
	int r;

	memset(info, 0xa5, sizeof(*info));
	r = us_call(fd, NULL, 0, info, sizeof(*info), USB_CALL_PORT_INFO);
	if (r < 0)
		return r;
	if (r != (int)sizeof(*info)) {
		fprintf(stderr, "  USB_CALL_PORT_INFO gave %d bytes, not %zu\n", r, sizeof(*info));
		return -EPROTO;
	}
	return 0;
}

int xt_ep_info(int fd, struct usb_ep_info *info)
{
	int r;

	memset(info, 0xa5, sizeof(*info));
	r = us_call(fd, NULL, 0, info, sizeof(*info), USB_CALL_EP_INFO);
	if (r < 0)
		return r;
	return r == (int)sizeof(*info) ? 0 : -EPROTO;
}

int xt_own(const char *addr, uint16_t vid, uint16_t pid)
{
	int port = xt_wait_ready(addr, vid, pid, 5);

	return port < 0 ? port : xt_own_port(addr, (unsigned int)port);
}

int xt_own_port(const char *addr, unsigned int port)
{
	struct usb_port_info info;
	long long end = xt_ms() + 5000;
	int fd, r;
	uint32_t cfg = 1;

	for (;;) {
		fd = xt_open_port(addr, port, O_RDWR);
		if (fd != -EBUSY || xt_ms() >= end)
			break;
		usleep(50 * 1000);
	}
	if (fd < 0) {
		fprintf(stderr, "  open %s:%u O_RDWR: %s\n", xt_scheme(addr), port, strerror(-fd));
		return fd;
	}
	r = xt_port_info(fd, &info);
	if (!r && info.config == 0)
		r = us_call(fd, &cfg, sizeof(cfg), NULL, 0, USB_CALL_SET_CONFIG);
	if (r < 0) {
		fprintf(stderr, "  %s:%u: port info / SET_CONFIG 1: %s\n", xt_scheme(addr), port,
			strerror(-r));
		close(fd);
		return r;
	}
	return fd;
}

int xt_control(int fd, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
	       void *data, uint16_t wlength)
{
	uint8_t in[sizeof(struct usb_ctrl_req) + 65535];
	struct usb_ctrl_req c = {
		.bm_request_type = type, .b_request = req, .w_value = value,
		.w_index = index, .w_length = wlength,
	};

	memcpy(in, &c, sizeof(c));
	if (type & 0x80)
		return us_call(fd, &c, sizeof(c), data, wlength, USB_CALL_CONTROL);
	if (wlength)
		memcpy(in + sizeof(c), data, wlength);
	return us_call(fd, in, sizeof(c) + wlength, NULL, 0, USB_CALL_CONTROL);
}

int xt_read_desc(int fd, uint8_t *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	if (lseek(fd, 0, SEEK_SET) < 0)
		return -errno;
	while (got < len && (n = read(fd, buf + got, len - got)) != 0) {
		if (n < 0)
			return -errno;
		got += (size_t)n;
	}
	return (int)got;
}

const uint8_t *xt_find_desc(const uint8_t *desc, size_t len, uint8_t type)
{
	size_t off = 18;

	while (off + 2 <= len && desc[off] >= 2 && off + desc[off] <= len) {
		if (desc[off + 1] == type)
			return desc + off;
		off += desc[off];
	}
	return NULL;
}

int xt_reap(struct us_ring *r, struct uscheme_cqe *out, int ms)
{
	struct uscheme_cqe *c;
	int err;

	err = us_wait_cqe(r, &c, ms * 1000000LL);
	if (err)
		return err;
	*out = *c;
	us_cqe_seen(r);
	return 0;
}

int xt_ring_op(struct us_ring *r, int ms)
{
	struct uscheme_cqe c;
	int err = us_submit(r);

	if (err < 0)
		return err;
	err = xt_reap(r, &c, ms);
	return err ? err : c.res;
}

/* ---- the pattern ---- */

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* One sector: "USCHEME" + the disk's digit, the LBA (le64), then xorshift64 words. */
static void sector(uint8_t *p, unsigned int disk, uint64_t lba)
{
	uint64_t x = ((lba + 1) * 0x9E3779B97F4A7C15ULL) ^ ((uint64_t)disk << 56) ^ 0x5851F42D4C957F2DULL;

	memcpy(p, "USCHEME", 7);
	p[7] = (uint8_t)('0' + disk);
	put_le64(p + 8, lba);
	if (!x)
		x = 1;
	for (unsigned int i = 16; i < XT_SECTOR; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		put_le64(p + i, x);
	}
}

void xt_pattern(void *buf, unsigned int disk, uint64_t lba, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		sector((uint8_t *)buf + (size_t)i * XT_SECTOR, disk, lba + i);
}

int xt_check(const void *buf, unsigned int disk, uint64_t lba, uint32_t n)
{
	uint8_t want[XT_SECTOR];
	const uint8_t *p = buf;

	for (uint32_t i = 0; i < n; i++, p += XT_SECTOR) {
		sector(want, disk, lba + i);
		if (memcmp(p, want, XT_SECTOR)) {
			unsigned int off = 0;

			while (p[off] == want[off])
				off++;
			fprintf(stderr, "  data differs: sector %u of %u (LBA %llu of disk %u), byte %u: "
				"%#04x, want %#04x; the sector's stamp says '%.8s' LBA %llu\n",
				i, n, (unsigned long long)(lba + i), disk, off, p[off], want[off],
				isprint(p[0]) ? (const char *)p : "(none)",
				(unsigned long long)get_le64(p + 8));
			return -1;
		}
	}
	return 0;
}

int xt_make_image(const char *path, unsigned int disk)
{
	static uint8_t buf[2048 * XT_SECTOR];
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0)
		return -errno;
	for (uint32_t lba = 0; lba < XT_DISK_SECTORS; lba += 2048) {
		xt_pattern(buf, disk, lba, 2048);
		if (write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf)) {
			int err = errno ? -errno : -EIO;

			close(fd);
			return err;
		}
	}
	return close(fd) ? -errno : 0;
}

/* ---- xhcid's process ---- */

static int read_small(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

pid_t xt_xhcid_pid(const char *addr)
{
	char path[320], buf[4096], want[64];
	struct dirent *e;
	pid_t found = 0;
	DIR *d = opendir("/proc");
	int n;

	if (!d)
		return 0;
	snprintf(want, sizeof(want), "PCID_ADDRESS=%s", addr);
	while ((e = readdir(d))) {
		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/comm", e->d_name);
		/* xhcid, or its ASan build (the 6.1 VM runs that one) */
		if (read_small(path, buf, sizeof(buf)) <= 0 ||
		    (strcmp(buf, "xhcid\n") && strcmp(buf, "xhcid-asan\n")))
			continue;
		snprintf(path, sizeof(path), "/proc/%s/environ", e->d_name);
		n = read_small(path, buf, sizeof(buf));
		for (int i = 0; i < n; i += (int)strlen(buf + i) + 1)
			if (!strcmp(buf + i, want))
				found = (pid_t)atoi(e->d_name);
	}
	closedir(d);
	return found;
}

int xt_proc_usage(pid_t pid, unsigned long long *ticks, unsigned long long *switches)
{
	char path[320], buf[4096], *p;
	struct dirent *e;
	DIR *d;

	*ticks = *switches = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	d = opendir(path);
	if (!d)
		return -errno;
	while ((e = readdir(d))) {
		unsigned long long ut, st;

		if (!isdigit((unsigned char)e->d_name[0]))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/stat", (int)pid, e->d_name);
		if (read_small(path, buf, sizeof(buf)) <= 0 || !(p = strrchr(buf, ')')))
			continue;
		/* after "pid (comm)": state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime */
		if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut, &st) == 2)
			*ticks += ut + st;
		snprintf(path, sizeof(path), "/proc/%d/task/%s/status", (int)pid, e->d_name);
		if (read_small(path, buf, sizeof(buf)) > 0) {
			unsigned long long v;

			if ((p = strstr(buf, "\nvoluntary_ctxt_switches:")) &&
			    sscanf(p, "\nvoluntary_ctxt_switches: %llu", &v) == 1)
				*switches += v;
			if ((p = strstr(buf, "\nnonvoluntary_ctxt_switches:")) &&
			    sscanf(p, "\nnonvoluntary_ctxt_switches: %llu", &v) == 1)
				*switches += v;
		}
	}
	closedir(d);
	return 0;
}

/*
 * QEMU's human monitor is wired to the guest's third serial port
 * (tests/qemu/usb-devices.sh: a socket chardev serving that port, and a
 * second socket chardev connected to it for -mon). The port is raw and
 * does not echo, or the monitor's answer would come back to it as a
 * command.
 */
int xt_monitor(const char *command)
{
	const char *tty = xt.monitor ? xt.monitor : "/dev/ttyS2";
	static char ans[65536];
	char cmd[256], *echo = NULL;
	struct termios t;
	struct pollfd p;
	long long end;
	size_t got = 0;
	int fd, n, err = 0;

	fd = open(tty, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		fprintf(stderr, "  QEMU monitor %s: %s\n", tty, strerror(errno));
		return err;
	}
	if (tcgetattr(fd, &t) == 0) {
		cfmakeraw(&t);
		t.c_cflag |= CLOCAL;
		tcsetattr(fd, TCSANOW, &t);
	}
	tcflush(fd, TCIOFLUSH);
	n = snprintf(cmd, sizeof(cmd), "\n%s\n", command);
	if (n < 0 || n >= (int)sizeof(cmd) || write(fd, cmd, (size_t)n) != n) {
		err = -EIO;
		fprintf(stderr, "  QEMU monitor %s: cannot send '%s'\n", tty, command);
	}
	/*
	 * The monitor's readline redraws the line for every byte it gets (a
	 * few KiB for a long command); the whole command appears once it has
	 * all of it, then its output, then the next prompt once it is done.
	 */
	end = xt_ms() + 5000;
	while (!err && xt_ms() < end && got < sizeof(ans) - 1) {
		p.fd = fd;
		p.events = POLLIN;
		if (poll(&p, 1, 100) <= 0)
			continue;
		n = (int)read(fd, ans + got, sizeof(ans) - 1 - got);
		if (n <= 0)
			break;
		got += (size_t)n;
		ans[got] = '\0';
		echo = strstr(ans, command);
		if (echo && strstr(echo, "(qemu)"))
			break;
	}
	ans[got] = '\0';
	if (!err && (!echo || !strstr(echo, "(qemu)"))) {
		fprintf(stderr, "  %s: no answer from QEMU's monitor to '%s' within 5 s (%zu bytes "
			"back%s)\n", tty, command, got, strstr(ans, "(qemu)") ? ", a prompt among them" : "");
		err = -ENOTTY;
	} else if (!err && strstr(echo, "rror")) {
		for (char *c = echo; *c; c++)
			if (*c == '\033' || *c == '\r' || *c == '\n')
				*c = ' ';
		fprintf(stderr, "  QEMU monitor: %s\n", echo);
		err = -EIO;
	}
	close(fd);
	return err;
}

int xt_sendkey(const char *key)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "sendkey %s", key);
	return xt_monitor(cmd);
}

int xt_as_nobody(int (*fn)(void *), void *arg)
{
	pid_t pid = fork();
	int st;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (setgroups(0, NULL) || setgid(65534) || setuid(65534))
			_exit(99);
		prctl(PR_SET_DUMPABLE, 1);
		_exit(fn(arg) ? 1 : 0);
	}
	if (waitpid(pid, &st, 0) < 0)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}
