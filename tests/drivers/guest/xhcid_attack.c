// SPDX-License-Identifier: MIT
/*
 * xhcid_attack: xhcid and its usb.*: scheme attacked from the guest, one
 * test per hole found in a review (../shared/THREAT-MODEL.md's attackers:
 * any local user, a class driver holding one port, a lying device), each
 * written to fail against the hole it names. TAP, "# suite xhcid-attack".
 * Run by guest/xhcid-suite.sh after xhcid_test, against the same VM
 * (guest/xhcid_test.h: the devices; xhcid_test_util.c's helpers) and a
 * pcid that runs xhcid without class drivers. Root; some tests act as
 * uid 65534, nobody's, any local user's (pcid runs xhcid as 65533).
 *
 * Usage: xhcid_attack [--quick] [--monitor TTY] [name-substring]
 *   --quick  2000 handles, not 20000, in the handle flood (the debug VM;
 *            4000 under ASan)
 *
 * What each test attacks (and the file:line it was found at, in the
 * commit that fixed it, or "open"):
 *   nobody_cannot_reach_xhcid_memory  a uid-65534 process ptraces xhcid,
 *       reads its memory, takes its channel fd (main.c: xhcid dumpable)
 *   nobody_cannot_signal_xhcid  a uid-65534 process kills xhcid: every
 *       local user shared its uid (fixed: pcid.conf gives it 65533)
 *   paths_and_flags  every path and access mode of usb.X: (regression)
 *   op_matrix_every_handle_every_length  every op on every handle kind with
 *       lengths 0, 1, max, max + 1, UINT32_MAX and CALL op_flags garbage:
 *       results from the documented set, nothing hangs, xhcid lives
 *   dup_suffixes  "epXX" only (scheme.c h_dup: strtoul took "ep+2")
 *   control_filter  SET_ADDRESS with other recipient bits reached the
 *       device; SET_CONFIGURATION wValue 0x0101 set configuration 1
 *       (scheme.c call_control)
 *   config_and_alt_garbage  SET_CONFIG/SET_ALT out of range (regression)
 *   stall_then_set_config  a STALL handled while Configure Endpoint waits
 *       queued a Reset Endpoint for an endpoint then freed: use after free
 *       (device.c configure, transfer.c halt_recover)
 *   queue_flood_others_still_served  4096 READs on an interrupt endpoint
 *       took every request slot of the scheme: all other clients hung
 *       (scheme.c h_read, no per-owner limit)
 *   handle_flood_xhcid_cpu  20000 directory handles made each port change
 *       cost xhcid handles^2 (scheme.c scheme_port_changed, us_handle_find)
 *   handle_flood_port_change_latency  and the kernel handles^2 too: each
 *       event walks every handle of the scheme (module/handle.c
 *       uscheme_scheme_send_event; open)
 *   rdonly_handle_after_set_config  an O_RDONLY handle went -ESTALE when
 *       the owner set a configuration (device.c dev_set_config generation)
 *   rdonly_handle_after_replug  an O_RDONLY handle read the next device's
 *       descriptors after a replug (scheme.c h_read, h_fstat)
 *   dying_clients_and_cancel_storms  owners killed mid-request, CANCEL
 *       storms, 1 ms deadlines: xhcid lives, the port is free again
 *   scm_rights_owner_handle  a passed owner handle is a capability; a path
 *       open O_RDWR by its uid-65534 receiver is still refused
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../../userspace-drivers/xhcid/xhci.h"
#include "xhcid_test.h"

struct xt_opts xt;

#define KBD_ADD	"device_add usb-kbd,bus=xhci0.0,port=2,usb_version=1,id=usbkbd"

static pid_t xhcid0(void)
{
	return xt_xhcid_pid(XT_CTRL0);
}

/* xhcid for ctrl0 is still the process it was (not crashed, not restarted). */
static int same_xhcid(pid_t before)
{
	pid_t now = xhcid0();

	if (now != before) {
		fprintf(stderr, "  xhcid for %s was pid %d, is now %d: it died\n", XT_CTRL0,
			(int)before, (int)now);
		return -1;
	}
	return 0;
}

/* Become uid/gid 65534 (in a child); 0 or -1. */
static int become_nobody(void)
{
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) || setresuid(65534, 65534, 65534))
		return -1;
	return 0;
}

