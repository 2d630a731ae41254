#!/bin/sh
# Guest side: the userspace suites, writing TAP to the test port (ttyS1).
ring_test >/dev/ttyS1 2>&1
