#!/usr/bin/env bash
# make bench-disk: the uscheme USB disk stack (pcid, xhcid, usbscsid, the
# disk.*: scheme, the block-device bridge) against Linux's own (xhci-hcd,
# usb-storage, sd) on identical emulated hardware, in ONE boot of Debian's
# stock 6.12 kernel under QEMU (TCG, 1 vCPU by default):
#   00:04.0 qemu-xhci  usb-storage (USB3)          -> pcid, xhcid, usbscsid
#   00:05.0 qemu-xhci  usb-storage (USB3)          -> Linux xhci-hcd, usb-storage
#                      usb-uas + scsi-hd, port 2   -> Linux uas (reference only)
#   00:06.0 qemu-xhci,p3=0 usb-storage (USB2)      -> pcid, xhcid, usbscsid
#   00:07.0 qemu-xhci,p3=0 usb-storage (USB2)      -> Linux
# every disk its own raw image of DISK_MIB MiB, all with cache=writeback.
# Each workload (sequential read and write, 64 KiB and 1 MiB; random read
# and write, 4 KiB, queue depth 1 and 16) runs on each path in turn, the
# stacks alternating, REPS times: Linux's /dev/sdX (O_DIRECT, io_uring),
# the disk scheme through a client ring (batched) and through a handle fd
# (pread/pwrite, depth 1 only), and the bridge's /dev/ublkbN (O_DIRECT,
# io_uring). One tool times them all (userspace-drivers/bench/diskbench.c);
# the guest side is tests/disk-bench-guest.sh. Then one table: medians over
# the repetitions with their spread, p50/p99 latency, the machine's CPU time
# per request, and uscheme / Linux per row. Not part of make check.
#
# Environment: SECS (seconds a cell, default 2), REPS (USB3 repetitions,
# default 3), REPS_OTHER (USB2 and UAS, default 2), DISK_MIB (default 256),
# VCPUS (default 1), BUILD (default build/), KO (a uscheme.ko for 6.12),
# PERF=1 (then also: Linux's perf in the guest, "perf record -a -g" over a 4 KiB
# random read at depth 1 on Linux's sd and on the scheme ring, and where the
# samples fell; perf and its libraries make the initramfs about 40 MB larger).
# "run-disk-bench.sh --table DIR" prints the table of a finished run again
# (DIR: its VM directory, build/vm/disk-bench).
set -euo pipefail

