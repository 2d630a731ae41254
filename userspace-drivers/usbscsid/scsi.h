/* SPDX-License-Identifier: MIT */
/*
 * usbscsid's pure parts: Bulk-Only Transport wrappers and SCSI commands
 * built and parsed from bytes, no device (tests/drivers/unit/usbscsid_unit_test.c feeds
 * them lying answers). Every parser reads only within the length it is
 * given and checks what it takes.
 */
#ifndef USBSCSID_SCSI_H
#define USBSCSID_SCSI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BOT_CBW_LEN	31
#define BOT_CSW_LEN	13
#define BOT_CBW_SIG	0x43425355u	/* "USBC" */
#define BOT_CSW_SIG	0x53425355u	/* "USBS" */
#define BOT_MAX_LUN	15

enum { CSW_GOOD = 0, CSW_FAILED = 1, CSW_PHASE = 2 };

/* The CBW for tag, len bytes of data (in: device to host), lun, cdb. */
void bot_cbw(uint8_t cbw[BOT_CBW_LEN], uint32_t tag, uint32_t len, bool in, uint8_t lun,
	     const uint8_t *cdb, uint8_t cdb_len);
/*
 * Check a CSW of got bytes against the command (tag, len): 0 and *status,
 * *residue when it is valid and meaningful (13 bytes, signature, tag,
 * status 0..2, residue <= len); -EPROTO when not (Reset Recovery).
 */
int bot_csw_check(const uint8_t *csw, size_t got, uint32_t tag, uint32_t len,
		  uint8_t *status, uint32_t *residue);

/* SCSI operation codes used */
enum {
	SCSI_TEST_UNIT_READY = 0x00,
	SCSI_REQUEST_SENSE = 0x03,
	SCSI_INQUIRY = 0x12,
	SCSI_MODE_SENSE_6 = 0x1a,
	SCSI_READ_CAPACITY_10 = 0x25,
	SCSI_READ_10 = 0x28,
	SCSI_WRITE_10 = 0x2a,
	SCSI_SYNC_CACHE_10 = 0x35,
	SCSI_READ_16 = 0x88,
	SCSI_WRITE_16 = 0x8a,
	SCSI_SERVICE_ACTION_IN_16 = 0x9e,	/* SA 0x10: READ CAPACITY(16) */
};

enum {
	SENSE_NO_SENSE = 0x0,
	SENSE_RECOVERED = 0x1,
	SENSE_NOT_READY = 0x2,
	SENSE_MEDIUM_ERROR = 0x3,
	SENSE_HARDWARE_ERROR = 0x4,
	SENSE_ILLEGAL_REQUEST = 0x5,
	SENSE_UNIT_ATTENTION = 0x6,
	SENSE_DATA_PROTECT = 0x7,
	SENSE_ABORTED = 0xb,
};

struct sense {
	uint8_t key, asc, ascq;
	bool valid;
};

/* What to do about a command that ended CHECK CONDITION with sense s. */
enum sense_action {
	SA_OK,		/* recovered: the command's data is good */
	SA_RETRY,	/* retry it (UNIT ATTENTION, aborted, becoming ready) */
	SA_FAIL,	/* fail it with the errno */
};

/* Parse REQUEST SENSE data (got bytes): fixed (70h/71h) or descriptor (72h/73h). */
void scsi_sense_parse(const uint8_t *b, size_t got, struct sense *s);
/* The action for s, and the errno for SA_FAIL in *err. */
enum sense_action scsi_sense_action(const struct sense *s, int *err);
/* "UNIT ATTENTION 29/00" and the like, for logs. */
const char *scsi_sense_key_name(uint8_t key);

/* CDB builders: each returns the CDB's length. */
uint8_t scsi_cdb_rw(uint8_t cdb[16], bool write, uint64_t lba, uint32_t blocks);
uint8_t scsi_cdb_simple(uint8_t cdb[16], uint8_t op, uint8_t alloc);
uint8_t scsi_cdb_inquiry(uint8_t cdb[16], bool evpd, uint8_t page, uint16_t alloc);
uint8_t scsi_cdb_read_cap16(uint8_t cdb[16], uint32_t alloc);
uint8_t scsi_cdb_mode_sense6(uint8_t cdb[16], uint8_t page, uint8_t alloc);

/*
 * READ CAPACITY answers: 0 with *blocks (last LBA + 1) and *bs, or -EINVAL
 * (short, a block size that is no power of two in 512..65536, or a
 * capacity whose bytes overflow 64 bits). (10): *need16 set when the
 * device says to ask (16).
 */
int scsi_parse_cap10(const uint8_t *b, size_t got, uint64_t *blocks, uint32_t *bs, bool *need16);
int scsi_parse_cap16(const uint8_t *b, size_t got, uint64_t *blocks, uint32_t *bs);

/* Is page listed in a Supported VPD Pages answer (got bytes)? */
bool scsi_vpd_has(const uint8_t *b, size_t got, uint8_t page);
/* Block Limits VPD: MAXIMUM TRANSFER LENGTH in blocks (0: none stated or short). */
uint32_t scsi_vpd_max_xfer(const uint8_t *b, size_t got);
/* INQUIRY: 0 a direct-access block device present at this LUN, else -ENODEV. */
int scsi_inquiry_disk(const uint8_t *b, size_t got);
/* INQUIRY's vendor (8), product (16) and revision (4), trimmed into out (NUL-ended). */
void scsi_inquiry_strings(const uint8_t *b, size_t got, char vendor[9], char product[17],
			  char rev[5]);
/* MODE SENSE(6) header: 1 write-protected, 0 not, -EINVAL short. */
int scsi_mode6_wp(const uint8_t *b, size_t got);

#endif /* USBSCSID_SCSI_H */
