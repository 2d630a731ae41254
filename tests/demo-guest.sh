#!/bin/sh
# Guest side of the main job: the ring, then a scheme daemon and its clients.
{
	echo "\$ ls -l /dev/uscheme"; ls -l /dev/uscheme
	echo "\$ uscheme features"; uscheme features
	echo "\$ uscheme nop 100000 1"; uscheme nop 100000 1
	echo "\$ uscheme nop 100000 64"; uscheme nop 100000 64 &&
	echo "\$ ramd &     (the ram: scheme daemon: a RAM-backed file tree)" &&
	{ ramd & } &&
	i=0 && until uscheme cat sys:schemes 2>/dev/null | grep -q '^ram '; do
		i=$((i + 1)); [ $i -gt 100 ] && break; sleep 0.1; done &&
	echo "\$ uscheme schemes" && uscheme schemes &&
	echo "\$ echo 'hello through ram:' | uscheme write ram:/greeting" &&
	echo 'hello through ram:' | uscheme write ram:/greeting &&
	echo "\$ uscheme cat ram:/greeting" && uscheme cat ram:/greeting &&
	echo "\$ uscheme ls ram:/" && uscheme ls ram:/ &&
	echo "\$ uscheme stat ram:/greeting" && uscheme stat ram:/greeting &&
	echo "\$ uscheme cat ram:/nothing-here" &&
	{ uscheme cat ram:/nothing-here; echo "(exit $?)"; } &&
	echo "\$ uscheme stats" && uscheme stats &&
	echo "\$ kill %ramd; uscheme cat ram:/greeting" &&
	{ kill "$(pidof ramd)"; sleep 0.5; uscheme cat ram:/greeting; echo "(exit $?)"; } &&
	echo "\$ cat /sys/class/misc/uscheme/rings  (live rings after everything exited)" &&
	cat /sys/class/misc/uscheme/rings &&
	echo &&
	echo "== the PCI daemon and the emulated xHCI controller" &&
	sh /bin/pcid-demo-guest.sh &&
	echo &&
	echo "== USB: xhcid, the xHCI driver pcid runs, serving usb.0000-00-04.0:" &&
	sh /bin/usb-demo-guest.sh &&
	echo "\$ cat /sys/class/misc/uscheme/rings" && cat /sys/class/misc/uscheme/rings &&
	echo "demo: ok"
} >/dev/ttyS1 2>&1
