// SPDX-License-Identifier: MIT
/*
 * The hardening suite: regression tests for what a hostile local user or
 * daemon could do to uscheme (issue "Hardening"), one file per attack.
 * Runs as root in the test VM; the tests drop privileges where the attack
 * is an unprivileged user's.
 *
 * Usage: harden_test [name-substring]
 */
#include "harden.h"

static const struct tap_test tests[] = {
	{ "creds_userns_client", t_creds_userns_client, 0 },
	{ "creds_pidns_daemon", t_creds_pidns_daemon, 0 },
	{ "creds_fsuid", t_creds_fsuid, 0 },
	{ "opath_fstat_after_close", t_opath_fstat_after_close, 0 },
	{ "opath_truncate_after_close", t_opath_truncate_after_close, 0 },
	{ "opath_live_handle", t_opath_live_handle, 0 },
	{ "opath_truncate_readonly", t_opath_truncate_readonly, 0 },
	{ "zero_len_handle_call", t_zero_len_handle_call, 0 },
	{ "zero_len_ring_ops", t_zero_len_ring_ops, 0 },
	{ "daemon_internal_errno_read", t_daemon_internal_errno_read, 0 },
	{ "daemon_internal_errno_ring", t_daemon_internal_errno_ring, 0 },
	{ "daemon_errno_range", t_daemon_errno_range, 0 },
	{ "queued_dispatch_any_wait", t_queued_dispatch_any_wait, 0 },
	{ "enter_huge_timeout", t_enter_huge_timeout, 0 },
	{ "handle_hup_after_death", t_handle_hup_after_death, 0 },
	{ "submit_lock_not_held_for_daemon", t_submit_lock_not_held_for_daemon, 0 },
	{ "room_wait_bounded_by_timeout", t_room_wait_bounded_by_timeout, 0 },
	{ "signal_with_event_no_spin", t_signal_with_event_no_spin, 0 },
	{ "pins_charged_to_memlock", t_pins_charged_to_memlock, 0 },
	{ "exec_submitter_not_stranded", t_exec_submitter_not_stranded, 0 },
	{ "fd_publish_efault", t_fd_publish_efault, 0 },
	{ "abi_error_precedence", t_abi_error_precedence, 0 },
	{ "abi_watch_fd_reuse", t_abi_watch_fd_reuse, 0 },
	{ "abi_sys_handle_ring_ops", t_abi_sys_handle_ring_ops, 0 },
	{ "abi_enter_timeout_rules", t_abi_enter_timeout_rules, 0 },
#ifndef __i386__
	{ "abi_hup_same_everywhere", t_abi_hup_same_everywhere, 0 },
#endif
};

int main(int argc, char **argv)
{
	return tap_run("harden", tests, sizeof(tests) / sizeof(tests[0]),
		       argc > 1 ? argv[1] : NULL);
}
