#!/bin/sh
# Guest side: the userspace suites, writing TAP to the test port (ttyS1).
# Variants run where the harness shipped them: -asan (ASan, UBSan, LSan,
# with their shared libraries) and -m32 (32-bit processes, compat ioctls).
for suite in ring_test reactor_test scheme_test; do
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
