#!/usr/bin/env bash
# Every test of uscheme, in order:
#   builds (module W=1 on Debian 6.1 and 6.12 headers and the debug kernel,
#   userspace -Werror), sparse, checkpatch --strict, DKMS, the userspace suites
#   in QEMU on Debian's stock 6.1 and 6.12 kernels, and KUnit plus the same
#   suites on the debug kernel (KASAN, lockdep, UBSAN, kmemleak).
# Ends with one line "N passed, N failed" and exits non-zero on any failure.
# Logs: build/test-logs/. The first run builds the debug kernel (cached in
# /var/cache/uscheme, override with USCHEME_CACHE).
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
logs=$top/build/test-logs
rm -rf "$logs"
mkdir -p "$logs"
passed=0 failed=0 skipped=0
failures=()
t_start=$(date +%s)

pass() { passed=$((passed + 1)); printf '  PASS %s\n' "$1"; }
fail() { failed=$((failed + 1)); failures+=("$1"); printf '  FAIL %s%s\n' "$1" "${2:+ ($2)}"; }
skip() { skipped=$((skipped + 1)); printf '  SKIP %s (%s)\n' "$1" "$2"; }
phase() { printf '\n== %s  [%ds]\n' "$1" $(( $(date +%s) - t_start )); }

# step NAME CMD...: one test, its output in build/test-logs/NAME.log
step() {
	local name=$1 log
	shift
	log=$logs/${name//[^A-Za-z0-9._-]/_}.log
	if "$@" >"$log" 2>&1; then
		pass "$name"
		return 0
	fi
	fail "$name" "log: ${log#"$top"/}"
	tail -n 15 "$log" | sed 's/^/      | /'
	return 1
}

summary() {
	phase "summary"
	if [ ${#failures[@]} -gt 0 ]; then
		printf 'failed:\n'
		printf '  %s\n' "${failures[@]}"
	fi
	if [ "$skipped" -gt 0 ]; then
		echo "$passed passed, $failed failed, $skipped skipped"
	else
		echo "$passed passed, $failed failed"
	fi
	[ "$failed" = 0 ]
	exit $?
}

# The verdicts on the VMs' consoles and the suites' TAP: kernel_problems,
# check_vm, kmemleak_results, tap_results, valgrind_results, kunit_results.
# tests/selftest/harness-selftest.sh proves that each can fail.
. "$top/tests/lib/harness.sh"

phase "dependencies (Debian packages; the first run installs them)"
if ! step "install dependencies" bash tests/install-deps.sh; then
	summary
fi

# The debug kernel (about 16 minutes on a fresh machine, cached afterwards)
# builds in the background while everything that does not need it runs:
# the builds, the host tests, DKMS and the stock kernels' VMs. Its phase
# below waits for it.
bash tests/kernel/build-debug-kernel.sh >"$logs/debug-kernel.path" 2>"$logs/debug-kernel.log" &
dbg_pid=$!
echo "  debug kernel: building or found in the cache in the background (log: build/test-logs/debug-kernel.log)"

phase "userspace builds (C11, -Wall -Wextra -Werror; static, ASan+UBSan, 32-bit)"
step "userspace build" make -C userspace-drivers O="$top/build/userspace" -j"$(nproc)"
# A uapi header must compile as C++ too (no C++ keywords as field names).
step "uapi/uscheme.h compiles as C++ (g++ -std=c++11 -Werror)" bash -c \
	'printf "#include \"uapi/uscheme.h\"\nint main() { return 0; }\n" |
	 g++ -std=c++11 -Wall -Wextra -Werror -I. -x c++ -fsyntax-only -'
# The guest suites (tests/vm-suites.sh runs the same list); each prints "# suite NAME".
suites=(ring reactor scheme route events device harden)
# Everything the userspace build made (tool, daemons, pcid and pcid.conf,
# suites; not the library) and every guest suite script
# (tests/drivers/guest/*-suite.sh) goes to the guest's /bin.
bins=(--file "$top/tests/device/device-tool.sh" --file "$top/tests/trace/trace-suite.sh")
for f in "$top"/build/userspace/* "$top"/tests/drivers/guest/*-suite.sh; do
	[ -f "$f" ] && [ "${f%.a}" = "$f" ] && bins+=(--file "$f")
done
for t in "${suites[@]}"; do
	[ -x "$top/build/userspace/${t}_test" ] || fail "userspace build: no ${t}_test"
done
# The VMs' PCI functions for the device suite (fixed addresses, as
# tests/device/device-tool.sh expects): an xHCI with MSI-X (qemu-xhci), one
# with INTx only (QEMU 7.2's qemu-xhci has no msi/msix switches; nec-usb-xhci
# has), and a function the kernel's own 8250_pci driver takes (pci-serial).
devices="-device qemu-xhci,id=xhci0,addr=04.0 -device nec-usb-xhci,id=xhci1,msi=off,msix=off,p3=0,addr=05.0"
devices+=" -device pci-serial,addr=06.0"
# USB devices on the controllers for the xhcid suite (two disks with a
# known pattern, a keyboard, QEMU's monitor on ttyS2): tests/qemu/usb-devices.sh.
devices+=" $(bash tests/qemu/usb-devices.sh args "$top/build/userspace/xhcid_test" "$top/build/vm/usb")" ||
	fail "USB disk images for the xhcid suite"
# The images again, stamped anew, before each VM that boots with them: the
# blk-usb suite makes a file system on disk 0 after the xhcid suite, and the
# next VM's xhcid suite would read that instead of its stamps.
usb_images() {
	bash tests/qemu/usb-devices.sh args "$top/build/userspace/xhcid_test" "$top/build/vm/usb" \
		>/dev/null || fail "USB disk images for the xhcid suite, before the $1 VM"
}
# The same suites built with ASan, UBSan and LeakSanitizer (dynamic, so the
# 6.1 VM gets the libraries too); valgrind cannot run in the test VM.
asan_bins=()
asan=$top/build/userspace-asan
if step "userspace build (ASan+UBSan)" make -C userspace-drivers O="$asan" STATIC= -j"$(nproc)" tests \
	XFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"; then
	for t in "${suites[@]}"; do
		cp "$asan/${t}_test" "$asan/${t}_test-asan"
		asan_bins+=(--file "$asan/${t}_test-asan")
	done
	# xhcid too: the xhcid suite runs it (as pcid's driver) where it is shipped,
	# and LeakSanitizer reports what it left at exit.
	cp "$asan/xhcid" "$asan/xhcid-asan" && asan_bins+=(--file "$asan/xhcid-asan")
	for lib in $(ldd "$asan/ring_test" | grep -oE '/[^ ]+\.so[^ ]*'); do
		asan_bins+=(--rootfile "$lib")
	done
fi

# The same suites as 32-bit processes (the module's compat ioctl path); the
# stock kernels run them (the debug kernel has no IA32 emulation).
m32_bins=()
m32=$top/build/userspace-m32
if step "userspace build (32-bit)" make -C userspace-drivers O="$m32" XFLAGS=-m32 -j"$(nproc)" tests; then
	for t in "${suites[@]}" schemes; do
		cp "$m32/${t}_test" "$m32/${t}_test-m32"
		m32_bins+=(--file "$m32/${t}_test-m32")
	done
	for d in ramd nulld; do
		cp "$m32/$d" "$m32/$d-m32"
		m32_bins+=(--file "$m32/$d-m32")
	done
fi

phase "host: library unit tests under valgrind (no kernel needed)"
host=$top/build/userspace-host
if step "userspace build (host, dynamic)" make -C userspace-drivers O="$host" STATIC= -j"$(nproc)" tests; then
	valgrind -q --leak-check=full --errors-for-leak-kinds=all --error-exitcode=99 \
		"$host/reactor_test" unit_ >"$logs/valgrind-reactor.log" 2>&1
	valgrind_results "host valgrind: reactor_test unit_" $? "$logs/valgrind-reactor.log"
	tap_results "host valgrind" "$logs/valgrind-reactor.log" reactor
	# libuscheme's daemon framework and ramd's file tree, on fake rings;
	# pcid's config parser and its enumeration of a fake sysfs tree;
	# uscheme lsusb's descriptor parser on good, cut and hostile bytes;
	# xhcid's descriptor parsers (xhcid/descparse.c) on the same kind;
	# xhcid's SET_CONFIGURATION/SET_INTERFACE against shared endpoint addresses;
	# usbscsid's parsers, and its request path against a hostile device.
	for t in daemon ramfs pcid_unit usbdesc xhcid_desc xhcid_alt usbscsid_unit usbscsid_io; do
		valgrind -q --leak-check=full --errors-for-leak-kinds=all --error-exitcode=99 \
			"$host/${t}_test" >"$logs/valgrind-$t.log" 2>&1
		valgrind_results "host valgrind: ${t}_test" $? "$logs/valgrind-$t.log"
		tap_results "host valgrind" "$logs/valgrind-$t.log" "$t"
	done
fi

phase "module builds (W=1, warnings fail) and sparse"
declare -A ko kdir_of
for series in 6.1 6.12; do
	if read -r img kdir kver < <(bash tests/stock-kernel.sh "$series" 2>>"$logs/stock-kernels.log"); then
		kdir_of[$series]=$kdir
		if step "module build $kver W=1" bash tests/build-module.sh "$kdir" "$top/build/module/$kver"; then
			build_log_results "module build $kver" "$top/build/module/$kver/build.log"
			ko[$series]=$top/build/module/$kver/src/uscheme.ko
			echo "$img" >"$top/build/module/$kver/kernel-image"
		fi
		step "sparse $kver" bash tests/sparse.sh "$kdir" "$top/build/sparse/$kver"
	else
		fail "stock kernel $series" "log: build/test-logs/stock-kernels.log"
	fi
done

phase "DKMS add/build/install on both header series"
step "dkms" bash tests/dkms-test.sh
dkms_results "$logs/dkms.log" 6.1 6.12

for series in 6.1 6.12; do
	[ -n "${ko[$series]:-}" ] || { fail "VM $series: no module built"; continue; }
	kver=$(basename "$(dirname "$(dirname "${ko[$series]}")")")
	phase "QEMU: Debian stock $kver, userspace suites"
	out=$top/build/vm/$kver
	# The 32-bit suites run on 6.12 only (the module's compat path is the same
	# code on both; 6.1 runs the ASan builds instead): the suite must fit in
	# its time budget as the drivers' suites grow.
	extra_bins=()
	[ "$series" = 6.12 ] && extra_bins+=("${m32_bins[@]}")
	# Linux's own USB host modules: the xhcid suite compares descriptors.
	for m in $(bash tests/qemu/usb-devices.sh linux-modules "$kver" "$top/build/vm/usb/$kver" \
		2>>"$logs/stock-kernels.log"); do
		extra_bins+=(--file "$m")
	done
	[ "$series" = 6.1 ] && extra_bins+=("${asan_bins[@]}")
	# The blk suite's kernel modules (ext4, nbd, ublk_drv), mkfs.ext4,
	# fsck.ext4 and fio with their libraries.
	blk_args=()
	if ! mapfile -t blk_args < <(bash tests/qemu/blk-files.sh "$kver" "$top/build/vm/blk/$kver" \
		2>>"$logs/stock-kernels.log") || [ ${#blk_args[@]} = 0 ]; then
		fail "blk suite files for $kver" "log: build/test-logs/stock-kernels.log"
	fi
	extra_bins+=("${blk_args[@]}")
	usb_images "$kver"
	bash tests/qemu/run-vm.sh --kernel "$(cat "$top/build/module/$kver/kernel-image")" \
		--module "${ko[$series]}" --script tests/vm-suites.sh --out "$out" \
		"${bins[@]}" "${extra_bins[@]}" --timeout 1500 --mem 2048 --qemu "$devices" \
		>"$logs/vm-$kver.log" 2>&1
	want=("${suites[@]}" tool schemes-tool schemes device-tool pcid pcid-scheme fuzz xhcid xhcid-scheme xhcid-attack
	      blk-nbd blk-usb blk-tool trace)
	[ "$series" = 6.12 ] && [ ${#m32_bins[@]} -gt 0 ] && want+=("${suites[@]/%/-m32}" schemes-m32)
	# ublk where the kernel builds ublk_drv (Debian's 6.12, not its 6.1)
	[ "$series" = 6.12 ] && want+=(blk-ublk)
	[ "$series" = 6.1 ] && [ ${#asan_bins[@]} -gt 0 ] && want+=("${suites[@]/%/-asan}")
	tap_results "$kver" "$out/tests.log" "${want[@]}"
	check_vm "$kver" "$out"

	# usbscsid in VMs of its own (tests/usbscsid-vm.sh): five USB disks
	# (USB3, USB2, 4096-byte blocks, two LUNs, read-only, over 2 TiB), the
	# suite, then a second boot where Linux's usb-storage reads what
	# usbscsid wrote and FSYNCed before the first powered off.
	phase "QEMU: Debian stock $kver, usbscsid (its USB disks; then Linux's usb-storage checks the data)"
	out=$top/build/vm/$kver-usbscsid
	# 6.1: usbscsid's ASan+UBSan+LSan build is the one pcid runs there.
	usargs=()
	[ "$series" = 6.1 ] && [ ${#asan_bins[@]} -gt 0 ] && usargs+=(--asan "$asan")
	bash tests/usbscsid-vm.sh --kernel "$(cat "$top/build/module/$kver/kernel-image")" \
		--module "${ko[$series]}" --out "$out" --kver "$kver" "${usargs[@]}" \
		>"$logs/vm-$kver-usbscsid.log" 2>&1
	sed 's/^/      | /' "$logs/vm-$kver-usbscsid.log" | grep 'took' || true
	tap_results "$kver usbscsid" "$out/boot1/tests.log" usbscsid usbscsid-scheme
	check_vm "$kver usbscsid" "$out/boot1"
	tap_results "$kver usbscsid Linux checks" "$out/boot2/tests.log" usbscsid-linux
	check_vm "$kver usbscsid Linux checks" "$out/boot2"

	# The device suite again behind an IOMMU (q35 + intel-iommu, DMA
	# remapping only): bus addresses are IOVAs, and the controller's DMA
	# and MSI-X still work.
	phase "QEMU: Debian stock $kver with an IOMMU, device suite"
	out=$top/build/vm/$kver-iommu
	bash tests/qemu/run-vm.sh --kernel "$(cat "$top/build/module/$kver/kernel-image")" \
		--module "${ko[$series]}" --script tests/vm-device.sh --out "$out" \
		--file "$top/build/userspace/device_test" --file "$top/build/userspace/uscheme" \
		--timeout 600 --mem 1024 --append "intel_iommu=on" \
		--qemu "-machine q35 -device intel-iommu,intremap=off $devices" \
		>"$logs/vm-$kver-iommu.log" 2>&1
	tap_results "$kver iommu" "$out/tests.log" device
	check_vm "$kver iommu" "$out"
done

phase "debug kernel (linux-source-6.1 + KUnit, KASAN, lockdep, UBSAN, kmemleak; cached; built in the background)"
dbg=""
echo "  (waiting for the background build: $logs/debug-kernel.log)"
if wait "$dbg_pid" && dbg=$(cat "$logs/debug-kernel.path") && [ -n "$dbg" ]; then
	pass "debug kernel build"
	# USCHEME_TEST_HOOKS=y: module/testing.c (test_plant_leak), for the
	# debug VM's planted kmemleak failure; no other build has it.
	step "module build debug kernel W=1" bash tests/build-module.sh "$dbg/tree" "$top/build/module/debug" \
		USCHEME_TEST_HOOKS=y && ko[debug]=$top/build/module/debug/src/uscheme.ko &&
		build_log_results "module build debug kernel" "$top/build/module/debug/build.log"
else
	fail "debug kernel build" "log: build/test-logs/debug-kernel.log"
	dbg=""
fi

phase "harness self-test: planted failures each check must catch (host, seconds)"
step "harness self-test" bash tests/selftest/harness-selftest.sh "${dbg:+$dbg/tree}"
tap_results "harness" "$logs/harness_self-test.log" harness

phase "checkpatch --strict"
if [ -n "$dbg" ]; then
	step "checkpatch --strict module/ uapi/" perl "$dbg/tree/scripts/checkpatch.pl" --strict --no-tree \
		--quiet -f module/*.c module/*.h module/tests/*.c uapi/uscheme.h
else
	fail "checkpatch" "needs the extracted kernel source of the debug kernel"
fi

if [ -n "${ko[debug]:-}" ]; then
	phase "QEMU: debug kernel, KUnit and userspace suites under KASAN/lockdep/UBSAN/kmemleak"
	out=$top/build/vm/debug
	# acpi=noirq: PCI interrupt routing from the BIOS's table, not ACPI's
	# _PRT, which pci_enable_device and pci_disable_device (every device
	# session's start and end) evaluate, about 20 s each under KASAN,
	# kmemleak and lockdep in TCG. Only PCI interrupt routing changes.
	usb_images debug
	bash tests/qemu/run-vm.sh --kernel "$dbg/bzImage" --module "${ko[debug]}" \
		--script tests/vm-suites.sh --out "$out" "${bins[@]}" --timeout 1800 --mem 2048 \
		--qemu "$devices" --append "acpi=noirq" --plant-leak >"$logs/vm-debug.log" 2>&1
	step "KUnit: every suite reported, kunit.py parse clean" \
		bash tests/kunit-parse.sh "$dbg/tree" "$out/console.log"
	kunit_results "$logs/KUnit__every_suite_reported__kunit.py_parse_clean.log"
	tap_results "debug" "$out/tests.log" "${suites[@]}" tool schemes-tool schemes device-tool \
		pcid pcid-scheme fuzz xhcid xhcid-scheme xhcid-attack trace
	check_vm "debug" "$out"
	# The real verdict, then the leak planted after it (--plant-leak).
	kmemleak_results "debug" "$out" planted
	# usbscsid's suite (tests/usbscsid-vm.sh --quick: 2000 blocks instead of
	# 12000; no Linux usb-storage boot, the debug kernel has no such modules).
	out=$top/build/vm/debug-usbscsid
	bash tests/usbscsid-vm.sh --kernel "$dbg/bzImage" --module "${ko[debug]}" --out "$out" --quick \
		--append "acpi=noirq" >"$logs/vm-debug-usbscsid.log" 2>&1
	sed 's/^/      | /' "$logs/vm-debug-usbscsid.log" | grep 'took' || true
	tap_results "debug usbscsid" "$out/boot1/tests.log" usbscsid usbscsid-scheme
	check_vm "debug usbscsid" "$out/boot1"
	kmemleak_results "debug usbscsid" "$out/boot1"
else
	fail "QEMU debug kernel run" "no module for the debug kernel"
fi

summary