static int wait_child(pid_t pid, int secs)
{
	long long end = xt_ms() + secs * 1000LL;
	int st;

	for (;;) {
		pid_t r = waitpid(pid, &st, WNOHANG);

		if (r == pid)
			return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
		if (r < 0 || xt_ms() >= end)
			break;
		usleep(20 * 1000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	return -1;	/* did not finish in time */
}

/* ---- a uid-65534 process against xhcid's process ---- */

static int t_nobody_memory(void)
{
	pid_t x = xhcid0(), c;
	char proc[64];
	struct stat st;

	CHECK(x > 0);
	/* a process that is not dumpable has its /proc files (not the directory) owned by root */
	snprintf(proc, sizeof(proc), "/proc/%d/environ", (int)x);
	CHECK_EQ(stat(proc, &st), 0);
	if (st.st_uid != 0)
		fprintf(stderr, "  %s belongs to uid %u: xhcid is dumpable\n", proc,
			(unsigned int)st.st_uid);
	c = fork();
	CHECK(c >= 0);
	if (c == 0) {
		char buf[8], path[64];
		struct iovec l = { buf, sizeof(buf) }, r = { (void *)0x401000, sizeof(buf) };
		int bad = 0, pfd, fd;
		ssize_t n;

		if (become_nobody())
			_exit(99);
		/*
		 * ptrace's access check: EPERM, else (EFAULT or bytes) it was
		 * allowed; ENOSYS: a kernel without CROSS_MEMORY_ATTACH (the
		 * debug kernel) has no such call, and /proc/PID/mem below is
		 * the same check.
		 */
		n = syscall(SYS_process_vm_readv, x, &l, 1, &r, 1, 0);
		if (n >= 0 || (errno != EPERM && errno != ENOSYS)) {
			fprintf(stderr, "  uid 65534: process_vm_readv(xhcid %d): %s\n", (int)x,
				n >= 0 ? "read its memory" : strerror(errno));
			bad = 1;
		}
		snprintf(path, sizeof(path), "/proc/%d/mem", (int)x);
		fd = open(path, O_RDWR);
		if (fd >= 0 || errno != EACCES) {
			fprintf(stderr, "  uid 65534: open %s: %s\n", path,
				fd >= 0 ? "opened for writing" : strerror(errno));
			bad = 1;
		}
		pfd = (int)syscall(SYS_pidfd_open, x, 0);
		if (pfd >= 0) {
			fd = (int)syscall(SYS_pidfd_getfd, pfd, 3, 0);	/* the channel */
			if (fd >= 0 || errno != EPERM) {
				fprintf(stderr, "  uid 65534: pidfd_getfd(xhcid, 3): %s\n",
					fd >= 0 ? "took xhcid's channel" : strerror(errno));
				bad = 1;
			}
		}
		_exit(bad);
	}
	CHECK_EQ(wait_child(c, 10), 0);
	CHECK_EQ(st.st_uid, 0);
	return 0;
}

/*
 * pcid ran xhcid as uid 65534, the uid of every process the threat model
 * calls "any local user": any of them could SIGKILL or SIGSTOP xhcid. The
 * default config now gives xhcid a uid of its own (65533). Still open:
 * xhcid's class drivers run as xhcid runs and may signal it (another uid
 * for them needs pcid to start them).
 */
static int t_nobody_signal(void)
{
	pid_t x = xhcid0(), c;

	CHECK(x > 0);
	c = fork();
	CHECK(c >= 0);
	if (c == 0) {
		if (become_nobody())
			_exit(99);
		if (kill(x, 0) == 0) {	/* signal 0: checks permission, sends nothing */
			fprintf(stderr, "  uid 65534 may signal xhcid (pid %d): it shares its uid\n",
				(int)x);
			_exit(1);
		}
		_exit(errno == EPERM ? 0 : 2);
	}
	CHECK_EQ(wait_child(c, 10), 0);
	CHECK_EQ(same_xhcid(x), 0);
	return 0;
}

/* ---- paths, ops, lengths ---- */

static int open_rel(const char *rest, int flags)
{
	char path[1200];

	snprintf(path, sizeof(path), "%s:%s", xt_scheme(XT_CTRL0), rest);
	return us_open(path, flags);
}

static int t_paths_flags(void)
{
	static const struct { const char *path; int flags; int want; } cases[] = {
		{ "0", O_RDONLY, -ENOENT }, { "01", O_RDONLY, -ENOENT },
		{ "999", O_RDONLY, -ENOENT }, { "9", O_RDONLY, -ENOENT },
		{ "256", O_RDONLY, -ENOENT }, { "1/x", O_RDONLY, -ENOENT },
		{ "-1", O_RDONLY, -ENOENT }, { "+1", O_RDONLY, -ENOENT },
		{ " 1", O_RDONLY, -ENOENT }, { "1 ", O_RDONLY, -ENOENT },
		{ "0x1", O_RDONLY, -ENOENT }, { "1\t", O_RDONLY, -ENOENT },
		{ "ep81", O_RDONLY, -ENOENT }, { "/", O_RDONLY, -ENOENT },
		{ "", O_RDWR, -EISDIR }, { "", O_WRONLY, -EISDIR },
		{ "1", O_WRONLY, -EACCES }, { "1", O_RDONLY | O_DIRECTORY, -ENOTDIR },
		{ "5", O_RDONLY, -ENODEV },	/* a USB2 port without a device */
	};
	char longp[1001];
	size_t i;
	int fd;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		fd = open_rel(cases[i].path, cases[i].flags);
		if (fd >= 0)
			close(fd);
		if (fd != cases[i].want) {
			fprintf(stderr, "  open '%s' flags %#x: %d, want %d\n", cases[i].path,
				cases[i].flags, fd, cases[i].want);
			return -1;
		}
	}
	memset(longp, '1', 1000);
	longp[1000] = '\0';
	fd = open_rel(longp, O_RDONLY);
	CHECK(fd == -ENOENT || fd == -ENAMETOOLONG);
	fd = open_rel("", O_RDONLY | O_DIRECTORY);
	CHECK(fd >= 0);
	close(fd);
	return 0;
}

/* Is res a result an op may give (a documented errno, or 0..max bytes)? */
static int legal(int res, long long max)
{
	static const int ok[] = { EINVAL, EBADF, EISDIR, ENOTDIR, EPERM, EACCES, ENOENT, ENODEV,
				  ESTALE, ETIMEDOUT, ECANCELED, EPIPE, EPROTO, E2BIG, ENOSYS,
				  EAGAIN, ENOMEM, EOPNOTSUPP, EBUSY, ENAMETOOLONG, EFAULT };

	if (res >= 0)
		return res <= max;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (-res == ok[i])
			return 1;
	return 0;
}

/* One op on r, answered within ms: its res, or -ETIME (and a note) when not. */
static int one(struct us_ring *r, int ms, const char *what)
{
	int res = xt_ring_op(r, ms);

	if (res == -ETIME)
		fprintf(stderr, "  %s: no answer within %d ms\n", what, ms);
	return res;
}

static int sweep(struct us_ring *r, int fd, const char *kind)
{
	static const uint32_t lens[] = { 0, 1, 8, 4096, USB_XFER_MAX, USB_XFER_MAX + 1, UINT32_MAX };
	static const uint32_t flags[] = { 0, USB_CALL_PORT_INFO, USB_CALL_CONTROL,
					  USB_CALL_SET_ALT, USB_CALL_EP_INFO, 7, 0x80000000u,
					  UINT32_MAX };
	static const uint32_t cl[][2] = { { 0, 0 }, { 1, 1 }, { 15, 0 }, { 16, 0 }, { 17, 0 },
					   { 8, 8 }, { 0, 43 }, { 0, 44 }, { 44, 44 },
					   { 1u << 20, 1u << 20 }, { (1u << 20) + 1, 0 } };
	static uint8_t buf[(1u << 20) + 4096];
	struct uscheme_stat st;
	char what[160];
	size_t i, j;
	int res;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		uint32_t len = lens[i];
		uint32_t cap = len > sizeof(buf) ? (uint32_t)sizeof(buf) : len;

		/* UINT32_MAX goes with a buffer that cannot hold it: the kernel shortens or refuses */
		snprintf(what, sizeof(what), "%s READ %u", kind, len);
		us_prep_read(us_get_sqe(r), fd, buf, len == UINT32_MAX ? len : cap, 0, 1);
		res = one(r, 5000, what);
		if (res == -ETIME || !legal(res, cap)) {
			fprintf(stderr, "  %s: %d\n", what, res);
			return -1;
		}
		snprintf(what, sizeof(what), "%s WRITE %u", kind, len);
		us_prep_write(us_get_sqe(r), fd, buf, len == UINT32_MAX ? len : cap, 0, 1);
		res = one(r, 5000, what);
		if (res == -ETIME || !legal(res, cap)) {
			fprintf(stderr, "  %s: %d\n", what, res);
			return -1;
		}
	}
	us_prep_fstat(us_get_sqe(r), fd, &st, 1);
	res = one(r, 5000, "FSTAT");
	CHECK(res == 0 || (res < 0 && legal(res, 0)));
	us_prep_fsync(us_get_sqe(r), fd, 1);
	res = one(r, 5000, "FSYNC");
	CHECK(res != -ETIME && legal(res, 0));
	us_prep_ftruncate(us_get_sqe(r), fd, UINT64_MAX, 1);
	res = one(r, 5000, "FTRUNCATE");
	CHECK(res != -ETIME && legal(res, 0));
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		for (j = 0; j < sizeof(cl) / sizeof(cl[0]); j++) {
			memset(buf, 0, cl[j][0] > cl[j][1] ? cl[j][0] : cl[j][1]);
			snprintf(what, sizeof(what), "%s CALL op_flags %#x in %u out %u", kind,
				 flags[i], cl[j][0], cl[j][1]);
			us_prep_call(us_get_sqe(r), fd, buf, cl[j][0], buf, cl[j][1], flags[i], 1);
			res = one(r, 8000, what);
			if (res == -ETIME || !legal(res, cl[j][1])) {
				fprintf(stderr, "  %s: %d\n", what, res);
				return -1;
			}
		}
	}
	return 0;
}

