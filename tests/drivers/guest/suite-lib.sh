# Sourced by the guest suite scripts (busybox sh, next to them in /bin):
#   . "$(dirname "$0")/suite-lib.sh"
# TAP on stdout: each helper prints "ok N - ..." or "not ok N - ..." with
# the command's output indented below a failure; the script prints its
# "# suite NAME" before and "1..$n" at the end. A check's output goes to
# $SUITE_OUT (set it before sourcing; default /tmp/suite.out).
SUITE_OUT=${SUITE_OUT:-/tmp/suite.out}
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }
# check DESCRIPTION CMD...: ok if CMD (a command or a shell function) succeeds
check() {
	what=$1
	shift
	if "$@" >"$SUITE_OUT" 2>&1; then
		ok "$what"
	else
		nok "$what"
		sed 's/^/  out: /' "$SUITE_OUT" | head -n 20
	fi
}
# expect STATUS CMD...: CMD exits with STATUS (within 60 s)
expect() {
	want=$1
	shift
	timeout 60 "$@" >"$SUITE_OUT" 2>&1
	got=$?
	if [ "$got" = "$want" ]; then
		ok "$* (exit $got)"
	else
		nok "$* (exit $got, want $want)"
		sed 's/^/  out: /' "$SUITE_OUT" | head -n 20
	fi
}
# says TEXT CMD...: CMD's stdout or stderr contains TEXT (any exit status)
says() {
	want=$1
	shift
	timeout 60 "$@" >"$SUITE_OUT" 2>&1
	got=$?
	if grep -qF -- "$want" "$SUITE_OUT"; then
		ok "$* says '$want' (exit $got)"
	else
		nok "$* should say '$want' (exit $got)"
		sed 's/^/  out: /' "$SUITE_OUT" | head -n 20
	fi
}
# waitfor SECONDS CMD...: until CMD succeeds; 1 when it did not in time
waitfor() {
	wt=$(($1 * 10))
	shift
	wi=0
	while ! "$@" >/dev/null 2>&1; do
		wi=$((wi + 1))
		[ $wi -ge $wt ] && return 1
		sleep 0.1
	done
	return 0
}
# logsays LOG TEXT [SECONDS]: LOG comes to contain TEXT (fixed text)
logsays() {
	if waitfor "${3:-15}" grep -qF -- "$2" "$1"; then
		ok "log: $2"
	else
		nok "log should say: $2"
		sed 's/^/  log: /' "$1" | tail -n 30
	fi
}
# logmatch LOG REGEX [SECONDS]: LOG comes to hold a line matching REGEX
# (grep -E); the test's name is that line
logmatch() {
	if waitfor "${3:-15}" grep -qE -- "$2" "$1"; then
		ok "log: $(grep -E -- "$2" "$1" | head -n 1)"
	else
		nok "log should match: $2"
		sed 's/^/  log: /' "$1" | tail -n 30
	fi
}
# lognot LOG TEXT: LOG exists and does not contain TEXT
lognot() {
	if [ ! -s "$1" ]; then
		nok "log must not say: $2 (no log $1)"
	elif grep -qF -- "$2" "$1"; then
		nok "log must not say: $2"
		grep -F -- "$2" "$1" | sed 's/^/  log: /' | head -n 5
	else
		ok "log does not say: $2"
	fi
}
# alive PID / gone PID: the process exists / does not (now)
alive() { kill -0 "$1" 2>/dev/null; }
gone() { ! kill -0 "$1" 2>/dev/null; }
# exited SECONDS PID...: each PID exits (or is a zombie) within SECONDS
exited() {
	es=$1
	shift
	for ep in "$@"; do
		waitfor "$es" sh -c "! kill -0 $ep 2>/dev/null || grep -q '^State:.Z' /proc/$ep/status" ||
			return 1
	done
	return 0
}
