#!/bin/sh
# Guest side of make bench-disk (tests/run-disk-bench.sh boots the VM: four
# qemu-xhci controllers, 04.0 and 06.0 for uscheme, 05.0 and 07.0 for
# Linux; a usb-storage disk on a USB3 port of 04.0 and 05.0, one on the
# USB2-only (p3=0) 06.0 and 07.0, and a usb-uas with a scsi-hd on 05.0's
# second port; /bin has diskbench, pcid, pcid.conf, xhcid, xhcid.conf,
# usbscsid, uscheme and Linux's modules disk-linux-NN-NAME.ko in load order).
#   disk-bench-guest.sh SECS REPS REPS_OTHER [perf]
# Sets up both stacks side by side in this one boot (pcid sees only 04.0
# and 06.0 through a sysfs view of its own; Linux's xhci-pci takes the
# rest), then runs every cell: for each repetition, for each workload, each
# path in turn (Linux, the disk scheme by ring, by handle fd, the bridge's
# /dev/ublkbN), so the stacks alternate. USB3 gets REPS repetitions, the
# USB2 and UAS rows REPS_OTHER. Each cell is one diskbench run of SECS
# seconds. Prints "disk-bench: cell I/N ..." before each cell (progress),
# diskbench's result lines, "disk-bench: done" at the end, or
# "disk-bench: FAILED: why". With "perf" (and /bin/perf), after the cells:
# a 4 KiB random read at depth 1 on Linux's sd and on the scheme ring under
# "perf record -a -g" (cpu-clock sampling), and where the samples fell
# (by process and object, by symbol, and the callers of the largest).
secs=${1:-2}
reps=${2:-3}
reps2=${3:-1}
perf=${4:-}
fail() { echo "disk-bench: FAILED: $*"; exit 1; }
say() { echo "disk-bench: $*"; }
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
say "kernel $(uname -r), $(grep -c ^processor /proc/cpuinfo) vCPU(s), $secs s a cell," \
	"$reps repetitions (USB3), $reps2 (USB2, UAS)"

# ---- uscheme: pcid with a sysfs view holding only 04.0 and 06.0 ----
v=/tmp/pcisys/bus/pci
mkdir -p $v/devices
for a in 0000:00:04.0 0000:00:06.0; do
	[ -e /sys/bus/pci/devices/$a ] || fail "no PCI function $a"
	ln -s /sys/bus/pci/devices/$a $v/devices/$a
done
ln -s /sys/bus/pci/drivers $v/drivers
ln -s /sys/bus/pci/drivers_probe $v/drivers_probe
# Both drivers keep timing counters (--trace, bench/disktrace.h) in files
# made here, writable by their uids; diskbench reads them around a cell.
t=/tmp/dtrace
mkdir -p $t
chmod 0777 $t
for f in xhcid-0000:00:04.0 xhcid-0000:00:06.0 usbscsid-usb.0000-00-04.0:1 usbscsid-usb.0000-00-06.0:1; do
	truncate -s 4096 "$t/$f"
	chmod 0666 "$t/$f"
done
sed -e 's|args="{address}"|args="--trace /tmp/dtrace/xhcid-{address} {address}"|' \
	-e 's|child-config=xhcid.conf|child-config=/tmp/db-xhcid.conf|' /bin/pcid.conf >/tmp/db-pcid.conf
sed 's|args="{address}"|args="--trace /tmp/dtrace/usbscsid-{address} {address}"|' /bin/xhcid.conf \
	>/tmp/db-xhcid.conf
grep -q 'driver=xhcid args="--trace' /tmp/db-pcid.conf && grep -q 'driver=usbscsid args="--trace' \
	/tmp/db-xhcid.conf || fail "pcid.conf or xhcid.conf: no xhcid/usbscsid rule with args=\"{address}\""
served() { uscheme schemes 2>/dev/null | grep -q "^$1 "; }
pcid --foreground --sysfs /tmp/pcisys --config /tmp/db-pcid.conf 2>/tmp/db-pcid.log &
pcid=$!
d3=disk.usb.0000-00-04.0-1
d2=disk.usb.0000-00-06.0-1
for d in $d3 $d2; do
	waitfor 90 served $d || { cat /tmp/db-pcid.log; fail "$d: not served within 90 s"; }
