// SPDX-License-Identifier: MIT
/*
 * Bulk transfers on the disks' endpoints, driving Bulk-Only/SCSI: INQUIRY
 * (a 1-byte transfer too), READ CAPACITY, READ(10) of 1 sector to 1 MiB
 * (lengths across 64 KiB boundaries, odd sector counts) checked against
 * the image's pattern, WRITE(10) and read back in the scratch region, 32
 * READs in flight at once on ep81 through a ring, the errors of bad
 * requests, and the USB2 disk behind the INTx controller.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xhcid_test.h"

struct span {
	uint32_t lba;
	uint16_t n;
};

int t_bulk_scsi(void)
{
	uint8_t inq[6] = { 0x12, 0, 0, 0, 36, 0 }, d[96];
	uint32_t last = 0, bsize = 0, residue = 0;
	uint8_t st = 0xff;
	struct bot b;

	CHECK_EQ(bot_open(&b, XT_CTRL0, 0), 0);
	CHECK_EQ(bot_ready(&b), 0);
	/* INQUIRY, 36 bytes: a direct-access device of QEMU's */
	memset(d, 0xee, sizeof(d));
	CHECK_EQ(bot_cmd(&b, inq, 6, 1, d, 36, &st, &residue), 0);
	CHECK_EQ(st, 0);
	CHECK_EQ(b.last_data, 36);
	CHECK_EQ(d[0] & 0x1f, 0);
	CHECK(!memcmp(d + 8, "QEMU    ", 8));
	/* a 1-byte bulk transfer */
	inq[4] = 1;
	memset(d, 0xee, sizeof(d));
	CHECK_EQ(bot_cmd(&b, inq, 6, 1, d, 1, &st, &residue), 0);
	CHECK_EQ(st, 0);
	CHECK_EQ(b.last_data, 1);
	CHECK_EQ(d[0] & 0x1f, 0);
	CHECK_EQ(d[1], 0xee);
	/* more room than the device has data: it says how much was missing */
	inq[4] = 96;
	CHECK_EQ(bot_cmd(&b, inq, 6, 1, d, 96, &st, &residue), 0);
	CHECK_EQ(st, 0);
	CHECK(b.last_data >= 36 && b.last_data <= 96);
	CHECK(residue <= 96 - 36);
	/* READ CAPACITY(10) */
	CHECK_EQ(bot_capacity(&b, &last, &bsize), 0);
	CHECK_EQ(last, XT_DISK_SECTORS - 1);
	CHECK_EQ(bsize, XT_SECTOR);
	bot_close(&b);
	return 0;
}

int t_bulk_read_sizes(void)
{
	static const struct span full[] = {
		{ 0, 1 }, { 1, 1 }, { 120, 8 }, { 1, 127 }, { 128, 128 }, { 1000, 129 },
		{ 3, 255 }, { 4096, 256 }, { 7, 1000 }, { 20000, 2047 }, { 30000, 2048 },
		{ XT_SCRATCH_LBA - 16, 16 },
	};
	static const struct span quick[] = { { 0, 1 }, { 1000, 129 }, { 30000, 2048 } };
	const struct span *s = xt.quick ? quick : full;
	size_t n = xt.quick ? sizeof(quick) / sizeof(quick[0]) : sizeof(full) / sizeof(full[0]);
	long long t0;
	struct bot b;

	CHECK_EQ(bot_open(&b, XT_CTRL0, 0), 0);
	CHECK_EQ(bot_ready(&b), 0);
	t0 = xt_ms();
	for (size_t i = 0; i < n; i++) {
		if (bot_read_check(&b, s[i].lba, s[i].n)) {
			fprintf(stderr, "  READ(10) of %u sectors at LBA %u\n", s[i].n, s[i].lba);
			return -1;
		}
	}
	fprintf(stderr, "  # %zu READ(10)s in %lld ms\n", n, xt_ms() - t0);
	bot_close(&b);
	return 0;
}

