#!/bin/sh
# Guest side (busybox sh, root, uscheme.ko loaded, the VM of tests/run-all.sh
# with its USB devices: see guest/xhcid_test.h): xhcid as pcid runs it for
# both xHCI controllers, as TAP on stdout ("# suite xhcid"); xhcid_test (C,
# "# suite xhcid-scheme") runs in the middle against the usb.*: schemes.
#   1. Linux's own descriptors first, where run-all.sh shipped the stock
#      kernel's USB host modules (/bin/xhcid-linux-N-NAME.ko): insmod, save
#      sysfs's "descriptors" of each device, rmmod (the controllers are
#      free again) -- xhcid_test --linux compares them with xhcid's;
#   2. pcid with the default config (/bin/pcid.conf): xhcid for 0c0330,
#      unprivileged, both schemes served, the devices enumerated (its log);
#   3. xhcid_test;
#   4. xhcid killed with SIGKILL under load: pcid's log says so, restarts
#      it, the scheme comes back and enumerates again, transfers work;
#   4b. class drivers: the class drivers' rules (pcid's child-config=)
#      name usbprobe for the keyboard's interface (and, refused, one as
#      xhcid's own uid for the disks); xhcid restarted: it asks pcid, which
#      starts usbprobe as uid 65532 with its one handle (the interface's,
#      USB_INTERFACE=0): what it reads and what it is refused (xhcid and
#      pcid themselves: signal and ptrace), killed and restarted, stopped
#      when the keyboard is unplugged (QEMU's monitor), started again on
#      replug, stopped and started anew when xhcid is killed;
#   5. pcid stopped: xhcid gone, the controllers given back.
# Needs in PATH: pcid xhcid xhcid_test uscheme, and /bin/pcid.conf.
# On the debug kernel (KASAN, TCG) xhcid_test runs --quick.
echo "# suite xhcid"
t_suite=$(date +%s)
SUITE_OUT=/tmp/xs.out
. "$(dirname "$0")/suite-lib.sh"
ctrl0=0000:00:04.0	# qemu-xhci, MSI-X: disk (USB3), keyboard (USB2)
ctrl1=0000:00:05.0	# nec-usb-xhci, INTx, USB2 ports only: disk
s0=usb.0000-00-04.0
s1=usb.0000-00-05.0
dev=/sys/bus/pci/devices
driver_of() {
	if [ -e "$dev/$1/driver" ]; then basename "$(readlink "$dev/$1/driver")"; else echo -; fi
}
served() { uscheme schemes 2>/dev/null | grep -q "^$1 "; }
# xpid ADDR: the xhcid serving ADDR (its environment names it)
xpid() {
	for e in /proc/[0-9]*/environ; do
		p=${e#/proc/}
		p=${p%/environ}
		case "$(cat "/proc/$p/comm" 2>/dev/null)" in xhcid|xhcid-asan) ;; *) continue ;; esac
		tr '\0' '\n' <"$e" 2>/dev/null | grep -qx "PCID_ADDRESS=$1" && { echo "$p"; return 0; }
	done
	return 1
}
# listed SCHEME PATTERN: the scheme's listing has a line matching PATTERN
listed() { uscheme cat "$1:" 2>/dev/null | grep -qE -- "$2"; }
quick=""
case "$(uname -r)" in *debug*) quick=--quick ;; esac
[ -e /sys/kernel/debug/kmemleak ] && quick=--quick

# ---- the VM ----
c0=$(cat $dev/$ctrl0/vendor 2>/dev/null):$(cat $dev/$ctrl0/device 2>/dev/null)
c1=$(cat $dev/$ctrl1/vendor 2>/dev/null):$(cat $dev/$ctrl1/device 2>/dev/null)
if [ "$c0" = 0x1b36:0x000d ] && [ "$c1" = 0x1033:0x0194 ]; then
	ok "controllers: qemu-xhci at $ctrl0, nec-usb-xhci at $ctrl1"
else
	nok "controllers: qemu-xhci at $ctrl0 ($c0), nec-usb-xhci at $ctrl1 ($c1)"
fi
check "xhcid, xhcid_test and pcid.conf are shipped" test -x /bin/xhcid -a -x /bin/xhcid_test -a -f /bin/pcid.conf
check "pcid's default config runs xhcid for $ctrl0 and $ctrl1" sh -c \
	"pcid --check | grep '^$ctrl0 .*/xhcid' && pcid --check | grep '^$ctrl1 .*/xhcid'"
