#!/bin/sh
# Guest side of tests/usbscsid-vm.sh's second boot ("# suite usbscsid-linux"):
# the main disk alone, on a qemu-xhci USB3 port, read by Linux's own stack
# (xhci-hcd, usb-storage, sd; /bin/usb-linux-NN-*.ko): the region usbscsid
# wrote and FSYNCed in the first boot, which powered off since, every block
# checked (usbscsid_test verify: each block names its LBA and seed).
# Arguments: LBA BLOCKS SEED.
echo "# suite usbscsid-linux"
lba=$1 blocks=$2 seed=$3
n=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
nok() { n=$((n + 1)); echo "not ok $n - $*"; }
bad=""
for m in $(ls /bin/usb-linux-*.ko); do insmod "$m" 2>>/tmp/l.log || bad="$bad $m"; done
if [ -z "$bad" ]; then ok "insmod Linux's USB disk modules"; else nok "insmod$bad"; cat /tmp/l.log; fi
sd=""
i=0
while [ $i -lt 600 ]; do
	for b in /sys/block/sd*; do
		[ "$(cat $b/size 2>/dev/null)" = 262144 ] && sd=/dev/${b##*/}
	done
	[ -n "$sd" ] && break
	i=$((i + 1))
	sleep 0.1
done
if [ -n "$sd" ]; then
	ok "Linux's usb-storage found the disk: $sd"
	[ -b "$sd" ] || mknod "$sd" b $(cat /sys/block/${sd#/dev/}/dev | tr ':' ' ')
	if usbscsid_test verify "$sd" "$lba" "$blocks" "$seed" >/tmp/v.out 2>&1; then
		ok "$(cat /tmp/v.out)"
	else
		nok "Linux reads the $blocks blocks usbscsid wrote at LBA $lba"
		sed 's/^/  out: /' /tmp/v.out | head -n 20
	fi
else
	nok "Linux's usb-storage found the disk"
	ls /sys/block; dmesg | tail -n 20
fi
echo "1..$n"
