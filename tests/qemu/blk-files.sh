#!/usr/bin/env bash
# What the blk suite (tests/drivers/guest/blk-suite.sh) needs in a test
# VM, as run-vm.sh arguments, one per line: the kernel KVER's modules
# (usb-devices.sh linux-modules --blk: ext4 and its helpers, nbd, ublk_drv
# where the kernel has it), and mkfs.ext4, fsck.ext4 and fio from this
# machine (--file, into the guest's /bin) with every shared library they
# load (--rootfile, at the same paths).
#
#   blk-files.sh [--no-fio] KVER DIR      (DIR: where the modules are copied)
#
# --no-fio: mkfs.ext4 and fsck.ext4 only (make run's VM; fio's libraries
# are 80 MB).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
tools=(mkfs.ext4 fsck.ext4 fio)
if [ "${1:-}" = --no-fio ]; then
	tools=(mkfs.ext4 fsck.ext4)
	shift
fi
kver=${1:?KVER}
dir=${2:?DIR}
for m in $(bash "$here/usb-devices.sh" linux-modules --blk "$kver" "$dir"); do
	printf -- '--file\n%s\n' "$m"
done
progs=()
for p in "${tools[@]}"; do
	f=$(PATH=/usr/sbin:/sbin:/usr/bin:/bin command -v "$p") ||
		{ echo "blk-files: no $p (tests/install-deps.sh installs e2fsprogs and fio)" >&2; exit 1; }
	progs+=("$f")
	printf -- '--file\n%s\n' "$f"
done
ldd "${progs[@]}" | grep -oE '/[^ ]+\.so[^ ]*' | sort -u | while read -r lib; do
	printf -- '--rootfile\n%s\n' "$lib"
done
