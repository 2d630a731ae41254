// SPDX-License-Identifier: MIT
/*
 * usbscsid_test: the disk.*: scheme usbscsid serves, from a client's side
 * (guest/usbscsid-suite.sh runs it; the disks are named on the command line).
 *
 *   usbscsid_test [--quick] --main D [--4k D] [--lun0 D --lun1 D] [--ro D] [--big D]
 *       the TAP suite "usbscsid-scheme": the contract (usbscsid_test_contract.c)
 *       and 32 requests in flight from 4 clients (below)
 *   usbscsid_test write PATH LBA COUNT SEED [fsync]
 *   usbscsid_test verify PATH LBA COUNT SEED
 *       the block pattern (usbscsid_test.h) on a disk.*: path or a file or
 *       block device (O_DIRECT): what Linux's usb-storage checks and writes
 *   usbscsid_test writer PATH LBA SEED SECONDS
 *       writes 64 KiB after 64 KiB until an error or SECONDS pass, then
 *       prints "writer: N ok, then ERRNO-NAME" (the fault tests)
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "usbscsid_test.h"

extern const struct tap_test ut_contract_tests[];
extern const size_t ut_contract_count;

/*
 * 4 clients, each its own handle and ring with 8 requests in flight: mixed
 * sizes (512 B .. 256 KiB), every client its own region; all written, then
 * all read back and checked, twice over with new seeds.
 */
#define CL_N		4
#define CL_DEPTH	8
#define CL_OPS		32	/* per pass; each op its own 256 KiB at LBA region + op * 512 */

static const uint32_t cl_sizes[] = { 512, 4096, 65536, 1536, 262144, 8192, 32768, 131072 };

static int client(int id)
{
	uint64_t region = 4096 + (uint64_t)id * CL_OPS * 512;
	uint8_t *bufs[CL_DEPTH];
	int slot_op[CL_DEPTH];
	struct us_ring ring;
	int fd, i, pass, err;

	fd = ut_open(ut.main, O_RDWR);
	if (fd < 0)
		return -1;
	err = us_ring_init(&ring, 32, 0, 0);
	if (err) {
		fprintf(stderr, "  ring: %s\n", strerror(-err));
		return -1;
	}
	for (i = 0; i < CL_DEPTH; i++) {
		bufs[i] = aligned_alloc(4096, 262144);
		if (!bufs[i])
			return -1;
	}
	for (pass = 0; pass < 4; pass++) {
		bool write = !(pass & 1);
		uint64_t seed = 0xc0ffee00ULL + (uint64_t)id * 16 + (uint64_t)(pass / 2);
		int next = 0, done = 0, inflight = 0, max_inflight = 0;

		for (i = 0; i < CL_DEPTH; i++)
			slot_op[i] = -1;
		while (done < CL_OPS) {
			while (inflight < CL_DEPTH && next < CL_OPS) {
				uint32_t len = cl_sizes[next % 8];
				uint64_t lba = region + (uint64_t)next * 512;
				struct uscheme_sqe *sqe;
				int slot;

				for (slot = 0; slot < CL_DEPTH && slot_op[slot] >= 0; slot++)
					;
				sqe = us_get_sqe(&ring);
				if (!sqe || slot == CL_DEPTH)
					break;
				if (write) {
					ut_fill(bufs[slot], len, 512, lba, seed);
					us_prep_write(sqe, fd, bufs[slot], len, lba * 512,
						      (uint64_t)slot << 32 | (uint32_t)next);
				} else {
					memset(bufs[slot], 0, len);
					us_prep_read(sqe, fd, bufs[slot], len, lba * 512,
						     (uint64_t)slot << 32 | (uint32_t)next);
				}
				slot_op[slot] = next;
				next++;
				inflight++;
			}
			if (inflight > max_inflight)
				max_inflight = inflight;
			err = us_submit_and_wait(&ring, 1);
			if (err < 0) {
				fprintf(stderr, "  client %d: enter: %s\n", id, strerror(-err));
				return -1;
			}
			for (;;) {
				struct uscheme_cqe *cqe = us_peek_cqe(&ring);
				int op, slot;
				uint32_t len;

				if (!cqe)
					break;
				op = (int)(uint32_t)cqe->user_data;
				slot = (int)(cqe->user_data >> 32);
				if (op < 0 || op >= CL_OPS || slot >= CL_DEPTH || slot_op[slot] != op) {
					fprintf(stderr, "  client %d: a CQE for no op of ours\n", id);
					return -1;
				}
				len = cl_sizes[op % 8];
				if (cqe->res != (int)len) {
					fprintf(stderr, "  client %d: op %d (%s %u bytes): res %d\n", id,
						op, write ? "write" : "read", len, cqe->res);
					return -1;
				}
				if (!write && ut_check(bufs[slot], len, 512, region + (uint64_t)op * 512,
						       seed)) {
					fprintf(stderr, "  client %d: op %d: data\n", id, op);
					return -1;
				}
				slot_op[slot] = -1;
				us_cqe_seen(&ring);
				inflight--;
				done++;
			}
		}
		if (max_inflight < CL_DEPTH) {
			fprintf(stderr, "  client %d: only %d in flight\n", id, max_inflight);
			return -1;
		}
	}
	for (i = 0; i < CL_DEPTH; i++)
		free(bufs[i]);
	us_ring_exit(&ring);
	close(fd);
	return 0;
}

