#!/usr/bin/env bash
# make bench: boot Debian's stock 6.1 kernel in QEMU (2 vCPUs) and print the
# tables of `uscheme bench`: request/response round trips of a null service
# through uscheme (ring and handle fd), a Unix socket, a pipe, FUSE (the
# stock kernel's fuse.ko and bench-fused, a libfuse3 daemon) and io_uring
# NOPs; scaling over client processes; memory per ring and per request. All
# measured in one boot. OPS=N sets the round trips per repetition (a
# multiple of 128). KO=path uses that uscheme.ko instead of building one.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ops=${OPS:-4096}
bash tests/install-deps.sh
make -s -C userspace-drivers O="$top/build/userspace" bench
read -r img kdir kver < <(bash tests/stock-kernel.sh 6.1)
ko=${KO:-$(bash tests/build-module.sh "$kdir" "$top/build/module/$kver")}

# fuse.ko: Debian's 6.1 builds FUSE as a module. The image package is
# downloaded again (stock-kernel.sh keeps only vmlinuz) and fuse.ko cached.
cache=${USCHEME_CACHE:-/var/cache/uscheme}
fuse=$cache/stock/$kver/fuse.ko
if [ ! -f "$fuse" ]; then
	echo ">> extracting fuse.ko from linux-image-$kver-unsigned into $(dirname "$fuse")"
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download -q "linux-image-$kver-unsigned" >dl.log 2>&1) ||
		{ cat "$tmp/dl.log" >&2; rm -rf "$tmp"; exit 1; }
	dpkg-deb --fsys-tarfile "$tmp"/linux-image-*.deb |
		tar -x -O --wildcards './lib/modules/*/kernel/fs/fuse/fuse.ko' >"$tmp/fuse.ko"
	mkdir -p "$(dirname "$fuse")" && mv "$tmp/fuse.ko" "$fuse"
	rm -rf "$tmp"
fi

guest=$(mktemp)
trap 'rm -f "$guest"' EXIT
cat >"$guest" <<EOF
#!/bin/sh
insmod $fuse || echo "bench: insmod fuse.ko failed" >/dev/ttyS1
uscheme bench $ops >/dev/ttyS1 2>&1
echo "(uscheme bench exit \$?)" >/dev/ttyS1
EOF
echo ">> booting $kver in QEMU (2 vCPUs, software emulation); uscheme bench $ops"
out=$top/build/vm/bench

# Progress while the VM runs: the bench writes "bench progress: [i/N] cell
# (time so far, time left)" lines to stderr, which reach tests.log with the
# tables; show each new one on stderr (the tables follow at the end).
progress_watch() {
	local seen=0 n
	while sleep 2; do
		[ -f "$out/tests.log" ] || continue
		n=$(grep -c '^bench progress:' "$out/tests.log" || true)
		[ "$n" -ge "$seen" ] || seen=0	# booted again: a new log
		if [ "$n" -gt "$seen" ]; then
			grep '^bench progress:' "$out/tests.log" | tr -d '\r' |
				sed -n "$((seen + 1)),${n}p" | sed 's/^bench progress: />> bench /' >&2
			seen=$n
		fi
	done
}
progress_watch &
watch=$!
start=$(date +%s)
rc=0
bash tests/qemu/run-vm.sh --kernel "$img" --module "$ko" --script "$guest" \
	--out "$out" --file build/userspace/uscheme --file build/userspace/bench-fused \
	--rootfile "$fuse" --timeout 2400 || rc=$?
kill "$watch" 2>/dev/null || true
wait "$watch" 2>/dev/null || true
echo "kernel: $kver, QEMU $(qemu-system-x86_64 --version | head -n 1 | awk '{print $4}'), 2 vCPUs (TCG), command: make bench OPS=$ops, $(($(date +%s) - start)) s in the VM"
tr -d '\r' <"$out/tests.log" | grep -v '^bench progress: ' || true
exit $rc
