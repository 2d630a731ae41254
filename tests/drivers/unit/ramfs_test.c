// SPDX-License-Identifier: MIT
/*
 * ramfs (ramd's file tree) without a kernel: open(2) semantics, reads,
 * writes, sparse growth, O_APPEND, truncation, listings, dup, limits.
 *
 * Usage: ramfs_test [name-substring]
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>

#include "../../lib/tap.h"
#include "../../../userspace-drivers/schemes/ramfs.h"

#define CUR USCHEME_OFF_CURRENT

static struct ramfs *fs_new(void)
{
	return ramfs_new(1 << 20, 100, 0, 0);
}

static int t_open_rules(void)
{
	struct ramfs *fs = fs_new();
	struct ramfs_handle *h = NULL, *g = NULL;

	CHECK(fs);
	CHECK_EQ(ramfs_open(fs, "a", O_RDONLY, 0, 0, &h), -ENOENT);
	CHECK_EQ(ramfs_open(fs, "a", O_RDWR | O_CREAT, 1000, 100, &h), 0);
	ramfs_close(fs, h);
	CHECK_EQ(ramfs_open(fs, "a", O_RDWR | O_CREAT | O_EXCL, 0, 0, &h), -EEXIST);
	CHECK_EQ(ramfs_open(fs, "/a", O_RDONLY, 0, 0, &h), 0);	/* "/a" is "a" */
	ramfs_close(fs, h);
	CHECK_EQ(ramfs_open(fs, "a", O_RDONLY | O_DIRECTORY, 0, 0, &h), -ENOTDIR);
	CHECK_EQ(ramfs_open(fs, "a/", O_RDONLY, 0, 0, &h), -ENOTDIR);
	CHECK_EQ(ramfs_open(fs, "a/b", O_RDONLY, 0, 0, &h), -ENOTDIR);
	CHECK_EQ(ramfs_open(fs, "a/b", O_RDWR | O_CREAT, 0, 0, &h), -ENOTDIR);
	CHECK_EQ(ramfs_open(fs, "x/b", O_RDWR | O_CREAT, 0, 0, &h), -ENOENT);
	CHECK_EQ(ramfs_open(fs, "a", O_ACCMODE, 0, 0, &h), -EINVAL);

	/* Directories. */
	CHECK_EQ(ramfs_open(fs, "d", O_RDONLY | O_CREAT | O_DIRECTORY, 0, 0, &h), 0);
	ramfs_close(fs, h);
	CHECK_EQ(ramfs_open(fs, "d", O_RDONLY | O_CREAT | O_DIRECTORY, 0, 0, &h), 0);
	ramfs_close(fs, h);	/* an existing directory opens again */
	CHECK_EQ(ramfs_open(fs, "d", O_RDONLY | O_CREAT | O_DIRECTORY | O_EXCL, 0, 0, &h),
		 -EEXIST);
	CHECK_EQ(ramfs_open(fs, "d", O_WRONLY, 0, 0, &h), -EISDIR);
	CHECK_EQ(ramfs_open(fs, "d", O_RDWR, 0, 0, &h), -EISDIR);
	CHECK_EQ(ramfs_open(fs, "d", O_RDONLY | O_TRUNC, 0, 0, &h), -EISDIR);
	CHECK_EQ(ramfs_open(fs, "d", O_RDONLY | O_CREAT, 0, 0, &h), -EISDIR);
	CHECK_EQ(ramfs_open(fs, "e", O_RDWR | O_CREAT | O_DIRECTORY, 0, 0, &h), -EISDIR);
	CHECK_EQ(ramfs_open(fs, "f/", O_RDWR | O_CREAT, 0, 0, &h), -EISDIR);
	CHECK_EQ(ramfs_open(fs, "d/", O_RDONLY, 0, 0, &h), 0);
	ramfs_close(fs, h);
	CHECK_EQ(ramfs_open(fs, "", O_RDONLY, 0, 0, &h), 0);	/* the root */
	ramfs_close(fs, h);
	CHECK_EQ(ramfs_open(fs, "/", O_WRONLY, 0, 0, &h), -EISDIR);
	CHECK_EQ(ramfs_open(fs, "d//x", O_WRONLY | O_CREAT, 0, 0, &h), 0);
	ramfs_close(fs, h);
	CHECK_EQ(ramfs_open(fs, "./d/../d/./x", O_RDONLY, 0, 0, &h), 0);
	CHECK_EQ(ramfs_open(fs, "/../../a", O_RDONLY, 0, 0, &g), 0);	/* never above the root */
	ramfs_close(fs, g);
	ramfs_close(fs, h);
	{
		char longname[300];

		memset(longname, 'n', sizeof(longname) - 1);
		longname[sizeof(longname) - 1] = '\0';
		CHECK_EQ(ramfs_open(fs, longname, O_RDWR | O_CREAT, 0, 0, &h), -ENAMETOOLONG);
	}
	ramfs_free(fs);
	return 0;
}

