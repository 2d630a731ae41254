#!/bin/sh
# Guest side (busybox sh, root, uscheme.ko loaded; the VM of
# tests/usbscsid-vm.sh): usbscsid on QEMU's USB disks, as TAP on stdout
# ("# suite usbscsid"; usbscsid_test runs in the middle, "# suite
# usbscsid-scheme").
#   1. where the VM shipped Linux's USB disk modules (/bin/usb-linux-NN-*.ko):
#      Linux's usb-storage writes a region of the main disk (LINUX_LBA,
#      LINUX_BLOCKS blocks, seed 0x11), then the modules are unloaded;
#   2. pcid runs xhcid, and at xhcid's request usbscsid for each Bulk-Only
#      interface (xhcid.conf), each as a uid of its own (65400..) with its handle and
#      the disk.usb.*: scheme pcid registered for it;
#   3. usbscsid_test: the scheme's contract, 32 requests in flight;
#   4. the data: the region Linux wrote, read through disk.*:; a region
#      written through disk.*: (US_BLOCKS blocks, seed 0x22) and FSYNCed,
#      which the next boot (usbscsid-linux-guest.sh) checks with Linux's
#      usb-storage after this one powers off;
#   5. faults: a STALL on the data stage (usbscsid --inject-stall, run by
#      hand as root then --user 65533: a WRITE's CBW claims less than its
#      data stage sends) recovered by Reset Recovery; xhcid killed under load; the 4096-byte disk
#      unplugged mid-write (QEMU's monitor); a CBW whose direction
#      disagrees with its data (usbscsid --inject-dir): the WRITE fails
#      -EIO, usbscsid asks for a port reset and stops, a new one serves the
#      disk, data written before and after reads back.
# Environment: US_QUICK=1 (the debug kernel: fewer blocks).
echo "# suite usbscsid"
SUITE_OUT=/tmp/us.out
. "$(dirname "$0")/suite-lib.sh"
served() { uscheme schemes 2>/dev/null | grep -q "^$1 "; }
ctrl0=0000:00:04.0
ctrl1=0000:00:05.0
s0=usb.0000-00-04.0
s1=usb.0000-00-05.0
LINUX_LBA=200000
US_LBA=131072
blocks=12000
[ "${US_QUICK:-}" = 1 ] && blocks=2000 && echo "# quick (debug kernel): $blocks blocks each way, not 12000"
t0=$(date +%s)
mark() { echo "# at $(($(date +%s) - t0)) s: $*"; }

