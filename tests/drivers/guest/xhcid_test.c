// SPDX-License-Identifier: MIT
/*
 * xhcid_test: the usb.*: scheme that xhcid serves, from a client's side
 * (guest only, root, uscheme.ko loaded, a pcid running xhcid for both of
 * the VM's xHCI controllers; guest/xhcid-suite.sh sets that up). TAP,
 * "# suite xhcid-scheme". The VM's devices and disks: xhcid_test.h.
 *
 * Usage: xhcid_test [--quick] [--linux DIR] [--monitor TTY] [name-substring]
 *   --quick      fewer and smaller transfers (the debug kernel's VM)
 *   --linux DIR  also compare the descriptors with those Linux's xhci_hcd
 *                saved in DIR (DIR/ADDR/VVVV:PPPP)
 *   --monitor    QEMU's monitor as a tty of the guest (default /dev/ttyS2)
 *        xhcid_test --make-image FILE DISK
 *                write disk image DISK (0, 1) with its pattern (host side)
 *        xhcid_test --monitor-cmd COMMAND
 *                one command to QEMU's monitor (/dev/ttyS2), for the suite
 *        xhcid_test --open-rw PATH
 *                open PATH O_RDWR and close it: exit 0, or 1 and why
 *                (strerror) on stderr, for the suite
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "xhcid_test.h"

struct xt_opts xt;

static const struct tap_test tests[] = {
	{ "listing_ctrl0_disk_usb3_kbd_usb2", t_listing_ctrl0, 30 },
	{ "listing_ctrl1_disk_usb2_intx", t_listing_ctrl1, 30 },
	{ "paths_enoent_enodev_nobody", t_paths, 30 },
	{ "desc_disk_read_info_fstat", t_desc_disk, 30 },
	{ "desc_kbd_read_info_fstat", t_desc_kbd, 30 },
	{ "desc_disk2_read_info_fstat", t_desc_disk2, 30 },
	{ "desc_same_as_linux_xhci_hcd", t_desc_linux, 30 },
	{ "ctrl_get_descriptor_equals_read", t_ctrl_descriptors, 30 },
	{ "ctrl_string_descriptor", t_ctrl_string, 30 },
	{ "ctrl_malformed_einval", t_ctrl_malformed, 30 },
	{ "ctrl_in_room_over_wlength_einval", t_ctrl_room, 30 },
	{ "ctrl_stall_ep0_epipe_then_works", t_ctrl_stall, 30 },
	{ "ctrl_access_eperm_ebusy_eacces", t_ctrl_access, 30 },
	{ "bulk_inquiry_1byte_capacity", t_bulk_scsi, 30 },
	{ "bulk_read10_1_sector_to_1mib_pattern", t_bulk_read_sizes, 60 },
	{ "bulk_write10_readback_scratch", t_bulk_write, 60 },
	{ "bulk_32_reads_in_flight_ring", t_bulk_inflight, 60 },
	{ "bulk_errors_direction_zero_noep_toobig", t_bulk_errors, 30 },
	{ "bulk_usb2_disk_intx_controller", t_bulk_usb2, 60 },
	{ "stall_in_epipe_bot_reset_recovers", t_stall_in, 30 },
	{ "stall_out_bad_cbw_epipe_recovers", t_stall_out, 30 },
	{ "intr_16_reads_queued_then_cancelled", t_intr_queue, 30 },
	{ "cancel_waiting_read_ecanceled", t_cancel, 30 },
	{ "kill_client_waiting_on_interrupt_ep", t_kill_waiting, 30 },
	{ "kill_client_mid_1mib_transfer", t_kill_midtransfer, 60 },
	{ "intr_read_waits_until_qemu_key", t_intr_key, 30 },
	{ "intr_poll_readiness_event_on_key", t_intr_poll, 30 },
	{ "intr_clear_halt_resets_host_side_ebusy_while_queued", t_intr_clear_halt, 30 },
	{ "events_port_and_dir_on_set_config", t_events_port_and_dir, 30 },
	{ "iface_paths_owner_exclusion", t_iface_paths_exclusion, 30 },
	{ "iface_bulk_only_client_on_if0", t_iface_bot, 60 },
	{ "iface_owner_limits_eperm_enoent", t_iface_limits, 30 },
	{ "idle_xhcid_no_cpu_no_wakeups", t_idle_cpu, 30 },
	{ "port_reset_owner_stale_handles_enumerated_again_eperm", t_reset_disk_owner, 40 },
	{ "port_reset_iface_owner_pending_read_enodev", t_reset_kbd_iface_owner, 40 },
	/* last: they unplug devices (and plug the keyboard back) */
	{ "hotplug_kbd_pending_read_enodev_replug", t_hotplug_kbd, 40 },
	{ "hotplug_disk_enumerated_removed_under_io", t_hotplug_disk, 60 },
};

int main(int argc, char **argv)
{
	struct tap_test run[sizeof(tests) / sizeof(tests[0])];
	const char *only = NULL;
	size_t n = 0;
	int i;

	/* One command to QEMU's monitor, for xhcid-suite.sh (hot-plug). */
	if (argc == 3 && !strcmp(argv[1], "--monitor-cmd"))
		return xt_monitor(argv[2]) ? 1 : 0;
	if (argc == 3 && !strcmp(argv[1], "--open-rw")) {
		int fd = us_open(argv[2], O_RDWR);

		if (fd < 0) {
			fprintf(stderr, "xhcid_test: %s: %s\n", argv[2], strerror(-fd));
			return 1;
		}
		close(fd);
		return 0;
	}
	if (argc == 4 && !strcmp(argv[1], "--make-image")) {
		int err = xt_make_image(argv[2], (unsigned int)atoi(argv[3]));

		if (err)
			fprintf(stderr, "xhcid_test: %s: %s\n", argv[2], strerror(-err));
		return err ? 1 : 0;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			xt.quick = 1;
		else if (!strcmp(argv[i], "--linux") && i + 1 < argc)
			xt.linux_dir = argv[++i];
		else if (!strcmp(argv[i], "--monitor") && i + 1 < argc)
			xt.monitor = argv[++i];
		else if (argv[i][0] == '-' || only) {
			fprintf(stderr, "usage: xhcid_test [--quick] [--linux DIR] [--monitor TTY] "
				"[name-substring]\n       xhcid_test --make-image FILE DISK\n"
				"       xhcid_test --monitor-cmd COMMAND\n");
			return 2;
		} else
			only = argv[i];
	}
	/* Linux's descriptors are compared only where they were saved. */
	for (size_t t = 0; t < sizeof(tests) / sizeof(tests[0]); t++)
		if (tests[t].fn != t_desc_linux || xt.linux_dir)
			run[n++] = tests[t];
	return tap_run("xhcid-scheme", run, n, only);
}
