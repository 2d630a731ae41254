#!/bin/busybox sh
# PID 1 of the test VM. Markers on the console start with "USCHEME-VM:".
# Those printed once test code may have run end with " [TOKEN]": TOKEN is a
# random string that run-vm.sh put in /vm-token (and keeps as OUTDIR/vm-token)
# and that this script deletes before anything else runs, so a test program
# cannot print a marker that the harness (tests/lib/harness.sh) believes.
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
token=$(cat /vm-token 2>/dev/null)
rm -f /vm-token
mark() { echo "USCHEME-VM: $* [$token]"; }
# jiffies now (kmemleak reports when each object was allocated in jiffies)
jiffies() { awk '/^jiffies: / { print $2; exit }' /proc/timer_list 2>/dev/null; }

leaks=/sys/kernel/debug/kmemleak
if [ -e "$leaks" ]; then
	# Forget whatever boot left behind: only what follows counts (objects
	# younger than 5 s are not reported yet; kmemleak.awk sets them apart
	# by their allocation time).
	echo scan >"$leaks"
	echo clear >"$leaks"
fi

# kmemleak_check SINCE [planted]: scan, then sort the report (kmemleak.awk)
# into objects allocated before jiffies SINCE, planted ones (module/testing.c;
# only when "planted" is given, else they count as real) and real ones; /tmp/kmemleak.out gets what to print. Sets kml_real and
# kml_planted; fails when kmemleak could not scan or be read. debugfs files
# have size 0 whatever they hold: only their content tells.
kmemleak_check() {
	kml_real=? kml_planted=?
	# Objects must be older than 5 s before kmemleak reports them.
	sleep 6
	echo scan >"$leaks" && echo scan >"$leaks" && cat "$leaks" >/tmp/kmemleak.txt ||
		return 1
	awk -v since="$1" -v planted="${2:+1}" -v counts=/tmp/kmemleak.counts \
		-f /kmemleak.awk /tmp/kmemleak.txt >/tmp/kmemleak.out || return 1
	read -r kml_real kml_planted kml_before </tmp/kmemleak.counts || return 1
	[ -n "$kml_planted" ]
}

echo "USCHEME-VM: booted $(uname -r)"
t_insmod=$(jiffies)
if insmod /uscheme.ko; then
	echo "USCHEME-VM: insmod ok"
else
	echo "USCHEME-VM: insmod failed"
fi
# The test script writes its results to /dev/ttyS1.
sh /test.sh
mark "script exit $?"
# What holds the module: its use count, and every process with a uscheme
# file open (/dev/uscheme, rings, handles, device sessions).
holders() {
	echo "uscheme use count: $(awk '$1 == "uscheme" { print $3 }' /proc/modules)"
	for d in /proc/[0-9]*; do
		f=$(ls -l "$d/fd" 2>/dev/null | grep -E 'uscheme' | wc -l)
		[ "$f" -gt 0 ] && echo "pid ${d#/proc/} ($(cat "$d/comm" 2>/dev/null), $(awk '/^State:/ { print $2 }' "$d/status" 2>/dev/null)): $f uscheme files"
	done
}
if rmmod uscheme 2>/dev/null; then
	mark "rmmod ok"
else
	# A test's last process may still be exiting (its parent saw it go,
	# its files are released a moment later): try again for up to 5 s. A
	# reference nobody drops (a leaked ring or request) still fails.
	holders | sed 's/^/USCHEME-VM: rmmod busy: /'
	i=0
	while [ $i -lt 10 ] && ! rmmod uscheme 2>/dev/null; do
		sleep 0.5
		i=$((i + 1))
	done
	if [ $i -lt 10 ]; then
		echo "USCHEME-VM: rmmod succeeded after $((i * 5 / 10)).$((i * 5 % 10)) s"
		mark "rmmod ok"
	else
		holders | sed 's/^/USCHEME-VM: rmmod still busy: /'
		rmmod uscheme
		mark "rmmod failed"
	fi
fi
if [ -e "$leaks" ]; then
	if ! kmemleak_check "$t_insmod"; then
		mark "kmemleak failed: could not scan or read $leaks"
	elif [ "$kml_real" = 0 ]; then
		cat /tmp/kmemleak.out
		mark "kmemleak clean"
	else
		mark "kmemleak report follows ($kml_real objects)"
		cat /tmp/kmemleak.out
		mark "kmemleak report ends"
	fi
	# The check must be able to fail: with the test hook built in
	# (module/testing.c) and asked for (run-vm.sh --plant-leak), leak on
	# purpose once the real verdict above was taken, and expect kmemleak to
	# report it. What was reported above is cleared first; any other object
	# reported now is printed as a real leak.
	if [ -e /plant-leak ]; then
		echo clear >"$leaks"
		mark "kmemleak planted leak: start"
		t_plant=$(jiffies)
		if ! insmod /uscheme.ko; then
			mark "kmemleak planted leak NOT caught: insmod failed"
		elif ! sh -c 'echo 16 >/sys/module/uscheme/parameters/test_plant_leak'; then
			mark "kmemleak planted leak NOT caught: no test hook (build with USCHEME_TEST_HOOKS=y)"
			rmmod uscheme
		else
			rmmod uscheme || mark "kmemleak planted leak: rmmod failed"
			if ! kmemleak_check "$t_plant" planted; then
				mark "kmemleak planted leak NOT caught: could not scan or read $leaks"
			else
				[ "$kml_real" = 0 ] ||
					mark "kmemleak report follows ($kml_real objects, not planted)"
				cat /tmp/kmemleak.out
				if [ "$kml_planted" -gt 0 ]; then
					mark "kmemleak planted leak caught ($kml_planted objects)"
				else
					mark "kmemleak planted leak NOT caught"
				fi
			fi
		fi
	fi
fi
mark "done"
poweroff -f
sleep 5
reboot -f