# ---- 1. Linux's usb-storage writes first ----
mods=$(ls /bin/usb-linux-*.ko 2>/dev/null)
if [ -n "$mods" ]; then
	bad=""
	for m in $mods; do insmod "$m" 2>>/tmp/us-linux.log || bad="$bad $m"; done
	if [ -z "$bad" ]; then ok "insmod Linux's USB disk modules ($(echo $mods | wc -w))"; else nok "insmod$bad"; cat /tmp/us-linux.log; fi
	# the main disk: 128 MiB, 262144 sectors
	sdmain() { for b in /sys/block/sd*; do [ "$(cat $b/size 2>/dev/null)" = 262144 ] && { echo /dev/${b##*/}; return 0; }; done; return 1; }
	if waitfor 60 sdmain; then
		sd=$(sdmain)
		ok "Linux's usb-storage found the main disk: $sd"
		[ -b "$sd" ] || mknod "$sd" b $(cat /sys/block/${sd#/dev/}/dev | tr ':' ' ')
		check "Linux writes $blocks blocks at LBA $LINUX_LBA (seed 0x11) and syncs" \
			usbscsid_test write "$sd" $LINUX_LBA $blocks 0x11 fsync
	else
		nok "Linux's usb-storage found the main disk"
		ls /sys/block
	fi
	for m in $(echo $mods | tr ' ' '\n' | sort -r); do
		rmmod "$(basename "$m" .ko | sed 's/^usb-linux-[0-9]*-//')" 2>>/tmp/us-linux.log
	done
	if [ -e /sys/bus/pci/devices/$ctrl0/driver ]; then
		nok "Linux's modules unloaded: the controllers free"
		cat /tmp/us-linux.log
	else
		ok "Linux's modules unloaded: the controllers free"
	fi
	linux=1
else
	echo "# $(uname -r): no Linux USB disk modules shipped: the Linux-written region is not checked here"
	linux=""
fi

mark "2. pcid, xhcid, one usbscsid per mass-storage port"
# ---- 2. pcid, xhcid, one usbscsid per mass-storage port ----
# The tree's configs: pcid.conf runs xhcid, xhcid.conf (its child-config)
# has pcid start usbscsid for each Bulk-Only interface xhcid reports, each
# as a uid of its own (user-range=65400-128), with the interface's handle
# and disk.usb.*: registered for it.
log=/tmp/us-pcid.log
conf=/bin/pcid.conf
usbscsid=usbscsid
# Where the VM has usbscsid's ASan build (the 6.1 VM), pcid runs that one:
# ASan checks every access, LeakSanitizer what is left at exit (reports in
# pcid's log, which the last check reads).
if [ -x /bin/usbscsid-asan ]; then
	usbscsid=usbscsid-asan
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	sed 's|driver=usbscsid |driver=usbscsid-asan |' /bin/xhcid.conf >/tmp/us-xhcid.conf
	sed 's|child-config=xhcid.conf|child-config=/tmp/us-xhcid.conf|' /bin/pcid.conf >/tmp/us-pcid.conf
	conf=/tmp/us-pcid.conf
	check "usbscsid under ASan+UBSan+LSan: pcid's rule for it names usbscsid-asan" \
		grep -q "driver=usbscsid-asan " /tmp/us-xhcid.conf
fi
pcid --foreground --config $conf 2>$log &
pcid=$!
for s in $s0 $s1; do
	if waitfor 60 served $s; then ok "xhcid serves $s:"; else nok "xhcid serves $s:"; cat $log; fi
done
# PORTs of ready 08/06/50 devices: 5 expected (4 on $s0, 1 on $s1)
msc_ports() { uscheme cat "$1:" 2>/dev/null | awk '$2 == "ready" && $5 == "08/06/50" { print $1 }'; }
five() { [ $(($(msc_ports $s0 | wc -l) + $(msc_ports $s1 | wc -l))) = 5 ]; }
check "5 mass-storage devices enumerated" waitfor 60 five
# start SCHEME PORT [usbscsid options]: usbscsid for that port by hand (root,
# then --user 65533), its log /tmp/us-SCHEME-PORT.log
start() {
	sch=$1 port=$2
	shift 2
	$usbscsid --user 65533 "$@" "$sch:$port" 2>>/tmp/us-$sch-$port.log &
	echo $! >/tmp/us-$sch-$port.pid
}
dname() { echo "disk.usb.${1#usb.}-$2"; }
# upid SCHEME PORT: the usbscsid pcid runs for that port (its environment names it)
upid() {
	for e in /proc/[0-9]*/environ; do
		p=${e#/proc/}; p=${p%/environ}
		case "$(cat /proc/$p/comm 2>/dev/null)" in usbscsid|usbscsid-asan) ;; *) continue ;; esac
		tr '\0' '\n' <"$e" 2>/dev/null | grep -qx "USB_PORT=$1:$2" && { echo "$p"; return 0; }
	done
	return 1
}
all=""
for p in $(msc_ports $s0); do all="$all $(dname $s0 $p)"; done
for p in $(msc_ports $s1); do all="$all $(dname $s1 $p)"; done
for d in $all; do
	if waitfor 60 served $d; then ok "usbscsid (started by pcid for xhcid) serves $d:"; else nok "usbscsid (started by pcid for xhcid) serves $d:"; cat $log; fi
done
# which disk is which, from the listings
main="" d4k="" bot="" ro="" big=""
lsnow() { uscheme cat "$1:" 2>/dev/null; }
ready_all() { for d in $all; do lsnow $d | grep -q . || return 1; done; }
waitfor 60 ready_all
for d in $all; do
	l=$(lsnow $d)
	echo "# $d: $(echo $l)"
	case "$l" in
	"0 134217728 512 rw") main=$d ;;
	"0 "*" 4096 rw") d4k=$d ;;
	*" ro") ro=$d ;;
	"0 "*" 512 rw"*"1 "*) bot=$d ;;
	"0 3"[0-9]*" 512 rw") big=$d ;;
	esac
done
if [ -n "$main" ] && [ -n "$d4k" ] && [ -n "$bot" ] && [ -n "$ro" ] && [ -n "$big" ]; then
	ok "the disks: main $main, 4096-byte $d4k, two LUNs $bot, read-only $ro, over 2 TiB (USB2) $big"
else
	nok "the disks: main '$main', 4096-byte '$d4k', two LUNs '$bot', read-only '$ro', over 2 TiB '$big'"
