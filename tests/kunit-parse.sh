#!/usr/bin/env bash
# Read the KUnit results of uscheme.ko from a debug-kernel console log with
# the kernel's own tools/testing/kunit/kunit.py parse.
# Usage: kunit-parse.sh KERNEL_TREE CONSOLE_LOG
#
# Suites run at insmod print each suite as an indented KTAP subtest without a
# top-level header; this adds the header (KTAP version 1, 1..N suites) and
# checks that every suite of the module reported. Only the console up to
# init.sh's "USCHEME-VM: script exit" counts: the module is loaded again
# after it (tests/qemu/init.sh's planted leak), and KUnit runs again then.
# (Not "awk exit": under pipefail, sed would die of SIGPIPE.)
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
tree=${1:?KERNEL_TREE}; log=${2:?CONSOLE_LOG}
expected=$(grep -h '^kunit_test_suite(' "$top"/module/tests/*.c | wc -l)
ktap=$(mktemp)
trap 'rm -f "$ktap"' EXIT
# Drop printk timestamps; keep from the first suite header to the last suite
# result before the test script ended.
sed -E 's/^\[ *[0-9]+\.[0-9]+\] //' "$log" | tr -d '\r' |
	awk '/^USCHEME-VM: script exit/ { stop = 1 } !stop { print }' |
	awk '/^ +KTAP version 1$/ && !on { on = 1 } on { print }' |
	awk '{ a[NR] = $0 } /^(not )?ok [0-9]+ (- )?uscheme_/ { last = NR } END { for (i = 1; i <= last; i++) print a[i] }' >"$ktap.body"
suites=$(grep -cE '^(not )?ok [0-9]+ (- )?uscheme_' "$ktap.body" || true)
{ echo "KTAP version 1"; echo "1..$suites"; cat "$ktap.body"; } >"$ktap"
rm -f "$ktap.body"
failed=$(grep -cE '^not ok [0-9]+ (- )?uscheme_' "$ktap" || true)
echo "suites reported: $suites of $expected"
python3 "$tree/tools/testing/kunit/kunit.py" parse "$ktap"
# kunit.py takes a suite's status from its cases: a suite that says
# "not ok" (its suite_init failed, say) with every case passed goes through.
if [ "$failed" != 0 ]; then
	echo "kunit-parse: $failed suite(s) reported not ok:"
	grep -E '^not ok [0-9]+ (- )?uscheme_' "$ktap"
	exit 1
fi
[ "$suites" = "$expected" ]
