# shellcheck shell=bash
# The verdicts of tests/run-all.sh on what the VMs and suites left behind,
# sourced by it and by tests/selftest/harness-selftest.sh, which feeds each
# of them fabricated logs holding a failure they must catch. The caller
# defines pass NAME, fail NAME [WHY] and skip NAME WHY, and sets $top.
#
# Every check here fails when its evidence is missing: no console, no
# marker, a suite that never printed its plan. A marker that init.sh prints
# once test code may have run ends with " [TOKEN]", TOKEN being the random
# string run-vm.sh kept in OUTDIR/vm-token: a test program cannot fake it.

# What fails a VM run when it appears anywhere on the console, boot
# included: a lockdep report during boot turns lockdep off and KASAN
# reports only its first error, so whatever followed went unchecked.
# (The hung-task detector prints "INFO: task NAME:PID blocked for more
# than N seconds.")
kernel_problem_pattern='BUG:|WARNING:|kernel BUG at|KASAN|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|Kernel panic|Oops|general protection fault|kmemleak report follows|unreferenced object|USCHEME-VM: kmemleak failed|INFO: task .* blocked for more than|Call Trace'

# kernel_problems CONSOLE_LOG: the lines that fail the run (at most 20);
# no output means none. A missing log, or one where init never ran, is a
# problem too: nothing was checked.
kernel_problems() {
	local log=$1
	if [ ! -f "$log" ]; then
		echo "no console log ($log)"
		return
	fi
	grep -aq '^USCHEME-VM: booted' "$log" ||
		echo "the guest never reached init (no 'USCHEME-VM: booted' on the console)"
	tr -d '\r' <"$log" | grep -aE -e "$kernel_problem_pattern" | head -n 20
}

# vm_token OUTDIR: the token of that boot's markers (empty if none).
vm_token() {
	cat "$1/vm-token" 2>/dev/null || true
}

# vm_marker OUTDIR TEXT: init.sh printed "USCHEME-VM: TEXT [TOKEN]".
vm_marker() {
	local token
	token=$(vm_token "$1")
	[ -n "$token" ] && grep -aqF "USCHEME-VM: $2 [$token]" "$1/console.log" 2>/dev/null
}

# check_vm LABEL OUTDIR: the VM-level results of one boot.
check_vm() {
	local label=$1 out=$2 problems first
	if [ -s "$out/retried" ]; then
		printf '      | %s: %s\n' "$label" "$(head -n 1 "$out/retried")"
		printf '      | (first attempt: %s/attempt1)\n' "${out#"$top"/}"
	fi
	[ -n "$(vm_token "$out")" ] ||
		fail "$label: markers" "no $out/vm-token: not booted by this tree's run-vm.sh"
	# init.sh prints this before any test code runs: the first one counts.
	first=$(grep -a -m 1 '^USCHEME-VM: insmod ' "$out/console.log" 2>/dev/null | tr -d '\r')
	if [ "$first" = "USCHEME-VM: insmod ok" ]; then
		pass "$label: insmod"
	else
		fail "$label: insmod" "see ${out#"$top"/}/console.log"
	fi
	if vm_marker "$out" "rmmod ok"; then
		pass "$label: rmmod after the suites (no ring left behind)"
	else
		fail "$label: rmmod after the suites" "see ${out#"$top"/}/console.log"
	fi
	if vm_marker "$out" "done"; then
		pass "$label: VM ran to the end"
	else
		fail "$label: VM ran to the end" "hang, panic or timeout; see ${out#"$top"/}/console.log"
		# CI shows only this output: say where the guest stopped.
		tail -n 12 "$out/console.log" 2>/dev/null | tr -d '\r' | sed 's/^/      | console: /'
		tail -n 5 "$out/qemu.log" 2>/dev/null | sed 's/^/      | qemu: /'
	fi
	problems=$(kernel_problems "$out/console.log")
	if [ -z "$problems" ]; then
		pass "$label: no kernel warnings, sanitizer or kmemleak reports"
	else
		fail "$label: kernel warnings or sanitizer reports" "see ${out#"$top"/}/console.log"
		printf '%s\n' "$problems" | sed 's/^/      | /'
	fi
}

