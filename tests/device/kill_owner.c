// SPDX-License-Identifier: MIT
/*
 * The device suite (device.h): lifetimes: a session owner killed with the
 * controller running.
 */
#include "device.h"

/* ------------------------------------------------------------------ */
/* lifetimes                                                           */

/* A child that runs the controller, says 'R' and waits to be killed. */
static void running_owner(const char *addr, int wfd)
{
	struct xhc x;
	char c = 'F';

	xhc_init(&x, addr);
	if (!xhc_start(&x, -1, USCHEME_IRQ_MSIX) && !xhc_noop_round(&x)) {
		/* one more command queued: the controller has work in flight */
		xhc_noop(&x);
		c = 'R';
	}
	if (write(wfd, &c, 1) != 1)
		_exit(2);
	for (;;)
		pause();
}

int test_kill_owner_stops_master(void)
{
	uint8_t cfg[256];
	struct pollfd pfd;
	unsigned int msix;
	int p[2], status, i;
	struct xhc x;
	pid_t pid;
	char c = 0;

	NEED(g_msix);
	CHECK_EQ(pipe(p), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		close(p[0]);
		running_owner(g_msix, p[1]);
		_exit(3);
	}
	close(p[1]);
	pfd.fd = p[0];
	pfd.events = POLLIN;
	CHECK_EQ(poll(&pfd, 1, 20000), 1);
	CHECK_EQ(read(p[0], &c, 1), 1);
	close(p[0]);
	if (c != 'R') {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		fprintf(stderr, "  the owner could not run the controller\n");
		return -1;
	}
	CHECK_EQ(sysfs_config(g_msix, cfg, sizeof(cfg)), 256);
	CHECK(le16(cfg + CFG_COMMAND) & CMD_MASTER);
	CHECK_EQ(kill(pid, SIGKILL), 0);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
	/* the session ended: mastering off, MSI-X off (teardown may lag exit a moment) */
	for (i = 0; i < 200; i++) {
		CHECK_EQ(sysfs_config(g_msix, cfg, sizeof(cfg)), 256);
		if (!(le16(cfg + CFG_COMMAND) & CMD_MASTER))
			break;
		usleep(10000);
	}
	if (i)
		fprintf(stderr, "  note: MASTER cleared %d ms after the owner was reaped\n", i * 10);
	CHECK_EQ(le16(cfg + CFG_COMMAND) & CMD_MASTER, 0);
	msix = find_cap(cfg, CAP_ID_MSIX);
	CHECK(msix != 0);
	CHECK_EQ(le16(cfg + msix + 2) & MSIX_ENABLE, 0);
	/* a new session works: reset, rings, No Op */
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_start(&x, -1, USCHEME_IRQ_MSIX), 0);
	CHECK_EQ(xhc_noop_round(&x), 0);
	CHECK_EQ(fn_master(x.fn, 0), 0);
	xhc_close(&x);
	return 0;
}
