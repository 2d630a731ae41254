// SPDX-License-Identifier: MIT
/*
 * pciprobe: the stand-in driver pcid spawns until xhcid exists. Through its
 * channel only (pcidrv.h) it reads the function's info, maps BAR0 and
 * prints an xHCI controller's capability registers, takes a DMA buffer, an
 * interrupt vector and the function handle, then tries what a driver must
 * not be able to do (another function's channel or config, pcidev:
 * directly, sysfs) and reports each refusal. Then it waits: SIGTERM or
 * SIGINT ends it (exit 0); losing its channel (pcid gone) too, with a clear
 * message (exit 3).
 *
 * Started by a rule with scheme= (USCHEME_SCHEME set: pcid registered a
 * scheme ring for it, fd 4), it serves that scheme while it waits, with
 * libuscheme's daemon framework on the inherited ring: one read-only file,
 * "info" ("pciprobe ADDR: pid N, uid U, gid G\n"); every other path is
 * -ENOENT. The same wait: its signalfd and its channel, watched from the
 * daemon loop (FILES_UPDATE).
 *
 *   pciprobe [--channel FD] [--once] ADDRESS
 *
 * Exit status: 0 stopped by a signal (or --once done), 1 failed, 2 usage,
 * 3 the channel was lost.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../libuscheme/daemon.h"
#include "../libuscheme/libuscheme.h"
#include "../libpcidrv/pcidrv.h"

static const char *prog = "pciprobe";
static char addr[PCID_ADDR_MAX] = "?";
static unsigned int refused, allowed;

/* One line, one write: drivers of several functions share pcid's stderr. */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n, m;

	n = snprintf(line, sizeof(line), "%s: %s: ", prog, addr);
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

static const char *why(int err)
{
	static char buf[160];
	const char *n = strerrorname_np(err < 0 ? -err : err);

	snprintf(buf, sizeof(buf), "%s (%s)", strerror(err < 0 ? -err : err), n ? n : "?");
	return buf;
}

/* Something a driver must not get: res < 0 is the refusal we want; else an fd. */
static void must_refuse(const char *what, int res)
{
	if (res < 0) {
		refused++;
		say("refused: %s: %s", what, why(res));
	} else {
		allowed++;
		say("ALLOWED (a hole!): %s", what);
		if (res > 2)
			close(res);
	}
}

static int sys_open(const char *path, int flags)
{
	int fd = open(path, flags | O_CLOEXEC);

	return fd < 0 ? -errno : fd;
}