static int t_read_write(void)
{
	struct ramfs *fs = fs_new();
	struct ramfs_handle *h, *r;
	char buf[64];

	CHECK_EQ(ramfs_open(fs, "f", O_RDWR | O_CREAT, 0, 0, &h), 0);
	CHECK_EQ(ramfs_write(fs, h, "hello", 5, 0), 5);
	CHECK_EQ(ramfs_read(fs, h, buf, sizeof(buf), 0), 5);
	CHECK(!memcmp(buf, "hello", 5));
	CHECK_EQ(ramfs_read(fs, h, buf, sizeof(buf), 5), 0);	/* end of file */
	CHECK_EQ(ramfs_read(fs, h, buf, sizeof(buf), 500), 0);
	CHECK_EQ(ramfs_read(fs, h, buf, 2, 1), 2);
	CHECK(!memcmp(buf, "el", 2));
	/* Sparse growth reads as zeros. */
	CHECK_EQ(ramfs_write(fs, h, "x", 1, 10), 1);
	memset(buf, 'q', sizeof(buf));
	CHECK_EQ(ramfs_read(fs, h, buf, sizeof(buf), 0), 11);
	CHECK(!memcmp(buf, "hello\0\0\0\0\0x", 11));
	CHECK_EQ(ramfs_bytes(fs), 11);
	/* Overwrite in the middle keeps the size. */
	CHECK_EQ(ramfs_write(fs, h, "AB", 2, 1), 2);
	CHECK_EQ(ramfs_read(fs, h, buf, sizeof(buf), 0), 11);
	CHECK(!memcmp(buf, "hABlo", 5));
	/* The file position (USCHEME_OFF_CURRENT). */
	CHECK_EQ(ramfs_read(fs, h, buf, 3, CUR), 3);
	CHECK_EQ(ramfs_read(fs, h, buf, 3, CUR), 3);
	CHECK(!memcmp(buf, "lo\0", 3));
	ramfs_close(fs, h);

	/* Access modes. */
	CHECK_EQ(ramfs_open(fs, "f", O_RDONLY, 0, 0, &r), 0);
	CHECK_EQ(ramfs_write(fs, r, "z", 1, 0), -EBADF);
	CHECK_EQ(ramfs_truncate(fs, r, 0), -EINVAL);
	ramfs_close(fs, r);
	CHECK_EQ(ramfs_open(fs, "f", O_WRONLY, 0, 0, &r), 0);
	CHECK_EQ(ramfs_read(fs, r, buf, 1, 0), -EBADF);
	ramfs_close(fs, r);
	ramfs_free(fs);
	return 0;
}

static int t_append_trunc(void)
{
	struct ramfs *fs = fs_new();
	struct ramfs_handle *h, *a;
	struct uscheme_stat st;
	char buf[32];

	CHECK_EQ(ramfs_open(fs, "f", O_WRONLY | O_CREAT, 0, 0, &h), 0);
	CHECK_EQ(ramfs_write(fs, h, "12345", 5, 0), 5);
	CHECK_EQ(ramfs_open(fs, "f", O_RDWR | O_APPEND, 0, 0, &a), 0);
	CHECK_EQ(ramfs_write(fs, a, "67", 2, 0), 2);	/* at the end, whatever off says */
	CHECK_EQ(ramfs_read(fs, a, buf, sizeof(buf), 0), 7);
	CHECK(!memcmp(buf, "1234567", 7));
	CHECK_EQ(ramfs_truncate(fs, h, 3), 0);
	CHECK_EQ(ramfs_stat(fs, h, &st), 0);
	CHECK_EQ(st.size, 3);
	CHECK_EQ(ramfs_truncate(fs, h, 6), 0);	/* growth: zeros */
	CHECK_EQ(ramfs_read(fs, a, buf, sizeof(buf), 0), 6);
	CHECK(!memcmp(buf, "123\0\0\0", 6));
	CHECK_EQ(ramfs_bytes(fs), 6);
	ramfs_close(fs, a);
	ramfs_close(fs, h);
	/* O_TRUNC empties. */
	CHECK_EQ(ramfs_open(fs, "f", O_WRONLY | O_TRUNC, 0, 0, &h), 0);
	CHECK_EQ(ramfs_stat(fs, h, &st), 0);
	CHECK_EQ(st.size, 0);
	CHECK_EQ(ramfs_bytes(fs), 0);
	ramfs_close(fs, h);
	ramfs_free(fs);
	return 0;
}

