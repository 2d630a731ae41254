#!/usr/bin/env bash
# make bench-usb: one USB disk read through Linux's own stack and through
# xhcid, in ONE boot of Debian's stock 6.1 kernel under QEMU (TCG, 1 vCPU):
# a qemu-xhci with one usb-storage disk on a USB3 port, read first through
# Linux's xhci-hcd, usb-storage and sd (O_DIRECT preads of /dev/sdX), then,
# the modules unloaded, through xhcid under pcid and its usb.0000-00-04.0:
# scheme (Bulk-Only READ(10) commands on the endpoint handles, through a
# client ring and with read/write); ROUNDS times in turn. The same workloads
# (4 KiB sequential and random reads, 1 MiB sequential reads, queue depth 1)
# on the same disk, every read checked against the image and each
# workload's checksum compared across the stacks; then one table of the
# medians over the rounds. Guest side: tests/usb-bench-guest.sh; the
# client: userspace-drivers/bench/usbbench.c. Not part of make check.
#
# Environment: OPS4K (reads per 4 KiB workload, default 5000), OPS1M (1 MiB
# reads, default 256), DISK_MIB (the disk, default 64), ROUNDS (default 3),
# VCPUS (default 1), BUILD (output directory, default build/), KO (a
# uscheme.ko to use). "run-usb-bench.sh --table DIR" prints the table of a
# finished run again (DIR: its VM directory, build/vm/usb-bench).
set -euo pipefail