table() {
	cat "$1/header"
	grep -E '^(diskbench: (result|trace)|disk-bench: procs) ' "$1/bench.log" | awk '
function fields(   i, k) {
	split("", f)
	for (i = 3; i <= NF; i++)
		if ((k = index($i, "=")) > 1)
			f[substr($i, 1, k - 1)] = substr($i, k + 1)
}
# the USB3 drivers'"'"' CPU ticks over a cell, summed per BUS.PATH.WORKLOAD
$2 == "procs" {
	fields()
	split(f["label"], l, ".")
	for (k in f)
		if (k != "label")
			pt[l[1], l[2], l[3], k] += f[k]
	next
}
# a driver'"'"'s counters over a cell: summed per BUS.PATH.WORKLOAD, per driver
$2 == "trace" {
	fields()
	split(f["label"], l, ".")
	drv = f["file"] ~ /xhcid-/ ? "x" : "s"
	for (k = 0; k < 8; k++)
		tr[l[1], l[2], l[3], drv, k] += f["v" k]
	next
}
{
	fields()
	split(f["label"], l, ".")	# BUS.PATH.WORKLOAD.REP
	key = l[1] SUBSEP l[2] SUBSEP l[3]
	r = ++n[key]
	nops[key] += f["ops"]
	for (k in f)
		v[key, k, r] = f[k]
	seen[l[1], l[2]] = 1
}
function sort(a, m,   i, j, t) {
	for (i = 2; i <= m; i++)
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
}
# median, min and max of v[bus, path, w, k, *] into M, LO, HI; count returned
function stat(bus, path, w, k,   key, i, m, a) {
	key = bus SUBSEP path SUBSEP w
	m = 0
	for (i = 1; i <= n[key]; i++)
		if ((key, k, i) in v)
			a[++m] = v[key, k, i] + 0
	M = LO = HI = ""
	if (!m)
		return 0
	sort(a, m)
	M = m % 2 ? a[(m + 1) / 2] : (a[m / 2] + a[m / 2 + 1]) / 2
	LO = a[1]; HI = a[m]
	return m
}
function rk(w) { return w ~ /^seq/ ? "mibs" : "iops" }
function fmt(x) { return x >= 100 ? sprintf("%.0f", x) : sprintf("%.1f", x) }
# "rate ±spread%" of a cell, "-" if none
function rate(bus, path, w,   m) {
	m = stat(bus, path, w, rk(w))
	if (!m)
		return "-"
	return fmt(M) (m > 1 && M > 0 ? sprintf(" ±%.0f%%", 50 * (HI - LO) / M) : "")
}
function ratio(bus, path, w, k,   a) {
	if (!stat(bus, "linux", w, k) || M <= 0)
		return "-"
	a = M
	if (!stat(bus, path, w, k) || M <= 0)
		return "-"
	return sprintf("%.2f", M / a)
}
function med(bus, path, w, k) { return stat(bus, path, w, k) ? fmt(M) : "-" }
function us(ns, n) { return n > 0 ? sprintf("%.0f", ns / n / 1000) : "-" }
# where a request'"'"'s time goes on a path (means over all its cells, us), from
# diskbench'"'"'s latency and the drivers'"'"' --trace counters
function breakdown(bus, path, w,   A, B, C, D, E, F, G, ns, nx, xr, lx) {
	ns = tr[bus, path, w, "s", 0]; nx = tr[bus, path, w, "x", 0]
	if (!stat(bus, path, w, "lat_us_mean") || ns <= 0 || nx <= 0) {
		printf "breakdown of %s %s %s: no trace counters\n", bus, path, name[w]
		return
	}
	A = M
	B = tr[bus, path, w, "s", 1] / ns / 1000
	C = tr[bus, path, w, "s", 3] / tr[bus, path, w, "s", 2] / 1000
	D = tr[bus, path, w, "s", 4] / tr[bus, path, w, "s", 2] / 1000
	E = tr[bus, path, w, "x", 1] / nx / 1000
	F = tr[bus, path, w, "x", 2] / nx / 1000
	G = tr[bus, path, w, "x", 3] / nx / 1000
	xr = nx / ns
	lx = stat(bus, "linux", w, "lat_us_mean") ? sprintf("%.0f", M) : "-"
	printf "where a %s request'"'"'s time goes (%s, %s; means, us; Linux'"'"'s whole request: %s):\n", name[w],
		toupper(bus), pn[path], lx
	printf "  %-62s %6.0f\n", "the client'"'"'s request, issue to completion", A
	printf "  %-62s %6.0f\n", "  client <-> usbscsid (the kernel'"'"'s routing, both ways)", A - B
	printf "  %-62s %6.0f\n", "  in usbscsid, request in -> answer out", B
	printf "  %-62s %6.0f\n", "    CBW + data stage (both submitted -> both completed)", C
	printf "  %-62s %6.0f\n", "    CSW stage (submitted -> completed)", D
	printf "  %-62s %6.0f\n", "    usbscsid'"'"'s own work (the rest)", B - C - D
	printf "  %-62s %6.1f\n", "xhcid transfers per request", xr
	printf "  %-62s %6.0f\n", "  xhcid: request in -> doorbell", E
	printf "  %-62s %6.0f\n", "  xhcid: doorbell -> completion event seen (device, interrupt)", F
	printf "  %-62s %6.0f\n", "  xhcid: event -> answer out (IN data copied)", G
	printf "  %-62s %6.0f\n", "usbscsid <-> xhcid routing, both ways, per stage (~)", (C + D - 2 * (E + F + G)) / 2
	cpu(bus, path, w)
}
# the guest'"'"'s CPU time per request on a path, and who spent it (ticks: 10 ms)
function cpu(bus, path, w,   o, t) {
	o = nops[bus, path, w]
	if (o <= 0)
		return
	t = 10000 / o
	printf "  the guest'"'"'s CPU time per request, us: %s, of it the kernel (system, irq) %s" \
		" (Linux'"'"'s: %s and %s)\n", med(bus, path, w, "cpu_us_per_op"),
		med(bus, path, w, "kernel_us_per_op"), med(bus, "linux", w, "cpu_us_per_op"),
		med(bus, "linux", w, "kernel_us_per_op")
	printf "    user+system: xhcid %.0f+%.0f, usbscsid %.0f+%.0f, blkbridge %.0f+%.0f, diskbench %s+%s\n",
		pt[bus, path, w, "xhcid_user"] * t, pt[bus, path, w, "xhcid_sys"] * t,
		pt[bus, path, w, "usbscsid_user"] * t, pt[bus, path, w, "usbscsid_sys"] * t,
		pt[bus, path, w, "blkbridge_user"] * t, pt[bus, path, w, "blkbridge_sys"] * t,
		med(bus, path, w, "self_user_us_per_op"), med(bus, path, w, "self_sys_us_per_op")
}
END {
	nw = split("seqread64k seqread1m seqwrite64k seqwrite1m randread4k randread4k-qd16 randwrite4k randwrite4k-qd16", ws, " ")
	name["seqread64k"] = "seq read 64K"; name["seqread1m"] = "seq read 1M"
	name["seqwrite64k"] = "seq write 64K"; name["seqwrite1m"] = "seq write 1M"
	name["randread4k"] = "rand read 4K QD1"; name["randread4k-qd16"] = "rand read 4K QD16"
	name["randwrite4k"] = "rand write 4K QD1"; name["randwrite4k-qd16"] = "rand write 4K QD16"
	np = split("ring fd ublk", ps, " ")
	pn["ring"] = "scheme ring"; pn["fd"] = "scheme fd"; pn["ublk"] = "ublk bridge"
	print "USB3 (usb-storage, Bulk-Only), medians over the repetitions ±half their range;" \
		" seq: MiB/s, rand: IOPS; ratio = uscheme / Linux"
	printf "%-19s %-14s", "workload", "Linux sd"
	for (j = 1; j <= np; j++)
		printf " %-14s %-5s", pn[ps[j]], "ratio"
	printf "\n"
	for (i = 1; i <= nw; i++) {
		w = ws[i]
		printf "%-19s %-14s", name[w], rate("usb3", "linux", w)
		for (j = 1; j <= np; j++)
			printf " %-14s %-5s", rate("usb3", ps[j], w), ratio("usb3", ps[j], w, rk(w))
		printf "\n"
	}
	print ""
	print "USB3 latency p50 / p99 (us) and the whole guest'"'"'s CPU time per request (us)"
	printf "%-19s %-13s", "workload", "Linux"
	for (j = 1; j <= np; j++)
		printf " %-13s", pn[ps[j]]
	printf " | CPU/req: Linux"
	for (j = 1; j <= np; j++)
		printf " %s", ps[j]
	printf "\n"
	for (i = 1; i <= nw; i++) {
		w = ws[i]
		printf "%-19s %-13s", name[w], med("usb3", "linux", w, "lat_us_p50") "/" med("usb3", "linux", w, "lat_us_p99")
		for (j = 1; j <= np; j++)
			printf " %-13s", med("usb3", ps[j], w, "lat_us_p50") "/" med("usb3", ps[j], w, "lat_us_p99")
		printf " | %s", med("usb3", "linux", w, "cpu_us_per_op")
		for (j = 1; j <= np; j++)
			printf " %s", med("usb3", ps[j], w, "cpu_us_per_op")
		printf "\n"
	}
	print ""
	breakdown("usb3", "ring", "randread4k")
	breakdown("usb3", "fd", "randread4k")
	breakdown("usb3", "ring", "seqread1m")
	breakdown("usb3", "ublk", "randread4k")
	print ""
	print "USB2 (usb-storage on a USB2-only qemu-xhci) and Linux'"'"'s UAS (usb-uas + scsi-hd, USB3;" \
		" uscheme has no UAS driver)"
	printf "%-19s %-10s %-10s %-5s %-13s %-13s %-10s %s\n", "workload", "USB2 Linux", "USB2 ring", "ratio",
		"p50/p99 Linux", "p50/p99 ring", "UAS Linux", "UAS/USB3 Linux"
	for (i = 1; i <= nw; i++) {
		w = ws[i]
		u = stat("uas", "linux", w, rk(w)) ? M : 0
		lx = stat("usb3", "linux", w, rk(w)) ? M : 0
		printf "%-19s %-10s %-10s %-5s %-13s %-13s %-10s %s\n", name[w], med("usb2", "linux", w, rk(w)),
			med("usb2", "ring", w, rk(w)), ratio("usb2", "ring", w, rk(w)),
			med("usb2", "linux", w, "lat_us_p50") "/" med("usb2", "linux", w, "lat_us_p99"),
			med("usb2", "ring", w, "lat_us_p50") "/" med("usb2", "ring", w, "lat_us_p99"),
			med("uas", "linux", w, rk(w)), (u > 0 && lx > 0 ? sprintf("%.2f", u / lx) : "-")
	}
}' | sed 's/ *$//'
}

if [ "${1:-}" = --table ]; then
	table "${2:?usage: run-disk-bench.sh [--table DIR]}"
	exit
fi
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
secs=${SECS:-2}
reps=${REPS:-3}
reps2=${REPS_OTHER:-2}
mib=${DISK_MIB:-256}
vcpus=${VCPUS:-1}
build=${BUILD:-$top/build}
bash tests/install-deps.sh
make -s -C userspace-drivers O="$build/userspace" -j2 bench-disk
bin=$build/userspace
read -r img kdir kver < <(bash tests/stock-kernel.sh 6.12)
ko=${KO:-$(bash tests/build-module.sh "$kdir" "$build/module/$kver")}

mods=()
for m in $(bash tests/qemu/usb-devices.sh linux-modules --bench "$kver" "$build/vm/disk-bench-modules"); do
	mods+=(--file "$m")
done
# The disks: each its own sparse image of the same size, made anew.
dir=$build/vm/disk-bench-disks
rm -rf "$dir"
mkdir -p "$dir"
q="-smp $vcpus"
for c in us3:04.0:0 lx3:05.0:0 us2:06.0:1 lx2:07.0:1; do
	IFS=: read -r id addr usb2 <<<"$c"
	truncate -s "${mib}M" "$dir/$id.img"
	p3=
	[ "$usb2" = 1 ] && p3=,p3=0
	q+=" -device qemu-xhci,id=$id,addr=$addr$p3"
	q+=" -drive if=none,id=d$id,format=raw,cache=writeback,file=$dir/$id.img"
	q+=" -device usb-storage,bus=$id.0,port=1,drive=d$id"
done
truncate -s "${mib}M" "$dir/uas.img"
q+=" -drive if=none,id=duas,format=raw,cache=writeback,file=$dir/uas.img"
q+=" -device usb-uas,id=uas,bus=lx3.0,port=2 -device scsi-hd,bus=uas.0,scsi-id=0,lun=0,drive=duas"

perf= perfargs=()
if [ "${PERF:-}" = 1 ]; then
	perf=perf
	perfargs+=(--file "$(command -v perf)")
	for lib in $(ldd "$(command -v perf)" | grep -oE '/[^ ]+\.so[^ ]*'); do
		perfargs+=(--rootfile "$lib")
	done
fi
guest=$(mktemp)
trap 'rm -f "$guest"' EXIT
cat >"$guest" <<EOF
#!/bin/sh
sh /bin/disk-bench-guest.sh $secs $reps $reps2 $perf >/dev/ttyS1 2>&1
EOF
out=$build/vm/disk-bench
mkdir -p "$out"
rm -f "$out/tests.log"
echo ">> booting $kver in QEMU ($vcpus vCPU, software emulation): four qemu-xhci, five $mib MiB" \
	"disks; $reps repetitions of $secs s cells (USB3), $reps2 (USB2, UAS); waiting for the QEMU lock"
start=$(date +%s)
rc=0
flock /tmp/uscheme-qemu.lock bash tests/qemu/run-vm.sh --kernel "$img" --module "$ko" --script "$guest" \
	--out "$out" --file tests/disk-bench-guest.sh --file "$bin/diskbench" --file "$bin/uscheme" \
	--file "$bin/blkbridge" --file "$bin/pcid" --file "$bin/pcid.conf" --file "$bin/xhcid" \
	--file "$bin/xhcid.conf" --file "$bin/usbscsid" "${mods[@]}" "${perfargs[@]}" --mem 1024 \
	--qemu "$q" --timeout 2400 >"$out/run-vm.log" 2>&1 &
vm=$!
# progress: the guest's cell lines as they come
( tail -n +1 -F "$out/tests.log" 2>/dev/null | grep --line-buffered -E '^disk-bench: (cell [0-9]|cells|FAILED|done)' |
	sed -u 's/^disk-bench: /  /' ) &
tailer=$!
wait $vm || rc=$?
sleep 1
kill $tailer 2>/dev/null || true
wait $tailer 2>/dev/null || true
secs_all=$(($(date +%s) - start))
log=$out/bench.log
tr -d '\r' <"$out/tests.log" >"$log" 2>/dev/null || true
echo "kernel: $kver, QEMU $(qemu-system-x86_64 --version | head -n 1 | awk '{print $4}'), $vcpus vCPU (TCG)," \
	"command: make bench-disk SECS=$secs REPS=$reps REPS_OTHER=$reps2 DISK_MIB=$mib," \
	"$secs_all s in all with the wait for the QEMU lock, of it the cells" \
	"$(sed -n 's/^disk-bench: cells took \([0-9]*\) s$/\1/p' "$log") s" >"$out/header"
echo
grep -vE '^(diskbench: (result|trace)|disk-bench: (cell [0-9]|procs))' "$log" | sed 's/^/  /'
echo
if [ $rc != 0 ] || ! grep -q '^disk-bench: done' "$log"; then
	echo "disk-bench: the run did not finish (VM exit $rc; logs in $out)" >&2
	exit 1
fi
table "$out"
