// SPDX-License-Identifier: MIT
/* The route suite's list of tests (one file each); see route.h. */
#include "route.h"

static const struct tap_test tests[] = {
	{ "ring_ops", t_ring_ops, 0 },
	{ "syscall_ops", t_syscall_ops, 0 },
	{ "open_errors", t_open_errors, 0 },
	{ "passed_fd", t_passed_fd, 0 },
	{ "op_errors", t_op_errors, 0 },
	{ "big_io_1mib", t_big_io, 120 },
	{ "backpressure", t_backpressure, 120 },
	{ "unreaped_answers_free_data", t_unreaped_answers_free_data, 0 },
	{ "evil_daemon", t_evil_daemon, 0 },
	{ "evil_fstat_mode", t_evil_fstat_mode, 0 },
	{ "cancel", t_cancel, 0 },
	{ "signal_and_kill_client", t_signal, 0 },
	{ "credentials", t_credentials, 0 },
	{ "daemon_closes_ring", t_daemon_closes_ring, 0 },
	{ "daemon_killed", t_daemon_killed, 0 },
	{ "client_dies", t_client_dies, 0 },
	{ "close_once", t_close_once, 0 },
	{ "fork_inherits", t_fork_inherits, 0 },
	{ "scm_rights", t_scm_rights, 0 },
	{ "exec_keeps", t_exec_keeps, 0 },
#ifndef __i386__
	/* no 32-bit liburing to link: the -m32 build leaves this one out */
	{ "io_uring", t_io_uring, 0 },
	{ "task_work_not_eintr", t_task_work_not_eintr, 0 },
	{ "task_work_blocking_op", t_task_work_blocking_op, 0 },
#endif
	{ "concurrency_100k", t_concurrency, 420 },
	{ "kill_under_load_x100", t_kill_under_load, 600 },
	{ "sys_schemes", t_sys_schemes, 0 },
};

int main(int argc, char **argv)
{
	if (argc >= 4 && !strcmp(argv[1], "--exec-child"))
		return exec_child(argv);
	signal(SIGPIPE, SIG_IGN);
	return tap_run("route", tests, sizeof(tests) / sizeof(tests[0]),
		       argc > 1 ? argv[1] : NULL);
}
