// SPDX-License-Identifier: MIT
/*
 * usbbench: the same disk reads through Linux's own USB stack and through
 * xhcid's usb.*: scheme, for make bench-usb (tests/run-usb-bench.sh, guest
 * side tests/usb-bench-guest.sh). Not a test: it prints rates; it fails
 * only when a read returns other data than the image holds.
 *
 *   usbbench --make-image FILE MIB      (host) write a disk image of MIB
 *                                       MiB, every 512-byte sector stamped
 *                                       with its LBA and filled from it
 *   usbbench --sum FILE                 (host) the image's checksum, as the
 *                                       guest's "region" line gives it
 *   usbbench blk DEV [OPTIONS]          Linux: pread(2) with O_DIRECT on a
 *                                       block device (usb-storage + sd)
 *   usbbench usb SCHEME [OPTIONS]       xhcid: own the first ready
 *                                       mass-storage (08/06/50) port of
 *                                       usb.X:, DUP ep81/ep02 and send
 *                                       Bulk-Only READ(10) commands: CBW on
 *                                       ep02, data on ep81, CSW on ep81
 *   OPTIONS: --io ring|ring2|fd
 *                           (usb) ring: through a client ring, one enter
 *                           per transfer, each waited for before the next
 *                           (CBW, data, CSW: as Linux's usb-storage makes
 *                           them); ring2: the CBW WRITE and the data READ
 *                           in one enter, then the CSW READ (2 waits per
 *                           command; see bot_cmd); fd: write(2), read(2),
 *                           read(2) on the endpoint handles. Default ring
 *            --ops4k N      4 KiB reads per 4 KiB workload (default 5000)
 *            --ops1m N      1 MiB reads in the 1 MiB workload (default 256)
 *            --seed S       the random workload's LBA sequence (default 1)
 *            --port N       (usb) this port, not the first mass-storage one
 *
 * Workloads, all at queue depth 1 (Bulk-Only has one command at a time):
 * "4k-seq" (LBA 0, 8, 16, ... wrapping at the disk's end), "4k-rand"
 * (4 KiB-aligned, a xorshift sequence over the whole disk), "1m-seq" (1 MiB
 * reads from 0, wrapping). First an untimed pass reads the whole disk in
 * 1 MiB reads ("region"). Every read is compared with the pattern, and
 * hashed in order (FNV-1a over 64-bit words), outside the timed part: a
 * workload's time is the sum of its reads' latencies (issue to completion),
 * so rates = ops / that time. The same sizes, offsets and order on both
 * stacks, so their sums must be equal (run-usb-bench.sh compares them).
 *
 * Output, one line each: "usbbench: result STACK WORKLOAD ops=N bytes=B
 * io_ns=T iops=X mibs=Y lat_us_mean=M lat_us_p50=P lat_us_p99=Q
 * csw_per_op=C sum=H" (STACK: linux, xhcid-ring, xhcid-ring2, xhcid-fd;
 * C: this process's context switches per read), "usbbench: region STACK
 * bytes=B sum=H", for ring and fd "usbbench: stages STACK WORKLOAD
 * cbw_us_p50=.." (p50 and mean of each Bulk-Only stage), "usbbench: memcpy
 * STACK us_p50=N" (what copying 1 MiB costs in this machine), and
 * "usbbench: STACK ok" at the end. Exit 0, 1 (a read failed or its data
 * was wrong), 2 (usage).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/fs.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../libuscheme/libuscheme.h"
#include "../xhcid/usbscheme.h"

#define SECTOR		512u
#define MIB		(1u << 20)
#define K4		4096u
#define MAGIC		"USBBENCH"

#define CBW_LEN		31
#define CSW_LEN		13
#define CBW_SIG		0x43425355u	/* "USBC" */
#define CSW_SIG		0x53425355u	/* "USBS" */

static struct {
	unsigned int ops4k, ops1m;
	uint64_t seed;
	int port;		/* -1: the first mass-storage port */
	enum { IO_RING, IO_RING2, IO_FD } io;
} opt = { .ops4k = 5000, .ops1m = 256, .seed = 1, .port = -1, .io = IO_RING };