/* Write @n sectors of disk @as's pattern at @lba, read them back, check. */
static int write_back(struct bot *b, uint32_t lba, uint16_t n, unsigned int as)
{
	uint8_t *buf = malloc((size_t)n * XT_SECTOR);
	unsigned int disk = b->disk;
	int r;

	CHECK(buf != NULL);
	xt_pattern(buf, as, lba, n);
	r = bot_write10(b, lba, n, buf);
	free(buf);
	if (r) {
		fprintf(stderr, "  WRITE(10) LBA %u x %u: %s\n", lba, n, strerror(-r));
		return -1;
	}
	b->disk = as;
	r = bot_read_check(b, lba, n);
	b->disk = disk;
	return r;
}

/* The scratch region: another pattern written and read back, then the image's own again. */
static int scratch(struct bot *b, int big)
{
	CHECK(!write_back(b, XT_SCRATCH_LBA + 1, 129, 9));
	if (big)
		CHECK(!write_back(b, XT_SCRATCH_LBA, XT_SCRATCH_SECTORS, 8));
	/* the neighbours are untouched */
	CHECK(!bot_read_check(b, XT_SCRATCH_LBA - 8, 8));
	/* put the image back as it was, and check it */
	CHECK(!write_back(b, XT_SCRATCH_LBA, XT_SCRATCH_SECTORS, b->disk));
	return 0;
}

int t_bulk_write(void)
{
	struct bot b;

	CHECK_EQ(bot_open(&b, XT_CTRL0, 0), 0);
	CHECK_EQ(bot_ready(&b), 0);
	CHECK(!scratch(&b, !xt.quick));
	bot_close(&b);
	return 0;
}

/*
 * One READ(10) of 1 MiB whose data stage is 32 READs of 32 KiB on ep81,
 * submitted at once through a ring: they complete in order, each full,
 * and the data is the disk's.
 */
int t_bulk_inflight(void)
{
	enum { N = 32, CHUNK = 32768 };
	const uint32_t lba = 12345, n = N * CHUNK / XT_SECTOR;
	uint8_t cdb[10] = { 0x28, 0, (uint8_t)(lba >> 24), (uint8_t)(lba >> 16), (uint8_t)(lba >> 8),
			    (uint8_t)lba, 0, (uint8_t)(n >> 8), (uint8_t)n, 0 };
	uint8_t cbw[BOT_CBW_LEN], csw[BOT_CSW_LEN];
	struct usb_ep_info ei;
	struct uscheme_cqe c;
	struct us_ring r;
	struct bot b;
	uint8_t *buf;
	int i, sub;

	buf = malloc((size_t)N * CHUNK);
	CHECK(buf != NULL);
	memset(buf, 0xee, (size_t)N * CHUNK);
	CHECK_EQ(bot_open(&b, XT_CTRL0, 0), 0);
	CHECK_EQ(bot_ready(&b), 0);
	CHECK_EQ(us_ring_init(&r, 64, 0, 0), 0);
	bot_cbw(cbw, 0x4242, N * CHUNK, 1, cdb, 10);
	CHECK_EQ(write(b.out, cbw, sizeof(cbw)), BOT_CBW_LEN);
	for (i = 0; i < N; i++)
		us_prep_read(us_get_sqe(&r), b.in, buf + (size_t)i * CHUNK, CHUNK, 0, (uint64_t)i + 1);
	sub = us_submit(&r);
	CHECK_EQ(sub, N);
	for (i = 0; i < N; i++) {
		if (xt_reap(&r, &c, 30000)) {
			fprintf(stderr, "  only %d of %d READs completed within 30 s\n", i, N);
			return -1;
		}
		if (c.user_data != (uint64_t)i + 1 || c.res != CHUNK) {
			fprintf(stderr, "  completion %d: READ %llu, res %d (want READ %d, %d)\n", i,
				(unsigned long long)c.user_data, c.res, i + 1, CHUNK);
			return -1;
		}
	}
	CHECK_EQ(read(b.in, csw, sizeof(csw)), BOT_CSW_LEN);
	CHECK(!memcmp(csw, "USBS", 4));
	CHECK_EQ(csw[4] | csw[5] << 8, 0x4242);
	CHECK_EQ(csw[8] | csw[9] | csw[10] | csw[11], 0);	/* residue */
	CHECK_EQ(csw[12], 0);
	CHECK(!xt_check(buf, 0, lba, n));
	CHECK_EQ(xt_ep_info(b.in, &ei), 0);
	CHECK_EQ(ei.inflight, 0);
	us_ring_exit(&r);
	bot_close(&b);
	free(buf);
	return 0;
}