static int t_listing_and_stat(void)
{
	struct ramfs *fs = fs_new();
	struct ramfs_handle *h, *d;
	struct uscheme_stat st;
	char buf[64];

	CHECK_EQ(ramfs_open(fs, "zeta", O_WRONLY | O_CREAT, 7, 8, &h), 0);
	CHECK_EQ(ramfs_write(fs, h, "abc", 3, 0), 3);
	CHECK_EQ(ramfs_stat(fs, h, &st), 0);
	CHECK_EQ(st.mode, S_IFREG | 0644);
	CHECK_EQ(st.size, 3);
	CHECK_EQ(st.nlink, 1);
	CHECK_EQ(st.uid, 7);
	CHECK_EQ(st.gid, 8);
	CHECK(st.mtime_ns > 0);
	ramfs_close(fs, h);
	CHECK_EQ(ramfs_open(fs, "alpha", O_RDONLY | O_CREAT | O_DIRECTORY, 0, 0, &h), 0);
	ramfs_close(fs, h);
	CHECK_EQ(ramfs_open(fs, "mid", O_WRONLY | O_CREAT, 0, 0, &h), 0);
	ramfs_close(fs, h);

	CHECK_EQ(ramfs_open(fs, "/", O_RDONLY | O_DIRECTORY, 0, 0, &d), 0);
	memset(buf, 0, sizeof(buf));
	CHECK_EQ(ramfs_read(fs, d, buf, sizeof(buf), 0), 15);
	CHECK(!strcmp(buf, "alpha\nmid\nzeta\n"));	/* sorted */
	CHECK_EQ(ramfs_read(fs, d, buf, 4, 6), 4);	/* byte offsets */
	CHECK(!memcmp(buf, "mid\n", 4));
	CHECK_EQ(ramfs_read(fs, d, buf, sizeof(buf), 15), 0);
	CHECK_EQ(ramfs_write(fs, d, "x", 1, 0), -EBADF);
	CHECK_EQ(ramfs_stat(fs, d, &st), 0);
	CHECK_EQ(st.mode, S_IFDIR | 0755);
	CHECK_EQ(st.nlink, 3);	/* ".", its entry, and alpha's ".." */
	CHECK_EQ(st.size, 15);
	CHECK_EQ(ramfs_truncate(fs, d, 0), -EINVAL);

	/* dup: "" is the same file; a suffix opens below a directory. */
	CHECK_EQ(ramfs_dup(fs, d, "zeta", &h), 0);
	CHECK_EQ(ramfs_read(fs, h, buf, sizeof(buf), 0), 3);
	CHECK_EQ(ramfs_write(fs, h, "x", 1, 0), -EBADF);	/* d's access mode */
	{
		struct ramfs_handle *same;

		CHECK_EQ(ramfs_dup(fs, h, "", &same), 0);
		CHECK(same->node == h->node);
		CHECK_EQ(ramfs_dup(fs, h, "x", &same), -ENOTDIR);
		ramfs_close(fs, same);
	}
	ramfs_close(fs, h);
	CHECK_EQ(ramfs_dup(fs, d, "nope", &h), -ENOENT);
	CHECK_EQ(ramfs_open(fs, "alpha/in", O_WRONLY | O_CREAT, 0, 0, &h), 0);
	ramfs_close(fs, h);
	{
		struct ramfs_handle *a;

		CHECK_EQ(ramfs_dup(fs, d, "alpha", &a), 0);
		CHECK_EQ(ramfs_dup(fs, a, "../zeta", &h), -ENOENT);	/* stays below alpha */
		CHECK_EQ(ramfs_dup(fs, a, "in", &h), 0);
		ramfs_close(fs, h);
		ramfs_close(fs, a);
	}
	ramfs_close(fs, d);
	ramfs_free(fs);
	return 0;
}

