#!/usr/bin/env bash
# The test VMs' USB devices, for the xhcid suite (tests/drivers/guest/
# xhcid-suite.sh; the layout is documented in tests/drivers/guest/xhcid_test.h).
#
#   usb-devices.sh args XHCID_TEST DIR
#       Write the three disk images into DIR (every sector stamped with its
#       disk and LBA by "XHCID_TEST --make-image", so the guest checks any
#       read without a copy) and print the QEMU arguments that attach, to
#       the controllers tests/run-all.sh names xhci0 (qemu-xhci) and xhci1
#       (nec-usb-xhci,p3=0): a usb-storage disk on xhci0's first port (USB3),
#       a full-speed usb-kbd on its second (USB2), a usb-storage disk on
#       xhci1's first port (USB2), a third disk's drive (usbdisk2) for the
#       guest to hot-plug, and QEMU's monitor on the guest's third
#       serial port (ttyS2): a socket chardev serving that port, and a second
#       one, connected to it, as the monitor's, so the guest injects keys
#       itself ("sendkey a") and hot-plugs ("device_del usbkbd"), with no
#       host-side timing.
#   usb-devices.sh linux-modules KVER DIR
#       Extract the stock kernel KVER's USB host modules (usb-common,
#       usbcore, xhci-hcd, xhci-pci and what xhci-pci needs) from Debian's
#       image package (downloaded again: stock-kernel.sh keeps only vmlinuz;
#       cached in the same cache), copy them into DIR as
#       xhcid-linux-N-NAME.ko in load order, and print their paths. The
#       guest loads them, saves what Linux reads from the devices, and
#       unloads them before pcid takes the controllers.
#   usb-devices.sh linux-modules --storage KVER DIR
#       The same, plus Linux's USB disk stack (scsi_common, scsi_mod,
#       sd_mod, usb-storage) and every module those need (modinfo's
#       "depends", followed to the end: t10-pi, crc-t10dif, ...), for make
#       bench-usb (tests/run-usb-bench.sh): copied into DIR as
#       usb-linux-NN-NAME.ko in load order (cached in the same cache,
#       usb-storage/), their paths printed.
#   usb-devices.sh linux-modules --blk KVER DIR
#       The same extraction for the blk suite (userspace-drivers/blkbridge):
#       nbd, ublk_drv where the kernel has it (not Debian's 6.1), ext4 and
#       what it needs (jbd2, mbcache, crc16, crc32c_generic), copied as
#       blk-linux-NN-NAME.ko in load order (cache: blk/).
#   usb-devices.sh linux-modules --bench KVER DIR
#       For make bench-disk (tests/run-disk-bench.sh): --storage's modules,
#       uas, and ublk_drv where the kernel has it, as disk-linux-NN-NAME.ko
#       (cache: bench/).
set -euo pipefail
cmd=${1:?usage: usb-devices.sh args XHCID_TEST DIR | linux-modules [--storage] KVER DIR}

# storage_modules KVER DIR [CACHE PREFIX MODULE...]: linux-modules --storage
# (above), or another set of modules with their dependencies (a MODULE
# starting with "?" is left out when the kernel has none: --blk's ublk_drv).
storage_modules() {
	local kver=$1 dir=$2 cache f m i
	local name=${3:-usb-storage} prefix=${4:-usb-linux}
	local want=(usb-common usbcore xhci-hcd xhci-pci scsi_common scsi_mod sd_mod usb-storage)
	[ $# -gt 4 ] && want=("${@:5}")
	cache=${USCHEME_CACHE:-/var/cache/uscheme}/stock/$kver/$name
	if [ ! -f "$cache/order" ]; then
		echo ">> extracting modules (${want[*]}) from linux-image-$kver-unsigned into $cache" >&2
		tmp=$(mktemp -d)	# global: the EXIT trap removes it
		trap 'rm -rf "$tmp"' EXIT
		(cd "$tmp" && apt-get download -q "linux-image-$kver-unsigned" >dl.log 2>&1) ||
			{ cat "$tmp/dl.log" >&2; exit 1; }
		dpkg-deb --fsys-tarfile "$tmp"/linux-image-*.deb |
			tar -x -C "$tmp" --wildcards './lib/modules/*/kernel/*'
		# every module by its name ('-' and '_' alike), decompressed
		mkdir -p "$tmp/all"
		for f in $(find "$tmp/lib" -name '*.ko*'); do
			m=$(basename "$f")
			m=${m%%.ko*}
			m=${m//-/_}
			case "$f" in
			*.ko.xz) xz -dc "$f" >"$tmp/all/$m.ko" ;;
			*.ko.zst) zstd -qdc "$f" >"$tmp/all/$m.ko" ;;
			*.ko) cp "$f" "$tmp/all/$m.ko" ;;
			esac
		done
		# load order: depth first, each module after what it depends on
		local order=() seen=" "
		visit() {
			local n=${1//-/_} d
			case "$seen" in *" $n "*) return 0 ;; esac
			seen="$seen$n "
			[ -f "$tmp/all/$n.ko" ] || { echo "usb-devices: no $1.ko in linux-image-$kver" >&2; exit 1; }
			for d in $(modinfo -F depends "$tmp/all/$n.ko" | tr ',' ' '); do
				visit "$d"
			done
			order+=("$n")
		}
		for m in "${want[@]}"; do
			case "$m" in
			\?*) m=${m#\?}; [ -f "$tmp/all/${m//-/_}.ko" ] || continue ;;
			esac
			visit "$m"
		done
		rm -rf "$cache.tmp" && mkdir -p "$cache.tmp"
		for m in "${order[@]}"; do
			cp "$tmp/all/$m.ko" "$cache.tmp/"
		done
		printf '%s\n' "${order[@]}" >"$cache.tmp/order"
		rm -rf "$cache" && mv "$cache.tmp" "$cache"
	fi
	mkdir -p "$dir"
	rm -f "$dir/$prefix"-*.ko
	i=1
	while read -r m; do
		f=$dir/$prefix-$(printf %02d $i)-$m.ko
		cp "$cache/$m.ko" "$f"
		echo "$f"
		i=$((i + 1))
	done <"$cache/order"
}