/*
 * Every op on each kind of handle (the directory, a port O_RDONLY, a port's
 * owner, an interrupt endpoint) with the lengths that matter, through a
 * ring (exact lengths). The keyboard's endpoint gets a 50 ms deadline so
 * that its READs end. Every answer comes, is a documented errno or a
 * length within the buffer, and xhcid is the same process afterwards.
 * (SET_CONFIG, op 3, is left out: the owner's zeroed CALL would unconfigure.)
 */
static int t_op_matrix(void)
{
	pid_t x = xhcid0();
	struct us_ring r;
	int port, dir, ro, owner, ep, res;
	uint32_t ms = 50, one_cfg = 1;

	CHECK(x > 0);
	port = xt_wait_ready(XT_CTRL0, XT_KBD_VID, XT_KBD_PID, 10);
	CHECK(port > 0);
	CHECK_EQ(us_ring_init(&r, 8, 0, 0), 0);
	dir = open_rel("", O_RDONLY);
	CHECK(dir >= 0);
	ro = xt_open_port(XT_CTRL0, (unsigned int)port, O_RDONLY);
	CHECK(ro >= 0);
	owner = xt_own_port(XT_CTRL0, (unsigned int)port);
	CHECK(owner >= 0);
	CHECK_EQ(sweep(&r, dir, "directory"), 0);
	CHECK_EQ(sweep(&r, ro, "port O_RDONLY"), 0);
	/* (its zeroed SET_ALT is interface 0's alternate 0: legal, endpoints renewed) */
	CHECK_EQ(sweep(&r, owner, "port owner"), 0);
	res = us_call(owner, &one_cfg, sizeof(one_cfg), NULL, 0, USB_CALL_SET_CONFIG);
	CHECK_EQ(res, 0);
	ep = us_dup(owner, "ep81", 0);
	CHECK(ep >= 0);
	/* a deadline, so that its READs end (EP_TIMEOUT, op 6, is not swept: zeroed, it is none) */
	CHECK_EQ(us_call(ep, &ms, sizeof(ms), NULL, 0, USB_CALL_EP_TIMEOUT), 0);
	CHECK_EQ(sweep(&r, ep, "ep81 (interrupt IN)"), 0);
	close(ep);
	close(owner);
	close(ro);
	close(dir);
	us_ring_exit(&r);
	CHECK_EQ(same_xhcid(x), 0);
	return 0;
}

/* DUP names an endpoint "epXX" and nothing else, and only from an owner. */
static int t_dup_suffixes(void)
{
	static const char *const bad[] = { "", "e", "ep", "ep8", "ep2", "epzz", "ep81x", "ep 2",
					   "ep+2", "ep-0", "ep 81", "EP02", "ep0x", "ep00", "ep80",
					   "ep0f", "ep8f", "ep01", "ep82", "ep\n2", "ep02 " };
	char longs[1001];
	int port, owner, ro, dir, ep, fd;
	size_t i;

	port = xt_wait_ready(XT_CTRL0, XT_DISK_VID, XT_DISK_PID, 10);
	CHECK(port > 0);
	owner = xt_own_port(XT_CTRL0, (unsigned int)port);
	CHECK(owner >= 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		fd = us_dup(owner, bad[i], 0);
		if (fd >= 0) {
			close(fd);
			fprintf(stderr, "  DUP \"%s\" on the disk's owner handle gave a handle\n", bad[i]);
			return -1;
		}
		CHECK(fd == -ENOENT || fd == -EINVAL);
	}
	memset(longs, 'e', 1000);
	longs[1000] = '\0';
	fd = us_dup(owner, longs, 0);
	CHECK(fd == -ENOENT || fd == -ENAMETOOLONG || fd == -EINVAL);
	ep = us_dup(owner, "ep02", 0);
	CHECK(ep >= 0);
	CHECK_EQ(us_dup(ep, "ep81", 0), -EINVAL);	/* not from an endpoint */
	close(ep);
	fd = us_dup(owner, "ep81", 0);
	CHECK(fd >= 0);
	close(fd);
	ro = xt_open_port(XT_CTRL0, (unsigned int)port, O_RDONLY);
	CHECK(ro >= 0);
	CHECK_EQ(us_dup(ro, "ep81", 0), -EPERM);	/* not from a reader */
	dir = open_rel("", O_RDONLY);
	CHECK(dir >= 0);
	CHECK_EQ(us_dup(dir, "ep81", 0), -EINVAL);
	close(dir);
	close(ro);
	close(owner);
	return 0;
}

/* One control request from raw parts: in_len bytes in (setup + data), out_len room. */
static int ctrl_raw(int fd, uint8_t type, uint8_t req, uint16_t value, uint16_t index,
		    uint16_t wlength, uint32_t in_len, uint32_t out_len)
{
	static uint8_t in[sizeof(struct usb_ctrl_req) + 65536], out[65536];
	struct usb_ctrl_req c = {
		.bm_request_type = type, .b_request = req, .w_value = value,
		.w_index = index, .w_length = wlength,
	};

	memset(in, 0, sizeof(in));
	memcpy(in, &c, sizeof(c));
	return us_call(fd, in, in_len, out, out_len, USB_CALL_CONTROL);
}

/*
 * The standard requests that change what the controller knows of the
 * device never reach it unchecked: SET_ADDRESS in any shape (a device
 * may look at bRequest alone: 0x00 was refused, 0x01 0x02 0x80 went
 * through), SET_CONFIGURATION and SET_INTERFACE only as the one request
 * they are (wValue 0x0101 set configuration 1; another recipient went to
 * the device). Class requests with the same bRequest still pass (HID
 * SET_REPORT is 21/09). wLength against the buffers: 0, 65535.
 */
