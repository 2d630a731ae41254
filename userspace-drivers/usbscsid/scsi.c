// SPDX-License-Identifier: MIT
/* usbscsid's pure parts (scsi.h): BOT wrappers, SCSI CDBs and answers. */
#include <errno.h>
#include <string.h>

#include "scsi.h"

static void put32le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32le(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put32be(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

void bot_cbw(uint8_t cbw[BOT_CBW_LEN], uint32_t tag, uint32_t len, bool in, uint8_t lun,
	     const uint8_t *cdb, uint8_t cdb_len)
{
	memset(cbw, 0, BOT_CBW_LEN);
	put32le(cbw, BOT_CBW_SIG);
	put32le(cbw + 4, tag);
	put32le(cbw + 8, len);
	cbw[12] = in && len ? 0x80 : 0;
	cbw[13] = lun & 0x0f;
	if (cdb_len > 16)
		cdb_len = 16;
	cbw[14] = cdb_len;
	memcpy(cbw + 15, cdb, cdb_len);
}

int bot_csw_check(const uint8_t *csw, size_t got, uint32_t tag, uint32_t len,
		  uint8_t *status, uint32_t *residue)
{
	if (got != BOT_CSW_LEN || get32le(csw) != BOT_CSW_SIG || get32le(csw + 4) != tag)
		return -EPROTO;
	if (csw[12] > CSW_PHASE)
		return -EPROTO;
	if (get32le(csw + 8) > len)
		return -EPROTO;
	*status = csw[12];
	*residue = get32le(csw + 8);
	return 0;
}

void scsi_sense_parse(const uint8_t *b, size_t got, struct sense *s)
{
	memset(s, 0, sizeof(*s));
	if (got < 4)
		return;
	switch (b[0] & 0x7f) {
	case 0x70:
	case 0x71:
		s->key = b[2] & 0x0f;
		if (got >= 14) {
			s->asc = b[12];
			s->ascq = b[13];
		}
		s->valid = true;
		break;
	case 0x72:
	case 0x73:
		s->key = b[1] & 0x0f;
		s->asc = b[2];
		s->ascq = b[3];
		s->valid = true;
		break;
	default:
		break;
	}
}

enum sense_action scsi_sense_action(const struct sense *s, int *err)
{
	*err = -EIO;
	if (!s->valid)
		return SA_FAIL;
	switch (s->key) {
	case SENSE_RECOVERED:
		return SA_OK;
	case SENSE_NO_SENSE:
	case SENSE_UNIT_ATTENTION:
	case SENSE_ABORTED:
		return SA_RETRY;
	case SENSE_NOT_READY:
		if (s->asc == 0x3a) {
			*err = -ENOMEDIUM;
			return SA_FAIL;
		}
		if (s->asc == 0x04 && (s->ascq == 0x01 || s->ascq == 0x07 || s->ascq == 0x00))
			return SA_RETRY;	/* becoming ready, operation in progress */
		return SA_FAIL;
	case SENSE_DATA_PROTECT:
		*err = -EROFS;
		return SA_FAIL;
	default:	/* MEDIUM, HARDWARE, ILLEGAL REQUEST, ... */
		return SA_FAIL;
	}
}

const char *scsi_sense_key_name(uint8_t key)
{
	static const char *const names[16] = {
		"NO SENSE", "RECOVERED ERROR", "NOT READY", "MEDIUM ERROR", "HARDWARE ERROR",
		"ILLEGAL REQUEST", "UNIT ATTENTION", "DATA PROTECT", "BLANK CHECK",
		"VENDOR SPECIFIC", "COPY ABORTED", "ABORTED COMMAND", "RESERVED C",
		"VOLUME OVERFLOW", "MISCOMPARE", "RESERVED F",
	};

	return names[key & 0x0f];
}

uint8_t scsi_cdb_rw(uint8_t cdb[16], bool write, uint64_t lba, uint32_t blocks)
{
	memset(cdb, 0, 16);
	if (lba + blocks > 0xffffffffull || blocks > 0xffff) {
		cdb[0] = write ? SCSI_WRITE_16 : SCSI_READ_16;
		put32be(cdb + 2, (uint32_t)(lba >> 32));
		put32be(cdb + 6, (uint32_t)lba);
		put32be(cdb + 10, blocks);
		return 16;
	}
	cdb[0] = write ? SCSI_WRITE_10 : SCSI_READ_10;
	put32be(cdb + 2, (uint32_t)lba);
	cdb[7] = (uint8_t)(blocks >> 8);
	cdb[8] = (uint8_t)blocks;
	return 10;
}

uint8_t scsi_cdb_simple(uint8_t cdb[16], uint8_t op, uint8_t alloc)
{
	memset(cdb, 0, 16);
	cdb[0] = op;
	if (op == SCSI_SYNC_CACHE_10 || op == SCSI_READ_CAPACITY_10)
		return 10;
	cdb[4] = alloc;
	return 6;
}

uint8_t scsi_cdb_inquiry(uint8_t cdb[16], bool evpd, uint8_t page, uint16_t alloc)
{
	memset(cdb, 0, 16);
	cdb[0] = SCSI_INQUIRY;
	cdb[1] = evpd ? 1 : 0;
	cdb[2] = evpd ? page : 0;
	cdb[3] = (uint8_t)(alloc >> 8);
	cdb[4] = (uint8_t)alloc;
	return 6;
}

uint8_t scsi_cdb_read_cap16(uint8_t cdb[16], uint32_t alloc)
{
	memset(cdb, 0, 16);
	cdb[0] = SCSI_SERVICE_ACTION_IN_16;
	cdb[1] = 0x10;
	put32be(cdb + 10, alloc);
	return 16;
}

uint8_t scsi_cdb_mode_sense6(uint8_t cdb[16], uint8_t page, uint8_t alloc)
{
	memset(cdb, 0, 16);
	cdb[0] = SCSI_MODE_SENSE_6;
	cdb[2] = page & 0x3f;
	cdb[4] = alloc;
	return 6;
}

static int check_bs(uint32_t bs)
{
	return bs >= 512 && bs <= 65536 && !(bs & (bs - 1)) ? 0 : -EINVAL;
}

int scsi_parse_cap10(const uint8_t *b, size_t got, uint64_t *blocks, uint32_t *bs, bool *need16)
{
	uint32_t last;

	*need16 = false;
	if (got < 8)
		return -EINVAL;
	last = get32be(b);
	*bs = get32be(b + 4);
	if (last == 0xffffffffu) {
		*need16 = true;
		return 0;
	}
	if (check_bs(*bs))
		return -EINVAL;
	*blocks = (uint64_t)last + 1;
	return 0;
}

int scsi_parse_cap16(const uint8_t *b, size_t got, uint64_t *blocks, uint32_t *bs)
{
	uint64_t last;

	if (got < 12)
		return -EINVAL;
	last = (uint64_t)get32be(b) << 32 | get32be(b + 4);
	*bs = get32be(b + 8);
	if (check_bs(*bs) || last == UINT64_MAX || last + 1 > UINT64_MAX / *bs)
		return -EINVAL;
	*blocks = last + 1;
	return 0;
}

bool scsi_vpd_has(const uint8_t *b, size_t got, uint8_t page)
{
	size_t n, i;

	if (got < 4 || b[1] != 0x00)
		return false;
	n = (size_t)b[2] << 8 | b[3];
	for (i = 0; i < n && 4 + i < got; i++)
		if (b[4 + i] == page)
			return true;
	return false;
}

uint32_t scsi_vpd_max_xfer(const uint8_t *b, size_t got)
{
	if (got < 12 || b[1] != 0xb0)
		return 0;
	return get32be(b + 8);
}

int scsi_inquiry_disk(const uint8_t *b, size_t got)
{
	if (got < 5)
		return -ENODEV;
	if ((b[0] >> 5) != 0)	/* peripheral qualifier: no device at this LUN */
		return -ENODEV;
	return (b[0] & 0x1f) == 0x00 ? 0 : -ENODEV;	/* direct-access block device */
}

static void trim(char *dst, const uint8_t *src, size_t n, size_t got, size_t at)
{
	size_t i, len = 0;

	for (i = 0; i < n && at + i < got; i++) {
		uint8_t c = src[at + i];

		dst[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
		len = i + 1;
	}
	while (len && dst[len - 1] == ' ')
		len--;
	dst[len] = 0;
}

void scsi_inquiry_strings(const uint8_t *b, size_t got, char vendor[9], char product[17],
			  char rev[5])
{
	trim(vendor, b, 8, got, 8);
	trim(product, b, 16, got, 16);
	trim(rev, b, 4, got, 32);
}

int scsi_mode6_wp(const uint8_t *b, size_t got)
{
	if (got < 4)
		return -EINVAL;
	return b[2] & 0x80 ? 1 : 0;
}
