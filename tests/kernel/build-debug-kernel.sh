#!/usr/bin/env bash
# Build (once) the debug test kernel from Debian's linux-source-6.1 with debug.config,
# cached outside the repository and keyed by the source version and the config fragment.
# Prints the cache directory (holding bzImage and the build tree for KDIR=) on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cache=${USCHEME_CACHE:-/var/cache/uscheme}
tarball=/usr/src/linux-source-6.1.tar.xz
[ -f "$tarball" ] || { echo "missing $tarball (run tests/install-deps.sh)" >&2; exit 1; }
srcver=$(dpkg-query -W -f='${Version}' linux-source-6.1)
key=$( { echo "$srcver"; cat "$here/debug.config"; } | sha256sum | cut -c1-16)
out=$cache/debug-kernel-$key
if [ -f "$out/.done" ]; then
	echo "$out"
	exit 0
fi
mkdir -p "$cache"
# Builds for other configs or sources are stale: they take ~2 GB each.
find "$cache" -maxdepth 1 -name 'debug-kernel-*' ! -name "debug-kernel-$key" -exec rm -rf {} +
rm -rf "$out"
mkdir -p "$out"
echo ">> building the debug test kernel (linux-source $srcver) into $out" >&2
echo ">> first time only: about 15-25 minutes on 2 cores; later runs reuse it" >&2
tar -C "$out" -xf "$tarball"
mv "$out/linux-source-6.1" "$out/tree"
src=$out/tree
mk() { make -C "$src" ARCH=x86_64 -j"$(nproc)" "$@"; }
mk allnoconfig >/dev/null
"$src/scripts/kconfig/merge_config.sh" -m -O "$src" "$src/.config" "$here/debug.config" >/dev/null
mk olddefconfig >/dev/null
bad=0
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) grep -qxF "$line" "$src/.config" || { echo "config did not stick: $line" >&2; bad=1; } ;;
	"# CONFIG_"*" is not set") opt=${line#\# }; opt=${opt%% *}
		! grep -q "^$opt=" "$src/.config" || { echo "config did not stick: $line" >&2; bad=1; } ;;
	esac
done < "$here/debug.config"
[ "$bad" = 0 ] || exit 1
start=$(date +%s)
# Progress on stderr: one dot per 200 compiled objects.
mk bzImage modules_prepare 2>"$out/build.err" |
	awk '/ CC /{ if (++n % 200 == 0) { printf "." > "/dev/stderr"; fflush("/dev/stderr") } }'
[ "${PIPESTATUS[0]}" = 0 ] || { tail -40 "$out/build.err" >&2; exit 1; }
echo " built in $(( $(date +%s) - start ))s" >&2
ln -sf tree/arch/x86/boot/bzImage "$out/bzImage"
touch "$out/.done"
echo "$out"
