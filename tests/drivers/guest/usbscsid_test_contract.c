// SPDX-License-Identifier: MIT
/*
 * The disk scheme's contract (usbscsid/diskscheme.h) on the VM's disks:
 * listing, FSTAT, DISK_CALL_INFO, bad requests (unaligned, zero, past the
 * end, huge, bad paths, wrong modes), 4096-byte blocks, two LUNs, a
 * read-only medium, a disk over 2 TiB; a LUN is root's alone.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "usbscsid_test.h"

/* "disk.x:0" -> "disk.x:" into out */
static void scheme_of(const char *disk, char *out, size_t len)
{
	const char *c = strrchr(disk, ':');

	snprintf(out, len, "%.*s:", (int)(c - disk), disk);
}

static int read_listing(const char *disk, char *buf, size_t len)
{
	char root[128];
	int fd, n;

	scheme_of(disk, root, sizeof(root));
	fd = ut_open(root, O_RDONLY);
	if (fd < 0)
		return fd;
	n = (int)read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = 0;
	return n;
}

static int t_listing_fstat_info(void)
{
	char text[512], want[128];
	struct disk_info info;
	struct stat st;
	int fd;

	CHECK(read_listing(ut.main, text, sizeof(text)) > 0);
	fd = ut_open(ut.main, O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_mode, S_IFBLK | 0600);
	CHECK_EQ(st.st_blksize, 512);
	CHECK(st.st_size >= 16 << 20);
	CHECK_EQ(st.st_blocks, st.st_size / 512);
	snprintf(want, sizeof(want), "0 %llu 512 rw\n", (unsigned long long)st.st_size);
	if (strcmp(text, want)) {
		fprintf(stderr, "  listing '%s', want '%s'\n", text, want);
		return -1;
	}
	CHECK_EQ(us_call(fd, NULL, 0, &info, sizeof(info), DISK_CALL_INFO), sizeof(info));
	CHECK_EQ(info.size, (uint64_t)st.st_size);
	CHECK_EQ(info.block_size, 512);
	CHECK(info.max_io >= 512 && info.max_io <= USCHEME_IO_MAX && info.max_io % 512 == 0);
	CHECK_EQ(info.readonly, 0);
	CHECK(!strcmp(info.vendor, "QEMU"));
	fprintf(stderr, "  %s: %s %s %s, %u KiB per command\n", ut.main, info.vendor, info.product,
		info.revision, info.max_io >> 10);
	CHECK_EQ(us_call(fd, NULL, 0, &info, sizeof(info) - 1, DISK_CALL_INFO), -EINVAL);
	CHECK_EQ(us_call(fd, NULL, 0, &info, sizeof(info), 99), -EINVAL);
	CHECK_EQ(ftruncate(fd, 4096) == -1 ? -errno : 0, -EINVAL);
	close(fd);
	return 0;
}

static int t_bad_paths_and_modes(void)
{
	static const char *const bad[] = { "1", "00", "01", "x", "-1", "0/x", "0 ", "99999999999" };
	char root[128], path[192];
	uint8_t b[512] = { 0 };
	size_t i;
	int fd;

	scheme_of(ut.main, root, sizeof(root));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(path, sizeof(path), "%s%s", root, bad[i]);
		fd = us_open(path, O_RDONLY);
		if (fd != -ENOENT) {
			fprintf(stderr, "  open %s: %d, want -ENOENT\n", path, fd);
			return -1;
		}
	}
	CHECK_EQ(us_open(root, O_RDWR), -EISDIR);
	fd = ut_open(ut.main, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pwrite(fd, b, 512, 0) == -1 ? -errno : 0, -EBADF);
	close(fd);
	return 0;
}

