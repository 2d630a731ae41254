#!/usr/bin/env bash
# Boot a kernel under QEMU (software emulation) with a busybox initramfs that
# loads uscheme.ko, runs a test script, unloads the module, checks kmemleak
# where the kernel has it, and powers off.
#
#   run-vm.sh --kernel IMG --module KO --script SH --out DIR [--file PATH]...
#             [--timeout SECONDS] [--mem MB] [--qemu "extra args"]
#             [--append "extra kernel command line"]
#
# DIR/console.log gets the kernel console (ttyS0); DIR/tests.log gets what the
# script writes to /dev/ttyS1 (test output, kept apart from kernel messages).
# Files given with --file land in /bin of the guest; --rootfile PATH copies PATH
# (a shared library, say) to the same path in the guest. Exit status: 0 when the
# guest reached the end of its script, 1 otherwise (hang, panic, timeout).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kernel= module= script= out= timeout=600 mem=1024 extra=() append=
files=() rootfiles=()
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) kernel=$2; shift 2 ;;
	--module) module=$2; shift 2 ;;
	--script) script=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--file) files+=("$2"); shift 2 ;;
	--rootfile) rootfiles+=("$2"); shift 2 ;;
	--timeout) timeout=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--qemu) read -r -a extra <<<"$2"; shift 2 ;;
	--append) append=$2; shift 2 ;;
	*) echo "run-vm: unknown argument $1" >&2; exit 2 ;;
	esac
done
[ -n "$kernel" ] && [ -n "$module" ] && [ -n "$script" ] && [ -n "$out" ] ||
	{ echo "run-vm: --kernel, --module, --script and --out are required" >&2; exit 2; }

mkdir -p "$out"
root=$out/initramfs
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc}
cp /bin/busybox "$root/bin/busybox"
cp "$module" "$root/uscheme.ko"
cp "$here/init.sh" "$root/init"
cp "$script" "$root/test.sh"
for f in "${files[@]}"; do
	cp "$f" "$root/bin/"
done
for f in "${rootfiles[@]}"; do
	mkdir -p "$root$(dirname "$f")"
	cp -L "$f" "$root$f"
done
chmod +x "$root/init" "$root/test.sh"
(cd "$root" && find . | cpio -o -H newc --quiet | gzip -1) >"$out/initramfs.cpio.gz"

rm -f "$out/console.log" "$out/tests.log"
set +e
timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
	-m "$mem" -smp 2 -nographic -no-reboot -monitor none \
	-kernel "$kernel" -initrd "$out/initramfs.cpio.gz" \
	-append "console=ttyS0 panic=-1 oops=panic panic_on_warn=0 loglevel=7${append:+ $append}" \
	-serial "file:$out/console.log" -serial "file:$out/tests.log" \
	"${extra[@]}" </dev/null >"$out/qemu.log" 2>&1
rc=$?
set -e
if [ $rc = 124 ] || [ $rc = 137 ]; then
	echo "run-vm: the VM did not finish within ${timeout}s" >&2
fi
grep -q '^USCHEME-VM: done' "$out/console.log" 2>/dev/null