if [ "$(driver_of $ctrl0)" = - ] && [ "$(driver_of $ctrl1)" = - ]; then
	ok "no kernel driver has the controllers"
else
	nok "no kernel driver has the controllers ($ctrl0: $(driver_of $ctrl0), $ctrl1: $(driver_of $ctrl1))"
fi

# ---- 1. Linux's xhci_hcd reads the descriptors first (stock kernels) ----
linux=""
mods=$(ls /bin/xhcid-linux-*.ko 2>/dev/null)
if [ -n "$mods" ]; then
	bad=""
	for m in $mods; do
		insmod "$m" 2>>/tmp/xs-linux.log || bad="$bad $m"
	done
	if [ -z "$bad" ]; then ok "insmod Linux's USB host modules ($(echo $mods | wc -w))"; else nok "insmod$bad"; cat /tmp/xs-linux.log; fi
	linux_devs() {
		c=0
		for d in /sys/bus/usb/devices/[0-9]*-*; do
			[ -f "$d/descriptors" ] && [ -f "$d/idVendor" ] && c=$((c + 1))
		done
		[ $c -ge 3 ]
	}
	if waitfor 30 linux_devs; then ok "xhci_hcd enumerated the 3 devices"; else nok "xhci_hcd enumerated the 3 devices"; ls /sys/bus/usb/devices/; fi
	rm -rf /tmp/xhcid-linux
	for d in /sys/bus/usb/devices/[0-9]*-*; do
		[ -f "$d/descriptors" ] && [ -f "$d/idVendor" ] || continue
		real=$(readlink -f "$d")
		pci=$(basename "$(dirname "$(dirname "$real")")")
		mkdir -p "/tmp/xhcid-linux/$pci"
		cat "$d/descriptors" >"/tmp/xhcid-linux/$pci/$(cat "$d/idVendor"):$(cat "$d/idProduct")"
		echo "# linux: $pci $(cat "$d/idVendor"):$(cat "$d/idProduct") speed $(cat "$d/speed") $(wc -c <"$d/descriptors") bytes of descriptors"
	done
	# give the controllers back: unload in reverse order
	rev=""
	for m in $mods; do rev="$m $rev"; done
	bad=""
	for m in $rev; do
		name=$(basename "$m" .ko)
		name=${name#xhcid-linux-?-}
		rmmod "$(echo "$name" | tr - _)" 2>>/tmp/xs-linux.log || bad="$bad $name"
	done
	if [ -z "$bad" ]; then ok "rmmod Linux's USB host modules"; else nok "rmmod$bad"; cat /tmp/xs-linux.log; fi
	if [ "$(driver_of $ctrl0)" = - ] && [ "$(driver_of $ctrl1)" = - ]; then
		ok "the controllers are free again"
	else
		nok "the controllers are free again ($(driver_of $ctrl0), $(driver_of $ctrl1))"
	fi
	[ -d /tmp/xhcid-linux ] && linux="--linux /tmp/xhcid-linux"
else
	echo "# $(uname -r): no Linux USB host modules shipped: descriptors not compared with Linux's"
fi

# ---- 2. pcid runs xhcid ----
# The default config, except that xhcid's class drivers (pcid starts them:
# child-config=) come from a file without rules: xhcid_test owns the disks'
# ports itself (a usbscsid would hold them).
printf '# xhcid-suite.sh: no class drivers\n' >/tmp/xs-classes.conf
# and xhcid asks pcid for none (xhcid --config: what it asks for)
printf '# xhcid-suite.sh: ask for no class drivers\n' >/tmp/xs-ask.conf
# Where run-all.sh shipped xhcid's ASan build (the 6.1 VM), pcid runs that
# one: ASan checks every access and LeakSanitizer what is left at exit (its
# reports land in pcid's log, which the last check reads).
prog=xhcid
if [ -x /bin/xhcid-asan ]; then
	prog=xhcid-asan
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	echo "# xhcid under ASan+UBSan+LSan: /bin/xhcid-asan"
fi
sed "s|driver=xhcid args=\"{address}\"|driver=$prog args=\"--config /tmp/xs-ask.conf {address}\"|; s|child-config=xhcid.conf|child-config=/tmp/xs-classes.conf|" \
	/bin/pcid.conf >/tmp/xs-pcid.conf
check "pcid.conf's xhcid rule: its class drivers' rules in child-config= (here /tmp/xs-classes.conf)" \
	grep -q "driver=$prog args=\"--config /tmp/xs-ask.conf {address}\" .*child-config=/tmp/xs-classes.conf" /tmp/xs-pcid.conf
log=/tmp/xs-pcid.log
pcid --foreground --config /tmp/xs-pcid.conf 2>$log &
pcid=$!
if waitfor 30 served pci; then ok "pcid serves pci: (pid $pcid)"; else nok "pcid serves pci:"; fi
for a in $ctrl0 $ctrl1; do
	logmatch $log "pcid: $a: started driver \\(pid [0-9]+, uid 65533, gid 65533[,)].*: /bin/$prog .*$a" 30
done
logmatch $log "xhcid: $ctrl0: asking pcid only for class drivers /tmp/xs-ask.conf matches: 0 rules" 30
for s in $s0 $s1; do
	if waitfor 30 served $s; then ok "xhcid serves $s:"; else nok "xhcid serves $s:"; uscheme schemes; fi
done
x0=$(xpid $ctrl0)
x1=$(xpid $ctrl1)
if [ -n "$x0" ] && [ -n "$x1" ]; then ok "xhcid runs for both (pids $x0, $x1)"; else nok "xhcid runs for both ('$x0', '$x1')"; fi
for p in $x0; do
	check "xhcid $p runs as uid/gid 65533 (its own, not nobody's) without capabilities" sh -c \
		"grep -q '^Uid:.65533.65533.65533.65533' /proc/$p/status && grep -q '^CapEff:.0000000000000000' /proc/$p/status"
done
check "$s0: lists the disk ready at super speed" waitfor 30 listed $s0 '^[0-9]+ ready super 46f4:0001 08/06/50$'
check "$s0: lists the keyboard ready at full speed" waitfor 30 listed $s0 '^[0-9]+ ready full 0627:0001 03/01/01$'
check "$s1: lists the disk ready at high speed" waitfor 30 listed $s1 '^[0-9]+ ready high 46f4:0001 08/06/50$'
logmatch $log "xhcid: $ctrl0: port [0-9]+: ready, super speed, 46f4:0001" 3
logmatch $log "xhcid: $ctrl0: port [0-9]+: ready, full speed, 0627:0001" 3
logmatch $log "xhcid: $ctrl1: port [0-9]+: ready, high speed, 46f4:0001" 3
for s in $s0 $s1; do
	uscheme cat "$s:" 2>&1 | sed "s/^/# $s: /"
done

# ---- 3. the scheme from a client's side ----
echo "# xhcid_test $quick $linux"
t0=$(date +%s)
xhcid_test $quick $linux
rc=$?
echo "# suite xhcid"
echo "# xhcid_test took $(($(date +%s) - t0)) s"
if [ $rc = 0 ]; then ok "xhcid_test passed"; else nok "xhcid_test passed (exit $rc)"; fi
check "xhcid for $ctrl0 survived the C suite (pid $x0)" test -n "$x0" -a "$(xpid $ctrl0)" = "$x0"
check "xhcid for $ctrl1 survived the C suite (pid $x1)" test -n "$x1" -a "$(xpid $ctrl1)" = "$x1"

# ---- 4. xhcid killed under load: pcid restarts it ----
if [ -n "$x0" ]; then
	rm -f /tmp/xs-stop
	(while [ ! -e /tmp/xs-stop ]; do xhcid_test bulk_read10 >/dev/null 2>&1; done) &
	load=$!
	sleep 2
	kill -KILL "$x0"
	touch /tmp/xs-stop
	logmatch $log "pcid: $ctrl0: driver /bin/$prog \\(pid $x0\\) killed by signal 9"
	logmatch $log "pcid: $ctrl0: restarting it in [0-9]+ ms"
	new_xhcid() { p=$(xpid $ctrl0) && [ "$p" != "$x0" ]; }
	if waitfor 30 new_xhcid; then ok "a new xhcid runs for $ctrl0 ($(xpid $ctrl0))"; else nok "a new xhcid runs for $ctrl0"; fi
	if waitfor 30 gone $load; then
		ok "the client under load was not left hanging"
	else
		nok "the client under load was not left hanging"
		kill -KILL $load
	fi
	wait $load 2>/dev/null
	check "$s0: served again" waitfor 30 served $s0
	check "$s0: enumerated again: the disk ready" waitfor 30 listed $s0 '^[0-9]+ ready super 46f4:0001 08/06/50$'
	check "$s0: enumerated again: the keyboard ready" waitfor 30 listed $s0 '^[0-9]+ ready full 0627:0001 03/01/01$'
	check "transfers work after the restart" sh -c 'xhcid_test bulk_inquiry >/tmp/xs-after.out 2>&1 || { cat /tmp/xs-after.out; exit 1; }'
	check "xhcid for $ctrl1 was not disturbed (pid $x1)" test -n "$x1" -a "$(xpid $ctrl1)" = "$x1"
else
	nok "xhcid killed under load: no xhcid to kill"
fi

xhcid_attack $quick; echo "# suite xhcid"	# the review's attacks (guest/xhcid_attack.c): a TAP suite of their own, before class drivers own the keyboard

# ---- 4b. class drivers: xhcid.conf names usbprobe for the keyboard ----
# The same config file xhcid reads at start gets a rule for the keyboard's
# interface (03/01/01); then xhcid is restarted (SIGKILL: pcid restarts it).
cat >/tmp/xs-ask.conf <<EOF
# xhcid-suite.sh: ask pcid for keyboards' and disks' drivers
match class=03 driver=-
match class=08 driver=-
EOF
cat >/tmp/xs-classes.conf <<EOF
# xhcid-suite.sh: usbprobe for HID boot keyboards, as 65532 (xhcid is 65533)
set user=65532 group=65532
# a rule that would run as xhcid's own uid: pcid refuses it (the disks get no driver)
match class=080650 driver=usbprobe user=65533 group=65533
match class=030101 driver=usbprobe args="{address}" restart=on-failure max-restarts=2 backoff=200
EOF
probe_pid() { pidof usbprobe | awk '{print $1}'; }
xold=$(xpid $ctrl0)
if [ -n "$xold" ] && [ -x /bin/usbprobe ]; then
	kill -KILL "$xold"
	new_x() { p=$(xpid $ctrl0) && [ "$p" != "$xold" ]; }
	check "xhcid for $ctrl0 restarted with the class-driver rule" waitfor 30 new_x
	logmatch $log "pcid: $ctrl0: children's rules from /tmp/xs-classes.conf: 2 rules" 30
	logmatch $log "pcid: $ctrl0: port [0-9]+: child rule /tmp/xs-classes.conf:4 runs as uid 65533, its driver's own: refused" 30
	logmatch $log "xhcid: $ctrl0: port [0-9]+ interface 0: class driver usbprobe: pcid starts it" 30
	logmatch $log "pcid: $ctrl0: port [0-9]+ interface 0: started class driver usbprobe \\(pid [0-9]+, uid 65532, gid 65532\\) with $s0:[0-9]+/if0: /bin/usbprobe" 30
	logmatch $log "usbprobe: $s0:[0-9]+: pid [0-9]+, uid 65532, port [0-9]+: 0627:0001 class 03/01/01" 15
	logmatch $log "usbprobe: $s0:[0-9]+: interface 0, alternate setting 0" 5
	logmatch $log "usbprobe: $s0:[0-9]+: descriptors: [0-9]+ bytes, device descriptor agrees" 5
	logmatch $log "usbprobe: $s0:[0-9]+: GET_STATUS: 0x" 5
	logmatch $log "usbprobe: $s0:[0-9]+: endpoint 0x81 opened" 5
	for what in "its own port a second time" "another port" "a PCI channel" "pcidev:" "SET_ADDRESS" \
		"SET_CONFIGURATION: Operation not permitted" "USB_CALL_SET_CONFIG: Operation not permitted" \
		"a class request to another interface: Operation not permitted" \
		"SET_INTERFACE of another interface: Operation not permitted" \
		"a vendor request to the device: Operation not permitted" \
		"SET_FEATURE to the device: Operation not permitted" \
		"signal xhcid(-asan)? \\(pid $(xpid $ctrl0)\\): Operation not permitted" \
		"signal xhcid(-asan)? \\(pid $(xpid $ctrl1)\\): Operation not permitted" \
		"ptrace xhcid(-asan)? \\(pid $(xpid $ctrl0)\\): Operation not permitted" \
		"signal pcid \\(pid $pcid\\): Operation not permitted" \
		"ptrace pcid \\(pid $pcid\\): Operation not permitted"; do
		logmatch $log "usbprobe: $s0:[0-9]+: refused: $what" 5
	done
	logmatch $log "usbprobe: $s0:[0-9]+: 1[0-9] refused, 0 allowed" 5
	if grep -q "ALLOWED (a hole" $log; then
		nok "usbprobe reached nothing it must not"
		grep "ALLOWED" $log
	else
		ok "usbprobe reached nothing it must not"
	fi
	up1=$(probe_pid)
	if [ -n "$up1" ]; then
		check "usbprobe $up1: uid/gid 65532 (its rule's, not xhcid's 65533), no capabilities, no_new_privs" sh -c \
			"grep -q '^Uid:.65532.65532.65532.65532' /proc/$up1/status &&
			 grep -q '^Gid:.65532.65532.65532.65532' /proc/$up1/status &&
			 grep -q '^CapEff:.0000000000000000' /proc/$up1/status &&
			 grep -q '^NoNewPrivs:.1' /proc/$up1/status"
		# 0-2, its interface handle (3), and what it made itself (its signalfd):
		# nothing of xhcid's (channel, rings, interrupt, DMA, BAR) leaked into it.
		check "usbprobe $up1: USB_INTERFACE=0, USB_PORT_FD=3 and USB_PORT in its environment" sh -c \
			"tr '\\0' '\\n' </proc/$up1/environ | grep -qx USB_INTERFACE=0 &&
			 tr '\\0' '\\n' </proc/$up1/environ | grep -qx USB_PORT_FD=3 &&
			 tr '\\0' '\\n' </proc/$up1/environ | grep -qE '^USB_PORT=$s0:[0-9]+\$'"
		check "usbprobe $up1: fds 0 1 2, its interface handle 3 and its own signalfd, nothing else" sh -c \
			"cd /proc/$up1/fd && test -e 3 && for f in *; do
				case \$f in 0|1|2|3) ;; *) readlink \$f | grep -qx 'anon_inode:\\[signalfd\\]' || { ls -l /proc/$up1/fd; exit 1; } ;; esac
			 done"
		# an interface owned: the port's O_RDWR open is -EBUSY meanwhile
		kport=$(uscheme cat $s0: | awk '/ 0627:0001 /{print $1}')
		check "the keyboard's port and interface 0 cannot be owned while usbprobe owns the interface" sh -c \
			"xhcid_test --open-rw $s0:$kport 2>&1 | grep -q 'busy' &&
			 xhcid_test --open-rw $s0:$kport/if0 2>&1 | grep -q 'busy'"
		kill -KILL "$up1"
		logmatch $log "pcid: $ctrl0: port [0-9]+ interface 0: class driver usbprobe \\(pid $up1\\) killed by signal 9" 10
		logmatch $log "pcid: $ctrl0: port [0-9]+ interface 0: restarting class driver usbprobe in 200 ms" 5
		new_probe() { p=$(probe_pid) && [ -n "$p" ] && [ "$p" != "$up1" ]; }
		check "usbprobe restarted" waitfor 10 new_probe
		up2=$(probe_pid)
		# The device goes: its driver is stopped, not restarted.
		check "monitor: device_del usbkbd" xhcid_test --monitor-cmd "device_del usbkbd"
		logmatch $log "pcid: $ctrl0: port [0-9]+ interface 0: its device is gone: stopping class driver usbprobe \\(pid $up2\\)" 15
		logmatch $log "usbprobe: $s0:[0-9]+: stopping on Terminated" 10
		nothing_runs() { ! pidof usbprobe >/dev/null; }
		check "no usbprobe runs once the keyboard is gone" waitfor 10 nothing_runs
		check "monitor: device_add the keyboard back" xhcid_test --monitor-cmd \
			"device_add usb-kbd,bus=xhci0.0,port=2,usb_version=1,id=usbkbd"
		check "$s0: the keyboard is back, ready" waitfor 30 listed $s0 '^[0-9]+ ready full 0627:0001 03/01/01$'
		check "and gets its class driver again" waitfor 15 probe_pid
		# xhcid ends (killed): pcid stops its class drivers; the new xhcid asks again
		up3=$(probe_pid)
		xk=$(xpid $ctrl0)
		kill -KILL "$xk"
		logmatch $log "pcid: $ctrl0: port [0-9]+ interface 0: its driver ended: stopping class driver usbprobe \\(pid $up3\\)" 15
		new_probe3() { p=$(probe_pid) && [ -n "$p" ] && [ "$p" != "$up3" ]; }
		check "xhcid restarted by pcid: usbprobe started anew for it" waitfor 30 new_probe3
		check "the old usbprobe ($up3) is gone" waitfor 10 gone "$up3"
		# A child that ignores SIGTERM and forks (an attack: stopping it was
		# SIGTERM to its pid only, so it and its grandchild kept the port's
		# handle): stopped on unplug, SIGKILL to its process group after
		# stop-timeout; the keyboard back, a new child starts for the port.
		cat >/tmp/xs-stubborn.sh <<'EOS'
