#!/bin/busybox sh
# PID 1 of the test VM. Markers on the console start with "USCHEME-VM:".
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
export PATH=/bin:/sbin:/usr/bin:/usr/sbin

leaks=/sys/kernel/debug/kmemleak
if [ -e "$leaks" ]; then
	# Forget whatever boot left behind: only what follows counts.
	echo scan >"$leaks"
	echo clear >"$leaks"
fi

echo "USCHEME-VM: booted $(uname -r)"
if insmod /uscheme.ko; then
	echo "USCHEME-VM: insmod ok"
else
	echo "USCHEME-VM: insmod failed"
fi
# The test script writes its results to /dev/ttyS1.
sh /test.sh
echo "USCHEME-VM: script exit $?"
if rmmod uscheme; then
	echo "USCHEME-VM: rmmod ok"
else
	echo "USCHEME-VM: rmmod failed"
fi
if [ -e "$leaks" ]; then
	# Objects must be older than 5 s before kmemleak reports them.
	sleep 6
	echo scan >"$leaks"
	echo scan >"$leaks"
	if [ -s "$leaks" ]; then
		echo "USCHEME-VM: kmemleak report follows"
		cat "$leaks"
	else
		echo "USCHEME-VM: kmemleak clean"
	fi
fi
echo "USCHEME-VM: done"
poweroff -f
sleep 5
reboot -f
