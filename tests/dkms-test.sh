#!/usr/bin/env bash
# DKMS add/build/install/remove of this tree against every installed Debian
# header series (nothing is loaded). Uses a private version string so a real
# DKMS install of uscheme on this machine is left alone.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
ver=0.0.0-dkmstest
src=/usr/src/uscheme-$ver
cleanup() {
	dkms remove "uscheme/$ver" --all >/dev/null 2>&1 || true
	rm -rf "$src"
}
trap cleanup EXIT
cleanup
mkdir -p "$src"
cp -a "$top/Kbuild" "$top/module" "$top/uapi" "$top/dkms.conf" "$src/"
sed -i "s/^PACKAGE_VERSION=.*/PACKAGE_VERSION=\"$ver\"/" "$src/dkms.conf"
dkms add "uscheme/$ver"
fail=0
for kdir in /usr/src/linux-headers-6.1.*-amd64 /usr/src/linux-headers-6.12.*+deb12-amd64; do
	[ -d "$kdir" ] || continue
	kver=${kdir#/usr/src/linux-headers-}
	if dkms build "uscheme/$ver" -k "$kver" >/tmp/dkms-build.log 2>&1 &&
	   dkms install "uscheme/$ver" -k "$kver" >>/tmp/dkms-build.log 2>&1; then
		ko=$(find "/lib/modules/$kver/updates/dkms" -name 'uscheme.ko*' | head -n 1)
		magic=$(modinfo -F vermagic "$ko" | cut -d' ' -f1)
		if [ "$magic" = "$kver" ] && dkms status "uscheme/$ver" -k "$kver" | grep -q installed; then
			echo "dkms: $kver ok ($ko)"
		else
			echo "dkms: $kver: installed module has vermagic '$magic'" >&2
			fail=1
		fi
	else
		echo "dkms: $kver: build/install failed:" >&2
		tail -30 /tmp/dkms-build.log >&2
		find /var/lib/dkms/uscheme/$ver/build -name make.log -exec tail -20 {} \; >&2 || true
		fail=1
	fi
done
exit $fail