#!/bin/sh
trap '' TERM
sleep 1000 &
echo "xs-stubborn: pid $$, sleep pid $!" >&2
while :; do sleep 1; done
EOS
		chmod 755 /tmp/xs-stubborn.sh
		printf '# xhcid-suite.sh: a stubborn class driver for keyboards\nset user=65532 group=65532\nmatch class=030101 driver=/tmp/xs-stubborn.sh restart=never\n' \
			>/tmp/xs-classes.conf
		up4=$(probe_pid)
		kill -KILL "$(xpid $ctrl0)"
		stub_line() { grep -E "xs-stubborn: pid [0-9]+, sleep pid [0-9]+" $log | tail -1 | grep .; }
		if waitfor 40 stub_line; then
			sp=$(stub_line | sed -E 's/.*xs-stubborn: pid ([0-9]+), sleep pid ([0-9]+).*/\1/')
			ss=$(stub_line | sed -E 's/.*sleep pid ([0-9]+).*/\1/')
			ok "a class driver ignoring SIGTERM (pid $sp) and its child sleep ($ss) run for the keyboard"
			check "monitor: device_del usbkbd (the stubborn one)" xhcid_test --monitor-cmd "device_del usbkbd"
			logmatch $log "pcid: $ctrl0: port [0-9]+ interface 0: its device is gone: stopping class driver /tmp/xs-stubborn.sh \\(pid $sp\\)" 15
			logmatch $log "pcid: $ctrl0: port [0-9]+ interface 0: class driver /tmp/xs-stubborn.sh \\(pid $sp\\) still running 5000 ms after SIGTERM: SIGKILL to its process group" 15
			# gone: no such process, or a zombie nobody reaped yet
			dead() { ! kill -0 "$1" 2>/dev/null || grep -q '^State:.Z' "/proc/$1/status" 2>/dev/null; }
			both_dead() { dead "$sp" && dead "$ss"; }
			check "the stubborn driver ($sp) and its child ($ss) are gone after stop-timeout" waitfor 10 both_dead
			check "monitor: device_add the keyboard back (stubborn)" xhcid_test --monitor-cmd \
				"device_add usb-kbd,bus=xhci0.0,port=2,usb_version=1,id=usbkbd"
			new_stub() { l=$(stub_line) && ! echo "$l" | grep -q "pid $sp,"; }
			check "the keyboard back: its port gets a class driver again (CHILD_START works)" waitfor 30 new_stub
		else
			nok "a class driver ignoring SIGTERM runs for the keyboard"
			[ -n "$up4" ] && echo "# usbprobe was $up4"
		fi
	else
		nok "usbprobe runs for the keyboard"
	fi
	# No class drivers for later restarts (pcid's shutdown stops the one running).
	printf '# xhcid-suite.sh: no class drivers\n' >/tmp/xs-classes.conf
	printf '# xhcid-suite.sh: ask for no class drivers\n' >/tmp/xs-ask.conf
