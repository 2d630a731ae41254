#!/bin/sh
# Guest side of the IOMMU boots (tests/run-all.sh): only the device suite,
# TAP to the test port (ttyS1). Booted with intel_iommu=on, the suite
# requires the IOMMU (USCHEME_EXPECT_IOMMU=1): DMA addresses are IOVAs.
if grep -q 'intel_iommu=on' /proc/cmdline; then
	export USCHEME_EXPECT_IOMMU=1
fi
device_test >/dev/ttyS1 2>&1
