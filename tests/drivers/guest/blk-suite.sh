#!/bin/sh
# Guest side (busybox sh, root, uscheme.ko loaded): blkbridge, a disk scheme
# as a Linux block device, against ramdiskd (disk.ram*:, RAM-backed), as TAP
# on stdout. One "# suite blk-FRONTEND" per frontend the kernel has (nbd
# everywhere; ublk where ublk_drv loads and blkbridge supports it), then
# "# suite blk-tool" (uscheme blk's argument checks).
# Needs in /bin: uscheme blkbridge ramdiskd, the kernel modules
# blk-linux-NN-*.ko (tests/qemu/usb-devices.sh linux-modules --blk),
# mkfs.ext4, fsck.ext4 and fio with their shared libraries. Leaves no
# daemon and no device behind.
SUITE_OUT=/tmp/blk.out
. "$(dirname "$0")/suite-lib.sh"
# checkt DESC CMD...: CMD (a command, not a shell function) exits 0 within 120 s
checkt() {
	desc=$1
	shift
	if timeout 120 "$@" >/tmp/blk.out 2>&1; then
		ok "$desc"
	else
		nok "$desc (exit $?)"
		sed 's/^/  /' /tmp/blk.out | tail -n 25
	fi
}
# dbench DESC OPS CMD...: a diskbench run that reports OPS requests done
dbench() {
	dbn=$1 dbk=$2
	shift 2
	if out=$(timeout 120 "$@" 2>&1) && echo "$out" | grep -q "^diskbench: result .* ops=$dbk "; then
		ok "$dbn"
	else
		nok "$dbn"
		echo "$out" | sed 's/^/  /'
	fi
}
# fails DESC CMD...: CMD exits non-zero within 60 s (no hang)
fails() {
	desc=$1
	shift
	timeout 60 "$@" >/tmp/blk.out 2>&1
	got=$?
	if [ "$got" != 0 ] && [ "$got" != 124 ] && [ "$got" != 143 ]; then
		ok "$desc (exit $got)"
	else
		nok "$desc (exit $got)"
		sed 's/^/  /' /tmp/blk.out | tail -n 20
	fi
}
dev_pid() { uscheme blk list 2>/dev/null | awk -v d="/dev/$1" '$1 == d { print $2 }'; }
dev_removed() {	# DEV: the device has no size and no server
	s=$(cat "/sys/block/$1/size" 2>/dev/null || echo 0)
	[ "$s" = 0 ] && [ ! -e "/sys/block/$1/pid" ]
}
disk() {	# NAME [ramdiskd options]: start a RAM disk disk.NAME:, print its pid
	name=$1
	shift
	timeout 30 ramdiskd --background --name "disk.$name" "$@" 2>>/tmp/blk-ramdiskd.log
}

# The kernel's modules (ext4 and what it needs, nbd, ublk_drv).
for m in $(ls /bin/blk-linux-*.ko 2>/dev/null | sort); do
	case "$m" in
	*-nbd.ko) insmod "$m" nbds_max=8 ;;
	*) insmod "$m" ;;
	esac || echo "# insmod $m failed"
done
frontends=nbd
[ -e /dev/ublk-control ] && frontends="$frontends ublk"
dd if=/dev/urandom of=/tmp/pattern bs=64K count=16 2>/dev/null