fi
case "$big" in disk.usb.0000-00-05.0-*) ok "the disk over 2 TiB is on the USB2-only controller" ;; *) nok "the disk over 2 TiB is on the USB2-only controller ($big)" ;; esac
rm -f /tmp/us-uids
for p in $(msc_ports $s0); do echo "$s0 $p"; done >/tmp/us-ports
for p in $(msc_ports $s1); do echo "$s1 $p"; done >>/tmp/us-ports
while read -r sch p; do
	u=$(upid $sch $p)
	check "usbscsid for $sch:$p (pid $u): a uid and gid of its own from xhcid.conf's user-range 65400-128, no capabilities, no_new_privs, its interface handle" sh -c \
		"test -n '$u' && awk '/^Uid:/ { u = \$2; ok = \$2 >= 65400 && \$2 <= 65527 && \$3 == u && \$4 == u && \$5 == u }
			/^Gid:/ { g = \$2 == u && \$3 == u && \$4 == u && \$5 == u } END { exit !(ok && g) }' /proc/$u/status &&
		 grep -q '^CapEff:.0000000000000000' /proc/$u/status &&
		 grep -q '^NoNewPrivs:.1' /proc/$u/status &&
		 tr '\\0' '\\n' </proc/$u/environ | grep -qx USB_INTERFACE=0"
	awk '/^Uid:/ { print $2 }' /proc/$u/status >>/tmp/us-uids
done </tmp/us-ports
# An attack: every usbscsid ran as 65532, so one compromised by its disk
# could signal (or trace) the others and take their disks' handles.
nu=$(wc -l </tmp/us-ports)
if [ "$nu" -ge 2 ] && [ "$(sort -u /tmp/us-uids | wc -l)" = "$nu" ]; then
	ok "$nu usbscsids (on two controllers): each a uid of its own ($(echo $(cat /tmp/us-uids)))"
else
	nok "$nu usbscsids (on two controllers): each a uid of its own ($(echo $(cat /tmp/us-uids)))"
fi
logmatch $log "pcid: $ctrl0: port 1 interface 0: started class driver usbscsid(-asan)? \\(pid [0-9]+, uid 65[45][0-9][0-9], gid 65[45][0-9][0-9]\\) with $s0:1/if0, scheme $main"
logmatch $log "usbscsid: $main: LUN 0: QEMU QEMU HARDDISK .*: 262144 blocks of 512 bytes \\(128 MiB\\), writable"
logmatch $log "usbscsid: $bot: serving .*, 2 LUNs"
logmatch $log "usbscsid: $ro: LUN 0: .*read-only"

mark "3. the contract, 32 in flight"
# ---- 3. the contract, 32 in flight ----
q=""
[ "${US_QUICK:-}" = 1 ] && q=--quick
usbscsid_test $q --main $main:0 --4k $d4k:0 --lun0 $bot:0 --lun1 $bot:1 --ro $ro:0 --big $big:0
rc=$?
echo "# suite usbscsid"
if [ $rc = 0 ]; then ok "usbscsid_test passed"; else nok "usbscsid_test passed (exit $rc)"; fi
check "uscheme cat $main: lists LUN 0" sh -c "uscheme cat $main: | grep -qx '0 134217728 512 rw'"
check "uscheme cat $main:0 reads the disk (first 64 KiB)" sh -c "uscheme cat $main:0 | head -c 65536 | wc -c | grep -qx 65536"

mark "4. the data"
# ---- 4. the data ----
if [ -n "$linux" ]; then
	check "the $blocks blocks Linux wrote read back through $main:0" \
		usbscsid_test verify $main:0 $LINUX_LBA $blocks 0x11
fi
check "write $blocks blocks at LBA $US_LBA through $main:0 (seed 0x22), FSYNC" \
	usbscsid_test write $main:0 $US_LBA $blocks 0x22 fsync
check "and read them back" usbscsid_test verify $main:0 $US_LBA $blocks 0x22

