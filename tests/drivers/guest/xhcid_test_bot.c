// SPDX-License-Identifier: MIT
/*
 * A small Bulk-Only Transport and SCSI client over xhcid's endpoints, for
 * the tests (usbscsid is the real one): CBW (31 bytes) on the bulk OUT
 * endpoint, the data stage as one transfer, CSW (13 bytes) on bulk IN.
 * QEMU's usb-storage: ep81 IN, ep02 OUT, LUN 0; it reports UNIT ATTENTION
 * 06/29/00 after a reset, and stalls what comes in the wrong order.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xhcid_test.h"

#define CBW_SIG	0x43425355u	/* "USBC" */
#define CSW_SIG	0x53425355u	/* "USBS" */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t get32(const uint8_t *p)
{
	return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t get32be(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int bot_eps(struct bot *b, unsigned int disk, int port)
{
	b->in = b->out = -1;
	b->tag = 0x1000;
	b->disk = disk;
	b->port = port;
	if (b->port < 0)
		return b->port;
	b->in = us_dup(b->port, "ep81", 0);
	b->out = us_dup(b->port, "ep02", 0);
	if (b->in < 0 || b->out < 0) {
		int err = b->in < 0 ? b->in : b->out;

		fprintf(stderr, "  DUP ep81: %d, ep02: %d\n", b->in, b->out);
		bot_close(b);
		return err;
	}
	return 0;
}

int bot_open(struct bot *b, const char *addr, unsigned int disk)
{
	memset(b, 0, sizeof(*b));
	return bot_eps(b, disk, xt_own(addr, XT_DISK_VID, XT_DISK_PID));
}

int bot_open_port(struct bot *b, const char *addr, unsigned int port, unsigned int disk)
{
	memset(b, 0, sizeof(*b));
	return bot_eps(b, disk, xt_own_port(addr, port));
}

int bot_attach(struct bot *b, int fd, unsigned int disk)
{
	memset(b, 0, sizeof(*b));
	return bot_eps(b, disk, fd);
}

void bot_close(struct bot *b)
{
	if (b->in >= 0)
		close(b->in);
	if (b->out >= 0)
		close(b->out);
	if (b->port >= 0)
		close(b->port);
	b->in = b->out = b->port = -1;
}

void bot_cbw(uint8_t *cbw, uint32_t tag, uint32_t len, int in, const uint8_t *cdb,
	     uint8_t cdb_len)
{
	memset(cbw, 0, BOT_CBW_LEN);
	put32(cbw, CBW_SIG);
	put32(cbw + 4, tag);
	put32(cbw + 8, len);
	cbw[12] = in ? 0x80 : 0;
	cbw[13] = 0;		/* LUN */
	cbw[14] = cdb_len;
	memcpy(cbw + 15, cdb, cdb_len);
}

int bot_cmd(struct bot *b, const uint8_t *cdb, uint8_t cdb_len, int in, void *data,
	    uint32_t len, uint8_t *status, uint32_t *residue)
{
	uint8_t cbw[BOT_CBW_LEN], csw[BOT_CSW_LEN];
	uint32_t tag = ++b->tag;
	ssize_t n;

	bot_cbw(cbw, tag, len, in, cdb, cdb_len);
	n = write(b->out, cbw, sizeof(cbw));
	if (n != (ssize_t)sizeof(cbw)) {
		fprintf(stderr, "  CBW (op %#04x): %s\n", cdb[0], n < 0 ? strerror(errno) : "short");
		return n < 0 ? -errno : -EPROTO;
	}
	b->last_data = 0;
	if (len) {
		n = in ? read(b->in, data, len) : write(b->out, data, len);
		if (n < 0) {
			int err = -errno;

			fprintf(stderr, "  data stage (op %#04x, %u bytes %s): %s\n", cdb[0], len,
				in ? "in" : "out", strerror(errno));
			return err;
		}
		b->last_data = (uint32_t)n;
	}
	n = read(b->in, csw, sizeof(csw));
	if (n != (ssize_t)sizeof(csw)) {
		fprintf(stderr, "  CSW (op %#04x): %s\n", cdb[0],
			n < 0 ? strerror(errno) : "not 13 bytes");
		return n < 0 ? -errno : -EPROTO;
	}
	if (get32(csw) != CSW_SIG || get32(csw + 4) != tag) {
		fprintf(stderr, "  CSW (op %#04x): signature %#x tag %#x, want %#x %#x\n", cdb[0],
			get32(csw), get32(csw + 4), CSW_SIG, tag);
		return -EPROTO;
	}
	if (status)
		*status = csw[12];
	if (residue)
		*residue = get32(csw + 8);
	return 0;
}

int bot_reset(struct bot *b)
{
	int r;

	r = xt_control(b->port, 0x21, 0xff, 0, 0, NULL, 0);	/* Bulk-Only Mass Storage Reset */
	if (r < 0) {
		fprintf(stderr, "  Bulk-Only reset: %s\n", strerror(-r));
		return r;
	}
	/* CLEAR_FEATURE(ENDPOINT_HALT) on both bulk endpoints */
	r = xt_control(b->port, 0x02, 0x01, 0, 0x81, NULL, 0);
	if (r >= 0)
		r = xt_control(b->port, 0x02, 0x01, 0, 0x02, NULL, 0);
	if (r < 0)
		fprintf(stderr, "  CLEAR_FEATURE(ENDPOINT_HALT): %s\n", strerror(-r));
	return r < 0 ? r : 0;
}

int bot_ready(struct bot *b)
{
	static const uint8_t tur[6] = { 0x00 };
	uint8_t rs[6] = { 0x03, 0, 0, 0, 18, 0 }, sense[18];
	uint8_t st = 0xff;
	int i, r;

	for (i = 0; i < 10; i++) {
		r = bot_cmd(b, tur, 6, 0, NULL, 0, &st, NULL);
		if (r)
			return r;
		if (st == 0)
			return 0;
		memset(sense, 0, sizeof(sense));
		r = bot_cmd(b, rs, 6, 1, sense, sizeof(sense), NULL, NULL);
		if (r)
			return r;
		fprintf(stderr, "  (TEST UNIT READY: status %u, sense %x/%02x/%02x)\n", st,
			sense[2] & 0xf, sense[12], sense[13]);
	}
	fprintf(stderr, "  the unit never became ready\n");
	return -EIO;
}

static int rw10(struct bot *b, int in, uint32_t lba, uint16_t n, void *buf)
{
	uint8_t cdb[10] = { in ? 0x28 : 0x2a, 0, (uint8_t)(lba >> 24), (uint8_t)(lba >> 16),
			    (uint8_t)(lba >> 8), (uint8_t)lba, 0, (uint8_t)(n >> 8), (uint8_t)n, 0 };
	uint32_t len = (uint32_t)n * XT_SECTOR, residue = 0;
	uint8_t st = 0xff;
	int r;

	r = bot_cmd(b, cdb, 10, in, buf, len, &st, &residue);
	if (r)
		return r;
	if (st != 0 || residue != 0 || b->last_data != len) {
		fprintf(stderr, "  %s(10) LBA %u x %u: status %u residue %u, %u of %u bytes moved\n",
			in ? "READ" : "WRITE", lba, n, st, residue, b->last_data, len);
		return -EIO;
	}
	return 0;
}

int bot_read10(struct bot *b, uint32_t lba, uint16_t n, void *buf)
{
	return rw10(b, 1, lba, n, buf);
}

int bot_write10(struct bot *b, uint32_t lba, uint16_t n, const void *buf)
{
	return rw10(b, 0, lba, n, (void *)buf);
}

int bot_capacity(struct bot *b, uint32_t *last, uint32_t *bsize)
{
	uint8_t cdb[10] = { 0x25 }, d[8];
	uint8_t st = 0xff;
	int r = bot_cmd(b, cdb, 10, 1, d, sizeof(d), &st, NULL);

	if (r)
		return r;
	if (st != 0 || b->last_data != 8)
		return -EIO;
	*last = get32be(d);
	*bsize = get32be(d + 4);
	return 0;
}

int bot_read_check(struct bot *b, uint32_t lba, uint16_t n)
{
	uint8_t *buf = malloc((size_t)n * XT_SECTOR);
	int r;

	if (!buf)
		return -1;
	memset(buf, 0xee, (size_t)n * XT_SECTOR);
	r = bot_read10(b, lba, n, buf);
	if (r)
		fprintf(stderr, "  READ(10) LBA %u x %u sectors: %s\n", lba, n, strerror(-r));
	else
		r = xt_check(buf, b->disk, lba, n);
	free(buf);
	return r ? -1 : 0;
}
