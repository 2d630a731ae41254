// SPDX-License-Identifier: MIT
/* usbscsid_test's shared helpers (usbscsid_test.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "usbscsid_test.h"

struct ut_disks ut;

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static void fill_block(uint8_t *b, uint32_t bs, uint64_t lba, uint64_t seed)
{
	uint64_t s = mix(lba * 0x9e3779b97f4a7c15ULL ^ seed), w;
	uint32_t i;

	memcpy(b, &lba, 8);
	memcpy(b + 8, &seed, 8);
	for (i = 16; i + 8 <= bs; i += 8) {
		s ^= s << 13;
		s ^= s >> 7;
		s ^= s << 17;
		w = s;
		memcpy(b + i, &w, 8);
	}
}

void ut_fill(uint8_t *buf, size_t len, uint32_t bs, uint64_t lba, uint64_t seed)
{
	size_t off;

	for (off = 0; off + bs <= len; off += bs)
		fill_block(buf + off, bs, lba + off / bs, seed);
}

int ut_check(const uint8_t *buf, size_t len, uint32_t bs, uint64_t lba, uint64_t seed)
{
	uint8_t *want = malloc(bs);
	size_t off;

	if (!want)
		return -1;
	for (off = 0; off + bs <= len; off += bs) {
		fill_block(want, bs, lba + off / bs, seed);
		if (memcmp(want, buf + off, bs)) {
			uint64_t got_lba, got_seed;

			memcpy(&got_lba, buf + off, 8);
			memcpy(&got_seed, buf + off + 8, 8);
			fprintf(stderr, "  block %llu (seed %llx) differs: it names LBA %llu seed %llx\n",
				(unsigned long long)(lba + off / bs), (unsigned long long)seed,
				(unsigned long long)got_lba, (unsigned long long)got_seed);
			free(want);
			return -1;
		}
	}
	free(want);
	return 0;
}

int ut_pwrite(int fd, const void *buf, size_t len, uint64_t off)
{
	ssize_t n = pwrite(fd, buf, len, (off_t)off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int ut_pread(int fd, void *buf, size_t len, uint64_t off)
{
	ssize_t n = pread(fd, buf, len, (off_t)off);

	if (n < 0)
		return -errno;
	return (size_t)n == len ? 0 : -EIO;
}

int ut_open(const char *path, int flags)
{
	int fd = us_open(path, flags);

	if (fd < 0)
		fprintf(stderr, "  open %s: %s\n", path, strerror(-fd));
	return fd;
}

int ut_geometry(int fd, uint32_t *bs, uint64_t *size)
{
	struct stat st;

	if (fstat(fd, &st))
		return -errno;
	*bs = (uint32_t)st.st_blksize;
	*size = (uint64_t)st.st_size;
	return 0;
}

int ut_write_region(int fd, uint32_t bs, uint64_t lba, uint64_t count, uint64_t seed,
		    size_t chunk)
{
	uint8_t *buf = aligned_alloc(4096, chunk);
	uint64_t done = 0;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	while (done < count && !err) {
		uint64_t n = (count - done) * bs < chunk ? count - done : chunk / bs;

		ut_fill(buf, n * bs, bs, lba + done, seed);
		err = ut_pwrite(fd, buf, n * bs, (lba + done) * bs);
		if (err)
			fprintf(stderr, "  write of %llu blocks at LBA %llu: %s\n",
				(unsigned long long)n, (unsigned long long)(lba + done), strerror(-err));
		done += n;
	}
	free(buf);
	return err;
}

int ut_verify_region(int fd, uint32_t bs, uint64_t lba, uint64_t count, uint64_t seed,
		     size_t chunk)
{
	uint8_t *buf = aligned_alloc(4096, chunk);
	uint64_t done = 0;
	int err = 0;

	if (!buf)
		return -ENOMEM;
	while (done < count && !err) {
		uint64_t n = (count - done) * bs < chunk ? count - done : chunk / bs;

		err = ut_pread(fd, buf, n * bs, (lba + done) * bs);
		if (err)
			fprintf(stderr, "  read of %llu blocks at LBA %llu: %s\n",
				(unsigned long long)n, (unsigned long long)(lba + done), strerror(-err));
		else if (ut_check(buf, n * bs, bs, lba + done, seed))
			err = -EILSEQ;
		done += n;
	}
	free(buf);
	return err;
}