mark "5a. a STALL on the data stage: Reset Recovery"
# ---- 5a. a STALL on the data stage: Reset Recovery ----
p4k=${d4k##*-}
u=$(upid $s0 $p4k)
kill -TERM "$u"
check "usbscsid for $d4k (pid $u) stops on SIGTERM (status 0: pcid does not restart it)" waitfor 10 gone "$u"
notserved() { ! served $1; }
waitfor 10 notserved $d4k
start $s0 $p4k --inject-stall 2
check "usbscsid --inject-stall 2 serves $d4k" waitfor 30 served $d4k
check "writes through stalls: 600 blocks of 4096 bytes (every 2nd WRITE stalled)" \
	usbscsid_test write $d4k:0 100 600 0x4098 fsync
check "every block reads back" usbscsid_test verify $d4k:0 100 600 0x4098
l4k=/tmp/us-$s0-$p4k.log
logmatch $l4k "usbscsid: $d4k: injecting a data stage longer than the CBW says"
logmatch $l4k "usbscsid: $d4k: command 2a .* attempt 1 failed: .*: Reset Recovery"
if grep -q "failed 3 times" $l4k; then nok "every stalled command recovered"; grep "failed 3 times" $l4k; else ok "every stalled command recovered"; fi

mark "5b. xhcid killed under load"
# ---- 5b. xhcid killed under load ----
xpid() {
	for e in /proc/[0-9]*/environ; do
		p=${e#/proc/}; p=${p%/environ}
		[ "$(cat /proc/$p/comm 2>/dev/null)" = xhcid ] || continue
		tr '\0' '\n' <"$e" 2>/dev/null | grep -qx "PCID_ADDRESS=$1" && { echo "$p"; return 0; }
	done
	return 1
}
x0=$(xpid $ctrl0)
pmain=${main##*-}
umain=$(upid $s0 $pmain)
usbscsid_test writer $main:0 180000 0x33 60 >/tmp/us-writer.out 2>&1 &
wpid=$!
sleep 2
kill -KILL "$x0"
check "the writer under load was not left hanging" waitfor 30 gone $wpid
if grep -qE "^writer: [0-9]+ ok, then (No such device|Broken pipe)" /tmp/us-writer.out; then
	ok "$(grep '^writer: [0-9]' /tmp/us-writer.out): a clear error"
else
	nok "the writer's requests failed with a clear error"
	cat /tmp/us-writer.out
fi
check "usbscsid for $main (pid $umain) exits when xhcid is gone" waitfor 30 gone $umain
logmatch $log "usbscsid: $main: .*(gone|Broken pipe|hung up)"
newx() { p=$(xpid $ctrl0) && [ "$p" != "$x0" ]; }
check "pcid restarts xhcid for $ctrl0" waitfor 60 newx
check "$s0: served again, the main disk ready" waitfor 60 sh -c "uscheme cat $s0: | grep -q '^$pmain ready'"
newu() { u=$(upid $s0 $pmain) && [ "$u" != "$umain" ]; }
check "pcid starts a new usbscsid for $main at the new xhcid's request" waitfor 60 newu
check "and it serves $main again" waitfor 60 served $main
check "the FSYNCed region reads back after the restart" usbscsid_test verify $main:0 $US_LBA $blocks 0x22
# the other usbscsids of $s0 lost their xhcid too: they must have exited
pid=$(cat /tmp/us-$s0-$p4k.pid)
check "the usbscsid started by hand for $d4k (pid $pid) exited with its xhcid" waitfor 30 gone $pid
logmatch $log "pcid: $ctrl0: port $p4k interface 0: started class driver usbscsid(-asan)? .*scheme $d4k" 30
mark "5c. the 4096-byte disk unplugged mid-write"
# ---- 5c. the 4096-byte disk unplugged mid-write ----
check "usbscsid serves $d4k again" waitfor 60 served $d4k
up=$(upid $s0 $p4k)
usbscsid_test writer $d4k:0 0 0x44 60 >/tmp/us-writer2.out 2>&1 &
wpid=$!
sleep 2
# QEMU's monitor: device_del (its answer can be slow to come back under a
# debug kernel; what counts is that the device goes)
xhcid_test --monitor-cmd "device_del us4k" >/tmp/us-mon.out 2>&1 || sed 's/^/# monitor: /' /tmp/us-mon.out
unplugged() { ! uscheme cat $s0: | grep -q "^$p4k ready"; }
check "monitor: device_del us4k: port $p4k of $s0 no longer lists a ready device" waitfor 30 unplugged
check "the writer was not left hanging" waitfor 30 gone $wpid
if grep -qE "^writer: [0-9]+ ok, then (No such device|Broken pipe|Input/output error)" /tmp/us-writer2.out; then
	ok "$(grep '^writer: [0-9]' /tmp/us-writer2.out): a clear error"
else
	nok "the writer's requests failed with a clear error on unplug"
	cat /tmp/us-writer2.out
fi
check "usbscsid for $d4k exits when its device is gone" waitfor 30 gone $up
check "and disk.* for it is no longer served" waitfor 10 notserved $d4k

mark "5d. a CBW whose direction disagrees with its data: port reset, a new usbscsid"
# ---- 5d. a CBW whose direction disagrees with its data: port reset ----
# QEMU's usb-storage stalls everything after such a CBW until a USB port
# reset: Reset Recovery fails each attempt, usbscsid answers -EIO, asks
# xhcid for a port reset (USB_CALL_PORT_RESET) and stops; xhcid enumerates
# the disk again and pcid starts a new usbscsid, which serves the data.
t5d=$(date +%s)
check "write 200 blocks at LBA 40000 through $main:0 (seed 0x55), FSYNC, before" \
	usbscsid_test write $main:0 40000 200 0x55 fsync
u=$(upid $s0 $pmain)
kill -TERM "$u"
check "usbscsid for $main (pid $u) stops on SIGTERM" waitfor 10 gone "$u"
waitfor 10 notserved $main
lmain=/tmp/us-$s0-$pmain.log
start $s0 $pmain --inject-dir 1
hp=$(cat /tmp/us-$s0-$pmain.pid)
check "usbscsid --inject-dir 1 serves $main" waitfor 30 served $main
usbscsid_test writer $main:0 50000 0x66 60 >/tmp/us-writer3.out 2>&1
if grep -qE "^writer: 0 ok, then Input/output error" /tmp/us-writer3.out; then
	ok "the WRITE whose CBW says data-in: $(grep '^writer: [0-9]' /tmp/us-writer3.out) (never success)"
else
	nok "the WRITE whose CBW says data-in fails -EIO"
	cat /tmp/us-writer3.out
fi
logmatch $lmain "usbscsid: $main: injecting a CBW saying data-in"
logmatch $lmain "usbscsid: $main: command 2a .*failed [0-9]+ times: -EIO"
logmatch $lmain "usbscsid: $main: Reset Recovery failed: port reset asked"
check "the usbscsid started by hand (pid $hp) stops after asking for the port reset" waitfor 30 gone $hp
logmatch $lmain "usbscsid: $main: stopping: .*\\(port reset\\)"
logmatch $log "xhcid: $ctrl0: port $pmain: port reset asked by its owner" 30
newu5() { u5=$(upid $s0 $pmain) && [ "$u5" != "$u" ]; }
check "pcid starts a new usbscsid for $main (the device enumerated again)" waitfor 60 newu5
check "and it serves $main again" waitfor 60 served $main
check "the 200 blocks written before the port reset read back" \
	usbscsid_test verify $main:0 40000 200 0x55
check "write 200 blocks at LBA 45000 after it (seed 0x77), FSYNC" \
	usbscsid_test write $main:0 45000 200 0x77 fsync
check "and they read back" usbscsid_test verify $main:0 45000 200 0x77
check "the FSYNCed region of step 4 reads back too" usbscsid_test verify $main:0 $US_LBA $blocks 0x22
echo "# 5d took $(($(date +%s) - t5d)) s"

mark "the end: stop usbscsid and pcid, FSYNCed data stays for the next boot"
# ---- the end: stop usbscsid and pcid, FSYNCed data stays for the next boot ----
kill -TERM $pcid
if waitfor 30 gone $pcid; then
	ok "pcid stops on SIGTERM, its drivers and class drivers with it"
else
	nok "pcid stops on SIGTERM, its drivers and class drivers with it"
	ps | sed 's/^/  ps: /'
	tail -n 40 $log | sed 's/^/  pcid.log: /'
fi
check "no driver outlives pcid (xhcid, usbscsid)" waitfor 10 sh -c '! pidof xhcid usbscsid usbscsid-asan'
if grep -qE "AddressSanitizer|LeakSanitizer|runtime error" /tmp/us-*.log $log; then
	nok "no sanitizer reports"; grep -E -A12 "Sanitizer|runtime error" /tmp/us-*.log $log | head -n 60
elif [ "$usbscsid" = usbscsid-asan ]; then
	ok "no sanitizer reports from usbscsid-asan (every instance of the suite, LeakSanitizer at each exit)"
fi
for f in /tmp/us-usb*.log; do sed "s|^|# $(basename $f .log): |" $f | head -n 40; done
grep -E "usbscsid" $log | sed 's/^/# pcid.log: /' | head -n 60
echo "# usbscsid suite took $(($(date +%s) - t0)) s"
echo "1..$n"