# table DIR: the table of a run, from DIR/bench.log (the guest's output),
# DIR/image.sum (usbbench --sum of the image) and DIR/header; and the data
# check: every workload's checksum the same on every stack in every round,
# every whole-disk checksum the image's. Exit status 1 on a mismatch or a
# missing number.
table() {
	cat "$1/header"
	{
		cat "$1/image.sum"
		grep -E '^usbbench: (result|region|stages|memcpy) ' "$1/bench.log"
		grep -E '^usb-bench: (stat|round) ' "$1/bench.log"
	} | awk '
# key=value fields of this line into the array f (emptied first)
function fields(   i, n, a, k) {
	split("", f)
	for (i = 1; i <= NF; i++)
		if ((k = index($i, "=")) > 1)
			f[substr($i, 1, k - 1)] = substr($i, k + 1)
}
# keep every key=value of this line: v[stack, workload, key, round]
function keep(st, w,   k, r) {
	r = ++n[st, w]
	for (k in f)
		v[st, w, k, r] = f[k]
}
$2 == "region" { fields(); if ($3 == "image") image = f["sum"]; else keep($3, "region"); next }
$2 == "result" || $2 == "stages" { fields(); keep($3, $2 == "stages" ? "stages " $4 : $4); next }
$2 == "memcpy" { fields(); keep($3, "memcpy"); next }
$2 == "stat" { fields(); keep($3, "stat"); next }
$2 == "round" && $4 == "of" { rounds = $5 + 0; next }
# the median over the rounds of v[st, w, k, *] ("" if none)
function med(st, w, k,   i, m, a, t, j) {
	m = 0
	for (i = 1; i <= n[st, w]; i++)
		if ((st, w, k, i) in v)
			a[++m] = v[st, w, k, i] + 0
	if (!m)
		return ""
	for (i = 2; i <= m; i++)	# insertion sort: a few rounds
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	return m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
}
function ratio(a, b) { return (a > 0 && b > 0) ? sprintf("%.2f", a / b) : "-" }
function cell(x, unit) { return x == "" ? "missing" : x " " unit }
function num(x, fmt) { return x == "" ? "-" : sprintf(fmt, x) }
# the workload rate: IOPS for 4 KiB, MiB/s for 1 MiB
function rate(st, w) { return med(st, w, w == "1m-seq" ? "mibs" : "iops") }
END {
	nst = split("linux xhcid-ring xhcid-fd xhcid-ring2", stacks, " ")
	nw = split("4k-seq 4k-rand 1m-seq", ws, " ")
	name["4k-seq"] = "4k seq read QD1"; name["4k-rand"] = "4k rand read QD1"
	name["1m-seq"] = "1M seq read QD1"
	unit["4k-seq"] = unit["4k-rand"] = "IOPS"; unit["1m-seq"] = "MiB/s"
	short["xhcid-ring"] = "ring"; short["xhcid-fd"] = "fd"; short["xhcid-ring2"] = "ring2"
	short["linux"] = "linux"
	bad = 0
	printf "medians of %d rounds (each: Linux, then xhcid; the rounds one after another in the one boot)\n", rounds
	printf "%-22s %-19s %-19s %-7s %-19s %s\n", "workload", "linux-usb-storage",
		"xhcid+usb.*: ring", "ratio", "xhcid+usb.*: fd", "ratio"
	for (i = 1; i <= nw; i++) {
		w = ws[i]
		l = rate("linux", w); r = rate("xhcid-ring", w); x = rate("xhcid-fd", w)
		printf "%-22s %-19s %-19s %-7s %-19s %s\n", name[w], cell(num(l, "%.0f"), unit[w]),
			cell(num(r, "%.0f"), unit[w]), ratio(r, l), cell(num(x, "%.0f"), unit[w]), ratio(x, l)
	}
	for (i = 1; i <= nw; i++) {
		w = ws[i]
		l = med("linux", w, "lat_us_p50"); r = med("xhcid-ring", w, "lat_us_p50")
		x = med("xhcid-fd", w, "lat_us_p50")
		printf "%-22s %-19s %-19s %-7s %-19s %s\n", "  p50 latency " w, cell(num(l, "%.0f"), "us"),
			cell(num(r, "%.0f"), "us"), ratio(r, l), cell(num(x, "%.0f"), "us"), ratio(x, l)
	}
	print "(rates: reads / the sum of their latencies, each read from its issue to its completion; ratio: xhcid / linux)"
	printf "ring2 (CBW and data READ in one enter, then the CSW READ):"
	for (i = 1; i <= nw; i++) {
		w = ws[i]
		r = rate("xhcid-ring2", w)
		printf " %s %s, ratio %s%s", w, cell(num(r, "%.0f"), unit[w]), ratio(r, rate("linux", w)),
			i < nw ? ";" : "\n"
	}
	printf "p99 latency, us (linux/ring/fd):"
	for (i = 1; i <= nw; i++)
		printf " %s %s/%s/%s%s", ws[i], num(med("linux", ws[i], "lat_us_p99"), "%.0f"),
			num(med("xhcid-ring", ws[i], "lat_us_p99"), "%.0f"),
			num(med("xhcid-fd", ws[i], "lat_us_p99"), "%.0f"), i < nw ? "," : "\n"
	for (j = 2; j <= nst; j++) {
		st = stacks[j]
		printf "xhcid transfers/s (%-6s 3 per command):", short[st] ","
		for (i = 1; i <= nw; i++) {
			x = med(st, ws[i], "iops")
			printf " %s %s%s", ws[i], x == "" ? "-" : sprintf("%.0f", 3 * x), i < nw ? "," : "\n"
		}
	}
	split("cbw data csw", stg, " ")
	for (j = 2; j <= 3; j++) {
		st = stacks[j]
		printf "%-5s p50 of each stage, us (CBW/data/CSW):", short[st]
		for (i = 1; i <= nw; i++) {
			printf " %s", ws[i]
			for (k = 1; k <= 3; k++)
				printf "%s%s", k == 1 ? " " : "/", num(med(st, "stages " ws[i], stg[k] "_us_p50"), "%.0f")
			printf "%s", i < nw ? "," : "\n"
		}
	}
	printf "xHCI interrupts per command:"
	for (j = 1; j <= nst; j++)
		printf " %s %s%s", short[stacks[j]], num(med(stacks[j], "stat", "irq_per_cmd"), "%.2f"),
			j < nst ? "," : "\n"
	printf "usbbench'"'"'s context switches per read (linux/ring/fd):"
	for (i = 1; i <= nw; i++)
		printf " %s %s/%s/%s%s", ws[i], num(med("linux", ws[i], "csw_per_op"), "%.2f"),
			num(med("xhcid-ring", ws[i], "csw_per_op"), "%.2f"),
			num(med("xhcid-fd", ws[i], "csw_per_op"), "%.2f"), i < nw ? "," : "\n"
	printf "xhcid per command (all of a run'"'"'s commands):"
	for (j = 2; j <= nst; j++)
		printf " %s %s context switches, %s us of CPU%s", short[stacks[j]],
			num(med(stacks[j], "stat", "xhcid_ctxsw_per_cmd"), "%.2f"),
			num(med(stacks[j], "stat", "xhcid_cpu_us_per_cmd"), "%.0f"), j < nst ? ";" : "\n"
	printf "memcpy of 1 MiB in this guest: %s us\n", num(med("linux", "memcpy", "us_p50"), "%.0f")
	printf "each round (4k seq IOPS / 4k rand IOPS / 1M MiB/s):"
	for (j = 1; j <= nst; j++) {
		printf " %s", short[stacks[j]]
		for (r = 1; r <= rounds; r++)
			printf "%s%s/%s/%s", r == 1 ? " " : ", ", num(v[stacks[j], "4k-seq", "iops", r], "%.0f"),
				num(v[stacks[j], "4k-rand", "iops", r], "%.0f"),
				num(v[stacks[j], "1m-seq", "mibs", r], "%.0f")
		printf "%s", j < nst ? ";" : "\n"
	}
	# the data: the whole disk, and each workload, equal everywhere, every round
	if (rounds < 1) {
		print "MISSING: the number of rounds (usb-bench: round 1 of N)"
		bad = 1
	}
	if (image == "") {
		print "MISSING: the image'"'"'s checksum"
		bad = 1
	}
	for (j = 1; j <= nst; j++) {
		st = stacks[j]
		for (r = 1; r <= rounds; r++) {
			if (!((st, "region", "sum", r) in v)) {
				printf "MISSING: %s round %d: no whole-disk checksum\n", st, r
				bad = 1
			} else if (v[st, "region", "sum", r] != image) {
				printf "DATA MISMATCH: %s round %d read the disk as %s, the image is %s\n", st, r,
					v[st, "region", "sum", r], image
				bad = 1
			}
			for (i = 1; i <= nw; i++) {
				if (!((st, ws[i], "sum", r) in v)) {
					printf "MISSING: %s round %d %s: no result\n", st, r, ws[i]
					bad = 1
				} else if (v[st, ws[i], "sum", r] != v["linux", ws[i], "sum", 1]) {
					printf "DATA MISMATCH: %s round %d %s: sum %s, linux %s\n", st, r, ws[i],
						v[st, ws[i], "sum", r], v["linux", ws[i], "sum", 1]
					bad = 1
				}
			}
		}
	}
	if (!bad)
		printf "data: in each of the %d rounds the whole disk read by each of the %d ways hashes to the" \
			" image'"'"'s %s, and each workload'"'"'s reads (%s, %s, %s; same offsets, same order) hash" \
			" the same all %d ways\n", rounds, nst, image, v["linux", "4k-seq", "ops", 1],
			v["linux", "4k-rand", "ops", 1], v["linux", "1m-seq", "ops", 1], nst
	print "note: rates under TCG emulation (every guest instruction translated, the device models" \
		" run by the vCPU thread that touches them) mean little in absolute terms; the ratios, measured" \
		" in the same boot on the same device, are the result."
	exit bad
}'
}

