#!/bin/sh
# Guest side, suite "trace": the tracepoints on a request's path
# (module/trace.h). Enables uscheme's events through tracefs, makes one
# kind of request at a time with `uscheme bench-cell` (its own daemon,
# scheme benchnull: an OPEN, then READs of 64 bytes answered with 64
# bytes), and checks that each event appears with the right op and
# result, and that one request's tag runs through admit, dispatch, answer
# and complete. A tracepoint missing from the path fails its check.
# TAP on stdout.
echo "# suite trace"
t0=$(date +%s)
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; failed=1; }
failed=
check() {	# check DESCRIPTION COMMAND...
	d=$1
	shift
	if "$@"; then ok "$d"; else nok "$d"; fi
}

T=/sys/kernel/tracing
[ -d $T/events ] || mount -t tracefs nodev $T 2>/dev/null
[ -d $T/events ] || T=/sys/kernel/debug/tracing
events="submit admit dispatch answer complete"
for e in $events; do
	check "event uscheme_$e exists in tracefs" test -d "$T/events/uscheme/uscheme_$e"
done

# trace_of CELL...: the trace buffer while `uscheme bench-cell CELL` runs, in /tmp/trace.txt
trace_of() {
	echo 0 >$T/tracing_on
	echo >$T/trace
	echo 8192 >$T/buffer_size_kb
	for e in $events; do
		echo 1 >"$T/events/uscheme/uscheme_$e/enable" 2>/dev/null
	done
	echo 1 >$T/tracing_on
	uscheme bench-cell "$@" >/tmp/trace-cell.out 2>&1
	rc=$?
	echo 0 >$T/tracing_on
	for e in $events; do
		echo 0 >"$T/events/uscheme/uscheme_$e/enable" 2>/dev/null
	done
	cat $T/trace >/tmp/trace.txt
	return $rc
}
has() {		# has EXTENDED-REGEX: a line of /tmp/trace.txt matches
	grep -Eq "$1" /tmp/trace.txt
}

# A ring READ: SQE -> admitted -> in the daemon's SQ -> answered -> CQE.
check "ring READ of 64 bytes through bench-cell" trace_of ring 64 1 1
check "ring: submit op=READ len=64" has 'uscheme_submit: ring=[^ ]+ op=READ fd=[0-9]+ user_data=0x[0-9a-f]+ len=64$'
check "ring: admit scheme=benchnull op=READ res=0" has 'uscheme_admit: scheme=benchnull op=READ tag=0x[0-9a-f]+ chunk_pages=1 res=0$'
check "ring: dispatch scheme=benchnull op=READ" has 'uscheme_dispatch: scheme=benchnull op=READ tag=0x[0-9a-f]+ '
check "ring: answer scheme=benchnull op=READ res=64" has 'uscheme_answer: scheme=benchnull op=READ tag=0x[0-9a-f]+ raw=64 res=64$'
check "ring: complete op=READ res=64 on the ring" has 'uscheme_complete: ring=[^ ]+ op=READ tag=0x[0-9a-f]+ user_data=0x[0-9a-f]+ res=64$'
check "ring: the OPEN (a syscall) answered with a handle" has 'uscheme_answer: scheme=benchnull op=OPEN tag=0x[0-9a-f]+ raw=1 res=1$'
# One request's tag, followed: admitted, dispatched, answered, completed in that order.
tag=$(sed -n 's/.*uscheme_answer: scheme=benchnull op=READ tag=\(0x[0-9a-f]*\) .*/\1/p' /tmp/trace.txt | tail -n 1)
order=$(grep -E "uscheme_(admit|dispatch|answer|complete): .*tag=$tag " /tmp/trace.txt |
	sed -n 's/.*uscheme_\([a-z]*\): .*/\1/p' | tr '\n' ' ')
check "ring: tag ${tag:-none} admit, dispatch, answer, complete in order (got: $order)" \
	test "$order" = "admit dispatch answer complete "
# Submission and completion carry the same user_data.
ud=$(sed -n 's/.*uscheme_complete: .*op=READ .*user_data=\(0x[0-9a-f]*\) res=64$/\1/p' /tmp/trace.txt | tail -n 1)
check "ring: the CQE's user_data ${ud:-none} is a submitted SQE's" has "uscheme_submit: .*op=READ .*user_data=$ud len=64\$"

# A handle fd: pread(2) -> admitted -> dispatched -> answered -> the syscall returns.
check "fd pread of 64 bytes through bench-cell" trace_of fd 64 1 1
check "fd: submit op=READ len=64 (no ring)" has 'uscheme_submit: ring=(0+|\(null\)) op=READ fd=-1 user_data=0x0 len=64$'
check "fd: admit scheme=benchnull op=READ res=0" has 'uscheme_admit: scheme=benchnull op=READ tag=0x[0-9a-f]+ chunk_pages=1 res=0$'
check "fd: dispatch scheme=benchnull op=READ" has 'uscheme_dispatch: scheme=benchnull op=READ tag=0x[0-9a-f]+ '
check "fd: answer scheme=benchnull op=READ res=64" has 'uscheme_answer: scheme=benchnull op=READ tag=0x[0-9a-f]+ raw=64 res=64$'
check "fd: complete op=READ res=64, no ring" has 'uscheme_complete: ring=(0+|\(null\)) op=READ tag=0x[0-9a-f]+ user_data=0x0 res=64$'

# FSYNC (0 bytes) on a ring: no chunk, result 0.
check "ring FSYNC through bench-cell" trace_of ring 0 1 1
check "ring: admit op=FSYNC chunk_pages=0" has 'uscheme_admit: scheme=benchnull op=FSYNC tag=0x[0-9a-f]+ chunk_pages=0 res=0$'
check "ring: complete op=FSYNC res=0" has 'uscheme_complete: ring=[^ ]+ op=FSYNC tag=0x[0-9a-f]+ user_data=0x[0-9a-f]+ res=0$'
if [ -n "$failed" ]; then	# what the trace held, for the log
	echo "# the last trace (/tmp/trace.txt), first lines:"
	grep -v '^#' /tmp/trace.txt 2>/dev/null | head -n 60 | sed 's/^/#   /'
fi
echo "# time: $(($(date +%s) - t0)) s"
echo "1..$n"
