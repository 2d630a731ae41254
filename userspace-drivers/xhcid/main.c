// SPDX-License-Identifier: MIT
/*
 * xhcid: the xHCI driver pcid spawns for class 0c0330, unprivileged, with
 * its channel (fd 3) and, from pcid, the scheme ring of "usb.ADDRESS"
 * (fd 4, described by $USCHEME_SCHEME). Run by hand as root it registers
 * the scheme itself.
 *
 *   xhcid [--channel FD] [--scheme NAME] [--config FILE] ADDRESS
 *
 * One wait: the daemon loop (libuscheme daemon.h) sleeps on its client
 * ring, where FILES_UPDATE watches the scheme ring, the interrupt fd and
 * the channel. An interrupt runs the event ring (hc.c); port changes it
 * saw are handled after the pass (device.c). An idle xhcid is asleep.
 *
 * Exit status: 0 stopped by SIGTERM/SIGINT, 1 failed, 2 usage, 3 the
 * channel was lost (pcid is gone).
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "../libpcidrv/pcisysfs.h"
#include "xhcid.h"

static struct hc hc;
static int lost_channel;

static void usage(FILE *f)
{
	fprintf(f, "usage: xhcid [--channel FD] [--scheme NAME] [--config FILE] [--trace FILE] ADDRESS\n"
		"  ADDRESS       the controller's PCI address (0000:00:04.0)\n"
		"  --channel FD  its pcid channel (default: $" PCID_ENV_CHANNEL ")\n"
		"  --scheme NAME the scheme to register when pcid did not pass one\n"
		"                (default usb.ADDRESS with ':' as '-'; needs root)\n"
		"  --config FILE ask pcid for class drivers only where FILE's rules match\n"
		"                (pcid.conf's syntax; pcid's child-config= decides what\n"
		"                runs; default: ask for every interface)\n"
		"  --trace FILE  add each transfer's times to FILE's counters (make\n"
		"                bench-disk: bench/disktrace.h; FILE made beforehand)\n");
}

static void on_irq(struct us_daemon *d, int fd, int events, void *ctx)
{
	uint64_t n = 0;

	(void)ctx;
	if (events < 0 || (events & (USCHEME_EV_ERR | USCHEME_EV_HUP))) {
		hc_log(&hc, "the interrupt fd failed (device revoked?): stopping");
		hc.dead = true;
		us_daemon_stop(d);
		return;
	}
	if (read(fd, &n, sizeof(n)) != sizeof(n))
		n = 0;
	hc.interrupts += n;
	hc_interrupt(&hc);
	if (n && write(fd, &n, sizeof(n)) != sizeof(n))
		hc_log(&hc, "cannot acknowledge the interrupt: %s", strerror(errno));
	if (hc.dead)
		us_daemon_stop(d);
}

static void on_channel(struct us_daemon *d, int fd, int events, void *ctx)
{
	(void)fd;
	(void)ctx;
	if (events < 0 || (events & (USCHEME_EV_ERR | USCHEME_EV_HUP))) {
		hc_log(&hc, "lost the channel to pcid: exiting");
		lost_channel = 1;
		us_daemon_stop(d);
	}
}

static void on_timer(struct us_daemon *d, int fd, int events, void *ctx)
{
	(void)d;
	(void)fd;
	(void)ctx;
	if (events > 0)
		xfer_timer_fired(&hc);
}

static int serve(struct us_daemon *d)
{
	int err = 0;

	dev_handle_pending(&hc);
	while (!us_daemon_stopped(d)) {
		err = us_daemon_run_once(d, -1);
		if (err == -EINTR || err == -ETIME)
			err = 0;
		if (err < 0)
			break;
		err = 0;
		dev_handle_pending(&hc);
		if (hc.dead)
			break;
	}
	return err;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "channel", required_argument, NULL, 'c' },
		{ "scheme", required_argument, NULL, 's' },
		{ "config", required_argument, NULL, 'f' },
		{ "trace", required_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 }
	};
	const char *chan_arg = NULL, *scheme_arg = NULL, *conf_arg = NULL, *trace_arg = NULL, *desc;
	struct us_daemon_config cfg = { .sq_entries = 256 };
	char name[USCHEME_NAME_MAX];
	struct us_daemon d;
	int ch, c, err, status = 1;

	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			chan_arg = optarg;
			break;
		case 's':
			scheme_arg = optarg;
			break;
		case 'f':
			conf_arg = optarg;
			break;
		case 't':
			trace_arg = optarg;
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind != argc - 1 ||
	    pci_addr_canon(argv[optind], strlen(argv[optind]), hc.addr)) {
		usage(stderr);
		return 2;
	}
	/*
	 * Not dumpable: xhcid runs as an unprivileged uid (pcid's 65534 by
	 * default) that other processes may share (its class drivers do not:
	 * pcid runs them as their own). Dumpable, any of them could ptrace it,
	 * read and write its
	 * memory (process_vm_writev, /proc/PID/mem) or take its channel with
	 * pidfd_getfd: the whole controller and its DMA. (Signals are still
	 * theirs to send: see the README.)
	 */
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	hc.channel = -1;
	hc.irq_fd = -1;
	if (trace_arg && !(hc.trace = disktrace_open(trace_arg)))
		hc_log(&hc, "--trace %s: cannot map it (a regular file of at least %d bytes, "
		       "writable): not tracing", trace_arg, DISKTRACE_SIZE);
	hc.timer_fd = -1;
	ch = pcidrv_channel(chan_arg);
	if (ch < 0) {
		hc_log(&hc, "no channel (--channel FD or $%s): %s", PCID_ENV_CHANNEL,
		       strerror(-ch));
		return 2;
	}

	/* The scheme first: a name we cannot serve means nothing else is worth doing. */
	desc = getenv(USCHEME_SCHEME);
	if (desc) {
		err = us_daemon_init_inherited(&d, desc, &xhcid_scheme_ops, &hc, &cfg);
	} else {
		if (scheme_arg)
			snprintf(name, sizeof(name), "%s", scheme_arg);
		else if (usb_scheme_name(name, sizeof(name), hc.addr))
			return 2;
		err = us_daemon_init(&d, name, &xhcid_scheme_ops, &hc, &cfg);
	}
	if (err) {
		us_daemon_perror("xhcid", &d, err);
		return 1;
	}
	hc.d = &d;
	us_daemon_handle_signals(&d);
	if (classdrv_load(&hc, conf_arg)) {
		status = 2;
		goto out;
	}

	err = hc_start(&hc, ch, hc.addr);
	if (err) {
		hc_log(&hc, "controller bring-up failed: %s", strerror(-err));
		goto out;
	}
	err = us_daemon_watch(&d, hc.irq_fd, USCHEME_EV_READ, on_irq, NULL);
	if (!err)
		err = us_daemon_watch(&d, ch, USCHEME_EV_READ, on_channel, NULL);
	if (!err)
		err = xfer_timer_init(&hc);
	if (!err)
		err = us_daemon_watch(&d, hc.timer_fd, USCHEME_EV_READ, on_timer, NULL);
	if (err) {
		hc_log(&hc, "cannot watch the interrupt and the channel: %s", strerror(-err));
		goto out;
	}
	hc_log(&hc, "serving %s:", d.name);
	err = serve(&d);
	if (err)
		hc_log(&hc, "the scheme ring failed: %s", strerror(-err));
	else if (lost_channel)
		status = 3;
	else if (hc.dead)
		status = 1;
	else
		status = 0;
	if (us_daemon_signal())
		hc_log(&hc, "stopping on %s: %llu interrupts, %llu events, %llu transfers",
		       strsignal(us_daemon_signal()), (unsigned long long)hc.interrupts,
		       (unsigned long long)hc.events, (unsigned long long)hc.transfers);
out:
	classdrv_stop_all(&hc);
	/* Transfers still pending are failed by hc_stop (-ENODEV), then the ring closes. */
	hc_stop(&hc);
	us_daemon_exit(&d);
	return status;
}