if [ "${1:-}" = --table ]; then
	table "${2:?usage: run-usb-bench.sh [--table DIR]}"
	exit
fi
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
ops4k=${OPS4K:-5000}
ops1m=${OPS1M:-256}
mib=${DISK_MIB:-64}
rounds=${ROUNDS:-3}
vcpus=${VCPUS:-1}
build=${BUILD:-$top/build}
bash tests/install-deps.sh
make -s -C userspace-drivers O="$build/userspace" bench-usb
bin=$build/userspace
read -r img kdir kver < <(bash tests/stock-kernel.sh 6.1)
ko=${KO:-$(bash tests/build-module.sh "$kdir" "$build/module/$kver")}

# Linux's USB host and disk modules, from Debian's package of that kernel.
mods=()
for m in $(bash tests/qemu/usb-devices.sh linux-modules --storage "$kver" "$build/vm/usb-bench-modules"); do
	mods+=(--file "$m")
done
# The disk: usbbench's pattern (each sector stamped with its LBA).
disk=$build/vm/usb-bench-disk.img
mkdir -p "$build/vm"
"$bin/usbbench" --make-image "$disk" "$mib"

guest=$(mktemp)
trap 'rm -f "$guest"' EXIT
cat >"$guest" <<EOF
#!/bin/sh
sh /bin/usb-bench-guest.sh $ops4k $ops1m $mib $rounds >/dev/ttyS1 2>&1
EOF
qemu="-smp $vcpus -device qemu-xhci,id=xhci0,addr=04.0"
qemu+=" -drive if=none,id=benchdisk,format=raw,file=$disk"
qemu+=" -device usb-storage,bus=xhci0.0,port=1,drive=benchdisk"
out=$build/vm/usb-bench
echo ">> booting $kver in QEMU ($vcpus vCPU, software emulation): a $mib MiB usb-storage disk on a" \
	"qemu-xhci USB3 port; Linux's usb-storage, then xhcid, $rounds rounds"
start=$(date +%s)
rc=0
bash tests/qemu/run-vm.sh --kernel "$img" --module "$ko" --script "$guest" --out "$out" \
	--file tests/usb-bench-guest.sh --file "$bin/usbbench" --file "$bin/uscheme" \
	--file "$bin/pcid" --file "$bin/pcid.conf" --file "$bin/xhcid" "${mods[@]}" \
	--qemu "$qemu" --timeout 3600 || rc=$?
secs=$(($(date +%s) - start))
log=$out/bench.log
tr -d '\r' <"$out/tests.log" >"$log" 2>/dev/null || true
"$bin/usbbench" --sum "$disk" >"$out/image.sum"
echo "kernel: $kver, QEMU $(qemu-system-x86_64 --version | head -n 1 | awk '{print $4}'), $vcpus vCPU (TCG)," \
	"command: make bench-usb OPS4K=$ops4k OPS1M=$ops1m DISK_MIB=$mib ROUNDS=$rounds, $secs s in the VM" \
	>"$out/header"
echo
sed 's/^/  /' "$log"
echo
if [ $rc != 0 ] || ! grep -q '^usb-bench: done' "$log"; then
	echo "usb-bench: the run did not finish (VM exit $rc; logs in $out)" >&2
	exit 1
fi
table "$out"