static int t_control_filter(void)
{
	static const uint8_t addr_types[] = { 0x00, 0x01, 0x02, 0x03, 0x1f, 0x80, 0x81, 0x82 };
	struct usb_port_info info;
	uint8_t led = 0;
	int port, owner, kbd, ep, r;
	size_t i;

	port = xt_wait_ready(XT_CTRL0, XT_DISK_VID, XT_DISK_PID, 10);
	CHECK(port > 0);
	owner = xt_own_port(XT_CTRL0, (unsigned int)port);
	CHECK(owner >= 0);
	ep = us_dup(owner, "ep81", 0);
	CHECK(ep >= 0);
	for (i = 0; i < sizeof(addr_types); i++) {
		uint32_t out = addr_types[i] & 0x80 ? 64 : 0;

		r = ctrl_raw(owner, addr_types[i], USB_REQ_SET_ADDRESS, 9, 0,
			     (uint16_t)out, sizeof(struct usb_ctrl_req), out);
		if (r != -EPERM) {
			fprintf(stderr, "  SET_ADDRESS with bmRequestType %#04x: %d, want -EPERM\n",
				addr_types[i], r);
			return -1;
		}
	}
	/* SET_CONFIGURATION: only 00/09, a byte's value, no index, no data */
	r = ctrl_raw(owner, 0x00, USB_REQ_SET_CONFIGURATION, 0x0101, 0, 0, 16, 0);
	if (r != -EINVAL) {
		fprintf(stderr, "  SET_CONFIGURATION wValue 0x0101: %d, want -EINVAL "
			"(it was cut to configuration 1)\n", r);
		return -1;
	}
	CHECK_EQ(ctrl_raw(owner, 0x02, USB_REQ_SET_CONFIGURATION, 1, 0, 0, 16, 0), -EINVAL);
	CHECK_EQ(ctrl_raw(owner, 0x00, USB_REQ_SET_CONFIGURATION, 1, 0x0100, 0, 16, 0), -EINVAL);
	CHECK_EQ(ctrl_raw(owner, 0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 2, 18, 0), -EINVAL);
	CHECK_EQ(ctrl_raw(owner, 0x00, USB_REQ_SET_CONFIGURATION, 7, 0, 0, 16, 0), -EINVAL);
	CHECK_EQ(ctrl_raw(owner, 0x01, USB_REQ_SET_INTERFACE, 0, 0x0100, 0, 16, 0), -EINVAL);
	CHECK_EQ(ctrl_raw(owner, 0x01, USB_REQ_SET_INTERFACE, 0x0100, 0, 0, 16, 0), -EINVAL);
	CHECK_EQ(ctrl_raw(owner, 0x00, USB_REQ_SET_INTERFACE, 0, 0, 0, 16, 0), -EINVAL);
	/* the endpoint handle survived all of that: nothing was reconfigured */
	CHECK_EQ(xt_port_info(owner, &info), 0);
	CHECK_EQ(info.config, 1);
	{
		uint32_t t = 100;

		CHECK_EQ(us_call(ep, &t, sizeof(t), NULL, 0, USB_CALL_EP_TIMEOUT), 0);
	}
	/* the well-formed ones act: SET_INTERFACE 0/0, SET_CONFIGURATION 1 (the handle goes stale) */
	CHECK_EQ(ctrl_raw(owner, 0x01, USB_REQ_SET_INTERFACE, 0, 0, 0, 16, 0), 0);
	CHECK_EQ(ctrl_raw(owner, 0x00, USB_REQ_SET_CONFIGURATION, 1, 0, 0, 16, 0), 0);
	{
		uint8_t b[13];

		CHECK_EQ(read(ep, b, sizeof(b)), -1);
		CHECK_EQ(errno, ESTALE);
	}
	close(ep);
	/* wLength against the buffers (QEMU's devices STALL a data stage over 4 KiB) */
	r = ctrl_raw(owner, 0x80, 6, 0x0100, 0, 65535, 16, 65535);
	CHECK(r == 18 || r == -EPIPE);
	CHECK_EQ(ctrl_raw(owner, 0x80, 6, 0x0100, 0, 4096, 16, 4096), 18);
	CHECK_EQ(ctrl_raw(owner, 0x80, 6, 0x0100, 0, 65535, 16, 65534), -EINVAL);
	CHECK_EQ(ctrl_raw(owner, 0x80, 6, 0x0100, 0, 0, 16, 0), 0);
	CHECK_EQ(ctrl_raw(owner, 0x80, 6, 0x0100, 0, 18, 17, 18), -EINVAL);
	CHECK_EQ(ctrl_raw(owner, 0x40, 0x55, 0, 0, 65535, 16 + 65534, 0), -EINVAL);
	r = ctrl_raw(owner, 0x40, 0x55, 0, 0, 65535, 16 + 65535, 0);	/* a vendor request: stalled */
	CHECK(r == -EPIPE || r == 0);
	/* CLEAR_FEATURE(ENDPOINT_HALT) on EP0 */
	r = ctrl_raw(owner, 0x02, USB_REQ_CLEAR_FEATURE, 0, 0, 0, 16, 0);
	CHECK(r == 0 || r == -EPIPE);
	CHECK_EQ(ctrl_raw(owner, 0x80, 6, 0x0100, 0, 18, 16, 18), 18);	/* EP0 works */
	close(owner);

	/* the keyboard's class request 21/09 (SET_REPORT, the LEDs) is not a SET_CONFIGURATION */
	kbd = xt_own(XT_CTRL0, XT_KBD_VID, XT_KBD_PID);
	CHECK(kbd >= 0);
	r = xt_control(kbd, 0x21, 0x09, 0x0200, 0, &led, 1);
	CHECK(r == 0 || r == -EPIPE);
	CHECK(r != -EINVAL && r != -EPERM);
	close(kbd);
	return 0;
}

static int t_config_garbage(void)
{
	static const uint32_t bad_cfg[] = { 2, 7, 200, 255, 256, 0x101, 0x80000000u, UINT32_MAX };
	struct usb_alt_req alt;
	struct usb_port_info info;
	pid_t x = xhcid0();
	int owner, r;
	size_t i;
	uint32_t v;

	owner = xt_own(XT_CTRL0, XT_DISK_VID, XT_DISK_PID);
	CHECK(owner >= 0);
	for (i = 0; i < sizeof(bad_cfg) / sizeof(bad_cfg[0]); i++) {
		v = bad_cfg[i];
		r = us_call(owner, &v, sizeof(v), NULL, 0, USB_CALL_SET_CONFIG);
		if (r != -EINVAL) {
			fprintf(stderr, "  SET_CONFIG %u: %d, want -EINVAL\n", v, r);
			return -1;
		}
	}
	v = 1;
	CHECK_EQ(us_call(owner, &v, 3, NULL, 0, USB_CALL_SET_CONFIG), -EINVAL);
	CHECK_EQ(us_call(owner, &v, 5, NULL, 0, USB_CALL_SET_CONFIG), -EINVAL);
	memset(&alt, 0, sizeof(alt));
	alt.interface = 31;
	CHECK_EQ(us_call(owner, &alt, sizeof(alt), NULL, 0, USB_CALL_SET_ALT), -EINVAL);
	alt.interface = 32;
	CHECK_EQ(us_call(owner, &alt, sizeof(alt), NULL, 0, USB_CALL_SET_ALT), -EINVAL);
	alt.interface = 255;
	alt.alternate = 255;
	CHECK_EQ(us_call(owner, &alt, sizeof(alt), NULL, 0, USB_CALL_SET_ALT), -EINVAL);
	alt.interface = 0;
	alt.alternate = 1;
	CHECK_EQ(us_call(owner, &alt, sizeof(alt), NULL, 0, USB_CALL_SET_ALT), -EINVAL);
	alt.alternate = 0;
	alt.resv = 1;
	CHECK_EQ(us_call(owner, &alt, sizeof(alt), NULL, 0, USB_CALL_SET_ALT), -EINVAL);
	alt.resv = 0;
	CHECK_EQ(us_call(owner, &alt, sizeof(alt), NULL, 0, USB_CALL_SET_ALT), 0);
	/* unconfigured, and back */
	v = 0;
	CHECK_EQ(us_call(owner, &v, sizeof(v), NULL, 0, USB_CALL_SET_CONFIG), 0);
	CHECK_EQ(xt_port_info(owner, &info), 0);
	CHECK_EQ(info.config, 0);
	CHECK_EQ(us_dup(owner, "ep81", 0), -ENOENT);
	CHECK_EQ(us_call(owner, &alt, sizeof(alt), NULL, 0, USB_CALL_SET_ALT), -EINVAL);
	v = 1;
	CHECK_EQ(us_call(owner, &v, sizeof(v), NULL, 0, USB_CALL_SET_CONFIG), 0);
	close(owner);
	CHECK_EQ(same_xhcid(x), 0);
	return 0;
}

