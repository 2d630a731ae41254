// SPDX-License-Identifier: MIT
/*
 * usbscsid's pure parsers (usbscsid/scsi.c) fed what a lying device could
 * answer: CSWs of every wrong shape, short and absurd capacities, sense
 * data of each format, VPD pages that claim more than they hold. Host
 * only, under valgrind in tests/run-all.sh like xhcid_desc_test.
 */
#include <errno.h>
#include <string.h>

#include "../../lib/tap.h"
#include "../../../userspace-drivers/usbscsid/scsi.h"

static void csw(uint8_t *b, uint32_t sig, uint32_t tag, uint32_t res, uint8_t st)
{
	memcpy(b, &sig, 4);
	memcpy(b + 4, &tag, 4);
	memcpy(b + 8, &res, 4);
	b[12] = st;
}

static int t_csw(void)
{
	uint8_t b[16], st;
	uint32_t r;

	csw(b, BOT_CSW_SIG, 7, 0, 0);
	CHECK_EQ(bot_csw_check(b, 13, 7, 512, &st, &r), 0);
	CHECK_EQ(st, 0);
	CHECK_EQ(bot_csw_check(b, 12, 7, 512, &st, &r), -EPROTO);	/* short */
	CHECK_EQ(bot_csw_check(b, 14, 7, 512, &st, &r), -EPROTO);	/* long */
	CHECK_EQ(bot_csw_check(b, 13, 8, 512, &st, &r), -EPROTO);	/* tag */
	csw(b, 0x12345678, 7, 0, 0);
	CHECK_EQ(bot_csw_check(b, 13, 7, 512, &st, &r), -EPROTO);	/* signature */
	csw(b, BOT_CSW_SIG, 7, 513, 0);
	CHECK_EQ(bot_csw_check(b, 13, 7, 512, &st, &r), -EPROTO);	/* residue > length */
	csw(b, BOT_CSW_SIG, 7, 512, 1);
	CHECK_EQ(bot_csw_check(b, 13, 7, 512, &st, &r), 0);
	CHECK_EQ(st, 1);
	CHECK_EQ(r, 512);
	csw(b, BOT_CSW_SIG, 7, 0, 2);
	CHECK_EQ(bot_csw_check(b, 13, 7, 512, &st, &r), 0);
	CHECK_EQ(st, CSW_PHASE);
	csw(b, BOT_CSW_SIG, 7, 0, 3);
	CHECK_EQ(bot_csw_check(b, 13, 7, 512, &st, &r), -EPROTO);
	return 0;
}

static int t_cbw_cdb(void)
{
	uint8_t cbw[BOT_CBW_LEN], cdb[16];

	CHECK_EQ(scsi_cdb_rw(cdb, false, 5, 8), 10);
	CHECK_EQ(cdb[0], SCSI_READ_10);
	CHECK_EQ(scsi_cdb_rw(cdb, true, 0xffffffffULL, 1), 16);
	CHECK_EQ(cdb[0], SCSI_WRITE_16);
	CHECK_EQ(scsi_cdb_rw(cdb, false, 1ULL << 33, 2048), 16);
	CHECK_EQ(cdb[5], 2);
	CHECK_EQ(scsi_cdb_rw(cdb, false, 0, 0x10000), 16);
	bot_cbw(cbw, 0xabcd, 4096, true, 3, cdb, 16);
	CHECK_EQ(cbw[12], 0x80);
	CHECK_EQ(cbw[13], 3);
	CHECK_EQ(cbw[14], 16);
	bot_cbw(cbw, 1, 0, true, 0, cdb, 200);	/* no data: no direction; cdb clamped */
	CHECK_EQ(cbw[12], 0);
	CHECK_EQ(cbw[14], 16);
	return 0;
}

static int t_capacity(void)
{
	uint8_t b[32] = { 0 };
	uint64_t blocks;
	uint32_t bs;
	bool need16;

	CHECK_EQ(scsi_parse_cap10(b, 7, &blocks, &bs, &need16), -EINVAL);
	b[3] = 0xff;
	b[6] = 0x02;	/* 512 */
	CHECK_EQ(scsi_parse_cap10(b, 8, &blocks, &bs, &need16), 0);
	CHECK_EQ(blocks, 256);
	CHECK_EQ(bs, 512);
	b[6] = 0x03;	/* 768: no power of two */
	CHECK_EQ(scsi_parse_cap10(b, 8, &blocks, &bs, &need16), -EINVAL);
	b[6] = 0;	/* 0 */
	CHECK_EQ(scsi_parse_cap10(b, 8, &blocks, &bs, &need16), -EINVAL);
	memset(b, 0xff, 4);
	CHECK_EQ(scsi_parse_cap10(b, 8, &blocks, &bs, &need16), 0);
	CHECK(need16);
	memset(b, 0, sizeof(b));
	memset(b, 0xff, 8);	/* last LBA 2^64 - 1 */
	b[10] = 0x10;	/* 4096 */
	CHECK_EQ(scsi_parse_cap16(b, 32, &blocks, &bs), -EINVAL);
	b[0] = 0x00;
	b[1] = 0x10;	/* bytes overflow 64 bits with 4096-byte blocks */
	CHECK_EQ(scsi_parse_cap16(b, 32, &blocks, &bs), -EINVAL);
	memset(b, 0, 8);
	b[3] = 1;	/* last LBA 2^32 */
	CHECK_EQ(scsi_parse_cap16(b, 32, &blocks, &bs), 0);
	CHECK_EQ(blocks, (1ULL << 32) + 1);
	CHECK_EQ(scsi_parse_cap16(b, 11, &blocks, &bs), -EINVAL);
	return 0;
}