static const char *stack_name = "?";

/* ---- the pattern ---- */

static void put_le64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* One sector: "USBBENCH", the LBA (le64), then xorshift64 words seeded by it. */
static void sector(uint8_t *p, uint64_t lba)
{
	uint64_t x = ((lba + 1) * 0x9E3779B97F4A7C15ULL) ^ 0xD1B54A32D192ED03ULL;

	memcpy(p, MAGIC, 8);
	put_le64(p + 8, lba);
	if (!x)
		x = 1;
	for (unsigned int i = 16; i < SECTOR; i += 8) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		put_le64(p + i, x);
	}
}

/* 0 when @buf holds sectors @lba.. of the pattern, else -EBADMSG (printed). */
static int check(const uint8_t *buf, uint64_t lba, size_t len)
{
	uint8_t want[SECTOR];

	for (size_t off = 0; off < len; off += SECTOR) {
		uint64_t l = lba + off / SECTOR;

		sector(want, l);
		if (memcmp(buf + off, want, SECTOR)) {
			fprintf(stderr, "usbbench: %s: LBA %" PRIu64 ": not the image's data "
				"(its stamp: '%.8s' LBA %" PRIu64 ")\n", stack_name, l,
				memcmp(buf + off, MAGIC, 8) ? "?" : MAGIC, get_le64(buf + off + 8));
			return -EBADMSG;
		}
	}
	return 0;
}

/* FNV-1a over little-endian 64-bit words, continuing from @h. */
static uint64_t hash(uint64_t h, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i + 8 <= len; i += 8) {
		h ^= get_le64(p + i);
		h *= 0x100000001b3ULL;
	}
	return h;
}

#define HASH_INIT	0xcbf29ce484222325ULL

static int make_image(const char *path, const char *mib_s)
{
	char *end;
	unsigned long mib = strtoul(mib_s, &end, 10);
	uint8_t *buf;
	int fd;

	if (*end || mib == 0 || mib > 4096) {
		fprintf(stderr, "usbbench: --make-image: MIB 1..4096\n");
		return 2;
	}
	buf = malloc(MIB);
	if (!buf)
		return 1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		fprintf(stderr, "usbbench: %s: %s\n", path, strerror(errno));
		free(buf);
		return 1;
	}
	for (uint64_t m = 0; m < mib; m++) {
		for (uint32_t s = 0; s < MIB / SECTOR; s++)
			sector(buf + (size_t)s * SECTOR, m * (MIB / SECTOR) + s);
		if (write(fd, buf, MIB) != (ssize_t)MIB) {
			fprintf(stderr, "usbbench: %s: %s\n", path, strerror(errno ? errno : EIO));
			close(fd);
			free(buf);
			return 1;
		}
	}
	free(buf);
	if (close(fd)) {
		fprintf(stderr, "usbbench: %s: %s\n", path, strerror(errno));
		return 1;
	}
	return 0;
}

static int sum_file(const char *path)
{
	uint8_t *buf = malloc(MIB);
	uint64_t h = HASH_INIT, total = 0;
	ssize_t n;
	int fd;

	if (!buf)
		return 1;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "usbbench: %s: %s\n", path, strerror(errno));
		free(buf);
		return 1;
	}
	/* The guest hashes 1 MiB reads; an image is whole MiBs (make_image). */
	while ((n = read(fd, buf, MIB)) > 0) {
		if (n != (ssize_t)MIB) {
			fprintf(stderr, "usbbench: %s: not a whole number of MiB\n", path);
			close(fd);
			free(buf);
			return 1;
		}
		h = hash(h, buf, MIB);
		total += MIB;
	}
	close(fd);
	free(buf);
	if (n < 0) {
		fprintf(stderr, "usbbench: %s: %s\n", path, strerror(errno));
		return 1;
	}
	printf("usbbench: region image bytes=%" PRIu64 " sum=%016" PRIx64 "\n", total, h);
	return 0;
}

/* ---- the two ways to read ---- */

