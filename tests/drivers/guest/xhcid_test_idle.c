// SPDX-License-Identifier: MIT
/*
 * Idle CPU: an xhcid with nothing to do sleeps in one wait. Over 2 s its
 * CPU time (utime + stime of every thread) does not grow beyond one clock
 * tick, and it is not woken (a 2 ms polling loop would be ~1000
 * context switches).
 */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#include "xhcid_test.h"

static int idle_one(const char *addr, pid_t pid, unsigned long long t0, unsigned long long s0)
{
	unsigned long long t1, s1;

	CHECK_EQ(xt_proc_usage(pid, &t1, &s1), 0);
	fprintf(stderr, "  # xhcid %s (pid %d): %llu CPU ticks, %llu context switches over 2 s\n",
		addr, (int)pid, t1 - t0, s1 - s0);
	CHECK(t1 - t0 <= 1);
	CHECK(s1 - s0 <= 2);
	return 0;
}

int t_idle_cpu(void)
{
	pid_t p0 = xt_xhcid_pid(XT_CTRL0), p1 = xt_xhcid_pid(XT_CTRL1);
	unsigned long long t0, s0, t1, s1;

	if (p0 <= 0 || p1 <= 0) {
		fprintf(stderr, "  no xhcid process for %s (%d) or %s (%d)\n", XT_CTRL0, (int)p0,
			XT_CTRL1, (int)p1);
		return -1;
	}
	/* both enumerated and settled */
	CHECK(xt_wait_ready(XT_CTRL0, XT_KBD_VID, XT_KBD_PID, 20) > 0);
	CHECK(xt_wait_ready(XT_CTRL1, XT_DISK_VID, XT_DISK_PID, 20) > 0);
	usleep(500 * 1000);
	CHECK_EQ(xt_proc_usage(p0, &t0, &s0), 0);
	CHECK_EQ(xt_proc_usage(p1, &t1, &s1), 0);
	sleep(2);
	CHECK(!idle_one(XT_CTRL0, p0, t0, s0));
	CHECK(!idle_one(XT_CTRL1, p1, t1, s1));
	return 0;
}
