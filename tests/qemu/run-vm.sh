#!/usr/bin/env bash
# Boot a kernel under QEMU (software emulation) with a busybox initramfs that
# loads uscheme.ko, runs a test script, unloads the module, checks kmemleak
# where the kernel has it, and powers off.
#
#   run-vm.sh --kernel IMG --module KO --script SH --out DIR [--file PATH]...
#             [--timeout SECONDS] [--mem MB] [--qemu "extra args"]
#             [--append "extra kernel command line"] [--plant-leak]
#
# DIR/console.log gets the kernel console (ttyS0); DIR/tests.log gets what the
# script writes to /dev/ttyS1 (test output, kept apart from kernel messages).
# Files given with --file land in /bin of the guest; --rootfile PATH copies PATH
# (a shared library, say) to the same path in the guest. A guest that never
# reaches init (QEMU failed to start, the kernel died booting) is booted once
# more, with a note and the first attempt's logs in DIR/retried and
# DIR/attempt1. Exit status: 0 when the guest reached the end of its script,
# 1 otherwise (hang, panic, timeout).
#
# DIR/vm-token holds the random token that ends init.sh's markers in this
# boot (a test program cannot print them). --plant-leak has init.sh leak on
# purpose after its kmemleak verdict (module built with USCHEME_TEST_HOOKS=y,
# kernel with kmemleak) and say whether kmemleak caught it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
kernel= module= script= out= timeout=600 mem=1024 extra=() append= plant=
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
	--plant-leak) plant=1; shift ;;
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
cp "$here/kmemleak.awk" "$root/kmemleak.awk"
token=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
echo "$token" >"$root/vm-token"
echo "$token" >"$out/vm-token"
[ -z "$plant" ] || touch "$root/plant-leak"
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

# no_timer_check: the kernel's early check that the IO-APIC delivers timer
# interrupts can fail when TCG is starved of host CPU, and then panics
# ("IO-APIC + timer doesn't work!") before init runs.
boot() {
	rm -f "$out/console.log" "$out/tests.log"
	set +e
	timeout --foreground -k 10 "$timeout" qemu-system-x86_64 \
		-m "$mem" -smp 2 -nographic -no-reboot -monitor none \
		-kernel "$kernel" -initrd "$out/initramfs.cpio.gz" \
		-append "console=ttyS0 panic=-1 oops=panic panic_on_warn=0 loglevel=7 no_timer_check${append:+ $append}" \
		-serial "file:$out/console.log" -serial "file:$out/tests.log" \
		"${extra[@]}" </dev/null >"$out/qemu.log" 2>&1
	rc=$?
	set -e
}

rm -f "$out/retried"
boot
# A guest that never reached init ran none of uscheme's code: QEMU could not
# start, or the kernel died booting. Boot once more, and leave a note that
# says so (tests/run-all.sh prints it) with the first attempt's logs.
if ! grep -q '^USCHEME-VM: booted' "$out/console.log" 2>/dev/null; then
	mkdir -p "$out/attempt1"
	cp "$out/qemu.log" "$out/attempt1/" 2>/dev/null || true
	cp "$out/console.log" "$out/attempt1/" 2>/dev/null || true
	{
		echo "the first boot never reached init (qemu exit $rc); booted again"
		echo "qemu.log:"
		tail -n 5 "$out/qemu.log" 2>/dev/null
		echo "console.log (last lines):"
		tail -n 10 "$out/console.log" 2>/dev/null
	} >"$out/retried"
	echo "run-vm: $(head -n 1 "$out/retried")" >&2
	boot
fi
if [ $rc = 124 ] || [ $rc = 137 ]; then
	echo "run-vm: the VM did not finish within ${timeout}s" >&2
fi
grep -aqF "USCHEME-VM: done [$token]" "$out/console.log" 2>/dev/null
