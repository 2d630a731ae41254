#!/usr/bin/env bash
# The main job: build everything, boot Debian's stock 6.1 kernel under QEMU
# with uscheme.ko loaded as a dev box would (insmod) and an emulated xHCI
# controller; create a ring, run NOP round trips, serve ram: and use it, then
# start pcid, which hands the controller to its driver, and print what
# happened, statistics included.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
echo ">> [1/4] dependencies (first run installs Debian packages: a few minutes)"
bash tests/install-deps.sh
echo ">> [2/4] userspace build"
make -s -C userspace-drivers O="$top/build/userspace"
read -r img kdir kver < <(bash tests/stock-kernel.sh 6.1)
echo ">> [3/4] uscheme.ko for $kver"
ko=$(bash tests/build-module.sh "$kdir" "$top/build/module/$kver")
echo ">> [4/4] booting $kver in QEMU (software emulation, about a minute)"
out=$top/build/vm/demo
# The USB disk xhcid enumerates (16 MiB, a greeting in its first sector)
# and a keyboard, on the controller pcid hands to xhcid.
disk=$top/build/vm/demo-usb-disk.img
mkdir -p "$top/build/vm"
rm -f "$disk"
truncate -s 16M "$disk"
printf 'uscheme demo disk\n' | dd of="$disk" conv=notrunc status=none
usb="-device qemu-xhci,id=xhci0,addr=0x4 -drive if=none,id=disk0,format=raw,file=$disk"
usb+=" -device usb-storage,bus=xhci0.0,drive=disk0 -device usb-kbd,bus=xhci0.0"
# The block-device part: ext4 and nbd from the kernel's package, mkfs.ext4.
mapfile -t blk < <(bash tests/qemu/blk-files.sh --no-fio "$kver" "$top/build/vm/demo-blk")
if ! bash tests/qemu/run-vm.sh --kernel "$img" --module "$ko" --script tests/demo-guest.sh \
	--out "$out" --file build/userspace/uscheme --file build/userspace/ramd \
	--file build/userspace/pcid --file build/userspace/pciprobe \
	--file build/userspace/pcid.conf --file tests/pcid-demo-guest.sh \
	--file build/userspace/xhcid --file build/userspace/xhcid.conf \
	--file build/userspace/usbscsid --file tests/usb-demo-guest.sh \
	--file build/userspace/blkbridge --file build/userspace/ramdiskd \
	--file tests/blk-demo-guest.sh "${blk[@]}" \
	--qemu "$usb" \
	--timeout 300; then
	echo "demo: the VM did not finish; console log: $out/console.log" >&2
	exit 1
fi
echo
grep -E '^(USCHEME-VM: (booted|insmod)|uscheme)' "$out/console.log" | sed 's/^USCHEME-VM: /vm: /'
cat "$out/tests.log"
grep -q '^demo: ok' "$out/tests.log"
