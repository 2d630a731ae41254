#!/usr/bin/env bash
# make bench: boot Debian's stock 6.1 kernel in QEMU (2 vCPUs) and print the
# NOP round-trip table of `uscheme bench` (uscheme ring vs io_uring vs a
# syscall), all measured in one boot. OPS=N sets the operations per repetition.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ops=${OPS:-102400}
bash tests/install-deps.sh
make -s -C userspace-drivers O="$top/build/userspace"
read -r img kdir kver < <(bash tests/stock-kernel.sh 6.1)
ko=$(bash tests/build-module.sh "$kdir" "$top/build/module/$kver")
guest=$(mktemp)
trap 'rm -f "$guest"' EXIT
printf '#!/bin/sh\nuscheme bench %s >/dev/ttyS1 2>&1\n' "$ops" >"$guest"
echo ">> booting $kver in QEMU (2 vCPUs, software emulation)"
out=$top/build/vm/bench
bash tests/qemu/run-vm.sh --kernel "$img" --module "$ko" --script "$guest" \
	--out "$out" --file build/userspace/uscheme --timeout 1800
echo "kernel: $kver, QEMU $(qemu-system-x86_64 --version | head -n 1 | awk '{print $4}'), command: make bench OPS=$ops"
tr -d '\r' <"$out/tests.log"
