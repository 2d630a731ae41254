/* SPDX-License-Identifier: MIT */
/*
 * Small helpers the userspace suites share (tests/route, tests/events, ...):
 * atomics on memory shared with forked daemons, the data pattern a test
 * daemon's READ places, children that never outlive their test, and opening
 * a scheme path through /dev/uscheme. See tests/lib/rawd.h for the test
 * daemon itself and tests/lib/tap.h for the runner.
 */
#ifndef USCHEME_TEST_UTIL_H
#define USCHEME_TEST_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "tap.h"

#define LOAD(p)		__atomic_load_n((p), __ATOMIC_ACQUIRE)
#define STORE(p, v)	__atomic_store_n((p), (v), __ATOMIC_RELEASE)
#define INC(p)		__atomic_add_fetch((p), 1, __ATOMIC_ACQ_REL)

#define MIB		(1U << 20)

/* The byte a test daemon's READ places at file offset x. */
static inline uint8_t pat(uint64_t x)
{
	x = (x + 1) * 0x9E3779B97F4A7C15ULL;
	return (uint8_t)(x >> 56);
}

/* b holds pat() from file offset off on: 0, or -1 (said on stderr). */
int check_pat(const unsigned char *b, uint64_t off, size_t n);
/* A syscall's result as res or -errno. */
long sysres(long r);
/* tap_now_ns() ms from now. */
long long deadline(int ms);
/* fork(); the child dies with its parent (the test's time limit kills it). */
pid_t fork_child(void);
/* Wait for a child to exit within ms; its status, or -1 (then it is killed). */
int wait_exit(pid_t pid, int ms);
/* 1 when status is a clean exit 0, else 0 (said on stderr). */
int exited_ok(int status);
/* /dev/uscheme, opened once per process. */
int dev(void);
/* USCHEME_IOC_OPEN of path: the handle fd or -errno. */
int h_open(const char *path, uint32_t flags);

#endif /* USCHEME_TEST_UTIL_H */