else
	nok "class drivers: no xhcid for $ctrl0, or no /bin/usbprobe"
fi

# ---- 5. pcid stops: xhcid too, the controllers given back ----
xs="$(xpid $ctrl0) $(xpid $ctrl1)"
kill -TERM $pcid
(sleep 30; kill -KILL $pcid 2>/dev/null) &
dog=$!
wait $pcid
rc=$?
kill $dog 2>/dev/null
wait $dog 2>/dev/null
if [ $rc = 0 ]; then ok "pcid stops on SIGTERM with exit 0"; else nok "pcid stops on SIGTERM with exit 0 (exit $rc)"; fi
for p in $xs; do
	if waitfor 10 gone $p; then ok "xhcid $p is gone"; else nok "xhcid $p is gone"; fi
done
check "no usb.* scheme left" sh -c '! uscheme schemes | grep -q "^usb\\."'
check "no class driver left running (pcid stopped usbprobe)" sh -c '! pidof usbprobe'
for a in $ctrl0 $ctrl1; do
	check "$a given back (no driver, no driver_override)" sh -c \
		"test \"\$(cat $dev/$a/driver_override)\" = '(null)' -a ! -e $dev/$a/driver"
done
echo "# pcid and xhcid log"
sed 's/^/# /' $log
if grep -E "AddressSanitizer|LeakSanitizer|runtime error" $log; then
	nok "no sanitizer reports from pcid and xhcid"
else
	ok "no sanitizer reports from pcid and xhcid"
fi
echo "# xhcid suite took $(($(date +%s) - t_suite)) s"
echo "1..$n"
