// SPDX-License-Identifier: MIT
/*
 * uscheme: the command-line tool.
 *
 *   uscheme features            module feature bits
 *   uscheme nop [COUNT [DEPTH]] NOP round trips through a fresh ring, then
 *                               the ring's statistics
 *   uscheme bench [OPS]         IPC round trips: uscheme ring and fd vs socket,
 *                               pipe, FUSE, io_uring, side by side (bench.c)
 *   uscheme bench-cell MECH BYTES DEPTH [OPS [unpinned]]
 *                               one cell of those tables alone (for profiling)
 *   uscheme schemes             the schemes served (sys:schemes), as a table
 *   uscheme stats [NAME]        each scheme's counters, explained
 *   uscheme ls SCHEME:PATH      a directory's entries
 *   uscheme cat SCHEME:PATH     a file's bytes to stdout
 *   uscheme write SCHEME:PATH   stdin into a file (created or truncated)
 *   uscheme stat SCHEME:PATH    what fstat(2) says about a handle
 *   (files.c)
 *   uscheme bind ADDRESS        hand a PCI function to uscheme's stub driver
 *   uscheme unbind ADDRESS      give it back to the kernel's own driver
 *   (bind.c)
 *   uscheme lsusb [-v] [SCHEME] the USB devices of the usb.* schemes (usb.c)
 *   uscheme blk attach|detach|list  disk schemes as block devices (blk.c)
 *
 * Exit status: 0 done, 1 failed (the message says why: "no such scheme",
 * "no such file or directory", "permission denied", ...), 2 usage error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../libuscheme/libuscheme.h"
#include "bench.h"
#include "bind.h"
#include "blk.h"
#include "files.h"
#include "usb.h"

/* Indexed by bit number (USCHEME_FEAT_*). */
static const char *const feature_names[] = {
	"nop", "cqe32", "scheme", "files_update", "device", "scheme_ring", "pass_fd",
};

static int usage(FILE *f)
{
	fprintf(f, "usage: uscheme features\n"
		   "       uscheme nop [COUNT [DEPTH]]   (COUNT default 100000, DEPTH 1..%d, default 32)\n"
		   "       uscheme bench [OPS]           (OPS per repetition, a multiple of 128; default 102400)\n"
		   "       uscheme bench-cell ring|fd|unix|pipe|fuse|uring BYTES DEPTH [OPS [unpinned]]\n"
		   "       uscheme schemes               the schemes served, as a table\n"
		   "       uscheme stats [NAME]          per-scheme counters (requests, responses, rejected, ...)\n"
		   "       uscheme ls SCHEME:PATH        list a directory\n"
		   "       uscheme cat SCHEME:PATH       copy a file to stdout\n"
		   "       uscheme write SCHEME:PATH     copy stdin into a file (created, truncated)\n"
		   "       uscheme stat SCHEME:PATH      show what fstat(2) returns for it\n"
		   "       uscheme bind ADDRESS          hand PCI function ADDRESS (0000:00:04.0) to uscheme\n"
		   "       uscheme unbind ADDRESS        give it back to the kernel's own driver\n"
		   "       uscheme lsusb [-v] [SCHEME]   USB devices of the usb.* schemes (SCHEME, or all), as\n"
		   "                                     lsusb -t; -v: their descriptors. Exit 1 also when no\n"
		   "                                     usb.* scheme is served\n"
		   "       uscheme blk attach [--nbd|--ublk] [--read-only] disk.NAME:LUN\n"
		   "                                     the disk as a block device (blkbridge); prints its name\n"
		   "       uscheme blk detach DEVICE     stop its bridge; the device is removed\n"
		   "       uscheme blk list              the disks attached\n"
		   "exit status: 0 done, 1 failed, 2 usage error\n",
		USCHEME_MAX_SQ_ENTRIES);
	return f == stderr ? 2 : 0;
}

static int fail(const char *what, int err)
{
	fprintf(stderr, "uscheme: %s: %s%s\n", what, strerror(-err),
		err == -ENOENT ? " (is uscheme.ko loaded?)" : "");
	return 1;
}

static int cmd_features(void)
{
	uint64_t f;
	size_t i;
	int err = us_features(&f);

	if (err)
		return fail(USCHEME_DEVICE, err);
	printf("features 0x%" PRIx64 ":", f);
	for (i = 0; i < 64; i++) {
		if (!(f & (1ULL << i)))
			continue;
		if (i < sizeof(feature_names) / sizeof(feature_names[0]))
			printf(" %s", feature_names[i]);
		else
			printf(" bit%zu", i);	/* newer module than this tool */
	}
	printf("\n");
	return 0;
}

static int parse_u32(const char *s, unsigned long max, unsigned int *out)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || *end || !*s || v == 0 || v > max)
		return -1;
	*out = (unsigned int)v;
	return 0;
}

