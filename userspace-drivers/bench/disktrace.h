/* SPDX-License-Identifier: MIT */
/*
 * Timing counters a driver keeps for make bench-disk's breakdown of a
 * request's time (tests/run-disk-bench.sh), off unless the driver is given
 * --trace FILE: then it maps FILE (made beforehand by the bench: at least
 * DISKTRACE_SIZE bytes, writable by the driver's uid; never created,
 * followed through a symlink or trusted for anything but counting) and adds
 * CLOCK_MONOTONIC nanoseconds and counts to the slots below. A reader
 * (diskbench --trace FILE) takes the difference over a run. With no --trace
 * the cost is one NULL test per event.
 *
 * usbscsid's slots (per disk READ/WRITE request and per Bulk-Only command):
 *   DT_S_IOS, DT_S_IO_NS        requests; request in -> answer sent
 *   DT_S_CMDS, DT_S_STAGE1_NS   commands; CBW and data submitted -> both done
 *   DT_S_CSW_NS                 CSW READ submitted -> its completion
 * xhcid's slots (per client transfer):
 *   DT_X_XFERS                  transfers answered
 *   DT_X_IN_NS                  request in -> its TD's doorbell
 *   DT_X_DEV_NS                 doorbell -> its completion event seen
 *   DT_X_OUT_NS                 event -> answer sent (IN data copied)
 */
#ifndef DISKTRACE_H
#define DISKTRACE_H

#include <fcntl.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define DISKTRACE_SIZE	4096
#define DISKTRACE_SLOTS	16

enum {
	DT_S_IOS, DT_S_IO_NS, DT_S_CMDS, DT_S_STAGE1_NS, DT_S_CSW_NS,
};
enum {
	DT_X_XFERS, DT_X_IN_NS, DT_X_DEV_NS, DT_X_OUT_NS,
};

struct disktrace {
	volatile uint64_t v[DISKTRACE_SLOTS];
};

/* Map path's first page, or NULL (printed by the caller). */
static inline struct disktrace *disktrace_open(const char *path)
{
	struct stat st;
	void *p;
	int fd = open(path, O_RDWR | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size < DISKTRACE_SIZE) {
		close(fd);
		return NULL;
	}
	p = mmap(NULL, DISKTRACE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static inline uint64_t disktrace_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void disktrace_add(struct disktrace *t, unsigned int slot, uint64_t v)
{
	if (t && slot < DISKTRACE_SLOTS)
		t->v[slot] += v;
}

#endif /* DISKTRACE_H */