/* 4 clients at once, 8 requests in flight each: 32 in flight at usbscsid. */
static int t_concurrent_clients(void)
{
	pid_t pids[CL_N];
	int i, status, bad = 0;

	for (i = 0; i < CL_N; i++) {
		pids[i] = fork();
		if (pids[i] == 0)
			exit(client(i) ? 1 : 0);
	}
	for (i = 0; i < CL_N; i++) {
		if (pids[i] < 0 || waitpid(pids[i], &status, 0) < 0 || !WIFEXITED(status) ||
		    WEXITSTATUS(status))
			bad = 1;
	}
	return bad ? -1 : 0;
}

/*
 * Hostile clients: 8 processes each queue 8 reads of 1 MiB and 8 writes
 * of 64 KiB (to a scratch region) on a ring and die (SIGKILL) before any
 * answer; 600 handles opened and left to close at exit. usbscsid must go
 * on serving: the data is then read back right.
 */
static int t_clients_die_mid_request(void)
{
	uint8_t *b = aligned_alloc(4096, 1 << 20);
	int i, status, fd;

	CHECK(b);
	for (i = 0; i < 8; i++) {
		pid_t pid = fork();

		CHECK(pid >= 0);
		if (pid == 0) {
			struct us_ring ring;
			int f = us_open(ut.main, O_RDWR), k;

			if (f < 0 || us_ring_init(&ring, 32, 0, 0))
				_exit(1);
			for (k = 0; k < 8; k++) {
				struct uscheme_sqe *sqe = us_get_sqe(&ring);

				us_prep_read(sqe, f, b, 1 << 20, (uint64_t)k << 20, (uint64_t)k);
			}
			for (k = 0; k < 8; k++) {
				struct uscheme_sqe *sqe = us_get_sqe(&ring);

				ut_fill(b + k * 65536, 65536, 512, 60000 + (uint64_t)k * 128, 0xdead);
				us_prep_write(sqe, f, b + k * 65536, 65536,
					      (60000 + (uint64_t)k * 128) * 512, 100 + (uint64_t)k);
			}
			us_submit(&ring);
			kill(getpid(), SIGKILL);
			_exit(1);
		}
		CHECK(waitpid(pid, &status, 0) == pid);
		CHECK(WIFSIGNALED(status));
	}
	{
		int fds[600], n;

		for (n = 0; n < 600; n++) {
			fds[n] = us_open(ut.main, O_RDONLY);
			if (fds[n] < 0)
				break;
		}
		fprintf(stderr, "  %d handles open at once\n", n);
		CHECK(n >= 500);
		while (n--)
			close(fds[n]);
	}
	fd = ut_open(ut.main, O_RDWR);
	CHECK(fd >= 0);
	ut_fill(b, 1 << 20, 512, 2000, 0xa11e);
	CHECK_EQ(ut_pwrite(fd, b, 1 << 20, 2000 * 512), 0);
	memset(b, 0, 1 << 20);
	CHECK_EQ(ut_pread(fd, b, 1 << 20, 2000 * 512), 0);
	CHECK_EQ(ut_check(b, 1 << 20, 512, 2000, 0xa11e), 0);
	close(fd);
	free(b);
	return 0;
}

static const struct tap_test main_tests[] = {
	{ "concurrent_clients_32_in_flight", t_concurrent_clients, 240 },
	{ "clients_die_mid_request_many_handles", t_clients_die_mid_request, 120 },
};

static int open_any(const char *path, int flags)
{
	if (strchr(path, ':') && path[0] != '/')
		return us_open(path, flags);
	return open(path, flags | O_DIRECT);
}

