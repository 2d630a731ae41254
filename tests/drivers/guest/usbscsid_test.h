/* SPDX-License-Identifier: MIT */
/*
 * usbscsid_test's shared helpers (guest/usbscsid_test_util.c): the disks
 * usbscsid-suite.sh found, and a block pattern any reader can check
 * without a copy (each block names its LBA and seed, then a stream of both).
 */
#ifndef USBSCSID_TEST_H
#define USBSCSID_TEST_H

#include <stddef.h>
#include <stdint.h>

#include "../../lib/tap.h"
#include "../../../userspace-drivers/libuscheme/libuscheme.h"
#include "../../../userspace-drivers/usbscsid/diskscheme.h"

/* The disks (disk.*: paths with the LUN, e.g. "disk.usb.0000-00-04.0-1:0"), from the command line. */
struct ut_disks {
	const char *main;	/* 512-byte blocks, USB3: integrity, contract, concurrency */
	const char *b4k;	/* 4096-byte blocks */
	const char *lun0, *lun1;	/* usb-bot, two LUNs */
	const char *ro;		/* read-only */
	const char *big;	/* over 2 TiB, USB2 */
	int quick;
};
extern struct ut_disks ut;

/* Fill / check len bytes (whole blocks of bs) as blocks from lba on, with seed. */
void ut_fill(uint8_t *buf, size_t len, uint32_t bs, uint64_t lba, uint64_t seed);
/* 0, or -1 with the first bad block printed. */
int ut_check(const uint8_t *buf, size_t len, uint32_t bs, uint64_t lba, uint64_t seed);

/* pwrite/pread all of len at off on fd: 0 or -errno (short: -EIO). */
int ut_pwrite(int fd, const void *buf, size_t len, uint64_t off);
int ut_pread(int fd, void *buf, size_t len, uint64_t off);

/* us_open, a message on failure. */
int ut_open(const char *path, int flags);
/* The block size and size of a disk handle (FSTAT). 0 or -errno. */
int ut_geometry(int fd, uint32_t *bs, uint64_t *size);

/* Write / verify count blocks of bs at lba with seed on a plain fd, chunk bytes a call. */
int ut_write_region(int fd, uint32_t bs, uint64_t lba, uint64_t count, uint64_t seed,
		    size_t chunk);
int ut_verify_region(int fd, uint32_t bs, uint64_t lba, uint64_t count, uint64_t seed,
		     size_t chunk);

#endif /* USBSCSID_TEST_H */
