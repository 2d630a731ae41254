// SPDX-License-Identifier: MIT
/*
 * ramdiskd: a RAM-backed disk scheme, "disk.ram:" by default, serving the
 * disk-scheme contract (the one usbscsid serves; blkbridge/README.md):
 *
 *   ""   a listing, one line per LUN: "LUN SIZE_BYTES BLOCK_SIZE rw|ro\n"
 *   "N"  LUN N (decimal, 0-based): READ/WRITE at block-aligned offsets and
 *        lengths (-EINVAL otherwise), READ past the end short or 0, WRITE
 *        past the end -ENOSPC with nothing written, -EROFS on read-only
 *        media (also for an O_RDWR/O_WRONLY open), FSTAT S_IFBLK, FSYNC 0,
 *        FTRUNCATE -EINVAL.
 *
 *   ramdiskd [--name NAME] [--size SIZE] [--block-size 512|4096] [--luns N]
 *            [--read-only] [--exit-after-writes N] [--background] [-v]
 *
 * The test knob --exit-after-writes N makes the daemon die (_exit, without
 * answering) when the Nth WRITE arrives: a disk that goes away mid-write.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../libuscheme/daemon.h"
#include "common.h"

#define MAX_LUNS 8

static const char *prog = "ramdiskd";

struct lun {
	uint8_t *data;
	uint64_t size;
};

static struct {
	struct lun lun[MAX_LUNS];
	unsigned int nluns;
	uint32_t bs;
	int ro, verbose;
	uint64_t exit_after, writes, fsyncs;
} g;

/* A handle: the listing (lun < 0) or a LUN. */
struct rd_handle {
	int lun;
	int writable;
	char *listing;
	size_t listing_len;
};

static int parse_lun(const char *path, unsigned int *lun)
{
	char *end;
	unsigned long v;

	if (!*path || path[0] < '0' || path[0] > '9' || (path[0] == '0' && path[1]))
		return -ENOENT;
	errno = 0;
	v = strtoul(path, &end, 10);
	if (errno || *end || v >= g.nluns)
		return -ENOENT;
	*lun = (unsigned int)v;
	return 0;
}

static int r_open(struct us_daemon *d, const struct uscheme_req *req,
		  const char *path, void **state)
{
	struct rd_handle *h;
	int acc = (int)(req->op_flags & O_ACCMODE);
	unsigned int lun = 0;

	(void)d;
	if (*path && parse_lun(path, &lun))
		return -ENOENT;
	/* diskscheme.h: a LUN is root's (the listing is anyone's) */
	if (*path && req->uid != 0)
		return -EACCES;
	if (req->op_flags & (O_CREAT | O_TRUNC | O_APPEND))
		return *path ? -EINVAL : -EISDIR;
	if (!*path && acc != O_RDONLY)
		return -EISDIR;
	if (*path && acc != O_RDONLY && g.ro)
		return -EROFS;
	h = calloc(1, sizeof(*h));
	if (!h)
		return -ENOMEM;
	if (!*path) {
		size_t cap = (size_t)g.nluns * 64 + 1, n = 0;
		unsigned int i;

		h->lun = -1;
		h->listing = malloc(cap);
		if (!h->listing) {
			free(h);
			return -ENOMEM;
		}
		for (i = 0; i < g.nluns; i++)
			n += (size_t)snprintf(h->listing + n, cap - n, "%u %" PRIu64 " %u %s\n",
					      i, g.lun[i].size, g.bs, g.ro ? "ro" : "rw");
		h->listing_len = n;
	} else {
		h->lun = (int)lun;
		h->writable = acc != O_RDONLY;
	}
	*state = h;
	return 0;
}

