// SPDX-License-Identifier: MIT
/* The device suite (device.h): `uscheme bind` / `unbind` and their errors. */
#include "device.h"

/* ------------------------------------------------------------------ */
/* bind / unbind with the tool                                         */

/* "0000:00:04.0" -> "00:04.0" (domain 0 only). */
static const char *short_addr(const char *a)
{
	return strncmp(a, "0000:", 5) ? a : a + 5;
}

int test_tool_bind_unbind(void)
{
	char out[4096], ov[64], drv[64], *list = NULL;
	int fd;

	CHECK(g_msix[0]);
	/* from whatever state: unbind; sysfs shows no driver and no override */
	CHECK_EQ(tool(out, sizeof(out), "unbind", g_msix), 0);
	CHECK_EQ(driver_of(g_msix, drv, sizeof(drv)), 0);
	override_of(g_msix, ov, sizeof(ov));
	CHECK_EQ(strcmp(ov, ""), 0);
	/* unbinding what is not bound: nothing to do, success */
	CHECK_EQ(tool(out, sizeof(out), "unbind", g_msix), 0);
	CHECK_EQ(driver_of(g_msix, drv, sizeof(drv)), 0);

	CHECK_EQ(tool(out, sizeof(out), "bind", g_msix), 0);
	CHECK(is_bound_uscheme(g_msix));
	override_of(g_msix, ov, sizeof(ov));
	CHECK_EQ(strcmp(ov, "uscheme"), 0);
	/* pcidev: lists it */
	fd = us_open("pcidev:", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(us_read_all(fd, &list, NULL), 0);
	close(fd);
	CHECK(strstr(list, g_msix) != NULL);
	free(list);
	/* binding again: already bound is success */
	CHECK_EQ(tool(out, sizeof(out), "bind", g_msix), 0);
	CHECK(strstr(out, "already") != NULL);
	CHECK(is_bound_uscheme(g_msix));

	/* the short form, both ways */
	CHECK_EQ(tool(out, sizeof(out), "unbind", short_addr(g_msix)), 0);
	CHECK_EQ(driver_of(g_msix, drv, sizeof(drv)), 0);
	override_of(g_msix, ov, sizeof(ov));
	CHECK_EQ(strcmp(ov, ""), 0);
	fd = us_open("pcidev:", O_RDONLY | O_CLOEXEC);
	CHECK(fd >= 0);
	CHECK_EQ(us_read_all(fd, &list, NULL), 0);
	close(fd);
	CHECK(strstr(list, g_msix) == NULL);
	free(list);
	CHECK_EQ(tool(out, sizeof(out), "bind", short_addr(g_msix)), 0);
	CHECK(is_bound_uscheme(g_msix));
	return 0;
}

int test_tool_bind_errors(void)
{
	char out[4096], drv[64], drv2[64], ov[64], want[128], none[32];
	int slot;

	/* an address with no device behind it */
	none[0] = 0;
	for (slot = 0x1e; slot > 0x10 && !none[0]; slot--) {
		snprintf(none, sizeof(none), "0000:00:%02x.7", slot);
		if (dev_exists(none))
			none[0] = 0;
	}
	CHECK(none[0]);
	CHECK_EQ(tool(out, sizeof(out), "bind", none), 1);
	CHECK(strstr(out, "no such") != NULL);
	CHECK_EQ(tool(out, sizeof(out), "unbind", none), 1);
	CHECK(strstr(out, "no such") != NULL);
	/* not an address: usage errors */
	CHECK_EQ(tool(out, sizeof(out), "bind", "04.0"), 2);
	CHECK_EQ(tool(out, sizeof(out), "bind", "0000:00:04.0/../x"), 2);
	CHECK_EQ(tool(out, sizeof(out), "bind", "zz:04.0"), 2);
	CHECK_EQ(tool(out, sizeof(out), "bind", NULL), 2);
	CHECK_EQ(tool(out, sizeof(out), "unbind", NULL), 2);

	/* another driver's function is not taken */
	if (!g_other[0]) {
		fprintf(stderr, "  no function bound to another driver in this machine"
			" (QEMU: -device pci-serial)\n");
		return -1;
	}
	CHECK_EQ(driver_of(g_other, drv, sizeof(drv)), 1);
	CHECK_EQ(tool(out, sizeof(out), "bind", g_other), 1);
	snprintf(want, sizeof(want), "in use by driver %s", drv);
	CHECK(strstr(out, want) != NULL);
	CHECK(strstr(out, "unbind") != NULL);
	CHECK_EQ(driver_of(g_other, drv2, sizeof(drv2)), 1);
	CHECK_EQ(strcmp(drv, drv2), 0);
	override_of(g_other, ov, sizeof(ov));
	CHECK_EQ(strcmp(ov, ""), 0);
	/* nor released by unbind */
	CHECK_EQ(tool(out, sizeof(out), "unbind", g_other), 1);
	CHECK_EQ(driver_of(g_other, drv2, sizeof(drv2)), 1);
	CHECK_EQ(strcmp(drv, drv2), 0);
	return 0;
}

/* ------------------------------------------------------------------ */