/* ---- the class driver's own device, against xhcid's state ---- */

/*
 * One submission: a 31-byte WRITE that is no CBW on the disk's bulk OUT
 * endpoint (QEMU's usb-storage STALLs it at once) and a configuration
 * change. The STALL's event is handled while the configuration change
 * waits for Configure Endpoint: halt recovery queued a Reset Endpoint
 * for the old endpoint, which Configure Endpoint then replaced and
 * xhcid freed; the Reset Endpoint's completion ran on the freed endpoint
 * (a crash, or a Set TR Dequeue Pointer from freed memory). Twenty times
 * with USB_CALL_SET_CONFIG, ten with SET_ALT; then the disk still works.
 */
static int t_stall_then_set_config(void)
{
	static const uint8_t junk[31] = { 'n', 'o', 't', ' ', 'a', ' ', 'C', 'B', 'W' };
	pid_t x = xhcid0();
	struct usb_alt_req alt = { 0 };
	struct uscheme_cqe c;
	struct us_ring r;
	struct bot b;
	int port, owner, out, i, k;
	uint32_t cfg = 1;

	CHECK(x > 0);
	port = xt_wait_ready(XT_CTRL0, XT_DISK_VID, XT_DISK_PID, 10);
	CHECK(port > 0);
	owner = xt_own_port(XT_CTRL0, (unsigned int)port);
	CHECK(owner >= 0);
	CHECK_EQ(us_ring_init(&r, 8, 0, 0), 0);
	for (i = 0; i < 30; i++) {
		int wres = 1, cres = 1;

		out = us_dup(owner, "ep02", 0);
		CHECK(out >= 0);
		us_prep_write(us_get_sqe(&r), out, junk, sizeof(junk), 0, 1);
		if (i < 20)
			us_prep_call(us_get_sqe(&r), owner, &cfg, sizeof(cfg), NULL, 0,
				     USB_CALL_SET_CONFIG, 2);
		else
			us_prep_call(us_get_sqe(&r), owner, &alt, sizeof(alt), NULL, 0,
				     USB_CALL_SET_ALT, 2);
		CHECK_EQ(us_submit(&r), 2);
		for (k = 0; k < 2; k++) {
			if (xt_reap(&r, &c, 10000)) {
				fprintf(stderr, "  round %d: no answer in 10 s (xhcid %s)\n", i,
					xhcid0() == x ? "alive" : "gone");
				return -1;
			}
			if (c.user_data == 1)
				wres = c.res;
			else
				cres = c.res;
		}
		close(out);
		if (cres != 0 || (wres != -EPIPE && wres != -ESTALE && wres != -ENODEV)) {
			fprintf(stderr, "  round %d: WRITE %d, configuration change %d\n", i, wres,
				cres);
			if (xhcid0() != x)
				fprintf(stderr, "  xhcid died (pid %d, now %d)\n", (int)x,
					(int)xhcid0());
			return -1;
		}
		CHECK_EQ(same_xhcid(x), 0);
	}
	us_ring_exit(&r);
	close(owner);
	usleep(200 * 1000);
	CHECK_EQ(same_xhcid(x), 0);
	/* the disk works: Bulk-Only reset, TEST UNIT READY */
	CHECK_EQ(bot_open_port(&b, XT_CTRL0, (unsigned int)port, 0), 0);
	CHECK_EQ(bot_reset(&b), 0);
	CHECK_EQ(bot_ready(&b), 0);
	bot_close(&b);
	CHECK_EQ(same_xhcid(x), 0);
	return 0;
}

static volatile sig_atomic_t alarmed;

static void on_alarm(int sig)
{
	(void)sig;
	alarmed = 1;
}

/* In a uid-65534 child: read the directory's listing within secs. 0: it came. */
static int listing_as_nobody(int secs)
{
	pid_t c = fork();

	if (c < 0)
		return -1;
	if (c == 0) {
		struct xt_line l[16];

		if (become_nobody())
			_exit(99);
		alarm((unsigned int)secs);	/* default action: the child dies */
		_exit(xt_listing(XT_CTRL0, l, 16) > 0 ? 0 : 1);
	}
	return wait_child(c, secs + 5);
}

/*
 * A port's owner queues 4096 one-byte READs on the keyboard's interrupt
 * endpoint (answered only when a key is pressed, never here). Each holds
 * one of the kernel's 4096 request slots of usb.X: until answered; with
 * all of them held, every other client of xhcid slept in the kernel:
 * "uscheme ls usb.X:" by anyone, the disk's driver on the next port.
 * Both must still be served within 5 s.
 */
static int t_queue_flood(void)
{
	enum { N = 4200 };
	static uint8_t bufs[N][8];
	struct sigaction sa, old;
	pid_t x = xhcid0();
	struct uscheme_cqe c;
	struct us_ring r;
	int port, owner, ep, disk, i, queued = 0, prepared = 0, early = 0, res;
	uint8_t dd[18];
	long long t;

	CHECK(x > 0);
	port = xt_wait_ready(XT_CTRL0, XT_KBD_VID, XT_KBD_PID, 10);
	CHECK(port > 0);
	owner = xt_own_port(XT_CTRL0, (unsigned int)port);
	CHECK(owner >= 0);
	ep = us_dup(owner, "ep81", 0);
	CHECK(ep >= 0);
	CHECK_EQ(us_ring_init(&r, 4096, 8192, 0), 0);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, &old);	/* no SA_RESTART: a submission that sleeps ends */
	alarmed = 0;
	for (i = 0; i < N && !alarmed; ) {
		struct uscheme_sqe *s = us_get_sqe(&r);

		if (s) {
			us_prep_read(s, ep, bufs[i], sizeof(bufs[i]), 0, (uint64_t)i + 1);
			prepared = ++i;
			continue;
		}
		alarm(3);	/* the kernel's enter sleeps while the scheme has no slot */
		res = us_submit(&r);
		alarm(0);
		if (res <= 0)
			break;
	}
	if (!alarmed) {
		alarm(3);
		us_submit(&r);
		alarm(0);
	}
	queued = prepared - (int)us_sq_pending(&r);
	sigaction(SIGALRM, &old, NULL);
	/* what was answered at once (-EAGAIN beyond a limit, if there is one) */
	while (xt_reap(&r, &c, 200) == 0)
		early++;
	fprintf(stderr, "  (%d READs submitted, %d answered at once)\n", queued, early);

	t = xt_ms();
	res = listing_as_nobody(5);
	if (res != 0)
		fprintf(stderr, "  uid 65534 could not read %s: within 5 s with the keyboard's "
			"owner holding %d READs (%s)\n", xt_scheme(XT_CTRL0), queued - early,
			res < 0 ? "it hung" : "it failed");
	else
		fprintf(stderr, "  (the listing took %lld ms)\n", xt_ms() - t);
	/* the disk's owner on the next port: a GET_DESCRIPTOR within 5 s */
	{
		pid_t ch = fork();

		CHECK(ch >= 0);
		if (ch == 0) {
			alarm(5);
			disk = xt_own(XT_CTRL0, XT_DISK_VID, XT_DISK_PID);
			_exit(disk >= 0 && xt_control(disk, 0x80, 6, 0x0100, 0, dd, 18) == 18 ? 0 : 1);
		}
		i = wait_child(ch, 10);
		if (i != 0)
			fprintf(stderr, "  the disk's owner got no control transfer through within "
				"5 s (%d)\n", i);
	}
	us_ring_exit(&r);	/* every READ cancelled */
	close(ep);
	close(owner);
	CHECK_EQ(res, 0);
	CHECK_EQ(i, 0);
	/* the keyboard's port is free again (xhcid answered every cancel) and xhcid is the same */
	t = xt_ms();
	while ((owner = xt_open_port(XT_CTRL0, (unsigned int)port, O_RDWR)) == -EBUSY &&
	       xt_ms() - t < 30000)
		usleep(100 * 1000);
	CHECK(owner >= 0);
	close(owner);
	CHECK_EQ(same_xhcid(x), 0);
	return 0;
}

