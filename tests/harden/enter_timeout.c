// SPDX-License-Identifier: MIT
/*
 * A huge enter timeout (lengths: the maximum) waits, rather than wrapping
 * the deadline into the past and failing with -ETIME at once.
 */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harden.h"

int t_enter_huge_timeout(void)
{
	static const int64_t timeouts[] = { INT64_MAX, INT64_MAX - 1, 1LL << 62 };
	unsigned int i;
	int st;

	for (i = 0; i < sizeof(timeouts) / sizeof(timeouts[0]); i++) {
		pid_t pid = fork();

		CHECK(pid >= 0);
		if (pid == 0) {
			struct us_ring r;

			if (us_ring_init(&r, 4, 0, 0))
				_exit(2);
			/* Nothing will ever complete: only a signal ends this. */
			us_enter(&r, 0, 1, USCHEME_ENTER_GETEVENTS | USCHEME_ENTER_TIMEOUT,
				 timeouts[i], NULL);
			_exit(3);
		}
		usleep(500 * 1000);
		CHECK_EQ(waitpid(pid, &st, WNOHANG), 0);	/* still waiting */
		kill(pid, SIGKILL);
		CHECK_EQ(waitpid(pid, &st, 0), pid);
		CHECK(WIFSIGNALED(st));
	}
	return 0;
}