case "$cmd" in
args)
	xt=${2:?XHCID_TEST}
	dir=${3:?DIR}
	mkdir -p "$dir"
	for d in 0 1 2; do
		"$xt" --make-image "$dir/disk$d.img" "$d" >&2
	done
	mon=$(mktemp -u /tmp/uscheme-monitor.XXXXXX)
	echo "-drive if=none,id=usbdisk0,format=raw,file=$dir/disk0.img" \
		"-device usb-storage,bus=xhci0.0,port=1,drive=usbdisk0" \
		"-device usb-kbd,bus=xhci0.0,port=2,usb_version=1,id=usbkbd" \
		"-drive if=none,id=usbdisk1,format=raw,file=$dir/disk1.img" \
		"-device usb-storage,bus=xhci1.0,port=1,drive=usbdisk1" \
		"-drive if=none,id=usbdisk2,format=raw,file=$dir/disk2.img" \
		"-chardev socket,id=monport,path=$mon,server=on,wait=off -serial chardev:monport" \
		"-chardev socket,id=monitor,path=$mon -mon chardev=monitor,mode=readline"
	;;
linux-modules)
	if [ "${2:-}" = --storage ]; then
		shift
		storage_modules "${2:?KVER}" "${3:?DIR}"
		exit
	fi
	if [ "${2:-}" = --bench ]; then
		shift
		storage_modules "${2:?KVER}" "${3:?DIR}" bench disk-linux \
			usb-common usbcore xhci-hcd xhci-pci scsi_common scsi_mod sd_mod usb-storage uas \
			'?ublk_drv'
		exit
	fi
	if [ "${2:-}" = --blk ]; then
		shift
		storage_modules "${2:?KVER}" "${3:?DIR}" blk blk-linux \
			crc16 mbcache jbd2 crc32c_generic ext4 nbd '?ublk_drv'
		exit
	fi
	kver=${2:?KVER}
	dir=${3:?DIR}
	cache=${USCHEME_CACHE:-/var/cache/uscheme}/stock/$kver/usb
	if [ ! -f "$cache/usbcore.ko" ]; then
		echo ">> extracting the USB host modules from linux-image-$kver-unsigned into $cache" >&2
		tmp=$(mktemp -d)
		trap 'rm -rf "$tmp"' EXIT
		(cd "$tmp" && apt-get download -q "linux-image-$kver-unsigned" >dl.log 2>&1) ||
			{ cat "$tmp/dl.log" >&2; exit 1; }
		dpkg-deb --fsys-tarfile "$tmp"/linux-image-*.deb |
			tar -x -C "$tmp" --wildcards './lib/modules/*/kernel/drivers/usb/common/usb-common.ko*' \
				'./lib/modules/*/kernel/drivers/usb/core/usbcore.ko*' \
				'./lib/modules/*/kernel/drivers/usb/host/xhci-*.ko*'
		mkdir -p "$cache.tmp"
		for f in $(find "$tmp/lib" -name '*.ko*'); do
			case "$f" in
			*.ko.xz) xz -dc "$f" >"$cache.tmp/$(basename "$f" .xz)" ;;
			*.ko.zst) zstd -qdc "$f" >"$cache.tmp/$(basename "$f" .zst)" ;;
			*.ko) cp "$f" "$cache.tmp/" ;;
			esac
		done
		rm -rf "$cache" && mv "$cache.tmp" "$cache"
	fi
	# Load order: each after what its modinfo "depends" names.
	order=(usb-common usbcore xhci-hcd)
	for dep in $(modinfo -F depends "$cache/xhci-pci.ko" | tr ',' ' '); do
		dep=${dep//_/-}
		case " ${order[*]} " in *" $dep "*) ;; *) order+=("$dep") ;; esac
	done
	order+=(xhci-pci)
	mkdir -p "$dir"
	rm -f "$dir"/xhcid-linux-*.ko
	i=1
	for m in "${order[@]}"; do
		[ -f "$cache/$m.ko" ] || { echo "usb-devices: no $m.ko for $kver" >&2; exit 1; }
		cp "$cache/$m.ko" "$dir/xhcid-linux-$i-$m.ko"
		echo "$dir/xhcid-linux-$i-$m.ko"
		i=$((i + 1))
	done
	;;
*)
	echo "usb-devices: unknown command $cmd" >&2
	exit 2
	;;
esac