struct disk {
	uint64_t size;		/* bytes */
	/* read @len bytes at byte offset @off into @buf; 0 or -errno */
	int (*read)(struct disk *d, uint64_t off, uint32_t len, uint8_t *buf);
	/* Linux */
	int fd;
	char stat_path[96];
	/* xhcid */
	int port, in, out;
	uint32_t tag;
	struct us_ring ring;
	bool have_ring;
	long long stage_ns[4];	/* the last command's stages: [1] CBW, [2] data, [3] CSW */
	uint8_t *cbw, *csw;	/* in the ring's reach: any memory will do */
};

static long long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int blk_read(struct disk *d, uint64_t off, uint32_t len, uint8_t *buf)
{
	ssize_t n = pread(d->fd, buf, len, (off_t)off);

	if (n < 0)
		return -errno;
	return n == (ssize_t)len ? 0 : -EIO;
}

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

static void cbw_fill(uint8_t *cbw, uint32_t tag, uint32_t len, const uint8_t *cdb,
		     uint8_t cdb_len)
{
	memset(cbw, 0, CBW_LEN);
	put32(cbw, CBW_SIG);
	put32(cbw + 4, tag);
	put32(cbw + 8, len);
	cbw[12] = 0x80;		/* data in (every command here reads, or has none) */
	cbw[14] = cdb_len;
	memcpy(cbw + 15, cdb, cdb_len);
}

/* The CSW of @tag: 0 with *status, or -EPROTO. */
static int csw_check(const uint8_t *csw, uint32_t tag, uint8_t *status, uint32_t *residue)
{
	if (get32(csw) != CSW_SIG || get32(csw + 4) != tag) {
		fprintf(stderr, "usbbench: CSW signature %#x tag %#x, want %#x %#x\n",
			get32(csw), get32(csw + 4), CSW_SIG, tag);
		return -EPROTO;
	}
	*status = csw[12];
	*residue = get32(csw + 8);
	return 0;
}

/*
 * Submit what was prepared and wait for @n CQEs; each one's res goes to
 * res[user_data] (user_data 1..3). 0 or -errno.
 */
static int ring_run(struct disk *d, unsigned int n, int res[4])
{
	int r = us_submit_and_wait(&d->ring, n);

	if (r < 0)
		return r;
	for (unsigned int i = 0; i < n; i++) {
		struct uscheme_cqe *c = us_peek_cqe(&d->ring);

		if (!c) {
			r = us_wait_cqe(&d->ring, &c, -1);
			if (r)
				return r;
		}
		if (c->user_data < 1 || c->user_data > 3) {
			fprintf(stderr, "usbbench: a CQE with user_data %llu\n",
				(unsigned long long)c->user_data);
			us_cqe_seen(&d->ring);
			return -EPROTO;
		}
		res[c->user_data] = c->res;
		us_cqe_seen(&d->ring);
	}
	return 0;
}

/*
 * One Bulk-Only command with an IN data stage of @len bytes (0: none) into
 * @data: CBW, data, CSW. *got gets the data stage's length. 0, or -errno.
 */
