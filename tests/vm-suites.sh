#!/bin/sh
# Guest side: the userspace suites, writing TAP to the test port (ttyS1).
for suite in ring_test reactor_test; do
	$suite >/dev/ttyS1 2>&1
	# The sanitized build, where the harness shipped it (with its libraries).
	if [ -x "/bin/$suite-asan" ]; then
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
			"$suite-asan" >/dev/ttyS1 2>&1
	fi
done