/* xhcid's user and system CPU time so far, in clock ticks (/proc/PID/stat). */
static int cpu_ticks(pid_t pid, unsigned long long *user, unsigned long long *sys)
{
	char path[64], buf[1024], *p;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	p = strrchr(buf, ')');	/* then state, and utime is the 12th field after it */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
			 user, sys) != 2)
		return -1;
	return 0;
}

/* The listing shows port @port in state @state within @ms; the ms it took, or -1. */
static long long port_state_within(unsigned int port, const char *state, int ms)
{
	long long t0 = xt_ms(), end = t0 + ms;
	struct xt_line l[16];
	int n;

	do {
		n = xt_listing(XT_CTRL0, l, 16);
		for (int i = 0; i < n; i++)
			if (l[i].port == port && !strcmp(l[i].state, state))
				return xt_ms() - t0;
		usleep(20 * 1000);
	} while (xt_ms() < end);
	return -1;
}

/*
 * A port handle names the device it was opened on: after an unplug and a
 * replug (a new device, maybe another one) its READ and FSTAT gave the
 * new device's descriptors (scheme.c h_read/h_fstat did not compare
 * generations; PORT_INFO did). All -ESTALE now; a new open works.
 */
static int t_rdonly_after_replug(void)
{
	uint8_t d[256];
	struct stat st;
	pid_t x = xhcid0();
	int port, ro, fd;
	ssize_t n;

	CHECK(x > 0);
	port = xt_wait_ready(XT_CTRL0, XT_KBD_VID, XT_KBD_PID, 10);
	CHECK(port > 0);
	ro = xt_open_port(XT_CTRL0, (unsigned int)port, O_RDONLY);
	CHECK(ro >= 0);
	CHECK(xt_read_desc(ro, d, sizeof(d)) > 18);
	CHECK_EQ(xt_monitor("device_del usbkbd"), 0);
	CHECK(port_state_within((unsigned int)port, "empty", 10000) >= 0);
	CHECK_EQ(xt_monitor(KBD_ADD), 0);
	CHECK_EQ(xt_wait_ready(XT_CTRL0, XT_KBD_VID, XT_KBD_PID, 10), port);
	n = pread(ro, d, sizeof(d), 0);
	if (n >= 0) {
		fprintf(stderr, "  READ on a handle of the unplugged keyboard gave %zd bytes of the "
			"new one's descriptors\n", n);
		return -1;
	}
	CHECK_EQ(errno, ESTALE);
	CHECK_EQ(fstat(ro, &st), -1);
	CHECK_EQ(errno, ESTALE);
	close(ro);
	fd = xt_open_port(XT_CTRL0, (unsigned int)port, O_RDONLY);
	CHECK(fd >= 0);
	CHECK(xt_read_desc(fd, d, sizeof(d)) > 18);
	close(fd);
	CHECK_EQ(same_xhcid(x), 0);
	return 0;
}

/* Is @pid xhcid's ASan build (/bin/xhcid-asan, as the 6.1 VM runs it)? */
static int is_asan(pid_t pid)
{
	char path[64], comm[32] = "";
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	fd = open(path, O_RDONLY);
	if (fd < 0)
		return 0;
	n = read(fd, comm, sizeof(comm) - 1);
	close(fd);
	return n > 0 && !strncmp(comm, "xhcid-asan", 10);
}

/*
 * Anyone may open usb.X: as often as they like. With 20000 such handles
 * open (2000 on the debug VM, 4000 under ASan), the keyboard is unplugged
 * and plugged back; what that cost is written to FLOOD for the two tests
 * after it, which judge each part.
 */
#define FLOOD "/tmp/xhcid_attack.flood"

static int t_handle_flood(void)
{
	enum { MAXN = 20000 };
	pid_t x = xhcid0();
	/*
	 * The full flood where it tells (the static 6.12 run: the old costs grew
	 * as handles^2); fewer under ASan (3 ms an open in TCG) and on the debug
	 * VM, where it is a functional check within the suite's time budget.
	 */
	const int N = xt.quick ? MAXN / 10 : is_asan(x) ? MAXN / 5 : MAXN;
	struct rlimit rl = { MAXN + 1024, MAXN + 1024 };
	static int fds[MAXN];
	unsigned long long u0 = 0, s0 = 0, u1 = 0, s1 = 0;
	long long t0, gone, back;
	int port, n = 0, i;
	FILE *f;

	unlink(FLOOD);
	CHECK(x > 0);
	port = xt_wait_ready(XT_CTRL0, XT_KBD_VID, XT_KBD_PID, 10);
	CHECK(port > 0);
	CHECK_EQ(setrlimit(RLIMIT_NOFILE, &rl), 0);
	t0 = xt_ms();
	for (n = 0; n < N; n++) {
		fds[n] = open_rel("", O_RDONLY);
		if (fds[n] < 0)
			break;
	}
	fprintf(stderr, "  (%d handles of %s: opened in %lld ms)\n", n, xt_scheme(XT_CTRL0),
		xt_ms() - t0);
	if (n != N) {
		fprintf(stderr, "  open %d: %s\n", n + 1, strerror(-fds[n]));
		for (i = 0; i < n; i++)
			close(fds[i]);
		return -1;
	}
	CHECK_EQ(cpu_ticks(x, &u0, &s0), 0);
	CHECK_EQ(xt_monitor("device_del usbkbd"), 0);
	gone = port_state_within((unsigned int)port, "empty", 120000);
	CHECK_EQ(xt_monitor(KBD_ADD), 0);
	back = port_state_within((unsigned int)port, "ready", 120000);
	CHECK_EQ(cpu_ticks(x, &u1, &s1), 0);
	fprintf(stderr, "  (with %d handles open: unplug seen in %lld ms, replug in %lld ms; "
		"xhcid used %llu ticks of user and %llu of system time meanwhile)\n", n,
		gone, back, u1 - u0, s1 - s0);
	t0 = xt_ms();
	for (i = 0; i < n; i++)
		close(fds[i]);
	fprintf(stderr, "  (closed in %lld ms)\n", xt_ms() - t0);
	if (back < 0)
		CHECK(port_state_within((unsigned int)port, "ready", 60000) >= 0);
	CHECK_EQ(same_xhcid(x), 0);
	f = fopen(FLOOD, "w");
	CHECK(f);
	fprintf(f, "%lld %lld %llu %llu %ld %d\n", gone, back, u1 - u0, s1 - s0,
		sysconf(_SC_CLK_TCK), n);
	fclose(f);
	return 0;
}

