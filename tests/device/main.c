// SPDX-License-Identifier: MIT
/* The device suite's list of tests (one file per behaviour); see device.h. */
#include "device.h"

static const struct tap_test tests[] = {
	{ "tool_bind_unbind", test_tool_bind_unbind, 0 },
	{ "tool_bind_errors", test_tool_bind_errors, 0 },
	{ "pcidev_open_errors", test_pcidev_open_errors, 0 },
	{ "pcidev_directory", test_pcidev_directory, 0 },
	{ "info_matches_sysfs", test_info_matches_sysfs, 0 },
	{ "config_read_matches_sysfs", test_config_read_matches_sysfs, 0 },
	{ "config_write_refused", test_config_write_refused, 0 },
	{ "config_write_allowed_master", test_config_write_allowed, 0 },
	{ "bar_mmap_registers", test_bar_mmap_registers, 0 },
	{ "bar_refused", test_bar_refused, 0 },
	{ "io_bar_registers", test_io_bar, 0 },
	{ "dma_alloc_mmap", test_dma_alloc_mmap, 0 },
	{ "dma_limits", test_dma_limits, 120 },
	{ "dma_kept_while_master", test_dma_kept_while_master, 120 },
	{ "dma_double_close", test_dma_double_close, 0 },
	{ "dma_bus_address", test_dma_bus_address, 0 },
	{ "irq_bad_input", test_irq_bad_input, 0 },
	{ "irq_read_interrupted", test_irq_read_interrupted, 0 },
	{ "irq_setup_auto", test_irq_setup_auto, 0 },
	{ "xhci_noop_msix", test_xhci_noop_msix, 0 },
	{ "xhci_noop_intx_masked_until_ack", test_xhci_noop_intx, 0 },
	{ "xhci_no_dma_without_master", test_xhci_no_dma_without_master, 0 },
	{ "kill_owner_stops_master", test_kill_owner_stops_master, 0 },
	{ "unprivileged_open_refused", test_unprivileged_open_refused, 0 },
	{ "unprivileged_inherited_handle", test_unprivileged_inherited_handle, 0 },
	{ "unbind_revokes_session", test_unbind_revokes_session, 0 },
	{ "decode_off_zaps_bar_mappings", test_decode_off_zaps_bar, 0 },
	{ "dangerous_caps_refused", test_dangerous_caps_refused, 0 },
	{ "session_state_reset", test_session_state_reset, 0 },
};

static void set_addr(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s%s", strchr(src, ':') == strrchr(src, ':') ? "0000:" : "", src);
}

int main(int argc, char **argv)
{
	const char *only = NULL, *e;
	int i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if ((e = getenv("USCHEME_DEV_MSIX")))
		set_addr(g_msix, sizeof(g_msix), e);
	if ((e = getenv("USCHEME_DEV_INTX")))
		set_addr(g_intx, sizeof(g_intx), e);
	if ((e = getenv("USCHEME_DEV_OTHER")))
		set_addr(g_other, sizeof(g_other), e);
	if ((e = getenv("USCHEME_TOOL")))
		g_tool = e;
	for (i = 1; i < argc; i++) {
		if (i + 1 < argc && !strcmp(argv[i], "--msix"))
			set_addr(g_msix, sizeof(g_msix), argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--intx"))
			set_addr(g_intx, sizeof(g_intx), argv[++i]);
		else if (i + 1 < argc && !strcmp(argv[i], "--other"))
			set_addr(g_other, sizeof(g_other), argv[++i]);
		else
			only = argv[i];
	}
	discover();
	fprintf(stderr, "# device: MSI-X xHCI %s, INTx xHCI %s, other driver's %s\n",
	       g_msix[0] ? g_msix : "(none)", g_intx[0] ? g_intx : "(none)",
	       g_other[0] ? g_other : "(none)");
	return tap_run("device", tests, sizeof(tests) / sizeof(tests[0]), only);
}
