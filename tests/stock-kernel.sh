#!/usr/bin/env bash
# Print "KERNEL_IMAGE KDIR KVER" for a Debian stock kernel series (6.1 or 6.12):
# the image is downloaded from the archive (apt-get download, never installed
# on this machine) into the cache; KDIR is the installed linux-headers tree.
set -euo pipefail
series=${1:?usage: stock-kernel.sh 6.1|6.12}
cache=${USCHEME_CACHE:-/var/cache/uscheme}

case "$series" in
6.1)	kver=$(ls -d /usr/src/linux-headers-6.1.*-amd64 2>/dev/null | sed 's|.*/linux-headers-||' | sort -V | tail -n 1) ;;
6.12)	kver=$(ls -d /usr/src/linux-headers-6.12.*+deb12-amd64 2>/dev/null | sed 's|.*/linux-headers-||' | sort -V | tail -n 1) ;;
*)	echo "unknown series $series" >&2; exit 2 ;;
esac
[ -n "$kver" ] || { echo "no linux-headers for $series installed (run tests/install-deps.sh)" >&2; exit 1; }
kdir=/lib/modules/$kver/build
[ -d "$kdir" ] || kdir=/usr/src/linux-headers-$kver

dir=$cache/stock/$kver
img=$dir/boot/vmlinuz-$kver
if [ ! -f "$img" ]; then
	echo ">> downloading Debian's linux-image-$kver (unsigned) into $dir" >&2
	rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
	(cd "$dir.tmp" && apt-get download -q "linux-image-$kver-unsigned" >dl.log 2>&1) || { cat "$dir.tmp/dl.log" >&2; exit 1; }
	dpkg-deb -x "$dir.tmp"/linux-image-*.deb "$dir.tmp/x"
	rm -rf "$dir" && mkdir -p "$dir/boot"
	mv "$dir.tmp/x/boot/vmlinuz-$kver" "$img"
	rm -rf "$dir.tmp"
fi
echo "$img $kdir $kver"
