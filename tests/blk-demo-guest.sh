#!/bin/sh
# Guest side of the main job's block-device part: a disk scheme attached as
# a Linux block device with blkbridge (uscheme blk attach), a file system
# made, mounted, a file written and read back, unmounted, detached. The
# disk: DISK if given (a disk.*:N path whose daemon runs), else a RAM disk
# from ramdiskd (disk.ram:0). Needs in /bin: uscheme blkbridge ramdiskd
# mkfs.ext4 and the blk-linux-*.ko modules (tests/qemu/blk-files.sh).
# Writes to stdout; ends with "blk-demo: ok".
disk=${1:-}
for m in $(ls /bin/blk-linux-*.ko 2>/dev/null | sort); do
	insmod "$m" 2>/dev/null
done
rd=
if [ -z "$disk" ]; then
	echo "\$ ramdiskd --background --size 32M     (disk.ram: a RAM disk serving the disk-scheme contract)"
	rd=$(ramdiskd --background --size 32M) || exit 1
	disk=disk.ram:0
fi
echo "\$ uscheme cat ${disk%%:*}:     (LUN SIZE BLOCK_SIZE rw|ro)" &&
uscheme cat "${disk%%:*}:" &&
echo "\$ uscheme blk attach $disk" &&
dev=$(uscheme blk attach "$disk") && echo "$dev" &&
echo "\$ uscheme blk list" && uscheme blk list &&
echo "\$ mkfs.ext4 -q $dev && mount $dev /mnt" &&
mkfs.ext4 -q -F "$dev" && mkdir -p /mnt && mount -t ext4 "$dev" /mnt &&
echo "\$ echo 'hello through a block device' >/mnt/hello; umount /mnt; mount $dev /mnt" &&
echo 'hello through a block device' >/mnt/hello && umount /mnt && mount -t ext4 "$dev" /mnt &&
echo "\$ cat /mnt/hello" && cat /mnt/hello &&
echo "\$ df -k /mnt" && df -k /mnt &&
echo "\$ umount /mnt; uscheme blk detach $dev" && umount /mnt && uscheme blk detach "$dev" &&
echo "\$ cat /sys/block/${dev#/dev/}/size     (the device is empty again)" &&
cat "/sys/block/${dev#/dev/}/size" &&
{ [ -z "$rd" ] || { kill "$rd"; sleep 0.5; }; } &&
echo "blk-demo: ok"
