// SPDX-License-Identifier: MIT
/*
 * The device suite (device.h): the pcidev: scheme: OPEN errors, the
 * directory.
 */
#include "device.h"

/* the scheme and the function handle                                  */

int test_pcidev_open_errors(void)
{
	char path[64];
	int fd, fd2;

	NEED(g_msix);
	snprintf(path, sizeof(path), "pcidev:%s", g_msix);
	CHECK_EQ(us_open(path, O_RDONLY), -EACCES);
	CHECK_EQ(us_open(path, O_WRONLY), -EACCES);
	CHECK_EQ(us_open("pcidev:0000:00:1f.6", O_RDWR), -ENOENT);
	CHECK_EQ(us_open("pcidev:nonsense", O_RDWR), -ENOENT);
	if (g_other[0]) {
		snprintf(path, sizeof(path), "pcidev:%s", g_other);
		CHECK_EQ(us_open(path, O_RDWR), -ENOENT);	/* not bound to uscheme */
		snprintf(path, sizeof(path), "pcidev:%s", g_msix);
	}
	fd = fn_open(g_msix);
	CHECK(fd >= 0);
	/* one session at a time, also for the same process */
	CHECK_EQ(us_open(path, O_RDWR), -EBUSY);
	fd2 = fcntl(fd, F_DUPFD_CLOEXEC, 0);	/* the same session: fine */
	CHECK(fd2 >= 0);
	close(fd);
	CHECK_EQ(us_open(path, O_RDWR), -EBUSY);	/* fd2 keeps it */
	close(fd2);
	fd = fn_open(g_msix);
	CHECK(fd >= 0);
	close(fd);
	return 0;
}

/* The "pcidev:" line for addr into out; 0, or -1 when none (said, if loud). */
static int pcidev_line(const char *addr, char *out, size_t n, bool loud)
{
	char *list = NULL, *line;
	int fd = us_open("pcidev:", O_RDONLY | O_CLOEXEC), ret = -1;

	if (fd < 0) {
		fprintf(stderr, "  open pcidev: %s\n", strerror(-fd));
		return -1;
	}
	if (us_read_all(fd, &list, NULL)) {
		close(fd);
		return -1;
	}
	close(fd);
	for (line = list; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		size_t len = strcspn(line, "\n");

		if (!strncmp(line, addr, strlen(addr)) && line[strlen(addr)] == ' ') {
			snprintf(out, n, "%.*s", (int)len, line);
			ret = 0;
		}
	}
	if (ret && loud)
		fprintf(stderr, "  pcidev: has no line for %s:\n%s", addr, list);
	free(list);
	return ret;
}

static int ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);

	return a >= b && !strcmp(s + a - b, tail);
}

int test_pcidev_directory(void)
{
	char line[256], ids[32], cls[32];
	int fd;

	NEED(g_msix);
	NEED(g_intx);
	CHECK_EQ(pcidev_line(g_msix, line, sizeof(line), true), 0);
	fprintf(stderr, "  pcidev: %s\n", line);
	snprintf(ids, sizeof(ids), " %04llx:%04llx ", dev_num(g_msix, "vendor"),
		 dev_num(g_msix, "device"));
	snprintf(cls, sizeof(cls), "%06llx", dev_num(g_msix, "class"));
	CHECK(strcasestr(line, ids) != NULL);
	CHECK(strcasestr(line, cls) != NULL);
	CHECK(ends_with(line, " free"));
	CHECK_EQ(pcidev_line(g_intx, line, sizeof(line), true), 0);
	CHECK(ends_with(line, " free"));
	fd = fn_open(g_msix);
	CHECK(fd >= 0);
	CHECK_EQ(pcidev_line(g_msix, line, sizeof(line), true), 0);
	CHECK(ends_with(line, " busy"));
	CHECK_EQ(pcidev_line(g_intx, line, sizeof(line), true), 0);
	CHECK(ends_with(line, " free"));
	close(fd);
	if (g_other[0])
		CHECK(pcidev_line(g_other, line, sizeof(line), false) != 0);
	return 0;
}
