/* SPDX-License-Identifier: MIT */
/*
 * A tiny TAP runner for the userspace suites. Each test runs in its own
 * forked child with a time limit, so a crash or hang fails that test only.
 * Output: "ok N - name" / "not ok N - name # why", then a closing
 * "# N passed, N failed" line that tests/run-all.sh reads.
 */
#ifndef USCHEME_TAP_H
#define USCHEME_TAP_H

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct tap_test {
	const char *name;
	int (*fn)(void);
	unsigned int timeout_s;	/* 0: 60 s */
};

#define CHECK(cond) do {							\
	if (!(cond)) {								\
		fprintf(stderr, "  %s:%d: CHECK(%s) failed\n",			\
			__FILE__, __LINE__, #cond);				\
		return -1;							\
	}									\
} while (0)

#define CHECK_EQ(a, b) do {							\
	long long _a = (long long)(a), _b = (long long)(b);			\
	if (_a != _b) {								\
		fprintf(stderr, "  %s:%d: %s == %s failed: %lld != %lld\n",	\
			__FILE__, __LINE__, #a, #b, _a, _b);			\
		return -1;							\
	}									\
} while (0)

static inline long long tap_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

#if defined(__SANITIZE_ADDRESS__)
#define TAP_SUITE_SUFFIX "-asan"
#elif defined(__i386__)
#define TAP_SUITE_SUFFIX "-m32"	/* a 32-bit process: the kernel's compat path */
#else
#define TAP_SUITE_SUFFIX ""
#endif

static inline int tap_run(const char *suite, const struct tap_test *t, size_t n,
			  const char *only)
{
	unsigned int passed = 0, failed = 0, num = 0;
	size_t i;

	printf("TAP version 13\n# suite %s%s\n", suite, TAP_SUITE_SUFFIX);
	fflush(stdout);
	for (i = 0; i < n; i++) {
		int status = 0;
		pid_t pid;

		if (only && !strstr(t[i].name, only))
			continue;
		num++;
		pid = fork();
		if (pid == 0) {
			alarm(t[i].timeout_s ? t[i].timeout_s : 60);
			/* exit(), not _exit(): LeakSanitizer checks at exit. */
			exit(t[i].fn() ? 1 : 0);
		}
		if (pid < 0 || waitpid(pid, &status, 0) < 0) {
			printf("not ok %u - %s # fork/wait: %s\n", num, t[i].name,
			       strerror(errno));
			failed++;
		} else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
			printf("ok %u - %s\n", num, t[i].name);
			passed++;
		} else if (WIFSIGNALED(status)) {
			printf("not ok %u - %s # killed by signal %d%s\n", num,
			       t[i].name, WTERMSIG(status),
			       WTERMSIG(status) == SIGALRM ? " (time limit: hang?)" : "");
			failed++;
		} else {
			printf("not ok %u - %s\n", num, t[i].name);
			failed++;
		}
		fflush(stdout);
	}
	printf("1..%u\n# %s%s: %u passed, %u failed\n", num, suite, TAP_SUITE_SUFFIX,
	       passed, failed);
	return failed ? 1 : 0;
}

#endif /* USCHEME_TAP_H */
