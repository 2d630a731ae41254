#!/usr/bin/env bash
# The harness's own checks must be able to fail. This feeds each verdict of
# tests/lib/harness.sh (and tests/kunit-parse.sh, tests/qemu/kmemleak.awk)
# fabricated consoles, TAP files and logs: first a clean one, which must
# pass, then the same with one planted failure (a KASAN splat, a WARNING
# before boot, a hung task, a kmemleak report, a suite that crashed after
# its header, a short plan, a faked marker, ...), which must be caught.
# Runs on the host in seconds, no QEMU. TAP on stdout ("# suite harness");
# exits non-zero when a planted failure went through.
#
# Usage: harness-selftest.sh [KERNEL_TREE]   (the debug kernel's source tree,
# for kunit.py; without it the kunit-parse.sh cases are skipped)
#
# The one planted failure that needs a kernel, a real leak that kmemleak
# must report, runs in the debug VM (tests/qemu/init.sh, run-vm.sh --plant-leak).
set -uo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
tree=${1:-}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# What the harness reports, collected instead of printed.
R_PASS=() R_FAIL=()
pass() { R_PASS+=("$1"); }
fail() { R_FAIL+=("$1${2:+ ($2)}"); }
skip() { :; }
. "$top/tests/lib/harness.sh"

echo "TAP version 13"
echo "# suite harness"
n=0 bad=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); bad=1; echo "not ok $n - $*"; }
# run CMD...: a harness function, its verdicts in R_PASS/R_FAIL
run() {
	R_PASS=() R_FAIL=()
	"$@" >"$tmp/out" 2>&1
}
show() {
	local f
	for f in "${R_FAIL[@]}"; do echo "  harness said FAIL $f"; done
	sed 's/^/  output: /' "$tmp/out" | head -n 10
}
# caught WHAT PATTERN CMD...: CMD reports a failure matching PATTERN
caught() {
	local what=$1 pattern=$2 f
	shift 2
	run "$@"
	for f in "${R_FAIL[@]}"; do
		if grep -qE -- "$pattern" <<<"$f"; then
			ok "planted: $what: caught ($f)"
			return
		fi
	done
	nok "planted: $what: NOT caught (no failure matching '$pattern')"
	show
}
# clean WHAT CMD...: CMD reports no failure and at least one pass
clean() {
	local what=$1
	shift
	run "$@"
	if [ ${#R_FAIL[@]} = 0 ] && [ ${#R_PASS[@]} -gt 0 ]; then
		ok "clean: $what: passes (${#R_PASS[@]} passed)"
	else
		nok "clean: $what: should pass (${#R_PASS[@]} passed, ${#R_FAIL[@]} failed)"
		show
	fi
}

# ---- VM consoles: check_vm, kernel_problems, kmemleak_results ----
TOK=5eed0123456789ab
# mkvm DIR: a VM's output directory from a clean boot's console, where the
# lines BOOT, TEST and END (environment, may be empty) go before init ran,
# while the suites ran and after the kmemleak verdicts; then SED (a sed
# script) edits it. Lines end in CR LF, as the serial port writes them.
mkvm() {
	local d=$1
	rm -rf "$d"
	mkdir -p "$d"
	echo "$TOK" >"$d/vm-token"
	awk -v boot="${BOOT:-}" -v test="${TEST:-}" -v end="${END:-}" '
		$0 == "@BOOT@" { if (boot != "") print boot; next }
		$0 == "@TEST@" { if (test != "") print test; next }
		$0 == "@END@" { if (end != "") print end; next }
		{ gsub(/@TOK@/, "'"$TOK"'"); print }' <<'EOF' | sed -e "${SED:-}" -e 's/$/\r/' >"$d/console.log"
[    0.000000] Linux version 6.1.192-uscheme-debug (root@host) (gcc (Debian 12.2.0-14) 12.2.0) #1 SMP PREEMPT_DYNAMIC
[    0.000000] Command line: console=ttyS0 panic=-1 oops=panic panic_on_warn=0 loglevel=7 no_timer_check acpi=noirq
[    0.512345] kmemleak: Kernel memory leak detector initialized (mem pool available: 15743)
[    1.934567] Freeing unused kernel image (initmem) memory: 2048K
@BOOT@
USCHEME-VM: booted 6.1.192-uscheme-debug
[    3.001000] uscheme: loading out-of-tree module taints kernel.
[    3.101000]     KTAP version 1
[    3.101001]     # Subtest: uscheme_ring
[    3.101002]     ok 1 - ring_alloc
[    3.101003] ok 1 - uscheme_ring
USCHEME-VM: insmod ok
@TEST@
USCHEME-VM: script exit 0 [@TOK@]
USCHEME-VM: rmmod ok [@TOK@]
USCHEME-VM: kmemleak: before object (not counted as the module's): 0xffff888100a2c000 (size 64): comm "swapper/0", pid 1, jiffies 4294892300 
USCHEME-VM: kmemleak clean [@TOK@]
USCHEME-VM: kmemleak planted leak: start [@TOK@]
[  310.000000] uscheme: test hook: leaking 4 objects on purpose (kmemleak self-test)
USCHEME-VM: kmemleak: planted object (not counted as the module's): 0xffff888100f4d300 (size 96): comm "sh", pid 321, jiffies 4294937296 
USCHEME-VM: kmemleak planted leak caught (4 objects) [@TOK@]
@END@
USCHEME-VM: done [@TOK@]
[  320.000000] reboot: Power down
EOF
}
vm=$tmp/vm
mkvm "$vm"
clean "check_vm on a clean console" check_vm debug "$vm"
clean "kmemleak_results on a clean console (planted leak caught)" kmemleak_results debug "$vm" planted

# one kernel report at a time, each line as the kernel prints it
planted_line() {	# WHERE WHAT LINE
	local where=$1 what=$2 line=$3
	case "$where" in
	boot) BOOT=$line TEST='' END='' SED='' mkvm "$vm" ;;
	test) BOOT='' TEST=$line END='' SED='' mkvm "$vm" ;;
	end) BOOT='' TEST='' END=$line SED='' mkvm "$vm" ;;
	esac
	caught "$what ($where)" 'kernel warnings or sanitizer reports' check_vm debug "$vm"
}
planted_line test "KASAN splat" '[   45.123457] BUG: KASAN: slab-use-after-free in uscheme_handle_getattr+0x3c/0x120 [uscheme]'
planted_line test "KASAN report without BUG: (a later report's header)" '[   45.123457] ==================================================================
[   45.123458] Read of size 8 at addr ffff888104a3c0e8 by task fstat/211
[   45.123459] KASAN: null-ptr-deref in range [0x0000000000000000-0x0000000000000007]'
planted_line test "WARN_ON" '[   50.000001] WARNING: CPU: 1 PID: 230 at module/ring.c:120 uscheme_ring_free+0x2a/0x60 [uscheme]'
planted_line boot "WARNING before init ran (lockdep turns itself off after one report)" '[    1.100000] WARNING: CPU: 0 PID: 1 at kernel/locking/lockdep.c:232 __lock_acquire+0x1234/0x2000'
planted_line boot "lockdep report during boot" '[    1.200000] WARNING: possible circular locking dependency detected'
planted_line test "lockdep: circular locking" '[   60.000000] WARNING: possible circular locking dependency detected'
planted_line test "lockdep: inconsistent lock state" '[   60.000000] WARNING: inconsistent lock state'
planted_line test "lockdep: suspicious RCU usage" '[   60.000000] WARNING: suspicious RCU usage'
planted_line test "UBSAN" '[   61.000000] UBSAN: shift-out-of-bounds in module/ring.c:88:17'
planted_line test "BUG_ON" '[   62.000000] kernel BUG at fs/read_write.c:471!'
planted_line test "sleeping in atomic context" '[   62.000000] BUG: sleeping function called from invalid context at mm/slab.h:723'
planted_line test "general protection fault" '[   63.000000] general protection fault, probably for non-canonical address 0xdffffc0000000001: 0000 [#1] PREEMPT SMP KASAN'
planted_line test "Oops" '[   63.000000] Oops: 0000 [#1] PREEMPT SMP'
planted_line test "panic" '[   63.000000] Kernel panic - not syncing: Fatal exception'
planted_line test "soft lockup" '[   64.000000] watchdog: BUG: soft lockup - CPU#1 stuck for 22s! [route_test:240]'
planted_line test "hung task (CONFIG_DETECT_HUNG_TASK, the message of kernel/hung_task.c)" '[  185.100000] INFO: task route_test:212 blocked for more than 60 seconds.
[  185.100100]       Not tainted 6.1.192-uscheme-debug #1
[  185.100200] "echo 0 > /proc/sys/kernel/hung_task_timeout_secs" disables this message.'
planted_line test "a backtrace on its own (RCU stall, NMI backtrace)" '[  200.000000] Call Trace:'
planted_line end "kmemleak report after rmmod" "USCHEME-VM: kmemleak report follows (1 objects) [$TOK]
unreferenced object 0xffff888100f4d500 (size 64):
  comm \"ring_test\", pid 99, jiffies 4294937296"
planted_line end "kmemleak could not scan" "USCHEME-VM: kmemleak failed: could not scan or read /sys/kernel/debug/kmemleak [$TOK]"
planted_line end "a real leak reported during the planted-leak step" "USCHEME-VM: kmemleak report follows (1 objects, not planted) [$TOK]
unreferenced object 0xffff888100f4d600 (size 128):"

# the evidence missing
rm -f "$vm/console.log"
caught "no console.log at all" 'kernel warnings|VM ran to the end' check_vm debug "$vm"
caught "no console.log: kernel_problems reports it" 'kernel warnings' check_vm debug "$vm"
SED='/^USCHEME-VM/d' mkvm "$vm"
caught "the kernel died booting (no init marker)" 'kernel warnings' check_vm debug "$vm"
caught "the kernel died booting: no insmod" 'insmod' check_vm debug "$vm"
SED='' mkvm "$vm"
rm -f "$vm/vm-token"
caught "no vm-token (markers cannot be trusted)" 'markers|rmmod' check_vm debug "$vm"

# markers a test program printed (no token, or a wrong one)
SED='s/^USCHEME-VM: rmmod ok .*/USCHEME-VM: rmmod failed [@TOK@]/' \
	TEST='USCHEME-VM: rmmod ok' mkvm "$vm"
caught "rmmod failed, a test printed 'USCHEME-VM: rmmod ok'" 'rmmod after the suites' check_vm debug "$vm"
SED='/^USCHEME-VM: done/,$d' TEST='USCHEME-VM: done
USCHEME-VM: done [0000000000000000]' mkvm "$vm"
caught "the VM hung, a test printed 'USCHEME-VM: done' (no token, wrong token)" 'VM ran to the end' check_vm debug "$vm"
SED='s/^USCHEME-VM: insmod ok/USCHEME-VM: insmod failed/' TEST='USCHEME-VM: insmod ok' mkvm "$vm"
caught "insmod failed, a test printed 'USCHEME-VM: insmod ok'" 'insmod' check_vm debug "$vm"

# kmemleak verdicts
SED='s/^USCHEME-VM: kmemleak clean .*/USCHEME-VM: kmemleak report follows (2 objects) [@TOK@]/' mkvm "$vm"
caught "kmemleak reported objects after rmmod" 'kmemleak scan after rmmod' kmemleak_results debug "$vm" planted
SED='/^USCHEME-VM: kmemleak clean/d' mkvm "$vm"
caught "no kmemleak verdict at all (the old '[ -s debugfs file ]' passed so)" 'kmemleak scan after rmmod' kmemleak_results debug "$vm"
SED='s/^USCHEME-VM: kmemleak clean .*/USCHEME-VM: kmemleak clean/' mkvm "$vm"
caught "'kmemleak clean' printed by a test (no token)" 'kmemleak scan after rmmod' kmemleak_results debug "$vm"
SED='s/^USCHEME-VM: kmemleak planted leak caught .*/USCHEME-VM: kmemleak planted leak NOT caught [@TOK@]/' mkvm "$vm"
caught "the planted leak went unreported" 'planted failure NOT caught' kmemleak_results debug "$vm" planted
SED='s/^USCHEME-VM: kmemleak planted leak caught .*/USCHEME-VM: kmemleak planted leak caught (0 objects) [@TOK@]/' mkvm "$vm"
caught "'planted leak caught' with 0 objects" 'planted failure NOT caught' kmemleak_results debug "$vm" planted
SED='/^USCHEME-VM: kmemleak planted/d' mkvm "$vm"
caught "the planted-leak step never ran" 'planted failure NOT caught' kmemleak_results debug "$vm" planted

# ---- kmemleak.awk, under busybox awk as in the guest ----
report=$tmp/kmemleak.txt
obj() {	# ADDR SIZE COMM JIFFIES HEXROW
	printf 'unreferenced object %s (size %s):\n  comm "%s", pid 99, jiffies %s\n' "$1" "$2" "$3" "$4"
	printf '  hex dump (first 32 bytes):\n    %s\n' "$5"
	printf '  backtrace (crc 5a2b):\n    [<ffffffff8134f1a2>] __kmem_cache_alloc_node+0x1a2/0x2e0\n    [<ffffffffc0012345>] 0xffffffffc0012345\n'
}
zero='00 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00  ................'
tag='55 53 43 48 45 4d 45 20 50 4c 41 4e 54 45 44 20  USCHEME PLANTED '
# kml CASE WANT [PLANTED]: sort $report, the module loaded at jiffies
# 4294900000, in the planted-leak step (PLANTED=1) or not: counts WANT
kml() {
	local what=$1 want=$2 got
	rm -f "$tmp/counts"
	busybox awk -v since=4294900000 -v planted="${3:-}" -v counts="$tmp/counts" \
		-f "$top/tests/qemu/kmemleak.awk" "$report" >"$tmp/kml.out" 2>&1
	got=$(cat "$tmp/counts" 2>/dev/null)
	if [ "$got" = "$want" ]; then
		ok "kmemleak.awk: $what: real planted before = $want"
	else
		nok "kmemleak.awk: $what: real planted before = '$got', want $want"
		sed 's/^/  /' "$tmp/kml.out" | head -n 10
	fi
}
: >"$report"
kml "an empty report" "0 0 0"
obj 0xffff888100f4d500 64 ring_test 4294905000 "$zero" >"$report"
kml "a leak while the module was loaded" "1 0 0"
grep -q '^unreferenced object 0xffff888100f4d500' "$tmp/kml.out" &&
	ok "kmemleak.awk: a real leak is printed verbatim (kernel_problems sees it)" ||
	nok "kmemleak.awk: a real leak is printed verbatim"
obj 0xffff888100f4d300 96 sh 4294906000 "$tag" >"$report"
kml "a planted leak" "0 1 0" 1
grep -q 'unreferenced object' "$tmp/kml.out" &&
	nok "kmemleak.awk: a planted leak is not printed as a leak" ||
	ok "kmemleak.awk: a planted leak is not printed as a leak"
obj 0xffff888100a2c000 64 swapper/0 4294800000 "$zero" >"$report"
kml "an object allocated before insmod" "0 0 1"
obj 0xffff888100a2c000 64 insmod 4294899900 "$zero" >"$report"
kml "an object allocated less than 1 s (250 jiffies) before insmod counts" "1 0 0"
{
	obj 0xffff888100f4d300 96 sh 4294906000 "$tag"
	obj 0xffff888100f4d500 64 ring_test 4294905000 "$zero"
	obj 0xffff888100a2c000 64 swapper/0 4294800000 "$zero"
	obj 0xffff888100f4d700 96 sh 4294906001 "$tag"
} >"$report"
kml "planted, real and boot objects together: the planted ones do not mask the real one" "1 2 1" 1
kml "the same in the real verdict: tagged objects count there" "3 0 1"
echo "kmemleak: something this parser does not know" >"$report"
kml "text it does not understand counts as a leak" "1 0 0"
obj 0xffff888100f4d500 64 ring_test 4294905000 "$zero" | tr -d '\n' >"$report"
kml "a report without line ends" "1 0 0"
# end to end: what init.sh prints for a real leak fails check_vm
obj 0xffff888100f4d500 64 ring_test 4294905000 "$zero" >"$report"
busybox awk -v since=4294900000 -v counts="$tmp/counts" -f "$top/tests/qemu/kmemleak.awk" "$report" >"$tmp/kml.out"
END="USCHEME-VM: kmemleak report follows (1 objects, not planted) [$TOK]
$(cat "$tmp/kml.out")" SED='' mkvm "$vm"
caught "init.sh's print of a real leak (kmemleak.awk output)" 'kernel warnings' check_vm debug "$vm"

# ---- TAP: tap_results ----
tap=$tmp/tests.log
cat >"$tmp/tap.clean" <<'EOF'
TAP version 13
# suite ring
ok 1 - ring_setup
ok 2 - ring_nop
1..2
# ring: 2 passed, 0 failed
# suite schemes-tool
ok 1 - uscheme schemes (exit 0)
TAP version 13
# suite schemes
ok 1 - open_read
  a diagnostic line
1..1
# schemes: 1 passed, 0 failed
# suite schemes-tool
ok 2 - uscheme cat ram:/a (exit 0)
1..2
EOF
sed 's/$/\r/' "$tmp/tap.clean" >"$tap"
clean "tap_results on clean suites (CR LF, a suite run inside another)" tap_results t "$tap" ring schemes-tool schemes
{ printf 'noise\0\n'; cat "$tmp/tap.clean"; } >"$tap"
clean "tap_results on a log with a NUL byte" tap_results t "$tap" ring schemes-tool schemes
cp "$tmp/tap.clean" "$tap"
caught "a suite that never ran" 'suite events did not run' tap_results t "$tap" ring schemes-tool schemes events
{ cat "$tmp/tap.clean"; printf 'TAP version 13\n# suite route\n'; } >"$tap"
caught "a suite that printed its header and crashed before any test" 'suite route finished' tap_results t "$tap" ring route
{ cat "$tmp/tap.clean"; printf '# suite route\nok 1 - a\nok 2 - b\n'; } >"$tap"
caught "a suite that crashed after some tests (no plan)" 'suite route finished' tap_results t "$tap" ring route
{ cat "$tmp/tap.clean"; printf '# suite route\nok 1 - a\n1..3\n'; } >"$tap"
caught "a short plan" 'suite route finished .*planned 3, ran 1' tap_results t "$tap" ring route
{ cat "$tmp/tap.clean"; printf '# suite route\n1..0\n'; } >"$tap"
caught "a suite that ran nothing (1..0)" 'suite route finished .*ran no test' tap_results t "$tap" ring route
sed '/^1\.\.1$/d' "$tmp/tap.clean" >"$tap"
caught "a suite run inside another lost its plan" 'suite schemes finished' tap_results t "$tap" schemes-tool schemes
sed 's/^ok 2 - ring_nop/not ok 2 - ring_nop/' "$tmp/tap.clean" >"$tap"
caught "a failed test" 'ring/ring_nop' tap_results t "$tap" ring
{ printf 'ok 1 - stray\n'; cat "$tmp/tap.clean"; } >"$tap"
caught "a result outside any suite" '\(none\) finished' tap_results t "$tap" ring
: >"$tap"
caught "an empty log" 'no output' tap_results t "$tap" ring
caught "no log" 'no output' tap_results t "$tmp/nonexistent" ring

# ---- valgrind, build logs, DKMS ----
vlog=$tmp/valgrind.log
cp "$tmp/tap.clean" "$vlog"
clean "valgrind_results: exit 0, no report" valgrind_results v 0 "$vlog"
caught "valgrind's error exit code (ignored before)" 'exit 99' valgrind_results v 99 "$vlog"
{ cat "$tmp/tap.clean"; echo '==4242== Invalid read of size 8'; } >"$vlog"
caught "a valgrind report" 'valgrind reports' valgrind_results v 0 "$vlog"
: >"$vlog"
caught "no output under valgrind" 'valgrind' valgrind_results v 0 "$vlog"
blog=$tmp/build.log
printf '  CC [M]  /x/src/module/main.o\n  LD [M]  /x/src/uscheme.o\n  MODPOST /x/src/Module.symvers\n' >"$blog"
clean "build_log_results on a clean build" build_log_results b "$blog"
echo 'WARNING: modpost: /x/src/uscheme.o: section mismatch in reference: uscheme_init (section: .text) -> uscheme_setup (section: .init.text)' >>"$blog"
caught "a modpost WARNING (build-module.sh looks for lowercase 'warning:' only)" 'modpost warnings' build_log_results b "$blog"
caught "no build log" 'no build log' build_log_results b "$tmp/nonexistent"
# The debug tree has no Module.symvers: modpost's "undefined!" lines are
# expected there, and only there; a real warning beside them still counts.
printf '  MODPOST /x/src/Module.symvers\nWARNING: Module.symvers is missing.\nWARNING: modpost: "free_irq" [/x/src/uscheme.ko] undefined!\n' >"$blog"
clean "build_log_results: a tree without Module.symvers" build_log_results b "$blog"
echo 'WARNING: modpost: /x/src/uscheme.o: section mismatch in reference: a -> b' >>"$blog"
caught "a modpost WARNING in a tree without Module.symvers" 'modpost warnings' build_log_results b "$blog"
printf 'WARNING: modpost: "free_irq" [/x/src/uscheme.ko] undefined!\n' >"$blog"
caught "an undefined symbol where Module.symvers exists" 'modpost warnings' build_log_results b "$blog"
dlog=$tmp/dkms.log
printf 'dkms: 6.1.0-57-amd64 ok (/lib/modules/6.1.0-57-amd64/updates/dkms/uscheme.ko.xz)\ndkms: 6.12.118+deb12-amd64 ok (/lib/modules/6.12.118+deb12-amd64/updates/dkms/uscheme.ko.xz)\n' >"$dlog"
clean "dkms_results with both series" dkms_results "$dlog" 6.1 6.12
sed -i '/^dkms: 6.12/d' "$dlog"
caught "DKMS found no 6.12 headers (dkms-test.sh passes then)" 'for 6.12' dkms_results "$dlog" 6.1 6.12
echo 'dkms: 6.12.118+deb12-amd64: build/install failed:' >>"$dlog"
caught "DKMS build failed for 6.12" 'for 6.12' dkms_results "$dlog" 6.1 6.12

# ---- KUnit: kunit_results, and kunit-parse.sh with the kernel's kunit.py ----
klog=$tmp/kunit.log
cat >"$klog" <<'EOF'
suites reported: 1 of 1
[12:00:00] ============================================================
[12:00:00] ================= uscheme_ring (2 subtests) ==================
[12:00:00] [PASSED] ring_alloc
[12:00:00] [PASSED] ring_setup
[12:00:00] =================== [PASSED] uscheme_ring ====================
[12:00:00] ============================================================
[12:00:00] Testing complete. Ran 2 tests: passed: 2
EOF
clean "kunit_results on passing cases" kunit_results "$klog"
sed -i 's/\[PASSED\] ring_setup/[FAILED] ring_setup/' "$klog"
caught "a failed KUnit case" 'KUnit: ring_setup' kunit_results "$klog"
sed -i 's/\[FAILED\] ring_setup/[CRASHED] ring_setup/' "$klog"
caught "a crashed KUnit case" 'KUnit: ring_setup' kunit_results "$klog"
: >"$klog"
caught "no KUnit output" 'no test case results' kunit_results "$klog"
caught "no KUnit log" 'no test case results' kunit_results "$tmp/nonexistent"

if [ -n "$tree" ] && [ -f "$tree/tools/testing/kunit/kunit.py" ]; then
	nsuites=$(grep -h '^kunit_test_suite(' "$top"/module/tests/*.c | wc -l)
	# kconsole [SED]: a debug-kernel console with every suite of the module
	# (one or two cases each), as KUnit prints them at insmod
	kconsole() {
		{
			echo "[    2.900000] uscheme: loading out-of-tree module taints kernel."
			for i in $(seq 1 "$nsuites"); do
				printf '[    3.%06d]     KTAP version 1\n' "$i"
				printf '[    3.%06d]     # Subtest: uscheme_s%d\n' "$i" "$i"
				printf '[    3.%06d]     1..2\n' "$i"
				printf '[    3.%06d]     ok 1 - case_a%d\n' "$i" "$i"
				printf '[    3.%06d]     ok 2 - case_b%d\n' "$i" "$i"
				printf '[    3.%06d] ok %d - uscheme_s%d\n' "$i" "$i" "$i"
			done
			echo "USCHEME-VM: insmod ok"
			echo "USCHEME-VM: script exit 0 [$TOK]"
			echo "USCHEME-VM: rmmod ok [$TOK]"
		} | sed -e "${1:-}" -e 's/$/\r/' >"$vm/console.log"
	}
	# kparse WHAT WANT: kunit-parse.sh exits WANT (0 or "non-zero")
	kparse() {
		local what=$1 want=$2 rc
		bash "$top/tests/kunit-parse.sh" "$tree" "$vm/console.log" >"$klog" 2>&1
		rc=$?
		if { [ "$want" = 0 ] && [ $rc = 0 ]; } || { [ "$want" != 0 ] && [ $rc != 0 ]; }; then
			ok "kunit-parse.sh: $what: exit $rc"
		else
			nok "kunit-parse.sh: $what: exit $rc, want $want"
			sed 's/^/  /' "$klog" | tail -n 10
		fi
	}
	kconsole
	kparse "every suite reported, every case passed" 0
	clean "kunit_results reads kunit.py's real output" kunit_results "$klog"
	[ ${#R_PASS[@]} = $((2 * nsuites)) ] && ok "kunit_results counted every case ($((2 * nsuites)))" ||
		nok "kunit_results counted ${#R_PASS[@]} cases, want $((2 * nsuites))"
	kconsole '/# Subtest: uscheme_s2$/,/ok 2 - uscheme_s2/d'
	kparse "a suite missing" non-zero
	kconsole 's/    ok 2 - case_b1$/    not ok 2 - case_b1/'
	kparse "a failed case" non-zero
	kconsole '/    ok 2 - case_b1$/d'
	kparse "a suite that ran fewer cases than its plan" non-zero
	kconsole 's/^\(.*\) ok 1 - uscheme_s1$/\1 not ok 1 - uscheme_s1/'
	kparse "a failed suite" non-zero
	kconsole '$a\
[  310.000000]     KTAP version 1\
[  310.000001]     # Subtest: uscheme_s1\
[  310.000002]     1..1\
[  310.000003]     not ok 1 - case_a1\
[  310.000004] not ok 1 - uscheme_s1'
	kparse "KUnit run again after the suites (the planted-leak step) is not counted" 0
	: >"$vm/console.log"
	kparse "no KUnit output" non-zero
else
	ok "kunit-parse.sh cases # SKIP no kernel tree given"
fi

echo "1..$n"
exit $bad