static int r_read(struct us_daemon *d, const struct uscheme_req *req,
		  void *state, void *buf, size_t len, uint64_t off)
{
	struct rd_handle *h = state;
	struct lun *l;

	(void)d;
	(void)req;
	if (h->lun < 0) {
		if (off >= h->listing_len)
			return 0;
		if (len > h->listing_len - off)
			len = h->listing_len - off;
		memcpy(buf, h->listing + off, len);
		return (int)len;
	}
	l = &g.lun[h->lun];
	if (off % g.bs || len % g.bs)
		return -EINVAL;
	if (off >= l->size)
		return 0;
	if (len > l->size - off)
		len = l->size - off;
	memcpy(buf, l->data + off, len);
	return (int)len;
}

static int r_write(struct us_daemon *d, const struct uscheme_req *req,
		   void *state, const void *buf, size_t len, uint64_t off)
{
	struct rd_handle *h = state;
	struct lun *l;

	(void)d;
	(void)req;
	if (h->lun < 0)
		return -EISDIR;
	if (g.exit_after && ++g.writes >= g.exit_after) {
		fprintf(stderr, "%s: --exit-after-writes %" PRIu64 " reached: exiting\n",
			prog, g.exit_after);
		_exit(3);
	}
	l = &g.lun[h->lun];
	if (g.ro)
		return -EROFS;
	if (!h->writable)
		return -EBADF;
	if (off % g.bs || len % g.bs)
		return -EINVAL;
	if (off > l->size || len > l->size - off)
		return -ENOSPC;
	memcpy(l->data + off, buf, len);
	return (int)len;
}

static int r_fstat(struct us_daemon *d, const struct uscheme_req *req,
		   void *state, struct uscheme_stat *st)
{
	struct rd_handle *h = state;

	(void)d;
	(void)req;
	if (h->lun < 0) {
		st->mode = S_IFDIR | 0555;
		st->size = h->listing_len;
		st->blksize = 4096;
		return 0;
	}
	st->mode = S_IFBLK | (g.ro ? 0400 : 0600);
	st->size = g.lun[h->lun].size;
	st->blksize = g.bs;
	st->blocks = st->size / 512;
	return 0;
}

static int r_fsync(struct us_daemon *d, const struct uscheme_req *req, void *state)
{
	(void)d;
	(void)req;
	(void)state;
	g.fsyncs++;
	return 0;
}

static int r_ftruncate(struct us_daemon *d, const struct uscheme_req *req,
		       void *state, uint64_t length)
{
	(void)d;
	(void)req;
	(void)state;
	(void)length;
	return -EINVAL;
}

static void r_close(struct us_daemon *d, void *state)
{
	struct rd_handle *h = state;

	(void)d;
	if (h)
		free(h->listing);
	free(h);
}

static const struct us_scheme_ops ops = {
	.open = r_open,
	.read = r_read,
	.write = r_write,
	.fstat = r_fstat,
	.fsync = r_fsync,
	.ftruncate = r_ftruncate,
	.close = r_close,
};

