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
if ! bash tests/qemu/run-vm.sh --kernel "$img" --module "$ko" --script tests/demo-guest.sh \
	--out "$out" --file build/userspace/uscheme --file build/userspace/ramd \
	--file build/userspace/pcid --file build/userspace/pciprobe \
	--file build/userspace/pcid.conf --file tests/pcid-demo-guest.sh \
	--qemu "-device qemu-xhci,addr=0x4" --timeout 300; then
	echo "demo: the VM did not finish; console log: $out/console.log" >&2
	exit 1
fi
echo
grep -E '^(USCHEME-VM: (booted|insmod)|uscheme)' "$out/console.log" | sed 's/^USCHEME-VM: /vm: /'
cat "$out/tests.log"
grep -q '^demo: ok' "$out/tests.log"