static int t_unaligned_zero_huge(void)
{
	uint8_t *b = aligned_alloc(4096, 2 << 20);
	uint64_t size;
	uint32_t bs;
	ssize_t n;
	int fd = ut_open(ut.main, O_RDWR);

	CHECK(b && fd >= 0);
	CHECK_EQ(ut_geometry(fd, &bs, &size), 0);
	CHECK_EQ(pread(fd, b, 512, 100) == -1 ? -errno : 0, -EINVAL);
	CHECK_EQ(pread(fd, b, 100, 0) == -1 ? -errno : 0, -EINVAL);
	CHECK_EQ(pread(fd, b, 1000, 512) == -1 ? -errno : 0, -EINVAL);
	CHECK_EQ(pwrite(fd, b, 512, 7) == -1 ? -errno : 0, -EINVAL);
	CHECK_EQ(pwrite(fd, b, 513, 0) == -1 ? -errno : 0, -EINVAL);
	CHECK_EQ(pread(fd, b, 0, 0), 0);
	CHECK_EQ(pwrite(fd, b, 0, 0), 0);
	/* len 0 at any offset: the kernel answers 0 itself, before the daemon sees it */
	CHECK_EQ(pread(fd, b, 0, 3), 0);
	/* 2 MiB in one call: the kernel moves 1 MiB (USCHEME_IO_MAX), which we split */
	ut_fill(b, 2 << 20, 512, 1000, 0x5157);
	n = pwrite(fd, b, 2 << 20, 1000 * 512);
	CHECK_EQ(n, USCHEME_IO_MAX);
	memset(b, 0, 2 << 20);
	n = pread(fd, b, 2 << 20, 1000 * 512);
	CHECK_EQ(n, USCHEME_IO_MAX);
	CHECK_EQ(ut_check(b, USCHEME_IO_MAX, 512, 1000, 0x5157), 0);
	CHECK_EQ(fsync(fd), 0);
	free(b);
	close(fd);
	return 0;
}

static int t_past_end(void)
{
	uint8_t b[4096], last[512], again[512];
	uint64_t size;
	uint32_t bs;
	int fd = ut_open(ut.main, O_RDWR);

	CHECK(fd >= 0);
	CHECK_EQ(ut_geometry(fd, &bs, &size), 0);
	CHECK_EQ(ut_pread(fd, last, 512, size - 512), 0);
	CHECK_EQ(pread(fd, b, 512, size), 0);
	CHECK_EQ(pread(fd, b, 512, size + (1 << 20)), 0);
	CHECK_EQ(pread(fd, b, 4096, size - 1024), 1024);
	memset(b, 0xee, sizeof(b));
	CHECK_EQ(pwrite(fd, b, 1024, size - 512) == -1 ? -errno : 0, -ENOSPC);
	CHECK_EQ(pwrite(fd, b, 512, size) == -1 ? -errno : 0, -ENOSPC);
	CHECK_EQ(pwrite(fd, b, 512, (off_t)-512) == -1 ? -errno : 0, -EINVAL);
	CHECK_EQ(ut_pread(fd, again, 512, size - 512), 0);
	CHECK(!memcmp(last, again, 512));	/* nothing written past the end, nor before it */
	close(fd);
	return 0;
}