static int flood_results(long long *gone, long long *back, unsigned long long *user,
			 unsigned long long *sys, long *hz)
{
	FILE *f = fopen(FLOOD, "r");
	int n, handles = 0;

	if (!f) {
		fprintf(stderr, "  no %s: handle_flood_then_hotplug did not finish\n", FLOOD);
		return -1;
	}
	n = fscanf(f, "%lld %lld %llu %llu %ld %d", gone, back, user, sys, hz, &handles);
	fclose(f);
	if (n != 6 || *hz <= 0)
		return -1;
	fprintf(stderr, "  (%d handles open)\n", handles);
	return 0;
}

/*
 * xhcid's own share: each port change looked up every handle's id with a
 * scan of the handle table (us_handle_find), handles^2 of its own CPU
 * time (10.7 s with 40000 handles in the stock VM, so some 2.7 s with
 * 20000). At most 1 s for both changes. (With 2000 or 4000 handles, --quick and
 * ASan, the old cost was under that: only the stock static run tells.)
 */
static int t_handle_flood_xhcid_cpu(void)
{
	unsigned long long user, sys;
	long long gone, back;
	long hz;

	CHECK_EQ(flood_results(&gone, &back, &user, &sys, &hz), 0);
	if (user > (unsigned long long)hz) {
		fprintf(stderr, "  xhcid spent %llu ms of its own CPU time on two port changes\n",
			user * 1000 / (unsigned long long)hz);
		return -1;
	}
	return 0;
}

/*
 * End to end: both changes seen within 5 s each. The kernel's
 * uscheme_scheme_send_event (module/handle.c) walked every handle of the
 * scheme, under its lock, for each event a daemon sends: one per handle
 * at each change, handles^2 again, in xhcid's enter (system time: 16 s
 * with 20000 handles in the stock VM). Fixed: it looks the id up in a hash
 * table. (With 2000 or 4000, --quick and ASan, the old cost stayed under
 * 5 s: only the stock static run tells.)
 */
static int t_handle_flood_latency(void)
{
	unsigned long long user, sys;
	long long gone, back;
	long hz;

	CHECK_EQ(flood_results(&gone, &back, &user, &sys, &hz), 0);
	if (gone < 0 || gone > 5000 || back < 0 || back > 5000) {
		fprintf(stderr, "  unplug seen after %lld ms, replug after %lld ms (%llu ms of "
			"system time in xhcid: the kernel taking its events)\n", gone, back,
			sys * 1000 / (unsigned long long)hz);
		return -1;
	}
	return 0;
}

/*
 * An O_RDONLY port handle names the device, not its configuration: the
 * owner's SET_CONFIG made its PORT_INFO -ESTALE (and moved
 * usb_port_info.generation, "counts enumerations").
 */
static int t_rdonly_after_set_config(void)
{
	struct usb_port_info a, b;
	int port, ro, owner;
	uint32_t cfg = 1;

	port = xt_wait_ready(XT_CTRL0, XT_KBD_VID, XT_KBD_PID, 10);
	CHECK(port > 0);
	ro = xt_open_port(XT_CTRL0, (unsigned int)port, O_RDONLY);
	CHECK(ro >= 0);
	CHECK_EQ(xt_port_info(ro, &a), 0);
	owner = xt_own_port(XT_CTRL0, (unsigned int)port);
	CHECK(owner >= 0);
	CHECK_EQ(us_call(owner, &cfg, sizeof(cfg), NULL, 0, USB_CALL_SET_CONFIG), 0);
	close(owner);
	CHECK_EQ(xt_port_info(ro, &b), 0);
	CHECK_EQ(b.generation, a.generation);
	CHECK_EQ(b.config, 1);
	close(ro);
	return 0;
}

/*
 * Owners that die at any instant (a ring of READs on the keyboard's
 * endpoint and a control transfer in flight), a CANCEL storm, 1 ms
 * deadlines on 200 READs: every answer comes, the port is free again
 * after each death, xhcid is the same process.
 */