static int cmd_nop(unsigned int count, unsigned int depth)
{
	unsigned int sq = 1, done = 0, sent = 0;
	struct uscheme_stats st;
	struct timespec a, b;
	struct us_ring r;
	double secs;
	int err;

	while (sq < depth)
		sq *= 2;
	err = us_ring_init(&r, sq, 0, 0);
	if (err)
		return fail("ring setup", err);
	printf("ring: %u SQ entries, %u CQ entries, %u-byte CQEs, features 0x%" PRIx64 "\n",
	       r.sq_entries, r.cq_entries, r.cqe_size, r.features);
	clock_gettime(CLOCK_MONOTONIC, &a);
	while (done < count) {
		struct uscheme_cqe *cqe;

		while (sent < count && sent - done < depth) {
			struct uscheme_sqe *sqe = us_get_sqe(&r);

			if (!sqe)
				break;
			us_prep_nop(sqe, sent++);
		}
		err = us_submit_and_wait(&r, 1);
		if (err < 0 && err != -EBUSY) {
			us_ring_exit(&r);
			return fail("enter", err);
		}
		while ((cqe = us_peek_cqe(&r))) {
			if (cqe->res != 0 || cqe->user_data != done) {
				fprintf(stderr, "uscheme: unexpected completion %" PRIu64 " res %d (want %u)\n",
					(uint64_t)cqe->user_data, cqe->res, done);
				us_ring_exit(&r);
				return 1;
			}
			us_cqe_seen(&r);
			done++;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	err = us_ring_stats(&r, &st);
	us_ring_exit(&r);
	if (err)
		return fail("stats", err);
	printf("%u NOP round trips at queue depth %u: all completed in order, %.3f s (%.0f/s)\n",
	       done, depth, secs, secs > 0 ? done / secs : 0.0);
	printf("stats: submitted %" PRIu64 " completed %" PRIu64 " rejected %" PRIu64
	       " overflow %" PRIu64 " busy %" PRIu64 " waits %" PRIu64 " lost %" PRIu64 "\n",
	       (uint64_t)st.submitted, (uint64_t)st.completed, (uint64_t)st.rejected,
	       (uint64_t)st.overflow, (uint64_t)st.busy, (uint64_t)st.waits, (uint64_t)st.lost);
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int count = 100000, depth = 32;

	if (argc < 2)
		return usage(stderr);
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))
		return usage(stdout);
	if (!strcmp(argv[1], "features") && argc == 2)
		return cmd_features();
	if (!strcmp(argv[1], "nop") && argc <= 4) {
		if (argc > 2 && parse_u32(argv[2], 1UL << 31, &count)) {
			fprintf(stderr, "uscheme: bad COUNT '%s'\n", argv[2]);
			return 2;
		}
		if (argc > 3 && parse_u32(argv[3], USCHEME_MAX_SQ_ENTRIES, &depth)) {
			fprintf(stderr, "uscheme: bad DEPTH '%s' (1..%d)\n", argv[3],
				USCHEME_MAX_SQ_ENTRIES);
			return 2;
		}
		return cmd_nop(count, depth);
	}
	if (!strcmp(argv[1], "bench") && argc <= 3) {
		unsigned int ops = 102400;

		if (argc > 2 && (parse_u32(argv[2], 1UL << 30, &ops) || ops % 128)) {
			fprintf(stderr, "uscheme: bad OPS '%s' (a multiple of 128)\n", argv[2]);
			return 2;
		}
		return uscheme_bench(ops);
	}
	if (!strcmp(argv[1], "bench-cell") && argc >= 5 && argc <= 7) {
		unsigned int ops = 4096, len, depth;
		bool pin = true;

		if (argc == 7 && strcmp(argv[6], "unpinned")) {
			fprintf(stderr, "uscheme: bench-cell: '%s' is not 'unpinned'\n", argv[6]);
			return 2;
		}
		pin = argc < 7;
		len = 0;
		if ((strcmp(argv[3], "0") && parse_u32(argv[3], 65536, &len)) ||
		    parse_u32(argv[4], 128, &depth) || !depth ||
		    (argc > 5 && (parse_u32(argv[5], 1UL << 30, &ops) || !ops))) {
			fprintf(stderr, "uscheme: bench-cell MECH BYTES DEPTH [OPS [unpinned]] "
				"(BYTES 0..65536, DEPTH 1..128)\n");
			return 2;
		}
		return uscheme_bench_cell(argv[2], len, depth, ops, pin);
	}
	if (!strcmp(argv[1], "schemes") && argc == 2)
		return cmd_schemes();
	if (!strcmp(argv[1], "stats") && argc <= 3)
		return cmd_stats(argc == 3 ? argv[2] : NULL);
	if (!strcmp(argv[1], "lsusb"))
		return cmd_lsusb(argc - 2, argv + 2);
	if (!strcmp(argv[1], "blk"))
		return cmd_blk(argc - 2, argv + 2);
	if (argc == 3) {
		if (!strcmp(argv[1], "ls"))
			return cmd_ls(argv[2]);
		if (!strcmp(argv[1], "cat"))
			return cmd_cat(argv[2]);
		if (!strcmp(argv[1], "write"))
			return cmd_write(argv[2]);
		if (!strcmp(argv[1], "stat"))
			return cmd_stat(argv[2]);
		if (!strcmp(argv[1], "bind"))
			return cmd_bind(argv[2]);
		if (!strcmp(argv[1], "unbind"))
			return cmd_unbind(argv[2]);
	}
	return usage(stderr);
}
