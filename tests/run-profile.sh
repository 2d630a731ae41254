#!/usr/bin/env bash
# make bench-profile: profile single cells of `make bench` with perf inside
# the stock 6.1 guest (2 vCPUs, TCG: no PMU, so perf samples cpu-clock), and
# print for each cell its row, the hottest symbols by self time, and the
# inclusive time of the steps of a request's path (the module's functions).
#
#   run-profile.sh [--ops N] [--no-perf] [--unpinned] [--out DIR] CELL...
#
# CELL is "MECH BYTES DEPTH" as `uscheme bench-cell` takes it (MECH: ring,
# fd, unix, pipe, fuse, uring), e.g. "ring 0 1" "fd 4096 1" "ring 0 128";
# an argument may hold several, split by commas ("ring 0 1,fd 0 1").
# --ops: round trips per repetition (default 4096; below 2048 one
# repetition). --no-perf: the rows alone. --unpinned: processes not pinned
# to CPU 0. KO=path uses that uscheme.ko. Output: DIR/profile.txt (default
# build/vm/profile). Takes the QEMU lock (/tmp/uscheme-qemu.lock) for the VM.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ops=4096 perf=1 unpinned= out=$top/build/vm/profile cells=()
while [ $# -gt 0 ]; do
	case "$1" in
	--ops) ops=$2; shift 2 ;;
	--no-perf) perf=; shift ;;
	--unpinned) unpinned=unpinned; shift ;;
	--out) out=$2; shift 2 ;;
	-*) echo "run-profile: unknown option $1" >&2; exit 2 ;;
	*) IFS=, read -r -a more <<<"$1"; cells+=("${more[@]}"); shift ;;
	esac
done
[ ${#cells[@]} -gt 0 ] || cells=("ring 0 1" "fd 0 1" "ring 4096 1" "fd 4096 1" "ring 0 128")
bash tests/install-deps.sh
make -s -C userspace-drivers O="$top/build/userspace" bench
read -r img kdir kver < <(bash tests/stock-kernel.sh 6.1)
ko=${KO:-$(bash tests/build-module.sh "$kdir" "$top/build/module/$kver")}

perf_bin=$(command -v perf || true)
if [ -n "$perf" ]; then
	[ -n "$perf_bin" ] || { echo "run-profile: no perf (apt-get install linux-perf)" >&2; exit 1; }
	# Debian's /usr/bin/perf may be a wrapper that runs perf_VERSION.
	if ! file -L "$perf_bin" | grep -q ELF; then
		perf_bin=$(ls /usr/bin/perf_* 2>/dev/null | sort -V | tail -n 1)
	fi
fi

mkdir -p "$out"
if [ -n "$perf" ] && [ "$(basename "$perf_bin")" != perf ]; then
	cp "$perf_bin" "$out/perf"	# the guest runs it as perf
	perf_bin=$out/perf
fi
guest=$(mktemp)
trap 'rm -f "$guest"' EXIT
{
	echo '#!/bin/sh'
	echo 'echo 0 >/proc/sys/kernel/kptr_restrict; echo -1 >/proc/sys/kernel/perf_event_paranoid'
	echo 'o=/dev/ttyS1'
	for c in "${cells[@]}"; do
		echo "echo >\$o; echo '=== cell: $c, $ops ops ${unpinned:-pinned} ===' >\$o"
		if [ -n "$perf" ]; then
			# cpu-clock on every CPU; the pinned bench runs on CPU 0 only
			# (CPU 1 idles), so the reports look at CPU 0 unless unpinned.
			echo "perf record -q -e cpu-clock -F 2000 -a -g -o /tmp/p.data -- uscheme bench-cell $c $ops $unpinned >\$o 2>&1"
			cpus=${unpinned:+0,1}
			cpus=${cpus:-0}
			echo "echo '--- self time, CPU $cpus (top symbols; swapper = idle) ---' >\$o"
			echo "perf report -i /tmp/p.data --stdio --no-children --cpu $cpus --sort sym -g none --percent-limit 0.4 2>/dev/null | grep -v '^#' | grep -v '^\$' | head -n 40 >\$o"
			echo "echo '--- by process, CPU $cpus ---' >\$o"
			echo "perf report -i /tmp/p.data --stdio --no-children --cpu $cpus --sort comm -g none 2>/dev/null | grep -v '^#' | grep -v '^\$' | head -n 8 >\$o"
			echo "echo '--- inclusive time (children), CPU $cpus: syscalls and uscheme functions ---' >\$o"
			echo "perf report -i /tmp/p.data --stdio --children --cpu $cpus --sort sym -g none --percent-limit 0.3 2>/dev/null | grep -E 'uscheme|__x64_sys|ioctl|entry_SYSCALL|schedule|pin_user|unpin_user|kmalloc|kfree|kmem_cache|fget|fput|wake_up|try_to_wake|memset|copy_|_raw_spin' | head -n 60 >\$o"
			echo 'rm -f /tmp/p.data'
		else
			echo "uscheme bench-cell $c $ops $unpinned >\$o 2>&1"
		fi
	done
} >"$guest"
args=(--kernel "$img" --module "$ko" --script "$guest" --out "$out/vm"
      --file build/userspace/uscheme --timeout 1800)
if [ -n "$perf" ]; then
	args+=(--file "$perf_bin")
	for lib in $(ldd "$perf_bin" | awk '/=> \//{print $3} /^\t\/lib/{print $1}'); do
		args+=(--rootfile "$lib")
	done
fi
echo ">> booting $kver in QEMU: ${#cells[@]} cell(s), $ops ops${perf:+, under perf}" >&2
start=$(date +%s)
rc=0
flock /tmp/uscheme-qemu.lock bash tests/qemu/run-vm.sh "${args[@]}" || rc=$?
{
	echo "kernel: $kver, 2 vCPUs (TCG), $(($(date +%s) - start)) s with the VM, command: run-profile.sh --ops $ops ${unpinned:+--unpinned }$([ -n "$perf" ] || echo --no-perf)"
	tr -d '\r' <"$out/vm/tests.log"
} >"$out/profile.txt"
cat "$out/profile.txt"
exit $rc
