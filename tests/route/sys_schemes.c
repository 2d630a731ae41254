// SPDX-License-Identifier: MIT
/* The route suite (route.h): the sys:schemes listing. */
#include "route.h"

/* ------------------------------------------------------------------ */
/* sys:schemes                                                         */
/* ------------------------------------------------------------------ */

/* Read a whole kernel-served file; its length or -errno. */
static long read_all(int fd, char *buf, size_t size)
{
	size_t n = 0;

	for (;;) {
		ssize_t r = read(fd, buf + n, size - 1 - n);

		if (r < 0)
			return -errno;
		if (r == 0)
			break;
		n += (size_t)r;
		if (n >= size - 1)
			break;
	}
	buf[n] = '\0';
	return (long)n;
}

/* Find name's line; 0 with its fields, -1 if absent. */
static int schemes_line(const char *list, const char *name, unsigned long long v[6])
{
	const char *line = list;

	while (*line) {
		char got[USCHEME_NAME_MAX + 1];
		unsigned long long pid;
		const char *nl = strchr(line, '\n');

		if (sscanf(line, "%64s %llu %llu %llu %llu %llu %llu", got, &pid, &v[1], &v[2],
			   &v[3], &v[4], &v[5]) == 7 && !strcmp(got, name)) {
			v[0] = pid;
			return 0;
		}
		if (!nl)
			break;
		line = nl + 1;
	}
	return -1;
}

int t_sys_schemes(void)
{
	static char list[65536];
	unsigned long long v[6];
	unsigned char b[16];
	struct daemon dm;
	struct us_ring r;
	int fd, h;
	long n;

	dname(&dm, "sys");
	CHECK_EQ(dstart(&dm, 0, 0), 0);
	h = d_open(&dm, "plain", O_RDONLY);
	CHECK(h >= 0);
	CHECK_EQ(pread(h, b, sizeof(b), 0), (ssize_t)sizeof(b));
	fd = h_open("sys:schemes", O_RDONLY);
	CHECK(fd >= 0);
	n = read_all(fd, list, sizeof(list));
	CHECK(n > 0);
	CHECK_EQ(list[n - 1], '\n');
	close(fd);
	if (schemes_line(list, dm.name, v)) {
		fprintf(stderr, "  %s not in sys:schemes:\n%s", dm.name, list);
		return -1;
	}
	CHECK_EQ(v[0], dm.pid);
	CHECK(v[1] >= 2);	/* requests: OPEN, READ */
	CHECK(v[2] >= 2);	/* responses */
	CHECK_EQ(v[3], 0);	/* rejected */
	CHECK_EQ(v[4], 0);	/* queued */
	CHECK_EQ(v[5], 0);	/* in flight */
	/* through a ring too */
	CHECK_EQ(cring(&r, 4), 0);
	fd = rop(&r, USCHEME_OP_OPEN, 0, 0, "sys:schemes", 12, O_RDONLY, NULL, 0);
	CHECK(fd >= 0);
	CHECK(read_all(fd, list, sizeof(list)) > 0);
	CHECK_EQ(schemes_line(list, dm.name, v), 0);
	close(fd);
	us_ring_exit(&r);
	/* "sys:" lists "schemes" */
	fd = h_open("sys:", O_RDONLY);
	CHECK(fd >= 0);
	n = read_all(fd, list, sizeof(list));
	CHECK_EQ(n, 8);
	CHECK_EQ(strcmp(list, "schemes\n"), 0);
	close(fd);
	close(h);
	CHECK_EQ(dstop(&dm), 0);
	/* the scheme leaves the list with its daemon */
	fd = h_open("sys:schemes", O_RDONLY);
	CHECK(fd >= 0);
	CHECK(read_all(fd, list, sizeof(list)) >= 0);
	CHECK(schemes_line(list, dm.name, v) < 0);
	close(fd);
	return 0;
}

