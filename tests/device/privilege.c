// SPDX-License-Identifier: MIT
/*
 * The device suite (device.h): privilege: opening needs CAP_SYS_RAWIO, an
 * inherited handle does not.
 */
#include "device.h"

static int child_status(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (!WIFEXITED(status)) {
		fprintf(stderr, "  child killed by signal %d\n", WTERMSIG(status));
		return -1;
	}
	return WEXITSTATUS(status);
}

int test_unprivileged_open_refused(void)
{
	char path[64];
	pid_t pid;
	int fd;

	NEED(g_msix);
	snprintf(path, sizeof(path), "pcidev:%s", g_msix);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		int r;

		if (drop_privileges())
			_exit(10);
		r = us_open(path, O_RDWR);
		if (r != -EPERM) {
			fprintf(stderr, "  uid 65534 without capabilities: open %s: %s\n", path,
				r >= 0 ? "succeeded" : strerror(-r));
			_exit(11);
		}
		_exit(0);
	}
	CHECK_EQ(child_status(pid), 0);
	/* the refusal left no session behind */
	fd = fn_open(g_msix);
	CHECK(fd >= 0);
	close(fd);
	return 0;
}

static int unpriv_user(int fn)
{
	struct uscheme_pci_info in;
	struct uscheme_dma d;
	volatile uint8_t *m;
	uint8_t b[4];
	int bar, dma;

	CHECK_EQ(fn_info(fn, &in), 0);
	CHECK_EQ(in.class_code, 0x0c0330);
	CHECK_EQ(xpread(fn, b, 4, 0), 4);
	CHECK_EQ(b[0] | b[1] << 8, in.vendor);
	bar = bar_open(fn, 0);
	CHECK(bar >= 0);
	m = map(bar, PAGE, 0, MAP_SHARED);
	CHECK(m != NULL);
	CHECK_EQ(rd32(m, 0) >> 16, 0x100);
	munmap((void *)m, PAGE);
	dma = dma_alloc(fn, PAGE, &d);
	CHECK(dma >= 0);
	close(dma);
	close(bar);
	return 0;
}

int test_unprivileged_inherited_handle(void)
{
	pid_t pid;
	int fn;

	NEED(g_msix);
	fn = fn_open(g_msix);
	CHECK(fn >= 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (drop_privileges())
			_exit(10);
		_exit(unpriv_user(fn) ? 11 : 0);
	}
	CHECK_EQ(child_status(pid), 0);
	close(fn);
	return 0;
}