static int t_limits(void)
{
	struct ramfs *fs = ramfs_new(1000, 3, 0, 0);	/* root + 2 */
	struct ramfs_handle *h, *g;
	static char big[1500];

	CHECK(fs);
	CHECK_EQ(ramfs_open(fs, "a", O_RDWR | O_CREAT, 0, 0, &h), 0);
	CHECK_EQ(ramfs_write(fs, h, big, 600, 0), 600);
	CHECK_EQ(ramfs_write(fs, h, big, 600, 600), 400);	/* shortened */
	CHECK_EQ(ramfs_write(fs, h, big, 1, 1000), -ENOSPC);
	CHECK_EQ(ramfs_write(fs, h, big, 10, 5), 10);	/* inside: fine */
	CHECK_EQ(ramfs_truncate(fs, h, 1001), -ENOSPC);
	CHECK_EQ(ramfs_truncate(fs, h, 100), 0);
	CHECK_EQ(ramfs_bytes(fs), 100);
	CHECK_EQ(ramfs_write(fs, h, big, 1, 2000), -ENOSPC);	/* the hole counts */
	CHECK_EQ(ramfs_write(fs, h, big, 1, UINT64_MAX - 1), -EFBIG);
	CHECK_EQ(ramfs_open(fs, "b", O_RDWR | O_CREAT, 0, 0, &g), 0);
	ramfs_close(fs, g);
	CHECK_EQ(ramfs_open(fs, "c", O_RDWR | O_CREAT, 0, 0, &g), -ENOSPC);
	CHECK_EQ(ramfs_nodes(fs), 3);
	ramfs_close(fs, h);
	ramfs_free(fs);
	return 0;
}

/* Many files and a big one: the sorted directory and growth hold up. */
static int t_many(void)
{
	struct ramfs *fs = ramfs_new(64 << 20, 10000, 0, 0);
	struct ramfs_handle *h, *d;
	static char blk[1000];
	char name[32], *list;
	size_t i, len = 0;
	long n;

	for (i = 0; i < 2000; i++) {
		snprintf(name, sizeof(name), "f%zu", (i * 7919) % 2000);
		CHECK_EQ(ramfs_open(fs, name, O_WRONLY | O_CREAT | O_EXCL, 0, 0, &h), 0);
		CHECK_EQ(ramfs_write(fs, h, name, strlen(name), CUR), (long)strlen(name));
		ramfs_close(fs, h);
		len += strlen(name) + 1;
	}
	CHECK_EQ(ramfs_open(fs, "f1234", O_RDONLY, 0, 0, &h), 0);
	ramfs_close(fs, h);
	CHECK_EQ(ramfs_open(fs, "", O_RDONLY, 0, 0, &d), 0);
	list = malloc(len + 1);
	CHECK(list);
	n = ramfs_read(fs, d, list, len + 1, 0);
	CHECK_EQ(n, (long)len);
	list[n] = '\0';
	CHECK(!strncmp(list, "f0\nf1\nf10\nf100\nf1000\n", 21));
	free(list);
	ramfs_close(fs, d);
	CHECK_EQ(ramfs_open(fs, "big", O_WRONLY | O_CREAT, 0, 0, &h), 0);
	for (i = 0; i < 1000; i++)
		CHECK_EQ(ramfs_write(fs, h, blk, sizeof(blk), CUR), 1000);
	ramfs_close(fs, h);
	ramfs_free(fs);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct tap_test tests[] = {
		{ "unit_open_rules", t_open_rules, 0 },
		{ "unit_read_write", t_read_write, 0 },
		{ "unit_append_trunc", t_append_trunc, 0 },
		{ "unit_listing_and_stat", t_listing_and_stat, 0 },
		{ "unit_limits", t_limits, 0 },
		{ "unit_many", t_many, 0 },
	};

	return tap_run("ramfs", tests, sizeof(tests) / sizeof(tests[0]),
		       argc > 1 ? argv[1] : NULL);
}