static int bot_cmd(struct disk *d, const uint8_t *cdb, uint8_t cdb_len, uint8_t *data,
		   uint32_t len, uint32_t *got, uint8_t *status, uint32_t *residue)
{
	uint32_t tag = ++d->tag;
	int r, res[4] = { 0, 0, 0, 0 };	/* [1] CBW, [2] data, [3] CSW */

	cbw_fill(d->cbw, tag, len, cdb, cdb_len);
	memset(d->csw, 0, CSW_LEN);
	if (opt.io == IO_RING) {
		long long t0 = now_ns(), t1, t2;

		us_prep_write(us_get_sqe(&d->ring), d->out, d->cbw, CBW_LEN, 0, 1);
		r = ring_run(d, 1, res);
		t1 = now_ns();
		if (!r && res[1] == CBW_LEN && len) {
			us_prep_read(us_get_sqe(&d->ring), d->in, data, len, 0, 2);
			r = ring_run(d, 1, res);
		}
		t2 = now_ns();
		if (!r && res[1] == CBW_LEN && res[2] >= 0) {
			us_prep_read(us_get_sqe(&d->ring), d->in, d->csw, CSW_LEN, 0, 3);
			r = ring_run(d, 1, res);
		}
		d->stage_ns[1] = t1 - t0;
		d->stage_ns[2] = t2 - t1;
		d->stage_ns[3] = now_ns() - t2;
		if (r)
			return r;
		if (res[1] != CBW_LEN) {
			fprintf(stderr, "usbbench: CBW (op %#04x): %s\n", cdb[0],
				res[1] < 0 ? strerror(-res[1]) : "short");
			return res[1] < 0 ? res[1] : -EIO;
		}
	} else if (opt.io == IO_RING2) {
		/*
		 * The CBW (ep02) and the data READ (ep81) in one enter: a
		 * device NAKs an IN until it has data, and xhcid queues the
		 * two in the order they come (QEMU's controller runs the
		 * ep02 TD when its doorbell rings, before ep81's). The CSW
		 * READ only once the data stage is done: QEMU's usb-storage
		 * leaves a CSW READ queued behind the data READ on ep81
		 * unanswered (usb_msd_command_complete completes the data
		 * packet while its SCSI request is still set, so the CSW
		 * packet is deferred as "still in flight", and nothing
		 * completes it).
		 */
		us_prep_write(us_get_sqe(&d->ring), d->out, d->cbw, CBW_LEN, 0, 1);
		if (len)
			us_prep_read(us_get_sqe(&d->ring), d->in, data, len, 0, 2);
		r = ring_run(d, len ? 2 : 1, res);
		if (r)
			return r;
		if (res[1] != CBW_LEN) {
			fprintf(stderr, "usbbench: CBW (op %#04x): %s\n", cdb[0],
				res[1] < 0 ? strerror(-res[1]) : "short");
			return res[1] < 0 ? res[1] : -EIO;
		}
		if (res[2] >= 0) {
			us_prep_read(us_get_sqe(&d->ring), d->in, d->csw, CSW_LEN, 0, 3);
			r = ring_run(d, 1, res);
			if (r)
				return r;
		}
	} else {
		long long t0 = now_ns(), t1, t2;
		ssize_t n = write(d->out, d->cbw, CBW_LEN);

		if (n != CBW_LEN)
			return n < 0 ? -errno : -EIO;
		t1 = now_ns();
		if (len) {
			n = read(d->in, data, len);
			res[2] = n < 0 ? -errno : (int)n;
		}
		t2 = now_ns();
		if (res[2] >= 0) {
			n = read(d->in, d->csw, CSW_LEN);
			res[3] = n < 0 ? -errno : (int)n;
		}
		d->stage_ns[1] = t1 - t0;
		d->stage_ns[2] = t2 - t1;
		d->stage_ns[3] = now_ns() - t2;
	}
	if (res[2] < 0) {
		fprintf(stderr, "usbbench: data stage (op %#04x, %u bytes): %s\n", cdb[0], len,
			strerror(-res[2]));
		return res[2];
	}
	if (res[3] != CSW_LEN) {
		fprintf(stderr, "usbbench: CSW (op %#04x): %s\n", cdb[0],
			res[3] < 0 ? strerror(-res[3]) : "not 13 bytes");
		return res[3] < 0 ? res[3] : -EPROTO;
	}
	*got = (uint32_t)res[2];
	return csw_check(d->csw, tag, status, residue);
}

static int usb_read(struct disk *d, uint64_t off, uint32_t len, uint8_t *buf)
{
	uint32_t lba = (uint32_t)(off / SECTOR), n = len / SECTOR, got = 0, residue = 0;
	uint8_t cdb[10] = { 0x28, 0, (uint8_t)(lba >> 24), (uint8_t)(lba >> 16),
			    (uint8_t)(lba >> 8), (uint8_t)lba, 0, (uint8_t)(n >> 8), (uint8_t)n, 0 };
	uint8_t st = 0xff;
	int r = bot_cmd(d, cdb, 10, buf, len, &got, &st, &residue);

	if (r)
		return r;
	if (st != 0 || residue != 0 || got != len) {
		fprintf(stderr, "usbbench: READ(10) LBA %u x %u: status %u residue %u, %u of %u bytes\n",
			lba, n, st, residue, got, len);
		return -EIO;
	}
	return 0;
}