# kmemleak_results LABEL OUTDIR [planted]: init.sh's kmemleak verdict after
# rmmod (a kernel with kmemleak); with "planted", also its planted leak
# (run-vm.sh --plant-leak), which kmemleak must have reported.
kmemleak_results() {
	local label=$1 out=$2 token
	token=$(vm_token "$out")
	if vm_marker "$out" "kmemleak clean"; then
		pass "$label: kmemleak scan after rmmod is clean"
	else
		fail "$label: kmemleak scan after rmmod" "see ${out#"$top"/}/console.log"
		tr -d '\r' <"$out/console.log" 2>/dev/null | grep -a '^USCHEME-VM: kmemleak' |
			head -n 5 | sed 's/^/      | /'
	fi
	[ "${3:-}" = planted ] || return 0
	if [ -n "$token" ] && tr -d '\r' <"$out/console.log" 2>/dev/null |
		grep -aE "^USCHEME-VM: kmemleak planted leak caught \([1-9][0-9]* objects\) \[$token\]" >/dev/null; then
		pass "$label: kmemleak: planted failure caught (a leak planted after the verdict is reported)"
	else
		fail "$label: kmemleak: planted failure NOT caught" "the kmemleak check cannot fail; see ${out#"$top"/}/console.log"
		tr -d '\r' <"$out/console.log" 2>/dev/null | grep -a '^USCHEME-VM: kmemleak planted' |
			head -n 3 | sed 's/^/      | /'
	fi
}

# tap_results LABEL FILE [SUITE...]: count each TAP result of the guest's
# suites; each SUITE named must have reported. Results belong to the suite
# of the last "# suite NAME" line (a suite may run another inside it and
# then print its own header again); every suite that appeared must have
# printed its plan ("1..N", summed over its parts), run exactly that many
# tests, and at least one: a suite that crashed after its header, or before
# its plan, fails here.
tap_results() {
	local label=$1 file=$2 suite="(none)" line want s bad=0 total=0
	local -A count=() plan=() seen=()
	local order=()
	shift 2
	if [ ! -s "$file" ]; then
		fail "$label: suites produced no output"
		return
	fi
	while IFS= read -r line; do
		line=${line%$'\r'}	# the serial port ends lines with CR LF
		case "$line" in
		"# suite "?*)
			suite=${line#\# suite }
			[ -n "${seen[$suite]:-}" ] || { seen[$suite]=1; order+=("$suite"); }
			;;
		"ok "*)
			count[$suite]=$((${count[$suite]:-0} + 1))
			pass "$label: $suite/${line#ok * - }" ;;
		"not ok "*)
			count[$suite]=$((${count[$suite]:-0} + 1))
			fail "$label: $suite/${line#not ok * - }" ;;
		"1.."*[!0-9]*) ;;
		"1.."?*) plan[$suite]=$((${plan[$suite]:-0} + 10#${line#1..})) ;;
		"  "*) printf '      | %s\n' "$line" ;;
		esac
	done < <(tr -d '\r\0' <"$file")
	for want in "$@"; do
		[ -n "${seen[$want]:-}" ] && continue
		fail "$label: suite $want did not run"
		printf '      | the suites that reported: %s\n' "${order[*]:-none}"
		bad=1
	done
	[ -z "${count["(none)"]:-}" ] || order+=("(none)")
	for s in "${order[@]}"; do
		if [ -z "${plan[$s]:-}" ]; then
			fail "$label: suite $s finished" "no plan line after ${count[$s]:-0} results: it crashed or hung"
			bad=1
		elif [ "${plan[$s]}" != "${count[$s]:-0}" ]; then
			fail "$label: suite $s finished" "planned ${plan[$s]}, ran ${count[$s]:-0}"
			bad=1
		elif [ "${plan[$s]}" = 0 ]; then
			fail "$label: suite $s finished" "it ran no test"
			bad=1
		fi
		total=$((total + ${count[$s]:-0}))
	done
	[ "$bad" = 1 ] || pass "$label: every suite ran its plan (${#order[@]} suites, $total tests)"
}

