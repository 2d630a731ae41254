// SPDX-License-Identifier: GPL-2.0
/*
 * Test-only hooks. This file is built into uscheme.ko only when make is
 * given USCHEME_TEST_HOOKS=y (tests/run-all.sh does so for the debug test
 * kernel's build); DKMS, `make module` and the stock-kernel builds of the
 * suite never have it. Nothing here is part of the module's ABI.
 *
 * test_plant_leak (module parameter, write-only, root): writing N (1 to
 * USCHEME_PLANTED_MAX) allocates N small objects and forgets them, so that
 * kmemleak must report them. tests/qemu/init.sh does this after its real
 * kmemleak verdict was taken, to prove that the verdict can fail. Every
 * planted object starts with USCHEME_PLANTED_TAG, which kmemleak's hex dump
 * shows and by which tests/qemu/kmemleak.awk tells planted leaks from real
 * ones.
 */
#include <linux/kernel.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <linux/string.h>

#define USCHEME_PLANTED_TAG	"USCHEME PLANTED LEAK"
#define USCHEME_PLANTED_SIZE	96
#define USCHEME_PLANTED_MAX	16

/* noinline: the name shows in kmemleak's backtrace of the objects. */
static noinline int uscheme_test_plant_leak(unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++) {
		char *p = kzalloc(USCHEME_PLANTED_SIZE, GFP_KERNEL);

		if (!p)
			return -ENOMEM;
		strscpy(p, USCHEME_PLANTED_TAG, USCHEME_PLANTED_SIZE);
		/* Leaked on purpose: the only pointer to it dies here. */
	}
	return 0;
}

/*
 * kmemleak is conservative: a stale copy of a pointer left on this task's
 * stack (which may be cached and scanned after the task exits) hides the
 * object. Overwrite the stack the allocations used. Once, a run reported
 * none of 4 planted objects.
 */
static noinline void uscheme_test_wipe_stack(void)
{
	char buf[1024];

	memzero_explicit(buf, sizeof(buf));
}

static int uscheme_test_plant_leak_set(const char *val,
				       const struct kernel_param *kp)
{
	unsigned int n;
	int ret;

	ret = kstrtouint(val, 0, &n);
	if (ret)
		return ret;
	if (n < 1 || n > USCHEME_PLANTED_MAX)
		return -EINVAL;
	pr_info("uscheme: test hook: leaking %u objects on purpose (kmemleak self-test)\n",
		n);
	ret = uscheme_test_plant_leak(n);
	uscheme_test_wipe_stack();
	return ret;
}

static const struct kernel_param_ops uscheme_test_plant_leak_ops = {
	.set = uscheme_test_plant_leak_set,
};

module_param_cb(test_plant_leak, &uscheme_test_plant_leak_ops, NULL, 0200);
MODULE_PARM_DESC(test_plant_leak,
		 "test builds only: allocate N objects and forget them (the harness's kmemleak self-test)");