static int t_dying_clients(void)
{
	pid_t x = xhcid0();
	struct uscheme_cqe c;
	struct us_ring r;
	static uint8_t bufs[256][8];
	int port, owner, ep, i, k, round;
	uint32_t ms;

	CHECK(x > 0);
	port = xt_wait_ready(XT_CTRL0, XT_KBD_VID, XT_KBD_PID, 10);
	CHECK(port > 0);
	for (round = 0; round < 30; round++) {
		pid_t ch = fork();

		CHECK(ch >= 0);
		if (ch == 0) {
			struct us_ring cr;
			uint8_t d[18];
			int o = xt_own_port(XT_CTRL0, (unsigned int)port), e;

			if (o < 0)
				_exit(1);
			e = us_dup(o, "ep81", 0);
			if (e < 0 || us_ring_init(&cr, 128, 0, 0))
				_exit(2);
			for (k = 0; k < 64; k++)
				us_prep_read(us_get_sqe(&cr), e, bufs[k], 8, 0, (uint64_t)k);
			us_submit(&cr);
			for (;;)
				xt_control(o, 0x80, 6, 0x0100, 0, d, sizeof(d));
		}
		usleep((useconds_t)(rand() % 40000));
		kill(ch, SIGKILL);
		waitpid(ch, NULL, 0);
	}
	CHECK_EQ(same_xhcid(x), 0);
	owner = xt_own_port(XT_CTRL0, (unsigned int)port);	/* waits out a late release */
	CHECK(owner >= 0);
	ep = us_dup(owner, "ep81", 0);
	CHECK(ep >= 0);
	CHECK_EQ(us_ring_init(&r, 256, 1024, 0), 0);
	/* CANCEL storms: 200 READs, then a CANCEL for each, ten times */
	for (round = 0; round < 10; round++) {
		int got = 0;

		for (i = 0; i < 200; i++)
			us_prep_read(us_get_sqe(&r), ep, bufs[i], 8, 0, (uint64_t)i + 1);
		CHECK_EQ(us_submit(&r), 200);
		for (i = 0; i < 200; i++)
			us_prep_cancel(us_get_sqe(&r), (uint64_t)i + 1, 10000 + (uint64_t)i);
		CHECK_EQ(us_submit(&r), 200);
		while (got < 400 && xt_reap(&r, &c, 5000) == 0) {
			/* -EAGAIN: the port's limit, while xhcid still holds cancelled ones */
			if (c.user_data <= 200)
				CHECK(c.res == -ECANCELED || c.res == -EAGAIN);
			got++;
		}
		if (got != 400) {
			fprintf(stderr, "  CANCEL storm %d: %d of 400 answers within 5 s\n", round,
				got);
			return -1;
		}
	}
	/* xhcid answered every cancelled READ: none left in flight on the endpoint */
	{
		struct usb_ep_info ei;
		long long end = xt_ms() + 5000;

		do {
			CHECK_EQ(xt_ep_info(ep, &ei), 0);
			if (!ei.inflight)
				break;
			usleep(50 * 1000);
		} while (xt_ms() < end);
		if (ei.inflight) {
			fprintf(stderr, "  %u READs still in flight 5 s after their CANCELs\n",
				ei.inflight);
			return -1;
		}
	}
	/* 1 ms deadlines on 200 READs: all -ETIMEDOUT */
	ms = 1;
	CHECK_EQ(us_call(ep, &ms, sizeof(ms), NULL, 0, USB_CALL_EP_TIMEOUT), 0);
	for (i = 0; i < 200; i++)
		us_prep_read(us_get_sqe(&r), ep, bufs[i], 8, 0, (uint64_t)i + 1);
	CHECK_EQ(us_submit(&r), 200);
	for (i = 0; i < 200; i++) {
		if (xt_reap(&r, &c, 10000)) {
			fprintf(stderr, "  1 ms deadlines: %d of 200 READs answered within 10 s\n", i);
			return -1;
		}
		CHECK(c.res == -ETIMEDOUT || c.res == -ECANCELED);
	}
	/* the longest deadline there is, then a CANCEL */
	ms = UINT32_MAX;
	CHECK_EQ(us_call(ep, &ms, sizeof(ms), NULL, 0, USB_CALL_EP_TIMEOUT), 0);
	us_prep_read(us_get_sqe(&r), ep, bufs[0], 8, 0, 1);
	CHECK_EQ(us_submit(&r), 1);
	CHECK_EQ(xt_reap(&r, &c, 300), -ETIME);
	us_prep_cancel(us_get_sqe(&r), 1, 2);
	CHECK_EQ(us_submit(&r), 1);
	for (i = 0; i < 2; i++) {
		CHECK_EQ(xt_reap(&r, &c, 5000), 0);
		if (c.user_data == 1)
			CHECK_EQ(c.res, -ECANCELED);
	}
	us_ring_exit(&r);
	close(ep);
	close(owner);
	CHECK_EQ(same_xhcid(x), 0);
	return 0;
}

/*
 * An owner handle passed over SCM_RIGHTS is a capability: its uid-65534
 * receiver may use it (that is how a class driver gets its port), but
 * the receiver's own open of the port O_RDWR is still refused, and
 * another open is -EBUSY while the handle lives.
 */
static int t_scm_rights(void)
{
	int sv[2], port, owner;
	pid_t ch;

	port = xt_wait_ready(XT_CTRL0, XT_KBD_VID, XT_KBD_PID, 10);
	CHECK(port > 0);
	owner = xt_own_port(XT_CTRL0, (unsigned int)port);
	CHECK(owner >= 0);
	CHECK_EQ(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	ch = fork();
	CHECK(ch >= 0);
	if (ch == 0) {
		char cbuf[CMSG_SPACE(sizeof(int))], byte;
		struct iovec io = { &byte, 1 };
		struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		struct usb_port_info info;
		struct cmsghdr *cm;
		uint8_t d[18];
		int fd;

		close(sv[0]);
		if (become_nobody())
			_exit(99);
		if (recvmsg(sv[1], &m, 0) != 1 || !(cm = CMSG_FIRSTHDR(&m)))
			_exit(2);
		memcpy(&fd, CMSG_DATA(cm), sizeof(fd));
		if (xt_port_info(fd, &info) || xt_control(fd, 0x80, 6, 0x0100, 0, d, 18) != 18)
			_exit(3);	/* the capability works */
		if (xt_open_port(XT_CTRL0, (unsigned int)port, O_RDWR) != -EACCES)
			_exit(4);	/* its own uid still may not */
		_exit(0);
	}
	close(sv[1]);
	{
		char cbuf[CMSG_SPACE(sizeof(int))], byte = 'x';
		struct iovec io = { &byte, 1 };
		struct msghdr m = { .msg_iov = &io, .msg_iovlen = 1, .msg_control = cbuf,
				    .msg_controllen = sizeof(cbuf) };
		struct cmsghdr *cm = CMSG_FIRSTHDR(&m);

		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cm), &owner, sizeof(int));
		CHECK_EQ(sendmsg(sv[0], &m, 0), 1);
	}
	CHECK_EQ(xt_open_port(XT_CTRL0, (unsigned int)port, O_RDWR), -EBUSY);
	CHECK_EQ(wait_child(ch, 20), 0);
	close(sv[0]);
	close(owner);
	return 0;
}

static const struct tap_test tests[] = {
	{ "nobody_cannot_reach_xhcid_memory", t_nobody_memory, 30 },
	{ "nobody_cannot_signal_xhcid", t_nobody_signal, 30 },
	{ "paths_and_flags", t_paths_flags, 30 },
	{ "op_matrix_every_handle_every_length", t_op_matrix, 300 },
	{ "dup_suffixes", t_dup_suffixes, 30 },
	{ "control_filter", t_control_filter, 60 },
	{ "config_and_alt_garbage", t_config_garbage, 60 },
	{ "stall_then_set_config", t_stall_then_set_config, 180 },
	{ "rdonly_handle_after_set_config", t_rdonly_after_set_config, 30 },
	{ "scm_rights_owner_handle", t_scm_rights, 30 },
	{ "dying_clients_and_cancel_storms", t_dying_clients, 240 },
	{ "queue_flood_others_still_served", t_queue_flood, 120 },
	/* last: they unplug the keyboard (and plug it back) */
	{ "rdonly_handle_after_replug", t_rdonly_after_replug, 60 },
	{ "handle_flood_then_hotplug", t_handle_flood, 600 },
	{ "handle_flood_xhcid_cpu", t_handle_flood_xhcid_cpu, 10 },
	{ "handle_flood_port_change_latency", t_handle_flood_latency, 10 },
};

int main(int argc, char **argv)
{
	const char *only = NULL;
	int i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--monitor") && i + 1 < argc) {
			xt.monitor = argv[++i];
		} else if (!strcmp(argv[i], "--quick")) {
			xt.quick = 1;
		} else if (argv[i][0] == '-' || only) {
			fprintf(stderr, "usage: xhcid_attack [--quick] [--monitor TTY] [name-substring]\n");
			return 2;
		} else {
			only = argv[i];
		}
	}
	return tap_run("xhcid-attack", tests, sizeof(tests) / sizeof(tests[0]), only);
}
