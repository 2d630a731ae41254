#!/bin/sh
# Guest side of make bench-usb (tests/run-usb-bench.sh boots the VM: a
# qemu-xhci at 00:04.0 with one usb-storage disk on its first port, USB3,
# holding usbbench's pattern; /bin has usbbench, pcid, pcid.conf, xhcid,
# uscheme and Linux's modules usb-linux-NN-NAME.ko in load order).
#   usb-bench-guest.sh OPS4K OPS1M DISK_MIB ROUNDS
# Each round, in this one boot:
#   1. Linux's own stack: insmod the modules (usb-storage with delay_use=0),
#      wait for the disk (/dev/sdX, the only SCSI disk), usbbench blk, then
#      rmmod them all in reverse order: the controller is free again;
#   2. pcid with the default config, xhcid with a class-driver config
#      without rules (as xhcid-suite.sh runs it: no usbscsid holds the
#      disk's port), usbbench usb through a ring (one transfer per enter;
#      then CBW and data in one enter), then with read/write; pcid stopped.
# Prints usbbench's lines, "usb-bench: stat STACK key=value..." lines
# (interrupts, xhcid's context switches and CPU time per command), which
# run-usb-bench.sh makes the table of, and "usb-bench: done" at the end, or
# "usb-bench: FAILED: why".
ops4k=${1:-5000}
ops1m=${2:-256}
mib=${3:-64}
rounds=${4:-3}
ctrl=0000:00:04.0
scheme=usb.0000-00-04.0
fail() { echo "usb-bench: FAILED: $*"; exit 1; }
waitfor() {	# waitfor SECONDS CMD...
	wt=$(($1 * 10))
	shift
	wi=0
	until "$@" >/dev/null 2>&1; do
		wi=$((wi + 1))
		[ $wi -ge $wt ] && return 1
		sleep 0.1
	done
}
driver_of() {
	d=/sys/bus/pci/devices/$ctrl/driver
	if [ -e $d ]; then basename "$(readlink $d)"; else echo -; fi
}
# irqs NAME: interrupts so far of the handlers named NAME (/proc/interrupts)
irqs() { awk -v n="$1" '$NF == n { for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) t += $i } END { print t + 0 }' /proc/interrupts; }
# ctxsw PID: its context switches so far
ctxsw() { awk '/^(non)?voluntary_ctxt_switches:/ { s += $2 } END { print s + 0 }' "/proc/$1/status"; }
# cpu PID: its utime + stime in clock ticks (fields 14 and 15 of stat; USER_HZ 100)
cpu() { sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'; }
# per N DELTA: DELTA / N with two decimals
per() { awk -v n="$1" -v d="$2" 'BEGIN { printf "%.2f", d / n }'; }
# commands per usbbench run: the whole-disk pass (1 MiB each), the three workloads
ncmd=$((mib + 2 * ops4k + ops1m))
echo "usb-bench: kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) vCPU(s)," \
	"$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource) clocksource, $rounds rounds"
[ "$(driver_of)" = - ] || fail "$ctrl has a driver already: $(driver_of)"
mods=$(ls /bin/usb-linux-*.ko 2>/dev/null)
[ -n "$mods" ] || fail "no Linux modules shipped (/bin/usb-linux-*.ko)"
rev=""
for m in $mods; do rev="$m $rev"; done
# The default pcid config, except that xhcid's class drivers (which pcid
# starts: child-config=) come from a file without rules, so that no class
# driver holds the disk's interface (as xhcid-suite.sh does it).
printf '# usb-bench-guest.sh: no class drivers\n' >/tmp/empty.conf
sed 's|child-config=xhcid.conf|child-config=/tmp/empty.conf|' /bin/pcid.conf >/tmp/ub-pcid.conf
grep -q 'driver=xhcid args="{address}" .*child-config=/tmp/empty.conf' /tmp/ub-pcid.conf ||
	fail "pcid.conf has no xhcid rule with args=\"{address}\" and child-config=xhcid.conf"
disks() { ls -d /sys/block/sd* 2>/dev/null; }
disk_ready() { uscheme cat "$scheme:" 2>/dev/null | grep -qE '^[0-9]+ ready super [0-9a-f:]+ 08/06/50$'; }

round=1
while [ $round -le $rounds ]; do
	echo "usb-bench: round $round of $rounds"

	# ---- 1. Linux: xhci-hcd, usb-storage, sd ----
	for m in $mods; do
		case "$m" in *-usb_storage.ko) arg=delay_use=0 ;; *) arg= ;; esac
		insmod "$m" $arg || fail "insmod $m"
	done
	[ $round = 1 ] && echo "usb-bench: linux: insmod $(echo $mods | wc -w) modules:" \
		"$(for m in $mods; do n=${m##*/usb-linux-??-}; printf '%s ' "${n%.ko}"; done)"
	waitfor 60 disks || fail "no /sys/block/sd* within 60 s"
	sleep 1
	[ "$(disks | wc -l)" = 1 ] || fail "more than one SCSI disk: $(disks)"
	name=$(basename "$(disks)")
	waitfor 10 test -b "/dev/$name" || fail "/dev/$name never appeared"
	if [ $round = 1 ]; then
		dmesg | grep -E 'SuperSpeed|usb-storage|\[sd[a-z]\]|scsi host' | sed 's/^/usb-bench: linux: dmesg: /'
		echo "usb-bench: linux: driver of $ctrl: $(driver_of); disk /dev/$name"
	fi
	i0=$(irqs xhci_hcd)
	usbbench blk "/dev/$name" --ops4k "$ops4k" --ops1m "$ops1m" || fail "usbbench blk /dev/$name"
	echo "usb-bench: stat linux irq_per_cmd=$(per $ncmd $(($(irqs xhci_hcd) - i0))) cmds=$ncmd"
	for m in $rev; do
		n=${m##*/usb-linux-??-}
		rmmod "${n%.ko}" || fail "rmmod ${n%.ko}"
	done
	[ "$(driver_of)" = - ] || fail "$ctrl still has a driver after rmmod: $(driver_of)"
	echo "usb-bench: linux: rmmod'ed all, $ctrl is free"

	# ---- 2. xhcid under pcid, usb.0000-00-04.0: ----
	pcid --foreground --config /tmp/ub-pcid.conf 2>/tmp/ub-pcid.log &
	pcid=$!
	if ! waitfor 60 disk_ready; then
		cat /tmp/ub-pcid.log
		fail "$scheme: no disk ready at super speed within 60 s"
	fi
	xpid=$(uscheme cat "pci:$ctrl/status" 2>/dev/null | sed -n 's/^pid //p')
	[ -n "$xpid" ] && [ -r "/proc/$xpid/stat" ] || fail "no xhcid pid for $ctrl (pci:$ctrl/status)"
	if [ $round = 1 ]; then
		echo "usb-bench: xhcid: pid $xpid, $(grep '^Uid:' /proc/$xpid/status | tr -s '\t ' ' '); $scheme: lists:"
		uscheme cat "$scheme:" | sed 's/^/usb-bench: xhcid:   /'
	fi
	for io in ring ring2 fd; do
		c0=$(cpu "$xpid")
		s0=$(ctxsw "$xpid")
		i0=$(irqs $ctrl)
		usbbench usb "$scheme" --io $io --ops4k "$ops4k" --ops1m "$ops1m" ||
			{ cat /tmp/ub-pcid.log; fail "usbbench usb $scheme --io $io"; }
		c1=$(cpu "$xpid")
		s1=$(ctxsw "$xpid")
		i1=$(irqs $ctrl)
		echo "usb-bench: stat xhcid-$io irq_per_cmd=$(per $ncmd $((i1 - i0)))" \
			"xhcid_ctxsw_per_cmd=$(per $ncmd $((s1 - s0)))" \
			"xhcid_cpu_us_per_cmd=$(awk -v c=$((c1 - c0)) -v n=$ncmd 'BEGIN { printf "%.0f", c * 1e4 / n }')" \
			"cmds=$ncmd"
	done
	kill -TERM $pcid
	wait $pcid
	rc=$?
	[ $rc = 0 ] || { cat /tmp/ub-pcid.log; fail "pcid exit $rc"; }
	if [ $round = 1 ]; then
		grep -E "xhcid: $ctrl: (xHCI|port [0-9]+: ready)" /tmp/ub-pcid.log | sed 's/^/usb-bench: log: /'
	fi
	if grep -qE 'xhcid: .*(error|timed out|failed)' /tmp/ub-pcid.log; then
		echo "usb-bench: round $round: xhcid logged errors:"
		grep -E 'xhcid: .*(error|timed out|failed)' /tmp/ub-pcid.log | sed 's/^/usb-bench: log: /'
	fi
	[ "$(driver_of)" = - ] || fail "$ctrl still has a driver after pcid stopped: $(driver_of)"
	round=$((round + 1))
done
echo "usb-bench: done"
