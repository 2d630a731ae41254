#!/bin/sh
# Guest side: the userspace suites, writing TAP to the test port (ttyS1).
# Variants run where the harness shipped them: -asan (ASan, UBSan, LSan,
# with their shared libraries) and -m32 (32-bit processes, compat ioctls).
# device_test needs QEMU's xHCI controllers (tests/run-all.sh adds them).
if grep -q 'intel_iommu=on' /proc/cmdline; then
	export USCHEME_EXPECT_IOMMU=1
fi
for suite in ring_test reactor_test scheme_test route_test events_test device_test harden_test; do
	$suite >/dev/ttyS1 2>&1
	if [ -x "/bin/$suite-asan" ]; then
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			"$suite-asan" >/dev/ttyS1 2>&1
	fi
	if [ -x "/bin/$suite-m32" ]; then
		"$suite-m32" >/dev/ttyS1 2>&1
	fi
done

# The fuzzer's bounded run (tests/fuzz, "# suite fuzz"): longer on the debug
# kernel (it has kmemleak), whose console run-all checks for KASAN, lockdep,
# BUG and WARNING. USCHEME_FUZZ_SECONDS overrides (make fuzz sets it).
if [ -x /bin/fuzz_test ]; then
	secs=30
	[ -e /sys/kernel/debug/kmemleak ] && secs=60
	fuzz_test --seconds "${USCHEME_FUZZ_SECONDS:-$secs}" >/dev/ttyS1 2>&1
fi

# The uscheme tool: it runs, and refuses bad input with a usage error.
{
	echo "# suite tool"
	n=0
	expect() {
		want=$1
		shift
		n=$((n + 1))
		"$@" >/tmp/tool.out 2>&1
		got=$?
		if [ "$got" = "$want" ]; then
			echo "ok $n - $* (exit $got)"
		else
			echo "not ok $n - $* (exit $got, want $want)"
			sed 's/^/  /' /tmp/tool.out
		fi
	}
	expect 0 uscheme features
	expect 0 sh -c 'uscheme features | grep -q "nop cqe32 scheme files_update device scheme_ring pass_fd"'
	expect 0 uscheme nop 10000 16
	expect 0 uscheme bench 128
	expect 2 uscheme nop 0
	expect 2 uscheme nop 10 99999
	expect 2 uscheme bench 100
	expect 0 uscheme bench-cell ring 0 1 128
	expect 0 uscheme bench-cell fd 4096 8 128 unpinned
	expect 2 uscheme bench-cell sockets 0 1
	expect 2 uscheme bench-cell ring 0 0
	expect 2 uscheme frobnicate
	echo "1..$n"
} >/dev/ttyS1 2>&1

# The tracepoints on a request's path (tests/trace/trace-suite.sh), where the
# kernel has tracefs (the stock and the debug kernels do).
if grep -qw tracefs /proc/filesystems; then
	sh /bin/trace-suite.sh >/dev/ttyS1 2>&1
fi

# The example daemons (ramd, nulld, hellod) and the tool's scheme commands,
# then schemes_test against those daemons (and 32-bit ones, where shipped).
sh /bin/schemes-suite.sh >/dev/ttyS1 2>&1

# `uscheme bind`/`unbind` around a module reload; leaves the controllers
# unbound as booted.
sh /bin/device-tool.sh >/dev/ttyS1 2>&1

# pcid's suite (userspace-drivers/pcid), where it was shipped; all of it on
# the debug kernel too (booted acpi=noirq, so device sessions are quick there).
if [ -f /bin/pcid-suite.sh ]; then
	PCID_SUITE_SESSIONS=1 sh /bin/pcid-suite.sh >/dev/ttyS1 2>&1
fi

# xhcid under pcid against the VM's USB devices (tests/qemu/usb-devices.sh),
# and xhcid_test against its usb.*: schemes.
if [ -f /bin/xhcid-suite.sh ]; then
	sh /bin/xhcid-suite.sh >/dev/ttyS1 2>&1
fi

# blkbridge (a disk scheme as a block device) against ramdiskd's RAM disks
# (blk-nbd, blk-ublk) and usbscsid's USB disk (blk-usb, after the xhcid
# suite gave the controllers back): where the harness shipped the kernel's
# modules for it (ext4, nbd, ublk_drv), mkfs and fio (tests/qemu/
# blk-files.sh; the stock kernels).
if [ -f /bin/blk-suite.sh ] && ls /bin/blk-linux-*.ko >/dev/null 2>&1; then
	sh /bin/blk-suite.sh >/dev/ttyS1 2>&1
fi