/* Another function than ours, from the pci: listing, or "" if none. */
static void other_function(char *out, size_t len)
{
	char *text = NULL, *line;
	int fd = us_open("pci:", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	out[0] = 0;
	if (fd < 0) {
		say("cannot list pci:: %s", why(fd));
		return;
	}
	if (!us_read_all(fd, &text, NULL)) {
		for (line = text; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
			size_t n = strcspn(line, " \n");

			if (n && n < len && strncmp(line, addr, n)) {
				memcpy(out, line, n);
				out[n] = 0;
				break;
			}
		}
	}
	free(text);
	close(fd);
}

static void probe_limits(int ch)
{
	char other[PCID_ADDR_MAX], path[128];
	int fd;

	snprintf(path, sizeof(path), "pcidev:%s", addr);
	must_refuse(path, us_open(path, O_RDWR | O_CLOEXEC));
	snprintf(path, sizeof(path), "pci:%s/channel", addr);
	fd = us_open(path, O_RDWR | O_CLOEXEC);
	snprintf(path, sizeof(path), "pci:%s/channel (its own, a second time)", addr);
	must_refuse(path, fd);
	other_function(other, sizeof(other));
	if (other[0]) {
		snprintf(path, sizeof(path), "pci:%s/channel", other);
		must_refuse(path, us_open(path, O_RDWR | O_CLOEXEC));
		snprintf(path, sizeof(path), "pcidev:%s", other);
		must_refuse(path, us_open(path, O_RDWR | O_CLOEXEC));
		snprintf(path, sizeof(path), "pci:%s/config", other);
		fd = us_open(path, O_WRONLY | O_CLOEXEC);
		snprintf(path, sizeof(path), "pci:%s/config (for writing)", other);
		must_refuse(path, fd);
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", other);
		must_refuse(path, sys_open(path, O_WRONLY));
		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/resource0", other);
		if (!access(path, F_OK))
			must_refuse(path, sys_open(path, O_RDWR));
	} else {
		say("no other function to try");
	}
	/* Its own channel's DUPs that are no device handle. */
	must_refuse("dup \"\" of the channel", us_dup(ch, "", O_CLOEXEC));
	must_refuse("dup \"bar9\" of the channel", us_dup(ch, "bar9", O_CLOEXEC));
	must_refuse("dup \"../0000:00:00.0/channel\"", us_dup(ch, "../0000:00:00.0/channel", O_CLOEXEC));
}

static void print_caps(volatile uint32_t *r, uint32_t class_code)
{
	uint32_t w0 = r[0], sp1 = r[1], sp2 = r[2], sp3 = r[3], cp1 = r[4];

	if (class_code != 0x0c0330) {
		say("BAR0 dwords 0-4: %08x %08x %08x %08x %08x", w0, sp1, sp2, sp3, cp1);
		return;
	}
	say("xHCI capability registers: CAPLENGTH 0x%02x HCIVERSION 0x%04x", w0 & 0xff, w0 >> 16);
	say("  HCSPARAMS1 0x%08x: MaxSlots %u, MaxIntrs %u, MaxPorts %u", sp1, sp1 & 0xff,
	    (sp1 >> 8) & 0x7ff, sp1 >> 24);
	say("  HCSPARAMS2 0x%08x: IST %u, ERST Max %u, Max Scratchpad Bufs %u", sp2, sp2 & 0xf,
	    (sp2 >> 4) & 0xf, ((sp2 >> 21) & 0x1f) << 5 | sp2 >> 27);
	say("  HCSPARAMS3 0x%08x: U1 latency %u us, U2 latency %u us", sp3, sp3 & 0xff, sp3 >> 16);
	say("  HCCPARAMS1 0x%08x: AC64 %u, CSZ %u (%u-byte contexts), xECP 0x%x", cp1, cp1 & 1,
	    (cp1 >> 2) & 1, (cp1 >> 2) & 1 ? 64 : 32, (cp1 >> 16) << 2);
}

static int probe(int ch)
{
	struct uscheme_pci_info info;
	struct uscheme_irq_setup irq;
	struct pcidrv_dma dma;
	volatile uint32_t *regs;
	size_t len = 4096;
	uint16_t ids[2];
	int err, fd;
	unsigned int i;

	err = pcidrv_info(ch, &info);
	if (err) {
		say("channel info: %s", why(err));
		return 1;
	}
	say("%04x:%04x class %06x rev %02x, config space %u bytes, irq modes%s%s%s",
	    info.vendor, info.device, info.class_code, info.revision, info.cfg_size,
	    info.irq_modes & USCHEME_IRQ_MSIX ? " msix" : "",
	    info.irq_modes & USCHEME_IRQ_MSI ? " msi" : "",
	    info.irq_modes & USCHEME_IRQ_INTX ? " intx" : "");
	for (i = 0; i < USCHEME_PCI_BARS; i++)
		if (info.bars[i].size)
			say("BAR%u: %s, %" PRIu64 " bytes%s", i,
			    info.bars[i].flags & USCHEME_BAR_MEM ? "memory" : "I/O",
			    (uint64_t)info.bars[i].size,
			    info.bars[i].flags & USCHEME_BAR_MSIX ? " (holds MSI-X)" : "");

	regs = pcidrv_map_bar(ch, 0, 0, &len, NULL);
	if (!regs) {
		say("cannot map BAR0: %s", why(-errno));
		return 1;
	}
	say("BAR0 mapped through the channel (%zu bytes)", len);
	print_caps(regs, info.class_code);
	munmap((void *)regs, len);

	fd = pcidrv_function(ch);
	if (fd < 0) {
		say("dup \"function\": %s", why(fd));
		return 1;
	}
	if (pread(fd, ids, sizeof(ids), 0) != (ssize_t)sizeof(ids) ||
	    ids[0] != info.vendor || ids[1] != info.device) {
		say("function handle: config read does not give %04x:%04x", info.vendor, info.device);
		close(fd);
		return 1;
	}
	say("function handle: config space reads %04x:%04x", ids[0], ids[1]);
	/* The kernel refuses writes to the IDs, even through our own handle. */
	must_refuse("pwrite of the vendor ID through the function handle",
		    pwrite(fd, ids, 2, 0) < 0 ? -errno : 0);
	close(fd);

	err = pcidrv_dma_alloc(ch, 4096, &dma);
	if (err) {
		say("DMA buffer: %s", why(err));
		return 1;
	}
	memset(dma.map, 0x5a, dma.size);
	say("DMA buffer: %zu bytes at bus address 0x%" PRIx64, dma.size, dma.bus);
	pcidrv_dma_free(&dma);

	err = pcidrv_irq_setup(ch, USCHEME_IRQ_AUTO, 1, &irq);
	if (err) {
		say("interrupt setup: %s", why(err));
		return 1;
	}
	fd = pcidrv_irq(ch, 0);
	if (fd < 0) {
		say("interrupt vector 0: %s", why(fd));
		return 1;
	}
	say("interrupts: %s, %u vector%s, vector 0 is fd %d",
	    irq.mode == USCHEME_IRQ_MSIX ? "MSI-X" : irq.mode == USCHEME_IRQ_MSI ? "MSI" : "INTx",
	    irq.nvec, irq.nvec == 1 ? "" : "s", fd);
	close(fd);
	err = pcidrv_master(ch, 1);
	if (!err)
		err = pcidrv_master(ch, 0);
	if (err) {
		say("bus mastering: %s", why(err));
		return 1;
	}
	say("bus mastering on and off again");
	return 0;
}

/* Wait for SIGTERM/SIGINT or the channel's hangup, on a ring (FILES_UPDATE). */
static int wait_loop(int ch, const sigset_t *set)
{
	struct uscheme_fu_entry e[2];
	struct uscheme_cqe *cqe;
	struct us_ring ring;
	int sfd, err, ret = -1;

	sfd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		say("signalfd: %s", why(-errno));
		return 1;
	}
	err = us_ring_init(&ring, 8, 0, 0);
	if (err) {
		say("ring: %s", why(err));
		close(sfd);
		return 1;
	}
	us_fu_entry(&e[0], sfd, USCHEME_EV_READ, USCHEME_FU_ADD, 1);
	us_fu_entry(&e[1], ch, USCHEME_EV_READ, USCHEME_FU_ADD, 2);
	us_prep_files_update(us_get_sqe(&ring), e, 2, 0);
	err = us_submit(&ring);
	if (err < 0) {
		say("FILES_UPDATE: %s", why(err));
		goto out;
	}
	while (ret < 0) {
		err = us_wait_cqe(&ring, &cqe, -1);
		if (err == -EINTR)
			continue;
		if (err) {
			say("waiting: %s", why(err));
			ret = 1;
			break;
		}
		if (!(cqe->flags & USCHEME_CQE_F_EVENT)) {	/* the FILES_UPDATE itself */
			if (cqe->res != 2 || e[0].res || e[1].res) {
				say("FILES_UPDATE: %d (%d, %d)", cqe->res, e[0].res, e[1].res);
				ret = 1;
			}
		} else if (cqe->user_data == 1) {
			struct signalfd_siginfo si;

			if (read(sfd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
				say("stopping on %s", strsignal((int)si.ssi_signo));
				ret = 0;
			}
		} else if (cqe->user_data == 2 && cqe->res < 0) {
			say("the channel's watch ended: %s", why(cqe->res));
			ret = 3;
		} else if (cqe->user_data == 2 &&
			   (cqe->res & (USCHEME_EV_ERR | USCHEME_EV_HUP))) {
			struct uscheme_pci_info info;

			err = pcidrv_info(ch, &info);
			say("lost the channel to pcid: %s; exiting", err ? why(err) :
			    "it hung up");
			ret = 3;
		}
		us_cqe_seen(&ring);
	}
out:
	us_ring_exit(&ring);
	close(sfd);
	return ret < 0 ? 1 : ret;
}

/* ---- serving the inherited scheme (USCHEME_SCHEME set) ---- */

static struct {
	int ret;		/* -1 while serving */
	char text[160];		/* "info" */
	size_t len;
} S;

static int s_open(struct us_daemon *d, const struct uscheme_req *req, const char *path,
		  void **state)
{
	(void)d;
	if (strcmp(path, "info"))
		return -ENOENT;
	if (req->op_flags & O_ACCMODE)
		return -EACCES;
	*state = NULL;
	return 0;
}

static int s_read(struct us_daemon *d, const struct uscheme_req *req, void *state,
		  void *buf, size_t len, uint64_t off)
{
	(void)d;
	(void)req;
	(void)state;
	if (off >= S.len)
		return 0;
	if (len > S.len - off)
		len = S.len - off;
	memcpy(buf, S.text + off, len);
	return (int)len;
}

static int s_fstat(struct us_daemon *d, const struct uscheme_req *req, void *state,
		   struct uscheme_stat *st)
{
	(void)d;
	(void)req;
	(void)state;
	st->mode = S_IFREG | 0444;
	st->size = S.len;
	st->nlink = 1;
	return 0;
}

static const struct us_scheme_ops serve_ops = {
	.open = s_open,
	.read = s_read,
	.fstat = s_fstat,
};

static void on_signal(struct us_daemon *d, int fd, int events, void *ctx)
{
	struct signalfd_siginfo si;

	(void)ctx;
	if (events < 0)
		return;
	if (read(fd, &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		say("stopping on %s", strsignal((int)si.ssi_signo));
		S.ret = 0;
		us_daemon_stop(d);
	}
}

static void on_channel(struct us_daemon *d, int fd, int events, void *ctx)
{
	struct uscheme_pci_info info;
	int err;

	(void)ctx;
	if (events < 0) {
		say("the channel's watch ended: %s", why(events));
	} else if (events & (USCHEME_EV_ERR | USCHEME_EV_HUP)) {
		err = pcidrv_info(fd, &info);
		say("lost the channel to pcid: %s; exiting", err ? why(err) : "it hung up");
	} else {
		return;
	}
	S.ret = 3;
	us_daemon_stop(d);
}

/* Serve the scheme pcid registered for us until a signal or the channel's loss. */
static int serve_loop(int ch, const sigset_t *set)
{
	struct us_daemon d;
	int sfd, err, n;

	err = us_daemon_init_inherited(&d, NULL, &serve_ops, NULL, NULL);
	if (err) {
		us_daemon_perror(prog, &d, err);
		return 1;
	}
	n = snprintf(S.text, sizeof(S.text), "pciprobe %s: pid %d, uid %u, gid %u\n", addr,
		     (int)getpid(), (unsigned int)getuid(), (unsigned int)getgid());
	S.len = n > 0 && (size_t)n < sizeof(S.text) ? (size_t)n : 0;
	S.ret = -1;
	sfd = signalfd(-1, set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sfd < 0) {
		say("signalfd: %s", why(-errno));
		us_daemon_exit(&d);
		return 1;
	}
	err = us_daemon_watch(&d, sfd, USCHEME_EV_READ, on_signal, NULL);
	if (!err)
		err = us_daemon_watch(&d, ch, USCHEME_EV_READ, on_channel, NULL);
	if (err) {
		say("watching its signalfd and channel: %s", why(err));
		S.ret = 1;
	} else {
		say("serving %s: on the scheme ring pcid passed (fd %d); waiting for SIGTERM",
		    d.name, d.ring.fd);
	}
	while (S.ret < 0 && !us_daemon_stopped(&d)) {
		err = us_daemon_run_once(&d, -1);
		if (err < 0 && err != -EINTR && err != -ETIME) {
			say("serving %s: %s", d.name, why(err));
			S.ret = 1;
		}
	}
	us_daemon_exit(&d);
	close(sfd);
	return S.ret < 0 ? 1 : S.ret;
}

static int usage(FILE *f)
{
	fprintf(f,
		"usage: %s [--channel FD] [--once] ADDRESS\n"
		"A probe driver for pcid: through its channel (fd FD, default $%s), maps\n"
		"BAR0 and prints an xHCI controller's capability registers, takes a DMA\n"
		"buffer, an interrupt and the function handle, reports that what it must\n"
		"not reach is refused, then waits for SIGTERM (or, with --once, exits).\n"
		"With $%s set (pcid's scheme= rules), serves that scheme while it waits:\n"
		"one file, \"info\".\n"
		"Exit: 0 stopped, 1 failed, 2 usage, 3 lost the channel (pcid gone).\n",
		prog, PCID_ENV_CHANNEL, USCHEME_SCHEME);
	return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "once", no_argument, NULL, 'o' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *chan_arg = NULL;
	bool once = false;
	sigset_t set;
	int c, ch, r;

	/* SIGTERM/SIGINT wait for the signalfd of wait_loop, even during startup. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			chan_arg = optarg;
			break;
		case 'o':
			once = true;
			break;
		case 'h':
			return usage(stdout);
		default:
			return usage(stderr);
		}
	}
	if (optind != argc - 1)
		return usage(stderr);
	snprintf(addr, sizeof(addr), "%s", argv[optind]);
	ch = pcidrv_channel(chan_arg);
	if (ch < 0) {
		say("no channel: give --channel FD or set %s", PCID_ENV_CHANNEL);
		return 2;
	}
	say("pid %d, uid %u, gid %u, channel fd %d", (int)getpid(), (unsigned int)getuid(),
	    (unsigned int)getgid(), ch);
	r = probe(ch);
	if (r)
		return r;
	probe_limits(ch);
	say("%u of %u attempts beyond its own device refused%s", refused, refused + allowed,
	    allowed ? " (SOME WERE ALLOWED)" : "");
	if (once)
		return allowed ? 1 : 0;
	if (getenv(USCHEME_SCHEME))
		return serve_loop(ch, &set);
	say("ready; waiting for SIGTERM");
	return wait_loop(ch, &set);
}
