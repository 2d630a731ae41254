#!/bin/sh
# Guest side of the main job's PCI part (the VM booted with a qemu-xhci; /bin
# has pcid, pciprobe, uscheme): pcid finds the xHCI controller, binds it to
# uscheme's stub driver and spawns its driver (pciprobe, the example driver,
# from a config file of this demo's own: the tree's default runs xhcid),
# which maps BAR0 through its channel and prints the controller's capability
# registers; the driver is killed and restarted; pcid stops and gives the
# controller back. Writes to stdout; ends with "pcid-demo: ok" when
# everything happened.
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
status() { uscheme cat "pci:$x/status" 2>/dev/null | sed -n "s/^$1 //p"; }
# running OLDPID: a driver other than OLDPID runs (one read of the status)
running() {
	st=$(uscheme cat "pci:$x/status" 2>/dev/null) &&
		echo "$st" | grep -qx 'state running' && ! echo "$st" | grep -qx "pid $1"
}
served() { uscheme schemes | grep -q '^pci '; }
x=""
for d in /sys/bus/pci/devices/*; do
	[ "$(cat "$d/class")" = 0x0c0330 ] && { x=${d##*/}; break; }
done
[ -n "$x" ] || { echo "pcid-demo: no xHCI controller in this VM"; exit 1; }
cat >/tmp/pcid-demo.conf <<EOF
match class=0c0330 driver=pciprobe args="--channel {channel} {address}" restart=on-failure max-restarts=5 backoff=1000
EOF
echo "\$ cat /tmp/pcid-demo.conf" && cat /tmp/pcid-demo.conf
echo "\$ pcid --foreground --config /tmp/pcid-demo.conf &     (the PCI daemon: class 0c0330 to pciprobe)"
pcid --foreground --config /tmp/pcid-demo.conf &
pcid=$!
wait_for 20 served &&
wait_for 20 running 0 &&
sleep 1 &&
echo "\$ uscheme ls pci:" && uscheme ls pci: &&
echo "\$ uscheme cat pci:$x/status" && uscheme cat "pci:$x/status" &&
echo "\$ uscheme cat pcidev:     (the kernel's view: the controller, held by its driver's session)" &&
uscheme cat pcidev: &&
p=$(status pid) &&
echo "\$ kill -KILL $p     (the driver; pcid notices, reports and restarts it)" &&
kill -KILL "$p" &&
wait_for 20 running "$p" &&
sleep 1 &&
echo "\$ uscheme cat pci:$x/status | grep -E '^(state|pid|starts|last-exit) '" &&
uscheme cat "pci:$x/status" | grep -E '^(state|pid|starts|last-exit) ' &&
echo "\$ kill %pcid     (SIGTERM: the driver is stopped, the controller given back)" &&
kill -TERM "$pcid" &&
wait "$pcid" &&
echo "\$ uscheme ls pci:; cat /sys/bus/pci/devices/$x/driver_override" &&
{ uscheme ls pci:; echo "(exit $?)"; cat "/sys/bus/pci/devices/$x/driver_override"; } &&
echo "pcid-demo: ok"