# valgrind_results LABEL STATUS LOG: a program run under valgrind
# (--error-exitcode) exited 0 and valgrind reported nothing in LOG.
valgrind_results() {
	local label=$1 status=$2 log=$3 reports
	reports=$(grep -aE '^==[0-9]+== ' "$log" 2>/dev/null | head -n 10)
	if [ "$status" = 0 ] && [ -z "$reports" ] && [ -s "$log" ]; then
		pass "$label: exit 0, no valgrind report"
	else
		fail "$label: exit $status or valgrind reports" "log: ${log#"$top"/}"
		[ -z "$reports" ] || printf '%s\n' "$reports" | sed 's/^/      | /'
	fi
}

# kunit_results LOG: count each KUnit case from kunit.py parse's per-case
# lines; at least one case must have reported.
kunit_results() {
	local line n=0
	while IFS= read -r line; do
		case "$line" in
		*"] [PASSED] "*) n=$((n + 1)); pass "KUnit: ${line##*] }" ;;
		*"] [SKIPPED] "*) n=$((n + 1)); skip "KUnit: ${line##*] }" "skipped by the test" ;;
		*"] [FAILED] "* | *"] [CRASHED] "*) n=$((n + 1)); fail "KUnit: ${line##*] }" ;;
		esac
	done < <(grep -aE '^\[[0-9:]+\] \[(PASSED|FAILED|SKIPPED|CRASHED)\] [A-Za-z0-9_]+$' "$1" 2>/dev/null)
	[ "$n" -gt 0 ] || fail "KUnit: no test case results"
}

# build_log_results LABEL LOG: a module build log (tests/build-module.sh)
# exists and holds no warning, whatever its case: modpost writes
# "WARNING: modpost: ..." (section mismatches, missing licence), which the
# build's own lowercase "warning:" check does not see.
build_log_results() {
	local label=$1 log=$2 warnings
	if [ ! -s "$log" ]; then
		fail "$label: no warnings" "no build log $log"
		return
	fi
	warnings=$(grep -aiE '(warning|error):' "$log")
	# The debug kernel's tree is built with modules_prepare only: without
	# its Module.symvers modpost cannot resolve any symbol, and says so for
	# each. Those lines say nothing of the module; the stock trees, which
	# have Module.symvers, still fail on a truly undefined symbol.
	if grep -aq 'WARNING: Module.symvers is missing' "$log"; then
		warnings=$(printf '%s\n' "$warnings" |
			grep -avE 'Module\.symvers is missing|WARNING: modpost: "[^"]+" \[[^]]+\] undefined!$|WARNING: modpost: suppressed [0-9]+ unresolved symbol warnings' || true)
	fi
	warnings=$(printf '%s\n' "$warnings" | sed '/^$/d' | head -n 10)
	if [ -z "$warnings" ]; then
		pass "$label: no compiler or modpost warnings"
	else
		fail "$label: compiler or modpost warnings" "log: ${log#"$top"/}"
		printf '%s\n' "$warnings" | sed 's/^/      | /'
	fi
}

# dkms_results LOG SERIES...: tests/dkms-test.sh built and installed the
# module for each header series (it passes when it finds no headers at all).
dkms_results() {
	local log=$1 series
	shift
	for series in "$@"; do
		if grep -aqE "^dkms: ${series//./\\.}\.[^ ]* ok \(" "$log" 2>/dev/null; then
			pass "dkms: built and installed for $series"
		else
			fail "dkms: built and installed for $series" "no such line in ${log#"$top"/}"
		fi
	done
}