done
say "uscheme: pcid (pid $pcid) runs xhcid on 04.0 and 06.0, usbscsid serves $d3: and $d2:"
uscheme cat "$d3:" | sed 's/^/disk-bench: uscheme:   usb3 LUN /'
uscheme cat "$d2:" | sed 's/^/disk-bench: uscheme:   usb2 LUN /'

# ---- Linux: its modules; xhci-pci takes 05.0 and 07.0 ----
for m in /bin/disk-linux-*.ko; do
	case "$m" in *-usb_storage.ko) arg=delay_use=0 ;; *) arg= ;; esac
	insmod "$m" $arg || fail "insmod $m"
done
nsd() { ls -d /sys/block/sd* 2>/dev/null | wc -l; }
three() { [ "$(nsd)" = 3 ]; }
waitfor 90 three || fail "Linux: $(nsd) SCSI disks within 90 s, want 3"
sleep 1
l3= l2= luas=
for b in /sys/block/sd*; do
	p=$(readlink -f "$b")
	n=${b##*/}
	case "$p" in
	*0000:00:07.0/*) l2=/dev/$n ;;
	*0000:00:05.0/*/[0-9]-1:1.0/*) l3=/dev/$n ;;
	*0000:00:05.0/*/[0-9]-2:1.0/*) luas=/dev/$n ;;
	esac
	drv=$(basename "$(readlink -f "$(echo "$p" | sed 's|\(/[0-9]-[0-9]:1\.0\)/.*|\1|')/driver")")
	say "linux: /dev/$n ($drv): $p"
done
[ -n "$l3" ] && [ -n "$l2" ] && [ -n "$luas" ] || fail "Linux: disks not all found (usb3 '$l3' usb2 '$l2' uas '$luas')"
for c in 04.0 05.0 06.0 07.0; do
	say "driver of 0000:00:$c: $(basename "$(readlink /sys/bus/pci/devices/0000:00:$c/driver)")"
done
dmesg | grep -E 'SuperSpeed|high-speed|uas|usb-storage 1' | sed 's/^/disk-bench: dmesg: /'

# ---- the bridge: usbscsid's USB3 disk as /dev/ublkbN ----
ublk=$(timeout 60 uscheme blk attach "$d3:0" 2>/tmp/db-blk.err) || { cat /tmp/db-blk.err; fail "uscheme blk attach $d3:0"; }
[ -b "$ublk" ] || fail "uscheme blk attach $d3:0 gave '$ublk', no block device"
say "bridge: $d3:0 is $ublk"
# the USB3 side's processes, for their CPU time per cell
x3=$(uscheme cat pci:0000:00:04.0/status 2>/dev/null | sed -n 's/^pid //p')
s3=
for p in $(pidof usbscsid); do
	tr '\0' ' ' <"/proc/$p/cmdline" | grep -q '0000-00-04\.0' && s3=$p
done
b3=$(pidof blkbridge)
[ -n "$x3" ] && [ -n "$s3" ] && [ -n "$b3" ] || say "not all pids found: xhcid '$x3' usbscsid '$s3' blkbridge '$b3'"
say "processes: xhcid $x3, usbscsid $s3, blkbridge $b3 (USB3 side)"
# ticks PID: its utime and stime so far, in clock ticks
ticks() { if [ -n "$1" ] && [ -r "/proc/$1/stat" ]; then sed 's/.*) //' "/proc/$1/stat" | awk '{ print $12, $13 }'; else echo 0 0; fi; }

# ---- the cells ----
# workloads: NAME RW PATTERN BS QD
W="seqread64k read seq 64K 1
seqread1m read seq 1M 1
seqwrite64k write seq 64K 1
seqwrite1m write seq 1M 1
randread4k read rand 4K 1
randread4k-qd16 read rand 4K 16
randwrite4k write rand 4K 1
randwrite4k-qd16 write rand 4K 16"
# paths: BUS.PATH IO TARGET (one line each), and their repetitions
tr3="--trace $t/xhcid-0000:00:04.0 --trace $t/usbscsid-usb.0000-00-04.0:1"
tr2="--trace $t/xhcid-0000:00:06.0 --trace $t/usbscsid-usb.0000-00-06.0:1"
P3="usb3.linux blk $l3
usb3.ring ring $d3:0 $tr3
usb3.fd fd $d3:0 $tr3
usb3.ublk blk $ublk $tr3"
P2="usb2.linux blk $l2
usb2.ring ring $d2:0 $tr2
uas.linux blk $luas"
nw=$(echo "$W" | wc -l)
total=$((reps * nw * 4 - reps * 2 + reps2 * nw * 3))
say "cells: $total"
i=0
t0=$(date +%s)
cells() {	# cells REPS PATHS
	r=1
	while [ $r -le "$1" ]; do
		echo "$W" | while read -r w rw pat bs qd; do
			echo "$2" | while read -r name io target trace; do
				[ "$io" = fd ] && [ "$qd" != 1 ] && continue
				i=$(cat /tmp/db-i)
				i=$((i + 1))
				echo $i >/tmp/db-i
				say "cell $i/$total: $name $w rep $r ($(($(date +%s) - t0)) s)"
				a0="$(ticks $x3) $(ticks $s3) $(ticks $b3)"
				diskbench "$io" "$target" --rw "$rw" --pattern "$pat" --bs "$bs" --qd "$qd" \
					--secs "$secs" --label "$name.$w.$r" $trace 2>&1 ||
					say "cell $name.$w.$r: diskbench failed"
				# xhcid, usbscsid and blkbridge (USB3): user and system ticks in the cell
				echo "$a0 $(ticks $x3) $(ticks $s3) $(ticks $b3)" | awk -v l="$name.$w.$r" '{
					printf "disk-bench: procs label=%s xhcid_user=%d xhcid_sys=%d usbscsid_user=%d" \
						" usbscsid_sys=%d blkbridge_user=%d blkbridge_sys=%d\n", l, $7 - $1, $8 - $2,
						$9 - $3, $10 - $4, $11 - $5, $12 - $6 }'
			done
		done
		r=$((r + 1))
	done
}
echo 0 >/tmp/db-i
cells "$reps" "$P3"
cells "$reps2" "$P2"
say "cells took $(($(date +%s) - t0)) s"

if [ "$perf" = perf ] && [ -x /bin/perf ]; then
	echo -1 >/proc/sys/kernel/perf_event_paranoid
	echo 0 >/proc/sys/kernel/kptr_restrict
	for c in "linux blk $l3" "ring ring $d3:0"; do
		set -- $c
		perf record -q -a -g -F 997 -o /tmp/perf.data -- diskbench "$2" "$3" --pattern rand \
			--secs 4 --label "perf.$1" >/tmp/perf.out 2>&1 || { cat /tmp/perf.out; continue; }
		grep '^diskbench: result' /tmp/perf.out | sed 's/^/disk-bench: perf: /'
		say "perf: $1, 4 KiB random reads: samples by process and object (over 2 %):"
		perf report -i /tmp/perf.data --stdio --no-children --sort comm,dso --percent-limit 2 -g none 2>/dev/null |
			grep -vE '^(#|$)' | head -n 20 | sed 's/^/disk-bench: perf:   /'
		say "perf: $1: by symbol (over 1 %):"
		perf report -i /tmp/perf.data --stdio --no-children --sort comm,sym --percent-limit 1 -g none \
			2>/dev/null | grep -vE '^(#|$)' | head -n 40 | sed 's/^/disk-bench: perf:   /'
		say "perf: $1: the callers of the symbols over 4 % (kernel stacks, 3 % of samples and up):"
		perf report -i /tmp/perf.data --stdio --no-children --sort comm,sym --percent-limit 4 \
			-g caller,3,callee,function,percent --max-stack 10 2>/dev/null | grep -vE '^(#|$)' |
			head -n 150 | sed 's/^/disk-bench: perf:   /'
	done
fi

uscheme blk detach "$ublk" || say "uscheme blk detach $ublk failed"
kill -TERM $pcid
wait $pcid
if grep -qE '(xhcid|usbscsid).*(error|timed out|failed)' /tmp/db-pcid.log; then
	say "pcid's log has errors:"
	grep -E '(xhcid|usbscsid).*(error|timed out|failed)' /tmp/db-pcid.log | sed 's/^/disk-bench: log: /'
fi
say done