static int t_4k_blocks(void)
{
	uint8_t *b = aligned_alloc(4096, 65536);
	char text[256], want[64];
	uint64_t size;
	uint32_t bs;
	int fd;

	CHECK(b);
	if (!ut.b4k) {
		fprintf(stderr, "  no 4096-byte disk given\n");
		return -1;
	}
	fd = ut_open(ut.b4k, O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(ut_geometry(fd, &bs, &size), 0);
	CHECK_EQ(bs, 4096);
	CHECK(read_listing(ut.b4k, text, sizeof(text)) > 0);
	snprintf(want, sizeof(want), "0 %llu 4096 rw\n", (unsigned long long)size);
	CHECK(!strcmp(text, want));
	CHECK_EQ(pread(fd, b, 512, 0) == -1 ? -errno : 0, -EINVAL);
	CHECK_EQ(pread(fd, b, 4096, 512) == -1 ? -errno : 0, -EINVAL);
	CHECK_EQ(pwrite(fd, b, 512, 4096) == -1 ? -errno : 0, -EINVAL);
	ut_fill(b, 65536, 4096, 7, 0x4096);
	CHECK_EQ(ut_pwrite(fd, b, 65536, 7 * 4096), 0);
	memset(b, 0, 65536);
	CHECK_EQ(ut_pread(fd, b, 65536, 7 * 4096), 0);
	CHECK_EQ(ut_check(b, 65536, 4096, 7, 0x4096), 0);
	CHECK_EQ(ut_write_region(fd, 4096, 100, 600, 0x4097, 1 << 20), 0);
	CHECK_EQ(ut_verify_region(fd, 4096, 100, 600, 0x4097, 65536), 0);
	CHECK_EQ(pread(fd, b, 8192, size - 4096), 4096);
	free(b);
	close(fd);
	return 0;
}

static int t_two_luns(void)
{
	char text[256];
	uint8_t b[4096];
	uint64_t s0, s1;
	uint32_t bs;
	int f0, f1;

	if (!ut.lun0 || !ut.lun1) {
		fprintf(stderr, "  no two-LUN device given\n");
		return -1;
	}
	CHECK(read_listing(ut.lun0, text, sizeof(text)) > 0);
	fprintf(stderr, "  listing: %s", text);
	f0 = ut_open(ut.lun0, O_RDWR);
	f1 = ut_open(ut.lun1, O_RDWR);
	CHECK(f0 >= 0 && f1 >= 0);
	CHECK_EQ(ut_geometry(f0, &bs, &s0), 0);
	CHECK_EQ(ut_geometry(f1, &bs, &s1), 0);
	CHECK(s0 != s1);	/* the VM gives them different sizes */
	{
		char want[128];

		snprintf(want, sizeof(want), "0 %llu 512 rw\n1 %llu 512 rw\n", (unsigned long long)s0,
			 (unsigned long long)s1);
		CHECK(!strcmp(text, want));
	}
	ut_fill(b, 4096, 512, 64, 0x1110);
	CHECK_EQ(ut_pwrite(f0, b, 4096, 64 * 512), 0);
	ut_fill(b, 4096, 512, 64, 0x1111);
	CHECK_EQ(ut_pwrite(f1, b, 4096, 64 * 512), 0);
	CHECK_EQ(ut_pread(f0, b, 4096, 64 * 512), 0);
	CHECK_EQ(ut_check(b, 4096, 512, 64, 0x1110), 0);
	CHECK_EQ(ut_pread(f1, b, 4096, 64 * 512), 0);
	CHECK_EQ(ut_check(b, 4096, 512, 64, 0x1111), 0);
	CHECK_EQ(fsync(f0), 0);
	CHECK_EQ(fsync(f1), 0);
	close(f0);
	close(f1);
	return 0;
}

static int t_read_only(void)
{
	char text[256], want[64];
	uint8_t b[4096];
	struct stat st;
	int fd;

	if (!ut.ro) {
		fprintf(stderr, "  no read-only disk given\n");
		return -1;
	}
	CHECK_EQ(us_open(ut.ro, O_RDWR), -EROFS);
	CHECK_EQ(us_open(ut.ro, O_WRONLY), -EROFS);
	fd = ut_open(ut.ro, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(fstat(fd, &st), 0);
	CHECK_EQ(st.st_mode, S_IFBLK | 0400);
	CHECK(read_listing(ut.ro, text, sizeof(text)) > 0);
	snprintf(want, sizeof(want), "0 %llu 512 ro\n", (unsigned long long)st.st_size);
	CHECK(!strcmp(text, want));
	CHECK_EQ(ut_pread(fd, b, 4096, 0), 0);
	CHECK_EQ(fsync(fd), 0);
	close(fd);
	return 0;
}

static int t_over_2tib(void)
{
	uint8_t *b = aligned_alloc(4096, 1 << 20);
	uint64_t size, lba;
	uint32_t bs;
	int fd;

	CHECK(b);
	if (!ut.big) {
		fprintf(stderr, "  no disk over 2 TiB given\n");
		return -1;
	}
	fd = ut_open(ut.big, O_RDWR);
	CHECK(fd >= 0);
	CHECK_EQ(ut_geometry(fd, &bs, &size), 0);
	CHECK(size > (2ULL << 40));
	/* past LBA 2^32: READ(16)/WRITE(16) */
	lba = size / bs - 2048;
	CHECK(lba > 0xffffffffULL);
	ut_fill(b, 1 << 20, bs, lba, 0x2718);
	CHECK_EQ(ut_pwrite(fd, b, 1 << 20, lba * bs), 0);
	memset(b, 0, 1 << 20);
	CHECK_EQ(ut_pread(fd, b, 1 << 20, lba * bs), 0);
	CHECK_EQ(ut_check(b, 1 << 20, bs, lba, 0x2718), 0);
	/* across 2^32 blocks */
	lba = 0x100000000ULL - 8;
	ut_fill(b, 16 * bs, bs, lba, 0x2719);
	CHECK_EQ(ut_pwrite(fd, b, 16 * bs, lba * bs), 0);
	memset(b, 0, 16 * bs);
	CHECK_EQ(ut_pread(fd, b, 16 * bs, lba * bs), 0);
	CHECK_EQ(ut_check(b, 16 * bs, bs, lba, 0x2719), 0);
	CHECK_EQ(pread(fd, b, 4 * bs, size - bs), bs);
	CHECK_EQ(fsync(fd), 0);
	free(b);
	close(fd);
	return 0;
}

/*
 * A LUN is root's, as /dev/sdX is: uid 65534 (no groups) is refused every
 * mode, and still reads the listing. The child reports through its status.
 */
static int t_lun_root_only(void)
{
	char root[128], text[512];
	int status, fd, n;
	pid_t pid;

	scheme_of(ut.main, root, sizeof(root));
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
		    setresuid(65534, 65534, 65534))
			_exit(10);
		fd = us_open(ut.main, O_RDONLY);
		if (fd != -EACCES) {
			fprintf(stderr, "  uid 65534: open %s O_RDONLY: %d, want -EACCES\n", ut.main, fd);
			_exit(11);
		}
		fd = us_open(ut.main, O_RDWR);
		if (fd != -EACCES) {
			fprintf(stderr, "  uid 65534: open %s O_RDWR: %d, want -EACCES\n", ut.main, fd);
			_exit(12);
		}
		fd = us_open(root, O_RDONLY);
		if (fd < 0) {
			fprintf(stderr, "  uid 65534: open %s: %d, want the listing\n", root, fd);
			_exit(13);
		}
		n = (int)read(fd, text, sizeof(text) - 1);
		_exit(n > 0 && text[0] == '0' ? 0 : 14);
	}
	CHECK(waitpid(pid, &status, 0) == pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), 0);
	/* and root still opens it */
	fd = ut_open(ut.main, O_RDWR);
	CHECK(fd >= 0);
	close(fd);
	return 0;
}

const struct tap_test ut_contract_tests[] = {
	{ "lun_root_only", t_lun_root_only, 60 },
	{ "listing_fstat_info", t_listing_fstat_info, 60 },
	{ "bad_paths_and_modes", t_bad_paths_and_modes, 60 },
	{ "unaligned_zero_huge", t_unaligned_zero_huge, 120 },
	{ "past_end", t_past_end, 60 },
	{ "blocks_4096", t_4k_blocks, 120 },
	{ "two_luns", t_two_luns, 60 },
	{ "read_only", t_read_only, 60 },
	{ "over_2tib_usb2", t_over_2tib, 120 },
};
const size_t ut_contract_count = sizeof(ut_contract_tests) / sizeof(ut_contract_tests[0]);
