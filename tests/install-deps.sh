#!/usr/bin/env bash
# Install everything the build and the test harness need, from Debian's archive.
# Idempotent: does nothing when all packages are present. Safe to re-run.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

# The 6.12 series: newest version for which the archive has both the image and headers.
pick_612() {
	apt-cache search --names-only '^linux-headers-6\.12\.[0-9]+\+deb12-amd64$' |
		sed -n 's/^linux-headers-\(6\.12\.[0-9]*+deb12-amd64\) .*/\1/p' |
		sort -V | while read -r v; do
			apt-cache show "linux-image-$v-unsigned" >/dev/null 2>&1 && echo "$v"
		done | tail -n 1
}

base_pkgs=(build-essential bc bison flex libelf-dev libssl-dev cpio xz-utils kmod
	   python3 linux-source-6.1 linux-headers-amd64 qemu-system-x86
	   busybox-static liburing-dev dkms sparse valgrind gcc-multilib
	   openssl perl libfuse3-dev pkg-config e2fsprogs fio linux-perf)

need_update=1
if [ -f /var/lib/apt/periodic/uscheme-updated ] &&
   [ -n "$(find /var/lib/apt/periodic/uscheme-updated -mmin -720 2>/dev/null)" ]; then
	need_update=0
fi
missing=()
for p in "${base_pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ! ls -d /usr/src/linux-headers-6.12.*+deb12-amd64 >/dev/null 2>&1; then
	missing+=(headers-6.12)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

echo ">> installing build and test dependencies: ${missing[*]}"
if [ "$need_update" = 1 ]; then
	apt-get update -q >/dev/null
	mkdir -p /var/lib/apt/periodic && touch /var/lib/apt/periodic/uscheme-updated
fi
v612=$(pick_612)
[ -n "$v612" ] || { echo "no linux 6.12 image+headers pair in the archive" >&2; exit 1; }
apt-get install -y -q --no-install-recommends "${base_pkgs[@]}" "linux-headers-$v612" >/dev/null
echo ">> dependencies installed (6.12 headers: $v612)"