static int usage(FILE *f)
{
	fprintf(f,
		"usage: %s [OPTIONS]\n"
		"Serve a RAM-backed disk scheme (the disk-scheme contract: \"\" lists the LUNs,\n"
		"\"N\" is LUN N as a disk).\n"
		"\n"
		"  --name NAME             scheme name (default disk.ram)\n"
		"  --size SIZE             bytes per LUN (default 64M; K/M/G; a multiple of the block size)\n"
		"  --block-size 512|4096   logical block size (default 512)\n"
		"  --luns N                number of LUNs, 1..%d (default 1)\n"
		"  --read-only             write-protected media\n"
		"  --exit-after-writes N   test knob: die when the Nth WRITE arrives\n"
		"  --data-size SIZE        the ring's data area (default 16M)\n"
		"  --background            return once serving, printing the pid\n"
		"  --verbose, -v           log every request\n",
		prog, MAX_LUNS);
	return f == stdout ? 0 : 2;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "name", required_argument, NULL, 'n' },
		{ "size", required_argument, NULL, 's' },
		{ "block-size", required_argument, NULL, 'b' },
		{ "luns", required_argument, NULL, 'l' },
		{ "read-only", no_argument, NULL, 'r' },
		{ "exit-after-writes", required_argument, NULL, 'x' },
		{ "data-size", required_argument, NULL, 'D' },
		{ "background", no_argument, NULL, 'B' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	uint64_t size = 64ULL << 20, bs = 512, luns = 1, data_size = 16 << 20;
	struct us_daemon_config cfg = { 0 };
	const char *name = "disk.ram";
	int background = 0, ready = -1, c, err;
	struct us_daemon d;
	unsigned int i;

	while ((c = getopt_long(argc, argv, "vh", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			name = optarg;
			break;
		case 's':
			if (parse_size(optarg, &size) || !size || size > (1ULL << 40)) {
				fprintf(stderr, "%s: bad --size '%s'\n", prog, optarg);
				return 2;
			}
			break;
		case 'b':
			if (parse_size(optarg, &bs) || (bs != 512 && bs != 4096)) {
				fprintf(stderr, "%s: bad --block-size '%s' (512 or 4096)\n", prog, optarg);
				return 2;
			}
			break;
		case 'l':
			if (parse_size(optarg, &luns) || !luns || luns > MAX_LUNS) {
				fprintf(stderr, "%s: bad --luns '%s' (1..%d)\n", prog, optarg, MAX_LUNS);
				return 2;
			}
			break;
		case 'r':
			g.ro = 1;
			break;
		case 'x':
			if (parse_size(optarg, &g.exit_after) || !g.exit_after) {
				fprintf(stderr, "%s: bad --exit-after-writes '%s'\n", prog, optarg);
				return 2;
			}
			break;
		case 'D':
			if (parse_size(optarg, &data_size) || data_size > USCHEME_DATA_MAX) {
				fprintf(stderr, "%s: bad --data-size '%s'\n", prog, optarg);
				return 2;
			}
			break;
		case 'B':
			background = 1;
			break;
		case 'v':
			g.verbose = 1;
			break;
		case 'h':
			return usage(stdout);
		default:
			return usage(stderr);
		}
	}
	if (optind != argc) {
		fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
		return usage(stderr);
	}
	if (size % bs) {
		fprintf(stderr, "%s: --size %" PRIu64 " is not a multiple of the block size %" PRIu64 "\n",
			prog, size, bs);
		return 2;
	}
	g.bs = (uint32_t)bs;
	g.nluns = (unsigned int)luns;
	if (background)
		ready = daemon_background(prog);
	for (i = 0; i < g.nluns; i++) {
		g.lun[i].size = size;
		g.lun[i].data = calloc(1, size);	/* untouched pages stay unallocated */
		if (!g.lun[i].data) {
			fprintf(stderr, "%s: cannot allocate %" PRIu64 " bytes\n", prog, size);
			return 1;
		}
	}
	cfg.data_size = (size_t)data_size;
	err = us_daemon_init(&d, name, &ops, NULL, &cfg);
	if (err) {
		us_daemon_perror(prog, &d, err);
		return 1;
	}
	err = us_daemon_handle_signals(&d);
	if (err) {
		fprintf(stderr, "%s: signals: %s\n", prog, strerror(-err));
		us_daemon_exit(&d);
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	fprintf(stderr, "%s: serving %s: (pid %d, %u LUN%s of %" PRIu64 " bytes, block size %u%s)\n",
		prog, d.name, (int)getpid(), g.nluns, g.nluns == 1 ? "" : "s", size, g.bs,
		g.ro ? ", read-only" : "");
	daemon_ready(ready);
	err = us_daemon_run(&d);
	if (err)
		fprintf(stderr, "%s: scheme ring failed: %s\n", prog, strerror(-err));
	else
		fprintf(stderr, "%s: stopping: %" PRIu64 " requests, %" PRIu64 " fsyncs\n",
			prog, d.stats.requests, g.fsyncs);
	us_daemon_exit(&d);
	for (i = 0; i < g.nluns; i++)
		free(g.lun[i].data);
	return err ? 1 : 0;
}
