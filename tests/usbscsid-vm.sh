#!/usr/bin/env bash
# usbscsid's VMs (tests/run-all.sh runs this for each kernel; alone:
#   bash tests/usbscsid-vm.sh --kernel IMG --module KO --out DIR [--kver KVER] [--quick]
#       [--append KERNEL-ARGS] [--asan DIR]
# --asan DIR: DIR/usbscsid is an ASan+UBSan+LSan build (dynamic): shipped as
# usbscsid-asan with its libraries, and the suite has pcid run that one.
# with the userspace built in build/userspace).
#   Boot 1 (tests/drivers/guest/usbscsid-suite.sh, suites usbscsid and
#   usbscsid-scheme): a qemu-xhci with four devices -- a 128 MiB usb-storage
#   disk (512-byte blocks, USB3), a 16 MiB one with 4096-byte blocks (usb-bot and
#   scsi-hd: usb-storage has no block size of its own), a
#   usb-bot with two scsi-hd LUNs (8 and 12 MiB), a read-only 4 MiB one --
#   and an nec-usb-xhci (USB2 ports only) with a sparse 3 TiB disk; QEMU's
#   monitor on the guest's ttyS2 (hot-unplug). With --kver, Linux's own USB
#   disk modules of that kernel (usb-devices.sh linux-modules --storage)
#   write a region first, which usbscsid then reads.
#   Boot 2 (tests/drivers/guest/usbscsid-linux-guest.sh, suite usbscsid-linux; --kver
#   only): the main disk alone, after boot 1 powered off: Linux's
#   usb-storage reads the region usbscsid wrote and FSYNCed.
# --quick (the debug kernel): 2000 blocks each way instead of 12000.
# Prints the seconds each boot took. Exit status: 0 when every boot
# reached the end of its script (the TAP verdicts are run-all's).
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
kernel= ko= out= kver= quick= append= asan= bin=${BIN:-$top/build/userspace}
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--module) ko=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--kver) kver=$2; shift 2 ;;
	--quick) quick=1; shift ;;
	--append) append=$2; shift 2 ;;
	--asan) asan=$2; shift 2 ;;
	*) echo "usbscsid-vm: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$kernel" ] && [ -n "$ko" ] && [ -n "$out" ] || { echo "usbscsid-vm: --kernel, --module and --out are needed" >&2; exit 2; }
mkdir -p "$out"
img=$out/disks
rm -rf "$img"
mkdir -p "$img"
truncate -s 128M "$img/main.img"
truncate -s 16M "$img/b4k.img"
truncate -s 8M "$img/lun0.img"
truncate -s 12M "$img/lun1.img"
truncate -s 4M "$img/ro.img"
truncate -s 3T "$img/big.img"	# sparse
mods=()
if [ -n "$kver" ]; then
	for m in $(bash "$top/tests/qemu/usb-devices.sh" linux-modules --storage "$kver" "$out/modules"); do
		mods+=(--file "$m")
	done
fi
blocks=12000
[ -n "$quick" ] && blocks=2000
mon=$(mktemp -u /tmp/uscheme-monitor.XXXXXX)
q="-device qemu-xhci,id=xhci0,addr=04.0 -device nec-usb-xhci,id=xhci1,msi=off,msix=off,p3=0,addr=05.0"
q+=" -drive if=none,id=dmain,format=raw,file=$img/main.img"
q+=" -device usb-storage,bus=xhci0.0,port=1,drive=dmain"
q+=" -drive if=none,id=d4k,format=raw,file=$img/b4k.img"
q+=" -device usb-bot,id=us4k,bus=xhci0.0,port=2"
q+=" -device scsi-hd,bus=us4k.0,drive=d4k,logical_block_size=4096,physical_block_size=4096"
q+=" -drive if=none,id=dl0,format=raw,file=$img/lun0.img -drive if=none,id=dl1,format=raw,file=$img/lun1.img"
q+=" -device usb-bot,id=bot0,bus=xhci0.0,port=3"
q+=" -device scsi-hd,bus=bot0.0,scsi-id=0,lun=0,drive=dl0 -device scsi-hd,bus=bot0.0,scsi-id=0,lun=1,drive=dl1"
q+=" -drive if=none,id=dro,format=raw,file=$img/ro.img,readonly=on"
q+=" -device usb-storage,bus=xhci0.0,port=4,drive=dro"
q+=" -drive if=none,id=dbig,format=raw,file=$img/big.img"
q+=" -device usb-storage,bus=xhci1.0,port=1,drive=dbig"
q+=" -chardev socket,id=monport,path=$mon,server=on,wait=off -serial chardev:monport"
q+=" -chardev socket,id=monitor,path=$mon -mon chardev=monitor,mode=readline"
guest=$(mktemp)
trap 'rm -f "$guest" "$mon"' EXIT
cat >"$guest" <<G
#!/bin/sh
US_QUICK=${quick:-0} sh /bin/usbscsid-suite.sh >/dev/ttyS1 2>&1
G
files=()
for f in usbscsid usbscsid_test usbscsid-suite.sh suite-lib.sh usbscsid-linux-guest.sh pcid pcid.conf xhcid xhcid.conf uscheme xhcid_test; do
	files+=(--file "$bin/$f")
done
if [ -n "$asan" ] && [ -x "$asan/usbscsid" ]; then
	cp "$asan/usbscsid" "$out/usbscsid-asan"
	files+=(--file "$out/usbscsid-asan")
	for lib in $(ldd "$asan/usbscsid" | grep -oE '/[^ ]+\.so[^ ]*'); do
		files+=(--rootfile "$lib")
	done
fi
rc=0
t=$(date +%s)
bash "$top/tests/qemu/run-vm.sh" --kernel "$kernel" --module "$ko" --script "$guest" \
	--out "$out/boot1" "${files[@]}" "${mods[@]}" --timeout 900 --mem 2048 --qemu "$q" \
	${append:+--append "$append"} || rc=1
echo "usbscsid-vm: boot 1 (the suite) took $(($(date +%s) - t)) s"
if [ -n "$kver" ]; then
	cat >"$guest" <<G
#!/bin/sh
sh /bin/usbscsid-linux-guest.sh 131072 $blocks 0x22 >/dev/ttyS1 2>&1
G
	q="-device qemu-xhci,id=xhci0,addr=04.0"
	q+=" -drive if=none,id=dmain,format=raw,file=$img/main.img"
	q+=" -device usb-storage,bus=xhci0.0,port=1,drive=dmain"
	t=$(date +%s)
	bash "$top/tests/qemu/run-vm.sh" --kernel "$kernel" --module "$ko" --script "$guest" \
		--out "$out/boot2" --file "$bin/usbscsid_test" --file "$bin/usbscsid-linux-guest.sh" \
		"${mods[@]}" --timeout 300 --mem 512 --qemu "$q" || rc=1
	echo "usbscsid-vm: boot 2 (Linux checks) took $(($(date +%s) - t)) s"
fi
rm -f "$img"/*.img
exit $rc
