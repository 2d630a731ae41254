#!/usr/bin/env bash
# make fuzz: the fuzzer's long run (tests/fuzz) in one VM, on the debug
# kernel (KASAN, lockdep, UBSAN, kmemleak) when it is built and cached, else
# on Debian's stock 6.12 kernel. Prints the fuzzer's output (its seed, the
# operations tried per family) and fails on any fuzzer violation or kernel
# report on the console.
#   FUZZ_SECONDS=N   length of the run (default 600)
#   FUZZ_ARGS="..."  more fuzz_test arguments (--seed N, --skip a,b, ...)
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top"
secs=${FUZZ_SECONDS:-600}
bash tests/install-deps.sh
make -s -C userspace-drivers O="$top/build/userspace" "$top/build/userspace/fuzz_test"

cache=${USCHEME_CACHE:-/var/cache/uscheme}
dbg=$(ls -d "$cache"/debug-kernel-*/ 2>/dev/null | head -n 1 || true)
if [ -n "$dbg" ] && [ -f "$dbg/bzImage" ] && [ -d "$dbg/tree" ]; then
	kernel=$dbg/bzImage
	ko=$(bash tests/build-module.sh "$dbg/tree" "$top/build/module/debug")
	label=debug
	append=acpi=noirq
else
	read -r kernel kdir kver < <(bash tests/stock-kernel.sh 6.12)
	ko=$(bash tests/build-module.sh "$kdir" "$top/build/module/$kver")
	label=$kver
	append=
fi
[ -f "$ko" ] || ko=$(find "$top/build/module/${label}" -name uscheme.ko | head -n 1)
echo ">> fuzzing for $secs s in QEMU on the $label kernel"

guest=$(mktemp)
trap 'rm -f "$guest"' EXIT
cat >"$guest" <<EOF
#!/bin/sh
fuzz_test --seconds $secs ${FUZZ_ARGS:-} >/dev/ttyS1 2>&1
echo "fuzz_test exit \$?" >/dev/ttyS1
EOF
out=$top/build/vm/fuzz-$label
rc=0
bash tests/qemu/run-vm.sh --kernel "$kernel" --module "$ko" --script "$guest" --out "$out" \
	--file "$top/build/userspace/fuzz_test" --timeout $((secs + 600)) --mem 2048 \
	--append "$append" || rc=1
tr -d '\r' <"$out/tests.log"
grep -q '^fuzz_test exit 0' <(tr -d '\r' <"$out/tests.log") || rc=1
# The kernel's reports after the module loaded (tests/run-all.sh looks for the same).
problems=$(sed -n '/^USCHEME-VM: booted/,$p' "$out/console.log" | grep -E \
	'BUG:|WARNING:|KASAN|UBSAN|possible circular locking|possible recursive locking|inconsistent lock state|suspicious RCU usage|Kernel panic|Oops|general protection fault|kmemleak report follows|unreferenced object|INFO: task .* blocked|Call Trace' |
	head -n 20 || true)
if [ -n "$problems" ]; then
	echo "fuzz: kernel reports on the console ($out/console.log):"
	printf '%s\n' "$problems" | sed 's/^/  /'
	rc=1
fi
grep -q '^USCHEME-VM: rmmod ok' "$out/console.log" || { echo "fuzz: rmmod failed after the run"; rc=1; }
[ "$rc" = 0 ] && echo "fuzz: ok" || echo "fuzz: FAILED (replay with the seed above: FUZZ_ARGS='--seed N')"
exit "$rc"