static int mode_region(int argc, char **argv, bool write)
{
	uint64_t lba, count, seed;
	uint32_t bs;
	uint64_t size;
	int fd, err;

	if (argc < 6)
		return 2;
	lba = strtoull(argv[3], NULL, 0);
	count = strtoull(argv[4], NULL, 0);
	seed = strtoull(argv[5], NULL, 0);
	fd = open_any(argv[2], write ? O_RDWR : O_RDONLY);
	if (fd < 0) {
		fprintf(stderr, "usbscsid_test: open %s: %s\n", argv[2], strerror(fd == -1 ? errno : -fd));
		return 1;
	}
	if (argv[2][0] == '/') {
		bs = 512;
	} else {
		err = ut_geometry(fd, &bs, &size);
		if (err)
			return 1;
	}
	err = write ? ut_write_region(fd, bs, lba, count, seed, 1 << 20)
		    : ut_verify_region(fd, bs, lba, count, seed, 256 << 10);
	if (!err && write && argc > 6 && !strcmp(argv[6], "fsync") && fsync(fd))
		err = -errno;
	printf("usbscsid_test: %s %s: %llu blocks of %u at LBA %llu, seed %llx: %s\n",
	       write ? "write" : "verify", argv[2], (unsigned long long)count, bs,
	       (unsigned long long)lba, (unsigned long long)seed, err ? strerror(-err) : "ok");
	close(fd);
	return err ? 1 : 0;
}

static int mode_writer(int argc, char **argv)
{
	uint8_t *b = aligned_alloc(4096, 65536);
	uint64_t lba, seed, n = 0;
	time_t end;
	int fd, err = 0;

	if (argc < 6 || !b)
		return 2;
	lba = strtoull(argv[3], NULL, 0);
	seed = strtoull(argv[4], NULL, 0);
	end = time(NULL) + atoi(argv[5]);
	fd = us_open(argv[2], O_RDWR);
	if (fd < 0) {
		printf("writer: open: %s\n", strerror(-fd));
		return 1;
	}
	printf("writer: started\n");
	fflush(stdout);
	while (time(NULL) < end) {
		uint64_t l = lba + (n % 64) * 128;

		ut_fill(b, 65536, 512, l, seed);
		err = ut_pwrite(fd, b, 65536, l * 512);
		if (err)
			break;
		n++;
	}
	printf("writer: %llu ok, then %s\n", (unsigned long long)n, err ? strerror(-err) : "time");
	close(fd);
	free(b);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "quick", no_argument, NULL, 'q' },
		{ "main", required_argument, NULL, 'm' },
		{ "4k", required_argument, NULL, '4' },
		{ "lun0", required_argument, NULL, '0' },
		{ "lun1", required_argument, NULL, '1' },
		{ "ro", required_argument, NULL, 'r' },
		{ "big", required_argument, NULL, 'b' },
		{ "only", required_argument, NULL, 'o' },
		{ 0 }
	};
	const char *only = NULL;
	struct tap_test *all;
	int opt, rc;
	size_t n;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc > 1 && !strcmp(argv[1], "write"))
		return mode_region(argc, argv, true);
	if (argc > 1 && !strcmp(argv[1], "verify"))
		return mode_region(argc, argv, false);
	if (argc > 1 && !strcmp(argv[1], "writer"))
		return mode_writer(argc, argv);
	while ((opt = getopt_long(argc, argv, "", lopts, NULL)) != -1) {
		switch (opt) {
		case 'q': ut.quick = 1; break;
		case 'm': ut.main = optarg; break;
		case '4': ut.b4k = optarg; break;
		case '0': ut.lun0 = optarg; break;
		case '1': ut.lun1 = optarg; break;
		case 'r': ut.ro = optarg; break;
		case 'b': ut.big = optarg; break;
		case 'o': only = optarg; break;
		default:
			fprintf(stderr, "usage: see the top of guest/usbscsid_test.c\n");
			return 2;
		}
	}
	if (!ut.main) {
		fprintf(stderr, "usbscsid_test: --main DISK is needed\n");
		return 2;
	}
	n = ut_contract_count + sizeof(main_tests) / sizeof(main_tests[0]);
	all = calloc(n, sizeof(*all));
	if (!all)
		return 1;
	memcpy(all, ut_contract_tests, ut_contract_count * sizeof(*all));
	memcpy(all + ut_contract_count, main_tests, sizeof(main_tests));
	rc = tap_run("usbscsid-scheme", all, n, only);
	free(all);
	return rc;
}