for fe in $frontends; do
	echo "# suite blk-$fe"
	n=0
	t0=$(date +%s)

	# attach, a file system, a file tree across unmount and remount, fsck
	disk ram >/tmp/ramdiskd.pid
	rd=$(cat /tmp/ramdiskd.pid)
	dev=$(timeout 60 uscheme blk attach --$fe disk.ram:0 2>/tmp/blk.err)
	dev=${dev#/dev/}
	if [ -n "$rd" ] && [ -n "$dev" ] && [ -b "/dev/$dev" ]; then
		ok "ramdiskd (pid $rd) and uscheme blk attach --$fe disk.ram:0: /dev/$dev"
	else
		nok "attach --$fe disk.ram:0 (ramdiskd '$rd', device '$dev')"
		sed 's/^/  /' /tmp/blk.err /tmp/blk-ramdiskd.log
		continue
	fi
	size=$(cat "/sys/block/$dev/size" 2>/dev/null)
	[ "$size" = 131072 ] && ok "/dev/$dev: 131072 sectors (64 MiB)" ||
		nok "/dev/$dev: size '$size' sectors, want 131072"
	checkt "uscheme blk list shows /dev/$dev" sh -c "uscheme blk list | grep -q '^/dev/$dev .* $fe .*disk.ram:0'"
	bp=$(dev_pid "$dev")
	checkt "mkfs.ext4 /dev/$dev" mkfs.ext4 -q -F "/dev/$dev"
	mkdir -p /mnt/blk
	checkt "mount /dev/$dev" mount -t ext4 "/dev/$dev" /mnt/blk
	rm -rf /tmp/tree && mkdir -p /tmp/tree/a/b /tmp/tree/c
	i=0
	for sz in 1 7 64 300 1024 2048; do
		i=$((i + 1))
		dd if=/dev/urandom of=/tmp/tree/a/f$i bs=1K count=$sz 2>/dev/null
		dd if=/dev/urandom of=/tmp/tree/a/b/g$i bs=512 count=$i 2>/dev/null
		echo "file $i" >/tmp/tree/c/t$i
	done
	(cd /tmp/tree && find . -type f | sort | xargs md5sum) >/tmp/tree.md5
	checkt "a file tree written (cp -a, sync)" sh -c 'cp -a /tmp/tree/. /mnt/blk/ && sync'
	checkt "umount" umount /mnt/blk
	checkt "mount again" mount -t ext4 "/dev/$dev" /mnt/blk
	checkt "the tree reads back the same (md5sum -c)" sh -c 'cd /mnt/blk && md5sum -c -s /tmp/tree.md5'
	checkt "umount" umount /mnt/blk
	checkt "fsck.ext4 -fn: clean" fsck.ext4 -f -n "/dev/$dev"

	# fio with verification, random writes then reads, queue depth 1 and 32
	checkt "fio randwrite+verify QD1 (4 MiB, 4 KiB blocks, O_DIRECT)" \
		fio --name=qd1 --filename="/dev/$dev" --rw=randwrite --bs=4k --size=4M \
		--ioengine=libaio --direct=1 --iodepth=1 --verify=crc32c --verify_fatal=1 \
		--randrepeat=0 --output-format=terse
	checkt "fio randwrite+verify QD32 (8 MiB, 4 KiB..64 KiB blocks, O_DIRECT)" \
		fio --name=qd32 --filename="/dev/$dev" --rw=randwrite --bsrange=4k-64k --size=8M \
		--ioengine=libaio --direct=1 --iodepth=32 --verify=crc32c --verify_fatal=1 \
		--randrepeat=0 --output-format=terse
	checkt "a 1 MiB write and read back (buffered, through the page cache)" sh -c \
		"dd if=/tmp/pattern of=/dev/$dev bs=1M seek=3 conv=fsync 2>/dev/null &&
		 echo 3 >/proc/sys/vm/drop_caches &&
		 dd if=/dev/$dev bs=1M skip=3 count=1 2>/dev/null | cmp - /tmp/pattern"
	fails "discard is refused (blkdiscard)" blkdiscard "/dev/$dev"

	# detach (SIGTERM): the device is removed, the bridge exits
	expect 0 uscheme blk detach "/dev/$dev"
	check "/dev/$dev removed (size 0, no server)" waitfor 30 dev_removed "$dev"
	check "its bridge (pid $bp) exited" exited 30 "$bp"
	checkt "uscheme blk list: empty" sh -c "! uscheme blk list | grep -q '^/dev/'"
	kill "$rd"
	exited 30 "$rd"

	# read-only media, 4096-byte blocks, several LUNs
	rd=$(disk rom --read-only --size 8M)
	dev=$(timeout 60 uscheme blk attach --$fe disk.rom:0 2>/tmp/blk.err)
	dev=${dev#/dev/}
	checkt "read-only disk attached read-only (/dev/$dev ro=1)" \
		sh -c "[ -n '$dev' ] && [ \"\$(cat /sys/block/$dev/ro)\" = 1 ]"
	fails "writing it fails" dd if=/tmp/pattern of="/dev/$dev" bs=4k count=1 oflag=direct
	expect 0 uscheme blk detach "$dev"
	kill "$rd"
	exited 30 "$rd"
	rd=$(disk big --block-size 4096 --size 16M --luns 2)
	dev=$(timeout 60 uscheme blk attach --$fe disk.big:1 2>/tmp/blk.err)
	dev=${dev#/dev/}
	checkt "4096-byte blocks: logical_block_size 4096 (/dev/$dev, LUN 1)" \
		sh -c "cat /sys/block/$dev/queue/logical_block_size; [ -n '$dev' ] &&
		       [ \"\$(cat /sys/block/$dev/queue/logical_block_size)\" = 4096 ]"
	checkt "4096-byte blocks: 1 MiB written with O_DIRECT and read back" sh -c \
		"dd if=/tmp/pattern of=/dev/$dev bs=64k oflag=direct 2>/dev/null &&
		 dd if=/dev/$dev bs=64k count=16 iflag=direct 2>/dev/null | cmp - /tmp/pattern"
	expect 0 uscheme blk detach "$dev"
	kill "$rd"
	exited 30 "$rd"

	# The disk's daemon killed while a file is being written: I/O errors,
	# no hang; umount -f and detach work.
	rd=$(disk dying --size 64M)
	dev=$(timeout 60 uscheme blk attach --$fe disk.dying:0 2>/tmp/blk.err)
	dev=${dev#/dev/}
	bp=$(dev_pid "$dev")
	mkfs.ext4 -q -F "/dev/$dev" >/dev/null 2>&1 && mount -t ext4 "/dev/$dev" /mnt/blk
	# A writer that writes (and fsyncs) files until a write fails.
	(timeout 100 sh -c 'i=0; while dd if=/dev/zero of=/mnt/blk/f$((i % 8)) bs=64k count=32 \
		conv=fsync 2>/dev/null; do i=$((i + 1)); done; echo "$i files" >/tmp/dd.n; exit 3'
	 echo $? >/tmp/dd.rc) &
	sleep 1
	kill -KILL "$rd"
	wait
	rc=$(cat /tmp/dd.rc)
	[ "$rc" = 3 ] && ok "disk daemon killed mid-write: the writer gets an I/O error, no hang (after $(cat /tmp/dd.n))" ||
		nok "disk daemon killed mid-write: writer exit $rc (want 3: a failed write)"
	fails "reading the device fails (EIO)" dd if="/dev/$dev" of=/dev/null bs=4k count=1 iflag=direct
	checkt "umount -f" sh -c 'umount -f /mnt/blk || umount /mnt/blk'
	# The daemon restarted (same name, same size): the bridge reopens the disk.
	rd=$(disk dying --size 64M)
	checkt "disk daemon restarted: the device serves again (O_DIRECT write and read back)" sh -c \
		"for i in 1 2 3 4 5 6 7 8 9 10; do
		   dd if=/tmp/pattern of=/dev/$dev bs=64k oflag=direct 2>/dev/null && break; sleep 0.5
		 done && dd if=/dev/$dev bs=64k count=16 iflag=direct 2>/dev/null | cmp - /tmp/pattern"
	kill "$rd"
	exited 30 "$rd"
	expect 0 uscheme blk detach "$dev"
	checkt "its bridge exited, /dev/$dev removed" sh -c "! kill -0 $bp 2>/dev/null; true" &&
		waitfor 30 dev_removed "$dev"

	# The test knob: a disk that dies at its 5th WRITE.
	rd=$(disk flaky --size 8M --exit-after-writes 5)
	dev=$(timeout 60 uscheme blk attach --$fe disk.flaky:0 2>/tmp/blk.err)
	dev=${dev#/dev/}
	fails "writes fail once the disk died at its 5th WRITE (O_DIRECT, no hang)" \
		dd if=/tmp/pattern of="/dev/$dev" bs=4k count=64 oflag=direct
	expect 0 uscheme blk detach "$dev"
	exited 30 "$rd"

	# The bridge killed: the kernel removes the device, nothing hangs.
	rd=$(disk ram --size 8M)
	dev=$(timeout 60 uscheme blk attach --$fe disk.ram:0 2>/tmp/blk.err)
	dev=${dev#/dev/}
	bp=$(dev_pid "$dev")
	if [ -n "$bp" ]; then
		kill -KILL "$bp"
		check "bridge killed (pid $bp): it is gone" exited 30 "$bp"
		check "bridge killed: /dev/$dev removed" waitfor 30 dev_removed "$dev"
		checkt "bridge killed: reading /dev/$dev gets nothing, at once" sh -c \
			"! dd if=/dev/$dev of=/dev/null bs=4k count=1 iflag=direct 2>&1 | grep -q '^1+0 records in'"
		checkt "bridge killed: uscheme blk list drops it" \
			sh -c "! uscheme blk list | grep -q '^/dev/$dev '"
	else
		nok "bridge killed: no bridge for /dev/$dev"
	fi
	kill "$rd"
	exited 30 "$rd"
	[ "$fe" = ublk ] && checkt "ublk: the killed bridge's device is deleted by the next attach" sh -c \
		"rd=\$(ramdiskd --background --name disk.again --size 1M) && d=\$(uscheme blk attach --ublk disk.again:0) &&
		 [ \"\$d\" = /dev/$dev ] && uscheme blk detach \$d && kill \$rd"
	checkt "no blkbridge and no ramdiskd left running" sh -c '! pidof blkbridge ramdiskd'
	pidof blkbridge ramdiskd >/dev/null && ps | sed 's/^/  /'
	echo "# blk-$fe: $(( $(date +%s) - t0 )) s"
	echo "1..$n"
done

# The same bridge over usbscsid's disk: pcid runs xhcid for the VM's
# qemu-xhci (00:04.0, a 32 MiB usb-storage disk on port 1: tests/qemu/
# usb-devices.sh), and usbscsid for the disk at xhcid's request, serving it
# as disk.usb.0000-00-04.0-1:; the bridge makes it a block device.
if [ -x /bin/usbscsid ] && [ -x /bin/pcid ] && [ -f /bin/pcid.conf ] &&
	[ -e /sys/bus/pci/devices/0000:00:04.0 ]; then
	echo "# suite blk-usb"
	n=0
	t0=$(date +%s)
	s=usb.0000-00-04.0
	d=disk.usb.0000-00-04.0-1
	served() { uscheme schemes 2>/dev/null | grep -q "^$1 "; }
	port1() { uscheme ls "$s:" 2>/dev/null | grep -q '^1 ready '; }
	pcid --foreground 2>/tmp/blk-pcid.log &
	pp=$!
	if waitfor 60 port1; then
		ok "pcid and xhcid: $s: port 1 ready"
	else
		nok "pcid and xhcid: $s: port 1 ready"
		tail -n 20 /tmp/blk-pcid.log | sed 's/^/  /'
	fi
	waitfor 60 served "$d"
	check "usbscsid serves $d:" served "$d"
	dev=$(timeout 60 uscheme blk attach "$d:0" 2>/tmp/blk.err)
	dev=${dev#/dev/}
	if [ -n "$dev" ] && [ -b "/dev/$dev" ]; then
		ok "uscheme blk attach $d:0: /dev/$dev"
	else
		nok "uscheme blk attach $d:0"
		sed 's/^/  /' /tmp/blk.err /tmp/blk-pcid.log | tail -n 20
	fi
	size=$(cat "/sys/block/$dev/size" 2>/dev/null)
	[ "$size" = 65536 ] && ok "/dev/$dev: 65536 sectors (32 MiB)" ||
		nok "/dev/$dev: size '$size' sectors, want 65536"
	checkt "mkfs.ext4 /dev/$dev" mkfs.ext4 -q -F "/dev/$dev"
	checkt "mount, the file tree written, umount" sh -c \
		"mount -t ext4 /dev/$dev /mnt/blk && cp -a /tmp/tree/. /mnt/blk/ && umount /mnt/blk"
	checkt "mount again: the tree reads back the same, umount" sh -c \
		"mount -t ext4 /dev/$dev /mnt/blk && cd /mnt/blk && md5sum -c -s /tmp/tree.md5 && cd / && umount /mnt/blk"
	checkt "fsck.ext4 -fn: clean" fsck.ext4 -f -n "/dev/$dev"
	checkt "fio randwrite+verify QD32 (4 MiB, 4 KiB..64 KiB blocks, O_DIRECT)" \
		fio --name=usb --filename="/dev/$dev" --rw=randwrite --bsrange=4k-64k --size=4M \
		--ioengine=libaio --direct=1 --iodepth=32 --verify=crc32c --verify_fatal=1 \
		--randrepeat=0 --output-format=terse
	# make bench-disk's tool, a few requests on each of its paths (a smoke check)
	if [ -x /bin/diskbench ]; then
		dbench "diskbench ring $d:0: 40 random 4 KiB reads at depth 8" 40 \
			diskbench ring "$d:0" --pattern rand --qd 8 --ops 40 --secs 60
		dbench "diskbench fd $d:0: 8 sequential 64 KiB writes" 8 \
			diskbench fd "$d:0" --rw write --bs 64K --ops 8 --secs 60
		dbench "diskbench blk /dev/$dev: 40 random 4 KiB writes at depth 4 (io_uring, O_DIRECT)" 40 \
			diskbench blk "/dev/$dev" --rw write --pattern rand --qd 4 --ops 40 --secs 60
		expect 3 diskbench fd "$d:0" --qd 2
		expect 2 diskbench ring "$d:0" --bs 1000
	fi
	expect 0 uscheme blk detach "/dev/$dev"
	check "/dev/$dev removed" waitfor 30 dev_removed "$dev"
	kill "$pp"
	check "pcid stopped (xhcid and usbscsid with it)" exited 30 "$pp"
	checkt "no blkbridge, usbscsid or pcid left running" sh -c '! pidof blkbridge usbscsid pcid xhcid'
	echo "# blk-usb: $(( $(date +%s) - t0 )) s"
	echo "1..$n"
fi

# uscheme blk's arguments: clear errors, exit 2 (usage) or 1 (failed)
echo "# suite blk-tool"
n=0
expect 2 uscheme blk
expect 2 uscheme blk frobnicate
expect 2 uscheme blk attach
expect 2 uscheme blk attach ram:/x
expect 2 uscheme blk attach disk.ram
expect 2 uscheme blk attach 'disk.Bad Name:0'
expect 2 uscheme blk attach --bogus disk.ram:0
expect 2 uscheme blk attach disk.a:0 disk.b:0
expect 1 uscheme blk attach disk.nosuch:0
checkt "attach disk.nosuch:0 says there is no such scheme" sh -c \
	'uscheme blk attach disk.nosuch:0 2>&1 | grep -q "no such scheme"'
rd=$(disk tool --size 1M --luns 2)
expect 1 uscheme blk attach disk.tool:7
expect 2 uscheme blk attach disk.tool:
expect 0 sh -c 'uscheme cat disk.tool: | grep -qx "1 1048576 512 rw"'
expect 2 uscheme blk detach
expect 2 uscheme blk detach /dev/sda
expect 1 uscheme blk detach nbd7
expect 2 uscheme blk list extra
expect 0 uscheme blk list
expect 2 blkbridge
expect 2 blkbridge --queue-depth 0 disk.tool:0
kill "$rd"
exited 30 "$rd"
echo "1..$n"