static int ring_len0(int fd, int write_op)
{
	struct us_ring r;
	uint8_t byte = 0;
	int res;

	if (us_ring_init(&r, 4, 0, 0))
		return -1000;
	if (write_op)
		us_prep_write(us_get_sqe(&r), fd, &byte, 0, 0, 1);
	else
		us_prep_read(us_get_sqe(&r), fd, &byte, 0, 0, 1);
	res = xt_ring_op(&r, 5000);
	us_ring_exit(&r);
	return res;
}

int t_bulk_errors(void)
{
	static const char *const noep[] = { "ep83", "ep01", "ep82", "ep8", "ep811", "epzz", "ep" };
	struct usb_ctrl_req big = { .bm_request_type = 0x80, .b_request = 6, .w_value = 0x0100,
				    .w_length = 0xffff };
	struct usb_ep_info ei;
	uint8_t buf[512];
	static uint8_t huge[USB_XFER_MAX + 4096];
	struct bot b;
	int r;

	CHECK_EQ(bot_open(&b, XT_CTRL0, 0), 0);
	CHECK_EQ(bot_ready(&b), 0);
	/* the endpoints are what the descriptors say */
	CHECK_EQ(xt_ep_info(b.in, &ei), 0);
	CHECK_EQ(ei.address, 0x81);
	CHECK_EQ(ei.type, USB_EP_BULK);
	CHECK_EQ(ei.max_packet, 1024);	/* SuperSpeed bulk */
	CHECK_EQ(ei.inflight, 0);
	CHECK_EQ(xt_ep_info(b.out, &ei), 0);
	CHECK_EQ(ei.address, 0x02);
	CHECK_EQ(ei.type, USB_EP_BULK);
	/* wrong direction */
	CHECK_EQ(read(b.out, buf, sizeof(buf)), -1);
	CHECK_EQ(errno, EINVAL);
	CHECK_EQ(write(b.in, buf, BOT_CBW_LEN), -1);
	CHECK_EQ(errno, EINVAL);
	/* zero length (through a ring: the kernel routes it) */
	CHECK_EQ(ring_len0(b.in, 0), -EINVAL);
	CHECK_EQ(ring_len0(b.out, 1), -EINVAL);
	/* no such endpoint */
	for (size_t i = 0; i < sizeof(noep) / sizeof(noep[0]); i++) {
		r = us_dup(b.port, noep[i], 0);
		if (r != -ENOENT) {
			fprintf(stderr, "  DUP '%s': %d, want -ENOENT\n", noep[i], r);
			return -1;
		}
	}
	/*
	 * Over USB_XFER_MAX: the kernel shortens a READ or WRITE to
	 * USCHEME_IO_MAX (= USB_XFER_MAX) before xhcid sees it, so only a
	 * CALL can be too big: the kernel's -E2BIG, or xhcid's -EINVAL.
	 */
	r = us_call(b.port, &big, sizeof(big), huge, sizeof(huge), USB_CALL_CONTROL);
	CHECK(r == -E2BIG || r == -EINVAL);
	/* nothing reached the device: the next command works */
	CHECK_EQ(bot_ready(&b), 0);
	CHECK(!bot_read_check(&b, 77, 3));
	bot_close(&b);
	return 0;
}

int t_bulk_usb2(void)
{
	static const struct span s[] = { { 0, 1 }, { 5000, 129 }, { 40000, 2048 } };
	struct usb_ep_info ei;
	uint32_t last = 0, bsize = 0;
	struct bot b;

	CHECK_EQ(bot_open(&b, XT_CTRL1, 1), 0);
	CHECK_EQ(xt_ep_info(b.in, &ei), 0);
	CHECK_EQ(ei.max_packet, 512);	/* high-speed bulk */
	CHECK_EQ(bot_ready(&b), 0);
	CHECK_EQ(bot_capacity(&b, &last, &bsize), 0);
	CHECK_EQ(last, XT_DISK_SECTORS - 1);
	CHECK_EQ(bsize, XT_SECTOR);
	for (size_t i = 0; i < (xt.quick ? 2u : 3u); i++)
		CHECK(!bot_read_check(&b, s[i].lba, s[i].n));
	CHECK(!scratch(&b, 0));
	bot_close(&b);
	return 0;
}
