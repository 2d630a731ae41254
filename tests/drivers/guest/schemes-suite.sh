#!/bin/sh
# Guest side (busybox sh, root, uscheme.ko loaded): the example daemons
# (ramd, nulld, hellod) and the uscheme tool's scheme subcommands, as TAP
# on stdout; then schemes_test (C) against the same daemons, and
# schemes_test-m32 against 32-bit daemons where those were shipped.
# Needs in PATH: uscheme ramd nulld hellod schemes_test (ramd-m32,
# nulld-m32, schemes_test-m32 optional). Leaves no daemon behind.
echo "# suite schemes-tool"
SUITE_OUT=/tmp/st.out
. "$(dirname "$0")/suite-lib.sh"

expect 0 uscheme schemes
ram=$(timeout 30 ramd --background 2>/tmp/st-ramd.log)
null=$(timeout 30 nulld --background 2>/tmp/st-nulld.log)
small=$(timeout 30 ramd --background --name small --max-bytes 64K 2>/tmp/st-small.log)
hellod >/tmp/st-hellod.log 2>&1 &
hello=$!
i=0
while ! uscheme schemes 2>/dev/null | grep -q '^hello ' && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
if [ -n "$ram" ] && [ -n "$null" ] && [ -n "$small" ]; then
	ok "daemons started (ramd $ram, nulld $null, ramd small $small, hellod $hello)"
else
	nok "daemons started"
	cat /tmp/st-*.log
fi

# schemes, stats
says "ram " uscheme schemes
says "echo " uscheme schemes
says "NAME" uscheme schemes
expect 0 uscheme stats
says "requests" uscheme stats ram
expect 1 uscheme stats nosuch
says "nosuch: no such scheme" uscheme stats nosuch

# write, cat, ls, stat
expect 0 sh -c 'echo hello there | uscheme write ram:/a'
expect 0 sh -c 'uscheme cat ram:/a | grep -qx "hello there"'
expect 0 sh -c 'echo again | uscheme write ram:/a && test "$(uscheme cat ram:/a)" = again'
expect 0 sh -c 'uscheme ls ram:/ | grep -qx a'
expect 0 uscheme ls ram:
says "size     6" uscheme stat ram:/a
says "regular file" uscheme stat ram:/a
says "0644" uscheme stat ram:/a
says "directory" uscheme stat ram:/
says "character device" uscheme stat null:x
says "schemes" uscheme ls sys:
says "ram " uscheme cat sys:schemes
seq 1 500000 >/tmp/st-big	# 3.4 MB (not /dev/urandom: its first reads can patch kernel text)
expect 0 sh -c 'uscheme write ram:/big </tmp/st-big'
expect 0 sh -c 'uscheme cat ram:/big | cmp - /tmp/st-big'
says "size     $(wc -c </tmp/st-big)" uscheme stat ram:/big
says "hello" uscheme cat hello:x
expect 0 uscheme cat null:x
expect 0 sh -c 'test "$(uscheme cat zero:x | head -c 100000 | wc -c)" = 100000'

# errors: exit 1 with the reason, 2 for usage
expect 1 uscheme cat ram:/missing
says "uscheme: ram:/missing: no such file or directory" uscheme cat ram:/missing
expect 1 uscheme cat nosuch:/x
says "uscheme: nosuch:/x: no such scheme" uscheme cat nosuch:/x
expect 1 uscheme ls ram:/a
says "uscheme: ram:/a: not a directory" uscheme ls ram:/a
says "uscheme: sys:schemes: permission denied" uscheme write sys:schemes
expect 1 sh -c 'echo x | uscheme write hello:x'
says "permission denied" sh -c 'echo x | uscheme write hello:x'
expect 2 uscheme cat noschemepath
expect 2 uscheme cat
expect 2 uscheme ls a b
expect 2 uscheme frobnicate ram:/a

# daemon command lines
expect 1 ramd
says "ramd: cannot register scheme ram: name taken (EEXIST)" ramd
says "nulld: cannot register scheme null: name taken (EEXIST)" nulld --name null
says "ramd: cannot register scheme Bad: invalid name" ramd --name Bad
expect 2 ramd --bogus
expect 2 ramd --max-bytes lots
expect 2 nulld --name nothing
expect 0 ramd --help
expect 0 nulld --help

# the C suite against these daemons
schemes_test
echo "# suite schemes-tool"

# again with 32-bit daemons and a 32-bit client, where shipped
if command -v schemes_test-m32 >/dev/null; then
	kill -TERM "$ram" "$small" "$null"
	exited 5 "$ram" "$small" "$null" || echo "# daemons did not stop"
	r=ramd n32=nulld
	command -v ramd-m32 >/dev/null && r=ramd-m32
	command -v nulld-m32 >/dev/null && n32=nulld-m32
	ram=$(timeout 30 $r --background 2>>/tmp/st-ramd.log)
	small=$(timeout 30 $r --background --name small --max-bytes 64K 2>>/tmp/st-small.log)
	null=$(timeout 30 $n32 --background 2>>/tmp/st-nulld.log)
	schemes_test-m32
	echo "# suite schemes-tool"
fi

# stopping: SIGTERM and SIGINT exit 0, the name is free at once
kill -TERM "$ram"
if exited 5 "$ram"; then ok "ramd --background exits on SIGTERM"; else nok "ramd --background exits on SIGTERM"; fi
expect 1 uscheme cat ram:/a
says "no such scheme" uscheme cat ram:/a
kill -TERM "$null" "$small" "$hello" 2>/dev/null
if exited 5 "$null" "$small" "$hello"; then ok "the other daemons stop on SIGTERM"; else nok "the other daemons stop on SIGTERM"; fi
for sig in TERM INT; do
	ramd 2>/tmp/st-fg.log &
	fg=$!
	sleep 1
	kill -$sig $fg
	wait $fg
	rc=$?
	if [ $rc = 0 ]; then ok "ramd exits 0 on SIG$sig"; else nok "ramd exits $rc on SIG$sig"; cat /tmp/st-fg.log; fi
	nulld 2>/tmp/st-fg.log &
	fg=$!
	sleep 1
	kill -$sig $fg
	wait $fg
	rc=$?
	if [ $rc = 0 ]; then ok "nulld exits 0 on SIG$sig"; else nok "nulld exits $rc on SIG$sig"; cat /tmp/st-fg.log; fi
done
# a daemon killed hard: its clients get errors, never a hang
victim=$(timeout 30 ramd --background --name victim 2>/dev/null)
expect 0 sh -c 'echo v | uscheme write victim:/v'
kill -KILL "$victim"
exited 5 "$victim"
expect 1 uscheme cat victim:/v

# (the listing must be there: an empty one, from a tool that failed, is no proof)
if ! uscheme schemes >/tmp/st-left 2>&1 || ! grep -qx 'NAME.*' /tmp/st-left; then
	nok "no scheme left registered (uscheme schemes failed)"
	cat /tmp/st-left
elif grep -qvx 'NAME.*' /tmp/st-left; then
	nok "no scheme left registered"
	cat /tmp/st-left
else
	ok "no scheme left registered"
fi
echo "# daemon logs"
sed 's/^/# /' /tmp/st-*.log
if cat /tmp/st-*.log | grep -E "AddressSanitizer|LeakSanitizer|runtime error"; then
	nok "no sanitizer reports from the daemons"
else
	ok "no sanitizer reports from the daemons"
fi
echo "1..$n"
