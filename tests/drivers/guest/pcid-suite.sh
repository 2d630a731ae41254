#!/bin/sh
# Guest side (busybox sh, root, uscheme.ko with device services loaded, a VM
# with a qemu-xhci controller and some other PCI function): pcid, its pci:
# scheme, its config file, the drivers it spawns (pciprobe) and their
# lifecycle, as TAP on stdout ("# suite pcid"); pcid_test (C, "# suite
# pcid-scheme") runs in the middle against a pcid that binds nothing.
# The drivers run from config files of the suite's own (pciprobe, as the
# tree's default config did before it named xhcid), also one with scheme=:
# pciprobe serving the scheme ring pcid registered for it.
# Needs in PATH: pcid pciprobe pcid_test uscheme ramd, and /bin/pcid.conf
# (the default config, next to pcid; only checked with --check here).
# Leaves every function as it found it.
echo "# suite pcid"
SUITE_OUT=/tmp/pcs.out
. "$(dirname "$0")/suite-lib.sh"
scheme_up() { uscheme schemes 2>/dev/null | grep -q '^pci '; }
scheme_down() { ! scheme_up; }
# field ADDR KEY: a value of pci:ADDR/status
field() { uscheme cat "pci:$1/status" 2>/dev/null | sed -n "s/^$2 //p"; }
field_is() { [ "$(field "$1" "$2")" = "$3" ]; }
running() { field_is "$1" state running; }
# The kernel's view: "ADDR driver override" per function.
snap() {
	for d in /sys/bus/pci/devices/*; do
		drv=-
		[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
		echo "${d##*/} $drv $(cat "$d/driver_override")"
	done
}
# What pci: must list, from sysfs alone.
sysfs_listing() {
	for d in /sys/bus/pci/devices/*; do
		drv=-
		[ -e "$d/driver" ] && drv=$(basename "$(readlink "$d/driver")")
		printf '%s %s:%s %s %s\n' "${d##*/}" "$(sed 's/^0x//' "$d/vendor")" \
			"$(sed 's/^0x//' "$d/device")" "$(sed 's/^0x//' "$d/class")" "$drv"
	done
}
same_as_before() { snap | cmp - /tmp/pcs-snap0; }
# new_driver ADDR OLDPID: a driver other than OLDPID runs
new_driver() {
	uscheme cat "pci:$1/status" >/tmp/pcs-st 2>/dev/null &&
		grep -qx 'state running' /tmp/pcs-st && ! grep -qx "pid $2" /tmp/pcs-st &&
		! grep -qx 'pid 0' /tmp/pcs-st
}
driver_of() {
	if [ -e "/sys/bus/pci/devices/$1/driver" ]; then
		basename "$(readlink "/sys/bus/pci/devices/$1/driver")"
	else
		echo -
	fi
}

# start_pcid CONF LOG: pcid in the foreground (pid in $pcid), serving.
start_pcid() {
	pcid --foreground --config "$1" 2>"$2" &
	pcid=$!
	if waitfor 30 scheme_up; then
		ok "pcid --config $1 serves pci: (pid $pcid)"
	else
		nok "pcid --config $1 serves pci:"
		sed 's/^/  log: /' "$2" | tail -n 20
	fi
}
# stop_pcid LOG [SIGNAL]: stop it, expect exit 0 within 30 s
stop_pcid() {
	kill -"${2:-TERM}" "$pcid"
	(sleep 30; kill -KILL "$pcid" 2>/dev/null) &
	dog=$!
	wait "$pcid"
	rc=$?
	kill "$dog" 2>/dev/null
	wait "$dog" 2>/dev/null
	if [ "$rc" = 0 ]; then
		ok "pcid stops on SIG${2:-TERM} with exit 0"
	else
		nok "pcid stops on SIG${2:-TERM} with exit 0 (exit $rc)"
		sed 's/^/  log: /' "$1" | tail -n 20
	fi
}

# Device sessions (pci_enable_device/pci_disable_device: ACPI _PRT work) take
# ~20 s each on the debug kernel under TCG, enough for RCU stall reports: there
# only the parts without sessions run, unless PCID_SUITE_SESSIONS=1.
sessions=1
case "$(uname -r)" in *debug*) sessions=0 ;; esac
[ -n "$PCID_SUITE_SESSIONS" ] && sessions=$PCID_SUITE_SESSIONS
sl=""
[ "$sessions" = 1 ] || sl=--sessionless

