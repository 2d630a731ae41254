// SPDX-License-Identifier: MIT
/* The events suite's list of tests (one file per behaviour); see events.h. */
#include "events.h"

/* ------------------------------------------------------------------ */

static const struct tap_test tests[] = {
	{ "feature", t_feature, 0 },
	{ "fu_batch_errors", t_fu_batch, 0 },
	{ "fu_bad_op", t_fu_bad_op, 0 },
	{ "fu_del_strict", t_fu_del_strict, 0 },
	{ "fu_res_over_user_data", t_fu_res_over_user_data, 0 },
	{ "edge_eventfd", t_edge_eventfd, 0 },
	{ "oneshot", t_oneshot, 0 },
	{ "src_pipe", t_pipe, 0 },
	{ "src_socketpair", t_socketpair, 0 },
	{ "src_timerfd", t_timerfd, 0 },
	{ "src_regular_file", t_regular_file, 0 },
	{ "src_handle_fd", t_handle_fd, 0 },
	{ "src_client_ring", t_ring_source, 0 },
	{ "ring_release_wakes_watcher", t_ring_release_wakes, 0 },
	{ "rings_watch_each_other", t_rings_watch_each_other, 0 },
	{ "src_scheme_ring", t_scheme_ring_source, 0 },
	{ "send_event_poll_epoll", t_send_event, 0 },
	{ "poll_ring_fd", t_poll_ring, 0 },
	{ "storm", t_storm, 180 },
	{ "thousands", t_thousands, 180 },
	{ "cq_full", t_cq_full, 0 },
	{ "stalled_event_sleeps", t_stalled_event_sleeps, 0 },
	{ "close_watched", t_close_watched, 0 },
	{ "close_disarmed_oneshot", t_close_disarmed, 0 },
	{ "race_close_vs_fire", t_race_close_fire, 400 },
	{ "race_del_vs_fire", t_race_del_fire, 400 },
	{ "race_daemon_death", t_race_daemon_death, 400 },
	{ "daemon_death_wakes", t_daemon_death_wakes, 0 },
	{ "race_ring_close", t_race_ring_close, 300 },
	{ "race_watched_ring_close", t_race_watched_ring_close, 300 },
	{ "single_wait", t_single_wait, 120 },
	{ "daemon_watch", t_daemon_watch, 120 },
	{ "daemon_unwatch_in_callback", t_daemon_unwatch_in_callback, 0 },
	{ "unix_io_uring_refused", t_unix_io_uring_refused, 0 },
	{ "gc_watch_cycles", t_gc_watch_cycles, 60 },
	{ "passfd_refused", t_passfd_refused, 0 },
	{ "gc_passfd_cycles", t_gc_passfd_cycles, 60 },
	{ "race_pollfree", t_race_pollfree, 400 },
};

int main(int argc, char **argv)
{
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_time_limit);
	return tap_run("events", tests, sizeof(tests) / sizeof(tests[0]),
		       argc > 1 ? argv[1] : NULL);
}
