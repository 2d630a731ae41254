// SPDX-License-Identifier: MIT
/*
 * A routed op is finished (its CQE posted) in the process that submitted
 * it. If that process execs or exits while another process still holds
 * the ring, the op's completion must not be stranded: the next enter of
 * any holder posts it.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harden.h"

int t_exec_submitter_not_stranded(void)
{
	struct uscheme_cqe *cqe;
	struct us_ring ring;
	static char buf[64];
	struct hd d;
	pid_t pid;
	int fd, st;

	CHECK(!hd_start(&d, "hexec", hd_answer_ok));
	fd = hd_open(&d, "f", O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(us_ring_init(&ring, 8, 0, 0), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		us_prep_read(us_get_sqe(&ring), fd, buf, sizeof(buf), 0, 77);
		if (us_submit(&ring) != 1)
			_exit(2);
		/* Never enters again: its address space goes with the exec. */
		execlp("sleep", "sleep", "3", (char *)NULL);
		_exit(3);
	}
	CHECK(!hd_wait_count(&d, USCHEME_OP_READ, 1));
	usleep(300 * 1000);	/* the daemon answered; the child exec'd */
	CHECK_EQ(us_wait_cqe(&ring, &cqe, 3000000000LL), 0);
	CHECK_EQ(cqe->user_data, 77);
	CHECK_EQ(cqe->res, (int)sizeof(buf));
	us_cqe_seen(&ring);
	kill(pid, SIGKILL);
	waitpid(pid, &st, 0);
	us_ring_exit(&ring);
	close(fd);
	hd_stop(&d);
	return 0;
}