# ---- the functions ----
# The unrelated function: one a kernel driver has, else the last one that
# is no bridge or display (QEMU's -device functions come last), else VGA.
xhcis=""
other=""
withdrv=""
vga=""
for d in /sys/bus/pci/devices/*; do
	case $(cat "$d/class") in
	0x0c0330) xhcis="$xhcis ${d##*/}" ;;
	0x06*) ;;		# bridges
	0x03*) [ -z "$vga" ] && vga=${d##*/} ;;
	*)
		other=${d##*/}
		[ -z "$withdrv" ] && [ -e "$d/driver" ] && withdrv=${d##*/}
		;;
	esac
done
[ -n "$withdrv" ] && other=$withdrv
[ -z "$other" ] && other=$vga
xhci=${xhcis# }
xhci=${xhci%% *}
qxhci=""	# a qemu-xhci (1b36:000d): its registers are known
for x in $xhcis; do
	if [ "$(cat /sys/bus/pci/devices/$x/vendor):$(cat /sys/bus/pci/devices/$x/device)" = 0x1b36:0x000d ]; then
		qxhci=$x
		break
	fi
done
[ -n "$qxhci" ] && xhci=$qxhci
if [ -z "$xhci" ] || [ -z "$other" ]; then
	nok "an xHCI controller and another PCI function (xHCI: '$xhcis', other: '$other')"
	echo "1..$n"
	exit 0
fi
ok "functions: xHCI$xhcis (testing $xhci), unrelated $other ($(cat /sys/bus/pci/devices/$other/class), driver $(driver_of "$other"))"
snap >/tmp/pcs-snap0
# The suite's own config: xHCI to pciprobe, the example driver.
cat >/tmp/pcs-probe.conf <<EOF
set user=65534 group=65534 config-read=header stop-timeout=5000
match class=0c0330 driver=pciprobe args="--channel {channel} {address}" restart=on-failure max-restarts=5 backoff=1000
EOF
sed 's/^/# before: /' /tmp/pcs-snap0

# ---- usage and config files, no daemon ----
expect 0 pcid --help
says "--foreground" pcid --help
expect 2 pcid --bogus
expect 2 pcid unexpected-argument
expect 2 pcid --config /nonexistent.conf --foreground
says "pcid: bad config: /nonexistent.conf: No such file or directory" pcid --config /nonexistent.conf
bad_conf() {	# bad_conf 'TEXT' 'MESSAGE'
	printf '%b' "$1" >/tmp/pcs-bad.conf
	timeout 30 pcid --foreground --config /tmp/pcs-bad.conf >/tmp/pcs.out 2>&1
	got=$?
	if [ $got = 2 ] && grep -qF -- "$2" /tmp/pcs.out && scheme_down; then
		ok "malformed config: exit 2, '$2'"
	else
		nok "malformed config '$1': exit $got, should be 2 with '$2'"
		sed 's/^/  out: /' /tmp/pcs.out | head -n 5
	fi
}
bad_conf 'frobnicate\n' '/tmp/pcs-bad.conf:1: unknown directive'
bad_conf '# ok\n\nmatch class=0c0330\n' '/tmp/pcs-bad.conf:3: match needs driver='
bad_conf 'match class=0c033 driver=pciprobe\n' 'class needs 2, 4 or 6 hex digits'
bad_conf 'match id=1b36 driver=pciprobe\n' 'id needs VENDOR:DEVICE'
bad_conf 'match class=0c driver=pciprobe args="{address}\n' 'unterminated quote'
bad_conf 'match class=0c driver=pciprobe restart=maybe\n' 'restart must be never, on-failure or always'
bad_conf 'match class=0c driver=pciprobe user=0\n' 'user=0 is out of range'
bad_conf 'set config-read=everything\n' 'config-read must be header, all or root'
bad_conf 'match class=0c driver=pciprobe args="{adress}"\n' 'unknown placeholder'
bad_conf 'set frob=1\n' "unknown setting 'frob'"
bad_conf 'match class=0c drivr=pciprobe\n' "unknown key 'drivr'"
head -c 300 /bin/busybox >/tmp/pcs-bin.conf
expect 2 pcid --foreground --config /tmp/pcs-bin.conf
if [ -f /bin/pcid.conf ]; then
	ok "the default config /bin/pcid.conf is shipped"
	says "$xhci $(sed 's/^0x//' /sys/bus/pci/devices/$xhci/vendor):$(sed 's/^0x//' /sys/bus/pci/devices/$xhci/device) 0c0330" pcid --check
	# The default runs xhcid (maybe not in this VM: "(NOT FOUND)"), with its scheme.
	says "xhcid" pcid --check
	says "scheme usb.$(echo "$xhci" | tr : -))" pcid --check
	says "$other " pcid --check --config /bin/pcid.conf
	expect 0 pcid --check
	says "/bin/pciprobe" pcid --check --config /tmp/pcs-probe.conf
	expect 0 pcid --check --config /tmp/pcs-probe.conf
else
	nok "the default config /bin/pcid.conf is shipped"
fi
check "pcid --check bound nothing" same_as_before

# ---- A: a pcid that binds nothing; the scheme from a client's side ----
printf '# binds nothing\nset config-read=header\n' >/tmp/pcs-none.conf
start_pcid /tmp/pcs-none.conf /tmp/pcs-A.log
logsays /tmp/pcs-A.log "pcid: serving pci: (pid $pcid, config /tmp/pcs-none.conf: 0 rules"
says "cannot register scheme pci: name taken" pcid --foreground --config /tmp/pcs-none.conf
expect 1 pcid --foreground --config /tmp/pcs-none.conf
sysfs_listing >/tmp/pcs-want
check "uscheme ls pci: lists exactly the functions sysfs shows" sh -c 'uscheme ls pci: | cmp - /tmp/pcs-want'
check "uscheme cat pci: too" sh -c 'uscheme cat pci: | cmp - /tmp/pcs-want'
check "config space of $xhci matches sysfs byte for byte" sh -c "uscheme cat pci:$xhci/config | cmp - /sys/bus/pci/devices/$xhci/config"
check "config space of $other matches sysfs byte for byte" sh -c "uscheme cat pci:$other/config | cmp - /sys/bus/pci/devices/$other/config"
says "regular file" uscheme stat "pci:$xhci/config"
says "directory" uscheme stat "pci:$xhci"
check "pci:$xhci lists channel, config, status" sh -c "test \"\$(uscheme ls pci:$xhci | tr '\n' ' ')\" = 'channel config status '"
says "state none" uscheme cat "pci:$xhci/status"
says "rule -" uscheme cat "pci:$other/status"
# malformed requests: clear errors
expect 1 uscheme cat pci:nonsense
says "pci:nonsense: no such file or directory" uscheme cat pci:nonsense
says "no such file or directory" uscheme cat "pci:$xhci/nonsense"
says "not a directory" uscheme ls "pci:$xhci/config"
says "permission denied" uscheme cat "pci:$xhci/channel"
says "permission denied" sh -c "echo x | uscheme write pci:$other/config"
says "permission denied" sh -c "echo x | uscheme write pci:$xhci/status"
logsays /tmp/pcs-A.log "config write refused: not bound to uscheme"
# the C suite: listing, config bytes, non-root reads, paths, the channel
echo "# pcid_test $sl $xhci $other"
pcid_test $sl "$xhci" "$other"
echo "# suite pcid"
check "the functions are as before (pcid_test unbound what it bound)" same_as_before
alive "$pcid" && ok "pcid survived the C suite" || nok "pcid survived the C suite"
stop_pcid /tmp/pcs-A.log
logsays /tmp/pcs-A.log "pcid: stopping on Terminated: 0 drivers to stop"
logsays /tmp/pcs-A.log "pcid: stopped on Terminated"
expect 1 uscheme cat pci:
says "no such scheme" uscheme ls pci:

if [ "$sessions" = 1 ]; then
# ---- B: xHCI to pciprobe (the suite's config) ----
start_pcid /tmp/pcs-probe.conf /tmp/pcs-B.log
for x in $xhcis; do
	logsays /tmp/pcs-B.log "pcid: $x: $(sed 's/^0x//' /sys/bus/pci/devices/$x/vendor):$(sed 's/^0x//' /sys/bus/pci/devices/$x/device) 0c0330: bound to uscheme (had driver"
	if waitfor 30 running "$x"; then ok "$x: its driver runs"; else nok "$x: its driver runs"; uscheme cat "pci:$x/status"; fi
done
p=$(field "$xhci" pid)
# pciprobe tries the first function pci: lists other than its own
pother=$(uscheme ls pci: | cut -d' ' -f1 | grep -vx "$xhci" | head -n 1)
logsays /tmp/pcs-B.log "pcid: $xhci: started driver (pid $p, uid 65534, gid 65534): /bin/pciprobe --channel 3 $xhci"
logsays /tmp/pcs-B.log "pciprobe: $xhci: pid $p, uid 65534, gid 65534, channel fd 3"
logsays /tmp/pcs-B.log "pciprobe: $xhci: BAR0 mapped through the channel"
if [ "$xhci" = "$qxhci" ]; then
	logsays /tmp/pcs-B.log "pciprobe: $xhci: xHCI capability registers: CAPLENGTH 0x40 HCIVERSION 0x0100"
	logsays /tmp/pcs-B.log "pciprobe: $xhci:   HCSPARAMS1 0x"
	logsays /tmp/pcs-B.log "pciprobe: $xhci:   HCCPARAMS1 0x"
fi
logsays /tmp/pcs-B.log "pciprobe: $xhci: function handle: config space reads"
logsays /tmp/pcs-B.log "pciprobe: $xhci: DMA buffer: 4096 bytes at bus address 0x"
logsays /tmp/pcs-B.log "pciprobe: $xhci: interrupts: "
logsays /tmp/pcs-B.log "pciprobe: $xhci: refused: pcidev:$xhci: Operation not permitted (EPERM)"
logsays /tmp/pcs-B.log "pciprobe: $xhci: refused: pci:$xhci/channel (its own, a second time): Permission denied (EACCES)"
logsays /tmp/pcs-B.log "pciprobe: $xhci: refused: pci:$pother/channel: Permission denied (EACCES)"
logsays /tmp/pcs-B.log "pciprobe: $xhci: refused: pcidev:$pother: Operation not permitted (EPERM)"
logsays /tmp/pcs-B.log "pciprobe: $xhci: refused: pci:$pother/config (for writing): Permission denied (EACCES)"
logsays /tmp/pcs-B.log "pciprobe: $xhci: refused: /sys/bus/pci/devices/$pother/driver_override"
logsays /tmp/pcs-B.log "pciprobe: $xhci: ready; waiting for SIGTERM"
lognot /tmp/pcs-B.log "ALLOWED"
# the driver process: unprivileged, only its channel
check "driver $p runs as uid/gid 65534" sh -c "grep -q '^Uid:.65534.65534.65534.65534' /proc/$p/status && grep -q '^Gid:.65534.65534.65534.65534' /proc/$p/status"
check "driver $p has no capabilities" sh -c "grep -q '^CapEff:.0000000000000000' /proc/$p/status && grep -q '^CapPrm:.0000000000000000' /proc/$p/status"
check "driver $p has no_new_privs" grep -q '^NoNewPrivs:.1$' /proc/$p/status
check "driver $p has no supplementary groups" sh -c "test \"\$(grep '^Groups:' /proc/$p/status | tr -d ' \t')\" = Groups:"
grep -E '^(Uid|Gid|Groups|Cap...|NoNewPrivs|Seccomp):' /proc/$p/status | sed 's/^/# status: /'

check "driver $p got PCID_CHANNEL_FD=3 and PCID_ADDRESS" sh -c "tr '\0' '\n' </proc/$p/environ | grep -qx PCID_CHANNEL_FD=3 && tr '\0' '\n' </proc/$p/environ | grep -qx PCID_ADDRESS=$xhci"
check "driver $p: stdin is /dev/null, fd 3 a pci: handle" sh -c "test \"\$(readlink /proc/$p/fd/0)\" = /dev/null && readlink /proc/$p/fd/3 | grep -q '^/pci'"
ls -l /proc/$p/fd | sed 's/^/# fd: /'
check "driver $p inherited no file of pcid's (fds 0-3, then its own ring and signalfd)" sh -c "test \$(ls /proc/$p/fd | wc -l) -le 6"
xhci_bound() { [ "$(driver_of "$xhci")" = uscheme ] && [ "$(cat /sys/bus/pci/devices/$xhci/driver_override)" = uscheme ]; }
other_same() { [ "$(grep "^$other " /tmp/pcs-snap0)" = "$(snap | grep "^$other ")" ]; }
check "$xhci is bound to uscheme with driver_override" xhci_bound
check "$other is never bound (driver and override as before)" other_same
check "pci: lists $xhci with driver uscheme" sh -c "uscheme ls pci: | grep -q '^$xhci [0-9a-f]*:[0-9a-f]* 0c0330 uscheme\$'"
check "pcidev: says $xhci is busy (the driver's session)" sh -c "uscheme cat pcidev: | grep -q '^$xhci .* busy'"
sysfs_listing >/tmp/pcs-want
check "pci: still matches sysfs" sh -c 'uscheme ls pci: | cmp - /tmp/pcs-want'
# the driver killed: noticed, reported, restarted (restart=on-failure, backoff 1 s)
kill -KILL "$p"
logsays /tmp/pcs-B.log "pcid: $xhci: driver /bin/pciprobe (pid $p) killed by signal 9 (Killed)"
logsays /tmp/pcs-B.log "pcid: $xhci: restarting it in 1000 ms (restart 1 of at most 5, restart=on-failure)"
if waitfor 20 new_driver "$xhci" "$p"; then
	ok "$xhci: a new driver runs"
else
	nok "$xhci: a new driver runs"
	uscheme cat "pci:$xhci/status"
fi
p2=$(field "$xhci" pid)
restarted_status() { field_is "$xhci" starts 2 && field_is "$xhci" restarts 1 && field "$xhci" last-exit | grep -q 'killed by signal 9'; }
check "status: starts 2, restarts 1, last-exit killed by signal 9" restarted_status
logsays /tmp/pcs-B.log "pciprobe: $xhci: pid $p2, uid 65534"
# pcid killed hard: the drivers lose their channel, the devices are released
kill -KILL "$pcid"
wait "$pcid" 2>/dev/null
logsays /tmp/pcs-B.log "pciprobe: $xhci: lost the channel to pcid: Broken pipe (EPIPE); exiting"
if waitfor 15 gone "$p2"; then ok "the driver exits once pcid is gone"; else nok "the driver exits once pcid is gone"; fi
if waitfor 15 sh -c "uscheme cat pcidev: | grep -q '^$xhci .* free'"; then
	ok "the device's session is released (pcidev: says free)"
else
	nok "the device's session is released (pcidev: says free)"
	uscheme cat pcidev:
fi
check "pci: is gone with pcid" scheme_down
# a restarted pcid takes over
start_pcid /tmp/pcs-probe.conf /tmp/pcs-B2.log
logsays /tmp/pcs-B2.log "pcid: $xhci: $(sed 's/^0x//' /sys/bus/pci/devices/$xhci/vendor):$(sed 's/^0x//' /sys/bus/pci/devices/$xhci/device) 0c0330: already bound to uscheme"
if waitfor 30 running "$xhci"; then ok "restarted pcid: $xhci's driver runs again"; else nok "restarted pcid: $xhci's driver runs again"; sed 's/^/  log: /' /tmp/pcs-B2.log | tail; fi
p3=$(field "$xhci" pid)
logsays /tmp/pcs-B2.log "pciprobe: $xhci: ready; waiting for SIGTERM"
# a clean exit is not restarted under restart=on-failure
kill -TERM "$p3"
logsays /tmp/pcs-B2.log "pcid: $xhci: driver /bin/pciprobe (pid $p3) exited with status 0"
logsays /tmp/pcs-B2.log "pcid: $xhci: not restarting it (restart=on-failure)"
check "status: state stopped" field_is "$xhci" state stopped
sleep 1.5
check "no new driver after a clean exit" field_is "$xhci" state stopped
# shutdown: drivers stopped, devices given back
stop_pcid /tmp/pcs-B2.log
logsays /tmp/pcs-B2.log "pcid: $xhci: given back (driver now"
check "every function is as before pcid (driver, override)" same_as_before
check "pcidev: no longer lists $xhci" sh -c "! uscheme cat pcidev: | grep -q '^$xhci '"
# SIGTERM with drivers running: they are stopped first
start_pcid /tmp/pcs-probe.conf /tmp/pcs-B3.log
waitfor 30 running "$xhci"
p4=$(field "$xhci" pid)
waitfor 15 grep -qF "pciprobe: $xhci: ready" /tmp/pcs-B3.log
stop_pcid /tmp/pcs-B3.log
nx=$(echo $xhcis | wc -w)
logsays /tmp/pcs-B3.log "pcid: stopping on Terminated: $nx driver"
logsays /tmp/pcs-B3.log "pciprobe: $xhci: stopping on Terminated"
logsays /tmp/pcs-B3.log "pcid: $xhci: driver /bin/pciprobe (pid $p4) exited with status 0"
check "the driver is gone after pcid stopped" gone "$p4"
check "every function is as before pcid, again" same_as_before

# ---- C: restart policies ----
cat >/tmp/pcs-always.conf <<EOF
match class=0c0330 driver=pciprobe args="--channel {channel} {address}" restart=always max-restarts=2 backoff=100
EOF
start_pcid /tmp/pcs-always.conf /tmp/pcs-C1.log
waitfor 30 running "$xhci"
q=$(field "$xhci" pid)
waitfor 15 grep -qF "pciprobe: $xhci: ready" /tmp/pcs-C1.log
kill -TERM "$q"
logsays /tmp/pcs-C1.log "pcid: $xhci: driver /bin/pciprobe (pid $q) exited with status 0"
logsays /tmp/pcs-C1.log "pcid: $xhci: restarting it in 100 ms (restart 1 of at most 2, restart=always)"
waitfor 20 new_driver "$xhci" "$q"
q=$(field "$xhci" pid)
kill -KILL "$q"
logsays /tmp/pcs-C1.log "pcid: $xhci: restarting it in 200 ms (restart 2 of at most 2, restart=always)"
waitfor 20 new_driver "$xhci" "$q"
q=$(field "$xhci" pid)
kill -KILL "$q"
logsays /tmp/pcs-C1.log "pcid: $xhci: giving up: 2 restarts in a row (max-restarts=2)"
check "status: state failed after giving up" field_is "$xhci" state failed
stop_pcid /tmp/pcs-C1.log
cat >/tmp/pcs-never.conf <<EOF
set stop-timeout=2000
match class=0c0330 driver=pciprobe args="--channel {channel} {address}" restart=never
EOF
start_pcid /tmp/pcs-never.conf /tmp/pcs-C2.log
waitfor 30 running "$xhci"
q=$(field "$xhci" pid)
kill -KILL "$q"
logsays /tmp/pcs-C2.log "pcid: $xhci: not restarting it (restart=never)"
check "status: state stopped under restart=never" field_is "$xhci" state stopped
stop_pcid /tmp/pcs-C2.log
# a driver that fails at once: reported with its status, given up on
cat >/tmp/pcs-false.conf <<EOF
match id=$(sed 's/^0x//' /sys/bus/pci/devices/$xhci/vendor):$(sed 's/^0x//' /sys/bus/pci/devices/$xhci/device) driver=/bin/false args="" max-restarts=1 backoff=50
EOF
start_pcid /tmp/pcs-false.conf /tmp/pcs-C3.log
logsays /tmp/pcs-C3.log "pcid: $xhci: driver /bin/false (pid"
logsays /tmp/pcs-C3.log ") exited with status 1 after"
logsays /tmp/pcs-C3.log "pcid: $xhci: giving up: 1 restart in a row (max-restarts=1)"
stop_pcid /tmp/pcs-C3.log
# a driver that ignores SIGTERM: SIGKILL after stop-timeout
printf '#!/bin/sh\ntrap "" TERM\nwhile :; do sleep 1; done\n' >/tmp/pcs-stubborn.sh
chmod 755 /tmp/pcs-stubborn.sh
cat >/tmp/pcs-stubborn.conf <<EOF
set stop-timeout=500
match class=0c0330 driver=/tmp/pcs-stubborn.sh
EOF
start_pcid /tmp/pcs-stubborn.conf /tmp/pcs-C4.log
waitfor 30 running "$xhci"
q=$(field "$xhci" pid)
sleep 0.5
stop_pcid /tmp/pcs-C4.log
logsays /tmp/pcs-C4.log "pcid: $xhci: driver (pid $q) still running after 500 ms: SIGKILL"
logsays /tmp/pcs-C4.log "pcid: $xhci: driver /tmp/pcs-stubborn.sh (pid $q) killed by signal 9"
check "given back after a SIGKILLed driver" same_as_before
# a driver that does not exist: the function is not touched
cat >/tmp/pcs-missing.conf <<EOF
match class=0c0330 driver=/nonexistent/driver
EOF
start_pcid /tmp/pcs-missing.conf /tmp/pcs-C5.log
logsays /tmp/pcs-C5.log "but its driver '/nonexistent/driver' is not an executable file"
missing_status() { field_is "$xhci" state failed && field_is "$xhci" last-exit "driver not found"; }
check "status: state failed, driver not found" missing_status
check "a function whose driver is missing is not bound" same_as_before
stop_pcid /tmp/pcs-C5.log

# ---- E: scheme=: pcid registers a scheme per function, the driver serves it ----
# pciprobe serves "info" on the ring pcid set up and registered for it (fd 4,
# $USCHEME_SCHEME), as uid 65534 without capabilities.
sname=probe.$(echo "$xhci" | tr : -)
listed() { uscheme schemes 2>/dev/null | grep -q "^$1 "; }
unlisted() { uscheme schemes >/tmp/pcs-schemes 2>&1 && grep -q '^NAME ' /tmp/pcs-schemes && ! grep -q "^$1 " /tmp/pcs-schemes; }
info_is() { [ "$(uscheme cat "$sname:info" 2>/dev/null)" = "pciprobe $xhci: pid $1, uid 65534, gid 65534" ]; }
cat >/tmp/pcs-scheme.conf <<EOF
match class=0c0330 driver=pciprobe args="--channel {channel} {address}" scheme=probe.{address} scheme-data=4M restart=on-failure max-restarts=3 backoff=3000
EOF
start_pcid /tmp/pcs-scheme.conf /tmp/pcs-E.log
if waitfor 30 running "$xhci"; then ok "$xhci: its driver runs"; else nok "$xhci: its driver runs"; uscheme cat "pci:$xhci/status"; fi
p=$(field "$xhci" pid)
check "status: scheme $sname" field_is "$xhci" scheme "$sname"
logsays /tmp/pcs-E.log "pcid: $xhci: started driver (pid $p, uid 65534, gid 65534, scheme $sname on fd 4): /bin/pciprobe --channel 3 $xhci"
logsays /tmp/pcs-E.log "pciprobe: $xhci: serving $sname: on the scheme ring pcid passed (fd 4); waiting for SIGTERM"
for x in $xhcis; do
	xs=probe.$(echo "$x" | tr : -)
	if waitfor 30 listed "$xs"; then ok "$x: $xs is served"; else nok "$x: $xs is served"; uscheme schemes; fi
done
if waitfor 10 info_is "$p"; then
	ok "uscheme cat $sname:info: served by pciprobe (pid $p) as uid 65534"
else
	nok "uscheme cat $sname:info: served by pciprobe (pid $p) as uid 65534"
	uscheme cat "$sname:info"
fi
says "no such file or directory" uscheme cat "$sname:nope"
check "driver $p has no capabilities (it serves a scheme all the same)" sh -c "grep -q '^CapEff:.0000000000000000' /proc/$p/status && grep -q '^Uid:.65534.65534.65534.65534' /proc/$p/status"
check "driver $p: fd 3 a pci: handle, fd 4 its scheme ring (/dev/uscheme)" sh -c "readlink /proc/$p/fd/3 | grep -q '^/pci' && test \"\$(readlink /proc/$p/fd/4)\" = /dev/uscheme"
check "driver $p got USCHEME_SCHEME=fd=4,name=$sname,... (data 4M)" sh -c "tr '\0' '\n' </proc/$p/environ | grep -qx 'USCHEME_SCHEME=fd=4,name=$sname,sq=256,cq=512,cqe=16,ring=4096,sqes=16384,cqes=8192,data=4194304'"
tr '\0' '\n' </proc/$p/environ | grep USCHEME | sed 's/^/# env: /'
ls -l /proc/$p/fd | sed 's/^/# fd: /'
uscheme schemes | sed 's/^/# schemes: /'
# The driver killed: the name goes with it (pcid kept no copy), the restart registers it again.
gone_in_backoff() { field_is "$xhci" state backoff && unlisted "$sname"; }
kill -KILL "$p"
if waitfor 3 gone_in_backoff; then ok "the driver killed: $sname is gone while pcid waits to restart it"; else nok "the driver killed: $sname is gone while pcid waits to restart it"; uscheme schemes; uscheme cat "pci:$xhci/status"; fi
logsays /tmp/pcs-E.log "pcid: $xhci: driver /bin/pciprobe (pid $p) killed by signal 9 (Killed)"
logsays /tmp/pcs-E.log "pcid: $xhci: restarting it in 3000 ms (restart 1 of at most 3, restart=on-failure)"
if waitfor 30 new_driver "$xhci" "$p"; then ok "$xhci: a new driver runs"; else nok "$xhci: a new driver runs"; fi
p2=$(field "$xhci" pid)
if waitfor 15 info_is "$p2"; then
	ok "the restarted driver (pid $p2) serves $sname:info again"
else
	nok "the restarted driver (pid $p2) serves $sname:info again"
	uscheme cat "$sname:info"
fi
logsays /tmp/pcs-E.log "pcid: $xhci: started driver (pid $p2, uid 65534, gid 65534, scheme $sname on fd 4)"
# pcid killed hard: the driver still holds the ring until it sees its channel go.
kill -KILL "$pcid"
wait "$pcid" 2>/dev/null
logsays /tmp/pcs-E.log "pciprobe: $xhci: lost the channel to pcid: Broken pipe (EPIPE); exiting"
if waitfor 15 gone "$p2" && waitfor 5 unlisted "$sname"; then ok "pcid gone: the driver exits, $sname is free"; else nok "pcid gone: the driver exits, $sname is free"; uscheme schemes; fi
if waitfor 15 sh -c "uscheme cat pcidev: | grep -q '^$xhci .* free'"; then ok "the session is released"; else nok "the session is released"; fi
# The name taken when pcid starts (ramd has it): that start fails and is
# retried by the restart policy, which succeeds once the name is free.
ramd --name "$sname" 2>/tmp/pcs-ramd.log &
ramd=$!
if waitfor 15 listed "$sname"; then ok "ramd holds $sname"; else nok "ramd holds $sname"; cat /tmp/pcs-ramd.log; fi
start_pcid /tmp/pcs-scheme.conf /tmp/pcs-E2.log
logsays /tmp/pcs-E2.log "pcid: $xhci: cannot register scheme $sname for its driver: File exists (EEXIST) (the name is taken)"
logsays /tmp/pcs-E2.log "pcid: $xhci: restarting it in 3000 ms (restart 1 of at most 3, restart=on-failure)"
check "status: last-exit says the scheme was taken" sh -c "uscheme cat pci:$xhci/status | grep -qx 'last-exit cannot register scheme $sname: EEXIST'"
lognot /tmp/pcs-E2.log "pcid: $xhci: started driver"
kill -TERM "$ramd"
wait "$ramd"
if waitfor 30 running "$xhci"; then ok "$xhci: its driver runs once the name is free"; else nok "$xhci: its driver runs once the name is free"; uscheme cat "pci:$xhci/status"; fi
p3=$(field "$xhci" pid)
if waitfor 15 info_is "$p3"; then ok "then $sname is served by its driver (pid $p3)"; else nok "then $sname is served by its driver (pid $p3)"; uscheme cat "$sname:info"; fi
# SIGTERM: the drivers stop, every name goes.
stop_pcid /tmp/pcs-E2.log
logsays /tmp/pcs-E2.log "pciprobe: $xhci: stopping on Terminated"
logsays /tmp/pcs-E2.log "pcid: $xhci: driver /bin/pciprobe (pid $p3) exited with status 0"
no_probe_schemes() { uscheme schemes >/tmp/pcs-schemes 2>&1 && grep -q '^NAME ' /tmp/pcs-schemes && ! grep -q '^probe\.' /tmp/pcs-schemes; }
check "pcid stopped: no probe.* scheme left" no_probe_schemes
check "every function is as before pcid (scheme rules)" same_as_before

else
	echo "# $(uname -r): no device sessions (drivers, channels): each costs ~20 s here"
fi

# ---- the background mode ----
bg=$(timeout 60 pcid --config /tmp/pcs-none.conf 2>/tmp/pcs-D.log)
if [ -n "$bg" ] && alive "$bg" && scheme_up; then ok "pcid without --foreground: backgrounds, prints its pid $bg, serves"; else nok "pcid backgrounds (got '$bg')"; cat /tmp/pcs-D.log; fi
[ -n "$bg" ] && kill -TERM "$bg"
if waitfor 15 gone "$bg" && waitfor 5 scheme_down; then ok "background pcid stops on SIGTERM"; else nok "background pcid stops on SIGTERM"; fi

# ---- pcid and pcid_test built with sanitizers, or 32-bit, where shipped ----
for v in -asan -m32; do
	command -v "pcid$v" >/dev/null && command -v "pcid_test$v" >/dev/null || continue
	if [ "$v" = -asan ]; then
		export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	fi
	"pcid$v" --foreground --config /tmp/pcs-none.conf 2>"/tmp/pcs$v.log" &
	pcid=$!
	if waitfor 30 scheme_up; then ok "pcid$v serves pci:"; else nok "pcid$v serves pci:"; fi
	"pcid_test$v" $sl "$xhci" "$other"
	echo "# suite pcid"
	stop_pcid "/tmp/pcs$v.log"
	unset ASAN_OPTIONS UBSAN_OPTIONS
done

check "every function is as before, at the end" same_as_before
probes_left() {
	for f in /proc/[0-9]*/cmdline; do
		tr '\0' ' ' <"$f" 2>/dev/null | grep -q '^/bin/pciprobe ' && return 0
	done
	return 1
}
if probes_left; then nok "no pciprobe left running"; else ok "no pciprobe left running"; fi
check "no pci: scheme left" scheme_down
echo "# pcid logs"
for f in /tmp/pcs-*.log; do
	echo "# --- $f"
	sed 's/^/# /' "$f"
done
if cat /tmp/pcs-*.log | grep -E "AddressSanitizer|LeakSanitizer|runtime error"; then
	nok "no sanitizer reports from pcid and its drivers"
else
	ok "no sanitizer reports from pcid and its drivers"
fi
echo "1..$n"
