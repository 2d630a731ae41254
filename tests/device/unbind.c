// SPDX-License-Identifier: MIT
/*
 * The device suite (device.h): unbinding during a session revokes it
 * (SIGBUS, -ENODEV, EPOLLERR|EPOLLHUP).
 */
#include "device.h"

/* A child reads *p: 0 when that faulted (SIGBUS), 1 when it read fine, -1 else. */
static void on_sigbus(int sig)
{
	(void)sig;
	_exit(77);
}

int touch_faults(volatile uint8_t *p)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_sigbus;
		sigaction(SIGBUS, &sa, NULL);
		sigaction(SIGSEGV, &sa, NULL);
		(void)*p;
		_exit(0);
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if ((WIFEXITED(status) && WEXITSTATUS(status) == 77) ||
	    (WIFSIGNALED(status) && (WTERMSIG(status) == SIGBUS || WTERMSIG(status) == SIGSEGV)))
		return 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return 1;
	fprintf(stderr, "  reading a mapping: %s %d\n", WIFEXITED(status) ? "exit" : "signal",
		WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
	return -1;
}

int test_unbind_revokes_session(void)
{
	struct uscheme_pci_info in;
	struct uscheme_dma d;
	struct pollfd pfd;
	struct xhc x;
	uint8_t b[4];
	char p[256], drv[64];
	int dma, cmd;
	uint8_t *dm;

	NEED(g_msix);
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_start(&x, -1, USCHEME_IRQ_MSIX), 0);
	CHECK_EQ(xhc_noop_round(&x), 0);
	dma = dma_alloc(x.fn, PAGE, &d);
	CHECK(dma >= 0);
	dm = map(dma, PAGE, 0, MAP_SHARED);
	CHECK(dm != NULL);
	dm[0] = 1;
	CHECK_EQ(touch_faults(x.mmio), 1);	/* live: the child reads fine */
	CHECK_EQ(touch_faults(dm), 1);

	/* unbind while the session runs */
	snprintf(p, sizeof(p), SYS_PCI "/drivers/uscheme/unbind");
	CHECK_EQ(write_text(p, g_msix), 0);
	CHECK_EQ(driver_of(g_msix, drv, sizeof(drv)), 0);
	cmd = sysfs_cfg16(g_msix, CFG_COMMAND);
	CHECK(cmd >= 0 && !(cmd & CMD_MASTER));
	/* every call fails with -ENODEV */
	CHECK_EQ(fn_info(x.fn, &in), -ENODEV);
	CHECK_EQ(xpread(x.fn, b, 4, 0), -ENODEV);
	CHECK_EQ(xpread(x.bar, b, 4, 0), -ENODEV);
	CHECK_EQ(fn_master(x.fn, 1), -ENODEV);
	CHECK_EQ(dma_alloc(x.fn, PAGE, &d), -ENODEV);
	CHECK_EQ(bar_open(x.fn, 0), -ENODEV);
	CHECK_EQ(irq_read(x.irq), -ENODEV);
	/* the interrupt fd hangs up */
	pfd.fd = x.irq;
	pfd.events = POLLIN;
	pfd.revents = 0;
	CHECK_EQ(poll(&pfd, 1, 0), 1);
	CHECK_EQ(pfd.revents & (POLLERR | POLLHUP), POLLERR | POLLHUP);
	/* the mappings are gone: SIGBUS */
	CHECK_EQ(touch_faults(x.mmio), 0);
	CHECK_EQ(touch_faults(dm), 0);
	/* and the function cannot be opened */
	snprintf(p, sizeof(p), "pcidev:%s", g_msix);
	CHECK_EQ(us_open(p, O_RDWR), -ENOENT);
	munmap(dm, PAGE);
	close(dma);
	xhc_close(&x);

	/* bound again, a new session works */
	NEED(g_msix);
	xhc_init(&x, g_msix);
	CHECK_EQ(xhc_start(&x, -1, USCHEME_IRQ_MSIX), 0);
	CHECK_EQ(xhc_noop_round(&x), 0);
	CHECK_EQ(fn_master(x.fn, 0), 0);
	xhc_close(&x);
	return 0;
}