/* TEST UNIT READY until ready (a reset leaves UNIT ATTENTION), then READ CAPACITY. */
static int usb_ready(struct disk *d)
{
	static const uint8_t tur[6] = { 0 };
	static const uint8_t rs[6] = { 0x03, 0, 0, 0, 18, 0 };
	static const uint8_t cap[10] = { 0x25 };
	uint8_t buf[18], st = 0xff;
	uint32_t got, residue;
	int r;

	for (int i = 0;; i++) {
		r = bot_cmd(d, tur, 6, NULL, 0, &got, &st, &residue);
		if (r)
			return r;
		if (st == 0)
			break;
		if (i == 10) {
			fprintf(stderr, "usbbench: the unit never became ready\n");
			return -EIO;
		}
		r = bot_cmd(d, rs, 6, buf, 18, &got, &st, &residue);
		if (r)
			return r;
	}
	r = bot_cmd(d, cap, 10, buf, 8, &got, &st, &residue);
	if (r)
		return r;
	if (st != 0 || got != 8 || get32be(buf + 4) != SECTOR) {
		fprintf(stderr, "usbbench: READ CAPACITY: status %u, %u bytes, block size %u\n",
			st, got, got == 8 ? get32be(buf + 4) : 0);
		return -EIO;
	}
	d->size = ((uint64_t)get32be(buf) + 1) * SECTOR;
	return 0;
}

/* The first ready mass-storage port of @scheme's listing, or -errno. */
static int find_port(const char *scheme)
{
	char path[96], *text = NULL, *line, *save = NULL;
	int fd, err, port = -ENODEV;

	snprintf(path, sizeof(path), "%s:", scheme);
	fd = us_open(path, O_RDONLY);
	if (fd < 0)
		return fd;
	err = us_read_all(fd, &text, NULL);
	close(fd);
	if (err)
		return err;
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		unsigned int p;
		char state[16], speed[8], ids[16], cls[16];

		if (sscanf(line, "%u %15s %7s %15s %15s", &p, state, speed, ids, cls) == 5 &&
		    !strcmp(state, "ready") && !strcmp(cls, "08/06/50")) {
			printf("usbbench: %s: port %u: %s speed, %s, Bulk-Only mass storage\n",
			       scheme, p, speed, ids);
			port = (int)p;
			break;
		}
	}
	free(text);
	return port;
}

static int usb_open(struct disk *d, const char *scheme)
{
	struct usb_port_info info;
	struct usb_ep_info ei[2];
	char path[96];
	uint32_t cfg = 1;
	int r, port = opt.port >= 0 ? opt.port : find_port(scheme);

	if (port < 0) {
		fprintf(stderr, "usbbench: %s: no ready mass-storage device: %s\n", scheme,
			strerror(-port));
		return port;
	}
	snprintf(path, sizeof(path), "%s:%d", scheme, port);
	d->port = us_open(path, O_RDWR);
	if (d->port < 0) {
		fprintf(stderr, "usbbench: open %s O_RDWR: %s\n", path, strerror(-d->port));
		return d->port;
	}
	memset(&info, 0, sizeof(info));
	r = us_call(d->port, NULL, 0, &info, sizeof(info), USB_CALL_PORT_INFO);
	if (r == (int)sizeof(info) && info.config == 0)
		r = us_call(d->port, &cfg, sizeof(cfg), NULL, 0, USB_CALL_SET_CONFIG);
	if (r < 0) {
		fprintf(stderr, "usbbench: %s: port info / SET_CONFIG: %s\n", path, strerror(-r));
		return r;
	}
	d->in = us_dup(d->port, "ep81", 0);
	d->out = us_dup(d->port, "ep02", 0);
	if (d->in < 0 || d->out < 0) {
		fprintf(stderr, "usbbench: %s: DUP ep81: %d, ep02: %d\n", path, d->in, d->out);
		return d->in < 0 ? d->in : d->out;
	}
	if (us_call(d->in, NULL, 0, &ei[0], sizeof(ei[0]), USB_CALL_EP_INFO) == (int)sizeof(ei[0]) &&
	    us_call(d->out, NULL, 0, &ei[1], sizeof(ei[1]), USB_CALL_EP_INFO) == (int)sizeof(ei[1]))
		printf("usbbench: %s: ep81 bulk max packet %u burst %u, ep02 max packet %u burst %u\n",
		       path, ei[0].max_packet, ei[0].max_burst, ei[1].max_packet, ei[1].max_burst);
	d->cbw = malloc(CBW_LEN);
	d->csw = malloc(CSW_LEN);
	if (!d->cbw || !d->csw)
		return -ENOMEM;
	if (opt.io != IO_FD) {
		r = us_ring_init(&d->ring, 8, 0, 0);
		if (r) {
			fprintf(stderr, "usbbench: client ring: %s\n", strerror(-r));
			return r;
		}
		d->have_ring = true;
	}
	d->read = usb_read;
	return usb_ready(d);
}

