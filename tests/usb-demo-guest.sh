#!/bin/sh
# Guest side of the main job's USB part (the VM booted with a qemu-xhci at
# 00:04.0 holding a usb-storage disk and a usb-kbd; /bin has pcid, xhcid,
# pcid.conf, uscheme): pcid with the tree's default config runs xhcid for
# the controller, unprivileged, with the scheme usb.0000-00-04.0 it
# registered for it; xhcid brings the controller up, enumerates both
# devices and serves them; uscheme lists them; xhcid is killed and pcid
# restarts it, and it enumerates again; usbscsid (which pcid starts at
# xhcid's request) serves the disk as disk.usb.0000-00-04.0-1: and a file's
# worth of data is written through it, read back and shown both ways; pcid
# stops (usbscsid with it). Writes to stdout; ends
# with "usb-demo: ok" when everything happened.
wait_for() {	# wait_for SECONDS CMD...
	t=$(($1 * 10))
	shift
	i=0
	until "$@" >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -gt $t ] && return 1
		sleep 0.1
	done
}
x=0000:00:04.0
s=usb.0000-00-04.0
ready() { uscheme cat "$s:" 2>/dev/null | grep -c ' ready ' | grep -qx "$1"; }
xpid() { uscheme cat "pci:$x/status" 2>/dev/null | sed -n 's/^pid //p'; }
restarted() { p=$(xpid); [ -n "$p" ] && [ "$p" != "$1" ] && [ "$p" != 0 ]; }
served() { uscheme schemes 2>/dev/null | grep -q "^$1 "; }
gone() { ! kill -0 "$1" 2>/dev/null; }
echo "\$ grep ^match /bin/pcid.conf     (the default config: xHCI controllers get xhcid)"
grep '^match' /bin/pcid.conf
echo "\$ pcid --foreground 2>/tmp/pcid.log &"
pcid --foreground 2>/tmp/pcid.log &
pcid=$!
wait_for 30 ready 2 &&
echo "\$ cat /tmp/pcid.log     (pcid's and xhcid's logs: bring-up, enumeration)" &&
cat /tmp/pcid.log &&
echo "\$ ps -o pid,user,args | grep xhcid" &&
ps -o pid,user,args | grep '[x]hcid' &&
echo "\$ uscheme schemes" && uscheme schemes &&
echo "\$ uscheme ls $s:     (PORT STATE SPEED VENDOR:PRODUCT CLASS)" &&
uscheme ls "$s:" &&
echo "\$ uscheme lsusb" && uscheme lsusb &&
echo "\$ uscheme cat $s:1 | od -An -tx1 | head -2     (the disk's descriptors, raw)" &&
uscheme cat "$s:1" | od -An -tx1 | head -2 &&
p=$(xpid) &&
echo "\$ kill -KILL $p     (xhcid; pcid restarts it, it enumerates again)" &&
kill -KILL "$p" &&
wait_for 30 restarted "$p" &&
wait_for 30 ready 2 &&
echo "\$ grep -E 'killed|started driver|port [0-9]+: ready' /tmp/pcid.log | tail -4" &&
grep -E 'killed|started driver|port [0-9]+: ready' /tmp/pcid.log | tail -n 4 &&
echo "\$ uscheme ls $s:" && uscheme ls "$s:" &&
d=disk.usb.0000-00-04.0-1 &&
wait_for 30 served "$d" &&
echo "\$ grep usbscsid /tmp/pcid.log     (xhcid asked pcid for the disk's class driver: usbscsid, a uid of its own (65400..), $d: registered for it)" &&
grep usbscsid /tmp/pcid.log &&
echo "\$ ps -o pid,user,args | grep usbscsid" && ps -o pid,user,args | grep '[u]sbscsid' &&
echo "\$ uscheme cat $d:     (LUN SIZE_BYTES BLOCK_SIZE rw|ro)" && uscheme cat "$d:" &&
echo "\$ uscheme stat $d:0" && uscheme stat "$d:0" &&
echo "\$ (echo 'written through disk.*: by usbscsid'; head -c 65536 /bin/uscheme) | head -c 65536 >/tmp/file     (a file's worth: 64 KiB)" &&
(echo 'written through disk.*: by usbscsid'; head -c 65536 /bin/uscheme) | head -c 65536 >/tmp/file &&
echo "\$ uscheme write $d:0 </tmp/file     (its first 128 blocks)" &&
uscheme write "$d:0" </tmp/file &&
echo "\$ uscheme cat $d:0 | head -c 65536 >/tmp/back" &&
{ uscheme cat "$d:0" | head -c 65536 >/tmp/back; true; } &&
echo "\$ od -An -c /tmp/file | head -3     (what was written)" && od -An -c /tmp/file | head -n 3 &&
echo "\$ od -An -c /tmp/back | head -3     (what the disk gives back)" && od -An -c /tmp/back | head -n 3 &&
echo "\$ cmp /tmp/file /tmp/back && echo the same 65536 bytes" &&
cmp /tmp/file /tmp/back && echo "the same 65536 bytes" &&
echo &&
echo "== The USB disk as a Linux block device: blkbridge on $d:0 (usbscsid's disk)" &&
sh /bin/blk-demo-guest.sh "$d:0" &&
echo &&
echo "\$ kill %pcid     (SIGTERM: xhcid stops, the controller is given back)" &&
kill -TERM "$pcid" &&
wait "$pcid" &&
tail -n 3 /tmp/pcid.log &&
echo "usb-demo: ok"
