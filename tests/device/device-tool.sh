#!/bin/sh
# Guest side (busybox sh, root, uscheme.ko loaded from /uscheme.ko, no ring
# open): `uscheme bind`/`unbind` around module unload and load, as TAP
# (suite "device-tool"). The functions: $USCHEME_DEV_MSIX and
# $USCHEME_DEV_INTX (default 0000:00:04.0 and 0000:00:05.0, where
# tests/run-all.sh puts QEMU's controllers). Ends with both unbound and
# their driver_override cleared, as the VM booted.
#
# On a kernel that runs KUnit at insmod (the debug kernel) the module is not
# reloaded here: a second KUnit report would spoil the console's.
msix=${USCHEME_DEV_MSIX:-0000:00:04.0}
intx=${USCHEME_DEV_INTX:-0000:00:05.0}
dev=/sys/bus/pci/devices
echo "# suite device-tool"
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }
# expect STATUS TEXT CMD...: CMD exits with STATUS and its output holds TEXT
expect() {
	want=$1 text=$2
	shift 2
	timeout 30 "$@" >/tmp/dt.out 2>&1
	got=$?
	if [ "$got" = "$want" ] && grep -qF -- "$text" /tmp/dt.out; then
		ok "$* (exit $got, says '$text')"
	else
		nok "$* (exit $got, want $want saying '$text')"
		sed 's/^/  /' /tmp/dt.out | head -n 20
	fi
}
# driver ADDR NAME: ADDR's driver is NAME ("" for none)
driver() {
	d=
	[ -e "$dev/$1/driver" ] && d=$(basename "$(readlink "$dev/$1/driver")")
	if [ "$d" = "$2" ]; then
		ok "$1 driver is '${2}'"
	else
		nok "$1 driver is '$d', want '$2'"
	fi
}
override() {
	o=$(cat "$dev/$1/driver_override")
	[ "$o" = "(null)" ] && o=
	if [ "$o" = "$2" ]; then
		ok "$1 driver_override is '$2'"
	else
		nok "$1 driver_override is '$o', want '$2'"
	fi
}

expect 0 "pcidev:$msix" uscheme bind "$msix"
expect 0 "already bound" uscheme bind "$msix"
expect 0 "pcidev:$intx" uscheme bind "${intx#0000:}"
driver "$msix" uscheme
driver "$intx" uscheme
expect 0 "$intx" uscheme cat pcidev:
if [ -d /sys/kernel/debug/kunit ]; then
	echo "# (KUnit kernel: module reload skipped)"
else
	# unloading the module unbinds its functions; the override stays
	if rmmod uscheme; then ok "rmmod with bound functions"; else nok "rmmod with bound functions"; fi
	driver "$msix" ""
	override "$msix" uscheme
	expect 1 "uscheme.ko loaded" uscheme bind "$msix"
	# loading it again binds what driver_override names
	if insmod /uscheme.ko; then ok "insmod again"; else nok "insmod again"; fi
	driver "$msix" uscheme
	driver "$intx" uscheme
fi
expect 0 "unbound from uscheme" uscheme unbind "$msix"
expect 0 "unbound from uscheme" uscheme unbind "$intx"
driver "$msix" ""
override "$msix" ""
driver "$intx" ""
override "$intx" ""
expect 0 "nothing to do" uscheme unbind "$msix"
expect 2 "not a PCI address" uscheme bind 4.0
echo "1..$n"