static void usb_close(struct disk *d)
{
	if (d->have_ring)
		us_ring_exit(&d->ring);
	if (d->in >= 0)
		close(d->in);
	if (d->out >= 0)
		close(d->out);
	if (d->port >= 0)
		close(d->port);
	free(d->cbw);
	free(d->csw);
}

/* /sys/block/NAME/stat: reads completed (the first field). */
static long long blk_reads(struct disk *d)
{
	long long v = -1;
	FILE *f = fopen(d->stat_path, "re");

	if (!f)
		return -1;
	if (fscanf(f, "%lld", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

static void blk_queue_info(const char *name)
{
	static const char *const keys[] = { "max_sectors_kb", "max_hw_sectors_kb",
					    "max_segments", "logical_block_size", "scheduler" };
	char path[128], val[128];

	printf("usbbench: /sys/block/%s/queue:", name);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		FILE *f;

		snprintf(path, sizeof(path), "/sys/block/%s/queue/%s", name, keys[i]);
		f = fopen(path, "re");
		if (!f || !fgets(val, sizeof(val), f))
			snprintf(val, sizeof(val), "?\n");
		if (f)
			fclose(f);
		val[strcspn(val, "\n")] = '\0';
		printf(" %s=%s", keys[i], val);
	}
	printf("\n");
}

static int blk_open(struct disk *d, const char *dev)
{
	const char *name = strrchr(dev, '/') ? strrchr(dev, '/') + 1 : dev;
	struct stat st;
	int lbs = 0;

	d->fd = open(dev, O_RDONLY | O_DIRECT | O_CLOEXEC);
	if (d->fd < 0) {
		fprintf(stderr, "usbbench: %s: %s\n", dev, strerror(errno));
		return -errno;
	}
	/* a regular file too (the image itself: a host-side check of this program) */
	if (!fstat(d->fd, &st) && S_ISREG(st.st_mode)) {
		d->size = (uint64_t)st.st_size;
		d->read = blk_read;
		return 0;
	}
	if (ioctl(d->fd, BLKGETSIZE64, &d->size) || ioctl(d->fd, BLKSSZGET, &lbs)) {
		fprintf(stderr, "usbbench: %s: size: %s\n", dev, strerror(errno));
		return -errno;
	}
	if (lbs != (int)SECTOR) {
		fprintf(stderr, "usbbench: %s: logical block size %d, want %u\n", dev, lbs, SECTOR);
		return -EINVAL;
	}
	snprintf(d->stat_path, sizeof(d->stat_path), "/sys/block/%s/stat", name);
	blk_queue_info(name);
	d->read = blk_read;
	return 0;
}

/* ---- the workloads ---- */

static int cmp_ll(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

enum kind { SEQ4K, RAND4K, SEQ1M, REGION };

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

static int run(struct disk *d, enum kind k, const char *name, uint8_t *buf)
{
	unsigned int ops = k == SEQ1M ? opt.ops1m : k == REGION ? (unsigned int)(d->size / MIB)
								: opt.ops4k;
	uint32_t len = k == SEQ1M || k == REGION ? MIB : K4;
	uint64_t rnd = opt.seed ? opt.seed : 1, h = HASH_INIT, off = 0;
	long long *lat = calloc(ops ? ops : 1, sizeof(*lat)), total = 0, reads0 = -1;
	long long *stage = calloc((size_t)(ops ? ops : 1) * 3, sizeof(*stage));
	bool stages = d->read == usb_read && opt.io != IO_RING2;
	struct rusage ru0, ru1;
	int r = 0;

	if (!lat || !stage) {
		free(lat);
		free(stage);
		return -ENOMEM;
	}
	if (d->read == blk_read)
		reads0 = blk_reads(d);
	getrusage(RUSAGE_SELF, &ru0);
	for (unsigned int i = 0; i < ops; i++) {
		long long t0;

		switch (k) {
		case SEQ4K:
			off = (uint64_t)i * K4 % d->size;
			break;
		case RAND4K:
			off = xorshift(&rnd) % (d->size / K4) * K4;
			break;
		case SEQ1M:
		case REGION:
			off = (uint64_t)i * MIB % d->size;
			break;
		}
		t0 = now_ns();
		r = d->read(d, off, len, buf);
		lat[i] = now_ns() - t0;
		for (int j = 0; j < 3; j++)
			stage[(size_t)j * ops + i] = d->stage_ns[j + 1];
		if (r) {
			fprintf(stderr, "usbbench: %s %s: read of %u bytes at %" PRIu64 ": %s\n",
				stack_name, name, len, off, strerror(-r));
			break;
		}
		/* untimed: the data must be the image's */
		r = check(buf, off / SECTOR, len);
		if (r)
			break;
		h = hash(h, buf, len);
		total += lat[i];
	}
	getrusage(RUSAGE_SELF, &ru1);
	if (!r && k == REGION) {
		printf("usbbench: region %s bytes=%" PRIu64 " sum=%016" PRIx64 "\n", stack_name,
		       (uint64_t)ops * len, h);
	} else if (!r) {
		double secs = total / 1e9;

		qsort(lat, ops, sizeof(*lat), cmp_ll);
		printf("usbbench: result %s %s ops=%u bytes=%" PRIu64 " io_ns=%lld iops=%.0f mibs=%.1f "
		       "lat_us_mean=%.0f lat_us_p50=%.0f lat_us_p99=%.0f csw_per_op=%.2f sum=%016" PRIx64 "\n",
		       stack_name, name, ops, (uint64_t)ops * len, total, ops / secs,
		       (double)ops * len / MIB / secs, total / 1e3 / ops, lat[ops / 2] / 1e3,
		       lat[(size_t)ops * 99 / 100] / 1e3,
		       (double)(ru1.ru_nvcsw - ru0.ru_nvcsw + ru1.ru_nivcsw - ru0.ru_nivcsw) / ops, h);
		if (stages) {
			double mean[3];

			for (int j = 0; j < 3; j++) {
				long long sum = 0, *st = stage + (size_t)j * ops;

				for (unsigned int k = 0; k < ops; k++)
					sum += st[k];
				mean[j] = sum / 1e3 / ops;
				qsort(st, ops, sizeof(*st), cmp_ll);
			}
			printf("usbbench: stages %s %s cbw_us_p50=%.0f data_us_p50=%.0f csw_us_p50=%.0f "
			       "cbw_us_mean=%.0f data_us_mean=%.0f csw_us_mean=%.0f\n", stack_name, name,
			       stage[ops / 2] / 1e3, stage[ops + ops / 2] / 1e3,
			       stage[2 * (size_t)ops + ops / 2] / 1e3, mean[0], mean[1], mean[2]);
		}
		if (reads0 >= 0) {
			long long reads1 = blk_reads(d);

			printf("usbbench: %s %s: the block layer completed %lld reads for %u preads\n",
			       stack_name, name, reads1 - reads0, ops);
		}
	}
	free(lat);
	free(stage);
	fflush(stdout);
	return r;
}

/* What copying 1 MiB costs here (xhcid copies each READ's data twice more than O_DIRECT). */
static void memcpy_speed(uint8_t *buf)
{
	long long lat[32];
	uint8_t *src = malloc(MIB);

	if (!src)
		return;
	memset(src, 0x5a, MIB);
	for (int i = 0; i < 32; i++) {
		long long t0 = now_ns();

		memcpy(buf, src, MIB);
		lat[i] = now_ns() - t0;
	}
	free(src);
	qsort(lat, 32, sizeof(lat[0]), cmp_ll);
	printf("usbbench: memcpy %s us_p50=%.0f (1 MiB, 32 times)\n", stack_name, lat[16] / 1e3);
}

static int parse_uint(const char *s, unsigned int lo, unsigned int hi, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: usbbench --make-image FILE MIB | --sum FILE |\n"
		"       usbbench blk DEV | usb SCHEME [--io ring|ring2|fd] [--ops4k N] [--ops1m N]\n"
		"                [--seed S] [--port N]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct disk d = { .fd = -1, .port = -1, .in = -1, .out = -1 };
	bool usb;
	uint8_t *buf = NULL;
	int r, i;

	if (argc == 4 && !strcmp(argv[1], "--make-image"))
		return make_image(argv[2], argv[3]);
	if (argc == 3 && !strcmp(argv[1], "--sum"))
		return sum_file(argv[2]);
	if (argc < 3 || (strcmp(argv[1], "blk") && strcmp(argv[1], "usb")))
		return usage();
	usb = !strcmp(argv[1], "usb");
	for (i = 3; i < argc; i += 2) {
		unsigned int v;

		if (i + 1 >= argc)
			return usage();
		if (!strcmp(argv[i], "--io") && usb && !strcmp(argv[i + 1], "ring")) {
			opt.io = IO_RING;
		} else if (!strcmp(argv[i], "--io") && usb && !strcmp(argv[i + 1], "ring2")) {
			opt.io = IO_RING2;
		} else if (!strcmp(argv[i], "--io") && usb && !strcmp(argv[i + 1], "fd")) {
			opt.io = IO_FD;
		} else if (!strcmp(argv[i], "--ops4k") && !parse_uint(argv[i + 1], 1, 1000000, &v)) {
			opt.ops4k = v;
		} else if (!strcmp(argv[i], "--ops1m") && !parse_uint(argv[i + 1], 1, 100000, &v)) {
			opt.ops1m = v;
		} else if (!strcmp(argv[i], "--seed") && !parse_uint(argv[i + 1], 1, ~0u, &v)) {
			opt.seed = v;
		} else if (!strcmp(argv[i], "--port") && usb && !parse_uint(argv[i + 1], 1, 255, &v)) {
			opt.port = (int)v;
		} else {
			return usage();
		}
	}
	stack_name = !usb ? "linux" : opt.io == IO_RING ? "xhcid-ring" :
		     opt.io == IO_RING2 ? "xhcid-ring2" : "xhcid-fd";
	r = usb ? usb_open(&d, argv[2]) : blk_open(&d, argv[2]);
	if (!r && (d.size < MIB || d.size % MIB)) {
		fprintf(stderr, "usbbench: %s: %" PRIu64 " bytes: not a whole number of MiB\n",
			argv[2], d.size);
		r = -EINVAL;
	}
	if (!r && posix_memalign((void **)&buf, 4096, MIB))
		r = -ENOMEM;
	if (!r) {
		printf("usbbench: %s: %s, %" PRIu64 " MiB; 4 KiB workloads %u reads, 1 MiB %u\n",
		       stack_name, argv[2], d.size / MIB, opt.ops4k, opt.ops1m);
		memcpy_speed(buf);
		fflush(stdout);
		r = run(&d, REGION, "region", buf);
	}
	if (!r)
		r = run(&d, SEQ4K, "4k-seq", buf);
	if (!r)
		r = run(&d, RAND4K, "4k-rand", buf);
	if (!r)
		r = run(&d, SEQ1M, "1m-seq", buf);
	free(buf);
	if (usb)
		usb_close(&d);
	else if (d.fd >= 0)
		close(d.fd);
	if (r) {
		fprintf(stderr, "usbbench: %s: failed: %s\n", stack_name, strerror(-r));
		return 1;
	}
	printf("usbbench: %s ok\n", stack_name);
	return 0;
}