static int t_sense(void)
{
	uint8_t b[18] = { 0x70, 0, 0x06, 0, 0, 0, 0, 10, 0, 0, 0, 0, 0x29, 0 };
	struct sense s;
	int err;

	scsi_sense_parse(b, 18, &s);
	CHECK(s.valid);
	CHECK_EQ(scsi_sense_action(&s, &err), SA_RETRY);
	b[2] = 0x02;
	b[12] = 0x3a;
	scsi_sense_parse(b, 18, &s);
	CHECK_EQ(scsi_sense_action(&s, &err), SA_FAIL);
	CHECK_EQ(err, -ENOMEDIUM);
	b[2] = 0x07;
	scsi_sense_parse(b, 18, &s);
	scsi_sense_action(&s, &err);
	CHECK_EQ(err, -EROFS);
	b[2] = 0x03;
	scsi_sense_parse(b, 18, &s);
	CHECK_EQ(scsi_sense_action(&s, &err), SA_FAIL);
	CHECK_EQ(err, -EIO);
	scsi_sense_parse(b, 3, &s);	/* too short */
	CHECK(!s.valid);
	CHECK_EQ(scsi_sense_action(&s, &err), SA_FAIL);
	b[0] = 0x72;	/* descriptor format */
	b[1] = 0x06;
	b[2] = 0x28;
	scsi_sense_parse(b, 8, &s);
	CHECK_EQ(s.key, SENSE_UNIT_ATTENTION);
	CHECK_EQ(s.asc, 0x28);
	b[0] = 0x00;	/* no known format */
	scsi_sense_parse(b, 18, &s);
	CHECK(!s.valid);
	return 0;
}

static int t_vpd_inquiry_mode(void)
{
	uint8_t b[64] = { 0, 0x00, 0, 200, 0x00, 0x80, 0xb0 };
	char v[9], p[17], r[5];

	CHECK(scsi_vpd_has(b, 7, 0xb0));	/* claims 200 pages, holds 3: read what is there */
	CHECK(!scsi_vpd_has(b, 6, 0xb0));
	CHECK(!scsi_vpd_has(b, 3, 0xb0));
	memset(b, 0, sizeof(b));
	b[1] = 0xb0;
	b[11] = 0x80;
	CHECK_EQ(scsi_vpd_max_xfer(b, 12), 0x80);
	CHECK_EQ(scsi_vpd_max_xfer(b, 11), 0);
	b[1] = 0xb1;
	CHECK_EQ(scsi_vpd_max_xfer(b, 12), 0);
	memset(b, 0, sizeof(b));
	CHECK_EQ(scsi_inquiry_disk(b, 36), 0);
	CHECK_EQ(scsi_inquiry_disk(b, 4), -ENODEV);
	b[0] = 0x7f;	/* no device at this LUN */
	CHECK_EQ(scsi_inquiry_disk(b, 36), -ENODEV);
	b[0] = 0x05;	/* CD-ROM */
	CHECK_EQ(scsi_inquiry_disk(b, 36), -ENODEV);
	memcpy(b + 8, "QEMU    QEMU HARDDISK   2.5+", 28);
	b[9] = 0x01;	/* a control byte: shown as '?' */
	scsi_inquiry_strings(b, 36, v, p, r);
	CHECK(!strcmp(v, "Q?MU"));
	CHECK(!strcmp(p, "QEMU HARDDISK"));
	CHECK(!strcmp(r, "2.5+"));
	scsi_inquiry_strings(b, 10, v, p, r);	/* short: only what arrived */
	CHECK(!strcmp(v, "Q?"));
	CHECK(!strcmp(p, ""));
	CHECK_EQ(scsi_mode6_wp(b, 3), -EINVAL);
	memset(b, 0, 4);
	b[2] = 0x80;
	CHECK_EQ(scsi_mode6_wp(b, 4), 1);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct tap_test tests[] = {
		{ "csw_checks", t_csw, 10 },
		{ "cbw_and_cdbs", t_cbw_cdb, 10 },
		{ "capacity", t_capacity, 10 },
		{ "sense", t_sense, 10 },
		{ "vpd_inquiry_mode_sense", t_vpd_inquiry_mode, 10 },
	};

	return tap_run("usbscsid_unit", tests, sizeof(tests) / sizeof(tests[0]),
		       argc > 1 ? argv[1] : NULL);
}
